"""Differentiable augmentation applied to every image D sees, real and fake alike (DiffAugment-style).

With 10k faces D memorises the real set; showing it randomly shifted and cut-out images, and
passing G's gradient through the same operations, keeps D from overfitting without teaching G to
draw shifted faces. Only geometry and occlusion: colour jitter would change the very colours the
labels name.

Each augmentation is two pure functions: `draw` makes its random parameters for a batch (from the
run's generator, with every other random number of the step, so a run stays reproducible and a step
can be captured as one graph), and `apply` uses them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from acgan.errors import ConfigError

TRANSLATION_RATIO = 0.125  # shift by up to this share of the image side
CUTOUT_RATIO = 0.5  # side of the cut-out square, as a share of the image side


def draw_shifts(batch: int, size: int, rng: torch.Generator) -> torch.Tensor:
    """(2, batch, 1, 1): each image's shift in x and y, up to TRANSLATION_RATIO of its side."""
    shift = int(size * TRANSLATION_RATIO + 0.5)
    return torch.randint(-shift, shift + 1, (2, batch, 1, 1), device=rng.device, generator=rng)


def translate(images: torch.Tensor, shifts: torch.Tensor) -> torch.Tensor:
    """Shift each image by its (dx, dy), filling with zeros (mid-grey)."""
    batch, _, size, _ = images.shape
    dx, dy = shifts[0], shifts[1]
    grid = torch.arange(size, device=images.device)
    rows = (grid[None, :, None] - dy).clamp(-1, size)  # -1 and size land on the zero padding
    cols = (grid[None, None, :] - dx).clamp(-1, size)
    padded = F.pad(images, (1, 1, 1, 1))
    index = torch.arange(batch, device=images.device)[:, None, None]
    return padded.permute(0, 2, 3, 1)[index, rows + 1, cols + 1].permute(0, 3, 1, 2)


def draw_corners(batch: int, size: int, rng: torch.Generator) -> torch.Tensor:
    """(2, batch, 1, 1): the top and left edge of each image's cut-out square."""
    side = int(size * CUTOUT_RATIO + 0.5)
    return torch.randint(0, size - side + 1, (2, batch, 1, 1), device=rng.device, generator=rng)


def cutout(images: torch.Tensor, corners: torch.Tensor) -> torch.Tensor:
    """Zero a square of CUTOUT_RATIO of the side at each image's corner."""
    size = images.shape[-1]
    side = int(size * CUTOUT_RATIO + 0.5)
    top, left = corners[0], corners[1]
    grid = torch.arange(size, device=images.device)
    inside_rows = (grid[None, :, None] >= top) & (grid[None, :, None] < top + side)
    inside_cols = (grid[None, None, :] >= left) & (grid[None, None, :] < left + side)
    return images * ~(inside_rows & inside_cols)[:, None]


@dataclass(frozen=True)
class Augmentation:
    draw: Callable[[int, int, torch.Generator], torch.Tensor]  # (batch, size, rng) -> parameters
    apply: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]  # (images, parameters) -> images


AUGMENTATIONS = {"translation": Augmentation(draw_shifts, translate), "cutout": Augmentation(draw_corners, cutout)}


def parse(spec: str) -> list[str]:
    """'translation,cutout' -> the names; 'none' or '' -> []."""
    names = [name.strip() for name in spec.split(",") if name.strip() and name.strip() != "none"]
    unknown = [name for name in names if name not in AUGMENTATIONS]
    if unknown:
        raise ConfigError(f"unknown augmentation {', '.join(unknown)}; known: {', '.join(AUGMENTATIONS)}, none")
    return names


class Augment:
    """The configured augmentations, applied in order; the identity when there are none."""

    def __init__(self, spec: str) -> None:
        self.names = parse(spec)

    def draw(self, batch: int, size: int, rng: torch.Generator) -> list[torch.Tensor]:
        return [AUGMENTATIONS[name].draw(batch, size, rng) for name in self.names]

    def __call__(self, images: torch.Tensor, parameters: list[torch.Tensor]) -> torch.Tensor:
        for name, drawn in zip(self.names, parameters, strict=True):
            images = AUGMENTATIONS[name].apply(images, drawn)
        return images

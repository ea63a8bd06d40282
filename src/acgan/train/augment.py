"""Differentiable augmentation applied to every image D sees, real and fake alike (DiffAugment-style).

With 10k faces D memorises the real set; showing it randomly shifted and cut-out images, and
passing G's gradient through the same operations, keeps D from overfitting without teaching G to
draw shifted faces. Only geometry and occlusion: colour jitter would change the very colours the
labels name. Randomness comes from the run's generator, so a run stays reproducible.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def translate(images: torch.Tensor, rng: torch.Generator, ratio: float = 0.125) -> torch.Tensor:
    """Shift each image by up to ratio * size pixels in x and y, filling with zeros (mid-grey)."""
    batch, _, size, _ = images.shape
    shift = int(size * ratio + 0.5)
    dx = torch.randint(-shift, shift + 1, (batch, 1, 1), device=images.device, generator=rng)
    dy = torch.randint(-shift, shift + 1, (batch, 1, 1), device=images.device, generator=rng)
    grid = torch.arange(size, device=images.device)
    rows = (grid[None, :, None] - dy).clamp(-1, size)  # -1 and size land on the zero padding
    cols = (grid[None, None, :] - dx).clamp(-1, size)
    padded = F.pad(images, (1, 1, 1, 1))
    index = torch.arange(batch, device=images.device)[:, None, None]
    return padded.permute(0, 2, 3, 1)[index, rows + 1, cols + 1].permute(0, 3, 1, 2)


def cutout(images: torch.Tensor, rng: torch.Generator, ratio: float = 0.5) -> torch.Tensor:
    """Zero a square of ratio * size a side at a random place in each image."""
    batch, _, size, _ = images.shape
    side = int(size * ratio + 0.5)
    top = torch.randint(0, size - side + 1, (batch, 1, 1), device=images.device, generator=rng)
    left = torch.randint(0, size - side + 1, (batch, 1, 1), device=images.device, generator=rng)
    grid = torch.arange(size, device=images.device)
    inside_rows = (grid[None, :, None] >= top) & (grid[None, :, None] < top + side)
    inside_cols = (grid[None, None, :] >= left) & (grid[None, None, :] < left + side)
    return images * ~(inside_rows & inside_cols)[:, None]


AUGMENTATIONS = {"translation": translate, "cutout": cutout}


def parse(spec: str) -> list[str]:
    """'translation,cutout' -> the names; 'none' or '' -> []."""
    names = [name.strip() for name in spec.split(",") if name.strip() and name.strip() != "none"]
    unknown = [name for name in names if name not in AUGMENTATIONS]
    if unknown:
        raise ValueError(f"unknown augmentation {', '.join(unknown)}; known: {', '.join(AUGMENTATIONS)}, none")
    return names


class Augment:
    """The configured augmentations, applied in order; the identity when there are none."""

    def __init__(self, spec: str, rng: torch.Generator) -> None:
        self.names, self.rng = parse(spec), rng

    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        for name in self.names:
            images = AUGMENTATIONS[name](images, self.rng)
        return images

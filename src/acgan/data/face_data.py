"""Faces in memory: one uint8 array with its labels, and the one place pixels become floats.

Images stay uint8 (N, H, W, 3) until a batch is drawn; `to_unit_range` is the one place pixels
become floats in [-1, 1] (x / 127.5 - 1).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from acgan.data.vocab import Vocabulary


@dataclass
class FaceData:
    """Decoded faces and their labels, ready to move to a device."""

    images: np.ndarray  # uint8 (N, H, W, 3)
    hair: np.ndarray  # int64 (N,), index into vocab.hair
    eyes: np.ndarray  # int64 (N,), index into vocab.eyes
    vocab: Vocabulary
    source: str
    notes: list[str] = field(default_factory=list)  # what was skipped, dropped or converted, for the user

    def __len__(self) -> int:
        return len(self.images)

    @property
    def resolution(self) -> int:
        return self.images.shape[1]

    def counts_table(self) -> str:
        """Class counts per attribute, for printing at the start of a run."""
        lines = []
        for attribute, names, labels in (("hair", self.vocab.hair, self.hair), ("eyes", self.vocab.eyes, self.eyes)):
            counts = np.bincount(labels, minlength=len(names))
            lines.append(f"{attribute:>5}: " + "  ".join(f"{n} {c}" for n, c in zip(names, counts, strict=True)))
        return "\n".join(lines)


def to_unit_range(images: torch.Tensor) -> torch.Tensor:
    """uint8 (B, H, W, 3) -> float (B, 3, H, W) in [-1, 1]."""
    return images.permute(0, 3, 1, 2).float().div(127.5).sub(1.0).contiguous()

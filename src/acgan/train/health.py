"""Watching a run's health: divergence (non-finite steps) and collapse (faces all alike, D reading at chance).

The guard itself is cheap and on the device: `optim.GuardedAdam` skips any step whose gradients are
not finite; the loop counts skipped steps in a row on the device and only looks
at the count when it logs. This module holds what the loop does with those numbers and the collapse
watch, which draws a fixed batch of faces at every log step and compares their spread with real faces'.
"""

from __future__ import annotations

from pathlib import Path

import torch
from tqdm import tqdm

from acgan.data.face_data import to_unit_range
from acgan.errors import UserError
from acgan.sample.generator import draw
from acgan.sample.runners import Runner

WATCH_FACES = 16
COLLAPSE_RATIO = 0.15  # generated spread / real spread below this: the faces are close to identical
CHANCE_WINDOWS = 8  # log windows in a row with D reading real labels at chance before a warning
# An untrained G draws near-identical faces whatever the noise (measured on `make demo`: spread 0.07 at
# step 25, 0.25 at step 50, 0.44 by step 250), so collapse is judged from this step on.
COLLAPSE_FROM_STEP = 500


class DivergenceError(UserError):
    """Too many steps in a row had non-finite losses or gradients."""

    def __init__(self, run: Path, step: int, limit: int, saved_step: int) -> None:
        super().__init__(
            f"stopped at step {step}: {limit} or more steps in a row had non-finite losses or gradients and were "
            f"skipped. The last good checkpoint is step {saved_step} in {run / 'checkpoints'}. Try a lower learning "
            f"rate, --precision fp32 or bf16, or check the data (acgan data check).")


def pixel_spread(images: torch.Tensor) -> float:
    """Mean pairwise Euclidean distance between images (flattened)."""
    flat = images.flatten(1).double()
    return float(torch.cdist(flat, flat).sum() / (len(flat) * (len(flat) - 1)))


class CollapseWatch:
    """A fixed batch of noise with one colour pair, drawn at every log step: its spread, relative to the
    spread of real faces, is logged as `spread` (near 1 healthy, falling towards 0 is mode collapse)."""

    def __init__(self, real_images: torch.Tensor, n_hair: int, enabled: bool = True) -> None:
        self.enabled = enabled
        self.real_spread = pixel_spread(to_unit_range(real_images[:WATCH_FACES].cpu())) if enabled else 1.0
        self.n_hair = n_hair
        self.warned_collapse = False
        self.chance_windows = 0

    def measure(self, runner: Runner) -> dict[str, float]:
        if not self.enabled:
            return {}
        labels = torch.zeros(WATCH_FACES, dtype=torch.long)
        faces = draw(runner, range(WATCH_FACES), labels, labels)
        return {"spread": pixel_spread(faces) / self.real_spread}

    def warnings(self, step: int, numbers: dict[str, float]) -> list[str]:
        """Warnings to print for this log step (each condition is reported once until it clears)."""
        found = []
        spread = numbers.get("spread") if step >= COLLAPSE_FROM_STEP else None
        if spread is not None and spread < COLLAPSE_RATIO and not self.warned_collapse:
            found.append(f"step {step}: the faces drawn from different noise are nearly identical (spread "
                         f"{spread:.2f} of real faces'): mode collapse? Look at the samples; try the modern recipe.")
        if spread is not None:
            self.warned_collapse = spread < COLLAPSE_RATIO
        at_chance = numbers.get("d_real_hair_acc", 1.0) <= 1.5 / self.n_hair
        self.chance_windows = self.chance_windows + 1 if at_chance else 0
        if self.chance_windows == CHANCE_WINDOWS:
            found.append(f"step {step}: D has read real hair colours at chance for {CHANCE_WINDOWS} log windows; "
                         "the labels are not being learned (check the data, or lower the learning rates).")
        return found


def report(messages: list[str]) -> None:
    for message in messages:
        tqdm.write(f"warning: {message}")

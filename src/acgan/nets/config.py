"""ModelConfig: everything needed to rebuild a generator and a discriminator, so a checkpoint alone rebuilds them."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any

ARCHITECTURE_NAMES = ("classic", "modern")


@dataclass(frozen=True)
class ModelConfig:
    resolution: int = 64
    width: int = 64
    z_dim: int = 100
    label_dim: int = 16
    n_hair: int = 12
    n_eyes: int = 11
    arch: str = "classic"
    # Modern G only: the noise joins the labels in every conditional BatchNorm, not only the first layer.
    noise_in_blocks: bool = False
    # D's label heads name "real k" and "fake k" for every colour k (ADC-GAN), twice the outputs of plain heads.
    fake_classes: bool = False

    def __post_init__(self) -> None:
        for name in ("resolution", "width", "z_dim", "label_dim", "n_hair", "n_eyes"):
            value = getattr(self, name)
            if type(value) is not int or not 1 <= value <= 4096:
                raise ValueError(f"{name} must be a whole number from 1 to 4096, got {value!r}")
        for flag in ("noise_in_blocks", "fake_classes"):
            if type(getattr(self, flag)) is not bool:
                raise ValueError(f"{flag} must be true or false, got {getattr(self, flag)!r}")
        if self.resolution not in (32, 64, 128):
            raise ValueError(f"resolution must be 32, 64 or 128, got {self.resolution}")
        if self.arch not in ARCHITECTURE_NAMES:
            raise ValueError(f"arch must be one of {', '.join(ARCHITECTURE_NAMES)}, got {self.arch!r}")

    @property
    def stages(self) -> int:
        """Feature-map sizes from 4x4 up to resolution/2: 3 at 32 px, 4 at 64 px, 5 at 128 px."""
        return int(math.log2(self.resolution)) - 2

    def channels(self, stage: int) -> int:
        """Channels at a stage counted from the 4x4 end: width * 2^(stages-1-stage), at most width * 8."""
        return self.width * min(2 ** (self.stages - 1 - stage), 8)

    @property
    def hair_outputs(self) -> int:
        """Outputs of D's hair head: one per colour, or two (real k, fake k) with fake classes."""
        return self.n_hair * (2 if self.fake_classes else 1)

    @property
    def eye_outputs(self) -> int:
        return self.n_eyes * (2 if self.fake_classes else 1)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ModelConfig:
        """The config a checkpoint or an export describes; unknown keys and wrong types raise ValueError."""
        unknown = set(data) - {f.name for f in fields(cls)}
        if unknown:
            raise ValueError(f"unknown model settings {', '.join(sorted(unknown))}")
        return cls(**data)



"""The networks: a label-conditioned generator and a discriminator with real/fake, hair and eye heads.

Owns: ModelConfig (config.py), the shared layers (layers.py), the two designs, one file each
(classic.py, modern.py), standing BatchNorm statistics for a generator's averaged weights (standing.py),
and the registry below that builds a pair by `ModelConfig.arch`.
May import: torch, acgan.errors. Nothing else of acgan.
"""

from __future__ import annotations

from torch import nn

from acgan.nets.classic import ClassicDiscriminator, ClassicGenerator
from acgan.nets.config import ARCHITECTURE_NAMES, ModelConfig
from acgan.nets.modern import ModernDiscriminator, ModernGenerator

ARCHITECTURES: dict[str, tuple[type[nn.Module], type[nn.Module]]] = {
    "classic": (ClassicGenerator, ClassicDiscriminator),
    "modern": (ModernGenerator, ModernDiscriminator),
}
assert tuple(ARCHITECTURES) == ARCHITECTURE_NAMES


def build_networks(cfg: ModelConfig) -> tuple[nn.Module, nn.Module]:
    generator, discriminator = ARCHITECTURES[cfg.arch]
    return generator(cfg), discriminator(cfg)


def build_generator(cfg: ModelConfig) -> nn.Module:
    return ARCHITECTURES[cfg.arch][0](cfg)


__all__ = ["ARCHITECTURES", "ClassicDiscriminator", "ClassicGenerator", "ModelConfig",
           "ModernDiscriminator", "ModernGenerator", "build_generator", "build_networks"]

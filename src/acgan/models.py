"""The networks: a label-conditioned generator and a discriminator with real/fake, hair and eye heads.

The classic design (DCGAN-style, as in the tutorial this project follows):

    G: [z (100) | hair embedding | eye embedding] -> 1x1 -> 4x4 transposed conv
       -> stride-2 transposed convs halving the channels (512 -> 256 -> 128 -> 64 at width 64),
          each with BatchNorm and LeakyReLU(0.2)
       -> 3x3 conv -> stride-2 transposed conv to RGB -> tanh          (64x64 at resolution 64)
    D: stride-2 4x4 convs doubling the channels (64 -> 128 -> 256 -> 512 at width 64) down to 4x4,
       LeakyReLU(0.2), BatchNorm on every conv but the first -> flatten -> three linear heads.

The modern design (`arch="modern"`, after SNGAN / BigGAN-style residual networks):

    G: [z | hair embedding | eye embedding] -> linear to 4x4 -> residual up-blocks (nearest x2,
       3x3 convs) whose BatchNorms are conditional: every one takes its scale and shift from the
       labels and the noise, so colours and noise steer every layer -> BatchNorm, ReLU, 3x3 conv to
       RGB -> tanh
    D: the classic strided convolutions with spectral normalisation on every weight instead of
       BatchNorm -> flatten -> real/fake logit plus a projection term (label embeddings . features),
       and the hair and eye heads.

`ModelConfig` holds everything needed to rebuild both networks, so a checkpoint alone rebuilds them;
`build_networks` picks the pair by `arch`.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
from torch import nn


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

    def __post_init__(self) -> None:
        if self.resolution not in (32, 64, 128):
            raise ValueError(f"resolution must be 32, 64 or 128, got {self.resolution}")
        if self.arch not in ARCHITECTURES:
            raise ValueError(f"arch must be one of {', '.join(ARCHITECTURES)}, got {self.arch!r}")

    @property
    def stages(self) -> int:
        """Feature-map sizes from 4x4 up to resolution/2: 3 at 32 px, 4 at 64 px, 5 at 128 px."""
        return int(math.log2(self.resolution)) - 2

    def channels(self, stage: int) -> int:
        """Channels at a stage counted from the 4x4 end: width * 2^(stages-1-stage), at most width * 8."""
        return self.width * min(2 ** (self.stages - 1 - stage), 8)

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> ModelConfig:
        return cls(**data)


def up_block(c_in: int, c_out: int) -> nn.Sequential:
    return nn.Sequential(nn.ConvTranspose2d(c_in, c_out, 4, 2, 1, bias=False), nn.BatchNorm2d(c_out), nn.LeakyReLU(0.2))


class Generator(nn.Module):
    """(z, hair, eyes) -> RGB image in [-1, 1] of shape (B, 3, resolution, resolution)."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.hair_embedding = nn.Embedding(cfg.n_hair, cfg.label_dim)
        self.eye_embedding = nn.Embedding(cfg.n_eyes, cfg.label_dim)
        c = [cfg.channels(s) for s in range(cfg.stages)]
        layers: list[nn.Module] = [
            nn.ConvTranspose2d(cfg.z_dim + 2 * cfg.label_dim, c[0], 4, 1, 0, bias=False),
            nn.BatchNorm2d(c[0]),
            nn.LeakyReLU(0.2),
        ]
        layers += [up_block(c[s - 1], c[s]) for s in range(1, cfg.stages)]
        layers += [
            nn.Conv2d(c[-1], c[-1], 3, 1, 1, bias=False),
            nn.BatchNorm2d(c[-1]),
            nn.LeakyReLU(0.2),
            nn.ConvTranspose2d(c[-1], 3, 4, 2, 1),
            nn.Tanh(),
        ]
        self.net = nn.Sequential(*layers)
        init_weights(self)

    def forward(self, z: torch.Tensor, hair: torch.Tensor, eyes: torch.Tensor) -> torch.Tensor:
        code = torch.cat([z, embed(self.hair_embedding, hair), embed(self.eye_embedding, eyes)], dim=1)
        return self.net(code[:, :, None, None])


class Discriminator(nn.Module):
    """Image -> (real/fake logit (B,), hair logits (B, n_hair), eye logits (B, n_eyes)); labels unused."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.cfg = cfg
        c = [cfg.channels(cfg.stages - 1 - s) for s in range(cfg.stages)]
        layers: list[nn.Module] = [nn.Conv2d(3, c[0], 4, 2, 1), nn.LeakyReLU(0.2)]
        for s in range(1, cfg.stages):
            layers += [nn.Conv2d(c[s - 1], c[s], 4, 2, 1, bias=False), nn.BatchNorm2d(c[s]), nn.LeakyReLU(0.2)]
        layers.append(nn.Flatten())
        self.features = nn.Sequential(*layers)
        n_features = c[-1] * 4 * 4
        self.validity = nn.Linear(n_features, 1)
        self.hair = nn.Linear(n_features, cfg.n_hair)
        self.eyes = nn.Linear(n_features, cfg.n_eyes)
        init_weights(self)

    def forward(self, images: torch.Tensor, hair: torch.Tensor | None = None,
                eyes: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        h = self.features(images)
        return self.validity(h).squeeze(1), self.hair(h), self.eyes(h)


def embed(table: nn.Embedding, labels: torch.Tensor) -> torch.Tensor:
    """Label indices (B,) -> embeddings; or label weights (B, n) -> the weighted mix of embeddings.

    The weighted form lets a morph blend two colours smoothly; one-hot weights give exactly the
    embedding of that colour.
    """
    if labels.is_floating_point():
        return labels.to(table.weight.dtype) @ table.weight
    return table(labels)


def init_weights(module: nn.Module) -> None:
    """DCGAN initialisation: conv weights ~ N(0, 0.02), BatchNorm scale ~ N(1, 0.02)."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.normal_(m.weight, 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)


class ConditionalBatchNorm(nn.Module):
    """BatchNorm without its own affine part; scale and shift come from the label code instead."""

    def __init__(self, channels: int, code_dim: int) -> None:
        super().__init__()
        self.norm = nn.BatchNorm2d(channels, affine=False)
        self.scale = nn.Linear(code_dim, channels)
        self.shift = nn.Linear(code_dim, channels)
        nn.init.zeros_(self.scale.weight)
        nn.init.zeros_(self.scale.bias)
        nn.init.zeros_(self.shift.weight)
        nn.init.zeros_(self.shift.bias)

    def forward(self, x: torch.Tensor, code: torch.Tensor) -> torch.Tensor:
        return self.norm(x) * (1 + self.scale(code))[:, :, None, None] + self.shift(code)[:, :, None, None]


class UpBlock(nn.Module):
    """Pre-activation residual block that doubles the size: CBN, ReLU, conv, up x2, CBN, ReLU, conv (+ skip).

    The first convolution runs before the upsampling, at a quarter of the pixels: on a CPU this halves
    the block's cost, and the second convolution still sees (and smooths) the full resolution."""

    def __init__(self, c_in: int, c_out: int, code_dim: int) -> None:
        super().__init__()
        self.norm1 = ConditionalBatchNorm(c_in, code_dim)
        self.conv1 = nn.Conv2d(c_in, c_out, 3, 1, 1)
        self.norm2 = ConditionalBatchNorm(c_out, code_dim)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, 1, 1)
        self.skip = nn.Conv2d(c_in, c_out, 1)

    def forward(self, x: torch.Tensor, code: torch.Tensor) -> torch.Tensor:
        h = upsample(self.conv1(torch.relu(self.norm1(x, code))))
        h = self.conv2(torch.relu(self.norm2(h, code)))
        return h + upsample(self.skip(x))


def upsample(x: torch.Tensor) -> torch.Tensor:
    return nn.functional.interpolate(x, scale_factor=2.0, mode="nearest")


class ModernGenerator(nn.Module):
    """(z, hair, eyes) -> RGB image in [-1, 1]; the labels (and, with `noise_in_blocks`, the noise)
    condition every BatchNorm. Noise that reaches only the first layer can be drowned by the labels
    further up; fed to every block it kept more variety inside a colour pair (docs/RESULTS.md)."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.hair_embedding = nn.Embedding(cfg.n_hair, cfg.label_dim)
        self.eye_embedding = nn.Embedding(cfg.n_eyes, cfg.label_dim)
        code_dim = 2 * cfg.label_dim + (cfg.z_dim if cfg.noise_in_blocks else 0)
        # The classic plan (width * 4 at 4x4 for 32 px, halving per doubling), one more halving for the
        # block that reaches full resolution, where convolutions cost the most.
        c = [cfg.channels(s) for s in range(cfg.stages)] + [max(cfg.channels(cfg.stages - 1) // 2, 8)]
        self.c0 = c[0]
        self.project = nn.Linear(cfg.z_dim + 2 * cfg.label_dim, c[0] * 16)
        self.blocks = nn.ModuleList(UpBlock(c[i], c[i + 1], code_dim) for i in range(cfg.stages))
        self.out = nn.Sequential(nn.BatchNorm2d(c[-1]), nn.ReLU(), nn.Conv2d(c[-1], 3, 3, 1, 1), nn.Tanh())

    def forward(self, z: torch.Tensor, hair: torch.Tensor, eyes: torch.Tensor) -> torch.Tensor:
        labels = torch.cat([embed(self.hair_embedding, hair), embed(self.eye_embedding, eyes)], dim=1)
        h = self.project(torch.cat([z, labels], dim=1)).view(-1, self.c0, 4, 4)  # -1: a batch an export keeps open
        code = torch.cat([labels, z], dim=1) if self.cfg.noise_in_blocks else labels
        for block in self.blocks:
            h = block(h, code)
        return self.out(h)


def sn(layer: nn.Module) -> nn.Module:
    return nn.utils.parametrizations.spectral_norm(layer)


class ModernDiscriminator(nn.Module):
    """(image, hair, eyes) -> (logit with a projection term, hair logits, eye logits).

    The classic D's strided 4x4 convolutions (SNGAN's "standard CNN"), with spectral normalisation on
    every weight in place of BatchNorm. The heads read the flattened 4x4 map, so they know where a
    colour is: "blue" at the eyes and "blue" in the hair are different features. (A residual D with
    global pooling, measured, learned hair but read eye colours at chance after 600 steps, at a third
    of the speed: docs/RESULTS.md.)
    """

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.cfg = cfg
        c = [3] + [cfg.channels(cfg.stages - 1 - s) for s in range(cfg.stages)]
        layers: list[nn.Module] = []
        for i in range(cfg.stages):
            layers += [sn(nn.Conv2d(c[i], c[i + 1], 4, 2, 1)), nn.LeakyReLU(0.2)]
        self.features = nn.Sequential(*layers, nn.Flatten())
        n_features = c[-1] * 4 * 4
        self.validity = sn(nn.Linear(n_features, 1))
        self.hair = sn(nn.Linear(n_features, cfg.n_hair))
        self.eyes = sn(nn.Linear(n_features, cfg.n_eyes))
        self.hair_projection = sn(nn.Embedding(cfg.n_hair, n_features))
        self.eye_projection = sn(nn.Embedding(cfg.n_eyes, n_features))

    def forward(self, images: torch.Tensor, hair: torch.Tensor | None = None,
                eyes: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        h = self.features(images)
        validity = self.validity(h).squeeze(1)
        # The projection term: how well the features match the embedding of the colours claimed.
        if hair is not None:
            validity = validity + (embed(self.hair_projection, hair) * h).sum(1)
        if eyes is not None:
            validity = validity + (embed(self.eye_projection, eyes) * h).sum(1)
        return validity, self.hair(h), self.eyes(h)


ARCHITECTURES: dict[str, tuple[type[nn.Module], type[nn.Module]]] = {
    "classic": (Generator, Discriminator),
    "modern": (ModernGenerator, ModernDiscriminator),
}


def build_networks(cfg: ModelConfig) -> tuple[nn.Module, nn.Module]:
    generator, discriminator = ARCHITECTURES[cfg.arch]
    return generator(cfg), discriminator(cfg)


def build_generator(cfg: ModelConfig) -> nn.Module:
    return ARCHITECTURES[cfg.arch][0](cfg)

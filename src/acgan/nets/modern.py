"""The modern design (after SNGAN / BigGAN-style residual networks).

    G: [z | hair embedding | eye embedding] -> linear to 4x4 -> residual up-blocks (nearest x2,
       3x3 convs) whose BatchNorms are conditional: every one takes its scale and shift from the
       labels and the noise, so colours and noise steer every layer -> BatchNorm, ReLU, 3x3 conv to
       RGB -> tanh
    D: the classic strided convolutions with spectral normalisation on every weight instead of
       BatchNorm -> flatten -> real/fake logit plus a projection term (label embeddings . features),
       and the hair and eye heads.
"""

from __future__ import annotations

from typing import TypeVar

import torch
from torch import nn

from acgan.nets.config import ModelConfig
from acgan.nets.layers import embed

Layer = TypeVar("Layer", bound=nn.Module)


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
    """Nearest-neighbour x2, written as a broadcast: the same pixels as interpolate(mode="nearest"), and a
    gradient that compiles correctly (Inductor's vectorised CPU kernel for the gradient of upsample_nearest2d
    corrupted memory in PyTorch 2.13 when the whole step was compiled; docs/DESIGN.md)."""
    n, c, h, w = x.shape
    return x[:, :, :, None, :, None].expand(n, c, h, 2, w, 2).reshape(n, c, 2 * h, 2 * w)


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


def sn(layer: Layer) -> Layer:
    nn.utils.parametrizations.spectral_norm(layer)  # registers the parametrization on `layer` itself
    return layer





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
        self.hair = sn(nn.Linear(n_features, cfg.hair_outputs))
        self.eyes = sn(nn.Linear(n_features, cfg.eye_outputs))
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

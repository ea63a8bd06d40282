"""The classic design (DCGAN-style, as in the tutorial this project follows).

    G: [z (100) | hair embedding | eye embedding] -> 1x1 -> 4x4 transposed conv
       -> stride-2 transposed convs halving the channels (512 -> 256 -> 128 -> 64 at width 64),
          each with BatchNorm and LeakyReLU(0.2)
       -> 3x3 conv -> stride-2 transposed conv to RGB -> tanh          (64x64 at resolution 64)
    D: stride-2 4x4 convs doubling the channels (64 -> 128 -> 256 -> 512 at width 64) down to 4x4,
       LeakyReLU(0.2), BatchNorm on every conv but the first -> flatten -> three linear heads.
"""

from __future__ import annotations

import torch
from torch import nn

from acgan.nets.config import ModelConfig
from acgan.nets.layers import embed, init_weights


def up_block(c_in: int, c_out: int) -> nn.Sequential:
    return nn.Sequential(nn.ConvTranspose2d(c_in, c_out, 4, 2, 1, bias=False), nn.BatchNorm2d(c_out), nn.LeakyReLU(0.2))


class ClassicGenerator(nn.Module):
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


class ClassicDiscriminator(nn.Module):
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
        self.hair = nn.Linear(n_features, cfg.hair_outputs)
        self.eyes = nn.Linear(n_features, cfg.eye_outputs)
        init_weights(self)

    def forward(self, images: torch.Tensor, hair: torch.Tensor | None = None,
                eyes: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        h = self.features(images)
        return self.validity(h).squeeze(1), self.hair(h), self.eyes(h)

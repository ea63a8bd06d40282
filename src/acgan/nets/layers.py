"""Pieces both designs share: label embeddings that also take colour blends, and the DCGAN initialisation."""

from __future__ import annotations

import torch
from torch import nn


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

"""Standing statistics: BatchNorm running statistics measured for the very weights that will use them.

A generator drawn in eval mode normalises with its BatchNorm running statistics. The moving average of
G (the weights that draw faces) has no statistics of its own: training copies G's, which were gathered
for G's weights over the last few hundred steps, not for the averaged weights. Before the average draws
(every checkpoint, `acgan pack`), its statistics are measured afresh: many batches in training mode, with
a cumulative average rather than a momentum, from noise and colours of their own (a fixed seed, so the
same weights always get the same statistics, and the run's random stream is left untouched).
Measured independently on the shipped model (40 batches of 64): hair +1.5 and eyes +2.4 points, Frechet
distance 11% lower.
"""

from __future__ import annotations

import torch
from torch import nn

from acgan.nets.config import ModelConfig

STANDING_BATCHES = 40
STANDING_BATCH = 64
STANDING_SEED = 20_170_101  # any fixed number: the statistics are a function of the weights alone


def batch_norms(net: nn.Module) -> list[nn.BatchNorm2d]:
    return [m for m in net.modules() if isinstance(m, nn.BatchNorm2d)]


@torch.no_grad()
def standing_statistics(G: nn.Module, cfg: ModelConfig, batches: int = STANDING_BATCHES,
                        batch: int = STANDING_BATCH) -> None:
    """Replace G's BatchNorm running statistics by their average over `batches` batches of G's own activations
    (noise ~ N(0, 1), every colour pair equally likely); G's mode is restored afterwards."""
    norms = batch_norms(G)
    if not norms:
        return
    device = next(G.parameters()).device
    rng = torch.Generator().manual_seed(STANDING_SEED)
    momenta, training = [m.momentum for m in norms], G.training
    for m in norms:
        m.reset_running_stats()
        m.momentum = None  # a cumulative average over the batches below
    G.train()
    try:
        for _ in range(batches):
            z = torch.randn(batch, cfg.z_dim, generator=rng)
            hair = torch.randint(cfg.n_hair, (batch,), generator=rng)
            eyes = torch.randint(cfg.n_eyes, (batch,), generator=rng)
            G(z.to(device), hair.to(device), eyes.to(device))
    finally:
        for m, momentum in zip(norms, momenta, strict=True):
            m.momentum = momentum
        G.train(training)

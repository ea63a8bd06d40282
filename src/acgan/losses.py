"""ACGAN losses as pure functions: (networks, batch) -> (loss, numbers to log). No backward, no optimizer.

Every loss is computed from logits (BCE-with-logits, cross-entropy) in float32, whatever precision
the networks ran in. D is asked to score real images near the smoothed 'real' targets and fakes near
the smoothed 'fake' targets, and to name the hair and eye colours of the reals (and, when
`fake_label` > 0, the requested colours of the fakes). G is asked to make D call its fakes real and read back
the requested labels.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn


@dataclass(frozen=True)
class LossWeights:
    validity: float = 1.4
    label: float = 0.8
    # D's label loss on G's images, as a share of `label`. The tutorial used 1; measured on the built-in
    # faces it lets D learn whatever private code G uses for a label instead of the colour, and G's
    # colours stop matching its labels (docs/DESIGN.md has the numbers).
    fake_label: float = 0.0


def acgan_terms(outputs: tuple[torch.Tensor, torch.Tensor, torch.Tensor], target: torch.Tensor,
                hair: torch.Tensor, eyes: torch.Tensor, weights: LossWeights) -> torch.Tensor:
    """Weighted real/fake BCE plus hair and eye cross-entropy for one batch of D's outputs."""
    validity, hair_logits, eye_logits = (o.float() for o in outputs)
    return (weights.validity * F.binary_cross_entropy_with_logits(validity, target)
            + weights.label * (F.cross_entropy(hair_logits, hair) + F.cross_entropy(eye_logits, eyes)))


def discriminator_loss(D: nn.Module, real: torch.Tensor, real_hair: torch.Tensor, real_eyes: torch.Tensor,
                       fake: torch.Tensor, fake_hair: torch.Tensor, fake_eyes: torch.Tensor,
                       real_target: torch.Tensor, fake_target: torch.Tensor,
                       weights: LossWeights) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """D's loss on a real batch and a (detached) fake batch, each through D on its own as in the classic recipe."""
    real_out = D(real)
    fake_out = D(fake.detach())
    loss_real = acgan_terms(real_out, real_target, real_hair, real_eyes, weights)
    fake_weights = LossWeights(weights.validity, weights.label * weights.fake_label)
    loss_fake = acgan_terms(fake_out, fake_target, fake_hair, fake_eyes, fake_weights)
    stats = {
        "d_loss": (loss_real + loss_fake).detach(),
        "d_real_hair_acc": (real_out[1].argmax(1) == real_hair).float().mean(),
        "d_real_eye_acc": (real_out[2].argmax(1) == real_eyes).float().mean(),
    }
    return loss_real + loss_fake, stats


def generator_loss(D: nn.Module, fake: torch.Tensor, hair: torch.Tensor, eyes: torch.Tensor,
                   weights: LossWeights) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """G's loss through D: target 'real' (1) and the requested labels."""
    out = D(fake)
    target = torch.ones_like(out[0], dtype=torch.float32)
    loss = acgan_terms(out, target, hair, eyes, weights)
    return loss, {"g_loss": loss.detach()}

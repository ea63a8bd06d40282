"""ACGAN losses as pure functions: (networks, batch) -> (loss, numbers to log). No backward, no optimizer.

Every loss is computed from logits in float32, whatever precision the networks ran in. D is asked
to tell real images from G's and to name the hair and eye colours of the reals (and, when
`fake_label` > 0, the requested colours of the fakes); G is asked to pass as real and to have D
read back the colours it was asked for. D is called with the labels too (a projection
discriminator uses them; the classic one ignores them).

How "real or fake" is scored is an `Objective`, chosen when the run is built:
    BCE    the classic recipe: binary cross-entropy against smoothed targets (real ~U[0.8, 1],
           fake ~U[0, 0.2]), G aiming at 1
    HINGE  the modern recipe: max(0, 1 - D(real)) + max(0, 1 + D(fake)) for D, -D(fake) for G

How the colours are scored is a `ClassLoss`, chosen the same way:
    CE     the tutorial's: D names the colours of real faces; G is paid when D reads its requested
           colours back. This pays G for whatever makes a colour easiest to read (a cast over the
           whole face, the most typical face), not only for drawing the colour where it belongs.
    ADC    ADC-GAN's: D's heads name "real k" and "fake k" for every colour k, and learn on fakes
           too; G is paid by log p(real k) - log p(fake k). A tint that only G uses soon reads as
           "fake k", so G is paid for faces whose colours look like real faces' colours.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F

Outputs = tuple[torch.Tensor, torch.Tensor, torch.Tensor]  # validity logit, hair logits, eye logits
Critic = Callable[[torch.Tensor, torch.Tensor, torch.Tensor], Outputs]


@dataclass(frozen=True)
class LossWeights:
    validity: float = 1.4
    label: float = 0.8
    # D's label loss on G's images, as a share of `label`. The tutorial used 1; measured on the built-in
    # faces it lets D learn whatever private code G uses for a label instead of the colour, and G's
    # colours stop matching its labels (docs/DESIGN.md has the numbers).
    fake_label: float = 0.0
    # G's reward for drawing different faces from different noise with the same colours (the
    # mode-seeking term of MSGAN); 0: off. Needs a batch whose two halves share their labels.
    mode_seeking: float = 0.0


@dataclass(frozen=True)
class Objective:
    """The real/fake part of the losses: D on reals, D on fakes, G on fakes (each a mean over the batch)."""

    d_real: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]  # (logits, smoothed targets) -> loss
    d_fake: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
    g: Callable[[torch.Tensor], torch.Tensor]


BCE = Objective(
    d_real=F.binary_cross_entropy_with_logits,
    d_fake=F.binary_cross_entropy_with_logits,
    g=lambda logits: F.binary_cross_entropy_with_logits(logits, torch.ones_like(logits)),
)
HINGE = Objective(
    d_real=lambda logits, _: F.relu(1 - logits).mean(),
    d_fake=lambda logits, _: F.relu(1 + logits).mean(),
    g=lambda logits: -logits.mean(),
)
OBJECTIVES = {"bce": BCE, "hinge": HINGE}

Scorer = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]  # (label logits, labels) -> loss


@dataclass(frozen=True)
class ClassLoss:
    """The colour part of the losses: D on real faces' labels, D on fakes' requested labels, G on its fakes."""

    fake_classes: bool  # the heads have 2n outputs, "real k" then "fake k"
    d_real: Scorer
    d_fake: Scorer
    g: Scorer
    fakes_always: bool  # D always learns on fakes (else only with a fake-label weight)

    def real_logits(self, logits: torch.Tensor) -> torch.Tensor:
        """The logits of the real colours alone (what D reads a real face as)."""
        return logits[:, : logits.shape[1] // 2] if self.fake_classes else logits


def cross_entropy(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    return F.cross_entropy(logits.float(), labels)


def as_fake(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Cross-entropy against "fake k": the second half of the heads' outputs."""
    return F.cross_entropy(logits.float(), labels + logits.shape[1] // 2)


CE = ClassLoss(fake_classes=False, d_real=cross_entropy, d_fake=cross_entropy, g=cross_entropy, fakes_always=False)
ADC = ClassLoss(fake_classes=True, d_real=cross_entropy, d_fake=as_fake,
                g=lambda logits, labels: cross_entropy(logits, labels) - as_fake(logits, labels), fakes_always=True)
CLASS_LOSSES = {"ce": CE, "adc": ADC}


def label_loss(scorer: Scorer, outputs: Outputs, hair: torch.Tensor, eyes: torch.Tensor) -> torch.Tensor:
    return scorer(outputs[1], hair) + scorer(outputs[2], eyes)


def discriminator_loss(D: Critic, real: torch.Tensor, real_hair: torch.Tensor, real_eyes: torch.Tensor,
                       fake: torch.Tensor, fake_hair: torch.Tensor, fake_eyes: torch.Tensor,
                       real_target: torch.Tensor, fake_target: torch.Tensor, weights: LossWeights,
                       objective: Objective = BCE, classes: ClassLoss = CE
                       ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """D's loss on a real batch and a (detached) fake batch, each through D on its own."""
    real_out = D(real, real_hair, real_eyes)
    fake_out = D(fake.detach(), fake_hair, fake_eyes)
    loss = (weights.validity * (objective.d_real(real_out[0].float(), real_target)
                                + objective.d_fake(fake_out[0].float(), fake_target))
            + weights.label * label_loss(classes.d_real, real_out, real_hair, real_eyes))
    fake_label = 1.0 if classes.fakes_always else weights.fake_label
    if fake_label:
        loss = loss + weights.label * fake_label * label_loss(classes.d_fake, fake_out, fake_hair, fake_eyes)
    stats = {
        "d_loss": loss.detach(),
        "d_real_hair_acc": (classes.real_logits(real_out[1]).argmax(1) == real_hair).float().mean(),
        "d_real_eye_acc": (classes.real_logits(real_out[2]).argmax(1) == real_eyes).float().mean(),
    }
    return loss, stats


def generator_loss(D: Critic, fake: torch.Tensor, hair: torch.Tensor, eyes: torch.Tensor, weights: LossWeights,
                   objective: Objective = BCE, z: torch.Tensor | None = None, classes: ClassLoss = CE
                   ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """G's loss through D: pass as real, and have the requested colours read back (and, with a
    mode-seeking weight, draw faces as far apart as their noise is)."""
    out = D(fake, hair, eyes)
    loss = weights.validity * objective.g(out[0].float()) + weights.label * label_loss(classes.g, out, hair, eyes)
    stats = {}
    if weights.mode_seeking:
        if z is None:
            raise ValueError("the mode-seeking term needs the noise the fakes were drawn from")
        spread = noise_spread(fake, z)
        loss = loss + weights.mode_seeking / (spread + 1e-5)
        stats["g_spread"] = spread.detach()
    return loss, {"g_loss": loss.detach(), **stats}


def noise_spread(fake: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
    """Mean over paired faces of (image distance / noise distance), pairing face i with face i + ceil(B/2).

    The batch's two halves were drawn for the same labels, so each pair differs only in its noise:
    a generator that ignores the noise scores 0. Distances are mean absolute differences (MSGAN)."""
    half = (len(fake) + 1) // 2
    pairs = len(fake) - half
    image_gap = (fake[:pairs].float() - fake[half:half + pairs].float()).abs().flatten(1).mean(1)
    noise_gap = (z[:pairs] - z[half:half + pairs]).abs().mean(1)
    return (image_gap / noise_gap).mean()

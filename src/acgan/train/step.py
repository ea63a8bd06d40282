"""One training step and the state it changes: G, D, their optimizers, the run's random generator.

    TrainState   everything a step changes, saved whole in every checkpoint (state_tensors / restore_state)
    Runner       how this run calls the networks (compiled per module, wrapped for DDP, autocast)
    TrainStep    one step as one function of the state, with static shapes and no host synchronisation:
                 draw  every random number of the step (batch, noise, labels, targets, augmentations)
                 update  D on reals and fakes, G through D, the average of G, the step's counters

Everything random is drawn from one torch.Generator on the training device, so a fixed --seed gives
the same run and a resumed run continues bit for bit where it stopped. Because `update` reads nothing
back to the host and keeps every number it changes (learning rates, step counts, loss scales, health
counters) in device tensors, it runs the same eagerly, compiled whole with fullgraph=True, or captured
as one CUDA graph (engine.py decides which).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

from acgan.data.faces import FaceData, to_unit_range
from acgan.data.vocab import Vocabulary
from acgan.nets import ModelConfig, build_networks
from acgan.run.checkpoint import Checkpoint, CheckpointError, load_module, module_tensors
from acgan.train import engine
from acgan.train.augment import Augment
from acgan.train.engine import Placement
from acgan.train.losses import (
    BCE,
    CE,
    CLASS_LOSSES,
    OBJECTIVES,
    ClassLoss,
    LossWeights,
    Objective,
    discriminator_loss,
    generator_loss,
)
from acgan.train.optim import GuardedAdam
from acgan.train.settings import Settings, ema_decay, pair_power


@dataclass
class TrainState:
    """Everything that changes during training; saved whole in every checkpoint."""

    model_cfg: ModelConfig
    G: nn.Module
    D: nn.Module
    opt_g: GuardedAdam
    opt_d: GuardedAdam
    rng: torch.Generator
    step: int = 0
    G_ema: nn.Module | None = None  # the moving average of G's weights, when the recipe keeps one

    @property
    def sampler(self) -> nn.Module:
        """The generator that draws faces: the moving average when there is one."""
        return self.G_ema if self.G_ema is not None else self.G

    @property
    def sampler_name(self) -> str:
        return "G_ema" if self.G_ema is not None else "G"


@dataclass
class Runner:
    """The networks as this run calls them (compiled per module, wrapped for DDP) and its autocast."""

    G: Callable[..., torch.Tensor]  # G's forward
    D: Callable[..., Any]  # D's forward in D's step
    D_frozen: Callable[..., Any]  # D's forward in G's step: the bare module, so no gradient reaches D (or DDP)
    autocast: Callable[[], Any]
    objective: Objective = BCE
    classes: ClassLoss = CE
    memory_format: torch.memory_format = torch.contiguous_format
    placement: Placement = field(default_factory=lambda: Placement(torch.device("cpu")))


@dataclass
class DeviceData:
    """The dataset (this process's shard of it) resident on the device as uint8; batches drawn by index there."""

    images: torch.Tensor  # uint8 (N, H, W, 3)
    hair: torch.Tensor
    eyes: torch.Tensor
    pair_counts: torch.Tensor  # (n_hair * n_eyes,) real faces per colour pair, hair-major, over the whole dataset

    @classmethod
    def from_faces(cls, data: FaceData, device: torch.device, rank: int = 0, world: int = 1) -> DeviceData:
        def put(array: np.ndarray) -> torch.Tensor:
            return torch.from_numpy(array[rank::world]).to(device)
        n_eyes = len(data.vocab.eyes)
        counts = np.bincount(data.hair * n_eyes + data.eyes, minlength=len(data.vocab.hair) * n_eyes)
        return cls(put(data.images), put(data.hair), put(data.eyes), torch.from_numpy(counts).float().to(device))


@dataclass
class Draws:
    """Every random number of one training step."""

    index: torch.Tensor  # (B,) the real faces
    z: torch.Tensor  # (B, z_dim) G's noise
    fake_hair: torch.Tensor  # (B,) the colours G is asked for
    fake_eyes: torch.Tensor
    real_target: torch.Tensor  # (B,) smoothed targets (read by the BCE loss only)
    fake_target: torch.Tensor
    seen_real: list[torch.Tensor]  # augmentation parameters: D on the reals,
    seen_fake: list[torch.Tensor]  # D on the fakes in D's step,
    seen_by_g: list[torch.Tensor]  # D on the fakes in G's step


def model_config(settings: Settings, vocab: Vocabulary) -> ModelConfig:
    recipe = settings.recipe_spec
    return ModelConfig(resolution=settings.resolution, width=settings.width, z_dim=settings.z_dim,
                       label_dim=settings.label_dim, n_hair=len(vocab.hair), n_eyes=len(vocab.eyes), arch=recipe.arch,
                       noise_in_blocks=recipe.noise_in_blocks,
                       fake_classes=CLASS_LOSSES[settings.class_loss].fake_classes)


def build_state(settings: Settings, model_cfg: ModelConfig, placement: Placement, precision: str = "fp32"
                ) -> TrainState:
    device = placement.device
    torch.manual_seed(settings.seed)  # weight initialisation: the same on every process
    layout = engine.memory_format(device, engine.compile_mode(settings.compile, placement))
    # torch's stubs leave out Module.to's memory_format, which it takes at run time.
    G, D = (net.to(device, memory_format=layout) for net in build_networks(model_cfg))  # type: ignore[call-overload]
    betas, scaling = (settings.beta1, settings.beta2), precision == "fp16"
    opt_g = GuardedAdam(list(G.parameters()), settings.lr_g, betas, loss_scaling=scaling)
    opt_d = GuardedAdam(list(D.parameters()), settings.lr_d, betas, loss_scaling=scaling)
    # Each process draws its own batches, noise and labels; process 0 draws what a single process would.
    rng = torch.Generator(device).manual_seed(settings.seed + 7919 * placement.rank)
    G_ema = copy.deepcopy(G).requires_grad_(False) if settings.ema_half_life else None
    return TrainState(model_cfg, G, D, opt_g, opt_d, rng, G_ema=G_ema)


def build_runner(state: TrainState, settings: Settings, placement: Placement, precision: str) -> Runner:
    mode = engine.compile_mode(settings.compile, placement)
    per_module = mode == "modules"
    return Runner(G=engine.compiled(engine.distributed(state.G, placement), per_module),
                  D=engine.compiled(engine.distributed(state.D, placement), per_module),
                  D_frozen=engine.compiled(state.D, per_module),
                  autocast=lambda: engine.autocast(placement.device, precision),
                  objective=OBJECTIVES[settings.recipe_spec.objective], classes=CLASS_LOSSES[settings.class_loss],
                  memory_format=engine.memory_format(placement.device, mode), placement=placement)


@torch.no_grad()
def moving_average(average: nn.Module, model: nn.Module, decay: float, step: torch.Tensor) -> None:
    """average <- decay * average + (1 - decay) * model; buffers (BatchNorm statistics) copied.

    The decay ramps up over the first steps ((1 + step) / (10 + step)), so the average does not
    spend thousands of steps forgetting the random initial weights. `step` is a device tensor, so
    the ramp needs no host value."""
    rate = 1.0 - torch.clamp((1.0 + step) / (10.0 + step), max=decay)
    averaged: list[torch.Tensor] = list(average.parameters())
    current: list[torch.Tensor] = list(model.parameters())
    # average += rate * (model - average), with the rate a device tensor: foreach lerp would read it on the host.
    gap = list(torch._foreach_sub(current, averaged))
    torch._foreach_mul_(gap, rate)
    torch._foreach_add_(averaged, gap)
    for mine, theirs in zip(average.buffers(), model.buffers(), strict=True):
        mine.copy_(theirs)


def pair_cdf(fake_pairs: str, pair_counts: torch.Tensor) -> torch.Tensor | None:
    """The cumulative distribution of the colour pairs G is asked for; None: uniform over every pair.

    'data^A' asks for a pair with c real faces in proportion to c^A (never a pair without faces): A = 1 follows
    the data, smaller A flattens it towards every real pair alike."""
    power = pair_power(fake_pairs)
    if power is None:
        return None
    weights = torch.where(pair_counts > 0, pair_counts.clamp(min=1) ** power, torch.zeros_like(pair_counts))
    return torch.cumsum(weights / weights.sum(), 0)


def fake_labels(model_cfg: ModelConfig, batch: int, paired: bool, rng: torch.Generator,
                cdf: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """The colours G is asked for: uniform over the pairs, or drawn from `cdf` (pair_cdf); with `paired`, the
    batch's second half repeats the first half's labels (what the mode-seeking term compares)."""
    drawn = (batch + 1) // 2 if paired else batch
    device = rng.device
    if cdf is None:
        hair = torch.randint(model_cfg.n_hair, (drawn,), device=device, generator=rng)
        eyes = torch.randint(model_cfg.n_eyes, (drawn,), device=device, generator=rng)
    else:  # inverse-CDF sampling: no host synchronisation, so a captured step can hold it
        u = torch.rand(drawn, device=device, generator=rng)
        pair = torch.searchsorted(cdf, u, right=True).clamp(max=len(cdf) - 1)
        hair, eyes = pair // model_cfg.n_eyes, pair % model_cfg.n_eyes
    if paired:
        hair, eyes = hair.repeat(2)[:batch], eyes.repeat(2)[:batch]
    return hair, eyes


class Counters:
    """The numbers of the steps since the last log line, summed on the device inside the step, and the
    skipped steps in a row; the host reads them only when it logs."""

    def __init__(self, names: tuple[str, ...], device: torch.device) -> None:
        self.names = names
        self.sums = torch.zeros(len(names), device=device)
        self.streak = torch.zeros((), device=device)  # skipped steps in a row, now
        self.worst_streak = torch.zeros((), device=device)  # and at most, since the last read

    @torch.no_grad()
    def add(self, stats: dict[str, torch.Tensor]) -> None:
        self.sums.add_(torch.stack([stats[name].float() for name in self.names]))
        skipped = torch.maximum(stats["skipped_d"], stats["skipped_g"])
        self.streak.mul_(skipped).add_(skipped)  # (streak + 1) * skipped
        torch.maximum(self.worst_streak, self.streak, out=self.worst_streak)

    def read(self) -> tuple[dict[str, torch.Tensor], int]:
        """The sums by name and the worst streak, then zeroed (in place: a captured step keeps its tensors)."""
        sums = dict(zip(self.names, self.sums.clone(), strict=True))
        worst = int(self.worst_streak)
        self.sums.zero_()
        self.worst_streak.copy_(self.streak)
        return sums, worst


class TrainStep:
    """One training step of a run: `draw()` then `update(draws)`; calling it does both and counts the step."""

    def __init__(self, state: TrainState, runner: Runner, data: DeviceData, settings: Settings,
                 weights: LossWeights) -> None:
        self.state, self.runner, self.data, self.settings, self.weights = state, runner, data, settings, weights
        self.augment = Augment(settings.augment)
        device = data.images.device
        names = ("d_loss", "d_real_hair_acc", "d_real_eye_acc", "g_loss") + (("g_spread",) if weights.mode_seeking
                                                                              else ()) + ("skipped_d", "skipped_g")
        self.counters = Counters(names, device)
        self.ema_step = torch.tensor(float(state.step), device=device)  # the average's ramp, counted on the device
        self.ema_decay = ema_decay(settings, runner.placement.world)
        self.pair_cdf = pair_cdf(settings.fake_pairs, data.pair_counts)

    def draw(self) -> Draws:
        rng, batch, cfg, s = self.state.rng, self.settings.batch_size, self.state.model_cfg, self.settings
        device, size = rng.device, cfg.resolution
        index = torch.randint(len(self.data.images), (batch,), device=device, generator=rng)
        z = torch.randn(batch, cfg.z_dim, device=device, generator=rng)
        fake_hair, fake_eyes = fake_labels(cfg, batch, paired=bool(self.weights.mode_seeking), rng=rng,
                                           cdf=self.pair_cdf)
        real_target = torch.empty(batch, device=device).uniform_(s.real_target_min, s.real_target_max, generator=rng)
        fake_target = torch.empty(batch, device=device).uniform_(s.fake_target_min, s.fake_target_max, generator=rng)
        return Draws(index, z, fake_hair, fake_eyes, real_target, fake_target, self.augment.draw(batch, size, rng),
                     self.augment.draw(batch, size, rng), self.augment.draw(batch, size, rng))

    def update(self, d: Draws) -> None:
        """One D update and one G update through D; then the average of G and the counters."""
        state, runner, weights = self.state, self.runner, self.weights
        real, real_hair, real_eyes = self.real_batch(d.index)
        with runner.autocast():
            fake = runner.G(d.z, d.fake_hair, d.fake_eyes)
            d_loss, d_stats = discriminator_loss(
                runner.D, self.augment(real, d.seen_real), real_hair, real_eyes, self.augment(fake, d.seen_fake),
                d.fake_hair, d.fake_eyes, d.real_target, d.fake_target, weights, runner.objective, runner.classes)
        d_skipped = state.opt_d.step(d_loss)

        # G learns through D; its optimizer's backward reaches G's weights alone. D stays in training mode,
        # so its BatchNorm normalises this batch with the batch's own statistics, exactly as in D's step (the
        # Keras version of this recipe froze BatchNorm onto its moving averages here and learned nothing).
        def critic(images: torch.Tensor, hair: torch.Tensor, eyes: torch.Tensor) -> Any:
            return runner.D_frozen(self.augment(images, d.seen_by_g), hair, eyes)

        with runner.autocast():
            g_loss, g_stats = generator_loss(critic, fake, d.fake_hair, d.fake_eyes, weights, runner.objective, d.z,
                                             runner.classes)
        g_skipped = state.opt_g.step(g_loss)
        self.ema_step.add_(1.0)
        if state.G_ema is not None:
            moving_average(state.G_ema, state.G, self.ema_decay, self.ema_step)
        self.counters.add({**d_stats, **g_stats, "skipped_d": d_skipped, "skipped_g": g_skipped})

    def real_batch(self, index: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """The real faces at `index` as floats in [-1, 1], with their labels."""
        images = to_unit_range(self.data.images[index]).contiguous(memory_format=self.runner.memory_format)
        return images, self.data.hair[index], self.data.eyes[index]

    def eager(self) -> None:
        self.update(self.draw())


def loss_weights(settings: Settings) -> LossWeights:
    return LossWeights(settings.validity_weight, settings.class_weight, settings.fake_label_weight,
                       settings.mode_seeking)


def state_tensors(state: TrainState, placement: Placement) -> dict[str, torch.Tensor]:
    """The state as tensors; collective under DDP (every process's RNG state is gathered)."""
    rng = torch.stack(engine.gather_tensor(state.rng.get_state(), placement))
    tensors = {**module_tensors("G", state.G), **module_tensors("D", state.D), **state.opt_g.state_tensors("opt_g"),
               **state.opt_d.state_tensors("opt_d"), "rng.train": rng}
    if state.G_ema is not None:
        tensors.update(module_tensors("G_ema", state.G_ema))
    return tensors


def restore_state(state: TrainState, checkpoint: Checkpoint, settings: Settings, placement: Placement) -> None:
    """The checkpoint's state, then the settings' learning rates (so an --override of one is in force)."""
    tensors, scalers = checkpoint.tensors, checkpoint.record.info.get("scalers", {})
    load_module("G", state.G, tensors)
    load_module("D", state.D, tensors)
    if state.G_ema is not None:
        load_module("G_ema", state.G_ema, tensors)
    try:
        state.opt_g.load_state("opt_g", tensors, scalers.get("opt_g"))
        state.opt_d.load_state("opt_d", tensors, scalers.get("opt_d"))
        state.rng.set_state(engine.own_part(list(tensors["rng.train"]), placement))
    except (KeyError, TypeError, ValueError, RuntimeError) as err:
        raise CheckpointError(f"{checkpoint.path}: the training state is incomplete or damaged ({err})") from None
    state.opt_g.set_lr(settings.lr_g)
    state.opt_d.set_lr(settings.lr_d)
    state.step = checkpoint.step

"""One training step and the state it changes: G, D, their optimizers, the run's random generator.

    TrainState   everything a step changes, saved whole in every checkpoint (state_tensors / restore_state)
    Runner       how this run calls the networks (augmented, compiled, wrapped for DDP, autocast)
    train_step   one D update and one G update through D; its numbers stay on the device

Everything random in a step is drawn from one torch.Generator on the training device, so a fixed
--seed gives the same run and a resumed run continues bit for bit where it stopped. How the step
executes (precision, compilation, several processes) is engine.py's business.
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
from acgan.train.engine import GuardedOptimizer, Placement
from acgan.train.losses import BCE, OBJECTIVES, LossWeights, Objective, discriminator_loss, generator_loss
from acgan.train.settings import Settings


@dataclass
class TrainState:
    """Everything that changes during training; saved whole in every checkpoint."""

    model_cfg: ModelConfig
    G: nn.Module
    D: nn.Module
    opt_g: GuardedOptimizer
    opt_d: GuardedOptimizer
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
    """The step's callables as this run executes them (recipe, augmentation, compiled, DDP, autocast)."""

    G: Callable[..., torch.Tensor]  # G's forward
    D: Callable[..., Any]  # D's forward in D's step (augmented images)
    D_frozen: Callable[..., Any]  # D's forward in G's step: the bare module, so no gradient reaches D (or DDP)
    autocast: Callable[[], Any]
    objective: Objective = BCE
    after_g_step: Callable[[TrainState], None] = lambda state: None
    memory_format: torch.memory_format = torch.contiguous_format
    placement: Placement = field(default_factory=lambda: Placement(torch.device("cpu")))


@dataclass
class DeviceData:
    """The dataset (this process's shard of it) resident on the device as uint8; batches drawn by index there."""

    images: torch.Tensor  # uint8 (N, H, W, 3)
    hair: torch.Tensor
    eyes: torch.Tensor

    @classmethod
    def from_faces(cls, data: FaceData, device: torch.device, rank: int = 0, world: int = 1) -> DeviceData:
        def put(array: np.ndarray) -> torch.Tensor:
            return torch.from_numpy(array[rank::world]).to(device)
        return cls(put(data.images), put(data.hair), put(data.eyes))

    def sample(self, batch: int, rng: torch.Generator) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        index = torch.randint(len(self.images), (batch,), device=self.images.device, generator=rng)
        return to_unit_range(self.images[index]), self.hair[index], self.eyes[index]


def model_config(settings: Settings, vocab: Vocabulary) -> ModelConfig:
    recipe = settings.recipe_spec
    return ModelConfig(resolution=settings.resolution, width=settings.width, z_dim=settings.z_dim,
                       label_dim=settings.label_dim, n_hair=len(vocab.hair), n_eyes=len(vocab.eyes), arch=recipe.arch,
                       noise_in_blocks=recipe.noise_in_blocks)


def build_state(settings: Settings, model_cfg: ModelConfig, placement: Placement, precision: str = "fp32"
                ) -> TrainState:
    device = placement.device
    torch.manual_seed(settings.seed)  # weight initialisation: the same on every process
    layout = engine.memory_format(device, engine.use_compile(settings.compile, device))
    # torch's stubs leave out Module.to's memory_format, which it takes at run time.
    G, D = (net.to(device, memory_format=layout) for net in build_networks(model_cfg))  # type: ignore[call-overload]
    betas = (settings.beta1, settings.beta2)
    opt_g = GuardedOptimizer(engine.make_adam(G.parameters(), settings.lr_g, betas, device), device, precision)
    opt_d = GuardedOptimizer(engine.make_adam(D.parameters(), settings.lr_d, betas, device), device, precision)
    # Each process draws its own batches, noise and labels; process 0 draws what a single process would.
    rng = torch.Generator(device).manual_seed(settings.seed + 7919 * placement.rank)
    G_ema = copy.deepcopy(G).requires_grad_(False) if settings.ema else None
    return TrainState(model_cfg, G, D, opt_g, opt_d, rng, G_ema=G_ema)


def build_runner(state: TrainState, settings: Settings, placement: Placement, precision: str) -> Runner:
    use_compile = engine.use_compile(settings.compile, placement.device)
    augment = Augment(settings.augment, state.rng)

    def seen_through_augmentation(D: Callable[..., Any]) -> Callable[..., Any]:
        return D if not augment.names else lambda images, hair, eyes: D(augment(images), hair, eyes)

    def update_ema(state: TrainState) -> None:
        assert state.G_ema is not None
        moving_average(state.G_ema, state.G, settings.ema, state.step)

    return Runner(G=engine.compiled(engine.distributed(state.G, placement), use_compile),
                  D=seen_through_augmentation(engine.compiled(engine.distributed(state.D, placement), use_compile)),
                  D_frozen=seen_through_augmentation(engine.compiled(state.D, use_compile)),
                  autocast=lambda: engine.autocast(placement.device, precision),
                  objective=OBJECTIVES[settings.recipe_spec.objective],
                  after_g_step=update_ema if state.G_ema is not None else Runner.after_g_step,
                  memory_format=engine.memory_format(placement.device, use_compile), placement=placement)


@torch.no_grad()
def moving_average(average: nn.Module, model: nn.Module, decay: float, step: int) -> None:
    """average <- decay * average + (1 - decay) * model; buffers (BatchNorm statistics) copied.

    The decay ramps up over the first steps ((1 + step) / (10 + step)), so the average does not
    spend thousands of steps forgetting the random initial weights."""
    decay = min(decay, (1 + step) / (10 + step))
    torch._foreach_lerp_(list(average.parameters()), list(model.parameters()), 1 - decay)
    for mine, theirs in zip(average.buffers(), model.buffers(), strict=True):
        mine.copy_(theirs)


def uniform(batch: int, low: float, high: float, rng: torch.Generator, device: torch.device) -> torch.Tensor:
    return torch.empty(batch, device=device).uniform_(low, high, generator=rng)


def fake_labels(model_cfg: ModelConfig, batch: int, paired: bool,
                rng: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """The colours G is asked for: uniform over the pairs; with `paired`, the batch's second half
    repeats the first half's labels (what the mode-seeking term compares)."""
    drawn = (batch + 1) // 2 if paired else batch
    device = rng.device
    hair = torch.randint(model_cfg.n_hair, (drawn,), device=device, generator=rng)
    eyes = torch.randint(model_cfg.n_eyes, (drawn,), device=device, generator=rng)
    if paired:
        hair, eyes = hair.repeat(2)[:batch], eyes.repeat(2)[:batch]
    return hair, eyes


def train_step(state: TrainState, runner: Runner, data: DeviceData, settings: Settings,
               weights: LossWeights) -> dict[str, torch.Tensor]:
    """One D update and one G update; returns the step's numbers as device tensors (no host sync)."""
    rng, batch, device = state.rng, settings.batch_size, data.images.device
    real, real_hair, real_eyes = data.sample(batch, rng)
    real = real.contiguous(memory_format=runner.memory_format)
    z = torch.randn(batch, state.model_cfg.z_dim, device=device, generator=rng)
    fake_hair, fake_eyes = fake_labels(state.model_cfg, batch, paired=bool(weights.mode_seeking), rng=rng)
    real_target = uniform(batch, settings.real_target_min, settings.real_target_max, rng, device)
    fake_target = uniform(batch, settings.fake_target_min, settings.fake_target_max, rng, device)
    with runner.autocast():
        fake = runner.G(z, fake_hair, fake_eyes)
        d_loss, d_stats = discriminator_loss(runner.D, real, real_hair, real_eyes, fake, fake_hair, fake_eyes,
                                             real_target, fake_target, weights, runner.objective)
    d_skipped = state.opt_d.step(d_loss)

    # G learns through D with D's weights held still. D stays in training mode, so its BatchNorm
    # normalises this batch with the batch's own statistics, exactly as in D's step (the Keras
    # version of this recipe froze BatchNorm onto its moving averages here and learned nothing).
    state.D.requires_grad_(False)
    with runner.autocast():
        g_loss, g_stats = generator_loss(runner.D_frozen, fake, fake_hair, fake_eyes, weights, runner.objective, z)
    g_skipped = state.opt_g.step(g_loss)
    state.D.requires_grad_(True)
    state.step += 1
    runner.after_g_step(state)
    return {**d_stats, **g_stats, "skipped_d": d_skipped, "skipped_g": g_skipped}


def loss_weights(settings: Settings) -> LossWeights:
    return LossWeights(settings.validity_weight, settings.class_weight, settings.fake_label_weight,
                       settings.mode_seeking)


def state_tensors(state: TrainState, placement: Placement) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """The state as tensors and JSON; collective under DDP (every process's RNG state is gathered)."""
    g_opt, g_opt_meta = optimizer_tensors("opt_g", state.opt_g.optimizer)
    d_opt, d_opt_meta = optimizer_tensors("opt_d", state.opt_d.optimizer)
    rng = torch.stack(engine.gather_tensor(state.rng.get_state(), placement))
    tensors = {**module_tensors("G", state.G), **module_tensors("D", state.D), **g_opt, **d_opt, "rng.train": rng}
    if state.G_ema is not None:
        tensors.update(module_tensors("G_ema", state.G_ema))
    training = {"optimizers": {"opt_g": g_opt_meta, "opt_d": d_opt_meta},
                "scalers": {"opt_g": state.opt_g.state_dict(), "opt_d": state.opt_d.state_dict()}}
    return tensors, training


def restore_state(state: TrainState, checkpoint: Checkpoint, settings: Settings, placement: Placement) -> None:
    """The checkpoint's state, then the settings' learning rates and betas (so an --override is in force)."""
    tensors, training = checkpoint.tensors, checkpoint.record.training
    load_module("G", state.G, tensors)
    load_module("D", state.D, tensors)
    if state.G_ema is not None:
        load_module("G_ema", state.G_ema, tensors)
    try:
        load_optimizer("opt_g", state.opt_g.optimizer, tensors, training["optimizers"]["opt_g"])
        load_optimizer("opt_d", state.opt_d.optimizer, tensors, training["optimizers"]["opt_d"])
        state.opt_g.load_state_dict(training["scalers"]["opt_g"])
        state.opt_d.load_state_dict(training["scalers"]["opt_d"])
        state.rng.set_state(engine.own_part(list(tensors["rng.train"]), placement))
    except (KeyError, TypeError, ValueError, RuntimeError) as err:
        raise CheckpointError(f"{checkpoint.path}: the training state is incomplete or damaged ({err})") from None
    for optimizer, lr in ((state.opt_g.optimizer, settings.lr_g), (state.opt_d.optimizer, settings.lr_d)):
        for group in optimizer.param_groups:
            group["lr"], group["betas"] = lr, (settings.beta1, settings.beta2)
    state.step = checkpoint.step


def optimizer_tensors(prefix: str, optimizer: torch.optim.Optimizer) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """An optimizer's per-parameter state as tensors and its hyper-parameters as JSON."""
    state = optimizer.state_dict()
    tensors = {f"{prefix}.{index}.{key}": value
               for index, slots in state["state"].items() for key, value in slots.items()}
    return tensors, {"param_groups": state["param_groups"]}


def load_optimizer(prefix: str, optimizer: torch.optim.Optimizer, tensors: dict[str, torch.Tensor],
                   meta: dict[str, Any]) -> None:
    state: dict[int, dict[str, torch.Tensor]] = {}
    for key, value in tensors.items():
        head, _, rest = key.partition(".")
        if head == prefix:
            index, _, slot = rest.partition(".")
            state.setdefault(int(index), {})[slot] = value
    groups = [{k: tuple(v) if k == "betas" else v for k, v in group.items()} for group in meta["param_groups"]]
    optimizer.load_state_dict({"state": state, "param_groups": groups})

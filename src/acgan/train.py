"""The training loop: one run folder, one flat loop, read top to bottom.

    open the run (new, or resumed with its settings checked) -> load the data onto the device
    -> build G, D, their optimizers and the run's random generator (or restore them all)
    -> for each step: sample a batch -> D update -> G update through D -> log
       -> every N steps: sample grid, checkpoint, light evaluation
    -> last checkpoint and grid

Everything random in a step is drawn from one torch.Generator on the training device, so a fixed
--seed gives the same run and a resumed run continues bit for bit where it stopped. How the step
executes (precision, compilation, several processes) is engine.py's business. Ctrl-C finishes the
current step, saves a checkpoint and exits cleanly (a second Ctrl-C stops at once).
"""

from __future__ import annotations

import copy
import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import torch
from torch import nn
from tqdm import tqdm

from acgan import engine
from acgan.augment import Augment
from acgan.checkpoint import (
    Checkpoint,
    checkpoint_dir,
    latest_checkpoint,
    load_module,
    load_optimizer,
    module_tensors,
    optimizer_tensors,
    prune,
    save_checkpoint,
    tidy,
)
from acgan.config import OBJECTIVE_OF_RECIPE, ConfigError, TrainConfig
from acgan.data import FaceData, builtin_data, load_folder, to_unit_range
from acgan.engine import GuardedOptimizer, Placement
from acgan.evaluate import BestKeeper
from acgan.generate import FaceGenerator, pairs_grid
from acgan.health import CollapseWatch, DivergenceError, report
from acgan.losses import BCE, OBJECTIVES, LossWeights, Objective, discriminator_loss, generator_loss
from acgan.models import ModelConfig, build_networks
from acgan.runfolder import (
    RunLog,
    StopRequest,
    code_version,
    find_latest_run,
    new_run_dir,
    resumed_config,
    truncate_log,
)
from acgan.tagger import load_tagger
from acgan.vocab import Vocabulary

SAMPLE_SEED = 1000  # the fixed noise of every sample grid in every run


@dataclass
class TrainState:
    """Everything that changes during training; saved whole in every checkpoint."""

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


@dataclass
class Runner:
    """The step's callables as this run executes them (recipe, augmentation, compiled, DDP, autocast)."""

    G: Callable  # G's forward
    D: Callable  # D's forward in D's step (augmented images)
    D_frozen: Callable  # D's forward in G's step: the bare module, so no gradient reaches D (or DDP)
    autocast: Callable
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
        def put(array: object) -> torch.Tensor:
            return torch.from_numpy(array[rank::world]).to(device)
        return cls(put(data.images), put(data.hair), put(data.eyes))

    def sample(self, batch: int, rng: torch.Generator) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        index = torch.randint(len(self.images), (batch,), device=self.images.device, generator=rng)
        return to_unit_range(self.images[index]), self.hair[index], self.eyes[index]


def build_state(cfg: TrainConfig, model_cfg: ModelConfig, placement: Placement, precision: str = "fp32") -> TrainState:
    device = placement.device
    torch.manual_seed(cfg.seed)  # weight initialisation: the same on every process
    layout = engine.memory_format(device, engine.use_compile(cfg.compile, device))
    G, D = (net.to(device, memory_format=layout) for net in build_networks(model_cfg))
    betas = (cfg.beta1, cfg.beta2)
    opt_g = GuardedOptimizer(engine.make_adam(G.parameters(), cfg.lr_g, betas, device), device, precision)
    opt_d = GuardedOptimizer(engine.make_adam(D.parameters(), cfg.lr_d, betas, device), device, precision)
    # Each process draws its own batches, noise and labels; process 0 draws what a single process would.
    rng = torch.Generator(device).manual_seed(cfg.seed + 7919 * placement.rank)
    G_ema = copy.deepcopy(G).requires_grad_(False) if cfg.ema else None
    return TrainState(G, D, opt_g, opt_d, rng, G_ema=G_ema)


def build_runner(state: TrainState, cfg: TrainConfig, placement: Placement, precision: str) -> Runner:
    use_compile = engine.use_compile(cfg.compile, placement.device)
    augment = Augment(cfg.augment or "none", state.rng)

    def seen_through_augmentation(D: Callable) -> Callable:
        return D if not augment.names else lambda images, hair, eyes: D(augment(images), hair, eyes)

    def update_ema(state: TrainState) -> None:
        moving_average(state.G_ema, state.G, cfg.ema, state.step)

    return Runner(G=engine.compiled(engine.distributed(state.G, placement), use_compile),
                  D=seen_through_augmentation(engine.compiled(engine.distributed(state.D, placement), use_compile)),
                  D_frozen=seen_through_augmentation(engine.compiled(state.D, use_compile)),
                  autocast=lambda: engine.autocast(placement.device, precision),
                  objective=OBJECTIVES[OBJECTIVE_OF_RECIPE[cfg.recipe]],
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


def train_step(state: TrainState, runner: Runner, data: DeviceData, cfg: TrainConfig,
               weights: LossWeights) -> dict[str, torch.Tensor]:
    """One D update and one G update; returns the step's numbers as device tensors (no host sync)."""
    rng, batch, device = state.rng, cfg.batch_size, data.images.device
    real, real_hair, real_eyes = data.sample(batch, rng)
    real = real.contiguous(memory_format=runner.memory_format)
    z = torch.randn(batch, state.G.cfg.z_dim, device=device, generator=rng)
    fake_hair, fake_eyes = fake_labels(state.G.cfg, batch, paired=bool(weights.mode_seeking), rng=rng)
    real_target = uniform(batch, cfg.real_target_min, cfg.real_target_max, rng, device)
    fake_target = uniform(batch, cfg.fake_target_min, cfg.fake_target_max, rng, device)
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


def state_tensors(state: TrainState, placement: Placement) -> tuple[dict[str, torch.Tensor], dict]:
    """The state as tensors and JSON; collective under DDP (every process's RNG state is gathered)."""
    g_opt, g_opt_meta = optimizer_tensors("opt_g", state.opt_g.optimizer)
    d_opt, d_opt_meta = optimizer_tensors("opt_d", state.opt_d.optimizer)
    rng = torch.stack(engine.gather_tensor(state.rng.get_state(), placement))
    tensors = {**module_tensors("G", state.G), **module_tensors("D", state.D), **g_opt, **d_opt, "rng.train": rng}
    if state.G_ema is not None:
        tensors.update(module_tensors("G_ema", state.G_ema))
    meta = {"optimizers": {"opt_g": g_opt_meta, "opt_d": d_opt_meta},
            "scalers": {"opt_g": state.opt_g.state_dict(), "opt_d": state.opt_d.state_dict()}}
    return tensors, meta


def restore_state(state: TrainState, checkpoint: Checkpoint, placement: Placement) -> None:
    tensors, meta = checkpoint.tensors, checkpoint.meta
    load_module("G", state.G, tensors)
    load_module("D", state.D, tensors)
    if state.G_ema is not None:
        load_module("G_ema", state.G_ema, tensors)
    load_optimizer("opt_g", state.opt_g.optimizer, tensors, meta["optimizers"]["opt_g"])
    load_optimizer("opt_d", state.opt_d.optimizer, tensors, meta["optimizers"]["opt_d"])
    state.opt_g.load_state_dict(meta["scalers"]["opt_g"])
    state.opt_d.load_state_dict(meta["scalers"]["opt_d"])
    state.rng.set_state(engine.own_part(list(tensors["rng.train"]), placement))
    state.step = checkpoint.step


def load_data(cfg: TrainConfig) -> FaceData:
    if cfg.data is None:
        return builtin_data(cfg.builtin_faces, cfg.resolution, seed=cfg.seed)
    return load_folder(cfg.data, cfg.resolution, cfg.vocab, cfg.skip_bad)


def model_config(cfg: TrainConfig, vocab: Vocabulary) -> ModelConfig:
    return ModelConfig(resolution=cfg.resolution, width=cfg.width, z_dim=cfg.z_dim, label_dim=cfg.label_dim,
                       n_hair=len(vocab.hair), n_eyes=len(vocab.eyes), arch=cfg.recipe,
                       noise_in_blocks=cfg.recipe == "modern")


def open_run(cfg: TrainConfig, resume: str | None, overrides: dict | None,
             given: dict | None) -> tuple[TrainConfig, Path]:
    if resume:
        run = find_latest_run() if resume == "auto" else Path(resume)
        latest_checkpoint(run)  # fail early, before any data is loaded
        return resumed_config(run, given or {}, overrides or {}), run
    cfg = cfg.resolved()
    return cfg, new_run_dir(cfg.out)


def train(cfg: TrainConfig, resume: str | None = None, overrides: dict | None = None,
          given: dict | None = None) -> Path:
    """Run (or continue) training; returns the run folder."""
    placement = engine.place(cfg.device)
    finished = False
    try:
        run = _train(cfg, resume, overrides, given, placement)
        finished = True
        return run
    finally:
        engine.leave(placement, finished)


def _train(cfg: TrainConfig, resume: str | None, overrides: dict | None, given: dict | None,
           placement: Placement) -> Path:
    opened: object = None
    if placement.is_main:
        try:
            opened = open_run(cfg, resume, overrides, given)[:2]
        except (ConfigError, ValueError) as err:
            opened = err
    cfg, run = engine.broadcast_object(opened, placement)
    checkpoint = latest_checkpoint(run) if resume else None
    precision = engine.resolve_precision(cfg.precision, placement.device)
    data = load_data(cfg)
    say = print if placement.is_main else (lambda *args: None)
    say(f"data: {len(data)} faces from {data.source} at {data.resolution} px")
    say(data.counts_table())
    for note in data.notes:
        say(f"note: {note}")
    # A resumed run rebuilds the networks its checkpoint holds, even if newer code would build others.
    model_cfg = ModelConfig.from_json(checkpoint.meta["model"]) if checkpoint else model_config(cfg, data.vocab)
    state = build_state(cfg, model_cfg, placement, precision)
    meta = {"model": model_cfg.to_json(), "vocab": data.vocab.to_json(), "config": cfg.to_json()}
    if checkpoint is not None:
        if checkpoint.meta["vocab"] != data.vocab.to_json():
            raise ConfigError(f"--resume {run}: the data's colours differ from the run's vocabulary")
        restore_state(state, checkpoint, placement)
        if placement.is_main:
            truncate_log(run / "log.jsonl", state.step)
        say(f"resuming {run} from step {state.step}")
    elif placement.is_main:
        record = {**meta, "data": {"source": data.source, "faces": len(data), "notes": data.notes},
                  "acgan_version": code_version(), "torch_version": torch.__version__,
                  "device": str(placement.device), "processes": placement.world, "precision": precision,
                  "created": datetime.now().isoformat(timespec="seconds")}
        (run / "config.json").write_text(json.dumps(record, indent=2))
    keeper = best_keeper(cfg, data, run, placement) if cfg.eval_every and placement.is_main else None
    runner = build_runner(state, cfg, placement, precision)
    say(f"training on {placement.device} (x{placement.world} processes), {precision}, "
        f"torch.compile {'on' if engine.use_compile(cfg.compile, placement.device) else 'off'}")
    loop(state, runner, DeviceData.from_faces(data, placement.device, placement.rank, placement.world),
         cfg, run, meta, data.vocab, keeper)
    return run


def best_keeper(cfg: TrainConfig, data: FaceData, run: Path, placement: Placement) -> BestKeeper:
    best = checkpoint_dir(run) / "best.json"
    score = json.loads(best.read_text()).get("score", -math.inf) if best.exists() else -math.inf
    return BestKeeper(load_tagger(cfg.tagger, device=str(placement.device)), data, score)


def loop(state: TrainState, runner: Runner, data: DeviceData, cfg: TrainConfig, run: Path, meta: dict,
         vocab: Vocabulary, keeper: BestKeeper | None = None) -> None:
    placement = runner.placement
    weights = LossWeights(cfg.validity_weight, cfg.class_weight, cfg.fake_label_weight, cfg.mode_seeking or 0.0)
    if placement.is_main:
        (run / "samples").mkdir(exist_ok=True)
        tidy(checkpoint_dir(run))
    saved_step = state.step
    sampling_weights = "G_ema" if state.G_ema is not None else "G"

    def save(name: str | None = None, **extra_meta: float) -> None:
        nonlocal saved_step
        # Collective for step checkpoints (every process's RNG state is gathered for an exact resume);
        # a 'best' checkpoint is for sampling, written by process 0 alone.
        tensors, extra = state_tensors(state, placement if name is None else Placement(placement.device))
        if name is None and placement.distributed:
            extra["replicas_in_sync"] = engine.replicas_in_sync([state.G, state.D], placement)
            if not extra["replicas_in_sync"] and placement.is_main:
                tqdm.write(f"warning: the processes' weights differ at step {state.step}; saving rank 0's")
        if placement.is_main:
            save_checkpoint(checkpoint_dir(run), state.step, tensors,
                            {**meta, **extra, **extra_meta, "generator_weights": sampling_weights}, name=name)
            prune(checkpoint_dir(run), cfg.keep_checkpoints)
        if name is None:
            saved_step = state.step

    def sample() -> Path | None:
        path = run / "samples" / f"step-{state.step:08d}.png"
        try:
            pairs_grid(state.sampler, vocab, SAMPLE_SEED).save(path)
        except OSError as err:  # a full disk costs a picture, not the run (a checkpoint failure stops it)
            tqdm.write(f"warning: could not write {path}: {err}")
            return None
        return path

    bar = tqdm(total=cfg.steps, initial=state.step, desc="training", unit="step", dynamic_ncols=True,
               disable=not placement.is_main)
    log = RunLog(run / "log.jsonl", bar) if placement.is_main else None
    watch = CollapseWatch(data.images, state.G.cfg.n_hair, enabled=placement.is_main)
    totals: dict[str, torch.Tensor] = {}
    streak = worst_streak = torch.zeros((), device=placement.device)
    window_start, window_steps = time.perf_counter(), 0
    with StopRequest() as stop, bar:
        while state.step < cfg.steps:
            stats = train_step(state, runner, data, cfg, weights)
            # Consecutive skipped steps, counted on the device; read only when logging.
            skipped = torch.maximum(stats["skipped_d"], stats["skipped_g"])
            streak = (streak + 1) * skipped
            worst_streak = torch.maximum(worst_streak, streak)
            for key, value in stats.items():
                totals[key] = totals.get(key, 0) + value.detach().float()
            window_steps += 1
            bar.update(1)
            if state.step % cfg.log_every == 0 or state.step == cfg.steps:
                numbers = {k: float(v) if k.startswith("skipped") else float(v) / window_steps
                           for k, v in engine.all_mean(totals, placement).items()}
                rate = window_steps * cfg.batch_size * placement.world / (time.perf_counter() - window_start)
                numbers.update(watch.measure(state.sampler))
                if log is not None:
                    log.log(state.step, **numbers, images_per_s=round(rate, 1))
                    report(watch.warnings(state.step, numbers))
                if float(worst_streak) >= cfg.max_bad_steps:
                    raise DivergenceError(run, state.step, cfg.max_bad_steps, saved_step)
                totals, window_start, window_steps = {}, time.perf_counter(), 0
                if engine.any_rank(stop.requested, placement):
                    break
            elif not placement.distributed and stop.requested:
                break
            evaluating = keeper is not None and state.step % cfg.eval_every == 0
            if state.step % cfg.sample_every == 0 or state.step % cfg.checkpoint_every == 0 or evaluating:
                engine.average_buffers([state.G, state.D], placement)
            if placement.is_main and state.step % cfg.sample_every == 0:
                sample()
            if state.step % cfg.checkpoint_every == 0:
                if float(streak) == 0:
                    save()
                elif log is not None:  # never save a state in the middle of a run of skipped steps
                    tqdm.write(f"step {state.step}: the last {int(streak)} steps were skipped; checkpoint postponed")
            if evaluating:
                numbers, improved = keeper(FaceGenerator(state.sampler, vocab, str(run), state.step))
                log.log(state.step, **numbers)
                if improved:
                    save("best", score=numbers["eval_score"])
    engine.average_buffers([state.G, state.D], placement)
    if saved_step != state.step:
        save()
    if placement.is_main:
        final = sample()
        if final is not None:
            (run / "samples" / "latest.png").write_bytes(final.read_bytes())
        verb = "stopped" if state.step < cfg.steps else "finished"
        print(f"{verb} at step {state.step}: checkpoint in {checkpoint_dir(run)}, samples in {run / 'samples'} "
              f"(latest: {run / 'samples' / 'latest.png'})")

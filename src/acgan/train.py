"""The training loop: one run folder, one flat loop, read top to bottom.

    open the run (new, or resumed with its settings checked) -> load the data onto the device
    -> build G, D, their optimizers and the run's random generator (or restore them all)
    -> for each step: sample a batch -> D update -> G update through D -> log
       -> every N steps: sample grid, checkpoint
    -> last checkpoint and grid

Everything random in a step is drawn from one torch.Generator on the training device, so a fixed
--seed gives the same run and a resumed run continues bit for bit where it stopped. Ctrl-C finishes
the current step, saves a checkpoint and exits cleanly (a second Ctrl-C stops at once).
"""

from __future__ import annotations

import dataclasses
import json
import math
import signal
import subprocess
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import torch
from tqdm import tqdm

from acgan import __version__
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
)
from acgan.config import ConfigError, TrainConfig, diff
from acgan.data import FaceData, builtin_data, load_folder, to_unit_range
from acgan.evaluate import EvalSettings, evaluate, real_reference, selection_score
from acgan.generate import FaceGenerator, pairs_grid
from acgan.losses import LossWeights, discriminator_loss, generator_loss
from acgan.models import Discriminator, Generator, ModelConfig
from acgan.tagger import load_tagger
from acgan.vocab import Vocabulary

KEEP_CHECKPOINTS = 3
SAMPLE_SEED = 1000  # the fixed noise of every sample grid in every run


@dataclass
class TrainState:
    """Everything that changes during training; saved whole in every checkpoint."""

    G: Generator
    D: Discriminator
    opt_g: torch.optim.Optimizer
    opt_d: torch.optim.Optimizer
    rng: torch.Generator
    step: int = 0


@dataclass
class DeviceData:
    """The dataset resident on the training device as uint8; batches are drawn by index there."""

    images: torch.Tensor  # uint8 (N, H, W, 3)
    hair: torch.Tensor
    eyes: torch.Tensor

    @classmethod
    def from_faces(cls, data: FaceData, device: torch.device) -> DeviceData:
        return cls(torch.from_numpy(data.images).to(device), torch.from_numpy(data.hair).to(device),
                   torch.from_numpy(data.eyes).to(device))

    def sample(self, batch: int, rng: torch.Generator) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        index = torch.randint(len(self.images), (batch,), device=self.images.device, generator=rng)
        return to_unit_range(self.images[index]), self.hair[index], self.eyes[index]


def build_state(cfg: TrainConfig, model_cfg: ModelConfig, device: torch.device) -> TrainState:
    torch.manual_seed(cfg.seed)  # weight initialisation
    G, D = Generator(model_cfg).to(device), Discriminator(model_cfg).to(device)
    opt_g = torch.optim.Adam(G.parameters(), lr=cfg.lr_g, betas=(cfg.beta1, cfg.beta2))
    opt_d = torch.optim.Adam(D.parameters(), lr=cfg.lr_d, betas=(cfg.beta1, cfg.beta2))
    return TrainState(G, D, opt_g, opt_d, torch.Generator(device).manual_seed(cfg.seed))


def uniform(batch: int, low: float, high: float, rng: torch.Generator, device: torch.device) -> torch.Tensor:
    return torch.empty(batch, device=device).uniform_(low, high, generator=rng)


def train_step(state: TrainState, data: DeviceData, cfg: TrainConfig, weights: LossWeights) -> dict[str, torch.Tensor]:
    """One D update and one G update; returns the step's numbers as tensors (no host sync)."""
    G, D, rng, batch = state.G, state.D, state.rng, cfg.batch_size
    device = data.images.device
    real, real_hair, real_eyes = data.sample(batch, rng)
    z = torch.randn(batch, G.cfg.z_dim, device=device, generator=rng)
    fake_hair = torch.randint(G.cfg.n_hair, (batch,), device=device, generator=rng)
    fake_eyes = torch.randint(G.cfg.n_eyes, (batch,), device=device, generator=rng)
    real_target = uniform(batch, cfg.real_target_min, cfg.real_target_max, rng, device)
    fake_target = uniform(batch, cfg.fake_target_min, cfg.fake_target_max, rng, device)
    fake = G(z, fake_hair, fake_eyes)

    d_loss, d_stats = discriminator_loss(D, real, real_hair, real_eyes, fake, fake_hair, fake_eyes,
                                         real_target, fake_target, weights)
    state.opt_d.zero_grad(set_to_none=True)
    d_loss.backward()
    state.opt_d.step()

    # G learns through D with D's weights held still. D stays in training mode, so its BatchNorm
    # normalises this batch with the batch's own statistics, exactly as in D's step (the Keras
    # version of this recipe froze BatchNorm onto its moving averages here and learned nothing).
    D.requires_grad_(False)
    g_loss, g_stats = generator_loss(D, fake, fake_hair, fake_eyes, weights)
    state.opt_g.zero_grad(set_to_none=True)
    g_loss.backward()
    state.opt_g.step()
    D.requires_grad_(True)
    state.step += 1
    return {**d_stats, **g_stats}


def state_tensors(state: TrainState) -> tuple[dict[str, torch.Tensor], dict]:
    g_opt, g_opt_meta = optimizer_tensors("opt_g", state.opt_g)
    d_opt, d_opt_meta = optimizer_tensors("opt_d", state.opt_d)
    tensors = {**module_tensors("G", state.G), **module_tensors("D", state.D), **g_opt, **d_opt,
               "rng.train": state.rng.get_state()}
    return tensors, {"optimizers": {"opt_g": g_opt_meta, "opt_d": d_opt_meta}}


def restore_state(state: TrainState, checkpoint: Checkpoint) -> None:
    tensors, meta = checkpoint.tensors, checkpoint.meta
    load_module("G", state.G, tensors)
    load_module("D", state.D, tensors)
    load_optimizer("opt_g", state.opt_g, tensors, meta["optimizers"]["opt_g"])
    load_optimizer("opt_d", state.opt_d, tensors, meta["optimizers"]["opt_d"])
    state.rng.set_state(tensors["rng.train"])
    state.step = checkpoint.step


class RunLog:
    """The one logging path: JSON lines in log.jsonl and the numbers on the progress bar."""

    def __init__(self, path: Path, bar: tqdm) -> None:
        self.path, self.bar = path, bar

    def log(self, step: int, **numbers: float) -> None:
        record = {"step": step, **{k: round(v, 5) if isinstance(v, float) else v for k, v in numbers.items()}}
        with open(self.path, "a") as handle:
            handle.write(json.dumps(record) + "\n")
        shown = {k: f"{numbers[k]:.3f}" for k in ("d_loss", "g_loss", "d_real_hair_acc") if k in numbers}
        self.bar.set_postfix(shown, refresh=False)


def truncate_log(path: Path, step: int) -> None:
    """Drop log lines after `step`: a resumed run rewrites them."""
    if path.exists():
        kept = [line for line in path.read_text().splitlines() if line and json.loads(line)["step"] <= step]
        path.write_text("".join(line + "\n" for line in kept))


class StopRequest:
    """Turns the first Ctrl-C into a request to stop after the current step; a second one interrupts."""

    def __init__(self) -> None:
        self.requested = False

    def __enter__(self) -> StopRequest:
        self.previous = signal.signal(signal.SIGINT, self.handle)
        return self

    def handle(self, signum: int, frame: object) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True
        tqdm.write("stopping after this step (Ctrl-C again to stop at once, without a checkpoint)")

    def __exit__(self, *exc: object) -> None:
        signal.signal(signal.SIGINT, self.previous)


def pick_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(name)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError(f"device {name!r} asked for, but CUDA is not available here")
    return device


def load_data(cfg: TrainConfig) -> FaceData:
    if cfg.data is None:
        return builtin_data(cfg.builtin_faces, cfg.resolution, seed=cfg.seed)
    return load_folder(cfg.data, cfg.resolution, cfg.vocab, cfg.skip_bad)


def load_run_data(meta: dict, data: Path | None = None) -> FaceData:
    """Real faces to judge a checkpoint against: `data`, else the run's own dataset (for the built-in
    faces, a fresh set drawn with another seed), at the run's resolution and in its vocabulary."""
    cfg = TrainConfig.from_json(meta["config"])
    vocab = Vocabulary.from_json(meta["vocab"])
    if data is None and cfg.data is None:
        return builtin_data(cfg.builtin_faces, cfg.resolution, seed=cfg.seed + 1)
    return load_folder(data or cfg.data, cfg.resolution, vocab, skip_bad=True)


class BestKeeper:
    """The light evaluation during training: logs its numbers and says when a checkpoint is the best yet."""

    def __init__(self, tagger_path: str, data: FaceData, run: Path, device: torch.device) -> None:
        self.tagger = load_tagger(tagger_path, device=str(device))
        self.settings = EvalSettings(per_pair=2, frechet_faces=min(500, len(data) // 2), seed=0)
        self.reference = real_reference(self.tagger, data, self.settings)
        self.data = data
        best = checkpoint_dir(run) / "best.json"
        self.best = json.loads(best.read_text()).get("score", -math.inf) if best.exists() else -math.inf

    def __call__(self, state: TrainState, source: str) -> tuple[dict[str, float], bool]:
        model = FaceGenerator(G=state.G, vocab=self.data.vocab, source=source, step=state.step)
        result = evaluate(model, self.tagger, self.data, self.settings, self.reference)
        score = selection_score(result)
        numbers = {"eval_hair": result["tag_accuracy"]["hair"], "eval_eyes": result["tag_accuracy"]["eyes"],
                   "eval_frechet_ratio": result["frechet"]["ratio"], "eval_diversity": result["diversity"]["ratio"],
                   "eval_score": score}
        improved = score > self.best
        self.best = max(self.best, score)
        return numbers, improved


def model_config(cfg: TrainConfig, vocab: Vocabulary) -> ModelConfig:
    return ModelConfig(resolution=cfg.resolution, width=cfg.width, z_dim=cfg.z_dim, label_dim=cfg.label_dim,
                       n_hair=len(vocab.hair), n_eyes=len(vocab.eyes))


def code_version() -> str:
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                                cwd=Path(__file__).parent, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = ""
    return f"{__version__}+{commit}" if commit else __version__


def new_run_dir(out: str | None) -> Path:
    run = Path(out or f"runs/{datetime.now():%Y%m%d-%H%M%S}")
    if checkpoint_dir(run).exists() and any(checkpoint_dir(run).iterdir()):
        raise ConfigError(f"{run} already holds a run; continue it with --resume {run} or choose another --out")
    run.mkdir(parents=True, exist_ok=True)
    return run


def find_latest_run(root: Path = Path("runs")) -> Path:
    runs = sorted((p for p in root.glob("*/config.json")), key=lambda p: p.stat().st_mtime)
    if not runs:
        raise ConfigError(f"--resume auto: no runs under {root}/")
    return runs[-1].parent


def resumed_config(run: Path, given: dict, overrides: dict) -> TrainConfig:
    """The run's own settings, with bookkeeping changes from `given` and maths changes only from `overrides`."""
    try:
        saved = TrainConfig.from_json(json.loads((run / "config.json").read_text())["config"], str(run / "config.json"))
    except FileNotFoundError:
        raise ConfigError(f"--resume {run}: no config.json there; is it a run folder?") from None
    wanted = dataclasses.replace(saved, **given, **overrides)
    changed = {k: v for k, v in diff(saved, wanted).items() if k not in overrides}
    if changed:
        lines = "\n".join(f"  {k}: {old!r} -> {new!r}" for k, (old, new) in changed.items())
        raise ConfigError(f"--resume {run}: these settings differ from the run's and would change its maths:\n"
                          f"{lines}\nleave them out, or name each with --override key=value to change it on purpose")
    return dataclasses.replace(wanted, out=str(run))


def train(cfg: TrainConfig, resume: str | None = None, overrides: dict | None = None,
          given: dict | None = None) -> Path:
    """Run (or continue) training; returns the run folder."""
    if resume:
        run = find_latest_run() if resume == "auto" else Path(resume)
        cfg = resumed_config(run, given or {}, overrides or {})
        checkpoint = latest_checkpoint(run)
    else:
        cfg = cfg.resolved()
        run, checkpoint = new_run_dir(cfg.out), None
    device = pick_device(cfg.device)

    data = load_data(cfg)
    print(f"data: {len(data)} faces from {data.source} at {data.resolution} px")
    print(data.counts_table())
    for note in data.notes:
        print(f"note: {note}")
    model_cfg = model_config(cfg, data.vocab)
    state = build_state(cfg, model_cfg, device)
    meta = {"model": model_cfg.to_json(), "vocab": data.vocab.to_json(), "config": cfg.to_json()}
    if checkpoint is not None:
        if checkpoint.meta["vocab"] != data.vocab.to_json():
            raise ConfigError(f"--resume {run}: the data's colours differ from the run's vocabulary")
        restore_state(state, checkpoint)
        truncate_log(run / "log.jsonl", state.step)
        print(f"resuming {run} from step {state.step}")
    else:
        record = {**meta, "data": {"source": data.source, "faces": len(data), "notes": data.notes},
                  "acgan_version": code_version(), "torch_version": torch.__version__, "device": str(device),
                  "created": datetime.now().isoformat(timespec="seconds")}
        (run / "config.json").write_text(json.dumps(record, indent=2))
    keeper = BestKeeper(cfg.tagger, data, run, device) if cfg.eval_every else None
    loop(state, DeviceData.from_faces(data, device), cfg, run, meta, data.vocab, keeper)
    return run


def loop(state: TrainState, data: DeviceData, cfg: TrainConfig, run: Path, meta: dict, vocab: Vocabulary,
         keeper: BestKeeper | None = None) -> None:
    weights = LossWeights(cfg.validity_weight, cfg.class_weight, cfg.fake_label_weight)
    (run / "samples").mkdir(exist_ok=True)

    def save(name: str | None = None, **extra_meta: float) -> None:
        tensors, extra = state_tensors(state)
        save_checkpoint(checkpoint_dir(run), state.step, tensors,
                        {**meta, **extra, **extra_meta, "generator_weights": "G"}, name=name)
        prune(checkpoint_dir(run), KEEP_CHECKPOINTS)

    def sample() -> Path:
        path = run / "samples" / f"step-{state.step:08d}.png"
        pairs_grid(state.G, vocab, SAMPLE_SEED).save(path)
        return path

    bar = tqdm(total=cfg.steps, initial=state.step, desc="training", unit="step", dynamic_ncols=True)
    log = RunLog(run / "log.jsonl", bar)
    totals: dict[str, torch.Tensor] = {}
    window_start, window_steps = time.perf_counter(), 0
    with StopRequest() as stop, bar:
        while state.step < cfg.steps and not stop.requested:
            stats = train_step(state, data, cfg, weights)
            for key, value in stats.items():
                totals[key] = totals.get(key, 0) + value.detach()
            window_steps += 1
            bar.update(1)
            if state.step % cfg.log_every == 0 or state.step == cfg.steps:
                elapsed = time.perf_counter() - window_start
                numbers = {k: float(v) / window_steps for k, v in totals.items()}
                log.log(state.step, **numbers, images_per_s=round(window_steps * cfg.batch_size / elapsed, 1))
                totals, window_start, window_steps = {}, time.perf_counter(), 0
            if state.step % cfg.sample_every == 0:
                sample()
            if state.step % cfg.checkpoint_every == 0:
                save()
            if keeper is not None and state.step % cfg.eval_every == 0:
                numbers, improved = keeper(state, str(run))
                log.log(state.step, **numbers)
                if improved:
                    save("best", score=numbers["eval_score"])
    save()
    final = sample()
    (run / "samples" / "latest.png").write_bytes(final.read_bytes())
    verb = "stopped" if state.step < cfg.steps else "finished"
    print(f"{verb} at step {state.step}: checkpoint in {checkpoint_dir(run)}, samples in {run / 'samples'} "
          f"(latest: {run / 'samples' / 'latest.png'})")

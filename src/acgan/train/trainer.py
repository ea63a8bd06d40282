"""The two ways to run training: `train(settings)` starts a new run, `resume(run, ...)` continues one.

    open the run (new: create its folder and config.json; resumed: read its settings, apply changes)
    -> load the data onto the device
    -> build G, D, their optimizers and the run's random generator (or restore them all)
    -> the loop (loop.py)

Under torchrun every process trains; process 0 alone opens the run folder and writes files.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path
from typing import Any

import torch

from acgan.data.builtin import builtin_data
from acgan.data.faces import FaceData
from acgan.data.folder import load_folder
from acgan.errors import ConfigError
from acgan.judge.evaluate import BestKeeper
from acgan.judge.tagger import load_tagger
from acgan.run.checkpoint import Checkpoint, CheckpointError, Record, checkpoint_dir, latest_checkpoint, load_checkpoint
from acgan.run.folder import code_version, find_latest_run, new_run_dir, read_run_config, truncate_log, write_config
from acgan.run.lock import folder_lock
from acgan.train import engine
from acgan.train.checkpointer import Checkpointer
from acgan.train.engine import Placement
from acgan.train.health import CollapseWatch
from acgan.train.loop import Session, loop
from acgan.train.settings import Settings, resume_settings
from acgan.train.step import (
    DeviceData,
    TrainStep,
    build_runner,
    build_state,
    loss_weights,
    model_config,
    restore_state,
)


def train(settings: Settings) -> Path:
    """Start a new run in `settings.out`; returns the run folder."""
    return _run(lambda held: (settings, new_run_dir(settings.out, held)), resuming=False,
                device_name=settings.device)


def resume(run: str | Path, given: dict[str, Any] | None = None, overrides: dict[str, Any] | None = None) -> Path:
    """Continue a run folder ('auto': the newest under runs/) where its newest good checkpoint stopped.

    `given` may change bookkeeping (steps, log interval, device...); a setting that changes the maths
    must be named in `overrides`; one that changes the networks' shapes cannot change."""
    given, overrides = given or {}, overrides or {}

    def open_resumed(held: ExitStack) -> tuple[Settings, Path]:
        folder = find_latest_run() if str(run) == "auto" else Path(run)
        if not folder.is_dir():
            raise ConfigError(f"--resume {folder}: no such run folder")
        held.enter_context(folder_lock(folder, "training"))
        record = latest_checkpoint(folder).record  # fail early, before any data is loaded
        if not record.settings:
            return resume_settings(stored_settings(folder), folder, given, overrides), folder
        # The newest checkpoint says what was in force when it was written (overrides included); config.json
        # is then only checked, so that a damaged one is reported rather than silently passed over.
        try:
            stored_settings(folder)
        except ConfigError as err:
            print(f"warning: {err}; resuming with the settings the checkpoint carries")
        saved = Settings.from_json(record.settings, f"{folder}/checkpoints (settings)")
        return resume_settings(saved, folder, given, overrides), folder

    return _run(open_resumed, resuming=True, device_name=given.get("device") or "auto")


def stored_settings(run: Path) -> Settings:
    """The settings a run folder was started with (config.json)."""
    record = read_run_config(run)
    source = str(run / "config.json")
    # Runs started before the settings had their own class stored them under "config".
    stored = record.get("settings", record.get("config"))
    if stored is None:
        raise ConfigError(f"{source}: the run's settings are missing (no 'settings' in it)")
    return Settings.from_json(stored, source)


def _run(open_run: Callable[[ExitStack], tuple[Settings, Path]], resuming: bool, device_name: str) -> Path:
    """Open the run on process 0, which holds the run folder's lock until training ends, however it ends."""
    placement = engine.place(device_name)
    finished = False
    with ExitStack() as held:
        try:
            settings, run = engine.on_main(lambda: open_run(held), placement)
            checkpoint = latest_checkpoint(run) if resuming else None
            _train(settings, run, checkpoint, placement)
            finished = True
            return run
        finally:
            engine.leave(placement, finished)


def _train(settings: Settings, run: Path, checkpoint: Checkpoint | None, placement: Placement) -> None:
    precision = engine.precision_on(placement.device, settings.precision)
    data = load_data(settings)
    say = print if placement.is_main else (lambda *args: None)
    say(f"data: {len(data)} faces from {data.source} at {data.resolution} px")
    say(data.counts_table())
    for note in data.notes:
        say(f"note: {note}")
    # A resumed run rebuilds the networks its checkpoint holds, even if newer code would build others.
    model_cfg = checkpoint.record.model_config() if checkpoint else model_config(settings, data.vocab)
    state = build_state(settings, model_cfg, placement, precision)
    template = Record(kind="training", step=0, vocab=data.vocab, model=model_cfg.to_json(),
                      settings=settings.to_json(), info={"data": data_summary(data)})
    if checkpoint is not None:
        if checkpoint.record.vocab != data.vocab:
            raise ConfigError(f"--resume {run}: the data's colours differ from the run's vocabulary")
        restore_state(state, checkpoint, settings, placement)
        if placement.is_main:
            truncate_log(run / "log.jsonl", state.step)
        say(f"resuming {run} from step {state.step}")
    elif placement.is_main:
        write_run_config(run, settings, template, data, placement, precision)
    runner = build_runner(state, settings, placement, precision)
    device_data = DeviceData.from_faces(data, placement.device, placement.rank, placement.world)
    train_step = TrainStep(state, runner, device_data, settings, loss_weights(settings))
    mode = engine.compile_mode(settings.compile, placement)
    if settings.compile not in ("auto", mode):
        say(f"note: --compile {settings.compile} is for one process; under torchrun the networks are compiled "
            "one by one")
    say(f"training on {placement.device} (x{placement.world} processes), {precision}, step run as: {mode}")
    loop(Session(state=state, step=engine.step_runner(mode, train_step.draw, train_step.update, state.rng),
                 counters=train_step.counters, settings=settings, run=run, vocab=data.vocab, placement=placement,
                 checkpointer=Checkpointer(run, template, settings.keep_checkpoints, placement, state.step),
                 watch=CollapseWatch(device_data.images, model_cfg.n_hair, enabled=placement.is_main),
                 keeper=best_keeper(settings, data, run, placement) if settings.eval_every and placement.is_main
                 else None))


def load_data(settings: Settings) -> FaceData:
    if settings.data is None:
        return builtin_data(settings.builtin_faces, settings.resolution, seed=settings.seed)
    return load_folder(settings.data, settings.resolution, settings.vocab, settings.skip_bad)


def data_summary(data: FaceData) -> dict[str, Any]:
    return {"source": data.source, "faces": len(data), "notes": data.notes}


def write_run_config(run: Path, settings: Settings, template: Record, data: FaceData, placement: Placement,
                     precision: str) -> None:
    record = {"settings": settings.to_json(), "model": template.model, "vocab": data.vocab.to_json(),
              "data": data_summary(data), "acgan_version": code_version(), "torch_version": torch.__version__,
              "device": str(placement.device), "processes": placement.world, "precision": precision,
              "created": datetime.now().isoformat(timespec="seconds")}
    write_config(run, record)


def best_keeper(settings: Settings, data: FaceData, run: Path, placement: Placement) -> BestKeeper:
    assert settings.tagger is not None  # validated: eval_every needs a tagger
    best = checkpoint_dir(run) / "best.json"
    score = -math.inf
    if best.exists():
        try:
            score = float(load_checkpoint(best).record.info.get("score", -math.inf))
        except CheckpointError as err:
            print(f"warning: {err}; the next evaluation writes a new 'best'")
    return BestKeeper(load_tagger(settings.tagger, device=str(placement.device)), data, score)


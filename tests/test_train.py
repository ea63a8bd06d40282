"""Training: one step moves both networks, checkpoints round-trip, resume is exact, Ctrl-C saves."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, cast

import pytest
import torch

from acgan.data.vocab import DEFAULT_VOCAB
from acgan.errors import ConfigError
from acgan.nets import ModelConfig
from acgan.run.checkpoint import CheckpointError, latest_checkpoint, list_checkpoints, load_checkpoint
from acgan.run.folder import RunLog
from acgan.train.engine import Placement, compile_mode
from acgan.train.settings import Settings, resolve
from acgan.train.step import (
    DeviceData,
    TrainState,
    TrainStep,
    build_state,
    build_step_networks,
    loss_weights,
    restore_state,
    state_tensors,
)
from acgan.train.trainer import resume, train
from tests.conftest import random_faces

TINY = dict(resolution=32, width=8, batch_size=8, log_every=2, sample_every=1000, checkpoint_every=3)


CPU = Placement(torch.device("cpu"))


def cpu_step(cfg: Settings, seed_cfg: Settings | None = None) -> tuple[TrainState, TrainStep]:
    state = build_state(seed_cfg or cfg, ModelConfig(resolution=32, width=8), CPU)
    data = DeviceData.from_faces(random_faces(), CPU.device)
    return state, TrainStep(state, build_step_networks(state, cfg, CPU, "fp32"), data, cfg, loss_weights(cfg))


def test_one_step_changes_both_networks_and_counts_its_numbers_on_the_device() -> None:
    cfg = resolve(**TINY)
    state, step = cpu_step(cfg)
    before_g = [p.detach().clone() for p in state.G.parameters()]
    before_d = [p.detach().clone() for p in state.D.parameters()]
    step.update(step.draw())
    assert all(not torch.equal(a, b) for a, b in zip(before_g, state.G.parameters(), strict=True))
    assert all(not torch.equal(a, b) for a, b in zip(before_d, state.D.parameters(), strict=True))
    sums, worst_streak = step.counters.read()
    assert set(sums) == {"d_loss", "g_loss", "g_spread", "d_real_hair_acc", "d_real_eye_acc", "skipped_d",
                         "skipped_g"}
    assert all(torch.isfinite(v) for v in sums.values()) and float(sums["d_loss"]) > 0
    assert float(sums["skipped_d"]) == 0 and float(sums["skipped_g"]) == 0 and worst_streak == 0
    assert float(step.counters.sums.abs().sum()) == 0  # reading zeroes the window


def test_checkpoint_round_trip_restores_everything(tmp_path: Path) -> None:
    from acgan.run.checkpoint import Record, save_checkpoint

    cfg = resolve(**TINY)
    state, step = cpu_step(cfg)
    for _ in range(2):
        step.update(step.draw())
        state.step += 1
    record = Record(kind="training", step=state.step, vocab=DEFAULT_VOCAB, model=state.model_cfg.to_json())
    path = save_checkpoint(tmp_path, record, state_tensors(state, CPU))
    copy, copy_step = cpu_step(cfg, resolve(**TINY, seed=99))
    restore_state(copy, load_checkpoint(path), cfg, CPU)
    assert copy.step == 2
    # Both now take the same next step, bit for bit.
    step.update(step.draw())
    copy_step.update(copy_step.draw())
    a, b = state_tensors(state, CPU), state_tensors(copy, CPU)
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a)


def final_tensors(run: Path) -> dict[str, torch.Tensor]:
    return latest_checkpoint(run).tensors


def test_resume_equals_an_uninterrupted_run(small_dataset: Path, tmp_path: Path) -> None:
    straight = train(resolve(**TINY, data=str(small_dataset), steps=7, out=str(tmp_path / "straight")))
    half = train(resolve(**TINY, data=str(small_dataset), steps=4, out=str(tmp_path / "half")))
    # The resumed leg starts from the step-3 checkpoint as if the process had died after step 4.
    for path in list_checkpoints(half / "checkpoints"):
        if load_checkpoint(path).step == 4:
            path.unlink()
    resumed = resume(str(half), given={"steps": 7})
    a, b = final_tensors(straight), final_tensors(resumed)
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert latest_checkpoint(resumed).step == 7
    steps = [json.loads(line)["step"] for line in (resumed / "log.jsonl").read_text().splitlines()]
    assert steps == [2, 4, 6, 7]


def test_resume_refuses_a_changed_setting_unless_overridden(small_dataset: Path, tmp_path: Path) -> None:
    run = train(resolve(**TINY, data=str(small_dataset), steps=3, out=str(tmp_path / "run")))
    with pytest.raises(ConfigError, match=r"lr_g: 0\.0001 -> 0\.001"):  # the modern recipe's 1e-4
        resume(str(run), given={"steps": 4, "lr_g": 1e-3})
    resume(str(run), given={"steps": 4}, overrides={"lr_g": 1e-3})
    assert latest_checkpoint(run).step == 4


def test_new_run_refuses_an_existing_run_folder(small_dataset: Path, tmp_path: Path) -> None:
    train(resolve(**TINY, data=str(small_dataset), steps=1, out=str(tmp_path / "run")))
    with pytest.raises(ConfigError, match="already holds a run"):
        train(resolve(**TINY, data=str(small_dataset), steps=1, out=str(tmp_path / "run")))


def test_damaged_checkpoint_is_a_clear_error_and_the_run_falls_back(small_dataset: Path, tmp_path: Path) -> None:
    run = train(resolve(**TINY, data=str(small_dataset), steps=6, out=str(tmp_path / "run")))
    newest = list_checkpoints(run / "checkpoints")[-1]
    weights = newest.with_suffix(".safetensors")
    weights.write_bytes(weights.read_bytes()[:1000])  # half-written
    with pytest.raises(CheckpointError, match="damaged or half-written"):
        load_checkpoint(newest)
    with pytest.warns(UserWarning, match="skipping a damaged checkpoint"):
        assert latest_checkpoint(run).step == 3
    newest.write_text("{not json")
    with pytest.raises(CheckpointError, match="record is damaged"):
        load_checkpoint(newest)


def test_checkpoint_of_another_format_is_refused(small_dataset: Path, tmp_path: Path) -> None:
    run = train(resolve(**TINY, data=str(small_dataset), steps=3, out=str(tmp_path / "run")))
    path = list_checkpoints(run / "checkpoints")[-1]
    meta = json.loads(path.read_text())
    path.write_text(json.dumps({**meta, "format": 99}))
    with pytest.raises(CheckpointError, match="newer acgan"):
        load_checkpoint(path)


def test_ctrl_c_saves_a_checkpoint_and_exits_cleanly(small_dataset: Path, tmp_path: Path) -> None:
    run = tmp_path / "run"
    command = [sys.executable, "-m", "acgan", "train", "--data", str(small_dataset), "--resolution", "32",
               "--width", "8", "--batch-size", "8", "--steps", "100000", "--log-every", "1",
               "--checkpoint-every", "100000", "--sample-every", "100000", "--out", str(run)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env={**os.environ})
    deadline = time.time() + 60
    while not (run / "log.jsonl").exists() or not (run / "log.jsonl").read_text():
        assert time.time() < deadline and process.poll() is None, "training did not start"
        time.sleep(0.1)
    process.send_signal(signal.SIGINT)
    output = process.communicate(timeout=60)[0].decode()
    assert process.returncode == 0, output
    assert "stopped at step" in output
    step = latest_checkpoint(run).step
    assert 0 < step < 100000


def test_a_stop_asked_for_while_the_run_finishes_still_saves_the_last_step(small_dataset: Path, tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """`timeout --signal=INT` can land after the last step, while the run measures its standing statistics
    (a minute at 64 px on a busy CPU): that SIGINT is a stop request like any other, and the last checkpoint is
    written. (With finish() outside StopRequest, the default handler raised KeyboardInterrupt and no checkpoint
    of step 5 was left.)"""
    from acgan.train import loop

    real = loop.measure_statistics

    def interrupted(state: object) -> None:
        os.kill(os.getpid(), signal.SIGINT)
        real(state)  # type: ignore[arg-type]

    monkeypatch.setattr(loop, "measure_statistics", interrupted)
    settings = resolve(**{**TINY, "checkpoint_every": 1000}, data=str(small_dataset), steps=5,
                       out=str(tmp_path / "run"))
    train(settings)
    assert latest_checkpoint(tmp_path / "run").step == 5


def test_the_bar_shows_the_losses_the_spread_and_the_last_evaluation(tmp_path: Path) -> None:
    """When is a run good enough? The bar keeps the last light evaluation beside the newest losses and spread."""

    class Bar:
        def __init__(self) -> None:
            self.shown: dict = {}

        def set_postfix(self, shown: dict, refresh: bool) -> None:
            self.shown = dict(shown)

    bar = Bar()
    log = RunLog(tmp_path / "log.jsonl", cast(Any, bar))
    log.log(10, d_loss=1.23456, g_loss=2.0, d_real_hair_acc=0.5, spread=0.8123, images_per_s=100.0)
    log.log(10, eval_hair=0.812, eval_eyes=0.69, eval_frechet_ratio=2.84, eval_score=0.5)
    log.log(20, d_loss=1.0, g_loss=2.5, d_real_hair_acc=0.625, spread=0.7)
    assert bar.shown == {"d_loss": "1.000", "g_loss": "2.500", "d_real_hair_acc": "0.625", "spread": "0.70",
                         "hair": "81%", "eyes": "69%", "fd": "2.8x"}
    assert [json.loads(line)["step"] for line in (tmp_path / "log.jsonl").read_text().splitlines()] == [10, 10, 20]


def test_compile_modes_resolve_per_device_and_process_count() -> None:
    two = Placement(torch.device("cpu"), rank=0, world=2)
    assert compile_mode("auto", CPU) == "off" and compile_mode("step", CPU) == "step"
    assert compile_mode("step", two) == "modules" and compile_mode("off", two) == "off"  # DDP: never one graph
    with pytest.raises(ConfigError, match="needs a CUDA device"):
        compile_mode("graph", CPU)

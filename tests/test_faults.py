"""Fault injection: kills, full disks, read-only folders, NaN batches and hostile tag lines lose nothing."""

from __future__ import annotations

import errno
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image
from typer.testing import CliRunner

from acgan.cli import app
from acgan.data.tags import DataError, parse_line
from acgan.data.vocab import DEFAULT_VOCAB
from acgan.run.checkpoint import CheckpointError, latest_checkpoint, list_checkpoints, load_checkpoint
from acgan.train.health import DivergenceError
from acgan.train.settings import resolve
from acgan.train.step import TrainStep
from acgan.train.trainer import train

TINY = dict(resolution=32, width=8, batch_size=8, log_every=2, sample_every=1000)
STEPS = 60
# A CLI run that dies (SIGKILL, from inside) partway through writing its Nth file atomically.
KILL_DURING_WRITE = """
import os, signal, sys
from acgan.run import checkpoint
original, calls = checkpoint.write_atomic, [0]
def dying_write(path, payload):
    calls[0] += 1
    if calls[0] == int(os.environ["ACGAN_DIE_AT_WRITE"]):
        temporary = path.with_name(f".{path.name}.tmp{os.getpid()}")
        temporary.write_bytes(payload[: len(payload) // 2])
        os.kill(os.getpid(), signal.SIGKILL)
    original(path, payload)
checkpoint.write_atomic = dying_write
from acgan.cli import main
sys.argv = ["acgan", *sys.argv[1:]]
main()
"""


def cli_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "acgan", *args]


def train_args(data: Path, run: Path) -> list[str]:
    return ["train", "--data", str(data), "--resolution", "32", "--width", "8", "--batch-size", "8",
            "--log-every", "2", "--sample-every", "1000", "--checkpoint-every", "3", "--steps", str(STEPS),
            "--out", str(run)]


def logged_steps(run: Path) -> list[int]:
    try:
        text = (run / "log.jsonl").read_text()
    except FileNotFoundError:
        return []
    steps = []
    for line in text.splitlines():
        try:
            steps.append(json.loads(line)["step"])
        except ValueError:
            continue
    return steps


def start_or_resume(data: Path, run: Path) -> list[str]:
    if list_checkpoints(run / "checkpoints"):
        return ["train", "--resume", str(run)]
    return train_args(data, run)


def test_killed_runs_resume_to_the_same_weights(small_dataset: Path, tmp_path: Path) -> None:
    # Both runs in fresh processes with the same thread count: bit-identical needs the same reductions.
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    straight = tmp_path / "straight"
    subprocess.run(cli_command(*train_args(small_dataset, straight)), env=env, check=True, capture_output=True,
                   timeout=300)
    run = tmp_path / "killed"
    # Two deaths in the middle of writing a checkpoint file (the 4th atomic write of the new run, after config.json
    # and the first checkpoint's two files, and the 8th of the resumed one)...
    for die_at in (4, 8):
        process = subprocess.run([sys.executable, "-c", KILL_DURING_WRITE, *start_or_resume(small_dataset, run)],
                                 env={**env, "ACGAN_DIE_AT_WRITE": str(die_at)}, capture_output=True, timeout=120)
        assert process.returncode == -signal.SIGKILL
        assert list(run.glob("checkpoints/.*.tmp*")), "the kill should leave a half-written temporary file"
        assert latest_checkpoint(run).step > 0  # and the newest complete checkpoint still loads
    # ...and four SIGKILLs at random moments once training is under way, each of which must land (a run that
    # finished before its kill would leave fewer kills than the test claims).
    rng = random.Random(7)
    kills = 0
    for _ in range(4):
        process = subprocess.Popen(cli_command(*start_or_resume(small_dataset, run)), env=env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        lines = len(logged_steps(run))
        deadline = time.time() + 60
        while len(logged_steps(run)) <= lines and process.poll() is None and time.time() < deadline:
            time.sleep(0.02)
        time.sleep(rng.uniform(0.0, 0.4))
        if process.poll() is None:
            process.kill()
            kills += 1
        process.wait(timeout=60)
    finished = subprocess.run(cli_command(*start_or_resume(small_dataset, run)), env=env, capture_output=True,
                              text=True, timeout=300)
    assert finished.returncode == 0, finished.stdout + finished.stderr
    assert kills == 4
    assert logged_steps(run) == list(range(2, STEPS + 1, 2))  # the log, too, reads as one run
    a, b = latest_checkpoint(straight), latest_checkpoint(run)
    assert a.step == b.step == STEPS
    assert a.tensors.keys() == b.tensors.keys()
    assert all(torch.equal(a.tensors[k], b.tensors[k]) for k in a.tensors)


@pytest.mark.parametrize(("code", "words"), [(errno.ENOSPC, "No space left on device"),
                                             (errno.EROFS, "Read-only file system")])
def test_a_disk_that_refuses_writes_stops_the_run_and_keeps_the_checkpoint(
        small_dataset: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int, words: str) -> None:
    calls = [0]
    real_fsync = os.fsync
    first = tmp_path / "run" / "checkpoints" / "step-00000003.json"

    def failing_fsync(fd: int) -> None:
        calls[0] += first.exists()
        if calls[0] > 1:  # the first checkpoint goes through, its folder's last sync included
            raise OSError(code, os.strerror(code))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(CheckpointError) as caught:
        train(resolve(**TINY, data=str(small_dataset), steps=9, checkpoint_every=3, out=str(tmp_path / "run")))
    message = str(caught.value)
    assert words in message and "the previous checkpoint step-00000003.json is intact" in message
    monkeypatch.setattr(os, "fsync", real_fsync)
    assert latest_checkpoint(tmp_path / "run").step == 3
    assert not list((tmp_path / "run" / "checkpoints").glob(".*tmp*")), "no temporary files are left behind"


def poison_batches(monkeypatch: pytest.MonkeyPatch, poisoned_step: Callable[[int], bool]) -> None:
    """Make the real batch of every step n with poisoned_step(n) all NaN."""
    original = TrainStep.real_batch
    calls = [0]

    def real_batch(self: TrainStep, index: torch.Tensor) -> tuple:
        calls[0] += 1
        real, hair, eyes = original(self, index)
        return (real * float("nan"), hair, eyes) if poisoned_step(calls[0]) else (real, hair, eyes)

    monkeypatch.setattr(TrainStep, "real_batch", real_batch)


def test_a_nan_batch_is_skipped_logged_and_the_run_goes_on(small_dataset: Path, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    poison_batches(monkeypatch, lambda step: step == 3)
    run = train(resolve(**TINY, data=str(small_dataset), steps=8, checkpoint_every=4, out=str(tmp_path / "run")))
    log = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]
    assert [entry["skipped_d"] for entry in log] == [0, 1, 0, 0]
    assert all(entry["skipped_g"] == 0 for entry in log)
    weights = latest_checkpoint(run).tensors
    assert latest_checkpoint(run).step == 8
    assert all(torch.isfinite(v).all() for k, v in weights.items() if k.startswith(("G.", "opt_")))


def test_a_run_of_nan_steps_stops_with_the_last_good_checkpoint(small_dataset: Path, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    poison_batches(monkeypatch, lambda step: step > 4)
    with pytest.raises(DivergenceError, match=r"5 or more steps in a row .* last good checkpoint is step 4"):
        train(resolve(**TINY, data=str(small_dataset), steps=40, checkpoint_every=4, max_bad_steps=5,
                          out=str(tmp_path / "run")))
    # The step-8 checkpoint fell inside the run of skipped steps: it was postponed, not written.
    assert [load_checkpoint(p).step for p in list_checkpoints(tmp_path / "run" / "checkpoints")] == [4]


def test_a_png_can_be_drawn_again_from_its_metadata(small_dataset: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    run = train(resolve(**TINY, data=str(small_dataset), steps=4, lr_g=0.02, checkpoint_every=4,
                            out=str(tmp_path / "run")))
    first = tmp_path / "face.png"
    assert runner.invoke(app, ["generate", str(run), "--hair", "random", "--eyes", "green", "-n", "1", "--seed", "5",
                               "-o", str(first)]).exit_code == 0
    again = tmp_path / "again.png"
    result = runner.invoke(app, ["generate", "--like", str(first), "-o", str(again)])
    assert result.exit_code == 0, result.output
    assert Image.open(first).tobytes() == Image.open(again).tobytes()
    grid = tmp_path / "grid.png"
    runner.invoke(app, ["generate", str(run), "--hair", "blue", "--eyes", "red", "-n", "3", "-o", str(grid)])
    result = runner.invoke(app, ["generate", "--like", str(grid), "-o", str(tmp_path / "grid-again.png")])
    assert result.exit_code == 0 and Image.open(grid).tobytes() == Image.open(tmp_path / "grid-again.png").tobytes()
    Image.new("RGB", (8, 8)).save(tmp_path / "plain.png")
    result = runner.invoke(app, ["generate", "--like", str(tmp_path / "plain.png")])
    assert result.exit_code == 2 and "no acgan metadata" in result.output


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=80))
def test_any_tag_line_parses_or_is_rejected_naming_its_line(line: str) -> None:
    from collections import Counter

    stripped = line.strip()
    if not stripped:
        return
    try:
        row = parse_line(stripped, 42, Path("tags.csv"), DEFAULT_VOCAB, Counter())
    except DataError as err:
        assert err.line == 42 and str(err).startswith("tags.csv:42: ")
        return
    if row is not None:
        assert row.line == 42 and row.hair in DEFAULT_VOCAB.hair and row.eyes in DEFAULT_VOCAB.eyes


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(DEFAULT_VOCAB.hair), st.sampled_from(DEFAULT_VOCAB.eyes),
       st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9_.\-]{0,10}", fullmatch=True),
       st.sampled_from([" ", "  ", "\t"]), st.sampled_from(["", " ", "\t "]))
def test_well_formed_lines_with_odd_spacing_parse(hair: str, eyes: str, image_id: str, gap: str, pad: str) -> None:
    from collections import Counter

    line = f"{pad}{image_id}{pad},{pad}{hair.upper()}{gap}hair{gap}{eyes}{gap}EYES{pad}".strip()
    row = parse_line(line, 1, Path("tags.csv"), DEFAULT_VOCAB, Counter())
    assert (row.image_id, row.hair, row.eyes) == (image_id, hair, eyes)

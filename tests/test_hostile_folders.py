"""Hostile folders: acgan never deletes or overwrites what it did not write, and one run folder has one writer.

(The static site's folder checks are in test_site.py.)"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from acgan.cli import app
from acgan.run.checkpoint import latest_checkpoint, list_checkpoints
from acgan.run.lock import LOCK_NAME, folder_lock

runner = CliRunner()


def tiny_train(data: Path, out: Path, *extra: str) -> list[str]:
    return ["train", "--data", str(data), "--resolution", "32", "--width", "8", "--batch-size", "8",
            "--log-every", "2", "--sample-every", "1000", "--checkpoint-every", "2", "--out", str(out), *extra]


def files_under(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("name", ["log.jsonl", "config.json", "thesis.txt", "samples"])
def test_a_new_run_refuses_a_folder_holding_what_acgan_did_not_write(small_dataset: Path, tmp_path: Path,
                                                                    name: str) -> None:
    """The run's own names (log.jsonl, config.json) in a folder acgan did not start are the user's: a new run in it
    had deleted log.jsonl and overwritten config.json."""
    out = tmp_path / "project"
    out.mkdir()
    (out / name).mkdir() if name == "samples" else (out / name).write_text("the user's own")
    (out / "keep.txt").write_text("keep") if name == "samples" else None
    before = files_under(out)
    result = runner.invoke(app, tiny_train(small_dataset, out, "--steps", "2"))
    assert result.exit_code == 2 and "Traceback" not in result.output, result.output
    shown = "keep.txt" if name == "samples" else name
    assert f"--out {out}: holds {shown}, which acgan did not write" in result.output
    after = files_under(out)
    after.pop(LOCK_NAME)  # the only thing acgan added
    assert after == before


def test_an_attempt_that_never_reached_a_checkpoint_is_taken_over(small_dataset: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    out.mkdir()
    (out / "config.json").write_text(json.dumps({"settings": {}, "acgan_version": "0", "created": "then"}))
    (out / "log.jsonl").write_text('{"step": 50}\n')
    result = runner.invoke(app, tiny_train(small_dataset, out, "--steps", "2"))
    assert result.exit_code == 0, result.output
    assert [json.loads(line)["step"] for line in (out / "log.jsonl").read_text().splitlines()] == [2]


def test_out_that_is_a_file_is_one_line_and_the_file_is_kept(small_dataset: Path, tmp_path: Path) -> None:
    """Issue 21 #8: `acgan train --out FILE` ended in a traceback."""
    (tmp_path / "notes.txt").write_text("keep")
    for out, message in ((tmp_path / "notes.txt", "is a file; a run needs a folder"),
                         (tmp_path / "notes.txt" / "run", "cannot create the folder")):
        result = runner.invoke(app, tiny_train(small_dataset, out, "--steps", "2"))
        assert result.exit_code == 2 and "Traceback" not in result.output, result.output
        assert result.output.startswith(f"error: --out {out}: {message}")
    assert (tmp_path / "notes.txt").read_text() == "keep"


def test_a_second_trainer_on_a_locked_run_exits_2_naming_the_holder(small_dataset: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    out.mkdir()
    with folder_lock(out, "training"):
        for args in (tiny_train(small_dataset, out, "--steps", "2"), ["train", "--resume", str(out), "--steps", "4"]):
            result = runner.invoke(app, args)
            assert result.exit_code == 2, result.output
            assert f"{out}: another acgan process is already training it (pid {os.getpid()} on " in result.output
    assert not (out / "config.json").exists()
    result = runner.invoke(app, tiny_train(small_dataset, out, "--steps", "2"))  # released: the folder is free
    assert result.exit_code == 0, result.output


def test_the_lock_of_a_killed_trainer_is_free_and_resume_continues(small_dataset: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    command = [sys.executable, "-m", "acgan", *tiny_train(small_dataset, out, "--steps", "100000")]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while not list_checkpoints(out / "checkpoints"):
        assert time.time() < deadline and process.poll() is None, "training did not start"
        time.sleep(0.1)
    result = runner.invoke(app, ["train", "--resume", str(out), "--steps", "100"])
    assert result.exit_code == 2 and f"(pid {process.pid} on" in result.output, result.output
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    step = latest_checkpoint(out).step
    result = runner.invoke(app, ["train", "--resume", str(out), "--steps", str(step + 2)])
    assert result.exit_code == 0, result.output
    assert latest_checkpoint(out).step == step + 2


def test_two_trainers_started_at_once_on_one_folder_one_trains_the_other_exits_2(small_dataset: Path,
                                                                                tmp_path: Path) -> None:
    """Issue 21 #3: both ran and interleaved their checkpoints and log (a check-then-create race)."""
    out = tmp_path / "run"
    commands = [[sys.executable, "-m", "acgan", *tiny_train(small_dataset, out, "--steps", "6", "--seed", str(seed))]
                for seed in (1, 2)]
    processes = [subprocess.Popen(c, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for c in commands]
    outputs = [p.communicate(timeout=300)[0] for p in processes]
    codes = sorted(p.returncode for p in processes)
    assert codes == [0, 2], outputs
    loser = outputs[[p.returncode for p in processes].index(2)]
    assert "another acgan process is already training it" in loser and "Traceback" not in loser
    winner_seed = (1, 2)[[p.returncode for p in processes].index(0)]
    seeds = {json.loads(Path(p).read_text())["settings"]["seed"] for p in list_checkpoints(out / "checkpoints")}
    assert seeds == {winner_seed}
    assert [json.loads(line)["step"] for line in (out / "log.jsonl").read_text().splitlines()] == [2, 4, 6]


def test_a_config_json_that_is_not_an_object_is_reported_on_resume(small_dataset: Path, tmp_path: Path) -> None:
    """Issue 21 #9: a config.json holding a list was silently passed over on resume."""
    out = tmp_path / "run"
    assert runner.invoke(app, tiny_train(small_dataset, out, "--steps", "2")).exit_code == 0
    (out / "config.json").write_text("[1, 2]")
    result = runner.invoke(app, ["train", "--resume", str(out), "--steps", "4"])
    assert result.exit_code == 0, result.output
    assert f"warning: {out / 'config.json'}: expected a JSON object" in result.output
    assert latest_checkpoint(out).step == 4


def test_pack_replaces_only_the_tensors_file_its_own_record_named(small_dataset: Path, tmp_path: Path) -> None:
    """A packed record is rewritten in place; the tensors file it replaces is the one its old JSON named, never a
    file of the user's that merely looks alike (a glob over generator-*.safetensors had deleted those)."""
    run = tmp_path / "run"
    assert runner.invoke(app, tiny_train(small_dataset, run, "--steps", "4")).exit_code == 0
    out = tmp_path / "packed"
    out.mkdir()
    (out / "generator-mine.safetensors").write_bytes(b"the user's")
    (out / ".generator.json.tmp1").write_bytes(b"the user's too")
    for checkpoint in ("step-00000002", "step-00000004"):
        result = runner.invoke(app, ["pack", str(run), "--checkpoint", checkpoint, "-o", str(out)])
        assert result.exit_code == 0, result.output
    names = sorted(p.name for p in out.iterdir())
    assert names == [".generator.json.tmp1", "generator-00000004.safetensors", "generator-mine.safetensors",
                     "generator.json"]

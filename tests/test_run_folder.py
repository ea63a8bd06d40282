"""A run on disk, piece by piece and without training: the version a run records, which folder a checkpoint belongs
to, `--resume auto`'s choice, who holds a run's lock, and checkpoints written by an older acgan (format 1)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import stat
from pathlib import Path

import pytest
import torch

import acgan.run.folder
from acgan.data.vocab import DEFAULT_VOCAB
from acgan.errors import ConfigError
from acgan.nets import ModelConfig, build_networks
from acgan.run.checkpoint import Record, load_checkpoint, module_tensors, run_of, save_checkpoint
from acgan.run.folder import code_version, find_latest_run, read_run_config, write_run_config
from acgan.run.lock import LOCK_NAME, folder_lock
from acgan.sample.shipped import shipped_generator
from acgan.version import __version__


def fake_git(folder: Path, script: str) -> Path:
    """A `git` that runs `script` (sh), with what it was asked and where written to calls.txt beside it."""
    folder.mkdir()
    git = folder / "git"
    git.write_text(f'#!/bin/sh\necho "$PWD|$*" >> {folder / "calls.txt"}\n{script}\n')
    git.chmod(git.stat().st_mode | stat.S_IXUSR)
    return folder / "calls.txt"


def test_a_run_records_the_commit_of_the_checkout_acgan_runs_from(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    calls = fake_git(tmp_path / "bin", "echo ' 1a2b3c4 '")
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    assert code_version() == f"{__version__}+1a2b3c4"
    package = Path(acgan.run.folder.__file__).parent
    assert calls.read_text() == f"{package}|rev-parse --short HEAD\n"  # asked about acgan's own folder


@pytest.mark.parametrize("script", ["exit 128", f"exec {shutil.which('sleep')} 30", None],
                         ids=["not a checkout: git prints nothing", "git hangs: given up after 5 s", "no git at all"])
def test_without_a_commit_a_run_records_the_version_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          script: str | None) -> None:
    if script is not None:
        fake_git(tmp_path / "bin", script)
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    assert code_version() == __version__


def test_a_checkpoint_belongs_to_the_run_whose_checkpoints_folder_holds_it(tmp_path: Path) -> None:
    run = tmp_path / "runs" / "demo"
    assert run_of(run / "checkpoints" / "step-00000004.json") == run
    assert run_of(tmp_path / "packed" / "generator.json") is None  # a packed model: no run
    assert run_of(run / "checkpoints" / "old" / "step-00000004.json") is None  # a folder inside checkpoints/
    assert run_of(shipped_generator()) is None


def test_resume_auto_picks_the_run_whose_config_is_newest(tmp_path: Path) -> None:
    for age, name in enumerate(["newest", "oldest", "middle"]):
        (tmp_path / name).mkdir()
        (tmp_path / name / "config.json").write_text("{}")
        os.utime(tmp_path / name / "config.json", (10**9, 2 * 10**9 - [0, 2000, 1000][age]))
    (tmp_path / "no-config").mkdir()  # newer, but not a run
    assert find_latest_run(tmp_path) == tmp_path / "newest"
    with pytest.raises(ConfigError) as refused:
        find_latest_run(tmp_path / "no-config")
    assert str(refused.value) == f"--resume auto: no runs under {tmp_path / 'no-config'}/"


def test_a_locked_run_names_the_process_that_holds_it(tmp_path: Path) -> None:
    with folder_lock(tmp_path, "training"):
        held = json.loads((tmp_path / LOCK_NAME).read_text())
        with pytest.raises(ConfigError) as refused, folder_lock(tmp_path, "evaluating"):
            pass
    assert held["pid"] == os.getpid() and held["host"] == socket.gethostname() and held["doing"] == "training"
    assert str(refused.value) == (f"{tmp_path}: another acgan process is already evaluating it (pid {os.getpid()} on "
                                  f"{socket.gethostname()}, training since {held['since']}); wait for it to finish "
                                  "or stop it")
    with folder_lock(tmp_path, "training"):  # released when the block ends
        pass


@pytest.mark.parametrize(("written", "named"), [
    (b"", "a process that has not said who it is yet"),  # it holds the lock but has not written yet
    (b'{"pid": 7, "host": "h"', "a process that has not said who it is yet"),  # half written
    (b'{"pid": "x", "host": "h", "doing": "training", "since": "now"}', "a process that has not said who it is yet"),
    (b'{"pid": 7, "host": "h", "since": "now"}', "a process that has not said who it is yet"),
    (json.dumps({"pid": 7, "host": "h" * 100, "doing": "d" * 100, "since": "2026-01-02 03:04:05"}).encode(),
     f"pid 7 on {'h' * 64}, {'d' * 32} since 2026-01-02 03:04:05"),  # a long name is cut: the message stays a line
])
def test_whatever_the_lock_file_says_the_refusal_is_one_line(tmp_path: Path, written: bytes, named: str) -> None:
    import fcntl

    fd = os.open(tmp_path / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.write(fd, written)
        with pytest.raises(ConfigError) as refused, folder_lock(tmp_path, "training"):
            pass
    finally:
        os.close(fd)
    assert str(refused.value) == (f"{tmp_path}: another acgan process is already training it ({named}); wait for it "
                                  "to finish or stop it")


TINY = ModelConfig(resolution=32, width=4, z_dim=8, label_dim=4)


def format_1(tmp_path: Path, kind: str) -> tuple[Path, dict]:
    """A checkpoint as acgan wrote them before the typed record (format 1): the same tensors, its facts in the JSON
    under the old keys, beside the optimizer and loss-scale numbers."""
    G, D = build_networks(TINY)
    G_ema, _ = build_networks(TINY)
    tensors = module_tensors("G", G) | module_tensors("D", D) | module_tensors("G_ema", G_ema)
    record = Record(kind="training", step=6, vocab=DEFAULT_VOCAB, model=TINY.to_json())
    path = save_checkpoint(tmp_path, record, tensors)
    written = json.loads(path.read_text())
    old = {"format": 1, "step": 6, "vocab": written["vocab"], "tensors_file": written["tensors_file"],
           "sha256": written["sha256"], "optimizers": {"opt_g": {"lr": 0.0002}}, "scalers": {"opt_g": {"scale": 1.0}}}
    if kind == "tagger":
        old |= {"kind": "tagger", "tagger": {"resolution": 32, "width": 4}, "held_out": {"hair": 0.5}}
    else:
        old |= {"model": TINY.to_json(), "config": {"steps": 6, "lr_g": 0.0002}, "generator_weights": "G_ema"}
    path.write_text(json.dumps(old))
    return path, old


def test_a_format_1_training_checkpoint_is_read_with_its_facts_where_format_2_keeps_them(tmp_path: Path) -> None:
    path, old = format_1(tmp_path, "training")
    record = load_checkpoint(path).record
    assert record == Record(kind="training", step=6, vocab=DEFAULT_VOCAB, model=TINY.to_json(),
                            tensors_file=old["tensors_file"], sha256=old["sha256"], generator_weights="G_ema",
                            settings={"steps": 6, "lr_g": 0.0002}, format=2,
                            info={"optimizers": {"opt_g": {"lr": 0.0002}}, "scalers": {"opt_g": {"scale": 1.0}}})


def test_a_format_1_tagger_is_read_with_its_settings_as_the_model(tmp_path: Path) -> None:
    path, old = format_1(tmp_path, "tagger")
    checkpoint = load_checkpoint(path)
    assert checkpoint.record == Record(
        kind="tagger", step=6, vocab=DEFAULT_VOCAB, model={"resolution": 32, "width": 4},
        tensors_file=old["tensors_file"], sha256=old["sha256"], generator_weights="G", settings={},
        info={"optimizers": {"opt_g": {"lr": 0.0002}}, "scalers": {"opt_g": {"scale": 1.0}},
              "held_out": {"hair": 0.5}})


def test_config_json_holds_the_facts_the_versions_and_the_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import datetime as dt

    class Clock(dt.datetime):
        @classmethod
        def now(cls, tz: dt.tzinfo | None = None) -> Clock:
            return cls(2026, 11, 30, 9, 15, 42, 123456)

    monkeypatch.setattr(acgan.run.folder, "datetime", Clock)
    monkeypatch.setattr(acgan.run.folder, "code_version", lambda: "0.1.0+1a2b3c4")
    write_run_config(tmp_path, settings={"steps": 4}, vocab={"hair": ["blue"]})
    expected = {"settings": {"steps": 4}, "vocab": {"hair": ["blue"]}, "acgan_version": "0.1.0+1a2b3c4",
                "torch_version": torch.__version__, "created": "2026-11-30T09:15:42"}
    assert (tmp_path / "config.json").read_bytes() == json.dumps(expected, indent=2).encode()
    assert read_run_config(tmp_path) == expected


def test_a_disk_that_refuses_config_json_stops_the_run_with_one_line(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    def full_disk(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(ConfigError) as refused:
        write_run_config(tmp_path, settings={})
    assert str(refused.value) == f"cannot write {tmp_path / 'config.json'}: No space left on device"
    assert list(tmp_path.iterdir()) == []  # nothing half written

"""A run on disk, piece by piece and without training: the version a run records, which folder a checkpoint belongs
to, `--resume auto`'s choice, who holds a run's lock, and checkpoints written by an older acgan (format 1)."""

from __future__ import annotations

import contextlib
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
from acgan.run.checkpoint import (
    CheckpointError,
    Record,
    load_checkpoint,
    module_tensors,
    parse_record,
    prune,
    run_of,
    save_checkpoint,
    tidy,
)
from acgan.run.folder import (
    RunLog,
    code_version,
    find_latest_run,
    new_run_dir,
    read_run_config,
    truncate_log,
    write_run_config,
)
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


@pytest.mark.parametrize("script", ["exit 128", f"{shutil.which('sleep')} 10; echo 1a2b3c4", None],
                         ids=["not a checkout: git prints nothing", "git answers after 10 s: given up after 5",
                              "no git at all"])
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


def full_disk(fd: int) -> None:
    """os.fsync on a full disk (where a full disk often shows: when the data is flushed)."""
    raise OSError(28, "No space left on device")


def test_a_disk_that_refuses_config_json_stops_the_run_with_one_line(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(ConfigError) as refused:
        write_run_config(tmp_path, settings={})
    assert str(refused.value) == f"cannot write {tmp_path / 'config.json'}: No space left on device"
    assert list(tmp_path.iterdir()) == []  # nothing half written


def tiny_checkpoint(folder: Path, step: int, name: str | None = None) -> Path:
    """A generator checkpoint of TINY, written as training writes one."""
    G, _ = build_networks(TINY)
    record = Record(kind="generator", step=step, vocab=DEFAULT_VOCAB, model=TINY.to_json())
    return save_checkpoint(folder, record, module_tensors("G", G), name=name)


def test_the_log_keeps_five_decimals_and_the_bar_keeps_each_numbers_newest_value(tmp_path: Path) -> None:
    class Bar:
        def __init__(self) -> None:
            self.shown: list[tuple[dict, bool]] = []

        def set_postfix(self, numbers: dict, refresh: bool) -> None:
            self.shown.append((dict(numbers), refresh))

    bar = Bar()
    log = RunLog(tmp_path / "log.jsonl", bar)  # type: ignore[arg-type]
    log.log(10, d_loss=0.123456789, g_loss=2, spread=1.234, eval_hair=0.5, eval_frechet_ratio=3.06, lr=1e-7)
    log.log(20, d_loss=1.5)
    assert (tmp_path / "log.jsonl").read_text() == (
        '{"step": 10, "d_loss": 0.12346, "g_loss": 2, "spread": 1.234, "eval_hair": 0.5, "eval_frechet_ratio": 3.06, '
        '"lr": 0.0}\n{"step": 20, "d_loss": 1.5}\n')
    assert bar.shown == [({"d_loss": "0.123", "g_loss": "2.000", "spread": "1.23", "hair": "50%", "fd": "3.1x"}, False),
                         ({"d_loss": "1.500", "g_loss": "2.000", "spread": "1.23", "hair": "50%", "fd": "3.1x"}, False)]
    RunLog(tmp_path / "quiet.jsonl", None).log(1, d_loss=0.5)  # no bar (another process than the main one)
    assert (tmp_path / "quiet.jsonl").read_text() == '{"step": 1, "d_loss": 0.5}\n'


def test_a_resumed_log_drops_the_steps_after_the_checkpoint_and_counts_torn_lines(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = tmp_path / "log.jsonl"
    log.write_bytes(b'{"step": 2, "d_loss": 1}\n{"step": 4}\n\xff\xfe\n{"step": 6}\n[1]\n{"no step": 1}\n'
                    b'{"step": 8, "d')
    truncate_log(log, 4)
    assert log.read_text() == '{"step": 2, "d_loss": 1}\n{"step": 4}\n'
    assert capsys.readouterr().out == f"warning: {log}: skipped 4 damaged line(s) of the log\n"
    truncate_log(log, 4)  # nothing damaged: nothing said
    assert capsys.readouterr().out == "" and log.read_text() == '{"step": 2, "d_loss": 1}\n{"step": 4}\n'
    truncate_log(tmp_path / "none.jsonl", 4)  # no log yet: none made
    assert not (tmp_path / "none.jsonl").exists()


@pytest.mark.parametrize(("content", "message"), [
    (None, "{run}: no config.json there; is it a run folder?"),
    ("{", "{run}/config.json: not valid JSON (Expecting property name enclosed in double quotes: line 1 column 2 "
          "(char 1)); expected the run's settings"),
    ("[]", "{run}/config.json: expected a JSON object (the run's settings)"),
])
def test_a_run_whose_config_cannot_be_read_is_one_line_naming_it(tmp_path: Path, content: str | None,
                                                                 message: str) -> None:
    if content is not None:
        (tmp_path / "config.json").write_text(content)
    with pytest.raises(ConfigError) as refused:
        read_run_config(tmp_path)
    assert str(refused.value) == message.format(run=tmp_path)


def test_a_new_run_takes_only_a_folder_acgan_may_write(tmp_path: Path) -> None:
    def refusal(out: Path) -> str:
        with contextlib.ExitStack() as held, pytest.raises(ConfigError) as refused:
            new_run_dir(str(out), held)
        return str(refused.value)

    with contextlib.ExitStack() as held:
        assert new_run_dir(str(tmp_path / "new" / "run"), held) == tmp_path / "new" / "run"  # made, parents too
        assert refusal(tmp_path / "new" / "run").startswith(f"{tmp_path / 'new' / 'run'}: another acgan process is "
                                                            "already training it (pid ")
    (tmp_path / "file").write_text("mine")
    assert refusal(tmp_path / "file") == f"--out {tmp_path / 'file'}: is a file; a run needs a folder (give a new " \
                                         "folder's name)"
    assert refusal(tmp_path / "file" / "run") == f"--out {tmp_path / 'file' / 'run'}: cannot create the folder (Not " \
                                                 "a directory)"
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    (foreign / "log.jsonl").write_text("mine too")
    assert refusal(foreign) == (f"--out {foreign}: holds log.jsonl, which acgan did not write; a new run needs a new "
                                "or empty folder (acgan never overwrites or deletes what it did not write)")
    assert (foreign / "log.jsonl").read_text() == "mine too"
    attempt = tmp_path / "attempt"  # a run acgan started that never reached a checkpoint: taken over
    write_run_config(attempt, settings={}, created="then")
    (attempt / "log.jsonl").write_text('{"step": 2}\n')
    (attempt / "samples").mkdir()
    with contextlib.ExitStack() as held:
        assert new_run_dir(str(attempt), held) == attempt
    assert sorted(p.name for p in attempt.iterdir()) == [LOCK_NAME, "config.json", "samples"]  # its log is gone
    (attempt / "config.json").write_text('{"settings": {}, "acgan_version": "0.1.0", "created": "then"}')
    with contextlib.ExitStack() as held:  # the least acgan writes there
        assert new_run_dir(str(attempt), held) == attempt
    (attempt / "config.json").write_text('{"settings": {}, "acgan_version": "0.1.0"}')  # not all acgan writes
    assert refusal(attempt) == (f"--out {attempt}: holds config.json, which acgan did not write; a new run needs a new "
                                "or empty folder (acgan never overwrites or deletes what it did not write)")
    tiny_checkpoint(attempt / "checkpoints", 2)
    assert refusal(attempt) == (f"{attempt} already holds a run; continue it with --resume {attempt} or choose "
                                "another --out")


def test_only_the_newest_step_checkpoints_are_kept_and_named_ones_stay(tmp_path: Path) -> None:
    for step in (2, 4, 6, 8):
        tiny_checkpoint(tmp_path, step)
    tiny_checkpoint(tmp_path, 3, name="best")
    prune(tmp_path, 0)  # keep 0: keep every one
    assert len(list(tmp_path.iterdir())) == 10
    prune(tmp_path, 2)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "best-00000003.safetensors", "best.json", "step-00000006.json", "step-00000006.safetensors",
        "step-00000008.json", "step-00000008.safetensors"]


def test_a_named_checkpoint_rewritten_drops_its_old_tensors_and_tidy_drops_what_a_crash_left(tmp_path: Path) -> None:
    tiny_checkpoint(tmp_path, 3, name="best")
    tiny_checkpoint(tmp_path, 5, name="best")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["best-00000005.safetensors", "best.json"]
    (tmp_path / "best-00000007.safetensors").write_bytes(b"a crash before its JSON")
    (tmp_path / ".step-00000009.json.tmp123").write_bytes(b"half")
    (tmp_path / "notes-1.safetensors.txt").write_text("not acgan's")
    (tmp_path / "broken.json").write_text("{")
    tidy(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "best-00000005.safetensors", "best.json", "broken.json", "notes-1.safetensors.txt"]
    assert load_checkpoint(tmp_path / "best.json").step == 5
    tidy(tmp_path / "nowhere")  # no folder: nothing to tidy


def test_a_checkpoint_that_cannot_be_written_says_what_is_intact(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(CheckpointError) as first:
        tiny_checkpoint(tmp_path, 2)
    assert str(first.value) == (f"cannot write checkpoint step-00000002 in {tmp_path}: No space left on device; no "
                                "earlier checkpoint exists")
    monkeypatch.undo()
    tiny_checkpoint(tmp_path, 2)
    tiny_checkpoint(tmp_path, 4)
    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(CheckpointError) as later:
        tiny_checkpoint(tmp_path, 6)
    assert str(later.value) == (f"cannot write checkpoint step-00000006 in {tmp_path}: No space left on device; the "
                                "previous checkpoint step-00000004.json is intact")


VALID = {"format": 2, "kind": "generator", "step": 4, "vocab": DEFAULT_VOCAB.to_json(), "model": TINY.to_json(),
         "tensors_file": "step-00000004.safetensors", "sha256": "0" * 64}


@pytest.mark.parametrize(("change", "message"), [
    ({"format": 3}, "written by a newer acgan (checkpoint format 3, this version reads 2 and older); upgrade acgan to "
                    "load it"),
    ({"format": 0}, "checkpoint format 0 is not one acgan ever wrote"),
    ({"format": True}, "field 'format' must be an integer, got True"),
    ({"kind": "painter"}, "field 'kind' must be one of training, tagger, generator, got 'painter'"),
    ({"vocab": {"hair": ["blue"]}}, "field 'vocab' is not a vocabulary (a vocabulary is {\"hair\": [colour names], "
                                    "\"eyes\": [colour names]})"),
    ({"vocab": ["blue"]}, "field 'vocab' must be dict, got list ['blue']"),
    ({"step": -1}, "field 'step' must not be negative, got -1"),
    ({"step": True}, "field 'step' must be int, got bool True"),
    ({"model": "x" * 100}, f"field 'model' must be dict, got str '{'x' * 59}"),
    ({"sha256": "0" * 63}, f"field 'sha256' must be 64 hexadecimal digits, got '{'0' * 63}'"),
    ({"sha256": "A" * 64}, f"field 'sha256' must be 64 hexadecimal digits, got '{'A' * 64}'"),
    ({"tensors_file": "sub/step.safetensors"}, "field 'tensors_file' must name a .safetensors file in the "
                                               "checkpoint's own folder, got 'sub/step.safetensors'"),
    ({"generator_weights": "D"}, "field 'generator_weights' must be 'G' or 'G_ema', got 'D'"),
    ({"kind": None}, "field 'kind' must be str, got NoneType None"),
])
def test_a_record_is_checked_field_by_field(change: dict, message: str) -> None:
    with pytest.raises(CheckpointError) as refused:
        parse_record({**VALID, **change})
    assert str(refused.value) == message


def test_a_record_without_its_optional_fields_gets_their_defaults() -> None:
    """(A missing vocabulary was reported as "field 'vocab' is not a vocabulary (field 'vocab' is missing)".)"""
    assert parse_record(VALID) == Record(kind="generator", step=4, vocab=DEFAULT_VOCAB, model=TINY.to_json(),
                                         tensors_file="step-00000004.safetensors", sha256="0" * 64)
    with pytest.raises(CheckpointError, match=r"^not an acgan checkpoint \(expected a JSON object\)$"):
        parse_record([VALID])
    with pytest.raises(CheckpointError, match=r"^field 'vocab' is missing$"):
        parse_record({key: value for key, value in VALID.items() if key != "vocab"})

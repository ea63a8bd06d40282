"""Crafted and damaged run folders: a checkpoint record is checked field by field before anything is read, a bad
one is passed over for the previous good one, and a resume applies what it may change and refuses the rest."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file
from typer.testing import CliRunner

from acgan.cli import app
from acgan.errors import ConfigError
from acgan.run.checkpoint import CheckpointError, latest_checkpoint, list_checkpoints, load_checkpoint
from acgan.train.settings import resolve
from acgan.train.trainer import resume, stored_settings, train

TINY = dict(resolution=32, width=8, batch_size=8, log_every=2, sample_every=1000, checkpoint_every=2)


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 4-step modern run on 24 small faces with checkpoints at steps 2 and 4 (copied per test)."""
    from acgan.data.vocab import DEFAULT_VOCAB
    from tests.conftest import write_dataset

    root = tmp_path_factory.mktemp("hostile")
    data = write_dataset(root / "faces", [(str(i), DEFAULT_VOCAB.hair[i % 12], DEFAULT_VOCAB.eyes[i % 11])
                                          for i in range(24)])
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ACGAN_CACHE", str(root / "cache"))
        return train(resolve(**TINY, data=str(data), steps=4, out=str(root / "run")))


@pytest.fixture
def copy(run: Path, tmp_path: Path) -> Path:
    import shutil

    return Path(shutil.copytree(run, tmp_path / "run"))


def newest(run: Path) -> Path:
    return list_checkpoints(run / "checkpoints")[-1]


def edit_record(path: Path, change: Callable[[dict], None]) -> None:
    record = json.loads(path.read_text())
    change(record)
    path.write_text(json.dumps(record))


def other_tensors(path: Path) -> None:
    """Valid safetensors with the wrong names, and a record whose hash matches them."""
    import hashlib

    target = path.with_suffix(".safetensors")
    save_file({"something.else": torch.zeros(3)}, str(target))
    edit_record(path, lambda r: r.update(sha256=hashlib.sha256(target.read_bytes()).hexdigest()))


RECORDS = [
    ("tensors outside the run", lambda p: edit_record(p, lambda r: r.update(tensors_file="../../etc/hostname")),
     "field 'tensors_file' must name a .safetensors file in the checkpoint's own folder"),
    ("tensors at /dev/zero", lambda p: edit_record(p, lambda r: r.update(tensors_file="/dev/zero")),
     "field 'tensors_file' must name a .safetensors file in the checkpoint's own folder, got '/dev/zero'"),
    ("format as text", lambda p: edit_record(p, lambda r: r.update(format="1")),
     "field 'format' must be an integer, got '1'"),
    ("no tensors file", lambda p: edit_record(p, lambda r: r.update(tensors_file=None)),
     "field 'tensors_file' must be str, got NoneType None"),
    ("no model", lambda p: edit_record(p, lambda r: r.pop("model")), "field 'model' is missing"),
    ("a width its tensors do not have", lambda p: edit_record(p, lambda r: r["model"].update(width=16)),
     "(width 16?)"),
    ("valid safetensors with other names", other_tensors, "its tensors lack G"),
    ("a step that is not a number", lambda p: edit_record(p, lambda r: r.update(step=[4])),
     "field 'step' must be int, got list"),
    ("random bytes", lambda p: p.write_bytes(os.urandom(300)), "checkpoint record is damaged"),
    ("a folder named like a record", lambda p: (p.unlink(), p.mkdir()), "the checkpoint record is not a regular file"),
]


@pytest.mark.parametrize(("what", "damage", "message"), RECORDS, ids=[c[0] for c in RECORDS])
def test_a_crafted_record_is_refused_and_the_previous_checkpoint_is_used(copy: Path, what: str, damage,
                                                                         message: str) -> None:
    previous = list_checkpoints(copy / "checkpoints")[0]
    previous_bytes = previous.read_bytes(), previous.with_suffix(".safetensors").read_bytes()
    damage(newest(copy))
    with pytest.raises(CheckpointError) as refused:
        load_checkpoint(newest(copy))
    assert message in str(refused.value) and "step-00000004.json" in str(refused.value)
    with pytest.warns(UserWarning, match="skipping a damaged checkpoint"):
        assert latest_checkpoint(copy).step == 2
    assert (previous.read_bytes(), previous.with_suffix(".safetensors").read_bytes()) == previous_bytes


def test_an_override_of_the_learning_rate_is_in_force_after_resuming(copy: Path, run: Path, tmp_path: Path) -> None:
    import shutil

    plain = Path(shutil.copytree(run, tmp_path / "plain"))
    resume(plain, given={"steps": 6})
    resume(copy, given={"steps": 6}, overrides={"lr_g": 0.05})
    assert latest_checkpoint(copy).record.settings["lr_g"] == 0.05  # each checkpoint says what was in force
    changed, same = latest_checkpoint(copy).tensors, latest_checkpoint(plain).tensors
    assert not torch.equal(changed["G.project.weight"], same["G.project.weight"])  # G learned at the new rate
    resume(copy, given={"steps": 8})  # a later resume keeps the override: it reads the checkpoint's settings
    assert latest_checkpoint(copy).record.settings["lr_g"] == 0.05


@pytest.mark.parametrize(("override", "message"), [
    ("resolution=64", "--override resolution: cannot change on resume"),
    ("width=32", "--override width: cannot change on resume"),
    ("recipe=classic", "--override recipe: cannot change on resume"),
    ("lr_g=-1", "lr_g must be positive, got -1.0"),
])
def test_an_override_that_cannot_apply_is_refused_and_the_run_is_untouched(copy: Path, override: str,
                                                                            message: str) -> None:
    before = {p.name: p.read_bytes() for p in (copy / "checkpoints").iterdir()}
    result = CliRunner().invoke(app, ["train", "--resume", str(copy), "--override", override, "--steps", "6"])
    assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output
    assert {p.name: p.read_bytes() for p in (copy / "checkpoints").iterdir()} == before


def test_a_damaged_log_is_skipped_with_a_warning_and_the_run_resumes(copy: Path) -> None:
    log = copy / "log.jsonl"
    log.write_bytes(log.read_bytes() + os.urandom(200) + b"\n{\"step\": \n")
    result = CliRunner().invoke(app, ["train", "--resume", str(copy), "--steps", "6"])
    assert result.exit_code == 0, result.output
    assert "damaged line(s) of the log" in result.output
    steps = [json.loads(line)["step"] for line in log.read_text().splitlines()]
    assert steps == [2, 4, 6]


@pytest.mark.parametrize(("content", "message"), [
    ("{}", "config.json: the run's settings are missing"),
    ('{"settings": {"steps": 4}}', "config.json: settings missing: data, vocab"),
    ("[1, 2]", "config.json: expected a JSON object"),
])
def test_a_bad_config_names_the_file_and_what_is_missing(copy: Path, content: str, message: str) -> None:
    (copy / "config.json").write_text(content)
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
        stored_settings(copy)
    resume(copy, given={"steps": 6})  # nothing lost: the checkpoints carry the settings a resume needs
    assert latest_checkpoint(copy).step == 6

"""The real faces' side of an evaluation stored beside a packed model (acgan.judge.reference): it gives the numbers
the faces themselves give, it is refused when it does not fit, and bare `acgan eval` judges the shipped model
with the one shipped beside it."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import acgan
from acgan.cli import app
from acgan.data.builtin import builtin_data
from acgan.data.vocab import DEFAULT_VOCAB
from acgan.judge.evaluate import EvalSettings, evaluate
from acgan.judge.reference import ReferenceError, load_reference, write_reference
from acgan.judge.tagger import Tagger, load_tagger, save_tagger
from acgan.nets import ClassicGenerator, ModelConfig
from acgan.run.checkpoint import latest_checkpoint
from acgan.sample.generator import FaceGenerator
from acgan.sample.runners import TorchRunner
from acgan.sample.shipped import pack_generator, reference_beside, shipped_generator, shipped_tagger
from acgan.train.settings import resolve
from acgan.train.trainer import train

runner = CliRunner()
SETTINGS = EvalSettings(per_pair=2, frechet_faces=150)


@pytest.fixture(scope="module")
def saved_tagger(builtin_tagger: Tagger, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("tagger")
    save_tagger(builtin_tagger, folder)
    return folder


def untrained() -> FaceGenerator:
    cfg = ModelConfig(resolution=32, width=8)
    return FaceGenerator(runner=TorchRunner(ClassicGenerator(cfg), cfg), vocab=DEFAULT_VOCAB, source="untrained",
                         step=0)


def test_a_stored_reference_gives_the_numbers_the_faces_give(saved_tagger: Path, tmp_path: Path) -> None:
    tagger, real, model = load_tagger(saved_tagger), builtin_data(600, 32, seed=2), untrained()
    path = write_reference(tagger, real, SETTINGS, tmp_path / "reference.json")
    stored = load_reference(path, SETTINGS, tagger.sha256)
    direct, again = evaluate(model, tagger, real, SETTINGS), evaluate(model, tagger, None, SETTINGS, stored)
    assert again["tag_accuracy"] == direct["tag_accuracy"] and again["spill"] == direct["spill"]
    assert again["diversity"] == direct["diversity"] and again["settings"] == direct["settings"]
    # The covariance is stored in float32: the distance may move in its seventh digit, no more.
    assert again["frechet"]["real_floor"] == direct["frechet"]["real_floor"] > 0
    assert again["frechet"]["generated_vs_real"] == pytest.approx(direct["frechet"]["generated_vs_real"], rel=1e-5)
    assert "stored: reference.json" in again["real_faces"] and direct["real_faces"] == real.source
    assert np.isin(stored.hair, real.hair).all() and len(stored.hair) == 150


def test_a_reference_for_other_settings_or_another_tagger_is_refused(saved_tagger: Path, tmp_path: Path) -> None:
    tagger = load_tagger(saved_tagger)
    path = write_reference(tagger, builtin_data(400, 32, seed=2), SETTINGS, tmp_path / "reference.json")
    with pytest.raises(ReferenceError, match=r"not for --frechet-faces 100 --seed 0; give --data DIR"):
        load_reference(path, EvalSettings(frechet_faces=100), tagger.sha256)
    with pytest.raises(ReferenceError, match="measured with another tagger; give --data DIR"):
        load_reference(path, SETTINGS, "0" * 64)


def test_a_damaged_reference_is_one_line_naming_its_file(saved_tagger: Path, tmp_path: Path) -> None:
    tagger = load_tagger(saved_tagger)
    path = write_reference(tagger, builtin_data(400, 32, seed=2), SETTINGS, tmp_path / "reference.json")
    record = json.loads(path.read_text())
    tensors = tmp_path / record["tensors_file"]
    intact = tensors.read_bytes()
    tensors.write_bytes(intact[:-1] + bytes([intact[-1] ^ 1]))
    with pytest.raises(ReferenceError, match=rf"^{tensors}: damaged \(its SHA-256 does not match reference.json\)$"):
        load_reference(path, SETTINGS, tagger.sha256)
    tensors.write_bytes(intact)
    path.write_text(json.dumps({**record, "floor": -1.0}))
    with pytest.raises(ReferenceError, match=rf"^{path}: not a valid real-face reference \(field 'floor' must"):
        load_reference(path, SETTINGS, tagger.sha256)


def test_eval_of_a_packed_model_uses_the_reference_beside_it(saved_tagger: Path, tmp_path: Path) -> None:
    run = train(resolve(resolution=32, width=8, steps=4, builtin_faces=600, batch_size=16, log_every=2,
                        sample_every=1000, checkpoint_every=1000, out=str(tmp_path / "run")))
    packed = pack_generator(latest_checkpoint(run), tmp_path / "packed")
    write_reference(load_tagger(saved_tagger), builtin_data(400, 32, seed=2), SETTINGS, reference_beside(packed))
    args = ["eval", str(packed), "--tagger", str(saved_tagger), "--per-pair", "2", "--frechet-faces", "150",
            "-o", str(tmp_path / "report")]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "report" / "report.json").read_text())
    assert report["real_faces"] == "built-in procedural faces (stored: reference.json)"
    assert report["settings"]["real_faces"] == 400  # the run itself learned from 600
    assert result.output.splitlines()[0] == f"verdict: {report['verdict']}"
    assert report["verdict"].startswith("not good enough yet: ")  # four steps of training


def test_the_shipped_reference_fits_the_shipped_model_and_tagger() -> None:
    model, tagger = acgan.load(), load_tagger(shipped_tagger())
    stored = load_reference(reference_beside(shipped_generator()), EvalSettings(), tagger.sha256)
    assert stored.vocab == model.vocab and stored.faces == 9991 and len(stored.hair) == 1000
    assert stored.mean.shape == (256,) and stored.eye_region.shape == (64, 64) and stored.eye_region.any()
    assert 2.0 < stored.floor < 3.0  # two sets of 1,000 real faces, measured at 2.54

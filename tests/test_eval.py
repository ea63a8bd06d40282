"""The tagger and the evaluation: they learn, they write their files, and they can fail."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from typer.testing import CliRunner

import acgan
from acgan.cli import app
from acgan.data.builtin import builtin_data
from acgan.data.face_data import FaceData, to_unit_range
from acgan.data.vocab import DEFAULT_VOCAB, Vocabulary
from acgan.judge.evaluate import EvalSettings, EvaluationError, evaluate, verdict
from acgan.judge.tagger import Tagger, load_tagger, save_tagger, train_tagger
from acgan.nets import ClassicGenerator, ModelConfig
from acgan.run.checkpoint import latest_checkpoint, run_of
from acgan.sample.generator import FaceGenerator
from acgan.sample.runners import TorchRunner
from acgan.sample.shipped import pack_generator
from acgan.train.settings import resolve
from acgan.train.trainer import train

runner = CliRunner()


def classic_runner(cfg: ModelConfig) -> TorchRunner:
    return TorchRunner(ClassicGenerator(cfg), cfg)


def test_tagger_learns_the_builtin_faces(builtin_tagger: Tagger) -> None:
    """Measured here on 600 built-in faces it never saw (another seed), not taken from its own held-out report;
    the report must agree with that measurement and account for every face."""
    fresh = builtin_data(600, 32, seed=9)
    hair_read, eyes_read, _ = builtin_tagger.run(to_unit_range(torch.from_numpy(fresh.images)))
    hair_right, eyes_right = (hair_read == fresh.hair).mean(), (eyes_read == fresh.eyes).mean()
    assert hair_right > 0.95 and eyes_right > 0.9
    held = builtin_tagger.held_out
    assert held["hair"] == pytest.approx(hair_right, abs=0.04) and held["eyes"] == pytest.approx(eyes_right, abs=0.05)
    assert held["train_faces"] + held["held_out_faces"] == 4000 and held["faces"] == held["held_out_faces"]
    assert held["held_out_faces"] == pytest.approx(400, abs=20)  # 10%, stratified by pair with random rounding
    assert set(held["hair_per_colour"]) == set(DEFAULT_VOCAB.hair)
    assert set(held["eyes_per_colour"]) == set(DEFAULT_VOCAB.eyes)


def test_tagger_round_trips_through_safetensors(builtin_tagger: Tagger, tmp_path: Path) -> None:
    save_tagger(builtin_tagger, tmp_path / "tagger")
    assert sorted(p.name for p in (tmp_path / "tagger").iterdir()) == ["tagger-00000000.safetensors", "tagger.json"]
    copy = load_tagger(tmp_path / "tagger")
    faces = builtin_data(40, 32, seed=5)
    images = to_unit_range(torch.from_numpy(faces.images))
    for a, b in zip(builtin_tagger.run(images), copy.run(images), strict=True):
        assert np.array_equal(a, b)
    assert copy.held_out == builtin_tagger.held_out


def test_an_untrained_generator_scores_near_chance(builtin_tagger: Tagger) -> None:
    real = builtin_data(600, 32, seed=2)
    untrained = FaceGenerator(runner=classic_runner(ModelConfig(resolution=32, width=8)), vocab=DEFAULT_VOCAB,
                              source="untrained", step=0)
    result = evaluate(untrained, builtin_tagger, real, EvalSettings(per_pair=2, frechet_faces=200))
    assert result["tag_accuracy"]["hair"] < 0.25 and result["tag_accuracy"]["eyes"] < 0.25
    assert result["frechet"]["ratio"] > 5  # noise is far from faces
    assert result["frechet"]["real_floor"] > 0


def test_a_tagger_with_other_colours_is_refused(builtin_tagger: Tagger) -> None:
    real = builtin_data(100, 32, seed=2)
    other = Vocabulary(hair=("silver", "gold"), eyes=("violet", "red"))
    model = FaceGenerator(runner=classic_runner(ModelConfig(resolution=32, width=8, n_hair=2, n_eyes=2)), vocab=other,
                          source="other", step=0)
    with pytest.raises(EvaluationError, match="the tagger knows other colours than the run"):
        evaluate(model, builtin_tagger, real)


def test_real_faces_with_no_pair_twice_are_a_clear_error(builtin_tagger: Tagger) -> None:
    """Eight real faces, each of its own pair: variety within a pair cannot be measured, and evaluation says so
    before drawing anything (it ended in diversity_ratio's bare ValueError)."""
    faces = builtin_data(400, 32, seed=2)
    pairs = faces.hair * len(DEFAULT_VOCAB.eyes) + faces.eyes
    first = np.unique(pairs, return_index=True)[1][:8]
    few = FaceData(faces.images[first], faces.hair[first], faces.eyes[first], DEFAULT_VOCAB, "eight faces")
    model = FaceGenerator(runner=classic_runner(ModelConfig(resolution=32, width=8)), vocab=DEFAULT_VOCAB,
                          source="untrained", step=0)
    with pytest.raises(EvaluationError) as refused:
        evaluate(model, builtin_tagger, few)
    assert str(refused.value) == ("eight faces: no hair x eye pair has two real faces, so variety within a pair "
                                  "cannot be compared; give more faces")


def test_a_colour_without_faces_is_a_clear_tagger_error() -> None:
    faces = builtin_data(200, 32, seed=3)
    keep = faces.hair != DEFAULT_VOCAB.hair_index("gray")
    thin = FaceData(faces.images[keep], faces.hair[keep], faces.eyes[keep], DEFAULT_VOCAB, "thin set")
    with pytest.raises(ValueError, match="no faces with hair colour gray"):
        train_tagger(thin, epochs=1, progress=False)


def test_eval_command_writes_the_report(builtin_tagger: Tagger, tmp_path: Path) -> None:
    """The report's numbers are the outcomes they name. Tag accuracy: the tagger reading the faces `acgan.load(run)`
    draws for every pair, two each, from seeds 0 to 263 (guards against scoring the requested colours against
    themselves, `tag_accuracy(hair, eyes, hair, eyes, vocab)` in evaluate: 100% for a 20-step model). The
    colour-balanced ceiling: the mean of a held-out report written here by hand."""
    held_out = {**builtin_tagger.held_out, "hair_per_colour": {name: 0.25 if i < 6 else 1.0 for i, name in
                                                               enumerate(DEFAULT_VOCAB.hair)},
                "eyes_per_colour": {"gray": 1.0, "black": 0.5}}
    save_tagger(replace(builtin_tagger, held_out=held_out), tmp_path / "tagger")
    run = train(resolve(resolution=32, width=8, steps=20, builtin_faces=600, batch_size=16, log_every=5,
                            sample_every=1000, checkpoint_every=1000, out=str(tmp_path / "run")))
    result = runner.invoke(app, ["eval", str(run), "--tagger", str(tmp_path / "tagger"), "--per-pair", "2",
                                 "--frechet-faces", "150"])
    assert result.exit_code == 0, result.output
    folder = run / "eval" / "step-00000020"
    report = json.loads((folder / "report.json").read_text())
    assert report["step"] == 20 and report["settings"]["generated_faces"] == 264

    pairs = [(hair, eyes) for hair in DEFAULT_VOCAB.hair for eyes in DEFAULT_VOCAB.eyes for _ in range(2)]
    faces = acgan.load(run).generate([h for h, _ in pairs], [e for _, e in pairs], n=len(pairs), seed=0)
    hair_read, eyes_read, _ = builtin_tagger.run(to_unit_range(torch.from_numpy(np.stack([np.asarray(f)
                                                                                          for f in faces]))))
    hair_right = hair_read == np.array([DEFAULT_VOCAB.hair_index(h) for h, _ in pairs])
    eyes_right = eyes_read == np.array([DEFAULT_VOCAB.eye_index(e) for _, e in pairs])
    # The report's faces are floats, these were rounded to pixels: a borderline face or two may read otherwise.
    accuracy = report["tag_accuracy"]
    assert accuracy["hair"] == pytest.approx(hair_right.mean(), abs=0.02) and accuracy["hair"] < 0.9
    assert accuracy["eyes"] == pytest.approx(eyes_right.mean(), abs=0.02)
    assert accuracy["both"] == pytest.approx((hair_right & eyes_right).mean(), abs=0.02)
    confusion = np.array(report["confusion"]["hair"])
    assert confusion.sum() == 264 and np.trace(confusion) / 264 == pytest.approx(accuracy["hair"])

    assert report["frechet"]["generated_vs_real"] > report["frechet"]["real_floor"] > 0
    assert report["diversity"]["ratio"] > 0 and report["diversity"]["pairs"] > 100
    assert report["inception_fid"] is None and "Inception FID" in report["inception_fid_note"]
    assert report["tagger"]["colour_balanced"] == {"hair": 0.625, "eyes": 0.75}
    text = (folder / "report.md").read_text()
    assert f"hair read back | {accuracy['hair']:.1%} |" in text and "75.0% colour-balanced" in text
    assert "62.5% with every colour counted equally" in text
    for name in ("confusion_hair.png", "confusion_eyes.png", "per_colour.png", "losses.png"):
        assert Image.open(folder / name).width > 200


def test_a_record_outside_any_run_reports_into_the_working_folder(builtin_tagger: Tagger, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    # The shipped model's record sits in the installed package: its report must not be written there.
    save_tagger(builtin_tagger, tmp_path / "tagger")
    run = train(resolve(resolution=32, width=8, steps=4, builtin_faces=600, batch_size=16, log_every=2,
                        sample_every=1000, checkpoint_every=1000, out=str(tmp_path / "run")))
    checkpoint = latest_checkpoint(run)
    assert run_of(checkpoint.path) == run
    packed = pack_generator(checkpoint, tmp_path / "packed")
    assert run_of(packed) is None
    beside = sorted((tmp_path / "packed").iterdir())
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")
    result = runner.invoke(app, ["eval", str(packed), "--tagger", str(tmp_path / "tagger"), "--per-pair", "2",
                                 "--frechet-faces", "150"])
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "work" / "eval" / packed.stem / "report.json").read_text())["step"] == 4
    assert sorted((tmp_path / "packed").iterdir()) == beside


def test_eval_without_a_checkpoint_or_tagger_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "run").mkdir()
    result = runner.invoke(app, ["eval", str(tmp_path / "run"), "--tagger", str(tmp_path / "tagger")])
    assert result.exit_code == 2 and "no checkpoints" in result.output


def test_training_with_eval_keeps_a_best_checkpoint(builtin_tagger: Tagger, tmp_path: Path) -> None:
    save_tagger(builtin_tagger, tmp_path / "tagger")
    run = train(resolve(resolution=32, width=8, steps=20, builtin_faces=600, batch_size=16, log_every=5,
                            sample_every=1000, checkpoint_every=1000, eval_every=10, tagger=str(tmp_path / "tagger"),
                            out=str(tmp_path / "run")))
    lines = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]
    evals = [line for line in lines if "eval_score" in line]
    assert [line["step"] for line in evals] == [10, 20]
    best = json.loads((run / "checkpoints" / "best.json").read_text())
    assert best["info"]["score"] == pytest.approx(max(line["eval_score"] for line in evals), abs=1e-4)


def test_the_verdict_names_every_bar_a_model_misses() -> None:
    result = {"tagger": {"colour_balanced": {"hair": 0.6, "eyes": 0.5}}, "tag_accuracy": {"hair": 0.7, "eyes": 0.44},
              "frechet": {"ratio": 3.5}, "diversity": {"ratio": 0.8}}
    assert verdict(result) == ("not good enough yet: eyes read back 44.0% < 45.0%; Fréchet distance / real floor "
                               "3.5× > 3.0× (met: hair read back 70.0% ≥ 60.0%; variety / real faces' 0.80 ≥ 0.75)")
    result |= {"tag_accuracy": {"hair": 0.6, "eyes": 0.45}, "frechet": {"ratio": 3.0}}
    assert verdict(result).startswith("good: every bar met (hair read back 60.0% ≥ 60.0%; eyes read back 45.0%")

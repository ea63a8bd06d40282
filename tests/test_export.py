"""ONNX export: onnxruntime draws what PyTorch draws (fp32, within 1e-4), for any batch size."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
import pytest
import torch
from typer.testing import CliRunner

from acgan.cli import app
from acgan.errors import UserError
from acgan.sample.export import export_onnx
from acgan.sample.generator import load, load_onnx
from acgan.sample.runners import OnnxRunner, one_hot
from acgan.sample.seeds import noise_for_seeds
from acgan.train.settings import resolve
from acgan.train.trainer import train

runner = CliRunner()


@pytest.fixture(scope="module", params=["classic", "modern"])
def run(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("export") / "run"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ACGAN_CACHE", str(out.parent / "cache"))
        return train(resolve(recipe=request.param, resolution=32, width=8, steps=6, builtin_faces=200,
                                 batch_size=8, lr_g=0.02, sample_every=1000, checkpoint_every=1000, out=str(out)))


def test_onnx_matches_pytorch_for_any_batch(run: Path, tmp_path: Path) -> None:
    model = load(run)
    path = export_onnx(model, tmp_path / "g.onnx")
    onnx.checker.check_model(str(path))
    runner_ = OnnxRunner(path)
    for batch in (1, 5, 64):
        z = noise_for_seeds(range(batch), 100)
        hair, eyes = torch.arange(batch) % 12, torch.arange(batch) % 11
        expected = model.runner(z, hair, eyes)
        assert runner_(z, hair, eyes).shape == (batch, 3, 32, 32)
        assert (runner_(z, hair, eyes) - expected).abs().max() < 1e-4
        # Colour weights: one-hot rows equal the index form, and a blend of two colours (a morph's middle frames)
        # is drawn as PyTorch draws it, and is neither of its ends.
        assert (runner_(z, one_hot(hair, 12), one_hot(eyes, 11)) - expected).abs().max() < 1e-4
        hair_blend = 0.3 * one_hot(hair, 12) + 0.7 * one_hot((hair + 5) % 12, 12)
        eyes_blend = 0.6 * one_hot(eyes, 11) + 0.4 * one_hot((eyes + 3) % 11, 11)
        blended = model.runner(z, hair_blend, eyes_blend)
        assert (runner_(z, hair_blend, eyes_blend) - blended).abs().max() < 1e-4
        for end_hair, end_eyes in ((hair, eyes), ((hair + 5) % 12, (eyes + 3) % 11)):
            assert (blended - model.runner(z, end_hair, end_eyes)).abs().amax(dim=(1, 2, 3)).min() > 1e-3
    assert expected.abs().max() > 0.05  # a trained-enough generator: the comparison is not of near-zeros


def test_an_export_describes_itself_and_draws_the_same_faces(run: Path, tmp_path: Path) -> None:
    model = load(run)
    exported = load_onnx(export_onnx(model, tmp_path / "g.onnx"))
    assert exported.vocab == model.vocab and exported.step == model.step and exported.runtime == "onnx"
    a = model.generate_tensor("blue", "red", n=4, seed=11)
    b = exported.generate_tensor("blue", "red", n=4, seed=11)
    assert (a - b).abs().max() < 1e-4
    frames_a = model.morph((1, "blue", "red"), (2, "pink", "green"), 4)
    frames_b = exported.morph((1, "blue", "red"), (2, "pink", "green"), 4)
    for x, y in zip(frames_a, frames_b, strict=True):
        assert np.abs(np.asarray(x, dtype=int) - np.asarray(y, dtype=int)).max() <= 1


def test_export_command_writes_and_checks_the_file(run: Path) -> None:
    result = runner.invoke(app, ["export", str(run)])
    assert result.exit_code == 0, result.output
    assert (run / "generator.onnx").stat().st_size > 10_000
    gap = float(result.output.split("max difference ")[1].split()[0])
    assert gap < 1e-4


def test_a_file_that_is_not_an_export_is_refused(tmp_path: Path) -> None:
    from onnx import TensorProto, helper

    graph = helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "plain",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])])
    onnx.save(helper.make_model(graph), str(tmp_path / "plain.onnx"))
    with pytest.raises(UserError, match="not an acgan export"):
        OnnxRunner(tmp_path / "plain.onnx")


def test_a_missing_or_broken_export_is_a_clear_error(run: Path, tmp_path: Path) -> None:
    from acgan.serve.app import load_for_serving

    with pytest.raises(UserError, match=r"nowhere\.onnx: no such ONNX file"):
        OnnxRunner(tmp_path / "nowhere.onnx")
    (tmp_path / "broken.onnx").write_bytes(b"half an export")
    with pytest.raises(UserError, match=r"broken\.onnx: not a readable ONNX model"):
        OnnxRunner(tmp_path / "broken.onnx")
    (run / "generator.onnx").unlink(missing_ok=True)
    with pytest.raises(UserError, match=r"--runtime onnx: cannot load .*generator\.onnx.*acgan export"):
        load_for_serving(run, runtime="onnx")
    assert load_for_serving(run, runtime="auto").runtime == "torch"  # no export: PyTorch, without a fuss


@pytest.mark.parametrize(("change", "message"), [
    ({"resolution": 64}, r"the export draws \(1, 3, 32, 32\) images, its metadata says 64 px"),
    ({"z_dim": 50}, "the export does not run as its metadata describes it"),
    ({"width": "eight"}, "its 'acgan' metadata is not valid"),
])
def test_an_export_whose_metadata_disagrees_with_its_graph_is_refused_at_load(run: Path, tmp_path: Path,
                                                                             change: dict, message: str) -> None:
    from acgan.serve.app import load_for_serving

    path = export_onnx(load(run), run / "generator.onnx")
    graph = onnx.load(str(path))
    entry = next(e for e in graph.metadata_props if e.key == "acgan")
    meta = json.loads(entry.value)
    meta["model"].update(change)
    entry.value = json.dumps(meta)
    onnx.save(graph, str(path))
    with pytest.raises(UserError, match=message):
        OnnxRunner(path)
    with pytest.raises(UserError, match="--runtime onnx: cannot load"):
        load_for_serving(run, runtime="onnx")  # refused when the server starts, not on every request
    path.unlink()

"""`acgan site`: the static folder it writes (the page's own files, a float16-stored ONNX generator that draws what
PyTorch draws, model.json, the pinned ONNX Runtime Web files) and its one-line refusals. tests/test_browser.py
opens such a site in chromium."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import onnx
import onnx.numpy_helper
import pytest
import torch
from typer.testing import CliRunner

import acgan
from acgan.cli import app
from acgan.data.vocab import Vocabulary
from acgan.errors import UserError
from acgan.judge.tagger import load_tagger
from acgan.sample.contract import MAX_SEED
from acgan.sample.export import export_onnx
from acgan.sample.generator import load_onnx
from acgan.sample.shipped import shipped_tagger
from acgan.serve.page import static_folder
from acgan.serve.site import ISOLATION_WORKER, find_ort, repo_web_folder, write_tagger
from tests.test_serve import build_tiny_run

runner = CliRunner()
PINNED = json.loads((Path(__file__).parent.parent / "web" / "package.json").read_text())["dependencies"]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_run(tmp_path_factory)


@pytest.fixture(scope="module")
def packed(run_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny run packed as acgan ships its model (float16 weights), the way to a site half the size."""
    out = tmp_path_factory.mktemp("packed")
    result = runner.invoke(app, ["pack", str(run_dir), "-o", str(out)])
    assert result.exit_code == 0, result.output
    return out / "generator.json"


@pytest.fixture(scope="module")
def site(packed: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    try:
        find_ort()
    except UserError as err:
        pytest.skip(str(err))
    out = tmp_path_factory.mktemp("site") / "site"
    result = runner.invoke(app, ["site", str(packed), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert f"wrote {out}/" in result.output and "python -m http.server" in result.output
    return out


def test_the_site_holds_the_page_the_server_serves(site: Path) -> None:
    for path in static_folder().iterdir():
        if path.suffix in (".js", ".css"):  # one page: the very files `acgan serve` serves
            beside = site / ("" if path.name == ISOLATION_WORKER else "static") / path.name  # a worker's scope
            assert beside.read_bytes() == path.read_bytes(), path.name
    served = (static_folder() / "index.html").read_text()
    page = (site / "index.html").read_text()
    assert '<meta name="acgan-mode" content="browser">' in page and "acgan-mode\" content=\"server\"" in served
    assert "script-src 'self' 'wasm-unsafe-eval';" in page and "script-src 'self';" in served
    differing = [a for a, b in zip(served.splitlines(), page.splitlines(), strict=True) if a != b]
    assert len(differing) == 2  # the mode and the policy line, nothing else


def weight_types(path: Path) -> dict[str, int]:
    return {init.name: init.data_type for init in onnx.load(str(path)).graph.initializer if len(init.dims) > 1}


def test_the_model_draws_what_pytorch_draws_from_float16_weights(site: Path, packed: Path) -> None:
    """A packed model's weights are float16 values, so they are stored as float16, losing nothing; the exporter
    folds the classic generator's BatchNorm into the convolution before it, and those products stay float32."""
    path = site / "model" / "generator.onnx"
    stored = weight_types(path)
    halves = {name for name, kind in stored.items() if kind == onnx.TensorProto.FLOAT16}
    assert {"hair_embedding.weight.fp16", "eye_embedding.weight.fp16", "net.8.weight.fp16"} <= halves
    for init in onnx.load(str(path)).graph.initializer:
        if init.data_type == onnx.TensorProto.FLOAT and len(init.dims) > 1:
            weights = onnx.numpy_helper.to_array(init)
            assert not np.array_equal(weights.astype(np.float16).astype(np.float32), weights), init.name
    model, exported = acgan.load(packed), load_onnx(path)
    for hair, eyes, seed in (("blue", "red", 0), ("aqua", "gray", 12_345)):
        assert float((model.generate_tensor(hair, eyes, 6, seed) - exported.generate_tensor(hair, eyes, 6, seed))
                     .abs().max()) < 1e-4


def test_weights_float16_cannot_hold_stay_float32(run_dir: Path, tmp_path: Path) -> None:
    """A run's own float32 weights would change its faces if rounded: the site keeps them (pack first to halve)."""
    path = export_onnx(acgan.load(run_dir), tmp_path / "g.onnx", fp16_weights=True)
    assert set(weight_types(path).values()) == {onnx.TensorProto.FLOAT}


def test_model_json_says_what_the_page_needs(site: Path, packed: Path) -> None:
    meta = json.loads((site / "model" / "model.json").read_text())
    model = acgan.load(packed)
    assert [s["name"] for s in meta["hair"]] == list(model.vocab.hair)
    assert [s["name"] for s in meta["eyes"]] == list(model.vocab.eyes)
    assert all(s["hex"].startswith("#") for s in meta["hair"] + meta["eyes"])
    assert (meta["resolution"], meta["z_dim"], meta["step"]) == (32, 100, 4)
    assert meta["seeds"]["max"] == str(MAX_SEED) and meta["seeds"]["face_k"] == "seed + k"
    assert not Path(meta["source"]).is_absolute()  # a published site names no folder of the machine that built it
    assert meta["generator"]["bytes"] == (site / meta["generator"]["file"]).stat().st_size
    runtime = meta["runtime"]
    assert runtime["version"] == PINNED["onnxruntime-web"] and runtime["webgpu"] is False
    assert {name: (site / name).stat().st_size for name in runtime["files"]} == runtime["files"]
    assert sorted(p.name for p in (site / "ort").iterdir()) == sorted(Path(n).name for n in runtime["files"])


def test_the_tagger_reads_the_faces_as_pytorch_reads_them(site: Path, packed: Path) -> None:
    """The page reads colours back with model/tagger.onnx: the shipped tagger, its input the generator's output (here
    32 px, resized inside the graph to the tagger's 64 as Tagger.run resizes), the same colours as PyTorch's."""
    import onnxruntime as ort

    meta = json.loads((site / "model" / "model.json").read_text())["tagger"]
    assert meta["bytes"] == (site / meta["file"]).stat().st_size
    model, tagger = acgan.load(packed), load_tagger(shipped_tagger())
    faces = torch.cat([model.generate_tensor(hair, eyes, 8, seed) for hair, eyes, seed in
                       (("blue", "red", 0), ("pink", "gray", 100), ("random", "random", 7))])
    hair, eyes = ort.InferenceSession(str(site / meta["file"])).run(["hair", "eyes"], {"image": faces.numpy()})
    expected_hair, expected_eyes, _ = tagger.run(faces)
    assert hair.shape == (24, 12) and eyes.shape == (24, 11)
    assert hair.argmax(1).tolist() == expected_hair.tolist() and eyes.argmax(1).tolist() == expected_eyes.tolist()


def test_a_model_with_other_colours_gets_no_tagger(packed: Path, tmp_path: Path) -> None:
    model = acgan.load(packed)
    other = replace(model, vocab=Vocabulary(("teal", *model.vocab.hair[1:]), model.vocab.eyes))
    assert write_tagger(tmp_path, other) is None and not (tmp_path / "model").exists()


def test_building_again_replaces_the_site_it_wrote_and_leaves_nothing_beside_it(site: Path, packed: Path) -> None:
    before = sorted(p.name for p in site.parent.iterdir())
    (site / "model" / "generator.onnx").write_bytes(b"an older build")  # ...but acgan wrote it: not the user's
    result = runner.invoke(app, ["site", str(packed), "-o", str(site)])
    assert result.exit_code == 2 and "generator.onnx was changed since acgan wrote it" in result.output
    assert (site / "model" / "generator.onnx").read_bytes() == b"an older build"
    (site / "model" / "generator.onnx").unlink()
    result = runner.invoke(app, ["site", str(packed), "-o", str(site)])
    assert result.exit_code == 0, result.output
    assert (site / "model" / "generator.onnx").stat().st_size > 1000
    assert sorted(p.name for p in site.parent.iterdir()) == before  # no building or old folder left beside it


def refused_without_loss(target: Path, packed: Path, tmp_path: Path, reason: str) -> None:
    """`acgan site -o target` is one line naming `reason`, and every file under target's parent is as it was."""
    def everything() -> dict[str, bytes]:
        return {str(p): p.read_bytes() for p in sorted(target.parent.rglob("*")) if p.is_file()}
    before = everything()
    # --ort points nowhere: the folder is checked before anything else is looked for
    result = runner.invoke(app, ["site", str(packed), "-o", str(target), "--ort", str(tmp_path / "no-ort")])
    assert result.exit_code == 2 and "Traceback" not in result.output, result.output
    assert result.output.startswith(f"error: -o {target.resolve()}: not replaced, {reason}"), result.output
    assert len(result.output.strip().splitlines()) == 1
    assert everything() == before


def test_a_folder_that_merely_holds_model_json_is_not_replaced(packed: Path, tmp_path: Path) -> None:
    """Issue 21 #1: a project folder with model/model.json (a common name) and a thesis was deleted whole."""
    project = tmp_path / "p"
    (project / "model").mkdir(parents=True)
    (project / "model" / "model.json").write_text("{}")
    (project / "thesis.txt").write_text("keep")
    refused_without_loss(project, packed, tmp_path, "it has no .acgan-site.json from acgan site")
    (project / ".acgan-site.json").write_text('{"files": {"model/model.json": "0"}}')  # a forged marker
    refused_without_loss(project, packed, tmp_path, "model/model.json was changed since acgan wrote it")


def test_a_site_holding_a_file_acgan_did_not_write_is_not_replaced(site: Path, packed: Path, tmp_path: Path) -> None:
    (site / "notes.txt").write_text("the user's")
    (site / "static" / "mine.js").write_text("the user's too")
    try:
        refused_without_loss(site, packed, tmp_path, "notes.txt was not written by acgan")
        (site / "notes.txt").unlink()
        refused_without_loss(site, packed, tmp_path, "static/mine.js was not written by acgan")
    finally:
        (site / "notes.txt").unlink(missing_ok=True)
        (site / "static" / "mine.js").unlink()


def test_a_sibling_folder_named_like_a_build_folder_is_left_alone(packed: Path, tmp_path: Path) -> None:
    """Issue 21 #2: `acgan site -o p` deleted a sibling p.partial and everything in it."""
    try:
        find_ort()
    except UserError as err:
        pytest.skip(str(err))
    (tmp_path / "p.partial").mkdir()
    (tmp_path / "p.partial" / "work.txt").write_text("keep")
    (tmp_path / ".p.building").mkdir()
    result = runner.invoke(app, ["site", str(packed), "-o", str(tmp_path / "p")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "p.partial" / "work.txt").read_text() == "keep" and (tmp_path / ".p.building").is_dir()
    assert sorted(p.name for p in tmp_path.iterdir()) == [".p.building", "p", "p.partial"]


def test_an_output_that_is_a_file_or_unwritable_is_one_line(packed: Path, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("keep me")
    result = runner.invoke(app, ["site", str(packed), "-o", str(tmp_path / "notes.txt")])
    assert result.exit_code == 2 and "exists and is not a folder" in result.output
    assert (tmp_path / "notes.txt").read_text() == "keep me"
    try:
        find_ort()
    except UserError:
        return
    result = runner.invoke(app, ["site", str(packed), "-o", str(tmp_path / "notes.txt" / "site")])
    assert result.exit_code == 2 and "cannot write there" in result.output and "Traceback" not in result.output


def test_without_onnx_runtime_web_the_error_names_the_npm_command(run_dir: Path, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    result = runner.invoke(app, ["site", str(run_dir), "-o", str(tmp_path / "out"), "--ort", str(tmp_path)])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "ONNX Runtime Web is not installed" in result.output and "npm ci --prefix web" in result.output
    assert len(result.output.strip().splitlines()) == 1 and not (tmp_path / "out").exists()
    monkeypatch.setenv("ACGAN_ORT_DIST", str(tmp_path / "nowhere"))
    with pytest.raises(UserError, match=r"nowhere lacks ort-wasm-simd-threaded\.wasm"):
        find_ort()


def test_the_runtime_is_pinned_and_comes_from_npm() -> None:
    web = repo_web_folder()
    lock = json.loads((web / "package-lock.json").read_text())
    version = PINNED["onnxruntime-web"]
    assert version[0].isdigit()  # an exact version, not a range
    package = lock["packages"]["node_modules/onnxruntime-web"]
    assert package["version"] == version and package["integrity"].startswith("sha512-")
    assert not any(spec.startswith(("http", "git", "file:")) for spec in PINNED.values())  # the registry only

"""The model shipped in the package: its files are the ones the model card names, it draws every pair from a
seed alone, the shipped tagger reads its colours back, and every way in (API, CLI, server) uses it by default."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

import acgan
from acgan.cli import app
from acgan.judge.metrics import balanced_labels
from acgan.judge.tagger import load_tagger
from acgan.sample.generator import draw
from acgan.sample.shipped import shipped_folder, shipped_generator, shipped_tagger

CARD = Path(__file__).parent.parent / "docs" / "MODEL_CARD.md"
# Measured with one face per pair (132 faces) at seeds 0, 500 and 1000: hair 81-84%, eyes 60-72% (chance 8% and 9%).
HAIR_BAR, EYES_BAR = 0.60, 0.45


@pytest.fixture(scope="module")
def model() -> acgan.FaceGenerator:
    return acgan.load()


def test_the_shipped_files_are_the_ones_the_model_card_names() -> None:
    listed = dict(re.findall(r"^\| (\S+) \| [\d,]+ \| ([0-9a-f]{64}) \|$", CARD.read_text(), flags=re.M))
    on_disk = {path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in shipped_folder().iterdir()
               if path.suffix in (".json", ".safetensors")}
    assert listed == on_disk
    assert (shipped_folder() / "generator-00004723.safetensors").stat().st_size < 10 * 2**20


def test_the_shipped_generator_is_the_64_px_default_recipe(model: acgan.FaceGenerator) -> None:
    record = json.loads(shipped_generator().read_text())
    assert (model.resolution, model.step, model.runtime) == (64, 4723, "torch")
    assert record["kind"] == "generator" and record["settings"]["recipe"] == "modern"
    assert record["info"]["eval"]["hair"] > record["info"]["eval"]["hair_ceiling_colour_balanced"]
    assert len(model.vocab.hair) == 12 and len(model.vocab.eyes) == 11


def test_every_pair_draws_the_same_faces_for_the_same_seed(model: acgan.FaceGenerator) -> None:
    hair, eyes = balanced_labels(12, 11, 1)
    labels = torch.from_numpy(hair), torch.from_numpy(eyes)
    first, again = draw(model.runner, range(132), *labels), draw(model.runner, range(132), *labels)
    other = draw(model.runner, range(1000, 1132), *labels)
    assert first.shape == (132, 3, 64, 64) and torch.equal(first, again)
    assert (first - other).abs().flatten(1).mean(1).min() > 0.02  # a new seed is a new face in every pair
    assert first.std() > 0.2  # faces, not a flat colour


def test_the_shipped_tagger_reads_the_shipped_faces_colours(model: acgan.FaceGenerator) -> None:
    tagger = load_tagger(shipped_tagger())
    hair, eyes = balanced_labels(12, 11, 1)
    hair_read, eyes_read, _ = tagger.run(draw(model.runner, range(132), torch.from_numpy(hair), torch.from_numpy(eyes)))
    assert float(np.mean(hair_read == hair)) >= HAIR_BAR
    assert float(np.mean(eyes_read == eyes)) >= EYES_BAR


def test_the_command_line_draws_from_the_shipped_model_without_a_run(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # away from any data/ folder the shipped record names
    runner = CliRunner()
    result = runner.invoke(app, ["generate", "--hair", "blue", "--eyes", "red", "-n", "1", "--seed", "4",
                                 "--size", "128", "-o", str(tmp_path / "face.png")])
    assert result.exit_code == 0, result.output
    from PIL import Image

    with Image.open(tmp_path / "face.png") as image:
        assert image.size == (128, 128)
        # Named as published (records.public_name): the package's path, not this machine's folders.
        assert json.loads(image.text["acgan"])["source"] == "acgan/shipped/generator.json"
    # The shipped model's faces are not on this machine, only their statistics for the default Frechet set
    # (tests/test_reference.py): another set needs the faces.
    result = runner.invoke(app, ["eval", "--frechet-faces", "100"])
    assert result.exit_code == 2 and "not for --frechet-faces 100 --seed 0; give --data DIR" in result.output


def test_the_server_serves_the_shipped_model_without_a_run() -> None:
    pytest.importorskip("fastapi", reason="the serve extra is missing: pip install -e '.[serve]'")
    from fastapi.testclient import TestClient

    from acgan.serve.app import create_app, load_for_serving

    with TestClient(create_app(load_for_serving(None)), base_url="http://localhost") as client:
        health = client.get("/api/healthz").json()
    assert (health["step"], health["resolution"]) == (4723, 64)

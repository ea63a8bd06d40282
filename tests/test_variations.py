"""Variations of a face ("more like this"): a face's noise moved by a distance, step by step, drawn the same by the
Python API, the CLI and the server, carried in every record, and varied again (the refine loop).

The noise of a move is checked against docs/DESIGN.md's definition written out again here with Python integers, and
its statistics against what the definition promises (standard normal, correlation sqrt(1 - d^2) with the face it came
from); the drawing against the network itself on the shipped model."""

from __future__ import annotations

import base64
import io
import json
import math
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from typer.testing import CliRunner

import acgan
from acgan.cli import app
from acgan.errors import UserError, WrongTypeError
from acgan.sample.contract import MAX_MOVES, Face
from acgan.sample.seeds import colours_for, noise_for_faces, noise_for_seeds, seed_noise64
from acgan.serve.app import create_app

MASK = 2**64 - 1
GOLDEN = 0x9E3779B97F4A7C15


def mix64(z: int) -> int:
    """SplitMix64's output function on a Python integer (DESIGN.md, step 1)."""
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return z ^ (z >> 31)


def noise_by_the_book(seed: int, moves: list[tuple[int, float]], z_dim: int = 100) -> np.ndarray:
    """docs/DESIGN.md "Variations of a face", one step at a time, float64 until the end."""
    z, key = seed_noise64([seed], z_dim)[0], seed
    for index, distance in moves:
        key = mix64((key + (index + 1) * GOLDEN) & MASK) >> 1
        step = seed_noise64([key], z_dim)[0]
        z = np.array([math.sqrt(1 - distance * distance) * a + distance * b for a, b in zip(z, step, strict=True)])
    return z.astype(np.float32)


@pytest.fixture(scope="module")
def model() -> acgan.FaceGenerator:
    return acgan.load()


def record(image: Image.Image) -> dict:
    return json.loads(image.info["acgan"])


def pixels(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("RGB"), dtype=np.float64)


def test_a_move_is_the_noise_docs_design_defines() -> None:
    """Guards the definition the page copies bit for bit: the key chain, sqrt(1 - d^2), the order of operations."""
    paths = [[(3, 0.4)], [(3, 0.4), (0, 0.25)], [(0, 1.0)], [(9_999, 1e-9), (7, 0.999)]]
    for seed in (0, 42, 2**63 - 1):
        for moves in paths:
            got = noise_for_faces([Face(seed, "blue", "red", tuple(moves))], 100)[0].numpy()
            assert got.tobytes() == noise_by_the_book(seed, moves).tobytes(), (seed, moves)


def test_a_seed_s_own_face_keeps_its_noise_bit_for_bit() -> None:
    seeds = [0, 1, 5, 10**9, 2**63 - 1]
    plain = noise_for_faces([Face(seed, "blue", "red") for seed in seeds], 100)
    assert torch.equal(plain, noise_for_seeds(seeds, 100))


def test_variations_stay_standard_normal_at_the_promised_nearness() -> None:
    """z' = sqrt(1 - d^2) z + d n with n independent: z' is standard normal and its correlation with z is sqrt(1-d^2).
    A move whose noise did not depend on the index, or that dropped the sqrt, fails here."""
    seeds = range(2_000)
    parents = noise_for_seeds(seeds, 100).double()
    for distance in (0.4, 1.0):
        moved = noise_for_faces([Face(s, "blue", "red", ((s % 8, distance),)) for s in seeds], 100).double()
        correlation = float((parents * moved).mean())
        assert abs(moved.mean()) < 0.01 and abs(moved.var() - 1) < 0.02
        assert abs(correlation - math.sqrt(1 - distance**2)) < 0.02, (distance, correlation)
    siblings = noise_for_faces([Face(7, "blue", "red", ((k, 0.4),)) for k in range(8)], 100).double()
    steps = (siblings - math.sqrt(1 - 0.16) * noise_for_seeds([7], 100).double()) / 0.4
    off_diagonal = (steps @ steps.T / 100)[~torch.eye(8, dtype=torch.bool)]
    assert off_diagonal.abs().max() < 0.35  # each index moves the face its own way


def test_variations_are_near_their_face_and_differ_from_each_other(model: acgan.FaceGenerator) -> None:
    face = Face(11, "blonde", "blue")
    original = pixels(model.faces([face])[0])
    near = [pixels(image) for image in model.variations(face, n=8, distance=0.4)]
    far = [pixels(image) for image in model.generate("blonde", "blue", n=8, seed=1000)]
    distance_near = [np.abs(image - original).mean() for image in near]
    distance_far = [np.abs(image - original).mean() for image in far]
    assert max(distance_near) < min(distance_far), (distance_near, distance_far)
    assert min(np.abs(near[i] - near[j]).mean() for i in range(8) for j in range(i)) > 1.0


def test_each_variation_is_a_face_that_can_be_varied_again(model: acgan.FaceGenerator) -> None:
    first = model.variations((5, "random", "random"), n=4, distance=0.3)
    hair, eyes = colours_for(model.vocab, 5, "random", "random")  # "random" is the seed's own colour, kept
    assert [record(image) for image in first] == [
        {"source": model.public_source, "step": model.step, "seed": 5, "hair": hair, "eyes": eyes,
         "moves": [[k, 0.3]]} for k in range(4)]
    second = model.variations(first[2], n=2, distance=0.5)
    assert [record(image)["moves"] for image in second] == [[[2, 0.3], [0, 0.5]], [[2, 0.3], [1, 0.5]]]
    again = model.faces([Face(5, hair, eyes, ((2, 0.3), (1, 0.5)))])[0]  # alone, not in a batch of two:
    assert np.abs(pixels(again) - pixels(second[1])).max() <= 1  # a pixel may round to its neighbouring level
    assert np.array_equal(pixels(model.variations(first[2], n=2, distance=0.5)[1]), pixels(second[1]))


def test_a_variation_keeps_the_models_truncation(model: acgan.FaceGenerator) -> None:
    safer = model.with_truncation(0.6)
    image = safer.variations((3, "pink", "green"), n=1)[0]
    assert record(image)["truncation"] == 0.6
    z = noise_for_faces([Face(3, "pink", "green", ((0, 0.4),))], 100) * 0.6
    hair, eyes = torch.tensor([model.vocab.hair.index("pink")]), torch.tensor([model.vocab.eyes.index("green")])
    expected = Image.fromarray(((model.runner(z, hair, eyes)[0].permute(1, 2, 0).numpy() + 1) * 127.5)
                               .round().clip(0, 255).astype(np.uint8))
    assert np.abs(pixels(image) - pixels(expected)).max() <= 1  # one level of rounding


@pytest.mark.parametrize(("call", "error", "message"), [
    (lambda m: m.variations((1, "blue", "red"), distance=0), UserError,
     "distance must be above 0 and at most 1 (1: as far as any other face; lower: nearer), got 0"),
    (lambda m: m.variations((1, "blue", "red"), distance=True), WrongTypeError,
     "distance must be above 0 and at most 1 (1: as far as any other face; lower: nearer), got True (bool)"),
    (lambda m: m.variations((1, "blue", "red"), n=0), UserError, "n must be a whole number from 1 to 10,000, got 0"),
    (lambda m: m.variations((1, "blue", "red", [(0, 0.4)] * MAX_MOVES)), UserError,
     "like is already 64 variations from its seed's face, the most a face may be (64); vary a face nearer its seed"),
    (lambda m: m.variations((1, "blue", "red", [(0, 0.4)] * (MAX_MOVES + 1))), UserError,
     "like's moves: 65 moves; a face is at most 64 variations away from its seed's"),
    (lambda m: m.variations((1, "blue", "red", [(10_000, 0.4)])), UserError,
     "like's moves[0]'s index must be a whole number from 0 to 9,999, got 10,000"),
    (lambda m: m.variations((1, "blue", "red", [(0, 0.4, 1)])), WrongTypeError,
     "like's moves[0] must be an (index, distance) pair, got (0, 0.4, 1)"),
    (lambda m: m.variations(Image.new("RGB", (8, 8))), UserError,
     "like: no acgan metadata (only faces acgan drew can be drawn again)"),
    (lambda m: m.variations((1, "teal", "red")), UserError, None),
])
def test_bad_variation_arguments_get_one_clear_error(model: acgan.FaceGenerator, call, error: type,
                                                     message: str | None) -> None:
    with pytest.raises(error) as caught:
        call(model)
    if message is not None:
        assert str(caught.value) == message
    else:
        assert "teal" in str(caught.value)


def test_a_grid_cannot_be_varied_as_one_face(model: acgan.FaceGenerator, tmp_path: Path) -> None:
    grid = tmp_path / "grid.png"
    acgan.save_faces(model, grid, "blue", "red", n=3, seed=4)
    with pytest.raises(UserError) as caught:
        model.variations(grid)
    assert str(caught.value) == f"{grid} holds 3 faces; vary one face (draw them one per file first)"


def test_the_cli_draws_variations_and_varies_them_again(model: acgan.FaceGenerator, tmp_path: Path) -> None:
    runner = CliRunner()
    first = runner.invoke(app, ["generate", "--seed", "5", "--hair", "blue", "--eyes", "red", "--variations", "3",
                                "--separate", "-o", str(tmp_path / "v.png")])
    assert first.exit_code == 0, first.output
    assert first.output.strip() == f"wrote 3 face(s): {tmp_path / 'v-5-v0.png'} ..."
    expected = model.variations((5, "blue", "red"), n=3)
    for k in range(3):
        written = Image.open(tmp_path / f"v-5-v{k}.png")
        assert json.loads(written.text["acgan"])["moves"] == [[k, 0.4]]
        assert np.array_equal(pixels(written), pixels(expected[k]))
    second = runner.invoke(app, ["generate", "--like", str(tmp_path / "v-5-v1.png"), "--variations", "2",
                                 "--distance", "0.25", "-o", str(tmp_path / "w.png")])
    assert second.exit_code == 0, second.output
    assert second.output.strip() == f"wrote {tmp_path / 'w.png'} (2 faces: 5-v1.0 .. 5-v1.1)"
    grid = json.loads(Image.open(tmp_path / "w.png").text["acgan"])
    assert [face["moves"] for face in grid["faces"]] == [[[1, 0.4], [0, 0.25]], [[1, 0.4], [1, 0.25]]]
    redrawn = runner.invoke(app, ["generate", "--like", str(tmp_path / "v-5-v2.png"), "-o", str(tmp_path / "r.png")])
    assert redrawn.exit_code == 0, redrawn.output
    assert np.array_equal(pixels(Image.open(tmp_path / "r.png")), pixels(expected[2]))


@pytest.mark.parametrize(("args", "message"), [
    (["--variations", "2", "--all-pairs"], "error: --variations varies one face; it does not go with --all-pairs"),
    (["--distance", "0"], "error: --distance must be above 0 and at most 1 (1: as far as any other face; lower: "
                          "nearer), got 0.0"),
])
def test_the_cli_refuses_variations_it_cannot_draw(tmp_path: Path, args: list[str], message: str) -> None:
    result = CliRunner().invoke(app, ["generate", *args, "-o", str(tmp_path / "x.png")])
    assert result.exit_code == 2 and result.output.strip() == message
    assert not (tmp_path / "x.png").exists()


@pytest.fixture(scope="module")
def client(model: acgan.FaceGenerator) -> Iterator:
    with warnings.catch_warnings():  # starlette's TestClient warns that it will move to httpx2
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient
    with TestClient(create_app(model), base_url="http://localhost") as test_client:
        yield test_client


def decoded(face: dict) -> np.ndarray:
    return pixels(Image.open(io.BytesIO(base64.b64decode(face["png"]))))


def test_the_server_draws_the_python_variations(client, model: acgan.FaceGenerator) -> None:
    like = {"seed": 8, "hair": "pink", "eyes": "green", "moves": [[6, 0.4]]}
    response = client.post("/api/variations", json={"like": like, "n": 3, "distance": 0.5})
    assert response.status_code == 200, response.text
    faces = response.json()["faces"]
    assert [face["moves"] for face in faces] == [[[6, 0.4], [k, 0.5]] for k in range(3)]
    expected = model.variations((8, "pink", "green", [(6, 0.4)]), n=3, distance=0.5)
    assert all(np.array_equal(decoded(face), pixels(image)) for face, image in zip(faces, expected, strict=True))


def test_the_server_keeps_a_variation_through_recolour_and_morph(client, model: acgan.FaceGenerator) -> None:
    moves = [[2, 0.4], [5, 0.4]]
    recoloured = client.post("/api/recolour", json={"seed": 8, "moves": moves, "pairs": [{"hair": "blue",
                                                                                         "eyes": "red"}]})
    assert recoloured.status_code == 200, recoloured.text
    face = Face(8, "blue", "red", ((2, 0.4), (5, 0.4)))
    assert np.array_equal(decoded(recoloured.json()["faces"][0]), pixels(model.faces([face])[0]))
    morph = client.post("/api/morph", json={"from": {"seed": 8, "hair": "blue", "eyes": "red", "moves": moves},
                                            "to": {"seed": 9, "hair": "blue", "eyes": "red"}, "steps": 2})
    assert morph.status_code == 200, morph.text
    assert morph.json()["from"]["moves"] == moves
    assert np.array_equal(decoded(morph.json()["from"]), pixels(model.faces([face])[0]))


def test_the_server_draws_at_the_truncation_asked_for(client, model: acgan.FaceGenerator) -> None:
    response = client.post("/api/generate", json={"hair": "blue", "eyes": "red", "seed": 3, "n": 2,
                                                  "truncation": 0.6})
    assert response.status_code == 200, response.text
    expected = model.generate("blue", "red", n=2, seed=3, truncation=0.6)
    assert all(np.array_equal(decoded(face), pixels(image))
               for face, image in zip(response.json()["faces"], expected, strict=True))
    png = Image.open(io.BytesIO(base64.b64decode(response.json()["faces"][0]["png"])))
    assert json.loads(png.text["acgan"])["truncation"] == 0.6


@pytest.mark.parametrize(("body", "field"), [
    ({"like": {"seed": 1, "hair": "blue", "eyes": "red"}, "distance": 0}, "distance"),
    ({"like": {"seed": 1, "hair": "blue", "eyes": "red"}, "n": 65}, "n"),
    ({"like": {"seed": 1, "hair": "blue", "eyes": "red", "moves": [[0, 0.4]] * 65}}, "like.moves"),
    ({"like": {"seed": 1, "hair": "blue", "eyes": "red", "moves": [[0, 0.4]] * 64}}, "like.moves"),
    ({"like": {"seed": 1, "hair": "blue", "eyes": "red", "moves": [[-1, 0.4]]}}, "like.moves.0.0"),
    ({"like": {"seed": 1, "hair": "teal", "eyes": "red"}}, "like.hair"),
    ({"like": {"seed": 1, "hair": "blue", "eyes": "red"}, "truncation": 1.5}, "truncation"),
])
def test_a_bad_variations_request_is_a_422_naming_its_field(client, body: dict, field: str) -> None:
    response = client.post("/api/variations", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["message"].startswith(f"{field}:"), response.json()["message"]

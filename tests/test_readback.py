"""`acgan tagger read`: the colours the tagger reads in any picture, and for a face acgan wrote, whether they are
the colours asked for."""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PIL.PngImagePlugin import PngInfo
from typer.testing import CliRunner

import acgan
from acgan.cli import app
from acgan.data.builtin import builtin_data
from acgan.data.vocab import Vocabulary
from acgan.errors import UserError
from acgan.judge.readback import READ_BACK_TRIES, agreeing_faces, reads_as_asked
from acgan.judge.tagger import Tagger, TaggerConfig, TaggerNet, load_tagger, save_tagger
from acgan.sample.outputs import face_name
from acgan.sample.shipped import shipped_tagger
from acgan.serve.app import create_app


def write_png(path: Path, pixels, record: dict | None = None) -> Path:
    info = PngInfo()
    if record is not None:
        info.add_text("acgan", json.dumps(record))
    Image.fromarray(pixels).save(path, pnginfo=info)
    return path


def test_the_colours_of_known_faces_are_read_and_compared_with_what_was_asked(builtin_tagger: Tagger,
                                                                              tmp_path: Path) -> None:
    """Built-in faces of known colours (the tagger reads held-out ones 100%): a plain picture gets its colours,
    one whose metadata asks for its own colours reads 'as asked', one asking for other eyes says what was asked."""
    tagger = save_tagger(builtin_tagger, tmp_path / "tagger")
    faces = builtin_data(12, 32, seed=7, cache_dir=tmp_path / "cache")
    vocab = faces.vocab
    hair, eyes = vocab.hair[faces.hair[0]], vocab.eyes[faces.eyes[0]]
    other_eyes = next(name for name in vocab.eyes if name != eyes)
    plain = write_png(tmp_path / "plain.png", faces.images[0])
    kept = write_png(tmp_path / "kept.png", faces.images[0], {"source": "x", "step": 1, "seed": 3, "hair": hair,
                                                              "eyes": eyes})
    missed = write_png(tmp_path / "missed.png", faces.images[0], {"source": "x", "step": 1, "seed": 3,
                                                                  "hair": hair, "eyes": other_eyes})
    result = CliRunner().invoke(app, ["tagger", "read", "--tagger", str(tagger), str(plain), str(kept), str(missed)])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"{plain}: hair {hair}, eyes {eyes}",
        f"{kept}: hair {hair} (as asked), eyes {eyes} (as asked)",
        f"{missed}: hair {hair} (as asked), eyes {eyes} (asked {other_eyes})",
    ]
    paths = [write_png(tmp_path / f"face-{i}.png", image) for i, image in enumerate(faces.images)]
    read = json.loads(CliRunner().invoke(app, ["tagger", "read", "--tagger", str(tagger), "--json",
                                               *map(str, paths)]).output)
    right = sum(entry["hair"] == vocab.hair[h] and entry["eyes"] == vocab.eyes[e]
                for entry, h, e in zip(read, faces.hair, faces.eyes, strict=True))
    assert right >= 11 and all(entry["asked"] is None and entry["agrees"] is None for entry in read)


def test_a_picture_of_several_faces_or_not_a_picture_is_one_line(tmp_path: Path) -> None:
    grid = write_png(tmp_path / "grid.png", np.zeros((64, 64, 3), np.uint8),
                     {"source": "x", "step": 1, "faces": [{"seed": 1, "hair": "red", "eyes": "blue"},
                                                          {"seed": 2, "hair": "red", "eyes": "blue"}]})
    text = tmp_path / "notes.png"
    text.write_text("not a picture")
    for path, message in ((grid, f"{grid}: a picture of 2 faces; the tagger reads one face at a time"),
                          (text, f"{text}: cannot decode image")):
        result = CliRunner().invoke(app, ["tagger", "read", str(path)])
        assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output, result.output


# --read-back: each face whose colours the tagger does not read back gives way to a fresh candidate that it does.

HARD = ("blue", "gray")  # gray eyes: the shipped model's weakest eye colour, so some faces do not read back


def test_read_back_keeps_faces_that_agree_and_replaces_the_others_by_fresh_candidates_that_do() -> None:
    """Guards the filter itself: a face that reads back stays as asked (no moves added), one that does not is
    replaced by its first fresh candidate (j, 1.0) that does, and the result is the same every time."""
    model, tagger = acgan.load(), load_tagger(shipped_tagger())
    asked = model.requested(*HARD, n=24, seed=0)
    chosen = agreeing_faces(model, asked, tagger)
    own = reads_as_asked(model, tagger, asked)
    assert 0 < chosen.replaced < 24 and own.count(False) >= chosen.replaced  # some gray eyes fail on their own
    for face, wanted, ok in zip(chosen.faces, asked, own, strict=True):
        if ok:
            assert face == wanted
        elif face != wanted:
            index, distance = face.moves[-1]
            assert face[:3] == wanted[:3] and distance == 1.0 and 0 <= index < READ_BACK_TRIES - 1
            earlier = [wanted._replace(moves=((j, 1.0),)) for j in range(index)]
            assert not any(reads_as_asked(model, tagger, earlier)) if earlier else True  # the first that agrees
    assert reads_as_asked(model, tagger, chosen.faces).count(True) >= 24 - chosen.unread - 1  # one may round over
    assert agreeing_faces(model, asked, tagger) == chosen
    assert chosen.summary(8) == (f"read back: {24 - chosen.unread} of 24 faces as asked ({chosen.replaced} "
                                 f"replaced by a fresh candidate; {chosen.unread} not after 8 tries, kept)")


def test_read_back_draws_its_faces_again_from_their_pngs(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["generate", "--hair", HARD[0], "--eyes", HARD[1], "-n", "6", "--seed", "0",
                                      "--read-back", "--separate", "-o", str(tmp_path / "f.png")])
    assert result.exit_code == 0, result.output
    chosen = agreeing_faces(acgan.load(), acgan.load().requested(*HARD, n=6, seed=0))
    written = sorted(tmp_path.glob("f-*.png"))
    assert [json.loads(Image.open(path).text["acgan"]).get("moves", []) for path in written] == [
        [list(move) for move in face.moves] for face in sorted(chosen.faces, key=lambda f: f"f-{face_name(f)}.png")]
    assert result.output.strip().endswith(chosen.summary(READ_BACK_TRIES))
    again = CliRunner().invoke(app, ["generate", "--like", str(written[0]), "-o", str(tmp_path / "again.png")])
    assert again.exit_code == 0, again.output
    assert np.array_equal(np.asarray(Image.open(tmp_path / "again.png")), np.asarray(Image.open(written[0])))


def test_read_back_refuses_what_it_cannot_check(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["generate", "--all-pairs", "--read-back", "-o", str(tmp_path / "x.png")])
    assert result.exit_code == 2 and result.output.strip() == (
        "error: --read-back checks the faces of -n, --like or --variations; it does not go with --all-pairs")
    two = ("red", "blue")
    other = Tagger(TaggerNet(TaggerConfig(64, 2, 2, width=4)), Vocabulary(two, two), {})
    with pytest.raises(UserError) as caught:
        agreeing_faces(acgan.load(), acgan.load().requested("blue", "red", 1, 0), other)
    assert str(caught.value).startswith("the tagger knows other colours than the model")


@pytest.fixture(scope="module")
def client() -> Iterator:
    with warnings.catch_warnings():  # starlette's TestClient warns that it will move to httpx2
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient
    with TestClient(create_app(acgan.load()), base_url="http://localhost") as test_client:
        yield test_client


def test_the_server_shows_the_colours_read_back_in_each_face(client) -> None:
    model, tagger = acgan.load(), load_tagger(shipped_tagger())
    response = client.post("/api/generate", json={"hair": HARD[0], "eyes": HARD[1], "n": 8, "seed": 0,
                                                  "read_back": "show"})
    assert response.status_code == 200, response.text
    hair, eyes, _ = tagger.run(model.draw_faces(model.requested(*HARD, n=8, seed=0)))
    assert [face["read"] for face in response.json()["faces"]] == [
        {"hair": tagger.vocab.hair[h], "eyes": tagger.vocab.eyes[e]} for h, e in zip(hair, eyes, strict=True)]
    plain = client.post("/api/generate", json={"hair": HARD[0], "eyes": HARD[1], "n": 2, "seed": 0})
    assert [face["read"] for face in plain.json()["faces"]] == [None, None]


def test_the_server_keeps_only_faces_whose_colours_read_back(client) -> None:
    model = acgan.load()
    chosen = agreeing_faces(model, model.requested(*HARD, n=8, seed=0))
    response = client.post("/api/variations", json={"like": {"seed": 3, "hair": HARD[0], "eyes": HARD[1]},
                                                    "read_back": "only"})
    assert response.status_code == 200, response.text
    expected = agreeing_faces(model, model.variation_faces((3, *HARD)))
    assert [(face["seed"], [tuple(move) for move in face["moves"]]) for face in response.json()["faces"]] == [
        (face.seed, list(face.moves)) for face in expected.faces]
    agreeing = [face["read"] == {"hair": HARD[0], "eyes": HARD[1]} for face in response.json()["faces"]]
    assert agreeing.count(False) <= expected.unread + 1  # a face may read otherwise in another batch
    generated = client.post("/api/generate", json={"hair": HARD[0], "eyes": HARD[1], "n": 8, "seed": 0,
                                                   "read_back": "only"})
    assert [face["moves"] for face in generated.json()["faces"]] == [
        [list(move) for move in face.moves] for face in chosen.faces]


def test_read_back_is_a_422_for_a_model_with_other_colours() -> None:
    model = acgan.load()
    other = replace(model, vocab=Vocabulary(("teal", *model.vocab.hair[1:]), model.vocab.eyes))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient
    with TestClient(create_app(other), base_url="http://localhost") as test_client:
        response = test_client.post("/api/generate", json={"hair": "teal", "eyes": "red", "read_back": "show"})
        assert test_client.get("/api/healthz").json()["read_back"] is False  # the page then reads nothing back
    assert response.status_code == 422 and response.json()["message"] == (
        "read_back: the shipped tagger reads the shipped colours, and this model has others: colours cannot be read "
        "back here")

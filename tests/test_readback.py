"""`acgan tagger read`: the colours the tagger reads in any picture, and for a face acgan wrote, whether they are
the colours asked for."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image
from PIL.PngImagePlugin import PngInfo
from typer.testing import CliRunner

from acgan.cli import app
from acgan.data.builtin import builtin_data
from acgan.judge.tagger import Tagger, save_tagger


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

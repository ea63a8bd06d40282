"""Hostile and careless data: every image mode Pillow opens decodes to the right pixels, a decompression bomb is
named and skippable, and a tags file or vocabulary that is not what it should be is one line naming it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from acgan.cli import app
from acgan.data.dataset import decode_image, load_folder
from acgan.data.pixels import to_rgb
from acgan.data.tags import DataError
from tests.conftest import write_dataset

GREY = np.array([[0, 64], [128, 255]], dtype=np.uint8)  # a 2x2 grey reference, as 8-bit levels


def grey_rgb() -> np.ndarray:
    return np.repeat(GREY[:, :, None], 3, axis=2)


# (mode, how to make a 2x2 image of GREY in it, tolerance in levels)
MODES = [
    ("L", lambda: Image.fromarray(GREY, "L"), 0),
    ("1", lambda: Image.fromarray(GREY >= 128), None),  # bilevel: black or white
    ("P", lambda: Image.fromarray(GREY, "L").convert("P"), 0),
    ("RGBA", lambda: Image.fromarray(np.dstack([grey_rgb(), np.full((2, 2), 255, np.uint8)]), "RGBA"), 0),
    ("LA", lambda: Image.fromarray(np.dstack([GREY, np.full((2, 2), 255, np.uint8)]), "LA"), 0),
    ("CMYK", lambda: Image.fromarray(grey_rgb(), "RGB").convert("CMYK"), 1),
    ("YCbCr", lambda: Image.fromarray(grey_rgb(), "RGB").convert("YCbCr"), 2),
    ("I;16", lambda: Image.fromarray(GREY.astype(np.uint16) * 257), 0),
    ("I", lambda: Image.fromarray(GREY.astype(np.int32) * 257, "I"), 0),
    ("I 8-bit range", lambda: Image.fromarray(GREY.astype(np.int32), "I"), 0),
    ("F fraction", lambda: Image.fromarray(GREY.astype(np.float32) / 255, "F"), 0),
    ("F levels", lambda: Image.fromarray(GREY.astype(np.float32), "F"), 0),
]


@pytest.mark.parametrize(("mode", "make", "tolerance"), MODES, ids=[m[0] for m in MODES])
def test_every_mode_becomes_the_right_rgb_pixels(mode: str, make, tolerance: int | None) -> None:
    pixels = np.asarray(to_rgb(make()))
    assert pixels.shape == (2, 2, 3) and pixels.dtype == np.uint8
    if tolerance is None:
        assert np.array_equal(pixels, np.where(grey_rgb() >= 128, 255, 0))
    else:
        assert np.abs(pixels.astype(int) - grey_rgb()).max() <= tolerance


def test_transparent_pixels_are_white_as_a_viewer_shows_them() -> None:
    clear = Image.fromarray(np.zeros((2, 2, 4), np.uint8), "RGBA")
    assert np.asarray(to_rgb(clear)).min() == 255


def test_a_16_bit_grey_png_decodes_to_its_greys_not_white(tmp_path: Path) -> None:
    ramp = (np.arange(64 * 64, dtype=np.uint32).reshape(64, 64) * 16).astype(np.uint16)  # 0 .. 65520
    Image.fromarray(ramp).save(tmp_path / "grey.png")
    pixels, mode, size = decode_image(tmp_path / "grey.png", 64)
    assert mode in ("I;16", "I") and size == (64, 64)
    assert pixels[0, 0].tolist() == [0, 0, 0] and pixels[-1, -1].tolist() == [255, 255, 255]
    assert np.abs(pixels[:, :, 0].astype(int) - np.round(ramp / 257).astype(int)).max() <= 1


def bomb(path: Path) -> Path:
    """A valid PNG whose header claims 20000 x 20000 pixels (its data is tiny: one compressed grey row)."""
    Image.new("L", (20000, 20000), 0).save(path, optimize=False)
    return path


@pytest.fixture(scope="module")
def bomb_png(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return bomb(tmp_path_factory.mktemp("bomb") / "bomb.png")


def test_a_decompression_bomb_is_named_and_never_decoded(bomb_png: Path) -> None:
    with pytest.raises(DataError, match=r"bomb\.png: image too big to decode: its header claims 400,000,000 pixels, "
                                        r"acgan decodes at most 40,000,000 pixels"):
        decode_image(bomb_png, 64)


def dataset_with_bomb(root: Path, bomb_png: Path) -> Path:
    write_dataset(root, [("0", "blue", "red"), ("1", "red", "blue"), ("2", "pink", "green")])
    (root / "faces" / "2.jpg").unlink()
    (root / "faces" / "2.png").write_bytes(bomb_png.read_bytes())
    return root


def test_training_and_the_doctor_name_the_bomb_and_skip_bad_skips_it(tmp_path: Path, bomb_png: Path) -> None:
    root = dataset_with_bomb(tmp_path / "faces-set", bomb_png)
    runner = CliRunner()
    checked = runner.invoke(app, ["data", "check", str(root)])
    assert checked.exit_code == 1 and "2.png: image too big to decode" in checked.output
    trained = runner.invoke(app, ["train", "--data", str(root), "--steps", "1", "--out", str(tmp_path / "run")])
    assert trained.exit_code == 2 and "2.png: image too big to decode" in trained.output
    assert "Traceback" not in trained.output
    data = load_folder(root, 32, skip_bad=True)
    assert len(data) == 2 and any("skipped 1 unreadable" in note for note in data.notes)
    assert sorted(p.name for p in (root / "faces").iterdir()) == ["0.jpg", "1.jpg", "2.png"]  # nothing touched


CASES = [
    # (what is wrong, how to make it, command line after the folder, message)
    ("tags.csv is a folder", lambda root: (root / "tags.csv").mkdir(), ["data", "check"],
     "tags.csv: tags.csv is a folder; a dataset folder holds tags.csv"),
    ("one hair colour with --vocab auto", lambda root: write_dataset(root, [("0", "sky", "red"), ("1", "sky", "blue")]),
     ["data", "check", "--vocab", "auto"],
     "tags.csv: --vocab auto: a vocabulary needs at least two hair colours, got ['sky']"),
    ("a vocabulary file that is a folder", lambda root: (root / "vocab.json").mkdir(),
     ["data", "check", "--vocab", "{root}/vocab.json"], "vocab.json: is a folder; expected a vocabulary"),
    ("a vocabulary of the wrong shape", lambda root: (root / "vocab.json").write_text('{"hair": "blue"}'),
     ["data", "check", "--vocab", "{root}/vocab.json"], 'a vocabulary is {"hair": [colour names]'),
]


@pytest.mark.parametrize(("what", "make", "command", "message"), CASES, ids=[c[0] for c in CASES])
def test_a_bad_folder_is_one_line_naming_it(tmp_path: Path, what: str, make, command: list[str], message: str) -> None:
    root = tmp_path / "faces-set"
    root.mkdir()
    make(root)
    args = [*command[:2], str(root), *[part.replace("{root}", str(root)) for part in command[2:]]]
    result = CliRunner().invoke(app, args)
    assert result.exit_code in (1, 2) and message in result.output, result.output
    assert "Traceback" not in result.output

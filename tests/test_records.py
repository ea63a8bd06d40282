"""What a picture says about itself, read back field by field; the CLI's count limits at their exact boundaries; a
packed model's record. Written for the survivors of `make mutants` in sample/records.py, outputs.py and shipped.py
(docs/TESTING.md): each test names what it would catch."""

from __future__ import annotations

import io
import json
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image
from safetensors import safe_open

import acgan
from acgan.errors import UserError
from acgan.nets.standing import STANDING_BATCH, STANDING_BATCHES
from acgan.run.checkpoint import latest_checkpoint, load_checkpoint
from acgan.sample.contract import MAX_GRID, MAX_PER_CALL, TRUNCATION, Face
from acgan.sample.outputs import check_count, save_faces
from acgan.sample.records import Maker, face_from_json, faces_from_image, faces_from_record
from acgan.sample.shipped import pack_generator
from tests.test_serve import build_tiny_run


def test_a_record_without_step_or_truncation_reads_as_step_0_at_the_default_truncation() -> None:
    """Guards: the defaults of `step` (0) and `truncation` (TRUNCATION) changed, or the keys misspelt."""
    face = {"seed": 4, "hair": "blue", "eyes": "red"}
    assert faces_from_record(json.dumps({"source": "m", **face}), "x") == (Maker("m", 0, TRUNCATION),
                                                                           [Face(4, "blue", "red")])
    grid = {"source": "m", "step": 7, "truncation": 0.7, "faces": [face, {**face, "seed": 5, "moves": [[2, 0.5]]}]}
    assert faces_from_record(json.dumps(grid), "x") == (Maker("m", 7, 0.7),
                                                        [Face(4, "blue", "red"), Face(5, "blue", "red", ((2, 0.5),))])


@pytest.mark.parametrize("entry", [
    {"seed": -1, "hair": "blue", "eyes": "red"},
    {"seed": 1.5, "hair": "blue", "eyes": "red"},
    {"seed": True, "hair": "blue", "eyes": "red"},
    {"seed": 1, "hair": None, "eyes": "red"},
    {"seed": 1, "hair": "blue", "eyes": 3},
])
def test_a_face_needs_a_whole_seed_from_0_and_two_colour_names(entry: dict) -> None:
    """Each condition on its own refuses (guards: an `or` turned into `and`); seed 0 is a face (guards: `<= 0`)."""
    with pytest.raises(ValueError, match=r"^not a face$"):
        face_from_json(entry)
    message = "^x: its acgan metadata is not a face or grid record \\(source, and seed, hair and eyes per face\\)$"
    with pytest.raises(UserError, match=message):
        faces_from_record(json.dumps({"source": "m", **entry}), "x")
    assert face_from_json({"seed": 0, "hair": "blue", "eyes": "red"}) == Face(0, "blue", "red")


def png_with_text_at_the_end(record: str) -> bytes:
    """A PNG whose acgan tEXt chunk comes after the pixels (as other tools write it): Pillow finds it in
    `image.text` only once the pixels are read, not in `image.info`."""
    buffer = io.BytesIO()
    Image.new("RGB", (2, 2), (1, 2, 3)).save(buffer, format="PNG")
    data = buffer.getvalue()
    body = b"acgan\0" + record.encode("latin-1")
    chunk = struct.pack(">I", len(body)) + b"tEXt" + body + struct.pack(">I", zlib.crc32(b"tEXt" + body))
    end = data.rindex(b"IEND") - 4
    return data[:end] + chunk + data[end:]


def test_a_picture_is_read_back_from_its_info_or_from_a_text_chunk_after_the_pixels() -> None:
    record = json.dumps({"source": "m", "step": 3, "seed": 8, "hair": "pink", "eyes": "green"})
    with Image.open(io.BytesIO(png_with_text_at_the_end(record))) as image:
        assert "acgan" not in image.info
        assert faces_from_image(image, "p.png") == (Maker("m", 3), [Face(8, "pink", "green")])
    drawn = Image.new("RGB", (2, 2))
    drawn.info["acgan"] = record
    assert faces_from_image(drawn, "p")[1] == [Face(8, "pink", "green")]
    drawn.info["acgan"] = b"not text"
    with pytest.raises(UserError, match=r"^p: no acgan metadata "):
        faces_from_image(drawn, "p")


@pytest.mark.parametrize("count, separate, refused", [
    (MAX_PER_CALL, True, False), (MAX_PER_CALL + 1, True, True),
    (MAX_GRID, False, False), (MAX_GRID + 1, False, True),
])
def test_the_count_limits_hold_at_their_exact_boundaries(count: int, separate: bool, refused: bool) -> None:
    if not refused:
        check_count(count, separate)
        return
    message = (f"{count} faces asked for; acgan writes at most 10,000 files per command" if separate else
               f"-n {count}: a grid holds at most 256 faces; use --separate for more")
    with pytest.raises(UserError, match=f"^{message}$"):
        check_count(count, separate)


def test_save_faces_by_default_writes_one_face_of_seed_0(tmp_path: Path) -> None:
    """Guards: save_faces' defaults (n=1, seed=0), the '...' that only several files get, a grid's size and its
    line naming the first and the last face."""
    model = acgan.load()
    line = save_faces(model, tmp_path / "one.png", hair="blue", eyes="red")
    assert line == f"wrote 1 face(s): {tmp_path / 'one.png'}"
    with Image.open(tmp_path / "one.png") as image:
        assert json.loads(image.info["acgan"])["seed"] == 0
    line = save_faces(model, tmp_path / "f.png", hair="blue", eyes="red", n=2, seed=5, separate=True)
    assert line == f"wrote 2 face(s): {tmp_path / 'f-5.png'} ..."
    line = save_faces(model, tmp_path / "grid.png", hair="blue", eyes="red", n=3, seed=5, size=80)
    assert line == f"wrote {tmp_path / 'grid.png'} (3 faces: 5 .. 7)"
    with Image.open(tmp_path / "grid.png") as grid:
        assert grid.size == (3 * (80 + 2) + 2, 80 + 4)  # three cells of the size asked, 2 px apart and around


def test_a_packed_model_is_the_generator_alone_in_half_precision_with_its_record(
        tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> None:
    """Guards (pack_generator): the record's kind, its weights' name, the standing statistics it notes, where it
    was packed from, the file's name; the tensors under "G." in fp16 (integer counters as they were)."""
    checkpoint = latest_checkpoint(build_tiny_run(tmp_path_factory))
    path = pack_generator(checkpoint, tmp_path / "packed", info={"note": "x"}, name="mine")
    assert path == tmp_path / "packed" / "mine.json"
    record = load_checkpoint(path).record
    assert record.kind == "generator" and record.generator_weights == "G"
    assert record.info["packed_from"] == str(checkpoint.path) and record.info["note"] == "x"
    assert record.info["standing_statistics"] == {"batches": STANDING_BATCHES, "batch": STANDING_BATCH}
    assert sorted(p.name for p in path.parent.iterdir()) == ["mine-00000004.safetensors", "mine.json"]
    with safe_open(str(path.parent / "mine-00000004.safetensors"), "pt") as tensors:
        names = list(tensors.keys())
        assert names and all(name.startswith("G.") for name in names)
        kinds = {str(tensors.get_tensor(name).dtype) for name in names}
    assert kinds == {"torch.float16", "torch.int64"}  # BatchNorm's batch counters stay integers
    assert acgan.load(path).generate("blue", "red", seed=1)[0].size == (32, 32)

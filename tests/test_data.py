"""Loading a dataset folder: decoding, resizing, scaling, caching, and bad files named precisely."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from acgan.data import procedural
from acgan.data.builtin import builtin_data
from acgan.data.dataset import load_folder
from acgan.data.face_data import to_unit_range
from acgan.data.palette import swatch
from acgan.data.pixels import to_rgb
from acgan.data.tags import DataError
from acgan.data.vocab import DEFAULT_VOCAB
from tests.conftest import colour_of, write_dataset


def test_loads_images_and_labels_at_the_asked_resolution(small_dataset: Path) -> None:
    data = load_folder(small_dataset, 32)
    assert data.images.shape == (24, 32, 32, 3) and data.images.dtype == np.uint8
    assert data.hair.tolist() == [i % 12 for i in range(24)]
    assert data.eyes.tolist() == [i % 11 for i in range(24)]
    assert data.vocab == DEFAULT_VOCAB
    # The top half of face 5 is its hair colour (JPEG is lossy: allow a few levels).
    top = data.images[5, 2:12].reshape(-1, 3).mean(0)
    assert np.abs(top - colour_of(DEFAULT_VOCAB.hair[5])).max() < 12


def test_pixels_scale_to_minus_one_one() -> None:
    pixels = torch.tensor([[[[0, 255, 127]]]], dtype=torch.uint8)
    scaled = to_unit_range(pixels)
    assert scaled.shape == (1, 3, 1, 1)
    assert scaled.flatten().tolist() == pytest.approx([-1.0, 1.0, 127 / 127.5 - 1])


def test_second_load_comes_from_the_cache(small_dataset: Path, private_cache: Path) -> None:
    first = load_folder(small_dataset, 32)
    assert len(list(private_cache.glob("faces-32px-*.npz"))) == 1
    # Ruin every image but keep its size and modification time: only a cache hit can still load.
    for path in (small_dataset / "faces").iterdir():
        stat = path.stat()
        path.write_bytes(b"x" * stat.st_size)
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    second = load_folder(small_dataset, 32)
    assert np.array_equal(first.images, second.images)
    # A changed file changes the key: the images are decoded again (and now fail).
    os.utime(small_dataset / "faces" / "3.jpg", ns=(1, 1))
    with pytest.raises(DataError, match="cannot decode"):
        load_folder(small_dataset, 32)


def test_damaged_cache_is_rebuilt(small_dataset: Path, private_cache: Path, capsys: pytest.CaptureFixture) -> None:
    first = load_folder(small_dataset, 32)
    cache = next(private_cache.glob("faces-32px-*.npz"))
    payload = bytearray(cache.read_bytes())
    payload[len(payload) // 2] ^= 0xFF
    cache.write_bytes(bytes(payload))
    second = load_folder(small_dataset, 32)
    assert "damaged" in capsys.readouterr().out
    assert np.array_equal(first.images, second.images)


def test_missing_image_names_the_line(tmp_path: Path) -> None:
    root = write_dataset(tmp_path / "d", [("1", "blue", "red"), ("2", "black", "gray")])
    (root / "faces" / "2.jpg").unlink()
    with pytest.raises(DataError) as caught:
        load_folder(root, 32)
    assert str(caught.value).startswith(f"{root / 'tags.csv'}:2: no image for id '2'")


def test_corrupt_image_names_the_file_and_line(tmp_path: Path) -> None:
    root = write_dataset(tmp_path / "d", [("1", "blue", "red"), ("2", "black", "gray")])
    (root / "faces" / "2.jpg").write_bytes(b"\xff\xd8\xff\xe0 this is not a jpeg")
    with pytest.raises(DataError) as caught:
        load_folder(root, 32)
    assert str(root / "faces" / "2.jpg") in str(caught.value)
    assert "tags.csv line 2" in str(caught.value)


def test_truncated_image_is_an_error(tmp_path: Path) -> None:
    root = write_dataset(tmp_path / "d", [("1", "blue", "red"), ("2", "black", "gray")], size=64)
    path = root / "faces" / "1.jpg"
    path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])
    with pytest.raises(DataError, match="truncated image"):
        load_folder(root, 32)


def test_skip_bad_skips_counts_and_keeps_the_rest(tmp_path: Path) -> None:
    rows = [("1", "blue", "red"), ("2", "black", "gray"), ("3", "pink", "green"), ("4", "red", "blue")]
    root = write_dataset(tmp_path / "d", rows)
    (root / "faces" / "2.jpg").write_bytes(b"garbage")
    (root / "faces" / "3.jpg").unlink()
    with open(root / "tags.csv", "a") as handle:
        handle.write("5,silver hair red eyes\n")
    data = load_folder(root, 32, skip_bad=True)
    assert data.hair.tolist() == [DEFAULT_VOCAB.hair_index("blue"), DEFAULT_VOCAB.hair_index("red")]
    notes = " ".join(data.notes)
    assert "skipped 2 bad rows" in notes and "skipped 1 unreadable images" in notes


def test_non_rgb_images_are_converted_and_reported(tmp_path: Path) -> None:
    root = write_dataset(tmp_path / "d", [("1", "blue", "red"), ("2", "black", "gray")], suffix=".png")
    Image.new("RGBA", (40, 40), (0, 0, 255, 255)).save(root / "faces" / "1.png")
    Image.new("L", (40, 40), 128).save(root / "faces" / "2.png")
    data = load_folder(root, 32)
    assert data.images[0, 0, 0].tolist() == [0, 0, 255]
    assert data.images[1, 0, 0].tolist() == [128, 128, 128]
    assert "converted 2 non-RGB images to RGB" in " ".join(data.notes)


def test_non_square_images_are_centre_cropped(tmp_path: Path) -> None:
    root = write_dataset(tmp_path / "d", [("1", "blue", "red"), ("2", "black", "gray")], suffix=".png")
    wide = np.zeros((40, 80, 3), np.uint8)
    wide[:, 20:60] = (255, 0, 0)  # the centre square is pure red, the sides black
    Image.fromarray(wide).save(root / "faces" / "1.png")
    data = load_folder(root, 32)
    assert (data.images[0].reshape(-1, 3) == (255, 0, 0)).all()


def test_auto_vocabulary_learns_new_colours(tmp_path: Path) -> None:
    root = write_dataset(tmp_path / "d", [("1", "silver", "violet"), ("2", "gold", "red"), ("3", "gold", "violet")])
    with pytest.raises(DataError, match="--vocab auto"):
        load_folder(root, 32)
    data = load_folder(root, 32, vocab_spec="auto")
    assert data.vocab.hair == ("gold", "silver") and data.vocab.eyes == ("red", "violet")
    assert data.hair.tolist() == [1, 0, 0] and data.eyes.tolist() == [1, 0, 1]


def test_missing_folder_and_missing_faces_are_clear(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no such dataset folder"):
        load_folder(tmp_path / "nowhere", 32)
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "tags.csv").write_text("1,blue hair red eyes\n")
    with pytest.raises(DataError, match="no faces/ folder"):
        load_folder(tmp_path / "d", 32)


def test_auto_vocabulary_keeps_the_default_order_when_the_data_uses_every_default_colour(small_dataset: Path) -> None:
    """Default colours in the data: the default vocabulary, in its order, so checkpoints stay compatible."""
    assert load_folder(small_dataset, 32, vocab_spec="auto").vocab == DEFAULT_VOCAB


@pytest.mark.parametrize(("mode", "values", "grey"), [
    ("I;16", [0, 32768, 65535], [0, 128, 255]),  # 16 bits: scaled by 65535, not clipped at 255
    ("I;16", [0, 100, 255], [0, 0, 1]),  # ... even when every value is dark
    ("I;16", [0, 65407, 65535], [0, 255, 255]),  # 65407 / 257 = 254.502: by 65535 exactly
    ("I", [0, 100, 255], [0, 100, 255]),  # fits in 8 bits: as it is
    ("I", [0, 128, 256], [0, 0, 1]),  # one past 8 bits: by 65535
    ("I", [0, 256, 65535], [0, 1, 255]),  # fits in 16 bits: by 65535
    ("I", [0, 65407, 65535], [0, 255, 255]),  # ... exactly
    ("I", [0, 65407, 65536], [0, 254, 255]),  # one past 16 bits: by its own maximum
    ("I", [0, 100_000, 200_000], [0, 128, 255]),
    ("F", [0.0, 0.25, 1.0], [0, 64, 255]),  # floats in [0, 1]: a fraction
    ("F", [0.0, 1.5, 2.0], [0, 2, 2]),  # past 1: levels
    ("F", [0.0, 2.0, 255.0], [0, 2, 255]),
    # Nothing below 0, NaN or infinite counts as a level, nor moves the scale.
    ("F", [-5.0, float("-inf"), float("nan"), float("inf"), 0.5], [0, 0, 0, 0, 128]),
])
def test_wide_greys_are_scaled_by_the_range_they_use(tmp_path: Path, mode: str, values: list[float],
                                                     grey: list[int]) -> None:
    kind = {"I;16": np.uint16, "I": np.int32, "F": np.float32}[mode]
    image = Image.fromarray(np.array([values], dtype=kind))
    assert image.mode == mode
    assert np.asarray(to_rgb(image)).tolist() == [[[level] * 3 for level in grey]]


def test_builtin_faces_are_cached_by_count_resolution_and_seed(tmp_path: Path, private_cache: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    first = builtin_data(24, 16, cache_dir=tmp_path / "cache")
    assert [p.name for p in (tmp_path / "cache").iterdir()] == [f"builtin-v{procedural.VERSION}-24-16px-0.npz"]
    assert first.images.shape == (24, 16, 16, 3) and first.vocab == DEFAULT_VOCAB
    assert first.source == "built-in procedural faces"  # what a message about the real faces calls them
    with monkeypatch.context() as patch:
        patch.setattr(procedural, "procedural_dataset", lambda *args, **kwargs: pytest.fail("drawn again"))
        again = builtin_data(24, 16, seed=0, cache_dir=tmp_path / "cache")  # read back, not drawn again
    assert np.array_equal(again.images, first.images) and np.array_equal(again.hair, first.hair)
    assert np.array_equal(again.eyes, first.eyes)
    other = builtin_data(24, 16, seed=1)  # the default place: $ACGAN_CACHE
    assert [p.name for p in private_cache.iterdir()] == [f"builtin-v{procedural.VERSION}-24-16px-1.npz"]
    assert not np.array_equal(other.images, first.images)


def test_dropped_booru_rows_are_counted_by_reason_in_the_notes(tmp_path: Path) -> None:
    root = write_dataset(tmp_path / "d", [("1", "blue", "red")])
    (root / "tags.csv").write_text("1,blue hair:9\tred eyes:8\n2,long hair:5\tred eyes:1\n3,smile:2\tred eyes:1\n"
                                   "4,blue hair:3\tred eyes:2\tgreen eyes:1\n")
    data = load_folder(root, 32)
    assert data.notes == [f"{root / 'tags.csv'}: dropped 3 rows: 2 with no hair colour tags, 1 with several eye "
                          "colour tags"]


def test_swatches_are_the_hand_picked_colours_and_any_other_name_a_stable_colour_of_its_own() -> None:
    assert swatch("blue") == swatch(" Blue ") == (48, 96, 212) and swatch("blonde") == (242, 214, 128)
    assert swatch("silver") == (59, 221, 190) and swatch("Teal ") == swatch("teal") == (160, 150, 69)

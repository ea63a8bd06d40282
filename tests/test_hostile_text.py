"""Text and special files as the world makes them: encodings, byte-order marks and line endings from other tools,
characters some tools read as line breaks, names that are pipes, devices or links to them, enormous values echoed
back, and numbers no machine could hold. Each is read correctly or refused with one line naming the file, the line
or the option (exit code 2), never a traceback or a hang."""

from __future__ import annotations

import codecs
import io
import os
import threading
from pathlib import Path

import pytest
from typer.testing import CliRunner

from acgan.cli import app
from acgan.data.folder import decode_image, load_folder
from acgan.data.tags import DataError, read_tags
from acgan.data.text import read_at_most
from acgan.data.vocab import DEFAULT_VOCAB
from acgan.errors import SHOWN_CHARS, shown
from tests.conftest import write_dataset

runner = CliRunner()
ROWS = ["1,blue hair red eyes", "2,red hair blue eyes", "3,blonde hair green eyes"]


@pytest.mark.parametrize(("name", "encode"), [
    ("UTF-8", lambda text: text.encode()),
    ("UTF-8 with a BOM (Excel's CSV UTF-8)", lambda text: codecs.BOM_UTF8 + text.encode()),
    ("UTF-16 LE with a BOM (Excel's Unicode text)", lambda text: text.encode("utf-16")),
    ("UTF-16 BE with a BOM", lambda text: codecs.BOM_UTF16_BE + text.encode("utf-16-be")),
    ("Windows line endings", lambda text: text.replace("\n", "\r\n").encode()),
    ("old Mac line endings", lambda text: text.replace("\n", "\r").encode()),
    ("no newline at the end", lambda text: text.rstrip("\n").encode()),
])
def test_tags_saved_by_other_tools_read_the_same(tmp_path: Path, name: str, encode) -> None:
    path = tmp_path / "tags.csv"
    path.write_bytes(encode("\n".join(ROWS) + "\n"))
    table = read_tags(path, DEFAULT_VOCAB)
    assert [(r.line, r.image_id, r.hair, r.eyes) for r in table.rows] == [
        (1, "1", "blue", "red"), (2, "2", "red", "blue"), (3, "3", "blonde", "green")]


@pytest.mark.parametrize("separator", ["\f", "\v", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"])
def test_a_character_some_tools_read_as_a_line_break_does_not_shift_line_numbers(tmp_path: Path,
                                                                                 separator: str) -> None:
    """Issue 21 #15: a form feed inside a line counted as a line break, so every later line number was off."""
    path = tmp_path / "tags.csv"
    path.write_text(f"1,blue hair red eyes\n2,red hair{separator}blue eyes\n3,blonde hair green eyes\n4,nonsense\n",
                    encoding="utf-8")
    with pytest.raises(DataError) as caught:
        read_tags(path, DEFAULT_VOCAB)
    assert str(caught.value).startswith(f"{path}:4: cannot parse 'nonsense'")  # the bad line is the 4th line
    table = read_tags(path, DEFAULT_VOCAB, skip_bad=True)
    # inside a line the character is only space between words
    assert [(r.line, r.hair, r.eyes) for r in table.rows] == [(1, "blue", "red"), (2, "red", "blue"),
                                                               (3, "blonde", "green")]


def test_text_in_an_unknown_encoding_is_one_line_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "tags.csv"
    path.write_bytes("1,blue hair red eyes\n2,bl\u00e9 hair red eyes\n".encode("latin-1"))
    with pytest.raises(DataError, match=r"tags\.csv: not UTF-8 text \(line 2, byte 25\); save it as UTF-8"):
        read_tags(path, DEFAULT_VOCAB)


@pytest.mark.parametrize("kind", ["fifo", "link to a fifo", "link to /dev/zero", "/dev/null"])
def test_a_tags_file_that_is_a_pipe_or_a_device_is_refused_without_waiting(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "tags.csv"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "link to a fifo":
        os.mkfifo(tmp_path / "pipe")
        path.symlink_to(tmp_path / "pipe")
    elif kind == "link to /dev/zero":
        path.symlink_to("/dev/zero")
    else:
        path = Path("/dev/null")
    outcome: list[BaseException] = []

    def read() -> None:
        try:
            read_tags(path, None)
        except DataError as err:
            outcome.append(err)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout=20)
    assert not reader.is_alive(), "reading the tags file hung"
    assert f"{path}: is not a regular file (a device, a pipe or a socket)" in str(outcome[0])


def test_an_image_that_is_a_pipe_is_a_bad_row_not_a_hang(tmp_path: Path) -> None:
    root = write_dataset(tmp_path / "set", [("1", "blue", "red"), ("2", "red", "blue")])
    (root / "faces" / "2.jpg").unlink()
    os.mkfifo(root / "faces" / "2.jpg")
    with pytest.raises(DataError, match=r"2\.jpg: not a regular file .* \(tags\.csv line 2\)"):
        load_folder(root, 32)
    assert len(load_folder(root, 32, skip_bad=True)) == 1
    with pytest.raises(DataError, match="not a regular file"):
        decode_image(root / "faces" / "2.jpg", 32)


def test_a_ten_megabyte_colour_name_is_echoed_in_eighty_characters(tmp_path: Path) -> None:
    """Issue 21 #16: an unknown colour of 10 MB was echoed whole into the error (10 MB of output)."""
    name = "x" * 10_000_000
    root = write_dataset(tmp_path / "set", [("1", "blue", "red")])
    (root / "tags.csv").write_text(f"1,{name} hair red eyes\n")
    for args in (["data", "check", str(root)], ["data", "check", str(root), "--json"],
                 ["train", "--data", str(root), "--out", str(tmp_path / "run")]):
        result = runner.invoke(app, args)
        assert result.exit_code in (1, 2) and len(result.output) < 5_000, len(result.output)
        assert "(10,000,000 characters)" in result.output
    result = runner.invoke(app, ["generate", "--hair", name, "--eyes", "red", "-o", str(tmp_path / "a.png")])
    assert result.exit_code == 2 and len(result.output) < 1_000 and "unknown hair colour 'xxx" in result.output


def test_shown_keeps_short_values_and_cuts_long_ones() -> None:
    assert shown("blue") == "'blue'" and shown(5) == "5"
    long = shown("é" * 1000)
    assert long == repr("é" * 1000)[:SHOWN_CHARS] + "... (1,000 characters)"


def test_a_bounded_read_asks_for_a_chunk_at_a_time_not_the_whole_bound() -> None:
    """Issue 21 #7: read(limit + 1) asked Python for the whole bound at once, so loading any checkpoint failed with
    MemoryError under a memory cap."""
    asked: list[int] = []

    class Recording(io.BytesIO):
        def read(self, size: int | None = -1) -> bytes:
            asked.append(size if size is not None else -1)
            return super().read(size)

    assert read_at_most(Recording(b"x" * 3_000_000), limit=10**12) == b"x" * 3_000_000
    assert max(asked) <= 1 << 20
    assert read_at_most(Recording(b"x" * 100), limit=10) == b"x" * 11  # one past the bound: the caller refuses


@pytest.mark.parametrize(("option", "value", "message"), [
    ("--batch-size", "1000000000", "batch_size must be at least 1 and at most 16,384, got 1,000,000,000"),
    ("--width", "100000", "width must be at least 1 and at most 512, got 100,000"),
    ("--z-dim", "100000000", "z_dim must be at least 1 and at most 4,096"),
    ("--label-dim", "100000000", "label_dim must be at least 1 and at most 4,096"),
    ("--builtin-faces", "1000000000000", "builtin_faces must be at least 1 and at most 1,000,000"),
    ("--steps", "100000000000000000000", "steps must be at least 1 and at most 1,000,000,000,000"),
    ("--minutes", "nan", "minutes must be a finite number, got nan"),
    ("--lr-g", "inf", "lr_g must be a finite number, got inf"),
    ("--device", "toaster", "device must be 'auto', 'cpu', 'cuda' or 'cuda:N', got 'toaster'"),
])
def test_a_number_no_machine_could_hold_is_refused_before_anything_is_written(tmp_path: Path, option: str,
                                                                              value: str, message: str) -> None:
    result = runner.invoke(app, ["train", option, value, "--steps", "1", "--out", str(tmp_path / "run")]
                           if option != "--steps" else ["train", option, value, "--out", str(tmp_path / "run")])
    assert result.exit_code == 2 and "Traceback" not in result.output, result.output
    assert message in result.output and not (tmp_path / "run").exists()

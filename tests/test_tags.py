"""tags.csv parsing: both formats, tolerated noise, and every bad line named by file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from acgan.data.tags import DataError, read_tags
from acgan.data.vocab import DEFAULT_VOCAB, Vocabulary


def write(tmp_path: Path, text: str | bytes) -> Path:
    path = tmp_path / "tags.csv"
    if isinstance(text, str):
        text = text.encode()
    path.write_bytes(text)
    return path


def test_format_a_reads_ids_and_colours(tmp_path: Path) -> None:
    table = read_tags(write(tmp_path, "17,blue hair red eyes\n18,blonde hair aqua eyes\n"), DEFAULT_VOCAB)
    assert [(r.line, r.image_id, r.hair, r.eyes) for r in table.rows] == [
        (1, "17", "blue", "red"), (2, "18", "blonde", "aqua")]


def test_format_b_keeps_rows_with_one_colour_each_and_counts_the_rest(tmp_path: Path) -> None:
    text = ("1,blue hair:100\tlong hair:50\tred eyes:80\n"
            "2,long hair:50\tred eyes:80\n"
            "3,blue hair:100\tpink hair:3\tred eyes:80\n"
            "4,black hair:9\n"
            "5,white hair:7\tgreen eyes:2\tblue eyes:1\n")
    table = read_tags(write(tmp_path, text), DEFAULT_VOCAB)
    assert [(r.image_id, r.hair, r.eyes) for r in table.rows] == [("1", "blue", "red")]
    assert table.dropped == {"no hair colour tags": 1, "several hair colour tags": 1,
                             "no eye colour tags": 1, "several eye colour tags": 1}


def test_bom_crlf_blank_lines_and_extra_spaces_are_tolerated(tmp_path: Path) -> None:
    text = "\ufeff1 ,  Blue  hair   red eyes \r\n\r\n  \r\n2,black hair gray eyes\r\n"
    table = read_tags(write(tmp_path, text.encode("utf-8")), DEFAULT_VOCAB)
    assert [(r.line, r.image_id, r.hair, r.eyes) for r in table.rows] == [(1, "1", "blue", "red"),
                                                                         (4, "2", "black", "gray")]


@pytest.mark.parametrize(("text", "line", "words"), [
    ("1,blue hair red eyes\n2 blue hair red eyes\n", 2, "cannot parse"),
    ("1,blue hair red eyes\n2,blue hair\n", 2, "cannot parse"),
    ("1,silver hair red eyes\n", 1, "unknown hair colour 'silver'"),
    ("1,blue hair violet eyes\n", 1, "unknown eyes colour 'violet'"),
    ("1,blue hair red eyes\n\n1,black hair red eyes\n", 3, "already used on line 1"),
    ("../etc,blue hair red eyes\n", 1, "not a plain file name"),
    ("1,blue hair:x\tred eyes:3\n", 1, "cannot parse tag 'blue hair:x'; expected '<tag>:<count>'"),
])
def test_bad_lines_name_the_file_and_line(tmp_path: Path, text: str, line: int, words: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(DataError) as caught:
        read_tags(path, DEFAULT_VOCAB)
    assert caught.value.line == line
    assert str(caught.value).startswith(f"{path}:{line}: ")
    assert words in str(caught.value)


def test_skip_bad_counts_the_skipped_lines(tmp_path: Path) -> None:
    text = "1,blue hair red eyes\n2,silver hair red eyes\nnonsense\n3,black hair gray eyes\n"
    table = read_tags(write(tmp_path, text), DEFAULT_VOCAB, skip_bad=True)
    assert [r.image_id for r in table.rows] == ["1", "3"]
    assert [err.line for err in table.bad] == [2, 3]


def test_missing_file_and_empty_file_are_clear(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"tags\.csv: no such file; expected lines"):
        read_tags(tmp_path / "tags.csv", DEFAULT_VOCAB)
    with pytest.raises(DataError, match="no usable rows"):
        read_tags(write(tmp_path, "\n\n"), DEFAULT_VOCAB)


def test_without_a_vocabulary_any_colour_is_accepted(tmp_path: Path) -> None:
    table = read_tags(write(tmp_path, "1,silver hair violet eyes\n2,light blue hair red eyes\n"), None)
    assert [(r.hair, r.eyes) for r in table.rows] == [("silver", "violet"), ("light blue", "red")]


def test_a_custom_vocabulary_decides_what_is_known(tmp_path: Path) -> None:
    vocab = Vocabulary(hair=("silver", "gold"), eyes=("violet", "red"))
    assert read_tags(write(tmp_path, "1,silver hair violet eyes\n"), vocab).rows[0].hair == "silver"
    with pytest.raises(DataError, match="unknown hair colour 'blue'"):
        read_tags(write(tmp_path, "1,blue hair red eyes\n"), vocab)


def test_format_b_reads_colour_tags_only_and_counts_each_reason(tmp_path: Path) -> None:
    text = ("1,blue hair:100\t\tred eyes:80\tred ribbon:5\n"  # an empty tag, and a red thing that is not eyes
            "2,long hair:50\tred eyes:80\n"
            "3,short hair:50\tgreen eyes:8\n"
            "4,blue hair:100\tpink hair:3\tred eyes:80\n")
    table = read_tags(write(tmp_path, text), None)  # --vocab auto: the tags are read against the default colours
    assert [(r.image_id, r.hair, r.eyes) for r in table.rows] == [("1", "blue", "red")]
    assert table.dropped == {"no hair colour tags": 2, "several hair colour tags": 1}


def test_format_b_finds_colours_of_several_words(tmp_path: Path) -> None:
    vocab = Vocabulary(hair=("light blue", "black"), eyes=("red", "dark green"))
    table = read_tags(write(tmp_path, "1,light blue hair:4\tdark green eyes:2\n"), vocab)
    assert [(r.hair, r.eyes) for r in table.rows] == [("light blue", "dark green")]

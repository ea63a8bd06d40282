"""Reading tags.csv: one face per line, its id and its hair and eye colour, in either format found in the wild.

    a) `17,blue hair red eyes`                       one colour phrase per line
    b) `17,blue hair:1234<TAB>long hair:900<TAB>...`  booru-style tags with counts; a row is kept only
       when exactly one hair-colour tag and one eye-colour tag are present, and every dropped row is
       counted by reason.

Every problem names the file and the line, counted as a file's lines are (a form feed or another character
that some tools treat as a break does not start a new line). Byte-order marks, UTF-16, any line ending,
blank lines and extra spaces are tolerated (text.py); anything else that does not parse is an error (or, with
skip_bad, a counted skip). Values are quoted at most 80 characters long.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from acgan.data.text import DataError, read_text
from acgan.data.vocab import UnknownColourError, Vocabulary
from acgan.errors import shown

PHRASE = re.compile(r"^(?P<hair>[a-z][a-z ]*?)\s+hair\s+(?P<eyes>[a-z][a-z ]*?)\s+eyes$")
COUNTED_TAG = re.compile(r"^(?P<tag>[^:]+?)\s*:\s*(?P<count>\d+)$")
SAFE_ID = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*$")


@dataclass(frozen=True)
class TagRow:
    line: int
    image_id: str
    hair: str
    eyes: str


@dataclass
class TagTable:
    """The rows of one tags.csv, with what was left out and why."""

    path: Path
    rows: list[TagRow]
    dropped: Counter = field(default_factory=Counter)  # format-b rows without exactly one colour each
    bad: list[DataError] = field(default_factory=list)  # rows skipped under skip_bad


def read_tags(path: Path, vocab: Vocabulary | None, skip_bad: bool = False) -> TagTable:
    """Parse `path`. With `vocab=None` any colour is accepted (the vocabulary is then learned)."""
    text = read_text(path, "lines '<id>,<colour> hair <colour> eyes'")
    table = TagTable(path=path, rows=[])
    seen: dict[str, int] = {}
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.strip()
        if not line:
            continue
        try:
            row = parse_line(line, number, path, vocab, table.dropped)
            if row is not None and row.image_id in seen:
                raise DataError(path, f"id {shown(row.image_id)} already used on line {seen[row.image_id]}", number)
        except DataError as err:
            if not skip_bad:
                raise
            table.bad.append(err)
            continue
        if row is not None:
            seen[row.image_id] = number
            table.rows.append(row)
    if not table.rows:
        why = [describe_dropped(table.dropped)] if table.dropped else []
        why += [f"{len(table.bad)} bad, the first: {table.bad[0]}"] if table.bad else []
        raise DataError(path, "no usable rows" + (f" ({'; '.join(why)})" if why else ""))
    return table


def parse_line(line: str, number: int, path: Path, vocab: Vocabulary | None, dropped: Counter) -> TagRow | None:
    """One non-blank line -> a row, or None when a format-b row lacks exactly one colour of each."""
    image_id, comma, rest = line.partition(",")
    image_id, rest = image_id.strip(), rest.strip()
    if not comma or not image_id or not rest:
        raise DataError(path, f"cannot parse {shown(line)}; expected '<id>,<colour> hair <colour> eyes'", number)
    if not SAFE_ID.match(image_id):
        raise DataError(path, f"id {shown(image_id)} is not a plain file name (letters, digits, _ . -)", number)
    if ":" in rest:
        colours = _colours_from_counts(rest, number, path, vocab)
        if isinstance(colours, str):
            dropped[colours] += 1
            return None
        hair, eyes = colours
    else:
        match = PHRASE.match(" ".join(rest.lower().split()))
        if match is None:
            raise DataError(path, f"cannot parse {shown(rest)}; expected '<colour> hair <colour> eyes'", number)
        hair, eyes = match["hair"], match["eyes"]
    if vocab is not None:
        try:
            vocab.hair_index(hair)
            vocab.eye_index(eyes)
        except UnknownColourError as err:
            hint = " (train with --vocab auto to learn the colours from the data)"
            raise DataError(path, str(err) + hint, number) from None
    return TagRow(line=number, image_id=image_id, hair=hair, eyes=eyes)


def _colours_from_counts(rest: str, number: int, path: Path, vocab: Vocabulary | None) -> tuple[str, str] | str:
    """Format b: the single hair and eye colour among the tags, or the reason the row is dropped."""
    vocab = vocab or Vocabulary()
    hair, eyes = [], []
    for item in rest.split("\t"):
        item = item.strip()
        if not item:
            continue
        match = COUNTED_TAG.match(item)
        if match is None:
            raise DataError(path, f"cannot parse tag {shown(item)}; expected '<tag>:<count>'", number)
        tag = " ".join(match["tag"].lower().split())
        colour, _, noun = tag.rpartition(" ")
        if noun == "hair" and colour in vocab.hair:
            hair.append(colour)
        elif noun == "eyes" and colour in vocab.eyes:
            eyes.append(colour)
    for attribute, found in (("hair", hair), ("eye", eyes)):
        if len(found) != 1:
            return f"{'no' if not found else 'several'} {attribute} colour tags"
    return hair[0], eyes[0]


def describe_dropped(dropped: Counter) -> str:
    return ", ".join(f"{count} with {reason}" for reason, count in dropped.most_common())

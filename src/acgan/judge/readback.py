"""Colours read back from pictures (`acgan tagger read`): what the tagger sees in any image, and, for a face acgan
wrote, whether that is what was asked for (its PNG metadata says).

A picture of several faces (a grid, a morph strip) is refused: the tagger reads one face at a time.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from acgan.data.dataset import decode_image
from acgan.data.face_data import to_unit_range
from acgan.errors import UserError
from acgan.judge.tagger import Tagger
from acgan.sample.contract import MAX_PER_CALL
from acgan.sample.records import faces_from_png

READ_BATCH = 256  # pictures decoded and read at once, so memory does not grow with the count


@dataclass(frozen=True)
class ReadBack:
    """The colours the tagger reads in one picture, beside those asked for when the picture records them."""

    path: Path
    hair: str
    eyes: str
    asked: tuple[str, str] | None  # (hair, eyes) from acgan's metadata; None for any other picture

    @property
    def agrees(self) -> bool | None:
        return None if self.asked is None else self.asked == (self.hair, self.eyes)

    def line(self) -> str:
        if self.asked is None:
            return f"{self.path}: hair {self.hair}, eyes {self.eyes}"
        parts = [f"{name} {read} ({'as asked' if read == wanted else f'asked {wanted}'})"
                 for name, read, wanted in (("hair", self.hair, self.asked[0]), ("eyes", self.eyes, self.asked[1]))]
        return f"{self.path}: {', '.join(parts)}"

    def to_json(self) -> dict[str, object]:
        asked = None if self.asked is None else {"hair": self.asked[0], "eyes": self.asked[1]}
        return {"file": str(self.path), "hair": self.hair, "eyes": self.eyes, "asked": asked, "agrees": self.agrees}


def asked_colours(path: Path) -> tuple[str, str] | None:
    """The colours acgan drew a face with, from its PNG metadata; None for a picture without acgan's record."""
    try:
        with Image.open(path) as image:
            text = getattr(image, "text", {}).get("acgan")
    except (OSError, ValueError):
        return None  # decode_image reports an unreadable file, naming it
    if text is None:
        return None
    _, faces = faces_from_png(path)
    if len(faces) != 1:
        raise UserError(f"{path}: a picture of {len(faces)} faces; the tagger reads one face at a time "
                        "(`acgan generate --separate` writes one file per face)")
    return faces[0][1], faces[0][2]


def read_back(tagger: Tagger, paths: Sequence[Path]) -> Iterator[ReadBack]:
    """The colours of each picture, READ_BATCH pictures at a time; a file that is not a picture of one face is a
    UserError naming it."""
    if len(paths) > MAX_PER_CALL:
        raise UserError(f"{len(paths):,} pictures; acgan reads at most {MAX_PER_CALL:,} per command")
    for start in range(0, len(paths), READ_BATCH):
        batch = paths[start:start + READ_BATCH]
        asked = [asked_colours(path) for path in batch]
        images = np.stack([decode_image(path, tagger.resolution)[0] for path in batch])
        hair, eyes, _ = tagger.run(to_unit_range(torch.from_numpy(images)))
        for path, wanted, h, e in zip(batch, asked, hair, eyes, strict=True):
            yield ReadBack(path, tagger.vocab.hair[h], tagger.vocab.eyes[e], wanted)

"""What made a picture, written into it: the JSON that a PNG's "acgan" text chunk or a GIF's comment carries,
and reading it back so a face (a variation too) can be drawn again. A truncation other than 1 (contract.TRUNCATION)
is recorded beside the source and step; a record without one was drawn at 1."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image

from acgan.errors import UserError
from acgan.sample.arguments import moves_of, truncation_of
from acgan.sample.contract import TRUNCATION, Face, face_json


def public_name(source: str) -> str:
    """A model's name as everything others may see shows it (picture metadata, the server's answers, a site, an
    export): its path from the current folder when it is inside it, else its last three parts, so nothing
    published holds the folder names of the machine that drew it."""
    path = Path(source)
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return str(Path(*path.parts[-3:]))


@dataclass(frozen=True)
class Maker:
    """What drew a picture: the checkpoint, its step, and the truncation its noise was drawn at."""

    source: str
    step: int
    truncation: float = TRUNCATION

    def json(self) -> dict[str, Any]:
        return {"source": self.source, "step": self.step,
                **({"truncation": self.truncation} if self.truncation != TRUNCATION else {})}


def face_record(maker: Maker, face: Face) -> dict[str, Any]:
    """What made a face (run, step, truncation, seed, colours): the metadata every written face carries."""
    return {**maker.json(), **face_json(face)}


def grid_record(maker: Maker, faces: Sequence[Face]) -> dict[str, Any]:
    """What made a grid of faces: the same keys per face as `face_record`."""
    return {**maker.json(), "faces": [face_json(face) for face in faces]}


def morph_record(maker: Maker, start: Face, end: Face, steps: int) -> dict[str, Any]:
    """What it takes to draw a morph again (PNG text chunk, GIF comment)."""
    return {**maker.json(), "from": face_json(start), "to": face_json(end), "steps": steps}


def faces_from_png(path: Path) -> tuple[Maker, list[Face]]:
    """(what drew it, its faces) from the metadata of a PNG acgan wrote."""
    try:
        with Image.open(path) as image:
            text = getattr(image, "text", {}).get("acgan")
    except (OSError, ValueError) as err:
        raise UserError(f"{path}: cannot read the image ({err})") from None
    return faces_from_record(text, str(path))


def faces_from_image(image: Image.Image, name: str) -> tuple[Maker, list[Face]]:
    """(what drew it, its faces) from an image the Python API drew (its info["acgan"]) or read from a PNG."""
    text = image.info.get("acgan", getattr(image, "text", {}).get("acgan"))
    return faces_from_record(text if isinstance(text, str) else None, name)


def faces_from_record(text: str | None, where: str) -> tuple[Maker, list[Face]]:
    """(what drew it, its faces) from the JSON record a picture carries; `where` names the picture in errors."""
    if text is None:
        raise UserError(f"{where}: no acgan metadata (only faces acgan drew can be drawn again)")
    try:
        record = json.loads(text)
        faces = record.get("faces") or [record]
        maker = Maker(str(record["source"]), record.get("step", 0),
                      truncation_of(record.get("truncation", TRUNCATION)))
        return maker, [face_from_json(entry) for entry in faces]
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
        raise UserError(f"{where}: its acgan metadata is not a face or grid record (source, and seed, hair and "
                        "eyes per face)") from None


def face_from_json(entry: dict[str, Any]) -> Face:
    """contract.face_json's face back from its JSON (a UserError or a TypeError when it is none)."""
    seed, hair, eyes = entry["seed"], entry["hair"], entry["eyes"]
    if type(seed) is not int or seed < 0 or not isinstance(hair, str) or not isinstance(eyes, str):
        raise ValueError("not a face")
    return Face(seed, hair, eyes, moves_of(entry.get("moves", [])))

"""What made a picture, written into it: the JSON that a PNG's "acgan" text chunk or a GIF's comment carries,
and reading it back so a face can be drawn again."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PIL import Image

from acgan.errors import UserError
from acgan.sample.contract import Face, face_json


def public_name(source: str) -> str:
    """A model's name as everything others may see shows it (picture metadata, the server's answers, a site, an
    export): its path from the current folder when it is inside it, else its last three parts, so nothing
    published holds the folder names of the machine that drew it."""
    path = Path(source)
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return str(Path(*path.parts[-3:]))


def face_record(source: str, step: int, face: Face) -> dict[str, Any]:
    """What made a face (run, step, seed, colours): the metadata every written face carries."""
    return {"source": source, "step": step, **face_json(face)}


def grid_record(source: str, step: int, faces: Sequence[Face]) -> dict[str, Any]:
    """What made a grid of faces: the same keys per face as `face_record`."""
    return {"source": source, "step": step, "faces": [face_json(face) for face in faces]}


def morph_record(source: str, step: int, start: Face, end: Face, steps: int) -> dict[str, Any]:
    """What it takes to draw a morph again (PNG text chunk, GIF comment)."""
    return {"source": source, "step": step, "from": face_json(start), "to": face_json(end), "steps": steps}


def faces_from_png(path: Path) -> tuple[str, list[Face]]:
    """(the checkpoint that drew it, its faces) from the metadata of a PNG acgan wrote."""
    try:
        with Image.open(path) as image:
            text = getattr(image, "text", {}).get("acgan")
    except (OSError, ValueError) as err:
        raise UserError(f"{path}: cannot read the image ({err})") from None
    if text is None:
        raise UserError(f"{path}: no acgan metadata (only faces acgan wrote as PNG can be redrawn)")
    try:
        record = json.loads(text)
        faces = record.get("faces") or [record]
        return str(record["source"]), [face_of(entry) for entry in faces]
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
        raise UserError(f"{path}: its acgan metadata is not a face or grid record (source, and seed, hair and "
                        "eyes per face)") from None


def face_of(entry: dict[str, Any]) -> Face:
    seed, hair, eyes = entry["seed"], entry["hair"], entry["eyes"]
    if type(seed) is not int or seed < 0 or not isinstance(hair, str) or not isinstance(eyes, str):
        raise ValueError("not a face")
    return seed, hair, eyes

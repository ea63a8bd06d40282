"""Faces as picture files, each carrying what made it: the one path from drawn faces to PNG and GIF bytes.
`acgan generate` and `acgan interpolate` write these bytes (outputs.py), the JSON API sends them
(serve/service.py), and both keep to the limits of contract.py.

    face_png(model, face, image)              one face with its record (records.py)
    faces_png(model, faces, images)           one face, or several in a grid
    all_pairs_png(model, seed, size)          every hair x eye pair, drawn here
    morph_scale(steps, side, scale)           a morph's pixel scale, once its size is within MAX_MORPH_PIXELS
    Morph(model, start, end, frames, scale)   a morph's GIF, strip and frames
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from PIL import Image

from acgan.errors import UserError
from acgan.sample.contract import MAX_MORPH_PIXELS, MORPH_SIZE, Face
from acgan.sample.generator import FaceGenerator
from acgan.sample.images import faces_grid, morph_gif, morph_strip, png_bytes
from acgan.sample.records import face_record, grid_record, morph_record


class MorphTooLargeError(UserError):
    """A morph whose frames would hold more than MAX_MORPH_PIXELS pixels."""


def face_png(model: FaceGenerator, face: Face, image: Image.Image) -> bytes:
    """One face as PNG, carrying what made it (model, step, seed, colours), so it can be drawn again."""
    return png_bytes(image, face_record(model.maker, face))


def faces_png(model: FaceGenerator, faces: Sequence[Face], images: Sequence[Image.Image]) -> bytes:
    """One face as `face_png`; several as one grid (GRID_COLUMNS to a row) carrying each face's seed and colours."""
    if len(faces) == 1:
        return face_png(model, faces[0], images[0])
    return png_bytes(faces_grid(list(images)), grid_record(model.maker, faces))


def all_pairs_png(model: FaceGenerator, seed: int, size: int | None = None) -> bytes:
    """Every hair x eye pair in one labelled grid (FaceGenerator.all_pairs), carrying the seed it was drawn from."""
    return png_bytes(model.all_pairs(seed, size), {**model.maker.json(), "all_pairs_seed": seed})


def morph_scale(steps: int, side: int, scale: int | None) -> int:
    """How many times a morph's frames of `side` pixels are enlarged, pixel for pixel (default: to about MORPH_SIZE);
    a morph whose GIF (there and back) or strip would pass MAX_MORPH_PIXELS is a MorphTooLargeError."""
    scale = scale or max(1, MORPH_SIZE // side)
    big = side * scale
    if max(steps, 2 * steps - 2) * big * big > MAX_MORPH_PIXELS:
        raise MorphTooLargeError(f"{steps} frames of {big} px is more than the {MAX_MORPH_PIXELS:,} pixels a morph "
                                 "may hold; ask for fewer steps, or a smaller size or scale")
    return scale


@dataclass(frozen=True)
class Morph:
    """The frames of a morph from face `start` to face `end` (as drawn, or resized) and the pictures made of them."""

    model: FaceGenerator
    start: Face
    end: Face
    frames: list[Image.Image]
    scale: int  # of the GIF and the strip (morph_scale); the frames themselves are never scaled

    @property
    def record(self) -> dict[str, Any]:
        return morph_record(self.model.maker, self.start, self.end, len(self.frames))

    def gif(self, each: Callable[[Iterable[Image.Image]], Iterable[Image.Image]] = iter) -> bytes:
        """An endlessly looping GIF, there and back, holding at both ends; its comment is the record. `each`
        passes the frames one at a time (the server's way to stop between them)."""
        return morph_gif(self.frames, self.scale, comment=json.dumps(self.record), each=each)

    def strip_png(self) -> bytes:
        """The frames side by side, left to right, carrying the record."""
        return png_bytes(morph_strip(self.frames, self.scale), self.record)

    def frame_pngs(self) -> Iterator[bytes]:
        """Each frame as PNG, carrying the record and its own index, encoded as it is asked for."""
        return (png_bytes(frame, {**self.record, "frame": i}) for i, frame in enumerate(self.frames))

"""The files `acgan generate` and `acgan interpolate` write, and how they are named.

Every face written carries what made it (records.py), so `acgan generate --like FILE` can draw it again.
Each function writes its files and returns the line the command prints.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from PIL import Image

from acgan.sample.faces import Face, colours_for
from acgan.sample.generator import FaceGenerator
from acgan.sample.images import image_grid, morph_gif, morph_scale, morph_strip, png_bytes, resized
from acgan.sample.records import face_record, grid_record, morph_record

GRID_COLUMNS = 8


def requested_faces(model: FaceGenerator, hair: str, eyes: str, n: int, seed: int) -> list[Face]:
    """n faces from seed on, each with its colours ("random" drawn from its own seed)."""
    return [(seed + k, *colours_for(model.vocab, seed + k, hair, eyes)) for k in range(n)]


def save_face(image: Image.Image, path: Path, model: FaceGenerator, face: Face) -> None:
    """Write a face as PNG carrying what made it (run, step, seed, colours), so it can be drawn again."""
    path.write_bytes(png_bytes(image, face_record(model.source, model.step, *face)))


def write_all_pairs(model: FaceGenerator, seed: int, out: Path, size: int | None = None) -> str:
    model.all_pairs(seed, size).save(out)
    return f"wrote {out} ({len(model.vocab.hair)} hair x {len(model.vocab.eyes)} eye colours)"


def write_each(model: FaceGenerator, faces: Sequence[Face], paths: Sequence[Path], size: int | None) -> None:
    for path, face, image in zip(paths, faces, resized(model.faces(faces), size), strict=True):
        save_face(image, path, model, face)


def write_named(model: FaceGenerator, named: Sequence[tuple[str, Face]], folder: Path, size: int | None = None) -> str:
    """One PNG per (name, face) in `folder`: <name>.png (what --from-file writes)."""
    folder.mkdir(parents=True, exist_ok=True)
    write_each(model, [face for _, face in named], [folder / f"{name}.png" for name, _ in named], size)
    return f"wrote {len(named)} faces to {folder}/"


def write_faces(model: FaceGenerator, faces: Sequence[Face], out: Path, separate: bool, size: int | None = None) -> str:
    """One face: `out`. Several: a grid in `out`, or with `separate` one PNG each, <out stem>-<seed>.png.
    `size`: pixels a side of each face (Lanczos), else as drawn (at least 64 in a grid)."""
    if separate or len(faces) == 1:
        out.parent.mkdir(parents=True, exist_ok=True)
        paths = [out] if len(faces) == 1 else [out.with_name(f"{out.stem}-{face[0]}.png") for face in faces]
        write_each(model, faces, paths, size)
        return f"wrote {len(paths)} face(s): {paths[0]}{' ...' if len(paths) > 1 else ''}"
    images = resized(model.faces(faces), size)
    grid = image_grid(images, min(len(faces), GRID_COLUMNS), cell=max(64, images[0].width))
    out.write_bytes(png_bytes(grid, grid_record(model.source, model.step, faces)))
    return f"wrote {out} ({len(faces)} faces, seeds {faces[0][0]}..{faces[-1][0]})"


def write_morph(model: FaceGenerator, start: Face, end: Face, steps: int, scale: int | None, out: Path,
                size: int | None = None) -> str:
    """A strip of frames (.png) or an animated GIF (any other suffix) from face `start` to face `end`; frames
    at `size` pixels (Lanczos) when given, then scaled up `scale` times pixel for pixel."""
    frames = resized(model.morph(start, end, steps), size)
    scale = morph_scale(frames[0].width, scale)
    record = morph_record(model.source, model.step, start, end, steps)
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix.lower() == ".png":
        out.write_bytes(png_bytes(morph_strip(frames, scale), record))
    else:
        out.write_bytes(morph_gif(frames, scale, comment=json.dumps(record)))
    return (f"wrote {out} ({steps} frames: seed {start[0]} {start[1]} hair {start[2]} eyes -> "
            f"seed {end[0]} {end[1]} hair {end[2]} eyes)")

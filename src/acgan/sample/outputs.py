"""The files `acgan generate` and `acgan interpolate` write, and how they are named.

Every face written carries what made it (records.py), so `acgan generate --like FILE` can draw it again.
Each function writes its files and returns the line the command prints. Every file is written whole or
not at all (a temporary name, then a rename), and a place that cannot be written is a UserError naming
it: an existing file is never left half-overwritten. Big requests are bounded: a grid holds at most
MAX_GRID faces, separate files are drawn and written MAX_BATCH at a time (so memory does not grow with
the count), and a morph's frames are capped in pixels.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
from collections.abc import Iterator, Sequence
from pathlib import Path

from PIL import Image

from acgan.errors import UserError
from acgan.sample.faces import Face
from acgan.sample.generator import FaceGenerator
from acgan.sample.images import faces_grid, morph_gif, morph_scale, morph_strip, png_bytes, resized
from acgan.sample.records import face_record, grid_record, morph_record

MAX_GRID = 256  # faces in one grid picture
MAX_FILES = 10_000  # faces written one file each, per command
MAX_BATCH = 256  # faces drawn at once when writing one file each
MAX_MORPH_PIXELS = 64_000_000  # frames x pixels per frame of one morph


def write_output(path: Path, payload: bytes) -> None:
    """`payload` as `path`, whole or not at all; a place that cannot be written is a UserError naming it."""
    if path.is_dir():
        raise UserError(f"{path} is a folder; give a file name (-o {path / 'faces.png'})")
    blocking = next((folder for folder in path.parents if folder.exists() and not folder.is_dir()), None)
    if blocking is not None:
        raise UserError(f"cannot write {path}: {blocking} is a file, not a folder")
    # A device or a pipe (/dev/stdout, /dev/null) is written as it is: renaming onto it would replace it.
    special = path.exists() and not path.is_file()
    temporary = path if special else path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary.write_bytes(payload)
        if not special:
            os.replace(temporary, path)
    except OSError as err:
        if not special:
            with contextlib.suppress(OSError):
                temporary.unlink(missing_ok=True)
        reason = "no space left on the device" if err.errno == errno.ENOSPC else (err.strerror or str(err)).lower()
        raise UserError(f"cannot write {path}: {reason}") from None


def save_face(image: Image.Image, path: Path, model: FaceGenerator, face: Face) -> None:
    """Write a face as PNG carrying what made it (run, step, seed, colours), so it can be drawn again."""
    write_output(path, png_bytes(image, face_record(model.source, model.step, *face)))


def write_all_pairs(model: FaceGenerator, seed: int, out: Path, size: int | None = None) -> str:
    write_output(out, png_bytes(model.all_pairs(seed, size), {"source": model.source, "step": model.step,
                                                              "all_pairs_seed": seed}))
    return f"wrote {out} ({len(model.vocab.hair)} hair x {len(model.vocab.eyes)} eye colours)"


def write_each(model: FaceGenerator, faces: Sequence[Face], paths: Sequence[Path], size: int | None) -> None:
    """One PNG per face, drawn MAX_BATCH at a time."""
    if len(faces) > MAX_FILES:
        raise UserError(f"{len(faces)} faces asked for; acgan writes at most {MAX_FILES:,} files per command")
    for start in range(0, len(faces), MAX_BATCH):
        batch = faces[start:start + MAX_BATCH]
        for path, face, image in zip(paths[start:start + MAX_BATCH], batch, resized(model.faces(batch), size),
                                     strict=True):
            save_face(image, path, model, face)


def write_named(model: FaceGenerator, named: Sequence[tuple[str, Face]], folder: Path, size: int | None = None) -> str:
    """One PNG per (name, face) in `folder`: <name>.png (what --from-file writes)."""
    if folder.exists() and not folder.is_dir():
        raise UserError(f"{folder} is a file; with --from-file, -o names the folder the faces go to")
    write_each(model, [face for _, face in named], [folder / f"{name}.png" for name, _ in named], size)
    return f"wrote {len(named)} faces to {folder}/"


def write_faces(model: FaceGenerator, faces: Sequence[Face], out: Path, separate: bool, size: int | None = None) -> str:
    """One face: `out`. Several: a grid in `out`, or with `separate` one PNG each, <out stem>-<seed>.png.
    `size`: pixels a side of each face (Lanczos), else as drawn (at least 64 in a grid)."""
    if separate or len(faces) == 1:
        paths = [out] if len(faces) == 1 else [out.with_name(f"{out.stem}-{face[0]}.png") for face in faces]
        write_each(model, faces, paths, size)
        return f"wrote {len(paths)} face(s): {paths[0]}{' ...' if len(paths) > 1 else ''}"
    if len(faces) > MAX_GRID:
        raise UserError(f"-n {len(faces)}: a grid holds at most {MAX_GRID} faces; use --separate for more")
    grid = faces_grid(resized(model.faces(faces), size))
    write_output(out, png_bytes(grid, grid_record(model.source, model.step, faces)))
    return f"wrote {out} ({len(faces)} faces, seeds {faces[0][0]}..{faces[-1][0]})"


def morph_pixels(steps: int, side: int) -> Iterator[int]:
    """Pixels of a morph's strip and of its GIF (there and back), for checking against MAX_MORPH_PIXELS."""
    yield steps * side * side
    yield max(2 * steps - 2, 1) * side * side


def write_morph(model: FaceGenerator, start: Face, end: Face, steps: int, scale: int | None, out: Path,
                size: int | None = None) -> str:
    """A strip of frames (.png) or an animated GIF (any other suffix) from face `start` to face `end`; frames
    at `size` pixels (Lanczos) when given, then scaled up `scale` times pixel for pixel."""
    side = (size or model.resolution) * morph_scale(size or model.resolution, scale)
    if max(morph_pixels(steps, side)) > MAX_MORPH_PIXELS:
        raise UserError(f"{steps} frames of {side} px is more than the {MAX_MORPH_PIXELS:,} pixels a morph may "
                        "hold; use fewer --steps or a smaller --size / --scale")
    frames = resized(model.morph(start, end, steps), size)
    scale = morph_scale(frames[0].width, scale)
    record = morph_record(model.source, model.step, start, end, steps)
    if out.suffix.lower() == ".png":
        write_output(out, png_bytes(morph_strip(frames, scale), record))
    else:
        write_output(out, morph_gif(frames, scale, comment=json.dumps(record)))
    return (f"wrote {out} ({steps} frames: seed {start[0]} {start[1]} hair {start[2]} eyes -> "
            f"seed {end[0]} {end[1]} hair {end[2]} eyes)")

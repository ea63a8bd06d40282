"""The files `acgan generate` and `acgan interpolate` write, and how they are named.

The pictures are pictures.py's, so every face written carries what made it and `acgan generate --like FILE`
can draw it again. Each function writes its files and returns the line the command prints. Every file is
written whole or not at all (acgan.atomic), and a place that cannot be written is a UserError naming it: an
existing file is never left half-overwritten. Big requests are bounded: a grid holds at most MAX_GRID faces,
separate files are drawn and written DRAW_BATCH at a time (so memory does not grow with the count), and a
morph's frames are capped in pixels (pictures.morph_scale).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from acgan.atomic import write_output
from acgan.errors import UserError
from acgan.sample.contract import MAX_GRID, MAX_PER_CALL, RANDOM, Face
from acgan.sample.generator import DRAW_BATCH, FaceGenerator
from acgan.sample.images import resized
from acgan.sample.pictures import Morph, all_pairs_png, face_png, faces_png, morph_scale


def write_all_pairs(model: FaceGenerator, seed: int, out: Path, size: int | None = None) -> str:
    write_output(out, all_pairs_png(model, seed, size))
    return f"wrote {out} ({len(model.vocab.hair)} hair x {len(model.vocab.eyes)} eye colours)"


def check_count(count: int, separate: bool) -> None:
    """Refuse, before anything is drawn, more faces than one grid (or, `separate`, one command's files) holds."""
    if separate and count > MAX_PER_CALL:
        raise UserError(f"{count} faces asked for; acgan writes at most {MAX_PER_CALL:,} files per command")
    if not separate and count > MAX_GRID:
        raise UserError(f"-n {count}: a grid holds at most {MAX_GRID} faces; use --separate for more")


def write_each(model: FaceGenerator, faces: Sequence[Face], paths: Sequence[Path], size: int | None) -> None:
    """One PNG per face, drawn DRAW_BATCH at a time."""
    check_count(len(faces), separate=True)
    for start in range(0, len(faces), DRAW_BATCH):
        batch = faces[start:start + DRAW_BATCH]
        for path, face, image in zip(paths[start:start + DRAW_BATCH], batch, resized(model.faces(batch), size),
                                     strict=True):
            write_output(path, face_png(model, face, image))


def write_named(model: FaceGenerator, named: Sequence[tuple[str, Face]], folder: Path, size: int | None = None) -> str:
    """One PNG per (name, face) in `folder`: <name>.png (what --from-file writes)."""
    if folder.exists() and not folder.is_dir():
        raise UserError(f"{folder} is a file; with --from-file, -o names the folder the faces go to")
    write_each(model, [face for _, face in named], [folder / f"{name}.png" for name, _ in named], size)
    return f"wrote {len(named)} faces to {folder}/"


def save_faces(model: FaceGenerator, out: str | Path, hair: str | Sequence[str] = RANDOM,
               eyes: str | Sequence[str] = RANDOM, n: int = 1, seed: int = 0, separate: bool = False,
               size: int | None = None) -> str:
    """The Python API's `acgan generate`: the same files, carrying the same metadata (model, step, truncation, seed,
    colours), so `acgan generate --like` draws them again. Returns the line the command prints."""
    return write_faces(model, model.requested(hair, eyes, n, seed), Path(out), separate, size)


def write_faces(model: FaceGenerator, faces: Sequence[Face], out: Path, separate: bool, size: int | None = None) -> str:
    """One face: `out`. Several: a grid in `out`, or with `separate` one PNG each, <out stem>-<name>.png (face_name).
    `size`: pixels a side of each face (Lanczos), else as drawn (at least 64 in a grid)."""
    if separate or len(faces) == 1:
        paths = [out] if len(faces) == 1 else [out.with_name(f"{out.stem}-{face_name(face)}.png") for face in faces]
        write_each(model, faces, paths, size)
        return f"wrote {len(paths)} face(s): {paths[0]}{' ...' if len(paths) > 1 else ''}"
    check_count(len(faces), separate=False)
    write_output(out, faces_png(model, faces, resized(model.faces(faces), size)))
    return f"wrote {out} ({len(faces)} faces: {face_name(faces[0])} .. {face_name(faces[-1])})"


def face_name(face: Face) -> str:
    """A face's name in file names and messages: its seed, and for a variation the index of each move
    (42-v3.1: variation 1 of variation 3 of seed 42's face)."""
    return f"{face.seed}-v{'.'.join(str(index) for index, _ in face.moves)}" if face.moves else str(face.seed)


def write_morph(model: FaceGenerator, start: Face, end: Face, steps: int, scale: int | None, out: Path,
                size: int | None = None) -> str:
    """A strip of frames (.png) or an animated GIF (any other suffix) from face `start` to face `end`; frames
    at `size` pixels (Lanczos) when given, then scaled up `scale` times pixel for pixel."""
    scale = morph_scale(steps, size or model.resolution, scale)
    morph = Morph(model, start, end, resized(model.morph(start, end, steps), size), scale)
    write_output(out, morph.strip_png() if out.suffix.lower() == ".png" else morph.gif())
    return (f"wrote {out} ({steps} frames: seed {face_name(start)} {start.hair} hair {start.eyes} eyes -> "
            f"seed {face_name(end)} {end.hair} hair {end.eyes} eyes)")

"""A dataset folder (tags.csv + faces/) decoded into FaceData, through the cache.

Decoding thousands of JPEGs is the slow part of starting a run, so a folder is decoded once (in
threads), resized with antialiasing to the model's resolution, and cached on disk under a key made
of everything that decides the result: the tags file's bytes, each image's name, size and
modification time, the resolution, the vocabulary and the skip policy.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from acgan.data.cache import default_cache_dir, read_cache, write_cache
from acgan.data.faces import FaceData
from acgan.data.pixels import to_rgb
from acgan.data.tags import TagRow, TagTable, describe_dropped, read_tags
from acgan.data.text import DataError, read_text
from acgan.data.vocab import DEFAULT_VOCAB, Vocabulary
from acgan.errors import shown

CACHE_VERSION = 2  # 2: wide greys scaled, not clipped (pixels.py)
MAX_IMAGE_PIXELS = 40_000_000
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".bmp")


def vocab_from_spec(spec: str | Vocabulary) -> Vocabulary | None:
    """A vocabulary, 'default', 'auto' (None: learned from the rows) or a JSON file with hair and eyes lists."""
    if isinstance(spec, Vocabulary):
        return spec
    if spec == "default":
        return DEFAULT_VOCAB
    if spec == "auto":
        return None
    path = Path(spec)
    text = read_text(path, "a vocabulary: 'default', 'auto' or a JSON file")
    try:
        return Vocabulary.from_json(json.loads(text))
    except (json.JSONDecodeError, KeyError, TypeError, ValueError, RecursionError) as err:
        raise DataError(path, f"not a vocabulary ({{'hair': [...], 'eyes': [...]}}): {err}") from None


def tags_file(root: Path) -> Path:
    """A dataset folder's tags.csv, or a DataError saying what a dataset folder holds."""
    path = root / "tags.csv"
    if not path.is_file():
        what = "tags.csv is a folder" if path.is_dir() else "no tags.csv here"
        raise DataError(path, f"{what}; a dataset folder holds tags.csv and faces/<id>.jpg")
    return path


def learn_vocab(table: TagTable) -> Vocabulary:
    """The default vocabulary when it covers the rows (so default checkpoints stay compatible), else sorted names."""
    hair = {row.hair for row in table.rows}
    eyes = {row.eyes for row in table.rows}
    if hair <= set(DEFAULT_VOCAB.hair) and eyes <= set(DEFAULT_VOCAB.eyes):
        return DEFAULT_VOCAB
    try:
        return Vocabulary(hair=tuple(sorted(hair)), eyes=tuple(sorted(eyes)))
    except ValueError as err:
        raise DataError(table.path, f"--vocab auto: {err}") from None


def load_folder(root: str | Path, resolution: int, vocab_spec: str | Vocabulary = "default", skip_bad: bool = False,
                cache_dir: Path | None = None) -> FaceData:
    """Load a dataset folder at `resolution`, from the cache when it is valid.

    Every problem is collected before anything is decided: without `skip_bad` the first one is
    raised (with the count of the others); with it, the rows are skipped and counted in `notes`.
    """
    root = Path(root)
    if not root.is_dir():
        raise DataError(root, "no such dataset folder")
    vocab = vocab_from_spec(vocab_spec)
    table = read_tags(tags_file(root), vocab, skip_bad=True)
    vocab = vocab or learn_vocab(table)
    paired = pair_images(root / "faces", table)
    if not skip_bad:
        stop_on_problems(root, table.bad + paired.missing)
    cache = (cache_dir or default_cache_dir()) / f"{cache_key(table, paired.files, resolution, vocab, skip_bad)}.npz"
    cached = read_cache(cache)
    if cached is not None:
        images, hair, eyes, notes = cached
    else:
        decoded = decode_all(paired.files, resolution)
        if not skip_bad:
            stop_on_problems(root, decoded.unreadable)
        images = decoded.images
        hair = np.array([vocab.hair_index(row.hair) for row in decoded.kept], dtype=np.int64)
        eyes = np.array([vocab.eye_index(row.eyes) for row in decoded.kept], dtype=np.int64)
        notes = table_notes(table, paired.missing) + decoded.notes()
        write_cache(cache, images, hair, eyes, notes)
    if len(images) == 0:
        raise DataError(root, "no usable faces left after skipping bad rows")
    return FaceData(images=images, hair=hair, eyes=eyes, vocab=vocab, source=str(root), notes=notes)


def stop_on_problems(root: Path, problems: list[DataError]) -> None:
    """Raise the first problem, saying how many more there are and where to see them all."""
    if problems:
        more = (f" (and {len(problems) - 1} more: `acgan data check {root}` lists them all)"
                if len(problems) > 1 else "")
        first = problems[0]
        raise DataError(first.path, f"{first.reason}{more}; --skip-bad skips such rows", first.line)


def table_notes(table: TagTable, missing: list[DataError]) -> list[str]:
    notes = []
    if table.dropped:
        notes.append(f"{table.path}: dropped {sum(table.dropped.values())} rows: {describe_dropped(table.dropped)}")
    bad = table.bad + missing
    if bad:
        notes.append(f"{table.path}: skipped {len(bad)} bad rows, first: {bad[0]}")
    return notes


@dataclass
class Paired:
    files: list[tuple[TagRow, Path]]  # rows with their image
    missing: list[DataError]  # rows without an image
    unlisted: list[Path]  # images no row names


def pair_images(faces: Path, table: TagTable) -> Paired:
    """Pair every row with faces/<id>.<jpg|png|...>."""
    if not faces.is_dir():
        raise DataError(faces, "no faces/ folder beside tags.csv")
    by_stem: dict[str, str] = {}
    for name in sorted(os.listdir(faces)):
        stem, suffix = os.path.splitext(name)
        if suffix.lower() in IMAGE_SUFFIXES:
            by_stem.setdefault(stem, name)
    files: list[tuple[TagRow, Path]] = []
    missing: list[DataError] = []
    for row in table.rows:
        name = by_stem.pop(row.image_id, "")
        if not name:
            missing.append(DataError(table.path, f"no image for id {shown(row.image_id)} (looked for "
                                     f"faces/{row.image_id}.jpg, .png, .jpeg, .webp, .bmp)", row.line))
        else:
            files.append((row, faces / name))
    return Paired(files, missing, [faces / name for name in by_stem.values()])


def cache_key(table: TagTable, files: list[tuple[TagRow, Path]], resolution: int, vocab: Vocabulary,
              skip_bad: bool) -> str:
    digest = hashlib.sha256()
    digest.update(table.path.read_bytes())
    header = {"version": CACHE_VERSION, "resolution": resolution, "vocab": vocab.to_json(), "skip_bad": skip_bad}
    digest.update(json.dumps(header, sort_keys=True).encode())
    for _, path in files:
        stat = path.stat()
        digest.update(f"{path.name}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return f"faces-{resolution}px-{digest.hexdigest()[:24]}"


@dataclass
class Decoded:
    images: np.ndarray  # uint8 (N, resolution, resolution, 3), one per kept row
    kept: list[TagRow]
    unreadable: list[DataError]
    converted: list[tuple[Path, str]]  # images that were not RGB, with their mode
    sizes: list[tuple[Path, tuple[int, int]]]  # every readable image's original size

    def notes(self) -> list[str]:
        notes = []
        if self.converted:
            modes = Counter(mode for _, mode in self.converted)
            notes.append(f"converted {len(self.converted)} non-RGB images to RGB "
                         f"({', '.join(f'{count} {mode}' for mode, count in modes.most_common())})")
        if self.unreadable:
            notes.append(f"skipped {len(self.unreadable)} unreadable images, first: {self.unreadable[0]}")
        return notes


def decode_all(files: list[tuple[TagRow, Path]], resolution: int) -> Decoded:
    """Decode, square-crop and resize every image in threads (PIL releases the GIL while decoding)."""
    def work(item: tuple[TagRow, Path]) -> tuple[np.ndarray, str | None, tuple[int, int]] | DataError:
        row, path = item
        try:
            return decode_image(path, resolution)
        except DataError as err:
            return DataError(path, f"{err.reason} (tags.csv line {row.line})")

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        results = list(pool.map(work, files))
    decoded = Decoded(np.zeros((0, resolution, resolution, 3), np.uint8), [], [], [], [])
    images = []
    for (row, path), result in zip(files, results, strict=True):
        if isinstance(result, DataError):
            decoded.unreadable.append(result)
            continue
        pixels, mode, size = result
        if mode is not None:
            decoded.converted.append((path, mode))
        decoded.sizes.append((path, size))
        images.append(pixels)
        decoded.kept.append(row)
    if images:
        decoded.images = np.stack(images)
    return decoded


def too_big(claimed: str) -> str:
    return f"image too big to decode: its header claims {claimed}, acgan decodes at most {MAX_IMAGE_PIXELS:,} pixels"


def decode_image(path: Path, resolution: int) -> tuple[np.ndarray, str | None, tuple[int, int]]:
    """One image -> uint8 (resolution, resolution, 3), its original mode when not RGB, and its original size."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):  # a pipe would block the decoder; a device never ends
            raise DataError(path, "not a regular file (a device, a pipe or a socket), so not an image")
        with Image.open(path) as opened:
            width, height = opened.size
            if width * height > MAX_IMAGE_PIXELS:  # checked on the header, before anything is decoded
                raise DataError(path, too_big(f"{width}x{height} px"))
            opened.load()
            mode = None if opened.mode == "RGB" else opened.mode
            image = to_rgb(opened)
    except FileNotFoundError:
        raise DataError(path, "image file disappeared") from None
    except Image.DecompressionBombError as err:  # Pillow's own check, on headers even bigger than ours
        claimed = re.search(r"\((\d+) pixels\)", str(err))
        raise DataError(path, too_big(f"{int(claimed[1]):,} pixels" if claimed else "its size")) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as err:
        if isinstance(err, DataError):
            raise
        kind = "truncated image" if "truncated" in str(err).lower() else "cannot decode image"
        raise DataError(path, f"{kind} ({err})") from None
    side = min(width, height)
    if width != height:
        left, top = (width - side) // 2, (height - side) // 2
        image = image.crop((left, top, left + side, top + side))
    if side != resolution:
        image = image.resize((resolution, resolution), Image.Resampling.LANCZOS)
    return np.asarray(image, dtype=np.uint8), mode, (width, height)

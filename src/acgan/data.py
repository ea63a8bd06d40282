"""Face datasets as one uint8 array in memory: a folder of tags.csv + faces/, or the built-in procedural set.

Decoding thousands of JPEGs is the slow part of starting a run, so a folder is decoded once (in
threads), resized with antialiasing to the model's resolution, and cached on disk under a key made
of everything that decides the result: the tags file's bytes, each image's name, size and
modification time, the resolution, the vocabulary and the skip policy. The cache carries a checksum
of its pixels; a damaged or stale cache is rebuilt, never trusted.

Images stay uint8 (N, H, W, 3) until a batch is drawn; `to_unit_range` is the one place pixels
become floats in [-1, 1] (x / 127.5 - 1).
"""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError

from acgan.tags import DataError, TagRow, TagTable, describe_dropped, read_tags
from acgan.vocab import DEFAULT_VOCAB, Vocabulary

CACHE_VERSION = 1
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".bmp")


@dataclass
class FaceData:
    """Decoded faces and their labels, ready to move to a device."""

    images: np.ndarray  # uint8 (N, H, W, 3)
    hair: np.ndarray  # int64 (N,), index into vocab.hair
    eyes: np.ndarray  # int64 (N,), index into vocab.eyes
    vocab: Vocabulary
    source: str
    notes: list[str] = field(default_factory=list)  # what was skipped, dropped or converted, for the user

    def __len__(self) -> int:
        return len(self.images)

    @property
    def resolution(self) -> int:
        return self.images.shape[1]

    def counts_table(self) -> str:
        """Class counts per attribute, for printing at the start of a run."""
        lines = []
        for attribute, names, labels in (("hair", self.vocab.hair, self.hair), ("eyes", self.vocab.eyes, self.eyes)):
            counts = np.bincount(labels, minlength=len(names))
            lines.append(f"{attribute:>5}: " + "  ".join(f"{n} {c}" for n, c in zip(names, counts, strict=True)))
        return "\n".join(lines)


def to_unit_range(images: torch.Tensor) -> torch.Tensor:
    """uint8 (B, H, W, 3) -> float (B, 3, H, W) in [-1, 1]."""
    return images.permute(0, 3, 1, 2).float().div(127.5).sub(1.0).contiguous()


def default_cache_dir() -> Path:
    root = os.environ.get("ACGAN_CACHE") or Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "acgan"
    return Path(root)


def resolve_vocab(spec: str | Vocabulary) -> Vocabulary | None:
    """A vocabulary, 'default', 'auto' (None: learned from the rows) or a JSON file with hair and eyes lists."""
    if isinstance(spec, Vocabulary):
        return spec
    if spec == "default":
        return DEFAULT_VOCAB
    if spec == "auto":
        return None
    path = Path(spec)
    try:
        return Vocabulary.from_json(json.loads(path.read_text()))
    except FileNotFoundError:
        raise DataError(path, "no such vocabulary file (use 'default', 'auto' or a JSON file)") from None
    except (json.JSONDecodeError, KeyError, TypeError, ValueError) as err:
        raise DataError(path, f"not a vocabulary ({{'hair': [...], 'eyes': [...]}}): {err}") from None


def learn_vocab(rows: list[TagRow]) -> Vocabulary:
    """The default vocabulary when it covers the rows (so default checkpoints stay compatible), else sorted names."""
    hair = {row.hair for row in rows}
    eyes = {row.eyes for row in rows}
    if hair <= set(DEFAULT_VOCAB.hair) and eyes <= set(DEFAULT_VOCAB.eyes):
        return DEFAULT_VOCAB
    return Vocabulary(hair=tuple(sorted(hair)), eyes=tuple(sorted(eyes)))


def load_folder(root: str | Path, resolution: int, vocab_spec: str | Vocabulary = "default", skip_bad: bool = False,
                cache_dir: Path | None = None) -> FaceData:
    """Load a dataset folder at `resolution`, from the cache when it is valid.

    Every problem is collected before anything is decided: without `skip_bad` the first one is
    raised (with the count of the others); with it, the rows are skipped and counted in `notes`.
    """
    root = Path(root)
    if not root.is_dir():
        raise DataError(root, "no such dataset folder")
    vocab = resolve_vocab(vocab_spec)
    table = read_tags(root / "tags.csv", vocab, skip_bad=True)
    vocab = vocab or learn_vocab(table.rows)
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
    files, missing = [], []
    for row in table.rows:
        name = by_stem.pop(row.image_id, None)
        if name is None:
            missing.append(DataError(table.path, f"no image for id {row.image_id!r} (looked for "
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


def decode_image(path: Path, resolution: int) -> tuple[np.ndarray, str | None, tuple[int, int]]:
    """One image -> uint8 (resolution, resolution, 3), its original mode when not RGB, and its original size."""
    try:
        with Image.open(path) as image:
            image.load()
            mode = None if image.mode == "RGB" else image.mode
            if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
                # Transparent pixels would otherwise turn black; composite them on white like a viewer does.
                background = Image.new("RGBA", image.size, (255, 255, 255, 255))
                image = Image.alpha_composite(background, image.convert("RGBA"))
            image = image.convert("RGB")
    except FileNotFoundError:
        raise DataError(path, "image file disappeared") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as err:
        kind = "truncated image" if "truncated" in str(err).lower() else "cannot decode image"
        raise DataError(path, f"{kind} ({err})") from None
    width, height = size = image.size
    side = min(width, height)
    if width != height:
        left, top = (width - side) // 2, (height - side) // 2
        image = image.crop((left, top, left + side, top + side))
    if side != resolution:
        image = image.resize((resolution, resolution), Image.Resampling.LANCZOS)
    return np.asarray(image, dtype=np.uint8), mode, size


def read_cache(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]] | None:
    """The cached arrays, or None when absent, unreadable or failing its checksum (then it is rebuilt)."""
    if not path.exists():
        return None
    try:
        with np.load(path, allow_pickle=False) as archive:
            images, hair, eyes = archive["images"], archive["hair"], archive["eyes"]
            meta = json.loads(bytes(archive["meta"]).decode())
        if meta["checksum"] != checksum(images, hair, eyes):
            raise ValueError("checksum mismatch")
        return images, hair, eyes, meta["notes"]
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, json.JSONDecodeError) as err:
        print(f"warning: data cache {path} is damaged ({err}); rebuilding it")
        return None


def write_cache(path: Path, images: np.ndarray, hair: np.ndarray, eyes: np.ndarray, notes: list[str]) -> None:
    """Write atomically; a cache that cannot be written only costs the next run its head start."""
    meta = json.dumps({"checksum": checksum(images, hair, eyes), "notes": notes}).encode()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(f".tmp{os.getpid()}.npz")
        np.savez(temporary, images=images, hair=hair, eyes=eyes, meta=np.frombuffer(meta, dtype=np.uint8))
        os.replace(temporary, path)
    except OSError as err:
        print(f"warning: could not write the data cache {path} ({err}); the next run decodes again")


def checksum(*arrays: np.ndarray) -> str:
    digest = hashlib.sha256()
    for array in arrays:
        digest.update(str(array.shape).encode())
        digest.update(np.ascontiguousarray(array).data)
    return digest.hexdigest()


def builtin_data(count: int, resolution: int, seed: int = 0, cache_dir: Path | None = None) -> FaceData:
    """The procedural faces, balanced over every hair x eye pair, cached like a folder."""
    from acgan import procedural

    cache = (cache_dir or default_cache_dir()) / f"builtin-v{procedural.VERSION}-{count}-{resolution}px-{seed}.npz"
    cached = read_cache(cache)
    if cached is not None:
        images, hair, eyes, _ = cached
    else:
        images, hair, eyes = procedural.procedural_dataset(count, size=resolution, seed=seed)
        write_cache(cache, images, hair, eyes, [])
    return FaceData(images=images, hair=hair, eyes=eyes, vocab=DEFAULT_VOCAB, source="built-in procedural faces")


def run_data(meta: dict, data: str | Path | None = None) -> FaceData:
    """Real faces to judge a checkpoint against: `data`, else the run's own dataset (for the built-in
    faces, a fresh set drawn with the next seed), at the run's resolution and in its vocabulary."""
    settings, vocab = meta["config"], Vocabulary.from_json(meta["vocab"])
    if data is None and settings["data"] is None:
        return builtin_data(settings["builtin_faces"], settings["resolution"], seed=settings["seed"] + 1)
    return load_folder(data or settings["data"], settings["resolution"], vocab, skip_bad=True)

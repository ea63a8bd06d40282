"""The real faces' side of an evaluation, stored: a RealReference (evaluate.py) written to disk and read back, so that
`acgan eval` of the shipped generator needs no faces on the machine.

    reference.json                  what it was measured on and with (the faces, the tagger's SHA-256, the settings),
                                    the vocabulary, the floor, the within-pair spread, and the SHA-256 of its tensors
    reference-<sha8>.safetensors    mean (F,) float64 and covariance (F, F) float32 of the tagger's features of real
                                    set A, its labels hair and eyes (N,) uint16 (the generated Frechet set is drawn for
                                    them), and the eye region (H, W) uint8

Nothing in it executes code (safetensors and JSON, never pickle), and every field is checked when it is read: a
damaged or foreign file is a ReferenceError naming what is wrong, never a wrong number.
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
from safetensors import SafetensorError
from safetensors.numpy import load as load_arrays
from safetensors.numpy import save as save_arrays

from acgan.atomic import write_atomic
from acgan.data.face_data import FaceData
from acgan.data.vocab import Vocabulary
from acgan.errors import UserError
from acgan.judge.evaluate import EvalSettings, RealReference, real_reference
from acgan.judge.tagger import Tagger
from acgan.run.checkpoint import MAX_RECORD_BYTES, read_bounded

KIND = "real-face reference"
FORMAT = 1
MAX_TENSORS_BYTES = 64 * 2**20


class ReferenceError(UserError):
    """A stored reference that is missing, damaged, or not the one the evaluation asks for."""


def write_reference(tagger: Tagger, data: FaceData, settings: EvalSettings, path: Path) -> Path:
    """Measure the real faces `data` with `tagger` as `acgan eval` would and store what it needs at `path`."""
    return save_reference(real_reference(tagger, data, settings), settings, tagger.sha256, path)


def save_reference(reference: RealReference, settings: EvalSettings, tagger_sha256: str, path: Path) -> Path:
    """Write `reference` as `path` (JSON) and its tensors beside it; returns the JSON's path."""
    arrays: dict[str, np.ndarray] = {
        "mean": reference.mean.astype(np.float64), "covariance": reference.covariance.astype(np.float32),
        "hair": reference.hair.astype(np.uint16), "eyes": reference.eyes.astype(np.uint16),
        "eye_region": reference.eye_region.astype(np.uint8)}
    payload = save_arrays(arrays)
    digest = hashlib.sha256(payload).hexdigest()
    tensors = path.with_name(f"{path.stem}-{digest[:8]}.safetensors")
    record = {"kind": KIND, "format": FORMAT, "source": reference.source, "faces": reference.faces,
              "settings": {"frechet_faces": settings.frechet_faces, "seed": settings.seed},
              "tagger_sha256": tagger_sha256, "vocab": reference.vocab.to_json(), "floor": reference.floor,
              "spread": [[hair, eyes, value] for (hair, eyes), value in sorted(reference.spread.items())],
              "tensors_file": tensors.name, "sha256": digest}
    write_atomic(tensors, payload)
    write_atomic(path, (json.dumps(record, indent=1) + "\n").encode())
    return path


def load_reference(path: Path, settings: EvalSettings, tagger_sha256: str) -> RealReference:
    """The reference stored at `path`, checked field by field, and checked to be the one measured with this tagger
    and these settings (another tagger's features, or another Frechet set, would give numbers that mean nothing)."""
    try:
        record = json.loads(read_bounded(path, MAX_RECORD_BYTES, "reference"))
        return checked(path, record, settings, tagger_sha256)
    except ReferenceError:  # already says what is wrong, and where
        raise
    except (ValueError, KeyError, TypeError, RecursionError) as err:
        raise ReferenceError(f"{path}: not a valid {KIND} ({err})") from None


def checked(path: Path, record: Any, settings: EvalSettings, tagger_sha256: str) -> RealReference:
    if not isinstance(record, dict) or record.get("kind") != KIND or record.get("format") != FORMAT:
        raise ValueError(f"expected kind {KIND!r}, format {FORMAT}")
    if record["settings"] != {"frechet_faces": settings.frechet_faces, "seed": settings.seed}:
        raise ReferenceError(f"{path}: measured for {record['settings']}, not for --frechet-faces "
                             f"{settings.frechet_faces} --seed {settings.seed}; give --data DIR")
    if record["tagger_sha256"] != tagger_sha256:
        raise ReferenceError(f"{path}: measured with another tagger; give --data DIR")
    vocab = Vocabulary.from_json(record["vocab"])
    tensors = path.parent / str(record["tensors_file"])
    if tensors.resolve().parent != path.parent.resolve():
        raise ValueError(f"its tensors file {record['tensors_file']!r} lies outside {path.parent}")
    payload = read_bounded(tensors, MAX_TENSORS_BYTES, "reference's tensors")
    if hashlib.sha256(payload).hexdigest() != record["sha256"]:
        raise ReferenceError(f"{tensors}: damaged (its SHA-256 does not match {path.name})")
    try:
        arrays = load_arrays(payload)
    except SafetensorError as err:
        raise ValueError(f"its tensors are not readable ({err})") from None
    floor, faces = record["floor"], record["faces"]
    if not isinstance(floor, float) or not math.isfinite(floor) or floor < 0:
        raise ValueError(f"field 'floor' must be a finite number, 0 or more, got {floor!r}")
    if type(faces) is not int or faces < 4:
        raise ValueError(f"field 'faces' must be a whole number of at least 4, got {faces!r}")
    mean, covariance = array(arrays, "mean", np.float64, 1), array(arrays, "covariance", np.float32, 2)
    hair, eyes = labels(arrays, "hair", len(vocab.hair)), labels(arrays, "eyes", len(vocab.eyes))
    if covariance.shape != (len(mean), len(mean)) or len(hair) != len(eyes):
        raise ValueError(f"its tensors do not fit together: mean {mean.shape}, covariance {covariance.shape}, "
                         f"hair {hair.shape}, eyes {eyes.shape}")
    return RealReference(mean=mean, covariance=covariance, hair=hair, eyes=eyes, floor=floor,
                         spread=spread(record["spread"], vocab), faces=faces,
                         eye_region=array(arrays, "eye_region", np.uint8, 2).astype(bool), vocab=vocab,
                         source=f"{record['source']} (stored: {path.name})")


def array(arrays: dict[str, np.ndarray], name: str, dtype: type, dims: int) -> np.ndarray:
    value = arrays[name]
    if value.dtype != dtype or value.ndim != dims or not np.isfinite(value.astype(np.float64)).all():
        raise ValueError(f"tensor {name!r} must be finite {np.dtype(dtype).name} with {dims} dimension(s)")
    return value.astype(np.float64) if value.dtype.kind == "f" else value


def labels(arrays: dict[str, np.ndarray], name: str, colours: int) -> np.ndarray:
    value = array(arrays, name, np.uint16, 1)
    if len(value) < 2 or value.max() >= colours:
        raise ValueError(f"tensor {name!r} must hold at least 2 labels below {colours}")
    return value.astype(np.int64)


def spread(rows: Any, vocab: Vocabulary) -> dict[tuple[int, int], float]:
    found = {}
    for hair, eyes, value in rows:
        if not (type(hair) is int and 0 <= hair < len(vocab.hair) and type(eyes) is int and 0 <= eyes < len(vocab.eyes)
                and isinstance(value, float) and math.isfinite(value) and value >= 0):
            raise ValueError(f"field 'spread' holds {[hair, eyes, value]!r}, not [hair, eyes, spread]")
        found[(hair, eyes)] = value
    return found

"""The decoded-faces cache: arrays in one .npz per key, checked by checksum, written atomically.

A damaged or stale cache is rebuilt, never trusted; a cache that cannot be written only costs the
next run its head start.
"""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from pathlib import Path

import numpy as np

from acgan.atomic import write_atomic


def default_cache_dir() -> Path:
    root = os.environ.get("ACGAN_CACHE") or Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "acgan"
    return Path(root)


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
    """Write whole or not at all; a cache that cannot be written only costs the next run its head start."""
    meta = json.dumps({"checksum": checksum(images, hair, eyes), "notes": notes}).encode()
    try:
        write_atomic(path, lambda handle: np.savez(handle, images=images, hair=hair, eyes=eyes,
                                                   meta=np.frombuffer(meta, dtype=np.uint8)))
    except OSError as err:
        print(f"warning: could not write the data cache {path} ({err}); the next run decodes again")


def checksum(*arrays: np.ndarray) -> str:
    digest = hashlib.sha256()
    for array in arrays:
        digest.update(str(array.shape).encode())
        digest.update(np.ascontiguousarray(array).data)
    return digest.hexdigest()

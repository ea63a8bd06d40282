"""The built-in faces: procedural faces balanced over every hair x eye pair, cached like a folder."""

from __future__ import annotations

from pathlib import Path

from acgan.data import procedural
from acgan.data.cache import default_cache_dir, read_cache, write_cache
from acgan.data.face_data import FaceData
from acgan.data.vocab import DEFAULT_VOCAB


def builtin_data(count: int, resolution: int, seed: int = 0, cache_dir: Path | None = None) -> FaceData:
    """The procedural faces, balanced over every hair x eye pair, cached like a folder."""
    cache = (cache_dir or default_cache_dir()) / f"builtin-v{procedural.VERSION}-{count}-{resolution}px-{seed}.npz"
    cached = read_cache(cache)
    if cached is not None:
        images, hair, eyes, _ = cached
    else:
        images, hair, eyes = procedural.procedural_dataset(count, size=resolution, seed=seed)
        write_cache(cache, images, hair, eyes, [])
    return FaceData(images=images, hair=hair, eyes=eyes, vocab=DEFAULT_VOCAB, source="built-in procedural faces")

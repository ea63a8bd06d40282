"""The model behind the API: faces for (seed, hair, eyes) triples and morphs, one request at a time."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Protocol

from PIL import Image

from acgan.data.vocab import Vocabulary
from acgan.sample.faces import Face
from acgan.sample.generator import FaceGenerator


class Backend(Protocol):
    """What the server needs from a model: faces for (seed, hair, eyes) triples, and morphs."""

    name: str
    vocab: Vocabulary
    resolution: int
    source: str
    step: int

    def faces(self, faces: Sequence[Face]) -> list[Image.Image]:
        """One image per (seed, hair, eyes), each the image `FaceGenerator.generate` draws for it."""
        ...

    def morph(self, start: Face, end: Face, steps: int) -> list[Image.Image]:
        """`steps` frames from the face `start` to the face `end`, both ends included."""
        ...


class ModelBackend:
    """A loaded FaceGenerator (PyTorch or ONNX); one network call at a time, since each already uses every core
    (the requests HeavyWork lets in at once overlap drawing with encoding their pictures)."""

    def __init__(self, model: FaceGenerator) -> None:
        self.model = model
        self.name = model.backend
        self.vocab = model.vocab
        self.resolution = model.resolution
        self.source = model.source
        self.step = model.step
        self._lock = threading.Lock()

    def faces(self, faces: Sequence[Face]) -> list[Image.Image]:
        with self._lock:
            return self.model.faces(faces)

    def morph(self, start: Face, end: Face, steps: int) -> list[Image.Image]:
        with self._lock:
            return self.model.morph(start, end, steps)

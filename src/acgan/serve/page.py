"""The page, whichever way it is served: its files (static/), which `acgan serve` serves in front of the JSON API
and `acgan site` copies beside an exported model, and what both tell the page about the model (colours and their
swatches, resolution, request limits), so the two modes show the same choices. Needs no web framework."""

from __future__ import annotations

from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from acgan.data.palette import swatch
from acgan.data.vocab import Vocabulary
from acgan.sample.faces import RANDOM

MAX_FACES = 64  # faces in one request, and colour pairs in one recolour
MAX_STEPS = 32  # frames in one morph


def static_folder() -> Path:
    return Path(str(resources.files("acgan.serve") / "static"))


def swatches(names: Sequence[str]) -> list[dict[str, Any]]:
    """Each colour name with the sRGB colour the page shows beside it, as a triple and as #rrggbb."""
    return [{"name": name, "rgb": swatch(name), "hex": "#{:02x}{:02x}{:02x}".format(*swatch(name))} for name in names]


def colour_choices(vocab: Vocabulary, resolution: int) -> dict[str, Any]:
    """What GET /api/tags answers and the static site's model.json holds: the page's choices."""
    return {"hair": swatches(vocab.hair), "eyes": swatches(vocab.eyes), "random": RANDOM, "resolution": resolution,
            "max_faces": MAX_FACES, "max_steps": MAX_STEPS}

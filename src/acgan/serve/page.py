"""The page, whichever way it is served: its files (static/), which `acgan serve` serves in front of the JSON API and
`acgan site` copies beside an exported model. Both tell it about the model and the rules it draws under the same
way (sample/contract.py's contract_json: GET /api/tags, or model.json). Needs no web framework."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def static_folder() -> Path:
    return Path(str(resources.files("acgan.serve") / "static"))

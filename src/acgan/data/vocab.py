"""The colour vocabulary: which hair and eye colours a dataset and a model know, in a fixed order.

The order is part of a trained model (label i means the i-th colour), so it is stored with every
checkpoint and never re-derived from data once a model exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from acgan.errors import UserError, shown

DEFAULT_HAIR = (
    "orange", "white", "aqua", "gray", "green", "red",
    "purple", "pink", "blue", "black", "brown", "blonde",
)
DEFAULT_EYES = (
    "gray", "black", "orange", "pink", "yellow", "aqua",
    "purple", "green", "brown", "red", "blue",
)


class UnknownColourError(UserError):
    """A colour name that the vocabulary does not contain."""

    def __init__(self, attribute: str, name: str, valid: tuple[str, ...]) -> None:
        self.attribute = attribute
        self.name = name
        self.valid = valid
        super().__init__(f"unknown {attribute} colour {shown(name)}; valid {attribute} colours: {', '.join(valid)}")


@dataclass(frozen=True)
class Vocabulary:
    """Ordered hair and eye colour names; label i of an attribute is its i-th name."""

    hair: tuple[str, ...] = DEFAULT_HAIR
    eyes: tuple[str, ...] = DEFAULT_EYES

    def __post_init__(self) -> None:
        for attribute, names in (("hair", self.hair), ("eyes", self.eyes)):
            if len(names) < 2:
                raise UserError(f"a vocabulary needs at least two {attribute} colours, got {list(names)}")
            if len(set(names)) != len(names):
                raise UserError(f"duplicate {attribute} colours in {list(names)}")

    def hair_index(self, name: str) -> int:
        return _index("hair", name, self.hair)

    def eye_index(self, name: str) -> int:
        return _index("eyes", name, self.eyes)

    def to_json(self) -> dict[str, list[str]]:
        return {"hair": list(self.hair), "eyes": list(self.eyes)}

    @classmethod
    def from_json(cls, data: Any) -> Vocabulary:
        """From {"hair": [...], "eyes": [...]}; anything else is a UserError."""
        if not isinstance(data, dict) or not all(
                isinstance(data.get(key), list) and all(isinstance(name, str) for name in data[key])
                for key in ("hair", "eyes")):
            raise UserError('a vocabulary is {"hair": [colour names], "eyes": [colour names]}')
        return cls(hair=tuple(data["hair"]), eyes=tuple(data["eyes"]))


def _index(attribute: str, name: str, names: tuple[str, ...]) -> int:
    key = name.strip().lower()
    try:
        return names.index(key)
    except ValueError:
        raise UnknownColourError(attribute, name, names) from None


DEFAULT_VOCAB = Vocabulary()

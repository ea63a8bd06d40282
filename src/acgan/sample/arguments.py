"""The Python API's arguments, checked as the command line checks its options: one clear error naming the argument.

A whole number may be any of Python's or numpy's integers (numpy.int64(5) is a seed), never a bool, a float or a
string ("7" is not 7 to Python either); a colour is a name, or one name per face. Wrong kinds are WrongTypeError
(a TypeError), values out of range UserError (a ValueError); both say which argument and what it may be.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

from acgan.errors import UserError, WrongTypeError, shown
from acgan.sample.contract import MAX_PER_CALL, MAX_SEED, Face


def whole_number(value: object, name: str, low: int, high: int) -> int:
    """`value` as an int in [low, high]; numpy's integers count, bools do not."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise WrongTypeError(f"{name} must be a whole number from {low:,} to {high:,}, got {shown(value)} "
                             f"({type(value).__name__})")
    number = int(value)
    if not low <= number <= high:
        raise UserError(f"{name} must be a whole number from {low:,} to {high:,}, got {number:,}")
    return number


def face_count(n: object, name: str = "n") -> int:
    """How many faces one call draws: 1 to MAX_PER_CALL, as for the command line (drawn in batches)."""
    return whole_number(n, name, 1, MAX_PER_CALL)


def seed_of(seed: object, name: str = "seed") -> int:
    return whole_number(seed, name, 0, MAX_SEED)


def colour_names(value: object, name: str, n: int) -> list[str]:
    """One colour name for all n faces, or a sequence of exactly n names."""
    if isinstance(value, str):
        return [value] * n
    if isinstance(value, Sequence) and all(isinstance(item, str) for item in value):
        if len(value) != n:
            raise UserError(f"{name}: {len(value)} colour names for {n} faces; give one name, or one per face")
        return list(value)
    raise WrongTypeError(f"{name} must be a colour name (or 'random'), or a list of one per face, got {shown(value)} "
                         f"({type(value).__name__})")


def face_of(value: object, name: str) -> Face:
    """A face as (seed, hair, eyes)."""
    if not isinstance(value, Sequence) or isinstance(value, str) or len(value) != 3:
        raise WrongTypeError(f"{name} must be a face (seed, hair, eyes), got {shown(value)}")
    seed, hair, eyes = value
    return (seed_of(seed, f"{name}'s seed"), colour_names(hair, f"{name}'s hair", 1)[0],
            colour_names(eyes, f"{name}'s eyes", 1)[0])

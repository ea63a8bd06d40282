"""The Python API's arguments, checked as the command line checks its options: one clear error naming the argument.

A whole number may be any of Python's or numpy's integers (numpy.int64(5) is a seed), never a bool, a float or a
string ("7" is not 7 to Python either); a colour is a name, or one name per face. Wrong kinds are WrongTypeError
(a TypeError), values out of range UserError (a ValueError); both say which argument and what it may be.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

from acgan.errors import UserError, WrongTypeError, shown
from acgan.sample.contract import MAX_MOVES, MAX_PER_CALL, MAX_SEED, Face, Move


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
    """A face as (seed, hair, eyes), or (seed, hair, eyes, moves) for a variation."""
    if not isinstance(value, Sequence) or isinstance(value, str) or len(value) not in (3, 4):
        raise WrongTypeError(f"{name} must be a face (seed, hair, eyes) or (seed, hair, eyes, moves), got "
                             f"{shown(value)}")
    seed, hair, eyes, *moves = value
    return Face(seed_of(seed, f"{name}'s seed"), colour_names(hair, f"{name}'s hair", 1)[0],
                colour_names(eyes, f"{name}'s eyes", 1)[0], moves_of(moves[0] if moves else (), f"{name}'s moves"))


def moves_of(value: object, name: str = "moves") -> tuple[Move, ...]:
    """A face's moves: at most MAX_MOVES pairs (variation index 0..MAX_PER_CALL - 1, distance in (0, 1])."""
    if not isinstance(value, Sequence) or isinstance(value, str):
        raise WrongTypeError(f"{name} must be a list of (index, distance) pairs, got {shown(value)}")
    if len(value) > MAX_MOVES:
        raise UserError(f"{name}: {len(value)} moves; a face is at most {MAX_MOVES} variations away from its seed's")
    moves = []
    for i, move in enumerate(value):
        if not isinstance(move, Sequence) or isinstance(move, str) or len(move) != 2:
            raise WrongTypeError(f"{name}[{i}] must be an (index, distance) pair, got {shown(move)}")
        moves.append((whole_number(move[0], f"{name}[{i}]'s index", 0, MAX_PER_CALL - 1),
                      distance_of(move[1], f"{name}[{i}]'s distance")))
    return tuple(moves)


def distance_of(value: object, name: str = "distance") -> float:
    """How far a variation moves a face's noise: above 0 and at most 1 (1: as far as any other face)."""
    return unit_number(value, name, "1: as far as any other face; lower: nearer")


def truncation_of(value: object, name: str = "truncation") -> float:
    """A truncation: a number above 0 and at most 1 (contract.TRUNCATION)."""
    return unit_number(value, name, "1: the faces as trained; lower: safer, more alike faces")


def unit_number(value: object, name: str, meaning: str) -> float:
    """A real number above 0 and at most 1, as a float."""
    explained = f"{name} must be above 0 and at most 1 ({meaning})"
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise WrongTypeError(f"{explained}, got {shown(value)} ({type(value).__name__})")
    number = float(value)
    if not 0 < number <= 1:  # NaN fails too
        raise UserError(f"{explained}, got {value}")
    return number

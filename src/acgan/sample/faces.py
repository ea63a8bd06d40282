"""What one face is: a seed and two colours. Its noise and any "random" colour come from the seed alone.

One image per seed, everywhere: face k of a request with seed s is drawn from the noise of seed
s + k, made by its own CPU random generator, so a face never depends on the device's RNG or on which
tool asked for it. (Drawn in a batch with other faces, a pixel can round to the neighbouring level:
the CPU's convolutions round a batch of four differently from a batch of one.)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from acgan.data.vocab import Vocabulary
from acgan.errors import UserError

MAX_SEED = 2**63 - 1
RANDOM = "random"  # a colour chosen from the face's own seed

Face = tuple[int, str, str]  # (seed, hair, eyes) with canonical colour names


def check_seed(seed: int, name: str = "seed") -> int:
    if not 0 <= seed <= MAX_SEED:
        raise UserError(f"{name} must be a whole number from 0 to {MAX_SEED}, got {seed}")
    return seed


def noise_for_seeds(seeds: Sequence[int], z_dim: int) -> torch.Tensor:
    """(len(seeds), z_dim) standard-normal noise; row k depends on seeds[k] alone."""
    rows = [torch.randn(z_dim, generator=torch.Generator().manual_seed(check_seed(seed))) for seed in seeds]
    return torch.stack(rows)


def names_for(names: str | Sequence[str], n: int) -> list[str]:
    """One colour name for all n faces, or one per face."""
    if isinstance(names, str):
        return [names] * n
    if len(names) != n:
        raise UserError(f"got {len(names)} colours for {n} faces")
    return list(names)


def colours_for(vocab: Vocabulary, seed: int, hair: str, eyes: str) -> tuple[str, str]:
    """Canonical colour names for one face; "random" is drawn from the face's seed, so it is reproducible.

    Hair then eyes are always drawn from a numpy generator seeded with the face's seed, so a random eye
    colour does not depend on whether the hair colour was random too. Raises UnknownColourError."""
    rng = np.random.default_rng(seed)
    hair_pick, eyes_pick = int(rng.integers(len(vocab.hair))), int(rng.integers(len(vocab.eyes)))
    hair_index = hair_pick if hair.strip().lower() == RANDOM else vocab.hair_index(hair)
    eyes_index = eyes_pick if eyes.strip().lower() == RANDOM else vocab.eye_index(eyes)
    return vocab.hair[hair_index], vocab.eyes[eyes_index]


def default_pair(vocab: Vocabulary) -> tuple[str, str]:
    """The colours a morph uses when none are given: blonde hair and blue eyes, or the vocabulary's first."""
    return ("blonde" if "blonde" in vocab.hair else vocab.hair[0], "blue" if "blue" in vocab.eyes else vocab.eyes[0])

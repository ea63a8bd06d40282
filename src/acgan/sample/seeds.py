"""What a seed means: the noise of its face, and the colours "random" picks for it, from the seed alone.

One image per seed, everywhere: face k of a request with seed s is drawn from the noise of seed
s + k, so a face never depends on the device, on which tool asked for it or on what else is in the
batch. (Drawn in a batch with other faces, a pixel can round to the neighbouring level: the CPU's
convolutions round a batch of four differently from a batch of one.)

The noise is our own portable generator, not torch's: the web page computes the same numbers in
JavaScript (acgan/serve/static/noise.js), bit for bit, so a static page draws the faces the CLI draws.
docs/DESIGN.md ("The noise is our own") gives the definition and why:

    key     = mix64(seed + stream * 2**63)             stream 0: noise, 1: "random" colours
    word[i] = mix64(key + (i + 1) * GOLDEN) mod 2**64  the i-th output of SplitMix64 started at key
    noise   = Box-Muller over pairs of words, in float64 with + - * / and sqrt only, then float32
    colour  = (word[0] * n_hair) >> 64 for hair, (word[1] * n_eyes) >> 64 for eyes

A variation of a face (contract.Face's moves) moves its noise toward another's, step by step, in float64 before
the one rounding to float32, so the page's JavaScript gets the same bits:

    key[0] = seed;  z[0] = the seed's noise in float64
    key[j] = mix64(key[j-1] + (index[j] + 1) * GOLDEN) >> 1             a seed of its own for each step
    z[j]   = sqrt(1 - d[j] * d[j]) * z[j-1] + d[j] * noise(key[j])     still standard normal, for any d in (0, 1]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from acgan.data.vocab import Vocabulary
from acgan.errors import UserError
from acgan.sample.contract import MAX_SEED, RANDOM, TRUNCATION, Face, Move

NOISE_STREAM, COLOUR_STREAM = 0, 1  # two streams per seed that never share a key
GOLDEN = 0x9E3779B97F4A7C15  # SplitMix64's increment: 2**64 / the golden ratio, odd
TWO_53 = float(2**53)  # a word keeps its top 53 bits: every such number is exact in float64
SQRT_HALF = 0.7071067811865476
LN2 = 0.6931471805599453
HALF_PI = 1.5707963267948966


def check_seed(seed: int, name: str = "seed") -> int:
    if not 0 <= seed <= MAX_SEED:
        raise UserError(f"{name} must be a whole number from 0 to {MAX_SEED}, got {seed}")
    return seed


def check_seeds(seed: int, n: int) -> None:
    """The seeds of n faces from `seed` (face k uses seed + k) must all be seeds."""
    check_seed(seed)
    if seed + n - 1 > MAX_SEED:
        raise UserError(f"seed + n - 1 must be at most {MAX_SEED} (face k uses seed + k), got seed {seed} and n {n}")


def mix64(z: np.ndarray) -> np.ndarray:
    """SplitMix64's output function (Stafford's mix 13) on uint64: a bijection, so distinct keys stay distinct."""
    z = (z ^ (z >> 30)) * np.uint64(0xBF58476D1CE4E5B9)  # uint64 arrays wrap around: arithmetic mod 2**64
    z = (z ^ (z >> 27)) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> 31)


def stream_words(seeds: Sequence[int], stream: int, count: int) -> np.ndarray:
    """(len(seeds), count) uint64: word i of each seed's stream, SplitMix64 started at the seed's key."""
    keys = mix64(np.array([check_seed(seed) + (stream << 63) for seed in seeds], dtype=np.uint64))
    steps = np.arange(1, count + 1, dtype=np.uint64) * np.uint64(GOLDEN)
    return mix64(keys[:, None] + steps[None, :])


def log_unit(x: np.ndarray) -> np.ndarray:
    """Natural log of x in (0, 1] with + - * / only (libm's log differs by an ulp between platforms and from
    JavaScript's): x = m * 2**e with m in [sqrt(1/2), sqrt(2)), log m = 2 atanh((m - 1) / (m + 1)) as a series."""
    m, e = np.frexp(x)  # exact: m in [0.5, 1)
    low = m < SQRT_HALF
    m, e = np.where(low, m * 2, m), np.where(low, e - 1, e)
    s = (m - 1) / (m + 1)
    s2 = s * s
    series = np.full_like(s, 1 / 25)
    for k in range(11, -1, -1):  # |s| < 0.172: the s**26 term is below 1e-20
        series = 1 / (2 * k + 1) + s2 * series
    return e * LN2 + 2 * s * series


def cos_sin_turns(u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """cos and sin of 2 pi u for u in [0, 1), with + - * / only: the nearest quarter turn is taken off exactly
    and the rest, |a| <= pi / 4, goes through Taylor series to the a**18 term (error below 1e-19)."""
    t = u * 4
    quarter = np.floor(t + 0.5)
    a = (t - quarter) * HALF_PI
    a2 = a * a
    sin_a, cos_a = np.ones_like(a), np.ones_like(a)
    for n in range(17, 2, -2):
        sin_a = 1 - a2 / (n * (n - 1)) * sin_a
    for n in range(18, 1, -2):
        cos_a = 1 - a2 / (n * (n - 1)) * cos_a
    sin_a = a * sin_a
    turn = quarter.astype(np.int64) % 4
    cos = np.choose(turn, [cos_a, -sin_a, -cos_a, sin_a])
    sin = np.choose(turn, [sin_a, cos_a, -sin_a, -cos_a])
    return cos, sin


def noise_for_seeds(seeds: Sequence[int], z_dim: int) -> torch.Tensor:
    """(len(seeds), z_dim) float32 standard-normal noise; row k depends on seeds[k] alone."""
    return torch.from_numpy(seed_noise64(seeds, z_dim).astype(np.float32))


def noise_for_faces(faces: Sequence[Face], z_dim: int) -> torch.Tensor:
    """(len(faces), z_dim) float32: each face's noise, its seed's moved by its moves (a seed's own face: its
    seed's noise, bit for bit)."""
    noise = seed_noise64([face.seed for face in faces], z_dim)
    for row, face in enumerate(faces):
        noise[row] = moved(noise[row], face.seed, face.moves)
    return torch.from_numpy(noise.astype(np.float32))


def moved(noise: np.ndarray, seed: int, moves: Sequence[Move]) -> np.ndarray:
    """float64 noise of the face `moves` lead to from the seed's face, whose float64 noise is `noise`."""
    key = seed
    for index, distance in moves:
        key = int(mix64(np.array([(key + (index + 1) * GOLDEN) % 2**64], dtype=np.uint64))[0]) >> 1
        noise = np.sqrt(1 - distance * distance) * noise + distance * seed_noise64([key], len(noise))[0]
    return noise


def seed_noise64(seeds: Sequence[int], z_dim: int) -> np.ndarray:
    """(len(seeds), z_dim) float64 standard-normal noise, before its rounding to float32.

    Box-Muller: words 2j and 2j + 1 of the seed's noise stream give elements 2j (r cos) and 2j + 1 (r sin)."""
    pairs = (z_dim + 1) // 2
    top = (stream_words(seeds, NOISE_STREAM, 2 * pairs) >> 11).astype(np.float64)
    radius_u = (TWO_53 - top[:, 0::2]) / TWO_53  # in (0, 1]: never log(0)
    angle_u = top[:, 1::2] / TWO_53  # in [0, 1)
    radius = np.sqrt(-2 * log_unit(radius_u))
    cos, sin = cos_sin_turns(angle_u)
    return np.stack([radius * cos, radius * sin], axis=2).reshape(len(top), 2 * pairs)[:, :z_dim]


def truncated(noise: torch.Tensor, truncation: float) -> torch.Tensor:
    """Noise pulled toward its mean, 0, by `truncation` (z * truncation); at 1 the noise itself, bit for bit."""
    return noise if truncation == TRUNCATION else noise * truncation


def random_colours(vocab: Vocabulary, seed: int) -> tuple[int, int]:
    """The hair and eye indices "random" means for a seed: words 0 and 1 of its colour stream, each scaled to
    the number of colours as the top 64 bits of word * n (exact integers; every colour within n / 2**64 of 1/n)."""
    hair_word, eyes_word = (int(w) for w in stream_words([seed], COLOUR_STREAM, 2)[0])
    return (hair_word * len(vocab.hair)) >> 64, (eyes_word * len(vocab.eyes)) >> 64


def colours_for(vocab: Vocabulary, seed: int, hair: str, eyes: str) -> tuple[str, str]:
    """Canonical colour names for one face; "random" is drawn from the face's seed, so it is reproducible.

    Hair and eyes each have their own word of the seed's colour stream, so a random eye colour does not depend
    on whether the hair colour was random too. Raises UnknownColourError."""
    hair_pick, eyes_pick = random_colours(vocab, seed)
    hair_index = hair_pick if hair.strip().lower() == RANDOM else vocab.hair_index(hair)
    eyes_index = eyes_pick if eyes.strip().lower() == RANDOM else vocab.eye_index(eyes)
    return vocab.hair[hair_index], vocab.eyes[eyes_index]

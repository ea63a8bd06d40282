"""The noise a seed means (acgan.sample.seeds): fixed by its definition, normal, one stream per seed, and made of
operations JavaScript computes the same way (tests/test_site.py checks the page's copy against this one)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from acgan.data.vocab import DEFAULT_VOCAB
from acgan.errors import UserError
from acgan.sample.contract import MAX_SEED
from acgan.sample.seeds import (
    colours_for,
    cos_sin_turns,
    log_unit,
    noise_for_seeds,
    random_colours,
    stream_words,
)


def float32_bits(values: np.ndarray) -> list[str]:
    return [f"{int(bits):08x}" for bits in values.astype(np.float32).view(np.uint32)]


def test_the_definition_is_fixed() -> None:
    """Every face ever drawn depends on these numbers: a change here changes every seed's face (docs/DESIGN.md)."""
    noise = noise_for_seeds([0, 1, MAX_SEED], 100).numpy()
    assert float32_bits(noise[0, :4]) == ["bff123e9", "3f5d5052", "3e69120e", "bd2c7e5a"]
    assert float32_bits(noise[1, :4]) == ["bf942a94", "3f9919ce", "3f83cd0d", "be9c584c"]
    assert float32_bits(noise[2, :4]) == ["bf1e96aa", "bf8edd25", "3d127fff", "3e710530"]
    assert [colours_for(DEFAULT_VOCAB, seed, "random", "random") for seed in range(3)] == [
        ("green", "blue"), ("orange", "blue"), ("blonde", "yellow")]


def test_a_row_depends_on_its_seed_alone() -> None:
    together = noise_for_seeds([7, 8, 9], 100)
    assert torch.equal(together[1], noise_for_seeds([8], 100)[0])
    assert torch.equal(noise_for_seeds([8], 99)[0], together[1, :99])  # an odd z_dim drops the last sine
    assert noise_for_seeds([8], 100).dtype == torch.float32


def test_seeds_that_torch_would_confuse_are_different_faces() -> None:
    """torch.manual_seed keeps 32 bits of a CPU seed (5 and 5 + 2**32 draw the same numbers); every seed up to
    2**63 - 1 has its own stream here: the key is a bijection of (seed, stream)."""
    seeds = [5, 5 + 2**32, 2**53, 2**53 + 1, MAX_SEED - 1, MAX_SEED]
    noise = noise_for_seeds(seeds, 100)
    assert len({tuple(row.tolist()) for row in noise}) == len(seeds)
    noise_words = stream_words(seeds, 0, 1)[:, 0]
    colour_words = stream_words(seeds, 1, 1)[:, 0]
    assert len(set(noise_words.tolist()) | set(colour_words.tolist())) == 2 * len(seeds)


def test_the_noise_is_standard_normal() -> None:
    noise = noise_for_seeds(range(4000), 100).double()
    assert abs(float(noise.mean())) < 0.01 and abs(float(noise.std()) - 1) < 0.01
    assert abs(float((noise**3).mean())) < 0.03 and abs(float((noise**4).mean()) - 3) < 0.06
    assert float(noise.abs().max()) > 4.5  # tails are there: Box-Muller, not a sum of uniforms
    correlation = np.corrcoef(noise[:, :10].numpy(), rowvar=False) - np.eye(10)
    assert np.abs(correlation).max() < 0.05


def test_log_and_cos_sin_are_as_accurate_as_libm() -> None:
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.random(10_000), [1.0, 2.0**-53, 0.5, 0.7071067811865476]])
    x[x == 0] = 2.0**-53
    assert np.abs(log_unit(x) - np.log(x)).max() < 1e-14
    u = np.concatenate([rng.random(10_000), [0.0, 0.125, 0.25, 0.5, 0.75, 1 - 2.0**-53]])
    cos, sin = cos_sin_turns(u)
    assert np.abs(cos - np.cos(2 * np.pi * u)).max() < 1e-15
    assert np.abs(sin - np.sin(2 * np.pi * u)).max() < 1e-15


def test_random_colours_are_uniform_and_separate_for_hair_and_eyes() -> None:
    picks = np.array([random_colours(DEFAULT_VOCAB, seed) for seed in range(6000)])
    assert np.bincount(picks[:, 0], minlength=12).min() > 6000 / 12 * 0.85
    assert np.bincount(picks[:, 1], minlength=11).min() > 6000 / 11 * 0.85
    assert abs(np.corrcoef(picks[:, 0], picks[:, 1])[0, 1]) < 0.05
    assert colours_for(DEFAULT_VOCAB, 3, "blue", "random")[1] == colours_for(DEFAULT_VOCAB, 3, "random", "random")[1]


def test_a_seed_outside_the_range_is_refused() -> None:
    with pytest.raises(UserError, match="seed must be a whole number from 0 to"):
        noise_for_seeds([MAX_SEED + 1], 100)
    with pytest.raises(UserError, match="seed must be a whole number"):
        noise_for_seeds([-1], 100)

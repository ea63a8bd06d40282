"""Metrics on cases with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from acgan.data.vocab import DEFAULT_VOCAB
from acgan.judge.metrics import (
    balanced_labels,
    colour_balanced,
    confusion_matrix,
    diversity,
    diversity_ratio,
    frechet_distance,
    mean_pairwise_distance,
    tag_accuracy,
)


def test_frechet_distance_of_two_gaussians_matches_the_formula() -> None:
    rng = np.random.default_rng(0)
    mu_a, mu_b = np.array([0.0, 1.0, -2.0]), np.array([1.0, 1.0, 0.0])
    sd_a, sd_b = np.array([1.0, 2.0, 0.5]), np.array([2.0, 1.0, 0.5])
    a = mu_a + sd_a * rng.standard_normal((200_000, 3))
    b = mu_b + sd_b * rng.standard_normal((200_000, 3))
    # For diagonal covariances: |mu_a - mu_b|^2 + sum (sd_a - sd_b)^2 = 5 + 2 = 7.
    assert frechet_distance(a, b) == pytest.approx(7.0, rel=0.02)


def test_frechet_distance_with_correlated_covariances() -> None:
    rng = np.random.default_rng(1)
    cov_a = np.array([[2.0, 0.8], [0.8, 1.0]])
    cov_b = np.array([[1.0, -0.3], [-0.3, 0.5]])
    a = rng.multivariate_normal([0, 0], cov_a, 300_000)
    b = rng.multivariate_normal([0, 0], cov_b, 300_000)
    # tr(A + B - 2 (A B)^(1/2)), computed from the eigenvalues of A B (real and positive).
    expected = np.trace(cov_a + cov_b) - 2 * np.sqrt(np.linalg.eigvals(cov_a @ cov_b).real).sum()
    assert frechet_distance(a, b) == pytest.approx(expected, rel=0.03)


def test_frechet_distance_of_a_set_with_itself_is_zero_and_it_grows_with_a_shift() -> None:
    x = np.random.default_rng(2).standard_normal((500, 16))
    assert abs(frechet_distance(x, x)) < 1e-8
    assert frechet_distance(x, x + 1.0) == pytest.approx(16.0, rel=1e-6)
    assert abs(frechet_distance(x[:2], x[:2])) < 1e-5  # two samples a side are enough (a covariance of rank 1)
    with pytest.raises(ValueError, match=r"^the Frechet distance needs at least two samples in each set$"):
        frechet_distance(x[:1], x)
    with pytest.raises(ValueError, match=r"^the Frechet distance needs at least two samples in each set$"):
        frechet_distance(x, x[:1])


def test_frechet_distance_of_fewer_samples_than_dimensions_is_finite() -> None:
    """Three samples in six dimensions: a covariance of rank 2, whose zero eigenvalues come out as tiny negative
    numbers; they are taken as 0, not passed to a square root."""
    x = np.random.default_rng(5).standard_normal((3, 6))
    assert abs(frechet_distance(x, x)) < 1e-6


def test_tag_accuracy_and_confusion() -> None:
    hair, eyes = balanced_labels(12, 11, per_pair=2)
    assert len(hair) == 264 and np.bincount(hair).tolist() == [22] * 12 and np.bincount(eyes).tolist() == [24] * 11
    hair_pred = hair.copy()
    hair_pred[hair == 3] = 4  # every gray read as green
    result = tag_accuracy(hair_pred, eyes, hair, eyes, DEFAULT_VOCAB)
    assert result["hair"] == pytest.approx(11 / 12) and result["eyes"] == 1.0
    assert result["hair_per_colour"]["gray"] == 0.0 and result["hair_per_colour"]["green"] == 1.0
    matrix = confusion_matrix(hair, hair_pred, 12)
    assert matrix[3, 4] == 22 and matrix[3, 3] == 0 and matrix.sum() == 264
    assert confusion_matrix(np.array([0, 0]), np.array([1, 0]), 3).tolist() == [[1, 1, 0], [0, 0, 0], [0, 0, 0]]


def test_tag_accuracy_counts_both_only_when_both_are_read_and_lists_only_the_colours_asked_for() -> None:
    hair, eyes = np.array([0, 0, 1, 1]), np.array([2, 2, 2, 3])
    result = tag_accuracy(np.array([0, 1, 1, 1]), np.array([2, 2, 0, 0]), hair, eyes, DEFAULT_VOCAB)
    assert result == {"hair": 0.75, "eyes": 0.5, "both": 0.25,
                      "hair_per_colour": {"orange": 0.5, "white": 1.0},
                      "eyes_per_colour": {"orange": 2 / 3, "pink": 0.0}}


def test_diversity_sees_collapse() -> None:
    rng = np.random.default_rng(3)
    hair, eyes = balanced_labels(3, 2, per_pair=10)
    varied = rng.standard_normal((len(hair), 8))
    collapsed = np.repeat(rng.standard_normal((6, 8)), 10, axis=0) + 1e-3 * rng.standard_normal((len(hair), 8))
    real = diversity(varied, hair, eyes)
    assert diversity_ratio(diversity(0.5 * varied + 3.0, hair, eyes), real) == pytest.approx(0.5)  # half the spread
    assert diversity_ratio(diversity(collapsed, hair, eyes), real) < 0.01
    assert mean_pairwise_distance(np.array([[0.0, 0.0], [3.0, 4.0]])) == pytest.approx(5.0)


def test_diversity_is_the_mean_distance_within_each_pair_and_the_ratio_the_mean_over_shared_pairs() -> None:
    features = np.array([[0.0, 0.0], [3.0, 4.0], [0.0, 0.0], [1.0, 0.0], [1.0, 0.0], [5.0, 5.0]])
    hair, eyes = np.array([0, 0, 1, 1, 1, 2]), np.array([0, 0, 0, 0, 0, 1])
    # Pair (1, 0): distances 1, 1 and 0 over its three faces; pair (2, 1) has one face, so no spread.
    assert diversity(features, hair, eyes) == pytest.approx({(0, 0): 5.0, (1, 0): 2 / 3})
    assert diversity(features, hair, eyes, min_count=3) == pytest.approx({(1, 0): 2 / 3})
    generated = {(0, 0): 1.0, (0, 1): 6.0, (1, 1): 9.0}
    real = {(0, 0): 2.0, (0, 1): 3.0, (1, 1): 0.0, (2, 2): 5.0}  # (1, 1) has no real spread, (2, 2) no faces drawn
    assert diversity_ratio(generated, real) == pytest.approx((0.5 + 2.0) / 2)
    assert diversity_ratio({(0, 0): 0.25}, {(0, 0): 0.5}) == 0.5  # a spread below 1 counts like any other
    with pytest.raises(ValueError, match=r"^no hair x eye pair has enough real and generated faces to compare "
                                         r"diversity$"):
        diversity_ratio({(0, 0): 1.0}, {(1, 1): 1.0})
    with pytest.raises(ValueError, match="zip"):  # labels that do not line up are a bug, not a pair fewer
        diversity(features, hair[:-1], eyes)


def test_distances_far_from_the_origin_keep_their_precision() -> None:
    """float32 features at 10,000 one apart: their squared norms differ by less than float32 resolves, so the
    distances are computed in float64."""
    features = np.array([[10_000.0, 0.0], [10_000.0, 1.0]], dtype=np.float32)
    assert diversity(features, np.array([0, 0]), np.array([0, 0])) == {(0, 0): 1.0}


def test_colour_balanced_accuracy_counts_every_colour_once() -> None:
    # A tagger that reads the common colour well and the rare one badly: 0.9 and 0.1 by colour.
    assert colour_balanced({"blue": 0.9, "orange": 0.1}) == 0.5
    assert colour_balanced({}) is None

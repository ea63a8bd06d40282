"""Tests for the procedural anime-face dataset and the colour swatches it paints with."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from PIL import Image

from acgan.data.palette import SWATCHES, swatch
from acgan.data.procedural import procedural_dataset, render_faces
from acgan.data.vocab import DEFAULT_VOCAB, Vocabulary

HAIR = DEFAULT_VOCAB.hair
EYES = DEFAULT_VOCAB.eyes


def _nearest(colour: np.ndarray, names: tuple[str, ...]) -> str:
    swatches = np.array([swatch(name) for name in names], dtype=float)
    return names[int(((swatches - colour) ** 2).sum(axis=1).argmin())]


def _downsample(images: np.ndarray, size: int) -> np.ndarray:
    """Antialiased downsampling, as the training pipeline does before feeding 32 px images to the model."""
    smaller = [Image.fromarray(image).resize((size, size), Image.Resampling.BILINEAR) for image in images]
    return np.stack([np.asarray(image) for image in smaller]).astype(float)


# ------------------------------------------------------------------------------------------------ palette


def test_every_default_colour_has_a_hand_picked_swatch() -> None:
    for name in set(HAIR) | set(EYES):
        assert name in SWATCHES
        assert swatch(name) == SWATCHES[name]
        assert swatch(f"  {name.upper()} ") == SWATCHES[name]


def test_default_swatches_are_clearly_distinct() -> None:
    for a, b in itertools.combinations(sorted(set(HAIR) | set(EYES)), 2):
        distance = np.linalg.norm(np.subtract(swatch(a), swatch(b)))
        assert distance > 45, f"{a} and {b} swatches are too close ({distance:.0f})"


def test_unknown_colours_get_a_stable_valid_swatch() -> None:
    teal = swatch("teal")
    assert teal == swatch("teal") == swatch("Teal")
    assert len(teal) == 3 and all(isinstance(c, int) and 0 <= c <= 255 for c in teal)
    assert swatch("teal") != swatch("silver")


# ----------------------------------------------------------------------------------------------- rendering


@pytest.mark.parametrize("size", [32, 64, 128])
def test_shape_and_dtype(size: int) -> None:
    images = render_faces(["red", "blue", "blonde"], ["green", "yellow", "gray"], size=size)
    assert images.shape == (3, size, size, 3)
    assert images.dtype == np.uint8
    assert images.std() > 20  # a drawing, not a blank canvas


def test_rendering_is_deterministic_and_seeded() -> None:
    hair, eyes = ["pink", "black", "aqua", "brown"], ["blue", "red", "purple", "orange"]
    first = render_faces(hair, eyes, seed=3)
    assert np.array_equal(first, render_faces(hair, eyes, seed=3))
    other = render_faces(hair, eyes, seed=4)
    for a, b in zip(first, other, strict=True):
        assert not np.array_equal(a, b)


def test_face_depends_only_on_its_own_index_and_colours() -> None:
    hair = list(HAIR[:8])
    eyes = list(EYES[:8])
    full = render_faces(hair, eyes, seed=7)
    assert np.array_equal(render_faces(hair[:3], eyes[:3], seed=7), full[:3])
    # Changing every other face's colours leaves face 5 untouched.
    changed_hair = ["white"] * 8
    changed_eyes = ["black"] * 8
    changed_hair[5], changed_eyes[5] = hair[5], eyes[5]
    assert np.array_equal(render_faces(changed_hair, changed_eyes, seed=7)[5], full[5])


def test_mismatched_lengths_are_rejected() -> None:
    with pytest.raises(ValueError, match="same length"):
        render_faces(["red", "blue"], ["green"])


def test_empty_batch() -> None:
    assert render_faces([], [], size=32).shape == (0, 32, 32, 3)


# -------------------------------------------------------------------------------------------- colour cues


def test_requested_hair_colour_dominates_the_top_of_the_head() -> None:
    n = 2 * len(HAIR) * len(EYES)
    images, hair_labels, _ = procedural_dataset(n, size=64, seed=11)
    # Rows 14-24 %, columns 38-62 % always lie on the crown, whatever the style and jitter.
    crown = images[:, 9:15, 24:40].reshape(n, -1, 3).astype(float)
    medians = np.median(crown, axis=1)
    hits = [_nearest(m, HAIR) == HAIR[label] for m, label in zip(medians, hair_labels, strict=True)]
    assert np.mean(hits) >= 0.95


def test_only_the_eyes_change_with_the_eye_colour() -> None:
    hair = [HAIR[i % len(HAIR)] for i in range(24)]
    a = render_faces(hair, ["red"] * 24, seed=2)
    b = render_faces(hair, ["blue"] * 24, seed=2)
    rows = np.nonzero((a != b).any(axis=(0, 2, 3)))[0]
    # Eyes sit in the middle band of the image, never on the hair at the top or the clothes at the bottom.
    assert rows.min() > 0.3 * 64 and rows.max() < 0.8 * 64
    assert np.array_equal(a[:, : int(0.3 * 64)], b[:, : int(0.3 * 64)])


def test_requested_eye_colour_shows_in_the_iris() -> None:
    n = 2 * len(EYES)
    hair = [HAIR[(5 * i) % len(HAIR)] for i in range(n)]
    eyes = [EYES[i % len(EYES)] for i in range(n)]
    contrast = [EYES[(i + 5) % len(EYES)] for i in range(n)]
    a = render_faces(hair, eyes, seed=5).astype(float)
    b = render_faces(hair, contrast, seed=5).astype(float)
    hits = []
    for i in range(n):
        change = np.abs(a[i] - b[i]).sum(axis=-1)
        assert (change > 0).sum() > 20, f"face {i}: changing the eye colour barely changed the image"
        # The most-changed quarter of the pixels that change is the body of the iris.
        core = change >= np.quantile(change[change > 0], 0.75)
        hits.append(_nearest(np.median(a[i][core], axis=0), EYES) == eyes[i])
    assert np.mean(hits) >= 0.95


def test_eye_colours_stay_distinguishable_at_32_pixels() -> None:
    n = 16
    hair = [HAIR[(7 * i) % len(HAIR)] for i in range(n)]
    # variants[k, i] is face i drawn with eye colour EYES[(i + k) % 11]; nothing else differs.
    variants = np.stack(
        [
            _downsample(render_faces(hair, [EYES[(i + k) % len(EYES)] for i in range(n)], seed=9), 32)
            for k in range(len(EYES))
        ]
    )
    swatches = np.array([swatch(name) for name in EYES], dtype=float)
    hits = []
    for i in range(n):
        faces = variants[:, i]
        eye_region = np.ptp(faces, axis=0).sum(axis=-1) > 60
        medians = np.median(faces[:, eye_region], axis=1)
        for k in range(len(EYES)):
            # Of the eleven versions of this face, the one drawn with colour c must look most like c.
            target = swatches[(i + k) % len(EYES)]
            hits.append(((medians - target) ** 2).sum(axis=1).argmin() == k)
    assert np.mean(hits) >= 0.9


# ---------------------------------------------------------------------------------------------- dataset


@pytest.mark.parametrize("cycles", [1, 3])
def test_labels_are_balanced_over_all_pairs(cycles: int) -> None:
    pairs = len(HAIR) * len(EYES)
    images, hair_labels, eye_labels = procedural_dataset(pairs * cycles, size=32, seed=1)
    assert images.shape == (pairs * cycles, 32, 32, 3)
    assert hair_labels.dtype == np.int64 and eye_labels.dtype == np.int64
    counts = np.zeros((len(HAIR), len(EYES)), dtype=int)
    np.add.at(counts, (hair_labels, eye_labels), 1)
    assert (counts == cycles).all()


def test_any_length_is_near_balanced_and_shuffled() -> None:
    _, hair_labels, eye_labels = procedural_dataset(200, size=32, seed=2)
    counts = np.zeros((len(HAIR), len(EYES)), dtype=int)
    np.add.at(counts, (hair_labels, eye_labels), 1)
    assert counts.max() - counts.min() <= 1
    # Shuffled: not simply walking the pairs in vocabulary order.
    assert not np.array_equal(hair_labels[:12], np.sort(hair_labels[:12]))


def test_dataset_images_match_their_labels() -> None:
    images, hair_labels, eye_labels = procedural_dataset(20, size=32, seed=4)
    again = render_faces([HAIR[h] for h in hair_labels], [EYES[e] for e in eye_labels], size=32, seed=4)
    assert np.array_equal(images, again)
    assert np.array_equal(procedural_dataset(20, size=32, seed=4)[0], images)


def test_any_vocabulary_works() -> None:
    vocab = Vocabulary(hair=("teal", "silver", "red"), eyes=("amber", "blue"))
    images, hair_labels, eye_labels = procedural_dataset(12, size=32, vocab=vocab)
    assert images.shape == (12, 32, 32, 3)
    assert set(hair_labels.tolist()) == {0, 1, 2} and set(eye_labels.tolist()) == {0, 1}

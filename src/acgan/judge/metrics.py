"""Metrics: small pure functions of arrays (predictions, labels, features) that return numbers.

They never import the trainer or touch a run folder, so any snapshot can be re-scored later and
each can be tested on a case with a known answer.

- tag accuracy: how often a tagger reads back the requested hair and eye colour;
- Frechet distance between two sets of features (Gaussian fit; 0 for identical statistics);
- diversity: mean pairwise feature distance within each hair x eye pair, to catch collapse;
- colour spill: how much of what an eye colour changes lies outside the eyes (found from real faces).
"""

from __future__ import annotations

import numpy as np

from acgan.data.vocab import Vocabulary


def balanced_labels(n_hair: int, n_eyes: int, per_pair: int) -> tuple[np.ndarray, np.ndarray]:
    """Every hair x eye pair `per_pair` times: hair-major order, int64 arrays."""
    hair = np.repeat(np.arange(n_hair), n_eyes * per_pair)
    eyes = np.tile(np.repeat(np.arange(n_eyes), per_pair), n_hair)
    return hair.astype(np.int64), eyes.astype(np.int64)


def tag_accuracy(hair_pred: np.ndarray, eye_pred: np.ndarray, hair: np.ndarray, eyes: np.ndarray,
                 vocab: Vocabulary) -> dict:
    """Share of faces whose requested hair / eyes / both were read back, overall and per colour."""
    hair_ok, eye_ok = hair_pred == hair, eye_pred == eyes
    return {
        "hair": float(hair_ok.mean()),
        "eyes": float(eye_ok.mean()),
        "both": float((hair_ok & eye_ok).mean()),
        "hair_per_colour": {name: float(hair_ok[hair == i].mean()) for i, name in enumerate(vocab.hair)
                            if (hair == i).any()},
        "eyes_per_colour": {name: float(eye_ok[eyes == i].mean()) for i, name in enumerate(vocab.eyes)
                            if (eyes == i).any()},
    }


def colour_balanced(per_colour: dict[str, float]) -> float | None:
    """Mean accuracy over colours, each counted once: what a tagger scores on faces asked for every colour
    equally often (as generated faces are), from its per-colour accuracy on faces in their natural mix."""
    return float(np.mean(list(per_colour.values()))) if per_colour else None


def confusion_matrix(truth: np.ndarray, pred: np.ndarray, n: int) -> np.ndarray:
    """counts[i, j]: faces asked (or labelled) i and read as j."""
    return np.bincount(truth * n + pred, minlength=n * n).reshape(n, n)


def gaussian_stats(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    features = np.asarray(features, dtype=np.float64)
    return features.mean(axis=0), np.cov(features, rowvar=False)


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Frechet distance between Gaussians fitted to feature sets a and b (rows are samples).

    |mu_a - mu_b|^2 + tr(S_a + S_b - 2 (S_a S_b)^(1/2)), with the trace of the matrix square root
    taken from the eigenvalues of S_a^(1/2) S_b S_a^(1/2), which is symmetric, so no complex
    arithmetic or SciPy is needed.
    """
    if len(a) < 2 or len(b) < 2:
        raise ValueError("the Frechet distance needs at least two samples in each set")
    return frechet_from_stats(*gaussian_stats(a), *gaussian_stats(b))


def frechet_from_stats(mu_a: np.ndarray, cov_a: np.ndarray, mu_b: np.ndarray, cov_b: np.ndarray) -> float:
    """frechet_distance from the two Gaussians' means and covariances (a stored set of real faces keeps only these)."""
    mu_a, cov_a, mu_b, cov_b = (np.asarray(x, dtype=np.float64) for x in (mu_a, cov_a, mu_b, cov_b))
    root_a = psd_sqrt(cov_a)
    cross = np.linalg.eigvalsh(root_a @ cov_b @ root_a).clip(min=0)
    return float(((mu_a - mu_b) ** 2).sum() + np.trace(cov_a) + np.trace(cov_b) - 2 * np.sqrt(cross).sum())


def psd_sqrt(matrix: np.ndarray) -> np.ndarray:
    values, vectors = np.linalg.eigh(matrix)
    return (vectors * np.sqrt(values.clip(min=0))) @ vectors.T


def mean_pairwise_distance(features: np.ndarray) -> float:
    """Mean Euclidean distance over all pairs of rows."""
    squared = (features ** 2).sum(1)
    distances = np.sqrt((squared[:, None] + squared[None, :] - 2 * features @ features.T).clip(min=0))
    n = len(features)
    return float(distances.sum() / (n * (n - 1)))


def diversity(features: np.ndarray, hair: np.ndarray, eyes: np.ndarray, min_count: int = 2) -> dict[tuple, float]:
    """{(hair, eyes): mean pairwise feature distance} for every pair with at least `min_count` faces."""
    result = {}
    for h, e in sorted(set(zip(hair.tolist(), eyes.tolist(), strict=True))):
        members = features[(hair == h) & (eyes == e)]
        if len(members) >= min_count:
            result[(h, e)] = mean_pairwise_distance(np.asarray(members, dtype=np.float64))
    return result


def diversity_ratio(generated: dict[tuple, float], real: dict[tuple, float]) -> float:
    """Mean over shared pairs of generated / real within-pair spread: ~1 healthy, ~0 collapse."""
    shared = [pair for pair in generated if pair in real and real[pair] > 0]
    if not shared:
        raise ValueError("no hair x eye pair has enough real and generated faces to compare diversity")
    return float(np.mean([generated[pair] / real[pair] for pair in shared]))


def eye_region(images: np.ndarray, hair: np.ndarray, eyes: np.ndarray, share: float = 0.05) -> np.ndarray:
    """Where real faces show their eye colour: (H, W) bool, the `share` of pixels whose colour depends most on the
    eye label once the hair label's part is taken out.

    Per pixel, the partial eta^2 of the eye label: with each face's hair-colour mean removed, the share of the
    remaining variance that lies between eye colours. On face crops found by a face detector this is two clean
    blobs, the irises (hair colour and eye colour go together often enough that without removing hair's part the
    hair lights up too). `images` is uint8 (N, H, W, C) at the generator's resolution."""
    pixels = images.shape[1:]
    n_hair, n_eyes = int(hair.max()) + 1, int(eyes.max()) + 1
    both = np.bincount(hair * n_eyes + eyes, minlength=n_hair * n_eyes).reshape(n_hair, n_eyes)
    hair_mean = np.zeros((n_hair, *pixels))
    squares = np.zeros(pixels)
    for h in range(n_hair):
        faces = images[hair == h].astype(np.float64)
        if len(faces):
            hair_mean[h] = faces.mean(0)
            squares += (faces ** 2).sum(0)
    within_hair = squares - np.einsum("h,h...->...", both.sum(1), hair_mean ** 2)
    between_eyes = np.zeros(pixels)
    for e in range(n_eyes):
        count = both[:, e].sum()
        if count:
            residual = (images[eyes == e].sum(0, dtype=np.float64) - np.einsum("h,h...->...", both[:, e], hair_mean))
            between_eyes += residual ** 2 / count
    signal = between_eyes.sum(-1) / np.maximum(within_hair.sum(-1), 1e-12)
    return signal >= np.quantile(signal, 1 - share)


def colour_spill(faces: np.ndarray, region: np.ndarray) -> dict[str, float]:
    """How much of the change an eye colour makes lands outside the eyes.

    `faces` (groups, colours, C, H, W): each group is one noise and one hair colour drawn in every eye colour.
    A pixel's change is its mean distance from the group's mean over the eye colours. `outside_share`: the
    outside pixels' part of all change (a whole-face tint gives about 1 - eye area; only the eyes changing,
    0); `outside_vs_inside`: mean change of an outside pixel over that of an eye pixel (a tint gives 1)."""
    change = np.abs(faces - faces.mean(axis=1, keepdims=True)).mean(axis=(0, 1, 2))
    outside = ~region
    return {"outside_share": float(change[outside].sum() / change.sum()),
            "outside_vs_inside": float(change[outside].mean() / change[region].mean()),
            "eye_pixels": float(region.mean())}

"""Evaluating a generator against real faces with an independent tagger: does it obey, look real, vary?

    tag accuracy   faces generated for every hair x eye pair (balanced, fixed seeds), read back by the
                   tagger; the tagger's accuracy on held-out real faces is the ceiling, both as measured
                   (the data's own mix of colours) and colour-balanced (every colour counted once, as
                   the generated faces are asked for them: rare colours the tagger misses weigh more)
    Frechet dist.  tagger features of generated faces vs real faces, where the generated faces are
                   drawn for exactly the real faces' labels (so an uneven label distribution is not
                   counted as unrealism); two disjoint real sets of the same size give the floor
    diversity      mean pairwise feature distance within each hair x eye pair, generated / real
    colour spill   one noise and one hair colour drawn in every eye colour: the share of what the eye colour
                   changes that lies outside the eyes (the eyes found from the real faces, metrics.eye_region)

Real faces go through the same path as generated ones: loaded at the run's resolution, then resized
to the tagger's. Everything here takes a generator, a tagger and data and returns a dict; writing
files is report.py's job.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from acgan.data.builtin import builtin_data
from acgan.data.dataset import load_folder
from acgan.data.face_data import FaceData, to_unit_range
from acgan.data.vocab import Vocabulary
from acgan.errors import UserError
from acgan.judge.metrics import (
    balanced_labels,
    colour_balanced,
    colour_spill,
    confusion_matrix,
    diversity,
    diversity_ratio,
    eye_region,
    frechet_distance,
    frechet_from_stats,
    gaussian_stats,
    tag_accuracy,
)
from acgan.judge.tagger import Tagger
from acgan.run.checkpoint import Record
from acgan.sample.generator import FaceGenerator

# Seeds of the Frechet and spill sets start here, so their faces never repeat the balanced set's.
FRECHET_SEED_OFFSET = 10_000_000
SPILL_SEED_OFFSET = 20_000_000


class EvaluationError(UserError):
    """A tagger, run or dataset that cannot be evaluated together."""


@dataclass(frozen=True)
class EvalSettings:
    per_pair: int = 8  # generated faces per hair x eye pair for tag accuracy and diversity
    frechet_faces: int = 1000  # real faces (and as many generated) per Frechet set
    seed: int = 0


def check_compatible(model: FaceGenerator, tagger: Tagger, real: Vocabulary, real_source: str) -> None:
    if tagger.vocab != model.vocab:
        raise EvaluationError(
            f"the tagger knows other colours than the run: tagger hair {list(tagger.vocab.hair)}, eyes "
            f"{list(tagger.vocab.eyes)}; run hair {list(model.vocab.hair)}, eyes {list(model.vocab.eyes)}; "
            "train a tagger on data with the run's vocabulary")
    if real != model.vocab:
        raise EvaluationError(f"the real data ({real_source}) has other colours than the run")


def images_of(data: FaceData, index: np.ndarray) -> torch.Tensor:
    return to_unit_range(torch.from_numpy(data.images[index]))


@dataclass
class RealReference:
    """What the evaluation needs from the real faces, computed once per (tagger, data, settings) by real_reference,
    or read from the copy shipped beside the shipped tagger (reference.py): no faces are needed once it is made."""

    mean: np.ndarray  # (F,) tagger-feature mean of real set A
    covariance: np.ndarray  # (F, F) their covariance: set A's side of every Frechet distance
    hair: np.ndarray  # labels of set A: the generated Frechet set is drawn for exactly these
    eyes: np.ndarray
    floor: float  # Frechet distance between set A and a disjoint real set B of the same size
    spread: dict[tuple[int, int], float]  # within-pair feature spread of the real faces
    faces: int
    eye_region: np.ndarray  # (H, W) bool at the generator's resolution: where real faces show their eye colour
    vocab: Vocabulary
    source: str  # the real faces it was measured on


def real_reference(tagger: Tagger, data: FaceData, settings: EvalSettings) -> RealReference:
    if len(data) < 4:
        raise EvaluationError(f"{data.source}: {len(data)} real faces are too few to evaluate against")
    if np.bincount(data.hair * len(data.vocab.eyes) + data.eyes).max() < 2:
        raise EvaluationError(f"{data.source}: no hair x eye pair has two real faces, so variety within a pair "
                              "cannot be compared; give more faces")
    set_a, set_b = disjoint_subsets(len(data), settings.frechet_faces, settings.seed)
    _, _, features_a = tagger.run(images_of(data, set_a))
    _, _, features_b = tagger.run(images_of(data, set_b))
    _, _, features = tagger.run(images_of(data, np.arange(len(data))))
    mean, covariance = gaussian_stats(features_a)
    return RealReference(mean=mean, covariance=covariance, hair=data.hair[set_a], eyes=data.eyes[set_a],
                         floor=frechet_distance(features_b, features_a),
                         spread=diversity(features, data.hair, data.eyes), faces=len(data),
                         eye_region=eye_region(data.images, data.hair, data.eyes), vocab=data.vocab,
                         source=data.source)


def evaluate(model: FaceGenerator, tagger: Tagger, data: FaceData | None, settings: EvalSettings = EvalSettings(),
             reference: RealReference | None = None) -> dict:
    """All numbers of the evaluation as a JSON-ready dict (see the module docstring), against the real faces `data`
    or, when given, what was measured on them before (`reference`: then `data` may be None)."""
    if reference is None:
        if data is None:
            raise ValueError("evaluate needs the real faces or a reference measured on them")
        check_compatible(model, tagger, data.vocab, data.source)
        reference = real_reference(tagger, data, settings)
    check_compatible(model, tagger, reference.vocab, reference.source)
    vocab = model.vocab
    hair, eyes = balanced_labels(len(vocab.hair), len(vocab.eyes), settings.per_pair)
    seeds = range(settings.seed, settings.seed + len(hair))
    generated = model.draw(seeds, torch.from_numpy(hair), torch.from_numpy(eyes))
    hair_pred, eye_pred, features = tagger.run(generated)

    fd_generated = frechet_faces(model, reference.hair, reference.eyes, settings)
    distance = frechet_from_stats(*gaussian_stats(tagger.run(fd_generated)[2]), reference.mean, reference.covariance)
    spread = diversity(features, hair, eyes)
    shared = [pair for pair in spread if pair in reference.spread]
    return {
        "step": model.step,
        "vocab": vocab.to_json(),
        "settings": {"per_pair": settings.per_pair, "seed": settings.seed, "generated_faces": len(hair),
                     "real_faces": reference.faces, "frechet_faces": len(reference.hair),
                     "resolution": model.resolution, "tagger_resolution": tagger.resolution,
                     "truncation": model.truncation},
        "real_faces": reference.source,
        "tagger": {"held_out": tagger.held_out,
                   "colour_balanced": {a: colour_balanced(tagger.held_out.get(f"{a}_per_colour", {}))
                                       for a in ("hair", "eyes")}},
        "tag_accuracy": tag_accuracy(hair_pred, eye_pred, hair, eyes, vocab),
        "confusion": {"hair": confusion_matrix(hair, hair_pred, len(vocab.hair)).tolist(),
                      "eyes": confusion_matrix(eyes, eye_pred, len(vocab.eyes)).tolist()},
        "frechet": {"generated_vs_real": distance, "real_floor": reference.floor,
                    "ratio": distance / reference.floor if reference.floor > 0 else math.inf},
        "diversity": {"generated": float(np.mean([spread[p] for p in shared])),
                      "real": float(np.mean([reference.spread[p] for p in shared])),
                      "ratio": diversity_ratio(spread, reference.spread), "pairs": len(shared)},
        "spill": spill(model, reference.eye_region, settings),
    }


def spill(model: FaceGenerator, region: np.ndarray, settings: EvalSettings) -> dict[str, float]:
    """colour_spill over `per_pair` noises x every hair colour, each drawn in every eye colour."""
    n_hair, n_eyes, noises = len(model.vocab.hair), len(model.vocab.eyes), settings.per_pair
    start = settings.seed + SPILL_SEED_OFFSET
    seeds = [start + k for k in range(noises) for _ in range(n_hair * n_eyes)]
    hair = torch.arange(n_hair).repeat_interleave(n_eyes).repeat(noises)
    eyes = torch.arange(n_eyes).repeat(n_hair * noises)
    faces = model.draw(seeds, hair, eyes).numpy()
    return {**colour_spill(faces.reshape(noises * n_hair, n_eyes, *faces.shape[1:]), region), "noises": noises}


def frechet_faces(model: FaceGenerator, hair: np.ndarray, eyes: np.ndarray, settings: EvalSettings) -> torch.Tensor:
    """The generated side of a Frechet distance: one face per real face's labels, from seeds of their own."""
    start = settings.seed + FRECHET_SEED_OFFSET
    return model.draw(range(start, start + len(hair)), torch.from_numpy(hair), torch.from_numpy(eyes))


def disjoint_subsets(n: int, size: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Two disjoint random index sets of equal size (at most half of n each)."""
    size = min(size, n // 2)
    order = np.random.default_rng(seed).permutation(n)
    return np.sort(order[:size]), np.sort(order[size:2 * size])


# The bars a model must meet to be called good: the shipping bars of docs/MODEL_CARD.md. Colours read back at least as
# often as the tagger reads real faces' (hair), or 90% of that (eyes, which are a few pixels); faces at most three
# times as far from real ones as two sets of real faces are from each other; at least three quarters of real faces'
# variety within a colour pair.
HAIR_OF_CEILING, EYES_OF_CEILING = 1.0, 0.9
MOST_FRECHET_RATIO = 3.0
LEAST_DIVERSITY = 0.75


def verdict(result: dict) -> str:
    """One line: whether the evaluated model meets every bar, with the numbers that decide it."""
    ceilings = result["tagger"]["colour_balanced"]
    bars = [(f"{attribute} read back", result["tag_accuracy"][attribute], share * ceilings[attribute], True, "{:.1%}")
            for attribute, share in (("hair", HAIR_OF_CEILING), ("eyes", EYES_OF_CEILING))
            if ceilings.get(attribute) is not None]
    bars += [("Fréchet distance / real floor", result["frechet"]["ratio"], MOST_FRECHET_RATIO, False, "{:.1f}×"),
             ("variety / real faces'", result["diversity"]["ratio"], LEAST_DIVERSITY, True, "{:.2f}")]
    met: list[str] = []
    missed: list[str] = []
    for name, value, bar, higher, form in bars:
        ok = value >= bar if higher else value <= bar
        sign = ("≥" if ok else "<") if higher else ("≤" if ok else ">")
        (met if ok else missed).append(f"{name} {form.format(value)} {sign} {form.format(bar)}")
    if missed:
        return f"not good enough yet: {'; '.join(missed)} (met: {'; '.join(met) or 'none'})"
    return f"good: every bar met ({'; '.join(met)})"


def selection_score(result: dict) -> float:
    """One number to keep the 'best' checkpoint by: tag accuracy, less a little for distance to real.

    Mean of hair and eye accuracy minus 0.05 per doubling of the Frechet distance over the real floor:
    a checkpoint that reads back one point better but lies twice as far from the real faces loses.
    """
    accuracy = (result["tag_accuracy"]["hair"] + result["tag_accuracy"]["eyes"]) / 2
    ratio = result["frechet"]["ratio"]
    return accuracy - 0.05 * math.log2(max(ratio, 1.0))


def inception_fid(model: FaceGenerator, data: FaceData | None, settings: EvalSettings) -> tuple[float | None, str]:
    """Inception FID through torch-fidelity when it, its weights and the real faces are on this machine; else a note
    why not.

    Optional by design: the Inception weights are a download, and the tagger-feature distance above
    is always available. Any failure here becomes a one-line note, never a crash.
    """
    if data is None:
        return None, "Inception FID skipped: it needs the real faces themselves (give --data DIR)"
    try:
        import torch_fidelity
    except Exception as err:  # a missing package, or one whose own imports fail (torchvision)
        return None, ("Inception FID skipped: install the fid extra (pip install 'acgan[fid]') on a machine that "
                      f"can load its Inception weights ({type(err).__name__}: {str(err).splitlines()[0][:120]})")
    set_a, _ = disjoint_subsets(len(data), settings.frechet_faces, settings.seed)
    generated = frechet_faces(model, data.hair[set_a], data.eyes[set_a], settings)
    try:
        metrics = torch_fidelity.calculate_metrics(
            input1=UInt8Images(generated), input2=UInt8Images(images_of(data, set_a)), fid=True, verbose=False)
    except Exception as err:  # most often: the weights cannot be downloaded on an offline machine
        return None, f"Inception FID skipped: torch-fidelity could not run ({str(err).splitlines()[0][:160]})"
    return float(metrics["frechet_inception_distance"]), f"Inception FID on {len(set_a)} faces per side"


class UInt8Images(torch.utils.data.Dataset):
    """Float images in [-1, 1] served as uint8 CHW tensors, the input torch-fidelity expects."""

    def __init__(self, images: torch.Tensor) -> None:
        self.images = ((images.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> torch.Tensor:
        return self.images[index]


class BestKeeper:
    """The light evaluation during training: its numbers for the log, and whether this is the best yet."""

    def __init__(self, tagger: Tagger, data: FaceData, best: float = -math.inf) -> None:
        self.tagger, self.data, self.best = tagger, data, best
        self.settings = EvalSettings(per_pair=2, frechet_faces=min(500, len(data) // 2), seed=0)
        self.reference = real_reference(tagger, data, self.settings)

    def __call__(self, model: FaceGenerator) -> tuple[dict[str, float], bool]:
        result = evaluate(model, self.tagger, self.data, self.settings, self.reference)
        score = selection_score(result)
        numbers = {"eval_hair": result["tag_accuracy"]["hair"], "eval_eyes": result["tag_accuracy"]["eyes"],
                   "eval_frechet_ratio": result["frechet"]["ratio"], "eval_diversity": result["diversity"]["ratio"],
                   "eval_spill": result["spill"]["outside_share"], "eval_score": score}
        improved = score > self.best
        self.best = max(self.best, score)
        return numbers, improved


def real_faces_for(record: Record, data: str | Path | None = None) -> FaceData:
    """Real faces to judge a checkpoint against: `data`, else the run's own dataset (for the built-in
    faces, a fresh set drawn with the next seed), at the run's resolution and in its vocabulary."""
    settings, resolution = record.settings, record.model_config().resolution
    if data is None and settings.get("data") is None:
        if "builtin_faces" not in settings:
            raise EvaluationError("this model does not say which faces it learned from; give --data DIR")
        return builtin_data(settings["builtin_faces"], resolution, seed=settings.get("seed", 0) + 1)
    folder = Path(data or settings["data"])
    if data is None and not folder.is_dir():
        raise EvaluationError(f"the faces this model learned from ({folder}) are not on this machine; give --data DIR")
    return load_folder(folder, resolution, record.vocab, skip_bad=True)

"""What `acgan generate --read-back` does to colour accuracy and variety: the same faces asked for with and without it.

    python benchmarks/read_back.py                              # the shipped model, 4 faces per colour pair
    python benchmarks/read_back.py --judge runs/second-tagger   # also judged by a tagger the filter never used

The faces are `acgan eval`'s: every hair x eye pair `--per-pair` times, from seed `--seed` on. Accuracy is read by
the shipped tagger (the one the filter asks: circular, so it shows what the filter promises, not more) and, with
`--judge`, by another tagger trained apart (another seed, another width): the honest number. Variety is the mean
within-pair feature spread over the real faces' (the shipped reference), as `acgan eval` reports it, in the shipped
tagger's features; the Frechet distance over the real floor is `acgan eval`'s too (one face per label of the
reference's 1,000 real faces, from eval's seeds), with every one of those faces filtered. Numbers only.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch

from acgan.judge.evaluate import FRECHET_SEED_OFFSET, EvalSettings, RealReference
from acgan.judge.metrics import (
    balanced_labels,
    diversity,
    diversity_ratio,
    frechet_from_stats,
    gaussian_stats,
    tag_accuracy,
)
from acgan.judge.readback import READ_BACK_TRIES, agreeing_faces
from acgan.judge.reference import load_reference
from acgan.judge.tagger import Tagger, load_tagger
from acgan.sample.contract import Face
from acgan.sample.generator import FaceGenerator, load
from acgan.sample.shipped import reference_beside, shipped_generator, shipped_tagger


def judged(model: FaceGenerator, faces: list[Face], tagger: Tagger, hair: np.ndarray, eyes: np.ndarray) -> dict:
    hair_pred, eye_pred, features = tagger.run(model.draw_faces(faces))
    return {"accuracy": tag_accuracy(hair_pred, eye_pred, hair, eyes, model.vocab), "features": features}


def row(name: str, scores: dict, real_spread: dict | None = None, hair: np.ndarray | None = None,
        eyes: np.ndarray | None = None) -> str:
    accuracy = scores["accuracy"]
    weakest = min(accuracy["eyes_per_colour"].items(), key=lambda item: item[1])
    variety = "-" if real_spread is None else \
        f"{diversity_ratio(diversity(scores['features'], hair, eyes), real_spread):.2f}"
    return (f"| {name} | {accuracy['hair']:.1%} | {accuracy['eyes']:.1%} | {accuracy['both']:.1%} | "
            f"{weakest[0]} {weakest[1]:.0%} | {variety} |")


def frechet_ratios(model: FaceGenerator, tagger: Tagger, reference: RealReference, seed: int) -> tuple[float, float]:
    """(as asked, with --read-back): the Frechet distance over the real floor of eval's Frechet faces."""
    start = seed + FRECHET_SEED_OFFSET
    asked = [Face(start + k, model.vocab.hair[h], model.vocab.eyes[e])
             for k, (h, e) in enumerate(zip(reference.hair, reference.eyes, strict=True))]
    ratios = []
    for faces in (asked, agreeing_faces(model, asked, tagger).faces):
        features = tagger.run(model.draw_faces(faces))[2]
        distance = frechet_from_stats(*gaussian_stats(features), reference.mean, reference.covariance)
        ratios.append(distance / reference.floor)
    return ratios[0], ratios[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-pair", type=int, default=4, help="faces per colour pair, at least 2 (variety)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--judge", type=Path, help="another tagger's folder, trained apart from the shipped one")
    args = parser.parse_args()
    torch.set_num_threads(1)

    model, tagger = load(), load_tagger(shipped_tagger())
    reference = load_reference(reference_beside(shipped_generator()), EvalSettings(), tagger.sha256)
    n_hair, n_eyes = len(model.vocab.hair), len(model.vocab.eyes)
    hair, eyes = balanced_labels(n_hair, n_eyes, args.per_pair)
    asked = [Face(args.seed + k, model.vocab.hair[h], model.vocab.eyes[e])
             for k, (h, e) in enumerate(zip(hair, eyes, strict=True))]
    start = time.perf_counter()
    chosen = agreeing_faces(model, asked, tagger)
    seconds = time.perf_counter() - start
    print(f"{len(asked)} faces, {args.per_pair} per pair, seeds {args.seed}..; --read-back took {seconds:.1f} s: "
          f"{chosen.summary(READ_BACK_TRIES)}\n")
    judges = [("shipped tagger (the filter's own)", tagger)]
    if args.judge is not None:
        judges.append((f"{args.judge} (apart)", load_tagger(args.judge)))
    print("| faces, judged by | hair | eyes | both | weakest eye colour | variety / real |")
    print("| --- | ---: | ---: | ---: | --- | ---: |")
    for name, judge in judges:
        for label, faces in (("as asked", asked), ("--read-back", chosen.faces)):
            spread = reference.spread if judge is tagger else None
            print(row(f"{label}, {name}", judged(model, faces, judge, hair, eyes), spread, hair, eyes))
    plain, filtered = frechet_ratios(model, tagger, reference, args.seed)
    print(f"\nFrechet distance / real floor ({len(reference.hair)} faces): as asked {plain:.2f}x, "
          f"--read-back {filtered:.2f}x")


if __name__ == "__main__":
    main()

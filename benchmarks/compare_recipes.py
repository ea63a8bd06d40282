"""Recipes side by side at equal budgets: one table, several moments along the way.

    python benchmarks/compare_recipes.py --data ../shared/data/anime-faces --tagger TAGGER \
        --minutes 12 --marks 3 6 9 12 --resolution 32 --width 32 --out runs/compare

    python benchmarks/compare_recipes.py --data ../shared/data/anime-faces --tagger TAGGER --steps 5000 \
        --marks 2500 5000 --variant "today=" --variant "adc=--class-loss adc" --out runs/ab

Each variant (a name and the `acgan train` flags it adds to the modern recipe; by default the classic and the
modern recipe) trains on the same machine one after the other (never side by side: they would slow each
other down), writing a checkpoint every few steps. With --minutes, each trains for that many minutes and a
mark is a number of minutes; with --steps, each trains that many steps and a mark is a step (equal steps
are equal time when the variants cost the same per step, and unlike minutes they do not depend on what
else the machine is doing). Each mark's checkpoint is judged with `acgan eval` and the tagger. Prints a
Markdown table (hair, eyes, both beside the tagger's own accuracy on held-out real faces; Frechet distance
beside the real floor; diversity ratio; eye-colour spill; the weakest eye colour) and writes an all-pairs
picture per variant with the same noise. Numbers only: nothing is asserted. A variant whose run folder
already holds its last checkpoint is not trained again, so an interrupted comparison resumes.
"""

from __future__ import annotations

import argparse
import json
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

from acgan.judge.metrics import colour_balanced

DEFAULT_VARIANTS = ("classic=--recipe classic", "modern=--recipe modern")


def acgan(*args: str) -> list[str]:
    return [sys.executable, "-m", "acgan", *args]


def parse_variant(text: str) -> tuple[str, list[str]]:
    name, _, flags = text.partition("=")
    return name.strip(), shlex.split(flags)


def train(name: str, flags: list[str], args: argparse.Namespace) -> tuple[Path, float]:
    """Train one variant for --steps, or for --minutes of wall time (then Ctrl-C: it stops after the step, with a
    checkpoint)."""
    run = args.out / name
    steps = args.steps or 100_000_000
    if args.steps and (run / "checkpoints" / f"step-{args.steps:08d}.json").exists():
        return run, 0.0
    if any((run / "checkpoints").glob("step-*.json")):  # an interrupted comparison: its settings are in the run
        command = acgan("train", "--resume", str(run), "--steps", str(steps))
    else:
        command = acgan("train", "--data", args.data, "--resolution", str(args.resolution), "--width",
                        str(args.width), "--steps", str(steps), "--seed", str(args.seed), "--checkpoint-every",
                        str(args.checkpoint_every), "--keep-checkpoints", "100000", "--sample-every", "100000000",
                        "--out", str(run), *flags)
    start = time.time()
    with open(args.out / f"{name}.log", "a") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        try:
            process.wait(timeout=args.minutes * 60 if args.minutes else None)
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGINT)
            process.wait()
    return run, start


def checkpoint_at(run: Path, start: float, mark: float, args: argparse.Namespace) -> tuple[str, float] | None:
    """The checkpoint of a mark: with --steps the one of that step; with --minutes the newest finished within
    `mark` minutes of the start. Its name and its age in minutes (or its step)."""
    if args.steps:
        name = f"step-{int(mark):08d}"
        return (name, mark) if (run / "checkpoints" / f"{name}.json").exists() else None
    written = sorted((p.stat().st_mtime, p.stem) for p in (run / "checkpoints").glob("step-*.json"))
    inside = [(t, name) for t, name in written if t - start <= mark * 60 + 2]  # + the final save
    if not inside:
        return None
    finished, name = inside[-1]
    return name, (finished - start) / 60


def evaluate(run: Path, name: str, args: argparse.Namespace) -> dict:
    out = args.out / "eval" / f"{run.name}-{name}"
    if not (out / "report.json").exists():
        subprocess.run(acgan("eval", str(run), "--checkpoint", name, "--tagger", args.tagger, "--out", str(out)),
                       check=True, stdout=subprocess.DEVNULL)
    return json.loads((out / "report.json").read_text())


def row(name: str, mark: float, report: dict) -> str:
    accuracy, frechet, diversity = report["tag_accuracy"], report["frechet"], report["diversity"]
    weakest = min(accuracy["eyes_per_colour"].items(), key=lambda item: item[1])
    spill = report.get("spill", {}).get("outside_share")
    return (f"| {name} | {mark:,.1f} | {report['step']:,} | {accuracy['hair']:.1%} | {accuracy['eyes']:.1%} | "
            f"{accuracy['both']:.1%} | {weakest[0]} {weakest[1]:.0%} | {frechet['generated_vs_real']:.1f} "
            f"({frechet['ratio']:.2f}x) | {diversity['ratio']:.2f} | {'-' if spill is None else f'{spill:.1%}'} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True)
    parser.add_argument("--tagger", required=True)
    budget = parser.add_mutually_exclusive_group()
    budget.add_argument("--minutes", type=float, default=0.0, help="Wall time per variant.")
    budget.add_argument("--steps", type=int, default=0, help="Steps per variant.")
    parser.add_argument("--marks", type=float, nargs="+", default=[3, 6, 9, 12])
    parser.add_argument("--resolution", type=int, default=32)
    parser.add_argument("--width", type=int, default=32)
    parser.add_argument("--checkpoint-every", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("runs/compare"))
    parser.add_argument("--variant", action="append", help="NAME=FLAGS, e.g. 'adc=--class-loss adc' (repeatable; "
                                                           "default: the classic and the modern recipe)")
    args = parser.parse_args()
    if not args.minutes and not args.steps:
        args.minutes = 12.0
    args.out.mkdir(parents=True, exist_ok=True)

    rows = []
    for name, flags in map(parse_variant, args.variant or DEFAULT_VARIANTS):
        run, start = train(name, flags, args)
        for mark in args.marks:
            found = checkpoint_at(run, start, mark, args)
            if found:
                checkpoint, when = found
                rows.append(row(name, when, evaluate(run, checkpoint, args)))
                print(rows[-1], flush=True)
        subprocess.run(acgan("generate", str(run), "--all-pairs", "--seed", "7", "-o",
                             str(args.out / f"{name}-pairs.png")), check=True)

    held_out = json.loads((Path(args.tagger) / "tagger.json").read_text())["held_out"]
    balanced = {a: colour_balanced(held_out[f"{a}_per_colour"]) for a in ("hair", "eyes")}
    print(f"\nTagger on {held_out['faces']} held-out real faces: hair {held_out['hair']:.1%}, "
          f"eyes {held_out['eyes']:.1%}, both {held_out['both']:.1%}; every colour counted once (as the "
          f"generated faces are asked): hair {balanced['hair']:.1%}, eyes {balanced['eyes']:.1%}. "
          "FD in tagger features; the real floor is in each report.\n")
    unit = "step" if args.steps else "minutes"
    print(f"| variant | {unit} | steps | hair | eyes | both | weakest eyes | FD (x floor) | diversity | spill |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()

"""Classic against modern at equal wall time: one table, several moments along the way.

    python benchmarks/compare_recipes.py --data ../shared/data/anime-faces --tagger TAGGER \
        --minutes 12 --marks 3 6 9 12 --resolution 32 --width 32 --out runs/compare

Each recipe trains for the same number of minutes on the same machine, one after the other (never
side by side: they would slow each other down), writing a checkpoint every few steps. For each mark,
the newest checkpoint written before that many minutes is judged with `acgan eval` and the tagger.
Prints a Markdown table (hair, eyes, both beside the tagger's own accuracy on held-out real faces;
Frechet distance beside the real floor; diversity ratio) and writes an all-pairs picture per recipe
with the same noise. Numbers only: nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

from acgan.judge.metrics import colour_balanced

RECIPES = ("classic", "modern")


def acgan(*args: str) -> list[str]:
    return [sys.executable, "-m", "acgan", *args]


def train_for(recipe: str, minutes: float, args: argparse.Namespace) -> tuple[Path, float]:
    """Train one recipe for `minutes` of wall time (then Ctrl-C: it stops after the step, with a checkpoint)."""
    run = args.out / recipe
    command = acgan("train", "--data", args.data, "--recipe", recipe, "--resolution", str(args.resolution),
                    "--width", str(args.width), "--steps", "100000000", "--seed", str(args.seed),
                    "--checkpoint-every", str(args.checkpoint_every), "--keep-checkpoints", "100000",
                    "--sample-every", "100000000", "--out", str(run))
    start = time.time()
    with open(args.out / f"{recipe}.log", "w") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        try:
            process.wait(timeout=minutes * 60)
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGINT)
            process.wait()
    return run, start


def checkpoint_at(run: Path, start: float, minutes: float) -> tuple[str, float] | None:
    """The newest checkpoint finished within `minutes` of the start: its name and its age in minutes."""
    written = sorted((p.stat().st_mtime, p.stem) for p in (run / "checkpoints").glob("step-*.json"))
    inside = [(t, name) for t, name in written if t - start <= minutes * 60 + 2]  # + the final save
    if not inside:
        return None
    finished, name = inside[-1]
    return name, (finished - start) / 60


def evaluate(run: Path, name: str, args: argparse.Namespace) -> dict:
    out = args.out / "eval" / f"{run.name}-{name}"
    subprocess.run(acgan("eval", str(run), "--checkpoint", name, "--tagger", args.tagger, "--out", str(out)),
                   check=True, stdout=subprocess.DEVNULL)
    return json.loads((out / "report.json").read_text())


def row(recipe: str, minutes: float, report: dict) -> str:
    accuracy, frechet, diversity = report["tag_accuracy"], report["frechet"], report["diversity"]
    return (f"| {recipe} | {minutes:.1f} | {report['step']:,} | {accuracy['hair']:.1%} | {accuracy['eyes']:.1%} | "
            f"{accuracy['both']:.1%} | {frechet['generated_vs_real']:.1f} ({frechet['ratio']:.1f}x) | "
            f"{diversity['ratio']:.2f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True)
    parser.add_argument("--tagger", required=True)
    parser.add_argument("--minutes", type=float, default=12)
    parser.add_argument("--marks", type=float, nargs="+", default=[3, 6, 9, 12])
    parser.add_argument("--resolution", type=int, default=32)
    parser.add_argument("--width", type=int, default=32)
    parser.add_argument("--checkpoint-every", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("runs/compare"))
    parser.add_argument("--recipes", nargs="+", choices=RECIPES, default=list(RECIPES))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    rows = []
    for recipe in args.recipes:
        run, start = train_for(recipe, args.minutes, args)
        for mark in args.marks:
            found = checkpoint_at(run, start, mark)
            if found:
                name, age = found
                rows.append(row(recipe, age, evaluate(run, name, args)))
                print(rows[-1], flush=True)
        subprocess.run(acgan("generate", str(run), "--all-pairs", "--seed", "7", "-o",
                             str(args.out / f"{recipe}-pairs.png")), check=True)

    held_out = json.loads((Path(args.tagger) / "tagger.json").read_text())["held_out"]
    balanced = {a: colour_balanced(held_out[f"{a}_per_colour"]) for a in ("hair", "eyes")}
    print(f"\nTagger on {held_out['faces']} held-out real faces: hair {held_out['hair']:.1%}, "
          f"eyes {held_out['eyes']:.1%}, both {held_out['both']:.1%}; every colour counted once (as the "
          f"generated faces are asked): hair {balanced['hair']:.1%}, eyes {balanced['eyes']:.1%}. "
          "FD in tagger features; the real floor is in each report.\n")
    print("| recipe | minutes | steps | hair | eyes | both | FD (x floor) | diversity |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()

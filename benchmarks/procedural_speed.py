"""How fast the procedural dataset renders: faces per second at 64 px and 32 px.

The renderer is single-threaded pure Python + PIL, so pin it to one core for a number that means something:

    PYTHONPATH=src taskset -c 0 python benchmarks/procedural_speed.py

Each size is timed several times and the best run is reported, because other work on a shared machine only
ever makes a run slower.
"""

from __future__ import annotations

import argparse
import time

from acgan.data.procedural import procedural_dataset


def faces_per_second(n: int, size: int, repeats: int) -> float:
    procedural_dataset(32, size=size)  # warm caches and imports outside the timed runs
    best = float("inf")
    for seed in range(repeats):
        start = time.perf_counter()
        procedural_dataset(n, size=size, seed=seed)
        best = min(best, time.perf_counter() - start)
    return n / best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--faces", type=int, default=4000, help="faces per timed run")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per size; the best is reported")
    args = parser.parse_args()
    print(f"procedural faces, single-threaded, best of {args.repeats} runs of {args.faces} faces")
    for size in (64, 32):
        rate = faces_per_second(args.faces, size, args.repeats)
        print(f"  {size:3d} px: {rate:7.0f} faces/s  ({1e6 / rate:.0f} us/face)")


if __name__ == "__main__":
    main()

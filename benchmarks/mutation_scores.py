"""The mutation score per package (or per module), from `mutmut results --all true` on stdin: what `make mutants`
prints at the end, and the tables in docs/TESTING.md.

    .venv/bin/mutmut results --all true | python benchmarks/mutation_scores.py [--by module] [--markdown]

A mutant is caught when a test fails on it (mutmut's "killed", or "timeout": it made a test hang) or when mypy
rejects it (`make lint` would stop it). The score is caught over caught plus survived: a mutant that no selected
test reaches ("no test"), or that was not run (a run stopped early, or narrowed to some modules), is counted apart,
not as a survivor."""

from __future__ import annotations

import argparse
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable

CAUGHT_BY_TEST = {"killed", "timeout"}
CAUGHT_BY_MYPY = "caught by type check"
COLUMNS = ("mutants", "by a test", "by mypy", "survived", "score", "no test", "not run")


def group_of(mutant: str, by: str) -> str:
    """'acgan.sample.seeds.x_moved__mutmut_3' -> 'sample' (by package) or 'sample/seeds.py' (by module)."""
    parts = mutant.split(".")
    return parts[1] if by == "package" else "/".join([*parts[1:-2], parts[-2] + ".py"])


def tally(lines: Iterable[str], by: str) -> dict[str, Counter[str]]:
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for line in lines:
        mutant, sep, status = line.strip().partition(": ")
        if sep:
            counts[group_of(mutant, by)][status] += 1
    return counts


def row(counts: Counter[str]) -> tuple[int, int, int, int, str, int, int]:
    tests = sum(counts[s] for s in CAUGHT_BY_TEST)
    mypy = counts[CAUGHT_BY_MYPY]
    survived = counts["survived"]
    total = sum(counts.values())
    reached = tests + mypy + survived
    score = f"{100 * (tests + mypy) / reached:.1f}%" if reached else "-"
    return total, tests, mypy, survived, score, counts["no tests"], total - reached - counts["no tests"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--by", choices=("package", "module"), default="package")
    parser.add_argument("--markdown", action="store_true", help="a table for docs/TESTING.md")
    args = parser.parse_args()
    counts = tally(sys.stdin, args.by)
    everything: Counter[str] = sum(counts.values(), Counter())
    rows = [(name, row(counts[name])) for name in sorted(counts)] + [("all", row(everything))]
    if args.markdown:
        print("| " + " | ".join((args.by, *COLUMNS)) + " |")
        print("| --- |" + " ---: |" * len(COLUMNS))
        for name, cells in rows:
            print("| " + " | ".join([name, *map(str, cells)]) + " |")
    else:
        print(f"{args.by:<22}" + "".join(f"{c:>10}" for c in COLUMNS))
        for name, cells in rows:
            print(f"{name:<22}" + "".join(f"{c:>10}" for c in cells))


if __name__ == "__main__":
    main()

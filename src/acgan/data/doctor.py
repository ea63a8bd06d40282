"""`acgan data check DIR`: a preflight report on a dataset folder, before hours of training depend on it.

It reads the tags (every line, collecting problems instead of stopping at the first), pairs rows with
images, decodes every image, and reports:

    errors    (training stops on these, unless --skip-bad): unparseable lines, unknown colours,
              duplicate ids, ids without an image, unreadable or truncated images
    warnings  images converted from another mode (grayscale, RGBA, palette), images that are not
              square (centre-cropped) or smaller than the training resolution (upscaled), images of
              an unusual size, images that no row names, booru rows dropped for their tags
    balance   the hair x eye histogram, with the pairs that are rare or absent

The exit code is 0 exactly when `acgan train` would accept the data with the same options. The
checks are the ones training runs itself (data.py): this module only gathers them into a report.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from acgan.data.folder import decode_all, learn_vocab, pair_images, tags_file, vocab_from_spec
from acgan.data.tags import describe_dropped, read_tags
from acgan.data.text import DataError
from acgan.data.vocab import Vocabulary

RARE_PAIR = 5  # hair x eye pairs with fewer faces than this are flagged


@dataclass
class Finding:
    kind: str
    where: str  # file, or file:line
    message: str

    @classmethod
    def of(cls, kind: str, err: DataError) -> Finding:
        return cls(kind, f"{err.path}:{err.line}" if err.line is not None else err.path, err.reason)


@dataclass
class DoctorReport:
    root: str
    resolution: int
    skip_bad: bool
    rows: int = 0
    usable: int = 0
    errors: list[Finding] = field(default_factory=list)
    warnings: list[Finding] = field(default_factory=list)
    sizes: Counter[tuple[int, int]] = field(default_factory=Counter)
    converted: Counter[str] = field(default_factory=Counter)
    vocab: Vocabulary | None = None
    counts: np.ndarray | None = None  # (n_hair, n_eyes) faces per pair

    @property
    def ok(self) -> bool:
        """Whether `acgan train` would accept this data with the same --skip-bad."""
        return self.usable > 0 and (self.skip_bad or not self.errors)

    def rare_pairs(self) -> list[tuple[str, str, int]]:
        if self.counts is None or self.vocab is None:
            return []
        return [(h, e, int(self.counts[i, j])) for i, h in enumerate(self.vocab.hair)
                for j, e in enumerate(self.vocab.eyes) if self.counts[i, j] < RARE_PAIR]

    def to_json(self) -> dict:
        return {
            "root": self.root, "ok": self.ok, "resolution": self.resolution, "skip_bad": self.skip_bad,
            "rows": self.rows, "usable": self.usable,
            "errors": [vars(f) for f in self.errors], "warnings": [vars(f) for f in self.warnings],
            "sizes": {f"{w}x{h}": n for (w, h), n in self.sizes.most_common()},
            "converted": dict(self.converted),
            "vocab": self.vocab.to_json() if self.vocab else None,
            "pairs": self.counts.tolist() if self.counts is not None else None,
            "rare_pairs": [{"hair": h, "eyes": e, "faces": n} for h, e, n in self.rare_pairs()],
        }


def check_folder(root: str | Path, resolution: int = 64, vocab_spec: str = "default",
                 skip_bad: bool = False) -> DoctorReport:
    """Decode and inspect everything in a dataset folder; never raises for what it finds inside."""
    root = Path(root)
    report = DoctorReport(root=str(root), resolution=resolution, skip_bad=skip_bad)
    try:
        vocab = vocab_from_spec(vocab_spec)
        table = read_tags(tags_file(root), vocab, skip_bad=True)
        report.vocab = vocab or learn_vocab(table)
        paired = pair_images(root / "faces", table)
    except DataError as err:
        report.errors.append(Finding.of("unusable folder", err))
        return report
    report.rows = len(table.rows) + len(table.bad)
    report.errors += [Finding.of(kind_of(err), err) for err in table.bad]
    report.errors += [Finding.of("missing image", err) for err in paired.missing]
    if table.dropped:
        report.warnings.append(Finding("dropped rows", str(table.path), describe_dropped(table.dropped)))
    report.warnings += [Finding("unlisted image", str(path), "no row of tags.csv names this image")
                        for path in paired.unlisted]
    decoded = decode_all(paired.files, resolution)
    report.errors += [Finding.of("unreadable image", err) for err in decoded.unreadable]
    report.usable = len(decoded.kept)
    for path, mode in decoded.converted:
        report.converted[mode] += 1
        report.warnings.append(Finding("converted", str(path), f"{mode} image, converted to RGB"))
    size_warnings(report, decoded.sizes)
    report.counts = np.zeros((len(report.vocab.hair), len(report.vocab.eyes)), dtype=np.int64)
    for row in decoded.kept:
        report.counts[report.vocab.hair_index(row.hair), report.vocab.eye_index(row.eyes)] += 1
    return report


def kind_of(err: DataError) -> str:
    if "unknown" in err.reason:
        return "unknown colour"
    if "already used" in err.reason:
        return "duplicate id"
    return "unparseable line"


def size_warnings(report: DoctorReport, sizes: list[tuple[Path, tuple[int, int]]]) -> None:
    report.sizes.update(size for _, size in sizes)
    usual = report.sizes.most_common(1)[0][0] if report.sizes else (0, 0)
    for path, (width, height) in sizes:
        if width != height:
            report.warnings.append(Finding("not square", str(path), f"{width}x{height}, centre-cropped to a square"))
        elif min(width, height) < report.resolution:
            report.warnings.append(Finding("small", str(path), f"{width}x{height}, upscaled to {report.resolution} px"))
        elif (width, height) != usual:
            message = f"{width}x{height}; most are {usual[0]}x{usual[1]}"
            report.warnings.append(Finding("unusual size", str(path), message))


def as_text(report: DoctorReport, limit: int = 10) -> str:
    lines = [f"{report.root}: {report.rows} rows, {report.usable} usable faces at {report.resolution} px"]
    for title, findings in (("errors (training stops on these; --skip-bad skips them)", report.errors),
                            ("warnings", report.warnings)):
        if not findings:
            continue
        lines.append(f"{len(findings)} {title}:")
        for kind, count in Counter(f.kind for f in findings).most_common():
            examples = [f for f in findings if f.kind == kind][:limit]
            lines.append(f"  {kind}: {count}")
            lines += [f"    {f.where}: {f.message}" for f in examples]
            if count > limit:
                lines.append(f"    ... and {count - limit} more (--json lists them all)")
    if report.sizes:
        lines.append("image sizes: " + ", ".join(f"{w}x{h} {n}" for (w, h), n in report.sizes.most_common(5)))
    if report.counts is not None and report.vocab is not None:
        lines += histogram_lines(report.vocab, report.counts, report.rare_pairs())
    verdict = "OK: `acgan train` would accept this data" if report.ok else "NOT OK: `acgan train` would stop"
    lines.append(verdict + (" (with --skip-bad)" if report.skip_bad else ""))
    return "\n".join(lines)


def histogram_lines(vocab: Vocabulary, counts: np.ndarray, rare: list[tuple[str, str, int]]) -> list[str]:
    width = max(len(name) for name in vocab.hair) + 1
    header = " " * width + "".join(f"{name[:6]:>7}" for name in vocab.eyes) + "    all"
    lines = [f"hair x eyes (faces per pair; '.' none, '!' fewer than {RARE_PAIR}):", header]
    for i, hair in enumerate(vocab.hair):
        cells = "".join(f"{mark(int(n)):>7}" for n in counts[i])
        lines.append(f"{hair:<{width}}{cells}{int(counts[i].sum()):>7}")
    lines.append(f"{'all':<{width}}" + "".join(f"{int(n):>7}" for n in counts.sum(0)) + f"{int(counts.sum()):>7}")
    if rare:
        absent = sum(1 for _, _, n in rare if n == 0)
        lines.append(f"{len(rare)} of {counts.size} pairs have fewer than {RARE_PAIR} faces ({absent} have none): the "
                     "generator learns those from each colour on its own, and tag accuracy on them is less certain")
    return lines


def mark(count: int) -> str:
    return "." if count == 0 else f"{count}!" if count < RARE_PAIR else str(count)


def dumps(report: DoctorReport) -> str:
    return json.dumps(report.to_json(), indent=2)

"""Shared fixtures: a private data cache per test session, small dataset folders written on the fly, random
faces for training steps; and under CI (CI=true) every skip is a failure."""

from __future__ import annotations

import os
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from acgan.data.face_data import FaceData
from acgan.data.vocab import DEFAULT_VOCAB


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def failed_under_ci(report: pytest.TestReport | pytest.CollectReport) -> None:
    """Under CI a skip is a failure that says what was missing. A test skips only when something it needs is not
    on the machine (chromium, Playwright, ONNX Runtime Web from npm, an extra), and CI installs all of them, so
    there a skip means a broken install that would otherwise pass unseen."""
    if in_ci() and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"CI=true, so this skip fails the run: {reason.removeprefix('Skipped: ')}"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> pytest.TestReport:
    report: pytest.TestReport = yield
    failed_under_ci(report)
    return report


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> pytest.CollectReport:
    report: pytest.CollectReport = yield  # a whole module skipped (pytest.importorskip at its top)
    failed_under_ci(report)
    return report


@pytest.fixture(autouse=True)
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Give every test its own decoded-data cache, away from the user's ~/.cache."""
    cache = tmp_path / "acgan-cache"
    monkeypatch.setenv("ACGAN_CACHE", str(cache))
    return cache


def write_dataset(root: Path, rows: list[tuple[str, str, str]], size: int = 48, suffix: str = ".jpg") -> Path:
    """A dataset folder: tags.csv in format a and one flat two-colour image per row (hair top, eyes bottom)."""
    faces = root / "faces"
    faces.mkdir(parents=True, exist_ok=True)
    lines = []
    for image_id, hair, eyes in rows:
        lines.append(f"{image_id},{hair} hair {eyes} eyes")
        pixels = np.zeros((size, size, 3), np.uint8)
        pixels[: size // 2] = colour_of(hair)
        pixels[size // 2:] = colour_of(eyes)
        Image.fromarray(pixels).save(faces / f"{image_id}{suffix}")
    (root / "tags.csv").write_text("\n".join(lines) + "\n")
    return root


def colour_of(name: str) -> tuple[int, int, int]:
    """A colour for a colour name, the same in every run (Python's own hash() of a string changes run to run)."""
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    return tuple(int(v) for v in rng.integers(0, 256, 3))


@pytest.fixture
def small_dataset(tmp_path: Path) -> Path:
    """24 faces covering every default hair colour and several eye colours."""
    rows = [(str(i), DEFAULT_VOCAB.hair[i % 12], DEFAULT_VOCAB.eyes[i % 11]) for i in range(24)]
    return write_dataset(tmp_path / "faces-set", rows)


@pytest.fixture(scope="session")
def builtin_tagger(tmp_path_factory: pytest.TempPathFactory):
    """A tagger trained on 4,000 built-in faces at 32 px (about 20 s), shared by the tests that judge faces."""
    from acgan.data.builtin import builtin_data
    from acgan.judge.tagger import train_tagger

    faces = builtin_data(4000, 32, seed=1, cache_dir=tmp_path_factory.mktemp("tagger-cache"))
    return train_tagger(faces, epochs=6, width=12, lr=3e-3, seed=1, progress=False)


def random_faces(n: int = 32, size: int = 32) -> FaceData:
    """n faces of random pixels with random labels, the same every call."""
    rng = np.random.default_rng(0)
    return FaceData(images=rng.integers(0, 256, (n, size, size, 3), dtype=np.uint8),
                    hair=rng.integers(0, 12, n), eyes=rng.integers(0, 11, n), vocab=DEFAULT_VOCAB, source="random")

"""The evaluation report: every file written and readable, numbers formatted as promised, and no pictures
(but a note on how to get them) when matplotlib is missing."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from acgan.data.vocab import DEFAULT_VOCAB
from acgan.judge.report import markdown, read_log, write_report


def fake_report() -> dict:
    """A report shaped like the evaluation's: default vocabulary, plausible confusions, one colour missing."""
    rng = np.random.default_rng(0)
    hair, eyes = list(DEFAULT_VOCAB.hair), list(DEFAULT_VOCAB.eyes)

    def confusion(n: int, hit: float) -> list[list[int]]:
        # Mostly right, the misses spread over a few neighbours, like a tagger that half-learned a colour.
        counts = rng.multinomial(8 * 11, [hit] + [(1 - hit) / (n - 1)] * (n - 1), size=n)
        return [np.roll(row, i).tolist() for i, row in enumerate(counts)]

    hair_per = {name: round(float(v), 3) for name, v in zip(hair, rng.uniform(0.7, 1.0, 12), strict=True)}
    eyes_per = {name: round(float(v), 3) for name, v in zip(eyes, rng.uniform(0.4, 0.95, 11), strict=True)}
    del eyes_per["orange"]  # no generated faces of this colour: must render as a dash
    return {
        "run": "runs/demo", "checkpoint": "step-00002500", "step": 2500,
        "vocab": {"hair": hair, "eyes": eyes},
        "settings": {"per_pair": 8, "seed": 0, "generated_faces": 1056, "real_faces": 994, "resolution": 32},
        "tagger": {"path": "tagger/", "held_out": {
            "faces": 994, "hair": 0.95, "eyes": 0.9, "both": 0.86,
            "hair_per_colour": {name: 0.9 if i < 6 else 0.8 for i, name in enumerate(hair)},
            "eyes_per_colour": {name: 0.2 if name == "orange" else 0.9 for name in eyes}},
            # What evaluate() derives from the per-colour numbers: (6 x 0.9 + 6 x 0.8) / 12, (10 x 0.9 + 0.2) / 11.
            "colour_balanced": {"hair": 0.85, "eyes": 0.83636}},
        "tag_accuracy": {"hair": 0.931, "eyes": 0.7, "both": 0.66,
                         "hair_per_colour": hair_per, "eyes_per_colour": eyes_per},
        "confusion": {"hair": confusion(12, 0.9), "eyes": confusion(11, 0.7)},
        "frechet": {"generated_vs_real": 12.3, "real_floor": 2.1, "ratio": 5.86},
        "diversity": {"generated": 3.1, "real": 3.4, "ratio": 0.91, "pairs": 120},
        "inception_fid": None, "inception_fid_note": "Inception FID: install acgan[fid] to compute it.",
    }


def write_log(path: Path) -> Path:
    lines = [json.dumps({"step": s, "d_loss": 2.0 / (1 + s / 100), "g_loss": 5.0 - s / 100,
                         "d_real_hair_acc": min(1.0, s / 200), "d_real_eye_acc": min(1.0, s / 300),
                         "images_per_s": 1000.0}) for s in range(25, 401, 25)]
    lines.insert(8, json.dumps({"step": 200, "eval_hair_acc": 0.6, "eval_eye_acc": 0.4, "eval_frechet": 20.0}))
    lines.append('{"step": 425, "d_lo')  # torn last line of a killed run
    path.write_text("\n".join(lines) + "\n")
    return path


def test_write_report_writes_every_file_readably(tmp_path: Path) -> None:
    report = fake_report()
    out = tmp_path / "eval" / "step-00002500"
    written = write_report(report, out, write_log(tmp_path / "log.jsonl"))

    names = ["report.json", "report.md", "confusion_hair.png", "confusion_eyes.png", "per_colour.png", "losses.png"]
    assert [path.name for path in written] == names
    for path in written:
        assert path.parent == out and path.stat().st_size > 0
    for path in written[2:]:
        with Image.open(path) as image:
            image.verify()
        with Image.open(path) as image:
            width, height = image.size
            assert image.format == "PNG" and 500 <= width <= 2000 and 400 <= height <= 2000
    assert json.loads((out / "report.json").read_text(encoding="utf-8")) == report
    text = (out / "report.md").read_text(encoding="utf-8")
    for name in names[2:]:
        assert f"]({name})" in text
    assert "acgan[eval]" not in text


def test_losses_picture_is_skipped_without_a_log(tmp_path: Path) -> None:
    written = write_report(fake_report(), tmp_path, tmp_path / "no-such-log.jsonl")
    assert "losses.png" not in [path.name for path in written]
    assert not (tmp_path / "losses.png").exists()
    assert "losses.png" not in (tmp_path / "report.md").read_text(encoding="utf-8")


def test_markdown_summary_table_comes_first_with_formatted_numbers() -> None:
    text = markdown(fake_report())
    lines = text.splitlines()
    assert lines[0] == "# Evaluation of runs/demo at step 2500"
    table = [line for line in lines if line.startswith("|")][:7]
    assert table[0] == "| | generated | real (ceiling / floor) |"
    assert table[2] == ("| hair read back | 93.1% | 95.0% (tagger on held-out real faces); 85.0% with every colour "
                        "counted equally, as the generated faces are asked |")
    assert table[3] == "| eyes read back | 70.0% | 90.0%; 83.6% colour-balanced |"
    assert table[4] == "| both | 66.0% | 86.0% |"
    assert table[5] == "| Fréchet distance (tagger features) | 12.3 | 2.1 (real vs real) → 5.9× the floor |"
    assert table[6] == "| diversity (within-pair spread, generated / real) | 0.91 | 1.00 |"
    # The summary precedes every per-colour table.
    assert text.index("hair read back") < text.index("## Hair colours") < text.index("## Eye colours")


def test_markdown_per_colour_rows_fid_note_settings_and_links() -> None:
    report = fake_report()
    text = markdown(report)
    lines = text.splitlines()
    assert "| orange | – | 20.0% |" in lines
    blue = report["tag_accuracy"]["hair_per_colour"]["blue"]
    assert f"| blue | {blue:.1%} | 80.0% |" in lines
    assert "Inception FID: install acgan[fid] to compute it." in lines
    assert "- faces per hair × eye pair: 8" in lines and "- seed: 0" in lines and "- generated faces: 1056" in lines
    assert "](confusion_hair.png)" in text and "](per_colour.png)" in text and "losses.png" not in text
    assert "](" not in markdown(report, pictures=False)


def test_markdown_shows_a_computed_inception_fid() -> None:
    report = fake_report()
    report["inception_fid"] = 41.27
    assert "Inception FID: 41.3" in markdown(report).splitlines()


def test_without_matplotlib_only_json_and_markdown_are_written(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    written = write_report(fake_report(), tmp_path, write_log(tmp_path / "log.jsonl"))
    assert [path.name for path in written] == ["report.json", "report.md"]
    assert sorted(path.name for path in tmp_path.iterdir()) == ["log.jsonl", "report.json", "report.md"]
    text = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "pip install 'acgan[eval]'" in text
    assert ".png)" not in text
    assert "| hair read back | 93.1% |" in text


def test_read_log_skips_torn_and_stepless_lines(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    path.write_text('{"step": 1, "d_loss": 1.0}\n\n["not", "a", "record"]\n{"d_loss": 2.0}\n{"step": 2, "d_lo')
    assert read_log(path) == [{"step": 1, "d_loss": 1.0}]

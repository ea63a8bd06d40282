"""`acgan data check`: every kind of problem is found, named, counted, and decides the exit code."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from acgan.cli import app
from acgan.data.doctor import as_text, check_folder
from acgan.data.vocab import DEFAULT_VOCAB
from tests.conftest import write_dataset

runner = CliRunner()


def broken_dataset(root: Path) -> Path:
    rows = [(str(i), hair, eyes) for i, (hair, eyes) in enumerate(
        [("blue", "red"), ("black", "gray"), ("pink", "green"), ("red", "blue"), ("blonde", "aqua"),
         ("brown", "brown"), ("white", "pink")])]
    write_dataset(root, rows, size=64)
    faces = root / "faces"
    (faces / "1.jpg").write_bytes(b"garbage")  # unreadable
    payload = (faces / "2.jpg").read_bytes()
    (faces / "2.jpg").write_bytes(payload[: len(payload) // 2])  # truncated
    (faces / "3.jpg").unlink()  # missing
    Image.new("L", (64, 64), 90).save(faces / "4.jpg")  # grayscale
    Image.new("RGB", (80, 64), (9, 9, 9)).save(faces / "5.jpg")  # not square
    Image.new("RGB", (16, 16), (9, 9, 9)).save(faces / "6.jpg")  # smaller than the resolution
    Image.new("RGB", (64, 64), (9, 9, 9)).save(faces / "stray.png")  # no row names it
    with open(root / "tags.csv", "a") as handle:
        handle.write("7,silver hair red eyes\n0,blue hair red eyes\nnonsense\n")
    return root


def test_every_problem_is_found_and_named(tmp_path: Path) -> None:
    report = check_folder(broken_dataset(tmp_path / "d"), resolution=32)
    kinds = sorted(f.kind for f in report.errors)
    assert kinds == ["duplicate id", "missing image", "unknown colour", "unparseable line", "unreadable image",
                     "unreadable image"]
    where = {f.kind: f.where for f in report.errors}
    assert where["unknown colour"].endswith("tags.csv:8") and where["unparseable line"].endswith("tags.csv:10")
    assert where["missing image"].endswith("tags.csv:4")
    assert any("truncated" in f.message for f in report.errors)
    warnings = {f.kind for f in report.warnings}
    assert warnings == {"converted", "not square", "small", "unlisted image"}
    assert report.converted == {"L": 1}
    assert report.usable == 4 and report.rows == 10
    assert not report.ok
    assert int(report.counts.sum()) == 4
    assert ("orange", "gray", 0) in report.rare_pairs()


def test_exit_code_follows_what_training_would_do(tmp_path: Path, small_dataset: Path) -> None:
    broken = broken_dataset(tmp_path / "d")
    result = runner.invoke(app, ["data", "check", str(broken), "--resolution", "32"])
    assert result.exit_code == 1 and "NOT OK" in result.output and "unreadable image: 2" in result.output
    result = runner.invoke(app, ["data", "check", str(broken), "--resolution", "32", "--skip-bad"])
    assert result.exit_code == 0 and "OK: `acgan train` would accept this data (with --skip-bad)" in result.output
    result = runner.invoke(app, ["data", "check", str(small_dataset), "--json"])
    assert result.exit_code == 0
    report = json.loads(result.output)
    assert report["ok"] and report["usable"] == 24 and report["sizes"] == {"48x48": 24}
    result = runner.invoke(app, ["data", "check", str(tmp_path / "nowhere")])
    assert result.exit_code == 1 and "no tags.csv" in result.output
    result = runner.invoke(app, ["data", "check", str(tmp_path / "nowhere"), "--json"])
    report = json.loads(result.output)  # a folder that is no dataset: no colours, no pairs, one error
    assert result.exit_code == 1 and (report["vocab"], report["pairs"], report["usable"]) == (None, None, 0)
    assert [(f["kind"], f["where"]) for f in report["errors"]] == [("unusable folder",
                                                                  str(tmp_path / "nowhere" / "tags.csv"))]


def test_training_stops_on_the_first_problem_and_counts_the_rest(tmp_path: Path) -> None:
    """The message names the first problem and counts the other three exactly (guards against naming the last
    problem, or any other count: `problems[-1]` and `len(problems) + 39` in stop_on_problems both fail here)."""
    from acgan.data.tags import DataError
    from acgan.train.settings import resolve
    from acgan.train.trainer import train

    broken = broken_dataset(tmp_path / "d")
    with pytest.raises(DataError) as caught:
        train(resolve(data=str(broken), resolution=32, width=8, steps=1, out=str(tmp_path / "run")))
    # Four problems are known before any image is decoded: lines 8 (silver), 9 (id 0 again), 10 (nonsense) of
    # tags.csv, then line 4's missing image; the unreadable images come later, when decoding.
    assert str(caught.value) == (
        f"{broken / 'tags.csv'}:8: unknown hair colour 'silver'; valid hair colours: {', '.join(DEFAULT_VOCAB.hair)}"
        f" (train with --vocab auto to learn the colours from the data) (and 3 more: `acgan data check {broken}` "
        "lists them all); --skip-bad skips such rows")


def test_the_json_report_holds_every_finding_and_the_balance(tmp_path: Path) -> None:
    broken = broken_dataset(tmp_path / "d")
    result = runner.invoke(app, ["data", "check", str(broken), "--resolution", "32", "--json"])
    assert result.exit_code == 1 and result.output.startswith(f'{{\n  "root": "{broken}",\n  "ok": false,\n')
    report = json.loads(result.output)
    assert {key: report[key] for key in ("root", "ok", "resolution", "skip_bad", "rows", "usable")} == {
        "root": str(broken), "ok": False, "resolution": 32, "skip_bad": False, "rows": 10, "usable": 4}
    assert [(f["kind"], f["where"].removeprefix(str(broken))) for f in report["errors"]][:2] == [
        ("unknown colour", "/tags.csv:8"), ("duplicate id", "/tags.csv:9")]
    assert report["errors"][0]["message"].startswith("unknown hair colour 'silver'; valid hair colours: orange")
    assert {f["kind"] for f in report["warnings"]} == {"converted", "not square", "small", "unlisted image"}
    assert report["sizes"] == {"64x64": 2, "80x64": 1, "16x16": 1} and report["converted"] == {"L": 1}
    assert report["vocab"] == DEFAULT_VOCAB.to_json()
    # The four usable faces: rows 0, 4, 5 and 6 of broken_dataset.
    pairs = np.zeros((12, 11), int)
    for hair, eyes in (("blue", "red"), ("blonde", "aqua"), ("brown", "brown"), ("white", "pink")):
        pairs[DEFAULT_VOCAB.hair_index(hair), DEFAULT_VOCAB.eye_index(eyes)] = 1
    assert report["pairs"] == pairs.tolist()
    assert len(report["rare_pairs"]) == 132 and report["rare_pairs"][0] == {"hair": "orange", "eyes": "gray",
                                                                            "faces": 0}
    assert {"hair": "white", "eyes": "pink", "faces": 1} in report["rare_pairs"]


def test_the_histogram_shows_every_pair_its_totals_and_the_rare_ones(tmp_path: Path) -> None:
    rows = [("blue", "red")] * 6 + [("blonde", "red")] * 2 + [("blue", "aqua")]
    write_dataset(tmp_path / "d", [(str(i), hair, eyes) for i, (hair, eyes) in enumerate(rows)], size=32)
    (tmp_path / "colours.json").write_text('{"hair": ["blue", "blonde"], "eyes": ["red", "aqua", "emerald"]}')
    result = runner.invoke(app, ["data", "check", str(tmp_path / "d"), "--resolution", "32", "--vocab",
                                 str(tmp_path / "colours.json")])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[2:8] == [
        "hair x eyes (faces per pair; '.' none, '!' fewer than 5):",
        "           red   aqua emeral    all",
        "blue         6     1!      .      7",
        "blonde      2!      .      .      2",
        "all          8      1      0      9",
        "5 of 6 pairs have fewer than 5 faces (3 have none): the generator learns those from each colour on its "
        "own, and tag accuracy on them is less certain"]


def test_the_text_report_line_for_line(tmp_path: Path) -> None:
    """What `acgan data check` prints above its histogram, word for word: each kind of problem with its count and
    examples, the sizes, the verdict. Guards (make mutants): titles, counts, examples and verdict reworded or
    dropped, a finding's place lost, the example limit off by one."""
    root = broken_dataset(tmp_path / "d")
    report = check_folder(root, resolution=32)
    lines = as_text(report).replace(str(root), "ROOT").splitlines()
    colours = ", ".join(DEFAULT_VOCAB.hair)
    assert lines[:22] == [
        "ROOT: 10 rows, 4 usable faces at 32 px",
        "6 errors (training stops on these; --skip-bad skips them):",
        "  unreadable image: 2",
        "    ROOT/faces/1.jpg: cannot decode image (cannot identify image file 'ROOT/faces/1.jpg') (tags.csv line 2)",
        "    ROOT/faces/2.jpg: truncated image (Truncated File Read) (tags.csv line 3)",
        "  unknown colour: 1",
        f"    ROOT/tags.csv:8: unknown hair colour 'silver'; valid hair colours: {colours} (train with --vocab auto "
        "to learn the colours from the data)",
        "  duplicate id: 1",
        "    ROOT/tags.csv:9: id '0' already used on line 1",
        "  unparseable line: 1",
        "    ROOT/tags.csv:10: cannot parse 'nonsense'; expected '<id>,<colour> hair <colour> eyes'",
        "  missing image: 1",
        "    ROOT/tags.csv:4: no image for id '3' (looked for faces/3.jpg, .png, .jpeg, .webp, .bmp)",
        "4 warnings:",
        "  unlisted image: 1",
        "    ROOT/faces/stray.png: no row of tags.csv names this image",
        "  converted: 1",
        "    ROOT/faces/4.jpg: L image, converted to RGB",
        "  not square: 1",
        "    ROOT/faces/5.jpg: 80x64, centre-cropped to a square",
        "  small: 1",
        "    ROOT/faces/6.jpg: 16x16, upscaled to 32 px",
    ]
    assert lines[22] == "image sizes: 64x64 2, 80x64 1, 16x16 1"
    assert lines[23].startswith("hair x eyes") and lines[-1] == "NOT OK: `acgan train` would stop"
    short = as_text(report, limit=1).replace(str(root), "ROOT").splitlines()
    assert short[3:6] == [lines[3], "    ... and 1 more (--json lists them all)", "  unknown colour: 1"]
    assert len(short) == len(lines)  # one example line less, one "... more" line more


def test_an_unusual_size_is_named_and_only_five_sizes_are_listed(tmp_path: Path) -> None:
    """Square faces big enough but not the size most faces have get an 'unusual size' warning naming both; the
    text lists the five commonest sizes, and the warnings when there is no error; with --skip-bad the verdict says
    so. The default resolution is 64."""
    rows = [(str(i), "blue", "red") for i in range(8)]
    root = write_dataset(tmp_path / "d", rows, size=64)
    for i, side in enumerate([96, 72, 80, 88, 104], start=1):
        Image.new("RGB", (side, side), (9, 9, 9)).save(root / "faces" / f"{i}.jpg")
    report = check_folder(root, skip_bad=True)
    assert report.resolution == 64
    unusual = sorted((f.where, f.message) for f in report.warnings if f.kind == "unusual size")
    assert unusual == [(str(root / "faces" / f"{i}.jpg"), f"{side}x{side}; most are 64x64")
                       for i, side in enumerate([96, 72, 80, 88, 104], start=1)]
    lines = as_text(report).splitlines()
    assert lines[:3] == [f"{root}: 8 rows, 8 usable faces at 64 px", "5 warnings:", "  unusual size: 5"]
    sizes = next(line for line in lines if line.startswith("image sizes: "))
    assert sizes.startswith("image sizes: 64x64 3, ") and sizes.count("x") == 5
    assert lines[-1] == "OK: `acgan train` would accept this data (with --skip-bad)"


def test_a_folder_whose_images_all_fail_is_reported_not_raised(tmp_path: Path) -> None:
    """No image decodes, so no size is known: the report still comes (guards: the usual size looked up in an empty
    count, an IndexError)."""
    root = write_dataset(tmp_path / "d", [("0", "blue", "red"), ("1", "pink", "green")])
    for name in ("0.jpg", "1.jpg"):
        (root / "faces" / name).write_bytes(b"garbage")
    report = check_folder(root)
    assert report.usable == 0 and not report.ok and not report.sizes
    assert [f.kind for f in report.errors] == ["unreadable image", "unreadable image"]
    assert as_text(report).splitlines()[-1] == "NOT OK: `acgan train` would stop"


def test_a_pair_is_rare_below_five_faces_not_at_five(tmp_path: Path) -> None:
    """RARE_PAIR is 5: a pair with 4 faces is marked '4!' and listed as rare, one with 5 is neither (guards: `<=`)."""
    rows = [(str(i), "blue", "red") for i in range(5)] + [(str(5 + i), "pink", "green") for i in range(4)]
    report = check_folder(write_dataset(tmp_path / "d", rows), resolution=32)
    rare = report.rare_pairs()
    assert ("pink", "green", 4) in rare and not any(hair == "blue" and eyes == "red" for hair, eyes, _ in rare)
    table = "\n".join(as_text(report).splitlines())
    blue = next(line for line in table.splitlines() if line.startswith("blue "))
    pink = next(line for line in table.splitlines() if line.startswith("pink "))
    assert blue.split()[1:] == [".", ".", ".", ".", ".", ".", ".", ".", ".", "5", ".", "5"]
    assert pink.split()[1:] == [".", ".", ".", ".", ".", ".", ".", "4!", ".", ".", ".", "4"]

"""The command line writes the files it promises and turns bad input into one clear line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

import acgan
from acgan.cli import app
from tests.test_serve import pixels, same_face

runner = CliRunner()
TINY = ["--resolution", "32", "--width", "8", "--batch-size", "8", "--log-every", "2",
        "--sample-every", "2", "--checkpoint-every", "2"]


@pytest.fixture
def run(small_dataset: Path, tmp_path: Path) -> Path:
    out = tmp_path / "run"
    result = runner.invoke(app, ["train", "--data", str(small_dataset), *TINY, "--steps", "4", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def test_train_writes_a_self_describing_run_folder(run: Path) -> None:
    record = json.loads((run / "config.json").read_text())
    assert record["settings"]["steps"] == 4 and record["settings"]["width"] == 8
    assert record["vocab"]["hair"][0] == "orange" and record["model"]["resolution"] == 32
    assert record["acgan_version"] and record["data"]["faces"] == 24
    log = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in log] == [2, 4]
    assert {"d_loss", "g_loss", "d_real_hair_acc", "d_real_eye_acc", "images_per_s"} <= log[0].keys()
    assert sorted(p.name for p in (run / "samples").iterdir()) == ["latest.png", "step-00000002.png",
                                                                  "step-00000004.png"]
    grid = Image.open(run / "samples" / "latest.png")
    assert grid.width > 11 * 64 and grid.height > 12 * 64  # 12 rows x 11 columns of 64 px cells and labels
    assert sorted(p.name for p in (run / "checkpoints").iterdir()) == [
        "step-00000002.json", "step-00000002.safetensors", "step-00000004.json", "step-00000004.safetensors"]


def test_generate_grid_separate_all_pairs_and_from_file(run: Path, tmp_path: Path) -> None:
    grid = tmp_path / "grid.png"
    result = runner.invoke(app, ["generate", str(run), "--hair", "blue", "--eyes", "red", "-n", "5", "-o", str(grid)])
    assert result.exit_code == 0, result.output
    assert Image.open(grid).size == (5 * 66 + 2, 66 + 2)

    single = tmp_path / "one" / "face.png"
    result = runner.invoke(app, ["generate", str(run), "--hair", "blue", "--eyes", "red", "-n", "3", "--seed", "7",
                                 "--separate", "-o", str(single)])
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in single.parent.iterdir())
    assert names == ["face-7.png", "face-8.png", "face-9.png"]
    meta = json.loads(Image.open(single.parent / "face-8.png").text["acgan"])
    assert meta["seed"] == 8 and meta["hair"] == "blue" and meta["eyes"] == "red"

    pairs = tmp_path / "pairs.png"
    assert runner.invoke(app, ["generate", str(run), "--all-pairs", "-o", str(pairs)]).exit_code == 0
    assert Image.open(pairs).width > 11 * 64

    tags = tmp_path / "wanted.txt"
    tags.write_text("a1,blue hair red eyes\nb2,blonde hair green eyes\n")
    folder = tmp_path / "from-file"
    result = runner.invoke(app, ["generate", str(run), "--from-file", str(tags), "-o", str(folder)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in folder.iterdir()) == ["a1.png", "b2.png"]
    assert Image.open(folder / "b2.png").size == (32, 32)


def test_the_seed_decides_the_pixels(tmp_path: Path) -> None:
    """The same seed twice gives the same file; face k of --seed 3 is the Python API's face for seed 3 + k, and is
    face 0 of --seed 3 + k. (Guards against the CLI ignoring --seed: `requested(hair, eyes, n, 0)` draws seeds 0
    and 1, and writes face-0.png and face-1.png.)"""
    for name in ("a.png", "b.png"):
        result = runner.invoke(app, ["generate", "--hair", "pink", "--eyes", "blue", "-n", "2", "--seed", "3", "-o",
                                     str(tmp_path / name)])
        assert result.exit_code == 0, result.output
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()
    for seed in (3, 4):
        result = runner.invoke(app, ["generate", "--hair", "pink", "--eyes", "blue", "-n", "2", "--seed", str(seed),
                                     "--separate", "-o", str(tmp_path / f"from-{seed}" / "face.png")])
        assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "from-3").iterdir()) == ["face-3.png", "face-4.png"]
    api = acgan.load().generate("pink", "blue", n=2, seed=3)
    for k, face in enumerate(api):
        assert same_face(pixels(Image.open(tmp_path / "from-3" / f"face-{3 + k}.png")), pixels(face))
    assert same_face(pixels(Image.open(tmp_path / "from-4" / "face-4.png")), pixels(api[1]))
    assert not same_face(pixels(api[0]), pixels(api[1]))  # seeds 3 and 4 are different faces


@pytest.mark.parametrize(("args", "message"), [
    (["--hair", "silver", "--eyes", "red"], "unknown hair colour 'silver'; valid hair colours: orange"),
    (["--hair", "blue", "--eyes", "violet"], "unknown eyes colour 'violet'"),
    (["--hair", "blue", "--truncation", "1.5"], "error: --truncation must be above 0 and at most 1 (1: the faces as "
                                                "trained; lower: safer, more alike faces), got 1.5\n"),
    (["--truncation", "0"], "error: --truncation must be above 0 and at most 1"),
    (["--hair", "blue", "--eyes", "red", "-n", "0"],
     "Invalid value for '-n': Input should be greater than or equal to 1"),
])
def test_generate_bad_input_is_one_clear_line(run: Path, args: list[str], message: str) -> None:
    result = runner.invoke(app, ["generate", str(run), *args])
    assert result.exit_code == 2
    assert message in result.output


def test_bad_training_input_is_one_clear_line(tmp_path: Path, small_dataset: Path) -> None:
    result = runner.invoke(app, ["train", "--data", str(tmp_path / "missing")])
    assert result.exit_code == 2 and "no such dataset folder" in result.output
    result = runner.invoke(app, ["train", "--data", str(small_dataset), "--resolution", "48"])
    assert result.exit_code == 2 and "resolution must be 32, 64 or 128" in result.output
    config = tmp_path / "settings.json"
    config.write_text('{"lr_g": "fast"}')
    result = runner.invoke(app, ["train", "--config", str(config)])
    assert result.exit_code == 2 and "lr_g must be float" in result.output
    config.write_text('{"learning_rate": 0.1}')
    result = runner.invoke(app, ["train", "--config", str(config)])
    assert result.exit_code == 2 and "unknown setting 'learning_rate'" in result.output
    result = runner.invoke(app, ["generate", str(tmp_path), "--hair", "blue", "--eyes", "red"])
    assert result.exit_code == 2 and "no checkpoints" in result.output


@pytest.mark.parametrize("args", [["--version"], ["--help"], ["generate", "--help"]])
def test_asking_for_the_version_or_help_imports_no_pytorch(args: list[str]) -> None:
    """PyTorch takes seconds to import: `acgan --version` and the help of every command must not wait for it."""
    probe = ("import sys; from acgan.cli import main; sys.argv = ['acgan', *sys.argv[1:]]\n"
             "try:\n    main()\nexcept SystemExit as end:\n    code = end.code\n"
             "print('torch' in sys.modules, code)")
    done = subprocess.run([sys.executable, "-c", probe, *args], capture_output=True, text=True, timeout=120)
    assert done.stdout.splitlines()[-1] == "False 0", done.stdout + done.stderr
    assert ("acgan " if args == ["--version"] else "Usage: acgan") in done.stdout


def test_the_package_imports_no_pytorch_until_a_model_is_asked_for() -> None:
    probe = ("import sys, acgan; print('torch' in sys.modules, acgan.__version__ != '');"
             "acgan.load; print('torch' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert done.stdout.split() == ["False", "True", "True"], done.stderr


def test_generate_without_colours_draws_each_faces_random_ones(tmp_path: Path) -> None:
    out = tmp_path / "grid.png"
    result = runner.invoke(app, ["generate", "-n", "3", "--seed", "4", "-o", str(out)])
    assert result.exit_code == 0, result.output
    faces = json.loads(Image.open(out).text["acgan"])["faces"]
    expected = acgan.load().requested("random", "random", 3, 4)
    assert [(f["seed"], f["hair"], f["eyes"]) for f in faces] == [face[:3] for face in expected]
    assert len({(f["hair"], f["eyes"]) for f in faces}) > 1


def test_all_pairs_draws_one_seed_in_every_cell_as_the_page_does(tmp_path: Path) -> None:
    out = tmp_path / "pairs.png"
    assert runner.invoke(app, ["generate", "--all-pairs", "--seed", "7", "-o", str(out)]).exit_code == 0
    table = Image.open(out).convert("RGB")
    model = acgan.load()
    # The last row's last two cells, 64 px each with 2 px between and around them (sample/images.py).
    right, bottom = table.width - 2, table.height - 2
    for column, eyes in ((0, model.vocab.eyes[-1]), (1, model.vocab.eyes[-2])):
        cell = table.crop((right - 64 - 66 * column, bottom - 64, right - 66 * column, bottom))
        face = model.faces([(7, model.vocab.hair[-1], eyes)])[0]
        assert same_face(pixels(cell), pixels(face)), eyes


def test_interpolate_refuses_size_with_scale(tmp_path: Path) -> None:
    result = runner.invoke(app, ["interpolate", "--size", "128", "--scale", "2", "-o", str(tmp_path / "m.gif")])
    assert result.exit_code == 2 and not (tmp_path / "m.gif").exists()
    assert result.output == ("error: give --size or --scale, not both: --size resizes each frame smoothly (Lanczos), "
                             "--scale enlarges it pixel for pixel\n")


def test_an_unknown_colour_in_a_from_file_names_its_line_and_skip_bad_skips_only_it(tmp_path: Path) -> None:
    wanted = tmp_path / "wanted.txt"
    wanted.write_text("a1,blue hair red eyes\nb2,silver hair red eyes\nc3,pink hair green eyes\n")
    stopped = runner.invoke(app, ["generate", "--from-file", str(wanted), "-o", str(tmp_path / "stopped")])
    assert stopped.exit_code == 2 and f"{wanted}:2: unknown hair colour 'silver'" in stopped.output
    assert not (tmp_path / "stopped").exists()
    skipped = runner.invoke(app, ["generate", "--from-file", str(wanted), "--skip-bad", "--seed", "10",
                                  "-o", str(tmp_path / "out")])
    assert skipped.exit_code == 0, skipped.output
    assert f"skipped 1 bad line(s), the first: {wanted}:2: unknown hair colour 'silver'" in skipped.output
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a1.png", "c3.png"]
    # c3 is the file's third face: seed 12 whether or not line 2 was drawn.
    face = acgan.load().faces([(12, "pink", "green")])[0]
    assert same_face(pixels(Image.open(tmp_path / "out" / "c3.png")), pixels(face))

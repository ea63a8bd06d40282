"""A run's folder: creating it, finding it again, its settings file and its log.

    runs/<name>/config.json    written before step 0: settings, model, vocabulary, data, versions
    runs/<name>/log.jsonl      one JSON object per log step (and per evaluation)
    runs/<name>/samples/       grids; runs/<name>/checkpoints/: see checkpoint.py
"""

from __future__ import annotations

import contextlib
import json
import subprocess
from datetime import datetime
from pathlib import Path
from typing import Any

import torch
from tqdm import tqdm

from acgan.atomic import write_atomic
from acgan.data.text import DataError, read_text
from acgan.errors import ConfigError
from acgan.run.checkpoint import checkpoint_dir, list_checkpoints
from acgan.run.lock import LOCK_NAME, folder_lock
from acgan.version import __version__


def code_version() -> str:
    """acgan's version, with the git commit when it runs from a checkout."""
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                                cwd=Path(__file__).parent, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = ""
    return f"{__version__}+{commit}" if commit else __version__


# What acgan writes into a run folder before its first checkpoint; a folder holding anything else is not a
# run acgan started, and a new run refuses it rather than overwrite or delete what is there.
RUN_ENTRIES = frozenset({"config.json", "log.jsonl", "samples", "checkpoints", "eval", LOCK_NAME})


def new_run_dir(out: str, held: contextlib.ExitStack) -> Path:
    """Create (or take over) the folder of a new run, locked for this process while `held` is open.

    A folder is taken only when it is new, empty, or a run acgan started that never reached a checkpoint
    (its config.json written by acgan); the check runs under the lock, so two trainers started at once on
    one --out cannot both pass it."""
    run = Path(out)
    if run.exists() and not run.is_dir():
        raise ConfigError(f"--out {run}: is a file; a run needs a folder (give a new folder's name)")
    try:
        run.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ConfigError(f"--out {run}: cannot create the folder ({err.strerror or err})") from None
    held.enter_context(folder_lock(run, "training"))
    if list_checkpoints(checkpoint_dir(run)):
        raise ConfigError(f"{run} already holds a run; continue it with --resume {run} or choose another --out")
    # Without acgan's own config.json (written first), only the lock may be there already.
    ours = RUN_ENTRIES if started_by_acgan(run) else {LOCK_NAME}
    foreign = sorted(entry.name for entry in run.iterdir() if entry.name not in ours)
    if foreign:
        raise ConfigError(f"--out {run}: holds {foreign[0]}, which acgan did not write; a new run needs a new or "
                          "empty folder (acgan never overwrites or deletes what it did not write)")
    (run / "log.jsonl").unlink(missing_ok=True)  # the log of an attempt that never reached a checkpoint
    return run


def started_by_acgan(run: Path) -> bool:
    """Whether the folder's config.json is one acgan wrote when it started a run there."""
    try:
        record = json.loads((run / "config.json").read_bytes())
    except (OSError, ValueError):
        return False
    return isinstance(record, dict) and {"settings", "acgan_version", "created"} <= record.keys()


def find_latest_run(root: Path = Path("runs")) -> Path:
    runs = sorted(root.glob("*/config.json"), key=lambda p: p.stat().st_mtime)
    if not runs:
        raise ConfigError(f"--resume auto: no runs under {root}/")
    return runs[-1].parent


def read_json_object(path: Path, what: str) -> dict[str, Any]:
    """A JSON file that must hold one object; every way it can fail is a ConfigError naming the file."""
    try:
        data = json.loads(read_text(path, what))
    except DataError as err:
        raise ConfigError(str(err)) from None
    except (json.JSONDecodeError, RecursionError) as err:
        raise ConfigError(f"{path}: not valid JSON ({err}); expected {what}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a JSON object ({what})")
    return data


def write_run_config(run: Path, **facts: Any) -> None:
    """config.json, before step 0: what the run starts with (settings, model, vocabulary, data, where it runs), with
    the versions of acgan and torch and the time; whole or not at all, and a disk that refuses it stops the run
    before its first step."""
    record = {**facts, "acgan_version": code_version(), "torch_version": torch.__version__,
              "created": datetime.now().isoformat(timespec="seconds")}
    try:
        write_atomic(run / "config.json", json.dumps(record, indent=2).encode())
    except OSError as err:
        raise ConfigError(f"cannot write {run / 'config.json'}: {err.strerror or err}") from None


def read_run_config(run: Path) -> dict[str, Any]:
    """config.json of a run folder: what the run was started with (settings, model, vocabulary, data)."""
    if not (run / "config.json").exists() and run.is_dir():
        raise ConfigError(f"{run}: no config.json there; is it a run folder?")
    return read_json_object(run / "config.json", "the run's settings")


# What the progress bar shows, and as what: the losses, the variety figure (spread of faces from different noise,
# against real faces') and the last light evaluation, so that "is this run good enough yet" is on one line.
BAR_NUMBERS = {"d_loss": ("d_loss", "{:.3f}"), "g_loss": ("g_loss", "{:.3f}"),
               "d_real_hair_acc": ("d_real_hair_acc", "{:.3f}"), "spread": ("spread", "{:.2f}"),
               "eval_hair": ("hair", "{:.0%}"), "eval_eyes": ("eyes", "{:.0%}"),
               "eval_frechet_ratio": ("fd", "{:.1f}x")}


class RunLog:
    """The one logging path: JSON lines in log.jsonl and the numbers on the progress bar (each number stays on the
    bar until a newer one replaces it: the light evaluation is logged less often than the losses)."""

    def __init__(self, path: Path, bar: tqdm | None) -> None:
        self.path, self.bar = path, bar
        self.shown: dict[str, str] = {}

    def log(self, step: int, **numbers: float) -> None:
        record = {"step": step, **{k: round(v, 5) if isinstance(v, float) else v for k, v in numbers.items()}}
        with open(self.path, "a") as handle:
            handle.write(json.dumps(record) + "\n")
        self.shown.update({name: form.format(numbers[key]) for key, (name, form) in BAR_NUMBERS.items()
                           if isinstance(numbers.get(key), int | float)})
        if self.bar is not None and self.shown:
            self.bar.set_postfix(self.shown, refresh=False)


def truncate_log(path: Path, step: int) -> None:
    """Drop log lines after `step` (a resumed run writes them again), and lines that are torn or garbage
    (a crash mid-write, a damaged disk), saying how many."""
    if not path.exists():
        return
    kept, damaged = [], 0
    for raw in path.read_bytes().splitlines():
        try:
            record = json.loads(raw.decode("utf-8"))
            if record["step"] <= step:
                kept.append(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError, RecursionError):
            damaged += 1
    if damaged:
        tqdm.write(f"warning: {path}: skipped {damaged} damaged line(s) of the log")
    write_atomic(path, "".join(line + "\n" for line in kept).encode())

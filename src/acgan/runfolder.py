"""A run's folder: creating it, finding it again, the settings a resume may change, and its log.

    runs/<name>/config.json    written before step 0: settings, model, vocabulary, data, versions
    runs/<name>/log.jsonl      one JSON object per log step (and per evaluation)
    runs/<name>/samples/       grids; runs/<name>/checkpoints/: see checkpoint.py
"""

from __future__ import annotations

import dataclasses
import json
import signal
import subprocess
from datetime import datetime
from pathlib import Path

from tqdm import tqdm

from acgan import __version__
from acgan.checkpoint import checkpoint_dir, list_checkpoints
from acgan.config import ConfigError, TrainConfig, diff


def code_version() -> str:
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                                cwd=Path(__file__).parent, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = ""
    return f"{__version__}+{commit}" if commit else __version__


def new_run_dir(out: str | None) -> Path:
    run = Path(out or f"runs/{datetime.now():%Y%m%d-%H%M%S}")
    if list_checkpoints(checkpoint_dir(run)):
        raise ConfigError(f"{run} already holds a run; continue it with --resume {run} or choose another --out")
    run.mkdir(parents=True, exist_ok=True)
    (run / "log.jsonl").unlink(missing_ok=True)  # the log of an attempt that never reached a checkpoint
    return run


def find_latest_run(root: Path = Path("runs")) -> Path:
    runs = sorted(root.glob("*/config.json"), key=lambda p: p.stat().st_mtime)
    if not runs:
        raise ConfigError(f"--resume auto: no runs under {root}/")
    return runs[-1].parent


def read_run_config(run: Path) -> dict:
    try:
        return json.loads((run / "config.json").read_text())
    except FileNotFoundError:
        raise ConfigError(f"{run}: no config.json there; is it a run folder?") from None
    except json.JSONDecodeError as err:
        raise ConfigError(f"{run / 'config.json'}: damaged ({err})") from None


def resumed_config(run: Path, given: dict, overrides: dict) -> TrainConfig:
    """The run's own settings, with bookkeeping changes from `given` and maths changes only from `overrides`."""
    saved = TrainConfig.from_json(read_run_config(run)["config"], str(run / "config.json"))
    wanted = dataclasses.replace(saved, **{**given, **overrides})
    changed = {k: v for k, v in diff(saved, wanted).items() if k not in overrides}
    if changed:
        lines = "\n".join(f"  {k}: {old!r} -> {new!r}" for k, (old, new) in changed.items())
        raise ConfigError(f"--resume {run}: these settings differ from the run's and would change its maths:\n"
                          f"{lines}\nleave them out, or name each with --override key=value to change it on purpose")
    return dataclasses.replace(wanted, out=str(run))


class RunLog:
    """The one logging path: JSON lines in log.jsonl and the numbers on the progress bar."""

    def __init__(self, path: Path, bar: tqdm | None) -> None:
        self.path, self.bar = path, bar

    def log(self, step: int, **numbers: float) -> None:
        record = {"step": step, **{k: round(v, 5) if isinstance(v, float) else v for k, v in numbers.items()}}
        with open(self.path, "a") as handle:
            handle.write(json.dumps(record) + "\n")
        shown = {k: f"{numbers[k]:.3f}" for k in ("d_loss", "g_loss", "d_real_hair_acc") if k in numbers}
        if self.bar is not None and shown:
            self.bar.set_postfix(shown, refresh=False)


def truncate_log(path: Path, step: int) -> None:
    """Drop log lines after `step` (and torn lines): a resumed run writes them again."""
    if not path.exists():
        return
    kept = []
    for line in path.read_text().splitlines():
        try:
            if json.loads(line)["step"] <= step:
                kept.append(line)
        except (json.JSONDecodeError, KeyError, TypeError):
            continue
    path.write_text("".join(line + "\n" for line in kept))


class StopRequest:
    """Turns the first Ctrl-C into a request to stop after the current step; a second one interrupts."""

    def __init__(self) -> None:
        self.requested = False

    def __enter__(self) -> StopRequest:
        self.previous = signal.signal(signal.SIGINT, self.handle)
        return self

    def handle(self, signum: int, frame: object) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True
        tqdm.write("stopping after this step (Ctrl-C again to stop at once, without a checkpoint)")

    def __exit__(self, *exc: object) -> None:
        signal.signal(signal.SIGINT, self.previous)

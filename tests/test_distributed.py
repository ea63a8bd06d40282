"""Training with torchrun: two CPU processes (gloo) stay identical, and only process 0 writes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from acgan.run.checkpoint import latest_checkpoint, list_checkpoints, load_checkpoint

TINY = ["--device", "cpu", "--resolution", "32", "--width", "8", "--batch-size", "8", "--log-every", "2",
        "--sample-every", "1000", "--checkpoint-every", "3"]


def torchrun(*args: str, processes: int = 2) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={processes}",
               "-m", "acgan", "train", *args]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.run(command, capture_output=True, text=True, timeout=300, env=env)


def test_two_processes_stay_identical_and_resume(small_dataset: Path, tmp_path: Path) -> None:
    run = tmp_path / "run"
    result = torchrun("--data", str(small_dataset), *TINY, "--steps", "6", "--out", str(run))
    assert result.returncode == 0, result.stdout + result.stderr
    names = sorted(p.name for p in (run / "checkpoints").iterdir())
    assert names == ["step-00000003.json", "step-00000003.safetensors",
                     "step-00000006.json", "step-00000006.safetensors"]
    for path in list_checkpoints(run / "checkpoints"):
        checkpoint = load_checkpoint(path)
        assert checkpoint.record.info["replicas_in_sync"] is True
        assert checkpoint.tensors["rng.train"].shape[0] == 2  # each process's random state, for an exact resume
    record = json.loads((run / "config.json").read_text())
    assert record["processes"] == 2
    steps = [json.loads(line)["step"] for line in (run / "log.jsonl").read_text().splitlines()]
    assert steps == [2, 4, 6]  # one log, written by process 0 only
    assert result.stdout.count("finished at step 6") == 1

    result = torchrun("--resume", str(run), "--steps", "9")
    assert result.returncode == 0, result.stdout + result.stderr
    assert latest_checkpoint(run).step == 9 and latest_checkpoint(run).record.info["replicas_in_sync"] is True

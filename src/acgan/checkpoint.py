"""Checkpoints on disk: tensors in safetensors, everything else in JSON, written so a crash never corrupts one.

A checkpoint is a pair in <run>/checkpoints/:

    step-00001000.safetensors   weights, buffers, optimizer moments, RNG states (nothing executable)
    step-00001000.json          format version, step, settings, vocabulary, and the SHA-256 of the
                                safetensors file

Both are written to a temporary name, flushed to disk and renamed; the JSON goes last, so it is the
commit mark: a safetensors file without its JSON, or one whose hash does not match, is not a
checkpoint. Loading a run picks the newest checkpoint that verifies and warns about any newer one
that does not.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_tensors
from safetensors.torch import save as save_tensors

FORMAT_VERSION = 1
NAME = re.compile(r"^step-(\d{8})\.json$")


class CheckpointError(ValueError):
    """A checkpoint that is missing, damaged or of a format this version cannot read."""


@dataclass
class Checkpoint:
    path: Path  # the .json file
    meta: dict[str, Any]
    tensors: dict[str, torch.Tensor]

    @property
    def step(self) -> int:
        return int(self.meta["step"])


def checkpoint_dir(run: Path) -> Path:
    return run / "checkpoints"


def save_checkpoint(directory: Path, step: int, tensors: dict[str, torch.Tensor], meta: dict[str, Any],
                    name: str | None = None) -> Path:
    """Write step-<step> (or `name`) atomically and return the path of its JSON file."""
    directory.mkdir(parents=True, exist_ok=True)
    stem = name or f"step-{step:08d}"
    # A named checkpoint ('best') is rewritten in place: its tensors go to a new file each time, and the
    # JSON, renamed last, switches to it, so a crash in between leaves the old pair whole.
    tensors_file = f"{name}-{step:08d}.safetensors" if name else f"{stem}.safetensors"
    payload = save_tensors({k: v.detach().cpu().contiguous() for k, v in tensors.items()})
    record = {"format": FORMAT_VERSION, "step": step, **meta,
              "tensors_file": tensors_file, "sha256": hashlib.sha256(payload).hexdigest()}
    try:
        write_atomic(directory / tensors_file, payload)
        write_atomic(directory / f"{stem}.json", json.dumps(record, indent=2).encode())
        if name:
            for stale in directory.glob(f"{name}-*.safetensors"):
                if stale.name != tensors_file:
                    stale.unlink()
    except OSError as err:
        kept = [p.name for p in list_checkpoints(directory) if p.stem != stem]
        previous = f"the previous checkpoint {kept[-1]} is intact" if kept else "no earlier checkpoint exists"
        raise CheckpointError(f"cannot write checkpoint {stem} in {directory}: {err.strerror or err}; "
                              f"{previous}") from None
    return directory / f"{stem}.json"


def write_atomic(path: Path, payload: bytes) -> None:
    """Temp file + fsync + rename: readers see the old file or the new one, never half of one."""
    temporary = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        with open(temporary, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def load_checkpoint(path: str | Path) -> Checkpoint:
    """Read and verify one checkpoint, given its .json or .safetensors path."""
    path = Path(path)
    if path.suffix == ".safetensors":
        path = path.with_suffix(".json")
    try:
        meta = json.loads(path.read_text())
    except FileNotFoundError:
        raise CheckpointError(f"{path}: no such checkpoint") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise CheckpointError(f"{path}: checkpoint metadata is damaged ({err})") from None
    check_format(path, meta)
    tensor_path = path.parent / meta["tensors_file"]
    try:
        payload = tensor_path.read_bytes()
    except FileNotFoundError:
        raise CheckpointError(f"{tensor_path}: the weights of checkpoint {path.name} are missing") from None
    if hashlib.sha256(payload).hexdigest() != meta["sha256"]:
        raise CheckpointError(f"{tensor_path}: damaged or half-written (its SHA-256 does not match {path.name})")
    try:
        tensors = load_tensors(payload)
    except SafetensorError as err:
        raise CheckpointError(f"{tensor_path}: not a readable safetensors file ({err})") from None
    return Checkpoint(path=path, meta=meta, tensors=tensors)


def check_format(path: Path, meta: Any) -> None:
    if not isinstance(meta, dict) or not {"format", "step", "tensors_file", "sha256"} <= meta.keys():
        raise CheckpointError(f"{path}: not an acgan checkpoint (fields format, step, tensors_file, sha256 missing)")
    version = meta["format"]
    if version > FORMAT_VERSION:
        raise CheckpointError(f"{path}: written by a newer acgan (checkpoint format {version}, this version "
                              f"reads {FORMAT_VERSION}); upgrade acgan to load it")
    if version < FORMAT_VERSION:
        raise CheckpointError(f"{path}: checkpoint format {version} is older than this acgan reads "
                              f"({FORMAT_VERSION}); load it with the acgan release that wrote it")


def list_checkpoints(directory: Path) -> list[Path]:
    """The step-N checkpoints' JSON files, oldest first."""
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.iterdir() if NAME.match(p.name))


def latest_checkpoint(run: Path) -> Checkpoint:
    """The newest checkpoint of a run that verifies; newer damaged ones are reported and passed over."""
    candidates = list_checkpoints(checkpoint_dir(run))
    if not candidates:
        raise CheckpointError(f"{run}: no checkpoints in {checkpoint_dir(run)} (has this run saved one yet?)")
    problems = []
    for path in reversed(candidates):
        try:
            checkpoint = load_checkpoint(path)
        except CheckpointError as err:
            problems.append(str(err))
            continue
        for problem in problems:
            warnings.warn(f"skipping a damaged checkpoint: {problem}; using {path.name}", stacklevel=2)
        return checkpoint
    raise CheckpointError(f"{run}: every checkpoint is damaged:\n  " + "\n  ".join(problems))


def resolve(path: str | Path, name: str | None = None) -> Checkpoint:
    """A run folder (its newest good checkpoint, or the one called `name`) or a checkpoint file."""
    path = Path(path)
    if path.is_dir():
        if name is not None:
            return load_checkpoint(checkpoint_dir(path) / f"{name}.json")
        return latest_checkpoint(path)
    if path.suffix in (".json", ".safetensors"):
        return load_checkpoint(path)
    raise CheckpointError(f"{path}: neither a run folder nor a checkpoint (.json or .safetensors)")


def prune(directory: Path, keep: int) -> None:
    """Delete all but the newest `keep` step checkpoints (other names, such as 'best', are kept)."""
    for path in list_checkpoints(directory)[:-keep] if keep > 0 else []:
        path.unlink(missing_ok=True)
        path.with_suffix(".safetensors").unlink(missing_ok=True)


def tidy(directory: Path) -> None:
    """Remove what interrupted writes left behind: temporary files, and tensor files no JSON refers to."""
    if not directory.is_dir():
        return
    referenced = set()
    for path in directory.glob("*.json"):
        try:
            referenced.add(json.loads(path.read_text())["tensors_file"])
        except (OSError, ValueError, KeyError, TypeError):
            continue
    for path in directory.iterdir():
        if ".tmp" in path.name or (path.suffix == ".safetensors" and path.name not in referenced):
            path.unlink(missing_ok=True)


def module_tensors(prefix: str, module: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {f"{prefix}.{k}": v for k, v in module.state_dict().items()}


def load_module(prefix: str, module: torch.nn.Module, tensors: dict[str, torch.Tensor]) -> None:
    start = len(prefix) + 1
    state = {k[start:]: v for k, v in tensors.items() if k.startswith(prefix + ".")}
    module.load_state_dict(state)


def optimizer_tensors(prefix: str, optimizer: torch.optim.Optimizer) -> tuple[dict[str, torch.Tensor], dict]:
    """An optimizer's per-parameter state as tensors and its hyper-parameters as JSON."""
    state = optimizer.state_dict()
    tensors = {f"{prefix}.{index}.{key}": value
               for index, slots in state["state"].items() for key, value in slots.items()}
    return tensors, {"param_groups": state["param_groups"]}


def load_optimizer(prefix: str, optimizer: torch.optim.Optimizer, tensors: dict[str, torch.Tensor],
                   meta: dict) -> None:
    state: dict[int, dict[str, torch.Tensor]] = {}
    for key, value in tensors.items():
        head, _, rest = key.partition(".")
        if head == prefix:
            index, _, slot = rest.partition(".")
            state.setdefault(int(index), {})[slot] = value
    groups = [{k: tuple(v) if k == "betas" else v for k, v in group.items()} for group in meta["param_groups"]]
    optimizer.load_state_dict({"state": state, "param_groups": groups})

"""The trained model that ships inside the package, and how any run's generator is packed the same way.

    acgan.load()                     the shipped 64 px generator (docs/MODEL_CARD.md says how it was made)
    acgan generate --hair blue ...   the same, from the command line; any command that takes a run does

A packed generator is a checkpoint of kind "generator": only the weights that draw faces (the moving
average of G when the run keeps one), in fp16, with BatchNorm statistics measured for those weights
(acgan.nets.standing), the run's model, vocabulary and settings and what is known about it (data,
training, scores). The shipped tagger, which judged the shipped model, sits
beside it so `acgan eval` works without training one first.
"""

from __future__ import annotations

import dataclasses
from importlib import resources
from pathlib import Path
from typing import Any

import torch

from acgan.nets import build_generator
from acgan.nets.standing import STANDING_BATCH, STANDING_BATCHES, standing_statistics
from acgan.run.checkpoint import Checkpoint, load_module, module_tensors, save_checkpoint

SHIPPED_NAME = "generator"
TAGGER_NAME = "tagger"


def shipped_folder() -> Path:
    return Path(str(resources.files("acgan") / "shipped"))


def shipped_generator() -> Path:
    """The JSON record of the generator inside the package."""
    return shipped_folder() / f"{SHIPPED_NAME}.json"


def model_path(run: str | Path | None) -> Path:
    """Where a command or `acgan.load` reads a model from: the run folder or file it was given, or, given none,
    the generator shipped inside the package. The one place that decides what "no run" means."""
    return shipped_generator() if run is None else Path(run)


def recorded_model(source: str) -> Path:
    """The model a picture's metadata names (`acgan generate --like` with no run): the path as written when it
    exists from here, else the shipped generator when the name is its public name (records.public_name), else the
    path as written, for `load` to report."""
    path, shipped = Path(source), shipped_generator()
    if not path.exists() and path.parts[-3:] == shipped.parts[-3:]:
        return shipped
    return path


def shipped_tagger() -> Path:
    return shipped_folder() / f"{TAGGER_NAME}.json"


def pack_generator(checkpoint: Checkpoint, folder: Path, info: dict[str, Any] | None = None,
                   name: str = SHIPPED_NAME) -> Path:
    """Write `checkpoint`'s drawing weights as <folder>/<name>.json + its fp16 safetensors, with standing statistics;
    returns the JSON."""
    record = checkpoint.record
    cfg = record.model_config()
    G = build_generator(cfg)
    load_module(record.generator_weights, G, checkpoint.tensors)
    standing_statistics(G, cfg)
    tensors = {key: half(value) for key, value in module_tensors("G", G).items()}
    standing = {"batches": STANDING_BATCHES, "batch": STANDING_BATCH}
    packed = dataclasses.replace(record, kind="generator", generator_weights="G", info={
        **record.info, "packed_from": str(checkpoint.path), "standing_statistics": standing, **(info or {})})
    return save_checkpoint(folder, packed, tensors, name=name)


def half(tensor: torch.Tensor) -> torch.Tensor:
    """fp16 for floating-point tensors (weights, BatchNorm statistics); integer counters stay as they are."""
    return tensor.half() if tensor.is_floating_point() else tensor

"""The trained model that ships inside the package, and how any run's generator is packed the same way.

    acgan.load()                     the shipped 64 px generator (docs/MODEL_CARD.md says how it was made)
    acgan generate --hair blue ...   the same, from the command line; any command that takes a run does

A packed generator is a checkpoint of kind "generator": only the weights that draw faces (the moving
average of G when the run keeps one), in fp16, with BatchNorm statistics measured for those weights
(acgan.nets.standing), the run's model, vocabulary and settings and what is known about it (data,
training, scores). The shipped tagger, which judged the shipped model, sits
beside it so `acgan eval` works without training one first, and so does what the evaluation needs of the
real faces (their tagger-feature statistics), so that it works without the faces too.
"""

from __future__ import annotations

import dataclasses
from importlib import resources
from pathlib import Path
from typing import Any

import torch

from acgan.atomic import check_folder
from acgan.errors import UserError
from acgan.nets import build_generator
from acgan.nets.standing import STANDING_BATCH, STANDING_BATCHES, standing_statistics
from acgan.run.checkpoint import Checkpoint, load_module, module_tensors, save_checkpoint

SHIPPED_NAME = "generator"
TAGGER_NAME = "tagger"
REFERENCE_NAME = "reference"


def shipped_folder() -> Path:
    return Path(str(resources.files("acgan") / "shipped"))


def shipped_generator() -> Path:
    """The JSON record of the generator inside the package."""
    return shipped_folder() / f"{SHIPPED_NAME}.json"


def model_path(run: str | Path | None) -> Path:
    """Where a command or `acgan.load` reads a model from: the run folder or file it was given, or, given none,
    the generator shipped inside the package. The one place that decides what "no run" means."""
    return shipped_generator() if run is None else Path(run)


def recorded_model(source: str, picture: Path) -> Path:
    """The model a picture's metadata names (`acgan generate --like` with no run). Pictures name it publicly
    (records.public_name: from the working folder, else its last three parts), so it is looked for from here, then
    from the picture's folder and the folders above it; a public name of the shipped generator is that one."""
    path, shipped = Path(source), shipped_generator()
    found = next((place for place in (path, *(folder / path for folder in picture.resolve().parents))
                  if place.exists()), None)
    if found is not None:
        return found
    if path.parts[-3:] == shipped.parts[-3:]:
        return shipped
    raise UserError(f"{picture} was drawn by {source}, found neither from here nor beside the picture; name the "
                    f"model: acgan generate RUN --like {picture}")


def shipped_tagger() -> Path:
    return shipped_folder() / f"{TAGGER_NAME}.json"


def reference_beside(generator: Path) -> Path:
    """Where a packed generator keeps what `acgan eval` needs of the real faces it learned from (their statistics
    under the shipped tagger, acgan.judge.reference), so that evaluating it needs no faces on the machine; the
    shipped generator has one."""
    return generator.with_name(f"{REFERENCE_NAME}.json")


def pack_generator(checkpoint: Checkpoint, folder: Path, info: dict[str, Any] | None = None,
                   name: str = SHIPPED_NAME) -> Path:
    """Write `checkpoint`'s drawing weights as <folder>/<name>.json + its fp16 safetensors, with standing statistics;
    returns the JSON. A folder that cannot be one is refused first, before the statistics take their seconds."""
    check_folder(folder)
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

"""Checkpoints on disk: tensors in safetensors, a typed record in JSON, written so a crash never corrupts one.

A checkpoint is a pair in one folder:

    step-00001000.safetensors   weights, buffers, optimizer moments, RNG states (nothing executable)
    step-00001000.json          the `Record`: kind, step, model, vocabulary, settings, and the name
                                and SHA-256 of the safetensors file

Both are written whole or not at all (acgan.atomic); the JSON goes last, so it is the
commit mark: a safetensors file without its JSON, or one whose hash does not match, is not a
checkpoint. Nothing in a checkpoint is trusted before it is checked: the record against its schema,
the tensors file confined to the record's own folder and read with a bound, the tensors' names and
shapes against the networks the record describes. Loading a run picks the newest checkpoint that
passes and warns about any newer one that does not.
"""

from __future__ import annotations

import hashlib
import json
import re
import stat
import warnings
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_tensors
from safetensors.torch import save as save_tensors
from torch.overrides import TorchFunctionMode

from acgan.atomic import check_folder, write_atomic
from acgan.data.text import read_at_most
from acgan.data.vocab import Vocabulary
from acgan.errors import UserError
from acgan.nets import ModelConfig, build_generator, build_networks

FORMAT_VERSION = 2  # 2: the typed record; 1 (read, never written): the same facts in an untyped dict
KINDS = ("training", "tagger", "generator")
NAME = re.compile(r"^step-(\d{8})\.json$")
TENSORS_NAME = re.compile(r"^[A-Za-z0-9_-]+-\d{8}\.safetensors$")  # step-00000500, best-00000500, ...
TEMPORARY = re.compile(r"^\..+\.tmp\d+$")  # what write_atomic writes first
TENSORS_FILE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*\.safetensors$")
SHA256 = re.compile(r"^[0-9a-f]{64}$")
MAX_RECORD_BYTES = 4 * 2**20
MAX_TENSORS_BYTES = 4 * 2**30


class CheckpointError(UserError):
    """A checkpoint that is missing, damaged, of a format this version cannot read, or not what it claims."""


@dataclass(frozen=True)
class Record:
    """The JSON half of a checkpoint, every field typed.

    kind        "training" (a run's whole state), "generator" (only the weights that draw faces) or
                "tagger" (the judge)
    model       the network's own settings: ModelConfig's fields, or the tagger's (its owner checks them)
    settings    the resolved settings of the run it comes from; {} for a tagger
    info        what a person may want to know (data, scores, notes); only a format-1 checkpoint's
                optimizer and loss-scale numbers, which that format kept in JSON, are read back from it
    """

    kind: str
    step: int
    vocab: Vocabulary
    model: dict[str, Any]
    tensors_file: str = ""
    sha256: str = ""
    generator_weights: str = "G"  # the tensors that draw faces: "G", or "G_ema" when the run keeps an average
    settings: dict[str, Any] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)
    format: int = FORMAT_VERSION

    def model_config(self) -> ModelConfig:
        """The generator's (and discriminator's) settings; a CheckpointError when they are not valid."""
        try:
            return ModelConfig.from_json(self.model)
        except (TypeError, ValueError) as err:
            raise CheckpointError(f"its model settings are not valid ({err})") from None

    def to_json(self) -> dict[str, Any]:
        record = asdict(self)
        record["vocab"] = self.vocab.to_json()
        return record


def parse_record(data: Any) -> Record:
    """A Record from a checkpoint's JSON (this format or format 1), or a CheckpointError naming the field."""
    if not isinstance(data, dict):
        raise CheckpointError("not an acgan checkpoint (expected a JSON object)")
    version = data.get("format")
    if type(version) is not int:
        raise CheckpointError(f"field 'format' must be an integer, got {version!r}")
    if version > FORMAT_VERSION:
        raise CheckpointError(f"written by a newer acgan (checkpoint format {version}, this version reads "
                              f"{FORMAT_VERSION} and older); upgrade acgan to load it")
    if version < 1:
        raise CheckpointError(f"checkpoint format {version} is not one acgan ever wrote")
    fields = data if version == FORMAT_VERSION else _from_format_1(data)
    kind = _typed(fields, "kind", str)
    if kind not in KINDS:
        raise CheckpointError(f"field 'kind' must be one of {', '.join(KINDS)}, got {kind!r}")
    vocab_json = _typed(fields, "vocab", dict)  # outside the try: its own message, not wrapped in the one below
    try:
        vocab = Vocabulary.from_json(vocab_json)
    except (KeyError, TypeError, ValueError) as err:
        raise CheckpointError(f"field 'vocab' is not a vocabulary ({err})") from None
    record = Record(
        kind=kind, step=_typed(fields, "step", int), vocab=vocab, model=_typed(fields, "model", dict),
        tensors_file=_typed(fields, "tensors_file", str), sha256=_typed(fields, "sha256", str),
        generator_weights=_typed(fields, "generator_weights", str, "G"),
        settings=_typed(fields, "settings", dict, {}), info=_typed(fields, "info", dict, {}))
    if record.step < 0:
        raise CheckpointError(f"field 'step' must not be negative, got {record.step}")
    if not TENSORS_FILE.match(record.tensors_file):
        raise CheckpointError(f"field 'tensors_file' must name a .safetensors file in the checkpoint's own "
                              f"folder, got {record.tensors_file!r}")
    if not SHA256.match(record.sha256):
        raise CheckpointError(f"field 'sha256' must be 64 hexadecimal digits, got {record.sha256!r}")
    if record.generator_weights not in ("G", "G_ema"):
        raise CheckpointError(f"field 'generator_weights' must be 'G' or 'G_ema', got {record.generator_weights!r}")
    return record


def _typed(fields: dict[str, Any], name: str, kind: type, default: Any = ...) -> Any:
    if name not in fields:
        if default is ...:
            raise CheckpointError(f"field {name!r} is missing")
        return default
    value = fields[name]
    if type(value) is not kind:  # exact: a bool is not an int here
        raise CheckpointError(f"field {name!r} must be {kind.__name__}, got {type(value).__name__} {value!r:.60}")
    return value


def _from_format_1(data: dict[str, Any]) -> dict[str, Any]:
    """Format 1 kept the same facts under other keys: the tagger's settings under 'tagger', a run's under
    'config', everything else (optimizer and loss-scale numbers among them) beside them."""
    tagger = data.get("kind") == "tagger"
    known = {"format", "kind", "step", "vocab", "model", "tagger", "config", "tensors_file", "sha256",
             "generator_weights"}
    return {"kind": "tagger" if tagger else "training", "step": data.get("step"), "vocab": data.get("vocab"),
            "model": data.get("tagger") if tagger else data.get("model"), "settings": data.get("config", {}),
            "tensors_file": data.get("tensors_file"), "sha256": data.get("sha256"),
            "generator_weights": data.get("generator_weights", "G"),
            "info": {key: value for key, value in data.items() if key not in known}}


@dataclass
class Checkpoint:
    path: Path  # the .json file
    record: Record
    tensors: dict[str, torch.Tensor]

    @property
    def step(self) -> int:
        return self.record.step


def checkpoint_dir(run: Path) -> Path:
    return run / "checkpoints"


def run_of(checkpoint: Path) -> Path | None:
    """The run folder a checkpoint file belongs to; None for a record outside any run (a packed model, or the
    one shipped inside the package)."""
    run = checkpoint.parent.parent
    return run if checkpoint.parent == checkpoint_dir(run) else None


def save_checkpoint(directory: Path, record: Record, tensors: dict[str, torch.Tensor], name: str | None = None) -> Path:
    """Write step-<step> (or `name`) atomically and return the path of its JSON file."""
    check_folder(directory)
    stem = name or f"step-{record.step:08d}"
    # A named checkpoint ('best') is rewritten in place: its tensors go to a new file each time, and the
    # JSON, renamed last, switches to it, so a crash in between leaves the old pair whole.
    tensors_file = f"{name}-{record.step:08d}.safetensors" if name else f"{stem}.safetensors"
    payload = save_tensors({k: v.detach().cpu().contiguous() for k, v in tensors.items()})
    record = replace(record, tensors_file=tensors_file, sha256=hashlib.sha256(payload).hexdigest())
    replaced = tensors_file_of(directory / f"{stem}.json")
    try:
        write_atomic(directory / tensors_file, payload)
        write_atomic(directory / f"{stem}.json", json.dumps(record.to_json(), indent=2).encode())
        if replaced is not None and replaced != tensors_file:  # the old JSON's own file, never a lookalike
            (directory / replaced).unlink(missing_ok=True)
    except OSError as err:
        kept = [p.name for p in list_checkpoints(directory) if p.stem != stem]
        previous = f"the previous checkpoint {kept[-1]} is intact" if kept else "no earlier checkpoint exists"
        raise CheckpointError(f"cannot write checkpoint {stem} in {directory}: {err.strerror or err}; "
                              f"{previous}") from None
    return directory / f"{stem}.json"


def tensors_file_of(record: Path) -> str | None:
    """The tensors file an existing checkpoint JSON names, if it is one acgan writes (a plain name in its folder)."""
    try:
        name = json.loads(record.read_bytes())["tensors_file"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return name if isinstance(name, str) and TENSORS_NAME.match(name) else None


def read_bounded(path: Path, limit: int, what: str) -> bytes:
    """A regular file's bytes, refusing anything else (a device, a folder) and anything over `limit`."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise CheckpointError(f"{path}: no such {what}") from None
    except OSError as err:
        raise CheckpointError(f"{path}: cannot read the {what} ({err.strerror or err})") from None
    if not stat.S_ISREG(info.st_mode):
        raise CheckpointError(f"{path}: the {what} is not a regular file")
    if info.st_size > limit:
        raise CheckpointError(f"{path}: the {what} is {info.st_size:,} bytes, more than the {limit:,} acgan reads")
    try:
        with open(path, "rb") as handle:
            return read_at_most(handle, limit)
    except OSError as err:
        raise CheckpointError(f"{path}: cannot read the {what} ({err.strerror or err})") from None


def load_checkpoint(path: str | Path) -> Checkpoint:
    """Read and verify one checkpoint, given its .json or .safetensors path."""
    path = Path(path)
    if path.suffix == ".safetensors":
        path = path.with_suffix(".json")
    text = read_bounded(path, MAX_RECORD_BYTES, "checkpoint record")
    try:
        record = parse_record(json.loads(text))
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as err:
        raise CheckpointError(f"{path}: checkpoint record is damaged ({err})") from None
    except CheckpointError as err:
        raise CheckpointError(f"{path}: {err}") from None
    tensor_path = path.parent / record.tensors_file
    if tensor_path.resolve().parent != path.parent.resolve():
        raise CheckpointError(f"{path}: its tensors file {record.tensors_file} lies outside {path.parent}")
    try:
        payload = read_bounded(tensor_path, MAX_TENSORS_BYTES, f"weights of checkpoint {path.name}")
    except CheckpointError as err:
        raise CheckpointError(str(err).replace("no such weights", "missing: the weights")) from None
    if hashlib.sha256(payload).hexdigest() != record.sha256:
        raise CheckpointError(f"{tensor_path}: damaged or half-written (its SHA-256 does not match {path.name})")
    try:
        tensors = load_tensors(payload)
    except SafetensorError as err:
        raise CheckpointError(f"{tensor_path}: not a readable safetensors file ({err})") from None
    if record.kind != "tagger":
        try:
            check_tensors(record, tensors)
        except CheckpointError as err:
            raise CheckpointError(f"{path}: {err}") from None
    return Checkpoint(path=path, record=record, tensors=tensors)


def check_tensors(record: Record, tensors: dict[str, torch.Tensor]) -> None:
    """The networks the record describes must find every tensor they need, of the right shape."""
    cfg = record.model_config()
    # D only for a training checkpoint: spectral norm's power iterations on the meta device import torch._dynamo
    # (2-3 s), as does a normal_ initialisation there (ShapesOnly skips those).
    with torch.device("meta"), ShapesOnly():
        G = build_generator(cfg)
        expected = module_shapes(record.generator_weights, G)
        if record.kind == "training":
            _, D = build_networks(cfg)
            expected |= module_shapes("G", G) | module_shapes("D", D)
    for name, shape in expected.items():
        if name not in tensors:
            raise CheckpointError(f"its tensors lack {name} (they do not belong to the model it describes)")
        if tuple(tensors[name].shape) != shape:
            raise CheckpointError(f"tensor {name} is {tuple(tensors[name].shape)}, the model it describes needs "
                                  f"{shape} (width {record.model.get('width')}?)")


class ShapesOnly(TorchFunctionMode):
    """Modules built for their shapes alone (on the meta device): random initialisation with normal_ is skipped,
    since on the meta device it imports torch._dynamo, which made loading the shipped generator take 2 s longer."""

    def __torch_function__(self, func: Any, types: Any, args: tuple = (), kwargs: dict | None = None) -> Any:
        kwargs = kwargs or {}
        if func in (torch.Tensor.normal_, torch.nn.init.normal_):
            return args[0] if args else kwargs["tensor"]
        return func(*args, **kwargs)


def module_shapes(prefix: str, module: torch.nn.Module) -> dict[str, tuple[int, ...]]:
    return {f"{prefix}.{k}": tuple(v.shape) for k, v in module.state_dict().items()}


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


def find_checkpoint(path: str | Path, name: str | None = None) -> Checkpoint:
    """A run folder (its newest good checkpoint, or the one called `name`) or a checkpoint file."""
    path = Path(path)
    if path.is_dir():
        if name is not None:
            return load_checkpoint(checkpoint_dir(path) / f"{name}.json")
        return latest_checkpoint(path)
    if path.suffix in (".json", ".safetensors"):
        return load_checkpoint(path)
    if not path.exists():
        raise CheckpointError(f"{path}: no such run folder or checkpoint")
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
        if TEMPORARY.match(path.name) or (TENSORS_NAME.match(path.name) and path.name not in referenced):
            path.unlink(missing_ok=True)


def module_tensors(prefix: str, module: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {f"{prefix}.{k}": v for k, v in module.state_dict().items()}


def load_module(prefix: str, module: torch.nn.Module, tensors: dict[str, torch.Tensor]) -> None:
    start = len(prefix) + 1
    state = {k[start:]: v for k, v in tensors.items() if k.startswith(prefix + ".")}
    try:
        module.load_state_dict(state)
    except RuntimeError as err:
        raise CheckpointError(f"the tensors under {prefix!r} do not fit the network ({str(err).splitlines()[0]})") \
            from None

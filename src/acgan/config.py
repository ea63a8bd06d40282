"""Every training setting in one typed place: defaults here, then a JSON file, then command-line flags.

`TrainConfig` is the single source of truth. The CLI builds its `train` options from these fields
(their help text lives in the field metadata), a run folder stores the resolved config as
config.json before step 0, and a resumed run reloads it. Unknown keys and wrong types fail loudly.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


def _opt(default: Any, help: str) -> Any:
    return field(default=default, metadata={"help": help})


@dataclass
class TrainConfig:
    # Data
    data: str | None = _opt(None, "Folder holding tags.csv and faces/; the built-in procedural faces when absent.")
    vocab: str = _opt("default", "Colours: 'default' (12 hair, 11 eyes), 'auto' (from the data) or a JSON file.")
    skip_bad: bool = _opt(False, "Skip unreadable rows and images (counted and reported) instead of stopping.")
    builtin_faces: int = _opt(12_000, "How many procedural faces the built-in data holds.")
    # Recipe
    recipe: str | None = _opt(None, "'classic' (the tutorial's DCGAN ACGAN) or 'modern' (residual G with "
                                    "conditional BatchNorm, spectral-norm D with projection, hinge loss, "
                                    "DiffAugment, EMA). Default: modern on your data, classic on the built-in faces.")
    # Model
    resolution: int | None = _opt(None, "Image size: 32, 64 or 128 (default 64 for real data, 32 for built-in).")
    width: int | None = _opt(None, "Channels of the widest-resolution layer (default 64 for real data, 32 built-in).")
    z_dim: int = _opt(100, "Length of the Gaussian noise vector.")
    label_dim: int = _opt(16, "Length of each learned label embedding (hair, eyes).")
    # Optimisation
    steps: int | None = _opt(None, "Training steps (default 20000 for real data, 2500 built-in).")
    batch_size: int = _opt(64, "Images per step for D's real batch, D's fake batch and G.")
    lr_g: float | None = _opt(None, "Adam learning rate of the generator (classic 1.5e-4, modern 1e-4).")
    lr_d: float | None = _opt(None, "Adam learning rate of the discriminator (classic 2e-4, modern 4e-4).")
    beta1: float | None = _opt(None, "Adam beta1, both networks (classic 0.5, modern 0).")
    beta2: float | None = _opt(None, "Adam beta2, both networks (classic 0.999, modern 0.9).")
    augment: str | None = _opt(None, "Augmentations of every image D sees: 'translation', 'cutout', both, or "
                                     "'none' (classic none, modern translation).")
    ema: float | None = _opt(None, "Decay of the moving average of G's weights used to draw faces; 0: none "
                                   "(classic 0, modern 0.999).")
    real_target_min: float = _opt(0.8, "Smoothed 'real' targets for D are drawn from [min, max].")
    real_target_max: float = _opt(1.0, "Upper end of D's 'real' targets.")
    fake_target_min: float = _opt(0.0, "Smoothed 'fake' targets for D are drawn from [min, max].")
    fake_target_max: float = _opt(0.2, "Upper end of D's 'fake' targets.")
    validity_weight: float = _opt(1.4, "Weight of the real/fake loss.")
    class_weight: float = _opt(0.8, "Weight of each label loss (hair, eyes).")
    fake_label_weight: float = _opt(0.0, "Weight of D's label loss on G's images relative to real ones "
                                         "(the tutorial's 1 lets D and G agree on a private code).")
    mode_seeking: float | None = _opt(None, "Weight of G's reward for drawing different faces from different "
                                            "noise with the same colours (MSGAN); 0: off (classic 0, modern 1).")
    seed: int = _opt(0, "Seed of every random choice: weights, batches, noise, labels.")
    # Bookkeeping
    out: str | None = _opt(None, "Run folder (default runs/<date>-<time>).")
    log_every: int = _opt(25, "Steps between log lines (and progress-bar updates).")
    sample_every: int = _opt(500, "Steps between sample grids.")
    checkpoint_every: int = _opt(500, "Steps between checkpoints.")
    keep_checkpoints: int = _opt(3, "How many of the newest step checkpoints to keep (and 'best', always).")
    device: str = _opt("auto", "Device: 'auto' (cuda when available), 'cpu', 'cuda', 'cuda:1', ...")
    precision: str = _opt("auto", "fp32, bf16 or fp16 ('auto': bf16 on CUDA, fp32 on the CPU); losses stay fp32.")
    compile: str = _opt("auto", "torch.compile: 'on', 'off' or 'auto' (on for CUDA); failures fall back to eager.")
    max_bad_steps: int = _opt(20, "Stop after this many steps in a row with non-finite losses or gradients.")
    eval_every: int = _opt(0, "Steps between light evaluations that keep a 'best' checkpoint "
                                  "(needs --tagger); 0: none.")
    tagger: str | None = _opt(None, "Tagger folder for --eval-every (from `acgan tagger train`).")

    def resolved(self) -> TrainConfig:
        """Fill the defaults that depend on the data and the recipe (None) with concrete values."""
        builtin = self.data is None
        # Modern beat classic on real faces at equal time on every measure (docs/RESULTS.md); the
        # demo's short run on the built-in faces keeps the classic recipe, which steps twice as fast.
        name = self.recipe or ("classic" if builtin else "modern")
        if name not in RECIPES:
            raise ConfigError(f"recipe must be one of {', '.join(RECIPES)}, got {name!r}")
        recipe = {k: v for k, v in RECIPES[name].items() if getattr(self, k) is None}
        filled = dataclasses.replace(
            self,
            recipe=name,
            resolution=self.resolution or (32 if builtin else 64),
            width=self.width or (32 if builtin else 64),
            steps=self.steps or (2500 if builtin else 20_000),
            **recipe,
        )
        filled.validate()
        return filled

    def validate(self) -> None:
        problems = []
        if self.resolution is not None and self.resolution not in (32, 64, 128):
            problems.append(f"resolution must be 32, 64 or 128, got {self.resolution}")
        if self.eval_every and not self.tagger:
            problems.append("eval_every needs a tagger (--tagger DIR, from `acgan tagger train`)")
        if self.eval_every < 0:
            problems.append(f"eval_every must not be negative, got {self.eval_every}")
        if self.precision not in ("auto", "fp32", "bf16", "fp16"):
            problems.append(f"precision must be auto, fp32, bf16 or fp16, got {self.precision!r}")
        if self.compile not in ("auto", "on", "off"):
            problems.append(f"compile must be auto, on or off, got {self.compile!r}")
        for name in ("width", "z_dim", "label_dim", "steps", "batch_size", "builtin_faces",
                     "log_every", "sample_every", "checkpoint_every", "max_bad_steps", "keep_checkpoints"):
            value = getattr(self, name)
            if value is not None and value < 1:
                problems.append(f"{name} must be at least 1, got {value}")
        for name in ("validity_weight", "class_weight", "fake_label_weight", "mode_seeking"):
            if getattr(self, name) is not None and getattr(self, name) < 0:
                problems.append(f"{name} must not be negative, got {getattr(self, name)}")
        for name in ("lr_g", "lr_d"):
            if getattr(self, name) is not None and not getattr(self, name) > 0:
                problems.append(f"{name} must be positive, got {getattr(self, name)}")
        for name in ("beta1", "beta2", "ema"):
            if getattr(self, name) is not None and not 0 <= getattr(self, name) < 1:
                problems.append(f"{name} must be in [0, 1), got {getattr(self, name)}")
        for low, high in (("real_target_min", "real_target_max"), ("fake_target_min", "fake_target_max")):
            if not 0 <= getattr(self, low) <= getattr(self, high) <= 1:
                problems.append(f"need 0 <= {low} <= {high} <= 1")
        if problems:
            raise ConfigError("; ".join(problems))

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any], source: str = "config") -> TrainConfig:
        return cls(**{key: coerce(key, value, source) for key, value in data.items()})


# What each recipe means for the settings left at 'auto'. The architecture and the real/fake loss
# follow the recipe name itself (models.ARCHITECTURES, losses.OBJECTIVES).
RECIPES: dict[str, dict[str, Any]] = {
    "classic": {"lr_g": 1.5e-4, "lr_d": 2e-4, "beta1": 0.5, "beta2": 0.999, "augment": "none", "ema": 0.0,
                "mode_seeking": 0.0},
    # Cutout is left out on purpose: a square of half the image hides an eye as often as not, and then
    # the label names a colour D cannot see (measured: eyes read back 47% with it, 77% without).
    "modern": {"lr_g": 1e-4, "lr_d": 4e-4, "beta1": 0.0, "beta2": 0.9, "augment": "translation", "ema": 0.999,
               "mode_seeking": 1.0},
}
OBJECTIVE_OF_RECIPE = {"classic": "bce", "modern": "hinge"}


class ConfigError(ValueError):
    """A setting that is unknown, of the wrong type or out of range."""


# Settings that change what is computed, not just how often it is logged or where it runs.
# A resumed run refuses to change these without an explicit override.
BOOKKEEPING_FIELDS = frozenset({"out", "steps", "log_every", "sample_every", "checkpoint_every", "device",
                                "eval_every", "tagger", "compile", "max_bad_steps", "keep_checkpoints"})


def field_types() -> dict[str, Any]:
    hints = typing.get_type_hints(TrainConfig)
    return {f.name: hints[f.name] for f in dataclasses.fields(TrainConfig)}


def coerce(key: str, value: Any, source: str = "config") -> Any:
    """Check that `value` fits field `key` (parsing strings from the command line)."""
    types_by_name = field_types()
    if key not in types_by_name:
        raise ConfigError(f"{source}: unknown setting {key!r}; known: {', '.join(types_by_name)}")
    hint = types_by_name[key]
    allowed = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
    if value is None:
        if type(None) in allowed:
            return None
        raise ConfigError(f"{source}: {key} cannot be empty")
    for kind in allowed:
        if kind is type(None):
            continue
        parsed = _parse(value, kind)
        if parsed is not _FAIL:
            return parsed
    names = " or ".join(k.__name__ for k in allowed if k is not type(None))
    raise ConfigError(f"{source}: {key} must be {names}, got {value!r}")


_FAIL = object()


def _parse(value: Any, kind: type) -> Any:
    if isinstance(value, str) and kind is not str:
        text = value.strip().lower()
        if kind is bool:
            return {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}.get(text, _FAIL)
        try:
            return kind(text)
        except ValueError:
            return _FAIL
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, kind) and not (kind is int and isinstance(value, bool)):
        return value
    return _FAIL


def load_config_file(path: str | Path) -> dict[str, Any]:
    """Read a JSON file of settings (a partial TrainConfig), checking every key and type."""
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such config file") from None
    except json.JSONDecodeError as err:
        raise ConfigError(f"{path}: line {err.lineno}: not valid JSON ({err.msg})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a JSON object of settings")
    return {key: coerce(key, value, str(path)) for key, value in data.items()}


def diff(old: TrainConfig, new: TrainConfig, ignore: frozenset[str] = BOOKKEEPING_FIELDS) -> dict[str, tuple]:
    """Settings whose values differ, as {name: (old, new)}, leaving out `ignore`."""
    return {
        f.name: (getattr(old, f.name), getattr(new, f.name))
        for f in dataclasses.fields(TrainConfig)
        if f.name not in ignore and getattr(old, f.name) != getattr(new, f.name)
    }

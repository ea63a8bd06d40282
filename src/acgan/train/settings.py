"""Every training setting in one typed place, and the one path from what a user asked for to what a run uses.

    options (flags, a JSON file: a partial dict, "auto" where not given)
        -> resolve(**options) -> Settings      every field concrete; the recipe's defaults filled in
        -> a run folder stores it in config.json; resume_settings() reads it back and applies changes

`Settings` is the single source of truth: the CLI builds its `train` options from its fields (help
text in the field metadata), and what a recipe means lives in one table, RECIPES. Unknown keys,
wrong types, values out of range and settings that would do nothing under the chosen recipe are
refused with a message naming the setting.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
import warnings
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from acgan.errors import ConfigError, shown


@dataclass(frozen=True)
class Recipe:
    """What a recipe name means: its networks, its real/fake loss and the defaults of its settings."""

    arch: str  # a key of acgan.nets.ARCHITECTURES
    objective: str  # a key of acgan.train.losses.OBJECTIVES
    noise_in_blocks: bool  # modern G: the noise conditions every BatchNorm, not only the first layer
    smoothed_targets: bool  # whether the loss reads the smoothed real/fake targets (BCE does, hinge does not)
    lr_g: float
    lr_d: float
    beta1: float
    beta2: float
    augment: str
    ema_half_life: float
    mode_seeking: float
    class_loss: str
    fake_pairs: str

    def defaults(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in RECIPE_DEFAULTS}


RECIPE_DEFAULTS = ("lr_g", "lr_d", "beta1", "beta2", "augment", "ema_half_life", "mode_seeking", "class_loss",
                   "fake_pairs")
RECIPES = {
    "classic": Recipe(arch="classic", objective="bce", noise_in_blocks=False, smoothed_targets=True, lr_g=1.5e-4,
                      lr_d=2e-4, beta1=0.5, beta2=0.999, augment="none", ema_half_life=0.0, mode_seeking=0.0,
                      class_loss="ce", fake_pairs="uniform"),
    # Cutout is left out on purpose: a square of half the image hides an eye as often as not, and then
    # the label names a colour D cannot see (measured: eyes read back 47% with it, 77% without).
    # The average's half-life of 44,000 images is the decay 0.999 per step of 64 it replaces.
    "modern": Recipe(arch="modern", objective="hinge", noise_in_blocks=True, smoothed_targets=False, lr_g=1e-4,
                     lr_d=4e-4, beta1=0.0, beta2=0.9, augment="translation", ema_half_life=44_000.0,
                     mode_seeking=1.0, class_loss="ce", fake_pairs="uniform"),
}


def _setting(default: Any, help: str) -> Any:
    return field(default=default, metadata={"help": help})


def _auto(help: str) -> Any:
    """A setting whose default depends on the data or the recipe: no dataclass default, resolve() fills it."""
    return field(metadata={"help": help, "auto": True})


@dataclass(frozen=True, kw_only=True)
class Settings:
    """A run's settings, all resolved. Build one with resolve(); a run folder stores it as JSON."""

    # Data
    data: str | None = _setting(None, "Folder holding tags.csv and faces/; the built-in procedural faces when absent.")
    vocab: str = _setting("default", "Colours: 'default' (12 hair, 11 eyes), 'auto' (from the data) or a JSON file.")
    skip_bad: bool = _setting(False, "Skip unreadable rows and images (counted and reported) instead of stopping.")
    builtin_faces: int = _setting(12_000, "How many procedural faces the built-in data holds.")
    # Recipe and model
    recipe: str = _auto("'classic' (the tutorial's DCGAN ACGAN) or 'modern' (residual G with conditional BatchNorm, "
                        "spectral-norm D with projection, hinge loss, DiffAugment, EMA). Default: modern on your "
                        "data, classic on the built-in faces.")
    resolution: int = _auto("Image size: 32, 64 or 128 (default 64 for real data, 32 for built-in).")
    width: int = _auto("Channels of the widest-resolution layer (default 64 for real data, 32 built-in).")
    z_dim: int = _setting(100, "Length of the Gaussian noise vector.")
    label_dim: int = _setting(16, "Length of each learned label embedding (hair, eyes).")
    # Optimisation
    steps: int = _auto("Training steps (default 20000 for real data, 2500 built-in).")
    minutes: float = _setting(0.0, "Stop after this many minutes of training in this session, with a checkpoint, "
                                   "even before --steps; 0: no time limit.")
    batch_size: int = _setting(64, "Images per step for D's real batch, D's fake batch and G.")
    lr_g: float = _auto("Adam learning rate of the generator (classic 1.5e-4, modern 1e-4).")
    lr_d: float = _auto("Adam learning rate of the discriminator (classic 2e-4, modern 4e-4).")
    beta1: float = _auto("Adam beta1, both networks (classic 0.5, modern 0).")
    beta2: float = _auto("Adam beta2, both networks (classic 0.999, modern 0.9).")
    augment: str = _auto("Augmentations of every image D sees: 'translation', 'cutout', both, or 'none' "
                         "(classic none, modern translation).")
    ema_half_life: float = _auto("Half-life, in images, of the moving average of G's weights that draws faces (so a "
                                 "bigger batch keeps its meaning); 0: none (classic 0, modern 44000).")
    real_target_min: float = _setting(0.8, "Smoothed 'real' targets for D are drawn from [min, max] "
                                           "(classic recipe: the hinge loss has no targets).")
    real_target_max: float = _setting(1.0, "Upper end of D's 'real' targets (classic recipe).")
    fake_target_min: float = _setting(0.0, "Smoothed 'fake' targets for D are drawn from [min, max] (classic recipe).")
    fake_target_max: float = _setting(0.2, "Upper end of D's 'fake' targets (classic recipe).")
    validity_weight: float = _setting(1.4, "Weight of the real/fake loss.")
    class_weight: float = _setting(0.8, "Weight of each label loss (hair, eyes).")
    fake_label_weight: float = _setting(0.0, "Weight of D's label loss on G's images relative to real ones "
                                             "(the tutorial's 1 lets D and G agree on a private code).")
    mode_seeking: float = _auto("Weight of G's reward for drawing different faces from different noise with the "
                                "same colours (MSGAN); 0: off (classic 0, modern 1; 1 on the built-in faces).")
    class_loss: str = _auto("How colours are learned: 'ce' (D names real faces' colours, G is paid when D reads its "
                            "colours back) or 'adc' (D names 'real k' and 'fake k' for every colour, G is paid for "
                            "faces whose colours read as real ones': ADC-GAN). Default: ce.")
    fake_pairs: str = _auto("Which colour pairs G is asked for: 'uniform' (all pairs alike, those without a real face "
                            "too) or 'data^A' (a pair with c real faces in proportion to c^A: 0 every pair that has "
                            "faces alike, 1 as often as in the data). Default: uniform.")
    seed: int = _setting(0, "Seed of every random choice: weights, batches, noise, labels.")
    # Bookkeeping
    out: str = _auto("Run folder (default runs/<date>-<time>).")
    log_every: int = _setting(25, "Steps between log lines (and progress-bar updates).")
    sample_every: int = _setting(500, "Steps between sample grids.")
    checkpoint_every: int = _setting(500, "Steps between checkpoints.")
    keep_checkpoints: int = _setting(3, "How many of the newest step checkpoints to keep (and 'best', always).")
    device: str = _setting("auto", "Device: 'auto' (cuda when available), 'cpu', 'cuda', 'cuda:1', ...")
    precision: str = _setting("auto", "fp32, bf16 or fp16 ('auto': bf16 on CUDA and on CPUs with bf16 units, else "
                                      "fp32); losses stay fp32.")
    compile: str = _setting("auto", "How a step runs: 'off' (eager), 'modules' (each network compiled), 'step' (the "
                                    "whole step compiled as one graph), 'graph' / 'step-graph' (CUDA: the eager / "
                                    "compiled step captured as one CUDA graph); 'auto': what measured fastest here.")
    max_bad_steps: int = _setting(20, "Stop after this many steps in a row with non-finite losses or gradients.")
    eval_every: int = _setting(0, "Steps between light evaluations that keep a 'best' checkpoint (needs --tagger); "
                                  "0: none.")
    tagger: str | None = _setting(None, "Tagger folder for --eval-every (from `acgan tagger train`).")

    @property
    def recipe_spec(self) -> Recipe:
        return RECIPES[self.recipe]

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: Any, source: str) -> Settings:
        """Settings a run folder stored; a missing or unknown key or a wrong type names `source`."""
        if not isinstance(data, dict):
            raise ConfigError(f"{source}: expected an object of settings")
        data = upgraded(data)
        missing = [f.name for f in dataclasses.fields(cls) if f.name not in data]
        if missing:
            raise ConfigError(f"{source}: settings missing: {', '.join(missing)}")
        settings = cls(**{key: coerce(key, value, source) for key, value in data.items()})
        settings.validate(source)
        return settings

    def validate(self, source: str = "settings") -> None:
        problems = range_problems(self)
        if problems:
            raise ConfigError(f"{source}: " + "; ".join(problems))


# On the built-in faces the classic recipe alone collapsed to one face per colour pair within the demo's 2,500
# steps (pixel spread 0.21 of real faces'); its mode-seeking term keeps them apart (0.99) at no extra cost.
BUILTIN_DEFAULTS = {"mode_seeking": 1.0}
COMPILE_MODES = ("auto", "off", "modules", "step", "graph", "step-graph")
LEGACY_COMPILE = {"on": "modules"}  # runs started before the whole step could be one graph said "on"
# What runs stored before these settings existed did, in today's words.
LEGACY_DEFAULTS = {"class_loss": "ce", "fake_pairs": "uniform", "minutes": 0.0}

# Settings that change how often things are logged, saved or judged, or where the run runs, not what is computed:
# a resumed run may change these freely. Any other setting changes the maths and needs an explicit --override.
BOOKKEEPING_FIELDS = frozenset({"out", "steps", "minutes", "log_every", "sample_every", "checkpoint_every", "device",
                                "eval_every", "tagger", "compile", "max_bad_steps", "keep_checkpoints"})
# Settings that decide the networks' shapes or the data's meaning: a resumed run cannot change them at all.
FIXED_FIELDS = frozenset({"data", "vocab", "builtin_faces", "recipe", "resolution", "width", "z_dim", "label_dim",
                          "skip_bad", "class_loss"})
TARGET_FIELDS = ("real_target_min", "real_target_max", "fake_target_min", "fake_target_max")


def upgraded(stored: dict[str, Any]) -> dict[str, Any]:
    """Settings stored by an earlier acgan, in today's fields: the average's decay per step becomes its half-life in
    images (decay d at batch b: b * ln 0.5 / ln d), a compile mode's old name its new one, new settings what the run
    did without them."""
    data = {**LEGACY_DEFAULTS, **stored}
    if data.get("compile") in LEGACY_COMPILE:
        data["compile"] = LEGACY_COMPILE[data["compile"]]
    if "ema" in data and "ema_half_life" not in data:
        decay, batch = data.pop("ema"), data.get("batch_size")
        if isinstance(decay, (int, float)) and isinstance(batch, int) and 0 <= decay < 1:
            data["ema_half_life"] = batch * math.log(0.5) / math.log(decay) if decay > 0 else 0.0
    return data


def ema_decay(settings: Settings, processes: int = 1) -> float:
    """The average's decay per step: a half-life of h images at a global batch of b images is 0.5 ** (b / h)."""
    if not settings.ema_half_life:
        return 0.0
    return 0.5 ** (settings.batch_size * processes / settings.ema_half_life)


def resolve(**options: Any) -> Settings:
    """Settings from what was asked for (None or absent: the default, which may depend on data and recipe)."""
    given = {key: coerce(key, value, "settings") for key, value in options.items() if value is not None}
    builtin = given.get("data") is None
    # Modern beat classic on real faces at equal time on every measure (docs/RESULTS.md); the demo's
    # short run on the built-in faces keeps the classic recipe, which steps twice as fast.
    name = given.get("recipe", "classic" if builtin else "modern")
    if name not in RECIPES:
        raise ConfigError(f"recipe must be one of {', '.join(RECIPES)}, got {shown(name)}")
    recipe = RECIPES[name]
    unused = [key for key in TARGET_FIELDS if key in given and not recipe.smoothed_targets]
    if unused:
        raise ConfigError(f"{', '.join('--' + k.replace('_', '-') for k in unused)} would do nothing with the {name} "
                          f"recipe (its {recipe.objective} loss has no real/fake targets); leave it out or use "
                          "--recipe classic")
    if given.get("tagger") and not given.get("eval_every"):
        warnings.warn("--tagger is only used with --eval-every N; no evaluation will run", stacklevel=2)
    automatic = {"recipe": name, "resolution": 32 if builtin else 64, "width": 32 if builtin else 64,
                 "steps": 2500 if builtin else 20_000, "out": f"runs/{datetime.now():%Y%m%d-%H%M%S}",
                 **recipe.defaults(), **(BUILTIN_DEFAULTS if builtin else {})}
    settings = Settings(**{**automatic, **given})
    settings.validate()
    return settings


# Beyond these a run cannot fit in any machine's memory (or a number means nothing): refused up front, not
# discovered as an out-of-memory kill. width 512 is a 64 px generator of about 500 M weights.
LARGEST = {"width": 512, "z_dim": 4096, "label_dim": 4096, "batch_size": 16_384, "builtin_faces": 1_000_000,
           "steps": 10**12}


def range_problems(s: Settings) -> list[str]:
    problems = []
    if s.recipe not in RECIPES:
        problems.append(f"recipe must be one of {', '.join(RECIPES)}, got {s.recipe!r}")
    if s.resolution not in (32, 64, 128):
        problems.append(f"resolution must be 32, 64 or 128, got {s.resolution}")
    if s.eval_every and not s.tagger:
        problems.append("eval_every needs a tagger (--tagger DIR, from `acgan tagger train`)")
    if s.eval_every < 0:
        problems.append(f"eval_every must not be negative, got {s.eval_every}")
    if s.precision not in ("auto", "fp32", "bf16", "fp16"):
        problems.append(f"precision must be auto, fp32, bf16 or fp16, got {s.precision!r}")
    if s.compile not in COMPILE_MODES:
        problems.append(f"compile must be one of {', '.join(COMPILE_MODES)}, got {s.compile!r}")
    # Imported here, not at the top: the CLI builds its options from Settings, and `acgan --help` must not import
    # PyTorch, which augment.py and losses.py need.
    from acgan.train.augment import parse as parse_augmentations
    from acgan.train.losses import CLASS_LOSSES

    for check in (lambda: parse_augmentations(s.augment), lambda: pair_power(s.fake_pairs)):
        try:
            check()
        except ConfigError as err:
            problems.append(str(err))
    if s.class_loss not in CLASS_LOSSES:
        problems.append(f"class_loss must be one of {', '.join(CLASS_LOSSES)}, got {s.class_loss!r}")
    for name in ("width", "z_dim", "label_dim", "steps", "batch_size", "builtin_faces",
                 "log_every", "sample_every", "checkpoint_every", "max_bad_steps", "keep_checkpoints"):
        largest = LARGEST.get(name)
        if not 1 <= getattr(s, name) <= (largest or getattr(s, name)):
            most = f" and at most {largest:,}" if largest else ""
            problems.append(f"{name} must be at least 1{most}, got {getattr(s, name):,}")
    problems += [f"{f.name} must be a finite number, got {getattr(s, f.name)}" for f in dataclasses.fields(s)
                 if isinstance(getattr(s, f.name), float) and not math.isfinite(getattr(s, f.name))]
    if not 0 <= s.seed <= 2**63 - 1:
        problems.append(f"seed must be a whole number from 0 to {2**63 - 1}, got {s.seed}")
    for name in ("validity_weight", "class_weight", "fake_label_weight", "mode_seeking", "ema_half_life", "minutes"):
        if getattr(s, name) < 0:
            problems.append(f"{name} must not be negative, got {getattr(s, name)}")
    for name in ("lr_g", "lr_d"):
        if not getattr(s, name) > 0:
            problems.append(f"{name} must be positive, got {getattr(s, name)}")
    for name in ("beta1", "beta2"):
        if not 0 <= getattr(s, name) < 1:
            problems.append(f"{name} must be in [0, 1), got {getattr(s, name)}")
    for low, high in (("real_target_min", "real_target_max"), ("fake_target_min", "fake_target_max")):
        if not 0 <= getattr(s, low) <= getattr(s, high) <= 1:
            problems.append(f"need 0 <= {low} <= {high} <= 1")
    return problems


def resume_settings(saved: Settings, run: Path, given: dict[str, Any], overrides: dict[str, Any]) -> Settings:
    """The run's own settings with bookkeeping changes from `given` and maths changes only from `overrides`;
    settings that decide the networks' shapes or the data cannot change at all."""
    given = {key: coerce(key, value, "settings") for key, value in given.items() if value is not None}
    overrides = {key: coerce(key, value, "--override") for key, value in overrides.items()}
    fixed = sorted(key for key in overrides if key in FIXED_FIELDS and overrides[key] != getattr(saved, key))
    if fixed:
        raise ConfigError(f"--override {', '.join(fixed)}: cannot change on resume (it decides the networks' shapes "
                          "or the data); start a new run instead")
    wanted = dataclasses.replace(saved, **{**given, **overrides})
    changed = {k: v for k, v in diff(saved, wanted).items() if k not in overrides}
    if changed:
        lines = "\n".join(f"  {k}: {old!r} -> {new!r}" for k, (old, new) in changed.items())
        raise ConfigError(f"--resume {run}: these settings differ from the run's and would change its maths:\n"
                          f"{lines}\nleave them out, or name each with --override key=value to change it on purpose")
    resumed = dataclasses.replace(wanted, out=str(run))
    resumed.validate("--override")
    return resumed


def pair_power(spec: str) -> float | None:
    """'uniform' -> None; 'data^A' -> A (0 <= A <= 1)."""
    if spec == "uniform":
        return None
    prefix, _, power = spec.partition("^")
    try:
        value = float(power)
    except ValueError:
        value = math.nan
    if prefix != "data" or not 0 <= value <= 1:
        raise ConfigError(f"fake_pairs must be 'uniform' or 'data^A' with 0 <= A <= 1 (e.g. data^0.5), "
                          f"got {shown(spec)}")
    return value


def field_types() -> dict[str, Any]:
    hints = typing.get_type_hints(Settings)
    return {f.name: hints[f.name] for f in dataclasses.fields(Settings)}


def coerce(key: str, value: Any, source: str = "settings") -> Any:
    """Check that `value` fits setting `key` (parsing strings from the command line)."""
    types_by_name = field_types()
    if key not in types_by_name:
        raise ConfigError(f"{source}: unknown setting {shown(key)}; known: {', '.join(types_by_name)}")
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
    raise ConfigError(f"{source}: {key} must be {names}, got {shown(value)}")


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
    """Read a JSON file of settings (a partial Settings), checking every key and type."""
    from acgan.run.folder import read_json_object  # the run's modules import PyTorch: see range_problems

    data = read_json_object(Path(path), "a JSON object of settings")
    return {key: coerce(key, value, str(path)) for key, value in data.items()}


def diff(old: Settings, new: Settings, ignore: frozenset[str] = BOOKKEEPING_FIELDS) -> dict[str, tuple[Any, Any]]:
    """Settings whose values differ, as {name: (old, new)}, leaving out `ignore`."""
    return {
        f.name: (getattr(old, f.name), getattr(new, f.name))
        for f in dataclasses.fields(Settings)
        if f.name not in ignore and getattr(old, f.name) != getattr(new, f.name)
    }

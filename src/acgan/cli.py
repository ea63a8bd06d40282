"""The `acgan` command line: thin wrappers over the modules that do the work.

A user's mistake (any acgan.errors.UserError) is one red line and exit code 2; anything else is a bug
and keeps its traceback. The `train` options are made from the fields of Settings (names, types and
help), so a new setting appears on the command line without being written twice.
"""

from __future__ import annotations

import dataclasses
import inspect
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from acgan.errors import ConfigError, UserError, shown
from acgan.sample.contract import (
    MAX_MORPH_SCALE,
    MAX_MORPH_STEPS,
    MAX_PER_CALL,
    MAX_SEED,
    MORPH_FROM,
    MORPH_SIZE,
    MORPH_STEPS,
    MORPH_TO,
    RANDOM,
    TRUNCATION,
    VARIATION_DISTANCE,
    VARIATIONS,
    Face,
)
from acgan.train.settings import Settings, coerce, field_types, load_config_file

if TYPE_CHECKING:  # drawing imports PyTorch, which `acgan --help` and `--version` do without
    from acgan.sample.generator import FaceGenerator

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False, rich_markup_mode=None,
                  help="Train an ACGAN that draws anime faces with the hair and eye colours you ask for.")

CHECKPOINT_HELP = "Checkpoint name in the run (default: newest)."
RUN_HELP = "Run folder or checkpoint file (default: the model shipped with acgan)."
TRUNCATION_HELP = ("Variety, above 0 and at most 1: each face's noise is pulled toward its mean by this factor "
                   "(1: the faces as trained; lower: safer, more alike faces) [default: 1, or the PNG's with --like].")
SIZE_HELP = "Pixels a side of each face written (Lanczos), e.g. 128 or 256 [default: as drawn]."


@contextmanager
def user_errors() -> Iterator[None]:
    """Print a UserError as one line and exit with code 2."""
    try:
        yield
    except UserError as err:
        typer.secho(f"error: {err}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from None


def option_truncation(value: float | None, default: float) -> float:
    """--truncation, checked as the API checks it and named as the option; `default` when not given."""
    from acgan.sample.arguments import truncation_of

    return default if value is None else truncation_of(value, "--truncation")


def refuse_one_face_options(all_pairs: bool, variations: int | None, distance: float | None, read_back: bool) -> None:
    """--variations and --distance vary one face, --read-back checks faces drawn one by one: not a table's or a
    file's."""
    other = "--all-pairs" if all_pairs else "--from-file"
    if variations is not None or distance is not None:
        raise UserError(f"--variations varies one face; it does not go with {other}")
    if read_back:
        raise UserError(f"--read-back checks the faces of -n, --like or --variations; it does not go with {other}")


def option_distance(value: float | None) -> float:
    """--distance, checked as the API checks it and named as the option."""
    from acgan.sample.arguments import distance_of

    return VARIATION_DISTANCE if value is None else distance_of(value, "--distance")


def write_from_file(model: FaceGenerator, from_file: Path, seed: int, out: Path, size: int | None,
                    skip_bad: bool) -> str:
    """--from-file: one PNG per line, face k of the file (counting the lines skipped) from seed + k, so skipping a
    line moves no other face."""
    from acgan.data.tags import read_tags
    from acgan.sample.outputs import write_named

    table = read_tags(from_file, model.vocab, skip_bad)
    lines = sorted([row.line for row in table.rows] + [int(bad.line or 0) for bad in table.bad])
    named = [(row.image_id, Face(seed + lines.index(row.line), row.hair, row.eyes)) for row in table.rows]
    message = write_named(model, named, out, size)
    if table.bad:
        message += f"; skipped {len(table.bad)} bad line(s), the first: {table.bad[0]}"
    return message


def write_read_back(model: FaceGenerator, faces: list[Face], out: Path, separate: bool, size: int | None) -> str:
    """--read-back: the faces, each replaced by the first fresh candidate whose colours the shipped tagger reads as
    asked when its own do not (judge/readback.py)."""
    from acgan.judge.readback import READ_BACK_TRIES, agreeing_faces
    from acgan.sample.outputs import write_faces

    chosen = agreeing_faces(model, faces)
    return f"{write_faces(model, chosen.faces, out, separate, size)}; {chosen.summary(READ_BACK_TRIES)}"


def version_callback(value: bool) -> None:
    if value:
        from acgan.version import __version__

        print(f"acgan {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[bool, typer.Option("--version", callback=version_callback, is_eager=True,
                                          help="Print acgan's version and exit.")] = False,
) -> None:
    """Train an ACGAN that draws anime faces with the hair and eye colours you ask for."""


def parse_overrides(items: list[str]) -> dict[str, Any]:
    overrides = {}
    for item in items:
        key, eq, value = item.partition("=")
        if not eq:
            raise ConfigError(f"--override {shown(item)}: expected key=value")
        name = key.strip().replace("-", "_")
        overrides[name] = coerce(name, value, "--override")
    return overrides


def train_command(config: Path | None, resume: str | None, override: list[str], **options: Any) -> None:
    from acgan.train.settings import resolve
    from acgan.train.trainer import resume as resume_run
    from acgan.train.trainer import train

    with user_errors():
        given = {**(load_config_file(config) if config else {}), **{k: v for k, v in options.items() if v is not None}}
        if resume:
            resume_run(resume, given=given, overrides=parse_overrides(override))
        elif override:
            raise ConfigError("--override changes a run being resumed; give --resume RUN too")
        else:
            train(resolve(**given))


def _train_signature() -> inspect.Signature:
    """train_command's options: --config, --resume, --override, then one per Settings field."""
    keyword = inspect.Parameter.KEYWORD_ONLY
    params = [
        inspect.Parameter("config", keyword, default=None, annotation=Annotated[
            Path | None, typer.Option(help="JSON file of settings; flags override it.")]),
        inspect.Parameter("resume", keyword, default=None, annotation=Annotated[
            str | None, typer.Option(help="Continue a run folder where it stopped ('auto': the newest run).")]),
        inspect.Parameter("override", keyword, default=[], annotation=Annotated[
            list[str], typer.Option(help="With --resume: change a setting that alters the maths, key=value.")]),
    ]
    hints = field_types()
    for f in dataclasses.fields(Settings):
        kind = next(t for t in getattr(hints[f.name], "__args__", (hints[f.name],)) if t is not type(None))
        default = "auto" if f.metadata.get("auto") or f.default is None else f.default
        option = typer.Option(help=f"{f.metadata['help']} [default: {default}]", show_default=False)
        params.append(inspect.Parameter(f.name, keyword, default=None, annotation=Annotated[kind | None, option]))
    return inspect.Signature(params)


train_command.__signature__ = _train_signature()  # type: ignore[attr-defined]
app.command("train", help="Train on a dataset folder (or the built-in faces) into a run folder.")(train_command)


@app.command()
def generate(
    run: Annotated[Path | None, typer.Argument(help="Run folder or checkpoint file (default: the model shipped "
                                                    "with acgan; with --like: the one the PNG names).",
                                               show_default=False)] = None,
    hair: Annotated[str, typer.Option(help=f"Hair colour, or '{RANDOM}' (each face's own, from its seed).")] = RANDOM,
    eyes: Annotated[str, typer.Option(help=f"Eye colour, or '{RANDOM}'.")] = RANDOM,
    n: Annotated[int, typer.Option("-n", min=1, help="How many faces.")] = 16,
    seed: Annotated[int, typer.Option(min=0, max=MAX_SEED, help="Face k uses seed + k.")] = 0,
    out: Annotated[Path, typer.Option("-o", "--out", help="Output PNG (a folder with --from-file).")] = Path(
        "faces.png"),
    separate: Annotated[bool, typer.Option(help="One PNG per face (<out>-<seed>.png) instead of a grid.")] = False,
    all_pairs: Annotated[bool, typer.Option(help="Every hair x eye pair in one labelled grid.")] = False,
    from_file: Annotated[Path | None, typer.Option(
        help="Lines '<id>,<colour> hair <colour> eyes': one PNG each.")] = None,
    like: Annotated[Path | None, typer.Option(help="Redraw the face(s) of a PNG acgan wrote, from its metadata.")]
    = None,
    checkpoint: Annotated[str | None, typer.Option(help=CHECKPOINT_HELP)] = None,
    size: Annotated[int | None, typer.Option(help=SIZE_HELP)] = None,
    truncation: Annotated[float | None, typer.Option(help=TRUNCATION_HELP)] = None,
    skip_bad: Annotated[bool, typer.Option(help="With --from-file: skip a bad line (an unknown colour, say) and say "
                                                "so, instead of stopping; the other faces are drawn as if it were "
                                                "right.")] = False,
    variations: Annotated[int | None, typer.Option(
        min=1, max=MAX_PER_CALL, help="Draw this many faces near one face, its colours kept: the --like PNG's face, "
                                      "else --seed's with --hair and --eyes. Each is a PNG that --like can vary "
                                      "again.", show_default=False)] = None,
    distance: Annotated[float | None, typer.Option(
        help="With --variations: how far each moves from the face, above 0 and at most 1 (1: as far as any other "
             f"face) [default: {VARIATION_DISTANCE}].", show_default=False)] = None,
    read_back: Annotated[bool, typer.Option(
        help="Only faces whose colours the shipped tagger reads back as asked: a face that does not gives way to "
             "the first of up to 7 fresh faces of its colours that does (its PNG names it, so --like draws it "
             "again).")] = False,
) -> None:
    """Draw faces with the colours you ask for (random ones when none are given)."""
    from acgan.sample import outputs
    from acgan.sample.generator import load
    from acgan.sample.records import faces_from_png
    from acgan.sample.shipped import recorded_model

    with user_errors():
        maker, wanted = faces_from_png(like) if like is not None else (None, None)
        model = load(recorded_model(maker.source, like) if run is None and maker is not None and like is not None
                     else run, checkpoint)
        model = model.with_truncation(option_truncation(truncation, maker.truncation if maker else TRUNCATION))
        if all_pairs or from_file is not None:
            refuse_one_face_options(all_pairs, variations, distance, read_back)
        if all_pairs:
            message = outputs.write_all_pairs(model, seed, out, size)
        elif from_file is not None:
            message = write_from_file(model, from_file, seed, out, size, skip_bad)
        else:
            if variations is not None or distance is not None:
                faces = model.variation_faces(like or Face(seed, hair, eyes), variations or VARIATIONS,
                                              option_distance(distance))
            elif wanted is not None:
                faces = wanted
            else:
                outputs.check_count(n, separate or n == 1)
                faces = model.requested(hair, eyes, n, seed)
            outputs.check_count(len(faces), separate or len(faces) == 1)
            message = write_read_back(model, faces, out, separate, size) if read_back \
                else outputs.write_faces(model, faces, out, separate, size)
        print(message)


tagger_app = typer.Typer(no_args_is_help=True, help="The independent colour tagger that judges generated faces.")
app.add_typer(tagger_app, name="tagger")


@tagger_app.command("train")
def tagger_train(
    out: Annotated[Path, typer.Option("-o", "--out", help="Folder for the tagger (tagger.json and its safetensors).")],
    data: Annotated[Path | None, typer.Option(help="Dataset folder (default: the built-in faces).")] = None,
    resolution: Annotated[int, typer.Option(min=16, max=256, help="Resolution the tagger reads faces at.")] = 64,
    epochs: Annotated[int, typer.Option(min=1, max=10_000, help="Passes over the training split.")] = 30,
    width: Annotated[int, typer.Option(min=1, max=256, help="Channels of the first block (x8 at the last).")] = 32,
    held_out: Annotated[float, typer.Option(min=0.0, max=0.9, help="Share of every hair x eye pair held out.")] = 0.1,
    seed: Annotated[int, typer.Option(min=0, max=MAX_SEED, help="Seed of the split, the weights and the batches.")]
    = 0,
    vocab: Annotated[str, typer.Option(help="'default', 'auto' or a JSON file (as for train).")] = "default",
    device: Annotated[str, typer.Option(help="'auto', 'cpu', 'cuda', ...")] = "auto",
) -> None:
    """Train the tagger on real faces and report its accuracy on a held-out split it never trains on."""
    from acgan.atomic import check_folder
    from acgan.data.builtin import builtin_data
    from acgan.data.dataset import load_folder
    from acgan.judge.tagger import held_out_summary, save_tagger, train_tagger
    from acgan.train.engine import pick_device

    with user_errors():
        check_folder(out)  # before the training, not after
        faces = (load_folder(data, resolution, vocab) if data is not None
                 else builtin_data(12_000, resolution, seed=seed + 2))
        tagger = train_tagger(faces, epochs=epochs, width=width, held_out_fraction=held_out, seed=seed,
                              device=str(pick_device(device)))
        save_tagger(tagger, out)
        print(held_out_summary(tagger.held_out))
        print(f"saved {out}/tagger.json")


@tagger_app.command("read")
def tagger_read(
    files: Annotated[list[Path], typer.Argument(help="Pictures of one face each (PNG, JPEG, ...).")],
    tagger: Annotated[Path | None, typer.Option(help="Tagger folder or tagger.json [default: the shipped one].")]
    = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON list instead of a line per picture.")] = False,
) -> None:
    """Read the hair and eye colours of any pictures with the tagger; for a face acgan wrote, say whether they read
    back as asked (its PNG metadata says what was asked)."""
    from acgan.judge.readback import read_back
    from acgan.judge.tagger import load_tagger
    from acgan.sample.shipped import shipped_tagger

    with user_errors():
        judge = load_tagger(tagger or shipped_tagger())
        results = list(read_back(judge, files))
    if as_json:
        print(json.dumps([result.to_json() for result in results], indent=2))
    else:
        print("\n".join(result.line() for result in results))


@tagger_app.command("reference")
def tagger_reference(
    data: Annotated[Path, typer.Argument(help="Dataset folder of the real faces a model learned from.")],
    out: Annotated[Path, typer.Option("-o", "--out", help="reference.json to write beside a packed generator.json "
                                                          "(its tensors go beside it).")],
    tagger: Annotated[Path | None, typer.Option(help="Tagger folder or tagger.json [default: the shipped one].")]
    = None,
    resolution: Annotated[int, typer.Option(min=16, max=256, help="The generator's resolution.")] = 64,
    frechet_faces: Annotated[int, typer.Option(min=2, max=20_000, help="Faces per side of each Frechet distance "
                                                                       "(as `acgan eval` will be run).")] = 1000,
    seed: Annotated[int, typer.Option(min=0, max=MAX_SEED // 2, help="Seed of the Frechet sets (as for eval).")]
    = 0,
    name: Annotated[str | None, typer.Option(help="How reports name these faces [default: the folder].")] = None,
) -> None:
    """Store what `acgan eval` needs of real faces (their tagger-feature statistics) beside a packed generator, so
    that evaluating it needs no faces: how the shipped model's reference.json was made."""
    from acgan.data.dataset import load_folder
    from acgan.judge.evaluate import EvalSettings
    from acgan.judge.reference import write_reference
    from acgan.judge.tagger import load_tagger
    from acgan.sample.shipped import shipped_tagger

    with user_errors():
        judge = load_tagger(tagger or shipped_tagger())
        faces = load_folder(data, resolution, judge.vocab, skip_bad=True)
        faces.source = name or faces.source
        path = write_reference(judge, faces, EvalSettings(frechet_faces=frechet_faces, seed=seed), out)
        print(f"wrote {path} ({len(faces)} faces of {data})")


@app.command("eval")
def eval_command(
    run: Annotated[Path | None, typer.Argument(help=RUN_HELP, show_default=False)] = None,
    tagger: Annotated[Path | None, typer.Option(help="Tagger folder or tagger.json (from `acgan tagger train`) "
                                                     "[default: the tagger shipped with acgan].")] = None,
    data: Annotated[Path | None, typer.Option(help="Real faces to compare with (default: the run's data; for the "
                                                   "shipped model, the statistics of its faces shipped with it).")]
    = None,
    per_pair: Annotated[int, typer.Option(min=2, max=64, help="Generated faces per hair x eye pair.")] = 8,
    frechet_faces: Annotated[int, typer.Option(min=2, max=20_000, help="Faces per side of each Frechet distance.")]
    = 1000,
    seed: Annotated[int, typer.Option(min=0, max=MAX_SEED // 2, help="First seed of the generated faces.")] = 0,
    out: Annotated[Path | None, typer.Option("-o", "--out", help="Report folder (default RUN/eval/<checkpoint>; "
                                                                 "./eval/<checkpoint> for a record outside a run).")]
    = None,
    checkpoint: Annotated[str | None, typer.Option(help=CHECKPOINT_HELP)] = None,
    truncation: Annotated[float | None, typer.Option(help=TRUNCATION_HELP.replace(", or the PNG's with --like", ""))]
    = None,
) -> None:
    """Measure tag accuracy, distance to real faces and diversity; write report.json, report.md, pictures."""
    from acgan.judge.eval_run import eval_run
    from acgan.judge.evaluate import EvalSettings

    with user_errors():
        settings = EvalSettings(per_pair=per_pair, frechet_faces=frechet_faces, seed=seed)
        folder = eval_run(run, tagger, settings, data=data, out=out, checkpoint=checkpoint,
                          truncation=option_truncation(truncation, TRUNCATION))
        report = json.loads((folder / "report.json").read_text())
        print(f"verdict: {report['verdict']}\n")
        print((folder / "report.md").read_text())
        print(f"wrote {folder}/")


def missing_extra(extra: str, err: ImportError) -> UserError:
    return UserError(f"this command needs the '{extra}' extra (pip install 'acgan[{extra}]'): {err}")


@app.command()
def serve(
    run: Annotated[Path | None, typer.Argument(help=RUN_HELP, show_default=False)] = None,
    host: Annotated[str, typer.Option(help="Address to listen on (0.0.0.0: every interface).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    checkpoint: Annotated[str | None, typer.Option(help=CHECKPOINT_HELP)] = None,
    runtime: Annotated[str, typer.Option(help="What runs the network: 'torch', 'onnx' (onnxruntime on "
                                              "RUN/generator.onnx) or 'auto' (onnx when it is there and current).")]
    = "auto",
    allowed_host: Annotated[list[str] | None, typer.Option(
        help="Another host name the server answers for, besides localhost, 127.0.0.1 and --host (repeatable); "
             "requests naming any other host are refused.")] = None,
) -> None:
    """Serve the web page and its JSON API (described at /openapi.json) for a run, until Ctrl-C."""
    with user_errors():
        if runtime not in ("torch", "onnx", "auto"):
            raise UserError(f"--runtime must be torch, onnx or auto, got {shown(runtime)}")
        try:
            from acgan.serve.app import serve as serve_run
        except ImportError as err:
            raise missing_extra("serve", err) from None
        serve_run(run, host=host, port=port, checkpoint=checkpoint, runtime=runtime, allowed_hosts=allowed_host or ())


@app.command()
def interpolate(
    run: Annotated[Path | None, typer.Argument(help=RUN_HELP, show_default=False)] = None,
    from_seed: Annotated[int, typer.Option(min=0, max=MAX_SEED, help="Seed of the first face.")] = MORPH_FROM[0],
    to_seed: Annotated[int, typer.Option(min=0, max=MAX_SEED, help="Seed of the last face.")] = MORPH_TO[0],
    from_hair: Annotated[str | None, typer.Option(help=f"Hair colour of the first face [default: {MORPH_FROM[1]}]."
                                                  )] = None,
    from_eyes: Annotated[str | None, typer.Option(help=f"Eye colour of the first face [default: {MORPH_FROM[2]}]."
                                                  )] = None,
    to_hair: Annotated[str | None, typer.Option(help="Hair colour of the last face [default: --from-hair].")] = None,
    to_eyes: Annotated[str | None, typer.Option(help="Eye colour of the last face [default: --from-eyes].")] = None,
    steps: Annotated[int, typer.Option(min=2, max=MAX_MORPH_STEPS, help="Frames, both ends included.")] = MORPH_STEPS,
    out: Annotated[Path, typer.Option("-o", "--out", help="Animated GIF (there and back), or a PNG strip if it "
                                                          "ends in .png.")] = Path("morph.gif"),
    scale: Annotated[int | None, typer.Option(min=1, max=MAX_MORPH_SCALE, help="Pixel size in the output [default: "
                                                                               f"about {MORPH_SIZE} px a face].")]
    = None,
    checkpoint: Annotated[str | None, typer.Option(help=CHECKPOINT_HELP)] = None,
    size: Annotated[int | None, typer.Option(help=SIZE_HELP)] = None,
) -> None:
    """Morph one face into another: a strip of frames or an animated GIF, as the web page's Morph draws it."""
    from acgan.sample.contract import morph_ends
    from acgan.sample.generator import load
    from acgan.sample.outputs import write_morph
    from acgan.sample.seeds import colours_for

    with user_errors():
        if size is not None and scale is not None:
            raise UserError("give --size or --scale, not both: --size resizes each frame smoothly (Lanczos), --scale "
                            "enlarges it pixel for pixel")
        model = load(run, checkpoint)
        (_, hair, eyes, _), _ = morph_ends(model.vocab)
        start = Face(from_seed, *colours_for(model.vocab, from_seed, from_hair or hair, from_eyes or eyes))
        end = Face(to_seed, *colours_for(model.vocab, to_seed, to_hair or from_hair or hair,
                                         to_eyes or from_eyes or eyes))
        print(write_morph(model, start, end, steps, scale, out, size))


data_app = typer.Typer(no_args_is_help=True, help="Inspect a dataset folder.")
app.add_typer(data_app, name="data")


@data_app.command("check")
def data_check(
    folder: Annotated[Path, typer.Argument(help="Dataset folder holding tags.csv and faces/.")],
    resolution: Annotated[int, typer.Option(min=32, max=128, help="Resolution training would use (32, 64 or 128).")]
    = 64,
    vocab: Annotated[str, typer.Option(help="'default', 'auto' or a JSON file (as for train).")] = "default",
    skip_bad: Annotated[bool, typer.Option(help="Judge as `acgan train --skip-bad` would.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="The whole report as JSON.")] = False,
) -> None:
    """Decode every image and report what would stop or hurt training; exit 0 only if training would start."""
    from acgan.data.doctor import as_text, check_folder, dumps

    report = check_folder(folder, resolution, vocab, skip_bad)
    print(dumps(report) if as_json else as_text(report))
    raise typer.Exit(0 if report.ok else 1)


@app.command("export")
def export_command(
    run: Annotated[Path | None, typer.Argument(help=RUN_HELP, show_default=False)] = None,
    out: Annotated[Path | None, typer.Option("-o", "--out", help="ONNX file (default: RUN/generator.onnx, or "
                                                                 "./generator.onnx for a file or the shipped model).")]
    = None,
    checkpoint: Annotated[str | None, typer.Option(help=CHECKPOINT_HELP)] = None,
) -> None:
    """Export the generator to ONNX (dynamic batch; noise and colour weights as inputs) and check it."""
    from acgan.sample.generator import load, load_onnx

    with user_errors():
        try:
            from acgan.sample.export import export_onnx, max_difference
        except ImportError as err:
            raise missing_extra("export", err) from None
        model = load(run, checkpoint)
        target = out or (run if run is not None and run.is_dir() else Path(".")) / "generator.onnx"
        export_onnx(model, target)
        gap = max_difference(model, load_onnx(target))
        print(f"wrote {target} (step {model.step}); onnxruntime vs PyTorch on 16 faces: max difference {gap:.1e}")


@app.command()
def site(
    run: Annotated[Path | None, typer.Argument(help=RUN_HELP, show_default=False)] = None,
    out: Annotated[Path, typer.Option("-o", "--out", help="Folder to write (replaced if it is a site acgan wrote).")]
    = Path("site"),
    checkpoint: Annotated[str | None, typer.Option(help=CHECKPOINT_HELP)] = None,
    ort: Annotated[Path | None, typer.Option(help="onnxruntime-web's dist folder [default: $ACGAN_ORT_DIST, else "
                                                  "web/node_modules/onnxruntime-web/dist from `make site`].")] = None,
    webgpu: Annotated[bool, typer.Option(help="Also ship ONNX Runtime's WebGPU build (+27 MB): the page then "
                                              "offers the GPU where the browser has WebGPU.")] = False,
) -> None:
    """Write a static web site that draws faces in the visitor's browser (the page of `serve`, no server)."""
    from acgan.sample.generator import load

    with user_errors():
        try:
            import onnx  # noqa: F401  (the site's generator is an ONNX export)

            from acgan.serve.site import build_site
        except ImportError as err:
            raise missing_extra("export", err) from None
        print(build_site(load(run, checkpoint), out, ort, webgpu).summary())


@app.command()
def pack(
    run: Annotated[Path, typer.Argument(help="Run folder or checkpoint file.")],
    out: Annotated[Path, typer.Option("-o", "--out", help="Folder for generator.json and its safetensors.")],
    checkpoint: Annotated[str | None, typer.Option(help=CHECKPOINT_HELP)] = None,
) -> None:
    """Pack a run's drawing weights as acgan ships its own model: fp16, with the run's record (load with
    `acgan generate OUT/generator.json`)."""
    from acgan.run.checkpoint import find_checkpoint
    from acgan.sample.shipped import pack_generator

    with user_errors():
        path = pack_generator(find_checkpoint(run, checkpoint), out)
        size = sum(p.stat().st_size for p in out.iterdir())
        print(f"wrote {path} ({size / 2**20:.1f} MiB)")


def main() -> None:
    app(prog_name="acgan")


if __name__ == "__main__":
    main()

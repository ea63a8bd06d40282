"""The `acgan` command line. Thin wrappers over the modules they call; bad input is one clear line, exit 2.

The `train` options are made from TrainConfig's fields (names, types and help), so a new setting
appears on the command line without being written twice.
"""

from __future__ import annotations

import dataclasses
import inspect
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from acgan.checkpoint import CheckpointError, resolve
from acgan.config import ConfigError, TrainConfig, coerce, field_types, load_config_file
from acgan.tags import DataError, read_tags
from acgan.vocab import UnknownColourError

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False, rich_markup_mode=None,
                  help="Train an ACGAN that draws anime faces with the hair and eye colours you ask for.")

USER_ERRORS = (ConfigError, DataError, CheckpointError, UnknownColourError, ValueError, FileNotFoundError)


def fail(err: Exception) -> None:
    typer.secho(f"error: {err}", fg=typer.colors.RED, err=True)
    raise typer.Exit(2)


def parse_overrides(items: list[str]) -> dict[str, Any]:
    overrides = {}
    for item in items:
        key, eq, value = item.partition("=")
        if not eq:
            raise ConfigError(f"--override {item!r}: expected key=value")
        overrides[key.strip().replace("-", "_")] = coerce(key.strip().replace("-", "_"), value, "--override")
    return overrides


def train_command(config: Path | None, resume: str | None, override: list[str], **options: Any) -> None:
    from acgan.health import DivergenceError
    from acgan.train import train

    try:
        given = {k: v for k, v in options.items() if v is not None}
        settings = {**(load_config_file(config) if config else {}), **given}
        cfg = TrainConfig(**settings)
        train(cfg, resume=resume, overrides=parse_overrides(override), given=settings)
    except (*USER_ERRORS, DivergenceError) as err:
        fail(err)


def _train_signature() -> inspect.Signature:
    """train_command's options: --config, --resume, --override, then one per TrainConfig field."""
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
    for f in dataclasses.fields(TrainConfig):
        kind = next(t for t in getattr(hints[f.name], "__args__", (hints[f.name],)) if t is not type(None))
        default = f.default if f.default is not None else "auto"
        option = typer.Option(help=f"{f.metadata['help']} [default: {default}]", show_default=False)
        params.append(inspect.Parameter(f.name, keyword, default=None, annotation=Annotated[kind | None, option]))
    return inspect.Signature(params)


train_command.__signature__ = _train_signature()
app.command("train", help="Train on a dataset folder (or the built-in faces) into a run folder.")(train_command)


@app.command()
def generate(
    run: Annotated[Path | None, typer.Argument(help="Run folder or checkpoint file (with --like: where the PNG "
                                                    "says it came from).", show_default=False)] = None,
    hair: Annotated[str | None, typer.Option(help="Hair colour, or 'random'.")] = None,
    eyes: Annotated[str | None, typer.Option(help="Eye colour, or 'random'.")] = None,
    n: Annotated[int, typer.Option("-n", help="How many faces.")] = 16,
    seed: Annotated[int, typer.Option(help="Face k uses seed + k.")] = 0,
    out: Annotated[Path, typer.Option("-o", "--out", help="Output PNG (a folder with --from-file).")] = Path(
        "faces.png"),
    separate: Annotated[bool, typer.Option(help="One PNG per face (<out>-<seed>.png) instead of a grid.")] = False,
    all_pairs: Annotated[bool, typer.Option(help="Every hair x eye pair in one labelled grid.")] = False,
    from_file: Annotated[Path | None, typer.Option(
        help="Lines '<id>,<colour> hair <colour> eyes': one PNG each.")] = None,
    like: Annotated[Path | None, typer.Option(help="Redraw the face(s) of a PNG acgan wrote, from its metadata.")]
    = None,
    checkpoint: Annotated[str | None, typer.Option(help="Checkpoint name in the run (default: newest).")] = None,
) -> None:
    """Draw faces with the colours you ask for."""
    from acgan.generate import faces_from_png, grid_record, load, resolve_colours, save_png
    from acgan.grid import image_grid, png_bytes

    try:
        wanted = faces_from_png(like) if like is not None else None
        if run is None:
            if wanted is None:
                raise ValueError("give a run folder or checkpoint (or --like FILE)")
            run = Path(wanted[0])
        model = load(run, checkpoint)
        if all_pairs:
            model.all_pairs(seed).save(out)
            print(f"wrote {out} ({len(model.vocab.hair)} hair x {len(model.vocab.eyes)} eye colours)")
            return
        if from_file is not None:
            rows = read_tags(from_file, model.vocab).rows
            faces = [(seed + k, row.hair, row.eyes) for k, row in enumerate(rows)]
            out.mkdir(parents=True, exist_ok=True)
            for row, face, image in zip(rows, faces, model.faces(faces), strict=True):
                save_png(image, out / f"{row.image_id}.png", model, *face)
            print(f"wrote {len(rows)} faces to {out}/")
            return
        if wanted is not None:
            faces = wanted[1]
        elif hair is None or eyes is None:
            raise ValueError("give --hair and --eyes (or --all-pairs, --from-file, --like); "
                             f"hair: {', '.join(model.vocab.hair)}; eyes: {', '.join(model.vocab.eyes)}")
        else:
            faces = [(seed + k, *resolve_colours(model.vocab, seed + k, hair, eyes)) for k in range(n)]
        images = model.faces(faces)
        if separate or len(faces) == 1:
            out.parent.mkdir(parents=True, exist_ok=True)
            paths = [out] if len(faces) == 1 else [out.with_name(f"{out.stem}-{face[0]}.png") for face in faces]
            for path, face, image in zip(paths, faces, images, strict=True):
                save_png(image, path, model, *face)
            print(f"wrote {len(paths)} face(s): {paths[0]}{' ...' if len(paths) > 1 else ''}")
        else:
            grid = image_grid(images, min(len(faces), 8), cell=max(64, model.resolution))
            out.write_bytes(png_bytes(grid, grid_record(model.source, model.step, faces)))
            print(f"wrote {out} ({len(faces)} faces, seeds {faces[0][0]}..{faces[-1][0]})")
    except USER_ERRORS as err:
        fail(err)


tagger_app = typer.Typer(no_args_is_help=True, help="The independent colour tagger that judges generated faces.")
app.add_typer(tagger_app, name="tagger")


@tagger_app.command("train")
def tagger_train(
    out: Annotated[Path, typer.Option("-o", "--out", help="Folder for the tagger (tagger.json and its safetensors).")],
    data: Annotated[Path | None, typer.Option(help="Dataset folder (default: the built-in faces).")] = None,
    resolution: Annotated[int, typer.Option(help="Resolution the tagger reads faces at.")] = 64,
    epochs: Annotated[int, typer.Option(help="Passes over the training split.")] = 30,
    width: Annotated[int, typer.Option(help="Channels of the first block (x8 at the last).")] = 32,
    held_out: Annotated[float, typer.Option(help="Share of every hair x eye pair held out.")] = 0.1,
    seed: Annotated[int, typer.Option(help="Seed of the split, the weights and the batches.")] = 0,
    vocab: Annotated[str, typer.Option(help="'default', 'auto' or a JSON file (as for train).")] = "default",
    device: Annotated[str, typer.Option(help="'auto', 'cpu', 'cuda', ...")] = "auto",
) -> None:
    """Train the tagger on real faces and report its accuracy on a held-out split it never trains on."""
    from acgan.data import builtin_data, load_folder
    from acgan.engine import pick_device
    from acgan.tagger import format_report, save_tagger, train_tagger

    try:
        faces = (load_folder(data, resolution, vocab) if data is not None
                 else builtin_data(12_000, resolution, seed=seed + 2))
        tagger = train_tagger(faces, epochs=epochs, width=width, held_out_fraction=held_out, seed=seed,
                              device=str(pick_device(device)))
        save_tagger(tagger, out)
        print(format_report(tagger.held_out))
        print(f"saved {out}/tagger.json")
    except USER_ERRORS as err:
        fail(err)


@app.command("eval")
def eval_command(
    run: Annotated[Path, typer.Argument(help="Run folder or checkpoint file.")],
    tagger: Annotated[Path, typer.Option(help="Tagger folder (from `acgan tagger train`).")],
    data: Annotated[Path | None, typer.Option(help="Real faces to compare with (default: the run's data).")] = None,
    per_pair: Annotated[int, typer.Option(help="Generated faces per hair x eye pair.")] = 8,
    frechet_faces: Annotated[int, typer.Option(help="Faces per side of each Frechet distance.")] = 1000,
    seed: Annotated[int, typer.Option(help="First seed of the generated faces.")] = 0,
    out: Annotated[Path | None, typer.Option("-o", "--out", help="Report folder (default RUN/eval/<checkpoint>).")]
    = None,
    checkpoint: Annotated[str | None, typer.Option(help="Checkpoint name in the run (default: newest).")] = None,
) -> None:
    """Measure tag accuracy, distance to real faces and diversity; write report.json, report.md, pictures."""
    from acgan.data import run_data
    from acgan.evaluate import EvalSettings, evaluate, inception_fid
    from acgan.generate import generator_from_checkpoint
    from acgan.report import write_report
    from acgan.tagger import load_tagger

    try:
        source = resolve(run, checkpoint)
        model = generator_from_checkpoint(source)
        judge = load_tagger(tagger)
        faces = run_data(source.meta, data)
        settings = EvalSettings(per_pair=per_pair, frechet_faces=frechet_faces, seed=seed)
        report = {"run": str(run), "checkpoint": source.path.stem, **evaluate(model, judge, faces, settings)}
        report["tagger"]["path"] = str(tagger)
        report["inception_fid"], report["inception_fid_note"] = inception_fid(model, faces, settings)
        folder = out or (run if run.is_dir() else source.path.parent.parent) / "eval" / source.path.stem
        log = source.path.parent.parent / "log.jsonl"
        write_report(report, folder, log if log.exists() else None)
        print((folder / "report.md").read_text())
        print(f"wrote {folder}/")
    except USER_ERRORS as err:
        fail(err)


@app.command()
def serve(
    run: Annotated[Path, typer.Argument(help="Run folder or checkpoint file.")],
    host: Annotated[str, typer.Option(help="Address to listen on (0.0.0.0: every interface).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    checkpoint: Annotated[str | None, typer.Option(help="Checkpoint name in the run (default: newest).")] = None,
    backend: Annotated[str, typer.Option(help="'torch', 'onnx' (RUN/generator.onnx) or 'auto' (onnx when it is "
                                              "there and current).")] = "auto",
) -> None:
    """Serve the web page and its JSON API (docs at /docs) for a run, until Ctrl-C."""
    try:
        from acgan.serve import serve as serve_run
    except ImportError as err:
        fail(ValueError(f"the server needs the 'serve' extra (pip install 'acgan[serve]'): {err}"))
    try:
        if backend not in ("auto", "torch", "onnx"):
            raise ValueError(f"--backend must be auto, torch or onnx, got {backend!r}")
        serve_run(run, host, port, checkpoint, backend)
    except USER_ERRORS as err:
        fail(err)


@app.command()
def interpolate(
    run: Annotated[Path, typer.Argument(help="Run folder or checkpoint file.")],
    from_seed: Annotated[int, typer.Option(help="Seed of the first face.")] = 1,
    to_seed: Annotated[int, typer.Option(help="Seed of the last face.")] = 2,
    from_hair: Annotated[str | None, typer.Option(help="Hair colour of the first face [default: blonde].")] = None,
    from_eyes: Annotated[str | None, typer.Option(help="Eye colour of the first face [default: blue].")] = None,
    to_hair: Annotated[str | None, typer.Option(help="Hair colour of the last face [default: --from-hair].")] = None,
    to_eyes: Annotated[str | None, typer.Option(help="Eye colour of the last face [default: --from-eyes].")] = None,
    steps: Annotated[int, typer.Option(help="Frames, both ends included (2..256).")] = 8,
    out: Annotated[Path, typer.Option("-o", "--out", help="Animated GIF (there and back), or a PNG strip if it "
                                                          "ends in .png.")] = Path("morph.gif"),
    scale: Annotated[int | None, typer.Option(help="Pixel size in the output [default: about 128 px a face].")]
    = None,
    checkpoint: Annotated[str | None, typer.Option(help="Checkpoint name in the run (default: newest).")] = None,
) -> None:
    """Morph one face into another: a strip of frames or an animated GIF, as the web page's Morph draws it."""
    import json

    from acgan.generate import default_pair, load, morph_record, resolve_colours
    from acgan.grid import morph_gif, morph_scale, morph_strip, png_bytes

    try:
        if scale is not None and not 1 <= scale <= 64:
            raise ValueError(f"--scale must be between 1 and 64, got {scale}")
        model = load(run, checkpoint)
        hair, eyes = default_pair(model.vocab)
        start = (from_seed, *resolve_colours(model.vocab, from_seed, from_hair or hair, from_eyes or eyes))
        end = (to_seed, *resolve_colours(model.vocab, to_seed, to_hair or from_hair or hair,
                                         to_eyes or from_eyes or eyes))
        frames = model.morph(start, end, steps)
        size = morph_scale(model.resolution, scale)
        record = morph_record(model.source, model.step, start, end, steps)
        out.parent.mkdir(parents=True, exist_ok=True)
        if out.suffix.lower() == ".png":
            out.write_bytes(png_bytes(morph_strip(frames, size), record))
        else:
            out.write_bytes(morph_gif(frames, size, comment=json.dumps(record)))
        print(f"wrote {out} ({steps} frames: seed {start[0]} {start[1]} hair {start[2]} eyes -> "
              f"seed {end[0]} {end[1]} hair {end[2]} eyes)")
    except USER_ERRORS as err:
        fail(err)


data_app = typer.Typer(no_args_is_help=True, help="Inspect a dataset folder.")
app.add_typer(data_app, name="data")


@data_app.command("check")
def data_check(
    folder: Annotated[Path, typer.Argument(help="Dataset folder holding tags.csv and faces/.")],
    resolution: Annotated[int, typer.Option(help="Resolution training would use.")] = 64,
    vocab: Annotated[str, typer.Option(help="'default', 'auto' or a JSON file (as for train).")] = "default",
    skip_bad: Annotated[bool, typer.Option(help="Judge as `acgan train --skip-bad` would.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="The whole report as JSON.")] = False,
) -> None:
    """Decode every image and report what would stop or hurt training; exit 0 only if training would start."""
    from acgan.doctor import check_folder, dumps, format_report

    report = check_folder(folder, resolution, vocab, skip_bad)
    print(dumps(report) if as_json else format_report(report))
    raise typer.Exit(0 if report.ok else 1)


@app.command("export")
def export_command(
    run: Annotated[Path, typer.Argument(help="Run folder or checkpoint file.")],
    out: Annotated[Path | None, typer.Option("-o", "--out", help="ONNX file (default: RUN/generator.onnx).")] = None,
    checkpoint: Annotated[str | None, typer.Option(help="Checkpoint name in the run (default: newest).")] = None,
) -> None:
    """Export the generator to ONNX (dynamic batch; noise and colour weights as inputs) and check it."""
    from acgan.generate import load

    try:
        from acgan.export import export_onnx, load_onnx
    except ImportError as err:
        fail(ValueError(f"export needs the 'export' extra (pip install 'acgan[export]'): {err}"))
    try:
        model = load(run, checkpoint)
        target = out or (run if run.is_dir() else Path(".")) / "generator.onnx"
        export_onnx(model, target)
        exported = load_onnx(target)
        names = (model.vocab.hair[0], model.vocab.eyes[0])
        gap = (model.generate_tensor(*names, n=16) - exported.generate_tensor(*names, n=16)).abs().max()
        print(f"wrote {target} (step {model.step}); onnxruntime vs PyTorch on 16 faces: max difference {gap:.1e}")
    except USER_ERRORS as err:
        fail(err)


def main() -> None:
    app(prog_name="acgan")


if __name__ == "__main__":
    sys.exit(main())

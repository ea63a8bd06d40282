"""The evaluation report: turns an evaluation result dict into files a person reads in ten seconds.

It owns the presentation only (report.json, report.md and the pictures); the numbers come from the
evaluation and are never recomputed here, so a report can be re-drawn from a saved report.json.
The Markdown opens with a short summary table that sets every generated-face number beside what
real faces give (the tagger's own held-out accuracy as the ceiling, real-vs-real distance as the
floor), because a number without its reference point says nothing.

Matplotlib is optional (`acgan[eval]`): without it the JSON and Markdown are still written, and the
Markdown says how to get the pictures.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from acgan.atomic import check_folder, write_output
from acgan.data.palette import swatch

DASH = "–"
EVAL_PICTURES = ("confusion_hair.png", "confusion_eyes.png", "per_colour.png")
LOSSES_PICTURE = "losses.png"
PICTURE_CAPTIONS = {
    "confusion_hair.png": "hair: requested colour (rows) against the colour read back (columns)",
    "confusion_eyes.png": "eyes: requested colour (rows) against the colour read back (columns)",
    "per_colour.png": "per-colour accuracy of generated faces beside the tagger's ceiling on real faces",
    "losses.png": "training losses and accuracies against step",
}
NO_PICTURES_NOTE = "Pictures (confusion matrices, per-colour bars, losses) need matplotlib: `pip install 'acgan[eval]'`"
SETTING_LABELS = {
    "per_pair": "faces per hair × eye pair",
    "seed": "seed",
    "generated_faces": "generated faces",
    "real_faces": "real faces",
    "resolution": "resolution",
}
ATTRIBUTE_TITLES = {"hair": "Hair", "eyes": "Eyes"}
SECTION_TITLES = {"hair": "Hair colours", "eyes": "Eye colours"}


def write_report(report: dict, out_dir: Path, log_path: Path | None = None) -> list[Path]:
    """Write report.json, report.md and (with matplotlib) the pictures into out_dir; return the written paths."""
    out_dir = Path(out_dir)
    check_folder(out_dir)
    json_path = out_dir / "report.json"
    write_output(json_path, (json.dumps(report, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))
    written = [json_path]

    # Pictures first: the Markdown links only the pictures that exist, or says how to get them.
    pictures = draw_pictures(report, out_dir, log_path)
    if pictures is None:
        text = markdown(report, pictures=False) + "\n" + NO_PICTURES_NOTE + "\n"
        pictures = []
    else:
        text = markdown(report, pictures=[path.name for path in pictures])
    md_path = out_dir / "report.md"
    write_output(md_path, text.encode("utf-8"))
    return [*written, md_path, *pictures]


def markdown(report: dict, pictures: bool | Iterable[str] = True) -> str:
    """The report as Markdown: summary table first, then per-colour tables, Inception FID, settings, pictures.

    `pictures` is True for links to the standard evaluation pictures, False for none, or the file names to
    link (write_report passes the ones it actually drew, so losses.png is linked only when there was a log).
    """
    step = report.get("step")
    title = f"# Evaluation of {report['run']}" + (f" at step {step}" if step is not None else "")
    lines = [title, ""]
    lines += [_intro(report), ""]
    lines += [*summary_table(report), ""]
    lines += ["Read back: share of faces whose requested colour the tagger reads. Ceiling: the tagger on real "
              "faces it never trained on. Floor: the Fréchet distance between two sets of real faces.", ""]
    for attribute in ("hair", "eyes"):
        lines += [f"## {SECTION_TITLES[attribute]}", ""]
        lines += [*per_colour_table(report, attribute), ""]
    lines += ["## Inception FID", "", _inception_line(report), ""]
    lines += ["## Settings", "", *_settings_lines(report), ""]
    names = _picture_names(pictures)
    if names:
        lines += ["## Pictures", ""]
        for name in names:
            lines += [f"![{PICTURE_CAPTIONS.get(name, name)}]({name})", ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def summary_table(report: dict) -> list[str]:
    """The rows read in ten seconds: each generated number next to its real-face reference."""
    generated, ceiling = report["tag_accuracy"], report["tagger"]["held_out"]
    frechet, spread = report["frechet"], report["diversity"]
    ratio = frechet.get("ratio")
    floor = f"{_number(frechet.get('real_floor'))} (real vs real)"
    if ratio is not None:
        floor += f" → {ratio:.1f}× the floor"
    balanced = report["tagger"].get("colour_balanced", {})
    rows = [
        ("hair read back", percent(generated.get("hair")),
         f"{percent(ceiling.get('hair'))} (tagger on held-out real faces); {percent(balanced.get('hair'))} with every "
         "colour counted equally, as the generated faces are asked"),
        ("eyes read back", percent(generated.get("eyes")),
         f"{percent(ceiling.get('eyes'))}; {percent(balanced.get('eyes'))} colour-balanced"),
        ("both", percent(generated.get("both")), percent(ceiling.get("both"))),
        ("Fréchet distance (tagger features)", _number(frechet.get("generated_vs_real")), floor),
        # Diversity is shown as a ratio so that real faces are 1.00 by definition and collapse reads as ~0.
        ("diversity (within-pair spread, generated / real)", _fixed(spread.get("ratio")), "1.00"),
    ]
    spill = report.get("spill")
    if spill:  # reports written before the spill figure existed have none
        rows.append(("eye colour spill: share of an eye colour's change outside the eyes",
                     f"{percent(spill['outside_share'])} (an outside pixel changes {spill['outside_vs_inside']:.2f}× "
                     "as much as an eye pixel)",
                     f"lower is better: 0% if only the eyes change, about {percent(1 - spill['eye_pixels'])} for a "
                     "tint over the whole face"))
    return ["| | generated | real (ceiling / floor) |", "|---|---|---|", *(f"| {a} | {b} | {c} |" for a, b, c in rows)]


def per_colour_table(report: dict, attribute: str) -> list[str]:
    """One row per colour of the vocabulary; a colour the evaluation had no faces of shows a dash."""
    generated = report["tag_accuracy"].get(f"{attribute}_per_colour", {})
    ceiling = report["tagger"]["held_out"].get(f"{attribute}_per_colour", {})
    lines = ["| colour | generated | ceiling (tagger on real faces) |", "|---|---|---|"]
    for name in report["vocab"][attribute]:
        lines.append(f"| {name} | {percent(generated.get(name))} | {percent(ceiling.get(name))} |")
    return lines


def percent(value: float | None) -> str:
    return DASH if value is None else f"{value:.1%}"


def _number(value: float | None) -> str:
    """One decimal for ordinary distances, three significant digits for small ones (0.043, not 0.0)."""
    if value is None:
        return DASH
    return f"{value:.1f}" if abs(value) >= 1 else f"{value:.3g}"


def _fixed(value: float | None) -> str:
    return DASH if value is None else f"{value:.2f}"


def _intro(report: dict) -> str:
    settings = report.get("settings", {})
    parts = []
    if report.get("checkpoint"):
        parts.append(f"Checkpoint `{report['checkpoint']}`")
    if "generated_faces" in settings:
        faces = f"{settings['generated_faces']} generated faces"
        if "per_pair" in settings:
            faces += f" ({settings['per_pair']} per hair × eye pair)"
        parts.append(faces)
    tagger = report.get("tagger", {})
    judged = f"judged by the tagger in `{tagger['path']}`" if tagger.get("path") else "judged by the tagger"
    return (", ".join(parts) + " " + judged if parts else judged.capitalize()) + "."


def _inception_line(report: dict) -> str:
    fid = report.get("inception_fid")
    if fid is not None:
        return f"Inception FID: {_number(fid)}"
    return report.get("inception_fid_note") or "Inception FID: not computed."


def _settings_lines(report: dict) -> list[str]:
    lines = [f"- {SETTING_LABELS.get(key, key.replace('_', ' '))}: {value}"
             for key, value in report.get("settings", {}).items()]
    held_out = report.get("tagger", {}).get("held_out", {})
    if "faces" in held_out:
        lines.append(f"- tagger held-out real faces: {held_out['faces']}")
    spread = report.get("diversity", {})
    if "generated" in spread and "real" in spread:
        pairs = f" over {spread['pairs']} pairs" if "pairs" in spread else ""
        lines.append(f"- within-pair spread: generated {spread['generated']:.3g}, real {spread['real']:.3g}{pairs}")
    return lines


def _picture_names(pictures: bool | Iterable[str]) -> list[str]:
    if pictures is True:
        return list(EVAL_PICTURES)
    if pictures is False:
        return []
    return list(pictures)


# --- pictures ------------------------------------------------------------------------------------------------


def draw_pictures(report: dict, out_dir: Path, log_path: Path | None = None) -> list[Path] | None:
    """Draw every picture into out_dir and return their paths, or None when matplotlib cannot be imported."""
    try:
        # The bare `import matplotlib` comes first: a cached matplotlib.figure would otherwise be found even
        # when matplotlib itself is blocked.
        import matplotlib  # noqa: F401
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        return None

    def save(figure: Any, name: str) -> Path:
        # A bare Figure on an Agg canvas instead of pyplot: no global backend switch, no open-figure registry,
        # so a notebook or another thread drawing at the same time is left alone.
        FigureCanvasAgg(figure)
        path = out_dir / name
        write_output(path, lambda handle: figure.savefig(handle, format="png", dpi=110))
        return path

    paths = []
    for attribute in ("hair", "eyes"):
        paths.append(save(_confusion_figure(Figure, report, attribute), f"confusion_{attribute}.png"))
    paths.append(save(_per_colour_figure(Figure, report), "per_colour.png"))
    if log_path is not None and Path(log_path).is_file():
        records = read_log(Path(log_path))
        if log_series(records):
            paths.append(save(_losses_figure(Figure, records), LOSSES_PICTURE))
    return paths


def _confusion_figure(Figure: Any, report: dict, attribute: str) -> Any:
    names = report["vocab"][attribute]
    counts = report["confusion"][attribute]
    shares = _row_normalise(counts)
    n = len(names)
    figure = Figure(figsize=(1.6 + 0.55 * n, 1.2 + 0.5 * n), layout="constrained")
    axes = figure.add_subplot()
    axes.imshow(shares, cmap="Blues", vmin=0.0, vmax=1.0)
    axes.set_xticks(range(n), names, rotation=45, ha="right", rotation_mode="anchor")
    axes.set_yticks(range(n), names)
    axes.set_xlabel("colour read back by the tagger")
    axes.set_ylabel("colour requested")
    accuracy = report["tag_accuracy"].get(attribute)
    axes.set_title(f"{ATTRIBUTE_TITLES[attribute]}: {percent(accuracy)} read back as requested\n"
                   "cells: % of the faces asked for the row's colour", fontsize=12)
    for row in range(n):
        for column in range(n):
            share = shares[row][column]
            # Empty cells stay blank so the diagonal and the real confusions stand out in a 12 x 12 grid.
            if round(share * 100) == 0:
                continue
            axes.text(column, row, f"{share * 100:.0f}", ha="center", va="center", fontsize=8,
                      color="white" if share > 0.55 else "black")
    axes.tick_params(length=0)
    return figure


def _row_normalise(counts: list[list[int]]) -> list[list[float]]:
    """Each row as shares of its total; a row with no faces stays all zero rather than dividing by zero."""
    return [[value / sum(row) if sum(row) else 0.0 for value in row] for row in counts]


def _per_colour_figure(Figure: Any, report: dict) -> Any:
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    n_max = max(len(report["vocab"][attribute]) for attribute in ("hair", "eyes"))
    figure = Figure(figsize=(2.0 + 0.65 * n_max, 7.8), layout="constrained")
    panels = figure.subplots(2, 1)
    width = 0.4
    for axes, attribute in zip(panels, ("hair", "eyes"), strict=True):
        names = report["vocab"][attribute]
        generated = report["tag_accuracy"].get(f"{attribute}_per_colour", {})
        ceiling = report["tagger"]["held_out"].get(f"{attribute}_per_colour", {})
        for i, name in enumerate(names):
            for offset, shares, style in ((-width / 2, generated, _swatch_style(name)), (width / 2, ceiling, CEILING)):
                if name in shares:
                    axes.bar(i + offset, shares[name], width, **style)
                else:
                    axes.text(i + offset, 0.02, "no faces", rotation=90, ha="center", va="bottom", fontsize=9,
                              color="#555555", bbox={"facecolor": "white", "edgecolor": "none", "pad": 1})
        axes.axhline(1 / len(names), color=CHANCE_COLOUR, linestyle="--", linewidth=1.2)
        axes.set_xticks(range(len(names)), names, rotation=30, ha="right", rotation_mode="anchor")
        axes.set_xlim(-0.6, len(names) - 0.4)
        axes.set_ylim(0, 1.03)
        axes.set_yticks([0, 0.25, 0.5, 0.75, 1.0], ["0%", "25%", "50%", "75%", "100%"])
        axes.grid(axis="y", color="#dddddd", linewidth=0.6)
        axes.set_axisbelow(True)
        overall = report["tag_accuracy"].get(attribute)
        real = report["tagger"]["held_out"].get(attribute)
        axes.set_title(f"{ATTRIBUTE_TITLES[attribute]}: {percent(overall)} of generated faces read back as "
                       f"requested (ceiling {percent(real)}, chance 1/{len(names)})", fontsize=12)
        axes.set_ylabel("read back as requested")
    # One legend for both panels, outside them: inside, it would cover bars near 100%. The generated-faces
    # handle is neutral because each real bar carries its own colour's swatch.
    handles = [Patch(facecolor="#b8c4d6", edgecolor="#333333", label="generated faces (bar in the colour's swatch)"),
               Patch(label="tagger on held-out real faces (ceiling)", **CEILING),
               Line2D([], [], color=CHANCE_COLOUR, linestyle="--", label="chance")]
    figure.legend(handles=handles, loc="outside upper center", ncols=3, fontsize=10, frameon=False)
    return figure


CEILING: dict[str, Any] = {"facecolor": "#e4e4e4", "edgecolor": "#777777", "linewidth": 0.8, "hatch": "//"}
CHANCE_COLOUR = "#b03030"


def _swatch_style(name: str) -> dict:
    # A dark edge keeps pale swatches (white, blonde) visible on the white background.
    return {"facecolor": tuple(channel / 255 for channel in swatch(name)), "edgecolor": "#333333", "linewidth": 0.8}


def read_log(path: Path) -> list[dict]:
    """The log.jsonl records that parse; a torn last line from a killed run is skipped, not fatal."""
    records = []
    for line in path.read_bytes().splitlines():
        try:
            record = json.loads(line.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
            continue
        if isinstance(record, dict) and isinstance(record.get("step"), int | float):
            records.append(record)
    return records


def log_series(records: list[dict]) -> dict[str, dict[str, tuple[list[float], list[float]]]]:
    """{"losses" | "accuracies" | "evaluation": {key: (steps, values)}} from the log records.

    Eval keys appear only on some lines, so every series keeps its own steps. Keys that are neither a loss,
    an accuracy nor an eval number (throughput such as images_per_s) are left out: they say nothing about learning.
    """
    groups: dict[str, dict[str, tuple[list[float], list[float]]]] = {"losses": {}, "accuracies": {}, "evaluation": {}}
    for record in records:
        for key, value in record.items():
            if key == "step" or isinstance(value, bool) or not isinstance(value, int | float):
                continue
            if "loss" in key:
                group = "losses"
            elif "acc" in key:
                group = "accuracies"
            elif key.startswith("eval_"):
                group = "evaluation"
            else:
                continue
            steps, values = groups[group].setdefault(key, ([], []))
            steps.append(record["step"])
            values.append(value)
    return {group: series for group, series in groups.items() if series}


def _losses_figure(Figure: Any, records: list[dict]) -> Any:
    groups = log_series(records)
    titles = {"losses": "losses", "accuracies": "accuracies", "evaluation": "other evaluation numbers"}
    figure = Figure(figsize=(9.0, 3.0 * len(groups) + 0.4), layout="constrained")
    panels = figure.subplots(len(groups), 1, sharex=True, squeeze=False)[:, 0]
    for axes, (group, series) in zip(panels, groups.items(), strict=True):
        for key, (steps, values) in series.items():
            # Sparse series (evaluations every few thousand steps) get markers so single points stay visible.
            axes.plot(steps, values, label=key, linewidth=1.2, marker="o" if len(steps) < 40 else None,
                      markersize=4)
        axes.set_title(titles[group], fontsize=12)
        axes.grid(color="#dddddd", linewidth=0.6)
        axes.legend(fontsize=9, frameon=False, loc="best")
        if group == "accuracies":
            axes.set_ylim(-0.02, 1.02)
    panels[-1].set_xlabel("step")
    return figure

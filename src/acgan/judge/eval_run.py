"""`acgan eval`: judge one checkpoint with a tagger and write its report folder."""

from __future__ import annotations

from pathlib import Path

from acgan.atomic import check_folder
from acgan.judge.evaluate import EvalSettings, evaluate, inception_fid, real_faces_for
from acgan.judge.report import write_report
from acgan.judge.tagger import load_tagger
from acgan.run.checkpoint import find_checkpoint, run_of
from acgan.sample.generator import generator_from_checkpoint


def eval_run(run: Path, tagger: Path, settings: EvalSettings, data: Path | None = None, out: Path | None = None,
             checkpoint: str | None = None) -> Path:
    """Evaluate the run's newest checkpoint (or `checkpoint`, or a checkpoint file); returns the report folder
    (default RUN/eval/<checkpoint>, or ./eval/<checkpoint> for a record outside a run), which holds report.json,
    report.md and the pictures."""
    source = find_checkpoint(run, checkpoint)
    owner = run_of(source.path)
    # A record outside any run reports into the working folder: the shipped one lives in the installed package.
    folder = out or (owner or Path()) / "eval" / source.path.stem
    check_folder(folder)  # before the minutes of work, not after
    model = generator_from_checkpoint(source)
    judge = load_tagger(tagger)
    faces = real_faces_for(source.record, data)
    report = {"run": str(run), "checkpoint": source.path.stem, **evaluate(model, judge, faces, settings)}
    report["tagger"]["path"] = str(tagger)
    report["inception_fid"], report["inception_fid_note"] = inception_fid(model, faces, settings)
    log = owner / "log.jsonl" if owner else None
    write_report(report, folder, log if log and log.exists() else None)
    return folder

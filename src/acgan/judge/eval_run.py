"""`acgan eval`: judge one checkpoint with a tagger and write its report folder."""

from __future__ import annotations

from pathlib import Path

from acgan.judge.evaluate import EvalSettings, evaluate, inception_fid, real_faces_for
from acgan.judge.report import write_report
from acgan.judge.tagger import load_tagger
from acgan.run.checkpoint import find_checkpoint
from acgan.sample.generator import generator_from_checkpoint


def eval_run(run: Path, tagger: Path, settings: EvalSettings, data: Path | None = None, out: Path | None = None,
             checkpoint: str | None = None) -> Path:
    """Evaluate the run's newest checkpoint (or `checkpoint`, or a checkpoint file); returns the report folder
    (default RUN/eval/<checkpoint>), which holds report.json, report.md and the pictures."""
    source = find_checkpoint(run, checkpoint)
    model = generator_from_checkpoint(source)
    judge = load_tagger(tagger)
    faces = real_faces_for(source.record, data)
    report = {"run": str(run), "checkpoint": source.path.stem, **evaluate(model, judge, faces, settings)}
    report["tagger"]["path"] = str(tagger)
    report["inception_fid"], report["inception_fid_note"] = inception_fid(model, faces, settings)
    run_folder = source.path.parent.parent
    folder = out or (run if run.is_dir() else run_folder) / "eval" / source.path.stem
    log = run_folder / "log.jsonl"
    write_report(report, folder, log if log.exists() else None)
    return folder

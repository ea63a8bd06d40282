"""`acgan eval`: judge one checkpoint with a tagger and write its report folder."""

from __future__ import annotations

from pathlib import Path

from acgan.atomic import check_folder
from acgan.judge.evaluate import EvalSettings, evaluate, inception_fid, real_faces_for, verdict
from acgan.judge.reference import load_reference
from acgan.judge.report import write_report
from acgan.judge.tagger import load_tagger
from acgan.run.checkpoint import find_checkpoint, run_of
from acgan.sample.contract import TRUNCATION
from acgan.sample.generator import generator_from_checkpoint
from acgan.sample.shipped import model_path, reference_beside, shipped_tagger


def eval_run(run: Path | None, tagger: Path | None, settings: EvalSettings, data: Path | None = None,
             out: Path | None = None, checkpoint: str | None = None, truncation: float = TRUNCATION) -> Path:
    """Evaluate the run's newest checkpoint (or `checkpoint`, or a checkpoint file; None: the shipped model) with
    `tagger` (None: the shipped one); returns the report folder (default RUN/eval/<checkpoint>, or
    ./eval/<checkpoint> for a record outside a run; <checkpoint>-truncation-<psi> when drawn at a truncation other
    than 1), which holds report.json, report.md and the pictures.

    Without `data`, a packed model with the real faces' statistics stored beside it (reference.json, as the shipped
    model has) is measured against those: the faces themselves need not be on this machine."""
    source = find_checkpoint(model_path(run), checkpoint)
    owner = run_of(source.path)
    # A record outside any run reports into the working folder: the shipped one lives in the installed package.
    name = source.path.stem if truncation == TRUNCATION else f"{source.path.stem}-truncation-{truncation:g}"
    folder = out or (owner or Path()) / "eval" / name
    check_folder(folder)  # before the minutes of work, not after
    model = generator_from_checkpoint(source).with_truncation(truncation)
    judge = load_tagger(tagger or shipped_tagger())
    stored = reference_beside(source.path)
    use_stored = data is None and stored.exists()
    faces = None if use_stored else real_faces_for(source.record, data)
    reference = load_reference(stored, settings, judge.sha256) if use_stored else None
    report = {"run": str(run or "the shipped model"), "checkpoint": source.path.stem,
              **evaluate(model, judge, faces, settings, reference)}
    report["verdict"] = verdict(report)
    report["tagger"]["path"] = str(tagger or "the shipped tagger")
    report["inception_fid"], report["inception_fid_note"] = inception_fid(model, faces, settings)
    log = owner / "log.jsonl" if owner else None
    write_report(report, folder, log if log and log.exists() else None)
    return folder

"""The training loop: steps until the last, a log line every N steps, the periodic work, a clean stop.

    while not done:
        one step (its numbers stay on the device)
        every --log-every steps: read the numbers, log them, watch health, maybe stop (Ctrl-C, --minutes)
        periodic work: sample grid, checkpoint, light evaluation, each at its own interval
    last checkpoint and grid

Ctrl-C finishes the current step, saves a checkpoint and exits cleanly (a second Ctrl-C stops at once); so
does the end of the --minutes budget. Before the averaged generator draws or is saved, its BatchNorm
statistics are measured for its own weights (acgan.nets.standing).
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tqdm import tqdm

from acgan.atomic import write_atomic
from acgan.data.vocab import Vocabulary
from acgan.judge.evaluate import BestKeeper
from acgan.nets.standing import standing_statistics
from acgan.run.folder import RunLog
from acgan.sample.generator import FaceGenerator
from acgan.sample.pictures import all_pairs_png
from acgan.sample.runners import TorchRunner
from acgan.train import engine
from acgan.train.checkpointer import Checkpointer
from acgan.train.health import CollapseWatch, DivergenceError, report
from acgan.train.settings import Settings
from acgan.train.step import Counters, TrainState

SAMPLE_SEED = 1000  # the fixed noise of every sample grid in every run


@dataclass
class Session:
    """What the loop works with: the state, how to take one step, and where results go."""

    state: TrainState
    step: Callable[[], None]  # one training step; its numbers go to `counters`, on the device
    counters: Counters
    settings: Settings
    run: Path
    vocab: Vocabulary
    checkpointer: Checkpointer
    placement: engine.Placement
    watch: CollapseWatch
    keeper: BestKeeper | None = None


def loop(session: Session) -> None:
    state, settings, placement = session.state, session.settings, session.placement
    bar = tqdm(total=settings.steps, initial=state.step, desc="training", unit="step", dynamic_ncols=True,
               disable=not placement.is_main)
    log = RunLog(session.run / "log.jsonl", bar) if placement.is_main else None
    window = LogWindow(session, log)
    deadline = time.monotonic() + settings.minutes * 60 if settings.minutes else None
    with StopRequest() as stop, bar:
        while state.step < settings.steps:
            session.step()
            state.step += 1
            window.steps += 1
            bar.update(1)
            stopping = stop.requested or (deadline is not None and time.monotonic() > deadline)
            if state.step % settings.log_every == 0 or state.step == settings.steps:
                window.close(state.step)
                if engine.any_rank(stopping, placement):  # every process stops at the same step
                    break
            elif not placement.distributed and stopping:
                break
            periodic_work(session, window, log)
        finish(session)  # still under StopRequest: a Ctrl-C (or timeout's SIGINT) now cannot cost the last checkpoint


def periodic_work(session: Session, window: LogWindow, log: RunLog | None) -> None:
    """The sample grid, the checkpoint and the light evaluation that fall due at this step."""
    state, settings, placement = session.state, session.settings, session.placement
    step = state.step
    sampling = step % settings.sample_every == 0
    saving = step % settings.checkpoint_every == 0
    evaluating = session.keeper is not None and step % settings.eval_every == 0
    if sampling or saving or evaluating:
        engine.average_buffers([state.G, state.D], placement)
        measure_statistics(state)
    if sampling and placement.is_main:
        write_sample(session)
    if saving:
        session.checkpointer.save_unless_skipping(state, window.skipped_in_a_row())
    if evaluating and session.keeper is not None and log is not None:
        numbers, improved = session.keeper(drawing_model(session))
        log.log(step, **numbers)
        if improved:
            session.checkpointer.save_best(state, numbers["eval_score"])


def finish(session: Session) -> None:
    """After the last step (or a stop): average buffers, a checkpoint unless this step has one, the last grid."""
    state, placement = session.state, session.placement
    engine.average_buffers([state.G, state.D], placement)
    measure_statistics(state)
    if session.checkpointer.saved_step != state.step:
        session.checkpointer.save(state)
    if not placement.is_main:
        return
    samples = session.run / "samples"
    final = write_sample(session)
    if final is not None:
        write_atomic(samples / "latest.png", final.read_bytes())
    verb = "stopped" if state.step < session.settings.steps else "finished"
    print(f"{verb} at step {state.step}: checkpoint in {session.checkpointer.directory}, samples in {samples} "
          f"(latest: {samples / 'latest.png'})")


def drawing_model(session: Session) -> FaceGenerator:
    """The generator that draws this run's faces (the moving average when there is one), as it is at this step."""
    state = session.state
    return FaceGenerator(TorchRunner(state.sampler, state.model_cfg), session.vocab, str(session.run), state.step)


def measure_statistics(state: TrainState) -> None:
    """Standing statistics for the average of G (it draws the grids, evaluations and packed models); they last
    until the next step, which copies G's statistics into it again, so training itself is unchanged. Every
    process measures the same (same weights, same fixed noise)."""
    if state.G_ema is not None:
        standing_statistics(state.G_ema, state.model_cfg)


def write_sample(session: Session) -> Path | None:
    """The all-pairs grid of this step; a full disk costs a picture, not the run (a checkpoint failure stops it)."""
    state = session.state
    path = session.run / "samples" / f"step-{state.step:08d}.png"
    try:
        write_atomic(path, all_pairs_png(drawing_model(session), SAMPLE_SEED))
    except OSError as err:
        tqdm.write(f"warning: could not write {path}: {err}")
        return None
    return path


class LogWindow:
    """The log line of the steps since the last one: their numbers (summed on the device by the step) as
    means, the speed, the collapse watch; and the stop of a run whose steps keep being skipped."""

    def __init__(self, session: Session, log: RunLog | None) -> None:
        self.session, self.log = session, log
        self.steps, self.start = 0, time.perf_counter()

    def skipped_in_a_row(self) -> int:
        return int(self.session.counters.streak)

    def close(self, step: int) -> None:
        """Log the window's means (skips as counts), warn about collapse, stop a diverging run."""
        session, settings = self.session, self.session.settings
        sums, worst_streak = session.counters.read()
        numbers: dict[str, Any] = {key: float(v) if key.startswith("skipped") else float(v) / self.steps
                                   for key, v in engine.all_mean(sums, session.placement).items()}
        rate = self.steps * settings.batch_size * session.placement.world / (time.perf_counter() - self.start)
        numbers.update(session.watch.measure(drawing_model(session).runner))
        if self.log is not None:
            self.log.log(step, **numbers, images_per_s=round(rate, 1))
            report(session.watch.warnings(step, numbers))
        if engine.any_rank(worst_streak >= settings.max_bad_steps, session.placement):
            raise DivergenceError(session.run, step, settings.max_bad_steps, session.checkpointer.saved_step)
        self.steps, self.start = 0, time.perf_counter()


class StopRequest:
    """Turns the first Ctrl-C into a request to stop after the current step; a second one interrupts."""

    def __init__(self) -> None:
        self.requested = False

    def __enter__(self) -> StopRequest:
        self.previous = signal.signal(signal.SIGINT, self.handle)
        return self

    def handle(self, signum: int, frame: object) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True
        tqdm.write("stopping after this step (Ctrl-C again to stop at once, without a checkpoint)")

    def __exit__(self, *exc: object) -> None:
        signal.signal(signal.SIGINT, self.previous)

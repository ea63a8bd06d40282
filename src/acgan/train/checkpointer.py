"""The run's checkpoints as training writes them: a step checkpoint every N steps, 'best' when an evaluation
improves, the newest few kept.

A step checkpoint is collective under DDP (every process's RNG state is gathered for an exact resume)
and checks that the processes still hold the same weights; 'best' is for drawing faces and is written
by process 0 alone. A checkpoint is never taken in the middle of a run of skipped steps: it waits for
the next clean step, so a resume never starts from a state that was going wrong.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from tqdm import tqdm

from acgan.run.checkpoint import Record, checkpoint_dir, prune, save_checkpoint, tidy
from acgan.train import engine
from acgan.train.engine import Placement
from acgan.train.step import TrainState, state_tensors


class Checkpointer:
    def __init__(self, run: Path, template: Record, keep: int, placement: Placement, saved_step: int) -> None:
        """`template` holds what every checkpoint of this run says besides its step and state; `saved_step`
        is the step of the newest checkpoint on disk (where a resumed run starts)."""
        self.directory = checkpoint_dir(run)
        self.template, self.keep, self.placement = template, keep, placement
        self.saved_step = saved_step
        if placement.is_main:
            tidy(self.directory)

    def save(self, state: TrainState) -> None:
        """A step checkpoint (collective: every process calls it at the same step)."""
        tensors = state_tensors(state, self.placement)
        info: dict[str, Any] = {}
        if self.placement.distributed:
            info["replicas_in_sync"] = engine.replicas_in_sync([state.G, state.D], self.placement)
            if not info["replicas_in_sync"] and self.placement.is_main:
                tqdm.write(f"warning: the processes' weights differ at step {state.step}; saving rank 0's")
        if self.placement.is_main:
            save_checkpoint(self.directory, self._record(state, info), tensors)
            prune(self.directory, self.keep)
        self.saved_step = state.step

    def save_unless_skipping(self, state: TrainState, skipped_in_a_row: int) -> None:
        """`save`, or a note that the checkpoint waits for a clean step."""
        if skipped_in_a_row == 0:
            self.save(state)
        elif self.placement.is_main:
            tqdm.write(f"step {state.step}: the last {skipped_in_a_row} steps were skipped; checkpoint postponed")

    def save_best(self, state: TrainState, score: float) -> None:
        """The 'best' checkpoint (process 0 alone, which ran the evaluation)."""
        tensors = state_tensors(state, Placement(self.placement.device))
        save_checkpoint(self.directory, self._record(state, {"score": score}), tensors, name="best")

    def _record(self, state: TrainState, info: dict[str, Any]) -> Record:
        return dataclasses.replace(self.template, step=state.step, generator_weights=state.sampler_name,
                                   info={**self.template.info, **info})

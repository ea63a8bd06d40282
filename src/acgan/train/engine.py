"""How a training step runs on this machine: device, precision, memory layout, compilation, processes.

The maths of a step lives in train.py and losses.py; this module only decides how it executes:

- precision: bf16 autocast on CUDA by default, fp32 on the CPU, fp16 on request (with loss scaling);
  losses are always computed in fp32;
- every optimizer step goes through a GradScaler, which skips a step whose gradients are not finite
  without a host round trip when the optimizer is fused (CUDA); outside fp16 its scale is pinned
  at 1, so it only ever skips, never rescales;
- channels-last tensors (eager only) and fused Adam on CUDA (the CPU's oneDNN kernels crash on channels-last
  1x1 backward in PyTorch 2.13, see docs/DESIGN.md);
- torch.compile on CUDA by default, falling back to eager when compilation fails;
- DistributedDataParallel when started by torchrun (RANK / WORLD_SIZE in the environment).
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import os
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import torch
import torch.distributed as dist
from torch import nn

from acgan.errors import ConfigError, UserError

T = TypeVar("T")
PRECISIONS = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}


@dataclass(frozen=True)
class Placement:
    """Which process this is and where it computes."""

    device: torch.device
    rank: int = 0
    world: int = 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world > 1


def pick_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(name)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError(f"device {name!r} asked for, but CUDA is not available here")
    return device


def place(device_name: str) -> Placement:
    """Join the torchrun process group when there is one; otherwise a single process on `device_name`."""
    if "RANK" not in os.environ or int(os.environ.get("WORLD_SIZE", "1")) == 1:
        return Placement(pick_device(device_name))
    rank, world, local = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"]), int(os.environ["LOCAL_RANK"])
    device = pick_device(device_name)
    if device.type == "cuda":
        device = torch.device("cuda", local)
        torch.cuda.set_device(device)
    if not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return Placement(device, rank, world)


def on_main(work: Callable[[], T], placement: Placement) -> T:
    """`work()` on process 0 alone and its result on every process. When it raises, every process raises:
    process 0 its own exception, the others the same one (a UserError) or a note that process 0 failed."""
    if not placement.distributed:
        return work()
    box: list[object] = [None]
    failure: BaseException | None = None
    if placement.is_main:
        try:
            box[0] = work()
        except BaseException as err:  # shared below, then raised again with its traceback
            failure = err
            box[0] = err if isinstance(err, UserError) else RuntimeError(f"process 0 failed: {err!r}")
    dist.broadcast_object_list(box, src=0)
    if failure is not None:
        raise failure
    if isinstance(box[0], BaseException):
        raise box[0]
    return box[0]  # type: ignore[return-value]


def leave(placement: Placement, finished: bool = True) -> None:
    """Leave the process group; after a normal finish, wait for every process first (tearing gloo down
    while process 0 still writes its last files aborted the other process now and then)."""
    if placement.distributed and dist.is_initialized():
        gc.collect()  # DDP wrappers caught in reference cycles must let go of the group before it is torn down
        if finished:
            dist.barrier()
        dist.destroy_process_group()


def precision_on(device: torch.device, name: str) -> str:
    """The precision a setting (already checked to be auto, fp32, bf16 or fp16) means on this device."""
    if name == "auto":
        return "bf16" if device.type == "cuda" and torch.cuda.is_bf16_supported() else "fp32"
    if name == "fp16" and device.type != "cuda":
        raise ConfigError("fp16 needs a CUDA device (use fp32 or bf16 on the CPU)")
    return name


class GuardedOptimizer:
    """An optimizer whose step is skipped when any gradient is not finite, without syncing the host."""

    def __init__(self, optimizer: torch.optim.Optimizer, device: torch.device, precision: str) -> None:
        self.optimizer = optimizer
        self.rescale = precision == "fp16"
        self.scaler = torch.amp.GradScaler(device.type, init_scale=2.0**14 if self.rescale else 1.0)

    def step(self, loss: torch.Tensor) -> torch.Tensor:
        """Backward and step; returns 1.0 (on the device) when the step was skipped, else 0.0."""
        self.optimizer.zero_grad(set_to_none=True)
        self.scaler.scale(loss).backward()
        self.scaler.step(self.optimizer)
        # The scaler's own record of non-finite gradients (it unscaled them to decide on the step).
        skipped = sum(self.scaler._found_inf_per_device(self.optimizer).values())
        self.scaler.update(None if self.rescale else 1.0)
        return skipped

    def state_dict(self) -> dict:
        return self.scaler.state_dict()

    def load_state_dict(self, state: dict) -> None:
        self.scaler.load_state_dict(state)


def make_adam(params: Iterator[nn.Parameter], lr: float, betas: tuple[float, float],
              device: torch.device) -> torch.optim.Adam:
    # Fused Adam runs one kernel for all parameters and lets the scaler skip a step on the device.
    return torch.optim.Adam(params, lr=lr, betas=betas, fused=device.type == "cuda")


def use_compile(setting: str, device: torch.device) -> bool:
    return setting == "on" or (setting == "auto" and device.type == "cuda")


def compiled(module: nn.Module, enabled: bool) -> Callable[..., Any]:
    """torch.compile'd forward of a module, or the module itself. A compiler failure falls back to eager."""
    return EagerFallback(torch.compile(module), module) if enabled else module


class EagerFallback:
    """Calls `compiled`; if its first call fails (the compiler's failure: compilation happens then), warns
    once and calls `eager` from then on. Later failures are real errors and are raised."""

    def __init__(self, compiled: Callable[..., Any], eager: Callable[..., Any]) -> None:
        self.call, self.eager, self.first = compiled, eager, True

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if not self.first:
            return self.call(*args, **kwargs)
        self.first = False
        try:
            return self.call(*args, **kwargs)
        except Exception as err:  # the compiler's own errors share no base class
            warnings.warn(f"torch.compile failed ({str(err).splitlines()[0][:200]}); running eagerly", stacklevel=2)
            self.call = self.eager
            return self.call(*args, **kwargs)


def distributed(module: nn.Module, placement: Placement) -> nn.Module:
    """Wrap for DDP when there are several processes.

    BatchNorm stays per process: each rank normalises its own batch with that batch's statistics
    (the same batch size, hence the same maths, as a single-device run; no extra communication per
    layer). Each rank also keeps its own running statistics; `average_buffers` makes them the mean
    over the ranks, identical everywhere, before anything reads them (samples, evaluation, checkpoints).
    """
    if not placement.distributed:
        return module
    from torch.nn.parallel import DistributedDataParallel

    ids = [placement.device.index] if placement.device.type == "cuda" else None
    return DistributedDataParallel(module, device_ids=ids, forward_sync_buffers=False)


def average_buffers(modules: list[nn.Module], placement: Placement) -> None:
    """Replace every floating-point buffer (BatchNorm's running mean and variance) by its mean over the ranks."""
    if not placement.distributed:
        return
    for module in modules:
        for buffer in module.buffers():
            if buffer.is_floating_point():
                dist.all_reduce(buffer)
                buffer.div_(placement.world)


def autocast(device: torch.device, precision: str) -> contextlib.AbstractContextManager:
    if precision == "fp32":
        return contextlib.nullcontext()
    return torch.autocast(device.type, dtype=PRECISIONS[precision])


def memory_format(device: torch.device, compiling: bool) -> torch.memory_format:
    """Channels-last for eager CUDA. Compiled code chooses its own layouts (Inductor turns convolutions
    channels-last by itself), and channels-last weights under torch.compile crashed the backward of G's
    first transposed convolution in PyTorch 2.11 on an H100 (a stride check in convolution_backward)."""
    return torch.channels_last if device.type == "cuda" and not compiling else torch.contiguous_format


def all_mean(values: dict[str, torch.Tensor], placement: Placement) -> dict[str, torch.Tensor]:
    """Average logged numbers over the processes (a no-op for one process)."""
    if not placement.distributed or not values:
        return values
    keys = sorted(values)
    stacked = torch.stack([values[k].float() for k in keys])
    dist.all_reduce(stacked)
    return dict(zip(keys, stacked / placement.world, strict=True))


def any_rank(flag: bool, placement: Placement) -> bool:
    """True when `flag` is true on any process, so that all of them stop at the same step."""
    if not placement.distributed:
        return flag
    value = torch.tensor([float(flag)], device=placement.device)
    dist.all_reduce(value, op=dist.ReduceOp.MAX)
    return bool(value.item())


def gather_tensor(tensor: torch.Tensor, placement: Placement) -> list[torch.Tensor]:
    """Every process's copy of a same-shaped tensor (rank order), e.g. their random-generator states."""
    if not placement.distributed:
        return [tensor]
    local = tensor.to(placement.device)
    parts = [torch.empty_like(local) for _ in range(placement.world)]
    dist.all_gather(parts, local)
    return [p.cpu() for p in parts]


def replicas_in_sync(modules: list[nn.Module], placement: Placement) -> bool:
    """Whether every process holds bit-identical weights and buffers (always true for one process).

    DDP keeps replicas identical by construction; this checks it at every checkpoint, so a silent
    divergence (a non-deterministic kernel, a rank that skipped a step) is caught, not saved."""
    if not placement.distributed:
        return True
    digest = hashlib.sha256()
    for module in modules:
        for name, tensor in sorted(module.state_dict().items()):
            digest.update(name.encode())
            digest.update(tensor.detach().cpu().reshape(-1).view(torch.uint8).numpy().tobytes())
    digests: list[str | None] = [None] * placement.world
    dist.all_gather_object(digests, digest.hexdigest())
    return len(set(digests)) == 1


def own_part(parts: list[torch.Tensor], placement: Placement) -> torch.Tensor:
    """This process's entry of a per-rank list (what gather_tensor collected)."""
    if len(parts) != placement.world:
        raise ConfigError(f"the checkpoint holds random states for {len(parts)} processes, "
                          f"this run has {placement.world}; resume with the same number of processes")
    return parts[placement.rank].clone()  # a row of the stacked states, as a tensor of its own

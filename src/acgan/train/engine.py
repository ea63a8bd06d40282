"""How a training step runs on this machine: device, precision, memory layout, compilation, processes.

The maths of a step lives in step.py and losses.py; this module only decides how it executes:

- precision: bf16 autocast on CUDA by default, fp32 on the CPU, fp16 on request (loss scaling lives in
  the optimizer, optim.py); losses are always computed in fp32;
- how the step is run (`--compile`):
      off       eagerly, one kernel launch at a time
      modules   each network compiled by torch.compile, the rest eager
      step      the whole step (both updates, the optimizers, the average of G, the counters) compiled
                as one graph with fullgraph=True
      graph     CUDA: the whole eager step captured once as a CUDA graph and replayed
      step-graph  CUDA: the compiled whole step captured as a CUDA graph
  'auto' picks what measured fastest on the device (docs/PERFORMANCE.md); a compiler failure falls back
  to eager with a warning;
- channels-last tensors for eager CUDA kernels (compiled code chooses its own layouts);
- DistributedDataParallel when started by torchrun (RANK / WORLD_SIZE in the environment).
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import torch
import torch.distributed as dist
from torch import nn

from acgan.errors import ConfigError, UserError, shown

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
    try:
        device = torch.device(name)
    except RuntimeError:
        raise ConfigError(f"device must be 'auto', 'cpu', 'cuda' or 'cuda:N', got {shown(name)}") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError(f"device {shown(name)} asked for, but CUDA is not available here")
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
    """The precision a setting (already checked to be auto, fp32, bf16 or fp16) means on this device: 'auto' is
    bf16 on CUDA and on CPUs with bf16 units (AVX512-BF16 or AMX), fp32 elsewhere. Measured: bf16 trained 1.4 to 2 times
    faster on CPUs with those units, and 9 to 25 times slower on one without."""
    if name == "auto":
        if device.type == "cuda":
            return "bf16" if torch.cuda.is_bf16_supported() else "fp32"
        return "bf16" if cpu_has_bf16_units() else "fp32"
    if name == "fp16" and device.type != "cuda":
        raise ConfigError("fp16 needs a CUDA device (use fp32 or bf16 on the CPU)")
    return name


def cpu_has_bf16_units() -> bool:
    # torch.cpu's probes are the ones its own kernels dispatch on (no public name for them yet).
    probes = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
    return any(getattr(torch.cpu, probe, lambda: False)() for probe in probes)


# What 'auto' means, by measurement (docs/PERFORMANCE.md): on a CPU compiling did not pay for itself.
AUTO_COMPILE = {"cpu": "off", "cuda": "graph"}


def compile_mode(setting: str, placement: Placement) -> str:
    """The mode a --compile setting means for this run. Under torchrun a whole-step mode becomes 'modules':
    DDP's gradient hooks run on the host between the kernels, so a whole step cannot be one graph."""
    mode = AUTO_COMPILE.get(placement.device.type, "off") if setting == "auto" else setting
    if mode in ("graph", "step-graph") and placement.device.type != "cuda":
        raise ConfigError(f"--compile {mode} captures CUDA graphs and needs a CUDA device; use step, modules or off")
    return "modules" if placement.distributed and mode not in ("off", "modules") else mode


def step_runner(mode: str, draw: Callable[[], Any], update: Callable[[Any], None],
                generator: torch.Generator) -> Callable[[], None]:
    """One call, one training step, run as `mode` says (see the module docstring)."""
    if mode in ("step", "step-graph"):
        update = whole_step(update)
    if mode in ("graph", "step-graph"):
        return CapturedStep(lambda: update(draw()), generator)
    return lambda: update(draw())


def whole_step(update: Callable[[Any], None]) -> Callable[[Any], None]:
    """`update` compiled whole (fullgraph=True: a graph break is an error, not a silent split). Dynamo
    traces the backward passes inside it only when told to, for these calls alone."""
    compiled = EagerFallback(torch.compile(update, fullgraph=True), update)

    def call(draws: Any) -> None:
        with torch._dynamo.config.patch(trace_autograd_ops=True):
            compiled(draws)

    return call


class CapturedStep:
    """A step run as one CUDA graph: a few eager warm-up calls on a side stream (real steps), then one
    capture, then a replay per call. The run's generator is registered with the graph, so every replay
    draws new random numbers from it."""

    WARMUP = 3

    def __init__(self, step: Callable[[], None], generator: torch.Generator) -> None:
        self.step, self.generator = step, generator
        self.calls = 0
        self.graph: torch.cuda.CUDAGraph | None = None

    def __call__(self) -> None:
        if self.graph is not None:
            self.graph.replay()
        elif self.calls < self.WARMUP:
            self._on_side_stream()
        else:
            self._capture()
        self.calls += 1

    def _on_side_stream(self) -> None:
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            self.step()
        torch.cuda.current_stream().wait_stream(side)

    def _capture(self) -> None:
        graph = torch.cuda.CUDAGraph()
        graph.register_generator_state(self.generator)
        # No fallback: a generator registered with a graph cannot draw outside one, and a step that cannot be
        # captured (a host read, an unsupported kernel) is a bug in the step, which this error should show.
        with torch.cuda.graph(graph):
            self.step()
        self.graph = graph
        graph.replay()  # capturing ran nothing: this call's step is the first replay


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


def autocast(device: torch.device, precision: str) -> contextlib.AbstractContextManager[Any]:
    if precision == "fp32":
        return contextlib.nullcontext()
    # No cast cache: a cached cast would outlive the step it was made in, which a replayed graph cannot see.
    return torch.autocast(device.type, dtype=PRECISIONS[precision], cache_enabled=False)


def memory_format(device: torch.device, mode: str) -> torch.memory_format:
    """Channels-last for eager CUDA kernels (modes off and graph). Compiled code chooses its own layouts
    (Inductor turns convolutions channels-last by itself), and channels-last weights under torch.compile
    crashed the backward of G's first transposed convolution in PyTorch 2.11 on an H100 (a stride check
    in convolution_backward). On the CPU channels-last gained nothing consistent (PERFORMANCE.md), and oneDNN
    crashed on it for the tagger's narrow 1x1 convolutions (DESIGN.md)."""
    eager = mode in ("off", "graph")
    return torch.channels_last if device.type == "cuda" and eager else torch.contiguous_format


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

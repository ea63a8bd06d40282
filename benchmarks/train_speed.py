"""Training speed: acgan's step, run each way `--compile` offers, against a faithful naive loop, in one run.

    python benchmarks/train_speed.py                      # GPU: both recipes, batches 64 / 256 / 1024, every mode
    python benchmarks/train_speed.py --recipes modern --batches 64 --modes naive off step
    python benchmarks/train_speed.py --precisions fp32 bf16   # the CPU's fp32 and bf16 units side by side

The naive loop is the classic Keras-style recipe written in PyTorch, on the same networks: the dataset as
float32 NCHW in host memory, each batch drawn with numpy on the host and copied over, noise and labels
made on the host, fp32, torch.optim.Adam, no compilation, and every loss read back to the host each step.
acgan's step (step.py) keeps the uint8 dataset on the device, draws everything there and never reads a
number back; the modes:

    off         eager
    modules     each network compiled with torch.compile
    step        the whole step compiled as one graph (fullgraph=True)
    graph       CUDA: the whole eager step captured as one CUDA graph
    step-graph  CUDA: the compiled whole step captured as one CUDA graph

Prints images/s, ms/step, FLOPs per step (torch.utils.flop_counter), the share of the device's peak, peak
memory, the ratio to the naive loop and the seconds the mode took to start (compiling, capturing).
Numbers only: nothing is asserted.
"""

from __future__ import annotations

import argparse
import dataclasses
import resource
import time
from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.flop_counter import FlopCounterMode

from acgan.data.face_data import FaceData
from acgan.data.vocab import DEFAULT_VOCAB
from acgan.nets import ModelConfig, build_networks
from acgan.train import engine
from acgan.train.engine import Placement, precision_on
from acgan.train.settings import Settings, resolve
from acgan.train.step import DeviceData, TrainStep, build_state, build_step_networks, loss_weights, model_config

# Dense bf16 tensor-core peaks from the vendors' data sheets, in TFLOP/s.
GPU_PEAK_TFLOPS = {"H100 SXM": 989.4, "H100 PCIe": 756.0, "H100": 989.4, "H200": 989.4, "A100": 312.0,
                   "L40S": 362.0, "L4": 121.0, "A10": 125.0, "RTX 4090": 165.2}
GPU_MODES = ("naive", "off", "modules", "step", "graph", "step-graph")
CPU_MODES = ("naive", "off", "step")


def synthetic_faces(n: int, resolution: int) -> FaceData:
    """Random uint8 images with random labels: speed does not depend on what the pixels show."""
    rng = np.random.default_rng(0)
    return FaceData(images=rng.integers(0, 256, (n, resolution, resolution, 3), dtype=np.uint8),
                    hair=rng.integers(0, 12, n), eyes=rng.integers(0, 11, n), vocab=DEFAULT_VOCAB, source="synthetic")


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def timed(step: Callable[[], object], device: torch.device, warmup: int, steps: int) -> tuple[float, float]:
    """(seconds per step after warm-up, seconds the warm-up took), synchronising the device around each."""
    start = time.perf_counter()
    for _ in range(warmup):
        step()
    sync(device)
    started = time.perf_counter()
    for _ in range(steps):
        step()
    sync(device)
    return (time.perf_counter() - started) / steps, started - start


def acgan_step(settings: Settings, data: FaceData, device: torch.device, precision: str) -> Callable[[], None]:
    """acgan's own step, run as settings.compile says."""
    placement = Placement(device)
    state = build_state(settings, model_config(settings, DEFAULT_VOCAB), placement, precision)
    nets = build_step_networks(state, settings, placement, precision)
    step = TrainStep(state, nets, DeviceData.from_faces(data, device), settings, loss_weights(settings))
    return engine.step_function(engine.compile_mode(settings.compile, placement), step.draw, step.update, state.rng)


def naive_step(settings: Settings, model_cfg: ModelConfig, data: FaceData, device: torch.device) -> Callable[[], None]:
    """The classic loop on the same networks: host-side numpy batches, fp32, NCHW, a host round trip per loss."""
    torch.manual_seed(settings.seed)
    G, D = (net.to(device) for net in build_networks(model_cfg))
    opt_g = torch.optim.Adam(G.parameters(), lr=settings.lr_g, betas=(settings.beta1, settings.beta2))
    opt_d = torch.optim.Adam(D.parameters(), lr=settings.lr_d, betas=(settings.beta1, settings.beta2))
    images = data.images.transpose(0, 3, 1, 2).astype(np.float32) / 127.5 - 1  # preprocessed once, as in Keras
    rng = np.random.default_rng(settings.seed)
    batch = settings.batch_size
    history: list[float] = []

    def on_device(array: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(array).to(device)

    def bce_ce(out: tuple, target: np.ndarray, hair: np.ndarray, eyes: np.ndarray) -> torch.Tensor:
        validity, hair_logits, eye_logits = out
        return (1.4 * F.binary_cross_entropy_with_logits(validity, on_device(target))
                + 0.8 * (F.cross_entropy(hair_logits, on_device(hair)) + F.cross_entropy(eye_logits, on_device(eyes))))

    def step() -> None:
        index = rng.integers(0, len(images), batch)
        real = on_device(images[index])
        z = on_device(rng.standard_normal((batch, model_cfg.z_dim)).astype(np.float32))
        fake_hair, fake_eyes = rng.integers(0, 12, batch), rng.integers(0, 11, batch)
        fake = G(z, on_device(fake_hair), on_device(fake_eyes))
        real_target = rng.uniform(0.8, 1.0, batch).astype(np.float32)
        fake_target = rng.uniform(0.0, 0.2, batch).astype(np.float32)
        d_loss = (bce_ce(D(real, on_device(data.hair[index]), on_device(data.eyes[index])), real_target,
                         data.hair[index], data.eyes[index])
                  + 1.4 * F.binary_cross_entropy_with_logits(
                      D(fake.detach(), on_device(fake_hair), on_device(fake_eyes))[0], on_device(fake_target)))
        opt_d.zero_grad()
        d_loss.backward()
        opt_d.step()
        D.requires_grad_(False)
        g_loss = bce_ce(D(fake, on_device(fake_hair), on_device(fake_eyes)), np.ones(batch, np.float32),
                        fake_hair, fake_eyes)
        opt_g.zero_grad()
        g_loss.backward()
        opt_g.step()
        D.requires_grad_(True)
        history.append(d_loss.item() + g_loss.item())  # the per-step host round trip of a Keras loop

    return step


def flops_per_step(settings: Settings, data: FaceData, device: torch.device) -> int:
    """Counted on one eager fp32 step (the count does not depend on precision or compilation)."""
    step = acgan_step(dataclasses.replace(settings, compile="off"), data, device, "fp32")
    step()
    with FlopCounterMode(display=False) as counter:
        step()
    return counter.get_total_flops()


def peak_flops(device: torch.device, precision: str) -> tuple[float, str]:
    """The device's peak in FLOP/s for this precision and where the number comes from."""
    if device.type == "cuda":
        name = torch.cuda.get_device_name(device)
        for key, tflops in GPU_PEAK_TFLOPS.items():
            if key in name:
                return tflops * 1e12, f"{name}: {tflops:g} TFLOP/s dense bf16 (data sheet)"
        return float("nan"), f"{name}: peak unknown"
    dtype = torch.bfloat16 if precision == "bf16" else torch.float32
    a = torch.randn(1024, 1024, dtype=dtype)
    best = min(timed(lambda: a @ a, device, 2, 5)[0] for _ in range(3))
    return 2 * 1024**3 / best, f"CPU ({torch.get_num_threads()} threads): measured {precision} 1024x1024 matmul rate"


def peak_memory_mb(device: torch.device) -> float:
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # process peak RSS (KiB on Linux)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--recipes", nargs="+", default=["classic", "modern"])
    parser.add_argument("--resolution", type=int, default=64)
    parser.add_argument("--width", type=int, default=64)
    parser.add_argument("--batches", type=int, nargs="+")
    parser.add_argument("--modes", nargs="+", help=f"of {', '.join(GPU_MODES)}")
    parser.add_argument("--precisions", nargs="+", help="fp32, bf16, fp16 (default: auto for the device)")
    parser.add_argument("--steps", type=int)
    parser.add_argument("--warmup", type=int)
    parser.add_argument("--faces", type=int, default=10_000, help="size of the synthetic dataset")
    args = parser.parse_args()
    device = torch.device(args.device)
    gpu = device.type == "cuda"
    batches = args.batches or ([64, 256, 1024] if gpu else [64])
    modes = args.modes or (GPU_MODES if gpu else CPU_MODES)
    precisions = args.precisions or [precision_on(device, "auto")]
    steps, warmup = args.steps or (30 if gpu else 5), args.warmup or (10 if gpu else 2)
    data = synthetic_faces(args.faces, args.resolution)
    print(f"device {device} ({torch.__version__}) | {args.resolution} px, width {args.width} | {steps} timed steps "
          f"after {warmup}; 'start s' is the warm-up's time (compiling, capturing)")
    print("| recipe | batch | precision | mode | images/s | ms/step | GFLOP/step | % of peak | peak memory MB | "
          "vs naive | start s |")
    print("|---|---:|---|---|---:|---:|---:|---:|---:|---:|---:|")
    peaks = {precision: peak_flops(device, precision) for precision in {"fp32", *precisions}}
    for recipe in args.recipes:
        for batch in batches:
            settings = resolve(recipe=recipe, batch_size=batch, resolution=args.resolution, width=args.width,
                               data="synthetic")
            flops = flops_per_step(settings, data, device)
            naive = None
            runs = [("fp32", "naive")] if "naive" in modes else []
            runs += [(precision, mode) for precision in precisions for mode in modes if mode != "naive"]
            for precision, mode in runs:
                if gpu:
                    torch.cuda.reset_peak_memory_stats(device)
                if mode == "naive":
                    step = naive_step(settings, model_config(settings, DEFAULT_VOCAB), data, device)
                else:
                    step = acgan_step(dataclasses.replace(settings, compile=mode), data, device, precision)
                seconds, start = timed(step, device, warmup, steps)
                naive = seconds if mode == "naive" else naive
                ratio = f"{naive / seconds:.2f}x" if naive else ""
                share = flops / seconds / peaks[precision][0] * 100
                print(f"| {recipe} | {batch} | {precision} | {mode} | {batch / seconds:,.0f} | {seconds * 1000:.2f} | "
                      f"{flops / 1e9:.1f} | {share:.2f} | {peak_memory_mb(device):,.0f} | {ratio} | {start:.1f} |",
                      flush=True)
    for precision, (_, source) in peaks.items():
        print(f"peak ({precision}): {source}")


if __name__ == "__main__":
    main()

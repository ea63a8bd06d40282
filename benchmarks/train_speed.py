"""Training speed: acgan's step against a faithful naive loop, on the same model, machine and run.

    python benchmarks/train_speed.py              # the full table on a GPU; a small, quick one on a CPU
    python benchmarks/train_speed.py --batches 64 256 1024 --steps 50

The naive loop is the classic Keras-style recipe written in PyTorch: the dataset as float32 NCHW
in host memory, each batch drawn with numpy on the host and copied over, noise and labels made on
the host, fp32, no compilation, and every loss read back to the host each step. acgan's step keeps
the uint8 dataset on the device and draws everything there, and on CUDA adds bf16 autocast,
channels-last, fused Adam and torch.compile. Both run the same networks and the same losses.

Prints images/s, ms/step, FLOPs per step (torch.utils.flop_counter), the share of the device's
peak, peak memory, and the ratio to the naive loop. Numbers only: nothing is asserted.
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

from acgan.data.faces import FaceData
from acgan.data.vocab import DEFAULT_VOCAB
from acgan.nets import ClassicDiscriminator, ClassicGenerator, ModelConfig
from acgan.train.engine import Placement, precision_on, use_compile
from acgan.train.losses import LossWeights
from acgan.train.settings import Settings, resolve
from acgan.train.step import DeviceData, build_runner, build_state, train_step

# Dense bf16 tensor-core peaks from the vendors' data sheets, in TFLOP/s.
GPU_PEAK_TFLOPS = {"H100 SXM": 989.4, "H100 PCIe": 756.0, "H100": 989.4, "H200": 989.4, "A100": 312.0,
                   "L40S": 362.0, "L4": 121.0, "A10": 125.0, "RTX 4090": 165.2}


def synthetic_faces(n: int, resolution: int) -> FaceData:
    """Random uint8 images with random labels: speed does not depend on what the pixels show."""
    rng = np.random.default_rng(0)
    return FaceData(images=rng.integers(0, 256, (n, resolution, resolution, 3), dtype=np.uint8),
                    hair=rng.integers(0, 12, n), eyes=rng.integers(0, 11, n), vocab=DEFAULT_VOCAB, source="synthetic")


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def graphs_compiled() -> int:
    """Graphs torch.compile has built so far in this process (a rise after warm-up is a recompile)."""
    return torch._dynamo.utils.counters["stats"]["unique_graphs"]


def timed(step: Callable[[], object], device: torch.device, warmup: int, steps: int) -> tuple[float, int]:
    """Seconds per step after warm-up, synchronising the device before and after, and the graphs
    compiled during the timed steps."""
    for _ in range(warmup):
        step()
    sync(device)
    graphs = graphs_compiled()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    sync(device)
    return (time.perf_counter() - start) / steps, graphs_compiled() - graphs


def acgan_step(cfg: Settings, model_cfg: ModelConfig, data: FaceData, device: torch.device,
               fast: bool) -> Callable[[], object]:
    """acgan's own step; fast=False runs it in fp32 without compilation (for counting FLOPs)."""
    placement = Placement(device)
    precision = precision_on(device, cfg.precision if fast else "fp32")
    cfg = cfg if fast else dataclasses.replace(cfg, compile="off")
    state = build_state(cfg, model_cfg, placement, precision)
    runner = build_runner(state, cfg, placement, precision)
    on_device = DeviceData.from_faces(data, device)
    weights = LossWeights()
    return lambda: train_step(state, runner, on_device, cfg, weights)


def naive_step(cfg: Settings, model_cfg: ModelConfig, data: FaceData, device: torch.device) -> Callable[[], object]:
    """The classic loop: host-side numpy batches, fp32, NCHW, a host round trip for every loss."""
    torch.manual_seed(cfg.seed)
    G, D = ClassicGenerator(model_cfg).to(device), ClassicDiscriminator(model_cfg).to(device)
    opt_g = torch.optim.Adam(G.parameters(), lr=cfg.lr_g, betas=(cfg.beta1, cfg.beta2))
    opt_d = torch.optim.Adam(D.parameters(), lr=cfg.lr_d, betas=(cfg.beta1, cfg.beta2))
    images = data.images.transpose(0, 3, 1, 2).astype(np.float32) / 127.5 - 1  # preprocessed once, as in Keras
    rng = np.random.default_rng(cfg.seed)
    batch = cfg.batch_size
    history: list[float] = []

    def bce_ce(out: tuple, target: np.ndarray, hair: np.ndarray, eyes: np.ndarray) -> torch.Tensor:
        validity, hair_logits, eye_logits = out
        return (1.4 * F.binary_cross_entropy_with_logits(validity, torch.from_numpy(target).to(device))
                + 0.8 * (F.cross_entropy(hair_logits, torch.from_numpy(hair).to(device))
                         + F.cross_entropy(eye_logits, torch.from_numpy(eyes).to(device))))

    def step() -> None:
        index = rng.integers(0, len(images), batch)
        real = torch.from_numpy(images[index]).to(device)
        z = torch.from_numpy(rng.standard_normal((batch, model_cfg.z_dim)).astype(np.float32)).to(device)
        fake_hair, fake_eyes = rng.integers(0, 12, batch), rng.integers(0, 11, batch)
        fake = G(z, torch.from_numpy(fake_hair).to(device), torch.from_numpy(fake_eyes).to(device))
        real_target = rng.uniform(0.8, 1.0, batch).astype(np.float32)
        fake_target = rng.uniform(0.0, 0.2, batch).astype(np.float32)
        d_loss = (bce_ce(D(real), real_target, data.hair[index], data.eyes[index])
                  + 1.4 * F.binary_cross_entropy_with_logits(D(fake.detach())[0],
                                                             torch.from_numpy(fake_target).to(device)))
        opt_d.zero_grad()
        d_loss.backward()
        opt_d.step()
        D.requires_grad_(False)
        g_loss = bce_ce(D(fake), np.ones(batch, np.float32), fake_hair, fake_eyes)
        opt_g.zero_grad()
        g_loss.backward()
        opt_g.step()
        D.requires_grad_(True)
        history.append(d_loss.item() + g_loss.item())  # the per-step host round trip of a Keras loop

    return step


def flops_per_step(cfg: Settings, model_cfg: ModelConfig, data: FaceData, device: torch.device) -> int:
    """Counted on one eager fp32 step (the count does not depend on precision or compilation)."""
    step = acgan_step(cfg, model_cfg, data, device, fast=False)
    step()
    with FlopCounterMode(display=False) as counter:
        step()
    return counter.get_total_flops()


def peak_flops(device: torch.device) -> tuple[float, str]:
    """The device's peak in FLOP/s and where the number comes from."""
    if device.type == "cuda":
        name = torch.cuda.get_device_name(device)
        for key, tflops in GPU_PEAK_TFLOPS.items():
            if key in name:
                return tflops * 1e12, f"{name}: {tflops:g} TFLOP/s dense bf16 (data sheet)"
        return float("nan"), f"{name}: peak unknown"
    a = torch.randn(1024, 1024)
    best = min(timed(lambda: a @ a, device, 2, 5)[0] for _ in range(3))
    return 2 * 1024**3 / best, f"CPU ({torch.get_num_threads()} threads): measured fp32 1024x1024 matmul rate"


def peak_memory_mb(device: torch.device) -> float:
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # process peak RSS (KiB on Linux)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--resolution", type=int, default=64)
    parser.add_argument("--width", type=int, default=64)
    parser.add_argument("--batches", type=int, nargs="+")
    parser.add_argument("--steps", type=int)
    parser.add_argument("--warmup", type=int)
    parser.add_argument("--faces", type=int, default=10_000, help="size of the synthetic dataset")
    args = parser.parse_args()
    device = torch.device(args.device)
    gpu = device.type == "cuda"
    batches = args.batches or ([64, 256, 1024] if gpu else [64])
    steps, warmup = args.steps or (50 if gpu else 5), args.warmup or (20 if gpu else 2)
    data = synthetic_faces(args.faces, args.resolution)
    model_cfg = ModelConfig(resolution=args.resolution, width=args.width)
    peak, peak_source = peak_flops(device)
    precision = precision_on(device, "auto")
    compiling = use_compile("auto", device)
    print(f"device {device} | {args.resolution} px, width {args.width} | acgan: {precision}, fused Adam "
          f"{'on' if gpu else 'off'}, channels-last {'on' if gpu else 'off'} when eager; 'acgan eager' is the same "
          f"step without torch.compile | peak: {peak_source}")
    loops = {"naive": lambda c: naive_step(c, model_cfg, data, device)}
    if compiling:
        loops["acgan eager"] = lambda c: acgan_step(dataclasses.replace(c, compile="off"), model_cfg, data, device,
                                                    fast=True)
    loops["acgan"] = lambda c: acgan_step(c, model_cfg, data, device, fast=True)
    print("| batch | loop | images/s | ms/step | GFLOP/step | % of peak | peak memory MB | vs naive | "
          "recompiles after warm-up |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|")
    for batch in batches:
        cfg = resolve(batch_size=batch, resolution=args.resolution, width=args.width, data="synthetic")
        flops = flops_per_step(cfg, model_cfg, data, device)
        rows = {}
        for name, make in loops.items():
            if gpu:
                torch.cuda.reset_peak_memory_stats(device)
            seconds, recompiles = timed(make(cfg), device, warmup, steps)
            rows[name] = seconds
            share = flops / seconds / peak * 100
            ratio = rows["naive"] / seconds
            print(f"| {batch} | {name} | {batch / seconds:,.0f} | {seconds * 1000:.1f} | {flops / 1e9:.1f} | "
                  f"{share:.2f} | {peak_memory_mb(device):,.0f} | {ratio:.2f}x | {recompiles} |", flush=True)


if __name__ == "__main__":
    main()

"""Generation speed on the CPU: one face's latency and batch throughput, PyTorch against onnxruntime.

    python benchmarks/generate_speed.py                 # the shipped 64 px model
    python benchmarks/generate_speed.py --run runs/demo # a run's generator instead

Rows: the bare network call (noise and labels ready) for PyTorch eager and for the ONNX export, and
the whole Python API call (`FaceGenerator.generate`: noise from the seed, the network, PIL images)
for both. Latency is the median of many single-face calls after warm-up. Numbers only.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import torch

from acgan.sample.export import export_onnx
from acgan.sample.generator import load, load_onnx
from acgan.sample.runners import OnnxRunner, TorchRunner
from acgan.sample.seeds import noise_for_seeds


def median_seconds(call: Callable[[], object], repeats: int, warmup: int = 5) -> float:
    for _ in range(warmup):
        call()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", help="a run folder or checkpoint (default: the shipped model)")
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--batches", type=int, nargs="+", default=[16, 64, 256])
    args = parser.parse_args()
    model = load(args.run)
    assert isinstance(model.runner, TorchRunner)
    with tempfile.TemporaryDirectory() as folder:
        path = export_onnx(model, Path(folder) / "generator.onnx")
        runner, exported = OnnxRunner(path), load_onnx(path)
        G, cfg = model.runner.net.eval(), model.runner.cfg
        print(f"CPU, {torch.get_num_threads()} torch threads | {model.resolution} px generator, "
              f"{sum(p.numel() for p in G.parameters()) / 1e6:.1f} M parameters")
        print("| what | batch | PyTorch ms | onnxruntime ms | PyTorch faces/s | onnxruntime faces/s |")
        print("|---|---:|---:|---:|---:|---:|")
        for batch in [1, *args.batches]:
            z = noise_for_seeds(range(batch), cfg.z_dim)
            hair, eyes = torch.arange(batch) % cfg.n_hair, torch.arange(batch) % cfg.n_eyes
            repeats = max(5, args.repeats // batch)
            with torch.inference_mode():
                torch_s = median_seconds(lambda z=z, h=hair, e=eyes: G(z, h, e), repeats)
            onnx_s = median_seconds(lambda z=z, h=hair, e=eyes: runner(z, h, e), repeats)
            print(f"| network call | {batch} | {torch_s * 1000:.2f} | {onnx_s * 1000:.2f} | {batch / torch_s:,.0f} | "
                  f"{batch / onnx_s:,.0f} |", flush=True)
        api = [median_seconds(lambda m=m: m.generate("blonde", "blue", n=1, seed=7), args.repeats)
               for m in (model, exported)]
        print(f"| generate() API, noise to PIL | 1 | {api[0] * 1000:.2f} | {api[1] * 1000:.2f} | "
              f"{1 / api[0]:,.0f} | {1 / api[1]:,.0f} |")


if __name__ == "__main__":
    main()

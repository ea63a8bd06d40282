"""Drawing faces from a trained generator: the Python API behind the CLI, the web page and the sample grids.

    model = acgan.load("runs/demo")                 # a FaceGenerator
    model.generate(hair="blue", eyes="red", n=4, seed=0)

A FaceGenerator holds a `Runner`: the network run in eval mode (BatchNorm on its running statistics)
by PyTorch (`TorchGenerator`) or by onnxruntime (export.py's `OnnxRunner`); both draw the same faces
for the same seeds and colours (faces.py says how a seed becomes a face).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import torch
from PIL import Image
from torch import nn

from acgan.data.vocab import Vocabulary
from acgan.errors import UserError
from acgan.nets import ModelConfig, build_generator
from acgan.run.checkpoint import Checkpoint, find_checkpoint, load_module
from acgan.sample.faces import Face, colours_for, names_for, noise_for_seeds
from acgan.sample.images import image_grid, resized, to_pil
from acgan.sample.shipped import shipped_generator


class Runner(Protocol):
    """A generator ready to draw: (z, hair, eyes) -> float images (B, 3, H, W) in [-1, 1] on the CPU, no
    gradients; labels as indices (B,) or per-colour weights (B, n)."""

    cfg: ModelConfig
    backend: str

    def __call__(self, z: torch.Tensor, hair: torch.Tensor, eyes: torch.Tensor) -> torch.Tensor: ...


class TorchGenerator:
    """A generator network run by PyTorch as a Runner: eval mode for the call (the mode it was in is
    restored, so a network still in training can be drawn from), inputs moved to its device."""

    backend = "torch"

    def __init__(self, net: nn.Module, cfg: ModelConfig) -> None:
        self.net, self.cfg = net, cfg

    def __call__(self, z: torch.Tensor, hair: torch.Tensor, eyes: torch.Tensor) -> torch.Tensor:
        if not self.net.training:  # a loaded model: skip the mode switch, a walk over every layer (0.3 ms)
            return self.drawn(z, hair, eyes)
        self.net.eval()
        try:
            return self.drawn(z, hair, eyes)
        finally:
            self.net.train()

    @torch.inference_mode()
    def drawn(self, z: torch.Tensor, hair: torch.Tensor, eyes: torch.Tensor) -> torch.Tensor:
        device = next(self.net.parameters()).device
        return self.net(z.to(device), hair.to(device), eyes.to(device)).float().cpu()


def draw(G: Runner, seeds: Sequence[int], hair: torch.Tensor, eyes: torch.Tensor, batch: int = 256) -> torch.Tensor:
    """Faces for the given seeds and labels (indices, or per-colour weights), float (B, 3, H, W) in [-1, 1]."""
    return synthesize(G, noise_for_seeds(seeds, G.cfg.z_dim), hair, eyes, batch)


def synthesize(G: Runner, z: torch.Tensor, hair: torch.Tensor, eyes: torch.Tensor, batch: int = 256) -> torch.Tensor:
    """G over (z, hair, eyes) in batches of at most `batch`."""
    if len(z) <= batch:
        return G(z, hair, eyes)
    return torch.cat([G(z[i:i + batch], hair[i:i + batch], eyes[i:i + batch]) for i in range(0, len(z), batch)])


def slerp(a: torch.Tensor, b: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Spherical interpolation of two noise vectors for each t in [0, 1]: Gaussian noise lives near a
    sphere, and a straight line between two points on it passes through unlikely, washed-out codes."""
    cos = torch.dot(a, b) / (a.norm() * b.norm())
    angle = torch.arccos(cos.clamp(-1.0, 1.0))
    if angle < 1e-6:
        path = a + t[:, None] * (b - a)
    else:
        path = (torch.sin((1 - t) * angle)[:, None] * a + torch.sin(t * angle)[:, None] * b) / torch.sin(angle)
    path[t == 0], path[t == 1] = a, b  # exact ends, not ends up to rounding
    return path


def blend(a: int, b: int, n: int, t: torch.Tensor) -> torch.Tensor:
    """Per-colour weights (len(t), n) going from one-hot a to one-hot b."""
    weights = torch.zeros(len(t), n)
    weights[:, a] += 1 - t
    weights[:, b] += t
    return weights


def pairs_grid(G: Runner, vocab: Vocabulary, seed: int, size: int | None = None) -> Image.Image:
    """Every hair x eye pair: one row per hair colour, eye colours across, column k from seed + k.

    A column keeps its noise down the rows, so it shows one face in every hair colour, and the
    columns show different faces: both the colour control and the variety are visible at a glance.
    """
    n_hair, n_eyes = len(vocab.hair), len(vocab.eyes)
    seeds = [seed + e for _ in range(n_hair) for e in range(n_eyes)]
    hair = torch.arange(n_hair).repeat_interleave(n_eyes)
    eyes = torch.arange(n_eyes).repeat(n_hair)
    images = resized(to_pil(draw(G, seeds, hair, eyes)), size)
    return image_grid(images, n_eyes, row_labels=[f"{h} hair" for h in vocab.hair],
                      column_labels=[f"{e} eyes" for e in vocab.eyes], cell=max(64, images[0].width))


@dataclass
class FaceGenerator:
    """A trained generator with its vocabulary: `acgan.load(path).generate(hair='blue', eyes='red')`."""

    G: Runner
    vocab: Vocabulary
    source: str
    step: int

    @property
    def resolution(self) -> int:
        return self.G.cfg.resolution

    @property
    def backend(self) -> str:
        return self.G.backend

    def generate(self, hair: str | Sequence[str], eyes: str | Sequence[str], n: int = 1,
                 seed: int = 0) -> list[Image.Image]:
        """n faces with the given colours (one name for all, or one per face); face k uses seed + k."""
        return to_pil(self.generate_tensor(hair, eyes, n, seed))

    def generate_tensor(self, hair: str | Sequence[str], eyes: str | Sequence[str], n: int = 1,
                        seed: int = 0) -> torch.Tensor:
        """The faces `generate` draws, as float images (n, 3, H, W) in [-1, 1]."""
        return draw_faces(self.G, self.vocab, self.requested(hair, eyes, n, seed))

    def requested(self, hair: str | Sequence[str], eyes: str | Sequence[str], n: int, seed: int) -> list[Face]:
        """(seed, hair, eyes) of each face asked for; "random" is drawn from the face's own seed, as everywhere."""
        if n < 1:
            raise UserError(f"n must be at least 1, got {n}")
        hairs, eyess = names_for(hair, n), names_for(eyes, n)
        return [(seed + k, *colours_for(self.vocab, seed + k, hairs[k], eyess[k])) for k in range(n)]

    def faces(self, faces: Sequence[Face]) -> list[Image.Image]:
        """One image per (seed, hair, eyes), each exactly the face `generate` draws for that seed and colours."""
        return to_pil(draw_faces(self.G, self.vocab, faces))

    def all_pairs(self, seed: int = 0, size: int | None = None) -> Image.Image:
        """Every hair x eye pair in one labelled grid (pairs_grid), faces at `size` pixels when given."""
        return pairs_grid(self.G, self.vocab, seed, size)

    def morph(self, start: Face, end: Face, steps: int = 8) -> list[Image.Image]:
        """Faces on the way from (seed, hair, eyes) `start` to `end`: noise along a great circle, colours
        blended; the first and last frames are exactly the two faces `generate` draws for them."""
        if not 2 <= steps <= 256:
            raise UserError(f"steps must be between 2 and 256, got {steps}")
        t = torch.linspace(0, 1, steps)
        z = noise_for_seeds([start[0], end[0]], self.G.cfg.z_dim)
        hair = blend(self.vocab.hair_index(start[1]), self.vocab.hair_index(end[1]), len(self.vocab.hair), t)
        eyes = blend(self.vocab.eye_index(start[2]), self.vocab.eye_index(end[2]), len(self.vocab.eyes), t)
        return to_pil(synthesize(self.G, slerp(z[0], z[1], t), hair, eyes))


def draw_faces(G: Runner, vocab: Vocabulary, faces: Sequence[Face]) -> torch.Tensor:
    if not faces:
        raise UserError("n must be at least 1: no faces were asked for")
    hair = torch.tensor([vocab.hair_index(h) for _, h, _ in faces], dtype=torch.long)
    eyes = torch.tensor([vocab.eye_index(e) for _, _, e in faces], dtype=torch.long)
    return draw(G, [seed for seed, _, _ in faces], hair, eyes)


def generator_from_checkpoint(checkpoint: Checkpoint, device: str | torch.device = "cpu") -> FaceGenerator:
    record = checkpoint.record
    cfg = record.model_config()
    G = build_generator(cfg)
    load_module(record.generator_weights, G, checkpoint.tensors)
    G.to(device).eval()
    return FaceGenerator(G=TorchGenerator(G, cfg), vocab=record.vocab, source=str(checkpoint.path),
                         step=checkpoint.step)


def load(path: str | Path | None = None, checkpoint: str | None = None,
         device: str | torch.device = "cpu") -> FaceGenerator:
    """Load a generator: with no path the one shipped in the package (64 px, docs/MODEL_CARD.md); else a run
    folder (its newest good checkpoint, or `checkpoint` by name) or a checkpoint file."""
    return generator_from_checkpoint(find_checkpoint(shipped_generator() if path is None else path, checkpoint), device)

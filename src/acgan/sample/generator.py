"""Drawing faces from a trained generator: the Python API behind the CLI, the web server and the sample grids.

    model = acgan.load("runs/demo")                 # a FaceGenerator
    model.generate(hair="blue", eyes="red", n=4, seed=0)

A FaceGenerator is a trained generator with its vocabulary and where it came from. It holds a Runner
(runners.py): the network run in eval mode (BatchNorm on its running statistics) by PyTorch or by
onnxruntime; both draw the same faces for the same seeds and colours (seeds.py says how a seed becomes
a face).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
from PIL import Image

from acgan.data.vocab import UnknownColourError, Vocabulary
from acgan.errors import UserError, WrongTypeError, shown
from acgan.nets import build_generator
from acgan.run.checkpoint import Checkpoint, find_checkpoint, load_module
from acgan.sample.arguments import colour_names, face_count, face_of, seed_of, whole_number
from acgan.sample.contract import MAX_MORPH_STEPS, MAX_SIZE, MIN_SIZE, MORPH_STEPS, Face
from acgan.sample.images import image_grid, resized, to_pil
from acgan.sample.records import public_name
from acgan.sample.runners import OnnxRunner, Runner, TorchRunner
from acgan.sample.seeds import check_seeds, colours_for, noise_for_seeds
from acgan.sample.shipped import model_path


def draw(runner: Runner, seeds: Sequence[int], hair: torch.Tensor, eyes: torch.Tensor,
         batch: int = 256) -> torch.Tensor:
    """Faces for the given seeds and labels (indices, or per-colour weights), float (B, 3, H, W) in [-1, 1]."""
    return synthesize(runner, noise_for_seeds(seeds, runner.cfg.z_dim), hair, eyes, batch)


def synthesize(runner: Runner, z: torch.Tensor, hair: torch.Tensor, eyes: torch.Tensor,
               batch: int = 256) -> torch.Tensor:
    """The network over (z, hair, eyes) in batches of at most `batch`."""
    if len(z) <= batch:
        return runner(z, hair, eyes)
    return torch.cat([runner(z[i:i + batch], hair[i:i + batch], eyes[i:i + batch]) for i in range(0, len(z), batch)])


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


def pairs_grid(runner: Runner, vocab: Vocabulary, seed: int, size: int | None = None) -> Image.Image:
    """Every hair x eye pair: one row per hair colour, eye colours across, column k from seed + k.

    A column keeps its noise down the rows, so it shows one face in every hair colour, and the
    columns show different faces: both the colour control and the variety are visible at a glance.
    """
    n_hair, n_eyes = len(vocab.hair), len(vocab.eyes)
    seeds = [seed + e for _ in range(n_hair) for e in range(n_eyes)]
    hair = torch.arange(n_hair).repeat_interleave(n_eyes)
    eyes = torch.arange(n_eyes).repeat(n_hair)
    images = resized(to_pil(draw(runner, seeds, hair, eyes)), size)
    return image_grid(images, n_eyes, row_labels=[f"{h} hair" for h in vocab.hair],
                      column_labels=[f"{e} eyes" for e in vocab.eyes], cell=max(64, images[0].width))

DRAW_BATCH = 256  # faces drawn at once within one call, so memory does not grow with the count


@dataclass
class FaceGenerator:
    """A trained generator with its vocabulary: `acgan.load(path).generate(hair='blue', eyes='red')`."""

    runner: Runner
    vocab: Vocabulary
    source: str  # the checkpoint (or export) it was loaded from, as given: for this machine's messages
    step: int

    @property
    def public_source(self) -> str:
        """The source as pictures, answers and exports name it (no absolute folders)."""
        return public_name(self.source)

    @property
    def resolution(self) -> int:
        return self.runner.cfg.resolution

    @property
    def runtime(self) -> str:
        return self.runner.runtime

    def generate(self, hair: str | Sequence[str], eyes: str | Sequence[str], n: int = 1,
                 seed: int = 0) -> list[Image.Image]:
        """n faces (1 to 10,000, drawn in batches) with the given colours (one name for all, or one per face; any
        may be "random"); face k uses seed + k."""
        return self.faces(self.requested(hair, eyes, n, seed))

    def generate_tensor(self, hair: str | Sequence[str], eyes: str | Sequence[str], n: int = 1,
                        seed: int = 0) -> torch.Tensor:
        """The faces `generate` draws, as float images (n, 3, H, W) in [-1, 1]."""
        return draw_faces(self.runner, self.vocab, self.requested(hair, eyes, n, seed))

    def requested(self, hair: str | Sequence[str], eyes: str | Sequence[str], n: int, seed: int) -> list[Face]:
        """(seed, hair, eyes) of each face asked for; "random" is drawn from the face's own seed, as everywhere.
        Every argument is checked as the command line checks its options (arguments.py)."""
        count, first = face_count(n), seed_of(seed)
        check_seeds(first, count)
        hairs, eyess = colour_names(hair, "hair", count), colour_names(eyes, "eyes", count)
        return [(first + k, *colours_for(self.vocab, first + k, hairs[k], eyess[k])) for k in range(count)]

    def faces(self, faces: Sequence[Face]) -> list[Image.Image]:
        """One image per (seed, hair, eyes), each exactly the face `generate` draws for that seed and colours;
        drawn DRAW_BATCH at a time, each batch made into images before the next is drawn."""
        wanted = [face_of(face, f"faces[{i}]") for i, face in enumerate(faces)]
        face_count(len(wanted), "the number of faces")
        return [image for start in range(0, len(wanted), DRAW_BATCH)
                for image in to_pil(draw_faces(self.runner, self.vocab, wanted[start:start + DRAW_BATCH]))]

    def all_pairs(self, seed: int = 0, size: int | None = None) -> Image.Image:
        """Every hair x eye pair in one labelled grid (pairs_grid), faces at `size` pixels when given."""
        first = seed_of(seed)
        check_seeds(first, len(self.vocab.eyes))  # column k uses seed + k
        return pairs_grid(self.runner, self.vocab, first, None if size is None else whole_number(
            size, "size", MIN_SIZE, MAX_SIZE))

    def morph(self, start: Face, end: Face, steps: int = MORPH_STEPS) -> list[Image.Image]:
        """Faces on the way from (seed, hair, eyes) `start` to `end`: noise along a great circle, colours
        blended; the first and last frames are exactly the two faces `generate` draws for them."""
        start, end = face_of(start, "start"), face_of(end, "end")
        steps = whole_number(steps, "steps", 2, MAX_MORPH_STEPS)
        t = torch.linspace(0, 1, steps)
        z = noise_for_seeds([start[0], end[0]], self.runner.cfg.z_dim)
        hairs, eyess = labels(self.vocab, [start, end])
        hair = blend(int(hairs[0]), int(hairs[1]), len(self.vocab.hair), t)
        eyes = blend(int(eyess[0]), int(eyess[1]), len(self.vocab.eyes), t)
        return to_pil(synthesize(self.runner, slerp(z[0], z[1], t), hair, eyes))


def labels(vocab: Vocabulary, faces: Sequence[Face]) -> tuple[torch.Tensor, torch.Tensor]:
    """The hair and the eye indices of faces whose colours are the vocabulary's own names, as
    `FaceGenerator.requested` and `colours_for` give them: a name is resolved once, when a face is asked for."""
    def indices(attribute: str, names: list[str]) -> torch.Tensor:
        known: tuple[str, ...] = getattr(vocab, attribute)
        unknown = next((name for name in names if name not in known), None)
        if unknown is not None:
            raise UnknownColourError(attribute, unknown, known)
        return torch.tensor([known.index(name) for name in names], dtype=torch.long)

    return indices("hair", [hair for _, hair, _ in faces]), indices("eyes", [eyes for _, _, eyes in faces])


def draw_faces(runner: Runner, vocab: Vocabulary, faces: Sequence[Face]) -> torch.Tensor:
    if not faces:
        raise UserError("n must be at least 1: no faces were asked for")
    return draw(runner, [seed for seed, _, _ in faces], *labels(vocab, faces))


def generator_from_checkpoint(checkpoint: Checkpoint, device: str | torch.device = "cpu") -> FaceGenerator:
    record = checkpoint.record
    cfg = record.model_config()
    net = build_generator(cfg)
    load_module(record.generator_weights, net, checkpoint.tensors)
    net.to(device).eval()
    return FaceGenerator(runner=TorchRunner(net, cfg), vocab=record.vocab, source=str(checkpoint.path),
                         step=checkpoint.step)


def load(path: str | Path | None = None, checkpoint: str | None = None,
         device: str | torch.device = "cpu") -> FaceGenerator:
    """Load a generator: with no path the one shipped in the package (64 px, docs/MODEL_CARD.md); else a run
    folder (its newest good checkpoint, or `checkpoint` by name) or a checkpoint file."""
    if path is not None and not isinstance(path, str | os.PathLike):
        raise WrongTypeError(f"path must be a run folder or a checkpoint file, got {shown(path)}")
    if checkpoint is not None and not isinstance(checkpoint, str):
        raise WrongTypeError(f"checkpoint must be a checkpoint's name (e.g. 'best'), got {shown(checkpoint)}")
    try:
        place = torch.device(device)
    except (RuntimeError, TypeError):
        raise UserError(f"device must be 'cpu', 'cuda' or 'cuda:N', got {shown(device)}") from None
    return generator_from_checkpoint(find_checkpoint(model_path(path), checkpoint), place)


def load_onnx(path: str | Path, threads: int | None = None) -> FaceGenerator:
    """A FaceGenerator run by onnxruntime on an ONNX export (export.py): the same faces for the same seeds and
    colours."""
    runner = OnnxRunner(path, threads)
    return FaceGenerator(runner=runner, vocab=runner.vocab, source=runner.meta["source"], step=runner.meta["step"])

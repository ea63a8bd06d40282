"""Drawing faces from a trained generator: the Python API behind the CLI, the web page and the sample grids.

One image per seed, everywhere: face k of a request with seed s is drawn from the noise of seed
s + k, made by its own CPU random generator, and G runs in eval mode (BatchNorm on its running
statistics), so a face never depends on the device's RNG, on the batch it was drawn in, or on which
tool asked for it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from acgan.checkpoint import Checkpoint, load_module, resolve
from acgan.grid import image_grid, png_bytes, to_pil
from acgan.models import Generator, ModelConfig, build_generator
from acgan.vocab import Vocabulary

MAX_SEED = 2**63 - 1
RANDOM = "random"  # a colour chosen from the face's own seed

Face = tuple[int, str, str]  # (seed, hair, eyes) with canonical colour names


def noise_for_seeds(seeds: Sequence[int], z_dim: int) -> torch.Tensor:
    """(len(seeds), z_dim) standard-normal noise; row k depends on seeds[k] alone."""
    rows = []
    for seed in seeds:
        if not 0 <= seed <= MAX_SEED:
            raise ValueError(f"seed must be between 0 and {MAX_SEED}, got {seed}")
        rows.append(torch.randn(z_dim, generator=torch.Generator().manual_seed(seed)))
    return torch.stack(rows)


def labels_for(names: str | Sequence[str], n: int, index: callable) -> torch.Tensor:
    """One colour name for all n faces, or one per face, as label indices."""
    if isinstance(names, str):
        names = [names] * n
    if len(names) != n:
        raise ValueError(f"got {len(names)} colours for {n} faces")
    return torch.tensor([index(name) for name in names], dtype=torch.long)


def draw(G: Generator, seeds: Sequence[int], hair: torch.Tensor, eyes: torch.Tensor, batch: int = 256) -> torch.Tensor:
    """Faces for the given seeds and labels (indices, or per-colour weights), float (B, 3, H, W) in [-1, 1]."""
    return synthesize(G, noise_for_seeds(seeds, G.cfg.z_dim), hair, eyes, batch)


@torch.no_grad()
def synthesize(G: Generator, z: torch.Tensor, hair: torch.Tensor, eyes: torch.Tensor,
               batch: int = 256) -> torch.Tensor:
    """G in eval mode over (z, hair, eyes) in batches, returning float images on the CPU.

    G is a Generator module, or anything with the same call and `cfg` (the ONNX runner in export.py)."""
    if not isinstance(G, torch.nn.Module):
        return torch.cat([G(z[i:i + batch], hair[i:i + batch], eyes[i:i + batch]) for i in range(0, len(z), batch)])
    device = next(G.parameters()).device
    was_training = G.training
    G.eval()
    try:
        out = [G(z[i:i + batch].to(device), hair[i:i + batch].to(device), eyes[i:i + batch].to(device)).float().cpu()
               for i in range(0, len(z), batch)]
    finally:
        G.train(was_training)
    return torch.cat(out)


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


def pairs_grid(G: Generator, vocab: Vocabulary, seed: int) -> Image.Image:
    """Every hair x eye pair: one row per hair colour, eye colours across, column k from seed + k.

    A column keeps its noise down the rows, so it shows one face in every hair colour, and the
    columns show different faces: both the colour control and the variety are visible at a glance.
    """
    n_hair, n_eyes = len(vocab.hair), len(vocab.eyes)
    seeds = [seed + e for _ in range(n_hair) for e in range(n_eyes)]
    hair = torch.arange(n_hair).repeat_interleave(n_eyes)
    eyes = torch.arange(n_eyes).repeat(n_hair)
    images = to_pil(draw(G, seeds, hair, eyes))
    return image_grid(images, n_eyes, row_labels=[f"{h} hair" for h in vocab.hair],
                      column_labels=[f"{e} eyes" for e in vocab.eyes], cell=max(64, images[0].width))


@dataclass
class FaceGenerator:
    """A trained generator with its vocabulary: `acgan.load(path).generate(hair='blue', eyes='red')`."""

    G: Generator
    vocab: Vocabulary
    source: str
    step: int

    @property
    def resolution(self) -> int:
        return self.G.cfg.resolution

    @property
    def backend(self) -> str:
        return "torch" if isinstance(self.G, torch.nn.Module) else "onnx"

    def generate(self, hair: str | Sequence[str], eyes: str | Sequence[str], n: int = 1,
                 seed: int = 0) -> list[Image.Image]:
        """n faces with the given colours (one name for all, or one per face); face k uses seed + k."""
        return to_pil(self.generate_tensor(hair, eyes, n, seed))

    def generate_tensor(self, hair: str | Sequence[str], eyes: str | Sequence[str], n: int = 1,
                        seed: int = 0) -> torch.Tensor:
        if n < 1:
            raise ValueError(f"n must be at least 1, got {n}")
        hair_labels = labels_for(hair, n, self.vocab.hair_index)
        eye_labels = labels_for(eyes, n, self.vocab.eye_index)
        return draw(self.G, range(seed, seed + n), hair_labels, eye_labels)

    def faces(self, faces: Sequence[Face]) -> list[Image.Image]:
        """One image per (seed, hair, eyes), each exactly the face `generate` draws for that seed and colours."""
        if not faces:
            raise ValueError("n must be at least 1: no faces were asked for")
        seeds = [seed for seed, _, _ in faces]
        hair = labels_for([h for _, h, _ in faces], len(faces), self.vocab.hair_index)
        eyes = labels_for([e for _, _, e in faces], len(faces), self.vocab.eye_index)
        return to_pil(draw(self.G, seeds, hair, eyes))

    def all_pairs(self, seed: int = 0) -> Image.Image:
        return pairs_grid(self.G, self.vocab, seed)

    def morph(self, start: tuple[int, str, str], end: tuple[int, str, str], steps: int = 8) -> list[Image.Image]:
        """Faces on the way from (seed, hair, eyes) `start` to `end`: noise along a great circle, colours
        blended; the first and last frames are exactly the two faces `generate` draws for them."""
        if not 2 <= steps <= 256:
            raise ValueError(f"steps must be between 2 and 256, got {steps}")
        t = torch.linspace(0, 1, steps)
        z = noise_for_seeds([start[0], end[0]], self.G.cfg.z_dim)
        hair = blend(self.vocab.hair_index(start[1]), self.vocab.hair_index(end[1]), len(self.vocab.hair), t)
        eyes = blend(self.vocab.eye_index(start[2]), self.vocab.eye_index(end[2]), len(self.vocab.eyes), t)
        return to_pil(synthesize(self.G, slerp(z[0], z[1], t), hair, eyes))


def blend(a: int, b: int, n: int, t: torch.Tensor) -> torch.Tensor:
    """Per-colour weights (len(t), n) going from one-hot a to one-hot b."""
    weights = torch.zeros(len(t), n)
    weights[:, a] += 1 - t
    weights[:, b] += t
    return weights


def face_record(source: str, step: int, seed: int, hair: str, eyes: str) -> dict:
    """What made a face (run, step, seed, colours): the metadata every written face carries."""
    return {"source": source, "step": step, "seed": seed, "hair": hair, "eyes": eyes}


def grid_record(source: str, step: int, faces: Sequence[Face]) -> dict:
    """What made a grid of faces: the same keys per face as `face_record`."""
    return {"source": source, "step": step, "faces": [{"seed": s, "hair": h, "eyes": e} for s, h, e in faces]}


def faces_from_png(path: Path) -> tuple[str, list[Face]]:
    """(the checkpoint that drew it, its faces) from the metadata of a PNG acgan wrote."""
    try:
        with Image.open(path) as image:
            text = getattr(image, "text", {}).get("acgan")
    except (OSError, ValueError) as err:
        raise ValueError(f"{path}: cannot read the image ({err})") from None
    if text is None:
        raise ValueError(f"{path}: no acgan metadata (only faces acgan wrote as PNG can be redrawn)")
    record = json.loads(text)
    faces = record.get("faces") or [record]
    return record["source"], [(int(f["seed"]), f["hair"], f["eyes"]) for f in faces]


def morph_record(source: str, step: int, start: Face, end: Face, steps: int) -> dict:
    """What it takes to draw a morph again (PNG text chunk, GIF comment)."""
    keys = ("seed", "hair", "eyes")
    return {"source": source, "step": step, "from": dict(zip(keys, start, strict=True)),
            "to": dict(zip(keys, end, strict=True)), "steps": steps}


def resolve_colours(vocab: Vocabulary, seed: int, hair: str, eyes: str) -> tuple[str, str]:
    """Canonical colour names for one face; "random" is drawn from the face's seed, so it is reproducible.

    Hair then eyes are always drawn from a numpy generator seeded with the face's seed, so a random eye
    colour does not depend on whether the hair colour was random too. Raises UnknownColourError."""
    rng = np.random.default_rng(seed)
    hair_pick, eyes_pick = int(rng.integers(len(vocab.hair))), int(rng.integers(len(vocab.eyes)))
    hair_index = hair_pick if hair.strip().lower() == RANDOM else vocab.hair_index(hair)
    eyes_index = eyes_pick if eyes.strip().lower() == RANDOM else vocab.eye_index(eyes)
    return vocab.hair[hair_index], vocab.eyes[eyes_index]


def default_pair(vocab: Vocabulary) -> tuple[str, str]:
    """The colours a morph uses when none are given: blonde hair and blue eyes, or the vocabulary's first."""
    return ("blonde" if "blonde" in vocab.hair else vocab.hair[0], "blue" if "blue" in vocab.eyes else vocab.eyes[0])


def save_png(image: Image.Image, path: Path, model: FaceGenerator, seed: int, hair: str, eyes: str) -> None:
    """Write a face as PNG carrying what made it (run, step, seed, colours), so it can be drawn again."""
    path.write_bytes(png_bytes(image, face_record(model.source, model.step, seed, hair, eyes)))


def generator_from_checkpoint(checkpoint: Checkpoint, device: str | torch.device = "cpu") -> FaceGenerator:
    G = build_generator(ModelConfig.from_json(checkpoint.meta["model"]))
    load_module(checkpoint.meta.get("generator_weights", "G"), G, checkpoint.tensors)
    G.to(device).eval()
    return FaceGenerator(G=G, vocab=Vocabulary.from_json(checkpoint.meta["vocab"]),
                         source=str(checkpoint.path), step=checkpoint.step)


def load(path: str | Path, checkpoint: str | None = None, device: str | torch.device = "cpu") -> FaceGenerator:
    """Load a generator from a run folder (its newest good checkpoint, or `checkpoint` by name) or a file."""
    return generator_from_checkpoint(resolve(path, checkpoint), device)

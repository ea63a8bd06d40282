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

import torch
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from acgan.checkpoint import Checkpoint, load_module, resolve
from acgan.grid import image_grid, to_pil
from acgan.models import Generator, ModelConfig
from acgan.vocab import Vocabulary

MAX_SEED = 2**63 - 1


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


@torch.no_grad()
def draw(G: Generator, seeds: Sequence[int], hair: torch.Tensor, eyes: torch.Tensor,
         batch: int = 256) -> torch.Tensor:
    """Faces for the given seeds and label indices, float (B, 3, H, W) in [-1, 1] on the CPU."""
    device = next(G.parameters()).device
    was_training = G.training
    G.eval()
    try:
        z = noise_for_seeds(seeds, G.cfg.z_dim)
        out = [G(z[i:i + batch].to(device), hair[i:i + batch].to(device), eyes[i:i + batch].to(device)).float().cpu()
               for i in range(0, len(seeds), batch)]
    finally:
        G.train(was_training)
    return torch.cat(out)


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

    def all_pairs(self, seed: int = 0) -> Image.Image:
        return pairs_grid(self.G, self.vocab, seed)


def save_png(image: Image.Image, path: Path, model: FaceGenerator, seed: int, hair: str, eyes: str) -> None:
    """Write a face as PNG carrying what made it (run, step, seed, colours), so it can be drawn again."""
    info = PngInfo()
    record = {"source": model.source, "step": model.step, "seed": seed, "hair": hair, "eyes": eyes}
    info.add_text("acgan", json.dumps(record))
    image.save(path, pnginfo=info)


def generator_from_checkpoint(checkpoint: Checkpoint, device: str | torch.device = "cpu") -> FaceGenerator:
    G = Generator(ModelConfig.from_json(checkpoint.meta["model"]))
    load_module(checkpoint.meta.get("generator_weights", "G"), G, checkpoint.tensors)
    G.to(device).eval()
    return FaceGenerator(G=G, vocab=Vocabulary.from_json(checkpoint.meta["vocab"]),
                         source=str(checkpoint.path), step=checkpoint.step)


def load(path: str | Path, checkpoint: str | None = None, device: str | torch.device = "cpu") -> FaceGenerator:
    """Load a generator from a run folder (its newest good checkpoint, or `checkpoint` by name) or a file."""
    return generator_from_checkpoint(resolve(path, checkpoint), device)

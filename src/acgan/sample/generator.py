"""Drawing faces from a trained generator: the Python API behind the CLI, the web server and the sample grids.

    model = acgan.load("runs/demo")                 # a FaceGenerator
    faces = model.generate(hair="blue", eyes="red", n=4, seed=0)
    nearby = model.variations(faces[2])             # 8 faces near the third; vary any of them again

A FaceGenerator is a trained generator with its vocabulary and where it came from. It holds a Runner
(runners.py): the network run in eval mode (BatchNorm on its running statistics) by PyTorch or by
onnxruntime; both draw the same faces for the same seeds and colours (seeds.py says how a seed becomes
a face).
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import torch
from PIL import Image

from acgan.data.vocab import UnknownColourError, Vocabulary
from acgan.errors import UserError, WrongTypeError, shown
from acgan.nets import build_generator
from acgan.run.checkpoint import Checkpoint, find_checkpoint, load_module
from acgan.sample.arguments import (
    colour_names,
    distance_of,
    face_count,
    face_of,
    seed_of,
    truncation_of,
    whole_number,
)
from acgan.sample.contract import (
    MAX_MORPH_STEPS,
    MAX_MOVES,
    MAX_SIZE,
    MIN_SIZE,
    MORPH_STEPS,
    TRUNCATION,
    VARIATION_DISTANCE,
    VARIATIONS,
    Face,
)
from acgan.sample.images import image_grid, resized, to_pil
from acgan.sample.records import Maker, face_record, faces_from_image, faces_from_png, public_name
from acgan.sample.runners import OnnxRunner, Runner, TorchRunner
from acgan.sample.seeds import check_seeds, colours_for, noise_for_faces, noise_for_seeds, truncated
from acgan.sample.shipped import model_path


def draw(runner: Runner, seeds: Sequence[int], hair: torch.Tensor, eyes: torch.Tensor,
         batch: int = 256, truncation: float = TRUNCATION) -> torch.Tensor:
    """Faces for the given seeds and labels (indices, or per-colour weights), float (B, 3, H, W) in [-1, 1], their
    noise pulled toward its mean by `truncation` (1: as trained)."""
    return synthesize(runner, truncated(noise_for_seeds(seeds, runner.cfg.z_dim), truncation), hair, eyes, batch)


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


def pairs_grid(runner: Runner, vocab: Vocabulary, seed: int, size: int | None = None,
               truncation: float = TRUNCATION) -> Image.Image:
    """Every hair x eye pair drawn from one seed: one row per hair colour, eye colours across, as the page's table
    lays them out, so the same seed gives the same table in both and only the colours change from cell to cell."""
    n_hair, n_eyes = len(vocab.hair), len(vocab.eyes)
    seeds = [seed] * (n_hair * n_eyes)
    hair = torch.arange(n_hair).repeat_interleave(n_eyes)
    eyes = torch.arange(n_eyes).repeat(n_hair)
    images = resized(to_pil(draw(runner, seeds, hair, eyes, truncation=truncation)), size)
    return image_grid(images, n_eyes, row_labels=[f"{h} hair" for h in vocab.hair],
                      column_labels=[f"{e} eyes" for e in vocab.eyes], cell=max(64, images[0].width))

DRAW_BATCH = 256  # faces drawn at once within one call, so memory does not grow with the count


@dataclass
class FaceGenerator:
    """A trained generator with its vocabulary: `acgan.load(path).generate(hair='blue', eyes='red')`.

    Every face it draws has its noise pulled toward the mean by `truncation` (1: as trained; see
    `with_truncation`), and every picture it writes records that, so a face read back is drawn again the same."""

    runner: Runner
    vocab: Vocabulary
    source: str  # the checkpoint (or export) it was loaded from, as given: for this machine's messages
    step: int
    truncation: float = TRUNCATION

    def with_truncation(self, truncation: float) -> FaceGenerator:
        """The same generator drawing with `truncation` (above 0, at most 1): lower, safer and more alike faces."""
        return replace(self, truncation=truncation_of(truncation))

    @property
    def public_source(self) -> str:
        """The source as pictures, answers and exports name it (no absolute folders)."""
        return public_name(self.source)

    @property
    def maker(self) -> Maker:
        """What every picture it draws records as its maker."""
        return Maker(self.public_source, self.step, self.truncation)

    @property
    def resolution(self) -> int:
        return self.runner.cfg.resolution

    @property
    def runtime(self) -> str:
        return self.runner.runtime

    def generate(self, hair: str | Sequence[str], eyes: str | Sequence[str], n: int = 1, seed: int = 0,
                 truncation: float | None = None) -> list[Image.Image]:
        """n faces (1 to 10,000, drawn in batches) with the given colours (one name for all, or one per face; any
        may be "random"); face k uses seed + k. `truncation`: above 0, at most 1 (default: the generator's, 1
        unless set with `with_truncation`)."""
        model = self if truncation is None else self.with_truncation(truncation)
        return model.faces(model.requested(hair, eyes, n, seed))

    def generate_tensor(self, hair: str | Sequence[str], eyes: str | Sequence[str], n: int = 1, seed: int = 0,
                        truncation: float | None = None) -> torch.Tensor:
        """The faces `generate` draws, as float images (n, 3, H, W) in [-1, 1]."""
        model = self if truncation is None else self.with_truncation(truncation)
        return model.draw_faces(model.requested(hair, eyes, n, seed))

    def requested(self, hair: str | Sequence[str], eyes: str | Sequence[str], n: int, seed: int) -> list[Face]:
        """(seed, hair, eyes) of each face asked for; "random" is drawn from the face's own seed, as everywhere.
        Every argument is checked as the command line checks its options (arguments.py)."""
        count, first = face_count(n), seed_of(seed)
        check_seeds(first, count)
        hairs, eyess = colour_names(hair, "hair", count), colour_names(eyes, "eyes", count)
        return [Face(first + k, *colours_for(self.vocab, first + k, hairs[k], eyess[k])) for k in range(count)]

    def variations(self, like: Face | Image.Image | str | os.PathLike[str], n: int = VARIATIONS,
                   distance: float = VARIATION_DISTANCE) -> list[Image.Image]:
        """n faces near `like` (variation k moves its noise by `distance`: above 0, at most 1), its colours kept.
        `like` is a face (seed, hair, eyes[, moves]), an image this API drew, or a PNG acgan wrote; each
        variation is such an image too, so it can be varied again."""
        return self.faces(self.variation_faces(like, n, distance))

    def variation_faces(self, like: Face | Image.Image | str | os.PathLike[str], n: int = VARIATIONS,
                        distance: float = VARIATION_DISTANCE) -> list[Face]:
        """The faces `variations` draws: `like`'s, with the move (k, distance) added for variation k."""
        seed, hair, eyes, moves = self.face_like(like)
        count, step = face_count(n), distance_of(distance)
        if len(moves) >= MAX_MOVES:
            raise UserError(f"like is already {len(moves)} variations from its seed's face, the most a face may be "
                            f"({MAX_MOVES}); vary a face nearer its seed")
        hair, eyes = colours_for(self.vocab, seed, hair, eyes)
        return [Face(seed, hair, eyes, (*moves, (k, step))) for k in range(count)]

    def face_like(self, like: object) -> Face:
        """The one face `like` names: a face, an image this API drew, or a PNG acgan wrote."""
        if isinstance(like, Image.Image | str | os.PathLike):
            where = "like" if isinstance(like, Image.Image) else str(like)
            _, faces = faces_from_image(like, where) if isinstance(like, Image.Image) else faces_from_png(Path(like))
            if len(faces) != 1:
                raise UserError(f"{where} holds {len(faces)} faces; vary one face (draw them one per file first)")
            return faces[0]
        return face_of(like, "like")

    def faces(self, faces: Sequence[Face]) -> list[Image.Image]:
        """One image per (seed, hair, eyes[, moves]), each exactly the face `generate` (or `variations`) draws for
        it; drawn DRAW_BATCH at a time, each batch made into images before the next is drawn. Each image carries
        its record in info["acgan"] (the JSON a PNG acgan writes carries), so it can be varied or drawn again."""
        wanted = [face_of(face, f"faces[{i}]") for i, face in enumerate(faces)]
        face_count(len(wanted), "the number of faces")
        images = [image for start in range(0, len(wanted), DRAW_BATCH)
                  for image in to_pil(self.draw_faces(wanted[start:start + DRAW_BATCH]))]
        for face, image in zip(wanted, images, strict=True):
            image.info["acgan"] = json.dumps(face_record(self.maker, face))
        return images

    def all_pairs(self, seed: int = 0, size: int | None = None) -> Image.Image:
        """Every hair x eye pair in one labelled grid (pairs_grid), faces at `size` pixels when given."""
        return pairs_grid(self.runner, self.vocab, seed_of(seed), None if size is None else whole_number(
            size, "size", MIN_SIZE, MAX_SIZE), self.truncation)

    def draw(self, seeds: Sequence[int], hair: torch.Tensor, eyes: torch.Tensor) -> torch.Tensor:
        """`draw` with this generator's network and truncation."""
        return draw(self.runner, seeds, hair, eyes, truncation=self.truncation)

    def draw_faces(self, faces: Sequence[Face]) -> torch.Tensor:
        if not faces:
            raise UserError("n must be at least 1: no faces were asked for")
        z = truncated(noise_for_faces(faces, self.runner.cfg.z_dim), self.truncation)
        return synthesize(self.runner, z, *labels(self.vocab, faces))

    def morph(self, start: Face, end: Face, steps: int = MORPH_STEPS) -> list[Image.Image]:
        """Faces on the way from (seed, hair, eyes) `start` to `end`: noise along a great circle, colours
        blended; the first and last frames are drawn from exactly the two faces' noise and colours (their pixels
        match `faces`' to within one level in a few places: a batch of frames rounds unlike a batch of one)."""
        start, end = face_of(start, "start"), face_of(end, "end")
        steps = whole_number(steps, "steps", 2, MAX_MORPH_STEPS)
        t = torch.linspace(0, 1, steps)
        z = truncated(noise_for_faces([start, end], self.runner.cfg.z_dim), self.truncation)
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

    return indices("hair", [face.hair for face in faces]), indices("eyes", [face.eyes for face in faces])


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

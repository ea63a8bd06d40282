"""The tagger: an independent hair- and eye-colour classifier that judges generated faces.

It is a small residual CNN trained on real faces only, with a held-out split it never sees in
training (stratified by hair x eye pair), and it shares nothing with the discriminator. Its
held-out accuracy is the ceiling a generator's tag accuracy is compared with, and its penultimate
layer (global-average-pooled features) is the feature space for the Frechet distance and the
diversity numbers. Saved as safetensors + JSON, like every model here.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from tqdm import tqdm

from acgan.data.face_data import FaceData, to_unit_range
from acgan.data.vocab import Vocabulary
from acgan.errors import UserError
from acgan.judge.metrics import tag_accuracy
from acgan.run.checkpoint import CheckpointError, Record, load_checkpoint, load_module, module_tensors, save_checkpoint


@dataclass(frozen=True)
class TaggerConfig:
    resolution: int
    n_hair: int
    n_eyes: int
    width: int = 32

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            if type(value) is not int or not 1 <= value <= 4096:
                raise ValueError(f"{name} must be a whole number from 1 to 4096, got {value!r}")


class ResidualBlock(nn.Module):
    def __init__(self, c_in: int, c_out: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.skip = (nn.Identity() if stride == 1 and c_in == c_out
                     else nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride, bias=False), nn.BatchNorm2d(c_out)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.relu(self.bn1(self.conv1(x)))
        return F.relu(self.bn2(self.conv2(h)) + self.skip(x))


class TaggerNet(nn.Module):
    """Image in [-1, 1] -> (hair logits, eye logits); `features` is the pooled penultimate layer."""

    def __init__(self, cfg: TaggerConfig) -> None:
        super().__init__()
        self.cfg = cfg
        w = cfg.width
        # Colour needs little detail: the stem brings any input down to 32x32 so the blocks stay cheap.
        stride = max(1, cfg.resolution // 32)
        self.stem = nn.Sequential(nn.Conv2d(3, w, 3 + stride - 1, stride, 1, bias=False), nn.BatchNorm2d(w), nn.ReLU())
        self.blocks = nn.Sequential(ResidualBlock(w, w, 1), ResidualBlock(w, 2 * w, 2),
                                    ResidualBlock(2 * w, 4 * w, 2), ResidualBlock(4 * w, 8 * w, 2))
        self.hair = nn.Linear(8 * w, cfg.n_hair)
        self.eyes = nn.Linear(8 * w, cfg.n_eyes)

    def features(self, images: torch.Tensor) -> torch.Tensor:
        return self.blocks(self.stem(images)).mean(dim=(2, 3))

    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.features(images)
        return self.hair(h), self.eyes(h)


@dataclass
class Tagger:
    """A trained tagger with its vocabulary and the accuracy it reached on faces it never trained on."""

    net: TaggerNet
    vocab: Vocabulary
    held_out: dict  # accuracy report on the held-out split
    sha256: str = ""  # of its weights as saved (a stored reference names the tagger it was measured with)

    @property
    def resolution(self) -> int:
        return self.net.cfg.resolution

    def prepare(self, images: torch.Tensor) -> torch.Tensor:
        """Float images in [-1, 1] at any size -> the tagger's resolution (antialiased when shrinking)."""
        if images.shape[-1] != self.resolution:
            images = F.interpolate(images, size=(self.resolution, self.resolution), mode="bilinear",
                                   antialias=images.shape[-1] > self.resolution, align_corners=False)
        return images

    @torch.no_grad()
    def run(self, images: torch.Tensor, batch: int = 256) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(hair predictions, eye predictions, features) for float images (B, 3, H, W) in [-1, 1]."""
        self.net.eval()
        device = next(self.net.parameters()).device
        hair, eyes, feats = [], [], []
        for start in range(0, len(images), batch):
            x = self.prepare(images[start:start + batch].to(device).float())
            f = self.net.features(x)
            hair.append(self.net.hair(f).argmax(1).cpu())
            eyes.append(self.net.eyes(f).argmax(1).cpu())
            feats.append(f.double().cpu())
        return torch.cat(hair).numpy(), torch.cat(eyes).numpy(), torch.cat(feats).numpy()


def stratified_split(hair: np.ndarray, eyes: np.ndarray, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(train indices, held-out indices): `fraction` of every hair x eye pair held out, rounding randomly.

    A pair seen only once stays in training; random rounding keeps the overall fraction right even
    when most pairs are small.
    """
    rng = np.random.default_rng(seed)
    pair = hair * (eyes.max() + 1) + eyes
    held = []
    for value in np.unique(pair):
        members = rng.permutation(np.flatnonzero(pair == value))
        if len(members) < 2:
            continue
        want = len(members) * fraction
        count = min(int(want) + int(rng.random() < want - int(want)), len(members) - 1)
        held.extend(members[:count].tolist())
    held_mask = np.zeros(len(hair), dtype=bool)
    held_mask[held] = True
    return np.flatnonzero(~held_mask), np.flatnonzero(held_mask)


def check_every_colour_present(data: FaceData) -> None:
    """A colour with no faces cannot be learned; say which, instead of training a tagger that never says it."""
    for attribute, names, labels in (("hair", data.vocab.hair, data.hair), ("eye", data.vocab.eyes, data.eyes)):
        missing = [name for name, count in zip(names, np.bincount(labels, minlength=len(names)), strict=True)
                   if count == 0]
        if missing:
            raise UserError(f"{data.source}: no faces with {attribute} colour {', '.join(missing)}; the tagger "
                             "cannot learn a colour it never sees (use --vocab auto, or a vocabulary without it)")


def flip_and_shift(images: torch.Tensor, rng: torch.Generator) -> torch.Tensor:
    """Random horizontal flips and small shifts: they keep the colours, so the labels stay true."""
    batch, _, size, _ = images.shape
    flip = torch.rand(batch, generator=rng, device=images.device) < 0.5
    images = torch.where(flip[:, None, None, None], images.flip(3), images)
    pad = max(1, size // 16)
    padded = F.pad(images, (pad, pad, pad, pad), mode="replicate")
    dx, dy = (int(v) for v in torch.randint(0, 2 * pad + 1, (2,), generator=rng, device=images.device))
    return padded[:, :, dy:dy + size, dx:dx + size]


def train_tagger(data: FaceData, epochs: int = 20, batch_size: int = 128, lr: float = 2e-3, width: int = 32,
                 held_out_fraction: float = 0.1, seed: int = 0, device: str = "cpu", progress: bool = True) -> Tagger:
    """Train on the data's training split and report accuracy on its held-out split."""
    check_every_colour_present(data)
    train_idx, held_idx = stratified_split(data.hair, data.eyes, held_out_fraction, seed)
    torch.manual_seed(seed)
    rng = torch.Generator(device).manual_seed(seed)
    net = TaggerNet(TaggerConfig(data.resolution, len(data.vocab.hair), len(data.vocab.eyes), width)).to(device)
    images = torch.from_numpy(data.images).to(device)
    hair, eyes = torch.from_numpy(data.hair).to(device), torch.from_numpy(data.eyes).to(device)
    train_idx_t = torch.from_numpy(train_idx).to(device)
    steps_per_epoch = max(1, math.ceil(len(train_idx) / batch_size))
    optimizer = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=5e-4)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=lr, total_steps=epochs * steps_per_epoch)
    net.train()
    for _ in tqdm(range(epochs), desc="tagger", unit="epoch", disable=not progress):
        order = train_idx_t[torch.randperm(len(train_idx_t), generator=rng, device=device)]
        for start in range(0, len(order), batch_size):
            index = order[start:start + batch_size]
            x = flip_and_shift(to_unit_range(images[index]), rng)
            hair_logits, eye_logits = net(x)
            loss = F.cross_entropy(hair_logits, hair[index]) + F.cross_entropy(eye_logits, eyes[index])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
    tagger = Tagger(net=net.eval(), vocab=data.vocab, held_out={})
    held_images = to_unit_range(images[torch.from_numpy(held_idx).to(device)])
    tagger.held_out = accuracy_report(tagger, held_images, data.hair[held_idx], data.eyes[held_idx])
    tagger.held_out["train_faces"], tagger.held_out["held_out_faces"] = len(train_idx), len(held_idx)
    return tagger


def accuracy_report(tagger: Tagger, images: torch.Tensor, hair: np.ndarray, eyes: np.ndarray) -> dict[str, Any]:
    """Overall and per-colour accuracy of the tagger on labelled images."""
    hair_pred, eye_pred, _ = tagger.run(images)
    return {"faces": len(hair), **tag_accuracy(hair_pred, eye_pred, hair, eyes, tagger.vocab)}


def save_tagger(tagger: Tagger, directory: str | Path) -> Path:
    record = Record(kind="tagger", step=0, vocab=tagger.vocab, model=asdict(tagger.net.cfg),
                    info={"held_out": tagger.held_out})
    return save_checkpoint(Path(directory), record, module_tensors("net", tagger.net), name="tagger")


def load_tagger(path: str | Path, device: str = "cpu") -> Tagger:
    """Load a tagger from its folder (tagger.json and its tensors) or its JSON file."""
    path = Path(path)
    checkpoint = load_checkpoint(path / "tagger.json" if path.is_dir() else path)
    record = checkpoint.record
    if record.kind != "tagger":
        raise CheckpointError(f"{checkpoint.path}: not a tagger (train one with `acgan tagger train`)")
    try:
        net = TaggerNet(TaggerConfig(**record.model))
    except (TypeError, ValueError) as err:
        raise CheckpointError(f"{checkpoint.path}: its tagger settings are not valid ({err})") from None
    load_module("net", net, checkpoint.tensors)
    held_out = record.info.get("held_out")
    if not isinstance(held_out, dict):
        raise CheckpointError(f"{checkpoint.path}: field 'info.held_out' (the tagger's accuracy) is missing")
    return Tagger(net=net.to(device).eval(), vocab=record.vocab, held_out=held_out, sha256=record.sha256)


def held_out_summary(report: dict[str, Any]) -> str:
    lines = [f"held-out faces: {report['faces']}   hair {report['hair']:.1%}   eyes {report['eyes']:.1%}   "
             f"both {report['both']:.1%}"]
    for attribute in ("hair", "eyes"):
        per = report[f"{attribute}_per_colour"]
        lines.append(f"  {attribute:>4}: " + "  ".join(f"{name} {acc:.0%}" for name, acc in per.items()))
    return "\n".join(lines)

"""What runs a generator network: a `Runner` takes noise and colours and returns images, by PyTorch
(`TorchRunner`) or by onnxruntime on an ONNX export (`OnnxRunner`); both draw the same faces for the same
inputs. A FaceGenerator (generator.py) holds one.

An export takes

    z      float32 (batch, z_dim)    the noise (`noise_for_seeds` makes it from seeds, as everywhere)
    hair   float32 (batch, n_hair)   per-colour weights: one-hot for a colour, a blend for a morph
    eyes   float32 (batch, n_eyes)

and returns `image` float32 (batch, 3, H, W) in [-1, 1]; the batch size is free. The model's settings and
vocabulary ride along in the file's metadata (key METADATA_KEY), so an export describes itself (export.py
writes it).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Protocol

import torch
import torch.nn.functional as F
from torch import nn

from acgan.data.vocab import Vocabulary
from acgan.errors import UserError
from acgan.nets import ModelConfig

METADATA_KEY = "acgan"


class Runner(Protocol):
    """A generator network ready to draw: (z, hair, eyes) -> float images (B, 3, H, W) in [-1, 1] on the CPU, no
    gradients; labels as indices (B,) or per-colour weights (B, n). `runtime` names what runs it."""

    cfg: ModelConfig
    runtime: str

    def __call__(self, z: torch.Tensor, hair: torch.Tensor, eyes: torch.Tensor) -> torch.Tensor: ...


class TorchRunner:
    """A generator network run by PyTorch: eval mode for the call (the mode it was in is restored, so a network
    still in training can be drawn from), inputs moved to its device."""

    runtime = "torch"

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


def one_hot(labels: torch.Tensor, n: int) -> torch.Tensor:
    return F.one_hot(labels, n).float()


class OnnxRunner:
    """An ONNX export run by onnxruntime on the CPU; refused at load when it is not an acgan export or does not
    run as its metadata says."""

    runtime = "onnx"

    def __init__(self, path: str | Path, threads: int | None = None) -> None:
        import onnxruntime

        options = onnxruntime.SessionOptions()
        # Idle worker threads otherwise spin between calls and starve PyTorch's own work on small machines.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        if threads:
            options.intra_op_num_threads = threads
        if not Path(path).is_file():
            raise UserError(f"{path}: no such ONNX file")
        try:
            self.session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        except Exception as err:  # onnxruntime's own error types (InvalidProtobuf, Fail, ...) share no base
            raise UserError(f"{path}: not a readable ONNX model ({str(err).splitlines()[0][:160]})") from None
        meta = self.session.get_modelmeta().custom_metadata_map.get(METADATA_KEY)
        if meta is None:
            raise UserError(f"{path}: not an acgan export (no '{METADATA_KEY}' metadata)")
        try:
            self.meta: dict[str, Any] = json.loads(meta)
            self.cfg = ModelConfig.from_json(self.meta["model"])
            self.vocab = Vocabulary.from_json(self.meta["vocab"])
        except (ValueError, KeyError, TypeError) as err:
            raise UserError(f"{path}: its '{METADATA_KEY}' metadata is not valid ({err})") from None
        self.check_draws(path)

    def check_draws(self, path: str | Path) -> None:
        """Draw one face now: an export whose graph disagrees with its metadata fails here, not on every request."""
        cfg = self.cfg
        try:
            image = self(torch.zeros(1, cfg.z_dim), torch.zeros(1, dtype=torch.long), torch.zeros(1, dtype=torch.long))
        except Exception as err:  # onnxruntime's own error types share no base class
            raise UserError(f"{path}: the export does not run as its metadata describes it "
                            f"({str(err).splitlines()[0][:160]})") from None
        if tuple(image.shape) != (1, 3, cfg.resolution, cfg.resolution):
            raise UserError(f"{path}: the export draws {tuple(image.shape)} images, its metadata says "
                            f"{cfg.resolution} px")

    def __call__(self, z: torch.Tensor, hair: torch.Tensor, eyes: torch.Tensor) -> torch.Tensor:
        feeds = {"z": z.float().numpy(), "hair": self._weights(hair, self.cfg.n_hair),
                 "eyes": self._weights(eyes, self.cfg.n_eyes)}
        return torch.from_numpy(self.session.run(["image"], feeds)[0])

    @staticmethod
    def _weights(labels: torch.Tensor, n: int) -> object:
        return (labels if labels.is_floating_point() else one_hot(labels, n)).float().numpy()

"""Exporting the generator to ONNX, and running an export: fast CPU inference without PyTorch's overhead.

The exported graph takes

    z      float32 (batch, z_dim)    the noise (`noise_for_seeds` makes it from seeds, as everywhere)
    hair   float32 (batch, n_hair)   per-colour weights: one-hot for a colour, a blend for a morph
    eyes   float32 (batch, n_eyes)

and returns `image` float32 (batch, 3, H, W) in [-1, 1]; the batch size is free. The model's settings
and vocabulary ride along in the file's metadata (key "acgan"), so an export is self-describing.

With `fp16_weights` every weight that float16 holds exactly (all of them for a packed model, whose weights are
float16 already) is stored as float16 and cast back to float32 when the runtime loads it: half the file, the
same numbers, float32 arithmetic (the static site, `acgan site`, ships its generator this way).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from acgan.data.vocab import Vocabulary
from acgan.errors import UserError
from acgan.nets import ModelConfig
from acgan.sample.generator import FaceGenerator, TorchGenerator

METADATA_KEY = "acgan"


def export_onnx(model: FaceGenerator, path: str | Path, fp16_weights: bool = False) -> Path:
    """Write `model`'s generator (eval mode: BatchNorm on running statistics) as one ONNX file; with
    `fp16_weights`, weights that float16 holds exactly are stored as float16 (see the module's docstring)."""
    import onnx

    if not isinstance(model.G, TorchGenerator):
        raise UserError(f"{model.source}: only a PyTorch model can be exported (this one runs on {model.backend})")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    G, cfg = model.G.net.eval(), model.G.cfg
    example = (torch.zeros(2, cfg.z_dim), one_hot(torch.tensor([0, 1]), cfg.n_hair),
               one_hot(torch.tensor([0, 1]), cfg.n_eyes))
    batch = torch.export.Dim("batch", min=1, max=65536)
    torch.onnx.export(G, example, path, input_names=["z", "hair", "eyes"], output_names=["image"], dynamo=True,
                      dynamic_shapes={"z": {0: batch}, "hair": {0: batch}, "eyes": {0: batch}},
                      external_data=False, verbose=False)
    graph = onnx.load(str(path))
    meta = {"model": cfg.to_json(), "vocab": model.vocab.to_json(), "source": model.source, "step": model.step}
    entry = graph.metadata_props.add()
    entry.key, entry.value = METADATA_KEY, json.dumps(meta)
    if fp16_weights:
        store_exact_weights_as_fp16(graph)
    onnx.save(graph, str(path))
    return path


def store_exact_weights_as_fp16(graph: Any) -> int:
    """Replace each float32 initializer that float16 holds exactly by a float16 one and a Cast back to float32
    under the old name (onnxruntime folds the Cast when it loads the model); returns how many were replaced."""
    from onnx import TensorProto, helper, numpy_helper

    casts, kept, replaced = [], [], 0
    for initializer in graph.graph.initializer:
        weights = numpy_helper.to_array(initializer)
        half = weights.astype(np.float16)
        if weights.dtype != np.float32 or not np.array_equal(half.astype(np.float32), weights):
            kept.append(initializer)
            continue
        stored = initializer.name + ".fp16"
        kept.append(numpy_helper.from_array(half, stored))
        casts.append(helper.make_node("Cast", [stored], [initializer.name], to=TensorProto.FLOAT,
                                      name=initializer.name + ".cast"))
        replaced += 1
    del graph.graph.initializer[:]
    graph.graph.initializer.extend(kept)
    nodes = casts + list(graph.graph.node)  # the casts first: nodes must be in topological order
    del graph.graph.node[:]
    graph.graph.node.extend(nodes)
    return replaced


def one_hot(labels: torch.Tensor, n: int) -> torch.Tensor:
    return F.one_hot(labels, n).float()


class OnnxRunner:
    """An ONNX export as a Runner (generator.py): (z, hair, eyes) -> images, labels as indices or weights."""

    backend = "onnx"

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
            self.meta = json.loads(meta)
            self.cfg = ModelConfig.from_json(self.meta["model"])
            Vocabulary.from_json(self.meta["vocab"])
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


def load_onnx(path: str | Path, threads: int | None = None) -> FaceGenerator:
    """A FaceGenerator backed by an ONNX export: the same faces for the same seeds and colours."""
    runner = OnnxRunner(path, threads)
    return FaceGenerator(G=runner, vocab=Vocabulary.from_json(runner.meta["vocab"]), source=runner.meta["source"],
                         step=runner.meta["step"])


def max_difference(model: FaceGenerator, exported: FaceGenerator, n: int = 16) -> float:
    """The largest gap between two generators' pixels (in [-1, 1]) over the faces of seeds 0..n-1 in the first
    colours: how an export is checked against the PyTorch model it came from."""
    names = (model.vocab.hair[0], model.vocab.eyes[0])
    return float((model.generate_tensor(*names, n=n) - exported.generate_tensor(*names, n=n)).abs().max())

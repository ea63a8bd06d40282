"""Exporting a generator to ONNX, for fast CPU inference without PyTorch's overhead (runners.py's OnnxRunner runs
an export; its docstring says what the graph takes and returns), and checking an export against PyTorch.

With `fp16_weights` every weight that float16 holds exactly (all of them for a packed model, whose weights are
float16 already) is stored as float16 and cast back to float32 when the runtime loads it: half the file, the
same numbers, float32 arithmetic (the static site, `acgan site`, ships its generator this way).
"""

from __future__ import annotations

import json
import logging
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import torch

from acgan.atomic import check_folder, write_output
from acgan.errors import UserError
from acgan.sample.generator import FaceGenerator
from acgan.sample.runners import METADATA_KEY, TorchRunner, one_hot


def export_onnx(model: FaceGenerator, path: str | Path, fp16_weights: bool = False) -> Path:
    """Write `model`'s generator (eval mode: BatchNorm on running statistics) as one ONNX file; with
    `fp16_weights`, weights that float16 holds exactly are stored as float16 (see the module's docstring)."""
    import onnx

    path = Path(path)
    check_folder(path.parent, path)  # before the export, not after
    if not isinstance(model.runner, TorchRunner):
        raise UserError(f"{model.source}: only a PyTorch model can be exported (this one runs on {model.runtime})")
    G, cfg = model.runner.net.eval(), model.runner.cfg
    example = (torch.zeros(2, cfg.z_dim), one_hot(torch.tensor([0, 1]), cfg.n_hair),
               one_hot(torch.tensor([0, 1]), cfg.n_eyes))
    batch = torch.export.Dim("batch", min=1, max=65536)
    with tempfile.TemporaryDirectory() as folder, exporter_quiet():  # the exporter's own file, then written whole
        traced = Path(folder) / "generator.onnx"
        torch.onnx.export(G, example, traced, input_names=["z", "hair", "eyes"], output_names=["image"], dynamo=True,
                          dynamic_shapes={"z": {0: batch}, "hair": {0: batch}, "eyes": {0: batch}},
                          external_data=False, verbose=False)
        graph = onnx.load(str(traced))
    meta = {"model": cfg.to_json(), "vocab": model.vocab.to_json(), "source": model.public_source, "step": model.step}
    entry = graph.metadata_props.add()
    entry.key, entry.value = METADATA_KEY, json.dumps(meta)
    if fp16_weights:
        store_exact_weights_as_fp16(graph)
    write_output(path, graph.SerializeToString())
    return path


@contextmanager
def exporter_quiet() -> Iterator[None]:
    """PyTorch's exporter talks about its own insides (operators of torchvision, which acgan never uses; a
    deprecated class it calls itself; an axis name it merges): none of it is the user's to act on."""
    registration = logging.getLogger("torch.onnx._internal.exporter._registration")
    level = registration.level
    registration.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=r".*LeafSpec.*", category=FutureWarning)
            warnings.filterwarnings("ignore", message=r".*The axis name.*", category=UserWarning)
            yield
    finally:
        registration.setLevel(level)


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


def max_difference(model: FaceGenerator, exported: FaceGenerator, n: int = 16) -> float:
    """The largest gap between two generators' pixels (in [-1, 1]) over the faces of seeds 0..n-1 in the first
    colours: how an export is checked against the PyTorch model it came from."""
    names = (model.vocab.hair[0], model.vocab.eyes[0])
    return float((model.generate_tensor(*names, n=n) - exported.generate_tensor(*names, n=n)).abs().max())

"""The tagger as ONNX, so that a static page (`acgan site`) reads back the colours of the faces it draws, as the
server does with PyTorch (read_back "show"): checked against PyTorch's predictions before it is written.

The graph takes the generator's output as it comes, float32 (batch, 3, resolution, resolution) in [-1, 1], and
returns the hair and the eye logits, (batch, n_hair) and (batch, n_eyes): the page feeds it the tensor it drew
and takes the largest logit of each.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import torch
from torch import nn

from acgan.atomic import check_folder, write_output
from acgan.judge.tagger import Tagger
from acgan.sample.export import exporter_quiet

MAX_LOGIT_GAP = 1e-3  # between the export and PyTorch, on faces drawn by the generator


class ReadingTagger(nn.Module):
    """Faces at the generator's resolution -> (hair logits, eye logits), resized as Tagger.run resizes them."""

    def __init__(self, tagger: Tagger) -> None:
        super().__init__()
        self.tagger = tagger
        self.net = tagger.net.eval()

    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.net(self.tagger.prepare(images))


def export_tagger(tagger: Tagger, resolution: int, path: Path, faces: torch.Tensor) -> Path:
    """Write `tagger`, reading faces of `resolution` pixels, as one ONNX file at `path`; `faces` (drawn by the
    generator it will read) check it against PyTorch first."""
    import onnx

    check_folder(path.parent, path)
    reader = ReadingTagger(tagger).eval()
    batch = torch.export.Dim("batch", min=1, max=65536)
    with tempfile.TemporaryDirectory() as folder, exporter_quiet(), torch.no_grad():
        traced = Path(folder) / "tagger.onnx"
        torch.onnx.export(reader, (torch.zeros(2, 3, resolution, resolution),), traced, input_names=["image"],
                          output_names=["hair", "eyes"], dynamo=True, dynamic_shapes={"images": {0: batch}},
                          external_data=False, verbose=False)
        gap = logit_gap(reader, traced, faces)
        if gap > MAX_LOGIT_GAP:
            raise RuntimeError(f"the exported tagger differs from PyTorch by {gap:.1e} in its logits")
        write_output(path, onnx.load(str(traced)).SerializeToString())
    return path


def logit_gap(reader: ReadingTagger, exported: Path, faces: torch.Tensor) -> float:
    """The largest difference between the export's logits and PyTorch's on `faces`."""
    import onnxruntime as ort

    session = ort.InferenceSession(str(exported), providers=["CPUExecutionProvider"])
    hair, eyes = session.run(None, {"image": faces.numpy()})
    with torch.no_grad():
        expected = reader(faces)
    return max(float((torch.from_numpy(got) - want).abs().max()) for got, want in zip((hair, eyes), expected,
                                                                                     strict=True))

"""acgan: an auxiliary-classifier GAN that draws anime faces with the hair and eye colours you ask for.

    import acgan
    faces = acgan.load("runs/demo").generate(hair="blue", eyes="red", n=4, seed=0)
    acgan.save_faces(acgan.load(), "faces.png", hair="blue", eyes="red", n=4)   # as `acgan generate` writes them

The packages, bottom to top (each imports only those its __init__ names under "May import:", all before it;
tests/test_layers.py checks):

    version  the version
    errors   UserError, the one type of a user's mistake
    atomic   writing a file whole or not at all
    data     colours, tags.csv, dataset folders and their cache, the built-in faces, the data doctor
    nets     the generator and discriminator designs (classic, modern) and their registry
    run      a run on disk: its folder and its checkpoints (typed, validated records)
    sample   the rules drawing keeps, drawing faces from a generator, the pictures and files made of them,
             ONNX export
    judge    the independent tagger, metrics, evaluation and its report
    train    settings and recipes, losses, the step, the engine, the loop, train() and resume()
    serve    the web page, its JSON API and the static site
    cli      the `acgan` command
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from acgan.version import __version__

if TYPE_CHECKING:
    from acgan.sample.generator import FaceGenerator, load, load_onnx
    from acgan.sample.outputs import save_faces

__all__ = ["FaceGenerator", "__version__", "load", "load_onnx", "save_faces"]
# The drawing API by the module it lives in, imported when first used: `acgan --version` and `acgan --help`
# import the package but not PyTorch (2-3 s on a small CPU).
DRAWING = {"FaceGenerator": "generator", "load": "generator", "load_onnx": "generator", "save_faces": "outputs"}


def __getattr__(name: str) -> Any:
    if name in DRAWING:
        from importlib import import_module

        return getattr(import_module(f"acgan.sample.{DRAWING[name]}"), name)
    raise AttributeError(f"module 'acgan' has no attribute {name!r}")

"""acgan: an auxiliary-classifier GAN that draws anime faces with the hair and eye colours you ask for.

    import acgan
    faces = acgan.load("runs/demo").generate(hair="blue", eyes="red", n=4, seed=0)

The packages, bottom to top (each imports only those before it; tests/test_layers.py checks):

    version  the version
    errors   UserError, the one type of a user's mistake
    data     colours, tags.csv, dataset folders and their cache, the built-in faces, the data doctor
    nets     the generator and discriminator designs (classic, modern) and their registry
    run      a run on disk: its folder and its checkpoints (typed, validated records)
    sample   drawing faces from a generator, the pictures and files made of them, ONNX export
    judge    the independent tagger, metrics, evaluation and its report
    train    settings and recipes, losses, the step, the engine, the loop, train() and resume()
    serve    the web page and its JSON API
    cli      the `acgan` command
"""

from acgan.sample.generator import FaceGenerator, load
from acgan.version import __version__

__all__ = ["FaceGenerator", "__version__", "load"]

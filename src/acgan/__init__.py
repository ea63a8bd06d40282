"""acgan: an auxiliary-classifier GAN that draws anime faces with the hair and eye colours you ask for.

    import acgan
    faces = acgan.load("runs/demo").generate(hair="blue", eyes="red", n=4, seed=0)
"""

__version__ = "0.1.0"

from acgan.generate import FaceGenerator, load

__all__ = ["FaceGenerator", "__version__", "load"]

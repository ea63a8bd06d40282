"""Any image Pillow opens, as 8-bit RGB: the one place a face's pixels are normalised before resizing.

    8-bit modes (1, L, P, RGB, CMYK, YCbCr, HSV, ...)   Pillow's own conversion to RGB
    with transparency (RGBA, LA, PA, P with a transparent colour)   composited on white, as a viewer shows it
    wide greys: I;16 (16-bit), I (32-bit), F (float)   scaled into 0..255, not clipped (Pillow's conversion
                                                       clips a 16-bit grey to 255: an all-white face)

A wide grey is scaled by the range its values use: a 16-bit mode by 65535; I and F by 255 when they fit in
it, 65535 when they fit in 16 bits, else their own maximum; F values in [0, 1] are taken as a fraction.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

WIDE_GREYS = ("I;16", "I;16L", "I;16B", "I;16N", "I", "F")
TRANSPARENT = ("RGBA", "LA", "PA", "RGBa", "La")


def to_rgb(image: Image.Image) -> Image.Image:
    if image.mode == "RGB":
        return image
    if image.mode in WIDE_GREYS:
        grey = wide_grey_to_8_bit(np.asarray(image, dtype=np.float64), image.mode)
        return Image.fromarray(np.repeat(grey[:, :, None], 3, axis=2))
    if image.mode in TRANSPARENT or (image.mode == "P" and "transparency" in image.info):
        background = Image.new("RGBA", image.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, image.convert("RGBA")).convert("RGB")
    return image.convert("RGB")


def wide_grey_to_8_bit(values: np.ndarray, mode: str) -> np.ndarray:
    values = np.clip(np.nan_to_num(values, nan=0.0, posinf=0.0, neginf=0.0), 0.0, None)
    top = float(values.max()) if values.size else 0.0
    if mode.startswith("I;16"):
        scale = 65535.0
    elif mode == "F" and top <= 1.0:
        scale = 1.0
    elif top <= 255.0:
        scale = 255.0
    elif top <= 65535.0:
        scale = 65535.0
    else:
        scale = top
    return np.round(values / scale * 255.0).astype(np.uint8)

"""Representative sRGB colours for colour names: the one place that says what "aqua" or "blonde" looks like.

The procedural renderer paints hair and irises from these swatches and the web page shows them next to
each choice, so both agree on what a name means. The default vocabulary's names have hand-picked swatches
that stay distinct from one another both as hair and as iris colour; any other name (a dataset may use its
own colours) gets a stable colour derived from a hash of the name.
"""

from __future__ import annotations

import colorsys
import hashlib

RGB = tuple[int, int, int]

SWATCHES: dict[str, RGB] = {
    # Warm colours are spread out in hue and brightness so orange, red, brown and pink never blur.
    "orange": (247, 141, 46),
    "red": (212, 38, 52),
    "pink": (246, 148, 192),
    "brown": (126, 78, 44),
    # Blonde (hair) is pale and golden; yellow (eyes) is saturated, so the two read differently.
    "blonde": (242, 214, 128),
    "yellow": (250, 210, 30),
    # Cool colours: aqua leans cyan, blue is a deep royal blue, green sits clearly between them.
    "aqua": (64, 204, 214),
    "blue": (48, 96, 212),
    "green": (70, 166, 82),
    "purple": (138, 82, 196),
    # Neutrals: far apart in brightness; gray and white carry a faint cool tint so they look like hair.
    "white": (240, 240, 245),
    "gray": (140, 143, 154),
    "black": (38, 36, 44),
}


def swatch(name: str) -> RGB:
    """The colour that `name` stands for; unknown names get a deterministic colour from their hash."""
    key = name.strip().lower()
    known = SWATCHES.get(key)
    if known is not None:
        return known
    # hashlib rather than hash(): Python salts str hashes per process, and a swatch must be stable.
    digest = hashlib.sha256(key.encode("utf-8")).digest()
    hue = digest[0] / 256.0
    saturation = 0.45 + 0.35 * digest[1] / 255.0
    value = 0.55 + 0.35 * digest[2] / 255.0
    red, green, blue = colorsys.hsv_to_rgb(hue, saturation, value)
    return (round(red * 255), round(green * 255), round(blue * 255))

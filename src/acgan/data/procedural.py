"""The built-in default dataset: cartoon anime faces drawn with PIL, labelled by hair and eye colour.

Each face is drawn at twice the requested size and box-downsampled, which antialiases the edges at little
cost. Every random choice for face i comes from a generator seeded with (seed, i), so a face depends only on
(seed, i, hair[i], eyes[i]): any subset of a dataset can be re-rendered pixel for pixel. The geometry draws
never depend on the colours, so changing only the eye colour changes only the eyes.
"""

from __future__ import annotations

import colorsys
import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
from PIL import Image, ImageDraw

from acgan.data.palette import swatch
from acgan.data.vocab import DEFAULT_VOCAB, Vocabulary

# Bump when the drawing changes, so cached built-in datasets are redrawn.
VERSION = 1

RGB = tuple[int, int, int]
Point = tuple[float, float]
T = TypeVar("T")

_HAIR_STYLES = ("bob", "long", "twintails", "spiky", "short")
_BANG_STYLES = ("pointed", "blunt", "swept", "parted")
_MOUTHS = ("smile", "open", "small")
# Per style, the range of lengths (in skull radii below the head centre) of the locks framing the face and
# of the hair behind the head. Long hair runs off the bottom of the image.
_LOCK_LENGTH = {
    "bob": (0.85, 1.15),
    "long": (2.2, 2.8),
    "twintails": (0.6, 0.95),
    "spiky": (0.4, 0.65),
    "short": (0.35, 0.55),
}
_BACK_LENGTH = {
    "bob": (0.85, 1.15),
    "long": (3.0, 3.2),
    "twintails": (0.35, 0.6),
    "spiky": (0.35, 0.6),
    "short": (0.3, 0.45),
}

# Pale skin tones typical of the style; each face is jittered around one of them.
_SKIN_TONES: tuple[RGB, ...] = ((255, 228, 212), (252, 218, 196), (246, 206, 182), (236, 192, 164))
_WHITE: RGB = (255, 255, 255)
_LASH: RGB = (44, 30, 38)
_MOUTH: RGB = (150, 50, 62)
_TONGUE: RGB = (236, 120, 130)
_BLUSH = (255, 110, 130)
# Hair shadows lean towards a cool violet, as in cel shading, instead of going plain grey.
_SHADOW_TINT: RGB = (70, 50, 120)
# Separates the stream that shuffles labels from the per-face streams seeded with (seed, i).
_LABEL_STREAM = 0x1ABE1


# ----------------------------------------------------------------------------------------------- randomness


class _Dice:
    """Uniform numbers for one face, fetched from numpy in blocks because scalar numpy draws are slow."""

    def __init__(self, seed: int, index: int) -> None:
        self._rng = np.random.default_rng([seed, index])
        self._next = iter(self._rng.random(96).tolist()).__next__

    def unit(self) -> float:
        try:
            return self._next()
        except StopIteration:  # only if a face ever needs more than one block
            self._next = iter(self._rng.random(96).tolist()).__next__
            return self._next()

    def uniform(self, low: float, high: float) -> float:
        return low + (high - low) * self.unit()

    def chance(self, probability: float) -> bool:
        return self.unit() < probability

    def pick(self, options: Sequence[T]) -> T:
        return options[min(int(self.unit() * len(options)), len(options) - 1)]


# ------------------------------------------------------------------------------------------------- colours


def _clamp(red: float, green: float, blue: float) -> RGB:
    return (
        min(255, max(0, int(red + 0.5))),
        min(255, max(0, int(green + 0.5))),
        min(255, max(0, int(blue + 0.5))),
    )


def _mix(a: Sequence[float], b: Sequence[float], t: float) -> RGB:
    return _clamp(a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t)


def _shade(colour: RGB, factor: float) -> RGB:
    return _clamp(colour[0] * factor, colour[1] * factor, colour[2] * factor)


def _hsv(hue: float, saturation: float, value: float) -> RGB:
    red, green, blue = colorsys.hsv_to_rgb(hue % 1.0, saturation, value)
    return _clamp(red * 255, green * 255, blue * 255)


def _jitter(colour: RGB, dice: _Dice, hue: float, saturation: float, value: float) -> RGB:
    """A per-face variant of `colour`: small hue/saturation/brightness changes that keep it recognisable."""
    h, s, v = colorsys.rgb_to_hsv(*(c / 255 for c in colour))
    h += dice.uniform(-hue, hue)
    s = min(1.0, s * dice.uniform(1 - saturation, 1 + saturation))
    v = min(1.0, v * dice.uniform(1 - value, 1 + value / 2))
    return _hsv(h, s, v)


@dataclass(frozen=True)
class _HairColours:
    base: RGB
    back: RGB  # the underside and hair behind the head, darker than the front
    shadow: RGB
    light: RGB
    line: RGB


@dataclass(frozen=True)
class _IrisColours:
    base: RGB
    dark: RGB
    shadow: RGB
    light: RGB
    pupil: RGB


def _hair_colours(name: str, dice: _Dice) -> _HairColours:
    base = _jitter(swatch(name), dice, 0.015, 0.1, 0.08)
    shadow = _mix(_shade(base, 0.7), _SHADOW_TINT, 0.12)
    return _HairColours(
        base=base,
        back=_mix(base, shadow, 0.6),
        shadow=shadow,
        light=_mix(base, _WHITE, 0.45),
        line=_mix(_shade(base, 0.42), _SHADOW_TINT, 0.1),
    )


def _iris_colours(name: str, dice: _Dice) -> _IrisColours:
    base = _jitter(swatch(name), dice, 0.015, 0.08, 0.06)
    dark = _shade(base, 0.55)
    return _IrisColours(
        base=base,
        dark=dark,
        shadow=_mix(base, dark, 0.6),
        light=_mix(base, _WHITE, 0.3),
        pupil=_mix(_shade(base, 0.3), (16, 8, 24), 0.4),
    )


# ------------------------------------------------------------------------------------------------ the face


@dataclass
class _Face:
    """Everything random about one face. Lengths are in units of the skull radius unless named px."""

    x: float  # head centre, px
    y: float
    r: float  # skull radius, px
    line_px: int
    face_width: float
    chin: float
    hair_style: str
    bangs: str
    bang_tips: int
    bang_drop: float
    bang_depth: float
    bang_wobble: tuple[float, ...]
    swept: float  # direction of swept bangs (+1 right, -1 left)
    lock_length: float
    back_length: float
    spike_count: int
    spike_height: float
    tail_length: float
    eye_dx: float
    eye_y: float
    eye_w: float
    eye_h: float
    look: float
    mouth: str
    mouth_y: float
    blush: bool
    skin: RGB
    skin_shadow: RGB
    skin_line: RGB
    cloth: RGB
    background: tuple[RGB, RGB]
    hair: _HairColours
    iris: _IrisColours

    @functools.cached_property
    def fringe(self) -> list[Point]:
        """Lower edge of the fringe, needed by the hair and by the shadow it casts."""
        return _bang_edge(self)

    def points(self, head_points: Sequence[Point]) -> list[Point]:
        x, y, r = self.x, self.y, self.r
        return [(x + hx * r, y + hy * r) for hx, hy in head_points]

    def box(self, hx: float, hy: float, rx: float, ry: float) -> tuple[float, float, float, float]:
        """Pixel bounding box of an ellipse given in head units."""
        x, y, r = self.x + hx * self.r, self.y + hy * self.r, self.r
        return (x - rx * r, y - ry * r, x + rx * r, y + ry * r)


def _random_face(hair: str, eyes: str, px: int, dice: _Dice) -> _Face:
    # Colours are drawn first and always consume the same number of values, so the geometry that follows
    # is identical whatever the colours are.
    hair_colours = _hair_colours(hair, dice)
    iris = _iris_colours(eyes, dice)
    skin = _jitter(dice.pick(_SKIN_TONES), dice, 0.01, 0.1, 0.03)
    cloth = _hsv(dice.unit(), dice.uniform(0.12, 0.35), dice.uniform(0.35, 0.8))
    hue = dice.unit()
    top = _hsv(hue, dice.uniform(0.04, 0.18), dice.uniform(0.86, 0.97))
    bottom = (
        top
        if dice.chance(0.5)
        else _hsv(hue + dice.uniform(-0.15, 0.15), dice.uniform(0.05, 0.22), dice.uniform(0.78, 0.94))
    )
    style = dice.pick(_HAIR_STYLES)
    return _Face(
        x=px * (0.5 + dice.uniform(-0.04, 0.04)),
        y=px * (0.47 + dice.uniform(-0.03, 0.03)),
        r=px * dice.uniform(0.28, 0.315),
        line_px=max(1, round(px / 64)),
        face_width=dice.uniform(0.9, 1.0),
        chin=dice.uniform(0.95, 1.08),
        hair_style=style,
        bangs="pointed" if style == "spiky" else dice.pick(_BANG_STYLES),
        bang_tips=dice.pick((4, 5, 6)),
        bang_drop=dice.uniform(-0.12, -0.03),
        bang_depth=dice.uniform(0.2, 0.36),
        bang_wobble=tuple(dice.uniform(-0.05, 0.05) for _ in range(8)),
        swept=dice.pick((-1.0, 1.0)),
        lock_length=dice.uniform(*_LOCK_LENGTH[style]),
        back_length=dice.uniform(*_BACK_LENGTH[style]),
        spike_count=dice.pick((7, 8, 9)),
        spike_height=dice.uniform(0.18, 0.3),
        tail_length=dice.uniform(0.85, 1.15),
        eye_dx=dice.uniform(0.41, 0.46),
        eye_y=dice.uniform(0.31, 0.37),
        eye_w=dice.uniform(0.27, 0.31),
        eye_h=dice.uniform(0.29, 0.34),
        look=dice.uniform(-1.0, 1.0),
        mouth=dice.pick(_MOUTHS),
        mouth_y=dice.uniform(0.82, 0.88),
        blush=dice.chance(0.6),
        skin=skin,
        skin_shadow=_mix(skin, (214, 128, 130), 0.3),
        skin_line=_mix(skin, (120, 50, 50), 0.55),
        cloth=cloth,
        background=(top, bottom),
        hair=hair_colours,
        iris=iris,
    )


# -------------------------------------------------------------------------------------------- geometry


@functools.cache
def _unit_arc(start: float, end: float, n: int) -> tuple[Point, ...]:
    # Cached: the same few arcs are needed for every face, and trigonometry in Python is not free.
    step = (end - start) / (n - 1)
    return tuple(
        (math.cos(math.radians(start + k * step)), math.sin(math.radians(start + k * step))) for k in range(n)
    )


def _arc(cx: float, cy: float, rx: float, ry: float, start: float, end: float, n: int) -> list[Point]:
    """n points on an ellipse from angle `start` to `end` in degrees, clockwise from 3 o'clock (PIL's way)."""
    return [(cx + rx * c, cy + ry * s) for c, s in _unit_arc(start, end, n)]


def _spiky_arc(face: _Face, radius: float, start: float, end: float) -> list[Point]:
    """An arc whose outline alternates between `radius` and spike tips, for messy/spiky hair."""
    n = face.spike_count * 2 + 1
    out = []
    for k, (px, py) in enumerate(_arc(0.0, -0.05, 1.0, 1.0, start, end, n)):
        reach = radius + (face.spike_height * (1 + face.bang_wobble[k % 8]) if k % 2 else 0.0)
        out.append((px * reach, -0.05 + (py + 0.05) * reach))
    return out


def _crown(face: _Face, radius: float, start: float, end: float) -> list[Point]:
    """The top outline of the hair around the skull: smooth, or spiky for the spiky style."""
    if face.hair_style == "spiky":
        return _spiky_arc(face, radius, start, end)
    return _arc(0.0, -0.05, radius, radius, start, end, 15)


def _ribbon(centre: Sequence[Point], half_widths: Sequence[float]) -> list[Point]:
    """Outline of a strip of varying width around a centre line (used for twin tails)."""
    left, right = [], []
    for k, (x, y) in enumerate(centre):
        x0, y0 = centre[max(k - 1, 0)]
        x1, y1 = centre[min(k + 1, len(centre) - 1)]
        dx, dy = x1 - x0, y1 - y0
        norm = math.hypot(dx, dy) or 1.0
        nx, ny = -dy / norm * half_widths[k], dx / norm * half_widths[k]
        left.append((x + nx, y + ny))
        right.append((x - nx, y - ny))
    return left + right[::-1]


def _bang_edge(face: _Face) -> list[Point]:
    """The lower edge of the fringe, from right to left, in head units."""
    n, drop, depth, wobble = face.bang_tips, face.bang_drop, face.bang_depth, face.bang_wobble
    half = 0.64
    xs = [half - 2 * half * k / (n - 1) for k in range(n)]
    edge: list[Point] = [(0.8, drop - depth)]
    for k, x in enumerate(xs):
        tip_y = drop + wobble[k]
        notch_y = drop - depth * (1 + wobble[k + 1])
        if face.bangs == "blunt":
            # A straight-cut fringe: flat tips with shallow notches.
            edge += [(x + 0.09, drop + 0.02), (x - 0.09, drop + 0.02)]
            notch_y = drop - 0.08
        elif face.bangs == "swept":
            # All strands lean one way and the fringe gets longer towards that side.
            edge.append((x + 0.14 * face.swept, drop + 0.12 * (x * face.swept - 0.3)))
        elif face.bangs == "parted" and abs(x) < 0.2:
            edge.append((x * 0.5, drop - depth - 0.25))
        else:
            edge.append((x, tip_y))
        if k < n - 1:
            mid = x - half / (n - 1)
            if face.bangs == "parted" and abs(mid) < 0.1:
                notch_y = drop - 0.7
            edge.append((mid, notch_y))
    edge.append((-0.8, drop - depth))
    return edge


def _front_hair(face: _Face) -> list[Point]:
    """Polygon of the hair in front of the face: crown, side locks and fringe, in head units."""
    cap = _crown(face, 1.11, 165, 375)
    length = face.lock_length
    spread = 0.2 if face.hair_style == "long" else 0.0  # long locks fan out over the shoulders
    right = [
        (1.04 + spread * 0.5, length * 0.5),
        (0.99 + spread, length - 0.12),
        (0.9 + spread * 0.7, length),
        (0.84 + spread * 0.4, length * 0.6),
        (0.8, 0.1),
    ]
    left = [(-x, y) for x, y in reversed(right)]
    return cap + right + face.fringe + left


def _back_hair(face: _Face) -> list[Point]:
    """Polygon of the hair behind the head, in head units."""
    top = _crown(face, 1.15, 160, 380)
    bottom = face.back_length
    if face.hair_style in ("bob", "long"):
        flare = 0.18 if face.hair_style == "long" else 0.0
        right = [
            (1.17 + flare * 0.5, 0.45),
            (1.15 + flare, bottom - 0.12),
            (0.98 + flare, bottom),
            (0.5, bottom - 0.05),
            (0.0, bottom + 0.03),
        ]
    else:
        right = [(1.06, bottom), (0.5, bottom)]
    left = [(-x, y) for x, y in reversed(right)]
    return top + right + left[1:]


def _tail_centre(face: _Face, side: float) -> list[Point]:
    """Centre line of a twin tail: out from the side of the head, then hanging down in a gentle S."""
    t = face.tail_length
    centre = [
        (0.9, -0.72),
        (1.3, -0.62),
        (1.56, -0.22),
        (1.64, 0.4),
        (1.55, 1.0 * t),
        (1.45, 1.5 * t),
        (1.5, 2.0 * t),
        (1.64, 2.45 * t),
    ]
    return [(x * side, y) for x, y in centre]


_TAIL_HALF_WIDTHS = (0.16, 0.28, 0.35, 0.38, 0.36, 0.3, 0.2, 0.03)


_FACE_LOWER = [(0.92, 0.0), (0.91, 0.3), (0.86, 0.55), (0.74, 0.78), (0.5, 0.97), (0.2, 1.08), (0.0, 1.1)]


def _face_outline(face: _Face) -> list[Point]:
    """Polygon of the face: round skull, narrow anime jaw and small pointed chin, in head units."""
    lower = [(x * face.face_width, y * face.chin) for x, y in _FACE_LOWER]
    upper = _arc(0, 0, 0.92 * face.face_width, 1.0, 180, 360, 7)
    return upper + lower[1:] + [(-x, y) for x, y in reversed(lower[:-1])]


# ------------------------------------------------------------------------------------------------ drawing


def _background(face: _Face, px: int) -> Image.Image:
    top, bottom = face.background
    if top == bottom:
        return Image.new("RGB", (px, px), top)
    # A two-pixel image stretched bilinearly is the cheapest vertical gradient PIL offers.
    pair = Image.frombytes("RGB", (1, 2), bytes(top + bottom))
    return pair.resize((1, px), Image.Resampling.BILINEAR).resize((px, px), Image.Resampling.NEAREST)


def _draw_back(draw: ImageDraw.ImageDraw, face: _Face) -> None:
    hair = face.hair
    if face.hair_style == "twintails":
        for side in (-1.0, 1.0):
            centre = _tail_centre(face, side)
            draw.polygon(face.points(_ribbon(centre, _TAIL_HALF_WIDTHS)), fill=hair.base, outline=hair.line)
            # A shadow strand down the tail and a dark hair tie where it meets the head.
            strand = [(x - 0.1 * side, y) for x, y in centre[2:7]]
            draw.line(face.points(strand), fill=hair.shadow, width=max(1, round(face.r * 0.07)))
            draw.ellipse(face.box(1.0 * side, -0.7, 0.13, 0.13), fill=hair.line)
    draw.polygon(face.points(_back_hair(face)), fill=hair.back, outline=hair.line)


def _draw_body(draw: ImageDraw.ImageDraw, face: _Face) -> None:
    draw.polygon(face.points([(-0.25, 0.7), (0.25, 0.7), (0.27, 1.5), (-0.27, 1.5)]), fill=face.skin_shadow)
    draw.ellipse(
        face.box(0, 2.4, 1.6, 1.0), fill=face.cloth, outline=_shade(face.cloth, 0.6), width=face.line_px
    )
    # A V-neck collar, so the neck joins the clothes like a drawn figure rather than a cut-out.
    draw.polygon(face.points([(-0.27, 1.35), (0.27, 1.35), (0.0, 1.75)]), fill=face.skin_shadow)


def _draw_skin(draw: ImageDraw.ImageDraw, face: _Face) -> None:
    draw.polygon(face.points(_face_outline(face)), fill=face.skin, outline=face.skin_line)
    # The fringe casts a shadow band on the forehead; drawing the fringe edge shifted down before the hair
    # leaves exactly that band visible.
    shadow = [(x * 0.95, y + 0.09) for x, y in face.fringe] + [(-0.8, -0.6), (0.8, -0.6)]
    draw.polygon(face.points(shadow), fill=face.skin_shadow)


@functools.cache
def _lash_shape(side: float) -> list[Point]:
    """The upper lash line of a unit eye (centre 0, half-width and half-height 1) on the given side.

    It thickens towards the outer corner and ends in a flick, the signature of the style. Cached because
    every eye uses the same shape, only moved and scaled.
    """
    upper, lower = [], []
    for c, s in _unit_arc(190, 350, 9):
        outer = (c * side + 1) / 2
        upper.append((1.04 * c, s - 0.14 - 0.16 * outer))
        lower.append((1.04 * c, s + 0.05))
    flick = [(1.3 * side, -0.45)]
    return upper + flick + lower[::-1] if side > 0 else flick + upper + lower[::-1]


def _draw_eye(draw: ImageDraw.ImageDraw, face: _Face, side: float) -> None:
    """One big anime eye: white, coloured iris with shadow and light, pupil, glints and a heavy lash line."""
    ex, ey, ew, eh = face.eye_dx * side, face.eye_y, face.eye_w, face.eye_h
    iris = face.iris
    draw.ellipse(face.box(ex, ey, ew, eh), fill=(250, 250, 255))
    ix, iy, iw, ih = ex + face.look * ew * 0.1, ey + 0.05 * eh, 0.8 * ew, 0.94 * eh
    iris_box = face.box(ix, iy, iw, ih)
    draw.ellipse(iris_box, fill=iris.base, outline=iris.dark, width=face.line_px)
    draw.chord(iris_box, 210, 330, fill=iris.shadow)  # the upper lid shades the iris
    draw.chord(iris_box, 50, 130, fill=iris.light)  # light bouncing into the lower iris
    draw.ellipse(face.box(ix, iy - 0.05 * eh, 0.3 * iw, 0.38 * ih), fill=iris.pupil)
    draw.ellipse(face.box(ix - 0.36 * iw * side, iy - 0.36 * ih, 0.27 * iw, 0.22 * ih), fill=_WHITE)
    draw.ellipse(face.box(ix + 0.38 * iw * side, iy + 0.4 * ih, 0.13 * iw, 0.1 * ih), fill=_WHITE)
    lash = [(ex + ew * u, ey + eh * v) for u, v in _lash_shape(side)]
    draw.polygon(face.points(lash), fill=_LASH)
    # A short lower lash under the outer corner.
    draw.line(
        face.points([(ex + side * ew * 0.95, ey + eh * 0.3), (ex + side * ew * 0.55, ey + eh * 0.85)]),
        fill=_LASH,
        width=face.line_px,
    )


def _draw_features(draw: ImageDraw.ImageDraw, face: _Face) -> None:
    for side in (-1.0, 1.0):
        ex, top = face.eye_dx * side, face.eye_y - face.eye_h
        # Brows sit under the fringe and show only through its gaps, as they usually do in the style.
        brow = [(ex - 0.8 * face.eye_w, top - 0.16), (ex, top - 0.24), (ex + 0.8 * face.eye_w, top - 0.18)]
        draw.line(face.points(brow), fill=face.hair.line, width=max(1, round(face.r * 0.05)))
        _draw_eye(draw, face, side)
    draw.ellipse(face.box(0.0, face.eye_y + face.eye_h + 0.02, 0.03, 0.025), fill=face.skin_line)
    _draw_mouth(draw, face)


def _draw_blush(blend: ImageDraw.ImageDraw, face: _Face) -> None:
    blush_y = face.eye_y + face.eye_h + 0.1
    for side in (-1.0, 1.0):
        blend.ellipse(face.box((face.eye_dx + 0.04) * side, blush_y, 0.2, 0.075), fill=(*_BLUSH, 90))


def _draw_mouth(draw: ImageDraw.ImageDraw, face: _Face) -> None:
    my = face.mouth_y * face.chin
    if face.mouth == "open":
        box = face.box(0, my, 0.12, 0.1)
        draw.chord(box, 0, 180, fill=_MOUTH)
        draw.chord(face.box(0, my + 0.04, 0.07, 0.05), 0, 180, fill=_TONGUE)
    elif face.mouth == "smile":
        draw.arc(face.box(0, my - 0.06, 0.12, 0.08), 30, 150, fill=_MOUTH, width=max(1, round(face.r * 0.05)))
    else:
        draw.line(face.points([(-0.06, my), (0.06, my)]), fill=_MOUTH, width=max(1, round(face.r * 0.045)))


def _draw_front(draw: ImageDraw.ImageDraw, face: _Face) -> None:
    hair = face.hair
    outline = face.points(_front_hair(face))
    draw.polygon(outline, fill=hair.base)
    strand = max(1, round(face.r * 0.06))
    # Shadow strands rising from each notch of the fringe suggest separate locks of hair.
    for x, y in face.fringe[1:-1:2]:
        draw.line(face.points([(x, y), (x * 0.85, y - 0.35)]), fill=hair.shadow, width=strand)
    for side in (-1.0, 1.0):
        draw.line(
            face.points([(0.55 * side, -0.85), (0.8 * side, -0.45), (0.93 * side, 0.2)]),
            fill=hair.shadow,
            width=strand,
        )
    # The "angel ring": a zigzag band of shine across the crown.
    band = _arc(0, -0.05, 0.8, 0.8, 218, 322, 9)
    inner = _arc(0, -0.05, 0.66, 0.66, 322, 218, 9)
    inner = [
        (x * (0.9 if k % 2 else 1.0), -0.05 + (y + 0.05) * (0.9 if k % 2 else 1.0))
        for k, (x, y) in enumerate(inner)
    ]
    draw.polygon(face.points(band + inner), fill=hair.light)
    # Drawn last so the line art sits on top of the shading; a one-pixel line at the drawing size is half a
    # pixel after downsampling, a light touch that keeps the hair colour dominant.
    draw.polygon(outline, outline=hair.line)


def _render_face(hair: str, eyes: str, px: int, seed: int, index: int) -> Image.Image:
    face = _random_face(hair, eyes, px, _Dice(seed, index))
    image = _background(face, px)
    draw = ImageDraw.Draw(image)
    _draw_back(draw, face)
    _draw_body(draw, face)
    _draw_skin(draw, face)
    _draw_features(draw, face)
    if face.blush:
        _draw_blush(ImageDraw.Draw(image, "RGBA"), face)  # an RGBA draw blends the translucent fill
    _draw_front(draw, face)
    return image


# ------------------------------------------------------------------------------------------------ public API


def render_faces(hair: Sequence[str], eyes: Sequence[str], size: int = 64, seed: int = 0) -> np.ndarray:
    """Draw len(hair) faces, face i with hair colour hair[i] and eye colour eyes[i].

    Returns uint8 (N, size, size, 3). Face i depends only on (seed, i, hair[i], eyes[i]).
    """
    if len(hair) != len(eyes):
        raise ValueError(f"hair and eyes must have the same length, got {len(hair)} and {len(eyes)}")
    if size < 8:
        raise ValueError(f"size must be at least 8 pixels, got {size}")
    if seed < 0:
        raise ValueError(f"seed must be non-negative, got {seed}")
    out = np.empty((len(hair), size, size, 3), dtype=np.uint8)
    for i, (hair_name, eye_name) in enumerate(zip(hair, eyes, strict=True)):
        # Drawing at twice the size and averaging 2x2 blocks gives antialiased edges for little cost.
        pixels = _render_face(hair_name, eye_name, 2 * size, seed, i).reduce(2).tobytes()
        out[i] = np.frombuffer(pixels, dtype=np.uint8).reshape(size, size, 3)
    return out


def _balanced_labels(n: int, vocab: Vocabulary, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """n (hair, eye) labels that visit every pair once per cycle, in a fresh shuffled order each cycle."""
    pairs = len(vocab.hair) * len(vocab.eyes)
    rng = np.random.default_rng([seed, _LABEL_STREAM])
    cycles = -(-n // pairs)
    order = np.concatenate([rng.permutation(pairs) for _ in range(cycles)])[:n] if n else np.zeros(0, int)
    return (order // len(vocab.eyes)).astype(np.int64), (order % len(vocab.eyes)).astype(np.int64)


def procedural_dataset(
    n: int, size: int = 64, seed: int = 0, vocab: Vocabulary = DEFAULT_VOCAB
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """n procedural faces with labels balanced over all hair x eye pairs of `vocab`.

    Returns (images uint8 (n, size, size, 3), hair labels int64 (n,), eye labels int64 (n,)).
    """
    if n < 0:
        raise ValueError(f"n must be non-negative, got {n}")
    hair_labels, eye_labels = _balanced_labels(n, vocab, seed)
    hair_names = [vocab.hair[h] for h in hair_labels]
    eye_names = [vocab.eyes[e] for e in eye_labels]
    return render_faces(hair_names, eye_names, size, seed), hair_labels, eye_labels

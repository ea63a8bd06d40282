"""The drawing half's own arithmetic and pictures, each against an answer worked out apart from the code: the morph's
great circle and colour blend, its frames' ends, the GIF's frames, timing and loop, the strip, the pixel bound.
Written for the survivors of `make mutants` in sample/generator.py, images.py and pictures.py (docs/TESTING.md)."""

from __future__ import annotations

import io
import json
import math

import numpy as np
import pytest
import torch
from PIL import Image

import acgan
from acgan.sample.contract import GIF_FRAME_MS, GIF_HOLD_MS, MAX_MORPH_PIXELS, MORPH_SIZE, Face
from acgan.sample.generator import blend, slerp
from acgan.sample.images import morph_gif, morph_strip
from acgan.sample.pictures import Morph, MorphTooLargeError, morph_scale
from tests.test_serve import pixels, same_face

Z = 100


def unit(i: int) -> torch.Tensor:
    return torch.eye(Z)[i]


@pytest.fixture(scope="module")
def model() -> acgan.FaceGenerator:
    return acgan.load()


@pytest.mark.parametrize("norm", [1.0, 2.0])
def test_slerp_walks_the_great_circle_at_an_even_pace(norm: float) -> None:
    """Between two vectors of the same length an angle of 1 rad apart, the point at t is at angle t from the first,
    with the same length (geometry, not the code's formula). Guards: the angle's cosine not divided by both norms,
    any angle under 1.000001 taken as 'parallel' (a straight line), the sines' arguments or signs changed."""
    a = norm * unit(0)
    b = norm * (math.cos(1.0) * unit(0) + math.sin(1.0) * unit(1))
    t = torch.tensor([0.0, 0.25, 0.5, 0.8, 1.0])
    expected = norm * (torch.cos(t)[:, None] * unit(0) + torch.sin(t)[:, None] * unit(1))
    torch.testing.assert_close(slerp(a, b, t), expected, atol=1e-6, rtol=1e-6)


def test_slerp_between_lengths_and_at_a_right_angle() -> None:
    """a = e0, b = 3 e1: sin((1-t) pi/2) e0 + 3 sin(t pi/2) e1."""
    t = torch.linspace(0, 1, 7)
    expected = torch.cos(t * math.pi / 2)[:, None] * unit(0) + 3 * torch.sin(t * math.pi / 2)[:, None] * unit(1)
    torch.testing.assert_close(slerp(unit(0), 3 * unit(1), t), expected, atol=1e-6, rtol=1e-6)


def test_slerp_of_parallel_vectors_is_the_straight_line_and_never_nan() -> None:
    """b = 1.5 a: no angle between them, so the path is a straight line, a (1 + 0.5 t); the cosine, which rounding
    can push past 1, is clamped (unclamped, arccos gives NaN)."""
    gen = torch.Generator().manual_seed(0)
    for _ in range(20):
        a = torch.randn(Z, generator=gen)
        t = torch.linspace(0, 1, 5)
        path = slerp(a, 1.5 * a, t)
        assert not path.isnan().any()
        torch.testing.assert_close(path, (1 + 0.5 * t)[:, None] * a, atol=1e-5, rtol=1e-5)
        assert not slerp(a, a.clone(), t).isnan().any()


def test_slerp_ends_are_the_two_vectors_bit_for_bit_and_only_the_ends() -> None:
    """Rounding does not move the ends (they are set, not computed), and only the ends are set."""
    gen = torch.Generator().manual_seed(1)
    a, b = torch.randn(Z, generator=gen), torch.randn(Z, generator=gen)
    t = torch.linspace(0, 1, 6)
    path = slerp(a, b, t)
    assert torch.equal(path[0], a) and torch.equal(path[-1], b)
    assert not any(torch.equal(path[i], a) or torch.equal(path[i], b) for i in range(1, 5))


def test_blend_goes_from_one_colour_to_the_other() -> None:
    t = torch.tensor([0.0, 0.25, 1.0])
    expected = torch.tensor([[0, 1, 0, 0, 0], [0, 0.75, 0, 0.25, 0], [0, 0, 0, 1, 0]])
    assert torch.equal(blend(1, 3, 5, t), expected)
    assert torch.equal(blend(2, 2, 4, t), torch.tensor([[0, 0, 1.0, 0]] * 3))  # the same colour stays whole


def test_a_morphs_end_frames_are_the_two_faces_and_its_middle_is_neither(model: acgan.FaceGenerator) -> None:
    """The ends are the faces `faces` draws, up to the last level of a few pixels: a batch of 5 and a batch of 1
    round differently in the convolutions (measured: 2 pixels one level apart). Guards: the path running to t = 2."""
    start, end = Face(3, "blonde", "blue"), Face(9, "black", "red")
    frames = model.morph(start, end, steps=5)
    assert len(frames) == 5
    as_array = [pixels(f).astype(int) for f in frames]
    for frame, face in ((as_array[0], start), (as_array[-1], end)):
        alone = pixels(model.faces([face])[0]).astype(int)
        assert same_face(frame, alone) and (frame != alone).sum() <= 20
    middle = as_array[2]
    assert np.abs(middle - as_array[0]).mean() > 5 and np.abs(middle - as_array[-1]).mean() > 5


def frames_of(gif: bytes) -> list[tuple[Image.Image, dict]]:
    with Image.open(io.BytesIO(gif)) as image:
        out = []
        for i in range(image.n_frames):
            image.seek(i)
            out.append((image.convert("RGB"), dict(image.info)))
        return out


def solid(colour: tuple[int, int, int], side: int = 4) -> Image.Image:
    image = Image.new("RGB", (side, side), colour)
    image.putpixel((0, 0), (255, 255, 255))  # one pixel apart, to see how it is enlarged
    return image


def test_a_morph_gif_goes_there_and_back_holds_its_ends_and_loops() -> None:
    """Four frames make a GIF of six (0 1 2 3 2 1), the first and the fourth held GIF_HOLD_MS, the rest
    GIF_FRAME_MS; looping forever, each frame replacing the last (disposal 1), enlarged pixel for pixel."""
    colours = [(200, 0, 0), (0, 200, 0), (0, 0, 200), (200, 200, 0)]
    gif = morph_gif([solid(c) for c in colours], scale=3, comment='{"x": 1}')
    frames = frames_of(gif)
    assert [f.getpixel((6, 6)) for f, _ in frames] == [colours[i] for i in (0, 1, 2, 3, 2, 1)]
    assert [info["duration"] for _, info in frames] == [GIF_HOLD_MS] + [GIF_FRAME_MS] * 2 + [GIF_HOLD_MS] + \
        [GIF_FRAME_MS] * 2
    first, info = frames[0]
    assert first.size == (12, 12)
    assert {first.getpixel((x, y)) for x in range(3) for y in range(3)} == {(255, 255, 255)}  # nearest, 3x3
    assert first.getpixel((3, 3)) == colours[0]
    assert info["loop"] == 0 and info["comment"] == b'{"x": 1}'
    with Image.open(io.BytesIO(gif)) as image:
        assert image.format == "GIF" and image.disposal_method == 1


def test_a_morph_gif_by_default_is_at_the_frames_size_without_a_comment() -> None:
    frames = frames_of(morph_gif([solid((9, 9, 9)), solid((90, 90, 90))]))
    assert len(frames) == 2 and frames[0][0].size == (4, 4)
    assert "comment" not in frames[0][1]


def test_a_morph_strip_lays_the_frames_left_to_right() -> None:
    colours = [(200, 0, 0), (0, 200, 0), (0, 0, 200)]
    strip = morph_strip([solid(c) for c in colours])
    assert strip.size == (3 * (4 + 2) + 2, 4 + 2 + 2)  # cells of 4 px, 2 px apart and around
    assert [strip.getpixel((2 + 6 * i + 3, 5)) for i in range(3)] == colours
    assert morph_strip([solid(c) for c in colours], scale=2).size == (3 * (8 + 2) + 2, 8 + 4)


@pytest.mark.parametrize("steps, side, scale, fits", [
    (3, 4096, 1, True),  # a GIF of 4 frames of 4096 px: exactly MAX_MORPH_PIXELS
    (3, 4097, 1, False),
    (2, 2048, 2, True),  # 2 frames, the strip and the GIF alike: 2 x 4096 px squared
    (2, 5792, 1, True), (2, 5793, 1, False),  # 2 x 5792^2 < 2^26 < 2 x 5793^2
    (9, 64, None, True),  # default scale: MORPH_SIZE // side
])
def test_a_morph_is_bounded_by_the_pixels_of_its_gif_there_and_back(steps: int, side: int, scale: int | None,
                                                                   fits: bool) -> None:
    assert MAX_MORPH_PIXELS == 2**26
    if fits:
        assert morph_scale(steps, side, scale) == (scale or MORPH_SIZE // side)
    else:
        with pytest.raises(MorphTooLargeError, match=f"^{steps} frames of {side} px is more than the 67,108,864 "):
            morph_scale(steps, side, scale)


def test_a_morph_gif_and_frames_carry_the_record_and_pass_each_frame_through_each(model: acgan.FaceGenerator) -> None:
    start, end = Face(1, "blue", "green"), Face(2, "red", "purple")
    morph = Morph(model, start, end, model.morph(start, end, steps=3), scale=1)
    seen: list[int] = []

    def each(frames):
        for frame in frames:
            seen.append(frame.width)
            yield frame

    gif = morph.gif(each=each)
    assert seen == [model.resolution] * 3
    assert json.loads(frames_of(gif)[0][1]["comment"]) == morph.record
    records = []
    for png in morph.frame_pngs():
        with Image.open(io.BytesIO(png)) as image:
            records.append(json.loads(image.info["acgan"]))
    assert records == [{**morph.record, "frame": i} for i in range(3)]
    assert morph.record["from"] == {"seed": 1, "hair": "blue", "eyes": "green"} and morph.record["steps"] == 3

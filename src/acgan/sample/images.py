"""Turning image tensors into pictures a person looks at: PIL images, labelled grids, PNG bytes, morph GIFs.
What those pictures say about themselves (their metadata) is pictures.py's."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFont
from PIL.PngImagePlugin import PngInfo

from acgan.errors import UserError
from acgan.sample.contract import GIF_FRAME_MS, GIF_HOLD_MS, MAX_SIZE, MIN_SIZE

LABEL_COLOUR = (40, 40, 40)
BACKGROUND = (255, 255, 255)
GRID_COLUMNS = 8  # faces in a row of a grid of several faces


def to_uint8(images: torch.Tensor) -> np.ndarray:
    """float (B, 3, H, W) in [-1, 1] -> uint8 (B, H, W, 3), rounding to the nearest level."""
    scaled = (images.detach().float().cpu().clamp(-1, 1) + 1) * 127.5
    return scaled.round().to(torch.uint8).permute(0, 2, 3, 1).numpy()


def to_pil(images: torch.Tensor) -> list[Image.Image]:
    return [Image.fromarray(a) for a in to_uint8(images)]


def image_grid(images: list[Image.Image], columns: int, row_labels: list[str] | None = None,
               column_labels: list[str] | None = None, cell: int | None = None, pad: int = 2) -> Image.Image:
    """Tile images row by row; optional labels on the left and on top. `cell` resizes each tile."""
    size = cell or images[0].width
    rows = (len(images) + columns - 1) // columns
    font = ImageFont.load_default(size=max(10, size // 6))
    left = _label_extent(row_labels, font) + 2 * pad if row_labels else 0
    top = label_height(font) + 3 * pad if column_labels else 0
    canvas = Image.new("RGB", (left + columns * (size + pad) + pad, top + rows * (size + pad) + pad), BACKGROUND)
    draw = ImageDraw.Draw(canvas)
    for i, image in enumerate(images):
        row, col = divmod(i, columns)
        tile = image if image.width == size else image.resize((size, size), Image.Resampling.NEAREST)
        canvas.paste(tile, (left + pad + col * (size + pad), top + pad + row * (size + pad)))
    for col, label in enumerate(column_labels or []):
        x = left + pad + col * (size + pad) + size // 2
        draw.text((x, top - pad), label, fill=LABEL_COLOUR, font=font, anchor="ms")
    for row, label in enumerate(row_labels or []):
        y = top + pad + row * (size + pad) + size // 2
        draw.text((left - pad, y), label, fill=LABEL_COLOUR, font=font, anchor="rm")
    return canvas


def faces_grid(images: list[Image.Image]) -> Image.Image:
    """Several faces in one picture, GRID_COLUMNS to a row, each tile at least 64 px (the CLI's and the API's)."""
    return image_grid(images, min(len(images), GRID_COLUMNS), cell=max(64, images[0].width))


def label_height(font: ImageFont.FreeTypeFont | ImageFont.ImageFont) -> int:
    """The font's size in pixels (Pillow's built-in bitmap font, used without FreeType, is 11 px)."""
    return int(font.size) if isinstance(font, ImageFont.FreeTypeFont) else 11


def _label_extent(labels: list[str], font: ImageFont.FreeTypeFont | ImageFont.ImageFont) -> int:
    return int(max(font.getlength(label) for label in labels))


def resized(images: Sequence[Image.Image], size: int | None) -> list[Image.Image]:
    """Faces at `size` pixels a side (Lanczos), for downloads bigger than the model draws; None: as drawn."""
    if size is None or all(image.width == size for image in images):
        return list(images)
    if not MIN_SIZE <= size <= MAX_SIZE:
        raise UserError(f"size must be from {MIN_SIZE} to {MAX_SIZE} pixels, got {size}")
    return [image.resize((size, size), Image.Resampling.LANCZOS) for image in images]


def png_bytes(image: Image.Image, record: dict[str, Any]) -> bytes:
    """The image as PNG bytes carrying `record` as JSON in an "acgan" text chunk: what made it."""
    info = PngInfo()
    info.add_text("acgan", json.dumps(record))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", pnginfo=info)
    return buffer.getvalue()


def morph_gif(frames: Sequence[Image.Image], scale: int = 1, comment: str = "",
              each: Callable[[Iterable[Image.Image]], Iterable[Image.Image]] = iter) -> bytes:
    """An endlessly looping GIF that goes from the first frame to the last and back, holding at both ends.

    Each frame is enlarged and given its palette here, once (the way Pillow's GIF writer would, so the bytes are
    the same), frame by frame through `each`, which may stop the work between frames: that is where a GIF's time
    goes (0.65 s a frame at 1024 px on this CPU), the writing itself is quick."""
    big = [f.resize((f.width * scale, f.height * scale), Image.Resampling.NEAREST).convert(
        "P", palette=Image.Palette.ADAPTIVE) for f in each(frames)]
    sequence = big + big[-2:0:-1]
    durations = [GIF_HOLD_MS if i in (0, len(big) - 1) else GIF_FRAME_MS for i in range(len(sequence))]
    buffer = io.BytesIO()
    sequence[0].save(buffer, format="GIF", save_all=True, append_images=sequence[1:], duration=durations, loop=0,
                     disposal=1, comment=comment)
    return buffer.getvalue()


def morph_strip(frames: Sequence[Image.Image], scale: int = 1) -> Image.Image:
    """The frames side by side, left to right, on the same white grid `acgan generate` draws."""
    return image_grid(list(frames), len(frames), cell=frames[0].width * scale)

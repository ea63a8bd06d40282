"""Turning image tensors into pictures a person looks at: PIL images and labelled grids."""

from __future__ import annotations

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFont

LABEL_COLOUR = (40, 40, 40)
BACKGROUND = (255, 255, 255)


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
    top = font.size + 3 * pad if column_labels else 0
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


def _label_extent(labels: list[str], font: ImageFont.FreeTypeFont | ImageFont.ImageFont) -> int:
    return int(max(font.getlength(label) for label in labels))

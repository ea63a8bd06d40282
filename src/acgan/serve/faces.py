"""The work behind the API's routes: requests in, faces out, every refusal a 422 that names the field.

`FaceService` turns a validated request into faces through the Backend and shapes the answer (JSON with
base64 PNGs, or the picture itself). The pictures come from the same functions `acgan generate` and
`acgan interpolate` use, so the CLI and the page give the same files.
"""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Sequence
from typing import Any

from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, Response
from PIL import Image

from acgan.data.vocab import UnknownColourError
from acgan.sample.faces import MAX_SEED, RANDOM, Face, colours_for
from acgan.sample.images import faces_grid, morph_gif, morph_scale, morph_strip, png_bytes, resized
from acgan.sample.records import face_record, grid_record, morph_record
from acgan.serve.backend import Backend
from acgan.serve.limits import HeavyWork, invalid
from acgan.serve.page import colour_choices
from acgan.serve.schemas import (
    FaceOut,
    FacesResponse,
    GenerateRequest,
    Health,
    MorphRequest,
    MorphResponse,
    RecolourRequest,
    TagsResponse,
)

MAX_MORPH_SIZE = 1024  # pixels a side of a morph's GIF or strip, whatever scale is asked for


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def new_seed() -> int:
    return secrets.randbelow(10**9)


class FaceService:
    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.heavy = HeavyWork()

    def health(self) -> Health:
        b = self.backend
        return Health(backend=b.name, source=b.source, step=b.step, resolution=b.resolution)

    def tags(self) -> TagsResponse:
        return TagsResponse.model_validate(colour_choices(self.backend.vocab, self.backend.resolution))

    def generate(self, request: GenerateRequest) -> Response:
        seed = new_seed() if request.seed is None else request.seed
        if seed + request.n - 1 > MAX_SEED:
            raise invalid(("seed",), f"seed + n - 1 must be at most {MAX_SEED}", seed)
        faces = [self.face(seed + k, request.hair, request.eyes) for k in range(request.n)]
        with self.heavy.slot():
            return self.faces_response(faces, seed, request.format, request.size)

    def recolour(self, request: RecolourRequest) -> Response:
        seed = new_seed() if request.seed is None else request.seed
        faces = [self.face(seed, p.hair, p.eyes, ("pairs", i)) for i, p in enumerate(request.pairs)]
        with self.heavy.slot():
            return self.faces_response(faces, seed, request.format, request.size)

    def morph(self, request: MorphRequest) -> Response:
        b = self.backend
        start = self.face(request.start.seed, request.start.hair, request.start.eyes, ("from",))
        end = self.face(request.end.seed, request.end.hair, request.end.eyes, ("to",))
        side = request.size or b.resolution
        scale = morph_scale(side, request.scale)
        if side * scale > MAX_MORPH_SIZE:
            raise invalid(("scale",), f"scale x {side} px must be at most {MAX_MORPH_SIZE} px", scale)
        with self.heavy.slot():
            return self.morph_response(start, end, request, scale)

    def morph_response(self, start: Face, end: Face, request: MorphRequest, scale: int) -> Response:
        b = self.backend
        frames = resized(b.morph(start, end, request.steps), request.size)
        record = morph_record(b.source, b.step, start, end, request.steps)
        if request.format == "png":
            return Response(png_bytes(morph_strip(frames, scale), record), media_type="image/png")
        gif = morph_gif(frames, scale, comment=json.dumps(record))
        if request.format == "gif":
            return Response(gif, media_type="image/gif")
        ends = [self.face_out(start, frames[0]), self.face_out(end, frames[-1])]
        frame_pngs = [b64(png_bytes(f, {**record, "frame": i})) for i, f in enumerate(frames)]
        body = MorphResponse(start=ends[0], end=ends[1], steps=request.steps, frames=frame_pngs, gif=b64(gif))
        return JSONResponse(jsonable_encoder(body, by_alias=True))

    def face(self, seed: int, hair: str, eyes: str, loc: Sequence[str | int] = ()) -> Face:
        """The face a request names; an unknown colour is a 422 about its field."""
        try:
            return (seed, *colours_for(self.backend.vocab, seed, hair, eyes))
        except UnknownColourError as err:
            value = hair if err.attribute == "hair" else eyes
            raise invalid((*loc, err.attribute), f"{err} (or {RANDOM!r})", value) from None

    def face_out(self, face: Face, image: Image.Image) -> FaceOut:
        seed, hair, eyes = face
        record = face_record(self.backend.source, self.backend.step, seed, hair, eyes)
        return FaceOut(seed=seed, hair=hair, eyes=eyes, png=b64(png_bytes(image, record)))

    def faces_response(self, faces: list[Face], first_seed: int, fmt: str, size: int | None) -> Response:
        b = self.backend
        images = resized(b.faces(faces), size)
        if fmt == "json":
            out = [self.face_out(face, image) for face, image in zip(faces, images, strict=True)]
            return JSONResponse(jsonable_encoder(FacesResponse(seed=first_seed, resolution=b.resolution, faces=out)))
        picture: Image.Image
        record: dict[str, Any]
        if len(images) == 1:
            picture, record = images[0], face_record(b.source, b.step, *faces[0])
        else:
            picture = faces_grid(images)
            record = grid_record(b.source, b.step, faces)
        headers = {"X-Acgan-Seed": str(first_seed), "X-Acgan-Faces": json.dumps([list(f) for f in faces])}
        return Response(png_bytes(picture, record), media_type="image/png", headers=headers)

"""The work behind the API's routes: requests in, faces out, every refusal a 422 that names the field.

`FaceService` turns a validated request into faces drawn by a FaceGenerator and shapes the answer (JSON with
base64 PNGs, or the picture itself). The pictures are sample/pictures.py's, the ones `acgan generate` and
`acgan interpolate` write, so the CLI and the page give the same files.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
from collections.abc import Sequence

from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, Response
from PIL import Image

from acgan.data.vocab import UnknownColourError
from acgan.errors import UserError
from acgan.sample.contract import NEW_SEED_BELOW, RANDOM, Face, contract_json
from acgan.sample.generator import FaceGenerator
from acgan.sample.images import resized
from acgan.sample.pictures import Morph, MorphTooLargeError, face_png, faces_png, morph_scale
from acgan.sample.seeds import check_seeds, colours_for
from acgan.serve.guards import HeavyWork, invalid
from acgan.serve.schemas import (
    Contract,
    FaceOut,
    FacesResponse,
    GenerateRequest,
    Health,
    MorphRequest,
    MorphResponse,
    RecolourRequest,
)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def new_seed() -> int:
    return secrets.randbelow(NEW_SEED_BELOW)


class FaceService:
    """The routes' work over one loaded model. The network runs one call at a time, since each call already uses
    every core; the requests HeavyWork lets in at once overlap drawing with encoding their pictures."""

    def __init__(self, model: FaceGenerator) -> None:
        self.model = model
        self.drawing = threading.Lock()
        self.heavy = HeavyWork()

    def health(self) -> Health:
        m = self.model
        return Health(runtime=m.runtime, source=m.source, step=m.step, resolution=m.resolution)

    def tags(self) -> Contract:
        m = self.model
        return Contract.model_validate(contract_json(m.vocab, m.resolution, m.source, m.step))

    def generate(self, request: GenerateRequest) -> Response:
        seed = new_seed() if request.seed is None else request.seed
        try:
            check_seeds(seed, request.n)
        except UserError as err:
            raise invalid(("seed",), str(err), seed) from None
        faces = [self.face(seed + k, request.hair, request.eyes) for k in range(request.n)]
        with self.heavy.slot():
            return self.faces_response(faces, seed, request.format, request.size)

    def recolour(self, request: RecolourRequest) -> Response:
        seed = new_seed() if request.seed is None else request.seed
        faces = [self.face(seed, p.hair, p.eyes, ("pairs", i)) for i, p in enumerate(request.pairs)]
        with self.heavy.slot():
            return self.faces_response(faces, seed, request.format, request.size)

    def morph(self, request: MorphRequest) -> Response:
        start = self.face(request.start.seed, request.start.hair, request.start.eyes, ("from",))
        end = self.face(request.end.seed, request.end.hair, request.end.eyes, ("to",))
        try:
            scale = morph_scale(request.steps, request.size or self.model.resolution, request.scale)
        except MorphTooLargeError as err:
            field = next(name for name in ("scale", "size", "steps") if getattr(request, name) is not None)
            raise invalid((field,), str(err), getattr(request, field)) from None
        with self.heavy.slot():
            with self.drawing:
                frames = self.model.morph(start, end, request.steps)
            return self.morph_response(Morph(self.model, start, end, resized(frames, request.size), scale),
                                       request.format)

    def morph_response(self, morph: Morph, fmt: str) -> Response:
        if fmt == "png":
            return Response(morph.strip_png(), media_type="image/png")
        gif = morph.gif()
        if fmt == "gif":
            return Response(gif, media_type="image/gif")
        ends = [self.face_out(morph.start, morph.frames[0]), self.face_out(morph.end, morph.frames[-1])]
        body = MorphResponse(start=ends[0], end=ends[1], steps=len(morph.frames),
                             frames=[b64(png) for png in morph.frame_pngs()], gif=b64(gif))
        return JSONResponse(jsonable_encoder(body, by_alias=True))

    def face(self, seed: int, hair: str, eyes: str, loc: Sequence[str | int] = ()) -> Face:
        """The face a request names, its colours resolved once, here; an unknown colour is a 422 about its field."""
        try:
            return (seed, *colours_for(self.model.vocab, seed, hair, eyes))
        except UnknownColourError as err:
            value = hair if err.attribute == "hair" else eyes
            raise invalid((*loc, err.attribute), f"{err} (or {RANDOM!r})", value) from None

    def face_out(self, face: Face, image: Image.Image) -> FaceOut:
        seed, hair, eyes = face
        return FaceOut(seed=seed, hair=hair, eyes=eyes, png=b64(face_png(self.model, face, image)))

    def faces_response(self, faces: list[Face], first_seed: int, fmt: str, size: int | None) -> Response:
        with self.drawing:
            drawn = self.model.faces(faces)
        images = resized(drawn, size)
        if fmt == "json":
            out = [self.face_out(face, image) for face, image in zip(faces, images, strict=True)]
            body = FacesResponse(seed=first_seed, resolution=self.model.resolution, faces=out)
            return JSONResponse(jsonable_encoder(body))
        headers = {"X-Acgan-Seed": str(first_seed), "X-Acgan-Faces": json.dumps([list(f) for f in faces])}
        return Response(faces_png(self.model, faces, images), media_type="image/png", headers=headers)

"""The work behind the API's routes: requests in, faces out, every refusal a 422 that names the field.

`FaceService` turns a validated request into faces drawn by a FaceGenerator and shapes the answer (JSON with
base64 PNGs, or the picture itself). The pictures are sample/pictures.py's, the ones `acgan generate` and
`acgan interpolate` write, so the CLI and the page give the same files.

A request's work runs in a worker thread and is given up at its next step (a batch drawn, a face resized or
encoded) once its client has gone (`answer`), so a closed tab or a server shutting down leaves nothing running
for long; and a request's pictures hold at most MAX_REQUEST_PIXELS pixels in all, whatever their parts.
"""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TypeVar

import torch
from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, Response
from PIL import Image

from acgan.data.vocab import UnknownColourError
from acgan.errors import UserError
from acgan.judge.readback import agreeing_faces
from acgan.judge.tagger import Tagger, load_tagger
from acgan.sample.contract import (
    MAX_REQUEST_PIXELS,
    NEW_SEED_BELOW,
    RANDOM,
    Face,
    Move,
    contract_json,
    face_json,
)
from acgan.sample.generator import FaceGenerator
from acgan.sample.images import resized, to_pil
from acgan.sample.pictures import Morph, MorphTooLargeError, face_png, faces_png, morph_scale
from acgan.sample.seeds import check_seeds, colours_for
from acgan.sample.shipped import shipped_tagger
from acgan.serve.guards import HeavyWork, invalid
from acgan.serve.schemas import (
    ColoursRead,
    Contract,
    FaceOut,
    FacesResponse,
    GenerateRequest,
    Health,
    MorphRequest,
    MorphResponse,
    RecolourRequest,
    VariationsRequest,
)

Body = TypeVar("Body")
Item = TypeVar("Item")
Drawn = TypeVar("Drawn")
DISCONNECT_POLL_S = 0.2  # how often a working request looks whether its client is still there
CLIENT_GONE = 499  # the status logged for a request whose client left before its answer (nginx's number)
SHUTTING_DOWN = 503


class ClientGoneError(Exception):
    """The client closed its connection: the rest of the request's work is given up."""


def until_gone(items: Iterable[Item], gone: threading.Event) -> Iterator[Item]:
    """`items`, one at a time, stopping the work (ClientGoneError) before the next once the client has gone."""
    for item in items:
        stop_if_gone(gone)
        yield item


def stop_if_gone(gone: threading.Event) -> None:
    if gone.is_set():
        raise ClientGoneError


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
        self.requests_lock = threading.Lock()
        self.working: set[threading.Event] = set()  # one per request at work: set, it stops at its next step
        self.stopping = False
        self.tagger_lock = threading.Lock()
        self.shipped_tagger: Tagger | None = None  # loaded when a request first asks for colours read back

    async def answer(self, http: Request, work: Callable[[Body, threading.Event], Response], body: Body) -> Response:
        """`work(body, gone)` in a worker thread, with `gone` set as soon as the client disconnects (or the server
        cancels the request when it shuts down), so the work stops at its next step."""
        gone = threading.Event()
        with self.requests_lock:
            self.working.add(gone)
            if self.stopping:
                gone.set()
        task = asyncio.ensure_future(run_in_threadpool(work, body, gone))
        try:
            while not (await asyncio.wait({task}, timeout=DISCONNECT_POLL_S))[0]:
                if await http.is_disconnected():
                    gone.set()
            return task.result()
        except ClientGoneError:
            return Response(status_code=SHUTTING_DOWN if self.stopping else CLIENT_GONE)
        finally:
            gone.set()
            with self.requests_lock:
                self.working.discard(gone)

    def stop_all(self) -> None:
        """The server is shutting down: every request still working stops at its next step, and new ones at once."""
        with self.requests_lock:
            self.stopping = True
            for gone in self.working:
                gone.set()

    def health(self) -> Health:
        m = self.model
        return Health(runtime=m.runtime, read_back=self.known_tagger() is not None, source=m.public_source,
                      step=m.step, resolution=m.resolution)

    def tags(self) -> Contract:
        m = self.model
        return Contract.model_validate(contract_json(m.vocab, m.resolution, m.public_source, m.step))

    def generate(self, request: GenerateRequest, gone: threading.Event) -> Response:
        seed = new_seed() if request.seed is None else request.seed
        try:
            check_seeds(seed, request.n)
        except UserError as err:
            raise invalid(("seed",), str(err), seed) from None
        faces = [self.face(seed + k, request.hair, request.eyes) for k in range(request.n)]
        self.check_pixels(request.n, request.size, "n")
        return self.read_back_response(self.drawing_at(request.truncation), faces, seed, request, gone)

    def recolour(self, request: RecolourRequest, gone: threading.Event) -> Response:
        seed = new_seed() if request.seed is None else request.seed
        faces = [self.face(seed, p.hair, p.eyes, ("pairs", i), request.moves) for i, p in enumerate(request.pairs)]
        self.check_pixels(len(faces), request.size, "pairs")
        return self.read_back_response(self.drawing_at(request.truncation), faces, seed, request, gone)

    def variations(self, request: VariationsRequest, gone: threading.Event) -> Response:
        like = request.like
        face = self.face(like.seed, like.hair, like.eyes, ("like",), like.moves)
        model = self.drawing_at(request.truncation)
        try:
            faces = model.variation_faces(face, request.n, request.distance)
        except UserError as err:  # the face is as many moves from its seed's as a face may be
            raise invalid(("like", "moves"), str(err), len(like.moves)) from None
        self.check_pixels(request.n, request.size, "n")
        return self.read_back_response(model, faces, like.seed, request, gone)

    def read_back_response(self, model: FaceGenerator, faces: list[Face], first_seed: int,
                           request: GenerateRequest | RecolourRequest | VariationsRequest,
                           gone: threading.Event) -> Response:
        """The faces' answer, with the colours read back in each (read_back "show"), or each face that does not read
        back replaced by a fresh one that does ("only")."""
        tagger = None if request.read_back == "no" else self.tagger(request.read_back)
        with self.heavy.slot():
            if tagger is not None and request.read_back == "only":
                faces = self.drawn(lambda: agreeing_faces(model, faces, tagger).faces, gone)
            return self.faces_response(model, faces, first_seed, request.format, request.size, gone, tagger)

    def tagger(self, read_back: str) -> Tagger:
        """The shipped tagger, loaded once, when first asked for; a 422 about read_back for a model whose colours
        it does not know."""
        tagger = self.known_tagger()
        if tagger is None:
            raise invalid(("read_back",), "the shipped tagger reads the shipped colours, and this model has others: "
                                          "colours cannot be read back here", read_back)
        return tagger

    def known_tagger(self) -> Tagger | None:
        """The shipped tagger when it knows the model's colours (loaded on first use), else None."""
        with self.tagger_lock:
            if self.shipped_tagger is None:
                self.shipped_tagger = load_tagger(shipped_tagger())
        return self.shipped_tagger if self.shipped_tagger.vocab == self.model.vocab else None

    def morph(self, request: MorphRequest, gone: threading.Event) -> Response:
        start = self.face(request.start.seed, request.start.hair, request.start.eyes, ("from",), request.start.moves)
        end = self.face(request.end.seed, request.end.hair, request.end.eyes, ("to",), request.end.moves)
        try:
            scale = morph_scale(request.steps, request.size or self.model.resolution, request.scale)
        except MorphTooLargeError as err:
            field = next(name for name in ("scale", "size", "steps") if getattr(request, name) is not None)
            raise invalid((field,), str(err), getattr(request, field)) from None
        self.check_pixels(request.steps, request.size, "steps")
        model = self.drawing_at(request.truncation)
        with self.heavy.slot():
            frames = self.drawn(lambda: model.morph(start, end, request.steps), gone)
            frames = [resized([frame], request.size)[0] for frame in until_gone(frames, gone)]
            return self.morph_response(Morph(model, start, end, frames, scale), request.format, gone)

    def drawing_at(self, truncation: float) -> FaceGenerator:
        """The model drawing with a request's truncation (its variety)."""
        return self.model.with_truncation(truncation)

    def drawn(self, draw: Callable[[], Drawn], gone: threading.Event) -> Drawn:
        """What `draw` draws, one request at a time on the network; nothing for a client that has gone meanwhile."""
        with self.drawing:
            stop_if_gone(gone)
            return draw()

    def check_pixels(self, pictures: int, size: int | None, field: str) -> None:
        """Refuse a request whose pictures (`pictures` faces or frames of `size` pixels a side) pass
        MAX_REQUEST_PIXELS in all, naming the count's field (MAX_SIZE is small enough that a few faces always fit)."""
        side = size or self.model.resolution
        if pictures * side * side > MAX_REQUEST_PIXELS:
            raise invalid((field,), f"{pictures} pictures of {side} px is more than the {MAX_REQUEST_PIXELS:,} "
                                    "pixels one request may make; ask for fewer or smaller", pictures)

    def morph_response(self, morph: Morph, fmt: str, gone: threading.Event) -> Response:
        stop_if_gone(gone)
        if fmt == "png":
            return Response(morph.strip_png(), media_type="image/png")
        gif = morph.gif(each=lambda frames: until_gone(frames, gone))
        if fmt == "gif":
            return Response(gif, media_type="image/gif")
        ends = [face_out(morph.model, morph.start, morph.frames[0]), face_out(morph.model, morph.end, morph.frames[-1])]
        frames = [b64(png) for png in until_gone(morph.frame_pngs(), gone)]
        body = MorphResponse(start=ends[0], end=ends[1], steps=len(morph.frames), frames=frames, gif=b64(gif))
        return JSONResponse(jsonable_encoder(body, by_alias=True))

    def face(self, seed: int, hair: str, eyes: str, loc: Sequence[str | int] = (), moves: Sequence[Move] = ()) -> Face:
        """The face a request names, its colours resolved once, here; an unknown colour is a 422 about its field."""
        try:
            return Face(seed, *colours_for(self.model.vocab, seed, hair, eyes), tuple(moves))
        except UnknownColourError as err:
            value = hair if err.attribute == "hair" else eyes
            raise invalid((*loc, err.attribute), f"{err} (or {RANDOM!r})", value) from None

    def faces_response(self, model: FaceGenerator, faces: list[Face], first_seed: int, fmt: str, size: int | None,
                       gone: threading.Event, tagger: Tagger | None = None) -> Response:
        """The faces as JSON (each with the colours `tagger` reads in it, when given) or as one PNG."""
        drawn = self.drawn(lambda: model.draw_faces(faces), gone)
        read = [None] * len(faces) if tagger is None else self.drawn(lambda: colours_read(tagger, drawn), gone)
        images = [resized([image], size)[0] for image in until_gone(to_pil(drawn), gone)]
        if fmt == "json":
            out = [face_out(model, face, image, seen)
                   for face, image, seen in until_gone(zip(faces, images, read, strict=True), gone)]
            body = FacesResponse(seed=first_seed, resolution=model.resolution, faces=out)
            return JSONResponse(jsonable_encoder(body))
        headers = {"X-Acgan-Seed": str(first_seed), "X-Acgan-Faces": json.dumps([face_json(f) for f in faces])}
        return Response(faces_png(model, faces, images), media_type="image/png", headers=headers)


def colours_read(tagger: Tagger, faces: torch.Tensor) -> list[ColoursRead | None]:
    hair, eyes, _ = tagger.run(faces)
    return [ColoursRead(hair=tagger.vocab.hair[h], eyes=tagger.vocab.eyes[e]) for h, e in zip(hair, eyes, strict=True)]


def face_out(model: FaceGenerator, face: Face, image: Image.Image, read: ColoursRead | None = None) -> FaceOut:
    return FaceOut(seed=face.seed, hair=face.hair, eyes=face.eyes, moves=list(face.moves), read=read,
                   png=b64(face_png(model, face, image)))

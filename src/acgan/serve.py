"""The web server: a JSON/PNG API over a trained generator and the page that uses it (`acgan serve RUN`).

    app = create_app(acgan.load("runs/demo"))     # a FastAPI app; `serve(run, host, port)` runs it with uvicorn

Routes (all documented on the app's OpenAPI page, /docs):

    GET  /              the page (plain HTML/CSS/JS from acgan/static, nothing fetched from elsewhere)
    GET  /api/healthz   liveness and what is loaded
    GET  /api/tags      the run's colour vocabulary with a swatch colour for each name
    POST /api/generate  n faces with the requested colours; face k uses seed + k
    POST /api/recolour  one face (one seed) redrawn with several colour pairs
    POST /api/morph     frames between two faces, as JSON, an animated GIF or a PNG strip

One image per seed: the faces are the pixels `FaceGenerator.generate` (and so `acgan generate`) draws for the
same run, seed and colours. "random" as a colour is chosen from the face's own seed, so a request always gives
the same answer. Bad input (unknown colour, n outside 1..64, a seed that is not an integer, a body over 16 KiB)
is a 422 whose `message` names the field; the server keeps serving. Inference runs under a lock, so concurrent
requests are safe.

The model sits behind `Backend`: `ModelBackend` wraps a loaded `FaceGenerator`, whether PyTorch or an ONNX export
runs it (`acgan serve` uses RUN/generator.onnx when it is there and as new as the run's newest checkpoint).

The pictures come from the same functions `acgan interpolate` and `acgan generate` use (generate.py, grid.py),
so the CLI and the page give the same files.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal, Protocol

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from PIL import Image
from pydantic import BaseModel, ConfigDict, Field, StrictInt
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from acgan.generate import (
    MAX_SEED,
    RANDOM,
    Face,
    FaceGenerator,
    face_record,
    grid_record,
    morph_record,
    resolve_colours,
)
from acgan.grid import image_grid, morph_gif, morph_scale, morph_strip, png_bytes
from acgan.palette import swatch
from acgan.vocab import UnknownColourError, Vocabulary

MAX_FACES = 64
MAX_STEPS = 32
MAX_BODY_BYTES = 16 * 1024
MAX_MORPH_SIZE = 1024  # and to at most this many on request
STATIC = resources.files("acgan") / "static"


# --- the model behind the API ---------------------------------------------------------------------------------------


class Backend(Protocol):
    """What the server needs from a model: faces for (seed, hair, eyes) triples, and morphs."""

    name: str
    vocab: Vocabulary
    resolution: int
    source: str
    step: int

    def faces(self, faces: Sequence[Face]) -> list[Image.Image]:
        """One image per (seed, hair, eyes), each the image `FaceGenerator.generate` draws for it."""
        ...

    def morph(self, start: Face, end: Face, steps: int) -> list[Image.Image]:
        """`steps` frames from the face `start` to the face `end`, both ends included."""
        ...


class ModelBackend:
    """A loaded FaceGenerator (PyTorch or ONNX); one lock around inference (G switches to eval mode per call)."""

    def __init__(self, model: FaceGenerator) -> None:
        self.model = model
        self.name = model.backend
        self.vocab = model.vocab
        self.resolution = model.resolution
        self.source = model.source
        self.step = model.step
        self._lock = threading.Lock()

    def faces(self, faces: Sequence[Face]) -> list[Image.Image]:
        with self._lock:
            return self.model.faces(faces)

    def morph(self, start: Face, end: Face, steps: int) -> list[Image.Image]:
        with self._lock:
            return self.model.morph(start, end, steps)


# --- request and response models -------------------------------------------------------------------------------------


Seed = Annotated[StrictInt, Field(ge=0, le=MAX_SEED, description=f"An integer 0..{MAX_SEED} (2**63 - 1).",
                                  examples=[42])]
Colour = Annotated[str, Field(min_length=1, max_length=64, examples=["blue"],
                              description='A colour of the run\'s vocabulary (GET /api/tags), or "random".')]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class GenerateRequest(Strict):
    hair: Colour
    eyes: Colour
    n: StrictInt = Field(1, ge=1, le=MAX_FACES, description=f"How many faces, 1..{MAX_FACES}; face k uses seed + k.")
    seed: Seed | None = Field(None, description="First seed; when absent the server picks one and returns it.")
    format: Literal["json", "png"] = Field(
        "json", description='"json": base64 PNGs with each face\'s seed and colours; "png": one PNG '
                            "(the face, or a grid of 8 columns when n > 1, as `acgan generate` draws it).")


class ColourPair(Strict):
    hair: Colour
    eyes: Colour


class RecolourRequest(Strict):
    seed: Seed | None = Field(None, description="The face's seed; when absent the server picks one.")
    pairs: list[ColourPair] = Field(min_length=1, max_length=MAX_FACES,
                                    description=f"1..{MAX_FACES} colour pairs to draw the face in.")
    format: Literal["json", "png"] = Field("json", description='"png": one grid, a face per pair, 8 across.')


class MorphEnd(Strict):
    seed: Seed
    hair: Colour
    eyes: Colour


class MorphRequest(Strict):
    start: MorphEnd = Field(alias="from", description="The first face.")
    end: MorphEnd = Field(alias="to", description="The last face.")
    steps: StrictInt = Field(8, ge=2, le=MAX_STEPS, description=f"Frames, both ends included: 2..{MAX_STEPS}.")
    format: Literal["json", "gif", "png"] = Field(
        "json", description='"json": base64 PNG frames and the GIF; "gif": the animated GIF (there and back); '
                            '"png": the frames in a strip.')
    scale: StrictInt | None = Field(None, ge=1, le=16, description="Pixel size of the GIF and the strip "
                                    "(default: about 128 px a side); frames are never scaled.")


class FaceOut(BaseModel):
    seed: int
    hair: str
    eyes: str
    png: str = Field(description="The face as base64 PNG (native resolution, metadata in an 'acgan' text chunk).")


class FacesResponse(BaseModel):
    seed: int = Field(description="The request's (first) seed, chosen by the server when not given.")
    resolution: int
    faces: list[FaceOut]


class MorphResponse(BaseModel):
    start: FaceOut = Field(serialization_alias="from")
    end: FaceOut = Field(serialization_alias="to")
    steps: int
    frames: list[str] = Field(description="base64 PNG per frame, native resolution.")
    gif: str = Field(description="base64 animated GIF, there and back, scaled up.")


class Swatch(BaseModel):
    name: str
    rgb: tuple[int, int, int]
    hex: str


class TagsResponse(BaseModel):
    hair: list[Swatch]
    eyes: list[Swatch]
    random: str = Field(RANDOM, description="The name that asks for a colour chosen from the face's seed.")
    resolution: int
    max_faces: int = MAX_FACES
    max_steps: int = MAX_STEPS


class Health(BaseModel):
    status: Literal["ok"] = "ok"
    backend: str
    source: str
    step: int
    resolution: int


class ValidationProblem(BaseModel):
    detail: list[dict[str, Any]]
    message: str = Field(description="One line per problem, each starting with the field it is about.")


# --- errors and limits ---------------------------------------------------------------------------------------------


def invalid(loc: Sequence[str | int], msg: str, value: Any) -> RequestValidationError:
    """A 422 about one field of the body, shaped like FastAPI's own validation errors."""
    return RequestValidationError([{"type": "value_error", "loc": ("body", *loc), "msg": msg, "input": value}])


def field_name(loc: Sequence[str | int]) -> str:
    """"from.seed" for ("body", "from", "seed"); "body" for the body itself or a place in its text."""
    inner = list(loc[1:]) if loc and loc[0] == "body" else list(loc)
    if not inner or isinstance(inner[0], int):
        return "body"
    return ".".join(str(part) for part in inner)


def problem_response(errors: Sequence[dict[str, Any]]) -> JSONResponse:
    message = "; ".join(f"{field_name(e['loc'])}: {e['msg']}" for e in errors)
    return JSONResponse(status_code=422, content={"detail": jsonable_encoder(errors), "message": message})


class BodyLimit:
    """Refuse request bodies over `limit` bytes with a 422 about "body", before anything parses them.

    A declared Content-Length is checked first; a body without one (chunked) is read up to the limit and
    replayed to the app, so a client can never make the server hold more than `limit` bytes of a body."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            await self.refuse(scope, receive, send, declared.decode("latin-1"))
            return
        if declared is not None or scope["method"] in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        messages: list[Message] = []
        size = 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            size += len(message.get("body", b""))
            if size > self.limit:
                await self.refuse(scope, receive, send, f"at least {size}")
                return
            if not message.get("more_body", False):
                break

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)

    async def refuse(self, scope: Scope, receive: Receive, send: Send, size: str) -> None:
        msg = f"request body too large: {size} bytes, at most {self.limit}"
        response = problem_response([{"type": "too_large", "loc": ("body",), "msg": msg, "input": None}])
        await response(scope, receive, send)


# --- the app ---------------------------------------------------------------------------------------------------------


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def create_app(model: FaceGenerator | Backend) -> FastAPI:
    """The FastAPI app serving `model` (a loaded FaceGenerator, or any Backend) and the page."""
    backend: Backend = ModelBackend(model) if isinstance(model, FaceGenerator) else model
    vocab = backend.vocab
    app = FastAPI(
        title="acgan", version="1",
        summary="Anime faces with the hair and eye colours you ask for.",
        description="Draw faces from a trained ACGAN. Every face is fixed by its seed and colours: the same request "
                    "gives the same pixels here, in `acgan generate` and in the Python API. Invalid input is a 422 "
                    "whose `message` names the field.",
    )
    app.add_middleware(BodyLimit, limit=MAX_BODY_BYTES)
    problems = {422: {"model": ValidationProblem, "description": "Invalid input; `message` names the field."}}

    @app.exception_handler(RequestValidationError)
    async def validation_problem(request: Request, exc: RequestValidationError) -> JSONResponse:
        return problem_response(exc.errors())

    def resolve(seed: int, hair: str, eyes: str, loc: Sequence[str | int] = ()) -> Face:
        try:
            return (seed, *resolve_colours(vocab, seed, hair, eyes))
        except UnknownColourError as err:
            value = hair if err.attribute == "hair" else eyes
            raise invalid((*loc, err.attribute), f"{err} (or {RANDOM!r})", value) from None

    def face_out(face: Face, image: Image.Image) -> FaceOut:
        seed, hair, eyes = face
        record = face_record(backend.source, backend.step, seed, hair, eyes)
        return FaceOut(seed=seed, hair=hair, eyes=eyes, png=b64(png_bytes(image, record)))

    def faces_response(faces: list[Face], images: list[Image.Image], first_seed: int, fmt: str) -> Response:
        if fmt == "json":
            out = [face_out(face, image) for face, image in zip(faces, images, strict=True)]
            return JSONResponse(jsonable_encoder(FacesResponse(seed=first_seed, resolution=backend.resolution,
                                                               faces=out)))
        if len(images) == 1:
            picture, record = images[0], face_record(backend.source, backend.step, *faces[0])
        else:
            picture = image_grid(images, min(len(images), 8), cell=max(64, backend.resolution))
            record = grid_record(backend.source, backend.step, faces)
        headers = {"X-Acgan-Seed": str(first_seed), "X-Acgan-Faces": json.dumps([list(f) for f in faces])}
        return Response(png_bytes(picture, record), media_type="image/png", headers=headers)

    png_or_json = {200: {"content": {"image/png": {}}, "description": "JSON faces, or a PNG with format=png."}}

    @app.get("/api/healthz", response_model=Health, summary="Liveness", tags=["api"],
             description="Says the server is up and which checkpoint it serves.")
    def healthz() -> Health:
        return Health(backend=backend.name, source=backend.source, step=backend.step, resolution=backend.resolution)

    @app.get("/api/tags", response_model=TagsResponse, summary="The run's colours", tags=["api"],
             description="The hair and eye colours this run knows, in label order, each with the swatch colour the "
                         'page shows for it; "random" is accepted wherever a colour is.')
    def tags() -> TagsResponse:
        def swatches(names: Sequence[str]) -> list[Swatch]:
            return [Swatch(name=n, rgb=swatch(n), hex="#{:02x}{:02x}{:02x}".format(*swatch(n))) for n in names]

        return TagsResponse(hair=swatches(vocab.hair), eyes=swatches(vocab.eyes), resolution=backend.resolution)

    @app.post("/api/generate", response_model=FacesResponse, responses={**png_or_json, **problems},
              summary="Draw faces", tags=["api"],
              description="n faces with the given colours; face k uses seed + k and is exactly the face "
                          "`FaceGenerator.generate` draws for that seed. A \"random\" colour is chosen from each "
                          "face's seed, and every face says which colours it got.")
    def generate(request: GenerateRequest) -> Response:
        seed = secrets.randbelow(10**9) if request.seed is None else request.seed
        if seed + request.n - 1 > MAX_SEED:
            raise invalid(("seed",), f"seed + n - 1 must be at most {MAX_SEED}", seed)
        faces = [resolve(seed + k, request.hair, request.eyes) for k in range(request.n)]
        return faces_response(faces, backend.faces(faces), seed, request.format)

    @app.post("/api/recolour", response_model=FacesResponse, responses={**png_or_json, **problems},
              summary="Keep the face, change the colours", tags=["api"],
              description="One face (one seed, so one noise vector) drawn once per colour pair, in order.")
    def recolour(request: RecolourRequest) -> Response:
        seed = secrets.randbelow(10**9) if request.seed is None else request.seed
        faces = [resolve(seed, p.hair, p.eyes, ("pairs", i)) for i, p in enumerate(request.pairs)]
        return faces_response(faces, backend.faces(faces), seed, request.format)

    @app.post("/api/morph", response_model=MorphResponse, response_model_by_alias=True,
              responses={200: {"content": {"image/gif": {}, "image/png": {}},
                               "description": "JSON frames and GIF; or the GIF / PNG strip alone."}, **problems},
              summary="Morph between two faces", tags=["api"],
              description="Frames from one face to another: the noise moves along a great circle and the colours "
                          "blend; the first and last frames are the two faces /api/generate draws.")
    def morph(request: MorphRequest) -> Response:
        start = resolve(request.start.seed, request.start.hair, request.start.eyes, ("from",))
        end = resolve(request.end.seed, request.end.hair, request.end.eyes, ("to",))
        scale = morph_scale(backend.resolution, request.scale)
        if backend.resolution * scale > MAX_MORPH_SIZE:
            raise invalid(("scale",), f"scale x {backend.resolution} px must be at most {MAX_MORPH_SIZE} px", scale)
        frames = backend.morph(start, end, request.steps)
        record = morph_record(backend.source, backend.step, start, end, request.steps)
        gif = morph_gif(frames, scale, comment=json.dumps(record))
        if request.format == "gif":
            return Response(gif, media_type="image/gif")
        if request.format == "png":
            return Response(png_bytes(morph_strip(frames, scale), record), media_type="image/png")
        ends = [face_out(start, frames[0]), face_out(end, frames[-1])]
        frame_pngs = [b64(png_bytes(f, {**record, "frame": i})) for i, f in enumerate(frames)]
        body = MorphResponse(start=ends[0], end=ends[1], steps=request.steps, frames=frame_pngs, gif=b64(gif))
        return JSONResponse(jsonable_encoder(body, by_alias=True))

    static = Path(str(STATIC))

    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(static / "index.html", media_type="text/html")

    app.mount("/static", StaticFiles(directory=static), name="static")
    return app


def load_for_serving(run: str | Path, checkpoint: str | None = None, backend: str = "auto") -> FaceGenerator:
    """The run's generator: its ONNX export (RUN/generator.onnx) when asked for, or with 'auto' when the export
    exists, onnxruntime is installed and the export is of the newest checkpoint; PyTorch otherwise."""
    from acgan.generate import load

    model = load(run, checkpoint)
    export = Path(run) / "generator.onnx"
    if backend == "torch" or (backend == "auto" and not export.exists()):
        return model
    try:
        from acgan.export import load_onnx

        onnx_model = load_onnx(export)
    except (ImportError, OSError, ValueError) as err:
        if backend == "onnx":
            raise ValueError(f"--backend onnx: cannot load {export} ({err}); run `acgan export {run}` first") from None
        print(f"not using {export} ({err}); serving with PyTorch")
        return model
    if onnx_model.step != model.step and backend == "auto":
        print(f"{export} is of step {onnx_model.step}, the run is at step {model.step}: serving with PyTorch "
              f"(re-export with `acgan export {run}`)")
        return model
    return onnx_model


def serve(run: str | Path, host: str = "127.0.0.1", port: int = 8000, checkpoint: str | None = None,
          backend: str = "auto") -> None:
    """Load the run's generator once and serve the page and the API with uvicorn until interrupted."""
    import uvicorn

    model = load_for_serving(run, checkpoint, backend)
    print(f"serving {model.source} (step {model.step}, {model.resolution} px, {model.backend}) at "
          f"http://{host}:{port}/ (API docs: http://{host}:{port}/docs)")
    uvicorn.run(create_app(model), host=host, port=port, log_level="info")

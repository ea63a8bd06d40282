"""The web server: a JSON/PNG API over a trained generator and the page that uses it (`acgan serve RUN`).

    app = create_app(acgan.load("runs/demo"))     # a FastAPI app; `serve(run, host, port)` runs it with uvicorn

Routes (all described by /openapi.json; the interactive /docs page is off, see create_app):

    GET  /              the page (plain HTML/CSS/JS from acgan/static, nothing fetched from elsewhere)
    GET  /api/healthz   liveness and what is loaded
    GET  /api/tags      the contract: the run's colours with a swatch for each, the seed rules, the limits, the
                        morph's size and timing and the page's defaults (sample/contract.py)
    POST /api/generate  n faces with the requested colours; face k uses seed + k
    POST /api/recolour  one face (one seed) redrawn with several colour pairs
    POST /api/morph     frames between two faces, as JSON, an animated GIF or a PNG strip

One image per seed: the faces are the pixels `FaceGenerator.generate` (and so `acgan generate`) draws for the
same run, seed and colours. "random" as a colour is chosen from the face's own seed, so a request always gives
the same answer. Bad input (unknown colour, n outside 1..64, a seed that is not an integer, a body over 16 KiB)
is a 422 whose `message` names the field; the server keeps serving. The network runs under a lock, so concurrent
requests are safe.

This module wires the routes; the work behind them is service.py's, the bodies are schemas.py's, the guards
guards.py's. The model is a FaceGenerator, run by PyTorch or by onnxruntime on an export (`acgan serve` uses
RUN/generator.onnx when it is there and as new as the run's newest checkpoint).
"""


from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, Response
from fastapi.staticfiles import StaticFiles

from acgan.errors import UserError
from acgan.sample.generator import FaceGenerator, load, load_onnx
from acgan.sample.shipped import model_path
from acgan.serve.guards import guard
from acgan.serve.page import static_folder
from acgan.serve.schemas import (
    Contract,
    FacesResponse,
    GenerateRequest,
    Health,
    MorphRequest,
    MorphResponse,
    RecolourRequest,
    ValidationProblem,
    VariationsRequest,
)
from acgan.serve.service import FaceService

LOCAL_HOSTS = ("localhost", "127.0.0.1", "[::1]")
SHUTDOWN_GRACE_S = 5  # several of the longest single step (a 1024 px frame, 0.65 s here); most stop at once
Responses = dict[int | str, dict[str, Any]]
PROBLEMS: Responses = {422: {"model": ValidationProblem, "description": "Invalid input; `message` names the field."}}
PNG_OR_JSON: Responses = {200: {
    "content": {"image/png": {}}, "description": "JSON faces, or a PNG with format=png.",
    "headers": {"X-Acgan-Seed": {"description": "With format=png: the first seed.", "schema": {"type": "string"}},
                "X-Acgan-Faces": {"description": "With format=png: the faces as JSON, a list of {seed, hair, eyes} "
                                                 "(and moves for a variation) in the picture's order.",
                                  "schema": {"type": "string"}}}}}
MORPH_OUTPUT: Responses = {200: {"content": {"image/gif": {}, "image/png": {}},
                      "description": "JSON frames and GIF; or the GIF / PNG strip alone."}}


def create_app(model: FaceGenerator, allowed_hosts: Sequence[str] = LOCAL_HOSTS) -> FastAPI:
    """The FastAPI app serving `model` and the page, answering requests whose Host header names one of
    `allowed_hosts` (a page on another site that resolves its own name to this machine, DNS rebinding, is
    refused)."""
    service = FaceService(model)
    app = FastAPI(
        # The interactive /docs and /redoc pages load their scripts from public CDNs: off, so nothing here
        # reaches outside; /openapi.json describes the API.
        docs_url=None, redoc_url=None,
        title="acgan", version="1",
        summary="Anime faces with the hair and eye colours you ask for.",
        description="Draw faces from a trained ACGAN. Every face is fixed by its seed and colours: the same request "
                    "gives the same pixels here, in `acgan generate` and in the Python API. Invalid input is a 422 "
                    "whose `message` names the field.",
    )
    guard(app, allowed_hosts)
    app.state.service = service

    app.get("/api/healthz", response_model=Health, summary="Liveness", tags=["api"],
            description="Says the server is up and which checkpoint it serves.")(service.health)
    app.get("/api/tags", response_model=Contract, summary="The run's colours and the rules", tags=["api"],
            description="The hair and eye colours this run knows, in label order, each with the swatch colour the "
                        'page shows for it ("random" is accepted wherever a colour is), and the rules every request '
                        "keeps: seeds, limits, the morph's size and timing, the page's defaults.")(service.tags)

    @app.post("/api/generate", response_model=FacesResponse, responses={**PNG_OR_JSON, **PROBLEMS},
              summary="Draw faces", tags=["api"],
              description="n faces with the given colours; face k uses seed + k and is exactly the face "
                          "`FaceGenerator.generate` draws for that seed. A \"random\" colour is chosen from each "
                          "face's seed, and every face says which colours it got.")
    async def generate(request: GenerateRequest, http: Request) -> Response:
        return await service.answer(http, service.generate, request)

    @app.post("/api/recolour", response_model=FacesResponse, responses={**PNG_OR_JSON, **PROBLEMS},
              summary="Keep the face, change the colours", tags=["api"],
              description="One face (one seed, so one noise vector) drawn once per colour pair, in order.")
    async def recolour(request: RecolourRequest, http: Request) -> Response:
        return await service.answer(http, service.recolour, request)

    @app.post("/api/variations", response_model=FacesResponse, responses={**PNG_OR_JSON, **PROBLEMS},
              summary="Faces near a face", tags=["api"],
              description="n variations of a face, its colours kept: variation k moves the face's noise by the "
                          "distance and adds [k, distance] to its moves, so any of them can be varied again "
                          "(`FaceGenerator.variations`).")
    async def variations(request: VariationsRequest, http: Request) -> Response:
        return await service.answer(http, service.variations, request)

    @app.post("/api/morph", response_model=MorphResponse, response_model_by_alias=True,
              responses={**MORPH_OUTPUT, **PROBLEMS}, summary="Morph between two faces", tags=["api"],
              description="Frames from one face to another: the noise moves along a great circle and the colours "
                          "blend; the first and last frames are the two faces /api/generate draws.")
    async def morph(request: MorphRequest, http: Request) -> Response:
        return await service.answer(http, service.morph, request)

    static = static_folder()

    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(static / "index.html", media_type="text/html")

    app.mount("/static", StaticFiles(directory=static), name="static")
    return app


def load_for_serving(run: str | Path | None, checkpoint: str | None = None, runtime: str = "auto") -> FaceGenerator:
    """The run's generator (None: the shipped one): run by onnxruntime on its export (generator.onnx in the run
    folder) when asked for, or with 'auto' when the export exists, onnxruntime is installed and the export is of
    the newest checkpoint; by PyTorch otherwise."""
    model = load(run, checkpoint)
    source = model_path(run)
    export = (source if source.is_dir() else source.parent) / "generator.onnx"
    if runtime == "torch" or (runtime == "auto" and not export.exists()):
        return model
    try:
        onnx_model = load_onnx(export)
    except (ImportError, UserError) as err:
        if runtime == "onnx":
            raise UserError(f"--runtime onnx: cannot load {export} ({err}); run `acgan export {run}` first") from None
        print(f"not using {export} ({err}); serving with PyTorch")
        return model
    if onnx_model.step != model.step and runtime == "auto":
        print(f"{export} is of step {onnx_model.step}, the run is at step {model.step}: serving with PyTorch "
              f"(re-export with `acgan export {run}`)")
        return model
    return onnx_model


def serve(run: str | Path | None, host: str = "127.0.0.1", port: int = 8000, checkpoint: str | None = None,
          runtime: str = "auto", allowed_hosts: Sequence[str] = ()) -> None:
    """Load the run's generator once and serve the page and the API with uvicorn until interrupted."""
    model = load_for_serving(run, checkpoint, runtime)
    hosts = [*LOCAL_HOSTS, *([host] if host not in ("0.0.0.0", "::") else []), *allowed_hosts]
    print(f"serving {model.source} (step {model.step}, {model.resolution} px, {model.runtime}) at "
          f"http://{host}:{port}/ (API description: http://{host}:{port}/openapi.json); "
          f"answering for hosts {', '.join(dict.fromkeys(hosts))}")
    app = create_app(model, hosts)
    config = uvicorn.Config(app, host=host, port=port, log_level="info", timeout_graceful_shutdown=SHUTDOWN_GRACE_S)
    StoppingServer(config, app.state.service).run()



class StoppingServer(uvicorn.Server):
    """uvicorn's Server that, told to exit (Ctrl-C, SIGTERM), first tells every request still working to stop at
    its next step (FaceService.stop_all) rather than waiting for it, so the server is gone within seconds."""

    def __init__(self, config: uvicorn.Config, service: FaceService) -> None:
        super().__init__(config)
        self.service = service

    def handle_exit(self, sig: int, frame: Any) -> None:
        self.service.stop_all()
        super().handle_exit(sig, frame)

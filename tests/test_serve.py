"""The web API: every route, every bad input, one image per seed (the API's pixels are the Python API's), concurrent
requests against a real uvicorn server, and the `serve` / `interpolate` commands.

`build_tiny_run` and `running_server` are also used by test_browser.py.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import numpy as np
import pytest
import torch
from PIL import Image
from typer.testing import CliRunner

import acgan
from acgan.cli import app as cli_app
from acgan.data.palette import swatch
from acgan.data.vocab import DEFAULT_VOCAB
from acgan.nets import ModelConfig
from acgan.sample.contract import MAX_SEED
from acgan.sample.generator import FaceGenerator
from acgan.sample.pictures import face_png
from acgan.sample.seeds import colours_for
from acgan.serve.app import create_app
from acgan.serve.guards import MAX_BODY_BYTES
from acgan.serve.page import static_folder

runner = CliRunner()


# --- shared helpers ----------------------------------------------------------------------------------------------


def build_tiny_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 4-step, width-8, 32 px run on 200 built-in faces (a few seconds), built once per test session.

    G's learning rate is huge so that four steps move its weights well away from their tiny initial values:
    at the default rate every face is the same flat gray, and comparing pixels would prove nothing."""
    from acgan.train.settings import resolve
    from acgan.train.trainer import train

    out = tmp_path_factory.getbasetemp() / "serve-tiny-run"
    if not any((out / "checkpoints").glob("*.json")):
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("ACGAN_CACHE", str(tmp_path_factory.mktemp("serve-cache")))
            train(resolve(resolution=32, width=8, steps=4, builtin_faces=200, batch_size=8, lr_g=0.05,
                              sample_every=1000, checkpoint_every=1000, log_every=1000, out=str(out)))
    return out


@contextlib.contextmanager
def running_server(app) -> Iterator[str]:
    """Serve `app` with uvicorn in a thread on a free port of 127.0.0.1; yields the base URL."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def same_face(a: np.ndarray, b: np.ndarray) -> bool:
    """The same face up to rounding: the CPU's convolutions round a batch differently from a single face
    (measured: one channel of one pixel off by 1 of 255), so faces drawn in different batches may differ so."""
    return a.shape == b.shape and int(np.abs(a.astype(int) - b.astype(int)).max()) <= 1


def decode_png(data: bytes | str) -> np.ndarray:
    raw = base64.b64decode(data) if isinstance(data, str) else data
    return np.asarray(Image.open(io.BytesIO(raw)).convert("RGB"))


def pixels(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("RGB"))


# --- fixtures --------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_run(tmp_path_factory)


@pytest.fixture(scope="module")
def model(run_dir: Path) -> FaceGenerator:
    return acgan.load(run_dir)


@pytest.fixture(scope="module")
def client(model: FaceGenerator):
    with warnings.catch_warnings():  # starlette's TestClient warns that it will move to httpx2
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient
    with TestClient(create_app(model), base_url="http://localhost") as test_client:
        yield test_client


# --- the simple routes -------------------------------------------------------------------------------------------


def test_healthz_says_what_is_loaded(client, model: FaceGenerator) -> None:
    body = client.get("/api/healthz").json()
    assert body == {"status": "ok", "runtime": "torch", "read_back": True, "source": model.public_source, "step": 4,
                    "resolution": 32}


def test_tags_list_the_vocabulary_in_label_order_with_swatches(client, model: FaceGenerator) -> None:
    body = client.get("/api/tags").json()
    assert [s["name"] for s in body["hair"]] == list(model.vocab.hair)
    assert [s["name"] for s in body["eyes"]] == list(model.vocab.eyes)
    blue = next(s for s in body["hair"] if s["name"] == "blue")
    assert tuple(blue["rgb"]) == swatch("blue") and blue["hex"] == "#{:02x}{:02x}{:02x}".format(*swatch("blue"))
    assert body["random"] == "random" and body["resolution"] == 32
    assert body["limits"]["max_faces"] == 64 and body["morph"]["max_steps"] == 256
    assert body["source"] == model.public_source and body["step"] == model.step


def test_the_page_and_its_files_are_served_and_load_nothing_from_elsewhere(client) -> None:
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert 'href="static/app.css"' in page.text and 'src="static/main.js"' in page.text  # relative: any sub-path
    texts = [page.text]
    files = sorted(static_folder().glob("*.[jc]s*"))
    assert {"main.js", "app.css", "noise.js", "server.js", "browser.js"} <= {path.name for path in files}
    for path in files:
        response = client.get(f"/static/{path.name}")
        kind = "javascript" if path.suffix == ".js" else "text/css"
        assert response.status_code == 200 and kind in response.headers["content-type"], path.name
        texts.append(response.text)
    for text in texts:  # offline: no CDN, no web fonts, nothing fetched from another origin
        assert not re.search(r"""(src|href|url|fetch|import)\s*[=(]?\s*["'`]?(https?:)?//""", text), text
        assert "@import" not in text and "@font-face" not in text
    assert client.get("/static/nothing-here.js").status_code == 404


def test_every_route_is_documented(model: FaceGenerator) -> None:
    """The schema at /openapi.json names the API, and each route has a summary, a description, the "api" tag and
    its answer's schema. The app is made here, in the test's body, so that mutation testing counts this test for
    create_app (docs/TESTING.md: mutmut credits a function to the tests whose own body calls it)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient
    client = TestClient(create_app(model), base_url="http://localhost")
    spec = client.get("/openapi.json").json()
    assert spec["info"]["title"] == "acgan" and spec["info"]["version"] == "1"
    assert spec["info"]["summary"] == "Anime faces with the hair and eye colours you ask for."
    assert "Invalid input is a 422 whose `message` names the field." in spec["info"]["description"]
    answers = {("get", "/api/healthz"): "Health", ("get", "/api/tags"): "Contract",
               ("post", "/api/generate"): "FacesResponse", ("post", "/api/recolour"): "FacesResponse",
               ("post", "/api/variations"): "FacesResponse", ("post", "/api/morph"): "MorphResponse"}
    assert {(method, path) for path, item in spec["paths"].items() for method in item} == set(answers)
    for (method, path), schema in answers.items():
        operation = spec["paths"][path][method]
        assert operation["summary"] and len(operation["description"]) > 40 and operation["tags"] == ["api"], path
        ok = operation["responses"]["200"]["content"]["application/json"]["schema"]
        assert ok == {"$ref": f"#/components/schemas/{schema}"}, path
        assert ("422" in operation["responses"]) == (method == "post"), path
    morph = spec["components"]["schemas"]["MorphRequest"]
    assert {"from", "to", "steps", "format"} <= morph["properties"].keys()
    # /docs and /redoc would load their scripts from public CDNs: off, so the server reaches nothing outside.
    assert client.get("/docs").status_code == 404 and client.get("/redoc").status_code == 404
    assert client.get("/static/main.js").status_code == 200  # the page's files, mounted by create_app
    # FastAPI's own refusals take the API's problem shape (serve/guards.py's guard, installed by create_app)
    for response, status, msg in ((client.get("/api/nothing"), 404, "Not Found"),
                                  (client.put("/api/generate"), 405, "Method Not Allowed")):
        assert response.status_code == status and response.json() == {
            "detail": [{"type": "http", "loc": ["request"], "msg": msg, "input": None, "ctx": None}],
            "message": f"request: {msg}"}


# --- one image per seed ----------------------------------------------------------------------------------------------


def test_generate_returns_the_python_apis_pixels(client, model: FaceGenerator) -> None:
    response = client.post("/api/generate", json={"hair": "blue", "eyes": "red", "n": 3, "seed": 11})
    assert response.status_code == 200
    body = response.json()
    assert body["seed"] == 11 and body["resolution"] == 32
    assert [(f["seed"], f["hair"], f["eyes"]) for f in body["faces"]] == [(11, "blue", "red"), (12, "blue", "red"),
                                                                       (13, "blue", "red")]
    expected = model.generate("blue", "red", n=3, seed=11)
    for face, image in zip(body["faces"], expected, strict=True):
        assert np.array_equal(decode_png(face["png"]), pixels(image))
    assert not np.array_equal(decode_png(body["faces"][0]["png"]), decode_png(body["faces"][1]["png"]))
    meta = json.loads(Image.open(io.BytesIO(base64.b64decode(body["faces"][1]["png"]))).text["acgan"])
    assert meta == {"source": model.public_source, "step": 4, "seed": 12, "hair": "blue", "eyes": "red"}
    # face k is the face of seed + k alone, whatever else was asked for
    alone = client.post("/api/generate", json={"hair": "blue", "eyes": "red", "seed": 13}).json()
    assert alone["faces"][0]["png"] == body["faces"][2]["png"]


def test_a_single_png_is_byte_for_byte_what_save_png_writes(client, model: FaceGenerator, tmp_path: Path) -> None:
    response = client.post("/api/generate", json={"hair": "Pink ", "eyes": "green", "seed": 5, "format": "png"})
    assert response.status_code == 200 and response.headers["content-type"] == "image/png"
    assert response.headers["x-acgan-seed"] == "5"
    assert json.loads(response.headers["x-acgan-faces"]) == [{"seed": 5, "hair": "pink", "eyes": "green"}]
    assert response.content == face_png(model, (5, "pink", "green"), model.generate("pink", "green", 1, 5)[0])


def test_a_png_grid_is_the_grid_acgan_generate_draws(client, run_dir: Path, tmp_path: Path) -> None:
    response = client.post("/api/generate", json={"hair": "aqua", "eyes": "brown", "n": 10, "seed": 3, "format": "png"})
    assert response.status_code == 200
    out = tmp_path / "grid.png"
    result = runner.invoke(cli_app, ["generate", str(run_dir), "--hair", "aqua", "--eyes", "brown", "-n", "10",
                                     "--seed", "3", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert np.array_equal(decode_png(response.content), pixels(Image.open(out)))
    meta = json.loads(Image.open(io.BytesIO(response.content)).text["acgan"])
    assert [f["seed"] for f in meta["faces"]] == list(range(3, 13))


def test_random_colours_come_from_each_faces_seed_and_are_reported(client, model: FaceGenerator) -> None:
    request = {"hair": "random", "eyes": "random", "n": 12, "seed": 100}
    first, again = client.post("/api/generate", json=request).json(), client.post("/api/generate", json=request).json()
    assert first == again
    faces = first["faces"]
    assert [colours_for(model.vocab, f["seed"], "random", "random") for f in faces] == [
        (f["hair"], f["eyes"]) for f in faces]
    assert len({f["hair"] for f in faces}) > 1 and len({f["eyes"] for f in faces}) > 1
    expected = model.generate([f["hair"] for f in faces], [f["eyes"] for f in faces], n=12, seed=100)
    for face, image in zip(faces, expected, strict=True):
        assert np.array_equal(decode_png(face["png"]), pixels(image))
    # a fixed hair colour does not change which eye colour "random" picks
    half = client.post("/api/generate", json={**request, "hair": "black"}).json()["faces"]
    assert [f["eyes"] for f in half] == [f["eyes"] for f in faces] and {f["hair"] for f in half} == {"black"}


def test_without_a_seed_the_server_picks_one_and_says_which(client) -> None:
    body = client.post("/api/generate", json={"hair": "red", "eyes": "blue", "n": 2}).json()
    assert isinstance(body["seed"], int) and 0 <= body["seed"] <= MAX_SEED
    again = client.post("/api/generate", json={"hair": "red", "eyes": "blue", "n": 2, "seed": body["seed"]}).json()
    assert again == body


def test_the_largest_seed_works(client, model: FaceGenerator) -> None:
    body = client.post("/api/generate", json={"hair": "red", "eyes": "blue", "seed": MAX_SEED}).json()
    assert body["faces"][0]["seed"] == MAX_SEED
    assert np.array_equal(decode_png(body["faces"][0]["png"]), pixels(model.generate("red", "blue", 1, MAX_SEED)[0]))


def test_recolour_keeps_the_noise_and_changes_the_colours(client, model: FaceGenerator) -> None:
    pairs = [{"hair": h, "eyes": "red"} for h in model.vocab.hair] + [{"hair": "blue", "eyes": "random"}]
    response = client.post("/api/recolour", json={"seed": 42, "pairs": pairs})
    assert response.status_code == 200
    faces = response.json()["faces"]
    assert len(faces) == len(pairs) and {f["seed"] for f in faces} == {42}
    assert faces[-1]["eyes"] == colours_for(model.vocab, 42, "blue", "random")[1]
    for face in faces:
        expected = model.generate(face["hair"], face["eyes"], n=1, seed=42)[0]
        assert same_face(decode_png(face["png"]), pixels(expected))  # drawn in a batch of 13, here alone
    drawn = [decode_png(f["png"]) for f in faces[:-1]]  # every hair colour draws a different picture
    assert all(not np.array_equal(a, b) for i, a in enumerate(drawn) for b in drawn[i + 1:])
    grid = client.post("/api/recolour", json={"seed": 42, "pairs": pairs[:3], "format": "png"})
    assert grid.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(grid.content)).size == (3 * 66 + 2, 66 + 2)


def test_morph_frames_gif_and_strip(client, model: FaceGenerator) -> None:
    ends = {"from": {"seed": 1, "hair": "blonde", "eyes": "blue"}, "to": {"seed": 2, "hair": "pink", "eyes": "green"}}
    body = client.post("/api/morph", json={**ends, "steps": 5}).json()
    assert body["steps"] == 5 and len(body["frames"]) == 5
    assert (body["from"]["seed"], body["from"]["hair"], body["to"]["eyes"]) == (1, "blonde", "green")
    expected = model.morph((1, "blonde", "blue"), (2, "pink", "green"), 5)
    for png, image in zip(body["frames"], expected, strict=True):
        assert np.array_equal(decode_png(png), pixels(image))
    assert same_face(decode_png(body["frames"][0]), pixels(model.generate("blonde", "blue", 1, 1)[0]))
    assert np.array_equal(decode_png(body["from"]["png"]), pixels(expected[0]))  # the ends are the first and
    assert np.array_equal(decode_png(body["to"]["png"]), pixels(expected[-1]))  # the last frame, not their neighbours
    gif = Image.open(io.BytesIO(base64.b64decode(body["gif"])))
    assert gif.format == "GIF" and gif.size == (128, 128) and gif.n_frames == 8  # there and back: 5 + 3
    assert json.loads(gif.info["comment"])["to"] == {"seed": 2, "hair": "pink", "eyes": "green"}

    only_gif = client.post("/api/morph", json={**ends, "steps": 5, "format": "gif"})
    assert only_gif.headers["content-type"] == "image/gif" and only_gif.content == base64.b64decode(body["gif"])
    strip = client.post("/api/morph", json={**ends, "steps": 5, "format": "png", "scale": 2})
    assert strip.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(strip.content)).size == (5 * 66 + 2, 66 + 2)


# --- bad input -------------------------------------------------------------------------------------------------------

GOOD = {"hair": "blue", "eyes": "red"}
ENDS = {"from": {"seed": 1, "hair": "blue", "eyes": "red"}, "to": {"seed": 2, "hair": "pink", "eyes": "green"}}
BAD = [
    ("/api/generate", {"hair": "bleu", "eyes": "red"}, "hair", "valid hair colours: orange"),
    ("/api/generate", {"hair": "blue", "eyes": "mauve"}, "eyes", "valid eyes colours: gray"),
    ("/api/generate", {"eyes": "red"}, "hair", "required"),
    ("/api/generate", {**GOOD, "n": 0}, "n", "greater than or equal to 1"),
    ("/api/generate", {**GOOD, "n": 65}, "n", "less than or equal to 64"),
    ("/api/generate", {**GOOD, "n": "4"}, "n", "integer"),
    ("/api/generate", {**GOOD, "seed": "7"}, "seed", "integer"),
    ("/api/generate", {**GOOD, "seed": 7.5}, "seed", "integer"),
    ("/api/generate", {**GOOD, "seed": 7.0}, "seed", "integer"),
    ("/api/generate", {**GOOD, "seed": True}, "seed", "integer"),
    ("/api/generate", {**GOOD, "seed": -1}, "seed", "greater than or equal to 0"),
    ("/api/generate", {**GOOD, "seed": 2**63}, "seed", "less than or equal to"),
    ("/api/generate", {**GOOD, "seed": MAX_SEED, "n": 2}, "seed", "seed + n - 1"),
    ("/api/generate", {**GOOD, "format": "gif"}, "format", "'json' or 'png'"),
    ("/api/generate", {**GOOD, "colour": "red"}, "colour", "Extra inputs"),
    ("/api/generate", ["blue", "red"], "body", "dictionary"),
    ("/api/recolour", {"seed": 1, "pairs": []}, "pairs", "at least 1"),
    ("/api/recolour", {"seed": 1, "pairs": [GOOD] * 65}, "pairs", "at most 64"),
    ("/api/recolour", {"seed": 1, "pairs": [GOOD, {"hair": "teal", "eyes": "red"}]}, "pairs.1.hair", "teal"),
    ("/api/recolour", {"seed": "1", "pairs": [GOOD]}, "seed", "integer"),
    ("/api/morph", {**ENDS, "steps": 1}, "steps", "greater than or equal to 2"),
    ("/api/morph", {**ENDS, "steps": 257}, "steps", "less than or equal to 256"),
    ("/api/morph", {**ENDS, "from": {"seed": "x", "hair": "blue", "eyes": "red"}}, "from.seed", "integer"),
    ("/api/morph", {**ENDS, "to": {"seed": 2, "hair": "pink", "eyes": "plaid"}}, "to.eyes", "plaid"),
    ("/api/morph", {**ENDS, "from": {"seed": 1, "hair": "plaid", "eyes": "red"}}, "from.hair", "plaid"),
    ("/api/morph", {"from": ENDS["from"]}, "to", "required"),
    ("/api/morph", {**ENDS, "format": "mp4"}, "format", "'json', 'gif' or 'png'"),
    ("/api/morph", {**ENDS, "scale": 0}, "scale", "greater than or equal to 1"),
    ("/api/morph", {**ENDS, "steps": 256, "size": 1024}, "size",
     "256 frames of 1024 px is more than the 67,108,864 pixels a morph may hold"),
]


@pytest.mark.parametrize(("route", "body", "field", "words"), BAD, ids=[f"{r[0][5:]}-{r[2]}-{i}" for i, r in
                                                                      enumerate(BAD)])
def test_bad_input_is_a_422_naming_the_field(client, route: str, body, field: str, words: str) -> None:
    response = client.post(route, json=body)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["message"].startswith(f"{field}: "), problem["message"]
    assert words in problem["message"], problem["message"]
    assert any(".".join(str(p) for p in d["loc"][1:]) == field or d["loc"] == ["body"] for d in problem["detail"])


def test_broken_json_is_a_422_about_the_body(client) -> None:
    response = client.post("/api/generate", content=b'{"hair": "blue", ', headers={"content-type": "application/json"})
    assert response.status_code == 422 and response.json()["message"].startswith("body: ")


def test_oversized_bodies_are_refused_before_parsing(client) -> None:
    big = json.dumps({**GOOD, "padding": "x" * MAX_BODY_BYTES}).encode()
    response = client.post("/api/generate", content=big, headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert response.json()["message"].startswith("body: request body too large")

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit still holds
        yield b'{"hair": "blue", "eyes": "red", "padding": "'
        for _ in range(20):
            yield b"x" * 1024
        yield b'"}'

    response = client.post("/api/generate", content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["body"]

    def small_chunks() -> Iterator[bytes]:  # a chunked body under the limit reaches the route intact
        yield b'{"hair": "blue", '
        yield b'"eyes": "red", "seed": 9}'

    response = client.post("/api/generate", content=small_chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 200 and response.json()["faces"][0]["seed"] == 9


def test_the_server_keeps_serving_after_bad_requests(client) -> None:
    for route, body, _, _ in BAD[:5]:
        assert client.post(route, json=body).status_code == 422
    assert client.get("/api/healthz").status_code == 200
    assert client.post("/api/generate", json={**GOOD, "seed": 1}).status_code == 200


# --- another runner ---------------------------------------------------------------------------------------------------


class FlatRunner:
    """A stand-in for another runner (onnxruntime, say): flat faces in the hair colour's swatch, 128 px."""

    runtime = "flat"
    cfg = ModelConfig(resolution=128)

    def __call__(self, z: torch.Tensor, hair: torch.Tensor, eyes: torch.Tensor) -> torch.Tensor:
        index = hair.argmax(1) if hair.is_floating_point() else hair
        colours = torch.tensor([swatch(DEFAULT_VOCAB.hair[i]) for i in index.tolist()], dtype=torch.float32)
        return (colours / 127.5 - 1)[:, :, None, None].expand(len(z), 3, 128, 128)


def flat_model() -> FaceGenerator:
    return FaceGenerator(runner=FlatRunner(), vocab=DEFAULT_VOCAB, source="flat", step=0)


def test_any_runner_plugs_in(tmp_path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient
    http = TestClient(create_app(flat_model()), base_url="http://localhost")
    assert http.get("/api/healthz").json()["runtime"] == "flat"
    face = http.post("/api/generate", json={"hair": "red", "eyes": "random", "seed": 3}).json()["faces"][0]
    assert tuple(decode_png(face["png"])[0, 0]) == swatch("red")
    morph = {**ENDS, "steps": 3, "format": "gif"}
    assert Image.open(io.BytesIO(http.post("/api/morph", json={**morph, "scale": 8}).content)).size == (1024, 1024)
    too_big = http.post("/api/morph", json={**morph, "scale": 64})  # 4 GIF frames of 8192 px: 268 million pixels
    assert too_big.status_code == 422 and too_big.json()["message"].startswith("scale: 3 frames of 8192 px")
    assert too_big.json()["detail"][0]["input"] == "64"  # the value to lower, echoed


# --- concurrency, against a real server ---------------------------------------------------------------------------


def test_concurrent_requests_each_get_their_own_correct_faces(model: FaceGenerator) -> None:
    jobs = [{"hair": model.vocab.hair[i % 12], "eyes": model.vocab.eyes[i % 11], "n": 1 + i % 4, "seed": 1000 * i}
            for i in range(16)]
    expected = [[pixels(im) for im in model.generate(j["hair"], j["eyes"], j["n"], j["seed"])] for j in jobs]
    with running_server(create_app(model)) as url, httpx.Client(base_url=url, timeout=60) as http:
        barrier = threading.Barrier(8)

        def call(job: dict) -> dict:
            with contextlib.suppress(threading.BrokenBarrierError):
                barrier.wait(timeout=5)  # the first eight start together
            response = http.post("/api/generate", json=job)
            assert response.status_code == 200, response.text
            return response.json()

        with ThreadPoolExecutor(max_workers=8) as pool:
            answers = list(pool.map(call, jobs))
        assert http.get("/api/healthz").status_code == 200
    for job, answer, want in zip(jobs, answers, expected, strict=True):
        assert [f["seed"] for f in answer["faces"]] == list(range(job["seed"], job["seed"] + job["n"]))
        assert {(f["hair"], f["eyes"]) for f in answer["faces"]} == {(job["hair"], job["eyes"])}
        for face, image in zip(answer["faces"], want, strict=True):
            assert np.array_equal(decode_png(face["png"]), image)


# --- the commands --------------------------------------------------------------------------------------------------


def test_interpolate_writes_the_gif_and_strip_the_api_serves(client, run_dir: Path, tmp_path: Path) -> None:
    gif = tmp_path / "morph.gif"
    result = runner.invoke(cli_app, ["interpolate", str(run_dir), "--from-seed", "1", "--to-seed", "2", "--steps", "6",
                                     "--to-hair", "pink", "--to-eyes", "green", "-o", str(gif)])
    assert result.exit_code == 0, result.output
    assert "6 frames" in result.output and "blonde hair blue eyes" in result.output
    ends = {"from": {"seed": 1, "hair": "blonde", "eyes": "blue"}, "to": {"seed": 2, "hair": "pink", "eyes": "green"}}
    served = client.post("/api/morph", json={**ends, "steps": 6, "format": "gif"})
    assert gif.read_bytes() == served.content
    assert Image.open(gif).n_frames == 10

    strip = tmp_path / "strip" / "morph.png"
    result = runner.invoke(cli_app, ["interpolate", str(run_dir), "--steps", "4", "--scale", "1", "-o", str(strip)])
    assert result.exit_code == 0, result.output
    picture = Image.open(strip)
    assert picture.size == (4 * 34 + 2, 34 + 2)
    assert json.loads(picture.text["acgan"])["to"] == {"seed": 2, "hair": "blonde", "eyes": "blue"}


def test_interpolate_refuses_unknown_colours_and_bad_steps(run_dir: Path, tmp_path: Path) -> None:
    result = runner.invoke(cli_app, ["interpolate", str(run_dir), "--to-hair", "teal", "-o", str(tmp_path / "m.gif")])
    assert result.exit_code == 2 and "unknown hair colour 'teal'" in result.output
    result = runner.invoke(cli_app, ["interpolate", str(run_dir), "--steps", "1", "-o", str(tmp_path / "m.gif")])
    assert result.exit_code == 2
    assert "Invalid value for '--steps': Input should be greater than or equal to 2" in result.output
    assert not (tmp_path / "m.gif").exists()


def test_acgan_serve_starts_a_server(run_dir: Path, tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "acgan", "serve", str(run_dir), "--port", str(port)]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    log = (tmp_path / "serve.log").open("w")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(httpx.TransportError):
                response = httpx.get(f"http://127.0.0.1:{port}/api/healthz", timeout=2)
                break
            assert process.poll() is None, (tmp_path / "serve.log").read_text()
            assert time.monotonic() < deadline, "acgan serve did not answer within 60 s"
            time.sleep(0.2)
        assert response.json()["step"] == 4
        assert "<title>acgan" in httpx.get(f"http://127.0.0.1:{port}/", timeout=5).text
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()
    assert "serving" in (tmp_path / "serve.log").read_text()


def test_serve_refuses_a_missing_run(tmp_path: Path) -> None:
    result = runner.invoke(cli_app, ["serve", str(tmp_path / "no-such-run")])
    assert result.exit_code == 2
    assert result.output == f"error: {tmp_path / 'no-such-run'}: no such run folder or checkpoint\n"


def test_serve_draws_with_the_export_only_when_it_is_of_the_newest_checkpoint(run_dir: Path, tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch,
                                                                           capsys: pytest.CaptureFixture[str]) -> None:
    """`acgan serve --runtime`: torch always PyTorch; auto the export beside the checkpoint when it loads and is of the
    same step, else PyTorch saying why; onnx the export, or a UserError. (Exports are test_export's: here a stand-in
    for load_onnx answers with a model of the step asked for, and a file of garbage is a broken export.)"""
    from dataclasses import replace

    import acgan.serve.app as app_module
    from acgan.errors import UserError
    from acgan.run.checkpoint import CheckpointError
    from acgan.serve.app import load_for_serving

    run = Path(shutil.copytree(run_dir, tmp_path / "run"))
    export = run / "generator.onnx"
    assert load_for_serving(run, runtime="auto").runtime == "torch"  # no export
    export.write_bytes(b"half an export")
    assert load_for_serving(run, runtime="torch").runtime == "torch" and capsys.readouterr().out == ""
    assert load_for_serving(run, runtime="auto").runtime == "torch"
    said = capsys.readouterr().out
    assert said.startswith(f"not using {export} ({export}: not a readable ONNX model (") and said.endswith(
        "; serving with PyTorch\n")
    with pytest.raises(UserError) as refused:
        load_for_serving(run, runtime="onnx")
    assert str(refused.value).startswith(f"--runtime onnx: cannot load {export} ({export}: not a readable ONNX model")
    assert str(refused.value).endswith(f"; run `acgan export {run}` first")

    exports_step = {"step": 4}
    opened: list[Path] = []

    def stand_in(path: Path) -> FaceGenerator:
        opened.append(path)
        return replace(flat_model(), source=str(path), step=exports_step["step"])

    monkeypatch.setattr(app_module, "load_onnx", stand_in)
    assert load_for_serving(run, runtime="auto").runtime == "flat" and opened == [export]
    exports_step["step"] = 2
    assert load_for_serving(run, runtime="auto").runtime == "torch"
    assert capsys.readouterr().out == (f"{export} is of step 2, the run is at step 4: serving with PyTorch (re-export "
                                       f"with `acgan export {run}`)\n")
    assert load_for_serving(run, runtime="onnx").step == 2  # asked for: the export, old or not
    checkpoint = run / "checkpoints" / "step-00000004.json"
    (run / "checkpoints" / "generator.onnx").write_bytes(b"")  # a checkpoint file's export lies beside it
    assert load_for_serving(checkpoint, runtime="onnx").source == str(run / "checkpoints" / "generator.onnx")
    with pytest.raises(CheckpointError, match=r"best\.json: no such checkpoint record"):
        load_for_serving(run, checkpoint="best")


def test_faces_come_at_the_size_asked_for(client, model: FaceGenerator) -> None:
    body = client.post("/api/generate", json={**GOOD, "n": 2, "size": 128}).json()
    assert [decode_png(face["png"]).shape for face in body["faces"]] == [(128, 128, 3)] * 2
    picture = client.post("/api/recolour", json={"seed": 3, "pairs": [{"hair": "red", "eyes": "blue"}],
                                                  "format": "png", "size": 96})
    assert decode_png(base64.b64encode(picture.content).decode()).shape == (96, 96, 3)
    morph = client.post("/api/morph", json={**ENDS, "steps": 3, "size": 48}).json()
    assert [decode_png(frame).shape for frame in morph["frames"]] == [(48, 48, 3)] * 3
    refused = client.post("/api/generate", json={**GOOD, "size": 8})
    assert refused.status_code == 422 and refused.json()["message"].startswith("size:")

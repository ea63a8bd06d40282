"""The server under the third round of hostile use (issue 21): a client that leaves mid-request stops the work,
a request's pictures are bounded in total, HEAD is answered where GET is, shutting down does not wait for
long requests, and nothing it sends names a folder of the machine it runs on."""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

import acgan
from acgan.errors import UserError
from acgan.run.checkpoint import CheckpointError
from acgan.sample.contract import MAX_REQUEST_PIXELS
from acgan.serve import app as app_module
from acgan.serve import guards, service
from acgan.serve.app import create_app, serve
from tests.test_serve import ENDS, build_tiny_run, flat_model, running_server

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


@pytest.fixture(scope="module")
def shipped_client() -> TestClient:
    return TestClient(create_app(acgan.load()), base_url="http://localhost")


class SlowResizing:
    """service.resized, one call per face or frame, each taking `pause` seconds; counts the calls."""

    def __init__(self, pause: float) -> None:
        self.real, self.pause, self.calls = service.resized, pause, 0

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        time.sleep(self.pause)
        return self.real(*args, **kwargs)


def raw_post(url: str, path: str, body: dict) -> socket.socket:
    """Send a POST and leave the answer unread: the socket is the client, to be closed mid-request."""
    host, port = url.removeprefix("http://").split(":")
    payload = json.dumps(body).encode()
    client = socket.create_connection((host, int(port)))
    client.sendall(f"POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                   f"Content-Length: {len(payload)}\r\n\r\n".encode() + payload)
    return client


def wait_until(condition: Any, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_a_client_that_leaves_stops_its_request_at_the_next_step(monkeypatch: pytest.MonkeyPatch) -> None:
    """A 64-frame morph resized frame by frame (0.05 s each here: 3.2 s in all) whose client hangs up after 3
    frames stops within a few frames, and the server goes on answering. (Guards against computing for nobody:
    without the disconnect watch in service.answer all 64 frames are resized.)"""
    slow = SlowResizing(0.05)
    monkeypatch.setattr(service, "resized", slow)
    with running_server(create_app(flat_model())) as url:
        client = raw_post(url, "/api/morph", {**ENDS, "steps": 64, "size": 128})
        wait_until(lambda: slow.calls >= 3)
        client.close()
        time.sleep(2.0)  # time for the rest of the 64 frames, were they still being resized
        stopped_at = slow.calls
        assert stopped_at < 20, f"{stopped_at} of 64 frames were resized for a client that had gone"
        answer = httpx.post(f"{url}/api/generate", json={"hair": "red", "eyes": "blue", "n": 2}, timeout=30)
        assert answer.status_code == 200 and len(answer.json()["faces"]) == 2


def test_a_client_that_stays_gets_every_frame(monkeypatch: pytest.MonkeyPatch) -> None:
    slow = SlowResizing(0.0)
    monkeypatch.setattr(service, "resized", slow)
    with running_server(create_app(flat_model())) as url:
        answer = httpx.post(f"{url}/api/morph", json={**ENDS, "steps": 16, "size": 128}, timeout=60)
    assert answer.status_code == 200 and answer.json()["steps"] == 16 and slow.calls == 16


@pytest.mark.parametrize(("route", "body", "field"), [
    ("/api/generate", {"hair": "red", "eyes": "blue", "n": 64, "size": 1024}, "n"),
    ("/api/recolour", {"seed": 1, "pairs": [{"hair": "red", "eyes": "blue"}] * 17, "size": 1024}, "pairs"),
    ("/api/morph", {**ENDS, "steps": 17, "size": 1024}, "steps"),
])
def test_a_request_whose_pictures_pass_the_pixel_budget_is_refused(route: str, body: dict, field: str) -> None:
    """Each part is within its own limit (64 faces, 1024 px, 256 steps), the whole is not: 17 x 1024 x 1024 is
    more than MAX_REQUEST_PIXELS (16 faces at 1024 px)."""
    http = TestClient(create_app(flat_model()), base_url="http://localhost")
    answer = http.post(route, json=body)
    pictures = body.get("n") or body.get("steps") or len(body["pairs"])
    assert answer.status_code == 422
    assert answer.json()["message"] == (f"{field}: {pictures} pictures of 1024 px is more than the "
                                        f"{MAX_REQUEST_PIXELS:,} pixels one request may make; ask for fewer or smaller")
    assert answer.json()["detail"][0]["input"] == str(pictures)  # the count to lower
    at_the_limit = http.post(route, json={**body, **({"n": 16} if "n" in body else {"steps": 16} if "steps" in body
                                                     else {"pairs": body["pairs"][:16]}), "format": "png"})
    assert at_the_limit.status_code == 200


@pytest.mark.parametrize("path", ["/", "/api/healthz", "/api/tags", "/openapi.json", "/static/main.js"])
def test_head_is_answered_wherever_get_is(shipped_client: TestClient, path: str) -> None:
    get, head = shipped_client.get(path), shipped_client.head(path)
    assert get.status_code == head.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == get.headers["content-type"]
    assert head.headers["content-length"] == get.headers["content-length"]


def test_head_is_still_refused_where_only_post_is(shipped_client: TestClient) -> None:
    assert shipped_client.head("/api/generate").status_code == 405


def test_no_answer_names_a_folder_of_this_machine(shipped_client: TestClient) -> None:
    """/api/healthz, /api/tags and the pictures' metadata name the model as acgan/shipped/generator.json (or its
    path from the working folder), never its absolute path."""
    here = str(Path(acgan.__file__).resolve().parent)
    health = shipped_client.get("/api/healthz").json()
    tags = shipped_client.get("/api/tags").json()
    png = shipped_client.post("/api/generate", json={"hair": "red", "eyes": "blue", "format": "png"}).content
    morph = shipped_client.post("/api/morph", json={**ENDS, "steps": 2, "format": "gif"}).content
    assert not Path(health["source"]).is_absolute() and health["source"].endswith("shipped/generator.json")
    assert tags["source"] == health["source"]
    for answer in (json.dumps(health), json.dumps(tags), png.decode("latin-1"), morph.decode("latin-1")):
        assert here not in answer and str(Path.home()) not in answer


def test_the_api_is_described_where_it_is_and_docs_is_not_advertised() -> None:
    from typer.testing import CliRunner

    from acgan.cli import app

    helped = CliRunner().invoke(app, ["serve", "--help"]).output
    assert "/openapi.json" in helped and "/docs" not in helped
    http = TestClient(create_app(flat_model()), base_url="http://localhost")
    assert http.get("/docs").status_code == 404 and http.get("/openapi.json").status_code == 200


def test_sigterm_ends_the_server_within_seconds_even_mid_request(tmp_path: Path) -> None:
    """A morph of 16 frames at 1024 px (about 10 s of work here, a minute on a busy machine) is under way when the
    server is told to stop: it stops at its next step (a frame), within the grace period (5 s), not when the work
    is done (75 s under load with StoppingServer's stop_all removed; the GIF alone was one 20 s step)."""
    port = free_port()
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    server = subprocess.Popen([sys.executable, "-m", "acgan", "serve", "--port", str(port)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until(lambda: reachable(f"{url}/api/healthz"), seconds=120)
        body = {**ENDS, "steps": 16, "size": 1024, "format": "json"}
        worker = threading.Thread(target=lambda: post_quietly(f"{url}/api/morph", body), daemon=True)
        worker.start()
        time.sleep(1.0)
        asked = time.monotonic()
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
        took = time.monotonic() - asked
    finally:
        server.kill()
        server.wait()
    log = server.stdout.read() if server.stdout else ""
    assert took < 15, f"the server took {took:.1f} s to stop\n{log}"
    assert "Traceback" not in log, log


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def reachable(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def post_quietly(url: str, body: dict) -> None:
    with contextlib.suppress(httpx.HTTPError):  # the server stopped under it: what the test is about
        httpx.post(url, json=body, timeout=120)


def test_a_compressed_body_is_refused_naming_its_encoding() -> None:
    http = TestClient(create_app(flat_model()), base_url="http://localhost")
    answer = http.post("/api/generate", content=gzip.compress(b'{"hair": "red", "eyes": "blue"}'),
                       headers={"Content-Type": "application/json", "Content-Encoding": "gzip"})
    assert answer.status_code == 415
    assert answer.json()["message"] == "body: a body sent with Content-Encoding 'gzip'; send plain JSON"


def test_a_body_that_trickles_in_is_refused_and_the_server_goes_on(monkeypatch: pytest.MonkeyPatch) -> None:
    """A client sending its body a byte at a time is answered 408 after BODY_SECONDS (1 s here), and holds
    nothing after that."""
    monkeypatch.setattr(guards, "BODY_SECONDS", 1)
    with running_server(create_app(flat_model())) as url:
        host, port = url.removeprefix("http://").split(":")
        client = socket.create_connection((host, int(port)))
        client.sendall(b"POST /api/generate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                       b"Content-Length: 40\r\n\r\n{")
        answer = whole_answer(client)
        assert answer.startswith("HTTP/1.1 408"), answer
        assert "the body took more than 1 s to arrive" in answer
        assert httpx.get(f"{url}/api/healthz", timeout=10).status_code == 200


def whole_answer(client: socket.socket) -> str:
    """The answer on `client` (then closed), headers and body: the body may come in a packet of its own, so one
    recv can return the headers alone (it did, under load)."""
    client.settimeout(10)
    answer = b""
    while b"\r\n\r\n" not in answer or len(answer.partition(b"\r\n\r\n")[2]) < body_length(answer):
        chunk = client.recv(65536)
        if not chunk:
            break
        answer += chunk
    client.close()
    return answer.decode("latin-1")


def body_length(answer: bytes) -> int:
    lengths = [line.split(b":")[1] for line in answer.split(b"\r\n") if line.lower().startswith(b"content-length:")]
    return int(lengths[0]) if lengths else 0


def test_huge_headers_are_refused_and_the_server_goes_on() -> None:
    with running_server(create_app(flat_model())) as url:
        host, port = url.removeprefix("http://").split(":")
        client = socket.create_connection((host, int(port)))
        client.sendall(b"GET /api/healthz HTTP/1.1\r\nHost: localhost\r\nX-Big: " + b"a" * 200_000 + b"\r\n\r\n")
        answer = whole_answer(client)
        assert answer.startswith("HTTP/1.1 4"), answer
        assert httpx.get(f"{url}/api/healthz", timeout=10).status_code == 200


def test_acgan_serve_says_what_it_serves_where_and_answers_its_host_names(tmp_path_factory: pytest.TempPathFactory,
                                                                        monkeypatch: pytest.MonkeyPatch,
                                                                        capsys: pytest.CaptureFixture[str]) -> None:
    """What `acgan serve` hands uvicorn, without listening: the named checkpoint, the address, the grace period,
    and the host names it answers (its own address, unless it is every address, and those given)."""
    started: list[tuple[Any, Any]] = []

    class Recorded:  # StoppingServer, kept instead of run
        def __init__(self, config: Any, face_service: Any) -> None:
            started.append((config, face_service))

        def run(self) -> None:
            pass

    monkeypatch.setattr(app_module, "StoppingServer", Recorded)
    run = build_tiny_run(tmp_path_factory)
    capsys.readouterr()  # what training it printed, when this test built it
    serve(run, host="10.1.2.3", port=8123, checkpoint="step-00000004", runtime="torch",
          allowed_hosts=("faces.example", "localhost"))
    source = run / "checkpoints" / "step-00000004.json"
    assert capsys.readouterr().out == (
        f"serving {source} (step 4, 32 px, torch) at http://10.1.2.3:8123/ (API description: "
        "http://10.1.2.3:8123/openapi.json); answering for hosts localhost, 127.0.0.1, [::1], 10.1.2.3, "
        "faces.example\n")
    [(config, face_service)] = started
    assert (config.host, config.port, config.log_level, config.timeout_graceful_shutdown) == ("10.1.2.3", 8123,
                                                                                            "info", 5)
    assert face_service is config.app.state.service and face_service.model.step == 4
    for host, status in [("faces.example", 200), ("10.1.2.3:8123", 200), ("localhost", 200), ("evil.example", 400)]:
        assert TestClient(config.app, base_url=f"http://{host}").get("/api/healthz").status_code == status, host
    for every_address in ("0.0.0.0", "::"):  # no host name of its own
        serve(run, host=every_address, port=8000)
        assert capsys.readouterr().out == (
            f"serving {source} (step 4, 32 px, torch) at http://{every_address}:8000/ (API description: "
            f"http://{every_address}:8000/openapi.json); answering for hosts localhost, 127.0.0.1, [::1]\n")
    with pytest.raises(CheckpointError, match=r"best\.json: no such checkpoint record"):
        serve(run, checkpoint="best")
    with pytest.raises(UserError, match="--runtime onnx: cannot load"):
        serve(run, runtime="onnx")  # no export


def test_told_to_exit_the_server_stops_the_requests_at_work_and_refuses_new_ones() -> None:
    app = create_app(flat_model())
    face_service = app.state.service
    at_work = [threading.Event(), threading.Event()]
    face_service.working.update(at_work)
    config = uvicorn.Config(app)
    server = app_module.StoppingServer(config, face_service)
    server.handle_exit(signal.SIGINT, None)
    assert server.config is config and server.should_exit and all(gone.is_set() for gone in at_work)
    assert not server.force_exit
    server.handle_exit(signal.SIGINT, None)  # a second Ctrl-C: uvicorn stops at once
    assert server.force_exit
    http = TestClient(app, base_url="http://localhost")
    assert http.post("/api/generate", json={"hair": "red", "eyes": "blue"}).status_code == 503
    assert http.get("/api/healthz").status_code == 200


def test_a_request_at_work_when_the_server_stops_ends_at_its_next_step(monkeypatch: pytest.MonkeyPatch) -> None:
    """A 64-frame morph (0.05 s a frame) under way when the server is told to stop gets a 503 within a few frames.
    (service.answer must register each request's event where stop_all finds it.)"""
    slow = SlowResizing(0.05)
    monkeypatch.setattr(service, "resized", slow)
    app = create_app(flat_model())
    http = TestClient(app, base_url="http://localhost")
    with ThreadPoolExecutor(max_workers=1) as pool:
        answer = pool.submit(http.post, "/api/morph", json={**ENDS, "steps": 64, "size": 128})
        wait_until(lambda: slow.calls >= 3)
        app.state.service.stop_all()
        assert answer.result(timeout=30).status_code == 503
    assert slow.calls < 20, f"{slow.calls} of 64 frames were resized after the server was told to stop"

"""A hostile API client: whatever body, header or crowd of requests arrives, the answer is a 4xx whose message
names the problem (never a 5xx), the responses tell the browser to trust only this origin, and requests for
another host name are refused. A real model (the tiny run of test_serve) stands behind the app, so requests that
get past validation really draw; only the crowd test uses a stand-in, to count how many draw at once."""

from __future__ import annotations

import json
import threading
import time
import warnings
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import acgan
from acgan.data.vocab import DEFAULT_VOCAB
from acgan.sample.contract import MAX_SEED
from acgan.serve import service
from acgan.serve.app import create_app
from acgan.serve.guards import MAX_BODY_BYTES, echo
from tests.test_serve import build_tiny_run, decode_png, flat_model, running_server

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    return TestClient(create_app(acgan.load(build_tiny_run(tmp_path_factory))), base_url="http://localhost")


def post(client: TestClient, body: bytes, path: str = "/api/generate"):
    return client.post(path, content=body, headers={"content-type": "application/json"})


BODIES = [
    ("NaN", b'{"hair": "red", "eyes": "blue", "seed": NaN}', "body: NaN is not a number JSON allows"),
    ("Infinity", b'{"hair": "red", "eyes": "blue", "n": Infinity}', "body: Infinity is not a number JSON allows"),
    ("-Infinity deep inside", b'{"pairs": [{"hair": -Infinity, "eyes": "red"}]}', "body: -Infinity is not a number"),
    ("a lone surrogate", b'{"hair": "\\ud800", "eyes": "blue"}', "body: a string holds a lone surrogate"),
    ("a surrogate in a key", b'{"\\udfff": 1, "hair": "red", "eyes": "blue"}', "body: a string holds a lone surrogate"),
    ("5,000 digits", b'{"hair": "red", "eyes": "blue", "seed": ' + b"9" * 5000 + b"}",
     "body: a number with more digits than any field takes"),
    ("invalid UTF-8", b'{"hair": "\xff\xfe", "eyes": "blue"}', "body: not UTF-8 text (byte 10)"),
    ("deep nesting", b"[" * 3000 + b"]" * 3000, "body: nested deeper than 32 levels"),
    ("broken JSON", b'{"hair": "red",', "body: not valid JSON"),
    ("too big", b'{"hair": "' + b"x" * MAX_BODY_BYTES + b'"}', "body: request body too large"),
    ("a huge seed", b'{"hair": "red", "eyes": "blue", "seed": 99999999999999999999999}', "seed: "),
    ("a list for a body", b"[1, 2, 3]", "body: "),
]


@pytest.mark.parametrize(("what", "body", "message"), BODIES, ids=[b[0] for b in BODIES])
def test_a_hostile_body_is_a_422_whose_message_names_the_problem(client: TestClient, what: str, body: bytes,
                                                                 message: str) -> None:
    response = post(client, body)
    assert response.status_code == 422, response.text
    assert response.json()["message"].startswith(message)
    assert client.get("/api/healthz").status_code == 200  # and the server goes on


def nested(levels: int) -> bytes:
    """A request whose hair colour is `levels` lists deep: its string lies levels + 1 levels below the body."""
    return b'{"hair": ' + b"[" * levels + b'"x"' + b"]" * levels + b', "eyes": "red"}'


def in_one_chunk(body: bytes) -> Iterator[bytes]:  # sent without Content-Length: the guard counts what arrives
    yield body


@pytest.mark.parametrize(("what", "body", "message"), [
    ("declared too large", b'{"hair": "' + b"x" * MAX_BODY_BYTES + b'"}',
     f"body: request body too large: {MAX_BODY_BYTES + 12} bytes, at most {MAX_BODY_BYTES}"),
    ("too large as it arrives", lambda: in_one_chunk(b" " * 20_000),
     f"body: request body too large: at least 20000 bytes, at most {MAX_BODY_BYTES}"),
    ("broken JSON", b'{"hair": "blue", ',
     "body: not valid JSON (Expecting property name enclosed in double quotes: line 1 column 18 (char 17))"),
    ("a string 32 levels down is parsed", nested(31), "hair: Input should be a valid string"),
    ("a string 33 levels down is refused", nested(32), "body: nested deeper than 32 levels"),
])
def test_the_body_guard_says_exactly_what_is_wrong(client: TestClient, what: str, body, message: str) -> None:
    content = body() if callable(body) else body
    response = client.post("/api/generate", content=content, headers={"content-type": "application/json"})
    assert (response.status_code, response.json()["message"]) == (422, message)


def test_a_bad_value_echoed_back_is_printable(client: TestClient) -> None:
    response = client.post("/api/generate", json={"hair": "x" * 500, "eyes": ["not", "a", "colour"]})
    assert response.status_code == 422
    assert [(error["input"], error["ctx"]) for error in response.json()["detail"]] == [
        ("x" * 80, "{'max_length': 64}"), ("['not', 'a', 'colour']", None)]  # cut to 80 characters, as text
    assert response.json()["message"] == ("hair: String should have at most 64 characters; eyes: Input should be a "
                                          "valid string")  # every problem, in one line


@pytest.mark.parametrize(("path", "body", "detail", "message"), [
    ("/api/generate", b'{"hair": "bleu", "eyes": "red"}',  # refused by the service
     {"type": "value_error", "loc": ["body", "hair"], "input": "bleu", "ctx": None},
     "hair: unknown hair colour 'bleu'"),
    ("/api/recolour", b'{"pairs": [{"hair": "red", "eyes": "blue"}, {"hair": "red", "eyes": "mauve"}]}',
     {"type": "value_error", "loc": ["body", "pairs", 1, "eyes"], "input": "mauve", "ctx": None},
     "pairs.1.eyes: unknown eyes colour 'mauve'"),
    ("/api/generate", b'{"hair": "red", "eyes": "blue", "n": 2, "seed": 9223372036854775807}',
     {"type": "value_error", "loc": ["body", "seed"], "input": "9223372036854775807", "ctx": None},
     "seed: seed + n - 1 must be at most 9223372036854775807"),
    ("/api/generate", b'{"hair": "red", "eyes": "blue", "seed": NaN}',  # by the body guard
     {"type": "body", "loc": ["body"], "input": None, "ctx": None}, "body: NaN is not a number JSON allows"),
    ("/api/generate", b'{"hair": "red", "eyes": "blue", "n": 0}',  # by FastAPI
     {"type": "greater_than_equal", "loc": ["body", "n"], "input": "0", "ctx": "{'ge': 1}"},
     "n: Input should be greater than or equal to 1"),
    ("/api/nothing", b"{}", {"type": "http", "loc": ["request"], "input": None, "ctx": None},  # no such route
     "request: Not Found"),
])
def test_every_refusal_is_shaped_as_fastapis_own(client: TestClient, path: str, body: bytes, detail: dict,
                                                 message: str) -> None:
    """Each entry of `detail` has FastAPI's keys (type, loc, msg, input, ctx), whoever refused."""
    answer = post(client, body, path).json()
    assert [{key: value for key, value in entry.items() if key != "msg"} for entry in answer["detail"]] == [detail]
    assert answer["message"].startswith(message)


def test_a_value_echoed_back_is_short_printable_text_whatever_it_is() -> None:
    assert echo("a\ud800b") == "a\\ud800b"  # a lone surrogate, which UTF-8 cannot carry, as its escape
    assert echo(10**100) == "1" + "0" * 79 and echo(float("nan")) == "nan" and echo(None) is None


def test_every_response_tells_the_browser_to_trust_only_this_origin(client: TestClient) -> None:
    for response in (client.get("/"), client.get("/api/tags"), post(client, b"{")):
        headers = response.headers
        assert "default-src 'self'" in headers["content-security-policy"]
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff" and headers["referrer-policy"] == "no-referrer"
    assert client.get("/openapi.json").status_code == 200


@pytest.mark.parametrize(("host", "status"), [("localhost", 200), ("127.0.0.1:8000", 200), ("[::1]:8000", 200),
                                              ("evil.example", 400), ("localhost.evil.example", 400)])
def test_only_the_servers_own_host_names_are_answered(client: TestClient, host: str, status: int) -> None:
    response = client.get("/api/healthz", headers={"host": host})
    assert response.status_code == status
    assert status == 200 or "Invalid host header" in response.text


def test_an_allowed_host_is_answered(tmp_path_factory: pytest.TempPathFactory) -> None:
    app = create_app(acgan.load(build_tiny_run(tmp_path_factory)), allowed_hosts=("faces.example",))
    assert TestClient(app, base_url="http://faces.example").get("/api/healthz").status_code == 200


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True, allow_infinity=True) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12)
FIELDS = st.fixed_dictionaries({}, optional={"hair": JSON, "eyes": JSON, "n": JSON, "seed": JSON, "format": JSON,
                                             "size": JSON, "pairs": JSON, "from": JSON, "to": JSON, "steps": JSON,
                                             "scale": JSON})


def raw_json(value) -> bytes:
    """JSON text as a careless client writes it: NaN and Infinity bare, lone surrogates escaped."""
    return json.dumps(value, allow_nan=True, ensure_ascii=True).encode()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=FIELDS | JSON, path=st.sampled_from(["/api/generate", "/api/recolour", "/api/morph"]))
def test_no_body_of_any_shape_gets_a_server_error(client: TestClient, body, path: str) -> None:
    response = post(client, raw_json(body), path)
    assert response.status_code < 500, (body, response.text)
    if response.status_code >= 400:
        assert response.json()["message"]


# Bodies near a valid request, so that many get past validation and the model draws: colours in any spelling,
# numbers at and just past every limit, and now and then any JSON at all.
COLOUR = st.sampled_from([*DEFAULT_VOCAB.hair, *DEFAULT_VOCAB.eyes, "random", " Random ", "BLUE", "", "plaid"]) | JSON
SEED = st.sampled_from([0, 7, MAX_SEED - 70, MAX_SEED, MAX_SEED + 1, -1, 2**64, 3.0, "5", True, None]) | JSON
COUNT = st.sampled_from([1, 2, 64, 0, 65, -1, 10**30, 2.0, "2", False])
SIZE = st.sampled_from([16, 48, 1024, 15, 1025, 0, -64, 64.5, "64", None])
END = st.fixed_dictionaries({}, optional={"seed": SEED, "hair": COLOUR, "eyes": COLOUR})
NEAR_VALID = {
    "/api/generate": st.fixed_dictionaries({"hair": COLOUR, "eyes": COLOUR}, optional={
        "n": COUNT, "seed": SEED, "size": SIZE, "format": st.sampled_from(["json", "png", "gif", "PNG"])}),
    "/api/recolour": st.fixed_dictionaries({"pairs": st.lists(st.fixed_dictionaries({"hair": COLOUR, "eyes": COLOUR}),
                                                              max_size=3) | JSON}, optional={
        "seed": SEED, "size": SIZE, "format": st.sampled_from(["json", "png", "gif"])}),
    "/api/morph": st.fixed_dictionaries({"from": END, "to": END}, optional={
        "steps": st.sampled_from([2, 5, 256, 1, 257, 3.5]), "scale": st.sampled_from([1, 16, 0, 17, 33, None]),
        "size": SIZE, "format": st.sampled_from(["json", "gif", "png", "jpeg"])}),
}


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(route_and_body=st.sampled_from(sorted(NEAR_VALID)).flatmap(
    lambda route: st.tuples(st.just(route), NEAR_VALID[route])))
def test_no_near_valid_body_gets_a_server_error_from_a_real_model(client: TestClient, route_and_body) -> None:
    route, body = route_and_body
    response = post(client, raw_json(body), route)
    assert response.status_code < 500, (body, response.text)
    if response.status_code >= 400:
        assert response.json()["message"]
    elif response.headers["content-type"] == "application/json" and route != "/api/morph":
        faces = response.json()["faces"]
        assert faces and all(decode_png(face["png"]).shape[2] == 3 for face in faces)


class Counting:
    """Wraps the step every drawing request takes after the network (resizing its faces): slow, and counting how many
    requests are in it at once."""

    def __init__(self, step) -> None:
        self.step, self.inside, self.most = step, 0, 0
        self.lock = threading.Lock()

    def __call__(self, *args, **kwargs):
        with self.lock:
            self.inside += 1
            self.most = max(self.most, self.inside)
        time.sleep(0.1)
        with self.lock:
            self.inside -= 1
        return self.step(*args, **kwargs)


def test_only_two_requests_draw_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Twelve requests at once on a real server: all are answered, and never more than two draw together, as the
    README promises. (Guards against the server not limiting its drawing at all: with HeavyWork(limit=10**6) or
    MAX_HEAVY = 10**6, twelve draw at once here; with one at a time, one.)"""
    counting = Counting(service.resized)
    monkeypatch.setattr(service, "resized", counting)
    bodies = [("/api/generate", {"hair": "red", "eyes": "blue", "n": 2}),
              ("/api/recolour", {"seed": 1, "pairs": [{"hair": "red", "eyes": "blue"}]}),
              ("/api/morph", {"from": {"seed": 1, "hair": "red", "eyes": "blue"},
                            "to": {"seed": 2, "hair": "pink", "eyes": "green"}, "steps": 3, "format": "gif"})] * 4
    with running_server(create_app(flat_model())) as url, httpx.Client(base_url=url, timeout=60) as http:
        barrier = threading.Barrier(len(bodies))

        def call(route_and_body: tuple[str, dict]) -> int:
            barrier.wait(timeout=10)
            return http.post(route_and_body[0], json=route_and_body[1]).status_code

        with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
            statuses = list(pool.map(call, bodies))
    assert statuses == [200] * len(bodies)
    assert counting.most == 2

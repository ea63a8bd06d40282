"""A hostile API client: whatever body, header or crowd of requests arrives, the answer is a 4xx whose message
names the problem (never a 5xx), the responses tell the browser to trust only this origin, and requests for
another host name are refused."""

from __future__ import annotations

import json
import threading
import time
import warnings

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from acgan.serve.app import create_app
from acgan.serve.guards import MAX_BODY_BYTES, HeavyWork
from tests.test_serve import flat_model

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(create_app(flat_model()), base_url="http://localhost")


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


def test_a_bad_value_echoed_back_is_printable(client: TestClient) -> None:
    response = client.post("/api/generate", json={"hair": "x" * 500, "eyes": ["not", "a", "colour"]})
    assert response.status_code == 422
    assert all(len(error["input"]) <= 80 for error in response.json()["detail"] if error["input"])


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


def test_an_allowed_host_is_answered() -> None:
    app = create_app(flat_model(), allowed_hosts=("faces.example",))
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


def test_only_a_few_requests_draw_at_once() -> None:
    heavy, inside, most = HeavyWork(limit=2), [0], [0]
    lock = threading.Lock()

    def work() -> None:
        with heavy.slot():
            with lock:
                inside[0] += 1
                most[0] = max(most[0], inside[0])
            time.sleep(0.02)
            with lock:
                inside[0] -= 1

    threads = [threading.Thread(target=work) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert most[0] == 2

"""Guards in front of the API, so that any request gets a clear answer and none can hurt the server:

- BodyGuard: a request body over the size limit is refused before anything parses it, one sent compressed
  (Content-Encoding) is a 415, one trickling in for more than BODY_SECONDS a 408, and a body that is
  not plain JSON (not UTF-8, broken syntax, NaN or Infinity, a number of thousands of digits, a string with
  a lone surrogate, nesting deeper than any request needs) is refused with a message saying which;
- every refusal is a 4xx whose `message` names the field or the problem, and echoing a bad value back can
  never fail (problem_response);
- SecurityHeaders: what the browser may do with the answers (this origin's scripts, styles, pictures and
  requests only; no framing; no MIME sniffing; no referrer);
- HeadAsGet: HEAD is answered on every route GET answers, with GET's headers and no body;
- HeavyWork: at most a few requests draw faces at once; the rest wait their turn, so memory stays bounded
  however many arrive together.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import anyio
from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_BODY_BYTES = 16 * 1024
BODY_SECONDS = 10  # for a whole request body to arrive: a client sending a byte at a time holds no worker longer
MAX_NESTING = 32  # no request nests deeper than 3
MAX_HEAVY = 2  # requests drawing faces at once
ECHO_CHARS = 80  # of a bad value, echoed back in `detail`
SECURITY_HEADERS = {
    "content-security-policy": "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; "
                               "script-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
                               "form-action 'self'; frame-ancestors 'none'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
    # With COOP, makes the page cross-origin isolated: ONNX Runtime Web's threads need it (the page loads nothing
    # from another origin, so requiring CORP of other origins costs nothing).
    "cross-origin-embedder-policy": "require-corp",
}


def invalid(loc: Sequence[str | int], msg: str, value: Any) -> RequestValidationError:
    """A 422 about one field of the body, shaped like FastAPI's own validation errors."""
    return RequestValidationError([{"type": "value_error", "loc": ("body", *loc), "msg": msg, "input": value}])


def field_name(loc: Sequence[str | int]) -> str:
    """"from.seed" for ("body", "from", "seed"); "body" for the body itself or a place in its text."""
    inner = list(loc[1:]) if loc and loc[0] == "body" else list(loc)
    if not inner or isinstance(inner[0], int):
        return "body"
    return ".".join(str(part) for part in inner)


def problem_response(errors: Sequence[dict[str, Any]], status: int = 422) -> JSONResponse:
    message = "; ".join(f"{field_name(e['loc'])}: {e['msg']}" for e in errors)
    detail = [{**error, "input": echo(error.get("input")), "ctx": echo(error.get("ctx"))} for error in errors]
    return JSONResponse(status_code=status, content={"detail": jsonable_encoder(detail), "message": message})


def echo(value: Any) -> str | None:
    """A bad value as short, printable text: NaN, huge numbers and lone surrogates included."""
    if value is None:
        return None
    text = repr(value) if not isinstance(value, str) else value
    return text[:ECHO_CHARS].encode("utf-8", "backslashreplace").decode("utf-8")


def body_problem(body: bytes) -> str | None:
    """Why `body` is not plain JSON, or None when it is (or is empty, which FastAPI reports itself)."""
    if not body.strip():
        return None
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as err:
        return f"not UTF-8 text (byte {err.start})"
    try:
        value = json.loads(text, parse_constant=refuse_constant)
    except NonJSONNumberError as err:
        return str(err)
    except ValueError as err:
        if "digits" in str(err):
            return "a number with more digits than any field takes"
        return f"not valid JSON ({err})"
    except RecursionError:
        return f"nested deeper than {MAX_NESTING} levels"
    return value_problem(value, 0)


class NonJSONNumberError(ValueError):
    """NaN, Infinity or -Infinity, which Python's parser takes but JSON does not."""


def refuse_constant(name: str) -> float:
    raise NonJSONNumberError(f"{name} is not a number JSON allows")


def value_problem(value: Any, depth: int) -> str | None:
    if depth > MAX_NESTING:
        return f"nested deeper than {MAX_NESTING} levels"
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return "a string holds a lone surrogate (an escape like \\ud800 that is half of a character)"
        return None
    children = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in children:
        problem = value_problem(key, depth + 1) if isinstance(key, str) else None
        problem = problem or value_problem(child, depth + 1)
        if problem:
            return problem
    return None


class BodyGuard:
    """Refuse, with a 422 about "body" and before the app parses it, a body over `limit` bytes or one that is
    not plain JSON. The body is read up to the limit and replayed to the app, so a client can never make the
    server hold more than `limit` bytes of it."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        declared = headers.get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            await self.refuse(scope, receive, send, f"request body too large: {declared.decode('latin-1')} bytes, "
                                                    f"at most {self.limit}")
            return
        encoding = headers.get(b"content-encoding", b"identity").decode("latin-1")
        if encoding.strip().lower() != "identity":
            await self.refuse(scope, receive, send, f"a body sent with Content-Encoding {echo(encoding)!r}; send "
                                                    "plain JSON", status=415)
            return
        messages: list[Message] = []
        body = b""
        with anyio.move_on_after(BODY_SECONDS) as clock:
            while True:
                message = await receive()
                messages.append(message)
                if message["type"] != "http.request":
                    break
                body += message.get("body", b"")
                if len(body) > self.limit:
                    await self.refuse(scope, receive, send, f"request body too large: at least {len(body)} bytes, "
                                                            f"at most {self.limit}")
                    return
                if not message.get("more_body", False):
                    break
        if clock.cancelled_caught:
            await self.refuse(scope, receive, send, f"the body took more than {BODY_SECONDS} s to arrive", status=408)
            return
        problem = body_problem(body)
        if problem:
            await self.refuse(scope, receive, send, problem)
            return

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)

    async def refuse(self, scope: Scope, receive: Receive, send: Send, msg: str, status: int = 422) -> None:
        response = problem_response([{"type": "body", "loc": ("body",), "msg": msg, "input": None}], status=status)
        await response(scope, receive, send)


class SecurityHeaders:
    """SECURITY_HEADERS on every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(name.encode(), value.encode()) for name, value in SECURITY_HEADERS.items()
                         if name.encode() not in present]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, with_headers)


class HeadAsGet:
    """HEAD as HTTP defines it: GET's status and headers, without the body (FastAPI's routes answer GET alone)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, without_body)


def guard(app: FastAPI, allowed_hosts: Sequence[str]) -> None:
    """Put the guards in front of `app`: security headers outermost, then the host check, HEAD as GET, then the
    body guard; and make every refusal, FastAPI's own included, a problem_response."""
    app.add_middleware(BodyGuard, limit=MAX_BODY_BYTES)
    app.add_middleware(HeadAsGet)
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts))
    app.add_middleware(SecurityHeaders)

    async def validation_problem(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        return problem_response(exc.errors())

    async def http_problem(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        return problem_response([{"type": "http", "loc": ("request",), "msg": str(exc.detail), "input": None}],
                                status=exc.status_code)

    app.add_exception_handler(RequestValidationError, validation_problem)
    app.add_exception_handler(StarletteHTTPException, http_problem)


class HeavyWork:
    """At most `limit` callers inside at once; the others wait (FastAPI runs each request in a thread)."""

    def __init__(self, limit: int = MAX_HEAVY) -> None:
        self.slots = threading.BoundedSemaphore(limit)

    @contextmanager
    def slot(self) -> Iterator[None]:
        with self.slots:
            yield

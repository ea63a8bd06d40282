"""Guards in front of the API: request bodies over a size limit are refused before anything parses them,
and every refusal is a 422 whose `message` names the field."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_BODY_BYTES = 16 * 1024


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

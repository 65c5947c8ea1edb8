"""ASGI guards that must run before FastAPI touches a request or after it has failed.

They are plain ASGI rather than ``BaseHTTPMiddleware`` so that an oversized body is refused
before anything buffers or parses it, and so that a crash is answered without the exception
text (which may quote a value) reaching the server log.
"""

from __future__ import annotations

import json
import logging
import traceback
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

MAX_BODY_BYTES = 1024 * 1024
_FRAMES_LOGGED = 8

log = logging.getLogger("helmdeck.api")


def error_body(detail: str, status: int) -> dict[str, str]:
    """Every error's body: helmdeck's one-line ``detail`` and, beside it, StarlingX sysinv's
    ``error_message`` (a JSON *string* holding the fault, which is what its ``system`` client
    parses and prints the ``faultstring`` of)."""
    fault = {"faultcode": "Server" if status >= 500 else "Client", "faultstring": detail,
             "debuginfo": None}
    return {"detail": detail, "error_message": json.dumps(fault)}


async def _send_json(send: Send, status: int, detail: str, *, close: bool = False) -> None:
    body = json.dumps(error_body(detail, status)).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class BodyLimitMiddleware:
    """Refuse request bodies over ``limit`` bytes with 413, before any parsing.

    A declared ``Content-Length`` over the limit is refused without reading a byte. Otherwise
    (chunked or lying clients) the body is read here, counting, and handed on only if it fit;
    the app then sees a normal body, so no endpoint can be reached by a body we did not bound.
    """

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.limit:
            await self._too_large(send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                await self._too_large(send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _too_large(self, send: Send) -> None:
        await _send_json(
            send,
            413,
            f"request body: larger than {self.limit} bytes; send less (split the values)",
            close=True,
        )


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


class CrashGuardMiddleware:
    """Answer an unexpected exception with a bare 500 and log it without its message.

    Starlette re-raises unhandled exceptions so the server logs them with ``str(exc)``, and a
    bug's message may quote a secret value; here only the type and the stack's locations are
    logged, which is enough to find the bug and never carries data.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            frames = traceback.extract_tb(exc.__traceback__)[-_FRAMES_LOGGED:]
            where = " <- ".join(f"{f.filename}:{f.lineno} {f.name}" for f in reversed(frames))
            log.error("internal error %s in %s %s at %s", type(exc).__name__,
                      scope.get("method"), scope.get("path"), where)
            if not started:
                await _send_json(send, 500, "internal error; the server log has its location")

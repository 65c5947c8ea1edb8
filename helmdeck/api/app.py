"""The FastAPI application behind ``helmdeck serve``.

One store, one loaded application definition and one secret box are shared by all requests;
each request gets its own ``OverrideService`` so the audit log names the caller's role. Every
error leaves as ``{"detail": "<one line>", "error_message": "<sysinv's fault>"}``: operator
mistakes with their own status (400, 404, 409; 400 in sysinv's forms), malformed requests as
400 naming the field, never with the offending value. The OpenAPI document lists, for each
operation, the statuses it gives (FastAPI's 422 never happens: it is removed).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib.metadata import PackageNotFoundError, version
from typing import Any, cast

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException

from helmdeck.api.auth import TokenVerifier
from helmdeck.api.cache import ShowCache
from helmdeck.api.middleware import (
    MAX_BODY_BYTES,
    BodyLimitMiddleware,
    CrashGuardMiddleware,
    error_body,
)
from helmdeck.api.query import known_query
from helmdeck.api.routes import router
from helmdeck.application import Application, load_application
from helmdeck.errors import DependentsError, UserError
from helmdeck.overrides.service import OverrideService
from helmdeck.plugins.registry import load_plugins
from helmdeck.store import Store
from helmdeck.store.secrets import SecretBox

ServiceFactory = Callable[[str], Any]


def create_app(
    store: Store,
    *,
    application: Application | None = None,
    services: ServiceFactory | None = None,
    max_body: int = MAX_BODY_BYTES,
) -> FastAPI:
    """The API over ``store`` for ``application`` (default: the packaged one);
    ``services(actor)`` builds the override service per request."""
    app = FastAPI(
        title="helmdeck",
        summary="StarlingX-compatible helm override management for openstack-helm",
        version=_version(),
        # Swagger UI and ReDoc load their scripts from a CDN: no page of ours pulls outside
        # code. The OpenAPI document itself stays at /openapi.json.
        docs_url=None,
        redoc_url=None,
        dependencies=[Depends(known_query)],
    )
    if store.dialect == "sqlite":
        store = cast(Store, SerialStore(store))
    app.state.store = store
    app.state.tokens = TokenVerifier(store)
    app.state.services = services or default_services(store, application or load_application())
    app.state.show_cache = ShowCache()
    app.include_router(router)
    app.add_exception_handler(UserError, _user_error)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(HTTPException, _http_error)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    # Added last = outermost: the size check runs before routing, the guard around everything.
    app.add_middleware(BodyLimitMiddleware, limit=max_body)
    app.add_middleware(CrashGuardMiddleware)
    return app


class SerialStore:
    """A store whose writing transactions this process runs one at a time (for SQLite).

    SQLite lets one writer in at a time, and helmdeck begins every writing transaction with
    ``BEGIN IMMEDIATE``; threads that find the lock taken sleep in SQLite's busy handler with
    growing back-off, so under load some wait seconds while the lock sits free. Queueing them
    on a lock here hands the database over the moment it is released; other processes still
    meet the busy timeout as before. Read-only transactions take no write lock (WAL gives
    them a snapshot), so they skip the queue.
    """

    def __init__(self, store: Store) -> None:
        self._store = store
        self._lock = threading.RLock()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    @contextmanager
    def transaction(self, *, readonly: bool = False) -> Iterator[Session]:
        if readonly:
            with self._store.transaction(readonly=True) as session:
                yield session
            return
        with self._lock, self._store.transaction() as session:
            yield session


def default_services(store: Store, application: Application) -> ServiceFactory:
    """One override service per actor, sharing the application and secret box.

    Services are kept rather than built per request: a new one would load the plugins'
    entry points again, which costs more than the request itself. They hold no
    per-request state, so threads share them.
    """

    plugins = load_plugins()
    box = SecretBox()
    services: dict[str, OverrideService] = {}
    lock = threading.Lock()

    def build(actor: str) -> OverrideService:
        with lock:
            if actor not in services:
                services[actor] = OverrideService(store, app=application, box=box,
                                                  plugins=plugins, actor=actor)
            return services[actor]

    return build


def _version() -> str:

    try:
        return version("helmdeck")
    except PackageNotFoundError:
        return "0"


def _error(detail: str, status: int, headers: dict[str, str] | None = None,
           **extra: Any) -> JSONResponse:
    detail = _one_line(detail)
    return JSONResponse({**error_body(detail, status), **extra}, status_code=status,
                        headers=headers)


async def _user_error(request: Request, exc: Exception) -> JSONResponse:
    status = exc.http_status if isinstance(exc, UserError) else 400
    if getattr(request.state, "sysinv", False) and status in (404, 409):
        status = 400  # sysinv answers every operator mistake with 400
    if isinstance(exc, DependentsError):
        return _error(str(exc), status, dependents={
            "chart": exc.chart, "namespace": exc.namespace, "blockers": exc.blockers})
    return _error(str(exc), status)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    """401/403 from the token check, and Starlette's own 404/405, in the same two shapes."""
    if not isinstance(exc, HTTPException):
        return _error("internal error", 500)
    detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    if exc.status_code == 404 and detail == "Not Found":
        detail = (f"{request.method} {request.url.path[:200]}: no such route; the routes are "
                  "listed in /openapi.json")
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        # Starlette names the methods of the first route on the path only; name them all.
        allowed = sorted({m for r in router.routes if isinstance(r, APIRoute)
                          and r.path_regex.match(request.url.path) for m in r.methods or ()})
        headers["Allow"] = ", ".join(allowed)
        detail = (f"{request.method}: not allowed on {request.url.path[:200]}; allowed: "
                  f"{headers['Allow'] or 'see /openapi.json'}")
    return _error(detail, exc.status_code, headers=headers)


# Parts of a validation error's location that name no input: the body's tagged union.
_LOC_NOISE = frozenset({"helmdeck", "sysinv"})


async def _invalid_request(request: Request, exc: Exception) -> JSONResponse:
    """FastAPI's 422 list, as one 400 line naming the field (not echoing the input)."""
    errors = exc.errors() if isinstance(exc, RequestValidationError) else []
    parts = []
    for err in errors[:3]:
        loc = ".".join(str(p) for p in err.get("loc", ()) if p not in _LOC_NOISE)
        parts.append(f"{loc}: {err.get('msg', 'invalid')}")
    detail = "; ".join(parts) or "request: invalid"
    return _error(detail, 400)


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document without the 422 it adds to every operation: malformed requests
    are 400 here, and each route lists the statuses it gives."""
    if app.openapi_schema is None:
        doc = get_openapi(title=app.title, version=app.version, summary=app.summary,
                          routes=app.routes)
        for path in doc.get("paths", {}).values():
            for operation in path.values():
                operation.get("responses", {}).pop("422", None)
        schemas = doc.get("components", {}).get("schemas", {})
        for name in ("HTTPValidationError", "ValidationError"):
            schemas.pop(name, None)
        app.openapi_schema = doc
    return app.openapi_schema


def _one_line(text: str) -> str:
    return " ".join(text.split())

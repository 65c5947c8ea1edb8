"""Bearer-token authentication with two roles: ``reader`` (GETs) and ``admin`` (everything).

Tokens are checked against the store's hashes. A verified token is remembered for a few
seconds (by its hash, never in clear), so a burst of requests costs one lookup, not one each.
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from helmdeck.store import Store, tokens

CACHE_SECONDS = 5.0
_CACHE_MAX = 1024

_bearer = HTTPBearer(auto_error=False, description="A token from `helmdeck token create`.")


@dataclass(frozen=True)
class Principal:
    """Who is calling, as far as the audit log is concerned: the token's name and role."""

    role: str
    name: str

    @property
    def actor(self) -> str:
        return f"api:{self.name}"


class TokenVerifier:
    """Maps a presented token to its (name, role), with a short positive cache."""

    def __init__(self, store: Store, ttl: float = CACHE_SECONDS) -> None:
        self._store = store
        self._ttl = ttl
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[tuple[str, str], float]] = {}

    def cached(self, token: str) -> tuple[str, str] | None:
        """``(name, role)`` if the token was verified in the last ``ttl`` seconds."""
        with self._lock:
            hit = self._cache.get(_digest(token))
        return hit[0] if hit is not None and hit[1] > time.monotonic() else None

    def info(self, token: str) -> tuple[str, str] | None:
        """``(name, role)`` of the token, or None when the store does not know it."""
        key, now = _digest(token), time.monotonic()
        hit = self.cached(token)
        if hit is not None:
            return hit
        with self._store.transaction(readonly=True) as s:
            info = tokens.token_info(s, token)
        if info is not None:
            with self._lock:
                if len(self._cache) >= _CACHE_MAX:
                    self._cache.clear()
                self._cache[key] = (info, now + self._ttl)
        return info


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(401, detail=detail, headers={"WWW-Authenticate": "Bearer"})


async def reader(
    request: Request,
    creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """Any valid token: reading is all a reader may do.

    A token seen in the last few seconds is checked without leaving the event loop; only
    the store lookup goes to a worker thread.
    """
    if creds is None:
        raise _unauthorized(
            "Authorization: missing bearer token; send 'Authorization: Bearer <token>' "
            "with a token from `helmdeck token create`"
        )
    verifier: TokenVerifier = request.app.state.tokens
    info = verifier.cached(creds.credentials)
    if info is None:
        info = await run_in_threadpool(verifier.info, creds.credentials)
    if info is None:
        raise _unauthorized("Authorization: token not recognised; create one with "
                            "`helmdeck token create`")
    name, role = info
    return Principal(role=role, name=name)


async def admin(principal: Annotated[Principal, Depends(reader)]) -> Principal:
    """A token with the admin role: every write and every reveal needs one."""
    if principal.role != "admin":
        raise HTTPException(403, detail=f"role {principal.role}: this request needs an admin "
                                        "token (helmdeck token create --role admin)")
    return principal

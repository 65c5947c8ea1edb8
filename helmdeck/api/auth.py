"""Bearer-token authentication with two roles: ``reader`` (GETs) and ``admin`` (everything).

Every request looks its token up in the store, by the hash's unique index (one small query
in a worker thread). Nothing is remembered between requests: a token revoked or expired by
any process sharing the database is refused from the next request on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from helmdeck.store import Store, tokens
from helmdeck.store.models import utcnow

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
    """Maps a presented token to its principal, or refuses it with the reason."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def principal(self, token: str) -> Principal:
        with self._store.transaction(readonly=True) as s:
            info = tokens.token_info(s, token)
        if info is None:
            raise _unauthorized("Authorization: token not recognised; create one with "
                                "`helmdeck token create`")
        state = info.state(utcnow())
        if state != "active":
            raise _unauthorized(f"Authorization: token {info.name!r} is {state}; create a new "
                                "one with `helmdeck token create`")
        return Principal(role=info.role, name=info.name)


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(401, detail=detail, headers={"WWW-Authenticate": "Bearer"})


async def reader(
    request: Request,
    creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """Any valid token: reading is all a reader may do."""
    if creds is None:
        raise _unauthorized(
            "Authorization: missing bearer token; send 'Authorization: Bearer <token>' "
            "with a token from `helmdeck token create`"
        )
    verifier: TokenVerifier = request.app.state.tokens
    return await run_in_threadpool(verifier.principal, creds.credentials)


async def admin(principal: Annotated[Principal, Depends(reader)]) -> Principal:
    """A token with the admin role: every write and every reveal needs one."""
    if principal.role != "admin":
        raise HTTPException(403, detail=f"role {principal.role}: this request needs an admin "
                                        "token (helmdeck token create --role admin)")
    return principal

"""Token authentication with two roles: ``reader`` (GETs) and ``admin`` (everything).

The token comes as ``Authorization: Bearer <token>`` or, as StarlingX's ``system`` client
sends it, ``X-Auth-Token: <token>``: the same tokens and roles either way. A 401 carries
``WWW-Authenticate: Bearer realm="helmdeck"`` (a bare ``Bearer`` breaks httplib2, which the
``system`` client uses).

Every request looks its token up in the store, by the hash's unique index (one small query
in a worker thread). Nothing is remembered between requests: a token revoked or expired by
any process sharing the database is refused from the next request on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from helmdeck.store import Store, tokens
from helmdeck.store.models import utcnow

_bearer = HTTPBearer(auto_error=False, description="A token from `helmdeck token create`.")
_x_auth_token = APIKeyHeader(
    name="X-Auth-Token", auto_error=False,
    description="The same token as StarlingX's `system --os-auth-token` sends it.",
)
CHALLENGE = 'Bearer realm="helmdeck"'


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
    return HTTPException(401, detail=detail, headers={"WWW-Authenticate": CHALLENGE})


async def reader(
    request: Request,
    creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    x_auth_token: Annotated[str | None, Depends(_x_auth_token)],
) -> Principal:
    """Any valid token: reading is all a reader may do."""
    bearer = creds.credentials if creds is not None else None
    if bearer is not None and x_auth_token is not None and bearer != x_auth_token:
        raise _unauthorized("Authorization and X-Auth-Token: two different tokens; send one")
    token = bearer or x_auth_token
    if not token:
        raise _unauthorized(
            "Authorization: missing token; send 'Authorization: Bearer <token>' or "
            "'X-Auth-Token: <token>' with a token from `helmdeck token create`"
        )
    verifier: TokenVerifier = request.app.state.tokens
    return await run_in_threadpool(verifier.principal, token)


async def admin(principal: Annotated[Principal, Depends(reader)]) -> Principal:
    """A token with the admin role: every write and every reveal needs one."""
    if principal.role != "admin":
        raise HTTPException(403, detail=f"role {principal.role}: this request needs an admin "
                                        "token (helmdeck token create --role admin)")
    return principal

"""Unknown query parameters are refused, on every route.

FastAPI ignores a query parameter a route does not declare, so a typo (or another API's
spelling: sysinv's ``?name=CHART`` sent to a route that reads the chart from the path) would
silently act on something else. ``known_query`` runs before every route and compares the
request's query keys with the ones the route (and its dependencies) declare.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.dependencies.models import Dependant

from helmdeck.errors import UserError

_MAX_NAMED = 3
_MAX_NAME = 40


def _declared(dependant: Dependant) -> frozenset[str]:
    names: set[str] = set()
    stack = [dependant]
    while stack:
        d = stack.pop()
        names.update(getattr(p, "alias", None) or p.name for p in d.query_params)
        stack.extend(d.dependencies)
    return frozenset(names)


_CACHE: dict[int, frozenset[str]] = {}


def declared_query(request: Request) -> frozenset[str]:
    """The query parameters the matched route takes."""
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return frozenset()
    key = id(route)
    if key not in _CACHE:
        _CACHE[key] = _declared(dependant)
    return _CACHE[key]


def _names(keys: list[str]) -> str:
    shown = [k[:_MAX_NAME] for k in keys[:_MAX_NAMED]]
    return ", ".join(shown) + (", ..." if len(keys) > _MAX_NAMED else "")


async def known_query(request: Request) -> None:
    """400 naming the query parameters the route does not take, or gives twice."""
    keys = [k for k, _ in request.query_params.multi_items()]
    if not keys:
        return
    allowed = declared_query(request)
    unknown = sorted({k for k in keys if k not in allowed})
    if unknown:
        takes = ", ".join(sorted(allowed)) if allowed else "no query parameters"
        where = getattr(request.scope.get("route"), "path", "this route")
        raise UserError(f"query parameter {_names(unknown)}: not known by "
                        f"{request.method} {where}, which takes {takes}")
    twice = sorted({k for k in keys if keys.count(k) > 1})
    if twice:
        raise UserError(f"query parameter {_names(twice)}: given more than once; give it once")

"""The ``/v1`` routes: thin translations between HTTP and the override service.

Endpoints are plain ``def`` because the service is synchronous SQLAlchemy; FastAPI runs them
in its thread pool (the dependencies that only look things up are ``async`` so a request
crosses into a thread once). Every value leaves redacted unless an admin asked for
``reveal``, which the service writes to the audit log before anything is sent. A chart's
redacted overrides are served from ``ShowCache`` while their inputs are unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request, Response

from helmdeck.api.auth import Principal, admin, reader
from helmdeck.api.cache import ShowCache
from helmdeck.api.models import (
    ChartEntry,
    ChartList,
    ChartOverridesOut,
    CheckOut,
    EffectiveOut,
    EnabledOut,
    EndpointsOut,
    ExplainOut,
    ExportOut,
    HistoryOut,
    ImportIn,
    ImportOut,
    InconsistencyOut,
    ProvenanceOut,
    RevisionOut,
    RollbackIn,
    UserOverridesOut,
)
from helmdeck.endpoints.catalog import INTERFACES
from helmdeck.errors import UserError
from helmdeck.overrides import ChartOverrides, UpdateRequest
from helmdeck.values.yamlio import dump_yaml, load_values

router = APIRouter(prefix="/v1")

Namespace = Annotated[str, Query(min_length=1, description="namespace of the chart's release")]
Reveal = Annotated[bool, Query(description="real secret values (admin only, audited)")]
IfMatch = Annotated[str | None, Header(description="the ETag last read; stale -> 409")]


def _service(request: Request, principal: Principal) -> Any:
    """An override service acting as the caller (``app.state.services`` builds it)."""
    factory: Callable[[str], Any] = request.app.state.services
    return factory(principal.actor)


async def reading(request: Request, principal: Annotated[Principal, Depends(reader)]) -> Any:
    return _service(request, principal)


async def writing(request: Request, principal: Annotated[Principal, Depends(admin)]) -> Any:
    return _service(request, principal)


ReadService = Annotated[Any, Depends(reading)]
WriteService = Annotated[Any, Depends(writing)]
Caller = Annotated[Principal, Depends(reader)]


def etag(version: int) -> str:
    return f'"{version}"'


def parse_if_match(value: str | None) -> int | None:
    """The version an ``If-Match`` names; ``*`` (or none) means "the latest, atomically"."""
    if value is None or value.strip() == "*":
        return None
    text = value.strip().removeprefix("W/").strip('"')
    if not text.isdigit():
        raise UserError(f"If-Match: {value[:40]!r} is not a version; send the ETag of a GET")
    return int(text)


def _yaml(values: dict[str, Any]) -> str:
    """Values as YAML; the service has already redacted them unless reveal was asked for."""
    return dump_yaml(values)


def _check_reveal(reveal: bool, caller: Principal) -> None:
    if reveal and caller.role != "admin":
        raise HTTPException(403, detail=f"role {caller.role}: reveal=true needs an admin token")


@router.get("/helm_charts", response_model=ChartList)
def list_charts(svc: ReadService) -> ChartList:
    return ChartList(
        charts=[
            ChartEntry(name=c.name, namespaces=list(c.namespaces), enabled=c.enabled)
            for c in svc.list_charts()
        ]
    )


@router.get("/helm_charts/{name}", response_model=ChartOverridesOut,
            response_model_exclude_none=True)
def show(name: str, namespace: Namespace, request: Request, svc: ReadService, caller: Caller,
         reveal: Reveal = False,
         full: Annotated[bool, Query(description="add static layer, provenance, chart")] = False,
         ) -> Response:
    _check_reveal(reveal, caller)
    if reveal:
        ov = svc.get(name, namespace, reveal=True)
        return _json(_show_body(ov, full), etag(ov.version))
    cache: ShowCache = request.app.state.show_cache
    slot = (name, namespace, full)
    hit = cache.lookup(slot, svc.cache_key(name, namespace))
    if hit is not None:
        return _json(*hit)
    ov, key = svc.get_keyed(name, namespace)
    body, tag = _show_body(ov, full), etag(ov.version)
    if key is not None:
        cache.store(slot, key, body, tag)
    return _json(body, tag)


def _json(body: bytes, tag: str) -> Response:
    return Response(content=body, media_type="application/json", headers={"ETag": tag})


def _show_body(ov: ChartOverrides, full: bool) -> bytes:
    out = ChartOverridesOut(
        name=ov.name,
        namespace=ov.namespace,
        system_overrides=_yaml(ov.system),
        user_overrides=_yaml(ov.user),
        combined_overrides=_yaml(ov.combined),
    )
    if full:
        out.release = ov.release
        out.static_overrides = _yaml(ov.static)
        out.provenance = {p: ProvenanceOut(layer=v.layer, fact=v.fact)
                          for p, v in ov.provenance.items()}
        out.version = ov.version
        out.chart_dir = str(ov.chart_dir)
        out.chart_version = ov.chart_version
        out.depends_on = list(ov.depends_on)
    return out.model_dump_json(exclude_none=True).encode()


@router.patch("/helm_charts/{name}", response_model=UserOverridesOut)
def update(name: str, namespace: Namespace, body: UpdateRequest, response: Response,
           svc: WriteService, if_match: IfMatch = None) -> UserOverridesOut:
    updated = svc.update(name, namespace, body, if_match=parse_if_match(if_match))
    response.headers["ETag"] = etag(updated.version)
    return UserOverridesOut(name=name, namespace=namespace, user_overrides=_yaml(updated.values))


@router.delete("/helm_charts/{name}", status_code=204, response_class=Response)
def delete(name: str, namespace: Namespace, svc: WriteService,
           if_match: IfMatch = None) -> Response:
    svc.delete(name, namespace, if_match=parse_if_match(if_match))
    return Response(status_code=204)


@router.get("/helm_charts/{name}/history", response_model=HistoryOut)
def history(name: str, namespace: Namespace, svc: ReadService) -> HistoryOut:
    return HistoryOut(
        name=name,
        namespace=namespace,
        revisions=[
            RevisionOut(revision=r.revision, actor=r.actor, at=r.at.isoformat(),
                        values=_yaml(r.values), diff=r.diff)
            for r in svc.history(name, namespace)
        ],
    )


@router.post("/helm_charts/{name}/rollback", response_model=UserOverridesOut)
def rollback(name: str, namespace: Namespace, body: RollbackIn, response: Response,
             svc: WriteService) -> UserOverridesOut:
    updated = svc.rollback(name, namespace, body.to)
    response.headers["ETag"] = etag(updated.version)
    return UserOverridesOut(name=name, namespace=namespace, user_overrides=_yaml(updated.values))


@router.post("/helm_charts/{name}/enable", response_model=EnabledOut)
def enable(name: str, namespace: Namespace, svc: WriteService) -> EnabledOut:
    svc.set_enabled(name, namespace, True)
    return EnabledOut(name=name, namespace=namespace, enabled=True)


@router.post("/helm_charts/{name}/disable", response_model=EnabledOut)
def disable(name: str, namespace: Namespace, svc: WriteService,
            cascade: Annotated[bool, Query(description="disable its dependents too")] = False,
            ) -> EnabledOut:
    svc.set_enabled(name, namespace, False, cascade=cascade)
    return EnabledOut(name=name, namespace=namespace, enabled=False)


@router.get("/helm_charts/{name}/effective", response_model=EffectiveOut)
def effective(name: str, namespace: Namespace, svc: ReadService, caller: Caller,
              reveal: Reveal = False) -> EffectiveOut:
    _check_reveal(reveal, caller)
    values = svc.effective(name, namespace, reveal=reveal)
    return EffectiveOut(name=name, namespace=namespace, effective_values=_yaml(values))


@router.get("/helm_charts/{name}/explain", response_model=ExplainOut)
def explain(name: str, namespace: Namespace, svc: ReadService,
            path: Annotated[str, Query(min_length=1, description="KEY.PATH")]) -> ExplainOut:
    e = svc.explain(name, namespace, path)
    return ExplainOut(name=name, namespace=namespace, path=e.path, layer=e.layer, fact=e.fact,
                      value=e.value)


@router.get("/overrides", response_model=ExportOut)
def export_overrides(svc: ReadService) -> ExportOut:
    doc = svc.export_user_overrides()
    return ExportOut(overrides=dump_yaml(doc))


@router.post("/overrides/import", response_model=ImportOut)
def import_overrides(body: ImportIn, svc: WriteService) -> ImportOut:
    doc = load_values(body.overrides, "overrides")
    return ImportOut(changed=svc.import_user_overrides(doc))


@router.get("/check", response_model=CheckOut)
def check(svc: ReadService) -> CheckOut:
    """Cross-chart agreement, computed on real values; secret differences read "differs"."""
    return CheckOut(problems=[
        InconsistencyOut(rule=i.rule, message=i.message,
                         a={"chart": i.a[0], "path": i.a[1]}, b={"chart": i.b[0], "path": i.b[1]})
        for i in svc.check()
    ])


@router.get("/endpoints", response_model=EndpointsOut)
def endpoints(svc: ReadService, chart: Annotated[str | None, Query()] = None,
              interface: Annotated[str | None, Query()] = None) -> EndpointsOut:
    """The keystone catalog the enabled charts will register."""
    if interface is not None and interface not in INTERFACES:
        raise UserError(f"interface {interface!r}: use one of {', '.join(INTERFACES)}")
    entries = svc.endpoints(chart, (interface,) if interface else INTERFACES)
    return EndpointsOut(endpoints=entries)


@router.get("/health", include_in_schema=False)
def health() -> dict[str, str]:
    return {"status": "ok"}

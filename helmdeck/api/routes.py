"""The ``/v1`` routes: thin translations between HTTP and the override service.

Endpoints are plain ``def`` because the service is synchronous SQLAlchemy; FastAPI runs them
in its thread pool (the dependencies that only look things up are ``async`` so a request
crosses into a thread once). Every value leaves redacted unless an admin asked for
``reveal``, which the service writes to the audit log before anything is sent. A chart's
redacted overrides are served from ``ShowCache`` while their inputs are unchanged.

Beside helmdeck's own shapes, StarlingX sysinv's, as its ``system`` client speaks them:
``/v1/apps[/{app}]``, ``/v1/helm_charts[/]?app_name=APP`` and
``/v1/helm_charts/{app}?name=CHART&namespace=NS``. On ``/v1/helm_charts/{name}`` the ``name``
query parameter tells the two apart: with it, the path names the application (sysinv's form),
without it the chart (helmdeck's). The sysinv forms answer 400 for every operator mistake, as
sysinv does; the ``system`` client prints any error's ``faultstring`` whatever its status.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Header, HTTPException, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import Discriminator, Tag

from helmdeck.api.auth import CHALLENGE, Principal, admin, reader
from helmdeck.api.cache import ShowCache
from helmdeck.api.models import (
    AppList,
    AppOut,
    ChartEntry,
    ChartList,
    ChartOverridesOut,
    CheckOut,
    EffectiveOut,
    EnabledOut,
    EndpointsOut,
    ErrorOut,
    ExplainOut,
    ExportOut,
    HistoryOut,
    ImportIn,
    ImportOut,
    InconsistencyOut,
    ProvenanceOut,
    RevisionOut,
    RollbackIn,
    SysinvChartEntry,
    SysinvChartList,
    SysinvChartOut,
    SysinvUpdateIn,
    SysinvUpdateOut,
    UserOverridesOut,
)
from helmdeck.endpoints.catalog import INTERFACES
from helmdeck.errors import DependentsError, NotFoundError, UserError
from helmdeck.overrides import ChartOverrides, Reapply, UpdateRequest
from helmdeck.overrides.service import reapply_note
from helmdeck.values.yamlio import dump_yaml, load_values

router = APIRouter(prefix="/v1")

Namespace = Annotated[str, Query(min_length=1, description="namespace of the chart's release")]
Reveal = Annotated[bool, Query(description="real secret values (admin only, audited)")]
IfMatch = Annotated[str | None, Header(
    description='The ETag of an earlier GET or PATCH: `"N"`, N being the version of the '
                'user overrides (`W/"N"` is read the same), or `*` for whatever is current. '
                "The write happens only if the version is still N, else 409; any other "
                "text is 400. Without it the write applies to the current version.")]
Armada = Annotated[bool, Query(
    description="the values for the release names Armada gives (`<application>-<release>`, "
                "its manifest's release_prefix being the application), as "
                "`helm-override-show --format armada` prints them")]
SysinvChart = Annotated[str | None, Query(
    alias="name", min_length=1,
    description="sysinv's form: the chart, the path segment then naming the application")]

_WHY = {
    400: "A bad input, named in the message with the fix (in sysinv's form, every "
         "operator mistake, as sysinv answers)",
    401: "No token, or one not recognised, revoked or expired",
    403: "The token's role may not do this (writes and reveal need an admin token)",
    404: "No such chart, namespace, application or revision",
    409: "If-Match names a version of the user overrides that is no longer current",
    413: "The request body is larger than the server accepts",
}
_ETAG = {"ETag": {"description": 'the user overrides\' version, `"N"`: send it as If-Match',
                  "schema": {"type": "string"}}}


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The error responses a route can give, for the OpenAPI document (each ``ErrorOut``)."""
    out: dict[int | str, dict[str, Any]] = {}
    for code in codes:
        out[code] = {"model": ErrorOut, "description": _WHY[code]}
        if code == 401:
            out[code]["headers"] = {"WWW-Authenticate": {
                "description": CHALLENGE, "schema": {"type": "string"}}}
    return out


def with_etag(responses: dict[int | str, dict[str, Any]]) -> dict[int | str, dict[str, Any]]:
    return {200: {"headers": _ETAG}, **responses}


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


def _sysinv_app(request: Request, svc: Any, app: str) -> None:
    """Enter sysinv's form (its errors are 400) and check the application it names."""
    request.state.sysinv = True
    if app != svc.app_name:
        raise UserError(f"application {app[:63]!r}: not found; this server's application "
                        f"is {svc.app_name}")


def _app_out(svc: Any) -> AppOut:
    st = svc.application_status()
    return AppOut(name=st.name, status=st.status, progress=st.progress, active=st.active,
                  charts=list(st.charts), reapply=list(st.reapply))


@router.get("/apps", response_model=AppList, responses=errors(400, 401))
def list_apps(svc: ReadService) -> AppList:
    """sysinv's application list: the one application this server manages."""
    return AppList(apps=[_app_out(svc)])


@router.get("/apps/{app}", response_model=AppOut, responses=errors(400, 401, 404))
def show_app(app: str, svc: ReadService) -> AppOut:
    """sysinv's application; the ``system`` client's ``helm-*`` commands read its name."""
    if app != svc.app_name:
        raise NotFoundError(f"application {app[:63]!r}: not found; this server's application "
                            f"is {svc.app_name}")
    return _app_out(svc)


@router.get("/helm_charts", response_model=ChartList | SysinvChartList,
            responses=errors(400, 401))
@router.get("/helm_charts/", response_model=ChartList | SysinvChartList, include_in_schema=False)
def list_charts(request: Request, svc: ReadService,
                app_name: Annotated[str | None, Query(
                    min_length=1, description="sysinv's form: one flag per namespace")] = None,
                ) -> ChartList | SysinvChartList:
    """The charts. With ``app_name`` (sysinv's form, also at ``/v1/helm_charts/``, as the
    ``system`` client sends it) ``enabled`` is a list with one flag per namespace."""
    if app_name is None:
        return ChartList(
            charts=[
                ChartEntry(name=c.name, namespaces=list(c.namespaces), enabled=c.enabled)
                for c in svc.list_charts()
            ]
        )
    _sysinv_app(request, svc, app_name)
    return SysinvChartList(charts=[
        SysinvChartEntry(name=c.name, namespaces=list(c.namespaces),
                         enabled=[c.enabled] * len(c.namespaces))
        for c in svc.list_charts()
    ])


@router.get("/helm_charts/{name}", response_model=ChartOverridesOut | SysinvChartOut,
            response_model_exclude_none=True,
            responses=with_etag(errors(400, 401, 403, 404)))
def show(name: str, namespace: Namespace, request: Request, svc: ReadService, caller: Caller,
         reveal: Reveal = False,
         full: Annotated[bool, Query(description="add static layer, provenance, chart")] = False,
         chart: SysinvChart = None, armada: Armada = False,
         ) -> Response:
    """A chart's overrides: ``/v1/helm_charts/{chart}?namespace=NS`` (helmdeck's form) or
    ``/v1/helm_charts/{app}?name=CHART&namespace=NS`` (sysinv's: empty layers are null, and
    ``attributes`` is YAML)."""
    _check_reveal(reveal, caller)
    form = "full" if full else "plain"
    if chart is not None:
        _sysinv_app(request, svc, name)
        if full:
            raise UserError("full: not with ?name= (sysinv's form); use "
                            "/v1/helm_charts/{chart}?namespace=NS&full=true")
        name, form = chart, "sysinv"
    if armada:
        svc = svc.as_armada()
    if reveal:
        ov = svc.get(name, namespace, reveal=True)
        return _json(_show_body(ov, form), etag(ov.version))
    cache: ShowCache = request.app.state.show_cache
    slot = (name, namespace, f"{form}+armada" if armada else form)
    hit = cache.lookup(slot, svc.cache_key(name, namespace))
    if hit is not None:
        return _json(*hit)
    ov, key = svc.get_keyed(name, namespace)
    body, tag = _show_body(ov, form), etag(ov.version)
    if key is not None:
        cache.store(slot, key, body, tag)
    return _json(body, tag)


def _json(body: bytes, tag: str) -> Response:
    return Response(content=body, media_type="application/json", headers={"ETag": tag})


def _or_null(values: dict[str, Any]) -> str | None:
    return dump_yaml(values) if values else None


def _show_body(ov: ChartOverrides, form: str) -> bytes:
    if form == "sysinv":
        return SysinvChartOut(
            name=ov.name,
            namespace=ov.namespace,
            attributes=dump_yaml({"enabled": ov.enabled}),
            system_overrides=_or_null(ov.system),
            user_overrides=_or_null(ov.user),
            combined_overrides=_or_null(ov.combined),
        ).model_dump_json().encode()
    full = form == "full"
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
        out.enabled = ov.enabled
        out.wait, out.timeout = ov.wait, ov.timeout
    return out.model_dump_json(exclude_none=True).encode()


_SYSINV_KEYS = frozenset({"flags", "attributes"})


def _body_form(body: Any) -> str:
    """Which PATCH body this is: sysinv's has ``flags`` or ``attributes``, helmdeck's not."""
    if isinstance(body, dict):
        return "sysinv" if _SYSINV_KEYS & body.keys() else "helmdeck"
    return "sysinv" if isinstance(body, SysinvUpdateIn) else "helmdeck"


PatchBody = Annotated[
    Annotated[UpdateRequest, Tag("helmdeck")] | Annotated[SysinvUpdateIn, Tag("sysinv")],
    Discriminator(_body_form),
    Body(description="helmdeck's body (flag, values, ...) on /v1/helm_charts/{chart}; "
                     "sysinv's (flags, values, attributes) with ?name=CHART"),
]


@router.patch("/helm_charts/{name}", response_model=UserOverridesOut | SysinvUpdateOut,
              response_model_exclude_none=True,
              responses=with_etag(errors(400, 401, 403, 404, 409, 413)))
def update(name: str, namespace: Namespace, body: PatchBody, request: Request,
           response: Response, svc: WriteService, if_match: IfMatch = None,
           chart: SysinvChart = None) -> Any:
    """Change a chart's user overrides (or, in sysinv's form, its ``enabled`` attribute).

    Without a flag the inputs replace the user overrides (reset), as in StarlingX. A
    ``reapply`` marks the chart (``application``/``reapply_all``: every chart) for the next
    ``helmdeck apply``, which then applies it even if nothing changed.
    """
    version = parse_if_match(if_match)
    if chart is None:
        if isinstance(body, SysinvUpdateIn):
            raise UserError("flags/attributes: sysinv's body goes with its form, PATCH "
                            "/v1/helm_charts/{app}?name=CHART&namespace=NS; this form takes "
                            "helmdeck's body, {\"flag\": \"reuse\"|\"reset\", \"values\": ...}")
        updated = svc.update(name, namespace, body, if_match=version)
        response.headers["ETag"] = etag(updated.version)
        note = reapply_note(updated.reapply, name, namespace, svc.app_name)
        return UserOverridesOut(name=name, namespace=namespace,
                                user_overrides=_yaml(updated.values), reapply=note)
    _sysinv_app(request, svc, name)
    if isinstance(body, UpdateRequest):
        given = body.model_fields_set - {"values"}
        if given:
            raise UserError(f"{', '.join(sorted(given))}: helmdeck's body goes to PATCH "
                            "/v1/helm_charts/{chart}?namespace=NS; with ?name= send sysinv's "
                            "flags (reuse_values, reset_values, reapply, reapply_all)")
        body = SysinvUpdateIn.model_validate(body.model_dump(exclude_unset=True))
    return _sysinv_update(svc, chart, namespace, body, version)


def _sysinv_update(svc: Any, chart: str, namespace: str, body: SysinvUpdateIn,
                   if_match: int | None) -> JSONResponse:
    """sysinv's PATCH mapped onto the service: ``values`` with any key is an override update
    (reset unless ``reuse_values``), ``attributes.enabled`` enables or disables the chart."""
    flags, values = body.flags, body.values
    if flags.reuse_values and flags.reset_values and "reset_values" in flags.model_fields_set:
        raise UserError("flags: reuse_values and reset_values cannot both be true; "
                        "give one (--reuse-values or --reset-values)")
    if flags.reapply and flags.reapply_all:
        raise UserError("flags: reapply and reapply_all cannot both be true; give one")
    reapply: Reapply | None = ("application" if flags.reapply_all
                               else "chart" if flags.reapply else None)
    change_values = bool(values.model_fields_set)
    enabled = body.attributes.enabled
    if change_values and enabled is not None:
        raise UserError("values and attributes: change them in two requests "
                        "(helm-override-update, then helm-chart-attribute-modify)")
    out = SysinvUpdateOut(name=chart, namespace=namespace)
    headers: dict[str, str] = {}
    if enabled is not None:
        try:
            svc.set_enabled(chart, namespace, enabled)
        except DependentsError as e:
            raise e.attribute_modify(svc.app_name) from None
        out.attributes = {"enabled": enabled}
    if change_values or reapply is not None:
        request = UpdateRequest.of(
            flag="reuse" if flags.reuse_values or not change_values else "reset",
            files=values.files, set=values.set, set_string=values.set_string,
            set_json=values.set_json, reapply=reapply)
        updated = svc.update(chart, namespace, request, if_match=if_match)
        headers["ETag"] = etag(updated.version)
        if request.has_values:
            out.user_overrides = _or_null(updated.values)
        out.reapply = reapply_note(updated.reapply, chart, namespace, svc.app_name)
    elif enabled is None:
        svc.cache_key(chart, namespace)  # nothing to change: still refuse an unknown chart
    return JSONResponse(out.model_dump(exclude_none=True), headers=headers)


@router.delete("/helm_charts/{name}", status_code=204, response_class=Response,
               responses=errors(400, 401, 403, 404, 409))
def delete(name: str, namespace: Namespace, request: Request, svc: WriteService,
           if_match: IfMatch = None, chart: SysinvChart = None) -> Response:
    """Delete a chart's user overrides: ``/v1/helm_charts/{chart}?namespace=NS`` or sysinv's
    ``/v1/helm_charts/{app}?name=CHART&namespace=NS``."""
    if chart is not None:
        _sysinv_app(request, svc, name)
        name = chart
    svc.delete(name, namespace, if_match=parse_if_match(if_match))
    return Response(status_code=204)


@router.get("/helm_charts/{name}/history", response_model=HistoryOut,
            responses=errors(400, 401, 404))
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


@router.post("/helm_charts/{name}/rollback", response_model=UserOverridesOut,
             responses=with_etag(errors(400, 401, 403, 404, 413)))
def rollback(name: str, namespace: Namespace, body: RollbackIn, response: Response,
             svc: WriteService) -> UserOverridesOut:
    updated = svc.rollback(name, namespace, body.to)
    response.headers["ETag"] = etag(updated.version)
    return UserOverridesOut(name=name, namespace=namespace, user_overrides=_yaml(updated.values))


@router.post("/helm_charts/{name}/enable", response_model=EnabledOut,
             responses=errors(400, 401, 403, 404))
def enable(name: str, namespace: Namespace, svc: WriteService) -> EnabledOut:
    svc.set_enabled(name, namespace, True)
    return EnabledOut(name=name, namespace=namespace, enabled=True)


@router.post("/helm_charts/{name}/disable", response_model=EnabledOut,
             responses=errors(400, 401, 403, 404))
def disable(name: str, namespace: Namespace, svc: WriteService,
            cascade: Annotated[bool, Query(description="disable its dependents too")] = False,
            ) -> EnabledOut:
    svc.set_enabled(name, namespace, False, cascade=cascade)
    return EnabledOut(name=name, namespace=namespace, enabled=False)


@router.get("/helm_charts/{name}/effective", response_model=EffectiveOut,
            responses=errors(400, 401, 403, 404))
def effective(name: str, namespace: Namespace, svc: ReadService, caller: Caller,
              reveal: Reveal = False, armada: Armada = False) -> EffectiveOut:
    _check_reveal(reveal, caller)
    if armada:
        svc = svc.as_armada()
    values = svc.effective(name, namespace, reveal=reveal)
    return EffectiveOut(name=name, namespace=namespace, effective_values=_yaml(values))


@router.get("/helm_charts/{name}/explain", response_model=ExplainOut,
            responses=errors(400, 401, 404))
def explain(name: str, namespace: Namespace, svc: ReadService,
            path: Annotated[str, Query(min_length=1, description="KEY.PATH")]) -> ExplainOut:
    e = svc.explain(name, namespace, path)
    return ExplainOut(name=name, namespace=namespace, path=e.path, layer=e.layer, fact=e.fact,
                      value=e.value)


@router.get("/overrides", response_model=ExportOut, responses=errors(400, 401))
def export_overrides(svc: ReadService) -> ExportOut:
    doc = svc.export_user_overrides()
    return ExportOut(overrides=dump_yaml(doc))


@router.post("/overrides/import", response_model=ImportOut,
             responses=errors(400, 401, 403, 404, 413))
def import_overrides(body: ImportIn, svc: WriteService) -> ImportOut:
    doc = load_values(body.overrides, "overrides")
    return ImportOut(changed=svc.import_user_overrides(doc))


@router.get("/check", response_model=CheckOut, responses=errors(400, 401))
def check(svc: ReadService) -> CheckOut:
    """Cross-chart agreement, computed on real values; secret differences read "differs"."""
    return CheckOut(problems=[
        InconsistencyOut(rule=i.rule, message=i.message,
                         a={"chart": i.a[0], "path": i.a[1]}, b={"chart": i.b[0], "path": i.b[1]})
        for i in svc.check()
    ])


@router.get("/endpoints", response_model=EndpointsOut, responses=errors(400, 401, 404))
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

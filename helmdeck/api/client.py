"""``RemoteOverrideService``: the override service API spoken over HTTP to ``helmdeck serve``.

It has the methods of ``helmdeck.overrides.OverrideService`` that the commands use, taking
and returning the same types, so ``get_service()`` can hand either to the CLI and the output
is the same. The server redacts, and audits a reveal; cross-chart ``check`` and
``endpoints`` are computed by the server on real values. Errors come back as the server's
one-line ``detail`` in the same exception classes the local service raises.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from helmdeck.check import Inconsistency
from helmdeck.endpoints.catalog import INTERFACES, CatalogEntry
from helmdeck.errors import ConflictError, DependentsError, NotFoundError, UserError
from helmdeck.overrides import (
    ApplicationStatus,
    ChartInfo,
    ChartOverrides,
    Explanation,
    Updated,
    UpdateRequest,
)
from helmdeck.overrides.layers import Provenance
from helmdeck.plugins.secrets import SecretPaths
from helmdeck.store.user_overrides import Revision
from helmdeck.values.yamlio import dump_yaml, load_values

DEFAULT_TIMEOUT = 60.0

_ERRORS: dict[int, type[UserError]] = {404: NotFoundError, 409: ConflictError}


class RemoteOverrideService:
    """The override service of the server at ``url``, authenticated with ``token``."""

    def __init__(
        self,
        url: str,
        token: str | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self._app_name: str | None = None
        self._armada: dict[str, str] = {}
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._http = httpx.Client(
            base_url=self.url, headers=headers, timeout=timeout, transport=transport
        )

    @property
    def secret_paths(self) -> SecretPaths:
        """The shared patterns: the server redacts its plugins' declared paths before sending,
        and what arrives redacted counts as secret wherever it is (``redact.split_secrets``)."""
        return SecretPaths()

    def as_armada(self) -> RemoteOverrideService:
        """The server's values for the release names Armada gives (``?armada=true``)."""
        other = copy.copy(self)
        other._armada = {"armada": "true"}
        return other

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> RemoteOverrideService:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- reads ---------------------------------------------------------------------------------

    @property
    def app_name(self) -> str:
        """The server's application (read once)."""
        if self._app_name is None:
            self._app_name = self.application_status().name
        return self._app_name

    def application_status(self) -> ApplicationStatus:
        body = self._call("GET", "/v1/apps").json()["apps"][0]
        return ApplicationStatus(body["name"], body["status"], body["progress"], body["active"],
                                 tuple(body["charts"]), tuple(body["reapply"]))

    def list_charts(self) -> list[ChartInfo]:
        body = self._call("GET", "/v1/helm_charts").json()
        return [ChartInfo(c["name"], list(c["namespaces"]), c["enabled"]) for c in body["charts"]]

    def get(self, chart: str, namespace: str, *, reveal: bool = False) -> ChartOverrides:
        params = {"namespace": namespace, "full": "true", **_reveal(reveal), **self._armada}
        body = self._call("GET", _chart_path(chart), params=params).json()
        return ChartOverrides(
            name=body["name"],
            namespace=body["namespace"],
            release=body["release"],
            static=_values(body["static_overrides"]),
            system=_values(body["system_overrides"]),
            user=_values(body["user_overrides"]),
            combined=_values(body["combined_overrides"]),
            provenance={
                path: Provenance(p["layer"], p["fact"]) for path, p in body["provenance"].items()
            },
            version=body["version"],
            chart_dir=Path(body["chart_dir"]),
            chart_version=body["chart_version"],
            depends_on=tuple(body["depends_on"]),
            enabled=body.get("enabled", True),
            wait=body.get("wait", True),
            timeout=body.get("timeout"),
        )

    def effective(self, chart: str, namespace: str, *, reveal: bool = False) -> dict[str, Any]:
        params = {"namespace": namespace, **_reveal(reveal), **self._armada}
        body = self._call("GET", _chart_path(chart, "effective"), params=params).json()
        return _values(body["effective_values"])

    def explain(self, chart: str, namespace: str, path: str) -> Explanation:
        params = {"namespace": namespace, "path": path}
        body = self._call("GET", _chart_path(chart, "explain"), params=params).json()
        return Explanation(body["path"], body["layer"], body["fact"], body["value"])

    def history(self, chart: str, namespace: str) -> list[Revision]:
        params = {"namespace": namespace}
        body = self._call("GET", _chart_path(chart, "history"), params=params).json()
        return [
            Revision(
                revision=r["revision"],
                actor=r["actor"],
                at=datetime.fromisoformat(r["at"]),
                values=_values(r["values"]),
                diff=r["diff"],
            )
            for r in body["revisions"]
        ]

    def export_user_overrides(self) -> dict[str, Any]:
        return _values(self._call("GET", "/v1/overrides").json()["overrides"])

    def check(self) -> list[Inconsistency]:
        body = self._call("GET", "/v1/check").json()
        return [Inconsistency(p["rule"], p["message"], (p["a"]["chart"], p["a"]["path"]),
                              (p["b"]["chart"], p["b"]["path"])) for p in body["problems"]]

    def endpoints(self, chart: str | None = None,
                  interfaces: Sequence[str] = INTERFACES) -> list[CatalogEntry]:
        params = {k: v for k, v in (("chart", chart),
                                    ("interface", interfaces[0] if len(interfaces) == 1 else None))
                  if v is not None}
        body = self._call("GET", "/v1/endpoints", params=params).json()
        return [CatalogEntry(**e) for e in body["endpoints"]]

    # --- writes --------------------------------------------------------------------------------

    def update(self, chart: str, namespace: str, request: UpdateRequest, *,
               if_match: int | None = None) -> Updated:
        response = self._call(
            "PATCH", _chart_path(chart), params={"namespace": namespace},
            json=request.model_dump(exclude_none=True), headers=_if_match(if_match),
        )
        body = response.json()
        return Updated(_values(body["user_overrides"]), _version(response),
                       reapply=request.reapply if body.get("reapply") else None)

    def delete(self, chart: str, namespace: str, *, if_match: int | None = None) -> None:
        self._call("DELETE", _chart_path(chart), params={"namespace": namespace},
                   headers=_if_match(if_match))

    def set_enabled(self, chart: str, namespace: str, enabled: bool, *,
                    cascade: bool = False) -> list[str]:
        action = "enable" if enabled else "disable"
        params = {"namespace": namespace, **({"cascade": "true"} if cascade else {})}
        self._call("POST", _chart_path(chart, action), params=params)
        return [chart]

    def rollback(self, chart: str, namespace: str, to: int) -> Updated:
        response = self._call("POST", _chart_path(chart, "rollback"),
                              params={"namespace": namespace}, json={"to": to})
        return Updated(_values(response.json()["user_overrides"]), _version(response))

    def import_user_overrides(self, doc: dict[str, Any]) -> int:
        body = self._call("POST", "/v1/overrides/import", json={"overrides": dump_yaml(doc)})
        changed: int = body.json()["changed"]
        return changed

    # --- plumbing ------------------------------------------------------------------------------

    def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise UserError(
                f"{self.url}: cannot reach the server ({type(exc).__name__}: {exc}); "
                "is `helmdeck serve` running there? check --url / HELMDECK_URL"
            ) from None
        if response.is_success:
            return response
        detail = _detail(response)
        dependents = _dependents(response)
        if dependents is not None:
            raise dependents
        if response.status_code == 401:
            raise UserError(f"{self.url}: {detail}; set HELMDECK_TOKEN to a valid token")
        raise _ERRORS.get(response.status_code, UserError)(detail)


def _reveal(reveal: bool) -> dict[str, str]:
    return {"reveal": "true"} if reveal else {}


def _chart_path(chart: str, action: str | None = None) -> str:
    path = f"/v1/helm_charts/{quote(chart, safe='')}"
    return f"{path}/{action}" if action else path


def _values(text: str) -> dict[str, Any]:
    return load_values(text, "server response")


def _version(response: httpx.Response) -> int:
    return int(response.headers["ETag"].removeprefix("W/").strip('"'))


def _if_match(version: int | None) -> dict[str, str]:
    return {"If-Match": f'"{version}"'} if version is not None else {}


def _dependents(response: httpx.Response) -> DependentsError | None:
    """The server's refusal to disable a chart others need, as the local service raises it."""
    try:
        found = response.json().get("dependents")
        return DependentsError(str(found["chart"]), str(found["namespace"]),
                               [str(b) for b in found["blockers"]]) if found else None
    except (ValueError, AttributeError, KeyError, TypeError):
        return None


def _detail(response: httpx.Response) -> str:
    """The server's one-line error, or the status line when the body is not ours."""
    try:
        detail = response.json().get("detail")
    except (ValueError, AttributeError):
        detail = None
    if isinstance(detail, str) and detail:
        return detail
    return f"HTTP {response.status_code} {response.reason_phrase} from {response.url.path}"

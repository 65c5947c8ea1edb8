"""``RemoteOverrideService``: the override service API spoken over HTTP to ``helmdeck serve``.

It has the methods of ``helmdeck.overrides.service.OverrideService`` that the override
commands use, so ``get_service()`` can hand either to the CLI and the output is the same. The
server redacts: values arrive with ``<redacted>`` in every secret path, unless
``audit_reveal`` was called first, in which case the next read of that chart asks for the real
values and the server (not this client) writes the audit entry. Errors come back as the
server's one-line ``detail`` in the same exception classes the local service raises.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

import httpx

from helmdeck.errors import ConflictError, NotFoundError, UserError
from helmdeck.overrides.layers import Provenance
from helmdeck.overrides.service import ChartInfo, ChartOverrides
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
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._http = httpx.Client(
            base_url=self.url, headers=headers, timeout=timeout, transport=transport
        )
        self._reveal: set[tuple[str, str]] = set()

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> RemoteOverrideService:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- reads ---------------------------------------------------------------------------------

    def list_charts(self) -> list[ChartInfo]:
        body = self._call("GET", "/v1/helm_charts").json()
        return [ChartInfo(c["name"], list(c["namespaces"]), c["enabled"]) for c in body["charts"]]

    def get(self, chart: str, namespace: str) -> ChartOverrides:
        params = {"namespace": namespace, "full": "true", **self._reveal_param(chart, namespace)}
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
        )

    def effective(self, chart: str, namespace: str) -> dict[str, Any]:
        params = {"namespace": namespace, **self._reveal_param(chart, namespace)}
        body = self._call("GET", _chart_path(chart, "effective"), params=params).json()
        return _values(body["effective_values"])

    def explain(self, chart: str, namespace: str, path: str) -> Provenance:
        params = {"namespace": namespace, "path": path}
        body = self._call("GET", _chart_path(chart, "explain"), params=params).json()
        return Provenance(body["layer"], body["fact"])

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

    def audit_reveal(self, chart: str, namespace: str) -> None:
        """Make the next reads of this chart ask for real values; the server audits them."""
        self._reveal.add((chart, namespace))

    # --- writes --------------------------------------------------------------------------------

    def update(
        self,
        chart: str,
        namespace: str,
        *,
        flag: Literal["reuse", "reset"],
        files: Sequence[str] = (),
        set: Sequence[str] = (),
        set_string: Sequence[str] = (),
        set_json: Sequence[str] = (),
        if_match: int | None = None,
        force: bool = False,
        render_check: bool = False,
    ) -> tuple[dict[str, Any], int]:
        body = {
            "flag": flag,
            "values": {
                "files": list(files),
                "set": list(set),
                "set_string": list(set_string),
                "set_json": list(set_json),
            },
            "force": force,
            "render_check": render_check,
        }
        response = self._call(
            "PATCH", _chart_path(chart), params={"namespace": namespace}, json=body,
            headers=_if_match(if_match),
        )
        return _values(response.json()["user_overrides"]), _version(response)

    def delete(self, chart: str, namespace: str, *, if_match: int | None = None) -> None:
        self._call("DELETE", _chart_path(chart), params={"namespace": namespace},
                   headers=_if_match(if_match))

    def set_enabled(self, chart: str, namespace: str, enabled: bool) -> None:
        action = "enable" if enabled else "disable"
        self._call("POST", _chart_path(chart, action), params={"namespace": namespace})

    def rollback(self, chart: str, namespace: str, to: int) -> tuple[dict[str, Any], int]:
        response = self._call("POST", _chart_path(chart, "rollback"),
                              params={"namespace": namespace}, json={"to": to})
        return _values(response.json()["user_overrides"]), _version(response)

    def import_user_overrides(self, doc: dict[str, Any]) -> int:
        body = self._call("POST", "/v1/overrides/import", json={"overrides": dump_yaml(doc)})
        changed: int = body.json()["changed"]
        return changed

    # --- plumbing ------------------------------------------------------------------------------

    def _reveal_param(self, chart: str, namespace: str) -> dict[str, str]:
        return {"reveal": "true"} if (chart, namespace) in self._reveal else {}

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
        if response.status_code == 401:
            raise UserError(f"{self.url}: {detail}; set HELMDECK_TOKEN to a valid token")
        raise _ERRORS.get(response.status_code, UserError)(detail)


def _chart_path(chart: str, action: str | None = None) -> str:
    path = f"/v1/helm_charts/{quote(chart, safe='')}"
    return f"{path}/{action}" if action else path


def _values(text: str) -> dict[str, Any]:
    return load_values(text, "server response")


def _version(response: httpx.Response) -> int:
    return int(response.headers["ETag"].removeprefix("W/").strip('"'))


def _if_match(version: int | None) -> dict[str, str]:
    return {"If-Match": f'"{version}"'} if version is not None else {}


def _detail(response: httpx.Response) -> str:
    """The server's one-line error, or the status line when the body is not ours."""
    try:
        detail = response.json().get("detail")
    except (ValueError, AttributeError):
        detail = None
    if isinstance(detail, str) and detail:
        return detail
    return f"HTTP {response.status_code} {response.reason_phrase} from {response.url.path}"

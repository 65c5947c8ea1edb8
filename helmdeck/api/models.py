"""Response bodies of the REST API; requests are the override service's own models.

Values travel as YAML strings, as StarlingX's API does: they keep Helm's types exactly
(``helmdeck.values.yamlio`` reads back what it dumps), and a person reading a response sees
the same text the CLI shows. Unknown request fields are refused so a typo is not ignored.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from helmdeck.endpoints.catalog import CatalogEntry


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ChartEntry(BaseModel):
    name: str
    namespaces: list[str]
    enabled: bool


class ChartList(BaseModel):
    charts: list[ChartEntry]


class ProvenanceOut(BaseModel):
    layer: Literal["static", "system", "user"]
    fact: str


class ChartOverridesOut(BaseModel):
    name: str
    namespace: str
    system_overrides: str
    user_overrides: str
    combined_overrides: str
    # Only with ?full=true (what the remote CLI needs to print exactly what the local one does).
    release: str | None = None
    static_overrides: str | None = None
    provenance: dict[str, ProvenanceOut] | None = None
    version: int | None = None
    chart_dir: str | None = None
    chart_version: str | None = None
    depends_on: list[str] | None = None


class UserOverridesOut(BaseModel):
    name: str
    namespace: str
    user_overrides: str


class EnabledOut(BaseModel):
    name: str
    namespace: str
    enabled: bool


class EffectiveOut(BaseModel):
    name: str
    namespace: str
    effective_values: str


class ExplainOut(BaseModel):
    name: str
    namespace: str
    path: str
    layer: Literal["static", "system", "user"]
    fact: str
    value: Any = Field(description="the value (redacted if it is a secret)")


class InconsistencyOut(BaseModel):
    rule: str
    message: str
    a: dict[str, str]
    b: dict[str, str]


class CheckOut(BaseModel):
    problems: list[InconsistencyOut]


class EndpointsOut(BaseModel):
    endpoints: list[CatalogEntry]


class RevisionOut(BaseModel):
    revision: int
    actor: str
    at: str
    values: str
    diff: str


class HistoryOut(BaseModel):
    name: str
    namespace: str
    revisions: list[RevisionOut]


class RollbackIn(_Strict):
    to: int = Field(ge=1, le=2**31 - 1)


class ExportOut(BaseModel):
    overrides: str = Field(description="one section per chart or chart@namespace, as YAML")


class ImportIn(_Strict):
    overrides: str = Field(description="a document as written by GET /v1/overrides")


class ImportOut(BaseModel):
    changed: int

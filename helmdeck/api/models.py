"""Bodies of the REST API: helmdeck's own (requests are the override service's models) and
StarlingX sysinv's, as its ``system`` client sends and reads them.

Values travel as YAML strings, as StarlingX's API does: they keep Helm's types exactly
(``helmdeck.values.yamlio`` reads back what it dumps), and a person reading a response sees
the same text the CLI shows. Unknown request fields are refused so a typo is not ignored.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from helmdeck.endpoints.catalog import CatalogEntry
from helmdeck.overrides import ValuesInput


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
    enabled: bool | None = None
    wait: bool | None = Field(default=None, description="whether the rollout waits for it")
    timeout: int | None = Field(default=None, description="the rollout's timeout, seconds")


class UserOverridesOut(BaseModel):
    name: str
    namespace: str
    user_overrides: str
    reapply: str | None = Field(default=None, description="what was marked for the next apply")


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


class DependentsOut(BaseModel):
    chart: str
    namespace: str
    blockers: list[str] = Field(description="the enabled charts that depend on it")


class ErrorOut(BaseModel):
    detail: str = Field(description="one line naming the input and what is wrong")
    error_message: str = Field(
        description='the same line as sysinv sends it: a JSON string holding '
                    '{"faultcode", "faultstring", "debuginfo"}')
    dependents: DependentsOut | None = Field(
        None, description="when disabling a chart is refused: what depends on it (so a "
                          "client can say which of its own commands disable them)")


# --- StarlingX sysinv's shapes ------------------------------------------------------------------


class AppOut(BaseModel):
    """The application (sysinv's ``kube_app``): its name is what the ``system`` client needs."""

    name: str
    status: str = Field(description="uploaded, applied or apply-failed, from the recorded applies")
    progress: str
    active: bool = Field(description="whether any enabled release has been applied")
    charts: list[str] = Field(description="the enabled charts, in rollout order")
    reapply: list[str] = Field(description="enabled charts the next apply will apply again")


class AppList(BaseModel):
    apps: list[AppOut]


class SysinvChartEntry(BaseModel):
    name: str
    namespaces: list[str]
    enabled: list[bool] = Field(description="one flag per namespace, as sysinv sends it")


class SysinvChartList(BaseModel):
    charts: list[SysinvChartEntry]


class SysinvChartOut(BaseModel):
    """``GET /v1/helm_charts/{app}?name=CHART&namespace=NS``: YAML strings, null when empty."""

    name: str
    namespace: str
    attributes: str | None = Field(description='YAML: "enabled: true" or "enabled: false"')
    system_overrides: str | None
    user_overrides: str | None
    combined_overrides: str | None


class SysinvFlags(_Strict):
    reuse_values: bool = False
    reset_values: bool = Field(default=True,
                               description="the default: replace the user overrides")
    reapply: bool = Field(default=False, description="mark the chart for the next apply")
    reapply_all: bool = Field(default=False,
                              description="mark every chart for the next apply")


class SysinvAttributes(_Strict):
    enabled: bool | None = Field(default=None, description='"true" or "false" (a string, as '
                                 "the client sends it) or a JSON bool")


class SysinvUpdateIn(_Strict):
    """The PATCH body of ``system helm-override-update`` and ``helm-chart-attribute-modify``.

    ``values`` with any key changes the user overrides (``reset_values`` unless
    ``reuse_values``); ``values: {}`` leaves them alone, as for an attribute change.
    """

    flags: SysinvFlags = Field(default_factory=SysinvFlags)
    values: ValuesInput = Field(default_factory=ValuesInput)
    attributes: SysinvAttributes = Field(default_factory=SysinvAttributes)


class SysinvUpdateOut(BaseModel):
    name: str
    namespace: str
    user_overrides: str | None = Field(default=None,
                                       description="only when values were given")
    attributes: dict[str, bool] | None = Field(default=None,
                                               description="only when attributes were given")
    reapply: str | None = Field(default=None, description="what was marked for the next apply")

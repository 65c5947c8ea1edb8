"""The write gate: every check a change of user overrides must pass before it is stored.

User overrides may not touch secrets (at, under or over a secret path, whatever the type),
must keep the chart's map/scalar shape where the chart has a value, must satisfy the chart's
``values.schema.json``, must not introduce a cross-chart disagreement (unless forced) and,
when asked, must still render.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from helmdeck.check import check_consistency
from helmdeck.errors import UserError
from helmdeck.helm import validate_schema
from helmdeck.overrides.context import Contexts, Layers, SiteContext
from helmdeck.overrides.redact import redact_text
from helmdeck.overrides.rendering import render_safely
from helmdeck.plugin import ChartRef
from helmdeck.plugins.secrets import SecretPaths
from helmdeck.store.user_overrides import list_user_overrides
from helmdeck.values import tree
from helmdeck.values.merge import coalesce
from helmdeck.values.paths import format_path

Path = tuple[str | int, ...]


class WriteGate:
    """Checks candidate user overrides (chart → values) against everything they could break."""

    def __init__(self, contexts: Contexts) -> None:
        self.contexts = contexts

    @property
    def paths(self) -> SecretPaths:
        return self.contexts.plugins.secret_paths

    def check(self, s: Session, ctx: SiteContext, new: Mapping[str, dict[str, Any]], *,
              consistency: bool) -> None:
        """Refuse (UserError, one line) user overrides that touch secrets or break a chart.

        Consistency compares before and after and refuses only what the change introduces,
        so an existing disagreement elsewhere does not block unrelated updates.
        """
        combined: dict[str, dict[str, Any]] = {}
        for chart, values in new.items():
            ref = ctx.refs[chart]
            layers = self.contexts.layers(ctx, ref)
            refuse_secret_paths(ref, values, layers, self.paths)
            lower = layers.lower()
            refuse_type_clashes(ref, values, lower, layers.base.defaults)
            combined[chart] = layers.combined(values)
            if (layers.base.chart_dir / "values.schema.json").is_file():
                effective = coalesce(layers.base.defaults, combined[chart])
                try:
                    validate_schema(layers.base.chart_dir, effective)
                except UserError as exc:
                    raise one_line(ref, exc, ctx.secrets) from None
        if consistency and new:
            self._check_consistency(s, ctx, combined)

    def render_check(self, ctx: SiteContext, ref: ChartRef, user: dict[str, Any]) -> None:
        """Refuse user overrides the chart no longer renders with (Helm's own render)."""
        layers = self.contexts.layers(ctx, ref)
        try:
            render_safely(layers.base.chart_dir, layers.combined(user), release=ref.release,
                          namespace=ref.namespace, paths=self.paths)
        except UserError as exc:
            raise one_line(ref, exc, ctx.secrets) from None

    def _check_consistency(
        self, s: Session, ctx: SiteContext, changed: dict[str, dict[str, Any]]
    ) -> None:
        stored = {(c, n): v for c, n, v, _ in list_user_overrides(s)}
        before: dict[str, dict[str, Any]] = {}
        for chart in sorted(ctx.enabled | changed.keys()):
            ref = ctx.refs[chart]
            user = stored.get((chart, ref.namespace), {})
            before[chart] = self.contexts.layers(ctx, ref).combined(user)
        after = {**before, **changed}
        releases = {c: r.release for c, r in ctx.refs.items()}
        plugins = self.contexts.plugins

        def run(values: dict[str, dict[str, Any]]) -> set[tuple[Any, ...]]:
            return {(i.rule, i.a, i.b, i.message) for i in check_consistency(
                values, releases=releases, catalog=plugins.catalog, paths=plugins.secret_paths)}

        old = {key[:3] for key in run(before)}
        for rule, a, b, message in sorted(run(after)):
            if (rule, a, b) not in old and (a[0] in changed or b[0] in changed):
                raise UserError(
                    f"{message}; the change would break cross-chart consistency: "
                    "make the charts agree, or pass --force"
                )


def one_line(ref: ChartRef, exc: UserError, secrets: Mapping[str, str]) -> UserError:
    """Helm's multi-line message as one line, without any secret value it may quote."""
    text = " ".join(str(exc).split()).removeprefix(f"{ref.chart}: ")
    return type(exc)(f"{ref.chart} {ref.namespace}: {redact_text(text, secrets.values())}")


def _secret_name(fact: str | None) -> str:
    if fact and fact.startswith("secret: "):
        return fact.removeprefix("secret: ").split()[0]
    return "NAME"


def refuse_secret_paths(ref: ChartRef, user: dict[str, Any], layers: Layers,
                        paths: SecretPaths) -> None:
    """A user value may sit neither at, under nor over a secret path, whatever its type.

    At: ``...password=x``. Under: ``...password.sub=1`` or a map at the password (the value
    would replace the generated secret). Over: a value at a key above a generated secret
    (``...auth.admin=x`` replaces the map holding the password).
    """
    # Every prefix of a generated secret's path: a user leaf there would replace it.
    above = {p[:n]: p for p, _ in tree.leaves(layers.system) if paths.is_secret(p)
             for n in range(1, len(p) + 1)}
    matcher = paths.all
    for parts, _ in tree.leaves(user):
        state, at_or_under = matcher.start, None
        for n, part in enumerate(parts, 1):
            state = matcher.step(state, part)
            if matcher.accepts(state):
                at_or_under = parts[:n]
                break
        target = at_or_under or above.get(parts)
        if target is not None:
            name = _secret_name(layers.system_facts.get(format_path(target)))
            raise UserError(
                f"{ref.chart} {ref.namespace}: {format_path(parts)}: holds a secret; user "
                f"overrides cannot set it, use `helmdeck secret set {name}` instead"
            )


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "map"
    if isinstance(value, list):
        return "list"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return "string"


def refuse_type_clashes(ref: ChartRef, user: dict[str, Any], lower: dict[str, Any],
                        defaults: dict[str, Any]) -> None:
    """Refuse a map where the chart has a scalar or list, or the other way round.

    Helm cannot coalesce those ("cannot overwrite table with non table") and every later
    render fails; caught here, the path and both types are named at once. A null deletes
    and is always allowed.
    """
    for parts, value in tree.leaves(user):
        for n in range(1, len(parts) + 1):
            prefix: Path = parts[:n]
            mine = value if n == len(parts) else {}
            if mine is None:
                break
            source = lower if tree.has(lower, prefix) else defaults
            base = tree.get(source, prefix, None)
            if base is None:
                break
            if isinstance(mine, dict) != isinstance(base, dict) and (mine or base):
                keys = ", ".join(sorted(map(str, base))[:3]) if isinstance(base, dict) else ""
                hint = f" ({keys}{', ...' if len(base) > 3 else ''})" if keys else ""
                raise UserError(
                    f"{ref.chart} {ref.namespace}: {format_path(prefix)}: the chart has a "
                    f"{_kind(base)}{hint} here but the override gives a {_kind(mine)}; "
                    + ("set keys under it instead, e.g. "
                       f"{format_path((*prefix, sorted(map(str, base))[0]))}=..."
                       if isinstance(base, dict) and base else
                       f"give a {_kind(base)} instead")
                )
            if not isinstance(base, dict):
                break

"""The override service: one chart's layers of values, and the only way to change them.

The CLI, the REST API and deploy all go through ``OverrideService`` so that every write is
validated the same way before it is stored (inputs, secret paths, the chart's schema,
cross-chart consistency, optionally a real render) and every read is computed the same way
(static → system → user, with provenance). Results carry REAL values, secrets included:
callers redact (``helmdeck.overrides.redact``) before showing anything.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar

from sqlalchemy.orm import Session

from helmdeck.application import Application, SiteTraits, load_application
from helmdeck.check import check_consistency
from helmdeck.errors import ConflictError, NotFoundError, UserError
from helmdeck.helm import render, validate_schema
from helmdeck.overrides.diff import values_diff
from helmdeck.overrides.layers import (
    ChartBase,
    Provenance,
    chart_base,
    combined_provenance,
    files_key,
)
from helmdeck.overrides.redact import redact_text
from helmdeck.plugins.base import ChartRef, Plugin, SiteSnapshot
from helmdeck.plugins.generate import required_secrets, system_overrides
from helmdeck.plugins.registry import load_plugins
from helmdeck.plugins.secretpaths import is_secret_path
from helmdeck.site.model import Site
from helmdeck.store import Store
from helmdeck.store.audit import audit
from helmdeck.store.chart_state import chart_enabled, set_chart_enabled
from helmdeck.store.db import is_readonly
from helmdeck.store.generation import chart_key, current_generation
from helmdeck.store.secrets import SecretBox, all_secrets, ensure_secrets
from helmdeck.store.sites import load_site
from helmdeck.store.user_overrides import (
    Revision,
    get_revision,
    get_user_overrides,
    list_revisions,
    list_user_overrides,
    lock_user_overrides,
    put_user_overrides,
)
from helmdeck.values import tree
from helmdeck.values.merge import coalesce, merge_values
from helmdeck.values.options import ValueOptions, documents, merge_value_options
from helmdeck.values.paths import format_path, parse_path

__all__ = [
    "ChartInfo",
    "ChartOverrides",
    "OverrideService",
    "Provenance",
    "ReleaseValues",
]


@dataclass(frozen=True)
class ChartInfo:
    name: str
    namespaces: list[str]
    enabled: bool


@dataclass(frozen=True)
class ChartOverrides:
    """A chart's layers with REAL values (secrets in clear): redact before showing.

    ``depends_on`` (the enabled charts this release waits for) is what the GitOps formats
    turn into ``dependsOn``/``needs``.
    """

    name: str
    namespace: str
    release: str
    static: dict[str, Any]
    system: dict[str, Any]
    user: dict[str, Any]
    combined: dict[str, Any]
    provenance: dict[str, Provenance]
    version: int
    chart_dir: Path
    chart_version: str
    depends_on: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReleaseValues:
    """One enabled release of the application with its combined overrides (REAL values)."""

    chart: str
    release: str
    namespace: str
    chart_dir: Path
    chart_version: str
    values: dict[str, Any]
    depends_on: tuple[str, ...]


@dataclass(frozen=True)
class _Context:
    """One transaction's view of the site: refs of every chart, which are enabled, secrets.

    ``generation`` is the store's generation this view is exact for, or None when a writer
    committed while it was being read (then nothing derived from it is remembered).
    """

    site: Site
    refs: dict[str, ChartRef]
    enabled: frozenset[str]
    secrets: Mapping[str, str]
    generation: int | None


class _NeedsWrite(Exception):
    """A read found secrets still to generate: it is retried in a writing transaction."""


_MAX_MEMO = 512
T = TypeVar("T")


@dataclass(frozen=True)
class _Layers:
    base: ChartBase
    system: dict[str, Any]
    system_facts: dict[str, str]

    def combined(self, user: dict[str, Any]) -> dict[str, Any]:

        return merge_values(merge_values(self.base.static, self.system), user)


class OverrideService:
    """Charts, their override layers, and validated, versioned changes to user overrides."""

    def __init__(
        self,
        store: Store,
        *,
        app: Application | None = None,
        box: SecretBox | None = None,
        actor: str = "cli",
    ) -> None:
        self.store = store
        self.actor = actor
        self._app = app
        self._box = box
        self._plugins: dict[str, Plugin] | None = None
        self._init_lock = threading.Lock()
        # Derived results, keyed by everything they depend on (so never stale): the site
        # per generation, and each chart's layers per (generation, chart, files' stamp).
        self._sites: dict[int, Site] = {}
        self._layer_memo: dict[Hashable, _Layers] = {}
        self._memo_lock = threading.Lock()

    # --- lazily built collaborators (a list needs neither the key nor the plugins) -----------

    @property
    def app(self) -> Application:
        if self._app is None:

            self._app = load_application()
        return self._app

    @property
    def box(self) -> SecretBox:
        with self._init_lock:
            if self._box is None:

                self._box = SecretBox()
            return self._box

    @property
    def plugins(self) -> dict[str, Plugin]:
        with self._init_lock:
            if self._plugins is None:

                self._plugins = load_plugins()
            return self._plugins

    # --- reads ---------------------------------------------------------------------------------

    def list_charts(self) -> list[ChartInfo]:
        with self.store.transaction(readonly=True) as s:
            ctx = self._context(s, secrets_for=None)
        return [
            ChartInfo(name, [ref.namespace], name in ctx.enabled)
            for name, ref in sorted(ctx.refs.items())
        ]

    def get(self, chart: str, namespace: str) -> ChartOverrides:
        return self.get_keyed(chart, namespace)[0]

    def get_keyed(self, chart: str, namespace: str) -> tuple[ChartOverrides, Hashable | None]:
        """``get`` and the ``cache_key`` it is exact for (None if a writer raced the read).

        The key is taken in the reading transaction and the files are stamped before they
        are read, so a result remembered under it can only be newer than the key says.
        """

        def read(s: Session) -> tuple[_Context, dict[str, Any], int, str, Hashable]:
            ctx = self._context(s, secrets_for=chart)
            self._ref(ctx, chart, namespace)
            user, version = get_user_overrides(s, chart, namespace)
            author = get_revision(s, chart, namespace, version).actor if version else ""
            return ctx, user, version, author, files_key(ctx.site, chart)

        ctx, user, version, author, stamp = self._read(read)
        ref = self._ref(ctx, chart, namespace)
        key = None if ctx.generation is None else (ctx.generation, version, stamp)
        layers = self._layers(ctx, ref)
        combined = tree.copy(layers.combined(user))
        provenance = combined_provenance(
            combined,
            static_facts=layers.base.static_provenance,
            system=layers.system,
            system_facts=layers.system_facts,
            user=user,
            user_fact=f"user override rev {version} by {author}",
            chart=chart,
        )
        return ChartOverrides(
            name=chart,
            namespace=namespace,
            release=ref.release,
            static=tree.copy(layers.base.static),
            system=tree.copy(layers.system),
            user=user,
            combined=combined,
            provenance=provenance,
            version=version,
            chart_dir=layers.base.chart_dir,
            chart_version=layers.base.chart_version,
            depends_on=self._depends_on(ctx, chart),
        ), key

    def cache_key(self, chart: str, namespace: str) -> Hashable:
        """What ``get(chart, namespace)`` depends on, read with one small query.

        The store's generation (site, hosts, secrets, enabled flags), the chart's user
        override version and the state of the chart's files. Equal to the key ``get_keyed``
        returned means the same result, in this process or any other on the same store.
        """

        with self._memo_lock:
            known = dict(self._sites)
        with self.store.read_connection() as conn:
            generation, version = chart_key(conn, chart, namespace)
        site = known.get(generation)
        if site is None:
            with self.store.transaction(readonly=True) as s:
                site = self._site_at(s, current_generation(s))
        self._ref_in(self._refs(site), chart, namespace)
        return (generation, version, files_key(site, chart))

    def effective(self, chart: str, namespace: str) -> dict[str, Any]:
        """The chart's defaults coalesced with the combined overrides: what templates see."""

        def read(s: Session) -> tuple[_Context, dict[str, Any]]:
            ctx = self._context(s, secrets_for=chart)
            self._ref(ctx, chart, namespace)
            return ctx, get_user_overrides(s, chart, namespace)[0]

        ctx, user = self._read(read)
        ref = self._ref(ctx, chart, namespace)
        layers = self._layers(ctx, ref)
        return coalesce(layers.base.defaults, layers.combined(user))

    def explain(self, chart: str, namespace: str, path: str) -> Provenance:

        key = format_path(parse_path(path))
        provenance = self.get(chart, namespace).provenance
        found = provenance.get(key)
        if found is not None:
            return found
        below = [k for k in provenance if k.startswith(key + ".") or k.startswith(key + "[")]
        if below:
            shown = ", ".join(below[:5]) + (", ..." if len(below) > 5 else "")
            raise UserError(
                f"{path}: is a map in {chart} {namespace} with {len(below)} keys; "
                f"explain one of them: {shown}"
            )
        raise NotFoundError(
            f"{path}: not set by any override of {chart} {namespace}; "
            "if it has a value, it is the chart default from values.yaml"
        )

    def history(self, chart: str, namespace: str) -> list[Revision]:

        with self.store.transaction(readonly=True) as s:
            self._ref(self._context(s, secrets_for=None), chart, namespace)
            return list_revisions(s, chart, namespace)

    def export_user_overrides(self) -> dict[str, Any]:
        """Every chart's user overrides, keyed ``chart`` (its own namespace) or ``chart@ns``."""

        with self.store.transaction(readonly=True) as s:
            ctx = self._context(s, secrets_for=None)
            rows = list_user_overrides(s)
        out: dict[str, Any] = {}
        for chart, ns, values, _ in rows:
            ref = ctx.refs.get(chart)
            out[chart if ref is not None and ref.namespace == ns else f"{chart}@{ns}"] = values
        return out

    def release_values(self) -> list[ReleaseValues]:
        """The enabled releases of the application, in rollout order (level by level)."""

        def read(s: Session) -> tuple[_Context, dict[tuple[str, str], dict[str, Any]]]:
            ctx = self._context(s, secrets_for=None, all_enabled_secrets=True)
            return ctx, {(c, n): v for c, n, v, _ in list_user_overrides(s)}

        ctx, stored = self._read(read)
        out = []
        for level in self.app.levels():
            for chart in level:
                if chart not in ctx.enabled:
                    continue
                ref = ctx.refs[chart]
                layers = self._layers(ctx, ref)
                values = tree.copy(layers.combined(stored.get((chart, ref.namespace), {})))
                out.append(
                    ReleaseValues(
                        chart=chart,
                        release=ref.release,
                        namespace=ref.namespace,
                        chart_dir=layers.base.chart_dir,
                        chart_version=layers.base.chart_version,
                        values=values,
                        depends_on=self._depends_on(ctx, chart),
                    )
                )
        return out

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
        """Change the user overrides; nothing is stored unless every check passes.

        ``reuse`` merges the inputs into the stored overrides (Helm's value-file merge),
        ``reset`` replaces them. The stored overrides are locked from read to write, so
        concurrent updates without ``if_match`` all land; with it, a stale version is refused.
        """

        if flag not in ("reuse", "reset"):
            raise UserError(f"flag {flag!r}: must be reuse or reset")
        delta = merge_value_options(ValueOptions(
            documents(files), set=set, set_string=set_string, set_json=set_json))
        with self.store.transaction() as s:
            ctx = self._context(s, secrets_for=chart)
            ref = self._ref(ctx, chart, namespace)
            current, version = lock_user_overrides(s, chart, namespace)
            _check_version(chart, namespace, version, if_match)
            new = merge_values(current, delta) if flag == "reuse" else delta
            self._validate(s, ctx, {ref.chart: new}, consistency=not force)
            if render_check:
                self._render_check(ctx, ref, new)
            return new, self._write(s, ref, current, new, action=f"update ({flag})")

    def delete(self, chart: str, namespace: str, *, if_match: int | None = None) -> None:
        """Drop the user overrides (a new, empty revision); generated secrets are kept."""

        with self.store.transaction() as s:
            ref = self._ref(self._context(s, secrets_for=None), chart, namespace)
            current, version = lock_user_overrides(s, chart, namespace)
            _check_version(chart, namespace, version, if_match)
            self._write(s, ref, current, {}, action="delete")

    def rollback(self, chart: str, namespace: str, to: int) -> tuple[dict[str, Any], int]:
        """Restore revision ``to`` as a new revision.

        Schema and secret checks still apply; cross-chart consistency does not, because going
        back to a known state must not be blocked by drift in another chart.
        """

        with self.store.transaction() as s:
            ctx = self._context(s, secrets_for=chart)
            ref = self._ref(ctx, chart, namespace)
            current, _ = lock_user_overrides(s, chart, namespace)
            new = get_revision(s, chart, namespace, to).values
            self._validate(s, ctx, {chart: new}, consistency=False)
            return new, self._write(s, ref, current, new, action=f"rollback to {to}")

    def set_enabled(self, chart: str, namespace: str, enabled: bool) -> None:

        with self.store.transaction() as s:
            self._ref(self._context(s, secrets_for=None), chart, namespace)
            set_chart_enabled(s, chart, namespace, enabled)
            audit(s, actor=self.actor, action="chart enable" if enabled else "chart disable",
                  target=f"{chart}@{namespace}")

    def import_user_overrides(self, doc: dict[str, Any]) -> int:
        """Load an export (one section per chart): one transaction, unchanged charts untouched.

        Charts absent from ``doc`` keep their overrides, so a partial file never wipes others.
        """

        if not isinstance(doc, dict):
            raise UserError("import: the document must be a map of chart sections")
        with self.store.transaction() as s:
            ctx = self._context(s, secrets_for=None, all_enabled_secrets=True)
            wanted: dict[str, tuple[ChartRef, dict[str, Any]]] = {}
            for key in sorted(doc):
                chart, _, ns = str(key).partition("@")
                default_ref = ctx.refs.get(chart)
                if not ns and default_ref is not None:
                    ns = default_ref.namespace
                ref = self._ref(ctx, chart, ns)
                values = doc[key] if doc[key] is not None else {}
                if not isinstance(values, dict):
                    raise UserError(f"import: section {key}: must be a map of values")
                if ref.chart in wanted:
                    raise UserError(f"import: chart {chart} appears twice; keep one section")
                wanted[ref.chart] = (ref, values)
            changes = {}
            for chart, (ref, values) in wanted.items():
                current, _ = lock_user_overrides(s, chart, ref.namespace)
                if current != values:
                    changes[chart] = (ref, current, values)
            self._validate(s, ctx, {c: v for c, (_, _, v) in changes.items()}, consistency=True)
            for _chart, (ref, current, values) in changes.items():
                self._write(s, ref, current, values, action="import")
        return len(changes)

    def audit_reveal(self, chart: str, namespace: str) -> None:
        """Record that someone saw the real secret values of a chart."""

        with self.store.transaction() as s:
            self._ref(self._context(s, secrets_for=None), chart, namespace)
            audit(s, actor=self.actor, action="reveal", target=f"{chart}@{namespace}")

    # --- internals -----------------------------------------------------------------------------

    def _read(self, body: Callable[[Session], T]) -> T:
        """``body`` in a read-only transaction, or a writing one if it must generate secrets.

        Reads take no write lock (SQLite); only the first read after a site import or a new
        chart generates secrets, and it runs again in a writing transaction.
        """
        try:
            with self.store.transaction(readonly=True) as s:
                return body(s)
        except _NeedsWrite:
            pass
        with self.store.transaction() as s:
            return body(s)

    def _context(
        self, s: Session, *, secrets_for: str | None, all_enabled_secrets: bool = False
    ) -> _Context:
        """The site, chart refs and enabled set; with secrets when a plugin will run.

        Secrets are generated here, once, for every enabled chart (and the chart asked for,
        which may be disabled): a plugin must see the same values whichever chart runs first.
        In a read-only transaction a missing secret raises ``_NeedsWrite`` instead.
        """

        generation = current_generation(s)
        site = self._site_at(s, generation)
        refs = self._refs(site)
        explicit = chart_enabled(s)
        disabled = set(site.spec.charts.disabled)
        # The operator's choice first, then the application's `when:` (charts that do not
        # belong to this site: ovn on an OVS site, libvirt without nova) even if enabled.
        enabled = self.app.active(
            {name for name, ref in refs.items()
             if explicit.get((name, ref.namespace), name not in disabled)},
            SiteTraits.of(site),
        )
        secrets: Mapping[str, str] = {}
        if secrets_for is not None or all_enabled_secrets:
            wanted = set(enabled) | ({secrets_for} if secrets_for else set())
            names = required_secrets(self.plugins, wanted)
            if is_readonly(s):
                secrets = all_secrets(s, self.box)
                if not set(names) <= secrets.keys():
                    raise _NeedsWrite
            else:
                secrets = ensure_secrets(s, self.box, names)
        exact = current_generation(s) == generation
        return _Context(site, refs, enabled, secrets, generation if exact else None)

    def _site_at(self, s: Session, generation: int) -> Site:
        """The stored site, parsed once per generation (read in ``s``, at ``generation``)."""

        with self._memo_lock:
            site = self._sites.get(generation)
        if site is not None:
            return site
        site = load_site(s)
        if site is None:
            raise NotFoundError("site: none imported yet; run helmdeck site import FILE")
        if current_generation(s) == generation:
            with self._memo_lock:
                self._sites = {generation: site}
        return site

    def _refs(self, site: Site) -> dict[str, ChartRef]:

        return {
            c.name: ChartRef(c.name, c.release, c.namespace or site.spec.namespace)
            for c in self.app.charts
        }

    def _ref(self, ctx: _Context, chart: str, namespace: str) -> ChartRef:
        return self._ref_in(ctx.refs, chart, namespace)

    def _ref_in(self, refs: Mapping[str, ChartRef], chart: str, namespace: str) -> ChartRef:
        ref = refs.get(chart)
        if ref is None:
            raise NotFoundError(
                f"chart {chart}: not part of application {self.app.name}; "
                f"known charts: {', '.join(sorted(refs))}"
            )
        if namespace != ref.namespace:
            raise NotFoundError(
                f"chart {chart}: no release in namespace {namespace}; it is in {ref.namespace}"
            )
        return ref

    def _depends_on(self, ctx: _Context, chart: str) -> tuple[str, ...]:
        return tuple(d for d in self.app.chart(chart).depends_on if d in ctx.enabled)

    def _layers(self, ctx: _Context, ref: ChartRef) -> _Layers:
        """The chart's base and system layer: shared, so callers copy before changing them.

        Remembered per (generation, chart, files' stamp): the plugin sees nothing else (the
        site, secrets and enabled set all move the generation), so equal keys, equal layers.
        """

        base = chart_base(ctx.site, ref.chart)
        key = (ctx.generation, ref, base.stamp)
        if ctx.generation is not None:
            with self._memo_lock:
                memo = self._layer_memo.get(key)
            if memo is not None:
                return memo
        plugin = self.plugins.get(ref.chart)
        if plugin is None:
            layers = _Layers(base, {}, {})
        else:
            snapshot = SiteSnapshot(ctx.site, ctx.secrets, ctx.enabled, ctx.refs)
            result = system_overrides(plugin, snapshot, ref, base.chart_values)
            layers = _Layers(base, result.values, result.provenance)
        if ctx.generation is not None:
            with self._memo_lock:
                if len(self._layer_memo) >= _MAX_MEMO:
                    self._layer_memo.clear()
                self._layer_memo[key] = layers
        return layers

    def _validate(
        self, s: Session, ctx: _Context, new: Mapping[str, dict[str, Any]], *, consistency: bool
    ) -> None:
        """Refuse user overrides (chart → values) that touch secrets or break a chart.

        Consistency compares before and after and refuses only what the change introduces,
        so an existing disagreement elsewhere does not block unrelated updates.
        """

        combined: dict[str, dict[str, Any]] = {}
        for chart, values in new.items():
            ref = ctx.refs[chart]
            layers = self._layers(ctx, ref)
            _refuse_secret_paths(ref, values, layers.system, layers.system_facts)
            combined[chart] = layers.combined(values)
            if (layers.base.chart_dir / "values.schema.json").is_file():

                effective = coalesce(layers.base.defaults, combined[chart])
                try:
                    validate_schema(layers.base.chart_dir, effective)
                except UserError as exc:
                    raise _one_line(ref, exc, ctx.secrets) from None
        if consistency and new:
            self._check_consistency(s, ctx, combined)

    def _check_consistency(
        self, s: Session, ctx: _Context, changed: dict[str, dict[str, Any]]
    ) -> None:

        stored = {(c, n): v for c, n, v, _ in list_user_overrides(s)}
        before: dict[str, dict[str, Any]] = {}
        for chart in sorted(ctx.enabled | changed.keys()):
            ref = ctx.refs[chart]
            before[chart] = self._layers(ctx, ref).combined(stored.get((chart, ref.namespace), {}))
        after = {**before, **changed}

        def key(i: Any) -> tuple[Any, ...]:
            return (i.rule, tuple(i.a), tuple(i.b))

        old = {key(i) for i in check_consistency(before)}
        for problem in check_consistency(after):
            if key(problem) not in old and (problem.a[0] in changed or problem.b[0] in changed):
                raise UserError(
                    f"{problem.message}; the change would break cross-chart consistency: "
                    "make the charts agree, or pass --force"
                )

    def _render_check(self, ctx: _Context, ref: ChartRef, user: dict[str, Any]) -> None:

        layers = self._layers(ctx, ref)
        try:
            render(layers.base.chart_dir, layers.combined(user),
                   release=ref.release, namespace=ref.namespace)
        except UserError as exc:
            raise _one_line(ref, exc, ctx.secrets) from None

    def _write(
        self, s: Session, ref: ChartRef, old: dict[str, Any], new: dict[str, Any], *, action: str
    ) -> int:

        diff = values_diff(old, new)
        version = put_user_overrides(
            s, ref.chart, ref.namespace, new, actor=self.actor, diff=diff
        )
        audit(s, actor=self.actor, action=f"overrides {action}",
              target=f"{ref.chart}@{ref.namespace}", detail=f"version {version}")
        return version


def _check_version(chart: str, namespace: str, version: int, if_match: int | None) -> None:
    if if_match is not None and if_match != version:
        raise ConflictError(
            f"{chart} {namespace}: user overrides are at version {version}, not {if_match}; "
            "read them again and retry"
        )


def _one_line(ref: ChartRef, exc: UserError, secrets: Mapping[str, str]) -> UserError:
    """Helm's multi-line message as one line, without any secret value it may quote."""

    text = " ".join(str(exc).split()).removeprefix(f"{ref.chart}: ")
    return UserError(f"{ref.chart} {ref.namespace}: {redact_text(text, secrets.values())}")


def _secret_name(fact: str | None) -> str:
    if fact and fact.startswith("secret: "):
        return fact.removeprefix("secret: ").split()[0]
    return "NAME"


def _refuse_secret_paths(
    ref: ChartRef, user: dict[str, Any], system: dict[str, Any], system_facts: dict[str, str]
) -> None:
    """A user override may neither set a secret nor replace a map holding generated secrets."""

    secret_leaves = [p for p, _ in tree.leaves(system) if is_secret_path(p)]
    for parts, _ in tree.leaves(user):
        hidden = [p for p in secret_leaves if p[: len(parts)] == parts]
        if is_secret_path(parts) or hidden:
            target = hidden[0] if hidden else parts
            name = _secret_name(system_facts.get(format_path(target)))
            raise UserError(
                f"{ref.chart} {ref.namespace}: {format_path(parts)}: holds a secret; user "
                f"overrides cannot set it, use `helmdeck secret set {name}` instead"
            )

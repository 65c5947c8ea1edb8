"""The override service: one chart's layers of values, and the only way to change them.

The CLI, the REST API and deploy all go through ``OverrideService`` so that every write
passes the same gate (``gate.WriteGate``) before it is stored and every read is computed the
same way (static → system → user, with provenance; ``context.Contexts``). What it returns to
interfaces is redacted unless ``reveal`` was asked for, which is audited before anything is
read; ``release_values`` (for deploy) and the cross-chart ``check`` work on real values and
never return a secret.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

from sqlalchemy.orm import Session

from helmdeck.application import Application, SiteTraits, load_application
from helmdeck.application.remedies import ChartPatch
from helmdeck.check import Inconsistency, check_consistency
from helmdeck.endpoints.catalog import INTERFACES, CatalogEntry, catalog
from helmdeck.errors import ConflictError, DependentsError, NotFoundError, UserError
from helmdeck.overrides.context import Contexts, NeedsWrite, SiteContext
from helmdeck.overrides.diff import values_diff
from helmdeck.overrides.gate import WriteGate
from helmdeck.overrides.layers import Provenance, combined_provenance, files_key
from helmdeck.overrides.redact import redact
from helmdeck.overrides.requests import Reapply, UpdateRequest
from helmdeck.plugin import ChartRef
from helmdeck.plugins.registry import Plugins, load_plugins
from helmdeck.plugins.secrets import SecretPaths
from helmdeck.store import Store
from helmdeck.store.audit import AuditAction, audit
from helmdeck.store.chart_state import set_chart_enabled
from helmdeck.store.generation import chart_key, current_generation
from helmdeck.store.reapply import (
    application_target,
    chart_target,
    mark_reapply,
    reapply_marks,
)
from helmdeck.store.release_state import release_states
from helmdeck.store.secrets import SecretBox
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

T = TypeVar("T")
_INDEXED = re.compile(r"^(.*?)((?:\[\d+\])+)$")
# Revisions are stored as 32-bit integers on PostgreSQL; anything above cannot exist.
MAX_REVISION = 2**31 - 1


@dataclass(frozen=True)
class ChartInfo:
    name: str
    namespaces: list[str]
    enabled: bool


@dataclass(frozen=True)
class ChartOverrides:
    """A chart's layers, redacted unless read with ``reveal``.

    ``depends_on`` (the enabled charts this release waits for) is what the GitOps formats
    turn into ``dependsOn``/``needs``; ``enabled`` says whether apply deploys the chart.
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
    patches: tuple[ChartPatch, ...] = ()  # the application's remedies the chart got
    enabled: bool = True
    wait: bool = True  # the application's rollout of the release: wait for it, how long
    timeout: int | None = None


@dataclass(frozen=True)
class ApplicationStatus:
    """The application as the last applies left it (StarlingX's ``application-show``).

    ``status`` is ``uploaded`` until every enabled release has been applied, then
    ``applied``; ``apply-failed`` while the last apply of any enabled release failed.
    ``reapply`` lists the enabled charts the next apply will apply again because a reapply
    was asked for since their last apply.
    """

    name: str
    status: str
    progress: str
    active: bool
    charts: tuple[str, ...]
    reapply: tuple[str, ...]


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
    patches: tuple[str, ...] = ()  # labels of the remedies applied to the chart (plan shows)


@dataclass(frozen=True)
class Explanation:
    """Why a key has its value, and the value (redacted if it is a secret)."""

    path: str
    layer: str
    fact: str
    value: Any


class Updated(NamedTuple):
    """The user overrides after a change (redacted), their version, whether it changed, and
    what was marked for the next apply (``UpdateRequest.reapply``), if anything."""

    values: dict[str, Any]
    version: int
    changed: bool = True
    reapply: Reapply | None = None


class OverrideService:
    """Charts, their override layers, and validated, versioned changes to user overrides."""

    def __init__(
        self,
        store: Store,
        *,
        app: Application | None = None,
        box: SecretBox | None = None,
        plugins: Plugins | None = None,
        actor: str = "cli:unknown",
    ) -> None:
        self.store = store
        self.actor = actor
        self.app = app or load_application()
        self.plugins = plugins if plugins is not None else load_plugins()
        self.contexts = Contexts(self.app, self.plugins, box)
        self.gate = WriteGate(self.contexts)
        self._armada: OverrideService | None = None

    def as_armada(self) -> OverrideService:
        """The same store and secrets, the releases named as Armada names them
        (``Application.armada``): the values an Armada document must carry."""
        if self._armada is None:  # kept: a server asks again on every such request
            self._armada = OverrideService(self.store, app=self.app.armada(),
                                           box=self.contexts.box, plugins=self.plugins,
                                           actor=self.actor)
        return self._armada

    @property
    def secret_paths(self) -> SecretPaths:
        return self.plugins.secret_paths

    def _redact(self, values: dict[str, Any], reveal: bool = False) -> dict[str, Any]:
        return values if reveal else redact(values, self.secret_paths)

    # --- reads ---------------------------------------------------------------------------------

    @property
    def app_name(self) -> str:
        """The application's name (StarlingX's APP argument): ``openstack-helm`` by default."""
        return self.app.name

    def application_status(self) -> ApplicationStatus:
        """The application's state from the recorded applies and the pending reapply marks."""
        with self.store.transaction(readonly=True) as s:
            ctx = self.contexts.read(s)
            states = release_states(s)
            marks = reapply_marks(s)
        charts = tuple(c.name for c in self.app.charts if c.name in ctx.enabled)
        deployed = failed = 0
        reapply = []
        for chart in charts:
            ref = ctx.refs[chart]
            state = states.get((ref.release, ref.namespace))
            if state is not None and state.status == "deployed":
                deployed += 1
            elif state is not None and state.error:
                failed += 1
            applied_at = state.applied_at if state is not None else None
            if marks.pending(self.app.name, chart, ref.namespace, applied_at) is not None:
                reapply.append(chart)
        if failed:
            status = "apply-failed"
        elif charts and deployed == len(charts):
            status = "applied"
        else:
            status = "uploaded"
        progress = f"{deployed} of {len(charts)} enabled releases applied" + (
            f", {failed} failed" if failed else "")
        return ApplicationStatus(self.app.name, status, progress, deployed > 0, charts,
                                 tuple(reapply))

    def list_charts(self) -> list[ChartInfo]:
        with self.store.transaction(readonly=True) as s:
            ctx = self.contexts.read(s)
        return [
            ChartInfo(name, [ref.namespace], name in ctx.enabled)
            for name, ref in sorted(ctx.refs.items())
        ]

    def get(self, chart: str, namespace: str, *, reveal: bool = False) -> ChartOverrides:
        """The chart's layers; real secret values only with ``reveal`` (audited first)."""
        if reveal:
            self._audit_reveal(chart, namespace)
        return self._get(chart, namespace, reveal)[0]

    def get_keyed(self, chart: str, namespace: str) -> tuple[ChartOverrides, Hashable | None]:
        """The redacted ``get`` and the ``cache_key`` it is exact for (None if a writer raced).

        The key is taken in the reading transaction and the files are stamped before they
        are read, so a result remembered under it can only be newer than the key says.
        """
        return self._get(chart, namespace, False)

    def _get(self, chart: str, namespace: str, reveal: bool
             ) -> tuple[ChartOverrides, Hashable | None]:
        def read(s: Session) -> tuple[SiteContext, dict[str, Any], int, str, Hashable]:
            ctx = self.contexts.read(s, secrets_for=chart)
            self.contexts.ref(ctx.refs, chart, namespace)
            user, version = get_user_overrides(s, chart, namespace)
            author = get_revision(s, chart, namespace, version).actor if version else ""
            stamp = files_key(ctx.site, chart, self.contexts.patches(chart))
            return ctx, user, version, author, stamp

        ctx, user, version, author, stamp = self._read(read)
        ref = self.contexts.ref(ctx.refs, chart, namespace)
        key = None if ctx.generation is None else (ctx.generation, version, stamp)
        layers = self.contexts.layers(ctx, ref)
        combined = layers.combined(user)
        provenance = combined_provenance(
            combined,
            static_facts=layers.base.static_provenance,
            system=layers.system,
            system_facts=layers.system_facts,
            user=user,
            user_fact=f"user override rev {version} by {author}",
            chart=chart,
        )
        shown = ChartOverrides(
            name=chart,
            namespace=namespace,
            release=ref.release,
            static=tree.copy(self._redact(layers.base.static, reveal)),
            system=tree.copy(self._redact(layers.system, reveal)),
            user=tree.copy(self._redact(user, reveal)),
            combined=tree.copy(self._redact(combined, reveal)),
            provenance=provenance,
            version=version,
            chart_dir=layers.base.chart_dir,
            chart_version=layers.base.chart_version,
            depends_on=self.contexts.depends_on(ctx, chart),
            patches=layers.base.applied_patches(),
            enabled=chart in ctx.enabled,
            wait=self.app.chart(chart).wait,
            timeout=self.app.chart(chart).timeout,
        )
        return shown, key

    def cache_key(self, chart: str, namespace: str) -> Hashable:
        """What ``get(chart, namespace)`` depends on, read with one small query.

        The store's generation (site, hosts, secrets, enabled flags), the chart's user
        override version and the state of the chart's files. Equal to the key ``get_keyed``
        returned means the same result, in this process or any other on the same store.
        """
        with self.store.read_connection() as conn:
            generation, version = chart_key(conn, chart, namespace)
        site = self.contexts.known_site(generation)
        if site is None:
            with self.store.transaction(readonly=True) as s:
                site = self.contexts.site_at(s, current_generation(s))
        self.contexts.ref(self.contexts.refs(site), chart, namespace)
        return (generation, version, files_key(site, chart, self.contexts.patches(chart)))

    def effective(self, chart: str, namespace: str, *, reveal: bool = False) -> dict[str, Any]:
        """The chart's defaults coalesced with the combined overrides: what templates see."""
        if reveal:
            self._audit_reveal(chart, namespace)

        def read(s: Session) -> tuple[SiteContext, dict[str, Any]]:
            ctx = self.contexts.read(s, secrets_for=chart)
            self.contexts.ref(ctx.refs, chart, namespace)
            return ctx, get_user_overrides(s, chart, namespace)[0]

        ctx, user = self._read(read)
        layers = self.contexts.layers(ctx, self.contexts.ref(ctx.refs, chart, namespace))
        return self._redact(coalesce(layers.base.defaults, layers.combined(user)), reveal)

    def explain(self, chart: str, namespace: str, path: str) -> Explanation:
        """The layer and fact behind ``path`` in the combined overrides, and its value."""
        parts = parse_path(path)
        key = format_path(parts)
        shown = self.get(chart, namespace)
        found = shown.provenance.get(key)
        if found is not None:
            fact = found.fact + patch_note(shown.patches, key)
            return Explanation(key, found.layer, fact,
                               tree.get(shown.combined, _indexed(parts), None))
        below = [k for k in shown.provenance if k.startswith(key + ".") or k.startswith(key + "[")]
        if below:
            listed = ", ".join(below[:5]) + (", ..." if len(below) > 5 else "")
            raise UserError(
                f"{path}: is a map in {chart} {namespace} with {len(below)} keys; "
                f"explain one of them: {listed}"
            )
        raise NotFoundError(
            f"{path}: not set by any override of {chart} {namespace}; "
            "if it has a value, it is the chart default from values.yaml"
        )

    def history(self, chart: str, namespace: str) -> list[Revision]:
        with self.store.transaction(readonly=True) as s:
            self.contexts.ref(self.contexts.read(s).refs, chart, namespace)
            revisions = list_revisions(s, chart, namespace)
        return [replace(r, values=self._redact(r.values)) for r in revisions]

    def export_user_overrides(self) -> dict[str, Any]:
        """Every chart's user overrides, keyed ``chart`` (its own namespace) or ``chart@ns``."""
        with self.store.transaction(readonly=True) as s:
            ctx = self.contexts.read(s)
            rows = list_user_overrides(s)
        out: dict[str, Any] = {}
        for chart, ns, values, _ in rows:
            ref = ctx.refs.get(chart)
            section = chart if ref is not None and ref.namespace == ns else f"{chart}@{ns}"
            out[section] = self._redact(values)
        return out

    def release_values(self) -> list[ReleaseValues]:
        """The enabled releases of the application, in rollout order (REAL values: in-process
        callers only, which must redact before showing anything)."""

        def read(s: Session) -> tuple[SiteContext, dict[tuple[str, str], dict[str, Any]]]:
            ctx = self.contexts.read(s, all_enabled_secrets=True)
            return ctx, {(c, n): v for c, n, v, _ in list_user_overrides(s)}

        ctx, stored = self._read(read)
        out = []
        for level in self.app.levels():
            for chart in level:
                if chart not in ctx.enabled:
                    continue
                ref = ctx.refs[chart]
                layers = self.contexts.layers(ctx, ref)
                values = tree.copy(layers.combined(stored.get((chart, ref.namespace), {})))
                out.append(ReleaseValues(
                    chart=chart, release=ref.release, namespace=ref.namespace,
                    chart_dir=layers.base.chart_dir, chart_version=layers.base.chart_version,
                    values=values, depends_on=self.contexts.depends_on(ctx, chart),
                    patches=tuple(p.label() for p in layers.base.applied_patches()),
                ))
        return out

    def check(self) -> list[Inconsistency]:
        """Every disagreement between the enabled charts' combined overrides, compared on
        real values (messages never quote a secret)."""
        combined = {r.chart: r.values for r in self.release_values()}
        releases = {r.chart: r.release for r in self.release_values()}
        return check_consistency(combined, releases=releases, catalog=self.plugins.catalog,
                                 paths=self.secret_paths)

    def endpoints(self, chart: str | None = None,
                  interfaces: Sequence[str] = INTERFACES) -> list[CatalogEntry]:
        """The keystone catalog the enabled charts will register (``chart``: only its own)."""
        releases = self.release_values()
        if chart is not None:
            releases = [r for r in releases if r.chart == chart]
            if not releases:
                raise NotFoundError(
                    f"--chart {chart}: not an enabled chart; see `helmdeck helm-override-list`"
                )
        values = {r.chart: (r.namespace, self.effective(r.chart, r.namespace)) for r in releases}
        return catalog(values, tuple(interfaces), self.plugins.catalog.registered())

    # --- writes --------------------------------------------------------------------------------

    def update(self, chart: str, namespace: str, request: UpdateRequest, *,
               if_match: int | None = None) -> Updated:
        """Change the user overrides; nothing is stored unless every check passes.

        ``reuse`` merges the inputs into the stored overrides (Helm's value-file merge),
        ``reset`` replaces them. The stored overrides are locked from read to write, so
        concurrent updates without ``if_match`` all land; with it, a stale version is refused.
        A change that changes nothing records no revision; a ``reapply`` mark is recorded
        either way, in the same transaction.
        """
        given = request.values
        delta = merge_value_options(ValueOptions(documents(given.files), set=given.set,
                                                 set_string=given.set_string,
                                                 set_json=given.set_json))
        with self.store.transaction() as s:
            ctx = self.contexts.read(s, secrets_for=chart)
            ref = self.contexts.ref(ctx.refs, chart, namespace)
            current, version = lock_user_overrides(s, chart, namespace)
            _check_version(chart, namespace, version, if_match)
            new = merge_values(current, delta) if request.flag == "reuse" else delta
            if request.reapply is not None:
                self._mark_reapply(s, ref, request.reapply)
            if new == current:
                return Updated(self._redact(current), version, changed=False,
                               reapply=request.reapply)
            if not delta and any((given.files, given.set, given.set_string, given.set_json)):
                raise UserError(
                    f"{chart} {namespace}: the inputs set no value (Helm reads them as "
                    "nothing), so --reset-values would clear every user override; to clear "
                    "them, use helm-override-delete"
                )
            self.gate.check(s, ctx, {ref.chart: new}, consistency=not request.force)
            if request.render_check:
                self.gate.render_check(ctx, ref, new)
            if not request.force:
                self.gate.placement_check(ctx, ref, current, new)
            version = self._write(s, ref, current, new, action=AuditAction.OVERRIDES_UPDATE,
                                  detail=request.flag)
            return Updated(self._redact(new), version, reapply=request.reapply)

    def delete(self, chart: str, namespace: str, *, if_match: int | None = None) -> None:
        """Drop the user overrides (a new, empty revision); generated secrets are kept."""
        with self.store.transaction() as s:
            ref = self.contexts.ref(self.contexts.read(s).refs, chart, namespace)
            current, version = lock_user_overrides(s, chart, namespace)
            _check_version(chart, namespace, version, if_match)
            self._write(s, ref, current, {}, action=AuditAction.OVERRIDES_DELETE)

    def rollback(self, chart: str, namespace: str, to: int) -> Updated:
        """Restore revision ``to`` as a new revision.

        Schema and secret checks still apply; cross-chart consistency does not, because going
        back to a known state must not be blocked by drift in another chart.
        """
        if not 1 <= to <= MAX_REVISION:
            raise NotFoundError(f"{chart} {namespace}: no revision {to} of the user overrides")
        with self.store.transaction() as s:
            ctx = self.contexts.read(s, secrets_for=chart)
            ref = self.contexts.ref(ctx.refs, chart, namespace)
            current, _ = lock_user_overrides(s, chart, namespace)
            new = get_revision(s, chart, namespace, to).values
            self.gate.check(s, ctx, {chart: new}, consistency=False)
            version = self._write(s, ref, current, new, action=AuditAction.OVERRIDES_ROLLBACK,
                                  detail=f"to revision {to}")
            return Updated(self._redact(new), version)

    def set_enabled(self, chart: str, namespace: str, enabled: bool, *,
                    cascade: bool = False) -> list[str]:
        """Enable or disable a chart; the charts changed, in order.

        Disabling is refused while enabled charts depend on it (their hook jobs would wait
        for it until Helm's timeout) unless ``cascade``, which disables them too.
        """
        with self.store.transaction() as s:
            ctx = self.contexts.read(s)
            self.contexts.ref(ctx.refs, chart, namespace)
            changed = [chart]
            if not enabled:
                # Charts whose `when:` drops with this one (web, whose only consumer is gone)
                # do not block: they leave the site together.
                after = self.app.active(ctx.enabled - {chart}, SiteTraits.of(ctx.site))
                blockers = sorted(self.app.dependents(chart) & after)
                if blockers and not cascade:
                    raise DependentsError(chart, namespace, blockers)
                changed += blockers
            for name in changed:
                ns = ctx.refs[name].namespace
                set_chart_enabled(s, name, ns, enabled)
                audit(s, actor=self.actor,
                      action=AuditAction.CHART_ENABLE if enabled else AuditAction.CHART_DISABLE,
                      target=f"{name}@{ns}")
        return changed

    def import_user_overrides(self, doc: dict[str, Any]) -> int:
        """Load an export (one section per chart): one transaction, unchanged charts untouched.

        Charts absent from ``doc`` keep their overrides, so a partial file never wipes others.
        """
        if not isinstance(doc, dict):
            raise UserError("import: the document must be a map of chart sections")
        with self.store.transaction() as s:
            ctx = self.contexts.read(s, all_enabled_secrets=True)
            wanted: dict[str, tuple[ChartRef, dict[str, Any]]] = {}
            for key in sorted(doc):
                chart, _, ns = str(key).partition("@")
                default_ref = ctx.refs.get(chart)
                if not ns and default_ref is not None:
                    ns = default_ref.namespace
                ref = self.contexts.ref(ctx.refs, chart, ns)
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
            self.gate.check(s, ctx, {c: v for c, (_, _, v) in changes.items()},
                            consistency=True)
            for _chart, (ref, current, values) in changes.items():
                self._write(s, ref, current, values, action=AuditAction.OVERRIDES_IMPORT)
        return len(changes)

    # --- internals -----------------------------------------------------------------------------

    def _audit_reveal(self, chart: str, namespace: str) -> None:
        """Record that someone is shown the real secret values of a chart, before they are."""
        with self.store.transaction() as s:
            self.contexts.ref(self.contexts.read(s).refs, chart, namespace)
            audit(s, actor=self.actor, action=AuditAction.SECRET_REVEAL,
                  target=f"{chart}@{namespace}")

    def _mark_reapply(self, s: Session, ref: ChartRef, what: Reapply) -> None:
        """Ask the next apply to apply the chart (or every chart) again; see store.reapply."""
        if what == "chart":
            mark_reapply(s, chart_target(ref.chart, ref.namespace), actor=self.actor)
        else:
            mark_reapply(s, application_target(self.app.name), actor=self.actor,
                         detail=f"asked with {ref.chart}@{ref.namespace}")

    def _read(self, body: Callable[[Session], T]) -> T:
        """``body`` in a read-only transaction, or a writing one if it must generate secrets.

        Reads take no write lock (SQLite); only the first read after a site import or a new
        chart generates secrets, and it runs again in a writing transaction.
        """
        try:
            with self.store.transaction(readonly=True) as s:
                return body(s)
        except NeedsWrite:
            pass
        with self.store.transaction() as s:
            return body(s)

    def _write(self, s: Session, ref: ChartRef, old: dict[str, Any], new: dict[str, Any], *,
               action: AuditAction, detail: str = "") -> int:
        diff = values_diff(old, new, self.secret_paths)
        version = put_user_overrides(s, ref.chart, ref.namespace, new, actor=self.actor,
                                     diff=diff)
        text = f"version {version}" + (f" ({detail})" if detail else "")
        audit(s, actor=self.actor, action=action, target=f"{ref.chart}@{ref.namespace}",
              detail=text)
        return version


def patch_note(patches: Sequence[ChartPatch], key: str) -> str:
    """What ``explain`` adds for a key a remedy of the chart reads (``""`` for the rest):
    without the patch the upstream chart would ignore the value."""
    notes = []
    for p in patches:
        for read in sorted(p.reads()):
            scope = read.rsplit(".", 1)[0] if "." in read else read
            if key == scope or key.startswith((f"{scope}.", f"{scope}[")) or \
                    scope.startswith(f"{key}."):
                notes.append(f"; the chart reads it through the application's patch "
                             f"{p.label()}" + (f": {p.summary}" if p.summary else ""))
                break
    return "".join(notes)


def reapply_note(what: Reapply | None, chart: str, namespace: str, application: str
                 ) -> str | None:
    """What a reapply mark means, in one line for the operator (None without a mark)."""
    if what is None:
        return None
    if what == "chart":
        return f"{chart} {namespace}: the next `helmdeck apply` applies it, changed or not"
    return (f"application {application}: the next `helmdeck apply` applies every enabled "
            "chart, changed or not")


def _check_version(chart: str, namespace: str, version: int, if_match: int | None) -> None:
    if if_match is not None and if_match != version:
        raise ConflictError(
            f"{chart} {namespace}: user overrides are at version {version}, not {if_match}; "
            "read them again and retry"
        )


def _indexed(parts: Sequence[str]) -> tuple[str | int, ...]:
    """``("labels[0]", "conf")`` -> ``("labels", 0, "conf")``: list indices in a dotted path, as
    ``explain`` prints them for keys inside a list."""
    out: list[str | int] = []
    for part in parts:
        match = _INDEXED.match(part)
        if match is None or not match.group(1):
            out.append(part)
            continue
        out.append(match.group(1))
        out.extend(int(i) for i in re.findall(r"\d+", match.group(2)))
    return tuple(out)

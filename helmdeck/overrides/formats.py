"""A release's values in the shapes deployers consume: plain Helm, Armada, Flux, helmfile, Argo CD.

Pure functions of (release facts, values, where the charts come from), so ``helm-override-show``
(one chart) and ``helmdeck export`` (the whole application) produce the same documents.

A placeholder never goes into a document meant to be applied. Every format splits the values
(``redact.split_secrets``): the non-secret values go into the release's own document, and the
secret values into a separate **secret document** that the release's document references (a
Secret in ``valuesFrom`` for Flux, a helm-secrets ``secrets://`` value file for Argo CD, helmfile's
``secrets:`` for helmfile, an override document for ``armada apply --values``). ``export``
writes that document encrypted with SOPS (or in clear with ``--reveal``); ``render`` prints it
only when asked to reveal, and otherwise says in a comment which keys it left out.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from helmdeck.errors import UserError
from helmdeck.overrides.redact import secret_cuts, split_secrets
from helmdeck.plugins.secrets import SecretPaths
from helmdeck.values import tree
from helmdeck.values.yamlio import dump_yaml

FORMATS = ("helm", "armada", "fluxcd", "helmfile", "argocd")

ARGOCD_NAMESPACE = "argocd"
SOURCE_NAME = "openstack-helm"
INTERVAL = "10m"
# What Argo CD must see on openstack-helm's jobs (db-init, db-sync, ks-*, bootstrap...): they
# run while the manifests are applied (the API pods wait for them, so PostSync, which is what
# Argo CD makes of their Helm hooks, would never come), and are recreated on every sync
# (their pod templates are immutable). Set through helm-toolkit's ``annotations.job``.
ARGOCD_JOB_ANNOTATIONS = {
    "argocd.argoproj.io/hook": "Sync",
    "argocd.argoproj.io/hook-delete-policy": "BeforeHookCreation",
}


@dataclass(frozen=True)
class Target:
    """A release as the formats see it; ``needs`` holds (namespace, release) of its dependencies.

    ``wait`` False: the engine must not wait for the release's pods (libvirt and nova wait at
    runtime on neutron, which comes after them); ``timeout`` in seconds, None for the engine's.
    """

    chart: str
    release: str
    namespace: str
    chart_path: str
    chart_version: str
    needs: tuple[tuple[str, str], ...] = ()
    wait: bool = True
    timeout: int | None = None


@dataclass(frozen=True)
class ChartSource:
    """Where the deployer fetches the charts: a local ``path``, a ``git`` repository holding
    them under ``path_prefix``, a Helm repository (``helm``) or an ``oci`` registry.

    ``name``/``namespace`` name Flux's source object (None: the namespace of each release).
    """

    kind: Literal["path", "git", "helm", "oci"]
    url: str
    revision: str = "main"
    path_prefix: str = ""
    name: str = SOURCE_NAME
    namespace: str | None = None

    def chart_in_repo(self, chart: str) -> str:
        """The chart's directory inside the Git repository."""
        return posixpath.normpath(posixpath.join(self.path_prefix.strip("/") or ".", chart))


def local_source(target: Target) -> ChartSource:
    """The charts where this machine has them (what ``helm-override-show`` knows)."""
    return ChartSource("path", str(Path(target.chart_path).parent))


def target_of(
    release: Any, refs: Mapping[str, tuple[str, str]] | None = None
) -> Target:
    """A ``Target`` from a DesiredRelease or ChartOverrides.

    ``refs`` maps a dependency's chart name to its (namespace, release); without it a
    dependency is taken to be released under its chart name in the same namespace, which is
    how the packaged openstack-helm application names them. ``wait``/``timeout`` come from
    a ChartOverrides (export sets a DesiredRelease's from the application).
    """
    chart = getattr(release, "chart", None) or release.name
    refs = refs or {}
    needs = tuple(refs.get(dep, (release.namespace, dep)) for dep in release.depends_on)
    return Target(
        chart=chart,
        release=release.release,
        namespace=release.namespace,
        chart_path=str(release.chart_dir),
        chart_version=release.chart_version,
        needs=needs,
        wait=getattr(release, "wait", True),
        timeout=getattr(release, "timeout", None),
    )


def armada_target(target: Target, app_name: str) -> Target:
    """``target`` of a release named as Armada names it (``Application.armada``), with the
    name its Chart document gives: without the ``release_prefix`` Armada adds back."""
    return replace(target, release=target.release.removeprefix(f"{app_name}-"))


# --- the secret document ---------------------------------------------------------------------


def secrets_file(target: Target) -> str:
    """File name of a release's secret document in an export (beside its other files)."""
    return f"{target.release}.secrets.yaml"


def flux_secret_name(target: Target) -> str:
    return f"{target.release}-values"


def secret_document(fmt: str, target: Target, secrets: dict[str, Any],
                    source: ChartSource | None = None) -> dict[str, Any]:
    """The release's secret values in the shape ``fmt`` reads them from."""

    if fmt == "fluxcd":
        return {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": flux_secret_name(target), "namespace": target.namespace},
            "type": "Opaque",
            "stringData": {"values.yaml": dump_yaml(secrets)},
        }
    if fmt == "armada":
        # The release's own document with the secret values: `armada apply --values FILE`
        # deep-merges it into the manifest's (everything else is equal, so unchanged).
        return armada_chart(target, secrets, source)
    return secrets  # a Helm values file (helm -f, helm-secrets)


# --- per-format documents (non-secret values; the secret document referenced) ----------------


def _dump(*docs: Any) -> str:

    return "---\n".join(dump_yaml(d) for d in docs)


def armada_chart(target: Target, values: dict[str, Any], source: ChartSource | None
                 ) -> dict[str, Any]:
    """An ``armada/Chart/v1`` document. Armada names the release ``<release_prefix>-<release>``."""
    src = source or local_source(target)
    if src.kind == "git":
        location: dict[str, Any] = {"type": "git", "location": src.url,
                                    "subpath": src.chart_in_repo(target.chart),
                                    "reference": src.revision}
    elif src.kind == "helm":
        location = {"type": "tar", "subpath": target.chart,
                    "location": f"{src.url.rstrip('/')}/{target.chart}-{target.chart_version}.tgz"}
    else:
        location = {"type": "local", "location": target.chart_path, "subpath": "."}
    data: dict[str, Any] = {
        "chart_name": target.chart,
        "release": target.release,
        "namespace": target.namespace,
        "values": values,
        "source": location,
        "dependencies": [],
    }
    wait: dict[str, Any] = {} if target.wait else {"resources": [], "native": {"enabled": False}}
    if target.timeout is not None:
        wait["timeout"] = target.timeout
    if wait:
        data["wait"] = wait
    return {
        "schema": "armada/Chart/v1",
        "metadata": {"schema": "metadata/Document/v1", "name": target.release},
        "data": data,
    }


def flux_source_ref(target: Target, source: ChartSource) -> dict[str, str]:
    kind = "GitRepository" if source.kind in ("git", "path") else "HelmRepository"
    return {"kind": kind, "name": source.name,
            "namespace": source.namespace or target.namespace}


def flux_helmrelease(target: Target, values: dict[str, Any], has_secrets: bool,
                     source: ChartSource) -> dict[str, Any]:
    """A HelmRelease: non-secret values inline, the secret ones from the release's Secret."""
    chart: dict[str, Any] = {"sourceRef": flux_source_ref(target, source)}
    if source.kind in ("git", "path"):
        # A Git source ignores the chart version: build a new chart artifact on every new
        # revision, so a template change under an unchanged version is picked up.
        chart["chart"] = "./" + source.chart_in_repo(target.chart)
        chart["reconcileStrategy"] = "Revision"
    else:
        chart["chart"] = target.chart
        chart["version"] = target.chart_version
    spec: dict[str, Any] = {
        "releaseName": target.release,
        "interval": INTERVAL,
        "chart": {"spec": chart},
    }
    if target.timeout is not None:
        spec["timeout"] = f"{target.timeout}s"
    if not target.wait:
        spec["install"] = {"disableWait": True}
        spec["upgrade"] = {"disableWait": True}
    if values:
        spec["values"] = values
    if has_secrets:
        spec["valuesFrom"] = [
            {"kind": "Secret", "name": flux_secret_name(target), "valuesKey": "values.yaml"}
        ]
    if target.needs:
        spec["dependsOn"] = [{"name": rel, "namespace": ns} for ns, rel in target.needs]
    return {
        "apiVersion": "helm.toolkit.fluxcd.io/v2",
        "kind": "HelmRelease",
        "metadata": {"name": target.release, "namespace": target.namespace},
        "spec": spec,
    }


_COMMIT = re.compile(r"^[0-9a-f]{40}$")


def flux_source(source: ChartSource, namespace: str) -> dict[str, Any]:
    """The GitRepository or HelmRepository the HelmReleases name."""
    meta = {"name": source.name, "namespace": source.namespace or namespace}
    if source.kind == "git":
        rev = source.revision
        ref = ({"commit": rev} if _COMMIT.match(rev) else
               {"name": rev} if rev.startswith("refs/") else {"branch": rev})
        return {"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository",
                "metadata": meta, "spec": {"url": source.url, "interval": INTERVAL, "ref": ref}}
    spec: dict[str, Any] = {"url": source.url, "interval": INTERVAL}
    if source.kind == "oci":
        spec["type"] = "oci"
    return {"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "HelmRepository",
            "metadata": meta, "spec": spec}


def helmfile_release(target: Target, values: dict[str, Any], secrets_path: str | None,
                     source: ChartSource | None = None) -> dict[str, Any]:
    """One entry of a helmfile's ``releases``; secrets come through helm-secrets."""
    src = source or local_source(target)
    chart = (f"{src.name}/{target.chart}" if src.kind in ("helm", "oci")
             else target.chart_path)
    entry: dict[str, Any] = {
        "name": target.release,
        "namespace": target.namespace,
        "chart": chart,
        "version": target.chart_version,
        "wait": target.wait,
    }
    if target.timeout is not None:
        entry["timeout"] = target.timeout
    if values:
        entry["values"] = [values]
    if secrets_path is not None:
        entry["secrets"] = [secrets_path]
    if target.needs:
        entry["needs"] = [f"{ns}/{rel}" for ns, rel in target.needs]
    return entry


def helmfile_repositories(source: ChartSource) -> list[dict[str, Any]]:
    if source.kind == "helm":
        return [{"name": source.name, "url": source.url}]
    if source.kind == "oci":
        return [{"name": source.name, "url": source.url.removeprefix("oci://"), "oci": True}]
    return []


def with_argocd_hooks(values: dict[str, Any]) -> dict[str, Any]:
    """``values`` plus Argo CD's hook annotations on every job (helm-toolkit's
    ``annotations.job.<job>``, falling back to ``annotations.job.default``): kept where a job
    already has its own entry, added to ``default`` for the others."""

    out: dict[str, Any] = tree.copy(values)
    annotations = out.get("annotations")
    if type(annotations) is not dict:
        annotations = out["annotations"] = {}
    jobs = annotations.get("job")
    if type(jobs) is not dict:
        jobs = annotations["job"] = {}
    jobs.setdefault("default", {})
    for name, entry in list(jobs.items()):
        if type(entry) is dict:
            jobs[name] = {**ARGOCD_JOB_ANNOTATIONS, **entry}
        elif entry is None:
            jobs[name] = dict(ARGOCD_JOB_ANNOTATIONS)
    return out


def argocd_application(target: Target, values: dict[str, Any], secrets_path: str | None,
                       source: ChartSource, wave: int | None = None) -> dict[str, Any]:
    """An Argo CD Application rendering the chart from Git, non-secret values inline and the
    secret ones from a helm-secrets value file (``secrets://``, relative to the chart path)."""
    helm: dict[str, Any] = {"releaseName": target.release,
                            "valuesObject": with_argocd_hooks(values)}
    if secrets_path is not None:
        helm["valueFiles"] = [f"secrets://{secrets_path}"]
    src: dict[str, Any] = {"repoURL": source.url, "targetRevision": source.revision}
    if source.kind in ("git", "path"):
        src["path"] = source.chart_in_repo(target.chart)
    else:
        src["chart"] = target.chart
        src["targetRevision"] = target.chart_version
    src["helm"] = helm
    meta: dict[str, Any] = {"name": target.release, "namespace": ARGOCD_NAMESPACE}
    if wave is not None:
        meta["annotations"] = {"argocd.argoproj.io/sync-wave": str(wave)}
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": meta,
        "spec": {
            "project": "default",
            "source": src,
            "destination": {
                "server": "https://kubernetes.default.svc",
                "namespace": target.namespace,
            },
            # Applied by an app of apps, a wave orders anything only if each Application
            # syncs itself; nothing is pruned without the operator.
            "syncPolicy": {"automated": {"selfHeal": True}},
        },
    }


# --- one release's documents, as helm-override-show prints them ------------------------------


@dataclass(frozen=True)
class Rendered:
    """A release in one format: its deployable documents, and its secret document (None when
    the release has no secret values)."""

    documents: list[dict[str, Any]]
    secret: dict[str, Any] | None
    secret_keys: list[str]


def documents(fmt: str, target: Target, values: dict[str, Any], paths: SecretPaths,
              source: ChartSource | None = None, *, secrets_path: str | None = None,
              wave: int | None = None) -> Rendered:
    """``fmt``'s documents for one release, the secrets split off into their own document.

    ``secrets_path`` is where the release's documents find the secret document (helm-secrets
    and helmfile paths); by default its export file name.
    """

    plain, secrets = split_secrets(values, paths)
    has = bool(secrets)
    src = source or local_source(target)
    path = (secrets_path or secrets_file(target)) if has else None
    docs: list[dict[str, Any]]
    if fmt == "helm":
        docs = [plain]
    elif fmt == "armada":
        docs = [armada_chart(target, plain, source)]
    elif fmt == "fluxcd":
        docs = [flux_helmrelease(target, plain, has, src)]
    elif fmt == "helmfile":
        docs = [{"releases": [helmfile_release(target, plain, path, source)]}]
    elif fmt == "argocd":
        docs = [argocd_application(target, plain, path, src, wave)]
    else:

        raise UserError(f"format {fmt!r}: unknown; use one of {', '.join(FORMATS)}")
    secret = secret_document(fmt, target, secrets, source) if has else None
    return Rendered(docs, secret, secret_cuts(values, paths) if has else [])


def render(fmt: str, target: Target, values: dict[str, Any], paths: SecretPaths, *,
           reveal: bool = False) -> str:
    """The document(s) of ``fmt`` for one release, as YAML text.

    The secret values are printed only with ``reveal`` (after the release's documents, as the
    separate document ``export`` writes); otherwise a comment names the keys left out. Values
    already redacted (a server's answer) are split the same way, so no placeholder is printed.
    """
    rendered = documents(fmt, target, values, paths)
    if fmt == "helm" and reveal:
        return _dump(values)  # one file for `helm -f`
    text = _dump(*rendered.documents)
    if rendered.secret is None:
        return text
    name = secrets_file(target)
    if reveal:
        return f"{text}---\n# {name}: the secret values\n{_dump(rendered.secret)}"
    keys = ", ".join(rendered.secret_keys)
    return (
        f"# {len(rendered.secret_keys)} secret values are not in this document: {keys}\n"
        f"# They belong in {name}: `helmdeck export --format {fmt} --sops-age RECIPIENT` "
        "writes it encrypted, --reveal prints it.\n" + text
    )

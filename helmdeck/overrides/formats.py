"""A release's values in the shapes deployers consume: plain Helm, Armada, Flux, helmfile, Argo CD.

Pure functions of (release facts, values) returning YAML text, so ``helm-override-show`` (one
chart) and ``helmdeck export`` (the whole application) produce the same documents. The values
passed in are shown as given: redact them first unless the operator asked to reveal.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from helmdeck.errors import UserError
from helmdeck.values.yamlio import dump_yaml

FORMATS = ("helm", "armada", "fluxcd", "helmfile", "argocd")

FLUX_SOURCE = {"kind": "GitRepository", "name": "openstack-helm", "namespace": "flux-system"}
ARGOCD_NAMESPACE = "argocd"


@dataclass(frozen=True)
class Target:
    """A release as the formats see it; ``needs`` holds (namespace, release) of its dependencies."""

    chart: str
    release: str
    namespace: str
    chart_path: str
    chart_version: str
    needs: tuple[tuple[str, str], ...] = ()


def target_of(
    release: Any, refs: Mapping[str, tuple[str, str]] | None = None
) -> Target:
    """A ``Target`` from a DesiredRelease or ChartOverrides.

    ``refs`` maps a dependency's chart name to its (namespace, release); without it a
    dependency is taken to be released under its chart name in the same namespace, which is
    how the packaged openstack-helm application names them.
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
    )


def _dump(*docs: Any) -> str:

    return "---\n".join(dump_yaml(d) for d in docs)


def helm(target: Target, values: dict[str, Any]) -> str:
    """Plain values YAML, what ``helm -f`` takes."""
    return _dump(values)


def armada(target: Target, values: dict[str, Any]) -> str:
    """An ``armada/Chart/v1`` document with the values under ``data.values``."""
    return _dump(
        {
            "schema": "armada/Chart/v1",
            "metadata": {"schema": "metadata/Document/v1", "name": target.release},
            "data": {
                "chart_name": target.chart,
                "release": target.release,
                "namespace": target.namespace,
                "values": values,
                "source": {"type": "local", "location": target.chart_path, "subpath": "."},
                "dependencies": [],
            },
        }
    )


def flux_secret_name(target: Target) -> str:
    return f"{target.release}-values"


def fluxcd(target: Target, values: dict[str, Any]) -> str:
    """A Secret holding the values and a HelmRelease reading them, ordered by ``dependsOn``.

    The values go into a Secret rather than ``spec.values`` because they hold credentials.
    """

    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": flux_secret_name(target), "namespace": target.namespace},
        "type": "Opaque",
        "stringData": {"values.yaml": dump_yaml(values)},
    }
    spec: dict[str, Any] = {
        "releaseName": target.release,
        "interval": "10m",
        "chart": {
            "spec": {
                "chart": f"./{target.chart}",
                "version": target.chart_version,
                "sourceRef": dict(FLUX_SOURCE),
            }
        },
        "valuesFrom": [
            {"kind": "Secret", "name": flux_secret_name(target), "valuesKey": "values.yaml"}
        ],
    }
    if target.needs:
        spec["dependsOn"] = [{"name": rel, "namespace": ns} for ns, rel in target.needs]
    release = {
        "apiVersion": "helm.toolkit.fluxcd.io/v2",
        "kind": "HelmRelease",
        "metadata": {"name": target.release, "namespace": target.namespace},
        "spec": spec,
    }
    return _dump(secret, release)


def helmfile_release(target: Target, values: dict[str, Any]) -> dict[str, Any]:
    """One entry of a helmfile's ``releases`` (deploy's export lists all of them in one file)."""
    entry: dict[str, Any] = {
        "name": target.release,
        "namespace": target.namespace,
        "chart": target.chart_path,
        "version": target.chart_version,
        "values": [values],
    }
    if target.needs:
        entry["needs"] = [f"{ns}/{rel}" for ns, rel in target.needs]
    return entry


def helmfile(target: Target, values: dict[str, Any]) -> str:
    """A helmfile with this one release; ``needs`` orders it after its dependencies."""
    return _dump({"releases": [helmfile_release(target, values)]})


def argocd(target: Target, values: dict[str, Any]) -> str:
    """An Argo CD Application with the values inline under ``spec.source.helm.valuesObject``.

    ``repoURL`` names the local chart source; point it at the Git repository holding the charts.
    """
    return _dump(
        {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "Application",
            "metadata": {"name": target.release, "namespace": ARGOCD_NAMESPACE},
            "spec": {
                "project": "default",
                "source": {
                    "repoURL": f"file://{target.chart_path.rsplit('/', 1)[0]}",
                    "path": target.chart,
                    "targetRevision": "HEAD",
                    "helm": {"releaseName": target.release, "valuesObject": values},
                },
                "destination": {
                    "server": "https://kubernetes.default.svc",
                    "namespace": target.namespace,
                },
            },
        }
    )


RENDERERS: dict[str, Callable[[Target, dict[str, Any]], str]] = {
    "helm": helm,
    "armada": armada,
    "fluxcd": fluxcd,
    "helmfile": helmfile,
    "argocd": argocd,
}


def render(fmt: str, target: Target, values: dict[str, Any]) -> str:
    """The document(s) of ``fmt`` for one release, as YAML text."""
    try:
        renderer = RENDERERS[fmt]
    except KeyError:

        raise UserError(f"format {fmt!r}: unknown; use one of {', '.join(FORMATS)}") from None
    return renderer(target, values)

"""``helmdeck export``: the whole application for a GitOps engine to reconcile.

The per-release documents come from ``helmdeck.overrides.formats`` (the same ones
``helm-override-show --format`` prints); this module adds what only the whole application
has: the ordering (dependsOn / needs / sync waves / chart groups per level), the chart source
object, and one file set per format, the secret documents encrypted with SOPS.

Files, per format (``R`` a release):

- fluxcd: ``R.yaml`` (HelmRelease), ``R.secrets.yaml`` (Secret, data encrypted),
  ``source.yaml`` (GitRepository or HelmRepository), ``kustomization.yaml``.
- argocd: ``R.yaml`` (Application with a sync wave), ``R.secrets.yaml`` (helm-secrets value
  file), ``kustomization.yaml`` (the Applications).
- helmfile: ``helmfile.yaml``, ``R.secrets.yaml`` (helm-secrets, helmfile's ``secrets:``).
- armada: ``armada.yaml`` (charts, a chart group per level, the manifest), ``R.secrets.yaml``
  (``armada apply --values`` documents).

and a ``README.md`` saying what the engine needs to decrypt them.
"""

from __future__ import annotations

import dataclasses
import posixpath
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from helmdeck import sops
from helmdeck.application import Application
from helmdeck.deploy.desired import DesiredRelease, desired_releases
from helmdeck.errors import UserError
from helmdeck.fileio import write_atomic
from helmdeck.overrides import OverrideService, formats
from helmdeck.overrides.formats import ChartSource, Target
from helmdeck.plugins.secrets import SecretPaths
from helmdeck.site.model import Site
from helmdeck.sops import CONFIG_NAME, config_for
from helmdeck.store.audit import AuditAction, audit
from helmdeck.values.yamlio import dump_yaml

EXPORT_FORMATS = ("fluxcd", "argocd", "helmfile", "armada")
# What sops encrypts in a secret document (None: every value). kustomize-controller needs a
# Secret's apiVersion/kind/metadata readable; Armada's override documents keep theirs too.
_ENCRYPTED_REGEX = {"fluxcd": "^(data|stringData)$", "armada": "^values$"}


@dataclass(frozen=True)
class ExportOptions:
    """What ``helmdeck export`` was asked for (``--out`` and the engine-specific options)."""

    fmt: str
    out: Path
    age: tuple[str, ...] = ()
    reveal: bool = False
    repo_url: str | None = None
    revision: str = "main"
    path_prefix: str = ""
    export_path: str | None = None
    source_name: str = "openstack-helm"
    source_namespace: str | None = None


def check_secret_handling(opts: ExportOptions) -> None:
    """Refuse, before anything is computed or written, an export that cannot place secrets."""

    config = config_for(opts.out)
    if opts.reveal and (opts.age or config is not None):
        given = "--sops-age" if opts.age else f"{opts.out / CONFIG_NAME}"
        raise UserError(f"--reveal: {given} asks for encrypted secrets; drop one of them")
    if not opts.reveal and not opts.age and config is None:
        raise UserError(
            f"export: the secrets need a SOPS age recipient: give --sops-age RECIPIENT (or put a "
            f"{CONFIG_NAME} with creation_rules in {opts.out}), or --reveal to write them in clear"
        )


def chart_source(site: Site, opts: ExportOptions) -> ChartSource:
    """Where the engine fetches the charts: the Git repository of ``--repo-url``, else the
    site's Helm repository or OCI registry. A local path is refused where the engine runs in
    the cluster (Flux, Argo CD), which cannot read it."""

    src = site.spec.charts.source
    # One source object, referenced with its namespace by every HelmRelease (some may run in
    # other namespaces): by default in the site's namespace, beside most releases.
    name, ns = opts.source_name, opts.source_namespace or site.spec.namespace
    if opts.repo_url is not None:
        if opts.repo_url.startswith("file:") or opts.repo_url.startswith("/"):
            raise UserError(f"--repo-url {opts.repo_url}: a local path; give the URL the "
                            "engine clones the charts from")
        return ChartSource("git", opts.repo_url, opts.revision, opts.path_prefix, name, ns)
    if opts.fmt == "argocd":
        where = src.path or src.repo or src.oci
        raise UserError(
            f"--repo-url: Argo CD renders the charts and reads the helm-secrets value files "
            f"from one Git repository, and the charts are at {where}; give --repo-url with "
            "the Git repository that holds the charts and this export (--path-prefix for the "
            "charts' directory in it)"
        )
    if src.repo is not None:
        return ChartSource("helm", src.repo, name=name, namespace=ns)
    if src.oci is not None:
        return ChartSource("oci", src.oci, name=name, namespace=ns)
    if opts.fmt == "fluxcd":
        raise UserError(
            f"--repo-url: the charts are in the local directory {src.path}, which Flux "
            "cannot fetch; give --repo-url with the Git repository that holds them "
            "(--path-prefix for their directory in it)"
        )
    return ChartSource("path", str(src.path))


def levels_of(desired: list[DesiredRelease], waits: frozenset[str] | None = None
              ) -> list[list[str]]:
    """The exported charts by longest dependency path among them (chart groups, sync waves).

    With ``waits`` (the charts an engine waits for), a chart goes in the same level as a
    dependency it does not wait for: Argo CD moves to the next wave only once the previous one
    is healthy, and nova is not healthy before neutron, which depends on it, runs.
    """
    deps = {d.chart: [x for x in d.depends_on if x != d.chart] for d in desired}
    depth: dict[str, int] = {}

    def visit(chart: str) -> int:
        if chart not in depth:
            depth[chart] = max(
                (visit(x) + (1 if waits is None or x in waits else 0)
                 for x in deps[chart] if x in deps),
                default=0,
            )
        return depth[chart]

    for d in desired:
        visit(d.chart)
    out: list[list[str]] = [[] for _ in range(max(depth.values(), default=-1) + 1)]
    for d in desired:
        out[depth[d.chart]].append(d.chart)
    return out


def export_documents(
    desired: list[DesiredRelease], opts: ExportOptions, *, source: ChartSource, app_name: str,
    paths: SecretPaths, app: Application | None = None,
) -> tuple[dict[str, list[Any]], dict[str, Any]]:
    """(file name -> its documents, secret file name -> its one secret document).

    ``app`` supplies each release's wait and timeout (none: wait, the engine's timeout).
    """

    fmt = opts.fmt
    if fmt not in EXPORT_FORMATS:
        raise UserError(f"--format {fmt}: unknown; use one of {', '.join(EXPORT_FORMATS)}")
    refs = {d.chart: (d.namespace, d.release) for d in desired}
    rollout = {c.name: c for c in app.charts} if app is not None else {}
    waits = frozenset(d.chart for d in desired if d.chart not in rollout or rollout[d.chart].wait)
    waves = {c: n for n, level in enumerate(levels_of(desired, waits)) for c in level}
    files: dict[str, list[Any]] = {}
    secrets: dict[str, Any] = {}
    helmfile_releases = []
    armada_charts = []
    for d in desired:
        target = formats.target_of(d, refs)
        if d.chart in rollout:
            target = dataclasses.replace(target, wait=rollout[d.chart].wait,
                                         timeout=rollout[d.chart].timeout)
        if fmt == "armada":
            target = formats.armada_target(target, app_name)
        name = formats.secrets_file(target)
        path = name
        if fmt == "argocd":
            path = _argocd_secrets_path(opts, source, target, name)
        rendered = formats.documents(fmt, target, d.values, paths, source, secrets_path=path,
                                     wave=waves[d.chart])
        if rendered.secret is not None:
            secrets[name] = rendered.secret
        if fmt == "helmfile":
            helmfile_releases.extend(rendered.documents[0]["releases"])
        elif fmt == "armada":
            armada_charts.extend(rendered.documents)
        else:
            files[f"{target.release}.yaml"] = rendered.documents
    if fmt == "helmfile":
        doc: dict[str, Any] = {"releases": helmfile_releases}
        repositories = formats.helmfile_repositories(source)
        if repositories:
            doc = {"repositories": repositories, **doc}
        files["helmfile.yaml"] = [doc]
    elif fmt == "armada":
        files["armada.yaml"] = [*armada_charts, *_armada_groups(desired, app_name)]
    elif fmt == "fluxcd":
        namespaces = sorted({d.namespace for d in desired})
        files["source.yaml"] = [formats.flux_source(source, namespaces[0] if namespaces
                                                    else "default")]
        files["kustomization.yaml"] = [_kustomization([*files, *secrets])]
    else:
        files["kustomization.yaml"] = [_kustomization(list(files))]
    return files, secrets


def _kustomization(resources: list[str]) -> dict[str, Any]:
    return {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": sorted(resources),
    }


def _argocd_secrets_path(opts: ExportOptions, source: ChartSource, target: Target,
                         name: str) -> str:
    """The helm-secrets value file, relative to the chart's path in the repository (Argo CD
    reads value files of a single-source Application from the chart's repository)."""
    export_path = opts.export_path
    if export_path is None:
        export_path = _path_in_work_tree(opts.out)
    in_repo = posixpath.normpath(posixpath.join(export_path.strip("/") or ".", name))
    return posixpath.relpath(in_repo, source.chart_in_repo(target.chart))


def _path_in_work_tree(out: Path) -> str:
    here = out.resolve()
    for parent in (here, *here.parents):
        if (parent / ".git").exists():
            return here.relative_to(parent).as_posix()
    raise UserError(
        f"--export-path: {out} is not inside a Git work tree; give the path of {out} inside "
        "the repository of --repo-url (Argo CD reads the secret value files from there)"
    )


def _armada_groups(desired: list[DesiredRelease], name: str) -> list[dict[str, Any]]:
    """One chart group per dependency level (parallel inside), sequenced by the manifest."""
    prefix = f"{name}-"
    release_of = {d.chart: d.release.removeprefix(prefix) for d in desired}
    groups: list[dict[str, Any]] = []
    for n, level in enumerate(levels_of(desired)):
        groups.append({
            "schema": "armada/ChartGroup/v1",
            "metadata": {"schema": "metadata/Document/v1", "name": f"level-{n}"},
            "data": {"description": f"dependency level {n}", "sequenced": False,
                     "chart_group": [release_of[c] for c in sorted(level)]},
        })
    manifest = {
        "schema": "armada/Manifest/v1",
        "metadata": {"schema": "metadata/Document/v1", "name": name},
        "data": {"release_prefix": name,
                 "chart_groups": [g["metadata"]["name"] for g in groups]},
    }
    return [*groups, manifest]


def export_files(
    desired: list[DesiredRelease], opts: ExportOptions, *, source: ChartSource, app_name: str,
    paths: SecretPaths, app: Application | None = None,
) -> dict[str, str]:
    """File name -> text of the export: secret documents SOPS-encrypted unless ``reveal``."""

    files, secrets = export_documents(desired, opts, source=source, app_name=app_name,
                                      paths=paths, app=app)
    texts = {name: "---\n".join(dump_yaml(d) for d in docs) for name, docs in files.items()}
    regex = _ENCRYPTED_REGEX.get(opts.fmt)
    for name, doc in secrets.items():
        if opts.reveal:
            texts[name] = dump_yaml(doc)
        else:
            texts[name] = sops.encrypt(doc, dest=opts.out / name, age=opts.age,
                                       encrypted_regex=regex)
    texts["README.md"] = _readme(opts, app_name, encrypted=not opts.reveal)
    return texts


def write_export(out: Path, files: dict[str, str]) -> list[Path]:
    """Write each file atomically, 0600 (with --reveal they hold the site's secrets)."""
    written = []
    for name, text in sorted(files.items()):
        write_atomic(out / name, text, parents=True)
        written.append(out / name)
    return written


_README = {
    "fluxcd": """\
Flux: commit this directory and point a Flux Kustomization at it, with SOPS decryption:

    apiVersion: kustomize.toolkit.fluxcd.io/v1
    kind: Kustomization
    spec:
      path: ./<this directory>
      prune: true
      decryption:
        provider: sops
        secretRef: {name: sops-age}   # a Secret with the age key as `age.agekey`

kustomize-controller decrypts the *.secrets.yaml Secrets (only their data/stringData is
encrypted); each HelmRelease reads them through valuesFrom. source.yaml is the chart source the
HelmReleases name; Git sources use reconcileStrategy: Revision so every new commit is applied.
""",
    "argocd": """\
Argo CD: commit this directory to the repository that holds the charts and apply
kustomization.yaml (the Applications, ordered by argocd.argoproj.io/sync-wave = dependency
level; Argo CD orders Applications by wave only with an Application health check, see
"resource.customizations" for argoproj.io/Application in argocd-cm).

The *.secrets.yaml value files are read through helm-secrets: the argocd-repo-server needs the
helm-secrets plugin and sops, `secrets` in helm.valuesFileSchemes (argocd-cm), and the age key
(SOPS_AGE_KEY_FILE). The value files are referenced relative to each chart's path.
openstack-helm jobs carry argocd.argoproj.io/hook: Sync (annotations.job.default), so db-init,
db-sync and ks-* run while the manifests are applied and are recreated on every sync.
""",
    "helmfile": """\
helmfile: `helmfile apply` runs the releases in dependency order (needs). The *.secrets.yaml
files are decrypted by helm-secrets (`helm plugin install https://github.com/jkroepke/helm-secrets`)
with the age key in SOPS_AGE_KEY_FILE.
""",
    "armada": """\
Armada: armada.yaml has the charts, one chart group per dependency level and the manifest.
Armada names each release <release_prefix>-<release>; the values are computed for those names.
The *.secrets.yaml documents hold the secret values; decrypt them (`sops -d`, age key in
SOPS_AGE_KEY_FILE) onto a private file system and pass each with `armada apply armada.yaml
--values FILE`, which merges them into the charts.
""",
}


def _readme(opts: ExportOptions, app_name: str, *, encrypted: bool) -> str:
    state = ("encrypted with SOPS for age" if encrypted else
             "IN CLEAR (--reveal): encrypt them before committing")
    return (f"# {app_name} for {opts.fmt}, written by helmdeck export\n\n"
            f"Secret values are only in the *.secrets.yaml files, {state}.\n\n"
            + _README[opts.fmt])


def export_application(service: OverrideService, opts: ExportOptions, site: Site
                       ) -> dict[str, str]:
    """The export of the service's application for ``opts``, every secret it carries audited:
    a reveal as such (before anything is read in clear), an encrypted export per release."""
    check_secret_handling(opts)
    source = chart_source(site, opts)
    app_name = service.app.name
    if opts.fmt == "armada":
        # Armada names releases <release_prefix>-<release>: compute the values for them.
        service = service.as_armada()
    desired = desired_releases(service)
    if opts.reveal:
        for d in desired:
            service.get(d.chart, d.namespace, reveal=True)  # the reveal's audit entry
    files = export_files(desired, opts, source=source, app_name=app_name,
                         paths=service.secret_paths, app=service.app)
    if not opts.reveal:
        how = f"for age {', '.join(opts.age)}" if opts.age else f"by {CONFIG_NAME}"
        with service.store.transaction() as s:
            for d in desired:
                audit(s, actor=service.actor, action=AuditAction.RELEASE_EXPORT,
                      target=f"{d.chart}@{d.namespace}",
                      detail=f"{opts.fmt}, secrets encrypted with SOPS {how}")
    return files

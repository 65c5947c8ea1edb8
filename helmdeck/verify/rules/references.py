"""Reference rules: what a pod mounts or reads exists, and the API server accepts the names.

An object is found when a release of the application renders it in the same namespace (a
Helm hook only counts for its own release: another release's hook may be gone, or not run
yet), when Kubernetes makes it in every namespace (ServiceAccount ``default``, ConfigMap
``kube-root-ca.crt``), when a job of the application makes it at run time (openstack-helm's
``storage-init`` jobs create the keyring Secret their ``RBD_POOL_SECRET`` names, see
``_storage-init.sh.tpl``), or when it is declared external. References marked ``optional``
are not checked.

VFY301 secret-missing (error)
    A Secret a pod mounts (secret and projected volumes, rbd/cephfs/csi secret refs), reads
    (env secretKeyRef, envFrom) or pulls with (imagePullSecrets) does not exist.
VFY302 configmap-missing (error)
    A ConfigMap a pod mounts or reads does not exist.
VFY303 serviceaccount-missing (error)
    The pod's serviceAccountName does not exist: the pod is refused at creation.
VFY304 claim-missing (error)
    A PersistentVolumeClaim a pod mounts does not exist: the pod stays Pending.
VFY305 service-selects-nothing (error)
    A Service's selector matches the pod labels of no workload in its namespace.
VFY306 name-invalid (error)
    An object or container name the API server refuses: DNS-1035 label for Services,
    DNS-1123 label for Namespaces and containers, path segment for RBAC kinds, DNS-1123
    subdomain for the rest, at most 52 characters for a CronJob; duplicate container names.
VFY307 port-name-invalid (error)
    A container or Service port name that is not an IANA_SVC_NAME (at most 15 characters,
    lower-case letters, digits and '-', a letter somewhere, no '-' at either end, no '--'),
    a duplicate one, or an unnamed port of a multi-port Service.
VFY308 image-not-mirrored (error)
    With a registry mirror, an image not pulled through it.
VFY309 label-invalid (error)
    A label key or value (object, pod template, selector) the API server refuses.
VFY310 object-duplicate (error)
    The same object rendered twice: Helm refuses a release whose object another release
    owns, and one render overwrites the other.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from helmdeck.verify import names
from helmdeck.verify.context import Context, finding
from helmdeck.verify.model import Finding, Rule
from helmdeck.verify.scheduling import selector_of
from helmdeck.verify.workloads import Obj, Workload, workload_of

SECRET = Rule("VFY301", "secret-missing", "error", "A Secret a pod uses does not exist.")
CONFIGMAP = Rule("VFY302", "configmap-missing", "error",
                 "A ConfigMap a pod uses does not exist.")
SERVICEACCOUNT = Rule("VFY303", "serviceaccount-missing", "error",
                      "A pod's ServiceAccount does not exist.")
CLAIM = Rule("VFY304", "claim-missing", "error",
             "A PersistentVolumeClaim a pod mounts does not exist.")
SELECTS_NOTHING = Rule("VFY305", "service-selects-nothing", "error",
                       "A Service selects no pod of any workload.")
NAME = Rule("VFY306", "name-invalid", "error", "A name the API server refuses.")
PORT_NAME = Rule("VFY307", "port-name-invalid", "error",
                 "A port name that is not a valid IANA_SVC_NAME, or a missing or duplicate one.")
IMAGE = Rule("VFY308", "image-not-mirrored", "error",
             "An image not pulled through the site's registry mirror.")
LABEL = Rule("VFY309", "label-invalid", "error", "A label the API server refuses.")
DUPLICATE = Rule("VFY310", "object-duplicate", "error", "The same object rendered twice.")
RULES = (SECRET, CONFIGMAP, SERVICEACCOUNT, CLAIM, SELECTS_NOTHING, NAME, PORT_NAME, IMAGE,
         LABEL, DUPLICATE)

# (kind, name) Kubernetes itself keeps in every namespace.
BUILT_IN = frozenset({("ServiceAccount", "default"), ("ConfigMap", "kube-root-ca.crt")})
_EXTERNAL_FIELD = {
    "Secret": "secrets", "ConfigMap": "configmaps", "ServiceAccount": "serviceaccounts",
    "PersistentVolumeClaim": "persistentvolumeclaims",
}
_RULE_OF = {"Secret": SECRET, "ConfigMap": CONFIGMAP, "ServiceAccount": SERVICEACCOUNT,
            "PersistentVolumeClaim": CLAIM}
# Environment variables naming a Secret the job's script creates with kubectl.
RUNTIME_SECRET_ENV = ("RBD_POOL_SECRET",)
RBAC_KINDS = frozenset({"Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"})
_Ref = tuple[str, str, str]  # kind, name, where in the pod spec


def _m(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _ref(out: list[_Ref], kind: str, source: Mapping[str, Any], key: str, where: str) -> None:
    if source and source.get(key) and source.get("optional") is not True:
        out.append((kind, str(source[key]), where))


def _volume_refs(spec: Mapping[str, Any], out: list[_Ref]) -> None:
    for v in spec.get("volumes") or ():
        v = _m(v)
        where = f"volume {v.get('name', '')}"
        _ref(out, "Secret", _m(v.get("secret")), "secretName", where)
        _ref(out, "ConfigMap", _m(v.get("configMap")), "name", where)
        _ref(out, "PersistentVolumeClaim", _m(v.get("persistentVolumeClaim")), "claimName",
             where)
        for src in _m(v.get("projected")).get("sources") or ():
            _ref(out, "Secret", _m(_m(src).get("secret")), "name", where)
            _ref(out, "ConfigMap", _m(_m(src).get("configMap")), "name", where)
        for plugin, key in (("rbd", "secretRef"), ("cephfs", "secretRef"),
                            ("csi", "nodePublishSecretRef"), ("iscsi", "secretRef"),
                            ("flexVolume", "secretRef")):
            _ref(out, "Secret", _m(_m(v.get(plugin)).get(key)), "name", where)


def _container_refs(w: Workload, out: list[_Ref]) -> None:
    for c in w.containers():
        where = f"container {c.get('name', '')}"
        for e in c.get("env") or ():
            value_from = _m(_m(e).get("valueFrom"))
            _ref(out, "Secret", _m(value_from.get("secretKeyRef")), "name", where)
            _ref(out, "ConfigMap", _m(value_from.get("configMapKeyRef")), "name", where)
        for e in c.get("envFrom") or ():
            _ref(out, "Secret", _m(_m(e).get("secretRef")), "name", where)
            _ref(out, "ConfigMap", _m(_m(e).get("configMapRef")), "name", where)


def references(w: Workload) -> list[_Ref]:
    """Every object the pod template needs by name: (kind, name, where it is used)."""
    spec = w.spec
    out: list[_Ref] = []
    _volume_refs(spec, out)
    _container_refs(w, out)
    for s in spec.get("imagePullSecrets") or ():
        _ref(out, "Secret", _m(s), "name", "imagePullSecrets")
    account = spec.get("serviceAccountName") or spec.get("serviceAccount")
    if account:
        out.append(("ServiceAccount", str(account), "serviceAccountName"))
    return out


def runtime_secrets(ctx: Context) -> frozenset[tuple[str, str]]:
    """(namespace, name) of the Secrets jobs of the application create when they run."""
    out = set()
    for w in ctx.catalog.workloads:
        if w.kind not in ("Job", "CronJob"):
            continue
        for c in w.containers():
            for e in c.get("env") or ():
                e = _m(e)
                if e.get("name") in RUNTIME_SECRET_ENV and e.get("value"):
                    out.add((w.namespace, str(e["value"])))
    return frozenset(out)


def _exists(ctx: Context, kind: str, ns: str, name: str, release: str) -> bool:
    if (kind, name) in BUILT_IN or ctx.options.external.has(_EXTERNAL_FIELD[kind], ns, name):
        return True
    return any(o.installed and (not o.hooks or o.release == release)
               for o in ctx.catalog.find(kind, ns, name))


def _missing(ctx: Context) -> Iterator[Finding]:
    made = runtime_secrets(ctx)
    for w in ctx.catalog.workloads:
        for kind, name, where in dict.fromkeys(references(w)):
            if kind == "Secret" and (w.namespace, name) in made:
                continue
            if _exists(ctx, kind, w.namespace, name, w.obj.release):
                continue
            hooked = [o.release for o in ctx.catalog.find(kind, w.namespace, name) if o.hooks]
            extra = f" (only as a hook of release {hooked[0]})" if hooked else ""
            yield finding(_RULE_OF[kind], w.obj,
                          f"{where} uses {kind} {w.namespace}/{name}, which no release "
                          f"renders{extra}",
                          f"enable the chart that makes it, fix the name, or declare it "
                          f"external ({_EXTERNAL_FIELD[kind]})")


def _selectors(ctx: Context) -> Iterator[Finding]:
    for o in ctx.catalog.objects:
        if o.kind != "Service" or not o.installed:
            continue
        spec = _m(o.doc.get("spec"))
        selector = spec.get("selector")
        if spec.get("type") == "ExternalName" or not isinstance(selector, Mapping) \
                or not selector:
            continue
        sel = selector_of({str(k): str(v) for k, v in selector.items()})
        if any(sel.matches(w.labels) for w in ctx.catalog.workloads_by_namespace.get(
                o.namespace, ())):
            continue
        text = ",".join(f"{k}={v}" for k, v in sorted(selector.items()))
        yield finding(SELECTS_NOTHING, o, f"selector {text} matches no pod template in "
                      f"{o.namespace}: the Service never has endpoints",
                      "enable the workload it fronts, or fix the selector")


def _name_rule(kind: str) -> Callable[[str], str | None]:
    if kind == "Service":
        return names.dns1035_label
    if kind == "Namespace":
        return names.dns1123_label
    if kind in RBAC_KINDS:
        return names.path_segment
    return names.dns1123_subdomain


def _names(o: Obj) -> Iterator[Finding]:
    why = _name_rule(o.kind)(o.name) if o.name else "is empty"
    if why is None and o.kind == "CronJob" and len(o.name) > names.CRONJOB_NAME_MAX:
        why = f"longer than {names.CRONJOB_NAME_MAX} characters"
    if why is not None:
        yield finding(NAME, o, f"name {o.name!r} {_phrase(why)}", "rename it in the chart")


def _phrase(why: str) -> str:
    return why if why.startswith(("is ", "may ", "must ")) else f"is {why}"


def _container_names(w: Workload) -> Iterator[Finding]:
    seen = Counter(str(c.get("name", "")) for c in w.containers())
    for name, n in sorted(seen.items()):
        why = names.dns1123_label(name) if name else "is empty"
        if why is not None:
            yield finding(NAME, w.obj, f"container name {name!r} {_phrase(why)}",
                          "rename the container in the chart")
        if n > 1:
            yield finding(NAME, w.obj, f"container name {name!r} is used {n} times",
                          "give every container of the pod its own name")


def _port_problems(ports: list[Mapping[str, Any]], what: str,
                   need_names: bool) -> Iterator[str]:
    seen: Counter[str] = Counter()
    for p in ports:
        name = p.get("name")
        if name is None or name == "":
            if need_names:
                yield f"{what} port {p.get('port', '')} has no name, which a Service with " \
                      "several ports needs"
            continue
        seen[str(name)] += 1
        why = names.iana_svc_name(str(name))
        if why is not None:
            yield f"{what} port name {str(name)!r} is not a valid IANA_SVC_NAME: {why}"
    for name, n in sorted(seen.items()):
        if n > 1:
            yield f"{what} port name {name!r} is used {n} times"


def _ports(o: Obj, w: Workload | None) -> Iterator[Finding]:
    fix = "rename the port in the chart (lower-case letters, digits and '-', at most 15)"
    problems: list[str] = []
    if o.kind == "Service":
        ports = [p for p in _m(o.doc.get("spec")).get("ports") or () if isinstance(p, Mapping)]
        problems.extend(_port_problems(ports, "Service", len(ports) > 1))
    if w is not None:
        ports = [p for c in w.containers() for p in c.get("ports") or ()
                 if isinstance(p, Mapping)]
        problems.extend(_port_problems(ports, "container", False))
    for text in dict.fromkeys(problems):
        yield finding(PORT_NAME, o, text, fix)


def _images(ctx: Context, w: Workload) -> Iterator[Finding]:
    registry = ctx.options.registry
    if not registry:
        return
    for c in w.containers():
        image = str(c.get("image") or "")
        if not image.startswith(f"{registry}/"):
            yield finding(IMAGE, w.obj, f"container {c.get('name', '')} pulls {image!r}, not "
                          f"from the mirror {registry}",
                          f"rewrite the image to {registry}/<path>:<tag> (openstack-helm: "
                          "images.tags of the chart)")


def _label_problems(labels: Any, what: str) -> Iterator[str]:
    for k, v in _m(labels).items():
        why = names.label_key(str(k))
        if why is not None:
            yield f"{what} label key {k!r}: {why}"
        why = names.label_value("" if v is None else str(v))
        if why is not None:
            yield f"{what} label {k}={v!r}: {why}"


def _labels(o: Obj, w: Workload | None) -> Iterator[Finding]:
    problems = list(_label_problems(_m(o.doc.get("metadata")).get("labels"), "object"))
    if w is not None:
        problems.extend(_label_problems(w.labels, "pod template"))
        selector = _m(_m(o.doc.get("spec")).get("selector")).get("matchLabels")
        problems.extend(_label_problems(selector, "selector"))
    for text in dict.fromkeys(problems):
        yield finding(LABEL, o, text, "fix the label in the chart's values or templates")


def _duplicates(ctx: Context) -> Iterator[Finding]:
    for objs in ctx.catalog.duplicates():
        releases = sorted({o.release for o in objs})
        if len(releases) > 1:
            for o in objs:
                others = ", ".join(r for r in releases if r != o.release)
                yield finding(DUPLICATE, o, f"also rendered by release {others}: Helm refuses "
                              "to install a release over an object another one owns",
                              "disable the object in one of the two charts")
        else:
            yield finding(DUPLICATE, objs[0], f"rendered {len(objs)} times by the release: "
                          "the last one silently wins", "remove the duplicate template")


def check(ctx: Context) -> Iterator[Finding]:
    yield from _missing(ctx)
    yield from _selectors(ctx)
    for o in ctx.catalog.objects:
        w = workload_of(o)  # test hooks too: `helm test` pulls and names them as well
        yield from _names(o)
        yield from _ports(o, w)
        yield from _labels(o, w)
        if w is not None:
            yield from _container_names(w)
            yield from _images(ctx, w)
    yield from _duplicates(ctx)

"""The rule catalogue: openstack-helm's chart conventions (values layout, images, endpoints)."""

from __future__ import annotations

from helmdeck.lint.model import Rule, Severity

E, W = Severity.ERROR, Severity.WARNING

_RULES = (
    Rule(
        "OSH000",
        "renders",
        E,
        "Rules that inspect manifests need the chart to render with its own defaults.",
        "make `helm template` of the chart succeed with values.yaml alone",
    ),
    Rule(
        "OSH001",
        "replicas-from-values",
        E,
        "Replica counts are set by tools through pod.replicas.<component>.",
        "declare pod.replicas.<component> and use it as the workload's replicas",
    ),
    Rule(
        "OSH002",
        "label-paths-exist",
        E,
        "A labels.<component> path read by a template but missing from values.yaml makes the "
        "template fail (nil pointer) or drop the nodeSelector.",
        "add labels.<component>.node_selector_key/node_selector_value to values.yaml",
    ),
    Rule(
        "OSH003",
        "node-selector-from-labels",
        E,
        "Placement is set by tools through labels.<component>.node_selector_key/value.",
        "give every component both keys and build nodeSelector from them",
    ),
    Rule(
        "OSH004",
        "node-selector-on-every-pod",
        E,
        "A pod without a nodeSelector (jobs included) lands on any node, e.g. a compute host.",
        "add nodeSelector from labels.<component> (labels.job for jobs)",
    ),
    Rule(
        "OSH005",
        "images-pinned",
        W,
        "Floating (:latest) or registry-less images change under a running cloud and defeat "
        "image mirrors.",
        "use images.tags.<key>: <registry>/<path>:<fixed tag> and read images from it",
    ),
    Rule(
        "OSH006",
        "image-pull-policy",
        E,
        "images.pull_policy is how tools switch pulling for mirrors and air-gapped sites.",
        "add images.pull_policy (IfNotPresent) and use it as imagePullPolicy",
    ),
    Rule(
        "OSH007",
        "rolling-update-from-values",
        E,
        "Rollout behaviour is tuned through pod.lifecycle.upgrades.{deployments,daemonsets}.",
        "declare pod.lifecycle.upgrades.* and render strategy/updateStrategy from it",
    ),
    Rule(
        "OSH008",
        "resources-off-by-default",
        E,
        "Resource requests are opt-in: pod.resources.enabled must exist and default to false.",
        "add pod.resources.enabled: false",
    ),
    Rule(
        "OSH009",
        "resources-keys-exist",
        W,
        "A pod.resources key read by a template but absent renders `resources: null` once "
        "resources are enabled.",
        "add the key under pod.resources with requests and limits",
    ),
    Rule(
        "OSH010",
        "resources-keys-used",
        W,
        "A pod.resources key no template reads is a setting that silently does nothing.",
        "rename it to the key the template reads, or remove it",
    ),
    Rule(
        "OSH011",
        "endpoints-not-hard-coded",
        E,
        "Service addresses must come from endpoints.<type> so overrides (FQDNs, namespaces, "
        "TLS) reach every consumer.",
        "build the address with the endpoint lookup helpers from endpoints.<type>",
    ),
    Rule(
        "OSH012",
        "config-hash-annotations",
        E,
        "Without configmap-bin-hash/configmap-etc-hash on the pod template a config change "
        "does not roll the pods.",
        "annotate the pod template with the hash of each config template it mounts",
    ),
    Rule(
        "OSH013",
        "define-prefix",
        W,
        "Template names are global across a chart and its subcharts; unprefixed defines collide.",
        "name every define `<chart>.<name>`",
    ),
)

RULES: dict[str, Rule] = {r.id: r for r in _RULES}

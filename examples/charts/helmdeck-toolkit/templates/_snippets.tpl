{{/* (ctx application component) -> the labels every object of a component carries. */}}
{{- define "helmdeck-toolkit.snippets.labels" -}}
{{- $ctx := index . 0 -}}
release_group: {{ $ctx.Values.release_group | default $ctx.Release.Name }}
application: {{ index . 1 }}
component: {{ index . 2 }}
{{- end -}}

{{/* (ctx chart) -> `tolerations:` from pod.tolerations.<chart> when enabled (one key per chart, every pod). */}}
{{- define "helmdeck-toolkit.snippets.tolerations" -}}
{{- $ctx := index . 0 -}}
{{- $tolerations := index $ctx.Values.pod.tolerations (index . 1) -}}
{{- if $tolerations.enabled -}}
tolerations:
{{ toYaml $tolerations.tolerations | indent 2 }}
{{- end -}}
{{- end -}}

{{/* (ctx resources) -> `resources:` only when pod.resources.enabled (the default is off). */}}
{{- define "helmdeck-toolkit.snippets.resources" -}}
{{- $ctx := index . 0 -}}
{{- if $ctx.Values.pod.resources.enabled -}}
resources:
{{ toYaml (index . 1) | indent 2 }}
{{- end -}}
{{- end -}}

{{/* (ctx) -> Deployment rollout settings from pod.lifecycle.upgrades.deployments. */}}
{{- define "helmdeck-toolkit.snippets.upgrades_deployment" -}}
{{- $upgrades := (index . 0).Values.pod.lifecycle.upgrades.deployments -}}
revisionHistoryLimit: {{ $upgrades.revision_history }}
strategy:
  type: {{ $upgrades.pod_replacement_strategy }}
{{- if eq $upgrades.pod_replacement_strategy "RollingUpdate" }}
  rollingUpdate:
    maxUnavailable: {{ $upgrades.rolling_update.max_unavailable }}
    maxSurge: {{ $upgrades.rolling_update.max_surge }}
{{- end -}}
{{- end -}}

{{/* (ctx daemonset) -> DaemonSet rollout settings from pod.lifecycle.upgrades.daemonsets. */}}
{{- define "helmdeck-toolkit.snippets.upgrades_daemonset" -}}
{{- $all := (index . 0).Values.pod.lifecycle.upgrades.daemonsets -}}
{{- $ds := index $all (index . 1) -}}
{{- if $ds.enabled -}}
minReadySeconds: {{ $ds.min_ready_seconds }}
updateStrategy:
  type: {{ $all.pod_replacement_strategy }}
{{- if eq $all.pod_replacement_strategy "RollingUpdate" }}
  rollingUpdate:
    maxUnavailable: {{ $ds.max_unavailable }}
{{- end -}}
{{- end -}}
{{- end -}}

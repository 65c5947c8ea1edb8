{{/*
Endpoint lookups over `.Values.endpoints.<type>`, following the openstack-helm rules
(dashes in type names become underscores; `hosts.<endpoint>` falls back to `hosts.default`;
`host_fqdn_override` replaces the whole cluster FQDN; an IP in `hosts` wins over everything).
Every helper takes a list whose last element is the root context.
*/}}

{{/* (type endpoint ctx) -> short host name; an IP yields the type name. */}}
{{- define "helmdeck-toolkit.endpoints.hostname_short" -}}
{{- $type := index . 0 -}}
{{- $endpoint := index . 1 -}}
{{- $ctx := index . 2 -}}
{{- $ep := index $ctx.Values.endpoints ($type | replace "-" "_") -}}
{{- $host := index $ep.hosts $endpoint | default $ep.hosts.default -}}
{{- if kindIs "map" $host }}{{ $host = $host.host }}{{ end -}}
{{- if regexMatch "[0-9]+\\.[0-9]+\\.[0-9]+\\.[0-9]+" (toString $host) -}}
{{- $type -}}
{{- else -}}
{{- $host -}}
{{- end -}}
{{- end -}}

{{/* (type ctx) -> the endpoint's namespace, or the release namespace. */}}
{{- define "helmdeck-toolkit.endpoints.namespace" -}}
{{- $type := index . 0 -}}
{{- $ctx := index . 1 -}}
{{- $ep := index $ctx.Values.endpoints ($type | replace "-" "_") -}}
{{- $ep.namespace | default $ctx.Release.Namespace -}}
{{- end -}}

{{/* (type endpoint ctx) -> FQDN: the override for this endpoint, the default override, or the cluster name. */}}
{{- define "helmdeck-toolkit.endpoints.hostname_fqdn" -}}
{{- $type := index . 0 -}}
{{- $endpoint := index . 1 -}}
{{- $ctx := index . 2 -}}
{{- $ep := index $ctx.Values.endpoints ($type | replace "-" "_") -}}
{{- $short := tuple $type $endpoint $ctx | include "helmdeck-toolkit.endpoints.hostname_short" -}}
{{- $ns := tuple $type $ctx | include "helmdeck-toolkit.endpoints.namespace" -}}
{{- $cluster := printf "%s.%s.svc.%s" $short $ns $ctx.Values.endpoints.cluster_domain_suffix -}}
{{- $default := $ep.host_fqdn_override.default -}}
{{- if kindIs "map" $default }}{{ $default = $default.host }}{{ end -}}
{{- $override := index $ep.host_fqdn_override $endpoint -}}
{{- if kindIs "map" $override }}{{ $override = $override.host }}{{ end -}}
{{- $override | default $default | default $cluster -}}
{{- end -}}

{{/* (type endpoint ctx) -> the host clients connect to. */}}
{{- define "helmdeck-toolkit.endpoints.host" -}}
{{- $type := index . 0 -}}
{{- $endpoint := index . 1 -}}
{{- $ctx := index . 2 -}}
{{- $ep := index $ctx.Values.endpoints ($type | replace "-" "_") -}}
{{- $host := index $ep.hosts $endpoint | default $ep.hosts.default -}}
{{- if kindIs "map" $host }}{{ $host = $host.host }}{{ end -}}
{{- if regexMatch "[0-9]+\\.[0-9]+\\.[0-9]+\\.[0-9]+" (toString $host) -}}
{{- $host -}}
{{- else -}}
{{- tuple $type $endpoint $ctx | include "helmdeck-toolkit.endpoints.hostname_fqdn" -}}
{{- end -}}
{{- end -}}

{{/* (type endpoint port_name ctx) -> the port number as text (ints from --set work too). */}}
{{- define "helmdeck-toolkit.endpoints.port" -}}
{{- $type := index . 0 -}}
{{- $endpoint := index . 1 -}}
{{- $name := index . 2 -}}
{{- $ctx := index . 3 -}}
{{- $ports := index (index $ctx.Values.endpoints ($type | replace "-" "_")).port $name -}}
{{- $port := index $ports $endpoint | default $ports.default -}}
{{- if kindIs "float64" $port }}{{ printf "%1.f" $port }}{{ else }}{{ $port }}{{ end -}}
{{- end -}}

{{/* (type endpoint ctx) -> scheme; a string applies to every endpoint; http when unset. */}}
{{- define "helmdeck-toolkit.endpoints.scheme" -}}
{{- $type := index . 0 -}}
{{- $endpoint := index . 1 -}}
{{- $ctx := index . 2 -}}
{{- $scheme := (index $ctx.Values.endpoints ($type | replace "-" "_")).scheme -}}
{{- if kindIs "map" $scheme -}}
{{- index $scheme $endpoint | default $scheme.default | default "http" -}}
{{- else -}}
{{- $scheme | default "http" -}}
{{- end -}}
{{- end -}}

{{/* (type endpoint ctx) -> path; a string applies to every endpoint. */}}
{{- define "helmdeck-toolkit.endpoints.path" -}}
{{- $type := index . 0 -}}
{{- $endpoint := index . 1 -}}
{{- $ctx := index . 2 -}}
{{- $path := (index $ctx.Values.endpoints ($type | replace "-" "_")).path -}}
{{- if kindIs "map" $path -}}
{{- index $path $endpoint | default $path.default | default "" -}}
{{- else -}}
{{- $path -}}
{{- end -}}
{{- end -}}

{{/* (type endpoint port_name ctx) -> catalog URI; the port is dropped when it is the scheme's own. */}}
{{- define "helmdeck-toolkit.endpoints.uri" -}}
{{- $type := index . 0 -}}
{{- $endpoint := index . 1 -}}
{{- $name := index . 2 -}}
{{- $ctx := index . 3 -}}
{{- $scheme := tuple $type $endpoint $ctx | include "helmdeck-toolkit.endpoints.scheme" -}}
{{- $host := tuple $type $endpoint $ctx | include "helmdeck-toolkit.endpoints.host" -}}
{{- $port := tuple $type $endpoint $name $ctx | include "helmdeck-toolkit.endpoints.port" -}}
{{- $path := tuple $type $endpoint $ctx | include "helmdeck-toolkit.endpoints.path" -}}
{{- if or (and (eq $scheme "http") (eq $port "80")) (and (eq $scheme "https") (eq $port "443")) -}}
{{- printf "%s://%s%s" $scheme $host $path -}}
{{- else -}}
{{- printf "%s://%s:%s%s" $scheme $host $port $path -}}
{{- end -}}
{{- end -}}

{{/* (type endpoint userclass port_name ctx) -> scheme://user:password@host:port/path (password URL-quoted). */}}
{{- define "helmdeck-toolkit.endpoints.authenticated_uri" -}}
{{- $type := index . 0 -}}
{{- $endpoint := index . 1 -}}
{{- $name := index . 3 -}}
{{- $ctx := index . 4 -}}
{{- $user := index (index $ctx.Values.endpoints ($type | replace "-" "_")).auth (index . 2) | default dict -}}
{{- $scheme := tuple $type $endpoint $ctx | include "helmdeck-toolkit.endpoints.scheme" -}}
{{- $host := tuple $type $endpoint $ctx | include "helmdeck-toolkit.endpoints.host" -}}
{{- $port := tuple $type $endpoint $name $ctx | include "helmdeck-toolkit.endpoints.port" -}}
{{- $path := tuple $type $endpoint $ctx | include "helmdeck-toolkit.endpoints.path" -}}
{{- printf "%s://%s:%s@%s:%s%s" $scheme $user.username (urlquery (toString $user.password)) $host $port $path -}}
{{- end -}}

{{/* (type endpoint port_name ctx) -> host:port, or one entry per StatefulSet pod when `statefulset` is set. */}}
{{- define "helmdeck-toolkit.endpoints.host_and_port" -}}
{{- $type := index . 0 -}}
{{- $endpoint := index . 1 -}}
{{- $name := index . 2 -}}
{{- $ctx := index . 3 -}}
{{- $ep := index $ctx.Values.endpoints ($type | replace "-" "_") -}}
{{- $host := tuple $type $endpoint $ctx | include "helmdeck-toolkit.endpoints.host" -}}
{{- $port := tuple $type $endpoint $name $ctx | include "helmdeck-toolkit.endpoints.port" -}}
{{- if $ep.statefulset -}}
{{- $hosts := list -}}
{{- range $i := until (int $ep.statefulset.replicas) -}}
{{- $hosts = append $hosts (printf "%s-%d.%s:%s" $ep.statefulset.name $i $host $port) -}}
{{- end -}}
{{- join "," $hosts -}}
{{- else -}}
{{- printf "%s:%s" $host $port -}}
{{- end -}}
{{- end -}}

{{/* (type endpoint userclass port_name ctx) -> transport URL; lists every StatefulSet pod unless a host override is set. */}}
{{- define "helmdeck-toolkit.endpoints.transport_uri" -}}
{{- $type := index . 0 -}}
{{- $endpoint := index . 1 -}}
{{- $ctx := index . 4 -}}
{{- $ep := index $ctx.Values.endpoints ($type | replace "-" "_") -}}
{{- $user := index $ep.auth (index . 2) | default dict -}}
{{- $name := index . 3 -}}
{{- $cred := printf "%s:%s" $user.username (urlquery (toString $user.password)) -}}
{{- $host := tuple $type $endpoint $ctx | include "helmdeck-toolkit.endpoints.host" -}}
{{- $port := tuple $type $endpoint $name $ctx | include "helmdeck-toolkit.endpoints.port" -}}
{{- $override := index $ep.host_fqdn_override $endpoint | default $ep.host_fqdn_override.default -}}
{{- $hosts := list -}}
{{- if and $ep.statefulset (not $override) -}}
{{- range $i := until (int $ep.statefulset.replicas) -}}
{{- $hosts = append $hosts (printf "%s@%s-%d.%s:%s" $cred $ep.statefulset.name $i $host $port) -}}
{{- end -}}
{{- else -}}
{{- $hosts = list (printf "%s@%s:%s" $cred $host $port) -}}
{{- end -}}
{{- $scheme := tuple $type $endpoint $ctx | include "helmdeck-toolkit.endpoints.scheme" -}}
{{- $path := tuple $type $endpoint $ctx | include "helmdeck-toolkit.endpoints.path" -}}
{{- printf "%s://%s%s" $scheme (join "," $hosts) $path -}}
{{- end -}}

{{/*
("sibling-template.yaml" ctx) -> quoted sha256 of the sibling template rendered with the
current values. A pod template annotated with it changes whenever the config it mounts
changes, so `helm upgrade` rolls the pods.
*/}}
{{- define "helmdeck-toolkit.utils.hash" -}}
{{- $name := index . 0 -}}
{{- $ctx := index . 1 -}}
{{- $sibling := printf "%s/%s" (dir $ctx.Template.Name) $name -}}
{{- include $sibling $ctx | sha256sum | quote -}}
{{- end -}}

{{/* (map) -> INI text: one [section] per key of the map, keys sorted, null values dropped, lists
comma-joined; {type: multistring, values: [...]} gives the key once per value, as in
helm-toolkit's to_oslo_conf. */}}
{{- define "helmdeck-toolkit.utils.to_ini" -}}
{{- range $section, $keys := . }}
[{{ $section }}]
{{- range $key, $value := $keys }}
{{- if and (kindIs "map" $value) (eq (toString (index $value "type")) "multistring") }}
{{- range $one := $value.values }}
{{ $key }} = {{ $one }}
{{- end }}
{{- else if not (kindIs "invalid" $value) }}
{{ $key }} = {{ if kindIs "slice" $value }}{{ join "," $value }}{{ else }}{{ $value }}{{ end }}
{{- end }}
{{- end }}
{{ end -}}
{{- end -}}

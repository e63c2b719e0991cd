{{/* Release-wide name: the release name when it says proofwatch, else <release>-proofwatch. */}}
{{- define "proofwatch.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 50 | trimSuffix "-" -}}
{{- else if contains "proofwatch" .Release.Name -}}
{{- .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name (default "proofwatch" .Values.nameOverride) | trunc 50 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* Labels of every object. */}}
{{- define "proofwatch.labels" -}}
app.kubernetes.io/part-of: proofwatch
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/*
Selector labels of a component (dict "root" $ "component" "exporter"). The name label is
proofwatch-<component> whatever the release: ServiceMonitors take the job name from it
(jobLabel), and the alerts find the exporter's job by it (alerts/README.md).
*/}}
{{- define "proofwatch.selectorLabels" -}}
app.kubernetes.io/name: proofwatch-{{ .component }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- end -}}

{{- define "proofwatch.componentLabels" -}}
{{ include "proofwatch.labels" .root }}
{{ include "proofwatch.selectorLabels" . }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "proofwatch.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{/* The Secret a component's --web.config.file comes from: never empty. */}}
{{- define "proofwatch.webSecret" -}}
{{- required (printf "%s.webConfigSecret is required: every service runs with --web.config.file from a Secret you create (deploy/README.md, Credentials)" .component) .values.webConfigSecret -}}
{{- end -}}

{{- define "proofwatch.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 65534
runAsGroup: 65534
# Group of the mounted Secret's files (mode 0440).
fsGroup: 65534
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "proofwatch.containerSecurityContext" -}}
privileged: false
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop: ["ALL"]
{{- end -}}

{{- define "proofwatch.probes" -}}
readinessProbe:
  httpGet:
    path: /healthz
    port: {{ . }}
  periodSeconds: 10
livenessProbe:
  httpGet:
    path: /healthz
    port: {{ . }}
  periodSeconds: 30
  failureThreshold: 5
{{- end -}}

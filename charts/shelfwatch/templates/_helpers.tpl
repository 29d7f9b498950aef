{{/*
Expand the name of the chart.
*/}}
{{- define "shelfwatch.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Create a default fully qualified app name.
Trimmed to 63 characters because some Kubernetes name fields are limited to that (DNS-1123 label).
If the release name contains the chart name it is used as the full name.
*/}}
{{- define "shelfwatch.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Chart name and version, as used by the helm.sh/chart label.
*/}}
{{- define "shelfwatch.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Selector labels: immutable on a Deployment, so only name and instance.
*/}}
{{- define "shelfwatch.selectorLabels" -}}
app.kubernetes.io/name: {{ include "shelfwatch.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
Common labels on every resource.
*/}}
{{- define "shelfwatch.labels" -}}
helm.sh/chart: {{ include "shelfwatch.chart" . }}
{{ include "shelfwatch.selectorLabels" . }}
app.kubernetes.io/version: {{ include "shelfwatch.imageTag" . | trunc 63 | trimSuffix "-" | quote }}
app.kubernetes.io/component: inference
app.kubernetes.io/part-of: shelfwatch
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/*
Image tag: the model version. Empty falls back to the chart's appVersion.
*/}}
{{- define "shelfwatch.imageTag" -}}
{{- .Values.image.tag | default .Chart.AppVersion | toString }}
{{- end }}

{{/*
Full image reference; a digest, when given, pins it.
*/}}
{{- define "shelfwatch.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s:%s@%s" .Values.image.repository (include "shelfwatch.imageTag" .) .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (include "shelfwatch.imageTag" .) }}
{{- end }}
{{- end }}

{{/*
Name of the ServiceAccount to use.
*/}}
{{- define "shelfwatch.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "shelfwatch.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
Name of the Secret holding DATABASE_URL and API_KEYS.
*/}}
{{- define "shelfwatch.secretName" -}}
{{- default (include "shelfwatch.fullname" .) .Values.secret.existingSecret }}
{{- end }}

{{/*
Whether the chart creates the Secret: no existing Secret named and at least one value given.
*/}}
{{- define "shelfwatch.createSecret" -}}
{{- if and (not .Values.secret.existingSecret) (or .Values.secret.databaseUrl .Values.secret.apiKeys) }}true{{ end }}
{{- end }}

{{/*
Namespace of the Grafana dashboard ConfigMap.
*/}}
{{- define "shelfwatch.dashboardNamespace" -}}
{{- default .Release.Namespace .Values.grafanaDashboard.namespace }}
{{- end }}

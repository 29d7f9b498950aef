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
The audit-job workers (`shelfwatch worker`): their own name, so the API Service and its PDB never
select them.
*/}}
{{- define "shelfwatch.workerFullname" -}}
{{- printf "%s-worker" (include "shelfwatch.fullname" . | trunc 56 | trimSuffix "-") }}
{{- end }}

{{- define "shelfwatch.workerSelectorLabels" -}}
app.kubernetes.io/name: {{ printf "%s-worker" (include "shelfwatch.name" . | trunc 56 | trimSuffix "-") }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "shelfwatch.workerLabels" -}}
helm.sh/chart: {{ include "shelfwatch.chart" . }}
{{ include "shelfwatch.workerSelectorLabels" . }}
app.kubernetes.io/version: {{ include "shelfwatch.imageTag" . | trunc 63 | trimSuffix "-" | quote }}
app.kubernetes.io/component: audit-worker
app.kubernetes.io/part-of: shelfwatch
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/*
Whether a PostgreSQL DATABASE_URL reaches the pods (inline or from an existing Secret).
*/}}
{{- define "shelfwatch.hasDatabase" -}}
{{- if or .Values.secret.existingSecret .Values.secret.databaseUrl }}true{{ end }}
{{- end }}

{{/*
The secret environment of every pod: DATABASE_URL (when there is one) and API_KEYS.
*/}}
{{- define "shelfwatch.secretEnv" -}}
{{- if include "shelfwatch.hasDatabase" . }}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "shelfwatch.secretName" . }}
      key: {{ .Values.secret.databaseUrlKey }}
      optional: true
{{- end }}
{{- /* Not optional: without keys the server would not start, so the pod fails visibly. */}}
- name: API_KEYS
  valueFrom:
    secretKeyRef:
      name: {{ include "shelfwatch.secretName" . }}
      key: {{ .Values.secret.apiKeysKey }}
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

{{/*
Refuses values that would run the server insecurely, with a message saying what to set.
*/}}
{{- define "shelfwatch.validate" -}}
{{- if not (or .Values.secret.existingSecret .Values.secret.apiKeys) }}
{{- fail "API_KEYS is required: set secret.apiKeys (hashed keys, see the chart README) or secret.existingSecret (a Secret holding API_KEYS). The server refuses to start without keys and the chart never enables its development key." }}
{{- end }}
{{- range $name := list "DEV_MODE" "NODE_ENV" "API_KEYS" "DATABASE_URL" "TRUST_PROXY" }}
{{- if hasKey $.Values.config.extraEnv $name }}
{{- fail (printf "config.extraEnv must not set %s: the chart sets it (API_KEYS and DATABASE_URL come from the Secret; DEV_MODE is never allowed; TRUST_PROXY is config.trustProxy)" $name) }}
{{- end }}
{{- end }}
{{- if and .Values.worker.enabled (not (include "shelfwatch.hasDatabase" .)) }}
{{- fail "worker.enabled needs PostgreSQL: set secret.databaseUrl or secret.existingSecret (the embedded PGlite database belongs to one API pod, which then runs the audit jobs itself)" }}
{{- end }}
{{- if and (eq .Values.config.photoStore "s3") (not .Values.config.s3Bucket) }}
{{- fail "config.photoStore=s3 needs config.s3Bucket (credentials come from the pods' ServiceAccount, e.g. IRSA)" }}
{{- end }}
{{- range $name := list "JOB_CONSUMERS" "PHOTO_STORE" }}
{{- if hasKey $.Values.config.extraEnv $name }}
{{- fail (printf "config.extraEnv must not set %s: the chart sets it (worker.enabled, config.photoStore)" $name) }}
{{- end }}
{{- end }}
{{- if eq (toString .Values.config.trustProxy) "true" }}
{{- fail "config.trustProxy=true would trust X-Forwarded-For from any peer; set a hop count (1 = the ingress controller) or the proxies' addresses" }}
{{- end }}
{{- if lt (include "shelfwatch.shutdownTimeoutSeconds" . | int) 5 }}
{{- fail (printf "terminationGracePeriodSeconds (%v) leaves under 5 s for in-flight requests after the preStop sleep (%v s), the drain delay (%v ms) and 5 s of margin" .Values.terminationGracePeriodSeconds .Values.lifecycle.preStopSleepSeconds .Values.config.drainDelayMs) }}
{{- end }}
{{- end }}

{{/*
TRUST_PROXY: the configured value, else a hop count of 1 behind the chart's Ingress, else "false".
*/}}
{{- define "shelfwatch.trustProxy" -}}
{{- $v := .Values.config.trustProxy -}}
{{- if kindIs "invalid" $v -}}
{{- ternary "1" "false" .Values.ingress.enabled -}}
{{- else if kindIs "float64" $v -}}
{{- int64 $v -}}
{{- else -}}
{{- toString $v -}}
{{- end -}}
{{- end }}

{{/*
Seconds the server may spend finishing in-flight requests: the grace period minus the preStop sleep,
the drain delay and 5 s of margin.
*/}}
{{- define "shelfwatch.shutdownTimeoutSeconds" -}}
{{- sub (sub (sub (int .Values.terminationGracePeriodSeconds) (int .Values.lifecycle.preStopSleepSeconds)) (div (int .Values.config.drainDelayMs) 1000)) 5 -}}
{{- end }}

{{/*
Memory of one pod in MiB: the worst case of docs/SECURITY.md, measured with server/bench/memory.mjs:
  idle 160 + 40 per worker, + 750 for embedded PGlite (no DATABASE_URL),
  + (workers + queue + async upload slots) x MAX_BODY_BYTES (every admitted upload is held whole),
  + running audit jobs x MAX_BODY_BYTES where the API runs them (their photos; no worker Deployment),
  + workers x 24 bytes per pixel x MAX_PIXELS (decode, rotation, resize, allocator slack),
then +20 % and rounded up to 64 MiB. Unset settings count with the server's defaults.
*/}}
{{- define "shelfwatch.memoryMiB" -}}
{{- $workers := int (default 2 .Values.config.workers) -}}
{{- $queue := ternary 16 (int .Values.config.queueSize) (kindIs "invalid" .Values.config.queueSize) -}}
{{- $uploads := int (default 32 .Values.config.asyncUploadSlots) -}}
{{- $jobs := ternary 0 (int (default $workers .Values.config.jobConcurrency)) .Values.worker.enabled -}}
{{- $bodyMiB := include "shelfwatch.bodyMiB" . | int64 -}}
{{- $pixelsMiB := include "shelfwatch.pixelsMiB" . | int64 -}}
{{- $pglite := ternary 0 750 (eq (include "shelfwatch.hasDatabase" .) "true") -}}
{{- $worst := add 160 (mul 40 $workers) $pglite (mul (add $workers $queue $uploads $jobs) $bodyMiB) (mul $workers $pixelsMiB) -}}
{{- mul (div (add (div (mul $worst 120) 100) 63) 64) 64 -}}
{{- end }}

{{/*
Memory of one worker pod in MiB, the same way: idle 160 + 40 per worker, + running jobs
(JOB_CONCURRENCY, default WORKERS) x MAX_BODY_BYTES, + workers x 24 bytes x MAX_PIXELS; +20 %.
*/}}
{{- define "shelfwatch.workerMemoryMiB" -}}
{{- $workers := int .Values.worker.workers -}}
{{- $jobs := int (default $workers .Values.config.jobConcurrency) -}}
{{- $bodyMiB := include "shelfwatch.bodyMiB" . | int64 -}}
{{- $pixelsMiB := include "shelfwatch.pixelsMiB" . | int64 -}}
{{- $worst := add 160 (mul 40 $workers) (mul $jobs $bodyMiB) (mul $workers $pixelsMiB) -}}
{{- mul (div (add (div (mul $worst 120) 100) 63) 64) 64 -}}
{{- end }}

{{- define "shelfwatch.bodyMiB" -}}
{{- div (add (int64 (default 16777216 .Values.config.maxBodyBytes)) 1048575) 1048576 -}}
{{- end }}

{{- define "shelfwatch.pixelsMiB" -}}
{{- div (mul 24 (int64 (default 16777216 .Values.config.maxPixels))) 1048576 -}}
{{- end }}

{{/*
Container resources: `resources`, with memory request and limit derived (shelfwatch.memoryMiB) where
unset. Called with (dict "resources" ... "memoryMiB" ...) for the workers.
*/}}
{{- define "shelfwatch.resources" -}}
{{- $resources := deepCopy (default dict .resources) -}}
{{- $limits := default dict $resources.limits -}}
{{- $requests := default dict $resources.requests -}}
{{- if not (hasKey $limits "memory") }}{{ $_ := set $limits "memory" (printf "%sMi" .memoryMiB) }}{{ end -}}
{{- if not (hasKey $requests "memory") }}{{ $_ := set $requests "memory" $limits.memory }}{{ end -}}
{{- $_ := set $resources "limits" $limits -}}
{{- $_ := set $resources "requests" $requests -}}
{{- toYaml $resources -}}
{{- end }}

{{/* Names and labels shared by the chart's templates. */}}

{{/* The release's name, or release-chart when the release name lacks the chart's. */}}
{{- define "coderun.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 54 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 54 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* The operator's Deployment, ServiceAccount and RBAC objects. */}}
{{- define "coderun.operatorName" -}}
{{- printf "%s-operator" (include "coderun.fullname" .) -}}
{{- end -}}

{{/* Labels that tie an object to the release (app.kubernetes.io/*, the keys src/ uses). */}}
{{- define "coderun.releaseLabels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end -}}

{{/* Labels of the release's own objects; sandbox objects say managed-by: coderun instead. */}}
{{- define "coderun.labels" -}}
{{ include "coderun.releaseLabels" . }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* Selects the operator pods of this release. */}}
{{- define "coderun.operatorSelector" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: operator
{{- end -}}

{{/* The webhook's Service, ValidatingWebhookConfiguration and (with "-tls") its Secret. */}}
{{- define "coderun.webhookName" -}}
{{- printf "%s-webhook" (include "coderun.fullname" .) -}}
{{- end -}}

{{- /*
The pod template shared by Deployments and StatefulSets (kiln's lib/pod.j2). Every
container runs under the Pod Security "restricted" profile: non-root, no privilege
escalation, all capabilities dropped, RuntimeDefault seccomp, read-only root
filesystem (writable paths are emptyDirs). The checksum/config annotation is in
podAnnotations (see kiln.service).
*/ -}}
{{- define "kiln.pod" -}}
{{- $svc := . -}}
metadata:
  labels: {{ toJson $svc.labels }}
  {{- if $svc.podAnnotations }}
  annotations: {{ toJson $svc.podAnnotations }}
  {{- end }}
spec:
  serviceAccountName: {{ $svc.serviceAccount.name }}
  automountServiceAccountToken: {{ $svc.serviceAccount.automountToken }}
  {{- with $svc.priorityClassName }}
  priorityClassName: {{ toJson . }}
  {{- end }}
  {{- if eq $svc.class "job" }}
  restartPolicy: Never
  {{- end }}
  nodeSelector: {{ toJson $svc.nodeSelector }}
  tolerations: {{ toJson $svc.tolerations }}
  {{- with $svc.imagePullSecrets }}
  imagePullSecrets:
    {{- range . }}
    - name: {{ toJson . }}
    {{- end }}
  {{- end }}
  securityContext:
    runAsNonRoot: true
    runAsUser: {{ $svc.runAsUser }}
    runAsGroup: {{ $svc.runAsGroup }}
    fsGroup: {{ $svc.fsGroup }}
    seccompProfile:
      type: RuntimeDefault
  containers:
    - name: {{ $svc.name }}
      image: {{ toJson $svc.image }}
      imagePullPolicy: {{ toJson $svc.imagePullPolicy }}
      {{- with $svc.command }}
      command: {{ toJson . }}
      {{- end }}
      {{- with $svc.args }}
      args: {{ toJson . }}
      {{- end }}
      {{- with $svc.ports }}
      ports:
        {{- range . }}
        - name: {{ toJson .name }}
          containerPort: {{ .port }}
          protocol: {{ toJson .protocol }}
        {{- end }}
      {{- end }}
      {{- with $svc.env }}
      env: {{ toJson . }}
      {{- end }}
      resources: {{ toJson $svc.resources }}
      securityContext:
        allowPrivilegeEscalation: false
        readOnlyRootFilesystem: true
        runAsNonRoot: true
        capabilities:
          drop: [ALL]
        seccompProfile:
          type: RuntimeDefault
      {{- with $svc.probes }}
      readinessProbe:
        {{- include "kiln.probe" (list . .path) | nindent 8 }}
        initialDelaySeconds: {{ .initialDelaySeconds }}
        timeoutSeconds: {{ .timeoutSeconds }}
        periodSeconds: 10
        failureThreshold: 3
      livenessProbe:
        {{- include "kiln.probe" (list . .livenessPath) | nindent 8 }}
        initialDelaySeconds: {{ add .initialDelaySeconds 30 }}
        timeoutSeconds: {{ .timeoutSeconds }}
        periodSeconds: 20
        failureThreshold: 3
      {{- end }}
      volumeMounts:
        {{- range $svc.volumes }}
        - name: {{ .name }}
          mountPath: {{ toJson .mountPath }}
          {{- if .readOnly }}
          readOnly: true
          {{- end }}
        {{- end }}
        {{- with $svc.storage }}
        - name: data
          mountPath: {{ toJson .mountPath }}
        {{- end }}
  volumes:
    {{- range $svc.volumes }}
    - name: {{ .name }}
      {{- if .configMap }}
      configMap: {{ toJson .configMap }}
      {{- else }}
      emptyDir: {}
      {{- end }}
    {{- end }}
{{- end -}}

{{- /* How a probe checks: an HTTP GET of the path, a TCP or gRPC connection, or a command. */ -}}
{{- define "kiln.probe" -}}
{{- $p := index . 0 -}}{{- $path := index . 1 -}}
{{- if eq $p.type "http" -}}
httpGet:
  path: {{ toJson $path }}
  port: {{ toJson $p.port }}
{{- else if eq $p.type "tcp" -}}
tcpSocket:
  port: {{ toJson $p.port }}
{{- else if eq $p.type "grpc" -}}
grpc:
  port: {{ $p.portNumber }}
{{- else -}}
exec:
  command: {{ toJson $p.command }}
{{- end -}}
{{- end -}}

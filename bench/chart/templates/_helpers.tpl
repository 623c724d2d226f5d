{{- /*
What the templates see. Like kiln's src/render/context.rs, everything a template would
otherwise compute (merged values, which services run, who may call whom, config.json,
image references, credentials, checksums) is decided here, once per tenant, and kept
in `.Values.__kiln` so that every template file reuses it:

  .Values.__kiln.tenants   one tenant context per entry of .Values.tenants (below)
  .Values.__kiln.static    per catalog service, what depends on the catalog only

A tenant context (see "kiln.tenant") has the keys of kiln's tenant context (`tenant`,
`labels`, `values`, `flags`, `routes`, `endpoints`, `ingress`, `registryWave`) plus
`namespaces` (the namespace contexts) and `services` (the service contexts of the
running services, by name; kiln's `svc`).

Only what the root catalog uses is implemented: Deployments and StatefulSets (no Jobs,
CronJobs or hooks), no gateway service (so no gateway-routes ConfigMap), no
`perNamespace` services, no `allowFrom` and no security exceptions. kiln's checks
(schemas, quantities, YAML 1.1 pitfalls, plaintext credentials) are not repeated here.
*/ -}}

{{- /* The lists that merge item by item, by `name` (docs/values.md). */ -}}
{{- define "kiln.keyedLists" -}}env ports volumes volumeMounts containers initContainers imagePullSecrets{{- end -}}

{{- /*
kiln.merge: merges .src over .dst, in place, by kiln's rules: maps merge key by key,
scalars and lists replace, null removes a key, and under a keyed name (env, ports, …)
a list of named mappings merges item by item: an item replaces the item of the same
name in its place, a new name is appended, `$patch: delete` removes the item. What is
taken from .src is copied, so a later merge never writes into .src.
*/ -}}
{{- define "kiln.merge" -}}
{{- $dst := .dst -}}
{{- $keyed := splitList " " (include "kiln.keyedLists" .) -}}
{{- range $k, $v := .src -}}
  {{- $below := get $dst $k -}}
  {{- if kindIs "invalid" $v -}}
    {{- $_ := unset $dst $k -}}
  {{- else if and (kindIs "map" $v) (kindIs "map" $below) -}}
    {{- include "kiln.merge" (dict "dst" $below "src" $v) -}}
  {{- else if and (has $k $keyed) (kindIs "slice" $v) (kindIs "slice" $below) (eq (include "kiln.named" $v) "true") (eq (include "kiln.named" $below) "true") -}}
    {{- $list := $below -}}
    {{- range $item := $v -}}
      {{- $delete := eq (toString (get $item "$patch")) "delete" -}}
      {{- $next := list -}}
      {{- $found := false -}}
      {{- range $b := $list -}}
        {{- if and (not $found) (eq $b.name $item.name) -}}
          {{- $found = true -}}
          {{- if not $delete }}{{ $next = append $next (deepCopy $item) }}{{ end -}}
        {{- else -}}
          {{- $next = append $next $b -}}
        {{- end -}}
      {{- end -}}
      {{- if and (not $found) (not $delete) }}{{ $next = append $next (deepCopy $item) }}{{ end -}}
      {{- $list = $next -}}
    {{- end -}}
    {{- $_ := set $dst $k $list -}}
  {{- else if or (kindIs "map" $v) (kindIs "slice" $v) -}}
    {{- $_ := set $dst $k (deepCopy $v) -}}
  {{- else -}}
    {{- $_ := set $dst $k $v -}}
  {{- end -}}
{{- end -}}
{{- end -}}

{{- /* "true" when every item of the list is a mapping with a `name`. */ -}}
{{- define "kiln.named" -}}
{{- $ok := true -}}
{{- range . }}{{ if not (and (kindIs "map" .) (hasKey . "name")) }}{{ $ok = false }}{{ end }}{{ end -}}
{{- $ok -}}
{{- end -}}

{{- /* "true" when the map . has key k (index 1) set to something other than null. */ -}}
{{- define "kiln.isSet" -}}
{{- $m := index . 0 -}}{{- $k := index . 1 -}}
{{- if and (kindIs "map" $m) (hasKey $m $k) (not (kindIs "invalid" (get $m $k))) }}true{{ end -}}
{{- end -}}

{{- /*
kiln.init: computes the catalog's static facts, the value base of each environment and
every tenant's context, once; templates call it first.
*/ -}}
{{- define "kiln.init" -}}
{{- if not (hasKey .Values "__kiln") -}}
{{- $cat := .Values.catalog -}}
{{- $state := dict "tenants" list -}}

{{- /* Per catalog service: wave, class, ports, the ports others call it on, … */ -}}
{{- $static := dict -}}
{{- range $name, $s := $cat.services -}}
  {{- $wave := 0 -}}
  {{- range $i, $stage := $cat.stages }}{{ if eq $stage $s.stage }}{{ $wave = mul (add $i 1) 10 }}{{ end }}{{ end -}}
  {{- $ports := list -}}
  {{- $portNumber := dict -}}
  {{- range $p := $s.ports -}}
    {{- $ports = append $ports (dict "name" $p.name "port" $p.port "protocol" ($p.protocol | default "TCP") "appProtocol" $p.appProtocol) -}}
    {{- $_ := set $portNumber $p.name $p.port -}}
  {{- end -}}
  {{- /* Serving ports: all but a metrics port that serves nothing else (not the
         probes, a route or the endpoint), when the service has other ports. */ -}}
  {{- $dedicated := "" -}}
  {{- if and $s.metricsPort (gt (len $ports) 1) -}}
    {{- $used := false -}}
    {{- if and $s.probes (eq (toString $s.probes.port) $s.metricsPort) }}{{ $used = true }}{{ end -}}
    {{- range $s.routes }}{{ if eq .port $s.metricsPort }}{{ $used = true }}{{ end }}{{ end -}}
    {{- if and $s.endpoint (eq $s.endpoint.port $s.metricsPort) }}{{ $used = true }}{{ end -}}
    {{- if not $used }}{{ $dedicated = $s.metricsPort }}{{ end -}}
  {{- end -}}
  {{- $serving := list -}}
  {{- range $ports }}{{ if ne .name $dedicated }}{{ $serving = append $serving (dict "port" .port "protocol" .protocol) }}{{ end }}{{ end -}}
  {{- /* Route ports: TCP, each once, sorted as kiln sorts them (by their JSON text). */ -}}
  {{- $routeJSON := list -}}
  {{- range $s.routes }}{{ with get $portNumber .port }}{{ $routeJSON = append $routeJSON (toJson (dict "port" . "protocol" "TCP")) }}{{ end }}{{ end -}}
  {{- $routePorts := list -}}
  {{- range (uniq $routeJSON | sortAlpha) }}{{ $routePorts = append $routePorts (fromJson .) }}{{ end -}}
  {{- $callees := concat ($s.dependsOn | default list) ($s.calls | default list) | uniq | sortAlpha -}}
  {{- $probes := "" -}}
  {{- with $s.probes -}}
    {{- $probes = dict "type" (.type | default "http") "path" .path "livenessPath" (.livenessPath | default .path) "port" .port "portNumber" (get $portNumber (toString .port)) "command" (.command | default list) "initialDelaySeconds" (.initialDelaySeconds | default 5) "timeoutSeconds" (.timeoutSeconds | default 1) -}}
  {{- end -}}
  {{- $volumes := list (dict "name" "config" "configMap" (dict "name" (printf "%s-config" $name)) "mountPath" ($s.configPath | default "/etc/config") "readOnly" true) -}}
  {{- range $path := $s.writablePaths -}}
    {{- $clean := regexReplaceAll "[^a-z0-9]+" (lower $path) "-" | trimAll "-" | trunc 63 | trimSuffix "-" -}}
    {{- $volumes = append $volumes (dict "name" (printf "writable-%s" $clean) "mountPath" $path "readOnly" false) -}}
  {{- end -}}
  {{- $_ := set $static $name (dict
        "wave" $wave
        "class" (ternary "service" "job" (has $s.kind (list "Deployment" "StatefulSet")))
        "ports" $ports "portNumber" $portNumber "serving" $serving "routePorts" $routePorts
        "callees" $callees "callers" list "probes" $probes "volumes" $volumes
        "metricsPortNumber" (get $portNumber (toString $s.metricsPort))) -}}
{{- end -}}
{{- range $name, $st := $static -}}
  {{- range $callee := $st.callees -}}
    {{- with get $static $callee }}{{ $_ := set . "callers" (append .callers $name) }}{{ end -}}
  {{- end -}}
{{- end -}}
{{- $_ := set $state "static" $static -}}

{{- /* The catalog layers (flag defaults, defaults, workload defaults, service
       defaults), then each environment's overlay over them. */ -}}
{{- $flags := dict -}}
{{- range $n, $f := $cat.flags }}{{ $_ := set $flags $n (eq (toString $f.default) "true") }}{{ end -}}
{{- $base := dict "flags" $flags -}}
{{- include "kiln.merge" (dict "dst" $base "src" $cat.defaults) -}}
{{- $services := dict -}}
{{- range $n, $s := $cat.services -}}
  {{- $sv := deepCopy (get $cat.workloadDefaults (get (get $static $n) "class")) | default dict -}}
  {{- with $s.defaults }}{{ include "kiln.merge" (dict "dst" $sv "src" .) }}{{ end -}}
  {{- $_ := set $services $n $sv -}}
{{- end -}}
{{- include "kiln.merge" (dict "dst" $base "src" (dict "services" $services)) -}}
{{- $envBase := dict -}}
{{- range $env, $overlay := .Values.environments -}}
  {{- $v := deepCopy $base -}}
  {{- with $overlay }}{{ include "kiln.merge" (dict "dst" $v "src" .) }}{{ end -}}
  {{- $_ := set $envBase $env $v -}}
{{- end -}}
{{- $_ := set $state "envBase" $envBase -}}

{{- $root := . -}}
{{- range $spec := .Values.tenants -}}
  {{- include "kiln.tenant" (dict "root" $root "state" $state "spec" $spec) -}}
{{- end -}}
{{- $_ := set .Values "__kiln" $state -}}
{{- end -}}
{{- end -}}

{{- /*
kiln.tenant: merges one tenant's values (environment base < spec < overrides.<env>)
and appends its context to .state.tenants.
*/ -}}
{{- define "kiln.tenant" -}}
{{- $root := .root -}}{{- $state := .state -}}{{- $spec := .spec -}}
{{- $cat := $root.Values.catalog -}}
{{- $static := $state.static -}}
{{- $name := required "every tenant needs a name" $spec.name -}}
{{- $env := required (printf "tenant %s needs an environment" $name) $spec.environment -}}
{{- $envBase := get $state.envBase $env -}}
{{- if not $envBase }}{{ fail (printf "tenant %s: unknown environment %s" $name $env) }}{{ end -}}
{{- $v := deepCopy $envBase -}}
{{- include "kiln.merge" (dict "dst" $v "src" (omit $spec "name" "environment" "description" "overrides")) -}}
{{- with $spec.overrides }}{{ with get . $env }}{{ include "kiln.merge" (dict "dst" $v "src" .) }}{{ end }}{{ end -}}

{{- $labels := dict "app.kubernetes.io/instance" $name "app.kubernetes.io/part-of" $cat.platform "app.kubernetes.io/managed-by" "kiln" "kiln.dev/tenant" $name "kiln.dev/environment" $env -}}

{{- /* Flags: every catalog flag, true or false; a flag's prerequisites must be on. */ -}}
{{- $flags := dict -}}
{{- range $f, $def := $cat.flags }}{{ $_ := set $flags $f (eq (toString (get $v.flags $f)) "true") }}{{ end -}}
{{- range $f, $def := $cat.flags -}}
  {{- if get $flags $f -}}
    {{- range $def.requires }}{{ if not (get $flags .) }}{{ fail (printf "tenant %s: flag `%s` requires flag `%s`, which is off" $name $f .) }}{{ end }}{{ end -}}
  {{- end -}}
{{- end -}}

{{- /* Which services run: those without a flag, and those whose flag is on. */ -}}
{{- $on := dict -}}
{{- range $n, $s := $cat.services -}}
  {{- if or (not $s.flag) (get $flags $s.flag) }}{{ $_ := set $on $n true }}{{ end -}}
{{- end -}}

{{- /* Namespaces: the primary one, then <tenant>-<name> per extra namespace. */ -}}
{{- $ns := $name -}}
{{- $namespaces := list (dict "name" $name "primary" true) -}}
{{- range $v.extraNamespaces }}{{ $namespaces = append $namespaces (dict "name" (printf "%s-%s" $name .) "primary" false) }}{{ end -}}

{{- /* The Ingress, when ingress.enabled is not false and a host is set. */ -}}
{{- $ingressValues := $v.ingress | default dict -}}
{{- $ingress := "" -}}
{{- if and (ne (toString $ingressValues.enabled) "false") $ingressValues.host -}}
  {{- $tls := $ingressValues.tls | default dict -}}
  {{- $ingress = dict "host" $ingressValues.host "className" $ingressValues.className "tls" (ne (toString $tls.enabled) "false") "clusterIssuer" $tls.clusterIssuer -}}
{{- end -}}

{{- /* Routes (sorted by prefix) and the endpoint registry. */ -}}
{{- $routeByPrefix := dict -}}
{{- $endpoints := dict -}}
{{- range $n, $s := $cat.services -}}
  {{- if get $on $n -}}
    {{- $st := get $static $n -}}
    {{- range $r := $s.routes -}}
      {{- with get $st.portNumber $r.port -}}
        {{- $_ := set $routeByPrefix $r.prefix (dict "prefix" $r.prefix "service" $n "namespace" $ns "port" . "portName" $r.port "url" (printf "http://%s.%s.svc.cluster.local:%v" $n $ns .)) -}}
      {{- end -}}
    {{- end -}}
    {{- with $s.endpoint -}}
      {{- with get $st.portNumber .port -}}
        {{- $_ := set $endpoints $n (printf "%s://%s.%s.svc.cluster.local:%v%s" ($s.endpoint.scheme | default "http") $n $ns . ($s.endpoint.path | default "")) -}}
      {{- end -}}
    {{- end -}}
  {{- end -}}
{{- end -}}
{{- $routes := list -}}
{{- range $p := keys $routeByPrefix | sortAlpha }}{{ $routes = append $routes (get $routeByPrefix $p) }}{{ end -}}

{{- $monitoring := and (kindIs "map" $v.monitoring) (eq (toString $v.monitoring.enabled) "true") -}}
{{- $network := $v.network | default dict -}}

{{- $t := dict "name" $name "environment" $env "namespace" $ns "labels" $labels "values" $v
      "flags" $flags "namespaces" $namespaces "ingress" $ingress "routes" $routes
      "endpoints" $endpoints "registryWave" (mul (add (len $cat.stages) 1) 10) "services" list -}}

{{- range $n, $s := $cat.services -}}
  {{- if get $on $n -}}
    {{- include "kiln.service" (dict "t" $t "name" $n "s" $s "st" (get $static $n) "static" $static "on" $on "cat" $cat "monitoring" $monitoring "network" $network) -}}
  {{- end -}}
{{- end -}}
{{- $_ := set $state "tenants" (append $state.tenants $t) -}}
{{- end -}}

{{- /*
kiln.service: the context of one running service of tenant .t (kiln's `svc`), appended
to .t.services.
*/ -}}
{{- define "kiln.service" -}}
{{- $t := .t -}}{{- $n := .name -}}{{- $s := .s -}}{{- $st := .st -}}
{{- $static := .static -}}{{- $on := .on -}}{{- $cat := .cat -}}
{{- $v := $t.values -}}
{{- $sv := dig "services" $n dict $v | default dict -}}
{{- $ns := $t.namespace -}}
{{- $labels := merge (dict "app.kubernetes.io/name" $n) $t.labels -}}
{{- $selector := dict "app.kubernetes.io/name" $n "app.kubernetes.io/instance" $t.name -}}

{{- /* Image: [<registry>/]<repository>[:<tag>][@<digest>]. */ -}}
{{- $image := dig "image" "repository" $s.image $sv -}}
{{- with dig "images" "registry" "" $v }}{{ $image = printf "%s/%s" (trimSuffix "/" .) $image }}{{ end -}}
{{- with dig "image" "tag" "" $sv }}{{ $image = printf "%s:%s" $image (toString .) }}{{ end -}}
{{- with dig "image" "digest" "" $sv }}{{ $image = printf "%s@%s" $image . }}{{ end -}}

{{- /* config.json: what the service reads, pretty JSON with sorted keys. */ -}}
{{- $doc := dict "tenant" (dict "name" $t.name "environment" $t.environment "namespace" $ns) -}}
{{- if $s.readsFlags }}{{ $_ := set $doc "flags" $t.flags }}{{ end -}}
{{- if $s.reads -}}
  {{- $read := dict -}}
  {{- range $k, $val := ($v.config | default dict) -}}
    {{- if or (has $k $s.reads) (has "*" $s.reads) }}{{ $_ := set $read $k $val }}{{ end -}}
  {{- end -}}
  {{- $_ := set $doc "config" $read -}}
{{- end -}}
{{- if include "kiln.isSet" (list $sv "config") }}{{ $_ := set $doc "service" $sv.config }}{{ end -}}
{{- if include "kiln.isSet" (list $v "logging") }}{{ $_ := set $doc "logging" $v.logging }}{{ end -}}
{{- $dbName := "" -}}
{{- if kindIs "string" $s.database }}{{ $dbName = $s.database }}{{ else if eq (toString $s.database) "true" }}{{ $dbName = $n }}{{ end -}}
{{- if $dbName -}}
  {{- $db := $v.database | default dict -}}
  {{- $_ := set $doc "database" (dict "host" $db.host "port" ($db.port | default 5432) "sslMode" ($db.sslMode | default "require") "name" (printf "%s%s_%s" ($db.prefix | default "") $t.name $dbName | replace "-" "_")) -}}
{{- end -}}
{{- if and $s.objectStorage (include "kiln.isSet" (list $v "objectStorage")) -}}
  {{- $_ := set $doc "objectStorage" (merge (dict "prefix" (printf "%s/%s" $t.name $n)) $v.objectStorage) -}}
{{- end -}}
{{- $configName := printf "%s-config" $n -}}
{{- $configText := printf "%s\n" (toPrettyJson $doc) -}}
{{- $configData := dict "config.json" $configText -}}

{{- /* Credentials: an ExternalSecret, and one env var per credential reading its Secret. */ -}}
{{- $secretName := printf "%s-credentials" $n -}}
{{- $storePrefix := dig "secretStore" "prefix" "" $v | trimSuffix "/" -}}
{{- $credData := list -}}
{{- $credEnv := list -}}
{{- $credNames := list -}}
{{- range $c := $s.credentials -}}
  {{- $over := dig "credentials" $c.credential dict $v | default dict -}}
  {{- $key := $over.key | default (ternary (printf "%s/%s/%s" $storePrefix $t.name $c.credential) (printf "%s/%s" $t.name $c.credential) (ne $storePrefix "")) -}}
  {{- $remote := dict "key" $key -}}
  {{- with ($over.property | default $c.property) }}{{ $_ := set $remote "property" . }}{{ end -}}
  {{- $credData = append $credData (dict "secretKey" $c.env "remoteRef" $remote) -}}
  {{- $credEnv = append $credEnv (dict "name" $c.env "valueFrom" (dict "secretKeyRef" (dict "name" $secretName "key" $c.env))) -}}
  {{- $credNames = append $credNames $c.env -}}
{{- end -}}
{{- $env := list -}}
{{- range $e := ($sv.env | default list) }}{{ if not (has $e.name $credNames) }}{{ $env = append $env $e }}{{ end }}{{ end -}}
{{- $env = concat $env $credEnv -}}

{{- /* Placement: the service's own, else its pool's. */ -}}
{{- $placement := dict -}}
{{- with $s.pool }}{{ $placement = dig "placement" . dict $v | default dict }}{{ end -}}
{{- $nodeSelector := $sv.nodeSelector | default $placement.nodeSelector | default dict -}}
{{- $tolerations := $sv.tolerations | default $placement.tolerations | default list -}}

{{- /* Pod annotations: scrape annotations, the values' own, and the config checksum
       (kiln's checksum/config: SHA-256 over each used ConfigMap's name and data). */ -}}
{{- $podAnnotations := dict -}}
{{- if and .monitoring $st.metricsPortNumber -}}
  {{- $_ := set $podAnnotations "prometheus.io/scrape" "true" -}}
  {{- $_ := set $podAnnotations "prometheus.io/port" (toString $st.metricsPortNumber) -}}
  {{- $_ := set $podAnnotations "prometheus.io/path" ($s.metricsPath | default (dig "monitoring" "path" "" $v) | default "/metrics") -}}
{{- end -}}
{{- with $sv.podAnnotations }}{{ $podAnnotations = merge (deepCopy .) $podAnnotations }}{{ end -}}
{{- $_ := set $podAnnotations "checksum/config" (sha256sum (printf "%s\x00%s\x00" $configName (toJson (dict "binaryData" nil "data" $configData)))) -}}

{{- /* Replicas, autoscaling, disruption budget, storage. */ -}}
{{- $longLived := eq $st.class "service" -}}
{{- $replicas := 1 -}}
{{- if $s.fixedReplicas }}{{ $replicas = $s.fixedReplicas }}{{ else if include "kiln.isSet" (list $sv "replicas") }}{{ $replicas = $sv.replicas }}{{ end -}}
{{- $autoscaling := "" -}}
{{- $as := $sv.autoscaling | default dict -}}
{{- if and (eq (toString $as.enabled) "true") (ne (toString $s.autoscaling) "false") (not $s.fixedReplicas) $longLived -}}
  {{- $min := $as.minReplicas | default 1 -}}
  {{- $autoscaling = dict "minReplicas" $min "maxReplicas" ($as.maxReplicas | default (mul (max $min 1) 3)) "targetCPUUtilizationPercentage" ($as.targetCPUUtilizationPercentage | default 80) -}}
{{- end -}}
{{- $pdb := "" -}}
{{- $p := $sv.pdb | default dict -}}
{{- if and (eq (toString $p.enabled) "true") $longLived -}}
  {{- $pdb = dict "maxUnavailable" (ternary $p.maxUnavailable 1 (hasKey $p "maxUnavailable")) -}}
{{- end -}}
{{- $storage := "" -}}
{{- if eq $s.kind "StatefulSet" -}}
  {{- $storage = dict "size" (dig "storage" "size" "10Gi" $sv) "storageClassName" (dig "storage" "storageClassName" "" $sv) "mountPath" $s.dataPath -}}
{{- end -}}

{{- /* Network rules (kiln's svc.network). */ -}}
{{- $ingressFrom := list -}}
{{- if $st.serving -}}
  {{- range $caller := $st.callers -}}
    {{- if get $on $caller -}}
      {{- $ingressFrom = append $ingressFrom (dict "namespaceSelector" (dict "kubernetes.io/metadata.name" $ns) "podSelector" (dict "app.kubernetes.io/name" $caller "app.kubernetes.io/instance" $t.name) "ports" $st.serving) -}}
    {{- end -}}
  {{- end -}}
{{- end -}}
{{- $egressTo := list -}}
{{- range $callee := $st.callees -}}
  {{- $cst := get $static $callee -}}
  {{- if and (get $on $callee) $cst.serving -}}
    {{- $egressTo = append $egressTo (dict "namespaceSelector" (dict "kubernetes.io/metadata.name" $ns) "podSelector" (dict "app.kubernetes.io/name" $callee "app.kubernetes.io/instance" $t.name) "ports" $cst.serving) -}}
  {{- end -}}
{{- end -}}
{{- $external := list -}}
{{- $destinations := list -}}
{{- range $dest := $s.external }}{{ $destinations = append $destinations (list $dest (dig "externalEgress" $dest "" $.network)) }}{{ end -}}
{{- if $s.rbac }}{{ $destinations = append $destinations (list "kubernetes-api" ($.network.apiServer | default "")) }}{{ end -}}
{{- range $d := $destinations -}}
  {{- $dv := index $d 1 -}}
  {{- if and (kindIs "map" $dv) $dv.cidr -}}
    {{- $ports := list -}}
    {{- range $dv.ports }}{{ $ports = append $ports (dict "port" . "protocol" "TCP") }}{{ end -}}
    {{- $external = append $external (dict "name" (index $d 0) "cidr" $dv.cidr "ports" $ports) -}}
  {{- end -}}
{{- end -}}
{{- $fromIngressController := "" -}}
{{- if and $t.ingress $s.routes $st.routePorts -}}
  {{- $fromIngressController = dict "namespaceSelector" (dict "kubernetes.io/metadata.name" ($.network.ingressControllerNamespace | default "ingress-nginx")) "ports" $st.routePorts -}}
{{- end -}}
{{- $fromMonitoring := "" -}}
{{- if and .monitoring $st.metricsPortNumber -}}
  {{- $fromMonitoring = dict "namespaceSelector" (dict "kubernetes.io/metadata.name" ($.network.monitoringNamespace | default "monitoring")) "ports" (list (dict "port" $st.metricsPortNumber "protocol" "TCP")) -}}
{{- end -}}

{{- $security := $v.security | default dict -}}
{{- $runAsUser := $security.runAsUser | default 10001 -}}
{{- $rollout := $v.rollout | default dict -}}

{{- $svc := dict
      "name" $n "namespace" $ns "kind" $s.kind "class" $st.class "wave" $st.wave
      "image" $image "imagePullPolicy" (dig "images" "pullPolicy" "IfNotPresent" $v) "imagePullSecrets" (dig "images" "pullSecrets" list $v)
      "command" ($s.command | default list) "args" ($sv.args | default $s.args | default list)
      "ports" $st.ports "probes" $st.probes "resources" ($sv.resources | default dict) "env" $env
      "labels" $labels "selector" $selector "podAnnotations" $podAnnotations
      "configName" $configName "configData" $configData
      "credentials" (ternary (dict "secretName" $secretName "data" $credData) "" (gt (len $credData) 0))
      "secretStore" (dict "name" (dig "secretStore" "name" "platform" $v) "kind" (dig "secretStore" "kind" "ClusterSecretStore" $v) "refreshInterval" (dig "secretStore" "refreshInterval" "1h" $v))
      "serviceAccount" (dict "name" $n "automountToken" (gt (len ($s.rbac | default list)) 0) "rules" ($s.rbac | default list))
      "volumes" $st.volumes "replicas" $replicas "autoscaling" $autoscaling "pdb" $pdb "storage" $storage
      "nodeSelector" $nodeSelector "tolerations" $tolerations "priorityClassName" $s.priorityClass
      "runAsUser" $runAsUser "runAsGroup" ($security.runAsGroup | default $runAsUser) "fsGroup" ($security.fsGroup | default $runAsUser)
      "strategy" ($s.strategy | default "RollingUpdate")
      "rollout" (dict "maxUnavailable" (ternary $rollout.maxUnavailable 0 (hasKey $rollout "maxUnavailable")) "maxSurge" (ternary $rollout.maxSurge 1 (hasKey $rollout "maxSurge")))
      "network" (dict "ingressFrom" $ingressFrom "egressTo" $egressTo "external" $external "fromIngressController" $fromIngressController "fromMonitoring" $fromMonitoring) -}}
{{- $_ := set $t "services" (append $t.services $svc) -}}
{{- end -}}

{{- /* The sync-wave annotation of a service's objects; ConfigMaps and ExternalSecrets
   pass offset -1 so that they exist before the pods start. */ -}}
{{- define "kiln.sync" -}}
argocd.argoproj.io/sync-wave: {{ add .svc.wave (.offset | default 0) | toString | quote }}
{{- end -}}

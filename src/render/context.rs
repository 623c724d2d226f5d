//! What templates see: for each scope (the cluster, a tenant, a namespace, a service
//! instance) a JSON context computed from the catalog and the tenant's plan. Everything a
//! template would otherwise compute (which services run where, who may call whom, the
//! configuration, image references, credentials) is decided here, in plain Rust, once.
//! Every key is always present (`null` when it does not apply), so templates can test
//! any of them under strict undefined.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Map, Value as Json};

use crate::model::{Catalog, Service, WorkloadKind};
use crate::plan::TenantPlan;
use crate::validate::Workspace;

/// The labels that select one service's pods.
pub const NAME_LABEL: &str = "app.kubernetes.io/name";
pub const INSTANCE_LABEL: &str = "app.kubernetes.io/instance";
const NAMESPACE_LABEL: &str = "kubernetes.io/metadata.name";
const TENANT_LABEL: &str = "kiln.dev/tenant";

/// Sync wave of a start-up stage: 10, 20, 30, … in stage order.
pub fn stage_wave(catalog: &Catalog, stage: &str) -> i64 {
    let index = catalog.stages.iter().position(|s| s == stage).unwrap_or(0);
    (index as i64 + 1) * 10
}

/// One running copy of a service: the service in one namespace.
#[derive(Clone, Debug)]
pub struct Instance<'a> {
    pub name: &'a str,
    pub service: &'a Service,
    pub namespace: String,
    pub primary: bool,
}

/// Every instance of the tenant's enabled services, by namespace then name.
pub fn instances<'a>(ws: &'a Workspace, plan: &TenantPlan) -> Vec<Instance<'a>> {
    let mut out = Vec::new();
    for (i, ns) in plan.namespaces.iter().enumerate() {
        for (name, svc) in &ws.catalog.services {
            if is_on(plan, name) && (i == 0 || svc.per_namespace) {
                out.push(Instance {
                    name,
                    service: svc,
                    namespace: ns.clone(),
                    primary: i == 0,
                });
            }
        }
    }
    out
}

fn is_on(plan: &TenantPlan, service: &str) -> bool {
    plan.services.get(service).is_some_and(|d| d.on)
}

/// The namespace where an instance in `from_ns` reaches service `target`: its own
/// namespace when the target has a copy there, else the primary namespace.
fn target_namespace(ws: &Workspace, plan: &TenantPlan, target: &str, from_ns: &str) -> String {
    let per_ns = ws
        .catalog
        .services
        .get(target)
        .is_some_and(|s| s.per_namespace);
    if per_ns {
        from_ns.to_string()
    } else {
        plan.namespaces.first().cloned().unwrap_or_default()
    }
}

/// Services an instance calls: its dependencies and its other callees.
fn callees(svc: &Service) -> impl Iterator<Item = &String> {
    svc.depends_on.iter().chain(svc.calls.iter())
}

/// Labels every object of the tenant carries.
pub fn common_labels(ws: &Workspace, plan: &TenantPlan) -> Map<String, Json> {
    let mut m = Map::new();
    m.insert(INSTANCE_LABEL.into(), json!(plan.name));
    m.insert(
        "app.kubernetes.io/part-of".into(),
        json!(ws.catalog.platform),
    );
    m.insert("app.kubernetes.io/managed-by".into(), json!("kiln"));
    m.insert(TENANT_LABEL.into(), json!(plan.name));
    m.insert("kiln.dev/environment".into(), json!(plan.environment));
    m
}

fn svc_values<'v>(plan: &'v TenantPlan, name: &str) -> &'v Json {
    static NULL: Json = Json::Null;
    plan.values
        .get("services")
        .and_then(|s| s.get(name))
        .unwrap_or(&NULL)
}

fn get<'v>(v: &'v Json, path: &[&str]) -> Option<&'v Json> {
    path.iter()
        .try_fold(v, |acc, k| acc.get(*k))
        .filter(|v| !v.is_null())
}

fn str_at<'v>(v: &'v Json, path: &[&str]) -> Option<&'v str> {
    get(v, path).and_then(Json::as_str)
}

fn port_number(svc: &Service, port_name: &str) -> Option<u16> {
    svc.ports
        .iter()
        .find(|p| p.name == port_name)
        .map(|p| p.port)
}

fn tcp(port: u16) -> Json {
    json!({"port": port, "protocol": "TCP"})
}

/// The full image reference: `[registry/]repository[:tag][@digest]`.
pub fn image_ref(plan: &TenantPlan, name: &str, svc: &Service) -> String {
    let v = svc_values(plan, name);
    let repository = str_at(v, &["image", "repository"]).unwrap_or(&svc.image);
    let mut image = match str_at(&plan.values, &["images", "registry"]) {
        Some(reg) if !reg.is_empty() => format!("{}/{repository}", reg.trim_end_matches('/')),
        _ => repository.to_string(),
    };
    if let Some(tag) = str_at(v, &["image", "tag"]) {
        image.push(':');
        image.push_str(tag);
    }
    if let Some(digest) = str_at(v, &["image", "digest"]) {
        image.push('@');
        image.push_str(digest);
    }
    image
}

/// The name of a service's database on the shared PostgreSQL:
/// `<prefix><tenant>_<service or shared name>`, with `-` as `_`.
fn database_name(plan: &TenantPlan, service: &str, svc: &Service) -> Option<String> {
    let suffix = svc.database.name(service)?;
    let prefix = str_at(&plan.values, &["database", "prefix"]).unwrap_or("");
    Some(format!("{prefix}{}_{suffix}", plan.name).replace('-', "_"))
}

/// The shared PostgreSQL's address, as services read it.
fn database_server(plan: &TenantPlan) -> Map<String, Json> {
    let db = plan.values.get("database").cloned().unwrap_or(Json::Null);
    let mut m = Map::new();
    m.insert("host".into(), db.get("host").cloned().unwrap_or(Json::Null));
    for key in ["port", "sslMode"] {
        m.insert(key.into(), db.get(key).cloned().unwrap_or(Json::Null));
    }
    m
}

fn is_init_job(svc: &Service) -> bool {
    svc.kind == WorkloadKind::Job && svc.hook.as_deref() == Some("PreSync")
}

/// The configuration document of one instance (the `config.json` of its ConfigMap):
/// tenant facts, the flags and configuration keys it reads, its own settings, and its
/// database and object storage. A PreSync job also gets what it must prepare.
pub fn config_document(ws: &Workspace, plan: &TenantPlan, inst: &Instance) -> Json {
    let svc = inst.service;
    let mut doc = Map::new();
    doc.insert(
        "tenant".into(),
        json!({"name": plan.name, "environment": plan.environment, "namespace": inst.namespace}),
    );
    if svc.reads_flags {
        let flags: Map<String, Json> = plan
            .flags
            .iter()
            .map(|(k, (on, _))| (k.clone(), json!(on)))
            .collect();
        doc.insert("flags".into(), Json::Object(flags));
    }
    if !svc.reads.is_empty() {
        let mut read = Map::new();
        for (k, v) in plan
            .values
            .get("config")
            .and_then(Json::as_object)
            .into_iter()
            .flatten()
        {
            if svc.reads.iter().any(|r| r == "*" || r == k) {
                read.insert(k.clone(), v.clone());
            }
        }
        doc.insert("config".into(), Json::Object(read));
    }
    if let Some(own) = get(svc_values(plan, inst.name), &["config"]) {
        doc.insert("service".into(), own.clone());
    }
    if let Some(logging) = get(&plan.values, &["logging"]) {
        doc.insert("logging".into(), logging.clone());
    }
    if let Some(name) = database_name(plan, inst.name, svc) {
        let mut db = database_server(plan);
        db.insert("name".into(), json!(name));
        doc.insert("database".into(), Json::Object(db));
    }
    let object_storage = get(&plan.values, &["objectStorage"]).cloned();
    if svc.object_storage {
        if let Some(mut os) = object_storage.clone() {
            if let Some(o) = os.as_object_mut() {
                o.insert(
                    "prefix".into(),
                    json!(format!("{}/{}", plan.name, inst.name)),
                );
            }
            doc.insert("objectStorage".into(), os);
        }
    }
    if is_init_job(svc) {
        doc.insert("databaseServer".into(), Json::Object(database_server(plan)));
        doc.insert("databases".into(), json!(databases(ws, plan)));
        doc.insert(
            "objectStorageServer".into(),
            object_storage.unwrap_or(Json::Null),
        );
        doc.insert("storagePrefixes".into(), json!(storage_prefixes(ws, plan)));
    }
    Json::Object(doc)
}

/// The object storage folders of the tenant's services (for the init job).
pub fn storage_prefixes(ws: &Workspace, plan: &TenantPlan) -> Vec<String> {
    ws.catalog
        .services
        .iter()
        .filter(|(n, s)| s.object_storage && is_on(plan, n))
        .map(|(n, _)| format!("{}/{n}", plan.name))
        .collect()
}

/// The databases the tenant's enabled services need, sorted, each once.
pub fn databases(ws: &Workspace, plan: &TenantPlan) -> Vec<String> {
    let names: BTreeSet<String> = ws
        .catalog
        .services
        .iter()
        .filter(|(n, _)| is_on(plan, n))
        .filter_map(|(n, s)| database_name(plan, n, s))
        .collect();
    names.into_iter().collect()
}

/// Pretty, sorted JSON with a trailing newline: stable bytes for a ConfigMap.
pub fn canonical_json(v: &Json) -> String {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_default();
    s.push('\n');
    s
}

/// The ports other services call: all of them but a metrics port that serves nothing
/// else (not the probes, a route or the endpoint) when the service has other ports.
fn serving_ports(svc: &Service) -> Vec<Json> {
    let used_otherwise = |name: &str| {
        svc.probes.as_ref().and_then(|p| p.port.as_deref()) == Some(name)
            || svc.routes.iter().any(|r| r.port == name)
            || svc.endpoint.as_ref().is_some_and(|e| e.port == name)
    };
    let dedicated_metrics = svc
        .metrics_port
        .as_deref()
        .filter(|m| svc.ports.len() > 1 && !used_otherwise(m));
    svc.ports
        .iter()
        .filter(|p| Some(p.name.as_str()) != dedicated_metrics)
        .map(|p| json!({"port": p.port, "protocol": p.protocol}))
        .collect()
}

fn dedup(mut v: Vec<Json>) -> Vec<Json> {
    v.sort_by_key(std::string::ToString::to_string);
    v.dedup();
    v
}

fn monitoring_on(plan: &TenantPlan) -> bool {
    get(&plan.values, &["monitoring", "enabled"])
        .and_then(Json::as_bool)
        .unwrap_or(false)
}

fn ingress_host(plan: &TenantPlan) -> Option<&str> {
    let enabled = get(&plan.values, &["ingress", "enabled"]).and_then(Json::as_bool) == Some(true);
    if enabled {
        str_at(&plan.values, &["ingress", "host"])
    } else {
        None
    }
}

fn route_ports(svc: &Service) -> Vec<Json> {
    dedup(
        svc.routes
            .iter()
            .filter_map(|r| port_number(svc, &r.port))
            .map(tcp)
            .collect(),
    )
}

/// Network rules of one instance: who may call it, whom it may call. Each rule names
/// its peers by namespace and pod labels and lists the ports; a rule without ports is
/// never made (an empty port list would admit every port).
fn network(ws: &Workspace, plan: &TenantPlan, inst: &Instance, all: &[Instance]) -> Json {
    let svc = inst.service;
    let own_ports = serving_ports(svc);
    let peer = |ns: &str, name: &str, ports: Vec<Json>| {
        json!({
            "namespace": ns,
            "namespaceSelector": {NAMESPACE_LABEL: ns},
            "podSelector": {NAME_LABEL: name, INSTANCE_LABEL: plan.name},
            "ports": ports,
        })
    };

    // Callers: instances that call this service and reach this copy of it.
    let mut ingress: BTreeMap<(String, String), Json> = BTreeMap::new();
    if !own_ports.is_empty() {
        for other in all {
            if callees(other.service).any(|d| d == inst.name)
                && target_namespace(ws, plan, inst.name, &other.namespace) == inst.namespace
            {
                ingress.insert(
                    (other.namespace.clone(), other.name.to_string()),
                    peer(&other.namespace, other.name, own_ports.clone()),
                );
            }
        }
    }
    let gateway = all.iter().find(|i| i.service.gateway && i.primary);
    if let Some(gw) = gateway {
        let ports = route_ports(svc);
        if inst.primary && !ports.is_empty() {
            ingress.insert(
                (gw.namespace.clone(), gw.name.to_string()),
                peer(&gw.namespace, gw.name, ports),
            );
        }
    }
    let mut sources = Vec::new();
    if !own_ports.is_empty() {
        for source in &svc.allow_from {
            let from = match source.as_str() {
                Some("namespace") => json!({"podSelector": {}}),
                Some("tenant") => json!({"namespaceSelector": {TENANT_LABEL: plan.name}}),
                _ => match source.get("cidr").and_then(Json::as_str) {
                    Some(cidr) => json!({"ipBlock": {"cidr": cidr}}),
                    None => continue,
                },
            };
            sources.push(json!({"from": from, "ports": own_ports}));
        }
    }

    // Callees: dependencies and calls that are on, and for the gateway every routed service.
    let mut egress: BTreeMap<(String, String), Json> = BTreeMap::new();
    for callee in callees(svc) {
        let Some(callee_svc) = ws.catalog.services.get(callee) else {
            continue;
        };
        let ports = serving_ports(callee_svc);
        if !is_on(plan, callee) || ports.is_empty() {
            continue;
        }
        let ns = target_namespace(ws, plan, callee, &inst.namespace);
        egress.insert((ns.clone(), callee.clone()), peer(&ns, callee, ports));
    }
    if svc.gateway && inst.primary {
        for other in all
            .iter()
            .filter(|o| o.primary && !o.service.routes.is_empty())
        {
            let ports = route_ports(other.service);
            if !ports.is_empty() {
                egress.insert(
                    (other.namespace.clone(), other.name.to_string()),
                    peer(&other.namespace, other.name, ports),
                );
            }
        }
    }

    let destination = |name: &str, dest: &Json| -> Option<Json> {
        let cidr = dest.get("cidr").and_then(Json::as_str)?;
        let ports: Vec<Json> = dest
            .get("ports")
            .and_then(Json::as_array)
            .map(|ps| {
                ps.iter()
                    .filter_map(Json::as_u64)
                    .map(|p| tcp(p as u16))
                    .collect()
            })
            .unwrap_or_default();
        Some(json!({"name": name, "cidr": cidr, "ports": ports}))
    };
    let mut external: Vec<Json> = svc
        .external
        .iter()
        .filter_map(|name| {
            destination(
                name,
                get(&plan.values, &["network", "externalEgress", name])?,
            )
        })
        .collect();
    if !svc.rbac.is_empty() {
        if let Some(api) = get(&plan.values, &["network", "apiServer"]) {
            external.extend(destination("kubernetes-api", api));
        }
    }

    let from_ingress_controller = inst.primary
        && ingress_host(plan).is_some()
        && if gateway.is_some() {
            svc.gateway
        } else {
            !svc.routes.is_empty()
        };
    let controller_ns = str_at(&plan.values, &["network", "ingressControllerNamespace"]);
    let controller_ports = if svc.gateway {
        svc.ports.iter().take(1).map(|p| tcp(p.port)).collect()
    } else {
        route_ports(svc)
    };
    let metrics_port = svc.metrics_port.as_ref().and_then(|m| port_number(svc, m));
    let monitoring_ns = str_at(&plan.values, &["network", "monitoringNamespace"]);

    json!({
        "ingressFrom": ingress.into_values().collect::<Vec<_>>(),
        "allowFrom": sources,
        "egressTo": egress.into_values().collect::<Vec<_>>(),
        "external": external,
        "fromIngressController": match controller_ns {
            Some(ns) if from_ingress_controller && !controller_ports.is_empty() => {
                json!({"namespaceSelector": {NAMESPACE_LABEL: ns}, "ports": controller_ports})
            }
            _ => Json::Null,
        },
        "fromMonitoring": match (monitoring_on(plan), metrics_port, monitoring_ns) {
            (true, Some(port), Some(ns)) => json!({"namespaceSelector": {NAMESPACE_LABEL: ns}, "ports": [tcp(port)]}),
            _ => Json::Null,
        },
    })
}

/// The probes as templates see them: every key present.
fn probes(svc: &Service) -> Json {
    match &svc.probes {
        None => Json::Null,
        Some(p) => json!({
            "type": p.kind,
            "path": p.path,
            "livenessPath": p.liveness_path.as_ref().or(p.path.as_ref()),
            "port": p.port,
            "portNumber": p.port.as_deref().and_then(|n| port_number(svc, n)),
            "command": p.command,
            "initialDelaySeconds": p.initial_delay_seconds,
            "timeoutSeconds": p.timeout_seconds,
        }),
    }
}

/// The context of one service instance.
pub fn instance_context(
    ws: &Workspace,
    plan: &TenantPlan,
    inst: &Instance,
    all: &[Instance],
) -> Json {
    let svc = inst.service;
    let v = svc_values(plan, inst.name);
    let mut labels = common_labels(ws, plan);
    labels.insert(NAME_LABEL.into(), json!(inst.name));
    let selector = json!({NAME_LABEL: inst.name, INSTANCE_LABEL: plan.name});

    let config = config_document(ws, plan, inst);
    let config_name = format!("{}-config", inst.name);
    let config_path = &svc.config_path;

    // Credentials: one ExternalSecret per instance, env vars filled from its Secret.
    let secret_name = format!("{}-credentials", inst.name);
    let store_prefix = str_at(&plan.values, &["secretStore", "prefix"]).unwrap_or("");
    let credential_data: Vec<Json> = svc
        .credentials
        .iter()
        .map(|c| {
            let over = get(&plan.values, &["credentials", &c.credential]);
            let default_key = if store_prefix.is_empty() {
                format!("{}/{}", plan.name, c.credential)
            } else {
                format!(
                    "{}/{}/{}",
                    store_prefix.trim_end_matches('/'),
                    plan.name,
                    c.credential
                )
            };
            let key = over
                .and_then(|o| str_at(o, &["key"]))
                .map(str::to_string)
                .unwrap_or(default_key);
            let property = over
                .and_then(|o| str_at(o, &["property"]))
                .map(str::to_string)
                .or_else(|| c.property.clone());
            let remote = match property {
                Some(p) => json!({"key": key, "property": p}),
                None => json!({"key": key}),
            };
            json!({"secretKey": c.env, "remoteRef": remote})
        })
        .collect();
    let mut env: Vec<Json> = get(v, &["env"])
        .and_then(Json::as_array)
        .cloned()
        .unwrap_or_default();
    for c in &svc.credentials {
        env.retain(|e| e.get("name").and_then(Json::as_str) != Some(c.env.as_str()));
        env.push(json!({"name": c.env, "valueFrom": {"secretKeyRef": {"name": secret_name, "key": c.env}}}));
    }

    // Volumes: the configuration, writable paths, and the gateway's routes.
    let volume = |name: String, config_map: Option<String>, mount: &str, read_only: bool| {
        json!({
            "name": name,
            "emptyDir": config_map.is_none(),
            "configMap": config_map.map(|n| json!({"name": n})),
            "mountPath": mount,
            "readOnly": read_only,
        })
    };
    let mut volumes = vec![volume(
        "config".into(),
        Some(config_name.clone()),
        config_path,
        true,
    )];
    for path in &svc.writable_paths {
        volumes.push(volume(
            format!("writable-{}", crate::names::clean(path)),
            None,
            path,
            false,
        ));
    }
    if let Some(mount) = svc.routes_path.as_deref().filter(|_| svc.gateway) {
        volumes.push(volume(
            "routes".into(),
            Some(format!("{}-routes", inst.name)),
            mount,
            true,
        ));
    }

    let placement = svc
        .pool
        .as_ref()
        .and_then(|pool| get(&plan.values, &["placement", pool]))
        .cloned()
        .unwrap_or(Json::Null);
    let node_selector = get(v, &["nodeSelector"])
        .or_else(|| get(&placement, &["nodeSelector"]))
        .cloned()
        .unwrap_or(json!({}));
    let tolerations = get(v, &["tolerations"])
        .or_else(|| get(&placement, &["tolerations"]))
        .cloned()
        .unwrap_or(json!([]));

    // Scrape annotations first, so that the values' own pod annotations win.
    let mut pod_annotations = Map::new();
    if monitoring_on(plan) {
        if let Some(port) = svc.metrics_port.as_ref().and_then(|m| port_number(svc, m)) {
            let path = svc
                .metrics_path
                .as_deref()
                .or_else(|| str_at(&plan.values, &["monitoring", "path"]));
            pod_annotations.insert("prometheus.io/scrape".into(), json!("true"));
            pod_annotations.insert("prometheus.io/port".into(), json!(port.to_string()));
            if let Some(path) = path {
                pod_annotations.insert("prometheus.io/path".into(), json!(path));
            }
        }
    }
    if let Some(own) = get(v, &["podAnnotations"]).and_then(Json::as_object) {
        pod_annotations.extend(own.clone());
    }

    let autoscaling = get(v, &["autoscaling"])
        .filter(|_| crate::plan::effect::autoscaled(svc, v))
        .map(|a| {
            let min = get(a, &["minReplicas"]).and_then(Json::as_i64);
            // Not a default but a rule: three times the floor, as src/defaults.yaml says.
            let max = get(a, &["maxReplicas"])
                .and_then(Json::as_i64)
                .or(min.map(|m| m.max(1) * 3));
            json!({
                "minReplicas": min,
                "maxReplicas": max,
                "targetCPUUtilizationPercentage": get(a, &["targetCPUUtilizationPercentage"]),
            })
        })
        .unwrap_or(Json::Null);
    let replicas = svc
        .fixed_replicas
        .map(i64::from)
        .or_else(|| get(v, &["replicas"]).and_then(Json::as_i64));
    let pdb = get(v, &["pdb"])
        .filter(|p| {
            get(p, &["enabled"])
                .and_then(Json::as_bool)
                .unwrap_or(false)
        })
        .filter(|_| svc.kind.is_long_lived())
        .map(|p| json!({"maxUnavailable": get(p, &["maxUnavailable"])}))
        .unwrap_or(Json::Null);

    let run_as_user = get(&plan.values, &["security", "runAsUser"]).and_then(Json::as_i64);
    let hook = svc.hook.clone().filter(|_| svc.kind == WorkloadKind::Job);
    let ports: Vec<Json> = svc
        .ports
        .iter()
        .map(|p| json!({"name": p.name, "port": p.port, "protocol": p.protocol, "appProtocol": p.app_protocol}))
        .collect();
    let args = get(v, &["args"])
        .cloned()
        .unwrap_or_else(|| json!(svc.args));

    let mut ctx = Map::new();
    let mut set = |k: &str, v: Json| {
        ctx.insert(k.to_string(), v);
    };
    set("name", json!(inst.name));
    set("namespace", json!(inst.namespace));
    set("primary", json!(inst.primary));
    set("kind", json!(svc.kind));
    set("class", json!(svc.kind.class()));
    set("description", json!(svc.description));
    set("stage", json!(svc.stage));
    set("wave", json!(stage_wave(&ws.catalog, &svc.stage)));
    set("hook", json!(hook));
    set("gateway", json!(svc.gateway));
    set("image", json!(image_ref(plan, inst.name, svc)));
    set(
        "imagePullPolicy",
        json!(str_at(&plan.values, &["images", "pullPolicy"])),
    );
    set(
        "imagePullSecrets",
        get(&plan.values, &["images", "pullSecrets"])
            .cloned()
            .unwrap_or(json!([])),
    );
    set("command", json!(svc.command));
    set("args", args);
    set("ports", json!(ports));
    set("probes", probes(svc));
    set(
        "resources",
        get(v, &["resources"]).cloned().unwrap_or(json!({})),
    );
    set("env", json!(env));
    set("labels", Json::Object(labels));
    set("selector", selector);
    set("podAnnotations", Json::Object(pod_annotations));
    set("configName", json!(config_name));
    set(
        "configData",
        json!({"config.json": canonical_json(&config)}),
    );
    set(
        "credentials",
        if credential_data.is_empty() {
            Json::Null
        } else {
            json!({"secretName": secret_name, "data": credential_data})
        },
    );
    set(
        "secretStore",
        json!({
            "name": str_at(&plan.values, &["secretStore", "name"]),
            "refreshInterval": str_at(&plan.values, &["secretStore", "refreshInterval"]),
        }),
    );
    set(
        "serviceAccount",
        json!({"name": inst.name, "automountToken": !svc.rbac.is_empty(), "rules": svc.rbac}),
    );
    set("volumes", json!(volumes));
    set("replicas", json!(replicas));
    set("autoscaling", autoscaling);
    set("pdb", pdb);
    set(
        "storage",
        if svc.kind == WorkloadKind::StatefulSet {
            json!({
                "size": get(v, &["storage", "size"]),
                "storageClassName": get(v, &["storage", "storageClassName"]),
                "mountPath": svc.data_path,
            })
        } else {
            Json::Null
        },
    );
    set("nodeSelector", node_selector);
    set("tolerations", tolerations);
    set("priorityClassName", json!(svc.priority_class));
    set("runAsUser", json!(run_as_user));
    set(
        "runAsGroup",
        json!(get(&plan.values, &["security", "runAsGroup"])
            .and_then(Json::as_i64)
            .or(run_as_user)),
    );
    set(
        "fsGroup",
        json!(get(&plan.values, &["security", "fsGroup"])
            .and_then(Json::as_i64)
            .or(run_as_user)),
    );
    set("strategy", json!(svc.strategy));
    let allows = |rule: &str| {
        svc.security_exceptions
            .as_ref()
            .is_some_and(|e| e.allows(rule))
    };
    set(
        "security",
        json!({
            "readOnlyRootFilesystem": !allows("readOnlyRootFilesystem"),
            "runAsNonRoot": !allows("runAsNonRoot"),
            "exceptions": svc.security_exceptions.as_ref().map(|e| e.allow.join(",")),
            "reason": svc.security_exceptions.as_ref().map(|e| e.reason.clone()),
        }),
    );
    set(
        "rollout",
        json!({
            "maxUnavailable": get(&plan.values, &["rollout", "maxUnavailable"]),
            "maxSurge": get(&plan.values, &["rollout", "maxSurge"]),
        }),
    );
    for key in [
        "schedule",
        "timeZone",
        "startingDeadlineSeconds",
        "ttlSecondsAfterFinished",
        "activeDeadlineSeconds",
        "suspend",
        "backoffLimit",
    ] {
        set(key, get(v, &[key]).cloned().unwrap_or(Json::Null));
    }
    set("network", network(ws, plan, inst, all));
    Json::Object(ctx)
}

/// The context shared by every template of one tenant.
pub fn tenant_context(ws: &Workspace, plan: &TenantPlan, all: &[Instance]) -> Json {
    let primary = plan.namespaces.first().cloned().unwrap_or_default();
    let mut routes: Vec<Json> = Vec::new();
    let mut endpoints = Map::new();
    for inst in all.iter().filter(|i| i.primary) {
        for r in &inst.service.routes {
            if let Some(port) = port_number(inst.service, &r.port) {
                routes.push(json!({
                    "prefix": r.prefix,
                    "stripPrefix": r.strip_prefix,
                    "service": inst.name,
                    "namespace": inst.namespace,
                    "port": port,
                    "portName": r.port,
                    "url": format!("http://{}.{}.svc.cluster.local:{port}", inst.name, inst.namespace),
                }));
            }
        }
        if let Some(e) = &inst.service.endpoint {
            if let Some(port) = port_number(inst.service, &e.port) {
                let path = e.path.clone().unwrap_or_default();
                endpoints.insert(
                    inst.name.to_string(),
                    json!(format!(
                        "{}://{}.{}.svc.cluster.local:{port}{path}",
                        e.scheme, inst.name, inst.namespace
                    )),
                );
            }
        }
    }
    routes.sort_by(|a, b| a["prefix"].as_str().cmp(&b["prefix"].as_str()));
    let gateway = all
        .iter()
        .find(|i| i.primary && i.service.gateway)
        .map(|g| {
            json!({
                "name": g.name,
                "port": g.service.ports.first().map(|p| p.port),
                "portName": g.service.ports.first().map(|p| p.name.clone()),
                "probePath": g.service.probes.as_ref().and_then(|p| p.path.clone()),
            })
        })
        .unwrap_or(Json::Null);
    let last_wave = ws.catalog.stages.len() as i64 * 10 + 10;
    json!({
        "kiln": {"kubernetesVersion": ws.settings.kubernetes_version, "platform": ws.catalog.platform},
        "tenant": {
            "name": plan.name,
            "environment": plan.environment,
            "namespace": primary,
            "namespaces": plan.namespaces,
        },
        "labels": common_labels(ws, plan),
        "values": complete_values(&plan.values),
        "flags": plan.flags.iter().map(|(k, (on, _))| (k.clone(), json!(on))).collect::<Map<_, _>>(),
        "routes": routes,
        "endpoints": endpoints,
        "gateway": gateway,
        "ingress": match ingress_host(plan) {
            Some(host) => json!({
                "host": host,
                "className": get(&plan.values, &["ingress", "className"]),
                "tls": get(&plan.values, &["ingress", "tls", "enabled"]).and_then(Json::as_bool) == Some(true),
                "clusterIssuer": get(&plan.values, &["ingress", "tls", "clusterIssuer"]),
            }),
            None => Json::Null,
        },
        "registryWave": last_wave,
    })
}

/// The merged values with every top-level key of the values schema present (`null`
/// when no layer sets it).
fn complete_values(values: &Json) -> Json {
    let mut v = values.clone();
    if let Json::Object(m) = &mut v {
        for key in crate::schema::known_keys("values", "") {
            m.entry(key).or_insert(Json::Null);
        }
    }
    v
}

/// The `namespace` of the namespace scope: its name, whether it is the primary one,
/// and for an extra namespace the name it was given (without the tenant prefix).
pub fn namespace_value(ws: &Workspace, plan: &TenantPlan, index: usize) -> Json {
    let name = plan.namespaces.get(index).cloned().unwrap_or_default();
    let extra = name
        .strip_prefix(&format!("{}-", plan.name))
        .filter(|_| index > 0);
    // A service excepted from `runAsNonRoot` needs the `baseline` profile.
    let root = instances(ws, plan).iter().any(|i| {
        i.namespace == name
            && i.service
                .security_exceptions
                .as_ref()
                .is_some_and(|e| e.allows("runAsNonRoot"))
    });
    let profile = if root { "baseline" } else { "restricted" };
    json!({
        "name": name,
        "primary": index == 0,
        "extra": extra,
        "podSecurity": profile,
        "secretStore": secret_store(ws, plan, &name),
    })
}

/// The secret store of a tenant namespace where a service reads credentials: named by
/// `secretStore.name`, reading Vault under the tenant's own role. `null` when no
/// service there reads credentials, or the platform configures no store.
fn secret_store(ws: &Workspace, plan: &TenantPlan, namespace: &str) -> Json {
    let needed = instances(ws, plan)
        .iter()
        .any(|i| i.namespace == namespace && !i.service.credentials.is_empty());
    let (Some(name), Some(vault)) = (
        str_at(&plan.values, &["secretStore", "name"]),
        get(&plan.values, &["secretStore", "vault"]).filter(|v| v.is_object()),
    ) else {
        return Json::Null;
    };
    if !needed {
        return Json::Null;
    }
    let role_prefix = str_at(vault, &["rolePrefix"]).unwrap_or("");
    json!({
        "name": name,
        "vault": {
            "server": get(vault, &["server"]),
            "path": get(vault, &["path"]),
            "version": get(vault, &["version"]),
            "authMountPath": get(vault, &["authMountPath"]),
            "role": format!("{role_prefix}{}", plan.name),
        },
    })
}

/// The context of the cluster-wide templates.
pub fn cluster_context(ws: &Workspace) -> Json {
    let classes: Map<String, Json> = ws
        .catalog
        .priority_classes
        .iter()
        .map(|(name, pc)| {
            (
                name.clone(),
                json!({"value": pc.value, "description": pc.description, "preemptionPolicy": pc.preemption_policy}),
            )
        })
        .collect();
    json!({
        "kiln": {"kubernetesVersion": ws.settings.kubernetes_version, "platform": ws.catalog.platform},
        "labels": {"app.kubernetes.io/part-of": ws.catalog.platform, "app.kubernetes.io/managed-by": "kiln"},
        "priorityClasses": classes,
    })
}

//! What templates see: for each scope (the cluster, a tenant, a namespace, a service
//! instance) a JSON context computed from the catalog and the tenant's plan. Everything a
//! template would otherwise compute (which services run where, who may call whom, the
//! configuration, image references, credentials) is decided here, in plain Rust, once.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value as Json};

use crate::model::{Catalog, Service, WorkloadKind};
use crate::plan::TenantPlan;
use crate::validate::Workspace;

/// The label that selects one service's pods.
pub const NAME_LABEL: &str = "app.kubernetes.io/name";
pub const INSTANCE_LABEL: &str = "app.kubernetes.io/instance";
const NAMESPACE_LABEL: &str = "kubernetes.io/metadata.name";

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
            let on = plan.services.get(name).is_some_and(|d| d.on);
            if on && (i == 0 || svc.per_namespace) {
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

/// Labels every object of the tenant carries.
pub fn common_labels(ws: &Workspace, plan: &TenantPlan) -> Map<String, Json> {
    let mut m = Map::new();
    m.insert(
        "app.kubernetes.io/part-of".into(),
        json!(ws.catalog.platform),
    );
    m.insert("app.kubernetes.io/managed-by".into(), json!("kiln"));
    m.insert("kiln.dev/tenant".into(), json!(plan.name));
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
    path.iter().try_fold(v, |acc, k| acc.get(*k))
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

/// The configuration document of one instance (the `config.json` of its ConfigMap):
/// tenant facts, the flags and configuration keys it reads, its own settings, and its
/// database and object storage.
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
    let config = plan.values.get("config").and_then(Json::as_object);
    if !svc.reads.is_empty() {
        let mut read = Map::new();
        if let Some(config) = config {
            for (k, v) in config {
                if svc.reads.iter().any(|r| r == "*" || r == k) {
                    read.insert(k.clone(), v.clone());
                }
            }
        }
        doc.insert("config".into(), Json::Object(read));
    }
    if let Some(own) = svc_values(plan, inst.name)
        .get("config")
        .filter(|c| !c.is_null())
    {
        doc.insert("service".into(), own.clone());
    }
    if let Some(logging) = plan.values.get("logging").filter(|l| !l.is_null()) {
        doc.insert("logging".into(), logging.clone());
    }
    if svc.database {
        let db = plan.values.get("database").cloned().unwrap_or(Json::Null);
        let prefix = str_at(&db, &["prefix"]).unwrap_or("");
        let name = format!("{prefix}{}_{}", plan.name, inst.name).replace('-', "_");
        doc.insert(
            "database".into(),
            json!({
                "host": db.get("host"),
                "port": db.get("port").cloned().unwrap_or(json!(5432)),
                "name": name,
                "sslMode": db.get("sslMode").cloned().unwrap_or(json!("require")),
            }),
        );
    }
    if svc.object_storage {
        if let Some(os) = plan.values.get("objectStorage").filter(|o| !o.is_null()) {
            let mut os = os.clone();
            if let Some(o) = os.as_object_mut() {
                o.insert(
                    "prefix".into(),
                    json!(format!("{}/{}", plan.name, inst.name)),
                );
            }
            doc.insert("objectStorage".into(), os);
        }
    }
    if svc.kind == WorkloadKind::Job && svc.hook.as_deref() == Some("PreSync") {
        // The init job prepares what the other services need before they start.
        doc.insert("databases".into(), json!(databases(ws, plan)));
        doc.insert("storagePrefixes".into(), json!(storage_prefixes(ws, plan)));
    }
    Json::Object(doc)
}

/// The object storage folders of the tenant's services (for the init job).
pub fn storage_prefixes(ws: &Workspace, plan: &TenantPlan) -> Vec<String> {
    ws.catalog
        .services
        .iter()
        .filter(|(n, s)| s.object_storage && plan.services.get(*n).is_some_and(|d| d.on))
        .map(|(n, _)| format!("{}/{n}", plan.name))
        .collect()
}

/// Pretty, sorted JSON with a trailing newline: stable bytes for a ConfigMap.
pub fn canonical_json(v: &Json) -> String {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_default();
    s.push('\n');
    s
}

/// The databases the tenant's services need (for the init job).
pub fn databases(ws: &Workspace, plan: &TenantPlan) -> Vec<String> {
    let prefix = str_at(&plan.values, &["database", "prefix"]).unwrap_or("");
    ws.catalog
        .services
        .iter()
        .filter(|(n, s)| s.database && plan.services.get(*n).is_some_and(|d| d.on))
        .map(|(n, _)| format!("{prefix}{}_{n}", plan.name).replace('-', "_"))
        .collect()
}

/// Network rules of one instance: who may call it, whom it may call.
fn network(ws: &Workspace, plan: &TenantPlan, inst: &Instance, all: &[Instance]) -> Json {
    let svc = inst.service;
    let own_ports = serving_ports(svc);
    let peer = |ns: &str, name: &str| {
        json!({
            "namespace": ns,
            "namespaceSelector": {NAMESPACE_LABEL: ns},
            "podSelector": {NAME_LABEL: name, INSTANCE_LABEL: plan.name},
        })
    };

    // Callers: instances that depend on this service and reach this copy of it.
    let mut ingress: BTreeMap<(String, String), Json> = BTreeMap::new();
    for other in all {
        if other.service.depends_on.iter().any(|d| d == inst.name)
            && target_namespace(ws, plan, inst.name, &other.namespace) == inst.namespace
        {
            if own_ports.is_empty() {
                continue;
            }
            let mut p = peer(&other.namespace, other.name);
            p["ports"] = Json::Array(own_ports.clone());
            ingress.insert((other.namespace.clone(), other.name.to_string()), p);
        }
    }
    let gateway = all.iter().find(|i| i.service.gateway && i.primary);
    if let Some(gw) = gateway {
        if !svc.routes.is_empty() && inst.primary {
            let ports: Vec<Json> = svc
                .routes
                .iter()
                .filter_map(|r| port_number(svc, &r.port))
                .map(|p| json!({"port": p, "protocol": "TCP"}))
                .collect();
            let mut p = peer(&gw.namespace, gw.name);
            p["ports"] = Json::Array(dedup(ports));
            ingress.insert((gw.namespace.clone(), gw.name.to_string()), p);
        }
    }

    // Callees: its dependencies, and for the gateway every routed service.
    let mut egress: BTreeMap<(String, String), Json> = BTreeMap::new();
    for dep in &svc.depends_on {
        let Some(dep_svc) = ws.catalog.services.get(dep) else {
            continue;
        };
        if !plan.services.get(dep).is_some_and(|d| d.on) {
            continue;
        }
        let ns = target_namespace(ws, plan, dep, &inst.namespace);
        let ports = serving_ports(dep_svc);
        if ports.is_empty() {
            continue;
        }
        let mut p = peer(&ns, dep);
        p["ports"] = Json::Array(ports);
        egress.insert((ns, dep.clone()), p);
    }
    if svc.gateway && inst.primary {
        for other in all
            .iter()
            .filter(|o| o.primary && !o.service.routes.is_empty())
        {
            let ports: Vec<Json> = other
                .service
                .routes
                .iter()
                .filter_map(|r| port_number(other.service, &r.port))
                .map(|p| json!({"port": p, "protocol": "TCP"}))
                .collect();
            let mut p = peer(&other.namespace, other.name);
            p["ports"] = Json::Array(dedup(ports));
            egress.insert((other.namespace.clone(), other.name.to_string()), p);
        }
    }

    let external: Vec<Json> = svc
        .external
        .iter()
        .filter_map(|name| {
            let dest = get(&plan.values, &["network", "externalEgress", name])?;
            let cidr = dest.get("cidr").and_then(Json::as_str)?;
            let ports: Vec<Json> = dest
                .get("ports")
                .and_then(Json::as_array)
                .map(|ps| {
                    ps.iter()
                        .map(|p| json!({"port": p, "protocol": "TCP"}))
                        .collect()
                })
                .unwrap_or_default();
            Some(json!({"name": name, "cidr": cidr, "ports": ports}))
        })
        .collect();

    let ingress_enabled = ingress_host(plan).is_some();
    let from_ingress_controller = inst.primary
        && ingress_enabled
        && if gateway.is_some() {
            svc.gateway
        } else {
            !svc.routes.is_empty()
        };
    let controller_ns =
        str_at(&plan.values, &["network", "ingressControllerNamespace"]).unwrap_or("ingress-nginx");
    let controller_ports: Vec<Json> = if svc.gateway {
        svc.ports
            .iter()
            .take(1)
            .map(|p| json!({"port": p.port, "protocol": "TCP"}))
            .collect()
    } else {
        dedup(
            svc.routes
                .iter()
                .filter_map(|r| port_number(svc, &r.port))
                .map(|p| json!({"port": p, "protocol": "TCP"}))
                .collect(),
        )
    };
    let monitoring = monitoring_on(plan) && svc.metrics_port.is_some();
    let monitoring_ns =
        str_at(&plan.values, &["network", "monitoringNamespace"]).unwrap_or("monitoring");
    let metrics_port = svc.metrics_port.as_ref().and_then(|m| port_number(svc, m));

    json!({
        "ingressFrom": ingress.into_values().collect::<Vec<_>>(),
        "egressTo": egress.into_values().collect::<Vec<_>>(),
        "external": external,
        "fromIngressController": if from_ingress_controller {
            json!({"namespaceSelector": {NAMESPACE_LABEL: controller_ns}, "ports": controller_ports})
        } else { Json::Null },
        "fromMonitoring": if monitoring {
            json!({"namespaceSelector": {NAMESPACE_LABEL: monitoring_ns}, "ports": [{"port": metrics_port, "protocol": "TCP"}]})
        } else { Json::Null },
    })
}

/// The ports other services call: all of them but a dedicated metrics port.
fn serving_ports(svc: &Service) -> Vec<Json> {
    let dedicated_metrics = svc.ports.len() > 1;
    svc.ports
        .iter()
        .filter(|p| !(dedicated_metrics && Some(&p.name) == svc.metrics_port.as_ref()))
        .map(|p| json!({"port": p.port, "protocol": p.protocol}))
        .collect()
}

fn dedup(mut v: Vec<Json>) -> Vec<Json> {
    v.sort_by_key(|a| a.to_string());
    v.dedup();
    v
}

fn monitoring_on(plan: &TenantPlan) -> bool {
    get(&plan.values, &["monitoring", "enabled"])
        .and_then(Json::as_bool)
        .unwrap_or(false)
}

fn ingress_host(plan: &TenantPlan) -> Option<&str> {
    let enabled = get(&plan.values, &["ingress", "enabled"])
        .and_then(Json::as_bool)
        .unwrap_or(true);
    if enabled {
        str_at(&plan.values, &["ingress", "host"])
    } else {
        None
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
    labels.insert(INSTANCE_LABEL.into(), json!(plan.name));
    let selector = json!({NAME_LABEL: inst.name, INSTANCE_LABEL: plan.name});

    let wave = stage_wave(&ws.catalog, &svc.stage);
    let config = config_document(ws, plan, inst);
    let config_name = format!("{}-config", inst.name);
    let config_path = svc
        .config_path
        .clone()
        .unwrap_or_else(|| "/etc/config".into());

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
                .and_then(|o| o.get("key"))
                .and_then(Json::as_str)
                .map(str::to_string)
                .unwrap_or(default_key);
            let property = over
                .and_then(|o| o.get("property"))
                .and_then(Json::as_str)
                .map(str::to_string)
                .or_else(|| c.property.clone());
            let mut remote = json!({"key": key});
            if let Some(p) = property {
                remote["property"] = json!(p);
            }
            json!({"secretKey": c.env, "remoteRef": remote})
        })
        .collect();
    let mut env: Vec<Json> = v
        .get("env")
        .and_then(Json::as_array)
        .cloned()
        .unwrap_or_default();
    for c in &svc.credentials {
        env.retain(|e| e.get("name").and_then(Json::as_str) != Some(c.env.as_str()));
        env.push(json!({"name": c.env, "valueFrom": {"secretKeyRef": {"name": secret_name, "key": c.env}}}));
    }

    // Volumes: the configuration, writable paths, and the gateway's routes.
    let mut volumes = vec![json!({
        "name": "config",
        "configMap": {"name": config_name},
        "emptyDir": false,
        "mountPath": config_path,
        "readOnly": true,
    })];
    for path in &svc.writable_paths {
        let name = format!("writable-{}", crate::names::clean(path));
        volumes.push(json!({"name": name, "configMap": null, "emptyDir": true, "mountPath": path, "readOnly": false}));
    }
    if svc.gateway {
        volumes.push(json!({
            "name": "routes",
            "configMap": {"name": format!("{}-routes", inst.name)},
            "emptyDir": false,
            "mountPath": svc.routes_path.clone().unwrap_or_else(|| "/etc/nginx/conf.d".into()),
            "readOnly": true,
        }));
    }

    let placement = svc
        .pool
        .as_ref()
        .and_then(|pool| get(&plan.values, &["placement", pool]))
        .cloned()
        .unwrap_or(Json::Null);
    let node_selector = v
        .get("nodeSelector")
        .filter(|n| !n.is_null())
        .or_else(|| placement.get("nodeSelector"))
        .cloned()
        .unwrap_or(json!({}));
    let tolerations = v
        .get("tolerations")
        .filter(|n| !n.is_null())
        .or_else(|| placement.get("tolerations"))
        .cloned()
        .unwrap_or(json!([]));

    let mut pod_annotations: Map<String, Json> = v
        .get("podAnnotations")
        .and_then(Json::as_object)
        .cloned()
        .unwrap_or_default();
    if monitoring_on(plan) {
        if let Some(port) = svc.metrics_port.as_ref().and_then(|m| port_number(svc, m)) {
            let path = str_at(&plan.values, &["monitoring", "path"]).unwrap_or("/metrics");
            pod_annotations.insert("prometheus.io/scrape".into(), json!("true"));
            pod_annotations.insert("prometheus.io/port".into(), json!(port.to_string()));
            pod_annotations.insert("prometheus.io/path".into(), json!(path));
        }
    }

    let autoscaling = v
        .get("autoscaling")
        .filter(|a| a.get("enabled").and_then(Json::as_bool).unwrap_or(false))
        .filter(|_| svc.autoscaling && svc.fixed_replicas.is_none() && svc.kind.is_long_lived())
        .map(|a| {
            let min = a.get("minReplicas").and_then(Json::as_i64).unwrap_or(1);
            json!({
                "minReplicas": min,
                "maxReplicas": a.get("maxReplicas").and_then(Json::as_i64).unwrap_or(min.max(1) * 3),
                "targetCPUUtilizationPercentage": a.get("targetCPUUtilizationPercentage").and_then(Json::as_i64).unwrap_or(80),
            })
        })
        .unwrap_or(Json::Null);
    let replicas = svc
        .fixed_replicas
        .map(i64::from)
        .or_else(|| v.get("replicas").and_then(Json::as_i64))
        .unwrap_or(1);
    let pdb = v
        .get("pdb")
        .filter(|p| p.get("enabled").and_then(Json::as_bool).unwrap_or(false))
        .filter(|_| svc.kind.is_long_lived())
        .map(|p| json!({"maxUnavailable": p.get("maxUnavailable").cloned().filter(|m| !m.is_null()).unwrap_or(json!(1))}))
        .unwrap_or(Json::Null);

    let security = plan.values.get("security").cloned().unwrap_or(Json::Null);
    let run_as_user = security
        .get("runAsUser")
        .and_then(Json::as_i64)
        .unwrap_or(10001);
    let rollout = plan.values.get("rollout").cloned().unwrap_or(Json::Null);

    let hook = match svc.kind {
        WorkloadKind::Job => Some(svc.hook.clone().unwrap_or_else(|| "PostSync".into())),
        _ => None,
    };
    let ports: Vec<Json> = svc
        .ports
        .iter()
        .map(|p| {
            json!({"name": p.name, "port": p.port, "protocol": p.protocol, "appProtocol": p.app_protocol})
        })
        .collect();

    let mut ctx = json!({
        "name": inst.name,
        "namespace": inst.namespace,
        "primary": inst.primary,
        "kind": svc.kind,
        "class": svc.kind.class(),
        "description": svc.description,
        "stage": svc.stage,
        "wave": wave,
        "hook": hook,
        "gateway": svc.gateway,
        "image": image_ref(plan, inst.name, svc),
        "imagePullPolicy": str_at(&plan.values, &["images", "pullPolicy"]).unwrap_or("IfNotPresent"),
        "imagePullSecrets": get(&plan.values, &["images", "pullSecrets"]).cloned().unwrap_or(json!([])),
        "command": svc.command,
        "args": svc.args,
        "ports": ports,
        "probes": svc.probes,
        "resources": v.get("resources").cloned().unwrap_or(json!({})),
        "env": env,
        "labels": labels,
        "selector": selector,
        "podAnnotations": pod_annotations,
    });
    let second = json!({
        "configName": config_name,
        "configData": {"config.json": canonical_json(&config)},
        "credentials": if credential_data.is_empty() { Json::Null } else {
            json!({"secretName": secret_name, "data": credential_data})
        },
        "secretStore": {
            "name": str_at(&plan.values, &["secretStore", "name"]).unwrap_or("platform"),
            "kind": str_at(&plan.values, &["secretStore", "kind"]).unwrap_or("ClusterSecretStore"),
            "refreshInterval": str_at(&plan.values, &["secretStore", "refreshInterval"]).unwrap_or("1h"),
        },
        "serviceAccount": {
            "name": inst.name,
            "automountToken": !svc.rbac.is_empty(),
            "rules": svc.rbac,
        },
        "volumes": volumes,
        "replicas": replicas,
        "autoscaling": autoscaling,
        "pdb": pdb,
        "storage": if svc.kind == WorkloadKind::StatefulSet {
            json!({
                "size": get(v, &["storage", "size"]).cloned().unwrap_or(json!("10Gi")),
                "storageClassName": get(v, &["storage", "storageClassName"]).cloned().unwrap_or(Json::Null),
                "mountPath": svc.data_path,
            })
        } else { Json::Null },
        "nodeSelector": node_selector,
        "tolerations": tolerations,
        "priorityClassName": svc.priority_class,
        "runAsUser": run_as_user,
        "runAsGroup": security.get("runAsGroup").and_then(Json::as_i64).unwrap_or(run_as_user),
        "fsGroup": security.get("fsGroup").and_then(Json::as_i64).unwrap_or(run_as_user),
        "rollout": {
            "maxUnavailable": rollout.get("maxUnavailable").cloned().filter(|m| !m.is_null()).unwrap_or(json!(0)),
            "maxSurge": rollout.get("maxSurge").cloned().filter(|m| !m.is_null()).unwrap_or(json!(1)),
        },
        "schedule": v.get("schedule"),
        "suspend": v.get("suspend").and_then(Json::as_bool).unwrap_or(false),
        "backoffLimit": v.get("backoffLimit").and_then(Json::as_i64).unwrap_or(0),
        "ttlSecondsAfterFinished": v.get("ttlSecondsAfterFinished"),
        "activeDeadlineSeconds": v.get("activeDeadlineSeconds"),
        "network": network(ws, plan, inst, all),
    });
    if let (Json::Object(a), Json::Object(b)) = (&mut ctx, second) {
        a.extend(b);
    }
    ctx
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
                "probePath": g.service.probes.as_ref().map(|p| p.path.clone()),
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
                "tls": get(&plan.values, &["ingress", "tls", "enabled"]).and_then(Json::as_bool).unwrap_or(true),
                "clusterIssuer": get(&plan.values, &["ingress", "tls", "clusterIssuer"]),
            }),
            None => Json::Null,
        },
        "registryWave": last_wave,
    })
}

/// The merged values with every top-level key of the values schema present (`null`
/// when no layer sets it), so templates can test any of them under strict undefined.
fn complete_values(values: &Json) -> Json {
    let mut v = values.clone();
    if let Json::Object(m) = &mut v {
        for key in crate::schema::known_keys("values", "") {
            m.entry(key).or_insert(Json::Null);
        }
    }
    v
}

/// The context of one namespace of a tenant.
pub fn namespace_context(tenant: &Json, plan: &TenantPlan, index: usize) -> Json {
    let name = plan.namespaces.get(index).cloned().unwrap_or_default();
    let extra = name
        .strip_prefix(&format!("{}-", plan.name))
        .filter(|_| index > 0);
    let mut ctx = tenant.clone();
    ctx["namespace"] = json!({"name": name, "primary": index == 0, "extra": extra});
    ctx
}

/// The context of the cluster-wide templates.
pub fn cluster_context(ws: &Workspace) -> Json {
    json!({
        "kiln": {"kubernetesVersion": ws.settings.kubernetes_version, "platform": ws.catalog.platform},
        "labels": {"app.kubernetes.io/part-of": ws.catalog.platform, "app.kubernetes.io/managed-by": "kiln"},
        "priorityClasses": ws.catalog.priority_classes,
    })
}

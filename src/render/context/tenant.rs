//! The context shared by every template of one tenant: the tenant, its labels and
//! merged values, the routes and endpoints of its running services, its gateway and
//! its Ingress.

use serde::Serialize;
use serde_json::{json, Map, Value as Json};

use super::{common_labels, ingress_host, port_number, Instance};
use crate::names::derived;
use crate::plan::TenantPlan;
use crate::validate::Workspace;

/// The context shared by every template of one tenant (docs/templates.md, "Tenant
/// context"); the namespace and service scopes add `namespace` and `svc` to it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TenantContext {
    /// `kubernetesVersion` and `platform`.
    kiln: Map<String, Json>,
    tenant: TenantIdentity,
    /// The labels every object of the tenant carries.
    labels: Map<String, Json>,
    /// The merged values, every top-level key of the values schema present.
    values: Json,
    /// Every flag of the catalog, on or off.
    flags: Map<String, Json>,
    /// The routes of the running services, sorted by prefix.
    routes: Vec<Json>,
    /// The address of every running service with an `endpoint`.
    endpoints: Map<String, Json>,
    /// The gateway, `null` when none runs.
    gateway: Json,
    /// The Ingress, `null` when the tenant has none.
    ingress: Json,
    /// The sync wave after every stage's.
    registry_wave: i64,
}

#[derive(Serialize)]
struct TenantIdentity {
    name: String,
    environment: String,
    /// The primary namespace.
    namespace: String,
    /// The primary namespace, then the extra ones.
    namespaces: Vec<String>,
}

/// The context shared by every template of one tenant.
pub fn tenant_context(ws: &Workspace, plan: &TenantPlan, all: &[Instance]) -> TenantContext {
    let mut kiln = Map::new();
    kiln.insert(
        "kubernetesVersion".into(),
        json!(ws.settings.kubernetes_version),
    );
    kiln.insert("platform".into(), json!(ws.catalog.platform));
    TenantContext {
        kiln,
        tenant: TenantIdentity {
            name: plan.name.clone(),
            environment: plan.environment.clone(),
            namespace: plan.namespaces.first().cloned().unwrap_or_default(),
            namespaces: plan.namespaces.clone(),
        },
        labels: common_labels(ws, plan),
        values: complete_values(plan.values.to_json()),
        flags: plan
            .flags
            .iter()
            .map(|(k, (on, _))| (k.clone(), json!(on)))
            .collect(),
        routes: routes(all),
        endpoints: endpoints(all),
        gateway: gateway(all),
        ingress: ingress(plan),
        registry_wave: ws.catalog.stages.len() as i64 * 10 + 10,
    }
}

/// The routes of every running service in the primary namespace, sorted by prefix.
fn routes(all: &[Instance]) -> Vec<Json> {
    let mut routes: Vec<Json> = Vec::new();
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
    }
    routes.sort_by(|a, b| a["prefix"].as_str().cmp(&b["prefix"].as_str()));
    routes
}

/// The endpoint registry: the address of every running service with an `endpoint`.
fn endpoints(all: &[Instance]) -> Map<String, Json> {
    let mut endpoints = Map::new();
    for inst in all.iter().filter(|i| i.primary) {
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
    endpoints
}

/// The gateway service, `null` when the catalog has none running.
fn gateway(all: &[Instance]) -> Json {
    all.iter()
        .find(|i| i.primary && i.service.gateway)
        .map(|g| {
            json!({
                "name": g.name,
                "routesName": derived::routes_config_map(g.name),
                "port": g.service.ports.first().map(|p| p.port),
                "portName": g.service.ports.first().map(|p| p.name.clone()),
                "probePath": g.service.probes.as_ref().and_then(|p| p.path.clone()),
            })
        })
        .unwrap_or(Json::Null)
}

/// The tenant's Ingress, `null` when it has none.
fn ingress(plan: &TenantPlan) -> Json {
    let (Some(host), Some(ingress)) = (ingress_host(plan), plan.values.ingress.as_ref()) else {
        return Json::Null;
    };
    let tls = ingress.tls.as_ref();
    json!({
        "host": host,
        "className": ingress.class_name,
        "tls": tls.and_then(|t| t.enabled) == Some(true),
        "clusterIssuer": tls.and_then(|t| t.cluster_issuer.as_ref()),
        "tlsSecret": derived::tenant_tls_secret(&plan.name),
    })
}

/// The merged values with every top-level key of the values schema present (`null`
/// when no layer sets it).
fn complete_values(mut v: Json) -> Json {
    if let Json::Object(m) = &mut v {
        for key in crate::schema::known_keys("values", "") {
            m.entry(key).or_insert(Json::Null);
        }
    }
    v
}

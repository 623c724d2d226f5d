//! The context shared by every template of one tenant: the tenant, its labels and
//! merged values, the routes and endpoints of its running services, its gateway and
//! its Ingress.

use serde_json::{json, Map, Value as Json};

use super::{common_labels, get, ingress_host, port_number, Instance};
use crate::names::derived;
use crate::plan::TenantPlan;
use crate::validate::Workspace;

/// The context shared by every template of one tenant.
pub fn tenant_context(ws: &Workspace, plan: &TenantPlan, all: &[Instance]) -> Json {
    let primary = plan.namespaces.first().cloned().unwrap_or_default();
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
        "routes": routes(all),
        "endpoints": endpoints(all),
        "gateway": gateway(all),
        "ingress": ingress(plan),
        "registryWave": last_wave,
    })
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
    match ingress_host(plan) {
        Some(host) => json!({
            "host": host,
            "className": get(&plan.values, &["ingress", "className"]),
            "tls": get(&plan.values, &["ingress", "tls", "enabled"]).and_then(Json::as_bool) == Some(true),
            "clusterIssuer": get(&plan.values, &["ingress", "tls", "clusterIssuer"]),
            "tlsSecret": derived::tenant_tls_secret(&plan.name),
        }),
        None => Json::Null,
    }
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

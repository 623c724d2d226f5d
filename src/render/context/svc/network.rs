//! `svc.network`: the NetworkPolicy rules of one instance, who may call it and whom it
//! may call. Each rule names its peers by namespace and pod labels and lists the
//! ports; a rule without ports is never made (an empty port list would admit every
//! port).

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{json, Value as Json};

use super::super::{
    ingress_host, is_on, monitoring_on, port_number, Instance, INSTANCE_LABEL, NAMESPACE_LABEL,
    NAME_LABEL, TENANT_LABEL,
};
use crate::model::values::{Egress, Network};
use crate::model::Service;
use crate::plan::TenantPlan;
use crate::validate::Workspace;

/// `svc.network`: the NetworkPolicy rules of one instance.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct NetworkRules {
    /// Callers allowed in, each a peer (`namespace`, `namespaceSelector`,
    /// `podSelector`, `ports`).
    ingress_from: Vec<Json>,
    /// The catalog's `allowFrom`, each as `from` and `ports`.
    allow_from: Vec<Json>,
    /// Services this copy may call, as peers.
    egress_to: Vec<Json>,
    /// Destinations outside the cluster: `name`, `cidr`, `ports`.
    external: Vec<Json>,
    /// `null`, or `namespaceSelector` and `ports`.
    from_ingress_controller: Json,
    /// `null`, or `namespaceSelector` and `ports`.
    from_monitoring: Json,
}

/// Network rules of one instance: who may call it, whom it may call.
pub(super) fn network(
    ws: &Workspace,
    plan: &TenantPlan,
    inst: &Instance,
    all: &[Instance],
) -> NetworkRules {
    NetworkRules {
        ingress_from: ingress_from(ws, plan, inst, all),
        allow_from: allow_from(plan, inst.service),
        egress_to: egress_to(ws, plan, inst, all),
        external: external(plan, inst.service),
        from_ingress_controller: from_ingress_controller(plan, inst, all),
        from_monitoring: from_monitoring(plan, inst.service),
    }
}

/// A peer of a rule: the pods of one service in one namespace, on these ports.
fn peer(plan: &TenantPlan, ns: &str, name: &str, ports: Vec<Json>) -> Json {
    json!({
        "namespace": ns,
        "namespaceSelector": {NAMESPACE_LABEL: ns},
        "podSelector": {NAME_LABEL: name, INSTANCE_LABEL: plan.name},
        "ports": ports,
    })
}

fn tcp(port: u16) -> Json {
    json!({"port": port, "protocol": "TCP"})
}

fn dedup(mut v: Vec<Json>) -> Vec<Json> {
    v.sort_by_key(std::string::ToString::to_string);
    v.dedup();
    v
}

/// The running gateway, if the catalog has one.
fn gateway<'i, 'a>(all: &'i [Instance<'a>]) -> Option<&'i Instance<'a>> {
    all.iter().find(|i| i.service.gateway && i.primary)
}

/// Services an instance calls: its dependencies and its other callees.
fn callees(svc: &Service) -> impl Iterator<Item = &String> {
    svc.depends_on.iter().chain(svc.calls.iter())
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

fn route_ports(svc: &Service) -> Vec<Json> {
    dedup(
        svc.routes
            .iter()
            .filter_map(|r| port_number(svc, &r.port))
            .map(tcp)
            .collect(),
    )
}

/// Callers: instances that call this service and reach this copy of it, and the
/// gateway when this copy serves routes.
fn ingress_from(ws: &Workspace, plan: &TenantPlan, inst: &Instance, all: &[Instance]) -> Vec<Json> {
    let own_ports = serving_ports(inst.service);
    let mut ingress: BTreeMap<(String, String), Json> = BTreeMap::new();
    if !own_ports.is_empty() {
        for other in all {
            if callees(other.service).any(|d| d == inst.name)
                && target_namespace(ws, plan, inst.name, &other.namespace) == inst.namespace
            {
                ingress.insert(
                    (other.namespace.clone(), other.name.to_string()),
                    peer(plan, &other.namespace, other.name, own_ports.clone()),
                );
            }
        }
    }
    if let Some(gw) = gateway(all) {
        let ports = route_ports(inst.service);
        if inst.primary && !ports.is_empty() {
            ingress.insert(
                (gw.namespace.clone(), gw.name.to_string()),
                peer(plan, &gw.namespace, gw.name, ports),
            );
        }
    }
    ingress.into_values().collect()
}

/// The catalog's `allowFrom`, each as one NetworkPolicy peer on the serving ports.
fn allow_from(plan: &TenantPlan, svc: &Service) -> Vec<Json> {
    let own_ports = serving_ports(svc);
    let mut sources = Vec::new();
    if own_ports.is_empty() {
        return sources;
    }
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
    sources
}

/// Callees: dependencies and calls that are on, and for the gateway every routed
/// service.
fn egress_to(ws: &Workspace, plan: &TenantPlan, inst: &Instance, all: &[Instance]) -> Vec<Json> {
    let svc = inst.service;
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
        egress.insert((ns.clone(), callee.clone()), peer(plan, &ns, callee, ports));
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
                    peer(plan, &other.namespace, other.name, ports),
                );
            }
        }
    }
    egress.into_values().collect()
}

/// Destinations outside the cluster: the service's `external` ones, and the API
/// server for a service with `rbac`.
fn external(plan: &TenantPlan, svc: &Service) -> Vec<Json> {
    let network = network_values(plan);
    let mut external: Vec<Json> = svc
        .external
        .iter()
        .filter_map(|name| {
            let dest = network?.external_egress.as_ref()?.get(name)?.as_ref()?;
            destination(name, dest)
        })
        .collect();
    if !svc.rbac.is_empty() {
        if let Some(api) = network.and_then(|n| n.api_server.as_ref()) {
            external.extend(destination("kubernetes-api", api));
        }
    }
    external
}

fn network_values(plan: &TenantPlan) -> Option<&Network> {
    plan.values.network.as_ref()
}

/// One destination outside the cluster, `None` without a `cidr`.
fn destination(name: &str, dest: &Egress) -> Option<Json> {
    let cidr = dest.cidr.as_deref()?;
    let ports: Vec<Json> = dest
        .ports
        .iter()
        .flatten()
        .filter_map(|p| u16::try_from(*p).ok())
        .map(tcp)
        .collect();
    Some(json!({"name": name, "cidr": cidr, "ports": ports}))
}

/// The ingress controller, when it calls this copy: the gateway when there is one,
/// else every service with routes, in the primary namespace.
fn from_ingress_controller(plan: &TenantPlan, inst: &Instance, all: &[Instance]) -> Json {
    let svc = inst.service;
    let from_ingress_controller = inst.primary
        && ingress_host(plan).is_some()
        && if gateway(all).is_some() {
            svc.gateway
        } else {
            !svc.routes.is_empty()
        };
    let controller_ns =
        network_values(plan).and_then(|n| n.ingress_controller_namespace.as_deref());
    let controller_ports = if svc.gateway {
        svc.ports.iter().take(1).map(|p| tcp(p.port)).collect()
    } else {
        route_ports(svc)
    };
    match controller_ns {
        Some(ns) if from_ingress_controller && !controller_ports.is_empty() => {
            json!({"namespaceSelector": {NAMESPACE_LABEL: ns}, "ports": controller_ports})
        }
        _ => Json::Null,
    }
}

/// The monitoring namespace, on the metrics port, when monitoring is on.
fn from_monitoring(plan: &TenantPlan, svc: &Service) -> Json {
    let metrics_port = svc.metrics_port.as_ref().and_then(|m| port_number(svc, m));
    let monitoring_ns = network_values(plan).and_then(|n| n.monitoring_namespace.as_deref());
    match (monitoring_on(plan), metrics_port, monitoring_ns) {
        (true, Some(port), Some(ns)) => {
            json!({"namespaceSelector": {NAMESPACE_LABEL: ns}, "ports": [tcp(port)]})
        }
        _ => Json::Null,
    }
}

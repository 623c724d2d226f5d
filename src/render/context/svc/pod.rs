//! The pod settings of `svc`: image and command, ports and probes, resources and
//! placement, pod annotations, and the security context.

use serde_json::{json, Map, Value as Json};

use super::super::{monitoring_on, port_number, Instance};
use super::keys;
use crate::model::values::ServiceValues;
use crate::model::Service;
use crate::plan::TenantPlan;

/// `image`, `imagePullPolicy`, `imagePullSecrets`, `command` and `args`.
pub(super) fn image(plan: &TenantPlan, inst: &Instance, v: &ServiceValues) -> Map<String, Json> {
    let svc = inst.service;
    let images = plan.values.images.as_ref();
    let args = v
        .args
        .as_ref()
        .map_or_else(|| json!(svc.args), |a| json!(a));
    keys([
        ("image", json!(image_ref(plan, svc, v))),
        (
            "imagePullPolicy",
            json!(images.and_then(|i| i.pull_policy.as_ref())),
        ),
        (
            "imagePullSecrets",
            json!(images
                .and_then(|i| i.pull_secrets.as_ref())
                .cloned()
                .unwrap_or_default()),
        ),
        ("command", json!(svc.command)),
        ("args", args),
    ])
}

/// The full image reference: `[registry/]repository[:tag][@digest]`, from the
/// service's values `v`.
fn image_ref(plan: &TenantPlan, svc: &Service, v: &ServiceValues) -> String {
    let own = v.image.as_ref();
    let repository = own
        .and_then(|i| i.repository.as_deref())
        .unwrap_or(&svc.image);
    let registry = plan
        .values
        .images
        .as_ref()
        .and_then(|i| i.registry.as_deref());
    let mut image = match registry {
        Some(reg) if !reg.is_empty() => format!("{}/{repository}", reg.trim_end_matches('/')),
        _ => repository.to_string(),
    };
    if let Some(tag) = own.and_then(|i| i.tag.as_deref()) {
        image.push(':');
        image.push_str(tag);
    }
    if let Some(digest) = own.and_then(|i| i.digest.as_deref()) {
        image.push('@');
        image.push_str(digest);
    }
    image
}

/// `ports` (the catalog's) and `probes`.
pub(super) fn ports_and_probes(svc: &Service) -> Map<String, Json> {
    let ports: Vec<Json> = svc
        .ports
        .iter()
        .map(|p| json!({"name": p.name, "port": p.port, "protocol": p.protocol, "appProtocol": p.app_protocol}))
        .collect();
    keys([("ports", json!(ports)), ("probes", probes(svc))])
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

/// `resources`, `podAnnotations`, and where the pod runs: `nodeSelector` and
/// `tolerations` (the service's own, else its pool's) and `priorityClassName`.
pub(super) fn placement(plan: &TenantPlan, svc: &Service, v: &ServiceValues) -> Map<String, Json> {
    let pool = svc
        .pool
        .as_ref()
        .and_then(|pool| plan.values.placement.as_ref()?.get(pool));
    let node_selector = v
        .node_selector
        .as_ref()
        .or_else(|| pool.and_then(|p| p.node_selector.as_ref()))
        .cloned()
        .unwrap_or_default();
    let tolerations = v
        .tolerations
        .as_ref()
        .or_else(|| pool.and_then(|p| p.tolerations.as_ref()))
        .cloned()
        .unwrap_or_default();
    keys([
        ("resources", json!(v.resources.clone().unwrap_or_default())),
        (
            "podAnnotations",
            Json::Object(pod_annotations(plan, svc, v)),
        ),
        ("nodeSelector", json!(node_selector)),
        ("tolerations", json!(tolerations)),
        ("priorityClassName", json!(svc.priority_class)),
    ])
}

/// Scrape annotations first, so that the values' own pod annotations win.
fn pod_annotations(plan: &TenantPlan, svc: &Service, v: &ServiceValues) -> Map<String, Json> {
    let mut annotations = Map::new();
    if monitoring_on(plan) {
        if let Some(port) = svc.metrics_port.as_ref().and_then(|m| port_number(svc, m)) {
            let path = svc
                .metrics_path
                .as_deref()
                .or_else(|| plan.values.monitoring.as_ref()?.path.as_deref());
            annotations.insert("prometheus.io/scrape".into(), json!("true"));
            annotations.insert("prometheus.io/port".into(), json!(port.to_string()));
            if let Some(path) = path {
                annotations.insert("prometheus.io/path".into(), json!(path));
            }
        }
    }
    for (k, value) in v.pod_annotations.iter().flatten() {
        annotations.insert(k.clone(), json!(value));
    }
    annotations
}

/// The security context: `runAsUser`, `runAsGroup` and `fsGroup` (default
/// `runAsUser`), and `security`, the restricted profile less the catalog's exceptions.
pub(super) fn security(plan: &TenantPlan, svc: &Service) -> Map<String, Json> {
    let security = plan.values.security.clone().unwrap_or_default();
    let run_as_user = security.run_as_user;
    let exceptions = svc.security_exceptions.as_ref();
    let allows = |rule: &str| exceptions.is_some_and(|e| e.allows(rule));
    keys([
        ("runAsUser", json!(run_as_user)),
        ("runAsGroup", json!(security.run_as_group.or(run_as_user))),
        ("fsGroup", json!(security.fs_group.or(run_as_user))),
        (
            "security",
            json!({
                "readOnlyRootFilesystem": !allows("readOnlyRootFilesystem"),
                "runAsNonRoot": !allows("runAsNonRoot"),
                "exceptions": exceptions.map(|e| e.allow.join(",")),
                "reason": exceptions.map(|e| e.reason.clone()),
            }),
        ),
    ])
}

//! The pod settings of `svc`: image and command, ports and probes, resources and
//! placement, pod annotations, and the security context.

use serde_json::{json, Map, Value as Json};

use super::super::{get, monitoring_on, port_number, str_at, Instance};
use super::keys;
use crate::model::Service;
use crate::plan::TenantPlan;

/// `image`, `imagePullPolicy`, `imagePullSecrets`, `command` and `args`.
pub(super) fn image(plan: &TenantPlan, inst: &Instance, v: &Json) -> Map<String, Json> {
    let svc = inst.service;
    let args = get(v, &["args"])
        .cloned()
        .unwrap_or_else(|| json!(svc.args));
    keys([
        ("image", json!(image_ref(plan, svc, v))),
        (
            "imagePullPolicy",
            json!(str_at(&plan.values, &["images", "pullPolicy"])),
        ),
        (
            "imagePullSecrets",
            get(&plan.values, &["images", "pullSecrets"])
                .cloned()
                .unwrap_or(json!([])),
        ),
        ("command", json!(svc.command)),
        ("args", args),
    ])
}

/// The full image reference: `[registry/]repository[:tag][@digest]`, from the
/// service's values `v`.
fn image_ref(plan: &TenantPlan, svc: &Service, v: &Json) -> String {
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
pub(super) fn placement(plan: &TenantPlan, svc: &Service, v: &Json) -> Map<String, Json> {
    let pool = svc
        .pool
        .as_ref()
        .and_then(|pool| get(&plan.values, &["placement", pool]))
        .cloned()
        .unwrap_or(Json::Null);
    let node_selector = get(v, &["nodeSelector"])
        .or_else(|| get(&pool, &["nodeSelector"]))
        .cloned()
        .unwrap_or(json!({}));
    let tolerations = get(v, &["tolerations"])
        .or_else(|| get(&pool, &["tolerations"]))
        .cloned()
        .unwrap_or(json!([]));
    keys([
        (
            "resources",
            get(v, &["resources"]).cloned().unwrap_or(json!({})),
        ),
        (
            "podAnnotations",
            Json::Object(pod_annotations(plan, svc, v)),
        ),
        ("nodeSelector", node_selector),
        ("tolerations", tolerations),
        ("priorityClassName", json!(svc.priority_class)),
    ])
}

/// Scrape annotations first, so that the values' own pod annotations win.
fn pod_annotations(plan: &TenantPlan, svc: &Service, v: &Json) -> Map<String, Json> {
    let mut annotations = Map::new();
    if monitoring_on(plan) {
        if let Some(port) = svc.metrics_port.as_ref().and_then(|m| port_number(svc, m)) {
            let path = svc
                .metrics_path
                .as_deref()
                .or_else(|| str_at(&plan.values, &["monitoring", "path"]));
            annotations.insert("prometheus.io/scrape".into(), json!("true"));
            annotations.insert("prometheus.io/port".into(), json!(port.to_string()));
            if let Some(path) = path {
                annotations.insert("prometheus.io/path".into(), json!(path));
            }
        }
    }
    if let Some(own) = get(v, &["podAnnotations"]).and_then(Json::as_object) {
        annotations.extend(own.clone());
    }
    annotations
}

/// The security context: `runAsUser`, `runAsGroup` and `fsGroup` (default
/// `runAsUser`), and `security`, the restricted profile less the catalog's exceptions.
pub(super) fn security(plan: &TenantPlan, svc: &Service) -> Map<String, Json> {
    let security = plan.typed.security.clone().unwrap_or_default();
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

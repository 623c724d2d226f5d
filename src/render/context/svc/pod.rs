//! The pod settings of `svc`: image and command, ports and probes, resources and
//! placement, pod annotations, and the security context.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{json, Map, Value as Json};

use super::super::{monitoring_on, port_number, Instance, SecurityProfile};
use crate::model::values::{Resources, ServiceValues, Toleration};
use crate::model::Service;
use crate::plan::TenantPlan;

/// What the container runs.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Image {
    /// `[<registry>/]<repository>[:<tag>][@<digest>]`.
    image: String,
    image_pull_policy: Option<String>,
    image_pull_secrets: Vec<String>,
    command: Vec<String>,
    /// The service's `args`, else the catalog's.
    args: Vec<String>,
}

/// `image`, `imagePullPolicy`, `imagePullSecrets`, `command` and `args`.
pub(super) fn image(plan: &TenantPlan, inst: &Instance, v: &ServiceValues) -> Image {
    let svc = inst.service;
    let images = plan.values.images.as_ref();
    Image {
        image: image_ref(plan, svc, v),
        image_pull_policy: images.and_then(|i| i.pull_policy.clone()),
        image_pull_secrets: images
            .and_then(|i| i.pull_secrets.clone())
            .unwrap_or_default(),
        command: svc.command.clone(),
        args: v.args.clone().unwrap_or_else(|| svc.args.clone()),
    }
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

/// The catalog's ports, and the probes.
#[derive(Serialize)]
pub(super) struct PortsAndProbes {
    ports: Vec<PortContext>,
    /// `None` without probes.
    probes: Option<ProbesContext>,
}

/// One port of the catalog.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PortContext {
    name: String,
    port: u16,
    protocol: String,
    app_protocol: Option<String>,
}

/// The probes as templates see them: every key present.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ProbesContext {
    /// `http`, `tcp`, `grpc` or `exec`.
    #[serde(rename = "type")]
    kind: String,
    path: Option<String>,
    /// `livenessPath`, else `path`.
    liveness_path: Option<String>,
    /// The port's name.
    port: Option<String>,
    port_number: Option<u16>,
    command: Vec<String>,
    initial_delay_seconds: u32,
    timeout_seconds: u32,
}

/// `ports` (the catalog's) and `probes`.
pub(super) fn ports_and_probes(svc: &Service) -> PortsAndProbes {
    let ports = svc
        .ports
        .iter()
        .map(|p| PortContext {
            name: p.name.clone(),
            port: p.port,
            protocol: p.protocol.clone(),
            app_protocol: p.app_protocol.clone(),
        })
        .collect();
    let probes = svc.probes.as_ref().map(|p| ProbesContext {
        kind: p.kind.clone(),
        path: p.path.clone(),
        liveness_path: p.liveness_path.clone().or_else(|| p.path.clone()),
        port: p.port.clone(),
        port_number: p.port.as_deref().and_then(|n| port_number(svc, n)),
        command: p.command.clone(),
        initial_delay_seconds: p.initial_delay_seconds,
        timeout_seconds: p.timeout_seconds,
    });
    PortsAndProbes { ports, probes }
}

/// The pod's resources and annotations, and where it runs.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Placement {
    resources: Resources,
    pod_annotations: Map<String, Json>,
    /// The service's own, else its pool's.
    node_selector: BTreeMap<String, String>,
    /// The service's own, else its pool's.
    tolerations: Vec<Toleration>,
    priority_class_name: Option<String>,
}

/// `resources`, `podAnnotations`, and where the pod runs: `nodeSelector` and
/// `tolerations` (the service's own, else its pool's) and `priorityClassName`.
pub(super) fn placement(plan: &TenantPlan, svc: &Service, v: &ServiceValues) -> Placement {
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
    Placement {
        resources: v.resources.clone().unwrap_or_default(),
        pod_annotations: pod_annotations(plan, svc, v),
        node_selector,
        tolerations,
        priority_class_name: svc.priority_class.clone(),
    }
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

/// Who the pod runs as, and its profile.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct SecurityContext {
    run_as_user: Option<i64>,
    /// `security.runAsGroup`, else `runAsUser`.
    run_as_group: Option<i64>,
    /// `security.fsGroup`, else `runAsUser`.
    fs_group: Option<i64>,
    security: SecurityProfile,
}

/// The security context: `runAsUser`, `runAsGroup` and `fsGroup` (default
/// `runAsUser`), and `security`, the restricted profile less the catalog's exceptions.
pub(super) fn security(plan: &TenantPlan, svc: &Service) -> SecurityContext {
    let security = plan.values.security.clone().unwrap_or_default();
    let run_as_user = security.run_as_user;
    SecurityContext {
        run_as_user,
        run_as_group: security.run_as_group.or(run_as_user),
        fs_group: security.fs_group.or(run_as_user),
        security: SecurityProfile::of(svc.security_exceptions.as_ref()),
    }
}

//! What templates see: for each scope (the cluster, a tenant, a namespace, a service
//! instance) a JSON context computed from the catalog and the tenant's plan. Everything a
//! template would otherwise compute (which services run where, who may call whom, the
//! configuration, image references, credentials) is decided here, in plain Rust, once.
//! Every key is always present (`null` when it does not apply), so templates can test
//! any of them under strict undefined.
//!
//! One file per scope: `cluster.rs`, `tenant.rs`, `namespace.rs` and `svc/` (one
//! running copy of a service, by concern); `config.rs` is the configuration document a
//! service reads. This file holds what they share: the instances, the labels and the
//! readers of the merged values.

use std::sync::LazyLock;

use serde::Serialize;
use serde_json::{json, Map, Value as Json};

use crate::model::values::ServiceValues;
use crate::model::{SecurityExceptions, Service};
use crate::plan::TenantPlan;
use crate::validate::Workspace;

mod cluster;
mod config;
mod namespace;
mod svc;
mod tenant;

pub use cluster::cluster_context;
pub use namespace::namespace_value;
pub use svc::instance_context;
pub use tenant::tenant_context;

/// The labels that select one service's pods.
const NAME_LABEL: &str = "app.kubernetes.io/name";
const INSTANCE_LABEL: &str = "app.kubernetes.io/instance";
const NAMESPACE_LABEL: &str = "kubernetes.io/metadata.name";
const TENANT_LABEL: &str = "kiln.dev/tenant";

/// The restricted Pod Security profile less a service's or a node's exceptions, as
/// `svc.security` and `node.security` give it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SecurityProfile {
    read_only_root_filesystem: bool,
    run_as_non_root: bool,
    /// The excepted rules, comma-separated.
    exceptions: Option<String>,
    reason: Option<String>,
}

impl SecurityProfile {
    pub fn of(exceptions: Option<&SecurityExceptions>) -> SecurityProfile {
        let allows = |rule: &str| exceptions.is_some_and(|e| e.allows(rule));
        SecurityProfile {
            read_only_root_filesystem: !allows("readOnlyRootFilesystem"),
            run_as_non_root: !allows("runAsNonRoot"),
            exceptions: exceptions.map(|e| e.allow.join(",")),
            reason: exceptions.map(|e| e.reason.clone()),
        }
    }
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

/// Labels every object of the tenant carries.
fn common_labels(ws: &Workspace, plan: &TenantPlan) -> Map<String, Json> {
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

/// The merged values of one service (`services.<name>`), empty when it has none.
fn svc_values<'v>(plan: &'v TenantPlan, name: &str) -> &'v ServiceValues {
    static NONE: LazyLock<ServiceValues> = LazyLock::new(ServiceValues::default);
    plan.values.service(name).unwrap_or(&NONE)
}

fn port_number(svc: &Service, port_name: &str) -> Option<u16> {
    svc.ports
        .iter()
        .find(|p| p.name == port_name)
        .map(|p| p.port)
}

fn monitoring_on(plan: &TenantPlan) -> bool {
    plan.values
        .monitoring
        .as_ref()
        .and_then(|m| m.enabled)
        .unwrap_or(false)
}

/// The host of the tenant's Ingress, `None` when it has none.
fn ingress_host(plan: &TenantPlan) -> Option<&str> {
    let ingress = plan.values.ingress.as_ref()?;
    if ingress.enabled == Some(true) {
        ingress.host.as_deref()
    } else {
        None
    }
}

//! `svc`, the context of one running copy of a service, built by concern: who it is
//! (here), its image and pod settings (`pod.rs`), what it reads (`env.rs`: its
//! configuration, env, credentials and volumes), how it runs and scales
//! (`workload.rs`), and its network rules (`network.rs`). Each concern returns its own
//! keys of `svc`, listed in `SERVICE` in `src/render/sources.rs`.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use serde::Serialize;
use serde_json::{json, Map, Value as Json};

use super::{common_labels, svc_values, Instance, INSTANCE_LABEL, NAME_LABEL};
use crate::model::{Catalog, WorkloadKind};
use crate::plan::TenantPlan;
use crate::validate::Workspace;

mod env;
mod network;
mod pod;
mod workload;

/// `svc`: the context of one running copy of a service, as templates see it
/// (docs/templates.md, "Service context"). Each part is one concern's keys, flattened
/// into `svc`; every key is always present (`null` when it does not apply).
#[derive(Serialize)]
pub struct ServiceContext {
    #[serde(flatten)]
    identity: Identity,
    #[serde(flatten)]
    image: pod::Image,
    #[serde(flatten)]
    ports: pod::PortsAndProbes,
    #[serde(flatten)]
    placement: pod::Placement,
    #[serde(flatten)]
    security: pod::SecurityContext,
    #[serde(flatten)]
    configuration: env::Configuration,
    #[serde(flatten)]
    credentials: env::Credentials,
    #[serde(flatten)]
    volumes: env::Volumes,
    #[serde(flatten)]
    scaling: workload::Scaling,
    #[serde(flatten)]
    rollout: workload::Rollout,
    #[serde(flatten)]
    stateful: workload::Stateful,
    #[serde(flatten)]
    job: workload::JobSettings,
    network: network::NetworkRules,
    /// The service's own merged values, every key of the schema present.
    values: Json,
}

/// The context of one service instance.
pub fn instance_context(
    ws: &Workspace,
    plan: &TenantPlan,
    inst: &Instance,
    all: &[Instance],
) -> ServiceContext {
    let svc = inst.service;
    let v = svc_values(plan, inst.name);
    ServiceContext {
        identity: identity(ws, plan, inst),
        image: pod::image(plan, inst, v),
        ports: pod::ports_and_probes(svc),
        placement: pod::placement(plan, svc, v),
        security: pod::security(plan, svc),
        configuration: env::configuration(ws, plan, inst),
        credentials: env::credentials(plan, inst, v),
        volumes: env::volumes(inst),
        scaling: workload::scaling(svc, v),
        rollout: workload::rollout(plan, svc),
        stateful: workload::stateful(inst.name, svc, v),
        job: workload::job(v),
        network: network::network(ws, plan, inst, all),
        values: own_values(v),
    }
}

/// `values`: the service's own merged values (`services.<name>`), with every key the
/// values schema gives a service, and every key of the mappings it describes, present
/// (`null` when unset). A setting that a template only places into YAML reads it here,
/// with no code of its own.
fn own_values(v: &crate::model::values::ServiceValues) -> Json {
    static SHAPE: LazyLock<Shape> = LazyLock::new(|| Shape::of("/services/_", 0));
    let mut values = json!(v);
    SHAPE.fill(&mut values);
    values
}

/// The keys the values schema describes at one place, each with the keys below it
/// (none for maps of any keys, such as annotations).
struct Shape(BTreeMap<String, Shape>);

impl Shape {
    /// The shape at `pointer`, read from the schema (any service name: the schema
    /// describes every service alike).
    fn of(pointer: &str, depth: usize) -> Shape {
        if depth > 8 {
            return Shape(BTreeMap::new());
        }
        let keys = crate::schema::known_keys("values", pointer);
        Shape(
            keys.into_iter()
                .map(|k| {
                    let below = format!("{pointer}/{}", crate::yaml::node::escape_token(&k));
                    (k, Shape::of(&below, depth + 1))
                })
                .collect(),
        )
    }

    /// Puts every key of the shape into `value`, `null` where missing.
    fn fill(&self, value: &mut Json) {
        let Json::Object(m) = value else {
            return;
        };
        for (key, below) in &self.0 {
            below.fill(m.entry(key.clone()).or_insert(Json::Null));
        }
    }
}
/// Who the instance is.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Identity {
    name: String,
    namespace: String,
    primary: bool,
    kind: WorkloadKind,
    /// `service` or `job`.
    class: &'static str,
    description: String,
    stage: String,
    /// 10 × the stage's place, from 1.
    wave: i64,
    /// For a Job, `PreSync` or `PostSync`.
    hook: Option<String>,
    gateway: bool,
    labels: Map<String, Json>,
    selector: Map<String, Json>,
    service_account: ServiceAccount,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ServiceAccount {
    name: String,
    /// Only with `rbac`.
    automount_token: bool,
    /// The catalog's `rbac`.
    rules: Vec<Json>,
}

/// Who the instance is: its name and namespace, what the catalog says of it, its
/// labels and selector, and its service account.
fn identity(ws: &Workspace, plan: &TenantPlan, inst: &Instance) -> Identity {
    let svc = inst.service;
    let mut labels = common_labels(ws, plan);
    labels.insert(NAME_LABEL.into(), json!(inst.name));
    let mut selector = Map::new();
    selector.insert(NAME_LABEL.into(), json!(inst.name));
    selector.insert(INSTANCE_LABEL.into(), json!(plan.name));
    Identity {
        name: inst.name.to_string(),
        namespace: inst.namespace.clone(),
        primary: inst.primary,
        kind: svc.kind,
        class: svc.kind.class(),
        description: svc.description.clone(),
        stage: svc.stage.clone(),
        wave: stage_wave(&ws.catalog, &svc.stage),
        hook: svc.hook.clone().filter(|_| svc.kind == WorkloadKind::Job),
        gateway: svc.gateway,
        labels,
        selector,
        service_account: ServiceAccount {
            name: inst.name.to_string(),
            automount_token: !svc.rbac.is_empty(),
            rules: svc.rbac.clone(),
        },
    }
}

/// Sync wave of a start-up stage: 10, 20, 30, … in stage order.
fn stage_wave(catalog: &Catalog, stage: &str) -> i64 {
    let index = catalog.stages.iter().position(|s| s == stage).unwrap_or(0);
    (index as i64 + 1) * 10
}

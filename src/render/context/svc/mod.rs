//! `svc`, the context of one running copy of a service, built by concern: who it is
//! (here), its image and pod settings (`pod.rs`), what it reads (`env.rs`: its
//! configuration, env, credentials and volumes), how it runs and scales
//! (`workload.rs`), and its network rules (`network.rs`). Each concern returns its own
//! keys of `svc`, listed in `SERVICE` in `src/render/sources.rs`.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use serde_json::{json, Map, Value as Json};

use super::{common_labels, svc_values, Instance, INSTANCE_LABEL, NAME_LABEL};
use crate::model::{Catalog, WorkloadKind};
use crate::plan::TenantPlan;
use crate::validate::Workspace;

mod env;
mod network;
mod pod;
mod workload;

/// The context of one service instance.
pub fn instance_context(
    ws: &Workspace,
    plan: &TenantPlan,
    inst: &Instance,
    all: &[Instance],
) -> Json {
    let svc = inst.service;
    let v = svc_values(plan, inst.name);
    let mut ctx = identity(ws, plan, inst);
    ctx.extend(pod::image(plan, inst, v));
    ctx.extend(pod::ports_and_probes(svc));
    ctx.extend(pod::placement(plan, svc, v));
    ctx.extend(pod::security(plan, svc));
    ctx.extend(env::configuration(ws, plan, inst));
    ctx.extend(env::credentials(plan, inst, v));
    ctx.extend(env::volumes(inst));
    ctx.extend(workload::scaling(svc, v));
    ctx.extend(workload::rollout(plan, svc));
    ctx.extend(workload::stateful(inst.name, svc, v));
    ctx.extend(workload::job(v));
    ctx.insert("network".into(), network::network(ws, plan, inst, all));
    ctx.insert("values".into(), own_values(v));
    Json::Object(ctx)
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
/// Some keys of `svc`, as a map to merge into it.
fn keys<const N: usize>(pairs: [(&str, Json); N]) -> Map<String, Json> {
    pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

/// Who the instance is: its name and namespace, what the catalog says of it, its
/// labels and selector, and its service account.
fn identity(ws: &Workspace, plan: &TenantPlan, inst: &Instance) -> Map<String, Json> {
    let svc = inst.service;
    let mut labels = common_labels(ws, plan);
    labels.insert(NAME_LABEL.into(), json!(inst.name));
    let hook = svc.hook.clone().filter(|_| svc.kind == WorkloadKind::Job);
    keys([
        ("name", json!(inst.name)),
        ("namespace", json!(inst.namespace)),
        ("primary", json!(inst.primary)),
        ("kind", json!(svc.kind)),
        ("class", json!(svc.kind.class())),
        ("description", json!(svc.description)),
        ("stage", json!(svc.stage)),
        ("wave", json!(stage_wave(&ws.catalog, &svc.stage))),
        ("hook", json!(hook)),
        ("gateway", json!(svc.gateway)),
        ("labels", Json::Object(labels)),
        (
            "selector",
            json!({NAME_LABEL: inst.name, INSTANCE_LABEL: plan.name}),
        ),
        (
            "serviceAccount",
            json!({"name": inst.name, "automountToken": !svc.rbac.is_empty(), "rules": svc.rbac}),
        ),
    ])
}

/// Sync wave of a start-up stage: 10, 20, 30, … in stage order.
fn stage_wave(catalog: &Catalog, stage: &str) -> i64 {
    let index = catalog.stages.iter().position(|s| s == stage).unwrap_or(0);
    (index as i64 + 1) * 10
}

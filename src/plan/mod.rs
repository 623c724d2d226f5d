//! Stage 4: for every tenant, merge the value layers (kiln's defaults → catalog flag
//! defaults → catalog `defaults` → `workloadDefaults` → each service's `defaults` →
//! environment → tenant → the tenant's override for its environment; docs/values.md),
//! decide which flags and services
//! are on, and check what only the merged values can show (flag prerequisites, names
//! with prefixes, configuration a service reads).
//!
//! One file per concern: `layers.rs` the layers, `merge.rs` the merge, `checks.rs` and
//! `effect.rs` the checks on merged values, `secrets.rs` the secret key prefixes and
//! scope, `pipeline/` the pipelines.

mod checks;
pub mod effect;
mod layers;
pub mod merge;
pub mod pipeline;
mod secrets;

use std::collections::BTreeMap;
use std::sync::Arc;

use rayon::prelude::*;
use serde_json::Value as Json;

use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::model::values::Values;
use crate::names;
use crate::validate::{Tenant, Workspace};
use crate::yaml::node::escape_token;
use crate::yaml::Span;

pub use checks::check_pipeline_namespaces;
pub use layers::{Layer, LayerKind};
pub use merge::{MNode, MValue, Origin};
pub use secrets::{describe_prefixes, key_allowed, key_prefixes};

/// Why a service is on or off.
#[derive(Clone, Debug, PartialEq)]
pub enum Reason {
    /// No flag gates it; `span` is its entry in the catalog.
    Always { span: Span },
    /// Its flag decides; `origin` is where the flag's value was set.
    Flag { flag: String, origin: Origin },
}

#[derive(Clone, Debug, PartialEq)]
pub struct ServiceDecision {
    pub on: bool,
    pub reason: Reason,
}

/// Everything decided about one tenant before rendering.
#[derive(Clone, Debug)]
pub struct TenantPlan {
    pub name: String,
    pub environment: String,
    pub file: String,
    /// Shared between tenants where they are the same (the catalog's, an environment's).
    pub layers: Vec<Arc<Layer>>,
    /// The merged values with the origin of each: kept for `kiln explain`
    /// (`Keep::All`), dropped by a build once the plan's checks are done.
    pub provenance: Option<MNode>,
    /// The merged values, typed: read once from the merged tree. Rendering reads
    /// these and nothing else of the layers.
    pub values: Values,
    pub flags: BTreeMap<String, (bool, Origin)>,
    pub services: BTreeMap<String, ServiceDecision>,
    /// The primary namespace first, then the extra namespaces in the order given.
    pub namespaces: Vec<String>,
    /// Every remote key of the tenant's credentials starts with one of these: its own
    /// `<secretStore.prefix>/<tenant>/` first, then `secretStore.sharedPrefixes`.
    pub key_prefixes: Vec<String>,
}

impl TenantPlan {
    /// The plan without the origins of its values (see `Keep::Lean`).
    fn lean(mut self) -> TenantPlan {
        self.provenance = None;
        self
    }

    /// A diagnostic located where the value at `pointer` was set.
    pub fn at_origin(&self, origin: Origin, pointer: &str, d: Diagnostic) -> Diagnostic {
        match self.layers.get(origin.layer) {
            Some(layer) => d
                .in_file(&layer.file)
                .at(origin.span)
                .pointer(layer.file_pointer(pointer)),
            None => d,
        }
    }

    pub fn enabled_services(&self) -> impl Iterator<Item = &str> {
        self.services
            .iter()
            .filter(|(_, d)| d.on)
            .map(|(n, _)| n.as_str())
    }
}

/// What a plan keeps once its checks are done.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Keep {
    /// Everything, provenance included (`kiln explain`).
    All,
    /// Not the origins of the merged values: a build renders from the typed values
    /// alone, so thousands of tenants do not each hold a tree of origins.
    Lean,
}

/// Plans every tenant (in parallel), sorted by name.
pub fn plan(ws: &Workspace, keep: Keep, diags: &mut Diagnostics) -> Vec<TenantPlan> {
    let catalog_layers: Vec<Arc<Layer>> = layers::catalog_layers(ws)
        .into_iter()
        .map(Arc::new)
        .collect();
    let env_layers = layers::environment_layers(ws);
    let results: Vec<(Option<TenantPlan>, Vec<Diagnostic>)> = ws
        .tenants
        .par_iter()
        .map(|t| {
            let (plan, problems) = plan_tenant(ws, &catalog_layers, &env_layers, t);
            (
                plan.map(|p| if keep == Keep::Lean { p.lean() } else { p }),
                problems,
            )
        })
        .collect();
    let mut plans = Vec::new();
    let mut problems = Vec::new();
    for (p, ds) in results {
        problems.extend(ds);
        plans.extend(p);
    }
    diags.extend(merge_tenant_notes(problems));
    plans.sort_by(|a, b| a.name.cmp(&b.name));
    plans
}

/// Reports a problem that several tenants share (the same place and message, such as
/// a catalog entry) once, naming every tenant.
fn merge_tenant_notes(problems: Vec<Diagnostic>) -> Vec<Diagnostic> {
    let mut merged: Vec<(Diagnostic, Vec<String>)> = Vec::new();
    for mut d in problems {
        let tenant = d
            .notes
            .iter()
            .position(|n| n.starts_with("tenant `"))
            .map(|i| d.notes.remove(i));
        let same = merged.iter_mut().find(|(m, _)| {
            (&m.file, m.line, m.column, &m.message, &m.notes)
                == (&d.file, d.line, d.column, &d.message, &d.notes)
        });
        match same {
            Some((_, tenants)) => tenants.extend(tenant),
            None => merged.push((d, tenant.into_iter().collect())),
        }
    }
    merged
        .into_iter()
        .map(|(d, tenants)| match tenants.len() {
            0 => d,
            1 => d.note(tenants.concat()),
            _ => {
                let names: Vec<&str> = tenants
                    .iter()
                    .filter_map(|t| t.strip_prefix("tenant "))
                    .collect();
                d.note(format!("tenants {}", names.join(", ")))
            }
        })
        .collect()
}

/// Merges one tenant's layers, decides its flags, services and namespaces, reads its
/// typed values and runs the checks on merged values; `None` on any error.
fn plan_tenant(
    ws: &Workspace,
    catalog_layers: &[Arc<Layer>],
    env_layers: &BTreeMap<&str, Arc<Layer>>,
    tenant: &Tenant,
) -> (Option<TenantPlan>, Vec<Diagnostic>) {
    let mut layers = catalog_layers.to_vec();
    layers.extend(layers::tenant_layers(env_layers, tenant));
    let merged = merge_layers(&layers);
    let values = merged.to_json();
    let flags = decide_flags(ws, &merged);
    let services = decide_services(ws, &flags);
    let namespaces = namespaces(tenant, &values);
    let key_prefixes = key_prefixes(&values, &tenant.name);
    // Every layer fits the values schema, and the types have its keys (a test holds
    // them equal): a failure here is kiln's, reported rather than hidden.
    let typed = match Values::from_json(&values) {
        Ok(typed) => typed,
        Err(e) => {
            let d = Diagnostic::error(
                Code::InvalidInput,
                format!(
                    "the merged values of tenant `{}` cannot be read: {e}",
                    tenant.name
                ),
            )
            .in_file(&tenant.doc.file);
            return (None, vec![d]);
        }
    };
    let plan = TenantPlan {
        name: tenant.name.clone(),
        environment: tenant.environment.clone(),
        file: tenant.doc.file.clone(),
        layers,
        provenance: None,
        values: typed,
        flags,
        services,
        namespaces,
        key_prefixes,
    };
    let mut problems = checks::check(ws, &plan, &merged);
    problems.extend(effect::check(ws, &plan, &merged));
    let plan = TenantPlan {
        provenance: Some(merged),
        ..plan
    };
    let ok = !problems.iter().any(Diagnostic::is_error);
    (ok.then_some(plan), problems)
}

/// The origin of a value no layer set: the start of kiln's defaults.
fn unset() -> Origin {
    Origin {
        layer: 0,
        span: Span::default(),
    }
}

/// The layers merged in order, each value with its origin.
fn merge_layers(layers: &[Arc<Layer>]) -> MNode {
    let mut merged: Option<MNode> = None;
    for (i, layer) in layers.iter().enumerate() {
        merged = merge::merge(merged, &layer.root, i, None);
    }
    merged.unwrap_or_else(|| MNode::empty_map(unset()))
}

/// Each catalog flag: on when its merged value is `true`, and where that was set.
fn decide_flags(ws: &Workspace, merged: &MNode) -> BTreeMap<String, (bool, Origin)> {
    let mut flags = BTreeMap::new();
    for name in ws.catalog.flags.keys() {
        let node = merged.at(&format!("/flags/{}", escape_token(name)));
        let on = node
            .map(|n| n.to_json() == Json::Bool(true))
            .unwrap_or(false);
        let origin = node.map_or_else(unset, |n| n.origin);
        flags.insert(name.clone(), (on, origin));
    }
    flags
}

/// Each catalog service: always on, or on when its flag is.
fn decide_services(
    ws: &Workspace,
    flags: &BTreeMap<String, (bool, Origin)>,
) -> BTreeMap<String, ServiceDecision> {
    let mut services = BTreeMap::new();
    for (name, svc) in &ws.catalog.services {
        let decision = match &svc.flag {
            None => ServiceDecision {
                on: true,
                reason: Reason::Always {
                    span: ws
                        .catalog_doc
                        .root
                        .get("services")
                        .and_then(|s| s.entry(name))
                        .map(|e| e.key_span)
                        .unwrap_or_default(),
                },
            },
            Some(flag) => {
                let (on, origin) = flags.get(flag).copied().unwrap_or((false, unset()));
                ServiceDecision {
                    on,
                    reason: Reason::Flag {
                        flag: flag.clone(),
                        origin,
                    },
                }
            }
        };
        services.insert(name.clone(), decision);
    }
    services
}

/// The tenant's namespaces: its own, then `<tenant>-<name>` for each extra one.
fn namespaces(tenant: &Tenant, values: &Json) -> Vec<String> {
    let mut namespaces = vec![tenant.name.clone()];
    if let Some(Json::Array(extra)) = values.get("extraNamespaces") {
        namespaces.extend(
            extra
                .iter()
                .filter_map(Json::as_str)
                .map(|e| names::derived::extra_namespace(&tenant.name, e)),
        );
    }
    namespaces
}

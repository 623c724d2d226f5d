//! Values that are set and change nothing: `replicas` under an autoscaler, and the
//! values a tenant gives a service it does not run. `check` and `build` warn where such
//! a value is set; `kiln explain` says the same of it.

use super::merge::MNode;
use super::{LayerKind, Reason, TenantPlan};
use crate::diagnostic::{Code, Diagnostic};
use crate::model::values::ServiceValues;
use crate::model::Service;
use crate::validate::Workspace;
use crate::yaml::node::{escape_token, pointer_tokens};

/// Whether a service runs under a HorizontalPodAutoscaler: the catalog lets it scale
/// and its values turn `autoscaling.enabled` on.
pub fn autoscaled(svc: &Service, values: &ServiceValues) -> bool {
    svc.autoscaling
        && svc.fixed_replicas.is_none()
        && svc.kind.is_long_lived()
        && values
            .autoscaling
            .as_ref()
            .and_then(|a| a.enabled)
            .unwrap_or(false)
}

/// Why the value at `pointer` in a tenant's values has no effect, if it has none.
pub fn no_effect(ws: &Workspace, plan: &TenantPlan, pointer: &str) -> Option<String> {
    let mut tokens = pointer_tokens(pointer);
    if tokens.next().as_deref() != Some("services") {
        return None;
    }
    let name = tokens.next()?;
    let svc = ws.catalog.services.get(&name)?;
    let decision = plan.services.get(&name)?;
    if !decision.on {
        let why = match &decision.reason {
            Reason::Flag { flag, .. } => format!(", as flag `{flag}` is off"),
            Reason::Always { .. } => String::new(),
        };
        return Some(format!(
            "service `{name}` does not run for tenant `{}`{why}, so its values have no effect",
            plan.name
        ));
    }
    let rest: Vec<String> = tokens.collect();
    let values = plan.values.service(&name)?;
    let key = rest.first().map(String::as_str)?;
    if let Some((kinds, what)) = crate::model::kinds_reading(key) {
        if !kinds.contains(&svc.kind) {
            return Some(format!(
                "`{key}` applies to {what}, and `{name}` is a {}, so it has no effect",
                svc.kind.name()
            ));
        }
    }
    if key == "replicas" && autoscaled(svc, values) {
        return Some(format!(
            "the autoscaler of `{name}` decides its replicas (`autoscaling.enabled` is on), so `replicas` has no effect"
        ));
    }
    None
}

/// Warnings for the values of a tenant that have no effect, each where it is set. Not
/// for kiln's defaults or the catalog's `workloadDefaults`, which apply to every
/// service of a kind or class whether it needs them or not.
pub fn check(ws: &Workspace, plan: &TenantPlan, merged: &MNode) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let warn = |origin, pointer: &str, why: String, hint: &str| {
        plan.at_origin(origin, pointer, Diagnostic::warning(Code::NoEffect, why))
            .hint(hint)
            .note(format!("tenant `{}`", plan.name))
    };
    for name in ws.catalog.services.keys() {
        let base = format!("/services/{}", escape_token(name));
        let Some(service) = merged.at(&base) else {
            continue;
        };
        let off = plan.services.get(name).is_some_and(|d| !d.on);
        if off {
            // Only what the tenant itself gives the service: a shared layer sets
            // values for tenants that do run it.
            for (i, layer) in plan.layers.iter().enumerate() {
                if !matches!(layer.kind, LayerKind::Tenant | LayerKind::TenantOverride(_)) {
                    continue;
                }
                let Some(entry) = layer
                    .root
                    .get("services")
                    .and_then(|s| s.entry(name))
                    .filter(|e| !e.value.is_null())
                else {
                    continue;
                };
                let origin = super::Origin {
                    layer: i,
                    span: entry.key_span,
                };
                if let Some(why) = no_effect(ws, plan, &base) {
                    out.push(warn(
                        origin,
                        &base,
                        why,
                        "remove these values, or turn the service on",
                    ));
                }
            }
            continue;
        }
        let replicas = format!("{base}/replicas");
        let Some(set) = service.get("replicas") else {
            continue;
        };
        let by_default = matches!(
            plan.layers.get(set.origin.layer).map(|l| &l.kind),
            Some(LayerKind::KilnDefaults(_) | LayerKind::CatalogWorkloadDefaults(_))
        );
        if by_default {
            continue;
        }
        if let Some(why) = no_effect(ws, plan, &replicas) {
            out.push(warn(
                set.origin,
                &replicas,
                why,
                "set `autoscaling.minReplicas` and `maxReplicas` instead, or turn the autoscaler off",
            ));
        }
    }
    out
}

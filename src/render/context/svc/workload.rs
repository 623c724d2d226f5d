//! How the workload runs: replicas, autoscaling and disruption budget, rollout, a
//! StatefulSet's storage and headless Service, and the settings of jobs and cron jobs.

use serde_json::{json, Map, Value as Json};

use super::keys;
use crate::model::values::ServiceValues;
use crate::model::{Service, WorkloadKind};
use crate::names::derived;
use crate::plan::TenantPlan;

/// `replicas`, `autoscaling` and `pdb`.
pub(super) fn scaling(svc: &Service, v: &ServiceValues) -> Map<String, Json> {
    let replicas = svc.fixed_replicas.map(i64::from).or(v.replicas);
    let pdb = v
        .pdb
        .as_ref()
        .filter(|p| p.enabled == Some(true))
        .filter(|_| svc.kind.is_long_lived())
        .map(|p| json!({"maxUnavailable": p.max_unavailable}))
        .unwrap_or(Json::Null);
    keys([
        ("replicas", json!(replicas)),
        ("autoscaling", autoscaling(svc, v)),
        ("pdb", pdb),
    ])
}

/// The autoscaler, when the values enable it and the catalog allows it.
fn autoscaling(svc: &Service, v: &ServiceValues) -> Json {
    v.autoscaling
        .as_ref()
        .filter(|_| crate::plan::effect::autoscaled(svc, v))
        .map(|a| {
            let min = a.min_replicas;
            // Not a default but a rule: three times the floor, as src/defaults.yaml says.
            let max = a.max_replicas.or(min.map(|m| m.max(1) * 3));
            json!({
                "minReplicas": min,
                "maxReplicas": max,
                "targetCPUUtilizationPercentage": a.target_cpu_utilization_percentage,
            })
        })
        .unwrap_or(Json::Null)
}

/// `strategy` (the catalog's) and `rollout` (the tenant's).
pub(super) fn rollout(plan: &TenantPlan, svc: &Service) -> Map<String, Json> {
    keys([
        ("strategy", json!(svc.strategy)),
        (
            "rollout",
            json!({
                "maxUnavailable": plan.values.rollout.as_ref().and_then(|r| r.max_unavailable.as_ref()),
                "maxSurge": plan.values.rollout.as_ref().and_then(|r| r.max_surge.as_ref()),
            }),
        ),
    ])
}

/// What only a StatefulSet has: `storage`, its persistent volume, and `headlessName`,
/// the headless Service that governs it; `null` for other kinds.
pub(super) fn stateful(name: &str, svc: &Service, v: &ServiceValues) -> Map<String, Json> {
    let stateful = svc.kind == WorkloadKind::StatefulSet;
    let storage = if stateful {
        let own = v.storage.as_ref();
        json!({
            "size": own.and_then(|s| s.size.as_ref()),
            "storageClassName": own.and_then(|s| s.storage_class_name.as_ref()),
            "mountPath": svc.data_path,
        })
    } else {
        Json::Null
    };
    keys([
        ("storage", storage),
        (
            "headlessName",
            json!(stateful.then(|| derived::headless_service(name))),
        ),
    ])
}

/// The settings of jobs and cron jobs, from the service's values.
pub(super) fn job(v: &ServiceValues) -> Map<String, Json> {
    keys([
        ("schedule", json!(v.schedule)),
        ("timeZone", json!(v.time_zone)),
        (
            "startingDeadlineSeconds",
            json!(v.starting_deadline_seconds),
        ),
        (
            "ttlSecondsAfterFinished",
            json!(v.ttl_seconds_after_finished),
        ),
        ("activeDeadlineSeconds", json!(v.active_deadline_seconds)),
        ("suspend", json!(v.suspend)),
        ("backoffLimit", json!(v.backoff_limit)),
    ])
}

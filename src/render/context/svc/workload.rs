//! How the workload runs: replicas, autoscaling and disruption budget, rollout, a
//! StatefulSet's storage and headless Service, and the settings of jobs and cron jobs.

use serde_json::{json, Map, Value as Json};

use super::super::get;
use super::keys;
use crate::model::{Service, WorkloadKind};
use crate::names::derived;
use crate::plan::TenantPlan;

/// `replicas`, `autoscaling` and `pdb`.
pub(super) fn scaling(svc: &Service, v: &Json) -> Map<String, Json> {
    let replicas = svc
        .fixed_replicas
        .map(i64::from)
        .or_else(|| get(v, &["replicas"]).and_then(Json::as_i64));
    let pdb = get(v, &["pdb"])
        .filter(|p| {
            get(p, &["enabled"])
                .and_then(Json::as_bool)
                .unwrap_or(false)
        })
        .filter(|_| svc.kind.is_long_lived())
        .map(|p| json!({"maxUnavailable": get(p, &["maxUnavailable"])}))
        .unwrap_or(Json::Null);
    keys([
        ("replicas", json!(replicas)),
        ("autoscaling", autoscaling(svc, v)),
        ("pdb", pdb),
    ])
}

/// The autoscaler, when the values enable it and the catalog allows it.
fn autoscaling(svc: &Service, v: &Json) -> Json {
    get(v, &["autoscaling"])
        .filter(|_| crate::plan::effect::autoscaled(svc, v))
        .map(|a| {
            let min = get(a, &["minReplicas"]).and_then(Json::as_i64);
            // Not a default but a rule: three times the floor, as src/defaults.yaml says.
            let max = get(a, &["maxReplicas"])
                .and_then(Json::as_i64)
                .or(min.map(|m| m.max(1) * 3));
            json!({
                "minReplicas": min,
                "maxReplicas": max,
                "targetCPUUtilizationPercentage": get(a, &["targetCPUUtilizationPercentage"]),
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
                "maxUnavailable": get(&plan.values, &["rollout", "maxUnavailable"]),
                "maxSurge": get(&plan.values, &["rollout", "maxSurge"]),
            }),
        ),
    ])
}

/// What only a StatefulSet has: `storage`, its persistent volume, and `headlessName`,
/// the headless Service that governs it; `null` for other kinds.
pub(super) fn stateful(name: &str, svc: &Service, v: &Json) -> Map<String, Json> {
    let stateful = svc.kind == WorkloadKind::StatefulSet;
    let storage = if stateful {
        json!({
            "size": get(v, &["storage", "size"]),
            "storageClassName": get(v, &["storage", "storageClassName"]),
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
pub(super) fn job(v: &Json) -> Map<String, Json> {
    [
        "schedule",
        "timeZone",
        "startingDeadlineSeconds",
        "ttlSecondsAfterFinished",
        "activeDeadlineSeconds",
        "suspend",
        "backoffLimit",
    ]
    .into_iter()
    .map(|key| {
        (
            key.to_string(),
            get(v, &[key]).cloned().unwrap_or(Json::Null),
        )
    })
    .collect()
}

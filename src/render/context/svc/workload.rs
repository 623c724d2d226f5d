//! How the workload runs: replicas, autoscaling and disruption budget, rollout, a
//! StatefulSet's storage and headless Service, and the settings of jobs and cron jobs.

use serde::Serialize;

use crate::model::values::{IntOrPercent, Quantity, ServiceValues};
use crate::model::{Service, WorkloadKind};
use crate::names::derived;
use crate::plan::TenantPlan;

/// How many pods run.
#[derive(Serialize)]
pub(super) struct Scaling {
    /// `fixedReplicas`, else `services.<name>.replicas`.
    replicas: Option<i64>,
    /// `None` unless the values enable it and the catalog allows it.
    autoscaling: Option<Autoscaling>,
    /// `None` unless enabled for a long-lived service.
    pdb: Option<Pdb>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Autoscaling {
    min_replicas: Option<i64>,
    /// `maxReplicas`, else three times `minReplicas`.
    max_replicas: Option<i64>,
    #[serde(rename = "targetCPUUtilizationPercentage")]
    target_cpu_utilization_percentage: Option<i64>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Pdb {
    max_unavailable: Option<IntOrPercent>,
}

/// `replicas`, `autoscaling` and `pdb`.
pub(super) fn scaling(svc: &Service, v: &ServiceValues) -> Scaling {
    let pdb = v
        .pdb
        .as_ref()
        .filter(|p| p.enabled == Some(true))
        .filter(|_| svc.kind.is_long_lived())
        .map(|p| Pdb {
            max_unavailable: p.max_unavailable.clone(),
        });
    Scaling {
        replicas: svc.fixed_replicas.map(i64::from).or(v.replicas),
        autoscaling: autoscaling(svc, v),
        pdb,
    }
}

/// The autoscaler, when the values enable it and the catalog allows it.
fn autoscaling(svc: &Service, v: &ServiceValues) -> Option<Autoscaling> {
    let a = v
        .autoscaling
        .as_ref()
        .filter(|_| crate::plan::effect::autoscaled(svc, v))?;
    let min = a.min_replicas;
    // Not a default but a rule: three times the floor, as src/defaults.yaml says.
    let max = a.max_replicas.or(min.map(|m| m.max(1) * 3));
    Some(Autoscaling {
        min_replicas: min,
        max_replicas: max,
        target_cpu_utilization_percentage: a.target_cpu_utilization_percentage,
    })
}

/// The catalog's update strategy and the tenant's rolling update.
#[derive(Serialize)]
pub(super) struct Rollout {
    strategy: Option<String>,
    rollout: RollingUpdate,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RollingUpdate {
    max_unavailable: Option<IntOrPercent>,
    max_surge: Option<IntOrPercent>,
}

/// `strategy` (the catalog's) and `rollout` (the tenant's).
pub(super) fn rollout(plan: &TenantPlan, svc: &Service) -> Rollout {
    let own = plan.values.rollout.as_ref();
    Rollout {
        strategy: svc.strategy.clone(),
        rollout: RollingUpdate {
            max_unavailable: own.and_then(|r| r.max_unavailable.clone()),
            max_surge: own.and_then(|r| r.max_surge.clone()),
        },
    }
}

/// What only a StatefulSet has.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Stateful {
    /// Its persistent volume; `None` for other kinds.
    storage: Option<Storage>,
    /// The headless Service that governs it; `None` for other kinds.
    headless_name: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Storage {
    size: Option<Quantity>,
    storage_class_name: Option<String>,
    /// The catalog's `dataPath`.
    mount_path: Option<String>,
}

/// What only a StatefulSet has: `storage`, its persistent volume, and `headlessName`,
/// the headless Service that governs it; `null` for other kinds.
pub(super) fn stateful(name: &str, svc: &Service, v: &ServiceValues) -> Stateful {
    if svc.kind != WorkloadKind::StatefulSet {
        return Stateful {
            storage: None,
            headless_name: None,
        };
    }
    let own = v.storage.as_ref();
    Stateful {
        storage: Some(Storage {
            size: own.and_then(|s| s.size.clone()),
            storage_class_name: own.and_then(|s| s.storage_class_name.clone()),
            mount_path: svc.data_path.clone(),
        }),
        headless_name: Some(derived::headless_service(name)),
    }
}

/// The settings of jobs and cron jobs, from the service's values.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct JobSettings {
    schedule: Option<String>,
    time_zone: Option<String>,
    starting_deadline_seconds: Option<i64>,
    ttl_seconds_after_finished: Option<i64>,
    active_deadline_seconds: Option<i64>,
    suspend: Option<bool>,
    backoff_limit: Option<i64>,
}

/// The settings of jobs and cron jobs, from the service's values.
pub(super) fn job(v: &ServiceValues) -> JobSettings {
    JobSettings {
        schedule: v.schedule.clone(),
        time_zone: v.time_zone.clone(),
        starting_deadline_seconds: v.starting_deadline_seconds,
        ttl_seconds_after_finished: v.ttl_seconds_after_finished,
        active_deadline_seconds: v.active_deadline_seconds,
        suspend: v.suspend,
        backoff_limit: v.backoff_limit,
    }
}

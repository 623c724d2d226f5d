//! The values of a tenant, typed: what `schemas/values.schema.json` describes, as Rust
//! types. Layers are merged as untyped trees (each value keeps its origin, for
//! `explain`); the merged tree of a tenant is read into [`Values`] once. Any key can be
//! removed by a later layer (`null`), so every field is optional here; kiln's defaults
//! (layer 0) are what make most of them present.
//!
//! A test holds these types and the schema to the same keys at every level, so neither
//! can gain or lose a setting without the other.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use super::WorkloadKind;
use serde_with::skip_serializing_none;

/// A Kubernetes quantity (`500m`, `2Gi`) or a plain number.
pub type Quantity = Json;

/// An integer or a percentage (`25%`).
pub type IntOrPercent = Json;

/// A list of resources by name (`cpu`, `memory`, …).
pub type ResourceList = BTreeMap<String, Quantity>;

/// The merged values of one tenant.
#[skip_serializing_none]
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Values {
    pub flags: Option<BTreeMap<String, bool>>,
    pub extra_namespaces: Option<Vec<String>>,
    pub quota: Option<BTreeMap<String, Quantity>>,
    pub limits: Option<Limits>,
    pub images: Option<Images>,
    pub placement: Option<BTreeMap<String, Placement>>,
    pub security: Option<Security>,
    pub monitoring: Option<Monitoring>,
    pub logging: Option<Logging>,
    pub database: Option<Database>,
    pub object_storage: Option<ObjectStorage>,
    pub secret_store: Option<SecretStore>,
    pub credentials: Option<BTreeMap<String, Option<CredentialRef>>>,
    pub ingress: Option<Ingress>,
    pub network: Option<Network>,
    pub rollout: Option<Rollout>,
    /// The configuration every service reads, as the catalog and layers give it.
    pub config: Option<BTreeMap<String, Json>>,
    pub services: Option<BTreeMap<String, Option<ServiceValues>>>,
}

/// LimitRange defaults for containers.
#[skip_serializing_none]
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Limits {
    pub default: Option<ResourceList>,
    pub default_request: Option<ResourceList>,
    pub max: Option<ResourceList>,
}

#[skip_serializing_none]
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Images {
    pub registry: Option<String>,
    pub pull_policy: Option<String>,
    pub pull_secrets: Option<Vec<String>>,
}

/// Where the pods of a pool run.
#[skip_serializing_none]
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Placement {
    pub node_selector: Option<BTreeMap<String, String>>,
    pub tolerations: Option<Vec<Toleration>>,
}

#[skip_serializing_none]
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Toleration {
    pub key: Option<String>,
    pub operator: Option<String>,
    pub value: Option<String>,
    pub effect: Option<String>,
    pub toleration_seconds: Option<i64>,
}

#[skip_serializing_none]
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Security {
    pub run_as_user: Option<i64>,
    pub run_as_group: Option<i64>,
    pub fs_group: Option<i64>,
}

#[skip_serializing_none]
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Monitoring {
    pub enabled: Option<bool>,
    pub path: Option<String>,
}

#[skip_serializing_none]
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Logging {
    pub level: Option<String>,
    pub format: Option<String>,
    pub endpoint: Option<String>,
}

#[skip_serializing_none]
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Database {
    pub host: Option<String>,
    pub port: Option<i64>,
    pub prefix: Option<String>,
    pub ssl_mode: Option<String>,
}

#[skip_serializing_none]
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ObjectStorage {
    pub endpoint: Option<String>,
    pub bucket: Option<String>,
    pub region: Option<String>,
}

#[skip_serializing_none]
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SecretStore {
    pub name: Option<String>,
    pub prefix: Option<String>,
    pub shared_prefixes: Option<Vec<String>>,
    pub refresh_interval: Option<String>,
    pub vault: Option<Vault>,
}

#[skip_serializing_none]
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Vault {
    pub server: Option<String>,
    pub path: Option<String>,
    pub version: Option<String>,
    pub auth_mount_path: Option<String>,
    pub role_prefix: Option<String>,
}

/// Where a credential is in the secret store.
#[skip_serializing_none]
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CredentialRef {
    pub key: Option<String>,
    pub property: Option<String>,
}

#[skip_serializing_none]
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Ingress {
    pub enabled: Option<bool>,
    pub host: Option<String>,
    pub class_name: Option<String>,
    pub tls: Option<IngressTls>,
}

#[skip_serializing_none]
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IngressTls {
    pub enabled: Option<bool>,
    pub cluster_issuer: Option<String>,
}

#[skip_serializing_none]
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Network {
    pub ingress_controller_namespace: Option<String>,
    pub monitoring_namespace: Option<String>,
    pub external_egress: Option<BTreeMap<String, Option<Egress>>>,
    pub api_server: Option<Egress>,
}

/// Addresses and ports a tenant's pods may reach.
#[skip_serializing_none]
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Egress {
    pub cidr: Option<String>,
    pub ports: Option<Vec<i64>>,
}

#[skip_serializing_none]
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Rollout {
    pub max_unavailable: Option<IntOrPercent>,
    pub max_surge: Option<IntOrPercent>,
}

/// The values of one service.
#[skip_serializing_none]
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServiceValues {
    pub replicas: Option<i64>,
    pub image: Option<ImageValues>,
    pub resources: Option<Resources>,
    pub env: Option<Vec<EnvVar>>,
    pub config: Option<BTreeMap<String, Json>>,
    pub autoscaling: Option<Autoscaling>,
    pub pdb: Option<Pdb>,
    pub storage: Option<Storage>,
    pub schedule: Option<String>,
    pub suspend: Option<bool>,
    pub backoff_limit: Option<i64>,
    pub ttl_seconds_after_finished: Option<i64>,
    pub active_deadline_seconds: Option<i64>,
    pub node_selector: Option<BTreeMap<String, String>>,
    pub tolerations: Option<Vec<Toleration>>,
    pub pod_annotations: Option<BTreeMap<String, String>>,
    pub args: Option<Vec<String>>,
    pub time_zone: Option<String>,
    pub starting_deadline_seconds: Option<i64>,
    pub revision_history_limit: Option<i64>,
    pub successful_jobs_history_limit: Option<i64>,
    pub failed_jobs_history_limit: Option<i64>,
}

#[skip_serializing_none]
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ImageValues {
    pub repository: Option<String>,
    pub tag: Option<String>,
    pub digest: Option<String>,
}

#[skip_serializing_none]
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Resources {
    pub requests: Option<ResourceList>,
    pub limits: Option<ResourceList>,
}

/// A container environment variable, as Kubernetes writes one.
#[skip_serializing_none]
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EnvVar {
    pub name: Option<String>,
    pub value: Option<String>,
    pub value_from: Option<EnvVarSource>,
    /// `delete`: a layer's directive to remove the variable of that name.
    #[serde(rename = "$patch")]
    pub patch: Option<String>,
}

#[skip_serializing_none]
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EnvVarSource {
    pub secret_key_ref: Option<KeyRef>,
    pub config_map_key_ref: Option<KeyRef>,
    pub field_ref: Option<FieldRef>,
}

#[skip_serializing_none]
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KeyRef {
    pub name: Option<String>,
    pub key: Option<String>,
    pub optional: Option<bool>,
}

#[skip_serializing_none]
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FieldRef {
    pub field_path: Option<String>,
    pub api_version: Option<String>,
}

#[skip_serializing_none]
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Autoscaling {
    pub enabled: Option<bool>,
    pub min_replicas: Option<i64>,
    pub max_replicas: Option<i64>,
    #[serde(rename = "targetCPUUtilizationPercentage")]
    pub target_cpu_utilization_percentage: Option<i64>,
}

#[skip_serializing_none]
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Pdb {
    pub enabled: Option<bool>,
    pub max_unavailable: Option<IntOrPercent>,
}

#[skip_serializing_none]
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Storage {
    pub size: Option<Quantity>,
    pub storage_class_name: Option<String>,
}

/// The keys of [`ServiceValues`] that only some workload kinds read: the key, those
/// kinds, and how a message names them. A key not listed applies to every kind. A value
/// set for another kind is an error in a layer and has no effect (`kiln explain`).
pub const KIND_VALUES: &[(&str, &[WorkloadKind], &str)] = &[
    ("schedule", &[WorkloadKind::CronJob], "CronJobs"),
    ("timeZone", &[WorkloadKind::CronJob], "CronJobs"),
    (
        "startingDeadlineSeconds",
        &[WorkloadKind::CronJob],
        "CronJobs",
    ),
    ("suspend", &[WorkloadKind::CronJob], "CronJobs"),
    ("storage", &[WorkloadKind::StatefulSet], "StatefulSets"),
    ("replicas", &LONG_LIVED, "Deployments and StatefulSets"),
    ("pdb", &LONG_LIVED, "Deployments and StatefulSets"),
    (
        "revisionHistoryLimit",
        &LONG_LIVED,
        "Deployments and StatefulSets",
    ),
    (
        "successfulJobsHistoryLimit",
        &[WorkloadKind::CronJob],
        "CronJobs",
    ),
    (
        "failedJobsHistoryLimit",
        &[WorkloadKind::CronJob],
        "CronJobs",
    ),
    ("backoffLimit", &JOBS, "Jobs and CronJobs"),
    ("ttlSecondsAfterFinished", &JOBS, "Jobs and CronJobs"),
    ("activeDeadlineSeconds", &JOBS, "Jobs and CronJobs"),
];

const LONG_LIVED: [WorkloadKind; 2] = [WorkloadKind::Deployment, WorkloadKind::StatefulSet];
const JOBS: [WorkloadKind; 2] = [WorkloadKind::Job, WorkloadKind::CronJob];

/// Which kinds read a service value `key` (see [`KIND_VALUES`]), when not every kind.
pub fn kinds_reading(key: &str) -> Option<(&'static [WorkloadKind], &'static str)> {
    KIND_VALUES
        .iter()
        .find(|(k, _, _)| *k == key)
        .map(|(_, kinds, what)| (*kinds, *what))
}

impl Values {
    /// The merged values of a tenant, read once. An error here is kiln's own: the
    /// merged layers were each valid against the values schema.
    pub fn from_json(v: &Json) -> Result<Values, serde_json::Error> {
        Values::deserialize(v)
    }

    /// The values of service `name`, `None` when no layer gives it any.
    pub fn service(&self, name: &str) -> Option<&ServiceValues> {
        self.services.as_ref()?.get(name)?.as_ref()
    }

    /// The merged values as JSON, as the layers gave them.
    pub fn to_json(&self) -> Json {
        serde_json::to_value(self).unwrap_or(Json::Null)
    }
}

#[cfg(test)]
mod tests;

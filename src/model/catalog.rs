//! The platform catalog (`templates/catalog.yaml`): which services exist and how they run.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Catalog {
    pub platform: String,
    pub stages: Vec<String>,
    #[serde(default)]
    pub flags: BTreeMap<String, Flag>,
    #[serde(default)]
    pub priority_classes: BTreeMap<String, PriorityClass>,
    /// Kept as a value layer; see `plan`.
    #[serde(default)]
    pub defaults: serde_json::Value,
    #[serde(default)]
    pub workload_defaults: serde_json::Value,
    pub services: BTreeMap<String, Service>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Flag {
    #[serde(default)]
    pub default: bool,
    pub description: String,
    #[serde(default)]
    pub requires: Vec<String>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PriorityClass {
    pub value: i64,
    pub description: String,
    #[serde(default)]
    pub preemption_policy: Option<String>,
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub enum WorkloadKind {
    Deployment,
    StatefulSet,
    Job,
    CronJob,
}

impl Catalog {
    /// Reads a schema-checked catalog, each service completed from kiln's defaults
    /// (`src/defaults.yaml`, `catalog`) where it leaves a key out.
    pub fn from_json(mut json: serde_json::Value) -> serde_json::Result<Catalog> {
        if let Some(services) = json.get_mut("services").and_then(|s| s.as_object_mut()) {
            for service in services.values_mut() {
                crate::defaults::fill_catalog_service(service);
            }
        }
        serde_json::from_value(json)
    }
}

impl WorkloadKind {
    /// The kind as Kubernetes and kiln's defaults spell it.
    pub fn name(self) -> &'static str {
        match self {
            WorkloadKind::Deployment => "Deployment",
            WorkloadKind::StatefulSet => "StatefulSet",
            WorkloadKind::Job => "Job",
            WorkloadKind::CronJob => "CronJob",
        }
    }

    /// Long-lived services versus run-to-completion jobs; they start from different
    /// `workloadDefaults`.
    pub fn class(self) -> &'static str {
        match self {
            WorkloadKind::Deployment | WorkloadKind::StatefulSet => "service",
            WorkloadKind::Job | WorkloadKind::CronJob => "job",
        }
    }

    pub fn is_long_lived(self) -> bool {
        self.class() == "service"
    }
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Service {
    pub description: String,
    pub kind: WorkloadKind,
    pub image: String,
    #[serde(default)]
    pub flag: Option<String>,
    pub stage: String,
    #[serde(default)]
    pub depends_on: Vec<String>,
    #[serde(default)]
    pub calls: Vec<String>,
    #[serde(default)]
    pub allow_from: Vec<serde_json::Value>,
    #[serde(default)]
    pub external: Vec<String>,
    #[serde(default)]
    pub command: Vec<String>,
    #[serde(default)]
    pub args: Vec<String>,
    #[serde(default)]
    pub ports: Vec<Port>,
    #[serde(default)]
    pub probes: Option<Probes>,
    #[serde(default)]
    pub metrics_port: Option<String>,
    #[serde(default)]
    pub metrics_path: Option<String>,
    #[serde(default)]
    pub routes: Vec<Route>,
    #[serde(default)]
    pub endpoint: Option<Endpoint>,
    #[serde(default)]
    pub gateway: bool,
    #[serde(default)]
    pub per_namespace: bool,
    /// Whether values may turn on an autoscaler (kiln's defaults: on for long-lived
    /// services).
    #[serde(default)]
    pub autoscaling: bool,
    #[serde(default)]
    pub fixed_replicas: Option<u32>,
    #[serde(default)]
    pub reads: Vec<String>,
    #[serde(default)]
    pub reads_flags: bool,
    #[serde(default)]
    pub database: Database,
    #[serde(default)]
    pub object_storage: bool,
    #[serde(default)]
    pub credentials: Vec<Credential>,
    #[serde(default)]
    pub rbac: Vec<serde_json::Value>,
    #[serde(default)]
    pub writable_paths: Vec<String>,
    #[serde(default)]
    pub pool: Option<String>,
    #[serde(default)]
    pub priority_class: Option<String>,
    #[serde(default)]
    pub hook: Option<String>,
    #[serde(default)]
    pub strategy: Option<String>,
    #[serde(default)]
    pub security_exceptions: Option<SecurityExceptions>,
    /// Where the ConfigMap is mounted (from kiln's defaults when the catalog leaves it
    /// out).
    pub config_path: String,
    #[serde(default)]
    pub data_path: Option<String>,
    #[serde(default)]
    pub routes_path: Option<String>,
    #[serde(default)]
    pub defaults: serde_json::Value,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Port {
    pub name: String,
    pub port: u16,
    pub protocol: String,
    #[serde(default)]
    pub app_protocol: Option<String>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Probes {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub path: Option<String>,
    #[serde(default)]
    pub liveness_path: Option<String>,
    #[serde(default)]
    pub port: Option<String>,
    #[serde(default)]
    pub command: Vec<String>,
    pub initial_delay_seconds: u32,
    pub timeout_seconds: u32,
}

/// Rules of the restricted profile a service is excepted from, and why.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SecurityExceptions {
    pub allow: Vec<String>,
    pub reason: String,
}

impl SecurityExceptions {
    pub fn allows(&self, rule: &str) -> bool {
        self.allow.iter().any(|a| a == rule)
    }
}

/// Whether a service has a database on the shared PostgreSQL, and which.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum Database {
    #[default]
    None,
    /// `true`: its own database; `false`: none.
    Own(bool),
    /// A database shared by every service that names it.
    Shared(String),
}

impl Database {
    /// The database's name suffix (`<prefix><tenant>_<this>`), if the service has one.
    pub fn name<'a>(&'a self, service: &'a str) -> Option<&'a str> {
        match self {
            Database::Own(true) => Some(service),
            Database::Shared(name) => Some(name),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Route {
    pub prefix: String,
    pub port: String,
    pub strip_prefix: bool,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Endpoint {
    pub port: String,
    pub scheme: String,
    #[serde(default)]
    pub path: Option<String>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Credential {
    pub env: String,
    pub credential: String,
    #[serde(default)]
    pub property: Option<String>,
}

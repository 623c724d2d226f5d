//! The typed inputs of a workspace, after validation.

pub mod blueprint;
mod catalog;
mod settings;
pub mod values;

pub use catalog::{
    kinds_reading, Catalog, Credential, Endpoint, Flag, Port, PriorityClass, Probes, Route,
    SecurityExceptions, Service, WorkloadKind, KIND_VALUES,
};
pub use settings::{ImageRules, PipelineDefaults, Settings, SyncPolicy};

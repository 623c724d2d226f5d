//! The typed inputs of a workspace, after validation.

pub mod blueprint;
mod catalog;
mod settings;
pub mod values;

pub use catalog::{
    Catalog, Credential, Endpoint, Flag, Port, PriorityClass, Probes, Route, SecurityExceptions,
    Service, WorkloadKind,
};
pub use settings::{ImageRules, PipelineDefaults, Settings, SyncPolicy};
pub use values::{kinds_reading, KIND_VALUES};

//! The typed inputs of a workspace, after validation.

mod catalog;
mod settings;

pub use catalog::{
    Catalog, Credential, Endpoint, Flag, Port, PriorityClass, Probes, Route, Service, WorkloadKind,
};
pub use settings::{ImageRules, Settings};

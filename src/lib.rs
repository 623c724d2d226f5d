//! kiln: a static compiler for GitOps.
//!
//! The pipeline, one module per stage: [`load`] → [`parse`] → [`validate`] → [`plan`] →
//! [`render`] → [`check`] → [`emit`], with [`argocd`] planning the Argo CD objects
//! from what the other units rendered; [`compile`] runs it. I/O happens only in `load`
//! and `emit`.

pub mod argocd;
pub mod check;
pub mod cli;
pub mod compile;
pub mod crd;
pub mod defaults;
pub mod diagnostic;
pub mod diff;
pub mod emit;
pub mod git;
pub mod kube;
pub mod layout;
pub mod load;
pub mod model;
pub mod names;
pub mod object_id;
pub mod parse;
pub mod plan;
pub mod publish;
pub mod render;
pub mod schema;
pub mod secret;
pub mod suggest;
pub mod unit;
pub mod validate;
pub mod yaml;

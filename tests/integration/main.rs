//! kiln's integration tests: one binary, one module per concern, all through the real
//! `kiln` binary. `common` has the helpers, `test` the builder for a new case (files
//! in, a command, the expected outcome).

// A panic in a test is a failing test, so tests may unwrap, expect and index.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;
mod test;

mod architecture;
mod argocd;
mod bad_input;
mod boundary;
mod ci_recipe;
mod cli_output;
mod commands;
mod crash;
mod docs;
mod explain;
mod gitops;
mod golden;
mod pipelines;
mod properties;
mod secrets;
mod text_input;
mod workspaces;

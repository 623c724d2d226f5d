//! `kiln.yaml`: the workspace settings.

use std::collections::BTreeMap;

use serde::Deserialize;

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Settings {
    pub kubernetes_version: String,
    pub output_dir: String,
    #[serde(rename = "repoURL")]
    pub repo_url: String,
    pub target_revision: String,
    /// The folder of `repoURL` that holds the compiled tree (`""`: the repository root).
    #[serde(default, rename = "repoPath")]
    pub repo_path: String,
    pub argocd: ArgoCd,
    pub environments: BTreeMap<String, Environment>,
    #[serde(default)]
    pub allow_unvalidated_kinds: Vec<String>,
    #[serde(default)]
    pub images: ImageRules,
    pub pipelines: PipelineDefaults,
}

impl Settings {
    /// Reads a schema-checked `kiln.yaml`, completed from kiln's defaults
    /// (`src/defaults.yaml`, `settings`) where it leaves a key out.
    pub fn from_json(mut json: serde_json::Value) -> serde_json::Result<Settings> {
        crate::defaults::complete_settings(&mut json);
        serde_json::from_value(json)
    }
}

/// Site-wide defaults for pipelines (`kiln.yaml` `pipelines`).
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PipelineDefaults {
    pub orchestrator_image: String,
    pub starter_image: String,
    pub starter_command: Vec<String>,
    #[serde(default)]
    pub image_pull_secrets: Vec<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ImageRules {
    #[serde(default)]
    pub allowed_registries: Vec<String>,
    #[serde(default)]
    pub require_digest: bool,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ArgoCd {
    pub namespace: String,
    pub server: String,
    /// Sync policy of the applications not tied to an environment.
    pub sync: SyncPolicy,
}

/// How Argo CD syncs an application.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SyncPolicy {
    /// Sync on every change of the repository; when false, someone presses sync.
    pub automated: bool,
    /// Delete objects that left the repository.
    pub prune: bool,
    /// Undo changes made in the cluster by hand.
    pub self_heal: bool,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Environment {
    #[serde(default)]
    pub description: Option<String>,
    /// Sync policy of the applications of this environment's tenants (default:
    /// `argocd.sync`).
    #[serde(default)]
    pub sync: Option<SyncPolicy>,
}

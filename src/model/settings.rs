//! `kiln.yaml`: the workspace settings.

use std::collections::BTreeMap;

use serde::Deserialize;

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Settings {
    pub kubernetes_version: String,
    #[serde(default = "default_output_dir")]
    pub output_dir: String,
    #[serde(rename = "repoURL")]
    pub repo_url: String,
    #[serde(default = "default_revision")]
    pub target_revision: String,
    /// The folder of `repoURL` that holds the compiled tree (`""`: the repository root).
    #[serde(default, rename = "repoPath")]
    pub repo_path: String,
    #[serde(default)]
    pub argocd: ArgoCd,
    pub environments: BTreeMap<String, Environment>,
    #[serde(default)]
    pub allow_unvalidated_kinds: Vec<String>,
    #[serde(default)]
    pub images: ImageRules,
    #[serde(default)]
    pub pipelines: PipelineDefaults,
}

/// Site-wide defaults for pipelines (`kiln.yaml` `pipelines`).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PipelineDefaults {
    #[serde(default)]
    pub orchestrator_image: Option<String>,
    #[serde(default)]
    pub starter_image: Option<String>,
    #[serde(default)]
    pub starter_command: Option<Vec<String>>,
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
    #[serde(default = "default_argocd_namespace")]
    pub namespace: String,
    #[serde(default = "default_server")]
    pub server: String,
    /// Sync policy of the applications not tied to an environment.
    #[serde(default)]
    pub sync: SyncPolicy,
}

/// How Argo CD syncs an application.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SyncPolicy {
    /// Sync on every change of the repository; when false, someone presses sync.
    #[serde(default = "yes")]
    pub automated: bool,
    /// Delete objects that left the repository.
    #[serde(default = "yes")]
    pub prune: bool,
    /// Undo changes made in the cluster by hand.
    #[serde(default = "yes")]
    pub self_heal: bool,
}

impl Default for SyncPolicy {
    fn default() -> Self {
        SyncPolicy {
            automated: true,
            prune: true,
            self_heal: true,
        }
    }
}

fn yes() -> bool {
    true
}

impl Default for ArgoCd {
    fn default() -> Self {
        ArgoCd {
            namespace: default_argocd_namespace(),
            server: default_server(),
            sync: SyncPolicy::default(),
        }
    }
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

fn default_output_dir() -> String {
    "out".into()
}

fn default_revision() -> String {
    "main".into()
}

fn default_argocd_namespace() -> String {
    "argocd".into()
}

fn default_server() -> String {
    "https://kubernetes.default.svc".into()
}

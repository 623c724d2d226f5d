//! A pipeline topology (`blueprint.json`) as the visual designer exports it, and the
//! pipeline's deployment settings (`pipeline.yaml`).

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value as Json;

use super::catalog::SecurityExceptions;

/// The kinds of node a blueprint holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum NodeType {
    MLModel,
    DataBroker,
    DataMapper,
    TrainingClient,
    /// Virtual: run by the orchestrator, no workload of its own.
    Splitter,
    /// Virtual: run by the orchestrator, no workload of its own.
    Collator,
    /// Virtual: its `container_name` is a path; it becomes a shared volume.
    SharedFolder,
}

impl NodeType {
    pub const ALL: [(&'static str, NodeType); 7] = [
        ("MLModel", NodeType::MLModel),
        ("DataBroker", NodeType::DataBroker),
        ("DataMapper", NodeType::DataMapper),
        ("TrainingClient", NodeType::TrainingClient),
        ("Splitter", NodeType::Splitter),
        ("Collator", NodeType::Collator),
        ("SharedFolder", NodeType::SharedFolder),
    ];

    pub fn parse(s: &str) -> Option<NodeType> {
        Self::ALL.iter().find(|(n, _)| *n == s).map(|(_, t)| *t)
    }

    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, t)| *t == self)
            .map(|(n, _)| *n)
            .unwrap_or("")
    }

    /// Whether the node runs as its own Deployment.
    pub fn is_deployable(self) -> bool {
        matches!(
            self,
            NodeType::MLModel
                | NodeType::DataBroker
                | NodeType::DataMapper
                | NodeType::TrainingClient
        )
    }
}

/// An edge: a call from one node's operation to another node's operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edge {
    pub target: String,
    pub operation: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Operation {
    pub name: String,
    pub edges: Vec<Edge>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct BlueprintNode {
    pub container_name: String,
    pub node_type: NodeType,
    pub image: Option<String>,
    pub operations: Vec<Operation>,
    /// The Kubernetes name derived from `container_name`.
    pub k8s_name: String,
    /// Index of the node in the file's `nodes`.
    pub index: usize,
}

/// A validated blueprint: its nodes, and the file as exported (kept whole, so the
/// orchestrator gets every field, also those kiln does not use).
#[derive(Clone, Debug, PartialEq)]
pub struct Blueprint {
    pub name: String,
    pub version: String,
    /// `v2` for `pipeline-topology/v2` files, `v1` otherwise.
    pub generation: &'static str,
    pub nodes: Vec<BlueprintNode>,
    pub raw: Json,
}

impl Blueprint {
    pub fn deployable(&self) -> impl Iterator<Item = &BlueprintNode> {
        self.nodes.iter().filter(|n| n.node_type.is_deployable())
    }

    pub fn node(&self, container_name: &str) -> Option<&BlueprintNode> {
        self.nodes
            .iter()
            .find(|n| n.container_name == container_name)
    }
}

/// `pipeline.yaml`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PipelineSettings {
    #[serde(default)]
    pub namespace: Option<String>,
    #[serde(default)]
    pub tenant: Option<String>,
    pub orchestrator: OrchestratorSettings,
    #[serde(default)]
    pub starter: StarterSettings,
    #[serde(default)]
    pub image_pull_secrets: Vec<String>,
    pub shared_folder: SharedFolderSettings,
    #[serde(default)]
    pub webui: Option<WebUi>,
    #[serde(default)]
    pub resources: Option<Json>,
    #[serde(default)]
    pub nodes: BTreeMap<String, NodeSettings>,
}

impl PipelineSettings {
    /// Reads a schema-checked `pipeline.yaml` (`{}` when there is none), completed from
    /// kiln's defaults (`src/defaults.yaml`, `pipeline`) where it leaves a key out.
    pub fn from_json(mut json: Json) -> serde_json::Result<PipelineSettings> {
        crate::defaults::complete_pipeline(&mut json);
        serde_json::from_value(json)
    }
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OrchestratorSettings {
    #[serde(default)]
    pub image: Option<String>,
    pub resources: Json,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StarterSettings {
    #[serde(default)]
    pub image: Option<String>,
    #[serde(default)]
    pub command: Option<Vec<String>>,
    #[serde(default)]
    pub args: Vec<String>,
    /// Filled in from kiln's defaults (`pipeline.starter`) when pipeline.yaml leaves
    /// them out.
    #[serde(default)]
    pub backoff_limit: Option<i64>,
    #[serde(default)]
    pub ttl_seconds_after_finished: Option<i64>,
    #[serde(default)]
    pub active_deadline_seconds: Option<i64>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SharedFolderSettings {
    pub size: Json,
    #[serde(default)]
    pub storage_class_name: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WebUi {
    pub host: String,
    #[serde(default)]
    pub class_name: Option<String>,
    pub tls: WebUiTls,
    pub controller_namespace: String,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WebUiTls {
    pub enabled: bool,
    #[serde(default)]
    pub cluster_issuer: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NodeSettings {
    #[serde(default)]
    pub resources: Option<Json>,
    #[serde(default)]
    pub security_exceptions: Option<SecurityExceptions>,
}

//! What pipeline templates see: the `pipeline` scope (once per pipeline) and the `node`
//! scope (once per running node), computed from the pipeline's plan. Every key is always
//! present.

use serde::Serialize;
use serde_json::{json, Map, Value as Json};

use super::context::SecurityProfile;
use crate::names::derived;
use crate::plan::pipeline::{NodePlan, PipelinePlan, GRPC_PORT, WEBUI_PORT};
use crate::validate::Workspace;

/// The label that carries the blueprint's version.
pub const VERSION_LABEL: &str = "app.kubernetes.io/version";

/// Where the orchestrator's files are mounted in the starter.
pub const ORCHESTRATION_DIR: &str = "/orchestration";

fn labels(plan: &PipelinePlan) -> Map<String, Json> {
    let mut m = Map::new();
    m.insert("app.kubernetes.io/part-of".into(), json!(plan.name));
    m.insert("app.kubernetes.io/managed-by".into(), json!("kiln"));
    m.insert("kiln.dev/pipeline".into(), json!(plan.name));
    if let Some(t) = &plan.tenant {
        m.insert("kiln.dev/tenant".into(), json!(t));
    }
    // The version is a label, never part of a name: a new version of the blueprint
    // keeps the namespace and the claims, with their data.
    if let Some(v) = &plan.version {
        m.insert(VERSION_LABEL.into(), json!(v));
    }
    m
}

/// Labels of one workload: the pipeline's, `app: <name>` and the standard name label.
fn workload_labels(plan: &PipelinePlan, name: &str) -> (Json, Json) {
    let mut l = labels(plan);
    l.insert("app".into(), json!(name));
    l.insert("app.kubernetes.io/name".into(), json!(name));
    let selector = json!({"app": name, "kiln.dev/pipeline": plan.name});
    (Json::Object(l), selector)
}

fn pull_secrets(ws: &Workspace, plan: &PipelinePlan) -> Vec<String> {
    let mut s = ws.settings.pipelines.image_pull_secrets.clone();
    s.extend(plan.pipeline.settings.image_pull_secrets.iter().cloned());
    s.sort();
    s.dedup();
    s
}

/// `node`: one model container of a pipeline (docs/templates.md, "Node context").
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeContext {
    name: String,
    container_name: String,
    #[serde(rename = "type")]
    node_type: &'static str,
    image: String,
    resources: Json,
    labels: Json,
    selector: Json,
    /// The SharedFolders it mounts: `volume`, `claim`, `path`.
    mounts: Vec<Json>,
    /// `SHARED_FOLDER_PATH` when it mounts a SharedFolder.
    env: Vec<Json>,
    security: SecurityProfile,
    grpc_port: u16,
    webui_port: u16,
    network: NodeNetwork,
}

/// Who may call a node.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct NodeNetwork {
    /// The orchestrator; a single model, its namespace.
    grpc_from: Json,
    /// The ingress controller, when the pipeline has a web UI.
    webui_from: Option<Json>,
}

/// The context of one node.
pub fn node_context(plan: &PipelinePlan, node: &NodePlan) -> NodeContext {
    let (labels, selector) = workload_labels(plan, &node.name);
    let mounts: Vec<Json> = node
        .mounts
        .iter()
        .enumerate()
        .map(|(i, (claim, path))| json!({"volume": derived::shared_folder_volume(i), "claim": claim, "path": path}))
        .collect();
    let env: Vec<Json> = node
        .mounts
        .first()
        .map(|(_, path)| vec![json!({"name": "SHARED_FOLDER_PATH", "value": path})])
        .unwrap_or_default();
    let webui = plan.pipeline.settings.webui.as_ref();
    NodeContext {
        name: node.name.clone(),
        container_name: node.container_name.clone(),
        node_type: node.node_type.name(),
        image: node.image.clone(),
        resources: node.resources.clone(),
        labels,
        selector,
        mounts,
        env,
        security: SecurityProfile::of(node.exceptions.as_ref()),
        grpc_port: GRPC_PORT,
        webui_port: WEBUI_PORT,
        network: NodeNetwork {
            // gRPC only from the orchestrator; a single model from its namespace.
            grpc_from: match &plan.orchestrator {
                Some(o) => {
                    json!({"podSelector": {"matchLabels": {"app": o, "kiln.dev/pipeline": plan.name}}})
                }
                None => json!({"podSelector": {}}),
            },
            webui_from: webui.map(|w| {
                json!({"namespaceSelector": {"matchLabels": {
                    "kubernetes.io/metadata.name": w.controller_namespace
                }}})
            }),
        },
    }
}

/// The context of the pipeline templates: `kiln` and `pipeline` (docs/templates.md,
/// "Pipeline context"); the node scope adds `node`.
#[derive(Serialize)]
pub struct PipelineScope {
    /// `kubernetesVersion`.
    kiln: Json,
    pipeline: PipelineContext,
}

/// `pipeline`: one pipeline, its orchestrator, starter, files, shared folders, web UI
/// and nodes.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PipelineContext {
    name: String,
    namespace: String,
    own_namespace: bool,
    tenant: Option<String>,
    labels: Map<String, Json>,
    /// `restricted`, or `baseline` when a node is excepted from `runAsNonRoot`.
    pod_security: &'static str,
    image_pull_secrets: Vec<String>,
    service_account: String,
    orchestrator: Option<Json>,
    starter: Option<Json>,
    files: Option<Json>,
    shared_folders: Vec<Json>,
    webui: Option<Json>,
    nodes: Vec<NodeContext>,
}

/// The context of the `pipeline` scope.
pub fn pipeline_context(ws: &Workspace, plan: &PipelinePlan) -> PipelineScope {
    let s = &plan.pipeline.settings;
    let d = &ws.settings.pipelines;
    let root = plan.nodes.iter().any(|n| {
        n.exceptions
            .as_ref()
            .is_some_and(|e| e.allows("runAsNonRoot"))
    });
    let orchestrator = plan.orchestrator.as_ref().map(|name| {
        let (labels, selector) = workload_labels(plan, name);
        json!({
            "name": name,
            "image": s.orchestrator.image.as_ref().unwrap_or(&d.orchestrator_image),
            "resources": s.orchestrator.resources,
            "labels": labels,
            "selector": selector,
            "port": GRPC_PORT,
            "security": SecurityProfile::of(None),
        })
    });
    let starter = plan.starter.as_ref().map(|name| {
        let (labels, selector) = workload_labels(plan, name);
        json!({
            "name": name,
            "image": s.starter.image.as_ref().unwrap_or(&d.starter_image),
            "command": s.starter.command.as_ref().unwrap_or(&d.starter_command),
            "args": s.starter.args,
            "labels": labels,
            "selector": selector,
            "orchestratorAddress": format!("{}:{GRPC_PORT}", plan.orchestrator.clone().unwrap_or_default()),
            "orchestrationDir": ORCHESTRATION_DIR,
            "backoffLimit": s.starter.backoff_limit,
            "ttlSecondsAfterFinished": s.starter.ttl_seconds_after_finished,
            "activeDeadlineSeconds": s.starter.active_deadline_seconds,
            "security": SecurityProfile::of(None),
        })
    });
    let files = (!plan.files.is_empty()).then(|| {
        json!({"configName": derived::orchestration_config_map(plan.orchestrator.as_deref().unwrap_or_default()), "data": plan.files})
    });
    let shared: Vec<Json> = plan
        .shared_folders
        .iter()
        .map(|f| json!({"claim": f.claim, "path": f.path, "size": f.size, "storageClassName": f.storage_class}))
        .collect();
    let webui = s.webui.as_ref().map(|w| {
        json!({
            "host": w.host,
            "className": w.class_name,
            "tls": w.tls.enabled,
            "clusterIssuer": w.tls.cluster_issuer,
            "name": derived::webui_ingress(&plan.name),
            "tlsSecret": derived::webui_tls_secret(&plan.name),
        })
    });
    PipelineScope {
        kiln: json!({"kubernetesVersion": ws.settings.kubernetes_version}),
        pipeline: PipelineContext {
            name: plan.name.clone(),
            namespace: plan.namespace.clone(),
            own_namespace: plan.own_namespace,
            tenant: plan.tenant.clone(),
            labels: labels(plan),
            pod_security: if root { "baseline" } else { "restricted" },
            image_pull_secrets: pull_secrets(ws, plan),
            service_account: derived::pipeline_service_account(&plan.name, plan.own_namespace),
            orchestrator,
            starter,
            files,
            shared_folders: shared,
            webui,
            nodes: plan.nodes.iter().map(|n| node_context(plan, n)).collect(),
        },
    }
}

//! What pipeline templates see: the `pipeline` scope (once per pipeline) and the `node`
//! scope (once per running node), computed from the pipeline's plan. Every key is always
//! present.

use serde_json::{json, Map, Value as Json};

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

fn security(exceptions: Option<&crate::model::SecurityExceptions>) -> Json {
    let allows = |rule: &str| exceptions.is_some_and(|e| e.allows(rule));
    json!({
        "readOnlyRootFilesystem": !allows("readOnlyRootFilesystem"),
        "runAsNonRoot": !allows("runAsNonRoot"),
        "exceptions": exceptions.map(|e| e.allow.join(",")),
        "reason": exceptions.map(|e| e.reason.clone()),
    })
}

fn pull_secrets(ws: &Workspace, plan: &PipelinePlan) -> Vec<String> {
    let mut s = ws.settings.pipelines.image_pull_secrets.clone();
    s.extend(plan.pipeline.settings.image_pull_secrets.iter().cloned());
    s.sort();
    s.dedup();
    s
}

/// The context of one node.
pub fn node_context(plan: &PipelinePlan, node: &NodePlan) -> Json {
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
    json!({
        "name": node.name,
        "containerName": node.container_name,
        "type": node.node_type.name(),
        "image": node.image,
        "resources": node.resources,
        "labels": labels,
        "selector": selector,
        "mounts": mounts,
        "env": env,
        "security": security(node.exceptions.as_ref()),
        "grpcPort": GRPC_PORT,
        "webuiPort": WEBUI_PORT,
        "network": {
            // gRPC only from the orchestrator; a single model from its namespace.
            "grpcFrom": match &plan.orchestrator {
                Some(o) => json!({"podSelector": {"matchLabels": {"app": o, "kiln.dev/pipeline": plan.name}}}),
                None => json!({"podSelector": {}}),
            },
            "webuiFrom": webui.map(|w| json!({"namespaceSelector": {"matchLabels": {
                "kubernetes.io/metadata.name": w.controller_namespace
            }}})),
        },
    })
}

/// The context of the `pipeline` scope.
pub fn pipeline_context(ws: &Workspace, plan: &PipelinePlan) -> Json {
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
            "security": security(None),
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
            "security": security(None),
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
    json!({
        "kiln": {"kubernetesVersion": ws.settings.kubernetes_version},
        "pipeline": {
            "name": plan.name,
            "namespace": plan.namespace,
            "ownNamespace": plan.own_namespace,
            "tenant": plan.tenant,
            "labels": labels(plan),
            "podSecurity": if root { "baseline" } else { "restricted" },
            "imagePullSecrets": pull_secrets(ws, plan),
            "serviceAccount": derived::pipeline_service_account(&plan.name, plan.own_namespace),
            "orchestrator": orchestrator,
            "starter": starter,
            "files": files,
            "sharedFolders": shared,
            "webui": webui,
            "nodes": plan.nodes.iter().map(|n| node_context(plan, n)).collect::<Vec<_>>(),
        },
    })
}

//! Plans each pipeline: where it runs, what each node is called, which volumes it
//! shares, and the files the orchestrator is given.

use std::collections::BTreeMap;

use serde_json::{json, Value as Json};

use crate::diagnostic::{Code, Diagnostic};
use crate::model::blueprint::{BlueprintNode, NodeType};
use crate::model::SecurityExceptions;
use crate::names;
use crate::names::derived::{self, ORCHESTRATOR};
use crate::plan::TenantPlan;
use crate::validate::blueprint::Pipeline;
use crate::validate::Workspace;

/// gRPC port every node and the orchestrator serve.
pub const GRPC_PORT: u16 = 8061;
/// Web UI port of the nodes.
pub const WEBUI_PORT: u16 = 8062;

/// One running node.
#[derive(Clone, Debug)]
pub struct NodePlan {
    pub container_name: String,
    pub node_type: NodeType,
    /// The name of its Deployment and Service.
    pub name: String,
    pub image: String,
    pub resources: Json,
    pub exceptions: Option<SecurityExceptions>,
    /// The claims it mounts: (claim name, path).
    pub mounts: Vec<(String, String)>,
}

#[derive(Clone, Debug)]
pub struct SharedFolderPlan {
    pub path: String,
    pub claim: String,
    pub size: Json,
    pub storage_class: Option<String>,
}

/// Everything decided about one pipeline before rendering.
#[derive(Clone, Debug)]
pub struct PipelinePlan {
    pub name: String,
    pub file: String,
    pub namespace: String,
    /// Whether the pipeline has a namespace of its own (else it runs in its tenant's).
    pub own_namespace: bool,
    /// The blueprint's `version` as a label value (`app.kubernetes.io/version`), when it
    /// has one. Never part of a name, so that a new version keeps every object.
    pub version: Option<String>,
    pub tenant: Option<String>,
    pub nodes: Vec<NodePlan>,
    /// The orchestrator's object name, for pipelines of more than one node.
    pub orchestrator: Option<String>,
    pub starter: Option<String>,
    pub shared_folders: Vec<SharedFolderPlan>,
    /// `blueprint.json`, `dockerinfo.json` and the protos the orchestrator is given.
    pub files: BTreeMap<String, String>,
    pub pipeline: Pipeline,
}

/// Plans every pipeline, sorted by name.
pub fn plan(ws: &Workspace, tenants: &[TenantPlan]) -> (Vec<PipelinePlan>, Vec<Diagnostic>) {
    let mut plans = Vec::new();
    let mut problems = Vec::new();
    for p in &ws.pipelines {
        match plan_one(ws, tenants, p) {
            Ok(plan) => plans.push(plan),
            Err(ds) => problems.extend(ds),
        }
    }
    plans.sort_by(|a, b| a.name.cmp(&b.name));
    (plans, problems)
}

fn settings_diagnostic(p: &Pipeline, pointer: &str, message: String) -> Diagnostic {
    let d = Diagnostic::error(Code::PipelineSettings, message).pointer(pointer);
    match &p.settings_file {
        Some(f) => d.in_file(f),
        None => d.in_file(&p.file),
    }
}

fn plan_one(
    ws: &Workspace,
    tenants: &[TenantPlan],
    p: &Pipeline,
) -> Result<PipelinePlan, Vec<Diagnostic>> {
    let s = &p.settings;
    let mut problems = Vec::new();
    let bp = &p.blueprint;

    // Where it runs.
    let tenant_plan = match &s.tenant {
        None => None,
        Some(t) => match tenants.iter().find(|tp| &tp.name == t) {
            Some(tp) => Some(tp),
            None => {
                if !ws.tenant_names.contains(t) {
                    problems.push(
                        settings_diagnostic(
                            p,
                            "/tenant",
                            format!(
                                "pipeline `{}` belongs to tenant `{t}`, which does not exist",
                                p.name
                            ),
                        )
                        .hint_opt(crate::suggest::did_you_mean(
                            t,
                            ws.tenant_names.iter().map(String::as_str),
                        )),
                    );
                }
                return Err(problems);
            }
        },
    };
    let (namespace, own) = match (tenant_plan, &s.namespace) {
        (Some(tp), Some(ns)) => {
            if !tp.namespaces.contains(ns) {
                problems.push(
                    settings_diagnostic(
                        p,
                        "/namespace",
                        format!(
                            "namespace `{ns}` is not one of tenant `{}`'s namespaces",
                            tp.name
                        ),
                    )
                    .hint(format!(
                        "the tenant's namespaces are {}",
                        crate::suggest::code_list(&tp.namespaces)
                    )),
                );
            }
            (ns.clone(), false)
        }
        (Some(tp), None) => (tp.namespaces.first().cloned().unwrap_or_default(), false),
        (None, Some(ns)) => (ns.clone(), true),
        (None, None) => (p.name.clone(), true),
    };
    if own {
        if let Some(clash) = tenants.iter().find(|t| t.namespaces.contains(&namespace)) {
            problems.push(settings_diagnostic(
                p,
                "/namespace",
                format!("namespace `{namespace}` of pipeline `{}` belongs to tenant `{}`", p.name, clash.name),
            ).hint(format!("set `tenant: {}` to run the pipeline in the tenant's namespace, or choose another namespace", clash.name)));
        }
    }

    // Names: alone in its namespace a node keeps its name; in a tenant's namespace it is
    // prefixed with the pipeline's name (`names::derived`).
    let too_long = |name: &str, what: String, problems: &mut Vec<Diagnostic>| {
        if name.len() > names::MAX_LABEL {
            problems.push(
                Diagnostic::error(
                    Code::NameTooLong,
                    format!(
                        "{what} would be named `{name}`, {} characters long, over the limit of 63",
                        name.len()
                    ),
                )
                .in_file(&p.file)
                .hint("use a shorter pipeline or node name"),
            );
        }
    };

    let deployable: Vec<&BlueprintNode> = bp.deployable().collect();
    let pipeline_mode = deployable.len() > 1;
    // kiln's defaults (`pipeline.resources`) fill it in when pipeline.yaml leaves it out.
    let default_resources = s.resources.clone().unwrap_or_default();

    // Shared folders and who mounts them.
    let mut shared_folders = Vec::new();
    let mut mounts: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for (i, folder) in bp
        .nodes
        .iter()
        .filter(|n| n.node_type == NodeType::SharedFolder)
        .enumerate()
    {
        let claim = derived::shared_folder_claim(&p.name, own, i, &folder.container_name);
        too_long(
            &claim,
            format!("the volume of SharedFolder `{}`", folder.container_name),
            &mut problems,
        );
        for edge in folder.operations.iter().flat_map(|o| &o.edges) {
            mounts
                .entry(edge.target.clone())
                .or_default()
                .push((claim.clone(), folder.container_name.clone()));
        }
        shared_folders.push(SharedFolderPlan {
            path: folder.container_name.clone(),
            claim,
            size: s.shared_folder.size.clone(),
            storage_class: s.shared_folder.storage_class_name.clone(),
        });
    }

    let nodes: Vec<NodePlan> = deployable
        .iter()
        .map(|n| {
            let name = derived::pipeline_node(&p.name, own, &n.k8s_name);
            too_long(&name, format!("node `{}`", n.container_name), &mut problems);
            let settings = s.nodes.get(&n.container_name);
            NodePlan {
                container_name: n.container_name.clone(),
                node_type: n.node_type,
                name,
                image: n.image.clone().unwrap_or_default(),
                resources: settings
                    .and_then(|x| x.resources.clone())
                    .unwrap_or_else(|| default_resources.clone()),
                exceptions: settings.and_then(|x| x.security_exceptions.clone()),
                mounts: mounts.remove(&n.container_name).unwrap_or_default(),
            }
        })
        .collect();
    if !own {
        for n in &nodes {
            if n.exceptions
                .as_ref()
                .is_some_and(|e| e.allows("runAsNonRoot"))
            {
                problems.push(settings_diagnostic(
                    p,
                    &format!("/nodes/{}/securityExceptions", crate::yaml::node::escape_token(&n.container_name)),
                    format!("node `{}` may run as root, which the namespace of tenant `{}` does not allow", n.container_name, s.tenant.clone().unwrap_or_default()),
                ).hint("run the pipeline in a namespace of its own (remove `tenant`), where kiln relaxes the profile to `baseline`"));
            }
        }
    }

    let orchestrator = pipeline_mode.then(|| derived::orchestrator(&p.name, own));
    let starter = pipeline_mode.then(|| derived::starter(&p.name, own));
    let mut files = BTreeMap::new();
    if let Some(orch) = &orchestrator {
        files.insert(
            "blueprint.json".to_string(),
            canonical(&orchestrator_blueprint(&bp.raw)),
        );
        let mut list: Vec<Json> = nodes
            .iter()
            .map(|n| json!({"container_name": n.container_name, "ip_address": n.name, "port": GRPC_PORT}))
            .collect();
        list.push(json!({"container_name": ORCHESTRATOR, "ip_address": orch, "port": GRPC_PORT}));
        files.insert(
            "dockerinfo.json".to_string(),
            canonical(&json!({"docker_info_list": list})),
        );
        for n in &nodes {
            if let Some(proto) = p.protos.get(&n.container_name) {
                files.insert(proto_key(&n.container_name), proto.text.clone());
            }
        }
        let size: usize = files.iter().map(|(k, v)| k.len() + v.len()).sum();
        if size > 1024 * 1024 - 16 * 1024 {
            problems.push(
                Diagnostic::error(Code::TooLarge, format!("the orchestrator's files add up to {size} bytes, more than a ConfigMap holds (1 MiB)"))
                    .in_file(&p.file),
            );
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(PipelinePlan {
        name: p.name.clone(),
        file: p.file.clone(),
        namespace,
        own_namespace: own,
        version: version_label(&bp.raw),
        tenant: s.tenant.clone(),
        nodes,
        orchestrator,
        starter,
        shared_folders,
        files,
        pipeline: p.clone(),
    })
}

/// The blueprint's `version` (a string or a number) as a label value.
fn version_label(raw: &Json) -> Option<String> {
    match raw.get("version")? {
        Json::String(v) => names::label_value(v),
        Json::Number(n) => names::label_value(&n.to_string()),
        _ => None,
    }
}

/// The ConfigMap key of a node's proto: `<container_name>.proto`, with characters a
/// ConfigMap key cannot hold (such as spaces) as `_`.
pub fn proto_key(container_name: &str) -> String {
    let key: String = container_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{key}.proto")
}

fn canonical(v: &Json) -> String {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_default();
    s.push('\n');
    s
}

/// The blueprint the orchestrator receives: SharedFolder nodes removed, with the edges
/// to them and the `mountVolume` operations they fed. Every other field is kept.
pub fn orchestrator_blueprint(raw: &Json) -> Json {
    let mut bp = raw.clone();
    let shared: Vec<String> = raw["nodes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|n| n["node_type"].as_str() == Some("SharedFolder"))
        .filter_map(|n| n["container_name"].as_str().map(str::to_string))
        .collect();
    // Operations that SharedFolders call, by node.
    let mut fed: Vec<(String, String)> = Vec::new();
    for n in raw["nodes"].as_array().into_iter().flatten() {
        if n["node_type"].as_str() == Some("SharedFolder") {
            for op in n["operation_signature_list"]
                .as_array()
                .into_iter()
                .flatten()
            {
                for e in op["connected_to"].as_array().into_iter().flatten() {
                    let target = e["container_name"].as_str().unwrap_or_default().to_string();
                    let operation = e
                        .pointer("/operation_signature/operation_name")
                        .and_then(Json::as_str)
                        .unwrap_or_default();
                    fed.push((target, operation.to_string()));
                }
            }
        }
    }
    if let Some(nodes) = bp.get_mut("nodes").and_then(Json::as_array_mut) {
        nodes.retain(|n| n["node_type"].as_str() != Some("SharedFolder"));
        for n in nodes.iter_mut() {
            let name = n["container_name"].as_str().unwrap_or_default().to_string();
            if let Some(ops) = n
                .get_mut("operation_signature_list")
                .and_then(Json::as_array_mut)
            {
                ops.retain(|op| {
                    let op_name = op
                        .pointer("/operation_signature/operation_name")
                        .and_then(Json::as_str)
                        .unwrap_or_default();
                    !fed.iter().any(|(t, o)| *t == name && o == op_name)
                });
                for op in ops.iter_mut() {
                    if let Some(edges) = op.get_mut("connected_to").and_then(Json::as_array_mut) {
                        edges.retain(|e| {
                            !e["container_name"]
                                .as_str()
                                .is_some_and(|t| shared.iter().any(|s| s == t))
                        });
                    }
                }
            }
        }
    }
    bp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_become_label_values() {
        assert_eq!(
            version_label(&json!({"version": "1.2.0"})).as_deref(),
            Some("1.2.0")
        );
        assert_eq!(version_label(&json!({"version": 3})).as_deref(), Some("3"));
        assert_eq!(
            version_label(&json!({"version": "2.0 (draft)"})).as_deref(),
            Some("2.0-draft")
        );
        assert_eq!(version_label(&json!({"version": null})), None);
        assert_eq!(version_label(&json!({"version": "--"})), None);
        assert_eq!(version_label(&json!({})), None);
    }

    #[test]
    fn proto_keys_are_valid_config_map_keys() {
        assert_eq!(
            proto_key("Text Preprocessor_v2"),
            "Text_Preprocessor_v2.proto"
        );
        assert_eq!(proto_key("tensorboard1"), "tensorboard1.proto");
    }

    #[test]
    fn shared_folders_leave_the_orchestrator_blueprint() {
        let raw = json!({"name": "p", "nodes": [
            {"container_name": "/data", "node_type": "SharedFolder", "operation_signature_list": [
                {"operation_signature": {"operation_name": "provideFolder"}, "connected_to": [{"container_name": "a", "operation_signature": {"operation_name": "mountVolume"}}]}]},
            {"container_name": "a", "node_type": "MLModel", "operation_signature_list": [
                {"operation_signature": {"operation_name": "mountVolume"}, "connected_to": []},
                {"operation_signature": {"operation_name": "run"}, "connected_to": [{"container_name": "b", "operation_signature": {"operation_name": "go"}}]}],
             "extra": "kept"}]});
        let bp = orchestrator_blueprint(&raw);
        assert_eq!(bp["nodes"].as_array().unwrap().len(), 1);
        let ops = bp["nodes"][0]["operation_signature_list"]
            .as_array()
            .unwrap();
        assert_eq!(ops.len(), 1);
        assert_eq!(ops[0]["operation_signature"]["operation_name"], "run");
        assert_eq!(bp["nodes"][0]["extra"], "kept");
    }
}

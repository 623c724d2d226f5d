//! Plans each pipeline: where it runs, what each node is called, which volumes it
//! shares, and the files the orchestrator is given.

use std::collections::BTreeMap;

use serde_json::Value as Json;

use crate::diagnostic::{Code, Diagnostic};
use crate::model::blueprint::{BlueprintNode, NodeType};
use crate::model::SecurityExceptions;
use crate::names;
use crate::names::derived;
use crate::plan::TenantPlan;
use crate::validate::blueprint::Pipeline;
use crate::validate::Workspace;

mod orchestrator;

use orchestrator::orchestrator_files;
pub use orchestrator::{orchestrator_blueprint, proto_key};

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

/// A problem with `pipeline.yaml` at `pointer` (the blueprint's file when there is no
/// `pipeline.yaml`).
fn settings_diagnostic(p: &Pipeline, pointer: &str, message: String) -> Diagnostic {
    let d = Diagnostic::error(Code::PipelineSettings, message).pointer(pointer);
    match &p.settings_file {
        Some(f) => d.in_file(f),
        None => d.in_file(&p.file),
    }
}

/// Plans one pipeline: where it runs, its shared folders, its nodes and the
/// orchestrator's files; every problem found, when there are any.
fn plan_one(
    ws: &Workspace,
    tenants: &[TenantPlan],
    p: &Pipeline,
) -> Result<PipelinePlan, Vec<Diagnostic>> {
    let s = &p.settings;
    let bp = &p.blueprint;
    let tenant_plan = tenant_of(ws, tenants, p)?;
    let mut problems = Vec::new();
    let (namespace, own) = namespace(tenants, tenant_plan, p, &mut problems);
    let (shared_folders, mut mounts) = shared_folders(p, own, &mut problems);
    let deployable: Vec<&BlueprintNode> = bp.deployable().collect();
    let pipeline_mode = deployable.len() > 1;
    let nodes = nodes(p, own, &deployable, &mut mounts, &mut problems);
    if !own {
        root_in_tenant_namespace(p, &nodes, &mut problems);
    }
    let orchestrator = pipeline_mode.then(|| derived::orchestrator(&p.name, own));
    let starter = pipeline_mode.then(|| derived::starter(&p.name, own));
    let files = match &orchestrator {
        Some(orch) => orchestrator_files(p, &nodes, orch, &mut problems),
        None => BTreeMap::new(),
    };
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

/// The tenant the pipeline belongs to, if any; an error when that tenant does not
/// exist (none when it exists but failed to plan, which is reported already).
fn tenant_of<'a>(
    ws: &Workspace,
    tenants: &'a [TenantPlan],
    p: &Pipeline,
) -> Result<Option<&'a TenantPlan>, Vec<Diagnostic>> {
    let Some(t) = &p.settings.tenant else {
        return Ok(None);
    };
    if let Some(tp) = tenants.iter().find(|tp| &tp.name == t) {
        return Ok(Some(tp));
    }
    let mut problems = Vec::new();
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
    Err(problems)
}

/// The pipeline's namespace and whether it is its own: one of its tenant's, else the
/// one it names, else its name. Its own namespace may not be a tenant's.
fn namespace(
    tenants: &[TenantPlan],
    tenant_plan: Option<&TenantPlan>,
    p: &Pipeline,
    problems: &mut Vec<Diagnostic>,
) -> (String, bool) {
    let (namespace, own) = match (tenant_plan, &p.settings.namespace) {
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
    (namespace, own)
}

/// An error when a name kiln derives for the pipeline is longer than a label. Alone in
/// its namespace a node keeps its name; in a tenant's namespace it is prefixed with
/// the pipeline's name (`names::derived`).
fn too_long(p: &Pipeline, name: &str, what: &str, problems: &mut Vec<Diagnostic>) {
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
}

/// The claims the nodes mount, by node.
type Mounts = BTreeMap<String, Vec<(String, String)>>;

/// The blueprint's SharedFolders, each a claim, and who mounts them.
fn shared_folders(
    p: &Pipeline,
    own: bool,
    problems: &mut Vec<Diagnostic>,
) -> (Vec<SharedFolderPlan>, Mounts) {
    let s = &p.settings;
    let mut shared_folders = Vec::new();
    let mut mounts = Mounts::new();
    for (i, folder) in p
        .blueprint
        .nodes
        .iter()
        .filter(|n| n.node_type == NodeType::SharedFolder)
        .enumerate()
    {
        let claim = derived::shared_folder_claim(&p.name, own, i, &folder.container_name);
        too_long(
            p,
            &claim,
            &format!("the volume of SharedFolder `{}`", folder.container_name),
            problems,
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
    (shared_folders, mounts)
}

/// Each deployable node: its name, image, resources (kiln's defaults,
/// `pipeline.resources`, fill them in when pipeline.yaml leaves them out), security
/// exceptions and mounts.
fn nodes(
    p: &Pipeline,
    own: bool,
    deployable: &[&BlueprintNode],
    mounts: &mut Mounts,
    problems: &mut Vec<Diagnostic>,
) -> Vec<NodePlan> {
    let s = &p.settings;
    let default_resources = s.resources.clone().unwrap_or_default();
    deployable
        .iter()
        .map(|n| {
            let name = derived::pipeline_node(&p.name, own, &n.k8s_name);
            too_long(p, &name, &format!("node `{}`", n.container_name), problems);
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
        .collect()
}

/// In a tenant's namespace no node may run as root.
fn root_in_tenant_namespace(p: &Pipeline, nodes: &[NodePlan], problems: &mut Vec<Diagnostic>) {
    let s = &p.settings;
    for n in nodes {
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

/// The blueprint's `version` (a string or a number) as a label value.
fn version_label(raw: &Json) -> Option<String> {
    match raw.get("version")? {
        Json::String(v) => names::label_value(v),
        Json::Number(n) => names::label_value(&n.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

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
}

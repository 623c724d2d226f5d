//! The context of the `argocd` template scope: the [`ArgocdPlan`] as the templates read
//! it. What the applications and projects are is decided in `crate::argocd`.

use std::collections::BTreeSet;

use serde::Serialize;
use serde_json::{json, Map, Value as Json};

use crate::argocd::{Application, ArgocdPlan, Project};
use crate::object_id::GroupKind;
use crate::validate::Workspace;

fn group_kinds(set: &BTreeSet<GroupKind>) -> Json {
    Json::Array(
        set.iter()
            .map(|gk| json!({"group": gk.group, "kind": gk.kind}))
            .collect(),
    )
}

/// kiln's label, and those of the tenant, environment or pipeline an object is for.
fn labels(extra: &[(&str, Option<&String>)]) -> Json {
    let mut l = Map::new();
    l.insert("app.kubernetes.io/managed-by".into(), json!("kiln"));
    for (k, v) in extra {
        if let Some(v) = v {
            l.insert((*k).to_string(), json!(v));
        }
    }
    Json::Object(l)
}

fn project(p: &Project, repo_url: &str) -> Json {
    json!({
        "name": p.name,
        "description": p.description,
        "labels": labels(&[("kiln.dev/tenant", p.tenant.as_ref())]),
        "sourceRepos": [repo_url],
        "destinations": p.destinations.iter()
            .map(|d| json!({"server": d.server, "namespace": d.namespace}))
            .collect::<Vec<_>>(),
        "clusterResourceWhitelist": group_kinds(&p.cluster_kinds),
        "namespaceResourceBlacklist": group_kinds(&p.denied_kinds),
        "clusterResourceBlacklist": group_kinds(&p.denied_cluster_kinds),
    })
}

fn application(a: &Application) -> Json {
    json!({
        "name": a.name,
        "project": a.project,
        "root": a.root,
        "path": a.path,
        "recurse": a.recurse,
        "destination": {"server": a.destination.server, "namespace": a.destination.namespace},
        "wave": a.wave.map(|w| w.to_string()),
        "sync": {
            "automated": a.sync.automated,
            "prune": a.sync.prune,
            "selfHeal": a.sync.self_heal,
        },
        "labels": labels(&[
            ("kiln.dev/tenant", a.tenant.as_ref()),
            ("kiln.dev/environment", a.environment.as_ref()),
            ("kiln.dev/pipeline", a.pipeline.as_ref()),
        ]),
    })
}

/// The context of the `argocd` scope (docs/templates.md, "Argo CD context").
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ArgocdContext {
    /// `kubernetesVersion`.
    kiln: Json,
    argocd: ArgocdSettings,
    /// The AppProjects' sync wave.
    project_wave: String,
    /// `name`, `description`, `labels`, `sourceRepos`, `destinations` and the kinds it
    /// allows and denies.
    projects: Vec<Json>,
    /// `name`, `project`, `root`, `path`, `recurse`, `destination`, `wave`, `sync`,
    /// `labels`.
    applications: Vec<Json>,
}

/// Where Argo CD runs and what it reads, from `kiln.yaml`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArgocdSettings {
    namespace: String,
    server: String,
    #[serde(rename = "repoURL")]
    repo_url: String,
    target_revision: String,
}

/// The context of the `argocd` scope.
pub fn context(ws: &Workspace, plan: &ArgocdPlan) -> ArgocdContext {
    ArgocdContext {
        kiln: json!({"kubernetesVersion": ws.settings.kubernetes_version}),
        argocd: ArgocdSettings {
            namespace: plan.namespace.clone(),
            server: plan.server.clone(),
            repo_url: plan.repo_url.clone(),
            target_revision: plan.target_revision.clone(),
        },
        project_wave: plan.project_wave.to_string(),
        projects: plan
            .projects
            .iter()
            .map(|p| project(p, &plan.repo_url))
            .collect(),
        applications: plan.applications.iter().map(application).collect(),
    }
}

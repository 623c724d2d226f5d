//! Stage: the Argo CD plan. Which applications and projects deliver the output, and
//! every field of each: folder and repository path, destination, project, sync wave,
//! sync policy, what a project may and may not manage. `render` turns the plan into
//! objects through the `argocd` templates; nothing is decided there.
//!
//! An application exists for every application folder that holds objects: `cluster`,
//! `tenants/<t>/platform`, `tenants/<t>/workloads` and `pipelines/<p>`, plus the root
//! application, whose folder `argocd/` holds all the others (app of apps). Projects
//! confine them: one per tenant (its own namespaces, no cluster-scoped kinds, none of
//! the kinds the platform owns), `kiln-platform` for the guard-rails and the cluster
//! objects, and `kiln-pipelines` for pipelines with namespaces of their own.
//!
//! Input: the tenant and pipeline plans and the facts of every other unit's objects
//! (which folders hold objects, and which cluster-scoped kinds). Output: an
//! [`ArgocdPlan`], and a diagnostic for each pair of applications or projects that
//! would share a name.

mod collisions;
mod planner;

use std::collections::{BTreeMap, BTreeSet};

use crate::diagnostic::Diagnostic;
use crate::layout::{self, PLATFORM_KINDS};
use crate::model::SyncPolicy;
use crate::names::derived;
use crate::object_id::GroupKind;
use crate::plan::pipeline::PipelinePlan;
use crate::plan::TenantPlan;
use crate::unit::ObjectFact;
use crate::validate::Workspace;
use planner::Planner;

pub const ROOT_APP: &str = "kiln-root";
pub const CLUSTER_APP: &str = "kiln-cluster";
pub const PLATFORM_PROJECT: &str = "kiln-platform";
pub const PIPELINES_PROJECT: &str = "kiln-pipelines";

/// Sync waves between applications: projects first, then the cluster objects, every
/// tenant's guard-rails, the workloads, and the pipelines, which run in the tenants'
/// namespaces.
pub const PROJECT_WAVE: i64 = -3;
const CLUSTER_WAVE: i64 = -2;
const PLATFORM_WAVE: i64 = -1;
const WORKLOADS_WAVE: i64 = 0;
const PIPELINE_WAVE: i64 = 1;

/// The Argo CD side of a build: every Application and AppProject kiln writes.
#[derive(Clone, Debug, PartialEq)]
pub struct ArgocdPlan {
    /// Argo CD's namespace, where every Application and AppProject lives.
    pub namespace: String,
    /// The cluster every application deploys to.
    pub server: String,
    /// The rendered repository, the one source of every project and application.
    pub repo_url: String,
    pub target_revision: String,
    /// The sync wave of the projects, before every application.
    pub project_wave: i64,
    /// Sorted by name; empty when no unit holds an object.
    pub applications: Vec<Application>,
    /// Sorted by name.
    pub projects: Vec<Project>,
}

/// Where an application deploys to, or a project lets its applications deploy.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Destination {
    pub server: String,
    pub namespace: String,
}

/// One Argo CD Application.
#[derive(Clone, Debug, PartialEq)]
pub struct Application {
    pub name: String,
    pub project: String,
    /// Its folder, relative to the output directory.
    pub folder: String,
    /// Its folder in the rendered repository (`repoPath` and the folder).
    pub path: String,
    pub destination: Destination,
    /// Whether Argo CD reads the folder's subfolders too.
    pub recurse: bool,
    /// `None` for the root, which no application syncs in waves.
    pub wave: Option<i64>,
    pub sync: SyncPolicy,
    /// The app of apps, whose folder holds the other applications.
    pub root: bool,
    pub tenant: Option<String>,
    pub environment: Option<String>,
    pub pipeline: Option<String>,
}

/// One Argo CD AppProject.
#[derive(Clone, Debug, PartialEq)]
pub struct Project {
    pub name: String,
    pub description: String,
    /// One per namespace its applications may deploy to, sorted.
    pub destinations: Vec<Destination>,
    /// Cluster-scoped kinds its applications may manage.
    pub cluster_kinds: BTreeSet<GroupKind>,
    /// Namespaced kinds its applications may not manage.
    pub denied_kinds: BTreeSet<GroupKind>,
    /// Cluster-scoped kinds denied by name, over the empty allow-list: kinds that
    /// would reach past the tenant (another tenant's secrets).
    pub denied_cluster_kinds: BTreeSet<GroupKind>,
    pub tenant: Option<String>,
}

/// The API group of a kind kiln routes to a tenant's platform application.
fn platform_kind(kind: &str) -> GroupKind {
    let group = match kind {
        "NetworkPolicy" => "networking.k8s.io",
        "Role" | "RoleBinding" => "rbac.authorization.k8s.io",
        "SecretStore" | "ClusterSecretStore" => "external-secrets.io",
        _ => "",
    };
    GroupKind {
        group: group.to_string(),
        kind: kind.to_string(),
    }
}

/// Joins `repoPath` and a folder of the output into a path of the rendered repository.
pub fn repo_path(repo_path: &str, folder: &str) -> String {
    let base = repo_path.trim_matches('/');
    if base.is_empty() {
        folder.to_string()
    } else {
        format!("{base}/{folder}")
    }
}

/// What each application folder holds: the cluster-scoped kinds of its objects.
fn folders<'o>(objects: &[&'o ObjectFact]) -> BTreeMap<&'o str, BTreeSet<GroupKind>> {
    let mut folders: BTreeMap<&str, BTreeSet<GroupKind>> = BTreeMap::new();
    for o in objects {
        let kinds = folders.entry(o.app.as_str()).or_default();
        if o.id.namespace.is_none() {
            kinds.insert(o.id.group_kind());
        }
    }
    folders
}

/// Decides the applications and projects for the objects of the other units.
pub fn plan(
    ws: &Workspace,
    tenants: &[TenantPlan],
    pipelines: &[PipelinePlan],
    objects: &[&ObjectFact],
) -> (ArgocdPlan, Vec<Diagnostic>) {
    let settings = &ws.settings;
    let mut planner = Planner::new(settings, folders(objects));
    if !planner.folders.is_empty() {
        planner.cluster();
        for t in tenants {
            planner.tenant(t);
        }
        for p in pipelines {
            planner.pipeline(p, tenants);
        }
        planner.root();
    }
    let (mut applications, mut projects) = planner.finish();
    let problems = collisions::find(&applications, &projects, &|tenant, pipeline| {
        input_file(ws, tenant, pipeline)
    });
    applications.sort_by(|a, b| a.name.cmp(&b.name));
    projects.sort_by(|a, b| a.name.cmp(&b.name));
    let plan = ArgocdPlan {
        namespace: settings.argocd.namespace.clone(),
        server: settings.argocd.server.clone(),
        repo_url: settings.repo_url.clone(),
        target_revision: settings.target_revision.clone(),
        project_wave: PROJECT_WAVE,
        applications,
        projects,
    };
    (plan, problems)
}

/// The input file of a tenant or a pipeline (by name), if kiln read one.
fn input_file(
    ws: &Workspace,
    tenant: Option<&String>,
    pipeline: Option<&String>,
) -> Option<String> {
    match (pipeline, tenant) {
        (Some(p), _) => ws
            .pipelines
            .iter()
            .find(|x| &x.name == p)
            .map(|x| x.file.clone()),
        (None, Some(t)) => ws
            .tenants
            .iter()
            .find(|x| &x.name == t)
            .map(|x| x.doc.file.clone()),
        (None, None) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repo_paths() {
        assert_eq!(
            repo_path("", "tenants/acme/platform"),
            "tenants/acme/platform"
        );
        assert_eq!(repo_path("deploy/", "argocd"), "deploy/argocd");
        assert_eq!(repo_path("a/b", "cluster"), "a/b/cluster");
    }
}

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

use std::collections::{BTreeMap, BTreeSet};

use crate::diagnostic::Diagnostic;
use crate::layout::{self, PLATFORM_KINDS};
use crate::model::{Settings, SyncPolicy};
use crate::names::derived;
use crate::object_id::GroupKind;
use crate::plan::pipeline::PipelinePlan;
use crate::plan::TenantPlan;
use crate::unit::ObjectFact;
use crate::validate::Workspace;

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

/// A project as it is planned: its namespaces become destinations at the end.
struct ProjectDraft {
    project: Project,
    namespaces: BTreeSet<String>,
}

impl ProjectDraft {
    fn new(name: String, description: String, tenant: Option<String>) -> ProjectDraft {
        ProjectDraft {
            project: Project {
                name,
                description,
                destinations: Vec::new(),
                cluster_kinds: BTreeSet::new(),
                denied_kinds: BTreeSet::new(),
                denied_cluster_kinds: BTreeSet::new(),
                tenant,
            },
            namespaces: BTreeSet::new(),
        }
    }

    fn done(self, server: &str) -> Project {
        Project {
            destinations: self
                .namespaces
                .into_iter()
                .map(|namespace| Destination {
                    server: server.to_string(),
                    namespace,
                })
                .collect(),
            ..self.project
        }
    }
}

/// The plan while it is made: what each folder holds, and the applications and
/// projects so far, in the order they were decided (which `collisions` reports by).
struct Planner<'a> {
    settings: &'a Settings,
    folders: BTreeMap<&'a str, BTreeSet<GroupKind>>,
    applications: Vec<Application>,
    platform: ProjectDraft,
    pipelines: ProjectDraft,
    tenants: Vec<ProjectDraft>,
}

impl<'a> Planner<'a> {
    fn new(settings: &'a Settings, folders: BTreeMap<&'a str, BTreeSet<GroupKind>>) -> Self {
        let mut platform = ProjectDraft::new(
            PLATFORM_PROJECT.into(),
            "the platform: cluster objects and every tenant's guard-rails".into(),
            None,
        );
        platform
            .namespaces
            .insert(settings.argocd.namespace.clone());
        // Pipelines read no secrets: their project may not make a store either.
        let mut pipelines = ProjectDraft::new(
            PIPELINES_PROJECT.into(),
            "pipelines that run in namespaces of their own".into(),
            None,
        );
        pipelines.project.denied_kinds = BTreeSet::from([platform_kind("SecretStore")]);
        pipelines.project.denied_cluster_kinds =
            BTreeSet::from([platform_kind("ClusterSecretStore")]);
        Planner {
            settings,
            folders,
            applications: Vec::new(),
            platform,
            pipelines,
            tenants: Vec::new(),
        }
    }

    /// The sync policy of an environment's applications.
    fn sync_of(&self, environment: &str) -> SyncPolicy {
        self.settings
            .environments
            .get(environment)
            .and_then(|e| e.sync)
            .unwrap_or(self.settings.argocd.sync)
    }

    /// An application of kiln's, with the fields every application shares.
    fn application(
        &self,
        name: String,
        project: &str,
        folder: String,
        namespace: &str,
    ) -> Application {
        Application {
            name,
            project: project.to_string(),
            path: repo_path(&self.settings.repo_path, &folder),
            folder,
            destination: Destination {
                server: self.settings.argocd.server.clone(),
                namespace: namespace.to_string(),
            },
            recurse: false,
            wave: None,
            sync: self.settings.argocd.sync,
            root: false,
            tenant: None,
            environment: None,
            pipeline: None,
        }
    }

    /// `kiln-cluster`, when there are cluster objects.
    fn cluster(&mut self) {
        let Some(kinds) = self.folders.get(layout::CLUSTER) else {
            return;
        };
        self.platform
            .project
            .cluster_kinds
            .extend(kinds.iter().cloned());
        let app = Application {
            wave: Some(CLUSTER_WAVE),
            ..self.application(
                CLUSTER_APP.into(),
                PLATFORM_PROJECT,
                layout::CLUSTER.into(),
                &self.settings.argocd.namespace,
            )
        };
        self.applications.push(app);
    }

    /// A tenant's platform and workloads applications (those with objects), and its
    /// project.
    fn tenant(&mut self, t: &TenantPlan) {
        let primary = t.namespaces.first().cloned().unwrap_or_default();
        let app = |name: String, folder: String, project: &str, wave: i64| Application {
            recurse: true,
            wave: Some(wave),
            sync: self.sync_of(&t.environment),
            tenant: Some(t.name.clone()),
            environment: Some(t.environment.clone()),
            ..self.application(name, project, folder, &primary)
        };
        let platform = app(
            derived::platform_application(&t.name),
            layout::tenant_platform(&t.name),
            PLATFORM_PROJECT,
            PLATFORM_WAVE,
        );
        let workloads = app(
            derived::workloads_application(&t.name),
            layout::tenant_workloads(&t.name),
            &t.name,
            WORKLOADS_WAVE,
        );
        if let Some(kinds) = self.folders.get(platform.folder.as_str()) {
            self.platform
                .project
                .cluster_kinds
                .extend(kinds.iter().cloned());
            self.platform
                .namespaces
                .extend(t.namespaces.iter().cloned());
            self.applications.push(platform);
        }
        if self.folders.contains_key(workloads.folder.as_str()) {
            self.applications.push(workloads);
        }
        let mut project = ProjectDraft::new(
            t.name.clone(),
            format!(
                "tenant {}: its own namespaces, none of the platform's kinds",
                t.name
            ),
            Some(t.name.clone()),
        );
        project.namespaces = t.namespaces.iter().cloned().collect();
        project.project.denied_kinds = PLATFORM_KINDS
            .iter()
            .filter(|k| **k != "Namespace")
            .map(|k| platform_kind(k))
            .collect();
        project.project.denied_cluster_kinds =
            BTreeSet::from([platform_kind("ClusterSecretStore")]);
        self.tenants.push(project);
    }

    /// A pipeline's application, when it has objects: in its tenant's project, or in
    /// `kiln-pipelines` when it has no tenant (or one kiln did not plan).
    fn pipeline(&mut self, p: &PipelinePlan, tenants: &[TenantPlan]) {
        let folder = layout::pipeline(&p.name);
        let Some(kinds) = self.folders.get(folder.as_str()) else {
            return;
        };
        let environment = p.tenant.as_ref().and_then(|t| {
            tenants
                .iter()
                .find(|plan| &plan.name == t)
                .map(|plan| plan.environment.clone())
        });
        let (project, sync) = match (&p.tenant, &environment) {
            (Some(t), Some(env)) => (t.clone(), self.sync_of(env)),
            _ => {
                self.pipelines.namespaces.insert(p.namespace.clone());
                self.pipelines
                    .project
                    .cluster_kinds
                    .extend(kinds.iter().cloned());
                (PIPELINES_PROJECT.to_string(), self.settings.argocd.sync)
            }
        };
        let app = Application {
            recurse: true,
            wave: Some(PIPELINE_WAVE),
            sync,
            tenant: p.tenant.clone(),
            environment,
            pipeline: Some(p.name.clone()),
            ..self.application(
                derived::pipeline_application(&p.name),
                &project,
                folder,
                &p.namespace,
            )
        };
        self.applications.push(app);
    }

    /// `kiln-root`, the app of apps.
    fn root(&mut self) {
        let app = Application {
            root: true,
            ..self.application(
                ROOT_APP.into(),
                PLATFORM_PROJECT,
                layout::ARGOCD.into(),
                &self.settings.argocd.namespace,
            )
        };
        self.applications.push(app);
    }

    /// The applications, and the projects: `kiln-platform`, `kiln-pipelines` when a
    /// pipeline is in it, and each tenant's. None when no folder holds an object.
    fn finish(self) -> (Vec<Application>, Vec<Project>) {
        if self.folders.is_empty() {
            return (Vec::new(), Vec::new());
        }
        let server = &self.settings.argocd.server;
        let mut projects = vec![self.platform.done(server)];
        if !self.pipelines.namespaces.is_empty() {
            projects.push(self.pipelines.done(server));
        }
        projects.extend(self.tenants.into_iter().map(|t| t.done(server)));
        (self.applications, projects)
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

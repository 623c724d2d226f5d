//! The Argo CD plan while it is made: each kind of application in turn (the cluster,
//! each tenant, each pipeline, the root), then the projects.

use std::collections::{BTreeMap, BTreeSet};

use super::*;
use crate::model::{Settings, SyncPolicy};
use crate::object_id::GroupKind;
use crate::plan::pipeline::PipelinePlan;
use crate::plan::TenantPlan;

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
pub(super) struct Planner<'a> {
    settings: &'a Settings,
    pub(super) folders: BTreeMap<&'a str, BTreeSet<GroupKind>>,
    applications: Vec<Application>,
    platform: ProjectDraft,
    pipelines: ProjectDraft,
    tenants: Vec<ProjectDraft>,
}

impl<'a> Planner<'a> {
    pub(super) fn new(
        settings: &'a Settings,
        folders: BTreeMap<&'a str, BTreeSet<GroupKind>>,
    ) -> Self {
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
    pub(super) fn cluster(&mut self) {
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
    pub(super) fn tenant(&mut self, t: &TenantPlan) {
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
    pub(super) fn pipeline(&mut self, p: &PipelinePlan, tenants: &[TenantPlan]) {
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
    pub(super) fn root(&mut self) {
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
    pub(super) fn finish(self) -> (Vec<Application>, Vec<Project>) {
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

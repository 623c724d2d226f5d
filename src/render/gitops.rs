//! The Argo CD side of a build: which applications and projects deliver the output, and
//! the context of the `argocd` template scope that writes them.
//!
//! An application exists for every application folder that holds objects: `cluster`,
//! `tenants/<t>/platform`, `tenants/<t>/workloads` and `pipelines/<p>`, plus the root
//! application, whose folder `argocd/` holds all the others (app of apps). Projects
//! confine them: one per tenant (its own namespaces, no cluster-scoped kinds, none of
//! the kinds the platform owns), `kiln-platform` for the guard-rails and the cluster
//! objects, and `kiln-pipelines` for pipelines with namespaces of their own.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Map, Value as Json};

use super::layout;
use crate::diagnostic::{Code, Diagnostic};
use crate::model::SyncPolicy;
use crate::names::derived;
use crate::plan::pipeline::PipelinePlan;
use crate::plan::TenantPlan;
use crate::render::object::PLATFORM_KINDS;
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

/// One Argo CD Application.
#[derive(Clone, Debug, PartialEq)]
pub struct Application {
    pub name: String,
    pub project: String,
    /// Its folder, relative to the output directory.
    pub folder: String,
    pub namespace: String,
    pub recurse: bool,
    /// `None` for the root, which no application syncs in waves.
    pub wave: Option<i64>,
    pub sync: SyncPolicy,
    pub tenant: Option<String>,
    pub environment: Option<String>,
    pub pipeline: Option<String>,
}

/// One Argo CD AppProject.
#[derive(Clone, Debug, PartialEq)]
pub struct Project {
    pub name: String,
    pub description: String,
    pub namespaces: BTreeSet<String>,
    /// Cluster-scoped kinds its applications may manage, as (group, kind).
    pub cluster_kinds: BTreeSet<(String, String)>,
    /// Namespaced kinds its applications may not manage.
    pub denied_kinds: BTreeSet<(String, String)>,
    /// Cluster-scoped kinds denied by name, over the empty allow-list: kinds that
    /// would reach past the tenant (another tenant's secrets).
    pub denied_cluster_kinds: BTreeSet<(String, String)>,
    pub tenant: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct GitOps {
    pub applications: Vec<Application>,
    pub projects: Vec<Project>,
}

/// The API group of a kind kiln routes to a tenant's platform application.
fn platform_kind_group(kind: &str) -> &'static str {
    match kind {
        "NetworkPolicy" => "networking.k8s.io",
        "Role" | "RoleBinding" => "rbac.authorization.k8s.io",
        "SecretStore" | "ClusterSecretStore" => "external-secrets.io",
        _ => "",
    }
}

/// One secret-store kind, as a set of (group, kind).
fn secret_store_kinds(kind: &str) -> BTreeSet<(String, String)> {
    BTreeSet::from([(platform_kind_group(kind).to_string(), kind.to_string())])
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

/// Decides the applications and projects for the objects of the other units.
pub fn plan(
    ws: &Workspace,
    tenants: &[TenantPlan],
    pipelines: &[PipelinePlan],
    objects: &[&ObjectFact],
) -> (GitOps, Vec<Diagnostic>) {
    let settings = &ws.settings;
    let argocd_ns = settings.argocd.namespace.clone();
    // What each application folder holds: cluster-scoped kinds and namespaces.
    let mut folders: BTreeMap<&str, BTreeSet<(String, String)>> = BTreeMap::new();
    for o in objects {
        let kinds = folders.entry(o.app.as_str()).or_default();
        if o.namespace.is_none() {
            kinds.insert((o.group.clone(), o.kind.clone()));
        }
    }
    if folders.is_empty() {
        return (GitOps::default(), Vec::new());
    }
    let env_sync = |env: &str| {
        settings
            .environments
            .get(env)
            .and_then(|e| e.sync)
            .unwrap_or(settings.argocd.sync)
    };
    let mut apps = Vec::new();
    let mut platform = Project {
        name: PLATFORM_PROJECT.into(),
        description: "the platform: cluster objects and every tenant's guard-rails".into(),
        namespaces: BTreeSet::from([argocd_ns.clone()]),
        cluster_kinds: BTreeSet::new(),
        denied_kinds: BTreeSet::new(),
        denied_cluster_kinds: BTreeSet::new(),
        tenant: None,
    };
    // Pipelines read no secrets: their project may not make a store either.
    let mut pipelines_project = Project {
        name: PIPELINES_PROJECT.into(),
        description: "pipelines that run in namespaces of their own".into(),
        namespaces: BTreeSet::new(),
        cluster_kinds: BTreeSet::new(),
        denied_kinds: secret_store_kinds("SecretStore"),
        denied_cluster_kinds: secret_store_kinds("ClusterSecretStore"),
        tenant: None,
    };
    let mut tenant_projects = Vec::new();
    if let Some(kinds) = folders.get(layout::CLUSTER) {
        platform.cluster_kinds.extend(kinds.iter().cloned());
        apps.push(Application {
            name: CLUSTER_APP.into(),
            project: PLATFORM_PROJECT.into(),
            folder: layout::CLUSTER.into(),
            namespace: argocd_ns.clone(),
            recurse: false,
            wave: Some(CLUSTER_WAVE),
            sync: settings.argocd.sync,
            tenant: None,
            environment: None,
            pipeline: None,
        });
    }
    for t in tenants {
        let primary = t.namespaces.first().cloned().unwrap_or_default();
        let sync = env_sync(&t.environment);
        let app = |name: String, folder: String, project: &str, wave: i64| Application {
            name,
            project: project.to_string(),
            folder,
            namespace: primary.clone(),
            recurse: true,
            wave: Some(wave),
            sync,
            tenant: Some(t.name.clone()),
            environment: Some(t.environment.clone()),
            pipeline: None,
        };
        let platform_app = app(
            derived::platform_application(&t.name),
            layout::tenant_platform(&t.name),
            PLATFORM_PROJECT,
            PLATFORM_WAVE,
        );
        if let Some(kinds) = folders.get(platform_app.folder.as_str()) {
            platform.cluster_kinds.extend(kinds.iter().cloned());
            platform.namespaces.extend(t.namespaces.iter().cloned());
            apps.push(platform_app);
        }
        let workloads = app(
            derived::workloads_application(&t.name),
            layout::tenant_workloads(&t.name),
            &t.name,
            WORKLOADS_WAVE,
        );
        if folders.contains_key(workloads.folder.as_str()) {
            apps.push(workloads);
        }
        tenant_projects.push(Project {
            name: t.name.clone(),
            description: format!(
                "tenant {}: its own namespaces, none of the platform's kinds",
                t.name
            ),
            namespaces: t.namespaces.iter().cloned().collect(),
            cluster_kinds: BTreeSet::new(),
            denied_kinds: PLATFORM_KINDS
                .iter()
                .filter(|k| **k != "Namespace")
                .map(|k| (platform_kind_group(k).to_string(), k.to_string()))
                .collect(),
            denied_cluster_kinds: secret_store_kinds("ClusterSecretStore"),
            tenant: Some(t.name.clone()),
        });
    }
    for p in pipelines {
        let folder = layout::pipeline(&p.name);
        let Some(kinds) = folders.get(folder.as_str()) else {
            continue;
        };
        let environment = p.tenant.as_ref().and_then(|t| {
            tenants
                .iter()
                .find(|plan| &plan.name == t)
                .map(|plan| plan.environment.clone())
        });
        let (project, sync) = match (&p.tenant, &environment) {
            (Some(t), Some(env)) => (t.clone(), env_sync(env)),
            _ => {
                pipelines_project.namespaces.insert(p.namespace.clone());
                pipelines_project
                    .cluster_kinds
                    .extend(kinds.iter().cloned());
                (PIPELINES_PROJECT.to_string(), settings.argocd.sync)
            }
        };
        apps.push(Application {
            name: derived::pipeline_application(&p.name),
            project,
            folder,
            namespace: p.namespace.clone(),
            recurse: true,
            wave: Some(PIPELINE_WAVE),
            sync,
            tenant: p.tenant.clone(),
            environment,
            pipeline: Some(p.name.clone()),
        });
    }
    apps.push(Application {
        name: ROOT_APP.into(),
        project: PLATFORM_PROJECT.into(),
        folder: layout::ARGOCD.into(),
        namespace: argocd_ns,
        recurse: false,
        wave: None,
        sync: settings.argocd.sync,
        tenant: None,
        environment: None,
        pipeline: None,
    });
    let mut projects = vec![platform];
    if !pipelines_project.namespaces.is_empty() {
        projects.push(pipelines_project);
    }
    projects.extend(tenant_projects);
    let files = |tenant: Option<&String>, pipeline: Option<&String>| -> Option<String> {
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
    };
    let problems = collisions(&apps, &projects, &files);
    apps.sort_by(|a, b| a.name.cmp(&b.name));
    projects.sort_by(|a, b| a.name.cmp(&b.name));
    (
        GitOps {
            applications: apps,
            projects,
        },
        problems,
    )
}

/// What an application or project is for, in a message.
fn owner(tenant: Option<&String>, pipeline: Option<&String>) -> String {
    match (pipeline, tenant) {
        (Some(p), _) => format!("pipeline `{p}`"),
        (None, Some(t)) => format!("tenant `{t}`"),
        (None, None) => "kiln itself".into(),
    }
}

/// Two applications, or two projects, of the same name would overwrite each other.
/// The input file of a tenant or a pipeline (by name), if kiln read one.
type FileOf<'f> = dyn Fn(Option<&String>, Option<&String>) -> Option<String> + 'f;

/// Each problem names the file of the tenant or pipeline that comes second, and notes
/// the file of the first.
fn collisions(apps: &[Application], projects: &[Project], files: &FileOf) -> Vec<Diagnostic> {
    let located = |d: Diagnostic, file: Option<String>, first: Option<String>| {
        let d = match file {
            Some(f) => d.in_file(f),
            None => d,
        };
        match first {
            Some(f) => d.note(format!("the other one is `{f}`")),
            None => d,
        }
    };
    let mut problems = Vec::new();
    let mut seen: BTreeMap<&str, (String, Option<String>)> = BTreeMap::new();
    for a in apps {
        let who = owner(a.tenant.as_ref(), a.pipeline.as_ref());
        let file = files(a.tenant.as_ref(), a.pipeline.as_ref());
        if let Some((first, first_file)) = seen.insert(&a.name, (who.clone(), file.clone())) {
            problems.push(located(
                Diagnostic::error(Code::DuplicateApplication, format!(
                    "{first} and {who} would both have the Argo CD application `{}`",
                    a.name
                ))
                .hint("rename one of them; applications are named `<tenant>-platform`, `<tenant>-workloads` and `pipeline-<pipeline>`"),
                file,
                first_file,
            ));
        }
    }
    let mut seen: BTreeMap<&str, (String, Option<String>)> = BTreeMap::new();
    for p in projects {
        let who = owner(p.tenant.as_ref(), None);
        let file = files(p.tenant.as_ref(), None);
        if let Some((first, first_file)) = seen.insert(&p.name, (who.clone(), file.clone())) {
            problems.push(located(
                Diagnostic::error(Code::DuplicateApplication, format!(
                    "{first} and {who} would both have the Argo CD project `{}`",
                    p.name
                ))
                .hint(format!(
                    "rename the tenant; `{PLATFORM_PROJECT}` and `{PIPELINES_PROJECT}` are kiln's projects"
                )),
                file,
                first_file,
            ));
        }
    }
    problems
}

fn group_kinds(set: &BTreeSet<(String, String)>) -> Json {
    Json::Array(
        set.iter()
            .map(|(group, kind)| json!({"group": group, "kind": kind}))
            .collect(),
    )
}

/// The context of the `argocd` scope.
pub fn context(ws: &Workspace, gitops: &GitOps) -> Json {
    let s = &ws.settings;
    let mut labels = Map::new();
    labels.insert("app.kubernetes.io/managed-by".into(), json!("kiln"));
    let with = |extra: &[(&str, &Option<String>)]| {
        let mut l = labels.clone();
        for (k, v) in extra {
            if let Some(v) = v {
                l.insert((*k).to_string(), json!(v));
            }
        }
        Json::Object(l)
    };
    let projects: Vec<Json> = gitops
        .projects
        .iter()
        .map(|p| {
            json!({
                "name": p.name,
                "description": p.description,
                "labels": with(&[("kiln.dev/tenant", &p.tenant)]),
                "sourceRepos": [s.repo_url],
                "destinations": p.namespaces.iter()
                    .map(|ns| json!({"server": s.argocd.server, "namespace": ns}))
                    .collect::<Vec<_>>(),
                "clusterResourceWhitelist": group_kinds(&p.cluster_kinds),
                "namespaceResourceBlacklist": group_kinds(&p.denied_kinds),
                "clusterResourceBlacklist": group_kinds(&p.denied_cluster_kinds),
            })
        })
        .collect();
    let applications: Vec<Json> = gitops
        .applications
        .iter()
        .map(|a| {
            json!({
                "name": a.name,
                "project": a.project,
                "root": a.name == ROOT_APP,
                "path": repo_path(&s.repo_path, &a.folder),
                "recurse": a.recurse,
                "destination": {"server": s.argocd.server, "namespace": a.namespace},
                "wave": a.wave.map(|w| w.to_string()),
                "sync": {
                    "automated": a.sync.automated,
                    "prune": a.sync.prune,
                    "selfHeal": a.sync.self_heal,
                },
                "labels": with(&[
                    ("kiln.dev/tenant", &a.tenant),
                    ("kiln.dev/environment", &a.environment),
                    ("kiln.dev/pipeline", &a.pipeline),
                ]),
            })
        })
        .collect();
    json!({
        "kiln": {"kubernetesVersion": s.kubernetes_version},
        "argocd": {
            "namespace": s.argocd.namespace,
            "server": s.argocd.server,
            "repoURL": s.repo_url,
            "targetRevision": s.target_revision,
        },
        "projectWave": PROJECT_WAVE.to_string(),
        "projects": projects,
        "applications": applications,
    })
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

    #[test]
    fn a_tenant_named_like_a_pipeline_application_collides() {
        let app = |name: &str, tenant: Option<&str>, pipeline: Option<&str>| Application {
            name: name.into(),
            project: "p".into(),
            folder: "f".into(),
            namespace: "n".into(),
            recurse: true,
            wave: None,
            sync: SyncPolicy {
                automated: true,
                prune: true,
                self_heal: true,
            },
            tenant: tenant.map(str::to_string),
            environment: None,
            pipeline: pipeline.map(str::to_string),
        };
        let apps = [
            app("pipeline-x-platform", Some("pipeline-x"), None),
            app("pipeline-x-platform", None, Some("x-platform")),
        ];
        let problems = collisions(&apps, &[], &|_, _| None);
        assert_eq!(problems.len(), 1);
        assert_eq!(
            problems[0].message,
            "tenant `pipeline-x` and pipeline `x-platform` would both have the Argo CD application `pipeline-x-platform`"
        );
    }
}

//! Two applications, or two projects, of the same name would overwrite each other.

use std::collections::BTreeMap;

use super::{Application, Project, PIPELINES_PROJECT, PLATFORM_PROJECT};
use crate::diagnostic::{Code, Diagnostic};

/// The input file of a tenant or a pipeline (by name), if kiln read one.
pub(super) type FileOf<'f> = dyn Fn(Option<&String>, Option<&String>) -> Option<String> + 'f;

/// What an application or project is for, in a message.
fn owner(tenant: Option<&String>, pipeline: Option<&String>) -> String {
    match (pipeline, tenant) {
        (Some(p), _) => format!("pipeline `{p}`"),
        (None, Some(t)) => format!("tenant `{t}`"),
        (None, None) => "kiln itself".into(),
    }
}

/// A problem in the file of the one that comes second, noting the file of the first.
fn located(d: Diagnostic, file: Option<String>, first: Option<String>) -> Diagnostic {
    let d = match file {
        Some(f) => d.in_file(f),
        None => d,
    };
    match first {
        Some(f) => d.note(format!("the other one is `{f}`")),
        None => d,
    }
}

/// Each problem names the file of the tenant or pipeline that comes second, and notes
/// the file of the first.
pub(super) fn find(apps: &[Application], projects: &[Project], files: &FileOf) -> Vec<Diagnostic> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::argocd::Destination;
    use crate::model::SyncPolicy;

    #[test]
    fn a_tenant_named_like_a_pipeline_application_collides() {
        let app = |name: &str, tenant: Option<&str>, pipeline: Option<&str>| Application {
            name: name.into(),
            project: "p".into(),
            folder: "f".into(),
            path: "f".into(),
            destination: Destination {
                server: "s".into(),
                namespace: "n".into(),
            },
            recurse: true,
            wave: None,
            sync: SyncPolicy {
                automated: true,
                prune: true,
                self_heal: true,
            },
            root: false,
            tenant: tenant.map(str::to_string),
            environment: None,
            pipeline: pipeline.map(str::to_string),
        };
        let apps = [
            app("pipeline-x-platform", Some("pipeline-x"), None),
            app("pipeline-x-platform", None, Some("x-platform")),
        ];
        let problems = find(&apps, &[], &|_, _| None);
        assert_eq!(problems.len(), 1);
        assert_eq!(
            problems[0].message,
            "tenant `pipeline-x` and pipeline `x-platform` would both have the Argo CD application `pipeline-x-platform`"
        );
    }
}

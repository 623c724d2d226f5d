//! The Argo CD objects of every committed workspace output: each Application points at
//! a folder that exists, every object is delivered by exactly one application, projects
//! confine tenants to their own namespaces, and the sync policy follows the environment.

// A panic in a test is a failing test, so tests may unwrap, expect and index.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use crate::common;

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value as Json;

use common::{kiln, read_tree, repo};

fn yaml(bytes: &[u8]) -> Json {
    let text = String::from_utf8_lossy(bytes);
    let read = kiln::yaml::parse_stream(&text, &kiln::yaml::ReadOptions::default());
    read.documents
        .first()
        .map(kiln::yaml::Node::to_json)
        .unwrap_or(Json::Null)
}

struct Output {
    files: BTreeMap<String, Vec<u8>>,
    apps: BTreeMap<String, Json>,
    projects: BTreeMap<String, Json>,
}

fn output(workspace: &std::path::Path) -> Output {
    let files = read_tree(&workspace.join("out"));
    let mut apps = BTreeMap::new();
    let mut projects = BTreeMap::new();
    for (path, bytes) in &files {
        if let Some(file) = path.strip_prefix("argocd/") {
            let v = yaml(bytes);
            let name = v["metadata"]["name"].as_str().unwrap().to_string();
            if file.starts_with("application_") {
                apps.insert(name, v);
            } else if file.starts_with("appproject_") {
                projects.insert(name, v);
            }
        }
    }
    Output {
        files,
        apps,
        projects,
    }
}

fn workspaces() -> Vec<std::path::PathBuf> {
    let mut all = vec![repo()];
    for entry in std::fs::read_dir(repo().join("examples")).unwrap() {
        all.push(entry.unwrap().path());
    }
    all.sort();
    all
}

#[test]
fn every_object_is_delivered_by_exactly_one_application() {
    for ws in workspaces() {
        let out = output(&ws);
        assert!(out.apps.contains_key("kiln-root"), "{ws:?}");
        let folders: BTreeMap<String, &String> = out
            .apps
            .iter()
            .map(|(name, a)| {
                (
                    a["spec"]["source"]["path"].as_str().unwrap().to_string(),
                    name,
                )
            })
            .collect();
        assert_eq!(
            folders.len(),
            out.apps.len(),
            "two applications share a path"
        );
        for (folder, name) in &folders {
            assert!(
                out.files
                    .keys()
                    .any(|f| f.starts_with(&format!("{folder}/"))),
                "{ws:?}: application `{name}` points at `{folder}`, which holds nothing"
            );
        }
        for path in out.files.keys().filter(|p| *p != ".kiln-owned") {
            let owners: Vec<&&String> = folders
                .iter()
                .filter(|(folder, _)| {
                    path.strip_prefix(folder.as_str())
                        .is_some_and(|rest| rest.starts_with('/'))
                })
                .map(|(_, name)| name)
                .collect();
            assert_eq!(
                owners.len(),
                1,
                "{ws:?}: `{path}` is delivered by {owners:?}"
            );
        }
    }
}

#[test]
fn tenant_projects_hold_only_their_namespaces() {
    for ws in workspaces() {
        let out = output(&ws);
        // Each tenant's namespaces, from its Namespace objects.
        let mut namespaces: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (path, bytes) in &out.files {
            let parts: Vec<&str> = path.split('/').collect();
            if parts.len() == 5 && parts[0] == "tenants" && parts[4].starts_with("namespace_") {
                let v = yaml(bytes);
                namespaces
                    .entry(parts[1].to_string())
                    .or_default()
                    .insert(v["metadata"]["name"].as_str().unwrap().to_string());
            }
        }
        assert!(!namespaces.is_empty(), "{ws:?}");
        for (tenant, own) in &namespaces {
            let p = &out.projects[tenant];
            let destinations: BTreeSet<String> = p["spec"]["destinations"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d["namespace"].as_str().unwrap().to_string())
                .collect();
            assert_eq!(&destinations, own, "{ws:?}: project `{tenant}`");
            assert_eq!(p["spec"]["clusterResourceWhitelist"], serde_json::json!([]));
            let denied: BTreeSet<&str> = p["spec"]["namespaceResourceBlacklist"]
                .as_array()
                .unwrap()
                .iter()
                .map(|k| k["kind"].as_str().unwrap())
                .collect();
            for kind in [
                "ResourceQuota",
                "LimitRange",
                "NetworkPolicy",
                "Role",
                "RoleBinding",
            ] {
                assert!(
                    denied.contains(kind),
                    "{ws:?}: `{tenant}` may manage {kind}"
                );
            }
            let settings = std::fs::read_to_string(ws.join("kiln.yaml")).unwrap();
            let url = settings
                .lines()
                .find_map(|l| l.strip_prefix("repoURL: "))
                .unwrap();
            assert_eq!(p["spec"]["sourceRepos"], serde_json::json!([url]));
            // Its workloads are in its project, its guard-rails in the platform's, earlier.
            let workloads = &out.apps[&format!("{tenant}-workloads")];
            let platform = &out.apps[&format!("{tenant}-platform")];
            assert_eq!(workloads["spec"]["project"], tenant.as_str());
            assert_eq!(platform["spec"]["project"], "kiln-platform");
            let wave = |a: &Json| {
                a["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"]
                    .as_str()
                    .unwrap()
                    .parse::<i64>()
                    .unwrap()
            };
            assert!(wave(platform) < wave(workloads));
        }
    }
}

#[test]
fn nothing_carries_a_tracking_id_and_every_child_has_its_generate_paths() {
    for ws in workspaces() {
        let out = output(&ws);
        for (path, bytes) in &out.files {
            assert!(
                !String::from_utf8_lossy(bytes).contains("argocd.argoproj.io/tracking-id"),
                "{path}"
            );
        }
        for (name, a) in &out.apps {
            assert_eq!(
                a["metadata"]["annotations"]["argocd.argoproj.io/manifest-generate-paths"], ".",
                "{name}"
            );
            let finalizers = a["metadata"]["finalizers"].clone();
            if name == "kiln-root" {
                assert!(finalizers.is_null());
            } else {
                assert_eq!(
                    finalizers,
                    serde_json::json!(["resources-finalizer.argocd.argoproj.io"]),
                    "{name}"
                );
            }
        }
    }
}

#[test]
fn prod_is_synced_by_hand_in_the_root_workspace() {
    let out = output(&repo());
    for (name, a) in &out.apps {
        let env = a["metadata"]["labels"]["kiln.dev/environment"].as_str();
        let automated = a["spec"]["syncPolicy"].get("automated").is_some();
        assert_eq!(automated, env != Some("prod"), "{name}");
    }
    // acme is in prod, and so are its pipeline's application and its two.
    assert!(out.apps["pipeline-sudoku-stream"]["spec"]["syncPolicy"]
        .get("automated")
        .is_none());
}

#[test]
fn an_application_name_used_twice_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path();
    common::minimal_workspace(ws);
    common::write_files(
        ws,
        &[
            ("tenants/pipeline-x.yaml", "environment: dev\n"),
            (
                "blueprints/x-platform/blueprint.json",
                r#"{"name": "solo", "version": "1", "type": "pipeline-topology/v2", "pipeline_id": "p", "creation_date": "2026-01-01", "nodes": [
  {"container_name": "model", "node_type": "MLModel", "image": "r.example.com/m:1", "operation_signature_list": []}]}"#,
            ),
        ],
    );
    let out = kiln(ws).arg("check").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error[K0604]: tenant `pipeline-x` and pipeline `x-platform` would both have the Argo CD application `pipeline-x-platform`\n  --> blueprints/x-platform/blueprint.json\n  = note: the other one is `tenants/pipeline-x.yaml`\n  = hint: rename one of them; applications are named `<tenant>-platform`, `<tenant>-workloads` and `pipeline-<pipeline>`\n\ncheck failed: 1 error found\n"
    );
}

const SYNC_OPTIONS: &str = "argocd.argoproj.io/sync-options";

#[test]
fn argocd_never_deletes_a_namespace_or_a_claim_by_itself() {
    let mut guarded = BTreeMap::new();
    for ws in workspaces() {
        let out = output(&ws);
        for (path, bytes) in &out.files {
            let v = yaml(bytes);
            let kind = v["kind"].as_str().unwrap_or_default();
            if v["apiVersion"] == "v1" && matches!(kind, "Namespace" | "PersistentVolumeClaim") {
                assert_eq!(
                    v["metadata"]["annotations"][SYNC_OPTIONS], "Prune=false,Delete=false",
                    "{ws:?}: {path}"
                );
                *guarded.entry(kind.to_string()).or_insert(0) += 1;
            }
        }
    }
    // 16 Namespaces: the tenants' of every workspace (13) and the root's pipelines' (3).
    assert_eq!(
        guarded,
        BTreeMap::from([
            ("Namespace".to_string(), 16),
            ("PersistentVolumeClaim".to_string(), 1)
        ])
    );
}

#[test]
fn a_template_keeps_its_own_sync_options_and_gets_the_guard_in_the_same_annotation() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path();
    common::minimal_workspace(ws);
    common::write_files(
        ws,
        &[(
            "templates/objects/tenant/scratch.yaml.j2",
            "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: scratch\n  namespace: {{ tenant.namespace }}\n  annotations:\n    argocd.argoproj.io/sync-options: ServerSideApply=true, Delete=confirm\nspec:\n  accessModes: [ReadWriteOnce]\n  resources:\n    requests:\n      storage: 1Gi\n",
        )],
    );
    kiln(ws).arg("build").assert().success();
    let claim = std::fs::read_to_string(
        ws.join("out/tenants/acme/workloads/acme/persistentvolumeclaim_scratch.yaml"),
    )
    .unwrap();
    assert_eq!(
        claim,
        "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: scratch\n  namespace: acme\n  annotations:\n    argocd.argoproj.io/sync-options: ServerSideApply=true,Delete=confirm,Prune=false\nspec:\n  accessModes:\n    - ReadWriteOnce\n  resources:\n    requests:\n      storage: 1Gi\n"
    );
}

//! Pipelines through the real binary: the real blueprints from the Acumos / AI4EU /
//! Graphene deployers compile (the pre-2018 one is refused), and every validation rule
//! has a bad-input case: exit 1 (or 0 for warnings), the full message, `out/` unchanged.

// A panic in a test is a failing test, so tests may unwrap, expect and index.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use crate::common;

use std::fs;
use std::path::{Path, PathBuf};

use common::{kiln, read_tree, repo, write_files};

const KILN_YAML: &str = "kubernetesVersion: \"1.31\"\nrepoURL: https://git.example.com/rendered.git\nenvironments:\n  dev: {}\n";

/// A workspace with one pipeline holding `blueprint`.
fn workspace(blueprint: &str) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let proto = "syntax = \"proto3\";\nmessage Empty {}\n";
    write_files(
        tmp.path(),
        &[
            ("kiln.yaml", KILN_YAML),
            ("blueprints/p/blueprint.json", blueprint),
            ("blueprints/p/microservice/source.proto", proto),
            ("blueprints/p/microservice/model.proto", proto),
        ],
    );
    tmp
}

/// Real exports, vendored with their origin and licence (tests/fixtures/blueprints/SOURCES.md).
fn real_blueprints() -> PathBuf {
    repo().join("tests/fixtures/blueprints")
}

#[test]
fn every_real_blueprint_compiles_and_the_legacy_one_is_refused() {
    let dir = real_blueprints();
    let mut checked = 0;
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    files.sort();
    for file in files {
        let name = file.file_name().unwrap().to_string_lossy().to_string();
        if !name.ends_with(".json") {
            continue;
        }
        let text = fs::read_to_string(&file).unwrap();
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        if json.get("nodes").is_none() {
            continue; // a dockerinfo.json, not a blueprint
        }
        checked += 1;
        let tmp = workspace(&text);
        let out = kiln(tmp.path()).arg("build").output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        if name.contains("LEGACY") {
            assert_eq!(out.status.code(), Some(1), "{name}: {stderr}");
            assert!(
                stderr.contains("error[K0451]: this blueprint is in the pre-2018 Acumos format (`depends_on`), which kiln does not read"),
                "{name}: {stderr}"
            );
            assert!(!tmp.path().join("out").exists());
            continue;
        }
        assert!(out.status.success(), "{name}: {stderr}");
        let tree = read_tree(&tmp.path().join("out"));
        let nodes = json["nodes"].as_array().unwrap();
        let deployable = nodes
            .iter()
            .filter(|n| {
                matches!(
                    n["node_type"].as_str(),
                    Some("MLModel" | "DataBroker" | "DataMapper" | "TrainingClient")
                )
            })
            .count();
        let deployments = tree.keys().filter(|k| k.contains("/deployment_")).count();
        let expected = if deployable > 1 {
            deployable + 1
        } else {
            deployable
        };
        assert_eq!(
            deployments, expected,
            "{name}: one Deployment per node, plus the orchestrator"
        );
        if deployable > 1 {
            let cm = tree
                .iter()
                .find(|(k, _)| k.contains("orchestration"))
                .map(|(_, v)| String::from_utf8_lossy(v).to_string())
                .unwrap();
            assert!(cm.contains("dockerinfo.json"), "{name}");
            assert!(
                !cm.contains("SharedFolder"),
                "{name}: the orchestrator's blueprint keeps no SharedFolder"
            );
        }
        let shared = nodes
            .iter()
            .filter(|n| n["node_type"] == "SharedFolder")
            .count();
        assert_eq!(
            tree.keys()
                .filter(|k| k.contains("/persistentvolumeclaim_"))
                .count(),
            shared,
            "{name}"
        );
    }
    assert!(checked >= 5, "only {checked} real blueprints found");
}

#[test]
fn the_expected_dockerinfo_shape() {
    // The shape the Graphene orchestrator reads, as its own sample shows.
    let dir = real_blueprints();
    let sample: serde_json::Value = serde_json::from_str(
        &fs::read_to_string(dir.join("ai4eu-parallel-orchestrator_sudoku-stream_dockerinfo.json"))
            .unwrap(),
    )
    .unwrap();
    let tmp = workspace(
        &fs::read_to_string(
            dir.join("ai4eu-parallel-orchestrator_sudoku-stream_3nodes_streaming_cycle.json"),
        )
        .unwrap(),
    );
    kiln(tmp.path()).arg("build").assert().success();
    let tree = read_tree(&tmp.path().join("out"));
    let cm = tree
        .iter()
        .find(|(k, _)| k.contains("orchestration"))
        .map(|(_, v)| String::from_utf8_lossy(v).to_string())
        .unwrap();
    let doc: serde_json::Value = serde_json::to_value(
        kiln::yaml::parse_stream(&cm, &kiln::yaml::ReadOptions::default()).documents[0].to_json(),
    )
    .unwrap();
    let ours: serde_json::Value =
        serde_json::from_str(doc["data"]["dockerinfo.json"].as_str().unwrap()).unwrap();
    let names = |v: &serde_json::Value| -> Vec<String> {
        let mut n: Vec<String> = v["docker_info_list"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["container_name"].as_str().unwrap().to_string())
            .collect();
        n.sort();
        n
    };
    assert_eq!(names(&ours), names(&sample));
    for entry in ours["docker_info_list"].as_array().unwrap() {
        assert_eq!(entry["port"], 8061);
        let keys: Vec<&String> = entry.as_object().unwrap().keys().collect();
        assert_eq!(keys, vec!["container_name", "ip_address", "port"]);
    }
}

/// A valid two-node blueprint with `extra` spliced into the second node.
fn two_nodes(first: &str, second: &str) -> String {
    format!(
        r#"{{"name": "demo", "version": "1", "nodes": [
  {{"container_name": "source", "node_type": "DataBroker", "image": "r.example.com/source:1", "operation_signature_list": [
    {{"operation_signature": {{"operation_name": "pull"}}, "connected_to": [{{"container_name": "model", "operation_signature": {{"operation_name": "predict"}}}}]}}]{first}}},
  {{"container_name": "model", "image": "r.example.com/model:1", "operation_signature_list": [
    {{"operation_signature": {{"operation_name": "predict"}}, "connected_to": []}}]{second}}}
]}}"#
    )
}

fn fails(blueprint: &str, extra: &[(&str, &str)], expected: &str) {
    let tmp = workspace(&two_nodes("", ", \"node_type\": \"MLModel\""));
    kiln(tmp.path()).arg("build").assert().success();
    let before = read_tree(&tmp.path().join("out"));
    write_files(tmp.path(), &[("blueprints/p/blueprint.json", blueprint)]);
    write_files(tmp.path(), extra);
    let out = kiln(tmp.path()).arg("build").output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr, expected);
    assert_eq!(read_tree(&tmp.path().join("out")), before, "out/ changed");
}

#[test]
fn a_pipeline_named_like_a_reserved_namespace_must_set_its_own() {
    // A single model, which needs no proto.
    let solo = r#"{"name": "solo", "version": "2", "type": "pipeline-topology/v2", "pipeline_id": "x", "creation_date": "2026-01-01", "nodes": [
  {"container_name": "model", "node_type": "MLModel", "image": "r.example.com/solo:2", "operation_signature_list": []}]}"#;
    fails(
        &two_nodes("", ", \"node_type\": \"MLModel\""),
        &[
            ("blueprints/argocd/blueprint.json", solo),
            ("blueprints/kube-system/blueprint.json", solo),
        ],
        "error[K0404]: pipeline `argocd` would claim a reserved namespace: `argocd` is a namespace the platform runs in
  --> blueprints/argocd/blueprint.json
  = hint: give the pipeline another `namespace` in its `pipeline.yaml`, or rename its folder

error[K0404]: pipeline `kube-system` would claim a reserved namespace: `kube-system` is one of Kubernetes' own namespaces
  --> blueprints/kube-system/blueprint.json
  = hint: give the pipeline another `namespace` in its `pipeline.yaml`, or rename its folder

build failed: 2 errors found
",
    );
}

#[test]
fn a_good_two_node_pipeline_builds() {
    let tmp = workspace(&two_nodes("", ", \"node_type\": \"MLModel\""));
    kiln(tmp.path()).arg("build").assert().success();
    assert!(tmp
        .path()
        .join("out/pipelines/p/p/deployment_orchestrator.yaml")
        .exists());
}

#[test]
fn the_starter_job_settings_default_from_kiln_and_pipeline_yaml_replaces_them() {
    let tmp = workspace(&two_nodes("", ", \"node_type\": \"MLModel\""));
    kiln(tmp.path()).arg("build").assert().success();
    let job = tmp.path().join("out/pipelines/p/p/job_starter.yaml");
    let text = std::fs::read_to_string(&job).unwrap();
    for line in [
        "\n  backoffLimit: 3\n",
        "\n  ttlSecondsAfterFinished: 3600\n",
        "\n  activeDeadlineSeconds: 900\n",
    ] {
        assert!(text.contains(line), "{line:?} in {text}");
    }
    write_files(
        tmp.path(),
        &[(
            "blueprints/p/pipeline.yaml",
            "starter:\n  activeDeadlineSeconds: 1800\n",
        )],
    );
    kiln(tmp.path()).arg("build").assert().success();
    let text = std::fs::read_to_string(&job).unwrap();
    assert!(text.contains("\n  activeDeadlineSeconds: 1800\n"), "{text}");
    assert!(text.contains("\n  backoffLimit: 3\n"), "{text}");
}

#[test]
fn the_legacy_format_is_refused() {
    fails(
        r#"{"name":"old","version":"1","input_operation_signatures":[{"operation":"add"}],"nodes":[{"container_name":"a","image":"x:1","depends_on":[]}]}"#,
        &[],
        "error[K0451]: this blueprint is in the pre-2018 Acumos format (`depends_on`), which kiln does not read
  --> blueprints/p/blueprint.json:1:125
  |
1 | {\"name\":\"old\",\"version\":\"1\",\"input_operation_signatures\":[{\"operation\":\"add\"}],\"nodes\":[{\"container_name\":\"a\",\"image\":\"x:1\",\"depends_on\":[]}]}
  |                                                                                                                             ^^^^^^^^^^^^
  = at: /nodes/0/depends_on
  = hint: export the pipeline again from a current designer (Acumos Boreas or later, AI4EU Experiments, Eclipse Graphene); its blueprint has `node_type`, `operation_signature_list` and `connected_to`

build failed: 1 error found
",
    );
}

#[test]
fn a_node_without_a_type() {
    fails(
        &two_nodes("", ""),
        &[],
        "error[K0453]: node `model` has no `node_type`
  --> blueprints/p/blueprint.json:4:4
  |
4 |   {\"container_name\": \"model\", \"image\": \"r.example.com/model:1\", \"operation_signature_list\": [
  |    ^^^^^^^^^^^^^^^^
  = at: /nodes/1
  = hint: the node types are `MLModel`, `DataBroker`, `DataMapper`, `TrainingClient`, `Splitter`, `Collator`, `SharedFolder`

build failed: 1 error found
",
    );
}

#[test]
fn an_unknown_node_type() {
    fails(
        &two_nodes("", ", \"node_type\": \"MLModell\""),
        &[],
        "error[K0453]: node `model` has the unknown type `MLModell`
  --> blueprints/p/blueprint.json:5:82
  |
5 |     {\"operation_signature\": {\"operation_name\": \"predict\"}, \"connected_to\": []}], \"node_type\": \"MLModell\"}
  |                                                                                  ^^^^^^^^^^^
  = at: /nodes/1/node_type
  = hint: did you mean `MLModel`?

build failed: 1 error found
",
    );
}

#[test]
fn an_edge_to_a_missing_node_and_a_missing_operation() {
    let bp = two_nodes("", ", \"node_type\": \"MLModel\"")
        .replace("{\"container_name\": \"model\", \"operation_signature\": {\"operation_name\": \"predict\"}}", "{\"container_name\": \"modle\", \"operation_signature\": {\"operation_name\": \"predict\"}}, {\"container_name\": \"model\", \"operation_signature\": {\"operation_name\": \"predcit\"}}");
    let out = {
        let tmp = workspace(&bp);
        kiln(tmp.path()).arg("check").output().unwrap()
    };
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr
            .contains("error[K0456]: node `source` is connected to `modle`, which is not a node\n"),
        "{stderr}"
    );
    assert!(stderr.contains("  = at: /nodes/0/operation_signature_list/0/connected_to/0/container_name\n  = hint: did you mean `model`?"), "{stderr}");
    assert!(stderr.contains("error[K0456]: node `source` calls operation `predcit` of `model`, which has no such operation\n"), "{stderr}");
    assert!(
        stderr.contains("  = hint: did you mean `predict`?"),
        "{stderr}"
    );
    assert!(
        stderr.ends_with("check failed: 2 errors found\n"),
        "{stderr}"
    );
}

#[test]
fn a_running_node_without_an_image() {
    let bp = two_nodes("", ", \"node_type\": \"MLModel\"")
        .replace("\"image\": \"r.example.com/model:1\", ", "");
    let tmp = workspace(&bp);
    let out = kiln(tmp.path()).arg("check").output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr.starts_with("error[K0454]: node `model` (MLModel) has no `image`\n"),
        "{stderr}"
    );
}

#[test]
fn duplicate_and_colliding_names() {
    let bp = r#"{"name": "demo", "version": "1", "nodes": [
  {"container_name": "Model A", "node_type": "MLModel", "image": "r/a:1", "operation_signature_list": []},
  {"container_name": "model_a", "node_type": "MLModel", "image": "r/b:1", "operation_signature_list": []},
  {"container_name": "Model A", "node_type": "MLModel", "image": "r/c:1", "operation_signature_list": []}
]}"#;
    let tmp = workspace(bp);
    let out = kiln(tmp.path()).arg("check").output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr.contains("error[K0452]: two nodes are named `Model A`\n"),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "error[K0458]: nodes `Model A` and `model_a` both become `model-a` as Kubernetes names\n"
        ),
        "{stderr}"
    );
}

#[test]
fn shared_folders_must_be_absolute_and_connected() {
    let bp = r#"{"name": "demo", "version": "1", "nodes": [
  {"container_name": "data", "node_type": "SharedFolder", "operation_signature_list": []},
  {"container_name": "/scratch", "node_type": "SharedFolder", "operation_signature_list": [{"operation_signature": {"operation_name": "provideFolder"}, "connected_to": []}]},
  {"container_name": "m", "node_type": "MLModel", "image": "r/m:1", "operation_signature_list": []}
]}"#;
    let tmp = workspace(bp);
    let out = kiln(tmp.path()).arg("check").output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr.contains("error[K0455]: SharedFolder `data` is not a plain absolute path\n"),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "warning[K0457]: SharedFolder `/scratch` is connected to no node, so nothing mounts it\n"
        ),
        "{stderr}"
    );
    // Alone, the unconnected folder is only a warning.
    let ok = workspace(&bp.replace("{\"container_name\": \"data\", \"node_type\": \"SharedFolder\", \"operation_signature_list\": []},\n", ""));
    let out = kiln(ok.path()).arg("check").output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn settings_for_an_unknown_node_and_an_unknown_tenant() {
    let tmp = workspace(&two_nodes("", ", \"node_type\": \"MLModel\""));
    write_files(
        tmp.path(),
        &[(
            "blueprints/p/pipeline.yaml",
            "tenant: acme\nnodes:\n  modle:\n    resources: {limits: {cpu: \"1\"}}\n",
        )],
    );
    let out = kiln(tmp.path()).arg("check").output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr.contains(
            "error[K0450]: settings for node `modle`, which the blueprint does not have\n"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("  = hint: did you mean `model`?"),
        "{stderr}"
    );
}

#[test]
fn a_wrong_type_in_the_blueprint() {
    let bp = two_nodes("", ", \"node_type\": \"MLModel\"")
        .replace("\"nodes\": [", "\"probeIndicator\": \"no\", \"nodes\": [");
    let tmp = workspace(&bp);
    let out = kiln(tmp.path()).arg("check").output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr.starts_with(
            "error[K0301]: expected a list, found the string `no`\n  --> blueprints/p/blueprint.json:1:"
        ),
        "{stderr}"
    );
}

#[test]
fn a_pipeline_folder_without_a_blueprint() {
    let tmp = workspace(&two_nodes("", ", \"node_type\": \"MLModel\""));
    fs::create_dir_all(tmp.path().join("blueprints/empty")).unwrap();
    let out = kiln(tmp.path()).arg("check").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error[K0111]: pipeline folder has no `blueprint.json`
  --> blueprints/empty/
  = hint: export the pipeline from the designer and unzip it here, or remove the folder

check failed: 1 error found
"
    );
}

#[test]
fn a_root_image_cannot_run_in_a_tenant_namespace() {
    let tmp = workspace(&two_nodes("", ", \"node_type\": \"MLModel\""));
    write_files(
        tmp.path(),
        &[
            ("tenants/acme.yaml", "environment: dev\n"),
            (
                "blueprints/p/pipeline.yaml",
                "tenant: acme\nnodes:\n  model:\n    securityExceptions:\n      allow: [runAsNonRoot]\n      reason: the vendor image runs as root\n",
            ),
        ],
    );
    let out = kiln(tmp.path()).arg("check").output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr.contains("error[K0508]: node `model` may run as root, which the namespace of tenant `acme` does not allow\n"), "{stderr}");
}

#[test]
fn a_single_model_is_one_deployment_and_one_service() {
    let bp = r#"{"name": "solo", "version": "2", "type": "pipeline-topology/v2", "pipeline_id": "x", "creation_date": "2026-01-01", "nodes": [
  {"container_name": "Solo Model", "node_type": "MLModel", "image": "r.example.com/solo:2", "operation_signature_list": []}]}"#;
    let tmp = workspace(bp);
    kiln(tmp.path()).arg("build").assert().success();
    let tree = read_tree(&tmp.path().join("out"));
    // Besides the namespace's guard-rails and the Argo CD objects that deliver it.
    let workloads: Vec<&String> = tree
        .keys()
        .filter(|k| {
            !k.starts_with("argocd/")
                && !k.contains("networkpolicy_")
                && !k.contains("namespace_")
                && !k.contains("serviceaccount_")
                && !k.starts_with('.')
        })
        .collect();
    assert_eq!(
        workloads,
        vec![
            "pipelines/p/p/deployment_solo-model.yaml",
            "pipelines/p/p/service_solo-model.yaml"
        ]
    );
}

#[test]
fn splitters_and_collators_run_in_the_orchestrator() {
    let bp = r#"{"name": "split", "version": "1", "nodes": [
  {"container_name": "src", "node_type": "DataBroker", "image": "r/src:1", "operation_signature_list": [{"operation_signature": {"operation_name": "pull"}, "connected_to": [{"container_name": "splitter", "operation_signature": {"operation_name": "split"}}]}]},
  {"container_name": "splitter", "node_type": "Splitter", "operation_signature_list": [{"operation_signature": {"operation_name": "split"}, "connected_to": [{"container_name": "a", "operation_signature": {"operation_name": "run"}}, {"container_name": "b", "operation_signature": {"operation_name": "run"}}]}]},
  {"container_name": "a", "node_type": "MLModel", "image": "r/a:1", "operation_signature_list": [{"operation_signature": {"operation_name": "run"}, "connected_to": []}]},
  {"container_name": "b", "node_type": "MLModel", "image": "r/b:1", "operation_signature_list": [{"operation_signature": {"operation_name": "run"}, "connected_to": []}]}
]}"#;
    let tmp = workspace(bp);
    kiln(tmp.path()).arg("build").assert().success();
    let tree = read_tree(&tmp.path().join("out"));
    assert!(!tree.keys().any(|k| k.contains("deployment_splitter")));
    let cm =
        String::from_utf8_lossy(&tree["pipelines/p/p/configmap_orchestrator-orchestration.yaml"])
            .to_string();
    assert!(
        cm.contains("\"node_type\": \"Splitter\""),
        "the orchestrator gets the splitter"
    );
    assert!(
        !cm.contains("\"container_name\": \"splitter\",\n              \"ip_address\""),
        "{cm}"
    );
}

#[test]
fn the_root_workspace_pipelines_cover_the_cases() {
    let root = repo();
    let bp = |p: &str| {
        fs::read_to_string(root.join("blueprints").join(p).join("blueprint.json")).unwrap()
    };
    assert!(bp("sentiment-analysis").contains("pipeline-topology/v2"));
    assert!(
        bp("news-training").contains("probeIndicator")
            && bp("news-training").contains("SharedFolder")
    );
    assert!(bp("sudoku-stream").contains("\"output_message_stream\":true"));
    assert!(bp("sentiment-analysis").contains("DataBroker"));
    assert!(Path::new(
        &root.join("out/pipelines/fraud-scorer/fraud-scorer/deployment_fraudscorer.yaml")
    )
    .exists());
}

/// The lines that differ between two trees, file by file (`-` before, `+` after), with
/// `checksum/config` digests as `<sha256>`.
fn changed_lines(
    before: &std::collections::BTreeMap<String, Vec<u8>>,
    after: &std::collections::BTreeMap<String, Vec<u8>>,
) -> String {
    let mut out = String::new();
    for (path, new) in after {
        let old = before
            .get(path)
            .map(|b| String::from_utf8_lossy(b).to_string());
        let new = String::from_utf8_lossy(new).to_string();
        if old.as_deref() == Some(new.as_str()) {
            continue;
        }
        out.push_str(path);
        out.push('\n');
        let old = old.unwrap_or_default();
        for change in similar::TextDiff::from_lines(&old, &new).iter_all_changes() {
            let sign = match change.tag() {
                similar::ChangeTag::Equal => continue,
                similar::ChangeTag::Delete => '-',
                similar::ChangeTag::Insert => '+',
            };
            let line = change.value();
            let line = match line.split_once("checksum/config: ") {
                Some((indent, _)) => format!("{indent}checksum/config: <sha256>\n"),
                None => line.to_string(),
            };
            out.push(sign);
            out.push_str(&line);
        }
    }
    out
}

#[test]
fn a_new_blueprint_version_keeps_the_namespace_and_the_claim() {
    let tmp = tempfile::tempdir().unwrap();
    common::copy_dir(&repo(), tmp.path());
    kiln(tmp.path()).arg("build").assert().success();
    let before = read_tree(&tmp.path().join("out"));
    let file = tmp.path().join("blueprints/news-training/blueprint.json");
    let blueprint = fs::read_to_string(&file).unwrap();
    assert!(blueprint.contains("\"version\": \"1.2.0\""));
    fs::write(
        &file,
        blueprint.replace("\"version\": \"1.2.0\"", "\"version\": \"1.3.0\""),
    )
    .unwrap();
    kiln(tmp.path()).arg("build").assert().success();
    let after = read_tree(&tmp.path().join("out"));

    // Every file, so every object, keeps its path and name: the namespace, the claim of
    // the shared folder and the Application among them.
    assert_eq!(
        before.keys().collect::<Vec<_>>(),
        after.keys().collect::<Vec<_>>()
    );
    let dir = "pipelines/news-training/news-training";
    for kept in [
        format!("{dir}/namespace_news-training.yaml"),
        format!("{dir}/persistentvolumeclaim_shared-data-shared.yaml"),
        "argocd/application_pipeline-news-training.yaml".to_string(),
    ] {
        assert!(after.contains_key(&kept), "{kept}");
    }
    // What changes: the version label (also on the pods), and the blueprint the
    // orchestrator is given, with the starter's checksum over it.
    let label = |indent: &str| {
        format!("-{indent}app.kubernetes.io/version: \"1.2.0\"\n+{indent}app.kubernetes.io/version: \"1.3.0\"\n")
    };
    let (meta, pod) = (label("    "), label("        "));
    let mut expected = String::new();
    for (file, lines) in [
        ("configmap_orchestrator-orchestration.yaml", format!("{meta}-      \"version\": \"1.2.0\"\n+      \"version\": \"1.3.0\"\n")),
        ("deployment_news-classifier1.yaml", format!("{meta}{pod}")),
        ("deployment_newstrainer1.yaml", format!("{meta}{pod}")),
        ("deployment_orchestrator.yaml", format!("{meta}{pod}")),
        ("deployment_tensorboard1.yaml", format!("{meta}{pod}")),
        ("job_starter.yaml", format!("{meta}-        checksum/config: <sha256>\n+        checksum/config: <sha256>\n{pod}")),
        ("namespace_news-training.yaml", meta.clone()),
        ("networkpolicy_allow-dns.yaml", meta.clone()),
        ("networkpolicy_default-deny.yaml", meta.clone()),
        ("networkpolicy_news-classifier1.yaml", meta.clone()),
        ("networkpolicy_newstrainer1.yaml", meta.clone()),
        ("networkpolicy_orchestrator.yaml", meta.clone()),
        ("networkpolicy_starter.yaml", meta.clone()),
        ("networkpolicy_tensorboard1.yaml", meta.clone()),
        ("persistentvolumeclaim_shared-data-shared.yaml", meta.clone()),
        ("service_news-classifier1.yaml", meta.clone()),
        ("service_newstrainer1.yaml", meta.clone()),
        ("service_orchestrator.yaml", meta.clone()),
        ("service_tensorboard1.yaml", meta.clone()),
        ("serviceaccount_pipeline.yaml", meta.clone()),
    ] {
        expected.push_str(&format!("{dir}/{file}\n{lines}"));
    }
    assert_eq!(changed_lines(&before, &after), expected);
}

//! `kiln diff` and `kiln publish` end to end, on real git repositories in temporary
//! folders, with the real binary.

// A panic in a test is a failing test, so tests may unwrap, expect and index.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use crate::common;

use std::fs;
use std::path::Path;

use common::{git, kiln, workspace_repo, write_files};

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn bare(dir: &Path) -> String {
    git(
        dir.parent().unwrap(),
        &["init", "-q", "--bare", dir.to_str().unwrap()],
    );
    dir.to_str().unwrap().to_string()
}

fn files_on(repo: &str, branch: &str) -> Vec<String> {
    git(Path::new(repo), &["ls-tree", "-r", "--name-only", branch])
        .lines()
        .map(str::to_string)
        .collect()
}

fn commit_count(repo: &str, branch: &str) -> usize {
    git(Path::new(repo), &["rev-list", "--count", branch])
        .trim()
        .parse()
        .unwrap()
}

// ---- publish ----

#[test]
fn publishing_twice_makes_one_commit() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path().join("ws");
    workspace_repo(&ws);
    let rendered = bare(&tmp.path().join("rendered.git"));

    let out = kiln(&ws)
        .args(["publish", "--repo", &rendered, "--branch", "main"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("published to `main` of `"),
        "{}",
        stderr(&out)
    );
    let files = files_on(&rendered, "main");
    assert!(files.contains(&".kiln-owned".to_string()));
    assert!(files.contains(&"argocd/application_kiln-root.yaml".to_string()));
    assert!(files.contains(&"tenants/acme/workloads/acme/deployment_trino.yaml".to_string()));
    // The tree is exactly the build.
    let built = common::read_tree(&ws.join("out"));
    assert_eq!(files, built.keys().cloned().collect::<Vec<_>>());

    let message = git(Path::new(&rendered), &["log", "-1", "--format=%B", "main"]);
    let head = git(&ws, &["rev-parse", "HEAD"]);
    assert!(message.starts_with("kiln: publish "), "{message}");
    assert!(message.contains("\nacme-workloads: "), "{message}");
    assert!(
        message.contains(&format!("Kiln-Source-Commit: {}", head.trim())),
        "{message}"
    );
    assert!(message.contains("\nKiln-Source-Repo: "), "{message}");

    let again = kiln(&ws)
        .args(["publish", "--repo", &rendered, "--branch", "main"])
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(0));
    assert_eq!(
        stderr(&again).lines().last(),
        Some(
            format!("nothing to publish: `main` of `{rendered}` already holds this build").as_str()
        )
    );
    assert_eq!(commit_count(&rendered, "main"), 1);
}

#[test]
fn a_removed_tenant_goes_and_foreign_files_stay() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path().join("ws");
    workspace_repo(&ws);
    let rendered = bare(&tmp.path().join("rendered.git"));
    kiln(&ws)
        .args(["publish", "--repo", &rendered, "--branch", "main"])
        .assert()
        .success();
    // Someone adds files of their own to the rendered repository.
    let clone = tmp.path().join("clone");
    git(tmp.path(), &["clone", "-q", &rendered, "clone"]);
    write_files(
        &clone,
        &[
            ("README.md", "rendered by kiln\n"),
            ("tenants/NOTES.md", "hand-written\n"),
        ],
    );
    git(&clone, &["add", "-A"]);
    git(&clone, &["commit", "-q", "-m", "notes"]);
    git(&clone, &["push", "-q", "origin", "main"]);

    fs::remove_file(ws.join("tenants/initech.yaml")).unwrap();
    let out = kiln(&ws)
        .args(["publish", "--repo", &rendered, "--branch", "main"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains(" removed"), "{}", stderr(&out));
    let files = files_on(&rendered, "main");
    assert!(!files.iter().any(|f| f.contains("initech")), "{files:?}");
    assert!(files.contains(&"README.md".to_string()));
    assert!(files.contains(&"tenants/NOTES.md".to_string()));
    assert_eq!(
        git(Path::new(&rendered), &["show", "main:tenants/NOTES.md"]),
        "hand-written\n"
    );
    let message = git(Path::new(&rendered), &["log", "-1", "--format=%B", "main"]);
    assert!(message.contains("\ninitech-workloads: "), "{message}");
    assert!(message.contains(" removed\n"), "{message}");
}

#[test]
fn a_foreign_file_in_the_way_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path().join("ws");
    workspace_repo(&ws);
    let rendered = bare(&tmp.path().join("rendered.git"));
    let clone = tmp.path().join("clone");
    git(tmp.path(), &["clone", "-q", &rendered, "clone"]);
    write_files(
        &clone,
        &[("cluster/priorityclass_dataplane-critical.yaml", "by hand\n")],
    );
    git(&clone, &["add", "-A"]);
    git(&clone, &["commit", "-q", "-m", "by hand"]);
    git(&clone, &["push", "-q", "origin", "main"]);

    let out = kiln(&ws)
        .args(["publish", "--repo", &rendered, "--branch", "main"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).ends_with(
        "error[K0906]: branch `main` has files that are not kiln's where the build goes: `cluster/priorityclass_dataplane-critical.yaml`\n  = hint: move or delete them in the rendered repository; kiln changes only the files listed in `.kiln-owned`\n\npublish failed: 1 error found\n"
    ), "{}", stderr(&out));
    assert_eq!(commit_count(&rendered, "main"), 1);
}

#[test]
fn a_branch_that_moves_during_a_publish_is_not_overwritten() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path().join("ws");
    workspace_repo(&ws);
    let rendered = bare(&tmp.path().join("rendered.git"));
    kiln(&ws)
        .args(["publish", "--repo", &rendered, "--branch", "main"])
        .assert()
        .success();

    // kiln reads the branch …
    let repo = git2::Repository::open(&rendered).unwrap();
    let mut files = common::read_tree(&ws.join("out"));
    files.insert(
        "extra.yaml".into(),
        b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: acme}\n".to_vec(),
    );
    let prepared =
        kiln::publish::prepare(&repo, "main", "", &files).unwrap_or_else(|_| panic!("prepare"));
    // … someone else publishes …
    let clone = tmp.path().join("clone");
    git(tmp.path(), &["clone", "-q", &rendered, "clone"]);
    write_files(&clone, &[("NOTES.md", "x\n")]);
    git(&clone, &["add", "-A"]);
    git(&clone, &["commit", "-q", "-m", "meanwhile"]);
    git(&clone, &["push", "-q", "origin", "main"]);
    let theirs = git(Path::new(&rendered), &["rev-parse", "main"]);
    // … and kiln's commit must not replace theirs.
    let result = kiln::publish::commit(&repo, &prepared, "kiln: publish");
    match result {
        Err(kiln::git::Outcome::User(e)) => assert_eq!(
            e.message,
            "branch `main` moved while kiln was publishing; nothing was changed"
        ),
        other => panic!("expected a refusal, got {:?}", other.map(|o| o.to_string())),
    }
    assert_eq!(git(Path::new(&rendered), &["rev-parse", "main"]), theirs);
}

#[test]
fn a_push_behind_the_remote_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path().join("ws");
    workspace_repo(&ws);
    let rendered = bare(&tmp.path().join("rendered.git"));
    kiln(&ws)
        .args(["publish", "--repo", &rendered, "--branch", "main"])
        .assert()
        .success();
    // A CI runner's bare clone, then someone else pushes to the remote.
    git(
        tmp.path(),
        &["clone", "-q", "--bare", &rendered, "runner.git"],
    );
    let runner = tmp.path().join("runner.git");
    let clone = tmp.path().join("clone");
    git(tmp.path(), &["clone", "-q", &rendered, "clone"]);
    write_files(&clone, &[("NOTES.md", "x\n")]);
    git(&clone, &["add", "-A"]);
    git(&clone, &["commit", "-q", "-m", "meanwhile"]);
    git(&clone, &["push", "-q", "origin", "main"]);
    let theirs = git(Path::new(&rendered), &["rev-parse", "main"]);

    fs::remove_file(ws.join("tenants/initech.yaml")).unwrap();
    let out = kiln(&ws)
        .args([
            "publish",
            "--repo",
            runner.to_str().unwrap(),
            "--branch",
            "main",
            "--push",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("error[K0906]: the remote refused the new commit of `main`: "),
        "{}",
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("= hint: the branch moved on the remote since kiln read it: fetch it and publish again\n"),
        "{}",
        stderr(&out)
    );
    assert_eq!(git(Path::new(&rendered), &["rev-parse", "main"]), theirs);
}

#[test]
fn publishing_to_a_url_pushes() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path().join("ws");
    workspace_repo(&ws);
    let rendered = bare(&tmp.path().join("rendered.git"));
    let url = format!("file://{rendered}");

    let out = kiln(&ws)
        .args(["publish", "--repo", &url, "--branch", "env/prod"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("which kiln can only publish to with `--push`"),
        "{}",
        stderr(&out)
    );

    let out = kiln(&ws)
        .args(["publish", "--repo", &url, "--branch", "env/prod", "--push"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("pushed `env/prod` to `origin`"),
        "{}",
        stderr(&out)
    );
    assert_eq!(commit_count(&rendered, "env/prod"), 1);
    let again = kiln(&ws)
        .args(["publish", "--repo", &url, "--branch", "env/prod", "--push"])
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    assert!(
        stderr(&again).contains("nothing to publish"),
        "{}",
        stderr(&again)
    );
    assert_eq!(commit_count(&rendered, "env/prod"), 1);
}

#[test]
fn a_checked_out_branch_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path().join("ws");
    workspace_repo(&ws);
    let rendered = tmp.path().join("rendered");
    fs::create_dir(&rendered).unwrap();
    git(&rendered, &["init", "-q"]);
    let out = kiln(&ws)
        .args([
            "publish",
            "--repo",
            rendered.to_str().unwrap(),
            "--branch",
            "main",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("error[K0906]: branch `main` is checked out in `"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn publish_path_must_match_repo_path() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path().join("ws");
    workspace_repo(&ws);
    let rendered = bare(&tmp.path().join("rendered.git"));
    let out = kiln(&ws)
        .args([
            "publish", "--repo", &rendered, "--branch", "main", "--path", "deploy",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).ends_with(
        "error[K0906]: `--path deploy` is not `repoPath` of kiln.yaml (``), where the Argo CD applications look\n  = hint: set `repoPath` in kiln.yaml to the folder, and build again\n\npublish failed: 1 error found\n"
    ), "{}", stderr(&out));

    // With `repoPath: deploy`, the build goes there and the applications look there.
    let settings = fs::read_to_string(ws.join("kiln.yaml")).unwrap();
    fs::write(
        ws.join("kiln.yaml"),
        format!("{settings}repoPath: deploy\n"),
    )
    .unwrap();
    kiln(&ws)
        .args([
            "publish", "--repo", &rendered, "--branch", "main", "--path", "deploy",
        ])
        .assert()
        .success();
    let files = files_on(&rendered, "main");
    assert!(files.iter().all(|f| f.starts_with("deploy/")), "{files:?}");
    let root = git(
        Path::new(&rendered),
        &["show", "main:deploy/argocd/application_kiln-root.yaml"],
    );
    assert!(root.contains("    path: deploy/argocd\n"), "{root}");
}

// ---- diff ----

#[test]
fn a_moved_file_is_no_difference() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path().join("ws");
    workspace_repo(&ws);
    let against = tmp.path().join("against");
    common::copy_dir(&ws.join("out"), &against);
    let from = against.join("tenants/acme/workloads/acme/service_trino.yaml");
    fs::create_dir_all(against.join("tenants/acme/workloads/acme/moved")).unwrap();
    fs::rename(
        &from,
        against.join("tenants/acme/workloads/acme/moved/trino.yaml"),
    )
    .unwrap();

    let out = kiln(&ws)
        .args([
            "diff",
            "--exit-code",
            "--against",
            against.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).starts_with("no differences ("),
        "{}",
        stdout(&out)
    );
}

// `client-auth` is a key kiln hides in diffs (its word `auth`) without refusing a literal under it.
const TOKEN_TEMPLATE: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: client-settings\n  namespace: {{ tenant.namespace }}\ndata:\n  endpoint: {{ \"https://api.example.com/\" ~ tenant.name }}\n  client-auth: {{ \"issued-for-\" ~ tenant.name }}\n";

#[test]
fn a_secret_only_change_shows_masked_and_changed() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path().join("ws");
    common::copy_dir(&common::repo(), &ws);
    write_files(
        &ws,
        &[(
            "templates/objects/tenant/client-settings.yaml.j2",
            TOKEN_TEMPLATE,
        )],
    );
    kiln(&ws).arg("build").assert().success();
    git(&ws, &["init", "-q"]);
    git(&ws, &["add", "-A"]);
    git(&ws, &["commit", "-q", "-m", "base"]);
    write_files(
        &ws,
        &[(
            "templates/objects/tenant/client-settings.yaml.j2",
            &TOKEN_TEMPLATE.replace("issued-for-", "reissued-for-"),
        )],
    );

    let out = kiln(&ws)
        .args(["diff", "--base", "HEAD", "--exit-code"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(!text.contains("issued-for-"), "{text}");
    assert!(
        text.contains("acme-workloads: 1 changed\n  ConfigMap  ~1\n"),
        "{text}"
    );
    assert!(
        text.contains("-  client-auth: <masked>\n+  client-auth: \"<masked: changed>\"\n"),
        "{text}"
    );
    assert!(
        text.contains("\n3 objects differ in 3 applications (3 changed); "),
        "{text}"
    );

    for format in ["markdown", "json"] {
        let out = kiln(&ws)
            .args(["diff", "--base", "HEAD", "--format", format])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0));
        assert!(!stdout(&out).contains("issued-for-"), "{}", stdout(&out));
        assert!(
            stdout(&out).contains("<masked: changed>"),
            "{}",
            stdout(&out)
        );
    }
}

#[test]
fn a_markdown_report_of_500_changes_stays_under_the_limit() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path().join("ws");
    common::copy_dir(&common::repo(), &ws);
    let many = "{% if tenant.name == \"acme\" %}{% for i in range(500) %}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ \"setting-\" ~ i }}\n  namespace: {{ tenant.namespace }}\ndata:\n  value: {{ \"first\" }}\n  index: {{ i | string }}\n{% endfor %}{% endif %}\n";
    write_files(&ws, &[("templates/objects/tenant/many.yaml.j2", many)]);
    kiln(&ws).arg("build").assert().success();
    git(&ws, &["init", "-q"]);
    git(&ws, &["add", "-A"]);
    git(&ws, &["commit", "-q", "-m", "base"]);
    write_files(
        &ws,
        &[(
            "templates/objects/tenant/many.yaml.j2",
            &many.replace("\"first\"", "\"second\""),
        )],
    );

    let out = kiln(&ws)
        .args(["diff", "--base", "HEAD", "--format", "markdown"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let md = stdout(&out);
    assert!(md.chars().count() <= 65_000, "{}", md.chars().count());
    assert!(md.starts_with("### kiln diff against `HEAD`\n\n**500 objects differ** in 1 application (500 changed); "), "{md}");
    let shown = md.matches("```diff\n").count();
    let left: Vec<&str> = md
        .lines()
        .filter(|l| l.contains(": diff left out ("))
        .collect();
    assert!(shown > 0 && !left.is_empty(), "{shown} {}", left.len());
    assert_eq!(shown + left.len(), 500);
    assert!(
        left.contains(&"**changed** `ConfigMap acme/setting-99`: diff left out (8 lines)"),
        "{left:?}"
    );
    assert!(
        md.contains(&format!(
            "> The diffs of {} objects were left out to keep this comment under 65000 characters",
            left.len()
        )),
        "{md}"
    );

    let small = kiln(&ws)
        .args([
            "diff",
            "--base",
            "HEAD",
            "--format",
            "markdown",
            "--max-chars",
            "20000",
        ])
        .output()
        .unwrap();
    assert!(stdout(&small).chars().count() <= 20_000);
}

#[test]
fn json_diff_parses_and_names_its_fields() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path().join("ws");
    workspace_repo(&ws);
    fs::remove_file(ws.join("tenants/initech.yaml")).unwrap();
    let out = kiln(&ws)
        .args(["diff", "--base", "HEAD", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["ok"], true);
    assert_eq!(v["differences"], true);
    assert_eq!(v["base"], "HEAD");
    let summary = v["summary"].as_array().unwrap();
    let apps: Vec<&str> = summary
        .iter()
        .map(|s| s["application"].as_str().unwrap())
        .collect();
    assert!(apps.contains(&"initech-workloads"), "{apps:?}");
    let removed = v["objects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["kind"] == "Deployment" && o["namespace"] == "initech")
        .unwrap();
    assert_eq!(removed["change"], "removed");
    assert_eq!(removed["application"], "initech-workloads");
    assert_eq!(removed["group"], "apps");
    assert!(removed["diff"]
        .as_str()
        .unwrap()
        .contains("\n+++ /dev/null\n"));
    assert!(v["totals"]["removed"].as_u64().unwrap() > 0);
}

#[test]
fn diff_of_an_unknown_ref_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path().join("ws");
    workspace_repo(&ws);
    let out = kiln(&ws).args(["diff", "--base", "nope"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).ends_with(
        "error[K0906]: `nope` is not a commit of the repository\n  = hint: name a branch, a tag or a commit; in CI, fetch the target branch first (`git fetch origin main`)\n\ndiff failed: 1 error found\n"
    ), "{}", stderr(&out));
    assert!(stdout(&out).is_empty());
}

/// Runs `kiln diff --base HEAD` in `ws` in each format: text, markdown, and the
/// `dataAtRisk` of the JSON document. Each exits 0 (no `--exit-code`).
fn diffs(ws: &Path) -> (String, String, serde_json::Value) {
    let run = |format: &str| {
        let out = kiln(ws)
            .args(["diff", "--base", "HEAD", "--format", format])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        stdout(&out)
    };
    let json: serde_json::Value = serde_json::from_str(&run("json")).unwrap();
    (run("text"), run("markdown"), json["dataAtRisk"].clone())
}

#[test]
fn a_renamed_namespace_and_its_claim_are_listed_first() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path().join("ws");
    workspace_repo(&ws);
    let settings = ws.join("blueprints/news-training/pipeline.yaml");
    let mut text = fs::read_to_string(&settings).unwrap();
    text.push_str("namespace: news-training-v2\n");
    fs::write(&settings, text).unwrap();

    let (text, md, json) = diffs(&ws);
    let section = "data at risk: 2 changes delete or recreate objects
  renamed Namespace news-training to news-training-v2 in pipeline-news-training
    Argo CD leaves it in the cluster (`Prune=false`), out of sync, until it is deleted by hand; `Namespace news-training-v2` is created empty
  renamed PersistentVolumeClaim news-training/shared-data-shared to news-training-v2/shared-data-shared in pipeline-news-training
    Argo CD leaves it in the cluster (`Prune=false`), out of sync, until it is deleted by hand; `PersistentVolumeClaim news-training-v2/shared-data-shared` is a new, empty claim

kiln-root: 2 changed
";
    assert!(text.starts_with(section), "{text}");
    let section = "### kiln diff against `HEAD`

#### Data at risk

2 changes delete or recreate objects:

- **renamed** `Namespace news-training` to `news-training-v2` in `pipeline-news-training`: Argo CD leaves it in the cluster (`Prune=false`), out of sync, until it is deleted by hand; `Namespace news-training-v2` is created empty
- **renamed** `PersistentVolumeClaim news-training/shared-data-shared` to `news-training-v2/shared-data-shared` in `pipeline-news-training`: Argo CD leaves it in the cluster (`Prune=false`), out of sync, until it is deleted by hand; `PersistentVolumeClaim news-training-v2/shared-data-shared` is a new, empty claim

**42 objects differ** in 2 applications (20 added, 2 changed, 20 removed); ";
    assert!(md.starts_with(section), "{md}");
    assert_eq!(
        json,
        serde_json::json!([
            {
                "risk": "renamed", "application": "pipeline-news-training",
                "group": "", "kind": "Namespace", "namespace": "", "name": "news-training",
                "renamedTo": {"group": "", "kind": "Namespace", "namespace": "", "name": "news-training-v2"},
                "movedTo": null, "fields": [], "guarded": true,
                "consequence": "Argo CD leaves it in the cluster (`Prune=false`), out of sync, until it is deleted by hand; `Namespace news-training-v2` is created empty"
            },
            {
                "risk": "renamed", "application": "pipeline-news-training",
                "group": "", "kind": "PersistentVolumeClaim", "namespace": "news-training", "name": "shared-data-shared",
                "renamedTo": {"group": "", "kind": "PersistentVolumeClaim", "namespace": "news-training-v2", "name": "shared-data-shared"},
                "movedTo": null, "fields": [], "guarded": true,
                "consequence": "Argo CD leaves it in the cluster (`Prune=false`), out of sync, until it is deleted by hand; `PersistentVolumeClaim news-training-v2/shared-data-shared` is a new, empty claim"
            }
        ])
    );

    // A claim the base does not guard (an output of an earlier kiln) is deleted.
    let claim =
        "out/pipelines/news-training/news-training/persistentvolumeclaim_shared-data-shared.yaml";
    let guarded = fs::read_to_string(ws.join(claim)).unwrap();
    fs::write(
        ws.join(claim),
        guarded.replace(
            "    argocd.argoproj.io/sync-options: Prune=false,Delete=false\n",
            "",
        ),
    )
    .unwrap();
    git(&ws, &["commit", "-q", "-am", "an unguarded claim"]);
    let (text, _, _) = diffs(&ws);
    assert!(
        text.contains("\n  renamed PersistentVolumeClaim news-training/shared-data-shared to news-training-v2/shared-data-shared in pipeline-news-training\n    Argo CD deletes it, and its volume unless the volume's reclaim policy is `Retain`; `PersistentVolumeClaim news-training-v2/shared-data-shared` is a new, empty claim\n\n"),
        "{text}"
    );
}

#[test]
fn a_change_kubernetes_refuses_is_listed_first() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path().join("ws");
    workspace_repo(&ws);
    // Another storage class and a smaller size for the shared folder; a larger volume
    // for Acme's StatefulSet.
    let settings = ws.join("blueprints/news-training/pipeline.yaml");
    let text = fs::read_to_string(&settings).unwrap();
    fs::write(
        &settings,
        text.replace("size: 20Gi", "size: 10Gi")
            .replace("storageClassName: efs", "storageClassName: efs-2"),
    )
    .unwrap();
    let tenant = ws.join("tenants/acme.yaml");
    let text = fs::read_to_string(&tenant).unwrap();
    fs::write(
        &tenant,
        text.replace(
            "  text-to-sql:\n",
            "  ray-serve:\n    storage:\n      size: 100Gi\n  text-to-sql:\n",
        ),
    )
    .unwrap();

    let (text, md, json) = diffs(&ws);
    let section = "data at risk: 2 changes delete or recreate objects
  recreated StatefulSet acme/ray-serve in acme-workloads: `spec.volumeClaimTemplates` changed
    Kubernetes refuses the change: the sync fails until the StatefulSet is deleted and created again; its claims stay as they are
  recreated PersistentVolumeClaim news-training/shared-data-shared in pipeline-news-training: `spec.storageClassName`, `spec.resources.requests.storage` changed
    Kubernetes refuses the change (a claim's storage can only grow, the rest of its spec is fixed): the sync fails until the claim is deleted and created again, empty

acme-workloads: 1 changed
";
    assert!(text.starts_with(section), "{text}");
    let section = "### kiln diff against `HEAD`

#### Data at risk

2 changes delete or recreate objects:

- **recreated** `StatefulSet acme/ray-serve` in `acme-workloads`: `spec.volumeClaimTemplates` changed. Kubernetes refuses the change: the sync fails until the StatefulSet is deleted and created again; its claims stay as they are
- **recreated** `PersistentVolumeClaim news-training/shared-data-shared` in `pipeline-news-training`: `spec.storageClassName`, `spec.resources.requests.storage` changed. Kubernetes refuses the change (a claim's storage can only grow, the rest of its spec is fixed): the sync fails until the claim is deleted and created again, empty

**2 objects differ** in 2 applications (2 changed); ";
    assert!(md.starts_with(section), "{md}");
    assert_eq!(
        json,
        serde_json::json!([
            {
                "risk": "recreated", "application": "acme-workloads",
                "group": "apps", "kind": "StatefulSet", "namespace": "acme", "name": "ray-serve",
                "renamedTo": null, "movedTo": null, "fields": ["spec.volumeClaimTemplates"], "guarded": false,
                "consequence": "Kubernetes refuses the change: the sync fails until the StatefulSet is deleted and created again; its claims stay as they are"
            },
            {
                "risk": "recreated", "application": "pipeline-news-training",
                "group": "", "kind": "PersistentVolumeClaim", "namespace": "news-training", "name": "shared-data-shared",
                "renamedTo": null, "movedTo": null,
                "fields": ["spec.storageClassName", "spec.resources.requests.storage"], "guarded": false,
                "consequence": "Kubernetes refuses the change (a claim's storage can only grow, the rest of its spec is fixed): the sync fails until the claim is deleted and created again, empty"
            }
        ])
    );
    // It counts as any difference does: `--exit-code` exits 1.
    let out = kiln(&ws)
        .args(["diff", "--base", "HEAD", "--exit-code"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn a_change_without_risk_has_no_section() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path().join("ws");
    workspace_repo(&ws);
    let tenant = ws.join("tenants/acme.yaml");
    let text = fs::read_to_string(&tenant).unwrap();
    fs::write(&tenant, text.replace("replicas: 2", "replicas: 3")).unwrap();
    let (text, md, json) = diffs(&ws);
    assert!(text.starts_with("acme-workloads: 1 changed\n"), "{text}");
    assert!(
        md.starts_with("### kiln diff against `HEAD`\n\n**1 object differs**"),
        "{md}"
    );
    assert_eq!(json, serde_json::json!([]));
}

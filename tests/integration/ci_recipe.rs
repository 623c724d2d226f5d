//! The CI recipes of docs/ci.md, run command by command, in order, on temporary git
//! repositories: a workspace repository with a pull request, and a rendered repository
//! that the merge publishes to.

// A panic in a test is a failing test, so tests may unwrap, expect and index.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use crate::common;

use std::fs;
use std::path::Path;
use std::process::Command;

use common::{git, workspace_repo};

/// The commands both recipes run on a pull request, as written in docs/ci.md.
const PULL_REQUEST: [&str; 4] = [
    "kiln check",
    "kiln build --check",
    "git fetch --no-tags origin \"$BASE_REF\"",
    "kiln diff --base \"origin/$BASE_REF\" --format markdown > kiln-diff.md",
];

/// The command both recipes run on a merge.
const MERGE: [&str; 1] =
    ["kiln publish --repo \"$RENDERED_REPO\" --branch \"$RENDERED_BRANCH\" --push"];

/// Runs one line of a recipe with bash, as a CI runner would.
fn step(dir: &Path, line: &str, env: &[(&str, &str)]) -> String {
    let kiln = Path::new(env!("CARGO_BIN_EXE_kiln"));
    let path = format!(
        "{}:{}",
        kiln.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new("bash")
        .args(["-euo", "pipefail", "-c", line])
        .current_dir(dir)
        .env("PATH", path)
        .env("NO_COLOR", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .envs(env.iter().copied())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "`{line}` failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn the_documented_recipes_hold_these_commands() {
    let doc = fs::read_to_string(common::repo().join("docs/ci.md")).unwrap();
    for line in PULL_REQUEST.iter().chain(MERGE.iter()) {
        // Once in the GitHub workflow, once in the GitLab job.
        assert!(
            doc.matches(line).count() >= 2,
            "docs/ci.md lacks `{line}` in a recipe"
        );
    }
}

#[test]
fn a_pull_request_then_its_merge() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    // The workspace repository on the forge, and the rendered repository.
    let author = root.join("author");
    workspace_repo(&author);
    git(root, &["init", "-q", "--bare", "origin.git"]);
    git(root, &["init", "-q", "--bare", "rendered.git"]);
    let origin = root.join("origin.git");
    git(
        &author,
        &["remote", "add", "origin", origin.to_str().unwrap()],
    );
    git(&author, &["push", "-q", "origin", "main"]);

    // The author opens a pull request: globex scales trino, and `out/` is rebuilt.
    git(&author, &["checkout", "-q", "-b", "scale-trino"]);
    let spec = fs::read_to_string(author.join("tenants/globex.yaml")).unwrap();
    let with_replicas = spec.replace("services:\n", "services:\n  trino:\n    replicas: 4\n");
    assert_ne!(with_replicas, spec, "the globex spec has a `services` key");
    fs::write(author.join("tenants/globex.yaml"), with_replicas).unwrap();
    common::kiln(&author).arg("build").assert().success();
    git(&author, &["add", "-A"]);
    git(
        &author,
        &["commit", "-q", "-m", "globex: four trino workers"],
    );
    git(&author, &["push", "-q", "origin", "scale-trino"]);

    // CI on the pull request: a fresh checkout of the branch.
    git(
        root,
        &[
            "clone",
            "-q",
            "--branch",
            "scale-trino",
            origin.to_str().unwrap(),
            "pr",
        ],
    );
    let pr = root.join("pr");
    for line in PULL_REQUEST {
        step(&pr, line, &[("BASE_REF", "main")]);
    }
    let comment = fs::read_to_string(pr.join("kiln-diff.md")).unwrap();
    assert!(
        comment.starts_with("### kiln diff against `origin/main`\n\n**"),
        "{comment}"
    );
    assert!(comment.contains("| `globex-workloads` | 0 | "), "{comment}");
    assert!(
        comment.contains("\n-  replicas: 2\n+  replicas: 4\n"),
        "{comment}"
    );

    // The merge, and CI on the default branch.
    git(&author, &["checkout", "-q", "main"]);
    git(&author, &["merge", "-q", "--ff-only", "scale-trino"]);
    git(&author, &["push", "-q", "origin", "main"]);
    git(root, &["clone", "-q", origin.to_str().unwrap(), "merged"]);
    let merged = root.join("merged");
    let rendered = format!("file://{}", root.join("rendered.git").display());
    let env = [
        ("RENDERED_REPO", rendered.as_str()),
        ("RENDERED_BRANCH", "main"),
    ];
    for line in MERGE {
        let said = step(&merged, line, &env);
        assert!(said.contains("published to `main` of `file://"), "{said}");
    }
    let files = git(
        &root.join("rendered.git"),
        &["ls-tree", "-r", "--name-only", "main"],
    );
    assert!(files.contains("tenants/globex/workloads/globex/deployment_trino.yaml\n"));
    let trino = git(
        &root.join("rendered.git"),
        &[
            "show",
            "main:tenants/globex/workloads/globex/deployment_trino.yaml",
        ],
    );
    assert!(trino.contains("  replicas: 4\n"), "{trino}");
    let source = git(&merged, &["rev-parse", "HEAD"]);
    let message = git(
        &root.join("rendered.git"),
        &["log", "-1", "--format=%B", "main"],
    );
    assert!(
        message.contains(&format!("Kiln-Source-Commit: {}", source.trim())),
        "{message}"
    );
    assert!(
        message.contains(&format!("Kiln-Source-Repo: {}", origin.display())),
        "{message}"
    );

    // The job runs again (a retry): nothing to publish.
    for line in MERGE {
        let said = step(&merged, line, &env);
        assert!(said.contains("nothing to publish"), "{said}");
    }
    assert_eq!(
        git(&root.join("rendered.git"), &["rev-list", "--count", "main"]).trim(),
        "1"
    );
}

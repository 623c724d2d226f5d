//! CLI output as snapshots (insta): every command's `--help`, the diagnostics of a
//! broken workspace in text and JSON, and `kiln diff` in each format. A change to any
//! of them shows as a snapshot diff; `cargo insta review` (or `INSTA_UPDATE=always
//! cargo test --test integration cli_output`) accepts it.

// A panic in a test is a failing test, so tests may unwrap, expect and index.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use crate::common;

use std::path::Path;

use common::{git, kiln, minimal_workspace, write_files};

/// Runs kiln in `ws` and returns its exit code, stdout and stderr, as one text.
fn run(ws: &Path, args: &[&str]) -> String {
    let out = kiln(ws).args(args).output().unwrap();
    format!(
        "exit: {}\n--- stdout\n{}--- stderr\n{}",
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn help() {
    let tmp = tempfile::tempdir().unwrap();
    insta::assert_snapshot!("help", run(tmp.path(), &["--help"]));
    for command in [
        "check", "build", "diff", "publish", "explain", "schema", "defaults",
    ] {
        insta::assert_snapshot!(
            format!("help_{command}"),
            run(tmp.path(), &[command, "--help"])
        );
    }
}

/// A workspace with one mistake of each common kind.
fn broken(ws: &Path) {
    minimal_workspace(ws);
    write_files(
        ws,
        &[(
            "tenants/acme.yaml",
            "environment: staging\nflags:\n  ontolgy: true\ningress:\n  enabled: no\nservices:\n  trino:\n    replica: 2\n",
        )],
    );
}

#[test]
fn diagnostics_in_text_and_json() {
    let tmp = tempfile::tempdir().unwrap();
    broken(tmp.path());
    insta::assert_snapshot!("check_text", run(tmp.path(), &["check"]));
    insta::assert_snapshot!(
        "check_json",
        run(tmp.path(), &["--format", "json", "check"])
    );
    insta::assert_snapshot!("build_text", run(tmp.path(), &["build"]));
}

#[test]
fn diff_in_each_format() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path();
    minimal_workspace(ws);
    kiln(ws).arg("build").assert().success();
    git(ws, &["init", "-q"]);
    git(ws, &["add", "-A"]);
    git(ws, &["commit", "-q", "-m", "base"]);
    // A value changes, and a quota: objects change, none arrive or leave.
    write_files(
        ws,
        &[(
            "tenants/acme.yaml",
            "environment: dev\nflags:\n  ontology: true\nquota:\n  pods: \"60\"\nservices:\n  trino:\n    replicas: 2\n",
        )],
    );
    for format in ["text", "markdown", "json"] {
        insta::assert_snapshot!(
            format!("diff_{format}"),
            run(ws, &["diff", "--base", "HEAD", "--format", format])
        );
    }
}

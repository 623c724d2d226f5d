//! The commands' normal output, through the real binary.

// A panic in a test is a failing test, so tests may unwrap, expect and index.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use crate::common;

use common::{kiln, minimal_workspace, repo};

#[test]
fn schema_lists_kinds_and_prints_each() {
    let out = kiln(&repo()).arg("schema").output().unwrap();
    assert!(out.status.success());
    let list = String::from_utf8_lossy(&out.stdout);
    for kind in ["kiln", "catalog", "environment", "tenant", "values"] {
        assert!(list.lines().any(|l| l.starts_with(kind)), "{list}");
        let out = kiln(&repo()).args(["schema", kind]).output().unwrap();
        assert!(out.status.success());
        let schema: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(
            schema["$schema"],
            "https://json-schema.org/draft/2020-12/schema"
        );
        let on_disk: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(repo().join(format!("schemas/{kind}.schema.json"))).unwrap(),
        )
        .unwrap();
        assert_eq!(
            schema, on_disk,
            "the embedded `{kind}` schema is the one in schemas/"
        );
    }
    let bad = kiln(&repo()).args(["schema", "tenants"]).output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn build_reports_what_it_wrote() {
    let tmp = tempfile::tempdir().unwrap();
    minimal_workspace(tmp.path());
    let out = kiln(tmp.path()).arg("build").output().unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with("wrote out/: ")
            && stderr.ends_with(" new, 0 changed, 0 removed, 0 unchanged\n"),
        "{stderr}"
    );

    let json = kiln(tmp.path())
        .args(["--format", "json", "build"])
        .output()
        .unwrap();
    assert!(json.status.success());
    assert!(json.stderr.is_empty());
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(v["ok"], true);
    assert_eq!(v["wrote"], false);
    assert_eq!(v["missing"], serde_json::json!([]));
    assert!(v["unchanged"].as_u64().unwrap() > 10);
}

#[test]
fn check_counts_tenants_and_objects() {
    let tmp = tempfile::tempdir().unwrap();
    minimal_workspace(tmp.path());
    let out = kiln(tmp.path()).arg("check").output().unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with("ok: 1 tenant, ") && stderr.ends_with(" objects\n"),
        "{stderr}"
    );
    assert!(!tmp.path().join("out").exists(), "check must not write");
}

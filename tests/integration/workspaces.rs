//! The root workspace and every example compile to exactly their committed `out/`;
//! builds are deterministic; `build --check`, no-op builds and file ownership behave.

// A panic in a test is a failing test, so tests may unwrap, expect and index.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use crate::common;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use common::{assert_same_tree, copy_dir, kiln, read_tree, repo, write_files};

/// Every workspace in the repository: the root and each folder of `examples/`.
fn workspaces() -> Vec<PathBuf> {
    let mut all = vec![repo()];
    let examples = repo().join("examples");
    let mut found: Vec<PathBuf> = fs::read_dir(&examples)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.join("kiln.yaml").exists())
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    all.extend(found);
    all
}

/// Builds a copy of `ws` in a temporary folder and returns the output tree.
fn build_copy(ws: &Path, extra_args: &[&str]) -> std::collections::BTreeMap<String, Vec<u8>> {
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(ws, tmp.path());
    kiln(tmp.path())
        .args(extra_args)
        .arg("build")
        .assert()
        .success();
    read_tree(&tmp.path().join("out"))
}

#[test]
fn there_are_at_least_two_examples() {
    assert!(
        workspaces().len() >= 3,
        "examples/ should hold at least two workspaces"
    );
}

#[test]
fn every_workspace_compiles_to_its_committed_output() {
    for ws in workspaces() {
        let built = build_copy(&ws, &[]);
        let committed = read_tree(&ws.join("out"));
        assert!(
            !committed.is_empty(),
            "{} has no committed out/",
            ws.display()
        );
        assert_same_tree(&built, &committed, &ws.display().to_string());
    }
}

#[test]
fn every_workspace_checks_clean_without_warnings() {
    for ws in workspaces() {
        let out = kiln(&ws).arg("check").output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{}: {stderr}", ws.display());
        assert!(
            stderr.lines().last().is_some_and(|l| l.starts_with("ok: ")),
            "{}: {stderr}",
            ws.display()
        );
        assert!(!stderr.contains("warning:"), "{}: {stderr}", ws.display());
    }
}

#[test]
fn build_check_passes_on_the_committed_output() {
    for ws in workspaces() {
        let out = kiln(&ws).args(["build", "--check"]).output().unwrap();
        assert!(
            out.status.success(),
            "{}: {}",
            ws.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn output_is_identical_for_any_thread_count_and_input_order() {
    let one = build_copy(&repo(), &["-j", "1"]);
    let two = build_copy(&repo(), &["-j", "2"]);
    assert_same_tree(&two, &one, "-j 2 against -j 1");

    // The same workspace with the tenant files created in reverse order.
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(&repo(), tmp.path());
    let tenants = tmp.path().join("tenants");
    let mut files: Vec<(PathBuf, Vec<u8>)> = fs::read_dir(&tenants)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| (e.path(), fs::read(e.path()).unwrap()))
        .collect();
    files.sort();
    fs::remove_dir_all(&tenants).unwrap();
    fs::create_dir(&tenants).unwrap();
    for (path, bytes) in files.iter().rev() {
        fs::write(path, bytes).unwrap();
    }
    kiln(tmp.path())
        .args(["-j", "3", "build"])
        .assert()
        .success();
    assert_same_tree(
        &read_tree(&tmp.path().join("out")),
        &one,
        "reversed input order",
    );
}

#[test]
fn a_no_op_rebuild_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(&repo(), tmp.path());
    kiln(tmp.path()).arg("build").assert().success();
    let index = tmp.path().join("out/.kiln-owned");
    let before = fs::metadata(&index).unwrap().modified().unwrap();
    let out = kiln(tmp.path()).arg("build").output().unwrap();
    assert!(out.status.success());
    let expected = format!(
        "out/ is up to date ({} files)\n",
        read_tree(&repo().join("out")).len()
    );
    assert!(String::from_utf8_lossy(&out.stderr).ends_with(&expected));
    assert_eq!(fs::metadata(&index).unwrap().modified().unwrap(), before);
}

#[test]
fn build_check_lists_missing_stale_and_extra_files_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path();
    copy_dir(&repo(), ws);
    write_files(ws, &[("tenants/zeta.yaml", "environment: dev\n")]);
    kiln(ws).arg("build").assert().success();
    fs::remove_file(ws.join("tenants/zeta.yaml")).unwrap();
    fs::write(
        ws.join("out/cluster/priorityclass_dataplane-critical.yaml"),
        "edited by hand\n",
    )
    .unwrap();
    fs::remove_file(ws.join("out/tenants/acme/workloads/acme/service_trino.yaml")).unwrap();
    let before = read_tree(&ws.join("out"));

    let out = kiln(ws).args(["build", "--check"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("missing  out/tenants/acme/workloads/acme/service_trino.yaml\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("stale    out/cluster/priorityclass_dataplane-critical.yaml\n"),
        "{stdout}"
    );
    assert!(stdout.contains("stale    out/.kiln-owned\n"), "{stdout}");
    // The platform project no longer lists zeta's namespace.
    assert!(
        stdout.contains("stale    out/argocd/appproject_kiln-platform.yaml\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("extra    out/tenants/zeta/platform/zeta/namespace_zeta.yaml\n"),
        "{stdout}"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("out/ is out of date: 1 missing, 3 stale, "),
        "{stderr}"
    );
    assert!(stderr.ends_with(" extra; run `kiln build`\n"), "{stderr}");
    assert_eq!(read_tree(&ws.join("out")), before, "--check must not write");

    let json = kiln(ws)
        .args(["--format", "json", "build", "--check"])
        .output()
        .unwrap();
    assert_eq!(json.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(v["ok"], false);
    assert_eq!(
        v["missing"],
        serde_json::json!(["tenants/acme/workloads/acme/service_trino.yaml"])
    );
}

#[test]
fn removed_tenants_disappear_and_foreign_files_stay() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path();
    copy_dir(&repo(), ws);
    write_files(ws, &[("tenants/zeta.yaml", "environment: dev\n")]);
    kiln(ws).arg("build").assert().success();
    assert!(ws
        .join("out/tenants/zeta/workloads/zeta/deployment_trino.yaml")
        .exists());
    write_files(
        ws,
        &[
            ("out/README.md", "not kiln's\n"),
            ("out/tenants/zeta/workloads/zeta/notes.txt", "mine\n"),
        ],
    );
    fs::remove_file(ws.join("tenants/zeta.yaml")).unwrap();
    let out = kiln(ws).arg("build").output().unwrap();
    assert!(out.status.success());
    assert!(!ws
        .join("out/tenants/zeta/workloads/zeta/deployment_trino.yaml")
        .exists());
    assert_eq!(
        fs::read_to_string(ws.join("out/README.md")).unwrap(),
        "not kiln's\n"
    );
    assert_eq!(
        fs::read_to_string(ws.join("out/tenants/zeta/workloads/zeta/notes.txt")).unwrap(),
        "mine\n"
    );
    let mut expected = read_tree(&repo().join("out"));
    expected.insert("README.md".into(), b"not kiln's\n".to_vec());
    expected.insert(
        "tenants/zeta/workloads/zeta/notes.txt".into(),
        b"mine\n".to_vec(),
    );
    assert_same_tree(
        &read_tree(&ws.join("out")),
        &expected,
        "after removing a tenant",
    );
}

#[test]
fn no_output_path_leaves_the_output_directory_and_no_secret_has_data() {
    for ws in workspaces() {
        for (path, bytes) in read_tree(&ws.join("out")) {
            assert!(
                !path.split('/').any(|s| s == ".." || s.is_empty()),
                "{path}"
            );
            let text = String::from_utf8_lossy(&bytes);
            if path.ends_with(".yaml") {
                assert!(
                    !text.starts_with("apiVersion: v1\nkind: Secret\n"),
                    "{} has a Secret: {path}",
                    ws.display()
                );
            }
            assert!(
                !path.ends_with("Chart.yaml") && !path.ends_with("kustomization.yaml"),
                "{path}"
            );
        }
    }
}

#[test]
fn a_hand_written_file_where_kiln_would_write_blocks_the_build() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path();
    common::minimal_workspace(ws);
    write_files(
        ws,
        &[(
            "out/tenants/acme/workloads/acme/deployment_trino.yaml",
            "# mine\n",
        )],
    );
    let before = read_tree(&ws.join("out"));
    let out = kiln(ws).arg("build").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error[K0803]: `out/tenants/acme/workloads/acme/deployment_trino.yaml` is not kiln's, and the build would replace it
  = hint: move or delete it; kiln changes only the files it wrote (those listed in `out/.kiln-owned`)

build failed: 1 error found; out/ is unchanged
"
    );
    assert_eq!(read_tree(&ws.join("out")), before);
    let check = kiln(ws).args(["build", "--check"]).output().unwrap();
    assert_eq!(check.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&check.stdout)
        .contains("foreign  out/tenants/acme/workloads/acme/deployment_trino.yaml\n"));
}

/// Every file of a tree with its inode and modification time.
fn stamps(dir: &Path) -> BTreeMap<String, (u64, std::time::SystemTime)> {
    use std::os::unix::fs::MetadataExt;
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let m = e.metadata().unwrap();
            let rel = e
                .path()
                .strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .to_string();
            (rel, (m.ino(), m.modified().unwrap()))
        })
        .collect()
}

#[test]
fn a_changed_tenant_rewrites_only_its_files() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path();
    copy_dir(&repo(), ws);
    kiln(ws).arg("build").assert().success();
    assert!(ws.join(".out.kiln-cache").exists());
    let before = stamps(&ws.join("out"));
    let spec = fs::read_to_string(ws.join("tenants/initech.yaml")).unwrap();
    fs::write(
        ws.join("tenants/initech.yaml"),
        spec.replace("cpu: 500m, memory: 2Gi", "cpu: 750m, memory: 2Gi"),
    )
    .unwrap();
    let out = kiln(ws).arg("build").output().unwrap();
    assert!(out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .ends_with("wrote out/: 0 new, 1 changed, 0 removed, 304 unchanged\n"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let after = stamps(&ws.join("out"));
    let rewritten: Vec<&String> = after
        .keys()
        .filter(|p| before.get(*p) != after.get(*p))
        .collect();
    assert_eq!(
        rewritten,
        ["tenants/initech/workloads/initech/deployment_trino.yaml"]
    );
    // The result is what a build without any cache gives.
    let cached = read_tree(&ws.join("out"));
    fs::remove_file(ws.join(".out.kiln-cache")).unwrap();
    fs::remove_dir_all(ws.join("out")).unwrap();
    kiln(ws).arg("build").assert().success();
    assert_eq!(read_tree(&ws.join("out")), cached);
}

#[test]
fn a_file_edited_by_hand_is_put_back() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path();
    copy_dir(&repo(), ws);
    kiln(ws).arg("build").assert().success();
    let built = read_tree(&ws.join("out"));
    let file = ws.join("out/tenants/acme/workloads/acme/service_trino.yaml");
    fs::write(&file, "edited by hand\n").unwrap();
    fs::remove_file(ws.join("out/cluster/priorityclass_dataplane-critical.yaml")).unwrap();
    // The cache no longer vouches for these units: check and build --check see it.
    let check = kiln(ws).args(["build", "--check"]).output().unwrap();
    assert_eq!(check.status.code(), Some(1));
    let out = kiln(ws).arg("build").output().unwrap();
    assert!(out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .ends_with("wrote out/: 1 new, 1 changed, 0 removed, 303 unchanged\n"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(read_tree(&ws.join("out")), built);
}

#[test]
fn a_cache_of_another_kiln_is_not_used() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path();
    copy_dir(&repo(), ws);
    kiln(ws).arg("build").assert().success();
    let cache = ws.join(".out.kiln-cache");
    let text = fs::read_to_string(&cache).unwrap();
    let (first, rest) = text.split_once('\n').unwrap();
    assert!(first.starts_with("kiln-cache 1\t"), "{first}");
    // A cache that claims a template renders something else, written by another kiln.
    fs::write(&cache, format!("kiln-cache 1\tanother-kiln\n{rest}")).unwrap();
    fs::write(
        ws.join("out/cluster/priorityclass_dataplane-critical.yaml"),
        "stale\n",
    )
    .unwrap();
    let out = kiln(ws).arg("build").output().unwrap();
    assert!(out.status.success());
    assert_eq!(
        fs::read(ws.join("out/cluster/priorityclass_dataplane-critical.yaml")).unwrap(),
        fs::read(repo().join("out/cluster/priorityclass_dataplane-critical.yaml")).unwrap()
    );
}

#[test]
fn the_cache_of_a_first_build_vouches_for_every_file_it_wrote() {
    // The stamps are taken as the files are written; wrong ones would make the next
    // build render again and write the cache anew.
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path();
    copy_dir(&repo(), ws);
    kiln(ws).arg("build").assert().success();
    let cache = ws.join(".out.kiln-cache");
    let before = (
        fs::read(&cache).unwrap(),
        fs::metadata(&cache).unwrap().modified().unwrap(),
    );
    let files = before
        .0
        .split(|b| *b == b'\n')
        .filter(|l| l.starts_with(b"F\t"));
    assert_eq!(files.count(), read_tree(&ws.join("out")).len() - 1);
    kiln(ws).arg("build").assert().success();
    let after = (
        fs::read(&cache).unwrap(),
        fs::metadata(&cache).unwrap().modified().unwrap(),
    );
    assert!(before == after, "the second build rewrote the cache");
}

#[test]
fn timings_name_each_stage_of_a_build() {
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(&repo(), tmp.path());
    let out = kiln(tmp.path())
        .args(["build", "--timings"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stages: Vec<&str> = stderr
        .lines()
        .skip_while(|l| *l != "timings:")
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.trim().rsplit_once("  ").map(|(name, _)| name.trim()))
        .collect();
    assert_eq!(
        stages,
        [
            "load, validate and plan",
            "lock, read the build cache",
            "render, check and serialise",
            "save the cache, move into place",
            "total"
        ],
        "{stderr}"
    );
}

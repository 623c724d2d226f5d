//! Helpers shared by the integration tests: running the real binary, copying
//! workspaces, reading whole output trees.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// The repository root (the root workspace).
pub(crate) fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The kiln binary, run in `workspace`.
pub(crate) fn kiln(workspace: &Path) -> Command {
    let mut cmd = Command::cargo_bin("kiln").expect("the kiln binary is built");
    cmd.arg("-C").arg(workspace);
    cmd.env("NO_COLOR", "1");
    cmd
}

/// Every file under `dir`, by `/`-separated relative path.
pub(crate) fn read_tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    if !dir.exists() {
        return files;
    }
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.expect("walkable");
        if entry.file_type().is_file() {
            let rel = entry
                .path()
                .strip_prefix(dir)
                .expect("inside")
                .to_string_lossy()
                .replace('\\', "/");
            files.insert(rel, fs::read(entry.path()).expect("readable"));
        }
    }
    files
}

/// Copies `from` into `to` (created), skipping what is not workspace input: `out/`,
/// `target/`, `.git/`, the source, tests, docs, benchmark and kiln's files next to the
/// output (`.out.kiln-cache`, `.out.kiln-lock`, …).
pub(crate) fn copy_dir(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from).sort_by_file_name() {
        let entry = entry.expect("walkable");
        let rel = entry.path().strip_prefix(from).expect("inside");
        let first = rel
            .components()
            .next()
            .map(|c| c.as_os_str().to_string_lossy().to_string());
        if matches!(
            first.as_deref(),
            Some("out" | "target" | ".git" | "examples" | "tests" | "src" | "bench" | "docs")
        ) || first
            .as_deref()
            .is_some_and(|f| f.starts_with('.') && f.contains(".kiln-"))
        {
            continue;
        }
        let target = to.join(rel);
        if entry.file_type().is_dir() {
            fs::create_dir_all(&target).expect("mkdir");
        } else if entry.file_type().is_file() {
            fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// Asserts two trees hold the same paths with the same bytes, naming the differences.
pub(crate) fn assert_same_tree(
    actual: &BTreeMap<String, Vec<u8>>,
    expected: &BTreeMap<String, Vec<u8>>,
    what: &str,
) {
    let missing: Vec<&String> = expected
        .keys()
        .filter(|k| !actual.contains_key(*k))
        .collect();
    let extra: Vec<&String> = actual
        .keys()
        .filter(|k| !expected.contains_key(*k))
        .collect();
    let differ: Vec<&String> = expected
        .iter()
        .filter(|(k, v)| actual.get(*k).is_some_and(|a| a != *v))
        .map(|(k, _)| k)
        .collect();
    if let Some(first) = differ.first() {
        let a = String::from_utf8_lossy(&actual[*first]);
        let e = String::from_utf8_lossy(&expected[*first]);
        let diff = similar::TextDiff::from_lines(e.as_ref(), a.as_ref())
            .unified_diff()
            .header("expected", "actual")
            .to_string();
        panic!("{what}: {} files differ, first `{first}`:\n{diff}\nmissing: {missing:?}\nextra: {extra:?}", differ.len());
    }
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{what}: missing {missing:?}, extra {extra:?}"
    );
}

/// Writes files (path → content) under `root`.
pub(crate) fn write_files(root: &Path, files: &[(&str, &str)]) {
    for (path, content) in files {
        let p = root.join(path);
        fs::create_dir_all(p.parent().expect("has parent")).expect("mkdir");
        fs::write(p, content).expect("write");
    }
}

/// A small workspace that uses the catalog and templates embedded in kiln.
pub(crate) fn minimal_workspace(root: &Path) {
    write_files(
        root,
        &[
            (
                "kiln.yaml",
                "kubernetesVersion: \"1.31\"\nrepoURL: https://git.example.com/rendered.git\nenvironments:\n  dev: {}\n  prod: {}\n",
            ),
            ("tenants/acme.yaml", "environment: dev\nflags:\n  ontology: true\n"),
        ],
    );
}

/// Runs git in `dir` with a fixed identity and no user configuration; panics with its
/// output when it fails. Returns its stdout.
pub(crate) fn git(dir: &Path, args: &[&str]) -> String {
    let out = std::process::Command::new("git")
        .current_dir(dir)
        .args([
            "-c",
            "init.defaultBranch=main",
            "-c",
            "commit.gpgsign=false",
            "-c",
            "advice.detachedHead=false",
        ])
        .args(args)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "Test")
        .env("GIT_AUTHOR_EMAIL", "test@example.com")
        .env("GIT_COMMITTER_NAME", "Test")
        .env("GIT_COMMITTER_EMAIL", "test@example.com")
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A git repository holding a copy of the root workspace with its output built, all
/// committed on `main`.
pub(crate) fn workspace_repo(dir: &Path) {
    copy_dir(&repo(), dir);
    kiln(dir).arg("build").assert().success();
    git(dir, &["init", "-q"]);
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", "workspace"]);
}

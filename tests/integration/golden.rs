//! Golden tests: one folder per case under `tests/golden/`, holding a `workspace/` and
//! either the `expected/` output tree (compared whole: same paths, same bytes, no extra
//! files) or, for a failing case, `expected-stderr.txt` (compared whole, with exit 1).
//! `UPDATE_GOLDEN=1 cargo test --test golden` rewrites the expectations.

// A panic in a test is a failing test, so tests may unwrap, expect and index.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use crate::common;

use std::fs;
use std::path::Path;

use common::{assert_same_tree, kiln, read_tree, repo};

fn copy_all(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from).sort_by_file_name() {
        let entry = entry.unwrap();
        let target = to.join(entry.path().strip_prefix(from).unwrap());
        if entry.file_type().is_dir() {
            fs::create_dir_all(&target).unwrap();
        } else {
            fs::copy(entry.path(), &target).unwrap();
        }
    }
}

fn run_case(case: &Path) {
    let update = std::env::var("UPDATE_GOLDEN").is_ok_and(|v| !v.is_empty() && v != "0");
    let tmp = tempfile::tempdir().unwrap();
    copy_all(&case.join("workspace"), tmp.path());
    let output = kiln(tmp.path()).arg("build").output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    let stderr_file = case.join("expected-stderr.txt");
    if stderr_file.exists() {
        if update {
            fs::write(&stderr_file, &stderr).unwrap();
        }
        assert_eq!(
            output.status.code(),
            Some(1),
            "{}: {stderr}",
            case.display()
        );
        assert_eq!(
            stderr,
            fs::read_to_string(&stderr_file).unwrap(),
            "{}",
            case.display()
        );
        assert!(
            !tmp.path().join("out").exists(),
            "{}: a failed build wrote out/",
            case.display()
        );
        return;
    }
    assert!(output.status.success(), "{}: {stderr}", case.display());
    let built = read_tree(&tmp.path().join("out"));
    let expected_dir = case.join("expected");
    if update {
        let _ = fs::remove_dir_all(&expected_dir);
        for (path, bytes) in &built {
            let p = expected_dir.join(path);
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::write(p, bytes).unwrap();
        }
    }
    assert_same_tree(
        &built,
        &read_tree(&expected_dir),
        &case.display().to_string(),
    );
}

/// One test per case: `golden!(name)` runs `tests/golden/<name with - for _>/`.
macro_rules! golden {
    ($($case:ident),* $(,)?) => {
        $(
            #[test]
            fn $case() {
                run_case(&repo().join("tests/golden").join(stringify!($case).replace('_', "-")));
            }
        )*

        /// The cases named above, as folder names.
        const CASES: &[&str] = &[$(stringify!($case)),*];
    };
}

golden! {
    crds_and_exceptions,
    embedded_defaults,
    jobs_and_hooks,
    merge_semantics,
    output_argocd_tracking_id,
    output_bad_quantity,
    output_crd_violation,
    output_kind_without_schema,
    output_name_too_long,
    output_port_out_of_range,
    output_selector_matches_nothing,
    output_unknown_field,
    output_weaker_security,
    output_wrong_type,
    per_namespace_copies,
    template_error,
    template_reads_a_file,
    template_reads_the_environment,
    yaml11_strings,
}

/// Every folder under `tests/golden/` is a case above, and every case a folder.
#[test]
fn every_case_has_a_test() {
    let root = repo().join("tests/golden");
    let mut folders: Vec<String> = fs::read_dir(&root)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().replace('-', "_"))
        .collect();
    folders.sort();
    let mut cases: Vec<String> = CASES.iter().map(ToString::to_string).collect();
    cases.sort();
    assert_eq!(
        folders, cases,
        "add the case to `golden!` in tests/integration/golden.rs"
    );
}

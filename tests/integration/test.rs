//! The builder for a new test: files in, a command, the expected outcome.
//!
//! ```ignore
//! Test::new()
//!     .file("tenants/acme.yaml", "environment: staging\n")
//!     .args(&["check"])
//!     .status(1)
//!     .stderr("error[K0411]: unknown environment `staging`\n…")
//!     .run();
//! ```
//!
//! `Test::new()` starts from the small workspace of `common::minimal_workspace`,
//! `Test::empty()` from an empty folder. Expected stdout and stderr are compared whole.

use std::path::{Path, PathBuf};

use crate::common::{kiln, minimal_workspace, write_files};

pub(crate) struct Test {
    dir: tempfile::TempDir,
    args: Vec<String>,
    status: i32,
    stdout: Option<String>,
    stderr: Option<String>,
}

/// What a run left: its streams and the workspace, for further checks.
pub(crate) struct Ran {
    pub(crate) dir: tempfile::TempDir,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Ran {
    pub(crate) fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Test {
    /// A test in a copy of the small workspace that uses kiln's embedded catalog.
    pub(crate) fn new() -> Test {
        let test = Test::empty();
        minimal_workspace(test.dir.path());
        test
    }

    /// A test in an empty folder.
    pub(crate) fn empty() -> Test {
        Test {
            dir: tempfile::tempdir().unwrap(),
            args: Vec::new(),
            status: 0,
            stdout: None,
            stderr: None,
        }
    }

    /// Writes `content` to `path` in the workspace (replacing it).
    pub(crate) fn file(self, path: &str, content: &str) -> Test {
        write_files(self.dir.path(), &[(path, content)]);
        self
    }

    /// The command line, after kiln's `-C <workspace>`.
    pub(crate) fn args(mut self, args: &[&str]) -> Test {
        self.args = args.iter().map(ToString::to_string).collect();
        self
    }

    /// The expected exit code (0 unless set).
    pub(crate) fn status(mut self, code: i32) -> Test {
        self.status = code;
        self
    }

    pub(crate) fn stdout(mut self, expected: &str) -> Test {
        self.stdout = Some(expected.to_string());
        self
    }

    pub(crate) fn stderr(mut self, expected: &str) -> Test {
        self.stderr = Some(expected.to_string());
        self
    }

    /// The workspace, to prepare it further before `run`.
    pub(crate) fn path(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }

    /// Runs kiln and checks the exit code and whatever streams were given.
    pub(crate) fn run(self) -> Ran {
        let out = kiln(self.dir.path()).args(&self.args).output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(
            out.status.code(),
            Some(self.status),
            "kiln {:?}\nstdout:\n{stdout}\nstderr:\n{stderr}",
            self.args
        );
        if let Some(expected) = &self.stdout {
            assert_eq!(&stdout, expected, "stdout of kiln {:?}", self.args);
        }
        if let Some(expected) = &self.stderr {
            assert_eq!(&stderr, expected, "stderr of kiln {:?}", self.args);
        }
        assert!(!stderr.contains("panicked"), "{stderr}");
        Ran {
            dir: self.dir,
            stdout,
            stderr,
        }
    }
}

#[test]
fn a_clean_workspace_checks() {
    Test::new()
        .args(&["check"])
        .stderr("ok: 1 tenant, 77 objects\n")
        .run();
}

#[test]
fn an_unknown_environment_is_refused_with_its_code() {
    Test::new()
        .file("tenants/acme.yaml", "environment: staging\n")
        .args(&["check"])
        .status(1)
        .stderr(
            "error[K0411]: unknown environment `staging`
  --> tenants/acme.yaml:1:1
  |
1 | environment: staging
  | ^^^^^^^^^^^
  = at: /environment
  = hint: the environments in kiln.yaml are `dev`, `prod`

check failed: 1 error found
",
        )
        .run();
}

#[test]
fn an_empty_folder_is_not_a_workspace() {
    let ran = Test::empty().args(&["check"]).status(1).stdout("").run();
    assert!(
        ran.stderr
            .starts_with("error[K0101]: no `kiln.yaml` in this directory"),
        "{}",
        ran.stderr
    );
    assert!(ran.path().read_dir().unwrap().next().is_none());
}

#[test]
fn a_build_writes_only_its_output() {
    let test = Test::new().args(&["build"]);
    let ws = test.path();
    let ran = test.run();
    assert!(ran.stderr.starts_with("wrote out/: "), "{}", ran.stderr);
    assert_eq!(ran.stdout, "");
    let mut top: Vec<String> = std::fs::read_dir(&ws)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with(".out."))
        .collect();
    top.sort();
    assert_eq!(top, ["kiln.yaml", "out", "tenants"]);
}

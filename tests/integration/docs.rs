//! Runs every command example in `README.md` and `docs/*.md`, so the documentation
//! cannot drift from the code. One test per page.
//!
//! Conventions a page follows:
//!
//! - A **session** is a fenced block with no language (or `console`) whose first line
//!   starts with `$ `. Each `$ <command>` line is followed by what the command prints,
//!   stdout and stderr merged in order, up to the next `$ ` line or the end of the
//!   block.
//! - A command's output may end with a line `[exit N]`: the exit code. Without one, the
//!   command must exit 0.
//! - In expected output, a line that is only `…` stands for any number of lines (none
//!   too), and `…` inside a line for any text.
//! - `<!-- file: PATH -->` on the line right before a fenced block writes the block's
//!   text to `PATH` (relative to the page's workspace) before the commands after it
//!   run. A block without the marker is an excerpt and is never written.
//! - `<!-- setup: git -->` makes the page's workspace a git repository (branch `main`)
//!   holding everything in it as one commit, where the marker stands.
//!
//! Each page runs, top to bottom, in its own copy of the root workspace (`out/` and
//! `examples/` included), with `sh -c`, the kiln under test first on `PATH` as `kiln`,
//! and a fixed environment (`NO_COLOR=1`, no user git configuration). Files the page
//! writes and commands it runs change that copy for the rest of the page.
//!
//! `UPDATE_DOCS=1 cargo test --test docs` rewrites each expected output that no longer
//! matches, in place, except in sessions that contain `…`: those are kept as written,
//! and a mismatch there fails as without `UPDATE_DOCS`.

// A panic in a test is a failing test, so tests may unwrap, expect and index.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use crate::common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{git, repo};

const ELLIPSIS: &str = "…";

// ---------------------------------------------------------------------------------
// Parsing a page

/// One command of a session, with the lines it is expected to print.
#[derive(Debug, PartialEq)]
struct Example {
    /// 1-based line of the `$ ` line in the page.
    line: usize,
    command: String,
    expected: Vec<String>,
    /// The exit code, from the `[exit N]` line (0 without one).
    exit: i32,
    /// Whether the page has an `[exit N]` line for this command.
    exit_line: bool,
    /// The 0-based range of page lines after the `$ ` line that hold the output and
    /// the `[exit N]` line: what an update replaces.
    span: (usize, usize),
    /// The indentation of the block (a block inside a list item is indented).
    indent: String,
    /// Whether the session holding it has a `…` anywhere (then it is never rewritten).
    elided: bool,
}

#[derive(Debug, PartialEq)]
enum Step {
    File {
        line: usize,
        path: String,
        text: String,
    },
    Git {
        line: usize,
    },
    Command(Example),
}

/// The steps of a page, in order.
fn parse_page(text: &str) -> Vec<Step> {
    let lines: Vec<&str> = text.lines().collect();
    let mut steps = Vec::new();
    let mut file_marker: Option<(usize, String)> = None;
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let trimmed = line.trim();
        if let Some(marker) = trimmed
            .strip_prefix("<!--")
            .and_then(|m| m.strip_suffix("-->"))
            .map(str::trim)
        {
            if let Some(path) = marker.strip_prefix("file:") {
                file_marker = Some((i + 1, path.trim().to_string()));
                assert!(
                    lines
                        .get(i + 1)
                        .is_some_and(|l| l.trim_start().starts_with("```")),
                    "line {}: `<!-- file: … -->` must stand right before a fenced block",
                    i + 1
                );
            } else if marker == "setup: git" {
                steps.push(Step::Git { line: i + 1 });
            } else {
                assert!(
                    !marker.starts_with("file") && !marker.starts_with("setup"),
                    "line {}: unknown marker `{trimmed}`",
                    i + 1
                );
            }
            i += 1;
            continue;
        }
        let Some(fence) = trimmed.strip_prefix("```") else {
            i += 1;
            continue;
        };
        let indent = &line[..line.len() - line.trim_start().len()];
        let language = fence.trim();
        let close = (i + 1..lines.len())
            .find(|&j| lines[j].trim() == "```")
            .unwrap_or_else(|| panic!("line {}: the block is not closed", i + 1));
        let body: Vec<&str> = lines[i + 1..close]
            .iter()
            .map(|l| l.strip_prefix(indent).unwrap_or(l.trim_start()))
            .collect();
        if let Some((marker_line, path)) = file_marker.take() {
            let mut text = body.join("\n");
            text.push('\n');
            steps.push(Step::File {
                line: marker_line,
                path,
                text,
            });
        } else if matches!(language, "" | "console")
            && body.first().is_some_and(|l| l.starts_with("$ "))
        {
            let elided = body.iter().any(|l| l.contains(ELLIPSIS));
            let mut start = 0;
            while start < body.len() {
                let end = (start + 1..body.len())
                    .find(|&k| body[k].starts_with("$ "))
                    .unwrap_or(body.len());
                let mut expected: Vec<String> = body[start + 1..end]
                    .iter()
                    .map(std::string::ToString::to_string)
                    .collect();
                let code = expected.last().and_then(|l| {
                    l.strip_prefix("[exit ")
                        .and_then(|l| l.strip_suffix(']'))
                        .and_then(|n| n.parse().ok())
                });
                if code.is_some() {
                    expected.pop();
                }
                steps.push(Step::Command(Example {
                    line: i + 2 + start,
                    command: body[start][2..].to_string(),
                    expected,
                    exit: code.unwrap_or(0),
                    exit_line: code.is_some(),
                    span: (i + 2 + start, i + 1 + end),
                    indent: indent.to_string(),
                    elided,
                }));
                start = end;
            }
        }
        i = close + 1;
    }
    assert!(
        file_marker.is_none(),
        "a `<!-- file: … -->` marker has no block"
    );
    steps
}

// ---------------------------------------------------------------------------------
// Matching output

/// Whether `line` matches `pattern`, in which `…` stands for any text.
fn line_matches(pattern: &str, line: &str) -> bool {
    let parts: Vec<&str> = pattern.split(ELLIPSIS).collect();
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if parts.len() == 1 {
        return pattern == line;
    }
    if line.len() < first.len() + last.len() || !line.starts_with(first) || !line.ends_with(last) {
        return false;
    }
    let mut rest = &line[first.len()..line.len() - last.len()];
    for middle in &parts[1..parts.len() - 1] {
        match rest.find(middle) {
            Some(at) => rest = &rest[at + middle.len()..],
            None => return false,
        }
    }
    true
}

/// Whether the `actual` lines match the `expected` ones, where a line that is only `…`
/// stands for any number of lines.
fn output_matches(expected: &[String], actual: &[&str]) -> bool {
    // fits[i][j]: expected[i..] matches actual[j..].
    let (e, a) = (expected.len(), actual.len());
    let mut fits = vec![vec![false; a + 1]; e + 1];
    fits[e][a] = true;
    for i in (0..e).rev() {
        for j in (0..=a).rev() {
            fits[i][j] = if expected[i].trim() == ELLIPSIS {
                fits[i + 1][j] || (j < a && fits[i][j + 1])
            } else {
                j < a && line_matches(&expected[i], actual[j]) && fits[i + 1][j + 1]
            };
        }
    }
    fits[0][0]
}

// ---------------------------------------------------------------------------------
// Running a page

/// A copy of the root workspace's inputs and outputs, and a `bin/` with the kiln under
/// test as `kiln`.
struct Sandbox {
    _dir: tempfile::TempDir,
    workspace: PathBuf,
    bin: PathBuf,
    home: PathBuf,
}

impl Sandbox {
    fn new() -> Sandbox {
        let dir = tempfile::tempdir().expect("temp dir");
        let workspace = dir.path().join("workspace");
        let bin = dir.path().join("bin");
        let home = dir.path().join("home");
        for d in [&workspace, &bin, &home] {
            fs::create_dir_all(d).expect("mkdir");
        }
        copy_workspace(&repo(), &workspace);
        std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_kiln"), bin.join("kiln"))
            .expect("symlink kiln");
        Sandbox {
            _dir: dir,
            workspace,
            bin,
            home,
        }
    }

    /// Runs `command` with `sh -c` in the workspace: its output (stdout and stderr, in
    /// order) and exit code.
    fn run(&self, command: &str) -> (String, i32) {
        let path = format!(
            "{}:{}",
            self.bin.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let out = Command::new("sh")
            .arg("-c")
            .arg(format!("exec 2>&1\n{command}"))
            .current_dir(&self.workspace)
            .env_clear()
            .env("PATH", path)
            .env("HOME", &self.home)
            .env("NO_COLOR", "1")
            .env("TERM", "dumb")
            .env("TZ", "UTC")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_AUTHOR_NAME", "Test")
            .env("GIT_AUTHOR_EMAIL", "test@example.com")
            .env("GIT_COMMITTER_NAME", "Test")
            .env("GIT_COMMITTER_EMAIL", "test@example.com")
            .output()
            .expect("sh runs");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        (text, out.status.code().unwrap_or(-1))
    }
}

/// Copies the root workspace: everything but the build, git, the source, the tests,
/// the docs, the benchmark and scripts, and kiln's files next to an output folder.
fn copy_workspace(from: &Path, to: &Path) {
    let skip = [
        "target", ".git", ".ci", "src", "tests", "docs", "bench", "scripts",
    ];
    let walk = walkdir::WalkDir::new(from)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| {
            let rel = e.path().strip_prefix(from).expect("inside");
            let name = e.file_name().to_string_lossy();
            let top = rel.components().count() == 1;
            let not_input = top && skip.contains(&name.as_ref());
            // `.out.kiln-cache` and the like, not `out/.kiln-owned`.
            let kiln_state = name.starts_with('.') && name[1..].contains(".kiln-");
            !not_input && !kiln_state
        });
    for entry in walk {
        let entry = entry.expect("walkable");
        let target = to.join(entry.path().strip_prefix(from).expect("inside"));
        if entry.file_type().is_dir() {
            fs::create_dir_all(&target).expect("mkdir");
        } else if entry.file_type().is_file() {
            fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// The lines of a command's output, as the page writes them.
fn output_lines(output: &str) -> Vec<&str> {
    let mut lines: Vec<&str> = output.split('\n').collect();
    if lines.last() == Some(&"") {
        lines.pop();
    }
    lines
}

/// Runs every step of the page `name` (relative to the repository root); fails naming
/// each example whose output differs, or rewrites it when `UPDATE_DOCS` is set.
fn check_page(name: &str) {
    let path = repo().join(name);
    let text = fs::read_to_string(&path).expect("page readable");
    let steps = parse_page(&text);
    let update = std::env::var_os("UPDATE_DOCS").is_some_and(|v| !v.is_empty() && v != "0");
    let sandbox = Sandbox::new();
    let mut failures = Vec::new();
    let mut rewrites: Vec<((usize, usize), Vec<String>)> = Vec::new();
    for step in &steps {
        match step {
            Step::File { path, text, .. } => {
                let target = sandbox.workspace.join(path);
                fs::create_dir_all(target.parent().expect("has parent")).expect("mkdir");
                fs::write(target, text).expect("write");
            }
            Step::Git { .. } => {
                git(&sandbox.workspace, &["init", "-q"]);
                git(&sandbox.workspace, &["add", "-A"]);
                git(&sandbox.workspace, &["commit", "-q", "-m", "workspace"]);
            }
            Step::Command(example) => {
                let (output, code) = sandbox.run(&example.command);
                let actual = output_lines(&output);
                if code == example.exit && output_matches(&example.expected, &actual) {
                    continue;
                }
                if update && !example.elided {
                    let mut lines: Vec<String> = actual
                        .iter()
                        .map(|l| {
                            if l.is_empty() {
                                String::new()
                            } else {
                                format!("{}{l}", example.indent)
                            }
                        })
                        .collect();
                    if example.exit_line || code != 0 {
                        lines.push(format!("{}[exit {code}]", example.indent));
                    }
                    rewrites.push((example.span, lines));
                    continue;
                }
                let mut want = example.expected.join("\n");
                want.push_str(&format!("\n[exit {}]\n", example.exit));
                let mut got = actual.join("\n");
                got.push_str(&format!("\n[exit {code}]\n"));
                let diff = similar::TextDiff::from_lines(&want, &got)
                    .unified_diff()
                    .header("expected (the page)", "actual")
                    .to_string();
                let why = if example.elided && update {
                    " (the session has `…`, so it is not rewritten; edit it by hand)"
                } else {
                    ""
                };
                failures.push(format!(
                    "{name}:{}: `$ {}` printed something else{why}:\n{diff}",
                    example.line, example.command
                ));
            }
        }
    }
    if !rewrites.is_empty() {
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        for ((start, end), new) in rewrites.into_iter().rev() {
            lines.splice(start..end, new);
        }
        let mut new_text = lines.join("\n");
        new_text.push('\n');
        fs::write(&path, new_text).expect("page writable");
        eprintln!("{name}: rewrote stale examples");
    }
    assert!(
        failures.is_empty(),
        "{} example(s) in {name} differ from what kiln prints (run with UPDATE_DOCS=1 to rewrite those without `…`):\n\n{}",
        failures.len(),
        failures.join("\n")
    );
}

// ---------------------------------------------------------------------------------
// One test per page

#[test]
fn readme_md() {
    check_page("README.md");
}

#[test]
fn docs_architecture_md() {
    check_page("docs/architecture.md");
}

#[test]
fn docs_ci_md() {
    check_page("docs/ci.md");
}

#[test]
fn docs_commands_md() {
    check_page("docs/commands.md");
}

#[test]
fn docs_diagnostics_md() {
    check_page("docs/diagnostics.md");
}

#[test]
fn docs_gitops_md() {
    check_page("docs/gitops.md");
}

#[test]
fn docs_output_md() {
    check_page("docs/output.md");
}

#[test]
fn docs_performance_md() {
    check_page("docs/performance.md");
}

#[test]
fn docs_pipelines_md() {
    check_page("docs/pipelines.md");
}

#[test]
fn docs_templates_md() {
    check_page("docs/templates.md");
}

#[test]
fn docs_validation_md() {
    check_page("docs/validation.md");
}

#[test]
fn docs_values_md() {
    check_page("docs/values.md");
}

#[test]
fn docs_workspace_md() {
    check_page("docs/workspace.md");
}

/// Every page has its test: a new page without one fails here.
#[test]
fn every_page_has_a_test() {
    let source = fs::read_to_string(repo().join("tests/integration/docs.rs")).expect("readable");
    let mut pages = vec!["README.md".to_string()];
    for entry in fs::read_dir(repo().join("docs")).expect("docs/") {
        let name = entry
            .expect("entry")
            .file_name()
            .to_string_lossy()
            .to_string();
        if name.ends_with(".md") {
            pages.push(format!("docs/{name}"));
        }
    }
    for page in pages {
        assert!(
            source.contains(&format!("check_page(\"{page}\")")),
            "{page} has no test in tests/integration/docs.rs"
        );
    }
}

// ---------------------------------------------------------------------------------
// The harness itself

fn strings(lines: &[&str]) -> Vec<String> {
    lines.iter().map(std::string::ToString::to_string).collect()
}

#[test]
fn a_line_matches_with_ellipsis_for_any_text() {
    assert!(line_matches("abc", "abc"));
    assert!(!line_matches("abc", "abcd"));
    assert!(line_matches("total …s", "total 3.377s"));
    assert!(line_matches("…", ""));
    assert!(line_matches("a…b…c", "a-b-c"));
    assert!(line_matches("a…b…c", "abc"));
    assert!(!line_matches("a…b…c", "acb"));
    assert!(!line_matches("ab…ba", "aba"));
    // kiln's own truncation mark matches itself.
    assert!(line_matches("{\"a\":1,\"b…", "{\"a\":1,\"b…"));
}

#[test]
fn an_ellipsis_line_matches_any_number_of_lines() {
    let expected = strings(&["first", "…", "last"]);
    assert!(output_matches(&expected, &["first", "last"]));
    assert!(output_matches(&expected, &["first", "x", "y", "last"]));
    assert!(!output_matches(&expected, &["first", "x"]));
    assert!(!output_matches(&expected, &["x", "last"]));
    assert!(output_matches(&strings(&["    …"]), &["a", "b"]));
    assert!(output_matches(&strings(&[]), &[]));
    assert!(!output_matches(&strings(&[]), &[""]));
    assert!(output_matches(&strings(&["a", ""]), &["a", ""]));
    assert!(!output_matches(&strings(&["a", ""]), &["a"]));
}

#[test]
fn a_page_parses_into_files_setups_and_commands() {
    let page = "\
Text.

<!-- file: tenants/x.yaml -->
```yaml
environment: dev
```

```yaml
# an excerpt, never written
```

<!-- setup: git -->

- In a list:

  ```
  $ kiln check
  ok
  $ kiln nope
  error: …

  [exit 2]
  ```

```sh
$ not a session
```
";
    let steps = parse_page(page);
    assert_eq!(steps.len(), 4, "{steps:#?}");
    assert_eq!(
        steps[0],
        Step::File {
            line: 3,
            path: "tenants/x.yaml".into(),
            text: "environment: dev\n".into()
        }
    );
    assert_eq!(steps[1], Step::Git { line: 12 });
    let Step::Command(check) = &steps[2] else {
        panic!("a command")
    };
    assert_eq!(check.line, 17);
    assert_eq!(check.command, "kiln check");
    assert_eq!(check.expected, ["ok"]);
    assert_eq!(
        (check.exit, check.exit_line, check.elided),
        (0, false, true)
    );
    assert_eq!(check.span, (17, 18));
    assert_eq!(check.indent, "  ");
    let Step::Command(nope) = &steps[3] else {
        panic!("a command")
    };
    assert_eq!(nope.expected, ["error: …", ""]);
    assert_eq!((nope.exit, nope.exit_line), (2, true));
    assert_eq!(nope.span, (19, 22));
}

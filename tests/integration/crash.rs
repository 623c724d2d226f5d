//! Stopping kiln: `kill -9` of the real binary at many moments of a build of a few
//! hundred tenants and of a publish, with the properties checked after each kill (the
//! output is exactly the old tree or exactly the new one, for every kiln command; the
//! branch is at the old commit or the new one, and publishing again converges); builds
//! at the same time; the lock; the output boundary (links in and around `out/`).

// A panic in a test is a failing test, so tests may unwrap, expect and index.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use crate::common;

use std::collections::BTreeMap;
use std::fs;
use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{assert_same_tree, git, kiln, minimal_workspace, read_tree, write_files};

type Tree = BTreeMap<String, Vec<u8>>;

/// One service, off unless its flag is on: each tenant compiles to a few objects, so a
/// build of hundreds of tenants stays short in a debug build.
const CATALOG: &str = r#"platform: crash
stages: [core]
flags:
  hub:
    default: false
    description: runs the hub
services:
  hub:
    description: one service, off unless its flag is on
    kind: Deployment
    image: example/hub
    stage: core
    flag: hub
    ports:
      - {name: http, port: 8080}
    probes: {path: /health, port: http}
    defaults:
      image: {tag: "1.0"}
"#;

/// The two states the tests go back and forth between: A has tenants `t000`…
/// in `dev`; B drops `t000`, adds one more and moves every tenant to `staging`, so
/// every tenant's files change, some go and some come.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    A,
    B,
}

impl State {
    fn other(self) -> State {
        match self {
            State::A => State::B,
            State::B => State::A,
        }
    }
}

fn synthetic(ws: &Path, tenants: usize) {
    write_files(
        ws,
        &[
            (
                "kiln.yaml",
                "kubernetesVersion: \"1.31\"\nrepoURL: https://git.example.com/rendered.git\nenvironments:\n  dev: {}\n  staging: {}\n",
            ),
            ("templates/catalog.yaml", CATALOG),
        ],
    );
    set_inputs(ws, tenants, State::A);
}

fn set_inputs(ws: &Path, tenants: usize, state: State) {
    let dir = ws.join("tenants");
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    let (range, env) = match state {
        State::A => (0..tenants, "dev"),
        State::B => (1..tenants + 1, "staging"),
    };
    for i in range {
        fs::write(
            dir.join(format!("t{i:03}.yaml")),
            format!("environment: {env}\n"),
        )
        .unwrap();
    }
}

/// Files in `out/` that are not kiln's, which every build must leave as they are: one
/// at the top, one in a folder kiln keeps, one in a folder whose kiln files B removes.
fn add_foreign_files(ws: &Path) {
    write_files(
        ws,
        &[
            ("out/README.md", "not kiln's\n"),
            ("out/tenants/t001/NOTES.md", "hand-written\n"),
            ("out/tenants/t000/keep.txt", "keep me\n"),
        ],
    );
}

fn spawn(ws: &Path, args: &[&str]) -> Child {
    Command::new(assert_cmd::cargo::cargo_bin("kiln"))
        .arg("-C")
        .arg(ws)
        .args(args)
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Evenly spread fractions of [0, 1): the golden-ratio sequence, so any number of kills
/// covers the whole run without randomness.
fn spread(i: usize) -> f64 {
    (i as f64 * 0.618_033_988_75).fract()
}

/// kiln's files of a tree (those its index lists, and the index).
fn kilns(tree: &Tree) -> Tree {
    let index = String::from_utf8_lossy(&tree[".kiln-owned"]).into_owned();
    let mut files: Tree = index
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|p| (p.to_string(), tree[p].clone()))
        .collect();
    files.insert(".kiln-owned".into(), tree[".kiln-owned"].clone());
    files
}

fn write_tree(dir: &Path, tree: &Tree) {
    for (path, bytes) in tree {
        let p = dir.join(path);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, bytes).unwrap();
    }
}

/// The files on a branch, as git blob ids by path.
fn branch_blobs(repo: &Path, branch: &str) -> BTreeMap<String, String> {
    git(repo, &["ls-tree", "-r", branch])
        .lines()
        .map(|l| {
            let (meta, path) = l.split_once('\t').unwrap();
            let oid = meta.split(' ').nth(2).unwrap();
            (path.to_string(), oid.to_string())
        })
        .collect()
}

fn blobs(tree: &Tree) -> BTreeMap<String, String> {
    tree.iter()
        .map(|(p, b)| (p.clone(), kiln::unit::blob_id(b)))
        .collect()
}

#[derive(Clone, Copy, Debug)]
enum Observer {
    BuildCheck,
    Check,
    Diff,
    Publish,
    Build,
}

const OBSERVERS: [Observer; 5] = [
    Observer::BuildCheck,
    Observer::Diff,
    Observer::Check,
    Observer::Publish,
    Observer::Build,
];

const NOTE: &str = "note: finished writing `out/` as an interrupted build left it\n";

/// `kill -9` of `kiln build` at moments spread over whole builds, and at moments of the
/// move into place; after each, another kiln command (in turn `build --check`, `diff`,
/// `check`, `publish`, `build`), then the whole `out/` is compared with the old tree
/// and the new one, byte for byte, files that are not kiln's included.
#[test]
fn a_build_killed_at_any_moment_leaves_the_old_output_or_the_new_one() {
    const TENANTS: usize = 200;
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path().join("ws");
    let out = ws.join("out");
    let journal = ws.join(".out.kiln-journal");
    let staging = ws.join(".out.kiln-staging");
    synthetic(&ws, TENANTS);
    kiln(&ws).arg("build").assert().success();
    add_foreign_files(&ws);
    let tree_a = read_tree(&out);
    // The calibration: how long a build from A to B takes, and how long its journal
    // stands.
    set_inputs(&ws, TENANTS, State::B);
    let mut child = spawn(&ws, &["build"]);
    let start = Instant::now();
    let mut journal_seen = None;
    while child.try_wait().unwrap().is_none() {
        if journal_seen.is_none() && journal.exists() {
            journal_seen = Some(start.elapsed());
        }
        std::thread::sleep(Duration::from_micros(200));
    }
    assert!(child.wait().unwrap().success());
    let whole = start.elapsed();
    let window = whole - journal_seen.unwrap_or(whole * 9 / 10);
    let tree_b = read_tree(&out);
    assert_ne!(tree_a, tree_b);
    assert_eq!(tree_b["tenants/t000/keep.txt"], b"keep me\n");
    assert!(!tree_b.contains_key("tenants/t000/platform/t000/namespace_t000.yaml"));
    let trees = |s: State| match s {
        State::A => &tree_a,
        State::B => &tree_b,
    };
    let state_of = |t: &Tree| {
        if *t == tree_a {
            Some(State::A)
        } else if *t == tree_b {
            Some(State::B)
        } else {
            None
        }
    };
    let against = tmp.path().join("against");
    write_tree(&against.join("a"), &kilns(&tree_a));
    write_tree(&against.join("b"), &kilns(&tree_b));
    let rendered = tmp.path().join("rendered.git");
    git(
        tmp.path(),
        &["init", "-q", "--bare", rendered.to_str().unwrap()],
    );

    let mut at = State::B;
    let (mut anywhere, mut in_journal, mut mixed) = (0, 0, 0);
    for i in 0..40 {
        if anywhere >= 5 && in_journal >= 3 && mixed >= 1 {
            break;
        }
        let target = at.other();
        set_inputs(&ws, TENANTS, target);
        let aim_at_the_move = i % 2 == 1;
        let mut child = spawn(&ws, &["build"]);
        let start = Instant::now();
        if aim_at_the_move {
            while !journal.exists()
                && child.try_wait().unwrap().is_none()
                && start.elapsed() < whole * 20
            {
                std::thread::sleep(Duration::from_micros(200));
            }
            std::thread::sleep(window.mul_f64(spread(i)));
        } else {
            std::thread::sleep(whole.mul_f64(1.1 * spread(i)));
        }
        let _ = child.kill();
        child.wait().unwrap();
        let journal_left = journal.exists();
        let on_disk = read_tree(&out);
        let raw = state_of(&on_disk);
        if journal_left {
            in_journal += 1;
            if raw.is_none() {
                mixed += 1;
            }
        } else {
            if !aim_at_the_move {
                anywhere += 1;
            }
            // Without a journal, the disk itself holds the old tree or the new one.
            if raw.is_none() {
                assert_same_tree(&on_disk, trees(at), &format!("kill {i}, no journal"));
            }
        }
        // The next command reads or writes with the inputs of the tree it will find,
        // so that the cache spares it a full build.
        let inputs = if journal_left || raw == Some(target) {
            target
        } else {
            at
        };
        set_inputs(&ws, TENANTS, inputs);
        let observer = OBSERVERS[i % OBSERVERS.len()];
        let shown = match inputs {
            State::A => against.join("a"),
            State::B => against.join("b"),
        };
        let output = match observer {
            Observer::BuildCheck => kiln(&ws).args(["build", "--check"]).output(),
            Observer::Check => kiln(&ws).arg("check").output(),
            Observer::Diff => kiln(&ws)
                .args(["diff", "--exit-code", "--against"])
                .arg(&shown)
                .output(),
            Observer::Publish => kiln(&ws)
                .args(["publish", "--branch", "main", "--repo"])
                .arg(&rendered)
                .output(),
            Observer::Build => kiln(&ws).arg("build").output(),
        }
        .unwrap();
        let after_tree = read_tree(&out);
        let Some(after) = state_of(&after_tree) else {
            assert_same_tree(
                &after_tree,
                trees(target),
                &format!("kill {i}, after {observer:?}"),
            );
            unreachable!()
        };
        let what = format!(
            "kill {i} ({}), journal {journal_left}, {observer:?}: {}",
            if aim_at_the_move {
                "in the move"
            } else {
                "anywhere"
            },
            stderr(&output)
        );
        if journal_left {
            assert_eq!(after, target, "{what}");
            assert!(stderr(&output).starts_with(NOTE), "{what}");
        } else {
            assert!(!stderr(&output).contains(NOTE), "{what}");
            if !matches!(observer, Observer::Build) {
                assert_eq!(Some(after), raw, "{what}");
            }
        }
        assert!(!journal.exists() && !staging.exists(), "{what}");
        // What each command saw is the tree it found.
        let code = output.status.code();
        match observer {
            Observer::BuildCheck => {
                assert_eq!(code, Some(if after == inputs { 0 } else { 1 }), "{what}");
            }
            Observer::Check | Observer::Diff => assert_eq!(code, Some(0), "{what}"),
            Observer::Publish => {
                assert_eq!(code, Some(0), "{what}");
                assert_eq!(
                    branch_blobs(&rendered, "main"),
                    blobs(&kilns(trees(inputs))),
                    "{what}"
                );
            }
            Observer::Build => {
                assert_eq!(code, Some(0), "{what}");
                assert_eq!(after, inputs, "{what}");
            }
        }
        at = after;
    }
    eprintln!(
        "{anywhere} kills anywhere, {in_journal} with the journal written ({mixed} half-applied on disk); a build took {whole:?}, its journal stood {window:?}"
    );
    assert!(
        anywhere >= 5 && in_journal >= 3 && mixed >= 1,
        "too few kills where they were aimed: {anywhere} anywhere, {in_journal} with the journal written, {mixed} of them half-applied on disk"
    );
}

/// `kill -9` of a first build, which moves the staged tree into place in one rename:
/// there is no output, or the whole of it.
#[test]
fn a_first_build_killed_at_any_moment_leaves_no_output_or_all_of_it() {
    let tmp = tempfile::tempdir().unwrap();
    let twin = tmp.path().join("twin");
    minimal_workspace(&twin);
    let start = Instant::now();
    kiln(&twin).arg("build").assert().success();
    let whole = start.elapsed();
    let expected = read_tree(&twin.join("out"));
    let (mut none, mut all) = (0, 0);
    for i in 0..8 {
        let ws = tmp.path().join(format!("ws{i}"));
        minimal_workspace(&ws);
        let mut child = spawn(&ws, &["build"]);
        std::thread::sleep(whole.mul_f64(1.2 * spread(i)));
        let _ = child.kill();
        child.wait().unwrap();
        let out = kiln(&ws).args(["build", "--check"]).output().unwrap();
        let tree = read_tree(&ws.join("out"));
        if tree.is_empty() {
            none += 1;
            assert!(!ws.join("out").exists(), "kill {i}");
            assert_eq!(out.status.code(), Some(1), "kill {i}: {}", stderr(&out));
        } else {
            all += 1;
            assert_same_tree(&tree, &expected, &format!("kill {i}"));
            assert_eq!(out.status.code(), Some(0), "kill {i}: {}", stderr(&out));
        }
        assert!(!ws.join(".out.kiln-staging").exists(), "kill {i}");
    }
    assert_eq!(none + all, 8);
}

/// Two builds started at once both succeed, one after the other: one writes, the other
/// finds the output up to date, and the output is what one build gives.
#[test]
fn two_builds_at_once_are_serialised() {
    const TENANTS: usize = 60;
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path().join("ws");
    synthetic(&ws, TENANTS);
    kiln(&ws).arg("build").assert().success();
    add_foreign_files(&ws);
    set_inputs(&ws, TENANTS, State::B);
    let run = || {
        Command::new(assert_cmd::cargo::cargo_bin("kiln"))
            .arg("-C")
            .arg(&ws)
            .arg("build")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (first, second) = (run(), run());
    let outputs = [
        first.wait_with_output().unwrap(),
        second.wait_with_output().unwrap(),
    ];
    for o in &outputs {
        assert!(o.status.success(), "{}", stderr(o));
    }
    let mut last_lines: Vec<String> = outputs
        .iter()
        .map(|o| stderr(o).lines().last().unwrap_or_default().to_string())
        .collect();
    last_lines.sort();
    let files = kilns(&read_tree(&ws.join("out"))).len();
    assert!(
        last_lines[0].starts_with("out/ is up to date ("),
        "{last_lines:?}"
    );
    assert_eq!(last_lines[0], format!("out/ is up to date ({files} files)"));
    assert!(last_lines[1].starts_with("wrote out/: "), "{last_lines:?}");
    // The same as a build of the same inputs on its own.
    let alone = tmp.path().join("alone");
    synthetic(&alone, TENANTS);
    set_inputs(&alone, TENANTS, State::B);
    kiln(&alone).arg("build").assert().success();
    add_foreign_files(&alone);
    let expected = read_tree(&alone.join("out"));
    assert_same_tree(&read_tree(&ws.join("out")), &expected, "after two builds");
}

/// Holds the lock `kiln` takes, from the test, until kiln says it waits; returns how
/// kiln ended and its stderr, line by line.
fn wait_for_lock(ws: &Path, args: &[&str]) -> (std::process::ExitStatus, Vec<String>) {
    let lock = fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(ws.join(".out.kiln-lock"))
        .unwrap();
    lock.lock().unwrap();
    let before = read_tree(&ws.join("out"));
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("kiln"))
        .arg("-C")
        .arg(ws)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut reader = BufReader::new(child.stderr.take().unwrap());
    let mut first = String::new();
    reader.read_line(&mut first).unwrap();
    // Waiting, it has changed nothing.
    std::thread::sleep(Duration::from_millis(200));
    assert!(child.try_wait().unwrap().is_none(), "{first}");
    assert_eq!(read_tree(&ws.join("out")), before);
    drop(lock);
    let mut lines = vec![first.trim_end().to_string()];
    lines.extend(reader.lines().map(Result::unwrap));
    (child.wait().unwrap(), lines)
}

#[test]
fn a_build_waits_for_the_lock_and_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path().join("ws");
    minimal_workspace(&ws);
    let twin = tmp.path().join("twin");
    minimal_workspace(&twin);
    let alone = kiln(&twin).arg("build").output().unwrap();
    let (status, lines) = wait_for_lock(&ws, &["build"]);
    assert!(status.success());
    let mut expected = vec![
        "waiting for another kiln run to finish with `out/` (lock `.out.kiln-lock`)".to_string(),
    ];
    expected.extend(stderr(&alone).lines().map(str::to_string));
    assert_eq!(lines, expected);
    assert_eq!(read_tree(&ws.join("out")), read_tree(&twin.join("out")));
}

#[test]
fn a_command_that_reads_the_output_waits_for_a_build() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path().join("ws");
    minimal_workspace(&ws);
    kiln(&ws).arg("build").assert().success();
    let (status, lines) = wait_for_lock(&ws, &["build", "--check"]);
    assert_eq!(status.code(), Some(0));
    assert_eq!(
        lines,
        [
            "waiting for another kiln run to finish with `out/` (lock `.out.kiln-lock`)",
            &format!(
                "out/ is up to date ({} files)",
                read_tree(&ws.join("out")).len()
            ),
        ]
    );
}

/// `kill -9` of `kiln publish` at moments spread over whole runs: the branch is at the
/// old commit or at a new one holding the build, the repository is sound, and
/// publishing again gives the build.
#[test]
fn a_publish_killed_at_any_moment_leaves_the_old_commit_or_the_new_one() {
    const TENANTS: usize = 100;
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path().join("ws");
    synthetic(&ws, TENANTS);
    kiln(&ws).arg("build").assert().success();
    let rendered = tmp.path().join("rendered.git");
    git(
        tmp.path(),
        &["init", "-q", "--bare", rendered.to_str().unwrap()],
    );
    let publish = |repo: &Path| {
        kiln(&ws)
            .args(["publish", "--branch", "main", "--repo"])
            .arg(repo)
            .output()
            .unwrap()
    };
    assert!(publish(&rendered).status.success());
    let old = git(&rendered, &["rev-parse", "main"]).trim().to_string();
    set_inputs(&ws, TENANTS, State::B);
    kiln(&ws).arg("build").assert().success();
    // What the new commit holds: a publish of B that nothing stopped, elsewhere.
    let reference = tmp.path().join("reference.git");
    git(
        tmp.path(),
        &[
            "clone",
            "-q",
            "--bare",
            rendered.to_str().unwrap(),
            reference.to_str().unwrap(),
        ],
    );
    let start = Instant::now();
    assert!(publish(&reference).status.success());
    let whole = start.elapsed();
    let new_tree = git(&reference, &["rev-parse", "main^{tree}"])
        .trim()
        .to_string();
    let (mut stayed, mut moved) = (0, 0);
    for i in 0..10 {
        git(&rendered, &["update-ref", "refs/heads/main", &old]);
        let mut child = Command::new(assert_cmd::cargo::cargo_bin("kiln"))
            .arg("-C")
            .arg(&ws)
            .args(["publish", "--branch", "main", "--repo"])
            .arg(&rendered)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(whole.mul_f64(1.2 * spread(i)));
        let _ = child.kill();
        child.wait().unwrap();
        let tip = git(&rendered, &["rev-parse", "main"]).trim().to_string();
        if tip == old {
            stayed += 1;
        } else {
            moved += 1;
            assert_eq!(
                git(&rendered, &["rev-parse", "main^{tree}"]).trim(),
                new_tree,
                "kill {i}"
            );
            assert_eq!(
                git(&rendered, &["rev-parse", "main^"]).trim(),
                old,
                "kill {i}"
            );
        }
        git(&rendered, &["fsck", "--no-dangling", "--no-progress"]);
        let again = publish(&rendered);
        let lock = rendered.join("refs/heads/main.lock");
        if lock.exists() {
            // git's own lock, left in the instant it was held: named, nothing changed.
            assert!(stderr(&again).contains("is locked"), "{}", stderr(&again));
            fs::remove_file(&lock).unwrap();
            assert!(publish(&rendered).status.success());
        } else {
            assert!(again.status.success(), "kill {i}: {}", stderr(&again));
        }
        assert_eq!(
            git(&rendered, &["rev-parse", "main^{tree}"]).trim(),
            new_tree,
            "kill {i}: publishing again gives the build"
        );
    }
    assert!(stayed + moved == 10 && stayed > 0, "{stayed} {moved}");
}

// ---- the output boundary ----

fn outside_dir(tmp: &Path) -> PathBuf {
    let outside = tmp.join("outside");
    write_files(&outside, &[("precious.yaml", "not the workspace's\n")]);
    outside
}

#[cfg(unix)]
#[test]
fn an_output_folder_that_is_a_link_is_refused_by_every_command() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path().join("ws");
    minimal_workspace(&ws);
    let outside = outside_dir(tmp.path());
    std::os::unix::fs::symlink(&outside, ws.join("out")).unwrap();
    let empty = tmp.path().join("empty");
    fs::create_dir_all(&empty).unwrap();
    let empty = empty.to_str().unwrap();
    let expected = |verb: &str| {
        format!(
            "error[K0801]: `out` is a symbolic link, and kiln writes the output `out/` only into a folder of the workspace\n  --> out\n  = hint: replace the link with a folder, or remove it: kiln never writes through a link\n\n{verb} failed: 1 error found\n"
        )
    };
    for (args, verb) in [
        (&["build"][..], "build"),
        (&["build", "--check"][..], "build"),
        (&["check"][..], "check"),
        (&["diff", "--against", empty][..], "diff"),
        (
            &["publish", "--repo", "nowhere", "--branch", "main"][..],
            "publish",
        ),
    ] {
        let out = kiln(&ws).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert_eq!(stderr(&out), expected(verb), "{args:?}");
    }
    assert_eq!(
        read_tree(&outside),
        BTreeMap::from([(
            "precious.yaml".to_string(),
            b"not the workspace's\n".to_vec()
        )])
    );
}

#[cfg(unix)]
#[test]
fn a_link_inside_the_output_is_never_followed() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path().join("ws");
    minimal_workspace(&ws);
    kiln(&ws).arg("build").assert().success();
    let outside = outside_dir(tmp.path());
    // As a pull request can: a folder kiln writes into replaced by a link, and an
    // index entry of kiln's under it naming a file outside.
    let tenants = ws.join("out/tenants");
    fs::rename(&tenants, tmp.path().join("moved")).unwrap();
    std::os::unix::fs::symlink(&outside, &tenants).unwrap();
    let index = ws.join("out/.kiln-owned");
    let mut text = fs::read_to_string(&index).unwrap();
    text.push_str("tenants/precious.yaml\n");
    fs::write(&index, text).unwrap();
    let before = read_tree(&ws.join("out"));
    let out = kiln(&ws).arg("build").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "error[K0801]: `out/tenants` is a symbolic link, and the build would write or remove a file through it\n  = hint: replace it with a folder, or remove it: kiln writes and removes files only inside `out/`, and never follows a link there\n\nbuild failed: 1 error found; out/ is unchanged\n"
    );
    let check = kiln(&ws).args(["build", "--check"]).output().unwrap();
    assert_eq!(check.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&check.stdout),
        "stale    out/.kiln-owned\nlink     out/tenants\n"
    );
    assert_eq!(
        stderr(&check),
        "out/ is out of date: 0 missing, 1 stale, 0 extra, 1 symbolic link in the way; run `kiln build`\n"
    );
    assert_eq!(
        read_tree(&outside).len(),
        1,
        "nothing written or removed outside"
    );
    assert_eq!(read_tree(&ws.join("out")), before);
    // A link in the folder's place, to nothing: refused the same way.
    fs::remove_file(&tenants).unwrap();
    std::os::unix::fs::symlink(tmp.path().join("nothing"), &tenants).unwrap();
    assert_eq!(
        kiln(&ws).arg("build").output().unwrap().status.code(),
        Some(1)
    );
    assert!(!tmp.path().join("nothing").exists());
}

#[test]
fn a_file_of_the_users_named_like_a_temporary_file_is_left_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path().join("ws");
    minimal_workspace(&ws);
    kiln(&ws).arg("build").assert().success();
    write_files(&ws, &[("out/.kiln-owned.kiln-tmp", "mine\n")]);
    write_files(&ws, &[("tenants/globex.yaml", "environment: prod\n")]);
    kiln(&ws).arg("build").assert().success();
    assert_eq!(
        fs::read_to_string(ws.join("out/.kiln-owned.kiln-tmp")).unwrap(),
        "mine\n"
    );
}

#[test]
fn a_journal_not_left_by_a_build_is_refused_and_removes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path().join("ws");
    minimal_workspace(&ws);
    kiln(&ws).arg("build").assert().success();
    let before = read_tree(&ws.join("out"));
    let victim = before
        .keys()
        .find(|p| p.ends_with(".yaml"))
        .unwrap()
        .clone();
    fs::write(
        ws.join(".out.kiln-journal"),
        format!("kiln-journal 1\nremove\t{victim}\nend\n"),
    )
    .unwrap();
    let out = kiln(&ws).arg("check").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let journal = ws.join(".out.kiln-journal");
    let staging = ws.join(".out.kiln-staging");
    assert_eq!(
        stderr(&out),
        format!(
            "error: `{}` was not left by an interrupted build (its staging folder `{}` is missing); if no kiln is running, remove it and build again\n",
            journal.display(),
            staging.display()
        )
    );
    assert_eq!(read_tree(&ws.join("out")), before);
}

#[test]
fn publish_refuses_a_file_in_the_way_of_a_folder_and_a_folder_in_the_way_of_a_file() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path().join("ws");
    minimal_workspace(&ws);
    kiln(&ws).arg("build").assert().success();
    let built = read_tree(&ws.join("out"));
    let file = built
        .keys()
        .find(|p| p.starts_with("tenants/acme/workloads/"))
        .unwrap()
        .clone();
    for (name, planted, message) in [
        (
            "file",
            ("tenants", "a user's file\n"),
            "error[K0906]: branch `main` has files that are not kiln's where the build needs folders: `tenants`".to_string(),
        ),
        (
            "folder",
            (&*format!("{file}/NOTES.md"), "a user's file\n"),
            format!("error[K0906]: branch `main` has folders where the build writes files: `{file}`"),
        ),
    ] {
        let clone = tmp.path().join(format!("clone-{name}"));
        fs::create_dir_all(&clone).unwrap();
        git(&clone, &["init", "-q"]);
        write_files(&clone, &[planted]);
        git(&clone, &["add", "-A"]);
        git(&clone, &["commit", "-q", "-m", "a user's file"]);
        let bare = tmp.path().join(format!("rendered-{name}.git"));
        git(
            tmp.path(),
            &[
                "clone",
                "-q",
                "--bare",
                clone.to_str().unwrap(),
                bare.to_str().unwrap(),
            ],
        );
        let before = git(&bare, &["rev-parse", "main"]);
        let out = kiln(&ws)
            .args(["publish", "--branch", "main", "--repo"])
            .arg(&bare)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        assert_eq!(
            stderr(&out),
            format!("{message}\n  = hint: move or delete them in the rendered repository; kiln changes only the files listed in `.kiln-owned`\n\npublish failed: 1 error found\n")
        );
        assert_eq!(git(&bare, &["rev-parse", "main"]), before);
    }
}

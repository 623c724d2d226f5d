use super::*;
use crate::emit::read_tree as read;
use crate::object_id::ObjectId;
use crate::unit::{blob_id, ObjectFact};

/// Builds `files` through a staging directory and commits them, as `kiln build`
/// does (every unit fresh, no cache).
fn build(out: &Path, files: &[(&str, &str)]) -> anyhow::Result<WriteOutcome> {
    let staging = Staging::new(out)?;
    let owned: Vec<(String, Vec<u8>)> = files
        .iter()
        .map(|(p, c)| (p.to_string(), c.as_bytes().to_vec()))
        .collect();
    let objects = owned
        .iter()
        .map(|(p, bytes)| ObjectFact {
            id: ObjectId::new("v1", "ConfigMap", Some("n"), &p.replace(['/', '.'], "-")),
            app: "a".into(),
            path: p.clone(),
            template: "t".into(),
            origin: "o".into(),
            oid: blob_id(bytes),
            size: bytes.len() as u64,
        })
        .collect();
    let unit = UnitOutput {
        key: "u".into(),
        fingerprint: "f".into(),
        objects,
    };
    if let Err(e) = staging.unit(&unit, owned) {
        staging.discard();
        return Err(e);
    }
    let output = Output { units: vec![unit] };
    commit(out, staging, &output, &Previous::default(), Some("id"))
}

#[test]
fn writes_replaces_and_keeps_foreign_files() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    build(&out, &[("a/x.yaml", "1"), ("b/y.yaml", "2")]).unwrap();
    fs::write(out.join("README.md"), "mine").unwrap();
    fs::write(out.join("a/notes.txt"), "mine too").unwrap();
    let outcome = build(&out, &[("a/x.yaml", "changed"), ("c.yaml", "3")]).unwrap();
    let WriteOutcome::Written(c) = outcome else {
        panic!("expected a write")
    };
    assert_eq!(c.stale, vec![INDEX_FILE, "a/x.yaml"]);
    assert_eq!(c.missing, vec!["c.yaml"]);
    assert_eq!(c.extra, vec!["b/y.yaml"]);
    let files = read(&out);
    assert_eq!(files.get("a/x.yaml").map(String::as_str), Some("changed"));
    assert_eq!(files.get("c.yaml").map(String::as_str), Some("3"));
    assert_eq!(files.get("README.md").map(String::as_str), Some("mine"));
    assert_eq!(
        files.get("a/notes.txt").map(String::as_str),
        Some("mine too")
    );
    assert!(!files.contains_key("b/y.yaml"));
    assert!(!out.join("b").exists(), "an emptied folder is removed");
    assert_eq!(
        files[INDEX_FILE],
        format!("{}a/x.yaml\nc.yaml\n", crate::emit::INDEX_HEADER)
    );
    assert!(!tmp.path().join(".out.kiln-staging").exists());
}

#[test]
fn files_kiln_does_not_own_are_never_overwritten() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    fs::create_dir_all(out.join("a")).unwrap();
    fs::write(out.join("a/x.yaml"), "hand-written").unwrap();
    fs::write(out.join("same.yaml"), "1").unwrap();
    let outcome = build(&out, &[("a/x.yaml", "kiln's"), ("same.yaml", "1")]).unwrap();
    assert_eq!(
        outcome,
        WriteOutcome::Blocked {
            foreign: vec!["a/x.yaml".into()],
            links: vec![]
        }
    );
    assert_eq!(
        fs::read_to_string(out.join("a/x.yaml")).unwrap(),
        "hand-written"
    );
    assert!(!out.join(INDEX_FILE).exists());
    // An identical file is simply adopted.
    fs::remove_file(out.join("a/x.yaml")).unwrap();
    assert!(matches!(
        build(&out, &[("same.yaml", "1")]).unwrap(),
        WriteOutcome::Written(_)
    ));
    assert!(fs::read_to_string(out.join(INDEX_FILE))
        .unwrap()
        .contains("same.yaml"));
}

#[test]
fn nothing_changed_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    build(&out, &[("a.yaml", "1")]).unwrap();
    let stamp = |p: &str| super::super::cache::Stamp::of(&out.join(p));
    let before = (stamp("a.yaml"), stamp(INDEX_FILE));
    assert_eq!(
        build(&out, &[("a.yaml", "1")]).unwrap(),
        WriteOutcome::Unchanged
    );
    assert_eq!((stamp("a.yaml"), stamp(INDEX_FILE)), before);
}

#[test]
fn unsafe_paths_are_refused_before_writing() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let err = build(&out, &[("../escape.yaml", "x")]).unwrap_err();
    assert!(err.to_string().contains("would leave the output directory"));
    assert!(!out.exists());
    assert!(!tmp.path().join("escape.yaml").exists());
    assert!(!tmp.path().join(".out.kiln-staging").exists());
}

#[test]
fn a_failure_while_staging_leaves_the_previous_output() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    build(&out, &[("a.yaml", "1")]).unwrap();
    let before = read(&out);
    // `x` is both a file and a folder: staging fails halfway through.
    let err = build(&out, &[("a.yaml", "2"), ("x", "file"), ("x/y.yaml", "3")]).unwrap_err();
    assert!(err.to_string().starts_with("cannot"), "{err}");
    assert_eq!(read(&out), before);
    assert!(!tmp.path().join(".out.kiln-staging").exists());
}

#[test]
fn a_leftover_staging_directory_is_cleaned() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    fs::create_dir_all(tmp.path().join(".out.kiln-staging/junk")).unwrap();
    build(&out, &[("a.yaml", "1")]).unwrap();
    assert!(!tmp.path().join(".out.kiln-staging").exists());
    assert_eq!(read(&out).len(), 2);
}

#[cfg(unix)]
#[test]
fn links_in_the_output_are_never_followed() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let outside = tmp.path().join("outside");
    fs::create_dir_all(&outside).unwrap();
    fs::write(outside.join("y.yaml"), "outside").unwrap();
    build(&out, &[("a/x.yaml", "1"), ("b/y.yaml", "2")]).unwrap();
    let before = read(&out);
    // A folder kiln writes into, and one holding a file kiln would remove.
    fs::remove_dir_all(out.join("b")).unwrap();
    std::os::unix::fs::symlink(&outside, out.join("b")).unwrap();
    std::os::unix::fs::symlink(&outside, out.join("c")).unwrap();
    let outcome = build(&out, &[("a/x.yaml", "1"), ("c/new.yaml", "3")]).unwrap();
    assert_eq!(
        outcome,
        WriteOutcome::Blocked {
            foreign: vec![],
            links: vec!["b".into(), "c".into()]
        }
    );
    assert_eq!(read(&outside).len(), 1);
    assert_eq!(
        fs::read_to_string(outside.join("y.yaml")).unwrap(),
        "outside"
    );
    fs::remove_file(out.join("b")).unwrap();
    fs::remove_file(out.join("c")).unwrap();
    // A file kiln owns replaced by a link: not read, not replaced.
    fs::remove_file(out.join("a/x.yaml")).unwrap();
    std::os::unix::fs::symlink(outside.join("y.yaml"), out.join("a/x.yaml")).unwrap();
    let outcome = build(&out, &[("a/x.yaml", "1")]).unwrap();
    assert_eq!(
        outcome,
        WriteOutcome::Blocked {
            foreign: vec![],
            links: vec!["a/x.yaml".into()]
        }
    );
    fs::remove_file(out.join("a/x.yaml")).unwrap();
    fs::write(out.join("a/x.yaml"), "1").unwrap();
    build(&out, &[("a/x.yaml", "1"), ("b/y.yaml", "2")]).unwrap();
    assert_eq!(read(&out), before);
}

#[test]
fn a_file_named_like_a_temporary_file_is_the_users() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    build(&out, &[("a.yaml", "1")]).unwrap();
    fs::write(out.join(".kiln-owned.kiln-tmp"), "mine").unwrap();
    build(&out, &[("a.yaml", "2"), ("b.yaml", "3")]).unwrap();
    assert_eq!(
        fs::read_to_string(out.join(".kiln-owned.kiln-tmp")).unwrap(),
        "mine"
    );
    assert_eq!(fs::read_to_string(out.join("a.yaml")).unwrap(), "2");
}

#[test]
fn a_folder_where_a_file_goes_is_in_the_way_even_when_owned() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    build(&out, &[("a.yaml", "1"), ("b/c.yaml", "2")]).unwrap();
    fs::remove_file(out.join("a.yaml")).unwrap();
    fs::create_dir_all(out.join("a.yaml")).unwrap();
    fs::write(out.join("a.yaml/mine"), "mine").unwrap();
    fs::remove_dir_all(out.join("b")).unwrap();
    fs::write(out.join("b"), "a file where a folder goes").unwrap();
    assert_eq!(
        build(&out, &[("a.yaml", "1"), ("b/c.yaml", "2")]).unwrap(),
        WriteOutcome::Blocked {
            foreign: vec!["a.yaml".into(), "b".into()],
            links: vec![]
        }
    );
    assert_eq!(fs::read_to_string(out.join("a.yaml/mine")).unwrap(), "mine");
    // A file kiln owned and no longer writes gives way to a folder.
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    build(&out, &[("x", "1")]).unwrap();
    build(&out, &[("x/y.yaml", "2")]).unwrap();
    assert_eq!(fs::read_to_string(out.join("x/y.yaml")).unwrap(), "2");
}

use super::super::INDEX_FILE;
use super::*;
use crate::emit::read_tree as read;
use std::collections::BTreeMap;

fn write(root: &Path, files: &[(&str, &str)]) {
    for (p, c) in files {
        let path = root.join(p);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, c).unwrap();
    }
}

/// An output, a staged new one and its journal, committed.
fn committed(root: &Path) -> (PathBuf, Journal) {
    let out = root.join("out");
    write(
        &out,
        &[
            (".kiln-owned", "old index"),
            ("a/x.yaml", "old x"),
            ("gone/y.yaml", "old y"),
            ("gone/deeper/z.yaml", "old z"),
            ("kept/notes.txt", "a user's"),
            ("README.md", "a user's"),
        ],
    );
    let staging = staging_dir(&out).unwrap();
    write(
        &tree(&staging),
        &[
            (".kiln-owned", "new index"),
            ("a/x.yaml", "new x"),
            ("new/deep/w.yaml", "new w"),
            ("kept/k.yaml", "new k"),
        ],
    );
    write(&staging, &[("cache", "new cache")]);
    let journal = Journal {
        removes: vec!["gone/deeper/z.yaml".into(), "gone/y.yaml".into()],
        moves: vec![
            "a/x.yaml".into(),
            "kept/k.yaml".into(),
            "new/deep/w.yaml".into(),
            INDEX_FILE.into(),
        ],
        cache: true,
    };
    commit(&out, &journal).unwrap();
    (out, journal)
}

fn new_tree() -> BTreeMap<String, String> {
    [
        (".kiln-owned", "new index"),
        ("a/x.yaml", "new x"),
        ("new/deep/w.yaml", "new w"),
        ("kept/k.yaml", "new k"),
        ("kept/notes.txt", "a user's"),
        ("README.md", "a user's"),
    ]
    .iter()
    .map(|(p, c)| (p.to_string(), c.to_string()))
    .collect()
}

#[test]
fn the_journal_reads_back() {
    let j = Journal {
        removes: vec!["a/b.yaml".into()],
        moves: vec!["c.yaml".into(), INDEX_FILE.into()],
        cache: true,
    };
    assert_eq!(Journal::parse(&j.to_text()), Some(j.clone()));
    // Cut short, or with a path that leaves the output: not a journal.
    let text = j.to_text();
    assert_eq!(Journal::parse(text.trim_end_matches("end\n")), None);
    assert_eq!(
        Journal::parse(&text.replace("a/b.yaml", "../../etc/passwd")),
        None
    );
}

/// Stopped after any number of steps, and finished by the next run (more than once,
/// if that run is stopped too): the new output, the user's files untouched.
#[test]
fn stopped_at_any_step_the_next_run_finishes_it() {
    let steps = 2 + 4 + 1;
    for stop in 0..=steps {
        for second_stop in [0, 1, usize::MAX] {
            let tmp = tempfile::tempdir().unwrap();
            let (out, journal) = committed(tmp.path());
            assert_eq!(apply(&out, &journal, stop).unwrap(), stop);
            if second_stop != usize::MAX {
                apply(&out, &journal, second_stop).unwrap();
            }
            assert_eq!(recover(&out).unwrap(), Recovered::Journal, "stop {stop}");
            assert_eq!(read(&out), new_tree(), "stopped after {stop} steps");
            assert!(!out.join("gone").exists(), "emptied folders go");
            assert_eq!(
                fs::read_to_string(tmp.path().join(".out.kiln-cache")).unwrap(),
                "new cache"
            );
            assert!(!path(&out).unwrap().exists());
            assert!(!staging_dir(&out).unwrap().exists());
            assert_eq!(recover(&out).unwrap(), Recovered::Nothing);
        }
    }
}

#[test]
fn without_a_journal_a_staging_folder_is_only_removed() {
    let tmp = tempfile::tempdir().unwrap();
    let (out, _) = committed(tmp.path());
    let before = read(&out);
    fs::remove_file(path(&out).unwrap()).unwrap();
    assert_eq!(recover(&out).unwrap(), Recovered::Staging);
    assert_eq!(read(&out), before);
    assert!(!staging_dir(&out).unwrap().exists());
}

#[test]
fn a_journal_without_its_staging_folder_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let (out, _) = committed(tmp.path());
    let before = read(&out);
    fs::remove_dir_all(staging_dir(&out).unwrap()).unwrap();
    let err = recover(&out).unwrap_err().to_string();
    assert!(
        err.contains("was not left by an interrupted build"),
        "{err}"
    );
    assert_eq!(read(&out), before, "nothing removed");
    fs::write(path(&out).unwrap(), "rm -rf /\n").unwrap();
    let err = recover(&out).unwrap_err().to_string();
    assert!(err.contains("is not a journal this kiln can read"), "{err}");
}

#[cfg(unix)]
#[test]
fn a_journal_never_removes_or_writes_through_a_link() {
    let tmp = tempfile::tempdir().unwrap();
    let (out, _) = committed(tmp.path());
    let outside = tmp.path().join("outside");
    write(&outside, &[("y.yaml", "outside"), ("w.yaml", "outside")]);
    fs::remove_dir_all(out.join("gone")).unwrap();
    std::os::unix::fs::symlink(&outside, out.join("gone")).unwrap();
    let err = format!("{:#}", recover(&out).unwrap_err());
    assert!(err.contains("is a symbolic link"), "{err}");
    assert_eq!(read(&outside).len(), 2, "nothing outside removed");
    fs::remove_file(out.join("gone")).unwrap();
    fs::create_dir_all(out.join("new")).unwrap();
    std::os::unix::fs::symlink(&outside, out.join("new/deep")).unwrap();
    let err = format!("{:#}", recover(&out).unwrap_err());
    assert!(err.contains("symbolic link"), "{err}");
    assert_eq!(
        fs::read_to_string(outside.join("w.yaml")).unwrap(),
        "outside"
    );
}

#[cfg(unix)]
#[test]
fn a_planted_staging_folder_cannot_bring_in_files_from_outside() {
    let tmp = tempfile::tempdir().unwrap();
    let (out, _) = committed(tmp.path());
    let outside = tmp.path().join("outside");
    write(
        &outside,
        &[("secret/key", "outside"), ("a/x.yaml", "outside")],
    );
    let staging = staging_dir(&out).unwrap();
    // The staged tree as a link, then a folder of it as a link.
    fs::remove_dir_all(tree(&staging)).unwrap();
    std::os::unix::fs::symlink(&outside, tree(&staging)).unwrap();
    let err = format!("{:#}", recover(&out).unwrap_err());
    assert!(err.contains("is not a folder kiln staged"), "{err}");
    fs::remove_file(tree(&staging)).unwrap();
    fs::create_dir_all(tree(&staging)).unwrap();
    std::os::unix::fs::symlink(outside.join("a"), tree(&staging).join("a")).unwrap();
    let err = format!("{:#}", recover(&out).unwrap_err());
    assert!(err.contains("is not a file kiln staged"), "{err}");
    assert_eq!(read(&outside).len(), 2, "nothing taken from outside");
    assert_eq!(fs::read_to_string(out.join("a/x.yaml")).unwrap(), "old x");
}

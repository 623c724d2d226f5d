//! Writing a build as it is produced: each unit's files go to a staging folder next
//! to the output (`.<out>.kiln-staging/tree/`) as soon as the unit is checked, so a
//! build never holds the whole output in memory. When every unit has succeeded,
//! `commit` compares the staged files with the output and puts the new output in
//! place all at once:
//!
//! - into an output directory that does not exist yet, the staged tree becomes the
//!   output in one rename;
//! - otherwise through the journal (see `journal`): the new index `.kiln-owned` and
//!   the new cache are staged too, the journal lists the files to remove and to move
//!   in, and once it is written the build has happened: kiln carries it out, and if it
//!   is stopped, the next kiln command does.
//!
//! A failed build, or one blocked by a file that is not kiln's or by a link in the
//! way, removes the staging folder and leaves the output as it was.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::{bail, Context as _};

use super::boundary::{self, Probe, Prober};
use super::cache::{self, Previous, Stamp};
use super::journal::{self, Journal};
use super::{is_safe_path, parse_index, Comparison, WriteOutcome, INDEX_FILE};
use crate::unit::blob_id;
use crate::unit::UnitOutput;
use crate::unit::{Output, Sink};

/// The staging folder of a build, which receives the files of the units built.
pub struct Staging {
    dir: PathBuf,
    /// Where the files go, laid out as in the output.
    tree: PathBuf,
    /// Paths written, for `commit`, with each file's stamp as written.
    written: Mutex<BTreeMap<String, Option<Stamp>>>,
}

/// The stamps of the files a commit moved into the output (a rename keeps a file's
/// size, modification time and inode), so the cache need not look at them again.
pub type Moved = BTreeMap<String, Stamp>;

impl Staging {
    /// A fresh staging folder next to `out` (a leftover one is removed). Call it with
    /// the output's lock held.
    pub fn new(out: &Path) -> anyhow::Result<Staging> {
        let dir = journal::staging_dir(out)?;
        match boundary::lstat(&dir)? {
            Some(m) if m.is_dir() => fs::remove_dir_all(&dir),
            Some(_) => fs::remove_file(&dir),
            None => Ok(()),
        }
        .with_context(|| {
            format!(
                "cannot remove the leftover staging folder `{}`",
                dir.display()
            )
        })?;
        let tree = journal::tree(&dir);
        fs::create_dir_all(&tree).with_context(|| format!("cannot create `{}`", tree.display()))?;
        Ok(Staging {
            dir,
            tree,
            written: Mutex::new(BTreeMap::new()),
        })
    }

    /// Removes the staging folder.
    pub fn discard(self) {
        let _ = fs::remove_dir_all(&self.dir);
    }
}

impl Sink for Staging {
    fn unit(&self, _: &UnitOutput, files: Vec<(String, Vec<u8>)>) -> anyhow::Result<()> {
        let mut made: BTreeSet<PathBuf> = BTreeSet::new();
        let mut stamps = Vec::with_capacity(files.len());
        for (path, bytes) in &files {
            if !is_safe_path(path) || path == INDEX_FILE {
                bail!("refusing to write `{path}`: the path would leave the output directory");
            }
            let target = self.tree.join(path);
            if let Some(parent) = target.parent() {
                if !made.contains(parent) {
                    fs::create_dir_all(parent)
                        .with_context(|| format!("cannot create `{}`", parent.display()))?;
                    made.insert(parent.to_path_buf());
                }
            }
            let mut file = fs::File::create(&target)
                .with_context(|| format!("cannot write `{}`", target.display()))?;
            file.write_all(bytes)
                .with_context(|| format!("cannot write `{}`", target.display()))?;
            stamps.push(file.metadata().ok().and_then(|m| Stamp::from_metadata(&m)));
        }
        let mut written = self
            .written
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        written.extend(files.into_iter().map(|(p, _)| p).zip(stamps));
        Ok(())
    }
}

/// How each file of the output compares with the disk, looked at without following
/// links. Files of reused units are on disk as written (the cache checked); files in
/// `previous.verified` have a known blob id; others are read.
fn compare_files(
    out: &Path,
    output: &Output,
    fresh: &dyn Fn(&str) -> bool,
    previous: &Previous,
) -> anyhow::Result<Comparison> {
    let prober = Prober::new(out);
    let probe = |path: &str| {
        prober
            .probe(path)
            .with_context(|| format!("cannot read `{}`", out.join(path).display()))
    };
    let read = |path: &str| {
        boundary::read_regular(&out.join(path))
            .with_context(|| format!("cannot read `{}`", out.join(path).display()))
    };
    let mut c = Comparison::default();
    let mut foreign = BTreeSet::new();
    let mut links = BTreeSet::new();
    let index = super::index(output);
    let mut owned = BTreeSet::new();
    match probe(INDEX_FILE)? {
        Probe::File(_) => {
            let bytes = read(INDEX_FILE)?.unwrap_or_default();
            owned = parse_index(&String::from_utf8_lossy(&bytes))
                .into_iter()
                .filter(|p| is_safe_path(p))
                .collect();
            if bytes == index {
                c.unchanged.push(INDEX_FILE.to_string());
            } else {
                c.stale.push(INDEX_FILE.to_string());
            }
        }
        Probe::Absent => c.missing.push(INDEX_FILE.to_string()),
        Probe::Link(at) => {
            links.insert(at);
        }
        Probe::Dir | Probe::NotDir(_) | Probe::Other => {
            foreign.insert(INDEX_FILE.to_string());
        }
    }
    let produced = output.files();
    for (path, o) in &produced {
        if !fresh(path) {
            c.unchanged.push(path.to_string());
            continue;
        }
        let on_disk = match previous.verified.get(*path) {
            Some((oid, _)) => Some(oid.clone()),
            None => match probe(path)? {
                Probe::File(_) => read(path)?.map(|bytes| blob_id(&bytes)),
                Probe::Absent => None,
                Probe::Link(at) => {
                    links.insert(at);
                    continue;
                }
                // A file kiln owned and no longer produces, where this file's folder
                // goes: it is removed first.
                Probe::NotDir(at) if owned.contains(&at) && !produced.contains_key(at.as_str()) => {
                    None
                }
                Probe::NotDir(at) => {
                    foreign.insert(at);
                    continue;
                }
                Probe::Dir | Probe::Other => {
                    foreign.insert(path.to_string());
                    continue;
                }
            },
        };
        match on_disk {
            None => c.missing.push(path.to_string()),
            Some(oid) if oid == o.oid => c.unchanged.push(path.to_string()),
            Some(_) if owned.contains(*path) => c.stale.push(path.to_string()),
            Some(_) => {
                foreign.insert(path.to_string());
            }
        }
    }
    for path in owned {
        if produced.contains_key(path.as_str()) {
            continue;
        }
        match probe(&path)? {
            Probe::File(_) => c.extra.push(path),
            Probe::Link(at) => {
                links.insert(at);
            }
            // Gone, or no longer a file: not kiln's to remove.
            Probe::Absent | Probe::Dir | Probe::NotDir(_) | Probe::Other => {}
        }
    }
    c.missing.sort();
    c.stale.sort();
    c.foreign = foreign.into_iter().collect();
    c.links = links.into_iter().collect();
    Ok(c)
}

/// Compares a build with the output directory, writing nothing (`kiln build --check`).
pub struct Compare {
    /// Blob ids of the files of the units built, by path.
    built: Mutex<BTreeSet<String>>,
}

impl Default for Compare {
    fn default() -> Self {
        Compare {
            built: Mutex::new(BTreeSet::new()),
        }
    }
}

impl Sink for Compare {
    fn unit(&self, _: &UnitOutput, files: Vec<(String, Vec<u8>)>) -> anyhow::Result<()> {
        let mut built = self
            .built
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        built.extend(files.into_iter().map(|(path, _)| path));
        Ok(())
    }
}

impl Compare {
    pub fn finish(
        self,
        out: &Path,
        output: &Output,
        previous: &Previous,
    ) -> anyhow::Result<Comparison> {
        let built = self
            .built
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        compare_files(out, output, &|p| built.contains(p), previous)
    }
}

/// Keeps the files of the units built in memory (for `diff` and `publish`).
#[derive(Default)]
pub struct Memory {
    pub files: Mutex<BTreeMap<String, Vec<u8>>>,
}

impl Sink for Memory {
    fn unit(&self, _: &UnitOutput, files: Vec<(String, Vec<u8>)>) -> anyhow::Result<()> {
        let mut all = self
            .files
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        all.extend(files);
        Ok(())
    }
}

impl Memory {
    /// Every file of the output: those built from memory, the others (of reused units,
    /// which the cache found on disk as written) read from the output directory.
    pub fn all(self, out: &Path, output: &Output) -> anyhow::Result<BTreeMap<String, Vec<u8>>> {
        let mut files = self
            .files
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for path in output.files().keys() {
            if !files.contains_key(*path) {
                let file = out.join(path);
                let bytes = boundary::read_regular(&file)
                    .and_then(|b| b.ok_or_else(|| io::Error::from(io::ErrorKind::NotFound)))
                    .with_context(|| format!("cannot read `{}`", file.display()))?;
                files.insert(path.to_string(), bytes);
            }
        }
        files.insert(INDEX_FILE.to_string(), super::index(output));
        Ok(files)
    }
}

/// Puts a successful build in place from the staging folder, with the cache when
/// `cache_id` is given. Call it with the output's exclusive lock held.
pub fn commit(
    out: &Path,
    staging: Staging,
    output: &Output,
    previous: &Previous,
    cache_id: Option<&str>,
) -> anyhow::Result<WriteOutcome> {
    let written = std::mem::take(
        &mut *staging
            .written
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner),
    );
    let staged_cache = journal::staged_cache(&staging.dir);
    let prepared = prepare(out, &staging, &written, output, previous, cache_id);
    let (c, saved) = match prepared {
        Ok(Prepared::Ready(c, saved)) => (c, saved),
        Ok(Prepared::Done(outcome)) => {
            staging.discard();
            return Ok(outcome);
        }
        Err(e) => {
            staging.discard();
            return Err(e);
        }
    };
    if c.is_clean() {
        let result = if saved {
            rename_cache(&staged_cache, out)
        } else {
            Ok(())
        };
        staging.discard();
        result?;
        return Ok(WriteOutcome::Unchanged);
    }
    let mut moves: Vec<String> = c
        .missing
        .iter()
        .chain(&c.stale)
        .filter(|p| p.as_str() != INDEX_FILE)
        .cloned()
        .collect();
    moves.sort();
    let index_changed = c.missing.iter().chain(&c.stale).any(|p| p == INDEX_FILE);
    if index_changed {
        moves.push(INDEX_FILE.to_string());
    }
    let journal = Journal {
        removes: c.extra.clone(),
        moves,
        cache: saved,
    };
    if let Err(e) = journal::commit(out, &journal) {
        let _ = fs::remove_file(journal::path(out)?);
        staging.discard();
        return Err(e);
    }
    // The build has happened: if this is stopped, the next kiln command finishes it.
    journal::complete(out, &journal).with_context(|| {
        format!(
            "cannot finish writing `{}`; the next kiln command will try again",
            out.display()
        )
    })?;
    Ok(WriteOutcome::Written(c))
}

enum Prepared {
    /// Compared, and the index and cache staged (`true`: a cache is staged).
    Ready(Comparison, bool),
    /// Nothing more to do.
    Done(WriteOutcome),
}

/// Compares the staged build with the output and stages the index and the cache; into
/// an output that does not exist yet, moves the staged tree in.
fn prepare(
    out: &Path,
    staging: &Staging,
    written: &BTreeMap<String, Option<Stamp>>,
    output: &Output,
    previous: &Previous,
    cache_id: Option<&str>,
) -> anyhow::Result<Prepared> {
    let staged_cache = journal::staged_cache(&staging.dir);
    let index_path = staging.tree.join(INDEX_FILE);
    let write_index = || {
        fs::write(&index_path, super::index(output))
            .with_context(|| format!("cannot write `{}`", index_path.display()))
    };
    if boundary::lstat(out)?.is_none() {
        // A first build: the staged tree is the whole output.
        write_index()?;
        let moved: Moved = written
            .iter()
            .filter_map(|(p, s)| Some((p.clone(), (*s)?)))
            .collect();
        if let Some(id) = cache_id {
            cache::save(out, &staged_cache, id, output, previous, &moved)?;
        }
        if let Some(parent) = out.parent() {
            fs::create_dir_all(parent)
                .with_context(|| format!("cannot create `{}`", parent.display()))?;
        }
        fs::rename(&staging.tree, out)
            .with_context(|| format!("cannot move the new output into `{}`", out.display()))?;
        if cache_id.is_some() {
            rename_cache(&staged_cache, out)?;
        }
        let mut missing: Vec<String> = output
            .files()
            .keys()
            .map(std::string::ToString::to_string)
            .collect();
        missing.insert(0, INDEX_FILE.to_string());
        return Ok(Prepared::Done(WriteOutcome::Written(Comparison {
            missing,
            ..Comparison::default()
        })));
    }
    let c = compare_files(out, output, &|p| written.contains_key(p), previous)?;
    if !c.foreign.is_empty() || !c.links.is_empty() {
        return Ok(Prepared::Done(WriteOutcome::Blocked {
            foreign: c.foreign,
            links: c.links,
        }));
    }
    let untouched = c.is_clean() && cache::unchanged(previous, output);
    let saved = match cache_id {
        Some(id) if !untouched => {
            let moved: Moved = c
                .missing
                .iter()
                .chain(&c.stale)
                .filter_map(|p| Some((p.clone(), written.get(p).copied().flatten()?)))
                .collect();
            cache::save(out, &staged_cache, id, output, previous, &moved)?;
            true
        }
        _ => false,
    };
    if c.missing.iter().chain(&c.stale).any(|p| p == INDEX_FILE) {
        write_index()?;
    }
    Ok(Prepared::Ready(c, saved))
}

fn rename_cache(staged: &Path, out: &Path) -> anyhow::Result<()> {
    let target = cache::path(out);
    fs::rename(staged, &target).with_context(|| format!("cannot write `{}`", target.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emit::read_tree as read;
    use crate::object_id::ObjectId;
    use crate::unit::ObjectFact;

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
}

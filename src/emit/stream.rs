//! Writing a build as it is produced: each unit's files go to a staging directory next
//! to the output as soon as the unit is checked, so a build never holds the whole
//! output in memory. When every unit has succeeded, `commit` moves the new and changed
//! files into the output directory:
//!
//! - into an output directory that does not exist yet, the staging directory becomes
//!   the output in one rename;
//! - otherwise file by file: first the index `.kiln-owned` claims every file the build
//!   will write, then each new or changed file replaces the old one with a rename (so
//!   each file is whole at every moment), files kiln no longer produces are removed, and
//!   the index is written as it is now. An interrupted build leaves files that are all
//!   listed in the index, and the next build puts everything right.
//!
//! A failed build removes the staging directory and leaves the output as it was.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::{bail, Context as _};

use super::cache::{Previous, Stamp};
use super::{is_safe_path, parse_index, Comparison, WriteOutcome, INDEX_FILE};
use crate::compile::{Output, Sink};
use crate::unit::blob_id;
use crate::unit::UnitOutput;

fn owned_on_disk(out: &Path) -> BTreeSet<String> {
    fs::read_to_string(out.join(INDEX_FILE))
        .map(|t| {
            parse_index(&t)
                .into_iter()
                .filter(|p| is_safe_path(p))
                .collect()
        })
        .unwrap_or_default()
}

fn write_file(target: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    if let Some(parent) = target.parent() {
        fs::create_dir_all(parent)
            .with_context(|| format!("cannot create `{}`", parent.display()))?;
    }
    fs::write(target, bytes).with_context(|| format!("cannot write `{}`", target.display()))
}

/// A hidden path next to `out`, on the same filesystem.
pub fn sibling(out: &Path, suffix: &str) -> anyhow::Result<PathBuf> {
    let name = out
        .file_name()
        .with_context(|| format!("the output directory `{}` has no name", out.display()))?;
    let parent = out.parent().unwrap_or(Path::new("."));
    Ok(parent.join(format!(".{}.{suffix}", name.to_string_lossy())))
}

/// The staging directory of a build, which receives the files of the units built.
pub struct Staging {
    dir: PathBuf,
    /// Paths written, for `commit`, with each file's stamp as written. Only looked up,
    /// never iterated.
    written: Mutex<HashMap<String, Option<Stamp>>>,
}

/// The stamps of the files a commit moved into the output (a rename keeps a file's
/// size, modification time and inode), so the cache need not look at them again.
/// Only looked up, never iterated, so its order cannot reach the output.
pub type Moved = HashMap<String, Stamp>;

impl Staging {
    /// A fresh staging directory next to `out` (a leftover one is removed).
    pub fn new(out: &Path) -> anyhow::Result<Staging> {
        let dir = sibling(out, "kiln-staging")?;
        if dir.exists() {
            fs::remove_dir_all(&dir).with_context(|| {
                format!(
                    "cannot remove the leftover staging directory `{}`",
                    dir.display()
                )
            })?;
        }
        fs::create_dir_all(&dir).with_context(|| format!("cannot create `{}`", dir.display()))?;
        Ok(Staging {
            dir,
            written: Mutex::new(HashMap::new()),
        })
    }

    /// Removes the staging directory.
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
            let target = self.dir.join(path);
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
        let mut written = self.written.lock().unwrap_or_else(|e| e.into_inner());
        written.extend(files.into_iter().map(|(p, _)| p).zip(stamps));
        Ok(())
    }
}

/// How each file of the output compares with the disk. Files of reused units are on
/// disk as written (the cache checked); files in `previous.verified` have a known blob
/// id; others are read.
fn compare_files(
    out: &Path,
    output: &Output,
    fresh: &dyn Fn(&str) -> bool,
    previous: &Previous,
) -> anyhow::Result<Comparison> {
    let owned = owned_on_disk(out);
    let mut c = Comparison::default();
    let index = output.index();
    for (path, o) in output.files() {
        if !fresh(path) {
            c.unchanged.push(path.to_string());
            continue;
        }
        let on_disk = match previous.verified.get(path) {
            Some((oid, _)) => Some(oid.clone()),
            None => match fs::read(out.join(path)) {
                Ok(bytes) => Some(blob_id(&bytes)),
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
                    ) =>
                {
                    None
                }
                Err(e) if e.kind() == io::ErrorKind::IsADirectory => Some(String::new()),
                Err(e) => {
                    return Err(e)
                        .with_context(|| format!("cannot read `{}`", out.join(path).display()))
                }
            },
        };
        match on_disk {
            None => c.missing.push(path.to_string()),
            Some(oid) if oid == o.oid => c.unchanged.push(path.to_string()),
            Some(_) if owned.contains(path) => c.stale.push(path.to_string()),
            Some(_) => c.foreign.push(path.to_string()),
        }
    }
    match fs::read(out.join(INDEX_FILE)) {
        Ok(bytes) if bytes == index => c.unchanged.push(INDEX_FILE.to_string()),
        Ok(_) => c.stale.insert(0, INDEX_FILE.to_string()),
        Err(_) => c.missing.insert(0, INDEX_FILE.to_string()),
    }
    let produced = output.files();
    for path in owned {
        if !produced.contains_key(path.as_str()) && out.join(&path).exists() {
            c.extra.push(path);
        }
    }
    c.missing.sort();
    c.stale.sort();
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
        let mut built = self.built.lock().unwrap_or_else(|e| e.into_inner());
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
        let built = self.built.into_inner().unwrap_or_else(|e| e.into_inner());
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
        let mut all = self.files.lock().unwrap_or_else(|e| e.into_inner());
        all.extend(files);
        Ok(())
    }
}

impl Memory {
    /// Every file of the output: those built from memory, the others (of reused units)
    /// read from the output directory.
    pub fn all(self, out: &Path, output: &Output) -> anyhow::Result<BTreeMap<String, Vec<u8>>> {
        let mut files = self.files.into_inner().unwrap_or_else(|e| e.into_inner());
        for path in output.files().keys() {
            if !files.contains_key(*path) {
                let bytes = fs::read(out.join(path))
                    .with_context(|| format!("cannot read `{}`", out.join(path).display()))?;
                files.insert(path.to_string(), bytes);
            }
        }
        files.insert(INDEX_FILE.to_string(), output.index());
        Ok(files)
    }
}

/// Moves a successful build from the staging directory into the output directory.
pub fn commit(
    out: &Path,
    staging: Staging,
    output: &Output,
    previous: &Previous,
) -> anyhow::Result<(WriteOutcome, Moved)> {
    let written = std::mem::take(&mut *staging.written.lock().unwrap_or_else(|e| e.into_inner()));
    let result = commit_inner(out, &staging.dir, &written, output, previous);
    staging.discard();
    let outcome = result?;
    let moved: Vec<&String> = match &outcome {
        WriteOutcome::Written(c) => c.missing.iter().chain(&c.stale).collect(),
        WriteOutcome::Unchanged | WriteOutcome::Blocked(_) => Vec::new(),
    };
    let moved = moved
        .into_iter()
        .filter_map(|p| Some((p.clone(), written.get(p).copied().flatten()?)))
        .collect();
    Ok((outcome, moved))
}

fn commit_inner(
    out: &Path,
    staging: &Path,
    written: &HashMap<String, Option<Stamp>>,
    output: &Output,
    previous: &Previous,
) -> anyhow::Result<WriteOutcome> {
    if !out.exists() {
        // A first build: the staging directory is the whole output.
        let missing: Vec<String> = output.files().keys().map(|p| p.to_string()).collect();
        write_file(&staging.join(INDEX_FILE), &output.index())?;
        if let Some(parent) = out.parent() {
            fs::create_dir_all(parent)?;
        }
        fs::rename(staging, out)
            .with_context(|| format!("cannot move the new output into `{}`", out.display()))?;
        let mut c = Comparison {
            missing,
            ..Comparison::default()
        };
        c.missing.insert(0, INDEX_FILE.to_string());
        return Ok(WriteOutcome::Written(c));
    }
    let c = compare_files(out, output, &|p| written.contains_key(p), previous)?;
    if !c.foreign.is_empty() {
        return Ok(WriteOutcome::Blocked(c.foreign));
    }
    if c.is_clean() {
        return Ok(WriteOutcome::Unchanged);
    }
    // Claim new files first, so an interruption leaves nothing that looks foreign.
    let mut claimed: BTreeSet<String> = owned_on_disk(out);
    let before = claimed.len();
    claimed.extend(
        c.missing
            .iter()
            .filter(|p| p.as_str() != INDEX_FILE)
            .cloned(),
    );
    if claimed.len() > before {
        let mut index = String::from(super::INDEX_HEADER);
        for p in &claimed {
            index.push_str(p);
            index.push('\n');
        }
        replace(out, INDEX_FILE, index.as_bytes())?;
    }
    for path in c
        .missing
        .iter()
        .chain(c.stale.iter())
        .filter(|p| p.as_str() != INDEX_FILE)
    {
        let target = out.join(path);
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent)
                .with_context(|| format!("cannot create `{}`", parent.display()))?;
        }
        fs::rename(staging.join(path), &target)
            .with_context(|| format!("cannot write `{}`", target.display()))?;
    }
    for path in &c.extra {
        let target = out.join(path);
        fs::remove_file(&target)
            .with_context(|| format!("cannot remove `{}`", target.display()))?;
        remove_empty_parents(out, &target);
    }
    let index = output.index();
    if fs::read(out.join(INDEX_FILE)).ok().as_deref() != Some(index.as_slice()) {
        replace(out, INDEX_FILE, &index)?;
    }
    Ok(WriteOutcome::Written(c))
}

/// Writes a file through a temporary file and a rename, so it is never half written.
fn replace(out: &Path, path: &str, bytes: &[u8]) -> anyhow::Result<()> {
    let target = out.join(path);
    let tmp = out.join(format!("{path}.kiln-tmp"));
    write_file(&tmp, bytes)?;
    fs::rename(&tmp, &target).with_context(|| format!("cannot write `{}`", target.display()))
}

/// Removes the folders a removed file leaves empty, up to the output directory.
fn remove_empty_parents(out: &Path, file: &Path) {
    let mut dir = file.parent();
    while let Some(d) = dir {
        if d == out || !d.starts_with(out) || fs::remove_dir(d).is_err() {
            break;
        }
        dir = d.parent();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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
                group: String::new(),
                kind: "ConfigMap".into(),
                namespace: Some("n".into()),
                name: p.replace(['/', '.'], "-"),
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
        commit(out, staging, &output, &Previous::default()).map(|(outcome, _)| outcome)
    }

    fn read(dir: &Path) -> BTreeMap<String, String> {
        walkdir::WalkDir::new(dir)
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_file())
            .map(|e| {
                let rel = e
                    .path()
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .to_string();
                (rel, fs::read_to_string(e.path()).unwrap())
            })
            .collect()
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
        assert_eq!(outcome, WriteOutcome::Blocked(vec!["a/x.yaml".into()]));
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
}

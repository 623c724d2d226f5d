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

use super::boundary;
use super::cache::{self, Previous, Stamp};
use super::compare::compare_files;
use super::journal::{self, Journal};
use super::{is_safe_path, Comparison, WriteOutcome, INDEX_FILE};
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
mod tests;

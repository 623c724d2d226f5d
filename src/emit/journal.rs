//! The journal that makes writing the output all or nothing. Once every file of a build
//! is in the staging folder, kiln writes the list of what is left to do, the journal
//! `.<out>.kiln-journal` next to the output (through a temporary file in the staging
//! folder, flushed to disk, renamed into place, and the folder flushed): the files to
//! remove, the files to move in from the staging folder (the index `.kiln-owned` last),
//! and whether the cache follows. Writing the journal is the moment the build happens;
//! then kiln carries it out, removes the journal and then the staging folder.
//!
//! Every kiln command that reads or writes the output first finishes a journal it
//! finds, under the output's lock. Each step can be done again: a removal of a file
//! that is gone, or a move whose source is gone, is done. So whenever kiln is stopped,
//! the next kiln command sees the old output (no journal yet: the staging folder is
//! removed) or the new one (the journal is finished).

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _};

use super::boundary::{self, Probe, Prober};
use super::{cache, is_safe_path, sibling};

const MAGIC: &str = "kiln-journal 1";

/// What is left to do to turn the old output into the new one.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Journal {
    /// Files kiln owned and no longer produces, removed first.
    pub removes: Vec<String>,
    /// Files moved in from the staging folder's tree, in order.
    pub moves: Vec<String>,
    /// Whether the staging folder holds the new cache.
    pub cache: bool,
}

/// The journal of an output directory.
pub fn path(out: &Path) -> anyhow::Result<PathBuf> {
    sibling(out, "kiln-journal")
}

/// The staging folder of an output directory.
pub fn staging_dir(out: &Path) -> anyhow::Result<PathBuf> {
    sibling(out, "kiln-staging")
}

/// The folder of the staging folder that holds the new files, laid out as in the output.
pub fn tree(staging: &Path) -> PathBuf {
    staging.join("tree")
}

/// Where the staging folder holds the new cache.
pub fn staged_cache(staging: &Path) -> PathBuf {
    staging.join("cache")
}

impl Journal {
    fn to_text(&self) -> String {
        let mut text = format!("{MAGIC}\n");
        for p in &self.removes {
            text.push_str(&format!("remove\t{p}\n"));
        }
        for p in &self.moves {
            text.push_str(&format!("move\t{p}\n"));
        }
        if self.cache {
            text.push_str("cache\n");
        }
        text.push_str("end\n");
        text
    }

    fn parse(text: &str) -> Option<Journal> {
        let mut lines = text.lines();
        if lines.next() != Some(MAGIC) {
            return None;
        }
        let mut j = Journal::default();
        for line in lines {
            match line.split_once('\t') {
                Some(("remove", p)) if is_safe_path(p) => j.removes.push(p.to_string()),
                Some(("move", p)) if is_safe_path(p) => j.moves.push(p.to_string()),
                None if line == "cache" => j.cache = true,
                None if line == "end" => return Some(j),
                _ => return None,
            }
        }
        None
    }
}

/// Writes the journal next to the output: from here on the build has happened.
pub fn commit(out: &Path, journal: &Journal) -> anyhow::Result<()> {
    let staging = staging_dir(out)?;
    let tmp = staging.join("journal");
    let target = path(out)?;
    let write = || -> std::io::Result<()> {
        let mut f = boundary::create_new(&tmp)?;
        f.write_all(journal.to_text().as_bytes())?;
        f.sync_all()
    };
    write().with_context(|| format!("cannot write `{}`", tmp.display()))?;
    fs::rename(&tmp, &target).with_context(|| format!("cannot write `{}`", target.display()))?;
    if let Some(parent) = target.parent() {
        boundary::sync_dir(parent)
            .with_context(|| format!("cannot flush `{}`", parent.display()))?;
    }
    Ok(())
}

/// Carries out a committed journal, then removes it and the staging folder.
pub fn complete(out: &Path, journal: &Journal) -> anyhow::Result<()> {
    apply(out, journal, usize::MAX)?;
    finish(out)
}

/// Does the first `limit` steps of the journal (all of them in kiln; fewer in tests,
/// to stop where a kill could). Returns how many it did.
fn apply(out: &Path, journal: &Journal, limit: usize) -> anyhow::Result<usize> {
    let staging = staging_dir(out)?;
    let tree = tree(&staging);
    // The staging folder may have been planted (a pull request can add one, with a
    // journal): nothing is moved in through a link, so nothing outside is taken.
    for dir in [&staging, &tree] {
        if boundary::lstat(dir)?.is_some_and(|m| !m.is_dir()) {
            bail!("`{}` is not a folder kiln staged", dir.display());
        }
    }
    let prober = Prober::new(out);
    let staged = Prober::new(&tree);
    let mut done = 0;
    for p in &journal.removes {
        if done == limit {
            return Ok(done);
        }
        remove(out, &prober, p)?;
        done += 1;
    }
    for p in &journal.moves {
        if done == limit {
            return Ok(done);
        }
        move_in(out, &tree, &staged, &prober, p)?;
        done += 1;
    }
    if journal.cache {
        if done == limit {
            return Ok(done);
        }
        let from = staged_cache(&staging);
        if boundary::lstat(&from)?.is_some_and(|m| m.is_file()) {
            let to = cache::path(out);
            fs::rename(&from, &to).with_context(|| format!("cannot write `{}`", to.display()))?;
        }
        done += 1;
    }
    Ok(done)
}

/// Removes a file kiln no longer produces, and the folders it leaves empty. A link on
/// the way is refused: kiln deletes only inside the output.
fn remove(out: &Path, prober: &Prober, p: &str) -> anyhow::Result<()> {
    let target = out.join(p);
    match prober
        .probe(p)
        .with_context(|| format!("cannot read `{}`", target.display()))?
    {
        Probe::File(_) => {
            fs::remove_file(&target)
                .with_context(|| format!("cannot remove `{}`", target.display()))?;
            remove_empty_parents(out, prober, p);
            Ok(())
        }
        Probe::Link(at) => bail!(
            "refusing to remove `{}`: `{}` is a symbolic link",
            target.display(),
            out.join(at).display()
        ),
        // Gone already, or no longer a file kiln wrote: left alone.
        Probe::Absent | Probe::NotDir(_) | Probe::Dir | Probe::Other => Ok(()),
    }
}

/// Moves a file from the staging tree into the output, creating its folders; done
/// already when the staged file is gone.
fn move_in(
    out: &Path,
    tree: &Path,
    staged: &Prober,
    prober: &Prober,
    p: &str,
) -> anyhow::Result<()> {
    let from = tree.join(p);
    let target = out.join(p);
    match staged
        .probe(p)
        .with_context(|| format!("cannot read `{}`", from.display()))?
    {
        Probe::Absent => return Ok(()),
        Probe::File(_) => {}
        _ => bail!("`{}` is not a file kiln staged", from.display()),
    }
    if let Some((parent, _)) = p.rsplit_once('/') {
        prober.ensure_dir(parent)?;
    }
    fs::rename(&from, &target).with_context(|| format!("cannot write `{}`", target.display()))
}

/// Removes the folders a removed file leaves empty, up to the output directory.
fn remove_empty_parents(out: &Path, prober: &Prober, p: &str) {
    let mut rel = p;
    while let Some((parent, _)) = rel.rsplit_once('/') {
        if fs::remove_dir(out.join(parent)).is_err() {
            break;
        }
        prober.forget(parent);
        rel = parent;
    }
}

/// Removes the journal, then the staging folder.
fn finish(out: &Path) -> anyhow::Result<()> {
    let journal = path(out)?;
    fs::remove_file(&journal).with_context(|| format!("cannot remove `{}`", journal.display()))?;
    if let Some(parent) = journal.parent() {
        boundary::sync_dir(parent)
            .with_context(|| format!("cannot flush `{}`", parent.display()))?;
    }
    remove_staging(out)
}

fn remove_staging(out: &Path) -> anyhow::Result<()> {
    let staging = staging_dir(out)?;
    match boundary::lstat(&staging)? {
        None => Ok(()),
        Some(m) if m.is_dir() => fs::remove_dir_all(&staging),
        Some(_) => fs::remove_file(&staging),
    }
    .with_context(|| format!("cannot remove `{}`", staging.display()))
}

/// Whether an interrupted build left something behind: a journal or a staging folder.
pub fn pending(out: &Path) -> anyhow::Result<bool> {
    Ok(boundary::lstat(&path(out)?)?.is_some() || boundary::lstat(&staging_dir(out)?)?.is_some())
}

/// What an interrupted build had left.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recovered {
    Nothing,
    /// A staging folder without a journal: the build had not happened; removed.
    Staging,
    /// A journal: the build had happened; finished.
    Journal,
}

/// Puts right what an interrupted build left; run under the output's exclusive lock,
/// before anything reads or writes the output.
pub fn recover(out: &Path) -> anyhow::Result<Recovered> {
    let journal_path = path(out)?;
    let staging = staging_dir(out)?;
    let bytes = boundary::read_regular(&journal_path)
        .with_context(|| format!("cannot read `{}`", journal_path.display()))?;
    let Some(bytes) = bytes else {
        if boundary::lstat(&staging)?.is_none() {
            return Ok(Recovered::Nothing);
        }
        remove_staging(out)?;
        return Ok(Recovered::Staging);
    };
    let Some(journal) = Journal::parse(&String::from_utf8_lossy(&bytes)) else {
        bail!(
            "`{}` is not a journal this kiln can read; if no kiln is running, remove it and build again",
            journal_path.display()
        );
    };
    if !boundary::lstat(&staging)?.is_some_and(|m| m.is_dir()) {
        bail!(
            "`{}` was not left by an interrupted build (its staging folder `{}` is missing); if no kiln is running, remove it and build again",
            journal_path.display(),
            staging.display()
        );
    }
    complete(out, &journal).with_context(|| {
        format!(
            "cannot finish writing `{}` as the interrupted build left it",
            out.display()
        )
    })?;
    Ok(Recovered::Journal)
}

#[cfg(test)]
mod tests;

//! Committing a compiled tree into a folder of a branch of the rendered repository, with
//! git2 and without any working tree: the new tree is built in an in-memory index from
//! the branch's tip, the commit is written to the object database, and the branch moves
//! only if it still points where it pointed when kiln read it. An adapter at the edge.
//!
//! Ownership: kiln changes only the files listed in the index file it keeps in the
//! folder (`.kiln-owned`, outside every application path); everything else in the
//! repository stays exactly as it was.

use std::collections::BTreeSet;
use std::path::Path;

use git2::{Commit, Index, IndexEntry, IndexTime, Oid, Repository, Signature};

use crate::diff::{self, Files, Report};
use crate::emit::{is_safe_path, parse_index, INDEX_FILE};
use crate::git::{self, user, Result};

mod remote;

pub use remote::{fetch_remote, is_url, push, without_credentials};

/// Where the compiled tree came from, for the commit's trailers.
#[derive(Clone, Debug, Default)]
pub struct Source {
    /// The workspace's commit, when it is in git.
    pub commit: Option<String>,
    /// Whether the workspace had uncommitted changes.
    pub dirty: bool,
    /// The workspace's repository: its `origin` URL without credentials, or its path.
    pub repo: String,
}

/// What a publish would do, read from the branch's tip.
pub struct Prepared {
    pub branch: String,
    /// The tip kiln read; the branch must still be there when it moves.
    pub tip: Option<Oid>,
    pub tree: Oid,
    pub report: Report,
    /// Nothing to commit: the tip already holds this tree.
    pub unchanged: bool,
}

fn branch_ref(branch: &str) -> String {
    format!("refs/heads/{branch}")
}

fn join(folder: &str, path: &str) -> String {
    if folder.is_empty() {
        path.to_string()
    } else {
        format!("{folder}/{path}")
    }
}

/// Opens a local repository to publish into. A branch checked out in one of its
/// working trees is refused: moving it would leave that working tree behind.
pub fn open_local(path: &Path, branch: &str) -> Result<Repository> {
    let repo = Repository::open(path).map_err(|_| {
        user(
            format!("`{}` is not a git repository", path.display()),
            Some("create one with `git init --bare`, or clone the rendered repository".into()),
        )
    })?;
    let refname = branch_ref(branch);
    // HEAD names the branch even before its first commit.
    let head_is = |r: &Repository| {
        r.find_reference("HEAD")
            .ok()
            .and_then(|h| h.symbolic_target().map(str::to_string))
            .is_some_and(|target| target == refname)
    };
    let mut checked_out = Vec::new();
    if !repo.is_bare() && head_is(&repo) {
        checked_out.push(
            repo.workdir()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
        );
    }
    for name in repo.worktrees()?.iter().flatten() {
        let Ok(wt) = repo.find_worktree(name) else {
            continue;
        };
        let Ok(wt_repo) = Repository::open_from_worktree(&wt) else {
            continue;
        };
        if head_is(&wt_repo) {
            checked_out.push(wt.path().display().to_string());
        }
    }
    if let Some(dir) = checked_out.first() {
        return Err(user(
            format!("branch `{branch}` is checked out in `{dir}`, and kiln does not change working trees"),
            Some("publish into a bare clone (`git clone --bare`), or pass the repository's URL with `--push`".into()),
        ));
    }
    Ok(repo)
}

/// Builds the tree the branch should hold: its tip with kiln's previous files in
/// `folder` replaced by `files`.
pub fn prepare(repo: &Repository, branch: &str, folder: &str, files: &Files) -> Result<Prepared> {
    let tip = tip(repo, branch)?;
    let tip_tree = tip.as_ref().map(Commit::tree).transpose()?;
    let old = match &tip_tree {
        Some(tree) => git::files_under(repo, tree, folder)?,
        None => Files::new(),
    };
    let owned = owned(&old);
    refuse_foreign(branch, folder, files, &old, &owned)?;
    let mut index = Index::new()?;
    if let Some(tree) = &tip_tree {
        index.read_tree(tree)?;
    }
    for path in owned.iter().chain(std::iter::once(&INDEX_FILE.to_string())) {
        let full = join(folder, path);
        if index.get_path(Path::new(&full), 0).is_some() {
            index.remove_path(Path::new(&full))?;
        }
    }
    in_the_way(&index, branch, folder, files)?;
    add_files(repo, &mut index, folder, files)?;
    let tree = index.write_tree_to(repo)?;
    let unchanged = tip_tree.as_ref().is_some_and(|t| t.id() == tree);
    let report = diff::compare(&old, files, folder);
    Ok(Prepared {
        branch: branch.to_string(),
        tip: tip.map(|c| c.id()),
        tree,
        report,
        unchanged,
    })
}

/// The commit at the tip of `branch`, if the branch exists.
fn tip<'r>(repo: &'r Repository, branch: &str) -> Result<Option<Commit<'r>>> {
    match repo.find_reference(&branch_ref(branch)) {
        Ok(r) => Ok(Some(r.peel_to_commit()?)),
        Err(e) if e.code() == git2::ErrorCode::NotFound => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// The files kiln's index in the folder lists (those with a safe path).
fn owned(old: &Files) -> BTreeSet<String> {
    old.get(INDEX_FILE)
        .map(|bytes| parse_index(&String::from_utf8_lossy(bytes)))
        .unwrap_or_default()
        .into_iter()
        .filter(|p| is_safe_path(p))
        .collect()
}

/// Refuses a build that would overwrite files of the folder that are not kiln's.
fn refuse_foreign(
    branch: &str,
    folder: &str,
    files: &Files,
    old: &Files,
    owned: &BTreeSet<String>,
) -> Result<()> {
    let foreign: Vec<String> = files
        .keys()
        .filter(|p| p.as_str() != INDEX_FILE && old.contains_key(*p) && !owned.contains(*p))
        .map(|p| join(folder, p))
        .collect();
    if foreign.is_empty() {
        return Ok(());
    }
    let listed: Vec<String> = foreign.iter().take(10).map(|p| format!("`{p}`")).collect();
    let more = match foreign.len() {
        n if n > 10 => format!(" and {} more", n - 10),
        _ => String::new(),
    };
    Err(user(
        format!(
            "branch `{branch}` has files that are not kiln's where the build goes: {}{more}",
            listed.join(", ")
        ),
        Some(format!(
            "move or delete them in the rendered repository; kiln changes only the files listed in `{}`",
            join(folder, INDEX_FILE)
        )),
    ))
}

/// Writes each of `files` as a blob and adds it to `index` under `folder`.
fn add_files(repo: &Repository, index: &mut Index, folder: &str, files: &Files) -> Result<()> {
    for (path, bytes) in files {
        let full = join(folder, path);
        let id = repo.blob(bytes)?;
        index.add(&IndexEntry {
            ctime: IndexTime::new(0, 0),
            mtime: IndexTime::new(0, 0),
            dev: 0,
            ino: 0,
            mode: 0o100_644,
            uid: 0,
            gid: 0,
            file_size: u32::try_from(bytes.len()).unwrap_or(u32::MAX),
            id,
            flags: u16::try_from(full.len().min(0xfff)).unwrap_or(0xfff),
            flags_extended: 0,
            path: full.into_bytes(),
        })?;
    }
    Ok(())
}

/// Refuses a build whose files the branch's other files are in the way of: a file that
/// is not kiln's where the build needs a folder (the index would replace it), or a
/// folder where the build writes a file (the index would drop kiln's file). `index` is
/// the branch's tree without kiln's previous files.
fn in_the_way(index: &Index, branch: &str, folder: &str, files: &Files) -> Result<()> {
    let mut entries: BTreeSet<Vec<u8>> = BTreeSet::new();
    let mut folders: BTreeSet<Vec<u8>> = BTreeSet::new();
    for entry in index.iter() {
        let path = entry.path;
        for (i, b) in path.iter().enumerate() {
            if let (b'/', Some(folder)) = (*b, path.get(..i)) {
                folders.insert(folder.to_vec());
            }
        }
        entries.insert(path);
    }
    let mut files_in_way: BTreeSet<String> = BTreeSet::new();
    let mut folders_in_way: BTreeSet<String> = BTreeSet::new();
    for path in files.keys() {
        let full = join(folder, path);
        let bytes = full.as_bytes();
        if folders.contains(bytes) {
            folders_in_way.insert(full.clone());
        }
        for (i, b) in bytes.iter().enumerate() {
            if let (b'/', Some(prefix)) = (*b, full.get(..i)) {
                if entries.contains(prefix.as_bytes()) {
                    files_in_way.insert(prefix.to_string());
                }
            }
        }
    }
    let listed = |paths: &BTreeSet<String>| {
        let mut text: Vec<String> = paths.iter().take(10).map(|p| format!("`{p}`")).collect();
        if paths.len() > 10 {
            text.push(format!("and {} more", paths.len() - 10));
        }
        text.join(", ")
    };
    let hint = Some(format!(
        "move or delete them in the rendered repository; kiln changes only the files listed in `{}`",
        join(folder, INDEX_FILE)
    ));
    if !files_in_way.is_empty() {
        return Err(user(
            format!(
                "branch `{branch}` has files that are not kiln's where the build needs folders: {}",
                listed(&files_in_way)
            ),
            hint,
        ));
    }
    if !folders_in_way.is_empty() {
        return Err(user(
            format!(
                "branch `{branch}` has folders where the build writes files: {}",
                listed(&folders_in_way)
            ),
            hint,
        ));
    }
    Ok(())
}

/// The commit message: a subject, the changes per application, and the trailers.
pub fn message(report: &Report, source: &Source) -> String {
    let totals = report.totals();
    let subject = if report.has_differences() {
        format!(
            "kiln: publish {} in {}",
            crate::diff::text::plural(totals.total(), "changed object", "changed objects"),
            crate::diff::text::plural(report.summary.len(), "application", "applications"),
        )
    } else {
        "kiln: publish (no object changed)".to_string()
    };
    let mut body = String::new();
    for app in &report.summary {
        body.push_str(&format!("{}: {}\n", app.application, app.counts.describe()));
    }
    let mut trailers = String::new();
    if let Some(commit) = &source.commit {
        trailers.push_str(&format!("Kiln-Source-Commit: {commit}\n"));
        if source.dirty {
            trailers.push_str("Kiln-Source-Dirty: true\n");
        }
    }
    trailers.push_str(&format!("Kiln-Source-Repo: {}\n", source.repo));
    if body.is_empty() {
        format!("{subject}\n\n{trailers}")
    } else {
        format!("{subject}\n\n{body}\n{trailers}")
    }
}

/// Writes the commit and moves the branch, unless the branch moved since `prepare`.
pub fn commit(repo: &Repository, prepared: &Prepared, message: &str) -> Result<Oid> {
    let signature = repo
        .signature()
        .or_else(|_| Signature::now("kiln", "kiln@localhost"))?;
    let tree = repo.find_tree(prepared.tree)?;
    let parent = prepared.tip.map(|id| repo.find_commit(id)).transpose()?;
    let parents: Vec<&Commit> = parent.iter().collect();
    let id = repo.commit(None, &signature, &signature, message, &tree, &parents)?;
    let refname = branch_ref(&prepared.branch);
    let moved = |_| {
        user(
            format!(
                "branch `{}` moved while kiln was publishing; nothing was changed",
                prepared.branch
            ),
            Some("someone else published at the same time: run `kiln publish` again".into()),
        )
    };
    let log = "kiln publish";
    let updated = match prepared.tip {
        Some(tip) => repo.reference_matching(&refname, id, true, tip, log),
        None => repo.reference(&refname, id, false, log),
    };
    match updated {
        Ok(_) => Ok(id),
        // A lock file of git's own: another git is moving the branch, or one was
        // stopped while it did (git leaves the lock then, and so may kiln).
        Err(e) if e.code() == git2::ErrorCode::Locked => Err(user(
            format!(
                "branch `{}` is locked: `{}` exists; nothing was changed",
                prepared.branch,
                repo.path().join(format!("{refname}.lock")).display()
            ),
            Some("another git command is updating the branch, or one was stopped while it did; if none is running, remove the lock file and publish again".into()),
        )),
        Err(e) => Err(moved(e)),
    }
}

#[cfg(test)]
mod tests;

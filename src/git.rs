//! Reading compiled trees out of git, through the object database: no checkout, no
//! change to any working tree or index. An adapter at the edge; the pipeline never
//! touches git.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use git2::{ObjectType, Repository, Tree, TreeWalkMode, TreeWalkResult};

use crate::diff::Files;

/// A problem with what the user asked for (exit 1), as opposed to git failing (exit 2).
#[derive(Debug)]
pub struct UserError {
    pub message: String,
    pub hint: Option<String>,
}

pub type Result<T> = std::result::Result<T, Outcome>;

/// Why reading from git stopped.
#[derive(Debug)]
pub enum Outcome {
    User(UserError),
    Failed(anyhow::Error),
}

impl From<anyhow::Error> for Outcome {
    fn from(e: anyhow::Error) -> Self {
        Outcome::Failed(e)
    }
}

impl From<git2::Error> for Outcome {
    fn from(e: git2::Error) -> Self {
        Outcome::Failed(e.into())
    }
}

pub fn user(message: impl Into<String>, hint: Option<String>) -> Outcome {
    Outcome::User(UserError {
        message: message.into(),
        hint,
    })
}

/// The repository that holds a directory, and the directory's path inside it.
pub fn locate(dir: &Path) -> Result<(Repository, String)> {
    let repo = Repository::discover(dir).map_err(|_| {
        user(
            format!("`{}` is not in a git repository", dir.display()),
            Some("`--base` reads the committed output from git; use `--against <dir>` to compare with a directory".into()),
        )
    })?;
    let workdir = repo
        .workdir()
        .ok_or_else(|| user("the workspace's repository is bare", None))?;
    let canonical = |p: &Path| -> anyhow::Result<PathBuf> {
        std::fs::canonicalize(p).with_context(|| format!("cannot resolve `{}`", p.display()))
    };
    let (dir, workdir) = (canonical(dir)?, canonical(workdir)?);
    let inside = dir
        .strip_prefix(&workdir)
        .context("the workspace is outside its repository's working tree")?;
    let parts: Vec<String> = inside
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    Ok((repo, parts.join("/")))
}

/// The tree of a commit named by `reference` (a branch, tag, sha, `HEAD~1`…).
pub fn commit_tree<'r>(repo: &'r Repository, reference: &str) -> Result<Tree<'r>> {
    let object = repo.revparse_single(reference).map_err(|_| {
        user(
            format!("`{reference}` is not a commit of the repository"),
            Some("name a branch, a tag or a commit; in CI, fetch the target branch first (`git fetch origin main`)".into()),
        )
    })?;
    let commit = object
        .peel_to_commit()
        .map_err(|_| user(format!("`{reference}` does not name a commit"), None))?;
    Ok(commit.tree()?)
}

/// The blob id of every file under `folder` of a tree, by path relative to `folder`.
/// A folder that is not there is an empty tree.
pub fn entries_under(
    repo: &Repository,
    tree: &Tree,
    folder: &str,
) -> Result<std::collections::BTreeMap<String, git2::Oid>> {
    let sub = if folder.is_empty() {
        Some(tree.clone())
    } else {
        match tree.get_path(Path::new(folder)) {
            Ok(entry) if entry.kind() == Some(ObjectType::Tree) => {
                Some(repo.find_tree(entry.id())?)
            }
            _ => None,
        }
    };
    let mut entries = std::collections::BTreeMap::new();
    let Some(sub) = sub else {
        return Ok(entries);
    };
    sub.walk(TreeWalkMode::PreOrder, |root, entry| {
        if entry.kind() == Some(ObjectType::Blob) {
            if let Some(name) = entry.name() {
                entries.insert(format!("{root}{name}"), entry.id());
            }
        }
        TreeWalkResult::Ok
    })?;
    Ok(entries)
}

/// The bytes of the given blobs, by path.
pub fn blobs<'p>(
    repo: &Repository,
    entries: impl IntoIterator<Item = (&'p String, &'p git2::Oid)>,
) -> Result<Files> {
    let mut files = Files::new();
    for (path, id) in entries {
        files.insert(path.clone(), repo.find_blob(*id)?.content().to_vec());
    }
    Ok(files)
}

/// Every file under `folder` of a tree, by path relative to `folder`. A folder that is
/// not there is an empty tree.
pub fn files_under(repo: &Repository, tree: &Tree, folder: &str) -> Result<Files> {
    let entries = entries_under(repo, tree, folder)?;
    blobs(repo, &entries)
}

/// Every file of a directory, by relative path with `/`; `.git` is skipped.
pub fn files_in_dir(dir: &Path) -> anyhow::Result<Files> {
    let mut files = Files::new();
    let walk = walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.file_name() != ".git");
    for entry in walk {
        let entry = entry.with_context(|| format!("cannot read `{}`", dir.display()))?;
        if !entry.file_type().is_file() {
            continue;
        }
        let rel = entry
            .path()
            .strip_prefix(dir)
            .context("a file outside the directory")?;
        let parts: Vec<String> = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        let bytes = std::fs::read(entry.path())
            .with_context(|| format!("cannot read `{}`", entry.path().display()))?;
        files.insert(parts.join("/"), bytes);
    }
    Ok(files)
}

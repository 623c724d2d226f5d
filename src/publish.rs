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

use git2::{
    Commit, Cred, CredentialType, Index, IndexEntry, IndexTime, Oid, PushOptions, RemoteCallbacks,
    Repository, Signature,
};

use crate::diff::{self, Files, Report};
use crate::emit::{is_safe_path, parse_index, INDEX_FILE};
use crate::git::{self, user, Result};

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
    let refname = branch_ref(branch);
    let tip: Option<Commit> = match repo.find_reference(&refname) {
        Ok(r) => Some(r.peel_to_commit()?),
        Err(e) if e.code() == git2::ErrorCode::NotFound => None,
        Err(e) => return Err(e.into()),
    };
    let tip_tree = tip.as_ref().map(Commit::tree).transpose()?;
    let old = match &tip_tree {
        Some(tree) => git::files_under(repo, tree, folder)?,
        None => Files::new(),
    };
    let owned: BTreeSet<String> = old
        .get(INDEX_FILE)
        .map(|bytes| parse_index(&String::from_utf8_lossy(bytes)))
        .unwrap_or_default()
        .into_iter()
        .filter(|p| is_safe_path(p))
        .collect();
    let foreign: Vec<String> = files
        .keys()
        .filter(|p| p.as_str() != INDEX_FILE && old.contains_key(*p) && !owned.contains(*p))
        .map(|p| join(folder, p))
        .collect();
    if !foreign.is_empty() {
        let listed: Vec<String> = foreign.iter().take(10).map(|p| format!("`{p}`")).collect();
        let more = match foreign.len() {
            n if n > 10 => format!(" and {} more", n - 10),
            _ => String::new(),
        };
        return Err(user(
            format!(
                "branch `{branch}` has files that are not kiln's where the build goes: {}{more}",
                listed.join(", ")
            ),
            Some(format!(
                "move or delete them in the rendered repository; kiln changes only the files listed in `{}`",
                join(folder, INDEX_FILE)
            )),
        ));
    }
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

/// Pushes the branch to a remote, with the usual credentials: the ssh agent for ssh
/// URLs, the git credential helper for https. A push that is not a fast-forward is
/// refused by the remote, and reported as such.
pub fn push(repo: &Repository, remote: &str, branch: &str) -> Result<()> {
    let mut remote = repo.find_remote(remote).map_err(|_| {
        user(
            format!("the repository has no remote `{remote}` to push to"),
            Some("add one with `git remote add`, or publish without `--push`".into()),
        )
    })?;
    let config = repo.config()?;
    let url = remote.url().unwrap_or_default().to_string();
    let mut rejected: Option<String> = None;
    {
        let mut callbacks = RemoteCallbacks::new();
        with_credentials(&mut callbacks, config, &url);
        callbacks.push_update_reference(|_, status| {
            if let Some(message) = status {
                rejected = Some(message.to_string());
            }
            Ok(())
        });
        let mut options = PushOptions::new();
        options.remote_callbacks(callbacks);
        let refname = branch_ref(branch);
        remote
            .push(&[format!("{refname}:{refname}")], Some(&mut options))
            .map_err(|e| {
                if e.code() == git2::ErrorCode::NotFastForward {
                    rejected_error(branch, e.message())
                } else {
                    scrubbed(&e, &url, "the push failed".into())
                }
            })?;
    }
    match rejected {
        Some(message) => Err(rejected_error(branch, &message)),
        None => Ok(()),
    }
}

/// The usual git credentials: a user and token in the remote's URL (as CI systems
/// give them), the ssh agent for ssh URLs, the credential helper for https; given up
/// after three refusals.
fn with_credentials(callbacks: &mut RemoteCallbacks<'_>, config: git2::Config, remote_url: &str) {
    let mut attempts = 0;
    let in_url = url_credentials(remote_url);
    callbacks.credentials(move |url, username, allowed| {
        attempts += 1;
        if attempts > 3 {
            return Err(git2::Error::from_str("the credentials were refused"));
        }
        if let (Some((user, token)), true) = (
            &in_url,
            allowed.contains(CredentialType::USER_PASS_PLAINTEXT),
        ) {
            if attempts == 1 {
                return Cred::userpass_plaintext(user, token);
            }
        }
        if allowed.contains(CredentialType::SSH_KEY) {
            return Cred::ssh_key_from_agent(username.unwrap_or("git"));
        }
        if allowed.contains(CredentialType::USER_PASS_PLAINTEXT) {
            return Cred::credential_helper(&config, url, username);
        }
        Cred::default()
    });
}

fn rejected_error(branch: &str, message: &str) -> git::Outcome {
    user(
        format!("the remote refused the new commit of `{branch}`: {message}"),
        Some(
            "the branch moved on the remote since kiln read it: fetch it and publish again".into(),
        ),
    )
}

/// Clones nothing: a bare repository in `dir` with `url` as `origin`, holding the
/// remote's `branch` when it has one.
pub fn fetch_remote(dir: &Path, url: &str, branch: &str) -> Result<Repository> {
    let repo = Repository::init_bare(dir)?;
    let mut remote = repo.remote("origin", url)?;
    let refname = branch_ref(branch);
    let mut callbacks = RemoteCallbacks::new();
    with_credentials(&mut callbacks, repo.config()?, url);
    let mut options = git2::FetchOptions::new();
    options.remote_callbacks(callbacks);
    remote
        .fetch(&[format!("+{refname}:{refname}")], Some(&mut options), None)
        .or_else(|e| {
            // A branch the remote does not have yet: kiln creates it.
            if e.message().contains("couldn't find remote ref") {
                Ok(())
            } else {
                Err(e)
            }
        })
        .map_err(|e| scrubbed(&e, url, format!("cannot fetch `{branch}` from the remote")))?;
    drop(remote);
    Ok(repo)
}

/// The user and password an `https://user:password@host/…` URL carries.
fn url_credentials(url: &str) -> Option<(String, String)> {
    let (_, rest) = url.split_once("://")?;
    let authority = rest.split('/').next()?;
    let (userinfo, _) = authority.rsplit_once('@')?;
    let (user, password) = userinfo.split_once(':')?;
    Some((user.to_string(), password.to_string()))
}

/// A git error as an error of kiln's, without the credentials of `url`.
fn scrubbed(e: &git2::Error, url: &str, context: String) -> git::Outcome {
    let mut message = e.message().replace(url, &without_credentials(url));
    if let Some((_, password)) = url_credentials(url).filter(|(_, p)| !p.is_empty()) {
        message = message.replace(&password, "***");
    }
    git::Outcome::Failed(anyhow::anyhow!(message).context(context))
}

/// A URL without the user and password it may carry.
pub fn without_credentials(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
            let host = authority
                .rsplit_once('@')
                .map(|(_, h)| h)
                .unwrap_or(authority);
            if path.is_empty() && !rest.contains('/') {
                format!("{scheme}://{host}")
            } else {
                format!("{scheme}://{host}/{path}")
            }
        }
        None => url.to_string(),
    }
}

/// Whether `--repo` names a remote repository rather than a local path.
pub fn is_url(repo: &str) -> bool {
    repo.contains("://") || (repo.contains('@') && repo.contains(':') && !Path::new(repo).exists())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_never_reach_the_trailers() {
        assert_eq!(
            without_credentials("https://ci:s3cret@git.example.com/platform/src.git"),
            "https://git.example.com/platform/src.git"
        );
        assert_eq!(
            without_credentials("https://git.example.com"),
            "https://git.example.com"
        );
        assert_eq!(without_credentials("/srv/git/src"), "/srv/git/src");
    }

    #[test]
    fn tokens_in_urls_are_used_and_scrubbed() {
        let url = "https://oauth2:glpat-123@git.example.com/r.git";
        assert_eq!(
            url_credentials(url),
            Some(("oauth2".into(), "glpat-123".into()))
        );
        assert_eq!(url_credentials("https://git.example.com/r.git"), None);
        let e = git2::Error::from_str(&format!("failed to reach {url} (glpat-123)"));
        let git::Outcome::Failed(scrubbed) = scrubbed(&e, url, "push".into()) else {
            panic!("not a failure")
        };
        let text = format!("{scrubbed:#}");
        assert!(!text.contains("glpat-123"), "{text}");
        assert!(text.contains("https://git.example.com/r.git"), "{text}");
    }

    #[test]
    fn urls_and_paths() {
        assert!(is_url("https://git.example.com/r.git"));
        assert!(is_url("git@github.com:org/r.git"));
        assert!(is_url("file:///tmp/r.git"));
        assert!(!is_url("../rendered"));
    }

    /// A bare repository whose `main` holds `files`, committed by hand.
    fn repo_with(dir: &Path, files: &[(&str, &str)]) -> Repository {
        let repo = Repository::init_bare(dir).unwrap();
        let mut index = Index::new().unwrap();
        for (path, content) in files {
            let id = repo.blob(content.as_bytes()).unwrap();
            index
                .add(&IndexEntry {
                    ctime: IndexTime::new(0, 0),
                    mtime: IndexTime::new(0, 0),
                    dev: 0,
                    ino: 0,
                    mode: 0o100_644,
                    uid: 0,
                    gid: 0,
                    file_size: content.len() as u32,
                    id,
                    flags: path.len() as u16,
                    flags_extended: 0,
                    path: path.as_bytes().to_vec(),
                })
                .unwrap();
        }
        let tree = index.write_tree_to(&repo).unwrap();
        let tree = repo.find_tree(tree).unwrap();
        let sig = Signature::now("t", "t@example.com").unwrap();
        repo.commit(Some("refs/heads/main"), &sig, &sig, "init", &tree, &[])
            .unwrap();
        drop(tree);
        repo
    }

    fn build(files: &[(&str, &str)]) -> Files {
        files
            .iter()
            .map(|(p, c)| (p.to_string(), c.as_bytes().to_vec()))
            .collect()
    }

    fn user_message(r: Result<Prepared>) -> String {
        match r {
            Err(git::Outcome::User(u)) => u.message,
            Err(git::Outcome::Failed(e)) => panic!("failed: {e:#}"),
            Ok(_) => panic!("prepared"),
        }
    }

    #[test]
    fn a_foreign_file_where_the_build_needs_a_folder_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let repo = repo_with(tmp.path(), &[("deploy/tenants", "a user's file")]);
        let files = build(&[(".kiln-owned", "index\n"), ("tenants/acme/a.yaml", "a")]);
        assert_eq!(
            user_message(prepare(&repo, "main", "deploy", &files)),
            "branch `main` has files that are not kiln's where the build needs folders: `deploy/tenants`"
        );
        // The folder itself.
        assert_eq!(
            user_message(prepare(&repo, "main", "deploy/tenants", &files)),
            "branch `main` has files that are not kiln's where the build needs folders: `deploy/tenants`"
        );
    }

    #[test]
    fn a_foreign_folder_where_the_build_writes_a_file_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let repo = repo_with(tmp.path(), &[("deploy/a.yaml/notes.md", "a user's file")]);
        let files = build(&[(".kiln-owned", "index\n"), ("a.yaml", "a")]);
        assert_eq!(
            user_message(prepare(&repo, "main", "deploy", &files)),
            "branch `main` has folders where the build writes files: `deploy/a.yaml`"
        );
    }

    #[test]
    fn a_file_kiln_owned_gives_way_to_a_folder() {
        let tmp = tempfile::tempdir().unwrap();
        let repo = repo_with(tmp.path(), &[(".kiln-owned", "# index\nx\n"), ("x", "old")]);
        let files = build(&[(".kiln-owned", "# index\nx/y.yaml\n"), ("x/y.yaml", "new")]);
        let prepared = prepare(&repo, "main", "", &files).unwrap();
        let tree = repo.find_tree(prepared.tree).unwrap();
        assert!(tree.get_path(Path::new("x/y.yaml")).is_ok());
    }

    #[test]
    fn a_branch_locked_by_git_is_named() {
        let tmp = tempfile::tempdir().unwrap();
        let repo = repo_with(
            tmp.path(),
            &[(".kiln-owned", "# index\na.yaml\n"), ("a.yaml", "old")],
        );
        let files = build(&[(".kiln-owned", "# index\na.yaml\n"), ("a.yaml", "new")]);
        let prepared = prepare(&repo, "main", "", &files).unwrap();
        let lock = tmp.path().join("refs/heads/main.lock");
        std::fs::write(&lock, "").unwrap();
        let before = repo.refname_to_id("refs/heads/main").unwrap();
        match commit(&repo, &prepared, "m") {
            Err(git::Outcome::User(u)) => assert_eq!(
                u.message,
                format!(
                    "branch `main` is locked: `{}` exists; nothing was changed",
                    lock.display()
                )
            ),
            _ => panic!("committed through a lock"),
        }
        assert_eq!(repo.refname_to_id("refs/heads/main").unwrap(), before);
        std::fs::remove_file(&lock).unwrap();
        let id = commit(&repo, &prepared, "m").unwrap();
        assert_eq!(repo.refname_to_id("refs/heads/main").unwrap(), id);
    }
}

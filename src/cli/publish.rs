//! `kiln publish`: commit the build into a folder of a branch of the rendered
//! repository, and push it.

use super::report::{Done, PublishReport};
use super::status::Status;
use std::io::Write as _;
use std::path::Path;

use super::{fail, print_diagnostics, Cli, Format, Planned};
use crate::diagnostic::{self, Code, Diagnostic};
use crate::emit::stream::Memory;
use crate::git::{self, Outcome};
use crate::publish::{self, Source};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The rendered repository: a local path (bare, or without the branch checked
    /// out) or a URL (then `--push` is needed)
    #[arg(long, value_name = "PATH|URL")]
    pub repo: String,

    /// The branch to commit to; created when it does not exist
    #[arg(long, value_name = "NAME")]
    pub branch: String,

    /// The folder of the repository that holds the build (default: `repoPath` from
    /// kiln.yaml, the repository root when unset); must match `repoPath`
    #[arg(long, value_name = "DIR")]
    pub path: Option<String>,

    /// Push the branch to the repository's remote after committing
    #[arg(long)]
    pub push: bool,

    /// The remote to push to
    #[arg(long, value_name = "NAME", default_value = "origin")]
    pub remote: String,
}

pub(super) fn run(cli: &Cli, args: &Args) -> anyhow::Result<Done> {
    let mut p = Planned::new(cli, crate::emit::lock::Access::Read)?;
    let sink = Memory::default();
    p.build(&sink)?;
    let c = &p.c;
    let failed = print_diagnostics(cli, c, "publish");
    let (Some(output), Some(ws), Some(out_path), false) = (
        c.output.as_ref(),
        c.workspace.as_ref(),
        p.out_dir.as_ref(),
        failed,
    ) else {
        return Ok(fail(cli, &c.diagnostics.sorted())?.into());
    };
    let files = sink.all(out_path, output)?;
    match publish(cli, args, &files, &ws.settings.repo_path) {
        Ok(report) => Ok(Done::with(report, Status::Ok)),
        Err(Outcome::User(e)) => {
            let d = Diagnostic::error(Code::Git, e.message).hint_opt(e.hint);
            if cli.format != Format::Json {
                let mut stderr = std::io::stderr().lock();
                write!(
                    stderr,
                    "{}",
                    diagnostic::render_human(std::slice::from_ref(&d), &Default::default())
                )?;
                writeln!(stderr, "publish failed: {}", diagnostic::summary(1, 0))?;
            }
            Ok(fail(cli, &[d])?.into())
        }
        Err(Outcome::Failed(e)) => Err(e),
    }
}

/// Commits the build into its folder of the branch, and pushes when asked.
fn publish(
    cli: &Cli,
    args: &Args,
    files: &crate::diff::Files,
    repo_path: &str,
) -> git::Result<PublishReport> {
    let folder = folder(args, repo_path)?;
    let source = source(&cli.workspace);
    let remote_url = publish::is_url(&args.repo);
    if remote_url && !args.push {
        return Err(git::user(
            format!(
                "`{}` is a remote repository, which kiln can only publish to with `--push`",
                publish::without_credentials(&args.repo)
            ),
            None,
        ));
    }
    // A URL gets a bare repository of kiln's own, deleted at the end.
    let scratch = if remote_url {
        Some(tempfile::tempdir().map_err(|e| Outcome::Failed(e.into()))?)
    } else {
        None
    };
    let repo = match &scratch {
        Some(dir) => publish::fetch_remote(dir.path(), &args.repo, &args.branch)?,
        None => publish::open_local(Path::new(&args.repo), &args.branch)?,
    };
    let prepared = publish::prepare(&repo, &args.branch, &folder, files)?;
    let commit = if prepared.unchanged {
        None
    } else {
        let message = publish::message(&prepared.report, &source);
        Some(publish::commit(&repo, &prepared, &message)?)
    };
    if args.push && (commit.is_some() || !remote_url) {
        publish::push(&repo, &args.remote, &args.branch)?;
    }
    Ok(PublishReport {
        ok: true,
        committed: commit.is_some(),
        commit: commit.map(|c| c.to_string()),
        branch: args.branch.clone(),
        path: folder,
        pushed: args.push,
        totals: prepared.report.totals(),
        summary: prepared.report.summary,
        repo: publish::without_credentials(&args.repo),
        remote: args.remote.clone(),
    })
}

/// The folder of the repository to publish into: `--path`, which must be `repoPath`
/// of kiln.yaml, or `repoPath` itself; `""` for the repository root.
fn folder(args: &Args, repo_path: &str) -> git::Result<String> {
    let folder = args
        .path
        .clone()
        .unwrap_or_else(|| repo_path.to_string())
        .trim_matches('/')
        .to_string();
    let folder = if folder == "." { String::new() } else { folder };
    if folder != repo_path.trim_matches('/') {
        return Err(git::user(
            format!(
                "`--path {folder}` is not `repoPath` of kiln.yaml (`{repo_path}`), where the Argo CD applications look"
            ),
            Some("set `repoPath` in kiln.yaml to the folder, and build again".into()),
        ));
    }
    if !folder.is_empty() && !crate::emit::is_safe_path(&folder) {
        return Err(git::user(
            format!("`{folder}` is not a folder inside the repository"),
            None,
        ));
    }
    Ok(folder)
}

/// The workspace's commit and repository, for the trailers.
fn source(workspace: &Path) -> Source {
    let path = std::fs::canonicalize(workspace)
        .unwrap_or_else(|_| workspace.to_path_buf())
        .display()
        .to_string();
    let Ok((repo, inside)) = git::locate(workspace) else {
        return Source {
            repo: path,
            ..Source::default()
        };
    };
    let commit = repo
        .head()
        .ok()
        .and_then(|h| h.peel_to_commit().ok())
        .map(|c| c.id().to_string());
    let mut options = git2::StatusOptions::new();
    options.include_untracked(true).include_ignored(false);
    if !inside.is_empty() {
        options.pathspec(&inside);
    }
    let dirty = repo
        .statuses(Some(&mut options))
        .map(|s| !s.is_empty())
        .unwrap_or(false);
    let origin = repo
        .find_remote("origin")
        .ok()
        .and_then(|r| r.url().map(publish::without_credentials));
    let repo_name = origin.unwrap_or_else(|| {
        repo.workdir()
            .map(|p| p.display().to_string().trim_end_matches('/').to_string())
            .unwrap_or(path)
    });
    Source {
        commit,
        dirty,
        repo: repo_name,
    }
}

//! `kiln diff`: what a build would change, object by object, against the output
//! committed at a git ref or a directory.

use super::report::{DiffReport, Done};
use super::status::Status;
use std::io::{IsTerminal as _, Write as _};
use std::path::{Path, PathBuf};

use clap::ValueEnum;
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::sync::Mutex;

use super::{fail, print_diagnostics, Cli, Format, Planned};
use crate::compile::{Compilation, Sink};
use crate::diagnostic::{self, Code, Diagnostic};
use crate::diff::{self, markdown, Files};
use crate::git::{self, Outcome};
use crate::layout;
use crate::unit::{blob_id, UnitOutput};

#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("old").required(true).args(["base", "against"])))]
pub struct Args {
    /// Compare with the output committed at this git ref of the workspace's repository
    /// (read from git's object database; nothing is checked out)
    #[arg(long, value_name = "REF")]
    pub base: Option<String>,

    /// Compare with a compiled tree in a directory (for example the output folder of a
    /// checkout of the rendered repository)
    #[arg(long, value_name = "DIR")]
    pub against: Option<PathBuf>,

    /// With `--format markdown`: keep the report under this many characters, leaving
    /// out whole objects' diffs and naming them
    #[arg(long, value_name = "N", default_value_t = markdown::DEFAULT_MAX_CHARS)]
    pub max_chars: usize,

    /// Exit 1 when there are differences
    #[arg(long)]
    pub exit_code: bool,

    /// Colour the text report
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    pub color: Color,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Color {
    Auto,
    Always,
    Never,
}

pub(super) fn run(cli: &Cli, args: &Args) -> anyhow::Result<Done> {
    let mut p = Planned::new(cli, crate::emit::lock::Access::Read)?;
    // The base is read first, as blob ids only, so the build keeps just what differs.
    let base = match (&p.c.workspace, p.c.ok()) {
        (Some(ws), true) => Some(Base::open(
            cli,
            args,
            ws.settings.output_dir.trim_end_matches('/'),
        )),
        _ => None,
    };
    let empty = BTreeMap::new();
    let base_ids = match &base {
        Some(Ok(b)) => &b.ids,
        _ => &empty,
    };
    p.timings.mark("read the base");
    let sink = Differing {
        base: base_ids,
        kept: Mutex::new(Files::new()),
    };
    p.build(&sink)?;
    let mut new_files = sink
        .kept
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let c = &p.c;
    let failed = print_diagnostics(cli, c, "diff");
    let (Some(output), Some(ws), Some(out_path), false) = (
        c.output.as_ref(),
        c.workspace.as_ref(),
        p.out_dir.as_ref(),
        failed,
    ) else {
        return Ok(fail(cli, &c.diagnostics.sorted())?.into());
    };
    let base = match base {
        Some(Ok(b)) => b,
        Some(Err(Outcome::User(e))) => {
            let d = Diagnostic::error(Code::Git, e.message).hint_opt(e.hint);
            report_one(cli, &d);
            return Ok(fail(cli, &[d])?.into());
        }
        Some(Err(Outcome::Failed(e))) => return Err(e),
        None => anyhow::bail!("the base was not read"),
    };
    // Only the files that differ, and the Application objects, are read and compared.
    let new_ids: BTreeMap<&str, &str> = output
        .files()
        .into_iter()
        .map(|(path, o)| (path, o.oid.as_str()))
        .collect();
    read_new(&new_ids, &base, out_path, &mut new_files)?;
    let base_files = base_files(&new_ids, &base, &new_files)?;
    p.timings.mark("read the files that differ");
    let same = new_ids
        .iter()
        .filter(|(path, oid)| !wanted(path, oid, base.ids.get(**path)) && is_manifest(path))
        .count();
    let mut r = diff::compare(&base_files, &new_files, &ws.settings.repo_path);
    r.unchanged += same;
    p.timings.mark("compare");
    p.timings.print();
    let status = Status::problems_if(args.exit_code && r.has_differences());
    Ok(Done::with(diff_report(args, c, r, base.label), status))
}

/// The report of the comparison, with what the text and Markdown need.
fn diff_report(args: &Args, c: &Compilation, r: diff::Report, label: String) -> DiffReport {
    let color = match args.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    };
    DiffReport {
        ok: true,
        base: args.base.clone(),
        against: args.against.clone(),
        differences: r.has_differences(),
        totals: r.totals(),
        diff: r,
        diagnostics: c.diagnostics.sorted(),
        label,
        max_chars: args.max_chars,
        color,
    }
}

/// Reads from the output folder the files of the build that must be compared and that
/// the sink did not keep.
fn read_new(
    new_ids: &BTreeMap<&str, &str>,
    base: &Base,
    out_path: &Path,
    new_files: &mut Files,
) -> anyhow::Result<()> {
    let to_read: Vec<&str> = new_ids
        .iter()
        .filter(|(path, oid)| wanted(path, oid, base.ids.get(**path)))
        .filter(|(path, _)| !new_files.contains_key(**path))
        .map(|(path, _)| *path)
        .collect();
    let read: Vec<anyhow::Result<(String, Vec<u8>)>> = to_read
        .par_iter()
        .map(|path| {
            let file = out_path.join(path);
            let bytes = std::fs::read(&file)
                .map_err(|e| anyhow::anyhow!("cannot read `{}`: {e}", file.display()))?;
            Ok((path.to_string(), bytes))
        })
        .collect();
    for r in read {
        let (path, bytes) = r?;
        new_files.insert(path, bytes);
    }
    Ok(())
}

/// The base's files that must be compared. Files with the same blob on both sides
/// (Applications read for their folders) are taken from the build rather than read
/// from the base again.
fn base_files(
    new_ids: &BTreeMap<&str, &str>,
    base: &Base,
    new_files: &Files,
) -> anyhow::Result<Files> {
    let mut base_files = Files::new();
    let mut to_fetch: Vec<&String> = Vec::new();
    for (path, oid) in &base.ids {
        let new_oid = new_ids.get(path.as_str());
        if !new_oid.is_none_or(|new| wanted(path, new, Some(oid))) {
            continue;
        }
        match new_files.get(path) {
            Some(bytes) if new_oid == Some(&oid.as_str()) => {
                base_files.insert(path.clone(), bytes.clone());
            }
            _ => to_fetch.push(path),
        }
    }
    base_files.extend(base.contents(&to_fetch)?);
    Ok(base_files)
}

/// Whether a file must be read and compared: its blob differs from the base's, or it
/// may be an Application (which tells the application of every other file).
fn wanted(path: &str, oid: &str, base: Option<&String>) -> bool {
    base.is_none_or(|b| b != oid) || path.starts_with(&format!("{}/", layout::ARGOCD))
}

fn is_manifest(path: &str) -> bool {
    [".yaml", ".yml", ".json"]
        .iter()
        .any(|ext| path.ends_with(ext))
}

/// Keeps the bytes of the files built that differ from the base.
struct Differing<'b> {
    base: &'b BTreeMap<String, String>,
    kept: Mutex<Files>,
}

impl Sink for Differing<'_> {
    fn unit(&self, unit: &UnitOutput, files: Vec<(String, Vec<u8>)>) -> anyhow::Result<()> {
        let keep: Vec<(String, Vec<u8>)> = files
            .into_iter()
            .zip(&unit.objects)
            .filter(|((path, _), o)| wanted(path, &o.oid, self.base.get(path)))
            .map(|(file, _)| file)
            .collect();
        self.kept
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .extend(keep);
        Ok(())
    }
}

/// What the build is compared with: blob ids first, contents on demand.
struct Base {
    label: String,
    ids: BTreeMap<String, String>,
    source: BaseSource,
}

enum BaseSource {
    Git(git2::Repository, BTreeMap<String, git2::Oid>),
    Dir(Files),
}

impl Base {
    fn open(cli: &Cli, args: &Args, out_dir: &str) -> git::Result<Base> {
        match (&args.base, &args.against) {
            (Some(reference), _) => {
                let (repo, inside) = git::locate(&cli.workspace)?;
                let folder = if inside.is_empty() {
                    out_dir.to_string()
                } else {
                    format!("{inside}/{out_dir}")
                };
                let entries = {
                    let tree = git::commit_tree(&repo, reference)?;
                    git::entries_under(&repo, &tree, &folder)?
                };
                Ok(Base {
                    label: format!("`{reference}`"),
                    ids: entries
                        .iter()
                        .map(|(p, o)| (p.clone(), o.to_string()))
                        .collect(),
                    source: BaseSource::Git(repo, entries),
                })
            }
            (None, Some(dir)) => {
                if !dir.is_dir() {
                    return Err(git::user(
                        format!("`{}` is not a directory", dir.display()),
                        None,
                    ));
                }
                let files = git::files_in_dir(dir)?;
                Ok(Base {
                    label: format!("`{}`", dir.display()),
                    ids: files.iter().map(|(p, b)| (p.clone(), blob_id(b))).collect(),
                    source: BaseSource::Dir(files),
                })
            }
            (None, None) => Err(git::Outcome::Failed(anyhow::anyhow!(
                "`--base` or `--against` is required"
            ))),
        }
    }

    /// The contents of some of its files.
    fn contents(&self, paths: &[&String]) -> anyhow::Result<Files> {
        match &self.source {
            BaseSource::Git(repo, entries) => {
                let chosen = paths.iter().filter_map(|p| entries.get_key_value(*p));
                git::blobs(repo, chosen).map_err(|e| match e {
                    Outcome::Failed(e) => e,
                    Outcome::User(u) => anyhow::anyhow!(u.message),
                })
            }
            BaseSource::Dir(files) => Ok(paths
                .iter()
                .filter_map(|p| files.get_key_value(*p))
                .map(|(p, b)| (p.clone(), b.clone()))
                .collect()),
        }
    }
}

fn report_one(cli: &Cli, d: &Diagnostic) {
    if cli.format != Format::Json {
        let mut stderr = std::io::stderr().lock();
        let _ = write!(
            stderr,
            "{}",
            diagnostic::render_human(std::slice::from_ref(d), &Default::default())
        );
        let _ = writeln!(stderr, "diff failed: {}", diagnostic::summary(1, 0));
    }
}

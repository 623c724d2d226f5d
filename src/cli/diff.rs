//! `kiln diff`: what a build would change, object by object, against the output
//! committed at a git ref or a directory.

use std::io::{IsTerminal as _, Write as _};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::ValueEnum;
use serde_json::json;

use super::{fail, print_json, report, Cli, Format, Planned};
use crate::diagnostic::{self, Diagnostic};
use crate::diff::{self, markdown, Files};
use crate::emit::stream::Memory;
use crate::git::{self, Outcome};

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

pub fn run(cli: &Cli, args: &Args) -> anyhow::Result<ExitCode> {
    let mut p = Planned::new(cli)?;
    let sink = Memory::default();
    p.build(&sink)?;
    let c = &p.c;
    let failed = report(cli, c, "diff");
    let (Some(output), Some(ws), Some(out_path), false) = (
        c.output.as_ref(),
        c.workspace.as_ref(),
        p.out_dir.as_ref(),
        failed,
    ) else {
        return fail(cli, &c.diagnostics.sorted());
    };
    let new_files = sink.all(out_path, output)?;
    let out_dir = ws.settings.output_dir.trim_end_matches('/');
    let (base, label) = match (&args.base, &args.against) {
        (Some(reference), _) => match read_base(cli, reference, out_dir) {
            Ok(files) => (files, format!("`{reference}`")),
            Err(Outcome::User(e)) => {
                let d = Diagnostic::error(e.message).hint_opt(e.hint);
                report_one(cli, &d);
                return fail(cli, &[d]);
            }
            Err(Outcome::Failed(e)) => return Err(e),
        },
        (None, Some(dir)) => {
            if !dir.is_dir() {
                let d = Diagnostic::error(format!("`{}` is not a directory", dir.display()));
                report_one(cli, &d);
                return fail(cli, &[d]);
            }
            (git::files_in_dir(dir)?, format!("`{}`", dir.display()))
        }
        (None, None) => anyhow::bail!("`--base` or `--against` is required"),
    };
    let r = diff::compare(&base, &new_files, &ws.settings.repo_path);
    let mut stdout = std::io::stdout().lock();
    match cli.format {
        Format::Json => {
            print_json(&json!({
                "ok": true,
                "base": args.base,
                "against": args.against,
                "differences": r.has_differences(),
                "totals": r.totals(),
                "summary": r.summary,
                "objects": r.objects,
                "unchanged": r.unchanged,
                "skipped": r.skipped,
                "diagnostics": c.diagnostics.sorted(),
            }));
        }
        Format::Markdown => {
            let title = format!("kiln diff against {label}");
            write!(stdout, "{}", markdown::render(&r, &title, args.max_chars))?;
        }
        Format::Text => {
            let color = match args.color {
                Color::Always => true,
                Color::Never => false,
                Color::Auto => {
                    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
                }
            };
            write!(stdout, "{}", diff::text::render(&r, color))?;
        }
    }
    if cli.format != Format::Json {
        let mut stderr = std::io::stderr().lock();
        for s in &r.skipped {
            let side = if s.side == "base" {
                label.as_str()
            } else {
                "the build"
            };
            writeln!(
                stderr,
                "note: `{}` of {side} was left out: {}",
                s.path, s.reason
            )?;
        }
    }
    Ok(if args.exit_code && r.has_differences() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// The committed output at `reference`, from the repository holding the workspace.
fn read_base(cli: &Cli, reference: &str, out_dir: &str) -> git::Result<Files> {
    let (repo, inside) = git::locate(&cli.workspace)?;
    let folder = if inside.is_empty() {
        out_dir.to_string()
    } else {
        format!("{inside}/{out_dir}")
    };
    let tree = git::commit_tree(&repo, reference)?;
    git::files_under(&repo, &tree, &folder)
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

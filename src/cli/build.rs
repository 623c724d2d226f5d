//! `kiln build`: compile into the output directory; `--check` compares instead.

use super::report::{BuildCheckReport, BuildReport, Changes, Done};
use super::status::Status;
use std::io::Write as _;
use std::path::Path;

use super::{fail, print_diagnostics, shown, Cli, Format, Planned};
use crate::diagnostic::{self, Code, Diagnostic};
use crate::emit::lock::Access;
use crate::emit::stream::{self, Compare, Staging};
use crate::emit::{self, WriteOutcome};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Write nothing; exit 1 and list the missing, stale and extra files when the
    /// output directory differs from what would be built
    #[arg(long)]
    pub check: bool,
}

pub(super) fn run(cli: &Cli, args: &Args) -> anyhow::Result<Done> {
    let access = if args.check {
        Access::Read
    } else {
        Access::Write
    };
    let mut p = Planned::new(cli, access)?;
    let Some(out_dir) = p.out_dir.clone().filter(|_| p.c.ok()) else {
        print_diagnostics(cli, &p.c, "build");
        return Ok(fail(cli, &p.c.diagnostics.sorted())?.into());
    };
    if args.check {
        check(cli, &mut p, &out_dir)
    } else {
        write(cli, &mut p, &out_dir)
    }
}

/// `build --check`: builds into memory and compares with the output folder.
fn check(cli: &Cli, p: &mut Planned, out_dir: &Path) -> anyhow::Result<Done> {
    let sink = Compare::default();
    p.build(&sink)?;
    let failed = print_diagnostics(cli, &p.c, "build");
    let Some(output) = p.c.output.as_ref().filter(|_| !failed) else {
        return Ok(fail(cli, &p.c.diagnostics.sorted())?.into());
    };
    let cmp = sink.finish(out_dir, output, &p.previous)?;
    let ok = cmp.is_clean();
    let report = BuildCheckReport {
        changes: Changes::from(cmp),
        ok,
        diagnostics: p.c.diagnostics.sorted(),
        shown: shown(cli, out_dir),
    };
    Ok(Done::with(report, Status::problems_if(!ok)))
}

/// `build`: builds into a staging folder and moves it into place.
fn write(cli: &Cli, p: &mut Planned, out_dir: &Path) -> anyhow::Result<Done> {
    let staging = Staging::new(out_dir)?;
    let built = p.build(&staging);
    let failed = print_diagnostics(cli, &p.c, "build");
    let output = match (built, p.c.output.as_ref(), failed) {
        (Ok(()), Some(output), false) => output,
        (built, _, _) => {
            staging.discard();
            built?;
            return Ok(fail(cli, &p.c.diagnostics.sorted())?.into());
        }
    };
    let outcome = stream::commit(out_dir, staging, output, &p.previous, p.id.as_deref())?;
    p.timings.mark("save the cache, move into place");
    let shown = shown(cli, out_dir);
    let files = output.files().len() + 1;
    let (changes, wrote) = match outcome {
        WriteOutcome::Written(cmp) => (Changes::from(cmp), true),
        WriteOutcome::Unchanged => (
            Changes {
                unchanged: files,
                ..Changes::default()
            },
            false,
        ),
        WriteOutcome::Blocked { foreign, links } => {
            return Ok(blocked(cli, &shown, &foreign, &links)?.into());
        }
    };
    p.timings.print();
    let report = BuildReport {
        changes,
        wrote,
        ok: true,
        diagnostics: p.c.diagnostics.sorted(),
        shown,
    };
    Ok(Done::with(report, Status::Ok))
}

/// A build that files not kiln's, or links, kept from being moved into place: their
/// diagnostics.
fn blocked(cli: &Cli, shown: &str, foreign: &[String], links: &[String]) -> anyhow::Result<Status> {
    let diags: Vec<Diagnostic> = foreign
        .iter()
        .map(|path| {
            Diagnostic::error(Code::ForeignFile, format!("`{shown}{path}` is not kiln's, and the build would replace it"))
                .hint(format!(
                    "move or delete it; kiln changes only the files it wrote (those listed in `{shown}{}`)",
                    emit::INDEX_FILE
                ))
        })
        .chain(links.iter().map(|path| {
            Diagnostic::error(Code::OutputLink, format!(
                "`{shown}{path}` is a symbolic link, and the build would write or remove a file through it"
            ))
            .hint(format!(
                "replace it with a folder, or remove it: kiln writes and removes files only inside `{shown}`, and never follows a link there"
            ))
        }))
        .collect();
    if cli.format != Format::Json {
        let mut stderr = std::io::stderr().lock();
        let _ = write!(
            stderr,
            "{}",
            diagnostic::render_human(&diags, &Default::default())
        );
        let _ = writeln!(
            stderr,
            "build failed: {}; {shown} is unchanged",
            diagnostic::summary(diags.len(), 0)
        );
    }
    fail(cli, &diags)
}

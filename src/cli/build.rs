//! `kiln build`: compile into the output directory; `--check` compares instead.

use super::status::Status;
use std::io::Write as _;

use serde_json::json;

use super::{fail, print_json, report, shown, Cli, Format, Planned};
use crate::diagnostic::{self, Code, Diagnostic};
use crate::emit::lock::Access;
use crate::emit::stream::{self, Compare, Staging};
use crate::emit::{self, Comparison, WriteOutcome};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Write nothing; exit 1 and list the missing, stale and extra files when the
    /// output directory differs from what would be built
    #[arg(long)]
    pub check: bool,
}

pub(super) fn run(cli: &Cli, args: &Args) -> anyhow::Result<Status> {
    let access = if args.check {
        Access::Read
    } else {
        Access::Write
    };
    let mut p = Planned::new(cli, access)?;
    let Some(out_dir) = p.out_dir.clone().filter(|_| p.c.ok()) else {
        report(cli, &p.c, "build");
        return fail(cli, &p.c.diagnostics.sorted());
    };
    let shown = shown(cli, &out_dir);
    if args.check {
        let sink = Compare::default();
        p.build(&sink)?;
        let failed = report(cli, &p.c, "build");
        let Some(output) = p.c.output.as_ref().filter(|_| !failed) else {
            return fail(cli, &p.c.diagnostics.sorted());
        };
        let cmp = sink.finish(&out_dir, output, &p.previous)?;
        return Ok(report_check(cli, &p, &cmp, &shown));
    }
    let staging = Staging::new(&out_dir)?;
    let built = p.build(&staging);
    let failed = report(cli, &p.c, "build");
    let output = match (built, p.c.output.as_ref(), failed) {
        (Ok(()), Some(output), false) => output,
        (built, _, _) => {
            staging.discard();
            built?;
            return fail(cli, &p.c.diagnostics.sorted());
        }
    };
    let outcome = stream::commit(&out_dir, staging, output, &p.previous, p.id.as_deref())?;
    p.timings.mark("save the cache, move into place");
    if let WriteOutcome::Blocked { foreign, links } = &outcome {
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
        return fail(cli, &diags);
    }
    p.timings.print();
    let files = output.files().len() + 1;
    match cli.format {
        Format::Json => {
            let mut v = match &outcome {
                WriteOutcome::Written(cmp) => changes_json(cmp),
                _ => {
                    let mut v = changes_json(&Comparison::default());
                    v.insert("unchanged".into(), files.into());
                    v
                }
            };
            v.insert(
                "wrote".into(),
                matches!(outcome, WriteOutcome::Written(_)).into(),
            );
            v.insert("ok".into(), true.into());
            v.insert("diagnostics".into(), json!(p.c.diagnostics.sorted()));
            print_json(&v.into());
        }
        Format::Text | Format::Markdown => {
            let mut stderr = std::io::stderr().lock();
            let _ = match &outcome {
                WriteOutcome::Written(cmp) => writeln!(
                    stderr,
                    "wrote {shown}: {} new, {} changed, {} removed, {} unchanged",
                    cmp.missing.len(),
                    cmp.stale.len(),
                    cmp.extra.len(),
                    cmp.unchanged.len()
                ),
                _ => writeln!(stderr, "{shown} is up to date ({files} files)"),
            };
        }
    }
    Ok(Status::Ok)
}

/// The report of `build --check`.
fn report_check(cli: &Cli, p: &Planned, cmp: &Comparison, shown: &str) -> Status {
    let stale = !cmp.is_clean();
    match cli.format {
        Format::Json => {
            let mut v = changes_json(cmp);
            v.insert("ok".into(), (!stale).into());
            v.insert("diagnostics".into(), json!(p.c.diagnostics.sorted()));
            print_json(&v.into());
        }
        Format::Text | Format::Markdown => {
            let mut stdout = std::io::stdout().lock();
            for (label, list) in [
                ("missing", &cmp.missing),
                ("stale", &cmp.stale),
                ("extra", &cmp.extra),
                ("foreign", &cmp.foreign),
                ("link", &cmp.links),
            ] {
                for path in list {
                    let _ = writeln!(stdout, "{label:<8} {shown}{path}");
                }
            }
            let mut stderr = std::io::stderr().lock();
            if stale {
                let foreign = match cmp.foreign.len() {
                    0 => String::new(),
                    n => format!(", {n} in the way (not kiln's)"),
                };
                let links = match cmp.links.len() {
                    0 => String::new(),
                    1 => ", 1 symbolic link in the way".to_string(),
                    n => format!(", {n} symbolic links in the way"),
                };
                let _ = writeln!(
                    stderr,
                    "{shown} is out of date: {} missing, {} stale, {} extra{foreign}{links}; run `kiln build`",
                    cmp.missing.len(),
                    cmp.stale.len(),
                    cmp.extra.len()
                );
            } else {
                let _ = writeln!(
                    stderr,
                    "{shown} is up to date ({} files)",
                    cmp.unchanged.len()
                );
            }
        }
    }
    Status::problems_if(stale)
}

fn changes_json(cmp: &Comparison) -> serde_json::Map<String, serde_json::Value> {
    let mut v = serde_json::Map::new();
    v.insert("missing".into(), json!(cmp.missing));
    v.insert("stale".into(), json!(cmp.stale));
    v.insert("extra".into(), json!(cmp.extra));
    v.insert("foreign".into(), json!(cmp.foreign));
    v.insert("links".into(), json!(cmp.links));
    v.insert("unchanged".into(), cmp.unchanged.len().into());
    v
}

//! `kiln build`: compile into the output directory; `--check` compares instead.

use std::io::Write as _;
use std::process::ExitCode;

use serde_json::json;

use super::{print_json, report, Cli, Format};
use crate::compile::{compile, Until};
use crate::diagnostic::{self, Diagnostic};
use crate::emit::{self, Comparison, WriteOutcome};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Write nothing; exit 1 and list the missing, stale and extra files when the
    /// output directory differs from what would be built
    #[arg(long)]
    pub check: bool,
}

pub fn run(cli: &Cli, args: &Args) -> anyhow::Result<ExitCode> {
    let c = compile(&cli.workspace, Until::Check)?;
    let failed = report(cli, &c, "build");
    let (Some(tree), Some(ws), false) = (c.tree(), c.workspace.as_ref(), failed) else {
        if cli.format == Format::Json {
            let mut v = diagnostic::render_json(&c.diagnostics.sorted());
            v["ok"] = false.into();
            print_json(&v);
        }
        return Ok(ExitCode::from(1));
    };
    let out_dir = cli.workspace.join(&ws.settings.output_dir);
    let shown = ws.settings.output_dir.trim_end_matches('/').to_string() + "/";
    if args.check {
        let cmp = emit::compare(&out_dir, &tree)?;
        let stale = !cmp.is_clean();
        match cli.format {
            Format::Json => {
                let mut v = changes_json(&cmp);
                v["ok"] = (!stale).into();
                v["diagnostics"] = json!(c.diagnostics.sorted());
                print_json(&v);
            }
            Format::Text | Format::Markdown => {
                let mut stdout = std::io::stdout().lock();
                for (label, list) in [
                    ("missing", &cmp.missing),
                    ("stale", &cmp.stale),
                    ("extra", &cmp.extra),
                    ("foreign", &cmp.foreign),
                ] {
                    for p in list {
                        let _ = writeln!(stdout, "{label:<8} {shown}{p}");
                    }
                }
                let mut stderr = std::io::stderr().lock();
                if stale {
                    let foreign = match cmp.foreign.len() {
                        0 => String::new(),
                        n => format!(", {n} in the way (not kiln's)"),
                    };
                    let _ = writeln!(
                        stderr,
                        "{shown} is out of date: {} missing, {} stale, {} extra{foreign}; run `kiln build`",
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
        return Ok(if stale {
            ExitCode::from(1)
        } else {
            ExitCode::SUCCESS
        });
    }
    let outcome = emit::apply(&out_dir, &tree)?;
    if let WriteOutcome::Blocked(paths) = &outcome {
        let diags: Vec<Diagnostic> = paths
            .iter()
            .map(|p| {
                Diagnostic::error(format!("`{shown}{p}` is not kiln's, and the build would replace it"))
                    .hint(format!(
                        "move or delete it; kiln changes only the files it wrote (those listed in `{shown}{}`)",
                        emit::INDEX_FILE
                    ))
            })
            .collect();
        match cli.format {
            Format::Json => {
                let mut v = diagnostic::render_json(&diags);
                v["ok"] = false.into();
                print_json(&v);
            }
            Format::Text | Format::Markdown => {
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
        }
        return Ok(ExitCode::from(1));
    }
    match cli.format {
        Format::Json => {
            let mut v = match &outcome {
                WriteOutcome::Unchanged => {
                    let mut v = changes_json(&Comparison::default());
                    v["unchanged"] = tree.files.len().into();
                    v
                }
                WriteOutcome::Written(cmp) => changes_json(cmp),
                WriteOutcome::Blocked(_) => changes_json(&Comparison::default()),
            };
            v["wrote"] = matches!(outcome, WriteOutcome::Written(_)).into();
            v["ok"] = true.into();
            v["diagnostics"] = json!(c.diagnostics.sorted());
            print_json(&v);
        }
        Format::Text | Format::Markdown => {
            let mut stderr = std::io::stderr().lock();
            let _ = match &outcome {
                WriteOutcome::Unchanged => {
                    writeln!(stderr, "{shown} is up to date ({} files)", tree.files.len())
                }
                WriteOutcome::Written(cmp) => writeln!(
                    stderr,
                    "wrote {shown}: {} new, {} changed, {} removed, {} unchanged",
                    cmp.missing.len(),
                    cmp.stale.len(),
                    cmp.extra.len(),
                    cmp.unchanged.len()
                ),
                WriteOutcome::Blocked(_) => Ok(()),
            };
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn changes_json(cmp: &Comparison) -> serde_json::Value {
    json!({
        "missing": cmp.missing,
        "stale": cmp.stale,
        "extra": cmp.extra,
        "foreign": cmp.foreign,
        "unchanged": cmp.unchanged.len(),
    })
}

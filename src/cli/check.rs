//! `kiln check`: validate everything, write nothing.

use std::io::Write as _;
use std::process::ExitCode;

use super::{print_json, report, Cli, Format};
use crate::compile::{compile, Until};
use crate::diagnostic;

pub fn run(cli: &Cli) -> anyhow::Result<ExitCode> {
    let c = compile(&cli.workspace, Until::Check)?;
    let failed = report(cli, &c, "check");
    let objects = c.rendered.as_ref().map(|r| r.objects.len()).unwrap_or(0);
    match cli.format {
        Format::Json => {
            let mut v = diagnostic::render_json(&c.diagnostics.sorted());
            v["ok"] = (!failed).into();
            v["tenants"] = c.plans.len().into();
            v["objects"] = objects.into();
            print_json(&v);
        }
        Format::Text if !failed => {
            let _ = writeln!(
                std::io::stderr(),
                "ok: {} tenant{}, {objects} objects",
                c.plans.len(),
                if c.plans.len() == 1 { "" } else { "s" }
            );
        }
        Format::Text | Format::Markdown => {}
    }
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

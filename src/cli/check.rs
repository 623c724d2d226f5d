//! `kiln check`: validate everything, write nothing.

use super::status::Status;
use std::io::Write as _;

use super::{print_json, report, Cli, Format, Planned};
use crate::compile::Discard;
use crate::diagnostic;

pub(super) fn run(cli: &Cli) -> anyhow::Result<Status> {
    let mut p = Planned::new(cli, crate::emit::lock::Access::Read)?;
    // Units the cache vouches for were checked when they were built.
    p.build(&Discard)?;
    p.timings.print();
    let c = &p.c;
    let failed = report(cli, c, "check");
    let objects = c.output.as_ref().map(|o| o.objects().count()).unwrap_or(0);
    match cli.format {
        Format::Json => {
            let mut v = diagnostic::render_json(&c.diagnostics.sorted());
            v.insert("ok".into(), (!failed).into());
            v.insert("tenants".into(), c.plans.len().into());
            v.insert("objects".into(), objects.into());
            print_json(&v.into());
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
    Ok(Status::problems_if(failed))
}

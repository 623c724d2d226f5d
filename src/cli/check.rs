//! `kiln check`: validate everything, write nothing.

use super::report::{CheckReport, Done};
use super::status::Status;

use super::{print_diagnostics, Cli, Planned};
use crate::compile::Discard;
use crate::diagnostic;

pub(super) fn run(cli: &Cli) -> anyhow::Result<Done> {
    let mut p = Planned::new(cli, crate::emit::lock::Access::Read)?;
    // Units the cache vouches for were checked when they were built.
    p.build(&Discard)?;
    p.timings.print();
    let c = &p.c;
    let failed = print_diagnostics(cli, c, "check");
    let objects = c.output.as_ref().map(|o| o.objects().count()).unwrap_or(0);
    let report = CheckReport {
        diagnostics: diagnostic::render_json(&c.diagnostics.sorted()),
        ok: !failed,
        tenants: c.plans.len(),
        objects,
    };
    Ok(Done::with(report, Status::problems_if(failed)))
}

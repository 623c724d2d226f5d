//! `kiln defaults`: print kiln's own defaults, layer 0 of every tenant's values.

use super::report::{DefaultsReport, Done};
use super::status::Status;

use super::Cli;
use crate::defaults;

pub(super) fn run(_cli: &Cli) -> anyhow::Result<Done> {
    let report = DefaultsReport {
        values: defaults::root().to_json(),
    };
    Ok(Done::with(report, Status::Ok))
}

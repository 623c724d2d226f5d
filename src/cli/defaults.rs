//! `kiln defaults`: print kiln's own defaults, layer 0 of every tenant's values.

use super::status::Status;
use std::io::Write as _;

use super::{print_json, Cli, Format};
use crate::defaults;

pub(super) fn run(cli: &Cli) -> anyhow::Result<Status> {
    match cli.format {
        Format::Json => print_json(&defaults::root().to_json()),
        Format::Text | Format::Markdown => {
            write!(std::io::stdout().lock(), "{}", defaults::TEXT)?;
        }
    }
    Ok(Status::Ok)
}

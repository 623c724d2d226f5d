//! `kiln defaults`: print kiln's own defaults, layer 0 of every tenant's values.

use std::io::Write as _;
use std::process::ExitCode;

use super::{print_json, Cli, Format};
use crate::defaults;

pub(super) fn run(cli: &Cli) -> anyhow::Result<ExitCode> {
    match cli.format {
        Format::Json => print_json(&defaults::root().to_json()),
        Format::Text | Format::Markdown => {
            write!(std::io::stdout().lock(), "{}", defaults::TEXT)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

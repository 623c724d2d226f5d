//! `kiln schema`: print the JSON Schemas of the input kinds.

use super::status::Status;
use std::io::Write as _;

use super::Cli;
use crate::schema;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The input kind; without it, list the kinds
    #[arg(value_parser = clap::builder::PossibleValuesParser::new(schema::KINDS.map(|(k, _)| k)))]
    pub kind: Option<String>,
}

pub(super) fn run(_cli: &Cli, args: &Args) -> anyhow::Result<Status> {
    let mut stdout = std::io::stdout().lock();
    match &args.kind {
        Some(kind) => {
            let text = schema::text(kind).ok_or_else(|| anyhow::anyhow!("no schema `{kind}`"))?;
            write!(stdout, "{text}")?;
        }
        None => {
            for (kind, text) in schema::KINDS {
                let title = serde_json::from_str::<serde_json::Value>(text)
                    .ok()
                    .and_then(|v| v.get("title").and_then(|t| t.as_str()).map(str::to_string))
                    .unwrap_or_default();
                writeln!(stdout, "{kind:<12} {title}")?;
            }
        }
    }
    Ok(Status::Ok)
}

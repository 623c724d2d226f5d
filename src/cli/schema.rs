//! `kiln schema`: print the JSON Schemas of the input kinds.

use super::report::{Done, KindTitle, SchemaReport};
use super::status::Status;

use super::Cli;
use crate::schema;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The input kind; without it, list the kinds
    #[arg(value_parser = clap::builder::PossibleValuesParser::new(schema::KINDS.map(|(k, _)| k)))]
    pub kind: Option<String>,
}

pub(super) fn run(_cli: &Cli, args: &Args) -> anyhow::Result<Done> {
    let report = match &args.kind {
        Some(kind) => {
            let text = schema::text(kind).ok_or_else(|| anyhow::anyhow!("no schema `{kind}`"))?;
            SchemaReport::Schema {
                kind: kind.clone(),
                text: text.to_string(),
            }
        }
        None => SchemaReport::Kinds(
            schema::KINDS
                .iter()
                .map(|(kind, text)| KindTitle {
                    kind: (*kind).to_string(),
                    title: serde_json::from_str::<serde_json::Value>(text)
                        .ok()
                        .and_then(|v| v.get("title").and_then(|t| t.as_str()).map(str::to_string))
                        .unwrap_or_default(),
                })
                .collect(),
        ),
    };
    Ok(Done::with(report, Status::Ok))
}

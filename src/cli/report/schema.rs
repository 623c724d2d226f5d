//! The report of `kiln schema`.

use std::fmt::Write as _;

use serde::Serialize;

use super::{Report, Text};

/// One input kind's JSON Schema, or the list of kinds with their titles.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(in crate::cli) enum SchemaReport {
    Schema { kind: String, text: String },
    Kinds(Vec<KindTitle>),
}

#[derive(Debug, Serialize)]
pub(in crate::cli) struct KindTitle {
    pub(in crate::cli) kind: String,
    pub(in crate::cli) title: String,
}

impl Report for SchemaReport {
    fn text(&self) -> Text {
        match self {
            SchemaReport::Schema { text, .. } => Text::stdout(text.clone()),
            SchemaReport::Kinds(kinds) => {
                let mut out = String::new();
                for KindTitle { kind, title } in kinds {
                    let _ = writeln!(out, "{kind:<12} {title}");
                }
                Text::stdout(out)
            }
        }
    }

    /// A schema is JSON already: every format prints the text.
    fn has_json(&self) -> bool {
        false
    }
}

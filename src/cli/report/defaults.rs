//! The report of `kiln defaults`.

use serde::Serialize;

use super::{Report, Text};
use crate::defaults;

/// kiln's own defaults: in JSON the values, as text the file itself.
#[derive(Debug, Serialize)]
#[serde(transparent)]
pub(in crate::cli) struct DefaultsReport {
    pub(in crate::cli) values: serde_json::Value,
}

impl Report for DefaultsReport {
    fn text(&self) -> Text {
        Text::stdout(defaults::TEXT.to_string())
    }
}

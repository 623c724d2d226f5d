//! The report of `kiln check`.

use serde::Serialize;

use super::{plural, Report, Text};

/// What `kiln check` found. In JSON: the diagnostics (`diagnostic::render_json`), `ok`,
/// and the number of tenants and objects.
#[derive(Debug, Serialize)]
pub(in crate::cli) struct CheckReport {
    #[serde(flatten)]
    pub(in crate::cli) diagnostics: serde_json::Map<String, serde_json::Value>,
    pub(in crate::cli) ok: bool,
    pub(in crate::cli) tenants: usize,
    pub(in crate::cli) objects: usize,
}

impl Report for CheckReport {
    /// `ok: …` when nothing failed; the diagnostics say the rest.
    fn text(&self) -> Text {
        if !self.ok {
            return Text::default();
        }
        Text::stderr(format!(
            "ok: {} tenant{}, {} objects\n",
            self.tenants,
            plural(self.tenants),
            self.objects
        ))
    }
}

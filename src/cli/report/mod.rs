//! What the commands print. Each command returns a typed report with its exit
//! [`Status`]; [`print`] is the one place that turns a report into the chosen format:
//! JSON (the report serialised, on stdout), text (`Report::text`) and Markdown
//! (`Report::markdown`, `kiln diff` only). Diagnostics are not reports: the commands
//! print them as they find them (`cli::print_diagnostics`, `diagnostic::render_human`).

mod build;
mod check;
mod defaults;
mod diff;
mod explain;
mod explain_object;
mod publish;
mod schema;

pub(super) use build::{BuildCheckReport, BuildReport, Changes};
pub(super) use check::CheckReport;
pub(super) use defaults::DefaultsReport;
pub(super) use diff::DiffReport;
pub(super) use explain::{
    ChainRow, ExplainServicesReport, ExplainValueReport, ExplainValuesReport, ServiceRow, ValueRow,
};
pub(super) use explain_object::{ExplainOutputReport, Expression, Source, TemplateLine};
pub(super) use publish::PublishReport;
pub(super) use schema::{KindTitle, SchemaReport};

use std::io::Write as _;

use serde::Serialize;

use super::status::Status;
use super::Format;

/// A report as text: what goes to stdout and what goes to stderr.
#[derive(Debug, Default)]
pub(super) struct Text {
    pub(super) stdout: String,
    pub(super) stderr: String,
}

impl Text {
    pub(super) fn stdout(stdout: String) -> Text {
        Text {
            stdout,
            stderr: String::new(),
        }
    }

    pub(super) fn stderr(stderr: String) -> Text {
        Text {
            stdout: String::new(),
            stderr,
        }
    }
}

/// What a command found, as people read it. The JSON of a report is its `Serialize`.
pub(super) trait Report {
    /// `--format text`.
    fn text(&self) -> Text;

    /// `--format markdown`, for the commands that have it; the text otherwise.
    fn markdown(&self) -> Option<Text> {
        None
    }

    /// Whether `--format json` prints the report's JSON. `false` for a report whose
    /// text is already what a program reads (`kiln schema`), printed in every format.
    fn has_json(&self) -> bool {
        true
    }
}

/// A report the printers can take: a [`Report`] that serialises.
pub(super) trait Printable: Report {
    fn json(&self) -> serde_json::Result<serde_json::Value>;
}

impl<T: Report + Serialize> Printable for T {
    fn json(&self) -> serde_json::Result<serde_json::Value> {
        serde_json::to_value(self)
    }
}

/// What a command comes to: the report to print, if any, and the exit status.
pub(super) struct Done {
    pub(super) report: Option<Box<dyn Printable>>,
    pub(super) status: Status,
}

impl Done {
    /// A report to print, then `status`.
    pub(super) fn with(report: impl Printable + 'static, status: Status) -> Done {
        Done {
            report: Some(Box::new(report)),
            status,
        }
    }

    /// Nothing more to print (the diagnostics are out already).
    pub(super) fn status(status: Status) -> Done {
        Done {
            report: None,
            status,
        }
    }
}

impl From<Status> for Done {
    fn from(status: Status) -> Done {
        Done::status(status)
    }
}

/// Prints a report in `format`.
pub(super) fn print(format: Format, report: &dyn Printable) -> anyhow::Result<()> {
    match format {
        Format::Json if report.has_json() => json(&report.json()?),
        Format::Json | Format::Text => text(&report.text()),
        Format::Markdown => text(&report.markdown().unwrap_or_else(|| report.text())),
    }
}

/// The JSON printer: the value pretty-printed, with a newline, on stdout.
pub(super) fn json(value: &serde_json::Value) -> anyhow::Result<()> {
    let text = serde_json::to_string_pretty(value)?;
    writeln!(std::io::stdout().lock(), "{text}")?;
    Ok(())
}

/// The text printer: each part on its stream, stdout first.
fn text(t: &Text) -> anyhow::Result<()> {
    if !t.stdout.is_empty() {
        write!(std::io::stdout().lock(), "{}", t.stdout)?;
    }
    if !t.stderr.is_empty() {
        write!(std::io::stderr().lock(), "{}", t.stderr)?;
    }
    Ok(())
}

/// `s` when `n` is not one: `1 tenant`, `2 tenants`.
pub(super) fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

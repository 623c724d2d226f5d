//! The report of `kiln diff`.

use std::fmt::Write as _;
use std::path::PathBuf;

use serde::Serialize;

use super::{Report, Text};
use crate::diagnostic::Diagnostic;
use crate::diff::{self, markdown, Counts};

/// What a build would change against the base, object by object.
#[derive(Debug, Serialize)]
pub(in crate::cli) struct DiffReport {
    pub(in crate::cli) ok: bool,
    /// `--base`, the git ref compared with.
    pub(in crate::cli) base: Option<String>,
    /// `--against`, the directory compared with.
    pub(in crate::cli) against: Option<PathBuf>,
    pub(in crate::cli) differences: bool,
    pub(in crate::cli) totals: Counts,
    /// `dataAtRisk`, `summary`, `objects`, `unchanged` and `skipped`.
    #[serde(flatten)]
    pub(in crate::cli) diff: diff::Report,
    pub(in crate::cli) diagnostics: Vec<Diagnostic>,
    /// The base as the reports name it (`` `main` ``).
    #[serde(skip)]
    pub(in crate::cli) label: String,
    /// `--max-chars`, for Markdown.
    #[serde(skip)]
    pub(in crate::cli) max_chars: usize,
    /// Whether the text is coloured.
    #[serde(skip)]
    pub(in crate::cli) color: bool,
}

impl Report for DiffReport {
    fn text(&self) -> Text {
        Text {
            stdout: diff::text::render(&self.diff, self.color),
            stderr: self.skipped(),
        }
    }

    fn markdown(&self) -> Option<Text> {
        let title = format!("kiln diff against {}", self.label);
        Some(Text {
            stdout: markdown::render(&self.diff, &title, self.max_chars),
            stderr: self.skipped(),
        })
    }
}

impl DiffReport {
    /// The files left out of the comparison, as notes.
    fn skipped(&self) -> String {
        let mut out = String::new();
        for s in &self.diff.skipped {
            let side = if s.side == "base" {
                self.label.as_str()
            } else {
                "the build"
            };
            let _ = writeln!(
                out,
                "note: `{}` of {side} was left out: {}",
                s.path, s.reason
            );
        }
        out
    }
}

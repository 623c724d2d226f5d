//! The reports of `kiln build` and `kiln build --check`.

use std::fmt::Write as _;

use serde::Serialize;

use super::{Report, Text};
use crate::diagnostic::Diagnostic;
use crate::emit::Comparison;

/// How the output folder differs from the build, file by file; unchanged files are
/// counted.
#[derive(Debug, Default, Serialize)]
pub(in crate::cli) struct Changes {
    pub(in crate::cli) missing: Vec<String>,
    pub(in crate::cli) stale: Vec<String>,
    pub(in crate::cli) extra: Vec<String>,
    pub(in crate::cli) foreign: Vec<String>,
    pub(in crate::cli) links: Vec<String>,
    pub(in crate::cli) unchanged: usize,
}

impl From<Comparison> for Changes {
    fn from(cmp: Comparison) -> Changes {
        Changes {
            unchanged: cmp.unchanged.len(),
            missing: cmp.missing,
            stale: cmp.stale,
            extra: cmp.extra,
            foreign: cmp.foreign,
            links: cmp.links,
        }
    }
}

/// What `kiln build` wrote: the changes (when it wrote; else every file unchanged).
#[derive(Debug, Serialize)]
pub(in crate::cli) struct BuildReport {
    #[serde(flatten)]
    pub(in crate::cli) changes: Changes,
    pub(in crate::cli) wrote: bool,
    pub(in crate::cli) ok: bool,
    pub(in crate::cli) diagnostics: Vec<Diagnostic>,
    /// The output folder as the user names it (`out/`).
    #[serde(skip)]
    pub(in crate::cli) shown: String,
}

impl Report for BuildReport {
    fn text(&self) -> Text {
        let Changes {
            missing,
            stale,
            extra,
            unchanged,
            ..
        } = &self.changes;
        let shown = &self.shown;
        Text::stderr(if self.wrote {
            format!(
                "wrote {shown}: {} new, {} changed, {} removed, {unchanged} unchanged\n",
                missing.len(),
                stale.len(),
                extra.len(),
            )
        } else {
            format!("{shown} is up to date ({unchanged} files)\n")
        })
    }
}

/// What `kiln build --check` found: `ok` when the output folder is up to date.
#[derive(Debug, Serialize)]
pub(in crate::cli) struct BuildCheckReport {
    #[serde(flatten)]
    pub(in crate::cli) changes: Changes,
    pub(in crate::cli) ok: bool,
    pub(in crate::cli) diagnostics: Vec<Diagnostic>,
    #[serde(skip)]
    pub(in crate::cli) shown: String,
}

impl Report for BuildCheckReport {
    /// Each file that differs on stdout; the summary on stderr.
    fn text(&self) -> Text {
        let c = &self.changes;
        let shown = &self.shown;
        let mut stdout = String::new();
        for (label, list) in [
            ("missing", &c.missing),
            ("stale", &c.stale),
            ("extra", &c.extra),
            ("foreign", &c.foreign),
            ("link", &c.links),
        ] {
            for path in list {
                let _ = writeln!(stdout, "{label:<8} {shown}{path}");
            }
        }
        let stderr = if self.ok {
            format!("{shown} is up to date ({} files)\n", c.unchanged)
        } else {
            let foreign = match c.foreign.len() {
                0 => String::new(),
                n => format!(", {n} in the way (not kiln's)"),
            };
            let links = match c.links.len() {
                0 => String::new(),
                1 => ", 1 symbolic link in the way".to_string(),
                n => format!(", {n} symbolic links in the way"),
            };
            format!(
                "{shown} is out of date: {} missing, {} stale, {} extra{foreign}{links}; run `kiln build`\n",
                c.missing.len(),
                c.stale.len(),
                c.extra.len()
            )
        };
        Text { stdout, stderr }
    }
}

//! The report of `kiln publish`.

use std::fmt::Write as _;

use serde::Serialize;

use super::{Report, Text};
use crate::diff::{AppSummary, Counts};

/// What `kiln publish` committed and pushed.
#[derive(Debug, Serialize)]
pub(in crate::cli) struct PublishReport {
    pub(in crate::cli) ok: bool,
    pub(in crate::cli) committed: bool,
    /// The new commit, when there is one.
    pub(in crate::cli) commit: Option<String>,
    pub(in crate::cli) branch: String,
    /// The folder of the repository that holds the build.
    pub(in crate::cli) path: String,
    pub(in crate::cli) pushed: bool,
    pub(in crate::cli) totals: Counts,
    pub(in crate::cli) summary: Vec<AppSummary>,
    /// The repository, its credentials left out.
    #[serde(skip)]
    pub(in crate::cli) repo: String,
    #[serde(skip)]
    pub(in crate::cli) remote: String,
}

impl Report for PublishReport {
    fn text(&self) -> Text {
        let mut out = String::new();
        let (branch, repo) = (&self.branch, &self.repo);
        let _ = match &self.commit {
            None => writeln!(
                out,
                "nothing to publish: `{branch}` of `{repo}` already holds this build"
            ),
            Some(id) => writeln!(
                out,
                "published to `{branch}` of `{repo}` as {}: {}",
                id.get(..12).unwrap_or(id),
                self.totals.describe()
            ),
        };
        if self.pushed {
            let _ = writeln!(out, "pushed `{branch}` to `{}`", self.remote);
        }
        Text::stderr(out)
    }
}

//! The diff report for a terminal: a summary per application, then a unified diff per
//! object; coloured when asked.

use std::fmt::Write as _;

use super::{Change, ChangeKind, Report};

const RESET: &str = "\x1b[0m";
const BOLD: &str = "\x1b[1m";
const RED: &str = "\x1b[31m";
const GREEN: &str = "\x1b[32m";
const YELLOW: &str = "\x1b[33m";
const CYAN: &str = "\x1b[36m";

struct Paint {
    on: bool,
}

impl Paint {
    fn paint(&self, style: &str, text: &str) -> String {
        if self.on {
            format!("{style}{text}{RESET}")
        } else {
            text.to_string()
        }
    }
}

/// The whole report as text.
pub fn render(report: &Report, color: bool) -> String {
    let p = Paint { on: color };
    let mut out = String::new();
    if !report.has_differences() {
        let _ = writeln!(
            out,
            "no differences ({} compared)",
            plural(report.unchanged, "object", "objects")
        );
        return out;
    }
    for app in &report.summary {
        let _ = writeln!(
            out,
            "{}: {}",
            p.paint(BOLD, &app.application),
            app.counts.describe()
        );
        let width = app.kinds.keys().map(String::len).max().unwrap_or(0);
        for (kind, counts) in &app.kinds {
            let _ = writeln!(out, "  {kind:<width$}  {}", counts.compact());
        }
    }
    let totals = report.totals();
    let _ = writeln!(
        out,
        "\n{} in {} ({}); {} unchanged",
        plural(totals.total(), "object differs", "objects differ"),
        plural(report.summary.len(), "application", "applications"),
        totals.describe(),
        report.unchanged
    );
    for change in &report.objects {
        out.push('\n');
        out.push_str(&heading(change, &p));
        for line in change.diff.lines() {
            let style = if line.starts_with("+++") || line.starts_with("---") {
                BOLD
            } else if line.starts_with('+') {
                GREEN
            } else if line.starts_with('-') {
                RED
            } else if line.starts_with("@@") {
                CYAN
            } else {
                ""
            };
            if style.is_empty() {
                let _ = writeln!(out, "{line}");
            } else {
                let _ = writeln!(out, "{}", p.paint(style, line));
            }
        }
    }
    out
}

pub(crate) fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `changed Deployment acme/trino in acme-workloads`
fn heading(change: &Change, p: &Paint) -> String {
    let what = match change.change {
        ChangeKind::Added => p.paint(GREEN, "added"),
        ChangeKind::Removed => p.paint(RED, "removed"),
        ChangeKind::Changed => p.paint(YELLOW, "changed"),
        ChangeKind::Moved => p.paint(YELLOW, "moved"),
    };
    let place = match &change.previous_application {
        Some(before) => format!("from {before} to {}", change.application),
        None => format!("in {}", change.application),
    };
    let mut s = format!("{what} {} {place}\n", change.key.display());
    if change.diff.is_empty() {
        s.push_str("  (same content)\n");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::{compare, Files};

    #[test]
    fn plain_report() {
        let base: Files = [(
            "a.yaml".to_string(),
            b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: n}\ndata: {k: a}\n"
                .to_vec(),
        )]
        .into();
        let new: Files = [(
            "a.yaml".to_string(),
            b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: n}\ndata: {k: b}\n"
                .to_vec(),
        )]
        .into();
        let text = render(&compare(&base, &new, ""), false);
        assert_eq!(
            text,
            "(no application): 1 changed\n  ConfigMap  ~1\n\n1 object differs in 1 application (1 changed); 0 unchanged\n\nchanged ConfigMap n/c in (no application)\n--- a/a.yaml\n+++ b/a.yaml\n@@ -4,4 +4,4 @@\n   name: c\n   namespace: \"n\"\n data:\n-  k: a\n+  k: b\n"
        );
    }
}

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
    out.push_str(&data_at_risk(report, &p));
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

/// The changes that destroy or recreate data, first of all, each with what happens;
/// nothing when there are none.
fn data_at_risk(report: &Report, p: &Paint) -> String {
    let risks = &report.data_at_risk;
    if risks.is_empty() {
        return String::new();
    }
    let mut out = format!(
        "{} {}\n",
        p.paint(&format!("{BOLD}{RED}"), "data at risk:"),
        risk_count(risks.len())
    );
    for r in risks {
        let _ = writeln!(out, "  {}", r.headline());
        let _ = writeln!(out, "    {}", r.consequence);
    }
    out.push('\n');
    out
}

/// `2 changes delete or recreate objects`
pub(crate) fn risk_count(n: usize) -> String {
    if n == 1 {
        "1 change deletes or recreates an object".into()
    } else {
        format!("{n} changes delete or recreate objects")
    }
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
    let mut s = format!("{what} {} {place}\n", change.id.spaced());
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

    #[test]
    fn data_at_risk_comes_first() {
        let base: Files = [(
            "c.yaml".to_string(),
            b"apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: data, namespace: n}\nspec: {accessModes: [ReadWriteOnce]}\n"
                .to_vec(),
        )]
        .into();
        let text = render(&compare(&base, &Files::new(), ""), false);
        assert_eq!(
            text,
            "data at risk: 1 change deletes or recreates an object\n  removed PersistentVolumeClaim n/data in (no application)\n    Argo CD deletes it, and its volume unless the volume's reclaim policy is `Retain`\n\n(no application): 1 removed\n  PersistentVolumeClaim  -1\n\n1 object differs in 1 application (1 removed); 0 unchanged\n\nremoved PersistentVolumeClaim n/data in (no application)\n--- a/c.yaml\n+++ /dev/null\n@@ -1,8 +0,0 @@\n-apiVersion: v1\n-kind: PersistentVolumeClaim\n-metadata:\n-  name: data\n-  namespace: \"n\"\n-spec:\n-  accessModes:\n-    - ReadWriteOnce\n"
        );
    }
}

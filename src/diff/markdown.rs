//! The diff report as a pull-request comment: the summary table first, then one
//! collapsible section per application with a diff per object. The comment stays under
//! a size limit (GitHub refuses comments over 65,536 characters): when the diffs do not
//! all fit, whole objects' diffs are left out, last first, and each one left out is
//! named in its place.

use std::fmt::Write as _;

use super::text::{plural, risk_count};
use super::{Change, Report};

/// The default limit, under GitHub's 65,536 characters with room to spare.
pub const DEFAULT_MAX_CHARS: usize = 65_000;

fn chars(s: &str) -> usize {
    s.chars().count()
}

/// A fence longer than any run of backticks in the text.
fn fence(text: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    "`".repeat((longest + 1).max(3))
}

fn entry_heading(c: &Change) -> String {
    let place = match &c.previous_application {
        Some(before) => format!(" (from `{before}`)"),
        None => String::new(),
    };
    format!("**{}** `{}`{place}", c.change.as_str(), c.id.spaced())
}

fn full_entry(c: &Change) -> String {
    if c.diff.is_empty() {
        return format!("{}: same content\n\n", entry_heading(c));
    }
    let f = fence(&c.diff);
    format!("{}\n\n{f}diff\n{}{f}\n\n", entry_heading(c), c.diff)
}

fn omitted_entry(c: &Change) -> String {
    format!(
        "{}: diff left out ({})\n\n",
        entry_heading(c),
        plural(c.diff.lines().count(), "line", "lines")
    )
}

/// One application's collapsible section: its opening, and each object's entry in
/// full and left out.
struct Section {
    open: String,
    entries: Vec<(String, String)>,
}

const CLOSE: &str = "</details>\n\n";

/// The changes that destroy or recreate data, one line each, within `budget`
/// characters: when they do not all fit, the last ones are counted instead of named.
/// The heading and the count are always there.
fn data_at_risk(report: &Report, budget: usize) -> String {
    let risks = &report.data_at_risk;
    if risks.is_empty() {
        return String::new();
    }
    let head = format!("#### Data at risk\n\n{}:\n\n", risk_count(risks.len()));
    let lines: Vec<String> = risks
        .iter()
        .map(|r| {
            let sep = if r.fields.is_empty() { ": " } else { ". " };
            format!(
                "- **{}** {}{sep}{}\n",
                r.risk.as_str(),
                r.subject(true),
                r.consequence
            )
        })
        .collect();
    let full = format!("{head}{}\n", lines.concat());
    if chars(&full) <= budget {
        return full;
    }
    let more = |rest: usize| {
        format!("- … and {rest} more, left out to stay under the limit; run `kiln diff` for all of them\n\n")
    };
    let mut out = head;
    let mut shown = 0;
    for line in &lines {
        if chars(&out) + chars(line) + chars(&more(lines.len() - shown)) > budget {
            break;
        }
        out.push_str(line);
        shown += 1;
    }
    out.push_str(&more(lines.len() - shown));
    out
}

/// The head of the summary table.
const TABLE_HEAD: &str =
    "| Application | Added | Changed | Moved | Removed | By kind |\n|---|--:|--:|--:|--:|---|\n";

/// The closing note of a report that leaves out `n` objects' diffs.
fn footer(n: usize, max_chars: usize) -> String {
    format!(
        "> The diffs of {} were left out to keep this comment under {max_chars} characters; each is named above. Run `kiln diff` for all of them.\n",
        plural(n, "object", "objects")
    )
}

/// The last row of a table that leaves out `rest` applications.
fn note(rest: usize, max_chars: usize) -> String {
    format!(
        "| … | | | | | {} more, left out to stay under {max_chars} characters |\n",
        plural(rest, "application", "applications")
    )
}

/// `**2 objects differ** in 1 application (2 changed); 0 unchanged.`
fn totals_line(report: &Report) -> String {
    let totals = report.totals();
    format!(
        "**{}** in {} ({}); {} unchanged.\n\n",
        plural(totals.total(), "object differs", "objects differ"),
        plural(report.summary.len(), "application", "applications"),
        totals.describe(),
        report.unchanged
    )
}

/// One row of the summary table per application.
fn rows(report: &Report) -> Vec<String> {
    report
        .summary
        .iter()
        .map(|s| {
            let kinds: Vec<String> = s
                .kinds
                .iter()
                .map(|(k, c)| format!("{k} {}", c.compact()))
                .collect();
            format!(
                "| `{}` | {} | {} | {} | {} | {} |\n",
                s.application,
                s.counts.added,
                s.counts.changed,
                s.counts.moved,
                s.counts.removed,
                kinds.join(", ")
            )
        })
        .collect()
}

/// One collapsible section per application, with its objects' entries.
fn sections(report: &Report) -> Vec<Section> {
    report
        .summary
        .iter()
        .map(|s| {
            let open = format!(
                "<details>\n<summary><code>{}</code>: {}</summary>\n\n",
                s.application,
                s.counts.describe()
            );
            let entries = report
                .objects
                .iter()
                .filter(|c| c.application == s.application)
                .map(|c| (full_entry(c), omitted_entry(c)))
                .collect();
            Section { open, entries }
        })
        .collect()
}

/// The report as markdown, at most `max_chars` characters long. The changes that put
/// data at risk come first and are the last thing left out.
pub fn render(report: &Report, title: &str, max_chars: usize) -> String {
    let mut header = format!("### {title}\n\n");
    if !report.has_differences() {
        let _ = writeln!(
            header,
            "No differences ({} compared).",
            plural(report.unchanged, "object", "objects")
        );
        return clip(header, max_chars);
    }
    let totals_line = totals_line(report);
    // Room for everything the shortest report has besides: the totals, the table's
    // head and its closing note, and the footer.
    let rest = chars(&header)
        + chars(&totals_line)
        + chars(TABLE_HEAD)
        + chars(&note(report.summary.len(), max_chars))
        + 1
        + chars(&footer(report.objects.len(), max_chars));
    header.push_str(&data_at_risk(report, max_chars.saturating_sub(rest)));
    header.push_str(&totals_line);
    header.push_str(TABLE_HEAD);
    let parts = Parts {
        header,
        rows: rows(report),
        sections: sections(report),
        objects: report.objects.len(),
        max_chars,
    };
    let out = parts
        .every_diff()
        .or_else(|| parts.diffs_that_fit())
        .unwrap_or_else(|| parts.table_only());
    clip(out, max_chars)
}

/// A report with differences, before it is fitted under the limit.
struct Parts {
    /// The title, the data at risk, the totals and the table's head.
    header: String,
    rows: Vec<String>,
    sections: Vec<Section>,
    /// How many objects differ.
    objects: usize,
    max_chars: usize,
}

impl Parts {
    fn table(&self) -> String {
        self.rows.concat()
    }

    /// The header and the table; the sections' openings and closings.
    fn fixed_and_frame(&self) -> (usize, usize) {
        let fixed = chars(&self.header) + chars(&self.table());
        let frame = self
            .sections
            .iter()
            .map(|s| chars(&s.open) + chars(CLOSE))
            .sum();
        (fixed, frame)
    }

    /// Every object's diff, when they all fit.
    fn every_diff(&self) -> Option<String> {
        let (fixed, frame) = self.fixed_and_frame();
        let all_full: usize = self
            .sections
            .iter()
            .flat_map(|s| s.entries.iter().map(|(full, _)| chars(full)))
            .sum();
        if fixed + frame + all_full > self.max_chars {
            return None;
        }
        let mut out = self.header.clone() + &self.table() + "\n";
        for s in &self.sections {
            out.push_str(&s.open);
            for (full, _) in &s.entries {
                out.push_str(full);
            }
            out.push_str(CLOSE);
        }
        Some(out)
    }

    /// Every object named, with as many diffs as fit, in order; when even naming each
    /// object does not fit, `None`.
    fn diffs_that_fit(&self) -> Option<String> {
        let (fixed, frame) = self.fixed_and_frame();
        let all_omitted: usize = self
            .sections
            .iter()
            .flat_map(|s| s.entries.iter().map(|(_, left)| chars(left)))
            .sum();
        let reserve = chars(&footer(self.objects, self.max_chars));
        let mut size = fixed + 1 + frame + all_omitted + reserve;
        if size > self.max_chars {
            return None;
        }
        let mut out = self.header.clone() + &self.table() + "\n";
        let mut left_out = 0;
        for s in &self.sections {
            out.push_str(&s.open);
            for (full, left) in &s.entries {
                let extra = chars(full).saturating_sub(chars(left));
                if size + extra <= self.max_chars {
                    size += extra;
                    out.push_str(full);
                } else {
                    left_out += 1;
                    out.push_str(left);
                }
            }
            out.push_str(CLOSE);
        }
        out.push_str(&footer(left_out, self.max_chars));
        Some(out)
    }

    /// Too many objects to even name: one line per application, as many as fit.
    fn table_only(&self) -> String {
        let reserve = chars(&footer(self.objects, self.max_chars));
        let note_all = chars(&note(self.rows.len(), self.max_chars));
        let mut out = self.header.clone();
        let mut shown = 0;
        for row in &self.rows {
            if chars(&out) + chars(row) + note_all + reserve > self.max_chars {
                break;
            }
            out.push_str(row);
            shown += 1;
        }
        if shown < self.rows.len() {
            out.push_str(&note(self.rows.len() - shown, self.max_chars));
        }
        out.push('\n');
        out.push_str(&footer(self.objects, self.max_chars));
        out
    }
}

/// The last guard: never more than `max` characters, whatever the content.
fn clip(text: String, max: usize) -> String {
    if chars(&text) <= max {
        return text;
    }
    let marker = "\n… (cut to stay under the limit)\n";
    let keep = max.saturating_sub(chars(marker));
    let mut out: String = text.chars().take(keep).collect();
    if chars(&out) + chars(marker) <= max {
        out.push_str(marker);
    }
    out
}

#[cfg(test)]
mod tests;

//! Diagnostics as printed: for a human (the located source line quoted under each, with
//! a caret), as JSON, and the closing summary; with every credential hidden and every
//! control character escaped.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::{Diagnostic, Severity, MAX_QUOTED_LINE};
use crate::secret;

impl Diagnostic {
    /// The diagnostic as it may be shown: every credential in `found` and every
    /// credential-shaped part of every text hidden.
    fn shown(&self, found: &Found) -> Diagnostic {
        let hide = |s: &str| found.hide(&secret::hide_shapes(s)).into_owned();
        Diagnostic {
            file: self.file.as_deref().map(hide),
            pointer: self.pointer.as_deref().map(hide),
            message: hide(&self.message),
            hint: self.hint.as_deref().map(hide),
            notes: self.notes.iter().map(|n| hide(n)).collect(),
            ..self.clone()
        }
    }
}

/// The credentials a set of diagnostics found, longest first, to hide wherever any of
/// them would be printed. Values shorter than [`Found::SHORTEST`] are hidden only in
/// their own diagnostic (as text, they would hide too much else).
struct Found<'d>(Vec<&'d str>);

impl<'d> Found<'d> {
    const SHORTEST: usize = 4;

    fn new(diagnostics: &'d [Diagnostic]) -> Found<'d> {
        let mut values: Vec<&str> = diagnostics
            .iter()
            .flat_map(|d| d.hides.iter().map(String::as_str))
            .filter(|v| v.chars().count() >= Self::SHORTEST)
            .collect();
        values.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
        values.dedup();
        Found(values)
    }

    fn hide<'t>(&self, text: &'t str) -> std::borrow::Cow<'t, str> {
        let mut out = std::borrow::Cow::Borrowed(text);
        for v in &self.0 {
            if out.contains(v) {
                out = std::borrow::Cow::Owned(out.replace(v, secret::HIDDEN));
            }
        }
        out
    }
}

/// Renders diagnostics for a human, with the offending source line when it is known.
/// `sources` maps workspace-relative paths to their text.
pub fn render_human(diagnostics: &[Diagnostic], sources: &BTreeMap<String, String>) -> String {
    let found = Found::new(diagnostics);
    let mut out = String::new();
    for d in diagnostics {
        let d = d.shown(&found);
        let label = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
        };
        let _ = writeln!(
            out,
            "{label}[{}]: {}",
            d.code.as_str(),
            printable(&d.message)
        );
        if let Some(file) = &d.file {
            let shown_file = printable(file);
            match (d.line, d.column) {
                (Some(line), Some(col)) => {
                    let number = line.to_string();
                    let gutter = " ".repeat(number.len());
                    let _ = writeln!(out, "{gutter} --> {shown_file}:{line}:{col}");
                    let text = sources
                        .get(file)
                        .and_then(|s| s.lines().nth((line as usize).saturating_sub(1)));
                    if let Some(text) = text {
                        let text = found.hide(text);
                        let q = quote(&text, col as usize, d.len as usize, d.secret);
                        let _ = writeln!(out, "{gutter} |");
                        let _ = writeln!(out, "{number} | {}", q.text);
                        let _ = writeln!(out, "{gutter} | {}{}", q.pad, "^".repeat(q.width.max(1)));
                    }
                }
                _ => {
                    let _ = writeln!(out, "  --> {shown_file}");
                }
            }
        }
        // `=` lines up with the gutter's `|`.
        let pad = " ".repeat(d.line.map(|l| l.to_string().len()).unwrap_or(1) + 1);
        if let Some(p) = &d.pointer {
            let _ = writeln!(out, "{pad}= at: {}", printable(p));
        }
        for n in &d.notes {
            let _ = writeln!(out, "{pad}= note: {}", printable(n));
        }
        if let Some(h) = &d.hint {
            let _ = writeln!(out, "{pad}= hint: {}", printable(h));
        }
        out.push('\n');
    }
    out
}

/// A text with every control character written as an escape (`\u{1b}`), so nothing
/// from an input can move the cursor or recolour a terminal.
pub fn printable(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.chars().any(is_unprintable) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        push_printable(&mut out, c);
    }
    std::borrow::Cow::Owned(out)
}

fn is_unprintable(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}')
}

fn push_printable(out: &mut String, c: char) {
    if is_unprintable(c) {
        let _ = write!(out, "\\u{{{:x}}}", c as u32);
    } else {
        out.push(c);
    }
}

/// A source line as quoted under a diagnostic: credentials hidden, control characters
/// escaped, cut to a window around the column when long; with the caret's padding and
/// width.
struct Quoted {
    text: String,
    pad: String,
    width: usize,
}

fn quote(line: &str, col: usize, len: usize, is_secret: bool) -> Quoted {
    let chars: Vec<char> = line.chars().collect();
    let mut start = col.saturating_sub(1).min(chars.len());
    if is_secret {
        // Cut where the line's value starts: the credential is that value or inside it
        // (an item of a flow list, whose other items may be credentials too).
        if let Some((_, range)) = secret::line_entry(line) {
            start = line.get(..range.start).map_or(start, |p| p.chars().count());
        }
    }
    let mut width = len.max(1);
    // A credential's line is cut where its value starts: the value may go on over
    // further lines, and the rest of the line may hold more of it.
    let masked: String = if is_secret {
        width = secret::HIDDEN.len();
        let mut m: String = chars.get(..start).unwrap_or(&[]).iter().collect();
        m.push_str(secret::HIDDEN);
        m
    } else {
        line.to_string()
    };
    let hidden = secret::hide_line(&masked).into_owned();
    let chars: Vec<char> = hidden.chars().collect();
    width = width.min(chars.len().saturating_sub(start).max(1));
    // Escape, keeping track of where the caret goes.
    let mut text = String::new();
    let mut pad = String::new();
    let mut caret_width = 0;
    for (i, c) in chars.iter().enumerate() {
        let mut one = String::new();
        // A tab in a quoted line is shown as it is, so the caret lines up under it.
        if *c == '\t' {
            one.push('\t');
        } else {
            push_printable(&mut one, *c);
        }
        if i < start {
            pad.extend(one.chars().map(|c| if c == '\t' { '\t' } else { ' ' }));
        } else if i < start + width {
            caret_width += one.chars().count();
        }
        text.push_str(&one);
    }
    let mut width = caret_width.max(1);
    // A window around the caret when the line is long.
    let total = text.chars().count();
    if total > MAX_QUOTED_LINE {
        let caret = pad.chars().count();
        let from = caret.saturating_sub(MAX_QUOTED_LINE / 3);
        let to = (from + MAX_QUOTED_LINE).min(total);
        let mut window: String = text.chars().skip(from).take(to - from).collect();
        let mut new_pad: String = pad.chars().skip(from).collect();
        if from > 0 {
            window.insert(0, '…');
            new_pad.insert(0, ' ');
        }
        if to < total {
            window.push('…');
        }
        width = width.min(
            (to + usize::from(from > 0))
                .saturating_sub(new_pad.chars().count())
                .max(1),
        );
        text = window;
        pad = new_pad;
    }
    Quoted { text, pad, width }
}

/// The closing line of a run that found problems.
pub fn summary(errors: usize, warnings: usize) -> String {
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    match (errors, warnings) {
        (0, w) => format!("{} found", plural(w, "warning")),
        (e, 0) => format!("{} found", plural(e, "error")),
        (e, w) => format!("{} and {} found", plural(e, "error"), plural(w, "warning")),
    }
}

/// The JSON form of a run's diagnostics.
pub fn render_json(diagnostics: &[Diagnostic]) -> serde_json::Map<String, serde_json::Value> {
    let count = |s: Severity| diagnostics.iter().filter(|d| d.severity == s).count();
    let found = Found::new(diagnostics);
    let shown: Vec<Diagnostic> = diagnostics.iter().map(|d| d.shown(&found)).collect();
    let mut v = serde_json::Map::new();
    v.insert("diagnostics".into(), serde_json::json!(shown));
    v.insert("errors".into(), count(Severity::Error).into());
    v.insert("warnings".into(), count(Severity::Warning).into());
    v
}

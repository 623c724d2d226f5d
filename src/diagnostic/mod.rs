//! Problems in the user's input, as data: collected so that one run reports all of them,
//! rendered for humans (stderr) or as JSON (stdout).

mod code;

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

pub use code::Code;

use crate::secret;
use crate::yaml::Span;

/// Longest quoted source line, in characters; a longer line is shown as a window
/// around the located column.
pub const MAX_QUOTED_LINE: usize = 160;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    /// Information worth knowing, such as a file kiln ignores on purpose.
    Note,
}

/// One problem, located as precisely as kiln knows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    /// What kind of problem it is: stable, documented, shown as `error[K0412]`.
    pub code: Code,
    /// Workspace-relative path, with `/` separators.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
    #[serde(skip)]
    pub len: u32,
    /// JSON pointer to the value inside the file (or inside the rendered object).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pointer: Option<String>,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// Further places that explain the problem (for example the input that fed a template).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// The located value is a credential: hidden wherever the source line is quoted.
    #[serde(skip)]
    pub secret: bool,
    /// The credentials this diagnostic found, as written: never shown, but hidden in
    /// every diagnostic printed beside it (another check may quote the same value).
    #[serde(skip)]
    pub hides: Vec<String>,
}

impl Diagnostic {
    pub fn error(code: Code, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            code,
            file: None,
            line: None,
            column: None,
            len: 0,
            pointer: None,
            message: message.into(),
            hint: None,
            notes: Vec::new(),
            secret: false,
            hides: Vec::new(),
        }
    }

    pub fn warning(code: Code, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, message)
        }
    }

    pub fn info(code: Code, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Note,
            ..Diagnostic::error(code, message)
        }
    }

    pub fn in_file(mut self, file: impl Into<String>) -> Diagnostic {
        self.file = Some(file.into());
        self
    }

    pub fn at(mut self, span: Span) -> Diagnostic {
        if span.line > 0 {
            self.line = Some(span.line);
            self.column = Some(span.col);
            self.len = span.len;
        }
        self
    }

    pub fn pointer(mut self, pointer: impl Into<String>) -> Diagnostic {
        let p = pointer.into();
        self.pointer = Some(if p.is_empty() { "/".to_string() } else { p });
        self
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Diagnostic {
        self.hint = Some(hint.into());
        self
    }

    pub fn hint_opt(mut self, hint: Option<String>) -> Diagnostic {
        self.hint = hint;
        self
    }

    /// Marks the located value as a credential, to be hidden when its line is quoted.
    pub fn secret(mut self) -> Diagnostic {
        self.secret = true;
        self
    }

    /// Marks the located value as the credential `value`: hidden when its line is
    /// quoted, and wherever a diagnostic printed with this one would show it.
    pub fn hiding(mut self, value: impl Into<String>) -> Diagnostic {
        self.secret = true;
        self.hides.push(value.into());
        self
    }

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

    pub fn note(mut self, note: impl Into<String>) -> Diagnostic {
        self.notes.push(note.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    fn sort_key(&self) -> (Option<&String>, u32, u32, &String) {
        (
            self.file.as_ref(),
            self.line.unwrap_or(0),
            self.column.unwrap_or(0),
            &self.message,
        )
    }
}

/// The diagnostics of one run.
#[derive(Debug, Default, Clone)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
}

impl Diagnostics {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, d: Diagnostic) {
        self.items.push(d);
    }

    pub fn extend(&mut self, ds: impl IntoIterator<Item = Diagnostic>) {
        self.items.extend(ds);
    }

    pub fn has_errors(&self) -> bool {
        self.items.iter().any(Diagnostic::is_error)
    }

    pub fn error_count(&self) -> usize {
        self.items.iter().filter(|d| d.is_error()).count()
    }

    pub fn warning_count(&self) -> usize {
        self.items
            .iter()
            .filter(|d| d.severity == Severity::Warning)
            .count()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Sorted by file, position and message, without repeats, so output is stable.
    pub fn sorted(&self) -> Vec<Diagnostic> {
        let mut items = self.items.clone();
        items.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        items.dedup();
        items
    }

    pub fn into_vec(self) -> Vec<Diagnostic> {
        self.items
    }
}

/// Reports a problem that repeats for many tenants, services or objects (the same file,
/// place, pointer and message) once, saying how many more times it occurred.
pub fn collapse_repeats(problems: Vec<Diagnostic>) -> Vec<Diagnostic> {
    type Key = (
        Option<String>,
        Option<u32>,
        Option<u32>,
        Option<String>,
        String,
    );
    let mut groups: BTreeMap<Key, (Diagnostic, usize)> = BTreeMap::new();
    let mut order: Vec<Key> = Vec::new();
    for d in problems {
        let key = (
            d.file.clone(),
            d.line,
            d.column,
            d.pointer.clone(),
            shape(&d.message),
        );
        match groups.get_mut(&key) {
            Some((_, n)) => *n += 1,
            None => {
                order.push(key.clone());
                groups.insert(key, (d, 0));
            }
        }
    }
    order
        .into_iter()
        .filter_map(|k| groups.remove(&k))
        .map(|(d, more)| match more {
            0 => d,
            1 => d.note("the same problem occurs once more elsewhere"),
            n => d.note(format!("the same problem occurs {n} more times elsewhere")),
        })
        .collect()
}

/// A message with the names in backticks and the numbers left out, so that the same
/// rule broken by different objects reads the same.
fn shape(message: &str) -> String {
    let mut out = String::new();
    let mut in_name = false;
    for c in message.chars() {
        if c == '`' {
            in_name = !in_name;
            out.push('`');
        } else if !in_name && !c.is_ascii_digit() {
            out.push(c);
        }
    }
    out
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_rendering_shows_the_line_and_a_caret() {
        let d = Diagnostic::error(Code::InputSchema, "unknown key `replica`")
            .in_file("tenants/acme.yaml")
            .at(Span {
                line: 2,
                col: 3,
                len: 7,
            })
            .pointer("/services/replica")
            .hint("did you mean `replicas`?");
        let mut sources = BTreeMap::new();
        sources.insert(
            "tenants/acme.yaml".to_string(),
            "services:\n  replica: 3\n".to_string(),
        );
        assert_eq!(
            render_human(&[d], &sources),
            "error[K0301]: unknown key `replica`\n  --> tenants/acme.yaml:2:3\n  |\n2 |   replica: 3\n  |   ^^^^^^^\n  = at: /services/replica\n  = hint: did you mean `replicas`?\n\n"
        );
    }

    #[test]
    fn the_arrow_lines_up_with_the_gutter() {
        let d = Diagnostic::error(Code::InputSchema, "x")
            .in_file("f")
            .at(Span {
                line: 12,
                col: 1,
                len: 1,
            });
        let mut sources = BTreeMap::new();
        sources.insert("f".to_string(), "\n".repeat(11) + "abc\n");
        assert_eq!(
            render_human(&[d], &sources),
            "error[K0301]: x\n   --> f:12:1\n   |\n12 | abc\n   | ^\n\n"
        );
    }

    #[test]
    fn repeats_of_one_rule_collapse_whatever_the_names() {
        let d = |m: &str| {
            Diagnostic::error(Code::InputSchema, m)
                .in_file("t.j2")
                .pointer("/spec")
        };
        let out = collapse_repeats(vec![
            d("container `a` is privileged"),
            d("container `b` is privileged"),
            d("other"),
        ]);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].message, "container `a` is privileged");
        assert_eq!(
            out[0].notes,
            vec!["the same problem occurs once more elsewhere"]
        );
    }

    #[test]
    fn summary_counts() {
        assert_eq!(summary(1, 0), "1 error found");
        assert_eq!(summary(2, 1), "2 errors and 1 warning found");
        assert_eq!(summary(0, 3), "3 warnings found");
    }

    #[test]
    fn sorted_removes_repeats() {
        let mut ds = Diagnostics::new();
        ds.push(Diagnostic::error(Code::InputSchema, "b").in_file("b"));
        ds.push(Diagnostic::error(Code::InputSchema, "a").in_file("a"));
        ds.push(Diagnostic::error(Code::InputSchema, "b").in_file("b"));
        let sorted = ds.sorted();
        assert_eq!(sorted.len(), 2);
        assert_eq!(sorted[0].message, "a");
    }
}

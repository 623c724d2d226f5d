//! Problems in the user's input, as data: collected so that one run reports all of them,
//! rendered for humans (stderr) or as JSON (stdout).

mod code;
mod render;

use std::collections::BTreeMap;

use serde::Serialize;

pub use code::Code;
pub use render::{printable, render_human, render_json, summary};

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

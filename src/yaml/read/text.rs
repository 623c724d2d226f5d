//! The characters kiln reads: the fast check for plain text, the characters refused
//! wherever they stand, and escaping them for a message.

use super::ReadProblem;
use crate::yaml::node::Span;

pub(super) const BOM: char = '\u{feff}';

/// Whether bytes are printable ASCII (with line feeds and tabs when `lines`): the fast
/// path of the character checks. Counts in blocks without stopping early, so the
/// compiler can check many bytes at once.
pub(super) fn is_plain_text(bytes: &[u8], lines: bool) -> bool {
    let ok = |b: u8| (0x20..0x7f).contains(&b) || (lines && (b == b'\n' || b == b'\t'));
    bytes
        .chunks(64)
        .all(|block| block.iter().fold(true, |all, &b| all & ok(b)))
}

/// Whether `c` may not appear in kiln's input text: a control character other than
/// tab, line feed and carriage return, a byte order mark past the start, or one of the
/// two code points YAML excludes.
pub fn is_unreadable(c: char) -> bool {
    is_refused_control(c) || matches!(c, BOM | '\u{fffe}' | '\u{ffff}')
}

/// A control character other than tab, line feed and carriage return.
pub(super) fn is_refused_control(c: char) -> bool {
    c.is_control() && !matches!(c, '\t' | '\n' | '\r')
}

/// The first character of `text` (after a leading byte order mark) that kiln does not
/// read, as a fatal problem at its line and column.
pub fn unreadable_character(text: &str) -> Option<ReadProblem> {
    let text = text.strip_prefix(BOM).unwrap_or(text);
    // Most text is printable ASCII with line feeds and tabs: one pass over the bytes.
    if is_plain_text(text.as_bytes(), true) {
        return None;
    }
    let (mut line, mut col) = (1u32, 1u32);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        // A carriage return alone ends a line for YAML but not for anything that shows
        // the file's lines, so positions would disagree.
        let lone_cr = c == '\r' && chars.peek() != Some(&'\n');
        if is_unreadable(c) || lone_cr {
            let shown = c.escape_unicode();
            let (message, hint) = match c {
                '\r' => (
                    format!("unexpected carriage return `{shown}` without a line feed"),
                    "end lines with a line feed (or carriage return and line feed): kiln does not read a carriage return alone",
                ),
                BOM => (
                    format!("unexpected byte order mark `{shown}`"),
                    "a byte order mark may only start the file: remove this one",
                ),
                c if c.is_control() => (
                    format!("unexpected control character `{shown}`"),
                    "remove it: tab, line feed and carriage return are the only control characters kiln reads",
                ),
                _ => (
                    format!("unexpected character `{shown}`"),
                    "remove it: yaml does not allow it in a file",
                ),
            };
            return Some(ReadProblem {
                span: Span { line, col, len: 1 },
                pointer: None,
                message,
                hint: Some(hint.to_string()),
                fatal: true,
                unreadable: true,
            });
        }
        if c == '\n' {
            line += 1;
            col = 1;
        } else {
            col += 1;
        }
    }
    None
}

/// `s` with every character that [`is_unreadable`] refuses, and tab and line breaks,
/// written as an escape (`\u{1b}`), for showing user text in a message.
pub fn escape_controls(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.chars().any(|c| c.is_control() || is_unreadable(c)) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if c.is_control() || is_unreadable(c) {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

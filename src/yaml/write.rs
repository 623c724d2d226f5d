//! Writes JSON values as block-style YAML that YAML 1.1 and YAML 1.2 readers both read
//! back as the same values.
//!
//! Key order is canonical: at the top of a document `apiVersion`, `kind`, `metadata`
//! come first; inside `metadata`, `name` and `namespace`; in a mapping that is a list
//! item, `name`; every other key follows in byte order. Data maps (ConfigMap `data`,
//! labels, …) are therefore in plain byte order, whatever their keys are called. A string is written plain only
//! when no reader could take it for anything else; otherwise it is double-quoted, or
//! written as a literal block when it spans lines.

use serde_json::{Map, Number, Value};

/// Where a mapping sits, which decides the keys that come first.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    Document,
    Metadata,
    ListItem,
    Other,
}

impl Place {
    fn first_keys(self) -> &'static [&'static str] {
        match self {
            Place::Document => &["apiVersion", "kind", "metadata"],
            Place::Metadata => &["name", "namespace"],
            Place::ListItem => &["name"],
            Place::Other => &[],
        }
    }

    /// The place of the mapping under `key`: object metadata (the object's own, or a
    /// pod template's) under `metadata`, anything else under other keys.
    fn under(key: &str) -> Place {
        if key == "metadata" {
            Place::Metadata
        } else {
            Place::Other
        }
    }
}

const INDENT: usize = 2;

/// Serialises one value as a YAML document (no `---`), ending with a newline.
pub fn to_string(value: &Value) -> String {
    let mut out = String::new();
    match value {
        Value::Object(map) if !map.is_empty() => write_map(&mut out, map, 0, Place::Document),
        Value::Array(items) if !items.is_empty() => write_seq(&mut out, items, 0),
        other => {
            write_inline(&mut out, other, INDENT);
            out.push('\n');
        }
    }
    out
}

fn ordered_keys(map: &Map<String, Value>, place: Place) -> Vec<&String> {
    let first = place.first_keys();
    let mut keys: Vec<&String> = map.keys().collect();
    keys.sort_by(|a, b| {
        let rank = |k: &str| first.iter().position(|f| *f == k).unwrap_or(first.len());
        rank(a).cmp(&rank(b)).then_with(|| a.cmp(b))
    });
    keys
}

fn is_block(value: &Value) -> bool {
    match value {
        Value::Object(m) => !m.is_empty(),
        Value::Array(a) => !a.is_empty(),
        _ => false,
    }
}

/// Writes the entries of a non-empty mapping, each line starting at `indent`.
fn write_map(out: &mut String, map: &Map<String, Value>, indent: usize, place: Place) {
    for (i, key) in ordered_keys(map, place).into_iter().enumerate() {
        if i > 0 {
            pad(out, indent);
        }
        write_key(out, key, indent);
        out.push(':');
        let value = &map[key];
        write_after_indicator(out, value, indent, Place::under(key));
    }
}

/// Writes the items of a non-empty list, each `- ` starting at `indent`.
fn write_seq(out: &mut String, items: &[Value], indent: usize) {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            pad(out, indent);
        }
        out.push('-');
        match item {
            Value::Object(m) if !m.is_empty() => {
                out.push(' ');
                write_map(out, m, indent + INDENT, Place::ListItem);
            }
            _ => write_after_indicator(out, item, indent, Place::Other),
        }
    }
}

/// Writes a value that follows `key:` or `-` at nesting level `indent`; a mapping
/// value sits at `place`.
fn write_after_indicator(out: &mut String, value: &Value, indent: usize, place: Place) {
    if is_block(value) {
        out.push('\n');
        pad(out, indent + INDENT);
        match value {
            Value::Object(m) => write_map(out, m, indent + INDENT, place),
            Value::Array(a) => write_seq(out, a, indent + INDENT),
            _ => {}
        }
        return;
    }
    out.push(' ');
    write_inline(out, value, indent + INDENT);
    out.push('\n');
}

/// Writes a scalar or an empty collection. Multi-line strings become literal blocks whose
/// lines are indented to `block_indent`.
fn write_inline(out: &mut String, value: &Value, block_indent: usize) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&number(n)),
        Value::String(s) => write_string(out, s, block_indent),
        Value::Array(_) => out.push_str("[]"),
        Value::Object(_) => out.push_str("{}"),
    }
}

/// The most characters kiln writes as an implicit key (`key: value`). YAML allows 1024,
/// and readers count them differently; a longer key is written explicitly (`? key`,
/// then `: value` on the next line at `indent`).
const LONGEST_IMPLICIT_KEY: usize = 1000;

fn write_key(out: &mut String, key: &str, indent: usize) {
    let start = out.len();
    if is_plain_safe(key) {
        out.push_str(key);
    } else {
        double_quoted(out, key);
    }
    if out[start..].chars().count() > LONGEST_IMPLICIT_KEY {
        out.insert_str(start, "? ");
        out.push('\n');
        pad(out, indent);
    }
}

fn write_string(out: &mut String, s: &str, block_indent: usize) {
    if is_plain_safe(s) {
        out.push_str(s);
    } else if literal_block_ok(s) {
        out.push('|');
        let body = match s.strip_suffix('\n') {
            Some(body) => body,
            None => {
                out.push('-');
                s
            }
        };
        for line in body.split('\n') {
            out.push('\n');
            if !line.is_empty() {
                pad(out, block_indent);
                out.push_str(line);
            }
        }
    } else {
        double_quoted(out, s);
    }
}

fn pad(out: &mut String, n: usize) {
    out.extend(std::iter::repeat_n(' ', n));
}

/// A number as YAML 1.1 and 1.2 both read it. Floats always carry a `.` (YAML 1.1 needs
/// one) and a signed exponent when they have one.
fn number(n: &Number) -> String {
    if n.is_i64() || n.is_u64() {
        return n.to_string();
    }
    let f = n.as_f64().unwrap_or(0.0);
    let mut s = format!("{f:?}");
    if let Some(pos) = s.find(['e', 'E']) {
        let (mantissa, exponent) = s.split_at(pos);
        let exponent = &exponent[1..];
        let mantissa = if mantissa.contains('.') {
            mantissa.to_string()
        } else {
            format!("{mantissa}.0")
        };
        let exponent = if exponent.starts_with('-') {
            exponent.to_string()
        } else {
            format!("+{exponent}")
        };
        s = format!("{mantissa}e{exponent}");
    } else if !s.contains('.') {
        s.push_str(".0");
    }
    s
}

/// Whether a string can be written without quotes and still read back as the same string
/// under YAML 1.1 and YAML 1.2. Deliberately conservative: when in doubt, quote.
pub(crate) fn is_plain_safe(s: &str) -> bool {
    let b = s.as_bytes();
    let (Some(&first), Some(&last)) = (b.first(), b.last()) else {
        return false;
    };
    if first == b' ' || last == b' ' || last == b':' {
        return false;
    }
    if b"-?:,[]{}#&*!|>'\"%@`".contains(&first) {
        return false;
    }
    // At the start of a line, `...` ends the document (`---` starts with `-`, above).
    if s.starts_with("...") {
        return false;
    }
    // Printable ASCII only (no control or non-ASCII characters), and no `: ` or ` #`.
    let mut prev = 0u8;
    for &c in b {
        if !(c.is_ascii_graphic() || c == b' ') {
            return false;
        }
        if (prev == b':' && c == b' ') || (prev == b' ' && c == b'#') {
            return false;
        }
        prev = c;
    }
    !looks_like_non_string(s)
}

/// Whether some YAML 1.1 or 1.2 reader may resolve the plain scalar as a non-string.
fn looks_like_non_string(s: &str) -> bool {
    const WORDS: [&str; 12] = [
        "~", "null", "true", "false", "y", "yes", "n", "no", "on", "off", "=", "<<",
    ];
    if WORDS.iter().any(|w| w.eq_ignore_ascii_case(s)) {
        return true;
    }
    let unsigned = s.trim_start_matches(['+', '-']);
    if unsigned.eq_ignore_ascii_case(".inf") || unsigned.eq_ignore_ascii_case(".nan") {
        return true;
    }
    let numberish = matches!(unsigned.as_bytes().first(), Some(b'0'..=b'9' | b'.'))
        && unsigned
            .bytes()
            .all(|c| c.is_ascii_hexdigit() || b"xXoObB_.:eE+-".contains(&c));
    if numberish {
        return true;
    }
    // YAML 1.1 timestamps: they start with a date.
    let b = s.as_bytes();
    b.len() >= 8
        && b.get(..4).is_some_and(|y| y.iter().all(u8::is_ascii_digit))
        && b.get(4) == Some(&b'-')
}

/// Whether a multi-line string can be written as a literal block (`|` or `|-`) that reads
/// back byte for byte.
fn literal_block_ok(s: &str) -> bool {
    if !s.contains('\n') || s.starts_with(' ') || s.starts_with('\n') {
        return false;
    }
    let body = s.strip_suffix('\n').unwrap_or(s);
    if body.ends_with('\n') {
        return false;
    }
    body.split('\n').all(|line| {
        !line.ends_with([' ', '\t'])
            && line
                .chars()
                .all(|c| c == '\t' || !(c.is_control() || is_special_unicode(c)))
    })
}

/// Characters that YAML treats as line breaks, that readers may drop, or that a YAML
/// stream may not hold unescaped.
fn is_special_unicode(c: char) -> bool {
    matches!(
        c,
        '\u{85}' | '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}'
    )
}

fn double_quoted(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() || is_special_unicode(c) => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests;

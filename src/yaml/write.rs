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
mod tests {
    use super::*;
    use crate::yaml::{parse_stream, ReadOptions};
    use serde_json::json;

    /// What kiln reads back from what it wrote (escaped control characters included).
    fn round_trip(v: &Value) -> Value {
        let text = to_string(v);
        let options = ReadOptions {
            escaped_controls: true,
            ..ReadOptions::default()
        };
        let read = parse_stream(&text, &options);
        assert!(read.problems.is_empty(), "{text}\n{:?}", read.problems);
        read.documents.into_iter().next().unwrap().to_json()
    }

    #[test]
    fn canonical_key_order() {
        let v = json!({"spec": {"b": 1, "a": 2}, "metadata": {"namespace": "ns", "labels": {}, "name": "x"}, "kind": "K", "apiVersion": "v1"});
        assert_eq!(
            to_string(&v),
            "apiVersion: v1\nkind: K\nmetadata:\n  name: x\n  namespace: ns\n  labels: {}\nspec:\n  a: 2\n  b: 1\n"
        );
    }

    #[test]
    fn data_maps_keep_byte_order_whatever_their_keys() {
        let v = json!({"kind": "ConfigMap", "data": {"name": "x", "metadata": "y", "apiVersion": "z", "a": "w"}});
        assert_eq!(
            to_string(&v),
            "kind: ConfigMap\ndata:\n  a: w\n  apiVersion: z\n  metadata: \"y\"\n  name: x\n"
        );
    }

    #[test]
    fn lists_of_maps_and_nested_lists() {
        let v = json!({"c": [{"name": "a", "ports": [{"containerPort": 80}]}, "x", [1, 2], []]});
        let text = to_string(&v);
        assert_eq!(
            text,
            "c:\n  - name: a\n    ports:\n      - containerPort: 80\n  - x\n  -\n    - 1\n    - 2\n  - []\n"
        );
        assert_eq!(round_trip(&v), v);
    }

    #[test]
    fn strings_that_yaml11_would_change_are_quoted() {
        for s in [
            "on",
            "no",
            "y",
            "Y",
            "yes",
            "off",
            "1.10",
            "0755",
            "1e3",
            "~",
            "",
            "- x",
            "null",
            "true",
            "1_000",
            "1:30",
            "0x1f",
            "0o17",
            ".5",
            ".inf",
            "-.inf",
            ".NaN",
            "=",
            "<<",
            "2024-01-02",
            "2024-01-02T10:00:00Z",
            "a: b",
            "a #b",
            "#x",
            "*x",
            "&x",
            "!x",
            "%x",
            "@x",
            "`x",
            "'x",
            "\"x",
            "{x",
            "[x",
            "|x",
            ">x",
            " lead",
            "trail ",
            "x:",
            "-1",
            "+1",
            "12",
            "1.5e+3",
        ] {
            let v = json!({ "k": s, s: "v" });
            let text = to_string(&v);
            assert!(
                !text.contains(&format!("k: {s}\n")) || s.is_empty(),
                "`{s}` must be quoted:\n{text}"
            );
            assert_eq!(round_trip(&v), v, "{text}");
        }
    }

    #[test]
    fn ordinary_strings_stay_plain() {
        for s in [
            "hello",
            "v1.2.3",
            "10Gi",
            "500m",
            "app.kubernetes.io/name",
            "http://x:80/path",
            "a-b_c",
            "3600s",
        ] {
            assert_eq!(to_string(&json!({ "k": s })), format!("k: {s}\n"));
        }
    }

    #[test]
    fn multi_line_strings_become_literal_blocks() {
        let v = json!({"a": {"f": "line one\n  indented\n\nlast\n", "g": "no newline\nat end"}});
        let text = to_string(&v);
        assert_eq!(
            text,
            "a:\n  f: |\n    line one\n      indented\n\n    last\n  g: |-\n    no newline\n    at end\n"
        );
        assert_eq!(round_trip(&v), v);
        let list = json!(["x\ny\n"]);
        assert_eq!(to_string(&list), "- |\n  x\n  y\n");
        assert_eq!(round_trip(&list), list);
    }

    #[test]
    fn awkward_multi_line_strings_are_double_quoted() {
        for s in [
            " lead\nx",
            "trailing \nx",
            "two\n\n",
            "\nstart",
            "cr\r\nlf",
            "tab\t\nx",
            "nel\u{85}x\n",
        ] {
            let v = json!({ "k": s });
            let text = to_string(&v);
            assert!(text.starts_with("k: \""), "{s:?} -> {text}");
            assert_eq!(round_trip(&v), v);
        }
    }

    #[test]
    fn numbers_keep_their_type() {
        let v = json!({"i": 3, "n": -7, "f": 0.5, "g": 2.0, "big": 1e300, "small": 1e-9});
        let text = to_string(&v);
        assert!(text.contains("g: 2.0\n"), "{text}");
        assert!(text.contains("big: 1.0e+300\n"), "{text}");
        assert!(text.contains("small: 1.0e-9\n"), "{text}");
        assert_eq!(round_trip(&v), v);
    }

    #[test]
    fn scalars_and_empty_documents() {
        assert_eq!(to_string(&json!({})), "{}\n");
        assert_eq!(
            to_string(&json!({"a": null, "b": [], "c": {}})),
            "a: null\nb: []\nc: {}\n"
        );
        assert_eq!(to_string(&json!("on")), "\"on\"\n");
    }

    #[test]
    fn unicode_is_kept_and_controls_escaped() {
        let v = json!({"a": "héllo", "b": "bell\u{7}", "c": "line\u{2028}sep"});
        let text = to_string(&v);
        assert!(text.contains("a: \"héllo\"\n"));
        assert!(text.contains("\\u0007"));
        assert_eq!(round_trip(&v), v);
    }

    // Found by tests/integration/properties.rs: readers take at most 1024 characters for an
    // implicit key, and refuse a raw U+FFFE or U+FFFF.
    #[test]
    fn long_keys_are_written_explicitly() {
        let long = " s".repeat(600);
        let v = json!({ &long: "v", "short": [{ &long: {"a": 1}, "b": 2 }] });
        let text = to_string(&v);
        let quoted = format!("\"{long}\"");
        assert!(
            text.starts_with(&format!(
                "? {quoted}\n: v\nshort:\n  - ? {quoted}\n    :\n      a: 1\n"
            )),
            "{text}"
        );
        assert_eq!(round_trip(&v), v);
        let fits = "k".repeat(LONGEST_IMPLICIT_KEY);
        assert_eq!(to_string(&json!({ &fits: 1 })), format!("{fits}: 1\n"));
    }

    // Found by the long run of tests/integration/properties.rs: `... -` written plain as a
    // document or a top-level key ended the document.
    #[test]
    fn document_markers_are_quoted() {
        for s in ["... -", "...", "--- x", "---"] {
            assert!(!is_plain_safe(s), "{s}");
            let v = json!({ s: s });
            assert_eq!(round_trip(&v), v);
            assert_eq!(round_trip(&json!(s)), json!(s));
        }
        assert!(is_plain_safe("a..."));
    }

    #[test]
    fn code_points_yaml_excludes_are_escaped() {
        let v = json!({"a": "x\u{fffe}y\u{ffff}", "b": "line\u{ffff}\nnext\n"});
        let text = to_string(&v);
        assert_eq!(
            text,
            "a: \"x\\ufffey\\uffff\"\nb: \"line\\uffff\\nnext\\n\"\n"
        );
        assert_eq!(round_trip(&v), v);
    }

    #[test]
    fn upper_case_spellings_of_numbers_and_words_are_quoted() {
        for s in [
            "0X1F", "1E3", "0O17", "0B101", "TRUE", "Null", "OFF", "+.INF", "-.Nan",
        ] {
            assert!(!is_plain_safe(s), "{s}");
        }
        for s in [
            "trino",
            "a:b",
            "a#b",
            "x-1",
            "v1.2.3-rc",
            "EOF",
            "Yesterday",
        ] {
            assert!(is_plain_safe(s), "{s}");
        }
    }
}

//! Hiding credentials in what kiln shows: a text's credential-shaped parts, the values
//! of `key: value` entries whose keys may name one, and a JSON value under such a key.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::Regex;

use super::shape::{find, pattern};
use super::{is_reference, is_reference_key, is_sensitive_key, HIDDEN};

/// The text with every credential-shaped part replaced by [`HIDDEN`].
pub fn hide_shapes(text: &str) -> Cow<'_, str> {
    let found = find(text);
    if found.is_empty() {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for f in found {
        out.push_str(text.get(at..f.start).unwrap_or(""));
        out.push_str(HIDDEN);
        at = f.end;
    }
    out.push_str(text.get(at..).unwrap_or(""));
    Cow::Owned(out)
}

/// The key of a `key: value`, `key = value` or `"key": value` line, and the byte range
/// of its value (after the separator and spaces, before a trailing comma or comment-free
/// line end). `None` for other lines.
pub fn line_entry(line: &str) -> Option<(&str, std::ops::Range<usize>)> {
    let body = line.trim_end_matches(['\n', '\r']);
    let start = body.len() - body.trim_start().len();
    let rest = body.get(start..)?;
    // A list item: `- key: value`.
    let start = if let Some(r) = rest.strip_prefix("- ") {
        start + 2 + (r.len() - r.trim_start().len())
    } else {
        start
    };
    let quoted = body.get(start..)?.starts_with(['"', '\'']);
    let key_start = start + usize::from(quoted);
    let tail = body.get(key_start..)?;
    let key_len = tail
        .find(|c: char| !(c.is_ascii_alphanumeric() || "_.-".contains(c)))
        .unwrap_or(tail.len());
    if key_len == 0 {
        return None;
    }
    let key = tail.get(..key_len)?;
    let mut i = key_start + key_len;
    if quoted {
        if !body.get(i..)?.starts_with(['"', '\'']) {
            return None;
        }
        i += 1;
    }
    let after = body.get(i..)?;
    let gap = after.len() - after.trim_start_matches([' ', '\t']).len();
    let sep = after.get(gap..)?.chars().next()?;
    if sep != ':' && sep != '=' {
        return None;
    }
    let value_from = i + gap + 1;
    let value = body.get(value_from..)?;
    let lead = value.len() - value.trim_start().len();
    let value_start = value_from + lead;
    let mut value_end = body.len();
    let trimmed = body.get(value_start..value_end)?.trim_end();
    value_end = value_start + trimmed.len();
    if body.get(value_start..value_end)?.ends_with(',') {
        value_end -= 1;
    }
    Some((key, value_start..value_end))
}

/// Whether the value of a `key: value` line is a literal, which under a credential key
/// is a credential: not empty, not the start of a nested block, not a reference.
pub fn is_literal_value(value: &str) -> bool {
    let v = value.trim();
    !(v.is_empty()
        || v.starts_with(['{', '[', '|', '>', '&', '*', '#'])
        || v == "null"
        || v == "~"
        || is_reference(v))
}

/// A `key: value` or `key=value` pair anywhere in a line (inside a flow mapping, a
/// line that does not parse): the key, and the value up to the next separator.
static INLINE_ENTRY: LazyLock<Regex> =
    LazyLock::new(|| pattern(r#"([A-Za-z0-9_.\-]+)["']?\s*[:=][ \t]*(["']?)([^,;&{}\[\]\s"']+)"#));

/// Hides the values of the `key: value` pairs inside a line whose keys may name a
/// credential.
fn hide_inline(line: &str) -> Cow<'_, str> {
    let mut out = String::new();
    let mut at = 0;
    for c in INLINE_ENTRY.captures_iter(line) {
        let (Some(key), Some(value)) = (c.get(1), c.get(3)) else {
            continue;
        };
        let rest = line.get(value.start()..).unwrap_or("");
        let reference = ["${", "$(", "{{"].iter().any(|r| rest.starts_with(r));
        if !is_sensitive_key(key.as_str()) || reference || !is_literal_value(value.as_str()) {
            continue;
        }
        out.push_str(line.get(at..value.start()).unwrap_or(""));
        out.push_str(HIDDEN);
        at = value.end();
    }
    if at == 0 {
        return Cow::Borrowed(line);
    }
    out.push_str(line.get(at..).unwrap_or(""));
    Cow::Owned(out)
}

/// A line of text (a quoted source line, a line of a config file) with every secret in
/// it hidden: the value of a `key: value` / `key=value` entry whose key may name a
/// credential (at the start of the line or inside it), and every credential-shaped
/// part.
pub fn hide_line(line: &str) -> Cow<'_, str> {
    let shapes = match hide_shapes(line) {
        Cow::Borrowed(l) => hide_inline(l),
        Cow::Owned(l) => Cow::Owned(hide_inline(&l).into_owned()),
    };
    let Some((key, range)) = line_entry(&shapes) else {
        return shapes;
    };
    let value = shapes.get(range.clone()).unwrap_or("");
    if !is_sensitive_key(key) || !is_literal_value(value) {
        return shapes;
    }
    let open = value.chars().next().filter(|c| matches!(c, '"' | '\''));
    let close = open.filter(|q| value.len() > 1 && value.ends_with(*q));
    let mut out = String::with_capacity(shapes.len());
    out.push_str(shapes.get(..range.start).unwrap_or(""));
    out.extend(open);
    out.push_str(HIDDEN);
    out.extend(close);
    out.push_str(shapes.get(range.end..).unwrap_or(""));
    Cow::Owned(out)
}

/// A multi-line text with [`hide_line`] applied to each line, and private key bodies
/// hidden across lines.
fn hide_text(text: &str) -> Cow<'_, str> {
    let shapes = hide_shapes(text);
    let mut out = String::with_capacity(shapes.len());
    let mut changed = matches!(shapes, Cow::Owned(_));
    for line in shapes.split_inclusive('\n') {
        let hidden = hide_line(line);
        changed |= matches!(hidden, Cow::Owned(_));
        out.push_str(&hidden);
    }
    if changed {
        Cow::Owned(out)
    } else {
        Cow::Borrowed(text)
    }
}

/// How a credential found in a value is shown in a message: the value with its secret
/// parts hidden when it has a recognisable shape, else just [`HIDDEN`].
pub fn shown(value: &str) -> String {
    let hidden = hide_shapes(value);
    match hidden {
        Cow::Owned(s) if s.chars().count() <= 120 && !s.contains('\n') => s,
        _ => HIDDEN.to_string(),
    }
}

/// A value as it may be shown (`kiln explain`): under a key that may name a credential
/// (`key`, or one inside the value), every literal is [`HIDDEN`]; every string's
/// credential-shaped parts are hidden.
pub fn hide_json(key: Option<&str>, value: &serde_json::Value) -> serde_json::Value {
    use serde_json::Value as Json;
    let sensitive = key.is_some_and(is_sensitive_key);
    match value {
        Json::String(s) if sensitive && !is_reference(s) => Json::String(HIDDEN.into()),
        Json::Number(_) if sensitive => Json::String(HIDDEN.into()),
        Json::String(s) => Json::String(hide_text(s).into_owned()),
        Json::Array(items) => Json::Array(
            items
                .iter()
                .map(|v| hide_json(key.filter(|_| sensitive), v))
                .collect(),
        ),
        Json::Object(map) => Json::Object(
            map.iter()
                .map(|(k, v)| {
                    let inner = if is_sensitive_key(k) || !sensitive {
                        Some(k.as_str())
                    } else {
                        key
                    };
                    // Where a credential is kept is not the credential.
                    let inner = if is_reference_key(k) && v.is_string() {
                        None
                    } else {
                        inner
                    };
                    (k.clone(), hide_json(inner, v))
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

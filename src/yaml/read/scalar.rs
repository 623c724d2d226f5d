//! Scalars: the length of a quoted one as written, its value (tagged, quoted or plain),
//! and the refusal of values JSON cannot hold.

use yaml_rust2::parser::Tag;
use yaml_rust2::scanner::{Marker, TScalarStyle};

use super::events::{display_tag, Frame, Reader};
use super::resolve::resolve_plain;
use super::text::{escape_controls, is_plain_text, is_refused_control};
use crate::yaml::node::{Node, Span, Value};

impl Reader<'_> {
    /// The length in characters of a quoted scalar as written at `mark`, quotes and
    /// escapes included, up to the end of its first line.
    pub(super) fn quoted_len(&mut self, mark: &Marker, style: TScalarStyle) -> Option<usize> {
        let quote = match style {
            TScalarStyle::DoubleQuoted => '"',
            TScalarStyle::SingleQuoted => '\'',
            _ => return None,
        };
        let (mut index, mut byte) = self.cursor;
        if mark.index() < index {
            (index, byte) = (0, 0);
        }
        let mut chars = self.source.get(byte..)?.char_indices();
        while index < mark.index() {
            chars.next()?;
            index += 1;
        }
        byte += chars.next().filter(|&(_, c)| c == quote)?.0;
        self.cursor = (index, byte);
        let mut rest = self.source.get(byte..)?.chars().skip(1);
        let mut len = 1;
        while let Some(c) = rest.next() {
            match c {
                '\n' | '\r' => return Some(len),
                '\\' if quote == '"' => {
                    len += 1;
                    if rest.next().is_some_and(|c| c != '\n' && c != '\r') {
                        len += 1;
                    } else {
                        return Some(len);
                    }
                }
                c if c == quote => {
                    if quote == '\'' && rest.clone().next() == Some('\'') {
                        rest.next();
                        len += 2;
                        continue;
                    }
                    return Some(len + 1);
                }
                _ => len += 1,
            }
        }
        Some(len)
    }

    /// The node of a scalar: a tagged one must match its tag, a quoted one is a string,
    /// a plain one is resolved and reported when YAML 1.1 reads it differently.
    pub(super) fn scalar(
        &mut self,
        text: String,
        style: TScalarStyle,
        tag: Option<&Tag>,
        span: Span,
    ) -> Option<Node> {
        if let Some(tag) = tag {
            let full = format!("{}{}", tag.handle, tag.suffix);
            let value = match full.as_str() {
                "tag:yaml.org,2002:str" => Value::Str(text.clone()),
                "tag:yaml.org,2002:int"
                | "tag:yaml.org,2002:float"
                | "tag:yaml.org,2002:bool"
                | "tag:yaml.org,2002:null" => {
                    let value = resolve_plain(&text).0;
                    let expected = &full["tag:yaml.org,2002:".len()..];
                    let matches = matches!(
                        (&value, expected),
                        (Value::Int(_), "int")
                            | (Value::Int(_) | Value::Float(_), "float")
                            | (Value::Bool(_), "bool")
                            | (Value::Null, "null")
                    );
                    if !matches {
                        self.fatal(
                            span,
                            format!("`{}` is not a valid `!!{expected}`", escape_controls(&text)),
                            None,
                        );
                        return None;
                    }
                    match (value, expected) {
                        (Value::Int(i), "float") => Value::Float(i as f64),
                        (v, _) => v,
                    }
                }
                _ => {
                    self.fatal(
                        span,
                        format!("unsupported yaml tag `{}`", display_tag(tag)),
                        None,
                    );
                    return None;
                }
            };
            self.check_value(&text, &value, true, span);
            return Some(Node::new(value, span));
        }
        if style != TScalarStyle::Plain {
            let value = Value::Str(text);
            self.check_value("", &value, false, span);
            return Some(Node::new(value, span));
        }
        let (value, ambiguity) = resolve_plain(&text);
        // A value refused outright needs no word on what YAML 1.1 makes of it.
        let refused = self.check_value(&text, &value, false, span);
        if let Some(amb) = ambiguity.filter(|_| self.options.yaml11_check && !refused) {
            let pointer = self.pointer(Some(&text));
            self.problem(span, pointer, amb.message(&text), Some(amb.hint(&text)));
        }
        Some(Node::new(value, span))
    }

    /// Refuses a scalar kiln cannot hold: a string with a control character (when the
    /// options say so), or a number that JSON has no value for. `text` is the scalar as
    /// written, for plain and tagged ones. Says whether it refused the scalar.
    fn check_value(&mut self, text: &str, value: &Value, tagged: bool, span: Span) -> bool {
        let is_key = matches!(self.stack.last(), Some(Frame::Map { key: None, .. }));
        let control = match value {
            Value::Str(s) if !self.options.escaped_controls => {
                if is_plain_text(s.as_bytes(), false) {
                    None
                } else {
                    s.chars().find(|&c| is_refused_control(c))
                }
            }
            _ => None,
        };
        let refusal = control
                .map(|c| {
                    (
                        format!(
                            "control character `{}` in a {}",
                            c.escape_unicode(),
                            if is_key { "key" } else { "string" }
                        ),
                        "remove the escape that writes it: tab, line feed and carriage return are the only control characters kiln reads".to_string(),
                    )
                })
            .or_else(|| number_problem(text, value, tagged));
        if let Some((message, hint)) = refusal {
            let key = match value {
                Value::Str(s) => s.as_str(),
                _ => text,
            };
            let pointer = self.pointer(Some(key));
            self.unusable(span, pointer, message, hint);
            return true;
        }
        false
    }
}

/// The length in characters of a scalar as written, when [`Reader::quoted_len`] does
/// not know it.
pub(super) fn scalar_len(text: &str, style: TScalarStyle) -> usize {
    match style {
        TScalarStyle::Plain => text.chars().count(),
        TScalarStyle::SingleQuoted | TScalarStyle::DoubleQuoted => text.chars().count() + 2,
        _ => 1,
    }
}

/// Why a number read from `text` (plain or tagged) is not one kiln can hold, with a
/// hint: NaN and infinities (JSON has neither), floats beyond the range of a double,
/// integers beyond 64 bits.
fn number_problem(text: &str, value: &Value, tagged: bool) -> Option<(String, String)> {
    let quote = || format!("quote it (`\"{text}\"`) for a string");
    let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
    match value {
        Value::Float(f) if f.is_nan() => Some((
            format!("`{text}` is not a number kiln can use: its values are JSON, which has no NaN"),
            format!("write a finite number, or {}", quote()),
        )),
        Value::Float(f) if f.is_infinite() && unsigned.eq_ignore_ascii_case(".inf") => Some((
            format!(
                "`{text}` is not a number kiln can use: its values are JSON, which has no infinity"
            ),
            format!("write a finite number, or {}", quote()),
        )),
        Value::Float(f) if f.is_infinite() => Some((
            format!("`{text}` is too large for a number (the largest is about 1.8e308)"),
            quote(),
        )),
        Value::Float(_) if !tagged && is_decimal_integer(text) => Some((
            format!(
                "`{text}` is out of range for an integer ({} to {})",
                i64::MIN,
                i64::MAX
            ),
            quote(),
        )),
        Value::Str(_) if !tagged && is_radix_integer(text) => Some((
            format!(
                "`{text}` is out of range for an integer ({} to {})",
                i64::MIN,
                i64::MAX
            ),
            quote(),
        )),
        _ => None,
    }
}

/// `[-+]?[0-9]+`.
fn is_decimal_integer(s: &str) -> bool {
    let unsigned = s.strip_prefix(['-', '+']).unwrap_or(s);
    !unsigned.is_empty() && unsigned.bytes().all(|b| b.is_ascii_digit())
}

/// `0x[0-9a-fA-F]+` or `0o[0-7]+`: integers in YAML 1.2.
fn is_radix_integer(s: &str) -> bool {
    if let Some(hex) = s.strip_prefix("0x") {
        return !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit());
    }
    if let Some(oct) = s.strip_prefix("0o") {
        return !oct.is_empty() && oct.bytes().all(|b| (b'0'..=b'7').contains(&b));
    }
    false
}

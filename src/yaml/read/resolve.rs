//! Plain scalars under the YAML 1.2 core schema, and where YAML 1.1 (which Kubernetes
//! reads) takes them for something else.

use crate::yaml::node::Value;

/// What a plain scalar means under YAML 1.1 when that differs from YAML 1.2.
#[derive(Debug, PartialEq)]
pub(super) enum Ambiguity {
    /// YAML 1.1 reads it as this kind of value; YAML 1.2 as a string.
    V11Only(&'static str),
    /// YAML 1.2 reads it as a number; YAML 1.1 as a string.
    V12NumberOnly,
    /// Both read a number, but different ones.
    Octal(i64),
}

impl Ambiguity {
    pub(super) fn message(&self, text: &str) -> String {
        match self {
            Ambiguity::V11Only(kind) => format!(
                "`{text}` is {kind} in YAML 1.1, which Kubernetes reads, but a string in YAML 1.2"
            ),
            Ambiguity::V12NumberOnly => format!(
                "`{text}` is a number in YAML 1.2 but a string in YAML 1.1, which Kubernetes reads"
            ),
            Ambiguity::Octal(v) => format!(
                "`{text}` is the octal number {v} in YAML 1.1, which Kubernetes reads, but a decimal number in YAML 1.2"
            ),
        }
    }

    pub(super) fn hint(&self, text: &str) -> String {
        match self {
            Ambiguity::V11Only("a boolean") => {
                format!("quote it (`\"{text}\"`) for a string, or write `true` or `false`")
            }
            Ambiguity::Octal(v) => format!("quote it (`\"{text}\"`) for a string, or write `{v}`"),
            _ => format!("quote it (`\"{text}\"`) so that every reader sees a string"),
        }
    }
}

/// Resolves a plain scalar with the YAML 1.2 core schema, and says how YAML 1.1 would
/// read it differently.
pub(super) fn resolve_plain(s: &str) -> (Value, Option<Ambiguity>) {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return (Value::Null, None),
        "true" | "True" | "TRUE" => return (Value::Bool(true), None),
        "false" | "False" | "FALSE" => return (Value::Bool(false), None),
        "y" | "Y" | "yes" | "Yes" | "YES" | "n" | "N" | "no" | "No" | "NO" | "on" | "On" | "ON"
        | "off" | "Off" | "OFF" => {
            return (Value::Str(s.into()), Some(Ambiguity::V11Only("a boolean")))
        }
        "=" => {
            return (
                Value::Str(s.into()),
                Some(Ambiguity::V11Only("a special value")),
            )
        }
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return (Value::Float(f64::INFINITY), None)
        }
        "-.inf" | "-.Inf" | "-.INF" => return (Value::Float(f64::NEG_INFINITY), None),
        ".nan" | ".NaN" | ".NAN" => return (Value::Float(f64::NAN), None),
        _ => {}
    }
    let unsigned = s.strip_prefix(['-', '+']).unwrap_or(s);
    let negative = s.starts_with('-');
    if !unsigned.is_empty() && unsigned.bytes().all(|b| b.is_ascii_digit()) {
        let value = match s.parse::<i64>() {
            Ok(i) => Value::Int(i),
            Err(_) => Value::Float(s.parse::<f64>().unwrap_or(f64::NAN)),
        };
        if unsigned.len() > 1 && unsigned.starts_with('0') {
            if unsigned.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
                let octal = i64::from_str_radix(unsigned, 8).unwrap_or(0);
                return (
                    value,
                    Some(Ambiguity::Octal(if negative { -octal } else { octal })),
                );
            }
            // `089` is a string in YAML 1.1 (not octal, not decimal).
            return (value, Some(Ambiguity::V12NumberOnly));
        }
        return (value, None);
    }
    if let Some(hex) = s.strip_prefix("0x") {
        if !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            if let Ok(i) = i64::from_str_radix(hex, 16) {
                return (Value::Int(i), None);
            }
        }
    }
    if let Some(oct) = s.strip_prefix("0o") {
        if !oct.is_empty() && oct.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
            if let Ok(i) = i64::from_str_radix(oct, 8) {
                return (Value::Int(i), Some(Ambiguity::V12NumberOnly));
            }
        }
    }
    if is_core_float(s) {
        let value = Value::Float(s.parse::<f64>().unwrap_or(f64::NAN));
        let ambiguity = (!is_yaml11_float(s)).then_some(Ambiguity::V12NumberOnly);
        return (value, ambiguity);
    }
    let ambiguity = if is_yaml11_int_only(s) {
        Some(Ambiguity::V11Only("an integer"))
    } else if is_yaml11_float(s) {
        Some(Ambiguity::V11Only("a number"))
    } else if is_yaml11_timestamp(s) {
        Some(Ambiguity::V11Only("a timestamp"))
    } else {
        None
    };
    (Value::Str(s.into()), ambiguity)
}

/// YAML 1.2 core schema float: `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`.
fn is_core_float(s: &str) -> bool {
    let body = s.strip_prefix(['-', '+']).unwrap_or(s);
    let (mantissa, exponent) = match body.split_once(['e', 'E']) {
        Some((m, e)) => (m, Some(e)),
        None => (body, None),
    };
    let mantissa_ok = match mantissa.split_once('.') {
        Some(("", frac)) => !frac.is_empty() && all_digits(frac),
        Some((whole, frac)) => all_digits(whole) && all_digits(frac),
        None => !mantissa.is_empty() && all_digits(mantissa),
    };
    let exponent_ok = match exponent {
        None => true,
        Some(e) => {
            let digits = e.strip_prefix(['-', '+']).unwrap_or(e);
            !digits.is_empty() && all_digits(digits)
        }
    };
    mantissa_ok && exponent_ok
}

fn all_digits(s: &str) -> bool {
    s.bytes().all(|c| c.is_ascii_digit())
}

/// YAML 1.1 float, as PyYAML resolves it: a dot is required, `_` allowed, exponent sign
/// required, sexagesimal forms allowed.
fn is_yaml11_float(s: &str) -> bool {
    let body = s.strip_prefix(['-', '+']).unwrap_or(s);
    let (mantissa, exponent) = match body.split_once(['e', 'E']) {
        Some((m, e)) => (m, Some(e)),
        None => (body, None),
    };
    let Some((whole, frac)) = mantissa.split_once('.') else {
        return false;
    };
    let whole_ok = whole.is_empty()
        || (whole.starts_with(|c: char| c.is_ascii_digit())
            && whole
                .bytes()
                .all(|c| c.is_ascii_digit() || c == b'_' || c == b':'));
    let frac_ok = frac.bytes().all(|c| c.is_ascii_digit() || c == b'_');
    if whole.is_empty() && frac.is_empty() {
        return false;
    }
    let exponent_ok = match exponent {
        None => true,
        Some(e) => match e.strip_prefix(['-', '+']) {
            Some(digits) => !digits.is_empty() && all_digits(digits),
            None => false,
        },
    };
    whole_ok && frac_ok && exponent_ok
}

/// YAML 1.1 integers that YAML 1.2 reads as strings: `_` separators, `0b`, sexagesimal.
fn is_yaml11_int_only(s: &str) -> bool {
    let b = s.strip_prefix(['-', '+']).unwrap_or(s).as_bytes();
    if let Some(bin) = b.strip_prefix(b"0b") {
        return !bin.is_empty() && bin.iter().all(|&c| c == b'0' || c == b'1' || c == b'_');
    }
    if b.first().is_some_and(u8::is_ascii_digit) {
        let all = b
            .iter()
            .all(|&c| c.is_ascii_digit() || c == b'_' || c == b':');
        return all && (b.contains(&b'_') || b.contains(&b':'));
    }
    false
}

/// YAML 1.1 timestamps start with a date `YYYY-M-D`.
fn is_yaml11_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    let (Some(year), Some(b'-'), Some(rest)) = (b.get(..4), b.get(4), b.get(5..)) else {
        return false;
    };
    if b.len() < 8 || !year.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let month_len = rest.iter().take_while(|c| c.is_ascii_digit()).count();
    if !(1..=2).contains(&month_len) || rest.get(month_len) != Some(&b'-') {
        return false;
    }
    let Some(day) = rest.get(month_len + 1..) else {
        return false;
    };
    let day_len = day.iter().take_while(|c| c.is_ascii_digit()).count();
    (1..=2).contains(&day_len)
}

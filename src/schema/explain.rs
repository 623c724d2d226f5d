//! A schema violation in kiln's words: the pointer, the message and a hint, for inputs
//! and for rendered objects alike.

use jsonschema::error::{TypeKind, ValidationErrorKind};
use serde_json::Value;

use crate::suggest;
use crate::yaml::node::escape_token;

/// What a schema violation is about, in kiln's words.
#[derive(Debug, PartialEq)]
pub struct Violation {
    /// Pointer of the value (or, with `at_key`, of the key) concerned.
    pub pointer: String,
    pub at_key: bool,
    pub message: String,
    pub hint: Option<String>,
}

/// What [`explain`] may ask about the schema and the instance.
pub struct Lookup<'a> {
    /// The keys the schema allows at a pointer.
    pub known: &'a dyn Fn(&str) -> Vec<String>,
    /// The schema's description of the value at a pointer.
    pub description: &'a dyn Fn(&str) -> Option<String>,
    /// The value at a pointer as it was written, when known.
    pub raw: &'a dyn Fn(&str) -> Option<String>,
    /// What a key is called in messages: `key` for inputs, `field` for objects.
    pub key_word: &'a str,
}

/// Translates one validation error into violations (an error about several unknown
/// keys gives one violation per key).
pub fn explain(error: &jsonschema::ValidationError, lookup: &Lookup) -> Vec<Violation> {
    let pointer = error.instance_path().as_str().to_string();
    let value = error.instance();
    let word = lookup.key_word;
    let one = |message: String, hint: Option<String>| {
        vec![Violation {
            pointer: pointer.clone(),
            at_key: false,
            message,
            hint,
        }]
    };
    if let Some(message) = bound_message(error.kind(), value) {
        return one(message, None);
    }
    match error.kind() {
        ValidationErrorKind::AdditionalProperties { unexpected }
        | ValidationErrorKind::UnevaluatedProperties { unexpected } => {
            let known = (lookup.known)(&pointer);
            unexpected
                .iter()
                .map(|key| Violation {
                    pointer: format!("{pointer}/{}", escape_token(key)),
                    at_key: true,
                    message: format!("unknown {word} `{key}`"),
                    hint: unknown_key_hint(key, &known),
                })
                .collect()
        }
        ValidationErrorKind::Required { property } => {
            let name = property.as_str().unwrap_or_default();
            let hint = (lookup.description)(&format!("{pointer}/{}", escape_token(name)))
                .map(|d| format!("`{name}`: {d}"));
            one(format!("missing required {word} `{name}`"), hint)
        }
        ValidationErrorKind::Type { kind: expected } => {
            let expected = type_names(expected);
            let hint = type_hint(&expected, value, lookup, &pointer);
            one(
                format!("expected {expected}, found {}", describe(value)),
                hint,
            )
        }
        ValidationErrorKind::Enum { options } => {
            let (message, hint) = enum_message(options, value);
            one(message, hint)
        }
        ValidationErrorKind::Pattern { pattern } => one(
            format!(
                "{} does not match the required pattern `{pattern}`",
                describe(value)
            ),
            (lookup.description)(&pointer),
        ),
        ValidationErrorKind::PropertyNames { error: inner } => {
            let key = inner.instance().as_str().unwrap_or_default().to_string();
            vec![Violation {
                pointer: format!("{pointer}/{}", escape_token(&key)),
                at_key: true,
                message: format!(
                    "`{key}` is not a valid name here: {}",
                    lower_first(&inner.to_string())
                ),
                hint: None,
            }]
        }
        _ => one(lower_first(&error.to_string()), None),
    }
}

/// The message for a value that is none of the schema's choices, with the nearest
/// choice as a hint.
fn enum_message(options: &Value, value: &Value) -> (String, Option<String>) {
    let choices: Vec<String> = options
        .as_array()
        .map(|a| a.iter().filter(|v| !v.is_null()).map(short).collect())
        .unwrap_or_default();
    let hint = value
        .as_str()
        .and_then(|s| suggest::did_you_mean(s, choices.iter().map(String::as_str)));
    let message = format!(
        "expected one of {}, found {}",
        suggest::code_list(&choices),
        describe(value)
    );
    (message, hint)
}

/// The hint for a value of the wrong type: a YAML 1.1 boolean, a quoted integer, or a
/// number or boolean where a string belongs.
fn type_hint(expected: &str, value: &Value, lookup: &Lookup, pointer: &str) -> Option<String> {
    match value.as_str() {
        Some(s) if expected.contains("boolean") && is_yaml11_bool(s) => {
            Some("write `true` or `false`; kiln reads `yes`/`no`/`on`/`off` as strings".to_string())
        }
        Some(s) if expected.contains("integer") && s.trim().parse::<i64>().is_ok() => {
            Some(format!("write the number without quotes: `{}`", s.trim()))
        }
        None if expected == "a string" && (value.is_number() || value.is_boolean()) => {
            let raw = (lookup.raw)(pointer).unwrap_or_else(|| value.to_string());
            Some(format!("quote it to keep it a string: `\"{raw}\"`"))
        }
        _ => None,
    }
}

/// The message of a violated bound (a minimum or maximum, a length, a number of items,
/// a constant), which has no hint; `None` for any other error.
fn bound_message(kind: &ValidationErrorKind, value: &Value) -> Option<String> {
    let message = match kind {
        ValidationErrorKind::Minimum { limit } => {
            format!("expected at least {limit}, found {}", describe(value))
        }
        ValidationErrorKind::Maximum { limit } => {
            format!("expected at most {limit}, found {}", describe(value))
        }
        ValidationErrorKind::ExclusiveMinimum { limit } => {
            format!("expected more than {limit}, found {}", describe(value))
        }
        ValidationErrorKind::ExclusiveMaximum { limit } => {
            format!("expected less than {limit}, found {}", describe(value))
        }
        ValidationErrorKind::MinLength { limit } => format!(
            "expected at least {limit} character{}, found {}",
            if *limit == 1 { "" } else { "s" },
            describe(value)
        ),
        ValidationErrorKind::MaxLength { limit } => format!(
            "expected at most {limit} characters, found {}",
            describe(value)
        ),
        ValidationErrorKind::MinItems { limit } => format!(
            "expected at least {limit} item{}, found {}",
            if *limit == 1 { "" } else { "s" },
            value.as_array().map(Vec::len).unwrap_or(0)
        ),
        ValidationErrorKind::Constant { expected_value } => format!(
            "expected `{}`, found {}",
            short(expected_value),
            describe(value)
        ),
        _ => return None,
    };
    Some(message)
}

fn unknown_key_hint(key: &str, known: &[String]) -> Option<String> {
    if key == "<<" {
        return Some("yaml merge keys are not supported; kiln merges layers of values instead (docs/values.md)".into());
    }
    if let Some(h) = suggest::did_you_mean(key, known.iter().map(String::as_str)) {
        return Some(h);
    }
    if known.is_empty() {
        None
    } else {
        Some(format!(
            "known keys here: {}",
            crate::suggest::code_list(known.iter())
        ))
    }
}

fn is_yaml11_bool(s: &str) -> bool {
    matches!(
        s.to_ascii_lowercase().as_str(),
        "yes" | "no" | "on" | "off" | "y" | "n"
    )
}
/// Lower-cases the first letter of a sentence, leaving acronyms (`URI`, `JSON`) alone.
pub(super) fn lower_first(s: &str) -> String {
    let mut chars = s.chars();
    match (chars.next(), s.chars().nth(1)) {
        (Some(_), Some(second)) if second.is_uppercase() => s.to_string(),
        (Some(c), _) => c.to_lowercase().chain(chars).collect(),
        (None, _) => String::new(),
    }
}

fn type_names(kind: &TypeKind) -> String {
    let names: Vec<String> = match kind {
        TypeKind::Single(t) => vec![t.to_string()],
        TypeKind::Multiple(set) => set.iter().map(|t| t.to_string()).collect(),
    };
    let names: Vec<String> = names
        .into_iter()
        .filter(|n| n != "null")
        .map(|n| match n.as_str() {
            "object" => "a mapping".to_string(),
            "array" => "a list".to_string(),
            "integer" => "an integer".to_string(),
            other => format!("a {other}"),
        })
        .collect();
    names.join(" or ")
}

/// A value as it appears in messages: its type and a short rendering.
fn describe(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("the boolean `{b}`"),
        Value::Number(n) => format!("the number `{n}`"),
        Value::String(s) => format!("the string `{}`", truncate(s)),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "a mapping".into(),
    }
}

fn short(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn truncate(s: &str) -> String {
    if s.chars().count() > 60 {
        format!("{}…", s.chars().take(60).collect::<String>())
    } else {
        s.to_string()
    }
}

//! The JSON Schemas of kiln's input kinds, embedded in the binary, and the translation of
//! schema violations into diagnostics that name the file, line and key, with hints.

use std::sync::OnceLock;

use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::{Draft, Validator};
use serde_json::Value;

use crate::diagnostic::{Code, Diagnostic};
use crate::parse::Document;
use crate::suggest;
use crate::yaml::node::{escape_token, pointer_tokens};

const BASE: &str = "https://kiln.dev/schemas/";

/// The input kinds, in the order `kiln schema` lists them.
pub const KINDS: [(&str, &str); 7] = [
    ("kiln", include_str!("../schemas/kiln.schema.json")),
    ("catalog", include_str!("../schemas/catalog.schema.json")),
    (
        "environment",
        include_str!("../schemas/environment.schema.json"),
    ),
    ("tenant", include_str!("../schemas/tenant.schema.json")),
    ("values", include_str!("../schemas/values.schema.json")),
    (
        "blueprint",
        include_str!("../schemas/blueprint.schema.json"),
    ),
    ("pipeline", include_str!("../schemas/pipeline.schema.json")),
];

/// The text of a kind's schema, as shipped.
pub fn text(kind: &str) -> Option<&'static str> {
    KINDS.iter().find(|(k, _)| *k == kind).map(|(_, t)| *t)
}

fn parsed(kind: &str) -> Option<&'static Value> {
    static PARSED: OnceLock<Vec<(String, Value)>> = OnceLock::new();
    let all = PARSED.get_or_init(|| {
        KINDS
            .iter()
            .filter_map(|(k, t)| serde_json::from_str(t).ok().map(|v| (k.to_string(), v)))
            .collect()
    });
    all.iter().find(|(k, _)| k == kind).map(|(_, v)| v)
}

/// Serves the embedded schemas to `$ref`s between them; nothing is fetched.
struct Embedded;

impl jsonschema::Retrieve for Embedded {
    fn retrieve(
        &self,
        uri: &jsonschema::Uri<String>,
    ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        let name = uri
            .as_str()
            .strip_prefix(BASE)
            .and_then(|n| n.strip_suffix(".schema.json"))
            .unwrap_or("");
        parsed(name)
            .cloned()
            .ok_or_else(|| format!("kiln has no schema at `{}`", uri.as_str()).into())
    }
}

fn validator(kind: &str) -> anyhow::Result<&'static Validator> {
    static VALIDATORS: OnceLock<Vec<(String, Result<Validator, String>)>> = OnceLock::new();
    let all = VALIDATORS.get_or_init(|| {
        KINDS
            .iter()
            .map(|(k, _)| {
                let built = match parsed(k) {
                    Some(schema) => jsonschema::options()
                        .with_draft(Draft::Draft202012)
                        .with_retriever(Embedded)
                        .build(schema)
                        .map_err(|e| e.to_string()),
                    None => Err("schema is not valid json".to_string()),
                };
                (k.to_string(), built)
            })
            .collect()
    });
    match all.iter().find(|(k, _)| k == kind) {
        Some((_, Ok(v))) => Ok(v),
        Some((_, Err(e))) => anyhow::bail!("embedded schema `{kind}` does not compile: {e}"),
        None => anyhow::bail!("no embedded schema `{kind}`"),
    }
}

/// Validates a document against the schema of `kind`, returning one diagnostic per
/// violation, located in the document.
pub fn check(kind: &str, doc: &Document) -> anyhow::Result<Vec<Diagnostic>> {
    let validator = validator(kind)?;
    let instance = doc.root.to_json();
    Ok(violations(kind, validator, &instance, doc))
}

fn violations(
    kind: &str,
    validator: &Validator,
    instance: &Value,
    doc: &Document,
) -> Vec<Diagnostic> {
    let lookup = Lookup {
        known: &|pointer: &str| known_keys(kind, pointer),
        description: &|pointer: &str| description(kind, pointer),
        raw: &|pointer: &str| doc.text_at(doc.root.locate(pointer).node.span),
        key_word: "key",
    };
    let mut out = Vec::new();
    for error in validator.iter_errors(instance) {
        for v in explain(&error, &lookup) {
            let located = doc.root.locate(&v.pointer);
            let span = match (v.at_key, located.complete) {
                (true, _) => located.key_span.unwrap_or(located.node.span),
                (false, true) if located.node.span.line > 0 => located.node.span,
                _ => located.key_span.unwrap_or(located.node.span),
            };
            out.push(
                Diagnostic::error(Code::InputSchema, v.message)
                    .in_file(&doc.file)
                    .at(span)
                    .pointer(v.pointer)
                    .hint_opt(v.hint),
            );
        }
    }
    out
}

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
            let hint = match value.as_str() {
                Some(s) if expected.contains("boolean") && is_yaml11_bool(s) => Some(
                    "write `true` or `false`; kiln reads `yes`/`no`/`on`/`off` as strings"
                        .to_string(),
                ),
                Some(s) if expected.contains("integer") && s.trim().parse::<i64>().is_ok() => {
                    Some(format!("write the number without quotes: `{}`", s.trim()))
                }
                None if expected == "a string" && (value.is_number() || value.is_boolean()) => {
                    let raw = (lookup.raw)(&pointer).unwrap_or_else(|| value.to_string());
                    Some(format!("quote it to keep it a string: `\"{raw}\"`"))
                }
                _ => None,
            };
            one(
                format!("expected {expected}, found {}", describe(value)),
                hint,
            )
        }
        ValidationErrorKind::Enum { options } => {
            let choices: Vec<String> = options
                .as_array()
                .map(|a| a.iter().filter(|v| !v.is_null()).map(short).collect())
                .unwrap_or_default();
            let hint = value
                .as_str()
                .and_then(|s| suggest::did_you_mean(s, choices.iter().map(String::as_str)));
            one(
                format!(
                    "expected one of {}, found {}",
                    suggest::code_list(&choices),
                    describe(value)
                ),
                hint,
            )
        }
        ValidationErrorKind::Minimum { limit } => one(
            format!("expected at least {limit}, found {}", describe(value)),
            None,
        ),
        ValidationErrorKind::Maximum { limit } => one(
            format!("expected at most {limit}, found {}", describe(value)),
            None,
        ),
        ValidationErrorKind::ExclusiveMinimum { limit } => one(
            format!("expected more than {limit}, found {}", describe(value)),
            None,
        ),
        ValidationErrorKind::ExclusiveMaximum { limit } => one(
            format!("expected less than {limit}, found {}", describe(value)),
            None,
        ),
        ValidationErrorKind::MinLength { limit } => one(
            format!(
                "expected at least {limit} character{}, found {}",
                if *limit == 1 { "" } else { "s" },
                describe(value)
            ),
            None,
        ),
        ValidationErrorKind::MaxLength { limit } => one(
            format!(
                "expected at most {limit} characters, found {}",
                describe(value)
            ),
            None,
        ),
        ValidationErrorKind::MinItems { limit } => one(
            format!(
                "expected at least {limit} item{}, found {}",
                if *limit == 1 { "" } else { "s" },
                value.as_array().map(Vec::len).unwrap_or(0)
            ),
            None,
        ),
        ValidationErrorKind::Constant { expected_value } => one(
            format!(
                "expected `{}`, found {}",
                short(expected_value),
                describe(value)
            ),
            None,
        ),
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
fn lower_first(s: &str) -> String {
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

/// A schema node and the kind whose file it sits in (for resolving local `$ref`s).
type At = (&'static str, &'static Value);

/// The schema nodes that describe the instance at `pointer`, following `$ref`s (local
/// and between the embedded schemas), `allOf`, `properties`, `additionalProperties` and
/// `items`.
fn schema_nodes(kind: &str, pointer: &str) -> Vec<At> {
    let Some((kind, root)) = KINDS
        .iter()
        .find(|(k, _)| *k == kind)
        .and_then(|(k, _)| parsed(k).map(|v| (*k, v)))
    else {
        return Vec::new();
    };
    let mut current = expand((kind, root), 0);
    for token in pointer_tokens(pointer) {
        let mut next = Vec::new();
        for (k, node) in &current {
            if let Some(p) = node.get("properties").and_then(|p| p.get(&token)) {
                next.extend(expand((k, p), 0));
            } else if let Some(ap) = node.get("additionalProperties").filter(|v| v.is_object()) {
                next.extend(expand((k, ap), 0));
            } else if let Some(items) = node.get("items").filter(|v| v.is_object()) {
                if token.parse::<usize>().is_ok() {
                    next.extend(expand((k, items), 0));
                }
            }
        }
        current = next;
    }
    current
}

/// A schema node together with what its `$ref` and `allOf` point at.
fn expand(at: At, depth: usize) -> Vec<At> {
    let (kind, node) = at;
    let mut out = vec![at];
    if depth > 8 {
        return out;
    }
    if let Some(r) = node.get("$ref").and_then(Value::as_str) {
        if let Some(target) = resolve_ref(kind, r) {
            out.extend(expand(target, depth + 1));
        }
    }
    if let Some(all) = node.get("allOf").and_then(Value::as_array) {
        for sub in all {
            out.extend(expand((kind, sub), depth + 1));
        }
    }
    out
}

fn resolve_ref(kind: &'static str, r: &str) -> Option<At> {
    let (file, fragment) = r.split_once('#').unwrap_or((r, ""));
    let target_kind = if file.is_empty() {
        kind
    } else {
        let name = file.strip_suffix(".schema.json")?;
        KINDS.iter().find(|(k, _)| *k == name).map(|(k, _)| *k)?
    };
    let root = parsed(target_kind)?;
    let node = if fragment.is_empty() {
        Some(root)
    } else {
        root.pointer(fragment)
    }?;
    Some((target_kind, node))
}

/// The keys the schema allows at `pointer`.
pub fn known_keys(kind: &str, pointer: &str) -> Vec<String> {
    let mut keys: Vec<String> = Vec::new();
    for (_, node) in schema_nodes(kind, pointer) {
        if let Some(props) = node.get("properties").and_then(Value::as_object) {
            keys.extend(props.keys().cloned());
        }
    }
    keys.sort();
    keys.dedup();
    keys
}

/// The schema's `description` of the value at `pointer`, if it has one.
fn description(kind: &str, pointer: &str) -> Option<String> {
    schema_nodes(kind, pointer)
        .into_iter()
        .find_map(|(_, n)| n.get("description").and_then(Value::as_str))
        .map(lower_first)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::SourceFile;
    use crate::parse::parse_document;
    use crate::yaml::ReadOptions;

    fn doc(text: &str) -> Document {
        let mut diags = crate::diagnostic::Diagnostics::new();
        let file = SourceFile {
            path: "tenants/acme.yaml".into(),
            text: text.into(),
        };
        parse_document(&file, &ReadOptions::default(), &mut diags).unwrap()
    }

    #[test]
    fn every_embedded_schema_compiles() {
        for (kind, _) in KINDS {
            validator(kind).unwrap();
        }
    }

    #[test]
    fn unknown_key_gets_a_did_you_mean() {
        let ds = check(
            "tenant",
            &doc("environment: dev\nservices:\n  trino:\n    replica: 3\n"),
        )
        .unwrap();
        assert_eq!(ds.len(), 1);
        assert_eq!(ds[0].message, "unknown key `replica`");
        assert_eq!(ds[0].pointer.as_deref(), Some("/services/trino/replica"));
        assert_eq!((ds[0].line, ds[0].column), (Some(4), Some(5)));
        assert_eq!(ds[0].hint.as_deref(), Some("did you mean `replicas`?"));
    }

    #[test]
    fn unknown_top_level_key_of_a_tenant() {
        let ds = check("tenant", &doc("environment: dev\nflag: {}\n")).unwrap();
        assert_eq!(ds.len(), 1);
        assert_eq!(ds[0].message, "unknown key `flag`");
        assert_eq!(ds[0].hint.as_deref(), Some("did you mean `flags`?"));
    }

    #[test]
    fn wrong_type_names_both_types() {
        let ds = check(
            "tenant",
            &doc("environment: dev\nservices:\n  trino:\n    replicas: three\n"),
        )
        .unwrap();
        assert_eq!(ds.len(), 1);
        assert_eq!(
            ds[0].message,
            "expected an integer, found the string `three`"
        );
        assert_eq!(ds[0].line, Some(4));
    }

    #[test]
    fn a_number_where_a_string_belongs_is_quoted_as_written() {
        let ds = check(
            "tenant",
            &doc("environment: dev\nservices:\n  trino:\n    image: {tag: 1.10}\n"),
        )
        .unwrap();
        assert_eq!(ds.len(), 1);
        assert_eq!(ds[0].message, "expected a string, found the number `1.1`");
        assert_eq!(
            ds[0].hint.as_deref(),
            Some("quote it to keep it a string: `\"1.10\"`")
        );
    }

    #[test]
    fn missing_required_key() {
        let ds = check("tenant", &doc("flags: {}\n")).unwrap();
        assert_eq!(ds.len(), 1);
        assert_eq!(ds[0].message, "missing required key `environment`");
        assert_eq!(ds[0].pointer.as_deref(), Some("/"));
    }

    #[test]
    fn acronyms_keep_their_case() {
        assert_eq!(lower_first("URI prefix"), "URI prefix");
        assert_eq!(lower_first("Where it goes"), "where it goes");
    }

    #[test]
    fn known_keys_follow_refs() {
        let keys = known_keys("tenant", "/services/trino");
        assert!(keys.contains(&"replicas".to_string()));
        let top = known_keys("tenant", "");
        assert!(top.contains(&"environment".to_string()));
        assert!(top.contains(&"flags".to_string()));
    }
}

//! The JSON Schemas of kiln's input kinds, embedded in the binary, and the translation of
//! schema violations into diagnostics that name the file, line and key, with hints.

mod explain;

use std::sync::OnceLock;

use jsonschema::{Draft, Validator};
use serde_json::Value;

pub use explain::{explain, Lookup, Violation};

use crate::diagnostic::{Code, Diagnostic};
use crate::parse::Document;
use crate::yaml::node::pointer_tokens;
use explain::lower_first;

const BASE: &str = "https://kiln.dev/schemas/";

/// The input kinds, in the order `kiln schema` lists them.
pub const KINDS: [(&str, &str); 7] = [
    ("kiln", include_str!("../../schemas/kiln.schema.json")),
    ("catalog", include_str!("../../schemas/catalog.schema.json")),
    (
        "environment",
        include_str!("../../schemas/environment.schema.json"),
    ),
    ("tenant", include_str!("../../schemas/tenant.schema.json")),
    ("values", include_str!("../../schemas/values.schema.json")),
    (
        "blueprint",
        include_str!("../../schemas/blueprint.schema.json"),
    ),
    (
        "pipeline",
        include_str!("../../schemas/pipeline.schema.json"),
    ),
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
mod tests;

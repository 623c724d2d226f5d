//! Every object kiln emits is validated against a strict JSON Schema of its kind before
//! anything is written: built-in kinds against the Kubernetes schemas of the version in
//! `kiln.yaml` (generated from `kubernetes-validate`, see `scripts/kubernetes-schemas.py`),
//! the custom resources kiln emits against schemas it ships, other custom resources
//! against the CRDs in the workspace's `crds/`. A kind without any schema is an error
//! unless `kiln.yaml` lists it in `allowUnvalidatedKinds`.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use jsonschema::{Draft, Validator};
use serde_json::{json, Value as Json};

use crate::crd::CrdSchema;
use crate::diagnostic::{Code, Diagnostic};
use crate::render::Object;
use crate::schema::{explain, Lookup};
use crate::yaml::node::pointer_tokens;

const CUSTOM_RESOURCES: &str = include_str!("../../schemas/custom-resources.schema.json");

/// One compiled schema and what it is, for messages.
struct Entry {
    /// Compiled on first use: a build compiles only the kinds it emits.
    validator: OnceLock<Result<Validator, String>>,
    /// The schema document (with its `$defs`) and the pointer of the kind's schema in
    /// it, for finding the fields allowed at a place.
    doc: &'static Json,
    root: String,
    source: String,
}

/// The schemas a build validates against.
pub(super) struct Schemas {
    entries: BTreeMap<String, Entry>,
    allowed: Vec<String>,
}

fn leak(v: Json) -> &'static Json {
    Box::leak(Box::new(v))
}

/// The parsed schema documents, parsed once per process.
fn kubernetes_doc(version: &str) -> Option<&'static Json> {
    static DOCS: OnceLock<BTreeMap<String, &'static Json>> = OnceLock::new();
    let docs = DOCS.get_or_init(|| {
        crate::kube::schema_files()
            .filter_map(|(name, text)| {
                let doc: Json = serde_json::from_str(text).ok()?;
                Some((name, leak(doc)))
            })
            .collect()
    });
    docs.get(version).copied()
}

fn custom_doc() -> Option<&'static Json> {
    static DOC: OnceLock<Option<&'static Json>> = OnceLock::new();
    *DOC.get_or_init(|| serde_json::from_str(CUSTOM_RESOURCES).ok().map(leak))
}

fn compile(doc: &Json, reference: &str) -> Result<Validator, String> {
    let schema = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$ref": reference,
        "$defs": doc.get("$defs").cloned().unwrap_or(json!({})),
    });
    jsonschema::options()
        .with_draft(Draft::Draft202012)
        .build(&schema)
        .map_err(|e| format!("a schema does not compile: {e}"))
}

/// Workspace CRDs that declare a kind Kubernetes has built in: each an error, since a
/// CustomResourceDefinition cannot change what the API server accepts for it.
pub fn builtin_crds(version: &str, crds: &BTreeMap<String, CrdSchema>) -> Vec<Diagnostic> {
    let Some(kube) = kubernetes_doc(version) else {
        return Vec::new();
    };
    crds.iter()
        .filter(|(key, _)| kube["kinds"].get(key.as_str()).is_some())
        .map(|(key, crd)| {
            Diagnostic::error(Code::BuiltinKindCrd, format!(
                "a CustomResourceDefinition declares `{key}`, a kind Kubernetes has built in"
            ))
            .in_file(&crd.file)
            .hint("kiln validates built-in kinds against Kubernetes' own schema; remove the definition from `crds/`")
        })
        .collect()
}

impl Schemas {
    /// The schemas for a Kubernetes version, the shipped custom resources and the
    /// workspace's CRDs. Fails if kiln has no schemas for the version.
    pub(super) fn new(
        version: &str,
        crds: &BTreeMap<String, CrdSchema>,
        allowed: &[String],
    ) -> anyhow::Result<Schemas> {
        let mut entries = BTreeMap::new();
        let kube = kubernetes_doc(version).ok_or_else(|| {
            anyhow::anyhow!("kiln has no Kubernetes schemas for version {version}")
        })?;
        let mut add = |doc: &'static Json, source: String| -> anyhow::Result<()> {
            for (key, reference) in doc["kinds"].as_object().into_iter().flatten() {
                let r = reference["$ref"].as_str().unwrap_or_default();
                entries.insert(
                    key.clone(),
                    Entry {
                        validator: OnceLock::new(),
                        doc,
                        root: r.trim_start_matches('#').to_string(),
                        source: source.clone(),
                    },
                );
            }
            Ok(())
        };
        add(kube, format!("the Kubernetes {version} schema"))?;
        if let Some(custom) = custom_doc() {
            add(custom, "the schema kiln ships for it".into())?;
        }
        for (key, crd) in crds {
            // A built-in kind keeps its schema (`builtin_crds` reports the attempt).
            if kube["kinds"].get(key).is_some() {
                continue;
            }
            let doc = leak(json!({"$defs": {"crd": crd.schema}}));
            entries.insert(
                key.clone(),
                Entry {
                    validator: OnceLock::new(),
                    doc,
                    root: "/$defs/crd".into(),
                    source: format!("its CustomResourceDefinition in `{}`", crd.file),
                },
            );
        }
        Ok(Schemas {
            entries,
            allowed: allowed.to_vec(),
        })
    }

    /// Validates one object; every violation is a diagnostic at the template that made it.
    pub(super) fn check(&self, o: &Object, templates: &Templates) -> Vec<Diagnostic> {
        let api_version = o.field("apiVersion").as_str().unwrap_or("");
        let key = format!("{api_version} {}", o.kind());
        let Some(entry) = self.entries.get(&key) else {
            let group_kind = format!("{}/{}", o.group(), o.kind());
            if self.allowed.contains(&group_kind) {
                return Vec::new();
            }
            let same_kind: Vec<&str> = self
                .entries
                .keys()
                .filter(|k| k.ends_with(&format!(" {}", o.kind())))
                .map(|k| k.split(' ').next().unwrap_or(""))
                .collect();
            let hint = if same_kind.is_empty() {
                format!(
                    "put its CustomResourceDefinition in `crds/`, or list `{group_kind}` in `allowUnvalidatedKinds` in kiln.yaml"
                )
            } else {
                format!(
                    "kiln knows `{}` as {}",
                    o.kind(),
                    crate::suggest::code_list(same_kind)
                )
            };
            return vec![o
                .diagnostic(
                    Code::NoSchema,
                    format!(
                        "kiln has no schema for `{api_version}` `{}`, so it cannot validate it",
                        o.kind()
                    ),
                )
                .pointer("/apiVersion")
                .hint(hint)];
        };
        let validator = match entry
            .validator
            .get_or_init(|| compile(entry.doc, &format!("#{}", entry.root)))
        {
            Ok(v) => v,
            Err(e) => {
                return vec![o
                    .diagnostic(
                        Code::NoSchema,
                        format!(
                            "the schema for `{api_version}` `{}` does not compile: {e}",
                            o.kind()
                        ),
                    )
                    .note(format!("the schema is {}", entry.source))]
            }
        };
        if validator.is_valid(&o.value) {
            return Vec::new();
        }
        let lookup = Lookup {
            known: &|pointer: &str| allowed_fields(entry.doc, &entry.root, pointer),
            description: &|_: &str| None,
            raw: &|_: &str| None,
            key_word: "field",
        };
        let mut out = Vec::new();
        for error in validator.iter_errors(&o.value) {
            for v in explain(&error, &lookup) {
                let d = locate(
                    o.diagnostic(Code::ObjectSchema, v.message),
                    o,
                    &v.pointer,
                    templates,
                );
                out.push(
                    d.pointer(v.pointer)
                        .hint_opt(v.hint)
                        .note(format!("checked against {}", entry.source)),
                );
            }
        }
        out
    }
}

/// Every template by name: its path and its text.
pub type Templates<'t> = BTreeMap<&'t str, (&'t str, &'t str)>;

/// Places a diagnostic about the value at `pointer` of `o` in the template that most
/// likely wrote it.
pub(super) fn locate(
    d: Diagnostic,
    o: &Object,
    pointer: &str,
    templates: &Templates,
) -> Diagnostic {
    let own = templates
        .values()
        .find(|(path, _)| *path == o.provenance.template);
    match own.and_then(|(path, text)| template_line(text, path, templates, pointer, o.kind())) {
        Some((path, span)) => {
            let mut d = d.at(span);
            d.file = Some(path.to_string());
            d
        }
        None => d,
    }
}

/// The fields a schema allows at `pointer` of an instance, following local `$ref`s.
fn allowed_fields(doc: &'static Json, root: &str, pointer: &str) -> Vec<String> {
    let resolve = |node: &'static Json| -> Vec<&'static Json> { expand(doc, node, 0) };
    let Some(start) = doc.pointer(root) else {
        return Vec::new();
    };
    let mut current = resolve(start);
    for token in pointer_tokens(pointer) {
        let mut next = Vec::new();
        for node in &current {
            if let Some(p) = node.get("properties").and_then(|p| p.get(&token)) {
                next.extend(resolve(p));
            } else if let Some(ap) = node.get("additionalProperties").filter(|v| v.is_object()) {
                next.extend(resolve(ap));
            } else if let Some(items) = node.get("items").filter(|v| v.is_object()) {
                if token.parse::<usize>().is_ok() {
                    next.extend(resolve(items));
                }
            }
        }
        current = next;
    }
    let mut keys: Vec<String> = current
        .iter()
        .filter_map(|n| n.get("properties").and_then(Json::as_object))
        .flat_map(|m| m.keys().cloned())
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

fn expand(doc: &'static Json, node: &'static Json, depth: usize) -> Vec<&'static Json> {
    let mut out = vec![node];
    if depth > 16 {
        return out;
    }
    if let Some(target) = node
        .get("$ref")
        .and_then(Json::as_str)
        .and_then(|r| r.strip_prefix('#'))
        .and_then(|p| doc.pointer(p))
    {
        out.extend(expand(doc, target, depth + 1));
    }
    for key in ["allOf", "anyOf", "oneOf"] {
        for sub in node.get(key).and_then(Json::as_array).into_iter().flatten() {
            out.extend(expand(doc, sub, depth + 1));
        }
    }
    out
}

/// Where in the templates the value at `pointer` was most likely written: the one line
/// of the object's template that writes its key; failing that, the one line of a
/// template it imports or includes that does; failing that, the line of the object's
/// template that writes its `kind`. Returns the template's path and the span.
pub(super) fn template_line<'t>(
    template: &'t str,
    path: &'t str,
    templates: &Templates<'t>,
    pointer: &str,
    kind: &str,
) -> Option<(&'t str, crate::yaml::Span)> {
    let key = pointer_tokens(pointer)
        .filter(|t| t.parse::<usize>().is_err())
        .last();
    if let Some(found) = key.and_then(|k| key_template_line(template, path, templates, &k)) {
        return Some(found);
    }
    only_line(template, &|l: &str| {
        (l.trim() == format!("kind: {kind}")).then(|| l.len() - l.trim_start().len())
    })
    .map(|mut s| {
        s.len = 4;
        (path, s)
    })
}

/// The one line that writes the key `key`: in the template itself, else in one it
/// imports or includes. Returns the template's path and the span.
fn key_template_line<'t>(
    template: &'t str,
    path: &'t str,
    templates: &Templates<'t>,
    key: &str,
) -> Option<(&'t str, crate::yaml::Span)> {
    if let Some(span) = key_line(template, key) {
        return Some((path, span));
    }
    imports(template).into_iter().find_map(|name| {
        let (other_path, other_text) = templates.get(name)?;
        key_line(other_text, key).map(|span| (*other_path, span))
    })
}

/// The names of the templates a template imports or includes.
fn imports(template: &str) -> Vec<&str> {
    let mut out = Vec::new();
    for word in ["import", "include", "from"] {
        let mut rest = template;
        while let Some(i) = rest.find(word) {
            rest = &rest[i + word.len()..];
            let trimmed = rest.trim_start();
            if let Some(q) = trimmed.chars().next().filter(|c| *c == '"' || *c == '\'') {
                if let Some(end) = trimmed[1..].find(q) {
                    out.push(&trimmed[1..1 + end]);
                }
            }
        }
    }
    out
}

fn key_line(text: &str, key: &str) -> Option<crate::yaml::Span> {
    let pattern = format!("{key}:");
    only_line(text, &|l: &str| {
        let trimmed = l.trim_start().trim_start_matches("- ");
        trimmed
            .starts_with(&pattern)
            .then(|| l.len() - trimmed.len())
    })
    .map(|mut s| {
        s.len = key.chars().count() as u32;
        s
    })
}

/// The one line for which `needle` gives a column, if exactly one does.
fn only_line(text: &str, needle: &dyn Fn(&str) -> Option<usize>) -> Option<crate::yaml::Span> {
    let hits: Vec<(usize, usize)> = text
        .lines()
        .enumerate()
        .filter_map(|(i, l)| needle(l).map(|c| (i, c)))
        .collect();
    match hits.as_slice() {
        [(line, col)] => Some(crate::yaml::Span {
            line: *line as u32 + 1,
            col: *col as u32 + 1,
            len: 0,
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests;

//! CustomResourceDefinitions from the workspace's `crds/` folder: each served version's
//! `openAPIV3Schema` becomes a strict JSON Schema that kiln validates custom resources
//! of that group, version and kind against.
//!
//! The conversion follows the structural-schema rules the API server applies:
//! `nullable` admits `null`; `x-kubernetes-int-or-string` admits an integer or a string;
//! an object with `properties` admits no other field unless it has
//! `x-kubernetes-preserve-unknown-fields` or `additionalProperties` (the API server
//! would prune unknown fields, so kiln reports them); `x-kubernetes-embedded-resource`
//! admits `apiVersion`, `kind` and `metadata`. CEL rules (`x-kubernetes-validations`)
//! are not evaluated.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value as Json};

use crate::diagnostic::{Code, Diagnostic};
use crate::parse::Document;

/// The schema of one custom resource version, and the CRD file it came from.
#[derive(Clone, Debug, PartialEq)]
pub struct CrdSchema {
    pub schema: Json,
    pub file: String,
    /// The CRD's `spec.scope` is `Cluster`: its objects have no namespace.
    pub cluster_scoped: bool,
}

/// Reads the CRDs of one file. The key of each schema is `<group>/<version> <Kind>`.
pub fn schemas(
    doc: &Document,
    docs: &[(usize, Json)],
) -> (BTreeMap<String, CrdSchema>, Vec<Diagnostic>) {
    let mut out = BTreeMap::new();
    let mut problems = Vec::new();
    for (index, crd) in docs {
        let fail = |message: String| {
            Diagnostic::error(Code::InvalidCrd, message)
                .in_file(&doc.file)
                .note(format!("document {} of the file", index + 1))
        };
        if crd.get("kind").and_then(Json::as_str) != Some("CustomResourceDefinition")
            || crd.get("apiVersion").and_then(Json::as_str) != Some("apiextensions.k8s.io/v1")
        {
            problems.push(fail(
                "a file in `crds/` holds something other than an `apiextensions.k8s.io/v1` CustomResourceDefinition".into(),
            ));
            continue;
        }
        let group = crd.pointer("/spec/group").and_then(Json::as_str);
        let kind = crd.pointer("/spec/names/kind").and_then(Json::as_str);
        let (Some(group), Some(kind)) = (group, kind) else {
            problems.push(fail(
                "the CustomResourceDefinition has no `spec.group` or `spec.names.kind`".into(),
            ));
            continue;
        };
        let versions = crd
            .pointer("/spec/versions")
            .and_then(Json::as_array)
            .cloned()
            .unwrap_or_default();
        for v in versions {
            let Some(name) = v.get("name").and_then(Json::as_str) else {
                continue;
            };
            if v.get("served").and_then(Json::as_bool) == Some(false) {
                continue;
            }
            let Some(schema) = v.pointer("/schema/openAPIV3Schema") else {
                problems.push(fail(format!(
                    "version `{name}` of `{kind}` has no `schema.openAPIV3Schema`, so its resources cannot be validated"
                )));
                continue;
            };
            out.insert(
                format!("{group}/{name} {kind}"),
                CrdSchema {
                    schema: root_schema(&format!("{group}/{name}"), kind, schema),
                    file: doc.file.clone(),
                    cluster_scoped: crd.pointer("/spec/scope").and_then(Json::as_str)
                        == Some("Cluster"),
                },
            );
        }
    }
    (out, problems)
}

/// The JSON Schema of a whole custom resource: the CRD's schema with the fields every
/// object has.
fn root_schema(api_version: &str, kind: &str, openapi: &Json) -> Json {
    let mut schema = convert(openapi);
    if let Some(obj) = schema.as_object_mut() {
        let props = obj
            .entry("properties")
            .or_insert_with(|| Json::Object(Map::new()));
        if let Some(props) = props.as_object_mut() {
            props.insert("apiVersion".into(), json!({"const": api_version}));
            props.insert("kind".into(), json!({"const": kind}));
            props.insert("metadata".into(), object_meta());
        }
        obj.insert("required".into(), json!(["apiVersion", "kind", "metadata"]));
        obj.insert(
            "$schema".into(),
            json!("https://json-schema.org/draft/2020-12/schema"),
        );
    }
    schema
}

fn object_meta() -> Json {
    json!({
        "type": "object",
        "additionalProperties": false,
        "properties": {
            "name": {"type": "string"},
            "generateName": {"type": "string"},
            "namespace": {"type": "string"},
            "labels": {"type": "object", "additionalProperties": {"type": "string"}},
            "annotations": {"type": "object", "additionalProperties": {"type": "string"}},
            "finalizers": {"type": "array", "items": {"type": "string"}}
        }
    })
}

/// Converts one OpenAPI v3 (structural) schema node to JSON Schema.
pub fn convert(node: &Json) -> Json {
    let Some(obj) = node.as_object() else {
        return node.clone();
    };
    let mut out = Map::new();
    let flag = |k: &str| obj.get(k).and_then(Json::as_bool).unwrap_or(false);
    for (k, v) in obj {
        match k.as_str() {
            "properties" => {
                let props: Map<String, Json> = v
                    .as_object()
                    .map(|m| {
                        m.iter()
                            .map(|(name, s)| (name.clone(), convert(s)))
                            .collect()
                    })
                    .unwrap_or_default();
                out.insert(k.clone(), Json::Object(props));
            }
            "items" | "additionalProperties" | "not" if v.is_object() => {
                out.insert(k.clone(), convert(v));
            }
            "allOf" | "anyOf" | "oneOf" => {
                let list: Vec<Json> = v
                    .as_array()
                    .map(|a| a.iter().map(convert).collect())
                    .unwrap_or_default();
                out.insert(k.clone(), Json::Array(list));
            }
            "nullable" | "description" | "example" | "externalDocs" => {}
            k if k.starts_with("x-kubernetes-") => {}
            _ => {
                out.insert(k.clone(), v.clone());
            }
        }
    }
    if flag("x-kubernetes-int-or-string") {
        out.remove("type");
        out.insert(
            "anyOf".into(),
            json!([{"type": "integer"}, {"type": "string"}]),
        );
    }
    if flag("nullable") {
        if let Some(t) = out.get("type").and_then(Json::as_str).map(str::to_string) {
            out.insert("type".into(), json!([t, "null"]));
        }
    }
    if flag("x-kubernetes-embedded-resource") {
        if let Some(props) = out
            .entry("properties")
            .or_insert_with(|| Json::Object(Map::new()))
            .as_object_mut()
        {
            props
                .entry("apiVersion")
                .or_insert(json!({"type": "string"}));
            props.entry("kind").or_insert(json!({"type": "string"}));
            props.entry("metadata").or_insert(json!({"type": "object"}));
        }
    }
    let has_properties = out.contains_key("properties");
    if has_properties
        && !out.contains_key("additionalProperties")
        && !flag("x-kubernetes-preserve-unknown-fields")
    {
        out.insert("additionalProperties".into(), Json::Bool(false));
    }
    Json::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn structural_extensions_become_json_schema() {
        let s = convert(&json!({
            "type": "object",
            "properties": {
                "port": {"x-kubernetes-int-or-string": true},
                "note": {"type": "string", "nullable": true},
                "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": true, "properties": {"a": {"type": "string"}}},
                "labels": {"type": "object", "additionalProperties": {"type": "string"}}
            }
        }));
        assert_eq!(s["additionalProperties"], false);
        assert_eq!(
            s["properties"]["port"],
            json!({"anyOf": [{"type": "integer"}, {"type": "string"}]})
        );
        assert_eq!(s["properties"]["note"]["type"], json!(["string", "null"]));
        assert!(s["properties"]["free"]
            .get("additionalProperties")
            .is_none());
        assert_eq!(
            s["properties"]["labels"]["additionalProperties"],
            json!({"type": "string"})
        );
    }

    #[test]
    fn a_crd_gives_one_schema_per_served_version() {
        let crd = json!({
            "apiVersion": "apiextensions.k8s.io/v1",
            "kind": "CustomResourceDefinition",
            "spec": {
                "group": "example.com",
                "names": {"kind": "Widget"},
                "versions": [
                    {"name": "v1", "served": true, "schema": {"openAPIV3Schema": {"type": "object", "properties": {"spec": {"type": "object", "properties": {"size": {"type": "integer"}}}}}}},
                    {"name": "v0", "served": false}
                ]
            }
        });
        let doc = Document {
            file: "crds/widget.yaml".into(),
            root: crate::yaml::Node::new(crate::yaml::Value::Null, Default::default()),
            text: String::new(),
        };
        let (schemas, problems) = schemas(&doc, &[(0, crd)]);
        assert!(problems.is_empty());
        let s = &schemas["example.com/v1 Widget"].schema;
        assert_eq!(s["properties"]["kind"], json!({"const": "Widget"}));
        assert_eq!(s["properties"]["spec"]["additionalProperties"], false);
        assert_eq!(schemas.len(), 1);
    }
}

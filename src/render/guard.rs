//! Keeps data out of Argo CD's automatic deletion: every Namespace and
//! PersistentVolumeClaim a build emits, whatever template wrote it, gets the annotation
//! `argocd.argoproj.io/sync-options: Prune=false,Delete=false`. Argo CD then neither
//! prunes the object when it leaves the repository nor deletes it with its Application;
//! removing one takes an operator (see docs/gitops.md).
//!
//! The options an object already has are kept in the same annotation, and a `Prune` or
//! `Delete` option its template sets itself (`Delete=confirm`, say) wins.

use serde_json::{Map, Value as Json};

use super::object::Object;

pub const SYNC_OPTIONS: &str = "argocd.argoproj.io/sync-options";

/// The options the guard adds, each unless the object sets that option itself.
const GUARD: [(&str, &str); 2] = [("Prune", "false"), ("Delete", "false")];

/// Whether objects of this group and kind hold data that deleting them loses.
pub fn is_guarded_kind(group: &str, kind: &str) -> bool {
    group.is_empty() && matches!(kind, "Namespace" | "PersistentVolumeClaim")
}

/// The options of a `sync-options` value, as (name, value) pairs in their order:
/// comma-separated `Name=value`, white space trimmed, empty entries dropped.
pub fn parse(value: &str) -> Vec<(String, String)> {
    value
        .split(',')
        .map(str::trim)
        .filter(|o| !o.is_empty())
        .map(|o| match o.split_once('=') {
            Some((k, v)) => (k.trim().to_string(), v.trim().to_string()),
            None => (o.to_string(), String::new()),
        })
        .collect()
}

/// The value of option `name` on an object, when its `sync-options` set it.
pub fn option(object: &Json, name: &str) -> Option<String> {
    let value = object
        .pointer("/metadata/annotations")
        .and_then(|a| a.get(SYNC_OPTIONS))
        .and_then(Json::as_str)?;
    parse(value)
        .into_iter()
        .rev()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

/// `value` with the guard's options added where it does not set them.
fn merged(value: &str) -> String {
    let mut options = parse(value);
    for (name, default) in GUARD {
        if !options.iter().any(|(k, _)| k == name) {
            options.push((name.to_string(), default.to_string()));
        }
    }
    options
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// Adds the guard to every Namespace and PersistentVolumeClaim.
pub fn protect(objects: &mut [Object]) {
    for o in objects.iter_mut() {
        if !is_guarded_kind(o.group(), o.kind()) {
            continue;
        }
        let Some(metadata) = o.value.get_mut("metadata").and_then(Json::as_object_mut) else {
            continue;
        };
        let annotations = metadata
            .entry("annotations")
            .or_insert_with(|| Json::Object(Map::new()));
        if annotations.is_null() {
            *annotations = Json::Object(Map::new());
        }
        let Some(annotations) = annotations.as_object_mut() else {
            continue;
        };
        let value = match annotations.get(SYNC_OPTIONS) {
            None | Some(Json::Null) => merged(""),
            Some(Json::String(s)) => merged(s),
            // Not a string: the checks refuse it as it is.
            Some(_) => continue,
        };
        annotations.insert(SYNC_OPTIONS.into(), Json::String(value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::object::{from_document, Provenance};
    use serde_json::json;

    fn protected(value: Json) -> Json {
        let p = Provenance {
            tenant: Some("t".into()),
            ..Provenance::default()
        };
        let mut v = vec![from_document(value, &p, 0, &crate::kube::Scopes::new([])).unwrap()];
        protect(&mut v);
        v.remove(0).value
    }

    fn sync_options(v: &Json) -> Option<&str> {
        v.pointer("/metadata/annotations/argocd.argoproj.io~1sync-options")
            .and_then(Json::as_str)
    }

    #[test]
    fn namespaces_and_claims_get_the_guard() {
        let ns =
            protected(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "t"}}));
        assert_eq!(sync_options(&ns), Some("Prune=false,Delete=false"));
        let pvc = protected(json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
            "metadata": {"name": "c", "namespace": "t", "annotations": {"a": "b"}}}));
        assert_eq!(sync_options(&pvc), Some("Prune=false,Delete=false"));
        assert_eq!(pvc["metadata"]["annotations"]["a"], "b");
    }

    #[test]
    fn other_kinds_are_left_alone() {
        let cm = protected(
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "t"}}),
        );
        assert_eq!(cm["metadata"].get("annotations"), None);
        // A custom resource called Namespace is not the core one.
        let other = protected(
            json!({"apiVersion": "example.com/v1", "kind": "Namespace", "metadata": {"name": "x"}}),
        );
        assert_eq!(other["metadata"].get("annotations"), None);
    }

    #[test]
    fn existing_options_are_merged_into_one_value() {
        let pvc = protected(json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
            "metadata": {"name": "c", "namespace": "t", "annotations": {SYNC_OPTIONS: " ServerSideApply=true ,, "}}}));
        assert_eq!(
            sync_options(&pvc),
            Some("ServerSideApply=true,Prune=false,Delete=false")
        );
        let ns = protected(json!({"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": "t", "annotations": {SYNC_OPTIONS: "Delete=confirm"}}}));
        assert_eq!(sync_options(&ns), Some("Delete=confirm,Prune=false"));
    }

    #[test]
    fn options_are_read_back() {
        let v =
            json!({"metadata": {"annotations": {SYNC_OPTIONS: "Prune=false, Delete = confirm"}}});
        assert_eq!(option(&v, "Prune").as_deref(), Some("false"));
        assert_eq!(option(&v, "Delete").as_deref(), Some("confirm"));
        assert_eq!(option(&v, "Replace"), None);
        assert_eq!(option(&json!({}), "Prune"), None);
    }
}

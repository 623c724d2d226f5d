//! Rolls pods when their configuration changes: every pod template gets a
//! `checksum/config` annotation over the ConfigMaps it uses (volumes, `envFrom`, env
//! `configMapKeyRef`), computed from the rendered ConfigMaps themselves, so any change
//! to them, whoever made it, changes the pod template.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value as Json;
use sha2::{Digest, Sha256};

use super::object::Object;

pub const ANNOTATION: &str = "checksum/config";

/// The pointer of the pod template in each workload kind.
fn pod_template_pointer(kind: &str) -> Option<&'static str> {
    match kind {
        "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "Job" => Some("/spec/template"),
        "CronJob" => Some("/spec/jobTemplate/spec/template"),
        _ => None,
    }
}

/// The names of the ConfigMaps a pod spec uses.
fn config_maps(pod_spec: &Json) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut add = |v: Option<&Json>| {
        if let Some(n) = v.and_then(Json::as_str) {
            names.insert(n.to_string());
        }
    };
    for vol in pod_spec["volumes"].as_array().into_iter().flatten() {
        add(vol.pointer("/configMap/name"));
        for src in vol
            .pointer("/projected/sources")
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
        {
            add(src.pointer("/configMap/name"));
        }
    }
    for list in ["containers", "initContainers"] {
        for c in pod_spec[list].as_array().into_iter().flatten() {
            for from in c["envFrom"].as_array().into_iter().flatten() {
                add(from.pointer("/configMapRef/name"));
            }
            for e in c["env"].as_array().into_iter().flatten() {
                add(e.pointer("/valueFrom/configMapKeyRef/name"));
            }
        }
    }
    names
}

/// Adds the checksum annotation to every pod template that uses ConfigMaps kiln renders.
pub fn annotate(objects: &mut [Object]) {
    let mut maps: BTreeMap<(String, String), String> = BTreeMap::new();
    for o in objects.iter().filter(|o| o.kind() == "ConfigMap") {
        let content = serde_json::json!({"data": o.value.get("data"), "binaryData": o.value.get("binaryData")});
        maps.insert(
            (
                o.namespace().unwrap_or("").to_string(),
                o.name().to_string(),
            ),
            content.to_string(),
        );
    }
    for o in objects.iter_mut() {
        let Some(pointer) = pod_template_pointer(o.kind()) else {
            continue;
        };
        let ns = o.namespace().unwrap_or("").to_string();
        let Some(template) = o.value.pointer_mut(pointer) else {
            continue;
        };
        let used = config_maps(&template["spec"]);
        let mut hasher = Sha256::new();
        let mut any = false;
        for name in &used {
            if let Some(content) = maps.get(&(ns.clone(), name.clone())) {
                hasher.update(name.as_bytes());
                hasher.update([0]);
                hasher.update(content.as_bytes());
                hasher.update([0]);
                any = true;
            }
        }
        if !any {
            continue;
        }
        let digest = crate::unit::hex(&hasher.finalize());
        let Some(template) = template.as_object_mut() else {
            continue;
        };
        let metadata = template
            .entry("metadata")
            .or_insert_with(|| Json::Object(Default::default()));
        if let Some(metadata) = metadata.as_object_mut() {
            let annotations = metadata
                .entry("annotations")
                .or_insert_with(|| Json::Object(Default::default()));
            if let Some(a) = annotations.as_object_mut() {
                a.insert(ANNOTATION.into(), Json::String(digest));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::object::{from_document, Provenance};
    use serde_json::json;

    fn objects(config: &str) -> Vec<Object> {
        let p = Provenance {
            tenant: Some("t".into()),
            ..Provenance::default()
        };
        let cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a-config", "namespace": "t"}, "data": {"k": config}});
        let deploy = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "a", "namespace": "t"},
            "spec": {"template": {"spec": {"volumes": [{"name": "c", "configMap": {"name": "a-config"}}], "containers": []}}}});
        let other = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "b", "namespace": "t"},
            "spec": {"template": {"spec": {"containers": []}}}});
        let mut v = vec![
            from_document(cm, &p, 0, &crate::kube::Scopes::new([])).unwrap(),
            from_document(deploy, &p, 0, &crate::kube::Scopes::new([])).unwrap(),
            from_document(other, &p, 0, &crate::kube::Scopes::new([])).unwrap(),
        ];
        annotate(&mut v);
        v
    }

    fn checksum(o: &Object) -> Option<&str> {
        o.value
            .pointer("/spec/template/metadata/annotations/checksum~1config")
            .and_then(Json::as_str)
    }

    #[test]
    fn a_config_change_changes_the_checksum() {
        let one = objects("1");
        let two = objects("2");
        assert!(checksum(&one[1]).is_some());
        assert_ne!(checksum(&one[1]), checksum(&two[1]));
        assert_eq!(checksum(&one[1]), checksum(&objects("1")[1]));
    }

    #[test]
    fn pods_without_config_maps_get_no_annotation() {
        assert_eq!(checksum(&objects("1")[2]), None);
    }
}

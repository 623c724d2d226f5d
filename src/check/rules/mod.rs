//! Rules only the API server (or the cluster at run time) enforces, checked before
//! anything is written: name and label syntax, ports, quantities, selectors that select,
//! ports and volumes that exist, autoscaler bounds, access modes.

use crate::diagnostic::Code;
use crate::names::{is_env_name, is_port_name, key_problem, label_value_problem, name_rule};
use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value as Json;

use super::quantity;
use crate::render::Object;

mod metadata;
mod pod;
mod references;
mod selector;
mod service;
mod storage;

use metadata::metadata;
use pod::{pod, port_in_range, quantity_at};
pub(super) use references::between;
pub(super) use selector::selects;
use selector::{map_selects, selector_matches};
use service::service;
use storage::pvc;

/// A problem found in an object: the pointer inside it and the message.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Finding {
    /// The kind of problem: the family of the rule that found it.
    pub code: Code,
    pub pointer: String,
    pub message: String,
    pub hint: Option<String>,
    /// The credentials found at `pointer`, as written: hidden wherever they would be
    /// printed, and the line quoted is cut at its value.
    pub hides: Vec<String>,
}

/// The annotation Argo CD sets on what it deploys; never written by kiln.
const ARGOCD_TRACKING_ID: &str = "argocd.argoproj.io/tracking-id";

fn finding(code: Code, pointer: impl Into<String>, message: impl Into<String>) -> Finding {
    Finding {
        code,
        pointer: pointer.into(),
        message: message.into(),
        hint: None,
        hides: Vec::new(),
    }
}

impl Finding {
    fn hint(mut self, hint: impl Into<String>) -> Finding {
        self.hint = Some(hint.into());
        self
    }
}

fn esc(key: &str) -> String {
    crate::yaml::node::escape_token(key).into_owned()
}

/// The pod templates of an object: the pointer of each and the template.
pub(super) fn pod_templates(o: &Object) -> Vec<(String, &Json)> {
    let pointer = match o.kind() {
        "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "Job" => "/spec/template",
        "CronJob" => "/spec/jobTemplate/spec/template",
        _ => return Vec::new(),
    };
    o.value
        .pointer(pointer)
        .map(|t| vec![(pointer.to_string(), t)])
        .unwrap_or_default()
}

/// Every container of a pod spec, with its pointer.
pub(super) fn containers<'a>(spec: &'a Json, base: &str) -> Vec<(String, &'a Json)> {
    let mut out = Vec::new();
    for list in ["initContainers", "containers"] {
        for (i, c) in spec[list].as_array().into_iter().flatten().enumerate() {
            out.push((format!("{base}/spec/{list}/{i}"), c));
        }
    }
    out
}

/// Checks one object on its own.
pub(super) fn object(o: &Object) -> Vec<Finding> {
    let mut out = Vec::new();
    let name = o.name();
    let (max, label) = name_rule(o.kind());
    if name.len() > max {
        out.push(finding(
            Code::ObjectMetadata,
            "/metadata/name",
            format!(
                "the name `{name}` is {} characters long; a {} name may have at most {max}",
                name.len(),
                o.kind()
            ),
        ));
    } else if label && !crate::names::is_dns1123_label(name) {
        out.push(finding(
            Code::ObjectMetadata,
            "/metadata/name",
            format!(
                "the name `{name}` is not a DNS-1123 label, which a {} name must be",
                o.kind()
            ),
        ));
    }
    if o.kind() == "Service" && !name.starts_with(|c: char| c.is_ascii_lowercase()) {
        out.push(finding(
            Code::ObjectMetadata,
            "/metadata/name",
            format!("a Service name must start with a letter, and `{name}` does not"),
        ));
    }
    metadata(o.field("metadata"), "/metadata", &mut out);
    if o.value
        .pointer("/metadata/annotations")
        .and_then(|a| a.get(ARGOCD_TRACKING_ID))
        .is_some()
    {
        out.push(Finding {
            hint: Some("Argo CD writes this annotation itself to track what it deployed; a copy in git makes Argo CD think another application owns the object".into()),
            ..finding(Code::ObjectMetadata,
                format!("/metadata/annotations/{}", esc(ARGOCD_TRACKING_ID)),
                format!("objects must not carry the `{ARGOCD_TRACKING_ID}` annotation"),
            )
        });
    }
    for (base, template) in pod_templates(o) {
        metadata(&template["metadata"], &format!("{base}/metadata"), &mut out);
        pod(&template["spec"], &base, &mut out);
        selector_matches(o, &base, template, &mut out);
    }
    match o.kind() {
        "Service" => service(&o.value, &mut out),
        "HorizontalPodAutoscaler" => {
            let min = o
                .value
                .pointer("/spec/minReplicas")
                .and_then(Json::as_i64)
                .unwrap_or(1);
            let max = o
                .value
                .pointer("/spec/maxReplicas")
                .and_then(Json::as_i64)
                .unwrap_or(0);
            if min < 1 {
                out.push(finding(
                    Code::ObjectMetadata,
                    "/spec/minReplicas",
                    "`minReplicas` must be at least 1",
                ));
            }
            if min > max {
                out.push(finding(
                    Code::ObjectMetadata,
                    "/spec/maxReplicas",
                    format!("`maxReplicas` ({max}) is below `minReplicas` ({min})"),
                ));
            }
        }
        "PersistentVolumeClaim" => {
            pvc(o.field("spec"), "/spec", &mut out);
        }
        "StatefulSet" => {
            for (i, claim) in o
                .value
                .pointer("/spec/volumeClaimTemplates")
                .and_then(Json::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                pvc(
                    &claim["spec"],
                    &format!("/spec/volumeClaimTemplates/{i}/spec"),
                    &mut out,
                );
            }
        }
        "ResourceQuota" => {
            for (k, v) in o
                .value
                .pointer("/spec/hard")
                .and_then(Json::as_object)
                .into_iter()
                .flatten()
            {
                quantity_at(v, &format!("/spec/hard/{}", esc(k)), &mut out);
            }
        }
        "LimitRange" => {
            for (i, l) in o
                .value
                .pointer("/spec/limits")
                .and_then(Json::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                for field in [
                    "default",
                    "defaultRequest",
                    "max",
                    "min",
                    "maxLimitRequestRatio",
                ] {
                    for (k, v) in l[field].as_object().into_iter().flatten() {
                        quantity_at(v, &format!("/spec/limits/{i}/{field}/{}", esc(k)), &mut out);
                    }
                }
            }
        }
        _ => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::object::of_acme as object;
    use serde_json::json;

    fn messages(v: Json) -> Vec<String> {
        super::object(&object(v))
            .into_iter()
            .map(|f| f.message)
            .collect()
    }

    fn object_ref(v: &Json) -> Object {
        object(v.clone())
    }

    fn deployment(container: Json, volumes: Json) -> Json {
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d", "namespace": "acme"},
            "spec": {"selector": {"matchLabels": {"app": "d"}}, "template": {"metadata": {"labels": {"app": "d"}},
            "spec": {"containers": [container], "volumes": volumes}}}})
    }

    #[test]
    fn argocd_tracking_id_is_refused() {
        let m = messages(json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "c", "namespace": "acme",
                "annotations": {"argocd.argoproj.io/tracking-id": "acme-workloads:/ConfigMap:acme/c"}}}));
        assert_eq!(
            m,
            ["objects must not carry the `argocd.argoproj.io/tracking-id` annotation"]
        );
    }

    #[test]
    fn names_must_fit_their_kind() {
        let long = "a".repeat(64);
        let m = messages(
            json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": long, "namespace": "acme"}}),
        );
        assert_eq!(
            m[0],
            format!("the name `{long}` is 64 characters long; a Service name may have at most 63")
        );
        let m = messages(
            json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "1svc", "namespace": "acme"}}),
        );
        assert_eq!(
            m,
            vec!["a Service name must start with a letter, and `1svc` does not"]
        );
        let m = messages(
            json!({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "a".repeat(53), "namespace": "acme"}}),
        );
        assert!(m[0].contains("a CronJob name may have at most 52"));
    }

    #[test]
    fn label_and_annotation_syntax() {
        let m = messages(
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "acme",
            "labels": {"bad key!": "x", "ok": "not ok!", "Example.COM/x": "y"}, "annotations": {"-a": "b"}}}),
        );
        assert_eq!(
            m,
            vec![
                "the label key `Example.COM/x` is invalid: its prefix `Example.COM` is not a DNS subdomain",
                "the label key `bad key!` is invalid: `bad key!` must be 1 to 63 letters, digits, `-`, `_` or `.`, starting and ending with a letter or digit",
                "the value of label `ok` is invalid: a label value is at most 63 letters, digits, `-`, `_` or `.`, starting and ending with a letter or digit",
                "the annotation key `-a` is invalid: `-a` must be 1 to 63 letters, digits, `-`, `_` or `.`, starting and ending with a letter or digit",
            ]
        );
    }

    #[test]
    fn ports_probes_mounts_env_and_resources() {
        let c = json!({"name": "c", "image": "i:1",
            "ports": [{"name": "http", "containerPort": 70000}, {"name": "http", "containerPort": 80}, {"name": "Bad_Name", "containerPort": 81}],
            "readinessProbe": {"httpGet": {"port": "web", "path": "/"}},
            "volumeMounts": [{"name": "cache", "mountPath": "/c"}, {"name": "cache", "mountPath": "/../../etc", "subPath": "../x"}],
            "env": [{"name": "1BAD", "value": "x"}, {"name": "BOTH", "value": "x", "valueFrom": {}}],
            "resources": {"requests": {"cpu": "2", "memory": "2 GB"}, "limits": {"cpu": "1"}}});
        let m = messages(deployment(c, json!([])));
        assert_eq!(
            m,
            vec![
                "container `c` has port 70000, outside 1 to 65535",
                "container `c` has two ports named `http`",
                "the port name `Bad_Name` is invalid: at most 15 lower-case letters, digits and `-`, with a letter",
                "the readinessProbe of container `c` uses port \"web\", which the container does not have",
                "container `c` mounts volume `cache`, which the pod does not have",
                "container `c` mounts volume `cache` at a bad path: it has an empty, `.` or `..` segment",
                "container `c` mounts a `subPath` of volume `cache` that leaves the volume",
                "container `c` mounts volume `cache`, which the pod does not have",
                "`1BAD` is not a valid environment variable name",
                "environment variable `BOTH` has both `value` and `valueFrom`",
                "`2 GB` is not a valid quantity",
                "container `c` requests more cpu than its limit",
            ]
        );
    }

    #[test]
    fn a_workload_selector_must_match_its_template() {
        let mut d = deployment(json!({"name": "c", "image": "i:1"}), json!([]));
        d["spec"]["selector"]["matchLabels"]["app"] = json!("other");
        assert_eq!(
            messages(d),
            vec!["the selector of Deployment `d` does not match its own pod template's labels"]
        );
    }

    #[test]
    fn autoscaler_bounds_and_claims() {
        let m = messages(
            json!({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "h", "namespace": "acme"},
            "spec": {"minReplicas": 5, "maxReplicas": 2, "scaleTargetRef": {"kind": "Deployment", "name": "d"}}}),
        );
        assert_eq!(m, vec!["`maxReplicas` (2) is below `minReplicas` (5)"]);
        let m = messages(
            json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "p", "namespace": "acme"},
            "spec": {"accessModes": ["ReadWriteAll"], "resources": {"requests": {"storage": "1 Gi"}}}}),
        );
        assert_eq!(
            m,
            vec![
                "\"ReadWriteAll\" is not an access mode",
                "`1 Gi` is not a valid quantity"
            ]
        );
    }

    #[test]
    fn services_must_select_pods_with_the_target_ports() {
        let d = object_ref(&deployment(
            json!({"name": "c", "image": "i:1", "ports": [{"name": "http", "containerPort": 8080}]}),
            json!([]),
        ));
        let good = object(
            json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s", "namespace": "acme"},
            "spec": {"selector": {"app": "d"}, "ports": [{"name": "http", "port": 80, "targetPort": "http"}]}}),
        );
        let nothing = object(
            json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "t", "namespace": "acme"},
            "spec": {"selector": {"app": "x"}, "ports": [{"port": 80}]}}),
        );
        let wrong_port = object(
            json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "u", "namespace": "acme"},
            "spec": {"selector": {"app": "d"}, "ports": [{"name": "web", "port": 80, "targetPort": 9090}]}}),
        );
        let found: Vec<String> = between(&[d, good, nothing, wrong_port])
            .into_iter()
            .map(|(_, f)| f.message)
            .collect();
        assert_eq!(
            found,
            vec![
                "Service `t` selects no pod in namespace `acme`",
                "Service `u` sends port 80 to 9090, which the pods it selects do not have",
            ]
        );
    }

    #[test]
    fn references_between_objects() {
        let hpa = object(
            json!({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "h", "namespace": "acme"},
            "spec": {"minReplicas": 1, "maxReplicas": 2, "scaleTargetRef": {"kind": "Deployment", "name": "gone"}}}),
        );
        let rb = object(
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": "r", "namespace": "acme"},
            "roleRef": {"kind": "Role", "name": "missing", "apiGroup": "rbac.authorization.k8s.io"}, "subjects": []}),
        );
        let found: Vec<String> = between(&[hpa, rb])
            .into_iter()
            .map(|(_, f)| f.message)
            .collect();
        assert_eq!(found.len(), 2);
        assert!(found[0].contains("scales Deployment `gone`"));
        assert!(found[1].contains("grants Role `missing`"));
    }

    #[test]
    fn label_selectors() {
        let labels = json!({"a": "1", "b": "2"});
        assert!(selects(&json!({"matchLabels": {"a": "1"}}), Some(&labels)));
        assert!(!selects(&json!({"matchLabels": {"a": "2"}}), Some(&labels)));
        assert!(selects(
            &json!({"matchExpressions": [{"key": "b", "operator": "In", "values": ["2", "3"]}]}),
            Some(&labels)
        ));
        assert!(selects(
            &json!({"matchExpressions": [{"key": "c", "operator": "DoesNotExist"}]}),
            Some(&labels)
        ));
        assert!(!selects(
            &json!({"matchExpressions": [{"key": "c", "operator": "Exists"}]}),
            Some(&labels)
        ));
    }
}

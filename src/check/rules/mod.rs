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
    object_name(o, &mut out);
    metadata(o.field("metadata"), "/metadata", &mut out);
    tracking_id(o, &mut out);
    for (base, template) in pod_templates(o) {
        metadata(&template["metadata"], &format!("{base}/metadata"), &mut out);
        pod(&template["spec"], &base, &mut out);
        selector_matches(o, &base, template, &mut out);
    }
    match o.kind() {
        "Service" => service(&o.value, &mut out),
        "HorizontalPodAutoscaler" => autoscaler(o, &mut out),
        "PersistentVolumeClaim" => {
            pvc(o.field("spec"), "/spec", &mut out);
        }
        "StatefulSet" => claim_templates(o, &mut out),
        "ResourceQuota" => resource_quota(o, &mut out),
        "LimitRange" => limit_range(o, &mut out),
        _ => {}
    }
    out
}

/// Refuses a name longer than its kind allows or not a DNS-1123 label where the kind
/// needs one, and a Service name that does not start with a letter.
fn object_name(o: &Object, out: &mut Vec<Finding>) {
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
}

/// Refuses the annotation Argo CD writes itself ([`ARGOCD_TRACKING_ID`]).
fn tracking_id(o: &Object, out: &mut Vec<Finding>) {
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
}

/// Refuses autoscaler bounds below 1 or upside down.
fn autoscaler(o: &Object, out: &mut Vec<Finding>) {
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

/// Checks the claim of each of a StatefulSet's `volumeClaimTemplates`.
fn claim_templates(o: &Object, out: &mut Vec<Finding>) {
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
            out,
        );
    }
}

/// Checks the quantities of a ResourceQuota's `hard` limits.
fn resource_quota(o: &Object, out: &mut Vec<Finding>) {
    for (k, v) in o
        .value
        .pointer("/spec/hard")
        .and_then(Json::as_object)
        .into_iter()
        .flatten()
    {
        quantity_at(v, &format!("/spec/hard/{}", esc(k)), out);
    }
}

/// Checks the quantities of each of a LimitRange's limits.
fn limit_range(o: &Object, out: &mut Vec<Finding>) {
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
                quantity_at(v, &format!("/spec/limits/{i}/{field}/{}", esc(k)), out);
            }
        }
    }
}

#[cfg(test)]
mod tests;

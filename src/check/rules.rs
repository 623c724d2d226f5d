//! Rules only the API server (or the cluster at run time) enforces, checked before
//! anything is written: name and label syntax, ports, quantities, selectors that select,
//! ports and volumes that exist, autoscaler bounds, access modes.

use crate::diagnostic::Code;
use crate::names::{is_env_name, is_port_name, key_problem, label_value_problem, name_rule};
use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value as Json;

use super::quantity;
use crate::render::Object;

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

// --- syntax -----------------------------------------------------------------------

/// What is wrong with a container's mount path, if anything.
fn mount_path_problem(path: &str) -> Option<&'static str> {
    if !path.starts_with('/') {
        Some("it is not absolute")
    } else if path.chars().any(char::is_control) {
        Some("it holds a control character")
    } else if path.contains(':') {
        Some("it holds `:`")
    } else if path
        .split('/')
        .skip(1)
        .any(|seg| seg == ".." || seg == "." || seg.is_empty() && path != "/")
    {
        Some("it has an empty, `.` or `..` segment")
    } else {
        None
    }
}

fn port_in_range(v: &Json) -> bool {
    v.as_i64().is_some_and(|p| (1..=65535).contains(&p))
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

fn metadata(meta: &Json, base: &str, out: &mut Vec<Finding>) {
    for (k, v) in meta["labels"].as_object().into_iter().flatten() {
        let at = format!("{base}/labels/{}", esc(k));
        if let Some(p) = key_problem(k) {
            out.push(finding(
                Code::ObjectMetadata,
                at.clone(),
                format!("the label key `{k}` is invalid: {p}"),
            ));
        }
        if let Some(p) = v.as_str().and_then(label_value_problem) {
            out.push(finding(
                Code::ObjectMetadata,
                at,
                format!("the value of label `{k}` is invalid: {p}"),
            ));
        }
    }
    let mut size = 0;
    for (k, v) in meta["annotations"].as_object().into_iter().flatten() {
        if let Some(p) = key_problem(k) {
            out.push(finding(
                Code::ObjectMetadata,
                format!("{base}/annotations/{}", esc(k)),
                format!("the annotation key `{k}` is invalid: {p}"),
            ));
        }
        size += k.len() + v.as_str().map(str::len).unwrap_or(0);
    }
    if size > 256 * 1024 {
        out.push(finding(
            Code::ObjectMetadata,
            format!("{base}/annotations"),
            "the annotations add up to more than 256 KiB",
        ));
    }
}

fn quantity_at(v: &Json, at: &str, out: &mut Vec<Finding>) {
    if quantity::parse_json(v).is_none() {
        let shown = v
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| v.to_string());
        out.push(
            finding(
                Code::PodSpec,
                at,
                format!("`{shown}` is not a valid quantity"),
            )
            .hint("write a number with an optional suffix, such as `500m`, `2`, `512Mi` or `10Gi`"),
        );
    }
}

/// The pod template's labels must satisfy the workload's selector.
fn selector_matches(o: &Object, base: &str, template: &Json, out: &mut Vec<Finding>) {
    let Some(selector) = o.value.pointer("/spec/selector") else {
        return;
    };
    let labels = template.pointer("/metadata/labels");
    if !selects(selector, labels) {
        out.push(
            finding(
                Code::Selector,
                "/spec/selector",
                format!(
                    "the selector of {} `{}` does not match its own pod template's labels",
                    o.kind(),
                    o.name()
                ),
            )
            .hint(format!(
                "give the pod template (`{base}/metadata/labels`) every label of the selector"
            )),
        );
    }
}

/// Whether a label selector (`matchLabels`, `matchExpressions`) selects `labels`.
pub(super) fn selects(selector: &Json, labels: Option<&Json>) -> bool {
    let get = |k: &str| labels.and_then(|l| l.get(k)).and_then(Json::as_str);
    let match_labels = selector["matchLabels"]
        .as_object()
        .into_iter()
        .flatten()
        .all(|(k, v)| get(k) == v.as_str());
    let expressions = selector["matchExpressions"]
        .as_array()
        .into_iter()
        .flatten()
        .all(|e| {
            let key = e["key"].as_str().unwrap_or("");
            let values: Vec<&str> = e["values"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Json::as_str)
                .collect();
            match e["operator"].as_str() {
                Some("In") => get(key).is_some_and(|v| values.contains(&v)),
                Some("NotIn") => get(key).is_none_or(|v| !values.contains(&v)),
                Some("Exists") => get(key).is_some(),
                Some("DoesNotExist") => get(key).is_none(),
                _ => false,
            }
        });
    match_labels && expressions
}

/// Whether a Service selector (a plain label map) selects `labels`.
fn map_selects(selector: &serde_json::Map<String, Json>, labels: Option<&Json>) -> bool {
    selector
        .iter()
        .all(|(k, v)| labels.and_then(|l| l.get(k)).and_then(Json::as_str) == v.as_str())
}

fn pod(spec: &Json, base: &str, out: &mut Vec<Finding>) {
    let volumes: BTreeSet<&str> = spec["volumes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v["name"].as_str())
        .collect();
    let mut claim_templates = BTreeSet::new();
    claim_templates.insert("data");
    for (at, c) in containers(spec, base) {
        let cname = c["name"].as_str().unwrap_or("");
        let mut names = BTreeSet::new();
        let mut numbers = BTreeSet::new();
        for (i, p) in c["ports"].as_array().into_iter().flatten().enumerate() {
            let pat = format!("{at}/ports/{i}");
            if !port_in_range(&p["containerPort"]) {
                out.push(finding(
                    Code::PodSpec,
                    format!("{pat}/containerPort"),
                    format!(
                        "container `{cname}` has port {}, outside 1 to 65535",
                        p["containerPort"]
                    ),
                ));
            }
            if let Some(n) = p["name"].as_str() {
                if !is_port_name(n) {
                    out.push(finding(Code::PodSpec, format!("{pat}/name"), format!("the port name `{n}` is invalid: at most 15 lower-case letters, digits and `-`, with a letter")));
                }
                if !names.insert(n) {
                    out.push(finding(
                        Code::PodSpec,
                        format!("{pat}/name"),
                        format!("container `{cname}` has two ports named `{n}`"),
                    ));
                }
            }
            let protocol = p["protocol"].as_str().unwrap_or("TCP");
            if !numbers.insert((p["containerPort"].as_i64(), protocol)) {
                out.push(finding(
                    Code::PodSpec,
                    format!("{pat}/containerPort"),
                    format!("container `{cname}` has port {} twice", p["containerPort"]),
                ));
            }
        }
        for probe in ["readinessProbe", "livenessProbe", "startupProbe"] {
            for handler in ["httpGet", "tcpSocket"] {
                let port = c
                    .pointer(&format!("/{probe}/{handler}/port"))
                    .unwrap_or(&Json::Null);
                let ok = match port {
                    Json::String(n) => names.contains(n.as_str()),
                    Json::Number(_) => port_in_range(port),
                    _ => true,
                };
                if !ok {
                    out.push(
                        finding(Code::PodSpec, format!("{at}/{probe}/{handler}/port"), format!("the {probe} of container `{cname}` uses port {port}, which the container does not have"))
                            .hint(format!("the container's ports are {}", crate::suggest::code_list(names.iter()))),
                    );
                }
            }
        }
        for (i, m) in c["volumeMounts"]
            .as_array()
            .into_iter()
            .flatten()
            .enumerate()
        {
            let v = m["name"].as_str().unwrap_or("");
            if let Some(problem) = m["mountPath"].as_str().and_then(mount_path_problem) {
                out.push(
                    finding(Code::PodSpec,
                        format!("{at}/volumeMounts/{i}/mountPath"),
                        format!("container `{cname}` mounts volume `{v}` at a bad path: {problem}"),
                    )
                    .hint("a mount path is absolute, without `.` or `..` segments, `:` or control characters"),
                );
            }
            if let Some(sub) = m["subPath"].as_str().filter(|p| !p.is_empty()) {
                if sub.starts_with('/')
                    || sub.split('/').any(|seg| seg == "..")
                    || sub.chars().any(char::is_control)
                {
                    out.push(finding(Code::PodSpec,
                        format!("{at}/volumeMounts/{i}/subPath"),
                        format!("container `{cname}` mounts a `subPath` of volume `{v}` that leaves the volume"),
                    ));
                }
            }
            if !volumes.contains(v) && !claim_templates.contains(v) {
                out.push(
                    finding(
                        Code::PodSpec,
                        format!("{at}/volumeMounts/{i}/name"),
                        format!(
                            "container `{cname}` mounts volume `{v}`, which the pod does not have"
                        ),
                    )
                    .hint(format!(
                        "the pod's volumes are {}",
                        crate::suggest::code_list(volumes.iter())
                    )),
                );
            }
        }
        for (i, e) in c["env"].as_array().into_iter().flatten().enumerate() {
            let n = e["name"].as_str().unwrap_or("");
            if !is_env_name(n) {
                out.push(finding(
                    Code::PodSpec,
                    format!("{at}/env/{i}/name"),
                    format!("`{n}` is not a valid environment variable name"),
                ));
            }
            if e.get("value").is_some() && e.get("valueFrom").is_some() {
                out.push(finding(
                    Code::PodSpec,
                    format!("{at}/env/{i}"),
                    format!("environment variable `{n}` has both `value` and `valueFrom`"),
                ));
            }
        }
        resources(&c["resources"], &format!("{at}/resources"), cname, out);
    }
}

fn resources(r: &Json, at: &str, cname: &str, out: &mut Vec<Finding>) {
    let mut parsed: BTreeMap<(&str, &str), f64> = BTreeMap::new();
    for part in ["requests", "limits"] {
        for (k, v) in r[part].as_object().into_iter().flatten() {
            let pointer = format!("{at}/{part}/{}", esc(k));
            match quantity::parse_json(v) {
                Some(q) => {
                    parsed.insert((part, k.as_str()), q);
                }
                None => quantity_at(v, &pointer, out),
            }
        }
    }
    for ((part, resource), request) in &parsed {
        if *part != "requests" {
            continue;
        }
        if let Some(limit) = parsed.get(&("limits", resource)) {
            if request > limit {
                out.push(finding(
                    Code::PodSpec,
                    format!("{at}/requests/{}", esc(resource)),
                    format!("container `{cname}` requests more {resource} than its limit"),
                ));
            }
        }
    }
}

fn pvc(spec: &Json, at: &str, out: &mut Vec<Finding>) {
    let modes = spec["accessModes"].as_array().cloned().unwrap_or_default();
    if modes.is_empty() {
        out.push(finding(
            Code::Storage,
            format!("{at}/accessModes"),
            "a volume claim needs at least one access mode",
        ));
    }
    for (i, m) in modes.iter().enumerate() {
        let valid = [
            "ReadWriteOnce",
            "ReadOnlyMany",
            "ReadWriteMany",
            "ReadWriteOncePod",
        ];
        if !m.as_str().is_some_and(|m| valid.contains(&m)) {
            out.push(
                finding(
                    Code::Storage,
                    format!("{at}/accessModes/{i}"),
                    format!("{m} is not an access mode"),
                )
                .hint(format!("use one of {}", crate::suggest::code_list(valid))),
            );
        }
    }
    match spec.pointer("/resources/requests/storage") {
        Some(v) => quantity_at(v, &format!("{at}/resources/requests/storage"), out),
        None => out.push(finding(
            Code::Storage,
            format!("{at}/resources/requests"),
            "a volume claim needs `resources.requests.storage`",
        )),
    }
}

fn service(s: &Json, out: &mut Vec<Finding>) {
    let ports = s
        .pointer("/spec/ports")
        .and_then(Json::as_array)
        .cloned()
        .unwrap_or_default();
    let mut names = BTreeSet::new();
    let mut numbers = BTreeSet::new();
    for (i, p) in ports.iter().enumerate() {
        let at = format!("/spec/ports/{i}");
        if !port_in_range(&p["port"]) {
            out.push(finding(
                Code::ServiceSpec,
                format!("{at}/port"),
                format!("port {} is outside 1 to 65535", p["port"]),
            ));
        }
        match &p["targetPort"] {
            Json::Number(_) if !port_in_range(&p["targetPort"]) => {
                out.push(finding(
                    Code::ServiceSpec,
                    format!("{at}/targetPort"),
                    format!("target port {} is outside 1 to 65535", p["targetPort"]),
                ));
            }
            Json::String(n) if !is_port_name(n) => {
                out.push(finding(
                    Code::ServiceSpec,
                    format!("{at}/targetPort"),
                    format!("the target port name `{n}` is invalid"),
                ));
            }
            _ => {}
        }
        match p["name"].as_str() {
            Some(n) => {
                if !is_port_name(n) {
                    out.push(finding(Code::ServiceSpec, format!("{at}/name"), format!("the port name `{n}` is invalid: at most 15 lower-case letters, digits and `-`, with a letter")));
                }
                if !names.insert(n.to_string()) {
                    out.push(finding(
                        Code::ServiceSpec,
                        format!("{at}/name"),
                        format!("two ports are named `{n}`"),
                    ));
                }
            }
            None if ports.len() > 1 => out.push(finding(
                Code::ServiceSpec,
                format!("{at}/name"),
                "a Service with several ports must name each of them",
            )),
            None => {}
        }
        let protocol = p["protocol"].as_str().unwrap_or("TCP").to_string();
        if !numbers.insert((p["port"].as_i64(), protocol)) {
            out.push(finding(
                Code::ServiceSpec,
                format!("{at}/port"),
                format!("port {} appears twice", p["port"]),
            ));
        }
    }
}

/// A Service's port names and numbers.
type ServicePorts<'a> = (BTreeSet<&'a str>, BTreeSet<i64>);

/// Rules between objects of one build: what a Service, Ingress, autoscaler, disruption
/// budget or binding points at must exist and fit.
pub(super) fn between(objects: &[Object]) -> Vec<(usize, Finding)> {
    // Pod templates by namespace: labels and container ports by name and number.
    struct Pods<'a> {
        labels: Option<&'a Json>,
        port_names: BTreeSet<&'a str>,
        port_numbers: BTreeSet<i64>,
    }
    let mut out = Vec::new();
    let mut pods: BTreeMap<&str, Vec<Pods>> = BTreeMap::new();
    let mut by_id: BTreeSet<(String, String, String)> = BTreeSet::new();
    let mut service_ports: BTreeMap<(&str, &str), ServicePorts> = BTreeMap::new();
    for o in objects {
        let ns = o.namespace().unwrap_or("");
        by_id.insert((ns.to_string(), o.kind().to_string(), o.name().to_string()));
        for (base, t) in pod_templates(o) {
            let mut p = Pods {
                labels: t.pointer("/metadata/labels"),
                port_names: BTreeSet::new(),
                port_numbers: BTreeSet::new(),
            };
            for (_, c) in containers(&t["spec"], &base) {
                for port in c["ports"].as_array().into_iter().flatten() {
                    p.port_names.extend(port["name"].as_str());
                    p.port_numbers.extend(port["containerPort"].as_i64());
                }
            }
            pods.entry(ns).or_default().push(p);
        }
        if o.kind() == "Service" {
            let ports = o.value.pointer("/spec/ports").and_then(Json::as_array);
            let names = ports
                .into_iter()
                .flatten()
                .filter_map(|p| p["name"].as_str())
                .collect();
            let numbers = ports
                .into_iter()
                .flatten()
                .filter_map(|p| p["port"].as_i64())
                .collect();
            service_ports.insert((ns, o.name()), (names, numbers));
        }
    }
    let empty = Vec::new();
    for (index, o) in objects.iter().enumerate() {
        let ns = o.namespace().unwrap_or("");
        let in_ns = pods.get(ns).unwrap_or(&empty);
        match o.kind() {
            "Service" => {
                let Some(selector) = o
                    .value
                    .pointer("/spec/selector")
                    .and_then(Json::as_object)
                    .filter(|s| !s.is_empty())
                else {
                    continue;
                };
                let selected: Vec<&Pods> = in_ns
                    .iter()
                    .filter(|p| map_selects(selector, p.labels))
                    .collect();
                if selected.is_empty() {
                    out.push((
                        index,
                        finding(Code::References, "/spec/selector", format!("Service `{}` selects no pod in namespace `{ns}`", o.name()))
                            .hint("its selector must match the pod template labels of a workload in the same namespace"),
                    ));
                    continue;
                }
                for (i, p) in o
                    .value
                    .pointer("/spec/ports")
                    .and_then(Json::as_array)
                    .into_iter()
                    .flatten()
                    .enumerate()
                {
                    let target = if p["targetPort"].is_null() {
                        &p["port"]
                    } else {
                        &p["targetPort"]
                    };
                    let exists = match target {
                        Json::String(n) => selected
                            .iter()
                            .all(|pod| pod.port_names.contains(n.as_str())),
                        Json::Number(n) => selected
                            .iter()
                            .all(|pod| n.as_i64().is_some_and(|n| pod.port_numbers.contains(&n))),
                        _ => true,
                    };
                    if !exists {
                        out.push((
                            index,
                            finding(Code::References,
                                format!("/spec/ports/{i}/targetPort"),
                                format!("Service `{}` sends port {} to {target}, which the pods it selects do not have", o.name(), p["port"]),
                            ),
                        ));
                    }
                }
            }
            "PodDisruptionBudget" => {
                let selector = o
                    .value
                    .pointer("/spec/selector")
                    .cloned()
                    .unwrap_or(Json::Null);
                if !in_ns.iter().any(|p| selects(&selector, p.labels)) {
                    out.push((
                        index,
                        finding(
                            Code::References,
                            "/spec/selector",
                            format!(
                                "PodDisruptionBudget `{}` selects no pod in namespace `{ns}`",
                                o.name()
                            ),
                        ),
                    ));
                }
            }
            "HorizontalPodAutoscaler" => {
                let kind = o
                    .value
                    .pointer("/spec/scaleTargetRef/kind")
                    .and_then(Json::as_str)
                    .unwrap_or("");
                let name = o
                    .value
                    .pointer("/spec/scaleTargetRef/name")
                    .and_then(Json::as_str)
                    .unwrap_or("");
                if !by_id.contains(&(ns.to_string(), kind.to_string(), name.to_string())) {
                    out.push((index, finding(Code::References, "/spec/scaleTargetRef", format!("HorizontalPodAutoscaler `{}` scales {kind} `{name}`, which the build does not have in namespace `{ns}`", o.name()))));
                }
            }
            "Ingress" => {
                for (r, rule) in o
                    .value
                    .pointer("/spec/rules")
                    .and_then(Json::as_array)
                    .into_iter()
                    .flatten()
                    .enumerate()
                {
                    for (p, path) in rule
                        .pointer("/http/paths")
                        .and_then(Json::as_array)
                        .into_iter()
                        .flatten()
                        .enumerate()
                    {
                        let svc = path
                            .pointer("/backend/service/name")
                            .and_then(Json::as_str)
                            .unwrap_or("");
                        let at = format!("/spec/rules/{r}/http/paths/{p}/backend/service");
                        match service_ports.get(&(ns, svc)) {
                            None => out.push((index, finding(Code::References, format!("{at}/name"), format!("Ingress `{}` sends traffic to Service `{svc}`, which the build does not have in namespace `{ns}`", o.name())))),
                            Some((names, numbers)) => {
                                let port = path.pointer("/backend/service/port");
                                let ok = match (port.and_then(|p| p.get("name")), port.and_then(|p| p.get("number"))) {
                                    (Some(Json::String(n)), _) => names.contains(n.as_str()),
                                    (_, Some(n)) => n.as_i64().is_some_and(|n| numbers.contains(&n)),
                                    _ => false,
                                };
                                if !ok {
                                    out.push((index, finding(Code::References, format!("{at}/port"), format!("Ingress `{}` uses a port that Service `{svc}` does not have", o.name()))));
                                }
                            }
                        }
                    }
                }
            }
            "RoleBinding" => {
                let kind = o
                    .value
                    .pointer("/roleRef/kind")
                    .and_then(Json::as_str)
                    .unwrap_or("");
                let name = o
                    .value
                    .pointer("/roleRef/name")
                    .and_then(Json::as_str)
                    .unwrap_or("");
                if kind == "Role"
                    && !by_id.contains(&(ns.to_string(), "Role".into(), name.to_string()))
                {
                    out.push((index, finding(Code::References, "/roleRef", format!("RoleBinding `{}` grants Role `{name}`, which the build does not have in namespace `{ns}`", o.name()))));
                }
            }
            _ => {}
        }
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

//! The security posture of everything kiln emits: every pod meets the Pod Security
//! "restricted" profile with a read-only root filesystem, nothing runs privileged or
//! reaches into the host, tokens are mounted only where a role is granted, images are
//! tagged (and pinned or from allowed registries where `kiln.yaml` asks), every
//! namespace enforces the profile and denies all traffic by default.
//!
//! Anything weaker must be a named exception in the catalog (`securityExceptions`),
//! which the templates record on the workload as the [`EXCEPTIONS`] annotation.

mod between;
mod image;

use std::collections::BTreeSet;

use serde_json::Value as Json;

use super::rules::{containers, pod_templates, Finding};
use crate::diagnostic::Code;
use crate::model::ImageRules;
use crate::render::Object;

pub(super) use between::between;

/// Annotation listing the restricted-profile rules a workload is excepted from.
pub(super) const EXCEPTIONS: &str = "kiln.dev/security-exceptions";

/// The rules a catalog service may be excepted from.
pub(super) const EXCEPTION_NAMES: [&str; 2] = ["readOnlyRootFilesystem", "runAsNonRoot"];

/// Volume types the restricted profile allows.
const RESTRICTED_VOLUMES: [&str; 8] = [
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "persistentVolumeClaim",
    "projected",
    "secret",
];
/// A security finding: every one has the code `Security` and a hint.
fn finding(
    pointer: impl Into<String>,
    message: impl Into<String>,
    hint: impl Into<String>,
) -> Finding {
    Finding {
        code: Code::Security,
        pointer: pointer.into(),
        message: message.into(),
        hint: Some(hint.into()),
        hides: Vec::new(),
    }
}
/// The rules the workload's [`EXCEPTIONS`] annotation excepts it from.
fn exceptions(o: &Object) -> BTreeSet<String> {
    o.value
        .pointer(&format!(
            "/metadata/annotations/{}",
            EXCEPTIONS.replace('/', "~1")
        ))
        .and_then(Json::as_str)
        .map(|s| {
            s.split(',')
                .map(|e| e.trim().to_string())
                .filter(|e| !e.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

/// Checks one object's own posture.
pub(super) fn object(o: &Object, images: &ImageRules) -> Vec<Finding> {
    let mut out = Vec::new();
    let allowed = exceptions(o);
    for name in &allowed {
        if !EXCEPTION_NAMES.contains(&name.as_str()) {
            out.push(finding(
                format!("/metadata/annotations/{}", EXCEPTIONS.replace('/', "~1")),
                format!("`{name}` is not a security exception kiln knows"),
                format!(
                    "the exceptions are {}",
                    crate::suggest::code_list(EXCEPTION_NAMES)
                ),
            ));
        }
    }
    for (base, template) in pod_templates(o) {
        pod(&template["spec"], &base, &allowed, images, &mut out);
    }
    out
}
/// Checks one pod template's spec at `base`: the pod's own fields, then each container.
fn pod(
    spec: &Json,
    base: &str,
    allowed: &BTreeSet<String>,
    images: &ImageRules,
    out: &mut Vec<Finding>,
) {
    let at = format!("{base}/spec");
    let root_ok = allowed.contains("runAsNonRoot");
    host_and_volumes(spec, &at, out);
    let pod_sc = &spec["securityContext"];
    let pod_non_root = pod_sc["runAsNonRoot"] == Json::Bool(true);
    let pod_seccomp = matches!(
        pod_sc
            .pointer("/seccompProfile/type")
            .and_then(Json::as_str),
        Some("RuntimeDefault" | "Localhost")
    );
    if pod_sc["runAsUser"] == 0 && !root_ok {
        out.push(finding(
            format!("{at}/securityContext/runAsUser"),
            "the pod runs as user 0 (root)",
            "run as a non-zero user",
        ));
    }
    for (cat, c) in containers(spec, base) {
        let name = c["name"].as_str().unwrap_or("");
        let sc = &c["securityContext"];
        let sat = format!("{cat}/securityContext");
        privileges(sc, &sat, name, out);
        let pod_user = PodUser {
            non_root: pod_non_root,
            seccomp: pod_seccomp,
            root_ok,
        };
        user(sc, &sat, name, &pod_user, out);
        if sc["readOnlyRootFilesystem"] != Json::Bool(true)
            && !allowed.contains("readOnlyRootFilesystem")
        {
            out.push(finding(
                format!("{sat}/readOnlyRootFilesystem"),
                format!("container `{name}` can write to its root filesystem"),
                "set `readOnlyRootFilesystem: true` and give writable paths an emptyDir (catalog `writablePaths`), or name the exception in the catalog's `securityExceptions`",
            ));
        }
        for (i, p) in c["ports"].as_array().into_iter().flatten().enumerate() {
            if p.get("hostPort").is_some_and(|h| !h.is_null()) {
                out.push(finding(
                    format!("{cat}/ports/{i}/hostPort"),
                    format!("container `{name}` binds a host port"),
                    "remove `hostPort`; expose the port with a Service",
                ));
            }
        }
        image::image(c, &cat, images, out);
    }
}

/// Refuses a pod (its spec at `at`) that shares the host's namespaces or has a volume
/// of a type the restricted profile forbids.
fn host_and_volumes(spec: &Json, at: &str, out: &mut Vec<Finding>) {
    for field in ["hostNetwork", "hostPID", "hostIPC"] {
        if spec[field] == Json::Bool(true) {
            out.push(finding(
                format!("{at}/{field}"),
                format!("the pod sets `{field}`"),
                "pods must not share the host's namespaces; remove it",
            ));
        }
    }
    for (i, v) in spec["volumes"].as_array().into_iter().flatten().enumerate() {
        let kind = v
            .as_object()
            .and_then(|m| m.keys().find(|k| *k != "name"))
            .map(String::as_str)
            .unwrap_or("");
        if !RESTRICTED_VOLUMES.contains(&kind) {
            out.push(finding(
                format!("{at}/volumes/{i}"),
                format!(
                    "volume `{}` is a `{kind}` volume, which the restricted profile forbids",
                    v["name"].as_str().unwrap_or("")
                ),
                format!(
                    "use one of {}",
                    crate::suggest::code_list(RESTRICTED_VOLUMES)
                ),
            ));
        }
    }
}

/// Refuses a container that is privileged, may escalate privileges, keeps Linux
/// capabilities, or adds one other than `NET_BIND_SERVICE`.
fn privileges(sc: &Json, sat: &str, name: &str, out: &mut Vec<Finding>) {
    if sc["privileged"] == Json::Bool(true) {
        out.push(finding(
            format!("{sat}/privileged"),
            format!("container `{name}` is privileged"),
            "remove `privileged: true`",
        ));
    }
    if sc["allowPrivilegeEscalation"] != Json::Bool(false) {
        out.push(finding(
            format!("{sat}/allowPrivilegeEscalation"),
            format!("container `{name}` may escalate privileges"),
            "set `allowPrivilegeEscalation: false`",
        ));
    }
    let drops: Vec<&str> = sc
        .pointer("/capabilities/drop")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
        .filter_map(Json::as_str)
        .collect();
    if !drops.contains(&"ALL") {
        out.push(finding(
            format!("{sat}/capabilities/drop"),
            format!("container `{name}` keeps Linux capabilities"),
            "drop them all: `capabilities: {drop: [ALL]}`",
        ));
    }
    for (i, cap) in sc
        .pointer("/capabilities/add")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        if cap.as_str() != Some("NET_BIND_SERVICE") {
            out.push(finding(
                format!("{sat}/capabilities/add/{i}"),
                format!("container `{name}` adds the capability {cap}"),
                "the restricted profile allows adding only `NET_BIND_SERVICE`",
            ));
        }
    }
}

/// What the pod's own security context and exceptions decide for its containers'
/// users.
struct PodUser {
    /// The pod sets `runAsNonRoot: true`.
    non_root: bool,
    /// The pod sets a seccomp profile.
    seccomp: bool,
    /// The workload is excepted from `runAsNonRoot`.
    root_ok: bool,
}

/// Refuses a container that may run as root or as user 0 (unless excepted), or has
/// no seccomp profile, its own or the pod's.
fn user(sc: &Json, sat: &str, name: &str, pod: &PodUser, out: &mut Vec<Finding>) {
    let non_root = sc["runAsNonRoot"] == Json::Bool(true)
        || (pod.non_root && sc["runAsNonRoot"] != Json::Bool(false));
    if !non_root && !pod.root_ok {
        out.push(finding(
            format!("{sat}/runAsNonRoot"),
            format!("container `{name}` may run as root"),
            "set `runAsNonRoot: true` on the pod or the container",
        ));
    }
    if sc["runAsUser"] == 0 && !pod.root_ok {
        out.push(finding(
            format!("{sat}/runAsUser"),
            format!("container `{name}` runs as user 0 (root)"),
            "run as a non-zero user",
        ));
    }
    let seccomp = matches!(
        sc.pointer("/seccompProfile/type").and_then(Json::as_str),
        Some("RuntimeDefault" | "Localhost")
    );
    if !seccomp && !pod.seccomp {
        out.push(finding(
            format!("{sat}/seccompProfile"),
            format!("container `{name}` has no seccomp profile"),
            "set `seccompProfile: {type: RuntimeDefault}` on the pod or the container",
        ));
    }
}

#[cfg(test)]
mod tests;

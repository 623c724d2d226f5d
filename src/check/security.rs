//! The security posture of everything kiln emits: every pod meets the Pod Security
//! "restricted" profile with a read-only root filesystem, nothing runs privileged or
//! reaches into the host, tokens are mounted only where a role is granted, images are
//! tagged (and pinned or from allowed registries where `kiln.yaml` asks), every
//! namespace enforces the profile and denies all traffic by default.
//!
//! Anything weaker must be a named exception in the catalog (`securityExceptions`),
//! which the templates record on the workload as the [`EXCEPTIONS`] annotation.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value as Json;

use super::rules::{containers, pod_templates, Finding};
use crate::diagnostic::Code;
use crate::model::ImageRules;
use crate::render::Object;

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

fn pod(
    spec: &Json,
    base: &str,
    allowed: &BTreeSet<String>,
    images: &ImageRules,
    out: &mut Vec<Finding>,
) {
    let at = format!("{base}/spec");
    let root_ok = allowed.contains("runAsNonRoot");
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
        let non_root = sc["runAsNonRoot"] == Json::Bool(true)
            || (pod_non_root && sc["runAsNonRoot"] != Json::Bool(false));
        if !non_root && !root_ok {
            out.push(finding(
                format!("{sat}/runAsNonRoot"),
                format!("container `{name}` may run as root"),
                "set `runAsNonRoot: true` on the pod or the container",
            ));
        }
        if sc["runAsUser"] == 0 && !root_ok {
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
        if !seccomp && !pod_seccomp {
            out.push(finding(
                format!("{sat}/seccompProfile"),
                format!("container `{name}` has no seccomp profile"),
                "set `seccompProfile: {type: RuntimeDefault}` on the pod or the container",
            ));
        }
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
        image(c, &cat, images, out);
    }
}

/// The reference grammar of container images (distribution/reference): an optional
/// registry host and port, lower-case path components, an optional tag and digest.
static IMAGE_REFERENCE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    let component = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
    let host = format!(r"(?:{component}(?:\.{component})*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?");
    let path_component = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
    // The tag's length (at most 128) is checked apart: a counted repetition makes a
    // large automaton.
    let tag = r"[A-Za-z0-9_][A-Za-z0-9_.-]*";
    let digest = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]+";
    crate::secret::pattern(&format!(
        r"^(?:{host}/)?{path_component}(?:/{path_component})*(?::{tag})?(?:@{digest})?$"
    ))
});

/// Whether a string is a well-formed image reference (its name at most 255 characters).
pub(super) fn is_image_reference(image: &str) -> bool {
    let name = image.split('@').next().unwrap_or(image);
    let name = match name.rsplit_once(':') {
        Some((n, tag)) if !tag.contains('/') => n,
        _ => name,
    };
    let (rest, digest) = image.split_once('@').unwrap_or((image, ""));
    let tag = rest
        .rsplit_once(':')
        .map(|(_, t)| t)
        .filter(|t| !t.contains('/'))
        .unwrap_or("");
    let hex = digest.rsplit_once(':').map_or("", |(_, h)| h);
    name.len() <= 255
        && tag.len() <= 128
        && (digest.is_empty() || hex.len() >= 32)
        && IMAGE_REFERENCE.is_match(image)
}

/// Splits an image reference into its name, tag and digest.
pub(super) fn split_image(image: &str) -> (&str, Option<&str>, Option<&str>) {
    let (rest, digest) = match image.split_once('@') {
        Some((r, d)) => (r, Some(d)),
        None => (image, None),
    };
    let slash = rest.rfind('/').map(|i| i + 1).unwrap_or(0);
    match rest[slash..].rfind(':') {
        Some(i) => (&rest[..slash + i], Some(&rest[slash + i + 1..]), digest),
        None => (rest, None, digest),
    }
}

fn image(c: &Json, at: &str, rules: &ImageRules, out: &mut Vec<Finding>) {
    let Some(image) = c["image"].as_str() else {
        return;
    };
    let (name, tag, digest) = split_image(image);
    let pointer = format!("{at}/image");
    if !is_image_reference(image) {
        out.push(finding(
            pointer,
            format!(
                "`{}` is not a valid image reference",
                crate::diagnostic::printable(image)
            ),
            "an image is `[registry[:port]/]path[:tag][@sha256:<digest>]`: lower-case path components of letters and digits joined by `.`, `_`, `__` or `-`",
        ));
        return;
    }
    if tag.is_none() && digest.is_none() {
        out.push(finding(
            pointer.clone(),
            format!("image `{image}` has no tag"),
            "pin a version: `services.<name>.image.tag` (an untagged image means `latest`)",
        ));
    }
    if tag == Some("latest") {
        out.push(finding(
            pointer.clone(),
            format!("image `{image}` uses the `latest` tag"),
            "pin a version; `latest` changes under you and defeats reviews",
        ));
    }
    if rules.require_digest && digest.is_none() {
        out.push(finding(pointer.clone(), format!("image `{image}` is not pinned by digest"), "kiln.yaml requires digests (`images.requireDigest`): set `services.<name>.image.digest`"));
    }
    if !rules.allowed_registries.is_empty()
        && !rules
            .allowed_registries
            .iter()
            .any(|r| name.starts_with(r.as_str()))
    {
        out.push(finding(
            pointer,
            format!("image `{image}` does not come from an allowed registry"),
            format!(
                "kiln.yaml allows {}",
                crate::suggest::code_list(&rules.allowed_registries)
            ),
        ));
    }
}

/// Posture rules between objects: namespaces enforce the profile and deny traffic by
/// default; tokens are mounted only for accounts a role is bound to.
pub(super) fn between(objects: &[Object]) -> Vec<(usize, Finding)> {
    let mut out = Vec::new();
    let mut default_deny: BTreeSet<&str> = BTreeSet::new();
    let mut bound: BTreeSet<(String, String)> = BTreeSet::new();
    let mut root_workloads: BTreeMap<&str, &str> = BTreeMap::new();
    for o in objects {
        let ns = o.namespace().unwrap_or("");
        match o.kind() {
            "NetworkPolicy" => {
                let spec = o.field("spec");
                let all_pods = spec["podSelector"].as_object().is_some_and(|m| {
                    m.values()
                        .all(|v| v.as_object().is_some_and(serde_json::Map::is_empty))
                });
                let types: Vec<&str> = spec["policyTypes"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Json::as_str)
                    .collect();
                let no_rules = |k: &str| spec[k].as_array().is_none_or(std::vec::Vec::is_empty);
                if all_pods
                    && types.contains(&"Ingress")
                    && types.contains(&"Egress")
                    && no_rules("ingress")
                    && no_rules("egress")
                {
                    default_deny.insert(ns);
                }
            }
            "RoleBinding" | "ClusterRoleBinding" => {
                for s in o.field("subjects").as_array().into_iter().flatten() {
                    if s["kind"].as_str() == Some("ServiceAccount") {
                        let sns = s["namespace"].as_str().unwrap_or(ns).to_string();
                        bound.insert((sns, s["name"].as_str().unwrap_or("").to_string()));
                    }
                }
            }
            _ => {}
        }
        if exceptions(o).contains("runAsNonRoot") {
            root_workloads.insert(ns, o.name());
        }
    }
    for (index, o) in objects.iter().enumerate() {
        let ns = o.namespace().unwrap_or("");
        match o.kind() {
            "Namespace" => {
                let name = o.name();
                let enforce = o
                    .value
                    .pointer("/metadata/labels/pod-security.kubernetes.io~1enforce")
                    .and_then(Json::as_str);
                let expected = if root_workloads.contains_key(name) {
                    "baseline"
                } else {
                    "restricted"
                };
                if enforce != Some(expected) {
                    let why = match root_workloads.get(name) {
                        Some(w) => format!("`{w}` is excepted from `runAsNonRoot`, so the namespace must enforce `baseline`"),
                        None => "every namespace kiln creates enforces the restricted profile".into(),
                    };
                    out.push((
                        index,
                        finding(
                            "/metadata/labels",
                            format!("namespace `{name}` does not enforce the `{expected}` Pod Security profile"),
                            format!("label it `pod-security.kubernetes.io/enforce: {expected}`; {why}"),
                        ),
                    ));
                }
                if !default_deny.contains(name) {
                    out.push((
                        index,
                        finding(
                            "/metadata/name",
                            format!("namespace `{name}` has no default-deny NetworkPolicy"),
                            "emit a NetworkPolicy with `podSelector: {}`, `policyTypes: [Ingress, Egress]` and no rules; allow what is needed on top",
                        ),
                    ));
                }
            }
            "ServiceAccount" => {
                let automount = o.field("automountServiceAccountToken").as_bool() != Some(false);
                if automount && !bound.contains(&(ns.to_string(), o.name().to_string())) {
                    out.push((
                        index,
                        finding(
                            "/automountServiceAccountToken",
                            format!("ServiceAccount `{}` mounts a token but no role is bound to it", o.name()),
                            "set `automountServiceAccountToken: false`, or grant it a role (catalog `rbac`)",
                        ),
                    ));
                }
            }
            _ => {
                for (base, template) in pod_templates(o) {
                    let spec = &template["spec"];
                    if spec["automountServiceAccountToken"] == Json::Bool(true) {
                        let account = spec["serviceAccountName"].as_str().unwrap_or("default");
                        if !bound.contains(&(ns.to_string(), account.to_string())) {
                            out.push((
                                index,
                                finding(
                                    format!("{base}/spec/automountServiceAccountToken"),
                                    format!("{} `{}` mounts the token of `{account}`, to which no role is bound", o.kind(), o.name()),
                                    "mount a token only where the catalog grants a role (`rbac`)",
                                ),
                            ));
                        }
                    }
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::object::of_acme as object_of;
    use serde_json::json;

    fn deployment(sc: Json, extra: Json) -> Json {
        let mut container =
            json!({"name": "c", "image": "registry.example.com/app:1.0", "securityContext": sc});
        if let (Some(c), Some(e)) = (container.as_object_mut(), extra.as_object()) {
            c.extend(e.clone());
        }
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d", "namespace": "acme"},
            "spec": {"selector": {"matchLabels": {"a": "b"}}, "template": {"metadata": {"labels": {"a": "b"}},
            "spec": {"securityContext": {"runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}}, "containers": [container]}}}})
    }

    fn restricted() -> Json {
        json!({"allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true, "capabilities": {"drop": ["ALL"]}})
    }

    fn messages(v: Json, rules: &ImageRules) -> Vec<String> {
        object(&object_of(v), rules)
            .into_iter()
            .map(|f| f.message)
            .collect()
    }

    #[test]
    fn a_restricted_pod_passes() {
        assert!(messages(deployment(restricted(), json!({})), &ImageRules::default()).is_empty());
    }

    #[test]
    fn weaker_settings_are_errors() {
        let m = messages(
            deployment(
                json!({"privileged": true, "runAsUser": 0, "capabilities": {"add": ["SYS_ADMIN"]}}),
                json!({"ports": [{"containerPort": 80, "hostPort": 80}]}),
            ),
            &ImageRules::default(),
        );
        assert_eq!(
            m,
            vec![
                "container `c` is privileged",
                "container `c` may escalate privileges",
                "container `c` keeps Linux capabilities",
                "container `c` adds the capability \"SYS_ADMIN\"",
                "container `c` runs as user 0 (root)",
                "container `c` can write to its root filesystem",
                "container `c` binds a host port",
            ]
        );
    }

    #[test]
    fn host_namespaces_and_host_paths_are_errors() {
        let mut d = deployment(restricted(), json!({}));
        d["spec"]["template"]["spec"]["hostNetwork"] = json!(true);
        d["spec"]["template"]["spec"]["volumes"] =
            json!([{"name": "root", "hostPath": {"path": "/"}}]);
        let m = messages(d, &ImageRules::default());
        assert_eq!(m[0], "the pod sets `hostNetwork`");
        assert_eq!(
            m[1],
            "volume `root` is a `hostPath` volume, which the restricted profile forbids"
        );
    }

    #[test]
    fn named_exceptions_allow_what_they_name() {
        let mut d = deployment(
            json!({"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}}),
            json!({}),
        );
        d["metadata"]["annotations"] = json!({EXCEPTIONS: "readOnlyRootFilesystem"});
        assert!(messages(d.clone(), &ImageRules::default()).is_empty());
        d["metadata"]["annotations"] = json!({EXCEPTIONS: "everything"});
        assert_eq!(
            messages(d, &ImageRules::default())[0],
            "`everything` is not a security exception kiln knows"
        );
    }

    #[test]
    fn image_references() {
        for good in [
            "nginx:1.27",
            "docker.io/library/nginx:1.27",
            "registry.example.com:5000/team/app_name/x-y:v1.2.3",
            "ghcr.io/org/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            "localhost/a__b:1",
            "[::1]:5000/app:1",
        ] {
            assert!(is_image_reference(good), "{good}");
        }
        for bad in [
            "../../Evil:1",
            "registry.example.com/../evil:1",
            "App:1",
            "app:1\n",
            "app\u{0}:1",
            "app:",
            "/app:1",
            "app@sha256:short",
            "",
        ] {
            assert!(!is_image_reference(bad), "{bad:?}");
        }
    }

    #[test]
    fn images_need_tags_and_follow_the_rules() {
        let image = |i: &str, rules: &ImageRules| {
            let mut d = deployment(restricted(), json!({}));
            d["spec"]["template"]["spec"]["containers"][0]["image"] = json!(i);
            messages(d, rules)
        };
        assert_eq!(
            image("app", &ImageRules::default()),
            vec!["image `app` has no tag"]
        );
        assert_eq!(
            image("reg:5000/app", &ImageRules::default()),
            vec!["image `reg:5000/app` has no tag"]
        );
        assert_eq!(
            image("app:latest", &ImageRules::default()),
            vec!["image `app:latest` uses the `latest` tag"]
        );
        let strict = ImageRules {
            allowed_registries: vec!["registry.example.com/".into()],
            require_digest: true,
        };
        assert_eq!(
            image("docker.io/app:1", &strict),
            vec![
                "image `docker.io/app:1` is not pinned by digest",
                "image `docker.io/app:1` does not come from an allowed registry"
            ]
        );
        let digest = format!("registry.example.com/app:1@sha256:{}", "a".repeat(64));
        assert!(image(&digest, &strict).is_empty());
    }

    #[test]
    fn image_references_split() {
        assert_eq!(
            split_image("reg:5000/a/b:1.2@sha256:x"),
            ("reg:5000/a/b", Some("1.2"), Some("sha256:x"))
        );
        assert_eq!(split_image("reg:5000/a"), ("reg:5000/a", None, None));
        assert_eq!(split_image("a"), ("a", None, None));
    }

    #[test]
    fn namespaces_enforce_the_profile_and_deny_by_default() {
        let ns = |labels: Json| {
            object_of(
                json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "acme", "labels": labels}}),
            )
        };
        let deny = object_of(
            json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "default-deny", "namespace": "acme"},
            "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}}),
        );
        let good = ns(json!({"pod-security.kubernetes.io/enforce": "restricted"}));
        assert!(between(&[good.clone(), deny]).is_empty());
        let found: Vec<String> = between(&[ns(json!({}))])
            .into_iter()
            .map(|(_, f)| f.message)
            .collect();
        assert_eq!(
            found,
            vec![
                "namespace `acme` does not enforce the `restricted` Pod Security profile",
                "namespace `acme` has no default-deny NetworkPolicy",
            ]
        );
    }

    #[test]
    fn tokens_only_for_accounts_with_a_role() {
        let sa = |automount: bool| {
            object_of(
                json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "s", "namespace": "acme"}, "automountServiceAccountToken": automount}),
            )
        };
        let binding = object_of(
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": "b", "namespace": "acme"},
            "roleRef": {"kind": "Role", "name": "r", "apiGroup": "rbac.authorization.k8s.io"}, "subjects": [{"kind": "ServiceAccount", "name": "s", "namespace": "acme"}]}),
        );
        assert!(between(&[sa(false)]).is_empty());
        assert!(between(&[sa(true), binding]).is_empty());
        let found: Vec<String> = between(&[sa(true)])
            .into_iter()
            .map(|(_, f)| f.message)
            .collect();
        assert_eq!(
            found,
            vec!["ServiceAccount `s` mounts a token but no role is bound to it"]
        );
    }
}

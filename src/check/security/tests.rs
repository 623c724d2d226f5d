use super::image::{is_image_reference, split_image};
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
    d["spec"]["template"]["spec"]["volumes"] = json!([{"name": "root", "hostPath": {"path": "/"}}]);
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

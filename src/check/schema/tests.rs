use super::*;
use crate::render::object::of_acme as object;

fn schemas() -> Schemas {
    Schemas::new("1.31", &BTreeMap::new(), &[]).unwrap()
}

#[test]
fn versions_from_1_29_to_1_33_are_shipped() {
    assert_eq!(
        crate::kube::supported_versions(),
        vec!["1.29", "1.30", "1.31", "1.32", "1.33"]
    );
    for v in crate::kube::supported_versions() {
        Schemas::new(&v, &BTreeMap::new(), &[]).unwrap();
    }
    assert!(Schemas::new("1.27", &BTreeMap::new(), &[]).is_err());
}

#[test]
fn a_valid_object_passes() {
    let o = object(
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "acme"}, "data": {"a": "b"}}),
    );
    assert!(schemas().check(&o, &Templates::new()).is_empty());
}

#[test]
fn unknown_fields_are_errors_with_a_did_you_mean() {
    let o = object(
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d", "namespace": "acme"},
            "spec": {"replica": 2, "selector": {"matchLabels": {"a": "b"}}, "template": {"metadata": {"labels": {"a": "b"}}, "spec": {"containers": [{"name": "c", "image": "i:1"}]}}}}),
    );
    let ds = schemas().check(&o, &Templates::new());
    assert_eq!(ds.len(), 1);
    assert_eq!(ds[0].message, "unknown field `replica`");
    assert_eq!(ds[0].pointer.as_deref(), Some("/spec/replica"));
    assert_eq!(ds[0].hint.as_deref(), Some("did you mean `replicas`?"));
}

#[test]
fn wrong_types_are_errors() {
    let o = object(
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s", "namespace": "acme"},
            "spec": {"ports": [{"port": "eighty"}]}}),
    );
    let ds = schemas().check(&o, &Templates::new());
    assert_eq!(
        ds[0].message,
        "expected an integer, found the string `eighty`"
    );
    assert_eq!(ds[0].pointer.as_deref(), Some("/spec/ports/0/port"));
}

#[test]
fn kinds_without_a_schema_are_errors_unless_allowed() {
    let o = object(
        json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w", "namespace": "acme"}}),
    );
    let ds = schemas().check(&o, &Templates::new());
    assert_eq!(
        ds[0].message,
        "kiln has no schema for `example.com/v1` `Widget`, so it cannot validate it"
    );
    let allowing = Schemas::new("1.31", &BTreeMap::new(), &["example.com/Widget".into()]).unwrap();
    assert!(allowing.check(&o, &Templates::new()).is_empty());
}

#[test]
fn shipped_custom_resource_schemas_are_strict() {
    let o = object(
        json!({"apiVersion": "external-secrets.io/v1", "kind": "ExternalSecret", "metadata": {"name": "e", "namespace": "acme"},
            "spec": {"secretStoreRef": {"name": "vault", "kind": "ClusterSecretStore"}, "data": [{"secretKey": "A", "remoteRef": {"key": "k", "prop": "x"}}]}}),
    );
    let ds = schemas().check(&o, &Templates::new());
    assert_eq!(ds.len(), 1);
    assert_eq!(ds[0].message, "unknown field `prop`");
    assert_eq!(ds[0].hint.as_deref(), Some("did you mean `property`?"));
}

#[test]
fn template_lines_are_found_by_key_import_or_kind() {
    let t = "{% import \"lib/pod.j2\" as pod %}\napiVersion: apps/v1\nkind: Deployment\nspec:\n  replica: {{ x }}\n";
    let lib = "{% macro m() %}\nsecurityContext:\n  privileged: true\n{% endmacro %}\n";
    let mut all = Templates::new();
    all.insert("objects/d.j2", ("templates/objects/d.j2", t));
    all.insert("lib/pod.j2", ("templates/lib/pod.j2", lib));
    let at = |p: &str| {
        template_line(t, "templates/objects/d.j2", &all, p, "Deployment")
            .map(|(f, s)| (f, s.line, s.col))
    };
    assert_eq!(at("/spec/replica"), Some(("templates/objects/d.j2", 5, 3)));
    assert_eq!(
        at("/spec/template/spec/containers/0/securityContext/privileged"),
        Some(("templates/lib/pod.j2", 3, 3))
    );
    assert_eq!(at("/spec/other"), Some(("templates/objects/d.j2", 3, 1)));
}

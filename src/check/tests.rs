use super::*;
use crate::render::{object::from_document, Provenance};
use serde_json::json;

fn provenance() -> Provenance {
    Provenance {
        template: "templates/objects/tenant/x.yaml.j2".into(),
        input: Some("tenants/acme.yaml".into()),
        tenant: Some("acme".into()),
        ..Provenance::default()
    }
}

fn run(docs: Vec<Json>) -> Vec<Diagnostic> {
    let objects: Vec<Object> = docs
        .into_iter()
        .map(|d| from_document(d, &provenance(), 0, &crate::kube::Scopes::new([])).unwrap())
        .collect();
    let own = vec!["acme".to_string()];
    let namespaces: BTreeMap<&str, &[String]> = [("acme", own.as_slice())].into();
    let mut ds: Vec<Diagnostic> = objects
        .iter()
        .flat_map(|o| {
            own_namespace(&namespaces, o)
                .into_iter()
                .chain(check_secret(o))
        })
        .collect();
    let facts: Vec<ObjectFact> = objects.iter().map(|o| o.fact(b"")).collect();
    ds.extend(identities(&facts));
    ds
}

#[test]
fn secret_scope_of_tenants_and_pipelines() {
    let es = |kind: &str, key: &str| {
        json!({"apiVersion": "external-secrets.io/v1", "kind": "ExternalSecret",
                "metadata": {"name": "e", "namespace": "acme"},
                "spec": {"secretStoreRef": {"name": "s", "kind": kind},
                    "data": [{"secretKey": "A", "remoteRef": {"key": key}}]}})
    };
    let prefixes = vec!["dataplane/acme/".to_string()];
    let by_tenant: BTreeMap<&str, &[String]> = [("acme", prefixes.as_slice())].into();
    let messages = |v: Json, p: &Provenance| -> Vec<String> {
        let o = from_document(v, p, 0, &crate::kube::Scopes::new([])).unwrap();
        secret_scope(&by_tenant, &o)
            .into_iter()
            .map(|d| d.message)
            .collect()
    };
    assert!(messages(es("SecretStore", "dataplane/acme/db"), &provenance()).is_empty());
    assert_eq!(
        messages(
            es("ClusterSecretStore", "dataplane/globex/db"),
            &provenance()
        ),
        [
            "ExternalSecret `e` of tenant `acme` reads through a ClusterSecretStore",
            "remote key `dataplane/globex/db` is outside tenant `acme`'s keys, `dataplane/acme/*`",
        ]
    );
    let pipeline = Provenance {
        tenant: None,
        pipeline: Some("p".into()),
        ..provenance()
    };
    assert_eq!(
            messages(es("SecretStore", "x"), &pipeline),
            ["pipeline `p` has an ExternalSecret `e`, and belongs to no tenant whose secrets it could read"]
        );
}

#[test]
fn secrets_with_data_are_refused() {
    let ds = run(vec![
        json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "acme"}, "stringData": {"password": "x"}}),
    ]);
    assert_eq!(ds.len(), 1);
    assert_eq!(
        ds[0].message,
        "Secret `s` holds literal `stringData`; kiln never writes a secret value"
    );
    let ok = run(vec![
        json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "acme"}, "type": "kubernetes.io/dockerconfigjson"}),
    ]);
    assert!(ok.is_empty());
}

#[test]
fn duplicates_are_refused() {
    let cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "acme"}});
    let ds = run(vec![cm.clone(), cm]);
    assert_eq!(ds.len(), 1);
    assert!(ds[0]
        .message
        .starts_with("two objects are the same `ConfigMap` `c`"));
}

#[test]
fn objects_stay_in_their_tenant() {
    let ds = run(vec![
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "other"}}),
    ]);
    assert_eq!(ds.len(), 1);
    assert!(ds[0]
        .message
        .contains("not one of tenant `acme`'s namespaces"));
}

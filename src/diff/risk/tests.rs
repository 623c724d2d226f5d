use crate::diff::{compare, Files};
use serde_json::json;

use super::*;

fn files(objects: &[(&str, Json)]) -> Files {
    objects
        .iter()
        .map(|(path, v)| (path.to_string(), crate::yaml::to_string(v).into_bytes()))
        .collect()
}

fn app(name: &str, path: &str) -> (String, Json) {
    (
        format!("argocd/application_{name}.yaml"),
        json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
            "metadata": {"name": name, "namespace": "argocd"}, "spec": {"source": {"path": path}}}),
    )
}

fn namespace(name: &str, guarded: bool) -> Json {
    let mut v = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}});
    if guarded {
        v["metadata"]["annotations"] = json!({guard::SYNC_OPTIONS: "Prune=false,Delete=false"});
    }
    v
}

fn claim(namespace: &str, name: &str, class: &str, size: &str) -> Json {
    json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": name, "namespace": namespace},
        "spec": {"accessModes": ["ReadWriteMany"], "storageClassName": class, "resources": {"requests": {"storage": size}}}})
}

fn tree(objects: Vec<(String, Json)>) -> Files {
    let refs: Vec<(&str, Json)> = objects
        .iter()
        .map(|(p, v)| (p.as_str(), v.clone()))
        .collect();
    files(&refs)
}

fn pipeline(ns: &str, guarded: bool, class: &str, size: &str) -> Files {
    tree(vec![
        app("pipeline-p", "pipelines/p"),
        (
            format!("pipelines/p/{ns}/namespace_{ns}.yaml"),
            namespace(ns, guarded),
        ),
        (
            format!("pipelines/p/{ns}/persistentvolumeclaim_shared.yaml"),
            claim(ns, "shared", class, size),
        ),
    ])
}

fn headlines(base: &Files, new: &Files) -> Vec<String> {
    compare(base, new, "")
        .data_at_risk
        .iter()
        .map(|r| format!("{} | {}", r.headline(), r.consequence))
        .collect()
}

#[test]
fn a_renamed_namespace_renames_its_claims() {
    let risks = headlines(
        &pipeline("p-1-0", false, "efs", "1Gi"),
        &pipeline("p", true, "efs", "1Gi"),
    );
    assert_eq!(
        risks,
        [
            "renamed Namespace p-1-0 to p in pipeline-p | Argo CD deletes it with everything in it, claims and their data; `Namespace p` is created empty",
            "renamed PersistentVolumeClaim p-1-0/shared to p/shared in pipeline-p | Argo CD deletes it, and its volume unless the volume's reclaim policy is `Retain`; `PersistentVolumeClaim p/shared` is a new, empty claim",
        ]
    );
}

fn renamed(base: &[(&str, &str)], new: &[(&str, &str)]) -> Vec<String> {
    let claims = |list: &[(&str, &str)]| {
        let mut objects = vec![app("a", "a")];
        objects.extend(
            list.iter()
                .map(|(ns, name)| (format!("a/{ns}/{name}.yaml"), claim(ns, name, "efs", "1Gi"))),
        );
        tree(objects)
    };
    compare(&claims(base), &claims(new), "")
        .data_at_risk
        .iter()
        .map(super::Risk::headline)
        .collect()
}

#[test]
fn renames_are_paired_by_name_then_namespace_then_alone() {
    assert_eq!(
        renamed(
            &[("x", "data"), ("x", "logs")],
            &[("y", "logs"), ("x", "cache")]
        ),
        [
            "renamed PersistentVolumeClaim x/data to x/cache in a",
            "renamed PersistentVolumeClaim x/logs to y/logs in a",
        ]
    );
    assert_eq!(
        renamed(&[("x", "data")], &[("y", "other")]),
        ["renamed PersistentVolumeClaim x/data to y/other in a"]
    );
    // Two gone, one new elsewhere: which one it replaces is not known.
    assert_eq!(
        renamed(&[("x", "data"), ("x", "logs")], &[("y", "other")]),
        [
            "removed PersistentVolumeClaim x/data in a",
            "removed PersistentVolumeClaim x/logs in a",
        ]
    );
}

#[test]
fn a_guarded_namespace_is_left_in_place() {
    let mut new = pipeline("p", true, "efs", "1Gi");
    new.retain(|path, _| path.starts_with("argocd/"));
    let risks = headlines(&pipeline("p", true, "efs", "1Gi"), &new);
    assert_eq!(
        risks,
        [
            "removed Namespace p in pipeline-p | Argo CD leaves it in the cluster (`Prune=false`), out of sync, until it is deleted by hand",
            "removed PersistentVolumeClaim p/shared in pipeline-p | Argo CD deletes it, and its volume unless the volume's reclaim policy is `Retain`",
        ]
    );
}

#[test]
fn when_the_application_goes_delete_false_is_what_counts() {
    let mut base = pipeline("p", false, "efs", "1Gi");
    let ns = "pipelines/p/p/namespace_p.yaml".to_string();
    let mut v = namespace("p", false);
    v["metadata"]["annotations"] = json!({guard::SYNC_OPTIONS: "Delete=false"});
    base.insert(ns, crate::yaml::to_string(&v).into_bytes());
    let r = compare(&base, &Files::new(), "");
    let guarded: Vec<(&str, bool)> = r
        .data_at_risk
        .iter()
        .map(|r| (r.id.kind.as_str(), r.guarded))
        .collect();
    assert_eq!(
        guarded,
        [("Namespace", true), ("PersistentVolumeClaim", false)]
    );
}

#[test]
fn immutable_claim_fields_and_a_smaller_claim() {
    let r = compare(
        &pipeline("p", true, "efs", "20Gi"),
        &pipeline("p", true, "gp3", "10Gi"),
        "",
    );
    assert_eq!(r.data_at_risk.len(), 1);
    assert_eq!(
        r.data_at_risk[0].subject(true),
        "`PersistentVolumeClaim p/shared` in `pipeline-p`: `spec.storageClassName`, `spec.resources.requests.storage` changed"
    );
    // Growing is allowed.
    let grown = compare(
        &pipeline("p", true, "efs", "1Gi"),
        &pipeline("p", true, "efs", "1.5Gi"),
        "",
    );
    assert!(grown.data_at_risk.is_empty(), "{:?}", grown.data_at_risk);
}

fn one(path: &str, v: Json) -> Files {
    files(&[(path, v)])
}

#[test]
fn immutable_fields_of_workloads_and_services() {
    let sts = |service: &str, size: &str| {
        json!({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db", "namespace": "t"},
            "spec": {"serviceName": service, "replicas": 1, "selector": {"matchLabels": {"app": "db"}},
                "volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": {"resources": {"requests": {"storage": size}}}}]}})
    };
    let r = compare(
        &one("s.yaml", sts("db-headless", "10Gi")),
        &one("s.yaml", sts("db", "20Gi")),
        "",
    );
    assert_eq!(
        r.data_at_risk[0].headline(),
        "recreated StatefulSet t/db in (no application): `spec.volumeClaimTemplates`, `spec.serviceName` changed"
    );
    // Replicas may change.
    let mut more = sts("db", "10Gi");
    more["spec"]["replicas"] = json!(3);
    assert!(
        compare(&one("s.yaml", sts("db", "10Gi")), &one("s.yaml", more), "")
            .data_at_risk
            .is_empty()
    );

    let svc = |ip: Option<&str>| {
        let mut v = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s", "namespace": "t"}, "spec": {"ports": []}});
        if let Some(ip) = ip {
            v["spec"]["clusterIP"] = json!(ip);
        }
        v
    };
    let r = compare(
        &one("s.yaml", svc(None)),
        &one("s.yaml", svc(Some("None"))),
        "",
    );
    assert_eq!(r.data_at_risk[0].fields, ["spec.clusterIP"]);
}

#[test]
fn a_hook_job_is_recreated_anyway() {
    let job = |image: &str, hook: bool| {
        let mut v = json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "init", "namespace": "t"},
            "spec": {"template": {"spec": {"containers": [{"name": "c", "image": image}]}}}});
        if hook {
            v["metadata"]["annotations"] = json!({"argocd.argoproj.io/hook": "PreSync"});
        }
        v
    };
    let plain = compare(
        &one("j.yaml", job("a", false)),
        &one("j.yaml", job("b", false)),
        "",
    );
    assert_eq!(plain.data_at_risk[0].fields, ["spec.template"]);
    let hook = compare(
        &one("j.yaml", job("a", true)),
        &one("j.yaml", job("b", true)),
        "",
    );
    assert!(hook.data_at_risk.is_empty());
}

#[test]
fn a_removed_statefulset_keeps_its_claims_unless_told_otherwise() {
    let sts = |policy: Option<&str>| {
        let mut v = json!({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db", "namespace": "t"}, "spec": {}});
        if let Some(p) = policy {
            v["spec"]["persistentVolumeClaimRetentionPolicy"] = json!({"whenDeleted": p});
        }
        v
    };
    let consequence = |policy| {
        compare(&one("s.yaml", sts(policy)), &Files::new(), "").data_at_risk[0]
            .consequence
            .clone()
    };
    assert_eq!(
        consequence(None),
        "Argo CD deletes it with its pods; its claims stay"
    );
    assert_eq!(consequence(Some("Delete")), "Argo CD deletes it with its pods, and its claims with them (`persistentVolumeClaimRetentionPolicy.whenDeleted: Delete`)");
}

#[test]
fn other_kinds_removed_are_no_risk() {
    let cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "t"}});
    assert!(compare(&one("c.yaml", cm), &Files::new(), "")
        .data_at_risk
        .is_empty());
}

#[test]
fn a_claim_moved_to_another_application() {
    let base = tree(vec![
        app("a", "a"),
        app("b", "b"),
        ("a/c.yaml".into(), claim("t", "c", "efs", "1Gi")),
    ]);
    let new = tree(vec![
        app("a", "a"),
        app("b", "b"),
        ("b/c.yaml".into(), claim("t", "c", "efs", "1Gi")),
    ]);
    assert_eq!(
        headlines(&base, &new),
        ["moved PersistentVolumeClaim t/c from a to b | `a` may prune it before `b` takes it over, which deletes it, and its volume unless the volume's reclaim policy is `Retain`"]
    );
}

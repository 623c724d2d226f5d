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

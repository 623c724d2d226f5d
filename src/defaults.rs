//! kiln's own defaults (`src/defaults.yaml`): layer 0 of every tenant's values, and what
//! a catalog service leaves out. Kept as located YAML so that `kiln explain` can name
//! the line a default comes from, and printed as written by `kiln defaults`.

use std::sync::OnceLock;

use serde_json::Value as Json;

use crate::yaml::{Node, ReadOptions, Span, Value};

/// The file as people see it in `kiln explain` and diagnostics.
pub const FILE: &str = "kiln:defaults.yaml";

/// The label of the defaults layer in `kiln explain`.
pub const LABEL: &str = "kiln defaults";

/// The text of the file, as `kiln defaults` prints it.
pub const TEXT: &str = include_str!("defaults.yaml");

/// The parsed file. A file that does not parse is a bug in kiln, caught by the tests
/// below; it reads as no defaults at all.
pub fn root() -> &'static Node {
    static ROOT: OnceLock<Node> = OnceLock::new();
    ROOT.get_or_init(|| {
        crate::yaml::parse_stream(TEXT, &ReadOptions::default())
            .documents
            .into_iter()
            .next()
            .unwrap_or_else(|| Node::new(Value::Map(Vec::new()), Span::default()))
    })
}

/// The defaults of every tenant's values.
pub fn values() -> Option<&'static Node> {
    root().get("values")
}

/// The defaults of the values of a service of a workload kind (`Deployment`, …), with
/// the position of the kind's key.
pub fn service(kind: &str) -> Option<(&'static Node, Span)> {
    let entry = root().get("services")?.entry(kind)?;
    Some((&entry.value, entry.key_span))
}

/// Fills in what a catalog service (`service`, as JSON) leaves out: the defaults of
/// any service, of its `kind`, and of the gateway if it is one. A
/// scalar or list default is added where the key is absent; a mapping default fills in
/// the mapping of that name the service has (each item, when it is a list), and adds
/// none.
pub fn fill_catalog_service(service: &mut Json) {
    let Some(kind) = service
        .get("kind")
        .and_then(Json::as_str)
        .map(str::to_string)
    else {
        return;
    };
    let gateway = service.get("gateway") == Some(&Json::Bool(true));
    let catalog = root().get("catalog");
    let sections = [
        Some("all"),
        Some(kind.as_str()),
        gateway.then_some("gateway"),
    ];
    for section in sections.into_iter().flatten() {
        if let Some(defaults) = catalog.and_then(|c| c.get(section)) {
            fill(service, &defaults.to_json());
        }
    }
}

/// Completes `kiln.yaml` (as JSON) from `settings`: every key it leaves out, at any
/// depth; an environment's `sync` from `settings.argocd.sync`.
pub fn complete_settings(settings: &mut Json) {
    let Some(defaults) = root().get("settings").map(Node::to_json) else {
        return;
    };
    add_missing(settings, &defaults);
    let sync = defaults
        .pointer("/argocd/sync")
        .cloned()
        .unwrap_or(Json::Null);
    if let Some(envs) = settings
        .get_mut("environments")
        .and_then(Json::as_object_mut)
    {
        for env in envs.values_mut() {
            if let Some(own) = env.get_mut("sync").filter(|s| s.is_object()) {
                add_missing(own, &sync);
            }
        }
    }
}

/// Completes a `pipeline.yaml` (as JSON) from `pipeline`: every key it leaves out, at
/// any depth, but `webui` only fills in the `webui` it has.
pub fn complete_pipeline(settings: &mut Json) {
    let Some(mut defaults) = root().get("pipeline").map(Node::to_json) else {
        return;
    };
    let webui = defaults
        .as_object_mut()
        .and_then(|d| d.remove("webui"))
        .unwrap_or(Json::Null);
    add_missing(settings, &defaults);
    if let Some(own) = settings.get_mut("webui").filter(|w| w.is_object()) {
        add_missing(own, &webui);
    }
}

/// Adds every key of `defaults` that `target` lacks, mappings merged key by key.
fn add_missing(target: &mut Json, defaults: &Json) {
    let (Json::Object(target), Json::Object(defaults)) = (target, defaults) else {
        return;
    };
    for (key, default) in defaults {
        match target.get_mut(key) {
            None | Some(Json::Null) => {
                target.insert(key.clone(), default.clone());
            }
            Some(present) => add_missing(present, default),
        }
    }
}

fn fill(target: &mut Json, defaults: &Json) {
    let (Json::Object(target), Json::Object(defaults)) = (target, defaults) else {
        return;
    };
    for (key, default) in defaults {
        match (target.get_mut(key), default) {
            (None, Json::Object(_)) => {}
            (None, _) => {
                target.insert(key.clone(), default.clone());
            }
            (Some(Json::Array(items)), Json::Object(_)) => {
                for item in items {
                    fill(item, default);
                }
            }
            (Some(present), Json::Object(_)) => fill(present, default),
            (Some(_), _) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_file_parses_without_problems() {
        let read = crate::yaml::parse_stream(TEXT, &ReadOptions::default());
        assert!(read.problems.is_empty(), "{:?}", read.problems);
        assert_eq!(read.documents.len(), 1);
        for key in ["values", "services", "catalog", "settings", "pipeline"] {
            assert!(root().get(key).is_some(), "no `{key}`");
        }
    }

    /// Layer 0 is held to the values schema like any layer: the `values`, and each
    /// kind's service defaults as the values of a service.
    #[test]
    fn the_defaults_are_valid_values() {
        let mut doc = crate::parse::Document {
            file: FILE.into(),
            root: values().cloned().unwrap(),
            text: TEXT.into(),
        };
        let problems = crate::schema::check("values", &doc).unwrap();
        assert!(problems.is_empty(), "{problems:?}");
        for kind in ["Deployment", "StatefulSet", "Job", "CronJob"] {
            let (node, span) = service(kind).unwrap();
            let one = crate::yaml::Entry {
                key: "x".into(),
                key_span: span,
                value: node.clone(),
            };
            let services = crate::yaml::Entry {
                key: "services".into(),
                key_span: span,
                value: Node::new(Value::Map(vec![one]), span),
            };
            doc.root = Node::new(Value::Map(vec![services]), span);
            let problems = crate::schema::check("values", &doc).unwrap();
            assert!(problems.is_empty(), "{kind}: {problems:?}");
        }
    }

    #[test]
    fn every_workload_kind_has_service_and_catalog_defaults() {
        for kind in ["Deployment", "StatefulSet", "Job", "CronJob"] {
            assert!(service(kind).is_some(), "{kind}");
            assert!(
                root().get("catalog").and_then(|c| c.get(kind)).is_some(),
                "{kind}"
            );
        }
    }

    #[test]
    fn settings_and_pipelines_are_completed_where_they_leave_keys_out() {
        let mut settings = json!({"argocd": {"namespace": "gitops"}, "environments": {"dev": {"sync": {"prune": false}}, "prod": {}}});
        complete_settings(&mut settings);
        assert_eq!(settings["argocd"]["namespace"], json!("gitops"));
        assert_eq!(
            settings["argocd"]["server"],
            json!("https://kubernetes.default.svc")
        );
        assert_eq!(settings["outputDir"], json!("out"));
        assert_eq!(
            settings["environments"]["dev"]["sync"],
            json!({"automated": true, "prune": false, "selfHeal": true})
        );
        assert_eq!(settings["environments"]["prod"], json!({}));
        let mut bare = json!({});
        complete_pipeline(&mut bare);
        assert_eq!(bare["sharedFolder"]["size"], json!("1Gi"));
        assert_eq!(bare.get("webui"), None);
        let mut with_webui =
            json!({"webui": {"host": "x.example.com", "tls": {"clusterIssuer": "le"}}});
        complete_pipeline(&mut with_webui);
        assert_eq!(
            with_webui["webui"]["tls"],
            json!({"clusterIssuer": "le", "enabled": true})
        );
        assert_eq!(
            with_webui["webui"]["controllerNamespace"],
            json!("ingress-nginx")
        );
    }

    #[test]
    fn mapping_defaults_fill_what_is_there_and_add_nothing() {
        let mut with_probes = json!({"kind": "Deployment", "probes": {"path": "/ready"}, "ports": [{"name": "http", "port": 80}, {"name": "dns", "port": 53, "protocol": "UDP"}]});
        fill_catalog_service(&mut with_probes);
        assert_eq!(with_probes["probes"]["initialDelaySeconds"], json!(5));
        assert_eq!(with_probes["probes"]["path"], json!("/ready"));
        assert_eq!(with_probes["ports"][0]["protocol"], json!("TCP"));
        assert_eq!(with_probes["ports"][1]["protocol"], json!("UDP"));
        assert_eq!(with_probes["configPath"], json!("/etc/config"));
        let mut bare = json!({"kind": "Job", "hook": "PreSync"});
        fill_catalog_service(&mut bare);
        assert_eq!(bare.get("probes"), None);
        assert_eq!(bare.get("endpoint"), None);
        assert_eq!(bare["hook"], json!("PreSync"));
        assert_eq!(bare.get("routesPath"), None);
        let mut gateway = json!({"kind": "Deployment", "gateway": true});
        fill_catalog_service(&mut gateway);
        assert_eq!(gateway["routesPath"], json!("/etc/nginx/conf.d"));
    }
}

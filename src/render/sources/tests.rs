use super::*;
use std::collections::BTreeSet;

#[test]
fn derived_keys_say_how_they_are_made() {
    assert_eq!(
        of(&["ingress", "tlsSecret"]),
        Some(vec![
            "derived:the tenant's name, as `<tenant>-tls`".to_string()
        ])
    );
    assert_eq!(
        of(&["ingress", "host"]),
        Some(vec!["/ingress/host".to_string()])
    );
}

fn keys(table: &[(&str, &[&str])]) -> BTreeSet<String> {
    table.iter().map(|(k, _)| k.to_string()).collect()
}

fn context_keys(v: &serde_json::Value) -> BTreeSet<String> {
    v.as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}

/// The tables name every key the context has, and no other: built on the root
/// workspace.
#[test]
fn the_tables_are_the_context() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let c = crate::compile::compile(root, crate::compile::Until::Explain).unwrap();
    let ws = c.workspace.as_ref().unwrap();
    let plan = c.plans.first().unwrap();
    let all = crate::render::context::instances(ws, plan);
    let inst = all.first().unwrap();
    let svc = serde_json::to_value(crate::render::context::instance_context(
        ws, plan, inst, &all,
    ))
    .unwrap();
    assert_eq!(context_keys(&svc), keys(SERVICE));
    let tenant =
        serde_json::to_value(crate::render::context::tenant_context(ws, plan, &all)).unwrap();
    assert_eq!(context_keys(&tenant), keys(TENANT));
    let ns = serde_json::to_value(crate::render::context::namespace_value(ws, plan, 0)).unwrap();
    assert_eq!(context_keys(&ns), keys(NAMESPACE));
}

/// Every key of the pipeline and node tables is a key of the context of some
/// pipeline of the root workspace (a list's items stand for the list).
#[test]
fn the_pipeline_tables_name_keys_of_the_context() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let c = crate::compile::compile(root, crate::compile::Until::Explain).unwrap();
    let ws = c.workspace.as_ref().unwrap();
    let has = |v: &serde_json::Value, key: &str| {
        key.split('.')
            .try_fold(v, |at, k| match at {
                serde_json::Value::Array(items) => items.first()?.get(k),
                other => other.get(k),
            })
            .is_some()
    };
    assert!(!c.pipelines.is_empty());
    for (key, _) in PIPELINE {
        let found = c.pipelines.iter().any(|p| {
            let ctx =
                serde_json::to_value(super::super::pipeline::pipeline_context(ws, p)).unwrap();
            has(&ctx["pipeline"], key)
        });
        assert!(found, "pipeline.{key}");
    }
    for (key, _) in NODE {
        let found = c
            .pipelines
            .iter()
            .flat_map(|p| p.nodes.iter().map(move |n| (p, n)))
            .any(|(p, n)| {
                has(
                    &serde_json::to_value(super::super::pipeline::node_context(p, n)).unwrap(),
                    key,
                )
            });
        assert!(found, "node.{key}");
    }
}

/// docs/templates.md documents every key of `svc`, `namespace` and the tenant
/// context, and no key the context lacks.
/// The keys named in the first column of the table under `title` in
/// docs/templates.md.
fn section(title: &str) -> BTreeSet<String> {
    let docs = include_str!("../../../docs/templates.md");
    let start = docs.find(title).unwrap();
    let body = &docs[start + title.len()..];
    let end = body.find("\n### ").unwrap_or(body.len());
    body[..end]
        .lines()
        .filter(|l| l.starts_with("| `"))
        .flat_map(|l| {
            let cell = l.split('|').nth(1).unwrap_or("");
            cell.split('`')
                .skip(1)
                .step_by(2)
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The first key of each documented path (`kiln` of `kiln.platform`).
fn tops(keys: BTreeSet<String>, prefix: &str) -> BTreeSet<String> {
    keys.into_iter()
        .filter_map(|k| {
            let k = k.strip_prefix(prefix)?.to_string();
            Some(k.split('.').next().unwrap_or("").to_string())
        })
        .collect()
}

/// The cluster, pipeline and node tables of docs/templates.md name exactly the keys
/// of their context types, built on the root workspace.
#[test]
fn the_docs_tables_of_the_other_scopes_are_their_types() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let c = crate::compile::compile(root, crate::compile::Until::Explain).unwrap();
    let ws = c.workspace.as_ref().unwrap();
    let cluster = serde_json::to_value(crate::render::context::cluster_context(ws)).unwrap();
    assert_eq!(
        tops(section("### Cluster context"), ""),
        context_keys(&cluster)
    );
    let p = c.pipelines.iter().find(|p| !p.nodes.is_empty()).unwrap();
    let scope = serde_json::to_value(super::super::pipeline::pipeline_context(ws, p)).unwrap();
    assert_eq!(
        tops(section("### Pipeline context"), "pipeline."),
        context_keys(&scope["pipeline"])
    );
    assert_eq!(
        tops(section("### Pipeline context"), ""),
        context_keys(&scope)
    );
    let node = serde_json::to_value(super::super::pipeline::node_context(p, &p.nodes[0])).unwrap();
    assert_eq!(
        tops(section("### Node context"), "node."),
        context_keys(&node)
    );
}

#[test]
fn the_docs_tables_are_the_context() {
    let service: BTreeSet<String> = section("### Service context")
        .into_iter()
        .filter_map(|k| k.strip_prefix("svc.").map(str::to_string))
        .collect();
    assert_eq!(service, keys(SERVICE));
    let namespace: BTreeSet<String> = section("### Namespace context")
        .into_iter()
        .filter_map(|k| k.strip_prefix("namespace.").map(str::to_string))
        .collect();
    assert_eq!(namespace, keys(NAMESPACE));
    let tenant: BTreeSet<String> = section("### Tenant context")
        .into_iter()
        .map(|k| k.split('.').next().unwrap_or("").to_string())
        .collect();
    assert_eq!(tenant, keys(TENANT));
}

#[test]
fn paths_resolve_to_value_pointers() {
    assert_eq!(
        of(&["svc", "autoscaling", "minReplicas"]).unwrap(),
        vec!["/services/{service}/autoscaling/minReplicas"]
    );
    assert_eq!(of(&["values", "quota"]).unwrap(), vec!["/quota"]);
    assert_eq!(
        of(&["svc", "runAsGroup"]).unwrap(),
        vec!["/security/runAsGroup", "/security/runAsUser"]
    );
    assert_eq!(of(&["svc", "nothing"]), None);
}

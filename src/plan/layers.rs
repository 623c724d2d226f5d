//! The layers of values a tenant's merge reads, in order: kiln's defaults, the
//! catalog's four, the tenant's environment, the tenant and its override.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::validate::{Tenant, Workspace};
use crate::yaml::node::escape_token;
use crate::yaml::{Entry, Node, Span, Value};

/// Where a layer's values sit in its file, so a value pointer can be shown as the
/// pointer inside the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LayerKind {
    /// kiln's own defaults (`src/defaults.yaml`): its `values`, and its `services`
    /// defaults by workload kind; the kind of each service.
    KilnDefaults(BTreeMap<String, &'static str>),
    /// A flag's `default` in the catalog.
    CatalogFlags,
    /// The catalog's `defaults`.
    CatalogDefaults,
    /// The catalog's `workloadDefaults`, applied to every service of a class; the class
    /// of each service.
    CatalogWorkloadDefaults(BTreeMap<String, &'static str>),
    /// Each service's `defaults` in the catalog.
    CatalogServiceDefaults,
    Environment,
    Tenant,
    /// The tenant's `overrides.<env>`.
    TenantOverride(String),
}

/// One layer of values.
#[derive(Clone, Debug)]
pub struct Layer {
    pub kind: LayerKind,
    /// What the layer is, for people: `catalog`, `environment prod`, `tenant`, …
    pub label: String,
    pub file: String,
    pub root: Node,
}

impl Layer {
    /// The pointer inside this layer's file of the value at `pointer` in the values.
    pub fn file_pointer(&self, pointer: &str) -> String {
        let mut tokens = crate::yaml::node::pointer_tokens(pointer);
        match &self.kind {
            LayerKind::KilnDefaults(kinds) => {
                if !pointer.starts_with("/services/") {
                    return format!("/values{pointer}");
                }
                let _services = tokens.next();
                let name = tokens.next().unwrap_or_default();
                let kind = kinds.get(&name).copied().unwrap_or_default();
                let rest: String = tokens.map(|t| format!("/{}", escape_token(&t))).collect();
                format!("/services/{kind}{rest}")
            }
            LayerKind::CatalogFlags => format!("{pointer}/default"),
            LayerKind::CatalogDefaults => format!("/defaults{pointer}"),
            LayerKind::CatalogWorkloadDefaults(classes) => {
                let _services = tokens.next();
                let name = tokens.next().unwrap_or_default();
                let class = classes.get(&name).copied().unwrap_or("service");
                let rest: String = tokens.map(|t| format!("/{}", escape_token(&t))).collect();
                format!("/workloadDefaults/{class}{rest}")
            }
            LayerKind::CatalogServiceDefaults => {
                let _services = tokens.next();
                let name = tokens.next().unwrap_or_default();
                let rest: String = tokens.map(|t| format!("/{}", escape_token(&t))).collect();
                format!("/services/{}/defaults{rest}", escape_token(&name))
            }
            LayerKind::Environment | LayerKind::Tenant => pointer.to_string(),
            LayerKind::TenantOverride(env) => format!("/overrides/{env}{pointer}"),
        }
    }
}

/// kiln's defaults as a layer: its `values`, and for every service of the catalog the
/// defaults of its workload kind at `services.<name>`, less what the catalog decides
/// for it (`replicas` under `fixedReplicas`, `autoscaling` when it cannot scale).
fn kiln_layer(ws: &Workspace) -> Layer {
    let mut entries: Vec<Entry> = crate::defaults::values()
        .map(|v| v.entries().to_vec())
        .unwrap_or_default();
    let mut services = Vec::new();
    let mut kinds = BTreeMap::new();
    for (name, svc) in &ws.catalog.services {
        kinds.insert(name.clone(), svc.kind.name());
        let Some((node, key_span)) = crate::defaults::service(svc.kind.name()) else {
            continue;
        };
        let decided = |key: &str| match key {
            "replicas" => svc.fixed_replicas.is_some(),
            "autoscaling" => svc.fixed_replicas.is_some() || !svc.autoscaling,
            _ => false,
        };
        let kept: Vec<Entry> = node
            .entries()
            .iter()
            .filter(|e| !decided(&e.key))
            .cloned()
            .collect();
        services.push(Entry {
            key: name.clone(),
            key_span,
            value: Node::new(Value::Map(kept), node.span),
        });
    }
    entries.push(Entry {
        key: "services".into(),
        key_span: Span::default(),
        value: Node::new(Value::Map(services), Span::default()),
    });
    Layer {
        kind: LayerKind::KilnDefaults(kinds),
        label: crate::defaults::LABEL.into(),
        file: crate::defaults::FILE.into(),
        root: Node::new(Value::Map(entries), Span::default()),
    }
}

/// The layers every tenant starts from: kiln's defaults, then the catalog's four.
pub(super) fn catalog_layers(ws: &Workspace) -> Vec<Layer> {
    let doc = &ws.catalog_doc;
    let layer = |kind: LayerKind, root| Layer {
        label: match &kind {
            LayerKind::CatalogFlags => "catalog flag default",
            LayerKind::CatalogDefaults => "catalog defaults",
            LayerKind::CatalogWorkloadDefaults(_) => "catalog workload defaults",
            _ => "catalog service defaults",
        }
        .into(),
        kind,
        file: doc.file.clone(),
        root,
    };
    let defaults = doc
        .root
        .get("defaults")
        .cloned()
        .unwrap_or(map(Vec::new(), Span::default()));
    let (classes, workload, service_defaults) = service_entries(ws);
    vec![
        kiln_layer(ws),
        layer(LayerKind::CatalogFlags, flag_defaults(ws)),
        layer(LayerKind::CatalogDefaults, defaults),
        layer(
            LayerKind::CatalogWorkloadDefaults(classes),
            under_services(workload),
        ),
        layer(
            LayerKind::CatalogServiceDefaults,
            under_services(service_defaults),
        ),
    ]
}

/// A map node of `entries`.
fn map(entries: Vec<Entry>, span: Span) -> Node {
    Node::new(Value::Map(entries), span)
}

/// An entry `key: value`.
fn entry(key: &str, key_span: Span, value: Node) -> Entry {
    Entry {
        key: key.to_string(),
        key_span,
        value,
    }
}

/// `services: {entries}`, the root of a layer of per-service values.
fn under_services(entries: Vec<Entry>) -> Node {
    map(
        vec![entry(
            "services",
            Span::default(),
            map(entries, Span::default()),
        )],
        Span::default(),
    )
}

/// The catalog flag defaults layer's root: `flags.<name>` is the flag's `default`,
/// located at it (or at the flag's key when it has none).
fn flag_defaults(ws: &Workspace) -> Node {
    let doc = &ws.catalog_doc;
    let mut flags = Vec::new();
    if let Some(f) = doc.root.get("flags") {
        for e in f.entries() {
            let span = e
                .value
                .entry("default")
                .map(|d| d.value.span)
                .unwrap_or(e.key_span);
            let on = ws.catalog.flags.get(&e.key).is_some_and(|f| f.default);
            flags.push(entry(&e.key, e.key_span, Node::new(Value::Bool(on), span)));
        }
    }
    map(
        vec![entry("flags", Span::default(), map(flags, Span::default()))],
        Span::default(),
    )
}

/// For every service of the catalog: its class, its class's `workloadDefaults` and
/// its own `defaults`.
fn service_entries(ws: &Workspace) -> (BTreeMap<String, &'static str>, Vec<Entry>, Vec<Entry>) {
    let doc = &ws.catalog_doc;
    let mut workload = Vec::new();
    let mut service_defaults = Vec::new();
    let mut classes = BTreeMap::new();
    if let Some(services) = doc.root.get("services") {
        for e in services.entries() {
            let class = ws
                .catalog
                .services
                .get(&e.key)
                .map(|s| s.kind.class())
                .unwrap_or("service");
            classes.insert(e.key.clone(), class);
            if let Some(w) = doc.root.get("workloadDefaults").and_then(|w| w.get(class)) {
                workload.push(entry(&e.key, e.key_span, w.clone()));
            }
            if let Some(d) = e.value.get("defaults") {
                service_defaults.push(entry(&e.key, e.key_span, d.clone()));
            }
        }
    }
    (classes, workload, service_defaults)
}

/// Each environment as a layer, shared by the tenants of that environment.
pub(super) fn environment_layers(ws: &Workspace) -> BTreeMap<&str, Arc<Layer>> {
    ws.environments
        .iter()
        .map(|(name, env)| {
            let layer = Layer {
                kind: LayerKind::Environment,
                label: format!("environment {name}"),
                file: env.file.clone(),
                root: env.root.clone(),
            };
            (name.as_str(), Arc::new(layer))
        })
        .collect()
}

/// The tenant's own layers: its spec without the keys that are not values, and its
/// override for its environment.
pub(super) fn tenant_layers(
    env_layers: &BTreeMap<&str, Arc<Layer>>,
    tenant: &Tenant,
) -> Vec<Arc<Layer>> {
    let mut layers = Vec::new();
    if let Some(env) = env_layers.get(tenant.environment.as_str()) {
        layers.push(Arc::clone(env));
    }
    let own: Vec<Entry> = tenant
        .doc
        .root
        .entries()
        .iter()
        .filter(|e| !matches!(e.key.as_str(), "environment" | "description" | "overrides"))
        .cloned()
        .collect();
    layers.push(Arc::new(Layer {
        kind: LayerKind::Tenant,
        label: "tenant".into(),
        file: tenant.doc.file.clone(),
        root: Node::new(Value::Map(own), tenant.doc.root.span),
    }));
    if let Some(o) = tenant
        .doc
        .root
        .get("overrides")
        .and_then(|o| o.get(&tenant.environment))
    {
        layers.push(Arc::new(Layer {
            kind: LayerKind::TenantOverride(tenant.environment.clone()),
            label: format!("tenant override for {}", tenant.environment),
            file: tenant.doc.file.clone(),
            root: o.clone(),
        }));
    }
    layers
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_pointers_of_catalog_layers() {
        let layer = |kind| Layer {
            kind,
            label: String::new(),
            file: String::new(),
            root: Node::new(Value::Null, Span::default()),
        };
        let kinds = BTreeMap::from([("a".to_string(), "StatefulSet")]);
        assert_eq!(
            layer(LayerKind::KilnDefaults(kinds.clone())).file_pointer("/services/a/storage/size"),
            "/services/StatefulSet/storage/size"
        );
        assert_eq!(
            layer(LayerKind::KilnDefaults(kinds)).file_pointer("/security/runAsUser"),
            "/values/security/runAsUser"
        );
        assert_eq!(
            layer(LayerKind::CatalogFlags).file_pointer("/flags/x"),
            "/flags/x/default"
        );
        assert_eq!(
            layer(LayerKind::CatalogDefaults).file_pointer("/quota/pods"),
            "/defaults/quota/pods"
        );
        let classes = BTreeMap::from([("a".to_string(), "job")]);
        assert_eq!(
            layer(LayerKind::CatalogWorkloadDefaults(classes))
                .file_pointer("/services/a/resources"),
            "/workloadDefaults/job/resources"
        );
        assert_eq!(
            layer(LayerKind::CatalogServiceDefaults).file_pointer("/services/a/replicas"),
            "/services/a/defaults/replicas"
        );
        assert_eq!(
            layer(LayerKind::TenantOverride("prod".into())).file_pointer("/flags/x"),
            "/overrides/prod/flags/x"
        );
    }
}

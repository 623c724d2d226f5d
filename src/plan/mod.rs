//! Stage 4: for every tenant, merge the value layers (kiln's defaults → catalog flag
//! defaults → catalog `defaults` → `workloadDefaults` → each service's `defaults` →
//! environment → tenant → the tenant's override for its environment; docs/values.md),
//! decide which flags and services
//! are on, and check what only the merged values can show (flag prerequisites, names
//! with prefixes, configuration a service reads).

pub mod effect;
pub mod merge;
pub mod pipeline;

use std::collections::BTreeMap;
use std::sync::Arc;

use rayon::prelude::*;
use serde_json::Value as Json;

use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::model::values::Values;
use crate::names;
use crate::validate::{Tenant, Workspace};
use crate::yaml::node::escape_token;
use crate::yaml::{Entry, Node, Span, Value};

pub use merge::{MNode, MValue, Origin};

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

/// Why a service is on or off.
#[derive(Clone, Debug, PartialEq)]
pub enum Reason {
    /// No flag gates it; `span` is its entry in the catalog.
    Always { span: Span },
    /// Its flag decides; `origin` is where the flag's value was set.
    Flag { flag: String, origin: Origin },
}

#[derive(Clone, Debug, PartialEq)]
pub struct ServiceDecision {
    pub on: bool,
    pub reason: Reason,
}

/// Everything decided about one tenant before rendering.
#[derive(Clone, Debug)]
pub struct TenantPlan {
    pub name: String,
    pub environment: String,
    pub file: String,
    /// Shared between tenants where they are the same (the catalog's, an environment's).
    pub layers: Vec<Arc<Layer>>,
    /// The merged values with the origin of each: kept for `kiln explain`
    /// (`Keep::All`), dropped by a build once the plan's checks are done.
    pub provenance: Option<MNode>,
    /// The merged values, typed: read once from the merged tree. Rendering reads
    /// these and nothing else of the layers.
    pub values: Values,
    pub flags: BTreeMap<String, (bool, Origin)>,
    pub services: BTreeMap<String, ServiceDecision>,
    /// The primary namespace first, then the extra namespaces in the order given.
    pub namespaces: Vec<String>,
    /// Every remote key of the tenant's credentials starts with one of these: its own
    /// `<secretStore.prefix>/<tenant>/` first, then `secretStore.sharedPrefixes`.
    pub key_prefixes: Vec<String>,
}

impl TenantPlan {
    /// The plan without the origins of its values (see `Keep::Lean`).
    fn lean(mut self) -> TenantPlan {
        self.provenance = None;
        self
    }

    /// A diagnostic located where the value at `pointer` was set.
    pub fn at_origin(&self, origin: Origin, pointer: &str, d: Diagnostic) -> Diagnostic {
        match self.layers.get(origin.layer) {
            Some(layer) => d
                .in_file(&layer.file)
                .at(origin.span)
                .pointer(layer.file_pointer(pointer)),
            None => d,
        }
    }

    pub fn enabled_services(&self) -> impl Iterator<Item = &str> {
        self.services
            .iter()
            .filter(|(_, d)| d.on)
            .map(|(n, _)| n.as_str())
    }
}

/// What a plan keeps once its checks are done.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Keep {
    /// Everything, provenance included (`kiln explain`).
    All,
    /// Not the origins of the merged values: a build renders from the typed values
    /// alone, so thousands of tenants do not each hold a tree of origins.
    Lean,
}

/// Plans every tenant (in parallel), sorted by name.
pub fn plan(ws: &Workspace, keep: Keep, diags: &mut Diagnostics) -> Vec<TenantPlan> {
    let catalog_layers: Vec<Arc<Layer>> = catalog_layers(ws).into_iter().map(Arc::new).collect();
    let env_layers: BTreeMap<&str, Arc<Layer>> = ws
        .environments
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
        .collect();
    let results: Vec<(Option<TenantPlan>, Vec<Diagnostic>)> = ws
        .tenants
        .par_iter()
        .map(|t| {
            let (plan, problems) = plan_tenant(ws, &catalog_layers, &env_layers, t);
            (
                plan.map(|p| if keep == Keep::Lean { p.lean() } else { p }),
                problems,
            )
        })
        .collect();
    let mut plans = Vec::new();
    let mut problems = Vec::new();
    for (p, ds) in results {
        problems.extend(ds);
        plans.extend(p);
    }
    diags.extend(merge_tenant_notes(problems));
    plans.sort_by(|a, b| a.name.cmp(&b.name));
    plans
}

/// Reports a problem that several tenants share (the same place and message, such as
/// a catalog entry) once, naming every tenant.
fn merge_tenant_notes(problems: Vec<Diagnostic>) -> Vec<Diagnostic> {
    let mut merged: Vec<(Diagnostic, Vec<String>)> = Vec::new();
    for mut d in problems {
        let tenant = d
            .notes
            .iter()
            .position(|n| n.starts_with("tenant `"))
            .map(|i| d.notes.remove(i));
        let same = merged.iter_mut().find(|(m, _)| {
            (&m.file, m.line, m.column, &m.message, &m.notes)
                == (&d.file, d.line, d.column, &d.message, &d.notes)
        });
        match same {
            Some((_, tenants)) => tenants.extend(tenant),
            None => merged.push((d, tenant.into_iter().collect())),
        }
    }
    merged
        .into_iter()
        .map(|(d, tenants)| match tenants.len() {
            0 => d,
            1 => d.note(tenants.concat()),
            _ => {
                let names: Vec<&str> = tenants
                    .iter()
                    .filter_map(|t| t.strip_prefix("tenant "))
                    .collect();
                d.note(format!("tenants {}", names.join(", ")))
            }
        })
        .collect()
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
fn catalog_layers(ws: &Workspace) -> Vec<Layer> {
    let doc = &ws.catalog_doc;
    let file = doc.file.clone();
    let layer = |kind: LayerKind, root| Layer {
        label: match &kind {
            LayerKind::CatalogFlags => "catalog flag default",
            LayerKind::CatalogDefaults => "catalog defaults",
            LayerKind::CatalogWorkloadDefaults(_) => "catalog workload defaults",
            _ => "catalog service defaults",
        }
        .into(),
        kind,
        file: file.clone(),
        root,
    };
    let map = |entries: Vec<Entry>, span| Node::new(Value::Map(entries), span);
    let entry = |key: &str, key_span, value| Entry {
        key: key.to_string(),
        key_span,
        value,
    };

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
    let flags = map(
        vec![entry("flags", Span::default(), map(flags, Span::default()))],
        Span::default(),
    );

    let defaults = doc
        .root
        .get("defaults")
        .cloned()
        .unwrap_or(map(Vec::new(), Span::default()));

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
    let under_services = |entries| {
        map(
            vec![entry(
                "services",
                Span::default(),
                map(entries, Span::default()),
            )],
            Span::default(),
        )
    };
    vec![
        kiln_layer(ws),
        layer(LayerKind::CatalogFlags, flags),
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

/// The tenant's own layers: its spec without the keys that are not values, and its
/// override for its environment.
fn tenant_layers(env_layers: &BTreeMap<&str, Arc<Layer>>, tenant: &Tenant) -> Vec<Arc<Layer>> {
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

fn plan_tenant(
    ws: &Workspace,
    catalog_layers: &[Arc<Layer>],
    env_layers: &BTreeMap<&str, Arc<Layer>>,
    tenant: &Tenant,
) -> (Option<TenantPlan>, Vec<Diagnostic>) {
    let mut layers = catalog_layers.to_vec();
    layers.extend(tenant_layers(env_layers, tenant));
    let mut merged: Option<MNode> = None;
    for (i, layer) in layers.iter().enumerate() {
        merged = merge::merge(merged, &layer.root, i, None);
    }
    let merged = merged.unwrap_or_else(|| {
        MNode::empty_map(Origin {
            layer: 0,
            span: Span::default(),
        })
    });
    let values = merged.to_json();

    let mut flags = BTreeMap::new();
    for name in ws.catalog.flags.keys() {
        let node = merged.at(&format!("/flags/{}", escape_token(name)));
        let on = node
            .map(|n| n.to_json() == Json::Bool(true))
            .unwrap_or(false);
        let origin = node.map(|n| n.origin).unwrap_or(Origin {
            layer: 0,
            span: Span::default(),
        });
        flags.insert(name.clone(), (on, origin));
    }

    let mut services = BTreeMap::new();
    for (name, svc) in &ws.catalog.services {
        let decision = match &svc.flag {
            None => ServiceDecision {
                on: true,
                reason: Reason::Always {
                    span: ws
                        .catalog_doc
                        .root
                        .get("services")
                        .and_then(|s| s.entry(name))
                        .map(|e| e.key_span)
                        .unwrap_or_default(),
                },
            },
            Some(flag) => {
                let (on, origin) = flags.get(flag).copied().unwrap_or((
                    false,
                    Origin {
                        layer: 0,
                        span: Span::default(),
                    },
                ));
                ServiceDecision {
                    on,
                    reason: Reason::Flag {
                        flag: flag.clone(),
                        origin,
                    },
                }
            }
        };
        services.insert(name.clone(), decision);
    }

    let mut namespaces = vec![tenant.name.clone()];
    if let Some(Json::Array(extra)) = values.get("extraNamespaces") {
        namespaces.extend(
            extra
                .iter()
                .filter_map(Json::as_str)
                .map(|e| names::derived::extra_namespace(&tenant.name, e)),
        );
    }

    let key_prefixes = key_prefixes(&values, &tenant.name);
    // Every layer fits the values schema, and the types have its keys (a test holds
    // them equal): a failure here is kiln's, reported rather than hidden.
    let typed = match Values::from_json(&values) {
        Ok(typed) => typed,
        Err(e) => {
            let d = Diagnostic::error(
                Code::InvalidInput,
                format!(
                    "the merged values of tenant `{}` cannot be read: {e}",
                    tenant.name
                ),
            )
            .in_file(&tenant.doc.file);
            return (None, vec![d]);
        }
    };
    let plan = TenantPlan {
        name: tenant.name.clone(),
        environment: tenant.environment.clone(),
        file: tenant.doc.file.clone(),
        layers,
        provenance: None,
        values: typed,
        flags,
        services,
        namespaces,
        key_prefixes,
    };
    let mut problems = check(ws, &plan, &merged);
    problems.extend(effect::check(ws, &plan, &merged));
    let plan = TenantPlan {
        provenance: Some(merged),
        ..plan
    };
    let ok = !problems.iter().any(Diagnostic::is_error);
    (ok.then_some(plan), problems)
}

/// No pipeline of its own namespace may claim a reserved one (see
/// [`names::reserved_namespace`]).
pub fn check_pipeline_namespaces(
    ws: &Workspace,
    pipelines: &[pipeline::PipelinePlan],
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for p in pipelines.iter().filter(|p| p.own_namespace) {
        let Some(why) = names::reserved_namespace(&p.namespace, &ws.platform_namespaces) else {
            continue;
        };
        let source = ws.pipelines.iter().find(|x| x.name == p.name);
        let settings = source.and_then(|s| {
            s.settings.namespace.as_ref()?;
            s.settings_file.clone()
        });
        let d = Diagnostic::error(
            Code::ReservedNamespace,
            format!(
                "pipeline `{}` would claim a reserved namespace: {why}",
                p.name
            ),
        )
        .hint("give the pipeline another `namespace` in its `pipeline.yaml`, or rename its folder");
        out.push(match settings {
            Some(file) => d.in_file(file).pointer("/namespace"),
            None => d.in_file(&p.file),
        });
    }
    out
}

/// Where a tenant's remote keys may be: its own `<secretStore.prefix>/<tenant>/`, then
/// the platform-wide `secretStore.sharedPrefixes`.
pub fn key_prefixes(values: &Json, tenant: &str) -> Vec<String> {
    let prefix = values
        .pointer("/secretStore/prefix")
        .and_then(Json::as_str)
        .unwrap_or("")
        .trim_matches('/');
    let own = if prefix.is_empty() {
        format!("{tenant}/")
    } else {
        format!("{prefix}/{tenant}/")
    };
    let shared = values
        .pointer("/secretStore/sharedPrefixes")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
        .filter_map(Json::as_str)
        .map(str::to_string);
    std::iter::once(own).chain(shared).collect()
}

/// Whether a remote key is one a tenant may read: under one of its prefixes, with no
/// `.` or `..` segment.
pub fn key_allowed(prefixes: &[String], key: &str) -> bool {
    prefixes.iter().any(|p| key.starts_with(p.as_str()))
        && !key.split('/').any(|s| s == ".." || s == ".")
}

/// How a tenant's prefixes read in a message: `dataplane/acme/*`, `shared/llm/*`.
pub fn describe_prefixes(prefixes: &[String]) -> String {
    crate::suggest::code_list(
        prefixes
            .iter()
            .map(|p| format!("{p}*"))
            .collect::<Vec<_>>()
            .iter(),
    )
}

/// The secret store is the platform's: no tenant layer may set it, and every remote key
/// a tenant names is under its own prefix, so no tenant reads another's secrets.
fn check_secret_scope(plan: &TenantPlan, merged: &MNode, out: &mut Vec<Diagnostic>) -> bool {
    let mut tenant_set_store = false;
    // Any mention in a tenant layer, `null` included.
    for (i, layer) in plan.layers.iter().enumerate() {
        if !matches!(layer.kind, LayerKind::Tenant | LayerKind::TenantOverride(_)) {
            continue;
        }
        if let Some(entry) = layer.root.entry("secretStore") {
            out.push(
                plan.at_origin(
                    Origin {
                        layer: i,
                        span: entry.key_span,
                    },
                    "/secretStore",
                    Diagnostic::error(Code::TenantSecretStore, "a tenant cannot set `secretStore`"),
                )
                .hint("the secret store is the platform's: it is set in the catalog's `defaults` or an environment overlay, and reads only the tenant's own keys")
                .note(format!("tenant `{}`", plan.name)),
            );
            tenant_set_store = true;
        }
    }
    let Some(MValue::Map(credentials)) = merged.get("credentials").map(|c| &c.value) else {
        return tenant_set_store;
    };
    for (name, c) in credentials {
        let Some(key) = c.get("key") else { continue };
        let Some(text) = key.to_json().as_str().map(str::to_string) else {
            continue;
        };
        if !key_allowed(&plan.key_prefixes, &text) {
            let own = plan.key_prefixes.first().map(String::as_str).unwrap_or("");
            out.push(
                plan.at_origin(
                    key.origin,
                    &format!("/credentials/{}/key", escape_token(name)),
                    Diagnostic::error(
                        Code::RemoteKeyOutsideScope,
                        format!(
                            "remote key `{text}` is outside tenant `{}`'s keys, {}",
                            plan.name,
                            describe_prefixes(&plan.key_prefixes)
                        ),
                    ),
                )
                .hint(format!(
                    "a tenant reads only its own secrets: use a key under `{own}`"
                )),
            );
        }
    }
    tenant_set_store
}

/// Checks that need the merged values (`merged`, with their origins).
fn check(ws: &Workspace, plan: &TenantPlan, merged: &MNode) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let tenant_set_store = check_secret_scope(plan, merged, &mut out);
    for (name, (on, origin)) in &plan.flags {
        if !on {
            continue;
        }
        let Some(flag) = ws.catalog.flags.get(name) else {
            continue;
        };
        let missing: Vec<&String> = flag
            .requires
            .iter()
            .filter(|r| !plan.flags.get(*r).is_some_and(|f| f.0))
            .collect();
        if missing.is_empty() {
            continue;
        }
        let list = crate::suggest::code_list(missing.iter());
        let message = if missing.len() == 1 {
            format!("flag `{name}` requires flag {list}, which is off")
        } else {
            format!("flag `{name}` requires flags {list}, which are off")
        };
        out.push(
            plan.at_origin(
                *origin,
                &format!("/flags/{name}"),
                Diagnostic::error(Code::FlagPrerequisite, message),
            )
            .hint(format!("turn on {list} in `flags`, or turn off `{name}`"))
            .note(format!("tenant `{}`", plan.name)),
        );
    }
    if let Some(extra) = merged.get("extraNamespaces") {
        if let MValue::List(items) = &extra.value {
            for (i, item) in items.iter().enumerate() {
                let Some(ns) = plan.namespaces.get(i + 1) else {
                    continue;
                };
                if let Some(why) = names::reserved_namespace(ns, &ws.platform_namespaces) {
                    out.push(
                        plan.at_origin(
                            item.origin,
                            &format!("/extraNamespaces/{i}"),
                            Diagnostic::error(
                                Code::ReservedNamespace,
                                format!("extra namespace `{ns}` is reserved: {why}"),
                            ),
                        )
                        .hint("extra namespaces are named `<tenant>-<name>`; choose another name"),
                    );
                }
                if ns.len() > names::MAX_LABEL {
                    out.push(
                        plan.at_origin(
                            item.origin,
                            &format!("/extraNamespaces/{i}"),
                            Diagnostic::error(
                                Code::NameTooLong,
                                format!(
                                    "namespace `{ns}` is {} characters long, over the limit of {}",
                                    ns.len(),
                                    names::MAX_LABEL
                                ),
                            ),
                        )
                        .hint("extra namespaces are named `<tenant>-<name>`; use a shorter name"),
                    );
                }
            }
        }
    }
    let config = plan.values.config.as_ref();
    for name in plan.enabled_services() {
        let Some(svc) = ws.catalog.services.get(name) else {
            continue;
        };
        let missing = |field: &str, message: String| {
            crate::validate::located(
                &ws.catalog_doc,
                &format!("/services/{}{field}", escape_token(name)),
                Diagnostic::error(Code::MissingValue, message),
            )
        };
        let store = plan.values.secret_store.as_ref();
        let has_store = store.is_some_and(|s| s.name.is_some() && s.vault.is_some());
        if !svc.credentials.is_empty() && !has_store && !tenant_set_store {
            let d = missing("/credentials", format!(
                "service `{name}` reads credentials, and no layer sets `secretStore.name` and `secretStore.vault`"
            ));
            out.push(
                d.hint("set the secret store in the catalog's `defaults`: `secretStore: {name: tenant-secrets, prefix: <prefix>, vault: {server: <url>, path: secret, version: v2, authMountPath: kubernetes}}`")
                    .note(format!("tenant `{}`", plan.name)),
            );
        }
        for (i, key) in svc.reads.iter().enumerate() {
            if key == "*" || config.and_then(|c| c.get(key)).is_some() {
                continue;
            }
            let pointer = format!("/config/{}", escape_token(key));
            // The last layer that removed it with `null`, if one did.
            let removed = plan.layers.iter().enumerate().rev().find_map(|(l, layer)| {
                let found = layer.root.locate(&pointer);
                (found.complete && found.node.is_null()).then_some((l, found.node.span))
            });
            let d = match removed {
                Some((layer, span)) => plan
                    .at_origin(
                        Origin { layer, span },
                        &pointer,
                        Diagnostic::error(Code::RemovedConfigKey, format!(
                            "configuration key `{key}` is removed here, and service `{name}` reads it"
                        )),
                    )
                    .hint(format!("keep a value for `config.{key}`, or turn `{name}` off")),
                None => {
                    missing(&format!("/reads/{i}"), format!("service `{name}` reads configuration key `{key}`, which no layer sets"))
                    .hint(format!("set `config.{key}` in the catalog's `defaults` or an environment overlay"))
                }
            };
            out.push(d.note(format!("tenant `{}`", plan.name)));
        }
        if svc.kind == crate::model::WorkloadKind::CronJob
            && plan
                .values
                .service(name)
                .and_then(|v| v.schedule.as_ref())
                .is_none()
        {
            let d = missing("", format!("CronJob `{name}` has no schedule"));
            out.push(
                d.hint(format!(
                    "set `services.{name}.schedule` in the service's `defaults`"
                ))
                .note(format!("tenant `{}`", plan.name)),
            );
        }
        if svc.database.name(name).is_some()
            && plan
                .values
                .database
                .as_ref()
                .and_then(|d| d.host.as_ref())
                .is_none()
        {
            let d = missing(
                "/database",
                format!("service `{name}` needs a database, and no layer sets `database.host`"),
            );
            out.push(d.note(format!("tenant `{}`", plan.name)));
        }
    }
    out
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

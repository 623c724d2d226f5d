//! Stage 3: validate every input against its schema and against the others, and produce
//! the typed [`Workspace`]. Every problem found is collected; none stops the others from
//! being found.

pub mod blueprint;
mod catalog;
pub mod secrets;
mod settings;
mod tenant;
mod values;

use std::collections::BTreeMap;

use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::load::SourceFile;
use crate::model::{Catalog, Settings};
use crate::parse::{Document, Parsed};
use crate::schema;
use crate::suggest;
use crate::yaml::Node;

pub use values::known_credentials;

/// Longest tenant name: leaves room for the `-platform`/`-workloads` suffixes of its
/// applications within a 63-character label value.
pub const MAX_TENANT_NAME: usize = 53;

/// A validated workspace: typed settings and catalog, and the value layers still as
/// located YAML trees (the plan merges them and keeps their positions).
#[derive(Debug)]
pub struct Workspace {
    pub settings: Settings,
    pub catalog: Catalog,
    pub catalog_doc: Document,
    /// Environment overlays by environment name; every environment in `kiln.yaml` has
    /// one (an empty one when no file exists).
    pub environments: BTreeMap<String, Document>,
    pub tenants: Vec<Tenant>,
    pub templates: BTreeMap<String, SourceFile>,
    /// Schemas of custom resources from `crds/`, by `<group>/<version> <Kind>`.
    pub crds: BTreeMap<String, crate::crd::CrdSchema>,
    /// Which kinds are cluster-scoped: the built-in ones and those of `crds/`.
    pub scopes: crate::kube::Scopes,
    /// Pipelines from `blueprints/`, by name.
    pub pipelines: Vec<blueprint::Pipeline>,
    /// The names of every tenant file, valid or not (for references to tenants).
    pub tenant_names: Vec<String>,
    /// Namespaces the platform runs in, which no tenant or pipeline may claim: Argo
    /// CD's, and every `network.ingressControllerNamespace` / `monitoringNamespace` of
    /// kiln's defaults, the catalog's defaults and the environment overlays.
    pub platform_namespaces: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct Tenant {
    pub name: String,
    pub environment: String,
    pub doc: Document,
}

/// Validates everything; returns the workspace when there is no error.
pub fn validate(mut parsed: Parsed, diags: &mut Diagnostics) -> anyhow::Result<Option<Workspace>> {
    let settings = match &parsed.settings {
        Some(doc) => typed::<Settings>("kiln", doc, Settings::from_json, diags)?,
        None => None,
    };
    if let (Some(s), Some(doc)) = (&settings, &parsed.settings) {
        settings::check_settings(s, doc, diags);
    }
    let catalog = catalog(&parsed, diags)?;
    for doc in parsed.settings.iter().chain(parsed.catalog.iter()) {
        diags.extend(secrets::check(doc));
    }
    let crds = crd_schemas(&parsed, diags);

    let env_names = declared_environments(&mut parsed, settings.as_ref());
    check_environments(
        &parsed,
        &env_names,
        settings.is_some(),
        catalog.as_ref(),
        diags,
    )?;

    let platform_namespaces = platform_namespaces(settings.as_ref(), &parsed);

    // Tenants are checked one by one; a broken tenant does not keep the others from
    // being planned (and their problems found) in the same run.
    let shared_errors = diags.error_count();
    let known = tenant::Known {
        env_names: &env_names,
        have_settings: settings.is_some(),
        catalog: catalog.as_ref(),
        platform_namespaces: &platform_namespaces,
    };
    let mut tenants = tenant::check_tenants(&parsed, &known, diags)?;
    let mut pipelines = Vec::new();
    for p in &parsed.pipelines {
        pipelines.extend(blueprint::check(p, diags)?);
    }
    if parsed.tenants.is_empty() && parsed.pipelines.is_empty() && !diags.has_errors() {
        diags.push(
            Diagnostic::error(Code::NoTenants, "the workspace has no tenants")
                .in_file("tenants/")
                .hint("add a tenant spec, e.g. `tenants/acme.yaml` holding `environment: dev`, or a pipeline in `blueprints/<name>/blueprint.json`"),
        );
    }

    let (Some(settings), Some(catalog), Some(catalog_doc)) = (settings, catalog, parsed.catalog)
    else {
        return Ok(None);
    };
    if shared_errors > 0 {
        return Ok(None);
    }
    let environments = every_environment(parsed.environments, &settings);
    tenants.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(Some(Workspace {
        settings,
        catalog,
        catalog_doc,
        environments,
        tenants,
        templates: parsed.templates,
        scopes: crate::kube::Scopes::new(
            crds.iter()
                .filter(|(_, c)| c.cluster_scoped)
                .filter_map(|(key, _)| key.split_once(' ').map(|(_, kind)| kind.to_string())),
        ),
        crds,
        pipelines,
        tenant_names: parsed.tenants.iter().map(|t| t.stem.clone()).collect(),
        platform_namespaces,
    }))
}

/// The environments `kiln.yaml` declares (none without it). Embedded overlays apply
/// only to those: the others are dropped from `parsed`, unless there is no `kiln.yaml`.
fn declared_environments(parsed: &mut Parsed, settings: Option<&Settings>) -> Vec<String> {
    let env_names: Vec<String> = settings
        .map(|s| s.environments.keys().cloned().collect())
        .unwrap_or_default();
    parsed.environments.retain(|name, doc| {
        !doc.file.starts_with(crate::load::EMBEDDED_PREFIX)
            || settings.is_none()
            || env_names.contains(name)
    });
    env_names
}

/// The typed catalog, checked on its own and its `defaults` as a values layer; `None`
/// when there is none or it does not fit its schema (reported).
fn catalog(parsed: &Parsed, diags: &mut Diagnostics) -> anyhow::Result<Option<Catalog>> {
    let catalog = match &parsed.catalog {
        Some(doc) => typed::<Catalog>("catalog", doc, Catalog::from_json, diags)?,
        None => {
            diags.push(
                Diagnostic::error(Code::NoCatalog, "the workspace has no platform catalog")
                    .in_file("templates/catalog.yaml"),
            );
            None
        }
    };
    if let (Some(c), Some(doc)) = (&catalog, &parsed.catalog) {
        diags.extend(catalog::check(c, doc));
        if let Some(defaults) = doc.root.get("defaults") {
            diags.extend(values::check(c, defaults, &doc.file, "/defaults"));
        }
    }
    Ok(catalog)
}

/// The schemas of the custom resources of `crds/`, by `<group>/<version> <Kind>`.
fn crd_schemas(
    parsed: &Parsed,
    diags: &mut Diagnostics,
) -> BTreeMap<String, crate::crd::CrdSchema> {
    let mut crds = BTreeMap::new();
    for (doc, docs) in &parsed.crds {
        let (schemas, problems) = crate::crd::schemas(doc, docs);
        diags.extend(problems);
        crds.extend(schemas);
    }
    crds
}

/// Checks each environment overlay: its schema, credentials, that `kiln.yaml` declares
/// its environment, and its values against the catalog.
fn check_environments(
    parsed: &Parsed,
    env_names: &[String],
    have_settings: bool,
    catalog: Option<&Catalog>,
    diags: &mut Diagnostics,
) -> anyhow::Result<()> {
    for (name, doc) in &parsed.environments {
        diags.extend(schema::check("environment", doc)?);
        diags.extend(secrets::check(doc));
        if have_settings && !env_names.contains(name) {
            diags.push(
                located(
                    doc,
                    "",
                    Diagnostic::error(
                        Code::UndeclaredEnvironment,
                        format!(
                            "overlay for environment `{name}`, which `kiln.yaml` does not declare"
                        ),
                    ),
                )
                .hint_opt(suggest::did_you_mean(
                    name,
                    env_names.iter().map(String::as_str),
                ))
                .note("the environments are the keys of `environments` in kiln.yaml"),
            );
        }
        if let Some(c) = catalog {
            diags.extend(values::check(c, &doc.root, &doc.file, ""));
        }
    }
    Ok(())
}

/// The overlays by environment, with an empty one for each environment of `kiln.yaml`
/// that has no file.
fn every_environment(
    mut environments: BTreeMap<String, Document>,
    settings: &Settings,
) -> BTreeMap<String, Document> {
    for name in settings.environments.keys() {
        environments
            .entry(name.clone())
            .or_insert_with(|| Document {
                file: format!("templates/environments/{name}.yaml"),
                root: crate::yaml::Node::new(
                    crate::yaml::Value::Map(Vec::new()),
                    Default::default(),
                ),
                text: String::new(),
            });
    }
    environments
}

/// Schema-checks a document and reads it into its type with `read`.
fn typed<T>(
    kind: &str,
    doc: &Document,
    read: impl FnOnce(serde_json::Value) -> serde_json::Result<T>,
    diags: &mut Diagnostics,
) -> anyhow::Result<Option<T>> {
    let problems = schema::check(kind, doc)?;
    if !problems.is_empty() {
        diags.extend(problems);
        return Ok(None);
    }
    match read(doc.root.to_json()) {
        Ok(v) => Ok(Some(v)),
        Err(e) => {
            diags.push(
                Diagnostic::error(Code::InvalidInput, format!("cannot read {kind}: {e}"))
                    .in_file(&doc.file),
            );
            Ok(None)
        }
    }
}

/// The namespaces the platform runs in (see [`Workspace::platform_namespaces`]).
fn platform_namespaces(settings: Option<&Settings>, parsed: &Parsed) -> Vec<String> {
    let mut out: Vec<String> = settings
        .map(|s| s.argocd.namespace.clone())
        .into_iter()
        .collect();
    let layers = crate::defaults::values()
        .into_iter()
        .chain(parsed.catalog.iter().filter_map(|c| c.root.get("defaults")))
        .chain(parsed.environments.values().map(|e| &e.root));
    for layer in layers {
        for key in ["ingressControllerNamespace", "monitoringNamespace"] {
            if let Some(ns) = layer
                .get("network")
                .and_then(|n| n.get(key))
                .and_then(Node::as_str)
            {
                out.push(ns.to_string());
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// A diagnostic at `pointer` in `doc`: at the key when the pointer names a mapping entry.
pub fn located(doc: &Document, pointer: &str, d: Diagnostic) -> Diagnostic {
    if pointer.is_empty() {
        return d.in_file(&doc.file).pointer(pointer);
    }
    let found = doc.root.locate(pointer);
    let span = if found.complete {
        found.key_span.unwrap_or(found.node.span)
    } else {
        found.node.span
    };
    d.in_file(&doc.file).at(span).pointer(pointer)
}

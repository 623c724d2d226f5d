//! Stage 3: validate every input against its schema and against the others, and produce
//! the typed [`Workspace`]. Every problem found is collected; none stops the others from
//! being found.

pub mod blueprint;
mod catalog;
pub mod secrets;
mod values;

use std::collections::BTreeMap;

use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::load::SourceFile;
use crate::model::{Catalog, Settings};
use crate::names;
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
pub fn validate(parsed: Parsed, diags: &mut Diagnostics) -> anyhow::Result<Option<Workspace>> {
    let settings = match &parsed.settings {
        Some(doc) => typed::<Settings>("kiln", doc, Settings::from_json, diags)?,
        None => None,
    };
    if let (Some(s), Some(doc)) = (&settings, &parsed.settings) {
        check_settings(s, doc, diags);
    }
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
    for doc in parsed.settings.iter().chain(parsed.catalog.iter()) {
        diags.extend(secrets::check(doc));
    }
    let mut crds = BTreeMap::new();
    for (doc, docs) in &parsed.crds {
        let (schemas, problems) = crate::crd::schemas(doc, docs);
        diags.extend(problems);
        crds.extend(schemas);
    }

    let env_names: Vec<String> = settings
        .as_ref()
        .map(|s| s.environments.keys().cloned().collect())
        .unwrap_or_default();
    // Embedded overlays apply only to the environments the workspace declares.
    let mut parsed = parsed;
    parsed.environments.retain(|name, doc| {
        !doc.file.starts_with(crate::load::EMBEDDED_PREFIX)
            || settings.is_none()
            || env_names.contains(name)
    });
    for (name, doc) in &parsed.environments {
        diags.extend(schema::check("environment", doc)?);
        diags.extend(secrets::check(doc));
        if settings.is_some() && !env_names.contains(name) {
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
        if let Some(c) = &catalog {
            diags.extend(values::check(c, &doc.root, &doc.file, ""));
        }
    }

    let platform_namespaces = platform_namespaces(settings.as_ref(), &parsed);

    // Tenants are checked one by one; a broken tenant does not keep the others from
    // being planned (and their problems found) in the same run.
    let shared_errors = diags.error_count();
    let mut tenants = Vec::new();
    let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
    for t in &parsed.tenants {
        if let Some(first) = seen.insert(&t.stem, &t.doc.file) {
            diags.push(
                Diagnostic::error(Code::DuplicateTenant, format!("a second spec for tenant `{}`", t.stem))
                    .in_file(&t.doc.file)
                    .note(format!("the first is `{first}`"))
                    .hint("keep one file per tenant: `tenants/<name>.yaml` and `tenants/<name>.yml` name the same tenant"),
            );
            continue;
        }
        if let Some(why) = names::reserved_namespace(&t.stem, &platform_namespaces) {
            diags.push(
                Diagnostic::error(
                    Code::ReservedNamespace,
                    format!(
                        "tenant `{}` would claim a reserved namespace: {why}",
                        t.stem
                    ),
                )
                .in_file(&t.doc.file)
                .hint("a tenant's name is its namespace; rename the file"),
            );
            continue;
        }
        if let Some(tenant) =
            check_tenant(t, &env_names, settings.is_some(), catalog.as_ref(), diags)?
        {
            tenants.push(tenant);
        }
    }
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
    let mut environments = parsed.environments;
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

fn check_settings(settings: &Settings, doc: &Document, diags: &mut Diagnostics) {
    let supported = crate::kube::supported_versions();
    if !supported.contains(&settings.kubernetes_version) {
        diags.push(
            located(
                doc,
                "/kubernetesVersion",
                Diagnostic::error(Code::UnsupportedKubernetesVersion, format!(
                    "kiln has no Kubernetes schemas for version `{}`, so it cannot validate its output",
                    settings.kubernetes_version
                )),
            )
            .hint(format!(
                "kiln validates against {}; docs/validation.md says how to add a version",
                crate::suggest::code_list(&supported)
            )),
        );
    }
    let plain = |path: &str| {
        path.split('/')
            .all(|seg| !seg.is_empty() && seg != "." && seg != "..")
    };
    if !plain(&settings.output_dir) {
        diags.push(
            located(
                doc,
                "/outputDir",
                Diagnostic::error(
                    Code::OutputDir,
                    format!(
                        "`outputDir` `{}` is not a plain path inside the workspace",
                        settings.output_dir
                    ),
                ),
            )
            .hint("name a folder inside the workspace without `.` or `..`, such as `out`"),
        );
    }
    // Inputs kiln reads, and what a workspace repository holds besides.
    for input in INPUTS {
        let inside = |a: &str, b: &str| a == b || a.starts_with(&format!("{b}/"));
        let out = settings.output_dir.as_str();
        if inside(out, input) || inside(input, out) {
            diags.push(
                located(
                    doc,
                    "/outputDir",
                    Diagnostic::error(Code::OutputDir, format!(
                        "`outputDir` `{out}` overlaps the workspace's `{input}`"
                    )),
                )
                .hint("the output must be a folder of its own, such as `out`: kiln replaces what it writes there"),
            );
        }
    }
    if !settings.repo_path.is_empty() && !plain(&settings.repo_path) {
        diags.push(
            located(
                doc,
                "/repoPath",
                Diagnostic::error(Code::RepoPath, format!(
                    "`repoPath` `{}` is not a plain path inside the rendered repository",
                    settings.repo_path
                )),
            )
            .hint("name a folder of the repository without `.` or `..`, or leave it empty for the root"),
        );
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

/// What a workspace holds besides its output: `outputDir` may be none of these, nor
/// inside one, nor hold one.
const INPUTS: [&str; 10] = [
    "kiln.yaml",
    "templates",
    "tenants",
    "blueprints",
    "crds",
    "schemas",
    "src",
    "tests",
    "docs",
    ".git",
];

fn check_tenant(
    t: &crate::parse::TenantDocument,
    env_names: &[String],
    have_settings: bool,
    catalog: Option<&Catalog>,
    diags: &mut Diagnostics,
) -> anyhow::Result<Option<Tenant>> {
    let doc = &t.doc;
    let mut ok = true;
    if let Some((_, base)) = t.stem.rsplit_once('/') {
        diags.push(
            Diagnostic::error(
                Code::TenantInSubfolder,
                "tenant spec in a subfolder of `tenants/`",
            )
            .in_file(&doc.file)
            .hint(format!(
                "kiln reads tenant specs directly in `tenants/`; move it to `tenants/{base}.yaml`"
            )),
        );
        ok = false;
    } else if let Some(problem) = names::label_problem(&t.stem) {
        let cleaned = names::clean(&t.stem);
        let hint = if cleaned.is_empty() {
            "name the file `<name>.yaml` with a lower-case name of letters, digits and `-`"
                .to_string()
        } else {
            format!("rename the file to `tenants/{cleaned}.yaml`")
        };
        diags.push(
            Diagnostic::error(
                Code::InvalidName,
                format!(
                    "tenant name `{}` (the file name) is not a valid DNS-1123 label: {problem}",
                    t.stem
                ),
            )
            .in_file(&doc.file)
            .hint(hint)
            .note("the tenant's name is its namespace and a folder in the output"),
        );
        ok = false;
    } else if t.stem.len() > MAX_TENANT_NAME {
        diags.push(
            Diagnostic::error(
                Code::InvalidName,
                format!(
                    "tenant name `{}` is {} characters long, over the limit of {MAX_TENANT_NAME}",
                    t.stem,
                    t.stem.len()
                ),
            )
            .in_file(&doc.file)
            .hint("the name gets suffixes such as `-workloads` and must stay within 63 characters"),
        );
        ok = false;
    }
    let problems = schema::check("tenant", doc)?;
    ok &= problems.is_empty();
    diags.extend(problems);
    diags.extend(secrets::check(doc));
    let environment = doc
        .root
        .get("environment")
        .and_then(|e| e.as_str())
        .map(str::to_string);
    if let Some(env) = &environment {
        if have_settings && !env_names.contains(env) {
            diags.push(
                located(
                    doc,
                    "/environment",
                    Diagnostic::error(
                        Code::UnknownEnvironment,
                        format!("unknown environment `{env}`"),
                    ),
                )
                .hint_opt(
                    suggest::did_you_mean(env, env_names.iter().map(String::as_str)).or_else(
                        || {
                            Some(format!(
                                "the environments in kiln.yaml are {}",
                                crate::suggest::code_list(env_names.iter())
                            ))
                        },
                    ),
                ),
            );
            ok = false;
        }
    }
    if let Some(overrides) = doc.root.get("overrides") {
        for e in overrides.entries() {
            if have_settings && !env_names.contains(&e.key) {
                diags.push(
                    Diagnostic::error(
                        Code::UnknownEnvironment,
                        format!("override for unknown environment `{}`", e.key),
                    )
                    .in_file(&doc.file)
                    .at(e.key_span)
                    .pointer(format!("/overrides/{}", e.key))
                    .hint_opt(suggest::did_you_mean(
                        &e.key,
                        env_names.iter().map(String::as_str),
                    )),
                );
                ok = false;
            }
        }
    }
    if let Some(c) = catalog {
        let mut layer_problems = values::check(c, &doc.root, &doc.file, "");
        if let Some(overrides) = doc.root.get("overrides") {
            for e in overrides.entries() {
                layer_problems.extend(values::check(
                    c,
                    &e.value,
                    &doc.file,
                    &format!("/overrides/{}", e.key),
                ));
            }
        }
        ok &= layer_problems.is_empty();
        diags.extend(layer_problems);
    }
    Ok(match (ok, environment) {
        (true, Some(environment)) => Some(Tenant {
            name: t.stem.clone(),
            environment,
            doc: doc.clone(),
        }),
        _ => None,
    })
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

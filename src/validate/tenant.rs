//! Checks of each tenant spec: its file name (the tenant's name and namespace), its
//! schema, its environment and overrides, and its values against the catalog.

use std::collections::BTreeMap;

use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::model::Catalog;
use crate::names;
use crate::parse::{Document, Parsed, TenantDocument};
use crate::schema;
use crate::suggest;

use super::{located, secrets, values, Tenant, MAX_TENANT_NAME};

/// What the shared inputs say that a tenant is checked against.
pub(super) struct Known<'w> {
    /// The environments of `kiln.yaml`.
    pub(super) env_names: &'w [String],
    /// Whether `kiln.yaml` was read: without it, no environment is unknown.
    pub(super) have_settings: bool,
    pub(super) catalog: Option<&'w Catalog>,
    /// See [`super::Workspace::platform_namespaces`].
    pub(super) platform_namespaces: &'w [String],
}

/// The tenants that pass their checks, in file order; a second spec for one tenant and
/// a tenant that would claim a reserved namespace are refused before the others.
pub(super) fn check_tenants(
    parsed: &Parsed,
    known: &Known,
    diags: &mut Diagnostics,
) -> anyhow::Result<Vec<Tenant>> {
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
        if let Some(why) = names::reserved_namespace(&t.stem, known.platform_namespaces) {
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
        if let Some(tenant) = check_tenant(t, known, diags)? {
            tenants.push(tenant);
        }
    }
    Ok(tenants)
}

/// One tenant spec; `None` when it has errors (all reported).
fn check_tenant(
    t: &TenantDocument,
    known: &Known,
    diags: &mut Diagnostics,
) -> anyhow::Result<Option<Tenant>> {
    let doc = &t.doc;
    let mut ok = name_is_valid(t, diags);
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
        ok &= environment_is_known(doc, env, known, diags);
    }
    ok &= overrides_are_known(doc, known, diags);
    if let Some(c) = known.catalog {
        ok &= layers_are_valid(c, doc, diags);
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

/// Whether the file name is a valid tenant name: directly in `tenants/`, a DNS-1123
/// label, and short enough for the suffixes it gets (a problem reported).
fn name_is_valid(t: &TenantDocument, diags: &mut Diagnostics) -> bool {
    let doc = &t.doc;
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
        return false;
    }
    if let Some(problem) = names::label_problem(&t.stem) {
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
        return false;
    }
    if t.stem.len() > MAX_TENANT_NAME {
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
        return false;
    }
    true
}

/// Whether `kiln.yaml` declares the tenant's environment `env` (reported when not).
fn environment_is_known(doc: &Document, env: &str, known: &Known, diags: &mut Diagnostics) -> bool {
    let env_names = known.env_names;
    if known.have_settings && !env_names.iter().any(|n| n == env) {
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
                suggest::did_you_mean(env, env_names.iter().map(String::as_str)).or_else(|| {
                    Some(format!(
                        "the environments in kiln.yaml are {}",
                        crate::suggest::code_list(env_names.iter())
                    ))
                }),
            ),
        );
        return false;
    }
    true
}

/// Whether every key of `overrides` is an environment of `kiln.yaml` (each unknown one
/// reported).
fn overrides_are_known(doc: &Document, known: &Known, diags: &mut Diagnostics) -> bool {
    let (env_names, have_settings) = (known.env_names, known.have_settings);
    let mut ok = true;
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
    ok
}

/// Whether the tenant's values, and each override's, pass the checks against the
/// catalog (the problems reported).
fn layers_are_valid(c: &Catalog, doc: &Document, diags: &mut Diagnostics) -> bool {
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
    let ok = layer_problems.is_empty();
    diags.extend(layer_problems);
    ok
}

//! Stage 6: check every rendered object before anything is written. An object the
//! cluster would reject, or one that is unsafe, is a diagnostic pointing at the template
//! that produced it and the input that fed it.

pub mod quantity;
mod rules;
mod schema;
mod secrets;
mod security;

pub use schema::{builtin_crds, Templates};

use std::collections::BTreeMap;

use serde_json::Value as Json;

use crate::diagnostic::{Code, Diagnostic};
use crate::object_id::ObjectId;
use crate::plan::TenantPlan;
use crate::render::Object;
use crate::unit::ObjectFact;
use crate::validate::Workspace;

/// Checks the objects of a build, unit by unit; one `Checker` for the whole build,
/// used from several threads.
pub struct Checker<'a> {
    ws: &'a Workspace,
    schemas: schema::Schemas,
    templates: schema::Templates<'a>,
    namespaces: BTreeMap<&'a str, &'a [String]>,
    /// Each tenant's remote-key prefixes.
    key_prefixes: BTreeMap<&'a str, &'a [String]>,
}

impl<'a> Checker<'a> {
    pub fn new(ws: &'a Workspace, plans: &'a [TenantPlan]) -> anyhow::Result<Checker<'a>> {
        let schemas = schema::Schemas::new(
            &ws.settings.kubernetes_version,
            &ws.crds,
            &ws.settings.allow_unvalidated_kinds,
        )?;
        let templates: schema::Templates = ws
            .templates
            .iter()
            .map(|(name, f)| (name.as_str(), (f.path.as_str(), f.text.as_str())))
            .collect();
        let namespaces = plans
            .iter()
            .map(|p| (p.name.as_str(), p.namespaces.as_slice()))
            .collect();
        let key_prefixes = plans
            .iter()
            .map(|p| (p.name.as_str(), p.key_prefixes.as_slice()))
            .collect();
        Ok(Checker {
            ws,
            schemas,
            templates,
            namespaces,
            key_prefixes,
        })
    }

    /// Checks the objects of one unit: each against its schema and the rules, the
    /// relations between them, and that they stay in their tenant's namespaces.
    pub fn unit(&self, objects: &[Object]) -> Vec<Diagnostic> {
        let located = |o: &Object, f: rules::Finding| {
            let mut d = o
                .diagnostic(f.code, f.message)
                .pointer(f.pointer.clone())
                .hint_opt(f.hint);
            for value in f.hides {
                d = d.hiding(value);
            }
            schema::locate(d, o, &f.pointer, &self.templates)
        };
        let mut problems = Vec::new();
        for o in objects {
            let ds = self.schemas.check(o, &self.templates);
            // Rules on objects that do not fit their schema would only repeat the news;
            // credentials are looked for always, so that a schema error quoting one
            // (a number where a string belongs) is printed with it hidden.
            if ds.is_empty() {
                let findings = rules::object(o)
                    .into_iter()
                    .chain(security::object(o, &self.ws.settings.images));
                problems.extend(findings.map(|f| located(o, f)));
            }
            problems.extend(secrets::object(o).into_iter().map(|f| located(o, f)));
            problems.extend(ds);
        }
        for (index, f) in rules::between(objects)
            .into_iter()
            .chain(security::between(objects))
        {
            if let Some(o) = objects.get(index) {
                problems.push(located(o, f));
            }
        }
        for o in objects {
            problems.extend(own_namespace(&self.namespaces, o));
            problems.extend(check_secret(o));
            problems.extend(secret_scope(&self.key_prefixes, o));
        }
        problems
    }
}

/// An object of a tenant must be in one of the tenant's namespaces.
fn own_namespace(namespaces: &BTreeMap<&str, &[String]>, o: &Object) -> Option<Diagnostic> {
    let tenant = o.provenance.tenant.as_deref()?;
    let own = namespaces.get(tenant).copied().unwrap_or(&[]);
    let ns = o.namespace().or(if o.kind() == "Namespace" {
        Some(o.name())
    } else {
        None
    })?;
    if own.iter().any(|n| n == ns) {
        return None;
    }
    Some(
        o.diagnostic(
            Code::ForeignNamespace,
            format!(
            "`{}` `{}` is in namespace `{ns}`, which is not one of tenant `{tenant}`'s namespaces",
            o.kind(),
            o.name()
        ),
        )
        .pointer("/metadata/namespace")
        .hint(format!(
            "the tenant's namespaces are {}",
            crate::suggest::code_list(own.iter())
        )),
    )
}

/// Object identities across the whole build: no two objects are the same object or
/// go to the same file.
pub fn identities<'f>(objects: impl IntoIterator<Item = &'f ObjectFact>) -> Vec<Diagnostic> {
    let mut problems = Vec::new();
    let mut seen: BTreeMap<&ObjectId, &ObjectFact> = BTreeMap::new();
    let mut paths: BTreeMap<&str, &ObjectFact> = BTreeMap::new();
    for o in objects {
        let other = |first: &ObjectFact| {
            format!(
                "the other one comes from `{}`, {}",
                first.template, first.origin
            )
        };
        if let Some(first) = seen.insert(&o.id, o) {
            problems.push(
                o.diagnostic(
                    Code::DuplicateObject,
                    format!(
                        "two objects are the same `{}` `{}`{}",
                        o.id.kind,
                        o.id.name,
                        o.id.namespace
                            .as_ref()
                            .map(|n| format!(" in namespace `{n}`"))
                            .unwrap_or_default()
                    ),
                )
                .note(other(first))
                .hint("every object needs a unique kind, namespace and name"),
            );
        } else if let Some(first) = paths.insert(&o.path, o) {
            problems.push(
                o.diagnostic(
                    Code::DuplicateObject,
                    format!("two objects would be written to `{}`", o.path),
                )
                .note(other(first)),
            );
        }
    }
    problems
}

/// A tenant's ExternalSecret reads through its namespace's own SecretStore, and only
/// keys under the tenant's prefix; it may not search the store (`dataFrom.find`).
fn secret_scope(prefixes: &BTreeMap<&str, &[String]>, o: &Object) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    if o.kind() != "ExternalSecret" || o.group() != "external-secrets.io" {
        return out;
    }
    let Some(tenant) = o.provenance.tenant.as_deref() else {
        // A pipeline of its own belongs to no tenant, and reads no secrets; the
        // cluster templates are the platform's own.
        if let Some(pipeline) = o.provenance.pipeline.as_deref() {
            out.push(
                o.diagnostic(Code::SecretScope, format!(
                    "pipeline `{pipeline}` has an ExternalSecret `{}`, and belongs to no tenant whose secrets it could read",
                    o.name()
                ))
                .hint("give the pipeline a `tenant` in its `pipeline.yaml`: it then reads that tenant's keys through the tenant's store"),
            );
        }
        return out;
    };
    let prefixes = prefixes.get(tenant).copied().unwrap_or(&[]);
    let spec = o.field("spec");
    if spec.pointer("/secretStoreRef/kind").and_then(Json::as_str) == Some("ClusterSecretStore") {
        out.push(
            o.diagnostic(Code::SecretScope, format!(
                "ExternalSecret `{}` of tenant `{tenant}` reads through a ClusterSecretStore",
                o.name()
            ))
            .pointer("/spec/secretStoreRef/kind")
            .hint("a tenant's credentials come through its namespace's own `SecretStore`, which can read only the tenant's keys"),
        );
    }
    let keys = remote_keys(o, tenant, spec, &mut out);
    for (pointer, key) in keys {
        let key = key.and_then(Json::as_str).unwrap_or("");
        if !crate::plan::key_allowed(prefixes, key) {
            out.push(
                o.diagnostic(
                    Code::SecretScope,
                    format!(
                        "remote key `{key}` is outside tenant `{tenant}`'s keys, {}",
                        crate::plan::describe_prefixes(prefixes)
                    ),
                )
                .pointer(pointer)
                .hint("a tenant reads only its own secrets"),
            );
        }
    }
    out
}

/// The remote keys an ExternalSecret of `tenant` reads, each with its pointer; refuses
/// a search of the store (`dataFrom.find`).
fn remote_keys<'o>(
    o: &Object,
    tenant: &str,
    spec: &'o Json,
    out: &mut Vec<Diagnostic>,
) -> Vec<(String, Option<&'o Json>)> {
    let mut keys = Vec::new();
    for (i, d) in spec["data"].as_array().into_iter().flatten().enumerate() {
        keys.push((
            format!("/spec/data/{i}/remoteRef/key"),
            d.pointer("/remoteRef/key"),
        ));
    }
    for (i, d) in spec["dataFrom"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        if d.get("find").is_some() {
            out.push(
                o.diagnostic(
                    Code::SecretScope,
                    format!(
                        "ExternalSecret `{}` of tenant `{tenant}` searches the secret store",
                        o.name()
                    ),
                )
                .pointer(format!("/spec/dataFrom/{i}/find"))
                .hint("name each remote key under the tenant's prefix instead"),
            );
        }
        if d.get("extract").is_some() {
            keys.push((
                format!("/spec/dataFrom/{i}/extract/key"),
                d.pointer("/extract/key"),
            ));
        }
    }
    keys
}

/// A Secret with literal data would put a credential into git: never emitted.
fn check_secret(o: &Object) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    if o.kind() != "Secret" || o.group() != "" {
        return diags;
    }
    for field in ["data", "stringData"] {
        let has = match o.value.get(field) {
            Some(Json::Object(m)) => !m.is_empty(),
            Some(Json::Null) | None => false,
            Some(_) => true,
        };
        if has {
            diags.push(
                o.diagnostic(
                    Code::LiteralSecret,
                    format!(
                        "Secret `{}` holds literal `{field}`; kiln never writes a secret value",
                        o.name()
                    ),
                )
                .pointer(format!("/{field}"))
                .hint("emit an ExternalSecret that reads the value from the secret store instead"),
            );
        }
    }
    diags
}

#[cfg(test)]
mod tests;

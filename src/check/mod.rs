//! Stage 6: check every rendered object before anything is written. An object the
//! cluster would reject, or one that is unsafe, is a diagnostic pointing at the template
//! that produced it and the input that fed it.

mod quantity;
mod rules;
mod schema;
mod security;

pub use schema::supported_versions;

use std::collections::BTreeMap;

use serde_json::Value as Json;

use rayon::prelude::*;

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::plan::TenantPlan;
use crate::render::{Object, Rendered};
use crate::validate::Workspace;

/// Checks the rendered objects of a build.
pub fn check(
    ws: &Workspace,
    rendered: &Rendered,
    plans: &[TenantPlan],
    diags: &mut Diagnostics,
) -> anyhow::Result<()> {
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
    let located = |o: &Object, f: rules::Finding| {
        let d = o
            .diagnostic(f.message)
            .pointer(f.pointer.clone())
            .hint_opt(f.hint);
        schema::locate(d, o, &f.pointer, &templates)
    };
    let per_object: Vec<Vec<Diagnostic>> = rendered
        .objects
        .par_iter()
        .map(|o| {
            let mut ds = schemas.check(o, &templates);
            // Rules on objects that do not fit their schema would only repeat the news.
            if ds.is_empty() {
                let findings = rules::object(o)
                    .into_iter()
                    .chain(security::object(o, &ws.settings.images));
                ds.extend(findings.map(|f| located(o, f)));
            }
            ds
        })
        .collect();
    let mut problems: Vec<Diagnostic> = per_object.into_iter().flatten().collect();
    let objects = &rendered.objects;
    for (index, f) in rules::between(objects)
        .into_iter()
        .chain(security::between(objects))
    {
        if let Some(o) = objects.get(index) {
            problems.push(located(o, f));
        }
    }
    diags.extend(crate::diagnostic::collapse_repeats(problems));
    identities(rendered, plans, diags);
    Ok(())
}

/// Object identities: unique, in the tenant's own namespaces, no secret values.
fn identities(rendered: &Rendered, plans: &[TenantPlan], diags: &mut Diagnostics) {
    let namespaces: BTreeMap<&str, &[String]> = plans
        .iter()
        .map(|p| (p.name.as_str(), p.namespaces.as_slice()))
        .collect();
    let mut seen: BTreeMap<String, &crate::render::Object> = BTreeMap::new();
    let mut paths: BTreeMap<&str, &crate::render::Object> = BTreeMap::new();
    for o in &rendered.objects {
        if let Some(first) = seen.insert(o.id(), o) {
            diags.push(
                o.diagnostic(format!(
                    "two objects are the same `{}` `{}`{}",
                    o.kind(),
                    o.name(),
                    o.namespace()
                        .map(|n| format!(" in namespace `{n}`"))
                        .unwrap_or_default()
                ))
                .note(format!(
                    "the other one comes from `{}`, {}",
                    first.provenance.template,
                    first.provenance.describe()
                ))
                .hint("every object needs a unique kind, namespace and name"),
            );
        } else if let Some(first) = paths.insert(&o.path, o) {
            diags.push(
                o.diagnostic(format!("two objects would be written to `{}`", o.path))
                    .note(format!(
                        "the other one comes from `{}`, {}",
                        first.provenance.template,
                        first.provenance.describe()
                    )),
            );
        }
        if let Some(tenant) = o.provenance.tenant.as_deref() {
            let own = namespaces.get(tenant).copied().unwrap_or(&[]);
            let ns = o.namespace().or(if o.kind() == "Namespace" {
                Some(o.name())
            } else {
                None
            });
            if let Some(ns) = ns {
                if !own.iter().any(|n| n == ns) {
                    diags.push(
                        o.diagnostic(format!("`{}` `{}` is in namespace `{ns}`, which is not one of tenant `{tenant}`'s namespaces", o.kind(), o.name()))
                            .pointer("/metadata/namespace")
                            .hint(format!("the tenant's namespaces are {}", crate::suggest::code_list(own.iter()))),
                    );
                }
            }
        }
        check_secret(o, diags);
    }
}

/// A Secret with literal data would put a credential into git: never emitted.
fn check_secret(o: &crate::render::Object, diags: &mut Diagnostics) {
    if o.kind() != "Secret" || o.group() != "" {
        return;
    }
    for field in ["data", "stringData"] {
        let has = match o.value.get(field) {
            Some(Json::Object(m)) => !m.is_empty(),
            Some(Json::Null) | None => false,
            Some(_) => true,
        };
        if has {
            diags.push(
                o.diagnostic(format!(
                    "Secret `{}` holds literal `{field}`; kiln never writes a secret value",
                    o.name()
                ))
                .pointer(format!("/{field}"))
                .hint("emit an ExternalSecret that reads the value from the secret store instead"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::{object::from_document, Provenance};
    use serde_json::json;

    fn provenance() -> Provenance {
        Provenance {
            template: "templates/objects/tenant/x.yaml.j2".into(),
            input: Some("tenants/acme.yaml".into()),
            tenant: Some("acme".into()),
            ..Provenance::default()
        }
    }

    fn run(docs: Vec<Json>) -> Vec<Diagnostic> {
        let objects = docs
            .into_iter()
            .map(|d| from_document(d, &provenance(), 0).unwrap())
            .collect();
        let rendered = Rendered { objects };
        let plan_namespaces = vec!["acme".to_string()];
        let mut diags = Diagnostics::new();
        let plans = vec![crate::plan::TenantPlan {
            name: "acme".into(),
            environment: "dev".into(),
            file: "tenants/acme.yaml".into(),
            layers: Vec::new(),
            merged: crate::plan::MNode::empty_map(crate::plan::Origin {
                layer: 0,
                span: Default::default(),
            }),
            values: json!({}),
            flags: Default::default(),
            services: Default::default(),
            namespaces: plan_namespaces,
        }];
        identities(&rendered, &plans, &mut diags);
        diags.into_vec()
    }

    #[test]
    fn secrets_with_data_are_refused() {
        let ds = run(vec![
            json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "acme"}, "stringData": {"password": "x"}}),
        ]);
        assert_eq!(ds.len(), 1);
        assert_eq!(
            ds[0].message,
            "Secret `s` holds literal `stringData`; kiln never writes a secret value"
        );
        let ok = run(vec![
            json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "acme"}, "type": "kubernetes.io/dockerconfigjson"}),
        ]);
        assert!(ok.is_empty());
    }

    #[test]
    fn duplicates_are_refused() {
        let cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "acme"}});
        let ds = run(vec![cm.clone(), cm]);
        assert_eq!(ds.len(), 1);
        assert!(ds[0]
            .message
            .starts_with("two objects are the same `ConfigMap` `c`"));
    }

    #[test]
    fn objects_stay_in_their_tenant() {
        let ds = run(vec![
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "other"}}),
        ]);
        assert_eq!(ds.len(), 1);
        assert!(ds[0]
            .message
            .contains("not one of tenant `acme`'s namespaces"));
    }
}

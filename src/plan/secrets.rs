//! A tenant's secret key prefixes, and the check that it reads only its own secrets.

use serde_json::Value as Json;

use super::{LayerKind, MNode, MValue, Origin, TenantPlan};
use crate::diagnostic::{Code, Diagnostic};
use crate::yaml::node::escape_token;

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
/// Returns whether a tenant layer set `secretStore`.
pub(super) fn check_secret_scope(
    plan: &TenantPlan,
    merged: &MNode,
    out: &mut Vec<Diagnostic>,
) -> bool {
    let tenant_set_store = tenant_secret_store(plan, out);
    remote_keys_in_scope(plan, merged, out);
    tenant_set_store
}

/// Refuses `secretStore` in a tenant layer; returns whether one set it.
fn tenant_secret_store(plan: &TenantPlan, out: &mut Vec<Diagnostic>) -> bool {
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
    tenant_set_store
}

/// Refuses a credential's remote `key` outside the tenant's prefixes.
fn remote_keys_in_scope(plan: &TenantPlan, merged: &MNode, out: &mut Vec<Diagnostic>) {
    let Some(MValue::Map(credentials)) = merged.get("credentials").map(|c| &c.value) else {
        return;
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
}

//! The `namespace` of the namespace scope: which namespace of the tenant is rendered,
//! the Pod Security profile it enforces and its secret store.

use serde::Serialize;
use serde_json::{json, Value as Json};

use super::instances;
use crate::names::derived;
use crate::plan::TenantPlan;
use crate::validate::Workspace;

/// `namespace` in the namespace scope (docs/templates.md, "Namespace context").
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NamespaceContext {
    name: String,
    primary: bool,
    /// For an extra namespace, the name it was given (without the tenant prefix).
    extra: Option<String>,
    /// The Pod Security profile it enforces: `restricted`, or `baseline` when a
    /// service there is excepted from `runAsNonRoot`.
    pod_security: &'static str,
    /// `null` when no service there reads credentials, or no store is configured.
    secret_store: Json,
}

/// The `namespace` of the namespace scope: its name, whether it is the primary one,
/// and for an extra namespace the name it was given (without the tenant prefix).
pub fn namespace_value(ws: &Workspace, plan: &TenantPlan, index: usize) -> NamespaceContext {
    let name = plan.namespaces.get(index).cloned().unwrap_or_default();
    let extra = derived::extra_namespace_given(&plan.name, &name).filter(|_| index > 0);
    // A service excepted from `runAsNonRoot` needs the `baseline` profile.
    let root = instances(ws, plan).iter().any(|i| {
        i.namespace == name
            && i.service
                .security_exceptions
                .as_ref()
                .is_some_and(|e| e.allows("runAsNonRoot"))
    });
    let profile = if root { "baseline" } else { "restricted" };
    NamespaceContext {
        name: name.clone(),
        primary: index == 0,
        extra: extra.map(str::to_string),
        pod_security: profile,
        secret_store: secret_store(ws, plan, &name),
    }
}

/// The secret store of a tenant namespace where a service reads credentials: named by
/// `secretStore.name`, reading Vault under the tenant's own role. `null` when no
/// service there reads credentials, or the platform configures no store.
fn secret_store(ws: &Workspace, plan: &TenantPlan, namespace: &str) -> Json {
    let needed = instances(ws, plan)
        .iter()
        .any(|i| i.namespace == namespace && !i.service.credentials.is_empty());
    let store = plan.values.secret_store.as_ref();
    let (Some(name), Some(vault)) = (
        store.and_then(|s| s.name.as_ref()),
        store.and_then(|s| s.vault.as_ref()),
    ) else {
        return Json::Null;
    };
    if !needed {
        return Json::Null;
    }
    let role_prefix = vault.role_prefix.as_deref().unwrap_or("");
    json!({
        "name": name,
        "vault": {
            "server": vault.server,
            "path": vault.path,
            "version": vault.version,
            "authMountPath": vault.auth_mount_path,
            "role": format!("{role_prefix}{}", plan.name),
        },
    })
}

//! What the container reads: its configuration (a ConfigMap), its env and credentials
//! (an ExternalSecret and the Secret it fills), and the volumes they are mounted from.

use serde_json::{json, Map, Value as Json};

use super::super::config::{canonical_json, config_document};
use super::super::Instance;
use super::keys;
use crate::model::values::ServiceValues;
use crate::model::Credential;
use crate::names::derived;
use crate::plan::TenantPlan;
use crate::validate::Workspace;

/// `configName` and `configData`: the instance's ConfigMap and its `config.json`.
pub(super) fn configuration(
    ws: &Workspace,
    plan: &TenantPlan,
    inst: &Instance,
) -> Map<String, Json> {
    let config = config_document(ws, plan, inst);
    keys([
        ("configName", json!(derived::config_map(inst.name))),
        (
            "configData",
            json!({"config.json": canonical_json(&config)}),
        ),
    ])
}

/// `env`, `credentials` and `secretStore`: one ExternalSecret per instance, and env
/// vars filled from its Secret.
pub(super) fn credentials(
    plan: &TenantPlan,
    inst: &Instance,
    v: &ServiceValues,
) -> Map<String, Json> {
    let svc = inst.service;
    let secret_name = derived::credentials_secret(inst.name);
    let data: Vec<Json> = svc
        .credentials
        .iter()
        .map(|c| json!({"secretKey": c.env, "remoteRef": remote_ref(plan, c)}))
        .collect();
    let mut env: Vec<Json> = v.env.iter().flatten().map(|e| json!(e)).collect();
    for c in &svc.credentials {
        env.retain(|e| e.get("name").and_then(Json::as_str) != Some(c.env.as_str()));
        env.push(json!({"name": c.env, "valueFrom": {"secretKeyRef": {"name": secret_name, "key": c.env}}}));
    }
    keys([
        ("env", json!(env)),
        (
            "credentials",
            if data.is_empty() {
                Json::Null
            } else {
                json!({"secretName": secret_name, "data": data})
            },
        ),
        (
            "secretStore",
            json!({
                "name": plan.values.secret_store.as_ref().and_then(|s| s.name.as_ref()),
                "refreshInterval": plan.values.secret_store.as_ref().and_then(|s| s.refresh_interval.as_ref()),
            }),
        ),
    ])
}

/// Where a credential is read in the store: the tenant's `credentials.<name>`, else
/// `[<secretStore.prefix>/]<tenant>/<credential>` and the catalog's property.
fn remote_ref(plan: &TenantPlan, c: &Credential) -> Json {
    let over = plan
        .values
        .credentials
        .as_ref()
        .and_then(|all| all.get(&c.credential))
        .and_then(Option::as_ref);
    let store_prefix = plan
        .values
        .secret_store
        .as_ref()
        .and_then(|s| s.prefix.as_deref())
        .unwrap_or("");
    let default_key = if store_prefix.is_empty() {
        format!("{}/{}", plan.name, c.credential)
    } else {
        format!(
            "{}/{}/{}",
            store_prefix.trim_end_matches('/'),
            plan.name,
            c.credential
        )
    };
    let key = over.and_then(|o| o.key.clone()).unwrap_or(default_key);
    let property = over
        .and_then(|o| o.property.clone())
        .or_else(|| c.property.clone());
    match property {
        Some(p) => json!({"key": key, "property": p}),
        None => json!({"key": key}),
    }
}

/// `volumes`: the configuration, writable paths, and the gateway's routes.
pub(super) fn volumes(inst: &Instance) -> Map<String, Json> {
    let svc = inst.service;
    let volume = |name: String, config_map: Option<String>, mount: &str, read_only: bool| {
        json!({
            "name": name,
            "emptyDir": config_map.is_none(),
            "configMap": config_map.map(|n| json!({"name": n})),
            "mountPath": mount,
            "readOnly": read_only,
        })
    };
    let mut volumes = vec![volume(
        "config".into(),
        Some(derived::config_map(inst.name)),
        &svc.config_path,
        true,
    )];
    for path in &svc.writable_paths {
        volumes.push(volume(derived::writable_volume(path), None, path, false));
    }
    if let Some(mount) = svc.routes_path.as_deref().filter(|_| svc.gateway) {
        volumes.push(volume(
            "routes".into(),
            Some(derived::routes_config_map(inst.name)),
            mount,
            true,
        ));
    }
    keys([("volumes", json!(volumes))])
}

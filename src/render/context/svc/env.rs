//! What the container reads: its configuration (a ConfigMap), its env and credentials
//! (an ExternalSecret and the Secret it fills), and the volumes they are mounted from.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{json, Value as Json};

use super::super::config::{canonical_json, config_document};
use super::super::Instance;
use crate::model::values::ServiceValues;
use crate::model::Credential;
use crate::names::derived;
use crate::plan::TenantPlan;
use crate::validate::Workspace;

/// The instance's ConfigMap.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Configuration {
    /// `<service>-config`.
    config_name: String,
    /// `{"config.json": <text>}`.
    config_data: BTreeMap<String, String>,
}

/// `configName` and `configData`: the instance's ConfigMap and its `config.json`.
pub(super) fn configuration(ws: &Workspace, plan: &TenantPlan, inst: &Instance) -> Configuration {
    let config = config_document(ws, plan, inst);
    Configuration {
        config_name: derived::config_map(inst.name),
        config_data: BTreeMap::from([("config.json".to_string(), canonical_json(&config))]),
    }
}

/// What the container reads from its environment and the secret store.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Credentials {
    /// The values' `env`, then one variable per catalog credential.
    env: Vec<Json>,
    /// `None` without catalog credentials.
    credentials: Option<ExternalSecret>,
    secret_store: SecretStoreRef,
}

/// The ExternalSecret of an instance and the Secret it fills.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ExternalSecret {
    /// `<service>-credentials`.
    secret_name: String,
    /// `{secretKey, remoteRef: {key, property}}` per credential.
    data: Vec<Json>,
}

/// The namespace's SecretStore, as the ExternalSecret names it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SecretStoreRef {
    name: Option<String>,
    refresh_interval: Option<String>,
}

/// `env`, `credentials` and `secretStore`: one ExternalSecret per instance, and env
/// vars filled from its Secret.
pub(super) fn credentials(plan: &TenantPlan, inst: &Instance, v: &ServiceValues) -> Credentials {
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
    let store = plan.values.secret_store.as_ref();
    Credentials {
        env,
        credentials: (!data.is_empty()).then_some(ExternalSecret { secret_name, data }),
        secret_store: SecretStoreRef {
            name: store.and_then(|s| s.name.clone()),
            refresh_interval: store.and_then(|s| s.refresh_interval.clone()),
        },
    }
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

/// The pod's volumes.
#[derive(Serialize)]
pub(super) struct Volumes {
    volumes: Vec<Volume>,
}

/// One volume of the pod and where it is mounted.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Volume {
    name: String,
    empty_dir: bool,
    config_map: Option<ConfigMapRef>,
    mount_path: String,
    read_only: bool,
}

#[derive(Serialize)]
struct ConfigMapRef {
    name: String,
}

/// `volumes`: the configuration, writable paths, and the gateway's routes.
pub(super) fn volumes(inst: &Instance) -> Volumes {
    let svc = inst.service;
    let volume = |name: String, config_map: Option<String>, mount: &str, read_only: bool| Volume {
        name,
        empty_dir: config_map.is_none(),
        config_map: config_map.map(|name| ConfigMapRef { name }),
        mount_path: mount.to_string(),
        read_only,
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
    Volumes { volumes }
}

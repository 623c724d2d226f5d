//! The configuration document of one service instance, the `config.json` of its
//! ConfigMap (`svc.configData`): tenant facts, the flags and configuration keys it
//! reads, its own settings, its database and object storage, and for the PreSync job
//! what it must prepare.

use std::collections::BTreeSet;

use serde_json::{json, Map, Value as Json};

use super::{is_on, svc_values, Instance};
use crate::model::{Service, WorkloadKind};
use crate::plan::TenantPlan;
use crate::validate::Workspace;

/// The configuration document of one instance (the `config.json` of its ConfigMap):
/// tenant facts, the flags and configuration keys it reads, its own settings, and its
/// database and object storage. A PreSync job also gets what it must prepare.
pub(super) fn config_document(ws: &Workspace, plan: &TenantPlan, inst: &Instance) -> Json {
    let svc = inst.service;
    let mut doc = Map::new();
    doc.insert(
        "tenant".into(),
        json!({"name": plan.name, "environment": plan.environment, "namespace": inst.namespace}),
    );
    if svc.reads_flags {
        let flags: Map<String, Json> = plan
            .flags
            .iter()
            .map(|(k, (on, _))| (k.clone(), json!(on)))
            .collect();
        doc.insert("flags".into(), Json::Object(flags));
    }
    if !svc.reads.is_empty() {
        doc.insert("config".into(), Json::Object(config_read(plan, svc)));
    }
    if let Some(own) = &svc_values(plan, inst.name).config {
        doc.insert("service".into(), json!(own));
    }
    if let Some(logging) = &plan.values.logging {
        doc.insert("logging".into(), json!(logging));
    }
    if let Some(name) = database_name(plan, inst.name, svc) {
        let mut db = database_server(plan);
        db.insert("name".into(), json!(name));
        doc.insert("database".into(), Json::Object(db));
    }
    let object_storage = plan.values.object_storage.as_ref().map(|o| json!(o));
    if svc.object_storage {
        if let Some(mut os) = object_storage.clone() {
            if let Some(o) = os.as_object_mut() {
                o.insert(
                    "prefix".into(),
                    json!(format!("{}/{}", plan.name, inst.name)),
                );
            }
            doc.insert("objectStorage".into(), os);
        }
    }
    if is_init_job(svc) {
        doc.insert("databaseServer".into(), Json::Object(database_server(plan)));
        doc.insert("databases".into(), json!(databases(ws, plan)));
        doc.insert(
            "objectStorageServer".into(),
            object_storage.unwrap_or(Json::Null),
        );
        doc.insert("storagePrefixes".into(), json!(storage_prefixes(ws, plan)));
    }
    Json::Object(doc)
}

/// The tenant's configuration keys a service reads (`reads`, `*` for all of them).
fn config_read(plan: &TenantPlan, svc: &Service) -> Map<String, Json> {
    let mut read = Map::new();
    for (k, v) in plan.values.config.iter().flatten() {
        if svc.reads.iter().any(|r| r == "*" || r == k) {
            read.insert(k.clone(), v.clone());
        }
    }
    read
}

fn is_init_job(svc: &Service) -> bool {
    svc.kind == WorkloadKind::Job && svc.hook.as_deref() == Some("PreSync")
}

/// The name of a service's database on the shared PostgreSQL:
/// `<prefix><tenant>_<service or shared name>`, with `-` as `_`.
fn database_name(plan: &TenantPlan, service: &str, svc: &Service) -> Option<String> {
    let suffix = svc.database.name(service)?;
    let prefix = plan
        .values
        .database
        .as_ref()
        .and_then(|d| d.prefix.as_deref())
        .unwrap_or("");
    Some(format!("{prefix}{}_{suffix}", plan.name).replace('-', "_"))
}

/// The shared PostgreSQL's address, as services read it.
fn database_server(plan: &TenantPlan) -> Map<String, Json> {
    let db = plan.values.database.clone().unwrap_or_default();
    let mut m = Map::new();
    m.insert("host".into(), json!(db.host));
    m.insert("port".into(), json!(db.port));
    m.insert("sslMode".into(), json!(db.ssl_mode));
    m
}

/// The object storage folders of the tenant's services (for the init job).
fn storage_prefixes(ws: &Workspace, plan: &TenantPlan) -> Vec<String> {
    ws.catalog
        .services
        .iter()
        .filter(|(n, s)| s.object_storage && is_on(plan, n))
        .map(|(n, _)| format!("{}/{n}", plan.name))
        .collect()
}

/// The databases the tenant's enabled services need, sorted, each once.
fn databases(ws: &Workspace, plan: &TenantPlan) -> Vec<String> {
    let names: BTreeSet<String> = ws
        .catalog
        .services
        .iter()
        .filter(|(n, _)| is_on(plan, n))
        .filter_map(|(n, s)| database_name(plan, n, s))
        .collect();
    names.into_iter().collect()
}

/// Pretty, sorted JSON with a trailing newline: stable bytes for a ConfigMap.
pub(super) fn canonical_json(v: &Json) -> String {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_default();
    s.push('\n');
    s
}

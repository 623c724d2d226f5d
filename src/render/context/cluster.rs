//! The context of the cluster-wide templates.

use serde_json::{json, Map, Value as Json};

use crate::validate::Workspace;

/// The context of the cluster-wide templates.
pub fn cluster_context(ws: &Workspace) -> Json {
    let classes: Map<String, Json> = ws
        .catalog
        .priority_classes
        .iter()
        .map(|(name, pc)| {
            (
                name.clone(),
                json!({"value": pc.value, "description": pc.description, "preemptionPolicy": pc.preemption_policy}),
            )
        })
        .collect();
    json!({
        "kiln": {"kubernetesVersion": ws.settings.kubernetes_version, "platform": ws.catalog.platform},
        "labels": {"app.kubernetes.io/part-of": ws.catalog.platform, "app.kubernetes.io/managed-by": "kiln"},
        "priorityClasses": classes,
    })
}

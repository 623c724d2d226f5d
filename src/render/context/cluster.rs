//! The context of the cluster-wide templates.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::validate::Workspace;

/// The context of the cluster-wide templates (docs/templates.md, "Cluster context").
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClusterContext {
    kiln: Kiln,
    /// `app.kubernetes.io/part-of` and `app.kubernetes.io/managed-by`.
    labels: BTreeMap<&'static str, String>,
    /// The catalog's PriorityClasses, by name.
    priority_classes: BTreeMap<String, PriorityClass>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Kiln {
    kubernetes_version: String,
    platform: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PriorityClass {
    value: i64,
    description: String,
    preemption_policy: Option<String>,
}

/// The context of the cluster-wide templates.
pub fn cluster_context(ws: &Workspace) -> ClusterContext {
    let priority_classes = ws
        .catalog
        .priority_classes
        .iter()
        .map(|(name, pc)| {
            (
                name.clone(),
                PriorityClass {
                    value: pc.value,
                    description: pc.description.clone(),
                    preemption_policy: pc.preemption_policy.clone(),
                },
            )
        })
        .collect();
    ClusterContext {
        kiln: Kiln {
            kubernetes_version: ws.settings.kubernetes_version.clone(),
            platform: ws.catalog.platform.clone(),
        },
        labels: BTreeMap::from([
            ("app.kubernetes.io/part-of", ws.catalog.platform.clone()),
            ("app.kubernetes.io/managed-by", "kiln".to_string()),
        ]),
        priority_classes,
    }
}

//! Facts about Kubernetes that every stage may use: the versions kiln has schemas for,
//! the embedded schemas themselves, and which kinds are cluster-scoped. A leaf: it
//! imports no stage, so `validate`, `render` and `check` all read it.

use std::collections::BTreeSet;

use include_dir::{include_dir, Dir};

/// The JSON Schemas of the built-in kinds, one file per version (`v1.31.json`),
/// generated from `kubernetes-validate` (see `scripts/kubernetes-schemas.py`).
static SCHEMAS: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/schemas/kubernetes");

/// The built-in kinds (and those of the operators kiln targets) that are not
/// namespaced. A custom kind is cluster-scoped when its CRD says `scope: Cluster`.
pub const CLUSTER_SCOPED: [&str; 12] = [
    "Namespace",
    "PriorityClass",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "StorageClass",
    "PersistentVolume",
    "IngressClass",
    "ClusterIssuer",
    "ClusterSecretStore",
    "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
];

/// Each embedded schema file: its version (`1.31`) and its text.
pub fn schema_files() -> impl Iterator<Item = (String, &'static str)> {
    SCHEMAS.files().filter_map(|f| {
        let version = f
            .path()
            .file_name()?
            .to_str()?
            .strip_prefix('v')?
            .strip_suffix(".json")?
            .to_string();
        Some((version, f.contents_utf8()?))
    })
}

/// The Kubernetes versions kiln has schemas for, in order.
pub fn supported_versions() -> Vec<String> {
    let mut v: Vec<String> = schema_files().map(|(version, _)| version).collect();
    v.sort_by_key(|s| {
        s.split('.')
            .map(|p| p.parse::<u32>().unwrap_or(0))
            .collect::<Vec<_>>()
    });
    v
}

/// The kinds a workspace may emit without a namespace: the built-in cluster-scoped
/// kinds and the custom kinds whose CRD in `crds/` has `scope: Cluster`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Scopes {
    cluster: BTreeSet<String>,
}

impl Scopes {
    pub fn new(custom_cluster_kinds: impl IntoIterator<Item = String>) -> Scopes {
        let mut cluster: BTreeSet<String> = CLUSTER_SCOPED
            .iter()
            .map(std::string::ToString::to_string)
            .collect();
        cluster.extend(custom_cluster_kinds);
        Scopes { cluster }
    }

    pub fn is_cluster_scoped(&self, kind: &str) -> bool {
        self.cluster.contains(kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_in_numeric_order() {
        let v = supported_versions();
        assert!(!v.is_empty());
        let mut sorted = v.clone();
        sorted.sort_by_key(|s| {
            s.split('.')
                .map(|p| p.parse::<u32>().unwrap())
                .collect::<Vec<_>>()
        });
        assert_eq!(v, sorted);
    }

    /// The cluster-scoped kinds the embedded schemas know are all in the list, so none
    /// is placed in a namespace by mistake.
    #[test]
    fn the_schemas_cluster_scoped_kinds_are_listed() {
        for (version, text) in schema_files() {
            let doc: serde_json::Value = serde_json::from_str(text).unwrap();
            let kinds = doc["kinds"].as_object().unwrap();
            for key in kinds.keys() {
                let kind = key.split_once(' ').unwrap().1;
                let cluster = kind.starts_with("Cluster")
                    || matches!(
                        kind,
                        "Namespace"
                            | "PriorityClass"
                            | "StorageClass"
                            | "IngressClass"
                            | "PersistentVolume"
                    );
                assert_eq!(CLUSTER_SCOPED.contains(&kind), cluster, "{version} {kind}");
            }
        }
    }

    #[test]
    fn custom_kinds_can_be_cluster_scoped() {
        let scopes = Scopes::new(["ClusterWidget".to_string()]);
        assert!(scopes.is_cluster_scoped("ClusterWidget"));
        assert!(scopes.is_cluster_scoped("Namespace"));
        assert!(!scopes.is_cluster_scoped("Deployment"));
    }
}

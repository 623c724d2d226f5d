//! The identity of a Kubernetes object: its API group, kind, namespace and name, what
//! Kubernetes (and Argo CD) tell objects apart by. One type for every stage that names
//! an object: `render` (a rendered object), `unit` (an object's facts once written),
//! `argocd` (the kinds an application folder holds), `diff` (the objects two trees
//! are matched by) and `cli`. A leaf: it imports nothing of kiln's.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

/// An object's identity. The order is group, kind, namespace (cluster-scoped first),
/// name.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ObjectId {
    /// The API group: `apps`, `networking.k8s.io`, empty for the core group.
    pub group: String,
    pub kind: String,
    /// `None` for a cluster-scoped object (written `""` in JSON, as `kiln diff` does).
    #[serde(with = "empty_is_none")]
    pub namespace: Option<String>,
    pub name: String,
}

/// A kind of an API group, as Argo CD lists the kinds a project may manage.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct GroupKind {
    pub group: String,
    pub kind: String,
}

/// The API group of an `apiVersion`: `apps` of `apps/v1`, empty of `v1`.
pub fn group_of(api_version: &str) -> &str {
    api_version.rsplit_once('/').map(|(g, _)| g).unwrap_or("")
}

impl ObjectId {
    /// The identity of an object from its `apiVersion`, `kind`, `metadata.name` and
    /// `metadata.namespace` (an empty one is none); `None` without the first three.
    pub fn of(value: &Json) -> Option<ObjectId> {
        let api_version = value.get("apiVersion")?.as_str()?;
        let kind = value.get("kind")?.as_str()?;
        let name = value.pointer("/metadata/name")?.as_str()?;
        let namespace = value.pointer("/metadata/namespace").and_then(Json::as_str);
        Some(ObjectId::new(api_version, kind, namespace, name))
    }

    pub fn new(api_version: &str, kind: &str, namespace: Option<&str>, name: &str) -> ObjectId {
        ObjectId {
            group: group_of(api_version).to_string(),
            kind: kind.to_string(),
            namespace: namespace.filter(|ns| !ns.is_empty()).map(str::to_string),
            name: name.to_string(),
        }
    }

    /// Whether it is of this group and kind.
    pub fn is(&self, group: &str, kind: &str) -> bool {
        self.group == group && self.kind == kind
    }

    pub fn group_kind(&self) -> GroupKind {
        GroupKind {
            group: self.group.clone(),
            kind: self.kind.clone(),
        }
    }

    /// `group/kind/namespace/name`, every part present (an empty namespace when
    /// cluster-scoped), as one string.
    pub fn key(&self) -> String {
        format!(
            "{}/{}/{}/{}",
            self.group,
            self.kind,
            self.namespace.as_deref().unwrap_or(""),
            self.name
        )
    }

    /// `Deployment acme/trino`, `Namespace acme`: how `kiln diff` names an object.
    pub fn spaced(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{} {ns}/{}", self.kind, self.name),
            None => format!("{} {}", self.kind, self.name),
        }
    }

    /// The order reports list objects in: kind, namespace, name, then group.
    pub fn by_kind(&self) -> (&str, Option<&str>, &str, &str) {
        (
            &self.kind,
            self.namespace.as_deref(),
            &self.name,
            &self.group,
        )
    }
}

/// `Deployment/acme/trino`, `Namespace/acme`: how `kiln explain` takes an object.
impl fmt::Display for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.namespace {
            Some(ns) => write!(f, "{}/{ns}/{}", self.kind, self.name),
            None => write!(f, "{}/{}", self.kind, self.name),
        }
    }
}

/// A namespace in JSON: `""` for none.
mod empty_is_none {
    use serde::{Deserialize, Deserializer, Serializer};

    #[allow(clippy::ref_option)] // the signature serde's `with` asks for
    pub(super) fn serialize<S: Serializer>(ns: &Option<String>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(ns.as_deref().unwrap_or(""))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        let ns = String::deserialize(d)?;
        Ok((!ns.is_empty()).then_some(ns))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_id_and_its_forms() {
        let d = ObjectId::of(&json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "trino", "namespace": "acme"}})).unwrap();
        assert_eq!(d.key(), "apps/Deployment/acme/trino");
        assert_eq!(d.to_string(), "Deployment/acme/trino");
        assert_eq!(d.spaced(), "Deployment acme/trino");
        assert!(d.is("apps", "Deployment"));
        let n = ObjectId::of(&json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "acme", "namespace": ""}})).unwrap();
        assert_eq!((n.group.as_str(), n.namespace.as_deref()), ("", None));
        assert_eq!(n.to_string(), "Namespace/acme");
        assert_eq!(n.spaced(), "Namespace acme");
        assert!(n < d, "the core group first");
        assert_eq!(ObjectId::of(&json!({"kind": "Namespace"})), None);
    }

    #[test]
    fn a_cluster_scoped_namespace_is_empty_in_json() {
        let n = ObjectId::new("v1", "Namespace", None, "acme");
        let j = serde_json::to_value(&n).unwrap();
        assert_eq!(
            j,
            json!({"group": "", "kind": "Namespace", "namespace": "", "name": "acme"})
        );
        assert_eq!(serde_json::from_value::<ObjectId>(j).unwrap(), n);
    }
}

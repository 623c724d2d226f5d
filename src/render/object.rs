//! A rendered Kubernetes object, where it goes in the output, and where it came from.

use serde_json::Value as Json;

use crate::diagnostic::{Code, Diagnostic};
use crate::layout::{self, PLATFORM_KINDS};
use crate::object_id::{self, ObjectId};

/// What produced an object: the template, and the input and scope it rendered for.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Provenance {
    /// Path of the template (workspace-relative or `kiln:`).
    pub template: String,
    /// The input file that fed it (a tenant spec), if any.
    pub input: Option<String>,
    pub tenant: Option<String>,
    /// The pipeline it was rendered for, if any.
    pub pipeline: Option<String>,
    pub service: Option<String>,
    pub namespace: Option<String>,
    /// Rendered in the `argocd` scope: an object that delivers the others.
    pub argocd: bool,
}

impl Provenance {
    pub fn cluster(template: String) -> Provenance {
        Provenance {
            template,
            ..Provenance::default()
        }
    }

    pub fn argocd(template: String) -> Provenance {
        Provenance {
            template,
            argocd: true,
            ..Provenance::default()
        }
    }

    /// "rendered for tenant `acme` (tenants/acme.yaml), service `trino` in namespace `acme`"
    pub fn describe(&self) -> String {
        let mut s = String::from("rendered for ");
        let input = self
            .input
            .as_ref()
            .map(|i| format!(" ({i})"))
            .unwrap_or_default();
        match (&self.pipeline, &self.tenant) {
            (Some(p), _) => s.push_str(&format!("pipeline `{p}`{input}")),
            (None, Some(t)) => s.push_str(&format!("tenant `{t}`{input}")),
            (None, None) if self.argocd => s.push_str("the Argo CD applications"),
            (None, None) => s.push_str("the cluster"),
        }
        if let Some(svc) = &self.service {
            let what = if self.pipeline.is_some() {
                "node"
            } else {
                "service"
            };
            s.push_str(&format!(", {what} `{svc}`"));
        }
        if let Some(ns) = &self.namespace {
            s.push_str(&format!(" in namespace `{ns}`"));
        }
        s
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Object {
    /// The application folder, relative to the output directory.
    pub app: String,
    /// The file, relative to the output directory.
    pub path: String,
    pub value: Json,
    pub provenance: Provenance,
    /// Index of the document in the template's output.
    pub document: usize,
}

impl Object {
    /// The top-level field `key`, `null` when the object has none.
    pub fn field(&self, key: &str) -> &Json {
        self.value.get(key).unwrap_or(&Json::Null)
    }

    pub fn kind(&self) -> &str {
        self.field("kind").as_str().unwrap_or("")
    }

    pub fn name(&self) -> &str {
        self.value
            .pointer("/metadata/name")
            .and_then(Json::as_str)
            .unwrap_or("")
    }

    pub fn namespace(&self) -> Option<&str> {
        self.value
            .pointer("/metadata/namespace")
            .and_then(Json::as_str)
    }

    /// The API group (`apps`, `networking.k8s.io`, or empty for the core group).
    pub fn group(&self) -> &str {
        object_id::group_of(self.field("apiVersion").as_str().unwrap_or(""))
    }

    /// The identity Kubernetes gives the object.
    pub fn id(&self) -> ObjectId {
        ObjectId::new(
            self.field("apiVersion").as_str().unwrap_or(""),
            self.kind(),
            self.namespace(),
            self.name(),
        )
    }

    /// What the rest of the build needs to know of the object once it is written as
    /// `bytes`.
    pub fn fact(&self, bytes: &[u8]) -> crate::unit::ObjectFact {
        crate::unit::ObjectFact {
            id: self.id(),
            app: self.app.clone(),
            path: self.path.clone(),
            template: self.provenance.template.clone(),
            origin: self.provenance.describe(),
            oid: crate::unit::blob_id(bytes),
            size: bytes.len() as u64,
        }
    }

    /// A problem with this object, located in its template.
    pub fn diagnostic(&self, code: Code, message: impl Into<String>) -> Diagnostic {
        Diagnostic::error(code, message)
            .in_file(&self.provenance.template)
            .note(format!("{} `{}` → {}", self.kind(), self.name(), self.path))
            .note(self.provenance.describe())
    }
}

/// Checks a rendered document's identity and decides its place in the output.
pub fn from_document(
    value: Json,
    provenance: &Provenance,
    document: usize,
    scopes: &crate::kube::Scopes,
) -> Result<Object, Box<Diagnostic>> {
    let fail = |message: String| {
        Box::new(
            Diagnostic::error(Code::ObjectIdentity, message)
                .in_file(&provenance.template)
                .pointer("")
                .note(format!("document {} of the output", document + 1))
                .note(provenance.describe()),
        )
    };
    let (kind, name) = identity(&value).map_err(fail)?;
    let app = application(provenance, kind);
    let namespace = value.pointer("/metadata/namespace").and_then(Json::as_str);
    let path = output_path(provenance, scopes, &app, kind, name, namespace).map_err(fail)?;
    Ok(Object {
        app,
        path,
        value,
        provenance: provenance.clone(),
        document,
    })
}

/// The kind and name of a rendered document, or why it is not a Kubernetes object.
fn identity(value: &Json) -> Result<(&str, &str), String> {
    if !value.is_object() {
        return Err(
            "a rendered document is not a mapping, so it is not a Kubernetes object".into(),
        );
    }
    let api_version = value.get("apiVersion").and_then(Json::as_str).unwrap_or("");
    let kind = value.get("kind").and_then(Json::as_str).unwrap_or("");
    if api_version.is_empty() || kind.is_empty() {
        return Err("a rendered object has no `apiVersion` or no `kind`".into());
    }
    if !kind.chars().all(|c| c.is_ascii_alphanumeric())
        || !kind.starts_with(|c: char| c.is_ascii_uppercase())
    {
        return Err(format!("`{kind}` is not a valid kind"));
    }
    let Some(name) = value.pointer("/metadata/name").and_then(Json::as_str) else {
        return Err(format!("a rendered `{kind}` has no `metadata.name`"));
    };
    if !crate::names::is_dns1123_subdomain(name) {
        return Err(format!(
            "`{kind}` name `{name}` is not a valid Kubernetes name (lower-case letters, digits, `-` and `.`, at most 253 characters)"
        ));
    }
    Ok((kind, name))
}

/// The application folder an object of `kind` goes to. Guard-rails go to the
/// tenant's platform application; a pipeline of its own namespace keeps everything in
/// its application.
fn application(provenance: &Provenance, kind: &str) -> String {
    match (provenance.pipeline.as_deref(), provenance.tenant.as_deref()) {
        (Some(_) | None, Some(t)) if PLATFORM_KINDS.contains(&kind) => layout::tenant_platform(t),
        (Some(p), _) => layout::pipeline(p),
        (None, Some(t)) => layout::tenant_workloads(t),
        (None, None) if provenance.argocd => layout::ARGOCD.to_string(),
        (None, None) => layout::CLUSTER.to_string(),
    }
}

/// The object's output path in `app`, or why its scope and namespace do not fit what
/// rendered it.
fn output_path(
    provenance: &Provenance,
    scopes: &crate::kube::Scopes,
    app: &str,
    kind: &str,
    name: &str,
    namespace: Option<&str>,
) -> Result<String, String> {
    let cluster_scoped = scopes.is_cluster_scoped(kind);
    let scoped = provenance.tenant.is_some() || provenance.pipeline.is_some();
    let file = layout::file(kind, name);
    Ok(match (cluster_scoped, namespace) {
        // The Argo CD objects live in Argo CD's namespace, all in one folder.
        _ if provenance.argocd => layout::path(app, None, &file),
        (true, Some(_)) => return Err(format!("`{kind}` `{name}` is cluster-scoped and must not have a namespace")),
        (true, None) if kind == "Namespace" && scoped => layout::path(app, Some(name), &file),
        (true, None) if scoped => {
            return Err(format!(
                "tenant templates may not emit the cluster-scoped `{kind}` `{name}`; put it in `templates/objects/cluster/`"
            ))
        }
        (true, None) => layout::path(app, None, &file),
        (false, None) => return Err(format!("`{kind}` `{name}` has no `metadata.namespace`")),
        (false, Some(ns)) if !crate::names::is_dns1123_label(ns) => {
            return Err(format!("`{kind}` `{name}` is in namespace `{ns}`, which is not a valid namespace name"))
        }
        (false, Some(_)) if !scoped => {
            return Err(format!("cluster templates may emit only cluster-scoped objects, and `{kind}` is namespaced"))
        }
        (false, Some(ns)) => layout::path(app, Some(ns), &file),
    })
}

/// An object of tenant `acme`, as a service template would have rendered it, for
/// the tests of the checks.
#[cfg(test)]
pub(crate) fn of_acme(document: Json) -> Object {
    let p = Provenance {
        template: "templates/objects/service/x.yaml.j2".into(),
        tenant: Some("acme".into()),
        input: Some("tenants/acme.yaml".into()),
        ..Provenance::default()
    };
    from_document(document, &p, 0, &crate::kube::Scopes::new([]))
        .unwrap_or_else(|d| panic!("{}", d.message))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn tenant() -> Provenance {
        Provenance {
            template: "templates/objects/service/x.yaml.j2".into(),
            input: Some("tenants/acme.yaml".into()),
            tenant: Some("acme".into()),
            pipeline: None,
            service: Some("trino".into()),
            namespace: Some("acme".into()),
            argocd: false,
        }
    }

    #[test]
    fn paths_by_kind_and_scope() {
        let d = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "trino", "namespace": "acme"}});
        let o = from_document(d, &tenant(), 0, &crate::kube::Scopes::new([])).unwrap();
        assert_eq!(o.path, "tenants/acme/workloads/acme/deployment_trino.yaml");
        assert_eq!(o.id().key(), "apps/Deployment/acme/trino");
        let n = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "acme"}});
        assert_eq!(
            from_document(n, &tenant(), 0, &crate::kube::Scopes::new([]))
                .unwrap()
                .path,
            "tenants/acme/platform/acme/namespace_acme.yaml"
        );
        let p = json!({"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "metadata": {"name": "high"}});
        assert_eq!(
            from_document(
                p,
                &Provenance::cluster("t".into()),
                0,
                &crate::kube::Scopes::new([])
            )
            .unwrap()
            .path,
            "cluster/priorityclass_high.yaml"
        );
    }

    #[test]
    fn names_that_could_escape_are_refused() {
        for name in ["../x", "a/b", "UPPER", "", ".", "a..b"] {
            let d = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": "acme"}});
            assert!(
                from_document(d, &tenant(), 0, &crate::kube::Scopes::new([])).is_err(),
                "{name}"
            );
        }
        let d = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x", "namespace": "../etc"}});
        assert!(from_document(d, &tenant(), 0, &crate::kube::Scopes::new([])).is_err());
    }

    #[test]
    fn argocd_objects_go_to_their_folder() {
        let d = json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "Application", "metadata": {"name": "acme-workloads", "namespace": "argocd"}});
        let o = from_document(
            d,
            &Provenance::argocd("t".into()),
            0,
            &crate::kube::Scopes::new([]),
        )
        .unwrap();
        assert_eq!(o.path, "argocd/application_acme-workloads.yaml");
        assert_eq!(o.app, "argocd");
    }

    #[test]
    fn tenants_cannot_emit_cluster_objects() {
        let d = json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "x"}});
        let e = from_document(d, &tenant(), 0, &crate::kube::Scopes::new([])).unwrap_err();
        assert!(e
            .message
            .contains("may not emit the cluster-scoped `ClusterRole`"));
    }
}

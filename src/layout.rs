//! The output layout, decided here and nowhere else: which folder of the output tree
//! (and so which Argo CD Application) each object goes to, and the file it is written
//! as. docs/output.md describes the tree. A leaf, so that `render` (each object's path),
//! `argocd` (each application's folder) and `diff` read the same layout.
//!
//! ```text
//! cluster/<kind>_<name>.yaml                          cluster-scoped platform objects
//! argocd/<kind>_<name>.yaml                           the Applications and AppProjects
//! tenants/<tenant>/platform/<namespace>/<file>        a tenant's guard-rails
//! tenants/<tenant>/workloads/<namespace>/<file>       a tenant's services
//! pipelines/<pipeline>/<namespace>/<file>             a pipeline
//! ```

/// Kinds the platform owns in a tenant's namespaces: they go to the tenant's platform
/// application, which the tenant's own project may not manage.
pub const PLATFORM_KINDS: [&str; 8] = [
    "Namespace",
    "SecretStore",
    "ResourceQuota",
    "LimitRange",
    "NetworkPolicy",
    "ServiceAccount",
    "Role",
    "RoleBinding",
];

/// The folder of the cluster-scoped platform objects.
pub const CLUSTER: &str = "cluster";

/// The folder of the Argo CD objects, all in Argo CD's namespace.
pub const ARGOCD: &str = "argocd";

/// The folder of a tenant's guard-rails (Namespaces, quotas, policies): its platform
/// application.
pub fn tenant_platform(tenant: &str) -> String {
    format!("tenants/{tenant}/platform")
}

/// The folder of a tenant's services: its workloads application.
pub fn tenant_workloads(tenant: &str) -> String {
    format!("tenants/{tenant}/workloads")
}

/// The folder of a pipeline: its application.
pub fn pipeline(pipeline: &str) -> String {
    format!("pipelines/{pipeline}")
}

/// The file an object is written as, in its folder: `<kind in lower case>_<name>.yaml`.
pub fn file(kind: &str, name: &str) -> String {
    format!("{}_{name}.yaml", kind.to_ascii_lowercase())
}

/// The path of a file in a folder, by namespace when it has one.
pub fn path(folder: &str, namespace: Option<&str>, file: &str) -> String {
    match namespace {
        Some(ns) => format!("{folder}/{ns}/{file}"),
        None => format!("{folder}/{file}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tree() {
        assert_eq!(tenant_platform("acme"), "tenants/acme/platform");
        assert_eq!(tenant_workloads("acme"), "tenants/acme/workloads");
        assert_eq!(pipeline("p"), "pipelines/p");
        assert_eq!(file("ConfigMap", "a"), "configmap_a.yaml");
        assert_eq!(
            path(
                &tenant_workloads("acme"),
                Some("acme"),
                &file("Service", "api")
            ),
            "tenants/acme/workloads/acme/service_api.yaml"
        );
        assert_eq!(path(CLUSTER, None, "x.yaml"), "cluster/x.yaml");
    }
}

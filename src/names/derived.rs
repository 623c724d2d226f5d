//! The names kiln derives from another name: one function per derived name, and the
//! only place each is made. The context hands them to templates (`svc.configName`,
//! `svc.headlessName`, `gateway.routesName`, `ingress.tlsSecret`,
//! `pipeline.webui.tlsSecret`, …, see docs/templates.md), so no template concatenates
//! a suffix, and the stages that check a name's length (`plan/`) check the name that
//! is written.
//!
//! Kubernetes object names and pod-local volume names only: the names a service reads
//! in its configuration (database names, object storage prefixes, credential keys,
//! the Vault role) are made with the configuration in `src/render/context/`.

use super::{clean, MAX_LABEL};

// Tenants.

/// An extra namespace of a tenant: `<tenant>-<extra>`, for each of `extraNamespaces`.
pub fn extra_namespace(tenant: &str, extra: &str) -> String {
    format!("{tenant}-{extra}")
}

/// The name an extra namespace was given in `extraNamespaces`: `namespace` without
/// the `<tenant>-` of [`extra_namespace`]. `None` when it does not start with it.
pub fn extra_namespace_given<'n>(tenant: &str, namespace: &'n str) -> Option<&'n str> {
    namespace.strip_prefix(tenant)?.strip_prefix('-')
}

/// The Secret of the tenant's Ingress certificate: `<tenant>-tls`.
pub fn tenant_tls_secret(tenant: &str) -> String {
    format!("{tenant}-tls")
}

/// The Argo CD Application of a tenant's platform objects: `<tenant>-platform`.
pub fn platform_application(tenant: &str) -> String {
    format!("{tenant}-platform")
}

/// The Argo CD Application of a tenant's workloads: `<tenant>-workloads`.
pub fn workloads_application(tenant: &str) -> String {
    format!("{tenant}-workloads")
}

// Services.

/// The ConfigMap of a service's `config.json`: `<service>-config`.
pub fn config_map(service: &str) -> String {
    format!("{service}-config")
}

/// The Secret (and its ExternalSecret) of a service's credentials:
/// `<service>-credentials`.
pub fn credentials_secret(service: &str) -> String {
    format!("{service}-credentials")
}

/// The headless Service of a StatefulSet: `<service>-headless`.
pub fn headless_service(service: &str) -> String {
    format!("{service}-headless")
}

/// The ConfigMap of the gateway's routes: `<gateway>-routes`.
pub fn routes_config_map(gateway: &str) -> String {
    format!("{gateway}-routes")
}

/// The emptyDir volume of a writable path: `writable-<path as a label>`.
pub fn writable_volume(path: &str) -> String {
    format!("writable-{}", clean(path))
}

// Pipelines.

/// The orchestrator's name (before the pipeline prefix), also its `container_name` in
/// `dockerinfo.json`; no node may take it (`validate/blueprint.rs`).
pub const ORCHESTRATOR: &str = "orchestrator";

/// A node's name from its blueprint `container_name`: a DNS-1035 label, lower case,
/// other characters as `-`, trimmed, at most 63 characters, starting with a letter
/// (`n-` when it would not; `node` when nothing is left).
pub fn node(container_name: &str) -> String {
    let cleaned = clean(container_name);
    let named = if cleaned.starts_with(|c: char| c.is_ascii_lowercase()) {
        cleaned
    } else if cleaned.is_empty() {
        "node".to_string()
    } else {
        format!("n-{cleaned}")
    };
    let cut: String = named.chars().take(MAX_LABEL).collect();
    cut.trim_end_matches('-').to_string()
}

/// An object of a pipeline: alone in its namespace it keeps its name; in a tenant's
/// namespace it is prefixed with the pipeline's name, `<pipeline>-<name>`.
fn in_pipeline(pipeline: &str, own_namespace: bool, name: &str) -> String {
    if own_namespace {
        name.to_string()
    } else {
        format!("{pipeline}-{name}")
    }
}

/// The Deployment and Service of a node: [`node`], prefixed by [`in_pipeline`].
pub fn pipeline_node(pipeline: &str, own_namespace: bool, node_name: &str) -> String {
    in_pipeline(pipeline, own_namespace, node_name)
}

/// The orchestrator's Deployment and Service: `[<pipeline>-]orchestrator`.
pub fn orchestrator(pipeline: &str, own_namespace: bool) -> String {
    in_pipeline(pipeline, own_namespace, ORCHESTRATOR)
}

/// The starter Job: `[<pipeline>-]starter`.
pub fn starter(pipeline: &str, own_namespace: bool) -> String {
    in_pipeline(pipeline, own_namespace, "starter")
}

/// The pipeline's ServiceAccount: `[<pipeline>-]pipeline`.
pub fn pipeline_service_account(pipeline: &str, own_namespace: bool) -> String {
    in_pipeline(pipeline, own_namespace, "pipeline")
}

/// The PersistentVolumeClaim of a SharedFolder: `[<pipeline>-]shared-<container_name
/// as a label>`, or `shared-<index>` (its place among the SharedFolders) when nothing
/// of the name is left.
pub fn shared_folder_claim(
    pipeline: &str,
    own_namespace: bool,
    index: usize,
    container_name: &str,
) -> String {
    let cleaned = clean(container_name);
    let base = if cleaned.is_empty() {
        format!("shared-{index}")
    } else {
        format!("shared-{cleaned}")
    };
    in_pipeline(pipeline, own_namespace, &base)
}

/// A node's volume of the `index`th SharedFolder it mounts: `shared-<index>`.
pub fn shared_folder_volume(index: usize) -> String {
    format!("shared-{index}")
}

/// The ConfigMap of the orchestrator's files: `<orchestrator>-orchestration`.
pub fn orchestration_config_map(orchestrator: &str) -> String {
    format!("{orchestrator}-orchestration")
}

/// The Ingress of the nodes' web UIs: `<pipeline>-webui`.
pub fn webui_ingress(pipeline: &str) -> String {
    format!("{pipeline}-webui")
}

/// The Secret of the web UI's certificate: `<pipeline>-webui-tls`.
pub fn webui_tls_secret(pipeline: &str) -> String {
    format!("{pipeline}-webui-tls")
}

/// The Argo CD Application of a pipeline: `pipeline-<pipeline>`.
pub fn pipeline_application(pipeline: &str) -> String {
    format!("pipeline-{pipeline}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_and_service_names() {
        assert_eq!(extra_namespace("acme", "batch"), "acme-batch");
        assert_eq!(extra_namespace_given("acme", "acme-batch"), Some("batch"));
        assert_eq!(extra_namespace_given("acme", "acmebatch"), None);
        assert_eq!(extra_namespace_given("acme", "other-batch"), None);
        assert_eq!(tenant_tls_secret("acme"), "acme-tls");
        assert_eq!(platform_application("acme"), "acme-platform");
        assert_eq!(workloads_application("acme"), "acme-workloads");
        assert_eq!(config_map("trino"), "trino-config");
        assert_eq!(credentials_secret("trino"), "trino-credentials");
        assert_eq!(headless_service("cache"), "cache-headless");
        assert_eq!(routes_config_map("gateway"), "gateway-routes");
        assert_eq!(
            writable_volume("/var/cache/nginx"),
            "writable-var-cache-nginx"
        );
    }

    #[test]
    fn pipeline_names_are_prefixed_only_in_a_tenant_namespace() {
        assert_eq!(orchestrator("p", true), "orchestrator");
        assert_eq!(orchestrator("p", false), "p-orchestrator");
        assert_eq!(starter("p", false), "p-starter");
        assert_eq!(pipeline_service_account("p", true), "pipeline");
        assert_eq!(pipeline_service_account("p", false), "p-pipeline");
        assert_eq!(pipeline_node("p", false, "model"), "p-model");
        assert_eq!(
            shared_folder_claim("p", true, 0, "Data Dir"),
            "shared-data-dir"
        );
        assert_eq!(shared_folder_claim("p", false, 2, "___"), "p-shared-2");
        assert_eq!(shared_folder_volume(1), "shared-1");
        assert_eq!(
            orchestration_config_map("p-orchestrator"),
            "p-orchestrator-orchestration"
        );
        assert_eq!(webui_ingress("p"), "p-webui");
        assert_eq!(webui_tls_secret("p"), "p-webui-tls");
        assert_eq!(pipeline_application("p"), "pipeline-p");
    }

    #[test]
    fn node_names_are_cleaned_for_kubernetes() {
        assert_eq!(node("Text Preprocessor_v2"), "text-preprocessor-v2");
        assert_eq!(node("Sentiment.Classifier A"), "sentiment-classifier-a");
        assert_eq!(node("  --x--  "), "x");
        assert_eq!(node("1st model"), "n-1st-model");
        assert_eq!(node("___"), "node");
        assert_eq!(node(&"A".repeat(80)).len(), 63);
    }
}

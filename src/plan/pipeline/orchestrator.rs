//! What a pipeline's orchestrator is given: its blueprint (without SharedFolders),
//! `dockerinfo.json` and the nodes' protos.

use std::collections::BTreeMap;

use serde_json::{json, Value as Json};

use super::{NodePlan, GRPC_PORT};
use crate::diagnostic::{Code, Diagnostic};
use crate::names::derived::ORCHESTRATOR;
use crate::validate::blueprint::Pipeline;

/// The files the orchestrator `orch` is given (`blueprint.json`, `dockerinfo.json`,
/// the nodes' protos), which must fit in a ConfigMap.
pub(super) fn orchestrator_files(
    p: &Pipeline,
    nodes: &[NodePlan],
    orch: &str,
    problems: &mut Vec<Diagnostic>,
) -> BTreeMap<String, String> {
    let mut files = BTreeMap::new();
    files.insert(
        "blueprint.json".to_string(),
        canonical(&orchestrator_blueprint(&p.blueprint.raw)),
    );
    let mut list: Vec<Json> = nodes
        .iter()
        .map(|n| json!({"container_name": n.container_name, "ip_address": n.name, "port": GRPC_PORT}))
        .collect();
    list.push(json!({"container_name": ORCHESTRATOR, "ip_address": orch, "port": GRPC_PORT}));
    files.insert(
        "dockerinfo.json".to_string(),
        canonical(&json!({"docker_info_list": list})),
    );
    for n in nodes {
        if let Some(proto) = p.protos.get(&n.container_name) {
            files.insert(proto_key(&n.container_name), proto.text.clone());
        }
    }
    let size: usize = files.iter().map(|(k, v)| k.len() + v.len()).sum();
    if size > 1024 * 1024 - 16 * 1024 {
        problems.push(
            Diagnostic::error(Code::TooLarge, format!("the orchestrator's files add up to {size} bytes, more than a ConfigMap holds (1 MiB)"))
                .in_file(&p.file),
        );
    }
    files
}

/// The ConfigMap key of a node's proto: `<container_name>.proto`, with characters a
/// ConfigMap key cannot hold (such as spaces) as `_`.
pub fn proto_key(container_name: &str) -> String {
    let key: String = container_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{key}.proto")
}

/// JSON as the orchestrator reads it: pretty, with a final newline.
fn canonical(v: &Json) -> String {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_default();
    s.push('\n');
    s
}

/// The blueprint the orchestrator receives: SharedFolder nodes removed, with the edges
/// to them and the `mountVolume` operations they fed. Every other field is kept.
pub fn orchestrator_blueprint(raw: &Json) -> Json {
    let mut bp = raw.clone();
    let shared: Vec<String> = raw["nodes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|n| n["node_type"].as_str() == Some("SharedFolder"))
        .filter_map(|n| n["container_name"].as_str().map(str::to_string))
        .collect();
    // Operations that SharedFolders call, by node.
    let mut fed: Vec<(String, String)> = Vec::new();
    for n in raw["nodes"].as_array().into_iter().flatten() {
        if n["node_type"].as_str() == Some("SharedFolder") {
            for op in n["operation_signature_list"]
                .as_array()
                .into_iter()
                .flatten()
            {
                for e in op["connected_to"].as_array().into_iter().flatten() {
                    let target = e["container_name"].as_str().unwrap_or_default().to_string();
                    let operation = e
                        .pointer("/operation_signature/operation_name")
                        .and_then(Json::as_str)
                        .unwrap_or_default();
                    fed.push((target, operation.to_string()));
                }
            }
        }
    }
    if let Some(nodes) = bp.get_mut("nodes").and_then(Json::as_array_mut) {
        nodes.retain(|n| n["node_type"].as_str() != Some("SharedFolder"));
        for n in nodes.iter_mut() {
            let name = n["container_name"].as_str().unwrap_or_default().to_string();
            if let Some(ops) = n
                .get_mut("operation_signature_list")
                .and_then(Json::as_array_mut)
            {
                ops.retain(|op| {
                    let op_name = op
                        .pointer("/operation_signature/operation_name")
                        .and_then(Json::as_str)
                        .unwrap_or_default();
                    !fed.iter().any(|(t, o)| *t == name && o == op_name)
                });
                for op in ops.iter_mut() {
                    if let Some(edges) = op.get_mut("connected_to").and_then(Json::as_array_mut) {
                        edges.retain(|e| {
                            !e["container_name"]
                                .as_str()
                                .is_some_and(|t| shared.iter().any(|s| s == t))
                        });
                    }
                }
            }
        }
    }
    bp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proto_keys_are_valid_config_map_keys() {
        assert_eq!(
            proto_key("Text Preprocessor_v2"),
            "Text_Preprocessor_v2.proto"
        );
        assert_eq!(proto_key("tensorboard1"), "tensorboard1.proto");
    }

    #[test]
    fn shared_folders_leave_the_orchestrator_blueprint() {
        let raw = json!({"name": "p", "nodes": [
            {"container_name": "/data", "node_type": "SharedFolder", "operation_signature_list": [
                {"operation_signature": {"operation_name": "provideFolder"}, "connected_to": [{"container_name": "a", "operation_signature": {"operation_name": "mountVolume"}}]}]},
            {"container_name": "a", "node_type": "MLModel", "operation_signature_list": [
                {"operation_signature": {"operation_name": "mountVolume"}, "connected_to": []},
                {"operation_signature": {"operation_name": "run"}, "connected_to": [{"container_name": "b", "operation_signature": {"operation_name": "go"}}]}],
             "extra": "kept"}]});
        let bp = orchestrator_blueprint(&raw);
        assert_eq!(bp["nodes"].as_array().unwrap().len(), 1);
        let ops = bp["nodes"][0]["operation_signature_list"]
            .as_array()
            .unwrap();
        assert_eq!(ops.len(), 1);
        assert_eq!(ops[0]["operation_signature"]["operation_name"], "run");
        assert_eq!(bp["nodes"][0]["extra"], "kept");
    }
}

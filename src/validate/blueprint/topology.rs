//! A blueprint's topology: its nodes (names, types, images, SharedFolder paths), the
//! edges between their operations, and the Kubernetes names derived from the nodes.

use std::collections::BTreeMap;

use serde_json::Value as Json;

use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::model::blueprint::{Blueprint, BlueprintNode, Edge, NodeType, Operation};
use crate::names;
use crate::names::derived::ORCHESTRATOR;
use crate::parse::Document;
use crate::suggest;

use super::located;

/// Reads and checks the nodes and edges.
pub(super) fn topology(doc: &Document, diags: &mut Diagnostics) -> Option<Blueprint> {
    let raw = doc.root.to_json();
    let mut nodes = Vec::new();
    // Every node's name, typed or not, so edges to a node with a bad type are not
    // reported as edges to nowhere.
    let raw_nodes = raw.get("nodes").and_then(Json::as_array);
    let all_names: Vec<String> = raw_nodes
        .into_iter()
        .flatten()
        .filter_map(|n| n["container_name"].as_str().map(str::to_string))
        .collect();
    let mut first_index: BTreeMap<String, usize> = BTreeMap::new();
    let mut ok = true;
    for (i, node) in raw_nodes.into_iter().flatten().enumerate() {
        let at = format!("/nodes/{i}");
        let name = node["container_name"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        if let Some(first) = first_index.insert(name.clone(), i) {
            diags.push(
                located(
                    doc,
                    &format!("{at}/container_name"),
                    Diagnostic::error(Code::DuplicateNode, format!("two nodes are named `{name}`")),
                )
                .note(format!("the other one is node {first} of `nodes`"))
                .hint("`container_name` must be unique in a blueprint"),
            );
            ok = false;
        }
        let Some(node_type) = node_type(doc, &at, &name, node, diags) else {
            ok = false;
            continue;
        };
        let image = node["image"]
            .as_str()
            .filter(|s| !s.trim().is_empty())
            .map(str::to_string);
        ok &= node_is_sound(doc, &at, &name, node_type, image.as_ref(), diags);
        nodes.push(BlueprintNode {
            k8s_name: names::derived::node(&name),
            container_name: name,
            node_type,
            image,
            operations: operations(node),
            index: i,
        });
    }
    ok &= edges(doc, &nodes, &all_names, diags);
    ok &= kubernetes_names(doc, &nodes, diags);
    let version = match raw.get("version").unwrap_or(&Json::Null) {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    };
    ok.then(|| Blueprint {
        name: raw
            .get("name")
            .and_then(Json::as_str)
            .unwrap_or_default()
            .to_string(),
        version,
        generation: if raw.get("type").and_then(Json::as_str) == Some("pipeline-topology/v2") {
            "v2"
        } else {
            "v1"
        },
        nodes,
        raw,
    })
}

/// A node's `node_type`; `None` when it has none or an unknown one (reported).
fn node_type(
    doc: &Document,
    at: &str,
    name: &str,
    node: &Json,
    diags: &mut Diagnostics,
) -> Option<NodeType> {
    let known_types: Vec<&str> = NodeType::ALL.iter().map(|(n, _)| *n).collect();
    let Some(t) = node["node_type"].as_str() else {
        diags.push(
            located(
                doc,
                at,
                Diagnostic::error(Code::NodeType, format!("node `{name}` has no `node_type`")),
            )
            .hint(format!(
                "the node types are {}",
                suggest::code_list(&known_types)
            )),
        );
        return None;
    };
    let parsed = NodeType::parse(t);
    if parsed.is_none() {
        diags.push(
            located(
                doc,
                &format!("{at}/node_type"),
                Diagnostic::error(
                    Code::NodeType,
                    format!("node `{name}` has the unknown type `{t}`"),
                ),
            )
            .hint(
                suggest::did_you_mean(t, known_types.iter().copied()).unwrap_or_else(|| {
                    format!("the node types are {}", suggest::code_list(&known_types))
                }),
            ),
        );
    }
    parsed
}

/// Whether a typed node is sound: a node that runs has an image, and a SharedFolder's
/// name is a plain absolute path (each problem reported).
fn node_is_sound(
    doc: &Document,
    at: &str,
    name: &str,
    node_type: NodeType,
    image: Option<&String>,
    diags: &mut Diagnostics,
) -> bool {
    let mut ok = true;
    if node_type.is_deployable() && image.is_none() {
        diags.push(
            located(
                doc,
                at,
                Diagnostic::error(
                    Code::NoImage,
                    format!("node `{name}` ({}) has no `image`", node_type.name()),
                ),
            )
            .hint("every node that runs needs the image the designer published for it"),
        );
        ok = false;
    }
    let plain_path = name.starts_with('/')
        && !name.contains(':')
        && !name.chars().any(char::is_control)
        && name
            .split('/')
            .skip(1)
            .all(|seg| !seg.is_empty() && seg != "." && seg != "..");
    if node_type == NodeType::SharedFolder && !plain_path {
        diags.push(
            located(
                doc,
                &format!("{at}/container_name"),
                Diagnostic::error(Code::SharedFolderPath, format!(
                    "SharedFolder `{}` is not a plain absolute path",
                    crate::diagnostic::printable(name)
                )),
            )
            .hint("a SharedFolder's `container_name` is the path it is mounted at, such as `/data/shared`: absolute, without `.` or `..` segments, `:` or control characters"),
        );
        ok = false;
    }
    ok
}

/// A node's operations and the edges each is connected to, as written.
fn operations(node: &Json) -> Vec<Operation> {
    node["operation_signature_list"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|o| Operation {
            name: o
                .pointer("/operation_signature/operation_name")
                .and_then(Json::as_str)
                .unwrap_or_default()
                .into(),
            edges: o["connected_to"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|e| Edge {
                    target: e["container_name"].as_str().unwrap_or_default().into(),
                    operation: e
                        .pointer("/operation_signature/operation_name")
                        .and_then(Json::as_str)
                        .unwrap_or_default()
                        .into(),
                })
                .collect(),
        })
        .collect()
}

/// Whether every edge leads to an operation of a node that runs (each broken edge
/// reported); warns on a SharedFolder that no edge reaches.
fn edges(
    doc: &Document,
    nodes: &[BlueprintNode],
    all_names: &[String],
    diags: &mut Diagnostics,
) -> bool {
    let mut ok = true;
    for node in nodes {
        for (o, op) in node.operations.iter().enumerate() {
            for (e, edge) in op.edges.iter().enumerate() {
                let at = format!(
                    "/nodes/{}/operation_signature_list/{o}/connected_to/{e}",
                    node.index
                );
                ok &= edge_is_sound(doc, &at, node, edge, nodes, all_names, diags);
            }
        }
        if node.node_type == NodeType::SharedFolder
            && node.operations.iter().all(|o| o.edges.is_empty())
        {
            diags.push(
                located(
                    doc,
                    &format!("/nodes/{}", node.index),
                    Diagnostic::warning(Code::UnmountedSharedFolder, format!("SharedFolder `{}` is connected to no node, so nothing mounts it", node.container_name)),
                )
                .hint("connect it to the `mountVolume` operation of the nodes that use it, or remove it"),
            );
        }
    }
    ok
}

/// Whether one edge of `node`, at `at`, leads to a node that is not a SharedFolder and
/// has the operation it calls (a problem reported). An edge to a node that was left
/// out for a problem of its own is passed over.
fn edge_is_sound(
    doc: &Document,
    at: &str,
    node: &BlueprintNode,
    edge: &Edge,
    nodes: &[BlueprintNode],
    all_names: &[String],
    diags: &mut Diagnostics,
) -> bool {
    let Some(target) = nodes.iter().find(|n| n.container_name == edge.target) else {
        if all_names.contains(&edge.target) {
            return true; // its node has a problem of its own, reported above
        }
        diags.push(
            located(
                doc,
                &format!("{at}/container_name"),
                Diagnostic::error(
                    Code::BrokenEdge,
                    format!(
                        "node `{}` is connected to `{}`, which is not a node",
                        node.container_name, edge.target
                    ),
                ),
            )
            .hint_opt(suggest::did_you_mean(
                &edge.target,
                nodes.iter().map(|n| n.container_name.as_str()),
            )),
        );
        return false;
    };
    if target.node_type == NodeType::SharedFolder {
        diags.push(located(
            doc,
            &format!("{at}/container_name"),
            Diagnostic::error(Code::BrokenEdge, format!("node `{}` is connected to the SharedFolder `{}`; a SharedFolder only provides a volume", node.container_name, target.container_name)),
        ));
        return false;
    }
    let ops: Vec<&str> = target.operations.iter().map(|o| o.name.as_str()).collect();
    if !ops.is_empty() && !ops.contains(&edge.operation.as_str()) {
        diags.push(
            located(
                doc,
                &format!("{at}/operation_signature/operation_name"),
                Diagnostic::error(
                    Code::BrokenEdge,
                    format!(
                        "node `{}` calls operation `{}` of `{}`, which has no such operation",
                        node.container_name, edge.operation, target.container_name
                    ),
                ),
            )
            .hint(
                suggest::did_you_mean(&edge.operation, ops.iter().copied()).unwrap_or_else(|| {
                    format!(
                        "`{}` has {}",
                        target.container_name,
                        suggest::code_list(&ops)
                    )
                }),
            ),
        );
        return false;
    }
    true
}

/// Whether the Kubernetes names of the nodes that run are all distinct and none is the
/// orchestrator's (each clash reported).
fn kubernetes_names(doc: &Document, nodes: &[BlueprintNode], diags: &mut Diagnostics) -> bool {
    let mut ok = true;
    let mut by_name: BTreeMap<&str, &BlueprintNode> = BTreeMap::new();
    for node in nodes.iter().filter(|n| n.node_type.is_deployable()) {
        let at = format!("/nodes/{}/container_name", node.index);
        if node.k8s_name == ORCHESTRATOR {
            diags.push(
                located(doc, &at, Diagnostic::error(Code::NodeName, format!("node `{}` would be named `{ORCHESTRATOR}`, the name of the pipeline's orchestrator", node.container_name)))
                    .hint("rename the node in the designer"),
            );
            ok = false;
        }
        if let Some(other) = by_name.insert(&node.k8s_name, node) {
            diags.push(
                located(
                    doc,
                    &at,
                    Diagnostic::error(Code::NodeName, format!(
                        "nodes `{}` and `{}` both become `{}` as Kubernetes names",
                        other.container_name, node.container_name, node.k8s_name
                    )),
                )
                .hint("Kubernetes names keep only lower-case letters, digits and `-`; rename one of the nodes in the designer"),
            );
            ok = false;
        }
    }
    ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_types() {
        assert!(NodeType::parse("MLModel").unwrap().is_deployable());
        assert!(!NodeType::parse("SharedFolder").unwrap().is_deployable());
        assert!(!NodeType::parse("Splitter").unwrap().is_deployable());
        assert_eq!(NodeType::parse("mlmodel"), None);
    }
}

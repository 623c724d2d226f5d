//! Checks of a pipeline folder: the blueprint's format and topology, the names derived
//! from it, and its deployment settings.

use std::collections::BTreeMap;

use serde_json::Value as Json;

use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::load::SourceFile;
use crate::model::blueprint::{
    Blueprint, BlueprintNode, Edge, NodeType, Operation, PipelineSettings,
};
use crate::names;
use crate::names::derived::ORCHESTRATOR;
use crate::parse::{Document, PipelineDocuments};
use crate::schema;
use crate::suggest;

use super::located;

/// A validated pipeline.
#[derive(Clone, Debug)]
pub struct Pipeline {
    /// The folder's name: the pipeline's name in kiln.
    pub name: String,
    pub file: String,
    pub settings_file: Option<String>,
    pub blueprint: Blueprint,
    pub settings: PipelineSettings,
    /// `.proto` files by `container_name`.
    pub protos: BTreeMap<String, SourceFile>,
}

/// Validates one pipeline folder; `None` when it has errors (all reported).
pub fn check(
    docs: &PipelineDocuments,
    diags: &mut Diagnostics,
) -> anyhow::Result<Option<Pipeline>> {
    let before = diags.error_count();
    let folder = format!("blueprints/{}/", docs.name);
    if let Some(problem) = names::label_problem(&docs.name) {
        diags.push(
            Diagnostic::error(
                Code::InvalidName,
                format!(
                    "pipeline name `{}` (the folder name) is not a valid DNS-1123 label: {problem}",
                    docs.name
                ),
            )
            .in_file(&folder)
            .hint(format!(
                "rename the folder to `blueprints/{}/`",
                names::clean(&docs.name)
            )),
        );
    } else if docs.name.len() > crate::validate::MAX_TENANT_NAME {
        diags.push(
            Diagnostic::error(
                Code::InvalidName,
                format!(
                    "pipeline name `{}` is {} characters long, over the limit of {}",
                    docs.name,
                    docs.name.len(),
                    crate::validate::MAX_TENANT_NAME
                ),
            )
            .in_file(&folder),
        );
    }
    for d in docs.blueprint.iter().chain(docs.settings.iter()) {
        let found = crate::validate::secrets::check(d);
        if !found.is_empty() {
            diags.extend(found);
        }
    }
    let Some(doc) = &docs.blueprint else {
        return Ok(None);
    };
    if legacy(doc, diags) {
        return Ok(None);
    }
    let problems = schema::check("blueprint", doc)?;
    if !problems.is_empty() {
        diags.extend(problems);
        return Ok(None);
    }
    let blueprint = topology(doc, diags);

    let settings = match &docs.settings {
        None => PipelineSettings::from_json(serde_json::json!({})).ok(),
        Some(s) => {
            let problems = schema::check("pipeline", s)?;
            if problems.is_empty() {
                match PipelineSettings::from_json(s.root.to_json()) {
                    Ok(v) => Some(v),
                    Err(e) => {
                        diags.push(
                            Diagnostic::error(
                                Code::InvalidInput,
                                format!("cannot read pipeline settings: {e}"),
                            )
                            .in_file(&s.file),
                        );
                        None
                    }
                }
            } else {
                diags.extend(problems);
                None
            }
        }
    };
    if let (Some(settings), Some(s), Some(bp)) = (&settings, &docs.settings, &blueprint) {
        for key in settings.nodes.keys() {
            if bp.node(key).is_none() {
                let names: Vec<&str> = bp.nodes.iter().map(|n| n.container_name.as_str()).collect();
                diags.push(
                    located(
                        s,
                        &format!("/nodes/{}", crate::yaml::node::escape_token(key)),
                        Diagnostic::error(
                            Code::UnknownNode,
                            format!("settings for node `{key}`, which the blueprint does not have"),
                        ),
                    )
                    .hint_opt(suggest::did_you_mean(key, names.iter().copied())),
                );
            }
        }
    }
    if let Some(bp) = &blueprint {
        protos(bp, docs, diags);
    }
    if diags.error_count() > before {
        return Ok(None);
    }
    let (Some(blueprint), Some(settings)) = (blueprint, settings) else {
        return Ok(None);
    };
    Ok(Some(Pipeline {
        name: docs.name.clone(),
        file: doc.file.clone(),
        settings_file: docs.settings.as_ref().map(|s| s.file.clone()),
        blueprint,
        settings,
        protos: docs.protos.clone(),
    }))
}

/// The pre-2018 format (`depends_on`, `input_operation_signatures`) is refused whole.
fn legacy(doc: &Document, diags: &mut Diagnostics) -> bool {
    let top = doc.root.get("input_operation_signatures").is_some();
    let node = doc
        .root
        .get("nodes")
        .map(super::super::yaml::node::Node::items)
        .unwrap_or(&[])
        .iter()
        .position(|n| n.get("depends_on").is_some());
    if !top && node.is_none() {
        return false;
    }
    let pointer = match node {
        Some(i) => format!("/nodes/{i}/depends_on"),
        None => "/input_operation_signatures".to_string(),
    };
    diags.push(
        located(
            doc,
            &pointer,
            Diagnostic::error(Code::LegacyBlueprint, "this blueprint is in the pre-2018 Acumos format (`depends_on`), which kiln does not read"),
        )
        .hint("export the pipeline again from a current designer (Acumos Boreas or later, AI4EU Experiments, Eclipse Graphene); its blueprint has `node_type`, `operation_signature_list` and `connected_to`"),
    );
    true
}

/// Reads and checks the nodes and edges.
fn topology(doc: &Document, diags: &mut Diagnostics) -> Option<Blueprint> {
    let raw = doc.root.to_json();
    let known_types: Vec<&str> = NodeType::ALL.iter().map(|(n, _)| *n).collect();
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
        let node_type = match node["node_type"].as_str() {
            None => {
                diags.push(
                    located(
                        doc,
                        &at,
                        Diagnostic::error(
                            Code::NodeType,
                            format!("node `{name}` has no `node_type`"),
                        ),
                    )
                    .hint(format!(
                        "the node types are {}",
                        suggest::code_list(&known_types)
                    )),
                );
                ok = false;
                continue;
            }
            Some(t) => match NodeType::parse(t) {
                Some(t) => t,
                None => {
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
                            suggest::did_you_mean(t, known_types.iter().copied()).unwrap_or_else(
                                || {
                                    format!(
                                        "the node types are {}",
                                        suggest::code_list(&known_types)
                                    )
                                },
                            ),
                        ),
                    );
                    ok = false;
                    continue;
                }
            },
        };
        let image = node["image"]
            .as_str()
            .filter(|s| !s.trim().is_empty())
            .map(str::to_string);
        if node_type.is_deployable() && image.is_none() {
            diags.push(
                located(
                    doc,
                    &at,
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
                        crate::diagnostic::printable(&name)
                    )),
                )
                .hint("a SharedFolder's `container_name` is the path it is mounted at, such as `/data/shared`: absolute, without `.` or `..` segments, `:` or control characters"),
            );
            ok = false;
        }
        let operations = node["operation_signature_list"]
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
            .collect();
        nodes.push(BlueprintNode {
            k8s_name: names::derived::node(&name),
            container_name: name,
            node_type,
            image,
            operations,
            index: i,
        });
    }
    // Edges.
    for node in &nodes {
        for (o, op) in node.operations.iter().enumerate() {
            for (e, edge) in op.edges.iter().enumerate() {
                let at = format!(
                    "/nodes/{}/operation_signature_list/{o}/connected_to/{e}",
                    node.index
                );
                let Some(target) = nodes.iter().find(|n| n.container_name == edge.target) else {
                    if all_names.contains(&edge.target) {
                        continue; // its node has a problem of its own, reported above
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
                    ok = false;
                    continue;
                };
                if target.node_type == NodeType::SharedFolder {
                    diags.push(located(
                        doc,
                        &format!("{at}/container_name"),
                        Diagnostic::error(Code::BrokenEdge, format!("node `{}` is connected to the SharedFolder `{}`; a SharedFolder only provides a volume", node.container_name, target.container_name)),
                    ));
                    ok = false;
                    continue;
                }
                let ops: Vec<&str> = target.operations.iter().map(|o| o.name.as_str()).collect();
                if !ops.is_empty() && !ops.contains(&edge.operation.as_str()) {
                    diags.push(
                        located(
                            doc,
                            &format!("{at}/operation_signature/operation_name"),
                            Diagnostic::error(Code::BrokenEdge, format!(
                                "node `{}` calls operation `{}` of `{}`, which has no such operation",
                                node.container_name, edge.operation, target.container_name
                            )),
                        )
                        .hint(
                            suggest::did_you_mean(&edge.operation, ops.iter().copied())
                                .unwrap_or_else(|| format!("`{}` has {}", target.container_name, suggest::code_list(&ops))),
                        ),
                    );
                    ok = false;
                }
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
    // Names derived for Kubernetes.
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

/// Protos: one per running node in a pipeline (a warning when missing), none for
/// nodes the blueprint does not have (a note).
fn protos(bp: &Blueprint, docs: &PipelineDocuments, diags: &mut Diagnostics) {
    let pipeline = bp.deployable().count() > 1;
    for node in bp.deployable() {
        if pipeline && !docs.protos.contains_key(&node.container_name) {
            diags.push(
                Diagnostic::warning(
                    Code::MissingProto,
                    format!(
                        "no `.proto` for node `{}`; the orchestrator gets none for it",
                        node.container_name
                    ),
                )
                .in_file(format!(
                    "blueprints/{}/microservice/{}.proto",
                    docs.name, node.container_name
                ))
                .hint("copy the node's protobuf definition from the solution export"),
            );
        }
    }
    for (name, file) in &docs.protos {
        if bp.node(name).is_none() {
            diags.push(
                Diagnostic::info(
                    Code::UnusedProto,
                    format!(
                        "`.proto` for `{name}`, which the blueprint does not have; it is not used"
                    ),
                )
                .in_file(&file.path),
            );
        }
    }
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

//! Checks of a pipeline folder: the blueprint's format and topology, the names derived
//! from it, and its deployment settings.

mod topology;

use std::collections::BTreeMap;

use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::load::SourceFile;
use crate::model::blueprint::{Blueprint, PipelineSettings};
use crate::names;
use crate::parse::{Document, PipelineDocuments};
use crate::schema;
use crate::suggest;

use super::located;
use topology::topology;

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
    name(docs, diags);
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

    let settings = settings(docs, diags)?;
    if let (Some(settings), Some(s), Some(bp)) = (&settings, &docs.settings, &blueprint) {
        unknown_nodes(settings, s, bp, diags);
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

/// Refuses a folder name that is not a DNS-1123 label, or is longer than a tenant's
/// name may be.
fn name(docs: &PipelineDocuments, diags: &mut Diagnostics) {
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
}

/// The pipeline's settings: `pipeline.yaml` checked against its schema and read, or
/// the defaults when there is none; `None` when it has errors (reported).
fn settings(
    docs: &PipelineDocuments,
    diags: &mut Diagnostics,
) -> anyhow::Result<Option<PipelineSettings>> {
    Ok(match &docs.settings {
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
    })
}

/// Refuses settings for a node the blueprint does not have.
fn unknown_nodes(
    settings: &PipelineSettings,
    s: &Document,
    bp: &Blueprint,
    diags: &mut Diagnostics,
) {
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

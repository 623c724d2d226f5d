//! `kiln explain`: where a tenant's value, or a service's being on or off, comes from.

use super::report::{
    ChainRow, Done, ExplainServicesReport, ExplainValueReport, ExplainValuesReport, ServiceRow,
    ValueRow,
};
use super::status::Status;
use std::io::Write as _;

use serde_json::Value as Json;

use super::{print_diagnostics, print_json, Cli, Format};
use crate::compile::{compile, Until};
use crate::diagnostic::{Code, Diagnostic};
use crate::plan::merge::{item_name, KEYED_LISTS};
use crate::plan::{MNode, MValue, Reason, TenantPlan};
use crate::suggest;
use crate::yaml::node::{escape_token, pointer_tokens};
use crate::yaml::{Node, Value};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The tenant (its file name in tenants/, without .yaml), or a file of the output
    /// (tenants/acme/workloads/acme/deployment_trino.yaml) or an object
    /// (Deployment/acme/trino; Kind/name when cluster-scoped)
    pub tenant: String,
    /// JSON pointer into the tenant's merged values, e.g. /services/trino/replicas
    /// (without it, every value with its origin); for an output file or object, into
    /// the object, e.g. /spec/replicas
    pub pointer: Option<String>,
    /// List every catalog service as on or off, with what decided it
    #[arg(long, conflicts_with = "pointer")]
    pub services: bool,
}

pub(super) fn run(cli: &Cli, args: &Args) -> anyhow::Result<Done> {
    if super::explain_object::is_output_ref(&args.tenant) {
        return super::explain_object::run(cli, &args.tenant, args.pointer.as_deref());
    }
    let c = compile(&cli.workspace, Until::Explain)?;
    // A tenant that planned can be explained even when other inputs have problems.
    let planned = c.plans.iter().find(|p| p.name == args.tenant);
    if planned.is_none() && print_diagnostics(cli, &c, "explain") {
        return Ok(Status::Problems.into());
    }
    if planned.is_some() && c.diagnostics.has_errors() && cli.format == Format::Text {
        let _ = writeln!(
            std::io::stderr(),
            "note: the workspace has {} elsewhere; `kiln check` lists them",
            crate::diagnostic::summary(c.diagnostics.error_count(), 0).replace(" found", "")
        );
    }
    let Some(plan) = planned else {
        let names: Vec<&str> = c.plans.iter().map(|p| p.name.as_str()).collect();
        let hint =
            suggest::did_you_mean(&args.tenant, names.iter().copied()).unwrap_or_else(|| {
                format!(
                    "the tenants are {}",
                    crate::suggest::code_list(names.iter())
                )
            });
        return Ok(fail(
            cli,
            Diagnostic::error(Code::UnknownTenant, format!("no tenant `{}`", args.tenant))
                .hint(hint),
        )?
        .into());
    };
    if args.services {
        return Ok(Done::with(services(plan), Status::Ok));
    }
    match &args.pointer {
        Some(p) => {
            let no_effect = c
                .workspace
                .as_ref()
                .and_then(|ws| crate::plan::effect::no_effect(ws, plan, p));
            value(cli, plan, p, no_effect)
        }
        None => Ok(Done::with(all_values(plan), Status::Ok)),
    }
}

/// One problem of `kiln explain` (an unknown tenant, value or output): on stderr, or
/// in JSON on stdout; exit 1.
pub(super) fn fail(cli: &Cli, d: Diagnostic) -> anyhow::Result<Status> {
    match cli.format {
        Format::Json => print_json(&crate::diagnostic::render_json(&[d]).into()),
        Format::Text | Format::Markdown => {
            let _ = write!(
                std::io::stderr(),
                "{}",
                crate::diagnostic::render_human(&[d], &Default::default())
            );
        }
    }
    Ok(Status::Problems)
}

fn location(plan: &TenantPlan, layer: usize, line: u32) -> (String, String) {
    let l = plan.layers.get(layer);
    let file = l.map(|l| l.file.clone()).unwrap_or_default();
    let label = l.map(|l| l.label.clone()).unwrap_or_default();
    (format!("{file}:{line}"), label)
}

fn services(plan: &TenantPlan) -> ExplainServicesReport {
    let mut rows = Vec::new();
    for (name, d) in &plan.services {
        let (why, at, layer) = match &d.reason {
            Reason::Always { span } => {
                let file = plan
                    .layers
                    .iter()
                    .find(|l| l.kind == crate::plan::LayerKind::CatalogFlags)
                    .map(|l| l.file.clone())
                    .unwrap_or_default();
                (
                    "always on (no flag)".to_string(),
                    format!("{file}:{}", span.line),
                    "catalog".to_string(),
                )
            }
            Reason::Flag { flag, origin } => {
                let (at, label) = location(plan, origin.layer, origin.span.line);
                (
                    format!("flag `{flag}` is {}", if d.on { "on" } else { "off" }),
                    at,
                    label,
                )
            }
        };
        rows.push(ServiceRow {
            service: name.clone(),
            on: d.on,
            reason: why,
            at,
            layer,
        });
    }
    ExplainServicesReport {
        tenant: plan.name.clone(),
        services: rows,
    }
}

/// Rewrites a pointer so that steps into keyed lists use the item's name, which is
/// how every layer can be searched for the same item.
fn normalize(merged: &MNode, pointer: &str) -> Option<Vec<String>> {
    let mut node = merged;
    let mut out = Vec::new();
    let mut parent_key: Option<String> = None;
    for token in pointer_tokens(pointer) {
        match &node.value {
            MValue::Map(m) => {
                node = m.get(&token)?;
                out.push(token.clone());
                parent_key = Some(token);
            }
            MValue::List(items) => {
                let keyed = parent_key
                    .as_deref()
                    .is_some_and(|k| KEYED_LISTS.contains(&k));
                let item = match token.parse::<usize>() {
                    Ok(i) => items.get(i)?,
                    Err(_) if keyed => items
                        .iter()
                        .find(|i| item_name(i) == Some(token.as_str()))?,
                    Err(_) => return None,
                };
                out.push(if keyed {
                    item_name(item)?.to_string()
                } else {
                    token
                });
                node = item;
                parent_key = None;
            }
            MValue::Leaf(_) => return None,
        }
    }
    Some(out)
}

/// The node at `tokens` in one layer, treating keyed lists by name.
fn in_layer<'a>(root: &'a Node, tokens: &[String]) -> Option<&'a Node> {
    let mut node = root;
    let mut parent_key: Option<&str> = None;
    for token in tokens {
        node = match &node.value {
            Value::Map(_) => {
                let n = node.get(token)?;
                parent_key = Some(token);
                n
            }
            Value::Seq(items) => {
                let keyed = parent_key.is_some_and(|k| KEYED_LISTS.contains(&k));
                parent_key = None;
                if keyed {
                    items
                        .iter()
                        .find(|i| i.get("name").and_then(Node::as_str) == Some(token.as_str()))?
                } else {
                    items.get(token.parse::<usize>().ok()?)?
                }
            }
            _ => return None,
        };
    }
    Some(node)
}

/// The merged node at `pointer`, the pointer's tokens (keyed list items by name), and
/// one row per layer that sets it: `layer`, `at`, `pointer` (in the layer's file) and
/// `value` (credentials hidden).
pub(super) fn chain<'p>(
    plan: &'p TenantPlan,
    pointer: &str,
) -> (Option<&'p MNode>, Vec<String>, Vec<ChainRow>) {
    // `explain` plans with `Keep::All`, so the origins are there.
    let root = plan.provenance.as_ref();
    let merged = root.and_then(|r| r.at(pointer));
    let tokens = match root.and_then(|r| normalize(r, pointer)) {
        Some(t) => t,
        None => pointer_tokens(pointer).collect(),
    };
    let mut rows = Vec::new();
    for (i, layer) in plan.layers.iter().enumerate() {
        if let Some(node) = in_layer(&layer.root, &tokens) {
            let line = node.span.line;
            let (at, label) = location(plan, i, line);
            let pointer: String = tokens
                .iter()
                .map(|t| format!("/{}", escape_token(t)))
                .collect();
            rows.push(ChainRow {
                layer: label,
                at,
                pointer: layer.file_pointer(&pointer),
                value: crate::secret::hide_json(key_of(&tokens), &node.to_json()),
            });
        }
    }
    (merged, tokens, rows)
}

fn value(
    cli: &Cli,
    plan: &TenantPlan,
    pointer: &str,
    no_effect: Option<String>,
) -> anyhow::Result<Done> {
    let pointer = if pointer == "/" { "" } else { pointer };
    if !pointer.is_empty() && !pointer.starts_with('/') {
        return Ok(fail(
            cli,
            Diagnostic::error(
                Code::NotAPointer,
                format!("`{pointer}` is not a JSON pointer"),
            )
            .hint(format!(
                "start it with `/`, e.g. `/{}`",
                pointer.replace('.', "/")
            )),
        )?
        .into());
    }
    let (merged, tokens, chain) = chain(plan, pointer);
    if merged.is_none() && chain.is_empty() {
        let parent = pointer.rsplit_once('/').map(|(p, _)| p).unwrap_or("");
        let at_parent = plan.provenance.as_ref().and_then(|r| r.at(parent));
        let keys: Vec<String> = match at_parent.map(|n| &n.value) {
            Some(MValue::Map(m)) => m.keys().cloned().collect(),
            _ => Vec::new(),
        };
        let last = pointer.rsplit('/').next().unwrap_or("");
        let hint = suggest::did_you_mean(last, keys.iter().map(String::as_str))
            .unwrap_or_else(|| format!("`kiln explain {}` lists every value", plan.name));
        return Ok(fail(
            cli,
            Diagnostic::error(
                Code::NoValue,
                format!("tenant `{}` has no value at `{pointer}`", plan.name),
            )
            .hint(hint),
        )?
        .into());
    }
    let final_value = merged
        .map(MNode::to_json)
        .map(|v| crate::secret::hide_json(key_of(&tokens), &v));
    let report = ExplainValueReport {
        tenant: plan.name.clone(),
        pointer: pointer.to_string(),
        value: final_value,
        set: merged.map(|m| location(plan, m.origin.layer, m.origin.span.line).0),
        chain,
        no_effect,
    };
    Ok(Done::with(report, Status::Ok))
}

fn all_values(plan: &TenantPlan) -> ExplainValuesReport {
    let mut leaves = Vec::new();
    if let Some(root) = &plan.provenance {
        collect(root, String::new(), &mut leaves);
    }
    let values = leaves
        .iter()
        .map(|(p, n)| {
            let (at, layer) = location(plan, n.origin.layer, n.origin.span.line);
            ValueRow {
                pointer: p.clone(),
                value: shown(p, n),
                at,
                layer,
            }
        })
        .collect();
    ExplainValuesReport {
        tenant: plan.name.clone(),
        values,
    }
}

/// The key that decides whether a value at these tokens is hidden: the first that may
/// name a credential, else the last.
fn key_of(tokens: &[String]) -> Option<&str> {
    // Where a credential is kept (`/credentials/llm/key`) is not the credential.
    if tokens
        .last()
        .is_some_and(|t| crate::secret::is_reference_key(t))
    {
        return None;
    }
    tokens
        .iter()
        .find(|t| crate::secret::is_sensitive_key(t))
        .or(tokens.last())
        .map(String::as_str)
}

/// A leaf's value as it may be shown: credentials hidden (by the pointer's keys).
fn shown(pointer: &str, n: &MNode) -> Json {
    let tokens: Vec<String> = pointer_tokens(pointer).collect();
    crate::secret::hide_json(key_of(&tokens), &n.to_json())
}

fn collect<'a>(node: &'a MNode, pointer: String, out: &mut Vec<(String, &'a MNode)>) {
    match &node.value {
        MValue::Map(m) if !m.is_empty() => {
            for (k, v) in m {
                collect(v, format!("{pointer}/{}", escape_token(k)), out);
            }
        }
        MValue::List(items) if !items.is_empty() => {
            for (i, v) in items.iter().enumerate() {
                collect(v, format!("{pointer}/{i}"), out);
            }
        }
        _ => out.push((pointer, node)),
    }
}

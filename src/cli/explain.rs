//! `kiln explain`: where a tenant's value, or a service's being on or off, comes from.

use super::status::Status;
use std::fmt::Write as _;
use std::io::Write as _;

use serde_json::{json, Value as Json};

use super::{print_json, report, Cli, Format};
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

pub(super) fn run(cli: &Cli, args: &Args) -> anyhow::Result<Status> {
    if super::explain_object::is_output_ref(&args.tenant) {
        return super::explain_object::run(cli, &args.tenant, args.pointer.as_deref());
    }
    let c = compile(&cli.workspace, Until::Explain)?;
    // A tenant that planned can be explained even when other inputs have problems.
    let planned = c.plans.iter().find(|p| p.name == args.tenant);
    if planned.is_none() && report(cli, &c, "explain") {
        return Ok(Status::Problems);
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
        return fail(
            cli,
            Diagnostic::error(Code::UnknownTenant, format!("no tenant `{}`", args.tenant))
                .hint(hint),
        );
    };
    if args.services {
        return services(cli, plan);
    }
    match &args.pointer {
        Some(p) => {
            let no_effect = c
                .workspace
                .as_ref()
                .and_then(|ws| crate::plan::effect::no_effect(ws, plan, p));
            value(cli, plan, p, no_effect)
        }
        None => all_values(cli, plan),
    }
}

fn fail(cli: &Cli, d: Diagnostic) -> anyhow::Result<Status> {
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

fn services(cli: &Cli, plan: &TenantPlan) -> anyhow::Result<Status> {
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
        rows.push((name.clone(), d.on, why, at, layer));
    }
    match cli.format {
        Format::Json => print_json(&json!({
            "tenant": plan.name,
            "services": rows.iter().map(|(n, on, why, at, layer)| json!({
                "service": n, "on": on, "reason": why, "at": at, "layer": layer,
            })).collect::<Vec<_>>(),
        })),
        Format::Text | Format::Markdown => {
            let width = rows.iter().map(|r| r.0.len()).max().unwrap_or(0);
            let why_width = rows.iter().map(|r| r.2.len()).max().unwrap_or(0);
            let mut out = String::new();
            for (n, on, why, at, layer) in &rows {
                let state = if *on { "on " } else { "off" };
                let _ = writeln!(
                    out,
                    "{n:<width$}  {state}  {why:<why_width$}  {at} ({layer})"
                );
            }
            let _ = write!(std::io::stdout(), "{out}");
        }
    }
    Ok(Status::Ok)
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
) -> (Option<&'p MNode>, Vec<String>, Vec<Json>) {
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
            rows.push(json!({
                "layer": label,
                "at": at,
                "pointer": layer.file_pointer(&tokens.iter().map(|t| format!("/{}", escape_token(t))).collect::<String>()),
                "value": crate::secret::hide_json(key_of(&tokens), &node.to_json()),
            }));
        }
    }
    (merged, tokens, rows)
}

fn value(
    cli: &Cli,
    plan: &TenantPlan,
    pointer: &str,
    no_effect: Option<String>,
) -> anyhow::Result<Status> {
    let pointer = if pointer == "/" { "" } else { pointer };
    if !pointer.is_empty() && !pointer.starts_with('/') {
        return fail(
            cli,
            Diagnostic::error(
                Code::NotAPointer,
                format!("`{pointer}` is not a JSON pointer"),
            )
            .hint(format!(
                "start it with `/`, e.g. `/{}`",
                pointer.replace('.', "/")
            )),
        );
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
        return fail(
            cli,
            Diagnostic::error(
                Code::NoValue,
                format!("tenant `{}` has no value at `{pointer}`", plan.name),
            )
            .hint(hint),
        );
    }
    let final_value = merged
        .map(MNode::to_json)
        .map(|v| crate::secret::hide_json(key_of(&tokens), &v));
    match cli.format {
        Format::Json => print_json(&json!({
            "tenant": plan.name,
            "pointer": pointer,
            "value": final_value,
            "set": merged.map(|m| location(plan, m.origin.layer, m.origin.span.line).0),
            "chain": chain,
            "noEffect": no_effect,
        })),
        Format::Text | Format::Markdown => {
            let mut out = String::new();
            match &final_value {
                Some(v) if v.is_object() || v.is_array() => {
                    let _ = writeln!(out, "{pointer} =");
                    for line in crate::yaml::to_string(v).lines() {
                        let _ = writeln!(out, "  {line}");
                    }
                }
                Some(v) => {
                    let _ = writeln!(out, "{pointer} = {}", inline(v));
                }
                None => {
                    let _ = writeln!(out, "{pointer} is not set (a layer removed it)");
                }
            }
            let _ = writeln!(out);
            write_chain(&mut out, &chain, final_value.is_some(), "  ");
            if let Some(why) = &no_effect {
                let _ = writeln!(out, "\nno effect: {why}");
            }
            let _ = write!(std::io::stdout(), "{out}");
        }
    }
    Ok(Status::Ok)
}

/// The rows of a chain as text, aligned, each after `indent`: the layer, where, what
/// it did (`set`, `overridden`, `removed`) and the value, the last marked `← final`
/// when the value is set.
pub(super) fn write_chain(out: &mut String, chain: &[Json], has_final: bool, indent: &str) {
    let label_width = chain
        .iter()
        .map(|c| c["layer"].as_str().unwrap_or("").len())
        .max()
        .unwrap_or(0);
    let at_width = chain
        .iter()
        .map(|c| c["at"].as_str().unwrap_or("").len())
        .max()
        .unwrap_or(0);
    let last = chain.len().saturating_sub(1);
    for (i, c) in chain.iter().enumerate() {
        let v = &c["value"];
        let deleted = v.get("$patch").and_then(Json::as_str) == Some("delete");
        let shown = match (v.is_null(), deleted) {
            (true, _) => "null".to_string(),
            (_, true) => "$patch: delete".to_string(),
            _ => inline(v),
        };
        let verb = match (i, v.is_null() || deleted) {
            (_, true) => "removed",
            (0, false) => "set",
            _ => "overridden",
        };
        let mark = if i == last && has_final {
            "  ← final"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "{indent}{:<label_width$}  {:<at_width$}  {verb:<10}  {shown}{mark}",
            c["layer"].as_str().unwrap_or(""),
            c["at"].as_str().unwrap_or(""),
        );
    }
}

/// A value on one line: scalars as YAML would show them, collections as compact JSON.
pub(super) fn inline(v: &Json) -> String {
    match v {
        Json::Object(_) | Json::Array(_) => {
            let s = v.to_string();
            if s.chars().count() > 80 {
                format!("{}…", s.chars().take(80).collect::<String>())
            } else {
                s
            }
        }
        other => crate::yaml::to_string(other).trim_end().to_string(),
    }
}

fn all_values(cli: &Cli, plan: &TenantPlan) -> anyhow::Result<Status> {
    let mut leaves = Vec::new();
    if let Some(root) = &plan.provenance {
        collect(root, String::new(), &mut leaves);
    }
    match cli.format {
        Format::Json => print_json(&json!({
            "tenant": plan.name,
            "values": leaves.iter().map(|(p, n)| json!({
                "pointer": p,
                "value": shown(p, n),
                "at": location(plan, n.origin.layer, n.origin.span.line).0,
                "layer": location(plan, n.origin.layer, n.origin.span.line).1,
            })).collect::<Vec<_>>(),
        })),
        Format::Text | Format::Markdown => {
            let mut out = String::new();
            for (p, n) in &leaves {
                let (at, label) = location(plan, n.origin.layer, n.origin.span.line);
                let _ = writeln!(out, "{p} = {}  # {at} ({label})", inline(&shown(p, n)));
            }
            let _ = write!(std::io::stdout(), "{out}");
        }
    }
    Ok(Status::Ok)
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

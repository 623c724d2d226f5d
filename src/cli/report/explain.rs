//! The reports of `kiln explain <tenant>`: one value with its chain of layers, every
//! value, and the services on or off.

use std::fmt::Write as _;

use serde::Serialize;
use serde_json::Value as Json;

use super::{Report, Text};

/// One layer (or file) that sets a value: its label, where (`file:line`), the pointer
/// in that file, and the value it sets (credentials hidden).
#[derive(Clone, Debug, Serialize)]
pub(in crate::cli) struct ChainRow {
    pub(in crate::cli) layer: String,
    pub(in crate::cli) at: String,
    pub(in crate::cli) pointer: String,
    pub(in crate::cli) value: Json,
}

/// `kiln explain <tenant> <pointer>`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(in crate::cli) struct ExplainValueReport {
    pub(in crate::cli) tenant: String,
    pub(in crate::cli) pointer: String,
    /// The merged value, `None` when a layer removed it.
    pub(in crate::cli) value: Option<Json>,
    /// Where the merged value was set.
    pub(in crate::cli) set: Option<String>,
    pub(in crate::cli) chain: Vec<ChainRow>,
    pub(in crate::cli) no_effect: Option<String>,
}

impl Report for ExplainValueReport {
    fn text(&self) -> Text {
        let mut out = String::new();
        let pointer = &self.pointer;
        match &self.value {
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
        write_chain(&mut out, &self.chain, self.value.is_some(), "  ");
        if let Some(why) = &self.no_effect {
            let _ = writeln!(out, "\nno effect: {why}");
        }
        Text::stdout(out)
    }
}

/// `kiln explain <tenant>`: every leaf value with where it was set.
#[derive(Debug, Serialize)]
pub(in crate::cli) struct ExplainValuesReport {
    pub(in crate::cli) tenant: String,
    pub(in crate::cli) values: Vec<ValueRow>,
}

#[derive(Debug, Serialize)]
pub(in crate::cli) struct ValueRow {
    pub(in crate::cli) pointer: String,
    pub(in crate::cli) value: Json,
    pub(in crate::cli) at: String,
    pub(in crate::cli) layer: String,
}

impl Report for ExplainValuesReport {
    fn text(&self) -> Text {
        let mut out = String::new();
        for ValueRow {
            pointer,
            value,
            at,
            layer,
        } in &self.values
        {
            let _ = writeln!(out, "{pointer} = {}  # {at} ({layer})", inline(value));
        }
        Text::stdout(out)
    }
}

/// `kiln explain <tenant> --services`: each catalog service on or off, and why.
#[derive(Debug, Serialize)]
pub(in crate::cli) struct ExplainServicesReport {
    pub(in crate::cli) tenant: String,
    pub(in crate::cli) services: Vec<ServiceRow>,
}

#[derive(Debug, Serialize)]
pub(in crate::cli) struct ServiceRow {
    pub(in crate::cli) service: String,
    pub(in crate::cli) on: bool,
    pub(in crate::cli) reason: String,
    pub(in crate::cli) at: String,
    pub(in crate::cli) layer: String,
}

impl Report for ExplainServicesReport {
    fn text(&self) -> Text {
        let rows = &self.services;
        let width = rows.iter().map(|r| r.service.len()).max().unwrap_or(0);
        let why_width = rows.iter().map(|r| r.reason.len()).max().unwrap_or(0);
        let mut out = String::new();
        for ServiceRow {
            service,
            on,
            reason,
            at,
            layer,
        } in rows
        {
            let state = if *on { "on " } else { "off" };
            let _ = writeln!(
                out,
                "{service:<width$}  {state}  {reason:<why_width$}  {at} ({layer})"
            );
        }
        Text::stdout(out)
    }
}

/// The rows of a chain as text, aligned, each after `indent`: the layer, where, what
/// it did (`set`, `overridden`, `removed`) and the value, the last marked `← final`
/// when the value is set.
pub(in crate::cli) fn write_chain(
    out: &mut String,
    chain: &[ChainRow],
    has_final: bool,
    indent: &str,
) {
    let label_width = chain.iter().map(|c| c.layer.len()).max().unwrap_or(0);
    let at_width = chain.iter().map(|c| c.at.len()).max().unwrap_or(0);
    let last = chain.len().saturating_sub(1);
    for (i, c) in chain.iter().enumerate() {
        let v = &c.value;
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
            c.layer, c.at,
        );
    }
}

/// A value on one line: scalars as YAML would show them, collections as compact JSON.
pub(in crate::cli) fn inline(v: &Json) -> String {
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

//! The report of `kiln explain <output file or object> [pointer]`: the field, the
//! template line that wrote it, and the sources of every context key on that line.

use std::fmt::Write as _;

use serde::Serialize;
use serde_json::Value as Json;

use super::explain::{inline, write_chain, ChainRow};
use super::{Report, Text};

#[derive(Debug, Serialize)]
pub(in crate::cli) struct ExplainOutputReport {
    /// The object's file in the output.
    pub(in crate::cli) file: String,
    pub(in crate::cli) kind: String,
    pub(in crate::cli) namespace: Option<String>,
    pub(in crate::cli) name: String,
    pub(in crate::cli) pointer: String,
    /// The field's value, credentials hidden.
    pub(in crate::cli) value: Json,
    pub(in crate::cli) template: TemplateLine,
    pub(in crate::cli) tenant: Option<String>,
    pub(in crate::cli) pipeline: Option<String>,
    pub(in crate::cli) service: Option<String>,
    pub(in crate::cli) input: Option<String>,
    /// The context paths the line prints, loop variables resolved.
    pub(in crate::cli) printed: Vec<String>,
    /// Whether the field is the whole of what the line writes (no pointer below it).
    pub(in crate::cli) whole: bool,
    pub(in crate::cli) argocd: bool,
    pub(in crate::cli) sources: Vec<Expression>,
}

/// The template, and the line of it that wrote the field when one line did.
#[derive(Debug, Serialize)]
pub(in crate::cli) struct TemplateLine {
    pub(in crate::cli) file: String,
    pub(in crate::cli) line: Option<u32>,
    /// The line, credentials hidden.
    pub(in crate::cli) text: Option<String>,
}

/// A context path the line prints, and what it is computed from.
#[derive(Debug, Serialize)]
pub(in crate::cli) struct Expression {
    pub(in crate::cli) expression: String,
    pub(in crate::cli) from: Vec<Source>,
}

/// Where a context key comes from. In JSON each has a `source`: `derived`, `values`,
/// `catalog`, or the file section (`pipeline`, `settings`, `blueprint`).
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub(in crate::cli) enum Source {
    /// Computed by kiln (`from` says from what).
    Derived { source: &'static str, from: String },
    /// A value of the tenant, with its chain of layers.
    Values {
        source: &'static str,
        pointer: String,
        value: Option<Json>,
        chain: Vec<ChainRow>,
    },
    /// A value of a workspace file (`pipeline.yaml`, `kiln.yaml`, `blueprint.json`),
    /// with kiln's defaults before it.
    File {
        source: String,
        file: String,
        pointer: String,
        value: Json,
        chain: Vec<ChainRow>,
    },
    /// A catalog entry, with the line that sets it (kiln's defaults when the catalog
    /// leaves it out; neither when nothing sets it).
    Catalog {
        source: &'static str,
        pointer: String,
        value: Json,
        #[serde(skip_serializing_if = "Option::is_none")]
        at: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        layer: Option<String>,
    },
}

impl Source {
    pub(in crate::cli) fn derived(from: &str) -> Source {
        Source::Derived {
            source: "derived",
            from: from.to_string(),
        }
    }
}

impl Report for ExplainOutputReport {
    fn text(&self) -> Text {
        let mut out = String::new();
        self.field(&mut out);
        let _ = writeln!(out, "\nrendered for {}", self.rendered_for());
        self.written_by(&mut out);
        for e in &self.sources {
            let _ = writeln!(out, "\n{} comes from:", e.expression);
            for f in &e.from {
                write_source(&mut out, f);
            }
        }
        Text::stdout(out)
    }
}

impl ExplainOutputReport {
    /// `file pointer = value`.
    fn field(&self, out: &mut String) {
        let (file, pointer, value) = (&self.file, &self.pointer, &self.value);
        if value.is_object() || value.is_array() {
            let _ = writeln!(out, "{file} {pointer} =");
            for line in crate::yaml::to_string(value).lines() {
                let _ = writeln!(out, "  {line}");
            }
        } else {
            let _ = writeln!(out, "{file} {pointer} = {}", inline(value));
        }
    }

    fn rendered_for(&self) -> String {
        match (&self.tenant, &self.pipeline, &self.service) {
            (_, Some(p), Some(n)) => format!("pipeline `{p}`, node `{n}`"),
            (_, Some(p), _) => format!("pipeline `{p}`"),
            (Some(t), _, Some(n)) => format!("tenant `{t}`, service `{n}`"),
            (Some(t), _, _) => format!("tenant `{t}`"),
            _ if self.argocd => "Argo CD (the objects that deliver the others)".to_string(),
            _ => "the cluster".to_string(),
        }
    }

    /// The template line, and what it prints when no source explains it.
    fn written_by(&self, out: &mut String) {
        let t = &self.template;
        let Some(line) = t.line else {
            let _ = writeln!(
                out,
                "written by {} (no single line of it writes this field)",
                t.file
            );
            return;
        };
        let _ = writeln!(out, "written by {}:{line}", t.file);
        let _ = writeln!(out, "  {line} | {}", t.text.as_deref().unwrap_or(""));
        if !self.sources.is_empty() {
            return;
        }
        let printed: Vec<String> = self.printed.iter().map(|p| format!("`{p}`")).collect();
        if printed.is_empty() && !self.whole {
            let _ = writeln!(
                out,
                "\nthe field is inside what this line opens; no single line below it writes the field"
            );
        } else if printed.is_empty() {
            let _ = writeln!(out, "\nthe template writes it as it stands");
        } else {
            let _ = writeln!(
                out,
                "\nthe line prints {}; kiln traces the tenant and service context to values, and docs/templates.md says where the keys of this scope come from",
                printed.join(", ")
            );
        }
    }
}

/// One source under `… comes from:`.
fn write_source(out: &mut String, f: &Source) {
    let shown = |v: &Json| {
        if v.is_null() {
            "not set".to_string()
        } else {
            format!("= {}", inline(v))
        }
    };
    match f {
        Source::Derived { from, .. } => {
            let _ = writeln!(out, "  made by kiln from {from}");
        }
        Source::Catalog {
            pointer,
            value,
            at,
            layer,
            ..
        } => {
            let at = match (at, layer) {
                (Some(at), Some(layer)) => format!("  {at} ({layer})"),
                (Some(at), None) => format!("  {at}"),
                _ => String::new(),
            };
            let _ = writeln!(out, "  catalog {pointer} {}{at}", shown(value));
        }
        Source::File {
            file,
            pointer,
            value,
            chain,
            ..
        } => {
            let _ = writeln!(out, "  {file} {pointer} {}", shown(value));
            write_chain(out, chain, !value.is_null(), "    ");
        }
        Source::Values {
            pointer,
            value,
            chain,
            ..
        } => {
            let value = value.clone().unwrap_or(Json::Null);
            let _ = writeln!(out, "  {pointer} {}", shown(&value));
            write_chain(out, chain, !value.is_null(), "    ");
        }
    }
}

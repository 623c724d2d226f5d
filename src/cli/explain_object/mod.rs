//! `kiln explain <output file or Kind/namespace/name> [pointer]`: from a field of the
//! output back to its inputs: the template line that wrote it (`line.rs`), and for
//! every context key on that line the values and catalog entries it is computed from
//! (`sources.rs`), each with the chain of layers that set it (kiln's defaults
//! included). The report and its text are `report::ExplainOutputReport`.

mod line;
mod sources;

use super::report::{Done, ExplainOutputReport, Expression, TemplateLine};
use super::status::Status;
use std::io::Write as _;

use rayon::prelude::*;
use serde_json::Value as Json;

use super::explain::fail;
use super::{print_diagnostics, Cli};
use crate::check::Templates;
use crate::compile::{compile, Compilation, Until};
use crate::diagnostic::{Code, Diagnostic};
use crate::render::{sources as context_sources, Object, Renderer};
use crate::suggest;
use crate::validate::Workspace;
use crate::yaml::node::pointer_tokens;
use crate::yaml::Span;

/// Whether the first argument of `kiln explain` names an output file or object rather
/// than a tenant (tenant names have no `/`).
pub(super) fn is_output_ref(target: &str) -> bool {
    target.contains('/')
}

pub(super) fn run(cli: &Cli, target: &str, pointer: Option<&str>) -> anyhow::Result<Done> {
    let c = compile(&cli.workspace, Until::Explain)?;
    if print_diagnostics(cli, &c, "explain") {
        return Ok(Status::Problems.into());
    }
    let Some(ws) = c.workspace.as_ref() else {
        return Ok(Status::Problems.into());
    };
    let objects = match render_all(ws, &c) {
        Ok(objects) => objects,
        Err(problems) => {
            let _ = write!(
                std::io::stderr(),
                "{}",
                crate::diagnostic::render_human(&problems, &c.sources.texts())
            );
            return Ok(Status::Problems.into());
        }
    };
    let Some(object) = find(&objects, target, &ws.settings.output_dir) else {
        return Ok(fail(
            cli,
            unknown_output(&objects, target, &ws.settings.output_dir),
        )?
        .into());
    };
    let pointer = pointer.map(|p| if p == "/" { "" } else { p }).unwrap_or("");
    let Some(value) = object.value.pointer(pointer) else {
        return Ok(fail(cli, no_field(object, pointer))?.into());
    };
    let report = explain(ws, &c, object, pointer, value);
    Ok(Done::with(report, Status::Ok))
}

/// No object is `target`: the closest file or object of its kind, if any.
fn unknown_output(objects: &[Object], target: &str, output_dir: &str) -> Diagnostic {
    let paths: Vec<&str> = objects.iter().map(|o| o.path.as_str()).collect();
    let wanted = target.trim_start_matches(&format!("{output_dir}/"));
    let kind = target.split('/').next().unwrap_or("");
    let same_kind: Vec<String> = objects
        .iter()
        .filter(|o| o.kind().eq_ignore_ascii_case(kind))
        .map(|o| o.id().to_string())
        .collect();
    let hint = suggest::did_you_mean(wanted, paths.iter().copied())
        .or_else(|| suggest::did_you_mean(target, same_kind.iter().map(String::as_str)))
        .unwrap_or_else(|| {
        "name a file of the output (`tenants/<tenant>/workloads/<ns>/deployment_<name>.yaml`) or an object (`Deployment/<namespace>/<name>`, `Kind/<name>` when cluster-scoped)".into()
    });
    Diagnostic::error(
        Code::UnknownOutput,
        format!("no output file or object `{target}`"),
    )
    .hint(hint)
}

/// The object has nothing at `pointer`: the keys where it stops.
fn no_field(object: &Object, pointer: &str) -> Diagnostic {
    let parent = pointer.rsplit_once('/').map(|(p, _)| p).unwrap_or("");
    let keys: Vec<String> = object
        .value
        .pointer(parent)
        .and_then(Json::as_object)
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    let last = pointer.rsplit('/').next().unwrap_or("");
    let hint = suggest::did_you_mean(last, keys.iter().map(String::as_str))
        .unwrap_or_else(|| format!("the keys there are {}", suggest::code_list(keys.iter())));
    Diagnostic::error(
        Code::NoField,
        format!("`{}` has no field at `{pointer}`", object.path),
    )
    .hint(hint)
}

/// Every object a build would write, the Argo CD ones included.
fn render_all(ws: &Workspace, c: &Compilation) -> Result<Vec<Object>, Vec<Diagnostic>> {
    let renderer = Renderer::new(ws)?;
    let units = crate::unit::units(&c.plans, &c.pipelines);
    let rendered: Vec<(Vec<Object>, Vec<Diagnostic>)> =
        units.par_iter().map(|u| renderer.unit(u)).collect();
    let mut objects = Vec::new();
    let mut problems = Vec::new();
    for (o, p) in rendered {
        objects.extend(o);
        problems.extend(p);
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let files: Vec<Vec<u8>> = objects
        .iter()
        .map(|o| crate::yaml::to_string(&o.value).into_bytes())
        .collect();
    let facts: Vec<crate::unit::ObjectFact> = objects
        .iter()
        .zip(&files)
        .map(|(o, bytes)| o.fact(bytes))
        .collect();
    let (plan, mut problems) = crate::argocd::plan(
        ws,
        &c.plans,
        &c.pipelines,
        &facts.iter().collect::<Vec<_>>(),
    );
    let (argocd, render_problems) = renderer.argocd(&plan);
    problems.extend(render_problems);
    if !problems.is_empty() {
        return Err(problems);
    }
    objects.extend(argocd);
    objects.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(objects)
}

/// The object named by a path of the output (with or without the output folder in
/// front) or by `Kind/namespace/name` (`Kind/name` when cluster-scoped).
fn find<'o>(objects: &'o [Object], target: &str, output_dir: &str) -> Option<&'o Object> {
    let path = target.trim_start_matches("./");
    let path = path
        .strip_prefix(output_dir.trim_end_matches('/'))
        .and_then(|p| p.strip_prefix('/'))
        .unwrap_or(path);
    if let Some(o) = objects.iter().find(|o| o.path == path) {
        return Some(o);
    }
    let parts: Vec<&str> = target.split('/').collect();
    let (kind, namespace, name) = match parts.as_slice() {
        [kind, name] => (*kind, None, *name),
        [kind, ns, name] => (*kind, Some(*ns), *name),
        _ => return None,
    };
    objects.iter().find(|o| {
        o.kind().eq_ignore_ascii_case(kind) && o.namespace() == namespace && o.name() == name
    })
}

/// The line of the templates that wrote the field at `tokens`: its template file and
/// place, and the line's text.
struct Written<'t> {
    path: &'t str,
    span: Span,
    text: Option<&'t str>,
}

/// The report: the field, the template line, and the sources of every context key on
/// that line.
fn explain(
    ws: &Workspace,
    c: &Compilation,
    o: &Object,
    pointer: &str,
    value: &Json,
) -> ExplainOutputReport {
    let tokens: Vec<String> = pointer_tokens(pointer).collect();
    let key = tokens.iter().rev().find(|t| t.parse::<usize>().is_err());
    let templates: Templates = ws
        .templates
        .iter()
        .map(|(name, f)| (name.as_str(), (f.path.as_str(), f.text.as_str())))
        .collect();
    let written = written(&templates, o, &tokens);
    // Below the key the line writes, the pointer goes into what the expression
    // printed: `hard: {{ values.quota }}` writes `/spec/hard/pods` from `/quota/pods`.
    let below: Vec<&str> = match written.as_ref().and_then(|w| w.text) {
        Some(line) => {
            let key = line::written_key(line).unwrap_or("");
            let at = tokens.iter().rposition(|t| t == key);
            at.map(|i| tokens.iter().skip(i + 1).map(String::as_str).collect())
                .unwrap_or_default()
        }
        None => Vec::new(),
    };
    let printed = printed(&templates, written.as_ref());
    let sources = expressions(ws, c, o, &printed, &below);
    let template = match &written {
        Some(w) => TemplateLine {
            file: w.path.to_string(),
            line: Some(w.span.line),
            text: w
                .text
                .map(|l| crate::secret::hide_line(l.trim_end()).into_owned()),
        },
        None => TemplateLine {
            file: o.provenance.template.clone(),
            line: None,
            text: None,
        },
    };
    ExplainOutputReport {
        file: o.path.clone(),
        kind: o.kind().to_string(),
        namespace: o.namespace().map(str::to_string),
        name: o.name().to_string(),
        pointer: pointer.to_string(),
        value: crate::secret::hide_json(key.map(String::as_str), value),
        template,
        tenant: o.provenance.tenant.clone(),
        pipeline: o.provenance.pipeline.clone(),
        service: o.provenance.service.clone(),
        input: o.provenance.input.clone(),
        printed,
        whole: below.is_empty(),
        argocd: o.provenance.argocd,
        sources,
    }
}

/// The line of the object's templates that writes the deepest key of the pointer that
/// one line writes.
fn written<'t>(templates: &Templates<'t>, o: &Object, tokens: &[String]) -> Option<Written<'t>> {
    let (path, text) = templates
        .values()
        .find(|(path, _)| *path == o.provenance.template)
        .copied()?;
    let keys: Vec<&str> = tokens
        .iter()
        .map(String::as_str)
        .filter(|t| t.parse::<usize>().is_err())
        .collect();
    let (path, span) = (1..=keys.len()).rev().find_map(|n| {
        let upto = keys.get(..n)?;
        line::nested_line(path, text, templates, upto, o.document)
    })?;
    let text = templates
        .values()
        .find(|(p, _)| *p == path)
        .and_then(|(_, text)| text.lines().nth(span.line.checked_sub(1)? as usize));
    Some(Written { path, span, text })
}

/// The context paths the line prints. A loop variable stands for the list it walks:
/// `p.protocol` in `{% for p in svc.ports %}` is a key of `svc.ports`.
fn printed(templates: &Templates<'_>, written: Option<&Written<'_>>) -> Vec<String> {
    let Some(w) = written else {
        return Vec::new();
    };
    let aliases = templates
        .values()
        .find(|(p, _)| *p == w.path)
        .map(|(_, text)| line::loop_aliases(text))
        .unwrap_or_default();
    w.text
        .map(line::expressions)
        .unwrap_or_default()
        .into_iter()
        .map(|e| match e.split_once('.') {
            Some((head, rest)) => match aliases.get(head) {
                Some(list) => format!("{list}.{rest}"),
                None => e,
            },
            None => aliases.get(e.as_str()).cloned().unwrap_or(e),
        })
        .collect()
}

/// Each printed path the context tables know, with its sources resolved for `o`. A
/// line that prints one path writes the field from below it (`below`).
fn expressions(
    ws: &Workspace,
    c: &Compilation,
    o: &Object,
    printed: &[String],
    below: &[&str],
) -> Vec<Expression> {
    let plan = o
        .provenance
        .tenant
        .as_deref()
        .filter(|_| o.provenance.pipeline.is_none())
        .and_then(|t| c.plans.iter().find(|p| p.name == t));
    printed
        .iter()
        .filter_map(|expr| {
            let mut parts: Vec<&str> = expr.split('.').collect();
            if printed.len() == 1 {
                parts.extend(below.iter().copied());
            }
            let from = context_sources::of(&parts)?
                .iter()
                .filter_map(|s| sources::source(ws, c, plan, o, s))
                .collect();
            Some(Expression {
                expression: expr.clone(),
                from,
            })
        })
        .collect()
}

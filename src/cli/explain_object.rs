//! `kiln explain <output file or Kind/namespace/name> [pointer]`: from a field of the
//! output back to its inputs: the template line that wrote it, and for every context
//! key on that line the values and catalog entries it is computed from, each with the
//! chain of layers that set it (kiln's defaults included).

use super::status::Status;
use std::fmt::Write as _;
use std::io::Write as _;

use rayon::prelude::*;
use serde_json::{json, Value as Json};

use super::explain::{chain, inline, write_chain};
use super::{print_json, report, Cli, Format};
use crate::check::Templates;
use crate::compile::{compile, Compilation, Until};
use crate::diagnostic::{Code, Diagnostic};
use crate::plan::TenantPlan;
use crate::render::{sources, Object, Renderer};
use crate::suggest;
use crate::validate::Workspace;
use crate::yaml::node::{escape_token, pointer_tokens};

/// Whether the first argument of `kiln explain` names an output file or object rather
/// than a tenant (tenant names have no `/`).
pub(super) fn is_output_ref(target: &str) -> bool {
    target.contains('/')
}

pub(super) fn run(cli: &Cli, target: &str, pointer: Option<&str>) -> anyhow::Result<Status> {
    let c = compile(&cli.workspace, Until::Explain)?;
    if report(cli, &c, "explain") {
        return Ok(Status::Problems);
    }
    let Some(ws) = c.workspace.as_ref() else {
        return Ok(Status::Problems);
    };
    let objects = match render_all(ws, &c) {
        Ok(objects) => objects,
        Err(problems) => {
            let _ = write!(
                std::io::stderr(),
                "{}",
                crate::diagnostic::render_human(&problems, &c.sources.texts())
            );
            return Ok(Status::Problems);
        }
    };
    let Some(object) = find(&objects, target, &ws.settings.output_dir) else {
        let paths: Vec<&str> = objects.iter().map(|o| o.path.as_str()).collect();
        let wanted = target.trim_start_matches(&format!("{}/", ws.settings.output_dir));
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
        return fail(
            cli,
            Diagnostic::error(
                Code::UnknownOutput,
                format!("no output file or object `{target}`"),
            )
            .hint(hint),
        );
    };
    let pointer = pointer.map(|p| if p == "/" { "" } else { p }).unwrap_or("");
    let Some(value) = object.value.pointer(pointer) else {
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
        return fail(
            cli,
            Diagnostic::error(
                Code::NoField,
                format!("`{}` has no field at `{pointer}`", object.path),
            )
            .hint(hint),
        );
    };
    let report = explain(ws, &c, object, pointer, value);
    match cli.format {
        Format::Json => print_json(&report),
        Format::Text | Format::Markdown => {
            let _ = write!(std::io::stdout(), "{}", text(&report));
        }
    }
    Ok(Status::Ok)
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

/// The report: the field, the template line, and the sources of every context key on
/// that line.
fn explain(ws: &Workspace, c: &Compilation, o: &Object, pointer: &str, value: &Json) -> Json {
    let tokens: Vec<String> = pointer_tokens(pointer).collect();
    let hidden = |v: &Json| {
        let key = tokens.iter().rev().find(|t| t.parse::<usize>().is_err());
        crate::secret::hide_json(key.map(String::as_str), v)
    };
    let templates: Templates = ws
        .templates
        .iter()
        .map(|(name, f)| (name.as_str(), (f.path.as_str(), f.text.as_str())))
        .collect();
    let own = templates
        .values()
        .find(|(path, _)| *path == o.provenance.template)
        .copied();
    // The deepest key of the pointer that one line of the templates writes.
    let keys: Vec<&str> = tokens
        .iter()
        .map(String::as_str)
        .filter(|t| t.parse::<usize>().is_err())
        .collect();
    let written = own.and_then(|(path, text)| {
        (1..=keys.len()).rev().find_map(|n| {
            let upto = keys.get(..n)?;
            nested_line(path, text, &templates, upto, o.document)
        })
    });
    let line_text = written.and_then(|(path, span)| {
        let text = templates.values().find(|(p, _)| *p == path)?.1;
        text.lines().nth(span.line.checked_sub(1)? as usize)
    });
    let plan = o
        .provenance
        .tenant
        .as_deref()
        .filter(|_| o.provenance.pipeline.is_none())
        .and_then(|t| c.plans.iter().find(|p| p.name == t));
    // Below the key the line writes, the pointer goes into what the expression
    // printed: `hard: {{ values.quota }}` writes `/spec/hard/pods` from `/quota/pods`.
    let below: Vec<&str> = match written.zip(line_text) {
        Some((_, line)) => {
            let key = written_key(line).unwrap_or("");
            let at = tokens.iter().rposition(|t| t == key);
            at.map(|i| tokens.iter().skip(i + 1).map(String::as_str).collect())
                .unwrap_or_default()
        }
        None => Vec::new(),
    };
    // A loop variable stands for the list it walks: `p.protocol` in
    // `{% for p in svc.ports %}` is a key of `svc.ports`.
    let aliases = written
        .and_then(|(path, _)| templates.values().find(|(p, _)| *p == path))
        .map(|(_, text)| loop_aliases(text))
        .unwrap_or_default();
    let printed: Vec<String> = line_text
        .map(expressions)
        .unwrap_or_default()
        .into_iter()
        .map(|e| match e.split_once('.') {
            Some((head, rest)) => match aliases.get(head) {
                Some(list) => format!("{list}.{rest}"),
                None => e,
            },
            None => aliases.get(e.as_str()).cloned().unwrap_or(e),
        })
        .collect();
    let expressions: Vec<Json> = printed
        .iter()
        .filter_map(|expr| {
            let mut parts: Vec<&str> = expr.split('.').collect();
            if printed.len() == 1 {
                parts.extend(below.iter().copied());
            }
            let from = sources::of(&parts)?;
            let from: Vec<Json> = from
                .iter()
                .filter_map(|s| source(ws, c, plan, o, s))
                .collect();
            Some(json!({"expression": expr, "from": from}))
        })
        .collect();
    json!({
        "file": o.path,
        "kind": o.kind(),
        "namespace": o.namespace(),
        "name": o.name(),
        "pointer": pointer,
        "value": hidden(value),
        "template": written.map(|(path, span)| json!({
            "file": path,
            "line": span.line,
            "text": line_text.map(|l| crate::secret::hide_line(l.trim_end())),
        })).unwrap_or(json!({"file": o.provenance.template, "line": null, "text": null})),
        "tenant": o.provenance.tenant,
        "pipeline": o.provenance.pipeline,
        "service": o.provenance.service,
        "input": o.provenance.input,
        "printed": printed,
        "whole": below.is_empty(),
        "argocd": o.provenance.argocd,
        "sources": expressions,
    })
}

/// The line of the templates that writes the last of `keys`, the keys of a pointer
/// into an object (list indexes left out). A line qualifies when the key it sits under
/// is the key before it in the pointer, or when it sits under none (the body of a
/// macro); among several, the keys further up decide, then, in the object's own
/// template, the YAML document (`---`) the object was. The object's own template is
/// searched first, the templates it imports or includes only when it writes the key
/// nowhere.
fn nested_line<'t>(
    path: &'t str,
    text: &'t str,
    templates: &Templates<'t>,
    keys: &[&str],
    document: usize,
) -> Option<(&'t str, crate::yaml::Span)> {
    let (key, above) = keys.split_last()?;
    let imported: Vec<(&str, &str)> = templates
        .iter()
        .filter(|(name, _)| text.contains(&format!("\"{name}\"")))
        .map(|(_, file)| *file)
        .collect();
    let parent = above.last().copied();
    for (own, files) in [(true, vec![(path, text)]), (false, imported)] {
        let mut candidates: Vec<(&str, Vec<&str>, usize)> = Vec::new();
        for (p, t) in &files {
            let lines: Vec<&str> = t.lines().collect();
            for (i, l) in lines.iter().enumerate() {
                let under = enclosing(&lines, i, 1);
                if written_key(l) == Some(*key) && (under.is_none() || under == parent) {
                    candidates.push((p, lines.clone(), i));
                }
            }
        }
        if candidates.is_empty() {
            continue;
        }
        for (level, want) in above.iter().rev().enumerate().skip(1) {
            if candidates.len() <= 1 {
                break;
            }
            let kept: Vec<_> = candidates
                .iter()
                .filter(|(_, lines, i)| enclosing(lines, *i, level + 1) == Some(*want))
                .cloned()
                .collect();
            if !kept.is_empty() {
                candidates = kept;
            }
        }
        if candidates.len() > 1 && own {
            let kept: Vec<_> = candidates
                .iter()
                .filter(|(_, lines, i)| {
                    lines
                        .iter()
                        .take(*i)
                        .filter(|l| l.trim_end() == "---")
                        .count()
                        == document
                })
                .cloned()
                .collect();
            if !kept.is_empty() {
                candidates = kept;
            }
        }
        return match candidates.as_slice() {
            [(p, lines, i)] => {
                let line = lines.get(*i)?;
                let indent = line.len() - line.trim_start().len();
                Some((
                    p,
                    crate::yaml::Span {
                        line: u32::try_from(*i + 1).ok()?,
                        col: u32::try_from(indent + 1).ok()?,
                        len: u32::try_from(key.chars().count()).ok()?,
                    },
                ))
            }
            _ => None,
        };
    }
    None
}

/// The key a YAML line of a template writes (`  - name: x` writes `name`).
fn written_key(line: &str) -> Option<&str> {
    let trimmed = line.trim_start().trim_start_matches("- ");
    let (key, _) = trimmed.split_once(':')?;
    key.chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.' || c == '/')
        .then_some(key)
        .filter(|k| !k.is_empty())
}

/// The key of the line `levels` levels of indentation above line `index`.
fn enclosing<'l>(lines: &[&'l str], index: usize, levels: usize) -> Option<&'l str> {
    let indent = |l: &str| l.len() - l.trim_start().trim_start_matches("- ").len();
    let mut at = index;
    for _ in 0..levels {
        let own = indent(lines.get(at)?);
        at = (0..at).rev().find(|j| {
            lines.get(*j).is_some_and(|l| {
                !l.trim().is_empty() && !l.trim_start().starts_with("{%") && indent(l) < own
            })
        })?;
    }
    lines.get(at).and_then(|l| written_key(l))
}

/// The loop variables of a template and the lists they walk, and the names it sets:
/// `{% for p in svc.ports %}` gives `p` → `svc.ports`, `{% set o =
/// pipeline.orchestrator %}` gives `o` → `pipeline.orchestrator`.
fn loop_aliases(text: &str) -> std::collections::BTreeMap<String, String> {
    let mut out = std::collections::BTreeMap::new();
    for part in text.split("{%").skip(1) {
        let Some(tag) = part.split("%}").next() else {
            continue;
        };
        let words: Vec<&str> = tag.trim_matches(['-', '+']).split_whitespace().collect();
        if let ["for", name, "in", list, ..] | ["set", name, "=", list, ..] = words.as_slice() {
            let list: String = list
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '.')
                .collect();
            out.insert(name.to_string(), list);
        }
    }
    out
}

/// The context paths a template line prints: the leading dotted name of each
/// `{{ … }}` (`svc.runAsUser`, `values.quota`); calls and literals are left out.
fn expressions(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = line;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else { break };
        let inner = after[..end].trim().trim_start_matches('-').trim();
        let name: String = inner
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '.')
            .collect();
        let called = inner[name.len()..].trim_start().starts_with('(');
        if !name.is_empty() && !called && !out.contains(&name) {
            out.push(name);
        }
        rest = &after[end + 2..];
    }
    out
}

/// One source of a context key, resolved for the object: a value of its tenant with
/// its chain of layers, or a catalog entry with the line that sets it (kiln's defaults
/// when the catalog leaves it out).
fn source(
    ws: &Workspace,
    c: &Compilation,
    plan: Option<&TenantPlan>,
    o: &Object,
    s: &str,
) -> Option<Json> {
    if let Some(pipeline) = o.provenance.pipeline.as_deref() {
        return file_source(c, Some(pipeline), o.provenance.service.as_deref(), s);
    }
    if s.starts_with("settings:") {
        return file_source(c, None, None, s);
    }
    let service = o.provenance.service.as_deref();
    let pool = service
        .and_then(|n| ws.catalog.services.get(n))
        .and_then(|svc| svc.pool.as_deref());
    if (s.contains("{service}") && service.is_none()) || (s.contains("{pool}") && pool.is_none()) {
        return None;
    }
    let s = s
        .replace("{service}", &escape_token(service.unwrap_or("")))
        .replace("{pool}", &escape_token(pool.unwrap_or("")));
    if let Some(pointer) = s.strip_prefix("catalog:") {
        return Some(catalog_source(ws, service, pointer));
    }
    if let Some(how) = s.strip_prefix("derived:") {
        return Some(json!({"source": "derived", "from": how}));
    }
    let plan = plan?;
    let (merged, tokens, rows) = chain(plan, &s);
    let key = tokens.last().map(String::as_str);
    Some(json!({
        "source": "values",
        "pointer": s,
        "value": merged.map(|m| crate::secret::hide_json(key, &m.to_json())),
        "chain": rows,
    }))
}

/// One source read from a workspace file: a value of a pipeline's `pipeline.yaml` or
/// `blueprint.json` (`node` is the object's node, if any), or of `kiln.yaml`, with the
/// line of each file that sets it, kiln's defaults first.
fn file_source(
    c: &Compilation,
    pipeline: Option<&str>,
    node: Option<&str>,
    s: &str,
) -> Option<Json> {
    if let Some(how) = s.strip_prefix("derived:") {
        return Some(json!({"source": "derived", "from": how}));
    }
    let folder = c
        .sources
        .blueprints
        .iter()
        .find(|b| Some(b.name.as_str()) == pipeline);
    let (file, section, pointer) = if let Some(p) = s.strip_prefix("pipeline:") {
        let container = node.map(|n| escape_token(n).into_owned());
        if p.contains("{container}") && container.is_none() {
            return None;
        }
        let p = p.replace("{container}", container.as_deref().unwrap_or(""));
        (folder.and_then(|f| f.settings.as_ref()), "pipeline", p)
    } else if let Some(p) = s.strip_prefix("settings:") {
        (c.sources.settings.as_ref(), "settings", p.to_string())
    } else {
        let p = s.strip_prefix("blueprint:")?;
        let file = folder.and_then(|f| f.blueprint.as_ref())?;
        let doc = parsed(file)?;
        // `{node}`: the node's place in the blueprint's `nodes`.
        let index = match (p.contains("{node}"), node) {
            (false, _) => String::new(),
            (true, Some(name)) => doc
                .root
                .get("nodes")
                .map(crate::yaml::Node::items)
                .and_then(|items| {
                    items.iter().position(|i| {
                        i.get("container_name").and_then(crate::yaml::Node::as_str) == Some(name)
                    })
                })?
                .to_string(),
            (true, None) => return None,
        };
        let p = p.replace("{node}", &index);
        let found = doc.root.locate(&p);
        let rows: Vec<Json> = found
            .complete
            .then(|| {
                json!({
                    "layer": "blueprint",
                    "at": format!("{}:{}", file.path, found.node.span.line),
                    "pointer": p,
                    "value": found.node.to_json(),
                })
            })
            .into_iter()
            .collect();
        return Some(file_rows("blueprint", &file.path, &p, rows));
    };
    let mut rows = Vec::new();
    let in_defaults = format!("/{section}{pointer}");
    let d = crate::defaults::root().locate(&in_defaults);
    if d.complete {
        rows.push(json!({
            "layer": crate::defaults::LABEL,
            "at": format!("{}:{}", crate::defaults::FILE, d.node.span.line),
            "pointer": in_defaults,
            "value": d.node.to_json(),
        }));
    }
    let path = file.map_or(
        if section == "settings" {
            "kiln.yaml"
        } else {
            "pipeline.yaml"
        },
        |f| f.path.as_str(),
    );
    if let Some(doc) = file.and_then(parsed) {
        let found = doc.root.locate(&pointer);
        if found.complete {
            rows.push(json!({
                "layer": if section == "settings" { "kiln.yaml" } else { "pipeline.yaml" },
                "at": format!("{}:{}", doc.file, found.node.span.line),
                "pointer": pointer,
                "value": found.node.to_json(),
            }));
        }
    }
    Some(file_rows(section, path, &pointer, rows))
}

/// A source read from files: the value of the last row that sets it, and the rows.
fn file_rows(source: &str, file: &str, pointer: &str, rows: Vec<Json>) -> Json {
    let key = pointer_tokens(pointer).last();
    let rows: Vec<Json> = rows
        .into_iter()
        .map(|mut r| {
            if let Some(v) = r.get_mut("value") {
                *v = crate::secret::hide_json(key.as_deref(), v);
            }
            r
        })
        .collect();
    let value = rows.last().map_or(Json::Null, |r| r["value"].clone());
    json!({"source": source, "file": file, "pointer": pointer, "value": value, "chain": rows})
}

/// A workspace file read again as a document, with its positions.
fn parsed(file: &crate::load::SourceFile) -> Option<crate::parse::Document> {
    let mut ignored = crate::diagnostic::Diagnostics::new();
    crate::parse::parse_document(file, &crate::yaml::ReadOptions::default(), &mut ignored)
}

fn catalog_source(ws: &Workspace, service: Option<&str>, pointer: &str) -> Json {
    let doc = &ws.catalog_doc;
    let found = doc.root.locate(pointer);
    if found.complete {
        return json!({
            "source": "catalog",
            "pointer": pointer,
            "value": found.node.to_json(),
            "at": format!("{}:{}", doc.file, found.node.span.line),
        });
    }
    // Left out by the catalog: kiln's defaults for a service of its kind fill it in.
    let svc = service.and_then(|n| ws.catalog.services.get(n));
    let rest = service
        .map(|n| format!("/services/{}", escape_token(n)))
        .and_then(|base| pointer.strip_prefix(&base).map(str::to_string));
    let from_defaults = svc.zip(rest).and_then(|(svc, rest)| {
        let sections = ["all", svc.kind.name(), "gateway"];
        sections.iter().find_map(|section| {
            if *section == "gateway" && !svc.gateway {
                return None;
            }
            let at = format!("/catalog/{section}{rest}");
            let found = crate::defaults::root().locate(&at);
            found.complete.then(|| {
                json!({
                    "source": "catalog",
                    "pointer": pointer,
                    "value": found.node.to_json(),
                    "at": format!("{}:{}", crate::defaults::FILE, found.node.span.line),
                    "layer": crate::defaults::LABEL,
                })
            })
        })
    });
    from_defaults.unwrap_or_else(|| json!({"source": "catalog", "pointer": pointer, "value": null}))
}

/// The report for people.
fn text(r: &Json) -> String {
    let mut out = String::new();
    let s = |v: &Json| v.as_str().unwrap_or("").to_string();
    let value = &r["value"];
    if value.is_object() || value.is_array() {
        let _ = writeln!(out, "{} {} =", s(&r["file"]), s(&r["pointer"]));
        for line in crate::yaml::to_string(value).lines() {
            let _ = writeln!(out, "  {line}");
        }
    } else {
        let _ = writeln!(
            out,
            "{} {} = {}",
            s(&r["file"]),
            s(&r["pointer"]),
            inline(value)
        );
    }
    let rendered_for = match (&r["tenant"], &r["pipeline"], &r["service"]) {
        (_, Json::String(p), Json::String(n)) => format!("pipeline `{p}`, node `{n}`"),
        (_, Json::String(p), _) => format!("pipeline `{p}`"),
        (Json::String(t), _, Json::String(n)) => format!("tenant `{t}`, service `{n}`"),
        (Json::String(t), _, _) => format!("tenant `{t}`"),
        _ if r["argocd"] == true => "Argo CD (the objects that deliver the others)".to_string(),
        _ => "the cluster".to_string(),
    };
    let _ = writeln!(out, "\nrendered for {rendered_for}");
    let t = &r["template"];
    match t["line"].as_u64() {
        Some(line) => {
            let _ = writeln!(out, "written by {}:{line}", s(&t["file"]));
            let _ = writeln!(out, "  {line} | {}", s(&t["text"]));
        }
        None => {
            let _ = writeln!(
                out,
                "written by {} (no single line of it writes this field)",
                s(&t["file"])
            );
        }
    }
    let sources = r["sources"].as_array().cloned().unwrap_or_default();
    let printed: Vec<String> = r["printed"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Json::as_str)
        .map(|p| format!("`{p}`"))
        .collect();
    if t["line"].is_u64() && sources.is_empty() {
        if printed.is_empty() && r["whole"] == false {
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
    for e in &sources {
        let _ = writeln!(out, "\n{} comes from:", s(&e["expression"]));
        for f in e["from"].as_array().into_iter().flatten() {
            if f["source"] == "derived" {
                let _ = writeln!(out, "  made by kiln from {}", s(&f["from"]));
                continue;
            }
            let pointer = s(&f["pointer"]);
            let shown = if f["value"].is_null() {
                "not set".to_string()
            } else {
                format!("= {}", inline(&f["value"]))
            };
            if f["source"] == "catalog" {
                let at = match (&f["at"], &f["layer"]) {
                    (Json::String(at), Json::String(layer)) => format!("  {at} ({layer})"),
                    (Json::String(at), _) => format!("  {at}"),
                    _ => String::new(),
                };
                let _ = writeln!(out, "  catalog {pointer} {shown}{at}");
            } else if f["file"].is_string() {
                let _ = writeln!(out, "  {} {pointer} {shown}", s(&f["file"]));
                let rows = f["chain"].as_array().cloned().unwrap_or_default();
                write_chain(&mut out, &rows, !f["value"].is_null(), "    ");
            } else {
                let _ = writeln!(out, "  {pointer} {shown}");
                let rows = f["chain"].as_array().cloned().unwrap_or_default();
                write_chain(&mut out, &rows, !f["value"].is_null(), "    ");
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expressions_are_the_printed_context_paths() {
        assert_eq!(
            expressions("    runAsUser: {{ svc.runAsUser }}"),
            vec!["svc.runAsUser"]
        );
        assert_eq!(
            expressions("  {{ pod.sync(svc) | indent(4) }} x: {{ values.quota | tojson }}"),
            vec!["values.quota"]
        );
        assert!(expressions("kind: Deployment").is_empty());
    }

    #[test]
    fn loop_variables_stand_for_their_lists() {
        let aliases =
            loop_aliases("{% for p in svc.ports %}\n{%- for k in values.limits | sort %}");
        assert_eq!(aliases.get("p").map(String::as_str), Some("svc.ports"));
        assert_eq!(aliases.get("k").map(String::as_str), Some("values.limits"));
    }
}

//! The sources of a context key, resolved for one object: a value of its tenant with
//! its chain of layers, a catalog entry, or a line of `pipeline.yaml`, `kiln.yaml` or
//! `blueprint.json`, each with kiln's defaults where they fill it in.

use crate::cli::explain::chain;
use crate::cli::report::{ChainRow, Source};
use crate::compile::Compilation;
use crate::load::SourceFile;
use crate::plan::TenantPlan;
use crate::render::Object;
use crate::validate::Workspace;
use crate::yaml::node::{escape_token, pointer_tokens};

/// One source of a context key, resolved for the object: a value of its tenant with
/// its chain of layers, or a catalog entry with the line that sets it (kiln's defaults
/// when the catalog leaves it out).
pub(super) fn source(
    ws: &Workspace,
    c: &Compilation,
    plan: Option<&TenantPlan>,
    o: &Object,
    s: &str,
) -> Option<Source> {
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
        return Some(Source::derived(how));
    }
    let plan = plan?;
    let (merged, tokens, rows) = chain(plan, &s);
    let key = tokens.last().map(String::as_str);
    Some(Source::Values {
        source: "values",
        value: merged.map(|m| crate::secret::hide_json(key, &m.to_json())),
        pointer: s,
        chain: rows,
    })
}

/// One source read from a workspace file: a value of a pipeline's `pipeline.yaml` or
/// `blueprint.json` (`node` is the object's node, if any), or of `kiln.yaml`, with the
/// line of each file that sets it, kiln's defaults first.
fn file_source(
    c: &Compilation,
    pipeline: Option<&str>,
    node: Option<&str>,
    s: &str,
) -> Option<Source> {
    if let Some(how) = s.strip_prefix("derived:") {
        return Some(Source::derived(how));
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
        return blueprint_source(folder.and_then(|f| f.blueprint.as_ref())?, node, p);
    };
    let mut rows = Vec::new();
    let in_defaults = format!("/{section}{pointer}");
    let d = crate::defaults::root().locate(&in_defaults);
    if d.complete {
        rows.push(ChainRow {
            layer: crate::defaults::LABEL.to_string(),
            at: format!("{}:{}", crate::defaults::FILE, d.node.span.line),
            pointer: in_defaults,
            value: d.node.to_json(),
        });
    }
    let name = if section == "settings" {
        "kiln.yaml"
    } else {
        "pipeline.yaml"
    };
    let path = file.map_or(name, |f| f.path.as_str());
    if let Some(doc) = file.and_then(parsed) {
        let found = doc.root.locate(&pointer);
        if found.complete {
            rows.push(ChainRow {
                layer: name.to_string(),
                at: format!("{}:{}", doc.file, found.node.span.line),
                pointer: pointer.clone(),
                value: found.node.to_json(),
            });
        }
    }
    Some(file_rows(section, path, &pointer, rows))
}

/// A value of a pipeline's `blueprint.json`; `{node}` in `p` is the node's place in
/// the blueprint's `nodes`.
fn blueprint_source(file: &SourceFile, node: Option<&str>, p: &str) -> Option<Source> {
    let doc = parsed(file)?;
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
    let rows: Vec<ChainRow> = found
        .complete
        .then(|| ChainRow {
            layer: "blueprint".to_string(),
            at: format!("{}:{}", file.path, found.node.span.line),
            pointer: p.clone(),
            value: found.node.to_json(),
        })
        .into_iter()
        .collect();
    Some(file_rows("blueprint", &file.path, &p, rows))
}

/// A source read from files: the value of the last row that sets it, and the rows.
fn file_rows(source: &str, file: &str, pointer: &str, rows: Vec<ChainRow>) -> Source {
    let key = pointer_tokens(pointer).last();
    let rows: Vec<ChainRow> = rows
        .into_iter()
        .map(|mut r| {
            r.value = crate::secret::hide_json(key.as_deref(), &r.value);
            r
        })
        .collect();
    let value = rows
        .last()
        .map_or(serde_json::Value::Null, |r| r.value.clone());
    Source::File {
        source: source.to_string(),
        file: file.to_string(),
        pointer: pointer.to_string(),
        value,
        chain: rows,
    }
}

/// A workspace file read again as a document, with its positions.
fn parsed(file: &SourceFile) -> Option<crate::parse::Document> {
    let mut ignored = crate::diagnostic::Diagnostics::new();
    crate::parse::parse_document(file, &crate::yaml::ReadOptions::default(), &mut ignored)
}

fn catalog_source(ws: &Workspace, service: Option<&str>, pointer: &str) -> Source {
    let doc = &ws.catalog_doc;
    let found = doc.root.locate(pointer);
    let entry = |value, at, layer| Source::Catalog {
        source: "catalog",
        pointer: pointer.to_string(),
        value,
        at,
        layer,
    };
    if found.complete {
        let at = format!("{}:{}", doc.file, found.node.span.line);
        return entry(found.node.to_json(), Some(at), None);
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
            let found = crate::defaults::root().locate(&format!("/catalog/{section}{rest}"));
            found.complete.then(|| {
                let at = format!("{}:{}", crate::defaults::FILE, found.node.span.line);
                let layer = crate::defaults::LABEL.to_string();
                entry(found.node.to_json(), Some(at), Some(layer))
            })
        })
    });
    from_defaults.unwrap_or_else(|| entry(serde_json::Value::Null, None, None))
}

//! Stage 2: parse every input file into a YAML tree with positions.

use std::collections::BTreeMap;

use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::load::{SourceFile, Sources};
use crate::yaml::{self, Node, ReadOptions, Span, Value};

/// One parsed input file: a single YAML document.
#[derive(Clone, Debug)]
pub struct Document {
    pub file: String,
    pub root: Node,
    /// The file's text, for quoting tokens exactly as written.
    pub text: String,
}

impl Document {
    /// The source text of a token at `span`, when its length is known.
    pub fn text_at(&self, span: Span) -> Option<String> {
        if span.line == 0 || span.len == 0 {
            return None;
        }
        let line = self.text.lines().nth(span.line as usize - 1)?;
        // Columns count from after a leading byte order mark.
        let line = line.strip_prefix('\u{feff}').unwrap_or(line);
        let token: String = line
            .chars()
            .skip(span.col as usize - 1)
            .take(span.len as usize)
            .collect();
        (!token.is_empty()).then_some(token)
    }
}

/// A tenant spec before validation.
#[derive(Clone, Debug)]
pub struct TenantDocument {
    pub stem: String,
    pub doc: Document,
}

/// Every input file, parsed. Files that failed to parse are absent (their problems are
/// in the diagnostics).
#[derive(Debug, Default)]
pub struct Parsed {
    pub settings: Option<Document>,
    pub catalog: Option<Document>,
    pub environments: BTreeMap<String, Document>,
    pub tenants: Vec<TenantDocument>,
    pub templates: BTreeMap<String, SourceFile>,
    /// Each file of `crds/` with its documents (by index in the file).
    pub crds: Vec<(Document, Vec<(usize, serde_json::Value)>)>,
    pub pipelines: Vec<PipelineDocuments>,
}

/// The parsed files of one pipeline folder.
#[derive(Debug)]
pub struct PipelineDocuments {
    pub name: String,
    pub blueprint: Option<Document>,
    pub settings: Option<Document>,
    pub protos: BTreeMap<String, SourceFile>,
}

pub fn parse(sources: &Sources, diags: &mut Diagnostics) -> Parsed {
    // Templates and protos are not YAML, but are text all the same.
    let texts = sources
        .templates
        .values()
        .chain(sources.blueprints.iter().flat_map(|b| b.protos.values()));
    for file in texts {
        if let Some(p) = yaml::unreadable_character(&file.text) {
            diags.push(
                Diagnostic::error(Code::UnreadableCharacter, p.message)
                    .in_file(&file.path)
                    .at(p.span)
                    .hint_opt(p.hint),
            );
        }
    }
    let options = ReadOptions::default();
    let one = |f: &SourceFile, diags: &mut Diagnostics| parse_document(f, &options, diags);
    Parsed {
        settings: sources.settings.as_ref().and_then(|f| one(f, diags)),
        catalog: sources.catalog.as_ref().and_then(|f| one(f, diags)),
        environments: sources
            .environments
            .iter()
            .filter_map(|(name, f)| one(f, diags).map(|d| (name.clone(), d)))
            .collect(),
        tenants: sources
            .tenants
            .iter()
            .filter_map(|t| {
                one(&t.file, diags).map(|doc| TenantDocument {
                    stem: t.stem.clone(),
                    doc,
                })
            })
            .collect(),
        templates: sources.templates.clone(),
        crds: sources
            .crds
            .iter()
            .filter_map(|f| parse_stream_file(f, &options, diags))
            .collect(),
        pipelines: sources
            .blueprints
            .iter()
            .map(|b| PipelineDocuments {
                name: b.name.clone(),
                // JSON strings are always quoted: no YAML 1.1 ambiguity to report.
                blueprint: b.blueprint.as_ref().and_then(|f| {
                    let json = ReadOptions {
                        yaml11_check: false,
                        ..options.clone()
                    };
                    parse_document(f, &json, diags)
                }),
                settings: b.settings.as_ref().and_then(|f| one(f, diags)),
                protos: b.protos.clone(),
            })
            .collect(),
    }
}

/// Parses a file that may hold several documents (CRDs often come that way).
fn parse_stream_file(
    file: &SourceFile,
    options: &ReadOptions,
    diags: &mut Diagnostics,
) -> Option<(Document, Vec<(usize, serde_json::Value)>)> {
    let json_file = file.path.ends_with(".json");
    let options = ReadOptions {
        yaml11_check: options.yaml11_check && !json_file,
        ..options.clone()
    };
    let read = yaml::parse_stream(&file.text, &options);
    for p in &read.problems {
        diags.push(
            Diagnostic::error(yaml_code(p), p.message.clone())
                .in_file(&file.path)
                .at(p.span)
                .hint_opt(p.hint.clone()),
        );
    }
    if read.is_fatal() {
        return None;
    }
    let docs = read
        .documents
        .iter()
        .enumerate()
        .filter(|(_, d)| !d.is_null())
        .map(|(i, d)| (i, d.to_json()))
        .collect();
    let root = read
        .documents
        .into_iter()
        .next()
        .unwrap_or(Node::new(Value::Null, Span::default()));
    Some((
        Document {
            file: file.path.clone(),
            root,
            text: file.text.clone(),
        },
        docs,
    ))
}

/// Parses a file that must hold exactly one mapping. An empty file is an empty mapping.
pub fn parse_document(
    file: &SourceFile,
    options: &ReadOptions,
    diags: &mut Diagnostics,
) -> Option<Document> {
    let read = yaml::parse_stream(&file.text, options);
    for p in &read.problems {
        let mut d = Diagnostic::error(yaml_code(p), p.message.clone())
            .in_file(&file.path)
            .at(p.span)
            .hint_opt(p.hint.clone());
        if let Some(pointer) = &p.pointer {
            d = d.pointer(pointer.clone());
        }
        diags.push(d);
    }
    if read.is_fatal() {
        return None;
    }
    let mut docs = read.documents.into_iter().filter(|d| !d.is_null());
    let root = docs
        .next()
        .unwrap_or(Node::new(Value::Map(Vec::new()), Span::default()));
    if let Some(extra) = docs.next() {
        diags.push(
            Diagnostic::error(
                Code::MultipleDocuments,
                "file holds more than one yaml document",
            )
            .in_file(&file.path)
            .at(extra.span)
            .hint("put one document in each input file"),
        );
        return None;
    }
    if !matches!(root.value, Value::Map(_)) {
        diags.push(
            Diagnostic::error(
                Code::NotAMapping,
                format!("expected a mapping, found a {}", root.type_name()),
            )
            .in_file(&file.path)
            .at(root.span)
            .pointer(""),
        );
        return None;
    }
    Some(Document {
        file: file.path.clone(),
        root,
        text: file.text.clone(),
    })
}

/// The code of a problem the YAML reader found.
fn yaml_code(p: &yaml::ReadProblem) -> Code {
    if p.unreadable {
        Code::UnreadableCharacter
    } else {
        Code::Yaml
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::BlueprintSource;

    fn file(path: &str, text: &str) -> SourceFile {
        SourceFile {
            path: path.into(),
            text: text.into(),
        }
    }

    #[test]
    fn tokens_are_quoted_from_after_a_byte_order_mark() {
        let mut diags = Diagnostics::new();
        let f = file("t.yaml", "\u{feff}replicas: three\n");
        let doc = parse_document(&f, &ReadOptions::default(), &mut diags).unwrap();
        let span = doc.root.get("replicas").unwrap().span;
        assert_eq!(doc.text_at(span).as_deref(), Some("three"));
    }

    #[test]
    fn control_characters_in_templates_and_protos_are_refused() {
        let mut sources = Sources::default();
        sources.templates.insert(
            "objects/x.yaml.j2".into(),
            file("templates/objects/x.yaml.j2", "a: 1\n{{ x }}\u{7}\n"),
        );
        sources.blueprints.push(BlueprintSource {
            name: "p".into(),
            blueprint: None,
            settings: None,
            protos: [(
                "m".to_string(),
                file("blueprints/p/microservice/m.proto", "message M {}\0"),
            )]
            .into(),
        });
        let mut diags = Diagnostics::new();
        parse(&sources, &mut diags);
        let found: Vec<_> = diags
            .sorted()
            .into_iter()
            .map(|d| (d.file.unwrap(), d.line, d.column, d.message))
            .collect();
        assert_eq!(
            found,
            [
                (
                    "blueprints/p/microservice/m.proto".to_string(),
                    Some(1),
                    Some(13),
                    "unexpected control character `\\u{0}`".to_string()
                ),
                (
                    "templates/objects/x.yaml.j2".to_string(),
                    Some(2),
                    Some(8),
                    "unexpected control character `\\u{7}`".to_string()
                ),
            ]
        );
    }
}

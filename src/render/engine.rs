//! The one minijinja environment, and rendering of one template into objects.

use std::collections::BTreeMap;

use minijinja::syntax::SyntaxConfig;
use minijinja::value::Serde;
use minijinja::{AutoEscape, Environment, ErrorKind, UndefinedBehavior};

use crate::diagnostic::{Code, Diagnostic};
use crate::load::SourceFile;
use crate::yaml::{self, ReadOptions, Span};

use super::object::{self, Object, Provenance};

/// Most instructions one template render may run: stops runaway loops.
const FUEL: u64 = 20_000_000;

/// Most bytes one template render may write: stops runaway output before it fills
/// memory (one object kiln writes may be at most [`crate::unit::MAX_OBJECT_BYTES`]).
pub(super) const MAX_RENDERED_BYTES: usize = 4 * 1024 * 1024;

/// A string that refuses to grow past a limit.
struct Bounded {
    text: Vec<u8>,
    limit: usize,
    over: bool,
}

impl std::io::Write for Bounded {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.text.len() + buf.len() > self.limit {
            self.over = true;
            return Err(std::io::Error::other("over the output limit"));
        }
        self.text.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Builds the environment kiln renders with: strict undefined values (a typo is an
/// error, not an empty string), every `{{ }}` written as a JSON value (which is YAML, so
/// a value can never break the document's structure or turn `on` into a boolean),
/// block tags that leave no blank lines, the trailing newline kept, a fuel limit, and
/// no loader: a template can include only other templates of the workspace, never a
/// file or the environment.
pub fn environment(
    templates: &BTreeMap<String, SourceFile>,
) -> Result<Environment<'static>, Vec<Diagnostic>> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_auto_escape_callback(|_| AutoEscape::Json);
    let mut syntax = SyntaxConfig::builder();
    syntax
        .trim_blocks(true)
        .lstrip_blocks(true)
        .keep_trailing_newline(true);
    if let Ok(s) = syntax.build() {
        env.set_syntax(s);
    }
    env.set_fuel(Some(FUEL));
    env.add_filter("dns_label", filters::dns_label);
    env.add_filter("sha256", filters::sha256);
    env.add_filter("to_yaml", filters::to_yaml);
    let mut problems = Vec::new();
    for (name, file) in templates {
        if let Err(e) = env.add_template_owned(name.clone(), file.text.clone()) {
            problems.push(template_error(&e, &file.path, &file.text, None));
        }
    }
    if problems.is_empty() {
        Ok(env)
    } else {
        Err(problems)
    }
}

/// Filters available to templates: plain functions of their arguments.
mod filters {
    use sha2::{Digest, Sha256};

    /// Cleans any string into a DNS-1123 label.
    pub(super) fn dns_label(s: String) -> String {
        crate::names::clean(&s)
    }

    /// Hex SHA-256 of a string.
    pub(super) fn sha256(s: String) -> String {
        crate::unit::hex(&Sha256::digest(s.as_bytes()))
    }

    /// A value as a YAML document (for embedding YAML files in ConfigMaps).
    pub(super) fn to_yaml(v: minijinja::Value) -> Result<String, minijinja::Error> {
        let json = serde_json::to_value(&v).map_err(|e| {
            minijinja::Error::new(minijinja::ErrorKind::InvalidOperation, e.to_string())
        })?;
        Ok(crate::yaml::to_string(&json))
    }
}

/// The environment and the file path of every template, for locating errors.
pub struct Engine {
    pub env: Environment<'static>,
    paths: BTreeMap<String, String>,
    /// Which kinds are cluster-scoped, for placing each rendered object.
    scopes: crate::kube::Scopes,
}

impl Engine {
    pub fn new(
        templates: &BTreeMap<String, SourceFile>,
        scopes: crate::kube::Scopes,
    ) -> Result<Engine, Vec<Diagnostic>> {
        Ok(Engine {
            env: environment(templates)?,
            scopes,
            paths: templates
                .iter()
                .map(|(n, f)| (n.clone(), f.path.clone()))
                .collect(),
        })
    }
}

/// One template to render with one context (converted to a template value once, and
/// shared by every template of its scope).
pub(super) struct Job<'a> {
    pub template: &'a str,
    pub context: &'a minijinja::Value,
    pub provenance: Provenance,
}

/// Converts a JSON context into a template value.
pub(super) fn value<T: serde::Serialize>(context: &T) -> minijinja::Value {
    minijinja::Value::from(Serde(context))
}

/// Renders a template and turns each YAML document it produces into an object.
pub(super) fn render_one(
    engine: &Engine,
    job: &Job,
    objects: &mut Vec<Object>,
    problems: &mut Vec<Diagnostic>,
) {
    match render_text(engine, job) {
        Ok(text) => read_objects(engine, job, &text, objects, problems),
        Err(d) => problems.push(*d),
    }
}

/// The text a template renders, or the one problem that stopped it: output over
/// `MAX_RENDERED_BYTES`, not UTF-8, or a template error (located in the template that
/// raised it).
fn render_text(engine: &Engine, job: &Job) -> Result<String, Box<Diagnostic>> {
    let env = &engine.env;
    let mut out = Bounded {
        text: Vec::new(),
        limit: MAX_RENDERED_BYTES,
        over: false,
    };
    let rendered = env.get_template(job.template).and_then(|t| {
        t.render_captured_to(job.context.clone(), &mut out)
            .map(|_| ())
    });
    if out.over {
        return Err(Box::new(
            Diagnostic::error(Code::TooLarge, format!(
                "the output of this template is over the limit of {MAX_RENDERED_BYTES} bytes"
            ))
            .in_file(&job.provenance.template)
            .hint("a template renders a few objects of at most 1 MiB each; look for a loop or a repeated string that runs away")
            .note(job.provenance.describe()),
        ));
    }
    match rendered.map(|_| String::from_utf8(std::mem::take(&mut out.text))) {
        Ok(Ok(text)) => Ok(text),
        Ok(Err(_)) => Err(Box::new(
            Diagnostic::error(
                Code::TemplateOutput,
                "the output of this template is not UTF-8",
            )
            .in_file(&job.provenance.template)
            .note(job.provenance.describe()),
        )),
        Err(e) => {
            // The error may sit in an imported or included template.
            let name = e
                .name()
                .filter(|n| engine.paths.contains_key(*n))
                .unwrap_or(job.template);
            let file = engine
                .paths
                .get(name)
                .cloned()
                .unwrap_or_else(|| job.provenance.template.clone());
            let source = env
                .get_template(name)
                .map(|t| t.source().to_string())
                .unwrap_or_default();
            Err(Box::new(template_error(
                &e,
                &file,
                &source,
                Some(&job.provenance),
            )))
        }
    }
}

/// Reads a template's output as a YAML stream and each document as an object.
fn read_objects(
    engine: &Engine,
    job: &Job,
    text: &str,
    objects: &mut Vec<Object>,
    problems: &mut Vec<Diagnostic>,
) {
    let read = yaml::parse_stream(text, &ReadOptions::default());
    for p in &read.problems {
        let line_text = shown_line(
            text.lines()
                .nth(p.span.line.saturating_sub(1) as usize)
                .unwrap_or(""),
        );
        problems.push(
            Diagnostic::error(
                Code::TemplateOutput,
                format!("the output of this template is not valid: {}", p.message),
            )
            .in_file(&job.provenance.template)
            .hint_opt(p.hint.clone())
            .note(format!("line {} of the output: `{line_text}`", p.span.line))
            .note(job.provenance.describe()),
        );
    }
    if read.is_fatal() {
        return;
    }
    for (index, doc) in read.documents.iter().enumerate() {
        if doc.is_null() {
            continue;
        }
        match object::from_document(doc.to_json(), &job.provenance, index, &engine.scopes) {
            Ok(o) => objects.push(o),
            Err(d) => problems.push(*d),
        }
    }
}

/// Longest line of a template's output quoted in a diagnostic, in characters.
const MAX_QUOTED_OUTPUT: usize = 120;

/// A line of a template's output as a note shows it: credentials hidden, cut short.
fn shown_line(line: &str) -> String {
    let hidden = crate::secret::hide_line(line.trim_end());
    let mut chars = hidden.chars();
    let mut shown: String = chars.by_ref().take(MAX_QUOTED_OUTPUT).collect();
    if chars.next().is_some() {
        shown.push('…');
    }
    shown
}

/// A minijinja error as a diagnostic at the template's line.
fn template_error(
    e: &minijinja::Error,
    file: &str,
    source: &str,
    provenance: Option<&Provenance>,
) -> Diagnostic {
    let what = match e.kind() {
        ErrorKind::SyntaxError => "template syntax error",
        ErrorKind::UndefinedError => "undefined value",
        ErrorKind::TemplateNotFound => "template not found",
        ErrorKind::OutOfFuel => "template ran too long",
        _ => "template error",
    };
    let message = match e.detail() {
        Some(detail) => format!("{what}: {detail}"),
        None => what.to_string(),
    };
    let span = match (e.line(), e.range()) {
        (Some(line), Some(range)) => {
            let line_start = source[..range.start.min(source.len())]
                .rfind('\n')
                .map(|i| i + 1)
                .unwrap_or(0);
            let col = source
                .get(line_start..range.start)
                .map(|s| s.chars().count() + 1)
                .unwrap_or(1);
            let len = source
                .get(range.clone())
                .map(|s| s.chars().count())
                .unwrap_or(1);
            Span {
                line: line as u32,
                col: col as u32,
                len: len as u32,
            }
        }
        (Some(line), None) => Span {
            line: line as u32,
            col: 1,
            len: 0,
        },
        _ => Span::default(),
    };
    let mut d = Diagnostic::error(Code::TemplateError, message)
        .in_file(file)
        .at(span);
    if e.kind() == ErrorKind::TemplateNotFound {
        d = d.hint("templates can include and import only other templates under `templates/`, by their path there");
    }
    if e.kind() == ErrorKind::UndefinedError {
        d = d.hint("check the name against the context documented in docs/templates.md");
    }
    if let Some(p) = provenance {
        d = d.note(p.describe());
    }
    d
}

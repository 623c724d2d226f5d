//! The event reader: yaml-rust2's events turned into [`Node`] trees, with the nesting
//! and alias limits, duplicate keys, and the pointer of the node being read.

use std::collections::BTreeMap;

use yaml_rust2::parser::{Event, Parser, Tag};
use yaml_rust2::scanner::Marker;

use super::scalar::scalar_len;
use super::text::escape_controls;
use super::{ReadOptions, ReadProblem};
use crate::yaml::node::{Entry, Node, Span, Value};

pub(super) enum Frame {
    Seq {
        items: Vec<Node>,
        span: Span,
        anchor: usize,
    },
    Map {
        entries: Vec<Entry>,
        span: Span,
        anchor: usize,
        key: Option<(String, Span)>,
        /// The key being read repeats an earlier one: its value is reported and left
        /// out, so every reader of the map sees the first.
        repeated: bool,
    },
}

pub(super) struct Reader<'l> {
    pub(super) options: &'l ReadOptions,
    /// The text being read, and a place in it (a character index and its byte offset)
    /// from which the next scalar is found without a scan from the start.
    pub(super) source: &'l str,
    pub(super) cursor: (usize, usize),
    /// The number of lines of the text, and the length of the last one.
    end: (u32, u32),
    pub(super) stack: Vec<Frame>,
    anchors: BTreeMap<usize, Node>,
    alias_nodes: usize,
    pub(super) documents: Vec<Node>,
    pub(super) problems: Vec<ReadProblem>,
    stopped: bool,
}

impl<'l> Reader<'l> {
    pub(super) fn new(options: &'l ReadOptions, source: &'l str) -> Self {
        Reader {
            options,
            source,
            cursor: (0, 0),
            end: (
                source.split('\n').count() as u32,
                source.rsplit('\n').next().map_or(0, |l| l.chars().count()) as u32,
            ),
            stack: Vec::new(),
            anchors: BTreeMap::new(),
            alias_nodes: 0,
            documents: Vec::new(),
            problems: Vec::new(),
            stopped: false,
        }
    }

    pub(super) fn fatal(&mut self, span: Span, message: String, hint: Option<String>) {
        self.problems.push(ReadProblem {
            span,
            pointer: None,
            message,
            hint,
            fatal: true,
            unreadable: false,
        });
        self.stopped = true;
    }

    pub(super) fn problem(
        &mut self,
        span: Span,
        pointer: String,
        message: String,
        hint: Option<String>,
    ) {
        self.problems.push(ReadProblem {
            span,
            pointer: Some(escape_controls(&pointer).into_owned()),
            message,
            hint,
            fatal: false,
            unreadable: false,
        });
    }

    /// A value kiln cannot hold: the documents are unusable, and the read goes on to
    /// report the other problems.
    pub(super) fn unusable(&mut self, span: Span, pointer: String, message: String, hint: String) {
        self.problems.push(ReadProblem {
            span,
            pointer: Some(escape_controls(&pointer).into_owned()),
            message,
            hint: Some(hint),
            fatal: true,
            unreadable: false,
        });
    }

    pub(super) fn run(&mut self, text: &str) {
        let mut parser = Parser::new_from_str(text);
        while !self.stopped {
            let (event, mark) = match parser.next_token() {
                Ok(next) => next,
                Err(e) => {
                    let span = self.span_at(e.marker(), 1);
                    self.fatal(span, format!("invalid yaml: {}", e.info()), None);
                    return;
                }
            };
            match event {
                Event::StreamEnd => return,
                Event::StreamStart | Event::Nothing => {}
                Event::DocumentStart => self.anchors.clear(),
                Event::DocumentEnd => {}
                Event::Alias(id) => self.alias(id, mark),
                Event::Scalar(text, style, anchor, tag) => {
                    let len = self
                        .quoted_len(&mark, style)
                        .unwrap_or_else(|| scalar_len(&text, style));
                    let span = self.span_at(&mark, len);
                    if let Some(node) = self.scalar(text, style, tag.as_ref(), span) {
                        self.finish(node, anchor);
                    }
                }
                Event::SequenceStart(anchor, tag) => {
                    if self.open(&mark, tag.as_ref(), "tag:yaml.org,2002:seq") {
                        self.stack.push(Frame::Seq {
                            items: Vec::new(),
                            span: self.span_at(&mark, 1),
                            anchor,
                        });
                    }
                }
                Event::MappingStart(anchor, tag) => {
                    if self.open(&mark, tag.as_ref(), "tag:yaml.org,2002:map") {
                        self.stack.push(Frame::Map {
                            entries: Vec::new(),
                            span: self.span_at(&mark, 1),
                            anchor,
                            key: None,
                            repeated: false,
                        });
                    }
                }
                Event::SequenceEnd => {
                    if let Some(Frame::Seq {
                        items,
                        span,
                        anchor,
                    }) = self.stack.pop()
                    {
                        self.finish(Node::new(Value::Seq(items), span), anchor);
                    }
                }
                Event::MappingEnd => {
                    if let Some(Frame::Map {
                        entries,
                        span,
                        anchor,
                        ..
                    }) = self.stack.pop()
                    {
                        // A mapping is shown where its first key is.
                        let span = entries.first().map(|e| e.key_span).unwrap_or(span);
                        self.finish(Node::new(Value::Map(entries), span), anchor);
                    }
                }
            }
        }
    }

    /// The place of `mark`, 1-based. The parser places the end of a file without a
    /// final line feed on a line after it: that is shown at the end of the last line.
    pub(super) fn span_at(&self, mark: &Marker, len: usize) -> Span {
        let (lines, last_len) = self.end;
        if mark.line() as u32 > lines {
            return Span {
                line: lines,
                col: last_len + 1,
                len: 1,
            };
        }
        Span {
            line: mark.line() as u32,
            col: mark.col() as u32 + 1,
            len: len as u32,
        }
    }

    /// The JSON pointer of the node being read: for a mapping key, the key's own pointer.
    pub(super) fn pointer(&self, key: Option<&str>) -> String {
        let mut p = String::new();
        for frame in &self.stack {
            match frame {
                Frame::Map {
                    key: Some((k, _)), ..
                } => {
                    p.push('/');
                    p.push_str(&crate::yaml::node::escape_token(k));
                }
                Frame::Map { key: None, .. } => {
                    if let Some(k) = key {
                        p.push('/');
                        p.push_str(&crate::yaml::node::escape_token(k));
                    }
                }
                Frame::Seq { items, .. } => {
                    p.push('/');
                    p.push_str(&items.len().to_string());
                }
            }
        }
        p
    }

    /// Checks a collection start: depth, tag, and that it is not a mapping key.
    fn open(&mut self, mark: &Marker, tag: Option<&Tag>, allowed_tag: &str) -> bool {
        let span = self.span_at(mark, 1);
        if let Some(Frame::Map { key: None, .. }) = self.stack.last() {
            self.fatal(
                span,
                "a mapping key must be a plain value, not a list or mapping".into(),
                None,
            );
            return false;
        }
        if self.stack.len() >= self.options.max_depth {
            self.fatal(
                span,
                format!("nesting is deeper than {} levels", self.options.max_depth),
                Some(
                    "kiln limits nesting depth to keep hostile input from exhausting memory".into(),
                ),
            );
            return false;
        }
        if let Some(tag) = tag {
            let full = format!("{}{}", tag.handle, tag.suffix);
            if full != allowed_tag {
                self.fatal(
                    span,
                    format!("unsupported yaml tag `{}`", display_tag(tag)),
                    None,
                );
                return false;
            }
        }
        true
    }

    fn alias(&mut self, id: usize, mark: Marker) {
        let span = self.span_at(&mark, 1);
        let Some(node) = self.anchors.get(&id) else {
            self.fatal(span, "alias refers to an unknown anchor".into(), None);
            return;
        };
        let size = node.size();
        self.alias_nodes = self.alias_nodes.saturating_add(size);
        if self.alias_nodes > self.options.max_alias_nodes {
            self.fatal(
                span,
                format!(
                    "yaml aliases expand to more than {} nodes",
                    self.options.max_alias_nodes
                ),
                Some(
                    "this looks like an alias bomb; write the values out or use fewer aliases"
                        .into(),
                ),
            );
            return;
        }
        let mut copy = node.clone();
        copy.span = span;
        self.finish(copy, 0);
    }

    /// Places a finished node into its parent, or makes it a document.
    fn finish(&mut self, node: Node, anchor: usize) {
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
        let mut duplicate = None;
        match self.stack.last_mut() {
            None => self.documents.push(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map {
                entries,
                key,
                repeated,
                ..
            }) => match key.take() {
                Some(_) if *repeated => *repeated = false,
                Some((k, key_span)) => entries.push(Entry {
                    key: k,
                    key_span,
                    value: node,
                }),
                None => {
                    let key_text = match node.value {
                        Value::Str(s) => s,
                        Value::Null => "null".to_string(),
                        Value::Bool(b) => b.to_string(),
                        Value::Int(i) => i.to_string(),
                        Value::Float(f) => f.to_string(),
                        Value::Seq(_) | Value::Map(_) => String::new(),
                    };
                    if let Some(first) = entries.iter().find(|e| e.key == key_text) {
                        duplicate = Some((key_text.clone(), node.span, first.key_span));
                        *repeated = true;
                    }
                    *key = Some((key_text, node.span));
                }
            },
        }
        if let Some((k, span, first)) = duplicate {
            let pointer = self.pointer(Some(&k));
            self.problem(
                span,
                pointer,
                format!(
                    "duplicate key `{}` (first defined at line {})",
                    escape_controls(&k),
                    first.line
                ),
                Some("remove one of them; yaml does not allow a key twice in one mapping".into()),
            );
        }
    }
}

/// A tag as written (`!!int`, `!local`), for a message.
pub(super) fn display_tag(tag: &Tag) -> String {
    let shown = match tag.handle.as_str() {
        "tag:yaml.org,2002:" => format!("!!{}", tag.suffix),
        "!" => format!("!{}", tag.suffix),
        h => format!("{h}{}", tag.suffix),
    };
    escape_controls(&shown).into_owned()
}

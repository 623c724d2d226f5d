//! Reads a YAML stream into [`Node`] trees, with positions, duplicate-key detection, a
//! nesting limit, a budget on alias expansion (alias bombs), and a check that every plain
//! scalar means the same under YAML 1.1 and YAML 1.2.
//!
//! Only text is read: a leading byte order mark is skipped, and a control character
//! other than tab, line feed and carriage return is refused wherever it stands (written
//! as an escape in a double-quoted string too, unless [`ReadOptions`] allows that).
//! Every value read is one that JSON can hold: NaN, infinities and integers beyond 64
//! bits are refused, never turned into something else.

use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};

use yaml_rust2::parser::{Event, Parser, Tag};
use yaml_rust2::scanner::{Marker, TScalarStyle};

use super::node::{Entry, Node, Span, Value};

/// How to read: limits that keep hostile input from exhausting memory or time, and
/// whether to report plain scalars that YAML 1.1 reads differently.
#[derive(Clone, Debug)]
pub struct ReadOptions {
    /// Deepest nesting of mappings and lists.
    pub max_depth: usize,
    /// Most nodes that aliases may add to the documents, in total.
    pub max_alias_nodes: usize,
    /// Report plain scalars whose meaning differs between YAML 1.1 and 1.2 (off for
    /// JSON files, whose strings are always quoted).
    pub yaml11_check: bool,
    /// Accept control characters that a double-quoted string writes as escapes
    /// (`"\u001b"`): off for kiln's inputs, on for reading back what kiln wrote.
    pub escaped_controls: bool,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            max_depth: 64,
            max_alias_nodes: 10_000,
            yaml11_check: true,
            escaped_controls: false,
        }
    }
}

/// A problem found while reading. A fatal problem makes the documents unusable: syntax
/// errors and limits stop the read there, a value kiln cannot hold (a control
/// character, NaN, …) lets it go on to report the others. The other problems
/// (ambiguous scalars, duplicate keys) leave the documents usable.
#[derive(Clone, Debug, PartialEq)]
pub struct ReadProblem {
    pub span: Span,
    /// JSON pointer of the value (or key) concerned, when known.
    pub pointer: Option<String>,
    pub message: String,
    pub hint: Option<String>,
    pub fatal: bool,
    /// A character kiln does not read at all (`unreadable_character`), rather than YAML
    /// it cannot use.
    pub unreadable: bool,
}

#[derive(Debug, Default)]
pub struct ReadResult {
    pub documents: Vec<Node>,
    pub problems: Vec<ReadProblem>,
}

impl ReadResult {
    pub fn is_fatal(&self) -> bool {
        self.problems.iter().any(|p| p.fatal)
    }
}

/// Parses every document of a YAML stream. JSON is read the same way (it is YAML).
pub fn parse_stream(text: &str, options: &ReadOptions) -> ReadResult {
    if let Some(problem) = unreadable_character(text) {
        return ReadResult {
            documents: Vec::new(),
            problems: vec![problem],
        };
    }
    // Columns count the characters after the mark, as editors show them.
    let text = text.strip_prefix(BOM).unwrap_or(text);
    let mut reader = Reader::new(options, text);
    let outcome = catch_unwind(AssertUnwindSafe(|| reader.run(text)));
    if outcome.is_err() {
        reader.fatal(
            Span::default(),
            "the yaml parser failed on this file".to_string(),
            Some("this is a bug in kiln's yaml library; please report it with the file".into()),
        );
    }
    ReadResult {
        documents: reader.documents,
        problems: reader.problems,
    }
}

const BOM: char = '\u{feff}';

/// Whether bytes are printable ASCII (with line feeds and tabs when `lines`): the fast
/// path of the character checks. Counts in blocks without stopping early, so the
/// compiler can check many bytes at once.
fn is_plain_text(bytes: &[u8], lines: bool) -> bool {
    let ok = |b: u8| (0x20..0x7f).contains(&b) || (lines && (b == b'\n' || b == b'\t'));
    bytes
        .chunks(64)
        .all(|block| block.iter().fold(true, |all, &b| all & ok(b)))
}

/// Whether `c` may not appear in kiln's input text: a control character other than
/// tab, line feed and carriage return, a byte order mark past the start, or one of the
/// two code points YAML excludes.
pub fn is_unreadable(c: char) -> bool {
    is_refused_control(c) || matches!(c, BOM | '\u{fffe}' | '\u{ffff}')
}

/// A control character other than tab, line feed and carriage return.
fn is_refused_control(c: char) -> bool {
    c.is_control() && !matches!(c, '\t' | '\n' | '\r')
}

/// The first character of `text` (after a leading byte order mark) that kiln does not
/// read, as a fatal problem at its line and column.
pub fn unreadable_character(text: &str) -> Option<ReadProblem> {
    let text = text.strip_prefix(BOM).unwrap_or(text);
    // Most text is printable ASCII with line feeds and tabs: one pass over the bytes.
    if is_plain_text(text.as_bytes(), true) {
        return None;
    }
    let (mut line, mut col) = (1u32, 1u32);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        // A carriage return alone ends a line for YAML but not for anything that shows
        // the file's lines, so positions would disagree.
        let lone_cr = c == '\r' && chars.peek() != Some(&'\n');
        if is_unreadable(c) || lone_cr {
            let shown = c.escape_unicode();
            let (message, hint) = match c {
                '\r' => (
                    format!("unexpected carriage return `{shown}` without a line feed"),
                    "end lines with a line feed (or carriage return and line feed): kiln does not read a carriage return alone",
                ),
                BOM => (
                    format!("unexpected byte order mark `{shown}`"),
                    "a byte order mark may only start the file: remove this one",
                ),
                c if c.is_control() => (
                    format!("unexpected control character `{shown}`"),
                    "remove it: tab, line feed and carriage return are the only control characters kiln reads",
                ),
                _ => (
                    format!("unexpected character `{shown}`"),
                    "remove it: yaml does not allow it in a file",
                ),
            };
            return Some(ReadProblem {
                span: Span { line, col, len: 1 },
                pointer: None,
                message,
                hint: Some(hint.to_string()),
                fatal: true,
                unreadable: true,
            });
        }
        if c == '\n' {
            line += 1;
            col = 1;
        } else {
            col += 1;
        }
    }
    None
}

/// `s` with every character that [`is_unreadable`] refuses, and tab and line breaks,
/// written as an escape (`\u{1b}`), for showing user text in a message.
pub fn escape_controls(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.chars().any(|c| c.is_control() || is_unreadable(c)) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if c.is_control() || is_unreadable(c) {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

enum Frame {
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

struct Reader<'l> {
    options: &'l ReadOptions,
    /// The text being read, and a place in it (a character index and its byte offset)
    /// from which the next scalar is found without a scan from the start.
    source: &'l str,
    cursor: (usize, usize),
    /// The number of lines of the text, and the length of the last one.
    end: (u32, u32),
    stack: Vec<Frame>,
    anchors: BTreeMap<usize, Node>,
    alias_nodes: usize,
    documents: Vec<Node>,
    problems: Vec<ReadProblem>,
    stopped: bool,
}

impl<'l> Reader<'l> {
    fn new(options: &'l ReadOptions, source: &'l str) -> Self {
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

    fn fatal(&mut self, span: Span, message: String, hint: Option<String>) {
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

    fn problem(&mut self, span: Span, pointer: String, message: String, hint: Option<String>) {
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
    fn unusable(&mut self, span: Span, pointer: String, message: String, hint: String) {
        self.problems.push(ReadProblem {
            span,
            pointer: Some(escape_controls(&pointer).into_owned()),
            message,
            hint: Some(hint),
            fatal: true,
            unreadable: false,
        });
    }

    fn run(&mut self, text: &str) {
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
    fn span_at(&self, mark: &Marker, len: usize) -> Span {
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

    /// The length in characters of a quoted scalar as written at `mark`, quotes and
    /// escapes included, up to the end of its first line.
    fn quoted_len(&mut self, mark: &Marker, style: TScalarStyle) -> Option<usize> {
        let quote = match style {
            TScalarStyle::DoubleQuoted => '"',
            TScalarStyle::SingleQuoted => '\'',
            _ => return None,
        };
        let (mut index, mut byte) = self.cursor;
        if mark.index() < index {
            (index, byte) = (0, 0);
        }
        let mut chars = self.source.get(byte..)?.char_indices();
        while index < mark.index() {
            chars.next()?;
            index += 1;
        }
        byte += chars.next().filter(|&(_, c)| c == quote)?.0;
        self.cursor = (index, byte);
        let mut rest = self.source.get(byte..)?.chars().skip(1);
        let mut len = 1;
        while let Some(c) = rest.next() {
            match c {
                '\n' | '\r' => return Some(len),
                '\\' if quote == '"' => {
                    len += 1;
                    if rest.next().is_some_and(|c| c != '\n' && c != '\r') {
                        len += 1;
                    } else {
                        return Some(len);
                    }
                }
                c if c == quote => {
                    if quote == '\'' && rest.clone().next() == Some('\'') {
                        rest.next();
                        len += 2;
                        continue;
                    }
                    return Some(len + 1);
                }
                _ => len += 1,
            }
        }
        Some(len)
    }

    /// The JSON pointer of the node being read: for a mapping key, the key's own pointer.
    fn pointer(&self, key: Option<&str>) -> String {
        let mut p = String::new();
        for frame in &self.stack {
            match frame {
                Frame::Map {
                    key: Some((k, _)), ..
                } => {
                    p.push('/');
                    p.push_str(&super::node::escape_token(k));
                }
                Frame::Map { key: None, .. } => {
                    if let Some(k) = key {
                        p.push('/');
                        p.push_str(&super::node::escape_token(k));
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

    fn scalar(
        &mut self,
        text: String,
        style: TScalarStyle,
        tag: Option<&Tag>,
        span: Span,
    ) -> Option<Node> {
        if let Some(tag) = tag {
            let full = format!("{}{}", tag.handle, tag.suffix);
            let value = match full.as_str() {
                "tag:yaml.org,2002:str" => Value::Str(text.clone()),
                "tag:yaml.org,2002:int"
                | "tag:yaml.org,2002:float"
                | "tag:yaml.org,2002:bool"
                | "tag:yaml.org,2002:null" => {
                    let value = resolve_plain(&text).0;
                    let expected = &full["tag:yaml.org,2002:".len()..];
                    let matches = matches!(
                        (&value, expected),
                        (Value::Int(_), "int")
                            | (Value::Int(_) | Value::Float(_), "float")
                            | (Value::Bool(_), "bool")
                            | (Value::Null, "null")
                    );
                    if !matches {
                        self.fatal(
                            span,
                            format!("`{}` is not a valid `!!{expected}`", escape_controls(&text)),
                            None,
                        );
                        return None;
                    }
                    match (value, expected) {
                        (Value::Int(i), "float") => Value::Float(i as f64),
                        (v, _) => v,
                    }
                }
                _ => {
                    self.fatal(
                        span,
                        format!("unsupported yaml tag `{}`", display_tag(tag)),
                        None,
                    );
                    return None;
                }
            };
            self.check_value(&text, &value, true, span);
            return Some(Node::new(value, span));
        }
        if style != TScalarStyle::Plain {
            let value = Value::Str(text);
            self.check_value("", &value, false, span);
            return Some(Node::new(value, span));
        }
        let (value, ambiguity) = resolve_plain(&text);
        // A value refused outright needs no word on what YAML 1.1 makes of it.
        let refused = self.check_value(&text, &value, false, span);
        if let Some(amb) = ambiguity.filter(|_| self.options.yaml11_check && !refused) {
            let pointer = self.pointer(Some(&text));
            self.problem(span, pointer, amb.message(&text), Some(amb.hint(&text)));
        }
        Some(Node::new(value, span))
    }

    /// Refuses a scalar kiln cannot hold: a string with a control character (when the
    /// options say so), or a number that JSON has no value for. `text` is the scalar as
    /// written, for plain and tagged ones. Says whether it refused the scalar.
    fn check_value(&mut self, text: &str, value: &Value, tagged: bool, span: Span) -> bool {
        let is_key = matches!(self.stack.last(), Some(Frame::Map { key: None, .. }));
        let control = match value {
            Value::Str(s) if !self.options.escaped_controls => {
                if is_plain_text(s.as_bytes(), false) {
                    None
                } else {
                    s.chars().find(|&c| is_refused_control(c))
                }
            }
            _ => None,
        };
        let refusal = control
                .map(|c| {
                    (
                        format!(
                            "control character `{}` in a {}",
                            c.escape_unicode(),
                            if is_key { "key" } else { "string" }
                        ),
                        "remove the escape that writes it: tab, line feed and carriage return are the only control characters kiln reads".to_string(),
                    )
                })
            .or_else(|| number_problem(text, value, tagged));
        if let Some((message, hint)) = refusal {
            let key = match value {
                Value::Str(s) => s.as_str(),
                _ => text,
            };
            let pointer = self.pointer(Some(key));
            self.unusable(span, pointer, message, hint);
            return true;
        }
        false
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

fn scalar_len(text: &str, style: TScalarStyle) -> usize {
    match style {
        TScalarStyle::Plain => text.chars().count(),
        TScalarStyle::SingleQuoted | TScalarStyle::DoubleQuoted => text.chars().count() + 2,
        _ => 1,
    }
}

fn display_tag(tag: &Tag) -> String {
    let shown = match tag.handle.as_str() {
        "tag:yaml.org,2002:" => format!("!!{}", tag.suffix),
        "!" => format!("!{}", tag.suffix),
        h => format!("{h}{}", tag.suffix),
    };
    escape_controls(&shown).into_owned()
}

/// What a plain scalar means under YAML 1.1 when that differs from YAML 1.2.
#[derive(Debug, PartialEq)]
enum Ambiguity {
    /// YAML 1.1 reads it as this kind of value; YAML 1.2 as a string.
    V11Only(&'static str),
    /// YAML 1.2 reads it as a number; YAML 1.1 as a string.
    V12NumberOnly,
    /// Both read a number, but different ones.
    Octal(i64),
}

impl Ambiguity {
    fn message(&self, text: &str) -> String {
        match self {
            Ambiguity::V11Only(kind) => format!(
                "`{text}` is {kind} in YAML 1.1, which Kubernetes reads, but a string in YAML 1.2"
            ),
            Ambiguity::V12NumberOnly => format!(
                "`{text}` is a number in YAML 1.2 but a string in YAML 1.1, which Kubernetes reads"
            ),
            Ambiguity::Octal(v) => format!(
                "`{text}` is the octal number {v} in YAML 1.1, which Kubernetes reads, but a decimal number in YAML 1.2"
            ),
        }
    }

    fn hint(&self, text: &str) -> String {
        match self {
            Ambiguity::V11Only("a boolean") => {
                format!("quote it (`\"{text}\"`) for a string, or write `true` or `false`")
            }
            Ambiguity::Octal(v) => format!("quote it (`\"{text}\"`) for a string, or write `{v}`"),
            _ => format!("quote it (`\"{text}\"`) so that every reader sees a string"),
        }
    }
}

/// Why a number read from `text` (plain or tagged) is not one kiln can hold, with a
/// hint: NaN and infinities (JSON has neither), floats beyond the range of a double,
/// integers beyond 64 bits.
fn number_problem(text: &str, value: &Value, tagged: bool) -> Option<(String, String)> {
    let quote = || format!("quote it (`\"{text}\"`) for a string");
    let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
    match value {
        Value::Float(f) if f.is_nan() => Some((
            format!("`{text}` is not a number kiln can use: its values are JSON, which has no NaN"),
            format!("write a finite number, or {}", quote()),
        )),
        Value::Float(f) if f.is_infinite() && unsigned.eq_ignore_ascii_case(".inf") => Some((
            format!(
                "`{text}` is not a number kiln can use: its values are JSON, which has no infinity"
            ),
            format!("write a finite number, or {}", quote()),
        )),
        Value::Float(f) if f.is_infinite() => Some((
            format!("`{text}` is too large for a number (the largest is about 1.8e308)"),
            quote(),
        )),
        Value::Float(_) if !tagged && is_decimal_integer(text) => Some((
            format!(
                "`{text}` is out of range for an integer ({} to {})",
                i64::MIN,
                i64::MAX
            ),
            quote(),
        )),
        Value::Str(_) if !tagged && is_radix_integer(text) => Some((
            format!(
                "`{text}` is out of range for an integer ({} to {})",
                i64::MIN,
                i64::MAX
            ),
            quote(),
        )),
        _ => None,
    }
}

/// `[-+]?[0-9]+`.
fn is_decimal_integer(s: &str) -> bool {
    let unsigned = s.strip_prefix(['-', '+']).unwrap_or(s);
    !unsigned.is_empty() && unsigned.bytes().all(|b| b.is_ascii_digit())
}

/// `0x[0-9a-fA-F]+` or `0o[0-7]+`: integers in YAML 1.2.
fn is_radix_integer(s: &str) -> bool {
    if let Some(hex) = s.strip_prefix("0x") {
        return !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit());
    }
    if let Some(oct) = s.strip_prefix("0o") {
        return !oct.is_empty() && oct.bytes().all(|b| (b'0'..=b'7').contains(&b));
    }
    false
}

/// Resolves a plain scalar with the YAML 1.2 core schema, and says how YAML 1.1 would
/// read it differently.
fn resolve_plain(s: &str) -> (Value, Option<Ambiguity>) {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return (Value::Null, None),
        "true" | "True" | "TRUE" => return (Value::Bool(true), None),
        "false" | "False" | "FALSE" => return (Value::Bool(false), None),
        "y" | "Y" | "yes" | "Yes" | "YES" | "n" | "N" | "no" | "No" | "NO" | "on" | "On" | "ON"
        | "off" | "Off" | "OFF" => {
            return (Value::Str(s.into()), Some(Ambiguity::V11Only("a boolean")))
        }
        "=" => {
            return (
                Value::Str(s.into()),
                Some(Ambiguity::V11Only("a special value")),
            )
        }
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return (Value::Float(f64::INFINITY), None)
        }
        "-.inf" | "-.Inf" | "-.INF" => return (Value::Float(f64::NEG_INFINITY), None),
        ".nan" | ".NaN" | ".NAN" => return (Value::Float(f64::NAN), None),
        _ => {}
    }
    let unsigned = s.strip_prefix(['-', '+']).unwrap_or(s);
    let negative = s.starts_with('-');
    if !unsigned.is_empty() && unsigned.bytes().all(|b| b.is_ascii_digit()) {
        let value = match s.parse::<i64>() {
            Ok(i) => Value::Int(i),
            Err(_) => Value::Float(s.parse::<f64>().unwrap_or(f64::NAN)),
        };
        if unsigned.len() > 1 && unsigned.starts_with('0') {
            if unsigned.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
                let octal = i64::from_str_radix(unsigned, 8).unwrap_or(0);
                return (
                    value,
                    Some(Ambiguity::Octal(if negative { -octal } else { octal })),
                );
            }
            // `089` is a string in YAML 1.1 (not octal, not decimal).
            return (value, Some(Ambiguity::V12NumberOnly));
        }
        return (value, None);
    }
    if let Some(hex) = s.strip_prefix("0x") {
        if !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            if let Ok(i) = i64::from_str_radix(hex, 16) {
                return (Value::Int(i), None);
            }
        }
    }
    if let Some(oct) = s.strip_prefix("0o") {
        if !oct.is_empty() && oct.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
            if let Ok(i) = i64::from_str_radix(oct, 8) {
                return (Value::Int(i), Some(Ambiguity::V12NumberOnly));
            }
        }
    }
    if is_core_float(s) {
        let value = Value::Float(s.parse::<f64>().unwrap_or(f64::NAN));
        let ambiguity = (!is_yaml11_float(s)).then_some(Ambiguity::V12NumberOnly);
        return (value, ambiguity);
    }
    let ambiguity = if is_yaml11_int_only(s) {
        Some(Ambiguity::V11Only("an integer"))
    } else if is_yaml11_float(s) {
        Some(Ambiguity::V11Only("a number"))
    } else if is_yaml11_timestamp(s) {
        Some(Ambiguity::V11Only("a timestamp"))
    } else {
        None
    };
    (Value::Str(s.into()), ambiguity)
}

/// YAML 1.2 core schema float: `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`.
fn is_core_float(s: &str) -> bool {
    let body = s.strip_prefix(['-', '+']).unwrap_or(s);
    let (mantissa, exponent) = match body.split_once(['e', 'E']) {
        Some((m, e)) => (m, Some(e)),
        None => (body, None),
    };
    let mantissa_ok = match mantissa.split_once('.') {
        Some(("", frac)) => !frac.is_empty() && all_digits(frac),
        Some((whole, frac)) => all_digits(whole) && all_digits(frac),
        None => !mantissa.is_empty() && all_digits(mantissa),
    };
    let exponent_ok = match exponent {
        None => true,
        Some(e) => {
            let digits = e.strip_prefix(['-', '+']).unwrap_or(e);
            !digits.is_empty() && all_digits(digits)
        }
    };
    mantissa_ok && exponent_ok
}

fn all_digits(s: &str) -> bool {
    s.bytes().all(|c| c.is_ascii_digit())
}

/// YAML 1.1 float, as PyYAML resolves it: a dot is required, `_` allowed, exponent sign
/// required, sexagesimal forms allowed.
fn is_yaml11_float(s: &str) -> bool {
    let body = s.strip_prefix(['-', '+']).unwrap_or(s);
    let (mantissa, exponent) = match body.split_once(['e', 'E']) {
        Some((m, e)) => (m, Some(e)),
        None => (body, None),
    };
    let Some((whole, frac)) = mantissa.split_once('.') else {
        return false;
    };
    let whole_ok = whole.is_empty()
        || (whole.starts_with(|c: char| c.is_ascii_digit())
            && whole
                .bytes()
                .all(|c| c.is_ascii_digit() || c == b'_' || c == b':'));
    let frac_ok = frac.bytes().all(|c| c.is_ascii_digit() || c == b'_');
    if whole.is_empty() && frac.is_empty() {
        return false;
    }
    let exponent_ok = match exponent {
        None => true,
        Some(e) => match e.strip_prefix(['-', '+']) {
            Some(digits) => !digits.is_empty() && all_digits(digits),
            None => false,
        },
    };
    whole_ok && frac_ok && exponent_ok
}

/// YAML 1.1 integers that YAML 1.2 reads as strings: `_` separators, `0b`, sexagesimal.
fn is_yaml11_int_only(s: &str) -> bool {
    let b = s.strip_prefix(['-', '+']).unwrap_or(s).as_bytes();
    if let Some(bin) = b.strip_prefix(b"0b") {
        return !bin.is_empty() && bin.iter().all(|&c| c == b'0' || c == b'1' || c == b'_');
    }
    if b.first().is_some_and(u8::is_ascii_digit) {
        let all = b
            .iter()
            .all(|&c| c.is_ascii_digit() || c == b'_' || c == b':');
        return all && (b.contains(&b'_') || b.contains(&b':'));
    }
    false
}

/// YAML 1.1 timestamps start with a date `YYYY-M-D`.
fn is_yaml11_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    let (Some(year), Some(b'-'), Some(rest)) = (b.get(..4), b.get(4), b.get(5..)) else {
        return false;
    };
    if b.len() < 8 || !year.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let month_len = rest.iter().take_while(|c| c.is_ascii_digit()).count();
    if !(1..=2).contains(&month_len) || rest.get(month_len) != Some(&b'-') {
        return false;
    }
    let Some(day) = rest.get(month_len + 1..) else {
        return false;
    };
    let day_len = day.iter().take_while(|c| c.is_ascii_digit()).count();
    (1..=2).contains(&day_len)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> ReadResult {
        parse_stream(text, &ReadOptions::default())
    }

    fn one(text: &str) -> Node {
        let r = read(text);
        assert!(r.problems.is_empty(), "{:?}", r.problems);
        r.documents.into_iter().next().unwrap()
    }

    #[test]
    fn resolves_core_schema_scalars() {
        let n = one("a: 1\nb: -2.5\nc: true\nd: ~\ne: hello\nf: '1'\ng: 0x1F\nh: 1.5e+3\n");
        let j = n.to_json();
        assert_eq!(j["a"], 1);
        assert_eq!(j["b"], -2.5);
        assert_eq!(j["c"], true);
        assert!(j["d"].is_null());
        assert_eq!(j["e"], "hello");
        assert_eq!(j["f"], "1");
        assert_eq!(j["g"], 31);
        assert_eq!(j["h"], 1500.0);
    }

    #[test]
    fn positions_are_one_based() {
        let n = one("a:\n  bb: 1\n");
        let e = &n.get("a").unwrap().entries()[0];
        assert_eq!((e.key_span.line, e.key_span.col, e.key_span.len), (2, 3, 2));
        assert_eq!((e.value.span.line, e.value.span.col), (2, 7));
    }

    #[test]
    fn reports_every_ambiguous_plain_scalar() {
        for text in [
            "yes",
            "No",
            "on",
            "OFF",
            "y",
            "n",
            "0755",
            "1e3",
            "1_000",
            "1:30",
            "0b101",
            "0o17",
            "2024-01-02",
            "089",
            "=",
            "1.5e3",
        ] {
            let r = read(&format!("k: {text}\n"));
            assert_eq!(r.problems.len(), 1, "`{text}` should be reported");
            assert!(!r.problems[0].fatal);
        }
        for text in [
            "'yes'", "\"0755\"", "1.10", "1.5e+3", "10Gi", "500m", "true", "0", "-0", "12",
            "v1.2.3",
        ] {
            let r = read(&format!("k: {text}\n"));
            assert!(
                r.problems.is_empty(),
                "`{text}` is not ambiguous: {:?}",
                r.problems
            );
        }
    }

    #[test]
    fn octal_hint_gives_the_yaml11_value() {
        let r = read("mode: 0755\n");
        assert!(r.problems[0].message.contains("octal number 493"));
        assert_eq!(
            r.problems[0].hint.as_deref(),
            Some("quote it (`\"0755\"`) for a string, or write `493`")
        );
    }

    #[test]
    fn problems_carry_the_pointer() {
        let r = read("a:\n  - x\n  - {b: yes}\n");
        assert_eq!(r.problems[0].pointer.as_deref(), Some("/a/1/b"));
        let r = read("a:\n  on: 1\n");
        assert_eq!(r.problems[0].pointer.as_deref(), Some("/a/on"));
        let r = read("m:\n  k: 1\n  k: 2\n");
        assert_eq!(r.problems[0].pointer.as_deref(), Some("/m/k"));
    }

    #[test]
    fn quoted_scalars_span_what_is_written() {
        let n = one("a: \"x\\ty\"\nb: 'it''s'\nc: \"é\\u00e9\"\nd: &x \"v\"\ne: \"one\n  two\"\n\"k\\\"\": 1\n");
        let len = |key: &str| n.get(key).unwrap().span.len;
        assert_eq!(len("a"), 6);
        assert_eq!(len("b"), 7);
        assert_eq!(len("c"), 9);
        assert_eq!(len("d"), 3);
        // Up to the end of the first line.
        assert_eq!(len("e"), 4);
        assert_eq!(n.entry("k\"").unwrap().key_span.len, 5);
    }

    #[test]
    fn a_mapping_is_located_at_its_first_key() {
        let n = one("\n\nfirst: 1\nsecond: 2\n");
        assert_eq!((n.span.line, n.span.col), (3, 1));
    }

    #[test]
    fn duplicate_keys_are_reported_with_both_lines() {
        let r = read("a: 1\nb: 2\na: 3\n");
        assert_eq!(r.problems.len(), 1);
        assert_eq!(
            r.problems[0].message,
            "duplicate key `a` (first defined at line 1)"
        );
        assert_eq!(r.problems[0].span.line, 3);
    }

    #[test]
    fn a_repeated_key_keeps_the_first_value_everywhere() {
        let r = read("a: 1\nb: {c: x, c: y}\na: 3\n");
        let doc = &r.documents[0];
        assert_eq!(doc.to_json(), serde_json::json!({"a": 1, "b": {"c": "x"}}));
        assert_eq!(doc.locate("/a").node.span.line, 1);
    }

    #[test]
    fn alias_bomb_fails_fast() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..30 {
            let p = i - 1;
            text.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        let start = std::time::Instant::now();
        let r = read(&text);
        assert!(r.is_fatal());
        assert!(r.problems[0]
            .message
            .contains("aliases expand to more than"));
        assert!(start.elapsed().as_secs() < 2);
    }

    #[test]
    fn small_aliases_are_expanded() {
        let n = one("base: &b {x: 1}\nother: *b\n");
        assert_eq!(n.to_json()["other"]["x"], 1);
    }

    #[test]
    fn deep_nesting_is_refused() {
        let text = "[".repeat(200) + &"]".repeat(200);
        let r = read(&text);
        assert!(r.is_fatal());
        assert!(r.problems[0]
            .message
            .contains("nesting is deeper than 64 levels"));
    }

    #[test]
    fn syntax_errors_are_located() {
        let r = read("a: [1, 2\nb: 3\n");
        assert!(r.is_fatal());
        assert!(r.problems[0].message.starts_with("invalid yaml: "));
        assert!(r.problems[0].span.line >= 1);
    }

    #[test]
    fn multiple_documents_and_empty_ones() {
        let r = read("---\na: 1\n---\n---\nb: 2\n");
        assert!(r.problems.is_empty());
        assert_eq!(r.documents.len(), 3);
        assert!(r.documents[1].is_null());
    }

    #[test]
    fn tags() {
        let n = one("a: !!str 0755\nb: !!int 12\n");
        assert_eq!(n.to_json()["a"], "0755");
        assert_eq!(n.to_json()["b"], 12);
        let r = read("a: !custom x\n");
        assert!(r.is_fatal());
        assert_eq!(r.problems[0].message, "unsupported yaml tag `!custom`");
    }

    #[test]
    fn complex_keys_are_refused() {
        let r = read("? [a, b]\n: 1\n");
        assert!(r.is_fatal());
    }

    #[test]
    fn hostile_input_never_panics() {
        let mut samples: Vec<String> = [
            "",
            "\u{feff}a: 1",
            "a: 1\r\nb: 2\r\n",
            "\t- x",
            "a: !!binary AAAA",
            "? a\n: b",
            "&a [*a]",
            "*a",
            "a: 99999999999999999999999",
            "a: -9223372036854775809",
            "{a: [}",
            "--- |\n  x\n...\n---\n",
            "%YAML 1.1\n---\na: 1",
            "a: 'unterminated",
            "a: \"\\xff\"",
            "[[[[[[[[[[",
            "a:\n  - b:\n    - c",
            ":",
            "- - - - -",
            "!<tag:x> a",
        ]
        .iter()
        .map(std::string::ToString::to_string)
        .collect();
        // Pseudo-random mixes of YAML's special characters (fixed seed: repeatable).
        let alphabet: Vec<char> = "ab:- \n\t[]{}&*!|>'\"%@`,#?~0.\\".chars().collect();
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        for _ in 0..3000 {
            let len = (seed % 40) as usize;
            let mut s = String::new();
            for _ in 0..len {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                s.push(alphabet[(seed % alphabet.len() as u64) as usize]);
            }
            samples.push(s);
        }
        for s in samples {
            let r = read(&s);
            assert!(
                !r.problems
                    .iter()
                    .any(|p| p.message.contains("parser failed")),
                "the parser panicked on {s:?}"
            );
        }
    }

    #[test]
    fn a_leading_byte_order_mark_is_skipped() {
        let n = one("\u{feff}environment: dev\nb: 1\n");
        assert_eq!(
            n.to_json(),
            serde_json::json!({"environment": "dev", "b": 1})
        );
        // Columns count from after the mark, as editors show them.
        let e = &n.entries()[0];
        assert_eq!((e.key_span.line, e.key_span.col), (1, 1));
        assert_eq!((e.value.span.line, e.value.span.col), (1, 14));
        let n = one("\u{feff}{\"a\": [1]}");
        assert_eq!(n.to_json(), serde_json::json!({"a": [1]}));
    }

    fn refusal(text: &str) -> ReadProblem {
        let r = read(text);
        assert!(r.is_fatal(), "{text:?} should be refused: {:?}", r.problems);
        r.problems.into_iter().find(|p| p.fatal).unwrap()
    }

    #[test]
    fn control_characters_in_the_text_are_refused_where_they_stand() {
        let p = refusal("a: 1\nb: x\0y\n");
        assert_eq!(p.message, "unexpected control character `\\u{0}`");
        assert_eq!(
            p.hint.as_deref(),
            Some("remove it: tab, line feed and carriage return are the only control characters kiln reads")
        );
        assert_eq!((p.span.line, p.span.col, p.span.len), (2, 5, 1));
        for (text, shown, at) in [
            ("\u{1b}[31m: 1\n", "\\u{1b}", (1, 1)),
            ("# a comment \u{7}\n", "\\u{7}", (1, 13)),
            ("a: \"é\u{7f}\"\n", "\\u{7f}", (1, 6)),
            ("a: |\n  x\u{85}\n", "\\u{85}", (2, 4)),
            ("a: 1\r\n\u{c}", "\\u{c}", (2, 1)),
        ] {
            let p = refusal(text);
            assert_eq!(p.message, format!("unexpected control character `{shown}`"));
            assert_eq!((p.span.line, p.span.col), at, "{text:?}");
        }
        let p = refusal("a: 1\n\u{feff}b: 2\n");
        assert_eq!(p.message, "unexpected byte order mark `\\u{feff}`");
        assert_eq!((p.span.line, p.span.col), (2, 1));
        let p = refusal("a: \u{ffff}\n");
        assert_eq!(p.message, "unexpected character `\\u{ffff}`");
        // Tab, line feed and carriage return are text.
        assert_eq!(one("a:\t\"x\ty\"\r\n").to_json()["a"], "x\ty");
    }

    // Found by tests/integration/properties.rs: a carriage return alone ended a line for the parser
    // but not for the quoted source line; the end of a file without a final line feed
    // was placed on a line after it.
    #[test]
    fn a_carriage_return_alone_is_refused() {
        let p = refusal("a: 1\rb: 2\n");
        assert_eq!(
            p.message,
            "unexpected carriage return `\\u{d}` without a line feed"
        );
        assert_eq!((p.span.line, p.span.col), (1, 5));
        assert!(read("a: 1\r\nb: 2\r\n").problems.is_empty());
    }

    #[test]
    fn the_end_of_the_file_is_on_its_last_line() {
        let p = refusal("{");
        assert_eq!((p.span.line, p.span.col), (1, 2));
        let p = refusal("a:\n  - [x");
        assert_eq!((p.span.line, p.span.col), (2, 7));
        // Nodes too: an empty key at the end (found by the long run).
        let n = one("? ");
        assert_eq!((n.span.line, n.span.col), (1, 3));
    }

    // Found by tests/integration/properties.rs: a byte order mark written as an escape is no
    // control character, and is kept.
    #[test]
    fn escaped_format_characters_are_kept() {
        assert_eq!(
            one("a: \"\\ufeff\\u200b\"\n").to_json()["a"],
            "\u{feff}\u{200b}"
        );
    }

    #[test]
    fn escaped_control_characters_are_refused_unless_allowed() {
        let p = refusal("a:\n  b: \"x\\ey\"\n  \"\\0\": 1\n  c: \"\\u0007\"\n");
        assert_eq!(p.message, "control character `\\u{1b}` in a string");
        assert_eq!(p.pointer.as_deref(), Some("/a/b"));
        let r = read("a:\n  b: \"x\\ey\"\n  \"\\0\": 1\n  c: \"\\u0007\"\n");
        let messages: Vec<_> = r
            .problems
            .iter()
            .map(|p| (p.message.as_str(), p.pointer.as_deref()))
            .collect();
        assert_eq!(
            messages,
            [
                ("control character `\\u{1b}` in a string", Some("/a/b")),
                ("control character `\\u{0}` in a key", Some("/a/\\u{0}")),
                ("control character `\\u{7}` in a string", Some("/a/c")),
            ]
        );
        let allowed = ReadOptions {
            escaped_controls: true,
            ..ReadOptions::default()
        };
        let r = parse_stream("a: \"x\\ey\\0\"\n", &allowed);
        assert!(r.problems.is_empty());
        assert_eq!(r.documents[0].to_json()["a"], "x\u{1b}y\0");
        // Tabs and line breaks written as escapes are fine.
        assert_eq!(one("a: \"\\t\\r\\n\"\n").to_json()["a"], "\t\r\n");
    }

    #[test]
    fn numbers_json_cannot_hold_are_refused() {
        for text in [".nan", ".NaN", ".NAN", "!!float .nan"] {
            let p = refusal(&format!("replicas: {text}\n"));
            let shown = text.trim_start_matches("!!float ");
            assert_eq!(
                p.message,
                format!(
                    "`{shown}` is not a number kiln can use: its values are JSON, which has no NaN"
                )
            );
            assert_eq!(p.pointer.as_deref(), Some("/replicas"));
            assert_eq!(
                p.hint,
                Some(format!(
                    "write a finite number, or quote it (`\"{shown}\"`) for a string"
                ))
            );
        }
        for text in [
            ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF",
        ] {
            let p = refusal(&format!("enabled: {text}\n"));
            assert_eq!(
                p.message,
                format!("`{text}` is not a number kiln can use: its values are JSON, which has no infinity")
            );
        }
        let p = refusal("a: 1e999\n");
        assert_eq!(
            p.message,
            "`1e999` is too large for a number (the largest is about 1.8e308)"
        );
        for text in [
            "9223372036854775808",
            "-9223372036854775809",
            "0x10000000000000000",
            "0o2000000000000000000000",
        ] {
            let p = refusal(&format!("a: {text}\n"));
            assert_eq!(
                p.message,
                format!("`{text}` is out of range for an integer (-9223372036854775808 to 9223372036854775807)")
            );
        }
        // Every problem is reported, not only the first.
        let r = read("a: .nan\nb: [.inf, 1]\n");
        let pointers: Vec<_> = r.problems.iter().map(|p| p.pointer.as_deref()).collect();
        assert_eq!(pointers, [Some("/a"), Some("/b/0")]);
        // Quoted, they are strings; at the edges of the range, numbers.
        let n = one("a: '.nan'\nb: \".inf\"\nc: 9223372036854775807\nd: -9223372036854775808\ne: 1.7e+308\nf: !!float 12345678901234567890\n");
        let j = n.to_json();
        assert_eq!(j["a"], ".nan");
        assert_eq!(j["b"], ".inf");
        assert_eq!(j["c"], i64::MAX);
        assert_eq!(j["d"], i64::MIN);
        assert_eq!(j["e"], 1.7e308);
        assert_eq!(j["f"], 12345678901234567890.0);
    }

    #[test]
    fn json_is_read_as_yaml() {
        let n = one("{\"a\": [1, \"x\", null, true], \"b\": {\"c\": 1.5}}");
        assert_eq!(
            n.to_json(),
            serde_json::json!({"a": [1, "x", null, true], "b": {"c": 1.5}})
        );
    }
}

//! Reads a YAML stream into [`Node`] trees, with positions, duplicate-key detection, a
//! nesting limit, a budget on alias expansion (alias bombs), and a check that every plain
//! scalar means the same under YAML 1.1 and YAML 1.2.
//!
//! Only text is read: a leading byte order mark is skipped, and a control character
//! other than tab, line feed and carriage return is refused wherever it stands (written
//! as an escape in a double-quoted string too, unless [`ReadOptions`] allows that).
//! Every value read is one that JSON can hold: NaN, infinities and integers beyond 64
//! bits are refused, never turned into something else.

mod events;
mod resolve;
mod scalar;
mod text;

use std::panic::{catch_unwind, AssertUnwindSafe};

use super::node::{Node, Span};
use events::Reader;
use text::BOM;
pub use text::{escape_controls, is_unreadable, unreadable_character};

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

#[cfg(test)]
mod tests;

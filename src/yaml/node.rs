//! A parsed YAML (or JSON) value that remembers where each part came from.

use serde_json::{Map, Number};

/// A position in a source file: 1-based line and column, and the length of the token
/// in characters (0 when unknown).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span {
    pub line: u32,
    pub col: u32,
    pub len: u32,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<Entry>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub value: Value,
    pub span: Span,
}

/// One key of a mapping, in source order. Keys are unique within a mapping (the reader
/// reports duplicates).
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub key: String,
    pub key_span: Span,
    pub value: Node,
}

impl Node {
    pub fn new(value: Value, span: Span) -> Node {
        Node { value, span }
    }

    /// The number of nodes in this tree, counting itself.
    pub fn size(&self) -> usize {
        1 + match &self.value {
            Value::Seq(items) => items.iter().map(Node::size).sum(),
            Value::Map(entries) => entries.iter().map(|e| e.value.size()).sum(),
            _ => 0,
        }
    }

    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Map(entries) => entries.iter().find(|e| e.key == key).map(|e| &e.value),
            _ => None,
        }
    }

    pub fn entry(&self, key: &str) -> Option<&Entry> {
        match &self.value {
            Value::Map(entries) => entries.iter().find(|e| e.key == key),
            _ => None,
        }
    }

    pub fn entries(&self) -> &[Entry] {
        match &self.value {
            Value::Map(entries) => entries,
            _ => &[],
        }
    }

    pub fn items(&self) -> &[Node] {
        match &self.value {
            Value::Seq(items) => items,
            _ => &[],
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self.value, Value::Null)
    }

    /// A short name of the value's type, as used in messages.
    pub fn type_name(&self) -> &'static str {
        match self.value {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Int(_) => "integer",
            Value::Float(_) => "number",
            Value::Str(_) => "string",
            Value::Seq(_) => "list",
            Value::Map(_) => "mapping",
        }
    }

    /// Converts to JSON. Mappings become objects with the keys in sorted order. The
    /// reader refuses NaN and infinities (JSON has neither), so a tree it gave back
    /// without a fatal problem converts whole; only a tree made otherwise could lose
    /// such a float (to null).
    pub fn to_json(&self) -> serde_json::Value {
        match &self.value {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Int(i) => serde_json::Value::Number((*i).into()),
            Value::Float(f) => Number::from_f64(*f)
                .map(serde_json::Value::Number)
                .unwrap_or(serde_json::Value::Null),
            Value::Str(s) => serde_json::Value::String(s.clone()),
            Value::Seq(items) => {
                serde_json::Value::Array(items.iter().map(Node::to_json).collect())
            }
            Value::Map(entries) => {
                let mut map = Map::new();
                for e in entries {
                    map.insert(e.key.clone(), e.value.to_json());
                }
                serde_json::Value::Object(map)
            }
        }
    }

    /// Follows a JSON pointer (RFC 6901) as far as it goes. Returns the node it reaches,
    /// and, when the last step is a mapping key, that key's span (the better place to
    /// point at for "unknown key" problems).
    pub fn locate(&self, pointer: &str) -> Located<'_> {
        let mut node = self;
        let mut key_span = None;
        let mut complete = true;
        for token in pointer_tokens(pointer) {
            let next = match &node.value {
                Value::Map(entries) => entries.iter().find(|e| e.key == token).map(|e| {
                    key_span = Some(e.key_span);
                    &e.value
                }),
                Value::Seq(items) => token
                    .parse::<usize>()
                    .ok()
                    .and_then(|i| items.get(i))
                    .inspect(|_| {
                        key_span = None;
                    }),
                _ => None,
            };
            match next {
                Some(n) => node = n,
                None => {
                    complete = false;
                    break;
                }
            }
        }
        Located {
            node,
            key_span,
            complete,
        }
    }
}

/// What [`Node::locate`] found.
pub struct Located<'a> {
    /// The deepest node reached.
    pub node: &'a Node,
    /// The span of the key that led to `node`, when it is a mapping value.
    pub key_span: Option<Span>,
    /// Whether the whole pointer was followed.
    pub complete: bool,
}

/// Splits a JSON pointer into its unescaped tokens.
pub fn pointer_tokens(pointer: &str) -> impl Iterator<Item = String> + '_ {
    pointer
        .split('/')
        .skip(1)
        .map(|t| t.replace("~1", "/").replace("~0", "~"))
}

/// Escapes one token for use in a JSON pointer.
pub fn escape_token(token: &str) -> std::borrow::Cow<'_, str> {
    if token.bytes().any(|b| b == b'~' || b == b'/') {
        std::borrow::Cow::Owned(token.replace('~', "~0").replace('/', "~1"))
    } else {
        std::borrow::Cow::Borrowed(token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::{parse_stream, ReadOptions};

    fn doc(text: &str) -> Node {
        let read = parse_stream(text, &ReadOptions::default());
        assert!(read.problems.is_empty(), "{:?}", read.problems);
        read.documents.into_iter().next().unwrap()
    }

    #[test]
    fn locate_follows_keys_and_indices() {
        let n = doc("a:\n  b:\n    - x\n    - z: 1\n");
        let found = n.locate("/a/b/1/z");
        assert!(found.complete);
        assert_eq!(found.node.span.line, 4);
        assert_eq!(found.key_span.map(|s| (s.line, s.col)), Some((4, 7)));
    }

    #[test]
    fn locate_stops_at_the_deepest_existing_node() {
        let n = doc("a:\n  b: 1\n");
        let found = n.locate("/a/c/d");
        assert!(!found.complete);
        assert_eq!(found.node.span.line, 2);
    }

    #[test]
    fn pointer_tokens_unescape() {
        let tokens: Vec<_> = pointer_tokens("/a~1b/c~0d").collect();
        assert_eq!(tokens, vec!["a/b", "c~d"]);
        assert_eq!(escape_token("a/b~"), "a~1b~0");
    }
}

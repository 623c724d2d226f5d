//! Deep merge of value layers, remembering for every value the layer and position that
//! set it.
//!
//! Semantics (docs/values.md): mappings merge key by key; scalars replace; `null` removes
//! the key; lists replace, except the lists keyed by `name` ([`KEYED_LISTS`]) whose items
//! are all mappings with a `name`: there an item replaces the item of the same name in
//! its place, new names are appended, and `$patch: delete` removes the item of that name.

use std::collections::BTreeMap;

use serde_json::Value as Json;

use crate::yaml::node::pointer_tokens;
use crate::yaml::{Node, Span, Value};

/// Lists whose items are identified by their `name` and merge by it, as Kubernetes'
/// strategic merge does.
pub const KEYED_LISTS: [&str; 7] = [
    "env",
    "ports",
    "volumes",
    "volumeMounts",
    "containers",
    "initContainers",
    "imagePullSecrets",
];

const PATCH: &str = "$patch";

/// Where a merged value came from: the index of its layer and its position in that
/// layer's file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Origin {
    pub layer: usize,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum MValue {
    Leaf(Json),
    Map(BTreeMap<String, MNode>),
    List(Vec<MNode>),
}

/// A merged value with its origin.
#[derive(Clone, Debug, PartialEq)]
pub struct MNode {
    pub value: MValue,
    pub origin: Origin,
}

impl MNode {
    pub fn empty_map(origin: Origin) -> MNode {
        MNode {
            value: MValue::Map(BTreeMap::new()),
            origin,
        }
    }

    /// Converts a layer's node as it stands (nothing below it to merge with).
    pub fn from_node(node: &Node, layer: usize) -> MNode {
        let origin = Origin {
            layer,
            span: node.span,
        };
        let value = match &node.value {
            Value::Map(entries) => MValue::Map(
                entries
                    .iter()
                    .filter(|e| !e.value.is_null())
                    .map(|e| (e.key.clone(), MNode::from_node(&e.value, layer)))
                    .collect(),
            ),
            Value::Seq(items) => MValue::List(
                items
                    .iter()
                    .filter(|i| !is_delete_patch(i))
                    .map(|i| MNode::from_node(i, layer))
                    .collect(),
            ),
            _ => MValue::Leaf(node.to_json()),
        };
        MNode { value, origin }
    }

    /// Plain JSON, without origins and without `$patch` markers.
    pub fn to_json(&self) -> Json {
        match &self.value {
            MValue::Leaf(j) => j.clone(),
            MValue::Map(m) => Json::Object(
                m.iter()
                    .filter(|(k, _)| k.as_str() != PATCH)
                    .map(|(k, v)| (k.clone(), v.to_json()))
                    .collect(),
            ),
            MValue::List(items) => Json::Array(items.iter().map(MNode::to_json).collect()),
        }
    }

    pub fn get(&self, key: &str) -> Option<&MNode> {
        match &self.value {
            MValue::Map(m) => m.get(key),
            _ => None,
        }
    }

    /// The node at a JSON pointer. In keyed lists, a token may be the item's `name`
    /// instead of its index.
    pub fn at(&self, pointer: &str) -> Option<&MNode> {
        let mut node = self;
        for token in pointer_tokens(pointer) {
            node = match &node.value {
                MValue::Map(m) => m.get(&token)?,
                MValue::List(items) => match token.parse::<usize>() {
                    Ok(i) => items.get(i)?,
                    Err(_) => items
                        .iter()
                        .find(|i| item_name(i) == Some(token.as_str()))?,
                },
                MValue::Leaf(_) => return None,
            };
        }
        Some(node)
    }
}

/// The `name` of an item of a keyed list.
pub fn item_name(node: &MNode) -> Option<&str> {
    match node.get("name").map(|n| &n.value) {
        Some(MValue::Leaf(Json::String(s))) => Some(s),
        _ => None,
    }
}

fn node_name(node: &Node) -> Option<&str> {
    node.get("name").and_then(Node::as_str)
}

/// Whether every item of a list is a mapping with a `name`, so the list can merge by it.
fn is_keyed(items: &[Node]) -> bool {
    items.iter().all(|i| node_name(i).is_some())
}

fn is_delete_patch(node: &Node) -> bool {
    node.get(PATCH).and_then(Node::as_str) == Some("delete")
}

/// Merges `overlay` (from layer `layer`) over `base`. `key` is the key under which both
/// sit, which decides how lists merge. Returns `None` when the overlay removes the value.
pub fn merge(
    base: Option<MNode>,
    overlay: &Node,
    layer: usize,
    key: Option<&str>,
) -> Option<MNode> {
    match (&overlay.value, base) {
        (Value::Null, _) => None,
        (
            Value::Map(entries),
            Some(MNode {
                value: MValue::Map(mut map),
                origin,
            }),
        ) => {
            for e in entries {
                let below = map.remove(&e.key);
                if let Some(merged) = merge(below, &e.value, layer, Some(&e.key)) {
                    map.insert(e.key.clone(), merged);
                }
            }
            Some(MNode {
                value: MValue::Map(map),
                origin,
            })
        }
        (
            Value::Seq(items),
            Some(MNode {
                value: MValue::List(mut list),
                origin,
            }),
        ) if key.is_some_and(|k| KEYED_LISTS.contains(&k))
            && is_keyed(items)
            && list.iter().all(|b| item_name(b).is_some()) =>
        {
            for item in items {
                let name = node_name(item);
                let position = name.and_then(|n| list.iter().position(|b| item_name(b) == Some(n)));
                match (position, is_delete_patch(item)) {
                    (Some(i), true) => {
                        list.remove(i);
                    }
                    (None, true) => {}
                    (Some(i), false) => {
                        // The item replaces the one of the same name, in its place.
                        if let Some(slot) = list.get_mut(i) {
                            *slot = MNode::from_node(item, layer);
                        }
                    }
                    (None, false) => list.push(MNode::from_node(item, layer)),
                }
            }
            Some(MNode {
                value: MValue::List(list),
                origin,
            })
        }
        _ => Some(MNode::from_node(overlay, layer)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::{parse_stream, ReadOptions};
    use serde_json::json;

    fn node(text: &str) -> Node {
        parse_stream(text, &ReadOptions::default())
            .documents
            .remove(0)
    }

    fn merged(layers: &[&str]) -> MNode {
        let mut acc: Option<MNode> = None;
        for (i, l) in layers.iter().enumerate() {
            acc = merge(acc, &node(l), i, None);
        }
        acc.unwrap()
    }

    #[test]
    fn maps_merge_and_scalars_replace() {
        let m = merged(&["a: {x: 1, y: 2}\nb: 1\n", "a: {y: 3, z: 4}\n"]);
        assert_eq!(m.to_json(), json!({"a": {"x": 1, "y": 3, "z": 4}, "b": 1}));
        assert_eq!(m.at("/a/x").unwrap().origin.layer, 0);
        assert_eq!(m.at("/a/y").unwrap().origin.layer, 1);
        assert_eq!(m.at("/a/y").unwrap().origin.span.line, 1);
    }

    #[test]
    fn null_removes_a_key() {
        let m = merged(&["a: {x: 1, y: 2}\n", "a: {x: null}\n"]);
        assert_eq!(m.to_json(), json!({"a": {"y": 2}}));
        let m = merged(&["a: {x: 1}\n", "a: null\n"]);
        assert_eq!(m.to_json(), json!({}));
    }

    #[test]
    fn plain_lists_replace() {
        let m = merged(&["args: [a, b]\n", "args: [c]\n"]);
        assert_eq!(m.to_json(), json!({"args": ["c"]}));
    }

    #[test]
    fn keyed_lists_merge_by_name() {
        let m = merged(&[
            "env:\n  - {name: A, value: '1'}\n  - {name: B, value: '2'}\n",
            "env:\n  - {name: B, value: '3'}\n  - {name: C, value: '4'}\n",
        ]);
        assert_eq!(
            m.to_json(),
            json!({"env": [{"name": "A", "value": "1"}, {"name": "B", "value": "3"}, {"name": "C", "value": "4"}]})
        );
        assert_eq!(m.at("/env/B/value").unwrap().origin.layer, 1);
        assert_eq!(m.at("/env/0/value").unwrap().origin.layer, 0);
    }

    #[test]
    fn a_keyed_item_replaces_the_whole_item_below() {
        let m = merged(&[
            "env:\n  - {name: A, value: '1'}\n",
            "env:\n  - {name: A, valueFrom: {secretKeyRef: {name: s, key: k}}}\n",
        ]);
        assert_eq!(
            m.to_json(),
            json!({"env": [{"name": "A", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}]})
        );
    }

    #[test]
    fn lists_of_numbers_under_a_keyed_name_replace() {
        let m = merged(&["ports: [5432]\n", "ports: [6432]\n"]);
        assert_eq!(m.to_json(), json!({"ports": [6432]}));
    }

    #[test]
    fn keyed_items_can_be_deleted() {
        let m = merged(&[
            "env:\n  - {name: A, value: '1'}\n  - {name: B, value: '2'}\n",
            "env:\n  - {name: A, $patch: delete}\n  - {name: Z, $patch: delete}\n",
        ]);
        assert_eq!(m.to_json(), json!({"env": [{"name": "B", "value": "2"}]}));
    }

    #[test]
    fn a_keyed_list_over_nothing_drops_delete_markers() {
        let m = merged(&[
            "{}\n",
            "env:\n  - {name: A, $patch: delete}\n  - {name: B, value: x}\n",
        ]);
        assert_eq!(m.to_json(), json!({"env": [{"name": "B", "value": "x"}]}));
    }

    #[test]
    fn a_scalar_can_replace_a_map_and_back() {
        let m = merged(&["a: {x: 1}\n", "a: 5\n", "a: {y: 2}\n"]);
        assert_eq!(m.to_json(), json!({"a": {"y": 2}}));
    }
}

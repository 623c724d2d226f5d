//! Label selectors: a workload's must match its pods.

use super::*;

/// The pod template's labels must satisfy the workload's selector.
pub(super) fn selector_matches(o: &Object, base: &str, template: &Json, out: &mut Vec<Finding>) {
    let Some(selector) = o.value.pointer("/spec/selector") else {
        return;
    };
    let labels = template.pointer("/metadata/labels");
    if !selects(selector, labels) {
        out.push(
            finding(
                Code::Selector,
                "/spec/selector",
                format!(
                    "the selector of {} `{}` does not match its own pod template's labels",
                    o.kind(),
                    o.name()
                ),
            )
            .hint(format!(
                "give the pod template (`{base}/metadata/labels`) every label of the selector"
            )),
        );
    }
}

/// Whether a label selector (`matchLabels`, `matchExpressions`) selects `labels`.
pub(in crate::check) fn selects(selector: &Json, labels: Option<&Json>) -> bool {
    let get = |k: &str| labels.and_then(|l| l.get(k)).and_then(Json::as_str);
    let match_labels = selector["matchLabels"]
        .as_object()
        .into_iter()
        .flatten()
        .all(|(k, v)| get(k) == v.as_str());
    let expressions = selector["matchExpressions"]
        .as_array()
        .into_iter()
        .flatten()
        .all(|e| {
            let key = e["key"].as_str().unwrap_or("");
            let values: Vec<&str> = e["values"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Json::as_str)
                .collect();
            match e["operator"].as_str() {
                Some("In") => get(key).is_some_and(|v| values.contains(&v)),
                Some("NotIn") => get(key).is_none_or(|v| !values.contains(&v)),
                Some("Exists") => get(key).is_some(),
                Some("DoesNotExist") => get(key).is_none(),
                _ => false,
            }
        });
    match_labels && expressions
}

/// Whether a Service selector (a plain label map) selects `labels`.
pub(super) fn map_selects(selector: &serde_json::Map<String, Json>, labels: Option<&Json>) -> bool {
    selector
        .iter()
        .all(|(k, v)| labels.and_then(|l| l.get(k)).and_then(Json::as_str) == v.as_str())
}

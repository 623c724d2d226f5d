//! Names, labels and annotations, as the API server checks them.

use super::*;

pub(super) fn metadata(meta: &Json, base: &str, out: &mut Vec<Finding>) {
    for (k, v) in meta["labels"].as_object().into_iter().flatten() {
        let at = format!("{base}/labels/{}", esc(k));
        if let Some(p) = key_problem(k) {
            out.push(finding(
                Code::ObjectMetadata,
                at.clone(),
                format!("the label key `{k}` is invalid: {p}"),
            ));
        }
        if let Some(p) = v.as_str().and_then(label_value_problem) {
            out.push(finding(
                Code::ObjectMetadata,
                at,
                format!("the value of label `{k}` is invalid: {p}"),
            ));
        }
    }
    let mut size = 0;
    for (k, v) in meta["annotations"].as_object().into_iter().flatten() {
        if let Some(p) = key_problem(k) {
            out.push(finding(
                Code::ObjectMetadata,
                format!("{base}/annotations/{}", esc(k)),
                format!("the annotation key `{k}` is invalid: {p}"),
            ));
        }
        size += k.len() + v.as_str().map(str::len).unwrap_or(0);
    }
    if size > 256 * 1024 {
        out.push(finding(
            Code::ObjectMetadata,
            format!("{base}/annotations"),
            "the annotations add up to more than 256 KiB",
        ));
    }
}

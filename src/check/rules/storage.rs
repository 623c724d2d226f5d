//! PersistentVolumeClaims.

use super::*;

pub(super) fn pvc(spec: &Json, at: &str, out: &mut Vec<Finding>) {
    let modes = spec["accessModes"].as_array().cloned().unwrap_or_default();
    if modes.is_empty() {
        out.push(finding(
            Code::Storage,
            format!("{at}/accessModes"),
            "a volume claim needs at least one access mode",
        ));
    }
    for (i, m) in modes.iter().enumerate() {
        let valid = [
            "ReadWriteOnce",
            "ReadOnlyMany",
            "ReadWriteMany",
            "ReadWriteOncePod",
        ];
        if !m.as_str().is_some_and(|m| valid.contains(&m)) {
            out.push(
                finding(
                    Code::Storage,
                    format!("{at}/accessModes/{i}"),
                    format!("{m} is not an access mode"),
                )
                .hint(format!("use one of {}", crate::suggest::code_list(valid))),
            );
        }
    }
    match spec.pointer("/resources/requests/storage") {
        Some(v) => quantity_at(v, &format!("{at}/resources/requests/storage"), out),
        None => out.push(finding(
            Code::Storage,
            format!("{at}/resources/requests"),
            "a volume claim needs `resources.requests.storage`",
        )),
    }
}

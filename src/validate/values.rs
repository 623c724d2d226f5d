//! Checks of one layer of values against the catalog: the flags, services and
//! credentials it names exist, and it does not change what the catalog fixes.

use crate::diagnostic::{Code, Diagnostic};
use crate::model::{Catalog, Service};
use crate::suggest;
use crate::yaml::node::{escape_token, Entry};
use crate::yaml::{Node, Span, Value};

/// Checks `node`, a values layer found at `base` in `file`.
pub(super) fn check(catalog: &Catalog, node: &Node, file: &str, base: &str) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let at = |entry_span, pointer: String, d: Diagnostic| {
        d.in_file(file)
            .at(entry_span)
            .pointer(format!("{base}{pointer}"))
    };
    if let Some(flags) = node.get("flags") {
        check_flags(catalog, flags, &at, &mut out);
    }
    if let Some(services) = node.get("services") {
        check_services(catalog, services, &at, &mut out);
    }
    if let Some(creds) = node.get("credentials") {
        check_credentials(catalog, creds, &at, &mut out);
    }
    out
}

/// Refuses a flag the catalog does not have.
fn check_flags(
    catalog: &Catalog,
    flags: &Node,
    at: &impl Fn(Span, String, Diagnostic) -> Diagnostic,
    out: &mut Vec<Diagnostic>,
) {
    for e in flags.entries() {
        if !catalog.flags.contains_key(&e.key) {
            let hint = suggest::did_you_mean(&e.key, catalog.flags.keys().map(String::as_str))
                .or_else(|| {
                    Some(format!(
                        "the catalog's flags are {}",
                        list(catalog.flags.keys())
                    ))
                });
            out.push(at(
                e.key_span,
                format!("/flags/{}", escape_token(&e.key)),
                Diagnostic::error(Code::UnknownFlag, format!("unknown flag `{}`", e.key))
                    .hint_opt(hint),
            ));
        }
    }
}

/// Refuses an override of a service the catalog does not have, and checks each other
/// one against its catalog service.
fn check_services(
    catalog: &Catalog,
    services: &Node,
    at: &impl Fn(Span, String, Diagnostic) -> Diagnostic,
    out: &mut Vec<Diagnostic>,
) {
    for e in services.entries() {
        let Some(svc) = catalog.services.get(&e.key) else {
            let hint = suggest::did_you_mean(&e.key, catalog.services.keys().map(String::as_str));
            out.push(at(
                e.key_span,
                format!("/services/{}", escape_token(&e.key)),
                Diagnostic::error(
                    Code::UnknownService,
                    format!(
                        "override of service `{}`, which is not in the catalog",
                        e.key
                    ),
                )
                .hint_opt(hint),
            ));
            continue;
        };
        check_service(e, svc, at, out);
    }
}

/// Refuses what a service's values may not change: replicas the catalog fixes, values
/// for another kind of workload, and autoscaling the catalog does not allow.
fn check_service(
    e: &Entry,
    svc: &Service,
    at: &impl Fn(Span, String, Diagnostic) -> Diagnostic,
    out: &mut Vec<Diagnostic>,
) {
    let pointer = |rest: &str| format!("/services/{}{rest}", escape_token(&e.key));
    if let (Some(fixed), Some(replicas)) = (svc.fixed_replicas, e.value.get("replicas")) {
        if !matches!(replicas.value, Value::Int(n) if n == i64::from(fixed)) && !replicas.is_null()
        {
            out.push(at(
                replicas.span,
                pointer("/replicas"),
                Diagnostic::error(
                    Code::FixedReplicas,
                    format!(
                        "service `{}` runs with exactly {fixed} replica{} by design",
                        e.key,
                        if fixed == 1 { "" } else { "s" }
                    ),
                )
                .hint("remove `replicas`; the catalog fixes it (`fixedReplicas`)"),
            ));
        }
    }
    for (key, kinds, what) in crate::model::KIND_VALUES {
        if let Some(entry) = e.value.entry(key).filter(|en| !en.value.is_null()) {
            if !kinds.contains(&svc.kind) {
                out.push(at(
                    entry.key_span,
                    pointer(&format!("/{key}")),
                    Diagnostic::error(
                        Code::OtherWorkloadKind,
                        format!(
                            "`{key}` applies to {what}, and `{}` is a {:?}",
                            e.key, svc.kind
                        ),
                    )
                    .hint("remove it; kiln would ignore it"),
                ));
            }
        }
    }
    let autoscaling = e.value.get("autoscaling").and_then(|a| a.get("enabled"));
    if let Some(enabled) = autoscaling.filter(|n| matches!(n.value, Value::Bool(true))) {
        if !svc.autoscaling || svc.fixed_replicas.is_some() || !svc.kind.is_long_lived() {
            out.push(at(
                enabled.span,
                pointer("/autoscaling/enabled"),
                Diagnostic::error(Code::NoAutoscaling, format!("service `{}` may not autoscale", e.key)).hint(
                    "the catalog does not allow a HorizontalPodAutoscaler for it (`autoscaling: false`, `fixedReplicas`, or a job)",
                ),
            ));
        }
    }
}

/// Refuses a credential no service of the catalog reads.
fn check_credentials(
    catalog: &Catalog,
    creds: &Node,
    at: &impl Fn(Span, String, Diagnostic) -> Diagnostic,
    out: &mut Vec<Diagnostic>,
) {
    let known = known_credentials(catalog);
    for e in creds.entries() {
        if !known.contains(&e.key) {
            let hint =
                suggest::did_you_mean(&e.key, known.iter().map(String::as_str)).or_else(|| {
                    Some(format!(
                        "the catalog's services read {}",
                        list(known.iter())
                    ))
                });
            out.push(at(
                e.key_span,
                format!("/credentials/{}", escape_token(&e.key)),
                Diagnostic::error(
                    Code::UnusedCredential,
                    format!("no service reads credential `{}`", e.key),
                )
                .hint_opt(hint),
            ));
        }
    }
}

/// Every credential name the catalog's services read.
pub fn known_credentials(catalog: &Catalog) -> Vec<String> {
    let mut names: Vec<String> = catalog
        .services
        .values()
        .flat_map(|s| s.credentials.iter().map(|c| c.credential.clone()))
        .collect();
    names.sort();
    names.dedup();
    names
}

fn list<'a>(names: impl Iterator<Item = &'a String>) -> String {
    let all = crate::suggest::code_list(names);
    if all.is_empty() {
        "none".into()
    } else {
        all
    }
}

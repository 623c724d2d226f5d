//! Checks of the platform catalog that a schema cannot express: references between
//! services, stages, flags, ports and pools, and start-up order.

mod service;

use std::collections::{BTreeMap, BTreeSet};

use crate::diagnostic::{Code, Diagnostic};
use crate::model::Catalog;
use crate::parse::Document;
use crate::suggest;
use crate::yaml::node::escape_token;

use super::located;

/// Every problem of the catalog: its flags, each service on its own and against the
/// others, the one gateway, and cycles of `dependsOn`.
pub(super) fn check(catalog: &Catalog, doc: &Document) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    check_flags(catalog, doc, &mut out);
    let pools: Vec<String> = catalog
        .defaults
        .get("placement")
        .and_then(|p| p.as_object())
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    let mut routes: BTreeMap<&str, &str> = BTreeMap::new();
    let mut gateways = Vec::new();
    let mut warnings = Vec::new();
    for (name, svc) in &catalog.services {
        let at = |field: &str| format!("/services/{}{field}", escape_token(name));
        let mut err = |field: &str, message: String, hint: Option<String>| {
            out.push(
                located(
                    doc,
                    &at(field),
                    Diagnostic::error(Code::CatalogService, message),
                )
                .hint_opt(hint),
            );
        };
        service::check_references(catalog, name, svc, &mut err);
        service::check_depends_on(catalog, name, svc, &mut err);
        service::check_calls(catalog, name, svc, &mut err);
        service::check_ports(name, svc, &mut err);
        service::check_probes(name, svc, &mut err);
        if svc.kind.is_long_lived() && svc.probes.is_none() && !svc.ports.is_empty() {
            // Pushed after the loop: `err` holds `out` for the whole iteration.
            warnings.push(
                located(doc, &at(""), Diagnostic::warning(Code::NoProbes, format!("service `{name}` has no probes")))
                    .hint("without a readiness probe Kubernetes sends traffic before the service is ready; add `probes` (http, tcp, grpc or exec)"),
            );
        }
        service::check_kind(name, svc, &mut err);
        service::check_placement(catalog, &pools, name, svc, &mut err);
        if svc.gateway {
            gateways.push(name.as_str());
            if svc.ports.is_empty() {
                err("/gateway", format!("gateway `{name}` has no port"), None);
            }
        }
        service::check_routes(name, svc, &mut routes, &mut err);
    }
    out.extend(warnings);
    if gateways.len() > 1 {
        out.push(located(
            doc,
            "/services",
            Diagnostic::error(
                Code::MultipleGateways,
                format!(
                    "more than one gateway: {}",
                    crate::suggest::code_list(gateways.iter())
                ),
            ),
        ));
    }
    check_cycles(catalog, doc, &mut out);
    out
}

/// Refuses a flag that requires a flag the catalog does not have.
fn check_flags(catalog: &Catalog, doc: &Document, out: &mut Vec<Diagnostic>) {
    for (name, flag) in &catalog.flags {
        for (i, req) in flag.requires.iter().enumerate() {
            if !catalog.flags.contains_key(req) {
                out.push(
                    located(
                        doc,
                        &format!("/flags/{}/requires/{i}", escape_token(name)),
                        Diagnostic::error(
                            Code::UnknownRequirement,
                            format!("flag `{name}` requires `{req}`, which is not a flag"),
                        ),
                    )
                    .hint_opt(suggest::did_you_mean(
                        req,
                        catalog.flags.keys().map(String::as_str),
                    )),
                );
            }
        }
    }
}

/// Refuses a cycle of `dependsOn`, which no start-up order can satisfy.
fn check_cycles(catalog: &Catalog, doc: &Document, out: &mut Vec<Diagnostic>) {
    // Iterative depth-first search with colours; a dependency on a service that is still
    // on the path closes a cycle.
    let mut done: BTreeSet<&str> = BTreeSet::new();
    for start in catalog.services.keys() {
        if done.contains(start.as_str()) {
            continue;
        }
        let mut path: Vec<(&str, usize)> = vec![(start.as_str(), 0)];
        while let Some((node, next)) = path.last().copied() {
            let deps = catalog
                .services
                .get(node)
                .map(|s| s.depends_on.as_slice())
                .unwrap_or(&[]);
            match deps.get(next) {
                None => {
                    done.insert(node);
                    path.pop();
                }
                Some(dep) => {
                    if let Some(top) = path.last_mut() {
                        top.1 += 1;
                    }
                    let dep = dep.as_str();
                    if let Some(pos) = path.iter().position(|(n, _)| *n == dep) {
                        let mut cycle: Vec<&str> = path.iter().skip(pos).map(|(n, _)| *n).collect();
                        cycle.push(dep);
                        out.push(located(
                            doc,
                            &format!("/services/{}/dependsOn", escape_token(node)),
                            Diagnostic::error(Code::DependencyCycle, format!(
                                "services depend on each other in a cycle: {}",
                                cycle
                                    .iter()
                                    .map(|c| format!("`{c}`"))
                                    .collect::<Vec<_>>()
                                    .join(" → ")
                            )),
                        )
                        .hint("`dependsOn` orders start-up; when one of them only calls the other, list it under `calls` instead"));
                    } else if !done.contains(dep) && catalog.services.contains_key(dep) {
                        path.push((dep, 0));
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;

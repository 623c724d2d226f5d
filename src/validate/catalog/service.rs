//! The checks of one catalog service: what it names (a stage, a flag, a pool, a
//! priority class), what it depends on and calls, its ports and probes, the fields its
//! kind allows, and its routes. Each reports through `err(field, message, hint)`.

use std::collections::{BTreeMap, BTreeSet};

use crate::model::{Catalog, Service, WorkloadKind};
use crate::suggest;

/// Refuses a stage or a flag the catalog does not have.
pub(super) fn check_references(
    catalog: &Catalog,
    name: &str,
    svc: &Service,
    err: &mut impl FnMut(&str, String, Option<String>),
) {
    if !catalog.stages.contains(&svc.stage) {
        err(
            "/stage",
            format!(
                "service `{name}` names stage `{}`, which is not in `stages`",
                svc.stage
            ),
            suggest::did_you_mean(&svc.stage, catalog.stages.iter().map(String::as_str)),
        );
    }
    if let Some(flag) = &svc.flag {
        if !catalog.flags.contains_key(flag) {
            err(
                "/flag",
                format!("service `{name}` is gated by flag `{flag}`, which is not in `flags`"),
                suggest::did_you_mean(flag, catalog.flags.keys().map(String::as_str)),
            );
        }
    }
}

/// Refuses a dependency on a missing service, on itself, on one that starts later or
/// runs under a flag this one does not imply, or on a job.
pub(super) fn check_depends_on(
    catalog: &Catalog,
    name: &str,
    svc: &Service,
    err: &mut impl FnMut(&str, String, Option<String>),
) {
    for (i, dep) in svc.depends_on.iter().enumerate() {
        let field = format!("/dependsOn/{i}");
        let Some(target) = catalog.services.get(dep) else {
            err(
                &field,
                format!(
                    "service `{name}` depends on `{dep}`, which is not a service in the catalog"
                ),
                suggest::did_you_mean(dep, catalog.services.keys().map(String::as_str)),
            );
            continue;
        };
        if dep == name {
            err(&field, format!("service `{name}` depends on itself"), None);
            continue;
        }
        let own = stage_index(catalog, &svc.stage);
        let theirs = stage_index(catalog, &target.stage);
        if let (Some(own), Some(theirs)) = (own, theirs) {
            if theirs > own {
                err(
                    &field,
                    format!(
                        "service `{name}` (stage `{}`) depends on `{dep}`, which starts later (stage `{}`)",
                        svc.stage, target.stage
                    ),
                    Some(format!("move `{dep}` to stage `{}` or earlier, or `{name}` later", svc.stage)),
                );
            }
        }
        if let Some(dep_flag) = &target.flag {
            if !flag_implies(catalog, svc.flag.as_deref(), dep_flag) {
                err(
                    &field,
                    format!("service `{name}` depends on `{dep}`, which runs only when flag `{dep_flag}` is on"),
                    Some(match &svc.flag {
                        Some(f) => format!(
                            "add `{dep_flag}` to the `requires` of flag `{f}`, or list `{dep}` under `calls` if `{name}` can run without it"
                        ),
                        None => format!(
                            "list `{dep}` under `calls` if `{name}` can run without it, or gate `{name}` behind a flag that requires `{dep_flag}`"
                        ),
                    }),
                );
            }
        }
        if target.kind == WorkloadKind::Job || target.kind == WorkloadKind::CronJob {
            err(
                &field,
                format!("service `{name}` depends on `{dep}`, a job, which serves no calls"),
                None,
            );
        }
    }
}

/// Refuses a call to a missing service, to itself, or to a job.
pub(super) fn check_calls(
    catalog: &Catalog,
    name: &str,
    svc: &Service,
    err: &mut impl FnMut(&str, String, Option<String>),
) {
    for (i, callee) in svc.calls.iter().enumerate() {
        let field = format!("/calls/{i}");
        match catalog.services.get(callee) {
            None => err(
                &field,
                format!("service `{name}` calls `{callee}`, which is not a service in the catalog"),
                suggest::did_you_mean(callee, catalog.services.keys().map(String::as_str)),
            ),
            Some(_) if callee == name => {
                err(&field, format!("service `{name}` calls itself"), None);
            }
            Some(target) if !target.kind.is_long_lived() => err(
                &field,
                format!("service `{name}` calls `{callee}`, a job, which serves no calls"),
                None,
            ),
            Some(_) => {}
        }
    }
}

/// Refuses fields that the service's kind does not take: probes on a job, `strategy`
/// off a Deployment, `hook` off a Job, a StatefulSet without a port or a `dataPath`,
/// `routesPath` off the gateway.
pub(super) fn check_kind(
    name: &str,
    svc: &Service,
    err: &mut impl FnMut(&str, String, Option<String>),
) {
    if !svc.kind.is_long_lived() && svc.probes.is_some() {
        err(
            "/probes",
            format!("job `{name}` has probes; jobs run to completion and are not probed"),
            Some("remove `probes`".into()),
        );
    }
    if svc.strategy.is_some() && svc.kind != WorkloadKind::Deployment {
        err(
            "/strategy",
            format!(
                "`strategy` applies to Deployments only, and `{name}` is a {:?}",
                svc.kind
            ),
            None,
        );
    }
    if svc.hook.is_some() && svc.kind != WorkloadKind::Job {
        err(
            "/hook",
            format!(
                "`hook` applies to Jobs only, and `{name}` is a {:?}",
                svc.kind
            ),
            None,
        );
    }
    if svc.kind == WorkloadKind::StatefulSet && svc.ports.is_empty() {
        err(
            "/ports",
            format!("StatefulSet `{name}` needs a port for its headless Service"),
            None,
        );
    }
    if svc.kind == WorkloadKind::StatefulSet && svc.data_path.is_none() {
        err(
            "/kind",
            format!("StatefulSet `{name}` needs a `dataPath` to mount its persistent volume at"),
            None,
        );
    }
    if svc.routes_path.is_some() && !svc.gateway {
        err(
            "/routesPath",
            format!("`routesPath` applies to the gateway only, and `{name}` is not it"),
            None,
        );
    }
}

/// Refuses a pool that `defaults.placement` does not define, or a priority class the
/// catalog does not have.
pub(super) fn check_placement(
    catalog: &Catalog,
    pools: &[String],
    name: &str,
    svc: &Service,
    err: &mut impl FnMut(&str, String, Option<String>),
) {
    if let Some(pool) = &svc.pool {
        if !pools.contains(pool) {
            err(
                "/pool",
                format!("service `{name}` runs in pool `{pool}`, which `defaults.placement` does not define"),
                suggest::did_you_mean(pool, pools.iter().map(String::as_str))
                    .or(Some(format!("add `defaults.placement.{pool}` with its nodeSelector and tolerations"))),
            );
        }
    }
    if let Some(pc) = &svc.priority_class {
        if !catalog.priority_classes.contains_key(pc) {
            err(
                "/priorityClass",
                format!("service `{name}` uses priority class `{pc}`, which is not in `priorityClasses`"),
                suggest::did_you_mean(pc, catalog.priority_classes.keys().map(String::as_str)),
            );
        }
    }
}

/// Refuses a route prefix another service already has (`routes` maps each prefix to
/// its first service), and routes on a job.
pub(super) fn check_routes<'c>(
    name: &'c str,
    svc: &'c Service,
    routes: &mut BTreeMap<&'c str, &'c str>,
    err: &mut impl FnMut(&str, String, Option<String>),
) {
    for (i, r) in svc.routes.iter().enumerate() {
        if let Some(other) = routes.insert(r.prefix.as_str(), name) {
            err(
                &format!("/routes/{i}/prefix"),
                format!(
                    "route `{}` of `{name}` is also a route of `{other}`",
                    r.prefix
                ),
                None,
            );
        }
    }
    if (svc.gateway || !svc.routes.is_empty()) && !svc.kind.is_long_lived() {
        err("/routes", format!("job `{name}` cannot serve routes"), None);
    }
}

fn stage_index(catalog: &Catalog, stage: &str) -> Option<usize> {
    catalog.stages.iter().position(|s| s == stage)
}

/// Whether turning on `flag` (or "always on" for `None`) guarantees that `needed` is on.
fn flag_implies(catalog: &Catalog, flag: Option<&str>, needed: &str) -> bool {
    let Some(flag) = flag else { return false };
    let mut seen = BTreeSet::new();
    let mut todo = vec![flag.to_string()];
    while let Some(f) = todo.pop() {
        if f == needed {
            return true;
        }
        if seen.insert(f.clone()) {
            if let Some(def) = catalog.flags.get(&f) {
                todo.extend(def.requires.iter().cloned());
            }
        }
    }
    false
}

/// Refuses two ports with one name or number, and a port name that nothing defines.
pub(super) fn check_ports(
    name: &str,
    svc: &Service,
    err: &mut impl FnMut(&str, String, Option<String>),
) {
    let mut names = BTreeSet::new();
    let mut numbers = BTreeSet::new();
    for (i, p) in svc.ports.iter().enumerate() {
        if !names.insert(p.name.as_str()) {
            err(
                &format!("/ports/{i}/name"),
                format!("service `{name}` has two ports named `{}`", p.name),
                None,
            );
        }
        if !numbers.insert((p.port, p.protocol.as_str())) {
            err(
                &format!("/ports/{i}/port"),
                format!("service `{name}` has two ports numbered {}", p.port),
                None,
            );
        }
    }
    let port_names: Vec<&str> = svc.ports.iter().map(|p| p.name.as_str()).collect();
    let mut refer = |field: String, port: &str, what: &str| {
        if !port_names.contains(&port) {
            err(
                &field,
                format!("service `{name}` has no port `{port}` (used by {what})"),
                suggest::did_you_mean(port, port_names.iter().copied()),
            );
        }
    };
    if let Some(port) = svc.probes.as_ref().and_then(|p| p.port.as_ref()) {
        refer("/probes/port".into(), port, "its probes");
    }
    if let Some(m) = &svc.metrics_port {
        refer("/metricsPort".into(), m, "`metricsPort`");
    }
    if let Some(e) = &svc.endpoint {
        refer("/endpoint/port".into(), &e.port, "its endpoint");
    }
    for (i, r) in svc.routes.iter().enumerate() {
        refer(
            format!("/routes/{i}/port"),
            &r.port,
            &format!("route `{}`", r.prefix),
        );
    }
}

/// Refuses probes without what their kind needs, and a `path` on probes that are not
/// http.
pub(super) fn check_probes(
    name: &str,
    svc: &Service,
    err: &mut impl FnMut(&str, String, Option<String>),
) {
    let Some(p) = &svc.probes else { return };
    let missing = |what: &str| format!("`{}` probes of `{name}` need `{what}`", p.kind);
    match p.kind.as_str() {
        "http" => {
            if p.path.is_none() {
                err("/probes", missing("path"), None);
            }
            if p.port.is_none() {
                err("/probes", missing("port"), None);
            }
        }
        "tcp" | "grpc" => {
            if p.port.is_none() {
                err("/probes", missing("port"), None);
            }
        }
        _ => {
            if p.command.is_empty() {
                err("/probes", missing("command"), None);
            }
        }
    }
    if p.kind != "http" && (p.path.is_some() || p.liveness_path.is_some()) {
        err(
            "/probes",
            format!("`{}` probes of `{name}` take no `path`", p.kind),
            None,
        );
    }
}

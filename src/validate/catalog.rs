//! Checks of the platform catalog that a schema cannot express: references between
//! services, stages, flags, ports and pools, and start-up order.

use std::collections::{BTreeMap, BTreeSet};

use crate::diagnostic::{Code, Diagnostic};
use crate::model::{Catalog, Service, WorkloadKind};
use crate::parse::Document;
use crate::suggest;
use crate::yaml::node::escape_token;

use super::located;

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
        for (i, dep) in svc.depends_on.iter().enumerate() {
            let field = format!("/dependsOn/{i}");
            let Some(target) = catalog.services.get(dep) else {
                err(
                    &field,
                    format!("service `{name}` depends on `{dep}`, which is not a service in the catalog"),
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
        for (i, callee) in svc.calls.iter().enumerate() {
            let field = format!("/calls/{i}");
            match catalog.services.get(callee) {
                None => err(
                    &field,
                    format!(
                        "service `{name}` calls `{callee}`, which is not a service in the catalog"
                    ),
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
        check_ports(name, svc, &mut err);
        check_probes(name, svc, &mut err);
        if !svc.kind.is_long_lived() && svc.probes.is_some() {
            err(
                "/probes",
                format!("job `{name}` has probes; jobs run to completion and are not probed"),
                Some("remove `probes`".into()),
            );
        }
        if svc.kind.is_long_lived() && svc.probes.is_none() && !svc.ports.is_empty() {
            // Pushed after the loop: `err` holds `out` for the whole iteration.
            warnings.push(
                located(doc, &at(""), Diagnostic::warning(Code::NoProbes, format!("service `{name}` has no probes")))
                    .hint("without a readiness probe Kubernetes sends traffic before the service is ready; add `probes` (http, tcp, grpc or exec)"),
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
                format!(
                    "StatefulSet `{name}` needs a `dataPath` to mount its persistent volume at"
                ),
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
        if svc.gateway {
            gateways.push(name.as_str());
            if svc.ports.is_empty() {
                err("/gateway", format!("gateway `{name}` has no port"), None);
            }
        }
        for (i, r) in svc.routes.iter().enumerate() {
            if let Some(other) = routes.insert(r.prefix.as_str(), name.as_str()) {
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

fn check_ports(name: &str, svc: &Service, err: &mut impl FnMut(&str, String, Option<String>)) {
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

fn check_probes(name: &str, svc: &Service, err: &mut impl FnMut(&str, String, Option<String>)) {
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
mod tests {
    use super::*;
    use crate::diagnostic::Diagnostics;
    use crate::load::SourceFile;
    use crate::parse::parse_document;
    use crate::yaml::ReadOptions;

    /// Checks a catalog whose services are given as YAML under `services:`.
    fn problems(extra: &str) -> Vec<String> {
        let text = format!(
            "platform: p\nstages: [one, two]\nflags:\n  a: {{description: a}}\n  b: {{description: b, requires: [a]}}\n  c: {{description: c}}\ndefaults:\n  placement:\n    main: {{}}\n{extra}"
        );
        let file = SourceFile {
            path: "templates/catalog.yaml".into(),
            text,
        };
        let doc = parse_document(&file, &ReadOptions::default(), &mut Diagnostics::new()).unwrap();
        let catalog = Catalog::from_json(doc.root.to_json()).unwrap();
        check(&catalog, &doc)
            .into_iter()
            .filter(crate::diagnostic::Diagnostic::is_error)
            .map(|d| d.message)
            .collect()
    }

    #[test]
    fn a_service_with_ports_and_no_probes_is_a_warning() {
        let text = "platform: p\nstages: [one]\nservices:\n  api:\n    description: x\n    kind: Deployment\n    image: x\n    stage: one\n    ports: [{name: http, port: 80}]\n";
        let file = SourceFile {
            path: "templates/catalog.yaml".into(),
            text: text.into(),
        };
        let doc = parse_document(&file, &ReadOptions::default(), &mut Diagnostics::new()).unwrap();
        let catalog = Catalog::from_json(doc.root.to_json()).unwrap();
        let found: Vec<(Code, String)> = check(&catalog, &doc)
            .into_iter()
            .map(|d| (d.code, d.message))
            .collect();
        assert_eq!(
            found,
            vec![(Code::NoProbes, "service `api` has no probes".to_string())]
        );
    }

    fn svc(name: &str, rest: &str) -> String {
        format!(
            "  {name}:\n    description: x\n    kind: Deployment\n    image: x\n    ports: [{{name: http, port: 80}}]\n    probes: {{path: /h, port: http}}\n{rest}"
        )
    }

    #[test]
    fn a_valid_catalog_has_no_problems() {
        let s = format!(
            "services:\n{}{}",
            svc("db", "    stage: one\n"),
            svc("app", "    stage: two\n    dependsOn: [db]\n")
        );
        assert_eq!(problems(&s), Vec::<String>::new());
    }

    #[test]
    fn unknown_stage_flag_dependency_pool_and_priority_class() {
        let s = format!(
            "services:\n{}",
            svc("app", "    stage: tree\n    flag: d\n    dependsOn: [dbb]\n    pool: mian\n    priorityClass: high\n")
        );
        assert_eq!(
            problems(&s),
            vec![
                "service `app` names stage `tree`, which is not in `stages`",
                "service `app` is gated by flag `d`, which is not in `flags`",
                "service `app` depends on `dbb`, which is not a service in the catalog",
                "service `app` runs in pool `mian`, which `defaults.placement` does not define",
                "service `app` uses priority class `high`, which is not in `priorityClasses`",
            ]
        );
    }

    #[test]
    fn a_dependency_must_not_start_later() {
        let s = format!(
            "services:\n{}{}",
            svc("db", "    stage: two\n"),
            svc("app", "    stage: one\n    dependsOn: [db]\n")
        );
        assert_eq!(
            problems(&s),
            vec!["service `app` (stage `one`) depends on `db`, which starts later (stage `two`)"]
        );
    }

    #[test]
    fn a_dependency_behind_a_flag_needs_the_flag() {
        let s = format!(
            "services:\n{}{}{}{}",
            svc("db", "    stage: one\n    flag: a\n"),
            svc("always", "    stage: two\n    dependsOn: [db]\n"),
            svc(
                "gated",
                "    stage: two\n    flag: b\n    dependsOn: [db]\n"
            ),
            svc(
                "other",
                "    stage: two\n    flag: c\n    dependsOn: [db]\n"
            ),
        );
        assert_eq!(
            problems(&s),
            vec![
                "service `always` depends on `db`, which runs only when flag `a` is on",
                "service `other` depends on `db`, which runs only when flag `a` is on",
            ]
        );
    }

    #[test]
    fn cycles_are_reported() {
        let s = format!(
            "services:\n{}{}",
            svc("x", "    stage: one\n    dependsOn: [y]\n"),
            svc("y", "    stage: one\n    dependsOn: [x]\n")
        );
        assert_eq!(
            problems(&s),
            vec!["services depend on each other in a cycle: `x` → `y` → `x`"]
        );
    }

    #[test]
    fn ports_named_by_probes_routes_and_endpoints_must_exist() {
        let s = "services:\n  app:\n    description: x\n    kind: Deployment\n    image: x\n    stage: one\n    ports: [{name: http, port: 80}, {name: http, port: 81}]\n    probes: {path: /h, port: htp}\n    routes: [{prefix: /a, port: web}]\n    endpoint: {port: grpc}\n";
        assert_eq!(
            problems(s),
            vec![
                "service `app` has two ports named `http`",
                "service `app` has no port `htp` (used by its probes)",
                "service `app` has no port `grpc` (used by its endpoint)",
                "service `app` has no port `web` (used by route `/a`)",
            ]
        );
    }

    #[test]
    fn jobs_have_no_probes_and_serve_no_calls() {
        let s = format!(
            "services:\n  job:\n    description: x\n    kind: Job\n    image: x\n    stage: one\n    probes: {{path: /h, port: http}}\n    ports: [{{name: http, port: 80}}]\n{}",
            svc("app", "    stage: two\n    dependsOn: [job]\n")
        );
        assert_eq!(
            problems(&s),
            vec![
                "service `app` depends on `job`, a job, which serves no calls",
                "job `job` has probes; jobs run to completion and are not probed",
            ]
        );
    }

    #[test]
    fn unknown_required_flags() {
        let s = format!("services:\n{}", svc("app", "    stage: one\n")).replace(
            "flags:\n  a: {description: a}",
            "flags:\n  a: {description: a, requires: [zz]}",
        );
        let text = format!("platform: p\nstages: [one, two]\nflags:\n  a: {{description: a, requires: [bb]}}\n  b: {{description: b}}\ndefaults:\n  placement:\n    main: {{}}\n{s}");
        let file = SourceFile {
            path: "c.yaml".into(),
            text,
        };
        let doc = parse_document(&file, &ReadOptions::default(), &mut Diagnostics::new()).unwrap();
        let catalog = Catalog::from_json(doc.root.to_json()).unwrap();
        let messages: Vec<String> = check(&catalog, &doc)
            .into_iter()
            .map(|d| d.message)
            .collect();
        assert!(
            messages.contains(&"flag `a` requires `bb`, which is not a flag".to_string()),
            "{messages:?}"
        );
    }
}

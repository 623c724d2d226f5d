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

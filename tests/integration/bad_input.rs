//! Bad input, run through the real binary: each case exits 1 with the full message
//! (file, line and pointer where they apply), never panics, and leaves `out/` exactly
//! as the previous good build wrote it.

// A panic in a test is a failing test, so tests may unwrap, expect and index.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use crate::common;

use std::fs;
use std::time::{Duration, Instant};

use common::{kiln, minimal_workspace, read_tree, write_files};

/// Builds a good workspace, breaks it with `files` (and by removing `remove`), builds
/// again and checks the failure.
fn fails(files: &[(&str, &str)], remove: &[&str], expected_stderr: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path();
    minimal_workspace(ws);
    kiln(ws).arg("build").assert().success();
    let before = read_tree(&ws.join("out"));
    assert!(!before.is_empty());
    for path in remove {
        fs::remove_file(ws.join(path)).unwrap();
    }
    write_files(ws, files);
    let output = kiln(ws).arg("build").output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "stderr:\n{stderr}");
    assert_eq!(stderr, expected_stderr);
    assert!(!stderr.contains("panicked"));
    assert_eq!(read_tree(&ws.join("out")), before, "out/ changed");
}

#[test]
fn malformed_yaml() {
    fails(
        &[("tenants/acme.yaml", "environment: dev\nflags: [ontology\n")],
        &[],
        "error[K0202]: invalid yaml: while parsing a flow sequence, expected ',' or ']'
  --> tenants/acme.yaml:3:1

build failed: 1 error found
",
    );
}

#[test]
fn wrong_type() {
    fails(
        &[(
            "tenants/acme.yaml",
            "environment: dev\nservices:\n  trino:\n    replicas: three\n",
        )],
        &[],
        "error[K0301]: expected an integer, found the string `three`
  --> tenants/acme.yaml:4:15
  |
4 |     replicas: three
  |               ^^^^^
  = at: /services/trino/replicas

build failed: 1 error found
",
    );
}

#[test]
fn unknown_key_with_did_you_mean() {
    fails(
        &[(
            "tenants/acme.yaml",
            "environment: dev\nservices:\n  trino:\n    replica: 3\n",
        )],
        &[],
        "error[K0301]: unknown key `replica`
  --> tenants/acme.yaml:4:5
  |
4 |     replica: 3
  |     ^^^^^^^
  = at: /services/trino/replica
  = hint: did you mean `replicas`?

build failed: 1 error found
",
    );
}

#[test]
fn unknown_flag() {
    fails(
        &[(
            "tenants/acme.yaml",
            "environment: dev\nflags:\n  ontolgy: true\n",
        )],
        &[],
        "error[K0412]: unknown flag `ontolgy`
  --> tenants/acme.yaml:3:3
  |
3 |   ontolgy: true
  |   ^^^^^^^
  = at: /flags/ontolgy
  = hint: did you mean `ontology`?

build failed: 1 error found
",
    );
}

#[test]
fn missing_prerequisite() {
    fails(
        &[(
            "tenants/acme.yaml",
            "environment: dev\nflags:\n  governance: true\n",
        )],
        &[],
        "error[K0504]: flag `governance` requires flag `ontology`, which is off
  --> tenants/acme.yaml:3:15
  |
3 |   governance: true
  |               ^^^^
  = at: /flags/governance
  = note: tenant `acme`
  = hint: turn on `ontology` in `flags`, or turn off `governance`

build failed: 1 error found
",
    );
}

#[test]
fn override_of_a_service_that_does_not_exist() {
    fails(
        &[(
            "tenants/acme.yaml",
            "environment: dev\nservices:\n  trinno:\n    replicas: 2\n",
        )],
        &[],
        "error[K0413]: override of service `trinno`, which is not in the catalog
  --> tenants/acme.yaml:3:3
  |
3 |   trinno:
  |   ^^^^^^
  = at: /services/trinno
  = hint: did you mean `trino`?

build failed: 1 error found
",
    );
}

#[test]
fn invalid_tenant_names() {
    fails(
        &[("tenants/Acme Corp.yaml", "environment: dev\n"), ("tenants/ACME.yaml", "environment: dev\n")],
        &[],
        "error[K0410]: tenant name `ACME` (the file name) is not a valid DNS-1123 label: it contains `A`; only lower-case letters, digits and `-` are allowed
  --> tenants/ACME.yaml
  = note: the tenant's name is its namespace and a folder in the output
  = hint: rename the file to `tenants/acme.yaml`

error[K0410]: tenant name `Acme Corp` (the file name) is not a valid DNS-1123 label: it contains `A`; only lower-case letters, digits and `-` are allowed
  --> tenants/Acme Corp.yaml
  = note: the tenant's name is its namespace and a folder in the output
  = hint: rename the file to `tenants/acme-corp.yaml`

build failed: 2 errors found
",
    );
}

#[test]
fn over_long_names() {
    let long = "a".repeat(60);
    fails(
        &[
            (&format!("tenants/{long}.yaml"), "environment: dev\n"),
            (
                "tenants/acme.yaml",
                &format!("environment: dev\nextraNamespaces: [{}]\n", "b".repeat(59)),
            ),
        ],
        &[],
        &format!(
            "error[K0410]: tenant name `{long}` is 60 characters long, over the limit of 53
  --> tenants/{long}.yaml
  = hint: the name gets suffixes such as `-workloads` and must stay within 63 characters

error[K0505]: namespace `acme-{b}` is 64 characters long, over the limit of 63
  --> tenants/acme.yaml:2:19
  |
2 | extraNamespaces: [{b}]
  |                   {carets}
  = at: /extraNamespaces/0
  = hint: extra namespaces are named `<tenant>-<name>`; use a shorter name

build failed: 2 errors found
",
            b = "b".repeat(59),
            carets = "^".repeat(59)
        ),
    );
}

#[test]
fn tenant_files_that_could_escape_the_output() {
    fails(
        &[("tenants/...yaml", "environment: dev\n"), ("tenants/nested/x.yaml", "environment: dev\n")],
        &[],
        "error[K0410]: tenant name `..` (the file name) is not a valid DNS-1123 label: it contains `.`; only lower-case letters, digits and `-` are allowed
  --> tenants/...yaml
  = note: the tenant's name is its namespace and a folder in the output
  = hint: name the file `<name>.yaml` with a lower-case name of letters, digits and `-`

error[K0409]: tenant spec in a subfolder of `tenants/`
  --> tenants/nested/x.yaml
  = hint: kiln reads tenant specs directly in `tenants/`; move it to `tenants/x.yaml`

build failed: 2 errors found
",
    );
}

#[test]
fn yaml_alias_bomb_fails_fast() {
    let mut bomb = String::from(
        "environment: dev\nconfig:\n  a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n",
    );
    for i in 1..10 {
        let p = i - 1;
        bomb.push_str(&format!(
            "  a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
        ));
    }
    let start = Instant::now();
    fails(
        &[("tenants/acme.yaml", &bomb)],
        &[],
        "error[K0202]: yaml aliases expand to more than 10000 nodes
  --> tenants/acme.yaml:7:12
  |
7 |   a4: &a4 [*a3, *a3, *a3, *a3, *a3, *a3, *a3, *a3, *a3]
  |            ^
  = hint: this looks like an alias bomb; write the values out or use fewer aliases

build failed: 1 error found
",
    );
    assert!(
        start.elapsed() < Duration::from_secs(20),
        "took {:?}",
        start.elapsed()
    );
}

#[test]
fn file_over_the_size_limit() {
    let big = format!("environment: dev\n# {}\n", "x".repeat(1_100_000));
    fails(
        &[("tenants/acme.yaml", &big)],
        &[],
        "error[K0106]: file is 1100020 bytes, over the limit of 1048576 bytes
  --> tenants/acme.yaml
  = hint: kiln refuses very large inputs; split the file or remove generated content

build failed: 1 error found
",
    );
}

#[test]
fn duplicate_keys() {
    fails(
        &[(
            "tenants/acme.yaml",
            "environment: dev\nflags:\n  ontology: true\n  ontology: false\n",
        )],
        &[],
        "error[K0202]: duplicate key `ontology` (first defined at line 3)
  --> tenants/acme.yaml:4:3
  |
4 |   ontology: false
  |   ^^^^^^^^
  = at: /flags/ontology
  = hint: remove one of them; yaml does not allow a key twice in one mapping

build failed: 1 error found
",
    );
}

#[test]
fn plaintext_password() {
    fails(
        &[("tenants/acme.yaml", "environment: dev\nconfig:\n  warehouse:\n    password: hunter2\n")],
        &[],
        "error[K0423]: plaintext credential in `password`
  --> tenants/acme.yaml:4:15
  |
4 |     password: ***
  |               ^^^
  = at: /config/warehouse/password
  = hint: never put a credential in an input; keep it in the secret store and reference it: `credentials: {<name>: {key: <remote key>, property: <field>}}` (kiln emits an ExternalSecret)

build failed: 1 error found
",
    );
}

#[test]
fn plaintext_password_in_an_environment_variable() {
    fails(
        &[(
            "tenants/acme.yaml",
            "environment: dev\nservices:\n  trino:\n    env:\n      - name: DB_PASSWORD\n        value: hunter2\n",
        )],
        &[],
        "error[K0423]: plaintext credential in environment variable `DB_PASSWORD`
  --> tenants/acme.yaml:6:16
  |
6 |         value: ***
  |                ^^^
  = at: /services/trino/env/0/value
  = hint: never put a credential in an input; use `valueFrom: {secretKeyRef: {name: <secret>, key: <key>}}`, or declare it in the catalog's `credentials` so kiln emits an ExternalSecret

build failed: 1 error found
",
    );
}

#[test]
fn empty_tenants_folder() {
    fails(
        &[],
        &["tenants/acme.yaml"],
        "error[K0405]: the workspace has no tenants
  --> tenants/
  = hint: add a tenant spec, e.g. `tenants/acme.yaml` holding `environment: dev`, or a pipeline in `blueprints/<name>/blueprint.json`

build failed: 1 error found
",
    );
}

#[test]
fn unknown_environment() {
    fails(
        &[("tenants/acme.yaml", "environment: qa\n")],
        &[],
        "error[K0411]: unknown environment `qa`
  --> tenants/acme.yaml:1:1
  |
1 | environment: qa
  | ^^^^^^^^^^^
  = at: /environment
  = hint: the environments in kiln.yaml are `dev`, `prod`

build failed: 1 error found
",
    );
}

#[test]
fn ambiguous_yaml11_scalar() {
    fails(
        &[("tenants/acme.yaml", "environment: dev\nconfig:\n  mode: 0755\n")],
        &[],
        "error[K0202]: `0755` is the octal number 493 in YAML 1.1, which Kubernetes reads, but a decimal number in YAML 1.2
  --> tenants/acme.yaml:3:9
  |
3 |   mode: 0755
  |         ^^^^
  = at: /config/mode
  = hint: quote it (`\"0755\"`) for a string, or write `493`

build failed: 1 error found
",
    );
}

#[test]
fn every_problem_is_reported_in_one_run() {
    fails(
        &[
            (
                "tenants/acme.yaml",
                "environment: dev\nflags:\n  ontolgy: true\n",
            ),
            (
                "tenants/globex.yaml",
                "environment: dev\nservices:\n  trino:\n    replica: 3\n",
            ),
        ],
        &[],
        "error[K0412]: unknown flag `ontolgy`
  --> tenants/acme.yaml:3:3
  |
3 |   ontolgy: true
  |   ^^^^^^^
  = at: /flags/ontolgy
  = hint: did you mean `ontology`?

error[K0301]: unknown key `replica`
  --> tenants/globex.yaml:4:5
  |
4 |     replica: 3
  |     ^^^^^^^
  = at: /services/trino/replica
  = hint: did you mean `replicas`?

build failed: 2 errors found
",
    );
}

#[test]
fn json_format_puts_diagnostics_on_stdout() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path();
    minimal_workspace(ws);
    write_files(
        ws,
        &[(
            "tenants/acme.yaml",
            "environment: dev\nflags:\n  ontolgy: true\n",
        )],
    );
    let output = kiln(ws)
        .args(["--format", "json", "check"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stderr.is_empty());
    let v: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(v["ok"], false);
    assert_eq!(v["errors"], 1);
    assert_eq!(
        v["diagnostics"][0],
        serde_json::json!({
            "severity": "error",
            "code": "K0412",
            "file": "tenants/acme.yaml",
            "line": 3,
            "column": 3,
            "pointer": "/flags/ontolgy",
            "message": "unknown flag `ontolgy`",
            "hint": "did you mean `ontology`?",
        })
    );
}

#[test]
fn not_a_workspace() {
    let tmp = tempfile::tempdir().unwrap();
    let output = kiln(tmp.path()).arg("check").output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "error[K0101]: no `kiln.yaml` in this directory, so it is not a kiln workspace
  --> kiln.yaml
  = hint: run kiln in a workspace, or pass one: `kiln build --workspace <dir>`; `docs/workspace.md` describes the format

check failed: 1 error found
"
    );
}

#[test]
fn a_missing_workspace_is_a_failure_of_kiln() {
    let output = kiln(std::path::Path::new("/nonexistent/kiln-workspace"))
        .arg("check")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr)
        .starts_with("error: cannot open workspace `/nonexistent/kiln-workspace`"));
}

#[test]
fn a_value_the_service_kind_would_ignore() {
    fails(
        &[(
            "tenants/acme.yaml",
            "environment: dev\nservices:\n  trino:\n    schedule: \"0 3 * * *\"\n",
        )],
        &[],
        "error[K0415]: `schedule` applies to CronJobs, and `trino` is a Deployment
  --> tenants/acme.yaml:4:5
  |
4 |     schedule: \"0 3 * * *\"
  |     ^^^^^^^^
  = at: /services/trino/schedule
  = hint: remove it; kiln would ignore it

build failed: 1 error found
",
    );
}

#[test]
fn a_kubernetes_version_without_schemas() {
    fails(
        &[(
            "kiln.yaml",
            "kubernetesVersion: \"1.27\"\nrepoURL: https://git.example.com/rendered.git\nenvironments:\n  dev: {}\n  prod: {}\n",
        )],
        &[],
        "error[K0406]: kiln has no Kubernetes schemas for version `1.27`, so it cannot validate its output
  --> kiln.yaml:1:1
  |
1 | kubernetesVersion: \"1.27\"
  | ^^^^^^^^^^^^^^^^^
  = at: /kubernetesVersion
  = hint: kiln validates against `1.29`, `1.30`, `1.31`, `1.32`, `1.33`; docs/validation.md says how to add a version

build failed: 1 error found
",
    );
}

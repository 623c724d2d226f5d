//! Inputs mean what they say, through the real binary: control characters are refused
//! (and shown escaped in messages), so are numbers JSON cannot hold (NaN, infinities,
//! integers beyond 64 bits), and a byte order mark at the start of a file is accepted.
//! Each failing case exits 1 with the full message and leaves `out/` as it was.

// A panic in a test is a failing test, so tests may unwrap, expect and index.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use crate::common;

use std::fs;
use std::path::Path;

use common::{kiln, minimal_workspace, read_tree, write_files};

/// Builds `ws`, breaks it with `files`, builds again and checks the failure.
fn fails_in(ws: &Path, files: &[(&str, &[u8])], expected_stderr: &str) {
    kiln(ws).arg("build").assert().success();
    let before = read_tree(&ws.join("out"));
    assert!(!before.is_empty());
    for (path, bytes) in files {
        fs::write(ws.join(path), bytes).unwrap();
    }
    let output = kiln(ws).arg("build").output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "stderr:\n{stderr}");
    assert_eq!(stderr, expected_stderr);
    assert_eq!(read_tree(&ws.join("out")), before, "out/ changed");
}

/// [`fails_in`] on the minimal workspace.
fn fails(files: &[(&str, &[u8])], expected_stderr: &str) {
    let tmp = tempfile::tempdir().unwrap();
    minimal_workspace(tmp.path());
    fails_in(tmp.path(), files, expected_stderr);
}

#[test]
fn a_nul_byte_is_refused_where_it_stands() {
    // The quoted source line is the file's as it is (the NUL included); the message
    // shows the character escaped.
    fails(
        &[(
            "tenants/acme.yaml",
            b"environment: dev\ndescription: \"Acme\0Corp\"\n",
        )],
        "error[K0201]: unexpected control character `\\u{0}`
  --> tenants/acme.yaml:2:19
  |
2 | description: \"Acme\\u{0}Corp\"
  |                   ^^^^^
  = hint: remove it: tab, line feed and carriage return are the only control characters kiln reads

build failed: 1 error found
",
    );
}

#[test]
fn control_characters_written_as_escapes_are_refused() {
    fails(
        &[(
            "tenants/acme.yaml",
            b"environment: dev\nconfig:\n  \"\\e[2J\": x\n  bell: \"ding\\a\"\n  tab: \"a\\tb\"\n",
        )],
        "error[K0202]: control character `\\u{1b}` in a key
  --> tenants/acme.yaml:3:3
  |
3 |   \"\\e[2J\": x
  |   ^^^^^^^
  = at: /config/\\u{1b}[2J
  = hint: remove the escape that writes it: tab, line feed and carriage return are the only control characters kiln reads

error[K0202]: control character `\\u{7}` in a string
  --> tenants/acme.yaml:4:9
  |
4 |   bell: \"ding\\a\"
  |         ^^^^^^^^
  = at: /config/bell
  = hint: remove the escape that writes it: tab, line feed and carriage return are the only control characters kiln reads

build failed: 2 errors found
",
    );
}

#[test]
fn nan_and_infinity_are_refused_where_a_number_or_a_boolean_is_expected() {
    // Read as null they would mean "remove": one replica, and an Ingress.
    fails(
        &[(
            "tenants/acme.yaml",
            b"environment: dev\nservices:\n  trino:\n    replicas: .nan\ningress:\n  enabled: .NaN\n  tls:\n    enabled: -.inf\nsecurity:\n  runAsUser: +.INF\n",
        )],
        "error[K0202]: `.nan` is not a number kiln can use: its values are JSON, which has no NaN
  --> tenants/acme.yaml:4:15
  |
4 |     replicas: .nan
  |               ^^^^
  = at: /services/trino/replicas
  = hint: write a finite number, or quote it (`\".nan\"`) for a string

error[K0202]: `.NaN` is not a number kiln can use: its values are JSON, which has no NaN
  --> tenants/acme.yaml:6:12
  |
6 |   enabled: .NaN
  |            ^^^^
  = at: /ingress/enabled
  = hint: write a finite number, or quote it (`\".NaN\"`) for a string

error[K0202]: `-.inf` is not a number kiln can use: its values are JSON, which has no infinity
  --> tenants/acme.yaml:8:14
  |
8 |     enabled: -.inf
  |              ^^^^^
  = at: /ingress/tls/enabled
  = hint: write a finite number, or quote it (`\"-.inf\"`) for a string

error[K0202]: `+.INF` is not a number kiln can use: its values are JSON, which has no infinity
   --> tenants/acme.yaml:10:14
   |
10 |   runAsUser: +.INF
   |              ^^^^^
   = at: /security/runAsUser
   = hint: write a finite number, or quote it (`\"+.INF\"`) for a string

build failed: 4 errors found
",
    );
}

#[test]
fn numbers_beyond_what_json_holds_are_refused() {
    fails(
        &[(
            "tenants/acme.yaml",
            b"environment: dev\nservices:\n  trino:\n    replicas: 18446744073709551617\nsecurity:\n  runAsUser: 1e999\n",
        )],
        "error[K0202]: `18446744073709551617` is out of range for an integer (-9223372036854775808 to 9223372036854775807)
  --> tenants/acme.yaml:4:15
  |
4 |     replicas: 18446744073709551617
  |               ^^^^^^^^^^^^^^^^^^^^
  = at: /services/trino/replicas
  = hint: quote it (`\"18446744073709551617\"`) for a string

error[K0202]: `1e999` is too large for a number (the largest is about 1.8e308)
  --> tenants/acme.yaml:6:14
  |
6 |   runAsUser: 1e999
  |              ^^^^^
  = at: /security/runAsUser
  = hint: quote it (`\"1e999\"`) for a string

build failed: 2 errors found
",
    );
}

#[test]
fn a_control_character_in_a_template_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    minimal_workspace(tmp.path());
    let template = "kiln:templates/objects/tenant/ingress.yaml.j2";
    let own = common::repo().join(template.trim_start_matches("kiln:"));
    let text = fs::read_to_string(own).unwrap();
    fs::create_dir_all(tmp.path().join("templates/objects/tenant")).unwrap();
    fails_in(
        tmp.path(),
        &[(
            "templates/objects/tenant/ingress.yaml.j2",
            format!("{{# \u{1b}[2J #}}\n{text}").as_bytes(),
        )],
        "error[K0201]: unexpected control character `\\u{1b}`
  --> templates/objects/tenant/ingress.yaml.j2:1:4
  |
1 | {# \\u{1b}[2J #}
  |    ^^^^^^
  = hint: remove it: tab, line feed and carriage return are the only control characters kiln reads

build failed: 1 error found
",
    );
}

#[test]
fn a_byte_order_mark_starts_a_file_like_nothing() {
    let plain = tempfile::tempdir().unwrap();
    minimal_workspace(plain.path());
    kiln(plain.path()).arg("build").assert().success();
    let with_bom = tempfile::tempdir().unwrap();
    minimal_workspace(with_bom.path());
    for file in ["kiln.yaml", "tenants/acme.yaml"] {
        let path = with_bom.path().join(file);
        let text = fs::read_to_string(&path).unwrap();
        fs::write(&path, format!("\u{feff}{text}")).unwrap();
    }
    kiln(with_bom.path()).arg("build").assert().success();
    assert_eq!(
        read_tree(&with_bom.path().join("out")),
        read_tree(&plain.path().join("out"))
    );
    // Columns count from after the mark, as editors show them.
    fails_in(
        with_bom.path(),
        &[(
            "tenants/acme.yaml",
            "\u{feff}environment: dev\nflags: {ontolgy: true}\n".as_bytes(),
        )],
        "error[K0412]: unknown flag `ontolgy`
  --> tenants/acme.yaml:2:9
  |
2 | flags: {ontolgy: true}
  |         ^^^^^^^
  = at: /flags/ontolgy
  = hint: did you mean `ontology`?

build failed: 1 error found
",
    );
}

#[test]
fn a_byte_order_mark_inside_a_file_is_refused() {
    fails(
        &[(
            "tenants/acme.yaml",
            "environment: dev\n\u{feff}flags: {}\n".as_bytes(),
        )],
        "error[K0201]: unexpected byte order mark `\\u{feff}`
  --> tenants/acme.yaml:2:1
  |
2 | \\u{feff}flags: {}
  | ^^^^^^^^
  = hint: a byte order mark may only start the file: remove this one

build failed: 1 error found
",
    );
}

const KILN_YAML: &str = "kubernetesVersion: \"1.31\"\nrepoURL: https://git.example.com/rendered.git\nenvironments:\n  dev: {}\n";

const BLUEPRINT: &str = r#"{"name": "demo", "version": "1", "nodes": [
  {"container_name": "model", "node_type": "MLModel", "image": "r.example.com/model:1", "operation_signature_list": [
    {"operation_signature": {"operation_name": "predict"}, "connected_to": []}]}
]}
"#;

/// A workspace with one pipeline, `blueprint` its blueprint.json.
fn pipeline_workspace(blueprint: &str) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    write_files(
        tmp.path(),
        &[
            ("kiln.yaml", KILN_YAML),
            ("blueprints/p/blueprint.json", blueprint),
            (
                "blueprints/p/microservice/model.proto",
                "syntax = \"proto3\";\nmessage Empty {}\n",
            ),
        ],
    );
    tmp
}

#[test]
fn a_blueprint_with_a_byte_order_mark_is_read() {
    let plain = pipeline_workspace(BLUEPRINT);
    kiln(plain.path()).arg("build").assert().success();
    let with_bom = pipeline_workspace(&format!("\u{feff}{BLUEPRINT}"));
    kiln(with_bom.path()).arg("build").assert().success();
    assert_eq!(
        read_tree(&with_bom.path().join("out")),
        read_tree(&plain.path().join("out"))
    );
}

#[test]
fn a_nul_in_a_blueprint_is_refused_raw_or_escaped() {
    let tmp = pipeline_workspace(BLUEPRINT);
    fails_in(
        tmp.path(),
        &[(
            "blueprints/p/blueprint.json",
            BLUEPRINT.replace("\"demo\"", "\"de\0mo\"").as_bytes(),
        )],
        "error[K0201]: unexpected control character `\\u{0}`
  --> blueprints/p/blueprint.json:1:13
  |
1 | {\"name\": \"de\\u{0}mo\", \"version\": \"1\", \"nodes\": [
  |             ^^^^^
  = hint: remove it: tab, line feed and carriage return are the only control characters kiln reads

build failed: 1 error found
",
    );
    let tmp = pipeline_workspace(BLUEPRINT);
    fails_in(
        tmp.path(),
        &[(
            "blueprints/p/blueprint.json",
            BLUEPRINT.replace("\"demo\"", "\"de\\u0000mo\"").as_bytes(),
        )],
        "error[K0202]: control character `\\u{0}` in a string
  --> blueprints/p/blueprint.json:1:10
  |
1 | {\"name\": \"de\\u0000mo\", \"version\": \"1\", \"nodes\": [
  |          ^^^^^^^^^^^^
  = at: /name
  = hint: remove the escape that writes it: tab, line feed and carriage return are the only control characters kiln reads

build failed: 1 error found
",
    );
}

//! No secret value in any stream: credentials planted in every input kind are refused
//! with located errors, and searched for in every stream of every command (stderr,
//! stdout, `--format json`, `explain`, `diff` in every format) and in `out/`.

// A panic in a test is a failing test, so tests may unwrap, expect and index.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use crate::common;

use std::fs;
use std::path::Path;
use std::process::Output;

use common::{copy_dir, git, kiln, read_tree, repo, write_files};

/// Every planted value contains this word (checked case-insensitively).
const MARK: &str = "planted";

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn assert_clean(what: &str, s: &str) {
    assert!(
        !s.to_lowercase().contains(MARK),
        "{what} shows a planted secret:\n{s}"
    );
}

fn append(ws: &Path, path: &str, extra: &str) {
    let p = ws.join(path);
    let mut s = fs::read_to_string(&p).unwrap();
    s.push_str(extra);
    fs::write(p, s).unwrap();
}

/// The root workspace, built and committed, in `dir/ws`.
fn workspace(dir: &Path) -> std::path::PathBuf {
    let ws = dir.join("ws");
    copy_dir(&repo(), &ws);
    kiln(&ws).arg("build").assert().success();
    git(&ws, &["init", "-q"]);
    git(&ws, &["add", "-A"]);
    git(&ws, &["commit", "-q", "-m", "base"]);
    ws
}

#[test]
fn planted_credentials_are_refused_everywhere_and_shown_nowhere() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = workspace(tmp.path());
    let out_before = read_tree(&ws.join("out"));

    write_files(
        &ws,
        &[(
            "tenants/acme.yaml",
            "environment: prod
config:
  warehouse:
    password: Planted1pw
  mirrors:
    password: [\"Planted2a\", 4242]
  reporting:
    dbPassword: {value: Planted3}
  notes: \"ghp_Planted5abcdefghijklmnop\"
  header: \"Authorization: Bearer Planted6abcdefgh\"
  signing: |
    -----BEGIN PRIVATE KEY-----
    MIIPlanted7key
    -----END PRIVATE KEY-----
services:
  trino:
    env:
      - name: DATABASE_URL
        value: postgres://app:Planted4@db/x
      - name: SMTP_PASSWORD
        value: \"Planted8: not yaml\"
",
        )],
    );
    let kiln_yaml = fs::read_to_string(ws.join("kiln.yaml")).unwrap().replace(
        "https://git.example.com/platform/rendered.git",
        "https://ci:Planted9token@git.example.com/platform/rendered.git",
    );
    fs::write(ws.join("kiln.yaml"), kiln_yaml).unwrap();
    let catalog = fs::read_to_string(ws.join("templates/catalog.yaml"))
        .unwrap()
        .replace(
            "    llmModel: gpt-4o-mini\n",
            "    llmModel: gpt-4o-mini\n    llmApiKey: sk-Planted10abcdefghijklmnopqrstu\n",
        );
    fs::write(ws.join("templates/catalog.yaml"), catalog).unwrap();
    append(
        &ws,
        "templates/environments/dev.yaml",
        "config:\n  webhookToken: Planted11\n",
    );
    append(
        &ws,
        "blueprints/news-training/pipeline.yaml",
        "starter:\n  image: \"https://bot:Planted12@registry.example.com/starter:1\"\n",
    );
    let blueprint = fs::read_to_string(ws.join("blueprints/fraud-scorer/blueprint.json"))
        .unwrap()
        .replacen('{', "{\"token\": \"Planted13\",", 1);
    fs::write(ws.join("blueprints/fraud-scorer/blueprint.json"), blueprint).unwrap();

    git(tmp.path(), &["init", "-q", "--bare", "rendered.git"]);
    let rendered = tmp
        .path()
        .join("rendered.git")
        .to_string_lossy()
        .to_string();
    let runs: Vec<(&str, Vec<&str>)> = vec![
        ("check", vec!["check"]),
        ("build", vec!["build"]),
        ("build --check", vec!["build", "--check"]),
        ("check --format json", vec!["--format", "json", "check"]),
        ("build --format json", vec!["--format", "json", "build"]),
        ("explain", vec!["explain", "acme"]),
        (
            "explain a value",
            vec!["explain", "acme", "/config/warehouse/password"],
        ),
        ("explain json", vec!["--format", "json", "explain", "acme"]),
        ("diff", vec!["diff", "--base", "HEAD"]),
        (
            "diff markdown",
            vec!["--format", "markdown", "diff", "--base", "HEAD"],
        ),
        (
            "diff json",
            vec!["--format", "json", "diff", "--base", "HEAD"],
        ),
        (
            "publish",
            vec!["publish", "--repo", &rendered, "--branch", "main"],
        ),
        (
            "publish json",
            vec![
                "--format", "json", "publish", "--repo", &rendered, "--branch", "main",
            ],
        ),
    ];
    let mut all = String::new();
    for (what, args) in runs {
        let o = kiln(&ws).args(&args).output().unwrap();
        let t = text(&o);
        assert_eq!(o.status.code(), Some(1), "{what}:\n{t}");
        assert!(!t.contains("panicked"), "{what}:\n{t}");
        assert_clean(what, &t);
        all.push_str(&t);
    }
    // Every plant is found, in its own file, at its own place.
    let check = text(&kiln(&ws).arg("check").output().unwrap());
    for place in [
        "tenants/acme.yaml:4:15",
        "tenants/acme.yaml:6:16",
        "tenants/acme.yaml:6:29",
        "tenants/acme.yaml:8:25",
        "tenants/acme.yaml:9:10",
        "tenants/acme.yaml:10:11",
        "tenants/acme.yaml:12:5",
        "tenants/acme.yaml:19:16",
        "tenants/acme.yaml:21:16",
        "kiln.yaml:",
        "templates/catalog.yaml:",
        "templates/environments/dev.yaml:",
        "blueprints/news-training/pipeline.yaml:",
        "blueprints/fraud-scorer/blueprint.json:",
    ] {
        assert!(
            check.contains(&format!("--> {place}")),
            "{place} not reported:\n{check}"
        );
    }
    assert!(
        check.contains("a password in a URL (`postgres://app:***@db/x`)"),
        "{check}"
    );
    assert!(check.contains("an access token (`ghp_***`)"), "{check}");
    assert!(
        check.contains("an authorization header (`Authorization: Bearer ***`)"),
        "{check}"
    );
    assert!(check.contains("a private key"), "{check}");
    assert!(check.contains("git credential helper"), "{check}");

    assert_eq!(read_tree(&ws.join("out")), out_before, "out/ changed");
    for (path, bytes) in read_tree(&ws.join("out")) {
        assert_clean(&path, &String::from_utf8_lossy(&bytes));
    }
}

/// A template that writes a credential is refused at the template line, and the line
/// is not shown with the value.
#[test]
fn a_template_cannot_write_a_credential() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path();
    common::minimal_workspace(ws);
    write_files(
        ws,
        &[(
            "templates/objects/tenant/leak.yaml.j2",
            "apiVersion: v1
kind: ConfigMap
metadata:
  name: leak
  namespace: {{ tenant.namespace }}
data:
  app.properties: |
    user=app
    password=Planted1
  url: postgres://app:Planted2@db/x
",
        )],
    );
    let o = kiln(ws).arg("build").output().unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert_clean("build", &stderr);
    assert_eq!(
        stderr,
        "error[K0710]: plaintext credential in `password` in ConfigMap entry `app.properties`
  --> templates/objects/tenant/leak.yaml.j2:7:3
  |
7 |   app.properties: ***
  |                   ^^^
  = at: /data/app.properties
  = note: ConfigMap `leak` → tenants/acme/workloads/acme/configmap_leak.yaml
  = note: rendered for tenant `acme` (tenants/acme.yaml)
  = hint: a template must not write a credential: declare it in the catalog's `credentials` so kiln emits an ExternalSecret, and read it from the Secret (`valueFrom.secretKeyRef`, or `$(VAR)` in a value)

error[K0710]: plaintext credential in `url`: a password in a URL (`postgres://app:***@db/x`)
   --> templates/objects/tenant/leak.yaml.j2:10:3
   |
10 |   url: ***
   |        ^^^
   = at: /data/url
   = note: ConfigMap `leak` → tenants/acme/workloads/acme/configmap_leak.yaml
   = note: rendered for tenant `acme` (tenants/acme.yaml)
   = hint: a template must not write a credential: declare it in the catalog's `credentials` so kiln emits an ExternalSecret, and read it from the Secret (`valueFrom.secretKeyRef`, or `$(VAR)` in a value)

build failed: 2 errors found
"
    );
    assert!(!ws.join("out").exists());
}

/// `kiln diff` masks both trees, whatever the value's type and place, and a masked
/// change always shows as a change.
#[test]
fn diff_masks_the_base_tree_in_every_format() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = workspace(tmp.path());
    let base = tmp.path().join("base");
    copy_dir(&ws.join("out"), &base);
    write_files(
        &base,
        &[
            (
                "tenants/acme/workloads/acme/list_leftovers.yaml",
                "apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: Secret
    metadata: {name: old-db, namespace: acme}
    stringData:
      pin: 4242
      nested: {password: Planted1}
",
            ),
            (
                "tenants/acme/workloads/acme/configmap_old.yaml",
                "apiVersion: v1
kind: ConfigMap
metadata:
  name: old
  namespace: acme
  annotations:
    source: https://bot:Planted2@git.example.com/x.git
data:
  settings.json: '{\"db\": {\"password\": 31337, \"token\": \"Planted3\"}}'
  app.properties: \"password=Planted4\\nmode=fast\\n\"
  DATABASE_URL: postgres://app:Planted5@db/x
",
            ),
        ],
    );
    for format in ["text", "markdown", "json"] {
        let o = kiln(&ws)
            .args(["--format", format, "diff", "--against"])
            .arg(&base)
            .output()
            .unwrap();
        let t = text(&o);
        assert_eq!(o.status.code(), Some(0), "{format}:\n{t}");
        assert_clean(format, &t);
        assert!(
            !t.contains("4242") && !t.contains("31337"),
            "{format}:\n{t}"
        );
        assert!(t.contains("<masked>"), "{format}:\n{t}");
    }
    let o = kiln(&ws)
        .args(["diff", "--against"])
        .arg(&base)
        .output()
        .unwrap();
    let t = text(&o);
    assert!(t.contains("postgres://app:<masked>@db/x"), "{t}");
    assert!(t.contains("password=<masked>"), "{t}");
}

/// Fails a build of the minimal workspace after writing `files`, checking the whole
/// stderr.
fn refused(files: &[(&str, &str)], expected: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path();
    common::minimal_workspace(ws);
    write_files(ws, files);
    let o = kiln(ws).arg("build").output().unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr, expected);
    assert!(!ws.join("out").exists());
}

#[test]
fn a_tenant_reads_only_its_own_keys() {
    refused(
        &[(
            "tenants/acme.yaml",
            "environment: dev\ncredentials:\n  postgres: {key: dataplane/globex/postgres}\n",
        )],
        "error[K0503]: remote key `dataplane/globex/postgres` is outside tenant `acme`'s keys, `dataplane/acme/*`, `shared/llm/*`
  --> tenants/acme.yaml:3:19
  |
3 |   postgres: {key: dataplane/globex/postgres}
  |                   ^^^^^^^^^^^^^^^^^^^^^^^^^
  = at: /credentials/postgres/key
  = hint: a tenant reads only its own secrets: use a key under `dataplane/acme/`

build failed: 1 error found
",
    );
}

#[test]
fn a_tenant_cannot_set_the_secret_store() {
    refused(
        &[(
            "tenants/acme.yaml",
            "environment: dev\noverrides:\n  dev:\n    secretStore: {prefix: dataplane/globex}\n",
        )],
        "error[K0502]: a tenant cannot set `secretStore`
  --> tenants/acme.yaml:4:5
  |
4 |     secretStore: {prefix: dataplane/globex}
  |     ^^^^^^^^^^^
  = at: /overrides/dev/secretStore
  = note: tenant `acme`
  = hint: the secret store is the platform's: it is set in the catalog's `defaults` or an environment overlay, and reads only the tenant's own keys

build failed: 1 error found
",
    );
}

#[test]
fn a_tenant_cannot_remove_the_secret_store() {
    refused(
        &[("tenants/acme.yaml", "environment: dev\nsecretStore: null\n")],
        "error[K0502]: a tenant cannot set `secretStore`
  --> tenants/acme.yaml:2:1
  |
2 | secretStore: null
  | ^^^^^^^^^^^
  = at: /secretStore
  = note: tenant `acme`
  = hint: the secret store is the platform's: it is set in the catalog's `defaults` or an environment overlay, and reads only the tenant's own keys

build failed: 1 error found
",
    );
}

/// A template may not point a tenant's ExternalSecret at a cluster-wide store, another
/// tenant's keys, or a search of the store.
#[test]
fn a_template_cannot_widen_a_tenants_secrets() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path();
    common::minimal_workspace(ws);
    write_files(
        ws,
        &[(
            "templates/objects/tenant/wide.yaml.j2",
            "apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata:
  name: wide
  namespace: {{ tenant.namespace }}
spec:
  secretStoreRef: {name: platform-vault, kind: ClusterSecretStore}
  target: {name: wide}
  data:
    - secretKey: A
      remoteRef: {key: dataplane/acme/../globex/postgres}
  dataFrom:
    - find: {name: {regexp: \".*\"}}
",
        )],
    );
    let o = kiln(ws).arg("build").output().unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    for message in [
        "error[K0711]: ExternalSecret `wide` of tenant `acme` reads through a ClusterSecretStore\n",
        "error[K0711]: ExternalSecret `wide` of tenant `acme` searches the secret store\n",
        "error[K0711]: remote key `dataplane/acme/../globex/postgres` is outside tenant `acme`'s keys, `dataplane/acme/*`, `shared/llm/*`\n",
    ] {
        assert!(stderr.contains(message), "{message}\n{stderr}");
    }
    assert!(
        stderr.ends_with("build failed: 3 errors found\n"),
        "{stderr}"
    );
}

/// A line that does not parse is quoted with its credentials hidden; prose that merely
/// mentions an authorization scheme is not a credential.
#[test]
fn lines_that_do_not_parse_are_hidden_and_prose_is_not_a_credential() {
    refused(
        &[(
            "tenants/acme.yaml",
            "environment: dev\nconfig:\n  db: {user: app, password: \"Planted1\n",
        )],
        "error[K0202]: invalid yaml: while scanning a quoted scalar, found unexpected end of stream
  --> tenants/acme.yaml:3:29
  |
3 |   db: {user: app, password: \"***
  |                             ^

build failed: 1 error found
",
    );
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path();
    common::minimal_workspace(ws);
    write_files(
        ws,
        &[(
            "tenants/acme.yaml",
            "environment: dev\ndescription: uses basic authentication and token rotation\nflags:\n  ontology: true\n",
        )],
    );
    kiln(ws).arg("check").assert().success();
}

/// A credential that another check quotes (a number where a string belongs, a
/// quantity that does not parse) is hidden in that message and its line too.
#[test]
fn a_credential_quoted_by_another_check_is_hidden_there_too() {
    refused(
        &[(
            "tenants/acme.yaml",
            "environment: dev\nservices:\n  trino:\n    env:\n      - name: DB_PASSWORD\n        value: 987654\n  text-to-sql:\n    resources: {limits: {password: hunter2}}\n",
        )],
        "error[K0301]: expected a string, found the number `***`
  --> tenants/acme.yaml:6:16
  |
6 |         value: ***
  |                ^^^
  = at: /services/trino/env/0/value
  = hint: quote it to keep it a string: `\"***\"`

error[K0423]: plaintext credential in environment variable `DB_PASSWORD`
  --> tenants/acme.yaml:6:16
  |
6 |         value: ***
  |                ^^^
  = at: /services/trino/env/0/value
  = hint: never put a credential in an input; use `valueFrom: {secretKeyRef: {name: <secret>, key: <key>}}`, or declare it in the catalog's `credentials` so kiln emits an ExternalSecret

error[K0423]: plaintext credential in `password`
  --> tenants/acme.yaml:8:36
  |
8 |     resources: ***
  |                ^^^
  = at: /services/text-to-sql/resources/limits/password
  = hint: never put a credential in an input; keep it in the secret store and reference it: `credentials: {<name>: {key: <remote key>, property: <field>}}` (kiln emits an ExternalSecret)

error[K0301]: the string `***` does not match the required pattern `^[+-]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][+-]?[0-9]+|Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?$`
  --> tenants/acme.yaml:8:36
  |
8 |     resources: {limits: {password: ***}}
  |                                    ^^^^^
  = at: /services/text-to-sql/resources/limits/password

build failed: 4 errors found
",
    );
}

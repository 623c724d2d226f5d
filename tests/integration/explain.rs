//! `kiln explain`, run through the real binary on the merge-semantics golden workspace.

// A panic in a test is a failing test, so tests may unwrap, expect and index.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use crate::common;

use crate::test::Test;
use common::{kiln, repo};

fn explain(args: &[&str]) -> (i32, String, String) {
    let ws = repo().join("tests/golden/merge-semantics/workspace");
    let out = kiln(&ws).arg("explain").args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

#[test]
fn a_value_and_the_layers_that_set_it() {
    let (code, stdout, _) = explain(&["acme", "/services/api/env/A/value"]);
    assert_eq!(code, 0);
    assert_eq!(
        stdout,
        "/services/api/env/A/value = from-tenant-override

  catalog service defaults  templates/catalog.yaml:23  set         from-catalog
  tenant override for dev   tenants/acme.yaml:15       overridden  from-tenant-override  ← final
"
    );
}

#[test]
fn keyed_list_items_can_be_named_by_index_too() {
    let (_, by_name, _) = explain(&["acme", "/services/api/env/A/value"]);
    let (_, by_index, _) = explain(&["acme", "/services/api/env/0/value"]);
    assert_eq!(by_index.replace("/env/0/", "/env/A/"), by_name);
}

#[test]
fn a_value_removed_by_null() {
    let (code, stdout, _) = explain(&["acme", "/config/retries"]);
    assert_eq!(code, 0);
    assert_eq!(
        stdout,
        "/config/retries is not set (a layer removed it)

  catalog defaults  templates/catalog.yaml:5  set         3
  tenant            tenants/acme.yaml:3       removed     null
"
    );
}

#[test]
fn an_environment_override() {
    let (_, stdout, _) = explain(&["acme", "/config/timeouts/read"]);
    assert_eq!(
        stdout,
        "/config/timeouts/read = 60

  catalog defaults  templates/catalog.yaml:7           set         30
  environment dev   templates/environments/dev.yaml:3  overridden  60  ← final
"
    );
}

#[test]
fn services_on_and_off() {
    let (code, stdout, _) = explain(&["acme", "--services"]);
    assert_eq!(code, 0);
    assert_eq!(
        stdout,
        "api  on   always on (no flag)  templates/catalog.yaml:9 (catalog)\n"
    );
}

#[test]
fn services_decided_by_flags() {
    let out = kiln(&repo())
        .args(["explain", "globex", "--services"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("governance       on   flag `governance` is on    tenants/globex.yaml:"),
        "{stdout}"
    );
    assert!(
        stdout.contains("renderer         off  flag `renderer` is off     tenants/globex.yaml:"),
        "{stdout}"
    );
    assert!(
        stdout.contains("text-to-sql      off  flag `aiTextToSql` is off  templates/catalog.yaml:"),
        "{stdout}"
    );
}

#[test]
fn json_output() {
    let ws = repo().join("tests/golden/merge-semantics/workspace");
    let out = kiln(&ws)
        .args([
            "--format",
            "json",
            "explain",
            "acme",
            "/services/api/replicas",
        ])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["value"], 2);
    assert_eq!(v["set"], "tenants/acme.yaml:6");
    assert_eq!(v["chain"][0]["layer"], "kiln defaults");
    assert_eq!(v["chain"][0]["pointer"], "/services/Deployment/replicas");
    assert_eq!(v["chain"][0]["value"], 1);
    assert!(
        v["chain"][0]["at"]
            .as_str()
            .unwrap()
            .starts_with("kiln:defaults.yaml:"),
        "{v}"
    );
    assert_eq!(v["chain"][1]["pointer"], "/services/api/defaults/replicas");
    assert_eq!(v["chain"][2]["layer"], "tenant");
}

#[test]
fn every_value_with_its_origin() {
    let (code, stdout, _) = explain(&["acme"]);
    assert_eq!(code, 0);
    assert!(
        stdout.contains("/services/api/replicas = 2  # tenants/acme.yaml:6 (tenant)\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "/config/timeouts/connect = 5  # templates/catalog.yaml:7 (catalog defaults)\n"
        ),
        "{stdout}"
    );
}

#[test]
fn mistakes_get_hints() {
    let (code, _, stderr) = explain(&["acme", "/services/api/replica"]);
    assert_eq!(code, 1);
    assert_eq!(
        stderr,
        "error[K0903]: tenant `acme` has no value at `/services/api/replica`\n  = hint: did you mean `replicas`?\n\n"
    );
    let (code, _, stderr) = explain(&["acm", "/x"]);
    assert_eq!(code, 1);
    assert_eq!(
        stderr,
        "error[K0901]: no tenant `acm`\n  = hint: did you mean `acme`?\n\n"
    );
    let (code, _, stderr) = explain(&["acme", "services/api"]);
    assert_eq!(code, 1);
    assert_eq!(stderr, "error[K0902]: `services/api` is not a JSON pointer\n  = hint: start it with `/`, e.g. `/services/api`\n\n");
}

/// The line of `src/defaults.yaml` that holds `text`.
fn defaults_line(text: &str) -> usize {
    let file = std::fs::read_to_string(repo().join("src/defaults.yaml")).unwrap();
    file.lines().position(|l| l == text).unwrap() + 1
}

#[test]
fn kiln_defaults_are_the_first_layer() {
    let (code, stdout, _) = explain(&["acme", "/security/runAsUser"]);
    assert_eq!(code, 0);
    let line = defaults_line("    runAsUser: 10001");
    assert_eq!(
        stdout,
        format!(
            "/security/runAsUser = 10001

  kiln defaults  kiln:defaults.yaml:{line}  set         10001  ← final
"
        )
    );
}

#[test]
fn kiln_defaults_print_as_written() {
    let out = kiln(&repo()).arg("defaults").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let file = std::fs::read_to_string(repo().join("src/defaults.yaml")).unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), file);
    let json = kiln(&repo())
        .args(["--format", "json", "defaults"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(v["values"]["security"]["runAsUser"], 10001);
    assert_eq!(v["services"]["StatefulSet"]["storage"]["size"], "10Gi");
}

/// A layer above overrides a kiln default, and the rendered object follows.
#[test]
fn a_kiln_default_is_overridden_like_any_value() {
    let dir = tempfile::tempdir().unwrap();
    common::copy_dir(
        &repo().join("tests/golden/merge-semantics/workspace"),
        dir.path(),
    );
    let tenant = dir.path().join("tenants/acme.yaml");
    let text = std::fs::read_to_string(&tenant).unwrap();
    std::fs::write(&tenant, format!("{text}security:\n  runAsUser: 2000\n")).unwrap();
    let out = kiln(dir.path())
        .args(["explain", "acme", "/security/runAsUser"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("kiln defaults"), "{stdout}");
    assert!(stdout.ends_with("overridden  2000  ← final\n"), "{stdout}");
    let build = kiln(dir.path()).arg("build").output().unwrap();
    assert_eq!(
        build.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&build.stderr)
    );
    let tree = common::read_tree(&dir.path().join("out"));
    let deployment = tree
        .iter()
        .find(|(p, _)| p.ends_with("deployment_api.yaml"))
        .map(|(_, t)| String::from_utf8_lossy(t).to_string())
        .unwrap_or_default();
    assert!(deployment.contains("runAsUser: 2000"), "{deployment}");
    assert!(deployment.contains("fsGroup: 2000"), "{deployment}");
}

/// A workspace on the embedded catalog whose tenant sets `replicas` under an
/// autoscaler and values for a service whose flag is off.
fn no_effect_workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    common::minimal_workspace(dir.path());
    common::write_files(
        dir.path(),
        &[(
            "tenants/acme.yaml",
            "environment: dev\nflags:\n  ontology: true\nservices:\n  trino:\n    replicas: 4\n    autoscaling: {enabled: true, minReplicas: 2}\n  text-to-sql:\n    replicas: 2\n",
        )],
    );
    dir
}

#[test]
fn values_with_no_effect_are_warnings() {
    let dir = no_effect_workspace();
    let out = kiln(dir.path()).arg("check").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "warning[K0501]: the autoscaler of `trino` decides its replicas (`autoscaling.enabled` is on), so `replicas` has no effect
  --> tenants/acme.yaml:6:15
  |
6 |     replicas: 4
  |               ^
  = at: /services/trino/replicas
  = note: tenant `acme`
  = hint: set `autoscaling.minReplicas` and `maxReplicas` instead, or turn the autoscaler off

warning[K0501]: service `text-to-sql` does not run for tenant `acme`, as flag `aiTextToSql` is off, so its values have no effect
  --> tenants/acme.yaml:8:3
  |
8 |   text-to-sql:
  |   ^^^^^^^^^^^
  = at: /services/text-to-sql
  = note: tenant `acme`
  = hint: remove these values, or turn the service on

2 warnings found
ok: 1 tenant, 78 objects
"
    );
    // `build` reports the same, and builds.
    let build = kiln(dir.path()).arg("build").output().unwrap();
    assert_eq!(build.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&build.stderr).contains("2 warnings found"));
}

#[test]
fn explain_says_a_value_has_no_effect() {
    let dir = no_effect_workspace();
    let out = kiln(dir.path())
        .args(["explain", "acme", "/services/trino/replicas"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.ends_with("  tenant                     tenants/acme.yaml:6              overridden  4  ← final\n\nno effect: the autoscaler of `trino` decides its replicas (`autoscaling.enabled` is on), so `replicas` has no effect\n"),
        "{stdout}"
    );
    let json = kiln(dir.path())
        .args([
            "--format",
            "json",
            "explain",
            "acme",
            "/services/text-to-sql/replicas",
        ])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(
        v["noEffect"],
        "service `text-to-sql` does not run for tenant `acme`, as flag `aiTextToSql` is off, so its values have no effect"
    );
    // A value that takes effect says nothing more.
    let (_, plain, _) = explain(&["acme", "/services/api/replicas"]);
    assert!(!plain.contains("no effect"), "{plain}");
}

#[test]
fn a_value_for_another_workload_kind_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    common::minimal_workspace(dir.path());
    common::write_files(
        dir.path(),
        &[(
            "tenants/acme.yaml",
            "environment: dev\nservices:\n  trino:\n    backoffLimit: 3\n",
        )],
    );
    let out = kiln(dir.path()).arg("check").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error[K0415]: `backoffLimit` applies to Jobs and CronJobs, and `trino` is a Deployment
  --> tenants/acme.yaml:4:5
  |
4 |     backoffLimit: 3
  |     ^^^^^^^^^^^^
  = at: /services/trino/backoffLimit
  = hint: remove it; kiln would ignore it

check failed: 1 error found
"
    );
}

/// The line of a file of the repository that holds `text`.
fn line_of(file: &str, text: &str) -> usize {
    let body = std::fs::read_to_string(repo().join(file)).unwrap();
    body.lines().position(|l| l == text).unwrap() + 1
}

#[test]
fn an_output_field_back_to_its_template_line_and_layers() {
    let (code, stdout, _) = explain(&[
        "Deployment/acme/api",
        "/spec/template/spec/securityContext/runAsUser",
    ]);
    assert_eq!(code, 0);
    let pod = line_of("templates/lib/pod.j2", "    runAsUser: {{ svc.runAsUser }}");
    let default = defaults_line("    runAsUser: 10001");
    assert_eq!(
        stdout,
        format!(
            "tenants/acme/workloads/acme/deployment_api.yaml /spec/template/spec/securityContext/runAsUser = 10001

rendered for tenant `acme`, service `api`
written by kiln:templates/lib/pod.j2:{pod}
  {pod} |     runAsUser: {{{{ svc.runAsUser }}}}

svc.runAsUser comes from:
  /security/runAsUser = 10001
    kiln defaults  kiln:defaults.yaml:{default}  set         10001  ← final
"
        )
    );
}

#[test]
fn an_output_file_is_named_by_its_path_with_or_without_the_output_folder() {
    let (_, by_path, _) = explain(&[
        "tenants/acme/workloads/acme/deployment_api.yaml",
        "/spec/replicas",
    ]);
    let (_, by_out, _) = explain(&[
        "out/tenants/acme/workloads/acme/deployment_api.yaml",
        "/spec/replicas",
    ]);
    let (_, by_object, _) = explain(&["deployment/acme/api", "/spec/replicas"]);
    assert_eq!(by_path, by_out);
    assert_eq!(by_path, by_object);
    assert!(
        by_path.contains(
            "  /services/api/replicas = 2\n    kiln defaults             kiln:defaults.yaml:"
        ),
        "{by_path}"
    );
    assert!(
        by_path.contains(
            "    tenant                    tenants/acme.yaml:6        overridden  2  ← final\n"
        ),
        "{by_path}"
    );
}

#[test]
fn a_field_inside_a_printed_map_comes_from_the_value_inside_it() {
    let (code, stdout, _) = explain(&[
        "Deployment/acme/api",
        "/spec/template/spec/containers/0/env/0/value",
    ]);
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.contains("svc.env comes from:\n"), "{stdout}");
}

#[test]
fn the_probe_that_wrote_a_delay_is_told_apart_from_the_other() {
    let ws = repo();
    let out = kiln(&ws)
        .args([
            "explain",
            "Deployment/acme/trino",
            "/spec/template/spec/containers/0/livenessProbe/initialDelaySeconds",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = line_of(
        "templates/lib/pod.j2",
        "        initialDelaySeconds: {{ svc.probes.initialDelaySeconds + 30 }}",
    );
    assert!(
        stdout.contains(&format!("written by templates/lib/pod.j2:{line}\n")),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "  catalog /services/trino/probes/initialDelaySeconds = 20  templates/catalog.yaml:"
        ),
        "{stdout}"
    );
}

#[test]
fn a_catalog_key_the_catalog_leaves_out_comes_from_kiln_defaults() {
    let dir = tempfile::tempdir().unwrap();
    common::copy_dir(
        &repo().join("tests/golden/jobs-and-hooks/workspace"),
        dir.path(),
    );
    let catalog = dir.path().join("templates/catalog.yaml");
    let text = std::fs::read_to_string(&catalog).unwrap();
    std::fs::write(
        &catalog,
        text.replace("    kind: Job\n    hook: PostSync\n", "    kind: Job\n"),
    )
    .unwrap();
    let out = kiln(dir.path())
        .args([
            "explain",
            "Job/acme/smoke-test",
            "/metadata/annotations/argocd.argoproj.io~1hook",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    let line = defaults_line("    hook: PostSync");
    assert!(
        stdout.ends_with(&format!(
            "svc.hook comes from:\n  catalog /services/smoke-test/hook = PostSync  kiln:defaults.yaml:{line} (kiln defaults)\n"
        )),
        "{stdout}"
    );
}

#[test]
fn an_unknown_output_object_or_field_is_an_error_with_a_suggestion() {
    let (code, _, stderr) = explain(&["Deployment/acme/apii", "/spec"]);
    assert_eq!(code, 1);
    assert_eq!(
        stderr,
        "error[K0904]: no output file or object `Deployment/acme/apii`\n  = hint: did you mean `Deployment/acme/api`?\n\n"
    );
    let (code, _, stderr) = explain(&["Deployment/acme/api", "/spec/replicaz"]);
    assert_eq!(code, 1);
    assert_eq!(
        stderr,
        "error[K0905]: `tenants/acme/workloads/acme/deployment_api.yaml` has no field at `/spec/replicaz`\n  = hint: did you mean `replicas`?\n\n"
    );
}

#[test]
fn an_output_field_in_json() {
    let ws = repo().join("tests/golden/merge-semantics/workspace");
    let out = kiln(&ws)
        .args([
            "--format",
            "json",
            "explain",
            "Deployment/acme/api",
            "/spec/replicas",
        ])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["file"], "tenants/acme/workloads/acme/deployment_api.yaml");
    assert_eq!(v["value"], 2);
    assert_eq!(
        v["template"]["file"],
        "kiln:templates/objects/service/deployment.yaml.j2"
    );
    assert_eq!(v["template"]["text"], "  replicas: {{ svc.replicas }}");
    assert_eq!(v["sources"][0]["expression"], "svc.replicas");
    let from = &v["sources"][0]["from"][0];
    assert_eq!(from["pointer"], "/services/api/replicas");
    assert_eq!(from["chain"][0]["layer"], "kiln defaults");
    assert_eq!(from["chain"][2]["at"], "tenants/acme.yaml:6");
}

#[test]
fn a_derived_name_says_how_kiln_makes_it_and_is_not_hidden() {
    crate::test::Test::new()
        .file(
            "tenants/acme.yaml",
            "environment: dev\ningress:\n  enabled: true\n  host: acme.example.com\n",
        )
        .args(&["explain", "Ingress/acme/acme", "/spec/tls/0/secretName"])
        .stdout(
            "tenants/acme/workloads/acme/ingress_acme.yaml /spec/tls/0/secretName = acme-tls

rendered for tenant `acme`
written by kiln:templates/objects/tenant/ingress.yaml.j2:21
  21 |       secretName: {{ ingress.tlsSecret }}

ingress.tlsSecret comes from:
  made by kiln from the tenant's name, as `<tenant>-tls`
",
        )
        .run();
}

/// A setting added through the typed model, kiln's defaults and a template alone
/// (`revisionHistoryLimit`): its default is traced from the output to
/// `src/defaults.yaml`, a tenant replaces it like any value, and a value for a kind
/// that does not read it is refused.
#[test]
fn a_setting_read_through_svc_values_is_traced_and_overridden() {
    let (code, stdout, _) = explain(&["Deployment/acme/api", "/spec/revisionHistoryLimit"]);
    assert_eq!(code, 0, "{stdout}");
    let template = line_of(
        "templates/objects/service/deployment.yaml.j2",
        "  revisionHistoryLimit: {{ svc.values.revisionHistoryLimit }}",
    );
    let default = defaults_line("    revisionHistoryLimit: 5");
    assert_eq!(
        stdout,
        format!(
            "tenants/acme/workloads/acme/deployment_api.yaml /spec/revisionHistoryLimit = 5

rendered for tenant `acme`, service `api`
written by kiln:templates/objects/service/deployment.yaml.j2:{template}
  {template} |   revisionHistoryLimit: {{{{ svc.values.revisionHistoryLimit }}}}

svc.values.revisionHistoryLimit comes from:
  /services/api/revisionHistoryLimit = 5
    kiln defaults  kiln:defaults.yaml:{default}  set         5  ← final
"
        )
    );

    let ran = Test::new()
        .file(
            "tenants/acme.yaml",
            "environment: dev\nflags:\n  ontology: true\nservices:\n  trino:\n    revisionHistoryLimit: 2\n",
        )
        .args(&["build"])
        .run();
    let trino = std::fs::read_to_string(
        ran.path()
            .join("out/tenants/acme/workloads/acme/deployment_trino.yaml"),
    )
    .unwrap();
    assert!(trino.contains("\n  revisionHistoryLimit: 2\n"), "{trino}");
    let superset = std::fs::read_to_string(
        ran.path()
            .join("out/tenants/acme/workloads/acme/deployment_superset.yaml"),
    )
    .unwrap();
    assert!(
        superset.contains("\n  revisionHistoryLimit: 5\n"),
        "{superset}"
    );

    let ran = Test::new()
        .file(
            "tenants/acme.yaml",
            "environment: dev\nflags:\n  ontology: true\nservices:\n  trino:\n    failedJobsHistoryLimit: 2\n",
        )
        .args(&["check"])
        .status(1)
        .run();
    assert!(
        ran.stderr
            .contains("`failedJobsHistoryLimit` applies to CronJobs, and `trino` is a Deployment"),
        "{}",
        ran.stderr
    );
}

/// kiln explain on the root workspace.
fn explain_root(args: &[&str]) -> String {
    let out = kiln(&repo()).arg("explain").args(args).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    String::from_utf8_lossy(&out.stdout).to_string()
}

#[test]
fn a_pipeline_field_back_to_pipeline_yaml_over_kiln_defaults() {
    let stdout = explain_root(&[
        "pipelines/news-training/news-training/deployment_newstrainer1.yaml",
        "/spec/template/spec/containers/0/resources/requests/memory",
    ]);
    let default = defaults_line("    requests: {cpu: 100m, memory: 256Mi}");
    let template = line_of(
        "templates/objects/node/deployment.yaml.j2",
        "          resources: {{ node.resources }}",
    );
    assert_eq!(
        stdout,
        format!(
            "pipelines/news-training/news-training/deployment_newstrainer1.yaml /spec/template/spec/containers/0/resources/requests/memory = 1Gi

rendered for pipeline `news-training`, node `newstrainer1`
written by templates/objects/node/deployment.yaml.j2:{template}
  {template} |           resources: {{{{ node.resources }}}}

node.resources comes from:
  blueprints/news-training/pipeline.yaml /nodes/newstrainer1/resources/requests/memory not set
  blueprints/news-training/pipeline.yaml /resources/requests/memory = 1Gi
    kiln defaults  kiln:defaults.yaml:{default}                    set         256Mi
    pipeline.yaml  blueprints/news-training/pipeline.yaml:7  overridden  1Gi  ← final
"
        )
    );
}

#[test]
fn a_node_image_back_to_its_blueprint_line() {
    let stdout = explain_root(&[
        "Deployment/news-training/newstrainer1",
        "/spec/template/spec/containers/0/image",
    ]);
    let line = line_of(
        "blueprints/news-training/blueprint.json",
        "      \"image\": \"registry.example.com/training/news-trainer:1.2.0\",",
    );
    assert!(
        stdout.contains(&format!(
            "node.image comes from:\n  blueprints/news-training/blueprint.json /nodes/2/image = registry.example.com/training/news-trainer:1.2.0\n    blueprint  blueprints/news-training/blueprint.json:{line}  set"
        )),
        "{stdout}"
    );
}

#[test]
fn an_argocd_field_back_to_kiln_yaml() {
    let stdout = explain_root(&[
        "argocd/application_acme-platform.yaml",
        "/metadata/namespace",
    ]);
    let default = defaults_line("    namespace: argocd");
    let own = line_of("kiln.yaml", "  namespace: argocd");
    assert!(
        stdout.contains(&format!(
            "argocd.namespace comes from:\n  kiln.yaml /argocd/namespace = argocd\n    kiln defaults  kiln:defaults.yaml:{default}  set         argocd\n    kiln.yaml      kiln.yaml:{own}             overridden  argocd  ← final\n"
        )),
        "{stdout}"
    );
}

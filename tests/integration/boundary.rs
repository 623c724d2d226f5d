//! The workspace boundary and the meaning of inputs, through the real binary: kiln
//! reads only regular files inside the workspace, never opens a FIFO, refuses a folder
//! where a file belongs, keeps reserved namespaces and built-in kinds out of reach of a
//! workspace, and keeps its output in a folder of its own.

// A panic in a test is a failing test, so tests may unwrap, expect and index.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use crate::common;

use std::fs;
use std::os::unix::fs::symlink;
use std::path::Path;
use std::time::Duration;

use common::{kiln, minimal_workspace, write_files};

/// Runs `kiln <args>` in `ws` (killed after 20 s: nothing may block), expecting exit 1
/// and exactly `expected` on stderr.
fn fails(ws: &Path, args: &[&str], expected: &str) {
    let out = kiln(ws)
        .args(args)
        .timeout(Duration::from_secs(20))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "stderr:\n{stderr}");
    assert_eq!(stderr, expected);
}

fn mkfifo(path: &Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn symlinks_leading_outside_are_not_followed() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path().join("ws");
    let outside = tmp.path().join("outside");
    minimal_workspace(&ws);
    write_files(
        &outside,
        &[
            ("tenants/evil.yaml", "environment: dev\n"),
            ("secret.yaml", "environment: dev\n"),
        ],
    );
    symlink(outside.join("secret.yaml"), ws.join("tenants/linked.yaml")).unwrap();
    fs::create_dir_all(ws.join("templates")).unwrap();
    symlink(outside.join("tenants"), ws.join("templates/objects")).unwrap();
    fails(
        &ws,
        &["check"],
        "error[K0102]: path leads outside the workspace through a symlink, so kiln does not read it
  --> templates/objects
  = hint: kiln reads only files inside the workspace; copy the file or folder in instead

error[K0102]: path leads outside the workspace through a symlink, so kiln does not read it
  --> tenants/linked.yaml
  = hint: kiln reads only files inside the workspace; copy the file or folder in instead

check failed: 2 errors found
",
    );
    fs::remove_dir_all(ws.join("tenants")).unwrap();
    symlink(outside.join("tenants"), ws.join("tenants")).unwrap();
    fs::remove_file(ws.join("templates/objects")).unwrap();
    fails(
        &ws,
        &["check"],
        "error[K0102]: path leads outside the workspace through a symlink, so kiln does not read it
  --> tenants/
  = hint: kiln reads only files inside the workspace; copy the file or folder in instead

check failed: 1 error found
",
    );
}

#[test]
fn fifos_are_refused_without_being_opened() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path();
    minimal_workspace(ws);
    mkfifo(&ws.join("tenants/fifo.yaml"));
    fails(
        ws,
        &["check"],
        "error[K0105]: `tenants/fifo.yaml` is a FIFO, not a regular file
  --> tenants/fifo.yaml
  = hint: kiln reads only regular files; replace it with a file

check failed: 1 error found
",
    );
    fs::remove_file(ws.join("tenants/fifo.yaml")).unwrap();
    fs::remove_file(ws.join("kiln.yaml")).unwrap();
    mkfifo(&ws.join("kiln.yaml"));
    fails(
        ws,
        &["check"],
        "error[K0105]: `kiln.yaml` is a FIFO, not a regular file
  --> kiln.yaml
  = hint: kiln reads only regular files; replace it with a file

check failed: 1 error found
",
    );
}

#[test]
fn a_folder_where_a_file_belongs_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path();
    minimal_workspace(ws);
    write_files(
        ws,
        &[
            ("templates/catalog.yaml/README", "x"),
            (
                "templates/environments/dev.yaml/x.yaml",
                "logging: {level: debug}\n",
            ),
        ],
    );
    fails(
        ws,
        &["build"],
        "error[K0109]: `templates/catalog.yaml` is a folder where kiln expects a file
  --> templates/catalog.yaml/
  = hint: kiln does not read files inside it; replace the folder with the file it is named for

error[K0109]: `templates/environments/dev.yaml` is a folder where kiln expects a file
  --> templates/environments/dev.yaml/
  = hint: kiln does not read files inside it; replace the folder with the file it is named for

build failed: 2 errors found
",
    );
    assert!(!ws.join("out").exists());
}

#[test]
fn a_byte_order_mark_is_accepted() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path();
    minimal_workspace(ws);
    kiln(ws).arg("build").assert().success();
    let plain = common::read_tree(&ws.join("out"));
    write_files(
        ws,
        &[(
            "tenants/acme.yaml",
            "\u{feff}environment: dev\nflags:\n  ontology: true\n",
        )],
    );
    kiln(ws).args(["build", "--check"]).assert().success();
    assert_eq!(common::read_tree(&ws.join("out")), plain);
}

#[test]
fn reserved_namespaces_cannot_be_claimed_and_every_error_names_its_file() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path();
    minimal_workspace(ws);
    write_files(
        ws,
        &[
            ("tenants/kube-system.yaml", "environment: dev\n"),
            ("tenants/default.yaml", "environment: dev\n"),
            ("tenants/argocd.yaml", "environment: dev\n"),
            (
                "tenants/kube.yaml",
                "environment: dev\nextraNamespaces: [system]\n",
            ),
            ("tenants/acme.yml", "environment: dev\n"),
        ],
    );
    fails(
        ws,
        &["check"],
        "error[K0403]: a second spec for tenant `acme`
  --> tenants/acme.yml
  = note: the first is `tenants/acme.yaml`
  = hint: keep one file per tenant: `tenants/<name>.yaml` and `tenants/<name>.yml` name the same tenant

error[K0404]: tenant `argocd` would claim a reserved namespace: `argocd` is a namespace the platform runs in
  --> tenants/argocd.yaml
  = hint: a tenant's name is its namespace; rename the file

error[K0404]: tenant `default` would claim a reserved namespace: `default` is one of Kubernetes' own namespaces
  --> tenants/default.yaml
  = hint: a tenant's name is its namespace; rename the file

error[K0404]: tenant `kube-system` would claim a reserved namespace: `kube-system` is one of Kubernetes' own namespaces
  --> tenants/kube-system.yaml
  = hint: a tenant's name is its namespace; rename the file

error[K0404]: extra namespace `kube-system` is reserved: `kube-system` is one of Kubernetes' own namespaces
  --> tenants/kube.yaml:2:19
  |
2 | extraNamespaces: [system]
  |                   ^^^^^^
  = at: /extraNamespaces/0
  = hint: extra namespaces are named `<tenant>-<name>`; choose another name

check failed: 5 errors found
",
    );
}

#[test]
fn a_tenant_named_like_a_kiln_project_names_its_file() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path();
    minimal_workspace(ws);
    write_files(ws, &[("tenants/kiln-platform.yaml", "environment: dev\n")]);
    let out = kiln(ws).arg("check").output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(
            "error[K0604]: kiln itself and tenant `kiln-platform` would both have the Argo CD project `kiln-platform`\n  --> tenants/kiln-platform.yaml\n"
        ),
        "{stderr}"
    );
}

#[test]
fn a_workspace_crd_cannot_replace_a_built_in_kind() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path();
    minimal_workspace(ws);
    write_files(
        ws,
        &[(
            "crds/deployments.yaml",
            "apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: deployments.apps}
spec:
  group: apps
  names: {kind: Deployment, plural: deployments}
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
",
        )],
    );
    fails(
        ws,
        &["check"],
        "error[K0425]: a CustomResourceDefinition declares `apps/v1 Deployment`, a kind Kubernetes has built in
  --> crds/deployments.yaml
  = hint: kiln validates built-in kinds against Kubernetes' own schema; remove the definition from `crds/`

check failed: 1 error found
",
    );
}

#[test]
fn the_output_is_a_folder_of_its_own() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path();
    let settings = "kubernetesVersion: \"1.31\"\nrepoURL: https://git.example.com/rendered.git\nenvironments:\n  dev: {}\n  prod: {}\n";
    minimal_workspace(ws);
    write_files(
        ws,
        &[(
            "kiln.yaml",
            &format!("{settings}outputDir: crds\nrepoPath: ../../etc\n"),
        )],
    );
    fails(
        ws,
        &["build"],
        "error[K0407]: `outputDir` `crds` overlaps the workspace's `crds`
  --> kiln.yaml:6:1
  |
6 | outputDir: crds
  | ^^^^^^^^^
  = at: /outputDir
  = hint: the output must be a folder of its own, such as `out`: kiln replaces what it writes there

error[K0408]: `repoPath` `../../etc` is not a plain path inside the rendered repository
  --> kiln.yaml:7:1
  |
7 | repoPath: ../../etc
  | ^^^^^^^^
  = at: /repoPath
  = hint: name a folder of the repository without `.` or `..`, or leave it empty for the root

build failed: 2 errors found
",
    );
    write_files(
        ws,
        &[("kiln.yaml", &format!("{settings}outputDir: kiln.yaml\n"))],
    );
    fails(
        ws,
        &["build"],
        "error[K0407]: `outputDir` `kiln.yaml` overlaps the workspace's `kiln.yaml`
  --> kiln.yaml:6:1
  |
6 | outputDir: kiln.yaml
  | ^^^^^^^^^
  = at: /outputDir
  = hint: the output must be a folder of its own, such as `out`: kiln replaces what it writes there

build failed: 1 error found
",
    );
    assert!(!ws.join("crds").exists());
}

#[test]
fn runaway_template_output_is_stopped_at_a_limit() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path();
    minimal_workspace(ws);
    write_files(
        ws,
        &[(
            "templates/objects/tenant/huge.yaml.j2",
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: huge, namespace: acme}\ndata:\n  a: {% for i in range(200) %}{{ \"x\" * 100000 }}{% endfor %}\n",
        )],
    );
    fails(
        ws,
        &["build"],
        "error[K0509]: the output of this template is over the limit of 4194304 bytes
  --> templates/objects/tenant/huge.yaml.j2
  = note: rendered for tenant `acme` (tenants/acme.yaml)
  = hint: a template renders a few objects of at most 1 MiB each; look for a loop or a repeated string that runs away

build failed: 1 error found
",
    );
    write_files(
        ws,
        &[(
            "templates/objects/tenant/huge.yaml.j2",
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: huge, namespace: acme}\ndata:\n  a: {{ \"x\" * 1100000 }}\n",
        )],
    );
    fails(
        ws,
        &["build"],
        "error[K0509]: `ConfigMap` `huge` is 1100084 bytes, over the limit of 1048576 bytes for one object
  --> templates/objects/tenant/huge.yaml.j2
  = note: ConfigMap `huge` → tenants/acme/workloads/acme/configmap_huge.yaml
  = note: rendered for tenant `acme` (tenants/acme.yaml)
  = hint: the API server stores objects of about 1.5 MiB at most, a ConfigMap's data 1 MiB; split the object or keep the data elsewhere

build failed: 1 error found
",
    );
    // Invalid output is quoted a line's start, never whole.
    write_files(
        ws,
        &[(
            "templates/objects/tenant/huge.yaml.j2",
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: huge, namespace: acme}\ndata: {{ \"y\" * 500000 }}: b\n",
        )],
    );
    let out = kiln(ws).arg("build").output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.len() < 2_000, "{} bytes of stderr", stderr.len());
    assert!(
        stderr.contains(&format!(
            "line 4 of the output: `data: \"{}…`",
            "y".repeat(113)
        )),
        "{stderr}"
    );
    assert!(!ws.join("out").exists());
}

#[test]
fn jobs_are_capped() {
    let tmp = tempfile::tempdir().unwrap();
    minimal_workspace(tmp.path());
    let out = kiln(tmp.path())
        .args(["-j", "100000", "check"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: invalid value '100000' for '--jobs <N>': 100000 is not in 1..=256\n\nFor more information, try '--help'.\n"
    );
    kiln(tmp.path())
        .args(["-j", "256", "check"])
        .assert()
        .success();
}

#[test]
fn image_references_and_mount_paths_are_checked() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path();
    minimal_workspace(ws);
    write_files(
        ws,
        &[(
            "tenants/acme.yaml",
            "environment: dev\nservices:\n  trino:\n    image: {repository: ../../Evil}\n",
        )],
    );
    fails(
        ws,
        &["check"],
        "error[K0709]: `registry.example.com/../../Evil:457` is not a valid image reference
   --> kiln:templates/lib/pod.j2:40:7
   |
40 |       image: {{ svc.image }}
   |       ^^^^^
   = at: /spec/template/spec/containers/0/image
   = note: Deployment `trino` → tenants/acme/workloads/acme/deployment_trino.yaml
   = note: rendered for tenant `acme` (tenants/acme.yaml), service `trino` in namespace `acme`
   = hint: an image is `[registry[:port]/]path[:tag][@sha256:<digest>]`: lower-case path components of letters and digits joined by `.`, `_`, `__` or `-`

check failed: 1 error found
",
    );

    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path().join("ws");
    common::copy_dir(&common::repo(), &ws);
    let path = ws.join("blueprints/news-training/blueprint.json");
    let text = fs::read_to_string(&path).unwrap().replace(
        "\"container_name\": \"/data/shared\"",
        "\"container_name\": \"/../../etc\"",
    );
    fs::write(&path, text).unwrap();
    fails(
        &ws,
        &["check"],
        "error[K0455]: SharedFolder `/../../etc` is not a plain absolute path
  --> blueprints/news-training/blueprint.json:7:7
  |
7 |       \"container_name\": \"/../../etc\",
  |       ^^^^^^^^^^^^^^^^
  = at: /nodes/0/container_name
  = hint: a SharedFolder's `container_name` is the path it is mounted at, such as `/data/shared`: absolute, without `.` or `..` segments, `:` or control characters

check failed: 1 error found
",
    );
}

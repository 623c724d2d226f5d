use super::read::NO_APPLICATION;
use super::*;

fn files(entries: &[(&str, &str)]) -> Files {
    entries
        .iter()
        .map(|(p, t)| (p.to_string(), t.as_bytes().to_vec()))
        .collect()
}

const APP: &str = "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: acme-workloads, namespace: argocd}\nspec: {source: {path: deploy/tenants/acme/workloads}}\n";
const CM: &str =
    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: acme}\ndata: {a: '1'}\n";

#[test]
fn a_moved_file_is_not_a_change() {
    let base = files(&[
        ("argocd/app.yaml", APP),
        ("tenants/acme/workloads/acme/c.yaml", CM),
    ]);
    let new = files(&[
        ("argocd/app.yaml", APP),
        ("tenants/acme/workloads/other/c.yaml", CM),
    ]);
    let r = compare(&base, &new, "deploy");
    assert!(!r.has_differences(), "{r:?}");
    assert_eq!(r.unchanged, 2);
}

#[test]
fn changes_are_counted_per_application_and_kind() {
    let changed = CM.replace("'1'", "'2'");
    let base = files(&[
        ("argocd/app.yaml", APP),
        ("tenants/acme/workloads/acme/c.yaml", CM),
    ]);
    let new = files(&[
        ("argocd/app.yaml", APP),
        ("tenants/acme/workloads/acme/c.yaml", &changed),
    ]);
    let r = compare(&base, &new, "deploy");
    assert_eq!(r.objects.len(), 1);
    let c = &r.objects[0];
    assert_eq!(
        (c.change, c.application.as_str()),
        (ChangeKind::Changed, "acme-workloads")
    );
    assert!(c.diff.contains("-  a: \"1\"\n+  a: \"2\"\n"), "{}", c.diff);
    assert_eq!(r.summary[0].kinds["ConfigMap"].changed, 1);
}

#[test]
fn unreadable_files_are_skipped_and_said() {
    let base = files(&[("x.yaml", "a: [")]);
    let r = compare(&base, &Files::new(), "");
    assert_eq!(r.skipped.len(), 1);
    assert_eq!(r.skipped[0].side, "base");
    assert!(!r.has_differences());
}

#[test]
fn files_outside_every_application_are_said_so() {
    let r = compare(&Files::new(), &files(&[("x/c.yaml", CM)]), "");
    assert_eq!(r.objects[0].application, NO_APPLICATION);
    assert_eq!(r.objects[0].change, ChangeKind::Added);
    assert!(r.objects[0]
        .diff
        .starts_with("--- /dev/null\n+++ b/x/c.yaml\n"));
}

use super::*;
use crate::diff::{compare, Files};

fn config_maps(n: usize, value: &str) -> Files {
    (0..n)
        .map(|i| {
            (
                format!("tenants/t/workloads/t/configmap_c{i}.yaml"),
                format!("apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c{i}, namespace: t}}\ndata: {{k: {value}}}\n").into_bytes(),
            )
        })
        .collect()
}

#[test]
fn small_reports_are_whole() {
    let r = compare(&config_maps(2, "a"), &config_maps(2, "b"), "");
    let md = render(&r, "kiln diff", DEFAULT_MAX_CHARS);
    assert!(md.starts_with("### kiln diff\n\n**2 objects differ** in 1 application (2 changed); 0 unchanged.\n\n| Application |"), "{md}");
    assert_eq!(md.matches("```diff\n").count(), 2, "{md}");
    assert!(!md.contains("left out"), "{md}");
}

#[test]
fn large_reports_leave_out_whole_diffs_and_say_which() {
    let r = compare(&config_maps(500, "a"), &config_maps(500, "b"), "");
    let md = render(&r, "kiln diff", DEFAULT_MAX_CHARS);
    assert!(chars(&md) <= DEFAULT_MAX_CHARS);
    let shown = md.matches("```diff\n").count();
    let left = md.matches(": diff left out (").count();
    assert!(shown > 0 && left > 0, "{shown} {left}");
    assert_eq!(shown + left, 500);
    assert!(
        md.contains(&format!("> The diffs of {left} objects were left out")),
        "{md}"
    );
    // Whole diffs only: every fence that opens closes.
    assert_eq!(md.matches("```").count(), 2 * shown);
}

#[test]
fn tiny_limits_still_hold() {
    let r = compare(&config_maps(500, "a"), &config_maps(500, "b"), "");
    for max in [100, 1_000, 3_000] {
        assert!(chars(&render(&r, "kiln diff", max)) <= max, "{max}");
    }
}

/// `n` changed ConfigMaps, and `claims` claims removed.
fn with_claims(n: usize, claims: usize) -> Report {
    let claim = |i: usize| {
        (
            format!("tenants/t/workloads/t/persistentvolumeclaim_data-{i}.yaml"),
            format!("apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {{name: data-{i}, namespace: t}}\n").into_bytes(),
        )
    };
    let mut base = config_maps(n, "a");
    base.extend((0..claims).map(claim));
    compare(&base, &config_maps(n, "b"), "")
}

#[test]
fn data_at_risk_comes_first_and_whole() {
    let r = with_claims(500, 2);
    let md = render(&r, "kiln diff", DEFAULT_MAX_CHARS);
    assert!(chars(&md) <= DEFAULT_MAX_CHARS);
    let risk = "- **removed** `PersistentVolumeClaim t/data-{i}` in `(no application)`: Argo CD deletes it, and its volume unless the volume's reclaim policy is `Retain`\n";
    let expected = format!(
        "### kiln diff\n\n#### Data at risk\n\n2 changes delete or recreate objects:\n\n{}{}\n**502 objects differ** in 1 application (500 changed, 2 removed); 0 unchanged.\n",
        risk.replace("{i}", "0"),
        risk.replace("{i}", "1")
    );
    assert!(md.starts_with(&expected), "{md}");
    assert!(md.contains(": diff left out ("), "{md}");
}

#[test]
fn too_many_risks_to_name_are_counted() {
    let r = with_claims(0, 300);
    for max in [2_000, 10_000] {
        let md = render(&r, "kiln diff", max);
        assert!(chars(&md) <= max, "{max}");
        assert!(
            md.starts_with("### kiln diff\n\n#### Data at risk\n\n300 changes delete or recreate objects:\n\n- **removed** `PersistentVolumeClaim t/data-0`"),
            "{md}"
        );
        let named = md.matches("- **removed**").count();
        assert!(named > 0 && named < 300, "{named}");
        assert!(
            md.contains(&format!("- … and {} more, left out to stay under the limit; run `kiln diff` for all of them\n", 300 - named)),
            "{md}"
        );
        assert!(md.contains("**300 objects differ**"), "{md}");
    }
}

#[test]
fn fences_outgrow_backticks_in_the_diff() {
    assert_eq!(fence("a ``` b"), "````");
    assert_eq!(fence("plain"), "```");
}

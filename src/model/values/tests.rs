use super::*;
use std::collections::BTreeSet;

/// Every key path of a schema: `/images/registry`, `/services/*/env/[]/name`, …,
/// following `$ref`s into `$defs` and through `anyOf`/`oneOf`/`allOf`.
fn key_paths(root: &Json) -> BTreeSet<String> {
    fn walk(root: &Json, node: &Json, at: &str, depth: usize, out: &mut BTreeSet<String>) {
        if depth > 24 {
            return;
        }
        if let Some(r) = node.get("$ref").and_then(Json::as_str) {
            let name = r.rsplit('/').next().unwrap_or("");
            if let Some(def) = root.pointer(&format!("/$defs/{name}")) {
                walk(root, def, at, depth + 1, out);
            }
        }
        for combinator in ["anyOf", "oneOf", "allOf"] {
            for branch in node
                .get(combinator)
                .and_then(Json::as_array)
                .into_iter()
                .flatten()
            {
                walk(root, branch, at, depth + 1, out);
            }
        }
        if let Some(props) = node.get("properties").and_then(Json::as_object) {
            for (k, v) in props {
                let here = format!("{at}/{k}");
                out.insert(here.clone());
                walk(root, v, &here, depth + 1, out);
            }
        }
        if let Some(extra) = node.get("additionalProperties").filter(|a| a.is_object()) {
            walk(root, extra, &format!("{at}/*"), depth + 1, out);
        }
        if let Some(items) = node.get("items").filter(|i| i.is_object()) {
            walk(root, items, &format!("{at}/[]"), depth + 1, out);
        }
    }
    let mut out = BTreeSet::new();
    walk(root, root, "", 0, &mut out);
    out
}

/// The merged values of every tenant of the root workspace, the examples and the
/// golden cases read into the types, and written back the same.
#[test]
fn every_merged_tenant_reads_into_the_types() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut workspaces = vec![root.to_path_buf()];
    for parent in ["examples", "tests/golden"] {
        let mut found: Vec<_> = std::fs::read_dir(root.join(parent))
            .unwrap()
            .map(|e| e.unwrap().path())
            .map(|p| {
                if parent == "examples" {
                    p
                } else {
                    p.join("workspace")
                }
            })
            .filter(|p| p.join("kiln.yaml").is_file())
            .collect();
        found.sort();
        workspaces.extend(found);
    }
    let mut tenants = 0;
    for ws in &workspaces {
        let Ok(c) = crate::compile::compile(ws, crate::compile::Until::Explain) else {
            continue;
        };
        for plan in &c.plans {
            // Nothing of the merged tree is lost or changed in the types.
            let merged = plan.provenance.as_ref().unwrap().to_json();
            assert_eq!(
                plan.values.to_json(),
                merged,
                "{} tenant {}",
                ws.display(),
                plan.name
            );
            tenants += 1;
        }
    }
    assert!(tenants >= 10, "{tenants}");
}

#[test]
fn every_kind_value_is_a_service_value() {
    let typed = serde_json::to_value(schemars::schema_for!(ServiceValues)).unwrap();
    let keys = key_paths(&typed);
    for (key, kinds, _) in KIND_VALUES {
        assert!(keys.contains(&format!("/{key}")), "{key}");
        assert!(!kinds.is_empty(), "{key}");
    }
}

#[test]
fn the_types_and_the_values_schema_have_the_same_keys() {
    let schema: Json =
        serde_json::from_str(include_str!("../../../schemas/values.schema.json")).unwrap();
    let typed = serde_json::to_value(schemars::schema_for!(Values)).unwrap();
    let in_schema = key_paths(&schema);
    let in_types = key_paths(&typed);
    let missing: Vec<_> = in_schema.difference(&in_types).collect();
    let extra: Vec<_> = in_types.difference(&in_schema).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "in the schema, not the types: {missing:?}\nin the types, not the schema: {extra:?}"
    );
    assert!(in_schema.len() > 100, "{}", in_schema.len());
}

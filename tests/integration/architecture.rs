//! The codebase's own rules, checked on its source: the pipeline's stages import only
//! the stages before them, so data flows one way (docs/architecture.md).

// A panic in a test is a failing test, so tests may unwrap, expect and index.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::collections::BTreeSet;
use std::path::Path;

/// Every top-level module, in pipeline order: each may import only those before it.
const ORDER: [&str; 26] = [
    // Leaves: YAML, credentials, diagnostics, suggestions, names, kiln's defaults, the
    // Kubernetes facts, an object's identity and the output layout.
    "yaml",
    "secret",
    "diagnostic",
    "suggest",
    "names",
    "defaults",
    "kube",
    "object_id",
    "layout",
    // The stages, in order, with the types they hand on.
    "load",
    "parse",
    "schema",
    "crd",
    "model",
    "validate",
    "plan",
    "unit",
    "argocd",
    "render",
    "check",
    "emit",
    "compile",
    // Adapters at the edge, and the command line.
    "diff",
    "git",
    "publish",
    "cli",
];

/// The top-level modules a source file refers to as `crate::<module>`, tests left out.
fn imports(text: &str) -> BTreeSet<String> {
    let code = text.split("#[cfg(test)]").next().unwrap_or("");
    let mut out = BTreeSet::new();
    for (i, _) in code.match_indices("crate::") {
        let rest = &code[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // Split the group into its items at its own depth: `{a::{b, c}, d}`.
            let mut items = vec![String::new()];
            let mut depth = 0;
            for c in group.chars() {
                match c {
                    '}' if depth == 0 => break,
                    ',' if depth == 0 => items.push(String::new()),
                    _ => {
                        depth += usize::from(c == '{');
                        depth -= usize::from(c == '}');
                        if let Some(item) = items.last_mut() {
                            item.push(c);
                        }
                    }
                }
            }
            for item in items {
                let name: String = item
                    .trim()
                    .chars()
                    .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    out.insert(name);
                }
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                .collect();
            out.insert(name);
        }
    }
    out
}

fn module_of(rel: &Path) -> String {
    let first = rel.components().next().unwrap();
    let first = first.as_os_str().to_string_lossy();
    first.trim_end_matches(".rs").to_string()
}

#[test]
fn every_module_is_in_the_order() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut modules: BTreeSet<String> = BTreeSet::new();
    for entry in std::fs::read_dir(&src).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().to_string();
        if name.ends_with(".rs") && name != "lib.rs" && name != "main.rs" {
            modules.insert(name.trim_end_matches(".rs").to_string());
        } else if !name.contains('.') {
            modules.insert(name);
        }
    }
    let listed: BTreeSet<String> = ORDER.iter().map(std::string::ToString::to_string).collect();
    assert_eq!(modules, listed, "src/ and ORDER differ");
}

/// Whether `path` is a `tests.rs` that its parent module declares under
/// `#[cfg(test)]` (`<dir>.rs` or `<dir>/mod.rs` beside it).
fn is_test_module(path: &Path) -> bool {
    if path.file_name() != Some("tests.rs".as_ref()) {
        return false;
    }
    let Some(dir) = path.parent() else {
        return false;
    };
    [dir.with_extension("rs"), dir.join("mod.rs")]
        .iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .any(|text| text.contains("#[cfg(test)]\nmod tests;"))
}

#[test]
fn stages_import_only_earlier_stages() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut problems = Vec::new();
    for entry in walkdir::WalkDir::new(&src).sort_by_file_name() {
        let entry = entry.unwrap();
        let path = entry.path();
        // A module's tests, in `tests.rs` beside it (`#[cfg(test)] mod tests;`), may
        // run the whole pipeline, as the rest of a file after `#[cfg(test)]` may.
        if path.extension().is_none_or(|e| e != "rs") || is_test_module(path) {
            continue;
        }
        let rel = path.strip_prefix(&src).unwrap();
        let module = module_of(rel);
        let Some(rank) = ORDER.iter().position(|m| *m == module) else {
            continue;
        };
        let text = std::fs::read_to_string(path).unwrap();
        for import in imports(&text) {
            if import == module {
                continue;
            }
            match ORDER.iter().position(|m| *m == import) {
                Some(r) if r < rank => {}
                Some(_) => problems.push(format!(
                    "src/{} imports `{import}`, which comes after `{module}`",
                    rel.display()
                )),
                None => problems.push(format!(
                    "src/{} imports `{import}`, which is not a module of ORDER",
                    rel.display()
                )),
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_import_reader_sees_groups_and_paths() {
    let found = imports("use crate::{plan::{merge, TenantPlan}, yaml};\nlet x = crate::names::clean(y);\n#[cfg(test)]\nuse crate::cli;");
    let expected: BTreeSet<String> = ["plan", "yaml", "names"]
        .iter()
        .map(std::string::ToString::to_string)
        .collect();
    assert_eq!(found, expected);
}

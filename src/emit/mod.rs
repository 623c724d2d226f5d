//! Stage 7: turn the checked objects into the output tree (paths and bytes), and write it
//! (the only stage, with `load`, that touches the filesystem).

mod write;

use std::collections::BTreeMap;

use crate::render::Rendered;
use crate::yaml;

pub use write::{apply, compare, Comparison, WriteOutcome};

/// The file in the output directory that lists the files kiln owns there. It has no
/// `.yaml`/`.json` extension, so Argo CD never reads it as a manifest.
pub const INDEX_FILE: &str = ".kiln-owned";

const INDEX_HEADER: &str = "# Files kiln owns in this directory, one per line. kiln rewrites and removes\n# these files and leaves every other file alone. Generated; do not edit.\n";

/// The complete output: file paths relative to the output directory, and their bytes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OutputTree {
    pub files: BTreeMap<String, Vec<u8>>,
}

impl OutputTree {
    /// One YAML file per object, plus the index of owned files.
    pub fn from_rendered(rendered: &Rendered) -> OutputTree {
        let mut files = BTreeMap::new();
        for o in &rendered.objects {
            files.insert(o.path.clone(), yaml::to_string(&o.value).into_bytes());
        }
        let mut index = String::from(INDEX_HEADER);
        for path in files.keys() {
            index.push_str(path);
            index.push('\n');
        }
        files.insert(INDEX_FILE.to_string(), index.into_bytes());
        OutputTree { files }
    }
}

/// The paths an index file lists.
pub fn parse_index(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect()
}

/// Whether a relative output path is safe to join to the output directory: relative,
/// no `..`, no empty or `.` segments.
pub fn is_safe_path(path: &str) -> bool {
    !path.is_empty()
        && !path.starts_with('/')
        && !path.contains('\\')
        && path
            .split('/')
            .all(|seg| !seg.is_empty() && seg != "." && seg != "..")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_round_trips() {
        let text = format!("{INDEX_HEADER}a/b.yaml\nc.yaml\n");
        assert_eq!(parse_index(&text), vec!["a/b.yaml", "c.yaml"]);
    }

    #[test]
    fn unsafe_paths() {
        for p in ["", "/etc/passwd", "../x", "a/../b", "a//b", "./a", "a\\b"] {
            assert!(!is_safe_path(p), "{p}");
        }
        assert!(is_safe_path(
            "tenants/acme/platform/acme/namespace_acme.yaml"
        ));
        assert!(is_safe_path(".kiln-owned"));
    }
}

//! Stage 7: write the output (the only stage, with `load`, that touches the
//! filesystem): the build's files as they come (`stream`), moved into place all at
//! once through a journal (`journal`), under a lock that keeps kiln runs on one
//! output apart (`lock`), never through a link (`boundary`), and the cache that lets
//! the next build reuse what did not change (`cache`).

use std::path::{Path, PathBuf};

use anyhow::Context as _;

pub mod boundary;
pub mod cache;
mod compare;
pub mod journal;
pub mod lock;
pub mod stream;

/// The file in the output directory that lists the files kiln owns there. It has no
/// `.yaml`/`.json` extension, so Argo CD never reads it as a manifest.
pub const INDEX_FILE: &str = ".kiln-owned";

pub const INDEX_HEADER: &str = "# Files kiln owns in this directory, one per line. kiln rewrites and removes\n# these files and leaves every other file alone. Generated; do not edit.\n";

/// The index of owned files, `.kiln-owned`, of a build's output.
pub fn index(output: &crate::unit::Output) -> Vec<u8> {
    let mut text = String::from(INDEX_HEADER);
    for path in output.files().keys() {
        text.push_str(path);
        text.push('\n');
    }
    text.into_bytes()
}

/// How the output on disk differs from a build.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Comparison {
    /// In the build, not on disk.
    pub missing: Vec<String>,
    /// On disk with other content.
    pub stale: Vec<String>,
    /// Owned by kiln (in the index on disk) but no longer produced.
    pub extra: Vec<String>,
    /// Present and identical.
    pub unchanged: Vec<String>,
    /// On disk with other content, and not kiln's: kiln will not overwrite them. Also
    /// a folder where a file goes, and a file where a folder goes.
    pub foreign: Vec<String>,
    /// Symbolic links on the way to a file kiln writes or removes: kiln never follows
    /// them.
    pub links: Vec<String>,
}

impl Comparison {
    pub fn is_clean(&self) -> bool {
        self.missing.is_empty()
            && self.stale.is_empty()
            && self.extra.is_empty()
            && self.foreign.is_empty()
            && self.links.is_empty()
    }
}

/// What writing a build did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WriteOutcome {
    Unchanged,
    Written(Comparison),
    /// Nothing was written: files kiln does not own, or links, stand where it would
    /// write.
    Blocked {
        foreign: Vec<String>,
        links: Vec<String>,
    },
}

/// A hidden path next to `out`, on the same filesystem: `.<out>.<suffix>`.
pub fn sibling(out: &Path, suffix: &str) -> anyhow::Result<PathBuf> {
    let name = out
        .file_name()
        .with_context(|| format!("the output directory `{}` has no name", out.display()))?;
    let parent = out.parent().unwrap_or(Path::new("."));
    Ok(parent.join(format!(".{}.{suffix}", name.to_string_lossy())))
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

/// Every file under `dir` with its text, by relative path (for the tests of writing).
#[cfg(test)]
pub(crate) fn read_tree(dir: &std::path::Path) -> std::collections::BTreeMap<String, String> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .filter_map(|e| {
            let rel = e
                .path()
                .strip_prefix(dir)
                .ok()?
                .to_string_lossy()
                .into_owned();
            Some((rel, std::fs::read_to_string(e.path()).ok()?))
        })
        .collect()
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

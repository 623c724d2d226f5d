//! Writing the output tree atomically.
//!
//! The new tree is assembled in a staging directory next to the output directory:
//! unchanged files and files kiln does not own are hard-linked (or copied) from the old
//! tree, new and changed files are written. The staging directory then replaces the
//! output directory in one step (an atomic exchange on Linux), so a failed or interrupted
//! build leaves the previous output as it was. When nothing changed, nothing is written.

use std::collections::BTreeSet;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};

use super::{is_safe_path, parse_index, OutputTree, INDEX_FILE};

/// How the output on disk differs from a tree.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Comparison {
    /// In the tree, not on disk.
    pub missing: Vec<String>,
    /// On disk with other content.
    pub stale: Vec<String>,
    /// Owned by kiln (in the index on disk) but no longer produced.
    pub extra: Vec<String>,
    /// Present and identical.
    pub unchanged: Vec<String>,
    /// On disk with other content, and not kiln's: kiln will not overwrite them.
    pub foreign: Vec<String>,
}

impl Comparison {
    pub fn is_clean(&self) -> bool {
        self.missing.is_empty()
            && self.stale.is_empty()
            && self.extra.is_empty()
            && self.foreign.is_empty()
    }
}

/// What `apply` did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WriteOutcome {
    Unchanged,
    Written(Comparison),
    /// Nothing was written: files kiln does not own stand where it would write.
    Blocked(Vec<String>),
}

fn owned_on_disk(out: &Path) -> BTreeSet<String> {
    fs::read_to_string(out.join(INDEX_FILE))
        .map(|t| {
            parse_index(&t)
                .into_iter()
                .filter(|p| is_safe_path(p))
                .collect()
        })
        .unwrap_or_default()
}

/// Compares a tree with the output directory, reading nothing but the files concerned.
pub fn compare(out: &Path, tree: &OutputTree) -> anyhow::Result<Comparison> {
    let mut c = Comparison::default();
    let owned = owned_on_disk(out);
    for (path, bytes) in &tree.files {
        match fs::read(out.join(path)) {
            Ok(existing) if &existing == bytes => c.unchanged.push(path.clone()),
            Ok(_) if owned.contains(path) || path == INDEX_FILE => c.stale.push(path.clone()),
            Ok(_) => c.foreign.push(path.clone()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => c.missing.push(path.clone()),
            Err(e) if e.kind() == io::ErrorKind::NotADirectory => c.missing.push(path.clone()),
            Err(e) => {
                return Err(e)
                    .with_context(|| format!("cannot read `{}`", out.join(path).display()))
            }
        }
    }
    for path in owned {
        if !tree.files.contains_key(&path) && out.join(&path).exists() {
            c.extra.push(path);
        }
    }
    Ok(c)
}

/// Writes `tree` to `out`, keeping files kiln does not own, removing files it owned and
/// no longer produces.
pub fn apply(out: &Path, tree: &OutputTree) -> anyhow::Result<WriteOutcome> {
    for path in tree.files.keys() {
        if !is_safe_path(path) {
            bail!("refusing to write `{path}`: the path would leave the output directory");
        }
    }
    let comparison = compare(out, tree)?;
    if comparison.is_clean() {
        return Ok(WriteOutcome::Unchanged);
    }
    if !comparison.foreign.is_empty() {
        return Ok(WriteOutcome::Blocked(comparison.foreign));
    }
    let staging = sibling(out, "kiln-staging")?;
    if staging.exists() {
        fs::remove_dir_all(&staging).with_context(|| {
            format!(
                "cannot remove the leftover staging directory `{}`",
                staging.display()
            )
        })?;
    }
    fs::create_dir_all(&staging)
        .with_context(|| format!("cannot create `{}`", staging.display()))?;
    let result = assemble(out, tree, &comparison, &staging).and_then(|()| swap(out, &staging));
    if result.is_err() {
        let _ = fs::remove_dir_all(&staging);
    }
    result?;
    Ok(WriteOutcome::Written(comparison))
}

/// A hidden path next to `out`, on the same filesystem.
fn sibling(out: &Path, suffix: &str) -> anyhow::Result<PathBuf> {
    let name = out
        .file_name()
        .with_context(|| format!("the output directory `{}` has no name", out.display()))?;
    let parent = out.parent().unwrap_or(Path::new("."));
    Ok(parent.join(format!(".{}.{suffix}", name.to_string_lossy())))
}

fn assemble(out: &Path, tree: &OutputTree, c: &Comparison, staging: &Path) -> anyhow::Result<()> {
    let unchanged: BTreeSet<&String> = c.unchanged.iter().collect();
    let owned = owned_on_disk(out);
    // Files kiln does not own (and files it owns that are unchanged) carry over.
    if out.is_dir() {
        for entry in walkdir::WalkDir::new(out)
            .follow_links(false)
            .sort_by_file_name()
        {
            let entry = entry.with_context(|| format!("cannot list `{}`", out.display()))?;
            let Ok(rel) = entry.path().strip_prefix(out) else {
                continue;
            };
            let rel = rel.to_string_lossy().replace('\\', "/");
            if rel.is_empty() {
                continue;
            }
            let target = staging.join(&rel);
            let ft = entry.file_type();
            if ft.is_dir() {
                continue;
            }
            let keep = if tree.files.contains_key(&rel) {
                unchanged.contains(&rel)
            } else {
                !owned.contains(&rel) && rel != INDEX_FILE
            };
            if !keep {
                continue;
            }
            if let Some(parent) = target.parent() {
                fs::create_dir_all(parent)
                    .with_context(|| format!("cannot create `{}`", parent.display()))?;
            }
            if ft.is_symlink() {
                let link = fs::read_link(entry.path())?;
                symlink(&link, &target)
                    .with_context(|| format!("cannot recreate the symlink `{rel}`"))?;
            } else if fs::hard_link(entry.path(), &target).is_err() {
                fs::copy(entry.path(), &target).with_context(|| format!("cannot copy `{rel}`"))?;
            }
        }
    }
    for (path, bytes) in &tree.files {
        if unchanged.contains(path) {
            continue;
        }
        let target = staging.join(path);
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent)
                .with_context(|| format!("cannot create `{}`", parent.display()))?;
        }
        fs::write(&target, bytes)
            .with_context(|| format!("cannot write `{}`", target.display()))?;
    }
    Ok(())
}

#[cfg(unix)]
fn symlink(link: &Path, target: &Path) -> io::Result<()> {
    std::os::unix::fs::symlink(link, target)
}

#[cfg(not(unix))]
fn symlink(_link: &Path, _target: &Path) -> io::Result<()> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "symlinks are not supported here",
    ))
}

/// Puts the staging directory in the place of `out`.
fn swap(out: &Path, staging: &Path) -> anyhow::Result<()> {
    if !out.exists() {
        if let Some(parent) = out.parent() {
            fs::create_dir_all(parent)?;
        }
        fs::rename(staging, out)
            .with_context(|| format!("cannot move the new output into `{}`", out.display()))?;
        return Ok(());
    }
    if exchange(staging, out).is_ok() {
        // `staging` now holds the previous output.
        fs::remove_dir_all(staging).with_context(|| {
            format!(
                "cannot remove the previous output at `{}`",
                staging.display()
            )
        })?;
        return Ok(());
    }
    let old = sibling(out, "kiln-old")?;
    if old.exists() {
        fs::remove_dir_all(&old)?;
    }
    fs::rename(out, &old).with_context(|| format!("cannot move `{}` aside", out.display()))?;
    if let Err(e) = fs::rename(staging, out) {
        let _ = fs::rename(&old, out);
        return Err(e)
            .with_context(|| format!("cannot move the new output into `{}`", out.display()));
    }
    fs::remove_dir_all(&old).with_context(|| format!("cannot remove `{}`", old.display()))?;
    Ok(())
}

/// Atomically exchanges two directories (Linux `renameat2(RENAME_EXCHANGE)`).
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> io::Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let a = CString::new(a.as_os_str().as_bytes())?;
    let b = CString::new(b.as_os_str().as_bytes())?;
    // SAFETY: both paths are valid NUL-terminated strings that outlive the call.
    let rc = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

#[cfg(not(target_os = "linux"))]
fn exchange(_a: &Path, _b: &Path) -> io::Result<()> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "no atomic exchange",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn tree(files: &[(&str, &str)]) -> OutputTree {
        let mut t = OutputTree::default();
        for (p, c) in files {
            t.files.insert(p.to_string(), c.as_bytes().to_vec());
        }
        let index: String = files.iter().map(|(p, _)| format!("{p}\n")).collect();
        t.files.insert(INDEX_FILE.into(), index.into_bytes());
        t
    }

    fn read(dir: &Path) -> BTreeMap<String, String> {
        walkdir::WalkDir::new(dir)
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_file())
            .map(|e| {
                let rel = e
                    .path()
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .to_string();
                (rel, fs::read_to_string(e.path()).unwrap())
            })
            .collect()
    }

    #[test]
    fn writes_replaces_and_keeps_foreign_files() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        apply(&out, &tree(&[("a/x.yaml", "1"), ("b.yaml", "2")])).unwrap();
        fs::write(out.join("README.md"), "mine").unwrap();
        fs::write(out.join("a/notes.txt"), "mine too").unwrap();
        let outcome = apply(&out, &tree(&[("a/x.yaml", "changed"), ("c.yaml", "3")])).unwrap();
        let WriteOutcome::Written(c) = outcome else {
            panic!("expected a write")
        };
        assert_eq!(c.stale, vec![INDEX_FILE, "a/x.yaml"]);
        assert_eq!(c.missing, vec!["c.yaml"]);
        assert_eq!(c.extra, vec!["b.yaml"]);
        let files = read(&out);
        assert_eq!(files.get("a/x.yaml").map(String::as_str), Some("changed"));
        assert_eq!(files.get("c.yaml").map(String::as_str), Some("3"));
        assert_eq!(files.get("README.md").map(String::as_str), Some("mine"));
        assert_eq!(
            files.get("a/notes.txt").map(String::as_str),
            Some("mine too")
        );
        assert!(!files.contains_key("b.yaml"));
        assert!(!tmp.path().join(".out.kiln-staging").exists());
    }

    #[test]
    fn files_kiln_does_not_own_are_never_overwritten() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        fs::create_dir_all(out.join("a")).unwrap();
        fs::write(out.join("a/x.yaml"), "hand-written").unwrap();
        fs::write(out.join("same.yaml"), "1").unwrap();
        let outcome = apply(&out, &tree(&[("a/x.yaml", "kiln's"), ("same.yaml", "1")])).unwrap();
        assert_eq!(outcome, WriteOutcome::Blocked(vec!["a/x.yaml".into()]));
        assert_eq!(
            fs::read_to_string(out.join("a/x.yaml")).unwrap(),
            "hand-written"
        );
        assert!(!out.join(INDEX_FILE).exists());
        // An identical file is simply adopted.
        fs::remove_file(out.join("a/x.yaml")).unwrap();
        assert!(matches!(
            apply(&out, &tree(&[("same.yaml", "1")])).unwrap(),
            WriteOutcome::Written(_)
        ));
        assert!(fs::read_to_string(out.join(INDEX_FILE))
            .unwrap()
            .contains("same.yaml"));
    }

    #[test]
    fn nothing_changed_writes_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        let t = tree(&[("a.yaml", "1")]);
        apply(&out, &t).unwrap();
        let before = fs::metadata(out.join("a.yaml"))
            .unwrap()
            .modified()
            .unwrap();
        assert_eq!(apply(&out, &t).unwrap(), WriteOutcome::Unchanged);
        let after = fs::metadata(out.join("a.yaml"))
            .unwrap()
            .modified()
            .unwrap();
        assert_eq!(before, after);
    }

    #[test]
    fn unsafe_paths_are_refused_before_writing() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        let err = apply(&out, &tree(&[("../escape.yaml", "x")])).unwrap_err();
        assert!(err.to_string().contains("would leave the output directory"));
        assert!(!out.exists());
        assert!(!tmp.path().join("escape.yaml").exists());
    }

    #[test]
    fn a_failure_while_writing_leaves_the_previous_output() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        apply(&out, &tree(&[("a.yaml", "1")])).unwrap();
        let before = read(&out);
        // `x` is both a file and a folder: writing fails halfway through.
        let err = apply(
            &out,
            &tree(&[("a.yaml", "2"), ("x", "file"), ("x/y.yaml", "3")]),
        )
        .unwrap_err();
        assert!(err.to_string().starts_with("cannot"), "{err}");
        assert_eq!(read(&out), before);
        assert!(!tmp.path().join(".out.kiln-staging").exists());
    }

    #[test]
    fn a_leftover_staging_directory_is_cleaned() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        fs::create_dir_all(tmp.path().join(".out.kiln-staging/junk")).unwrap();
        apply(&out, &tree(&[("a.yaml", "1")])).unwrap();
        assert!(!tmp.path().join(".out.kiln-staging").exists());
        assert_eq!(read(&out).len(), 2);
    }
}

//! The output boundary: kiln writes and deletes only inside the output directory, and
//! never through a symbolic link. Every path kiln writes, deletes or reads there is
//! looked at component by component with `symlink_metadata` (which does not follow a
//! link) before it is used; a link, or a file where a folder belongs, stops the build
//! with the path named. kiln's own files next to the output (the lock, the journal, the
//! cache) are read without following links and written through names kiln owns.
//!
//! kiln holds the output's lock while it works, so another kiln cannot change the
//! output meanwhile; another program changing it at the same moment is not defended
//! against.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Read as _};
use std::path::{Component, Path};
use std::sync::Mutex;

use crate::diagnostic::{Code, Diagnostic};

/// What stands at a path inside the output directory, found without following links.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Probe {
    /// Nothing, nor any folder up to it that is missing.
    Absent,
    File(crate::emit::cache::Stamp),
    Dir,
    /// A symbolic link at this path or at the folder named (relative to the output).
    Link(String),
    /// A file (or anything not a folder) where the folder named should be.
    NotDir(String),
    /// A FIFO, socket or device.
    Other,
}

/// Looks at paths inside one output directory, remembering the folders it has seen
/// (so a build with thousands of files looks at each folder once). Shared by threads.
pub struct Prober<'a> {
    out: &'a Path,
    dirs: Mutex<BTreeMap<String, DirState>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum DirState {
    Dir,
    Absent,
    Link,
    NotDir,
}

impl<'a> Prober<'a> {
    pub fn new(out: &'a Path) -> Prober<'a> {
        Prober {
            out,
            dirs: Mutex::new(BTreeMap::new()),
        }
    }

    /// What stands at `rel` (a safe relative path), and whether every folder on the
    /// way is a real folder.
    pub fn probe(&self, rel: &str) -> io::Result<Probe> {
        if let Some((parent, _)) = rel.rsplit_once('/') {
            match self.dir(parent)? {
                (DirState::Dir, _) => {}
                (DirState::Absent, _) => return Ok(Probe::Absent),
                (DirState::Link, at) => return Ok(Probe::Link(at)),
                (DirState::NotDir, at) => return Ok(Probe::NotDir(at)),
            }
        }
        Ok(match lstat(&self.out.join(rel))? {
            None => Probe::Absent,
            Some(m) if m.file_type().is_symlink() => Probe::Link(rel.to_string()),
            Some(m) if m.is_dir() => Probe::Dir,
            Some(m) => match crate::emit::cache::Stamp::from_metadata(&m) {
                Some(stamp) => Probe::File(stamp),
                None => Probe::Other,
            },
        })
    }

    /// The state of the folder `rel` and the path where the walk stopped: each
    /// ancestor is looked at once.
    fn dir(&self, rel: &str) -> io::Result<(DirState, String)> {
        // Most files share a folder already seen: one lookup.
        if self.known(rel) == Some(DirState::Dir) {
            return Ok((DirState::Dir, String::new()));
        }
        let mut at = String::new();
        for seg in rel.split('/') {
            if !at.is_empty() {
                at.push('/');
            }
            at.push_str(seg);
            let state = match self.known(&at) {
                Some(s) => s,
                None => {
                    let s = match lstat(&self.out.join(&at))? {
                        None => DirState::Absent,
                        Some(m) if m.file_type().is_symlink() => DirState::Link,
                        Some(m) if m.is_dir() => DirState::Dir,
                        Some(_) => DirState::NotDir,
                    };
                    self.remember(&at, s.clone());
                    s
                }
            };
            if state != DirState::Dir {
                return Ok((state, at));
            }
        }
        Ok((DirState::Dir, at))
    }

    /// Creates the folder `rel` inside the output and every missing folder on the way,
    /// refusing to go through a link or a file.
    pub fn ensure_dir(&self, rel: &str) -> anyhow::Result<()> {
        let mut at = String::new();
        for seg in rel.split('/') {
            if !at.is_empty() {
                at.push('/');
            }
            at.push_str(seg);
            if self.known(&at) == Some(DirState::Dir) {
                continue;
            }
            let path = self.out.join(&at);
            match lstat(&path)? {
                None => match fs::create_dir(&path) {
                    Ok(()) => {}
                    Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                        if !lstat(&path)?.is_some_and(|m| m.is_dir()) {
                            anyhow::bail!("`{}` is not a folder", path.display());
                        }
                    }
                    Err(e) => {
                        return Err(anyhow::Error::new(e)
                            .context(format!("cannot create `{}`", path.display())))
                    }
                },
                Some(m) if m.file_type().is_symlink() => {
                    anyhow::bail!(
                        "refusing to write through `{}`: it is a symbolic link",
                        path.display()
                    )
                }
                Some(m) if m.is_dir() => {}
                Some(_) => anyhow::bail!("`{}` is not a folder", path.display()),
            }
            self.remember(&at, DirState::Dir);
        }
        Ok(())
    }

    /// What was seen of the folder `at`, if it was looked at.
    fn known(&self, at: &str) -> Option<DirState> {
        self.dirs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(at)
            .cloned()
    }

    fn remember(&self, at: &str, state: DirState) {
        self.dirs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(at.to_string(), state);
    }

    /// Forgets what it knew of the folder `rel` and below (after removing it).
    pub fn forget(&self, rel: &str) {
        let prefix = format!("{rel}/");
        self.dirs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .retain(|k, _| k != rel && !k.starts_with(&prefix));
    }
}

/// `symlink_metadata`, with a missing path (or a file where a folder is expected on
/// the way) as `None`.
pub fn lstat(path: &Path) -> io::Result<Option<fs::Metadata>> {
    match fs::symlink_metadata(path) {
        Ok(m) => Ok(Some(m)),
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
            ) =>
        {
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// The bytes of a regular file, read without following a link and without blocking on
/// a FIFO; `None` when nothing is there. A link, folder or special file is an error.
pub fn read_regular(path: &Path) -> io::Result<Option<Vec<u8>>> {
    match lstat(path)? {
        None => return Ok(None),
        Some(m) if !m.is_file() => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("`{}` is not a regular file", path.display()),
            ))
        }
        Some(_) => {}
    }
    let mut file = open_no_follow(path)?;
    if !file.metadata()?.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("`{}` is not a regular file", path.display()),
        ));
    }
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)?;
    Ok(Some(bytes))
}

#[cfg(unix)]
fn open_no_follow(path: &Path) -> io::Result<fs::File> {
    use std::os::unix::fs::OpenOptionsExt as _;
    fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
}

#[cfg(not(unix))]
fn open_no_follow(path: &Path) -> io::Result<fs::File> {
    fs::File::open(path)
}

/// Creates `path` for writing, new: a link or file already there (left by an
/// interrupted run, or put there by someone) is removed first, never written through.
pub fn create_new(path: &Path) -> io::Result<fs::File> {
    match lstat(path)? {
        Some(m) if m.is_dir() => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("`{}` is a folder", path.display()),
            ))
        }
        Some(_) => fs::remove_file(path)?,
        None => {}
    }
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
}

/// Why the output directory itself cannot be used, as a diagnostic naming it: it, or a
/// folder of the workspace on the way to it, is a link or not a folder. `shown` is the
/// output's name as the user wrote it.
pub fn output_dir_problem(workspace: &Path, out: &Path, shown: &str) -> Option<Diagnostic> {
    // Outside the workspace (which validation refuses), only the folder itself.
    let (mut at, rel) = match out.strip_prefix(workspace) {
        Ok(rel) => (workspace.to_path_buf(), rel),
        Err(_) => (out.parent()?.to_path_buf(), Path::new(out.file_name()?)),
    };
    let mut named = String::new();
    for c in rel.components() {
        let Component::Normal(seg) = c else {
            continue;
        };
        at.push(seg);
        if !named.is_empty() {
            named.push('/');
        }
        named.push_str(&seg.to_string_lossy());
        // Missing from here on: kiln creates it.
        let Ok(Some(m)) = lstat(&at) else {
            return None;
        };
        if m.file_type().is_symlink() {
            return Some(
                Diagnostic::error(Code::OutputLink, format!(
                    "`{named}` is a symbolic link, and kiln writes the output `{shown}` only into a folder of the workspace"
                ))
                .in_file(named.clone())
                .hint("replace the link with a folder, or remove it: kiln never writes through a link"),
            );
        }
        if !m.is_dir() {
            return Some(
                Diagnostic::error(
                    Code::OutputNotAFolder,
                    format!("`{named}` is not a folder, and the output `{shown}` goes there"),
                )
                .in_file(named.clone())
                .hint("move the file away, or set `outputDir` in kiln.yaml to another folder"),
            );
        }
    }
    None
}

/// Makes a directory's entries (a rename into it, a removal) survive a power cut.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        fs::File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write as _;

    #[cfg(unix)]
    #[test]
    fn links_and_files_on_the_way_are_seen_without_following_them() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        let outside = tmp.path().join("outside");
        fs::create_dir_all(out.join("a/b")).unwrap();
        fs::create_dir_all(&outside).unwrap();
        fs::write(outside.join("x.yaml"), "outside").unwrap();
        fs::write(out.join("a/b/c.yaml"), "in").unwrap();
        fs::write(out.join("a/file"), "a file").unwrap();
        std::os::unix::fs::symlink(&outside, out.join("a/link")).unwrap();
        std::os::unix::fs::symlink(outside.join("x.yaml"), out.join("a/ln.yaml")).unwrap();
        let p = Prober::new(&out);
        assert!(matches!(p.probe("a/b/c.yaml").unwrap(), Probe::File(_)));
        assert_eq!(p.probe("a/b").unwrap(), Probe::Dir);
        assert_eq!(p.probe("a/b/none.yaml").unwrap(), Probe::Absent);
        assert_eq!(p.probe("none/x/y.yaml").unwrap(), Probe::Absent);
        assert_eq!(
            p.probe("a/link/x.yaml").unwrap(),
            Probe::Link("a/link".into())
        );
        assert_eq!(
            p.probe("a/ln.yaml").unwrap(),
            Probe::Link("a/ln.yaml".into())
        );
        assert_eq!(
            p.probe("a/file/x/y.yaml").unwrap(),
            Probe::NotDir("a/file".into())
        );
        let err = p.ensure_dir("a/link/new").unwrap_err();
        assert!(err.to_string().contains("symbolic link"), "{err}");
        assert!(!outside.join("new").exists());
        p.ensure_dir("a/b/new/deeper").unwrap();
        assert!(out.join("a/b/new/deeper").is_dir());
    }

    #[cfg(unix)]
    #[test]
    fn reading_and_creating_never_follow_a_link() {
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("target");
        fs::write(&target, "secret").unwrap();
        let link = tmp.path().join("link");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        assert!(read_regular(&link).is_err());
        assert_eq!(read_regular(&tmp.path().join("none")).unwrap(), None);
        assert_eq!(read_regular(&target).unwrap().unwrap(), b"secret");
        create_new(&link).unwrap().write_all(b"mine").unwrap();
        assert_eq!(fs::read_to_string(&target).unwrap(), "secret");
        assert_eq!(fs::read_to_string(&link).unwrap(), "mine");
    }

    #[cfg(unix)]
    #[test]
    fn an_output_dir_that_is_a_link_is_named() {
        let tmp = tempfile::tempdir().unwrap();
        let ws = tmp.path().join("ws");
        fs::create_dir_all(ws.join("build")).unwrap();
        std::os::unix::fs::symlink(tmp.path(), ws.join("out")).unwrap();
        let d = output_dir_problem(&ws, &ws.join("out"), "out/").unwrap();
        assert_eq!(d.file.as_deref(), Some("out"));
        assert_eq!(
            d.message,
            "`out` is a symbolic link, and kiln writes the output `out/` only into a folder of the workspace"
        );
        fs::write(ws.join("build/file"), "").unwrap();
        let d = output_dir_problem(&ws, &ws.join("build/file/out"), "build/file/out/").unwrap();
        assert_eq!(d.file.as_deref(), Some("build/file"));
        assert!(output_dir_problem(&ws, &ws.join("build/out"), "build/out/").is_none());
        assert!(output_dir_problem(&ws, &ws.join("new/out"), "new/out/").is_none());
        // Outside the workspace, the folder itself is still looked at.
        let d = output_dir_problem(&ws.join("build"), &ws.join("out"), "../out/").unwrap();
        assert_eq!(d.file.as_deref(), Some("out"));
    }
}

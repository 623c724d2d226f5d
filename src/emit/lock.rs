//! The output's lock, `.<out>.kiln-lock` next to the output: a build holds it
//! exclusively from before it reads the cache until the output and the cache are
//! written; a command that only reads the output (`check`, `build --check`, `diff`,
//! `publish`) holds it shared. So builds on one workspace run one after the other, and
//! no command reads an output a build is changing. Taking the lock also finishes what
//! an interrupted build left (see `journal`). The lock is the operating system's file
//! lock: it goes with the process, however it ends. The file itself stays.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::Context as _;

use super::boundary;
use super::journal::{self, Recovered};
use super::sibling;
use crate::diagnostic::Diagnostic;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Reads the output: shared.
    Read,
    /// Writes the output: exclusive.
    Write,
}

/// A held lock, released when dropped.
#[derive(Debug)]
pub struct Guard {
    _file: Option<fs::File>,
    /// What an interrupted build had left, put right on the way.
    pub recovered: Recovered,
}

/// The lock file of an output directory.
pub fn path(out: &Path) -> anyhow::Result<PathBuf> {
    sibling(out, "kiln-lock")
}

/// Takes the output's lock, waiting for another kiln that holds it (after calling
/// `waiting` once), and finishes what an interrupted build left. `Err` inside: the
/// output directory cannot be used, as a diagnostic (`shown` names the output).
pub fn acquire(
    workspace: &Path,
    out: &Path,
    shown: &str,
    access: Access,
    waiting: &dyn Fn(&Path),
) -> anyhow::Result<Result<Guard, Diagnostic>> {
    if let Some(d) = boundary::output_dir_problem(workspace, out, shown) {
        return Ok(Err(d));
    }
    let lock_path = path(out)?;
    let Some(file) = open_lock(out, &lock_path, access)? else {
        return Ok(Ok(Guard {
            _file: None,
            recovered: Recovered::Nothing,
        }));
    };
    let mut waiter = Waiter {
        file: &file,
        path: &lock_path,
        waiting,
        told: false,
    };
    let recovered = match access {
        Access::Write => {
            waiter.wait(false)?;
            journal::recover(out)?
        }
        Access::Read => read_lock(&mut waiter, out)?,
    };
    Ok(Ok(Guard {
        _file: Some(file),
        recovered,
    }))
}

/// The lock file, opened (its folder created for a writer); `None` when a reader needs
/// no lock: there is no output, or the lock file cannot be written and no build is
/// pending.
fn open_lock(out: &Path, lock_path: &Path, access: Access) -> anyhow::Result<Option<fs::File>> {
    let parent = lock_path.parent().unwrap_or(Path::new("."));
    if boundary::lstat(parent)?.is_none() {
        if access == Access::Read {
            // No output, nothing to read or finish.
            return Ok(None);
        }
        fs::create_dir_all(parent)
            .with_context(|| format!("cannot create `{}`", parent.display()))?;
    }
    match open(lock_path) {
        Ok(f) => Ok(Some(f)),
        // A workspace kiln may not write to is one no kiln is building in.
        Err(e)
            if access == Access::Read
                && matches!(
                    e.kind(),
                    std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::ReadOnlyFilesystem
                )
                && !journal::pending(out)? =>
        {
            Ok(None)
        }
        Err(e) => Err(e).with_context(|| format!("cannot open `{}`", lock_path.display())),
    }
}

/// Takes the lock of the lock file, telling `waiting` once when another kiln holds it.
struct Waiter<'a> {
    file: &'a fs::File,
    path: &'a Path,
    waiting: &'a dyn Fn(&Path),
    told: bool,
}

impl Waiter<'_> {
    /// Takes the lock, shared or to itself, waiting as long as it takes.
    fn wait(&mut self, shared: bool) -> anyhow::Result<()> {
        let tried = if shared {
            self.file.try_lock_shared()
        } else {
            self.file.try_lock()
        };
        match tried {
            Ok(()) => return Ok(()),
            Err(fs::TryLockError::WouldBlock) => {}
            Err(fs::TryLockError::Error(e)) => {
                return Err(e).with_context(|| format!("cannot lock `{}`", self.path.display()))
            }
        }
        if !self.told {
            (self.waiting)(self.path);
            self.told = true;
        }
        if shared {
            self.file.lock_shared()
        } else {
            self.file.lock()
        }
        .with_context(|| format!("cannot lock `{}`", self.path.display()))
    }

    /// Lets the lock go.
    fn unlock(&self) -> anyhow::Result<()> {
        self.file
            .unlock()
            .with_context(|| format!("cannot unlock `{}`", self.path.display()))
    }
}

/// A reader's lock: shared, but while a build is pending it takes the lock to itself
/// to finish the build, and starts over. Says what it put right.
fn read_lock(waiter: &mut Waiter, out: &Path) -> anyhow::Result<Recovered> {
    let mut recovered = Recovered::Nothing;
    loop {
        waiter.wait(true)?;
        if !journal::pending(out)? {
            break;
        }
        // Finishing needs the lock to itself.
        waiter.unlock()?;
        waiter.wait(false)?;
        let r = journal::recover(out)?;
        if r != Recovered::Nothing {
            recovered = r;
        }
        waiter.unlock()?;
    }
    Ok(recovered)
}

/// Opens (creating) the lock file, never through a link.
fn open(path: &Path) -> std::io::Result<fs::File> {
    if let Some(m) = boundary::lstat(path)? {
        if !m.is_file() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!(
                    "`{}` is not a regular file (a link or a folder is never followed)",
                    path.display()
                ),
            ));
        }
    }
    let mut options = fs::OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    options.open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_held_lock_makes_the_next_one_wait() {
        let tmp = tempfile::tempdir().unwrap();
        let ws = tmp.path();
        let out = ws.join("out");
        let first = acquire(ws, &out, "out/", Access::Write, &|_| panic!("free"))
            .unwrap()
            .unwrap();
        let told = std::sync::atomic::AtomicBool::new(false);
        let released = std::sync::atomic::AtomicBool::new(false);
        std::thread::scope(|s| {
            let second = s.spawn(|| {
                acquire(ws, &out, "out/", Access::Read, &|p| {
                    assert_eq!(p, ws.join(".out.kiln-lock"));
                    told.store(true, std::sync::atomic::Ordering::SeqCst);
                })
                .unwrap()
                .unwrap();
                assert!(released.load(std::sync::atomic::Ordering::SeqCst));
            });
            while !told.load(std::sync::atomic::Ordering::SeqCst) {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            released.store(true, std::sync::atomic::Ordering::SeqCst);
            drop(first);
            second.join().unwrap();
        });
    }

    #[test]
    fn readers_share_the_lock() {
        let tmp = tempfile::tempdir().unwrap();
        let ws = tmp.path();
        let out = ws.join("out");
        fs::create_dir_all(&out).unwrap();
        let a = acquire(ws, &out, "out/", Access::Read, &|_| panic!("shared"));
        let b = acquire(ws, &out, "out/", Access::Read, &|_| panic!("shared"));
        assert!(a.unwrap().is_ok() && b.unwrap().is_ok());
    }

    #[cfg(unix)]
    #[test]
    fn a_lock_file_that_is_a_link_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let ws = tmp.path().join("ws");
        fs::create_dir_all(&ws).unwrap();
        std::os::unix::fs::symlink(tmp.path().join("elsewhere"), ws.join(".out.kiln-lock"))
            .unwrap();
        let err = acquire(&ws, &ws.join("out"), "out/", Access::Write, &|_| {}).unwrap_err();
        assert!(
            format!("{err:#}").contains("is not a regular file"),
            "{err:#}"
        );
        assert!(!tmp.path().join("elsewhere").exists());
    }
}

//! Reading one workspace path safely: only regular files inside the canonical root,
//! no larger than [`MAX_FILE_BYTES`], valid UTF-8; listing an input folder without
//! following symlinked folders.

use std::fs;
use std::io::Read as _;
use std::path::{Path, PathBuf};

use super::{Loader, SourceFile, MAX_FILE_BYTES};
use crate::diagnostic::{Code, Diagnostic};

impl Loader {
    /// Where a workspace path leads, all symlinks resolved, if it stays inside the
    /// workspace; a diagnostic when it leads outside or nowhere.
    pub(super) fn resolve(&self, rel: &str) -> Result<PathBuf, Box<Diagnostic>> {
        let path = self.root.join(rel);
        match path.canonicalize() {
            Ok(target) if target.starts_with(&self.root) => Ok(target),
            Ok(_) => Err(Box::new(
                Diagnostic::error(Code::OutsideWorkspace,
                    "path leads outside the workspace through a symlink, so kiln does not read it",
                )
                .in_file(rel)
                .hint("kiln reads only files inside the workspace; copy the file or folder in instead"),
            )),
            Err(e) => Err(Box::new(
                Diagnostic::error(Code::UnreadableFile, format!("cannot read file: {e}")).in_file(rel),
            )),
        }
    }

    /// An input folder of the workspace (`templates`, `tenants`, …): `None` when it does
    /// not exist, or is refused (a symlink leading outside, a file in its place).
    pub(super) fn input_dir(&mut self, rel: &str) -> Option<PathBuf> {
        fs::symlink_metadata(self.root.join(rel)).ok()?;
        match self.resolve(rel) {
            Ok(target) if target.is_dir() => Some(target),
            Ok(_) => {
                self.problem(
                    Diagnostic::error(Code::NotAFolder, format!("`{rel}` is not a folder"))
                        .in_file(rel)
                        .hint(format!(
                            "kiln reads `{rel}/` as a folder of inputs; move the file away"
                        )),
                );
                None
            }
            Err(d) => {
                self.problem(d.in_file(format!("{rel}/")));
                None
            }
        }
    }

    /// Reads one workspace file: only a regular file inside the workspace (symlinks
    /// resolved), no larger than [`MAX_FILE_BYTES`], valid UTF-8. A FIFO, a device or a
    /// socket is refused without being opened; a leading byte-order mark is dropped.
    pub(super) fn read(&mut self, rel: &str) -> Option<SourceFile> {
        match self.read_checked(rel) {
            Ok(file) => Some(file),
            Err(d) => {
                self.problem(*d);
                None
            }
        }
    }

    pub(super) fn read_checked(&self, rel: &str) -> Result<SourceFile, Box<Diagnostic>> {
        let target = self.resolve(rel)?;
        let meta = fs::metadata(&target).map_err(|e| {
            Box::new(
                Diagnostic::error(Code::UnreadableFile, format!("cannot read file: {e}"))
                    .in_file(rel),
            )
        })?;
        if let Some(what) = not_regular(&meta) {
            return Err(Box::new(
                Diagnostic::error(
                    Code::NotARegularFile,
                    format!("`{rel}` is {what}, not a regular file"),
                )
                .in_file(rel)
                .hint(if meta.is_dir() {
                    "kiln expects a file here; move the folder away"
                } else {
                    "kiln reads only regular files; replace it with a file"
                }),
            ));
        }
        let too_big = |len: u64| {
            Box::new(
                Diagnostic::error(
                    Code::FileTooLarge,
                    format!("file is {len} bytes, over the limit of {MAX_FILE_BYTES} bytes"),
                )
                .in_file(rel)
                .hint("kiln refuses very large inputs; split the file or remove generated content"),
            )
        };
        if meta.len() > MAX_FILE_BYTES {
            return Err(too_big(meta.len()));
        }
        let cannot = |e: std::io::Error| {
            Box::new(
                Diagnostic::error(Code::UnreadableFile, format!("cannot read file: {e}"))
                    .in_file(rel),
            )
        };
        let file = open_nonblocking(&target).map_err(cannot)?;
        // The file may have changed since it was looked at: look again at what was
        // opened, and never read more than the limit.
        let opened = file.metadata().map_err(cannot)?;
        if not_regular(&opened).is_some() {
            return Err(Box::new(
                Diagnostic::error(
                    Code::NotARegularFile,
                    format!("`{rel}` is not a regular file"),
                )
                .in_file(rel),
            ));
        }
        let mut bytes = Vec::with_capacity(opened.len().min(MAX_FILE_BYTES) as usize);
        file.take(MAX_FILE_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(cannot)?;
        if bytes.len() as u64 > MAX_FILE_BYTES {
            return Err(too_big(bytes.len() as u64));
        }
        let text = String::from_utf8(bytes).map_err(|_| {
            Box::new(Diagnostic::error(Code::NotUtf8, "file is not valid UTF-8").in_file(rel))
        })?;
        let text = match text.strip_prefix('\u{feff}') {
            Some(rest) => rest.to_string(),
            None => text,
        };
        Ok(SourceFile {
            path: rel.to_string(),
            text,
        })
    }

    /// Files under the input folder `base` (resolved to `dir`), relative to it, sorted.
    /// Symlinked folders are not followed (a warning, an error when they lead outside
    /// the workspace); a folder named like a file (`catalog.yaml/`) is an error; other
    /// entries are listed and refused when read if they are not regular files.
    pub(super) fn list_files(&mut self, base: &str, dir: &Path) -> Vec<String> {
        let mut out = Vec::new();
        let mut walk = walkdir::WalkDir::new(dir)
            .follow_links(false)
            .sort_by_file_name()
            .into_iter();
        while let Some(entry) = walk.next() {
            let entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    self.problem(
                        Diagnostic::error(
                            Code::UnreadableFile,
                            format!("cannot list the folder: {e}"),
                        )
                        .in_file(format!("{base}/")),
                    );
                    continue;
                }
            };
            let Ok(rel) = entry.path().strip_prefix(dir) else {
                continue;
            };
            if rel.as_os_str().is_empty() {
                continue;
            }
            let rel = rel.to_string_lossy().replace('\\', "/");
            let shown = format!("{base}/{rel}");
            let t = entry.file_type();
            if t.is_dir() {
                if FILE_EXTENSIONS.iter().any(|ext| rel.ends_with(ext)) {
                    self.problem(
                        Diagnostic::error(Code::FolderForFile, format!("`{shown}` is a folder where kiln expects a file"))
                            .in_file(format!("{shown}/"))
                            .hint("kiln does not read files inside it; replace the folder with the file it is named for"),
                    );
                    walk.skip_current_dir();
                }
            } else if t.is_symlink() {
                match self.resolve(&shown) {
                    Ok(target) if target.is_dir() => self.problem(
                        Diagnostic::warning(
                            Code::SymlinkedFolder,
                            "symlinked directory is not followed",
                        )
                        .in_file(shown),
                    ),
                    Ok(_) => out.push(rel),
                    Err(d) => self.problem(*d),
                }
            } else {
                out.push(rel);
            }
        }
        out
    }
}

/// Endings of the files kiln reads: a folder with one of these names stands where a
/// file belongs.
const FILE_EXTENSIONS: [&str; 5] = [".yaml", ".yml", ".json", ".j2", ".proto"];

/// What a file that is not a regular file is, for a message: `None` for a regular file.
fn not_regular(meta: &fs::Metadata) -> Option<&'static str> {
    let t = meta.file_type();
    if t.is_file() {
        return None;
    }
    if t.is_dir() {
        return Some("a folder");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        if t.is_fifo() {
            return Some("a FIFO");
        }
        if t.is_socket() {
            return Some("a socket");
        }
        if t.is_block_device() || t.is_char_device() {
            return Some("a device");
        }
    }
    Some("not a regular file")
}

/// Opens a file for reading without blocking on it, should it have become a FIFO
/// between looking and opening.
fn open_nonblocking(path: &Path) -> std::io::Result<fs::File> {
    let mut options = fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.custom_flags(libc::O_NONBLOCK);
    }
    options.open(path)
}

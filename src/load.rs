//! Stage 1, at the I/O edge: read the workspace's files from disk (and the defaults
//! embedded in the binary) into memory. Nothing after this stage touches the filesystem
//! until `emit` writes the output.

use std::collections::BTreeMap;
use std::fs;
use std::io::Read as _;
use std::path::{Path, PathBuf};

use include_dir::{include_dir, Dir};

use crate::diagnostic::{Code, Diagnostic};

/// The largest input file kiln reads.
pub const MAX_FILE_BYTES: u64 = 1024 * 1024;

/// The root workspace's `templates/`, built into the binary.
static EMBEDDED_TEMPLATES: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/templates");

/// Prefix of the paths of embedded files in messages.
pub const EMBEDDED_PREFIX: &str = "kiln:";

/// The text of one input file. `path` is workspace-relative with `/` separators, or
/// `kiln:templates/...` for an embedded default.
#[derive(Clone, Debug)]
pub struct SourceFile {
    pub path: String,
    pub text: String,
}

/// One tenant spec; `stem` is the file name without `.yaml`/`.yml`, not yet checked.
#[derive(Clone, Debug)]
pub struct TenantSource {
    pub stem: String,
    pub file: SourceFile,
}

/// The files of one pipeline, `blueprints/<name>/`.
#[derive(Clone, Debug)]
pub struct BlueprintSource {
    /// The folder's name, not yet checked.
    pub name: String,
    pub blueprint: Option<SourceFile>,
    pub settings: Option<SourceFile>,
    /// `microservice/<container_name>.proto` files, by `container_name`.
    pub protos: BTreeMap<String, SourceFile>,
}

/// Everything kiln reads from a workspace.
#[derive(Debug, Default)]
pub struct Sources {
    pub root: PathBuf,
    pub settings: Option<SourceFile>,
    pub catalog: Option<SourceFile>,
    /// Environment overlays by name (the file stem).
    pub environments: BTreeMap<String, SourceFile>,
    /// Object templates by name: their path under `templates/`.
    pub templates: BTreeMap<String, SourceFile>,
    pub tenants: Vec<TenantSource>,
    /// CustomResourceDefinitions from `crds/`.
    pub crds: Vec<SourceFile>,
    /// Pipelines from `blueprints/`.
    pub blueprints: Vec<BlueprintSource>,
    pub problems: Vec<Diagnostic>,
}

impl Sources {
    /// Every file's text by path, for showing source lines in diagnostics.
    pub fn texts(&self) -> BTreeMap<String, String> {
        let mut map = BTreeMap::new();
        let files = self
            .settings
            .iter()
            .chain(self.catalog.iter())
            .chain(self.environments.values())
            .chain(self.templates.values())
            .chain(self.tenants.iter().map(|t| &t.file))
            .chain(self.crds.iter())
            .chain(
                self.blueprints
                    .iter()
                    .flat_map(|b| b.blueprint.iter().chain(b.settings.iter())),
            );
        for f in files {
            map.insert(f.path.clone(), f.text.clone());
        }
        map
    }
}

/// Reads a workspace. Problems with individual files (too large, not UTF-8, a symlink
/// leading outside the workspace) are diagnostics; failing to read the workspace at all
/// is an error.
pub fn load(root: &Path) -> anyhow::Result<Sources> {
    let canonical_root = root
        .canonicalize()
        .map_err(|e| anyhow::anyhow!("cannot open workspace `{}`: {e}", root.display()))?;
    let mut loader = Loader {
        root: canonical_root,
        sources: Sources {
            root: root.to_path_buf(),
            ..Sources::default()
        },
    };
    loader.load_settings();
    loader.load_embedded_templates();
    loader.load_workspace_templates();
    // The embedded environment overlays belong to the embedded catalog.
    let own_catalog = loader
        .sources
        .catalog
        .as_ref()
        .is_some_and(|c| !c.path.starts_with(EMBEDDED_PREFIX));
    if own_catalog {
        loader
            .sources
            .environments
            .retain(|_, f| !f.path.starts_with(EMBEDDED_PREFIX));
    }
    loader.load_tenants();
    loader.load_crds();
    loader.load_blueprints();
    Ok(loader.sources)
}

struct Loader {
    root: PathBuf,
    sources: Sources,
}

impl Loader {
    fn problem(&mut self, d: Diagnostic) {
        self.sources.problems.push(d);
    }

    fn load_settings(&mut self) {
        let path = self.root.join("kiln.yaml");
        if fs::symlink_metadata(&path).is_err() {
            self.problem(
                Diagnostic::error(Code::NotAWorkspace, "no `kiln.yaml` in this directory, so it is not a kiln workspace")
                    .in_file("kiln.yaml")
                    .hint("run kiln in a workspace, or pass one: `kiln build --workspace <dir>`; `docs/workspace.md` describes the format"),
            );
            return;
        }
        self.sources.settings = self.read("kiln.yaml");
    }

    /// Where a workspace path leads, all symlinks resolved, if it stays inside the
    /// workspace; a diagnostic when it leads outside or nowhere.
    fn resolve(&self, rel: &str) -> Result<PathBuf, Box<Diagnostic>> {
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
    fn input_dir(&mut self, rel: &str) -> Option<PathBuf> {
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
    fn read(&mut self, rel: &str) -> Option<SourceFile> {
        match self.read_checked(rel) {
            Ok(file) => Some(file),
            Err(d) => {
                self.problem(*d);
                None
            }
        }
    }

    fn read_checked(&self, rel: &str) -> Result<SourceFile, Box<Diagnostic>> {
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

    fn load_embedded_templates(&mut self) {
        let mut files = Vec::new();
        collect_embedded(&EMBEDDED_TEMPLATES, &mut files);
        for (rel, text) in files {
            let file = SourceFile {
                path: format!("{EMBEDDED_PREFIX}templates/{rel}"),
                text,
            };
            self.place_template(&rel, file);
        }
    }

    fn load_workspace_templates(&mut self) {
        let Some(dir) = self.input_dir("templates") else {
            return;
        };
        for rel in self.list_files("templates", &dir) {
            let workspace_rel = format!("templates/{rel}");
            if let Some(file) = self.read(&workspace_rel) {
                self.place_template(&rel, file);
            }
        }
    }

    /// Sorts a file under `templates/` into the catalog, an environment overlay, or an
    /// object template. A workspace file replaces the embedded file of the same path.
    fn place_template(&mut self, rel: &str, file: SourceFile) {
        if rel == "catalog.yaml" {
            self.sources.catalog = Some(file);
        } else if let Some(name) = rel
            .strip_prefix("environments/")
            .and_then(|r| r.strip_suffix(".yaml"))
            .filter(|n| !n.contains('/'))
        {
            self.sources.environments.insert(name.to_string(), file);
        } else if rel.ends_with(".j2") {
            self.sources.templates.insert(rel.to_string(), file);
        } else if !rel.rsplit('/').next().unwrap_or(rel).starts_with('.') && !rel.ends_with(".md") {
            let path = file.path.clone();
            self.problem(
                Diagnostic::warning(Code::IgnoredFile, "file in `templates/` is not used")
                    .in_file(path)
                    .hint("kiln reads `catalog.yaml`, `environments/<env>.yaml` and `*.j2` templates there"),
            );
        }
    }

    /// Files under the input folder `base` (resolved to `dir`), relative to it, sorted.
    /// Symlinked folders are not followed (a warning, an error when they lead outside
    /// the workspace); a folder named like a file (`catalog.yaml/`) is an error; other
    /// entries are listed and refused when read if they are not regular files.
    fn list_files(&mut self, base: &str, dir: &Path) -> Vec<String> {
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

    fn load_tenants(&mut self) {
        let Some(dir) = self.input_dir("tenants") else {
            return;
        };
        for rel in self.list_files("tenants", &dir) {
            let workspace_rel = format!("tenants/{rel}");
            let stem = rel
                .strip_suffix(".yaml")
                .or_else(|| rel.strip_suffix(".yml"))
                .map(str::to_string);
            let Some(stem) = stem else {
                let hidden = rel.rsplit('/').next().unwrap_or(&rel).starts_with('.');
                if !hidden && !rel.ends_with(".md") {
                    self.problem(
                        Diagnostic::warning(
                            Code::IgnoredFile,
                            "file in `tenants/` is not a tenant spec and is ignored",
                        )
                        .in_file(workspace_rel)
                        .hint("tenant specs are `tenants/<name>.yaml`"),
                    );
                }
                continue;
            };
            if let Some(file) = self.read(&workspace_rel) {
                self.sources.tenants.push(TenantSource { stem, file });
            }
        }
    }
}

impl Loader {
    /// Each folder of `blueprints/` is a pipeline: `blueprint.json`, an optional
    /// `pipeline.yaml`, and `.proto` files under `microservice/` (the layout of an
    /// exported `solution.zip`). Anything else in the folder is ignored, with a note.
    fn load_blueprints(&mut self) {
        let Some(dir) = self.input_dir("blueprints") else {
            return;
        };
        let Ok(entries) = fs::read_dir(&dir) else {
            return;
        };
        let mut folders: Vec<String> = Vec::new();
        for e in entries.filter_map(Result::ok) {
            let name = e.file_name().to_string_lossy().to_string();
            if name.starts_with('.') {
                continue;
            }
            match e.file_type() {
                Ok(t) if t.is_dir() => folders.push(name),
                Ok(t) if t.is_symlink() => match self.resolve(&format!("blueprints/{name}")) {
                    Ok(target) if target.is_dir() => self.problem(
                        Diagnostic::warning(
                            Code::SymlinkedFolder,
                            "symlinked directory is not followed",
                        )
                        .in_file(format!("blueprints/{name}")),
                    ),
                    Ok(_) => {}
                    Err(d) => self.problem(*d),
                },
                _ => {}
            }
        }
        folders.sort();
        for name in folders {
            let folder = dir.join(&name);
            let mut source = BlueprintSource {
                name: name.clone(),
                blueprint: None,
                settings: None,
                protos: BTreeMap::new(),
            };
            for rel in self.list_files(&format!("blueprints/{name}"), &folder) {
                let path = format!("blueprints/{name}/{rel}");
                if rel == "blueprint.json" {
                    source.blueprint = self.read(&path);
                } else if rel == "pipeline.yaml" {
                    source.settings = self.read(&path);
                } else if let Some(node) = rel
                    .strip_prefix("microservice/")
                    .and_then(|r| r.strip_suffix(".proto"))
                {
                    if let Some(f) = self.read(&path) {
                        source.protos.insert(node.to_string(), f);
                    }
                } else if !rel.rsplit('/').next().unwrap_or(&rel).starts_with('.')
                    && !rel.ends_with(".md")
                {
                    // Notes for people (`README.md`) are expected, as in `templates/`.
                    self.problem(
                        Diagnostic::info(Code::IgnoredFile, "file is ignored; kiln builds the pipeline from `blueprint.json`, `pipeline.yaml` and `microservice/*.proto`")
                            .in_file(path),
                    );
                }
            }
            if source.blueprint.is_none() {
                self.problem(
                    Diagnostic::error(Code::NoBlueprint, "pipeline folder has no `blueprint.json`")
                        .in_file(format!("blueprints/{name}/"))
                        .hint("export the pipeline from the designer and unzip it here, or remove the folder"),
                );
            }
            self.sources.blueprints.push(source);
        }
    }

    fn load_crds(&mut self) {
        let Some(dir) = self.input_dir("crds") else {
            return;
        };
        for rel in self.list_files("crds", &dir) {
            if [".yaml", ".yml", ".json"]
                .iter()
                .any(|ext| rel.ends_with(ext))
            {
                if let Some(file) = self.read(&format!("crds/{rel}")) {
                    self.sources.crds.push(file);
                }
            }
        }
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

fn collect_embedded(dir: &Dir<'static>, out: &mut Vec<(String, String)>) {
    for file in dir.files() {
        if let Some(text) = file.contents_utf8() {
            let rel = file.path().to_string_lossy().replace('\\', "/");
            out.push((rel, text.to_string()));
        }
    }
    for sub in dir.dirs() {
        collect_embedded(sub, out);
    }
}

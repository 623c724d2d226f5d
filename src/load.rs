//! Stage 1, at the I/O edge: read the workspace's files from disk (and the defaults
//! embedded in the binary) into memory. Nothing after this stage touches the filesystem
//! until `emit` writes the output.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use include_dir::{include_dir, Dir};

use crate::diagnostic::Diagnostic;

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
        if !path.exists() {
            self.problem(
                Diagnostic::error("no `kiln.yaml` in this directory, so it is not a kiln workspace")
                    .in_file("kiln.yaml")
                    .hint("run kiln in a workspace, or pass one: `kiln build --workspace <dir>`; `docs/workspace.md` describes the format"),
            );
            return;
        }
        self.sources.settings = self.read("kiln.yaml");
    }

    /// Reads one workspace file, checking symlinks, size and encoding.
    fn read(&mut self, rel: &str) -> Option<SourceFile> {
        let path = self.root.join(rel);
        let meta = match fs::symlink_metadata(&path) {
            Ok(m) => m,
            Err(e) => {
                self.problem(Diagnostic::error(format!("cannot read file: {e}")).in_file(rel));
                return None;
            }
        };
        if meta.file_type().is_symlink() {
            match path.canonicalize() {
                Ok(target) if target.starts_with(&self.root) => {}
                Ok(_) => {
                    self.problem(
                        Diagnostic::error("file is a symlink to a place outside the workspace")
                            .in_file(rel)
                            .hint("kiln reads only files inside the workspace; copy the file in instead"),
                    );
                    return None;
                }
                Err(e) => {
                    self.problem(
                        Diagnostic::error(format!("file is a broken symlink: {e}")).in_file(rel),
                    );
                    return None;
                }
            }
        }
        let len = fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        if len > MAX_FILE_BYTES {
            self.problem(
                Diagnostic::error(format!(
                    "file is {len} bytes, over the limit of {MAX_FILE_BYTES} bytes"
                ))
                .in_file(rel)
                .hint("kiln refuses very large inputs; split the file or remove generated content"),
            );
            return None;
        }
        match fs::read(&path) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => Some(SourceFile {
                    path: rel.to_string(),
                    text,
                }),
                Err(_) => {
                    self.problem(Diagnostic::error("file is not valid UTF-8").in_file(rel));
                    None
                }
            },
            Err(e) => {
                self.problem(Diagnostic::error(format!("cannot read file: {e}")).in_file(rel));
                None
            }
        }
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
        let dir = self.root.join("templates");
        if !dir.is_dir() {
            return;
        }
        for rel in self.list_files(&dir) {
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
                Diagnostic::warning("file in `templates/` is not used")
                    .in_file(path)
                    .hint("kiln reads `catalog.yaml`, `environments/<env>.yaml` and `*.j2` templates there"),
            );
        }
    }

    /// Files under `dir`, relative to it, sorted, with symlinks to directories refused.
    fn list_files(&mut self, dir: &Path) -> Vec<String> {
        let mut out = Vec::new();
        for entry in walkdir::WalkDir::new(dir)
            .follow_links(false)
            .sort_by_file_name()
        {
            let entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    self.problem(Diagnostic::error(format!(
                        "cannot list `{}`: {e}",
                        dir.display()
                    )));
                    continue;
                }
            };
            let Ok(rel) = entry.path().strip_prefix(dir) else {
                continue;
            };
            let rel = rel.to_string_lossy().replace('\\', "/");
            if entry.file_type().is_file() {
                out.push(rel);
            } else if entry.file_type().is_symlink() {
                if entry.path().is_dir() {
                    let shown = format!(
                        "{}/{rel}",
                        dir.strip_prefix(&self.root)
                            .unwrap_or(dir)
                            .to_string_lossy()
                    );
                    self.problem(
                        Diagnostic::warning("symlinked directory is not followed").in_file(shown),
                    );
                } else {
                    out.push(rel);
                }
            }
        }
        out
    }

    fn load_tenants(&mut self) {
        let dir = self.root.join("tenants");
        if !dir.is_dir() {
            return;
        }
        for rel in self.list_files(&dir) {
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
        let dir = self.root.join("blueprints");
        let Ok(entries) = fs::read_dir(&dir) else {
            return;
        };
        let mut folders: Vec<String> = entries
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
            .map(|e| e.file_name().to_string_lossy().to_string())
            .filter(|n| !n.starts_with('.'))
            .collect();
        folders.sort();
        for name in folders {
            let folder = dir.join(&name);
            let mut source = BlueprintSource {
                name: name.clone(),
                blueprint: None,
                settings: None,
                protos: BTreeMap::new(),
            };
            for rel in self.list_files(&folder) {
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
                } else if !rel.rsplit('/').next().unwrap_or(&rel).starts_with('.') {
                    self.problem(
                        Diagnostic::info("file is ignored; kiln builds the pipeline from `blueprint.json`, `pipeline.yaml` and `microservice/*.proto`")
                            .in_file(path),
                    );
                }
            }
            if source.blueprint.is_none() {
                self.problem(
                    Diagnostic::error("pipeline folder has no `blueprint.json`")
                        .in_file(format!("blueprints/{name}/"))
                        .hint("export the pipeline from the designer and unzip it here, or remove the folder"),
                );
            }
            self.sources.blueprints.push(source);
        }
    }

    fn load_crds(&mut self) {
        let dir = self.root.join("crds");
        if !dir.is_dir() {
            return;
        }
        for rel in self.list_files(&dir) {
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

//! Stage 1, at the I/O edge: read the workspace's files from disk (and the defaults
//! embedded in the binary) into memory. Nothing after this stage touches the filesystem
//! until `emit` writes the output.

mod files;
mod templates;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use crate::diagnostic::{Code, Diagnostic};

/// The largest input file kiln reads.
pub const MAX_FILE_BYTES: u64 = 1024 * 1024;

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

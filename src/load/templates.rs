//! The embedded `templates/`, and the workspace's own files that replace them one by
//! one.

use include_dir::{include_dir, Dir};

use super::{Loader, SourceFile, EMBEDDED_PREFIX};
use crate::diagnostic::{Code, Diagnostic};

/// The root workspace's `templates/`, built into the binary.
static EMBEDDED_TEMPLATES: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/templates");

impl Loader {
    pub(super) fn load_embedded_templates(&mut self) {
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

    pub(super) fn load_workspace_templates(&mut self) {
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

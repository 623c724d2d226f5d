//! Checks of `kiln.yaml` that its schema cannot express: a Kubernetes version kiln has
//! schemas for, and an `outputDir` and `repoPath` that stay plain and apart from the
//! inputs.

use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::model::Settings;
use crate::parse::Document;

use super::located;

/// Refuses a Kubernetes version kiln has no schemas for, an `outputDir` that is not a
/// plain path or overlaps an input, and a `repoPath` that is not a plain path.
pub(super) fn check_settings(settings: &Settings, doc: &Document, diags: &mut Diagnostics) {
    let supported = crate::kube::supported_versions();
    if !supported.contains(&settings.kubernetes_version) {
        diags.push(
            located(
                doc,
                "/kubernetesVersion",
                Diagnostic::error(Code::UnsupportedKubernetesVersion, format!(
                    "kiln has no Kubernetes schemas for version `{}`, so it cannot validate its output",
                    settings.kubernetes_version
                )),
            )
            .hint(format!(
                "kiln validates against {}; docs/validation.md says how to add a version",
                crate::suggest::code_list(&supported)
            )),
        );
    }
    let plain = |path: &str| {
        path.split('/')
            .all(|seg| !seg.is_empty() && seg != "." && seg != "..")
    };
    if !plain(&settings.output_dir) {
        diags.push(
            located(
                doc,
                "/outputDir",
                Diagnostic::error(
                    Code::OutputDir,
                    format!(
                        "`outputDir` `{}` is not a plain path inside the workspace",
                        settings.output_dir
                    ),
                ),
            )
            .hint("name a folder inside the workspace without `.` or `..`, such as `out`"),
        );
    }
    // Inputs kiln reads, and what a workspace repository holds besides.
    for input in INPUTS {
        let inside = |a: &str, b: &str| a == b || a.starts_with(&format!("{b}/"));
        let out = settings.output_dir.as_str();
        if inside(out, input) || inside(input, out) {
            diags.push(
                located(
                    doc,
                    "/outputDir",
                    Diagnostic::error(Code::OutputDir, format!(
                        "`outputDir` `{out}` overlaps the workspace's `{input}`"
                    )),
                )
                .hint("the output must be a folder of its own, such as `out`: kiln replaces what it writes there"),
            );
        }
    }
    if !settings.repo_path.is_empty() && !plain(&settings.repo_path) {
        diags.push(
            located(
                doc,
                "/repoPath",
                Diagnostic::error(Code::RepoPath, format!(
                    "`repoPath` `{}` is not a plain path inside the rendered repository",
                    settings.repo_path
                )),
            )
            .hint("name a folder of the repository without `.` or `..`, or leave it empty for the root"),
        );
    }
}

/// What a workspace holds besides its output: `outputDir` may be none of these, nor
/// inside one, nor hold one.
const INPUTS: [&str; 10] = [
    "kiln.yaml",
    "templates",
    "tenants",
    "blueprints",
    "crds",
    "schemas",
    "src",
    "tests",
    "docs",
    ".git",
];

//! Comparing two compiled trees object by object, the way Argo CD sees them: objects are
//! matched by group, kind, namespace and name, not by file, so a file that moves is not
//! a removal and an addition. Each object belongs to the Argo CD application whose
//! folder holds its file. Secret-like values are masked before any text is produced.
//!
//! Pure: trees come in as paths and bytes (from a directory, a git tree or a build), and
//! reports go out as text, markdown or JSON.

pub mod markdown;
mod mask;
pub mod risk;
pub mod text;

use std::collections::{BTreeMap, BTreeSet};

use rayon::prelude::*;
use serde::Serialize;
use serde_json::Value as Json;

use crate::object_id::ObjectId;
use crate::yaml;

/// Files by path, relative to the root of a compiled tree.
pub type Files = BTreeMap<String, Vec<u8>>;

/// One object of a tree, where it is and which application delivers it.
#[derive(Clone, Debug)]
struct Located {
    path: String,
    app: String,
    value: Json,
}

/// How an object differs between the two trees.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    Added,
    Changed,
    /// Delivered by another application than before (its content may differ too).
    Moved,
    Removed,
}

impl ChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Added => "added",
            ChangeKind::Changed => "changed",
            ChangeKind::Moved => "moved",
            ChangeKind::Removed => "removed",
        }
    }
}

/// One object that differs.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Change {
    /// The application that delivers it now (for a removed object, the one that did).
    pub application: String,
    /// For a moved object, the application that delivered it before.
    pub previous_application: Option<String>,
    pub change: ChangeKind,
    #[serde(flatten)]
    pub id: ObjectId,
    /// Its file now (for a removed object, its file before).
    pub path: String,
    /// Its file before, when it had one and it was elsewhere.
    pub previous_path: Option<String>,
    /// Unified diff of the object's YAML, secret-like values masked; empty when only
    /// the application changed.
    pub diff: String,
}

/// Counts of changed objects.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub added: usize,
    pub changed: usize,
    pub moved: usize,
    pub removed: usize,
}

impl Counts {
    fn add(&mut self, kind: ChangeKind) {
        match kind {
            ChangeKind::Added => self.added += 1,
            ChangeKind::Changed => self.changed += 1,
            ChangeKind::Moved => self.moved += 1,
            ChangeKind::Removed => self.removed += 1,
        }
    }

    pub fn total(&self) -> usize {
        self.added + self.changed + self.moved + self.removed
    }

    /// `1 added, 2 changed`: the non-zero counts.
    pub fn describe(&self) -> String {
        let parts: Vec<String> = [
            (self.added, "added"),
            (self.changed, "changed"),
            (self.moved, "moved"),
            (self.removed, "removed"),
        ]
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, what)| format!("{n} {what}"))
        .collect();
        if parts.is_empty() {
            "no changes".into()
        } else {
            parts.join(", ")
        }
    }

    /// `+1 ~2 >1 -3`: the non-zero counts, compactly.
    pub fn compact(&self) -> String {
        [
            (self.added, "+"),
            (self.changed, "~"),
            (self.moved, ">"),
            (self.removed, "-"),
        ]
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, sign)| format!("{sign}{n}"))
        .collect::<Vec<_>>()
        .join(" ")
    }
}

/// The changes of one application.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct AppSummary {
    pub application: String,
    #[serde(flatten)]
    pub counts: Counts,
    pub kinds: BTreeMap<String, Counts>,
}

/// A file that could not be read as Kubernetes objects, and was left out.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Skipped {
    /// `base` or `new`.
    pub side: &'static str,
    pub path: String,
    pub reason: String,
}

/// Everything that differs between two trees.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    /// The changes that destroy or recreate data, which reports list first.
    pub data_at_risk: Vec<risk::Risk>,
    /// Per application, sorted by name.
    pub summary: Vec<AppSummary>,
    /// Sorted by application, then kind, namespace and name.
    pub objects: Vec<Change>,
    /// Objects that are the same in both trees.
    pub unchanged: usize,
    pub skipped: Vec<Skipped>,
}

impl Report {
    pub fn has_differences(&self) -> bool {
        !self.objects.is_empty()
    }

    pub fn totals(&self) -> Counts {
        let mut c = Counts::default();
        for o in &self.objects {
            c.add(o.change);
        }
        c
    }
}

/// Application of a file: the one whose folder holds it most closely.
const NO_APPLICATION: &str = "(no application)";

/// Where each Argo CD application of a tree takes its files from: folder → name,
/// read from the tree's own Application objects. `repo_path` is the folder of the
/// rendered repository the tree sits in, stripped from the applications' paths.
fn application_folders(
    objects: &BTreeMap<ObjectId, (String, Json)>,
    repo_path: &str,
) -> BTreeMap<String, String> {
    let prefix = repo_path.trim_matches('/');
    let mut folders = BTreeMap::new();
    for (id, (_, value)) in objects {
        if !id.is("argoproj.io", "Application") {
            continue;
        }
        let Some(path) = value.pointer("/spec/source/path").and_then(Json::as_str) else {
            continue;
        };
        let path = path.trim_matches('/');
        let folder = if prefix.is_empty() {
            Some(path)
        } else {
            path.strip_prefix(prefix)
                .and_then(|rest| rest.strip_prefix('/'))
        };
        if let Some(folder) = folder.filter(|f| !f.is_empty() && *f != ".") {
            folders.insert(folder.to_string(), id.name.clone());
        }
    }
    folders
}

fn application_of(folders: &BTreeMap<String, String>, path: &str) -> String {
    folders
        .iter()
        .filter(|(folder, _)| {
            path.strip_prefix(folder.as_str())
                .is_some_and(|rest| rest.starts_with('/'))
        })
        .max_by_key(|(folder, _)| folder.len())
        .map(|(_, name)| name.clone())
        .unwrap_or_else(|| NO_APPLICATION.to_string())
}

/// Reads every YAML file of a tree as Kubernetes objects.
/// The documents of every manifest file, parsed on every core. A file whose bytes are
/// those of the same path in `known` is not parsed again.
fn parse_files<'f>(
    files: &'f Files,
    known: &BTreeMap<&str, Parsed<'_>>,
) -> BTreeMap<&'f str, Parsed<'f>> {
    // The trees compared are outputs, not inputs: escaped control characters in a
    // string are data (they are masked and escaped before they are shown).
    let options = yaml::ReadOptions {
        yaml11_check: false,
        escaped_controls: true,
        ..yaml::ReadOptions::default()
    };
    files
        .par_iter()
        .filter(|(path, _)| {
            [".yaml", ".yml", ".json"]
                .iter()
                .any(|ext| path.ends_with(ext))
        })
        .map(|(path, bytes)| {
            if let Some(p) = known
                .get(path.as_str())
                .filter(|p| p.bytes == bytes.as_slice())
            {
                return (
                    path.as_str(),
                    Parsed {
                        bytes,
                        values: p.values.clone(),
                    },
                );
            }
            let values = match std::str::from_utf8(bytes) {
                Err(_) => Err("not UTF-8 text".to_string()),
                Ok(text) => {
                    let read = yaml::parse_stream(text, &options);
                    match read.problems.iter().find(|p| p.fatal) {
                        Some(p) => Err(format!("not valid YAML: {}", p.message)),
                        None => Ok(read
                            .documents
                            .iter()
                            .map(super::yaml::node::Node::to_json)
                            .collect()),
                    }
                }
            };
            (path.as_str(), Parsed { bytes, values })
        })
        .collect()
}

/// A file's bytes and its documents, or why it cannot be read.
struct Parsed<'f> {
    bytes: &'f [u8],
    values: Result<Vec<Json>, String>,
}

fn read_objects(
    parsed: BTreeMap<&str, Parsed>,
    side: &'static str,
    skipped: &mut Vec<Skipped>,
) -> BTreeMap<ObjectId, (String, Json)> {
    let mut objects = BTreeMap::new();
    for (path, Parsed { values, .. }) in parsed {
        let skip = |reason: String| Skipped {
            side,
            path: path.to_string(),
            reason,
        };
        let values = match values {
            Ok(values) => values,
            Err(reason) => {
                skipped.push(skip(reason));
                continue;
            }
        };
        for value in values {
            if value.is_null() {
                continue;
            }
            match ObjectId::of(&value) {
                Some(key) => match objects.entry(key) {
                    std::collections::btree_map::Entry::Occupied(e) => {
                        skipped.push(skip(format!(
                            "`{}` appears twice; the second is left out",
                            e.key().spaced()
                        )));
                    }
                    std::collections::btree_map::Entry::Vacant(e) => {
                        e.insert((path.to_string(), value));
                    }
                },
                None => skipped.push(skip(
                    "a document without `apiVersion`, `kind` or `metadata.name`".into(),
                )),
            }
        }
    }
    objects
}

fn locate(
    objects: BTreeMap<ObjectId, (String, Json)>,
    repo_path: &str,
    fallback: &BTreeMap<String, String>,
) -> (BTreeMap<ObjectId, Located>, BTreeMap<String, String>) {
    let mut folders = fallback.clone();
    folders.extend(application_folders(&objects, repo_path));
    let located = objects
        .into_iter()
        .map(|(key, (path, value))| {
            let app = application_of(&folders, &path);
            (key, Located { path, app, value })
        })
        .collect();
    (located, folders)
}

/// Compares the objects of the `base` tree with those of the `new` one. Both sit at
/// `repo_path` of the rendered repository.
pub fn compare(base: &Files, new: &Files, repo_path: &str) -> Report {
    let mut skipped = Vec::new();
    let new_parsed = parse_files(new, &BTreeMap::new());
    let old_parsed = parse_files(base, &new_parsed);
    let old_objects = read_objects(old_parsed, "base", &mut skipped);
    let new_objects = read_objects(new_parsed, "new", &mut skipped);
    // Each tree's own Application objects decide; the new tree's stand in where the
    // base has none (a base written before kiln wrote Argo CD objects).
    let (new_located, new_folders) = locate(new_objects, repo_path, &BTreeMap::new());
    let (old_located, _) = locate(old_objects, repo_path, &new_folders);
    let keys: BTreeSet<&ObjectId> = old_located.keys().chain(new_located.keys()).collect();
    let mut objects = Vec::new();
    let mut unchanged = 0;
    let mut pairs = risk::Pairs {
        removed: Vec::new(),
        added: Vec::new(),
        changed: Vec::new(),
    };
    for key in keys {
        let (old, new) = (old_located.get(key), new_located.get(key));
        let (change, app, previous_app) = match (old, new) {
            (None, Some(n)) => {
                pairs.added.push((key, n));
                (ChangeKind::Added, n.app.clone(), None)
            }
            (Some(o), None) => {
                pairs.removed.push((key, o));
                (ChangeKind::Removed, o.app.clone(), None)
            }
            (Some(o), Some(n)) if o.app != n.app => {
                pairs.changed.push((key, o, n));
                (ChangeKind::Moved, n.app.clone(), Some(o.app.clone()))
            }
            (Some(o), Some(n)) if o.value != n.value => {
                pairs.changed.push((key, o, n));
                (ChangeKind::Changed, n.app.clone(), None)
            }
            _ => {
                unchanged += 1;
                continue;
            }
        };
        let (old_value, new_value) = mask::pair(old.map(|o| &o.value), new.map(|n| &n.value));
        let path = new.or(old).map(|l| l.path.clone()).unwrap_or_default();
        let previous_path = match (old, new) {
            (Some(o), Some(n)) if o.path != n.path => Some(o.path.clone()),
            _ => None,
        };
        let diff = unified(
            old_value.as_ref(),
            new_value.as_ref(),
            old.map(|o| o.path.as_str()).unwrap_or(&path),
            &path,
        );
        objects.push(Change {
            application: app,
            previous_application: previous_app,
            change,
            id: key.clone(),
            path,
            previous_path,
            diff,
        });
    }
    objects.sort_by(|a, b| (&a.application, a.id.by_kind()).cmp(&(&b.application, b.id.by_kind())));
    let mut summary: BTreeMap<&str, AppSummary> = BTreeMap::new();
    for o in &objects {
        let s = summary.entry(&o.application).or_insert_with(|| AppSummary {
            application: o.application.clone(),
            ..AppSummary::default()
        });
        s.counts.add(o.change);
        s.kinds.entry(o.id.kind.clone()).or_default().add(o.change);
    }
    Report {
        data_at_risk: risk::assess(&pairs),
        summary: summary.into_values().collect(),
        objects,
        unchanged,
        skipped,
    }
}

/// The unified diff of two versions of an object (either may be absent).
fn unified(old: Option<&Json>, new: Option<&Json>, old_path: &str, new_path: &str) -> String {
    let text = |v: Option<&Json>| v.map(yaml::to_string).unwrap_or_default();
    let (a, b) = (text(old), text(new));
    if a == b {
        return String::new();
    }
    let old_header = if old.is_some() {
        format!("a/{old_path}")
    } else {
        "/dev/null".into()
    };
    let new_header = if new.is_some() {
        format!("b/{new_path}")
    } else {
        "/dev/null".into()
    };
    similar::TextDiff::from_lines(&a, &b)
        .unified_diff()
        .context_radius(3)
        .header(&old_header, &new_header)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(entries: &[(&str, &str)]) -> Files {
        entries
            .iter()
            .map(|(p, t)| (p.to_string(), t.as_bytes().to_vec()))
            .collect()
    }

    const APP: &str = "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: acme-workloads, namespace: argocd}\nspec: {source: {path: deploy/tenants/acme/workloads}}\n";
    const CM: &str =
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: acme}\ndata: {a: '1'}\n";

    #[test]
    fn a_moved_file_is_not_a_change() {
        let base = files(&[
            ("argocd/app.yaml", APP),
            ("tenants/acme/workloads/acme/c.yaml", CM),
        ]);
        let new = files(&[
            ("argocd/app.yaml", APP),
            ("tenants/acme/workloads/other/c.yaml", CM),
        ]);
        let r = compare(&base, &new, "deploy");
        assert!(!r.has_differences(), "{r:?}");
        assert_eq!(r.unchanged, 2);
    }

    #[test]
    fn changes_are_counted_per_application_and_kind() {
        let changed = CM.replace("'1'", "'2'");
        let base = files(&[
            ("argocd/app.yaml", APP),
            ("tenants/acme/workloads/acme/c.yaml", CM),
        ]);
        let new = files(&[
            ("argocd/app.yaml", APP),
            ("tenants/acme/workloads/acme/c.yaml", &changed),
        ]);
        let r = compare(&base, &new, "deploy");
        assert_eq!(r.objects.len(), 1);
        let c = &r.objects[0];
        assert_eq!(
            (c.change, c.application.as_str()),
            (ChangeKind::Changed, "acme-workloads")
        );
        assert!(c.diff.contains("-  a: \"1\"\n+  a: \"2\"\n"), "{}", c.diff);
        assert_eq!(r.summary[0].kinds["ConfigMap"].changed, 1);
    }

    #[test]
    fn unreadable_files_are_skipped_and_said() {
        let base = files(&[("x.yaml", "a: [")]);
        let r = compare(&base, &Files::new(), "");
        assert_eq!(r.skipped.len(), 1);
        assert_eq!(r.skipped[0].side, "base");
        assert!(!r.has_differences());
    }

    #[test]
    fn files_outside_every_application_are_said_so() {
        let r = compare(&Files::new(), &files(&[("x/c.yaml", CM)]), "");
        assert_eq!(r.objects[0].application, NO_APPLICATION);
        assert_eq!(r.objects[0].change, ChangeKind::Added);
        assert!(r.objects[0]
            .diff
            .starts_with("--- /dev/null\n+++ b/x/c.yaml\n"));
    }
}

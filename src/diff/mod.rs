//! Comparing two compiled trees object by object, the way Argo CD sees them: objects are
//! matched by group, kind, namespace and name, not by file, so a file that moves is not
//! a removal and an addition. Each object belongs to the Argo CD application whose
//! folder holds its file. Secret-like values are masked before any text is produced.
//!
//! Pure: trees come in as paths and bytes (from a directory, a git tree or a build), and
//! reports go out as text, markdown or JSON.

pub mod markdown;
mod mask;
mod read;
pub mod risk;
pub mod text;

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::Value as Json;

use crate::object_id::ObjectId;
use crate::yaml;
use read::{locate, parse_files, read_objects};

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
        match classify(key, old, new, &mut pairs) {
            Some((change, app, previous_app)) => {
                objects.push(change_of(key, change, app, previous_app, old, new));
            }
            None => unchanged += 1,
        }
    }
    objects.sort_by(|a, b| (&a.application, a.id.by_kind()).cmp(&(&b.application, b.id.by_kind())));
    Report {
        data_at_risk: risk::assess(&pairs),
        summary: summarise(&objects),
        objects,
        unchanged,
        skipped,
    }
}

/// How an object differs, in which application (and which it was in, when it moved),
/// noted in `pairs` for the risks; `None` when it is unchanged.
fn classify<'a>(
    key: &'a ObjectId,
    old: Option<&'a Located>,
    new: Option<&'a Located>,
    pairs: &mut risk::Pairs<'a>,
) -> Option<(ChangeKind, String, Option<String>)> {
    Some(match (old, new) {
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
        _ => return None,
    })
}

/// One changed object: its paths and its diff, credentials masked.
fn change_of(
    key: &ObjectId,
    change: ChangeKind,
    application: String,
    previous_application: Option<String>,
    old: Option<&Located>,
    new: Option<&Located>,
) -> Change {
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
    Change {
        application,
        previous_application,
        change,
        id: key.clone(),
        path,
        previous_path,
        diff,
    }
}

/// The counts of changes by application and kind, sorted by application.
fn summarise(objects: &[Change]) -> Vec<AppSummary> {
    let mut summary: BTreeMap<&str, AppSummary> = BTreeMap::new();
    for o in objects {
        let s = summary.entry(&o.application).or_insert_with(|| AppSummary {
            application: o.application.clone(),
            ..AppSummary::default()
        });
        s.counts.add(o.change);
        s.kinds.entry(o.id.kind.clone()).or_default().add(o.change);
    }
    summary.into_values().collect()
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
mod tests;

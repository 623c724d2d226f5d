//! Reading a tree: its files parsed as YAML documents, each document as an object, and
//! each object placed in the Argo CD application whose folder holds its file.

use std::collections::BTreeMap;

use rayon::prelude::*;
use serde_json::Value as Json;

use super::{Files, Located, Skipped};
use crate::object_id::ObjectId;
use crate::yaml;

/// The application of a file in no application's folder.
pub(super) const NO_APPLICATION: &str = "(no application)";

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

/// Application of a file: the one whose folder holds it most closely.
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
pub(super) fn parse_files<'f>(
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
                            .map(yaml::node::Node::to_json)
                            .collect()),
                    }
                }
            };
            (path.as_str(), Parsed { bytes, values })
        })
        .collect()
}

/// A file's bytes and its documents, or why it cannot be read.
pub(super) struct Parsed<'f> {
    bytes: &'f [u8],
    values: Result<Vec<Json>, String>,
}

pub(super) fn read_objects(
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

pub(super) fn locate(
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

//! How the output on disk compares with a build: each file missing, unchanged, stale,
//! extra, foreign, or behind a link. Nothing here writes.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use anyhow::Context as _;

use super::boundary::{self, Probe, Prober};
use super::cache::Previous;
use super::{is_safe_path, parse_index, Comparison, INDEX_FILE};
use crate::unit::{blob_id, ObjectFact, Output};

/// The output folder, looked at without following links.
struct Disk<'a> {
    out: &'a Path,
    prober: Prober<'a>,
}

impl Disk<'_> {
    /// What is at `path` in the output.
    fn probe(&self, path: &str) -> anyhow::Result<Probe> {
        self.prober
            .probe(path)
            .with_context(|| format!("cannot read `{}`", self.out.join(path).display()))
    }

    /// The bytes of the regular file at `path` in the output.
    fn read(&self, path: &str) -> anyhow::Result<Option<Vec<u8>>> {
        boundary::read_regular(&self.out.join(path))
            .with_context(|| format!("cannot read `{}`", self.out.join(path).display()))
    }
}

/// What a comparison found that is not a file of the build: files in the way that are
/// not kiln's, and links.
#[derive(Default)]
struct InTheWay {
    foreign: BTreeSet<String>,
    links: BTreeSet<String>,
}

/// How each file of the output compares with the disk, looked at without following
/// links. Files of reused units are on disk as written (the cache checked); files in
/// `previous.verified` have a known blob id; others are read.
pub(super) fn compare_files(
    out: &Path,
    output: &Output,
    fresh: &dyn Fn(&str) -> bool,
    previous: &Previous,
) -> anyhow::Result<Comparison> {
    let disk = Disk {
        out,
        prober: Prober::new(out),
    };
    let mut c = Comparison::default();
    let mut way = InTheWay::default();
    let owned = compare_index(&disk, &super::index(output), &mut c, &mut way)?;
    let produced = output.files();
    for (path, o) in &produced {
        if !fresh(path) {
            c.unchanged.push(path.to_string());
            continue;
        }
        let on_disk = match previous.verified.get(*path) {
            Some((oid, _)) => Some(oid.clone()),
            None => match disk.probe(path)? {
                Probe::File(_) => disk.read(path)?.map(|bytes| blob_id(&bytes)),
                Probe::Absent => None,
                Probe::Link(at) => {
                    way.links.insert(at);
                    continue;
                }
                // A file kiln owned and no longer produces, where this file's folder
                // goes: it is removed first.
                Probe::NotDir(at) if owned.contains(&at) && !produced.contains_key(at.as_str()) => {
                    None
                }
                Probe::NotDir(at) => {
                    way.foreign.insert(at);
                    continue;
                }
                Probe::Dir | Probe::Other => {
                    way.foreign.insert(path.to_string());
                    continue;
                }
            },
        };
        match on_disk {
            None => c.missing.push(path.to_string()),
            Some(oid) if oid == o.oid => c.unchanged.push(path.to_string()),
            Some(_) if owned.contains(*path) => c.stale.push(path.to_string()),
            Some(_) => {
                way.foreign.insert(path.to_string());
            }
        }
    }
    extra_files(&disk, owned, &produced, &mut c, &mut way)?;
    c.missing.sort();
    c.stale.sort();
    c.foreign = way.foreign.into_iter().collect();
    c.links = way.links.into_iter().collect();
    Ok(c)
}

/// Compares the index on disk with the build's `index`, and returns the safe paths it
/// lists: the files kiln owns in the output.
fn compare_index(
    disk: &Disk,
    index: &[u8],
    c: &mut Comparison,
    way: &mut InTheWay,
) -> anyhow::Result<BTreeSet<String>> {
    let mut owned = BTreeSet::new();
    match disk.probe(INDEX_FILE)? {
        Probe::File(_) => {
            let bytes = disk.read(INDEX_FILE)?.unwrap_or_default();
            owned = parse_index(&String::from_utf8_lossy(&bytes))
                .into_iter()
                .filter(|p| is_safe_path(p))
                .collect();
            if bytes == index {
                c.unchanged.push(INDEX_FILE.to_string());
            } else {
                c.stale.push(INDEX_FILE.to_string());
            }
        }
        Probe::Absent => c.missing.push(INDEX_FILE.to_string()),
        Probe::Link(at) => {
            way.links.insert(at);
        }
        Probe::Dir | Probe::NotDir(_) | Probe::Other => {
            way.foreign.insert(INDEX_FILE.to_string());
        }
    }
    Ok(owned)
}

/// The files kiln owns on disk and the build no longer produces: extra, to be removed
/// (a link among them is in the way; what is gone or no longer a file is left alone).
fn extra_files(
    disk: &Disk,
    owned: BTreeSet<String>,
    produced: &BTreeMap<&str, &ObjectFact>,
    c: &mut Comparison,
    way: &mut InTheWay,
) -> anyhow::Result<()> {
    for path in owned {
        if produced.contains_key(path.as_str()) {
            continue;
        }
        match disk.probe(&path)? {
            Probe::File(_) => c.extra.push(path),
            Probe::Link(at) => {
                way.links.insert(at);
            }
            // Gone, or no longer a file: not kiln's to remove.
            Probe::Absent | Probe::Dir | Probe::NotDir(_) | Probe::Other => {}
        }
    }
    Ok(())
}

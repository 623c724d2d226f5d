//! The build cache: what the last build wrote, unit by unit, so the next one renders
//! only the units whose inputs changed. It sits next to the output directory
//! (`.<out>.kiln-cache`), never in it, and holds no secret: fingerprints, object
//! identities, and each file's size, modification time, inode and git blob id. A unit
//! is reused only when every one of its files is on disk exactly as the last build left
//! it (same size, modification time and inode); anything else, or a cache written by
//! another kiln, and the unit is built again.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use rayon::prelude::*;

use super::stream::Moved;
use super::{is_safe_path, parse_index, INDEX_FILE};
use crate::compile::Output;
use crate::unit::{ObjectFact, Reusable, UnitOutput};

const MAGIC: &str = "kiln-cache 1";

/// How a file was on disk when kiln last wrote or checked it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stamp {
    pub size: u64,
    pub mtime_ns: i128,
    pub ino: u64,
}

impl Stamp {
    pub fn of(path: &Path) -> Option<Stamp> {
        Stamp::from_metadata(&fs::symlink_metadata(path).ok()?)
    }

    pub fn from_metadata(m: &fs::Metadata) -> Option<Stamp> {
        if !m.is_file() {
            return None;
        }
        let mtime_ns = m
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| d.as_nanos() as i128)
            .unwrap_or(-1);
        Some(Stamp {
            size: m.len(),
            mtime_ns,
            ino: inode(m),
        })
    }
}

#[cfg(unix)]
fn inode(m: &fs::Metadata) -> u64 {
    std::os::unix::fs::MetadataExt::ino(m)
}

#[cfg(not(unix))]
fn inode(_: &fs::Metadata) -> u64 {
    0
}

/// What the cache says of the output on disk, checked against it.
#[derive(Debug, Default)]
pub struct Previous {
    /// Units whose files are all on disk as written.
    pub units: Reusable,
    /// Files on disk as written, with their git blob ids and how they are on disk.
    pub verified: BTreeMap<String, (String, Stamp)>,
}

/// The cache file of an output directory.
pub fn path(out: &Path) -> PathBuf {
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    out.parent()
        .unwrap_or(Path::new("."))
        .join(format!(".{name}.kiln-cache"))
}

/// One file as the cache records it.
struct Record<'t> {
    unit: usize,
    stamp: Stamp,
    fields: [&'t str; 9],
}

/// Reads the cache and checks it against the disk; an unreadable or foreign cache is
/// an empty one.
pub fn load(out: &Path, build_id: &str) -> Previous {
    let Ok(text) = fs::read_to_string(path(out)) else {
        return Previous::default();
    };
    let owned: BTreeSet<String> = fs::read_to_string(out.join(INDEX_FILE))
        .map(|t| parse_index(&t).into_iter().collect())
        .unwrap_or_default();
    let mut lines = text.lines();
    if lines.next() != Some(&format!("{MAGIC}\t{build_id}")) {
        return Previous::default();
    }
    let mut units: Vec<(String, String)> = Vec::new();
    let mut records: Vec<Record> = Vec::new();
    for line in lines {
        let fields: Vec<&str> = line.split('\t').collect();
        match fields.as_slice() {
            ["U", key, fingerprint] => units.push((key.to_string(), fingerprint.to_string())),
            ["F", size, mtime, ino, rest @ ..] if rest.len() == 9 && !units.is_empty() => {
                let stamp = match (size.parse(), mtime.parse(), ino.parse()) {
                    (Ok(size), Ok(mtime_ns), Ok(ino)) => Stamp {
                        size,
                        mtime_ns,
                        ino,
                    },
                    _ => return Previous::default(),
                };
                let mut fields = [""; 9];
                fields.copy_from_slice(rest);
                records.push(Record {
                    unit: units.len() - 1,
                    stamp,
                    fields,
                });
            }
            _ => return Previous::default(),
        }
    }
    // Every file as it is now, on all cores: this is most of a no-op build.
    let intact: Vec<bool> = records
        .par_iter()
        .map(|r| {
            let file = r.fields[6];
            is_safe_path(file)
                && owned.contains(file)
                && Stamp::of(&out.join(file)) == Some(r.stamp)
        })
        .collect();
    let mut previous = Previous::default();
    let mut outputs: Vec<(UnitOutput, bool)> = units
        .into_iter()
        .map(|(key, fingerprint)| {
            let unit = UnitOutput {
                key,
                fingerprint,
                objects: Vec::new(),
            };
            (unit, true)
        })
        .collect();
    for (r, ok) in records.iter().zip(intact) {
        let [oid, group, kind, namespace, name, app, file, template, origin] = r.fields;
        let Some((unit, unit_ok)) = outputs.get_mut(r.unit) else {
            continue;
        };
        if ok {
            previous
                .verified
                .insert(file.to_string(), (oid.to_string(), r.stamp));
        } else {
            *unit_ok = false;
        }
        unit.objects.push(ObjectFact {
            group: group.to_string(),
            kind: kind.to_string(),
            namespace: (!namespace.is_empty()).then(|| namespace.to_string()),
            name: name.to_string(),
            app: app.to_string(),
            path: file.to_string(),
            template: template.to_string(),
            origin: origin.to_string(),
            oid: oid.to_string(),
            size: r.stamp.size,
        });
    }
    for (unit, ok) in outputs {
        if ok {
            previous.units.insert(unit.key.clone(), unit);
        }
    }
    previous
}

/// Whether the output is exactly what the cache already records: every unit reused.
pub fn unchanged(previous: &Previous, output: &Output) -> bool {
    output.units.len() == previous.units.len()
        && output.units.iter().all(|u| {
            previous
                .units
                .get(&u.key)
                .is_some_and(|p| p.fingerprint == u.fingerprint)
        })
}

/// Records the output as it is now on disk. Files the build moved in have the stamp
/// they were written with, files it did not touch keep the stamp the cache had; the
/// others are looked at.
pub fn save(
    out: &Path,
    build_id: &str,
    output: &Output,
    previous: &Previous,
    moved: &Moved,
) -> anyhow::Result<()> {
    let objects: Vec<&ObjectFact> = output.objects().collect();
    let stamps: Vec<Option<Stamp>> = objects
        .par_iter()
        .map(|o| {
            if let Some(stamp) = moved.get(&o.path) {
                return Some(*stamp);
            }
            match previous.verified.get(&o.path) {
                Some((oid, stamp)) if *oid == o.oid => Some(*stamp),
                _ => Stamp::of(&out.join(&o.path)),
            }
        })
        .collect();
    let stamp_of: BTreeMap<&str, Stamp> = objects
        .iter()
        .zip(stamps)
        .filter_map(|(o, s)| s.map(|s| (o.path.as_str(), s)))
        .collect();
    let mut text = format!("{MAGIC}\t{build_id}\n");
    for unit in &output.units {
        text.push_str(&format!("U\t{}\t{}\n", unit.key, unit.fingerprint));
        for o in &unit.objects {
            let Some(stamp) = stamp_of.get(o.path.as_str()) else {
                continue;
            };
            let fields = [
                stamp.size.to_string(),
                stamp.mtime_ns.to_string(),
                stamp.ino.to_string(),
                o.oid.clone(),
                o.group.clone(),
                o.kind.clone(),
                o.namespace.clone().unwrap_or_default(),
                o.name.clone(),
                o.app.clone(),
                o.path.clone(),
                o.template.clone(),
                o.origin.clone(),
            ];
            if fields.iter().any(|f| f.contains(['\t', '\n'])) {
                continue;
            }
            text.push_str("F\t");
            text.push_str(&fields.join("\t"));
            text.push('\n');
        }
    }
    let target = path(out);
    let tmp = target.with_extension("kiln-cache-tmp");
    let mut f =
        fs::File::create(&tmp).with_context(|| format!("cannot write `{}`", tmp.display()))?;
    f.write_all(text.as_bytes())
        .with_context(|| format!("cannot write `{}`", tmp.display()))?;
    drop(f);
    fs::rename(&tmp, &target).with_context(|| format!("cannot write `{}`", target.display()))?;
    Ok(())
}

/// Forgets the cache (when the output on disk no longer matches what it says).
pub fn remove(out: &Path) {
    let _ = fs::remove_file(path(out));
}

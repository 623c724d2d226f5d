//! The build cache: what the last build wrote, unit by unit, so the next one renders
//! only the units whose inputs changed. It sits next to the output directory
//! (`.<out>.kiln-cache`), never in it, and holds no secret: fingerprints, object
//! identities, and each file's size, modification time, inode and git blob id. A unit
//! is reused only when every one of its files is on disk exactly as the last build left
//! it (same size, modification time and inode); anything else, or a cache written by
//! another kiln, and the unit is built again.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use rayon::prelude::*;

use super::boundary::{self, Probe, Prober};
use super::stream::Moved;
use super::{is_safe_path, parse_index, INDEX_FILE};
use crate::object_id::ObjectId;
use crate::unit::Output;
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
    let Ok(Some(bytes)) = boundary::read_regular(&path(out)) else {
        return Previous::default();
    };
    let Ok(text) = String::from_utf8(bytes) else {
        return Previous::default();
    };
    let owned: BTreeSet<String> = match boundary::read_regular(&out.join(INDEX_FILE)) {
        Ok(Some(bytes)) => parse_index(&String::from_utf8_lossy(&bytes))
            .into_iter()
            .collect(),
        _ => BTreeSet::new(),
    };
    let Some((units, records)) = parse(&text, build_id) else {
        return Previous::default();
    };
    // Every file as it is now, on all cores: this is most of a no-op build. A file
    // under a link is not the file kiln wrote.
    let prober = Prober::new(out);
    let intact: Vec<bool> = records
        .par_iter()
        .map(|r| {
            let file = r.fields[6];
            is_safe_path(file)
                && owned.contains(file)
                && prober.probe(file).ok() == Some(Probe::File(r.stamp))
        })
        .collect();
    assemble(units, &records, intact)
}

/// Each unit of a cache: its key and fingerprint.
type UnitLine = (String, String);

/// The units (key and fingerprint) and the file records of a cache's text; `None` when
/// it was written by another build of kiln or is malformed.
fn parse<'t>(text: &'t str, build_id: &str) -> Option<(Vec<UnitLine>, Vec<Record<'t>>)> {
    let mut lines = text.lines();
    if lines.next() != Some(&format!("{MAGIC}\t{build_id}")) {
        return None;
    }
    let mut units: Vec<UnitLine> = Vec::new();
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
                    _ => return None,
                };
                let mut fields = [""; 9];
                fields.copy_from_slice(rest);
                records.push(Record {
                    unit: units.len() - 1,
                    stamp,
                    fields,
                });
            }
            _ => return None,
        }
    }
    Some((units, records))
}

/// What the cache holds, given which of its `records` are intact on disk: each unit
/// whose files are all intact, and the blob id and stamp of every intact file.
fn assemble(units: Vec<UnitLine>, records: &[Record], intact: Vec<bool>) -> Previous {
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
            id: ObjectId {
                group: group.to_string(),
                kind: kind.to_string(),
                namespace: (!namespace.is_empty()).then(|| namespace.to_string()),
                name: name.to_string(),
            },
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

/// Writes, to `to` (in the staging folder; kiln moves it next to the output with the
/// build), the cache of the output as it is on disk once the build is in place. Files
/// the build moves in have the stamp they were written with, files it does not touch
/// keep the stamp the cache had; the others are looked at.
pub fn save(
    out: &Path,
    to: &Path,
    build_id: &str,
    output: &Output,
    previous: &Previous,
    moved: &Moved,
) -> anyhow::Result<()> {
    let stamp = |o: &ObjectFact| {
        if let Some(stamp) = moved.get(&o.path) {
            return Some(*stamp);
        }
        match previous.verified.get(&o.path) {
            Some((oid, stamp)) if *oid == o.oid => Some(*stamp),
            _ => Stamp::of(&out.join(&o.path)),
        }
    };
    // Each unit's lines on every core, joined in unit order. A unit with a file the
    // cache cannot vouch for (or write) gets no fingerprint: it is built again.
    let blocks: Vec<String> = output
        .units
        .par_iter()
        .map(|unit| match file_lines(unit, &stamp) {
            Some(lines) => format!("U\t{}\t{}\n{lines}", unit.key, unit.fingerprint),
            None => format!("U\t{}\t-\n", unit.key),
        })
        .collect();
    let write = || -> std::io::Result<()> {
        let mut f = std::io::BufWriter::new(boundary::create_new(to)?);
        writeln!(f, "{MAGIC}\t{build_id}")?;
        for block in &blocks {
            f.write_all(block.as_bytes())?;
        }
        f.into_inner()
            .map_err(std::io::IntoInnerError::into_error)?;
        Ok(())
    };
    write().with_context(|| format!("cannot write `{}`", to.display()))
}

/// The `F` lines of a unit's files, or `None` when one has no stamp or a field the
/// format cannot hold.
fn file_lines(unit: &UnitOutput, stamp: &dyn Fn(&ObjectFact) -> Option<Stamp>) -> Option<String> {
    let mut lines = String::new();
    for o in &unit.objects {
        let stamp = stamp(o)?;
        let fields = [
            &o.oid,
            &o.id.group,
            &o.id.kind,
            o.id.namespace.as_deref().unwrap_or_default(),
            &o.id.name,
            &o.app,
            &o.path,
            &o.template,
            &o.origin,
        ];
        if fields.iter().any(|f| f.contains(['\t', '\n'])) {
            return None;
        }
        let _ = write!(
            lines,
            "F\t{}\t{}\t{}",
            stamp.size, stamp.mtime_ns, stamp.ino
        );
        for f in fields {
            lines.push('\t');
            lines.push_str(f);
        }
        lines.push('\n');
    }
    Some(lines)
}

/// Forgets the cache (when the output on disk no longer matches what it says).
pub fn remove(out: &Path) {
    let _ = fs::remove_file(path(out));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::unit::blob_id;

    fn output(origin: &str) -> Output {
        Output {
            units: vec![UnitOutput {
                key: "tenant/acme".into(),
                fingerprint: "f1".into(),
                objects: vec![ObjectFact {
                    id: ObjectId::new("v1", "ConfigMap", Some("acme"), "x"),
                    app: "acme-workloads".into(),
                    path: "a.yaml".into(),
                    template: "t".into(),
                    origin: origin.into(),
                    oid: blob_id(b"x\n"),
                    size: 2,
                }],
            }],
        }
    }

    fn saved_and_loaded(origin: &str) -> Previous {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        fs::create_dir_all(&out).unwrap();
        fs::write(out.join("a.yaml"), "x\n").unwrap();
        fs::write(
            out.join(INDEX_FILE),
            format!("{}a.yaml\n", super::super::INDEX_HEADER),
        )
        .unwrap();
        let output = output(origin);
        save(
            &out,
            &path(&out),
            "id",
            &output,
            &Previous::default(),
            &Moved::new(),
        )
        .unwrap();
        load(&out, "id")
    }

    #[test]
    fn a_unit_whose_files_are_on_disk_as_recorded_is_reusable() {
        let previous = saved_and_loaded("rendered for tenant `acme`");
        assert_eq!(
            previous.units.get("tenant/acme"),
            output("rendered for tenant `acme`").units.first()
        );
    }

    #[test]
    fn a_unit_with_a_file_the_cache_cannot_record_is_built_again() {
        let previous = saved_and_loaded("a\ttab");
        assert!(previous
            .units
            .get("tenant/acme")
            .is_none_or(|u| u.fingerprint != "f1"));
    }
}

//! Units: the independently built parts of the output. A unit's objects depend only on
//! its own inputs and the shared ones (settings, catalog, overlays, templates, CRDs), so
//! a unit whose fingerprint did not change since the last build need not be rendered
//! again, and units can be rendered, checked and written in parallel, one at a time in
//! memory.
//!
//! The units: `cluster` (the cluster-wide objects, when there are tenants), one per
//! tenant (with the pipelines it owns, which share its namespaces), one per pipeline
//! with a namespace of its own, and `argocd`, the objects that deliver all the others,
//! which depends on what every other unit holds and is always rendered.

use crate::diagnostic::Code;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::load::Sources;
use crate::object_id::ObjectId;
use crate::plan::pipeline::PipelinePlan;
use crate::plan::TenantPlan;

/// The key of the unit that delivers the others.
pub const ARGOCD: &str = "argocd";
pub const CLUSTER: &str = "cluster";

/// One unit to build.
#[derive(Clone, Debug)]
pub enum UnitSpec<'a> {
    Cluster,
    Tenant {
        plan: &'a TenantPlan,
        pipelines: Vec<&'a PipelinePlan>,
    },
    Pipeline(&'a PipelinePlan),
}

/// Largest file of one object kiln writes: above what Kubernetes stores for a ConfigMap.
pub const MAX_OBJECT_BYTES: usize = 1024 * 1024;

/// Largest output of one unit (a tenant with its pipelines, a pipeline of its own
/// namespace, the cluster objects, the Argo CD objects).
pub const MAX_UNIT_BYTES: usize = 64 * 1024 * 1024;

impl UnitSpec<'_> {
    /// `cluster`, `tenant/<name>`, `pipeline/<name>`.
    pub fn key(&self) -> String {
        match self {
            UnitSpec::Cluster => CLUSTER.to_string(),
            UnitSpec::Tenant { plan, .. } => format!("tenant/{}", plan.name),
            UnitSpec::Pipeline(p) => format!("pipeline/{}", p.name),
        }
    }
}

/// The units of a build, in key order (without `argocd`).
pub fn units<'a>(tenants: &'a [TenantPlan], pipelines: &'a [PipelinePlan]) -> Vec<UnitSpec<'a>> {
    let mut out = Vec::new();
    if !tenants.is_empty() {
        out.push(UnitSpec::Cluster);
    }
    for p in pipelines
        .iter()
        .filter(|p| p.own_namespace || p.tenant.is_none())
    {
        out.push(UnitSpec::Pipeline(p));
    }
    for t in tenants {
        let owned = pipelines
            .iter()
            .filter(|p| !p.own_namespace && p.tenant.as_deref() == Some(t.name.as_str()))
            .collect();
        out.push(UnitSpec::Tenant {
            plan: t,
            pipelines: owned,
        });
    }
    out.sort_by_key(UnitSpec::key);
    out
}

/// What later steps need to know of one object once its file is written: its identity,
/// its place, and where it came from (for messages).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectFact {
    #[serde(flatten)]
    pub id: ObjectId,
    /// Its application folder.
    pub app: String,
    pub path: String,
    pub template: String,
    /// `rendered for tenant …`.
    pub origin: String,
    /// The git blob id of its file.
    pub oid: String,
    /// The size of its file in bytes.
    pub size: u64,
}

impl ObjectFact {
    /// A problem with this object, located in its template (as `Object::diagnostic`).
    pub fn diagnostic(
        &self,
        code: Code,
        message: impl Into<String>,
    ) -> crate::diagnostic::Diagnostic {
        crate::diagnostic::Diagnostic::error(code, message)
            .in_file(&self.template)
            .note(format!(
                "{} `{}` → {}",
                self.id.kind, self.id.name, self.path
            ))
            .note(self.origin.clone())
    }
}

/// The id git gives a blob of these bytes (SHA-1 of `blob <len>\0<bytes>`), so output
/// files can be compared with a git tree without reading either.
/// (Plain SHA-1: git's collision-detecting variant gives the same ids at twice the cost.)
pub fn blob_id(bytes: &[u8]) -> String {
    use sha1::{Digest, Sha1};
    let mut hasher = Sha1::new();
    hasher.update(format!("blob {}\0", bytes.len()).as_bytes());
    hasher.update(bytes);
    hex(&hasher.finalize())
}

/// A built unit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitOutput {
    pub key: String,
    pub fingerprint: String,
    /// One per file, sorted by path.
    pub objects: Vec<ObjectFact>,
}

/// Fingerprints of the inputs: a unit is up to date when its fingerprint is the one it
/// was built with.
pub struct Fingerprints {
    shared: [u8; 32],
    /// Where each tenant file is in `Sources::tenants`, by path.
    tenant_files: BTreeMap<String, usize>,
}

fn feed(h: &mut Sha256, path: &str, text: &str) {
    h.update((path.len() as u64).to_le_bytes());
    h.update(path.as_bytes());
    h.update((text.len() as u64).to_le_bytes());
    h.update(text.as_bytes());
}

impl Fingerprints {
    /// `build_id` names the kiln that builds (a new kiln may render differently).
    pub fn new(sources: &Sources, build_id: &str) -> Fingerprints {
        let mut h = Sha256::new();
        feed(&mut h, "kiln", build_id);
        let shared = sources
            .settings
            .iter()
            .chain(sources.catalog.iter())
            .chain(sources.environments.values())
            .chain(sources.templates.values())
            .chain(sources.crds.iter());
        for f in shared {
            feed(&mut h, &f.path, &f.text);
        }
        Fingerprints {
            shared: h.finalize().into(),
            tenant_files: sources
                .tenants
                .iter()
                .enumerate()
                .map(|(i, t)| (t.file.path.clone(), i))
                .collect(),
        }
    }

    /// A unit's fingerprint: the shared inputs and its own files.
    pub fn unit(&self, sources: &Sources, unit: &UnitSpec) -> String {
        let mut h = Sha256::new();
        h.update(self.shared);
        h.update(unit.key().as_bytes());
        let blueprint = |name: &str, h: &mut Sha256| {
            for b in sources.blueprints.iter().filter(|b| b.name == name) {
                for f in b
                    .blueprint
                    .iter()
                    .chain(b.settings.iter())
                    .chain(b.protos.values())
                {
                    feed(h, &f.path, &f.text);
                }
            }
        };
        match unit {
            UnitSpec::Cluster => {}
            UnitSpec::Tenant { plan, pipelines } => {
                let file = self
                    .tenant_files
                    .get(&plan.file)
                    .and_then(|i| sources.tenants.get(*i));
                if let Some(t) = file {
                    feed(&mut h, &t.file.path, &t.file.text);
                }
                for p in pipelines {
                    blueprint(&p.name, &mut h);
                }
            }
            UnitSpec::Pipeline(p) => blueprint(&p.name, &mut h),
        }
        hex(&h.finalize())
    }
}

impl Fingerprints {
    /// The Argo CD unit's fingerprint: what its objects are made of, namely which
    /// application folders hold objects and which cluster-scoped kinds, and the
    /// tenants' and pipelines' names, environments and namespaces.
    pub fn argocd<'f>(
        &self,
        objects: impl IntoIterator<Item = &'f ObjectFact>,
        tenants: &[TenantPlan],
        pipelines: &[PipelinePlan],
    ) -> String {
        let mut h = Sha256::new();
        h.update(self.shared);
        h.update(ARGOCD.as_bytes());
        let mut folders: std::collections::BTreeSet<(&str, &str, &str)> = Default::default();
        for o in objects {
            let (group, kind) = match o.id.namespace {
                None => (o.id.group.as_str(), o.id.kind.as_str()),
                Some(_) => ("", ""),
            };
            folders.insert((o.app.as_str(), group, kind));
        }
        for (app, group, kind) in folders {
            feed(&mut h, app, &format!("{group}/{kind}"));
        }
        for t in tenants {
            feed(&mut h, &t.name, &t.environment);
            feed(&mut h, "namespaces", &t.namespaces.join(","));
        }
        for p in pipelines {
            feed(&mut h, &p.name, &p.namespace);
            feed(
                &mut h,
                p.tenant.as_deref().unwrap_or(""),
                if p.own_namespace { "own" } else { "tenant" },
            );
        }
        hex(&h.finalize())
    }
}

/// Bytes as lower-case hex, as digests are written.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        for nibble in [b >> 4, b & 15] {
            text.push(char::from(
                DIGITS.get(usize::from(nibble)).copied().unwrap_or(b'0'),
            ));
        }
    }
    text
}

/// Units from an earlier build, by key, that may be reused when their fingerprint
/// matches (the caller has checked their files are on disk as written).
pub type Reusable = BTreeMap<String, UnitOutput>;

/// Where the files of the units built in a run go, as soon as each unit is checked.
/// Called from several threads; only for units without errors (a run with errors
/// elsewhere may still have sent some units: the caller discards them).
pub trait Sink: Sync {
    /// `files[i]` is the file of `unit.objects[i]`, whose facts (blob id included) are
    /// already known.
    fn unit(&self, unit: &UnitOutput, files: Vec<(String, Vec<u8>)>) -> anyhow::Result<()>;
}

/// A sink that keeps nothing (`kiln check`).
pub struct Discard;

impl Sink for Discard {
    fn unit(&self, _: &UnitOutput, _: Vec<(String, Vec<u8>)>) -> anyhow::Result<()> {
        Ok(())
    }
}

/// What a build produced: every unit with its objects, `argocd` included.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Output {
    /// Sorted by key.
    pub units: Vec<UnitOutput>,
}

impl Output {
    pub fn objects(&self) -> impl Iterator<Item = &ObjectFact> {
        self.units.iter().flat_map(|u| u.objects.iter())
    }

    /// Every object's file by path.
    pub fn files(&self) -> BTreeMap<&str, &ObjectFact> {
        self.objects().map(|o| (o.path.as_str(), o)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blob_ids_are_gits() {
        // `printf 'hello\n' | git hash-object --stdin`
        assert_eq!(
            blob_id(b"hello\n"),
            "ce013625030ba8dba906f756967f9e9ca394464a"
        );
        let big = "kind: ConfigMap\n".repeat(10_000);
        for bytes in [&b""[..], b"a", big.as_bytes()] {
            let git = git2::Oid::hash_object(git2::ObjectType::Blob, bytes).unwrap();
            assert_eq!(blob_id(bytes), git.to_string());
        }
    }
}

//! Changes that destroy or recreate data, found among the differences of two trees so a
//! report can list them before anything else:
//!
//! - a Namespace, PersistentVolumeClaim or StatefulSet that is removed, renamed (removed
//!   while one of its kind is added in the same application) or moved to another
//!   application (which may prune it first);
//! - a change to a field Kubernetes does not let an object change, so that the object
//!   must be deleted and created again: a StatefulSet's `spec.volumeClaimTemplates`,
//!   `spec.selector`, `spec.serviceName` or `spec.podManagementPolicy`; a Deployment's
//!   or Job's `spec.selector`; a Job's `spec.template` (not for an Argo CD hook, which is
//!   created again on every sync anyway); a PersistentVolumeClaim's `spec.accessModes`,
//!   `spec.storageClassName`, `spec.volumeName`, `spec.volumeMode`, `spec.selector`,
//!   `spec.dataSource` or `spec.dataSourceRef`, or a smaller
//!   `spec.resources.requests.storage`; a Service's `spec.clusterIP`.
//!
//! Only names, kinds and field paths are reported, never a value.

use std::collections::BTreeSet;

use serde::Serialize;
use serde_json::Value as Json;

use super::Located;
use crate::check::quantity;
use crate::object_id::ObjectId;
use crate::render::guard;

/// What happens to the object.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RiskKind {
    Removed,
    Renamed,
    Moved,
    Recreated,
}

impl RiskKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RiskKind::Removed => "removed",
            RiskKind::Renamed => "renamed",
            RiskKind::Moved => "moved",
            RiskKind::Recreated => "recreated",
        }
    }
}

/// One change that destroys or recreates data.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Risk {
    pub risk: RiskKind,
    /// The application that delivered it (for a moved object, the one it leaves).
    pub application: String,
    #[serde(flatten)]
    pub id: ObjectId,
    /// For a renamed object, the one that takes its place.
    pub renamed_to: Option<ObjectId>,
    /// For a moved object, the application that delivers it now.
    pub moved_to: Option<String>,
    /// For a recreated object, the fields that changed, as Kubernetes names them.
    pub fields: Vec<String>,
    /// Whether the base's object tells Argo CD to leave it in the cluster (`Prune=false`,
    /// or `Delete=false` when its application goes too).
    pub guarded: bool,
    /// What happens, in a sentence.
    pub consequence: String,
}

/// Kinds whose removal deletes data (or, for a StatefulSet, its pods and their names).
fn holds_data(key: &ObjectId) -> bool {
    matches!(
        (key.group.as_str(), key.kind.as_str()),
        ("", "Namespace" | "PersistentVolumeClaim") | ("apps", "StatefulSet")
    )
}

/// The fields of a kind that Kubernetes does not let change, as JSON pointers.
fn immutable_fields(key: &ObjectId) -> &'static [&'static str] {
    match (key.group.as_str(), key.kind.as_str()) {
        ("apps", "StatefulSet") => &[
            "/spec/volumeClaimTemplates",
            "/spec/selector",
            "/spec/serviceName",
            "/spec/podManagementPolicy",
        ],
        ("apps", "Deployment") => &["/spec/selector"],
        ("batch", "Job") => &["/spec/selector", "/spec/template"],
        ("", "PersistentVolumeClaim") => &[
            "/spec/accessModes",
            "/spec/storageClassName",
            "/spec/volumeName",
            "/spec/volumeMode",
            "/spec/selector",
            "/spec/dataSource",
            "/spec/dataSourceRef",
        ],
        ("", "Service") => &["/spec/clusterIP"],
        _ => &[],
    }
}

/// `/spec/volumeClaimTemplates` → `spec.volumeClaimTemplates`.
fn field_name(pointer: &str) -> String {
    pointer.trim_start_matches('/').replace('/', ".")
}

/// An Argo CD hook is deleted and created again on every sync (`BeforeHookCreation`,
/// the default), so a change to its template recreates nothing more.
fn is_hook(value: &Json) -> bool {
    let annotations = value.pointer("/metadata/annotations");
    ["argocd.argoproj.io/hook", "helm.sh/hook"]
        .iter()
        .any(|a| annotations.and_then(|m| m.get(*a)).is_some())
}

const STORAGE: &str = "/spec/resources/requests/storage";

/// The immutable fields that differ between two versions of an object.
fn changed_fields(key: &ObjectId, old: &Json, new: &Json) -> Vec<String> {
    if key.is("batch", "Job") && is_hook(new) {
        return Vec::new();
    }
    let mut fields: Vec<String> = immutable_fields(key)
        .iter()
        .filter(|p| old.pointer(p) != new.pointer(p))
        .map(|p| field_name(p))
        .collect();
    if key.is("", "PersistentVolumeClaim") {
        let size = |v: &Json| v.pointer(STORAGE).and_then(quantity::parse_json);
        if let (Some(before), Some(after)) = (size(old), size(new)) {
            if after < before {
                fields.push(field_name(STORAGE));
            }
        }
    }
    fields
}

/// The option of the base's object that keeps Argo CD from deleting it, if it has it:
/// `Prune=false` when it leaves the repository, `Delete=false` when its application is
/// deleted too.
fn guarded(old: &Located, application_removed: bool) -> Option<&'static str> {
    let option = if application_removed {
        "Delete"
    } else {
        "Prune"
    };
    (guard::option(&old.value, option).as_deref() == Some("false")).then_some(option)
}

/// What deleting an object of a kind that holds data deletes: `it with its pods; …`.
fn deletes(key: &ObjectId, old: &Json) -> &'static str {
    match key.kind.as_str() {
        "Namespace" => "it with everything in it, claims and their data",
        "PersistentVolumeClaim" => {
            "it, and its volume unless the volume's reclaim policy is `Retain`"
        }
        _ => {
            let claims_go = old
                .pointer("/spec/persistentVolumeClaimRetentionPolicy/whenDeleted")
                .and_then(Json::as_str)
                == Some("Delete");
            if claims_go {
                "it with its pods, and its claims with them (`persistentVolumeClaimRetentionPolicy.whenDeleted: Delete`)"
            } else {
                "it with its pods; its claims stay"
            }
        }
    }
}

/// What a removal does; `guard` is the option that keeps the object, when it does.
fn removal(key: &ObjectId, old: &Json, guard: Option<&str>) -> String {
    match guard {
        Some(option) => format!(
            "Argo CD leaves it in the cluster (`{option}=false`), out of sync, until it is deleted by hand"
        ),
        None => format!("Argo CD deletes {}", deletes(key, old)),
    }
}

/// What the object that takes a renamed one's place starts with.
fn replacement(to: &ObjectId) -> String {
    match to.kind.as_str() {
        "Namespace" => format!("`{}` is created empty", to.spaced()),
        "PersistentVolumeClaim" => format!("`{}` is a new, empty claim", to.spaced()),
        _ => format!("`{}` starts with new, empty claims", to.spaced()),
    }
}

fn recreation(key: &ObjectId) -> String {
    match key.kind.as_str() {
        "PersistentVolumeClaim" => "Kubernetes refuses the change (a claim's storage can only grow, the rest of its spec is fixed): the sync fails until the claim is deleted and created again, empty".into(),
        "StatefulSet" => "Kubernetes refuses the change: the sync fails until the StatefulSet is deleted and created again; its claims stay as they are".into(),
        kind => format!("Kubernetes refuses the change: the sync fails until the {kind} is deleted and created again"),
    }
}

/// The objects of both trees, as the comparison pairs them.
pub(super) struct Pairs<'a> {
    pub removed: Vec<(&'a ObjectId, &'a Located)>,
    pub added: Vec<(&'a ObjectId, &'a Located)>,
    /// In both trees, with different contents or applications.
    pub changed: Vec<(&'a ObjectId, &'a Located, &'a Located)>,
}

/// How a removed object and an added one are paired as a rename, in order of
/// preference; both are always of the same kind and application.
#[derive(Clone, Copy)]
enum Match {
    /// The same name, in another namespace (the namespace was renamed).
    SameName,
    /// The same namespace, another name.
    SameNamespace,
    /// The only one removed and the only one added.
    OnlyOne,
}

/// For each removed object, the index in `added` of the one that takes its place.
fn renames(
    removed: &[(&ObjectId, &Located)],
    added: &[(&ObjectId, &Located)],
) -> Vec<Option<usize>> {
    let alike = |(a, x): &(&ObjectId, &Located), (b, y): &(&ObjectId, &Located)| {
        a.is(&b.group, &b.kind) && x.app == y.app
    };
    let mut taken = vec![false; added.len()];
    let mut to: Vec<Option<usize>> = vec![None; removed.len()];
    for rule in [Match::SameName, Match::SameNamespace, Match::OnlyOne] {
        for (r, old) in removed.iter().enumerate() {
            if to.get(r).copied().flatten().is_some() {
                continue;
            }
            let free: Vec<(usize, &ObjectId)> = added
                .iter()
                .enumerate()
                .filter(|(i, new)| !taken.get(*i).copied().unwrap_or(true) && alike(old, new))
                .map(|(i, (k, _))| (i, *k))
                .collect();
            let found = match rule {
                Match::SameName => free.iter().find(|(_, k)| k.name == old.0.name),
                Match::SameNamespace => free
                    .iter()
                    .find(|(_, k)| k.namespace.is_some() && k.namespace == old.0.namespace),
                Match::OnlyOne => {
                    let unpaired = removed
                        .iter()
                        .zip(&to)
                        .filter(|(other, paired)| paired.is_none() && alike(other, old))
                        .count();
                    free.first().filter(|_| free.len() == 1 && unpaired == 1)
                }
            };
            if let Some(&(i, _)) = found {
                if let Some(t) = taken.get_mut(i) {
                    *t = true;
                }
                if let Some(slot) = to.get_mut(r) {
                    *slot = Some(i);
                }
            }
        }
    }
    to
}

/// Every change of `pairs` that destroys or recreates data, sorted by application,
/// kind, namespace and name.
pub(super) fn assess(pairs: &Pairs) -> Vec<Risk> {
    let mut risks = removals(pairs);
    for (key, old, new) in &pairs.changed {
        risks.extend(change(key, old, new));
    }
    risks.sort_by(|a, b| {
        (&a.application, a.id.by_kind(), a.risk).cmp(&(&b.application, b.id.by_kind(), b.risk))
    });
    risks
}

/// The objects that hold data and are removed, or renamed (one of their kind added in
/// their place).
fn removals(pairs: &Pairs) -> Vec<Risk> {
    let removed_apps: BTreeSet<&str> = pairs
        .removed
        .iter()
        .filter(|(k, _)| k.is("argoproj.io", "Application"))
        .map(|(k, _)| k.name.as_str())
        .collect();
    let mut risks = Vec::new();

    let removed: Vec<(&ObjectId, &Located)> = pairs
        .removed
        .iter()
        .filter(|(k, _)| holds_data(k))
        .copied()
        .collect();
    let added: Vec<(&ObjectId, &Located)> = pairs
        .added
        .iter()
        .filter(|(k, _)| holds_data(k))
        .copied()
        .collect();
    let renamed_to = renames(&removed, &added);
    for ((key, old), to) in removed.iter().zip(renamed_to) {
        let guard = guarded(old, removed_apps.contains(old.app.as_str()));
        let mut consequence = removal(key, &old.value, guard);
        let to = to.and_then(|i| added.get(i)).map(|(k, _)| (*k).clone());
        if let Some(to) = &to {
            consequence.push_str("; ");
            consequence.push_str(&replacement(to));
        }
        risks.push(Risk {
            risk: if to.is_some() {
                RiskKind::Renamed
            } else {
                RiskKind::Removed
            },
            application: old.app.clone(),
            id: (*key).clone(),
            renamed_to: to,
            moved_to: None,
            fields: Vec::new(),
            guarded: guard.is_some(),
            consequence,
        });
    }
    risks
}

/// What a change puts at risk: an object that holds data and moves to another
/// application, and one whose immutable fields change.
fn change(key: &ObjectId, old: &Located, new: &Located) -> Vec<Risk> {
    let mut risks = Vec::new();
    if old.app != new.app && holds_data(key) {
        let is_guarded = guarded(old, false).is_some();
        let consequence = if is_guarded {
            format!(
                "`{}` leaves it in the cluster (`Prune=false`) for `{}` to take over",
                old.app, new.app
            )
        } else {
            format!(
                "`{}` may prune it before `{}` takes it over, which deletes {}",
                old.app,
                new.app,
                deletes(key, &old.value)
            )
        };
        risks.push(Risk {
            risk: RiskKind::Moved,
            application: old.app.clone(),
            id: (*key).clone(),
            renamed_to: None,
            moved_to: Some(new.app.clone()),
            fields: Vec::new(),
            guarded: is_guarded,
            consequence,
        });
    }
    let fields = changed_fields(key, &old.value, &new.value);
    if !fields.is_empty() {
        risks.push(Risk {
            risk: RiskKind::Recreated,
            application: new.app.clone(),
            id: (*key).clone(),
            renamed_to: None,
            moved_to: None,
            fields,
            guarded: false,
            consequence: recreation(key),
        });
    }
    risks
}

impl Risk {
    /// `renamed Namespace a to b in app`, `recreated PersistentVolumeClaim n/c in app:
    /// spec.storageClassName changed`.
    pub fn headline(&self) -> String {
        format!("{} {}", self.risk.as_str(), self.subject(false))
    }

    /// The headline without its first word, with names in backticks when `code` is set.
    pub fn subject(&self, code: bool) -> String {
        let q = |s: String| if code { format!("`{s}`") } else { s };
        let mut s = q(self.id.spaced());
        if let Some(to) = &self.renamed_to {
            let to = if to.kind == self.id.kind {
                to.spaced()
                    .strip_prefix(&format!("{} ", to.kind))
                    .unwrap_or_default()
                    .to_string()
            } else {
                to.spaced()
            };
            s.push_str(&format!(" to {}", q(to)));
        }
        match &self.moved_to {
            Some(to) => s.push_str(&format!(
                " from {} to {}",
                q(self.application.clone()),
                q(to.clone())
            )),
            None => s.push_str(&format!(" in {}", q(self.application.clone()))),
        }
        if !self.fields.is_empty() {
            let fields: Vec<String> = self.fields.iter().map(|f| format!("`{f}`")).collect();
            s.push_str(&format!(": {} changed", fields.join(", ")));
        }
        s
    }
}

#[cfg(test)]
mod tests;

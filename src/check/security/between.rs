//! Posture rules between objects: namespaces enforce the Pod Security profile and deny
//! traffic by default; tokens are mounted only for accounts a role is bound to.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value as Json;

use super::{exceptions, finding};
use crate::check::rules::{pod_templates, Finding};
use crate::render::Object;

/// Posture rules between objects: namespaces enforce the profile and deny traffic by
/// default; tokens are mounted only for accounts a role is bound to.
pub(in crate::check) fn between(objects: &[Object]) -> Vec<(usize, Finding)> {
    let facts = Facts::of(objects);
    let mut out = Vec::new();
    for (index, o) in objects.iter().enumerate() {
        let ns = o.namespace().unwrap_or("");
        let found = match o.kind() {
            "Namespace" => facts.namespace(o),
            "ServiceAccount" => facts.service_account(o, ns),
            _ => facts.pod_tokens(o, ns),
        };
        out.extend(found.into_iter().map(|f| (index, f)));
    }
    out
}

/// What the rules between objects need to know of the whole unit.
struct Facts<'o> {
    /// Namespaces with a default-deny NetworkPolicy.
    default_deny: BTreeSet<&'o str>,
    /// Service accounts (namespace, name) a role is bound to.
    bound: BTreeSet<(String, String)>,
    /// Namespaces that hold a workload excepted from `runAsNonRoot`, and one of them.
    root_workloads: BTreeMap<&'o str, &'o str>,
}

impl<'o> Facts<'o> {
    /// Gathers the facts from every object of the unit.
    fn of(objects: &'o [Object]) -> Facts<'o> {
        let mut default_deny: BTreeSet<&str> = BTreeSet::new();
        let mut bound: BTreeSet<(String, String)> = BTreeSet::new();
        let mut root_workloads: BTreeMap<&str, &str> = BTreeMap::new();
        for o in objects {
            let ns = o.namespace().unwrap_or("");
            match o.kind() {
                "NetworkPolicy" => {
                    let spec = o.field("spec");
                    let all_pods = spec["podSelector"].as_object().is_some_and(|m| {
                        m.values()
                            .all(|v| v.as_object().is_some_and(serde_json::Map::is_empty))
                    });
                    let types: Vec<&str> = spec["policyTypes"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(Json::as_str)
                        .collect();
                    let no_rules = |k: &str| spec[k].as_array().is_none_or(std::vec::Vec::is_empty);
                    if all_pods
                        && types.contains(&"Ingress")
                        && types.contains(&"Egress")
                        && no_rules("ingress")
                        && no_rules("egress")
                    {
                        default_deny.insert(ns);
                    }
                }
                "RoleBinding" | "ClusterRoleBinding" => {
                    for s in o.field("subjects").as_array().into_iter().flatten() {
                        if s["kind"].as_str() == Some("ServiceAccount") {
                            let sns = s["namespace"].as_str().unwrap_or(ns).to_string();
                            bound.insert((sns, s["name"].as_str().unwrap_or("").to_string()));
                        }
                    }
                }
                _ => {}
            }
            if exceptions(o).contains("runAsNonRoot") {
                root_workloads.insert(ns, o.name());
            }
        }
        Facts {
            default_deny,
            bound,
            root_workloads,
        }
    }

    /// Refuses a Namespace that does not enforce its Pod Security profile (`baseline`
    /// where a workload is excepted from `runAsNonRoot`) or has no default-deny policy.
    fn namespace(&self, o: &Object) -> Vec<Finding> {
        let (root_workloads, default_deny) = (&self.root_workloads, &self.default_deny);
        let mut out = Vec::new();
        let name = o.name();
        let enforce = o
            .value
            .pointer("/metadata/labels/pod-security.kubernetes.io~1enforce")
            .and_then(Json::as_str);
        let expected = if root_workloads.contains_key(name) {
            "baseline"
        } else {
            "restricted"
        };
        if enforce != Some(expected) {
            let why = match root_workloads.get(name) {
                Some(w) => format!("`{w}` is excepted from `runAsNonRoot`, so the namespace must enforce `baseline`"),
                None => "every namespace kiln creates enforces the restricted profile".into(),
            };
            out.push(finding(
                "/metadata/labels",
                format!(
                    "namespace `{name}` does not enforce the `{expected}` Pod Security profile"
                ),
                format!("label it `pod-security.kubernetes.io/enforce: {expected}`; {why}"),
            ));
        }
        if !default_deny.contains(name) {
            out.push(finding(
                "/metadata/name",
                format!("namespace `{name}` has no default-deny NetworkPolicy"),
                "emit a NetworkPolicy with `podSelector: {}`, `policyTypes: [Ingress, Egress]` and no rules; allow what is needed on top",
            ));
        }
        out
    }

    /// Refuses a ServiceAccount that mounts a token when no role is bound to it.
    fn service_account(&self, o: &Object, ns: &str) -> Vec<Finding> {
        let bound = &self.bound;
        let mut out = Vec::new();
        let automount = o.field("automountServiceAccountToken").as_bool() != Some(false);
        if automount && !bound.contains(&(ns.to_string(), o.name().to_string())) {
            out.push(finding(
                "/automountServiceAccountToken",
                format!(
                    "ServiceAccount `{}` mounts a token but no role is bound to it",
                    o.name()
                ),
                "set `automountServiceAccountToken: false`, or grant it a role (catalog `rbac`)",
            ));
        }
        out
    }

    /// Refuses a pod template that mounts the token of an account no role is bound to.
    fn pod_tokens(&self, o: &Object, ns: &str) -> Vec<Finding> {
        let bound = &self.bound;
        let mut out = Vec::new();
        for (base, template) in pod_templates(o) {
            let spec = &template["spec"];
            if spec["automountServiceAccountToken"] == Json::Bool(true) {
                let account = spec["serviceAccountName"].as_str().unwrap_or("default");
                if !bound.contains(&(ns.to_string(), account.to_string())) {
                    out.push(finding(
                        format!("{base}/spec/automountServiceAccountToken"),
                        format!(
                            "{} `{}` mounts the token of `{account}`, to which no role is bound",
                            o.kind(),
                            o.name()
                        ),
                        "mount a token only where the catalog grants a role (`rbac`)",
                    ));
                }
            }
        }
        out
    }
}

//! Rules between the objects of one build.

use super::*;

/// A Service's port names and numbers.
type ServicePorts<'a> = (BTreeSet<&'a str>, BTreeSet<i64>);

/// Rules between objects of one build: what a Service, Ingress, autoscaler, disruption
/// budget or binding points at must exist and fit.
pub(in crate::check) fn between(objects: &[Object]) -> Vec<(usize, Finding)> {
    let unit = Unit::of(objects);
    let mut out = Vec::new();
    for (index, o) in objects.iter().enumerate() {
        let ns = o.namespace().unwrap_or("");
        let found = match o.kind() {
            "Service" => unit.service(o, ns),
            "PodDisruptionBudget" => unit.disruption_budget(o, ns),
            "HorizontalPodAutoscaler" => unit.autoscaler(o, ns),
            "Ingress" => unit.ingress(o, ns),
            "RoleBinding" => unit.role_binding(o, ns),
            _ => Vec::new(),
        };
        out.extend(found.into_iter().map(|f| (index, f)));
    }
    out
}

/// A pod template: its labels, and its containers' ports by name and number.
struct Pods<'a> {
    labels: Option<&'a Json>,
    port_names: BTreeSet<&'a str>,
    port_numbers: BTreeSet<i64>,
}

/// What the objects of one build offer to be pointed at.
struct Unit<'a> {
    /// Pod templates by namespace.
    pods: BTreeMap<&'a str, Vec<Pods<'a>>>,
    /// Every object's namespace, kind and name.
    by_id: BTreeSet<(String, String, String)>,
    /// Each Service's ports, by namespace and name.
    service_ports: BTreeMap<(&'a str, &'a str), ServicePorts<'a>>,
}

impl<'a> Unit<'a> {
    /// Gathers what every object of the build offers.
    fn of(objects: &'a [Object]) -> Unit<'a> {
        let mut pods: BTreeMap<&str, Vec<Pods>> = BTreeMap::new();
        let mut by_id: BTreeSet<(String, String, String)> = BTreeSet::new();
        let mut service_ports: BTreeMap<(&str, &str), ServicePorts> = BTreeMap::new();
        for o in objects {
            let ns = o.namespace().unwrap_or("");
            by_id.insert((ns.to_string(), o.kind().to_string(), o.name().to_string()));
            for (base, t) in pod_templates(o) {
                let mut p = Pods {
                    labels: t.pointer("/metadata/labels"),
                    port_names: BTreeSet::new(),
                    port_numbers: BTreeSet::new(),
                };
                for (_, c) in containers(&t["spec"], &base) {
                    for port in c["ports"].as_array().into_iter().flatten() {
                        p.port_names.extend(port["name"].as_str());
                        p.port_numbers.extend(port["containerPort"].as_i64());
                    }
                }
                pods.entry(ns).or_default().push(p);
            }
            if o.kind() == "Service" {
                let ports = o.value.pointer("/spec/ports").and_then(Json::as_array);
                let names = ports
                    .into_iter()
                    .flatten()
                    .filter_map(|p| p["name"].as_str())
                    .collect();
                let numbers = ports
                    .into_iter()
                    .flatten()
                    .filter_map(|p| p["port"].as_i64())
                    .collect();
                service_ports.insert((ns, o.name()), (names, numbers));
            }
        }
        Unit {
            pods,
            by_id,
            service_ports,
        }
    }

    /// The pod templates of namespace `ns`.
    fn pods_in(&self, ns: &str) -> &[Pods<'a>] {
        self.pods.get(ns).map(Vec::as_slice).unwrap_or_default()
    }

    /// A Service with a selector must select a pod, and every port it sends traffic to
    /// must be a port of every pod it selects.
    fn service(&self, o: &Object, ns: &str) -> Vec<Finding> {
        let mut out = Vec::new();
        let Some(selector) = o
            .value
            .pointer("/spec/selector")
            .and_then(Json::as_object)
            .filter(|s| !s.is_empty())
        else {
            return out;
        };
        let selected: Vec<&Pods> = self
            .pods_in(ns)
            .iter()
            .filter(|p| map_selects(selector, p.labels))
            .collect();
        if selected.is_empty() {
            out.push(
                finding(Code::References, "/spec/selector", format!("Service `{}` selects no pod in namespace `{ns}`", o.name()))
                    .hint("its selector must match the pod template labels of a workload in the same namespace"),
            );
            return out;
        }
        for (i, p) in o
            .value
            .pointer("/spec/ports")
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let target = if p["targetPort"].is_null() {
                &p["port"]
            } else {
                &p["targetPort"]
            };
            let exists = match target {
                Json::String(n) => selected
                    .iter()
                    .all(|pod| pod.port_names.contains(n.as_str())),
                Json::Number(n) => selected
                    .iter()
                    .all(|pod| n.as_i64().is_some_and(|n| pod.port_numbers.contains(&n))),
                _ => true,
            };
            if !exists {
                out.push(finding(
                    Code::References,
                    format!("/spec/ports/{i}/targetPort"),
                    format!("Service `{}` sends port {} to {target}, which the pods it selects do not have", o.name(), p["port"]),
                ));
            }
        }
        out
    }

    /// A PodDisruptionBudget must select a pod of its namespace.
    fn disruption_budget(&self, o: &Object, ns: &str) -> Vec<Finding> {
        let selector = o
            .value
            .pointer("/spec/selector")
            .cloned()
            .unwrap_or(Json::Null);
        if self
            .pods_in(ns)
            .iter()
            .any(|p| selects(&selector, p.labels))
        {
            return Vec::new();
        }
        vec![finding(
            Code::References,
            "/spec/selector",
            format!(
                "PodDisruptionBudget `{}` selects no pod in namespace `{ns}`",
                o.name()
            ),
        )]
    }

    /// A HorizontalPodAutoscaler must scale a workload the build has in its namespace.
    fn autoscaler(&self, o: &Object, ns: &str) -> Vec<Finding> {
        let kind = o
            .value
            .pointer("/spec/scaleTargetRef/kind")
            .and_then(Json::as_str)
            .unwrap_or("");
        let name = o
            .value
            .pointer("/spec/scaleTargetRef/name")
            .and_then(Json::as_str)
            .unwrap_or("");
        if self
            .by_id
            .contains(&(ns.to_string(), kind.to_string(), name.to_string()))
        {
            return Vec::new();
        }
        vec![finding(Code::References, "/spec/scaleTargetRef", format!("HorizontalPodAutoscaler `{}` scales {kind} `{name}`, which the build does not have in namespace `{ns}`", o.name()))]
    }

    /// Every backend of an Ingress must be a Service of its namespace, and a port of it.
    fn ingress(&self, o: &Object, ns: &str) -> Vec<Finding> {
        let mut out = Vec::new();
        for (r, rule) in o
            .value
            .pointer("/spec/rules")
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            for (p, path) in rule
                .pointer("/http/paths")
                .and_then(Json::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                let svc = path
                    .pointer("/backend/service/name")
                    .and_then(Json::as_str)
                    .unwrap_or("");
                let at = format!("/spec/rules/{r}/http/paths/{p}/backend/service");
                match self.service_ports.get(&(ns, svc)) {
                    None => out.push(finding(Code::References, format!("{at}/name"), format!("Ingress `{}` sends traffic to Service `{svc}`, which the build does not have in namespace `{ns}`", o.name()))),
                    Some((names, numbers)) => {
                        let port = path.pointer("/backend/service/port");
                        let ok = match (port.and_then(|p| p.get("name")), port.and_then(|p| p.get("number"))) {
                            (Some(Json::String(n)), _) => names.contains(n.as_str()),
                            (_, Some(n)) => n.as_i64().is_some_and(|n| numbers.contains(&n)),
                            _ => false,
                        };
                        if !ok {
                            out.push(finding(Code::References, format!("{at}/port"), format!("Ingress `{}` uses a port that Service `{svc}` does not have", o.name())));
                        }
                    }
                }
            }
        }
        out
    }

    /// A RoleBinding to a Role must name a Role the build has in its namespace.
    fn role_binding(&self, o: &Object, ns: &str) -> Vec<Finding> {
        let kind = o
            .value
            .pointer("/roleRef/kind")
            .and_then(Json::as_str)
            .unwrap_or("");
        let name = o
            .value
            .pointer("/roleRef/name")
            .and_then(Json::as_str)
            .unwrap_or("");
        if kind == "Role"
            && !self
                .by_id
                .contains(&(ns.to_string(), "Role".into(), name.to_string()))
        {
            return vec![finding(Code::References, "/roleRef", format!("RoleBinding `{}` grants Role `{name}`, which the build does not have in namespace `{ns}`", o.name()))];
        }
        Vec::new()
    }
}

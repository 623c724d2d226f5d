//! Pod templates: containers, ports, probes, mounts, environment and resources, as
//! the API server and the kubelet check them.

use super::*;

/// What is wrong with a container's mount path, if anything.
pub(super) fn mount_path_problem(path: &str) -> Option<&'static str> {
    if !path.starts_with('/') {
        Some("it is not absolute")
    } else if path.chars().any(char::is_control) {
        Some("it holds a control character")
    } else if path.contains(':') {
        Some("it holds `:`")
    } else if path
        .split('/')
        .skip(1)
        .any(|seg| seg == ".." || seg == "." || seg.is_empty() && path != "/")
    {
        Some("it has an empty, `.` or `..` segment")
    } else {
        None
    }
}

pub(super) fn port_in_range(v: &Json) -> bool {
    v.as_i64().is_some_and(|p| (1..=65535).contains(&p))
}

pub(super) fn quantity_at(v: &Json, at: &str, out: &mut Vec<Finding>) {
    if quantity::parse_json(v).is_none() {
        let shown = v
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| v.to_string());
        out.push(
            finding(
                Code::PodSpec,
                at,
                format!("`{shown}` is not a valid quantity"),
            )
            .hint("write a number with an optional suffix, such as `500m`, `2`, `512Mi` or `10Gi`"),
        );
    }
}

/// Checks a pod spec at `base`: each container's ports, probes, mounts, environment
/// and resources.
pub(super) fn pod(spec: &Json, base: &str, out: &mut Vec<Finding>) {
    let volumes: BTreeSet<&str> = spec["volumes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v["name"].as_str())
        .collect();
    let mut claim_templates = BTreeSet::new();
    claim_templates.insert("data");
    for (at, c) in containers(spec, base) {
        let cname = c["name"].as_str().unwrap_or("");
        let names = ports(c, &at, cname, out);
        probes(c, &at, cname, &names, out);
        mounts(c, &at, cname, &volumes, &claim_templates, out);
        env(c, &at, out);
        resources(&c["resources"], &format!("{at}/resources"), cname, out);
    }
}

/// Refuses a container port out of range, a bad or repeated port name, and a port
/// number given twice; returns the names of the container's ports.
fn ports<'c>(c: &'c Json, at: &str, cname: &str, out: &mut Vec<Finding>) -> BTreeSet<&'c str> {
    let mut names = BTreeSet::new();
    let mut numbers = BTreeSet::new();
    for (i, p) in c["ports"].as_array().into_iter().flatten().enumerate() {
        let pat = format!("{at}/ports/{i}");
        if !port_in_range(&p["containerPort"]) {
            out.push(finding(
                Code::PodSpec,
                format!("{pat}/containerPort"),
                format!(
                    "container `{cname}` has port {}, outside 1 to 65535",
                    p["containerPort"]
                ),
            ));
        }
        if let Some(n) = p["name"].as_str() {
            if !is_port_name(n) {
                out.push(finding(Code::PodSpec, format!("{pat}/name"), format!("the port name `{n}` is invalid: at most 15 lower-case letters, digits and `-`, with a letter")));
            }
            if !names.insert(n) {
                out.push(finding(
                    Code::PodSpec,
                    format!("{pat}/name"),
                    format!("container `{cname}` has two ports named `{n}`"),
                ));
            }
        }
        let protocol = p["protocol"].as_str().unwrap_or("TCP");
        if !numbers.insert((p["containerPort"].as_i64(), protocol)) {
            out.push(finding(
                Code::PodSpec,
                format!("{pat}/containerPort"),
                format!("container `{cname}` has port {} twice", p["containerPort"]),
            ));
        }
    }
    names
}

/// Refuses a probe on a port the container does not have.
fn probes(c: &Json, at: &str, cname: &str, names: &BTreeSet<&str>, out: &mut Vec<Finding>) {
    for probe in ["readinessProbe", "livenessProbe", "startupProbe"] {
        for handler in ["httpGet", "tcpSocket"] {
            let port = c
                .pointer(&format!("/{probe}/{handler}/port"))
                .unwrap_or(&Json::Null);
            let ok = match port {
                Json::String(n) => names.contains(n.as_str()),
                Json::Number(_) => port_in_range(port),
                _ => true,
            };
            if !ok {
                out.push(
                    finding(Code::PodSpec, format!("{at}/{probe}/{handler}/port"), format!("the {probe} of container `{cname}` uses port {port}, which the container does not have"))
                        .hint(format!("the container's ports are {}", crate::suggest::code_list(names.iter()))),
                );
            }
        }
    }
}

/// Refuses a mount at a bad path, a `subPath` that leaves its volume, and a mount of a
/// volume the pod does not have.
fn mounts(
    c: &Json,
    at: &str,
    cname: &str,
    volumes: &BTreeSet<&str>,
    claim_templates: &BTreeSet<&str>,
    out: &mut Vec<Finding>,
) {
    for (i, m) in c["volumeMounts"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        let v = m["name"].as_str().unwrap_or("");
        if let Some(problem) = m["mountPath"].as_str().and_then(mount_path_problem) {
            out.push(
                finding(Code::PodSpec,
                    format!("{at}/volumeMounts/{i}/mountPath"),
                    format!("container `{cname}` mounts volume `{v}` at a bad path: {problem}"),
                )
                .hint("a mount path is absolute, without `.` or `..` segments, `:` or control characters"),
            );
        }
        if let Some(sub) = m["subPath"].as_str().filter(|p| !p.is_empty()) {
            if sub.starts_with('/')
                || sub.split('/').any(|seg| seg == "..")
                || sub.chars().any(char::is_control)
            {
                out.push(finding(Code::PodSpec,
                    format!("{at}/volumeMounts/{i}/subPath"),
                    format!("container `{cname}` mounts a `subPath` of volume `{v}` that leaves the volume"),
                ));
            }
        }
        if !volumes.contains(v) && !claim_templates.contains(v) {
            out.push(
                finding(
                    Code::PodSpec,
                    format!("{at}/volumeMounts/{i}/name"),
                    format!("container `{cname}` mounts volume `{v}`, which the pod does not have"),
                )
                .hint(format!(
                    "the pod's volumes are {}",
                    crate::suggest::code_list(volumes.iter())
                )),
            );
        }
    }
}

/// Refuses an invalid environment variable name, and a variable with both `value` and
/// `valueFrom`.
fn env(c: &Json, at: &str, out: &mut Vec<Finding>) {
    for (i, e) in c["env"].as_array().into_iter().flatten().enumerate() {
        let n = e["name"].as_str().unwrap_or("");
        if !is_env_name(n) {
            out.push(finding(
                Code::PodSpec,
                format!("{at}/env/{i}/name"),
                format!("`{n}` is not a valid environment variable name"),
            ));
        }
        if e.get("value").is_some() && e.get("valueFrom").is_some() {
            out.push(finding(
                Code::PodSpec,
                format!("{at}/env/{i}"),
                format!("environment variable `{n}` has both `value` and `valueFrom`"),
            ));
        }
    }
}

pub(super) fn resources(r: &Json, at: &str, cname: &str, out: &mut Vec<Finding>) {
    let mut parsed: BTreeMap<(&str, &str), f64> = BTreeMap::new();
    for part in ["requests", "limits"] {
        for (k, v) in r[part].as_object().into_iter().flatten() {
            let pointer = format!("{at}/{part}/{}", esc(k));
            match quantity::parse_json(v) {
                Some(q) => {
                    parsed.insert((part, k.as_str()), q);
                }
                None => quantity_at(v, &pointer, out),
            }
        }
    }
    for ((part, resource), request) in &parsed {
        if *part != "requests" {
            continue;
        }
        if let Some(limit) = parsed.get(&("limits", resource)) {
            if request > limit {
                out.push(finding(
                    Code::PodSpec,
                    format!("{at}/requests/{}", esc(resource)),
                    format!("container `{cname}` requests more {resource} than its limit"),
                ));
            }
        }
    }
}

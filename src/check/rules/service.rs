//! Services: ports, types and selectors.

use super::*;

pub(super) fn service(s: &Json, out: &mut Vec<Finding>) {
    let ports = s
        .pointer("/spec/ports")
        .and_then(Json::as_array)
        .cloned()
        .unwrap_or_default();
    let mut names = BTreeSet::new();
    let mut numbers = BTreeSet::new();
    for (i, p) in ports.iter().enumerate() {
        let at = format!("/spec/ports/{i}");
        if !port_in_range(&p["port"]) {
            out.push(finding(
                Code::ServiceSpec,
                format!("{at}/port"),
                format!("port {} is outside 1 to 65535", p["port"]),
            ));
        }
        match &p["targetPort"] {
            Json::Number(_) if !port_in_range(&p["targetPort"]) => {
                out.push(finding(
                    Code::ServiceSpec,
                    format!("{at}/targetPort"),
                    format!("target port {} is outside 1 to 65535", p["targetPort"]),
                ));
            }
            Json::String(n) if !is_port_name(n) => {
                out.push(finding(
                    Code::ServiceSpec,
                    format!("{at}/targetPort"),
                    format!("the target port name `{n}` is invalid"),
                ));
            }
            _ => {}
        }
        match p["name"].as_str() {
            Some(n) => {
                if !is_port_name(n) {
                    out.push(finding(Code::ServiceSpec, format!("{at}/name"), format!("the port name `{n}` is invalid: at most 15 lower-case letters, digits and `-`, with a letter")));
                }
                if !names.insert(n.to_string()) {
                    out.push(finding(
                        Code::ServiceSpec,
                        format!("{at}/name"),
                        format!("two ports are named `{n}`"),
                    ));
                }
            }
            None if ports.len() > 1 => out.push(finding(
                Code::ServiceSpec,
                format!("{at}/name"),
                "a Service with several ports must name each of them",
            )),
            None => {}
        }
        let protocol = p["protocol"].as_str().unwrap_or("TCP").to_string();
        if !numbers.insert((p["port"].as_i64(), protocol)) {
            out.push(finding(
                Code::ServiceSpec,
                format!("{at}/port"),
                format!("port {} appears twice", p["port"]),
            ));
        }
    }
}

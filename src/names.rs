//! Kubernetes name rules (as the API server enforces them) and cleaning of names; the
//! names kiln derives from other names are in `derived`.

pub mod derived;

/// Longest DNS-1123 label (namespace names, most object names, label values).
pub const MAX_LABEL: usize = 63;

/// Longest DNS-1123 subdomain (most object names).
pub const MAX_SUBDOMAIN: usize = 253;

/// DNS-1123 label: lower-case alphanumerics and `-`, starting and ending alphanumeric,
/// at most 63 characters.
pub fn is_dns1123_label(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= MAX_LABEL
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b.first().is_some_and(|c| *c != b'-')
        && b.last().is_some_and(|c| *c != b'-')
}

/// DNS-1035 label (Service names): a DNS-1123 label that starts with a letter.
pub fn is_dns1035_label(s: &str) -> bool {
    is_dns1123_label(s) && s.as_bytes().first().is_some_and(u8::is_ascii_lowercase)
}

/// The name part of a qualified name (label and annotation keys, label values): 1 to
/// 63 letters, digits, `-`, `_` and `.`, starting and ending with a letter or digit.
pub fn is_qualified_name_part(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() <= MAX_LABEL
        && b.first().is_some_and(u8::is_ascii_alphanumeric)
        && b.last().is_some_and(u8::is_ascii_alphanumeric)
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
}

/// DNS-1123 subdomain: what most object names must be, and safe as a file name. As in
/// Kubernetes, only the whole is limited (253 characters), not each of its parts.
pub fn is_dns1123_subdomain(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_SUBDOMAIN
        && s.split('.').all(|part| {
            let b = part.as_bytes();
            b.iter()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
                && b.first().is_some_and(|c| *c != b'-')
                && b.last().is_some_and(|c| *c != b'-')
        })
}

/// Why a label or annotation key is invalid (`prefix/name`, prefix a DNS subdomain).
pub fn key_problem(key: &str) -> Option<String> {
    let (prefix, name) = match key.rsplit_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, key),
    };
    if let Some(p) = prefix {
        if !is_dns1123_subdomain(p) {
            return Some(format!("its prefix `{p}` is not a DNS subdomain"));
        }
    }
    if !is_qualified_name_part(name) {
        return Some(format!(
            "`{name}` must be 1 to 63 letters, digits, `-`, `_` or `.`, starting and ending with a letter or digit"
        ));
    }
    None
}

/// Why `v` is not a label value, for messages.
pub fn label_value_problem(v: &str) -> Option<String> {
    if v.is_empty() || is_qualified_name_part(v) {
        None
    } else if v.len() > 63 {
        Some(format!(
            "it is {} characters long, over the limit of 63",
            v.len()
        ))
    } else {
        Some("a label value is at most 63 letters, digits, `-`, `_` or `.`, starting and ending with a letter or digit".into())
    }
}

/// IANA service name, what a port name must be: at most 15 lower-case letters, digits
/// and `-`, with a letter, no `--`, not starting or ending with `-`.
pub fn is_port_name(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 15
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b.iter().any(u8::is_ascii_lowercase)
        && !s.contains("--")
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// What an environment variable's name must be (a C identifier, or with `-` and `.`).
pub fn is_env_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_' || c == '-' || c == '.')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// The longest name each kind may have, and whether it must be a DNS label (not just a
/// subdomain), as the API server and its controllers require.
pub fn name_rule(kind: &str) -> (usize, bool) {
    match kind {
        "Namespace" | "Service" => (MAX_LABEL, true),
        // Pods get `<name>-<ordinal>` as hostname, and a revision label from the name.
        "StatefulSet" => (52, true),
        // Jobs get `<name>-<timestamp>` names, which are label values.
        "CronJob" => (52, true),
        "Job" => (MAX_LABEL, true),
        _ => (MAX_SUBDOMAIN, false),
    }
}

/// Why a namespace may not be claimed by a tenant or a pipeline: Kubernetes' own
/// (`kube-*`, `default`), or one the platform runs in (`platform`: Argo CD's, the
/// ingress controller's, monitoring's). `None` when it is free to claim.
pub fn reserved_namespace(ns: &str, platform: &[String]) -> Option<String> {
    if ns.starts_with("kube-") || ns == "default" {
        return Some(format!("`{ns}` is one of Kubernetes' own namespaces"));
    }
    if platform.iter().any(|p| p == ns) {
        return Some(format!("`{ns}` is a namespace the platform runs in"));
    }
    None
}

/// Turns any string into a DNS-1123 label candidate: lower case, every run of other
/// characters becomes one `-`, trimmed of `-`, cut to 63 characters.
pub fn clean(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let trimmed: String = out.trim_matches('-').chars().take(MAX_LABEL).collect();
    trimmed.trim_end_matches('-').to_string()
}

/// Turns any string into a label value (such as a version, for
/// `app.kubernetes.io/version`): letters, digits, `-`, `_` and `.` are kept, every run
/// of other characters becomes one `-`; cut to 63 characters, trimmed to start and end
/// with a letter or digit. `None` when nothing is left.
pub fn label_value(s: &str) -> Option<String> {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() || matches!(c, '_' | '.') {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let alnum = |c: char| !c.is_ascii_alphanumeric();
    let cut: String = out.trim_matches(alnum).chars().take(MAX_LABEL).collect();
    let cut = cut.trim_end_matches(alnum);
    (!cut.is_empty()).then(|| cut.to_string())
}

/// Why `s` is not a DNS-1123 label, for messages.
pub fn label_problem(s: &str) -> Option<String> {
    if s.is_empty() {
        return Some("it is empty".into());
    }
    if s.len() > MAX_LABEL {
        return Some(format!(
            "it is {} characters long, over the limit of {MAX_LABEL}",
            s.len()
        ));
    }
    if let Some(c) = s
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
    {
        return Some(format!(
            "it contains `{c}`; only lower-case letters, digits and `-` are allowed"
        ));
    }
    if s.starts_with('-') || s.ends_with('-') {
        return Some("it must start and end with a letter or digit".into());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subdomain_parts_may_be_longer_than_a_label() {
        assert!(is_dns1123_subdomain(&"a".repeat(64)));
        assert!(is_dns1123_subdomain("example.com"));
        assert!(!is_dns1123_subdomain(&"a".repeat(254)));
        assert!(!is_dns1123_subdomain("a..b"));
        assert!(!is_dns1123_subdomain("-a.b"));
        assert!(!is_dns1123_subdomain("a.B"));
    }

    #[test]
    fn labels() {
        assert!(is_dns1123_label("acme"));
        assert!(is_dns1123_label("a-1"));
        assert!(is_dns1123_label("1a"));
        assert!(!is_dns1123_label("-a"));
        assert!(!is_dns1123_label("a-"));
        assert!(!is_dns1123_label("A"));
        assert!(!is_dns1123_label("a_b"));
        assert!(!is_dns1123_label(""));
        assert!(!is_dns1123_label(".."));
        assert!(!is_dns1123_label(&"a".repeat(64)));
        assert!(is_dns1123_label(&"a".repeat(63)));
        assert!(!is_dns1035_label("1a"));
        assert!(is_dns1035_label("a1"));
    }

    #[test]
    fn cleaning() {
        assert_eq!(clean("Acme Corp"), "acme-corp");
        assert_eq!(clean("..Data_Broker  v2.."), "data-broker-v2");
        assert_eq!(clean("___"), "");
        assert_eq!(clean(&"x".repeat(80)).len(), 63);
    }

    #[test]
    fn label_values() {
        assert_eq!(label_value("1.2.0").as_deref(), Some("1.2.0"));
        assert_eq!(label_value("v2_RC1").as_deref(), Some("v2_RC1"));
        assert_eq!(
            label_value("1.0 beta+build 7").as_deref(),
            Some("1.0-beta-build-7")
        );
        assert_eq!(label_value("-.1.").as_deref(), Some("1"));
        assert_eq!(label_value("...").as_deref(), None);
        assert_eq!(label_value(""), None);
        let long = label_value(&format!("{}.x", "1".repeat(62))).unwrap();
        assert_eq!(long, "1".repeat(62));
    }

    #[test]
    fn problems_are_explained() {
        assert_eq!(label_problem("acme"), None);
        assert_eq!(
            label_problem("Acme").unwrap(),
            "it contains `A`; only lower-case letters, digits and `-` are allowed"
        );
        assert_eq!(
            label_problem("..").unwrap(),
            "it contains `.`; only lower-case letters, digits and `-` are allowed"
        );
        assert!(label_problem(&"a".repeat(70))
            .unwrap()
            .contains("70 characters"));
    }
}

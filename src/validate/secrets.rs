//! Plaintext credentials in any input are errors: kiln only ever handles references to
//! secrets, never their values.

use crate::diagnostic::Diagnostic;
use crate::parse::Document;
use crate::yaml::node::escape_token;
use crate::yaml::{Node, Value};

/// Key names (lower case, without `-`, `_`, `.`) whose literal values are credentials.
const SECRET_SUFFIXES: [&str; 11] = [
    "password",
    "passwd",
    "pwd",
    "secret",
    "token",
    "apikey",
    "secretkey",
    "accesskey",
    "privatekey",
    "clientsecret",
    "connectionstring",
];

/// Whether a key (or an environment variable name) names a credential.
pub fn is_secret_like(key: &str) -> bool {
    let norm: String = key
        .chars()
        .filter(|c| !matches!(c, '-' | '_' | '.'))
        .flat_map(char::to_lowercase)
        .collect();
    SECRET_SUFFIXES.iter().any(|s| norm.ends_with(s))
}

fn is_literal(node: &Node) -> bool {
    match &node.value {
        Value::Str(s) => !s.trim().is_empty(),
        Value::Int(_) | Value::Float(_) => true,
        _ => false,
    }
}

/// Reports every literal credential in a document.
pub fn check(doc: &Document) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    walk(&doc.root, "", &doc.file, &mut out);
    out
}

fn walk(node: &Node, pointer: &str, file: &str, out: &mut Vec<Diagnostic>) {
    match &node.value {
        Value::Map(entries) => {
            // An environment variable: `{name: DB_PASSWORD, value: "..."}`.
            let env_name = node.get("name").and_then(Node::as_str);
            if let (Some(name), Some(value)) = (env_name, node.get("value")) {
                if is_secret_like(name) && is_literal(value) {
                    out.push(
                        Diagnostic::error(format!("plaintext credential in environment variable `{name}`"))
                            .in_file(file)
                            .at(value.span)
                            .pointer(format!("{pointer}/value"))
                            .hint("never put a credential in an input; use `valueFrom: {secretKeyRef: {name: <secret>, key: <key>}}`, or declare it in the catalog's `credentials` so kiln emits an ExternalSecret"),
                    );
                }
            }
            for e in entries {
                let child = format!("{pointer}/{}", escape_token(&e.key));
                if is_secret_like(&e.key) && is_literal(&e.value) {
                    out.push(
                        Diagnostic::error(format!("plaintext credential in `{}`", e.key))
                            .in_file(file)
                            .at(e.value.span)
                            .pointer(child.clone())
                            .hint("never put a credential in an input; keep it in the secret store and reference it: `credentials: {<name>: {key: <remote key>, property: <field>}}` (kiln emits an ExternalSecret)"),
                    );
                }
                walk(&e.value, &child, file, out);
            }
        }
        Value::Seq(items) => {
            for (i, item) in items.iter().enumerate() {
                walk(item, &format!("{pointer}/{i}"), file, out);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Diagnostics;
    use crate::load::SourceFile;
    use crate::parse::parse_document;
    use crate::yaml::ReadOptions;

    fn found(text: &str) -> Vec<Diagnostic> {
        let file = SourceFile {
            path: "t.yaml".into(),
            text: text.into(),
        };
        let doc = parse_document(&file, &ReadOptions::default(), &mut Diagnostics::new()).unwrap();
        check(&doc)
    }

    #[test]
    fn secret_like_keys() {
        for k in [
            "password",
            "dbPassword",
            "DB_PASSWORD",
            "apiKey",
            "api-key",
            "secretKey",
            "token",
            "clientSecret",
        ] {
            assert!(is_secret_like(k), "{k}");
        }
        for k in [
            "secretStore",
            "credential",
            "credentials",
            "tokenTtl",
            "key",
            "property",
            "secretKeyRef",
            "passwordPolicy",
        ] {
            assert!(!is_secret_like(k), "{k}");
        }
    }

    #[test]
    fn literal_values_are_errors() {
        let ds = found("config:\n  auth:\n    password: hunter2\n");
        assert_eq!(ds.len(), 1);
        assert_eq!(ds[0].message, "plaintext credential in `password`");
        assert_eq!(ds[0].pointer.as_deref(), Some("/config/auth/password"));
        assert_eq!(ds[0].line, Some(3));
    }

    #[test]
    fn env_values_are_errors() {
        let ds = found("env:\n  - name: DB_PASSWORD\n    value: s3cret\n");
        assert_eq!(ds.len(), 1);
        assert_eq!(
            ds[0].message,
            "plaintext credential in environment variable `DB_PASSWORD`"
        );
    }

    #[test]
    fn references_and_empty_values_are_fine() {
        assert!(found("credentials:\n  postgres: {key: a/b, property: password}\n").is_empty());
        assert!(found("password: ''\ntoken: null\n").is_empty());
        assert!(found(
            "env:\n  - name: DB_PASSWORD\n    valueFrom: {secretKeyRef: {name: x, key: y}}\n"
        )
        .is_empty());
    }
}

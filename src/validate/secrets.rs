//! Plaintext credentials in any input are errors: kiln only ever handles references to
//! secrets, never their values. What counts as a credential is [`crate::secret`]'s: a
//! literal under a key that names one (at any depth, in any shape: a string, a number, a
//! list of them, a map of them), and a value shaped like one under any key.

use crate::diagnostic::{Code, Diagnostic};
use crate::parse::Document;
use crate::secret::{self, Shape};
use crate::yaml::node::escape_token;
use crate::yaml::{Node, Value};

const HINT_KEY: &str = "never put a credential in an input; keep it in the secret store and reference it: `credentials: {<name>: {key: <remote key>, property: <field>}}` (kiln emits an ExternalSecret)";
const HINT_ENV: &str = "never put a credential in an input; use `valueFrom: {secretKeyRef: {name: <secret>, key: <key>}}`, or declare it in the catalog's `credentials` so kiln emits an ExternalSecret";
const HINT_SHAPE: &str = "keep the credential in the secret store: declare it in the catalog's `credentials` (kiln emits an ExternalSecret) and refer to it, for example `postgres://app:$(DB_PASSWORD)@db/x` with `DB_PASSWORD` filled from the Secret";
const HINT_REPOSITORY: &str = "write the URL without credentials: `kiln publish` and git use the git credential helper (or SSH keys), and Argo CD its repository credentials (a Secret labelled `argocd.argoproj.io/secret-type: repository`)";

/// A literal credential as written, to hide wherever it would be printed.
fn written(node: &Node) -> String {
    match &node.value {
        Value::Str(s) => s.clone(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => f.to_string(),
        _ => String::new(),
    }
}

fn is_literal(node: &Node) -> bool {
    match &node.value {
        Value::Str(s) => !secret::is_reference(s),
        Value::Int(_) | Value::Float(_) => true,
        _ => false,
    }
}

/// Reports every literal credential in a document.
pub fn check(doc: &Document) -> Vec<Diagnostic> {
    let mut walker = Walker {
        file: &doc.file,
        repository: doc.file == "kiln.yaml",
        out: Vec::new(),
    };
    walker.walk(&doc.root, "", None);
    walker.out
}

struct Walker<'a> {
    file: &'a str,
    /// Whether the document is `kiln.yaml`, whose URLs are git repositories.
    repository: bool,
    out: Vec<Diagnostic>,
}

impl Walker<'_> {
    fn literal(&mut self, key: &str, node: &Node, pointer: &str, hint: &str) {
        self.out.push(
            Diagnostic::error(
                Code::PlaintextCredential,
                format!("plaintext credential in `{key}`"),
            )
            .in_file(self.file)
            .at(node.span)
            .pointer(pointer)
            .hiding(written(node))
            .hint(hint),
        );
    }

    /// `under`: the credential key whose value this node is part of.
    fn walk(&mut self, node: &Node, pointer: &str, under: Option<&str>) {
        match &node.value {
            Value::Map(entries) => {
                // An environment variable: `{name: DB_PASSWORD, value: "..."}`.
                let env_name = node.get("name").and_then(Node::as_str);
                let mut env_reported = false;
                if let (Some(name), Some(value)) = (env_name, node.get("value")) {
                    if secret::is_credential_key(name) && is_literal(value) {
                        env_reported = true;
                        self.out.push(
                            Diagnostic::error(
                                Code::PlaintextCredential,
                                format!("plaintext credential in environment variable `{name}`"),
                            )
                            .in_file(self.file)
                            .at(value.span)
                            .pointer(format!("{pointer}/value"))
                            .hiding(written(value))
                            .hint(HINT_ENV),
                        );
                    }
                }
                for e in entries {
                    let child = format!("{pointer}/{}", escape_token(&e.key));
                    if env_reported && e.key == "value" {
                        continue;
                    }
                    if let (Some(var), "value", Value::Str(s)) =
                        (env_name, e.key.as_str(), &e.value.value)
                    {
                        self.shapes(s, &e.value, &child, Some(var));
                        continue;
                    }
                    if secret::is_credential_key(&e.key) && !secret::is_reference_key(&e.key) {
                        if is_literal(&e.value) {
                            self.literal(&e.key, &e.value, &child, HINT_KEY);
                            continue;
                        }
                        self.walk(&e.value, &child, Some(&e.key));
                        continue;
                    }
                    match under {
                        Some(k) if !secret::is_reference_key(&e.key) && is_literal(&e.value) => {
                            self.literal(k, &e.value, &child, HINT_KEY);
                        }
                        _ => self.walk(
                            &e.value,
                            &child,
                            under.filter(|_| !secret::is_reference_key(&e.key)),
                        ),
                    }
                }
            }
            Value::Seq(items) => {
                for (i, item) in items.iter().enumerate() {
                    let child = format!("{pointer}/{i}");
                    match under {
                        Some(k) if is_literal(item) => self.literal(k, item, &child, HINT_KEY),
                        _ => self.walk(item, &child, under),
                    }
                }
            }
            Value::Str(s) => self.shapes(s, node, pointer, None),
            _ => {}
        }
    }

    /// A value shaped like a credential, whatever its key.
    fn shapes(&mut self, s: &str, node: &Node, pointer: &str, env: Option<&str>) {
        let found = secret::find(s);
        let Some(first) = found.first().copied() else {
            return;
        };
        let name = pointer
            .rsplit('/')
            .next()
            .filter(|n| !n.is_empty())
            .unwrap_or("/");
        let hint = if self.repository && matches!(first.shape, Shape::UrlPassword | Shape::Token) {
            HINT_REPOSITORY
        } else {
            HINT_SHAPE
        };
        let place = match env {
            Some(var) => format!("environment variable `{var}`"),
            None => format!("`{name}`"),
        };
        let mut d = Diagnostic::error(
            Code::PlaintextCredential,
            format!(
                "plaintext credential in {place}: {} (`{}`)",
                first.shape.describe(),
                secret::shown(s)
            ),
        )
        .in_file(self.file)
        .at(node.span)
        .pointer(pointer)
        .hint(hint);
        for f in &found {
            d = d.hiding(s.get(f.start..f.end).unwrap_or(""));
        }
        self.out.push(d);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Diagnostics;
    use crate::load::SourceFile;
    use crate::parse::parse_document;
    use crate::yaml::ReadOptions;

    fn found_in(path: &str, text: &str) -> Vec<Diagnostic> {
        let file = SourceFile {
            path: path.into(),
            text: text.into(),
        };
        let doc = parse_document(&file, &ReadOptions::default(), &mut Diagnostics::new()).unwrap();
        check(&doc)
    }

    fn found(text: &str) -> Vec<Diagnostic> {
        found_in("t.yaml", text)
    }

    fn messages(text: &str) -> Vec<String> {
        found(text).into_iter().map(|d| d.message).collect()
    }

    #[test]
    fn literal_values_are_errors() {
        let ds = found("config:\n  auth:\n    password: hunter2\n");
        assert_eq!(ds.len(), 1);
        assert_eq!(ds[0].message, "plaintext credential in `password`");
        assert_eq!(ds[0].pointer.as_deref(), Some("/config/auth/password"));
        assert_eq!(ds[0].line, Some(3));
        assert!(ds[0].secret);
    }

    #[test]
    fn numbers_lists_and_maps_under_a_credential_key() {
        assert_eq!(
            messages("pin: 1\napiToken: 12345\n"),
            ["plaintext credential in `apiToken`"]
        );
        let ds = found("config:\n  password: [\"a1\", \"b2\"]\n");
        assert_eq!(
            ds.iter()
                .map(|d| d.pointer.as_deref().unwrap_or(""))
                .collect::<Vec<_>>(),
            ["/config/password/0", "/config/password/1"]
        );
        let ds = found("config:\n  dbPassword: {value: hunter2}\n");
        assert_eq!(ds.len(), 1);
        assert_eq!(ds[0].message, "plaintext credential in `dbPassword`");
        assert_eq!(ds[0].pointer.as_deref(), Some("/config/dbPassword/value"));
        // A reference under a credential key is fine.
        assert!(found("dbPassword: {secretKeyRef: {name: db, key: password}}\n").is_empty());
        assert!(found("dbPassword: {existingSecret: db, key: password}\n").is_empty());
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
    fn shaped_values_under_any_key() {
        assert_eq!(
            messages("env:\n  DATABASE_URL: postgres://app:s3cret@db/x\n"),
            ["plaintext credential in `DATABASE_URL`: a password in a URL (`postgres://app:***@db/x`)"]
        );
        assert_eq!(
            messages("labels: {owner: ghp_0123456789abcdefghijABCDEF}\n"),
            ["plaintext credential in `owner`: an access token (`ghp_***`)"]
        );
        assert_eq!(
            messages("headers: {X-Auth: 'Bearer abcdefgh12345678'}\n"),
            ["plaintext credential in `X-Auth`: an authorization header (`Bearer ***`)"]
        );
        let ds = found_in(
            "kiln.yaml",
            "repoURL: https://ci:TOKEN@git.example.com/r.git\n",
        );
        assert_eq!(ds.len(), 1);
        assert!(ds[0]
            .hint
            .as_deref()
            .unwrap_or("")
            .contains("git credential helper"));
    }

    #[test]
    fn references_and_empty_values_are_fine() {
        assert!(found("credentials:\n  postgres: {key: a/b, property: password}\n").is_empty());
        assert!(found("password: ''\ntoken: null\n").is_empty());
        assert!(found("password: $(DB_PASSWORD)\nurl: postgres://a:${PW}@db/x\n").is_empty());
        assert!(found(
            "env:\n  - name: DB_PASSWORD\n    valueFrom: {secretKeyRef: {name: x, key: y}}\n"
        )
        .is_empty());
    }
}

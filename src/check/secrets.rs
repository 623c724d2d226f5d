//! No credential in a rendered object: what a template writes is checked as the inputs
//! are ([`crate::secret`]): a literal under a credential key in a ConfigMap (an entry,
//! or a `key: value` / `key=value` line or a JSON field inside one), a literal value of
//! an environment variable whose name names a credential, and a value shaped like a
//! credential anywhere. Secrets themselves are refused in `check::check_secret`.

use crate::diagnostic::Code;
use std::fmt::Write as _;

use serde_json::Value as Json;

use super::rules::Finding;
use crate::render::Object;
use crate::secret;
use crate::yaml::node::escape_token;

const HINT: &str = "a template must not write a credential: declare it in the catalog's `credentials` so kiln emits an ExternalSecret, and read it from the Secret (`valueFrom.secretKeyRef`, or `$(VAR)` in a value)";

/// A credential found at `pointer`; `value` is the credential as written.
fn found(pointer: String, message: String, value: &str) -> Finding {
    Finding {
        code: Code::LiteralSecret,
        pointer,
        message,
        hint: Some(HINT.into()),
        hides: vec![value.to_string()],
    }
}

/// A value's text, for hiding it: a string as it is, a number as written.
fn text_of(v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Every credential a rendered object holds.
pub(super) fn object(o: &Object) -> Vec<Finding> {
    let mut out = Vec::new();
    if o.kind() == "Secret" && o.group().is_empty() {
        return out;
    }
    if o.kind() == "ConfigMap" && o.group().is_empty() {
        if let Some(data) = o.value.get("data").and_then(Json::as_object) {
            for (key, value) in data {
                let at = format!("/data/{}", escape_token(key));
                let Some(text) = value.as_str() else { continue };
                if secret::is_credential_key(key) && !secret::is_reference(text) {
                    out.push(found(
                        at,
                        format!("plaintext credential in ConfigMap entry `{key}`"),
                        text,
                    ));
                } else {
                    entry_text(key, text, &at, &mut out);
                }
            }
        }
    }
    let mut shapes = Vec::new();
    walk(&o.value, &mut String::new(), false, &mut shapes);
    // A ConfigMap entry already reported by its lines is not reported again.
    shapes.retain(|f| !out.iter().any(|seen| seen.pointer == f.pointer));
    out.extend(shapes);
    out
}

/// The lines of a ConfigMap entry, or its fields when it is JSON.
fn entry_text(entry: &str, text: &str, at: &str, out: &mut Vec<Finding>) {
    if let Ok(json @ (Json::Object(_) | Json::Array(_))) = serde_json::from_str::<Json>(text) {
        json_fields(entry, &json, out, at);
        return;
    }
    for line in text.lines() {
        let Some((key, range)) = secret::line_entry(line) else {
            continue;
        };
        let value = line.get(range).unwrap_or("").trim();
        if secret::is_credential_key(key) && secret::is_literal_value(value) {
            out.push(found(
                at.to_string(),
                format!("plaintext credential in `{key}` in ConfigMap entry `{entry}`"),
                value.trim_matches(['"', '\'']),
            ));
        }
    }
}

fn json_fields(entry: &str, json: &Json, out: &mut Vec<Finding>, at: &str) {
    match json {
        Json::Object(map) => {
            for (k, v) in map {
                let literal = match v {
                    Json::String(s) => !secret::is_reference(s),
                    Json::Number(_) => true,
                    _ => false,
                };
                if secret::is_credential_key(k) && literal {
                    out.push(found(
                        at.to_string(),
                        format!("plaintext credential in `{k}` in ConfigMap entry `{entry}`"),
                        &text_of(v),
                    ));
                } else {
                    json_fields(entry, v, out, at);
                }
            }
        }
        Json::Array(items) => items.iter().for_each(|v| json_fields(entry, v, out, at)),
        _ => {}
    }
}

/// Environment variables, and values shaped like a credential, anywhere. `at` is the
/// pointer of `value`, grown and shrunk in place as the walk goes (no string per node);
/// `env` says whether `value` is an item of an `env` list.
fn walk(value: &Json, at: &mut String, env: bool, out: &mut Vec<Finding>) {
    match value {
        Json::Object(map) => {
            let name = map.get("name").and_then(Json::as_str);
            if let (true, Some(name), Some(v)) = (env, name, map.get("value")) {
                let literal = match v {
                    Json::String(s) => !secret::is_reference(s),
                    Json::Number(_) => true,
                    _ => false,
                };
                if secret::is_credential_key(name) && literal {
                    out.push(found(
                        format!("{at}/value"),
                        format!("plaintext credential in environment variable `{name}`"),
                        &text_of(v),
                    ));
                    return;
                }
                if let Some(s) = v.as_str() {
                    if let Some(f) = shaped(
                        s,
                        format!("{at}/value"),
                        &format!("environment variable `{name}`"),
                    ) {
                        out.push(f);
                        return;
                    }
                }
            }
            for (k, v) in map {
                let len = at.len();
                at.push('/');
                at.push_str(&escape_token(k));
                walk(v, at, k == "env" && v.is_array(), out);
                at.truncate(len);
            }
        }
        Json::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                let len = at.len();
                let _ = write!(at, "/{i}");
                walk(v, at, env, out);
                at.truncate(len);
            }
        }
        Json::String(s) => {
            let name = at.rsplit('/').next().unwrap_or("");
            out.extend(shaped(s, at.clone(), &format!("`{name}`")));
        }
        _ => {}
    }
}

/// A string shaped like a credential at `pointer`, in `place` (for the message).
fn shaped(s: &str, pointer: String, place: &str) -> Option<Finding> {
    let parts = secret::find(s);
    let first = parts.first()?;
    Some(Finding {
        code: Code::LiteralSecret,
        pointer,
        message: format!(
            "plaintext credential in {place}: {} (`{}`)",
            first.shape.describe(),
            secret::shown(s)
        ),
        hint: Some(HINT.into()),
        hides: parts
            .iter()
            .map(|f| s.get(f.start..f.end).unwrap_or("").to_string())
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn messages(v: Json) -> Vec<String> {
        let o = crate::render::object::of_acme(v);
        object(&o).into_iter().map(|f| f.message).collect()
    }

    #[test]
    fn config_maps() {
        assert_eq!(
            messages(
                json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "acme"},
                "data": {"PASSWORD": "hunter2", "app.properties": "user=a\npassword = hunter2\n",
                    "config.json": "{\"db\": {\"password\": 1234}}", "ok": "password: $(PW)\n"}})
            ),
            [
                "plaintext credential in ConfigMap entry `PASSWORD`",
                "plaintext credential in `password` in ConfigMap entry `app.properties`",
                "plaintext credential in `password` in ConfigMap entry `config.json`",
            ]
        );
    }

    #[test]
    fn env_and_shapes() {
        assert_eq!(
            messages(json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d", "namespace": "acme"},
                "spec": {"template": {"spec": {"containers": [{"name": "a", "env": [
                    {"name": "DB_PASSWORD", "value": "hunter2"},
                    {"name": "DB_PASSWORD_FILE", "value": "/run/secrets/db"},
                    {"name": "URL", "value": "postgres://a:b@c/d"},
                    {"name": "API_TOKEN", "value": "$(TOKEN)"}]}]}}}})),
            [
                "plaintext credential in environment variable `DB_PASSWORD`",
                "plaintext credential in environment variable `URL`: a password in a URL (`postgres://a:***@c/d`)",
            ]
        );
    }
}

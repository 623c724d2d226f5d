//! Masking secret-like values before a diff is shown: the `data` and `stringData` of
//! every Secret; in ConfigMaps, the values of keys that look like credentials, whole
//! entries or `key: value` / `key=value` lines inside an entry's text; the values of
//! environment variables and annotations whose names look like credentials.
//!
//! Both versions of an object are masked together, so a secret that changed still shows
//! as a changed line: `<masked>` before, `<masked: changed>` after.

use std::collections::BTreeMap;

use serde_json::Value as Json;

use crate::yaml::node::escape_token;

pub const MASKED: &str = "<masked>";
pub const MASKED_CHANGED: &str = "<masked: changed>";

/// Words that name a credential when they are a whole word of a key, besides the
/// endings that input validation refuses literal values for (`password`, `token`, …).
/// Masking errs on the side of hiding.
const WORDS: &[&str] = &[
    "pass",
    "passwords",
    "passphrase",
    "secrets",
    "tokens",
    "key",
    "keys",
    "credential",
    "credentials",
    "cred",
    "creds",
    "auth",
    "authorization",
    "dsn",
];

/// The words of a key: split at every character other than a letter or digit, and
/// where a lower-case letter meets an upper-case one (`apiKey`: `api`, `key`).
fn words(key: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut prev_lower = false;
    for c in key.chars() {
        if !c.is_ascii_alphanumeric() {
            if !word.is_empty() {
                out.push(std::mem::take(&mut word));
            }
            prev_lower = false;
            continue;
        }
        if c.is_ascii_uppercase() && prev_lower && !word.is_empty() {
            out.push(std::mem::take(&mut word));
        }
        prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        word.push(c.to_ascii_lowercase());
    }
    if !word.is_empty() {
        out.push(word);
    }
    out
}

/// Whether a key (a variable name, a ConfigMap key, an annotation) names a credential.
pub fn is_secret_key(key: &str) -> bool {
    crate::secret::is_credential_key(key)
        || words(key)
            .iter()
            .any(|w| WORDS.contains(&w.as_str()) || w.contains("password") || w.contains("secret"))
}

/// Masks both versions of an object together.
pub fn pair(old: Option<&Json>, new: Option<&Json>) -> (Option<Json>, Option<Json>) {
    let mut before = BTreeMap::new();
    let old = old.map(|v| {
        let mut v = v.clone();
        visit(&mut v, &mut |loc, raw| {
            before.insert(loc.to_string(), raw.to_string());
            MASKED.to_string()
        });
        v
    });
    let new = new.map(|v| {
        let mut v = v.clone();
        visit(&mut v, &mut |loc, raw| {
            let changed = old.is_some() && before.get(loc).is_some_and(|b| b != raw);
            if changed { MASKED_CHANGED } else { MASKED }.to_string()
        });
        v
    });
    (old, new)
}

/// Calls `mask(location, raw)` for every secret-like string of an object and puts what
/// it returns in its place.
fn visit(value: &mut Json, mask: &mut dyn FnMut(&str, &str) -> String) {
    let core = value
        .get("apiVersion")
        .and_then(Json::as_str)
        .is_some_and(|a| !a.contains('/'));
    let kind = value
        .get("kind")
        .and_then(Json::as_str)
        .unwrap_or("")
        .to_string();
    if core && kind == "Secret" {
        for field in ["data", "stringData"] {
            if let Some(map) = value.get_mut(field).and_then(Json::as_object_mut) {
                for (k, v) in map.iter_mut() {
                    if let Some(raw) = v.as_str() {
                        let loc = format!("/{field}/{}", escape_token(k));
                        *v = Json::String(mask(&loc, raw));
                    }
                }
            }
        }
    }
    if core && kind == "ConfigMap" {
        for field in ["data", "binaryData"] {
            if let Some(map) = value.get_mut(field).and_then(Json::as_object_mut) {
                for (k, v) in map.iter_mut() {
                    let Some(raw) = v.as_str() else { continue };
                    let loc = format!("/{field}/{}", escape_token(k));
                    let masked = if is_secret_key(k) {
                        mask(&loc, raw)
                    } else {
                        mask_text(raw, &loc, mask)
                    };
                    *v = Json::String(masked);
                }
            }
        }
    }
    walk(value, String::new(), mask);
}

/// Annotations and environment variables, wherever they are in the object.
fn walk(value: &mut Json, at: String, mask: &mut dyn FnMut(&str, &str) -> String) {
    match value {
        Json::Object(map) => {
            for (k, v) in map.iter_mut() {
                let here = format!("{at}/{}", escape_token(k));
                match (k.as_str(), v) {
                    ("annotations", Json::Object(annotations)) if at.ends_with("/metadata") => {
                        for (name, a) in annotations.iter_mut() {
                            if let (true, Some(raw)) = (is_secret_key(name), a.as_str()) {
                                let loc = format!("{here}/{}", escape_token(name));
                                *a = Json::String(mask(&loc, raw));
                            }
                        }
                    }
                    ("env", Json::Array(vars)) => {
                        for var in vars.iter_mut() {
                            let name = var.get("name").and_then(Json::as_str).map(str::to_string);
                            if let (Some(name), Some(raw)) = (
                                name.filter(|n| is_secret_key(n)),
                                var.get("value").and_then(Json::as_str).map(str::to_string),
                            ) {
                                let loc = format!("{here}/{}", escape_token(&name));
                                var["value"] = Json::String(mask(&loc, &raw));
                            }
                        }
                    }
                    (_, v) => walk(v, here, mask),
                }
            }
        }
        Json::Array(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                walk(item, format!("{at}/{i}"), mask);
            }
        }
        _ => {}
    }
}

/// Masks `key: value`, `key=value` and `"key": value` lines of a text whose key looks
/// like a credential; a one-line JSON object is masked key by key.
fn mask_text(text: &str, loc: &str, mask: &mut dyn FnMut(&str, &str) -> String) -> String {
    if !text.contains('\n') {
        if let Ok(mut json @ Json::Object(_)) = serde_json::from_str::<Json>(text) {
            let mut any = false;
            mask_json_keys(&mut json, loc, &mut any, mask);
            if any {
                return serde_json::to_string(&json).unwrap_or_default();
            }
            return text.to_string();
        }
    }
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let Some((key, value_at)) = line_key(line) else {
            out.push_str(line);
            continue;
        };
        let body = line.trim_end_matches(['\n', '\r']);
        let value = body[value_at..].trim();
        let value = value.strip_suffix(',').unwrap_or(value).trim_end();
        let nested = value.is_empty() || value.starts_with(['{', '[', '|', '>']);
        if nested || !is_secret_key(key) {
            out.push_str(line);
            continue;
        }
        let n = seen.entry(key.to_string()).or_insert(0);
        *n += 1;
        let marker = mask(&format!("{loc}#{key}#{n}"), value);
        let comma = if body.trim_end().ends_with(',') {
            ","
        } else {
            ""
        };
        let quoted = if value.starts_with('"') {
            format!("\"{marker}\"")
        } else {
            marker
        };
        let after = &body[value_at..];
        let space = &after[..after.len() - after.trim_start().len()];
        out.push_str(&body[..value_at]);
        out.push_str(space);
        out.push_str(&quoted);
        out.push_str(comma);
        out.push_str(&line[body.len()..]);
    }
    out
}

/// The key of a `key: value` / `key = value` / `"key": value` line, and where its
/// value starts (just after the separator).
fn line_key(line: &str) -> Option<(&str, usize)> {
    let start = line.len() - line.trim_start().len();
    let rest = &line[start..];
    let quoted = rest.starts_with(['"', '\'']);
    let key_start = start + usize::from(quoted);
    let key_len = line[key_start..]
        .find(|c: char| !(c.is_ascii_alphanumeric() || "_.-".contains(c)))
        .unwrap_or(line.len() - key_start);
    if key_len == 0 {
        return None;
    }
    let key = &line[key_start..key_start + key_len];
    let mut i = key_start + key_len;
    if quoted {
        if !line[i..].starts_with(['"', '\'']) {
            return None;
        }
        i += 1;
    }
    let after = &line[i..];
    let sep = after.len() - after.trim_start_matches([' ', '\t']).len();
    let sep_char = after[sep..].chars().next()?;
    if sep_char != ':' && sep_char != '=' {
        return None;
    }
    Some((key, i + sep + 1))
}

fn mask_json_keys(
    value: &mut Json,
    loc: &str,
    any: &mut bool,
    mask: &mut dyn FnMut(&str, &str) -> String,
) {
    match value {
        Json::Object(map) => {
            for (k, v) in map.iter_mut() {
                let here = format!("{loc}/{}", escape_token(k));
                match v {
                    Json::String(raw) if is_secret_key(k) => {
                        *any = true;
                        let masked = mask(&here, raw);
                        *v = Json::String(masked);
                    }
                    _ => mask_json_keys(v, &here, any, mask),
                }
            }
        }
        Json::Array(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                mask_json_keys(item, &format!("{loc}/{i}"), any, mask);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_that_look_like_credentials() {
        for k in [
            "password",
            "DB_PASSWORD",
            "apiKey",
            "API_KEY",
            "tls.key",
            "clientSecret",
            "access_token",
            "accessToken",
            "aws-secret-access-key",
            "PGPASSWORD",
            "credentials",
        ] {
            assert!(is_secret_key(k), "{k}");
        }
        for k in [
            "keycloak",
            "monkey",
            "TOKENIZER_MODEL",
            "config.json",
            "LOG_LEVEL",
            "checksum/config",
            "kiln.dev/security-exceptions",
        ] {
            assert!(!is_secret_key(k), "{k}");
        }
    }

    #[test]
    fn secrets_are_masked_and_a_change_still_shows() {
        let old = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"},
            "data": {"a": "c2VjcmV0", "b": "same"}});
        let new = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"},
            "data": {"a": "b3RoZXI=", "b": "same"}});
        let (o, n) = pair(Some(&old), Some(&new));
        assert_eq!(o.unwrap()["data"], json!({"a": MASKED, "b": MASKED}));
        assert_eq!(
            n.unwrap()["data"],
            json!({"a": MASKED_CHANGED, "b": MASKED})
        );
    }

    #[test]
    fn env_annotations_and_config_maps() {
        let v = json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "c", "annotations": {"api-token": "t0k", "note": "plain"}},
            "data": {
                "PASSWORD": "hunter2",
                "app.properties": "user=admin\npassword = hunter2\nurl=http://x\n",
                "config.json": "{\n  \"db\": {\n    \"password\": \"hunter2\",\n    \"host\": \"h\"\n  }\n}\n",
                "inline.json": "{\"token\":\"abc\",\"n\":1}",
            },
            "spec": {"containers": [{"env": [{"name": "DB_PASSWORD", "value": "hunter2"}, {"name": "MODE", "value": "x"}]}]}});
        let (_, n) = pair(None, Some(&v));
        let n = n.unwrap();
        let text = serde_json::to_string(&n).unwrap();
        assert!(
            !text.contains("hunter2") && !text.contains("t0k") && !text.contains("abc"),
            "{text}"
        );
        assert_eq!(n["metadata"]["annotations"]["note"], "plain");
        assert_eq!(
            n["data"]["app.properties"],
            "user=admin\npassword = <masked>\nurl=http://x\n"
        );
        assert_eq!(
            n["data"]["config.json"],
            "{\n  \"db\": {\n    \"password\": \"<masked>\",\n    \"host\": \"h\"\n  }\n}\n"
        );
        assert_eq!(n["data"]["inline.json"], "{\"n\":1,\"token\":\"<masked>\"}");
        assert_eq!(n["spec"]["containers"][0]["env"][1]["value"], "x");
    }

    #[test]
    fn a_changed_line_in_a_text_shows_as_changed() {
        let cm = |pw: &str| {
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"},
            "data": {"app.properties": format!("password={pw}\n")}})
        };
        let (o, n) = pair(Some(&cm("a")), Some(&cm("b")));
        assert_eq!(o.unwrap()["data"]["app.properties"], "password=<masked>\n");
        assert_eq!(
            n.unwrap()["data"]["app.properties"],
            "password=<masked: changed>\n"
        );
    }
}

//! Masking secret-like values before a diff is shown, with [`crate::secret`]'s detector
//! so that what is hidden is what validation refuses and more: every value of a
//! Secret's `data` and `stringData`, whatever its type; in ConfigMaps, the values of
//! keys that may name a credential, whole entries or `key: value` / `key=value` lines
//! and JSON fields inside an entry's text; the values of environment variables and
//! annotations whose names may name a credential; and, anywhere in any object, every
//! part of a string shaped like a credential (a URL's password, a token, a private
//! key). Objects inside a `List` are masked as objects.
//!
//! Both versions of an object are masked together, so a secret that changed still shows
//! as a changed line: `<masked>` before, `<masked: changed>` after. Values are compared
//! exactly as written: a change of whitespace alone is a change.

use std::collections::BTreeMap;

use serde_json::Value as Json;

use crate::secret;
use crate::yaml::node::escape_token;

pub(super) const MASKED: &str = "<masked>";
pub(super) const MASKED_CHANGED: &str = "<masked: changed>";

type Mask<'m> = dyn FnMut(&str, &str) -> String + 'm;

/// Masks both versions of an object together.
pub(super) fn pair(old: Option<&Json>, new: Option<&Json>) -> (Option<Json>, Option<Json>) {
    let mut before = BTreeMap::new();
    let old = old.map(|v| {
        let mut v = v.clone();
        object(&mut v, "", &mut |loc, raw| {
            before.insert(loc.to_string(), raw.to_string());
            MASKED.to_string()
        });
        v
    });
    let new = new.map(|v| {
        let mut v = v.clone();
        object(&mut v, "", &mut |loc, raw| {
            let changed = old.is_some() && before.get(loc).is_none_or(|b| b != raw);
            if changed { MASKED_CHANGED } else { MASKED }.to_string()
        });
        v
    });
    (old, new)
}

/// The exact text of a value, for comparing two versions of it.
fn raw(v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Calls `mask(location, raw)` for every secret of an object and puts what it returns
/// in its place.
fn object(value: &mut Json, base: &str, mask: &mut Mask) {
    let core = value
        .get("apiVersion")
        .and_then(Json::as_str)
        .is_some_and(|a| !a.contains('/'));
    let kind = value
        .get("kind")
        .and_then(Json::as_str)
        .unwrap_or("")
        .to_string();
    if kind.ends_with("List") {
        if let Some(items) = value.get_mut("items").and_then(Json::as_array_mut) {
            for (i, item) in items.iter_mut().enumerate() {
                object(item, &format!("{base}/items/{i}"), mask);
            }
        }
    }
    if core && kind == "Secret" {
        for field in ["data", "stringData"] {
            match value.get_mut(field) {
                Some(Json::Object(map)) => {
                    for (k, v) in map.iter_mut() {
                        let loc = format!("{base}/{field}/{}", escape_token(k));
                        *v = Json::String(mask(&loc, &raw(v)));
                    }
                }
                Some(v @ (Json::String(_) | Json::Number(_) | Json::Array(_) | Json::Bool(_))) => {
                    let loc = format!("{base}/{field}");
                    *v = Json::String(mask(&loc, &raw(v)));
                }
                _ => {}
            }
        }
    }
    if core && kind == "ConfigMap" {
        for field in ["data", "binaryData"] {
            if let Some(map) = value.get_mut(field).and_then(Json::as_object_mut) {
                for (k, v) in map.iter_mut() {
                    let loc = format!("{base}/{field}/{}", escape_token(k));
                    let masked = match v.as_str() {
                        _ if secret::is_sensitive_key(k) => mask(&loc, &raw(v)),
                        Some(text) => mask_text(text, &loc, mask),
                        None => continue,
                    };
                    *v = Json::String(masked);
                }
            }
        }
    }
    walk(value, base.to_string(), mask);
}

/// Annotations and environment variables, wherever they are in the object, and every
/// string's credential-shaped parts.
fn walk(value: &mut Json, at: String, mask: &mut Mask) {
    match value {
        Json::Object(map) => {
            for (k, v) in map.iter_mut() {
                let here = format!("{at}/{}", escape_token(k));
                match (k.as_str(), v) {
                    ("annotations", Json::Object(annotations)) if at.ends_with("/metadata") => {
                        for (name, a) in annotations.iter_mut() {
                            let loc = format!("{here}/{}", escape_token(name));
                            if secret::is_sensitive_key(name) && !a.is_null() {
                                *a = Json::String(mask(&loc, &raw(a)));
                            } else {
                                walk(a, loc, mask);
                            }
                        }
                    }
                    ("env", Json::Array(vars)) => {
                        for (i, var) in vars.iter_mut().enumerate() {
                            let name = var.get("name").and_then(Json::as_str).map(str::to_string);
                            let secret_name = name.as_deref().is_some_and(secret::is_sensitive_key);
                            match var.get_mut("value") {
                                Some(v) if secret_name && !v.is_null() => {
                                    let loc = format!(
                                        "{here}/{}",
                                        escape_token(name.as_deref().unwrap_or(""))
                                    );
                                    *v = Json::String(mask(&loc, &raw(v)));
                                }
                                _ => walk(var, format!("{here}/{i}"), mask),
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
        Json::String(s) => {
            if let Some(masked) = mask_shapes(s, &at, mask) {
                *s = masked;
            }
        }
        _ => {}
    }
}

/// The credential-shaped parts of a string masked, or `None` when it has none.
fn mask_shapes(text: &str, loc: &str, mask: &mut Mask) -> Option<String> {
    let found = secret::find(text);
    if found.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (n, f) in found.iter().enumerate() {
        out.push_str(text.get(at..f.start).unwrap_or(""));
        out.push_str(&mask(
            &format!("{loc}#shape#{n}"),
            text.get(f.start..f.end).unwrap_or(""),
        ));
        at = f.end;
    }
    out.push_str(text.get(at..).unwrap_or(""));
    Some(out)
}

/// Masks the entries of a config file's text: a JSON document field by field, other
/// text line by line (`key: value`, `key=value`, `"key": value`), then every
/// credential-shaped part left.
fn mask_text(text: &str, loc: &str, mask: &mut Mask) -> String {
    if !text.contains('\n') {
        if let Ok(mut json @ Json::Object(_)) = serde_json::from_str::<Json>(text) {
            let mut any = false;
            mask_json_keys(&mut json, loc, &mut any, mask);
            let text = if any {
                serde_json::to_string(&json).unwrap_or_default()
            } else {
                text.to_string()
            };
            return mask_shapes(&text, loc, mask).unwrap_or(text);
        }
    }
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let Some((key, range)) = secret::line_entry(line) else {
            out.push_str(line);
            continue;
        };
        let value = line.get(range.clone()).unwrap_or("");
        if !secret::is_literal_value(value) || !secret::is_sensitive_key(key) {
            out.push_str(line);
            continue;
        }
        let n = seen.entry(key.to_string()).or_insert(0);
        *n += 1;
        // The value as written, spaces included, is what a change is judged on.
        let written = line.get(range.start..).unwrap_or("");
        let marker = mask(&format!("{loc}#{key}#{n}"), written);
        let quoted = if value.starts_with('"') && value.len() > 1 && value.ends_with('"') {
            format!("\"{marker}\"")
        } else {
            marker
        };
        out.push_str(line.get(..range.start).unwrap_or(""));
        out.push_str(&quoted);
        out.push_str(line.get(range.end..).unwrap_or(""));
    }
    mask_shapes(&out, loc, mask).unwrap_or(out)
}

fn mask_json_keys(value: &mut Json, loc: &str, any: &mut bool, mask: &mut Mask) {
    match value {
        Json::Object(map) => {
            for (k, v) in map.iter_mut() {
                let here = format!("{loc}/{}", escape_token(k));
                match v {
                    Json::String(_) | Json::Number(_) | Json::Bool(_)
                        if secret::is_sensitive_key(k) =>
                    {
                        *any = true;
                        let masked = mask(&here, &raw(v));
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

    #[test]
    fn any_type_any_place_and_whitespace() {
        let secret = |v: Json| {
            json!({"apiVersion": "v1", "kind": "List", "items": [
                {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"},
                 "stringData": {"pin": v.clone(), "nested": {"a": v}}}]})
        };
        let (o, n) = pair(Some(&secret(json!(1234))), Some(&secret(json!(1235))));
        let (o, n) = (o.unwrap(), n.unwrap());
        assert_eq!(
            o["items"][0]["stringData"],
            json!({"pin": MASKED, "nested": MASKED})
        );
        assert_eq!(
            n["items"][0]["stringData"],
            json!({"pin": MASKED_CHANGED, "nested": MASKED_CHANGED})
        );

        let cm = |url: &str, props: &str| {
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c",
                "annotations": {"repo": url}},
                "data": {"config.json": "{\"db\": {\"password\": 1234}}", "app.properties": props},
                "spec": {"url": url}})
        };
        let (o, n) = pair(
            Some(&cm("postgres://app:s3cret@db/x", "password=a\n")),
            Some(&cm("postgres://app:other@db/x", "password=a \n")),
        );
        let (o, n) = (o.unwrap(), n.unwrap());
        let text = format!("{o}{n}");
        assert!(
            !text.contains("s3cret") && !text.contains("other") && !text.contains("1234"),
            "{text}"
        );
        assert_eq!(o["spec"]["url"], "postgres://app:<masked>@db/x");
        assert_eq!(n["spec"]["url"], "postgres://app:<masked: changed>@db/x");
        assert_eq!(
            n["metadata"]["annotations"]["repo"],
            "postgres://app:<masked: changed>@db/x"
        );
        assert_eq!(
            n["data"]["config.json"],
            "{\"db\":{\"password\":\"<masked>\"}}"
        );
        // Only a space changed: still a change.
        assert_eq!(n["data"]["app.properties"], "password=<masked: changed> \n");
    }
}

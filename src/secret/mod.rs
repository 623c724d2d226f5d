//! What a credential looks like, and how to hide one. One detector serves every input
//! kind (validation), every rendered object (the check stage) and every stream kiln
//! writes (diagnostics, `explain`, `diff`, `publish` messages, errors), so what is
//! refused and what is hidden cannot drift apart.
//!
//! Two kinds of evidence:
//! - a key that names a credential (`password`, `DB_PASSWORD`, `apiKey`, …) with a
//!   literal value;
//! - a value shaped like a credential whatever its key: a password in a URL's userinfo,
//!   a `password=` parameter, an `Authorization` header, a PEM private key, a token with
//!   a well-known prefix (`ghp_`, `glpat-`, `xoxb-`, `AKIA`, `sk-`, …).
//!
//! A value that is wholly a reference (`$(DB_PASSWORD)`, `${DB_PASSWORD}`,
//! `{{ password }}`) is not a credential.

mod hide;
mod shape;

pub use hide::{hide_json, hide_line, hide_shapes, is_literal_value, line_entry, shown};
pub(crate) use shape::pattern;
pub use shape::{find, Found, Shape};

/// What stands in place of a hidden value inside a text.
pub const HIDDEN: &str = "***";

/// Key names (lower case, without `-`, `_`, `.`) whose literal values are credentials:
/// a key ending in one of these is refused with a literal value.
const CREDENTIAL_ENDINGS: [&str; 11] = [
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

/// Words that name a credential when they are a whole word of a key. Hiding errs on the
/// side of hiding, so these widen what is masked, not what is refused.
const SENSITIVE_WORDS: &[&str] = &[
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

/// Whether a key (or an environment variable name) names a credential: a literal value
/// under it is refused.
pub fn is_credential_key(key: &str) -> bool {
    let norm: String = key
        .chars()
        .filter(|c| !matches!(c, '-' | '_' | '.'))
        .flat_map(char::to_lowercase)
        .collect();
    CREDENTIAL_ENDINGS.iter().any(|s| norm.ends_with(s))
}

/// Whether a key may hold something secret: its value is hidden wherever kiln shows it.
/// Wider than [`is_credential_key`].
pub fn is_sensitive_key(key: &str) -> bool {
    // A bare `key` names a reference (`remoteRef.key`, `secretKeyRef.key`).
    if matches!(key, "key" | "keys") {
        return false;
    }
    if is_credential_key(key) {
        return true;
    }
    let words = words(key);
    // A key that names a Secret or a store (`secretName`, `secretRef`,
    // `secretStoreRef`) holds a reference, not what it refers to.
    if words
        .last()
        .is_some_and(|w| matches!(w.as_str(), "name" | "ref" | "namespace"))
    {
        return false;
    }
    words.iter().any(|w| {
        SENSITIVE_WORDS.contains(&w.as_str()) || w.contains("password") || w.contains("secret")
    })
}

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

/// Keys that name where a credential is kept, not the credential: inside the value of
/// a credential key, `password: {secretKeyRef: {name: db, key: password}}` holds none.
const REFERENCE_KEYS: &[&str] = &[
    "name",
    "key",
    "property",
    "secretName",
    "existingSecret",
    "remoteKey",
    "path",
    "version",
    "optional",
    "kind",
    "namespace",
    "mountPath",
];

/// Whether a key names where a credential is kept rather than holding one.
pub fn is_reference_key(key: &str) -> bool {
    REFERENCE_KEYS.contains(&key)
}

/// Whether a value is wholly a reference to a secret kept elsewhere, or already hidden.
pub fn is_reference(value: &str) -> bool {
    let v = value.trim().trim_matches(['"', '\'']);
    let wrapped = |open: &str, close: &str| {
        v.starts_with(open) && v.ends_with(close) && v.len() >= open.len() + close.len()
    };
    let shell_variable = v.strip_prefix('$').is_some_and(|name| {
        !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    });
    let placeholder = v
        .strip_prefix('%')
        .is_some_and(|f| matches!(f, "s" | "d" | "v") || (f.starts_with('(') && f.ends_with(")s")));
    v.is_empty()
        || shell_variable
        || placeholder
        || wrapped("{", "}")
        || wrapped("$(", ")")
        || wrapped("${", "}")
        || wrapped("{{", "}}")
        || wrapped("<", ">")
        || v.chars().all(|c| c == '*')
}

#[cfg(test)]
mod tests;

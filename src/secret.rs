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

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::Regex;

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

/// The kinds of credential a value can be shaped like.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Shape {
    /// `scheme://user:password@host`.
    UrlPassword,
    /// `password=…` in a query string or a connection string.
    Parameter,
    /// `Authorization: Bearer …`, `Basic …`.
    Authorization,
    /// `-----BEGIN … PRIVATE KEY-----`.
    PrivateKey,
    /// A token with a well-known prefix.
    Token,
}

impl Shape {
    /// What was found, for a message: "a password in a URL".
    pub fn describe(self) -> &'static str {
        match self {
            Shape::UrlPassword => "a password in a URL",
            Shape::Parameter => "a password parameter",
            Shape::Authorization => "an authorization header",
            Shape::PrivateKey => "a private key",
            Shape::Token => "an access token",
        }
    }
}

/// A credential found inside a text: the bytes `start..end` are the secret part.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Found {
    pub shape: Shape,
    pub start: usize,
    pub end: usize,
}

/// A regex from one of the constant patterns below.
// A constant pattern either always compiles or never does, and the unit tests run
// every one of them: this cannot panic on any input.
#[allow(clippy::expect_used)]
pub(crate) fn pattern(re: &str) -> Regex {
    Regex::new(re).expect("a constant pattern compiles")
}

static URL_USERINFO: LazyLock<Regex> =
    LazyLock::new(|| pattern(r"(?i)\b[a-z][a-z0-9+.\-]*://[^\s/?#@:]*:([^\s/?#@]+)@"));
static PARAMETER: LazyLock<Regex> =
    LazyLock::new(|| pattern(r#"(?:^|[?&;,\s])([A-Za-z0-9_.\-]+)\s*=\s*([^&;,\s"'<>]+)"#));
/// An HTTP authorization scheme and its credentials: a token of at least 8 characters
/// with a digit, a capital or a token punctuation mark, so prose (`basic
/// authentication`, `token rotation`) is not taken for one.
static AUTHORIZATION: LazyLock<Regex> = LazyLock::new(|| {
    pattern(
        r"\b(?:[Bb]earer|[Bb]asic|[Tt]oken|[Dd]igest)\s+([A-Za-z0-9._~+/\-]*[0-9A-Z._~+/\-][A-Za-z0-9._~+/\-]*=*)",
    )
});
static AUTHORIZATION_HEADER: LazyLock<Regex> =
    LazyLock::new(|| pattern(r#"(?i)\bauthorization["']?\s*[:=]\s*["']?([^\s"']{8,})"#));
static PRIVATE_KEY: LazyLock<Regex> =
    LazyLock::new(|| pattern(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----"));
static PRIVATE_KEY_END: LazyLock<Regex> =
    LazyLock::new(|| pattern(r"-----END [A-Z0-9 ]*PRIVATE KEY-----"));
/// Tokens with a published prefix: GitHub, GitLab, Slack, Stripe, npm, PyPI, Hugging
/// Face, DigitalOcean, Google, AWS access key ids, OpenAI and Anthropic keys. The part
/// after the prefix is the secret.
static TOKEN: LazyLock<Regex> = LazyLock::new(|| {
    pattern(concat!(
        r"\b(?:gh[pousr]_|github_pat_|glpat-|gldt-|glrt-|xox[abposr]-|sk_live_|sk_test_|",
        r"rk_live_|npm_|pypi-|hf_|dop_v1_|AIza)([A-Za-z0-9_\-]{16,})",
        r"|\b(?:AKIA|ASIA)([A-Z0-9]{16})\b",
        r"|\bsk-(?:proj-|ant-)?([A-Za-z0-9_\-]{20,})",
    ))
});

/// Something every credential shape holds: a text without any of these is passed over
/// in one scan, without running the patterns above (most strings kiln sees).
static TRIGGERS: LazyLock<Regex> = LazyLock::new(|| {
    pattern(concat!(
        r"://|=|earer|asic|oken|igest|uthorization|EARER|ASIC|OKEN|IGEST|UTHORIZATION|PRIVATE KEY|",
        r"gh[pousr]_|github_pat_|glpat-|gldt-|glrt-|xox[abposr]-|sk_live_|sk_test_|rk_live_|",
        r"npm_|pypi-|hf_|dop_v1_|AIza|AKIA|ASIA|sk-",
    ))
});

/// Every credential-shaped part of a text, in order, without overlaps.
pub fn find(text: &str) -> Vec<Found> {
    // The shortest shape (`a://:b@c`) has 8 characters.
    if text.len() < 8 || !TRIGGERS.is_match(text) {
        return Vec::new();
    }
    let mut found = Vec::new();
    let mut push = |shape: Shape, m: Option<regex::Match>| {
        if let Some(m) = m {
            if !is_reference(m.as_str()) {
                found.push(Found {
                    shape,
                    start: m.start(),
                    end: m.end(),
                });
            }
        }
    };
    for c in URL_USERINFO.captures_iter(text) {
        push(Shape::UrlPassword, c.get(1));
    }
    for c in PARAMETER.captures_iter(text) {
        if c.get(1).is_some_and(|k| is_credential_key(k.as_str())) {
            push(Shape::Parameter, c.get(2));
        }
    }
    for c in AUTHORIZATION_HEADER.captures_iter(text) {
        push(Shape::Authorization, c.get(1));
    }
    for c in AUTHORIZATION.captures_iter(text) {
        push(
            Shape::Authorization,
            c.get(1).filter(|m| m.as_str().len() >= 8),
        );
    }
    for c in TOKEN.captures_iter(text) {
        push(Shape::Token, c.get(1).or(c.get(2)).or(c.get(3)));
    }
    for m in PRIVATE_KEY.find_iter(text) {
        let end = PRIVATE_KEY_END
            .find_at(text, m.end())
            .map_or(text.len(), |e| e.start());
        if end > m.end() {
            found.push(Found {
                shape: Shape::PrivateKey,
                start: m.end(),
                end,
            });
        }
    }
    found.sort_by_key(|f| (f.start, std::cmp::Reverse(f.end)));
    let mut out: Vec<Found> = Vec::with_capacity(found.len());
    for f in found {
        match out.last_mut() {
            Some(last) if f.start < last.end => last.end = last.end.max(f.end),
            _ => out.push(f),
        }
    }
    out
}

/// The text with every credential-shaped part replaced by [`HIDDEN`].
pub fn hide_shapes(text: &str) -> Cow<'_, str> {
    let found = find(text);
    if found.is_empty() {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for f in found {
        out.push_str(text.get(at..f.start).unwrap_or(""));
        out.push_str(HIDDEN);
        at = f.end;
    }
    out.push_str(text.get(at..).unwrap_or(""));
    Cow::Owned(out)
}

/// The key of a `key: value`, `key = value` or `"key": value` line, and the byte range
/// of its value (after the separator and spaces, before a trailing comma or comment-free
/// line end). `None` for other lines.
pub fn line_entry(line: &str) -> Option<(&str, std::ops::Range<usize>)> {
    let body = line.trim_end_matches(['\n', '\r']);
    let start = body.len() - body.trim_start().len();
    let rest = body.get(start..)?;
    // A list item: `- key: value`.
    let start = if let Some(r) = rest.strip_prefix("- ") {
        start + 2 + (r.len() - r.trim_start().len())
    } else {
        start
    };
    let quoted = body.get(start..)?.starts_with(['"', '\'']);
    let key_start = start + usize::from(quoted);
    let tail = body.get(key_start..)?;
    let key_len = tail
        .find(|c: char| !(c.is_ascii_alphanumeric() || "_.-".contains(c)))
        .unwrap_or(tail.len());
    if key_len == 0 {
        return None;
    }
    let key = tail.get(..key_len)?;
    let mut i = key_start + key_len;
    if quoted {
        if !body.get(i..)?.starts_with(['"', '\'']) {
            return None;
        }
        i += 1;
    }
    let after = body.get(i..)?;
    let gap = after.len() - after.trim_start_matches([' ', '\t']).len();
    let sep = after.get(gap..)?.chars().next()?;
    if sep != ':' && sep != '=' {
        return None;
    }
    let value_from = i + gap + 1;
    let value = body.get(value_from..)?;
    let lead = value.len() - value.trim_start().len();
    let value_start = value_from + lead;
    let mut value_end = body.len();
    let trimmed = body.get(value_start..value_end)?.trim_end();
    value_end = value_start + trimmed.len();
    if body.get(value_start..value_end)?.ends_with(',') {
        value_end -= 1;
    }
    Some((key, value_start..value_end))
}

/// Whether the value of a `key: value` line is a literal, which under a credential key
/// is a credential: not empty, not the start of a nested block, not a reference.
pub fn is_literal_value(value: &str) -> bool {
    let v = value.trim();
    !(v.is_empty()
        || v.starts_with(['{', '[', '|', '>', '&', '*', '#'])
        || v == "null"
        || v == "~"
        || is_reference(v))
}

/// A `key: value` or `key=value` pair anywhere in a line (inside a flow mapping, a
/// line that does not parse): the key, and the value up to the next separator.
static INLINE_ENTRY: LazyLock<Regex> =
    LazyLock::new(|| pattern(r#"([A-Za-z0-9_.\-]+)["']?\s*[:=][ \t]*(["']?)([^,;&{}\[\]\s"']+)"#));

/// Hides the values of the `key: value` pairs inside a line whose keys may name a
/// credential.
fn hide_inline(line: &str) -> Cow<'_, str> {
    let mut out = String::new();
    let mut at = 0;
    for c in INLINE_ENTRY.captures_iter(line) {
        let (Some(key), Some(value)) = (c.get(1), c.get(3)) else {
            continue;
        };
        let rest = line.get(value.start()..).unwrap_or("");
        let reference = ["${", "$(", "{{"].iter().any(|r| rest.starts_with(r));
        if !is_sensitive_key(key.as_str()) || reference || !is_literal_value(value.as_str()) {
            continue;
        }
        out.push_str(line.get(at..value.start()).unwrap_or(""));
        out.push_str(HIDDEN);
        at = value.end();
    }
    if at == 0 {
        return Cow::Borrowed(line);
    }
    out.push_str(line.get(at..).unwrap_or(""));
    Cow::Owned(out)
}

/// A line of text (a quoted source line, a line of a config file) with every secret in
/// it hidden: the value of a `key: value` / `key=value` entry whose key may name a
/// credential (at the start of the line or inside it), and every credential-shaped
/// part.
pub fn hide_line(line: &str) -> Cow<'_, str> {
    let shapes = match hide_shapes(line) {
        Cow::Borrowed(l) => hide_inline(l),
        Cow::Owned(l) => Cow::Owned(hide_inline(&l).into_owned()),
    };
    let Some((key, range)) = line_entry(&shapes) else {
        return shapes;
    };
    let value = shapes.get(range.clone()).unwrap_or("");
    if !is_sensitive_key(key) || !is_literal_value(value) {
        return shapes;
    }
    let open = value.chars().next().filter(|c| matches!(c, '"' | '\''));
    let close = open.filter(|q| value.len() > 1 && value.ends_with(*q));
    let mut out = String::with_capacity(shapes.len());
    out.push_str(shapes.get(..range.start).unwrap_or(""));
    out.extend(open);
    out.push_str(HIDDEN);
    out.extend(close);
    out.push_str(shapes.get(range.end..).unwrap_or(""));
    Cow::Owned(out)
}

/// A multi-line text with [`hide_line`] applied to each line, and private key bodies
/// hidden across lines.
fn hide_text(text: &str) -> Cow<'_, str> {
    let shapes = hide_shapes(text);
    let mut out = String::with_capacity(shapes.len());
    let mut changed = matches!(shapes, Cow::Owned(_));
    for line in shapes.split_inclusive('\n') {
        let hidden = hide_line(line);
        changed |= matches!(hidden, Cow::Owned(_));
        out.push_str(&hidden);
    }
    if changed {
        Cow::Owned(out)
    } else {
        Cow::Borrowed(text)
    }
}

/// How a credential found in a value is shown in a message: the value with its secret
/// parts hidden when it has a recognisable shape, else just [`HIDDEN`].
pub fn shown(value: &str) -> String {
    let hidden = hide_shapes(value);
    match hidden {
        Cow::Owned(s) if s.chars().count() <= 120 && !s.contains('\n') => s,
        _ => HIDDEN.to_string(),
    }
}

/// A value as it may be shown (`kiln explain`): under a key that may name a credential
/// (`key`, or one inside the value), every literal is [`HIDDEN`]; every string's
/// credential-shaped parts are hidden.
pub fn hide_json(key: Option<&str>, value: &serde_json::Value) -> serde_json::Value {
    use serde_json::Value as Json;
    let sensitive = key.is_some_and(is_sensitive_key);
    match value {
        Json::String(s) if sensitive && !is_reference(s) => Json::String(HIDDEN.into()),
        Json::Number(_) if sensitive => Json::String(HIDDEN.into()),
        Json::String(s) => Json::String(hide_text(s).into_owned()),
        Json::Array(items) => Json::Array(
            items
                .iter()
                .map(|v| hide_json(key.filter(|_| sensitive), v))
                .collect(),
        ),
        Json::Object(map) => Json::Object(
            map.iter()
                .map(|(k, v)| {
                    let inner = if is_sensitive_key(k) || !sensitive {
                        Some(k.as_str())
                    } else {
                        key
                    };
                    // Where a credential is kept is not the credential.
                    let inner = if is_reference_key(k) && v.is_string() {
                        None
                    } else {
                        inner
                    };
                    (k.clone(), hide_json(inner, v))
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credential_keys() {
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
            assert!(is_credential_key(k), "{k}");
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
            assert!(!is_credential_key(k), "{k}");
        }
    }

    #[test]
    fn sensitive_keys() {
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
            "Authorization",
        ] {
            assert!(is_sensitive_key(k), "{k}");
        }
        for k in [
            "keycloak",
            "monkey",
            "TOKENIZER_MODEL",
            "config.json",
            "LOG_LEVEL",
            "checksum/config",
            "kiln.dev/security-exceptions",
            "key",
            "secretName",
            "secretRef",
            "secretStoreRef",
            "secret-namespace",
        ] {
            assert!(!is_sensitive_key(k), "{k}");
        }
    }

    fn hidden(s: &str) -> String {
        hide_shapes(s).into_owned()
    }

    #[test]
    fn url_passwords_any_scheme() {
        assert_eq!(
            hidden("postgres://app:s3cret@db/x"),
            "postgres://app:***@db/x"
        );
        assert_eq!(
            hidden("see https://ci:TOKEN123@git.example.com/a.git now"),
            "see https://ci:***@git.example.com/a.git now"
        );
        assert_eq!(hidden("redis://:pw@cache:6379"), "redis://:***@cache:6379");
        // No password, a port, a reference: nothing to hide.
        for s in [
            "https://git.example.com/a.git",
            "https://ci@git.example.com/a.git",
            "postgres://db:5432/x",
            "postgres://app:$(DB_PASSWORD)@db/x",
            "postgres://app:${DB_PASSWORD}@db/x",
        ] {
            assert_eq!(hidden(s), s);
        }
    }

    #[test]
    fn parameters_and_headers() {
        assert_eq!(
            hidden("jdbc:postgresql://db/x?user=app&password=hunter2&ssl=true"),
            "jdbc:postgresql://db/x?user=app&password=***&ssl=true"
        );
        assert_eq!(
            hidden("Server=db;User Id=app;Password=hunter2;"),
            "Server=db;User Id=app;Password=***;"
        );
        assert_eq!(
            hidden("Authorization: Bearer abcdefgh12345678"),
            "Authorization: Bearer ***"
        );
        assert_eq!(
            hidden("curl -H 'authorization: Basic dXNlcjpwYXNz'"),
            "curl -H 'authorization: Basic ***'"
        );
        assert_eq!(hidden("user=app&mode=fast"), "user=app&mode=fast");
        for prose in [
            "uses basic authentication and token rotation",
            "Bearer tokens expire",
            "digest algorithm",
        ] {
            assert_eq!(hidden(prose), prose);
        }
    }

    #[test]
    fn well_known_tokens() {
        for (s, want) in [
            ("ghp_0123456789abcdefghijABCDEFGHIJ", "ghp_***"),
            ("glpat-abcdefghij0123456789", "glpat-***"),
            ("xoxb-1234567890-abcdefghijkl", "xoxb-***"),
            ("AKIAIOSFODNN7EXAMPLE", "AKIA***"),
            ("sk-proj-abcdefghijklmnopqrstuvwx", "sk-proj-***"),
            (
                "token is ghs_abcdefghijklmnop1234 ok",
                "token is ghs_*** ok",
            ),
        ] {
            assert_eq!(hidden(s), want, "{s}");
        }
        for s in ["sk-learn", "ghp_short", "AKIA", "task-queue", "hf_token"] {
            assert_eq!(hidden(s), s);
        }
    }

    #[test]
    fn private_keys() {
        let pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\nIBAAK\n-----END RSA PRIVATE KEY-----\n";
        assert_eq!(
            hidden(pem),
            "-----BEGIN RSA PRIVATE KEY-----***-----END RSA PRIVATE KEY-----\n"
        );
        // A public certificate is not a secret.
        let cert = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
        assert_eq!(hidden(cert), cert);
        // Cut off: hidden to the end.
        assert_eq!(
            hidden("-----BEGIN PRIVATE KEY-----\nMII"),
            "-----BEGIN PRIVATE KEY-----***"
        );
    }

    #[test]
    fn lines_hide_credential_entries() {
        for (line, want) in [
            ("  password: hunter2", "  password: ***"),
            ("password = hunter2\n", "password = ***\n"),
            ("  \"apiKey\": \"abc\",", "  \"apiKey\": \"***\","),
            ("- token: abc", "- token: ***"),
            ("password: \"unterminated", "password: \"***"),
            ("db: {password: \"hunter2", "db: {password: \"***"),
            ("# the old password: hunter2", "# the old password: ***"),
            (
                "db: {user: app, password: hunter2, port: 5}",
                "db: {user: app, password: ***, port: 5}",
            ),
            (
                "  DATABASE_URL: postgres://a:b@c/d",
                "  DATABASE_URL: postgres://a:***@c/d",
            ),
        ] {
            assert_eq!(hide_line(line), want, "{line}");
        }
        for line in [
            "password:",
            "password: |",
            "password: {key: a/b}",
            "password: ${PW}",
            "replicas: 3",
        ] {
            assert_eq!(hide_line(line), line, "{line}");
        }
    }

    #[test]
    fn references() {
        for v in [
            "$(X)",
            "${X}",
            "{{ x }}",
            "<masked>",
            "***",
            "",
            " ",
            "$DB_PASSWORD",
            "%s",
            "%(password)s",
            "{password}",
            "{}",
        ] {
            assert!(is_reference(v), "{v}");
        }
        for v in ["hunter2", "$", "$X-Y", "{{ x", "0", "%x"] {
            assert!(!is_reference(v), "{v}");
        }
    }

    #[test]
    fn shown_values() {
        assert_eq!(shown("hunter2"), "***");
        assert_eq!(shown("postgres://a:b@c/d"), "postgres://a:***@c/d");
    }

    #[test]
    fn json_values() {
        use serde_json::json;
        assert_eq!(hide_json(Some("password"), &json!("x")), json!("***"));
        assert_eq!(
            hide_json(Some("password"), &json!(["a", 1])),
            json!(["***", "***"])
        );
        assert_eq!(
            hide_json(
                None,
                &json!({"db": {"dbPassword": {"value": "x"}, "url": "redis://:pw@h"}, "n": 3})
            ),
            json!({"db": {"dbPassword": {"value": "***"}, "url": "redis://:***@h"}, "n": 3})
        );
        assert_eq!(hide_json(Some("replicas"), &json!(3)), json!(3));
        assert_eq!(
            hide_json(
                Some("credentials"),
                &json!({"llm": {"key": "shared/llm/openai", "property": "apiKey"}})
            ),
            json!({"llm": {"key": "shared/llm/openai", "property": "apiKey"}})
        );
    }
}

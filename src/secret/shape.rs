//! The shapes of a credential in a text (a password in a URL, a `password=` parameter,
//! an authorization header, a private key, a token with a known prefix), and finding
//! them.

use std::sync::LazyLock;

use regex::Regex;

use super::{is_credential_key, is_reference};

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

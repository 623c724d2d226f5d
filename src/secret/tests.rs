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

use super::*;
use crate::load::SourceFile;
use crate::parse::parse_document;
use crate::yaml::ReadOptions;

fn doc(text: &str) -> Document {
    let mut diags = crate::diagnostic::Diagnostics::new();
    let file = SourceFile {
        path: "tenants/acme.yaml".into(),
        text: text.into(),
    };
    parse_document(&file, &ReadOptions::default(), &mut diags).unwrap()
}

#[test]
fn every_embedded_schema_compiles() {
    for (kind, _) in KINDS {
        validator(kind).unwrap();
    }
}

#[test]
fn unknown_key_gets_a_did_you_mean() {
    let ds = check(
        "tenant",
        &doc("environment: dev\nservices:\n  trino:\n    replica: 3\n"),
    )
    .unwrap();
    assert_eq!(ds.len(), 1);
    assert_eq!(ds[0].message, "unknown key `replica`");
    assert_eq!(ds[0].pointer.as_deref(), Some("/services/trino/replica"));
    assert_eq!((ds[0].line, ds[0].column), (Some(4), Some(5)));
    assert_eq!(ds[0].hint.as_deref(), Some("did you mean `replicas`?"));
}

#[test]
fn unknown_top_level_key_of_a_tenant() {
    let ds = check("tenant", &doc("environment: dev\nflag: {}\n")).unwrap();
    assert_eq!(ds.len(), 1);
    assert_eq!(ds[0].message, "unknown key `flag`");
    assert_eq!(ds[0].hint.as_deref(), Some("did you mean `flags`?"));
}

#[test]
fn wrong_type_names_both_types() {
    let ds = check(
        "tenant",
        &doc("environment: dev\nservices:\n  trino:\n    replicas: three\n"),
    )
    .unwrap();
    assert_eq!(ds.len(), 1);
    assert_eq!(
        ds[0].message,
        "expected an integer, found the string `three`"
    );
    assert_eq!(ds[0].line, Some(4));
}

#[test]
fn a_number_where_a_string_belongs_is_quoted_as_written() {
    let ds = check(
        "tenant",
        &doc("environment: dev\nservices:\n  trino:\n    image: {tag: 1.10}\n"),
    )
    .unwrap();
    assert_eq!(ds.len(), 1);
    assert_eq!(ds[0].message, "expected a string, found the number `1.1`");
    assert_eq!(
        ds[0].hint.as_deref(),
        Some("quote it to keep it a string: `\"1.10\"`")
    );
}

#[test]
fn missing_required_key() {
    let ds = check("tenant", &doc("flags: {}\n")).unwrap();
    assert_eq!(ds.len(), 1);
    assert_eq!(ds[0].message, "missing required key `environment`");
    assert_eq!(ds[0].pointer.as_deref(), Some("/"));
}

#[test]
fn acronyms_keep_their_case() {
    assert_eq!(lower_first("URI prefix"), "URI prefix");
    assert_eq!(lower_first("Where it goes"), "where it goes");
}

#[test]
fn known_keys_follow_refs() {
    let keys = known_keys("tenant", "/services/trino");
    assert!(keys.contains(&"replicas".to_string()));
    let top = known_keys("tenant", "");
    assert!(top.contains(&"environment".to_string()));
    assert!(top.contains(&"flags".to_string()));
}

use super::*;
use crate::yaml::{parse_stream, ReadOptions};
use serde_json::json;

/// What kiln reads back from what it wrote (escaped control characters included).
fn round_trip(v: &Value) -> Value {
    let text = to_string(v);
    let options = ReadOptions {
        escaped_controls: true,
        ..ReadOptions::default()
    };
    let read = parse_stream(&text, &options);
    assert!(read.problems.is_empty(), "{text}\n{:?}", read.problems);
    read.documents.into_iter().next().unwrap().to_json()
}

#[test]
fn canonical_key_order() {
    let v = json!({"spec": {"b": 1, "a": 2}, "metadata": {"namespace": "ns", "labels": {}, "name": "x"}, "kind": "K", "apiVersion": "v1"});
    assert_eq!(
            to_string(&v),
            "apiVersion: v1\nkind: K\nmetadata:\n  name: x\n  namespace: ns\n  labels: {}\nspec:\n  a: 2\n  b: 1\n"
        );
}

#[test]
fn data_maps_keep_byte_order_whatever_their_keys() {
    let v = json!({"kind": "ConfigMap", "data": {"name": "x", "metadata": "y", "apiVersion": "z", "a": "w"}});
    assert_eq!(
        to_string(&v),
        "kind: ConfigMap\ndata:\n  a: w\n  apiVersion: z\n  metadata: \"y\"\n  name: x\n"
    );
}

#[test]
fn lists_of_maps_and_nested_lists() {
    let v = json!({"c": [{"name": "a", "ports": [{"containerPort": 80}]}, "x", [1, 2], []]});
    let text = to_string(&v);
    assert_eq!(
            text,
            "c:\n  - name: a\n    ports:\n      - containerPort: 80\n  - x\n  -\n    - 1\n    - 2\n  - []\n"
        );
    assert_eq!(round_trip(&v), v);
}

#[test]
fn strings_that_yaml11_would_change_are_quoted() {
    for s in [
        "on",
        "no",
        "y",
        "Y",
        "yes",
        "off",
        "1.10",
        "0755",
        "1e3",
        "~",
        "",
        "- x",
        "null",
        "true",
        "1_000",
        "1:30",
        "0x1f",
        "0o17",
        ".5",
        ".inf",
        "-.inf",
        ".NaN",
        "=",
        "<<",
        "2024-01-02",
        "2024-01-02T10:00:00Z",
        "a: b",
        "a #b",
        "#x",
        "*x",
        "&x",
        "!x",
        "%x",
        "@x",
        "`x",
        "'x",
        "\"x",
        "{x",
        "[x",
        "|x",
        ">x",
        " lead",
        "trail ",
        "x:",
        "-1",
        "+1",
        "12",
        "1.5e+3",
    ] {
        let v = json!({ "k": s, s: "v" });
        let text = to_string(&v);
        assert!(
            !text.contains(&format!("k: {s}\n")) || s.is_empty(),
            "`{s}` must be quoted:\n{text}"
        );
        assert_eq!(round_trip(&v), v, "{text}");
    }
}

#[test]
fn ordinary_strings_stay_plain() {
    for s in [
        "hello",
        "v1.2.3",
        "10Gi",
        "500m",
        "app.kubernetes.io/name",
        "http://x:80/path",
        "a-b_c",
        "3600s",
    ] {
        assert_eq!(to_string(&json!({ "k": s })), format!("k: {s}\n"));
    }
}

#[test]
fn multi_line_strings_become_literal_blocks() {
    let v = json!({"a": {"f": "line one\n  indented\n\nlast\n", "g": "no newline\nat end"}});
    let text = to_string(&v);
    assert_eq!(
            text,
            "a:\n  f: |\n    line one\n      indented\n\n    last\n  g: |-\n    no newline\n    at end\n"
        );
    assert_eq!(round_trip(&v), v);
    let list = json!(["x\ny\n"]);
    assert_eq!(to_string(&list), "- |\n  x\n  y\n");
    assert_eq!(round_trip(&list), list);
}

#[test]
fn awkward_multi_line_strings_are_double_quoted() {
    for s in [
        " lead\nx",
        "trailing \nx",
        "two\n\n",
        "\nstart",
        "cr\r\nlf",
        "tab\t\nx",
        "nel\u{85}x\n",
    ] {
        let v = json!({ "k": s });
        let text = to_string(&v);
        assert!(text.starts_with("k: \""), "{s:?} -> {text}");
        assert_eq!(round_trip(&v), v);
    }
}

#[test]
fn numbers_keep_their_type() {
    let v = json!({"i": 3, "n": -7, "f": 0.5, "g": 2.0, "big": 1e300, "small": 1e-9});
    let text = to_string(&v);
    assert!(text.contains("g: 2.0\n"), "{text}");
    assert!(text.contains("big: 1.0e+300\n"), "{text}");
    assert!(text.contains("small: 1.0e-9\n"), "{text}");
    assert_eq!(round_trip(&v), v);
}

#[test]
fn scalars_and_empty_documents() {
    assert_eq!(to_string(&json!({})), "{}\n");
    assert_eq!(
        to_string(&json!({"a": null, "b": [], "c": {}})),
        "a: null\nb: []\nc: {}\n"
    );
    assert_eq!(to_string(&json!("on")), "\"on\"\n");
}

#[test]
fn unicode_is_kept_and_controls_escaped() {
    let v = json!({"a": "héllo", "b": "bell\u{7}", "c": "line\u{2028}sep"});
    let text = to_string(&v);
    assert!(text.contains("a: \"héllo\"\n"));
    assert!(text.contains("\\u0007"));
    assert_eq!(round_trip(&v), v);
}

// Found by tests/integration/properties.rs: readers take at most 1024 characters for an
// implicit key, and refuse a raw U+FFFE or U+FFFF.
#[test]
fn long_keys_are_written_explicitly() {
    let long = " s".repeat(600);
    let v = json!({ &long: "v", "short": [{ &long: {"a": 1}, "b": 2 }] });
    let text = to_string(&v);
    let quoted = format!("\"{long}\"");
    assert!(
        text.starts_with(&format!(
            "? {quoted}\n: v\nshort:\n  - ? {quoted}\n    :\n      a: 1\n"
        )),
        "{text}"
    );
    assert_eq!(round_trip(&v), v);
    let fits = "k".repeat(LONGEST_IMPLICIT_KEY);
    assert_eq!(to_string(&json!({ &fits: 1 })), format!("{fits}: 1\n"));
}

// Found by the long run of tests/integration/properties.rs: `... -` written plain as a
// document or a top-level key ended the document.
#[test]
fn document_markers_are_quoted() {
    for s in ["... -", "...", "--- x", "---"] {
        assert!(!is_plain_safe(s), "{s}");
        let v = json!({ s: s });
        assert_eq!(round_trip(&v), v);
        assert_eq!(round_trip(&json!(s)), json!(s));
    }
    assert!(is_plain_safe("a..."));
}

#[test]
fn code_points_yaml_excludes_are_escaped() {
    let v = json!({"a": "x\u{fffe}y\u{ffff}", "b": "line\u{ffff}\nnext\n"});
    let text = to_string(&v);
    assert_eq!(
        text,
        "a: \"x\\ufffey\\uffff\"\nb: \"line\\uffff\\nnext\\n\"\n"
    );
    assert_eq!(round_trip(&v), v);
}

#[test]
fn upper_case_spellings_of_numbers_and_words_are_quoted() {
    for s in [
        "0X1F", "1E3", "0O17", "0B101", "TRUE", "Null", "OFF", "+.INF", "-.Nan",
    ] {
        assert!(!is_plain_safe(s), "{s}");
    }
    for s in [
        "trino",
        "a:b",
        "a#b",
        "x-1",
        "v1.2.3-rc",
        "EOF",
        "Yesterday",
    ] {
        assert!(is_plain_safe(s), "{s}");
    }
}

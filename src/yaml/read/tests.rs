// Not split: one test per reading behaviour, each through `parse_stream`; they share
// the helpers above them and read as one list of what the reader accepts and refuses.

use super::*;

fn read(text: &str) -> ReadResult {
    parse_stream(text, &ReadOptions::default())
}

fn one(text: &str) -> Node {
    let r = read(text);
    assert!(r.problems.is_empty(), "{:?}", r.problems);
    r.documents.into_iter().next().unwrap()
}

#[test]
fn resolves_core_schema_scalars() {
    let n = one("a: 1\nb: -2.5\nc: true\nd: ~\ne: hello\nf: '1'\ng: 0x1F\nh: 1.5e+3\n");
    let j = n.to_json();
    assert_eq!(j["a"], 1);
    assert_eq!(j["b"], -2.5);
    assert_eq!(j["c"], true);
    assert!(j["d"].is_null());
    assert_eq!(j["e"], "hello");
    assert_eq!(j["f"], "1");
    assert_eq!(j["g"], 31);
    assert_eq!(j["h"], 1500.0);
}

#[test]
fn positions_are_one_based() {
    let n = one("a:\n  bb: 1\n");
    let e = &n.get("a").unwrap().entries()[0];
    assert_eq!((e.key_span.line, e.key_span.col, e.key_span.len), (2, 3, 2));
    assert_eq!((e.value.span.line, e.value.span.col), (2, 7));
}

#[test]
fn reports_every_ambiguous_plain_scalar() {
    for text in [
        "yes",
        "No",
        "on",
        "OFF",
        "y",
        "n",
        "0755",
        "1e3",
        "1_000",
        "1:30",
        "0b101",
        "0o17",
        "2024-01-02",
        "089",
        "=",
        "1.5e3",
    ] {
        let r = read(&format!("k: {text}\n"));
        assert_eq!(r.problems.len(), 1, "`{text}` should be reported");
        assert!(!r.problems[0].fatal);
    }
    for text in [
        "'yes'", "\"0755\"", "1.10", "1.5e+3", "10Gi", "500m", "true", "0", "-0", "12", "v1.2.3",
    ] {
        let r = read(&format!("k: {text}\n"));
        assert!(
            r.problems.is_empty(),
            "`{text}` is not ambiguous: {:?}",
            r.problems
        );
    }
}

#[test]
fn octal_hint_gives_the_yaml11_value() {
    let r = read("mode: 0755\n");
    assert!(r.problems[0].message.contains("octal number 493"));
    assert_eq!(
        r.problems[0].hint.as_deref(),
        Some("quote it (`\"0755\"`) for a string, or write `493`")
    );
}

#[test]
fn problems_carry_the_pointer() {
    let r = read("a:\n  - x\n  - {b: yes}\n");
    assert_eq!(r.problems[0].pointer.as_deref(), Some("/a/1/b"));
    let r = read("a:\n  on: 1\n");
    assert_eq!(r.problems[0].pointer.as_deref(), Some("/a/on"));
    let r = read("m:\n  k: 1\n  k: 2\n");
    assert_eq!(r.problems[0].pointer.as_deref(), Some("/m/k"));
}

#[test]
fn quoted_scalars_span_what_is_written() {
    let n = one(
        "a: \"x\\ty\"\nb: 'it''s'\nc: \"é\\u00e9\"\nd: &x \"v\"\ne: \"one\n  two\"\n\"k\\\"\": 1\n",
    );
    let len = |key: &str| n.get(key).unwrap().span.len;
    assert_eq!(len("a"), 6);
    assert_eq!(len("b"), 7);
    assert_eq!(len("c"), 9);
    assert_eq!(len("d"), 3);
    // Up to the end of the first line.
    assert_eq!(len("e"), 4);
    assert_eq!(n.entry("k\"").unwrap().key_span.len, 5);
}

#[test]
fn a_mapping_is_located_at_its_first_key() {
    let n = one("\n\nfirst: 1\nsecond: 2\n");
    assert_eq!((n.span.line, n.span.col), (3, 1));
}

#[test]
fn duplicate_keys_are_reported_with_both_lines() {
    let r = read("a: 1\nb: 2\na: 3\n");
    assert_eq!(r.problems.len(), 1);
    assert_eq!(
        r.problems[0].message,
        "duplicate key `a` (first defined at line 1)"
    );
    assert_eq!(r.problems[0].span.line, 3);
}

#[test]
fn a_repeated_key_keeps_the_first_value_everywhere() {
    let r = read("a: 1\nb: {c: x, c: y}\na: 3\n");
    let doc = &r.documents[0];
    assert_eq!(doc.to_json(), serde_json::json!({"a": 1, "b": {"c": "x"}}));
    assert_eq!(doc.locate("/a").node.span.line, 1);
}

#[test]
fn alias_bomb_fails_fast() {
    let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..30 {
        let p = i - 1;
        text.push_str(&format!(
            "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
        ));
    }
    let start = std::time::Instant::now();
    let r = read(&text);
    assert!(r.is_fatal());
    assert!(r.problems[0]
        .message
        .contains("aliases expand to more than"));
    assert!(start.elapsed().as_secs() < 2);
}

#[test]
fn small_aliases_are_expanded() {
    let n = one("base: &b {x: 1}\nother: *b\n");
    assert_eq!(n.to_json()["other"]["x"], 1);
}

#[test]
fn deep_nesting_is_refused() {
    let text = "[".repeat(200) + &"]".repeat(200);
    let r = read(&text);
    assert!(r.is_fatal());
    assert!(r.problems[0]
        .message
        .contains("nesting is deeper than 64 levels"));
}

#[test]
fn syntax_errors_are_located() {
    let r = read("a: [1, 2\nb: 3\n");
    assert!(r.is_fatal());
    assert!(r.problems[0].message.starts_with("invalid yaml: "));
    assert!(r.problems[0].span.line >= 1);
}

#[test]
fn multiple_documents_and_empty_ones() {
    let r = read("---\na: 1\n---\n---\nb: 2\n");
    assert!(r.problems.is_empty());
    assert_eq!(r.documents.len(), 3);
    assert!(r.documents[1].is_null());
}

#[test]
fn tags() {
    let n = one("a: !!str 0755\nb: !!int 12\n");
    assert_eq!(n.to_json()["a"], "0755");
    assert_eq!(n.to_json()["b"], 12);
    let r = read("a: !custom x\n");
    assert!(r.is_fatal());
    assert_eq!(r.problems[0].message, "unsupported yaml tag `!custom`");
}

#[test]
fn complex_keys_are_refused() {
    let r = read("? [a, b]\n: 1\n");
    assert!(r.is_fatal());
}

#[test]
fn hostile_input_never_panics() {
    let mut samples: Vec<String> = [
        "",
        "\u{feff}a: 1",
        "a: 1\r\nb: 2\r\n",
        "\t- x",
        "a: !!binary AAAA",
        "? a\n: b",
        "&a [*a]",
        "*a",
        "a: 99999999999999999999999",
        "a: -9223372036854775809",
        "{a: [}",
        "--- |\n  x\n...\n---\n",
        "%YAML 1.1\n---\na: 1",
        "a: 'unterminated",
        "a: \"\\xff\"",
        "[[[[[[[[[[",
        "a:\n  - b:\n    - c",
        ":",
        "- - - - -",
        "!<tag:x> a",
    ]
    .iter()
    .map(std::string::ToString::to_string)
    .collect();
    // Pseudo-random mixes of YAML's special characters (fixed seed: repeatable).
    let alphabet: Vec<char> = "ab:- \n\t[]{}&*!|>'\"%@`,#?~0.\\".chars().collect();
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    for _ in 0..3000 {
        let len = (seed % 40) as usize;
        let mut s = String::new();
        for _ in 0..len {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            s.push(alphabet[(seed % alphabet.len() as u64) as usize]);
        }
        samples.push(s);
    }
    for s in samples {
        let r = read(&s);
        assert!(
            !r.problems
                .iter()
                .any(|p| p.message.contains("parser failed")),
            "the parser panicked on {s:?}"
        );
    }
}

#[test]
fn a_leading_byte_order_mark_is_skipped() {
    let n = one("\u{feff}environment: dev\nb: 1\n");
    assert_eq!(
        n.to_json(),
        serde_json::json!({"environment": "dev", "b": 1})
    );
    // Columns count from after the mark, as editors show them.
    let e = &n.entries()[0];
    assert_eq!((e.key_span.line, e.key_span.col), (1, 1));
    assert_eq!((e.value.span.line, e.value.span.col), (1, 14));
    let n = one("\u{feff}{\"a\": [1]}");
    assert_eq!(n.to_json(), serde_json::json!({"a": [1]}));
}

fn refusal(text: &str) -> ReadProblem {
    let r = read(text);
    assert!(r.is_fatal(), "{text:?} should be refused: {:?}", r.problems);
    r.problems.into_iter().find(|p| p.fatal).unwrap()
}

#[test]
fn control_characters_in_the_text_are_refused_where_they_stand() {
    let p = refusal("a: 1\nb: x\0y\n");
    assert_eq!(p.message, "unexpected control character `\\u{0}`");
    assert_eq!(
            p.hint.as_deref(),
            Some("remove it: tab, line feed and carriage return are the only control characters kiln reads")
        );
    assert_eq!((p.span.line, p.span.col, p.span.len), (2, 5, 1));
    for (text, shown, at) in [
        ("\u{1b}[31m: 1\n", "\\u{1b}", (1, 1)),
        ("# a comment \u{7}\n", "\\u{7}", (1, 13)),
        ("a: \"é\u{7f}\"\n", "\\u{7f}", (1, 6)),
        ("a: |\n  x\u{85}\n", "\\u{85}", (2, 4)),
        ("a: 1\r\n\u{c}", "\\u{c}", (2, 1)),
    ] {
        let p = refusal(text);
        assert_eq!(p.message, format!("unexpected control character `{shown}`"));
        assert_eq!((p.span.line, p.span.col), at, "{text:?}");
    }
    let p = refusal("a: 1\n\u{feff}b: 2\n");
    assert_eq!(p.message, "unexpected byte order mark `\\u{feff}`");
    assert_eq!((p.span.line, p.span.col), (2, 1));
    let p = refusal("a: \u{ffff}\n");
    assert_eq!(p.message, "unexpected character `\\u{ffff}`");
    // Tab, line feed and carriage return are text.
    assert_eq!(one("a:\t\"x\ty\"\r\n").to_json()["a"], "x\ty");
}

// Found by tests/integration/properties.rs: a carriage return alone ended a line for the parser
// but not for the quoted source line; the end of a file without a final line feed
// was placed on a line after it.
#[test]
fn a_carriage_return_alone_is_refused() {
    let p = refusal("a: 1\rb: 2\n");
    assert_eq!(
        p.message,
        "unexpected carriage return `\\u{d}` without a line feed"
    );
    assert_eq!((p.span.line, p.span.col), (1, 5));
    assert!(read("a: 1\r\nb: 2\r\n").problems.is_empty());
}

#[test]
fn the_end_of_the_file_is_on_its_last_line() {
    let p = refusal("{");
    assert_eq!((p.span.line, p.span.col), (1, 2));
    let p = refusal("a:\n  - [x");
    assert_eq!((p.span.line, p.span.col), (2, 7));
    // Nodes too: an empty key at the end (found by the long run).
    let n = one("? ");
    assert_eq!((n.span.line, n.span.col), (1, 3));
}

// Found by tests/integration/properties.rs: a byte order mark written as an escape is no
// control character, and is kept.
#[test]
fn escaped_format_characters_are_kept() {
    assert_eq!(
        one("a: \"\\ufeff\\u200b\"\n").to_json()["a"],
        "\u{feff}\u{200b}"
    );
}

#[test]
fn escaped_control_characters_are_refused_unless_allowed() {
    let p = refusal("a:\n  b: \"x\\ey\"\n  \"\\0\": 1\n  c: \"\\u0007\"\n");
    assert_eq!(p.message, "control character `\\u{1b}` in a string");
    assert_eq!(p.pointer.as_deref(), Some("/a/b"));
    let r = read("a:\n  b: \"x\\ey\"\n  \"\\0\": 1\n  c: \"\\u0007\"\n");
    let messages: Vec<_> = r
        .problems
        .iter()
        .map(|p| (p.message.as_str(), p.pointer.as_deref()))
        .collect();
    assert_eq!(
        messages,
        [
            ("control character `\\u{1b}` in a string", Some("/a/b")),
            ("control character `\\u{0}` in a key", Some("/a/\\u{0}")),
            ("control character `\\u{7}` in a string", Some("/a/c")),
        ]
    );
    let allowed = ReadOptions {
        escaped_controls: true,
        ..ReadOptions::default()
    };
    let r = parse_stream("a: \"x\\ey\\0\"\n", &allowed);
    assert!(r.problems.is_empty());
    assert_eq!(r.documents[0].to_json()["a"], "x\u{1b}y\0");
    // Tabs and line breaks written as escapes are fine.
    assert_eq!(one("a: \"\\t\\r\\n\"\n").to_json()["a"], "\t\r\n");
}

#[test]
fn numbers_json_cannot_hold_are_refused() {
    for text in [".nan", ".NaN", ".NAN", "!!float .nan"] {
        let p = refusal(&format!("replicas: {text}\n"));
        let shown = text.trim_start_matches("!!float ");
        assert_eq!(
            p.message,
            format!(
                "`{shown}` is not a number kiln can use: its values are JSON, which has no NaN"
            )
        );
        assert_eq!(p.pointer.as_deref(), Some("/replicas"));
        assert_eq!(
            p.hint,
            Some(format!(
                "write a finite number, or quote it (`\"{shown}\"`) for a string"
            ))
        );
    }
    for text in [
        ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF",
    ] {
        let p = refusal(&format!("enabled: {text}\n"));
        assert_eq!(
            p.message,
            format!(
                "`{text}` is not a number kiln can use: its values are JSON, which has no infinity"
            )
        );
    }
    let p = refusal("a: 1e999\n");
    assert_eq!(
        p.message,
        "`1e999` is too large for a number (the largest is about 1.8e308)"
    );
    for text in [
        "9223372036854775808",
        "-9223372036854775809",
        "0x10000000000000000",
        "0o2000000000000000000000",
    ] {
        let p = refusal(&format!("a: {text}\n"));
        assert_eq!(
                p.message,
                format!("`{text}` is out of range for an integer (-9223372036854775808 to 9223372036854775807)")
            );
    }
    // Every problem is reported, not only the first.
    let r = read("a: .nan\nb: [.inf, 1]\n");
    let pointers: Vec<_> = r.problems.iter().map(|p| p.pointer.as_deref()).collect();
    assert_eq!(pointers, [Some("/a"), Some("/b/0")]);
    // Quoted, they are strings; at the edges of the range, numbers.
    let n = one("a: '.nan'\nb: \".inf\"\nc: 9223372036854775807\nd: -9223372036854775808\ne: 1.7e+308\nf: !!float 12345678901234567890\n");
    let j = n.to_json();
    assert_eq!(j["a"], ".nan");
    assert_eq!(j["b"], ".inf");
    assert_eq!(j["c"], i64::MAX);
    assert_eq!(j["d"], i64::MIN);
    assert_eq!(j["e"], 1.7e308);
    assert_eq!(j["f"], 12345678901234567890.0);
}

#[test]
fn json_is_read_as_yaml() {
    let n = one("{\"a\": [1, \"x\", null, true], \"b\": {\"c\": 1.5}}");
    assert_eq!(
        n.to_json(),
        serde_json::json!({"a": [1, "x", null, true], "b": {"c": 1.5}})
    );
}

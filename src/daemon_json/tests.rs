//! Fixture-driven tests of decode, parse and edit together: exact output text, the
//! format-preservation properties, syntax diagnostics, and the limits (depth, size).

use super::*;

const FIXTURES: &[&str] = &[
    "two-space.json",
    "four-space-log-opts.json",
    "tabs.json",
    "crlf.json",
    "bom.json",
    "no-trailing-newline.json",
    "minified.json",
    "empty-object.json",
    "big-numbers.json",
    "unicode-escapes.json",
    "duplicate-keys.json",
    "spaced-colon.json",
    "single-line-registries.json",
    "empty-lists.json",
    "one-line-spaced.json",
];

fn fixture_bytes(name: &str) -> Vec<u8> {
    let path = format!("{}/fixtures/json/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn fixture(name: &str) -> String {
    decode(&fixture_bytes(name)).unwrap().text
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// (fixture, key, new list, exact expected text)
const EDITS: &[(&str, &str, &[&str], &str)] = &[
    // Append to a 2-space file: multi-line list like the existing one.
    (
        "two-space.json",
        "insecure-registries",
        &["registry.local:5000"],
        "{\n  \"debug\": false,\n  \"registry-mirrors\": [\n    \"https://mirror.gcr.io\",\n    \"https://registry.docker-cn.com\"\n  ],\n  \"log-driver\": \"json-file\",\n  \"insecure-registries\": [\n    \"registry.local:5000\"\n  ]\n}\n",
    ),
    // Replace the second item; the first keeps its line.
    (
        "two-space.json",
        "registry-mirrors",
        &["https://mirror.gcr.io", "https://new.example.com"],
        "{\n  \"debug\": false,\n  \"registry-mirrors\": [\n    \"https://mirror.gcr.io\",\n    \"https://new.example.com\"\n  ],\n  \"log-driver\": \"json-file\"\n}\n",
    ),
    // Remove the first item.
    (
        "two-space.json",
        "registry-mirrors",
        &["https://registry.docker-cn.com"],
        "{\n  \"debug\": false,\n  \"registry-mirrors\": [\n    \"https://registry.docker-cn.com\"\n  ],\n  \"log-driver\": \"json-file\"\n}\n",
    ),
    // Remove everything: an empty list, not an absent key.
    (
        "two-space.json",
        "registry-mirrors",
        &[],
        "{\n  \"debug\": false,\n  \"registry-mirrors\": [],\n  \"log-driver\": \"json-file\"\n}\n",
    ),
    (
        "four-space-log-opts.json",
        "insecure-registries",
        &["registry.local:5000", "10.0.0.0/8", "new:5000"],
        "{\n    \"data-root\": \"/var/lib/docker\",\n    \"log-driver\": \"json-file\",\n    \"log-opts\": {\n        \"max-size\": \"10m\",\n        \"max-file\": \"3\",\n        \"labels\": \"production_status\"\n    },\n    \"insecure-registries\": [\n        \"registry.local:5000\",\n        \"10.0.0.0/8\",\n        \"new:5000\"\n    ],\n    \"storage-driver\": \"overlay2\"\n}\n",
    ),
    (
        "four-space-log-opts.json",
        "registry-mirrors",
        &["https://m.example.com"],
        "{\n    \"data-root\": \"/var/lib/docker\",\n    \"log-driver\": \"json-file\",\n    \"log-opts\": {\n        \"max-size\": \"10m\",\n        \"max-file\": \"3\",\n        \"labels\": \"production_status\"\n    },\n    \"insecure-registries\": [\n        \"registry.local:5000\",\n        \"10.0.0.0/8\"\n    ],\n    \"storage-driver\": \"overlay2\",\n    \"registry-mirrors\": [\n        \"https://m.example.com\"\n    ]\n}\n",
    ),
    (
        "tabs.json",
        "insecure-registries",
        &["registry.local:5000", "192.168.1.10:5000", "new:5000"],
        "{\n\t\"insecure-registries\": [\"registry.local:5000\", \"192.168.1.10:5000\", \"new:5000\"],\n\t\"live-restore\": true,\n\t\"default-address-pools\": [\n\t\t{\n\t\t\t\"base\": \"172.30.0.0/16\",\n\t\t\t\"size\": 24\n\t\t}\n\t]\n}\n",
    ),
    // A new list follows the file's existing one-line registry list.
    (
        "tabs.json",
        "registry-mirrors",
        &["https://m.example.com", "https://n.example.com"],
        "{\n\t\"insecure-registries\": [\"registry.local:5000\", \"192.168.1.10:5000\"],\n\t\"live-restore\": true,\n\t\"default-address-pools\": [\n\t\t{\n\t\t\t\"base\": \"172.30.0.0/16\",\n\t\t\t\"size\": 24\n\t\t}\n\t],\n\t\"registry-mirrors\": [\"https://m.example.com\", \"https://n.example.com\"]\n}\n",
    ),
    (
        "crlf.json",
        "insecure-registries",
        &["registry.local:5000"],
        "{\r\n  \"exec-opts\": [\"native.cgroupdriver=systemd\"],\r\n  \"log-driver\": \"json-file\",\r\n  \"log-opts\": {\r\n    \"max-size\": \"100m\"\r\n  },\r\n  \"storage-driver\": \"overlay2\",\r\n  \"insecure-registries\": [\"registry.local:5000\"]\r\n}\r\n",
    ),
    // `mirror add --first`: the new one goes before the kept one.
    (
        "bom.json",
        "registry-mirrors",
        &["https://first.example.com", "https://mirror.example.com"],
        "{\r\n  \"registry-mirrors\": [\"https://first.example.com\", \"https://mirror.example.com\"],\r\n  \"dns\": [\"8.8.8.8\"]\r\n}\r\n",
    ),
    (
        "no-trailing-newline.json",
        "insecure-registries",
        &[],
        "{\n  \"insecure-registries\": [],\n  \"debug\": true\n}",
    ),
    (
        "no-trailing-newline.json",
        "registry-mirrors",
        &["https://m.example.com"],
        "{\n  \"insecure-registries\": [\n    \"registry.local:5000\"\n  ],\n  \"debug\": true,\n  \"registry-mirrors\": [\n    \"https://m.example.com\"\n  ]\n}",
    ),
    (
        "minified.json",
        "insecure-registries",
        &["b.example.com:5000"],
        "{\"debug\":true,\"insecure-registries\":[\"b.example.com:5000\"],\"log-level\":\"warn\"}",
    ),
    (
        "minified.json",
        "registry-mirrors",
        &["https://m.example.com"],
        "{\"debug\":true,\"insecure-registries\":[\"a.example.com:5000\",\"b.example.com:5000\"],\"log-level\":\"warn\",\"registry-mirrors\":[\"https://m.example.com\"]}",
    ),
    (
        "empty-object.json",
        "insecure-registries",
        &["registry.local:5000"],
        "{\n  \"insecure-registries\": [\n    \"registry.local:5000\"\n  ]\n}\n",
    ),
    (
        "big-numbers.json",
        "insecure-registries",
        &["registry.local:5000"],
        "{\n  \"max-concurrent-downloads\": 12345678901234567890,\n  \"max-download-attempts\": 5,\n  \"shutdown-timeout\": 1.50e+1,\n  \"mtu\": -0,\n  \"insecure-registries\": [\n    \"registry.local:5000\"\n  ]\n}\n",
    ),
    // The kept item keeps its `\u002d` escape; the new one is written plainly.
    (
        "unicode-escapes.json",
        "insecure-registries",
        &["my-registry.local:5000", "名前.example:5000"],
        "{\n  \"labels\": [\"名前=\\u00e9\", \"quote=\\\"x\\\"\", \"tab=\\t\", \"emoji=\\ud83d\\ude00\"],\n  \"insecure-registries\": [\"my\\u002dregistry.local:5000\", \"名前.example:5000\"],\n  \"data-root\": \"C:\\\\ProgramData\\\\docker\"\n}\n",
    ),
    // Only the last occurrence (the one dockerd reads) is edited.
    (
        "duplicate-keys.json",
        "insecure-registries",
        &["new.example.com:5000", "x:5000"],
        "{\n  \"insecure-registries\": [\"old.example.com:5000\"],\n  \"debug\": true,\n  \"insecure-registries\": [\"new.example.com:5000\", \"x:5000\"],\n  \"log-level\": \"info\"\n}\n",
    ),
    (
        "spaced-colon.json",
        "insecure-registries",
        &["registry.local:5000", "b:5000"],
        "{\n  \"debug\" : true,\n  \"log-level\" : \"warn\",\n  \"insecure-registries\" : [ \"registry.local:5000\", \"b:5000\" ]\n}\n",
    ),
    (
        "spaced-colon.json",
        "registry-mirrors",
        &["https://m.example.com"],
        "{\n  \"debug\" : true,\n  \"log-level\" : \"warn\",\n  \"insecure-registries\" : [ \"registry.local:5000\" ],\n  \"registry-mirrors\" : [ \"https://m.example.com\" ]\n}\n",
    ),
    (
        "single-line-registries.json",
        "insecure-registries",
        &["registry-1.local:5000", "10.0.0.0/8"],
        "{\n  \"insecure-registries\": [\"registry-1.local:5000\",\"10.0.0.0/8\"],\n  \"registry-mirrors\": [\"https://mirror.example.com\"]\n}\n",
    ),
    (
        "single-line-registries.json",
        "registry-mirrors",
        &["https://mirror.example.com", "https://b.example.com"],
        "{\n  \"insecure-registries\": [\"registry-1.local:5000\",\"registry-2.local:5000\",\"10.0.0.0/8\"],\n  \"registry-mirrors\": [\"https://mirror.example.com\",\"https://b.example.com\"]\n}\n",
    ),
    // `[]` and `null` give no layout: the file's default (multi-line here).
    (
        "empty-lists.json",
        "insecure-registries",
        &["a:5000"],
        "{\n  \"insecure-registries\": [\n    \"a:5000\"\n  ],\n  \"registry-mirrors\": null,\n  \"debug\": false\n}\n",
    ),
    (
        "empty-lists.json",
        "registry-mirrors",
        &["https://m.example.com"],
        "{\n  \"insecure-registries\": [],\n  \"registry-mirrors\": [\n    \"https://m.example.com\"\n  ],\n  \"debug\": false\n}\n",
    ),
    (
        "one-line-spaced.json",
        "insecure-registries",
        &["a:5000", "b:5000"],
        "{ \"debug\": true, \"log-level\": \"debug\", \"insecure-registries\": [\"a:5000\", \"b:5000\"] }\n",
    ),
];

#[test]
fn edits_give_exactly_the_expected_text() {
    for (name, key, values, want) in EDITS {
        let text = fixture(name);
        let doc = parse(&text).unwrap();
        let got = set_string_list(&text, &doc, key, &strings(values));
        assert_eq!(got, *want, "{name}: {key} = {values:?}");
        check_edit(name, &text, key, &strings(values), &got);
    }
}

/// The format-preservation properties of one edit of `old` (setting `key` to `values`).
fn check_edit(name: &str, old: &str, key: &str, values: &[String], new: &str) {
    let ctx = format!("{name}: {key} = {values:?}");
    let old_doc = parse(old).unwrap();
    // (1) The output parses.
    let new_doc = parse(new).unwrap_or_else(|d| panic!("{ctx}: {}\n{new}", d.message));
    // (2) Its value for the key is the requested list.
    let member = new_doc.get(key).unwrap();
    assert_eq!(string_list(new, member).unwrap(), values, "{ctx}");
    // (3) Every other top-level member is byte-identical, in the same order.
    let old_members = old_doc.root_object().unwrap();
    let new_members = new_doc.root_object().unwrap();
    let edited = old_members.iter().rposition(|m| m.key == key);
    let raw = |t: &str, m: &Member| t[m.key_span.start..m.value.span.end].to_owned();
    for (i, m) in old_members.iter().enumerate() {
        if Some(i) != edited {
            assert_eq!(raw(new, &new_members[i]), raw(old, m), "{ctx}: member {i}");
        }
    }
    let added = if edited.is_some() { 0 } else { 1 };
    assert_eq!(new_members.len(), old_members.len() + added, "{ctx}");
    // (4) The diff touches only the lines of the edited value, or of the last member (which
    // gains a comma) and the appended one.
    let line_of = |offset: usize| old[..offset].matches('\n').count();
    let (lo, hi) = match (edited, old_members.last()) {
        (Some(i), _) => {
            let v = &old_members[i].value.span;
            (line_of(v.start), line_of(v.end))
        }
        (None, Some(last)) => (line_of(last.value.span.end), line_of(last.value.span.end)),
        (None, None) => (
            line_of(old_doc.root.span.start),
            line_of(old_doc.root.span.end),
        ),
    };
    let diff = similar::TextDiff::from_lines(old, new);
    for op in diff.ops() {
        let (tag, old_range, _) = op.as_tag_tuple();
        if tag == similar::DiffTag::Equal {
            continue;
        }
        assert!(
            old_range.start >= lo && old_range.end <= hi + 1,
            "{ctx}: diff touches old lines {old_range:?}, allowed {lo}..={hi}\n{}",
            diff.unified_diff()
        );
    }
}

#[test]
fn every_fixture_keeps_its_format_under_every_kind_of_edit() {
    for name in FIXTURES {
        let text = fixture(name);
        let doc = parse(&text).unwrap();
        for key in ["insecure-registries", "registry-mirrors"] {
            let current = doc.get(key).map(|m| string_list(&text, m).unwrap());
            let mut lists: Vec<Vec<String>> = vec![
                vec![],
                strings(&["added.example.com:5000"]),
                strings(&["a\"quote", "back\\slash", "名前", "tab\t", "\u{7f}"]),
            ];
            if let Some(cur) = current {
                let mut appended = cur.clone();
                appended.push("new.example.com".into());
                let mut prepended = vec!["first.example.com".to_owned()];
                prepended.extend(cur.iter().cloned());
                let mut reversed = cur.clone();
                reversed.reverse();
                let dropped_first: Vec<String> = cur.iter().skip(1).cloned().collect();
                lists.extend([cur, appended, prepended, reversed, dropped_first]);
            }
            for values in lists {
                let new = set_string_list(&text, &doc, key, &values);
                check_edit(name, &text, key, &values, &new);
                // Editing again to the same list changes nothing.
                let again = set_string_list(&new, &parse(&new).unwrap(), key, &values);
                assert_eq!(again, new, "{name}: {key} = {values:?} twice");
            }
        }
    }
}

#[test]
fn setting_the_current_list_returns_the_file_unchanged() {
    for name in FIXTURES {
        let text = fixture(name);
        let doc = parse(&text).unwrap();
        for key in ["insecure-registries", "registry-mirrors"] {
            if let Some(m) = doc.get(key) {
                let cur = string_list(&text, m).unwrap();
                if matches!(&m.value.kind, Kind::Array(items) if !items.is_empty()) {
                    assert_eq!(
                        set_string_list(&text, &doc, key, &cur),
                        text,
                        "{name} {key}"
                    );
                }
            }
        }
    }
}

#[test]
fn an_edit_keeps_the_files_encoding() {
    let bytes = fixture_bytes("bom.json");
    let d = decode(&bytes).unwrap();
    assert_eq!(d.encoding, Encoding::Utf8Bom);
    let doc = parse(&d.text).unwrap();
    let new = set_string_list(&d.text, &doc, "registry-mirrors", &[]);
    let out = encode(&new, d.encoding);
    assert_eq!(
        out,
        b"\xEF\xBB\xBF{\r\n  \"registry-mirrors\": [],\r\n  \"dns\": [\"8.8.8.8\"]\r\n}\r\n"
    );
    // The same file saved by PowerShell as UTF-16LE comes back as UTF-16LE.
    let utf16 = encode(&d.text, Encoding::Utf16Le);
    let d16 = decode(&utf16).unwrap();
    assert_eq!(d16.encoding, Encoding::Utf16Le);
    let new16 = set_string_list(
        &d16.text,
        &parse(&d16.text).unwrap(),
        "registry-mirrors",
        &[],
    );
    assert_eq!(
        encode(&new16, d16.encoding),
        encode(&new, Encoding::Utf16Le)
    );
}

#[test]
fn new_file_is_indented_like_jq() {
    assert_eq!(
        new_file(
            "insecure-registries",
            &strings(&["registry.local:5000", "10.0.0.0/8"])
        ),
        "{\n  \"insecure-registries\": [\n    \"registry.local:5000\",\n    \"10.0.0.0/8\"\n  ]\n}\n"
    );
    assert_eq!(
        new_file("registry-mirrors", &[]),
        "{\n  \"registry-mirrors\": []\n}\n"
    );
    let text = new_file("registry-mirrors", &strings(&["https://m"]));
    let doc = parse(&text).unwrap();
    assert_eq!(
        string_list(&text, doc.get("registry-mirrors").unwrap()).unwrap(),
        ["https://m"]
    );
}

#[test]
fn empty_objects_become_pretty() {
    let cases: &[(&str, &str)] = &[
        ("{}", "{\n  \"k\": [\n    \"v\"\n  ]\n}"),
        ("{ }\n", "{\n  \"k\": [\n    \"v\"\n  ]\n}\n"),
        ("{\n}\n", "{\n  \"k\": [\n    \"v\"\n  ]\n}\n"),
        ("{\r\n}\r\n", "{\r\n  \"k\": [\r\n    \"v\"\r\n  ]\r\n}\r\n"),
        ("{\n\t}\n", "{\n\t\"k\": [\n\t\t\"v\"\n\t]\n}\n"),
        ("  {}  ", "  {\n  \"k\": [\n    \"v\"\n  ]\n}  "),
    ];
    for (text, want) in cases {
        let doc = parse(text).unwrap();
        assert_eq!(
            set_string_list(text, &doc, "k", &strings(&["v"])),
            *want,
            "{text:?}"
        );
    }
}

#[test]
fn lists_keep_their_own_odd_layouts() {
    // (file, new list, expected)
    let cases: &[(&str, &[&str], &str)] = &[
        // Separators of kept neighbours stay, new ones use the list's first separator.
        (
            "{\"k\": [\"a\" ,  \"b\", \"c\"]}",
            &["a", "b", "x"],
            "{\"k\": [\"a\" ,  \"b\" ,  \"x\"]}",
        ),
        // First item on the `[` line, the rest one per line.
        (
            "{\n  \"k\": [\"a\",\n        \"b\"]\n}",
            &["a", "b", "c"],
            "{\n  \"k\": [\"a\",\n        \"b\",\n        \"c\"]\n}",
        ),
        // A single-item list in a file with no other separator: `, ` (spaced file).
        (
            "{\"a\": 1, \"k\": [\"a\"]}",
            &["a", "b"],
            "{\"a\": 1, \"k\": [\"a\", \"b\"]}",
        ),
        (
            "{\"a\":1,\"k\":[\"a\"]}",
            &["a", "b"],
            "{\"a\":1,\"k\":[\"a\",\"b\"]}",
        ),
        // Not a list yet (dockcfg fix's case): rendered fresh.
        (
            "{\n  \"k\": \"a\"\n}",
            &["a", "b"],
            "{\n  \"k\": [\n    \"a\",\n    \"b\"\n  ]\n}",
        ),
        // Duplicated items are matched one to one.
        ("{\"k\": [\"a\", \"a\"]}", &["a"], "{\"k\": [\"a\"]}"),
        // A member not at the start of its line in a multi-line file.
        (
            "{\n  \"a\": 1, \"k\": []\n}",
            &["x"],
            "{\n  \"a\": 1, \"k\": [\n    \"x\"\n  ]\n}",
        ),
    ];
    for (text, values, want) in cases {
        let doc = parse(text).unwrap();
        assert_eq!(
            set_string_list(text, &doc, "k", &strings(values)),
            *want,
            "{text}"
        );
    }
}

#[test]
fn set_value_raw_replaces_or_appends() {
    let text = "{\n    \"a\": 1,\n    \"b\": [1, 2]\n}\n";
    let doc = parse(text).unwrap();
    assert_eq!(
        set_value_raw(text, &doc, "a", "{\"x\": true}"),
        "{\n    \"a\": {\"x\": true},\n    \"b\": [1, 2]\n}\n"
    );
    assert_eq!(
        set_value_raw(text, &doc, "c", "\"v\""),
        "{\n    \"a\": 1,\n    \"b\": [1, 2],\n    \"c\": \"v\"\n}\n"
    );
    assert_eq!(
        set_value_raw("{}", &parse("{}").unwrap(), "c", "3"),
        "{\n  \"c\": 3\n}"
    );
}

#[test]
fn a_root_that_is_not_an_object_is_left_alone() {
    for text in ["[]", "\"x\"", "null"] {
        let doc = parse(text).unwrap();
        assert_eq!(set_string_list(text, &doc, "k", &strings(&["v"])), text);
        let d = doc.root_object().unwrap_err();
        assert_eq!(d.code, "root-not-object");
        assert_eq!(d.pos.map(|p| (p.line, p.col)), Some((1, 1)));
    }
    let d = parse("\n  [1]").unwrap().root_object().unwrap_err();
    assert_eq!(d.pos.map(|p| (p.line, p.col)), Some((2, 3)));
    assert!(d.message.contains("here it is a list"), "{}", d.message);
}

#[test]
fn get_returns_the_last_occurrence() {
    let text = fixture("duplicate-keys.json");
    let doc = parse(&text).unwrap();
    let m = doc.get("insecure-registries").unwrap();
    assert_eq!(string_list(&text, m).unwrap(), ["new.example.com:5000"]);
    assert_eq!(doc.root_object().unwrap().len(), 4);
    assert!(doc.get("absent").is_none());
}

#[test]
fn string_list_names_the_wrong_type_and_where_it_is() {
    // (file, expected line, col, message fragment)
    let cases: &[(&str, usize, usize, &str)] = &[
        (
            "{\n  \"insecure-registries\": \"host:5000\"\n}",
            2,
            26,
            "\"insecure-registries\" must be a list of strings, like [\"host:5000\"]; here it is a string",
        ),
        (
            "{\"registry-mirrors\": {\"a\": 1}}",
            1,
            22,
            "\"registry-mirrors\" must be a list of strings, like [\"https://mirror.example.com\"]; here it is an object",
        ),
        (
            "{\"insecure-registries\": [\"a\", 5000]}",
            1,
            31,
            "item 2 is a number",
        ),
        (
            "{\"insecure-registries\": true}",
            1,
            25,
            "here it is true/false",
        ),
    ];
    for (text, line, col, frag) in cases {
        let doc = parse(text).unwrap();
        let m = doc.root_object().unwrap().first().unwrap();
        let d = string_list(text, m).unwrap_err();
        assert_eq!(d.code, "type");
        assert!(d.message.contains(frag), "{text}: {}", d.message);
        let p = d.pos.unwrap();
        assert_eq!((p.line, p.col), (*line, *col), "{text}: {}", d.message);
    }
    let doc = parse("{\"insecure-registries\": \"h:5000\"}").unwrap();
    let d = string_list("", doc.get("insecure-registries").unwrap()).unwrap_err();
    assert_eq!(
        d.help.as_deref(),
        Some("put the value in brackets: \"insecure-registries\": [\"h:5000\"]")
    );
    // null is read by dockerd as an empty list.
    let text = "{\"registry-mirrors\": null}";
    let doc = parse(text).unwrap();
    assert!(
        string_list(text, doc.get("registry-mirrors").unwrap())
            .unwrap()
            .is_empty()
    );
}

#[test]
fn to_serde_keeps_numbers_exact_and_the_last_duplicate() {
    let text = fixture("big-numbers.json");
    let v = parse(&text).unwrap().root.to_serde();
    assert_eq!(
        v["max-concurrent-downloads"].as_u64(),
        Some(12_345_678_901_234_567_890)
    );
    assert_eq!(v["shutdown-timeout"].as_f64(), Some(15.0));
    let v =
        parse("{\"a\": 1, \"a\": [2, {\"b\": null}], \"c\": 1e400, \"d\": -9223372036854775808}")
            .unwrap()
            .root
            .to_serde();
    assert_eq!(
        v,
        serde_json::json!({"a": [2, {"b": null}], "c": null, "d": i64::MIN})
    );
    let text = fixture("unicode-escapes.json");
    let v = parse(&text).unwrap().root.to_serde();
    assert_eq!(
        v["labels"],
        serde_json::json!(["名前=é", "quote=\"x\"", "tab=\t", "emoji=😀"])
    );
    assert_eq!(v["data-root"], "C:\\ProgramData\\docker");
}

#[test]
fn every_fixture_parses_like_serde_json() {
    for name in FIXTURES {
        let text = fixture(name);
        let ours = parse(&text).unwrap().root.to_serde();
        let theirs: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(ours, theirs, "{name}");
    }
}

/// A small deterministic generator, so failures reproduce.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// Whatever the text, parse and edit never panic, errors point inside the text, and an edit
/// of any file that parses gives a file that parses with the requested list.
fn survive(text: &str) {
    match parse(text) {
        Err(d) => {
            if let Some(p) = d.pos {
                assert!(
                    p.offset <= text.len() && p.line >= 1 && p.col >= 1,
                    "{text:?}"
                );
            }
            let _ = d.render("daemon.json", text, true);
        }
        Ok(doc) => {
            let _ = doc.root.to_serde();
            let _ = detect_style(text, &doc);
            for key in ["insecure-registries", "registry-mirrors", "new-key"] {
                if let Some(m) = doc.get(key) {
                    let _ = string_list(text, m);
                }
                let values = strings(&["x:5000", "y"]);
                let new = set_string_list(text, &doc, key, &values);
                if doc.root_object().is_ok() {
                    let new_doc = parse(&new).unwrap_or_else(|d| {
                        panic!("{text:?} -> {new:?}: {}", d.message);
                    });
                    let m = new_doc.get(key).unwrap();
                    assert_eq!(string_list(&new, m).unwrap(), values, "{text:?} -> {new:?}");
                } else {
                    assert_eq!(new, text);
                }
            }
        }
    }
}

#[test]
fn every_truncation_of_every_fixture_is_handled() {
    for name in FIXTURES {
        let text = fixture(name);
        for (i, _) in text.char_indices() {
            survive(&text[..i]);
        }
    }
}

#[test]
fn random_damage_never_panics_and_edits_stay_valid() {
    const BITS: &[&str] = &[
        "{", "}", "[", "]", "\"", ",", ":", " ", "\n", "\r\n", "\t", "/", "//", "/*", "#", "'",
        "\\", "\\u", "\\ud800", "0", "-", "1e", ".", "true", "null", "“", "”", "\u{3000}",
        "\u{a0}", "é", "\u{1}", "\u{feff}",
    ];
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    for name in FIXTURES {
        let original = fixture(name);
        for _ in 0..300 {
            let mut chars: Vec<char> = original.chars().collect();
            for _ in 0..1 + rng.next(3) {
                let at = rng.next(chars.len() + 1);
                match rng.next(3) {
                    0 if at < chars.len() => {
                        let n = 1 + rng.next(4);
                        chars.drain(at..(at + n).min(chars.len()));
                    }
                    _ => {
                        let bit = BITS[rng.next(BITS.len())];
                        chars.splice(at..at, bit.chars());
                    }
                }
            }
            survive(&chars.into_iter().collect::<String>());
        }
    }
}

#[test]
fn walk_visits_every_value_once() {
    let text = r#"{"a": [1, [2, {"b": "x", "c": [null, true]}]], "d": {}, "e": "y"}"#;
    let doc = parse(text).expect("parses");
    let mut seen = Vec::new();
    doc.root
        .walk(|v| seen.push(text.get(v.span.clone()).unwrap_or("?")));
    seen.sort_unstable();
    let mut want = vec![
        text,
        r#"[1, [2, {"b": "x", "c": [null, true]}]]"#,
        "1",
        r#"[2, {"b": "x", "c": [null, true]}]"#,
        "2",
        r#"{"b": "x", "c": [null, true]}"#,
        r#""x""#,
        "[null, true]",
        "null",
        "true",
        "{}",
        r#""y""#,
    ];
    want.sort_unstable();
    assert_eq!(seen, want);
}

#[test]
fn exotic_space_around_the_object_becomes_ascii_of_the_same_length() {
    let cases: &[(&str, Option<&str>)] = &[
        ("{}\u{b}", Some("{} ")),
        ("\u{a0}{\"a\": 1}\n", Some("  {\"a\": 1}\n")),
        ("\u{3000}\n{}\u{2028}\u{c}", Some("   \n{}    ")),
        ("\u{3000}", Some("   ")),
        ("  {}\n", None),
        ("{\"a\": \"\u{a0}\"}", None),
        ("{\u{3000}\"a\": 1}", None),
        ("", None),
    ];
    for (text, want) in cases {
        let got = outer_space_as_ascii(text);
        assert_eq!(got.as_deref(), *want, "{text:?}");
        if let Some(g) = &got {
            assert_eq!(g.len(), text.len(), "{text:?}");
        }
    }
    // Spans of the trimmed parse are spans of the original text.
    let text = "\u{a0}{\"insecure-registries\": [\"a:5000\"]}\u{b}\n";
    assert!(parse(text).is_err());
    let doc = parse_trimmed(text).expect("23.0+ reads it");
    let m = doc.get("insecure-registries").expect("member");
    assert_eq!(text.get(m.value.span.clone()), Some("[\"a:5000\"]"));
    // Inside the object the space stays an error.
    assert!(parse_trimmed("{\u{3000}\"a\": 1}").is_err());
}

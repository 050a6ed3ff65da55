//! Tests of the whole repair: the fixtures in fixtures/fix/ (exact output, strict JSON, every
//! setting kept, idempotence), one table per repair kind with positions, properties against
//! json5 as an oracle, and the limits (damaged input, size, depth).
//!
//! `FIX_BLESS=1 cargo test --lib repair::tests::fixtures` rewrites the expected files of the
//! fixtures from the current output (then review them with `git diff`).

use super::*;
use crate::daemon_json::MAX_DEPTH;
use crate::daemon_json::{encode, parse};
use crate::diag::Severity;
use serde_json::Value as J;

/// A finding as the fixtures' `.notes` files show it: `line:col: severity: message`.
fn show(d: &Diagnostic) -> String {
    let at = d
        .pos
        .map_or("-".to_owned(), |p| format!("{}:{}", p.line, p.col));
    format!("{at}: {}: {}", d.severity.as_str(), d.message)
}

fn notes_of(r: &Repaired) -> String {
    r.changes
        .iter()
        .chain(&r.unrepaired)
        .map(|d| show(d) + "\n")
        .collect()
}

fn fixture_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/fix")
}

/// Every fixture: (name, input bytes).
fn fixture_inputs() -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(fixture_dir()).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if let Some(case) = name.strip_suffix(".in.json") {
            out.push((case.to_owned(), std::fs::read(&path).unwrap()));
        }
    }
    out.sort();
    out
}

// ---- the settings-kept oracle ------------------------------------------------------------------

/// The top-level members of a JSON5 text in order, duplicates kept.
struct Pairs(Vec<(String, J)>);

impl<'de> serde::Deserialize<'de> for Pairs {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Pairs;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut m: A) -> Result<Pairs, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = m.next_entry::<String, J>()? {
                    out.push((k, v));
                }
                Ok(Pairs(out))
            }
        }
        d.deserialize_map(V)
    }
}

/// `#` comments outside strings written as `//`, so json5 can read the blog-post files too.
fn hash_to_slashes(text: &str) -> String {
    let mut out = String::new();
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for c in text.chars() {
        match quote {
            Some(q) => {
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == q || c == '\n' {
                    quote = None;
                }
                out.push(c);
            }
            None if c == '#' => out.push_str("//"),
            None => {
                if c == '"' || c == '\'' {
                    quote = Some(c);
                }
                out.push(c);
            }
        }
    }
    out
}

/// The top-level settings of the input as json5 reads it (also with `#` comments), if it can.
fn json5_pairs(text: &str) -> Option<Vec<(String, J)>> {
    json5::from_str::<Pairs>(text)
        .or_else(|_| json5::from_str::<Pairs>(&hash_to_slashes(text)))
        .ok()
        .map(|p| p.0)
}

/// What the settings must be after the documented semantic changes: the last of duplicate keys
/// wins; singular flag names merge into their plural (plural's values first, duplicates
/// dropped); a string becomes a list where a list belongs; registries are normalised and
/// deduplicated; string-map values become strings.
fn expected_settings(pairs: Vec<(String, J)>) -> serde_json::Map<String, J> {
    use crate::validate::keys::{JsonType, Platform, ignored_flag_key, lookup};
    let newest = crate::version::EngineVersion::NEWEST;
    let plural_of = |k: &str| {
        [Platform::Linux, Platform::Windows]
            .iter()
            .find_map(|p| ignored_flag_key(k, newest, *p))
            .and_then(|ig| ig.plural)
            .filter(|p| {
                matches!(
                    lookup(p).map(|k| k.ty),
                    Some(JsonType::StringList | JsonType::StringMap)
                )
            })
    };
    let mut map = serde_json::Map::new();
    let mut extra: Vec<(&'static str, J)> = Vec::new();
    for (k, v) in pairs {
        match plural_of(&k) {
            Some(p) => extra.push((p, v)),
            None => {
                map.remove(&k);
                map.insert(k, v);
            }
        }
    }
    let as_list = |v: J| match v {
        J::String(s) => vec![J::String(s)],
        J::Array(a) => a,
        _ => Vec::new(),
    };
    let as_map = |v: J| -> Vec<(String, J)> {
        match v {
            J::String(s) => s
                .split_once('=')
                .map(|(k, v)| vec![(k.to_owned(), J::String(v.to_owned()))])
                .unwrap_or_default(),
            J::Array(a) => a
                .into_iter()
                .filter_map(|i| match i {
                    J::String(s) => s
                        .split_once('=')
                        .map(|(k, v)| (k.to_owned(), J::String(v.to_owned()))),
                    _ => None,
                })
                .collect(),
            J::Object(o) => o.into_iter().collect(),
            _ => Vec::new(),
        }
    };
    for (p, v) in extra {
        let singular = |v: &J| extra_name(p, v);
        let ty = lookup(p).map(|k| k.ty);
        let cur = map.remove(p).unwrap_or(J::Null);
        let merged = if ty == Some(JsonType::StringList) {
            if !matches!(v, J::String(_) | J::Array(_) | J::Null) {
                // Not a list: kept as it is, under its own name (and reported).
                map.insert(singular(&v), v);
                map.insert(p.to_owned(), cur);
                continue;
            }
            let mut items = as_list(cur);
            for i in as_list(v) {
                if !items.contains(&i) {
                    items.push(i);
                }
            }
            J::Array(items)
        } else {
            let mut obj = match cur {
                J::Object(o) => o,
                _ => serde_json::Map::new(),
            };
            let entries = as_map(v.clone());
            let conflict = entries
                .iter()
                .any(|(k, e)| obj.get(k).is_some_and(|o| as_text(o) != as_text(e)));
            if conflict {
                map.insert(singular(&v), v);
                map.insert(p.to_owned(), J::Object(obj));
                continue;
            }
            for (k, v) in entries {
                obj.entry(k).or_insert(v);
            }
            J::Object(obj)
        };
        map.insert(p.to_owned(), merged);
    }
    for (k, v) in map.iter_mut() {
        let ty = lookup(k).map(|i| i.ty);
        if ty == Some(JsonType::StringList)
            && let J::String(s) = v
        {
            *v = J::Array(vec![J::String(s.clone())]);
        }
        if ty == Some(JsonType::StringMap)
            && let J::Object(o) = v
        {
            for val in o.values_mut() {
                match val {
                    J::Number(n) => *val = J::String(n.to_string()),
                    J::Bool(b) => *val = J::String(b.to_string()),
                    _ => {}
                }
            }
        }
        let normal = |s: &str| -> (String, String) {
            let r = if k == "registry-mirrors" {
                crate::registry::parse_mirror(s).map(|m| (m.key(), m.value))
            } else {
                crate::registry::parse_insecure(s).map(|i| (i.key(), i.value))
            };
            r.unwrap_or_else(|_| (s.to_owned(), s.to_owned()))
        };
        if (k == "registry-mirrors" || k == "insecure-registries")
            && let J::Array(items) = v
        {
            let mut seen = std::collections::HashSet::new();
            let mut out = Vec::new();
            for i in items.drain(..) {
                match i {
                    J::String(s) => {
                        let (key, value) = normal(&s);
                        if seen.insert(key) {
                            out.push(J::String(value));
                        }
                    }
                    other => out.push(other),
                }
            }
            *items = out;
        }
    }
    map
}

/// The singular key whose plural is `plural` (for the settings the repair keeps unmerged).
fn extra_name(plural: &str, _v: &J) -> String {
    plural.strip_suffix('s').unwrap_or(plural).to_owned()
}

/// A scalar as the text dockerd's string maps hold.
fn as_text(v: &J) -> String {
    match v {
        J::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Numbers compared by value (json5 reads `5.` as 5.0, the repair writes 5).
fn same_value(a: &J, b: &J) -> bool {
    match (a, b) {
        (J::Number(x), J::Number(y)) => x.as_f64() == y.as_f64(),
        (J::Array(x), J::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same_value(a, b))
        }
        (J::Object(x), J::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| same_value(v, w)))
        }
        _ => a == b,
    }
}

/// Assert the output keeps every setting json5 finds in the input, key by key. Returns whether
/// json5 could read the input.
fn assert_settings_kept(case: &str, input: &str, output: &str) -> bool {
    let Some(pairs) = json5_pairs(input) else {
        return false;
    };
    let want = expected_settings(pairs);
    let got = match parse(output).map(|d| d.root.to_serde()) {
        Ok(J::Object(o)) => o,
        other => panic!("{case}: output is not an object: {other:?}"),
    };
    for (k, v) in &want {
        let g = got.get(k);
        assert!(
            g.is_some_and(|g| same_value(v, g)),
            "{case}: setting {k:?}: input (after the documented changes) {v}, output {g:?}"
        );
    }
    for k in got.keys() {
        assert!(
            want.contains_key(k),
            "{case}: output has {k:?} the input had not"
        );
    }
    true
}

/// Fixtures where the repair deliberately reads the input differently from json5, and why.
const NOT_AS_JSON5: &[(&str, &str)] = &[(
    "windows-backslashes",
    "json5 drops the backslash of `\\d` (D:docker); a lone backslash before a letter is a Windows path, so fix doubles it",
)];

#[test]
fn fixtures() {
    let bless = std::env::var_os("FIX_BLESS").is_some();
    let dir = fixture_dir();
    let cases = fixture_inputs();
    assert!(cases.len() >= 40, "only {} fixtures", cases.len());
    let mut failures = Vec::new();
    let (mut oracle, mut unrepaired) = (Vec::new(), Vec::new());
    for (case, bytes) in &cases {
        let r = repair(bytes);
        let out_path = dir.join(format!("{case}.out.json"));
        let notes_path = dir.join(format!("{case}.notes"));
        if bless {
            std::fs::write(&out_path, &r.text).unwrap();
            std::fs::write(&notes_path, notes_of(&r)).unwrap();
        }
        let want = std::fs::read_to_string(&out_path).unwrap_or_default();
        if r.text != want {
            failures.push(format!(
                "{case}: output differs\n--- want\n{want}\n--- got\n{}",
                r.text
            ));
            continue;
        }
        if let Ok(notes) = std::fs::read_to_string(&notes_path)
            && notes != notes_of(&r)
        {
            failures.push(format!(
                "{case}: notes differ\n--- want\n{notes}--- got\n{}",
                notes_of(&r)
            ));
        }
        let expect_unrepaired = case.starts_with("unrepaired-");
        if expect_unrepaired {
            unrepaired.push(case.clone());
            if r.unrepaired.iter().all(|d| d.severity != Severity::Error) {
                failures.push(format!("{case}: expected an unrepaired error"));
            }
        } else if !r.parses || parse(&r.text).is_err() {
            failures.push(format!("{case}: output is not strict JSON"));
            continue;
        }
        let input = decode(bytes).map(|d| d.text).unwrap_or_default();
        let json5_differs = NOT_AS_JSON5.iter().any(|(c, _)| c == case);
        if r.parses && !json5_differs && assert_settings_kept(case, &input, &r.text) {
            oracle.push(case.clone());
        }
        let again = repair(r.text.as_bytes());
        if again.text != r.text || !again.changes.is_empty() {
            failures.push(format!(
                "{case}: not idempotent; second pass:\n{}{}",
                notes_of(&again),
                again.text
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    eprintln!(
        "{} fixtures; settings checked against json5 for {}; left unrepaired on purpose: {}",
        cases.len(),
        oracle.len(),
        unrepaired.join(", ")
    );
}

// ---- one table per repair kind ----------------------------------------------------------------

/// (input, exact output, the changes as (line, column, message fragment) in file order)
type Kind = (
    &'static str,
    &'static str,
    &'static [(usize, usize, &'static str)],
);

fn check_kinds(table: &[Kind]) {
    let mut failures = Vec::new();
    for (input, want, notes) in table {
        let r = repair(input.as_bytes());
        let got: Vec<(usize, usize, String)> = r
            .changes
            .iter()
            .map(|d| {
                let p = d.pos.map_or((0, 0), |p| (p.line, p.col));
                (p.0, p.1, d.message.clone())
            })
            .collect();
        let notes_match = got.len() == notes.len()
            && got
                .iter()
                .zip(notes.iter())
                .all(|(g, w)| g.0 == w.0 && g.1 == w.1 && g.2.contains(w.2));
        if r.text != *want
            || !notes_match
            || !r.parses
            || r.unrepaired.iter().any(|d| d.code == "syntax")
        {
            failures.push(format!(
                "{input:?}\n  want {want:?} {notes:?}\n  got  {:?} {got:?} unrepaired {:?}",
                r.text,
                r.unrepaired.iter().map(show).collect::<Vec<_>>()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn comments_go_with_their_line_or_the_spaces_before_them() {
    check_kinds(&[
        (
            "{\n  // c\n  \"a\": 1\n}\n",
            "{\n  \"a\": 1\n}\n",
            &[(2, 3, "removed the comment `// c`")],
        ),
        (
            "{\n  \"a\": 1 // c\n}",
            "{\n  \"a\": 1\n}",
            &[(2, 10, "`// c`")],
        ),
        ("{\"a\": 1}\t# end", "{\"a\": 1}", &[(1, 10, "`# end`")]),
        ("# top\n{}", "{}", &[(1, 1, "`# top`")]),
        ("{}\n// last line", "{}\n", &[(2, 1, "`// last line`")]),
        (
            "{\n  /* a */ \"a\": 1\n}",
            "{\n  \"a\": 1\n}",
            &[(2, 3, "`/* a */`")],
        ),
        ("{\"a\": /* x */ 1}", "{\"a\": 1}", &[(1, 7, "`/* x */`")]),
        (
            "{\n  /*\n   many\n  */\n  \"a\": 1\n}",
            "{\n  \"a\": 1\n}",
            &[(2, 3, "`/* many */`")],
        ),
        (
            "{\"a\": \"#x//y/*z*/\"} # c",
            "{\"a\": \"#x//y/*z*/\"}",
            &[(1, 21, "`# c`")],
        ),
        (
            "{\n  /* a */ /* b */\n  \"a\": 1\n}",
            "{\n  \"a\": 1\n}",
            &[(2, 3, "`/* a */`"), (2, 11, "`/* b */`")],
        ),
        (
            "{\"a\": 1, // c\n\"b\": 2}",
            "{\"a\": 1,\n\"b\": 2}",
            &[(1, 10, "`// c`")],
        ),
        (
            "{\r\n  # c\r\n  \"a\": 1\r\n}\r\n",
            "{\r\n  \"a\": 1\r\n}\r\n",
            &[(2, 3, "`# c`")],
        ),
        // An indentation of odd spaces goes with the comment's line, without a note of its own.
        (
            "{\n\u{3000}\u{3000}// c\n\"a\": 1}",
            "{\n\"a\": 1}",
            &[(2, 3, "`// c`")],
        ),
    ]);
}

#[test]
fn commas_missing_or_extra() {
    check_kinds(&[
        (
            "{\"a\": 1,}",
            "{\"a\": 1}",
            &[(1, 8, "trailing comma before `}`")],
        ),
        ("[1, 2 ,]", "[1, 2]", &[(1, 7, "trailing comma before `]`")]),
        (
            "{\n  \"a\": [\n    1,\n  ],\n}\n",
            "{\n  \"a\": [\n    1\n  ]\n}\n",
            &[(3, 6, "before `]`"), (4, 4, "before `}`")],
        ),
        (
            "{\n  \"a\": 1\n  ,\n}",
            "{\n  \"a\": 1\n}",
            &[(3, 3, "trailing comma")],
        ),
        (
            "{\"a\": 1,, \"b\": 2}",
            "{\"a\": 1, \"b\": 2}",
            &[(1, 9, "extra comma")],
        ),
        (
            "{\n  \"a\": 1\n  \"b\": 2\n}",
            "{\n  \"a\": 1,\n  \"b\": 2\n}",
            &[(2, 9, "missing comma between two members")],
        ),
        (
            "{\"a\": {\"x\": 1} \"b\": [] \"c\": 3}",
            "{\"a\": {\"x\": 1}, \"b\": [], \"c\": 3}",
            &[(1, 15, "members"), (1, 23, "members")],
        ),
        (
            "[\n  \"x\"\n  \"y\"\n]",
            "[\n  \"x\",\n  \"y\"\n]",
            &[(2, 6, "between two list items")],
        ),
        (
            "[\n  {\"a\": 1}\n  {\"b\": 2}\n]",
            "[\n  {\"a\": 1},\n  {\"b\": 2}\n]",
            &[(2, 11, "list items")],
        ),
        (
            "{\"a\": 1 // c\n \"b\": 2}",
            "{\"a\": 1,\n \"b\": 2}",
            &[(1, 8, "missing comma"), (1, 9, "`// c`")],
        ),
        (
            "{\"a\": 1， \"b\": 2}",
            "{\"a\": 1, \"b\": 2}",
            &[(1, 8, "full-width comma")],
        ),
    ]);
}

#[test]
fn quotes_keys_and_bare_text() {
    check_kinds(&[
        (
            "{'a': 'x'}",
            "{\"a\": \"x\"}",
            &[(1, 2, "single quotes"), (1, 7, "single quotes")],
        ),
        (
            "{\"a\": 'say \"hi\"'}",
            "{\"a\": \"say \\\"hi\\\"\"}",
            &[(1, 7, "single quotes")],
        ),
        (
            "{\"a\": 'it\\'s'}",
            "{\"a\": \"it's\"}",
            &[(1, 7, "single quotes"), (1, 10, "`\\'`")],
        ),
        (
            "{“a”: “x”}",
            "{\"a\": \"x\"}",
            &[(1, 2, "“…”"), (1, 7, "“…”")],
        ),
        (
            "{‘a’: ‘x’}",
            "{\"a\": \"x\"}",
            &[(1, 2, "‘…’"), (1, 7, "‘…’")],
        ),
        (
            "{„a“: «x»}",
            "{\"a\": \"x\"}",
            &[(1, 2, "„…“"), (1, 7, "«…»")],
        ),
        ("{“a\": 1}", "{\"a\": 1}", &[(1, 2, "“…")]),
        (
            "{\"a\": [\"x”,\n\"y\"]}",
            "{\"a\": [\"x\",\n\"y\"]}",
            &[(1, 10, "curly quote ” that ends")],
        ),
        (
            "{\"a\": \"x“  # c\n}",
            "{\"a\": \"x\"\n}",
            &[(1, 9, "curly quote “"), (1, 12, "`# c`")],
        ),
        (
            "{debug: true}",
            "{\"debug\": true}",
            &[(1, 2, "key `debug`")],
        ),
        (
            "{log-driver : \"x\", $a_1: 2}",
            "{\"log-driver\" : \"x\", \"$a_1\": 2}",
            &[(1, 2, "`log-driver`"), (1, 20, "`$a_1`")],
        ),
        ("{名前: 1}", "{\"名前\": 1}", &[(1, 2, "`名前`")]),
        (
            "{a：1}",
            "{\"a\":1}",
            &[(1, 2, "key `a`"), (1, 3, "full-width colon")],
        ),
        (
            "{\"a\": [h:5000, 10.0.0.1:80]}",
            "{\"a\": [\"h:5000\", \"10.0.0.1:80\"]}",
            &[(1, 8, "`h:5000`"), (1, 16, "`10.0.0.1:80`")],
        ),
        (
            "{\"m\": [https://x.io//p], \"h\": unix:///r.sock}",
            "{\"m\": [\"https://x.io//p\"], \"h\": \"unix:///r.sock\"}",
            &[(1, 8, "`https://x.io//p`"), (1, 31, "`unix:///r.sock`")],
        ),
        (
            "{\"a\": C:\\data}",
            "{\"a\": \"C:\\\\data\"}",
            &[(1, 7, "`C:\\data`")],
        ),
        (
            "{\"a\": 10m, \"b\": 1.2.3, \"c\": 15s}",
            "{\"a\": \"10m\", \"b\": \"1.2.3\", \"c\": \"15s\"}",
            &[(1, 7, "`10m`"), (1, 17, "`1.2.3`"), (1, 29, "`15s`")],
        ),
        (
            "[https://a.io // mirror\n]",
            "[\"https://a.io\"\n]",
            &[(1, 2, "`https://a.io`"), (1, 15, "`// mirror`")],
        ),
    ]);
}

#[test]
fn odd_spaces_become_plain() {
    check_kinds(&[
        (
            "{\u{3000}\"a\": 1}",
            "{ \"a\": 1}",
            &[(1, 2, "U+3000 (full-width space) with an ordinary space")],
        ),
        (
            "{\"a\":\u{a0}\u{a0}1}",
            "{\"a\":  1}",
            &[(1, 6, "2 × U+00A0 (no-break space)")],
        ),
        (
            "{\"a\": 1,\u{200b}\"b\": 2}",
            "{\"a\": 1,\"b\": 2}",
            &[(1, 9, "removed the invisible character U+200B")],
        ),
        (
            "{\"a\": 1\u{feff}}",
            "{\"a\": 1}",
            &[(1, 8, "U+FEFF (byte order mark)")],
        ),
        ("{\u{b}\"a\": 1}", "{ \"a\": 1}", &[(1, 2, "vertical tab")]),
        (
            "{\"a\":\u{3000} \u{a0}1}",
            "{\"a\":   1}",
            &[(
                1,
                6,
                "2 invisible or non-ASCII spaces, the first U+3000 (full-width space)",
            )],
        ),
        (
            "{\n\u{200b}\n\"a\": 1}",
            "{\n\"a\": 1}",
            &[(2, 1, "U+200B")],
        ),
        // Inside strings they are data.
        ("{\"a\": \"x\u{3000}y\"} ", "{\"a\": \"x\u{3000}y\"} ", &[]),
    ]);
}

#[test]
fn cut_off_files_are_closed() {
    check_kinds(&[
        ("{", "{}", &[(1, 2, "added the missing `}` at the end")]),
        ("[", "[]", &[(1, 2, "`]`")]),
        ("{\"a\": [", "{\"a\": []}", &[(1, 8, "`]}`")]),
        (
            "{\"a\": 1,",
            "{\"a\": 1}",
            &[(1, 8, "trailing comma"), (1, 9, "`}`")],
        ),
        (
            "{\"a\": [1,",
            "{\"a\": [1]}",
            &[(1, 9, "trailing comma"), (1, 10, "`]}`")],
        ),
        (
            "{\n  \"a\": {\n    \"b\": [\n      \"x\"\n",
            "{\n  \"a\": {\n    \"b\": [\n      \"x\"\n    ]\n  }\n}\n",
            &[(4, 10, "`]}}`")],
        ),
        (
            "{\n\t\"a\": [\n\t\t1",
            "{\n\t\"a\": [\n\t\t1\n\t]\n}",
            &[(
                3,
                4,
                "(not closed: the list opened at line 2, column 7, the object opened at line 1, column 1)",
            )],
        ),
        ("{\"a\": [\n  1", "{\"a\": [\n  1\n]\n}", &[(2, 4, "`]}`")]),
        (
            "{\r\n  \"a\": 1\r\n",
            "{\r\n  \"a\": 1\r\n}\r\n",
            &[(2, 9, "`}`")],
        ),
        (
            "{\"a\": 1 // cut",
            "{\"a\": 1}",
            &[(1, 8, "`}`"), (1, 9, "`// cut`")],
        ),
        (
            "{\"a\": 1}\0\0\0",
            "{\"a\": 1}",
            &[(1, 9, "removed 3 NUL bytes")],
        ),
    ]);
}

#[test]
fn snippets_without_braces_and_empty_files() {
    check_kinds(&[
        ("\"a\": 1", "{\"a\": 1}", &[(1, 1, "added the braces")]),
        (
            "debug: true,",
            "{\"debug\": true}",
            &[
                (1, 1, "added the braces"),
                (1, 1, "key `debug`"),
                (1, 12, "trailing comma"),
            ],
        ),
        (
            "  \"a\": 1,\n  \"b\": 2\n",
            "{\n  \"a\": 1,\n  \"b\": 2\n}\n",
            &[(1, 3, "added the braces")],
        ),
        (
            "\"a\": 1\n}",
            "{\n\"a\": 1\n}",
            &[(1, 1, "added the braces")],
        ),
        ("", "{}\n", &[(1, 1, "no settings")]),
        (" \r\n\r\n", "{}\r\n", &[(1, 1, "no settings")]),
        (
            "/* nothing */",
            "{}\n",
            &[(1, 1, "only comments, no settings")],
        ),
        ("// a\n# b\n", "{}\n", &[(1, 1, "only comments")]),
    ]);
}

#[test]
fn literals_numbers_and_escapes() {
    check_kinds(&[
        (
            "[True, False, None, NULL, nil, undefined, TRUE]",
            "[true, false, null, null, null, null, true]",
            &[
                (1, 2, "`True` as true"),
                (1, 8, "`False` as false"),
                (1, 15, "`None` as null"),
                (1, 21, "`NULL` as null"),
                (1, 27, "`nil` as null"),
                (1, 32, "`undefined` as null"),
                (1, 43, "`TRUE` as true"),
            ],
        ),
        (
            "[+1, .5, 5., -.5, 0x1F, -0x10, 5.e3, +0]",
            "[1, 0.5, 5, -0.5, 31, -16, 5e3, 0]",
            &[
                (1, 2, "`+1` as 1"),
                (1, 6, "`.5` as 0.5"),
                (1, 10, "`5.` as 5"),
                (1, 14, "`-.5` as -0.5"),
                (1, 19, "`0x1F` as 31"),
                (1, 25, "`-0x10` as -16"),
                (1, 32, "`5.e3` as 5e3"),
                (1, 38, "`+0` as 0"),
            ],
        ),
        (
            "[\"\\x41\\v\\0\"]",
            "[\"\\u0041\\u000b\\u0000\"]",
            &[(1, 3, "`\\x41` as `\\u0041`")],
        ),
        (
            "[\"D:\\docker\", \"\\u12G4\", \"\\q\"]",
            "[\"D:\\\\docker\", \"\\\\u12G4\", \"\\\\q\"]",
            &[
                (1, 5, "backslash before `d`"),
                (1, 16, "backslash before `u`"),
                (1, 26, "backslash before `q`"),
            ],
        ),
        (
            "[\"a\\\nb\", \"c\\\r\nd\"]",
            "[\"ab\", \"cd\"]",
            &[(1, 4, "continued on the next line"), (2, 7, "continued")],
        ),
        (
            "[\"a\tb\\t\", \"\u{1f}\"]",
            "[\"a\\tb\\t\", \"\\u001f\"]",
            &[(1, 4, "tab character"), (1, 12, "U+001F")],
        ),
        // Valid escapes stay as written.
        (
            "[\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\"]",
            "[\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\"]",
            &[],
        ),
    ]);
}

#[test]
fn encodings_become_utf8() {
    let text = "{\"a\": \"é\"}\n";
    let utf16 = |be: bool| -> Vec<u8> {
        text.encode_utf16()
            .flat_map(|u| if be { u.to_be_bytes() } else { u.to_le_bytes() })
            .collect()
    };
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (
            [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat(),
            "removed the UTF-8 byte order mark",
        ),
        (
            encode(text, Encoding::Utf16Le),
            "converted the file from UTF-16LE to UTF-8",
        ),
        (
            encode(text, Encoding::Utf16Be),
            "converted the file from UTF-16BE to UTF-8",
        ),
        (utf16(false), "from UTF-16LE (without a byte order mark)"),
        (utf16(true), "from UTF-16BE (without a byte order mark)"),
    ];
    for (bytes, msg) in cases {
        let r = repair(&bytes);
        assert_eq!(r.text, text, "{msg}");
        assert_eq!(r.changes.len(), 1);
        assert!(
            r.changes[0].message.contains(msg),
            "{}",
            r.changes[0].message
        );
        assert_eq!(r.changes[0].pos, None);
        assert!(r.parses);
    }
    // Invalid UTF-8 is not guessed at: reported, and the text is only a lossy view.
    let r = repair(b"{\"a\": \"caf\xE9\"}");
    assert!(!r.parses && r.changes.is_empty());
    assert_eq!(r.unrepaired[0].code, "encoding");
}

/// (input, line, column, message fragment) of the one syntax error left.
const UNREPAIRED: &[(&str, usize, usize, &str)] = &[
    (
        "{\"a\": [\"x\" \"y\"]}",
        1,
        12,
        "missing comma between two list items on one line",
    ),
    (
        "{\"a\": [\"x\"\"y\"]}",
        1,
        11,
        "missing comma between two list items",
    ),
    (
        "{\"a\": [1}",
        1,
        9,
        "`}` cannot close the list opened at line 1, column 7",
    ),
    ("{\"a\": 1]", 1, 8, "`]` cannot close the object"),
    ("{\"a\": 1}}", 1, 9, "unexpected text after the end"),
    ("{\"a\": 1}\n{\"b\": 2}", 2, 1, "a second object"),
    ("{\"a\": yes}", 1, 7, "`yes` is not a JSON value"),
    ("{\"a\": -Infinity}", 1, 7, "`-Infinity` is not allowed"),
    ("{\"a\": 0755}", 1, 7, "numbers cannot start with 0"),
    ("{\"a\" = 1}", 1, 6, "expected `:` after the key \"a\""),
    ("{\"a\": }", 1, 7, "the value of \"a\" is missing"),
    ("{\"a\": , \"b\": 1}", 1, 7, "the value of \"a\" is missing"),
    ("{,}", 1, 2, "expected a key in double quotes, found `,`"),
    ("[1,,2]", 1, 4, "two commas in a row"),
    ("[,1]", 1, 2, "a value is missing before `,`"),
    ("{\"a\": \"x\ny\"}", 1, 7, "not closed on its line"),
    ("{\"a\": 'x\n}", 1, 7, "not closed on its line"),
    ("{\"a\": \"abc", 1, 7, "the file ends inside the string"),
    ("{\"a\": 1 /* x", 1, 9, "never closed with */"),
    ("{\"a\":", 1, 6, "the file ends before the value of \"a\""),
    ("{\"a\"", 1, 5, "the file ends after the key \"a\""),
    (
        "{\"a\": 1 \"b\"}",
        1,
        9,
        "expected `,` or `}` after the value",
    ),
    ("{\"a\": [1 : 2]}", 1, 10, "a list holds only values"),
    ("{\"a\": \u{7}}", 1, 7, "control character U+0007"),
    ("{\"a\": 1}\u{7}", 1, 9, "unexpected text"),
    (
        "{\"a\": hello world}",
        1,
        13,
        "expected `,` or `}` after the value",
    ),
    ("]", 1, 1, "unexpected `]`"),
];

#[test]
fn what_has_no_single_reading_is_left_and_reported() {
    let mut failures = Vec::new();
    for (input, line, col, frag) in UNREPAIRED {
        let r = repair(input.as_bytes());
        let syntax: Vec<&Diagnostic> = r.unrepaired.iter().filter(|d| d.code == "syntax").collect();
        let ok = !r.parses
            && syntax.len() == 1
            && syntax[0]
                .pos
                .is_some_and(|p| (p.line, p.col) == (*line, *col))
            && syntax[0].message.contains(frag);
        if !ok {
            failures.push(format!(
                "{input:?}: want {line}:{col} {frag:?}; got {:?}",
                r.unrepaired.iter().map(show).collect::<Vec<_>>()
            ));
        }
        // Repairs before the mistake still apply; the rest is kept as it was.
        let again = repair(r.text.as_bytes());
        if again.text != r.text {
            failures.push(format!(
                "{input:?}: not stable: {:?} -> {:?}",
                r.text, again.text
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_blog_post_case_comes_back_valid_with_the_entry_kept() {
    let r = repair(b"{\"insecure-registries\":[\"127.0.0.1:30001\"]  # server ip and port\n}");
    assert_eq!(r.text, "{\"insecure-registries\":[\"127.0.0.1:30001\"]\n}");
    assert!(r.parses && r.unrepaired.is_empty());
    assert_eq!(
        show(&r.changes[0]),
        "1:45: note: removed the comment `# server ip and port`"
    );
}

// ---- properties ---------------------------------------------------------------------------------

/// A small deterministic random source (xorshift), so the properties need no extra crate.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[self.below(from.len())]
    }
}

/// Space and comments between tokens, as JSON5 allows them.
fn gap(r: &mut Rng) -> String {
    let mut s = String::new();
    for _ in 0..r.below(3) {
        s.push_str(r.pick(&[
            " ",
            "\n  ",
            "\t",
            "\u{a0}",
            "\u{3000}",
            "\u{feff}",
            "\u{2028}",
            "\r\n",
            " // c #1\n",
            "/* c, ] } */",
            " /*\n * c\n */\n",
        ]));
    }
    s
}

/// A JSON5 string: single or double quotes, JSON5 escapes, text that looks like syntax.
fn json5_string(r: &mut Rng) -> String {
    let q = if r.below(2) == 0 { '"' } else { '\'' };
    let mut s = String::from(q);
    for _ in 0..r.below(6) {
        s.push_str(r.pick(&[
            "a", "#", "//", "/*", "*/", ",", "]", "}", ":", "é", "“", "\u{3000}", "\\n", "\\\\",
            "\\u00e9", "\\x41", "\\v", "\\0", "\\\n", "\\/", "\t",
        ]));
        s.push_str(if q == '"' {
            r.pick(&["'", "\\\"", "x"])
        } else {
            r.pick(&["\"", "\\'", "x"])
        });
    }
    s.push(q);
    s
}

/// A random JSON5 value, at most `depth` deep.
fn json5_value(r: &mut Rng, depth: usize) -> String {
    let n = if depth == 0 { r.below(3) } else { r.below(5) };
    match n {
        0 => json5_string(r),
        1 => r
            .pick(&[
                "1", "-2.5e3", "+7", ".5", "5.", "-.25", "0x1F", "-0XaB", "0", "true", "false",
                "null", "1E+2",
            ])
            .to_owned(),
        2 => r.pick(&["[]", "{}", "[ ]", "{\n}"]).to_owned(),
        3 => {
            let mut s = String::from("[");
            let k = r.below(4);
            for i in 0..k {
                s.push_str(&gap(r));
                s.push_str(&json5_value(r, depth - 1));
                s.push_str(&gap(r));
                if i + 1 < k || r.below(2) == 0 {
                    s.push(',');
                }
            }
            s.push_str(&gap(r));
            s.push(']');
            s
        }
        _ => json5_object(r, depth - 1),
    }
}

fn json5_object(r: &mut Rng, depth: usize) -> String {
    let mut s = String::from("{");
    let k = r.below(4);
    for i in 0..k {
        s.push_str(&gap(r));
        let key = format!("k{i}_{}", r.below(100));
        match r.below(3) {
            0 => s.push_str(&key),
            1 => s.push_str(&format!("'{key}'")),
            _ => s.push_str(&format!("\"{key}\"")),
        }
        s.push_str(&gap(r));
        s.push(':');
        s.push_str(&gap(r));
        s.push_str(&json5_value(r, depth));
        s.push_str(&gap(r));
        if i + 1 < k || r.below(2) == 0 {
            s.push(',');
        }
    }
    s.push_str(&gap(r));
    s.push('}');
    s
}

#[test]
fn whatever_json5_reads_comes_back_strict_json_with_the_same_value() {
    let mut r = Rng(0x9E37_79B9_7F4A_7C15);
    let mut read = 0;
    for _ in 0..1000 {
        // Mostly objects, as daemon.json holds; sometimes any JSON5 value at the root.
        let root = if r.below(10) == 0 {
            json5_value(&mut r, 2)
        } else {
            json5_object(&mut r, 3)
        };
        let text = format!("{}{root}{}", gap(&mut r), gap(&mut r));
        let Ok(want) = json5::from_str::<J>(&text) else {
            continue;
        };
        read += 1;
        let rep = repair(text.as_bytes());
        let got = parse(&rep.text)
            .unwrap_or_else(|d| panic!("{text:?}\n-> {:?}\n{}", rep.text, d.message))
            .root
            .to_serde();
        assert!(same_value(&want, &got), "{text:?}\n-> {:?}", rep.text);
        let again = repair(rep.text.as_bytes());
        assert_eq!(again.text, rep.text, "not idempotent: {text:?}");
        assert!(again.changes.is_empty(), "{text:?}: {:?}", again.changes);
    }
    assert!(read > 900, "the generator made only {read} readable files");
}

/// Variants of `text`: cut at every character, one character removed (every second place),
/// a troublesome character put in (every third place, taking turns).
fn damaged(text: &str) -> Vec<String> {
    let bounds: Vec<usize> = text
        .char_indices()
        .map(|(i, _)| i)
        .chain([text.len()])
        .collect();
    let mut out = Vec::new();
    for (n, &i) in bounds.iter().enumerate() {
        out.push(text[..i].to_owned());
        if let (Some(&next), 0) = (bounds.get(n + 1), n % 2) {
            out.push(format!("{}{}", &text[..i], &text[next..]));
        }
        let inserts = [
            "\"", "{", "]", ",", "#", "\\", "\n", "\u{3000}", "“", "'", "/*", "\0",
        ];
        if n % 3 == 0 {
            let ins = inserts[(n / 3) % inserts.len()];
            out.push(format!("{}{ins}{}", &text[..i], &text[i..]));
        }
    }
    out
}

#[test]
fn damaged_fixtures_never_panic_and_what_parses_is_stable() {
    let mut failures = Vec::new();
    let mut total = 0;
    for (case, bytes) in fixture_inputs() {
        let Ok(d) = decode(&bytes) else { continue };
        for text in damaged(&d.text) {
            total += 1;
            let r = repair(text.as_bytes());
            if r.parses {
                let again = repair(r.text.as_bytes());
                if again.text != r.text || !again.changes.is_empty() {
                    failures.push(format!(
                        "{case}: {text:?}\n  -> {:?}\n  -> {:?} {:?}",
                        r.text,
                        again.text,
                        again.changes.iter().map(show).collect::<Vec<_>>()
                    ));
                }
            } else if r.unrepaired.is_empty() {
                failures.push(format!("{case}: {text:?}: not JSON, and nothing reported"));
            }
        }
    }
    failures.truncate(20);
    assert!(
        failures.is_empty(),
        "{total} variants\n{}",
        failures.join("\n")
    );
}

#[test]
fn raw_bytes_never_panic() {
    let mut r = Rng(42);
    let alphabet: &[u8] = b"{}[]:,\"'#/*\\ \n\r\t0x.-+etrufalsn\0\xEF\xBB\xBF\xFF\xFE\xE3\x80\x80";
    for _ in 0..5000 {
        let bytes: Vec<u8> = (0..r.below(40))
            .map(|_| alphabet[r.below(alphabet.len())])
            .collect();
        let rep = repair(&bytes);
        assert_eq!(rep.parses, parse(&rep.text).is_ok(), "{bytes:?}");
    }
}

// ---- limits -------------------------------------------------------------------------------------

/// Run `f` on a thread with a 2 MB stack (the default for spawned threads) to prove no
/// recursion grows with the input.
fn small_stack(f: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap();
}

#[test]
fn deep_nesting_is_closed_or_refused_without_recursion() {
    small_stack(|| {
        // Cut off at the deepest level dockerd accepts: closed on the same line.
        let r = repair("[".repeat(MAX_DEPTH).as_bytes());
        assert!(r.parses, "{:?}", r.unrepaired);
        assert_eq!(r.text.len(), 2 * MAX_DEPTH);
        // One deeper: refused, as dockerd refuses it.
        let r = repair("[".repeat(MAX_DEPTH + 1).as_bytes());
        assert!(!r.parses);
        assert!(
            r.unrepaired[0]
                .message
                .contains("nesting deeper than 10000")
        );
        let r = repair("{\"a\":".repeat(50_000).as_bytes());
        assert!(!r.parses);
        // A deep file with a comment in each level, one level per line.
        let mut s = String::new();
        for i in 0..3000 {
            s.push_str(&format!("{}{{\"k\": [ // {i}\n", " ".repeat(i % 8)));
        }
        let r = repair(s.as_bytes());
        assert!(r.parses, "{:?}", r.unrepaired.first());
        assert_eq!(r.changes.len(), 3001);
    });
}

/// About `bytes` of a realistic damaged file: comments, trailing commas, single quotes.
fn big_damaged(bytes: usize) -> String {
    let chunk = "  {'registry': \"registry-0001.example.com:5000\", # a comment\n   \"n\": [1.5e3, -2, True, None, {\"x\": {}},], /* block */ \"s\": 'it\\'s'},\n";
    let mut s = String::from("{\"big\": [\n");
    while s.len() < bytes {
        s.push_str(chunk);
    }
    s.push_str("  {}\n],\n\"registry-mirror\": \"mirror.gcr.io\",\n");
    s
}

#[test]
fn time_grows_linearly_up_to_10_mb() {
    let time = |text: &str| {
        let start = std::time::Instant::now();
        let r = repair(text.as_bytes());
        assert!(r.parses, "{:?}", r.unrepaired.first());
        (start.elapsed(), r)
    };
    // Debug builds are about 8 times slower: the ratio is checked on a quarter of the sizes.
    let (small, big) = if cfg!(debug_assertions) {
        (1 << 18, 5 << 19)
    } else {
        (1 << 20, 10 << 20)
    };
    let (small, big) = (big_damaged(small), big_damaged(big));
    // The fastest of three runs: a busy machine only ever adds time.
    let t1 = (0..3).map(|_| time(&small).0).min().unwrap_or_default();
    let (mut t10, r) = time(&big);
    for _ in 0..2 {
        t10 = t10.min(time(&big).0);
    }
    assert!(
        r.text
            .contains("\"registry-mirrors\": [\"https://mirror.gcr.io\"]")
    );
    assert!(
        r.text.ends_with("]\n}\n"),
        "{:?}",
        &r.text[r.text.len() - 60..]
    );
    // Linear is ~10x; a quadratic step would be ~100x.
    assert!(
        t10 < t1 * 30 + std::time::Duration::from_millis(500),
        "small {t1:?}, big {t10:?}"
    );

    // 10 MB with little to repair: a comment on top and a trailing comma at the end.
    let mut ten = String::from("# daemon.json\n{\"big\": [\n");
    while ten.len() < 10 << 20 {
        ten.push_str("  {\"registry\": \"registry-0001.example.com:5000\", \"n\": [1.5e3, -2, true, null]},\n");
    }
    ten.push_str("  {}\n],}\n");
    let (_, r) = time(&ten);
    assert_eq!(r.changes.len(), 2);
    assert_eq!(r.text.len(), ten.len() - "# daemon.json\n".len() - 1);

    // One line holding many members, each with a comment: positions and line lookups must
    // not rescan the line.
    let mut line = String::from("{");
    let mut i = 0;
    while line.len() < 1 << 19 {
        line.push_str(&format!("\"k{i}\": 1, /* c */ "));
        i += 1;
    }
    line.push_str("\"debug\": true,}");
    let (t, r) = time(&line);
    assert_eq!(r.changes.len(), i + 1);
    // The unknown keys: 100 one by one, then one line for the rest.
    assert_eq!(r.unrepaired.len(), 101);
    assert!(t < t10 * 2 + std::time::Duration::from_secs(2), "{t:?}");
}

/// Issue 3's promise over the validation fixtures: every fixtures/validate case that dockerd
/// (26.1's rules) refuses and that `fix` can repair comes back valid, keeping every setting
/// (checked key by key against json5's reading of the input, where json5 can read it).
#[test]
fn validate_fixtures_that_fix_repairs_come_back_valid_with_their_settings() {
    use crate::validate::{Options, Platform, validate};
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/validate");
    let opts = Options::new(crate::version::EngineVersion::new(26, 1), Platform::Linux);
    let (mut repaired, mut kept_checked, mut left) = (Vec::new(), 0, Vec::new());
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    names.sort();
    for path in names {
        let case = path.file_stem().unwrap().to_string_lossy().into_owned();
        let header = std::fs::read_to_string(path.with_extension("expected")).unwrap_or_default();
        if header.lines().any(|l| l.starts_with("# flags:")) {
            continue; // a conflict with the unit's flags is not in the file: nothing to repair
        }
        let bytes = std::fs::read(&path).unwrap();
        if !validate(&bytes, &opts, &[]).has_errors() {
            continue;
        }
        let r = repair(&bytes);
        if !r.parses || validate(r.text.as_bytes(), &opts, &[]).has_errors() {
            left.push(case);
            continue;
        }
        let input = decode(&bytes).map(|d| d.text).unwrap_or_default();
        if !NOT_AS_JSON5.iter().any(|(c, _)| *c == case)
            && assert_settings_kept(&case, &input, &r.text)
        {
            kept_checked += 1;
        }
        repaired.push(case);
    }
    eprintln!(
        "validate fixtures: {} refused ones repaired to valid ({} with every setting checked \
         against json5); {} not repairable: {}",
        repaired.len(),
        kept_checked,
        left.len(),
        left.join(", ")
    );
    assert!(repaired.len() >= 20, "repaired only {repaired:?}");
}

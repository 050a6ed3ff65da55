//! Tests of the whole repair: the fixtures in fixtures/fix/ (exact output, strict JSON, every
//! setting kept, idempotence), one table per repair kind with positions, properties against
//! json5 as an oracle, and the limits (damaged input, size, depth).
//!
//! `FIX_BLESS=1 cargo test --lib repair::tests::fixtures` rewrites the expected files of the
//! fixtures from the current output (then review them with `git diff`).

use super::*;
use crate::daemon_json::parse;
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

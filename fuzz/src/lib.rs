//! The invariants the fuzz targets check, in one place so that `tests/fuzz_regressions.rs`
//! replays every committed corpus file through exactly the same checks in a plain `cargo test`.
//!
//! Each `check_*` function takes the fuzzer's raw bytes and panics (a crash for the fuzzer, a
//! failed test for the replay) when dockcfg breaks a promise; anything else it returns quietly.
//!
//! Input format, so that corpus files stay readable: the first byte picks options (which list,
//! which engine version, whether the file exists); the rest is split on the byte 0x1E (ASCII
//! "record separator"): the first part is the file's bytes, the others are the entries of the
//! list to write.

use std::collections::BTreeMap;

use dockcfg::daemon_json::{self, Kind};
use dockcfg::diag::{Diagnostic, Severity};
use dockcfg::edit::{self, FileKind};
use dockcfg::opts_file::{self, RegistryFlag};
use dockcfg::registry;
use dockcfg::settings::RegistryKey;
use dockcfg::validate::{self, Options, Platform};
use dockcfg::version::EngineVersion;

/// Separates the file from the entries, and the entries from each other.
pub const SEP: u8 = 0x1E;

/// The engine versions whose rules the targets cycle through (every version where a registry
/// rule changes, and the newest).
pub const ENGINES: [EngineVersion; 8] = [
    EngineVersion::new(20, 10),
    EngineVersion::new(23, 0),
    EngineVersion::new(24, 0),
    EngineVersion::new(25, 0),
    EngineVersion::new(26, 1),
    EngineVersion::new(28, 3),
    EngineVersion::new(29, 0),
    EngineVersion::NEWEST,
];

/// The codes of the diagnostics about registry entries.
const REGISTRY_CODES: [&str; 4] = [
    "insecure-registry",
    "registry-mirror",
    "http-mirror",
    "duplicate-entry",
];

/// One fuzz input, split.
#[derive(Debug)]
pub struct Input<'a> {
    /// Which list is edited.
    pub key: RegistryKey,
    /// Whose rules validation uses.
    pub engine: EngineVersion,
    /// The file's bytes; `None`: the file does not exist.
    pub file: Option<&'a [u8]>,
    /// The list to write.
    pub list: Vec<String>,
}

impl<'a> Input<'a> {
    /// Split raw fuzzer bytes (see the module doc). Options byte: bit 0 the list (0 insecure,
    /// 1 mirrors), bits 1-3 the engine, bit 4 set with an empty file part means "no file".
    pub fn split(data: &'a [u8]) -> Option<Input<'a>> {
        let (&opts, rest) = data.split_first()?;
        let mut parts = rest.split(|b| *b == SEP);
        let file = parts.next().unwrap_or_default();
        let list = parts
            .map(|p| String::from_utf8_lossy(p).into_owned())
            .collect();
        let engine = ENGINES[usize::from((opts >> 1) & 7)];
        Some(Input {
            key: if opts & 1 == 0 {
                RegistryKey::Insecure
            } else {
                RegistryKey::Mirrors
            },
            engine,
            file: if file.is_empty() && opts & 0x10 != 0 {
                None
            } else {
                Some(file)
            },
            list,
        })
    }

    /// Join the parts back into fuzzer bytes (to write a corpus file).
    pub fn join(opts: u8, file: &[u8], list: &[&str]) -> Vec<u8> {
        let mut out = vec![opts];
        out.extend_from_slice(file);
        for e in list {
            out.push(SEP);
            out.extend_from_slice(e.as_bytes());
        }
        out
    }
}

fn flag_of(key: RegistryKey) -> RegistryFlag {
    match key {
        RegistryKey::Insecure => RegistryFlag::InsecureRegistry,
        RegistryKey::Mirrors => RegistryFlag::RegistryMirror,
    }
}

/// The registry findings of a report, comparable across files: positions dropped, and the
/// `(line N)` that duplicate warnings name replaced by `(line _)`. Sorted.
fn registry_findings(diags: &[Diagnostic]) -> Vec<String> {
    let mut out: Vec<String> = diags
        .iter()
        .filter(|d| REGISTRY_CODES.contains(&d.code))
        .map(|d| {
            format!(
                "{}|{}|{}|{}",
                d.severity.as_str(),
                d.code,
                mask_lines(&d.message),
                d.help.as_deref().unwrap_or("")
            )
        })
        .collect();
    out.sort();
    out
}

/// `s` with every `(line 123)` written as `(line _)`.
fn mask_lines(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find("(line ") {
        let (head, tail) = rest.split_at(i + "(line ".len());
        out.push_str(head);
        let digits = tail.bytes().take_while(u8::is_ascii_digit).count();
        if digits > 0 && tail.as_bytes().get(digits) == Some(&b')') {
            out.push('_');
            rest = &tail[digits..];
        } else {
            rest = tail;
        }
    }
    out.push_str(rest);
    out
}

/// What validation says about the registry lists `insecure` and `mirrors` themselves: the
/// findings for a fresh daemon.json holding just those two values.
fn findings_of_values(
    insecure: Option<serde_json::Value>,
    mirrors: Option<serde_json::Value>,
    opts: &Options,
) -> Vec<String> {
    let mut obj = serde_json::Map::new();
    if let Some(v) = insecure {
        obj.insert("insecure-registries".into(), v);
    }
    if let Some(v) = mirrors {
        obj.insert("registry-mirrors".into(), v);
    }
    let fresh = serde_json::Value::Object(obj).to_string();
    let report = validate::validate(fresh.as_bytes(), opts, &[]);
    registry_findings(&report.diagnostics)
}

/// The top-level members of a parsed daemon.json as plain values (last duplicate wins), minus `key`.
fn others(doc: &daemon_json::Document, key: &str) -> BTreeMap<String, serde_json::Value> {
    match doc.root.to_serde() {
        serde_json::Value::Object(map) => map.into_iter().filter(|(k, _)| k != key).collect(),
        _ => BTreeMap::new(),
    }
}

/// The daemon.json edit path, as `dockcfg insecure add`/`rm` runs it: decode, parse, read the
/// list, write a new list, encode. Promises checked:
/// - nothing panics, whatever the bytes;
/// - a file dockcfg refuses to read is one validation reports a problem with (for some engine);
/// - the edit succeeds for any list of strings, and its output decodes in the same encoding,
///   parses, and holds exactly that list under the key;
/// - every other top-level member has the same value as before, and every byte outside the
///   edited value (or the appended member) is unchanged;
/// - what validation says about the registry entries of the output equals what it says about
///   the same two lists in a fresh file (the edit adds no finding and hides none).
pub fn check_json_edit(data: &[u8]) {
    let Some(input) = Input::split(data) else {
        return;
    };
    let opts = Options::new(input.engine, Platform::Linux);
    let key = input.key.json_key();
    let current = match edit::read_current("f", FileKind::DaemonJson, input.file, input.key) {
        Ok(c) => c,
        Err(err) => {
            // The edit path reads JSON as dockerd 23.0+ does (Unicode spaces around the object
            // trimmed; a file of nothing but whitespace is no settings and is replaced by a new
            // object), and may refuse more than some dockerd does. But never a file validation
            // calls clean: for some engine, validation reports an error or a warning about it.
            let bytes = input.file.unwrap_or_default();
            assert!(
                ENGINES.iter().any(|e| {
                    let o = Options::new(*e, Platform::Linux);
                    let r = validate::validate(bytes, &o, &[]);
                    r.has_errors() || r.count(Severity::Warning) > 0
                }),
                "dockcfg refuses to edit a file that validation finds clean for every engine:\n{}",
                err.0
            );
            return;
        }
    };
    let new_text = match edit::render("f", &current, input.key, &input.list) {
        Ok(t) => t,
        Err(e) => panic!("editing daemon.json failed: {}", e.0),
    };
    let new_bytes = edit::encode(&current, &new_text);
    let decoded = daemon_json::decode(&new_bytes).expect("the output decodes");
    assert_eq!(decoded.encoding, current.encoding, "the encoding is kept");
    assert_eq!(decoded.text, new_text);
    // Read as the edit path reads its input (Unicode spaces around the object kept, trimmed).
    let doc = daemon_json::parse_trimmed(&new_text).expect("the output parses");
    let Kind::Object(_) = &doc.root.kind else {
        panic!("the output's root is not an object");
    };
    let member = doc.get(key).expect("the output has the key");
    let got = daemon_json::string_list(&new_text, member).expect("the key holds strings");
    assert_eq!(got, input.list, "the output holds exactly the list");

    // A file of nothing but whitespace has no bytes worth keeping: the edit writes a new object.
    if let Some(old_text) = current.text.as_ref().filter(|t| !t.trim().is_empty()) {
        let old = daemon_json::parse_trimmed(old_text).expect("parsed before");
        assert_eq!(
            others(&old, key),
            others(&doc, key),
            "the other members kept their values"
        );
        let (start, end) = match (old.get(key), &old.root.kind) {
            (Some(m), _) => (m.value.span.start, m.value.span.end),
            (None, Kind::Object(members)) => match members.last() {
                Some(last) => (last.value.span.end, last.value.span.end),
                None => (old.root.span.start, old.root.span.end),
            },
            (None, _) => unreachable!("read_current accepted only an object"),
        };
        let (before, after) = (&old_text[..start], &old_text[end..]);
        assert!(
            new_text.starts_with(before) && new_text[before.len()..].ends_with(after),
            "only the edited value changed"
        );
    }

    let get = |k: &str| doc.get(k).map(|m| m.value.to_serde());
    let (insecure, mirrors) = (get("insecure-registries"), get("registry-mirrors"));
    let edited = validate::validate(&new_bytes, &opts, &[]);
    assert_eq!(
        registry_findings(&edited.diagnostics),
        findings_of_values(insecure, mirrors, &opts),
        "validation of the edited file agrees with validation of its lists"
    );
}

/// The DOCKER_OPTS / OPTIONS edit path. Promises checked:
/// - nothing panics, whatever the bytes; a file dockcfg refuses to read is one validation
///   refuses too;
/// - the editor either refuses with a reason (never its own "internal" error, which means its
///   self-check caught a wrong result) or gives a text that parses, holds exactly the list in
///   the variable, and keeps every other flag (name, value, dashes) and the variable's name;
/// - writing the list the file already holds changes nothing;
/// - what validation says about the registry flags of the output equals what it says about a
///   daemon.json holding the same two lists.
pub fn check_opts_edit(data: &[u8]) {
    let Some(input) = Input::split(data) else {
        return;
    };
    let opts = Options::new(input.engine, Platform::Linux);
    let bytes = input.file.unwrap_or_default();
    let refused = |why: &str| {
        let report = validate::validate_opts_file(bytes, &opts);
        assert!(
            report.has_errors() || report.diagnostics.iter().any(|d| d.code == "opaque-value"),
            "dockcfg refuses to edit an options file that validation finds valid: {why}"
        );
    };
    let _ = validate::validate_opts_file(bytes, &opts);
    if let Err(e) = edit::read_current("f", FileKind::OptsFile, Some(bytes), input.key) {
        refused(&e.0);
        return;
    }
    let Ok(text) = std::str::from_utf8(bytes) else {
        panic!("read_current accepted invalid UTF-8");
    };
    let file = opts_file::parse(text).expect("read_current parsed it");
    let kind = flag_of(input.key);
    let current = file.values(kind);
    assert_eq!(
        opts_file::set_values(text, &file, kind, &current)
            .ok()
            .as_deref(),
        Some(text),
        "writing the values already there changes nothing"
    );
    let out = match opts_file::set_values(text, &file, kind, &input.list) {
        Ok(out) => out,
        Err(d) => {
            assert_ne!(
                d.code, "internal",
                "the editor's self-check failed: {}",
                d.message
            );
            return;
        }
    };
    let after = opts_file::parse(&out).expect("the output parses");
    assert_eq!(
        after.values(kind),
        input.list,
        "the output holds exactly the list"
    );
    let other_flags = |f: &opts_file::OptsFile| -> Vec<(String, Option<String>, u8)> {
        f.flags()
            .into_iter()
            .filter(|x| !(x.dashes == 2 && x.name == kind.flag_name()))
            .map(|x| (x.name, x.value, x.dashes))
            .collect()
    };
    assert_eq!(
        other_flags(&file),
        other_flags(&after),
        "the other flags are unchanged"
    );
    if let Some(var) = file.var_name() {
        assert_eq!(after.var_name(), Some(var), "the variable keeps its name");
    }
    let edited = validate::check_opts_file(&out, &after, input.engine);
    let list = |k: RegistryFlag| serde_json::json!(after.values(k));
    assert_eq!(
        registry_findings(&edited),
        findings_of_values(
            Some(list(RegistryFlag::InsecureRegistry)),
            Some(list(RegistryFlag::RegistryMirror)),
            &opts
        ),
        "validation of the edited flags agrees with validation of their values"
    );
}

/// The registry-address parsers. Promises checked, on the whole input as one address:
/// - nothing panics (dockcfg's parsers and the models of every dockerd version);
/// - whatever dockcfg accepts, the newest dockerd accepts, and validation of a daemon.json
///   holding it finds no registry error for the newest engine;
/// - what dockcfg writes reads back with the same comparison key (so `add` twice finds it
///   present), and `key()` is idempotent: the key parses and keeps itself as key.
pub fn check_address(data: &[u8]) {
    let s = String::from_utf8_lossy(data);
    let s = s.as_ref();
    for e in ENGINES {
        let _ = registry::dockerd_insecure_error_for(s, e);
        let _ = registry::dockerd_mirror_error(s, e);
    }
    let _ = registry::mask_password(s);
    let newest = Options::new(EngineVersion::NEWEST, Platform::Linux);
    if let Ok(i) = registry::parse_insecure(s) {
        assert_eq!(
            registry::dockerd_insecure_error(&i.value),
            None,
            "dockcfg accepts {s:?} as insecure registry {:?}, dockerd refuses it",
            i.value
        );
        let again = registry::parse_insecure(&i.value)
            .unwrap_or_else(|e| panic!("what dockcfg writes, {:?}, does not parse: {e}", i.value));
        assert_eq!(again.key(), i.key(), "the written value keeps its key");
        let key = i.key();
        let k2 = registry::parse_insecure(&key)
            .unwrap_or_else(|e| panic!("the key {key:?} of {s:?} does not parse: {e}"));
        assert_eq!(k2.key(), key, "key() is idempotent");
        let file = serde_json::json!({ "insecure-registries": [i.value] }).to_string();
        let report = validate::validate(file.as_bytes(), &newest, &[]);
        assert!(
            !report.has_errors(),
            "validation refuses {:?}, which dockcfg writes: {:?}",
            i.value,
            report.diagnostics
        );
    }
    if let Ok(m) = registry::parse_mirror(s) {
        assert_eq!(
            registry::dockerd_mirror_error(&m.value, EngineVersion::NEWEST),
            None,
            "dockcfg accepts {s:?} as mirror {:?}, dockerd refuses it",
            m.value
        );
        let again = registry::parse_mirror(&m.value)
            .unwrap_or_else(|e| panic!("what dockcfg writes, {:?}, does not parse: {e}", m.value));
        assert_eq!(again.key(), m.key(), "the written value keeps its key");
        let key = m.key();
        let k2 = registry::parse_mirror(&key)
            .unwrap_or_else(|e| panic!("the key {key:?} of {s:?} does not parse: {e}"));
        assert_eq!(k2.key(), key, "key() is idempotent");
        let file = serde_json::json!({ "registry-mirrors": [m.value] }).to_string();
        let report = validate::validate(file.as_bytes(), &newest, &[]);
        assert!(
            !report.has_errors(),
            "validation refuses {:?}, which dockcfg writes: {:?}",
            m.value,
            report.diagnostics
        );
    }
}

/// The repair path behind `dockcfg fix` (`daemon_json::repair::repair`), on the whole input as
/// a file. Promises checked:
/// - nothing panics, whatever the bytes;
/// - `parses` tells the truth: exactly when the repaired text is strict JSON to dockcfg's parser
///   (and never for bytes that are not text);
/// - nothing changes silently: no change reported means the text is the decoded input;
/// - a repaired file that parses needs no second repair (repairing it again changes nothing),
///   validation finds no syntax or encoding error in it for the newest engine, and the edit
///   path reads it (unless a registry key holds something other than a list of strings, which
///   repair reports).
pub fn check_repair(data: &[u8]) {
    let r = daemon_json::repair::repair(data);
    if r.unrepaired.iter().any(|d| d.code == "encoding") {
        // Bytes that are neither UTF-8 nor UTF-16: the text is a lossy view for display.
        assert!(!r.parses, "undecodable bytes reported as parsing");
        return;
    }
    assert_eq!(
        r.parses,
        daemon_json::parse(&r.text).is_ok(),
        "`parses` says whether the repaired text parses"
    );
    if r.changes.is_empty()
        && let Ok(d) = daemon_json::decode(data)
    {
        assert_eq!(r.text, d.text, "no change reported, yet the text changed");
    }
    if !r.parses {
        return;
    }
    let again = daemon_json::repair::repair(r.text.as_bytes());
    assert!(
        again.changes.is_empty() && again.text == r.text,
        "a repaired file needs a second repair: {:?}",
        again.changes
    );
    let newest = Options::new(EngineVersion::NEWEST, Platform::Linux);
    let report = validate::validate(r.text.as_bytes(), &newest, &[]);
    let broken: Vec<&Diagnostic> = report
        .diagnostics
        .iter()
        .filter(|d| d.is_error() && matches!(d.code, "syntax" | "encoding" | "empty"))
        .collect();
    assert!(
        broken.is_empty(),
        "the repaired file does not read: {broken:?}"
    );
    for key in [RegistryKey::Insecure, RegistryKey::Mirrors] {
        if let Err(e) = edit::read_current("f", FileKind::DaemonJson, Some(r.text.as_bytes()), key)
        {
            assert!(
                e.0.contains("must be a list of strings")
                    || e.0.contains("must hold one JSON object"),
                "the edit path refuses the repaired file: {}",
                e.0
            );
        }
    }
}

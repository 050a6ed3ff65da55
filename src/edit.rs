//! Planning an edit of a registry list: from the file's current bytes and the user's request to
//! the new bytes and the messages, touching nothing. The caller shows the diff and writes.

use std::collections::HashSet;
use std::path::Path;
use std::rc::Rc;

use crate::daemon_json::{self, Encoding};
use crate::diag::Diagnostic;
use crate::exit::{FileError, UsageError};
use crate::opts_file::{self, RegistryFlag};
use crate::registry;
use crate::settings::RegistryKey;

/// The two kinds of file dockcfg edits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// A daemon.json.
    DaemonJson,
    /// A shell-style file with DOCKER_OPTS="..." or OPTIONS='...'.
    OptsFile,
}

impl FileKind {
    /// Decide by name, then by content: `*.json`, or content starting with `{` (after a BOM and
    /// blanks), is daemon.json; anything else holds shell variables.
    pub fn detect(path: &Path, bytes: Option<&[u8]>) -> FileKind {
        if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"))
        {
            return FileKind::DaemonJson;
        }
        let Some(bytes) = bytes else {
            return FileKind::OptsFile;
        };
        let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
            return FileKind::DaemonJson;
        }
        let first_line = body
            .split(|b| *b == b'\n')
            .map(|l| l.trim_ascii())
            .find(|l| !l.is_empty())
            .unwrap_or_default();
        // `[Service]` opens a systemd unit or drop-in, not a JSON list.
        let section = first_line.len() > 2
            && first_line.starts_with(b"[")
            && first_line.ends_with(b"]")
            && first_line[1..first_line.len() - 1]
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || *b == b' ');
        match first_line.first() {
            Some(b'{') => FileKind::DaemonJson,
            Some(b'[') if !section => FileKind::DaemonJson,
            _ => FileKind::OptsFile,
        }
    }
}

/// One entry as the user gave it, normalised: `value` is what gets written, `key` what it is
/// compared by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub value: String,
    pub key: String,
}

/// The user's entries after normalisation, with the notes normalisation produced.
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    pub entries: Vec<Entry>,
    pub notes: Vec<String>,
    pub warnings: Vec<String>,
}

/// An address error as a usage error, its help on a line of its own.
fn usage(e: registry::AddrError) -> UsageError {
    match &e.help {
        Some(h) => UsageError(format!("{e}\nhelp: {h}")),
        None => UsageError(e.to_string()),
    }
}

/// Normalise what the user typed for `add`: every entry must be valid (else exit 2, naming it).
pub fn inputs_for_add(key: RegistryKey, raw: &[String], force: bool) -> Result<Inputs, UsageError> {
    let mut out = Inputs::default();
    for r in raw {
        match key {
            RegistryKey::Insecure => {
                let i = registry::parse_insecure(r).map_err(usage)?;
                if i.covers_everything() && !force {
                    return Err(UsageError(format!(
                        "{:?} makes every registry insecure (TLS off for all of them, Docker Hub \
                         included); name the registries or ranges you mean, or add --force if you \
                         really want this",
                        i.value
                    )));
                }
                out.notes.extend(i.notes.iter().cloned());
                out.entries.push(Entry {
                    key: i.key(),
                    value: i.value,
                });
            }
            RegistryKey::Mirrors => {
                let m = registry::parse_mirror(r).map_err(usage)?;
                out.notes.extend(m.notes.iter().cloned());
                if m.has_path {
                    out.warnings.push(format!(
                        "{} has a path: only Docker Engine 25.0 and newer accept mirrors with a path",
                        m.value
                    ));
                }
                out.entries.push(Entry {
                    key: m.key(),
                    value: m.value,
                });
            }
        }
    }
    Ok(out)
}

/// Normalise what the user typed for `rm`. An entry that does not parse is still accepted and
/// matched literally, so a malformed entry in the file can be removed.
pub fn inputs_for_remove(key: RegistryKey, raw: &[String]) -> Inputs {
    Inputs {
        entries: raw
            .iter()
            .map(|r| Entry {
                value: r.clone(),
                key: entry_key(key, r),
            })
            .collect(),
        ..Inputs::default()
    }
}

/// The comparison key of an entry found in a file (a malformed one is compared literally).
pub fn entry_key(key: RegistryKey, value: &str) -> String {
    match key {
        RegistryKey::Insecure if registry::is_plain_insecure(value) => value.to_string(),
        RegistryKey::Insecure => registry::parse_insecure(value)
            .map(|i| i.key())
            .unwrap_or_else(|_| value.trim().to_string()),
        RegistryKey::Mirrors => registry::parse_mirror(value)
            .map(|m| m.key())
            .unwrap_or_else(|_| value.trim().to_string()),
    }
}

/// What a request does to a list. Linear in the list's length (keys in a HashSet).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ListChange {
    pub values: Vec<String>,
    /// Entries the user asked to add that were already there.
    pub already: Vec<String>,
    /// Entries the user asked to remove that were not there.
    pub absent: Vec<String>,
}

/// Add `new` entries after (or, with `first`, before) `current`, skipping those already there.
pub fn add_to_list(key: RegistryKey, current: &[String], new: &[Entry], first: bool) -> ListChange {
    let mut seen: HashSet<String> = current.iter().map(|v| entry_key(key, v)).collect();
    let mut change = ListChange::default();
    let mut added = Vec::new();
    for e in new {
        if seen.insert(e.key.clone()) {
            added.push(e.value.clone());
        } else {
            change.already.push(e.value.clone());
        }
    }
    change.values = if first {
        added.into_iter().chain(current.iter().cloned()).collect()
    } else {
        current.iter().cloned().chain(added).collect()
    };
    change
}

/// Remove every entry of `current` equal (by key, or literally) to one of `gone`.
pub fn remove_from_list(key: RegistryKey, current: &[String], gone: &[Entry]) -> ListChange {
    let drop: HashSet<&str> = gone
        .iter()
        .flat_map(|e| [e.key.as_str(), e.value.as_str()])
        .collect();
    let mut present: HashSet<String> = HashSet::new();
    let mut values = Vec::with_capacity(current.len());
    for v in current {
        let k = entry_key(key, v);
        if drop.contains(k.as_str()) || drop.contains(v.as_str()) {
            present.insert(v.clone());
            present.insert(k);
        } else {
            values.push(v.clone());
        }
    }
    ListChange {
        values,
        already: Vec::new(),
        absent: gone
            .iter()
            .filter(|e| !present.contains(&e.key) && !present.contains(&e.value))
            .map(|e| e.value.clone())
            .collect(),
    }
}

/// A file's content as dockcfg understood it.
#[derive(Debug, Clone)]
pub struct Current {
    pub kind: FileKind,
    /// The decoded text (None: the file does not exist).
    pub text: Option<String>,
    pub encoding: Encoding,
    /// The registry list the file holds for the key.
    pub values: Vec<String>,
    /// The parsed daemon.json, kept for [`render`] (a file of 100,000 entries is not parsed
    /// twice).
    pub doc: Option<Rc<daemon_json::Document>>,
}

fn file_error(path: &str, text: &str, d: &Diagnostic) -> FileError {
    FileError(d.render(path, text, false))
}

/// Read the registry list for `key` from a file's bytes. Errors are rendered with the file's
/// line, column and caret (colour added by the caller if wanted).
pub fn read_current(
    path: &str,
    kind: FileKind,
    bytes: Option<&[u8]>,
    key: RegistryKey,
) -> Result<Current, FileError> {
    let Some(bytes) = bytes else {
        return Ok(Current {
            kind,
            text: None,
            encoding: Encoding::Utf8,
            values: Vec::new(),
            doc: None,
        });
    };
    match kind {
        FileKind::DaemonJson => {
            let decoded = daemon_json::decode(bytes).map_err(|d| {
                let lossy = String::from_utf8_lossy(bytes);
                file_error(path, &lossy, &d)
            })?;
            let text = decoded.text;
            // Nothing but whitespace (a file made with `touch`): no settings, as dockerd 23.0+
            // reads it; an edit writes a whole new object (which every version accepts).
            if text.trim().is_empty() {
                return Ok(Current {
                    kind,
                    text: Some(text),
                    encoding: decoded.encoding,
                    values: Vec::new(),
                    doc: None,
                });
            }
            // Exotic white space around the object (a vertical tab, a no-break space) is read as
            // dockerd 23.0+ reads it, and kept as it is; validation of the result says what 20.10
            // makes of it.
            let doc = daemon_json::parse_trimmed(&text).map_err(|d| file_error(path, &text, &d))?;
            doc.root_object().map_err(|d| file_error(path, &text, &d))?;
            let values = match doc.get(key.json_key()) {
                Some(m) => {
                    daemon_json::string_list(&text, m).map_err(|d| file_error(path, &text, &d))?
                }
                None => Vec::new(),
            };
            Ok(Current {
                kind,
                text: Some(text),
                encoding: decoded.encoding,
                values,
                doc: Some(Rc::new(doc)),
            })
        }
        FileKind::OptsFile => {
            let text = String::from_utf8(bytes.to_vec()).map_err(|e| {
                let lossy = String::from_utf8_lossy(bytes);
                let d = Diagnostic::error("encoding", "the file is not valid UTF-8")
                    .with_help("save it as UTF-8 text")
                    .at(&lossy, e.utf8_error().valid_up_to());
                file_error(path, &lossy, &d)
            })?;
            let file = opts_file::parse(&text).map_err(|d| file_error(path, &text, &d))?;
            // A value built by a command: what it holds is unknown, so no answer about it is true.
            if let Some(d) = file.warnings().iter().find(|d| d.code == "opaque-value") {
                let d = Diagnostic {
                    severity: crate::diag::Severity::Error,
                    help: Some(
                        "write the flags literally, or keep registry settings in /etc/docker/daemon.json"
                            .into(),
                    ),
                    ..d.clone()
                };
                return Err(file_error(path, &text, &d));
            }
            let values = file.values(flag_of(key));
            Ok(Current {
                kind,
                text: Some(text),
                encoding: Encoding::Utf8,
                values,
                doc: None,
            })
        }
    }
}

fn flag_of(key: RegistryKey) -> RegistryFlag {
    match key {
        RegistryKey::Insecure => RegistryFlag::InsecureRegistry,
        RegistryKey::Mirrors => RegistryFlag::RegistryMirror,
    }
}

/// The new text of the file with `values` as the list for `key`, in the file's own format.
/// Checked before it is returned: the result must read back as exactly `values`.
pub fn render(
    path: &str,
    current: &Current,
    key: RegistryKey,
    values: &[String],
) -> Result<String, FileError> {
    let new_text = match (current.kind, &current.text) {
        (FileKind::DaemonJson, None) => daemon_json::new_file(key.json_key(), values),
        (FileKind::DaemonJson, Some(text)) if text.trim().is_empty() => {
            daemon_json::new_file(key.json_key(), values)
        }
        (FileKind::DaemonJson, Some(text)) => {
            let parsed;
            let doc = match &current.doc {
                Some(doc) => doc.as_ref(),
                None => {
                    parsed =
                        daemon_json::parse_trimmed(text).map_err(|d| file_error(path, text, &d))?;
                    &parsed
                }
            };
            daemon_json::set_string_list(text, doc, key.json_key(), values)
        }
        (FileKind::OptsFile, text) => {
            let text = text.as_deref().unwrap_or("");
            let file = opts_file::parse(text).map_err(|d| file_error(path, text, &d))?;
            opts_file::set_values(text, &file, flag_of(key), values)
                .map_err(|d| file_error(path, text, &d))?
        }
    };
    // The editor's own promise, checked: the result parses and holds exactly the new list.
    let back = read_current(
        path,
        current.kind,
        Some(new_text.as_bytes()),
        key,
    )
    .map_err(|e| FileError(format!("internal error: dockcfg's edit of {path} would not read back; nothing was written. Please report this.\n{e}")))?;
    if back.values != values {
        return Err(FileError(format!(
            "internal error: dockcfg's edit of {path} reads back as {:?} instead of {:?}; nothing was written. Please report this.",
            back.values, values
        )));
    }
    Ok(new_text)
}

/// Encode `text` as the file was encoded (a BOM stays a BOM).
pub fn encode(current: &Current, text: &str) -> Vec<u8> {
    daemon_json::encode(text, current.encoding)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(key: RegistryKey, v: &[&str]) -> Vec<Entry> {
        let raw: Vec<String> = v.iter().map(|s| s.to_string()).collect();
        inputs_for_add(key, &raw, false).expect("valid").entries
    }
    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn file_kind_by_name_then_content() {
        let cases: &[(&str, Option<&[u8]>, FileKind)] = &[
            ("/etc/docker/daemon.json", None, FileKind::DaemonJson),
            ("/etc/default/docker", None, FileKind::OptsFile),
            (
                "/etc/default/docker",
                Some(b"# c\nDOCKER_OPTS=\"\"\n"),
                FileKind::OptsFile,
            ),
            ("/tmp/cfg", Some(b"  {\"a\":1}"), FileKind::DaemonJson),
            ("/tmp/cfg", Some(b"\xEF\xBB\xBF{}"), FileKind::DaemonJson),
            (
                "/tmp/cfg",
                Some(b"\xFF\xFE{\x00}\x00"),
                FileKind::DaemonJson,
            ),
        ];
        for (p, b, want) in cases {
            assert_eq!(FileKind::detect(Path::new(p), *b), *want, "{p}");
        }
    }

    #[test]
    fn add_appends_in_order_and_skips_present() {
        let k = RegistryKey::Insecure;
        let c = add_to_list(
            k,
            &strings(&["a:5000"]),
            &entries(k, &["b:5000", "A:5000", "c"]),
            false,
        );
        assert_eq!(c.values, strings(&["a:5000", "b:5000", "c"]));
        assert_eq!(c.already, strings(&["A:5000"]));
        let m = RegistryKey::Mirrors;
        let c = add_to_list(
            m,
            &strings(&["https://old.example.com"]),
            &entries(m, &["https://n1.example.com", "https://n2.example.com"]),
            true,
        );
        assert_eq!(
            c.values,
            strings(&[
                "https://n1.example.com",
                "https://n2.example.com",
                "https://old.example.com"
            ])
        );
    }

    #[test]
    fn mirror_with_and_without_slash_are_the_same() {
        let m = RegistryKey::Mirrors;
        let c = add_to_list(
            m,
            &strings(&["https://m.example.com/"]),
            &entries(m, &["https://m.example.com"]),
            false,
        );
        assert_eq!(c.values, strings(&["https://m.example.com/"]));
        assert_eq!(c.already, strings(&["https://m.example.com"]));
        let r = remove_from_list(
            m,
            &strings(&["https://m.example.com/"]),
            &inputs_for_remove(m, &strings(&["https://m.example.com"])).entries,
        );
        assert!(r.values.is_empty());
        assert!(r.absent.is_empty());
    }

    #[test]
    fn remove_by_key_or_literally_and_reports_absent() {
        let k = RegistryKey::Insecure;
        let current = strings(&["a:5000", "http//broken", "b:5000"]);
        let r = remove_from_list(
            k,
            &current,
            &inputs_for_remove(k, &strings(&["http//broken", "zz:1"])).entries,
        );
        assert_eq!(r.values, strings(&["a:5000", "b:5000"]));
        assert_eq!(r.absent, strings(&["zz:1"]));
    }

    #[test]
    fn everything_ranges_need_force() {
        let k = RegistryKey::Insecure;
        assert!(inputs_for_add(k, &strings(&["0.0.0.0/0"]), false).is_err());
        assert!(inputs_for_add(k, &strings(&["::/0"]), false).is_err());
        assert!(inputs_for_add(k, &strings(&["0.0.0.0/0"]), true).is_ok());
    }

    #[test]
    fn exotic_space_around_the_object_is_kept_by_an_edit() {
        // A vertical tab after the object and a no-break space before it: dockerd 23.0+ trims
        // both (validation says what 20.10 makes of them); the edit leaves them where they are.
        let k = RegistryKey::Insecure;
        let text = "\u{a0}{\n  \"insecure-registries\": [\"a:5000\"]\n}\u{b}\n";
        let current =
            read_current("d.json", FileKind::DaemonJson, Some(text.as_bytes()), k).expect("reads");
        assert_eq!(current.values, strings(&["a:5000"]));
        let new = render("d.json", &current, k, &strings(&["a:5000", "b:5000"])).expect("edits");
        assert_eq!(
            new,
            "\u{a0}{\n  \"insecure-registries\": [\"a:5000\", \"b:5000\"]\n}\u{b}\n"
        );
    }

    #[test]
    fn add_is_linear_on_a_big_list() {
        let k = RegistryKey::Insecure;
        let current: Vec<String> = (0..100_000)
            .map(|i| format!("10.{}.{}.{}:5000", i >> 16, (i >> 8) & 255, i & 255))
            .collect();
        let t = std::time::Instant::now();
        let c = add_to_list(k, &current, &entries(k, &["new.example.com:5000"]), false);
        assert_eq!(c.values.len(), 100_001);
        assert!(t.elapsed().as_secs() < 5, "took {:?}", t.elapsed());
    }
}

//! The values of `insecure-registries` and `registry-mirrors` (in daemon.json, or as
//! `--insecure-registry`/`--registry-mirror` flags in a DOCKER_OPTS file): what dockerd of the
//! chosen version refuses (errors), what it accepts but cannot use as meant (warnings), and
//! plain-HTTP mirrors (notes).

use std::cell::OnceCell;
use std::collections::HashSet;

use crate::daemon_json::{Document, Kind, Value};
use crate::diag::{Diagnostic, Lines, Severity};
use crate::opts_file::{OptsFile, RegistryFlag};
use crate::registry;
use crate::version::EngineVersion;

use super::Options;
use super::keys;
use super::versions::refused_by;

/// dockerd --validate checks mirrors from 28.3; 23.0 is the first with --validate at all.
const V23_0: EngineVersion = EngineVersion::new(23, 0);
const V28_3: EngineVersion = EngineVersion::new(28, 3);

/// One finding about one entry, before it is placed.
struct Finding {
    severity: Severity,
    code: &'static str,
    message: String,
    help: Option<String>,
}

impl Finding {
    /// The diagnostic at byte `at` of the text `lines` indexes.
    fn place(self, lines: &Lines, at: usize) -> Diagnostic {
        let mut d = Diagnostic::new(self.severity, self.code, self.message);
        d.pos = Some(lines.pos(at));
        d.help = self.help;
        d
    }
}

const INSECURE_HELP: &str =
    "an insecure registry is host[:port], an IP address, [IPv6]:port, or a CIDR such as 10.0.0.0/8";

/// What is wrong with one `insecure-registries` entry for dockerd `e`; `ours` is the entry as
/// dockcfg parses it ([`registry::parse_insecure`], parsed once per entry by the caller).
fn insecure_entry(
    entry: &str,
    ours: &Result<registry::Insecure, registry::AddrError>,
    e: EngineVersion,
) -> Vec<Finding> {
    let mut out = Vec::new();
    if let Some(msg) = registry::dockerd_insecure_error_for(entry, e) {
        let when = refused_by(
            |v| registry::dockerd_insecure_error_for(entry, v).is_some(),
            "accept it",
        );
        let help = match ours {
            Err(err) => err.help.clone(),
            Ok(i) if i.value != entry => Some(format!("write {}", quoted(&i.value))),
            Ok(_) => None,
        }
        .unwrap_or_else(|| INSECURE_HELP.to_string());
        out.push(Finding {
            severity: Severity::Error,
            code: "insecure-registry",
            message: format!(
                "dockerd refuses this insecure registry: {msg}{}; {when}",
                at_start(e)
            ),
            help: Some(help),
        });
        return out;
    }
    match ours {
        Err(err) => {
            let hub = err.message.contains("cannot be made insecure");
            out.push(Finding {
                severity: if hub {
                    Severity::Error
                } else {
                    Severity::Warning
                },
                code: "insecure-registry",
                message: if hub {
                    err.message.clone()
                } else {
                    format!(
                        "dockerd accepts this entry, but it cannot work as meant: {}",
                        err.message
                    )
                },
                help: err.help.clone(),
            });
        }
        Ok(i) => {
            // Notes about older engines are already errors for them (dockerd's own check above).
            for note in i
                .notes
                .iter()
                .filter(|n| !n.starts_with("engines before"))
                .cloned()
            {
                let (message, help) = if note.starts_with("removed \"") {
                    (
                        "insecure-registries take host[:port], not a URL: dockerd strips the scheme (and logs a warning)".to_string(),
                        Some(format!("write {}", quoted(&i.value))),
                    )
                } else {
                    (note, None)
                };
                out.push(Finding {
                    severity: Severity::Warning,
                    code: "insecure-registry",
                    message,
                    help,
                });
            }
        }
    }
    out
}

/// " (at daemon start ...)" for registry errors, which `dockerd --validate` does not report.
fn at_start(e: EngineVersion) -> &'static str {
    if e >= V23_0 {
        " (`dockerd --validate` does not catch this; the daemon refuses it when it starts or reloads)"
    } else {
        ""
    }
}

fn quoted(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| format!("\"{s}\""))
}

/// What is wrong with one `registry-mirrors` entry for dockerd `e`; `ours` is its parse
/// ([`registry::parse_mirror`]) and `insecure` tells whether a host is one of the file's insecure
/// registries (for the plain-HTTP note).
fn mirror_entry(
    entry: &str,
    ours: &Result<registry::Mirror, registry::AddrError>,
    e: EngineVersion,
    insecure: &dyn Fn(&str) -> bool,
) -> Vec<Finding> {
    if let Some(msg) = registry::dockerd_mirror_error(entry, e) {
        let when = refused_by(
            |v| registry::dockerd_mirror_error(entry, v).is_some(),
            "accept it",
        );
        let stage = if e < V28_3 { at_start(e) } else { "" };
        let help = match ours {
            Err(err) => err.help.clone(),
            Ok(m) if m.has_path => Some(format!(
                "engines before 25.0 take only scheme://host[:port]: write {}",
                quoted(&without_path(&m.value))
            )),
            Ok(m) if m.value != entry.trim() => Some(format!("write {}", quoted(&m.value))),
            Ok(_) => None,
        }
        .unwrap_or_else(|| "a mirror is a URL such as https://mirror.example.com".to_string());
        return vec![Finding {
            severity: Severity::Error,
            code: "registry-mirror",
            message: format!("dockerd refuses this mirror: {msg}{stage}; {when}"),
            help: Some(help),
        }];
    }
    match ours {
        Err(err) => vec![Finding {
            severity: Severity::Warning,
            code: "registry-mirror",
            message: format!(
                "dockerd accepts this mirror, but cannot use it: {}",
                err.message
            ),
            help: err.help.clone(),
        }],
        Ok(m) => {
            let plain_http = m
                .value
                .get(..7)
                .is_some_and(|s| s.eq_ignore_ascii_case("http://"));
            let host = m
                .value
                .split_once("://")
                .map_or("", |(_, r)| r)
                .split('/')
                .next()
                .unwrap_or("")
                .to_ascii_lowercase();
            if plain_http && !insecure(host.as_str()) {
                vec![Finding {
                    severity: Severity::Note,
                    code: "http-mirror",
                    message: "a plain-HTTP mirror: dockerd uses it without TLS and needs no insecure-registries entry for it; pulls through it are not encrypted".to_string(),
                    help: Some(format!(
                        "use https:// if the mirror offers it: {}",
                        quoted(&format!("https://{}", m.value.get(7..).unwrap_or("")))
                    )),
                }]
            } else {
                Vec::new()
            }
        }
    }
}

fn without_path(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let host = rest.split('/').next().unwrap_or(rest);
            format!("{scheme}://{host}")
        }
        None => url.to_string(),
    }
}

/// Later entries equal to an earlier one after normalisation (`keys`): a warning at each.
fn duplicate_findings(entries: Entries, keys: &Keys, what: &str, lines: &Lines) -> Vec<Diagnostic> {
    registry::find_duplicates(entries.len(), |i| keys.get(entries, i))
        .into_iter()
        .filter_map(|(i, first)| {
            let (_, at) = entries.get(i)?;
            let (first_s, first_at) = entries.get(first)?;
            let line = lines.pos(first_at).line;
            let mut d = Diagnostic::warning(
                "duplicate-entry",
                format!(
                    "the same {what} as {} (line {line}): dockerd keeps only one",
                    quoted(first_s)
                ),
            )
            .with_help("remove this entry");
            d.pos = Some(lines.pos(at));
            Some(d)
        })
        .collect()
}

/// The entries of one registry list, each with the offset its findings point at.
#[derive(Clone, Copy)]
enum Entries<'a> {
    /// The items of a daemon.json list: its strings, and `null` as "" (Go decodes `null` into a
    /// []string element as "", which dockerd then judges: `insecure registry  is not valid:
    /// invalid host ""`). Other items are not entries (the type rule reports them).
    Items(&'a [Value]),
    /// The values of a DOCKER_OPTS file's flags.
    Flags(&'a [(String, usize)]),
}

impl<'a> Entries<'a> {
    fn len(self) -> usize {
        match self {
            Entries::Items(items) => items.len(),
            Entries::Flags(flags) => flags.len(),
        }
    }

    /// Entry `i`: `None` for an item that is not a string (or past the end).
    fn get(self, i: usize) -> Option<(&'a str, usize)> {
        match self {
            Entries::Items(items) => {
                let item = items.get(i)?;
                match &item.kind {
                    Kind::String(s) => Some((s.as_str(), item.span.start)),
                    Kind::Null => Some(("", item.span.start)),
                    _ => None,
                }
            }
            Entries::Flags(flags) => flags.get(i).map(|(s, at)| (s.as_str(), *at)),
        }
    }

    /// `(index, entry, offset)` of every entry.
    fn iter(self) -> impl Iterator<Item = (usize, &'a str, usize)> {
        (0..self.len()).filter_map(move |i| self.get(i).map(|(s, at)| (i, s, at)))
    }
}

/// The keys entries are compared under. An entry in its plainest form is its own key
/// ([`registry::is_plain_insecure`]), so only the others' keys are kept: a long list of plain
/// entries needs no second list beside it.
#[derive(Default)]
struct Keys {
    own: rustc_hash::FxHashMap<usize, String>,
}

impl Keys {
    /// The key of entry `i` of `entries`.
    fn get<'a>(&'a self, entries: Entries<'a>, i: usize) -> Option<&'a str> {
        let own = if self.own.is_empty() {
            None
        } else {
            self.own.get(&i)
        };
        match own {
            Some(k) => Some(k),
            None => entries.get(i).map(|(s, _)| s),
        }
    }

    /// Entry `i` (which is `s`) is compared under `key`.
    fn set(&mut self, i: usize, s: &str, key: String) {
        if key != s {
            self.own.insert(i, key);
        }
    }
}

/// The key entry `s` is compared under, from its parse: equal registries, equal keys.
fn insecure_key(s: &str, parsed: &Result<registry::Insecure, registry::AddrError>) -> String {
    match parsed {
        Ok(i) => i.key(),
        Err(_) => s.trim().to_string(),
    }
}

/// The key mirror `s` is compared under, from its parse.
fn mirror_key(s: &str, parsed: &Result<registry::Mirror, registry::AddrError>) -> String {
    match parsed {
        Ok(m) => m.key(),
        Err(_) => s.trim().to_string(),
    }
}

/// The items of the last occurrence of `key`, when the key applies and is a list.
fn items<'d>(doc: &'d Document, key: &str, opts: &Options) -> Entries<'d> {
    if keys::lookup_for(key, opts.engine, opts.platform).is_none() {
        return Entries::Items(&[]);
    }
    match doc.get(key).map(|m| &m.value.kind) {
        Some(Kind::Array(items)) => Entries::Items(items),
        _ => Entries::Items(&[]),
    }
}

/// The registry rules for a parsed daemon.json.
pub(super) fn check(doc: &Document, text: &str, opts: &Options, out: &mut Vec<Diagnostic>) {
    let insecure = items(doc, "insecure-registries", opts);
    let mirrors = items(doc, "registry-mirrors", opts);
    check_lists(insecure, mirrors, text, opts.engine, out);
}

fn check_lists(
    insecure: Entries,
    mirrors: Entries,
    text: &str,
    e: EngineVersion,
    out: &mut Vec<Diagnostic>,
) {
    // One line index for all findings: a long list may have a finding at every entry.
    let lines = Lines::new(text);
    // Each entry is parsed once: its findings, its key for duplicates and for the mirrors'
    // plain-HTTP note all come from that parse.
    let mut insecure_keys = Keys::default();
    for (i, s, at) in insecure.iter() {
        // The usual entry has nothing to report and is its own key.
        if registry::is_plain_insecure(s) {
            continue;
        }
        let parsed = registry::parse_insecure(s);
        out.extend(
            insecure_entry(s, &parsed, e)
                .into_iter()
                .map(|f| f.place(&lines, at)),
        );
        insecure_keys.set(i, s, insecure_key(s, &parsed));
    }
    out.extend(duplicate_findings(
        insecure,
        &insecure_keys,
        "insecure registry",
        &lines,
    ));
    // Only a plain-HTTP mirror looks its host up: the set is made for the first one.
    let insecure_set: OnceCell<HashSet<&str>> = OnceCell::new();
    let is_insecure = |host: &str| {
        insecure_set
            .get_or_init(|| {
                (0..insecure.len())
                    .filter_map(|i| insecure_keys.get(insecure, i))
                    .collect()
            })
            .contains(host)
    };
    let mut mirror_keys = Keys::default();
    for (i, s, at) in mirrors.iter() {
        let parsed = registry::parse_mirror(s);
        out.extend(
            mirror_entry(s, &parsed, e, &is_insecure)
                .into_iter()
                .map(|f| f.place(&lines, at)),
        );
        mirror_keys.set(i, s, mirror_key(s, &parsed));
    }
    out.extend(duplicate_findings(mirrors, &mirror_keys, "mirror", &lines));
}

/// The registry rules for the `--insecure-registry` and `--registry-mirror` flags of a
/// DOCKER_OPTS / OPTIONS file (`text` is the file, `file` its parse), each diagnostic at its flag.
pub fn check_opts_file(text: &str, file: &OptsFile, engine: EngineVersion) -> Vec<Diagnostic> {
    let mut insecure = Vec::new();
    let mut mirrors = Vec::new();
    let mut out = Vec::new();
    for f in file.flags() {
        let Some(v) = f.value.clone() else {
            if crate::opts_file::takes_value(f.long_name()) {
                out.push(
                    Diagnostic::error(
                        "missing-value",
                        format!(
                            "--{} has no value: dockerd refuses to start with it",
                            f.long_name()
                        ),
                    )
                    .with_help("give it its value, or delete the flag")
                    .at(text, f.pos.offset),
                );
            }
            continue;
        };
        if f.dashes != 2 {
            continue;
        }
        if f.name == RegistryFlag::InsecureRegistry.flag_name() {
            insecure.push((v, f.pos.offset));
        } else if f.name == RegistryFlag::RegistryMirror.flag_name() {
            mirrors.push((v, f.pos.offset));
        }
    }
    check_lists(
        Entries::Flags(&insecure),
        Entries::Flags(&mirrors),
        text,
        engine,
        &mut out,
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::keys::Platform;

    fn run(text: &str, e: &str) -> Vec<(usize, usize, Severity, &'static str, String)> {
        let doc = crate::daemon_json::parse(text).expect("test JSON parses");
        let opts = Options::new(e.parse().expect("version"), Platform::Linux);
        let mut out = Vec::new();
        check(&doc, text, &opts, &mut out);
        out.into_iter()
            .map(|d| {
                let p = d.pos.expect("positioned");
                (p.line, p.col, d.severity, d.code, d.message)
            })
            .collect()
    }

    #[test]
    fn entries_by_engine() {
        use Severity::{Error as E, Note as N, Warning as W};
        type Case<'a> = (&'a str, &'a str, &'a [(usize, usize, Severity, &'a str)]);
        let cases: &[Case] = &[
            (
                r#"{"insecure-registries": ["reg:5000", "10.0.0.0/8"]}"#,
                "20.10",
                &[],
            ),
            (
                r#"{"insecure-registries": ["http://reg:5000"]}"#,
                "26.1",
                &[(1, 26, W, "insecure-registry")],
            ),
            (
                r#"{"insecure-registries": ["ftp://reg:5000"]}"#,
                "26.1",
                &[(1, 26, E, "insecure-registry")],
            ),
            (
                r#"{"insecure-registries": ["-reg:5000"]}"#,
                "26.1",
                &[(1, 26, E, "insecure-registry")],
            ),
            (
                r#"{"insecure-registries": ["reg:70000"]}"#,
                "26.1",
                &[(1, 26, E, "insecure-registry")],
            ),
            (
                r#"{"insecure-registries": ["10.1.2.3/8"]}"#,
                "26.1",
                &[(1, 26, W, "insecure-registry")],
            ),
            (
                r#"{"insecure-registries": ["Reg.Local:5000"]}"#,
                "26.1",
                &[(1, 26, W, "insecure-registry")],
            ),
            (
                r#"{"insecure-registries": ["[fd00::1]"]}"#,
                "20.10",
                &[(1, 26, E, "insecure-registry")],
            ),
            (r#"{"insecure-registries": ["[fd00::1]"]}"#, "26.1", &[]),
            (
                r#"{"insecure-registries": ["docker.io"]}"#,
                "26.1",
                &[(1, 26, E, "insecure-registry")],
            ),
            (
                r#"{"insecure-registries": ["a:5000", "A:5000"]}"#,
                "26.1",
                &[
                    (1, 36, W, "insecure-registry"),
                    (1, 36, W, "duplicate-entry"),
                ],
            ),
            (
                r#"{"registry-mirrors": ["https://m.example.com"]}"#,
                "20.10",
                &[],
            ),
            (
                r#"{"registry-mirrors": ["m.example.com"]}"#,
                "26.1",
                &[(1, 23, E, "registry-mirror")],
            ),
            (
                r#"{"registry-mirrors": ["https://m.example.com/docker"]}"#,
                "20.10",
                &[(1, 23, E, "registry-mirror")],
            ),
            (
                r#"{"registry-mirrors": ["https://m.example.com/docker"]}"#,
                "26.1",
                &[],
            ),
            (
                r#"{"registry-mirrors": ["http://m.example.com"]}"#,
                "26.1",
                &[(1, 23, N, "http-mirror")],
            ),
            (
                r#"{"registry-mirrors": ["http://m.example.com"], "insecure-registries": ["m.example.com"]}"#,
                "26.1",
                &[],
            ),
            (
                r#"{"registry-mirrors": ["https://m", "https://m/"]}"#,
                "26.1",
                &[(1, 36, W, "duplicate-entry")],
            ),
            (r#"{"registry-mirror": ["m.example.com"]}"#, "26.1", &[]),
        ];
        for (text, e, want) in cases {
            let got: Vec<_> = run(text, e)
                .into_iter()
                .map(|(l, c, s, code, _)| (l, c, s, code))
                .collect();
            assert_eq!(got, *want, "{text} on {e}: {:#?}", run(text, e));
        }
    }

    #[test]
    fn mirror_without_scheme_says_validate_misses_it_before_28_3() {
        let got = run(r#"{"registry-mirrors": ["m.example.com"]}"#, "26.1");
        assert_eq!(
            got[0].4,
            "dockerd refuses this mirror: invalid mirror: unsupported scheme \"\" in \"m.example.com\" (`dockerd --validate` does not catch this; the daemon refuses it when it starts or reloads); every dockerd refuses it"
        );
    }

    #[test]
    fn opts_file_flags_are_checked_in_place() {
        let text = "DOCKER_OPTS=\"--registry-mirror=m.example.com --insecure-registry reg:5000\"\n";
        let file = crate::opts_file::parse(text).expect("parses");
        let got = check_opts_file(text, &file, "26.1".parse().expect("v"));
        assert_eq!(got.len(), 1, "{got:#?}");
        assert_eq!(got[0].code, "registry-mirror");
        assert_eq!(got[0].pos.map(|p| p.col), Some(14));
    }
}

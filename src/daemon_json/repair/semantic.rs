//! The semantic layer of `dockcfg fix`: on text that is strict JSON, repair the top-level
//! settings dockerd would refuse or silently ignore, by span edits that keep everything else.
//!
//! Two passes, each one parse and one set of non-overlapping edits:
//! - A (members): duplicate keys (the last wins, as in dockerd; earlier ones removed), singular
//!   flag-name keys (`registry-mirror`) renamed to, or merged into, their plural key, a string put
//!   in brackets where a list of strings is expected; unknown keys and wrong types reported;
//! - B (values): the lists that received merged values or hold registries (`https://` added to
//!   mirrors, `http://` taken off insecure registries, duplicates after normalisation dropped),
//!   and string maps (`log-opts`: numbers and booleans written as strings, merged entries added).
//!
//! The singular-to-plural mapping is [`ignored_flag_key`] for the newest engine, on Linux or
//! Windows: what those engines ignore, every older one ignores too.

use std::cell::OnceCell;
use std::collections::{HashMap, HashSet};
use std::ops::Range;

use super::edits::{Edit, OffsetMap, apply};
use super::{Found, fixed};
use crate::daemon_json::style::line_indent;
use crate::daemon_json::{Document, Kind, Member, Value, detect_style, json_string, parse};
use crate::daemon_json::{Style, set_string_list};
use crate::diag::{Diagnostic, Severity};
use crate::registry::{
    dockerd_insecure_error_for, dockerd_mirror_error, parse_insecure, parse_mirror,
};
use crate::validate::keys::{JsonType, Platform, ignored_flag_key, lookup, suggest};
use crate::version::EngineVersion;

/// What the semantic layer found, with offsets into the text given to [`repair`].
pub(super) struct Outcome {
    /// The new text, strict JSON (checked); `None` when nothing changed.
    pub text: Option<String>,
    pub changes: Vec<Found>,
    pub unrepaired: Vec<Found>,
}

const NEWEST: EngineVersion = EngineVersion::NEWEST;
/// Unknown keys reported one by one; the rest are counted in one more diagnostic.
const MAX_UNKNOWN: usize = 100;
const INSECURE: &str = "insecure-registries";
const MIRRORS: &str = "registry-mirrors";

/// Repair the settings of `text`, which is strict JSON and parses to `doc`.
pub(super) fn repair(text: &str, doc: &Document) -> Outcome {
    let mut out = Outcome {
        text: None,
        changes: Vec::new(),
        unrepaired: Vec::new(),
    };
    let members = match doc.root_object() {
        Ok(m) => m,
        Err(d) => {
            let at = d.pos.map_or(0, |p| p.offset);
            out.unrepaired
                .push(Found::at(at, Diagnostic { pos: None, ..d }));
            return out;
        }
    };
    let mut a = PassA {
        text,
        doc,
        style: OnceCell::new(),
        edits: Vec::new(),
        removed: vec![false; members.len()],
        pending: HashMap::new(),
        out: &mut out,
    };
    a.run(members);
    let PassA {
        mut edits,
        removed,
        pending,
        ..
    } = a;
    edits.extend(removal_edits(text, members, &removed));
    let (text1, map, reparsed);
    let doc1 = if edits.is_empty() {
        text1 = text.to_owned();
        map = OffsetMap::default();
        doc
    } else {
        let applied = apply(text, &edits);
        text1 = applied.text;
        map = applied.map;
        match parse(&text1) {
            Ok(d) => {
                reparsed = d;
                &reparsed
            }
            Err(_) => {
                // Never expected: keep the text as it was rather than write something broken.
                out.changes.clear();
                out.unrepaired.push(Found::file(Diagnostic::error(
                    "internal",
                    "dockcfg could not repair the settings of this file (please report it); the syntax repairs alone are shown",
                )));
                return out;
            }
        }
    };
    let b_edits = pass_b(&text1, doc1, &map, &pending, &mut out);
    if b_edits.is_empty() {
        out.text = (!edits.is_empty()).then_some(text1);
        return out;
    }
    let done = apply(&text1, &b_edits);
    if parse(&done.text).is_ok() {
        out.text = Some(done.text);
    } else {
        out.text = (!edits.is_empty()).then_some(text1);
        out.unrepaired.push(Found::file(Diagnostic::error(
            "internal",
            "dockcfg could not repair the values of some settings (please report it)",
        )));
    }
    out
}

/// What kind of key a top-level name is.
#[derive(Clone, Copy)]
enum Class {
    /// A flag name dockerd accepts and ignores, whose values belong under `plural`.
    Singular(&'static str),
    /// A flag name dockerd accepts and ignores, with no plural to move it to.
    Ignored(&'static str),
    Known(JsonType),
    Unknown,
}

fn classify(name: &str) -> Class {
    for p in [Platform::Linux, Platform::Windows] {
        if let Some(ig) = ignored_flag_key(name, NEWEST, p) {
            return match ig.plural {
                Some(plural) => Class::Singular(plural),
                None => Class::Ignored(ig.help),
            };
        }
    }
    match lookup(name) {
        Some(k) => Class::Known(k.ty),
        None => Class::Unknown,
    }
}

/// One name=value entry of a string map, with the offset it came from.
type Entry = (String, String, usize);

/// Values waiting to be merged into a plural key in pass B, with their offsets (for notes).
#[derive(Default)]
struct Pending {
    items: Vec<(String, usize)>,
    entries: Vec<Entry>,
}

struct PassA<'a, 't> {
    text: &'t str,
    doc: &'a Document,
    /// Found only when needed: it looks at every member.
    style: OnceCell<Style>,
    edits: Vec<Edit>,
    removed: Vec<bool>,
    pending: HashMap<&'static str, Pending>,
    out: &'a mut Outcome,
}

impl PassA<'_, '_> {
    fn style(&self) -> &Style {
        self.style.get_or_init(|| detect_style(self.text, self.doc))
    }

    fn run(&mut self, members: &[Member]) {
        let mut by_name: HashMap<&str, Vec<usize>> = HashMap::new();
        let mut order: Vec<&str> = Vec::new();
        for (i, m) in members.iter().enumerate() {
            let e = by_name.entry(m.key.as_str()).or_default();
            if e.is_empty() {
                order.push(m.key.as_str());
            }
            e.push(i);
        }
        let (mut unknown, mut last_unknown) = (0, None);
        // Singular keys, grouped by their plural, in the order the plurals are first needed.
        let mut singulars: Vec<(&'static str, Vec<usize>)> = Vec::new();
        for name in &order {
            let Some(all) = by_name.get(name) else {
                continue;
            };
            match classify(name) {
                Class::Singular(plural) => {
                    match singulars.iter_mut().find(|(p, _)| *p == plural) {
                        Some((_, v)) => v.extend(all),
                        None => singulars.push((plural, all.clone())),
                    }
                    continue;
                }
                Class::Ignored(help) => {
                    if let Some(&i) = all.last() {
                        self.report(
                            members,
                            i,
                            Diagnostic::warning(
                                "ignored-key",
                                format!("dockerd accepts {} but does not apply it", quoted(name)),
                            )
                            .with_help(help),
                        );
                    }
                }
                Class::Unknown if unknown >= MAX_UNKNOWN => {
                    unknown += 1;
                    last_unknown = all.last().copied();
                }
                Class::Unknown => {
                    unknown += 1;
                    let help = match suggest(name) {
                        Some(s) => format!(
                            "did you mean {}? dockcfg leaves unknown keys to you",
                            quoted(s)
                        ),
                        None => "check the spelling against `dockerd --help`, or delete it".into(),
                    };
                    if let Some(&i) = all.last() {
                        self.report(
                            members,
                            i,
                            Diagnostic::error(
                                "unknown-key",
                                format!("unknown key {}", quoted(name)),
                            )
                            .with_help(help),
                        );
                    }
                }
                Class::Known(_) => {}
            }
            // Duplicates: dockerd keeps the last.
            if let Some((&last, earlier)) = all.split_last() {
                for &i in earlier {
                    self.remove(i);
                    self.note(
                        members,
                        i,
                        format!(
                            "removed an earlier {}: dockerd uses only the last one in the file, which is kept",
                            quoted(name)
                        ),
                    );
                }
                if let Class::Known(ty) = classify(name)
                    && let Some(m) = members.get(last)
                {
                    self.check_type(m, ty);
                }
            }
        }
        if let (Some(i), true) = (last_unknown, unknown > MAX_UNKNOWN) {
            self.report(
                members,
                i,
                Diagnostic::error(
                    "unknown-key",
                    format!(
                        "{} more unknown keys (the last is here); is this a daemon.json file?",
                        unknown - MAX_UNKNOWN
                    ),
                ),
            );
        }
        for (plural, occurrences) in singulars {
            let target = by_name.get(plural).and_then(|v| v.last().copied());
            match lookup(plural).map(|k| k.ty) {
                Some(JsonType::StringList) => {
                    self.merge_list(members, plural, target, &occurrences)
                }
                Some(JsonType::StringMap) => self.merge_map(members, plural, target, &occurrences),
                ty => {
                    let shape = ty.map_or("its own form", JsonType::describe);
                    for &i in &occurrences {
                        let name = members.get(i).map_or("", |m| m.key.as_str());
                        self.report(
                            members,
                            i,
                            Diagnostic::error(
                                "ignored-key",
                                format!(
                                    "dockerd ignores {}: it is a command-line flag name; the setting belongs in {}",
                                    quoted(name),
                                    quoted(plural)
                                ),
                            )
                            .with_help(format!(
                                "write it under {} ({shape}); dockcfg does not convert this one",
                                quoted(plural)
                            )),
                        );
                    }
                }
            }
        }
    }

    /// Merge singular occurrences into the list key `plural` (its last occurrence `target`, if
    /// any): values kept in order, the plural's first.
    fn merge_list(
        &mut self,
        members: &[Member],
        plural: &'static str,
        target: Option<usize>,
        occurrences: &[usize],
    ) {
        if let Some(t) = target.and_then(|t| members.get(t))
            && string_items(&t.value).is_none()
        {
            for &i in occurrences {
                self.cannot_merge(members, i, plural, t.value.kind.describe());
            }
            return;
        }
        let mut merged: Vec<(usize, Vec<(String, usize)>)> = Vec::new();
        for &i in occurrences {
            let Some(m) = members.get(i) else { continue };
            match string_items(&m.value) {
                Some(items) => merged.push((i, items)),
                None => self.report(
                    members,
                    i,
                    Diagnostic::error(
                        "ignored-key",
                        format!(
                            "dockerd ignores {}; its value ({}) cannot be moved into {}, a list of strings",
                            quoted(&m.key),
                            m.value.kind.describe(),
                            quoted(plural)
                        ),
                    )
                    .with_help(format!("write the setting under {} by hand", quoted(plural))),
                ),
            }
        }
        let Some(&(first, _)) = merged.first() else {
            return;
        };
        let into = match target {
            Some(_) => None,
            None => Some(first),
        };
        for (i, items) in merged {
            let Some(m) = members.get(i) else { continue };
            if into == Some(i) {
                self.rename(m, plural);
                if let Kind::String(_) = m.value.kind {
                    self.wrap(m);
                }
            } else {
                self.remove(i);
                self.pending.entry(plural).or_default().items.extend(items);
                self.note(
                    members,
                    i,
                    format!(
                        "moved the value of {} into {}: dockerd ignores {} (a command-line flag name)",
                        quoted(&m.key),
                        quoted(plural),
                        quoted(&m.key)
                    ),
                );
            }
        }
    }

    /// Merge singular occurrences of `log-opt` (and the like) into the string map `plural`.
    fn merge_map(
        &mut self,
        members: &[Member],
        plural: &'static str,
        target: Option<usize>,
        occurrences: &[usize],
    ) {
        let mut have: HashMap<String, String> = HashMap::new();
        if let Some(t) = target.and_then(|t| members.get(t)) {
            match map_entries(self.text, &t.value) {
                Some(entries) => have.extend(entries.into_iter().map(|(k, v, _)| (k, v))),
                None => {
                    for &i in occurrences {
                        self.cannot_merge(members, i, plural, t.value.kind.describe());
                    }
                    return;
                }
            }
        }
        let mut merged: Vec<(usize, Vec<Entry>)> = Vec::new();
        for &i in occurrences {
            let Some(m) = members.get(i) else { continue };
            let Some(entries) = map_entries(self.text, &m.value) else {
                self.report(
                    members,
                    i,
                    Diagnostic::error(
                        "ignored-key",
                        format!(
                            "dockerd ignores {}; its value is not in the form \"name=value\" and cannot be moved into {}",
                            quoted(&m.key),
                            quoted(plural)
                        ),
                    )
                    .with_help(format!(
                        "write it as {}: {{\"name\": \"value\"}}",
                        quoted(plural)
                    )),
                );
                continue;
            };
            let conflict = entries.iter().find_map(|(k, v, _)| {
                have.get(k)
                    .filter(|old| *old != v)
                    .map(|old| (k.clone(), v.clone(), old.clone()))
            });
            if let Some((k, v, old)) = conflict {
                self.report(
                    members,
                    i,
                    Diagnostic::error(
                        "ignored-key",
                        format!(
                            "dockerd ignores {}; its {k}={v} conflicts with {k}={old} in {}",
                            quoted(&m.key),
                            quoted(plural)
                        ),
                    )
                    .with_help(format!(
                        "keep the value you want under {} and delete {}",
                        quoted(plural),
                        quoted(&m.key)
                    )),
                );
                continue;
            }
            let mut fresh = Vec::new();
            for (k, v, at) in entries {
                if have.insert(k.clone(), v.clone()).is_none() {
                    fresh.push((k, v, at));
                }
            }
            merged.push((i, fresh));
        }
        let Some(&(first, _)) = merged.first() else {
            return;
        };
        let into = match target {
            Some(_) => None,
            None => Some(first),
        };
        let all: Vec<(String, String)> = merged
            .iter()
            .flat_map(|(_, e)| e.iter().map(|(k, v, _)| (k.clone(), v.clone())))
            .collect();
        let single = merged.len() == 1;
        for (i, entries) in merged {
            let Some(m) = members.get(i) else { continue };
            if into == Some(i) {
                self.rename(m, plural);
                let keep = single && matches!(m.value.kind, Kind::Object(_));
                if !keep {
                    let indent = line_indent(self.text, m.key_span.start).unwrap_or("");
                    let object = render_object(&all, self.style(), indent);
                    self.edits
                        .push(Edit::new(m.value.span.start, m.value.span.end, object));
                }
            } else {
                self.remove(i);
                if target.is_some() {
                    self.pending
                        .entry(plural)
                        .or_default()
                        .entries
                        .extend(entries);
                }
                self.note(
                    members,
                    i,
                    format!(
                        "moved the value of {} into {}: dockerd ignores {} (a command-line flag name)",
                        quoted(&m.key),
                        quoted(plural),
                        quoted(&m.key)
                    ),
                );
            }
        }
    }

    fn cannot_merge(&mut self, members: &[Member], i: usize, plural: &str, shape: &str) {
        let name = members.get(i).map_or("", |m| m.key.as_str());
        self.report(
            members,
            i,
            Diagnostic::error(
                "ignored-key",
                format!(
                    "dockerd ignores {}; it cannot be merged into {}, which is {shape}",
                    quoted(name),
                    quoted(plural)
                ),
            )
            .with_help(format!(
                "repair {} first, then move the values into it",
                quoted(plural)
            )),
        );
    }

    /// Rename member `m` to `plural` (a singular key with no plural beside it).
    fn rename(&mut self, m: &Member, plural: &str) {
        self.edits.push(Edit::new(
            m.key_span.start,
            m.key_span.end,
            json_string(plural),
        ));
        self.out.changes.push(Found::at(
            m.key_span.start,
            fixed(format!(
                "renamed {} to {}: dockerd ignores {} (a command-line flag name)",
                quoted(&m.key),
                quoted(plural),
                quoted(&m.key)
            )),
        ));
    }

    /// Put a string value in brackets, as it is written.
    fn wrap(&mut self, m: &Member) {
        let src = self
            .text
            .get(m.value.span.clone())
            .unwrap_or("\"\"")
            .to_owned();
        self.edits.push(Edit::new(
            m.value.span.start,
            m.value.span.end,
            format!("[{src}]"),
        ));
    }

    /// Type checks of a known key's (last) value; a string where a list of strings belongs is
    /// put in a list, everything else that does not fit is reported.
    fn check_type(&mut self, m: &Member, ty: JsonType) {
        let v = &m.value;
        let fits = match (ty, &v.kind) {
            (_, Kind::Null) => true,
            (JsonType::StringList, Kind::String(_)) => {
                self.wrap(m);
                self.out.changes.push(Found::at(
                    v.span.start,
                    fixed(format!(
                        "put the string in a list: {} is a list of strings",
                        quoted(&m.key)
                    )),
                ));
                true
            }
            (JsonType::StringList, Kind::Array(_)) => string_items(v).is_some(),
            (JsonType::StringMap, Kind::Object(ms)) => ms.iter().all(|c| {
                matches!(
                    c.value.kind,
                    Kind::String(_) | Kind::Number(_) | Kind::Bool(_) | Kind::Null
                )
            }),
            (JsonType::Bool, Kind::Bool(_)) => true,
            (JsonType::Integer, Kind::Number(n)) => !n.contains(['.', 'e', 'E']),
            (JsonType::String, Kind::String(_)) => true,
            (
                JsonType::BoolMap | JsonType::StringMapMap | JsonType::Object | JsonType::ObjectMap,
                Kind::Object(_),
            ) => true,
            (JsonType::ObjectList, Kind::Array(_)) => true,
            _ => false,
        };
        if !fits {
            if let Kind::Array(items) = &v.kind
                && ty == JsonType::StringList
                && let Some((n, item)) = items
                    .iter()
                    .enumerate()
                    .find(|(_, i)| !matches!(i.kind, Kind::String(_)))
            {
                self.out.unrepaired.push(Found::at(
                    item.span.start,
                    Diagnostic::error(
                        "type",
                        format!(
                            "{} must be a list of strings; item {} is {}",
                            quoted(&m.key),
                            n + 1,
                            describe_value(item)
                        ),
                    )
                    .with_help("put each entry in double quotes"),
                ));
                return;
            }
            self.out.unrepaired.push(Found::at(
                v.span.start,
                Diagnostic::error(
                    "type",
                    format!(
                        "{} must be {}; here it is {}",
                        quoted(&m.key),
                        ty.describe(),
                        describe_value(v)
                    ),
                )
                .with_help(
                    "dockcfg does not guess a conversion: write the value in the right form",
                ),
            ));
        }
    }

    fn remove(&mut self, i: usize) {
        if let Some(r) = self.removed.get_mut(i) {
            *r = true;
        }
    }

    fn note(&mut self, members: &[Member], i: usize, message: String) {
        if let Some(m) = members.get(i) {
            self.out
                .changes
                .push(Found::at(m.key_span.start, fixed(message)));
        }
    }

    fn report(&mut self, members: &[Member], i: usize, d: Diagnostic) {
        if let Some(m) = members.get(i) {
            self.out.unrepaired.push(Found::at(m.key_span.start, d));
        }
    }
}

/// Pass B: the values of lists and string maps, on the text after pass A (`map` leads back to
/// pass A's input, where notes point).
fn pass_b(
    text: &str,
    doc: &Document,
    map: &OffsetMap,
    pending: &HashMap<&'static str, Pending>,
    out: &mut Outcome,
) -> Vec<Edit> {
    let mut edits = Vec::new();
    let Kind::Object(members) = &doc.root.kind else {
        return edits;
    };
    let style = OnceCell::new();
    let empty = Pending::default();
    let mut seen_keys: HashSet<&str> = HashSet::new();
    // The last occurrence of each key (the one dockerd reads), in file order.
    for m in members.iter().rev() {
        if !seen_keys.insert(m.key.as_str()) {
            continue;
        }
        let Some(info) = lookup(&m.key) else { continue };
        let extra = pending.get(m.key.as_str()).unwrap_or(&empty);
        match info.ty {
            JsonType::StringList => {
                let Some(items) = string_items(&m.value) else {
                    continue;
                };
                let current: Vec<String> = items.iter().map(|(s, _)| s.clone()).collect();
                let mut all: Vec<(String, usize)> = items
                    .into_iter()
                    .map(|(s, at)| (s, map.to_input(at)))
                    .collect();
                all.extend(extra.items.iter().cloned());
                let values = match m.key.as_str() {
                    INSECURE | MIRRORS => normalise_registries(&m.key, all, out),
                    _ => {
                        let mut seen = HashSet::new();
                        let mut values = Vec::new();
                        for (i, (s, at)) in all.into_iter().enumerate() {
                            if seen.insert(s.clone()) || i < current.len() {
                                values.push(s);
                            } else {
                                out.changes.push(Found::at(
                                    at,
                                    fixed(format!(
                                        "dropped {}: {} already holds it",
                                        json_string(&s),
                                        quoted(&m.key)
                                    )),
                                ));
                            }
                        }
                        values
                    }
                };
                if values != current
                    && let Some(new) = list_replacement(text, doc, &m.key, &values, &m.value.span)
                {
                    edits.push(Edit::new(m.value.span.start, m.value.span.end, new));
                }
            }
            JsonType::StringMap => {
                let style = || style.get_or_init(|| detect_style(text, doc));
                map_values(text, m, map, &extra.entries, style, &mut edits, out);
            }
            _ => {}
        }
    }
    edits
}

/// Mirrors get `https://`, insecure registries lose `http://`; duplicates (compared as dockerd
/// compares them) are dropped; entries dockcfg cannot read are kept and reported.
fn normalise_registries(key: &str, all: Vec<(String, usize)>, out: &mut Outcome) -> Vec<String> {
    let mirror = key == MIRRORS;
    let mut first: HashMap<String, String> = HashMap::new();
    let mut values = Vec::new();
    for (v, at) in all {
        let parsed = if mirror {
            parse_mirror(&v).map(|m| (m.key(), m.value))
        } else {
            parse_insecure(&v).map(|i| (i.key(), i.value))
        };
        let (norm_key, value, error) = match parsed {
            Ok((k, value)) => (k, value, None),
            Err(e) => (v.clone(), v.clone(), Some(e)),
        };
        if let Some(kept) = first.get(&norm_key) {
            out.changes.push(Found::at(
                at,
                fixed(if *kept == v {
                    format!("removed the duplicate {}", json_string(&v))
                } else {
                    format!(
                        "removed {}: the same registry as {}",
                        json_string(&v),
                        json_string(kept)
                    )
                }),
            ));
            continue;
        }
        if let Some(e) = error {
            let refused = if mirror {
                dockerd_mirror_error(&v, NEWEST)
            } else {
                dockerd_insecure_error_for(&v, NEWEST)
            };
            let severity = if refused.is_some() {
                Severity::Error
            } else {
                Severity::Warning
            };
            let mut d = Diagnostic::new(
                severity,
                if mirror {
                    "mirror"
                } else {
                    "insecure-registry"
                },
                e.message,
            );
            d.help = Some(
                e.help
                    .unwrap_or_else(|| "dockcfg leaves this entry as it is".to_owned()),
            );
            out.unrepaired.push(Found::at(at, d));
        }
        if value != v {
            let lower = v.trim().to_ascii_lowercase();
            let message = if mirror && !v.contains("://") {
                format!(
                    "added https:// to the mirror {}: dockerd refuses a mirror without a scheme",
                    json_string(&v)
                )
            } else if !mirror && (lower.starts_with("http://") || lower.starts_with("https://")) {
                format!(
                    "removed the scheme from {}: an insecure registry is host[:port] (dockerd strips it with a warning)",
                    json_string(&v)
                )
            } else {
                format!("wrote {} as {}", json_string(&v), json_string(&value))
            };
            out.changes.push(Found::at(at, fixed(message)));
        }
        first.insert(norm_key, v);
        values.push(value);
    }
    values
}

/// A string map's values: numbers and booleans become strings; merged entries are added.
fn map_values<'s>(
    text: &str,
    m: &Member,
    map: &OffsetMap,
    extra: &[Entry],
    style: impl FnOnce() -> &'s Style,
    edits: &mut Vec<Edit>,
    out: &mut Outcome,
) {
    let members = match &m.value.kind {
        Kind::Object(ms) => ms.as_slice(),
        Kind::Null => &[],
        _ => return,
    };
    for c in members {
        let raw = match &c.value.kind {
            Kind::Number(n) => n.clone(),
            Kind::Bool(b) => b.to_string(),
            _ => continue,
        };
        edits.push(Edit::new(
            c.value.span.start,
            c.value.span.end,
            json_string(&raw),
        ));
        out.changes.push(Found::at(
            map.to_input(c.value.span.start),
            fixed(format!(
                "wrote {raw} as the string {}: dockerd reads the values of {} only as strings",
                json_string(&raw),
                quoted(&m.key)
            )),
        ));
    }
    if extra.is_empty() {
        return;
    }
    let style = style();
    let kv = &style.kv_sep;
    let entries: Vec<(String, String)> = extra
        .iter()
        .map(|(k, v, _)| (k.clone(), v.clone()))
        .collect();
    match members.last() {
        None => {
            let indent = line_indent(text, m.key_span.start).unwrap_or("");
            edits.push(Edit::new(
                m.value.span.start,
                m.value.span.end,
                render_object(&entries, style, indent),
            ));
        }
        Some(last) => {
            let multiline = text
                .get(m.value.span.clone())
                .is_some_and(|s| s.contains('\n'));
            let mut add = String::new();
            for (k, v) in &entries {
                if multiline {
                    let indent = line_indent(text, last.key_span.start).unwrap_or("");
                    add.push_str(&format!(",{}{indent}", style.newline));
                } else {
                    add.push_str(", ");
                }
                add.push_str(&format!("{}{kv}{}", json_string(k), json_string(v)));
            }
            edits.push(Edit::new(last.value.span.end, last.value.span.end, add));
        }
    }
}

/// The strings of a list-of-strings value with their offsets: a list of strings, a single
/// string (a list of one), or null (none). `None` for anything else.
fn string_items(v: &Value) -> Option<Vec<(String, usize)>> {
    match &v.kind {
        Kind::String(s) => Some(vec![(s.to_string(), v.span.start)]),
        Kind::Null => Some(Vec::new()),
        Kind::Array(items) => items
            .iter()
            .map(|i| match &i.kind {
                Kind::String(s) => Some((s.to_string(), i.span.start)),
                _ => None,
            })
            .collect(),
        _ => None,
    }
}

/// The name=value entries of a string-map value (as `log-opts` holds them, or as the `log-opt`
/// flag takes them: "name=value" or a list of those). Numbers and booleans count as their text.
fn map_entries(text: &str, v: &Value) -> Option<Vec<Entry>> {
    let pair = |s: &str, at: usize| {
        let (k, val) = s.split_once('=')?;
        (!k.trim().is_empty()).then(|| (k.trim().to_owned(), val.to_owned(), at))
    };
    match &v.kind {
        Kind::Null => Some(Vec::new()),
        Kind::String(s) => Some(vec![pair(s, v.span.start)?]),
        Kind::Array(items) => items
            .iter()
            .map(|i| match &i.kind {
                Kind::String(s) => pair(s, i.span.start),
                _ => None,
            })
            .collect(),
        Kind::Object(ms) => ms
            .iter()
            .map(|c| {
                let value = match &c.value.kind {
                    Kind::String(s) => s.to_string(),
                    Kind::Number(_) | Kind::Bool(_) => text.get(c.value.span.clone())?.to_owned(),
                    _ => return None,
                };
                Some((c.key.clone(), value, c.key_span.start))
            })
            .collect(),
        _ => None,
    }
}

/// A new object of string entries, one line for one entry or in a one-line file, else one
/// entry per line indented one step deeper than `indent`.
fn render_object(entries: &[(String, String)], style: &Style, indent: &str) -> String {
    let kv = &style.kv_sep;
    let items: Vec<String> = entries
        .iter()
        .map(|(k, v)| format!("{}{kv}{}", json_string(k), json_string(v)))
        .collect();
    if items.is_empty() {
        return "{}".to_owned();
    }
    if items.len() == 1 || !style.multiline {
        return format!("{{{}}}", items.join(", "));
    }
    let nl = style.newline;
    let inner = format!("{indent}{}", style.indent_unit);
    format!(
        "{{{nl}{inner}{}{nl}{indent}}}",
        items.join(&format!(",{nl}{inner}"))
    )
}

/// The new source text of the list value at `span` of member `key`, from [`set_string_list`]
/// (which keeps the list's layout and the items that stay).
fn list_replacement(
    text: &str,
    doc: &Document,
    key: &str,
    values: &[String],
    span: &Range<usize>,
) -> Option<String> {
    let new = set_string_list(text, doc, key, values);
    let tail = text.len().checked_sub(span.end)?;
    let end = new.len().checked_sub(tail)?;
    let same =
        new.get(..span.start) == text.get(..span.start) && new.get(end..) == text.get(span.end..);
    same.then(|| new.get(span.start..end).map(str::to_owned))
        .flatten()
}

/// The edits removing members flagged in `removed`, with their commas, and their lines when
/// they stand on lines of their own.
fn removal_edits(text: &str, members: &[Member], removed: &[bool]) -> Vec<Edit> {
    // The start of the line holding `o` if only spaces stand before `o` on it.
    let starts_line = |o: usize| {
        let before = text.as_bytes().get(..o)?;
        let spaces = before
            .iter()
            .rev()
            .take_while(|&&b| b == b' ' || b == b'\t')
            .count();
        let ls = o - spaces;
        (ls == 0 || before.get(ls - 1) == Some(&b'\n')).then_some(ls)
    };
    let mut edits = Vec::new();
    let mut i = 0;
    while i < members.len() {
        if !removed.get(i).copied().unwrap_or(false) {
            i += 1;
            continue;
        }
        let first = i;
        while removed.get(i).copied().unwrap_or(false) {
            i += 1;
        }
        let (Some(f), Some(l)) = (members.get(first), members.get(i - 1)) else {
            break;
        };
        let range = match (
            members.get(i),
            first.checked_sub(1).and_then(|p| members.get(p)),
        ) {
            (Some(next), _) => {
                match (
                    starts_line(f.key_span.start),
                    starts_line(next.key_span.start),
                ) {
                    (Some(a), Some(b)) => (a, b),
                    _ => (f.key_span.start, next.key_span.start),
                }
            }
            (None, Some(prev)) => (prev.value.span.end, l.value.span.end),
            (None, None) => (f.key_span.start, l.value.span.end),
        };
        edits.push(Edit::new(range.0, range.1, ""));
    }
    edits
}

fn quoted(s: &str) -> String {
    json_string(s)
}

fn describe_value(v: &Value) -> String {
    match &v.kind {
        Kind::String(s) => format!("the string {}", json_string(s)),
        Kind::Number(n) => format!("the number {n}"),
        Kind::Bool(b) => b.to_string(),
        other => other.describe().to_owned(),
    }
}

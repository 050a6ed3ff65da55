//! Keys and values of a parsed daemon.json, judged as dockerd of one version judges them:
//! unknown, ignored, removed, too new and other-platform keys, duplicate keys, JSON types, and
//! dockerd's own checks on values (`config.Validate` and the checks at daemon start).

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value as J};

use super::Options;
use super::keys::{self, CheckStage, JsonType, Platform};
use super::versions::refused_by;
use crate::daemon_json::{Document, Kind, Member, Value};
use crate::diag::Diagnostic;
use crate::version::EngineVersion;

const V23_0: EngineVersion = EngineVersion::new(23, 0);

fn platform_name(p: Platform) -> &'static str {
    match p {
        Platform::Linux => "Linux",
        Platform::Windows => "Windows",
    }
}

fn other(p: Platform) -> Platform {
    match p {
        Platform::Linux => Platform::Windows,
        Platform::Windows => Platform::Linux,
    }
}

/// `s` as a JSON string literal.
fn quoted(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| format!("\"{s}\""))
}

/// The source text of a value, shortened for a help line.
fn source<'t>(text: &'t str, v: &Value) -> &'t str {
    text.get(v.span.clone())
        .filter(|s| s.len() <= 160 && !s.contains('\n'))
        .unwrap_or("[...]")
}

/// The top-level members with the index of the last occurrence of each key (dockerd keeps
/// the last of duplicates in its map of the file).
fn last_of(members: &[Member]) -> HashMap<&str, usize> {
    let mut last = HashMap::new();
    for (i, m) in members.iter().enumerate() {
        last.insert(m.key.as_str(), i);
    }
    last
}

/// The registry lists, whose entries only the registry rules read (see `super::registries`).
const REGISTRY_LISTS: [&str; 2] = ["insecure-registries", "registry-mirrors"];

/// The top-level settings as dockerd's map of the file has them (the last of duplicate keys
/// wins), as serde values for the rules that read values. A registry list of nothing but strings
/// is converted as an empty list: no rule here reads its entries, and the type rule finds an
/// all-string list as right as an empty one. (Converting a 10,000-entry list took a third of
/// validating the file, and as much memory again as its parse.)
fn settings_map(members: &[Member]) -> Map<String, J> {
    let mut map = Map::new();
    for m in members {
        let strings_only =
            |items: &[Value]| items.iter().all(|i| matches!(i.kind, Kind::String(_)));
        let value = match &m.value.kind {
            Kind::Array(items)
                if REGISTRY_LISTS.contains(&m.key.as_str()) && strings_only(items) =>
            {
                J::Array(Vec::new())
            }
            _ => m.value.to_serde(),
        };
        map.insert(m.key.clone(), value);
    }
    map
}

/// Every rule of this module; pushes its findings to `out`.
pub(super) fn check(doc: &Document, text: &str, opts: &Options, out: &mut Vec<Diagnostic>) {
    let Ok(members) = doc.root_object() else {
        return;
    };
    let (e, p) = (opts.engine, opts.platform);
    let map = settings_map(members);
    duplicates(&doc.root, text, out);
    huge_numbers(&doc.root, text, out);

    let last = last_of(members);
    let unknown: HashSet<String> = keys::dockerd_unknown_keys(&map, e, p).into_iter().collect();
    let checks = keys::dockerd_checks(&map, e, p);

    for (i, m) in members.iter().enumerate() {
        if last.get(m.key.as_str()) != Some(&i) {
            continue;
        }
        key_rule(m, &map, &unknown, &checks, text, opts, out);
    }
    for (i, m) in members.iter().enumerate() {
        // The last occurrence's value is already converted in `map` (the last one wins there).
        let converted = if last.get(m.key.as_str()) == Some(&i) {
            map.get(m.key.as_str())
        } else {
            None
        };
        type_rule(m, converted, text, opts, out);
    }
    for c in &checks {
        out.push(check_diag(c, members, &last, &map, text, opts));
    }
    for c in start_checks(&map, e, p, opts.build()) {
        out.push(check_diag(&c, members, &last, &map, text, opts));
    }
}

const V27_0: EngineVersion = EngineVersion::new(27, 0);
const V28_0: EngineVersion = EngineVersion::new(28, 0);

/// Checks dockerd runs at daemon start on settings that depend on each other
/// (`verifyDaemonSettings` in daemon/daemon_unix.go, the same from 20.10 to 29.x except where
/// noted), which [`keys::dockerd_checks`] leaves out. Only what the file alone decides: a
/// setting given as a flag instead is not seen here.
fn start_checks(
    map: &Map<String, J>,
    e: EngineVersion,
    p: Platform,
    build: keys::Build,
) -> Vec<keys::DockerdCheck> {
    let mut out = Vec::new();
    let get = |k: &str| {
        keys::lookup_for(k, e, p)?;
        map.get(k)
    };
    let s = |k: &str| get(k).and_then(J::as_str).filter(|v| !v.is_empty());
    let b = |k: &str| get(k).and_then(J::as_bool);
    let mut push = |key: &'static str, message: String| {
        out.push(keys::DockerdCheck {
            key,
            message,
            stage: CheckStage::Start,
        });
    };
    if e < V23_0 {
        // ParseClusterAdvertiseSettings; Debian's 20.10 is built without the discovery backends.
        if s("cluster-advertise").is_some() && s("cluster-store").is_none() {
            push("cluster-advertise", "invalid cluster configuration. --cluster-advertise must be accompanied by --cluster-store configuration".into());
        }
        if s("cluster-store").is_some() && build == keys::Build::DEBIAN_12_20_10 {
            push(
                "cluster-store",
                "discovery initialization failed (discovery service not supported)".into(),
            );
        }
    }
    if p != Platform::Linux {
        return out;
    }
    if s("containerd-namespace") == Some("plugins.moby") {
        push(
            "containerd-namespace",
            "containers namespace and plugins namespace cannot be the same".into(),
        );
    }
    if s("bridge").is_some() && s("bip").is_some() {
        push(
            "bip",
            "You specified -b & --bip, mutually exclusive options. Please specify only one".into(),
        );
    }
    if e >= V28_0 && s("bridge").is_some() && s("bip6").is_some() {
        push(
            "bip6",
            "You specified -b & --bip6, mutually exclusive options. Please specify only one".into(),
        );
    }
    if b("icc") == Some(false) {
        if b("iptables") == Some(false) {
            push("icc", "You specified --iptables=false with --icc=false. ICC=false uses iptables to function. Please set --icc or --iptables to true".into());
        } else if e >= V27_0 && b("ipv6") == Some(true) && b("ip6tables") == Some(false) {
            push("icc", "You specified --ip6tables=false with --icc=false. ICC=false uses ip6tables to function. Please set --icc or --ip6tables to true".into());
        }
    }
    if e < V27_0 && b("ip6tables") == Some(true) && b("experimental") != Some(true) {
        push(
            "ip6tables",
            "ip6tables rules are only available if experimental features are enabled".into(),
        );
    }
    // getCD: the first exec-opt whose key is native.cgroupdriver (any case).
    let driver = get("exec-opts")
        .and_then(J::as_array)
        .into_iter()
        .flatten()
        .filter_map(J::as_str)
        .filter_map(|o| o.split_once('='))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("native.cgroupdriver"))
        .map(|(_, v)| v.trim().to_string());
    match driver.as_deref() {
        None | Some("" | "cgroupfs" | "systemd") => {}
        Some("none") => push(
            "exec-opts",
            "native.cgroupdriver option none is internally used and cannot be specified manually"
                .into(),
        ),
        Some(other) => push(
            "exec-opts",
            format!("native.cgroupdriver option {other} not supported"),
        ),
    }
    if driver.as_deref() == Some("systemd")
        && let Some(parent) = s("cgroup-parent")
        && (parent.len() <= 6 || !parent.ends_with(".slice"))
    {
        push(
            "cgroup-parent",
            "cgroup-parent for systemd cgroup should be a valid slice named as \"xxx.slice\""
                .into(),
        );
    }
    out
}

/// Whether dockerd `e` refuses a file holding just `key: value` (unknown key, type error, or
/// one of its checks on that key).
fn refused_alone(key: &str, value: &J, e: EngineVersion, p: Platform) -> bool {
    let mut one = Map::new();
    one.insert(key.to_string(), value.clone());
    !keys::dockerd_unknown_keys(&one, e, p).is_empty()
        || keys::type_error(key, value, e, p).is_some()
        || keys::dockerd_checks(&one, e, p)
            .iter()
            .any(|c| c.key == key)
}

#[allow(clippy::too_many_arguments)]
fn key_rule(
    m: &Member,
    map: &Map<String, J>,
    unknown: &HashSet<String>,
    checks: &[keys::DockerdCheck],
    text: &str,
    opts: &Options,
    out: &mut Vec<Diagnostic>,
) {
    let (e, p) = (opts.engine, opts.platform);
    let k = m.key.as_str();
    // Borrowed, not cloned: the value may be a list of 100,000 registries.
    let value = map.get(k).unwrap_or(&J::Null);
    let flattened_obj = match &m.value.kind {
        Kind::Object(inner) if keys::flattens(k, e) => Some(inner),
        _ => None,
    };
    let at = m.key_span.start;

    if let Some(info) = keys::lookup_for(k, e, p) {
        if let Some(r) = info.removed
            && r.warned_since.is_some_and(|w| e >= w)
        {
            out.push(
                Diagnostic::warning(
                    "deprecated-key",
                    format!(
                        "{} is deprecated: {}",
                        quoted(k),
                        refused_by(|v| refused_alone(k, value, v, p), "accept it")
                    ),
                )
                .with_help(r.help)
                .at(text, at),
            );
        }
        // Objects such as "proxies" are checked by the keys inside.
        if let Some(inner) = flattened_obj {
            for im in inner.iter().filter(|im| unknown.contains(&im.key)) {
                let help = match nearest(&im.key, info) {
                    Some(s) => format!("did you mean {}?", quoted(s)),
                    None => format!("{}: {}", quoted(k), info.meaning),
                };
                out.push(
                    Diagnostic::error(
                        "unknown-key",
                        format!(
                            "unknown key {} in {}: dockerd refuses the file",
                            quoted(&im.key),
                            quoted(k)
                        ),
                    )
                    .with_help(help)
                    .at(text, im.key_span.start),
                );
            }
        }
        return;
    }

    if let Some(ig) = keys::ignored_flag_key(k, e, p) {
        let (message, help) = match ig.plural {
            Some(pl) => {
                let is_list = keys::lookup(pl).is_some_and(|i| i.ty == JsonType::StringList);
                let list = match &m.value.kind {
                    Kind::String(s) if is_list => format!("[{}]", quoted(s)),
                    Kind::Array(_) if is_list => source(text, &m.value).to_string(),
                    Kind::Object(_) if !is_list => source(text, &m.value).to_string(),
                    _ if is_list => "[...]".to_string(),
                    _ => "{...}".to_string(),
                };
                let mut help = format!(
                    "the setting is {}: write {}: {list}",
                    quoted(pl),
                    quoted(pl)
                );
                if map.contains_key(pl) {
                    help = format!(
                        "the setting is {}, which this file also has: move these values into it (`dockcfg fix` merges them)",
                        quoted(pl)
                    );
                }
                (
                    format!(
                        "{} is the name of the command-line flag --{k}: dockerd {e} accepts it here but ignores it, so this setting never takes effect",
                        quoted(k)
                    ),
                    help,
                )
            }
            None => (
                format!(
                    "{} is a command-line flag, not a daemon.json setting: dockerd {e} accepts it here but ignores it",
                    quoted(k)
                ),
                ig.help.to_string(),
            ),
        };
        // An object under a flag name is flattened: dockerd checks the keys inside.
        let inner_unknown: Vec<&str> = flattened_obj
            .map(|inner| {
                inner
                    .iter()
                    .filter(|im| unknown.contains(&im.key))
                    .map(|im| im.key.as_str())
                    .collect()
            })
            .unwrap_or_default();
        let message = match inner_unknown.first() {
            Some(first) => format!(
                "{} is the name of the command-line flag --{k}, not a daemon.json setting: dockerd {e} refuses the file, because it checks the keys inside the object (such as {}) against its options",
                quoted(k),
                quoted(first)
            ),
            None => message,
        };
        out.push(
            Diagnostic::error("ignored-key", message)
                .with_help(help)
                .at(text, at),
        );
        return;
    }

    // A check that names this key says it better (with dockerd's words).
    if checks.iter().any(|c| c.key == k) {
        return;
    }
    let refused = match flattened_obj {
        Some(inner) => inner.iter().any(|im| unknown.contains(&im.key)),
        None => unknown.contains(k),
    };
    let (code, what, help) = why_not_applied(k, e, p);
    let effect = if refused {
        refused_by(|v| refused_alone(k, value, v, p), "accept it")
    } else if flattened_obj.is_some() {
        format!(
            "dockerd {e} does not notice it (it checks only the keys inside, which are option names) and ignores the whole object"
        )
    } else {
        format!("dockerd {e} accepts it but ignores it")
    };
    out.push(
        Diagnostic::error(code, format!("{what}: {effect}"))
            .with_help(help)
            .at(text, at),
    );
}

/// Why a key is not a setting of dockerd `e` on `p`: (code, what, help).
fn why_not_applied(k: &str, e: EngineVersion, p: Platform) -> (&'static str, String, String) {
    match keys::lookup(k) {
        Some(info) if !info.platform.includes(p) => (
            "platform-key",
            format!(
                "{} is a {}-only setting",
                quoted(k),
                platform_name(other(p))
            ),
            format!(
                "remove it: dockerd on {} has no such setting ({})",
                platform_name(p),
                info.meaning
            ),
        ),
        Some(info) if info.since.is_some_and(|s| e < s) => {
            let since = info.since.unwrap_or(e);
            (
                "too-new-key",
                format!(
                    "{} is too new for dockerd {e} (it first appeared in {since})",
                    quoted(k)
                ),
                format!("remove it, or upgrade Docker Engine to {since} or newer"),
            )
        }
        Some(info) if info.removed.is_some_and(|r| e >= r.version) => {
            let (version, help) = info.removed.map_or((e, ""), |r| (r.version, r.help));
            (
                "removed-key",
                format!(
                    "{} no longer works (it stopped taking effect in dockerd {version})",
                    quoted(k)
                ),
                help.to_string(),
            )
        }
        Some(info) => (
            "unknown-key",
            format!(
                "{} is not a setting of dockerd {e} on {}",
                quoted(k),
                platform_name(p)
            ),
            format!("remove it ({})", info.meaning),
        ),
        None => {
            let help = match keys::suggest(k) {
                Some(s) => format!("did you mean {}?", quoted(s)),
                None if keys::ignored_flag_key(k, e, other(p)).is_some() => format!(
                    "it is a command-line flag of dockerd on {}; remove it",
                    platform_name(other(p))
                ),
                None => "remove it, or check the spelling against the list of settings in `dockerd --help`".to_string(),
            };
            ("unknown-key", format!("unknown key {}", quoted(k)), help)
        }
    }
}

/// The nearest known field inside an object key (for "proxies": http-proxy, https-proxy, no-proxy).
fn nearest(inner: &str, parent: &keys::KeyInfo) -> Option<&'static str> {
    let fields: &[&'static str] = match parent.name {
        "proxies" => &["http-proxy", "https-proxy", "no-proxy"],
        _ => return None,
    };
    let norm = inner.to_lowercase().replace('_', "-");
    fields
        .iter()
        .copied()
        .find(|f| *f == norm || f.trim_end_matches('s') == norm.trim_end_matches('s'))
        .or_else(|| {
            fields
                .iter()
                .copied()
                .find(|f| f.split('-').next() == norm.split('-').next())
        })
}

/// Duplicate keys in every object: a warning at each later occurrence.
fn duplicates(root: &Value, text: &str, out: &mut Vec<Diagnostic>) {
    root.walk(|v| {
        if let Kind::Object(members) = &v.kind {
            let mut first: HashMap<&str, &Member> = HashMap::new();
            for m in members {
                match first.get(m.key.as_str()) {
                    Some(f) => {
                        let line = crate::diag::Pos::at(text, f.key_span.start).line;
                        let both_objects = matches!(f.value.kind, Kind::Object(_))
                            && matches!(m.value.kind, Kind::Object(_));
                        let effect = if both_objects {
                            "dockerd merges the two objects, this one winning for keys they share"
                        } else {
                            "dockerd uses this last value"
                        };
                        out.push(
                            Diagnostic::warning(
                                "duplicate-key",
                                format!(
                                    "{} is set more than once (first on line {line}): {effect}",
                                    quoted(&m.key)
                                ),
                            )
                            .with_help("keep one of them")
                            .at(text, m.key_span.start),
                        );
                    }
                    None => {
                        first.insert(m.key.as_str(), m);
                    }
                }
            }
        }
    });
}

/// Numbers beyond the range of a 64-bit float: Go's decoder refuses them wherever they are.
fn huge_numbers(root: &Value, text: &str, out: &mut Vec<Diagnostic>) {
    root.walk(|v| {
        if let Kind::Number(raw) = &v.kind
            && serde_json::from_str::<serde_json::Number>(raw).is_err()
        {
            out.push(
                Diagnostic::error(
                    "type",
                    format!(
                        "the number {raw} is too large for dockerd's JSON decoder: every dockerd refuses it"
                    ),
                )
                .with_help("write a smaller number")
                .at(text, v.span.start),
            );
        }
    });
}

/// What a JSON type is called in a message, and the node of `v` that breaks `ty` (the value
/// itself, a list item or an object member), when it can be found by shape alone.
fn misfit(v: &Value, ty: JsonType) -> Option<(&Value, &'static str, Option<&str>)> {
    let is_int = |v: &Value| match &v.kind {
        Kind::Number(raw) => !raw.contains(['.', 'e', 'E']),
        Kind::Null => true,
        _ => false,
    };
    let of = |v: &Value, want: fn(&Kind) -> bool| want(&v.kind) || matches!(v.kind, Kind::Null);
    let string = |k: &Kind| matches!(k, Kind::String(_));
    let boolean = |k: &Kind| matches!(k, Kind::Bool(_));
    match ty {
        JsonType::Bool => (!of(v, boolean)).then_some((v, "true or false", None)),
        JsonType::Integer => (!is_int(v)).then_some((v, "a whole number", None)),
        JsonType::String => (!of(v, string)).then_some((v, "a string", None)),
        JsonType::StringList => match &v.kind {
            Kind::Array(items) => items
                .iter()
                .find(|i| !of(i, string))
                .map(|i| (i, "a string", None)),
            Kind::Null => None,
            _ => Some((v, "a list of strings", None)),
        },
        JsonType::StringMap | JsonType::BoolMap => {
            let (want, name): (fn(&Kind) -> bool, _) = if ty == JsonType::StringMap {
                (string, "a string")
            } else {
                (boolean, "true or false")
            };
            match &v.kind {
                Kind::Object(members) => members
                    .iter()
                    .find(|m| !of(&m.value, want))
                    .map(|m| (&m.value, name, Some(m.key.as_str()))),
                Kind::Null => None,
                _ => Some((v, ty.describe(), None)),
            }
        }
        JsonType::StringMapMap => match &v.kind {
            Kind::Object(members) => members.iter().find_map(|m| match &m.value.kind {
                Kind::Object(inner) => inner
                    .iter()
                    .find(|im| !of(&im.value, string))
                    .map(|im| (&im.value, "a string", Some(im.key.as_str()))),
                Kind::Null => None,
                _ => Some((&m.value, "an object of strings", Some(m.key.as_str()))),
            }),
            Kind::Null => None,
            _ => Some((v, ty.describe(), None)),
        },
        JsonType::Object | JsonType::ObjectMap => match &v.kind {
            Kind::Object(_) | Kind::Null => None,
            _ => Some((v, ty.describe(), None)),
        },
        JsonType::ObjectList => match &v.kind {
            Kind::Array(items) => items
                .iter()
                .find(|i| !matches!(i.kind, Kind::Object(_) | Kind::Null))
                .map(|i| (i, "an object", None)),
            Kind::Null => None,
            _ => Some((v, ty.describe(), None)),
        },
    }
}

/// How to turn the value at fault into what is expected, when it is obvious.
fn type_help(text: &str, bad: &Value, expected: &str, key: &str) -> String {
    let raw = source(text, bad);
    match (&bad.kind, expected) {
        (Kind::Number(_) | Kind::Bool(_), "a string") => {
            format!("put it in double quotes: {}", quoted(raw))
        }
        (Kind::String(s), "a list of strings") => {
            format!("put it in brackets: {}: [{}]", quoted(key), quoted(s))
        }
        (Kind::String(s), "true or false") if s == "true" || s == "false" => {
            format!("write {s} without quotes")
        }
        (Kind::String(s), "a whole number")
            if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit() || b == b'-') =>
        {
            format!("write {s} without quotes")
        }
        _ => match keys::lookup(key) {
            Some(info) => format!(
                "{} is {}: {}",
                quoted(key),
                info.ty.describe(),
                info.meaning
            ),
            None => format!("{} must be {expected}", quoted(key)),
        },
    }
}

/// A JSON type error for one occurrence of a top-level key (Go decodes every occurrence).
/// `converted` is its value as `to_serde` makes it, when the caller has it already.
fn type_rule(
    m: &Member,
    converted: Option<&J>,
    text: &str,
    opts: &Options,
    out: &mut Vec<Diagnostic>,
) {
    let (e, p) = (opts.engine, opts.platform);
    let k = m.key.as_str();
    let own;
    let serde = match converted {
        Some(v) => v,
        None => {
            own = m.value.to_serde();
            &own
        }
    };
    let Some(go) = keys::type_error_for_build(k, serde, e, p, opts.build()) else {
        return;
    };
    let ty = keys::lookup(k).map(|i| i.ty);
    let found = ty.and_then(|t| misfit(&m.value, t));
    let d = match found {
        Some((bad, expected, inner)) => {
            let place = if std::ptr::eq(bad, &m.value) {
                quoted(k)
            } else if let Some(inner) = inner {
                format!("{} in {}", quoted(inner), quoted(k))
            } else {
                format!("each item of {}", quoted(k))
            };
            Diagnostic::error(
                "type",
                format!(
                    "{place} must be {expected}; here it is {}: every dockerd refuses it",
                    bad.kind.describe()
                ),
            )
            .with_help(type_help(text, bad, expected, k))
            .at(text, bad.span.start)
        }
        None => Diagnostic::error(
            "type",
            format!("{} has a value dockerd cannot read: \"{go}\"", quoted(k)),
        )
        .with_help(match keys::lookup(k) {
            Some(info) => format!("{} is {}: {}", quoted(k), info.ty.describe(), info.meaning),
            None => "check the value's type".to_string(),
        })
        .at(
            text,
            named_item(&m.value, &go).unwrap_or(m.value.span.start),
        ),
    };
    out.push(d);
}

/// The first string item of a list (or string member of an object) that `message` quotes:
/// where a check or a decoder error about one entry points.
fn named_item(v: &Value, message: &str) -> Option<usize> {
    let quotes = |s: &str| !s.trim().is_empty() && message.contains(s.trim());
    match &v.kind {
        Kind::Array(items) => items
            .iter()
            .find(|i| matches!(&i.kind, Kind::String(s) if quotes(s)))
            .map(|i| i.span.start),
        Kind::Object(members) => members
            .iter()
            .find(|m| matches!(&m.value.kind, Kind::String(s) if quotes(s)))
            .map(|m| m.value.span.start),
        _ => None,
    }
}

/// One of dockerd's own checks, at the key (or the list item or member) it is about.
fn check_diag(
    c: &keys::DockerdCheck,
    members: &[Member],
    last: &HashMap<&str, usize>,
    map: &Map<String, J>,
    text: &str,
    opts: &Options,
) -> Diagnostic {
    let (e, p) = (opts.engine, opts.platform);
    let member = last.get(c.key).and_then(|i| members.get(*i));
    // The item a message is about: quoted whole, or its value after `=` (`option X not supported`).
    let names = |s: &str| {
        let s = s.trim();
        let value = s.split_once('=').map_or("", |(_, v)| v.trim());
        (!s.is_empty() && c.message.contains(s))
            || (!value.is_empty() && c.message.contains(&format!(" {value} ")))
    };
    let at = match member {
        Some(m) => match &m.value.kind {
            Kind::Array(items) => items
                .iter()
                .find(|i| matches!(&i.kind, Kind::String(s) if names(s)))
                .map_or(m.value.span.start, |i| i.span.start),
            Kind::Object(inner) => inner
                .iter()
                .find(|im| c.message.contains(&format!(" {}:", im.key)))
                .map_or(m.value.span.start, |im| im.key_span.start),
            _ => m.value.span.start,
        },
        None => 0,
    };
    let build = opts.build;
    let when = refused_by(
        |v| {
            let b = build.unwrap_or_else(|| keys::Build::upstream(v));
            keys::dockerd_checks(map, v, p)
                .iter()
                .chain(start_checks(map, v, p, b).iter())
                .any(|x| x.key == c.key)
        },
        "accept it",
    );
    let stage = if c.stage == CheckStage::Start && e >= V23_0 {
        " (`dockerd --validate` does not catch this; the daemon refuses it when it starts)"
    } else {
        ""
    };
    let help = match keys::lookup(c.key) {
        Some(info) => match info.removed {
            Some(r) => r.help.to_string(),
            None => format!("{}: {}", quoted(c.key), info.meaning),
        },
        None => "fix or remove the value".to_string(),
    };
    Diagnostic::error(
        "invalid-value",
        format!("dockerd refuses this: {}{stage}; {when}", c.message),
    )
    .with_help(help)
    .at(text, at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::Severity;

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

    fn codes(text: &str, e: &str) -> Vec<(usize, usize, Severity, &'static str)> {
        let mut v: Vec<_> = run(text, e)
            .into_iter()
            .map(|(l, c, s, code, _)| (l, c, s, code))
            .collect();
        v.sort_by_key(|x| (x.0, x.1));
        v
    }

    #[test]
    fn keys_by_engine() {
        use Severity::{Error as E, Warning as W};
        type Case<'a> = (&'a str, &'a str, &'a [(usize, usize, Severity, &'a str)]);
        let cases: &[Case] = &[
            (r#"{"debug": true}"#, "20.10", &[]),
            (
                r#"{"registry-mirror": "https://m"}"#,
                "26.1",
                &[(1, 2, E, "ignored-key")],
            ),
            (
                r#"{"insecure-registeries": []}"#,
                "26.1",
                &[(1, 2, E, "unknown-key")],
            ),
            (
                r#"{"log-format": "json"}"#,
                "20.10",
                &[(1, 2, E, "too-new-key")],
            ),
            (r#"{"log-format": "json"}"#, "26.1", &[]),
            (
                r#"{"graph": "/d"}"#,
                "20.10",
                &[(1, 2, W, "deprecated-key")],
            ),
            (r#"{"graph": "/d"}"#, "24.0", &[(1, 2, E, "removed-key")]),
            (r#"{"graph": "/d"}"#, "23.0", &[(1, 11, E, "invalid-value")]),
            (
                r#"{"bogus": {"debug": true}}"#,
                "26.1",
                &[(1, 2, E, "unknown-key")],
            ),
            (
                r#"{"proxies": {"http-proxy": "x", "htp-proxy": "y"}}"#,
                "26.1",
                &[(1, 33, E, "unknown-key")],
            ),
            (
                r#"{"proxies": {"http-proxy": "x"}}"#,
                "20.10",
                &[(1, 2, E, "too-new-key")],
            ),
            (
                r#"{"http-proxy": "http://p:3128"}"#,
                "26.1",
                &[(1, 2, E, "ignored-key")],
            ),
            (
                r#"{"http-proxy": "http://p:3128"}"#,
                "20.10",
                &[(1, 2, E, "unknown-key")],
            ),
            (
                r#"{"debug": true, "debug": "x"}"#,
                "26.1",
                &[(1, 17, W, "duplicate-key"), (1, 26, E, "type")],
            ),
            (
                r#"{"debug": "x", "debug": true}"#,
                "26.1",
                &[(1, 11, E, "type"), (1, 16, W, "duplicate-key")],
            ),
            (
                r#"{"insecure-registries": "a:5000"}"#,
                "26.1",
                &[(1, 25, E, "type")],
            ),
            (
                r#"{"insecure-registries": ["a", 5000]}"#,
                "26.1",
                &[(1, 31, E, "type")],
            ),
            (
                r#"{"log-opts": {"max-size": "10m", "max-file": 3}}"#,
                "26.1",
                &[(1, 46, E, "type")],
            ),
            (r#"{"mtu": 1500.5}"#, "26.1", &[(1, 9, E, "type")]),
            (r#"{"mtu": 1e400}"#, "26.1", &[(1, 9, E, "type")]),
            (
                r#"{"log-level": "verbose"}"#,
                "26.1",
                &[(1, 15, E, "invalid-value")],
            ),
            (
                r#"{"dns": ["8.8.8.8", "dns.google"]}"#,
                "20.10",
                &[(1, 21, E, "invalid-value")],
            ),
            (r#"{"storage-driver": "overlay2"}"#, "26.1", &[]),
            (
                r#"{"cgroupdriver": "systemd"}"#,
                "26.1",
                &[(1, 2, E, "unknown-key")],
            ),
        ];
        for (text, e, want) in cases {
            assert_eq!(codes(text, e), *want, "{text} on {e}: {:#?}", run(text, e));
        }
    }

    #[test]
    fn messages_name_versions_and_fixes() {
        let got = run(r#"{"log-format": "json"}"#, "20.10");
        assert_eq!(
            got[0].4,
            "\"log-format\" is too new for dockerd 20.10 (it first appeared in 25.0): dockerd 20.10 to 24.0 refuse it; 25.0 and newer accept it"
        );
        let got = run(r#"{"registry-mirror": "https://m"}"#, "26.1");
        assert_eq!(
            got[0].4,
            "\"registry-mirror\" is the name of the command-line flag --registry-mirror: dockerd 26.1 accepts it here but ignores it, so this setting never takes effect"
        );
        let got = run(r#"{"bogus": {"debug": true}}"#, "26.1");
        assert!(
            got[0].4.contains("ignores the whole object"),
            "{}",
            got[0].4
        );
        let got = run(r#"{"insecure-registeries": []}"#, "26.1");
        assert_eq!(
            got[0].4,
            "unknown key \"insecure-registeries\": every dockerd refuses it"
        );
    }

    #[test]
    fn help_lines() {
        let text = r#"{"registry-mirror": "https://m", "log-opts": {"max-file": 3}, "debug": "true", "insecure-registeries": []}"#;
        let doc = crate::daemon_json::parse(text).expect("parses");
        let mut out = Vec::new();
        check(
            &doc,
            text,
            &Options::new("26.1".parse().expect("v"), Platform::Linux),
            &mut out,
        );
        let helps: Vec<String> = out.iter().filter_map(|d| d.help.clone()).collect();
        assert!(
            helps.contains(
                &"the setting is \"registry-mirrors\": write \"registry-mirrors\": [\"https://m\"]"
                    .to_string()
            ),
            "{helps:#?}"
        );
        assert!(
            helps.contains(&"put it in double quotes: \"3\"".to_string()),
            "{helps:#?}"
        );
        assert!(
            helps.contains(&"write true without quotes".to_string()),
            "{helps:#?}"
        );
        assert!(
            helps.contains(&"did you mean \"insecure-registries\"?".to_string()),
            "{helps:#?}"
        );
    }
}

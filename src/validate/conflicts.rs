//! A setting given both in daemon.json and as a dockerd flag: dockerd refuses to start
//! ("the following directives are specified both as a flag and in the configuration file").
//!
//! As `findConfigurationConflicts` (daemon/config/config.go, the same from 20.10 to 29.x) does
//! it: the file's keys are flattened one level (`{"proxies": {"http-proxy": ...}}` counts as
//! `http-proxy`); each flag that was set conflicts with the key of its value when it is a named
//! option (`--insecure-registry` with `insecure-registries`, `-H` with `hosts`), else with its own
//! name (`--debug` with `debug`), whatever the two values are; `--add-runtime` never conflicts
//! (`runtimes` is in skipDuplicates). From 28.0 `--host-gateway-ip` also conflicts with the old
//! key `host-gateway-ip`.

use std::collections::BTreeMap;

use crate::daemon_json::{Document, Kind};
use crate::diag::Diagnostic;
use crate::host::{FlagOrigin, FlagSource};

use super::Options;
use super::keys;

/// Where a flag was found, in words: `in /etc/default/docker`, `in the ExecStart of ...`.
fn place(src: &FlagSource) -> String {
    let path = src.path.display();
    match src.origin {
        FlagOrigin::OptsFile => format!("in {path}"),
        FlagOrigin::UnitExecStart => format!("in the ExecStart of {path}"),
        FlagOrigin::DropIn => format!("in the ExecStart of the drop-in {path}"),
        FlagOrigin::RunningCmdline => format!("on the running dockerd's command line ({path})"),
        FlagOrigin::ServiceArgs => format!("in the service's arguments ({path})"),
    }
}

/// How a flag is written: `-H` for host (as the units write it), `--name` otherwise.
fn spelled(name: &str) -> String {
    match name {
        "host" => "-H".to_string(),
        _ => format!("--{name}"),
    }
}

/// Every key of the file that a flag in `flags` also sets, as an error at the key. `text` is the
/// text `doc` was parsed from. Pass only the flag sources the engine really reads.
pub fn conflicts(
    doc: &Document,
    text: &str,
    flags: &[FlagSource],
    opts: &Options,
) -> Vec<Diagnostic> {
    let Ok(members) = doc.root_object() else {
        return Vec::new();
    };
    let (e, p) = (opts.engine, opts.platform);
    // The flattened keys and where they are (the last occurrence of a top-level key wins).
    let mut last: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, m) in members.iter().enumerate() {
        last.insert(m.key.as_str(), i);
    }
    let mut at: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, m) in members.iter().enumerate() {
        if last.get(m.key.as_str()) != Some(&i) {
            continue;
        }
        match &m.value.kind {
            Kind::Object(inner) if keys::flattens(&m.key, e) => {
                for im in inner {
                    at.insert(im.key.as_str(), im.key_span.start);
                }
            }
            _ => {
                at.insert(m.key.as_str(), m.key_span.start);
            }
        }
    }
    // key -> the flags (spelled) and places that also set it.
    let mut hits: BTreeMap<&str, Vec<(String, String)>> = BTreeMap::new();
    // key -> an options file that sets it (where dockcfg can edit the flag instead).
    let mut opts_file: BTreeMap<&str, String> = BTreeMap::new();
    for src in flags {
        for f in &src.flags {
            for key in keys::conflict_keys(&f.name, e, p) {
                if let Some((k, _)) = at.get_key_value(key) {
                    let entry = (spelled(&f.name), place(src));
                    if src.origin == FlagOrigin::OptsFile {
                        opts_file
                            .entry(k)
                            .or_insert_with(|| src.path.display().to_string());
                    }
                    let list = hits.entry(k).or_default();
                    if !list.contains(&entry) {
                        list.push(entry);
                    }
                }
            }
        }
    }
    let mut out = Vec::new();
    for (key, found) in hits {
        let Some(offset) = at.get(key).copied() else {
            continue;
        };
        let places: Vec<String> = found
            .iter()
            .map(|(flag, place)| format!("{flag} {place}"))
            .collect();
        let registry = matches!(key, "insecure-registries" | "registry-mirrors");
        let help = if let (true, Some(path)) = (registry, opts_file.get(key)) {
            format!(
                "keep it in one place: edit the flag where it is (`dockcfg -f {path} ...`), or move it into daemon.json with `dockcfg migrate`"
            )
        } else if key == "hosts" {
            "keep it in one place: remove \"hosts\" from daemon.json, or override the unit's ExecStart in a drop-in (/etc/systemd/system/docker.service.d/) without -H".to_string()
        } else {
            "keep it in one place: `dockcfg migrate` moves the flag into daemon.json".to_string()
        };
        out.push(
            Diagnostic::error(
                "flag-conflict",
                format!(
                    "{} is also set as {}: dockerd refuses to start when a setting is given both as a flag and in daemon.json",
                    serde_json::to_string(key).unwrap_or_default(),
                    places.join(" and as ")
                ),
            )
            .with_help(help)
            .at(text, offset),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::DaemonFlag;
    use crate::validate::keys::Platform;
    use std::path::PathBuf;

    fn src(origin: FlagOrigin, path: &str, flags: &[(&str, Option<&str>)]) -> FlagSource {
        FlagSource {
            origin,
            path: PathBuf::from(path),
            flags: flags
                .iter()
                .map(|(n, v)| DaemonFlag {
                    name: n.to_string(),
                    value: v.map(str::to_string),
                })
                .collect(),
        }
    }

    fn run(text: &str, e: &str, flags: &[FlagSource]) -> Vec<(usize, usize, String)> {
        let doc = crate::daemon_json::parse(text).expect("parses");
        let opts = Options::new(e.parse().expect("v"), Platform::Linux);
        conflicts(&doc, text, flags, &opts)
            .into_iter()
            .map(|d| {
                let p = d.pos.expect("pos");
                (p.line, p.col, d.message)
            })
            .collect()
    }

    #[test]
    fn the_classic_hosts_and_dash_h() {
        let unit = src(
            FlagOrigin::UnitExecStart,
            "/lib/systemd/system/docker.service",
            &[
                ("host", Some("fd://")),
                ("containerd", Some("/run/containerd/containerd.sock")),
            ],
        );
        let got = run(
            "{\n  \"hosts\": [\"tcp://0.0.0.0:2375\"]\n}",
            "20.10",
            &[unit],
        );
        assert_eq!(
            got,
            [(
                2,
                3,
                "\"hosts\" is also set as -H in the ExecStart of /lib/systemd/system/docker.service: dockerd refuses to start when a setting is given both as a flag and in daemon.json".to_string()
            )]
        );
    }

    #[test]
    fn which_flags_conflict_with_which_keys() {
        let opts = |flags: &[(&str, Option<&str>)]| {
            vec![src(FlagOrigin::OptsFile, "/etc/default/docker", flags)]
        };
        // (file, engine, flags, conflicting key positions as (line, col))
        type Case<'a> = (
            &'a str,
            &'a str,
            &'a [(&'a str, Option<&'a str>)],
            &'a [(usize, usize)],
        );
        let cases: &[Case] = &[
            (
                r#"{"insecure-registries": []}"#,
                "26.1",
                &[("insecure-registry", Some("a:5000"))],
                &[(1, 2)],
            ),
            (
                r#"{"insecure-registry": []}"#,
                "26.1",
                &[("insecure-registry", Some("a:5000"))],
                &[],
            ),
            (
                r#"{"registry-mirrors": []}"#,
                "26.1",
                &[("insecure-registry", Some("a:5000"))],
                &[],
            ),
            (
                r#"{"debug": false}"#,
                "20.10",
                &[("debug", None)],
                &[(1, 2)],
            ),
            (
                r#"{"iptables": false}"#,
                "26.1",
                &[("iptables", Some("false"))],
                &[(1, 2)],
            ),
            (
                r#"{"runtimes": {}}"#,
                "26.1",
                &[("add-runtime", Some("x=/bin/x"))],
                &[],
            ),
            (
                r#"{"proxies": {"http-proxy": "x"}}"#,
                "26.1",
                &[("http-proxy", Some("y"))],
                &[(1, 14)],
            ),
            (
                r#"{"labels": ["a=b"]}"#,
                "26.1",
                &[("label", Some("c=d"))],
                &[(1, 2)],
            ),
            (
                r#"{"host-gateway-ip": "1.2.3.4"}"#,
                "28.0",
                &[("host-gateway-ip", Some("1.2.3.5"))],
                &[(1, 2)],
            ),
            (
                r#"{"host-gateway-ips": ["1.2.3.4"]}"#,
                "26.1",
                &[("host-gateway-ip", Some("1.2.3.5"))],
                &[],
            ),
            (
                r#"{"config-file": "x"}"#,
                "26.1",
                &[("config-file", Some("/etc/docker/daemon.json"))],
                &[(1, 2)],
            ),
            (
                r#"{"bogus-flag": 1}"#,
                "26.1",
                &[("bogus-flag", Some("1"))],
                &[],
            ),
        ];
        for (text, e, flags, want) in cases {
            let got: Vec<(usize, usize)> = run(text, e, &opts(flags))
                .into_iter()
                .map(|(l, c, _)| (l, c))
                .collect();
            assert_eq!(got, *want, "{text} with {flags:?} on {e}");
        }
    }

    #[test]
    fn several_places_are_named_once_each() {
        let a = src(
            FlagOrigin::OptsFile,
            "/etc/default/docker",
            &[
                ("registry-mirror", Some("https://a")),
                ("registry-mirror", Some("https://b")),
            ],
        );
        let b = src(
            FlagOrigin::DropIn,
            "/etc/systemd/system/docker.service.d/m.conf",
            &[("registry-mirror", Some("https://c"))],
        );
        let got = run(r#"{"registry-mirrors": []}"#, "26.1", &[a, b]);
        assert_eq!(got.len(), 1);
        assert!(got[0].2.starts_with("\"registry-mirrors\" is also set as --registry-mirror in /etc/default/docker and as --registry-mirror in the ExecStart of the drop-in /etc/systemd/system/docker.service.d/m.conf:"), "{}", got[0].2);
    }
}

//! `status`: the engine found, the registry settings in the file next to those the running
//! engine reports, the drift between them, and flag/file conflicts. `--json` too.

use std::path::Path;

use anyhow::Result;
use serde_json::json;

use super::undo::as_text;
use super::{config_file, print_json, print_stdout};
use crate::apply::{self, RegistryView};
use crate::edit::{self, FileKind};
use crate::engine::{self, Engine as _, HttpEngine, Info};
use crate::exit::Exit;
use crate::host::{DaemonFlag, Detected, FlagOrigin};
use crate::output::Messages;
use crate::settings::{Env, RegistryKey, Settings};

/// A registry setting given both as a dockerd flag and in daemon.json: dockerd refuses to
/// start (and to reload) with such a pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Conflict {
    pub key: RegistryKey,
    /// Where the flag is (`/etc/default/docker`, `/proc/812/cmdline`).
    pub flag_in: String,
    pub config_file: String,
}

impl Conflict {
    pub fn message(&self) -> String {
        format!(
            "--{} is given in {} and {} sets {}: dockerd refuses to start with both; \
             `dockcfg migrate` moves the flags into the file",
            self.key.flag(),
            self.flag_in,
            self.config_file,
            self.key.json_key()
        )
    }
}

/// Conflicts between the flags of `sources` (place, flags) and the keys the config file sets.
pub(crate) fn conflicts(
    sources: &[(String, Vec<DaemonFlag>)],
    config_file: &str,
    file_sets: &[RegistryKey],
) -> Vec<Conflict> {
    let mut out = Vec::new();
    for key in file_sets {
        for (place, flags) in sources {
            if flags.iter().any(|f| f.name == key.flag()) {
                out.push(Conflict {
                    key: *key,
                    flag_in: place.clone(),
                    config_file: config_file.to_string(),
                });
            }
        }
    }
    out
}

/// The flags a source holds: as detected, or read from a DOCKER_OPTS file.
fn source_flags(path: &Path, given: &[DaemonFlag], origin: FlagOrigin) -> Vec<DaemonFlag> {
    if origin != FlagOrigin::OptsFile || !given.is_empty() {
        return given.to_vec();
    }
    let Ok(text) = std::fs::read_to_string(path) else {
        return Vec::new();
    };
    crate::opts_file::parse(&text)
        .map(|f| {
            f.flags()
                .into_iter()
                .map(|f| DaemonFlag {
                    name: f.long_name().to_string(),
                    value: f.value,
                })
                .collect()
        })
        .unwrap_or_default()
}

/// What the engine said, or why it could not be asked.
enum EngineSeen {
    Unknown,
    /// Not running, and why we think so.
    Down(String),
    Error(String),
    Up(Box<Info>, usize, String),
}

fn ask_engine(settings: &Settings, env: &Env, d: &Detected) -> EngineSeen {
    let ep =
        match engine::choose_endpoint(settings.apply.host.as_deref(), &env.view, &d.engine_host) {
            Ok(ep) => ep,
            Err(e) => return EngineSeen::Error(e),
        };
    let e = HttpEngine::new(ep);
    if let (Some(p), None) = (&settings.apply.pidfile, &d.daemon) {
        return EngineSeen::Down(format!("no dockerd runs with the pid in {}", p.display()));
    }
    match e.ping().and_then(|_| e.info()) {
        Ok(info) => {
            let n = e.running_containers().unwrap_or(0);
            EngineSeen::Up(Box::new(info), n, e.endpoint())
        }
        Err(err) if err.is_down() => {
            EngineSeen::Down(format!("nothing answers on {}", e.endpoint()))
        }
        Err(err) => EngineSeen::Error(err.to_string()),
    }
}

fn show(values: &[String]) -> String {
    if values.is_empty() {
        "(none)".into()
    } else {
        values.join(", ")
    }
}

pub(super) fn status(
    settings: &Settings,
    env: &Env,
    detected: &Detected,
    msgs: &Messages,
) -> Result<Exit> {
    let file = config_file(settings, env)?;
    let path = file.label();
    let bytes = file.read()?;
    let kind = FileKind::detect(&settings.target, bytes.as_deref());
    let mut file_values = Vec::new();
    for key in [RegistryKey::Insecure, RegistryKey::Mirrors] {
        file_values.push(edit::read_current(&path, kind, bytes.as_deref(), key)?.values);
    }
    let text = as_text(kind, bytes.as_deref());
    let expected = apply::expected(kind, text.as_deref(), text.as_deref());
    let seen = if settings.root.is_some() {
        EngineSeen::Unknown
    } else {
        ask_engine(settings, env, detected)
    };
    let view: Option<RegistryView> = match &seen {
        EngineSeen::Up(info, _, _) => Some(apply::view_of(&info.registry)),
        _ => None,
    };

    // Conflicts: flags anywhere vs keys set in the daemon.json the engine reads.
    let found = {
        let d = detected;
        let sources: Vec<(String, Vec<DaemonFlag>)> = d
            .flag_sources
            .iter()
            .map(|s| {
                (
                    s.path.display().to_string(),
                    source_flags(
                        &super::detection::on_disk(settings, &s.path),
                        &s.flags,
                        s.origin,
                    ),
                )
            })
            .collect();
        let cfg_text = std::fs::read(super::detection::on_disk(settings, &d.config_file)).ok();
        let cfg_kind = FileKind::DaemonJson;
        let cfg = as_text(cfg_kind, cfg_text.as_deref());
        let cfg_expected = apply::expected(cfg_kind, cfg.as_deref(), cfg.as_deref());
        let sets: Vec<RegistryKey> = [RegistryKey::Insecure, RegistryKey::Mirrors]
            .into_iter()
            .filter(|k| match k {
                RegistryKey::Insecure => cfg_expected.insecure.is_some(),
                RegistryKey::Mirrors => cfg_expected.mirrors.is_some(),
            })
            .collect();
        conflicts(&sources, &d.config_file.display().to_string(), &sets)
    };

    let drifts: Vec<(RegistryKey, Option<apply::ListDrift>)> =
        [RegistryKey::Insecure, RegistryKey::Mirrors]
            .into_iter()
            .map(|k| (k, view.as_ref().and_then(|v| apply::drift(v, &expected, k))))
            .collect();
    let in_sync = view.as_ref().map(|v| apply::matches(v, &expected));

    if settings.json {
        let engine_json = match &seen {
            EngineSeen::Unknown => {
                json!({"running": null, "reason": "--root: the engine is not asked"})
            }
            EngineSeen::Down(why) => json!({"running": false, "reason": why}),
            EngineSeen::Error(e) => json!({"running": null, "error": e}),
            EngineSeen::Up(info, n, ep) => json!({
                "running": true,
                "endpoint": ep,
                "version": info.server_version,
                "pid": detected.daemon.as_ref().map(|d| d.pid),
                "live_restore": info.live_restore,
                "containers_running": n,
            }),
        };
        let mut regs = serde_json::Map::new();
        for ((key, d), values) in drifts.iter().zip(&file_values) {
            let engine_values = view.as_ref().map(|v| match key {
                RegistryKey::Insecure => v.insecure.clone(),
                RegistryKey::Mirrors => v.mirrors.clone(),
            });
            regs.insert(
                key.json_key().into(),
                json!({
                    "file": values,
                    "engine": engine_values,
                    "missing_in_engine": d.as_ref().map(|d| d.missing.clone()),
                    "extra_in_engine": d.as_ref().map(|d| d.extra.clone()),
                    "order_differs": d.as_ref().map(|d| d.order),
                }),
            );
        }
        print_json(&json!({
            "detected": detected.to_json(),
            "engine": engine_json,
            "file": path,
            "kind": match kind { FileKind::DaemonJson => "daemon.json", FileKind::OptsFile => "opts" },
            "registries": regs,
            "in_sync": in_sync,
            "conflicts": found.iter().map(Conflict::message).collect::<Vec<_>>(),
        }))?;
        return Ok(Exit::Done);
    }

    let mut out = String::new();
    let pid = detected
        .daemon
        .as_ref()
        .map(|d| format!(" (pid {})", d.pid))
        .unwrap_or_default();
    let engine_line = match &seen {
        EngineSeen::Unknown if settings.root.is_some() => "not asked (--root)".to_string(),
        EngineSeen::Unknown => "not asked".to_string(),
        EngineSeen::Down(why) if why.starts_with("no dockerd") => format!("not running ({why})"),
        EngineSeen::Down(why) => format!("not running ({why})"),
        EngineSeen::Error(e) => format!("cannot be asked: {e}"),
        EngineSeen::Up(info, n, ep) => format!(
            "dockerd {}{pid} on {ep}, live-restore {}, {n} container{} running",
            info.server_version,
            if info.live_restore { "on" } else { "off" },
            if *n == 1 { "" } else { "s" }
        ),
    };
    for line in detected.describe() {
        out.push_str(&line);
        out.push('\n');
    }
    out.push_str(&format!("engine reports: {engine_line}\n"));
    out.push_str(&format!("file: {path}\n"));
    for ((key, d), values) in drifts.iter().zip(&file_values) {
        out.push_str(&format!(
            "{} in the file: {}\n",
            key.json_key(),
            show(values)
        ));
        if let Some(v) = &view {
            let ev = match key {
                RegistryKey::Insecure => &v.insecure,
                RegistryKey::Mirrors => &v.mirrors,
            };
            out.push_str(&format!("{} in the engine: {}\n", key.json_key(), show(ev)));
        }
        if let Some(d) = d {
            if !d.missing.is_empty() {
                out.push_str(&format!("  not in the engine: {}\n", d.missing.join(", ")));
            }
            if !d.extra.is_empty() {
                out.push_str(&format!("  only in the engine: {}\n", d.extra.join(", ")));
            }
            if d.order {
                out.push_str("  the engine uses the mirrors in another order\n");
            }
        }
    }
    print_stdout(&out)?;
    match in_sync {
        Some(true) => msgs.info("the engine uses the file's registry settings"),
        Some(false) => msgs.warn(
            "the engine does not use the file's registry settings: `dockcfg apply` applies them",
        ),
        None => {}
    }
    for c in &found {
        msgs.warn(&c.message());
    }
    Ok(Exit::Done)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conflicts_between_flags_and_the_file() {
        let flag = |n: &str, v: &str| DaemonFlag {
            name: n.into(),
            value: Some(v.into()),
        };
        let sources = vec![
            (
                "/etc/default/docker".to_string(),
                vec![
                    flag("insecure-registry", "a:5000"),
                    flag("iptables", "false"),
                ],
            ),
            (
                "/proc/812/cmdline".to_string(),
                vec![flag("registry-mirror", "https://m")],
            ),
        ];
        let found = conflicts(
            &sources,
            "/etc/docker/daemon.json",
            &[RegistryKey::Insecure, RegistryKey::Mirrors],
        );
        assert_eq!(found.len(), 2);
        assert_eq!(
            found[0].message(),
            "--insecure-registry is given in /etc/default/docker and /etc/docker/daemon.json sets \
             insecure-registries: dockerd refuses to start with both; `dockcfg migrate` moves the \
             flags into the file"
        );
        assert_eq!(found[1].flag_in, "/proc/812/cmdline");
        assert!(conflicts(&sources, "/etc/docker/daemon.json", &[]).is_empty());
    }
}

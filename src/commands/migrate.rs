//! `migrate`: move `--insecure-registry` and `--registry-mirror` flags from DOCKER_OPTS /
//! OPTIONS files and from the `ExecStart=` of the systemd unit (or its drop-in) into daemon.json,
//! so the engine never gets a setting twice. Diffs shown, every file backed up (each undone with
//! `dockcfg -f FILE undo`), then applied with a restart (flags are read only at start; systemd
//! re-reads a changed unit first), rolled back together when the engine does not come back.
//! A unit file under /lib or /usr/lib belongs to its package and is never edited: a drop-in
//! overrides its `ExecStart=` instead.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use serde_json::json;

use super::applying::{self, Request};
use super::{config_file_at, print_diff, print_json};
use crate::apply::{Change, Expected};
use crate::edit::{self, FileKind};
use crate::exit::{Exit, FileError, UsageError};
use crate::host::unit_edit;
use crate::host::{CommandSpec, Detected, FlagOrigin, FlagSource, InstallType};
use crate::opts_file::{self, RegistryFlag};
use crate::output::{self, Messages};
use crate::settings::{Env, RegistryKey, Settings};
use crate::store::{ConfigFile, Lock, WriteReport};

fn flag_of(key: RegistryKey) -> RegistryFlag {
    match key {
        RegistryKey::Insecure => RegistryFlag::InsecureRegistry,
        RegistryKey::Mirrors => RegistryFlag::RegistryMirror,
    }
}

const KEYS: [RegistryKey; 2] = [RegistryKey::Insecure, RegistryKey::Mirrors];

/// Values taken out of a file, per key, in order.
pub(crate) type Moved = Vec<(RegistryKey, Vec<String>)>;

/// One write of a migration: the file, its bytes before, its bytes after.
type Write<'a> = (&'a ConfigFile, Option<&'a [u8]>, Vec<u8>);

/// One DOCKER_OPTS file or unit file and what migrating takes out of it.
struct Source {
    file: ConfigFile,
    label: String,
    /// `None`: a new file (the drop-in that overrides a packaged unit's ExecStart).
    bytes: Option<Vec<u8>>,
    text: String,
    new_text: String,
    /// Values per key, in order.
    moved: Moved,
    /// A systemd unit file or drop-in: systemd must re-read it before the restart.
    unit: bool,
}

/// The key a registry flag (`insecure-registry`, `registry-mirror`) sets.
fn key_of_flag(name: &str) -> Option<RegistryKey> {
    KEYS.into_iter().find(|k| k.flag() == name)
}

/// Values per key from the flags taken out of a unit's ExecStart.
fn moved_of(removed: &[unit_edit::Removed]) -> Moved {
    let mut out: Moved = Vec::new();
    for key in KEYS {
        let values: Vec<String> = removed
            .iter()
            .filter(|r| key_of_flag(&r.name) == Some(key))
            .map(|r| r.value.clone())
            .collect();
        if !values.is_empty() {
            out.push((key, values));
        }
    }
    out
}

/// The unit file or drop-in whose ExecStart sets registry flags, if `s` is one.
fn unit_with_registry_flags(s: &FlagSource) -> Option<usize> {
    let in_unit = matches!(s.origin, FlagOrigin::UnitExecStart | FlagOrigin::DropIn);
    let n = s
        .flags
        .iter()
        .filter(|f| key_of_flag(&f.name).is_some())
        .count();
    (in_unit && n > 0).then_some(n)
}

/// Pure: `text` without the registry flags, and the values taken out (in order, per key).
pub(crate) fn strip_flags(path: &str, text: &str) -> Result<(String, Moved), FileError> {
    let render = |t: &str, d: &crate::diag::Diagnostic| FileError(d.render(path, t, false));
    let mut current = text.to_string();
    let mut moved = Vec::new();
    for key in KEYS {
        let parsed = opts_file::parse(&current).map_err(|d| render(&current, &d))?;
        let values = parsed.values(flag_of(key));
        if values.is_empty() {
            continue;
        }
        current = opts_file::set_values(&current, &parsed, flag_of(key), &[])
            .map_err(|d| render(&current, &d))?;
        moved.push((key, values));
    }
    Ok((current, moved))
}

pub(super) fn migrate(
    settings: &Settings,
    env: &Env,
    detected: &Detected,
    from: &[PathBuf],
    msgs: &Messages,
) -> Result<Exit> {
    let target_file = super::config_file(settings, env)?;
    let target = target_file.label();
    let target_bytes = target_file.read()?;
    if FileKind::detect(&settings.target, target_bytes.as_deref()) != FileKind::DaemonJson {
        return Err(UsageError(format!(
            "migrate writes daemon.json, and {target} is a DOCKER_OPTS file: name it with --from, \
             and daemon.json (if not the default) with --file"
        ))
        .into());
    }
    // Without --from: the DOCKER_OPTS / OPTIONS files this install's service really reads.
    let paths: Vec<PathBuf> = if from.is_empty() {
        detected
            .flag_sources
            .iter()
            .filter(|s| s.origin == FlagOrigin::OptsFile)
            .map(|s| super::detection::on_disk(settings, &s.path))
            .filter(|p| p.is_file())
            .collect()
    } else {
        from.to_vec()
    };

    // Read under the locks (one per folder), so no other dockcfg run changes a file meanwhile.
    let mut locks: HashMap<PathBuf, Lock> = HashMap::new();
    let mut lock_for = |f: &ConfigFile| -> Result<()> {
        let dir = f.real().parent().unwrap_or(Path::new("/")).to_path_buf();
        if !settings.dry_run && !locks.contains_key(&dir) {
            locks.insert(dir, f.lock()?);
        }
        Ok(())
    };
    lock_for(&target_file)?;
    let target_bytes = target_file.read()?;
    let mut sources = Vec::new();
    for p in &paths {
        let file = config_file_at(settings, env, p)?;
        lock_for(&file)?;
        let label = file.label();
        let Some(bytes) = file.read()? else {
            if !from.is_empty() {
                bail!("{label} does not exist");
            }
            continue;
        };
        let text = String::from_utf8(bytes.clone())
            .map_err(|_| anyhow::anyhow!("{label} is not UTF-8 text"))?;
        let (new_text, moved) = strip_flags(&label, &text)?;
        if moved.is_empty() {
            msgs.info(&format!("{label} has no registry flags"));
            continue;
        }
        sources.push(Source {
            file,
            label,
            bytes: Some(bytes),
            text,
            new_text,
            moved,
            unit: false,
        });
    }
    // Without --from: the unit file or drop-in whose ExecStart sets registry flags.
    let mut notes = Vec::new();
    if from.is_empty() {
        for s in &detected.flag_sources {
            let Some(count) = unit_with_registry_flags(s) else {
                continue;
            };
            let file =
                config_file_at(settings, env, &super::detection::on_disk(settings, &s.path))?;
            lock_for(&file)?;
            let label = file.label();
            let Some(bytes) = file.read()? else {
                bail!("{label} is gone since it was read");
            };
            let text = String::from_utf8(bytes.clone())
                .map_err(|_| anyhow::anyhow!("{label} is not UTF-8 text"))?;
            let stripped = unit_edit::strip_registry_flags(&text)
                .map_err(|e| anyhow::anyhow!("{label}: {e}; nothing was migrated"))?;
            if stripped.removed.len() != count {
                bail!(
                    "{label}: the registry flags reach dockerd's command line through a variable (Environment=), not the ExecStart line that dockcfg edits; nothing was migrated: move them into daemon.json by hand"
                );
            }
            let moved = moved_of(&stripped.removed);
            if !unit_edit::is_packaged(&s.path) {
                sources.push(Source {
                    file,
                    label,
                    bytes: Some(bytes),
                    text,
                    new_text: stripped.text,
                    moved,
                    unit: true,
                });
                continue;
            }
            if detected.install == InstallType::Rootless {
                bail!(
                    "{label} belongs to its package and dockcfg does not edit it; nothing was migrated: override its ExecStart without the registry flags in a drop-in (`systemctl --user edit docker`)"
                );
            }
            let existing = (s.origin == FlagOrigin::DropIn)
                .then(|| s.path.file_name().and_then(|n| n.to_str()))
                .flatten();
            let dropin = Path::new(SYSTEM_DROPIN_DIR).join(unit_edit::dropin_name(existing));
            let new = config_file_at(settings, env, &super::detection::on_disk(settings, &dropin))?;
            lock_for(&new)?;
            let new_label = new.label();
            if new.read()?.is_some() {
                bail!(
                    "{label} belongs to its package, and the drop-in dockcfg would write to override it, {new_label}, already exists; nothing was migrated"
                );
            }
            notes.push(format!(
                "{} belongs to its package and is not edited: {new_label} overrides its ExecStart without the registry flags",
                s.path.display()
            ));
            sources.push(Source {
                file: new,
                label: new_label,
                bytes: None,
                text: String::new(),
                new_text: unit_edit::override_dropin(
                    &s.path,
                    &stripped.exec_start,
                    &detected.config_file,
                ),
                moved,
                unit: true,
            });
        }
    }
    for n in &notes {
        msgs.note(n);
    }
    if sources.is_empty() {
        msgs.info("nothing to migrate: no --insecure-registry or --registry-mirror flags found");
        if settings.json {
            print_json(&json!({"file": target, "sources": [], "written": false}))?;
        }
        return Ok(Exit::Done);
    }

    // The new daemon.json: its lists, then the flags' values not already there.
    let mut current = edit::read_current(
        &target,
        FileKind::DaemonJson,
        target_bytes.as_deref(),
        RegistryKey::Insecure,
    )?;
    let old_text = current.text.clone();
    let mut text = current.text.clone();
    let mut expected = Expected::default();
    let mut changed_keys = Vec::new();
    for key in KEYS {
        let flagged: Vec<String> = sources
            .iter()
            .flat_map(|s| s.moved.iter().filter(|(k, _)| *k == key))
            .flat_map(|(_, v)| v.clone())
            .collect();
        if flagged.is_empty() {
            continue;
        }
        let bytes = text.as_ref().map(|t| t.as_bytes().to_vec());
        current = edit::read_current(&target, FileKind::DaemonJson, bytes.as_deref(), key)?;
        let entries: Vec<edit::Entry> = flagged
            .iter()
            .map(|v| edit::Entry {
                key: edit::entry_key(key, v),
                value: v.clone(),
            })
            .collect();
        let merged = edit::add_to_list(key, &current.values, &entries, false).values;
        if merged != current.values {
            text = Some(edit::render(&target, &current, key, &merged)?);
            changed_keys.push(key.json_key().to_string());
        }
        match key {
            RegistryKey::Insecure => expected.insecure = Some(merged),
            RegistryKey::Mirrors => expected.mirrors = Some(merged),
        }
    }

    let mut diffs = Vec::new();
    let target_diff = output::unified_diff(&target, old_text.as_deref(), text.as_deref());
    let target_changed = !target_diff.is_empty();
    if target_changed {
        diffs.push((target.clone(), target_diff));
    }
    for s in &sources {
        let old = s.bytes.is_some().then_some(s.text.as_str());
        diffs.push((
            s.label.clone(),
            output::unified_diff(&s.label, old, Some(&s.new_text)),
        ));
    }
    // systemd reads a changed unit only after daemon-reload (before the restart, and again
    // before the restart after a rollback).
    let units_changed = sources.iter().any(|s| s.unit);
    let before_restart = if units_changed {
        vec![daemon_reload(detected)]
    } else {
        Vec::new()
    };

    let request = Request {
        target: settings.target.clone(),
        kind: FileKind::DaemonJson,
        change: Change {
            keys: changed_keys,
            flags: true,
            ..Change::default()
        },
        expected,
        before_restart,
    };
    let step = applying::prepare(settings, env, detected, request, msgs)?;
    applying::confirm(settings, &step, msgs)?;

    // Write daemon.json first, then each DOCKER_OPTS file; a failure puts back what was written.
    let mut done: Vec<(&ConfigFile, WriteReport)> = Vec::new();
    let lock_of = |f: &ConfigFile| locks.get(f.real().parent().unwrap_or(Path::new("/")));
    let mut written = false;
    if !settings.dry_run {
        let mut writes: Vec<Write> = Vec::new();
        if let Some(t) = &text
            && text != old_text
        {
            writes.push((
                &target_file,
                target_bytes.as_deref(),
                edit::encode(&current, t),
            ));
        }
        for s in &sources {
            writes.push((&s.file, s.bytes.as_deref(), s.new_text.clone().into_bytes()));
        }
        for (file, old, new) in writes {
            let Some(lock) = lock_of(file) else {
                bail!("internal error: no lock for {}", file.label());
            };
            match file.write(lock, old, &new) {
                Ok(r) => {
                    for w in &r.warnings {
                        msgs.warn(w);
                    }
                    done.push((file, r));
                }
                Err(e) => {
                    for (f, r) in done.iter().rev() {
                        if let Some(l) = lock_of(f) {
                            let _ = f.rollback(l, r);
                        }
                    }
                    return Err(
                        e.context("nothing was migrated: the files written so far were put back")
                    );
                }
            }
        }
        written = true;
    }

    if !settings.json {
        for (_, d) in &diffs {
            print_diff(settings, d)?;
        }
        if written {
            let names: Vec<String> = diffs.iter().map(|(n, _)| n.clone()).collect();
            msgs.info(&format!("wrote {}", names.join(", ")));
            msgs.note(&format!(
                "to undo the migration: {}",
                undo_steps(
                    settings,
                    detected,
                    target_changed.then_some(&target),
                    &sources
                )
                .join(" && ")
            ));
        } else {
            msgs.info("dry run: nothing was changed");
        }
    }
    let mut rollback = || -> Result<String> {
        let mut names = Vec::new();
        for (f, r) in done.iter().rev() {
            let Some(l) = lock_of(f) else {
                bail!("internal error: no lock for {}", f.label());
            };
            f.rollback(l, r)?;
            names.push(f.label());
        }
        Ok(format!("put {} back as they were", names.join(" and ")))
    };
    let outcome = applying::run(settings, &step, written, &mut rollback, msgs);
    if settings.json {
        let moved: serde_json::Map<String, serde_json::Value> = KEYS
            .iter()
            .map(|k| {
                let v: Vec<String> = sources
                    .iter()
                    .flat_map(|s| s.moved.iter().filter(|(kk, _)| kk == k))
                    .flat_map(|(_, v)| v.clone())
                    .collect();
                (k.json_key().to_string(), json!(v))
            })
            .collect();
        print_json(&json!({
            "file": target,
            "sources": sources.iter().map(|s| s.label.clone()).collect::<Vec<_>>(),
            "moved": moved,
            "notes": notes,
            "diffs": diffs.iter().map(|(f, d)| json!({"file": f, "diff": d})).collect::<Vec<_>>(),
            "written": written,
            "dry_run": settings.dry_run,
            "apply": applying::outcome_json(&step, &outcome),
        }))?;
    }
    match outcome.failure {
        Some(f) => Err(anyhow::anyhow!(f)),
        None => Ok(Exit::Done),
    }
}

/// Where the drop-in that overrides a packaged docker.service goes.
const SYSTEM_DROPIN_DIR: &str = "/etc/systemd/system/docker.service.d";

/// `systemctl daemon-reload`, for the user's manager when the engine is rootless.
fn daemon_reload(detected: &Detected) -> CommandSpec {
    if detected.install == InstallType::Rootless {
        CommandSpec::new(["systemctl", "--user", "daemon-reload"])
    } else {
        CommandSpec::new(["systemctl", "daemon-reload"])
    }
}

/// The commands that undo a migration, in an order where the engine never sees a setting
/// twice: daemon.json first (its undo restarts the engine, which then has the setting nowhere),
/// then the DOCKER_OPTS files (each undo restarts it with the flag back), then the unit files,
/// which systemd reads only after `daemon-reload`, so a last restart (`dockcfg apply --restart`,
/// which checks that the engine comes back) puts their flags back.
fn undo_steps(
    settings: &Settings,
    detected: &Detected,
    target: Option<&String>,
    sources: &[Source],
) -> Vec<String> {
    let root = settings
        .root
        .as_ref()
        .map(|r| format!("--root {} ", r.display()))
        .unwrap_or_default();
    let undo = |n: &str| format!("dockcfg {root}-f {n} undo");
    let mut steps: Vec<String> = target.map(|t| undo(t)).into_iter().collect();
    steps.extend(sources.iter().filter(|s| !s.unit).map(|s| undo(&s.label)));
    let units: Vec<String> = sources
        .iter()
        .filter(|s| s.unit)
        .map(|s| undo(&s.label))
        .collect();
    if !units.is_empty() {
        steps.extend(units);
        if settings.root.is_none() {
            steps.push(daemon_reload(detected).line());
            steps.push("dockcfg apply --restart".into());
        }
    }
    steps
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::type_complexity)]
    fn strips_registry_flags_and_keeps_the_rest() {
        let cases: &[(&str, &str, &[(RegistryKey, &[&str])])] = &[
            (
                "DOCKER_OPTS=\"--iptables=false --insecure-registry a:5000 --registry-mirror=https://m --insecure-registry=10.0.0.0/8\"\n",
                "DOCKER_OPTS=\"--iptables=false\"\n",
                &[
                    (RegistryKey::Insecure, &["a:5000", "10.0.0.0/8"]),
                    (RegistryKey::Mirrors, &["https://m"]),
                ],
            ),
            (
                "# keep me\nOPTIONS='--selinux-enabled --registry-mirror https://m'\n",
                "# keep me\nOPTIONS='--selinux-enabled'\n",
                &[(RegistryKey::Mirrors, &["https://m"])],
            ),
            (
                "DOCKER_OPTS=\"--debug\"\n",
                "DOCKER_OPTS=\"--debug\"\n",
                &[],
            ),
        ];
        for (input, want_text, want_moved) in cases {
            let (text, moved) = strip_flags("/etc/default/docker", input).expect("strips");
            assert_eq!(&text, want_text, "{input}");
            let got: Vec<(RegistryKey, Vec<&str>)> = moved
                .iter()
                .map(|(k, v)| (*k, v.iter().map(String::as_str).collect()))
                .collect();
            let want: Vec<(RegistryKey, Vec<&str>)> =
                want_moved.iter().map(|(k, v)| (*k, v.to_vec())).collect();
            assert_eq!(got, want, "{input}");
        }
        let err = strip_flags(
            "/etc/default/docker",
            "DOCKER_OPTS=\"--insecure-registry a\n",
        )
        .expect_err("unterminated quote");
        assert!(err.0.starts_with("/etc/default/docker:1:"), "{}", err.0);
    }
}

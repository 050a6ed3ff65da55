//! `insecure`/`mirror` `add`, `rm`, `ls`: edit or list a registry list in the target file.

use anyhow::Result;
use serde_json::json;

use super::applying::{self, Request};
use super::{config_file, print_diff, print_json, print_stdout};
use crate::edit::{self, FileKind};
use crate::exit::Exit;
use crate::host::Detected;
use crate::output::{self, Messages};
use crate::settings::{Action, Env, RegistryKey, Settings};

pub(super) fn list(
    settings: &Settings,
    env: &Env,
    key: RegistryKey,
    msgs: &Messages,
) -> Result<Exit> {
    let file = config_file(settings, env)?;
    let path = file.label();
    let bytes = file.read()?;
    let kind = FileKind::detect(&settings.target, bytes.as_deref());
    let current = edit::read_current(&path, kind, bytes.as_deref(), key)?;
    if settings.json {
        print_json(&json!({
            "file": path,
            "exists": current.text.is_some(),
            "key": key.json_key(),
            "values": current.values,
        }))?;
    } else {
        if current.text.is_none() {
            msgs.note(&format!("{path} does not exist"));
        }
        let mut out = String::new();
        for v in &current.values {
            out.push_str(v);
            out.push('\n');
        }
        print_stdout(&out)?;
    }
    Ok(Exit::Done)
}

pub(super) fn change_list(
    settings: &Settings,
    env: &Env,
    detected: &Detected,
    key: RegistryKey,
    msgs: &Messages,
    inputs: edit::Inputs,
    change: impl Fn(&[String], &[edit::Entry]) -> edit::ListChange,
) -> Result<Exit> {
    let file = config_file(settings, env)?;
    let path = file.label();
    for n in &inputs.notes {
        msgs.note(n);
    }
    for w in &inputs.warnings {
        msgs.warn(w);
    }
    // Read under the lock, so that concurrent runs never lose each other's update.
    let lock = if settings.dry_run {
        None
    } else {
        Some(file.lock_with(crate::store::LOCK_TIMEOUT, || {
            msgs.info(&format!(
                "waiting for another dockcfg run on {path} to finish..."
            ))
        })?)
    };
    let bytes = file.read()?;
    let kind = FileKind::detect(&settings.target, bytes.as_deref());
    let current = edit::read_current(&path, kind, bytes.as_deref(), key)?;
    let result = change(&current.values, &inputs.entries);
    for a in &result.already {
        msgs.info(&format!("{a} is already present in {path}"));
    }
    for a in &result.absent {
        msgs.info(&format!("{a} is not in {path}"));
    }
    let changed = result.values != current.values;
    let (new_text, diff) = if changed {
        let text = edit::render(&path, &current, key, &result.values)?;
        let diff = output::unified_diff(&path, current.text.as_deref(), Some(&text));
        (Some(text), diff)
    } else {
        (None, String::new())
    };
    // Ask the engine and decide before writing: if it cannot be applied, nothing is written.
    let after = new_text.as_deref().or(current.text.as_deref());
    let request = Request::for_file(&settings.target, kind, current.text.as_deref(), after);
    let step = applying::prepare(settings, env, detected, request, msgs)?;
    applying::confirm(settings, &step, msgs)?;
    let mut written = false;
    let mut backup = None;
    let mut report = None;
    if let (Some(text), Some(lock)) = (&new_text, &lock) {
        let r = file.write(lock, bytes.as_deref(), &edit::encode(&current, text))?;
        written = r.changed;
        backup = r.backup.as_ref().map(|b| b.dir().display().to_string());
        for w in &r.warnings {
            msgs.warn(w);
        }
        report = Some(r);
    }
    let added: Vec<&String> = match &settings.action {
        Action::Add { .. } if changed => {
            let before: std::collections::HashSet<&String> = current.values.iter().collect();
            result
                .values
                .iter()
                .filter(|v| !before.contains(v))
                .collect()
        }
        _ => Vec::new(),
    };
    if !settings.json {
        if !diff.is_empty() {
            print_diff(settings, &diff)?;
        }
        if key == RegistryKey::Insecure {
            for a in &added {
                msgs.warn(&tls_off_line(a));
            }
        }
        if written {
            msgs.info(&format!("wrote {path}"));
        } else if changed {
            msgs.info(&format!("dry run: {path} was not changed"));
        } else if matches!(settings.action, Action::Add { .. }) {
            msgs.info("nothing to do");
        }
    }
    let mut rollback = || -> Result<String> {
        if let (Some(lock), Some(report)) = (&lock, &report) {
            file.rollback(lock, report)?;
        }
        Ok(format!("put {path} back as it was"))
    };
    let outcome = applying::run(settings, &step, written, &mut rollback, msgs);
    if settings.json {
        print_json(&json!({
            "file": path,
            "kind": match kind { FileKind::DaemonJson => "daemon.json", FileKind::OptsFile => "opts" },
            "key": key.json_key(),
            "changed": changed,
            "written": written,
            "dry_run": settings.dry_run,
            "diff": diff,
            "values": result.values,
            "already_present": result.already,
            "not_present": result.absent,
            "notes": inputs.notes,
            "warnings": inputs.warnings,
            "backup": if outcome.rolled_back { None } else { backup },
            "apply": applying::outcome_json(&step, &outcome),
        }))?;
    }
    match outcome.failure {
        Some(f) => Err(anyhow::anyhow!(f)),
        None => Ok(Exit::Done),
    }
}

/// The one line every insecure add prints: what it costs and the safer way.
pub fn tls_off_line(entry: &str) -> String {
    let certs = if entry.contains('/') {
        "/etc/docker/certs.d/HOST:PORT/ca.crt for each registry in the range".to_string()
    } else {
        format!("/etc/docker/certs.d/{entry}/ca.crt")
    };
    format!(
        "TLS is off for {entry}: Docker will use plain HTTP or accept any certificate. To keep TLS, trust the registry's CA instead: put it in {certs}"
    )
}

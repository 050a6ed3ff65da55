//! `insecure`/`mirror` `add`, `rm`, `ls`: edit or list a registry list in the target file.

use std::collections::HashSet;

use anyhow::Result;
use serde_json::json;

use super::applying::{self, Request};
use super::validate::{diagnostics_json, engine_note, flags_for, judge};
use super::{config_file, engine_version, print_diff, print_json, print_stdout};
use crate::diag::{Diagnostic, Severity};
use crate::edit::{self, FileKind};
use crate::exit::Exit;
use crate::host::Detected;
use crate::output::{self, Messages};
use crate::runner::SystemRunner;
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
    // Read under the lock, so that concurrent runs never lose each other's update. Taking the
    // lock creates a missing folder, so with no folder yet the lock waits until there is
    // something to write (the store's write still sees a file created meanwhile).
    let take_lock = || {
        file.lock_with(crate::store::LOCK_TIMEOUT, || {
            msgs.info(&format!(
                "waiting for another dockcfg run on {path} to finish..."
            ))
        })
    };
    let folder_exists = file.real().parent().is_some_and(|d| d.is_dir());
    let mut lock = if settings.dry_run || !folder_exists {
        None
    } else {
        Some(take_lock()?)
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
    // The result is checked as dockerd reads it. With nothing to change the file as it is is
    // checked: "already so" is no success for a file dockerd refuses.
    let checked = match (&new_text, bytes.as_deref()) {
        (Some(text), old) => Some(check_result(
            settings,
            detected,
            kind,
            old,
            &edit::encode(&current, text),
        )),
        (None, Some(b)) => Some(check_result(settings, detected, kind, Some(b), b)),
        (None, None) => None,
    };
    if let Some(checked) = &checked {
        if checked.refused() {
            return refuse(settings, msgs, &path, key, checked);
        }
        eprint!(
            "{}",
            crate::diag::render_all(
                &checked.warnings,
                &format!("{path} (after this edit)"),
                &checked.new_text,
                settings.color_stderr
            )
        );
    }
    // Ask the engine and decide before writing: if it cannot be applied, nothing is written.
    let after = new_text.as_deref().or(current.text.as_deref());
    let request = Request::for_file(settings, kind, current.text.as_deref(), after);
    let step = applying::prepare(settings, env, detected, request, msgs)?;
    applying::confirm(settings, &step, msgs)?;
    let mut written = false;
    let mut backup = None;
    let mut report = None;
    if new_text.is_some() && lock.is_none() && !settings.dry_run {
        lock = Some(take_lock()?);
    }
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
    // The TLS-off line goes to stderr with --json too: stdout carries only the JSON.
    if key == RegistryKey::Insecure && settings.json {
        for a in &added {
            eprintln!("warning: {}", tls_off_line(a));
        }
    }
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
    let outcome =
        applying::run_for_file(settings, &step, &file, lock.as_ref(), report.as_ref(), msgs);
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

/// The edit's result judged as the engine would judge it, split into what was already wrong
/// before the edit and what the edit brings.
struct Checked {
    choice: engine_version::EngineChoice,
    /// Errors that were already in the file (positions in `old_text`).
    errors_before: Vec<Diagnostic>,
    old_text: String,
    /// Errors the edit brings (positions in `new_text`).
    errors_new: Vec<Diagnostic>,
    /// Warnings the edit brings, except those about the new entries themselves (the input's
    /// notes already said those).
    warnings: Vec<Diagnostic>,
    new_text: String,
}

impl Checked {
    fn refused(&self) -> bool {
        !self.errors_before.is_empty() || !self.errors_new.is_empty()
    }
}

/// Validate the result of an edit (and the file before it, to tell old problems from new).
fn check_result(
    settings: &Settings,
    detected: &Detected,
    kind: FileKind,
    old: Option<&[u8]>,
    new: &[u8],
) -> Checked {
    let choice = engine_version::choose(settings, detected, &SystemRunner);
    let opts = engine_version::options(settings, &choice);
    let flags = flags_for(settings, detected, kind);
    let after = judge(new, kind, &opts, &flags);
    // The file before the edit tells old findings from new ones; with no finding after the
    // edit there is nothing to tell apart.
    let before = old
        .filter(|_| !after.diagnostics.is_empty())
        .map(|b| judge(b, kind, &opts, &flags));
    let key = |d: &Diagnostic| (d.code, d.message.clone());
    let old_errors: Vec<&Diagnostic> = before
        .iter()
        .flat_map(|r| r.diagnostics.iter())
        .filter(|d| d.is_error())
        .collect();
    let old_all: HashSet<(&str, String)> = before
        .iter()
        .flat_map(|r| r.diagnostics.iter())
        .map(key)
        .collect();
    let new_keys: HashSet<(&str, String)> = after
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(key)
        .collect();
    let errors_before = old_errors
        .into_iter()
        .filter(|d| new_keys.contains(&key(d)))
        .cloned()
        .collect();
    let errors_new = after
        .diagnostics
        .iter()
        .filter(|d| d.is_error() && !old_all.contains(&key(d)))
        .cloned()
        .collect();
    let warnings = after
        .diagnostics
        .iter()
        .filter(|d| {
            d.severity == Severity::Warning
                && !old_all.contains(&key(d))
                && !matches!(
                    d.code,
                    "insecure-registry" | "registry-mirror" | "duplicate-entry"
                )
        })
        .cloned()
        .collect();
    Checked {
        choice,
        errors_before,
        old_text: before.map(|r| r.text).unwrap_or_default(),
        errors_new,
        warnings,
        new_text: after.text,
    }
}

/// Nothing is written: show why, exit 1.
fn refuse(
    settings: &Settings,
    msgs: &Messages,
    path: &str,
    key: RegistryKey,
    c: &Checked,
) -> Result<Exit> {
    let e = c.choice.version;
    let before_line = format!(
        "{path} already has {} that make{} dockerd {e} refuse it or ignore a setting; nothing was written: fix {} by hand or with `dockcfg fix`, then run this again",
        if c.errors_before.len() == 1 {
            "a problem".to_string()
        } else {
            format!("{} problems", c.errors_before.len())
        },
        if c.errors_before.len() == 1 { "s" } else { "" },
        if c.errors_before.len() == 1 {
            "it"
        } else {
            "them"
        },
    );
    let new_line =
        format!("this edit would make {path} invalid for Docker Engine {e}; nothing was written");
    if settings.json {
        print_json(&json!({
            "file": path,
            "key": key.json_key(),
            "changed": false,
            "written": false,
            "dry_run": settings.dry_run,
            "refused": true,
            "engine": e.to_string(),
            "engine_source": c.choice.why,
            "errors_before_edit": diagnostics_json(&c.errors_before),
            "errors_from_edit": diagnostics_json(&c.errors_new),
        }))?;
        return Ok(Exit::Failed);
    }
    if !c.choice.given {
        msgs.note(&engine_note(&c.choice));
    }
    let mut out =
        crate::diag::render_all(&c.errors_before, path, &c.old_text, settings.color_stderr);
    out.push_str(&crate::diag::render_all(
        &c.errors_new,
        &format!("{path} (after this edit)"),
        &c.new_text,
        settings.color_stderr,
    ));
    eprint!("{out}");
    if !c.errors_before.is_empty() {
        msgs.info(&format!("error: {before_line}"));
    }
    if !c.errors_new.is_empty() {
        msgs.info(&format!("error: {new_line}"));
    }
    Ok(Exit::Failed)
}

//! Running a command: read the file, plan, show the diff, write through the store. The one
//! place where the pure core meets files and the terminal.

use std::io::Write as _;

use anyhow::{Context as _, Result};
use serde_json::json;

use crate::edit::{self, FileKind};
use crate::exit::Exit;
use crate::output::{self, Messages};
use crate::settings::{Action, Env, RegistryKey, Settings};
use crate::store::{ConfigFile, StateDir};

/// Run one command; the error (if any) is printed once by `main`.
pub fn run(settings: &Settings, env: &Env) -> Result<Exit> {
    let msgs = Messages {
        color: settings.color_stderr,
        quiet: false,
    };
    match &settings.action {
        Action::Completions(shell) => {
            let mut cmd = <crate::cli::Cli as clap::CommandFactory>::command();
            clap_complete::generate(*shell, &mut cmd, "dockcfg", &mut std::io::stdout());
            Ok(Exit::Done)
        }
        Action::List { key } => list(settings, env, *key, &msgs),
        Action::Add { key, values, first } => {
            let inputs = edit::inputs_for_add(*key, values, settings.force)?;
            change_list(settings, env, *key, &msgs, inputs, |current, entries| {
                edit::add_to_list(*key, current, entries, *first)
            })
        }
        Action::Remove { key, values } => {
            let inputs = edit::inputs_for_remove(*key, values);
            change_list(settings, env, *key, &msgs, inputs, |current, entries| {
                edit::remove_from_list(*key, current, entries)
            })
        }
        Action::Undo => undo(settings, env, &msgs),
    }
}

fn config_file(settings: &Settings, env: &Env) -> Result<ConfigFile> {
    let state = StateDir::choose(settings.root.as_deref(), &env.view)?;
    ConfigFile::new(&settings.target, settings.root.as_deref(), state)
}

fn print_stdout(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        // A closed pipe (`dockcfg ... | head`) is not an error.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        r => r.context("writing to standard output"),
    }
}

fn print_json(value: &serde_json::Value) -> Result<()> {
    print_stdout(&format!("{value:#}\n"))
}

fn list(settings: &Settings, env: &Env, key: RegistryKey, msgs: &Messages) -> Result<Exit> {
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

fn change_list(
    settings: &Settings,
    env: &Env,
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
    let mut written = false;
    let mut backup = None;
    if let (Some(text), Some(lock)) = (&new_text, &lock) {
        let report = file.write(lock, bytes.as_deref(), &edit::encode(&current, text))?;
        written = report.changed;
        backup = report
            .backup
            .as_ref()
            .map(|b| b.dir().display().to_string());
        for w in &report.warnings {
            msgs.warn(w);
        }
    }
    let added: Vec<&String> = match &settings.action {
        Action::Add { .. } if changed => result
            .values
            .iter()
            .filter(|v| !current.values.contains(v))
            .collect(),
        _ => Vec::new(),
    };
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
            "backup": backup,
        }))?;
        return Ok(Exit::Done);
    }
    if !diff.is_empty() {
        print_stdout(&if settings.color {
            output::colorize_diff(&diff)
        } else {
            diff
        })?;
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
    Ok(Exit::Done)
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

fn undo(settings: &Settings, env: &Env, msgs: &Messages) -> Result<Exit> {
    let file = config_file(settings, env)?;
    let path = file.label();
    let plan = file.plan_undo()?;
    plan.check(settings.force)?;
    let old = plan.current().map(String::from_utf8_lossy);
    let new = plan.restored().map(String::from_utf8_lossy);
    let diff = output::unified_diff(&path, old.as_deref(), new.as_deref());
    let mut written = false;
    let mut kept = None;
    if !settings.dry_run {
        let lock = file.lock()?;
        let report = file.apply_undo(&lock, &plan, settings.force)?;
        written = report.changed;
        kept = report.kept.map(|k| k.display().to_string());
        for w in &report.warnings {
            msgs.warn(w);
        }
    }
    if settings.json {
        print_json(&json!({
            "file": path,
            "changed": !diff.is_empty(),
            "written": written,
            "dry_run": settings.dry_run,
            "diff": diff,
            "kept": kept,
        }))?;
        return Ok(Exit::Done);
    }
    print_stdout(&if settings.color {
        output::colorize_diff(&diff)
    } else {
        diff
    })?;
    if let Some(k) = &kept {
        msgs.note(&format!("the content before this undo is kept in {k}"));
    }
    if written {
        msgs.info(&format!(
            "restored {path} as it was before dockcfg's last change"
        ));
    } else if settings.dry_run {
        msgs.info(&format!("dry run: {path} was not changed"));
    } else {
        msgs.info(&format!(
            "{path} already holds the content before dockcfg's last change"
        ));
    }
    Ok(Exit::Done)
}

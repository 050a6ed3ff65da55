//! `fix`: repair a broken daemon.json (comments, trailing commas, quotes, singular keys, ...)
//! into a file dockerd reads, keeping every setting it can. Shows what it changed and the diff;
//! writes only when the result validates; backup, undo and apply as for every write.

use std::io::BufRead as _;

use anyhow::{Result, bail};
use serde_json::json;

use super::applying::{self, Request};
use super::validate::{diagnostics_json, engine_note, flags_for, judge};
use super::{config_file, engine_version, print_diff, print_json};
use crate::daemon_json::repair::repair;
use crate::diag::{Diagnostic, render_all};
use crate::edit::FileKind;
use crate::exit::{Exit, FileError};
use crate::host::Detected;
use crate::output::{self, Messages};
use crate::runner::SystemRunner;
use crate::settings::{Env, Settings};

pub(super) fn fix(
    settings: &Settings,
    env: &Env,
    detected: &Detected,
    msgs: &Messages,
) -> Result<Exit> {
    let file = config_file(settings, env)?;
    let path = file.label();
    let lock = if settings.dry_run {
        None
    } else {
        Some(file.lock()?)
    };
    let Some(bytes) = file.read()? else {
        bail!("{path} does not exist: nothing to fix");
    };
    if FileKind::detect(&settings.target, Some(&bytes)) != FileKind::DaemonJson {
        bail!(
            "{path} is a DOCKER_OPTS file: `dockcfg fix` repairs daemon.json files \
             (`dockcfg validate {path}` shows its problems)"
        );
    }
    let repaired = repair(&bytes);
    let old_text = crate::daemon_json::decode(&bytes)
        .map(|d| d.text)
        .unwrap_or_else(|_| String::from_utf8_lossy(&bytes).into_owned());
    let new_bytes = repaired.text.as_bytes().to_vec();
    let changed = new_bytes != bytes;

    // The result must be a file the engine accepts: judged exactly as every edit is.
    let choice = engine_version::choose(settings, detected, &SystemRunner);
    let opts = engine_version::options(settings, &choice);
    let flags = flags_for(settings, detected, FileKind::DaemonJson);
    let after = judge(&new_bytes, FileKind::DaemonJson, &opts, &flags);
    let (errors, others): (Vec<Diagnostic>, Vec<Diagnostic>) = after
        .diagnostics
        .iter()
        .cloned()
        .partition(Diagnostic::is_error);
    let repaired_label = format!("{path} (repaired)");
    // What was repaired, against the old text, then `after_findings` against the repaired one.
    let show = |after_findings: &[Diagnostic]| {
        eprint!(
            "{}",
            render_all(&repaired.changes, &path, &old_text, settings.color_stderr)
        );
        eprint!(
            "{}",
            render_all(
                after_findings,
                &repaired_label,
                &after.text,
                settings.color_stderr
            )
        );
    };

    if !errors.is_empty() {
        if settings.json {
            print_json(&json!({
                "file": path,
                "changed": false,
                "written": false,
                "dry_run": settings.dry_run,
                "engine": choice.version.to_string(),
                "changes": diagnostics_json(&repaired.changes),
                "unrepaired": diagnostics_json(&repaired.unrepaired),
                "errors_after": diagnostics_json(&after.diagnostics),
            }))?;
        } else {
            if !choice.given {
                msgs.note(&engine_note(&choice));
            }
            show(&errors);
        }
        return Err(FileError(format!(
            "{path}: {} problem{} cannot be repaired automatically (shown above); nothing was \
             written: edit {} by hand, then run `dockcfg validate`",
            errors.len(),
            if errors.len() == 1 { "" } else { "s" },
            if errors.len() == 1 { "it" } else { "them" },
        ))
        .into());
    }
    if !changed {
        if settings.json {
            print_json(&json!({
                "file": path, "changed": false, "written": false, "dry_run": settings.dry_run,
                "diff": "", "changes": [], "unrepaired": diagnostics_json(&repaired.unrepaired),
            }))?;
        } else {
            msgs.info(&format!(
                "{path} needs no repair: dockerd {} reads it as it is",
                choice.version
            ));
        }
        return Ok(Exit::Done);
    }

    // Only a changed file has a diff to show.
    let diff = output::unified_diff(&path, Some(&old_text), Some(&repaired.text));
    // Ask the engine and decide before writing: if it cannot be applied, nothing is written.
    let request = Request::for_file(
        settings,
        FileKind::DaemonJson,
        Some(&old_text),
        Some(&repaired.text),
    );
    let step = applying::prepare(settings, env, detected, request, msgs)?;
    if !settings.json {
        show(&others);
        print_diff(settings, &diff)?;
    }
    if !settings.dry_run && settings.may_ask && !ask(&format!("Write the repaired {path}?")) {
        bail!("not written: {path} was left as it was");
    }
    applying::confirm(settings, &step, msgs)?;
    let mut written = false;
    let mut report = None;
    if let Some(lock) = &lock {
        let r = file.write(lock, Some(&bytes), &new_bytes)?;
        written = r.changed;
        for w in &r.warnings {
            msgs.warn(w);
        }
        report = Some(r);
    }
    if !settings.json {
        if written {
            msgs.info(&format!(
                "wrote {path}: {} repair{} (`dockcfg undo` puts the old file back)",
                repaired.changes.len(),
                if repaired.changes.len() == 1 { "" } else { "s" }
            ));
        } else {
            msgs.info(&format!("dry run: {path} was not changed"));
        }
    }
    let outcome =
        applying::run_for_file(settings, &step, &file, lock.as_ref(), report.as_ref(), msgs);
    if settings.json {
        print_json(&json!({
            "file": path,
            "changed": true,
            "written": written,
            "dry_run": settings.dry_run,
            "diff": diff,
            "engine": choice.version.to_string(),
            "changes": diagnostics_json(&repaired.changes),
            "unrepaired": diagnostics_json(&repaired.unrepaired),
            "warnings_after": diagnostics_json(&after.diagnostics),
            "apply": applying::outcome_json(&step, &outcome),
        }))?;
    }
    match outcome.failure {
        Some(f) => Err(anyhow::anyhow!(f)),
        None => Ok(Exit::Done),
    }
}

/// Ask a yes/no question on the terminal (default yes).
fn ask(question: &str) -> bool {
    eprint!("{question} [Y/n] ");
    let mut answer = String::new();
    let _ = std::io::stdin().lock().read_line(&mut answer);
    !matches!(answer.trim().to_ascii_lowercase().as_str(), "n" | "no")
}

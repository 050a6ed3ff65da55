//! `undo`: put the file back as it was before dockcfg's last change to it, and apply that to
//! the running engine.

use anyhow::Result;
use serde_json::json;

use super::applying::{self, Request};
use super::{config_file, print_diff, print_json};
use crate::edit::FileKind;
use crate::exit::Exit;
use crate::host::Detected;
use crate::output::{self, Messages};
use crate::settings::{Env, Settings};

/// A file's bytes as text, decoded as the file kind says (a daemon.json may be UTF-16).
pub(super) fn as_text(kind: FileKind, bytes: Option<&[u8]>) -> Option<String> {
    let b = bytes?;
    match kind {
        FileKind::DaemonJson => crate::daemon_json::decode(b)
            .map(|d| d.text)
            .ok()
            .or_else(|| Some(String::from_utf8_lossy(b).into_owned())),
        FileKind::OptsFile => Some(String::from_utf8_lossy(b).into_owned()),
    }
}

pub(super) fn undo(
    settings: &Settings,
    env: &Env,
    detected: &Detected,
    msgs: &Messages,
) -> Result<Exit> {
    let file = config_file(settings, env)?;
    let path = file.label();
    let plan = file.plan_undo()?;
    plan.check(settings.force)?;
    let old = plan.current().map(String::from_utf8_lossy);
    let new = plan.restored().map(String::from_utf8_lossy);
    let diff = output::unified_diff(&path, old.as_deref(), new.as_deref());
    let kind = FileKind::detect(&settings.target, plan.restored().or(plan.current()));
    let request = Request::for_file(
        settings,
        kind,
        as_text(kind, plan.current()).as_deref(),
        as_text(kind, plan.restored()).as_deref(),
    );
    let step = applying::prepare(settings, env, detected, request, msgs)?;
    applying::confirm(settings, &step, msgs)?;
    let mut written = false;
    let mut kept = None;
    let mut lock = None;
    if !settings.dry_run {
        let l = file.lock()?;
        let report = file.apply_undo(&l, &plan, settings.force)?;
        written = report.changed;
        kept = report.kept.map(|k| k.display().to_string());
        for w in &report.warnings {
            msgs.warn(w);
        }
        lock = Some(l);
    }
    if !settings.json {
        print_diff(settings, &diff)?;
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
    }
    // Undoing the undo: write back what the file held before it (a new backup entry, so a
    // later `undo` steps over it to the same place).
    let mut rollback = || -> Result<String> {
        match (&lock, plan.current()) {
            (Some(l), Some(before)) => {
                file.write(l, plan.restored(), before)?;
                Ok(format!("put {path} back as it was before the undo"))
            }
            _ => anyhow::bail!(
                "{path} did not exist before the undo, so it was left as the undo made it"
            ),
        }
    };
    let outcome = applying::run(settings, &step, written, &mut rollback, msgs);
    if settings.json {
        print_json(&json!({
            "file": path,
            "changed": !diff.is_empty(),
            "written": written,
            "dry_run": settings.dry_run,
            "diff": diff,
            "kept": kept,
            "apply": applying::outcome_json(&step, &outcome),
        }))?;
    }
    match outcome.failure {
        Some(f) => Err(anyhow::anyhow!(f)),
        None => Ok(Exit::Done),
    }
}

/// `undo` without `--file`: the file of this install that dockcfg changed last (daemon.json or
/// a DOCKER_OPTS file), so undo follows the last edit wherever detection sent it.
pub(super) fn newest_changed(
    settings: &Settings,
    env: &Env,
    detected: &Detected,
) -> Result<std::path::PathBuf> {
    let candidates = super::detection::candidate_files(settings, detected);
    let mut newest: Option<(std::time::SystemTime, std::path::PathBuf)> = None;
    for path in &candidates {
        let file = super::config_file_at(settings, env, path)?;
        if let Some(entry) = file.backups()?.first()
            && newest.as_ref().is_none_or(|(t, _)| entry.time() > *t)
        {
            newest = Some((entry.time(), path.clone()));
        }
    }
    Ok(newest.map_or_else(|| candidates[0].clone(), |(_, p)| p))
}

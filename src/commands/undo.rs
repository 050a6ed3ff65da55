//! `undo`: put the file back as it was before dockcfg's last change to it.

use anyhow::Result;
use serde_json::json;

use super::{config_file, print_diff, print_json};
use crate::exit::Exit;
use crate::output::{self, Messages};
use crate::settings::{Env, Settings};

pub(super) fn undo(settings: &Settings, env: &Env, msgs: &Messages) -> Result<Exit> {
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
    Ok(Exit::Done)
}

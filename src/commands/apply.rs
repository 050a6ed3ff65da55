//! `apply`: apply the file's current content to the running engine (a reload for daemon.json,
//! a restart when DOCKER_OPTS flags differ from what the engine runs with), and check it.

use anyhow::{Result, bail};
use serde_json::json;

use super::applying::{self, Request, Skipped, Step};
use super::undo::as_text;
use super::validate::{engine_note, flags_for, judge};
use super::{config_file, engine_version, print_json};
use crate::edit::{self, FileKind};
use crate::exit::{Exit, FileError, UsageError};
use crate::host::Detected;
use crate::output::Messages;
use crate::runner::SystemRunner;
use crate::settings::{Env, RegistryKey, Settings};

pub(super) fn apply(
    settings: &Settings,
    env: &Env,
    detected: &Detected,
    msgs: &Messages,
) -> Result<Exit> {
    if settings.root.is_some() {
        return Err(UsageError(
            "apply talks to the running engine, which --root never does".into(),
        )
        .into());
    }
    let file = config_file(settings, env)?;
    let path = file.label();
    let bytes = file.read()?;
    let kind = FileKind::detect(&settings.target, bytes.as_deref());
    // The file must read: the same checks as an edit, with line and column.
    for key in [RegistryKey::Insecure, RegistryKey::Mirrors] {
        edit::read_current(&path, kind, bytes.as_deref(), key)?;
    }
    // And dockerd must accept it: a reload of a file it refuses changes nothing, a restart with
    // it leaves the engine stopped (and there is no previous file to roll back to).
    if let Some(b) = bytes.as_deref() {
        let choice = engine_version::choose(settings, detected, &SystemRunner);
        let opts = engine_version::options(settings, &choice);
        let report = judge(b, kind, &opts, &flags_for(settings, detected, kind));
        let errors: Vec<_> = report
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .cloned()
            .collect();
        if !errors.is_empty() {
            if !choice.given {
                msgs.note(&engine_note(&choice));
            }
            eprint!(
                "{}",
                crate::diag::render_all(&errors, &path, &report.text, settings.color_stderr)
            );
            return Err(FileError(format!(
                "{path} has {} problem{} dockerd {} would refuse; nothing was applied: fix the                  file (`dockcfg fix`, or by hand), then run `dockcfg apply` again",
                errors.len(),
                if errors.len() == 1 { "" } else { "s" },
                choice.version
            ))
            .into());
        }
    }
    let text = as_text(kind, bytes.as_deref());
    let mut request = Request::for_file(settings, kind, text.as_deref(), text.as_deref());
    request.change.reread = kind == FileKind::DaemonJson;
    let step = applying::prepare(settings, env, detected, request, msgs)?;
    match &step {
        Step::Skip(Skipped::NoEngine) => bail!(
            "no engine to apply {path} to: name the dockerd with --pidfile (and its socket with -H)"
        ),
        Step::Skip(Skipped::NoApply | Skipped::DryRun) => {
            msgs.info("nothing applied (--no-apply / --dry-run)");
        }
        _ => {}
    }
    applying::confirm(settings, &step, msgs)?;
    let mut nothing = || -> Result<String> { Ok(String::new()) };
    let outcome = applying::run(settings, &step, false, &mut nothing, msgs);
    if settings.json {
        print_json(&json!({
            "file": path,
            "apply": applying::outcome_json(&step, &outcome),
        }))?;
    }
    match outcome.failure {
        Some(f) => Err(anyhow::anyhow!(f)),
        None => Ok(Exit::Done),
    }
}

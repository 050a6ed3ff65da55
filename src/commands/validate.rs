//! `validate [PATH]`: judge a daemon.json (or a DOCKER_OPTS file) the way dockerd of the chosen
//! version reads it. Diagnostics and the summary go to stderr, as a compiler's do; `--json`
//! puts the report on stdout.

use anyhow::Result;
use serde_json::json;

use super::engine_version::{self, EngineChoice};
use super::{config_file, print_json};
use crate::diag::Diagnostic;
use crate::edit::FileKind;
use crate::exit::Exit;
use crate::host::{Detected, FlagOrigin, FlagSource};
use crate::output::Messages;
use crate::runner::SystemRunner;
use crate::settings::{Env, Settings};
use crate::validate::{self, Options, Platform, Report};

/// Diagnostics as `--json` shows them.
pub fn diagnostics_json(diags: &[Diagnostic]) -> serde_json::Value {
    diags
        .iter()
        .map(|d| {
            json!({
                "severity": d.severity.as_str(),
                "line": d.pos.map(|p| p.line),
                "column": d.pos.map(|p| p.col),
                "code": d.code,
                "message": d.message,
                "help": d.help,
            })
        })
        .collect()
}

fn platform_name(p: Platform) -> &'static str {
    match p {
        Platform::Linux => "linux",
        Platform::Windows => "windows",
    }
}

/// The flags the engine reads besides the file, for the conflict check: read only for the
/// default daemon.json (a file named with `--file` or PATH may not be the engine's).
pub fn flags_for(settings: &Settings, detected: &Detected, kind: FileKind) -> Vec<FlagSource> {
    let engine_file = super::detection::on_disk(settings, &detected.config_file);
    if kind != FileKind::DaemonJson || settings.target != engine_file {
        return Vec::new();
    }
    // The places the service takes flags from; the running command line only for a dockerd
    // no service starts (else it repeats those same flags).
    let configured: Vec<FlagSource> = detected
        .flag_sources
        .iter()
        .filter(|s| s.origin != FlagOrigin::RunningCmdline)
        .cloned()
        .collect();
    if configured.is_empty() {
        detected.flag_sources.clone()
    } else {
        configured
    }
}

/// Judge `bytes` of a file of `kind`.
pub fn judge(bytes: &[u8], kind: FileKind, opts: &Options, flags: &[FlagSource]) -> Report {
    // The one copy a daemon.json's text needs anyway (`validate` makes it while decoding).
    judge_owned(bytes.to_vec(), kind, opts, flags)
}

/// [`judge`] for bytes the caller gives away: a daemon.json's become its text without a copy.
pub fn judge_owned(bytes: Vec<u8>, kind: FileKind, opts: &Options, flags: &[FlagSource]) -> Report {
    match kind {
        FileKind::DaemonJson => validate::validate_owned(bytes, opts, flags),
        FileKind::OptsFile => validate::validate_opts_file(&bytes, opts),
    }
}

pub(super) fn run(
    settings: &Settings,
    env: &Env,
    detected: &Detected,
    msgs: &Messages,
) -> Result<Exit> {
    let choice = engine_version::choose(settings, detected, &SystemRunner);
    let opts = engine_version::options(settings, &choice);
    let file = config_file(settings, env)?;
    let path = file.label();
    let bytes = file.read()?;
    let Some(bytes) = bytes else {
        return missing(settings, msgs, &path, &choice, &opts);
    };
    let kind = FileKind::detect(&settings.target, Some(&bytes));
    let flags = flags_for(settings, detected, kind);
    let report = judge_owned(bytes, kind, &opts, &flags);
    let valid = !report.has_errors();
    if settings.json {
        print_json(&json!({
            "file": path,
            "engine": choice.version.to_string(),
            "engine_source": choice.why,
            "platform": platform_name(opts.platform),
            "valid": valid,
            "diagnostics": diagnostics_json(&report.diagnostics),
        }))?;
    } else {
        if !choice.given {
            msgs.note(&engine_note(&choice));
        }
        eprint!(
            "{}",
            crate::diag::render_all(
                &report.diagnostics,
                &path,
                &report.text,
                settings.color_stderr
            )
        );
        msgs.info(&report.summary(&path, &opts));
    }
    // The process exits next: the text and every parsed value go back to the system with it.
    // Freeing them one by one first took ~0.1 ms of a 10,000-entry validate (300 runs each way).
    std::mem::forget(report);
    Ok(if valid { Exit::Done } else { Exit::Failed })
}

/// `judging for Docker Engine 20.10 (the installed dockerd: ...)`.
pub fn engine_note(choice: &EngineChoice) -> String {
    format!(
        "judging for Docker Engine {} ({}); --engine VERSION chooses another",
        choice.version, choice.why
    )
}

/// No file: fine for the default path (dockerd then uses its defaults), an error for a named one.
fn missing(
    settings: &Settings,
    msgs: &Messages,
    path: &str,
    choice: &EngineChoice,
    opts: &Options,
) -> Result<Exit> {
    let valid = !settings.file_given;
    let message = if valid {
        format!("{path} does not exist: dockerd starts with its defaults")
    } else {
        format!("{path} does not exist")
    };
    if settings.json {
        print_json(&json!({
            "file": path,
            "exists": false,
            "engine": choice.version.to_string(),
            "engine_source": choice.why,
            "platform": platform_name(opts.platform),
            "valid": valid,
            "diagnostics": [],
            "message": message,
        }))?;
    } else if valid {
        msgs.note(&message);
    } else {
        msgs.info(&format!("error: {message}"));
    }
    Ok(if valid { Exit::Done } else { Exit::Failed })
}

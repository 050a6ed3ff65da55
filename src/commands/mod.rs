//! Running a command: the one place where the pure core meets files, processes and the
//! terminal. One file per command; this one dispatches and holds what they share.

mod apply;
mod applying;
mod detection;
mod edit;
pub mod engine_version;
mod fix;
mod migrate;
mod status;
mod undo;
pub mod validate;

use std::io::Write as _;

use anyhow::{Context as _, Result};

use crate::exit::Exit;
use crate::output::Messages;
use crate::settings::{Action, Env, Settings};
use crate::store::{ConfigFile, StateDir};

/// Run one command; the error (if any) is printed once by `main`.
pub fn run(settings: &Settings, env: &Env) -> Result<Exit> {
    let msgs = Messages {
        color: settings.color_stderr,
        quiet: false,
    };
    if let Action::Completions(shell) = &settings.action {
        let mut cmd = <crate::cli::Cli as clap::CommandFactory>::command();
        clap_complete::generate(*shell, &mut cmd, "dockcfg", &mut std::io::stdout());
        return Ok(Exit::Done);
    }
    let detected = detection::detect(settings, env);
    let mut settings = settings.clone();
    if !settings.file_given {
        settings.target = match &settings.action {
            Action::Undo => undo::newest_changed(&settings, env, &detected)?,
            _ => detection::default_target(&settings, &detected),
        };
    }
    let (settings, detected) = (&settings, &detected);
    match &settings.action {
        Action::Completions(_) => Ok(Exit::Done),
        Action::List { key } => edit::list(settings, env, *key, &msgs),
        Action::Add { key, values, first } => {
            let inputs = crate::edit::inputs_for_add(*key, values, settings.force)?;
            edit::change_list(
                settings,
                env,
                detected,
                *key,
                &msgs,
                inputs,
                |current, entries| crate::edit::add_to_list(*key, current, entries, *first),
            )
        }
        Action::Remove { key, values } => {
            let inputs = crate::edit::inputs_for_remove(*key, values);
            edit::change_list(
                settings,
                env,
                detected,
                *key,
                &msgs,
                inputs,
                |current, entries| crate::edit::remove_from_list(*key, current, entries),
            )
        }
        Action::Undo => undo::undo(settings, env, detected, &msgs),
        Action::Status => status::status(settings, env, detected, &msgs),
        Action::Apply => apply::apply(settings, env, detected, &msgs),
        Action::Migrate { from } => migrate::migrate(settings, env, detected, from, &msgs),
        Action::Validate => validate::run(settings, env, detected, &msgs),
        Action::Fix => fix::fix(settings, env, detected, &msgs),
    }
}

pub(crate) fn config_file(settings: &Settings, env: &Env) -> Result<ConfigFile> {
    config_file_at(settings, env, &settings.target)
}

/// The [`ConfigFile`] for another path than the target (migrate's DOCKER_OPTS files).
pub(crate) fn config_file_at(
    settings: &Settings,
    env: &Env,
    path: &std::path::Path,
) -> Result<ConfigFile> {
    let state = StateDir::choose(settings.root.as_deref(), &env.view)?;
    ConfigFile::new(path, settings.root.as_deref(), state)
}

pub(crate) fn print_stdout(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        // A closed pipe (`dockcfg ... | head`) is not an error.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        r => r.context("writing to standard output"),
    }
}

pub(crate) fn print_json(value: &serde_json::Value) -> Result<()> {
    print_stdout(&format!("{value:#}\n"))
}

/// Print a diff on stdout, coloured when allowed.
pub(crate) fn print_diff(settings: &Settings, diff: &str) -> Result<()> {
    if settings.color {
        print_stdout(&crate::output::colorize_diff(diff))
    } else {
        print_stdout(diff)
    }
}

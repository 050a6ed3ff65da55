//! Detection at the edge: read this machine (or the tree under `--root`) into a `SystemView`,
//! detect the install, and fold in what the command line says (`-H`, `--pidfile`, `--log-file`,
//! `--restart-cmd`). Also picks the target file when `--file` is not given.

use std::path::{Path, PathBuf};

use crate::host::{self, CommandSpec, Detected, LogSource, SystemView};
use crate::settings::{Action, Env, RegistryKey, Settings};

/// What this machine's Docker is, with the command line's overrides applied.
pub(crate) fn detect(settings: &Settings, env: &Env) -> Detected {
    let root = settings.root.as_deref().unwrap_or(Path::new("/"));
    let mut view = SystemView::read(root, &env.view, settings.platform);
    if let Some(p) = &settings.apply.pidfile {
        view.read_extra(root, p);
    }
    let mut d = host::detect_with(
        &view,
        &host::Overrides {
            host: settings.apply.host.as_deref(),
            pidfile: settings.apply.pidfile.as_deref(),
        },
    );
    if let Some(log) = &settings.apply.log_file {
        d.service.logs = LogSource::File(log.clone());
    }
    if let Some(cmd) = &settings.apply.restart_cmd {
        d.service.restart = Some(CommandSpec { argv: cmd.clone() });
    }
    d
}

/// The file a command works on when `--file` is not given: for an edit, where that setting
/// already lives (a flag in DOCKER_OPTS stays there), else the daemon.json the engine reads.
pub(crate) fn default_target(settings: &Settings, detected: &Detected) -> PathBuf {
    let logical = match &settings.action {
        Action::Add { key, .. } | Action::Remove { key, .. } | Action::List { key } => {
            host::edit_target(detected, *key)
        }
        _ => detected.config_file.clone(),
    };
    on_disk(settings, &logical)
}

/// Every file a registry setting of this install may live in: daemon.json, then the DOCKER_OPTS
/// files the service reads (for `undo` without `--file`, which goes to the newest change).
pub(crate) fn candidate_files(settings: &Settings, detected: &Detected) -> Vec<PathBuf> {
    let mut out = vec![on_disk(settings, &detected.config_file)];
    for key in [RegistryKey::Insecure, RegistryKey::Mirrors] {
        let p = on_disk(settings, &host::edit_target(detected, key));
        if !out.contains(&p) {
            out.push(p);
        }
    }
    out
}

/// The path to open for a path as the system names it (under `--root` when given).
pub(crate) fn on_disk(settings: &Settings, logical: &Path) -> PathBuf {
    match &settings.root {
        Some(r) => host::paths::host_path(r, logical),
        None => logical.to_path_buf(),
    }
}

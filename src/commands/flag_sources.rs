//! A small reader of the places dockerd flags come from, under `--root`, for the flag/file
//! conflict check: the docker.service unit's ExecStart (drop-ins included) and the DOCKER_OPTS /
//! OPTIONS file it reads, or without a unit the DOCKER_OPTS files the init scripts source.
//! Meant to be replaced by host detection's flag sources.

use std::path::{Path, PathBuf};

use crate::host::{DaemonFlag, FlagOrigin, FlagSource};
use crate::opts_file;
use crate::settings::{Settings, under_root};

const UNITS: &[&str] = &[
    "/etc/systemd/system/docker.service",
    "/lib/systemd/system/docker.service",
    "/usr/lib/systemd/system/docker.service",
];
const DROP_IN_DIRS: &[&str] = &[
    "/lib/systemd/system/docker.service.d",
    "/usr/lib/systemd/system/docker.service.d",
    "/etc/systemd/system/docker.service.d",
];
const OPTS_FILES: &[&str] = &[
    "/etc/default/docker",
    "/etc/conf.d/docker",
    "/etc/sysconfig/docker",
];

/// The flag sources dockerd reads on the system under `settings.root` (or `/`). Unreadable
/// files are skipped: a missing piece never fails a run.
pub fn flag_sources(settings: &Settings) -> Vec<FlagSource> {
    let root = settings.root.as_deref();
    let read = |p: &str| -> Option<(PathBuf, String)> {
        let path = under_root(root, Path::new(p));
        std::fs::read_to_string(&path).ok().map(|t| (path, t))
    };
    let mut out = Vec::new();
    // A unit file counts only when systemd runs the machine (always under --root: a tree with a
    // unit describes a systemd install); otherwise an init script sources the options file.
    let systemd = root.is_some() || Path::new("/run/systemd/system").is_dir();
    let unit = UNITS.iter().find_map(|u| read(u)).filter(|_| systemd);
    let Some((unit_path, unit_text)) = unit else {
        // sysvinit, upstart, OpenRC: the init script sources the options file.
        for f in OPTS_FILES {
            if let Some((path, text)) = read(f)
                && let Some(src) = opts_source(&path, &text)
            {
                out.push(src);
            }
        }
        return out;
    };
    let mut files = vec![(unit_path, unit_text, FlagOrigin::UnitExecStart)];
    for dir in DROP_IN_DIRS {
        let dir = under_root(root, Path::new(dir));
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut confs: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "conf"))
            .collect();
        confs.sort();
        for c in confs {
            if let Ok(t) = std::fs::read_to_string(&c) {
                files.push((c, t, FlagOrigin::DropIn));
            }
        }
    }
    let mut exec: Option<(PathBuf, FlagOrigin, String)> = None;
    let mut env_files = Vec::new();
    for (path, text, origin) in &files {
        for (key, value) in unit_assignments(text) {
            match key.as_str() {
                "ExecStart" if value.trim().is_empty() => exec = None,
                "ExecStart" => exec = Some((path.clone(), *origin, value)),
                "EnvironmentFile" => {
                    env_files.push(value.trim().trim_start_matches('-').to_string())
                }
                _ => {}
            }
        }
    }
    let Some((path, origin, line)) = exec else {
        return out;
    };
    out.push(FlagSource {
        origin,
        path,
        flags: exec_start_flags(&line),
    });
    for var in ["DOCKER_OPTS", "OPTIONS"] {
        if !(line.contains(&format!("${var}")) || line.contains(&format!("${{{var}}}"))) {
            continue;
        }
        for f in &env_files {
            if let Some((p, text)) = read(f)
                && let Some(src) = opts_source(&p, &text)
            {
                out.push(src);
            }
        }
    }
    out
}

/// The flags of a DOCKER_OPTS / OPTIONS file, when it sets one.
fn opts_source(path: &Path, text: &str) -> Option<FlagSource> {
    let file = opts_file::parse(text).ok()?;
    file.var_name()?;
    Some(FlagSource {
        origin: FlagOrigin::OptsFile,
        path: path.to_path_buf(),
        flags: file
            .flags()
            .iter()
            .map(|f| DaemonFlag {
                name: f.long_name().to_string(),
                value: f.value.clone(),
            })
            .collect(),
    })
}

/// `Key=value` lines of a unit file, continuation lines joined, comments skipped.
fn unit_assignments(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut pending = String::new();
    for raw in text.lines() {
        let line = raw.trim_end();
        if pending.is_empty()
            && (line.trim_start().starts_with('#') || line.trim_start().starts_with(';'))
        {
            continue;
        }
        if let Some(head) = line.strip_suffix('\\') {
            pending.push_str(head);
            pending.push(' ');
            continue;
        }
        pending.push_str(line);
        let full = std::mem::take(&mut pending);
        if let Some((k, v)) = full.split_once('=') {
            out.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    out
}

/// The dockerd flags of an ExecStart command line (the program and `$VAR` words skipped).
fn exec_start_flags(line: &str) -> Vec<DaemonFlag> {
    let words = shell_words::split(line)
        .unwrap_or_else(|_| line.split_whitespace().map(str::to_string).collect());
    let mut out = Vec::new();
    let mut it = words.into_iter().skip(1).peekable();
    while let Some(w) = it.next() {
        if w.starts_with('$') {
            continue;
        }
        if let Some(long) = w.strip_prefix("--") {
            let (name, value) = match long.split_once('=') {
                Some((n, v)) => (n.to_string(), Some(v.to_string())),
                None if opts_file::takes_value(long) => (long.to_string(), it.next()),
                None => (long.to_string(), None),
            };
            if !name.is_empty() {
                out.push(DaemonFlag { name, value });
            }
        } else if let Some(short) = w.strip_prefix('-') {
            let mut cs = short.chars();
            let Some(c) = cs.next() else { continue };
            let Some(long) = opts_file::long_name_of(c) else {
                continue;
            };
            let rest: String = cs.collect();
            let value = if !rest.is_empty() {
                Some(rest.trim_start_matches('=').to_string())
            } else if opts_file::takes_value(long) {
                it.next()
            } else {
                None
            };
            out.push(DaemonFlag {
                name: long.to_string(),
                value,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(flags: &[DaemonFlag]) -> Vec<(String, Option<String>)> {
        flags
            .iter()
            .map(|f| (f.name.clone(), f.value.clone()))
            .collect()
    }

    #[test]
    fn exec_start_lines() {
        let got = exec_start_flags(
            "/usr/sbin/dockerd -H fd:// --containerd=/run/containerd/containerd.sock $DOCKER_OPTS --debug -Hunix:///x.sock",
        );
        assert_eq!(
            names(&got),
            [
                ("host".to_string(), Some("fd://".to_string())),
                (
                    "containerd".to_string(),
                    Some("/run/containerd/containerd.sock".to_string())
                ),
                ("debug".to_string(), None),
                ("host".to_string(), Some("unix:///x.sock".to_string())),
            ]
        );
    }

    #[test]
    fn reads_unit_drop_ins_and_the_env_file_under_root() {
        let t = tempfile::tempdir().expect("tempdir");
        let w = |p: &str, s: &str| {
            let path = t.path().join(p.trim_start_matches('/'));
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(path, s).expect("write");
        };
        w(
            "/lib/systemd/system/docker.service",
            "[Service]\nEnvironmentFile=-/etc/default/docker\nExecStart=/usr/sbin/dockerd -H fd:// \\\n  $DOCKER_OPTS\n",
        );
        w(
            "/etc/default/docker",
            "DOCKER_OPTS=\"--insecure-registry 10.0.0.1:5000\"\n",
        );
        let settings = crate::settings::Settings::from_cli(
            <crate::cli::Cli as clap::Parser>::parse_from([
                "dockcfg",
                "--root",
                t.path().to_str().expect("utf8"),
                "validate",
            ]),
            &crate::settings::Env::default(),
        );
        let got = flag_sources(&settings);
        assert_eq!(got.len(), 2, "{got:#?}");
        assert_eq!(got[0].origin, FlagOrigin::UnitExecStart);
        assert_eq!(
            names(&got[0].flags),
            [("host".to_string(), Some("fd://".to_string()))]
        );
        assert_eq!(got[1].origin, FlagOrigin::OptsFile);
        assert_eq!(
            names(&got[1].flags),
            [(
                "insecure-registry".to_string(),
                Some("10.0.0.1:5000".to_string())
            )]
        );
        // A drop-in that resets ExecStart replaces the unit's command line.
        w(
            "/etc/systemd/system/docker.service.d/override.conf",
            "[Service]\nExecStart=\nExecStart=/usr/bin/dockerd --debug\n",
        );
        let got = flag_sources(&settings);
        assert_eq!(got.len(), 1, "{got:#?}");
        assert_eq!(got[0].origin, FlagOrigin::DropIn);
        assert_eq!(names(&got[0].flags), [("debug".to_string(), None)]);
    }

    #[test]
    fn without_a_unit_the_opts_files_count() {
        let t = tempfile::tempdir().expect("tempdir");
        let p = t.path().join("etc/default");
        std::fs::create_dir_all(&p).expect("mkdir");
        std::fs::write(
            p.join("docker"),
            "DOCKER_OPTS=\"--registry-mirror=https://m\"\n",
        )
        .expect("write");
        let settings = crate::settings::Settings::from_cli(
            <crate::cli::Cli as clap::Parser>::parse_from([
                "dockcfg",
                "--root",
                t.path().to_str().expect("utf8"),
                "validate",
            ]),
            &crate::settings::Env::default(),
        );
        let got = flag_sources(&settings);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].flags[0].name, "registry-mirror");
    }
}

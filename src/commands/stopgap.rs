//! STOPGAP until `host::detect` is merged: a [`Detected`] built only from what the command line
//! says (`--pidfile`, `-H`, `--file`, `--restart-cmd`, `--log-file`) and the pidfile's daemon
//! (/proc/PID/cmdline). Without `--pidfile` or `-H` nothing is known about the engine and apply is
//! skipped silently. The lead replaces [`detect`] with detection plus these overrides.

use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::edit::FileKind;
use crate::host::{
    CommandSpec, DaemonFlag, Detected, FlagOrigin, FlagSource, InstallType, LogSource, Os, Reload,
    RunningDaemon, Service,
};
use crate::settings::{DEFAULT_DAEMON_JSON, Settings};

/// What the command line tells about the engine, or `None` when it tells nothing.
pub(crate) fn detect(settings: &Settings, kind: FileKind) -> Result<Option<Detected>> {
    let a = &settings.apply;
    if a.pidfile.is_none() && a.host.is_none() {
        return Ok(None);
    }
    let daemon = a.pidfile.as_deref().and_then(running_daemon);
    let config_file = daemon
        .as_ref()
        .and_then(|d| d.config_file.clone())
        .unwrap_or_else(|| PathBuf::from(DEFAULT_DAEMON_JSON));
    let mut flag_sources = Vec::new();
    if let Some(d) = &daemon {
        flag_sources.push(FlagSource {
            origin: FlagOrigin::RunningCmdline,
            path: PathBuf::from(format!("/proc/{}/cmdline", d.pid)),
            flags: cmdline_flags(&d.argv),
        });
    }
    if kind == FileKind::OptsFile {
        // Trust the user: the DOCKER_OPTS file named with --file is the one the engine reads.
        flag_sources.push(FlagSource {
            origin: FlagOrigin::OptsFile,
            path: settings.target.clone(),
            flags: Vec::new(),
        });
    }
    let engine_host = daemon
        .as_ref()
        .and_then(|d| d.hosts.iter().find(|h| h.starts_with("unix://")).cloned())
        .unwrap_or_else(|| crate::engine::DEFAULT_HOST.to_string());
    let service = Service {
        reload: match &daemon {
            Some(d) => Reload::Signal { pid: d.pid },
            None => Reload::Unsupported,
        },
        restart: a
            .restart_cmd
            .as_ref()
            .map(|c| CommandSpec { argv: c.clone() }),
        reset: None,
        logs: match &a.log_file {
            Some(p) => LogSource::File(p.clone()),
            None => LogSource::Unknown,
        },
        manual_steps: None,
    };
    let reason = match &daemon {
        Some(d) if d.config_file.is_some() => {
            format!("--config-file on the running dockerd (pid {})", d.pid)
        }
        _ => "the default path".to_string(),
    };
    Ok(Some(Detected {
        os: Os::Linux,
        install: InstallType::Unmanaged,
        daemon,
        config_file,
        config_reason: reason,
        flag_sources,
        service,
        engine_host,
        version: None,
        evidence: vec!["engine given on the command line (--pidfile / -H); install detection is not built in yet".into()],
    }))
}

/// The daemon whose pid `pidfile` holds, if it runs.
fn running_daemon(pidfile: &Path) -> Option<RunningDaemon> {
    let pid: u32 = std::fs::read_to_string(pidfile).ok()?.trim().parse().ok()?;
    let raw = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    let argv: Vec<String> = raw
        .split(|b| *b == 0)
        .filter(|w| !w.is_empty())
        .map(|w| String::from_utf8_lossy(w).into_owned())
        .collect();
    if argv.is_empty() {
        return None;
    }
    Some(daemon_from_argv(pid, argv))
}

/// A [`RunningDaemon`] from a dockerd command line: `--config-file`, `--pidfile`/`-p`,
/// `-H`/`--host` in both `--flag value` and `--flag=value` forms.
pub(crate) fn daemon_from_argv(pid: u32, argv: Vec<String>) -> RunningDaemon {
    let mut d = RunningDaemon {
        pid,
        argv: argv.clone(),
        config_file: None,
        pidfile: None,
        hosts: Vec::new(),
    };
    for f in cmdline_flags(&argv) {
        let Some(v) = f.value else { continue };
        match f.name.as_str() {
            "config-file" => d.config_file = Some(PathBuf::from(v)),
            "pidfile" => d.pidfile = Some(PathBuf::from(v)),
            "host" => d.hosts.push(v),
            _ => {}
        }
    }
    d
}

/// The flags of a dockerd command line, long names (`-H` is `host`, `-p` is `pidfile`).
fn cmdline_flags(argv: &[String]) -> Vec<DaemonFlag> {
    let mut out = Vec::new();
    let mut words = argv.iter().skip(1).peekable();
    while let Some(w) = words.next() {
        let Some(body) = w.strip_prefix('-') else {
            continue;
        };
        let body = body.strip_prefix('-').unwrap_or(body);
        let (name, inline) = match body.split_once('=') {
            Some((n, v)) => (n, Some(v.to_string())),
            None => (body, None),
        };
        let mut chars = name.chars();
        let name = match (chars.next(), chars.next()) {
            (Some(c), None) => crate::opts_file::long_name_of(c).unwrap_or(name),
            _ => name,
        };
        let value = match inline {
            Some(v) => Some(v),
            None if crate::opts_file::takes_value(name) => words.next().cloned(),
            None => None,
        };
        out.push(DaemonFlag {
            name: name.to_string(),
            value,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_dockerd_command_line() {
        let argv: Vec<String> = "/usr/sbin/dockerd -p /var/run/docker.pid --iptables=false \
             --insecure-registry 10.0.0.1:5000 -H unix:///t/d.sock --config-file=/t/daemon.json --debug"
            .split(' ')
            .map(String::from)
            .collect();
        let d = daemon_from_argv(7, argv.clone());
        assert_eq!(d.pidfile, Some(PathBuf::from("/var/run/docker.pid")));
        assert_eq!(d.config_file, Some(PathBuf::from("/t/daemon.json")));
        assert_eq!(d.hosts, ["unix:///t/d.sock"]);
        let flags = cmdline_flags(&argv);
        let names: Vec<(&str, Option<&str>)> = flags
            .iter()
            .map(|f| (f.name.as_str(), f.value.as_deref()))
            .collect();
        assert_eq!(
            names,
            [
                ("pidfile", Some("/var/run/docker.pid")),
                ("iptables", Some("false")),
                ("insecure-registry", Some("10.0.0.1:5000")),
                ("host", Some("unix:///t/d.sock")),
                ("config-file", Some("/t/daemon.json")),
                ("debug", None),
            ]
        );
    }
}

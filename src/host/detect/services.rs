//! The Linux installs' rules: systemd (unit, drop-ins, EnvironmentFile), sysvinit, upstart,
//! OpenRC, snap, rootless and a dockerd run by hand: their flag sources, service commands,
//! logs and default config file.

use std::path::{Path, PathBuf};

use super::packages::snap_version;
use super::{Cx, Finding, cmd, command_args, show_flags, signal_or_unsupported};
use crate::host::paths;
use crate::host::systemd::{self, ServiceUnit, WordOrigin};
use crate::host::{
    CommandSpec, DaemonFlag, FlagOrigin, FlagSource, InstallType, LogSource, Process, Reload,
    Service, procs,
};
use crate::opts_file;

impl Cx<'_> {
    pub(super) fn by_pidfile(&mut self, pidfile: &Path, daemons: &[&Process]) -> Finding {
        let pid = self.view.file(pidfile).and_then(procs::parse_pid);
        let p = pid.and_then(|pid| daemons.iter().find(|p| p.pid == pid).copied());
        match (pid, p) {
            (Some(pid), Some(_)) => {
                self.note(format!(
                    "--pidfile {}: pid {pid}, a running dockerd",
                    pidfile.display()
                ));
            }
            (Some(pid), None) => self.note(format!(
                "--pidfile {}: pid {pid}, but no dockerd runs with that pid",
                pidfile.display()
            )),
            (None, _) => self.note(format!(
                "--pidfile {}: missing or holds no pid: no dockerd to signal",
                pidfile.display()
            )),
        }
        self.unmanaged(p)
    }

    pub(super) fn unmanaged(&mut self, p: Option<&Process>) -> Finding {
        let daemon = p.and_then(procs::running_daemon);
        let manual = daemon.as_ref().map_or_else(
            || "no dockerd is running: start it the way it is usually started".to_string(),
            |d| {
                format!(
                    "dockcfg cannot restart a dockerd that no service manager runs: stop pid {} \
                     and start it again with: {}",
                    d.pid,
                    CommandSpec::new(d.argv.iter().map(String::as_str)).line()
                )
            },
        );
        let version = self.version_from_packages();
        Finding {
            install: InstallType::Unmanaged,
            default_config: (
                PathBuf::from(paths::ROOTFUL_DAEMON_JSON),
                "dockerd's default (no --config-file on its command line)".into(),
            ),
            flag_sources: Vec::new(),
            service: Service {
                reload: signal_or_unsupported(daemon.as_ref()),
                restart: None,
                reset: None,
                logs: LogSource::Unknown,
                manual_steps: Some(manual),
                pidfile: None,
            },
            default_host: paths::DEFAULT_UNIX_HOST.into(),
            daemon,
            version,
        }
    }

    pub(super) fn systemd(&mut self, unit: ServiceUnit, main: Option<&Process>) -> Finding {
        let daemon = main.and_then(procs::running_daemon);
        if let Some(p) = &unit.path {
            self.note(format!("docker.service: {}", p.display()));
        }
        for d in &unit.dropins {
            self.note(format!("drop-in: {}", d.display()));
        }
        let flag_sources = self.unit_sources(&unit);
        let reload = if unit.exec_reload.is_empty() {
            self.note("docker.service has no ExecReload: reload by SIGHUP to the daemon");
            signal_or_unsupported(daemon.as_ref())
        } else {
            Reload::Command(CommandSpec::new(["systemctl", "reload", "docker"]))
        };
        if unit
            .environment_files
            .iter()
            .any(|e| e.path.starts_with("/etc/sysconfig"))
        {
            self.note("RHEL/CentOS-style unit: flags also come from /etc/sysconfig/docker*");
        }
        let version = self.version_from_packages();
        Finding {
            install: InstallType::Systemd,
            default_config: (
                PathBuf::from(paths::ROOTFUL_DAEMON_JSON),
                "default for systemd".into(),
            ),
            flag_sources,
            service: Service {
                reload,
                restart: cmd(&["systemctl", "restart", "docker"]),
                reset: cmd(&["systemctl", "reset-failed", "docker"]),
                logs: LogSource::Journal {
                    unit: "docker".into(),
                    user: false,
                },
                manual_steps: None,
                pidfile: None,
            },
            default_host: paths::DEFAULT_UNIX_HOST.into(),
            daemon,
            version,
        }
    }

    /// The flag sources of a unit's effective ExecStart: the line itself (unit file or
    /// drop-in), and each EnvironmentFile whose variables it uses, each flag placed by the
    /// origin of its word.
    pub(super) fn unit_sources(&mut self, unit: &ServiceUnit) -> Vec<FlagSource> {
        let Some(start) = unit.effective_exec_start() else {
            if unit.path.is_some() {
                self.note("the unit has no ExecStart");
            }
            return Vec::new();
        };
        let oneshot = unit.service_type.as_deref() == Some("oneshot");
        if unit.exec_start.len() > 1 && !oneshot {
            self.note(format!(
                "ExecStart is set {} times without an empty `ExecStart=` before the last: \
                 systemd refuses to start this service",
                unit.exec_start.len()
            ));
        }
        self.note(format!(
            "ExecStart ({}:{}): {}",
            start.path.display(),
            start.line,
            start.value
        ));
        for ef in &unit.environment_files {
            if self.view.file(&ef.path).is_none() {
                self.note(format!(
                    "EnvironmentFile={}{} is not there",
                    if ef.optional { "-" } else { "" },
                    ef.path.display()
                ));
            }
        }
        let view = self.view;
        // Where a variable's value comes from: the last EnvironmentFile that sets it (they
        // override Environment=), else the last Environment=.
        let var_source = |name: &str| -> Option<(String, PathBuf, FlagOrigin)> {
            for ef in unit.environment_files.iter().rev() {
                if let Some(v) = view
                    .file(&ef.path)
                    .and_then(|t| systemd::env_file_value(t, name))
                {
                    return Some((v, ef.path.clone(), FlagOrigin::OptsFile));
                }
            }
            unit.environment
                .iter()
                .rev()
                .find(|e| e.name == name)
                .map(|e| {
                    let origin = if unit.path.as_ref() == Some(&e.declared_in) {
                        FlagOrigin::UnitExecStart
                    } else {
                        FlagOrigin::DropIn
                    };
                    (e.value.clone(), e.declared_in.clone(), origin)
                })
        };
        let words = systemd::expand_command(&start.value, &|n| var_source(n).map(|s| s.0));
        let argv: Vec<String> = words.iter().map(|w| w.text.clone()).collect();
        let args = command_args(&argv);
        let offset = argv.len().saturating_sub(args.len());

        let exec_origin = if start.dropin {
            FlagOrigin::DropIn
        } else {
            FlagOrigin::UnitExecStart
        };
        let mut sources = vec![FlagSource {
            origin: exec_origin,
            path: start.path.clone(),
            flags: Vec::new(),
        }];
        if !systemd::referenced_vars(&start.value).is_empty() {
            for ef in &unit.environment_files {
                if view.file(&ef.path).is_some() && !sources.iter().any(|s| s.path == ef.path) {
                    sources.push(FlagSource {
                        origin: FlagOrigin::OptsFile,
                        path: ef.path.clone(),
                        flags: Vec::new(),
                    });
                }
            }
        }
        for found in procs::parse_flags(args) {
            let origin = words.get(offset + found.word).map(|w| &w.origin);
            let (origin, path) = match origin {
                Some(WordOrigin::Var(name)) => match var_source(name) {
                    Some((_, path, origin)) => {
                        let opts_var = view
                            .file(&path)
                            .and_then(|t| opts_file::parse(t).ok())
                            .and_then(|f| f.var_name().map(str::to_string));
                        let registry = matches!(
                            found.flag.name.as_str(),
                            "insecure-registry" | "registry-mirror"
                        );
                        if registry
                            && origin == FlagOrigin::OptsFile
                            && opts_var.as_deref() != Some(name)
                        {
                            self.note(format!(
                                "--{} comes from ${name} in {}, not from its options variable",
                                found.flag.name,
                                path.display()
                            ));
                        }
                        (origin, path)
                    }
                    None => (exec_origin, start.path.clone()),
                },
                _ => (exec_origin, start.path.clone()),
            };
            match sources.iter_mut().find(|s| s.path == path) {
                Some(s) => s.flags.push(found.flag),
                None => sources.push(FlagSource {
                    origin,
                    path,
                    flags: vec![found.flag],
                }),
            }
        }
        for s in &sources {
            let in_unit = matches!(s.origin, FlagOrigin::UnitExecStart | FlagOrigin::DropIn);
            for f in s.flags.iter().filter(|f| {
                in_unit && matches!(f.name.as_str(), "insecure-registry" | "registry-mirror")
            }) {
                self.note(format!(
                    "--{} is set in the ExecStart of {}: dockcfg cannot edit it there, and the \
                     engine refuses the same setting in daemon.json (`dockcfg migrate` moves it)",
                    f.name,
                    s.path.display()
                ));
            }
            if s.origin == FlagOrigin::OptsFile {
                self.note(format!(
                    "{} feeds the unit's command line (EnvironmentFile): {}",
                    s.path.display(),
                    if s.flags.is_empty() {
                        "no flags".to_string()
                    } else {
                        show_flags(&s.flags)
                    }
                ));
            }
        }
        sources
    }

    /// The flags of a DOCKER_OPTS / OPTIONS file that an init script sources.
    pub(super) fn opts_source(&mut self, path: &str) -> Option<FlagSource> {
        let text = self.view.file(path)?;
        let flags = match opts_file::parse(text) {
            Ok(f) => f
                .flags()
                .iter()
                .map(|fl| DaemonFlag {
                    name: fl.long_name().to_string(),
                    value: fl.value.clone(),
                })
                .collect(),
            Err(d) => {
                self.note(format!("{path}: a shell could not read it: {}", d.message));
                Vec::new()
            }
        };
        self.note(format!(
            "{path} (DOCKER_OPTS) is sourced by the init script: {}",
            if flags.is_empty() {
                "no flags".to_string()
            } else {
                show_flags(&flags)
            }
        ));
        Some(FlagSource {
            origin: FlagOrigin::OptsFile,
            path: PathBuf::from(path),
            flags,
        })
    }

    /// A log file named by `var` in an options file, else `default`.
    pub(super) fn log_file(&self, opts: &str, vars: &[&str], default: &str) -> LogSource {
        let named = self.view.file(opts).and_then(|t| {
            vars.iter()
                .find_map(|v| systemd::env_file_value(t, v))
                .filter(|v| v.starts_with('/'))
        });
        LogSource::File(PathBuf::from(named.unwrap_or_else(|| default.to_string())))
    }

    pub(super) fn sysvinit(&mut self, script: &str, main: Option<&Process>) -> Finding {
        self.note("init script: /etc/init.d/docker (sysvinit)");
        let daemon = main.and_then(procs::running_daemon);
        self.note_pidfiles();
        let has_reload = script_has_action(script, "reload");
        let reload = if has_reload {
            Reload::Command(CommandSpec::new(["service", "docker", "reload"]))
        } else {
            self.note("the init script has no reload action: reload by SIGHUP to the daemon");
            signal_or_unsupported(daemon.as_ref())
        };
        let flag_sources = self
            .opts_source("/etc/default/docker")
            .into_iter()
            .collect();
        let logs = self.log_file(
            "/etc/default/docker",
            &["DOCKER_LOGFILE"],
            "/var/log/docker.log",
        );
        let version = self.version_from_packages();
        Finding {
            install: InstallType::SysvInit,
            daemon,
            default_config: (
                PathBuf::from(paths::ROOTFUL_DAEMON_JSON),
                "default for sysvinit".into(),
            ),
            flag_sources,
            service: Service {
                reload,
                restart: cmd(&["service", "docker", "restart"]),
                reset: None,
                logs,
                manual_steps: None,
                pidfile: ssd_pidfile(script),
            },
            default_host: paths::DEFAULT_UNIX_HOST.into(),
            version,
        }
    }

    pub(super) fn note_pidfiles(&mut self) {
        for f in paths::PIDFILES {
            if let Some(text) = self.view.file(f) {
                match procs::parse_pid(text) {
                    Some(pid) if self.view.process(pid).is_some_and(procs::is_daemon) => {
                        self.note(format!("pidfile {f}: pid {pid} (running)"));
                    }
                    Some(pid) => self.note(format!("pidfile {f}: pid {pid} (not running)")),
                    None => self.note(format!("pidfile {f}: no pid in it")),
                }
            }
        }
    }

    pub(super) fn upstart(&mut self, main: Option<&Process>) -> Finding {
        self.note("upstart job: /etc/init/docker.conf (/sbin/initctl present)");
        let daemon = main.and_then(procs::running_daemon);
        let flag_sources = self
            .opts_source("/etc/default/docker")
            .into_iter()
            .collect();
        let version = self.version_from_packages();
        Finding {
            install: InstallType::Upstart,
            default_config: (
                PathBuf::from(paths::ROOTFUL_DAEMON_JSON),
                "default for upstart".into(),
            ),
            flag_sources,
            service: Service {
                reload: signal_or_unsupported(daemon.as_ref()),
                restart: cmd(&["service", "docker", "restart"]),
                reset: None,
                logs: LogSource::File(PathBuf::from("/var/log/upstart/docker.log")),
                manual_steps: None,
                pidfile: None,
            },
            default_host: paths::DEFAULT_UNIX_HOST.into(),
            daemon,
            version,
        }
    }

    pub(super) fn openrc(&mut self, script: &str, main: Option<&Process>) -> Finding {
        let daemon = main.and_then(procs::running_daemon);
        let openrc_script = script
            .lines()
            .next()
            .is_some_and(|l| l.contains("openrc-run"));
        // Alpine's and Gentoo's openrc-run script reads /etc/conf.d/docker; Debian's LSB script
        // (run by OpenRC on Debian) sources /etc/default/docker.
        let opts = if openrc_script {
            self.note(
                "init script: /etc/init.d/docker (openrc-run), options in /etc/conf.d/docker",
            );
            "/etc/conf.d/docker"
        } else {
            self.note("init script: /etc/init.d/docker (an LSB script run by OpenRC), options in /etc/default/docker");
            "/etc/default/docker"
        };
        self.note_pidfiles();
        let has_reload = openrc_script && openrc_has_reload(script);
        let reload = if has_reload {
            Reload::Command(CommandSpec::new(["rc-service", "docker", "reload"]))
        } else {
            self.note("the init script has no reload action: reload by SIGHUP to the daemon");
            signal_or_unsupported(daemon.as_ref())
        };
        let flag_sources = self.opts_source(opts).into_iter().collect();
        let logs = self.log_file(
            opts,
            &["DOCKER_ERRFILE", "DOCKER_LOGFILE"],
            "/var/log/docker.log",
        );
        let version = self.version_from_packages();
        Finding {
            install: InstallType::OpenRc,
            default_config: (
                PathBuf::from(paths::ROOTFUL_DAEMON_JSON),
                "default for OpenRC".into(),
            ),
            flag_sources,
            service: Service {
                reload,
                restart: cmd(&["rc-service", "docker", "restart"]),
                reset: None,
                logs,
                manual_steps: None,
                pidfile: ssd_pidfile(script),
            },
            default_host: paths::DEFAULT_UNIX_HOST.into(),
            daemon,
            version,
        }
    }

    pub(super) fn snap(&mut self, main: Option<&Process>) -> Finding {
        let daemon = main.and_then(procs::running_daemon);
        let revision = self
            .view
            .link("/var/snap/docker/current")
            .map(|t| t.to_string_lossy().into_owned());
        let why = match &revision {
            Some(r) => {
                format!("the snap's $SNAP_DATA/config/daemon.json (current is revision {r})")
            }
            None => "the snap's $SNAP_DATA/config/daemon.json".into(),
        };
        self.note("the docker snap is installed (/snap/docker, /var/snap/docker)");
        let version = self
            .view
            .file("/snap/docker/current/meta/snap.yaml")
            .and_then(snap_version);
        if let Some(v) = version {
            self.note(format!(
                "engine version {v} from /snap/docker/current/meta/snap.yaml"
            ));
        }
        Finding {
            install: InstallType::Snap,
            default_config: (PathBuf::from(paths::SNAP_DAEMON_JSON), why),
            flag_sources: Vec::new(),
            service: Service {
                // The snap declares no reload-command: `snap restart --reload` would restart.
                reload: signal_or_unsupported(daemon.as_ref()),
                restart: cmd(&["snap", "restart", "docker"]),
                reset: None,
                logs: LogSource::Journal {
                    unit: "snap.docker.dockerd".into(),
                    user: false,
                },
                manual_steps: None,
                pidfile: None,
            },
            default_host: paths::DEFAULT_UNIX_HOST.into(),
            daemon,
            version,
        }
    }

    pub(super) fn rootless(
        &mut self,
        unit: Option<ServiceUnit>,
        main: Option<&Process>,
    ) -> Finding {
        let daemon = main.and_then(procs::running_daemon);
        if let Some(p) = main {
            self.note(format!(
                "rootless dockerd running: pid {}: {}",
                p.pid,
                p.argv.join(" ")
            ));
        }
        let (flag_sources, service) = match &unit {
            Some(u) => {
                if let Some(p) = &u.path {
                    self.note(format!("user unit: {}", p.display()));
                }
                let sources = self.unit_sources(u);
                let reload = if u.exec_reload.is_empty() {
                    signal_or_unsupported(daemon.as_ref())
                } else {
                    Reload::Command(CommandSpec::new([
                        "systemctl",
                        "--user",
                        "reload",
                        "docker",
                    ]))
                };
                (
                    sources,
                    Service {
                        reload,
                        restart: cmd(&["systemctl", "--user", "restart", "docker"]),
                        reset: cmd(&["systemctl", "--user", "reset-failed", "docker"]),
                        logs: LogSource::Journal {
                            unit: "docker".into(),
                            user: true,
                        },
                        manual_steps: None,
                        pidfile: None,
                    },
                )
            }
            None => (
                Vec::new(),
                Service {
                    reload: signal_or_unsupported(daemon.as_ref()),
                    restart: None,
                    reset: None,
                    logs: LogSource::Unknown,
                    manual_steps: Some(
                        "no user unit runs the rootless dockerd: stop it and run \
                         dockerd-rootless.sh again the way it was started"
                            .into(),
                    ),
                    pidfile: None,
                },
            ),
        };
        let config = self.places.rootless_daemon_json().map_or_else(
            || {
                (
                    PathBuf::from("~/.config/docker/daemon.json"),
                    "rootless default ($XDG_CONFIG_HOME/docker/daemon.json; HOME is not set)"
                        .to_string(),
                )
            },
            |p| {
                (
                    p,
                    "rootless default ($XDG_CONFIG_HOME/docker/daemon.json)".to_string(),
                )
            },
        );
        let host = self
            .places
            .rootless_host()
            .unwrap_or_else(|| "unix:///run/user/UID/docker.sock".into());
        let version = self.version_from_packages();
        Finding {
            install: InstallType::Rootless,
            daemon,
            default_config: config,
            flag_sources,
            service,
            default_host: host,
            version,
        }
    }
}

/// Whether an LSB/sysvinit script handles `ACTION` (a `case` branch such as `reload)` or
/// `reload|force-reload)`; `force-reload)` alone does not count).
fn script_has_action(script: &str, action: &str) -> bool {
    script.lines().any(|l| {
        let l = l.trim();
        l.strip_suffix(')').is_some_and(|pat| {
            !pat.contains(' ')
                && pat
                    .split('|')
                    .any(|alt| alt.trim_matches(['"', '\'']) == action)
        })
    })
}

/// Whether an openrc-run script offers `reload` (`extra_started_commands="reload"` or
/// `extra_commands`, with a `reload()` function).
fn openrc_has_reload(script: &str) -> bool {
    let declared = script.lines().any(|l| {
        let l = l.trim();
        (l.starts_with("extra_started_commands=") || l.starts_with("extra_commands="))
            && l.split(['=', '"', '\'', ' ']).any(|w| w == "reload")
    });
    let defined = script
        .lines()
        .any(|l| l.trim_start().starts_with("reload()") || l.trim_start().starts_with("reload ()"));
    declared && defined
}

/// The pidfile Debian's LSB script has start-stop-daemon write (`--make-pidfile`) the moment it
/// starts dockerd, before dockerd writes its own: where a dockerd that dies at start shows.
fn ssd_pidfile(script: &str) -> Option<PathBuf> {
    script
        .contains("-ssd.pid")
        .then(|| PathBuf::from("/var/run/docker-ssd.pid"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn init_script_actions() {
        let debian = "case \"$1\" in\n\tstart)\n\t;;\n\tforce-reload)\n\t;;\n\tstatus)\n";
        assert!(!script_has_action(debian, "reload"));
        assert!(script_has_action("  reload|force-reload)\n", "reload"));
        assert!(script_has_action("  'reload')\n", "reload"));
        let alpine = "extra_started_commands=\"reload\"\nreload() {\n}\n";
        assert!(openrc_has_reload(alpine));
        assert!(!openrc_has_reload("extra_started_commands=\"reload\"\n"));
        assert!(!openrc_has_reload(
            "#!/sbin/openrc-run\ncommand=/usr/bin/dockerd\n"
        ));
    }
}

//! The decision, a pure function of a [`SystemView`]: which install this is, which dockerd runs,
//! the config file in effect and why, every place daemon flags come from, how the service is
//! reloaded and restarted and where its logs are, and the engine's API address. Each
//! conclusion leaves an evidence line for `dockcfg status`.
//!
//! Order of the decision on Linux: a `--pidfile` given to dockcfg names the daemon (a dockerd
//! run by hand); then rootless (RootlessKit, a user unit, a rootless dockerd of this user);
//! then the running dockerd when it is the snap's or was started by hand; then the init system
//! that runs (systemd, upstart, OpenRC, sysvinit) with its docker service; then WSL with Docker
//! Desktop's engine; then whatever is installed.

use std::path::{Path, PathBuf};

use crate::host::paths::{self, Places, base_name};
use crate::host::systemd::{self, ServiceUnit, WordOrigin};
use crate::host::{
    CommandSpec, DaemonFlag, Detected, FlagOrigin, FlagSource, InstallType, LogSource, Os, Process,
    Reload, RunningDaemon, Service, SystemView, procs,
};
use crate::opts_file;
use crate::settings::RegistryKey;
use crate::version::EngineVersion;

/// What the user told dockcfg about the engine, which detection must honour.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Overrides<'a> {
    /// `-H/--host`: the engine API address (wins over everything).
    pub host: Option<&'a str>,
    /// `--pidfile`: the dockerd to signal. Its text must be in the view
    /// (`SystemView::read_extra`); the daemon it names counts as started by hand.
    pub pidfile: Option<&'a Path>,
}

/// Detect with only an `-H` override (see [`detect_with`]).
pub fn detect(view: &SystemView, host_override: Option<&str>) -> Detected {
    detect_with(
        view,
        &Overrides {
            host: host_override,
            pidfile: None,
        },
    )
}

/// Detect everything dockcfg needs to know about this machine's engine.
pub fn detect_with(view: &SystemView, o: &Overrides) -> Detected {
    let mut cx = Cx {
        view,
        places: Places::from_env(view.os, &view.env),
        o: *o,
        evidence: Vec::new(),
    };
    let finding = match view.os {
        Os::Linux => cx.linux(),
        Os::Mac => cx.mac(),
        Os::Windows => cx.windows(),
    };
    cx.finish(finding)
}

/// Where an edit of `key` should go: the DOCKER_OPTS / OPTIONS file that already sets the
/// flag (so the engine never gets the same setting twice), else the config file in effect.
/// Flags set in a unit's ExecStart or a drop-in cannot be edited there; that conflict is for
/// validation and `migrate`. The path is logical: join it with `--root` to open it.
pub fn edit_target(detected: &Detected, key: RegistryKey) -> PathBuf {
    detected
        .flag_sources
        .iter()
        .filter(|s| s.origin == FlagOrigin::OptsFile)
        .find(|s| s.flags.iter().any(|f| f.name == key.flag()))
        .map_or_else(|| detected.config_file.clone(), |s| s.path.clone())
}

/// What one install type's rules found, before the common rules (config file, host) apply.
struct Finding {
    install: InstallType,
    daemon: Option<RunningDaemon>,
    /// The config file when no `--config-file` is given, and why.
    default_config: (PathBuf, String),
    flag_sources: Vec<FlagSource>,
    service: Service,
    /// The API address when neither `-H`, DOCKER_HOST nor the daemon's flags say otherwise.
    default_host: String,
    version: Option<EngineVersion>,
}

struct Cx<'a> {
    view: &'a SystemView,
    places: Places,
    o: Overrides<'a>,
    evidence: Vec<String>,
}

fn cmd(words: &[&str]) -> Option<CommandSpec> {
    Some(CommandSpec::new(words.iter().copied()))
}

fn no_service() -> Service {
    Service {
        reload: Reload::Unsupported,
        restart: None,
        reset: None,
        logs: LogSource::Unknown,
        manual_steps: None,
    }
}

fn signal_or_unsupported(daemon: Option<&RunningDaemon>) -> Reload {
    daemon.map_or(Reload::Unsupported, |d| Reload::Signal { pid: d.pid })
}

/// The words after the program that are dockerd flags, for an engine command line or for the
/// rootless wrapper `dockerd-rootless.sh` (which passes its arguments on to dockerd).
fn command_args(argv: &[String]) -> &[String] {
    if let Some(args) = procs::daemon_args(argv) {
        return args;
    }
    match argv.split_first() {
        Some((p, rest)) if base_name(p).starts_with("dockerd-rootless") => rest,
        _ => &[],
    }
}

fn show_flags(flags: &[DaemonFlag]) -> String {
    flags
        .iter()
        .map(|f| match &f.value {
            Some(v) => format!("--{}={v}", f.name),
            None => format!("--{}", f.name),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// An engine address a client can use, from a daemon's `-H` values: the first unix socket or
/// named pipe; with socket activation (`fd://`) the default socket; else the first TCP
/// address (0.0.0.0 as 127.0.0.1).
fn client_host(hosts: &[String]) -> Option<String> {
    if let Some(h) = hosts
        .iter()
        .find(|h| h.starts_with("unix://") || h.starts_with("npipe://"))
    {
        // `-H unix://` and `-H npipe://` without a path mean the default socket or pipe.
        return Some(match h.as_str() {
            "unix://" => paths::DEFAULT_UNIX_HOST.to_string(),
            "npipe://" => paths::WINDOWS_PIPE_HOST.to_string(),
            _ => h.clone(),
        });
    }
    if hosts.iter().any(|h| h.starts_with("fd://")) {
        return None;
    }
    hosts
        .iter()
        .find(|h| h.starts_with("tcp://"))
        .map(|h| h.replacen("://0.0.0.0", "://127.0.0.1", 1))
}

impl Cx<'_> {
    fn note(&mut self, line: impl Into<String>) {
        self.evidence.push(line.into());
    }

    // ---------------------------------------------------------------- common end

    fn finish(mut self, f: Finding) -> Detected {
        let view = self.view;
        let mut flag_sources = f.flag_sources;
        if let Some(d) = &f.daemon {
            let already = flag_sources.iter().any(|s| {
                matches!(
                    s.origin,
                    FlagOrigin::RunningCmdline | FlagOrigin::ServiceArgs
                )
            });
            if !already {
                flag_sources.push(FlagSource {
                    origin: FlagOrigin::RunningCmdline,
                    path: PathBuf::from(format!("/proc/{}/cmdline", d.pid)),
                    flags: procs::daemon_flags(&d.argv),
                });
            }
        }

        // The config file: the running daemon's --config-file, else one in the configured
        // flags, else the install's default.
        let configured = flag_sources
            .iter()
            .filter(|s| !matches!(s.origin, FlagOrigin::RunningCmdline))
            .find_map(|s| {
                procs::values(&s.flags, "config-file")
                    .last()
                    .map(|v| (PathBuf::from(v), s.path.clone()))
            });
        let (config_file, config_reason) = match (&f.daemon, configured) {
            (
                Some(RunningDaemon {
                    pid,
                    config_file: Some(c),
                    ..
                }),
                _,
            ) => {
                let mut why = format!("--config-file on the running dockerd (pid {pid})");
                if c.is_relative() {
                    why.push_str(": a relative path, read from dockerd's working folder");
                }
                (c.clone(), why)
            }
            (_, Some((c, from))) => (c, format!("--config-file in {}", from.display())),
            (_, None) => f.default_config,
        };

        // The API address.
        let env_host = view
            .env
            .var("DOCKER_HOST")
            .map(|h| h.to_string_lossy().into_owned());
        let daemon_hosts: Vec<String> = match &f.daemon {
            Some(d) => d.hosts.clone(),
            None => flag_sources
                .iter()
                .flat_map(|s| procs::values(&s.flags, "host"))
                .map(str::to_string)
                .collect(),
        };
        let engine_host = if let Some(h) = self.o.host {
            self.note(format!("engine API: {h} (given with -H)"));
            h.to_string()
        } else if let Some(h) = env_host {
            self.note(format!("engine API: {h} (DOCKER_HOST)"));
            h
        } else if let Some(h) = client_host(&daemon_hosts) {
            self.note(format!("engine API: {h} (the daemon's -H)"));
            h
        } else {
            f.default_host
        };

        Detected {
            os: view.os,
            install: f.install,
            daemon: f.daemon,
            config_file,
            config_reason,
            flag_sources,
            service: f.service,
            engine_host,
            version: f.version,
            evidence: self.evidence,
        }
    }

    // ---------------------------------------------------------------- Linux

    fn linux(&mut self) -> Finding {
        let view = self.view;
        let daemons: Vec<&Process> = view
            .processes()
            .iter()
            .filter(|p| procs::is_daemon(p))
            .collect();

        if let Some(pidfile) = self.o.pidfile {
            return self.by_pidfile(pidfile, &daemons);
        }

        let euid = view.env.euid();
        let in_rootlesskit = view.env.var("ROOTLESSKIT_STATE_DIR").is_some();
        let user_unit = self
            .places
            .user_unit_dir()
            .map(|d| systemd::find_unit(view, &[d], "docker.service"))
            .filter(|u| u.path.is_some() && !u.masked);
        let user_unit_rootless = user_unit.filter(|u| {
            u.effective_exec_start().is_some_and(|s| {
                s.value.contains("dockerd-rootless") || s.value.contains("--rootless")
            })
        });
        let (rootless, rootful): (Vec<&Process>, Vec<&Process>) =
            daemons.iter().partition(|p| self.is_rootless_daemon(p));
        let mine: Vec<&Process> = rootless
            .iter()
            .copied()
            .filter(|p| p.uid.is_none_or(|u| u == euid))
            .collect();
        if in_rootlesskit || (euid != 0 && (user_unit_rootless.is_some() || !mine.is_empty())) {
            if in_rootlesskit {
                self.note("ROOTLESSKIT_STATE_DIR is set: running inside RootlessKit");
            }
            let main = self.choose(&mine);
            return self.rootless(user_unit_rootless, main);
        }

        let main = self.choose(&rootful);
        if let Some(p) = main {
            self.note(format!(
                "dockerd running: pid {}: {}",
                p.pid,
                p.argv.join(" ")
            ));
            if self.is_snap_daemon(p) {
                self.note("it runs from the docker snap");
                return self.snap(Some(p));
            }
            if let Some(parent) = self.starter(p) {
                self.note(format!(
                    "it was started by pid {} ({}), not by a service manager",
                    parent.pid, parent.comm
                ));
                return self.unmanaged(Some(p));
            }
        }

        let pid1 = view.process(1).map(|p| p.comm.as_str());
        let systemd_running = view.exists("/run/systemd/system") || pid1 == Some("systemd");
        let openrc_running = view.exists("/run/openrc") || pid1 == Some("openrc-init");
        let offline = !view.procfs;
        let init_is_systemd = view
            .link("/sbin/init")
            .is_some_and(|t| t.to_string_lossy().contains("systemd"));
        let systemd_here = systemd_running || (offline && init_is_systemd && !openrc_running);
        if systemd_running {
            self.note(
                "systemd is the init system (/run/systemd/system exists or PID 1 is systemd)",
            );
        } else if systemd_here {
            self.note("no process table: /sbin/init links to systemd, so systemd would run docker");
        } else if let Some(c) = pid1 {
            self.note(format!("PID 1 is {c}, not systemd"));
        }

        let dirs: Vec<PathBuf> = paths::SYSTEM_UNIT_DIRS.iter().map(PathBuf::from).collect();
        let unit = systemd::find_unit(view, &dirs, "docker.service");
        let has_unit = unit.path.is_some() && !unit.masked;
        if unit.masked {
            self.note("docker.service is masked (empty or linked to /dev/null)");
        }
        let snap_installed = view.exists("/snap/docker") || view.exists("/var/snap/docker");
        let wsl = view
            .file("/proc/version")
            .is_some_and(|t| t.to_ascii_lowercase().contains("microsoft"));
        let wsl_desktop = wsl && view.exists(paths::WSL_DESKTOP_DIR);
        if wsl {
            self.note("WSL: /proc/version names Microsoft");
        }

        if wsl_desktop && main.is_none() && !(systemd_running && has_unit) {
            return self.wsl_desktop();
        }
        if systemd_here && has_unit {
            return self.systemd(unit, main);
        }
        if systemd_here && snap_installed {
            return self.snap(main);
        }
        let initd = view.file("/etc/init.d/docker");
        if !systemd_running {
            if view.file("/etc/init/docker.conf").is_some()
                && view.exists("/sbin/initctl")
                && !openrc_running
            {
                return self.upstart(main);
            }
            if let Some(script) = initd {
                let openrc_script = script
                    .lines()
                    .next()
                    .is_some_and(|l| l.contains("openrc-run"));
                if openrc_running || openrc_script || (offline && view.exists("/sbin/openrc-run")) {
                    return self.openrc(script, main);
                }
                return self.sysvinit(script, main);
            }
        }
        if snap_installed {
            return self.snap(main);
        }
        if has_unit {
            self.note("systemd does not run here, but docker.service is installed");
            return self.systemd(unit, main);
        }
        if main.is_some() {
            return self.unmanaged(main);
        }
        if wsl_desktop {
            return self.wsl_desktop();
        }
        self.note("no dockerd process, docker service, init script or snap found");
        Finding {
            install: InstallType::None,
            daemon: None,
            default_config: (
                PathBuf::from(paths::ROOTFUL_DAEMON_JSON),
                "dockerd's default (no engine found)".into(),
            ),
            flag_sources: Vec::new(),
            service: no_service(),
            default_host: paths::DEFAULT_UNIX_HOST.into(),
            version: None,
        }
    }

    /// A dockerd child of RootlessKit, or one given `--rootless`.
    fn is_rootless_daemon(&self, p: &Process) -> bool {
        let parent_is_kit = p
            .ppid
            .and_then(|pp| self.view.process(pp))
            .is_some_and(procs::is_rootlesskit);
        parent_is_kit || p.argv.iter().any(|a| a == "--rootless")
    }

    fn is_snap_daemon(&self, p: &Process) -> bool {
        let from_snap =
            |s: &str| s.starts_with("/snap/docker/") || s.starts_with("/var/snap/docker/");
        p.argv.first().is_some_and(|a| from_snap(a))
            || p.exe.as_deref().is_some_and(from_snap)
            || procs::running_daemon(p)
                .and_then(|d| d.config_file)
                .is_some_and(|c| from_snap(&c.to_string_lossy()))
    }

    /// The process that started `p` when that is not a service manager (a shell, a test).
    fn starter(&self, p: &Process) -> Option<&Process> {
        const MANAGERS: [&str; 8] = [
            "systemd",
            "init",
            "supervise-daemo",
            "start-stop-daem",
            "runsv",
            "s6-supervise",
            "containerd-shim",
            "snapd",
        ];
        let pp = p.ppid.filter(|pp| *pp > 1)?;
        let parent = self.view.process(pp)?;
        (!MANAGERS.iter().any(|m| parent.comm.starts_with(m))).then_some(parent)
    }

    /// The dockerd this run is about, among `cands`: the one listening on `-H` when given,
    /// else one named by a known pidfile, else one a service manager started, else the first.
    fn choose<'p>(&self, cands: &[&'p Process]) -> Option<&'p Process> {
        if let Some(h) = self.o.host {
            let on_host = cands
                .iter()
                .find(|p| procs::running_daemon(p).is_some_and(|d| d.hosts.iter().any(|x| x == h)));
            if let Some(p) = on_host {
                return Some(p);
            }
        }
        let pidfile_pids: Vec<u32> = paths::PIDFILES
            .iter()
            .filter_map(|f| self.view.file(f).and_then(procs::parse_pid))
            .collect();
        cands
            .iter()
            .find(|p| pidfile_pids.contains(&p.pid))
            .or_else(|| cands.iter().find(|p| self.starter(p).is_none()))
            .or_else(|| cands.first())
            .copied()
    }

    fn version_from_packages(&mut self) -> Option<EngineVersion> {
        if let Some((pkg, v, ver)) = self
            .view
            .file("/var/lib/dpkg/status")
            .and_then(dpkg_version)
        {
            self.note(format!(
                "engine version {ver} from /var/lib/dpkg/status ({pkg} {v})"
            ));
            return Some(ver);
        }
        if let Some((pkg, v, ver)) = self
            .view
            .file("/lib/apk/db/installed")
            .and_then(apk_version)
        {
            self.note(format!(
                "engine version {ver} from /lib/apk/db/installed ({pkg} {v})"
            ));
            return Some(ver);
        }
        None
    }

    fn by_pidfile(&mut self, pidfile: &Path, daemons: &[&Process]) -> Finding {
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

    fn unmanaged(&mut self, p: Option<&Process>) -> Finding {
        let daemon = p.and_then(procs::running_daemon);
        let manual = daemon.as_ref().map_or_else(
            || "no dockerd is running: start it the way it is usually started".to_string(),
            |d| {
                format!(
                    "dockcfg cannot restart a dockerd that no service manager runs: stop pid {} \
                     and start it again with: {}",
                    d.pid,
                    shell_words::join(&d.argv)
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
            },
            default_host: paths::DEFAULT_UNIX_HOST.into(),
            daemon,
            version,
        }
    }

    fn systemd(&mut self, unit: ServiceUnit, main: Option<&Process>) -> Finding {
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
            },
            default_host: paths::DEFAULT_UNIX_HOST.into(),
            daemon,
            version,
        }
    }

    /// The flag sources of a unit's effective ExecStart: the line itself (unit file or
    /// drop-in), and each EnvironmentFile whose variables it uses, each flag placed by the
    /// origin of its word.
    fn unit_sources(&mut self, unit: &ServiceUnit) -> Vec<FlagSource> {
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
    fn opts_source(&mut self, path: &str) -> Option<FlagSource> {
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
    fn log_file(&self, opts: &str, vars: &[&str], default: &str) -> LogSource {
        let named = self.view.file(opts).and_then(|t| {
            vars.iter()
                .find_map(|v| systemd::env_file_value(t, v))
                .filter(|v| v.starts_with('/'))
        });
        LogSource::File(PathBuf::from(named.unwrap_or_else(|| default.to_string())))
    }

    fn sysvinit(&mut self, script: &str, main: Option<&Process>) -> Finding {
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
            },
            default_host: paths::DEFAULT_UNIX_HOST.into(),
            version,
        }
    }

    fn note_pidfiles(&mut self) {
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

    fn upstart(&mut self, main: Option<&Process>) -> Finding {
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
            },
            default_host: paths::DEFAULT_UNIX_HOST.into(),
            daemon,
            version,
        }
    }

    fn openrc(&mut self, script: &str, main: Option<&Process>) -> Finding {
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
            },
            default_host: paths::DEFAULT_UNIX_HOST.into(),
            daemon,
            version,
        }
    }

    fn snap(&mut self, main: Option<&Process>) -> Finding {
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
            },
            default_host: paths::DEFAULT_UNIX_HOST.into(),
            daemon,
            version,
        }
    }

    fn rootless(&mut self, unit: Option<ServiceUnit>, main: Option<&Process>) -> Finding {
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

    fn desktop_restart(&mut self, plist_version: Option<EngineVersion>) -> Option<CommandSpec> {
        let plugin = self
            .places
            .desktop_plugin_paths()
            .into_iter()
            .find(|p| self.view.exists(p));
        let new_enough = plist_version.is_none_or(|v| v >= EngineVersion::new(4, 37));
        match (plugin, new_enough) {
            (Some(p), true) => {
                self.note(format!(
                    "the `docker desktop` CLI plugin is installed ({}); `restart` needs Desktop 4.37+",
                    p.display()
                ));
                cmd(&["docker", "desktop", "restart"])
            }
            (Some(_), false) => {
                self.note("Docker Desktop is older than 4.37: it has no `docker desktop restart`");
                None
            }
            (None, _) => {
                self.note(
                    "no `docker desktop` CLI plugin found: dockcfg cannot restart Docker Desktop",
                );
                None
            }
        }
    }

    fn desktop_service(&mut self, version: Option<EngineVersion>) -> Service {
        let restart = self.desktop_restart(version);
        let logs = self
            .places
            .desktop_logs()
            .into_iter()
            .find(|p| self.view.exists(p))
            .map_or(LogSource::Unknown, LogSource::File);
        Service {
            // Desktop copies its daemon.json into its VM when the engine starts.
            reload: Reload::Unsupported,
            restart,
            reset: None,
            logs,
            manual_steps: Some(
                "in Docker Desktop open Settings > Docker Engine and select \"Apply & restart\" \
                 (or quit and reopen Docker Desktop)"
                    .into(),
            ),
        }
    }

    fn wsl_desktop(&mut self) -> Finding {
        self.note(format!(
            "{} exists: Docker Desktop's WSL integration is on",
            paths::WSL_DESKTOP_DIR
        ));
        const NOT_USERS: [&str; 5] = [
            "Public",
            "Default",
            "Default User",
            "All Users",
            "desktop.ini",
        ];
        let users: Vec<String> = self
            .view
            .names_in(paths::WSL_WINDOWS_USERS)
            .into_iter()
            .filter(|n| !NOT_USERS.contains(&n.as_str()))
            .collect();
        let file_of = |u: &str| {
            PathBuf::from(format!(
                "{}/{u}/.docker/daemon.json",
                paths::WSL_WINDOWS_USERS
            ))
        };
        let with_file: Vec<&String> = users
            .iter()
            .filter(|u| self.view.exists(file_of(u)))
            .collect();
        let me = self
            .view
            .env
            .var("USER")
            .map(|u| u.to_string_lossy().into_owned());
        let pick = match (with_file.as_slice(), users.as_slice()) {
            ([one], _) => Some((*one).clone()),
            (_, [one]) => Some(one.clone()),
            _ => me.filter(|m| users.contains(m)),
        };
        let base = "Docker Desktop's engine runs on the Windows side: its settings file is \
                    %USERPROFILE%\\.docker\\daemon.json";
        let config = match pick {
            Some(u) => (
                file_of(&u),
                format!("{base} (Windows user {u}, seen from WSL)"),
            ),
            None => (
                PathBuf::from(r"%USERPROFILE%\.docker\daemon.json"),
                format!("{base}; the Windows user could not be told (edit it from Windows)"),
            ),
        };
        let service = self.desktop_service(None);
        Finding {
            install: InstallType::WslDesktop,
            daemon: None,
            default_config: config,
            flag_sources: Vec::new(),
            service,
            default_host: paths::DEFAULT_UNIX_HOST.into(),
            version: None,
        }
    }

    // ---------------------------------------------------------------- Mac

    fn mac(&mut self) -> Finding {
        let view = self.view;
        let app = view.exists(paths::MAC_APP);
        let json = self.places.desktop_daemon_json();
        if !app && !json.as_ref().is_some_and(|j| view.exists(j)) {
            self.note("no /Applications/Docker.app and no ~/.docker/daemon.json");
            return Finding {
                install: InstallType::None,
                daemon: None,
                default_config: (
                    json.unwrap_or_else(|| PathBuf::from("~/.docker/daemon.json")),
                    "Docker Desktop's default (Docker Desktop not found)".into(),
                ),
                flag_sources: Vec::new(),
                service: no_service(),
                default_host: self
                    .places
                    .desktop_mac_host()
                    .unwrap_or_else(|| paths::DEFAULT_UNIX_HOST.into()),
                version: None,
            };
        }
        if app {
            self.note(format!("{} is installed", paths::MAC_APP));
        }
        let desktop_version = view.file(paths::MAC_APP_PLIST).and_then(plist_version);
        if let Some(v) = desktop_version {
            self.note(format!("Docker Desktop {v} (from Info.plist)"));
        }
        let service = self.desktop_service(desktop_version);
        Finding {
            install: InstallType::DesktopMac,
            daemon: None,
            default_config: (
                json.unwrap_or_else(|| PathBuf::from("~/.docker/daemon.json")),
                "Docker Desktop's engine settings (Settings > Docker Engine)".into(),
            ),
            flag_sources: Vec::new(),
            service,
            default_host: self
                .places
                .desktop_mac_host()
                .unwrap_or_else(|| paths::DEFAULT_UNIX_HOST.into()),
            version: None,
        }
    }

    // ---------------------------------------------------------------- Windows

    fn windows(&mut self) -> Finding {
        let view = self.view;
        let daemons: Vec<&Process> = view
            .processes()
            .iter()
            .filter(|p| procs::is_daemon(p))
            .collect();
        let service_daemon = daemons
            .iter()
            .find(|p| p.argv.iter().any(|a| a == "--run-service"))
            .copied();
        let desktop = view.exists(self.places.desktop_windows_exe());
        let server_exe = view.exists(self.places.windows_dockerd_exe());
        if desktop && service_daemon.is_none() {
            self.note(format!(
                "{} is installed",
                self.places.desktop_windows_exe().display()
            ));
            if view.exists(self.places.windows_daemon_json(None)) {
                self.note(format!(
                    "{} exists too: Docker Desktop uses it in Windows-containers mode",
                    self.places.windows_daemon_json(None).display()
                ));
            }
            let service = self.desktop_service(None);
            let json = self
                .places
                .desktop_daemon_json()
                .unwrap_or_else(|| PathBuf::from(r"%USERPROFILE%\.docker\daemon.json"));
            return Finding {
                install: InstallType::DesktopWindows,
                daemon: None,
                default_config: (
                    json,
                    "Docker Desktop's engine settings (Settings > Docker Engine)".into(),
                ),
                flag_sources: Vec::new(),
                service,
                default_host: paths::WINDOWS_PIPE_HOST.into(),
                version: None,
            };
        }
        let main = service_daemon.or_else(|| daemons.first().copied());
        if !server_exe && main.is_none() {
            self.note("no Docker Desktop, no dockerd.exe service and no dockerd process found");
            return Finding {
                install: InstallType::None,
                daemon: None,
                default_config: (
                    self.places.windows_daemon_json(None),
                    "the Windows engine's default (no engine found)".into(),
                ),
                flag_sources: Vec::new(),
                service: no_service(),
                default_host: paths::WINDOWS_PIPE_HOST.into(),
                version: None,
            };
        }
        let daemon = main.and_then(procs::running_daemon);
        if let Some(p) = main {
            self.note(format!(
                "dockerd running: pid {}: {}",
                p.pid,
                p.argv.join(" ")
            ));
        }
        let mut flag_sources = Vec::new();
        let flags = main
            .map(|p| procs::daemon_flags(&p.argv))
            .unwrap_or_default();
        let data_root = procs::values(&flags, "data-root")
            .last()
            .map(|s| s.to_string());
        if let (Some(_), Some(_)) = (service_daemon, &daemon) {
            flag_sources.push(FlagSource {
                origin: FlagOrigin::ServiceArgs,
                path: PathBuf::from(r"HKLM\SYSTEM\CurrentControlSet\Services\docker"),
                flags,
            });
        }
        let default_json = self.places.windows_daemon_json(None);
        if data_root.is_some() && view.exists(&default_json) {
            self.note(format!(
                "{} exists but is not read: --data-root moves the config file",
                default_json.display()
            ));
        }
        let why = match &data_root {
            Some(r) => format!(
                "the Windows engine's default: DATA_ROOT\\config\\daemon.json, with --data-root {r}"
            ),
            None => "the Windows engine's default: %ProgramData%\\docker\\config\\daemon.json"
                .to_string(),
        };
        let install = if service_daemon.is_some() || server_exe {
            InstallType::WindowsServer
        } else {
            InstallType::Unmanaged
        };
        self.note("logs: the Windows Application event log, source docker");
        let service = Service {
            reload: daemon
                .as_ref()
                .map_or(Reload::Unsupported, |d| Reload::WindowsEvent { pid: d.pid }),
            restart: (install == InstallType::WindowsServer).then(|| {
                CommandSpec::new(["powershell", "-NoProfile", "-Command", "Restart-Service docker"])
            }),
            reset: None,
            logs: LogSource::Unknown,
            manual_steps: (install == InstallType::Unmanaged)
                .then(|| "dockerd.exe does not run as the docker service: restart it the way it was started".into()),
        };
        Finding {
            install,
            daemon,
            default_config: (self.places.windows_daemon_json(data_root.as_deref()), why),
            flag_sources,
            service,
            default_host: paths::WINDOWS_PIPE_HOST.into(),
            version: None,
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

/// Engine packages in dpkg's status file: (package, version text, engine version).
fn dpkg_version(status: &str) -> Option<(String, String, EngineVersion)> {
    const PKGS: [&str; 4] = ["docker-ce", "docker.io", "docker-engine", "moby-engine"];
    for stanza in status.split("\n\n") {
        let field = |name: &str| {
            stanza
                .lines()
                .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
                .map(str::trim)
        };
        let (Some(pkg), Some(version)) = (field("Package"), field("Version")) else {
            continue;
        };
        let installed = field("Status")
            .is_none_or(|s| s.ends_with("installed") && !s.contains("not-installed"));
        if !PKGS.contains(&pkg) || !installed {
            continue;
        }
        let no_epoch = version.split_once(':').map_or(version, |(_, v)| v);
        if let Ok(v) = no_epoch.parse() {
            return Some((pkg.to_string(), version.to_string(), v));
        }
    }
    None
}

/// Engine packages in Alpine's installed database (`P:` name, `V:` version).
fn apk_version(db: &str) -> Option<(String, String, EngineVersion)> {
    for stanza in db.split("\n\n") {
        let field = |name: &str| stanza.lines().find_map(|l| l.strip_prefix(name));
        let (Some(pkg), Some(version)) = (field("P:"), field("V:")) else {
            continue;
        };
        if !matches!(pkg, "docker-engine" | "docker") {
            continue;
        }
        if let Ok(v) = version.parse() {
            return Some((pkg.to_string(), version.to_string(), v));
        }
    }
    None
}

/// `version:` in a snap.yaml.
fn snap_version(yaml: &str) -> Option<EngineVersion> {
    yaml.lines()
        .find_map(|l| l.strip_prefix("version:"))
        .and_then(|v| v.trim().trim_matches(['\'', '"']).parse().ok())
}

/// `CFBundleShortVersionString` in an Info.plist.
fn plist_version(plist: &str) -> Option<EngineVersion> {
    let after = plist
        .split("<key>CFBundleShortVersionString</key>")
        .nth(1)?;
    let start = after.find("<string>")? + "<string>".len();
    let rest = after.get(start..)?;
    let end = rest.find("</string>")?;
    rest.get(..end)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::EnvView;

    fn proc_(pid: u32, ppid: u32, comm: &str, argv: &str) -> Process {
        Process {
            pid,
            ppid: Some(ppid),
            uid: Some(0),
            comm: comm.into(),
            argv: argv.split_whitespace().map(str::to_string).collect(),
            exe: None,
        }
    }

    #[test]
    fn client_hosts_from_daemon_flags() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let cases: &[(&[&str], Option<&str>)] = &[
            (&["fd://", "unix:///x.sock"], Some("unix:///x.sock")),
            (&["fd://", "tcp://0.0.0.0:2375"], None),
            (&["tcp://0.0.0.0:2375"], Some("tcp://127.0.0.1:2375")),
            (
                &["npipe:////./pipe/docker_engine"],
                Some("npipe:////./pipe/docker_engine"),
            ),
            (&[], None),
        ];
        for (hosts, want) in cases {
            assert_eq!(client_host(&s(hosts)).as_deref(), *want, "{hosts:?}");
        }
    }

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

    #[test]
    fn engine_versions_from_package_databases() {
        let dpkg = "Package: docker-ce-cli\nStatus: install ok installed\nVersion: 5:26.1.5-1~debian.12~bookworm\n\nPackage: docker-ce\nStatus: install ok installed\nVersion: 5:26.1.5-1~debian.12~bookworm\n";
        assert_eq!(
            dpkg_version(dpkg).map(|x| x.2),
            Some(EngineVersion::new(26, 1))
        );
        let removed =
            "Package: docker.io\nStatus: deinstall ok config-files\nVersion: 20.10.24+dfsg1-1\n";
        assert_eq!(dpkg_version(removed), None);
        let debian = "Package: docker.io\nStatus: install ok installed\nVersion: 20.10.24+dfsg1-1+deb12u1+b6\n";
        assert_eq!(
            dpkg_version(debian).map(|x| x.2),
            Some(EngineVersion::new(20, 10))
        );
        let apk = "C:Q1x=\nP:docker-cli\nV:25.0.5-r1\n\nC:Q2=\nP:docker-engine\nV:25.0.5-r1\n";
        assert_eq!(
            apk_version(apk).map(|x| x.2),
            Some(EngineVersion::new(25, 0))
        );
        assert_eq!(
            snap_version("name: docker\nversion: '28.1.1'\n"),
            Some(EngineVersion::new(28, 1))
        );
        let plist =
            "<dict>\n<key>CFBundleShortVersionString</key>\n\t<string>4.36.0</string>\n</dict>";
        assert_eq!(plist_version(plist), Some(EngineVersion::new(4, 36)));
        assert_eq!(plist_version("<dict/>"), None);
    }

    #[test]
    fn the_daemon_on_the_given_host_wins() {
        let v = SystemView::new(Os::Linux, EnvView::new(0))
            .with_file("/var/run/docker.pid", "10\n")
            .with_path("/run/systemd/system")
            .with_file(
                "/lib/systemd/system/docker.service",
                "[Service]\nExecStart=/usr/bin/dockerd -H fd://\nExecReload=/bin/kill -s HUP $MAINPID\n",
            )
            .with_process(proc_(1, 0, "systemd", "/sbin/init"))
            .with_process(proc_(10, 1, "dockerd", "/usr/bin/dockerd -H fd://"))
            .with_process(proc_(20, 1, "dockerd", "/usr/bin/dockerd -H unix:///tmp/t.sock --pidfile /tmp/t.pid"));
        let d = detect(&v, None);
        assert_eq!(d.daemon.as_ref().map(|d| d.pid), Some(10));
        assert_eq!(d.install, InstallType::Systemd);
        let d = detect(&v, Some("unix:///tmp/t.sock"));
        assert_eq!(d.daemon.as_ref().map(|d| d.pid), Some(20));
        assert_eq!(d.engine_host, "unix:///tmp/t.sock");
    }

    #[test]
    fn a_pidfile_given_to_dockcfg_names_a_hand_started_daemon() {
        let v = SystemView::new(Os::Linux, EnvView::new(0))
            .with_path("/run/systemd/system")
            .with_file(
                "/lib/systemd/system/docker.service",
                "[Service]\nExecStart=/usr/bin/dockerd\n",
            )
            .with_file("/tmp/t/docker.pid", "20")
            .with_process(proc_(1, 0, "systemd", "/sbin/init"))
            .with_process(proc_(
                20,
                1,
                "dockerd",
                "dockerd --config-file /tmp/t/daemon.json -H unix:///tmp/t/s.sock",
            ));
        let d = detect_with(
            &v,
            &Overrides {
                host: None,
                pidfile: Some(Path::new("/tmp/t/docker.pid")),
            },
        );
        assert_eq!(d.install, InstallType::Unmanaged);
        assert_eq!(d.service.reload, Reload::Signal { pid: 20 });
        assert_eq!(d.config_file, PathBuf::from("/tmp/t/daemon.json"));
        assert_eq!(d.engine_host, "unix:///tmp/t/s.sock");
        let stale = detect_with(
            &v,
            &Overrides {
                host: None,
                pidfile: Some(Path::new("/tmp/none.pid")),
            },
        );
        assert_eq!(stale.install, InstallType::Unmanaged);
        assert_eq!(stale.service.reload, Reload::Unsupported);
        assert!(stale.daemon.is_none());
    }

    #[test]
    fn edit_goes_where_the_flag_already_lives() {
        let v = SystemView::new(Os::Linux, EnvView::new(0))
            .with_file("/etc/init.d/docker", "#!/bin/sh\n")
            .with_file(
                "/etc/default/docker",
                "DOCKER_OPTS=\"--insecure-registry a:5000\"\n",
            );
        let d = detect(&v, None);
        assert_eq!(d.install, InstallType::SysvInit);
        assert_eq!(
            edit_target(&d, RegistryKey::Insecure),
            PathBuf::from("/etc/default/docker")
        );
        assert_eq!(
            edit_target(&d, RegistryKey::Mirrors),
            PathBuf::from("/etc/docker/daemon.json")
        );
    }
}

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
//!
//! This file holds the decision and the rules all installs share; `services` holds the Linux
//! services' rules, `desktop` Docker Desktop's and the Windows engine's, `packages` the
//! version look-ups.

mod desktop;
pub(crate) mod packages;
mod services;

use std::path::{Path, PathBuf};

use crate::host::paths::{self, Places, base_name};
use crate::host::{
    CommandSpec, DaemonFlag, Detected, FlagOrigin, FlagSource, InstallType, LogSource, Os, Process,
    Reload, RunningDaemon, Service, SystemView, procs, systemd,
};
use crate::settings::RegistryKey;
use crate::version::EngineVersion;
use packages::{apk_version, dpkg_version};

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
        pidfile: None,
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

    /// A dockerd under RootlessKit, or one given `--rootless`. RootlessKit re-executes itself
    /// (`/proc/self/exe`, comm `exe`) as the child that starts dockerd, so the kit is the
    /// dockerd's parent or grandparent: a few ancestors are looked at.
    fn is_rootless_daemon(&self, p: &Process) -> bool {
        let mut at = p.ppid;
        for _ in 0..3 {
            let Some(parent) = at.and_then(|pp| self.view.process(pp)) else {
                break;
            };
            if procs::is_rootlesskit(parent) {
                return true;
            }
            at = parent.ppid;
        }
        p.argv.iter().any(|a| a == "--rootless")
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
    fn odd_files_and_processes_never_panic() {
        const TEXTS: [&str; 12] = [
            "",
            "\0",
            "$",
            "${",
            "\"",
            "[Service]\nExecStart=\\",
            "[Service]\nExecStart=$\nExecStart=@\nExecStart=:\nExecStart=-",
            "[Service]\nEnvironmentFile=-\nEnvironment=\"A\nExecStart=${A",
            "DOCKER_OPTS=\"-H\"\nOPTIONS='--insecure-registry'",
            "-1",
            "99999999999",
            "#!/sbin/openrc-run\nextra_started_commands=reload\n",
        ];
        const ARGVS: [&[&str]; 7] = [
            &[],
            &["docker"],
            &["docker", "daemon"],
            &["dockerd", "-H"],
            &["dockerd", "-", "--", "-="],
            &["dockerd.exe", "--data-root"],
            &["rootlesskit"],
        ];
        let places = [
            "/lib/systemd/system/docker.service",
            "/etc/systemd/system/docker.service.d/x.conf",
            "/etc/init.d/docker",
            "/etc/init/docker.conf",
            "/etc/default/docker",
            "/etc/conf.d/docker",
            "/etc/sysconfig/docker",
            "/var/run/docker-ssd.pid",
            "/var/run/docker.pid",
            "/var/lib/dpkg/status",
            "/lib/apk/db/installed",
            "/snap/docker/current/meta/snap.yaml",
            "/proc/version",
            "/Applications/Docker.app/Contents/Info.plist",
        ];
        for os in [Os::Linux, Os::Mac, Os::Windows] {
            for text in TEXTS {
                for euid in [0, 1000] {
                    let mut v = SystemView::new(os, EnvView::new(euid).with("HOME", "/h"))
                        .with_path("/run/systemd/system")
                        .with_path("/mnt/wsl/docker-desktop");
                    for p in places {
                        v = v.with_file(p, text);
                    }
                    for (i, argv) in ARGVS.iter().enumerate() {
                        let pid = u32::try_from(i).unwrap_or(0) + 2;
                        v = v.with_process(Process {
                            pid,
                            ppid: Some(pid - 1),
                            uid: Some(euid),
                            comm: argv.first().copied().unwrap_or("").into(),
                            argv: argv.iter().map(|a| a.to_string()).collect(),
                            exe: None,
                        });
                    }
                    let d = detect_with(
                        &v,
                        &Overrides {
                            host: Some(""),
                            pidfile: Some(Path::new("/var/run/docker.pid")),
                        },
                    );
                    let _ = (d.to_json(), d.describe());
                    let d = detect(&v, None);
                    let _ = (
                        d.to_json(),
                        d.describe(),
                        edit_target(&d, RegistryKey::Insecure),
                    );
                }
            }
        }
    }

    #[test]
    fn a_rootless_dockerd_without_a_user_unit_is_signalled() {
        let mut kit = proc_(
            40,
            30,
            "rootlesskit",
            "rootlesskit --net=slirp4netns dockerd-rootless.sh",
        );
        kit.uid = Some(1000);
        let mut dockerd = proc_(41, 40, "dockerd", "dockerd --experimental");
        dockerd.uid = Some(1000);
        let v = SystemView::new(
            Os::Linux,
            EnvView::new(1000)
                .with("HOME", "/home/bo")
                .with("XDG_RUNTIME_DIR", "/run/user/1000"),
        )
        .with_process(proc_(1, 0, "systemd", "/sbin/init"))
        .with_process(kit)
        .with_process(dockerd);
        let d = detect(&v, None);
        assert_eq!(d.install, InstallType::Rootless);
        assert_eq!(d.service.reload, Reload::Signal { pid: 41 });
        assert_eq!(d.service.restart, None);
        assert!(d.service.manual_steps.is_some());
        assert_eq!(
            d.config_file,
            PathBuf::from("/home/bo/.config/docker/daemon.json")
        );
        assert_eq!(d.engine_host, "unix:///run/user/1000/docker.sock");
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

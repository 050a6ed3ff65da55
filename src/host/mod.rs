//! What this machine's Docker is: install type, running dockerd, the config file in effect,
//! where daemon flags come from, and how the service is reloaded and restarted.
//!
//! Detection is a pure function of a [`SystemView`] (files under `--root`, processes, the
//! environment), so every install type can be laid out as a fixture tree and tested.
//! This file holds the shared model; `detect` and the readers live in submodules.

use std::path::PathBuf;

use crate::version::EngineVersion;

/// The operating system whose paths and services apply (`--platform` selects it in tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Os {
    Linux,
    Windows,
    Mac,
}

/// How Docker is installed and managed on this machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InstallType {
    /// docker.service under systemd (most distributions; Debian's unit also reads /etc/default/docker).
    Systemd,
    /// /etc/init.d/docker without systemd (Debian/Ubuntu sysvinit).
    SysvInit,
    /// Ubuntu 14.04's upstart job /etc/init/docker.conf.
    Upstart,
    /// Alpine and other OpenRC systems: /etc/init.d/docker + /etc/conf.d/docker.
    OpenRc,
    /// The snap package: /var/snap/docker/current/config/daemon.json.
    Snap,
    /// dockerd-rootless under the user's systemd: $XDG_CONFIG_HOME/docker/daemon.json.
    Rootless,
    /// Docker Desktop on macOS: ~/.docker/daemon.json.
    DesktopMac,
    /// Docker Desktop on Windows: %USERPROFILE%\.docker\daemon.json.
    DesktopWindows,
    /// The Windows Server engine service: %ProgramData%\docker\config\daemon.json.
    WindowsServer,
    /// WSL 2 using Docker Desktop's engine (the file is Desktop's, on the Windows side).
    WslDesktop,
    /// A dockerd started by hand or by something dockcfg does not know: signal it by pid.
    Unmanaged,
    /// No Docker engine found.
    None,
}

/// A dockerd flag as given on a command line or in DOCKER_OPTS: long name without dashes
/// (`-H` is `host`), and its value if it has one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DaemonFlag {
    pub name: String,
    pub value: Option<String>,
}

/// Where a set of daemon flags comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlagOrigin {
    /// DOCKER_OPTS / OPTIONS in a shell-style file that the service really reads.
    OptsFile,
    /// The ExecStart of the systemd unit file.
    UnitExecStart,
    /// The ExecStart of a systemd drop-in (the last non-empty ExecStart wins).
    DropIn,
    /// The running dockerd's command line (/proc/PID/cmdline).
    RunningCmdline,
    /// The Windows service's arguments.
    ServiceArgs,
}

/// Flags found in one place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlagSource {
    pub origin: FlagOrigin,
    /// The file (or `/proc/PID/cmdline`) they were read from, as shown to the user.
    pub path: PathBuf,
    pub flags: Vec<DaemonFlag>,
}

/// The dockerd process found running.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunningDaemon {
    pub pid: u32,
    /// Its full command line.
    pub argv: Vec<String>,
    /// `--config-file` from its command line, if given (it wins over every default).
    pub config_file: Option<PathBuf>,
    /// `--pidfile` / `-p` from its command line.
    pub pidfile: Option<PathBuf>,
    /// `-H` / `--host` values from its command line.
    pub hosts: Vec<String>,
}

/// A command to run, without a shell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandSpec {
    pub argv: Vec<String>,
}

impl CommandSpec {
    pub fn new<I, S>(argv: I) -> CommandSpec
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        CommandSpec {
            argv: argv.into_iter().map(Into::into).collect(),
        }
    }
}

/// How a running engine is told to re-read its config file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reload {
    /// A service manager command (`systemctl reload docker`, `systemctl --user reload docker`).
    Command(CommandSpec),
    /// SIGHUP to this pid (no service manager reload action, or a hand-started dockerd).
    Signal { pid: u32 },
    /// Windows: set the event `Global\docker-daemon-config-<pid>`.
    WindowsEvent { pid: u32 },
    /// Not possible here: restart instead.
    Unsupported,
}

/// Where the engine's own log lines can be read after a failed start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogSource {
    /// `journalctl -u UNIT` (with `--user` for rootless).
    Journal { unit: String, user: bool },
    /// A log file such as /var/log/docker.log.
    File(PathBuf),
    /// None known.
    Unknown,
}

/// The service manager's handles on the engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    pub reload: Reload,
    /// The restart command; `None` when dockcfg cannot restart it (then `manual_steps` says how).
    pub restart: Option<CommandSpec>,
    /// Commands to run after a failed start before restarting again (`systemctl reset-failed docker`).
    pub reset: Option<CommandSpec>,
    pub logs: LogSource,
    /// What to tell the user when dockcfg cannot do the restart itself.
    pub manual_steps: Option<String>,
}

/// Everything detection found, with the evidence for each conclusion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detected {
    pub os: Os,
    pub install: InstallType,
    pub daemon: Option<RunningDaemon>,
    /// The daemon.json the engine reads (the running daemon's --config-file wins).
    pub config_file: PathBuf,
    /// Why that file: "--config-file on the running dockerd (pid 812)", "default for systemd", ...
    pub config_reason: String,
    /// Every place daemon flags are set, for conflict checks and `migrate`.
    pub flag_sources: Vec<FlagSource>,
    pub service: Service,
    /// The engine API endpoint: `-H` given to dockcfg, else DOCKER_HOST, else the daemon's own
    /// unix socket, else the platform default.
    pub engine_host: String,
    /// The engine version when it can be known without asking the engine (installed package).
    pub version: Option<EngineVersion>,
    /// Lines explaining what was seen, for `dockcfg status`.
    pub evidence: Vec<String>,
}

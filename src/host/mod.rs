//! What this machine's Docker is: install type, running dockerd, the config file in effect,
//! where daemon flags come from, and how the service is reloaded and restarted.
//!
//! Detection is a pure function of a [`SystemView`] (files under `--root`, processes, the
//! environment), so every install type can be laid out as a fixture tree and tested.
//! This file holds the shared model; the submodules hold the rest:
//! - [`view`]: the [`SystemView`] type (what was seen); [`read`]: its thin reader (`SystemView::read`);
//! - [`paths`]: where each platform keeps things, computed from the environment;
//! - [`systemd`]: unit files, drop-ins, `ExecStart` and its `$VARIABLES`;
//! - [`procs`]: `/proc/PID/cmdline` and dockerd's flags;
//! - [`detect`]: the pure decision ([`detect()`], [`edit_target`]);
//! - `render`: `Detected::to_json` and `Detected::describe` for `dockcfg status`;
//! - [`unit_edit`]: registry flags out of a unit's `ExecStart=` (for `migrate`).

pub mod detect;
pub mod paths;
pub mod procs;
pub mod read;
mod render;
pub mod systemd;
pub mod unit_edit;
pub mod view;

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use crate::version::EngineVersion;

pub use detect::{Overrides, detect, detect_with, edit_target};
pub use view::{Process, SystemView};

/// The operating system whose paths and services apply (`--platform` selects it in tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Os {
    Linux,
    Windows,
    Mac,
}

impl Os {
    /// The system dockcfg was built for.
    pub fn native() -> Os {
        if cfg!(windows) {
            Os::Windows
        } else if cfg!(target_os = "macos") {
            Os::Mac
        } else {
            Os::Linux
        }
    }

    /// The name `--platform` takes: `linux`, `windows`, `mac`.
    pub fn as_str(self) -> &'static str {
        match self {
            Os::Linux => "linux",
            Os::Windows => "windows",
            Os::Mac => "mac",
        }
    }
}

impl fmt::Display for Os {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Os {
    type Err = String;
    /// `linux`, `windows` or `mac` (also `macos`, `darwin`), any case.
    fn from_str(s: &str) -> Result<Os, String> {
        match s.to_ascii_lowercase().as_str() {
            "linux" => Ok(Os::Linux),
            "windows" => Ok(Os::Windows),
            "mac" | "macos" | "darwin" => Ok(Os::Mac),
            _ => Err(format!(
                "unknown platform {s:?}: expected linux, windows or mac"
            )),
        }
    }
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

impl InstallType {
    /// A stable short name, used in JSON output: `systemd`, `sysvinit`, `desktop-mac`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            InstallType::Systemd => "systemd",
            InstallType::SysvInit => "sysvinit",
            InstallType::Upstart => "upstart",
            InstallType::OpenRc => "openrc",
            InstallType::Snap => "snap",
            InstallType::Rootless => "rootless",
            InstallType::DesktopMac => "desktop-mac",
            InstallType::DesktopWindows => "desktop-windows",
            InstallType::WindowsServer => "windows-server",
            InstallType::WslDesktop => "wsl-desktop",
            InstallType::Unmanaged => "unmanaged",
            InstallType::None => "none",
        }
    }

    /// How the install is called in messages.
    pub fn describe(self) -> &'static str {
        match self {
            InstallType::Systemd => "systemd service docker.service",
            InstallType::SysvInit => "sysvinit script /etc/init.d/docker",
            InstallType::Upstart => "upstart job /etc/init/docker.conf",
            InstallType::OpenRc => "OpenRC service docker",
            InstallType::Snap => "snap package docker",
            InstallType::Rootless => "rootless dockerd (RootlessKit, the user's own engine)",
            InstallType::DesktopMac => "Docker Desktop for Mac",
            InstallType::DesktopWindows => "Docker Desktop for Windows",
            InstallType::WindowsServer => "Windows Server docker service",
            InstallType::WslDesktop => "WSL 2 using Docker Desktop's engine",
            InstallType::Unmanaged => "dockerd started by hand",
            InstallType::None => "no Docker engine found",
        }
    }
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
    /// A command from its words.
    pub fn new<I, S>(argv: I) -> CommandSpec
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        CommandSpec {
            argv: argv.into_iter().map(Into::into).collect(),
        }
    }

    /// The command as one line (`systemctl reload docker`), for messages.
    /// Words are quoted for a POSIX shell only when they need it (`'a b'`, not `'--x=y'`).
    pub fn line(&self) -> String {
        self.argv
            .iter()
            .map(|w| {
                let plain = !w.is_empty()
                    && w.chars()
                        .all(|c| c.is_ascii_alphanumeric() || "_@%+=:,./-".contains(c));
                if plain {
                    w.clone()
                } else {
                    format!("'{}'", w.replace('\'', "'\\''"))
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
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
    /// The pidfile the service manager itself writes for dockerd at once when it starts it
    /// (sysvinit's start-stop-daemon: /var/run/docker-ssd.pid), so a dockerd that dies while
    /// starting is seen at once rather than after the whole timeout.
    pub pidfile: Option<PathBuf>,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_lines_quote_only_what_a_shell_needs() {
        let cases: &[(&[&str], &str)] = &[
            (
                &["systemctl", "reload", "docker"],
                "systemctl reload docker",
            ),
            (
                &["dockerd", "--containerd=/run/c.sock", "-H", "unix:///x"],
                "dockerd --containerd=/run/c.sock -H unix:///x",
            ),
            (
                &["powershell", "-Command", "Restart-Service docker"],
                "powershell -Command 'Restart-Service docker'",
            ),
            (&["a", "", "it's", r"D:\d"], r"a '' 'it'\''s' 'D:\d'"),
        ];
        for (argv, want) in cases {
            assert_eq!(CommandSpec::new(argv.iter().copied()).line(), *want);
        }
        assert_eq!("macos".parse(), Ok(Os::Mac));
        assert_eq!("Windows".parse(), Ok(Os::Windows));
        assert!("bsd".parse::<Os>().is_err());
        assert_eq!(Os::Linux.to_string(), "linux");
    }
}

//! Docker Desktop (Mac, Windows, and WSL 2 using Desktop's engine) and the Windows engine
//! service: their config files, restart commands and logs.

use std::path::PathBuf;

use super::packages::plist_version;
use super::{Cx, Finding, cmd, no_service};
use crate::host::paths;
use crate::host::{
    CommandSpec, FlagOrigin, FlagSource, InstallType, LogSource, Process, Reload, Service, procs,
};
use crate::version::EngineVersion;

impl Cx<'_> {
    pub(super) fn desktop_restart(
        &mut self,
        plist_version: Option<EngineVersion>,
    ) -> Option<CommandSpec> {
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

    pub(super) fn desktop_service(&mut self, version: Option<EngineVersion>) -> Service {
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
            pidfile: None,
        }
    }

    pub(super) fn wsl_desktop(&mut self) -> Finding {
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

    pub(super) fn mac(&mut self) -> Finding {
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

    pub(super) fn windows(&mut self) -> Finding {
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
            pidfile: None,
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

//! Where each platform keeps Docker's files, computed from the environment (no I/O here), and
//! how a path as the system sees it maps into a `--root` tree.
//!
//! Paths in [`crate::host::Detected`] and in a [`crate::host::SystemView`] are *logical*: as
//! the system itself names them (`/etc/docker/daemon.json`, `C:\ProgramData\docker\...`).
//! [`host_path`] turns one into the path to open under `--root`; a Windows drive letter
//! becomes a folder, so `C:\ProgramData\docker` is `ROOT/C/ProgramData/docker` in a fixture.

use std::path::{Path, PathBuf};

use crate::env::EnvView;
use crate::host::Os;

/// systemd's system unit folders that can hold docker.service, highest precedence first
/// (a unit file in an earlier folder hides the later ones; drop-ins from all are merged).
pub const SYSTEM_UNIT_DIRS: [&str; 5] = [
    "/etc/systemd/system",
    "/run/systemd/system",
    "/usr/local/lib/systemd/system",
    "/lib/systemd/system",
    "/usr/lib/systemd/system",
];

/// The rootful Linux engine's default config file.
pub const ROOTFUL_DAEMON_JSON: &str = "/etc/docker/daemon.json";
/// The snap's config file (`current` links to the active revision's `$SNAP_DATA`).
pub const SNAP_DAEMON_JSON: &str = "/var/snap/docker/current/config/daemon.json";
/// The Linux engine's default socket.
pub const DEFAULT_UNIX_HOST: &str = "unix:///var/run/docker.sock";
/// The Windows engine's (and Docker Desktop's) default named pipe.
pub const WINDOWS_PIPE_HOST: &str = "npipe:////./pipe/docker_engine";

/// Pidfiles the Linux init scripts and dockerd itself write.
pub const PIDFILES: [&str; 4] = [
    "/var/run/docker-ssd.pid",
    "/var/run/docker.pid",
    "/run/docker.pid",
    "/run/snap.docker/docker.pid",
];

/// The per-user and per-machine locations that depend on the environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Places {
    pub os: Os,
    pub euid: u32,
    /// `$HOME` (Mac, Linux) or `%USERPROFILE%` (Windows).
    pub home: Option<String>,
    /// `$XDG_CONFIG_HOME`, else `$HOME/.config` (Linux).
    pub config_home: Option<String>,
    /// `$XDG_RUNTIME_DIR`, else `/run/user/UID` (Linux, non-root).
    pub runtime_dir: Option<String>,
    /// `%ProgramData%` (Windows), default `C:\ProgramData`.
    pub program_data: String,
    /// `%ProgramFiles%` (Windows), default `C:\Program Files`.
    pub program_files: String,
    /// `%LOCALAPPDATA%` (Windows), else `%USERPROFILE%\AppData\Local`.
    pub local_app_data: Option<String>,
}

fn var(env: &EnvView, names: &[&str]) -> Option<String> {
    names
        .iter()
        .find_map(|n| env.var(n))
        .map(|v| v.to_string_lossy().into_owned())
}

impl Places {
    /// Compute the locations for `os` from the environment.
    pub fn from_env(os: Os, env: &EnvView) -> Places {
        let home = match os {
            Os::Windows => var(env, &["USERPROFILE"]),
            _ => var(env, &["HOME"]),
        };
        let config_home = var(env, &["XDG_CONFIG_HOME"]).or_else(|| {
            home.as_ref()
                .filter(|_| os == Os::Linux)
                .map(|h| format!("{}/.config", h.trim_end_matches('/')))
        });
        let runtime_dir = var(env, &["XDG_RUNTIME_DIR"]).or_else(|| {
            (os == Os::Linux && env.euid() != 0).then(|| format!("/run/user/{}", env.euid()))
        });
        let program_data = var(env, &["ProgramData", "PROGRAMDATA", "ALLUSERSPROFILE"])
            .unwrap_or_else(|| r"C:\ProgramData".to_string());
        let program_files = var(env, &["ProgramFiles", "PROGRAMFILES"])
            .unwrap_or_else(|| r"C:\Program Files".to_string());
        let local_app_data = var(env, &["LOCALAPPDATA"]).or_else(|| {
            home.as_ref()
                .filter(|_| os == Os::Windows)
                .map(|h| win_join(h, &["AppData", "Local"]))
        });
        Places {
            os,
            euid: env.euid(),
            home,
            config_home,
            runtime_dir,
            program_data,
            program_files,
            local_app_data,
        }
    }

    /// `$XDG_CONFIG_HOME/docker/daemon.json`: the rootless engine's file.
    pub fn rootless_daemon_json(&self) -> Option<PathBuf> {
        self.config_home
            .as_ref()
            .map(|c| PathBuf::from(format!("{}/docker/daemon.json", c.trim_end_matches('/'))))
    }

    /// `$XDG_CONFIG_HOME/systemd/user`: where the rootless setup tool writes docker.service.
    pub fn user_unit_dir(&self) -> Option<PathBuf> {
        self.config_home
            .as_ref()
            .map(|c| PathBuf::from(format!("{}/systemd/user", c.trim_end_matches('/'))))
    }

    /// The rootless engine's socket: `unix://$XDG_RUNTIME_DIR/docker.sock`.
    pub fn rootless_host(&self) -> Option<String> {
        self.runtime_dir
            .as_ref()
            .map(|r| format!("unix://{}/docker.sock", r.trim_end_matches('/')))
    }

    /// The rootless engine's default pidfile: `$XDG_RUNTIME_DIR/docker.pid`.
    pub fn rootless_pidfile(&self) -> Option<PathBuf> {
        self.runtime_dir
            .as_ref()
            .map(|r| PathBuf::from(format!("{}/docker.pid", r.trim_end_matches('/'))))
    }

    /// Docker Desktop's engine settings file: `~/.docker/daemon.json` (`%USERPROFILE%` on Windows).
    pub fn desktop_daemon_json(&self) -> Option<PathBuf> {
        let home = self.home.as_ref()?;
        Some(match self.os {
            Os::Windows => win_join(home, &[".docker", "daemon.json"]).into(),
            _ => PathBuf::from(format!(
                "{}/.docker/daemon.json",
                home.trim_end_matches('/')
            )),
        })
    }

    /// Docker Desktop for Mac's socket: `unix://$HOME/.docker/run/docker.sock`.
    pub fn desktop_mac_host(&self) -> Option<String> {
        self.home
            .as_ref()
            .map(|h| format!("unix://{}/.docker/run/docker.sock", h.trim_end_matches('/')))
    }

    /// The Windows engine's config file: `DATA_ROOT\config\daemon.json`, where the data root
    /// is `--data-root` when given, else `%ProgramData%\docker` (moby: daemon/command/daemon.go
    /// sets the default config file from the data root on Windows).
    pub fn windows_daemon_json(&self, data_root: Option<&str>) -> PathBuf {
        let root = data_root.map_or_else(
            || win_join(&self.program_data, &["docker"]),
            |r| r.trim_end_matches(['\\', '/']).to_string(),
        );
        win_join(&root, &["config", "daemon.json"]).into()
    }

    /// Docker Desktop for Windows' main program.
    pub fn desktop_windows_exe(&self) -> PathBuf {
        win_join(
            &self.program_files,
            &["Docker", "Docker", "Docker Desktop.exe"],
        )
        .into()
    }

    /// The Windows Server engine's binary, as Microsoft's and Mirantis' install scripts place it.
    pub fn windows_dockerd_exe(&self) -> PathBuf {
        win_join(&self.program_files, &["Docker", "dockerd.exe"]).into()
    }

    /// Where the `docker desktop` CLI plugin can be (its `restart` exists from Desktop 4.37).
    pub fn desktop_plugin_paths(&self) -> Vec<PathBuf> {
        let mut out = Vec::new();
        match self.os {
            Os::Windows => {
                out.push(
                    win_join(
                        &self.program_files,
                        &["Docker", "cli-plugins", "docker-desktop.exe"],
                    )
                    .into(),
                );
                if let Some(h) = &self.home {
                    out.push(win_join(h, &[".docker", "cli-plugins", "docker-desktop.exe"]).into());
                }
            }
            Os::Mac | Os::Linux => {
                if let Some(h) = &self.home {
                    out.push(
                        format!(
                            "{}/.docker/cli-plugins/docker-desktop",
                            h.trim_end_matches('/')
                        )
                        .into(),
                    );
                }
                out.push(MAC_APP_PLUGIN.into());
                out.push("/usr/local/lib/docker/cli-plugins/docker-desktop".into());
                out.push("/usr/lib/docker/cli-plugins/docker-desktop".into());
            }
        }
        out
    }

    /// Docker Desktop's log files for the engine, newest layout first (`init.log` replaced
    /// `dockerd.log` in 2026).
    pub fn desktop_logs(&self) -> Vec<PathBuf> {
        match (self.os, &self.home, &self.local_app_data) {
            (Os::Mac, Some(h), _) => ["init.log", "dockerd.log"]
                .iter()
                .map(|f| {
                    PathBuf::from(format!(
                        "{}/Library/Containers/com.docker.docker/Data/log/vm/{f}",
                        h.trim_end_matches('/')
                    ))
                })
                .collect(),
            (Os::Windows, _, Some(l)) => ["init.log", "dockerd.log"]
                .iter()
                .map(|f| PathBuf::from(win_join(l, &["Docker", "log", "vm", f])))
                .collect(),
            _ => Vec::new(),
        }
    }
}

/// Docker Desktop for Mac's application bundle.
pub const MAC_APP: &str = "/Applications/Docker.app";
/// Its Info.plist (holds the Desktop version).
pub const MAC_APP_PLIST: &str = "/Applications/Docker.app/Contents/Info.plist";
const MAC_APP_PLUGIN: &str =
    "/Applications/Docker.app/Contents/Resources/cli-plugins/docker-desktop";

/// WSL 2 integration folder that Docker Desktop mounts into each distribution.
pub const WSL_DESKTOP_DIR: &str = "/mnt/wsl/docker-desktop";
/// Windows user folders as seen from WSL.
pub const WSL_WINDOWS_USERS: &str = "/mnt/c/Users";

/// Join Windows path parts with `\`.
pub fn win_join(base: &str, parts: &[&str]) -> String {
    let mut s = base.trim_end_matches(['\\', '/']).to_string();
    for p in parts {
        s.push('\\');
        s.push_str(p);
    }
    s
}

/// The drive letter and the rest of a Windows path such as `C:\x\y` or `c:/x`.
fn windows_drive(path: &str) -> Option<(char, &str)> {
    let mut cs = path.chars();
    let drive = cs.next().filter(char::is_ascii_alphabetic)?;
    let rest = cs.as_str().strip_prefix(':')?;
    (rest.is_empty() || rest.starts_with(['\\', '/'])).then_some((drive.to_ascii_uppercase(), rest))
}

/// Whether `path` is a Windows path with a drive letter.
pub fn is_windows_path(path: &Path) -> bool {
    path.to_str().and_then(windows_drive).is_some()
}

/// The last part of a Unix or Windows path (`dockerd` for `/usr/bin/dockerd`,
/// `dockerd.exe` for `C:\Program Files\docker\dockerd.exe`).
pub fn base_name(path: &str) -> &str {
    path.rsplit(['/', '\\']).next().unwrap_or(path)
}

/// The path to open for the logical path `logical` under `root`: `/etc/x` is `ROOT/etc/x`;
/// a Windows path `C:\x\y` is `ROOT/C/x/y` (except on Windows with root `/`, where it is itself).
pub fn host_path(root: &Path, logical: &Path) -> PathBuf {
    let text = logical.to_string_lossy();
    if let Some((drive, rest)) = windows_drive(&text) {
        if cfg!(windows) && root == Path::new("/") {
            return logical.to_path_buf();
        }
        let mut p = root.join(drive.to_string());
        for part in rest.split(['\\', '/']).filter(|s| !s.is_empty()) {
            p.push(part);
        }
        return p;
    }
    match logical.strip_prefix("/") {
        Ok(rel) => root.join(rel),
        Err(_) => root.join(logical),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_logical_paths_under_a_root() {
        let cases: &[(&str, &str, &str)] = &[
            ("/", "/etc/docker/daemon.json", "/etc/docker/daemon.json"),
            ("/t", "/etc/docker/daemon.json", "/t/etc/docker/daemon.json"),
            (
                "/t",
                r"C:\ProgramData\docker\config\daemon.json",
                "/t/C/ProgramData/docker/config/daemon.json",
            ),
            ("/t", r"c:/Users/a/.docker", "/t/C/Users/a/.docker"),
        ];
        for (root, logical, want) in cases {
            if cfg!(windows) && *root == "/" {
                continue;
            }
            assert_eq!(
                host_path(Path::new(root), Path::new(logical)),
                PathBuf::from(want),
                "{logical}"
            );
        }
    }

    #[test]
    fn places_follow_the_environment() {
        let env = EnvView::new(1000)
            .with("HOME", "/home/u")
            .with("XDG_RUNTIME_DIR", "/run/user/1000");
        let p = Places::from_env(Os::Linux, &env);
        assert_eq!(
            p.rootless_daemon_json(),
            Some(PathBuf::from("/home/u/.config/docker/daemon.json"))
        );
        assert_eq!(
            p.rootless_host().as_deref(),
            Some("unix:///run/user/1000/docker.sock")
        );
        let env = env.with("XDG_CONFIG_HOME", "/cfg/");
        let p = Places::from_env(Os::Linux, &env);
        assert_eq!(
            p.rootless_daemon_json(),
            Some(PathBuf::from("/cfg/docker/daemon.json"))
        );
        assert_eq!(p.user_unit_dir(), Some(PathBuf::from("/cfg/systemd/user")));

        let root = Places::from_env(Os::Linux, &EnvView::new(0));
        assert_eq!(root.runtime_dir, None);
        let user = Places::from_env(Os::Linux, &EnvView::new(1001));
        assert_eq!(
            user.rootless_pidfile(),
            Some(PathBuf::from("/run/user/1001/docker.pid"))
        );

        let win = Places::from_env(
            Os::Windows,
            &EnvView::new(0)
                .with("USERPROFILE", r"C:\Users\ann")
                .with("ProgramData", r"D:\PD"),
        );
        assert_eq!(
            win.desktop_daemon_json(),
            Some(PathBuf::from(r"C:\Users\ann\.docker\daemon.json"))
        );
        assert_eq!(
            win.windows_daemon_json(None),
            PathBuf::from(r"D:\PD\docker\config\daemon.json")
        );
        assert_eq!(
            win.windows_daemon_json(Some(r"E:\docker\")),
            PathBuf::from(r"E:\docker\config\daemon.json")
        );
        assert_eq!(
            win.local_app_data.as_deref(),
            Some(r"C:\Users\ann\AppData\Local")
        );
        let mac = Places::from_env(Os::Mac, &EnvView::new(501).with("HOME", "/Users/ann"));
        assert_eq!(
            mac.desktop_mac_host().as_deref(),
            Some("unix:///Users/ann/.docker/run/docker.sock")
        );
        assert_eq!(mac.runtime_dir, None);
    }

    #[test]
    fn base_names_of_unix_and_windows_paths() {
        for (p, want) in [
            ("/usr/bin/dockerd", "dockerd"),
            ("dockerd", "dockerd"),
            (r"C:\Program Files\docker\dockerd.exe", "dockerd.exe"),
            ("", ""),
        ] {
            assert_eq!(base_name(p), want);
        }
    }
}

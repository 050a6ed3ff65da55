//! Plain settings for a run, converted from the command line at once (nothing past here sees
//! clap), plus the environment values that matter, read in one thin place.

use std::path::{Path, PathBuf};

use crate::cli::{self, Cli, ColorWhen};
use crate::env::EnvView;
use crate::validate::Platform;
use crate::version::EngineVersion;

/// Which registry setting a command works on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegistryKey {
    Insecure,
    Mirrors,
}

impl RegistryKey {
    /// The daemon.json key.
    pub fn json_key(self) -> &'static str {
        match self {
            RegistryKey::Insecure => "insecure-registries",
            RegistryKey::Mirrors => "registry-mirrors",
        }
    }
    /// The dockerd flag (without dashes) used in DOCKER_OPTS.
    pub fn flag(self) -> &'static str {
        match self {
            RegistryKey::Insecure => "insecure-registry",
            RegistryKey::Mirrors => "registry-mirror",
        }
    }
    /// How one entry is called in messages.
    pub fn noun(self) -> &'static str {
        match self {
            RegistryKey::Insecure => "insecure registry",
            RegistryKey::Mirrors => "mirror",
        }
    }
}

/// What to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Add {
        key: RegistryKey,
        values: Vec<String>,
        first: bool,
    },
    Remove {
        key: RegistryKey,
        values: Vec<String>,
    },
    List {
        key: RegistryKey,
    },
    Undo,
    /// `status`: the engine, the file, and how they differ.
    Status,
    /// `apply`: apply the file as it is.
    Apply,
    /// `migrate`: move registry flags from these DOCKER_OPTS / OPTIONS files (none given: the
    /// ones the engine reads) into daemon.json.
    Migrate {
        from: Vec<PathBuf>,
    },
    /// Check the target file (which `validate PATH` sets, as `--file` does).
    Validate,
    /// Repair the target file (which `fix PATH` sets, as `--file` does).
    Fix,
    Completions(clap_complete::Shell),
}

/// How a change reaches the running engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplySettings {
    /// Apply after writing: not with --no-apply, --dry-run or --root.
    pub enabled: bool,
    /// `--restart`: restart even where a reload would do.
    pub force_restart: bool,
    /// `--timeout`: how long the engine may take to show the change.
    pub timeout: std::time::Duration,
    /// `-H`: the engine's API socket.
    pub host: Option<String>,
    /// `--pidfile`: the dockerd to signal when no service manager runs it.
    pub pidfile: Option<PathBuf>,
    /// `--log-file`: the engine's log, shown after a failed apply.
    pub log_file: Option<PathBuf>,
    /// `--restart-cmd` (hidden, until service detection knows the command).
    pub restart_cmd: Option<Vec<String>>,
}

/// The environment a run depends on: variables and user (`EnvView`) and which standard streams
/// are terminals, read once by `Env::read`.
#[derive(Debug, Clone, Default)]
pub struct Env {
    pub view: EnvView,
    pub stdout_is_terminal: bool,
    pub stderr_is_terminal: bool,
    pub stdin_is_terminal: bool,
}

impl Env {
    pub fn read() -> Env {
        use std::io::IsTerminal;
        Env {
            view: EnvView::capture(),
            stdout_is_terminal: std::io::stdout().is_terminal(),
            stderr_is_terminal: std::io::stderr().is_terminal(),
            stdin_is_terminal: std::io::stdin().is_terminal(),
        }
    }
    /// NO_COLOR set to anything but the empty string.
    pub fn no_color(&self) -> bool {
        self.view.var("NO_COLOR").is_some()
    }
}

/// Everything a run needs to know, decided from the command line and the environment.
#[derive(Debug, Clone)]
pub struct Settings {
    pub action: Action,
    /// The file to read and edit (resolved by detection when `--file` is not given).
    pub target: PathBuf,
    /// `--file` was given: the target is the user's choice, not detection's.
    pub file_given: bool,
    /// Whose paths and services apply (`--platform`; default: this machine's).
    pub platform: crate::host::Os,
    pub root: Option<PathBuf>,
    pub dry_run: bool,
    pub yes: bool,
    pub json: bool,
    pub color: bool,
    /// Colour for messages on stderr (decided like `color`, for stderr's terminal).
    pub color_stderr: bool,
    pub force: bool,
    /// A prompt may appear only when stdin is a terminal and --yes was not given.
    pub may_ask: bool,
    pub apply: ApplySettings,
    /// `--engine`: judge files by this engine's rules instead of the installed one's.
    pub engine: Option<EngineVersion>,
}

/// The default daemon.json, under `root` when given.
pub const DEFAULT_DAEMON_JSON: &str = "/etc/docker/daemon.json";

/// Resolve a system path under `root`: `/etc/x` becomes `ROOT/etc/x`. A path already under
/// `root` is kept, so `--root $T --file $T/etc/default/docker` means what it says.
pub fn under_root(root: Option<&Path>, path: &Path) -> PathBuf {
    match root {
        Some(r) if path.is_absolute() && !path.starts_with(r) => {
            r.join(path.strip_prefix("/").unwrap_or(path))
        }
        _ => path.to_path_buf(),
    }
}

impl Settings {
    /// The platform whose dockerd rules judge files: Windows for `--platform windows`, else
    /// Linux (Docker Desktop on a Mac runs a Linux engine).
    pub fn rules_platform(&self) -> Platform {
        match self.platform {
            crate::host::Os::Windows => Platform::Windows,
            _ => Platform::Linux,
        }
    }

    pub fn from_cli(cli: Cli, env: &Env) -> Settings {
        use cli::{Command as C, InsecureCmd as I, MirrorCmd as M};
        let add = |key, values, first| Action::Add { key, values, first };
        let rm = |key, values| Action::Remove { key, values };
        let mut named = cli.global.file.clone();
        let action = match cli.command {
            C::Insecure(I::Add(a)) | C::AddInsecure(a) => {
                add(RegistryKey::Insecure, a.addrs, false)
            }
            C::Insecure(I::Rm(a)) | C::RmInsecure(a) => rm(RegistryKey::Insecure, a.addrs),
            C::Insecure(I::Ls) => Action::List {
                key: RegistryKey::Insecure,
            },
            C::Mirror(M::Add { first, urls }) => add(RegistryKey::Mirrors, urls.urls, first),
            C::Mirror(M::Rm(u)) => rm(RegistryKey::Mirrors, u.urls),
            C::Mirror(M::Ls) => Action::List {
                key: RegistryKey::Mirrors,
            },
            C::Undo => Action::Undo,
            C::Status => Action::Status,
            C::Apply => Action::Apply,
            C::Migrate { from } => Action::Migrate {
                from: from
                    .iter()
                    .map(|f| under_root(cli.global.root.as_deref(), f))
                    .collect(),
            },
            C::Validate { path } => {
                if path.is_some() {
                    named = path;
                }
                Action::Validate
            }
            C::Fix { path } => {
                if path.is_some() {
                    named = path;
                }
                Action::Fix
            }
            C::Completions { shell } => Action::Completions(shell),
        };
        let g = cli.global;
        let root = g.root;
        let target = match &named {
            Some(f) => under_root(root.as_deref(), f),
            None => under_root(root.as_deref(), Path::new(DEFAULT_DAEMON_JSON)),
        };
        let colour_for = |terminal: bool| match g.color {
            ColorWhen::Always => true,
            ColorWhen::Never => false,
            ColorWhen::Auto => terminal && !env.no_color(),
        };
        let color = colour_for(env.stdout_is_terminal);
        Settings {
            action,
            target,
            file_given: named.is_some(),
            platform: g.platform.unwrap_or_else(crate::host::Os::native),
            dry_run: g.dry_run,
            yes: g.yes,
            json: g.json,
            color: color && !g.json,
            color_stderr: colour_for(env.stderr_is_terminal),
            force: g.force,
            may_ask: env.stdin_is_terminal && !g.yes && !g.json,
            engine: g.engine,
            apply: ApplySettings {
                enabled: !g.no_apply && !g.dry_run && root.is_none(),
                force_restart: g.restart,
                timeout: std::time::Duration::from_secs(g.timeout),
                host: g.host,
                pidfile: g.pidfile,
                log_file: g.log_file,
                restart_cmd: g.restart_cmd.map(|c| c.0),
            },
            root,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn settings(args: &[&str], env: &Env) -> Settings {
        let cli = Cli::try_parse_from(std::iter::once("dockcfg").chain(args.iter().copied()))
            .expect("test arguments parse");
        Settings::from_cli(cli, env)
    }

    #[test]
    fn target_follows_file_and_root() {
        let env = Env::default();
        let cases: &[(&[&str], &str)] = &[
            (&["insecure", "ls"], "/etc/docker/daemon.json"),
            (
                &["--root", "/mnt", "insecure", "ls"],
                "/mnt/etc/docker/daemon.json",
            ),
            (
                &["insecure", "ls", "--root", "/mnt"],
                "/mnt/etc/docker/daemon.json",
            ),
            (&["-f", "x.json", "mirror", "ls"], "x.json"),
            (
                &[
                    "mirror",
                    "ls",
                    "--root",
                    "/mnt",
                    "-f",
                    "/etc/default/docker",
                ],
                "/mnt/etc/default/docker",
            ),
            (
                &[
                    "--root",
                    "/mnt",
                    "-f",
                    "/mnt/etc/conf.d/docker",
                    "mirror",
                    "ls",
                ],
                "/mnt/etc/conf.d/docker",
            ),
        ];
        for (args, want) in cases {
            assert_eq!(settings(args, &env).target, PathBuf::from(want), "{args:?}");
        }
    }

    #[test]
    fn validate_path_is_the_target_and_engine_is_parsed() {
        let env = Env::default();
        let s = settings(&["validate", "x.json", "--engine", "20.10"], &env);
        assert_eq!(s.target, PathBuf::from("x.json"));
        assert!(s.file_given);
        assert_eq!(s.engine, Some(EngineVersion::new(20, 10)));
        let s = settings(
            &["--root", "/mnt", "validate", "--platform", "windows"],
            &env,
        );
        assert_eq!(s.target, PathBuf::from("/mnt/etc/docker/daemon.json"));
        assert!(!s.file_given);
        assert_eq!(s.rules_platform(), Platform::Windows);
        let bad = Cli::try_parse_from(["dockcfg", "validate", "--engine", "twenty"]);
        assert_eq!(bad.map(|_| ()).map_err(|e| e.exit_code()), Err(2));
    }

    #[test]
    fn aliases_map_to_the_same_action() {
        let env = Env::default();
        let a = settings(&["add-insecure", "h:5000"], &env).action;
        let b = settings(&["insecure", "add", "h:5000"], &env).action;
        assert_eq!(a, b);
        assert_eq!(
            settings(
                &["mirror", "add", "--first", "https://m", "https://n"],
                &env
            )
            .action,
            Action::Add {
                key: RegistryKey::Mirrors,
                values: vec!["https://m".into(), "https://n".into()],
                first: true
            }
        );
    }

    #[test]
    fn colour_only_on_a_terminal_without_no_color() {
        let tty = Env {
            stdout_is_terminal: true,
            ..Env::default()
        };
        let tty_no_color = Env {
            view: EnvView::new(1000).with("NO_COLOR", "1"),
            ..tty.clone()
        };
        assert!(settings(&["insecure", "ls"], &tty).color);
        assert!(!settings(&["insecure", "ls"], &tty_no_color).color);
        assert!(!settings(&["insecure", "ls"], &Env::default()).color);
        assert!(settings(&["--color", "always", "insecure", "ls"], &Env::default()).color);
        assert!(!settings(&["--color", "never", "insecure", "ls"], &tty).color);
        assert!(!settings(&["--json", "insecure", "ls"], &tty).color);
    }

    #[test]
    fn apply_is_off_with_no_apply_dry_run_or_root() {
        let env = Env::default();
        let cases: &[(&[&str], bool)] = &[
            (&["add-insecure", "h:5000"], true),
            (&["--no-apply", "add-insecure", "h:5000"], false),
            (&["add-insecure", "h:5000", "-n"], false),
            (&["--root", "/mnt", "add-insecure", "h:5000"], false),
        ];
        for (args, want) in cases {
            assert_eq!(settings(args, &env).apply.enabled, *want, "{args:?}");
        }
        let s = settings(
            &[
                "-H",
                "unix:///t/d.sock",
                "--pidfile",
                "/t/d.pid",
                "--timeout",
                "5",
                "--restart",
                "--restart-cmd",
                "service docker restart",
                "apply",
            ],
            &env,
        );
        assert_eq!(s.action, Action::Apply);
        assert_eq!(s.apply.host.as_deref(), Some("unix:///t/d.sock"));
        assert_eq!(s.apply.timeout, std::time::Duration::from_secs(5));
        assert!(s.apply.force_restart);
        assert_eq!(
            s.apply.restart_cmd,
            Some(vec![
                "service".to_string(),
                "docker".into(),
                "restart".into()
            ])
        );
        let bad = Cli::try_parse_from(["dockcfg", "--timeout", "0", "apply"]);
        assert!(bad.is_err());
        let m = settings(
            &["--root", "/mnt", "migrate", "--from", "/etc/default/docker"],
            &env,
        );
        assert_eq!(
            m.action,
            Action::Migrate {
                from: vec![PathBuf::from("/mnt/etc/default/docker")]
            }
        );
    }

    #[test]
    fn never_asks_without_a_terminal_or_with_yes() {
        let tty = Env {
            stdin_is_terminal: true,
            ..Env::default()
        };
        assert!(settings(&["undo"], &tty).may_ask);
        assert!(!settings(&["undo", "-y"], &tty).may_ask);
        assert!(!settings(&["undo"], &Env::default()).may_ask);
    }
}

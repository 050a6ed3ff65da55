//! Where dockcfg keeps its backups: chosen by a pure function of `--root`, the environment and the
//! effective user id, which the thin [`EnvView::capture`] reads once at the edge.

use std::path::{Path, PathBuf};

use super::errors::{StoreErrorKind, store_error};
pub use crate::env::EnvView;

/// The folder holding dockcfg's state (backups live in its `backups/` folder).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateDir(PathBuf);

impl StateDir {
    /// A state folder at `path` (tests, or a caller that has its own rule).
    pub fn new(path: impl Into<PathBuf>) -> StateDir {
        StateDir(path.into())
    }

    /// The folder itself.
    pub fn path(&self) -> &Path {
        &self.0
    }

    /// Choose the state folder: `$DOCKCFG_STATE_DIR` if set; else with `--root DIR`,
    /// `DIR/var/lib/dockcfg`; else for root `/var/lib/dockcfg`; else `$XDG_STATE_HOME/dockcfg`
    /// (when absolute, as the XDG spec asks) or `$HOME/.local/state/dockcfg`.
    /// Fails only for a non-root user with neither an absolute XDG_STATE_HOME nor HOME.
    pub fn choose(root: Option<&Path>, env: &EnvView) -> anyhow::Result<StateDir> {
        if let Some(dir) = env.var("DOCKCFG_STATE_DIR") {
            return Ok(StateDir(PathBuf::from(dir)));
        }
        if let Some(root) = root {
            return Ok(StateDir(root.join("var/lib/dockcfg")));
        }
        if env.euid() == 0 {
            return Ok(StateDir(PathBuf::from("/var/lib/dockcfg")));
        }
        let absolute = |name| env.var(name).map(Path::new).filter(|p| p.is_absolute());
        if let Some(xdg) = absolute("XDG_STATE_HOME") {
            return Ok(StateDir(xdg.join("dockcfg")));
        }
        if let Some(home) = absolute("HOME") {
            return Ok(StateDir(home.join(".local/state/dockcfg")));
        }
        Err(store_error(
            StoreErrorKind::Unusable,
            "cannot choose where to keep backups: HOME is not set; set DOCKCFG_STATE_DIR to a folder",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_dir_follows_the_documented_order() {
        let user = EnvView::new(1000).with("HOME", "/home/u");
        let cases: &[(&str, Option<&str>, EnvView, &str)] = &[
            (
                "env wins over everything",
                Some("/r"),
                EnvView::new(0).with("DOCKCFG_STATE_DIR", "/s"),
                "/s",
            ),
            ("--root", Some("/r"), EnvView::new(0), "/r/var/lib/dockcfg"),
            (
                "--root for a user too",
                Some("/r"),
                user.clone(),
                "/r/var/lib/dockcfg",
            ),
            ("root user", None, EnvView::new(0), "/var/lib/dockcfg"),
            (
                "root ignores XDG",
                None,
                EnvView::new(0).with("XDG_STATE_HOME", "/x"),
                "/var/lib/dockcfg",
            ),
            (
                "user with XDG_STATE_HOME",
                None,
                user.clone().with("XDG_STATE_HOME", "/x"),
                "/x/dockcfg",
            ),
            (
                "relative XDG_STATE_HOME is ignored",
                None,
                user.clone().with("XDG_STATE_HOME", "rel"),
                "/home/u/.local/state/dockcfg",
            ),
            (
                "empty DOCKCFG_STATE_DIR counts as unset",
                None,
                user.clone().with("DOCKCFG_STATE_DIR", ""),
                "/home/u/.local/state/dockcfg",
            ),
            (
                "user with HOME",
                None,
                user.clone(),
                "/home/u/.local/state/dockcfg",
            ),
        ];
        for (name, root, env, want) in cases {
            let got = StateDir::choose(root.map(Path::new), env).map(|s| s.path().to_path_buf());
            assert_eq!(got.ok(), Some(PathBuf::from(want)), "{name}");
        }
    }

    #[test]
    fn user_without_home_gets_a_clear_error() {
        let err = StateDir::choose(None, &EnvView::new(1000)).err();
        assert_eq!(
            err.map(|e| format!("{e:#}")).as_deref(),
            Some(
                "cannot choose where to keep backups: HOME is not set; set DOCKCFG_STATE_DIR to a folder"
            )
        );
    }
}

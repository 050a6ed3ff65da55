//! The process environment, read once at the edge: variables and the effective user id.
//! Everything else takes an `EnvView`, so decisions are pure functions of it.

use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};

/// The environment variables and effective user id that decisions depend on, captured once.
/// Empty variables count as unset. Tests build one with [`EnvView::new`] and [`EnvView::with`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EnvView {
    vars: BTreeMap<OsString, OsString>,
    euid: u32,
}

impl EnvView {
    /// The real process environment and effective user id.
    pub fn capture() -> EnvView {
        EnvView {
            vars: std::env::vars_os().collect(),
            euid: nix::unistd::geteuid().as_raw(),
        }
    }

    /// An empty environment for user `euid`.
    pub fn new(euid: u32) -> EnvView {
        EnvView {
            vars: BTreeMap::new(),
            euid,
        }
    }

    /// This view with `name` set to `value`.
    pub fn with(mut self, name: impl Into<OsString>, value: impl Into<OsString>) -> EnvView {
        self.vars.insert(name.into(), value.into());
        self
    }

    /// The value of `name`, or `None` when unset or empty.
    pub fn var(&self, name: &str) -> Option<&OsStr> {
        self.vars
            .get(OsStr::new(name))
            .map(OsString::as_os_str)
            .filter(|v| !v.is_empty())
    }

    /// The effective user id.
    pub fn euid(&self) -> u32 {
        self.euid
    }
}

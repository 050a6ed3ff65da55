//! Which engine version's rules a run judges files by: `--engine`, else the installed dockerd's
//! (`dockerd --version`, asked once per run), else the newest dockcfg knows.

use std::time::Duration;

use crate::host::CommandSpec;
use crate::host::Detected;
use crate::runner::Runner;
use crate::settings::Settings;
use crate::validate::{Options, versions};
use crate::version::EngineVersion;

/// The engine version chosen, and why, in words for a note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineChoice {
    pub version: EngineVersion,
    /// `--engine`, `the installed dockerd ("Docker version ...")`, ...
    pub why: String,
    /// True when the user named it (`--engine`): no note needed.
    pub given: bool,
}

/// The version of the dockerd on PATH (`dockerd --version`), and the line it printed.
pub fn installed_engine(runner: &dyn Runner) -> Option<(EngineVersion, String)> {
    let out = runner
        .run(
            &CommandSpec::new(["dockerd", "--version"]),
            Duration::from_secs(5),
        )
        .ok()?;
    if !out.success() {
        return None;
    }
    let line = out.stdout.lines().next().unwrap_or("").trim().to_string();
    EngineVersion::find_in(&line).map(|v| (v, line))
}

/// The known version whose rules apply to `v`: itself, or the nearest known one.
fn known(v: EngineVersion) -> (EngineVersion, Option<String>) {
    let oldest = versions::KNOWN.first().copied().unwrap_or(v);
    let newest = EngineVersion::NEWEST;
    if v < oldest {
        (
            oldest,
            Some(format!(
                "dockcfg knows the rules from {oldest} on; judging {v} as {oldest}"
            )),
        )
    } else if v > newest {
        (
            newest,
            Some(format!(
                "dockcfg knows the rules up to {newest}; judging {v} as {newest}"
            )),
        )
    } else {
        (v, None)
    }
}

/// Decide the engine version for this run. Asks `runner` only when no `--engine` and no
/// `--root` was given (under `--root` the installed dockerd is not the one of that tree).
pub fn choose(settings: &Settings, detected: &Detected, runner: &dyn Runner) -> EngineChoice {
    let (raw, why, given) = if let Some(v) = settings.engine {
        (v, "--engine".to_string(), true)
    } else if let Some(v) = detected.version {
        (
            v,
            format!("the installed engine: {}", detected.install.describe()),
            false,
        )
    } else if settings.root.is_some() {
        (
            EngineVersion::NEWEST,
            "the newest dockcfg knows; with --root the installed dockerd is not asked".to_string(),
            false,
        )
    } else if let Some((v, line)) = installed_engine(runner) {
        (v, format!("the installed dockerd: {line}"), false)
    } else {
        (
            EngineVersion::NEWEST,
            "the newest dockcfg knows; no dockerd found".to_string(),
            false,
        )
    };
    let (version, clamp) = known(raw);
    let why = match clamp {
        Some(c) => format!("{why}; {c}"),
        None => why,
    };
    EngineChoice {
        version,
        why,
        given,
    }
}

/// The validation options for this run's engine and platform.
pub fn options(settings: &Settings, choice: &EngineChoice) -> Options {
    Options::new(choice.version, settings.rules_platform())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runner::{CmdOutput, Recorder};

    #[test]
    fn reads_dockerd_version_once() {
        let r = Recorder::new();
        r.answer(Ok(CmdOutput {
            code: Some(0),
            stdout: "Docker version 20.10.24+dfsg1, build 5d6db84\n".into(),
            ..CmdOutput::default()
        }));
        assert_eq!(
            installed_engine(&r),
            Some((
                EngineVersion::new(20, 10),
                "Docker version 20.10.24+dfsg1, build 5d6db84".to_string()
            ))
        );
        assert_eq!(r.command_lines(), ["dockerd --version"]);
        let missing = Recorder::new();
        missing.answer(Err(std::io::Error::from(std::io::ErrorKind::NotFound)));
        assert_eq!(installed_engine(&missing), None);
    }

    #[test]
    fn unknown_versions_are_judged_by_the_nearest_known() {
        assert_eq!(
            known(EngineVersion::new(19, 3)).0,
            EngineVersion::new(20, 10)
        );
        assert_eq!(known(EngineVersion::new(35, 0)).0, EngineVersion::NEWEST);
        assert_eq!(
            known(EngineVersion::new(27, 9)).0,
            EngineVersion::new(27, 9)
        );
    }
}

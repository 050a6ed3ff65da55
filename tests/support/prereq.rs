//! Decide whether a real-engine test can run here: skip with a reason locally, fail under CI.

use std::io::Write;
use std::path::Path;

/// True when the environment says this is a CI run (`CI` set to anything but empty, `0` or `false`).
/// `.ci/run` exports `CI=1`.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0" && !v.eq_ignore_ascii_case("false"))
}

/// What is missing for a real-engine test: not root, or tools not found. Empty when all is there.
/// A tool is a name looked up on PATH, or an absolute path that must be an executable file.
pub fn missing_prerequisites(tools: &[&str]) -> Vec<String> {
    let mut missing = Vec::new();
    if !nix::unistd::geteuid().is_root() {
        missing.push(
            "root (run the tests as root: they create network namespaces and start dockerd)".into(),
        );
    }
    for tool in tools {
        let found = if tool.starts_with('/') {
            is_executable(Path::new(tool))
        } else {
            which::which(tool).is_ok()
        };
        if !found {
            missing.push(format!("`{tool}` (run .ci/install-engines as root)"));
        }
    }
    missing
}

/// What a real-engine test does about its prerequisites.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Everything is there: run.
    Run,
    /// Something is missing outside CI: skip, with this reason.
    Skip(String),
    /// Something is missing under CI: fail, with this reason.
    Fail(String),
}

/// Decides for the test named `test`, given what is missing and whether this is CI.
pub fn verdict(test: &str, missing: &[String], ci: bool) -> Verdict {
    if missing.is_empty() {
        return Verdict::Run;
    }
    let reason = format!("{test}: missing {}", missing.join(", "));
    if ci {
        Verdict::Fail(format!(
            "CI is set, so a missing prerequisite fails the test: {reason}"
        ))
    } else {
        Verdict::Skip(reason)
    }
}

/// True when the test may go on. When a prerequisite is missing: prints why to stderr and returns false,
/// so the test returns early; under CI ([`in_ci`]) it panics instead, because a skipped e2e test in CI
/// would hide a broken machine.
pub fn skip_unless_root_and(tools: &[&str]) -> bool {
    let test = std::thread::current()
        .name()
        .unwrap_or("this test")
        .to_string();
    match verdict(&test, &missing_prerequisites(tools), in_ci()) {
        Verdict::Run => true,
        Verdict::Fail(why) => panic!("{why}"),
        Verdict::Skip(why) => {
            // Written to the process's stderr directly, past libtest's capture, so a skip is seen in every run.
            let _ = writeln!(std::io::stderr(), "SKIPPED {why}");
            false
        }
    }
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// What the end-to-end tests run besides dockcfg: the engine and its CLI, the registry, and the
/// tools for network namespaces and the test image.
pub const E2E_TOOLS: &[&str] = &[
    "dockerd",
    "docker",
    "docker-registry",
    "ip",
    "nsenter",
    "tar",
    "umount",
];

/// dockerd 26.1's path when it and [`E2E_TOOLS`] are there and the test runs as root; else
/// `None`, having said why as [`skip_unless_root_and`] does (a failure under CI).
pub fn require_e2e_with_dockerd_26() -> Option<std::path::PathBuf> {
    let path = super::dockerd::dockerd_26_path();
    let shown = path.display().to_string();
    let mut tools = E2E_TOOLS.to_vec();
    tools.push(&shown);
    skip_unless_root_and(&tools).then_some(path)
}

//! Shared harness for integration and end-to-end tests: real dockerd, real registry, network namespaces.
//!
//! Use it from a test file with `mod support;`. Every handle here owns what it started and removes it in
//! `Drop` (by pid, never by name), also when the test panics. Declare handles in the order they depend on
//! each other (a [`Netns`] before the [`Registry`] and [`Dockerd`] that run in it), so Rust drops them in
//! reverse. Handles must be created and dropped on the same thread: children get `PR_SET_PDEATHSIG`, which
//! fires when the spawning *thread* ends, so a test process killed without unwinding leaves nothing running.
//!
//! Prerequisites (root, dockerd, docker, docker-registry, ip, nsenter, busybox) come from `.ci/install-engines`.
//! A test calls [`skip_unless_root_and`] (or [`require!`]) first: without them it is skipped with a reason,
//! except under `CI`, where a missing prerequisite fails the test.
//!
//! Layout: [`prereq`] (skip or fail), [`process`] (spawn, stop, liveness, timing), [`http`] (tiny HTTP/1.1
//! client over unix sockets and TCP), [`netns`], [`registry`], [`dockerd`], [`image`] (tiny busybox image,
//! no internet), [`cleanup`] (kill, unmount, remove cgroups; sweep what killed test processes left).

#![allow(dead_code, unused_imports)]

pub mod cleanup;
pub mod dockerd;
pub mod http;
pub mod image;
pub mod netns;
pub mod nspawn;
pub mod platform;
pub mod prereq;
pub mod process;
pub mod registry;

pub use dockerd::{
    Dockerd, DockerdOpts, dockerd_26, dockerd_26_path, system_dockerd, validate_config,
};
pub use image::{seed_registry, tiny_image};
pub use netns::Netns;
pub use prereq::{E2E_TOOLS, in_ci, require_e2e_with_dockerd_26, skip_unless_root_and};
pub use process::{ProcessId, Timer, wait_until};
pub use registry::Registry;

/// Every file and folder under `dir`, at any depth (none when it cannot be read).
pub fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
    {
        let p = e.path();
        if e.file_type().is_ok_and(|t| t.is_dir()) {
            out.extend(files_under(&p));
        }
        out.push(p);
    }
    out
}

/// Returns early from the calling test unless running as root with every named tool on PATH (or at the given
/// absolute path). Under `CI` a missing prerequisite panics instead, so CI never passes by skipping.
///
/// ```ignore
/// support::require!("dockerd", "docker-registry", "ip", "nsenter");
/// ```
#[allow(unused_macros)] // not every test file needs it
macro_rules! require {
    ($($tool:expr),* $(,)?) => {
        if !$crate::support::skip_unless_root_and(&[$($tool),*]) {
            return;
        }
    };
}
pub(crate) use require;

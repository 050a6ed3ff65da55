//! Cleanup shared by the handles: kill what a daemon left, unmount, remove cgroups, and sweep what a test
//! process killed without unwinding left behind.
//!
//! Temp dirs are named `/tmp/<prefix><test pid>-XXXXXX`, so a later test can tell that their owner is gone
//! and remove them (after killing any process that still names the dir, and unmounting under it).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result};
use nix::sys::signal::Signal;
use tempfile::TempDir;

use super::process;

/// Prefix of a [`super::Dockerd`]'s temp dir.
pub const DOCKERD_PREFIX: &str = "dcfgd";
/// Prefix of a [`super::Registry`]'s temp dir.
pub const REGISTRY_PREFIX: &str = "dcfgr";

/// A new temp dir `/tmp/<prefix><pid>-XXXXXX` (short: unix socket paths are limited to 108 bytes).
pub fn temp_dir(prefix: &str) -> Result<TempDir> {
    tempfile::Builder::new()
        .prefix(&format!("{prefix}{}-", std::process::id()))
        .tempdir_in("/tmp")
        .with_context(|| format!("creating a /tmp/{prefix}* dir"))
}

/// The cgroup parent name for the daemon whose temp dir is `t`: `dcfg-<t's name>`.
pub fn cgroup_parent_for(t: &Path) -> String {
    format!(
        "dcfg-{}",
        t.file_name().and_then(|n| n.to_str()).unwrap_or("dcfgd")
    )
}

/// The pid in a harness temp dir name (`dcfgd1234-AbC123` -> 1234), for the given prefix.
pub fn owner_pid(name: &str, prefix: &str) -> Option<u32> {
    let (pid, _) = name.strip_prefix(prefix)?.split_once('-')?;
    pid.parse().ok()
}

/// SIGKILLs every process whose command line names `dir` or that runs in cgroup `cgroup_parent`.
pub fn kill_leftovers(dir: &Path, cgroup_parent: &str) {
    let mut left = process::pids_with_cmdline_containing(&dir.display().to_string());
    left.extend(process::pids_in_cgroup_containing(&format!(
        "/{cgroup_parent}/"
    )));
    left.sort_unstable();
    left.dedup();
    for pid in left {
        eprintln!(
            "harness: killing pid {pid}, left behind under {}",
            dir.display()
        );
        let _ = process::signal(pid, Signal::SIGKILL);
    }
}

/// Removes harness temp dirs (and their processes, mounts and cgroups) whose test process is gone.
pub fn sweep_stale_dirs() {
    let Ok(entries) = std::fs::read_dir("/tmp") else {
        return;
    };
    let stale: Vec<PathBuf> = entries
        .filter_map(|e| e.ok())
        .filter(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let owner =
                owner_pid(&name, REGISTRY_PREFIX).or_else(|| owner_pid(&name, DOCKERD_PREFIX));
            owner.is_some_and(|pid| !Path::new(&format!("/proc/{pid}")).exists())
        })
        .map(|e| e.path())
        .collect();
    for dir in stale {
        eprintln!(
            "harness: removing {} left by a test process that is gone",
            dir.display()
        );
        let cgroup = cgroup_parent_for(&dir);
        kill_leftovers(&dir, &cgroup);
        std::thread::sleep(std::time::Duration::from_millis(100));
        unmount_under(&dir);
        remove_cgroups(&cgroup);
        if let Err(e) = std::fs::remove_dir_all(&dir) {
            eprintln!("harness: could not remove {}: {e}", dir.display());
        }
    }
}

/// Unmounts (lazily, deepest first) every mount point under `dir`.
pub fn unmount_under(dir: &Path) {
    let prefix = dir.display().to_string();
    for _ in 0..3 {
        let Ok(info) = std::fs::read_to_string("/proc/self/mountinfo") else {
            return;
        };
        let mut points: Vec<String> = info
            .lines()
            .filter_map(|l| l.split(' ').nth(4))
            .map(unescape_mount_path)
            .filter(|m| m == &prefix || m.starts_with(&format!("{prefix}/")))
            .collect();
        if points.is_empty() {
            return;
        }
        points.sort_by_key(|p| std::cmp::Reverse(p.len()));
        for m in points {
            eprintln!("harness: unmounting {m}");
            let _ = Command::new("umount").arg("-l").arg(&m).status();
        }
    }
}

/// /proc/self/mountinfo escapes space, tab, newline and backslash as \ooo.
pub fn unescape_mount_path(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let oct = b
            .get(i + 1..i + 4)
            .filter(|d| b[i] == b'\\' && d.iter().all(|c| (b'0'..=b'7').contains(c)));
        match oct {
            Some(d) => {
                out.push(
                    d.iter()
                        .fold(0u8, |acc, c| acc.wrapping_mul(8).wrapping_add(c - b'0')),
                );
                i += 4;
            }
            None => {
                out.push(b[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Removes the (empty) cgroup dirs its containers left: /sys/fs/cgroup/NAME (v2) and /sys/fs/cgroup/*/NAME (v1).
pub fn remove_cgroups(name: &str) {
    let root = Path::new("/sys/fs/cgroup");
    let mut candidates = vec![root.join(name)];
    if let Ok(dir) = std::fs::read_dir(root) {
        candidates.extend(dir.filter_map(|e| e.ok()).map(|e| e.path().join(name)));
    }
    for c in candidates.into_iter().filter(|c| c.is_dir()) {
        rmdir_tree(&c);
    }
}

/// cgroup dirs cannot be removed with their files; rmdir each dir, children first.
fn rmdir_tree(dir: &Path) {
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.filter_map(|e| e.ok()) {
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                rmdir_tree(&e.path());
            }
        }
    }
    if let Err(e) = std::fs::remove_dir(dir) {
        eprintln!("harness: could not remove cgroup {}: {e}", dir.display());
    }
}

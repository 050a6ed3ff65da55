//! What detection looks at: the files, folders, links and processes that were seen, keyed by
//! their logical paths (as the system names them). A [`SystemView`] is plain data: the reader
//! (`SystemView::read`, in `read.rs`) fills it from a `--root` tree and `/proc`; tests build one
//! with [`SystemView::new`] and the `with_*` methods. Detection never touches the system itself.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::env::EnvView;
use crate::host::Os;

/// One process, from `/proc/PID`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Process {
    pub pid: u32,
    /// `PPid:` from `/proc/PID/status`, when it could be read.
    pub ppid: Option<u32>,
    /// The real uid (`Uid:` from `/proc/PID/status`), when it could be read.
    pub uid: Option<u32>,
    /// `/proc/PID/comm` (at most 15 characters, the kernel cuts longer names).
    pub comm: String,
    /// `/proc/PID/cmdline` split at NUL bytes.
    pub argv: Vec<String>,
    /// Where `/proc/PID/exe` points, when it could be read.
    pub exe: Option<String>,
}

/// Everything detection needs, as seen once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemView {
    /// The platform whose paths and services apply.
    pub os: Os,
    /// The environment dockcfg runs in.
    pub env: EnvView,
    files: BTreeMap<PathBuf, String>,
    present: BTreeSet<PathBuf>,
    links: BTreeMap<PathBuf, PathBuf>,
    processes: Vec<Process>,
    /// Whether a process table was there to read (false for an offline tree without /proc).
    pub procfs: bool,
}

impl SystemView {
    /// An empty view: nothing installed, nothing running, no /proc.
    pub fn new(os: Os, env: EnvView) -> SystemView {
        SystemView {
            os,
            env,
            files: BTreeMap::new(),
            present: BTreeSet::new(),
            links: BTreeMap::new(),
            processes: Vec::new(),
            procfs: false,
        }
    }

    /// This view with the file `path` holding `text`.
    pub fn with_file(mut self, path: impl Into<PathBuf>, text: impl Into<String>) -> SystemView {
        self.add_file(path.into(), text.into());
        self
    }

    /// This view with `path` present (a folder, or a file whose content does not matter).
    pub fn with_path(mut self, path: impl Into<PathBuf>) -> SystemView {
        self.add_present(path.into());
        self
    }

    /// This view with the symbolic link `path` pointing at `target`.
    pub fn with_link(mut self, path: impl Into<PathBuf>, target: impl Into<PathBuf>) -> SystemView {
        self.add_link(path.into(), target.into());
        self
    }

    /// This view with one more process (and a process table).
    pub fn with_process(mut self, p: Process) -> SystemView {
        self.add_process(p);
        self
    }

    pub(crate) fn add_file(&mut self, path: PathBuf, text: String) {
        self.present.insert(path.clone());
        self.files.insert(path, text);
    }

    pub(crate) fn add_present(&mut self, path: PathBuf) {
        self.present.insert(path);
    }

    pub(crate) fn add_link(&mut self, path: PathBuf, target: PathBuf) {
        self.present.insert(path.clone());
        self.links.insert(path, target);
    }

    pub(crate) fn add_process(&mut self, p: Process) {
        self.procfs = true;
        match self.processes.iter_mut().find(|q| q.pid == p.pid) {
            Some(q) => *q = p,
            None => self.processes.push(p),
        }
        self.processes.sort_by_key(|q| q.pid);
    }

    /// The text of the file at `path`, if it was read.
    pub fn file(&self, path: impl AsRef<Path>) -> Option<&str> {
        self.files.get(path.as_ref()).map(String::as_str)
    }

    /// Whether `path` was seen (a file that was read, a folder, a link or any probed path).
    pub fn exists(&self, path: impl AsRef<Path>) -> bool {
        self.present.contains(path.as_ref())
    }

    /// Where the link `path` points, if it is one.
    pub fn link(&self, path: impl AsRef<Path>) -> Option<&Path> {
        self.links.get(path.as_ref()).map(PathBuf::as_path)
    }

    /// The files that were read directly inside `dir`, sorted by name.
    pub fn files_in(&self, dir: impl AsRef<Path>) -> Vec<(&Path, &str)> {
        let dir = dir.as_ref();
        self.files
            .iter()
            .filter(|(p, _)| p.parent() == Some(dir))
            .map(|(p, t)| (p.as_path(), t.as_str()))
            .collect()
    }

    /// The names of everything seen directly inside `dir`, sorted.
    pub fn names_in(&self, dir: impl AsRef<Path>) -> Vec<String> {
        let dir = dir.as_ref();
        let mut names: Vec<String> = self
            .present
            .iter()
            .filter_map(|p| {
                let rel = p.strip_prefix(dir).ok()?;
                let first = rel.components().next()?;
                Some(first.as_os_str().to_string_lossy().into_owned())
            })
            .collect();
        names.dedup();
        names
    }

    /// The processes seen, by pid.
    pub fn processes(&self) -> &[Process] {
        &self.processes
    }

    /// The process `pid`, if it was seen.
    pub fn process(&self, pid: u32) -> Option<&Process> {
        self.processes.iter().find(|p| p.pid == pid)
    }

    /// Every file that was read, for `--debug`-style listings.
    pub fn file_paths(&self) -> impl Iterator<Item = &Path> {
        self.files.keys().map(PathBuf::as_path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_what_was_seen_in_a_folder() {
        let v = SystemView::new(Os::Linux, EnvView::new(0))
            .with_file("/etc/systemd/system/docker.service.d/b.conf", "b")
            .with_file("/etc/systemd/system/docker.service.d/a.conf", "a")
            .with_file("/etc/systemd/system/docker.service", "u")
            .with_path("/mnt/c/Users/ann/.docker/daemon.json")
            .with_path("/mnt/c/Users/Public");
        let names: Vec<_> = v
            .files_in("/etc/systemd/system/docker.service.d")
            .into_iter()
            .map(|(p, t)| (p.to_string_lossy().into_owned(), t))
            .collect();
        assert_eq!(
            names,
            [
                (
                    "/etc/systemd/system/docker.service.d/a.conf".to_string(),
                    "a"
                ),
                (
                    "/etc/systemd/system/docker.service.d/b.conf".to_string(),
                    "b"
                ),
            ]
        );
        assert_eq!(v.names_in("/mnt/c/Users"), ["Public", "ann"]);
        assert!(v.exists("/mnt/c/Users/ann/.docker/daemon.json"));
        assert!(!v.exists("/mnt/c/Users/bob"));
        assert!(!v.procfs);
    }

    #[test]
    fn a_process_replaces_one_with_the_same_pid() {
        let p = |pid, comm: &str| Process {
            pid,
            comm: comm.into(),
            ..Process::default()
        };
        let v = SystemView::new(Os::Linux, EnvView::new(0))
            .with_process(p(9, "a"))
            .with_process(p(1, "init"))
            .with_process(p(9, "b"));
        let comms: Vec<_> = v
            .processes()
            .iter()
            .map(|p| (p.pid, p.comm.as_str()))
            .collect();
        assert_eq!(comms, [(1, "init"), (9, "b")]);
        assert!(v.procfs);
    }
}

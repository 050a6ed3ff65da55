//! The thin reader: fills a [`SystemView`] from the files under `--root` and from `ROOT/proc`
//! (the real /proc when root is `/`; a fixture tree's fake one otherwise). It reads a fixed
//! list of places ([`probes`]) and then the files those name (EnvironmentFile=, pidfiles);
//! it decides nothing and never fails: what cannot be read is simply not in the view.

use std::fs;
use std::io::Read as _;
use std::path::{Path, PathBuf};

use crate::env::EnvView;
use crate::host::detect::packages::StanzaFilter;
use crate::host::paths::{self, Places, host_path};
use crate::host::{Os, Process, SystemView, procs, systemd};

/// Files larger than this are not read (dpkg's status file is a few MB).
const MAX_FILE: u64 = 32 << 20;
/// At most this many entries are read from one folder.
const MAX_ENTRIES: usize = 256;
/// At most this many processes are looked at.
const MAX_PROCS: usize = 65536;

/// What the reader looks at, as logical paths.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Probes {
    /// Files to read.
    pub files: Vec<PathBuf>,
    /// Paths whose existence matters.
    pub exists: Vec<PathBuf>,
    /// Folders whose files are all read (drop-in folders).
    pub read_dirs: Vec<PathBuf>,
    /// `(folder, rel)`: for each entry E of the folder, is `folder/E/rel` there?
    pub list_dirs: Vec<(PathBuf, PathBuf)>,
    /// Symbolic links to resolve (one step).
    pub links: Vec<PathBuf>,
    /// Package databases (dpkg's status file, Alpine's installed database): read like `files`,
    /// but only their stanzas about engine packages are kept (see `StanzaFilter`).
    pub package_dbs: Vec<PathBuf>,
}

/// The places the reader looks at for `places` (pure).
pub fn probes(places: &Places) -> Probes {
    let mut p = Probes::default();
    let s = |x: &str| PathBuf::from(x);
    match places.os {
        Os::Linux => {
            for d in paths::SYSTEM_UNIT_DIRS {
                for unit in ["docker.service", "snap.docker.dockerd.service"] {
                    p.files.push(Path::new(d).join(unit));
                }
                p.read_dirs.push(Path::new(d).join("docker.service.d"));
            }
            for f in [
                "/etc/init.d/docker",
                "/etc/init/docker.conf",
                "/etc/default/docker",
                "/etc/conf.d/docker",
                "/etc/sysconfig/docker",
                "/proc/version",
                "/snap/docker/current/meta/snap.yaml",
            ] {
                p.files.push(s(f));
            }
            for f in ["/var/lib/dpkg/status", "/lib/apk/db/installed"] {
                p.package_dbs.push(s(f));
            }
            p.files.extend(paths::PIDFILES.iter().map(|f| s(f)));
            if let Some(dir) = places.user_unit_dir() {
                p.files.push(dir.join("docker.service"));
                p.read_dirs.push(dir.join("docker.service.d"));
            }
            p.files.extend(places.rootless_pidfile());
            for e in [
                "/run/systemd/system",
                "/run/openrc",
                "/sbin/openrc-run",
                "/sbin/openrc",
                "/sbin/initctl",
                "/var/snap/docker",
                "/snap/docker",
                paths::SNAP_DAEMON_JSON,
                paths::ROOTFUL_DAEMON_JSON,
                paths::WSL_DESKTOP_DIR,
                "/usr/bin/dockerd-rootless.sh",
                "/usr/bin/dockerd",
                "/usr/sbin/dockerd",
            ] {
                p.exists.push(s(e));
            }
            p.exists.extend(places.rootless_daemon_json());
            p.exists.extend(places.desktop_plugin_paths());
            p.list_dirs
                .push((s(paths::WSL_WINDOWS_USERS), s(".docker/daemon.json")));
            p.links.push(s("/sbin/init"));
            p.links.push(s("/var/snap/docker/current"));
        }
        Os::Mac => {
            p.exists.push(s(paths::MAC_APP));
            p.files.push(s(paths::MAC_APP_PLIST));
            p.exists.extend(places.desktop_daemon_json());
            p.exists.extend(places.desktop_plugin_paths());
            p.exists.extend(places.desktop_logs());
            if let Some(h) = &places.home {
                p.exists.push(PathBuf::from(format!(
                    "{}/.docker/run/docker.sock",
                    h.trim_end_matches('/')
                )));
            }
        }
        Os::Windows => {
            p.exists.push(places.desktop_windows_exe());
            p.exists.push(places.windows_dockerd_exe());
            p.exists.push(places.windows_daemon_json(None));
            p.exists.extend(places.desktop_daemon_json());
            p.exists.extend(places.desktop_plugin_paths());
            p.exists.extend(places.desktop_logs());
        }
    }
    p
}

impl SystemView {
    /// Read what detection needs from the tree at `root` (`/` for this machine) and its
    /// `proc` folder, for platform `os`, with the environment `env`.
    pub fn read(root: &Path, env: &EnvView, os: Os) -> SystemView {
        let mut v = SystemView::new(os, env.clone());
        let places = Places::from_env(os, env);
        let pr = probes(&places);
        for f in &pr.files {
            read_into(&mut v, root, f);
        }
        for f in &pr.package_dbs {
            read_into_with(&mut v, root, f, read_package_db);
        }
        for e in &pr.exists {
            if fs::symlink_metadata(host_path(root, e)).is_ok() {
                v.add_present(e.clone());
            }
        }
        for d in &pr.read_dirs {
            for name in entries(&host_path(root, d)) {
                read_into(&mut v, root, &d.join(name));
            }
        }
        for (d, rel) in &pr.list_dirs {
            for name in entries(&host_path(root, d)) {
                let entry = d.join(&name);
                v.add_present(entry.clone());
                let inner = entry.join(rel);
                if fs::symlink_metadata(host_path(root, &inner)).is_ok() {
                    v.add_present(inner);
                }
            }
        }
        for l in &pr.links {
            if let Ok(target) = fs::read_link(host_path(root, l)) {
                v.add_link(l.clone(), target);
            }
        }
        // Second pass: the files that what was read names.
        let units: Vec<String> = v
            .file_paths()
            .filter(|p| p.extension().is_some_and(|e| e == "service" || e == "conf"))
            .filter_map(|p| v.file(p).map(str::to_string))
            .collect();
        for text in units {
            for f in systemd::environment_file_paths(&text) {
                read_into(&mut v, root, &f);
            }
        }
        read_processes(&mut v, root);
        let pidfiles: Vec<PathBuf> = v
            .processes()
            .iter()
            .filter_map(procs::running_daemon)
            .filter_map(|d| d.pidfile)
            .collect();
        for f in pidfiles {
            read_into(&mut v, root, &f);
        }
        v
    }

    /// Read one more file into the view (such as the `--pidfile` given to dockcfg).
    pub fn read_extra(&mut self, root: &Path, logical: &Path) {
        read_into(self, root, logical);
    }
}

fn read_into(v: &mut SystemView, root: &Path, logical: &Path) {
    read_into_with(v, root, logical, read_text);
}

/// Read `logical` into the view, its text as `read` gives it.
fn read_into_with(
    v: &mut SystemView,
    root: &Path,
    logical: &Path,
    read: impl FnOnce(&Path) -> Option<String>,
) {
    if v.file(logical).is_some() {
        return;
    }
    let host = host_path(root, logical);
    match fs::read_link(&host) {
        Ok(target) => v.add_link(logical.to_path_buf(), target),
        // Nothing there, not even a dangling link: the checks below would find nothing either,
        // and most probed places are missing on any one machine.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return,
        Err(_) => {}
    }
    if let Some(text) = read(&host) {
        v.add_file(logical.to_path_buf(), text);
    } else if host.exists() {
        v.add_present(logical.to_path_buf());
    }
}

/// `path` opened for reading at most [`MAX_FILE`] bytes, with its length; `None` for anything
/// but a regular file of at most that size.
fn open_bounded(path: &Path) -> Option<(std::io::Take<fs::File>, u64)> {
    let meta = fs::metadata(path).ok()?;
    if !meta.is_file() || meta.len() > MAX_FILE {
        return None;
    }
    Some((fs::File::open(path).ok()?.take(MAX_FILE), meta.len()))
}

fn read_text(path: &Path) -> Option<String> {
    let (mut file, len) = open_bounded(path)?;
    // Sized once from the file's length (plus the byte that shows the end), not grown.
    let mut buf = Vec::with_capacity(usize::try_from(len).unwrap_or(0).saturating_add(1));
    file.read_to_end(&mut buf).ok()?;
    // Valid UTF-8 (nearly always) is taken as it is, without a second copy.
    Some(
        String::from_utf8(buf)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
    )
}

/// A package database, as [`read_text`] would read it, but only its stanzas about engine
/// packages, read in 64 KB chunks (see [`StanzaFilter`]).
fn read_package_db(path: &Path) -> Option<String> {
    let (mut file, _) = open_bounded(path)?;
    let mut filter = StanzaFilter::new(64 << 10);
    loop {
        match file.read(filter.spare()) {
            Ok(0) => return Some(filter.finish()),
            Ok(n) => filter.filled(n),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return None,
        }
    }
}

fn entries(dir: &Path) -> Vec<String> {
    let Ok(rd) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut names: Vec<String> = rd
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .take(MAX_ENTRIES)
        .collect();
    names.sort();
    names
}

/// Read `ROOT/proc`: pid 1, every process that looks like Docker or RootlessKit, and the
/// parents of those.
fn read_processes(v: &mut SystemView, root: &Path) {
    let proc_dir = root.join("proc");
    let Ok(rd) = fs::read_dir(&proc_dir) else {
        return;
    };
    let pids: Vec<u32> = rd
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str()?.parse().ok())
        .take(MAX_PROCS)
        .collect();
    if pids.is_empty() {
        return;
    }
    let mut wanted: Vec<u32> = Vec::new();
    // The real procfs has /proc/PID/exe; a fixture tree's fake one has only the files it shows.
    let real_procfs = root == Path::new("/");
    let kernel_threads = if real_procfs {
        kernel_threads(&proc_dir)
    } else {
        Vec::new()
    };
    // One path buffer for the whole scan; pid 1 is wanted whatever its name.
    let mut path = proc_dir.clone();
    for pid in &pids {
        if *pid == 1 {
            wanted.push(*pid);
            continue;
        }
        if kernel_threads.binary_search(pid).is_ok() {
            continue;
        }
        path.push(pid.to_string());
        path.push("exe");
        let skip = real_procfs && has_no_executable(&path);
        path.set_file_name("comm");
        if !skip && comm_is_interesting(&path) {
            wanted.push(*pid);
        }
        path.pop();
        path.pop();
    }
    let mut seen = Vec::new();
    while let Some(pid) = wanted.pop() {
        if seen.contains(&pid) {
            continue;
        }
        seen.push(pid);
        let p = read_process(&proc_dir, pid);
        if let Some(parent) = p
            .ppid
            .filter(|pp| *pp > 0 && !seen.contains(pp) && pids.contains(pp))
        {
            wanted.push(parent);
        }
        v.add_process(p);
    }
}

/// The kernel's own threads, sorted: the children of `kthreadd` (pid 2 in the machine's pid
/// namespace), read in one go from its `children` file. Most processes on a machine are kernel
/// threads (56 of 64 on the machine the benchmarks ran on), and each cost a system call to rule
/// out. Empty unless pid 2 is `kthreadd` (in a container pid 2 is an ordinary process, whose
/// children must be looked at) or the kernel has no `children` files.
fn kernel_threads(proc_dir: &Path) -> Vec<u32> {
    let kthreadd = proc_dir.join("2");
    let is_kthreadd = read_small(&kthreadd.join("comm"))
        .is_some_and(|c| c.trim_end() == "kthreadd")
        && has_no_executable(&kthreadd.join("exe"));
    if !is_kthreadd {
        return Vec::new();
    }
    let mut pids: Vec<u32> = read_small(&kthreadd.join("task/2/children"))
        .unwrap_or_default()
        .split_ascii_whitespace()
        .filter_map(|p| p.parse().ok())
        .collect();
    pids.sort_unstable();
    pids
}

/// Can the process whose `/proc/PID/exe` link is `path` be skipped without reading its `comm`?
/// One system call, where reading `comm` takes three: a kernel thread (most processes on many
/// machines) or a zombie has no executable and fails at once, and is never Docker. Any other
/// process is still judged by its `comm` (a dockerd started through a link of another name, or a
/// script such as dockerd-rootless.sh, has an executable of another name).
fn has_no_executable(path: &Path) -> bool {
    fs::read_link(path).is_err_and(|e| e.kind() == std::io::ErrorKind::NotFound)
}

/// Does the process name in `path` (a `comm` file) look like Docker, RootlessKit or a
/// supervisor? Read with one `read` into a stack buffer: `comm` is at most 16 bytes, and every
/// process is looked at. A longer file (a fixture's) is read whole as before.
fn comm_is_interesting(path: &Path) -> bool {
    const WORDS: [&[u8]; 3] = [b"docker", b"rootlesskit", b"supervise"];
    let Ok(mut f) = fs::File::open(path) else {
        return false;
    };
    let mut buf = [0u8; 256];
    let Ok(n) = f.read(&mut buf) else {
        return false;
    };
    match buf.get(..n) {
        Some(name) if n < buf.len() => WORDS.iter().any(|w| name.windows(w.len()).any(|x| x == *w)),
        _ => {
            let comm = read_small(path).unwrap_or_default();
            WORDS
                .iter()
                .any(|w| comm.contains(String::from_utf8_lossy(w).as_ref()))
        }
    }
}

fn read_process(proc_dir: &Path, pid: u32) -> Process {
    let dir = proc_dir.join(pid.to_string());
    let comm = read_small(&dir.join("comm")).unwrap_or_default();
    let argv = fs::read(dir.join("cmdline"))
        .map(|raw| procs::split_cmdline(&raw))
        .unwrap_or_default();
    let status = read_small(&dir.join("status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.parse().ok())
    };
    Process {
        pid,
        ppid: field("PPid:"),
        uid: field("Uid:"),
        comm,
        argv,
        exe: fs::read_link(dir.join("exe"))
            .ok()
            .map(|t| t.to_string_lossy().into_owned()),
    }
}

fn read_small(path: &Path) -> Option<String> {
    let mut buf = Vec::new();
    fs::File::open(path)
        .ok()?
        .take(64 << 10)
        .read_to_end(&mut buf)
        .ok()?;
    Some(
        String::from_utf8_lossy(&buf)
            .trim_end_matches('\n')
            .to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probes_cover_each_platform() {
        let linux = probes(&Places::from_env(
            Os::Linux,
            &EnvView::new(1000).with("HOME", "/home/u"),
        ));
        for want in [
            "/lib/systemd/system/docker.service",
            "/etc/default/docker",
            "/var/run/docker-ssd.pid",
            "/home/u/.config/systemd/user/docker.service",
            "/run/user/1000/docker.pid",
        ] {
            assert!(linux.files.contains(&PathBuf::from(want)), "{want}");
        }
        assert!(
            linux
                .read_dirs
                .contains(&PathBuf::from("/etc/systemd/system/docker.service.d"))
        );
        let win = probes(&Places::from_env(Os::Windows, &EnvView::new(0)));
        assert!(
            win.exists
                .contains(&PathBuf::from(r"C:\ProgramData\docker\config\daemon.json"))
        );
        let mac = probes(&Places::from_env(
            Os::Mac,
            &EnvView::new(501).with("HOME", "/Users/a"),
        ));
        assert!(mac.files.contains(&PathBuf::from(paths::MAC_APP_PLIST)));
    }

    #[test]
    fn reads_a_tree_with_a_fake_proc() {
        let t = tempfile::tempdir().expect("temp dir");
        let root = t.path();
        let put = |rel: &str, bytes: &[u8]| {
            let p = root.join(rel);
            fs::create_dir_all(p.parent().expect("has a parent")).expect("mkdir");
            fs::write(p, bytes).expect("write");
        };
        put(
            "lib/systemd/system/docker.service",
            b"[Service]\nEnvironmentFile=-/etc/extra/env\nExecStart=/usr/bin/dockerd\n",
        );
        put("etc/systemd/system/docker.service.d/x.conf", b"[Service]\n");
        put("etc/extra/env", b"DOCKER_OPTS=--debug\n");
        put("proc/1/comm", b"systemd\n");
        put("proc/1/cmdline", b"/sbin/init\0");
        put("proc/77/comm", b"dockerd\n");
        put(
            "proc/77/cmdline",
            b"/usr/bin/dockerd\0--pidfile=/run/x.pid\0",
        );
        put(
            "proc/77/status",
            b"Name:\tdockerd\nPPid:\t1\nUid:\t0\t0\t0\t0\n",
        );
        put("proc/80/comm", b"bash\n");
        // Longer than the one-read buffer: read whole.
        let long_comm = format!("{}dockerd\n", "x".repeat(300));
        put("proc/90/comm", long_comm.as_bytes());
        put("run/x.pid", b"77\n");
        put(
            "var/lib/dpkg/status",
            b"Package: bash\nVersion: 5.2\n\nPackage: docker.io\nStatus: install ok installed\nVersion: 20.10.24+dfsg1-1\n\nPackage: zsh\nVersion: 5.9\n",
        );
        fs::create_dir_all(root.join("run/systemd/system")).expect("mkdir");
        let v = SystemView::read(root, &EnvView::new(0), Os::Linux);
        assert!(v.file("/lib/systemd/system/docker.service").is_some());
        assert!(
            v.file("/etc/systemd/system/docker.service.d/x.conf")
                .is_some()
        );
        assert_eq!(v.file("/etc/extra/env"), Some("DOCKER_OPTS=--debug\n"));
        assert_eq!(v.file("/run/x.pid"), Some("77\n"));
        assert!(v.exists("/run/systemd/system"));
        let pids: Vec<_> = v
            .processes()
            .iter()
            .map(|p| (p.pid, p.comm.as_str(), p.ppid))
            .collect();
        let long_name = long_comm.trim_end();
        assert_eq!(
            pids,
            [
                (1, "systemd", None),
                (77, "dockerd", Some(1)),
                (90, long_name, None)
            ]
        );
        // Of a package database only the engine's stanza is kept.
        assert_eq!(
            v.file("/var/lib/dpkg/status"),
            Some("Package: docker.io\nStatus: install ok installed\nVersion: 20.10.24+dfsg1-1")
        );
        assert!(v.procfs);
    }

    #[test]
    fn kernel_threads_are_kthreadds_children_and_have_no_executable() {
        let proc_dir = Path::new("/proc");
        let threads = kernel_threads(proc_dir);
        let kthreadd = fs::read_to_string("/proc/2/comm").is_ok_and(|c| c.trim() == "kthreadd");
        if !kthreadd {
            // In a container pid 2 is an ordinary process: nothing may be skipped.
            assert!(threads.is_empty(), "{threads:?}");
            return;
        }
        assert!(!threads.is_empty());
        assert!(threads.windows(2).all(|w| w[0] < w[1]), "sorted");
        assert!(!threads.contains(&1));
        // Every one that still exists has no executable (a thread may end meanwhile).
        for pid in &threads {
            let exe = proc_dir.join(pid.to_string()).join("exe");
            if proc_dir.join(pid.to_string()).exists() {
                assert!(fs::read_link(&exe).is_err(), "pid {pid} has an executable");
            }
        }
        // A tree whose pid 2 is not kthreadd skips nothing.
        let tree = tempfile::tempdir().expect("tempdir");
        fs::create_dir_all(tree.path().join("proc/2/task/2")).expect("dirs");
        fs::write(tree.path().join("proc/2/comm"), "bash\n").expect("comm");
        fs::write(tree.path().join("proc/2/task/2/children"), "3 4 ").expect("children");
        assert!(kernel_threads(&tree.path().join("proc")).is_empty());
    }

    #[test]
    fn a_missing_root_gives_an_empty_view() {
        let v = SystemView::read(
            Path::new("/nonexistent/dockcfg"),
            &EnvView::new(0),
            Os::Linux,
        );
        assert_eq!(v, SystemView::new(Os::Linux, EnvView::new(0)));
    }
}

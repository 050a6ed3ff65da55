//! Filesystem faults at the command line: the folder or the state folder not writable (as user
//! nobody), a read-only file system, a full disk, a missing folder, a symlinked file, and the
//! file changed by another program between dockcfg's read and its write. Each fault must give
//! exit 1 and one clear sentence naming the file and what to do, leave the file byte-identical,
//! and leave no temp file; the ones that work must keep the link, mode and owner.
//!
//! Mounts and user switches need root (CI runs as root); elsewhere those tests print why they
//! skip, and under CI a missing prerequisite fails them. Every mount is undone by a guard, also
//! when a test fails.

use std::collections::BTreeMap;
use std::fs;
use std::io::{Read as _, Write as _};
use std::os::unix::fs::{MetadataExt, PermissionsExt, symlink};
use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

mod support;
use support::{files_under, skip_unless_root_and};

const NOBODY: u32 = 65534;

fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

/// A temp folder readable by everyone (so user nobody can reach files in it), with a state
/// folder for the backups.
struct Sandbox {
    dir: tempfile::TempDir,
}

impl Sandbox {
    fn new() -> Sandbox {
        let dir = tempfile::tempdir().expect("tempdir");
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).expect("chmod");
        Sandbox { dir }
    }
    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }
    fn state(&self) -> PathBuf {
        self.path("state")
    }
    /// `dockcfg ARGS` with the state folder set, no engine asked, no terminal.
    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_dockcfg"));
        c.args(args)
            .env("DOCKCFG_STATE_DIR", self.state())
            .env("DOCKCFG_NO_APPLY", "1")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null());
        c
    }
    /// `dockcfg -f FILE add-insecure a.local:5000`: the change every fault is tried on.
    fn add_to(&self, file: &Path) -> Command {
        self.cmd(&["-f", file.to_str().unwrap(), "add-insecure", "a.local:5000"])
    }

    fn put(&self, rel: &str, bytes: &[u8], mode: u32) -> PathBuf {
        let p = self.path(rel);
        fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        fs::write(&p, bytes).expect("write");
        fs::set_permissions(&p, fs::Permissions::from_mode(mode)).expect("chmod");
        p
    }
}

/// `cmd` run as user nobody (through setpriv) when we are root; as ourselves otherwise.
fn as_nobody(cmd: &Command) -> Output {
    if !is_root() {
        let mut c = Command::new(cmd.get_program());
        c.args(cmd.get_args());
        for (k, v) in cmd.get_envs() {
            match v {
                Some(v) => c.env(k, v),
                None => c.env_remove(k),
            };
        }
        return c.stdin(Stdio::null()).output().expect("run dockcfg");
    }
    let mut c = Command::new("setpriv");
    c.args([
        &format!("--reuid={NOBODY}"),
        &format!("--regid={NOBODY}"),
        "--clear-groups",
        "--",
    ])
    .arg(cmd.get_program())
    .args(cmd.get_args());
    for (k, v) in cmd.get_envs() {
        if let Some(v) = v {
            c.env(k, v);
        }
    }
    c.stdin(Stdio::null()).output().expect("run setpriv")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Everything in `dir` (names and bytes, not recursive), to show nothing was touched.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
                .map(|e| {
                    let bytes = fs::read(e.path()).unwrap_or_default();
                    (e.file_name().to_string_lossy().into_owned(), bytes)
                })
                .collect()
        })
        .unwrap_or_default()
}

/// dockcfg's temp files (`.NAME.dockcfg-XXXXXXXX.tmp`) in `dir`.
fn temp_files(dir: &Path) -> Vec<String> {
    fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.contains(".dockcfg-") && n.ends_with(".tmp"))
                .collect()
        })
        .unwrap_or_default()
}

/// Backup entries written under `state`.
fn backup_entries(state: &Path) -> usize {
    let Ok(rd) = fs::read_dir(state.join("backups")) else {
        return 0;
    };
    rd.filter_map(Result::ok)
        .flat_map(|stack| fs::read_dir(stack.path()).into_iter().flatten())
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with("00"))
        .count()
}

/// The run failed the way every fault must: exit 1, no panic, nothing on stdout, one `error:`
/// line that names `file` and holds each of `words`; the folder is as before (`before`), with
/// no temp file, and no backup entry was made.
fn assert_refused(
    name: &str,
    o: &Output,
    file: &Path,
    words: &[&str],
    before: &BTreeMap<String, Vec<u8>>,
    state: &Path,
) {
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{name}: exit code\n{err}");
    assert!(!err.contains("panicked"), "{name}: {err}");
    assert!(o.stdout.is_empty(), "{name}: stdout {}", text(&o.stdout));
    let errors: Vec<&str> = err.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "{name}: one error line\n{err}");
    let line = errors[0];
    assert!(
        line.contains(&file.display().to_string()),
        "{name}: the error names {}\n{err}",
        file.display()
    );
    for w in words {
        assert!(line.contains(w), "{name}: the error says {w:?}\n{err}");
    }
    let folder = file.parent().expect("folder");
    assert_eq!(&snapshot(folder), before, "{name}: the folder is untouched");
    assert!(temp_files(folder).is_empty(), "{name}: no temp file left");
    assert_eq!(backup_entries(state), 0, "{name}: no backup entry");
}

const ORIGINAL: &[u8] =
    b"{\n  \"debug\": true,\n  \"insecure-registries\": [\"old.local:5000\"]\n}\n";

/// Undoes a mount when dropped (also when the test panics).
struct Mount {
    at: PathBuf,
}

impl Mount {
    fn tmpfs(at: &Path, size: &str) -> Mount {
        fs::create_dir_all(at).expect("mount point");
        let st = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0755"),
                "tmpfs",
            ])
            .arg(at)
            .status()
            .expect("mount");
        assert!(st.success(), "mount tmpfs on {}", at.display());
        Mount {
            at: at.to_path_buf(),
        }
    }
    fn remount_ro(&self) {
        let st = Command::new("mount")
            .args(["-o", "remount,ro"])
            .arg(&self.at)
            .status()
            .expect("remount");
        assert!(st.success(), "remount ro");
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let ok = Command::new("umount")
            .arg(&self.at)
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            let _ = Command::new("umount").arg("-l").arg(&self.at).status();
        }
    }
}

/// Restores a folder's mode when dropped (a user's temp folder must stay removable).
struct ModeGuard(PathBuf, u32);

impl Drop for ModeGuard {
    fn drop(&mut self) {
        let _ = fs::set_permissions(&self.0, fs::Permissions::from_mode(self.1));
    }
}

#[test]
fn permission_denied_on_the_folder_and_on_the_state_folder() {
    if is_root() && !skip_unless_root_and(&["setpriv"]) {
        return;
    }
    // The file's folder is not writable: the temp file cannot be made beside it.
    let sb = Sandbox::new();
    let file = sb.put("etc/docker/daemon.json", ORIGINAL, 0o666);
    let folder = sb.path("etc/docker");
    fs::set_permissions(&folder, fs::Permissions::from_mode(0o555)).expect("chmod");
    let _restore = ModeGuard(folder.clone(), 0o755);
    fs::create_dir_all(sb.state()).expect("state");
    fs::set_permissions(sb.state(), fs::Permissions::from_mode(0o777)).expect("chmod");
    let before = snapshot(&folder);
    let o = as_nobody(&sb.add_to(&file));
    assert_refused(
        "folder not writable",
        &o,
        &file,
        &["permission denied writing", "run with sudo"],
        &before,
        &sb.state(),
    );

    // The state folder (backups) is not writable: nothing may be written without a backup.
    let sb = Sandbox::new();
    let folder = sb.path("etc/docker");
    let file = sb.put("etc/docker/daemon.json", ORIGINAL, 0o644);
    fs::set_permissions(&folder, fs::Permissions::from_mode(0o777)).expect("chmod");
    if is_root() {
        std::os::unix::fs::chown(&file, Some(NOBODY), Some(NOBODY)).expect("chown");
    }
    fs::create_dir_all(sb.state()).expect("state");
    fs::set_permissions(sb.state(), fs::Permissions::from_mode(0o555)).expect("chmod");
    let _restore_state = ModeGuard(sb.state(), 0o755);
    let before = snapshot(&folder);
    let o = as_nobody(&sb.add_to(&file));
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&format!(
            "error: permission denied creating the folder {}/backups/",
            sb.state().display()
        )) && err.contains("run with sudo")
            && err.contains("or set DOCKCFG_STATE_DIR to a folder you can write"),
        "the error names the backup folder and both ways out: {err}"
    );
    assert_eq!(snapshot(&folder), before, "the config file is untouched");
    assert!(temp_files(&folder).is_empty(), "no temp file left: {err}");
}

#[test]
fn read_only_file_system() {
    if !skip_unless_root_and(&["mount", "umount"]) {
        return;
    }
    let sb = Sandbox::new();
    let mnt = Mount::tmpfs(&sb.path("ro"), "1m");
    let file = sb.put("ro/docker/daemon.json", ORIGINAL, 0o644);
    mnt.remount_ro();
    let folder = sb.path("ro/docker");
    let before = snapshot(&folder);
    let o = sb.add_to(&file).output().expect("run");
    assert_refused(
        "read-only file system",
        &o,
        &file,
        &["read-only file system writing", "nothing was changed"],
        &before,
        &sb.state(),
    );
    // Undo and rm fail the same way; a missing folder on it cannot be created.
    let o = sb
        .cmd(&[
            "-f",
            file.to_str().unwrap(),
            "rm-insecure",
            "old.local:5000",
        ])
        .output()
        .expect("run");
    assert_refused(
        "read-only, rm",
        &o,
        &file,
        &["read-only file system"],
        &before,
        &sb.state(),
    );
    let new = sb.path("ro/new/daemon.json");
    let o = sb.add_to(&new).output().expect("run");
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&format!(
            "error: read-only file system creating the folder {}: nothing was changed",
            sb.path("ro/new").display()
        )),
        "{err}"
    );
    assert!(!sb.path("ro/new").exists());
}

/// Fill the file system holding `dir` until a write fails for lack of space.
fn fill(dir: &Path) {
    let mut f = fs::File::create(dir.join("filler")).expect("filler");
    let block = vec![0x55u8; 4096];
    loop {
        match f.write_all(&block) {
            Ok(()) => {}
            Err(e) if e.raw_os_error() == Some(nix::libc::ENOSPC) => break,
            Err(e) => panic!("filling: {e}"),
        }
    }
    let _ = f.sync_all();
}

#[test]
fn disk_full() {
    if !skip_unless_root_and(&["mount", "umount"]) {
        return;
    }
    // The config file's disk is full: the temp file cannot be written.
    let sb = Sandbox::new();
    let _mnt = Mount::tmpfs(&sb.path("full"), "256k");
    let file = sb.put("full/docker/daemon.json", ORIGINAL, 0o640);
    let folder = sb.path("full/docker");
    fill(&folder);
    let before = snapshot(&folder);
    let o = sb.add_to(&file).output().expect("run");
    assert_refused(
        "disk full",
        &o,
        &file,
        &["no space left on device writing", "nothing was changed"],
        &before,
        &sb.state(),
    );
    assert_eq!(fs::metadata(&file).unwrap().mode() & 0o7777, 0o640);

    // Almost full: a 150 KB file on a 256 KB disk. The temp file starts, then runs out of
    // space half-way; the half-written temp file must go.
    let sb = Sandbox::new();
    let _mnt = Mount::tmpfs(&sb.path("full"), "256k");
    let list: Vec<String> = (0..8000)
        .map(|i| format!("\"h{i:05}.local:5000\""))
        .collect();
    let big = format!("{{\"insecure-registries\": [{}]}}\n", list.join(", "));
    assert!(big.len() > 150_000);
    let file = sb.put("full/daemon.json", big.as_bytes(), 0o644);
    let folder = sb.path("full");
    let before = snapshot(&folder);
    let o = sb.add_to(&file).output().expect("run");
    assert_refused(
        "disk almost full",
        &o,
        &file,
        &["no space left on device writing", "nothing was changed"],
        &before,
        &sb.state(),
    );

    // The backups' disk is full: the config file is not replaced without its backup, and no
    // half-made backup entry stays.
    let sb = Sandbox::new();
    let _mnt = Mount::tmpfs(&sb.state(), "256k");
    fill(&sb.state());
    let file = sb.put("etc/docker/daemon.json", ORIGINAL, 0o644);
    let folder = sb.path("etc/docker");
    let before = snapshot(&folder);
    let o = sb.add_to(&file).output().expect("run");
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("error: no space left on device")
            && err.contains(&sb.state().display().to_string())
            && err.contains("nothing was changed"),
        "{err}"
    );
    assert_eq!(snapshot(&folder), before, "the config file is untouched");
    assert!(temp_files(&folder).is_empty());
    let leftovers: Vec<_> = files_under(&sb.state())
        .into_iter()
        .map(|p| p.display().to_string())
        .filter(|p| p.contains("/.tmp-") || p.contains("/0000"))
        .collect();
    assert!(leftovers.is_empty(), "no half-made backup: {leftovers:?}");
}

#[test]
fn missing_folders_are_created_0755_or_refused_clearly() {
    // Issue 2: a missing daemon.json folder is created (0755 less the umask), the file 0644.
    let umask = nix::sys::stat::umask(nix::sys::stat::Mode::from_bits_truncate(0o022));
    nix::sys::stat::umask(umask);
    let sb = Sandbox::new();
    let file = sb.path("etc/docker/daemon.json");
    let o = sb.add_to(&file).output().expect("run");
    assert!(o.status.success(), "{}", text(&o.stderr));
    for dir in ["etc", "etc/docker"] {
        let mode = fs::metadata(sb.path(dir)).unwrap().mode() & 0o7777;
        assert_eq!(mode, 0o755 & !umask.bits(), "{dir}");
    }
    assert_eq!(fs::metadata(&file).unwrap().mode() & 0o7777, 0o644);
    let v: serde_json::Value = serde_json::from_slice(&fs::read(&file).unwrap()).unwrap();
    assert_eq!(v["insecure-registries"][0], "a.local:5000");
    // Undo removes the file dockcfg created.
    let o = sb
        .cmd(&["-f", file.to_str().unwrap(), "undo"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(!file.exists());

    // A part of the path is a file: refused, naming the path.
    let plain = sb.put("plain", b"x", 0o644);
    let inside = plain.join("daemon.json");
    let o = sb.add_to(&inside).output().unwrap();
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&format!(
            "error: a part of the path {} is a file, not a folder",
            inside.display()
        )),
        "{err}"
    );
    assert_eq!(fs::read(&plain).unwrap(), b"x");

    // The folder cannot be created (its parent is not writable for this user).
    if is_root() && !skip_unless_root_and(&["setpriv"]) {
        return;
    }
    let locked = sb.path("locked");
    fs::create_dir(&locked).unwrap();
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o555)).unwrap();
    let _restore = ModeGuard(locked.clone(), 0o755);
    fs::create_dir_all(sb.state()).unwrap();
    fs::set_permissions(sb.state(), fs::Permissions::from_mode(0o777)).unwrap();
    let deep = locked.join("docker/daemon.json");
    let o = as_nobody(&sb.add_to(&deep));
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&format!(
            "error: permission denied creating the folder {}: run with sudo",
            locked.join("docker").display()
        )),
        "{err}"
    );
    assert!(!locked.join("docker").exists());
}

#[test]
fn a_symlinked_file_is_written_through_with_its_mode_and_owner() {
    let sb = Sandbox::new();
    let real = sb.put("data/real-daemon.json", ORIGINAL, 0o640);
    if is_root() {
        std::os::unix::fs::chown(&real, Some(1234), Some(1234)).expect("chown");
    }
    fs::create_dir_all(sb.path("etc/docker")).unwrap();
    let link = sb.path("etc/docker/daemon.json");
    symlink("../../data/real-daemon.json", &link).unwrap();
    let o = sb.add_to(&link).output().expect("run");
    let err = text(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains(&format!("{} (-> {})", link.display(), real.display())),
        "messages say where the link leads: {err}"
    );
    assert_eq!(
        fs::read_link(&link).unwrap(),
        Path::new("../../data/real-daemon.json"),
        "the link is kept as it was"
    );
    let meta = fs::metadata(&real).unwrap();
    assert_eq!(meta.mode() & 0o7777, 0o640, "the target keeps its mode");
    if is_root() {
        assert_eq!((meta.uid(), meta.gid()), (1234, 1234), "and its owner");
    }
    let v: serde_json::Value = serde_json::from_slice(&fs::read(&real).unwrap()).unwrap();
    assert_eq!(
        v["insecure-registries"],
        serde_json::json!(["old.local:5000", "a.local:5000"])
    );
    assert!(temp_files(&sb.path("data")).is_empty());
    assert!(temp_files(&sb.path("etc/docker")).is_empty());
    // The backup of the previous content has the original's mode and owner.
    let previous: Vec<PathBuf> = files_under(&sb.state())
        .into_iter()
        .filter(|p| p.ends_with("previous"))
        .collect();
    assert_eq!(previous.len(), 1, "{previous:?}");
    let kept = fs::metadata(&previous[0]).unwrap();
    assert_eq!(kept.mode() & 0o7777, 0o640, "the backup keeps the mode");
    if is_root() {
        assert_eq!(
            (kept.uid(), kept.gid()),
            (1234, 1234),
            "the backup keeps the owner"
        );
    }
    assert_eq!(fs::read(&previous[0]).unwrap(), ORIGINAL);

    // A dangling link: its target is created (0644) and the link stays.
    let dangling = sb.path("etc/docker/other.json");
    symlink("../../data/new/other.json", &dangling).unwrap();
    let o = sb
        .cmd(&[
            "-f",
            dangling.to_str().unwrap(),
            "add-insecure",
            "b.local:5000",
        ])
        .output()
        .expect("run");
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(
        fs::symlink_metadata(&dangling)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    let created = sb.path("data/new/other.json");
    assert_eq!(fs::metadata(&created).unwrap().mode() & 0o7777, 0o644);
    assert!(
        fs::read_to_string(&created)
            .unwrap()
            .contains("b.local:5000")
    );
}

/// A process that detection takes for a running dockerd reading `config` (its program name
/// and argv[0] are `dockerd`: a symlink to /bin/sh that sleeps). Killed when dropped.
struct FakeDockerd {
    child: Child,
}

impl FakeDockerd {
    fn start(dir: &Path, config: &Path, pidfile: &Path) -> FakeDockerd {
        let exe = dir.join("dockerd");
        symlink("/bin/sh", &exe).expect("symlink");
        let child = Command::new(&exe)
            .args(["-c", "sleep 60", "dockerd", "--config-file"])
            .arg(config)
            .arg("--pidfile")
            .arg(pidfile)
            .stdin(Stdio::null())
            .spawn()
            .expect("start the fake dockerd");
        fs::write(pidfile, format!("{}\n", child.id())).expect("pidfile");
        FakeDockerd { child }
    }
    fn alive(&mut self) -> bool {
        self.child.try_wait().is_ok_and(|s| s.is_none())
    }
}

impl Drop for FakeDockerd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A fake engine API on a unix socket: answers `/_ping`, `/info`, `/containers/json`; before it
/// answers the ping, `meddle` runs (another program changes the file). Serves until `deadline`
/// or three requests.
fn fake_engine(
    sock: &Path,
    meddle: impl FnOnce() + Send + 'static,
) -> std::thread::JoinHandle<Vec<String>> {
    let listener = UnixListener::bind(sock).expect("bind");
    listener.set_nonblocking(true).expect("nonblocking");
    std::thread::spawn(move || {
        let mut meddle = Some(meddle);
        let mut seen = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        while seen.len() < 3 && Instant::now() < deadline {
            let mut s = match listener.accept() {
                Ok((s, _)) => s,
                Err(_) => {
                    std::thread::sleep(Duration::from_millis(10));
                    continue;
                }
            };
            let _ = s.set_nonblocking(false);
            let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
            let mut req = Vec::new();
            let mut buf = [0u8; 1024];
            while !req.windows(4).any(|w| w == b"\r\n\r\n") {
                match s.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => req.extend_from_slice(&buf[..n]),
                }
            }
            let req = text(&req);
            let path = req.split_whitespace().nth(1).unwrap_or("").to_string();
            let body = match path.as_str() {
                "/_ping" => {
                    if let Some(m) = meddle.take() {
                        m();
                    }
                    "OK".to_string()
                }
                "/info" => serde_json::json!({
                    "ServerVersion": "26.1.5",
                    "LiveRestoreEnabled": false,
                    "RegistryConfig": {
                        "InsecureRegistryCIDRs": ["127.0.0.0/8"],
                        "IndexConfigs": {},
                        "Mirrors": []
                    }
                })
                .to_string(),
                _ => "[]".to_string(),
            };
            let _ = write!(
                s,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            seen.push(path);
        }
        seen
    })
}

/// The file is changed by another program (an editor saving in place, or `sed -i` renaming a
/// new file over it) after dockcfg read it and before it writes. A real window, no test hook:
/// dockcfg reads the file under its lock, then asks the running engine how to apply the change,
/// then writes; the fake engine changes the file while it answers. dockcfg must notice, write
/// nothing, and leave the other program's content.
#[test]
fn a_change_by_another_program_between_read_and_write_is_not_lost() {
    let theirs: &[u8] =
        b"{\n  \"debug\": false,\n  \"insecure-registries\": [\"theirs.local:5000\"]\n}\n";
    for (how, rename) in [("edited in place", false), ("replaced by rename", true)] {
        let sb = Sandbox::new();
        let file = sb.put("etc/docker/daemon.json", ORIGINAL, 0o644);
        let pidfile = sb.path("dockerd.pid");
        let mut daemon = FakeDockerd::start(sb.dir.path(), &file, &pidfile);
        let sock = sb.path("docker.sock");
        let (target, folder) = (file.clone(), sb.path("etc/docker"));
        let server = fake_engine(&sock, move || {
            if rename {
                let new = folder.join("daemon.json.sed");
                fs::write(&new, theirs).expect("write");
                fs::rename(&new, &target).expect("rename");
            } else {
                fs::write(&target, theirs).expect("write in place");
            }
        });
        let o = Command::new(env!("CARGO_BIN_EXE_dockcfg"))
            .args(["-f", file.to_str().unwrap(), "add-insecure", "a.local:5000"])
            .arg("-H")
            .arg(format!("unix://{}", sock.display()))
            .arg("--pidfile")
            .arg(&pidfile)
            .env("DOCKCFG_STATE_DIR", sb.state())
            .env_remove("DOCKCFG_NO_APPLY")
            .env_remove("DOCKER_HOST")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .output()
            .expect("run");
        let seen = server.join().expect("fake engine");
        let err = text(&o.stderr);
        assert_eq!(
            seen.first().map(String::as_str),
            Some("/_ping"),
            "{how}: dockcfg asked the engine between its read and its write: {seen:?}\n{err}"
        );
        assert_eq!(o.status.code(), Some(1), "{how}: {err}");
        assert!(
            err.contains(&format!(
                "error: {} was changed by another program while dockcfg was editing it; nothing \
                 was written: run the command again",
                file.display()
            )),
            "{how}: {err}"
        );
        assert_eq!(
            fs::read(&file).unwrap(),
            theirs,
            "{how}: their change is kept"
        );
        assert!(temp_files(&sb.path("etc/docker")).is_empty(), "{how}");
        assert_eq!(backup_entries(&sb.state()), 0, "{how}");
        assert!(daemon.alive(), "{how}: the engine was not signalled");
    }
}

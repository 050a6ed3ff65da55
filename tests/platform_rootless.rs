//! Rootless, for real: a dockerd started by Debian's `dockerd-rootless.sh` under RootlessKit, as
//! an unprivileged user with its own subordinate ids, exactly the layout rootless Docker has
//! (no user systemd here: RootlessKit is started by hand, as `dockerd-rootless.sh` documents).
//! The real `dockcfg`, run as that user with nothing but the user's environment, must find the
//! rootless engine, edit `$XDG_CONFIG_HOME/docker/daemon.json`, reload it by SIGHUP and see the
//! change in the engine's answer, with the same dockerd pid.
//!
//! RootlessKit runs with `--net=host` (DOCKERD_ROOTLESS_ROOTLESSKIT_NET=host): this sandbox has no
//! usable /dev/net/tun for slirp4netns, and the dockerd gets `--bridge=none --iptables=false`
//! anyway, so it touches no network.

mod support;

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use serde_json::Value;

const USER: &str = "dcfg-rootless";
const SCRIPT: &str = "/usr/share/docker.io/contrib/dockerd-rootless.sh";

/// A throwaway user with subordinate uid/gid ranges (useradd gives them), removed at the end.
struct TestUser {
    uid: u32,
    gid: u32,
    home: PathBuf,
}

impl TestUser {
    fn create() -> TestUser {
        // A user left by a killed run is reused, then removed.
        if Command::new("id")
            .arg(USER)
            .output()
            .map(|o| !o.status.success())
            .unwrap_or(true)
        {
            let o = Command::new("useradd")
                .args(["--create-home", "--shell", "/usr/sbin/nologin", USER])
                .output()
                .expect("useradd runs");
            assert!(
                o.status.success(),
                "useradd: {}",
                String::from_utf8_lossy(&o.stderr)
            );
        }
        let id = |flag: &str| -> u32 {
            let o = Command::new("id").args([flag, USER]).output().expect("id");
            String::from_utf8_lossy(&o.stdout)
                .trim()
                .parse()
                .expect("a number")
        };
        let home = PathBuf::from(format!("/home/{USER}"));
        let subuid = fs::read_to_string("/etc/subuid").unwrap_or_default();
        assert!(
            subuid.lines().any(|l| l.starts_with(&format!("{USER}:"))),
            "useradd gave {USER} no /etc/subuid range"
        );
        TestUser {
            uid: id("-u"),
            gid: id("-g"),
            home,
        }
    }

    /// A command run as this user, with only its own environment (no shell).
    fn command(&self, run: &Path, program: &str) -> Command {
        let mut c = Command::new("setpriv");
        c.args([
            &format!("--reuid={}", self.uid),
            &format!("--regid={}", self.gid),
            "--init-groups",
            "--",
            "env",
            "-i",
        ])
        .arg(format!("HOME={}", self.home.display()))
        .arg(format!("XDG_RUNTIME_DIR={}", run.display()))
        .arg("PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin")
        .arg(program)
        .stdin(Stdio::null());
        c
    }
}

impl Drop for TestUser {
    fn drop(&mut self) {
        // Any process of the user still there (a dockerd that did not stop) goes first, by pid.
        for pid in support::process::pids_with_cmdline_containing("dockerd") {
            let uid = fs::metadata(format!("/proc/{pid}")).map(|m| m.uid()).ok();
            if uid == Some(self.uid) {
                support::process::stop_pid(pid, Duration::from_secs(5));
            }
        }
        let _ = Command::new("userdel").args(["--remove", USER]).output();
        let _ = fs::remove_dir_all(&self.home);
    }
}

/// RootlessKit + dockerd started by `dockerd-rootless.sh` as the user; stopped by pid on drop.
struct RootlessDockerd {
    kit: Child,
    run: tempfile::TempDir,
}

impl RootlessDockerd {
    fn start(user: &TestUser) -> RootlessDockerd {
        let run = tempfile::Builder::new()
            .prefix("dcfg-rl-")
            .tempdir_in("/tmp")
            .expect("runtime dir");
        fs::set_permissions(run.path(), fs::Permissions::from_mode(0o700)).expect("chmod");
        std::os::unix::fs::chown(run.path(), Some(user.uid), Some(user.gid)).expect("chown");
        let log = fs::File::create(run.path().join("dockerd.log")).expect("log");
        let mut cmd = user.command(run.path(), "DOCKERD_ROOTLESS_ROOTLESSKIT_NET=host");
        cmd.args([
            "DOCKERD_ROOTLESS_ROOTLESSKIT_PORT_DRIVER=none",
            "DOCKERD_ROOTLESS_ROOTLESSKIT_MTU=0",
            "sh",
            SCRIPT,
            "--bridge=none",
            "--iptables=false",
            "--ip6tables=false",
            "--storage-driver=vfs",
        ])
        .stdout(log.try_clone().expect("log"))
        .stderr(log);
        let kit = support::process::spawn_tied(&mut cmd).expect("dockerd-rootless.sh starts");
        let d = RootlessDockerd { kit, run };
        let up = support::wait_until(Duration::from_secs(30), Duration::from_millis(100), || {
            support::http::unix_request(&d.socket(), "GET", "/_ping", None)
                .ok()
                .filter(|r| r.status == 200)
        });
        assert!(
            up.is_some(),
            "the rootless dockerd did not answer:\n{}",
            d.log()
        );
        d
    }
    fn socket(&self) -> PathBuf {
        self.run.path().join("docker.sock")
    }
    fn log(&self) -> String {
        fs::read_to_string(self.run.path().join("dockerd.log")).unwrap_or_default()
    }
    /// The dockerd's pid: the process RootlessKit's child started, owned by the user.
    fn dockerd_pid(&self, user: &TestUser) -> u32 {
        support::process::pids_with_cmdline_containing("--storage-driver=vfs")
            .into_iter()
            .find(|pid| {
                let comm = fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
                let uid = fs::metadata(format!("/proc/{pid}")).map(|m| m.uid()).ok();
                comm.trim() == "dockerd" && uid == Some(user.uid)
            })
            .expect("the rootless dockerd process")
    }
    fn registry_config(&self) -> Value {
        support::http::unix_request(&self.socket(), "GET", "/info", None)
            .expect("/info answers")
            .json()
            .expect("JSON")["RegistryConfig"]
            .clone()
    }
}

impl Drop for RootlessDockerd {
    fn drop(&mut self) {
        let _ = support::process::stop_child(&mut self.kit, Duration::from_secs(15));
    }
}

fn dockcfg(user: &TestUser, run: &Path, args: &[&str]) -> Output {
    let bin = env!("CARGO_BIN_EXE_dockcfg");
    user.command(run, bin)
        .args(args)
        .output()
        .expect("dockcfg runs")
}

fn insecure(rc: &Value, addr: &str) -> bool {
    rc["IndexConfigs"][addr]["Secure"] == Value::Bool(false)
}

#[test]
fn rootless_dockerd_is_found_edited_and_reloaded() {
    if !support::skip_unless_root_and(&["rootlesskit", "newuidmap", "setpriv", "useradd", SCRIPT]) {
        return;
    }
    let mut t = support::Timer::start("rootless");
    let user = TestUser::create();
    let d = RootlessDockerd::start(&user);
    let run = d.run.path().to_path_buf();
    let pid = d.dockerd_pid(&user);
    t.lap("rootless dockerd up");
    // The binary must be reachable by the user (the test's target dir may not be): check.
    let o = dockcfg(&user, &run, &["--version"]);
    if !o.status.success() {
        let why = format!(
            "the user cannot run {} ({})",
            env!("CARGO_BIN_EXE_dockcfg"),
            String::from_utf8_lossy(&o.stderr).trim()
        );
        assert!(!support::in_ci(), "{why}");
        eprintln!("SKIPPED rootless: {why}");
        return;
    }

    let o = dockcfg(&user, &run, &["status", "--json"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let s: Value = serde_json::from_slice(&o.stdout).expect("status JSON");
    let config = user.home.join(".config/docker/daemon.json");
    assert_eq!(s["detected"]["install"], "rootless", "{s:#}");
    assert_eq!(s["detected"]["config_file"], config.display().to_string());
    assert_eq!(s["detected"]["daemon"]["pid"], pid);
    assert_eq!(
        s["detected"]["engine_host"],
        format!("unix://{}", d.socket().display())
    );
    t.lap("status: rootless found");

    let o = dockcfg(&user, &run, &["add-insecure", "10.0.0.7:5000"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains(&format!("reloaded dockerd (pid {pid}) with SIGHUP")),
        "{err}"
    );
    assert!(
        fs::read_to_string(&config)
            .expect("written")
            .contains("\"10.0.0.7:5000\"")
    );
    assert_eq!(
        fs::metadata(&config).expect("file").uid(),
        user.uid,
        "the user's own file"
    );
    assert!(insecure(&d.registry_config(), "10.0.0.7:5000"));
    assert_eq!(d.dockerd_pid(&user), pid, "reloaded, not restarted");
    t.lap("add-insecure reloaded, the engine reports it");

    let o = dockcfg(&user, &run, &["rm-insecure", "10.0.0.7:5000"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(!insecure(&d.registry_config(), "10.0.0.7:5000"));
    assert_eq!(d.dockerd_pid(&user), pid);
    t.lap("rm-insecure reloaded, gone from the engine");
    drop(d);
    drop(user);
    t.lap("stopped, user removed");
}

//! dockcfg applying changes to a real engine (issue 4, "Must show"): the insecure-registry story
//! from push refused to push and pull done with the same dockerd and its container still running,
//! and back again (`[]` on removal); a mirror pulled through by a dockerd with no route out; a
//! change the engine refuses on reload, rolled back; and the system dockerd through its sysvinit
//! script: a restart forced by a DOCKER_OPTS change, and a refused start rolled back.
//!
//! Needs root and the tools from .ci/install-engines; skipped otherwise, failed under CI.
//! `cargo test --test e2e_apply -- --nocapture` shows the step timings and dockcfg's own output.

mod support;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use nix::fcntl::{Flock, FlockArg};
use serde_json::Value;
use support::{Dockerd, DockerdOpts, Netns, Registry, Timer};

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Runs the built dockcfg with its backups in `state`, no DOCKER_HOST, stdin not a terminal.
fn dockcfg(state: &Path, args: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_dockcfg"))
        .args(args)
        .env("DOCKCFG_STATE_DIR", state)
        .env_remove("DOCKER_HOST")
        .env_remove("DOCKER_TLS_VERIFY")
        .env_remove("NO_COLOR")
        .stdin(Stdio::null())
        .output()
        .expect("run dockcfg");
    eprintln!(
        "$ dockcfg {}\n{}{}[exit {}]",
        args.join(" "),
        text(&out.stdout),
        text(&out.stderr),
        out.status.code().unwrap_or(-1)
    );
    out
}

/// The options that name a private dockerd: its file, pidfile, socket and log.
fn engine_args(d: &Dockerd) -> Vec<String> {
    vec![
        "-f".into(),
        d.config_path().display().to_string(),
        "--pidfile".into(),
        d.pidfile().display().to_string(),
        "-H".into(),
        d.host_arg(),
        "--log-file".into(),
        d.log_path().display().to_string(),
    ]
}

fn with<'a>(base: &'a [String], more: &[&'a str]) -> Vec<&'a str> {
    base.iter()
        .map(String::as_str)
        .chain(more.iter().copied())
        .collect()
}

fn insecure_in(rc: &Value, addr: &str) -> bool {
    rc["IndexConfigs"][addr]["Secure"] == Value::Bool(false)
}

/// Issue 4's story: a registry in a namespace, a private dockerd; push refused over HTTP;
/// `dockcfg add-insecure` reloads the same dockerd and push and pull work, a container started
/// before still runs; `dockcfg rm-insecure` writes `[]` and the engine refuses again.
fn insecure_story(binary: PathBuf, label: &str) {
    let mut t = Timer::start(label);
    let state = tempfile::tempdir().expect("state dir");
    let ns = Netns::create().expect("create netns");
    let reg = Registry::start(&ns, 5000).expect("registry in netns");
    let d = Dockerd::start(DockerdOpts::new().binary(&binary)).expect("start dockerd");
    t.lap("netns, registry, dockerd up");
    let before = d.process_id().expect("dockerd alive");
    support::tiny_image(&d, "tiny:1").expect("import tiny image");
    let cid = d
        .docker_ok(&["run", "-d", "--network", "none", "tiny:1", "sleep", "1000"])
        .expect("run a container");
    let cpid = d
        .docker_ok(&["inspect", "-f", "{{.State.Pid}}", &cid])
        .expect("inspect");
    let image = format!("{}/tiny:1", reg.addr());
    d.docker_ok(&["tag", "tiny:1", &image]).expect("tag");
    let refused = d.docker(&["push", &image]);
    assert!(!refused.status.success());
    assert!(
        text(&refused.stderr).contains("server gave HTTP response to HTTPS client"),
        "{}",
        text(&refused.stderr)
    );
    t.lap("container running, push refused");

    let args = engine_args(&d);
    let out = dockcfg(state.path(), &with(&args, &["add-insecure", reg.addr()]));
    let err = text(&out.stderr);
    assert!(out.status.success(), "{err}");
    let said = format!(
        "reloaded dockerd (pid {}) with SIGHUP; the engine reports {} as insecure after ",
        d.pid(),
        reg.addr()
    );
    assert!(err.contains(&said), "{err}");
    assert!(err.contains("; no container was stopped\n"), "{err}");
    assert!(insecure_in(&d.registry_config().expect("rc"), reg.addr()));
    t.lap("dockcfg add-insecure (reload, verified)");

    let out = dockcfg(state.path(), &with(&args, &["status", "--json"]));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let st: Value = serde_json::from_slice(&out.stdout).expect("status json");
    assert_eq!(st["in_sync"], true, "{st}");
    assert_eq!(st["engine"]["pid"], d.pid(), "{st}");
    assert_eq!(
        st["registries"]["insecure-registries"]["engine"][0],
        reg.addr(),
        "{st}"
    );
    d.docker_ok(&["push", &image]).expect("push after dockcfg");
    d.docker_ok(&["rmi", &image]).expect("rmi");
    d.docker_ok(&["pull", &image]).expect("pull after dockcfg");
    assert_eq!(reg.catalog().expect("catalog"), vec!["tiny".to_string()]);
    assert_eq!(d.process_id(), Some(before), "dockerd must not restart");
    let state_now = d
        .docker_ok(&["inspect", "-f", "{{.State.Running}} {{.State.Pid}}", &cid])
        .expect("inspect");
    assert_eq!(
        state_now,
        format!("true {cpid}"),
        "the container still runs"
    );
    t.lap("push + pull, same dockerd, container running");

    // A restart would stop the container: without a terminal and without --yes, refused before
    // anything is written.
    let config_before = std::fs::read(d.config_path()).expect("read config");
    let out = dockcfg(
        state.path(),
        &with(
            &args,
            &[
                "--restart",
                "--restart-cmd",
                "true",
                "add-insecure",
                "198.18.0.77:5000",
            ],
        ),
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains(
            "restarting dockerd stops 1 running container (live-restore is off): run again with \
             --yes to go ahead (or turn on live-restore first); nothing was written"
        ),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(std::fs::read(d.config_path()).expect("read"), config_before);
    t.lap("restart refused without --yes");

    // Removing it writes [] (a missing key would keep the old value on reload).
    let out = dockcfg(
        state.path(),
        &with(&args, &["--json", "rm-insecure", reg.addr()]),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let j: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(j["apply"]["method"], "reload");
    assert_eq!(j["apply"]["verified"], true);
    assert_eq!(j["apply"]["rolled_back"], false);
    let file: Value =
        serde_json::from_slice(&std::fs::read(d.config_path()).expect("read")).expect("json");
    assert_eq!(file["insecure-registries"], serde_json::json!([]));
    assert!(!insecure_in(&d.registry_config().expect("rc"), reg.addr()));
    d.docker_ok(&["tag", "tiny:1", &format!("{}/tiny:2", reg.addr())])
        .expect("tag");
    let again = d.docker(&["push", &format!("{}/tiny:2", reg.addr())]);
    assert!(!again.status.success(), "push must fail again after rm");
    assert!(
        text(&again.stderr).contains("server gave HTTP response to HTTPS client"),
        "{}",
        text(&again.stderr)
    );
    assert_eq!(d.process_id(), Some(before), "dockerd must not restart");
    t.lap("dockcfg rm-insecure ([]), push refused again");

    // A hand edit, then `dockcfg apply`: status shows the drift, apply reloads and verifies.
    d.write_config(&format!(
        "{{\"insecure-registries\": [\"{}\"]}}\n",
        reg.addr()
    ))
    .expect("hand edit");
    let out = dockcfg(state.path(), &with(&args, &["status"]));
    assert!(
        text(&out.stdout).contains(&format!("  not in the engine: {}\n", reg.addr())),
        "{}",
        text(&out.stdout)
    );
    let out = dockcfg(state.path(), &with(&args, &["apply"]));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(insecure_in(&d.registry_config().expect("rc"), reg.addr()));
    assert_eq!(d.process_id(), Some(before), "dockerd must not restart");
    t.lap("hand edit, status drift, dockcfg apply");
    drop(d);
    drop(reg);
    drop(ns);
    eprintln!("[time] {label}: total {:.2}s", t.total().as_secs_f64());
}

#[test]
fn insecure_registry_add_and_remove_dockerd_20_10() {
    if !support::skip_unless_root_and(support::E2E_TOOLS) {
        return;
    }
    insecure_story(support::system_dockerd(), "apply-insecure/20.10");
}

#[test]
fn insecure_registry_add_and_remove_dockerd_26_1() {
    let Some(path) = support::require_e2e_with_dockerd_26() else {
        return;
    };
    insecure_story(path, "apply-insecure/26.1");
}

/// A dockerd with no route out pulls a Docker Hub name through an `http://` mirror once
/// `dockcfg mirror add` has reloaded it.
#[test]
fn mirror_add_pulls_without_route_out_dockerd_26_1() {
    let Some(path) = support::require_e2e_with_dockerd_26() else {
        return;
    };
    let mut t = Timer::start("apply-mirror/26.1");
    let state = tempfile::tempdir().expect("state dir");
    let ns = Netns::create().expect("netns");
    let reg = Registry::start_host_side(&ns, 5000).expect("registry");
    support::seed_registry(&reg, "library/tiny:1").expect("seed the mirror");
    let d = Dockerd::start(DockerdOpts::new().binary(&path).netns(&ns)).expect("dockerd in netns");
    let before = d.process_id().expect("alive");
    assert!(
        !d.docker(&["pull", "tiny:1"]).status.success(),
        "no route out, no mirror"
    );
    t.lap("setup, pull without mirror fails");

    let args = engine_args(&d);
    let out = dockcfg(state.path(), &with(&args, &["mirror", "add", &reg.url()]));
    let err = text(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains(&format!("the engine uses mirror {} after ", reg.url())),
        "{err}"
    );
    t.lap("dockcfg mirror add (reload, verified)");
    d.docker_ok(&["pull", "tiny:1"])
        .expect("pull through the mirror");
    let out = d
        .docker_ok(&[
            "run",
            "--rm",
            "--network",
            "none",
            "tiny:1",
            "echo",
            "hello",
        ])
        .expect("run");
    assert_eq!(out, "hello");
    assert_eq!(d.process_id(), Some(before), "dockerd must not restart");
    t.lap("pulled through the mirror");
}

/// dockcfg told the wrong engine version (`--engine 26.1` for a 20.10 engine) accepts a mirror
/// with a path (with a warning), but dockerd 20.10 refuses it on reload and only logs that: the
/// poll sees the engine unchanged, dockcfg puts the file back, reloads again, shows the log line
/// and exits 1. The engine's answer wins over dockcfg's own checks.
#[test]
fn a_reload_the_engine_refuses_is_rolled_back_dockerd_20_10() {
    if !support::skip_unless_root_and(&["dockerd"]) {
        return;
    }
    let mut t = Timer::start("apply-refused-reload/20.10");
    let state = tempfile::tempdir().expect("state dir");
    let d = Dockerd::start(
        DockerdOpts::new().config("{\n  \"insecure-registries\": [\"198.18.0.50:5000\"]\n}\n"),
    )
    .expect("dockerd");
    let before_pid = d.process_id().expect("alive");
    let before_file = std::fs::read(d.config_path()).expect("read");
    let before_rc = d.registry_config().expect("rc");
    let args = engine_args(&d);
    let out = dockcfg(
        state.path(),
        &with(
            &args,
            &[
                "--engine",
                "26.1",
                "--timeout",
                "3",
                "--json",
                "mirror",
                "add",
                "https://mirror.example.com/docker",
            ],
        ),
    );
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    t.lap("dockcfg mirror add, refused, rolled back");
    for want in [
        "warning: https://mirror.example.com/docker has a path: only Docker Engine 25.0 and newer accept mirrors with a path",
        "but the engine did not take the new settings within 3 s: it still reports insecure 198.18.0.50:5000, no mirrors",
        "invalid mirror: path, query, or fragment at end of the URI",
        &format!("put {} back as it was", d.config_path().display()),
        "reloaded again (dockerd (pid ",
        "error: the engine did not take the change, so it was rolled back",
    ] {
        assert!(err.contains(want), "missing {want:?} in:\n{err}");
    }
    let j: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(j["apply"]["method"], "reload");
    assert_eq!(j["apply"]["verified"], false);
    assert_eq!(j["apply"]["rolled_back"], true);
    assert!(
        j["apply"]["log"][0]
            .as_str()
            .unwrap_or("")
            .contains("invalid mirror"),
        "{j}"
    );
    assert_eq!(
        j["backup"],
        Value::Null,
        "the rolled-back write leaves no backup"
    );
    assert_eq!(std::fs::read(d.config_path()).expect("read"), before_file);
    assert_eq!(d.registry_config().expect("rc"), before_rc);
    assert_eq!(d.process_id(), Some(before_pid));
    // Nothing left to undo: the rollback dropped the write's backup.
    let out = dockcfg(state.path(), &with(&args, &["undo"]));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("nothing to undo"),
        "{}",
        text(&out.stderr)
    );
}

// ---------------------------------------------------------------------------------------------
// The system dockerd through /etc/init.d/docker

const ETC_DEFAULT: &str = "/etc/default/docker";
const DAEMON_JSON: &str = "/etc/docker/daemon.json";
const SSD_PIDFILE: &str = "/var/run/docker-ssd.pid";
const SYSTEM_SOCKET: &str = "/var/run/docker.sock";
const SYSTEM_LOCK: &str = "/run/dockcfg-tests-system-docker.lock";

/// The machine's /etc/default/docker and /etc/docker/daemon.json saved, a lock so only one such
/// test runs at a time; on drop the system dockerd is stopped (by its pidfile's pid) and both
/// files are put back as they were (or removed if they did not exist).
struct SystemDocker {
    saved: Vec<(PathBuf, Option<Vec<u8>>)>,
    /// False when the test found a system dockerd it did not start: then nothing is touched.
    armed: bool,
    _lock: Flock<File>,
}

impl SystemDocker {
    fn take() -> SystemDocker {
        let f = File::create(SYSTEM_LOCK).expect("create the lock file");
        let lock = Flock::lock(f, FlockArg::LockExclusive).expect("lock");
        let saved = [ETC_DEFAULT, DAEMON_JSON]
            .iter()
            .map(|p| (PathBuf::from(p), std::fs::read(p).ok()))
            .collect();
        SystemDocker {
            saved,
            armed: true,
            _lock: lock,
        }
    }

    fn pid() -> Option<u32> {
        std::fs::read_to_string(SSD_PIDFILE)
            .ok()?
            .trim()
            .parse()
            .ok()
    }

    fn running() -> Option<u32> {
        Self::pid().filter(|p| support::ProcessId::of(*p).is_some())
    }

    fn api(path: &str) -> Option<Value> {
        support::http::unix_request(Path::new(SYSTEM_SOCKET), "GET", path, None)
            .ok()
            .filter(|r| r.status == 200)
            .and_then(|r| r.json().ok())
    }

    fn registry_config() -> Value {
        Self::api("/info").expect("the system dockerd answers")["RegistryConfig"].clone()
    }
}

impl Drop for SystemDocker {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        if let Some(pid) = Self::running()
            && !support::process::stop_pid(pid, Duration::from_secs(20))
        {
            eprintln!("e2e: the system dockerd (pid {pid}) did not stop");
        }
        if Self::running().is_none() {
            let _ = std::fs::remove_file(SSD_PIDFILE);
        }
        for (path, content) in &self.saved {
            match content {
                Some(bytes) => {
                    if let Err(e) = std::fs::write(path, bytes) {
                        eprintln!("e2e: could not restore {}: {e}", path.display());
                    }
                }
                None => {
                    let _ = std::fs::remove_file(path);
                }
            }
        }
    }
}

/// The sysvinit path: `service docker` runs the system dockerd with DOCKER_OPTS from
/// /etc/default/docker (and the ulimit shim the sandbox needs). A DOCKER_OPTS edit needs a
/// restart (new pid, settings verified); a daemon.json setting also given as a flag is refused
/// before anything is written; a change the engine refuses at start (dockcfg told the wrong
/// engine version) is rolled back: the file is put back, the engine restarted again, the log
/// line shown, exit 1, and the engine runs with the old settings.
#[test]
fn sysvinit_restart_and_refused_start_roll_back() {
    if !support::skip_unless_root_and(&["dockerd", "service", "/etc/init.d/docker"]) {
        return;
    }
    let mut t = Timer::start("apply-sysvinit");
    let mut sys = SystemDocker::take();
    if let Some(pid) = SystemDocker::running() {
        sys.armed = false;
        let why =
            format!("the system dockerd already runs (pid {pid}); this test needs it stopped");
        assert!(!support::in_ci(), "{why}");
        eprintln!("SKIPPED {why}");
        return;
    }
    let state = tempfile::tempdir().expect("state dir");
    std::fs::write(
        ETC_DEFAULT,
        "# written by dockcfg's e2e test (restored afterwards)\n\
         DOCKER_OPTS=\"--iptables=false --ip6tables=false --bridge=none --insecure-registry=198.18.0.9:5000\"\n\
         ulimit() { command ulimit \"$@\" 2>/dev/null || true; }\n",
    )
    .expect("write /etc/default/docker");
    let _ = std::fs::remove_file(DAEMON_JSON);
    let start = Command::new("service")
        .args(["docker", "start"])
        .stdin(Stdio::null())
        .output()
        .expect("service docker start");
    assert!(start.status.success(), "{}", text(&start.stderr));
    let up = support::wait_until(Duration::from_secs(30), Duration::from_millis(50), || {
        support::http::unix_request(Path::new(SYSTEM_SOCKET), "GET", "/_ping", None)
            .ok()
            .filter(|r| r.status == 200)
    });
    assert!(up.is_some(), "the system dockerd did not come up");
    let first = SystemDocker::running().expect("pid");
    assert!(insecure_in(
        &SystemDocker::registry_config(),
        "198.18.0.9:5000"
    ));
    t.lap("service docker start");

    // Nothing tells dockcfg about the engine: detection finds the sysvinit install, its
    // pidfile (/var/run/docker-ssd.pid), `service docker restart` and /var/log/docker.log.
    let common: [&str; 0] = [];
    // A DOCKER_OPTS change: flags are read only at start, so a restart.
    let mut args: Vec<&str> = vec!["-f", ETC_DEFAULT];
    args.extend(common);
    args.extend(["add-insecure", "198.18.0.10:5000"]);
    let out = dockcfg(state.path(), &args);
    let err = text(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains(
            "restarting docker with `service docker restart` (dockerd's command-line flags changed"
        ),
        "{err}"
    );
    let second = SystemDocker::running().expect("running after the restart");
    assert_ne!(first, second, "a restart gives a new pid");
    assert!(
        err.contains(&format!(
            "restarted docker (pid {first} -> {second}); the engine answered after "
        )),
        "{err}"
    );
    assert!(
        err.contains("reports 198.18.0.10:5000 as insecure"),
        "{err}"
    );
    let rc = SystemDocker::registry_config();
    assert!(
        insecure_in(&rc, "198.18.0.9:5000") && insecure_in(&rc, "198.18.0.10:5000"),
        "{rc}"
    );
    t.lap("DOCKER_OPTS edit -> restart, verified");

    // The same key in daemon.json as in DOCKER_OPTS: dockerd would refuse to start, and
    // dockcfg's check (which reads the flags the init script passes) refuses before writing.
    let mut args: Vec<&str> = vec!["-f", DAEMON_JSON, "--restart"];
    args.extend(common);
    args.extend(["add-insecure", "198.18.0.11:5000"]);
    let out = dockcfg(state.path(), &args);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains(
            "\"insecure-registries\" is also set as --insecure-registry in /etc/default/docker"
        ),
        "{err}"
    );
    assert!(err.contains("nothing was written"), "{err}");
    assert!(!Path::new(DAEMON_JSON).exists(), "nothing was written");
    assert_eq!(SystemDocker::running(), Some(second), "no restart happened");
    t.lap("flag/file conflict refused before the write");

    // A change dockcfg's checks pass (told the wrong engine version) but dockerd 20.10 refuses
    // at start: dockcfg notices from the engine, rolls back, restarts again.
    let mut args: Vec<&str> = vec!["-f", DAEMON_JSON, "--restart", "--engine", "26.1"];
    args.extend(common);
    args.extend(["mirror", "add", "https://mirror.example.com/docker"]);
    let out = dockcfg(state.path(), &args);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    for want in [
        "restarting docker with `service docker restart` (--restart was given)",
        "the engine did not come back healthy within 30 s after the restart: dockerd (pid ",
        "the engine's log (/var/log/docker.log) says:",
        "invalid mirror: path, query, or fragment at end of the URI",
        "put /etc/docker/daemon.json back as it was",
        "the engine is running again (pid ",
        "error: the engine did not start with the change, so it was rolled back",
    ] {
        assert!(err.contains(want), "missing {want:?} in:\n{err}");
    }
    assert!(
        !Path::new(DAEMON_JSON).exists(),
        "the created file is removed again"
    );
    let third = SystemDocker::running().expect("the engine runs again");
    assert_ne!(third, second);
    let rc = SystemDocker::registry_config();
    assert!(
        insecure_in(&rc, "198.18.0.9:5000") && insecure_in(&rc, "198.18.0.10:5000"),
        "{rc}"
    );
    assert!(
        rc["Mirrors"].as_array().is_none_or(|m| m.is_empty()),
        "{rc}"
    );
    t.lap("refused start -> rolled back, running again");
    drop(sys);
    assert!(
        SystemDocker::running().is_none(),
        "the system dockerd is stopped at the end"
    );
    t.lap("stopped, files restored");
}

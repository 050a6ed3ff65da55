//! Proves the real-init-system harness (tests/support/nspawn.rs): the Debian 12 trees from `.ci/build-trees`
//! boot in systemd-nspawn with a real systemd, or sysvinit + OpenRC, as PID 1, managing Debian's docker.io;
//! tests reach inside, reload the engine the way each init system does, and every container is gone after
//! (processes, cgroups, mounts, folders), also when a test panics or its process is SIGKILLed.
//!
//! It also pins down, as executable facts, what dockcfg's apply logic must handle on each init system (see
//! the `*_facts` tests): `systemctl reload` answers 0 whatever dockerd thinks of the file; a refused restart
//! ends in `start-limit-hit` until `reset-failed`; OpenRC's `restart` answers 0 although dockerd died.
//!
//! Needs root, systemd-nspawn, nsenter and the trees (`.ci/build-trees`); skipped otherwise, failed under
//! CI. `cargo test --test platform_boot -- --nocapture` shows the step timings.

mod support;

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use serde_json::Value;
use support::Timer;
use support::nspawn::{BootOpts, Container, Init, Tree};
use support::process::ProcessId;

/// The tree's own daemon.json: no bridge, no iptables (the trees are built with it; tests keep it).
const SAFE: &str = r#""bridge": "none", "iptables": false, "ip6tables": false"#;
const WAIT: Duration = Duration::from_secs(10);

fn daemon_json(extra: &str) -> String {
    if extra.is_empty() {
        format!("{{{SAFE}}}\n")
    } else {
        format!("{{{SAFE}, {extra}}}\n")
    }
}

/// The engine's insecure registries other than the built-in loopback ones, from `GET /info`.
fn insecure_registries(info: &Value) -> Vec<String> {
    let mut names: Vec<String> = info["RegistryConfig"]["IndexConfigs"]
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(_, v)| v["Secure"] == Value::Bool(false))
        .map(|(k, _)| k.clone())
        .collect();
    names.sort();
    names
}

fn wait_insecure(c: &Container, want: &[&str]) -> Vec<String> {
    let mut last = Vec::new();
    let hit = support::wait_until(WAIT, Duration::from_millis(20), || {
        last = insecure_registries(&c.docker_info().ok()?);
        (last == want).then_some(())
    });
    assert!(
        hit.is_some(),
        "insecure registries: want {want:?}, engine says {last:?}"
    );
    last
}

fn text(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// What a container leaves if cleanup failed.
struct Traces {
    name: String,
    pids: Vec<ProcessId>,
    cgroups: Vec<PathBuf>,
}

impl Traces {
    fn of(c: &Container) -> Self {
        Self {
            name: c.name().to_string(),
            pids: [c.nspawn_pid(), c.pid1()]
                .into_iter()
                .filter_map(ProcessId::of)
                .collect(),
            cgroups: c.cgroups().to_vec(),
        }
    }

    /// Panics naming whatever is still there.
    fn assert_gone(&self) {
        let mut left = Vec::new();
        left.extend(
            self.pids
                .iter()
                .filter(|p| p.is_alive())
                .map(|p| format!("pid {}", p.pid)),
        );
        left.extend(
            self.cgroups
                .iter()
                .filter(|c| c.exists())
                .map(|c| format!("cgroup {}", c.display())),
        );
        left.extend(
            support::process::pids_in_cgroup_containing(&format!("/{}", self.name))
                .into_iter()
                // A zombie still names its last cgroup until its new parent reaps it.
                .filter(|&p| ProcessId::of(p).is_some())
                .map(|p| format!("pid {p} in its cgroup")),
        );
        let mounts = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
        left.extend(
            mounts
                .lines()
                .filter(|l| l.contains(&self.name))
                .map(|l| format!("mount {l}")),
        );
        for dir in [
            PathBuf::from("/tmp").join(&self.name),
            PathBuf::from("/run/systemd/nspawn/propagate").join(&self.name),
        ] {
            if dir.exists() {
                left.push(format!("folder {}", dir.display()));
            }
        }
        assert!(left.is_empty(), "left behind by {}: {left:#?}", self.name);
    }
}

/// systemd: docker active, `systemctl reload docker` applies a new daemon.json with the same MainPID and a
/// running container survives it; the dockcfg binary built by cargo runs inside.
#[test]
fn systemd_reload_keeps_main_pid_and_containers() {
    let Some(tree) = Tree::systemd() else { return };
    let mut t = Timer::start("systemd");
    let mut c = Container::boot(
        &tree,
        BootOpts::new()
            .dockcfg()
            .file("/etc/dockcfg-seeded", "seeded before boot\n"),
    )
    .expect("boot the systemd tree");
    t.lap("boot to docker answering");
    let traces = Traces::of(&c);

    assert_eq!(
        c.exec_ok(&["systemctl", "is-active", "docker"]).unwrap(),
        "active"
    );
    assert_eq!(
        c.read_file("/etc/dockcfg-seeded").unwrap(),
        "seeded before boot\n"
    );
    let reload = c.systemctl_show("docker", "ExecReload").unwrap();
    assert!(
        reload.contains("argv[]=/bin/kill -s HUP $MAINPID"),
        "{reload}"
    );
    let version = c
        .exec_ok(&["docker", "info", "-f", "{{.ServerVersion}}"])
        .unwrap();
    assert!(version.starts_with("20.10."), "{version}");
    let dockcfg = c.exec_ok(&["dockcfg", "--version"]).unwrap();
    assert!(dockcfg.starts_with("dockcfg "), "{dockcfg}");
    t.lap("checks: active, seed, ExecReload, docker info, dockcfg --version");

    let (id, started) = support::platform::start_sleeper(&c);
    t.lap("docker import + run");

    let main_pid = c.docker_pid().unwrap();
    c.write_file(
        "/etc/docker/daemon.json",
        &daemon_json(r#""insecure-registries": ["198.18.0.2:5000"]"#),
    )
    .unwrap();
    c.exec_ok(&["systemctl", "reload", "docker"]).unwrap();
    wait_insecure(&c, &["198.18.0.2:5000"]);
    t.lap("systemctl reload docker, change seen");
    assert_eq!(
        c.docker_pid().unwrap(),
        main_pid,
        "reload must keep MainPID"
    );
    let after = support::platform::container_state(&c, &id);
    assert_eq!(after, started, "the container must survive the reload");
    assert!(
        c.journal("docker").contains(
            "Got signal to reload configuration, reloading from: /etc/docker/daemon.json"
        ),
        "{}",
        c.journal("docker")
    );

    let took = c.shutdown().expect("clean poweroff");
    t.lap(&format!(
        "poweroff ({:.2}s) and cleanup",
        took.as_secs_f64()
    ));
    drop(c);
    traces.assert_gone();
}

/// OpenRC: `rc-service docker status` answers, dockerd's pid is in /var/run/docker-ssd.pid, and SIGHUP to it
/// applies a new daemon.json with the same pid. The LSB script has no `reload`.
#[test]
fn openrc_status_pidfile_and_sighup() {
    let Some(tree) = Tree::openrc() else { return };
    let mut t = Timer::start("openrc");
    let mut c = Container::boot(&tree, BootOpts::new().dockcfg()).expect("boot the openrc tree");
    t.lap("boot to docker answering");
    let traces = Traces::of(&c);

    let status = c.exec(&["rc-service", "docker", "status"]);
    assert!(status.status.success(), "{}", text(&status));
    assert_eq!(text(&status).trim(), "Docker is running.");
    let pid = c.docker_pid().unwrap();
    assert_eq!(
        c.exec_ok(&["cat", "/var/run/docker.pid"]).unwrap(),
        pid.to_string(),
        "start-stop-daemon's pidfile and dockerd's own name the same process"
    );
    let reload = c.exec(&["rc-service", "docker", "reload"]);
    assert_eq!(reload.status.code(), Some(1));
    assert_eq!(
        text(&reload).trim(),
        "Usage: service docker {start|stop|restart|status}"
    );
    assert!(
        c.exec_ok(&["dockcfg", "--version"])
            .unwrap()
            .starts_with("dockcfg ")
    );
    t.lap("checks: status, pidfile, no reload action, dockcfg --version");

    c.write_file(
        "/etc/docker/daemon.json",
        &daemon_json(r#""insecure-registries": ["198.18.0.2:5000"]"#),
    )
    .unwrap();
    c.exec_ok(&["kill", "-HUP", &pid.to_string()]).unwrap();
    wait_insecure(&c, &["198.18.0.2:5000"]);
    t.lap("SIGHUP, change seen");
    assert_eq!(c.docker_pid().unwrap(), pid, "SIGHUP must keep the pid");
    assert!(c.exec(&["kill", "-0", &pid.to_string()]).status.success());
    assert!(
        c.engine_log()
            .contains("Got signal to reload configuration")
    );

    let took = c.shutdown().expect("clean poweroff");
    t.lap(&format!(
        "poweroff ({:.2}s) and cleanup",
        took.as_secs_f64()
    ));
    drop(c);
    traces.assert_gone();
}

/// What `systemctl` does with files dockerd refuses, which dockcfg's apply step must handle:
/// - reload answers 0 and dockerd keeps its old settings; only the journal says why;
/// - restart answers 1, systemd retries (Restart=on-failure) and stops at StartLimitBurst=3 with the unit
///   `failed`; a start or restart after fixing the file still fails until `systemctl reset-failed docker`;
/// - /etc/default/docker's DOCKER_OPTS reach dockerd's command line (EnvironmentFile + $DOCKER_OPTS).
#[test]
fn systemd_facts() {
    let Some(tree) = Tree::systemd() else { return };
    let mut t = Timer::start("systemd-facts");
    let c = Container::boot(
        &tree,
        BootOpts::new().file(
            "/etc/default/docker",
            "DOCKER_OPTS=\"--insecure-registry=10.0.0.1:5000\"\n",
        ),
    )
    .expect("boot");
    t.lap("boot with DOCKER_OPTS seeded");
    let main_pid = c.docker_pid().unwrap();
    let cmdline = c
        .read_file(&format!("/proc/{main_pid}/cmdline"))
        .unwrap()
        .replace('\0', " ");
    assert_eq!(
        cmdline.trim(),
        "/usr/sbin/dockerd -H fd:// --containerd=/run/containerd/containerd.sock \
         --insecure-registry=10.0.0.1:5000"
    );
    assert_eq!(
        c.systemctl_show("docker", "EnvironmentFiles").unwrap(),
        "/etc/default/docker (ignore_errors=yes)"
    );
    wait_insecure(&c, &["10.0.0.1:5000"]);

    // Reload with broken JSON: exit 0, same engine, old settings, the reason only in the journal.
    c.write_file("/etc/docker/daemon.json", "{\"bridge\": \"none\",,}\n")
        .unwrap();
    let reload = c.exec(&["systemctl", "reload", "docker"]);
    assert!(reload.status.success(), "{}", text(&reload));
    let line = "unable to configure the Docker daemon with file /etc/docker/daemon.json: \
                invalid character ',' looking for beginning of object key string";
    let seen = support::wait_until(WAIT, Duration::from_millis(20), || {
        c.journal("docker").contains(line).then_some(())
    });
    assert!(seen.is_some(), "{}", c.journal("docker"));
    assert_eq!(c.docker_pid().unwrap(), main_pid);
    wait_insecure(&c, &["10.0.0.1:5000"]);
    t.lap("reload with broken JSON: exit 0, old settings");

    // Restart with a key set both by DOCKER_OPTS and the file: exit 1, then start-limit-hit.
    c.write_file(
        "/etc/docker/daemon.json",
        &daemon_json(r#""insecure-registries": ["10.0.0.2:5000"]"#),
    )
    .unwrap();
    let restart = c.exec(&["systemctl", "restart", "docker"]);
    assert_eq!(restart.status.code(), Some(1), "{}", text(&restart));
    assert!(
        text(&restart).contains(
            "Job for docker.service failed because the control process exited with error code."
        ),
        "{}",
        text(&restart)
    );
    let failed = support::wait_until(WAIT, Duration::from_millis(50), || {
        (c.systemctl_show("docker", "ActiveState").ok()? == "failed").then_some(())
    });
    assert!(failed.is_some(), "docker.service did not end up failed");
    let journal = c.journal("docker");
    for want in [
        "unable to configure the Docker daemon with file /etc/docker/daemon.json: the following directives \
         are specified both as a flag and in the configuration file: insecure-registries: \
         (from flag: [10.0.0.1:5000], from file: [10.0.0.2:5000])",
        "docker.service: Main process exited, code=exited, status=1/FAILURE",
        "docker.service: Start request repeated too quickly.",
    ] {
        assert!(journal.contains(want), "journal lacks {want:?}:\n{journal}");
    }
    assert_eq!(c.systemctl_show("docker", "NRestarts").unwrap(), "2");
    assert_eq!(
        c.exec_ok(&["systemctl", "is-active", "docker.socket"]).ok(),
        None
    );
    t.lap("restart refused: exit 1, failed after 3 tries");

    // Good file back: still refused until reset-failed.
    c.write_file("/etc/docker/daemon.json", &daemon_json(""))
        .unwrap();
    let again = c.exec(&["systemctl", "restart", "docker"]);
    assert_eq!(again.status.code(), Some(1), "{}", text(&again));
    assert!(
        c.journal("docker")
            .ends_with("Failed to start docker.service - Docker Application Container Engine.\n")
    );
    c.exec_ok(&["systemctl", "reset-failed", "docker"]).unwrap();
    c.exec_ok(&["systemctl", "restart", "docker"]).unwrap();
    c.wait_docker(WAIT).unwrap();
    assert_ne!(c.docker_pid().unwrap(), main_pid);
    assert_eq!(
        c.exec_ok(&["systemctl", "is-active", "docker", "docker.socket"])
            .unwrap(),
        "active\nactive"
    );
    t.lap("reset-failed + restart: active again");
}

/// A seeded daemon.json dockerd refuses: with `no_docker_wait` the container still boots, docker.service
/// ends `failed` (systemd `degraded`) and its journal says why.
#[test]
fn systemd_boots_with_a_refused_config() {
    let Some(tree) = Tree::systemd() else { return };
    let mut t = Timer::start("refused-config");
    let c = Container::boot(
        &tree,
        BootOpts::new()
            .file("/etc/docker/daemon.json", "{\"bridge\": \"none\",,}\n")
            .no_docker_wait(),
    )
    .expect("boot");
    t.lap("boot");
    // Boot can end while docker.service is still in its auto-restart loop; it fails a moment later.
    let failed = support::wait_until(WAIT, Duration::from_millis(50), || {
        (c.systemctl_show("docker", "ActiveState").ok()? == "failed").then_some(())
    });
    assert!(failed.is_some(), "docker.service did not end up failed");
    let state = c.exec(&["systemctl", "is-system-running"]);
    assert_eq!(
        (state.status.code(), text(&state).trim()),
        (Some(1), "degraded")
    );
    assert!(!c.docker_ping());
    assert!(
        c.journal("docker").contains(
            "unable to configure the Docker daemon with file /etc/docker/daemon.json: \
             invalid character ',' looking for beginning of object key string"
        ),
        "{}",
        c.journal("docker")
    );
}

/// What OpenRC (docker.io's LSB script) does when dockerd refuses its config: `restart` answers 0 and prints
/// success, dockerd dies a moment later; only `status` (exit 1: dead, pidfile left) or the log tell.
#[test]
fn openrc_facts() {
    let Some(tree) = Tree::openrc() else { return };
    let mut t = Timer::start("openrc-facts");
    let c = Container::boot(&tree, BootOpts::new()).expect("boot");
    t.lap("boot");
    let pid = c.docker_pid().unwrap();
    c.write_file("/etc/docker/daemon.json", "{\"bridge\": \"none\",,}\n")
        .unwrap();
    let restart = c.exec(&["rc-service", "docker", "restart"]);
    assert!(restart.status.success(), "{}", text(&restart));
    assert!(
        text(&restart).contains("Stopping Docker: docker.\nStarting Docker: docker."),
        "{}",
        text(&restart)
    );
    let dead = support::wait_until(WAIT, Duration::from_millis(50), || {
        let s = c.exec(&["rc-service", "docker", "status"]);
        (s.status.code() == Some(1)).then(|| text(&s))
    });
    assert_eq!(
        dead.as_deref().map(str::trim),
        Some("Docker is not running ... failed!")
    );
    assert!(
        c.engine_log().contains(
            "unable to configure the Docker daemon with file /etc/docker/daemon.json: \
             invalid character ',' looking for beginning of object key string"
        ),
        "{}",
        c.engine_log()
    );
    let stale = c.docker_pid().unwrap();
    assert_ne!(stale, pid, "the pidfile names the dead new dockerd");
    assert!(!c.exec(&["kill", "-0", &stale.to_string()]).status.success());
    assert!(!c.docker_ping());
    t.lap("restart with broken JSON: exit 0, dockerd dead");

    c.write_file("/etc/docker/daemon.json", &daemon_json(""))
        .unwrap();
    let restart = c.exec(&["rc-service", "docker", "restart"]);
    assert!(restart.status.success(), "{}", text(&restart));
    // The old pid is dead, so the script skips `stop`.
    assert!(!text(&restart).contains("Stopping"), "{}", text(&restart));
    c.wait_docker(WAIT).unwrap();
    t.lap("good file back, restart: docker answers");
}

/// Two containers at once: their own names, cgroups and engines.
#[test]
fn parallel_boots_do_not_share_anything() {
    let Some(tree) = Tree::systemd() else { return };
    let mut t = Timer::start("parallel");
    let other = std::thread::spawn({
        let tree = tree.clone();
        move || {
            let c = Container::boot(&tree, BootOpts::new()).expect("boot b");
            let out = (
                c.name().to_string(),
                c.cgroups().to_vec(),
                c.docker_info().is_ok(),
            );
            drop(c);
            out
        }
    });
    let a = Container::boot(&tree, BootOpts::new()).expect("boot a");
    let (b_name, b_cgroups, b_ok) = other.join().expect("thread b");
    t.lap("two boots");
    assert!(b_ok && a.docker_info().is_ok());
    assert_ne!(a.name(), b_name);
    assert!(a.cgroups().iter().all(|c| !b_cgroups.contains(c)));
    assert!(
        a.cgroups()
            .iter()
            .all(|c| c.to_string_lossy().contains(a.name()))
    );
}

/// A test that panics with a container up (and a docker container running in it) leaves nothing.
#[test]
fn cleanup_on_panic() {
    let Some(tree) = Tree::systemd() else { return };
    let (tx, rx) = std::sync::mpsc::channel();
    let joined = std::thread::spawn(move || {
        let c = Container::boot(&tree, BootOpts::new()).expect("boot");
        c.exec_ok(&["sh", "-c", "tar -C /opt/tiny -c . | docker import - tiny:1"])
            .expect("import");
        c.exec_ok(&[
            "docker",
            "run",
            "-d",
            "--network",
            "none",
            "tiny:1",
            "/bin/busybox",
            "sleep",
            "600",
        ])
        .expect("run");
        let _ = tx.send(Traces::of(&c));
        panic!("deliberate panic with a container booted");
    })
    .join();
    assert!(joined.is_err());
    rx.recv().expect("traces").assert_gone();
}

const HOLDER_ENV: &str = "DOCKCFG_NSPAWN_HOLDER";

/// Not a test on its own: [`cleanup_after_sigkill`] runs it in a child process that boots a container,
/// prints its traces and waits to be killed.
#[test]
#[ignore = "helper process for cleanup_after_sigkill"]
fn holder_killed_without_unwinding() {
    let Ok(which) = std::env::var(HOLDER_ENV) else {
        return;
    };
    let init = if which == "openrc" {
        Init::OpenRc
    } else {
        Init::Systemd
    };
    let tree = Tree::find(init).expect("tree");
    let c = Container::boot(&tree, BootOpts::new()).expect("boot");
    let cgroups: Vec<String> = c
        .cgroups()
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    println!(
        "HOLDING name={} nspawn={} pid1={} cgroups={}",
        c.name(),
        c.nspawn_pid(),
        c.pid1(),
        cgroups.join(",")
    );
    std::thread::sleep(Duration::from_secs(60));
}

/// A test process SIGKILLed with a container up: the next boot's sweep removes all it left, for both trees
/// (nspawn gets SIGTERM from PR_SET_PDEATHSIG and starts a poweroff; the sweep does not wait for it).
#[test]
fn cleanup_after_sigkill() {
    use std::io::BufRead;
    support::require!("systemd-nspawn", "nsenter");
    for init in [Init::Systemd, Init::OpenRc] {
        if Tree::require(init).is_none() {
            return;
        }
        let mut t = Timer::start(&format!("sigkill-{}", init.tree_name()));
        let mut child = Command::new(std::env::current_exe().expect("test binary"))
            .args([
                "--exact",
                "holder_killed_without_unwinding",
                "--ignored",
                "--nocapture",
            ])
            .env(HOLDER_ENV, init.tree_name())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("spawn the holder");
        let stdout = child.stdout.take().expect("stdout");
        let line = std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .find_map(|l| l.split_once("HOLDING ").map(|(_, r)| r.to_string()))
            .expect("the holder reports its container");
        t.lap("holder booted");
        child.kill().expect("SIGKILL the holder");
        child.wait().expect("reap");
        let mut traces = Traces {
            name: String::new(),
            pids: Vec::new(),
            cgroups: Vec::new(),
        };
        for word in line.split_whitespace() {
            match word.split_once('=') {
                Some(("name", v)) => traces.name = v.to_string(),
                Some(("nspawn" | "pid1", v)) => {
                    traces.pids.extend(v.parse().ok().and_then(ProcessId::of))
                }
                Some(("cgroups", v)) => traces.cgroups = v.split(',').map(PathBuf::from).collect(),
                _ => {}
            }
        }
        assert!(
            !traces.name.is_empty() && !traces.cgroups.is_empty(),
            "{line}"
        );
        support::nspawn::sweep_stale();
        t.lap("killed + swept");
        traces.assert_gone();
    }
}

#[test]
fn parses_proc_stat_comm_and_ppid() {
    use support::nspawn::parse_comm_ppid;
    let cases = [
        ("42 (systemd) S 7 42 42 0 -1", Some(("systemd", 7))),
        ("43 (systemd-nspawn) S 1 43 43", Some(("systemd-nspawn", 1))),
        ("44 (a (b) c) R 9 1", Some(("a (b) c", 9))),
        ("45 (x) S", None),
        ("", None),
    ];
    for (stat, want) in cases {
        let got = parse_comm_ppid(stat);
        assert_eq!(
            got.as_ref().map(|(c, p)| (c.as_str(), *p)),
            want,
            "{stat:?}"
        );
    }
}

#[test]
fn maps_proc_cgroup_to_host_folders() {
    use support::nspawn::{CgroupDir, cgroup_dirs};
    let mountinfo = "\
30 25 0:26 / /sys/fs/cgroup ro,nosuid - tmpfs tmpfs ro,mode=755
31 30 0:27 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw
32 30 0:28 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,xattr,name=systemd
33 30 0:29 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct
34 30 0:30 /sub /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory";
    let proc_cgroup = "\
9:name=systemd:/
4:memory:/sub/process_api/abc
2:cpu,cpuacct:/x
1:blkio:/y
0::/init.scope";
    let d = |m: &str, p: &str| CgroupDir {
        mount: PathBuf::from(m),
        dir: PathBuf::from(p),
    };
    assert_eq!(
        cgroup_dirs(proc_cgroup, mountinfo),
        vec![
            d("/sys/fs/cgroup/systemd", "/sys/fs/cgroup/systemd"),
            d(
                "/sys/fs/cgroup/memory",
                "/sys/fs/cgroup/memory/process_api/abc"
            ),
            d("/sys/fs/cgroup/cpu,cpuacct", "/sys/fs/cgroup/cpu,cpuacct/x"),
            d(
                "/sys/fs/cgroup/unified",
                "/sys/fs/cgroup/unified/init.scope"
            ),
        ],
        "blkio is not mounted, so it is left out"
    );
}

//! Platform matrix, OpenRC, REAL evidence: a Debian 12 tree with sysvinit as PID 1 and OpenRC as rc,
//! running docker.io 20.10's LSB script /etc/init.d/docker (`.ci/build-trees`), booted fresh per
//! test in systemd-nspawn (tests/support/nspawn.rs). The `dockcfg` binary built by cargo runs
//! INSIDE the container with no `--pidfile`, `-H` or `--restart-cmd`: detection finds OpenRC, the
//! script (which has no `reload` action), /etc/default/docker, the pidfile start-stop-daemon
//! writes (/var/run/docker-ssd.pid) and the log file by itself.
//!
//! What each test proves:
//! - `add_insecure_signals_the_pid_from_the_pidfile`: no reload action, so dockcfg sends SIGHUP to
//!   the pid in the pidfile; the engine reports the entry, the pid is unchanged.
//! - `docker_opts_edit_restarts_with_rc_service`: an edit in /etc/default/docker (DOCKER_OPTS) needs
//!   a start: `rc-service docker restart`, a new pid, the engine reports both entries.
//! - `restart_that_exits_0_while_dockerd_dies_is_rolled_back`: `rc-service docker restart` answers
//!   0 although dockerd refuses the file and dies; dockcfg sees it from the engine and the pidfile
//!   (not the exit code), puts the file back, restarts: the engine runs with the old settings,
//!   exit 1, /var/log/docker.log's lines shown.
//!
//! Needs root, systemd-nspawn, nsenter and the trees; skipped otherwise, failed under CI.

mod support;

use support::Timer;
use support::nspawn::{BootOpts, Container, OPENRC_DOCKER_PIDFILE, Tree};
use support::platform::{cmdline, dockcfg, registries, wait_insecure};

const DAEMON_JSON: &str = "/etc/docker/daemon.json";

fn boot(tree: &Tree, opts: BootOpts) -> Container {
    Container::boot(tree, opts.dockcfg()).expect("boot the openrc tree")
}

#[test]
fn add_insecure_signals_the_pid_from_the_pidfile() {
    let Some(tree) = Tree::openrc() else { return };
    let mut t = Timer::start("openrc-sighup");
    let c = boot(&tree, BootOpts::new());
    t.lap("boot");
    let pid = c.docker_pid().unwrap();

    let status = dockcfg(&c, &["status", "--json"]).expect_code(0).json();
    let d = &status["detected"];
    assert_eq!(d["install"], "openrc", "{status:#}");
    assert_eq!(
        d["service"]["reload"],
        serde_json::json!({"kind": "signal", "signal": "SIGHUP", "pid": pid}),
        "{status:#}"
    );
    assert_eq!(
        d["service"]["restart"],
        serde_json::json!(["rc-service", "docker", "restart"]),
        "{status:#}"
    );
    assert_eq!(d["service"]["pidfile"], OPENRC_DOCKER_PIDFILE, "{status:#}");

    dockcfg(&c, &["add-insecure", "198.18.0.2:5000"])
        .expect_code(0)
        .expect_stderr(&[
            "wrote /etc/docker/daemon.json",
            &format!(
                "reloaded dockerd (pid {pid}) with SIGHUP; the engine reports 198.18.0.2:5000 as \
                 insecure after"
            ),
        ]);
    t.lap("dockcfg add-insecure (SIGHUP)");
    wait_insecure(&c, &["198.18.0.2:5000"]);
    assert_eq!(c.docker_pid().unwrap(), pid, "SIGHUP keeps the pid");
    assert!(
        c.engine_log().contains(
            "Got signal to reload configuration, reloading from: /etc/docker/daemon.json"
        )
    );
}

#[test]
fn docker_opts_edit_restarts_with_rc_service() {
    let Some(tree) = Tree::openrc() else { return };
    let mut t = Timer::start("openrc-restart");
    let c = boot(
        &tree,
        BootOpts::new().file(
            "/etc/default/docker",
            "DOCKER_OPTS=\"--insecure-registry=10.0.0.1:5000\"\n",
        ),
    );
    t.lap("boot with DOCKER_OPTS");
    wait_insecure(&c, &["10.0.0.1:5000"]);
    let pid = c.docker_pid().unwrap();
    let run = dockcfg(&c, &["add-insecure", "10.0.0.2:5000"]);
    run.expect_code(0)
        .expect_stdout(&[
            "--- /etc/default/docker",
            "+DOCKER_OPTS=\"--insecure-registry=10.0.0.1:5000 --insecure-registry=10.0.0.2:5000\"",
        ])
        .expect_stderr(&[
            "restarting docker with `rc-service docker restart` (dockerd's command-line flags \
             changed",
            &format!("restarted docker (pid {pid} -> "),
            "reports 10.0.0.2:5000 as insecure",
        ]);
    t.lap("dockcfg add-insecure into DOCKER_OPTS (rc-service restart)");
    wait_insecure(&c, &["10.0.0.1:5000", "10.0.0.2:5000"]);
    let pid2 = c.docker_pid().unwrap();
    assert_ne!(pid2, pid);
    assert!(
        run.stderr
            .contains(&format!("restarted docker (pid {pid} -> {pid2})")),
        "{}",
        run.all()
    );
    assert!(
        cmdline(&c, pid2)
            .contains("--insecure-registry=10.0.0.1:5000 --insecure-registry=10.0.0.2:5000"),
        "{}",
        cmdline(&c, pid2)
    );
}

#[test]
fn restart_that_exits_0_while_dockerd_dies_is_rolled_back() {
    let Some(tree) = Tree::openrc() else { return };
    let mut t = Timer::start("openrc-rollback");
    let c = boot(&tree, BootOpts::new());
    t.lap("boot");
    let pid = c.docker_pid().unwrap();
    let before = c.read_file(DAEMON_JSON).unwrap();
    // Told the engine is 26.1, validation accepts a mirror with a path; the real 20.10 refuses
    // it when it starts, after the script has already said "Starting Docker: docker." and 0.
    let started = std::time::Instant::now();
    let run = dockcfg(
        &c,
        &[
            "--engine",
            "26.1",
            "mirror",
            "add",
            "http://10.0.0.9:5000/v2-mirror",
            "--restart",
            "--timeout",
            "20",
        ],
    );
    run.expect_code(1).expect_stderr(&[
        "wrote /etc/docker/daemon.json",
        "restarting docker with `rc-service docker restart` (--restart was given)",
        "the engine did not come back healthy within 20 s after the restart: dockerd (pid ",
        ") exited",
        "the engine's log (/var/log/docker.log) says:",
        "invalid mirror: path, query, or fragment at end of the URI",
        "put /etc/docker/daemon.json back as it was",
        "restarting docker with `rc-service docker restart` and the previous file",
        "the engine is running again (pid ",
        "with its previous settings",
        "error: the engine did not start with the change, so it was rolled back",
    ]);
    t.lap("restart exit 0 + dockerd died -> rollback + restart");
    // Decided by the engine and the pidfile a second after dockerd died, not by the 20 s timeout.
    let took = started.elapsed();
    assert!(took.as_secs() < 12, "{took:?}");
    assert_eq!(c.read_file(DAEMON_JSON).unwrap(), before);
    let pid2 = c.docker_pid().unwrap();
    assert_ne!(pid2, pid);
    assert!(
        run.stderr.contains(&format!(
            "the engine is running again (pid {pid2}) with its previous settings"
        )),
        "{}",
        run.all()
    );
    let status = c.exec(&["rc-service", "docker", "status"]);
    assert!(status.status.success(), "rc-service docker status");
    assert_eq!(registries(&c), (vec![], vec![]));
}

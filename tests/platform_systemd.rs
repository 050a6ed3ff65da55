//! Platform matrix, systemd, REAL evidence: a Debian 12 tree with systemd as PID 1 managing Debian's
//! docker.io 20.10 (`.ci/build-trees`), booted fresh per test in systemd-nspawn
//! (tests/support/nspawn.rs). The `dockcfg` binary built by cargo runs INSIDE the container with no
//! `--pidfile`, `-H` or `--restart-cmd`: detection finds the unit, its drop-ins, /etc/default/docker,
//! the running dockerd and the reload/restart/reset commands by itself.
//!
//! What each test proves:
//! - `add_insecure_reloads_with_systemctl`: `add-insecure` -> `systemctl reload docker`; the engine
//!   reports the entry, MainPID unchanged, a container started before still runs.
//! - `non_reloadable_changes_restart_with_systemctl`: an edit that lands in /etc/default/docker (the
//!   flag lives there; the unit reads it as $DOCKER_OPTS) and `apply --restart` after a hand edit
//!   -> `systemctl restart docker`, new MainPID, the engine reports the settings.
//! - `validation_stops_a_drop_in_conflict_then_migrate_resolves_it`: a drop-in ExecStart sets
//!   `--insecure-registry`; `add-insecure` is refused before any write or restart (exit 1, MainPID
//!   and start time unchanged, daemon.json unchanged); `migrate` strips the flag from the drop-in,
//!   runs `systemctl daemon-reload` and restarts: the engine starts clean; undo goes back.
//! - `validation_stops_hosts_against_fd`: `hosts` in daemon.json vs `-H fd://` in the unit: any
//!   edit is refused, no restart.
//! - `engine_refusal_is_rolled_back_with_reset_failed`: a mirror with a path passes validation
//!   for `--engine 26.1` but the real 20.10 refuses it at start: restart fails, the file is put
//!   back, `systemctl reset-failed docker`, restart, engine active with the old file, exit 1, the
//!   journal lines shown.
//! - `migrate_overrides_a_packaged_unit_with_a_drop_in`: the flag is in
//!   /lib/systemd/system/docker.service itself: migrate leaves it alone and writes a drop-in.
//! - `debian_docker_opts_conflict_then_migrate`: DOCKER_OPTS in /etc/default/docker and
//!   `insecure-registries` in daemon.json: status/validate/edit report the conflict, migrate
//!   resolves it, the engine restarts clean.
//!
//! Needs root, systemd-nspawn, nsenter and the trees (`.ci/build-trees`); skipped otherwise, failed
//! under CI. `cargo test --test platform_systemd -- --nocapture` shows every run and the timings.

mod support;

use support::Timer;
use support::nspawn::{BootOpts, Container, Tree};
use support::platform::{
    cmdline, container_state, daemon_json, dockcfg, registries, start_sleeper, wait_insecure,
};

const DAEMON_JSON: &str = "/etc/docker/daemon.json";
const DROPIN: &str = "/etc/systemd/system/docker.service.d/registry.conf";

fn boot(tree: &Tree, opts: BootOpts) -> Container {
    Container::boot(tree, opts.dockcfg()).expect("boot the systemd tree")
}

/// MainPID and the monotonic start time of docker.service: both stay the same when no restart
/// happened.
fn main_pid_and_start(c: &Container) -> (u32, String) {
    (
        c.docker_pid().expect("docker MainPID"),
        c.systemctl_show("docker", "ExecMainStartTimestampMonotonic")
            .expect("start time"),
    )
}

#[test]
fn add_insecure_reloads_with_systemctl() {
    let Some(tree) = Tree::systemd() else { return };
    let mut t = Timer::start("systemd-reload");
    let c = boot(&tree, BootOpts::new());
    t.lap("boot");
    let (id, before) = start_sleeper(&c);
    let pid = main_pid_and_start(&c);

    let status = dockcfg(&c, &["status", "--json"]).expect_code(0).json();
    let d = &status["detected"];
    assert_eq!(d["install"], "systemd", "{status:#}");
    assert_eq!(d["config_file"], DAEMON_JSON);
    assert_eq!(
        d["service"]["reload"]["command"],
        serde_json::json!(["systemctl", "reload", "docker"]),
        "{status:#}"
    );
    assert_eq!(status["engine"]["pid"], pid.0, "{status:#}");
    assert_eq!(status["engine"]["containers_running"], 1);

    let run = dockcfg(&c, &["add-insecure", "198.18.0.2:5000"]);
    run.expect_code(0)
        .expect_stdout(&[
            "--- /etc/docker/daemon.json",
            r#""insecure-registries":["198.18.0.2:5000"]"#,
        ])
        .expect_stderr(&[
            "wrote /etc/docker/daemon.json",
            "reloaded docker with `systemctl reload docker`; the engine reports 198.18.0.2:5000 \
             as insecure after",
            "no container was stopped",
        ]);
    t.lap("dockcfg add-insecure (reload)");
    wait_insecure(&c, &["198.18.0.2:5000"]);
    assert_eq!(main_pid_and_start(&c), pid, "a reload keeps MainPID");
    assert_eq!(
        container_state(&c, &id),
        before,
        "the container kept running"
    );
    assert!(before.ends_with(" true"), "{before}");
    assert!(
        c.journal("docker").contains(
            "Got signal to reload configuration, reloading from: /etc/docker/daemon.json"
        )
    );

    // And back: rm with reload ("[]" keeps the engine in step).
    dockcfg(&c, &["rm-insecure", "198.18.0.2:5000"])
        .expect_code(0)
        .expect_stderr(&["reloaded docker with `systemctl reload docker`"]);
    wait_insecure(&c, &[]);
    assert_eq!(main_pid_and_start(&c), pid);
    t.lap("dockcfg rm-insecure (reload)");
}

#[test]
fn non_reloadable_changes_restart_with_systemctl() {
    let Some(tree) = Tree::systemd() else { return };
    let mut t = Timer::start("systemd-restart");
    let c = boot(
        &tree,
        BootOpts::new().file(
            "/etc/default/docker",
            "# Docker Upstart and SysVinit configuration file\nDOCKER_OPTS=\"--insecure-registry=10.0.0.1:5000\"\n",
        ),
    );
    t.lap("boot with DOCKER_OPTS");
    wait_insecure(&c, &["10.0.0.1:5000"]);
    let (pid, _) = main_pid_and_start(&c);

    // The flag lives in /etc/default/docker, so the edit goes there; only a start reads it.
    let run = dockcfg(&c, &["add-insecure", "10.0.0.2:5000"]);
    run.expect_code(0)
        .expect_stdout(&[
            "--- /etc/default/docker",
            "+DOCKER_OPTS=\"--insecure-registry=10.0.0.1:5000 --insecure-registry=10.0.0.2:5000\"",
        ])
        .expect_stderr(&[
            "wrote /etc/default/docker",
            "restarting docker with `systemctl restart docker` (dockerd's command-line flags \
             changed, and dockerd reads them only when it starts)",
            "restarted docker; the engine answered after",
            "reports 10.0.0.2:5000 as insecure; no running container was stopped",
        ]);
    t.lap("dockcfg add-insecure into DOCKER_OPTS (restart)");
    wait_insecure(&c, &["10.0.0.1:5000", "10.0.0.2:5000"]);
    let (pid2, _) = main_pid_and_start(&c);
    assert_ne!(pid2, pid, "a restart gives a new MainPID");
    assert!(
        cmdline(&c, pid2)
            .ends_with("--insecure-registry=10.0.0.1:5000 --insecure-registry=10.0.0.2:5000"),
        "{}",
        cmdline(&c, pid2)
    );

    // A hand edit (a mirror in daemon.json), then `apply --restart`.
    c.write_file(
        DAEMON_JSON,
        &daemon_json(r#""registry-mirrors": ["http://10.0.0.3:5000"]"#),
    )
    .unwrap();
    dockcfg(&c, &["status"])
        .expect_code(0)
        .expect_stdout(&["not in the engine: http://10.0.0.3:5000"]);
    dockcfg(&c, &["apply", "--restart"])
        .expect_code(0)
        .expect_stderr(&[
            "restarting docker with `systemctl restart docker` (--restart was given)",
            "restarted docker; the engine answered after",
            "uses mirror http://10.0.0.3:5000",
        ]);
    t.lap("hand edit + dockcfg apply --restart");
    let (pid3, _) = main_pid_and_start(&c);
    assert_ne!(pid3, pid2);
    assert_eq!(registries(&c).1, ["http://10.0.0.3:5000"]);
}

#[test]
fn validation_stops_a_drop_in_conflict_then_migrate_resolves_it() {
    let Some(tree) = Tree::systemd() else { return };
    let mut t = Timer::start("systemd-dropin");
    // What `systemctl edit docker` leaves when a user adds the flag there.
    let dropin = "[Service]\nExecStart=\nExecStart=/usr/sbin/dockerd -H fd:// \\\n    --containerd=/run/containerd/containerd.sock \\\n    --insecure-registry=10.0.0.1:5000 \\\n    $DOCKER_OPTS\n";
    let c = boot(&tree, BootOpts::new().file(DROPIN, dropin));
    t.lap("boot with a drop-in");
    wait_insecure(&c, &["10.0.0.1:5000"]);
    let pid = main_pid_and_start(&c);
    let json_before = c.read_file(DAEMON_JSON).unwrap();

    let status = dockcfg(&c, &["status", "--json"]).expect_code(0).json();
    let sources = status["detected"]["flag_sources"].to_string();
    assert!(
        sources.contains(DROPIN) && sources.contains("10.0.0.1:5000"),
        "{status:#}"
    );

    let run = dockcfg(&c, &["add-insecure", "10.0.0.2:5000"]);
    run.expect_code(1).expect_stderr(&[
        "/etc/docker/daemon.json (after this edit):",
        &format!(
            "error: \"insecure-registries\" is also set as --insecure-registry in the ExecStart \
             of the drop-in {DROPIN}: dockerd refuses to start when a setting is given both as a \
             flag and in daemon.json"
        ),
        "this edit would make /etc/docker/daemon.json invalid for Docker Engine 20.10; nothing was written",
    ]);
    assert!(!run.stderr.contains("restart"), "{}", run.all());
    assert_eq!(c.read_file(DAEMON_JSON).unwrap(), json_before);
    assert_eq!(main_pid_and_start(&c), pid, "no restart happened");
    t.lap("edit refused by validation");

    let run = dockcfg(&c, &["migrate"]);
    run.expect_code(0)
        .expect_stdout(&[
            "--- /etc/docker/daemon.json",
            r#"+{"bridge":"none","iptables":false,"ip6tables":false,"insecure-registries":["10.0.0.1:5000"]}"#,
            &format!("--- {DROPIN}"),
            "-    --insecure-registry=10.0.0.1:5000 \\",
        ])
        .expect_stderr(&[
            &format!("wrote /etc/docker/daemon.json, {DROPIN}"),
            "restarting docker with `systemctl restart docker`",
            "restarted docker; the engine answered after",
        ]);
    t.lap("dockcfg migrate (daemon-reload + restart)");
    assert_eq!(
        c.read_file(DROPIN).unwrap(),
        "[Service]\nExecStart=\nExecStart=/usr/sbin/dockerd -H fd:// \\\n    --containerd=/run/containerd/containerd.sock \\\n    $DOCKER_OPTS\n",
        "only the flag's line left the drop-in"
    );
    wait_insecure(&c, &["10.0.0.1:5000"]);
    let (pid2, _) = main_pid_and_start(&c);
    assert_ne!(pid2, pid.0);
    assert_eq!(
        cmdline(&c, pid2),
        "/usr/sbin/dockerd -H fd:// --containerd=/run/containerd/containerd.sock",
        "systemd re-read the drop-in (daemon-reload) before the restart"
    );
    assert_eq!(
        c.systemctl_show("docker", "NeedDaemonReload").unwrap(),
        "no"
    );
    assert!(!c.journal("docker").contains("specified both as a flag"));

    // The undo the output names, step by step: daemon.json back (a restart: the setting is
    // nowhere now), the drop-in back, systemd re-reads it, a checked restart takes the flag.
    let note = run
        .stderr
        .lines()
        .find_map(|l| l.strip_prefix("note: to undo the migration: "))
        .expect("migrate names its undo")
        .to_string();
    assert_eq!(
        note,
        format!(
            "dockcfg -f {DAEMON_JSON} undo && dockcfg -f {DROPIN} undo && systemctl daemon-reload \
             && dockcfg apply --restart"
        )
    );
    for step in note.split(" && ") {
        let argv: Vec<&str> = step.split(' ').collect();
        let out = c.exec(&argv);
        eprintln!(
            "$ {step}\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.status.success(), "{step} failed");
    }
    assert_eq!(c.read_file(DROPIN).unwrap(), dropin);
    assert_eq!(c.read_file(DAEMON_JSON).unwrap(), json_before);
    wait_insecure(&c, &["10.0.0.1:5000"]);
    let (pid3, _) = main_pid_and_start(&c);
    assert_ne!(pid3, pid2, "the undo restarted the engine");
    assert!(cmdline(&c, pid3).contains("--insecure-registry=10.0.0.1:5000"));
    t.lap("the undo steps migrate printed");
    dockcfg(&c, &["migrate"]).expect_code(0);
    let (pid2, _) = main_pid_and_start(&c);
    wait_insecure(&c, &["10.0.0.1:5000"]);

    // Now the same edit works, with a reload.
    dockcfg(&c, &["add-insecure", "10.0.0.2:5000"])
        .expect_code(0)
        .expect_stderr(&["reloaded docker with `systemctl reload docker`"]);
    wait_insecure(&c, &["10.0.0.1:5000", "10.0.0.2:5000"]);
    assert_eq!(main_pid_and_start(&c).0, pid2);
    t.lap("edit after migrate (reload)");
}

#[test]
fn validation_stops_hosts_against_fd() {
    let Some(tree) = Tree::systemd() else { return };
    let mut t = Timer::start("systemd-hosts");
    let c = boot(&tree, BootOpts::new());
    t.lap("boot");
    let pid = main_pid_and_start(&c);
    // A hand edit the running engine has not read: dockerd would refuse it with -H fd://.
    let bad = daemon_json(r#""hosts": ["unix:///run/docker.sock"]"#);
    c.write_file(DAEMON_JSON, &bad).unwrap();
    let run = dockcfg(&c, &["add-insecure", "10.0.0.2:5000"]);
    run.expect_code(1).expect_stderr(&[
        "error: \"hosts\" is also set as -H in the ExecStart of /lib/systemd/system/docker.service",
        "already has a problem that makes dockerd 20.10 refuse it",
    ]);
    let run = dockcfg(&c, &["validate"]);
    run.expect_code(1)
        .expect_stderr(&["error: \"hosts\" is also set as -H"]);
    assert_eq!(c.read_file(DAEMON_JSON).unwrap(), bad);
    assert_eq!(main_pid_and_start(&c), pid, "no restart happened");
    assert!(c.docker_ping());
    t.lap("refused twice, engine untouched");
}

#[test]
fn engine_refusal_is_rolled_back_with_reset_failed() {
    let Some(tree) = Tree::systemd() else { return };
    let mut t = Timer::start("systemd-rollback");
    let c = boot(&tree, BootOpts::new());
    t.lap("boot");
    let (pid, _) = main_pid_and_start(&c);
    let json_before = c.read_file(DAEMON_JSON).unwrap();

    // Told the engine is 26.1, dockcfg's validation accepts a mirror with a path; the real
    // 20.10 refuses it when it starts.
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
        "restarting docker with `systemctl restart docker` (--restart was given)",
        "the engine did not come back healthy within 20 s after the restart: `systemctl restart \
         docker` failed (exit 1)",
        "the engine's log (journalctl -u docker) says:",
        "invalid mirror: path, query, or fragment at end of the URI",
        "put /etc/docker/daemon.json back as it was",
        "cleared the service's failed state: `systemctl reset-failed docker`",
        "restarting docker with `systemctl restart docker` and the previous file",
        "the engine is running again with its previous settings",
        "error: the engine did not start with the change, so it was rolled back",
    ]);
    t.lap("refused start, rollback, reset-failed, restart");
    assert_eq!(c.read_file(DAEMON_JSON).unwrap(), json_before);
    assert_eq!(
        c.exec_ok(&["systemctl", "is-active", "docker"]).unwrap(),
        "active"
    );
    let (pid2, _) = main_pid_and_start(&c);
    assert_ne!(pid2, pid);
    assert_eq!(registries(&c), (vec![], vec![]));
}

#[test]
fn migrate_overrides_a_packaged_unit_with_a_drop_in() {
    let Some(tree) = Tree::systemd() else { return };
    let mut t = Timer::start("systemd-packaged");
    let unit_path = "/lib/systemd/system/docker.service";
    let unit = std::fs::read_to_string(tree.path().join(unit_path.trim_start_matches('/')))
        .expect("the tree's docker.service");
    let packaged_exec = "ExecStart=/usr/sbin/dockerd -H fd:// --containerd=/run/containerd/containerd.sock $DOCKER_OPTS";
    assert!(unit.contains(packaged_exec), "{unit}");
    // As if the package itself (or a careless admin) put the flag in the packaged unit.
    let unit = unit.replace(
        packaged_exec,
        "ExecStart=/usr/sbin/dockerd -H fd:// --insecure-registry 10.0.0.1:5000 --containerd=/run/containerd/containerd.sock $DOCKER_OPTS",
    );
    // /lib links to usr/lib in Debian 12: the seed goes to the real folder.
    let c = boot(
        &tree,
        BootOpts::new().file("/usr/lib/systemd/system/docker.service", unit.clone()),
    );
    t.lap("boot with the flag in the packaged unit");
    wait_insecure(&c, &["10.0.0.1:5000"]);

    let dropin = "/etc/systemd/system/docker.service.d/dockcfg-migrate.conf";
    dockcfg(&c, &["migrate"])
        .expect_code(0)
        .expect_stderr(&[
            &format!(
                "note: {unit_path} belongs to its package and is not edited: {dropin} overrides \
                 its ExecStart without the registry flags"
            ),
            "restarted docker; the engine answered after",
        ])
        .expect_stdout(&["--- /dev/null", &format!("+++ {dropin}")]);
    t.lap("dockcfg migrate (new drop-in, daemon-reload, restart)");
    assert_eq!(
        c.read_file(unit_path).unwrap(),
        unit,
        "the packaged unit is untouched"
    );
    let written = c.read_file(dropin).unwrap();
    assert!(
        written.ends_with(
            "[Service]\nExecStart=\nExecStart=/usr/sbin/dockerd -H fd:// --containerd=/run/containerd/containerd.sock $DOCKER_OPTS\n"
        ),
        "{written}"
    );
    wait_insecure(&c, &["10.0.0.1:5000"]);
    let pid = c.docker_pid().unwrap();
    assert_eq!(
        cmdline(&c, pid),
        "/usr/sbin/dockerd -H fd:// --containerd=/run/containerd/containerd.sock"
    );
    assert!(
        c.read_file(DAEMON_JSON)
            .unwrap()
            .contains(r#""insecure-registries":["10.0.0.1:5000"]"#)
    );
}

#[test]
fn debian_docker_opts_conflict_then_migrate() {
    let Some(tree) = Tree::systemd() else { return };
    let mut t = Timer::start("systemd-docker-opts");
    let c = boot(
        &tree,
        BootOpts::new().file(
            "/etc/default/docker",
            "# Docker Upstart and SysVinit configuration file\nDOCKER_OPTS=\"--insecure-registry=10.0.0.1:5000 --debug\"\n",
        ),
    );
    t.lap("boot with DOCKER_OPTS");
    wait_insecure(&c, &["10.0.0.1:5000"]);
    let pid = main_pid_and_start(&c);
    // A hand edit the engine has not read yet: dockerd would refuse to start with it.
    let conflicting = daemon_json(r#""insecure-registries": ["10.0.0.3:5000"]"#);
    c.write_file(DAEMON_JSON, &conflicting).unwrap();

    dockcfg(&c, &["status"]).expect_code(0).expect_stderr(&[
        "--insecure-registry is given in /etc/default/docker and /etc/docker/daemon.json sets \
         insecure-registries: dockerd refuses to start with both",
    ]);
    dockcfg(&c, &["validate"]).expect_code(1).expect_stderr(&[
        "error: \"insecure-registries\" is also set as --insecure-registry in /etc/default/docker",
    ]);
    let run = dockcfg(&c, &["mirror", "add", "http://10.0.0.4:5000"]);
    run.expect_code(1).expect_stderr(&[
        "error: \"insecure-registries\" is also set as --insecure-registry in /etc/default/docker",
        "already has a problem that makes dockerd 20.10 refuse it",
    ]);
    assert_eq!(c.read_file(DAEMON_JSON).unwrap(), conflicting);
    assert_eq!(main_pid_and_start(&c), pid, "no restart happened");
    t.lap("status, validate and edit see the conflict");

    dockcfg(&c, &["migrate"])
        .expect_code(0)
        .expect_stdout(&[
            "--- /etc/default/docker",
            "+DOCKER_OPTS=\"--debug\"",
            "\"10.0.0.1:5000\"",
        ])
        .expect_stderr(&["restarted docker; the engine answered after"]);
    t.lap("dockcfg migrate (restart)");
    wait_insecure(&c, &["10.0.0.1:5000", "10.0.0.3:5000"]);
    let pid2 = c.docker_pid().unwrap();
    assert_ne!(pid2, pid.0);
    assert_eq!(
        cmdline(&c, pid2),
        "/usr/sbin/dockerd -H fd:// --containerd=/run/containerd/containerd.sock --debug"
    );
    dockcfg(&c, &["validate"]).expect_code(0);
    let status = dockcfg(&c, &["status", "--json"]).expect_code(0).json();
    assert_eq!(status["conflicts"], serde_json::json!([]), "{status:#}");
    assert_eq!(status["in_sync"], true, "{status:#}");
}

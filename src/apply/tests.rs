//! Tests of the apply decision and of its execution against a simulated machine: a fake engine
//! whose settings follow what a reload or restart makes it read, a [`Recorder`] that records
//! every command and signal, and a fake clock (timeouts cost no time).

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::io;

use super::*;
use crate::engine::{EngineErrorKind, IndexInfo, Info};
use crate::runner::{CmdOutput, Recorder};

// ---------------------------------------------------------------------------------------------
// A simulated machine

fn rc(insecure: &[&str], mirrors: &[&str]) -> RegistryConfig {
    let mut index = BTreeMap::new();
    index.insert(
        "docker.io".to_string(),
        IndexInfo {
            name: "docker.io".into(),
            mirrors: mirrors.iter().map(|m| m.to_string()).collect(),
            secure: true,
            official: true,
        },
    );
    let mut cidrs = vec!["127.0.0.0/8".to_string()];
    for i in insecure {
        if i.contains('/') {
            cidrs.push(i.to_string());
        } else {
            index.insert(
                i.to_string(),
                IndexInfo {
                    name: i.to_string(),
                    ..IndexInfo::default()
                },
            );
        }
    }
    RegistryConfig {
        insecure_cidrs: cidrs,
        index_configs: index,
        mirrors: mirrors.iter().map(|m| format!("{m}/")).collect(),
    }
}

struct Sim {
    up: bool,
    pid: u32,
    view: RegistryConfig,
    /// What the daemon makes of the file now: `None` = it refuses it.
    file: Option<RegistryConfig>,
    /// The restart command's exit code (systemd says 1 when the start fails).
    restart_fails_loudly: bool,
    /// The log file's content.
    log: String,
}

struct World {
    rec: Recorder,
    sim: RefCell<Sim>,
    clock: Cell<Duration>,
    base: Instant,
}

const LOG: &str = "/var/log/docker.log";
const PIDFILE: &str = "/var/run/docker-ssd.pid";
const REFUSED: &str = "time=\"2026-01-01T00:00:00\" level=error msg=\"failed to start daemon: \
    unable to configure the Docker daemon with file /etc/docker/daemon.json: the following \
    directives are specified both as a flag and in the configuration file: insecure-registries\"";

impl World {
    fn new(view: RegistryConfig, file: Option<RegistryConfig>) -> World {
        World {
            rec: Recorder::new(),
            sim: RefCell::new(Sim {
                up: true,
                pid: 812,
                view,
                file,
                restart_fails_loudly: false,
                log: "level=info msg=\"Daemon has completed initialization\"\n".into(),
            }),
            clock: Cell::new(Duration::ZERO),
            base: Instant::now(),
        }
    }
    fn down() -> World {
        let w = World::new(rc(&[], &[]), Some(rc(&[], &[])));
        w.sim.borrow_mut().up = false;
        w
    }
    fn lines(&self) -> Vec<String> {
        self.rec.command_lines()
    }
    fn reload(&self) {
        let mut s = self.sim.borrow_mut();
        match s.file.clone() {
            Some(cfg) => s.view = cfg,
            None => s
                .log
                .push_str("level=error msg=\"Error reloading configuration\"\n"),
        }
    }
    fn restart(&self) -> bool {
        let mut s = self.sim.borrow_mut();
        s.pid += 100;
        match s.file.clone() {
            Some(cfg) => {
                s.up = true;
                s.view = cfg;
                true
            }
            None => {
                s.up = false;
                s.log.push_str(REFUSED);
                s.log.push('\n');
                false
            }
        }
    }
}

impl Runner for World {
    fn run(&self, cmd: &CommandSpec, t: Duration) -> io::Result<CmdOutput> {
        let out = self.rec.run(cmd, t)?;
        let argv: Vec<&str> = cmd.argv.iter().map(String::as_str).collect();
        let ok = CmdOutput {
            code: Some(0),
            ..CmdOutput::default()
        };
        if argv.first() == Some(&"journalctl") {
            return Ok(CmdOutput {
                stdout: format!("{REFUSED}\n"),
                ..ok
            });
        }
        if argv.contains(&"reload") {
            self.reload();
            return Ok(ok);
        }
        if argv
            .iter()
            .any(|a| a.contains("restart") || a.contains("Restart"))
            && !argv.contains(&"reset-failed")
        {
            let started = self.restart();
            if !started && self.sim.borrow().restart_fails_loudly {
                return Ok(CmdOutput {
                    code: Some(1),
                    stderr: "Job for docker.service failed because the control process exited with error code.\n".into(),
                    ..CmdOutput::default()
                });
            }
            return Ok(ok);
        }
        Ok(out)
    }
    fn signal(&self, pid: u32, sig: Sig) -> io::Result<()> {
        self.rec.signal(pid, sig)?;
        let s = self.sim.borrow();
        if pid != s.pid || !s.up {
            return Err(io::Error::from_raw_os_error(3));
        }
        drop(s);
        if sig == Sig::Hup {
            self.reload();
        }
        Ok(())
    }
}

impl Engine for World {
    fn endpoint(&self) -> String {
        "unix:///var/run/docker.sock".into()
    }
    fn ping(&self) -> Result<(), EngineError> {
        self.info().map(|_| ())
    }
    fn info(&self) -> Result<Info, EngineError> {
        let s = self.sim.borrow();
        if !s.up {
            return Err(EngineError {
                kind: EngineErrorKind::Down,
                message: "connecting to unix:///var/run/docker.sock: No such file or directory"
                    .into(),
            });
        }
        Ok(Info {
            server_version: "20.10.24".into(),
            registry: s.view.clone(),
            ..Info::default()
        })
    }
    fn running_containers(&self) -> Result<usize, EngineError> {
        Ok(0)
    }
}

impl Io for World {
    fn now(&self) -> Instant {
        self.base + self.clock.get()
    }
    fn unix_time(&self) -> u64 {
        1_700_000_000 + self.clock.get().as_secs()
    }
    fn sleep(&self, d: Duration) {
        self.clock.set(self.clock.get() + d);
    }
    fn file_len(&self, path: &Path) -> Option<u64> {
        self.read_from(path, 0).map(|b| b.len() as u64)
    }
    fn read_from(&self, path: &Path, offset: u64) -> Option<Vec<u8>> {
        let s = self.sim.borrow();
        let all = match path.to_str()? {
            LOG => s.log.clone().into_bytes(),
            PIDFILE => format!("{}\n", s.pid).into_bytes(),
            _ => return None,
        };
        all.get(usize::try_from(offset).ok()?..).map(<[u8]>::to_vec)
    }
}

// ---------------------------------------------------------------------------------------------
// Services as detection describes them, per install type

fn cmd(s: &str) -> CommandSpec {
    CommandSpec::new(s.split(' '))
}

fn systemd() -> Service {
    Service {
        reload: Reload::Command(cmd("systemctl reload docker")),
        restart: Some(cmd("systemctl restart docker")),
        reset: Some(cmd("systemctl reset-failed docker")),
        logs: LogSource::Journal {
            unit: "docker".into(),
            user: false,
        },
        manual_steps: None,
        pidfile: None,
    }
}

fn rootless() -> Service {
    Service {
        reload: Reload::Command(cmd("systemctl --user reload docker")),
        restart: Some(cmd("systemctl --user restart docker")),
        reset: Some(cmd("systemctl --user reset-failed docker")),
        logs: LogSource::Journal {
            unit: "docker".into(),
            user: true,
        },
        manual_steps: None,
        pidfile: None,
    }
}

fn sysvinit() -> Service {
    Service {
        reload: Reload::Signal { pid: 812 },
        restart: Some(cmd("service docker restart")),
        reset: None,
        logs: LogSource::File(PathBuf::from(LOG)),
        manual_steps: None,
        pidfile: None,
    }
}

fn openrc() -> Service {
    Service {
        restart: Some(cmd("rc-service docker restart")),
        ..sysvinit()
    }
}

fn upstart() -> Service {
    Service {
        reload: Reload::Signal { pid: 812 },
        restart: Some(cmd("service docker restart")),
        reset: None,
        logs: LogSource::File(PathBuf::from("/var/log/upstart/docker.log")),
        manual_steps: None,
        pidfile: None,
    }
}

fn snap() -> Service {
    Service {
        reload: Reload::Unsupported,
        restart: Some(cmd("snap restart docker")),
        reset: None,
        logs: LogSource::Journal {
            unit: "snap.docker.dockerd".into(),
            user: false,
        },
        manual_steps: None,
        pidfile: None,
    }
}

fn desktop_old() -> Service {
    Service {
        reload: Reload::Unsupported,
        restart: None,
        reset: None,
        logs: LogSource::Unknown,
        manual_steps: Some("open Docker Desktop and choose Restart in its menu".into()),
        pidfile: None,
    }
}

fn desktop_new() -> Service {
    Service {
        restart: Some(cmd("docker desktop restart")),
        ..desktop_old()
    }
}

fn windows_server() -> Service {
    Service {
        reload: Reload::WindowsEvent { pid: 812 },
        restart: Some(cmd("powershell -NoProfile -Command Restart-Service docker")),
        reset: None,
        logs: LogSource::Unknown,
        manual_steps: None,
        pidfile: None,
    }
}

fn unmanaged() -> Service {
    Service {
        reload: Reload::Signal { pid: 812 },
        restart: None,
        reset: None,
        logs: LogSource::Unknown,
        manual_steps: None,
        pidfile: None,
    }
}

fn up(view: RegistryConfig, containers: usize, live_restore: bool) -> EngineState {
    EngineState::Up {
        version: "20.10.24".into(),
        live_restore,
        containers,
        registry: view_of(&view),
    }
}

fn exp(insecure: &[&str], mirrors: Option<&[&str]>) -> Expected {
    Expected {
        insecure: Some(insecure.iter().map(|s| s.to_string()).collect()),
        mirrors: mirrors.map(|m| m.iter().map(|s| s.to_string()).collect()),
    }
}

fn registry_change() -> Change {
    Change {
        keys: vec!["insecure-registries".into()],
        ..Change::default()
    }
}

// ---------------------------------------------------------------------------------------------
// Pure parts

#[test]
fn changes_of_daemon_json_and_opts_files() {
    let j = |a: Option<&str>, b: Option<&str>| {
        let c = daemon_json_change(a, b);
        let why = c.restart_reason();
        (c.keys, c.removed, why)
    };
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    assert_eq!(
        j(Some("{}"), Some(r#"{"insecure-registries": ["a:5000"]}"#)),
        (s(&["insecure-registries"]), vec![], None)
    );
    assert_eq!(
        j(
            None,
            Some(r#"{"registry-mirrors": ["https://m"], "debug": true}"#)
        ),
        (s(&["debug", "registry-mirrors"]), vec![], None)
    );
    // Formatting only: nothing changed.
    assert_eq!(
        j(Some("{\"debug\":true}"), Some("{\n  \"debug\": true\n}\n")),
        (vec![], vec![], None)
    );
    // Unicode spaces around the object (read by 23.0+, kept by an edit): only the list changed.
    assert_eq!(
        j(
            Some("{\"debug\": true}\u{b}\n"),
            Some("{\"debug\": true, \"insecure-registries\": [\"a:5000\"]}\u{b}\n")
        ),
        (s(&["insecure-registries"]), vec![], None)
    );
    let (keys, removed, why) = j(
        Some(r#"{"insecure-registries": ["a:5000"], "data-root": "/d"}"#),
        Some(r#"{"data-root": "/e"}"#),
    );
    assert_eq!(
        (keys, removed),
        (
            s(&["data-root", "insecure-registries"]),
            s(&["insecure-registries"])
        )
    );
    assert_eq!(
        why.as_deref(),
        Some(
            "insecure-registries was removed from the file, and a reload keeps a missing key's old value"
        )
    );
    let (_, _, why) = j(
        Some("{}"),
        Some(r#"{"storage-driver": "vfs", "debug": true}"#),
    );
    assert_eq!(
        why.as_deref(),
        Some("storage-driver changed, and dockerd reads it only when it starts")
    );
    // The same list in another order is a change (mirror priority).
    let (keys, _, why) = j(
        Some(r#"{"registry-mirrors": ["https://a", "https://b"]}"#),
        Some(r#"{"registry-mirrors": ["https://b", "https://a"]}"#),
    );
    assert_eq!((keys, why), (s(&["registry-mirrors"]), None));

    let o = |a: &str, b: &str| opts_change(Some(a), Some(b)).flags;
    assert!(o(
        "DOCKER_OPTS=\"\"",
        "DOCKER_OPTS=\"--insecure-registry a:5000\""
    ));
    assert!(!o(
        "DOCKER_OPTS=\"--debug\"",
        "# comment\nDOCKER_OPTS='--debug'\n"
    ));
    assert!(opts_change(None, Some("DOCKER_OPTS=\"--debug\"")).flags);
}

#[test]
fn expected_lists_follow_what_the_file_sets() {
    let s = |v: &[&str]| Some(v.iter().map(|x| x.to_string()).collect::<Vec<_>>());
    let j = FileKind::DaemonJson;
    let o = FileKind::OptsFile;
    let cases: &[(FileKind, Option<&str>, Option<&str>, Expected)] = &[
        (
            j,
            None,
            Some(r#"{"insecure-registries": ["a:5000"]}"#),
            Expected {
                insecure: s(&["a:5000"]),
                mirrors: None,
            },
        ),
        (
            j,
            Some(r#"{"insecure-registries": ["a:5000"]}"#),
            Some(r#"{"insecure-registries": []}"#),
            Expected {
                insecure: s(&[]),
                mirrors: None,
            },
        ),
        (
            j,
            Some(r#"{"registry-mirrors": ["https://m"]}"#),
            Some(r#"{}"#),
            Expected {
                insecure: None,
                mirrors: s(&[]),
            },
        ),
        (
            j,
            Some(r#"{"registry-mirrors": null}"#),
            Some(r#"{"registry-mirrors": null}"#),
            Expected {
                insecure: None,
                mirrors: s(&[]),
            },
        ),
        (
            o,
            Some("DOCKER_OPTS=\"--insecure-registry a:5000 --debug\""),
            Some("DOCKER_OPTS=\"--debug\""),
            Expected {
                insecure: s(&[]),
                mirrors: None,
            },
        ),
        (
            o,
            None,
            Some("DOCKER_OPTS=\"--registry-mirror=https://m --registry-mirror https://n\""),
            Expected {
                insecure: None,
                mirrors: s(&["https://m", "https://n"]),
            },
        ),
    ];
    for (kind, old, new, want) in cases {
        assert_eq!(&expected(*kind, *old, *new), want, "{old:?} -> {new:?}");
    }
}

#[test]
fn engine_views_compare_with_files() {
    // 20.10: [] lists; 26.1: null lists and ::1/128; mirrors with a trailing slash.
    let v = view_of(&rc(
        &["198.18.0.2:5000", "10.0.0.0/8"],
        &["http://198.18.0.1:5000"],
    ));
    assert_eq!(v.insecure, ["10.0.0.0/8", "198.18.0.2:5000"]);
    assert_eq!(v.mirrors, ["http://198.18.0.1:5000"]);
    let mut with_v6 = rc(&[], &[]);
    with_v6.insecure_cidrs.insert(0, "::1/128".into());
    assert_eq!(view_of(&with_v6), RegistryView::default());

    let cases: &[(Expected, bool)] = &[
        (exp(&["198.18.0.2:5000", "10.1.2.3/8"], None), true),
        (
            exp(
                &["http://198.18.0.2:5000", "10.0.0.0/8", "127.0.0.0/8"],
                None,
            ),
            true,
        ),
        (exp(&["198.18.0.2:5000"], None), false),
        (
            exp(
                &["198.18.0.2:5000", "10.0.0.0/8"],
                Some(&["http://198.18.0.1:5000/"]),
            ),
            true,
        ),
        (
            exp(
                &["198.18.0.2:5000", "10.0.0.0/8"],
                Some(&["HTTP://198.18.0.1:5000"]),
            ),
            true,
        ),
        (exp(&["198.18.0.2:5000", "10.0.0.0/8"], Some(&[])), false),
        (Expected::default(), true),
    ];
    for (e, want) in cases {
        assert_eq!(matches(&v, e), *want, "{e:?}");
    }
    let two = view_of(&rc(&[], &["https://a", "https://b"]));
    let d = drift(
        &two,
        &exp(&[], Some(&["https://b", "https://a"])),
        RegistryKey::Mirrors,
    )
    .expect("mirrors set");
    assert!(d.order && d.missing.is_empty() && d.extra.is_empty());
    assert_eq!(
        describe(&two, &exp(&[], Some(&["https://b", "https://a"]))),
        "uses the mirrors in the order https://b, https://a"
    );
    assert_eq!(
        describe(&RegistryView::default(), &exp(&["198.18.0.2:5000"], None)),
        "reports 198.18.0.2:5000 as insecure"
    );
    assert_eq!(
        describe(&v, &exp(&["10.0.0.0/8"], Some(&[]))),
        "no longer treats 198.18.0.2:5000 as insecure and no longer uses mirror http://198.18.0.1:5000"
    );
}

#[test]
fn the_plan_for_each_situation() {
    let before = rc(&[], &[]);
    let e = exp(&["198.18.0.2:5000"], None);
    let none = Change::default();
    let flags = Change {
        flags: true,
        ..Change::default()
    };
    let restart = |c: &str, why: &str, stops| Plan::Restart {
        command: cmd(c),
        why: why.into(),
        stops,
    };
    let flag_why =
        "dockerd's command-line flags changed, and dockerd reads them only when it starts";
    #[allow(clippy::type_complexity)]
    let cases: Vec<(&str, Change, Service, EngineState, bool, Plan)> = vec![
        (
            "not running",
            registry_change(),
            systemd(),
            EngineState::Down,
            false,
            Plan::NotRunning,
        ),
        (
            "systemd reload",
            registry_change(),
            systemd(),
            up(before.clone(), 3, false),
            false,
            Plan::Reload(Reload::Command(cmd("systemctl reload docker"))),
        ),
        (
            "rootless reload",
            registry_change(),
            rootless(),
            up(before.clone(), 0, false),
            false,
            Plan::Reload(Reload::Command(cmd("systemctl --user reload docker"))),
        ),
        (
            "sysvinit SIGHUP",
            registry_change(),
            sysvinit(),
            up(before.clone(), 3, false),
            false,
            Plan::Reload(Reload::Signal { pid: 812 }),
        ),
        (
            "openrc SIGHUP",
            registry_change(),
            openrc(),
            up(before.clone(), 0, false),
            false,
            Plan::Reload(Reload::Signal { pid: 812 }),
        ),
        (
            "upstart SIGHUP",
            registry_change(),
            upstart(),
            up(before.clone(), 0, false),
            false,
            Plan::Reload(Reload::Signal { pid: 812 }),
        ),
        (
            "snap cannot reload",
            registry_change(),
            snap(),
            up(before.clone(), 2, false),
            false,
            restart("snap restart docker", "this engine cannot be reloaded", 2),
        ),
        (
            "windows event unsupported here",
            registry_change(),
            windows_server(),
            up(before.clone(), 0, false),
            false,
            restart(
                "powershell -NoProfile -Command Restart-Service docker",
                "this engine cannot be reloaded",
                0,
            ),
        ),
        (
            "flags need a restart, containers stop",
            flags.clone(),
            sysvinit(),
            up(before.clone(), 3, false),
            false,
            restart("service docker restart", flag_why, 3),
        ),
        (
            "live-restore keeps containers",
            flags.clone(),
            openrc(),
            up(before.clone(), 3, true),
            false,
            restart("rc-service docker restart", flag_why, 0),
        ),
        (
            "--restart",
            registry_change(),
            systemd(),
            up(before.clone(), 1, false),
            true,
            restart("systemctl restart docker", "--restart was given", 1),
        ),
        (
            "desktop 4.37+",
            flags.clone(),
            desktop_new(),
            up(before.clone(), 0, false),
            false,
            restart("docker desktop restart", flag_why, 0),
        ),
        (
            "old desktop: manual",
            registry_change(),
            desktop_old(),
            up(before.clone(), 0, false),
            false,
            Plan::Manual {
                why: "this engine cannot be reloaded".into(),
                steps: "open Docker Desktop and choose Restart in its menu".into(),
            },
        ),
        (
            "unchanged and in the engine",
            none.clone(),
            systemd(),
            up(rc(&["198.18.0.2:5000"], &[]), 0, false),
            false,
            Plan::Nothing,
        ),
        (
            "unchanged file, engine drifted: reload",
            none.clone(),
            systemd(),
            up(before.clone(), 0, false),
            false,
            Plan::Reload(Reload::Command(cmd("systemctl reload docker"))),
        ),
        (
            "apply re-reads even when the settings match",
            Change {
                reread: true,
                ..Change::default()
            },
            sysvinit(),
            up(rc(&["198.18.0.2:5000"], &[]), 0, false),
            false,
            Plan::Reload(Reload::Signal { pid: 812 }),
        ),
    ];
    for (name, change, service, engine, force, want) in cases {
        let got = plan(&PlanInput {
            change: &change,
            service: &service,
            engine: &engine,
            expected: &e,
            force_restart: force,
            daemon_pid: Some(812),
        });
        assert_eq!(got, want, "{name}");
    }
    let got = plan(&PlanInput {
        change: &flags,
        service: &unmanaged(),
        engine: &up(before.clone(), 0, false),
        expected: &e,
        force_restart: false,
        daemon_pid: Some(812),
    });
    let Plan::Impossible(why) = got else {
        panic!("unmanaged restart must be refused: {got:?}")
    };
    assert!(
        why.contains("dockerd (pid 812) is not run by a service manager dockcfg knows")
            && why.contains("nothing was written")
            && why.contains("--no-apply"),
        "{why}"
    );
    let no_pid = Service {
        reload: Reload::Unsupported,
        ..unmanaged()
    };
    let got = plan(&PlanInput {
        change: &registry_change(),
        service: &no_pid,
        engine: &up(before, 0, false),
        expected: &e,
        force_restart: false,
        daemon_pid: None,
    });
    assert!(
        matches!(&got, Plan::Impossible(w) if w.contains("give its pidfile with --pidfile")),
        "{got:?}"
    );
}

#[test]
fn log_lines_prefer_errors() {
    let lines: Vec<String> = [
        "level=info msg=\"Starting up\"",
        "level=warning msg=\"x\"",
        "failed to start daemon: the following directives are specified both as a flag and in the configuration file",
        "level=info msg=\"done\"",
        "level=info msg=\"stopping event stream following graceful shutdown\" error=\"<nil>\"",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    assert_eq!(pick_log_lines(&lines, 5), [lines[2].clone()]);
    let calm: Vec<String> = (0..20).map(|i| format!("line {i}")).collect();
    assert_eq!(pick_log_lines(&calm, 3), ["line 17", "line 18", "line 19"]);
    assert!(pick_log_lines(&[], 3).is_empty());
    assert_eq!(
        journal_command("docker", true, 1_700_000_000)
            .argv
            .join(" "),
        "journalctl --user -u docker --since=@1700000000 --no-pager -o cat -n 200"
    );
}

// ---------------------------------------------------------------------------------------------
// Execution, with the exact commands recorded

struct Run {
    outcome: Outcome,
    said: Vec<String>,
    rollbacks: usize,
}

/// Plan and execute against `world`; the rollback makes the simulated file the old one again.
fn run(world: &World, service: &Service, change: Change, e: &Expected, force: bool) -> Run {
    let info = world.info().ok();
    let before = info
        .as_ref()
        .map(|i| view_of(&i.registry))
        .unwrap_or_default();
    let state = match &info {
        Some(i) => up(i.registry.clone(), 2, false),
        None => EngineState::Down,
    };
    let pid = Some(world.sim.borrow().pid);
    let p = plan(&PlanInput {
        change: &change,
        service,
        engine: &state,
        expected: e,
        force_restart: force,
        daemon_pid: pid,
    });
    let old_file = info.map(|i| i.registry);
    let rollbacks = Cell::new(0);
    let mut rollback = || {
        rollbacks.set(rollbacks.get() + 1);
        world.sim.borrow_mut().file = old_file.clone();
        Ok("put /etc/docker/daemon.json back as it was".to_string())
    };
    let mut said = Vec::new();
    let pidfile = PathBuf::from(PIDFILE);
    let job = Job {
        plan: &p,
        service,
        expected: e,
        before: &before,
        timeout: Duration::from_secs(30),
        pidfile: matches!(service.logs, LogSource::File(_)).then_some(pidfile.as_path()),
        daemon_pid: pid,
        before_restart: &[],
        written: true,
    };
    let fx = Effects {
        runner: world,
        engine: world,
        io: world,
    };
    let outcome = execute(&job, &fx, &mut rollback, &mut |l: &str| {
        said.push(l.to_string())
    });
    Run {
        outcome,
        said,
        rollbacks: rollbacks.get(),
    }
}

const ADDR: &str = "198.18.0.2:5000";

fn good_world() -> World {
    World::new(rc(&[], &[]), Some(rc(&[ADDR], &[])))
}

fn refusing_world() -> World {
    World::new(rc(&[], &[]), None)
}

#[test]
fn systemd_reload_verified() {
    let w = good_world();
    let r = run(
        &w,
        &systemd(),
        registry_change(),
        &exp(&[ADDR], None),
        false,
    );
    assert_eq!(w.lines(), ["systemctl reload docker"]);
    assert_eq!(
        (r.outcome.method, r.outcome.verified, r.outcome.rolled_back),
        (Method::Reload, true, false)
    );
    assert_eq!(
        r.said,
        [
            "reloaded docker with `systemctl reload docker`; the engine reports 198.18.0.2:5000 as insecure after 0 s; no container was stopped"
        ]
    );
}

#[test]
fn sighup_reload_for_sysvinit_openrc_upstart_and_hand_started() {
    for service in [sysvinit(), openrc(), upstart(), unmanaged()] {
        let w = good_world();
        let r = run(&w, &service, registry_change(), &exp(&[ADDR], None), false);
        assert_eq!(w.lines(), ["signal Hup 812"], "{service:?}");
        assert!(r.outcome.verified && r.outcome.failure.is_none());
        assert!(r.said[0].starts_with("reloaded dockerd (pid 812) with SIGHUP; the engine reports 198.18.0.2:5000 as insecure after"), "{:?}", r.said);
    }
}

#[test]
fn rootless_reload_uses_the_user_manager() {
    let w = good_world();
    let r = run(
        &w,
        &rootless(),
        registry_change(),
        &exp(&[ADDR], None),
        false,
    );
    assert_eq!(w.lines(), ["systemctl --user reload docker"]);
    assert!(r.outcome.verified);
}

#[test]
fn a_reload_the_engine_ignores_is_rolled_back() {
    let w = refusing_world();
    let r = run(
        &w,
        &sysvinit(),
        registry_change(),
        &exp(&[ADDR], None),
        false,
    );
    // SIGHUP, no change for 30 s (fake clock), file put back, SIGHUP again.
    assert_eq!(w.lines(), ["signal Hup 812", "signal Hup 812"]);
    assert_eq!(r.rollbacks, 1);
    let o = &r.outcome;
    assert_eq!(
        (o.method, o.verified, o.rolled_back),
        (Method::Reload, false, true)
    );
    assert!(o.seconds >= 30.0, "{}", o.seconds);
    assert_eq!(
        o.failure.as_deref(),
        Some("the engine did not take the change, so it was rolled back")
    );
    assert_eq!(
        r.said[0],
        "reloaded dockerd (pid 812) with SIGHUP, but the engine did not take the new settings within 30 s: it still reports no insecure registries, no mirrors (dockerd only logs a file it refuses on reload)"
    );
    assert_eq!(r.said[1], "the engine's log (/var/log/docker.log) says:");
    assert!(
        r.said[2].contains("Error reloading configuration"),
        "{:?}",
        r.said
    );
    assert_eq!(r.said[3], "put /etc/docker/daemon.json back as it was");
    assert_eq!(
        r.said[4],
        "reloaded again (dockerd (pid 812) with SIGHUP): the engine keeps its previous settings"
    );
}

#[test]
fn a_dead_pid_fails_the_reload_at_once() {
    let w = good_world();
    w.sim.borrow_mut().pid = 999;
    let r = run(
        &w,
        &sysvinit(),
        registry_change(),
        &exp(&[ADDR], None),
        false,
    );
    assert_eq!(w.lines(), ["signal Hup 812", "signal Hup 812"]);
    assert!(
        r.said[0].starts_with("could not send SIGHUP to dockerd (pid 812): "),
        "{:?}",
        r.said
    );
    assert!(r.outcome.rolled_back && r.outcome.failure.is_some());
    assert!(r.outcome.seconds < 1.0);
}

#[test]
fn systemd_restart_verified() {
    let w = good_world();
    let r = run(&w, &systemd(), registry_change(), &exp(&[ADDR], None), true);
    assert_eq!(w.lines(), ["systemctl restart docker"]);
    assert!(r.outcome.verified);
    assert_eq!(r.outcome.method, Method::Restart);
    assert_eq!(
        r.said[0],
        "restarting docker with `systemctl restart docker` (--restart was given)"
    );
    assert_eq!(
        r.said[1],
        "restarted docker; the engine answered after 0 s and reports 198.18.0.2:5000 as insecure; 2 containers were stopped"
    );
}

#[test]
fn systemd_restart_failure_resets_and_restarts_with_the_old_file() {
    let w = refusing_world();
    w.sim.borrow_mut().restart_fails_loudly = true;
    let r = run(&w, &systemd(), registry_change(), &exp(&[ADDR], None), true);
    assert_eq!(
        w.lines(),
        [
            "systemctl restart docker",
            "journalctl -u docker --since=@1699999999 --no-pager -o cat -n 200",
            "systemctl reset-failed docker",
            "systemctl restart docker",
        ]
    );
    let o = &r.outcome;
    assert_eq!((o.verified, o.rolled_back), (false, true));
    assert!(
        o.seconds < 1.0,
        "a failed systemctl restart needs no waiting: {}",
        o.seconds
    );
    assert_eq!(
        o.failure.as_deref(),
        Some("the engine did not start with the change, so it was rolled back")
    );
    assert!(r.said[1].starts_with("the engine did not come back healthy within 30 s after the restart: `systemctl restart docker` failed (exit 1): Job for docker.service failed"), "{:?}", r.said);
    assert_eq!(r.said[2], "the engine's log (journalctl -u docker) says:");
    assert!(r.said[3].contains("specified both as a flag and in the configuration file"));
    assert_eq!(o.log.len(), 1);
    assert_eq!(
        r.said.last().map(String::as_str),
        Some("the engine is running again with its previous settings after 0 s")
    );
}

#[test]
fn sysvinit_restart_that_says_done_but_dies_is_caught_by_the_pidfile() {
    let w = refusing_world();
    let r = run(
        &w,
        &sysvinit(),
        Change {
            flags: true,
            ..Change::default()
        },
        &exp(&[ADDR], None),
        false,
    );
    let lines = w.lines();
    assert_eq!(
        lines.first().map(String::as_str),
        Some("service docker restart")
    );
    assert_eq!(
        lines.last().map(String::as_str),
        Some("service docker restart")
    );
    let middle = &lines[1..lines.len() - 1];
    assert!(
        middle.len() > 2 && middle.iter().all(|l| l == "signal Probe 912"),
        "{lines:?}"
    );
    let o = &r.outcome;
    assert!(o.rolled_back && !o.verified);
    // Given up about a second after the daemon was seen gone, not after 30 s.
    assert!(o.seconds > 0.9 && o.seconds < 2.0, "{}", o.seconds);
    assert!(r.said.iter().any(|l| l == "the engine did not come back healthy within 30 s after the restart: dockerd (pid 912) exited"), "{:?}", r.said);
    assert!(
        r.said
            .iter()
            .any(|l| l.contains("specified both as a flag and in the configuration file"))
    );
    assert_eq!(
        r.said.last().map(String::as_str),
        Some("the engine is running again (pid 1012) with its previous settings after 0 s")
    );
}

#[test]
fn openrc_and_snap_and_desktop_restart_commands() {
    let flags = || Change {
        flags: true,
        ..Change::default()
    };
    for (service, line) in [
        (openrc(), "rc-service docker restart"),
        (snap(), "snap restart docker"),
        (desktop_new(), "docker desktop restart"),
        (
            windows_server(),
            "powershell -NoProfile -Command Restart-Service docker",
        ),
        (upstart(), "service docker restart"),
    ] {
        let w = good_world();
        let r = run(&w, &service, flags(), &exp(&[ADDR], None), false);
        assert_eq!(w.lines(), [line]);
        assert!(r.outcome.verified, "{line}: {:?}", r.said);
    }
    // Snap cannot reload: even a registry-only change restarts it.
    let w = good_world();
    run(&w, &snap(), registry_change(), &exp(&[ADDR], None), false);
    assert_eq!(w.lines(), ["snap restart docker"]);
}

#[test]
fn desktop_without_a_restart_command_gets_manual_steps() {
    let w = good_world();
    let r = run(
        &w,
        &desktop_old(),
        registry_change(),
        &exp(&[ADDR], None),
        false,
    );
    assert!(w.lines().is_empty());
    assert_eq!(r.outcome.method, Method::Manual);
    assert!(r.outcome.failure.is_none() && !r.outcome.verified);
    assert_eq!(
        r.said,
        [
            "the change needs a restart (this engine cannot be reloaded), which dockcfg cannot do here: open Docker Desktop and choose Restart in its menu"
        ]
    );
}

#[test]
fn nothing_runs_when_no_engine_answers() {
    let w = World::down();
    let r = run(
        &w,
        &systemd(),
        registry_change(),
        &exp(&[ADDR], None),
        false,
    );
    assert!(w.lines().is_empty());
    assert_eq!(r.outcome, Outcome::none());
    assert_eq!(
        r.said,
        [
            "no Docker engine answers on unix:///var/run/docker.sock: the change takes effect when dockerd starts"
        ]
    );
}

#[test]
fn daemon_reload_runs_before_each_restart() {
    let w = refusing_world();
    w.sim.borrow_mut().restart_fails_loudly = true;
    let service = systemd();
    let p = Plan::Restart {
        command: cmd("systemctl restart docker"),
        why: "flags".into(),
        stops: 0,
    };
    let e = exp(&[ADDR], None);
    let before = RegistryView::default();
    let pre = [cmd("systemctl daemon-reload")];
    let job = Job {
        plan: &p,
        service: &service,
        expected: &e,
        before: &before,
        timeout: Duration::from_secs(5),
        pidfile: None,
        daemon_pid: None,
        before_restart: &pre,
        written: true,
    };
    let fx = Effects {
        runner: &w,
        engine: &w,
        io: &w,
    };
    let mut rb = || {
        w.sim.borrow_mut().file = Some(rc(&[], &[]));
        Ok("put back".to_string())
    };
    let o = execute(&job, &fx, &mut rb, &mut |_| {});
    assert_eq!(
        w.lines(),
        [
            "systemctl daemon-reload",
            "systemctl restart docker",
            "journalctl -u docker --since=@1699999999 --no-pager -o cat -n 200",
            "systemctl reset-failed docker",
            "systemctl daemon-reload",
            "systemctl restart docker",
        ]
    );
    assert!(o.rolled_back);
}

#[test]
fn a_failed_rollback_says_so() {
    let w = refusing_world();
    let service = sysvinit();
    let p = Plan::Reload(Reload::Signal { pid: 812 });
    let e = exp(&[ADDR], None);
    let before = RegistryView::default();
    let job = Job {
        plan: &p,
        service: &service,
        expected: &e,
        before: &before,
        timeout: Duration::from_secs(2),
        pidfile: None,
        daemon_pid: Some(812),
        before_restart: &[],
        written: true,
    };
    let fx = Effects {
        runner: &w,
        engine: &w,
        io: &w,
    };
    let mut rb = || {
        Err(anyhow::anyhow!(
            "daemon.json was changed by another program"
        ))
    };
    let o = execute(&job, &fx, &mut rb, &mut |_| {});
    assert!(!o.rolled_back);
    let f = o.failure.expect("failed");
    assert!(
        f.contains("putting the file back failed too: daemon.json was changed by another program"),
        "{f}"
    );
    assert_eq!(w.lines(), ["signal Hup 812"]);
}

#[test]
fn log_files_are_read_from_the_mark_and_after_rotation() {
    let w = good_world();
    let mark = log_mark(&LogSource::File(PathBuf::from(LOG)), &w);
    w.sim.borrow_mut().log.push_str("level=error msg=\"new\"\n");
    let fx = Effects {
        runner: &w,
        engine: &w,
        io: &w,
    };
    assert_eq!(
        read_log(&mark, &fx),
        Some(vec!["level=error msg=\"new\"".to_string()])
    );
    w.sim.borrow_mut().log = "rotated\n".into();
    assert_eq!(read_log(&mark, &fx), Some(vec!["rotated".to_string()]));
}

#[test]
fn nothing_to_put_back_when_dockcfg_did_not_write() {
    let w = refusing_world();
    let service = sysvinit();
    let p = Plan::Reload(Reload::Signal { pid: 812 });
    let e = exp(&[ADDR], None);
    let before = RegistryView::default();
    let job = Job {
        plan: &p,
        service: &service,
        expected: &e,
        before: &before,
        timeout: Duration::from_secs(2),
        pidfile: None,
        daemon_pid: Some(812),
        before_restart: &[],
        written: false,
    };
    let fx = Effects {
        runner: &w,
        engine: &w,
        io: &w,
    };
    let mut rb = || -> anyhow::Result<String> { panic!("nothing was written: no rollback") };
    let o = execute(&job, &fx, &mut rb, &mut |_| {});
    assert!(!o.rolled_back);
    assert_eq!(
        o.failure.as_deref(),
        Some(
            "the engine did not take the file's settings (dockcfg did not change the file); it keeps its previous ones"
        )
    );
    assert_eq!(w.lines(), ["signal Hup 812"]);
}

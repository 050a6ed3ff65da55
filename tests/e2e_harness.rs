//! Proves the test harness (tests/support) and the real engine behaviour the dockcfg e2e tests rely on:
//! a registry in a network namespace is refused over HTTP until `insecure-registries` names it and dockerd
//! reloads (SIGHUP, same pid, containers keep running); a daemon with no route out pulls a Docker Hub name
//! through an `http://` mirror; and every handle cleans up after itself, also when a test panics.
//!
//! Needs root and the tools from .ci/install-engines; skipped otherwise, failed under CI. Run with
//! `cargo test --test e2e_harness -- --nocapture` to see the step timings.

mod support;

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use serde_json::Value;
use support::{Dockerd, DockerdOpts, Netns, Registry, Timer};

const RELOAD_WAIT: Duration = Duration::from_secs(10);

/// What a scenario leaves behind if cleanup failed: names and paths to look for after the handles drop.
struct Traces {
    netns: Vec<String>,
    host_ifs: Vec<String>,
    dirs: Vec<PathBuf>,
    pids: Vec<support::ProcessId>,
    cgroups: Vec<String>,
}

impl Traces {
    fn new() -> Self {
        Self {
            netns: vec![],
            host_ifs: vec![],
            dirs: vec![],
            pids: vec![],
            cgroups: vec![],
        }
    }

    fn netns(&mut self, ns: &Netns) {
        self.netns.push(ns.name().to_string());
        self.host_ifs.push(format!("{}/30", ns.host_ip()));
        self.pids
            .extend(ns.pids().into_iter().filter_map(support::ProcessId::of));
    }

    fn dockerd(&mut self, d: &Dockerd) {
        self.dirs.push(d.dir().to_path_buf());
        self.pids.extend(d.process_id());
        self.cgroups.push(d.cgroup_parent().to_string());
    }

    fn registry(&mut self, r: &Registry) {
        self.dirs.push(r.storage());
        self.pids.extend(support::ProcessId::of(r.pid()));
    }

    /// Panics naming whatever is still there.
    fn assert_gone(&self) {
        let netns = run("ip", &["netns", "list"]);
        let addrs = run("ip", &["-o", "-4", "addr", "show"]);
        let mounts = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
        let mut left = Vec::new();
        left.extend(
            self.netns
                .iter()
                .filter(|n| netns.contains(n.as_str()))
                .map(|n| format!("netns {n}")),
        );
        left.extend(
            self.host_ifs
                .iter()
                .filter(|a| addrs.contains(a.as_str()))
                .map(|a| format!("address {a}")),
        );
        left.extend(
            self.dirs
                .iter()
                .filter(|d| d.exists())
                .map(|d| format!("dir {}", d.display())),
        );
        for d in &self.dirs {
            let d = d.display().to_string();
            left.extend(
                mounts
                    .lines()
                    .filter(|l| l.contains(&d))
                    .map(|l| format!("mount {l}")),
            );
            left.extend(
                support::process::pids_with_cmdline_containing(&d)
                    .iter()
                    .map(|p| format!("pid {p} ({d})")),
            );
        }
        left.extend(
            self.pids
                .iter()
                .filter(|p| p.is_alive())
                .map(|p| format!("pid {}", p.pid)),
        );
        for c in &self.cgroups {
            left.extend(
                std::fs::read_dir("/sys/fs/cgroup")
                    .into_iter()
                    .flatten()
                    .filter_map(|e| e.ok())
                    .map(|e| e.path().join(c))
                    .filter(|p| p.exists())
                    .map(|p| format!("cgroup {}", p.display())),
            );
        }
        assert!(left.is_empty(), "left behind: {left:#?}");
    }
}

/// Where dockerd 26.1 is (or should be: a missing path makes the test skip, or fail under CI).
fn run(program: &str, args: &[&str]) -> String {
    let out = Command::new(program)
        .args(args)
        .output()
        .expect("run a system tool");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Scenario 1+2: push refused over HTTP, then allowed after editing the file and SIGHUP; same daemon
/// process, and a container started before the reload still runs.
fn insecure_registry_story(binary: PathBuf, label: &str) {
    let mut t = Timer::start(label);
    let mut traces = Traces::new();
    {
        let ns = Netns::create().expect("create netns");
        t.lap("netns");
        let reg = Registry::start(&ns, 5000).expect("start registry in netns");
        t.lap("registry up");
        let d = Dockerd::start(DockerdOpts::new().binary(&binary).config("{}\n"))
            .expect("start dockerd");
        t.lap("dockerd up");
        traces.netns(&ns);
        traces.registry(&reg);
        traces.dockerd(&d);
        let before = d.process_id().expect("dockerd alive");
        let version = d.info().expect("info")["ServerVersion"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        eprintln!(
            "{label}: dockerd {version}, pid {}, registry {}",
            d.pid(),
            reg.addr()
        );

        support::tiny_image(&d, "tiny:1").expect("import tiny image");
        t.lap("tiny image imported");
        let cid = d
            .docker_ok(&["run", "-d", "--network", "none", "tiny:1", "sleep", "1000"])
            .expect("containers must run in this sandbox");
        let cpid_before = d
            .docker_ok(&["inspect", "-f", "{{.State.Pid}}", &cid])
            .expect("inspect");
        t.lap("container started");

        let image = format!("{}/tiny:1", reg.addr());
        d.docker_ok(&["tag", "tiny:1", &image]).expect("tag");
        let refused = d.docker(&["push", &image]);
        assert!(
            !refused.status.success(),
            "push to an HTTP registry must fail before insecure-registries"
        );
        assert!(
            stderr(&refused).contains("server gave HTTP response to HTTPS client"),
            "unexpected push error: {}",
            stderr(&refused)
        );
        t.lap("push refused");

        let rc = d.registry_config().expect("registry config");
        assert!(
            rc["IndexConfigs"].get(reg.addr()).is_none(),
            "not insecure yet: {rc}"
        );
        d.write_config(&format!(
            "{{\"insecure-registries\": [\"{}\"]}}\n",
            reg.addr()
        ))
        .expect("write");
        d.sighup().expect("sighup");
        let addr = reg.addr().to_string();
        let rc = d
            .wait_registry_config(RELOAD_WAIT, |rc| {
                rc["IndexConfigs"][&addr]["Secure"] == Value::Bool(false)
            })
            .expect("reload shows the insecure registry");
        eprintln!("{label}: RegistryConfig after SIGHUP: {rc}");
        t.lap("SIGHUP -> RegistryConfig shows it");

        d.docker_ok(&["push", &image]).expect("push after reload");
        assert_eq!(reg.catalog().expect("catalog"), vec!["tiny".to_string()]);
        d.docker_ok(&["rmi", &image]).expect("rmi");
        d.docker_ok(&["pull", &image]).expect("pull after reload");
        t.lap("push + pull");

        assert_eq!(
            d.process_id(),
            Some(before),
            "dockerd must not have restarted"
        );
        let state = d
            .docker_ok(&["inspect", "-f", "{{.State.Running}} {{.State.Pid}}", &cid])
            .expect("inspect");
        assert_eq!(
            state,
            format!("true {cpid_before}"),
            "the container must still run, same process"
        );
        t.lap("checks");
        // Handles drop here: dockerd (kills the container), registry, then the namespace.
    }
    t.lap("cleanup");
    traces.assert_gone();
    eprintln!("[time] {label}: total {:.2}s", t.total().as_secs_f64());
}

#[test]
fn insecure_registry_reload_dockerd_20_10() {
    if !support::skip_unless_root_and(support::E2E_TOOLS) {
        return;
    }
    insecure_registry_story(support::system_dockerd(), "insecure/20.10");
}

#[test]
fn insecure_registry_reload_dockerd_26_1() {
    let Some(path) = support::require_e2e_with_dockerd_26() else {
        return;
    };
    insecure_registry_story(path, "insecure/26.1");
}

/// Scenario 3: a dockerd with no route out (in a namespace whose only peer is the host side of its veth)
/// pulls `tiny:1` (a Docker Hub name) through an `http://` mirror on that host side, after the mirror is added
/// to its config and it reloads.
#[test]
fn mirror_pull_without_route_out_dockerd_20_10() {
    if !support::skip_unless_root_and(support::E2E_TOOLS) {
        return;
    }
    mirror_story(support::system_dockerd(), "mirror/20.10");
}

#[test]
fn mirror_pull_without_route_out_dockerd_26_1() {
    let Some(path) = support::require_e2e_with_dockerd_26() else {
        return;
    };
    mirror_story(path, "mirror/26.1");
}

fn mirror_story(binary: PathBuf, label: &str) {
    let mut t = Timer::start(label);
    let mut traces = Traces::new();
    {
        let ns = Netns::create().expect("create netns");
        let routes = String::from_utf8_lossy(&ns.exec(&["ip", "route"]).expect("ip route").stdout)
            .into_owned();
        assert!(
            !routes.contains("default"),
            "the namespace must have no route out: {routes}"
        );
        assert_eq!(
            routes.lines().count(),
            1,
            "only the /30 link route: {routes}"
        );
        // The mirror listens on the host side of the veth: the only peer the namespace has.
        let reg = Registry::start_host_side(&ns, 5000).expect("registry");
        t.lap("netns + registry");
        support::seed_registry(&reg, "library/tiny:1").expect("seed the mirror");
        assert_eq!(
            reg.catalog().expect("catalog"),
            vec!["library/tiny".to_string()]
        );
        t.lap("mirror seeded (host dockerd push)");

        let d = Dockerd::start(DockerdOpts::new().binary(&binary).netns(&ns))
            .expect("dockerd in netns");
        traces.netns(&ns);
        traces.registry(&reg);
        traces.dockerd(&d);
        let before = d.process_id().expect("alive");
        t.lap("dockerd in netns up");

        let no_mirror = d.docker(&["pull", "tiny:1"]);
        assert!(
            !no_mirror.status.success(),
            "without a mirror the pull must fail (no route out)"
        );
        eprintln!(
            "{label}: pull without mirror: {}",
            stderr(&no_mirror).trim()
        );
        t.lap("pull without mirror fails");

        d.write_config(&format!("{{\"registry-mirrors\": [\"{}\"]}}\n", reg.url()))
            .expect("write");
        d.sighup().expect("sighup");
        let want = format!("{}/", reg.url());
        let rc = d
            .wait_registry_config(RELOAD_WAIT, |rc| {
                rc["Mirrors"]
                    .as_array()
                    .is_some_and(|m| m.iter().any(|u| u.as_str() == Some(want.as_str())))
            })
            .expect("reload shows the mirror");
        eprintln!("{label}: RegistryConfig after SIGHUP: {rc}");
        t.lap("SIGHUP -> RegistryConfig shows it");

        d.docker_ok(&["pull", "tiny:1"])
            .expect("pull through the mirror");
        let images = d
            .docker_ok(&["images", "--format", "{{.Repository}}:{{.Tag}}"])
            .expect("images");
        assert!(
            images.lines().any(|l| l == "tiny:1"),
            "pulled as a Docker Hub name: {images}"
        );
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
        assert_eq!(
            d.process_id(),
            Some(before),
            "dockerd must not have restarted"
        );
        t.lap("pull through mirror + run");
    }
    t.lap("cleanup");
    traces.assert_gone();
}

/// dockerd 26.1's `--validate` needs no running daemon: the validation helper can use it as an oracle.
#[test]
fn validate_with_dockerd_26() {
    let bin = support::dockerd_26_path();
    if !support::skip_unless_root_and(&[&bin.display().to_string()]) {
        return;
    }
    let (ok, out) =
        support::validate_config(&bin, r#"{"insecure-registries": ["198.18.0.2:5000"]}"#)
            .expect("run --validate");
    assert!(ok && out.contains("configuration OK"), "{out}");
    let (ok, out) = support::validate_config(&bin, r#"{"insecure-registries": "x", "bogus": 1}"#)
        .expect("run --validate");
    assert!(!ok, "{out}");
    assert!(
        out.contains("the following directives don't match any configuration option: bogus"),
        "{out}"
    );
}

/// Scenario 4: handles clean up when the test panics half way (a container running, a namespace, a registry).
#[test]
fn cleanup_on_panic() {
    if !support::skip_unless_root_and(support::E2E_TOOLS) {
        return;
    }
    let mut t = Timer::start("panic-cleanup");
    let (tx, rx) = std::sync::mpsc::channel();
    let joined = std::thread::spawn(move || {
        let mut traces = Traces::new();
        let ns = Netns::create().expect("netns");
        let reg = Registry::start(&ns, 5000).expect("registry");
        let d = Dockerd::start(DockerdOpts::new().netns(&ns)).expect("dockerd");
        support::tiny_image(&d, "tiny:1").expect("image");
        d.docker_ok(&["run", "-d", "--network", "none", "tiny:1", "sleep", "1000"])
            .expect("run");
        traces.netns(&ns);
        traces.registry(&reg);
        traces.dockerd(&d);
        let _ = tx.send(traces);
        panic!("deliberate panic with a namespace, a registry, a dockerd and a container alive");
    })
    .join();
    assert!(joined.is_err(), "the thread must have panicked");
    t.lap("setup + panic + unwind");
    let traces = rx.recv().expect("the thread got as far as the panic");
    traces.assert_gone();
}

const HOLDER_ENV: &str = "DOCKCFG_HARNESS_HOLDER";

/// Not a test on its own: [`cleanup_after_sigkill`] runs it in a child process, which sets everything up,
/// prints what it made, and waits to be killed.
#[test]
#[ignore = "helper process for cleanup_after_sigkill"]
fn holder_killed_without_unwinding() {
    if std::env::var_os(HOLDER_ENV).is_none() {
        return;
    }
    let ns = Netns::create().expect("netns");
    let reg = Registry::start(&ns, 5000).expect("registry");
    let d = Dockerd::start(DockerdOpts::new()).expect("dockerd");
    support::tiny_image(&d, "tiny:1").expect("image");
    d.docker_ok(&["run", "-d", "--network", "none", "tiny:1", "sleep", "1000"])
        .expect("run");
    println!(
        "HOLDING netns={} ip={}/30 dir={} dir={} cgroup={}",
        ns.name(),
        ns.host_ip(),
        d.dir().display(),
        reg.storage().parent().expect("registry dir").display(),
        d.cgroup_parent()
    );
    std::thread::sleep(Duration::from_secs(60));
}

/// Scenario 4b: a test process SIGKILLed half way (no Drop runs): its children die with it
/// (PR_SET_PDEATHSIG), and the next harness handle sweeps its namespace, dirs, mounts and cgroups.
#[test]
fn cleanup_after_sigkill() {
    use std::io::BufRead;
    if !support::skip_unless_root_and(support::E2E_TOOLS) {
        return;
    }
    let mut t = Timer::start("sigkill-cleanup");
    let mut child = Command::new(std::env::current_exe().expect("test binary"))
        .args([
            "--exact",
            "holder_killed_without_unwinding",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(HOLDER_ENV, "1")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("spawn the holder");
    let stdout = child.stdout.take().expect("piped stdout");
    let line = std::io::BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        // libtest prints "test NAME ... " before the test's own output, on the same line.
        .find_map(|l| l.split_once("HOLDING ").map(|(_, rest)| rest.to_string()))
        .expect("the holder reports what it made");
    t.lap("holder set up");
    child.kill().expect("SIGKILL the holder");
    child.wait().expect("reap the holder");
    let mut traces = Traces::new();
    for word in line.split_whitespace() {
        match word.split_once('=') {
            Some(("netns", v)) => traces.netns.push(v.to_string()),
            Some(("ip", v)) => traces.host_ifs.push(v.to_string()),
            Some(("dir", v)) => traces.dirs.push(PathBuf::from(v)),
            Some(("cgroup", v)) => traces.cgroups.push(v.to_string()),
            _ => {}
        }
    }
    assert_eq!((traces.netns.len(), traces.dirs.len()), (1, 2), "{line}");
    // What any next test does first: the netns sweep runs in Netns::create, the dir sweep in every start.
    drop(Netns::create().expect("netns"));
    support::cleanup::sweep_stale_dirs();
    t.lap("killed + swept");
    traces.assert_gone();
}

/// `CI` turns a missing prerequisite into a failure; without it the test is skipped.
#[test]
fn missing_prerequisites_skip_locally_and_fail_in_ci() {
    use support::prereq::{Verdict, missing_prerequisites, verdict};
    let missing = missing_prerequisites(&["dockcfg-no-such-tool", "/no/such/dockerd", "sh"]);
    assert!(
        missing.iter().any(|m| m.contains("`dockcfg-no-such-tool`")),
        "{missing:?}"
    );
    assert!(
        missing.iter().any(|m| m.contains("`/no/such/dockerd`")),
        "{missing:?}"
    );
    assert!(!missing.iter().any(|m| m.contains("`sh`")), "{missing:?}");
    let gone = vec!["`docker-registry` (run .ci/install-engines as root)".to_string()];
    let cases = [
        (vec![], false, Verdict::Run),
        (vec![], true, Verdict::Run),
        (
            gone.clone(),
            false,
            Verdict::Skip(format!("t: missing {}", gone[0])),
        ),
        (
            gone.clone(),
            true,
            Verdict::Fail(format!(
                "CI is set, so a missing prerequisite fails the test: t: missing {}",
                gone[0]
            )),
        ),
    ];
    for (missing, ci, want) in cases {
        assert_eq!(
            verdict("t", &missing, ci),
            want,
            "missing {missing:?}, CI {ci}"
        );
    }
}

/// The harness never starts a daemon that could create docker0 or firewall rules.
#[test]
fn refuses_a_dockerd_that_could_touch_host_networking() {
    for (flag, config) in [
        ("--bridge", "{}"),
        ("--iptables", r#"{"iptables": true}"#),
        ("--ip6tables", "{"),
    ] {
        let err = Dockerd::start(DockerdOpts::new().omit_flag(flag).config(config))
            .expect_err("must refuse before starting anything");
        assert!(
            err.to_string().contains("refusing to omit"),
            "{flag}: {err:#}"
        );
    }
}

#[test]
fn http_parses_plain_and_chunked_responses() {
    use support::http::{decode_chunked, parse_response};
    let cases: &[(&[u8], u16, &[u8])] = &[
        (b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOKextra", 200, b"OK"),
        (b"HTTP/1.1 404 Not Found\r\n\r\nnope", 404, b"nope"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n{\"a\"\r\n3;x=y\r\n:1}\r\n0\r\n\r\n", 200, b"{\"a\":1}"),
    ];
    for (raw, status, body) in cases {
        let r = parse_response(raw).expect("parse");
        assert_eq!((r.status, r.body.as_slice()), (*status, *body));
    }
    assert!(parse_response(b"garbage").is_err());
    assert!(decode_chunked(b"zz\r\n").is_err());
    assert!(decode_chunked(b"5\r\nab").is_err());
}

#[test]
fn netns_slots_never_overlap_used_networks() {
    use std::net::Ipv4Addr;
    use support::netns::{ipv4_networks, overlaps, owner_pid, pick_slot, slot_ips};
    let out = "4: eth0    inet 10.0.0.5/24 brd 10.0.0.255 scope global eth0\n\
               9: dc1h0    inet 198.18.4.1/30 scope global dc1h0\n\
               10: x    inet 198.18.8.0/22 scope global x\n";
    let used = ipv4_networks(out);
    assert_eq!(used.len(), 3);
    let taken = |b: Ipv4Addr| used.iter().any(|&n| overlaps(n, (b, 30)));
    // Slots count from 198.18.0.0 and start at 64 + (pid * 64 + n) % span. Slot 256 is 198.18.4.0/30
    // (taken), 257 is 198.18.4.4/30 (free); 512..=767 lie inside 198.18.8.0/22.
    assert_eq!(pick_slot(0, 256 - 64, taken), Some(257));
    assert_eq!(pick_slot(0, 512 - 64, taken), Some(768));
    assert_eq!(
        slot_ips(768),
        (Ipv4Addr::new(198, 18, 12, 1), Ipv4Addr::new(198, 18, 12, 2))
    );
    // Never the first /24, never outside 198.18.0.0/15.
    for pid in [1, 77, 4_194_303] {
        let s = pick_slot(pid, 3, |_| false).expect("slot");
        let (h, n) = slot_ips(s);
        assert!(overlaps((h, 30), (Ipv4Addr::new(198, 18, 0, 0), 15)), "{h}");
        assert!(
            !overlaps((n, 30), (Ipv4Addr::new(198, 18, 0, 0), 24)),
            "{n}"
        );
    }
    assert_eq!(owner_pid("dcfg-1234-0"), Some(1234));
    assert_eq!(owner_pid("dcfg-x-0"), None);
    assert_eq!(owner_pid("regns"), None);
}

#[test]
fn proc_stat_and_mountinfo_parsing() {
    use support::process::parse_stat;
    let stat = "42 (a) b (c)) S 1 42 42 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 10";
    assert_eq!(parse_stat(stat), Some(('S', 987654)));
    assert_eq!(parse_stat("garbage"), None);
    let me = support::ProcessId::of(std::process::id()).expect("self");
    assert!(me.is_alive());
    assert!(
        !support::ProcessId {
            start_ticks: me.start_ticks + 1,
            ..me
        }
        .is_alive()
    );
    assert_eq!(
        support::cleanup::unescape_mount_path("/tmp/a\\040b\\134c"),
        "/tmp/a b\\c"
    );
    assert_eq!(support::cleanup::unescape_mount_path("/x\\04"), "/x\\04");
    use support::cleanup::{DOCKERD_PREFIX, REGISTRY_PREFIX, owner_pid};
    assert_eq!(owner_pid("dcfgd1234-AbC123", DOCKERD_PREFIX), Some(1234));
    assert_eq!(owner_pid("dcfgr99-x", REGISTRY_PREFIX), Some(99));
    assert_eq!(owner_pid("dcfgr99-x", DOCKERD_PREFIX), None);
    assert_eq!(owner_pid("dcfgdx-1", DOCKERD_PREFIX), None);
}

#[test]
fn static_elf_detection() {
    use support::image::is_static_elf;
    assert!(!is_static_elf(b""));
    assert!(!is_static_elf(b"\x7fELF\x02\x01"));
    let sh = std::fs::read("/bin/sh").expect("/bin/sh");
    assert!(!is_static_elf(&sh), "/bin/sh is dynamically linked");
    if let Ok(bb) = support::image::static_busybox() {
        assert!(is_static_elf(&std::fs::read(bb).expect("read busybox")));
    }
}

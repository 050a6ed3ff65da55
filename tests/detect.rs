//! Detection over whole installs laid out as fixture trees: `fixtures/hosts/<case>/root` is the
//! filesystem (with a fake `/proc`), `fixtures/hosts/<case>/env` the environment. For every
//! install type this asserts what `dockcfg status` would report: install type, running dockerd,
//! config file and why, every flag source with its exact flags, the reload / restart / reset
//! commands, where the logs are, the engine's address, and where an insecure-registry edit goes.
//! These are recorded-evidence tests: the trees hold real package files where the README says so.

use std::fs;
use std::path::{Path, PathBuf};

use dockcfg::env::EnvView;
use dockcfg::host::{
    Detected, InstallType, LogSource, Os, Overrides, Reload, SystemView, detect, detect_with,
    edit_target,
};
use dockcfg::settings::RegistryKey;

fn case_dir(case: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/hosts")
        .join(case)
}

/// The fixture's `env` file (KEY=VALUE lines) as the environment of user `euid`.
fn env_of(case: &str, euid: u32) -> EnvView {
    let text = fs::read_to_string(case_dir(case).join("env")).unwrap_or_default();
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .fold(EnvView::new(euid), |env, (k, v)| env.with(k, v))
}

fn load(case: &str, os: Os, euid: u32) -> SystemView {
    SystemView::read(&case_dir(case).join("root"), &env_of(case, euid), os)
}

fn sources(d: &Detected) -> Vec<String> {
    d.flag_sources
        .iter()
        .map(|s| {
            let flags: Vec<String> = s
                .flags
                .iter()
                .map(|f| match &f.value {
                    Some(v) => format!("--{}={v}", f.name),
                    None => format!("--{}", f.name),
                })
                .collect();
            format!("{:?} {}: {}", s.origin, s.path.display(), flags.join(" "))
        })
        .collect()
}

fn reload(d: &Detected) -> String {
    match &d.service.reload {
        Reload::Command(c) => c.argv.join(" "),
        Reload::Signal { pid } => format!("SIGHUP {pid}"),
        Reload::WindowsEvent { pid } => format!("event {pid}"),
        Reload::Unsupported => "-".into(),
    }
}

fn logs(d: &Detected) -> String {
    match &d.service.logs {
        LogSource::Journal { unit, user: false } => format!("journal {unit}"),
        LogSource::Journal { unit, user: true } => format!("journal --user {unit}"),
        LogSource::File(p) => format!("file {}", p.display()),
        LogSource::Unknown => "-".into(),
    }
}

/// What one fixture must give.
struct Expect {
    case: &'static str,
    os: Os,
    euid: u32,
    install: InstallType,
    pid: Option<u32>,
    config: &'static str,
    reason: &'static str,
    sources: &'static [&'static str],
    reload: &'static str,
    restart: Option<&'static str>,
    reset: Option<&'static str>,
    logs: &'static str,
    manual: bool,
    host: &'static str,
    version: Option<&'static str>,
    insecure_goes_to: &'static str,
}

const CASES: &[Expect] = &[
    Expect {
        case: "systemd-docker-ce",
        os: Os::Linux,
        euid: 0,
        install: InstallType::Systemd,
        pid: Some(812),
        config: "/etc/docker/daemon.json",
        reason: "default for systemd",
        sources: &[
            "UnitExecStart /lib/systemd/system/docker.service: --host=fd:// --containerd=/run/containerd/containerd.sock",
            "RunningCmdline /proc/812/cmdline: --host=fd:// --containerd=/run/containerd/containerd.sock",
        ],
        reload: "systemctl reload docker",
        restart: Some("systemctl restart docker"),
        reset: Some("systemctl reset-failed docker"),
        logs: "journal docker",
        manual: false,
        host: "unix:///var/run/docker.sock",
        version: Some("27.3"),
        insecure_goes_to: "/etc/docker/daemon.json",
    },
    Expect {
        case: "systemd-debian-docker-io",
        os: Os::Linux,
        euid: 0,
        install: InstallType::Systemd,
        pid: Some(731),
        config: "/etc/docker/daemon.json",
        reason: "default for systemd",
        sources: &[
            "UnitExecStart /lib/systemd/system/docker.service: --host=fd:// --containerd=/run/containerd/containerd.sock",
            "OptsFile /etc/default/docker: --insecure-registry=10.0.0.5:5000 --registry-mirror=https://mirror.example.com",
            "RunningCmdline /proc/731/cmdline: --host=fd:// --containerd=/run/containerd/containerd.sock --insecure-registry=10.0.0.5:5000 --registry-mirror=https://mirror.example.com",
        ],
        reload: "systemctl reload docker",
        restart: Some("systemctl restart docker"),
        reset: Some("systemctl reset-failed docker"),
        logs: "journal docker",
        manual: false,
        host: "unix:///var/run/docker.sock",
        version: Some("20.10"),
        insecure_goes_to: "/etc/default/docker",
    },
    Expect {
        case: "systemd-dropin",
        os: Os::Linux,
        euid: 0,
        install: InstallType::Systemd,
        pid: None,
        config: "/etc/docker/daemon.json",
        reason: "default for systemd",
        sources: &[
            "DropIn /etc/systemd/system/docker.service.d/override.conf: --host=fd:// --host=tcp://0.0.0.0:2375 --containerd=/run/containerd/containerd.sock --insecure-registry=registry.local:5000",
        ],
        reload: "systemctl reload docker",
        restart: Some("systemctl restart docker"),
        reset: Some("systemctl reset-failed docker"),
        logs: "journal docker",
        manual: false,
        // -H fd:// is socket activation: the client uses the default socket.
        host: "unix:///var/run/docker.sock",
        version: Some("26.1"),
        // A drop-in's ExecStart cannot be edited by dockcfg: the edit goes to daemon.json and
        // validation reports the flag/file conflict (migrate resolves it).
        insecure_goes_to: "/etc/docker/daemon.json",
    },
    Expect {
        case: "rhel-docker-1.13",
        os: Os::Linux,
        euid: 0,
        install: InstallType::Systemd,
        pid: Some(1290),
        config: "/etc/docker/daemon.json",
        reason: "default for systemd",
        sources: &[
            "UnitExecStart /usr/lib/systemd/system/docker.service: --add-runtime=docker-runc=/usr/libexec/docker/docker-runc-current --default-runtime=docker-runc --exec-opt=native.cgroupdriver=systemd --userland-proxy-path=/usr/libexec/docker/docker-proxy-current --init-path=/usr/libexec/docker/docker-init-current --seccomp-profile=/etc/docker/seccomp.json",
            "OptsFile /etc/sysconfig/docker: --selinux-enabled --log-driver=journald --signature-verification=false --insecure-registry=registry.corp.example:5000",
            "OptsFile /etc/sysconfig/docker-storage: --storage-driver=overlay2",
            "OptsFile /etc/sysconfig/docker-network: ",
            "RunningCmdline /proc/1290/cmdline: --add-runtime=docker-runc=/usr/libexec/docker/docker-runc-current --default-runtime=docker-runc --exec-opt=native.cgroupdriver=systemd --userland-proxy-path=/usr/libexec/docker/docker-proxy-current --init-path=/usr/libexec/docker/docker-init-current --seccomp-profile=/etc/docker/seccomp.json --selinux-enabled --log-driver=journald --signature-verification=false --storage-driver=overlay2 --insecure-registry=registry.corp.example:5000",
        ],
        reload: "systemctl reload docker",
        restart: Some("systemctl restart docker"),
        reset: Some("systemctl reset-failed docker"),
        logs: "journal docker",
        manual: false,
        host: "unix:///var/run/docker.sock",
        version: None,
        insecure_goes_to: "/etc/sysconfig/docker",
    },
    Expect {
        case: "sysvinit-debian",
        os: Os::Linux,
        euid: 0,
        install: InstallType::SysvInit,
        pid: Some(1234),
        config: "/etc/docker/daemon.json",
        reason: "default for sysvinit",
        sources: &[
            "OptsFile /etc/default/docker: --dns=192.168.1.1 --insecure-registry=192.168.1.10:5000",
            "RunningCmdline /proc/1234/cmdline: --pidfile=/var/run/docker.pid --dns=192.168.1.1 --insecure-registry=192.168.1.10:5000",
        ],
        reload: "SIGHUP 1234",
        restart: Some("service docker restart"),
        reset: None,
        logs: "file /var/log/docker.log",
        manual: false,
        host: "unix:///var/run/docker.sock",
        version: Some("20.10"),
        insecure_goes_to: "/etc/default/docker",
    },
    Expect {
        case: "upstart-ubuntu-14.04",
        os: Os::Linux,
        euid: 0,
        install: InstallType::Upstart,
        pid: Some(987),
        config: "/etc/docker/daemon.json",
        reason: "default for upstart",
        sources: &[
            "OptsFile /etc/default/docker: --registry-mirror=https://mirror.gcr.io",
            "RunningCmdline /proc/987/cmdline: --registry-mirror=https://mirror.gcr.io --raw-logs",
        ],
        reload: "SIGHUP 987",
        restart: Some("service docker restart"),
        reset: None,
        logs: "file /var/log/upstart/docker.log",
        manual: false,
        host: "unix:///var/run/docker.sock",
        version: Some("18.6"),
        insecure_goes_to: "/etc/docker/daemon.json",
    },
    Expect {
        case: "openrc-alpine",
        os: Os::Linux,
        euid: 0,
        install: InstallType::OpenRc,
        pid: Some(2001),
        config: "/etc/docker/daemon.json",
        reason: "default for OpenRC",
        sources: &[
            "OptsFile /etc/conf.d/docker: --insecure-registry=10.1.2.3:5000",
            "RunningCmdline /proc/2001/cmdline: --insecure-registry=10.1.2.3:5000",
        ],
        // Alpine's script has a reload action (supervise-daemon --signal HUP).
        reload: "rc-service docker reload",
        restart: Some("rc-service docker restart"),
        reset: None,
        logs: "file /var/log/docker.log",
        manual: false,
        host: "unix:///var/run/docker.sock",
        version: Some("27.3"),
        insecure_goes_to: "/etc/conf.d/docker",
    },
    Expect {
        case: "openrc-debian",
        os: Os::Linux,
        euid: 0,
        install: InstallType::OpenRc,
        pid: Some(3141),
        config: "/etc/docker/daemon.json",
        reason: "default for OpenRC",
        sources: &[
            "OptsFile /etc/default/docker: ",
            "RunningCmdline /proc/3141/cmdline: --pidfile=/var/run/docker.pid",
        ],
        // Debian's LSB script has no reload: SIGHUP to the pid from /var/run/docker-ssd.pid.
        reload: "SIGHUP 3141",
        restart: Some("rc-service docker restart"),
        reset: None,
        logs: "file /var/log/docker.log",
        manual: false,
        host: "unix:///var/run/docker.sock",
        version: Some("20.10"),
        insecure_goes_to: "/etc/docker/daemon.json",
    },
    Expect {
        case: "snap",
        os: Os::Linux,
        euid: 0,
        install: InstallType::Snap,
        pid: Some(1500),
        config: "/var/snap/docker/2963/config/daemon.json",
        reason: "--config-file on the running dockerd (pid 1500)",
        sources: &[
            "RunningCmdline /proc/1500/cmdline: --group=docker --exec-root=/run/snap.docker --data-root=/var/snap/docker/common/var-lib-docker --pidfile=/run/snap.docker/docker.pid --config-file=/var/snap/docker/2963/config/daemon.json",
        ],
        reload: "SIGHUP 1500",
        restart: Some("snap restart docker"),
        reset: None,
        logs: "journal snap.docker.dockerd",
        manual: false,
        host: "unix:///var/run/docker.sock",
        version: Some("27.2"),
        insecure_goes_to: "/var/snap/docker/2963/config/daemon.json",
    },
    Expect {
        case: "rootless",
        os: Os::Linux,
        euid: 1000,
        install: InstallType::Rootless,
        pid: Some(3010),
        config: "/home/alice/.config/docker/daemon.json",
        reason: "rootless default ($XDG_CONFIG_HOME/docker/daemon.json)",
        sources: &[
            "UnitExecStart /home/alice/.config/systemd/user/docker.service: ",
            "RunningCmdline /proc/3010/cmdline: ",
        ],
        reload: "systemctl --user reload docker",
        restart: Some("systemctl --user restart docker"),
        reset: Some("systemctl --user reset-failed docker"),
        logs: "journal --user docker",
        manual: false,
        host: "unix:///run/user/1000/docker.sock",
        version: Some("27.3"),
        insecure_goes_to: "/home/alice/.config/docker/daemon.json",
    },
    Expect {
        case: "desktop-mac",
        os: Os::Mac,
        euid: 501,
        install: InstallType::DesktopMac,
        pid: None,
        config: "/Users/ann/.docker/daemon.json",
        reason: "Docker Desktop's engine settings (Settings > Docker Engine)",
        sources: &[],
        reload: "-",
        restart: Some("docker desktop restart"),
        reset: None,
        logs: "file /Users/ann/Library/Containers/com.docker.docker/Data/log/vm/init.log",
        manual: true,
        host: "unix:///Users/ann/.docker/run/docker.sock",
        version: None,
        insecure_goes_to: "/Users/ann/.docker/daemon.json",
    },
    Expect {
        case: "desktop-windows",
        os: Os::Windows,
        euid: 0,
        install: InstallType::DesktopWindows,
        pid: None,
        config: r"C:\Users\ann\.docker\daemon.json",
        reason: "Docker Desktop's engine settings (Settings > Docker Engine)",
        sources: &[],
        reload: "-",
        restart: Some("docker desktop restart"),
        reset: None,
        logs: r"file C:\Users\ann\AppData\Local\Docker\log\vm\init.log",
        manual: true,
        host: "npipe:////./pipe/docker_engine",
        version: None,
        insecure_goes_to: r"C:\Users\ann\.docker\daemon.json",
    },
    Expect {
        case: "windows-server",
        os: Os::Windows,
        euid: 0,
        install: InstallType::WindowsServer,
        pid: Some(4321),
        config: r"D:\docker\config\daemon.json",
        reason: r"the Windows engine's default: DATA_ROOT\config\daemon.json, with --data-root D:\docker",
        sources: &[
            r"ServiceArgs HKLM\SYSTEM\CurrentControlSet\Services\docker: --run-service --host=npipe:// --data-root=D:\docker",
        ],
        reload: "event 4321",
        restart: Some("powershell -NoProfile -Command Restart-Service docker"),
        reset: None,
        logs: "-",
        manual: false,
        host: "npipe:////./pipe/docker_engine",
        version: None,
        insecure_goes_to: r"D:\docker\config\daemon.json",
    },
    Expect {
        case: "wsl-desktop",
        os: Os::Linux,
        euid: 1000,
        install: InstallType::WslDesktop,
        pid: None,
        config: "/mnt/c/Users/ann/.docker/daemon.json",
        reason: r"Docker Desktop's engine runs on the Windows side: its settings file is %USERPROFILE%\.docker\daemon.json (Windows user ann, seen from WSL)",
        sources: &[],
        reload: "-",
        restart: None,
        reset: None,
        logs: "-",
        manual: true,
        host: "unix:///var/run/docker.sock",
        version: None,
        insecure_goes_to: "/mnt/c/Users/ann/.docker/daemon.json",
    },
    Expect {
        case: "hand-started",
        os: Os::Linux,
        euid: 0,
        install: InstallType::Unmanaged,
        pid: Some(5555),
        config: "/srv/dockerd/daemon.json",
        reason: "--config-file on the running dockerd (pid 5555)",
        sources: &[
            "RunningCmdline /proc/5555/cmdline: --config-file=/srv/dockerd/daemon.json --pidfile=/srv/dockerd/docker.pid --host=unix:///srv/dockerd/docker.sock --data-root=/srv/dockerd/data --exec-root=/srv/dockerd/exec",
        ],
        reload: "SIGHUP 5555",
        restart: None,
        reset: None,
        logs: "-",
        manual: true,
        host: "unix:///srv/dockerd/docker.sock",
        version: Some("27.3"),
        insecure_goes_to: "/srv/dockerd/daemon.json",
    },
    Expect {
        case: "none",
        os: Os::Linux,
        euid: 0,
        install: InstallType::None,
        pid: None,
        config: "/etc/docker/daemon.json",
        reason: "dockerd's default (no engine found)",
        sources: &[],
        reload: "-",
        restart: None,
        reset: None,
        logs: "-",
        manual: false,
        host: "unix:///var/run/docker.sock",
        version: None,
        insecure_goes_to: "/etc/docker/daemon.json",
    },
];

#[test]
fn every_install_type_is_detected_from_its_tree() {
    for e in CASES {
        let d = detect(&load(e.case, e.os, e.euid), None);
        let c = e.case;
        assert_eq!(d.install, e.install, "{c}: install\n{:#?}", d.evidence);
        assert_eq!(d.os, e.os, "{c}: os");
        assert_eq!(d.daemon.as_ref().map(|d| d.pid), e.pid, "{c}: daemon pid");
        assert_eq!(d.config_file, PathBuf::from(e.config), "{c}: config file");
        assert_eq!(d.config_reason, e.reason, "{c}: config reason");
        assert_eq!(sources(&d), e.sources, "{c}: flag sources");
        assert_eq!(reload(&d), e.reload, "{c}: reload");
        let line = |s: &Option<dockcfg::host::CommandSpec>| s.as_ref().map(|c| c.argv.join(" "));
        assert_eq!(
            line(&d.service.restart).as_deref(),
            e.restart,
            "{c}: restart"
        );
        assert_eq!(line(&d.service.reset).as_deref(), e.reset, "{c}: reset");
        assert_eq!(logs(&d), e.logs, "{c}: logs");
        assert_eq!(
            d.service.manual_steps.is_some(),
            e.manual,
            "{c}: manual steps"
        );
        assert_eq!(d.engine_host, e.host, "{c}: engine host");
        assert_eq!(
            d.version.map(|v| v.to_string()).as_deref(),
            e.version,
            "{c}: version"
        );
        assert_eq!(
            edit_target(&d, RegistryKey::Insecure),
            PathBuf::from(e.insecure_goes_to),
            "{c}: where add-insecure writes"
        );
        assert!(!d.evidence.is_empty(), "{c}: evidence");
    }
}

#[test]
fn every_fixture_tree_has_a_case() {
    let mut trees: Vec<String> = fs::read_dir(case_dir(""))
        .expect("fixtures/hosts")
        .filter_map(Result::ok)
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    trees.sort();
    let mut cases: Vec<String> = CASES.iter().map(|e| e.case.to_string()).collect();
    cases.sort();
    assert_eq!(trees, cases);
}

#[test]
fn status_lines_for_a_sysvinit_host() {
    let d = detect(&load("sysvinit-debian", Os::Linux, 0), None);
    assert_eq!(
        d.describe(),
        [
            "install: sysvinit script /etc/init.d/docker",
            "engine: dockerd pid 1234: /usr/sbin/dockerd -p /var/run/docker.pid --dns 192.168.1.1 --insecure-registry 192.168.1.10:5000",
            "version: 20.10",
            "config file: /etc/docker/daemon.json (default for sysvinit)",
            "flags from /etc/default/docker (options file): --dns=192.168.1.1 --insecure-registry=192.168.1.10:5000",
            "flags from /proc/1234/cmdline (running dockerd): --pidfile=/var/run/docker.pid --dns=192.168.1.1 --insecure-registry=192.168.1.10:5000",
            "reload: SIGHUP to pid 1234",
            "restart: service docker restart",
            "logs: /var/log/docker.log",
            "engine API: unix:///var/run/docker.sock",
            "seen: dockerd running: pid 1234: /usr/sbin/dockerd -p /var/run/docker.pid --dns 192.168.1.1 --insecure-registry 192.168.1.10:5000",
            "seen: PID 1 is init, not systemd",
            "seen: init script: /etc/init.d/docker (sysvinit)",
            "seen: pidfile /var/run/docker-ssd.pid: pid 1234 (running)",
            "seen: pidfile /var/run/docker.pid: pid 1234 (running)",
            "seen: the init script has no reload action: reload by SIGHUP to the daemon",
            "seen: /etc/default/docker (DOCKER_OPTS) is sourced by the init script: --dns=192.168.1.1 --insecure-registry=192.168.1.10:5000",
            "seen: engine version 20.10 from /var/lib/dpkg/status (docker.io 20.10.24+dfsg1-1+deb12u1+b6)",
        ]
    );
}

#[test]
fn json_for_the_debian_systemd_host() {
    let d = detect(&load("systemd-debian-docker-io", Os::Linux, 0), None);
    let j = d.to_json();
    assert_eq!(j["install"], "systemd");
    assert_eq!(j["os"], "linux");
    assert_eq!(j["daemon"]["pid"], 731);
    assert_eq!(j["daemon"]["hosts"], serde_json::json!(["fd://"]));
    assert_eq!(j["config_file"], "/etc/docker/daemon.json");
    assert_eq!(j["flag_sources"][1]["origin"], "opts-file");
    assert_eq!(j["flag_sources"][1]["path"], "/etc/default/docker");
    assert_eq!(
        j["flag_sources"][1]["flags"][0],
        serde_json::json!({"name": "insecure-registry", "value": "10.0.0.5:5000"})
    );
    assert_eq!(
        j["service"]["reload"],
        serde_json::json!({"kind": "command", "command": ["systemctl", "reload", "docker"]})
    );
    assert_eq!(
        j["service"]["logs"]["command"],
        serde_json::json!(["journalctl", "-u", "docker", "-n", "50", "--no-pager"])
    );
    assert_eq!(
        j["service"]["reset"],
        serde_json::json!(["systemctl", "reset-failed", "docker"])
    );
    assert_eq!(j["engine_host"], "unix:///var/run/docker.sock");
    assert_eq!(j["version"], "20.10");
    let w = detect(&load("windows-server", Os::Windows, 0), None).to_json();
    assert_eq!(
        w["service"]["reload"],
        serde_json::json!({"kind": "windows-event", "pid": 4321, "event": "Global\\docker-daemon-config-4321"})
    );
}

#[test]
fn the_pidfile_given_to_dockcfg_picks_the_daemon() {
    let case = "hand-started";
    let root = case_dir(case).join("root");
    let mut view = load(case, Os::Linux, 0);
    let pidfile = Path::new("/srv/dockerd/docker.pid");
    view.read_extra(&root, pidfile);
    let d = detect_with(
        &view,
        &Overrides {
            host: None,
            pidfile: Some(pidfile),
        },
    );
    assert_eq!(d.install, InstallType::Unmanaged);
    assert_eq!(d.service.reload, Reload::Signal { pid: 5555 });
    assert_eq!(d.config_file, PathBuf::from("/srv/dockerd/daemon.json"));
    assert!(
        d.evidence.contains(
            &"--pidfile /srv/dockerd/docker.pid: pid 5555, a running dockerd".to_string()
        ),
        "{:#?}",
        d.evidence
    );
}

#[test]
fn engine_host_comes_from_h_then_docker_host_then_the_daemon() {
    let view = load("hand-started", Os::Linux, 0);
    assert_eq!(
        detect(&view, Some("tcp://10.0.0.1:2376")).engine_host,
        "tcp://10.0.0.1:2376"
    );
    let mut with_env = view.clone();
    with_env.env = with_env.env.with("DOCKER_HOST", "unix:///tmp/other.sock");
    assert_eq!(
        detect(&with_env, None).engine_host,
        "unix:///tmp/other.sock"
    );
    assert_eq!(
        detect(&view, None).engine_host,
        "unix:///srv/dockerd/docker.sock"
    );
}

#[test]
fn rootless_inside_rootlesskit_and_as_root() {
    // dockcfg run inside RootlessKit's namespaces (nsenter, or `dockerd-rootless-setuptool.sh
    // check`): uid 0 there, ROOTLESSKIT_STATE_DIR set.
    let env =
        env_of("rootless", 0).with("ROOTLESSKIT_STATE_DIR", "/run/user/1000/dockerd-rootless");
    let inside = SystemView::read(&case_dir("rootless").join("root"), &env, Os::Linux);
    let d = detect(&inside, None);
    assert_eq!(d.install, InstallType::Rootless);
    assert_eq!(d.engine_host, "unix:///run/user/1000/docker.sock");
    // Real root on the same machine manages the rootful docker.service, not alice's engine.
    let root = load("rootless", Os::Linux, 0);
    let d = detect(&root, None);
    assert_eq!(d.install, InstallType::Systemd);
    assert_eq!(d.daemon, None);
    assert_eq!(d.config_file, PathBuf::from("/etc/docker/daemon.json"));
}

#[test]
fn desktop_before_4_37_cannot_be_restarted_by_dockcfg() {
    let view = load("desktop-mac", Os::Mac, 501).with_file(
        "/Applications/Docker.app/Contents/Info.plist",
        "<key>CFBundleShortVersionString</key>\n<string>4.30.0</string>\n",
    );
    let d = detect(&view, None);
    assert_eq!(d.install, InstallType::DesktopMac);
    assert_eq!(d.service.restart, None);
    assert!(d.service.manual_steps.is_some());
}

#[test]
fn an_offline_tree_without_proc_uses_the_installed_init() {
    let unit = fs::read_to_string(
        case_dir("systemd-debian-docker-io").join("root/lib/systemd/system/docker.service"),
    )
    .expect("unit");
    let view = SystemView::new(Os::Linux, EnvView::new(0))
        .with_link("/sbin/init", "/lib/systemd/systemd")
        .with_file("/lib/systemd/system/docker.service", unit)
        .with_file("/etc/init.d/docker", "#!/bin/sh\n")
        .with_file(
            "/etc/default/docker",
            "DOCKER_OPTS=\"--registry-mirror=https://m.example\"\n",
        );
    let d = detect(&view, None);
    assert_eq!(d.install, InstallType::Systemd);
    assert_eq!(d.daemon, None);
    assert_eq!(
        sources(&d),
        [
            "UnitExecStart /lib/systemd/system/docker.service: --host=fd:// --containerd=/run/containerd/containerd.sock",
            "OptsFile /etc/default/docker: --registry-mirror=https://m.example",
        ]
    );
    assert_eq!(
        edit_target(&d, RegistryKey::Mirrors),
        PathBuf::from("/etc/default/docker")
    );
    // Without a service manager seen at all, the same files mean sysvinit.
    let plain =
        SystemView::new(Os::Linux, EnvView::new(0)).with_file("/etc/init.d/docker", "#!/bin/sh\n");
    assert_eq!(detect(&plain, None).install, InstallType::SysvInit);
}

//! Platform matrix, RECORDED evidence: every install type that cannot run here (upstart, snap,
//! rootless, Docker Desktop on Mac and Windows, the Windows Server engine, WSL) and every one that
//! also runs for real elsewhere, as fixture trees (fixtures/hosts/<case>: real package files where
//! fixtures/hosts/README.md says so, a fake /proc, the user's environment). The real `dockcfg`
//! binary runs over a copy of each tree with `--root` (and `--platform` for Windows and Mac), as
//! the fixture's user (uid 1000 for rootless and WSL, 501 on the Mac), with only the fixture's
//! environment. Each case asserts:
//! - what `dockcfg status --json` reports: install type, the file the engine reads, and the exact
//!   reload / restart / reset-failed commands and log source dockcfg would use there;
//! - which file `dockcfg add-insecure` edits (the only file that changes in the tree), or that it
//!   refuses and changes nothing (a drop-in's flag conflicts).
//!
//! How those commands behave once run is proven for real where the init system runs here
//! (tests/platform_systemd.rs, tests/platform_openrc.rs, tests/e2e_apply.rs for sysvinit and a
//! hand-started dockerd) and with a recorded runner for every service type in src/apply/tests.rs.

use std::collections::BTreeMap;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// One fixture tree and what dockcfg must make of it.
struct Case {
    case: &'static str,
    platform: Option<&'static str>,
    /// The fixture's user; dockcfg runs as this uid.
    uid: u32,
    /// `install file | reload | restart | reset | logs`, from `status --json`.
    detected: &'static str,
    /// The file `add-insecure 10.9.9.9:5000` changes (as the system names it), or `None` when it
    /// refuses (exit 1) and changes nothing.
    edits: Option<&'static str>,
}

const CASES: &[Case] = &[
    Case {
        case: "systemd-docker-ce",
        platform: None,
        uid: 0,
        detected: "systemd /etc/docker/daemon.json | systemctl reload docker | systemctl restart docker | systemctl reset-failed docker | journalctl -u docker -n 50 --no-pager",
        edits: Some("/etc/docker/daemon.json"),
    },
    Case {
        case: "systemd-debian-docker-io",
        platform: None,
        uid: 0,
        detected: "systemd /etc/docker/daemon.json | systemctl reload docker | systemctl restart docker | systemctl reset-failed docker | journalctl -u docker -n 50 --no-pager",
        // The flag lives in DOCKER_OPTS (the unit's EnvironmentFile): the edit goes there.
        edits: Some("/etc/default/docker"),
    },
    Case {
        case: "systemd-dropin",
        platform: None,
        uid: 0,
        detected: "systemd /etc/docker/daemon.json | systemctl reload docker | systemctl restart docker | systemctl reset-failed docker | journalctl -u docker -n 50 --no-pager",
        // --insecure-registry is in the drop-in's ExecStart: refused (migrate first).
        edits: None,
    },
    Case {
        case: "rhel-docker-1.13",
        platform: None,
        uid: 0,
        detected: "systemd /etc/docker/daemon.json | systemctl reload docker | systemctl restart docker | systemctl reset-failed docker | journalctl -u docker -n 50 --no-pager",
        edits: Some("/etc/sysconfig/docker"),
    },
    Case {
        case: "sysvinit-debian",
        platform: None,
        uid: 0,
        detected: "sysvinit /etc/docker/daemon.json | SIGHUP 1234 | service docker restart | - | file /var/log/docker.log",
        edits: Some("/etc/default/docker"),
    },
    Case {
        case: "upstart-ubuntu-14.04",
        platform: None,
        uid: 0,
        detected: "upstart /etc/docker/daemon.json | SIGHUP 987 | service docker restart | - | file /var/log/upstart/docker.log",
        edits: Some("/etc/docker/daemon.json"),
    },
    Case {
        case: "openrc-alpine",
        platform: None,
        uid: 0,
        detected: "openrc /etc/docker/daemon.json | rc-service docker reload | rc-service docker restart | - | file /var/log/docker.log",
        edits: Some("/etc/conf.d/docker"),
    },
    Case {
        case: "openrc-debian",
        platform: None,
        uid: 0,
        detected: "openrc /etc/docker/daemon.json | SIGHUP 3141 | rc-service docker restart | - | file /var/log/docker.log",
        edits: Some("/etc/docker/daemon.json"),
    },
    Case {
        case: "snap",
        platform: None,
        uid: 0,
        detected: "snap /var/snap/docker/2963/config/daemon.json | SIGHUP 1500 | snap restart docker | - | journalctl -u snap.docker.dockerd -n 50 --no-pager",
        edits: Some("/var/snap/docker/2963/config/daemon.json"),
    },
    Case {
        case: "rootless",
        platform: None,
        uid: 1000,
        detected: "rootless /home/alice/.config/docker/daemon.json | systemctl --user reload docker | systemctl --user restart docker | systemctl --user reset-failed docker | journalctl --user -u docker -n 50 --no-pager",
        edits: Some("/home/alice/.config/docker/daemon.json"),
    },
    Case {
        case: "desktop-mac",
        platform: Some("mac"),
        uid: 501,
        detected: "desktop-mac /Users/ann/.docker/daemon.json | - | docker desktop restart | - | file /Users/ann/Library/Containers/com.docker.docker/Data/log/vm/init.log",
        edits: Some("/Users/ann/.docker/daemon.json"),
    },
    Case {
        case: "desktop-windows",
        platform: Some("windows"),
        uid: 0,
        detected: r"desktop-windows C:\Users\ann\.docker\daemon.json | - | docker desktop restart | - | file C:\Users\ann\AppData\Local\Docker\log\vm\init.log",
        edits: Some(r"C:\Users\ann\.docker\daemon.json"),
    },
    Case {
        case: "windows-server",
        platform: Some("windows"),
        uid: 0,
        detected: r"windows-server D:\docker\config\daemon.json | event Global\docker-daemon-config-4321 | powershell -NoProfile -Command 'Restart-Service docker' | - | -",
        edits: Some(r"D:\docker\config\daemon.json"),
    },
    Case {
        case: "wsl-desktop",
        platform: None,
        uid: 1000,
        detected: "wsl-desktop /mnt/c/Users/ann/.docker/daemon.json | - | - | - | -",
        edits: Some("/mnt/c/Users/ann/.docker/daemon.json"),
    },
    Case {
        case: "hand-started",
        platform: None,
        uid: 0,
        detected: "unmanaged /srv/dockerd/daemon.json | SIGHUP 5555 | - | - | -",
        edits: Some("/srv/dockerd/daemon.json"),
    },
    Case {
        case: "none",
        platform: None,
        uid: 0,
        detected: "none /etc/docker/daemon.json | - | - | - | -",
        edits: Some("/etc/docker/daemon.json"),
    },
];

fn fixture(case: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/hosts")
        .join(case)
}

/// The fixture's environment (`KEY=VALUE` lines of its `env` file).
fn env_of(case: &str) -> Vec<(String, String)> {
    std::fs::read_to_string(fixture(case).join("env"))
        .unwrap_or_default()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Every file under `dir` (relative path -> bytes or link target).
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read_dir") {
            let p = e.expect("entry").path();
            let rel = p.strip_prefix(dir).expect("under").display().to_string();
            let meta = std::fs::symlink_metadata(&p).expect("metadata");
            if meta.file_type().is_symlink() {
                let t = std::fs::read_link(&p).expect("link");
                out.insert(rel, format!("-> {}", t.display()).into_bytes());
            } else if meta.is_dir() {
                stack.push(p);
            } else {
                out.insert(rel, std::fs::read(&p).expect("read"));
            }
        }
    }
    out
}

/// The logical path of a file under the tree's root (Windows drives are folders: `C/x` is `C:\x`).
fn logical(rel: &str, windows: bool) -> String {
    if windows {
        let (drive, rest) = rel.split_once('/').unwrap_or((rel, ""));
        format!("{drive}:\\{}", rest.replace('/', "\\"))
    } else {
        format!("/{rel}")
    }
}

/// A copy of the case's tree (owned by its user) and a state folder, in a temp dir.
struct Tree {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    state: PathBuf,
}

fn copy_tree(case: &Case) -> Tree {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().join("root");
    let state = tmp.path().join("state");
    let cp = Command::new("cp")
        .arg("-a")
        .arg(fixture(case.case).join("root"))
        .arg(&root)
        .status()
        .expect("cp");
    assert!(cp.success());
    std::fs::create_dir(&state).expect("state dir");
    if case.uid != 0 && nix::unistd::geteuid().is_root() {
        let uid = case.uid.to_string();
        let chown = Command::new("chown")
            .args(["-R", &format!("{uid}:{uid}")])
            .arg(tmp.path())
            .status()
            .expect("chown");
        assert!(chown.success());
    }
    Tree {
        _tmp: tmp,
        root,
        state,
    }
}

/// Runs `dockcfg --root ROOT [--platform P] ARGS` as the case's user with its environment only.
fn dockcfg(case: &Case, tree: &Tree, args: &[&str]) -> (Option<i32>, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dockcfg"));
    cmd.arg("--root").arg(&tree.root);
    if let Some(p) = case.platform {
        cmd.args(["--platform", p]);
    }
    cmd.args(args)
        .env_clear()
        .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
        .env("DOCKCFG_STATE_DIR", &tree.state)
        .envs(env_of(case.case));
    if case.uid != 0 && nix::unistd::geteuid().is_root() {
        cmd.uid(case.uid).gid(case.uid);
    }
    let out = cmd.output().expect("run dockcfg");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn words(v: &Value) -> String {
    match v.as_array() {
        Some(a) => {
            let w: Vec<String> = a
                .iter()
                .map(|x| {
                    let s = x.as_str().unwrap_or_default();
                    if s.contains(' ') {
                        format!("'{s}'")
                    } else {
                        s.to_string()
                    }
                })
                .collect();
            w.join(" ")
        }
        None => "-".into(),
    }
}

/// `install file | reload | restart | reset | logs` from `status --json`'s "detected".
fn summary(d: &Value) -> String {
    let s = &d["service"];
    let reload = match s["reload"]["kind"].as_str() {
        Some("command") => words(&s["reload"]["command"]),
        Some("signal") => format!("SIGHUP {}", s["reload"]["pid"]),
        Some("windows-event") => format!("event {}", s["reload"]["event"].as_str().unwrap_or("")),
        _ => "-".into(),
    };
    let logs = match s["logs"]["kind"].as_str() {
        Some("journal") => words(&s["logs"]["command"]),
        Some("file") => format!("file {}", s["logs"]["path"].as_str().unwrap_or("")),
        _ => "-".into(),
    };
    format!(
        "{} {} | {reload} | {} | {} | {logs}",
        d["install"].as_str().unwrap_or(""),
        d["config_file"].as_str().unwrap_or(""),
        words(&s["restart"]),
        words(&s["reset"]),
    )
}

#[test]
fn every_install_type_through_the_binary() {
    let mut failures = Vec::new();
    let mut rows = Vec::new();
    for case in CASES {
        let tree = copy_tree(case);
        let (code, stdout, stderr) = dockcfg(case, &tree, &["status", "--json"]);
        let status: Value = match serde_json::from_str(&stdout) {
            Ok(v) if code == Some(0) => v,
            _ => {
                failures.push(format!(
                    "{}: status failed ({code:?}):\n{stdout}{stderr}",
                    case.case
                ));
                continue;
            }
        };
        let got = summary(&status["detected"]);
        if got != case.detected {
            failures.push(format!(
                "{}: detected\n  got  {got}\n  want {}",
                case.case, case.detected
            ));
        }

        let before = snapshot(&tree.root);
        let (code, stdout, stderr) = dockcfg(case, &tree, &["add-insecure", "10.9.9.9:5000"]);
        let after = snapshot(&tree.root);
        let windows = case.platform == Some("windows");
        let changed: Vec<String> = after
            .iter()
            .filter(|(k, v)| before.get(*k) != Some(v))
            .map(|(k, _)| logical(k, windows))
            .collect();
        let want_code = if case.edits.is_some() { 0 } else { 1 };
        let want_changed: Vec<String> = case.edits.iter().map(|e| e.to_string()).collect();
        if code != Some(want_code) || changed != want_changed {
            failures.push(format!(
                "{}: add-insecure exit {code:?} changed {changed:?}, want exit {want_code} \
                 changed {want_changed:?}\n{stdout}{stderr}",
                case.case
            ));
        }
        if let Some(file) = case.edits {
            let root = tree.root.display().to_string();
            let shown = stdout.replace(&root, "");
            let header = if windows {
                format!("+++ /{}", file.replacen(":\\", "/", 1).replace('\\', "/"))
            } else {
                format!("+++ {file}")
            };
            if !shown.contains(&header) || !shown.contains("10.9.9.9:5000") {
                failures.push(format!(
                    "{}: the diff does not show {header}:\n{shown}",
                    case.case
                ));
            }
        }
        rows.push(format!(
            "{:<22} {:<60} edits {}",
            case.case,
            got,
            case.edits.unwrap_or("nothing (refused)")
        ));
    }
    eprintln!(
        "recorded evidence, one row per fixture tree:\n{}",
        rows.join("\n")
    );
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// `migrate` over the drop-in fixture (recorded): the flag leaves the drop-in's ExecStart line,
/// daemon.json gets it, the proxy drop-in and the packaged unit are untouched, and the undo note
/// names the files. (It runs for real in tests/platform_systemd.rs.)
#[test]
fn migrate_over_the_drop_in_fixture() {
    let case = CASES
        .iter()
        .find(|c| c.case == "systemd-dropin")
        .expect("case");
    let tree = copy_tree(case);
    let before = snapshot(&tree.root);
    let (code, stdout, stderr) = dockcfg(case, &tree, &["migrate"]);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    let after = snapshot(&tree.root);
    let changed: Vec<&String> = after
        .keys()
        .filter(|k| before.get(*k) != after.get(*k))
        .collect();
    assert_eq!(
        changed,
        [
            "etc/docker/daemon.json",
            "etc/systemd/system/docker.service.d/override.conf"
        ]
    );
    let text = |k: &str| String::from_utf8_lossy(&after[k]).into_owned();
    assert_eq!(
        text("etc/systemd/system/docker.service.d/override.conf"),
        "# written by `systemctl edit docker`\n[Service]\nExecStart=\nExecStart=/usr/bin/dockerd -H fd:// -H tcp://0.0.0.0:2375 \\\n          --containerd=/run/containerd/containerd.sock\n"
    );
    assert_eq!(
        text("etc/docker/daemon.json"),
        "{\n  \"insecure-registries\": [\n    \"registry.local:5000\"\n  ]\n}\n"
    );
    // Then the edit that was refused goes through.
    let (code, stdout, stderr) = dockcfg(case, &tree, &["add-insecure", "10.9.9.9:5000"]);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
}

/// `migrate` for a rootless engine (recorded): the flag in the user's own unit
/// (~/.config/systemd/user/docker.service, written by dockerd-rootless-setuptool.sh) leaves its
/// ExecStart line and goes to the user's daemon.json; dockcfg runs as the user.
#[test]
fn migrate_a_rootless_user_unit() {
    let case = CASES.iter().find(|c| c.case == "rootless").expect("case");
    let tree = copy_tree(case);
    let unit = tree
        .root
        .join("home/alice/.config/systemd/user/docker.service");
    let text = std::fs::read_to_string(&unit).expect("user unit");
    let with_flag = text.replace(
        "ExecStart=/usr/bin/dockerd-rootless.sh \n",
        "ExecStart=/usr/bin/dockerd-rootless.sh --insecure-registry=10.0.0.1:5000 --experimental\n",
    );
    assert_ne!(with_flag, text);
    std::fs::write(&unit, &with_flag).expect("write the user unit");
    let (code, stdout, stderr) = dockcfg(case, &tree, &["migrate"]);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert_eq!(
        std::fs::read_to_string(&unit).expect("user unit"),
        text.replace(
            "ExecStart=/usr/bin/dockerd-rootless.sh \n",
            "ExecStart=/usr/bin/dockerd-rootless.sh --experimental\n"
        ),
        "only the flag left the ExecStart line"
    );
    let json = std::fs::read_to_string(tree.root.join("home/alice/.config/docker/daemon.json"))
        .expect("daemon.json");
    assert!(
        json.contains(r#""insecure-registries": ["10.0.0.1:5000"]"#),
        "{json}"
    );
    assert!(
        stderr.contains("to undo the migration: dockcfg --root "),
        "{stderr}"
    );
}

//! Helpers for the platform tests (tests/platform_*.rs): run the real `dockcfg` binary inside a
//! booted [`Container`] the way a user would (no `--pidfile`, `-H` or `--restart-cmd`: detection
//! must find everything), and read what the engine inside reports.

use std::process::Output;
use std::time::Duration;

use serde_json::Value;

use super::nspawn::Container;
use super::process::wait_until;

/// The trees' own daemon.json members (no bridge, no iptables): every daemon.json a test writes
/// keeps them.
pub const SAFE: &str = r#""bridge": "none", "iptables": false, "ip6tables": false"#;

/// How long a test waits for the engine to show something.
pub const WAIT: Duration = Duration::from_secs(15);

/// A daemon.json with the safe members and `extra` (members, without braces).
pub fn daemon_json(extra: &str) -> String {
    if extra.is_empty() {
        format!("{{{SAFE}}}\n")
    } else {
        format!("{{{SAFE}, {extra}}}\n")
    }
}

/// What one dockcfg run printed and how it ended.
#[derive(Debug, Clone)]
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn of(o: &Output) -> Run {
        Run {
            code: o.status.code(),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }

    /// stdout and stderr, for assertion messages.
    pub fn all(&self) -> String {
        format!(
            "exit {:?}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }

    /// Panics unless it exited `code`.
    pub fn expect_code(&self, code: i32) -> &Run {
        assert_eq!(self.code, Some(code), "{}", self.all());
        self
    }

    /// Panics unless stderr holds every one of `lines` (each a substring).
    pub fn expect_stderr(&self, lines: &[&str]) -> &Run {
        for l in lines {
            assert!(
                self.stderr.contains(l),
                "stderr lacks {l:?}\n{}",
                self.all()
            );
        }
        self
    }

    /// Panics unless stdout holds every one of `parts`.
    pub fn expect_stdout(&self, parts: &[&str]) -> &Run {
        for l in parts {
            assert!(
                self.stdout.contains(l),
                "stdout lacks {l:?}\n{}",
                self.all()
            );
        }
        self
    }

    /// stdout as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.all()))
    }
}

/// Runs `dockcfg ARGS` inside (the binary cargo built, bind-mounted by `BootOpts::dockcfg`), as
/// root with an empty environment but PATH, HOME and LC_ALL; prints the run for `--nocapture`.
pub fn dockcfg(c: &Container, args: &[&str]) -> Run {
    let mut argv = vec!["dockcfg"];
    argv.extend_from_slice(args);
    let run = Run::of(&c.exec(&argv));
    eprintln!("[{}] $ {}\n{}", c.name(), argv.join(" "), run.all());
    run
}

/// The engine's insecure registries (CIDRs and names) other than the loopback defaults, sorted.
pub fn insecure_registries(info: &Value) -> Vec<String> {
    let rc = &info["RegistryConfig"];
    let mut out: Vec<String> = rc["InsecureRegistryCIDRs"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str())
        .filter(|v| *v != "127.0.0.0/8" && *v != "::1/128")
        .map(String::from)
        .collect();
    out.extend(
        rc["IndexConfigs"]
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(_, v)| v["Secure"] == Value::Bool(false))
            .map(|(k, _)| k.clone()),
    );
    out.sort();
    out
}

/// The engine's registry mirrors, in order.
pub fn mirrors(info: &Value) -> Vec<String> {
    info["RegistryConfig"]["Mirrors"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str())
        .map(|m| m.trim_end_matches('/').to_string())
        .collect()
}

/// What the engine inside reports now: (insecure registries, mirrors).
pub fn registries(c: &Container) -> (Vec<String>, Vec<String>) {
    let info = c.docker_info().expect("GET /info");
    (insecure_registries(&info), mirrors(&info))
}

/// Waits until the engine inside answers and reports exactly `insecure`; panics with what it
/// reports otherwise.
pub fn wait_insecure(c: &Container, insecure: &[&str]) {
    let mut last = Vec::new();
    let hit = wait_until(WAIT, Duration::from_millis(25), || {
        last = insecure_registries(&c.docker_info().ok()?);
        (last == insecure).then_some(())
    });
    assert!(
        hit.is_some(),
        "insecure registries: want {insecure:?}, engine says {last:?}\n{}",
        c.diagnostics()
    );
}

/// dockerd's command line inside (by its pid inside), words joined by blanks.
pub fn cmdline(c: &Container, pid: u32) -> String {
    c.read_file(&format!("/proc/{pid}/cmdline"))
        .unwrap_or_default()
        .replace('\0', " ")
        .trim()
        .to_string()
}

/// Imports the tree's tiny busybox image and starts a detached `sleep 600` container; returns
/// its id and `State.Pid State.StartedAt` (which stay the same while it keeps running).
pub fn start_sleeper(c: &Container) -> (String, String) {
    c.exec_ok(&["sh", "-c", "tar -C /opt/tiny -c . | docker import - tiny:1"])
        .expect("docker import");
    let id = c
        .exec_ok(&[
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
        .expect("docker run");
    let state = container_state(c, &id);
    (id, state)
}

/// `State.Pid State.StartedAt State.Running` of a docker container inside.
pub fn container_state(c: &Container, id: &str) -> String {
    c.exec_ok(&[
        "docker",
        "inspect",
        "-f",
        "{{.State.Pid}} {{.State.StartedAt}} {{.State.Running}}",
        id,
    ])
    .expect("docker inspect")
}

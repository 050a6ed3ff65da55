//! A private dockerd that touches nothing of the system's: its own socket, pidfile, config, data, exec root
//! and cgroup parent, all under one short temp dir T (unix socket paths are limited to 108 bytes).
//!
//! Always started with `--bridge=none --iptables=false --ip6tables=false` (or the same in its config file),
//! so it never creates docker0 or firewall rules. `Drop` kills its containers, stops it by pid, kills any
//! process left that names T or sits in its cgroup, unmounts what remains under T and removes T.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use nix::sys::signal::Signal;
use serde_json::Value;
use tempfile::TempDir;

use super::cleanup;
use super::http;
use super::netns::Netns;
use super::process::{self, ProcessId, wait_until};

/// The dockerd from the system's docker.io package (20.10 on Debian 12).
pub fn system_dockerd() -> PathBuf {
    which::which("dockerd").unwrap_or_else(|_| PathBuf::from("/usr/sbin/dockerd"))
}

/// Debian 13's dockerd 26.1 as unpacked by .ci/install-engines (`DOCKCFG_DOCKERD_26` overrides), if present.
pub fn dockerd_26() -> Option<PathBuf> {
    let path = dockerd_26_path();
    path.is_file().then_some(path)
}

/// Where dockerd 26.1 is looked for (`DOCKCFG_DOCKERD_26`, else where .ci/install-engines
/// unpacks it), whether or not it is there: a skipped test names it.
pub fn dockerd_26_path() -> PathBuf {
    std::env::var_os("DOCKCFG_DOCKERD_26")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/opt/dockcfg-engines/26.1/usr/sbin/dockerd"))
}

/// Runs `BINARY --validate --config-file FILE` (dockerd 23.0+) on `config` written to a temp file.
/// Returns whether dockerd accepted it and what it printed (stdout then stderr; the file's path reads
/// `<dir>/daemon.json`).
pub fn validate_config(binary: &Path, config: &str) -> Result<(bool, String)> {
    let dir = cleanup::temp_dir(cleanup::DOCKERD_PREFIX)?;
    let file = dir.path().join("daemon.json");
    std::fs::write(&file, config).context("writing daemon.json")?;
    let out = Command::new(binary)
        .arg("--validate")
        .arg("--config-file")
        .arg(&file)
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("running {} --validate", binary.display()))?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Ok((out.status.success(), text))
}

/// How to start a [`Dockerd`].
#[derive(Debug, Clone)]
pub struct DockerdOpts {
    binary: PathBuf,
    config: String,
    args: Vec<String>,
    omit: Vec<String>,
    netns: Option<PathBuf>,
    timeout: Duration,
}

impl Default for DockerdOpts {
    fn default() -> Self {
        Self {
            binary: system_dockerd(),
            config: "{}\n".into(),
            args: Vec::new(),
            omit: Vec::new(),
            netns: None,
            timeout: Duration::from_secs(20),
        }
    }
}

impl DockerdOpts {
    /// The system dockerd, config `{}`, no extra flags, in the host's network namespace.
    pub fn new() -> Self {
        Self::default()
    }

    /// The dockerd binary to run (e.g. [`dockerd_26`]).
    pub fn binary(mut self, path: impl Into<PathBuf>) -> Self {
        self.binary = path.into();
        self
    }

    /// The initial content of T/daemon.json (default `{}`), written byte for byte.
    pub fn config(mut self, text: impl Into<String>) -> Self {
        self.config = text.into();
        self
    }

    /// An extra command-line flag (e.g. `--insecure-registry=1.2.3.4:5000`, for flag/file conflicts).
    pub fn arg(mut self, arg: impl Into<String>) -> Self {
        self.args.push(arg.into());
        self
    }

    /// Leaves out one of the harness's default flags, named without value (e.g. `--storage-driver`), so the
    /// config file can set it. `--bridge`, `--iptables` and `--ip6tables` may only be left out when the
    /// config sets them to `none` / `false`.
    pub fn omit_flag(mut self, flag: &str) -> Self {
        self.omit.push(flag.to_string());
        self
    }

    /// Runs dockerd inside `netns` (network only, via `nsenter --net=`). Drop the Dockerd before the Netns.
    pub fn netns(mut self, netns: &Netns) -> Self {
        self.netns = Some(netns.path());
        self
    }

    /// How long to wait for `/_ping` (default 20 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }
}

/// A running private dockerd. See the module doc.
#[derive(Debug)]
pub struct Dockerd {
    child: Child,
    pid: u32,
    dir: TempDir,
    cgroup_parent: String,
}

impl Dockerd {
    /// Starts dockerd and waits until `GET /_ping` answers on its socket.
    pub fn start(opts: DockerdOpts) -> Result<Self> {
        cleanup::sweep_stale_dirs();
        let dir = cleanup::temp_dir(cleanup::DOCKERD_PREFIX)?;
        let t = dir.path().to_path_buf();
        let cgroup_parent = cleanup::cgroup_parent_for(&t);
        std::fs::write(t.join("daemon.json"), &opts.config).context("writing daemon.json")?;
        std::fs::create_dir_all(t.join("cli")).context("creating docker CLI config dir")?;
        let flags = default_flags(&t, &cgroup_parent);
        check_safety(&opts, &flags)?;
        let log = File::create(t.join("dockerd.log")).context("creating dockerd.log")?;
        let mut cmd = match &opts.netns {
            Some(ns) => {
                let mut c = Command::new("nsenter");
                c.arg(format!("--net={}", ns.display()))
                    .arg("--")
                    .arg(&opts.binary);
                c
            }
            None => Command::new(&opts.binary),
        };
        for (name, value) in &flags {
            if !opts.omit.iter().any(|o| o == name) {
                cmd.arg(format!("{name}={value}"));
            }
        }
        cmd.args(&opts.args)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log);
        cmd.env_remove("DOCKER_HOST").env_remove("DOCKER_CONFIG");
        let child = process::spawn_tied(&mut cmd)
            .with_context(|| format!("starting {}", opts.binary.display()))?;
        let pid = child.id();
        let mut d = Self {
            child,
            pid,
            dir,
            cgroup_parent,
        };
        d.wait_ready(opts.timeout)?;
        Ok(d)
    }

    fn wait_ready(&mut self, timeout: Duration) -> Result<()> {
        let ready = wait_until(timeout, Duration::from_millis(20), || {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(Err(anyhow::anyhow!(
                    "dockerd exited ({status}) before answering /_ping"
                )));
            }
            self.ping().then_some(Ok(()))
        });
        let result =
            ready.unwrap_or_else(|| Err(anyhow::anyhow!("no answer to /_ping within {timeout:?}")));
        if let Err(e) = result {
            bail!(
                "{e}\n--- {} (last lines) ---\n{}",
                self.log_path().display(),
                self.log_tail(40)
            );
        }
        // nsenter --net execs dockerd without forking, so the child's pid is the daemon's; check it.
        match std::fs::read_to_string(self.pidfile())
            .ok()
            .and_then(|s| s.trim().parse::<u32>().ok())
        {
            Some(p) if p == self.pid => Ok(()),
            other => bail!(
                "pidfile says {other:?}, but the started process is {}",
                self.pid
            ),
        }
    }

    /// The daemon's pid.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// The daemon process identity (pid + start time), to prove later that no restart happened.
    pub fn process_id(&self) -> Option<ProcessId> {
        ProcessId::of(self.pid)
    }

    /// The temp dir T that holds everything of this daemon.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// T/docker.sock.
    pub fn socket_path(&self) -> PathBuf {
        self.dir().join("docker.sock")
    }

    /// `unix://T/docker.sock`, for `-H` / `DOCKER_HOST`.
    pub fn host_arg(&self) -> String {
        format!("unix://{}", self.socket_path().display())
    }

    /// T/daemon.json (given as `--config-file`).
    pub fn config_path(&self) -> PathBuf {
        self.dir().join("daemon.json")
    }

    /// T/docker.pid (given as `--pidfile`).
    pub fn pidfile(&self) -> PathBuf {
        self.dir().join("docker.pid")
    }

    /// T/dockerd.log (stdout and stderr of the daemon).
    pub fn log_path(&self) -> PathBuf {
        self.dir().join("dockerd.log")
    }

    /// The daemon's whole log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    /// The last `n` lines of the log.
    pub fn log_tail(&self, n: usize) -> String {
        let log = self.log();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(n)..].join("\n")
    }

    /// The cgroup parent its containers go under (`/dcfg-<T's name>`).
    pub fn cgroup_parent(&self) -> &str {
        &self.cgroup_parent
    }

    /// Replaces T/daemon.json by `text` (no reload: call [`Dockerd::sighup`]).
    pub fn write_config(&self, text: &str) -> Result<()> {
        std::fs::write(self.config_path(), text).context("writing daemon.json")
    }

    /// True when `GET /_ping` answers 200 "OK".
    pub fn ping(&self) -> bool {
        http::unix_request(&self.socket_path(), "GET", "/_ping", None)
            .is_ok_and(|r| r.status == 200)
    }

    /// One API call; errors on a transport failure or a status other than 2xx.
    pub fn api(&self, method: &str, path: &str) -> Result<http::Response> {
        let r = http::unix_request(&self.socket_path(), method, path, None)
            .with_context(|| format!("{method} {path}"))?;
        if !(200..300).contains(&r.status) {
            bail!("{method} {path}: HTTP {}: {}", r.status, r.text());
        }
        Ok(r)
    }

    /// `GET /info` as JSON.
    pub fn info(&self) -> Result<Value> {
        Ok(self.api("GET", "/info")?.json()?)
    }

    /// The engine's own view of its registry settings: `RegistryConfig` of /info (`IndexConfigs`,
    /// `InsecureRegistryCIDRs`, `Mirrors`).
    pub fn registry_config(&self) -> Result<Value> {
        Ok(self.info()?["RegistryConfig"].clone())
    }

    /// Polls [`Dockerd::registry_config`] until `pred` holds; returns it, or an error with the last one seen.
    pub fn wait_registry_config(
        &self,
        timeout: Duration,
        pred: impl Fn(&Value) -> bool,
    ) -> Result<Value> {
        let mut last = Value::Null;
        let hit = wait_until(timeout, Duration::from_millis(20), || {
            let rc = self.registry_config().ok()?;
            if pred(&rc) {
                return Some(rc);
            }
            last = rc;
            None
        });
        hit.with_context(|| {
            format!("RegistryConfig did not change as expected within {timeout:?}; last: {last}")
        })
    }

    /// Sends SIGHUP (reload the config file) to the daemon's pid.
    pub fn sighup(&self) -> Result<()> {
        process::signal(self.pid, Signal::SIGHUP)
            .with_context(|| format!("SIGHUP to dockerd {}", self.pid))
    }

    /// A `docker` CLI command aimed at this daemon (`-H unix://T/docker.sock`, its own CLI config dir).
    pub fn docker_cmd(&self) -> Command {
        let mut cmd = Command::new("docker");
        cmd.env("DOCKER_CONFIG", self.dir().join("cli"))
            .env_remove("DOCKER_HOST")
            .env_remove("DOCKER_CONTEXT")
            .env_remove("DOCKER_TLS_VERIFY")
            .arg("-H")
            .arg(self.host_arg())
            .stdin(Stdio::null());
        cmd
    }

    /// Runs `docker -H ... ARGS` and returns its output, whatever the exit status.
    pub fn docker(&self, args: &[&str]) -> Output {
        match self.docker_cmd().args(args).output() {
            Ok(out) => out,
            Err(e) => panic!("cannot run the docker CLI ({e}); install docker.io"),
        }
    }

    /// Runs `docker -H ... ARGS`; its stdout when it succeeds, else an error with stderr.
    pub fn docker_ok(&self, args: &[&str]) -> Result<String> {
        let out = self.docker(args);
        if !out.status.success() {
            bail!(
                "docker {}: {}\n{}",
                args.join(" "),
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    }

    /// Ids of running containers.
    pub fn running_containers(&self) -> Result<Vec<String>> {
        let list = self.api("GET", "/containers/json")?.json()?;
        Ok(list
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|c| c["Id"].as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default())
    }

    /// SIGKILLs every running container through the API, so shutdown does not wait their stop timeout.
    pub fn kill_containers(&self) {
        let Ok(ids) = self.running_containers() else {
            return;
        };
        for id in &ids {
            let _ = self.api("POST", &format!("/containers/{id}/kill"));
        }
        if !ids.is_empty() {
            wait_until(Duration::from_secs(5), Duration::from_millis(20), || {
                self.running_containers().ok().filter(|c| c.is_empty())
            });
        }
    }

    /// Stops the daemon now (as Drop does, but a test can look at the result and the log after).
    pub fn stop(&mut self) -> Result<std::process::ExitStatus> {
        if self.child.try_wait()?.is_none() {
            self.kill_containers();
        }
        Ok(process::stop_child(
            &mut self.child,
            Duration::from_secs(10),
        )?)
    }
}

impl Drop for Dockerd {
    fn drop(&mut self) {
        if let Err(e) = self.stop() {
            eprintln!("harness: stopping dockerd {}: {e:#}", self.pid);
        }
        // containerd (started by dockerd), shims and container processes that outlived the daemon.
        cleanup::kill_leftovers(self.dir(), &self.cgroup_parent);
        cleanup::unmount_under(self.dir());
        cleanup::remove_cgroups(&self.cgroup_parent);
        // TempDir removes T when it drops, right after this.
    }
}

/// The harness's flags as (name, value), in order.
fn default_flags(t: &Path, cgroup_parent: &str) -> Vec<(&'static str, String)> {
    let p = |name: &str| t.join(name).display().to_string();
    vec![
        ("--pidfile", p("docker.pid")),
        ("-H", format!("unix://{}", p("docker.sock"))),
        ("--config-file", p("daemon.json")),
        ("--data-root", p("data")),
        ("--exec-root", p("exec")),
        ("--storage-driver", "vfs".into()),
        ("--bridge", "none".into()),
        ("--iptables", "false".into()),
        ("--ip6tables", "false".into()),
        ("--exec-opt", "native.cgroupdriver=cgroupfs".into()),
        ("--cgroup-parent", format!("/{cgroup_parent}")),
    ]
}

/// Refuses to start a daemon that could create docker0 or firewall rules on this machine.
fn check_safety(opts: &DockerdOpts, flags: &[(&str, String)]) -> Result<()> {
    for (name, value) in flags {
        if !opts.omit.iter().any(|o| o == name) {
            continue;
        }
        let key = name.trim_start_matches('-');
        let safe = match *name {
            "--bridge" => Some(Value::from("none")),
            "--iptables" | "--ip6tables" => Some(Value::from(false)),
            _ => None,
        };
        if let Some(safe) = safe {
            let cfg: Value = serde_json::from_str(&opts.config).unwrap_or(Value::Null);
            if cfg.get(key) != Some(&safe) {
                bail!(
                    "refusing to omit {name}={value}: the config must then set \"{key}\": {safe}"
                );
            }
        }
    }
    Ok(())
}

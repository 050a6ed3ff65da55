//! Real init systems managing a real dockerd: Debian 12 trees built by `.ci/build-trees` (systemd, and
//! sysvinit + OpenRC), each booted fresh per test in systemd-nspawn and driven from the host with `nsenter`.
//!
//! A [`Container`] boots with `--volatile=overlay`: `/` inside is an overlayfs over the read-only tree with
//! its upper layer in a tmpfs, so the tree stays pristine and nothing a test does survives shutdown. Files a
//! test wants in place *before* boot ([`BootOpts::file`]) go in a per-container seed folder that nspawn
//! bind-mounts read-only at `/.dockcfg-seed`; the tree copies it over `/` before any service starts (a systemd
//! generator, so seeded unit drop-ins count; the first sysinit line of sysvinit's inittab). Once
//! booted the seed folder is emptied, because systemd runs its generators again on every
//! `systemctl daemon-reload` and would otherwise copy the seeded files back.
//!
//! Isolation and cleanup: each container gets a unique name `dcfgn<test pid>-XXXXXX` (temp dir, machine name
//! and cgroups), its own network namespace (`--private-network`), and its own cgroup in every hierarchy,
//! made below the test process's, so nspawn's `payload`/`supervisor` cgroups and dockerd's `docker/<id>`
//! cgroups of parallel containers never meet. `Drop` powers the container off (`systemctl poweroff` or
//! `/sbin/poweroff`), waits up to 10 s, else SIGKILLs the container's PID 1 by pid (which ends its whole pid
//! namespace; SIGKILL to nspawn alone leaves the container running) and then nspawn; then it kills whatever
//! is still in its cgroups and removes them. A later [`Container::boot`] sweeps what a test process killed
//! without unwinding left behind (matched by the dead owner pid in the name).
//!
//! Prerequisites: root, `systemd-nspawn` (package systemd-container) and `nsenter`, and the trees, checked by
//! [`Tree::systemd`] / [`Tree::openrc`]: outside CI a missing one skips the test with a printed reason.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use nix::sys::signal::Signal;
use serde_json::Value;
use tempfile::TempDir;

use super::cleanup;
use super::http;
use super::prereq;
use super::process::{self, ProcessId, wait_until};

/// Where `.ci/build-trees` puts the trees unless `DOCKCFG_TREES` says otherwise.
pub const DEFAULT_TREES: &str = "/var/cache/dockcfg-trees";
/// Prefix of a container's temp dir, machine name and cgroups: `dcfgn<test pid>-XXXXXX`.
pub const PREFIX: &str = "dcfgn";
/// Where [`BootOpts::dockcfg`] bind-mounts the dockcfg binary built by cargo.
pub const DOCKCFG_IN_CONTAINER: &str = "/usr/local/bin/dockcfg";
/// The docker CLI's and API's socket inside both trees.
pub const DOCKER_SOCKET: &str = "/run/docker.sock";
/// The pidfile of start-stop-daemon in docker.io's LSB script (sysvinit and OpenRC); holds dockerd's pid.
pub const OPENRC_DOCKER_PIDFILE: &str = "/var/run/docker-ssd.pid";
/// The log file of docker.io's LSB script.
pub const OPENRC_DOCKER_LOG: &str = "/var/log/docker.log";

/// The seed folder inside (see the module doc), and the flag file the OpenRC tree's inittab touches when `rc 2`
/// has finished.
const SEED_IN_CONTAINER: &str = "/.dockcfg-seed";
const OPENRC_BOOTED: &str = "run/dockcfg-booted";
/// The PATH commands run with inside (`env -i` drops the test's environment).
const PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
/// Every command run inside is wrapped in coreutils `timeout`, so a hung one fails the test instead of CI.
const EXEC_TIMEOUT_SECS: u32 = 120;
/// How long poweroff may take before the container is killed.
const POWEROFF_GRACE: Duration = Duration::from_secs(10);
/// Init scripts of the OpenRC tree that remount or fsck `/` (the host's, if the overlay were missing): the tree
/// must have them stubbed, with this mark, or [`Container::boot`] refuses to boot it.
const OPENRC_STUBS: &[&str] = &[
    "checkroot.sh",
    "checkfs.sh",
    "umountroot",
    "umountfs",
    "umountnfs.sh",
    "hwclock.sh",
];
const STUB_MARK: &str = "stubbed by dockcfg build-trees";

/// Which init system a tree boots.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Init {
    /// systemd as PID 1; docker.io's `docker.service` (+ `docker.socket`, `containerd.service`).
    Systemd,
    /// sysvinit as PID 1 with OpenRC as rc; docker.io's LSB script `/etc/init.d/docker`.
    OpenRc,
}

impl Init {
    /// The tree's folder name under the trees dir (and the name `.ci/build-trees --check` takes).
    pub fn tree_name(self) -> &'static str {
        match self {
            Init::Systemd => "systemd",
            Init::OpenRc => "openrc",
        }
    }
}

/// The folder holding the trees: `$DOCKCFG_TREES`, else [`DEFAULT_TREES`].
pub fn trees_dir() -> PathBuf {
    std::env::var_os("DOCKCFG_TREES")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(DEFAULT_TREES))
}

/// The build script, in this checkout.
pub fn build_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(".ci/build-trees")
}

/// A built tree, current with the recipe in `.ci/build-trees`.
#[derive(Clone, Debug)]
pub struct Tree {
    init: Init,
    path: PathBuf,
}

impl Tree {
    /// The systemd tree, or `None` (after printing why) when the test must be skipped: not root, no
    /// systemd-nspawn or nsenter, or the tree missing or outdated. Under CI that panics instead.
    pub fn systemd() -> Option<Self> {
        Self::require(Init::Systemd)
    }

    /// The sysvinit + OpenRC tree; `None` as for [`Tree::systemd`].
    pub fn openrc() -> Option<Self> {
        Self::require(Init::OpenRc)
    }

    /// The tree for `init`, or `None` when the test must be skipped (see [`Tree::systemd`]).
    pub fn require(init: Init) -> Option<Self> {
        if !prereq::skip_unless_root_and(&["systemd-nspawn", "nsenter"]) {
            return None;
        }
        match Self::find(init) {
            Ok(tree) => Some(tree),
            Err(why) => {
                let test = std::thread::current()
                    .name()
                    .unwrap_or("this test")
                    .to_string();
                match prereq::verdict(&test, &[why], prereq::in_ci()) {
                    prereq::Verdict::Run => None,
                    prereq::Verdict::Fail(why) => panic!("{why}"),
                    prereq::Verdict::Skip(why) => {
                        let _ = writeln!(std::io::stderr(), "SKIPPED {why}");
                        None
                    }
                }
            }
        }
    }

    /// The tree for `init` if it is built from the current recipe (asks `.ci/build-trees --check`), else why not.
    pub fn find(init: Init) -> Result<Self, String> {
        let path = trees_dir().join(init.tree_name());
        let script = build_script();
        let out = Command::new("bash")
            .arg(&script)
            .arg("--check")
            .arg(init.tree_name())
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("running {}: {e}", script.display()))?;
        if !out.status.success() {
            let why: Vec<String> = [&out.stdout, &out.stderr]
                .iter()
                .map(|b| String::from_utf8_lossy(b).trim().to_string())
                .filter(|s| !s.is_empty())
                .collect();
            return Err(format!("the {} tree: {}", init.tree_name(), why.join("; ")));
        }
        Ok(Self { init, path })
    }

    /// Its init system.
    pub fn init(&self) -> Init {
        self.init
    }

    /// Its root folder on the host (read-only for tests: boot it, never write to it).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Refuses an OpenRC tree whose `/`-remounting scripts are not stubbed (see [`OPENRC_STUBS`]).
    fn check_safe(&self) -> Result<()> {
        if self.init != Init::OpenRc {
            return Ok(());
        }
        for s in OPENRC_STUBS {
            let f = self.path.join("etc/init.d").join(s);
            let text = std::fs::read_to_string(&f).unwrap_or_default();
            if !text.contains(STUB_MARK) {
                bail!(
                    "refusing to boot {}: {} is not stubbed, and it would remount the host's root; \
                     rebuild with .ci/build-trees --force",
                    self.path.display(),
                    f.display()
                );
            }
        }
        Ok(())
    }
}

/// How to boot a [`Container`].
#[derive(Debug, Clone)]
pub struct BootOpts {
    binds: Vec<(PathBuf, String)>,
    files: Vec<(String, Vec<u8>, u32)>,
    wait_docker: bool,
    timeout: Duration,
}

impl Default for BootOpts {
    fn default() -> Self {
        Self {
            binds: Vec::new(),
            files: Vec::new(),
            wait_docker: true,
            timeout: Duration::from_secs(30),
        }
    }
}

impl BootOpts {
    /// No extra files or mounts; boot waits for the init system and for dockerd to answer `/_ping`.
    pub fn new() -> Self {
        Self::default()
    }

    /// Bind-mounts the host file or folder `host` read-only at `in_container`.
    pub fn bind_ro(mut self, host: impl Into<PathBuf>, in_container: &str) -> Self {
        self.binds.push((host.into(), in_container.to_string()));
        self
    }

    /// Bind-mounts the dockcfg binary cargo built for this test run at [`DOCKCFG_IN_CONTAINER`].
    pub fn dockcfg(self) -> Self {
        self.bind_ro(env!("CARGO_BIN_EXE_dockcfg"), DOCKCFG_IN_CONTAINER)
    }

    /// Puts `content` at `path` (absolute, inside) before any service starts, mode 0644. Replaces the tree's
    /// file (e.g. /etc/docker/daemon.json, /etc/default/docker, a docker.service.d drop-in).
    pub fn file(self, path: &str, content: impl Into<Vec<u8>>) -> Self {
        self.file_mode(path, content, 0o644)
    }

    /// As [`BootOpts::file`], with the given mode (e.g. 0o755 for a script).
    pub fn file_mode(mut self, path: &str, content: impl Into<Vec<u8>>, mode: u32) -> Self {
        self.files.push((path.to_string(), content.into(), mode));
        self
    }

    /// Boot does not wait for dockerd (for a seeded config that dockerd refuses): only for the init system.
    pub fn no_docker_wait(mut self) -> Self {
        self.wait_docker = false;
        self
    }

    /// How long boot may take, init system and dockerd together (default 30 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }
}

/// A booted container. See the module doc.
#[derive(Debug)]
pub struct Container {
    init: Init,
    name: String,
    child: Child,
    /// The container's PID 1 as the host sees it; `None` only while booting.
    pid1: Option<ProcessId>,
    dir: TempDir,
    cgroups: Vec<PathBuf>,
    stopped: bool,
}

impl Container {
    /// Boots `tree` and waits until its init system is up (systemd: `is-system-running` says running or
    /// degraded; OpenRC: runlevel 2 finished) and, unless [`BootOpts::no_docker_wait`], dockerd answers.
    /// On failure the error holds the console's last lines; everything started is cleaned up.
    pub fn boot(tree: &Tree, opts: BootOpts) -> Result<Self> {
        sweep_stale();
        tree.check_safe()?;
        let dir = cleanup::temp_dir(PREFIX)?;
        let name = dir
            .path()
            .file_name()
            .and_then(|n| n.to_str())
            .context("temp dir name")?
            .to_string();
        let seed = dir.path().join("seed");
        write_seed(&seed, &opts.files)?;
        let cgroups = make_cgroups(&name)?;
        let log = dir.path().join("console.log");
        let child = match spawn_nspawn(nspawn_args(tree, &name, &seed, &opts.binds), &log, &cgroups)
        {
            Ok(child) => child,
            Err(e) => {
                remove_cgroups(&cgroups);
                return Err(e.context(format!("starting systemd-nspawn for {name}")));
            }
        };
        let mut c = Self {
            init: tree.init,
            name,
            child,
            pid1: None,
            dir,
            cgroups,
            stopped: false,
        };
        let deadline = Instant::now() + opts.timeout;
        if let Err(e) = c.wait_booted(deadline, opts.wait_docker) {
            bail!("{e:#}\n{}", c.diagnostics());
        }
        // systemd runs generators again on every `daemon-reload`: with the seed still there, the
        // seed generator would copy the seeded files back over whatever the test (or dockcfg)
        // changed since boot. The folder is bind-mounted, so emptying it here empties it inside.
        empty_seed(&seed)?;
        Ok(c)
    }

    fn wait_booted(&mut self, deadline: Instant, docker: bool) -> Result<()> {
        let left = || deadline.saturating_duration_since(Instant::now());
        let nspawn = self.child.id();
        let pid1 = wait_until(left(), Duration::from_millis(10), || {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return Some(Err(anyhow::anyhow!("systemd-nspawn exited during boot")));
            }
            container_pid1(nspawn).map(Ok)
        })
        .context("the container's PID 1 did not appear")??;
        self.pid1 = Some(pid1);
        let root = self.root();
        match self.init {
            Init::Systemd => {
                wait_until(left(), Duration::from_millis(10), || {
                    root.join("run/systemd/private").exists().then_some(())
                })
                .context("systemd's private socket did not appear")?;
                let mut last = String::new();
                let state = wait_until(left(), Duration::from_millis(20), || {
                    last = self.exec_text(&["systemctl", "is-system-running"]);
                    matches!(last.as_str(), "running" | "degraded").then(|| last.clone())
                });
                let state =
                    state.with_context(|| format!("systemd did not finish booting: {last:?}"))?;
                if state == "degraded" {
                    eprintln!(
                        "nspawn {}: systemd is degraded: {}",
                        self.name,
                        self.exec_text(&["systemctl", "--failed", "--no-legend", "--plain"])
                    );
                }
            }
            Init::OpenRc => {
                wait_until(left(), Duration::from_millis(20), || {
                    root.join(OPENRC_BOOTED).exists().then_some(())
                })
                .context("OpenRC did not finish runlevel 2")?;
            }
        }
        if docker {
            self.wait_docker(left())?;
        }
        Ok(())
    }

    /// Its unique name (machine name, temp dir name and cgroup name).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its init system.
    pub fn init(&self) -> Init {
        self.init
    }

    /// Host pid of the container's PID 1.
    pub fn pid1(&self) -> u32 {
        self.pid1.map_or(0, |p| p.pid)
    }

    /// Host pid of systemd-nspawn.
    pub fn nspawn_pid(&self) -> u32 {
        self.child.id()
    }

    /// The cgroup folders made for it (one per hierarchy); gone after shutdown.
    pub fn cgroups(&self) -> &[PathBuf] {
        &self.cgroups
    }

    /// The host's way into its file system: `/proc/<pid1>/root`. Only for paths without absolute symlinks
    /// (`/var/run` is one); use [`Container::read_file`] for anything else.
    pub fn root(&self) -> PathBuf {
        PathBuf::from(format!("/proc/{}/root", self.pid1()))
    }

    /// What nspawn and the container's console printed so far.
    pub fn console(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("console.log")).unwrap_or_default()
    }

    /// A command that runs `argv` inside: all its namespaces, an empty environment but PATH, HOME=/root and
    /// LC_ALL=C, in the cgroups of the container's PID 1 (as `docker exec` does; so a daemon it starts, e.g.
    /// through `rc-service docker restart`, sits where the init system would put it), under `timeout 120`.
    /// No shell unless `argv` asks for one.
    pub fn command(&self, argv: &[&str]) -> Result<Command> {
        let mut cmd = Command::new("nsenter");
        cmd.arg("-t")
            .arg(self.pid1().to_string())
            .arg("-a")
            .arg("--")
            .arg("env")
            .arg("-i")
            .arg(format!("PATH={PATH}"))
            .arg("HOME=/root")
            .arg("LC_ALL=C")
            .arg("SYSTEMD_PAGER=")
            .arg("timeout")
            .arg("-k")
            .arg("5")
            .arg(EXEC_TIMEOUT_SECS.to_string())
            .args(argv)
            .stdin(Stdio::null());
        let procs = open_cgroup_procs(&self.pid1_cgroups()?)?;
        // SAFETY: only write(2) on already-open files between fork and exec.
        unsafe {
            cmd.pre_exec(move || {
                for f in &procs {
                    nix::unistd::write(f, b"0").map_err(std::io::Error::from)?;
                }
                Ok(())
            });
        }
        Ok(cmd)
    }

    /// The host folders of PID 1's cgroups; only ever inside the container's own (checked).
    fn pid1_cgroups(&self) -> Result<Vec<PathBuf>> {
        let dirs: Vec<PathBuf> = cgroup_dirs_of(&self.pid1().to_string())?
            .into_iter()
            .map(|c| c.dir)
            .collect();
        for d in &dirs {
            if !self.cgroups.iter().any(|own| d.starts_with(own)) {
                bail!(
                    "PID 1 of {} is in cgroup {}, outside its own",
                    self.name,
                    d.display()
                );
            }
        }
        Ok(dirs)
    }

    /// Runs `argv` inside (see [`Container::command`]) and returns its output, whatever the exit status.
    /// Panics only if nsenter cannot be started at all.
    pub fn exec(&self, argv: &[&str]) -> Output {
        self.exec_input(argv, &[])
    }

    /// As [`Container::exec`], with `input` on stdin.
    pub fn exec_input(&self, argv: &[&str], input: &[u8]) -> Output {
        let run = || -> Result<Output> {
            let mut cmd = self.command(argv)?;
            cmd.stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped());
            let mut child = cmd.spawn().context("starting nsenter")?;
            if let Some(mut stdin) = child.stdin.take() {
                // A command that does not read its stdin closes the pipe: not an error here.
                let _ = stdin.write_all(input);
            }
            Ok(child.wait_with_output()?)
        };
        match run() {
            Ok(out) => out,
            Err(e) => panic!("cannot run {argv:?} in {}: {e:#}", self.name),
        }
    }

    /// Runs `argv` inside; its stdout (trimmed) when it exits 0, else an error with status and stderr.
    pub fn exec_ok(&self, argv: &[&str]) -> Result<String> {
        let out = self.exec(argv);
        if !out.status.success() {
            bail!(
                "{} in {}: {}{}\n{}{}",
                argv.join(" "),
                self.name,
                out.status,
                if out.status.code() == Some(124) {
                    " (timed out)"
                } else {
                    ""
                },
                String::from_utf8_lossy(&out.stdout).trim(),
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    }

    /// Stdout of `argv`, trimmed, whatever the exit status.
    fn exec_text(&self, argv: &[&str]) -> String {
        String::from_utf8_lossy(&self.exec(argv).stdout)
            .trim()
            .to_string()
    }

    /// Writes `content` to `path` inside (making its folder), as root, mode 0644 for a new file.
    pub fn write_file(&self, path: &str, content: &str) -> Result<()> {
        let out = self.exec_input(
            &[
                "sh",
                "-c",
                r#"mkdir -p "$(dirname "$1")" && cat >"$1""#,
                "sh",
                path,
            ],
            content.as_bytes(),
        );
        if !out.status.success() {
            bail!(
                "writing {path} in {}: {}",
                self.name,
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        Ok(())
    }

    /// The content of `path` inside.
    pub fn read_file(&self, path: &str) -> Result<String> {
        let out = self.exec(&["cat", "--", path]);
        if !out.status.success() {
            bail!(
                "reading {path} in {}: {}",
                self.name,
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// The journal of `unit` (systemd tree), message text only: `journalctl -u UNIT --no-pager -o cat`.
    pub fn journal(&self, unit: &str) -> String {
        String::from_utf8_lossy(
            &self
                .exec(&["journalctl", "-u", unit, "--no-pager", "-o", "cat"])
                .stdout,
        )
        .into_owned()
    }

    /// One property of a systemd unit: `systemctl show UNIT -p PROP --value`.
    pub fn systemctl_show(&self, unit: &str, prop: &str) -> Result<String> {
        self.exec_ok(&["systemctl", "show", unit, "-p", prop, "--value"])
    }

    /// What dockerd logged: the docker unit's journal (systemd) or /var/log/docker.log (OpenRC).
    pub fn engine_log(&self) -> String {
        match self.init {
            Init::Systemd => self.journal("docker"),
            Init::OpenRc => self.read_file(OPENRC_DOCKER_LOG).unwrap_or_default(),
        }
    }

    /// dockerd's pid inside the container as its init system knows it: `MainPID` of docker.service, or the
    /// pid in [`OPENRC_DOCKER_PIDFILE`]. An error when there is none (docker stopped or failed).
    pub fn docker_pid(&self) -> Result<u32> {
        let text = match self.init {
            Init::Systemd => self.systemctl_show("docker", "MainPID")?,
            Init::OpenRc => self.read_file(OPENRC_DOCKER_PIDFILE)?,
        };
        match text.trim().parse::<u32>() {
            Ok(pid) if pid > 0 => Ok(pid),
            _ => bail!("no dockerd pid in {}: {text:?}", self.name),
        }
    }

    /// The docker socket as the host reaches it (through `/proc/<pid1>/root`).
    pub fn docker_socket(&self) -> PathBuf {
        self.root().join(DOCKER_SOCKET.trim_start_matches('/'))
    }

    /// One Docker API call from the host to the engine inside; an error on transport failure or non-2xx.
    pub fn docker_api(&self, method: &str, path: &str) -> Result<http::Response> {
        let r = http::unix_request(&self.docker_socket(), method, path, None)
            .with_context(|| format!("{method} {path} in {}", self.name))?;
        if !(200..300).contains(&r.status) {
            bail!("{method} {path}: HTTP {}: {}", r.status, r.text());
        }
        Ok(r)
    }

    /// True when dockerd inside answers `GET /_ping`.
    pub fn docker_ping(&self) -> bool {
        self.docker_api("GET", "/_ping").is_ok()
    }

    /// `GET /info` of the engine inside.
    pub fn docker_info(&self) -> Result<Value> {
        Ok(self.docker_api("GET", "/info")?.json()?)
    }

    /// Waits until dockerd inside answers `/_ping`.
    pub fn wait_docker(&self, timeout: Duration) -> Result<()> {
        wait_until(timeout, Duration::from_millis(20), || {
            self.docker_ping().then_some(())
        })
        .with_context(|| format!("dockerd in {} did not answer within {timeout:?}", self.name))
    }

    /// Runs the docker CLI inside: `docker ARGS`, output whatever the exit status.
    pub fn docker(&self, args: &[&str]) -> Output {
        let mut argv = vec!["docker"];
        argv.extend_from_slice(args);
        self.exec(&argv)
    }

    /// Console tail, failed units / docker log tail: for error messages.
    pub fn diagnostics(&self) -> String {
        let console = self.console();
        let lines: Vec<&str> = console.lines().collect();
        let mut s = format!(
            "--- {} console (last lines) ---\n{}",
            self.name,
            lines[lines.len().saturating_sub(30)..].join("\n")
        );
        if self.pid1.is_some_and(|p| p.is_alive()) {
            let log = self.engine_log();
            let log: Vec<&str> = log.lines().collect();
            s.push_str(&format!(
                "\n--- dockerd log (last lines) ---\n{}",
                log[log.len().saturating_sub(15)..].join("\n")
            ));
        }
        s
    }

    /// SIGKILLs every container the engine inside runs (through the API), so poweroff does not wait for their
    /// stop timeout (10 s for a `sleep`, which ignores SIGTERM as PID 1).
    pub fn kill_docker_containers(&self) {
        let Ok(list) = self
            .docker_api("GET", "/containers/json")
            .and_then(|r| Ok(r.json()?))
        else {
            return;
        };
        for id in list
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| c["Id"].as_str())
        {
            let _ = self.docker_api("POST", &format!("/containers/{id}/kill"));
        }
    }

    /// Powers the container off and removes what it leaves (as `Drop` does, but a test can time it and see
    /// the result): `Ok(how long poweroff took)`, or an error when it had to be killed.
    pub fn shutdown(&mut self) -> Result<Duration> {
        if self.stopped {
            return Ok(Duration::ZERO);
        }
        self.stopped = true;
        let start = Instant::now();
        let mut result = Ok(());
        let running = |c: &mut Child| matches!(c.try_wait(), Ok(None));
        if running(&mut self.child) && self.pid1.is_some_and(|p| p.is_alive()) {
            self.kill_docker_containers();
            let argv: &[&str] = match self.init {
                Init::Systemd => &["systemctl", "poweroff", "--no-block"],
                Init::OpenRc => &["/sbin/poweroff"],
            };
            let _ = self.exec(argv);
            let ended = wait_until(POWEROFF_GRACE, Duration::from_millis(20), || {
                self.child.try_wait().ok().flatten()
            });
            if ended.is_none() {
                result = Err(anyhow::anyhow!(
                    "{} did not power off within {POWEROFF_GRACE:?}; killed it",
                    self.name
                ));
            }
        }
        let took = start.elapsed();
        if running(&mut self.child) {
            // SIGKILL to PID 1 ends the whole pid namespace; nspawn then exits by itself.
            if let Some(p) = self.pid1.filter(|p| p.is_alive()) {
                let _ = process::signal(p.pid, Signal::SIGKILL);
            }
            let _ = process::stop_child(&mut self.child, Duration::from_secs(5));
        }
        kill_in_cgroups(&self.cgroups);
        remove_cgroups(&self.cgroups);
        remove_propagate_dir(&self.name);
        result.map(|()| took)
    }
}

impl Drop for Container {
    fn drop(&mut self) {
        if let Err(e) = self.shutdown() {
            eprintln!("harness: stopping container {}: {e:#}", self.name);
        }
        // TempDir removes the seed folder and console log right after this.
    }
}

/// Starts systemd-nspawn with `args` (stdout and stderr to `log`), moved into `cgroups` before it runs.
fn spawn_nspawn(args: Result<Vec<String>>, log: &Path, cgroups: &[PathBuf]) -> Result<Child> {
    let mut cmd = Command::new("systemd-nspawn");
    cmd.args(args?).stdin(Stdio::null());
    let console = File::create(log).with_context(|| format!("creating {}", log.display()))?;
    cmd.stdout(console.try_clone()?).stderr(console);
    let procs = open_cgroup_procs(cgroups)?;
    // SAFETY: between fork and exec only setsid(2) and write(2) on already-open files: async-signal-safe, no
    // allocation. Moving itself into the container's own cgroups before exec means nspawn makes its
    // payload/supervisor cgroups there, not next to those of other containers.
    unsafe {
        cmd.pre_exec(move || {
            nix::unistd::setsid().map_err(std::io::Error::from)?;
            for f in &procs {
                nix::unistd::write(f, b"0").map_err(std::io::Error::from)?;
            }
            Ok(())
        });
    }
    Ok(process::spawn_tied(&mut cmd)?)
}

/// nspawn's command line for booting `tree` as machine `name`.
pub fn nspawn_args(
    tree: &Tree,
    name: &str,
    seed: &Path,
    binds: &[(PathBuf, String)],
) -> Result<Vec<String>> {
    let mut args: Vec<String> = vec![
        format!("--directory={}", tree.path.display()),
        format!("--machine={name}"),
        "--boot".into(),
        "--register=no".into(),
        "--keep-unit".into(),
        "--private-network".into(),
        "--resolv-conf=off".into(),
        "--timezone=off".into(),
        "--link-journal=no".into(),
        "--console=passive".into(),
        // `/` an overlayfs with its upper layer in a tmpfs: the tree stays pristine, and nothing inside can
        // remount the host's root file system.
        "--volatile=overlay".into(),
        "--tmpfs=/var/lib/docker".into(),
        // runc needs these for `docker run` (nspawn's default filter refuses them).
        "--system-call-filter=add_key keyctl".into(),
    ];
    if tree.init == Init::OpenRc {
        // Else sysvinit (libselinux) mounts a fresh sysfs over /sys and docker's script cannot find cgroups.
        args.push("--setenv=SELINUX_INIT=YES".into());
        // nspawn passes SIGTERM on as this to PID 1; sysvinit ignores nspawn's default SIGRTMIN+3, and its
        // ctrlaltdel entry (SIGINT) powers off in this tree.
        args.push("--kill-signal=SIGINT".into());
    }
    let mut all = vec![(seed.to_path_buf(), SEED_IN_CONTAINER.to_string())];
    all.extend(binds.iter().cloned());
    for (host, inside) in &all {
        let host = host.display().to_string();
        if host.contains(':') || inside.contains(':') || !inside.starts_with('/') {
            bail!("cannot bind {host} at {inside}: paths must be absolute and have no ':'");
        }
        args.push(format!("--bind-ro={host}:{inside}"));
    }
    Ok(args)
}

/// Writes the seed folder: each file at its path below `seed`, folders 0755 (the seed's own mode is copied
/// onto `/` inside, so it must be 0755 too).
fn write_seed(seed: &Path, files: &[(String, Vec<u8>, u32)]) -> Result<()> {
    std::fs::create_dir(seed).context("creating the seed folder")?;
    for (path, content, mode) in files {
        let rel = path.trim_start_matches('/');
        if !path.starts_with('/') || rel.split('/').any(|c| c.is_empty() || c == "..") {
            bail!("seed file {path:?}: give an absolute, normal path");
        }
        let dest = seed.join(rel);
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        std::fs::write(&dest, content).with_context(|| format!("writing {}", dest.display()))?;
        std::fs::set_permissions(&dest, std::fs::Permissions::from_mode(*mode))?;
    }
    std::fs::set_permissions(seed, std::fs::Permissions::from_mode(0o755))?;
    Ok(())
}

/// Removes everything in the seed folder (it stays, empty, as the bind mount's source).
fn empty_seed(seed: &Path) -> Result<()> {
    for e in std::fs::read_dir(seed).context("reading the seed folder")? {
        let p = e?.path();
        let r = if p.is_dir() {
            std::fs::remove_dir_all(&p)
        } else {
            std::fs::remove_file(&p)
        };
        r.with_context(|| format!("emptying the seed folder: {}", p.display()))?;
    }
    Ok(())
}

/// The host pid of the container's PID 1: nspawn's child once it has exec'd init (its comm is no longer
/// systemd-nspawn; nsenter into it before that hangs).
fn container_pid1(nspawn: u32) -> Option<ProcessId> {
    let dir = std::fs::read_dir("/proc").ok()?;
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .find(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .ok()
                .and_then(|s| parse_comm_ppid(&s))
                .is_some_and(|(comm, ppid)| ppid == nspawn && comm != "systemd-nspawn")
        })
        .and_then(ProcessId::of)
}

/// Command name and parent pid from the text of /proc/PID/stat.
pub fn parse_comm_ppid(stat: &str) -> Option<(String, u32)> {
    let open = stat.find('(')?;
    let close = stat.rfind(')')?;
    let comm = stat.get(open + 1..close)?.to_string();
    let mut rest = stat.get(close + 1..)?.split_whitespace();
    let _state = rest.next()?;
    let ppid = rest.next()?.parse().ok()?;
    Some((comm, ppid))
}

/// One cgroup hierarchy as the host sees it: where it is mounted, and a cgroup's folder in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CgroupDir {
    /// The hierarchy's mount point (e.g. /sys/fs/cgroup/memory, /sys/fs/cgroup/unified).
    pub mount: PathBuf,
    /// The cgroup's folder below it.
    pub dir: PathBuf,
}

/// For each hierarchy in the text of a /proc/PID/cgroup: where that process's cgroup is, given the text of
/// /proc/self/mountinfo (so the host's mount points). Hierarchies not mounted here are left out.
pub fn cgroup_dirs(proc_cgroup: &str, mountinfo: &str) -> Vec<CgroupDir> {
    struct Mount {
        v2: bool,
        root: String,
        point: String,
        opts: Vec<String>,
    }
    let mounts: Vec<Mount> = mountinfo
        .lines()
        .filter_map(|l| {
            let (pre, post) = l.split_once(" - ")?;
            let pre: Vec<&str> = pre.split(' ').collect();
            let post: Vec<&str> = post.split(' ').collect();
            let v2 = match *post.first()? {
                "cgroup2" => true,
                "cgroup" => false,
                _ => return None,
            };
            Some(Mount {
                v2,
                root: cleanup::unescape_mount_path(pre.get(3)?),
                point: cleanup::unescape_mount_path(pre.get(4)?),
                opts: post
                    .get(2)
                    .map(|o| o.split(',').map(String::from).collect())
                    .unwrap_or_default(),
            })
        })
        .collect();
    proc_cgroup
        .lines()
        .filter_map(|line| {
            let mut f = line.splitn(3, ':');
            let (_, ctrl, path) = (f.next()?, f.next()?, f.next()?);
            let m = mounts.iter().find(|m| {
                if ctrl.is_empty() {
                    m.v2
                } else {
                    !m.v2 && ctrl.split(',').all(|c| m.opts.iter().any(|o| o == c))
                }
            })?;
            let rel = path.strip_prefix(m.root.as_str()).unwrap_or(path);
            let mount = PathBuf::from(&m.point);
            Some(CgroupDir {
                dir: mount.join(rel.trim_start_matches('/')),
                mount,
            })
        })
        .collect()
}

/// The cgroup folders of process `pid` (`self` for this one), see [`cgroup_dirs`].
fn cgroup_dirs_of(pid: &str) -> Result<Vec<CgroupDir>> {
    let cg = std::fs::read_to_string(format!("/proc/{pid}/cgroup"))
        .with_context(|| format!("reading /proc/{pid}/cgroup"))?;
    let mi =
        std::fs::read_to_string("/proc/self/mountinfo").context("reading /proc/self/mountinfo")?;
    Ok(cgroup_dirs(&cg, &mi))
}

/// Makes `<own cgroup>/<name>` in every hierarchy. A new cpuset cgroup takes no process until it has cpus
/// and mems: they are copied from its parent.
fn make_cgroups(name: &str) -> Result<Vec<PathBuf>> {
    let mut made = Vec::new();
    for CgroupDir { dir: parent, .. } in cgroup_dirs_of("self")? {
        let dir = parent.join(name);
        if let Err(e) = std::fs::create_dir(&dir) {
            remove_cgroups(&made);
            return Err(e).with_context(|| format!("creating cgroup {}", dir.display()));
        }
        for f in ["cpuset.cpus", "cpuset.mems"] {
            if let Ok(v) = std::fs::read_to_string(parent.join(f)) {
                let _ = std::fs::write(dir.join(f), v.trim());
            }
        }
        made.push(dir);
    }
    Ok(made)
}

fn open_cgroup_procs(cgroups: &[PathBuf]) -> Result<Vec<File>> {
    cgroups
        .iter()
        .map(|d| {
            let p = d.join("cgroup.procs");
            OpenOptions::new()
                .write(true)
                .open(&p)
                .with_context(|| format!("opening {}", p.display()))
        })
        .collect()
}

/// Every pid in the cgroup folder `dir` and below.
fn pids_under(dir: &Path) -> Vec<u32> {
    let mut pids: Vec<u32> = std::fs::read_to_string(dir.join("cgroup.procs"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.trim().parse().ok())
        .collect();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.filter_map(|e| e.ok()) {
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                pids.extend(pids_under(&e.path()));
            }
        }
    }
    pids
}

/// SIGKILLs whatever still runs in the container's own cgroups, and waits (up to 5 s) until they are empty.
fn kill_in_cgroups(cgroups: &[PathBuf]) {
    let left = || -> Vec<u32> {
        let mut p: Vec<u32> = cgroups.iter().flat_map(|c| pids_under(c)).collect();
        p.sort_unstable();
        p.dedup();
        p
    };
    let pids = left();
    if pids.is_empty() {
        return;
    }
    for pid in pids {
        eprintln!("harness: killing pid {pid}, left in a container's cgroup");
        let _ = process::signal(pid, Signal::SIGKILL);
    }
    wait_until(Duration::from_secs(5), Duration::from_millis(20), || {
        left().is_empty().then_some(())
    });
}

/// Removes the container's cgroup folders, children first. The kernel frees a cgroup a moment after its last
/// process is reaped, so `rmdir` is retried briefly.
fn remove_cgroups(cgroups: &[PathBuf]) {
    for c in cgroups {
        let gone = wait_until(Duration::from_secs(3), Duration::from_millis(20), || {
            rmdir_tree(c);
            (!c.exists()).then_some(())
        });
        if gone.is_none() {
            eprintln!("harness: could not remove cgroup {}", c.display());
        }
    }
}

fn rmdir_tree(dir: &Path) {
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.filter_map(|e| e.ok()) {
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                rmdir_tree(&e.path());
            }
        }
    }
    let _ = std::fs::remove_dir(dir);
}

/// nspawn's per-machine folder on the host; it stays when nspawn is killed.
fn remove_propagate_dir(name: &str) {
    let d = Path::new("/run/systemd/nspawn/propagate").join(name);
    if d.exists()
        && let Err(e) = std::fs::remove_dir(&d)
    {
        eprintln!("harness: could not remove {}: {e}", d.display());
    }
}

/// Removes what containers of test processes that are gone left behind: their processes (by cgroup, which is
/// named after the dead owner), cgroups, temp dirs and nspawn folders.
pub fn sweep_stale() {
    let stale = |name: &str| {
        cleanup::owner_pid(name, PREFIX)
            .is_some_and(|pid| !Path::new(&format!("/proc/{pid}")).exists())
    };
    let mut cgroups = Vec::new();
    // Below this process's cgroups, and below each hierarchy's root: an earlier test process may have sat
    // elsewhere (another memory cgroup, say), but within a few levels of the root.
    let mut bases: Vec<PathBuf> = cgroup_dirs_of("self")
        .unwrap_or_default()
        .into_iter()
        .flat_map(|c| [c.mount, c.dir])
        .collect();
    bases.sort();
    bases.dedup();
    for base in &bases {
        find_named(base, 3, &stale, &mut cgroups);
    }
    cgroups.sort();
    cgroups.dedup();
    if !cgroups.is_empty() {
        eprintln!("harness: sweeping containers of test processes that are gone: {cgroups:?}");
        kill_in_cgroups(&cgroups);
        remove_cgroups(&cgroups);
    }
    for dir in ["/tmp", "/run/systemd/nspawn/propagate"] {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        for e in entries.filter_map(|e| e.ok()) {
            let name = e.file_name().to_string_lossy().into_owned();
            if stale(&name) {
                eprintln!("harness: removing {}", e.path().display());
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    }
}

/// Folders below `dir` (up to `depth` levels) whose name `matches`; does not descend into a match.
fn find_named(dir: &Path, depth: u32, matches: &dyn Fn(&str) -> bool, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.filter_map(|e| e.ok()) {
        if !e.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        let name = e.file_name().to_string_lossy().into_owned();
        if matches(&name) {
            out.push(e.path());
        } else if depth > 1 {
            find_named(&e.path(), depth - 1, matches, out);
        }
    }
}

//! Applying a written config to the running engine: decide between a live reload and a
//! restart ([`plan`], pure), carry it out ([`execute`]: commands and signals through a
//! [`Runner`], the engine's own view through an [`Engine`]), verify that the engine reports the
//! file's registry settings, and put everything back when it does not.
//!
//! Rules (issue 4, and ../shared/reference/dockerd-config-rules.md):
//! - Only reloadable daemon.json keys changed and the engine runs: reload (the service's reload
//!   command, else SIGHUP to the daemon's pid), then poll `/info` until `RegistryConfig` shows
//!   the file's values. dockerd only logs a file it refuses on reload (28+ even logs "Reloaded
//!   configuration"), so the engine's answer is the proof, never the log.
//! - Anything else (flags changed, a key removed, which a reload would keep, non-reloadable
//!   keys, `--restart`): restart through the service manager, wait for `/_ping` and the settings.
//! - Not verified within the timeout: put the file back, reload or restart again, show the
//!   engine's log lines, fail. No engine running: nothing to do until it starts.

use std::collections::BTreeSet;
use std::fmt;
use std::io::{Read as _, Seek as _};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use crate::edit::{self, FileKind};
use crate::engine::{Engine, EngineError, RegistryConfig};
use crate::host::{CommandSpec, LogSource, Reload, Service};
use crate::opts_file::{self, RegistryFlag};
use crate::runner::{Runner, Sig};
use crate::settings::RegistryKey;

/// daemon.json keys a running dockerd takes on reload (SIGHUP); any other changed key needs a
/// restart. From moby's `daemon/reload.go` (Linux; the registry keys since 1.13 / 17.04).
pub const RELOADABLE_KEYS: &[&str] = &[
    "authorization-plugins",
    "debug",
    "default-cgroupns-mode",
    "default-ipc-mode",
    "default-runtime",
    "default-shm-size",
    "default-stop-timeout",
    "features",
    "insecure-registries",
    "labels",
    "live-restore",
    "max-concurrent-downloads",
    "max-concurrent-uploads",
    "max-download-attempts",
    "network-diagnostic-port",
    "nri-opts",
    "registry-mirrors",
    "runtimes",
    "shutdown-timeout",
];

/// Insecure ranges every dockerd adds by itself (::1/128 since 28.0): never compared.
const DEFAULT_INSECURE: &[&str] = &["127.0.0.0/8", "::1/128"];

/// How often the engine is asked while waiting.
const POLL: Duration = Duration::from_millis(50);

/// How many of the engine's log lines are shown after a failure.
const LOG_LINES: usize = 12;

// ---------------------------------------------------------------------------------------------
// What changed

/// How a file's content changed, as far as the running engine is concerned.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Change {
    /// daemon.json keys whose value differs (added, changed or removed), sorted.
    pub keys: Vec<String>,
    /// Of those, the keys that are gone: a reload keeps their old value, so only a restart
    /// clears them.
    pub removed: Vec<String>,
    /// dockerd's flags changed (DOCKER_OPTS, OPTIONS, unit files): only a start reads them.
    pub flags: bool,
    /// Ask the engine to re-read the file even when its registry settings already match (the
    /// `apply` command: the user may have changed other reloadable keys by hand).
    pub reread: bool,
}

impl Change {
    /// Why a reload cannot carry this change, or `None` when it can.
    pub fn restart_reason(&self) -> Option<String> {
        if self.flags {
            return Some(
                "dockerd's command-line flags changed, and dockerd reads them only when it starts"
                    .into(),
            );
        }
        if !self.removed.is_empty() {
            return Some(format!(
                "{} {} removed from the file, and a reload keeps a missing key's old value",
                list(&self.removed),
                if self.removed.len() == 1 {
                    "was"
                } else {
                    "were"
                }
            ));
        }
        let fixed: Vec<String> = self
            .keys
            .iter()
            .filter(|k| !RELOADABLE_KEYS.contains(&k.as_str()))
            .cloned()
            .collect();
        if !fixed.is_empty() {
            return Some(format!(
                "{} changed, and dockerd reads {} only when it starts",
                list(&fixed),
                if fixed.len() == 1 { "it" } else { "them" }
            ));
        }
        None
    }

    /// Nothing the engine reads changed.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty() && !self.flags && !self.reread
    }
}

fn list(items: &[String]) -> String {
    items.join(", ")
}

/// The top-level members of a daemon.json text as plain values; an unreadable text counts as
/// an empty object (dockerd could not have started with it).
fn json_members(text: Option<&str>) -> serde_json::Map<String, serde_json::Value> {
    let Some(text) = text else {
        return serde_json::Map::new();
    };
    match crate::daemon_json::parse_trimmed(text).map(|d| d.root.to_serde()) {
        Ok(serde_json::Value::Object(m)) => m,
        _ => serde_json::Map::new(),
    }
}

/// What changed between two daemon.json texts (`None`: no file).
pub fn daemon_json_change(old: Option<&str>, new: Option<&str>) -> Change {
    let (a, b) = (json_members(old), json_members(new));
    let names: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    let mut change = Change::default();
    for k in names {
        match (a.get(k), b.get(k)) {
            (x, y) if x == y => {}
            (Some(_), None) => {
                change.keys.push(k.clone());
                change.removed.push(k.clone());
            }
            _ => change.keys.push(k.clone()),
        }
    }
    change
}

/// What changed between two DOCKER_OPTS / OPTIONS texts: whether dockerd's flags differ.
pub fn opts_change(old: Option<&str>, new: Option<&str>) -> Change {
    let flags = |t: Option<&str>| -> Option<Vec<(String, Option<String>)>> {
        let f = opts_file::parse(t.unwrap_or("")).ok()?;
        Some(f.flags().into_iter().map(|f| (f.name, f.value)).collect())
    };
    let (a, b) = (flags(old), flags(new));
    Change {
        flags: a.is_none() || b.is_none() || a != b,
        ..Change::default()
    }
}

/// What changed in a file of `kind`.
pub fn file_change(kind: FileKind, old: Option<&str>, new: Option<&str>) -> Change {
    match kind {
        FileKind::DaemonJson => daemon_json_change(old, new),
        FileKind::OptsFile => opts_change(old, new),
    }
}

// ---------------------------------------------------------------------------------------------
// What the engine must show

/// The registry settings the engine must report after the apply. `None`: the file does not
/// set that list, so it is not checked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Expected {
    pub insecure: Option<Vec<String>>,
    pub mirrors: Option<Vec<String>>,
}

impl Expected {
    fn get(&self, key: RegistryKey) -> Option<&Vec<String>> {
        match key {
            RegistryKey::Insecure => self.insecure.as_ref(),
            RegistryKey::Mirrors => self.mirrors.as_ref(),
        }
    }

    /// The engine's current settings as an expectation (to check a rollback).
    pub fn from_view(view: &RegistryView) -> Expected {
        Expected {
            insecure: Some(view.insecure.clone()),
            mirrors: Some(view.mirrors.clone()),
        }
    }
}

/// The insecure registries and the mirrors a file sets (`None`: it does not set that list).
type FileLists = (Option<Vec<String>>, Option<Vec<String>>);

/// Whether `text` (a file of `kind`) sets each list at all, and to what; parsed once for both.
fn file_lists(kind: FileKind, text: Option<&str>) -> FileLists {
    let Some(text) = text else {
        return (None, None);
    };
    match kind {
        FileKind::DaemonJson => {
            let Ok(doc) = crate::daemon_json::parse_trimmed(text) else {
                return (None, None);
            };
            let list = |key: RegistryKey| {
                let member = doc.get(key.json_key())?;
                Some(crate::daemon_json::string_list(text, member).unwrap_or_default())
            };
            (list(RegistryKey::Insecure), list(RegistryKey::Mirrors))
        }
        FileKind::OptsFile => {
            let Ok(file) = opts_file::parse(text) else {
                return (None, None);
            };
            let list = |flag: RegistryFlag| {
                let prefix = flag.flag_name();
                let present = file
                    .flags()
                    .iter()
                    .any(|f| f.dashes == 2 && f.name == prefix);
                present.then(|| file.values(flag))
            };
            (
                list(RegistryFlag::InsecureRegistry),
                list(RegistryFlag::RegistryMirror),
            )
        }
    }
}

/// The settings the engine must show once it runs with `new` (a file of `kind` that held `old`
/// before). A list is checked when the new file sets it, or when the old one did: dockerd refuses
/// a key given both as a flag and in daemon.json, so a list that was in this file is nowhere else,
/// and without it the engine has none.
pub fn expected(kind: FileKind, old: Option<&str>, new: Option<&str>) -> Expected {
    let (new_insecure, new_mirrors) = file_lists(kind, new);
    // The old file matters only for a list the new one does not set.
    let (old_insecure, old_mirrors) = if new_insecure.is_some() && new_mirrors.is_some() {
        (None, None)
    } else {
        file_lists(kind, old)
    };
    let one = |new: Option<Vec<String>>, old: Option<Vec<String>>| match (new, old) {
        (Some(v), _) => Some(v),
        (None, Some(_)) => Some(Vec::new()),
        (None, None) => None,
    };
    Expected {
        insecure: one(new_insecure, old_insecure),
        mirrors: one(new_mirrors, old_mirrors),
    }
}

/// The engine's registry settings, normalised for comparison with a file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RegistryView {
    /// Insecure registries and ranges as comparison keys, sorted, without dockerd's defaults.
    pub insecure: Vec<String>,
    /// Mirrors as comparison keys (no trailing `/`), in priority order.
    pub mirrors: Vec<String>,
}

fn norm(key: RegistryKey, values: &[String]) -> Vec<String> {
    let mut seen = BTreeSet::new();
    let mut out: Vec<String> = values
        .iter()
        .map(|v| edit::entry_key(key, v))
        .filter(|k| key != RegistryKey::Insecure || !DEFAULT_INSECURE.contains(&k.as_str()))
        .filter(|k| seen.insert(k.clone()))
        .collect();
    if key == RegistryKey::Insecure {
        out.sort();
    }
    out
}

/// What the engine's `RegistryConfig` says, normalised: CIDRs from `InsecureRegistryCIDRs`,
/// registries from `IndexConfigs` with `Secure: false`, mirrors from `Mirrors`.
pub fn view_of(rc: &RegistryConfig) -> RegistryView {
    let mut insecure: Vec<String> = rc.insecure_cidrs.clone();
    insecure.extend(
        rc.index_configs
            .iter()
            .filter(|(_, i)| !i.secure)
            .map(|(name, _)| name.clone()),
    );
    RegistryView {
        insecure: norm(RegistryKey::Insecure, &insecure),
        mirrors: norm(RegistryKey::Mirrors, &rc.mirrors),
    }
}

/// How the engine's view differs from what a file sets, for one list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListDrift {
    /// In the file, not in the engine.
    pub missing: Vec<String>,
    /// In the engine, not in the file.
    pub extra: Vec<String>,
    /// Same mirrors, another order (order is priority).
    pub order: bool,
}

impl ListDrift {
    pub fn is_empty(&self) -> bool {
        self.missing.is_empty() && self.extra.is_empty() && !self.order
    }
}

/// The drift of one list: `None` when the file does not set it.
pub fn drift(view: &RegistryView, expected: &Expected, key: RegistryKey) -> Option<ListDrift> {
    let want = norm(key, expected.get(key)?);
    let have = match key {
        RegistryKey::Insecure => &view.insecure,
        RegistryKey::Mirrors => &view.mirrors,
    };
    let missing: Vec<String> = want.iter().filter(|w| !have.contains(w)).cloned().collect();
    let extra: Vec<String> = have.iter().filter(|h| !want.contains(h)).cloned().collect();
    let order = missing.is_empty() && extra.is_empty() && want != *have;
    Some(ListDrift {
        missing,
        extra,
        order,
    })
}

/// The engine shows every list the file sets.
pub fn matches(view: &RegistryView, expected: &Expected) -> bool {
    [RegistryKey::Insecure, RegistryKey::Mirrors]
        .into_iter()
        .all(|k| drift(view, expected, k).is_none_or(|d| d.is_empty()))
}

/// What going from `before` to `expected` looks like, in words: "reports 198.18.0.2:5000 as
/// insecure", "no longer uses mirror https://m.example.com".
pub fn describe(before: &RegistryView, expected: &Expected) -> String {
    let mut parts = Vec::new();
    if let Some(d) = drift(before, expected, RegistryKey::Insecure) {
        if !d.missing.is_empty() {
            parts.push(format!("reports {} as insecure", list(&d.missing)));
        }
        if !d.extra.is_empty() {
            parts.push(format!("no longer treats {} as insecure", list(&d.extra)));
        }
    }
    if let Some(d) = drift(before, expected, RegistryKey::Mirrors) {
        if !d.missing.is_empty() {
            let s = if d.missing.len() == 1 { "" } else { "s" };
            parts.push(format!("uses mirror{s} {}", list(&d.missing)));
        }
        if !d.extra.is_empty() {
            let s = if d.extra.len() == 1 { "" } else { "s" };
            parts.push(format!("no longer uses mirror{s} {}", list(&d.extra)));
        }
        if d.order {
            let want = norm(
                RegistryKey::Mirrors,
                expected.mirrors.as_deref().unwrap_or_default(),
            );
            parts.push(format!("uses the mirrors in the order {}", list(&want)));
        }
    }
    if parts.is_empty() {
        "reports the file's registry settings".into()
    } else {
        parts.join(" and ")
    }
}

/// One line on what the engine reports for a view: for failure messages.
pub fn show_view(view: &RegistryView) -> String {
    let i = if view.insecure.is_empty() {
        "no insecure registries".to_string()
    } else {
        format!("insecure {}", list(&view.insecure))
    };
    let m = if view.mirrors.is_empty() {
        "no mirrors".to_string()
    } else {
        format!("mirrors {}", list(&view.mirrors))
    };
    format!("{i}, {m}")
}

// ---------------------------------------------------------------------------------------------
// The decision

/// The engine as found before the change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EngineState {
    /// Nothing answers, and no daemon process is known to run.
    Down,
    /// It answers.
    Up {
        version: String,
        live_restore: bool,
        /// Running containers.
        containers: usize,
        registry: RegistryView,
    },
}

/// What to do with the running engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// The engine already uses these settings and nothing else changed.
    Nothing,
    /// No engine runs: the file is read when it starts.
    NotRunning,
    /// Reload the running engine.
    Reload(Reload),
    /// Restart it with this command. `stops` containers will stop (0 with live-restore).
    Restart {
        command: CommandSpec,
        why: String,
        stops: usize,
    },
    /// A restart is needed that dockcfg cannot do: the user does it (the file stays written).
    Manual { why: String, steps: String },
    /// Neither reload nor restart is possible: refuse before writing anything.
    Impossible(String),
}

/// What [`plan`] decides from.
#[derive(Debug, Clone)]
pub struct PlanInput<'a> {
    pub change: &'a Change,
    pub service: &'a Service,
    pub engine: &'a EngineState,
    pub expected: &'a Expected,
    /// `--restart`.
    pub force_restart: bool,
    /// The running dockerd's pid, when known (for messages).
    pub daemon_pid: Option<u32>,
}

/// Decide how to apply a change. Pure.
pub fn plan(input: &PlanInput) -> Plan {
    let EngineState::Up {
        live_restore,
        containers,
        registry,
        ..
    } = input.engine
    else {
        return Plan::NotRunning;
    };
    let restart_why = if input.force_restart {
        Some("--restart was given".to_string())
    } else {
        input.change.restart_reason()
    };
    let why = match restart_why {
        Some(why) => why,
        None => {
            if input.change.keys.is_empty()
                && !input.change.reread
                && matches(registry, input.expected)
            {
                return Plan::Nothing;
            }
            match &input.service.reload {
                Reload::Command(_) | Reload::Signal { .. } => {
                    return Plan::Reload(input.service.reload.clone());
                }
                Reload::WindowsEvent { .. } | Reload::Unsupported => {
                    "this engine cannot be reloaded".to_string()
                }
            }
        }
    };
    if let Some(command) = &input.service.restart {
        return Plan::Restart {
            command: command.clone(),
            why,
            stops: if *live_restore { 0 } else { *containers },
        };
    }
    if let Some(steps) = &input.service.manual_steps {
        return Plan::Manual {
            why,
            steps: steps.clone(),
        };
    }
    let who = match input.daemon_pid {
        Some(pid) => format!("dockerd (pid {pid})"),
        None => "the running dockerd".to_string(),
    };
    let how = match (&input.service.reload, input.daemon_pid) {
        (Reload::Unsupported, None) => {
            " (give its pidfile with --pidfile, so dockcfg can reload it)".to_string()
        }
        _ => String::new(),
    };
    Plan::Impossible(format!(
        "the change needs a restart ({why}), but {who} is not run by a service manager dockcfg \
         knows{how}, so dockcfg cannot restart it; nothing was written. Use --no-apply to write \
         the file anyway and restart dockerd yourself"
    ))
}

// ---------------------------------------------------------------------------------------------
// Effects besides commands and the engine

/// Time, and reading log and pid files: what [`execute`] needs besides a [`Runner`] and an
/// [`Engine`], behind an interface so the timing is tested with a fake clock.
pub trait Io {
    fn now(&self) -> Instant;
    /// Seconds since 1970 (for `journalctl --since`).
    fn unix_time(&self) -> u64;
    fn sleep(&self, d: Duration);
    /// The file's length, `None` if it cannot be read.
    fn file_len(&self, path: &Path) -> Option<u64>;
    /// The file's bytes from `offset` on (at most the last 256 KiB).
    fn read_from(&self, path: &Path, offset: u64) -> Option<Vec<u8>>;
}

/// The real clock and files.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemIo;

impl Io for SystemIo {
    fn now(&self) -> Instant {
        Instant::now()
    }
    fn unix_time(&self) -> u64 {
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0)
    }
    fn sleep(&self, d: Duration) {
        std::thread::sleep(d);
    }
    fn file_len(&self, path: &Path) -> Option<u64> {
        std::fs::metadata(path).ok().map(|m| m.len())
    }
    fn read_from(&self, path: &Path, offset: u64) -> Option<Vec<u8>> {
        const MAX: u64 = 256 << 10;
        let mut f = std::fs::File::open(path).ok()?;
        let len = f.metadata().ok()?.len();
        let start = offset.max(len.saturating_sub(MAX));
        f.seek(std::io::SeekFrom::Start(start)).ok()?;
        let mut out = Vec::new();
        f.take(MAX).read_to_end(&mut out).ok()?;
        Some(out)
    }
}

/// Everything [`execute`] acts through.
pub struct Effects<'a> {
    pub runner: &'a dyn Runner,
    pub engine: &'a dyn Engine,
    pub io: &'a dyn Io,
}

// ---------------------------------------------------------------------------------------------
// Carrying it out

/// How the change reached the engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Reload,
    Restart,
    /// The user restarts it (Docker Desktop without a restart command, ...).
    Manual,
    /// Nothing was done (no engine, nothing to do, --no-apply, --dry-run, --root).
    None,
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Method::Reload => "reload",
            Method::Restart => "restart",
            Method::Manual => "manual",
            Method::None => "none",
        })
    }
}

/// What [`execute`] did.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub method: Method,
    /// The engine reported the file's settings.
    pub verified: bool,
    /// From the reload or restart to the engine's confirmation (or to giving up).
    pub seconds: f64,
    /// The file was put back after a failure.
    pub rolled_back: bool,
    /// Why the apply failed (the run then exits 1); `None` when it did not.
    pub failure: Option<String>,
    /// The engine's log lines shown after a failure.
    pub log: Vec<String>,
}

impl Outcome {
    /// Nothing was applied (`reason` is not shown here; the caller says it).
    pub fn none() -> Outcome {
        Outcome {
            method: Method::None,
            verified: false,
            seconds: 0.0,
            rolled_back: false,
            failure: None,
            log: Vec::new(),
        }
    }
}

/// One apply to carry out.
#[derive(Debug, Clone)]
pub struct Job<'a> {
    pub plan: &'a Plan,
    pub service: &'a Service,
    pub expected: &'a Expected,
    /// The engine's settings before the change (what a rollback brings back).
    pub before: &'a RegistryView,
    /// How long the engine may take to show the change (and again to come back after a rollback).
    pub timeout: Duration,
    /// The file the daemon writes its pid to (to follow a restart and notice a daemon that died).
    pub pidfile: Option<&'a Path>,
    /// The running dockerd's pid, when known.
    pub daemon_pid: Option<u32>,
    /// Commands to run before each restart (`systemctl daemon-reload` after a unit file changed).
    pub before_restart: &'a [CommandSpec],
    /// dockcfg wrote the file for this apply (false: the file was already so, and a failure has
    /// nothing to put back).
    pub written: bool,
}

/// Where to find what the engine logged from some moment on.
#[derive(Debug, Clone, PartialEq, Eq)]
enum LogMark {
    Journal {
        unit: String,
        user: bool,
        since: u64,
    },
    File {
        path: PathBuf,
        offset: u64,
    },
    Unknown,
}

fn log_mark(logs: &LogSource, io: &dyn Io) -> LogMark {
    match logs {
        LogSource::Journal { unit, user } => LogMark::Journal {
            unit: unit.clone(),
            user: *user,
            // A second early: journalctl --since has second precision.
            since: io.unix_time().saturating_sub(1),
        },
        LogSource::File(path) => LogMark::File {
            path: path.clone(),
            offset: io.file_len(path).unwrap_or(0),
        },
        LogSource::Unknown => LogMark::Unknown,
    }
}

/// The journalctl command that shows a unit's lines since `since`.
pub fn journal_command(unit: &str, user: bool, since: u64) -> CommandSpec {
    let mut argv = vec!["journalctl".to_string()];
    if user {
        argv.push("--user".into());
    }
    argv.extend([
        "-u".to_string(),
        unit.to_string(),
        format!("--since=@{since}"),
        "--no-pager".into(),
        "-o".into(),
        "cat".into(),
        "-n".into(),
        "200".into(),
    ]);
    CommandSpec { argv }
}

/// The engine's log lines written since `mark`.
fn read_log(mark: &LogMark, fx: &Effects) -> Option<Vec<String>> {
    let text = match mark {
        LogMark::Journal { unit, user, since } => {
            let out = fx
                .runner
                .run(
                    &journal_command(unit, *user, *since),
                    Duration::from_secs(10),
                )
                .ok()?;
            out.stdout
        }
        LogMark::File { path, offset } => {
            let len = fx.io.file_len(path)?;
            // A shorter file was rotated or truncated: read it all.
            let from = if len < *offset { 0 } else { *offset };
            String::from_utf8_lossy(&fx.io.read_from(path, from)?).into_owned()
        }
        LogMark::Unknown => return None,
    };
    Some(text.lines().map(str::to_string).collect())
}

/// The lines worth showing: those that say what went wrong (errors, failures), else the last
/// ones; at most `max`.
pub fn pick_log_lines(lines: &[String], max: usize) -> Vec<String> {
    // dockerd's own lines carry a level (`error="<nil>"` on an info line is no error); the
    // final "unable to configure ..." before it exits is printed without one.
    let bad = |l: &str| {
        let l = l.to_ascii_lowercase();
        let words: &[&str] = if l.contains("level=") {
            &["level=error", "level=fatal", "level=panic"]
        } else {
            &["error", "failed", "unable to", "refus", "invalid"]
        };
        words.iter().any(|w| l.contains(w))
    };
    let picked: Vec<&String> = lines.iter().filter(|l| bad(l)).collect();
    let source: Vec<&String> = if picked.is_empty() {
        lines.iter().collect()
    } else {
        picked
    };
    source
        .iter()
        .skip(source.len().saturating_sub(max))
        .map(|l| l.trim_end().to_string())
        .collect()
}

fn command_line(c: &CommandSpec) -> String {
    c.argv.join(" ")
}

fn read_pid(io: &dyn Io, path: &Path) -> Option<u32> {
    let bytes = io.read_from(path, 0)?;
    String::from_utf8_lossy(&bytes)
        .trim()
        .parse()
        .ok()
        .filter(|p| *p > 0)
}

fn alive(runner: &dyn Runner, pid: u32) -> bool {
    runner.signal(pid, Sig::Probe).is_ok()
}

/// Why waiting for the engine ended without success.
#[derive(Debug, Clone)]
enum WaitFail {
    /// It answers but shows other settings.
    Other(RegistryView),
    /// It does not answer.
    NoAnswer(EngineError),
    /// The daemon process named by the pidfile is gone.
    Exited(u32),
}

impl WaitFail {
    fn explain(&self, endpoint: &str) -> String {
        match self {
            WaitFail::Other(v) => format!("it still reports {}", show_view(v)),
            WaitFail::NoAnswer(e) if e.is_down() => format!("nothing answers on {endpoint}"),
            WaitFail::NoAnswer(e) => format!("it does not answer: {e}"),
            WaitFail::Exited(pid) => format!("dockerd (pid {pid}) exited"),
        }
    }
}

/// Ask the engine until it answers and shows `want` (or only answers, when `want` is `None`),
/// for at most `timeout`. With `pidfile`, give up early when the daemon it names is gone for a
/// second. Returns the elapsed time.
fn wait_engine(
    fx: &Effects,
    want: Option<&Expected>,
    timeout: Duration,
    pidfile: Option<&Path>,
) -> Result<Duration, WaitFail> {
    let start = fx.io.now();
    let mut dead_since: Option<Instant> = None;
    let mut last;
    loop {
        let now = fx.io.now();
        match fx.engine.info() {
            Ok(info) => {
                let view = view_of(&info.registry);
                if want.is_none_or(|w| matches(&view, w)) {
                    // Measured when the answer came, not when the question went out.
                    return Ok(fx.io.now().duration_since(start));
                }
                last = WaitFail::Other(view);
                dead_since = None;
            }
            Err(e) => {
                last = WaitFail::NoAnswer(e);
                if let Some(pid) = pidfile.and_then(|p| read_pid(fx.io, p)) {
                    if alive(fx.runner, pid) {
                        dead_since = None;
                    } else {
                        let since = *dead_since.get_or_insert(now);
                        if now.duration_since(since) >= Duration::from_secs(1) {
                            return Err(WaitFail::Exited(pid));
                        }
                    }
                }
            }
        }
        if now.duration_since(start) >= timeout {
            return Err(last);
        }
        fx.io.sleep(POLL);
    }
}

/// `0.31 ms`, `0.004 s`, `0.05 s`, `2.41 s`: enough digits to see a fast reload; `30 s` for
/// whole seconds.
fn secs(d: Duration) -> String {
    if d.subsec_nanos() == 0 {
        return format!("{} s", d.as_secs());
    }
    let s = d.as_secs_f64();
    if s < 0.001 {
        // The first poll already saw it: "0.000 s" would read as not measured.
        format!("{:.2} ms", s * 1000.0)
    } else if s < 0.1 {
        format!("{s:.3} s")
    } else {
        format!("{s:.2} s")
    }
}

/// Carry out `job.plan`. `rollback` puts the written file(s) back and says what it did;
/// `say` prints one line per step. Never panics; a failure is in [`Outcome::failure`].
pub fn execute(
    job: &Job,
    fx: &Effects,
    rollback: &mut dyn FnMut() -> anyhow::Result<String>,
    say: &mut dyn FnMut(&str),
) -> Outcome {
    match job.plan {
        Plan::Nothing => {
            say("the engine already uses these registry settings");
            Outcome {
                verified: true,
                ..Outcome::none()
            }
        }
        Plan::NotRunning => {
            let what = match job.pidfile {
                Some(p) => format!("no dockerd runs with the pid in {}", p.display()),
                None => format!("no Docker engine answers on {}", fx.engine.endpoint()),
            };
            say(&format!(
                "{what}: the change takes effect when dockerd starts"
            ));
            Outcome::none()
        }
        Plan::Manual { why, steps } => {
            say(&format!(
                "the change needs a restart ({why}), which dockcfg cannot do here: {steps}"
            ));
            Outcome {
                method: Method::Manual,
                ..Outcome::none()
            }
        }
        Plan::Impossible(why) => Outcome {
            failure: Some(why.clone()),
            ..Outcome::none()
        },
        Plan::Reload(reload) => do_reload(job, reload, fx, rollback, say),
        Plan::Restart {
            command,
            why,
            stops,
        } => do_restart(job, command, why, *stops, fx, rollback, say),
    }
}

/// Send the reload; `Ok(how)` names it for messages ("dockerd (pid 812) with SIGHUP").
fn send_reload(reload: &Reload, fx: &Effects, timeout: Duration) -> Result<String, String> {
    match reload {
        Reload::Signal { pid } => fx
            .runner
            .signal(*pid, Sig::Hup)
            .map(|_| format!("dockerd (pid {pid}) with SIGHUP"))
            .map_err(|e| format!("could not send SIGHUP to dockerd (pid {pid}): {e}")),
        Reload::Command(cmd) => match fx.runner.run(cmd, timeout) {
            Ok(out) if out.success() => Ok(format!("docker with `{}`", command_line(cmd))),
            Ok(out) => Err(format!(
                "`{}` failed ({}){}",
                command_line(cmd),
                exit_text(&out),
                last_line(&out.stderr)
            )),
            Err(e) => Err(format!("could not run `{}`: {e}", command_line(cmd))),
        },
        Reload::WindowsEvent { pid } => Err(format!(
            "reloading the Windows engine (pid {pid}) is not supported by this build"
        )),
        Reload::Unsupported => Err("this engine cannot be reloaded".into()),
    }
}

fn exit_text(out: &crate::runner::CmdOutput) -> String {
    match (out.timed_out, out.code) {
        (true, _) => "timed out".into(),
        (false, Some(c)) => format!("exit {c}"),
        (false, None) => "killed by a signal".into(),
    }
}

fn last_line(s: &str) -> String {
    s.lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .map(|l| format!(": {}", l.trim()))
        .unwrap_or_default()
}

fn show_log(job: &Job, mark: &LogMark, fx: &Effects, say: &mut dyn FnMut(&str)) -> Vec<String> {
    match read_log(mark, fx) {
        Some(lines) => {
            let picked = pick_log_lines(&lines, LOG_LINES);
            if picked.is_empty() {
                say("the engine logged nothing about it");
            } else {
                let from = match &job.service.logs {
                    LogSource::Journal { unit, user: false } => format!("journalctl -u {unit}"),
                    LogSource::Journal { unit, user: true } => {
                        format!("journalctl --user -u {unit}")
                    }
                    LogSource::File(p) => p.display().to_string(),
                    LogSource::Unknown => "its log".into(),
                };
                say(&format!("the engine's log ({from}) says:"));
                for l in &picked {
                    say(&format!("  {l}"));
                }
            }
            picked
        }
        None => {
            if matches!(mark, LogMark::Unknown) {
                say("the engine's log is not known here (--log-file PATH names it)");
            }
            Vec::new()
        }
    }
}

fn do_reload(
    job: &Job,
    reload: &Reload,
    fx: &Effects,
    rollback: &mut dyn FnMut() -> anyhow::Result<String>,
    say: &mut dyn FnMut(&str),
) -> Outcome {
    let mark = log_mark(&job.service.logs, fx.io);
    let start = fx.io.now();
    let mut out = Outcome {
        method: Method::Reload,
        ..Outcome::none()
    };
    let failure = match send_reload(reload, fx, job.timeout) {
        Err(e) => e,
        Ok(how) => match wait_engine(fx, Some(job.expected), job.timeout, None) {
            Ok(t) => {
                out.verified = true;
                out.seconds = t.as_secs_f64();
                say(&format!(
                    "reloaded {how}; the engine {} after {}; no container was stopped",
                    describe(job.before, job.expected),
                    secs(t)
                ));
                return out;
            }
            Err(fail) => format!(
                "reloaded {how}, but the engine did not take the new settings within {}: {} \
                 (dockerd only logs a file it refuses on reload)",
                secs(job.timeout),
                fail.explain(&fx.engine.endpoint())
            ),
        },
    };
    out.seconds = fx.io.now().duration_since(start).as_secs_f64();
    say(&failure);
    out.log = show_log(job, &mark, fx, say);
    if !job.written {
        out.failure = Some(
            "the engine did not take the file's settings (dockcfg did not change the file); it \
             keeps its previous ones"
                .into(),
        );
        return out;
    }
    out.failure = Some(match rollback() {
        Err(e) => format!("{failure}; putting the file back failed too: {e:#}"),
        Ok(what) => {
            out.rolled_back = true;
            say(&what);
            let back = Expected::from_view(job.before);
            match send_reload(reload, fx, job.timeout)
                .map_err(|e| e.to_string())
                .and_then(|how| {
                    wait_engine(fx, Some(&back), job.timeout, None)
                        .map(|_| how)
                        .map_err(|f| f.explain(&fx.engine.endpoint()))
                }) {
                Ok(how) => {
                    say(&format!(
                        "reloaded again ({how}): the engine keeps its previous settings"
                    ));
                    "the engine did not take the change, so it was rolled back".to_string()
                }
                Err(e) => format!(
                    "the engine did not take the change; the file was put back, but reloading it \
                     again did not bring the previous settings back: {e}"
                ),
            }
        }
    });
    out
}

#[allow(clippy::too_many_arguments)]
fn do_restart(
    job: &Job,
    command: &CommandSpec,
    why: &str,
    stops: usize,
    fx: &Effects,
    rollback: &mut dyn FnMut() -> anyhow::Result<String>,
    say: &mut dyn FnMut(&str),
) -> Outcome {
    let mut out = Outcome {
        method: Method::Restart,
        ..Outcome::none()
    };
    let old_pid = job.daemon_pid;
    let mark = log_mark(&job.service.logs, fx.io);
    let start = fx.io.now();
    say(&format!(
        "restarting docker with `{}` ({why})",
        command_line(command)
    ));
    let result = restart_once(job, command, fx, Some(job.expected));
    let elapsed = fx.io.now().duration_since(start);
    out.seconds = elapsed.as_secs_f64();
    let failure = match result {
        Ok(t) => {
            out.verified = true;
            out.seconds = t.as_secs_f64();
            let new_pid = job.pidfile.and_then(|p| read_pid(fx.io, p));
            let pids = match (old_pid, new_pid) {
                (Some(a), Some(b)) => format!(" (pid {a} -> {b})"),
                (None, Some(b)) => format!(" (pid {b})"),
                _ => String::new(),
            };
            let stopped = match stops {
                0 => "no running container was stopped".to_string(),
                1 => "1 container was stopped".to_string(),
                n => format!("{n} containers were stopped"),
            };
            say(&format!(
                "restarted docker{pids}; the engine answered after {} and {}; {stopped}",
                secs(t),
                describe(job.before, job.expected)
            ));
            return out;
        }
        Err(e) => e,
    };
    let failure = format!(
        "the engine did not come back healthy within {} after the restart: {failure}",
        secs(job.timeout)
    );
    say(&failure);
    out.log = show_log(job, &mark, fx, say);
    if !job.written {
        out.failure = Some(
            "the engine did not start with the file as it is (dockcfg did not change it); fix \
             the file and start the engine"
                .into(),
        );
        return out;
    }
    out.failure = Some(match rollback() {
        Err(e) => format!(
            "{failure}; putting the file back failed too: {e:#}; the engine may be stopped: \
             check it now"
        ),
        Ok(what) => {
            out.rolled_back = true;
            say(&what);
            if let Some(reset) = &job.service.reset {
                let line = command_line(reset);
                say(&match fx.runner.run(reset, job.timeout) {
                    Ok(o) if o.success() => format!("cleared the service's failed state: `{line}`"),
                    Ok(o) => format!("`{line}` failed ({}); restarting anyway", exit_text(&o)),
                    Err(e) => format!("could not run `{line}`: {e}; restarting anyway"),
                });
            }
            say(&format!(
                "restarting docker with `{}` and the previous file",
                command_line(command)
            ));
            match restart_once(job, command, fx, None) {
                Ok(t) => {
                    let pid = job
                        .pidfile
                        .and_then(|p| read_pid(fx.io, p))
                        .map(|p| format!(" (pid {p})"))
                        .unwrap_or_default();
                    let state = match fx.engine.info() {
                        Ok(i) if view_of(&i.registry) == *job.before => {
                            "with its previous settings".to_string()
                        }
                        Ok(i) => format!("reporting {}", show_view(&view_of(&i.registry))),
                        Err(_) => "answering".to_string(),
                    };
                    say(&format!(
                        "the engine is running again{pid} {state} after {}",
                        secs(t)
                    ));
                    "the engine did not start with the change, so it was rolled back".to_string()
                }
                Err(e) => format!(
                    "the engine did not start with the change, and after the file was put back \
                     it did not come back either: {e}; the engine is probably stopped: check \
                     its status and log now"
                ),
            }
        }
    });
    out
}

/// Run the restart (and what must come before it), then wait for the engine.
fn restart_once(
    job: &Job,
    command: &CommandSpec,
    fx: &Effects,
    want: Option<&Expected>,
) -> Result<Duration, String> {
    let start = fx.io.now();
    for pre in job.before_restart {
        match fx.runner.run(pre, job.timeout) {
            Ok(o) if o.success() => {}
            Ok(o) => {
                return Err(format!(
                    "`{}` failed ({}){}",
                    command_line(pre),
                    exit_text(&o),
                    last_line(&o.stderr)
                ));
            }
            Err(e) => return Err(format!("could not run `{}`: {e}", command_line(pre))),
        }
    }
    // A restart command's success means little (sysvinit scripts say "done" and the daemon
    // dies a moment later): the engine's answer decides. Its failure is final, though.
    match fx
        .runner
        .run(command, job.timeout.max(Duration::from_secs(60)))
    {
        Ok(o) if o.success() => {}
        Ok(o) => {
            return Err(format!(
                "`{}` failed ({}){}",
                command_line(command),
                exit_text(&o),
                last_line(&format!("{}\n{}", o.stdout, o.stderr))
            ));
        }
        Err(e) => return Err(format!("could not run `{}`: {e}", command_line(command))),
    }
    let left = job
        .timeout
        .saturating_sub(fx.io.now().duration_since(start));
    wait_engine(fx, want, left, job.pidfile)
        .map(|_| fx.io.now().duration_since(start))
        .map_err(|f| f.explain(&fx.engine.endpoint()))
}

#[cfg(test)]
mod tests;

//! The apply step every writing command shares. Before anything is written: find the engine,
//! ask it, decide (an error here leaves every file as it was), and ask before a restart that
//! would stop containers. After the write: reload or restart, verify, roll back on failure.

use std::io::BufRead as _;
use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use serde_json::json;

use crate::apply::{self, Change, EngineState, Expected, Outcome, Plan, RegistryView};
use crate::edit::FileKind;
use crate::engine::{self, Engine as _, HttpEngine};
use crate::host::{CommandSpec, Detected};
use crate::output::Messages;
use crate::settings::{Env, RegistryKey, Settings};
use crate::store::{ConfigFile, Lock, WriteReport};

/// What is applied: the file written, and what its change means for the engine.
#[derive(Debug, Clone)]
pub(crate) struct Request {
    pub target: PathBuf,
    pub kind: FileKind,
    pub change: Change,
    pub expected: Expected,
    /// Commands before each restart (`systemctl daemon-reload` after a unit file changed).
    pub before_restart: Vec<CommandSpec>,
}

impl Request {
    /// The request for the target file going from `old` to `new` (`None`: no file).
    /// With nothing to apply (`--no-apply`, `--dry-run`, `--root`) what the change means for
    /// the engine is not worked out: [`prepare`] skips before it would read it.
    pub fn for_file(
        settings: &Settings,
        kind: FileKind,
        old: Option<&str>,
        new: Option<&str>,
    ) -> Request {
        let applies = settings.apply.enabled;
        Request {
            target: settings.target.clone(),
            kind,
            change: if applies {
                apply::file_change(kind, old, new)
            } else {
                Change::default()
            },
            expected: if applies {
                apply::expected(kind, old, new)
            } else {
                Expected::default()
            },
            before_restart: Vec::new(),
        }
    }
}

/// The engine found and the decision, ready to carry out after the write.
pub(crate) struct Prepared {
    pub plan: Plan,
    detected: Detected,
    engine: HttpEngine,
    expected: Expected,
    before: RegistryView,
    before_restart: Vec<CommandSpec>,
}

/// Why nothing is applied, for the JSON output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Skipped {
    NoApply,
    DryRun,
    Root,
    /// No engine runs and none reads the file named with --file.
    NoEngine,
    /// The engine reads another file.
    OtherFile(String),
}

impl Skipped {
    fn reason(&self) -> String {
        match self {
            Skipped::NoApply => "--no-apply".into(),
            Skipped::DryRun => "--dry-run".into(),
            Skipped::Root => "--root".into(),
            Skipped::NoEngine => "no engine found".into(),
            Skipped::OtherFile(why) => why.clone(),
        }
    }
}

/// [`prepare`]'s answer.
pub(crate) enum Step {
    Skip(Skipped),
    Ready(Box<Prepared>),
}

fn same_file(a: &Path, b: &Path) -> bool {
    let canon = |p: &Path| {
        std::fs::canonicalize(p).ok().or_else(|| {
            let parent = std::fs::canonicalize(p.parent()?).ok()?;
            Some(parent.join(p.file_name()?))
        })
    };
    match (canon(a), canon(b)) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

/// What the engine should show once a key is gone from daemon.json: not an empty list when the
/// service still passes the setting as flags (`--insecure-registry` in DOCKER_OPTS or a unit):
/// the engine then runs with those.
fn with_flag_values(mut expected: Expected, detected: &Detected) -> Expected {
    for key in [RegistryKey::Insecure, RegistryKey::Mirrors] {
        let from_flags: Vec<String> = detected
            .flag_sources
            .iter()
            .filter(|s| s.origin != crate::host::FlagOrigin::RunningCmdline)
            .flat_map(|s| s.flags.iter())
            .filter(|f| f.name == key.flag())
            .filter_map(|f| f.value.clone())
            .collect();
        if from_flags.is_empty() {
            continue;
        }
        let slot = match key {
            RegistryKey::Insecure => &mut expected.insecure,
            RegistryKey::Mirrors => &mut expected.mirrors,
        };
        if slot.as_ref().is_some_and(Vec::is_empty) {
            *slot = Some(from_flags);
        }
    }
    expected
}

/// Find the engine and decide how to apply `req`, before anything is written. Fails (nothing
/// written) when the engine cannot be asked or the change cannot be applied.
pub(crate) fn prepare(
    settings: &Settings,
    env: &Env,
    detected: &Detected,
    req: Request,
    msgs: &Messages,
) -> Result<Step> {
    if !settings.apply.enabled {
        return Ok(Step::Skip(if settings.dry_run {
            Skipped::DryRun
        } else if settings.root.is_some() {
            Skipped::Root
        } else {
            Skipped::NoApply
        }));
    }
    let detected = detected.clone();
    let mut req = req;
    if req.kind == FileKind::DaemonJson {
        req.expected = with_flag_values(req.expected, &detected);
    }
    // The dockerd named by --pidfile does not run: whatever else answers is not it, and which
    // file it reads is unknown until it starts.
    let pidfile_dead = settings.apply.pidfile.is_some() && detected.daemon.is_none();
    let feeds = pidfile_dead
        || match req.kind {
            FileKind::DaemonJson => same_file(&req.target, &detected.config_file),
            FileKind::OptsFile => detected.flag_sources.iter().any(|s| {
                s.origin == crate::host::FlagOrigin::OptsFile && same_file(&s.path, &req.target)
            }),
        };
    if !feeds {
        // A file no engine reads is just a file: say so only when an engine runs (the user may
        // have meant its file) or when the file was not named with --file.
        if detected.daemon.is_none() && settings.file_given {
            return Ok(Step::Skip(Skipped::NoEngine));
        }
        let who = match &detected.daemon {
            Some(d) => format!("dockerd (pid {})", d.pid),
            None => "the engine".into(),
        };
        let why = format!(
            "{who} reads {} ({}), not {}: the running engine is left as it is",
            detected.config_file.display(),
            detected.config_reason,
            req.target.display()
        );
        msgs.note(&why);
        return Ok(Step::Skip(Skipped::OtherFile(why)));
    }
    let endpoint = engine::choose_endpoint(
        settings.apply.host.as_deref(),
        &env.view,
        &detected.engine_host,
    )
    .map_err(|e| {
        anyhow::anyhow!("{e}; nothing was written (--no-apply writes without asking the engine)")
    })?;
    let engine = HttpEngine::new(endpoint);
    let daemon_pid = detected.daemon.as_ref().map(|d| d.pid);
    let state = match if pidfile_dead { Ok(()) } else { engine.ping() } {
        Ok(()) if pidfile_dead => EngineState::Down,
        Ok(()) => {
            let info = engine
                .info()
                .map_err(|e| anyhow::anyhow!("{e}; nothing was written"))?;
            let containers = engine
                .running_containers()
                .map_err(|e| anyhow::anyhow!("{e}; nothing was written"))?;
            EngineState::Up {
                version: info.server_version,
                live_restore: info.live_restore,
                containers,
                registry: apply::view_of(&info.registry),
            }
        }
        Err(e) if e.is_down() => {
            if let Some(pid) = daemon_pid {
                bail!(
                    "dockerd (pid {pid}) runs, but nothing answers on {}: give its socket with -H; \
                     nothing was written",
                    engine.endpoint()
                );
            }
            EngineState::Down
        }
        Err(e) => bail!("{e}; nothing was written (--no-apply writes without asking the engine)"),
    };
    let before = match &state {
        EngineState::Up { registry, .. } => registry.clone(),
        EngineState::Down => RegistryView::default(),
    };
    let mut change = req.change;
    // A DOCKER_OPTS file's values reach the engine only through a restart.
    if req.kind == FileKind::OptsFile
        && change.is_empty()
        && !apply::matches(&before, &req.expected)
    {
        change.flags = true;
    }
    let plan = apply::plan(&apply::PlanInput {
        change: &change,
        service: &detected.service,
        engine: &state,
        expected: &req.expected,
        force_restart: settings.apply.force_restart,
        daemon_pid,
    });
    if let Plan::Impossible(why) = &plan {
        bail!("{why}");
    }
    Ok(Step::Ready(Box::new(Prepared {
        plan,
        detected,
        engine,
        expected: req.expected,
        before,
        before_restart: req.before_restart,
    })))
}

/// Before a restart that stops running containers: go on with --yes, ask on a terminal,
/// refuse otherwise. Nothing is written yet when this fails.
pub(crate) fn confirm(settings: &Settings, step: &Step, msgs: &Messages) -> Result<()> {
    let Step::Ready(p) = step else {
        return Ok(());
    };
    let Plan::Restart { stops, .. } = &p.plan else {
        return Ok(());
    };
    if *stops == 0 {
        return Ok(());
    }
    let text = format!(
        "restarting dockerd stops {stops} running container{} (live-restore is off)",
        if *stops == 1 { "" } else { "s" }
    );
    if settings.yes {
        msgs.info(&format!("{text}; going ahead (--yes)"));
        return Ok(());
    }
    if !settings.may_ask {
        bail!(
            "{text}: run again with --yes to go ahead (or turn on live-restore first); nothing \
             was written"
        );
    }
    eprint!("{text}. Restart now? [y/N] ");
    let mut answer = String::new();
    let _ = std::io::stdin().lock().read_line(&mut answer);
    if matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes") {
        Ok(())
    } else {
        bail!("not restarted; nothing was written")
    }
}

/// [`run`] after one file's write: a failed apply puts the file back as it was before that write
/// (`lock` and `report` are `None` when nothing was written).
pub(crate) fn run_for_file(
    settings: &Settings,
    step: &Step,
    file: &ConfigFile,
    lock: Option<&Lock>,
    report: Option<&WriteReport>,
    msgs: &Messages,
) -> Outcome {
    let written = report.is_some_and(|r| r.changed);
    let mut rollback = || -> Result<String> {
        if let (Some(lock), Some(report)) = (lock, report) {
            file.rollback(lock, report)?;
        }
        Ok(format!("put {} back as it was", file.label()))
    };
    run(settings, step, written, &mut rollback, msgs)
}

/// Carry out the prepared apply after the write. `written`: dockcfg changed the file (so a
/// failure puts it back with `rollback`).
pub(crate) fn run(
    settings: &Settings,
    step: &Step,
    written: bool,
    rollback: &mut dyn FnMut() -> Result<String>,
    msgs: &Messages,
) -> Outcome {
    let Step::Ready(p) = step else {
        return Outcome::none();
    };
    let job = apply::Job {
        plan: &p.plan,
        service: &p.detected.service,
        expected: &p.expected,
        before: &p.before,
        timeout: settings.apply.timeout,
        // Where the new pid appears after a restart: --pidfile, the service manager's, else the
        // running daemon's own.
        pidfile: settings
            .apply
            .pidfile
            .as_deref()
            .or(p.detected.service.pidfile.as_deref())
            .or(p
                .detected
                .daemon
                .as_ref()
                .and_then(|d| d.pidfile.as_deref())),
        daemon_pid: p.detected.daemon.as_ref().map(|d| d.pid),
        before_restart: &p.before_restart,
        written,
    };
    let fx = apply::Effects {
        runner: &crate::runner::SystemRunner,
        engine: &p.engine,
        io: &apply::SystemIo,
    };
    apply::execute(&job, &fx, rollback, &mut |line: &str| msgs.info(line))
}

/// The "apply" object of the JSON output.
pub(crate) fn outcome_json(step: &Step, outcome: &Outcome) -> serde_json::Value {
    let mut v = json!({
        "method": outcome.method.to_string(),
        "verified": outcome.verified,
        "seconds": (outcome.seconds * 1000.0).round() / 1000.0,
        "rolled_back": outcome.rolled_back,
    });
    if let (Step::Skip(s), Some(obj)) = (step, v.as_object_mut()) {
        obj.insert("skipped".into(), json!(s.reason()));
    }
    if let (Step::Ready(p), Some(obj)) = (step, v.as_object_mut())
        && matches!(p.plan, Plan::NotRunning)
    {
        obj.insert("skipped".into(), json!("the engine is not running"));
    }
    if let Some(obj) = v.as_object_mut() {
        if let Some(f) = &outcome.failure {
            obj.insert("error".into(), json!(f));
        }
        if !outcome.log.is_empty() {
            obj.insert("log".into(), json!(outcome.log));
        }
    }
    v
}

//! dockcfg's verdict on every fixtures/validate case against the real engines:
//! - 20.10: does Debian 12's dockerd 20.10.24 start with the file? (a private daemon per case,
//!   tests/support; 20.10 has no `--validate`, and a real start is the only proof);
//! - 26.1: `dockerd --validate` of Debian 13's 26.1.5, and, when that passes, a real start too,
//!   since --validate passes files the daemon then refuses (registry values before 28.3,
//!   runtimes from 25.0, ...).
//!
//! The daemon runs with the harness's flags (`--data-root`, `-H`, `--config-file`, ... see
//! tests/support/dockerd.rs) plus the case's `# flags:`. dockcfg is given the same flags as a flag
//! source, so a case whose file sets a key the harness passes as a flag (`data-root`, `hosts`,
//! `config-file`) is a real flag/file conflict on both sides. Where a case sets `storage-driver`
//! or `exec-opts` the harness's flag is left out (for `exec-opts` also `--cgroup-parent`), so the
//! file's value is really used.
//!
//! Each case and engine ends as `agree`, or `stricter` when dockcfg refuses what dockerd accepts
//! and the case says why (`# stricter ENGINE: ...`); anything else fails the test. The table is
//! printed to stderr and written to target/differential-table.txt. Needs root and the engines
//! from .ci/install-engines; skipped with a reason otherwise, failed under CI.

mod support;
mod validate_cases;

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use dockcfg::host::{DaemonFlag, FlagOrigin, FlagSource};
use support::{Dockerd, DockerdOpts};
use validate_cases::{Case, ENGINES, judge, load};

/// Daemons started at once: they mostly wait for their containerd, so more than the cores.
const WORKERS: usize = 6;

/// The harness's flags (tests/support/dockerd.rs `default_flags`), by name, for dockcfg.
const HARNESS_FLAGS: &[&str] = &[
    "pidfile",
    "host",
    "config-file",
    "data-root",
    "exec-root",
    "storage-driver",
    "bridge",
    "iptables",
    "ip6tables",
    "exec-opt",
    "cgroup-parent",
];

/// What one engine made of one case.
#[derive(Debug, Clone)]
struct Outcome {
    /// `dockerd --validate` (26.1 only): passed?
    validate: Option<bool>,
    /// Did dockerd accept the file (validate and start)?
    accepted: bool,
    /// dockerd's own words when it refused.
    reason: String,
}

/// The harness flags the daemon gets for `case` (some left out so the file's value is used).
fn omitted(case: &Case) -> Vec<&'static str> {
    let text = String::from_utf8_lossy(&case.bytes);
    let mut out = Vec::new();
    if text.contains("\"storage-driver\"") {
        out.push("storage-driver");
    }
    if text.contains("\"exec-opts\"") {
        // A systemd cgroup driver wants a *.slice parent: the harness's would not do.
        out.push("exec-opt");
        out.push("cgroup-parent");
    }
    out
}

fn harness_source(case: &Case) -> FlagSource {
    let left_out = omitted(case);
    FlagSource {
        origin: FlagOrigin::RunningCmdline,
        path: PathBuf::from("the test harness"),
        flags: HARNESS_FLAGS
            .iter()
            .filter(|f| !left_out.contains(f))
            .map(|f| DaemonFlag {
                name: f.to_string(),
                value: Some("x".into()),
            })
            .collect(),
    }
}

/// The line of a daemon's log (or error) that says why it stopped.
fn reason(text: &str) -> String {
    let line = text
        .lines()
        .rev()
        .find(|l| {
            l.contains("unable to configure")
                || l.contains("failed to start daemon")
                || l.contains("Error starting daemon")
                || l.contains("level=fatal")
        })
        .or_else(|| text.lines().find(|l| !l.trim().is_empty()))
        .unwrap_or("")
        .trim();
    // Drop logrus's time=... level=... prefix and the temp path.
    let line = line
        .split_once("msg=\"")
        .map_or(line, |(_, m)| m.trim_end_matches('"'));
    let line = match line.find(": ") {
        Some(i) if line.starts_with("unable to configure the Docker daemon with file") => {
            line.get(i + 2..).unwrap_or(line)
        }
        _ => line,
    };
    line.chars().take(160).collect()
}

fn run_validate(bin: &Path, config: &Path, case: &Case) -> (bool, String) {
    let out = Command::new(bin)
        .arg("--validate")
        .arg("--config-file")
        .arg(config)
        .args(&case.flags)
        .stdin(Stdio::null())
        .output();
    match out {
        Ok(o) => {
            let text = format!(
                "{}{}",
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            );
            (o.status.success(), reason(&text))
        }
        Err(e) => (false, format!("could not run {}: {e}", bin.display())),
    }
}

fn run_start(bin: &Path, config: &Path, case: &Case) -> (bool, String) {
    let mut opts = DockerdOpts::new()
        .binary(bin)
        .omit_flag("--config-file")
        .arg(format!("--config-file={}", config.display()))
        .timeout(Duration::from_secs(40));
    for f in omitted(case) {
        opts = opts.omit_flag(&format!("--{f}"));
    }
    for w in &case.flags {
        opts = opts.arg(w.clone());
    }
    match Dockerd::start(opts) {
        Ok(d) => {
            drop(d);
            (true, String::new())
        }
        Err(e) => (false, reason(&format!("{e:#}"))),
    }
}

fn judge_real(engine: &str, bin: &Path, case: &Case, scratch: &Path) -> Outcome {
    let config = scratch.join(format!("{}-{engine}.json", case.name));
    if let Err(e) = std::fs::write(&config, &case.bytes) {
        return Outcome {
            validate: None,
            accepted: false,
            reason: format!("writing {}: {e}", config.display()),
        };
    }
    let validate = (engine != "20.10").then(|| run_validate(bin, &config, case));
    if let Some((false, why)) = &validate {
        return Outcome {
            validate: Some(false),
            accepted: false,
            reason: why.clone(),
        };
    }
    let (accepted, reason) = run_start(bin, &config, case);
    Outcome {
        validate: validate.map(|(ok, _)| ok),
        accepted,
        reason,
    }
}

fn word(accepted: bool) -> &'static str {
    if accepted { "accept" } else { "refuse" }
}

#[test]
fn dockcfg_agrees_with_the_real_engines() {
    support::require!("dockerd", "umount");
    let Some(d26) = support::dockerd_26() else {
        let why = "dockerd 26.1 is not installed (run .ci/install-engines as root)";
        assert!(!support::in_ci(), "CI is set: {why}");
        let _ = writeln!(std::io::stderr(), "SKIPPED differential: {why}");
        return;
    };
    let d20 = support::system_dockerd();
    let started = Instant::now();
    let cases = load();
    let scratch = tempfile::tempdir().expect("scratch dir");

    // Every (case, engine) job, done by a few workers; each starts and stops its own daemons
    // on its own thread (the harness ties daemons to the thread that started them).
    let jobs: Mutex<VecDeque<(usize, usize)>> = Mutex::new(
        (0..cases.len())
            .flat_map(|c| (0..ENGINES.len()).map(move |e| (c, e)))
            .collect(),
    );
    let results: Mutex<Vec<Option<Outcome>>> = Mutex::new(vec![None; cases.len() * ENGINES.len()]);
    std::thread::scope(|s| {
        for _ in 0..WORKERS {
            s.spawn(|| {
                while let Some((c, e)) = jobs.lock().ok().and_then(|mut j| j.pop_front()) {
                    let (engine, _) = ENGINES[e];
                    let bin = if engine == "20.10" {
                        d20.clone()
                    } else {
                        d26.clone()
                    };
                    let outcome = judge_real(engine, &bin, &cases[c], scratch.path());
                    if let Ok(mut r) = results.lock() {
                        r[c * ENGINES.len() + e] = Some(outcome);
                    }
                }
            });
        }
    });
    let results = results.into_inner().expect("results");

    let mut table = String::new();
    let mut failures = Vec::new();
    let mut counts = [(0usize, 0usize); 2];
    let mut validate_missed = Vec::new();
    let _ = writeln!(
        table,
        "{:<42} | {:<7} {:<7} {:<9} | {:<9} {:<7} {:<7} {:<9}",
        "case", "20.10", "dockcfg", "", "validate", "26.1", "dockcfg", ""
    );
    let mut reasons = String::new();
    for (ci, case) in cases.iter().enumerate() {
        let mut row = format!("{:<42} |", case.name);
        for (ei, (engine, build)) in ENGINES.iter().enumerate() {
            let Some(real) = results[ci * ENGINES.len() + ei].clone() else {
                failures.push(format!("{} on {engine}: no result", case.name));
                continue;
            };
            let report = judge(case, engine, *build, &[harness_source(case)]);
            let ours = !report.has_errors();
            let conflict = report.diagnostics.iter().any(|d| d.code == "flag-conflict");
            let status = match (ours == real.accepted, case.stricter_for(engine)) {
                (true, Some(_)) if !conflict => {
                    failures.push(format!(
                        "{} on {engine}: marked stricter, but dockerd refused it too: {}",
                        case.name, real.reason
                    ));
                    "STRICTER?"
                }
                (true, _) => {
                    counts[ei].0 += 1;
                    "agree"
                }
                (false, Some(_)) if !ours && real.accepted => {
                    counts[ei].1 += 1;
                    "stricter"
                }
                (false, _) => {
                    failures.push(format!(
                        "{} on {engine}: dockerd {}s it, dockcfg {}s it\n    dockerd: {}\n    dockcfg: {}",
                        case.name,
                        word(real.accepted),
                        word(ours),
                        real.reason,
                        report
                            .diagnostics
                            .iter()
                            .map(|d| format!("{} {}", d.code, d.message))
                            .collect::<Vec<_>>()
                            .join(" | ")
                    ));
                    "DISAGREE"
                }
            };
            if let Some(v) = real.validate {
                let _ = write!(row, " {:<9}", if v { "pass" } else { "fail" });
                if v && !real.accepted {
                    validate_missed.push(format!("{}: {}", case.name, real.reason));
                }
            }
            let _ = write!(
                row,
                " {:<7} {:<7} {:<9} |",
                word(real.accepted),
                word(ours),
                status
            );
            if !real.accepted {
                let _ = writeln!(reasons, "  {:<42} {engine:<5} {}", case.name, real.reason);
            }
        }
        let _ = writeln!(table, "{}", row.trim_end_matches(" |"));
    }
    let _ = writeln!(
        table,
        "\n{} cases in {:.0?}. 20.10: {} agree, {} stricter. 26.1: {} agree, {} stricter.",
        cases.len(),
        started.elapsed(),
        counts[0].0,
        counts[0].1,
        counts[1].0,
        counts[1].1
    );
    let _ = writeln!(
        table,
        "26.1 `dockerd --validate` passed {} file(s) that the daemon then refused:\n  {}",
        validate_missed.len(),
        validate_missed.join("\n  ")
    );
    let _ = writeln!(table, "\nWhat dockerd said when it refused:\n{reasons}");
    let _ = writeln!(std::io::stderr(), "{table}");
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/differential-table.txt");
    let _ = std::fs::write(out, &table);
    assert!(
        failures.is_empty(),
        "{} disagreement(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

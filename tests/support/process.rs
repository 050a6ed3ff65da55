//! Processes the harness starts: spawn (tied to the test thread), stop by pid, check liveness, poll, time.

use std::io;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, ExitStatus};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

/// Spawns `cmd` so that the child gets SIGTERM when the spawning thread ends (`PR_SET_PDEATHSIG`).
/// A test killed without unwinding (timeout, SIGKILL) thus leaves no daemon behind.
pub fn spawn_tied(cmd: &mut Command) -> io::Result<Child> {
    // SAFETY: the closure runs between fork and exec and only calls prctl(2), which is async-signal-safe.
    unsafe {
        cmd.pre_exec(|| {
            nix::sys::prctl::set_pdeathsig(Signal::SIGTERM).map_err(io::Error::from)?;
            Ok(())
        });
    }
    cmd.spawn()
}

/// Sends `sig` to `pid`. Errors when the process does not exist.
pub fn signal(pid: u32, sig: Signal) -> io::Result<()> {
    let pid =
        i32::try_from(pid).map_err(|_| io::Error::other(format!("pid {pid} out of range")))?;
    kill(Pid::from_raw(pid), sig).map_err(io::Error::from)
}

/// Stops our own child: SIGTERM, wait up to `grace`, then SIGKILL, then reap. Returns how it ended.
pub fn stop_child(child: &mut Child, grace: Duration) -> io::Result<ExitStatus> {
    if let Some(status) = child.try_wait()? {
        return Ok(status);
    }
    let _ = signal(child.id(), Signal::SIGTERM);
    let deadline = Instant::now() + grace;
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait()? {
            return Ok(status);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    eprintln!(
        "harness: pid {} ignored SIGTERM for {grace:?}, sending SIGKILL",
        child.id()
    );
    let _ = child.kill();
    child.wait()
}

/// Stops a process that is not our child (found by pid): SIGTERM, wait up to `grace`, then SIGKILL.
/// Returns false when it was still there after SIGKILL and another `grace`.
pub fn stop_pid(pid: u32, grace: Duration) -> bool {
    let Some(id) = ProcessId::of(pid) else {
        return true;
    };
    let _ = signal(pid, Signal::SIGTERM);
    if wait_until(grace, Duration::from_millis(20), || {
        (!id.is_alive()).then_some(())
    })
    .is_some()
    {
        return true;
    }
    let _ = signal(pid, Signal::SIGKILL);
    wait_until(grace, Duration::from_millis(20), || {
        (!id.is_alive()).then_some(())
    })
    .is_some()
}

/// A process identified by pid *and* start time, so a recycled pid is never mistaken for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProcessId {
    /// The pid.
    pub pid: u32,
    /// Start time in clock ticks since boot (field 22 of /proc/PID/stat).
    pub start_ticks: u64,
}

impl ProcessId {
    /// The process running now under `pid`, if any (zombies count as gone).
    pub fn of(pid: u32) -> Option<Self> {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        let (state, start_ticks) = parse_stat(&stat)?;
        (state != 'Z' && state != 'X').then_some(Self { pid, start_ticks })
    }

    /// True while this very process (same pid, same start time) is running.
    pub fn is_alive(&self) -> bool {
        Self::of(self.pid) == Some(*self)
    }
}

/// State letter and start time from the text of /proc/PID/stat. The command name (field 2) may hold
/// spaces and parentheses, so fields are counted from its closing parenthesis.
pub fn parse_stat(stat: &str) -> Option<(char, u64)> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace();
    let state = fields.next()?.chars().next()?;
    // After the state (field 3), starttime is field 22: 18 more fields to skip.
    let start = fields.nth(18)?.parse().ok()?;
    Some((state, start))
}

/// Pids of every process whose command line contains `needle` (e.g. a test's temp dir).
pub fn pids_with_cmdline_containing(needle: &str) -> Vec<u32> {
    let me = std::process::id();
    proc_pids()
        .into_iter()
        .filter(|&pid| pid != me)
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|raw| {
                String::from_utf8_lossy(&raw)
                    .replace('\0', " ")
                    .contains(needle)
            })
        })
        .collect()
}

/// Pids of every process in a cgroup whose path contains `needle` (e.g. `/dcfg-xyz/`).
pub fn pids_in_cgroup_containing(needle: &str) -> Vec<u32> {
    proc_pids()
        .into_iter()
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/cgroup")).is_ok_and(|c| c.contains(needle))
        })
        .collect()
}

fn proc_pids() -> Vec<u32> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .collect()
}

/// Calls `probe` every `interval` until it returns `Some`, or `timeout` passes (then `None`).
/// `probe` runs at least once.
pub fn wait_until<T>(
    timeout: Duration,
    interval: Duration,
    mut probe: impl FnMut() -> Option<T>,
) -> Option<T> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = probe() {
            return Some(v);
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(interval);
    }
}

/// Prints how long each step of a test took, to stderr (`cargo test -- --nocapture` shows it).
pub struct Timer {
    name: String,
    start: Instant,
    last: Instant,
}

impl Timer {
    /// Starts timing the test or scenario `name`.
    pub fn start(name: &str) -> Self {
        let now = Instant::now();
        Self {
            name: name.to_string(),
            start: now,
            last: now,
        }
    }

    /// Prints the time since the previous lap (and since the start) under the label `step`.
    pub fn lap(&mut self, step: &str) {
        let now = Instant::now();
        eprintln!(
            "[time] {}: {step}: {:.2}s (total {:.2}s)",
            self.name,
            (now - self.last).as_secs_f64(),
            (now - self.start).as_secs_f64()
        );
        self.last = now;
    }

    /// Time since the start.
    pub fn total(&self) -> Duration {
        self.start.elapsed()
    }
}

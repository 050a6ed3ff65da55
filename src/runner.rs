//! The one place that runs system commands and sends signals. Everything else asks a [`Runner`],
//! so detection and apply logic are tested with [`Recorder`] (recorded calls, scripted answers)
//! where no real system exists, and with [`SystemRunner`] against a real dockerd.
//! No command ever goes through a shell.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::{self, Read as _};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::host::CommandSpec;

/// What a finished command left behind.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CmdOutput {
    /// Exit code; `None` when killed by a signal or timed out.
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub timed_out: bool,
}

impl CmdOutput {
    pub fn success(&self) -> bool {
        self.code == Some(0)
    }
}

/// Signals dockcfg sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sig {
    /// Reload the configuration (dockerd re-reads daemon.json).
    Hup,
    /// Is the process there? (signal 0: nothing is sent; a zombie counts as gone)
    Probe,
}

/// Runs commands and sends signals.
pub trait Runner {
    /// Run `cmd` (no shell), waiting at most `timeout`; a command that is not found is an
    /// `io::ErrorKind::NotFound` error.
    fn run(&self, cmd: &CommandSpec, timeout: Duration) -> io::Result<CmdOutput>;
    /// Send `sig` to `pid`.
    fn signal(&self, pid: u32, sig: Sig) -> io::Result<()>;
}

/// The real thing.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemRunner;

impl Runner for SystemRunner {
    fn run(&self, cmd: &CommandSpec, timeout: Duration) -> io::Result<CmdOutput> {
        let (program, args) = cmd
            .argv
            .split_first()
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "empty command"))?;
        let mut child = Command::new(program)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        // Read both pipes on threads so a chatty command cannot block on a full pipe.
        let mut out_pipe = child.stdout.take();
        let mut err_pipe = child.stderr.take();
        let out_reader = std::thread::spawn(move || {
            let mut s = Vec::new();
            if let Some(p) = out_pipe.as_mut() {
                let _ = p.read_to_end(&mut s);
            }
            s
        });
        let err_reader = std::thread::spawn(move || {
            let mut s = Vec::new();
            if let Some(p) = err_pipe.as_mut() {
                let _ = p.read_to_end(&mut s);
            }
            s
        });
        let deadline = Instant::now() + timeout;
        let mut timed_out = false;
        let status = loop {
            if let Some(st) = child.try_wait()? {
                break Some(st);
            }
            if Instant::now() >= deadline {
                // Our own child, by its handle: never anything else.
                let _ = child.kill();
                let _ = child.wait();
                timed_out = true;
                break None;
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        let stdout = out_reader.join().unwrap_or_default();
        let stderr = err_reader.join().unwrap_or_default();
        Ok(CmdOutput {
            code: status.and_then(|s| s.code()),
            stdout: String::from_utf8_lossy(&stdout).into_owned(),
            stderr: String::from_utf8_lossy(&stderr).into_owned(),
            timed_out,
        })
    }

    fn signal(&self, pid: u32, sig: Sig) -> io::Result<()> {
        use nix::sys::signal::{Signal, kill};
        use nix::unistd::Pid;
        let raw = i32::try_from(pid)
            .ok()
            .filter(|p| *p > 0)
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, format!("bad pid {pid}")))?;
        let signal = match sig {
            Sig::Hup => Some(Signal::SIGHUP),
            Sig::Probe => None,
        };
        kill(Pid::from_raw(raw), signal).map_err(io::Error::from)?;
        // A daemon that exited but is not reaped yet (its parent is init, which may be slow)
        // still takes signal 0: it is gone all the same.
        if sig == Sig::Probe
            && std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .ok()
                .and_then(|s| proc_state(&s))
                .is_some_and(|c| c == 'Z' || c == 'X')
        {
            return Err(io::Error::from_raw_os_error(nix::libc::ESRCH));
        }
        Ok(())
    }
}

/// The state letter of a /proc/PID/stat line (the command name may hold spaces and parentheses).
fn proc_state(stat: &str) -> Option<char> {
    stat.get(stat.rfind(')')? + 1..)?
        .trim_start()
        .chars()
        .next()
}

/// One call a [`Recorder`] saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Call {
    Run(Vec<String>),
    Signal(u32, Sig),
}

/// A runner for tests: records every call and answers from a script (in order), or with
/// success and empty output when the script is empty.
#[derive(Debug, Default)]
pub struct Recorder {
    calls: RefCell<Vec<Call>>,
    answers: RefCell<VecDeque<io::Result<CmdOutput>>>,
}

impl Recorder {
    pub fn new() -> Recorder {
        Recorder::default()
    }
    /// Queue the answer for the next `run`.
    pub fn answer(&self, out: io::Result<CmdOutput>) -> &Self {
        self.answers.borrow_mut().push_back(out);
        self
    }
    /// The calls so far.
    pub fn calls(&self) -> Vec<Call> {
        self.calls.borrow().clone()
    }
    /// The commands run so far, as lines (`systemctl reload docker`).
    pub fn command_lines(&self) -> Vec<String> {
        self.calls
            .borrow()
            .iter()
            .map(|c| match c {
                Call::Run(argv) => argv.join(" "),
                Call::Signal(pid, sig) => format!("signal {sig:?} {pid}"),
            })
            .collect()
    }
}

impl Runner for Recorder {
    fn run(&self, cmd: &CommandSpec, _timeout: Duration) -> io::Result<CmdOutput> {
        self.calls.borrow_mut().push(Call::Run(cmd.argv.clone()));
        self.answers.borrow_mut().pop_front().unwrap_or_else(|| {
            Ok(CmdOutput {
                code: Some(0),
                ..CmdOutput::default()
            })
        })
    }
    fn signal(&self, pid: u32, sig: Sig) -> io::Result<()> {
        self.calls.borrow_mut().push(Call::Signal(pid, sig));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_without_a_shell_and_captures_output() {
        let r = SystemRunner;
        let out = r
            .run(
                &CommandSpec::new(["echo", "a $HOME; b"]),
                Duration::from_secs(5),
            )
            .expect("echo runs");
        assert!(out.success());
        assert_eq!(out.stdout, "a $HOME; b\n");
        let out = r
            .run(
                &CommandSpec::new(["sh", "-c", "echo err >&2; exit 3"]),
                Duration::from_secs(5),
            )
            .expect("sh runs");
        assert_eq!((out.code, out.stderr.as_str()), (Some(3), "err\n"));
    }

    #[test]
    fn missing_commands_and_timeouts() {
        let r = SystemRunner;
        let e = r
            .run(
                &CommandSpec::new(["/nonexistent/dockcfg-x"]),
                Duration::from_secs(1),
            )
            .unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::NotFound);
        let t = Instant::now();
        let out = r
            .run(
                &CommandSpec::new(["sleep", "10"]),
                Duration::from_millis(200),
            )
            .expect("sleep runs");
        assert!(out.timed_out && out.code.is_none());
        assert!(t.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn probe_signal_tells_whether_a_pid_exists() {
        let r = SystemRunner;
        assert!(r.signal(std::process::id(), Sig::Probe).is_ok());
        assert!(r.signal(0, Sig::Probe).is_err());
        // An exited child not reaped yet is a zombie: gone.
        let mut child = Command::new("true").spawn().expect("spawn true");
        let pid = child.id();
        let t = Instant::now();
        while r.signal(pid, Sig::Probe).is_ok() && t.elapsed() < Duration::from_secs(5) {
            std::thread::sleep(Duration::from_millis(10));
        }
        assert!(
            r.signal(pid, Sig::Probe).is_err(),
            "zombie {pid} counts as gone"
        );
        let _ = child.wait();
        assert_eq!(proc_state("42 (a) b (c)) Z 1"), Some('Z'));
        assert_eq!(proc_state("garbage"), None);
    }

    #[test]
    fn recorder_records_and_answers_in_order() {
        let r = Recorder::new();
        r.answer(Ok(CmdOutput {
            code: Some(1),
            ..CmdOutput::default()
        }));
        let a = r.run(
            &CommandSpec::new(["systemctl", "reload", "docker"]),
            Duration::ZERO,
        );
        let b = r.run(
            &CommandSpec::new(["systemctl", "is-active", "docker"]),
            Duration::ZERO,
        );
        r.signal(42, Sig::Hup).expect("recorded");
        assert_eq!(a.expect("scripted").code, Some(1));
        assert!(b.expect("default").success());
        assert_eq!(
            r.command_lines(),
            [
                "systemctl reload docker",
                "systemctl is-active docker",
                "signal Hup 42"
            ]
        );
    }
}

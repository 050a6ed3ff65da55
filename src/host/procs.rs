//! dockerd processes and command lines: `/proc/PID/cmdline` (NUL-separated), which processes
//! are a Docker engine (`dockerd`, `/usr/bin/dockerd`, RHEL's `dockerd-current`,
//! `dockerd.exe`, the old `docker daemon` and `docker -d`), and dockerd's flags in a list of
//! words, named by their long names (`-H` is `host`, `-p` is `pidfile`). No I/O.

use std::path::PathBuf;

use crate::host::paths::base_name;
use crate::host::{DaemonFlag, Process, RunningDaemon};
use crate::opts_file::{long_name_of, takes_value};

/// Split the bytes of `/proc/PID/cmdline` into words (a trailing NUL ends the last word;
/// invalid UTF-8 is replaced).
pub fn split_cmdline(raw: &[u8]) -> Vec<String> {
    let body = raw.strip_suffix(&[0]).unwrap_or(raw);
    if body.is_empty() {
        return Vec::new();
    }
    body.split(|b| *b == 0)
        .map(|w| String::from_utf8_lossy(w).into_owned())
        .collect()
}

/// Program names that are the engine itself.
const DAEMON_NAMES: [&str; 4] = [
    "dockerd",
    "dockerd.exe",
    "dockerd-current",
    "dockerd-latest",
];

/// If `argv` runs the engine, the words that are its flags (after the program, and after
/// `daemon` or `-d` for the old single `docker` binary).
pub fn daemon_args(argv: &[String]) -> Option<&[String]> {
    let (program, rest) = argv.split_first()?;
    let name = base_name(program);
    if DAEMON_NAMES.contains(&name) {
        return Some(rest);
    }
    if matches!(name, "docker" | "docker.exe" | "docker-current") {
        // Docker before 1.12 ran as `docker daemon ...` (1.8-1.11) or `docker -d ...`.
        let first_word = rest.iter().position(|w| !w.starts_with('-'));
        if let Some(i) = first_word.filter(|i| rest.get(*i).is_some_and(|w| w == "daemon")) {
            return rest.get(i + 1..);
        }
        // `-d` counts only before the first command word (`docker run -d` is a client).
        let before_command = rest.get(..first_word.unwrap_or(rest.len())).unwrap_or(rest);
        if before_command.iter().any(|w| w == "-d" || w == "--daemon") {
            return Some(rest);
        }
    }
    None
}

/// Whether a process is a Docker engine (by its command line, else its `comm`).
pub fn is_daemon(p: &Process) -> bool {
    if !p.argv.is_empty() {
        return daemon_args(&p.argv).is_some();
    }
    DAEMON_NAMES.contains(&p.comm.as_str())
}

/// Whether a process is RootlessKit (the parent of a rootless dockerd).
pub fn is_rootlesskit(p: &Process) -> bool {
    let name = p.argv.first().map_or(p.comm.as_str(), |a| base_name(a));
    matches!(name, "rootlesskit" | "docker-rootlesskit") || p.comm == "rootlesskit"
}

/// A flag and the index of the word it starts at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundFlag {
    pub flag: DaemonFlag,
    pub word: usize,
}

/// dockerd's flags in `words`, the way its flag parser (pflag) reads them: `--flag value`,
/// `--flag=value`, `-H value`, `-Hvalue`, `-H=value`, bare booleans; each named by its long
/// name. Words that are not flags are skipped, and so is everything after `--`.
pub fn parse_flags(words: &[String]) -> Vec<FoundFlag> {
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(w) = words.get(i) {
        let word = i;
        i += 1;
        if w == "--" {
            break;
        }
        let mut push = |name: &str, value: Option<String>| {
            out.push(FoundFlag {
                flag: DaemonFlag {
                    name: name.to_string(),
                    value,
                },
                word,
            });
        };
        let take_next = |i: &mut usize| {
            let v = words.get(*i).cloned();
            if v.is_some() {
                *i += 1;
            }
            v
        };
        if let Some(body) = w.strip_prefix("--") {
            match body.split_once('=') {
                Some((n, v)) => push(n, Some(v.to_string())),
                None if body.is_empty() => {}
                None if takes_value(body) => {
                    let v = take_next(&mut i);
                    push(body, v);
                }
                None => push(body, None),
            }
        } else if let Some(body) = w.strip_prefix('-') {
            let mut cs = body.chars();
            let Some(c) = cs.next() else { continue };
            let rest = cs.as_str();
            match long_name_of(c) {
                Some(long) if takes_value(long) => {
                    let v = match rest.strip_prefix('=') {
                        Some(v) => Some(v.to_string()),
                        None if rest.is_empty() => take_next(&mut i),
                        None => Some(rest.to_string()),
                    };
                    push(long, v);
                }
                Some(long) if rest.is_empty() => push(long, None),
                Some(long) if rest.starts_with('=') => {
                    push(long, rest.get(1..).map(str::to_string));
                }
                _ => {
                    // Docker before 1.12 also read long flags with one dash (`-dns x`).
                    match body.split_once('=') {
                        Some((n, v)) => push(n, Some(v.to_string())),
                        None if takes_value(body) => {
                            let v = take_next(&mut i);
                            push(body, v);
                        }
                        None => push(body, None),
                    }
                }
            }
        }
    }
    out
}

/// The flags of a whole engine command line (`dockerd ...`, `docker daemon ...`), or none
/// when `argv` does not run the engine.
pub fn daemon_flags(argv: &[String]) -> Vec<DaemonFlag> {
    daemon_args(argv)
        .map(|args| parse_flags(args).into_iter().map(|f| f.flag).collect())
        .unwrap_or_default()
}

/// The values of flag `name` (a long name) in `flags`, in order.
pub fn values<'a>(flags: &'a [DaemonFlag], name: &str) -> Vec<&'a str> {
    flags
        .iter()
        .filter(|f| f.name == name)
        .filter_map(|f| f.value.as_deref())
        .collect()
}

/// The running engine as seen in process `p`, if it is one.
pub fn running_daemon(p: &Process) -> Option<RunningDaemon> {
    if !is_daemon(p) {
        return None;
    }
    let flags = daemon_flags(&p.argv);
    let last = |name: &str| values(&flags, name).last().map(PathBuf::from);
    Some(RunningDaemon {
        pid: p.pid,
        argv: p.argv.clone(),
        config_file: last("config-file"),
        pidfile: last("pidfile"),
        hosts: values(&flags, "host")
            .into_iter()
            .map(str::to_string)
            .collect(),
    })
}

/// The pid written in a pidfile's text.
pub fn parse_pid(text: &str) -> Option<u32> {
    text.trim().parse().ok().filter(|p| *p > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn splits_proc_cmdline() {
        let cases: &[(&[u8], &[&str])] = &[
            (
                b"/usr/bin/dockerd\0-H\0fd://\0",
                &["/usr/bin/dockerd", "-H", "fd://"],
            ),
            (b"dockerd\0--label\0a b\0", &["dockerd", "--label", "a b"]),
            (b"dockerd", &["dockerd"]),
            (b"", &[]),
            (b"\0", &[]),
            (b"a\0\0b\0", &["a", "", "b"]),
            (b"x\xff\0", &["x\u{fffd}"]),
        ];
        for (raw, want) in cases {
            assert_eq!(split_cmdline(raw), *want, "{raw:?}");
        }
    }

    #[test]
    fn knows_which_command_lines_run_the_engine() {
        let cases: &[(&str, Option<&str>)] = &[
            ("dockerd", Some("")),
            ("/usr/bin/dockerd -H fd://", Some("-H fd://")),
            (
                "/usr/bin/dockerd-current --selinux-enabled",
                Some("--selinux-enabled"),
            ),
            (
                r"C:\Program\ Files\docker\dockerd.exe --run-service",
                Some("--run-service"),
            ),
            ("/usr/bin/docker daemon -H fd://", Some("-H fd://")),
            ("docker -D daemon --debug", Some("--debug")),
            (
                "/usr/bin/docker -d -H unix:///var/run/docker.sock",
                Some("-d -H unix:///var/run/docker.sock"),
            ),
            ("docker ps", None),
            ("docker run -d nginx", None),
            ("/bin/sh /usr/bin/dockerd-rootless.sh", None),
            ("rootlesskit --net=slirp4netns dockerd-rootless.sh", None),
            ("containerd", None),
        ];
        for (line, want) in cases {
            let argv: Vec<String> = line.split(' ').map(|w| w.replace("\\ ", " ")).collect();
            let argv = if line.contains("Program\\ Files") {
                vec![
                    r"C:\Program Files\docker\dockerd.exe".to_string(),
                    "--run-service".to_string(),
                ]
            } else {
                argv
            };
            assert_eq!(
                daemon_args(&argv).map(|a| a.join(" ")),
                want.map(str::to_string),
                "{line}"
            );
        }
        let bare = Process {
            pid: 7,
            comm: "dockerd".into(),
            ..Process::default()
        };
        assert!(is_daemon(&bare));
        let script = Process {
            pid: 8,
            comm: "dockerd-rootles".into(),
            argv: words("/bin/sh /usr/bin/dockerd-rootless.sh"),
            ..Process::default()
        };
        assert!(!is_daemon(&script));
        let kit = Process {
            pid: 9,
            comm: "rootlesskit".into(),
            argv: words("rootlesskit --net=slirp4netns /usr/bin/dockerd-rootless.sh"),
            ..Process::default()
        };
        assert!(is_rootlesskit(&kit));
    }

    fn show(s: &str) -> Vec<String> {
        parse_flags(&words(s))
            .into_iter()
            .map(|f| match f.flag.value {
                Some(v) => format!("{}={v}@{}", f.flag.name, f.word),
                None => format!("{}@{}", f.flag.name, f.word),
            })
            .collect()
    }

    #[test]
    fn reads_flags_with_long_names() {
        let cases: &[(&str, &[&str])] = &[
            (
                "-H fd:// --containerd=/run/c.sock",
                &["host=fd://@0", "containerd=/run/c.sock@2"],
            ),
            (
                "-H=unix:///tmp/d.sock -Htcp://0.0.0.0:2375",
                &["host=unix:///tmp/d.sock@0", "host=tcp://0.0.0.0:2375@1"],
            ),
            (
                "-p /var/run/docker.pid --pidfile=/x.pid",
                &["pidfile=/var/run/docker.pid@0", "pidfile=/x.pid@2"],
            ),
            (
                "--insecure-registry a:5000 --registry-mirror=https://m",
                &["insecure-registry=a:5000@0", "registry-mirror=https://m@2"],
            ),
            (
                "-D --debug --iptables=false --raw-logs",
                &["debug@0", "debug@1", "iptables=false@2", "raw-logs@3"],
            ),
            ("--config-file /etc/d.json", &["config-file=/etc/d.json@0"]),
            ("--insecure-registry", &["insecure-registry@0"]),
            ("-dns 8.8.8.8 -- --debug", &["dns=8.8.8.8@0"]),
            (
                "--selinux-enabled --log-driver=journald --signature-verification=false",
                &[
                    "selinux-enabled@0",
                    "log-driver=journald@1",
                    "signature-verification=false@2",
                ],
            ),
            ("- -- x", &[]),
        ];
        for (line, want) in cases {
            assert_eq!(show(line), *want, "{line}");
        }
    }

    #[test]
    fn a_running_daemon_from_its_command_line() {
        let p = Process {
            pid: 4242,
            comm: "dockerd".into(),
            argv: words(
                "/usr/sbin/dockerd --iptables=false --pidfile=/tmp/d/docker.pid -H=unix:///tmp/d/docker.sock -H tcp://127.0.0.1:2375 --config-file=/tmp/d/daemon.json",
            ),
            ..Process::default()
        };
        let d = running_daemon(&p).expect("a daemon");
        assert_eq!(d.pid, 4242);
        assert_eq!(d.config_file, Some(PathBuf::from("/tmp/d/daemon.json")));
        assert_eq!(d.pidfile, Some(PathBuf::from("/tmp/d/docker.pid")));
        assert_eq!(
            d.hosts,
            ["unix:///tmp/d/docker.sock", "tcp://127.0.0.1:2375"]
        );
        assert_eq!(parse_pid("812\n"), Some(812));
        assert_eq!(parse_pid("0"), None);
        assert_eq!(parse_pid("x"), None);
    }
}

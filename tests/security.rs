//! Security properties, checked on the built binary and on the source:
//! - the temp file is created exclusively (O_CREAT|O_EXCL) with mode 0600 and only then given
//!   the original's mode and owner, before it is renamed over the file (seen with strace); the
//!   backup of the previous content is made the same way and keeps the original's mode and owner;
//! - no `std::process::Command` outside src/runner.rs, and no command line goes through a shell;
//! - every insecure add prints exactly one line per added entry saying TLS is off for it and
//!   where to put its CA instead.
//!
//! (That a range covering everything needs --force is shown by fixtures/cases/add-refuses-
//! everything-range and add-everything-range-with-force.)

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

mod support;
use support::{files_under, in_ci};

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn dockcfg(state: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_dockcfg"));
    c.args(args)
        .env("DOCKCFG_STATE_DIR", state)
        .env("DOCKCFG_NO_APPLY", "1")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null());
    c
}

/// The lines of an strace log that touch `needle`'s files or the descriptors opened for them:
/// (syscall, the whole line). Follows fds from `openat` to `fchmod`/`fchown`/`write`/`close`.
fn calls_on(log: &str, needle: &str) -> Vec<(String, String)> {
    let mut fds: Vec<String> = Vec::new();
    let mut out = Vec::new();
    for line in log.lines() {
        // "PID syscall(args) = ret"
        let call = line.split_whitespace().nth(1).unwrap_or("");
        let name = call.split('(').next().unwrap_or("").to_string();
        let args = call.split_once('(').map_or("", |(_, a)| a);
        let first_arg = args.split([',', ')']).next().unwrap_or("").to_string();
        if line.contains(needle) {
            if name == "openat"
                && let Some(fd) = line.rsplit("= ").next().map(str::trim)
                && fd.parse::<i32>().is_ok()
            {
                fds.push(fd.to_string());
            }
            out.push((name, line.to_string()));
        } else if matches!(name.as_str(), "fchmod" | "fchown" | "close") && fds.contains(&first_arg)
        {
            if name == "close" {
                fds.retain(|f| *f != first_arg);
            }
            out.push((name, line.to_string()));
        }
    }
    out
}

#[test]
fn temp_file_is_exclusive_0600_then_gets_the_original_mode_and_owner() {
    if which::which("strace").is_err() {
        assert!(!in_ci(), "CI is set: strace must be installed");
        eprintln!("SKIPPED: strace not found");
        return;
    }
    let root = nix::unistd::geteuid().is_root();
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let file = dir.path().join("daemon.json");
    let original = b"{\n  \"insecure-registries\": [\"old.local:5000\"]\n}\n";
    fs::write(&file, original).unwrap();
    fs::set_permissions(&file, fs::Permissions::from_mode(0o640)).unwrap();
    let owner = if root {
        (1234, 1234)
    } else {
        (
            nix::unistd::geteuid().as_raw(),
            nix::unistd::getegid().as_raw(),
        )
    };
    if root {
        std::os::unix::fs::chown(&file, Some(owner.0), Some(owner.1)).unwrap();
    }
    let log = dir.path().join("strace.log");
    let cmd = dockcfg(
        &state,
        &["-f", file.to_str().unwrap(), "add-insecure", "a.local:5000"],
    );
    let program = cmd.get_program().to_owned();
    let args: Vec<_> = cmd.get_args().map(|a| a.to_owned()).collect();
    let o = Command::new("strace")
        .args([
            "-f",
            "-qq",
            "-e",
            "trace=openat,fchmod,fchown,rename,renameat,renameat2,close",
            "-o",
        ])
        .arg(&log)
        .arg(&program)
        .args(&args)
        .envs(cmd.get_envs().filter_map(|(k, v)| Some((k, v?))))
        .stdin(Stdio::null())
        .output()
        .expect("strace runs");
    assert!(o.status.success(), "{}", text(&o.stderr));
    let log = fs::read_to_string(&log).unwrap();

    // The temp file beside daemon.json.
    let temp = calls_on(&log, ".daemon.json.dockcfg-");
    let names: Vec<&str> = temp.iter().map(|(n, _)| n.as_str()).collect();
    let open = &temp.first().expect("the temp file is opened").1;
    assert!(
        open.contains("O_CREAT|O_EXCL") && open.contains(", 0600)"),
        "created exclusively with 0600: {open}"
    );
    let chmod = temp
        .iter()
        .position(|(n, _)| n == "fchmod")
        .unwrap_or_else(|| panic!("no fchmod: {temp:#?}"));
    assert!(
        temp[chmod].1.contains(", 0640)"),
        "given the original's mode: {}",
        temp[chmod].1
    );
    let rename = temp
        .iter()
        .position(|(n, _)| n.starts_with("rename"))
        .unwrap_or_else(|| panic!("no rename: {temp:#?}"));
    assert!(chmod < rename, "mode set before the rename: {names:?}");
    if root {
        let chown = temp
            .iter()
            .position(|(n, _)| n == "fchown")
            .unwrap_or_else(|| panic!("no fchown: {temp:#?}"));
        assert!(temp[chown].1.contains("1234, 1234"), "{}", temp[chown].1);
        assert!(chown < rename, "owner set before the rename: {names:?}");
    }
    let meta = fs::metadata(&file).unwrap();
    assert_eq!(
        (meta.mode() & 0o7777, meta.uid(), meta.gid()),
        (0o640, owner.0, owner.1)
    );

    // The backup of the previous content: exclusive 0600, then the original's mode and owner.
    let prev = calls_on(&log, "/previous");
    let open = &prev.first().expect("the backup is written").1;
    assert!(
        open.contains("O_CREAT|O_EXCL") && open.contains(", 0600)"),
        "{open}"
    );
    assert!(
        prev.iter()
            .any(|(n, l)| n == "fchmod" && l.contains(", 0640)")),
        "{prev:#?}"
    );
    let kept: Vec<PathBuf> = files_under(&state)
        .into_iter()
        .filter(|p| p.ends_with("previous"))
        .collect();
    assert_eq!(kept.len(), 1);
    let km = fs::metadata(&kept[0]).unwrap();
    assert_eq!(
        (km.mode() & 0o7777, km.uid(), km.gid()),
        (0o640, owner.0, owner.1)
    );
    assert_eq!(fs::read(&kept[0]).unwrap(), original);
}

/// The source of a file without its unit tests: everything from the `#[cfg(test)]` that opens
/// the test module on (the code style keeps tests last), or nothing for a test-only file.
fn non_test_source(path: &Path) -> String {
    let src = fs::read_to_string(path).unwrap();
    if path.file_name().is_some_and(|n| n == "tests.rs") {
        return String::new();
    }
    let lines: Vec<&str> = src.lines().collect();
    let cut = lines
        .windows(2)
        .position(|w| w[0].trim() == "#[cfg(test)]" && w[1].trim_start().starts_with("mod tests"))
        .unwrap_or(lines.len());
    lines[..cut].join("\n")
}

#[test]
fn commands_run_only_in_runner_rs_and_never_through_a_shell() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let files: Vec<PathBuf> = files_under(&src)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .collect();
    assert!(files.len() > 20, "found the sources: {files:?}");
    let mut offenders = Vec::new();
    for f in &files {
        let code = non_test_source(f);
        let rel = f.strip_prefix(&src).unwrap().display().to_string();
        for (i, line) in code.lines().enumerate() {
            let l = line.trim_start();
            if l.starts_with("//") {
                continue;
            }
            let runs = l.contains("Command::new(")
                || l.contains("process::Command")
                || l.contains("CommandExt")
                || l.contains("libc::exec")
                || l.contains("unistd::exec")
                || l.contains("posix_spawn");
            if runs && rel != "runner.rs" {
                offenders.push(format!("src/{rel}:{}: {l}", i + 1));
            }
            // A command line is a list of words; never `sh -c "..."`.
            let shell = [
                "\"sh\"",
                "\"bash\"",
                "\"/bin/sh\"",
                "\"/bin/bash\"",
                "\"-c\"",
            ]
            .iter()
            .any(|s| l.contains(s));
            if shell {
                offenders.push(format!("src/{rel}:{}: a shell: {l}", i + 1));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "commands must be run by src/runner.rs alone, without a shell:\n{}",
        offenders.join("\n")
    );
    // And runner.rs runs the program itself with its arguments as separate words.
    let runner = non_test_source(&src.join("runner.rs"));
    assert!(
        runner.contains("Command::new(program)"),
        "runner.rs runs argv[0] directly"
    );
}

fn run(dir: &Path, args: &[&str]) -> Output {
    dockcfg(&dir.join("state"), args)
        .output()
        .expect("run dockcfg")
}

fn tls_lines(stderr: &str) -> Vec<String> {
    stderr
        .lines()
        .filter(|l| l.contains("TLS is off"))
        .map(str::to_string)
        .collect()
}

#[test]
fn every_insecure_add_says_once_per_entry_that_tls_is_off() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("daemon.json");
    fs::write(
        &json,
        "{\"insecure-registries\": [\"present.local:5000\"]}\n",
    )
    .unwrap();
    let opts = dir.path().join("docker");
    fs::write(&opts, "DOCKER_OPTS=\"--dns 8.8.8.8\"\n").unwrap();
    let (j, d) = (json.to_str().unwrap(), opts.to_str().unwrap());
    // (args, the entries that are added, each of which gets exactly one line)
    // (args, the entries added with where their CA goes)
    type Case<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)]);
    let cases: &[Case] = &[
        (
            &["-f", j, "add-insecure", "reg.local:5000"],
            &[(
                "reg.local:5000",
                "/etc/docker/certs.d/reg.local:5000/ca.crt",
            )],
        ),
        (
            &[
                "-f",
                j,
                "insecure",
                "add",
                "b.local:5000",
                "present.local:5000",
                "10.0.0.0/8",
                "http://c.local",
            ],
            &[
                ("b.local:5000", "/etc/docker/certs.d/b.local:5000/ca.crt"),
                (
                    "10.0.0.0/8",
                    "/etc/docker/certs.d/HOST:PORT/ca.crt for each registry in the range",
                ),
                ("c.local", "/etc/docker/certs.d/c.local/ca.crt"),
            ],
        ),
        (
            &["-f", j, "--dry-run", "add-insecure", "[fd00::1]:5000"],
            &[(
                "[fd00::1]:5000",
                "/etc/docker/certs.d/[fd00::1]:5000/ca.crt",
            )],
        ),
        (
            &["-f", d, "add-insecure", "opts.local:5000"],
            &[(
                "opts.local:5000",
                "/etc/docker/certs.d/opts.local:5000/ca.crt",
            )],
        ),
        // Nothing added: no line.
        (&["-f", j, "add-insecure", "PRESENT.local:5000"], &[]),
        (&["-f", j, "mirror", "add", "https://m.example.com"], &[]),
        (&["-f", j, "rm-insecure", "b.local:5000"], &[]),
    ];
    for (args, added) in cases {
        let o = run(dir.path(), args);
        let err = text(&o.stderr);
        assert!(o.status.success(), "{args:?}: {err}");
        let lines = tls_lines(&err);
        assert_eq!(
            lines.len(),
            added.len(),
            "{args:?}: one line per added entry:\n{err}"
        );
        for (entry, certs) in *added {
            let mine: Vec<&String> = lines
                .iter()
                .filter(|l| l.contains(&format!("TLS is off for {entry}:")))
                .collect();
            assert_eq!(
                mine.len(),
                1,
                "{args:?}: exactly one line for {entry}:\n{err}"
            );
            assert!(
                mine[0].contains(&format!("put it in {certs}")),
                "{args:?}: says where the CA goes: {}",
                mine[0]
            );
            assert!(!mine[0].contains('\n'));
        }
    }
}

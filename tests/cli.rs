//! Integration tests over the built binary for what the scenario folders cannot show: file
//! modes, concurrency, the backup limit, permission errors, colour, completions, help.

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

struct Sandbox {
    dir: tempfile::TempDir,
}

impl Sandbox {
    fn new() -> Sandbox {
        Sandbox {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }
    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }
    fn state(&self) -> PathBuf {
        self.path("state")
    }
    fn cmd(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_dockcfg"));
        c.env("DOCKCFG_STATE_DIR", self.state())
            .env_remove("NO_COLOR")
            .stdin(Stdio::null());
        c
    }
    fn run(&self, args: &[&str]) -> Output {
        self.cmd().args(args).output().expect("run dockcfg")
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn values(path: &Path, key: &str) -> Vec<String> {
    let v: serde_json::Value =
        serde_json::from_slice(&fs::read(path).expect("read")).expect("valid JSON");
    v[key]
        .as_array()
        .expect("a list")
        .iter()
        .map(|e| e.as_str().expect("strings").to_string())
        .collect()
}

#[test]
fn new_file_is_0644_with_trailing_newline() {
    let sb = Sandbox::new();
    let f = sb.path("etc/docker/daemon.json");
    let o = sb.run(&["-f", f.to_str().unwrap(), "add-insecure", "reg.local:5000"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let meta = fs::metadata(&f).expect("created");
    assert_eq!(meta.permissions().mode() & 0o7777, 0o644);
    assert!(fs::read_to_string(&f).unwrap().ends_with("}\n"));
}

#[test]
fn existing_mode_is_kept() {
    let sb = Sandbox::new();
    let f = sb.path("daemon.json");
    fs::write(&f, "{}\n").unwrap();
    fs::set_permissions(&f, fs::Permissions::from_mode(0o600)).unwrap();
    let o = sb.run(&[
        "-f",
        f.to_str().unwrap(),
        "mirror",
        "add",
        "https://m.example.com",
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(
        fs::metadata(&f).unwrap().permissions().mode() & 0o7777,
        0o600
    );
    assert_eq!(values(&f, "registry-mirrors"), ["https://m.example.com"]);
}

#[test]
fn eight_concurrent_writers_lose_no_update() {
    let sb = Sandbox::new();
    let f = sb.path("daemon.json");
    fs::write(&f, "{\n  \"debug\": true\n}\n").unwrap();
    let file = f.to_str().unwrap().to_string();
    let state = sb.state();
    std::thread::scope(|s| {
        for w in 0..8 {
            let file = file.clone();
            let state = state.clone();
            s.spawn(move || {
                for i in 0..25 {
                    let addr = format!("w{w}-r{i}.example.com:5000");
                    let o = Command::new(env!("CARGO_BIN_EXE_dockcfg"))
                        .args(["-f", &file, "add-insecure", &addr])
                        .env("DOCKCFG_STATE_DIR", &state)
                        .stdin(Stdio::null())
                        .output()
                        .expect("run");
                    assert!(o.status.success(), "{addr}: {}", text(&o.stderr));
                }
            });
        }
    });
    let got = values(&f, "insecure-registries");
    assert_eq!(got.len(), 200, "{got:?}");
    let unique: std::collections::HashSet<_> = got.iter().collect();
    assert_eq!(unique.len(), 200);
    for w in 0..8 {
        // Each writer's entries appear in the order that writer added them.
        let mine: Vec<_> = got
            .iter()
            .filter(|v| v.starts_with(&format!("w{w}-")))
            .collect();
        let want: Vec<String> = (0..25)
            .map(|i| format!("w{w}-r{i}.example.com:5000"))
            .collect();
        assert_eq!(mine, want.iter().collect::<Vec<_>>());
    }
    assert!(fs::read_to_string(&f).unwrap().contains("\"debug\": true"));
}

#[test]
fn backups_are_capped_at_ten_and_undo_walks_back_byte_for_byte() {
    let sb = Sandbox::new();
    let f = sb.path("daemon.json");
    let original = "{\r\n    \"debug\": true\r\n}";
    fs::write(&f, original).unwrap();
    let fs_ = f.to_str().unwrap();
    let mut states = vec![fs::read(&f).unwrap()];
    for i in 0..12 {
        let o = sb.run(&["-f", fs_, "add-insecure", &format!("r{i}.local:5000")]);
        assert!(o.status.success(), "{}", text(&o.stderr));
        states.push(fs::read(&f).unwrap());
    }
    // Ten undos step back through the ten newest states, byte for byte.
    for back in 1..=10 {
        let o = sb.run(&["-f", fs_, "undo"]);
        assert!(o.status.success(), "undo {back}: {}", text(&o.stderr));
        assert_eq!(
            fs::read(&f).unwrap(),
            states[12 - back],
            "after {back} undos"
        );
    }
    let o = sb.run(&["-f", fs_, "undo"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stderr).contains("nothing to undo"),
        "{}",
        text(&o.stderr)
    );
    assert_eq!(fs::read(&f).unwrap(), states[2]);
}

#[test]
fn undo_refuses_after_a_hand_edit_unless_forced() {
    let sb = Sandbox::new();
    let f = sb.path("daemon.json");
    fs::write(&f, "{}\n").unwrap();
    let fs_ = f.to_str().unwrap();
    assert!(
        sb.run(&["-f", fs_, "add-insecure", "a.local:5000"])
            .status
            .success()
    );
    fs::write(&f, "{\"debug\": true}\n").unwrap();
    let o = sb.run(&["-f", fs_, "undo"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    assert_eq!(fs::read_to_string(&f).unwrap(), "{\"debug\": true}\n");
    let o = sb.run(&["-f", fs_, "undo", "--force"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(fs::read_to_string(&f).unwrap(), "{}\n");
    assert!(text(&o.stderr).contains("kept in"), "{}", text(&o.stderr));
}

#[test]
fn failures_before_the_write_leave_the_file_byte_identical() {
    let sb = Sandbox::new();
    let f = sb.path("daemon.json");
    let fs_ = f.to_str().unwrap();
    let cases: &[(&str, &[&str], i32)] = &[
        ("{\n  \"debug\": true,\n}\n", &["add-insecure", "a:5000"], 1),
        (
            "{\"insecure-registries\": \"a\"}",
            &["add-insecure", "b:5000"],
            1,
        ),
        ("[1]", &["mirror", "add", "https://m"], 1),
        ("{}", &["add-insecure", "a:99999"], 2),
        ("{}", &["add-insecure", "ftp://a"], 2),
        ("{}", &["mirror", "add", "https://u:p@m"], 2),
        ("{}", &["add-insecure", "0.0.0.0/0"], 2),
        ("{}", &["add-insecure", "--nope", "a"], 2),
        ("\u{feff}{\"a\":1 /* c */}", &["add-insecure", "a"], 1),
        ("{\"a\": \"\0\"}", &["add-insecure", "a"], 1),
    ];
    for (content, args, code) in cases {
        fs::write(&f, content).unwrap();
        let o = sb.cmd().arg("-f").arg(fs_).args(*args).output().unwrap();
        assert_eq!(
            o.status.code(),
            Some(*code),
            "{args:?} on {content:?}: {}",
            text(&o.stderr)
        );
        assert_eq!(fs::read_to_string(&f).unwrap(), *content, "{args:?}");
        assert!(!text(&o.stderr).contains("panicked"), "{}", text(&o.stderr));
        assert!(
            o.stdout.is_empty(),
            "no diff on failure: {}",
            text(&o.stdout)
        );
    }
    // Nothing was backed up either.
    assert!(
        !sb.state().join("backups").exists()
            || fs::read_dir(sb.state().join("backups")).unwrap().count() == 0
    );
}

#[test]
fn permission_denied_says_run_with_sudo() {
    if !nix::unistd::geteuid().is_root() {
        eprintln!(
            "SKIPPED permission_denied_says_run_with_sudo: needs root to switch to user nobody"
        );
        return;
    }
    let sb = Sandbox::new();
    fs::set_permissions(sb.dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
    let f = sb.path("daemon.json");
    fs::write(&f, "{}\n").unwrap();
    let state = sb.path("nobody-state");
    fs::create_dir(&state).unwrap();
    fs::set_permissions(&state, fs::Permissions::from_mode(0o777)).unwrap();
    let o = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .arg(env!("CARGO_BIN_EXE_dockcfg"))
        .args(["-f", f.to_str().unwrap(), "add-insecure", "a.local:5000"])
        .env("DOCKCFG_STATE_DIR", &state)
        .stdin(Stdio::null())
        .output()
        .expect("setpriv runs");
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains(f.to_str().unwrap()), "{err}");
    assert!(err.contains("permission denied"), "{err}");
    assert!(err.contains("sudo"), "{err}");
    assert_eq!(fs::read_to_string(&f).unwrap(), "{}\n");
    assert_eq!(fs::metadata(&f).unwrap().uid(), 0);
}

#[test]
fn colour_only_when_asked_and_no_color_respected() {
    let sb = Sandbox::new();
    let f = sb.path("daemon.json");
    let fs_ = f.to_str().unwrap();
    fs::write(&f, "{}\n").unwrap();
    let o = sb.run(&["-n", "-f", fs_, "add-insecure", "a:5000"]);
    assert!(
        !text(&o.stdout).contains('\x1b'),
        "not a terminal: no colour"
    );
    let o = sb.run(&[
        "-n",
        "--color",
        "always",
        "-f",
        fs_,
        "add-insecure",
        "a:5000",
    ]);
    assert!(text(&o.stdout).contains("\x1b[32m+"), "{}", text(&o.stdout));
    let o = sb
        .cmd()
        .env("NO_COLOR", "1")
        .args([
            "-n",
            "--color",
            "never",
            "-f",
            fs_,
            "add-insecure",
            "a:5000",
        ])
        .output()
        .unwrap();
    assert!(!text(&o.stdout).contains('\x1b'));
}

#[test]
fn global_options_after_the_subcommand() {
    let sb = Sandbox::new();
    let f = sb.path("daemon.json");
    fs::write(&f, "{}\n").unwrap();
    let o = sb.run(&[
        "insecure",
        "add",
        "a:5000",
        "--dry-run",
        "--json",
        "--file",
        f.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON on stdout");
    assert_eq!(v["changed"], true);
    assert_eq!(v["written"], false);
    assert_eq!(v["file"], f.to_str().unwrap());
    assert!(v["diff"].as_str().unwrap().contains("+    \"a:5000\""));
    assert_eq!(fs::read_to_string(&f).unwrap(), "{}\n");
}

#[test]
fn help_shows_examples_and_completions_generate() {
    let sb = Sandbox::new();
    let o = sb.run(&["--help"]);
    assert!(o.status.success());
    let help = text(&o.stdout);
    assert!(
        help.contains("Examples:") && help.contains("dockcfg add-insecure 192.168.199.100:5000"),
        "{help}"
    );
    for shell in ["bash", "zsh", "fish"] {
        let o = sb.run(&["completions", shell]);
        assert!(o.status.success(), "{shell}");
        let script = text(&o.stdout);
        assert!(
            script.contains("add-insecure") && script.contains("mirror"),
            "{shell}: {script}"
        );
    }
}

#[test]
fn a_closed_stdout_is_not_an_error() {
    let sb = Sandbox::new();
    let f = sb.path("daemon.json");
    let list: Vec<String> = (0..20000).map(|i| format!("\"h{i}:5000\"")).collect();
    fs::write(
        &f,
        format!("{{\"insecure-registries\": [{}]}}", list.join(",")),
    )
    .unwrap();
    let mut child = sb
        .cmd()
        .args(["-f", f.to_str().unwrap(), "insecure", "ls"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(!text(&o.stderr).contains("panicked"));
}

#[test]
fn nothing_to_write_creates_no_folder_and_json_keeps_the_tls_line_on_stderr() {
    let sb = Sandbox::new();
    let f = sb.path("missing/dir/daemon.json");
    let fs_ = f.to_str().unwrap();
    let o = sb.run(&["-f", fs_, "rm-insecure", "a.local:5000"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(
        !sb.path("missing").exists(),
        "a removal with nothing to remove made folders"
    );
    let o = sb.run(&[
        "--json",
        "-f",
        fs_,
        "add-insecure",
        "a.local:5000",
        "b.local:5000",
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("only JSON on stdout");
    assert_eq!(v["written"], true);
    let err = text(&o.stderr);
    for e in ["a.local:5000", "b.local:5000"] {
        let line = format!("TLS is off for {e}:");
        assert_eq!(err.matches(&line).count(), 1, "{err}");
        assert!(
            err.contains(&format!("/etc/docker/certs.d/{e}/ca.crt")),
            "{err}"
        );
    }
}

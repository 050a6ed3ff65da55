//! Scenario tests: one folder per case under fixtures/cases/, run against the built binary.
//!
//! A case folder holds:
//! - `args`: the command line after `dockcfg` (shell words); `[ROOT]` is the case's temp root
//! - `in/`: the files before (copied into the temp root); may be missing (empty root)
//! - `out/`: the files expected after; when missing, the files must be byte-identical to `in/`
//! - `stdout`, `stderr`: the expected output, with the temp root written as `[ROOT]` and the
//!   state folder (backups) as `[STATE]`
//! - `code`: the expected exit code (0 when missing)
//! - `setup` (optional): `mode PATH OCTAL` or `symlink PATH TARGET` lines applied after copying
//! - `before` (optional): extra commands (one per line, shell words) run first, e.g. to make a backup for undo
//!
//! Set DOCKCFG_BLESS=1 to write the observed stdout/stderr/code/out into the case (then review
//! the diff in git before committing: a blessed output is only right if a user should see it).

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/cases")
}

/// Every file under `dir` (relative path -> bytes); symlinks recorded as `-> target`.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    if !dir.exists() {
        return out;
    }
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).expect("read_dir") {
            let e = e.expect("dir entry");
            let p = e.path();
            let rel = p
                .strip_prefix(dir)
                .expect("under dir")
                .display()
                .to_string();
            let meta = fs::symlink_metadata(&p).expect("metadata");
            if meta.file_type().is_symlink() {
                let t = fs::read_link(&p).expect("read_link");
                out.insert(rel, format!("-> {}", t.display()).into_bytes());
            } else if meta.is_dir() {
                stack.push(p);
            } else {
                out.insert(rel, fs::read(&p).expect("read"));
            }
        }
    }
    out
}

fn copy_tree(from: &Path, to: &Path) {
    for (rel, bytes) in snapshot(from) {
        let dst = to.join(&rel);
        fs::create_dir_all(dst.parent().expect("parent")).expect("mkdir");
        if let Some(t) = std::str::from_utf8(&bytes)
            .ok()
            .and_then(|s| s.strip_prefix("-> "))
        {
            std::os::unix::fs::symlink(t, &dst).expect("symlink");
        } else {
            fs::write(&dst, bytes).expect("write");
        }
    }
}

fn write_tree(dir: &Path, files: &BTreeMap<String, Vec<u8>>) {
    let _ = fs::remove_dir_all(dir);
    for (rel, bytes) in files {
        let dst = dir.join(rel);
        fs::create_dir_all(dst.parent().expect("parent")).expect("mkdir");
        match std::str::from_utf8(bytes)
            .ok()
            .and_then(|s| s.strip_prefix("-> "))
        {
            Some(t) => std::os::unix::fs::symlink(t, &dst).expect("symlink"),
            None => fs::write(&dst, bytes).expect("write"),
        }
    }
}

fn run_dockcfg(root: &Path, state: &Path, line: &str) -> std::process::Output {
    let line = line.replace("[ROOT]", &root.display().to_string());
    let args = shell_words::split(&line).expect("args are shell words");
    Command::new(env!("CARGO_BIN_EXE_dockcfg"))
        .args(&args)
        .current_dir(root)
        .env("DOCKCFG_STATE_DIR", state)
        .env_remove("NO_COLOR")
        .output()
        .expect("run dockcfg")
}

fn run_case(case: &Path, bless: bool) -> Result<(), String> {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().join("root");
    let state = tmp.path().join("state");
    fs::create_dir_all(&root).expect("mkdir root");
    copy_tree(&case.join("in"), &root);
    if let Ok(setup) = fs::read_to_string(case.join("setup")) {
        for line in setup.lines().filter(|l| !l.trim().is_empty()) {
            let w: Vec<&str> = line.split_whitespace().collect();
            match w.as_slice() {
                ["mode", p, m] => {
                    let mode = u32::from_str_radix(m, 8).expect("octal mode");
                    fs::set_permissions(root.join(p), fs::Permissions::from_mode(mode))
                        .expect("chmod");
                }
                ["symlink", p, t] => {
                    std::os::unix::fs::symlink(t, root.join(p)).expect("symlink");
                }
                _ => panic!("bad setup line {line:?} in {}", case.display()),
            }
        }
    }
    if let Ok(before) = fs::read_to_string(case.join("before")) {
        for line in before.lines().filter(|l| !l.trim().is_empty()) {
            let o = run_dockcfg(&root, &state, line);
            assert!(
                o.status.success(),
                "`before` command {line:?} failed: {}",
                String::from_utf8_lossy(&o.stderr)
            );
        }
    }
    let args = fs::read_to_string(case.join("args")).expect("case has args");
    let before = snapshot(&root);
    let o = run_dockcfg(&root, &state, args.trim());
    let root_s = root.display().to_string();
    let state_s = state.display().to_string();
    // Backup folders are named after the file's path with `/` written as `-`.
    let root_key = root_s.trim_start_matches('/').replace('/', "-");
    let clean = |b: &[u8]| {
        String::from_utf8_lossy(b)
            .replace(&state_s, "[STATE]")
            .replace(&root_s, "[ROOT]")
            .replace(&root_key, "[ROOT]")
    };
    let (stdout, stderr) = (clean(&o.stdout), clean(&o.stderr));
    let code = o.status.code().unwrap_or(-1);
    let after = snapshot(&root);
    if bless {
        fs::write(case.join("stdout"), &stdout).expect("bless stdout");
        fs::write(case.join("stderr"), &stderr).expect("bless stderr");
        if code == 0 {
            let _ = fs::remove_file(case.join("code"));
        } else {
            fs::write(case.join("code"), format!("{code}\n")).expect("bless code");
        }
        if after == before {
            let _ = fs::remove_dir_all(case.join("out"));
        } else {
            write_tree(&case.join("out"), &after);
        }
        return Ok(());
    }
    let mut errors = Vec::new();
    let want_code: i32 = fs::read_to_string(case.join("code"))
        .map(|s| s.trim().parse().expect("code is a number"))
        .unwrap_or(0);
    if code != want_code {
        errors.push(format!("exit code {code}, expected {want_code}"));
    }
    for (name, got) in [("stdout", &stdout), ("stderr", &stderr)] {
        let want = fs::read_to_string(case.join(name)).unwrap_or_default();
        if *got != want {
            errors.push(format!(
                "{name} differs:\n--- expected\n{want}\n--- got\n{got}"
            ));
        }
    }
    let want_files = if case.join("out").exists() {
        snapshot(&case.join("out"))
    } else {
        before
    };
    if after != want_files {
        for (k, v) in &want_files {
            match after.get(k) {
                None => errors.push(format!("file {k} missing after the run")),
                Some(g) if g != v => errors.push(format!(
                    "file {k} differs:\n--- expected\n{}\n--- got\n{}",
                    String::from_utf8_lossy(v),
                    String::from_utf8_lossy(g)
                )),
                _ => {}
            }
        }
        for k in after.keys().filter(|k| !want_files.contains_key(*k)) {
            errors.push(format!("unexpected file {k} after the run"));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors.join("\n"))
    }
}

#[test]
fn scenarios() {
    let bless = std::env::var_os("DOCKCFG_BLESS").is_some();
    let mut cases: Vec<PathBuf> = fs::read_dir(cases_dir())
        .expect("fixtures/cases exists")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    assert!(!cases.is_empty());
    let mut failed = Vec::new();
    for case in &cases {
        if let Err(e) = run_case(case, bless) {
            failed.push(format!(
                "== {}\n{e}",
                case.file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default()
            ));
        }
    }
    assert!(
        failed.is_empty(),
        "{} of {} scenarios failed:\n{}",
        failed.len(),
        cases.len(),
        failed.join("\n\n")
    );
    eprintln!("{} scenarios passed", cases.len());
}

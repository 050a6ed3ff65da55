//! README.md's usage tour is run as a test: every ```console block is a session in one temp
//! folder (holding fixtures/readme/*), each `$ ` line a command, the lines after it its exact
//! output (stdout and stderr as the user sees them), `[exit N]` its exit code when not 0.
//! Only `dockcfg` and `cat` are run, without a shell, with DOCKCFG_NO_APPLY=1 (the tour's files
//! are no engine's, and a test engine running beside must not appear in the output).
//! DOCKCFG_BLESS=1 writes the observed outputs into README.md (review the diff before committing).

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};

struct Step {
    line: usize,
    command: String,
    expected: String,
    code: i32,
}

fn sessions(readme: &str) -> Vec<Vec<Step>> {
    let mut out = Vec::new();
    let mut current: Option<Vec<Step>> = None;
    for (i, line) in readme.lines().enumerate() {
        match (&mut current, line) {
            (None, "```console") => current = Some(Vec::new()),
            (Some(_), "```") => out.push(current.take().unwrap_or_default()),
            (Some(steps), l) if l.starts_with("$ ") => steps.push(Step {
                line: i + 1,
                command: l[2..].to_string(),
                expected: String::new(),
                code: 0,
            }),
            (Some(steps), l) => {
                let step = steps.last_mut().expect("output follows a command");
                if let Some(code) = l.strip_prefix("[exit ").and_then(|c| c.strip_suffix(']')) {
                    step.code = code.parse().expect("exit code");
                } else {
                    step.expected.push_str(l);
                    step.expected.push('\n');
                }
            }
            (None, _) => {}
        }
    }
    out
}

#[test]
fn readme_tour_shows_real_output() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = fs::read_to_string(root.join("README.md")).expect("README.md");
    let all = sessions(&readme);
    assert!(!all.is_empty(), "README has console blocks");
    let bless = std::env::var_os("DOCKCFG_BLESS").is_some();
    let mut observed: std::collections::HashMap<usize, (String, i32)> = Default::default();
    let mut failures = Vec::new();
    for steps in all {
        let dir = tempfile::tempdir().expect("tempdir");
        for e in fs::read_dir(root.join("fixtures/readme")).expect("fixtures/readme") {
            let p = e.expect("entry").path();
            fs::copy(&p, dir.path().join(p.file_name().expect("name"))).expect("copy");
        }
        for step in steps {
            let words = shell_words::split(&step.command).expect("shell words");
            let program = match words.first().map(String::as_str) {
                Some("dockcfg") => env!("CARGO_BIN_EXE_dockcfg").to_string(),
                Some("cat") => "cat".to_string(),
                other => panic!(
                    "README line {}: only dockcfg and cat are run, not {other:?}",
                    step.line
                ),
            };
            // One pipe for stdout and stderr, so the order is the order the user sees.
            let log = dir.path().join(".out");
            let sink = fs::File::create(&log).expect("log");
            let status = Command::new(program)
                .args(&words[1..])
                .current_dir(dir.path())
                .env("DOCKCFG_STATE_DIR", dir.path().join(".state"))
                // The tour edits files no engine reads; other tests' engines must not show up.
                .env("DOCKCFG_NO_APPLY", "1")
                .env_remove("NO_COLOR")
                .stdin(Stdio::null())
                .stdout(sink.try_clone().expect("clone"))
                .stderr(sink)
                .status()
                .expect("run");
            let got = fs::read_to_string(&log).expect("output");
            let code = status.code().unwrap_or(-1);
            observed.insert(step.line, (got.clone(), code));
            if got != step.expected || code != step.code {
                failures.push(format!(
                    "README line {}: $ {}\n--- expected (exit {})\n{}--- got (exit {code})\n{got}",
                    step.line, step.command, step.code, step.expected
                ));
            }
        }
    }
    if bless {
        fs::write(root.join("README.md"), blessed(&readme, &observed)).expect("write README.md");
        return;
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// README.md with each command's output replaced by what was observed.
fn blessed(readme: &str, observed: &std::collections::HashMap<usize, (String, i32)>) -> String {
    let mut out = String::new();
    let mut in_block = false;
    let mut skipping = false;
    for (i, line) in readme.lines().enumerate() {
        if !in_block {
            in_block = line == "```console";
        } else if line == "```" {
            in_block = false;
            skipping = false;
        } else if line.starts_with("$ ") {
            out.push_str(line);
            out.push('\n');
            if let Some((got, code)) = observed.get(&(i + 1)) {
                out.push_str(got);
                if *code != 0 {
                    out.push_str(&format!("[exit {code}]\n"));
                }
            }
            skipping = true;
            continue;
        } else if skipping {
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

//! Crash safety: dockcfg is SIGKILLed at random moments while it writes, hundreds of times, on
//! files of several sizes. After every kill the file must be the old content or the new content,
//! byte for byte valid JSON, never partial; temp files a killed run left behind must be cleaned
//! by the next run; and the backups must still lead back to a state that really existed.

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// xorshift64*: a small deterministic generator, so a failure can be replayed from its seed.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

fn content(entries: usize) -> (String, Vec<String>) {
    let list: Vec<String> = (0..entries)
        .map(|i| format!("10.{}.{}.{}:5000", (i >> 16) & 255, (i >> 8) & 255, i & 255))
        .collect();
    let body: Vec<String> = list.iter().map(|e| format!("    \"{e}\"")).collect();
    let text = format!(
        "{{\n  \"log-driver\": \"json-file\",\n  \"insecure-registries\": [\n{}\n  ],\n  \"debug\": false\n}}\n",
        body.join(",\n")
    );
    (text, list)
}

fn dockcfg(file: &Path, state: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_dockcfg"));
    // --engine and --no-apply: no `dockerd --version` probe and no engine, so the run is the
    // read-validate-write path and the kills spread over it.
    c.arg("-f")
        .arg(file)
        .args(["--engine", "29.7", "--no-apply"])
        .args(args)
        .env("DOCKCFG_STATE_DIR", state)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    c
}

fn leftovers(dir: &Path) -> Vec<String> {
    fs::read_dir(dir)
        .expect("read_dir")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".dockcfg-") && n.ends_with(".tmp"))
        .collect()
}

fn registries(text: &str) -> Option<Vec<String>> {
    let v: serde_json::Value = serde_json::from_str(text).ok()?;
    v["insecure-registries"]
        .as_array()?
        .iter()
        .map(|e| e.as_str().map(String::from))
        .collect()
}

#[derive(Default, Debug)]
struct Tally {
    kills: usize,
    old: usize,
    new: usize,
    leftovers_seen: usize,
}

fn kill_during_writes(entries: usize, rounds: usize, seed: u64) -> Tally {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = dir.path().join("state");
    let file = dir.path().join("daemon.json");
    let (base, base_list) = content(entries);
    // How long one uninterrupted run takes, to spread the kills over its whole life.
    fs::write(&file, &base).expect("write base");
    let t = Instant::now();
    let ok = dockcfg(&file, &state, &["add-insecure", "probe.example.com:5000"])
        .status()
        .expect("run");
    assert!(ok.success());
    let life = t.elapsed().as_micros() as u64;
    let mut rng = Rng(seed);
    let mut tally = Tally::default();
    for i in 0..rounds {
        fs::write(&file, &base).expect("reset");
        let new_entry = format!("crash-{i}.example.com:5000");
        let mut child = dockcfg(&file, &state, &["add-insecure", &new_entry])
            .spawn()
            .expect("spawn");
        std::thread::sleep(Duration::from_micros(rng.below(life)));
        // Our own child, by its handle (SIGKILL).
        let _ = child.kill();
        let status = child.wait().expect("wait");
        if status.code().is_none() {
            tally.kills += 1;
        }
        let now = fs::read_to_string(&file).expect("file is still there and UTF-8");
        if now == base {
            tally.old += 1;
        } else {
            let got = registries(&now).unwrap_or_else(|| {
                panic!("round {i} (seed {seed}): file is neither old nor valid JSON:\n{now}")
            });
            let mut want = base_list.clone();
            want.push(new_entry.clone());
            assert_eq!(
                got, want,
                "round {i} (seed {seed}): a partial or wrong list"
            );
            assert!(
                now.starts_with("{\n  \"log-driver\": \"json-file\",\n"),
                "format kept"
            );
            tally.new += 1;
        }
        tally.leftovers_seen += leftovers(dir.path()).len();
    }
    // The next complete run cleans what killed runs left.
    fs::write(&file, &base).expect("reset");
    let ok = dockcfg(&file, &state, &["add-insecure", "after.example.com:5000"])
        .status()
        .expect("run");
    assert!(ok.success());
    assert_eq!(
        leftovers(dir.path()),
        Vec::<String>::new(),
        "temp files left after a clean run"
    );
    let mut want = base_list.clone();
    want.push("after.example.com:5000".into());
    assert_eq!(registries(&fs::read_to_string(&file).unwrap()), Some(want));
    // The backup stack survived the kills: undo gives back the state before that last write.
    let undo = dockcfg(&file, &state, &["undo"]).status().expect("undo");
    assert!(undo.success());
    assert_eq!(fs::read_to_string(&file).unwrap(), base);
    tally
}

#[test]
fn sigkill_at_random_moments_never_leaves_a_partial_file() {
    let mut total = Tally::default();
    // (entries, rounds): ~300 bytes, ~60 KB, ~750 KB files.
    for (entries, rounds, seed) in [(3, 180, 1), (2_500, 130, 2), (30_000, 90, 3)] {
        let t = kill_during_writes(entries, rounds, seed);
        eprintln!(
            "{entries:>6} entries: {rounds} runs, {} killed, {} left old, {} complete new, {} temp files seen after kills",
            t.kills, t.old, t.new, t.leftovers_seen
        );
        total.kills += t.kills;
        total.old += t.old;
        total.new += t.new;
        total.leftovers_seen += t.leftovers_seen;
    }
    eprintln!("total: {total:?}");
    assert!(
        total.kills >= 300,
        "at least 300 runs killed mid-way: {total:?}"
    );
    assert!(
        total.old > 0 && total.new > 0,
        "kills landed both before and after the rename: {total:?}"
    );
}

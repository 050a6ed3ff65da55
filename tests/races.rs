//! Races: 8 writers doing mixed adds and removes on one file at once, for several rounds. The
//! final content must equal the serial result of the same operations (as a set: the order of
//! entries depends on which writer got the lock first, the set does not), no update may be
//! lost, and `undo` afterwards must restore a state that really existed.

use std::collections::{BTreeSet, HashSet};
use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};

fn run(file: &Path, state: &Path, args: &[&str]) -> serde_json::Value {
    let o = Command::new(env!("CARGO_BIN_EXE_dockcfg"))
        .arg("-f")
        .arg(file)
        .arg("--json")
        .args(args)
        .env("DOCKCFG_STATE_DIR", state)
        .stdin(Stdio::null())
        .output()
        .expect("run dockcfg");
    assert!(
        o.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).expect("JSON result")
}

fn as_set(v: &serde_json::Value) -> BTreeSet<String> {
    v.as_array()
        .expect("list")
        .iter()
        .map(|e| e.as_str().expect("string").to_string())
        .collect()
}

#[test]
fn eight_writers_mixed_add_rm_equal_the_serial_result() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("daemon.json");
    let state = dir.path().join("state");
    fs::write(
        &file,
        "{\n    \"insecure-registries\": [\"seed.local:5000\"],\n    \"debug\": true\n}\n",
    )
    .unwrap();
    const WRITERS: usize = 8;
    const ROUNDS: usize = 4;
    // Each writer, each round: add three entries (one command), remove one of them, add a
    // mirror, remove the seed's twin it added in the previous round.
    let ops = |w: usize, r: usize| -> Vec<Vec<String>> {
        let e = |k: usize| format!("w{w}-r{r}-{k}.local:5000");
        let mut v = vec![
            vec!["add-insecure".into(), e(0), e(1), e(2)],
            vec!["rm-insecure".into(), e(1)],
            vec![
                "mirror".into(),
                "add".into(),
                format!("https://m{w}-{r}.example.com"),
            ],
        ];
        if r > 0 {
            v.push(vec![
                "rm-insecure".into(),
                format!("w{w}-r{}-2.local:5000", r - 1),
            ]);
        }
        v
    };
    let written: Vec<BTreeSet<String>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..WRITERS)
            .map(|w| {
                let (file, state) = (file.clone(), state.clone());
                s.spawn(move || {
                    let mut seen = Vec::new();
                    for r in 0..ROUNDS {
                        for op in ops(w, r) {
                            let args: Vec<&str> = op.iter().map(String::as_str).collect();
                            let v = run(&file, &state, &args);
                            if v["key"] == "insecure-registries" && v["changed"] == true {
                                seen.push(as_set(&v["values"]));
                            }
                        }
                    }
                    seen
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("writer"))
            .collect()
    });
    // The serial result: replay the same operations on a set, one writer after another.
    let mut serial: BTreeSet<String> = ["seed.local:5000".to_string()].into();
    let mut mirrors = BTreeSet::new();
    for w in 0..WRITERS {
        for r in 0..ROUNDS {
            for op in ops(w, r) {
                match op[0].as_str() {
                    "add-insecure" => serial.extend(op[1..].iter().cloned()),
                    "rm-insecure" => {
                        serial.remove(&op[1]);
                    }
                    _ => {
                        mirrors.insert(op[2].clone());
                    }
                }
            }
        }
    }
    let text = fs::read_to_string(&file).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
    assert_eq!(as_set(&v["insecure-registries"]), serial);
    assert_eq!(as_set(&v["registry-mirrors"]), mirrors);
    assert_eq!(v["debug"], true);
    assert!(
        text.starts_with("{\n    \"insecure-registries\": ["),
        "format kept:\n{text}"
    );
    // 8 writers x 4 rounds of edits all landed; undo goes back to a state one of them wrote
    // (or the state before the last write, which may be a mirror edit's).
    let mut states: HashSet<BTreeSet<String>> = written.into_iter().collect();
    states.insert(serial.clone());
    let o = Command::new(env!("CARGO_BIN_EXE_dockcfg"))
        .arg("-f")
        .arg(&file)
        .arg("undo")
        .env("DOCKCFG_STATE_DIR", &state)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let after: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&file).unwrap()).expect("valid after undo");
    assert!(
        states.contains(&as_set(&after["insecure-registries"])),
        "undo restored a state nobody wrote"
    );
}

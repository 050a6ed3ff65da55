//! Every file of the committed fuzz corpus (fuzz/corpus/<target>/: the seeds, the cases the
//! fuzzers found interesting, and the crashes they found, minimised) replayed through the very
//! invariants the fuzz targets check (fuzz/src/lib.rs), in a plain `cargo test` on stable Rust.
//! A fuzzer crash fixed in the code stays fixed: its input is in the corpus.

#[path = "../fuzz/src/lib.rs"]
mod invariants;

use std::path::Path;

fn replay(target: &str, check: fn(&[u8])) -> usize {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("corpus entry").path())
        .collect();
    files.sort();
    let mut failed = Vec::new();
    for f in &files {
        let data = std::fs::read(f).expect("corpus file");
        if std::panic::catch_unwind(|| check(&data)).is_err() {
            failed.push(f.display().to_string());
        }
    }
    assert!(
        failed.is_empty(),
        "{target}: {} of {} corpus files break an invariant (messages above):\n{}",
        failed.len(),
        files.len(),
        failed.join("\n")
    );
    eprintln!("{target}: {} corpus files replayed", files.len());
    files.len()
}

#[test]
fn json_edit_corpus() {
    assert!(replay("json_edit", invariants::check_json_edit) > 0);
}

#[test]
fn opts_edit_corpus() {
    assert!(replay("opts_edit", invariants::check_opts_edit) > 0);
}

#[test]
fn json_repair_corpus() {
    assert!(replay("json_repair", invariants::check_repair) > 0);
}

#[test]
fn address_corpus() {
    assert!(replay("address", invariants::check_address) > 0);
}

/// The input format is what the corpus files rely on: check the split once by hand.
#[test]
fn input_format() {
    let data = invariants::Input::join(0b0000_0101, b"{}", &["a:5000", "b"]);
    let i = invariants::Input::split(&data).expect("splits");
    assert_eq!(i.key, dockcfg::settings::RegistryKey::Mirrors);
    assert_eq!(i.engine, invariants::ENGINES[2]);
    assert_eq!(i.file, Some(&b"{}"[..]));
    assert_eq!(i.list, ["a:5000", "b"]);
    let none = invariants::Input::split(&[0x10]).expect("splits");
    assert_eq!(none.file, None);
    assert!(none.list.is_empty());
    assert!(invariants::Input::split(&[]).is_none());
}

//! Every daemon.json case in fixtures/validate/ is judged for engines 20.10 and 26.1 and must
//! give exactly its expected verdicts and diagnostics (`LINE:COL SEVERITY CODE`).
//! DOCKCFG_BLESS=1 rewrites the expected files from what dockcfg says (review the diff).

mod validate_cases;

use validate_cases::{ENGINES, bless, judge, lines_of, load};

#[test]
fn every_case_gives_its_expected_diagnostics() {
    let bless_mode = std::env::var_os("DOCKCFG_BLESS").is_some();
    let cases = load();
    assert!(cases.len() >= 80, "only {} cases", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        let reports: Vec<(&str, dockcfg::validate::Report)> = ENGINES
            .iter()
            .map(|(e, build)| (*e, judge(case, e, *build, &[])))
            .collect();
        if bless_mode {
            let refs: Vec<(&str, &dockcfg::validate::Report)> =
                reports.iter().map(|(e, r)| (*e, r)).collect();
            bless(case, &refs);
            continue;
        }
        for (e, r) in &reports {
            let verdict = if r.has_errors() { "refuse" } else { "accept" };
            if case.verdict(e) != Some(verdict) {
                failures.push(format!(
                    "{}: {e}: dockcfg says {verdict}, expected {:?}",
                    case.name,
                    case.verdict(e)
                ));
            }
            // A case where dockcfg refuses only what dockerd silently ignores must say so,
            // and a case that says so must be one.
            let errors: Vec<&dockcfg::diag::Diagnostic> =
                r.diagnostics.iter().filter(|d| d.is_error()).collect();
            let only_silent = !errors.is_empty() && errors.iter().all(|d| silently_ignored(d));
            match (case.stricter_for(e).is_some(), only_silent) {
                (true, false) => failures.push(format!(
                    "{}: {e}: marked stricter, but dockcfg reports no error that dockerd merely ignores",
                    case.name
                )),
                (false, true) => failures.push(format!(
                    "{}: {e}: dockcfg refuses only what dockerd ignores: add `# stricter {e}: why`",
                    case.name
                )),
                _ => {}
            }
            let got = lines_of(r);
            let want = case.expected(e);
            if got != want {
                failures.push(format!(
                    "{}: {e}:\n  expected {want:?}\n  got      {got:?}\n{}",
                    case.name,
                    r.diagnostics
                        .iter()
                        .map(|d| format!("    {}: {}", d.code, d.message))
                        .collect::<Vec<_>>()
                        .join("\n")
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

/// An error for something dockerd accepts and ignores (dockcfg is stricter on purpose).
fn silently_ignored(d: &dockcfg::diag::Diagnostic) -> bool {
    (d.code == "ignored-key" && !d.message.contains("refuses the file"))
        || d.message.contains("does not notice it")
        || d.message.contains("accepts it but ignores it")
        || d.message.contains("cannot be made insecure")
        || d.code == "trailing-text"
}

#[test]
fn every_case_is_described() {
    for case in load() {
        assert!(
            case.notes
                .iter()
                .any(|n| !n.starts_with("# flags:") && !n.starts_with("# stricter")),
            "{} has no description line",
            case.name
        );
    }
}

#[test]
fn no_prefix_or_byte_flip_of_any_case_panics() {
    // Every prefix of every case, and every case with one byte replaced by a quote, a brace or
    // a high byte, judged for both engines: whatever the bytes, a report comes back.
    let started = std::time::Instant::now();
    let mut runs = 0;
    for case in load() {
        let b = &case.bytes;
        let mut inputs: Vec<Vec<u8>> = (0..b.len()).map(|n| b[..n].to_vec()).collect();
        for (i, with) in [
            (b.len() / 3, b'"'),
            (b.len() / 2, b'{'),
            (b.len() * 2 / 3, 0xE9),
        ] {
            let mut v = b.clone();
            if let Some(x) = v.get_mut(i) {
                *x = with;
            }
            inputs.push(v);
        }
        for input in &inputs {
            for (e, build) in ENGINES {
                let opts = dockcfg::validate::Options {
                    engine: e.parse().expect("engine"),
                    platform: dockcfg::validate::Platform::Linux,
                    build: Some(build),
                };
                let r = dockcfg::validate::validate(input, &opts, &[]);
                for d in &r.diagnostics {
                    let _ = d.render("f.json", &r.text, false);
                }
                runs += 1;
            }
        }
    }
    eprintln!("{runs} reports in {:?}", started.elapsed());
}

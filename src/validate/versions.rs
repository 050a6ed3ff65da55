//! The engine versions dockcfg knows, and the words that say which of them refuse something
//! ("dockerd 20.10 refuses it; 23.0 and newer accept it").

use crate::version::EngineVersion;

/// Every minor release whose rules dockcfg knows, oldest first (Docker skipped 21 and 22).
pub const KNOWN: &[EngineVersion] = &[
    EngineVersion::new(20, 10),
    EngineVersion::new(23, 0),
    EngineVersion::new(24, 0),
    EngineVersion::new(25, 0),
    EngineVersion::new(26, 0),
    EngineVersion::new(26, 1),
    EngineVersion::new(27, 0),
    EngineVersion::new(27, 1),
    EngineVersion::new(27, 2),
    EngineVersion::new(27, 3),
    EngineVersion::new(27, 4),
    EngineVersion::new(27, 5),
    EngineVersion::new(28, 0),
    EngineVersion::new(28, 1),
    EngineVersion::new(28, 2),
    EngineVersion::new(28, 3),
    EngineVersion::new(28, 4),
    EngineVersion::new(28, 5),
    EngineVersion::new(29, 0),
    EngineVersion::new(29, 1),
    EngineVersion::new(29, 2),
    EngineVersion::new(29, 3),
    EngineVersion::new(29, 4),
    EngineVersion::new(29, 5),
    EngineVersion::new(29, 6),
    EngineVersion::new(29, 7),
];

/// Runs of consecutive known versions for which `pred` holds, as (first, last).
fn runs(pred: &dyn Fn(EngineVersion) -> bool) -> Vec<(EngineVersion, EngineVersion)> {
    let mut out: Vec<(EngineVersion, EngineVersion)> = Vec::new();
    let mut open = false;
    for &v in KNOWN {
        if pred(v) {
            match out.last_mut() {
                Some(last) if open => last.1 = v,
                _ => out.push((v, v)),
            }
            open = true;
        } else {
            open = false;
        }
    }
    out
}

/// One run in words: `20.10`, `23.0 and newer`, `25.0 to 28.2`.
fn run_words(first: EngineVersion, last: EngineVersion) -> String {
    let newest = KNOWN.last().copied();
    if Some(last) == newest && KNOWN.first().copied() != Some(first) {
        format!("{first} and newer")
    } else if first == last {
        first.to_string()
    } else {
        format!("{first} to {last}")
    }
}

fn list_words(runs: &[(EngineVersion, EngineVersion)]) -> String {
    let parts: Vec<String> = runs.iter().map(|(a, b)| run_words(*a, *b)).collect();
    match parts.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{}, {last}", init.join(", ")),
    }
}

/// Whether the runs cover more than one version (for the verb: "refuses" or "refuse").
fn several(runs: &[(EngineVersion, EngineVersion)]) -> bool {
    runs.len() > 1 || runs.first().is_some_and(|(a, b)| a != b) || {
        runs.first()
            .is_some_and(|(a, _)| Some(*a) == KNOWN.last().copied())
    }
}

/// Which known engines refuse something, in words: `dockerd 20.10 refuses it; 23.0 and newer
/// accept it`, or `every dockerd refuses it` when all do. `refuses` is asked for each known
/// version; `others` is what the rest do, in the plural (`accept it`, `ignore it`).
pub fn refused_by(refuses: impl Fn(EngineVersion) -> bool, others: &str) -> String {
    let bad = runs(&refuses);
    let good = runs(&|v| !refuses(v));
    if good.is_empty() {
        return "every dockerd refuses it".to_string();
    }
    if bad.is_empty() {
        return format!("no dockerd refuses it; they all {others}");
    }
    let verb = if several(&bad) { "refuse" } else { "refuses" };
    let rest = if several(&good) {
        others.to_string()
    } else {
        singular(others)
    };
    format!(
        "dockerd {} {verb} it; {} {rest}",
        list_words(&bad),
        list_words(&good)
    )
}

/// `accept it` -> `accepts it`: the first word of `phrase` with an `s`.
fn singular(phrase: &str) -> String {
    match phrase.split_once(' ') {
        Some((verb, rest)) => format!("{verb}s {rest}"),
        None => format!("{phrase}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(a: u32, b: u32) -> EngineVersion {
        EngineVersion::new(a, b)
    }

    #[test]
    fn says_which_versions_refuse() {
        type Pred = Box<dyn Fn(EngineVersion) -> bool>;
        let cases: Vec<(Pred, &str)> = vec![
            (
                Box::new(|e| e < v(23, 0)),
                "dockerd 20.10 refuses it; 23.0 and newer accept it",
            ),
            (
                Box::new(|e| e >= v(24, 0)),
                "dockerd 24.0 and newer refuse it; 20.10 to 23.0 accept it",
            ),
            (Box::new(|_| true), "every dockerd refuses it"),
            (
                Box::new(|_| false),
                "no dockerd refuses it; they all accept it",
            ),
            (
                Box::new(|e| e < v(25, 0)),
                "dockerd 20.10 to 24.0 refuse it; 25.0 and newer accept it",
            ),
            (
                Box::new(|e| (v(23, 0)..v(24, 0)).contains(&e)),
                "dockerd 23.0 refuses it; 20.10, 24.0 and newer accept it",
            ),
            (
                Box::new(|e| e < v(29, 7)),
                "dockerd 20.10 to 29.6 refuse it; 29.7 and newer accept it",
            ),
        ];
        for (pred, want) in cases {
            assert_eq!(refused_by(pred, "accept it"), want);
        }
    }
}

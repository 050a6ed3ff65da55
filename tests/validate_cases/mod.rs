//! The daemon.json cases of fixtures/validate/, shared by tests/validate_fixtures.rs (dockcfg's
//! own verdicts) and tests/differential.rs (the real engines).
//!
//! Each case is `NAME.json` (the file, byte for byte) and `NAME.expected`:
//! ```text
//! # what the case is (free text; any number of such lines)
//! # flags: -H fd://                      dockerd flags given besides the file (optional)
//! # stricter 26.1: why                   dockerd accepts the file, dockcfg refuses it on purpose
//! # 20.10: refuse                        dockcfg's verdict for the engine (accept | refuse)
//! # 26.1: accept
//! * 2:3 error ignored-key                a diagnostic for both engines: LINE:COL SEVERITY CODE
//! 20.10 1:1 error encoding               ... or for one engine (`-` for a diagnostic without place)
//! ```

#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};

use dockcfg::host::{DaemonFlag, FlagOrigin, FlagSource};
use dockcfg::validate::{Build, Options, Platform, Report};
use dockcfg::version::EngineVersion;

/// The engines the cases are judged for, with the Debian builds the real-engine test runs.
pub const ENGINES: [(&str, Build); 2] = [
    ("20.10", Build::DEBIAN_12_20_10),
    ("26.1", Build::DEBIAN_13_26_1),
];

pub fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/validate")
}

/// One case.
#[derive(Debug, Clone)]
pub struct Case {
    pub name: String,
    pub bytes: Vec<u8>,
    /// Comment lines other than the verdicts (description, flags, stricter), as written.
    pub notes: Vec<String>,
    /// The `# flags:` words.
    pub flags: Vec<String>,
    /// (engine, why) for each `# stricter ENGINE: why`.
    pub stricter: Vec<(String, String)>,
    /// (engine, "accept" | "refuse").
    pub verdicts: Vec<(String, String)>,
    /// (engines: "*" or one, "LINE:COL SEVERITY CODE").
    pub lines: Vec<(String, String)>,
}

impl Case {
    pub fn verdict(&self, engine: &str) -> Option<&str> {
        self.verdicts
            .iter()
            .find(|(e, _)| e == engine)
            .map(|(_, v)| v.as_str())
    }

    pub fn stricter_for(&self, engine: &str) -> Option<&str> {
        self.stricter
            .iter()
            .find(|(e, _)| e == engine)
            .map(|(_, w)| w.as_str())
    }

    /// The expected diagnostic lines for `engine`, in file order.
    pub fn expected(&self, engine: &str) -> Vec<String> {
        self.lines
            .iter()
            .filter(|(e, _)| e == "*" || e == engine)
            .map(|(_, l)| l.clone())
            .collect()
    }

    /// The `# flags:` as the flag source dockcfg is given.
    pub fn flag_source(&self) -> Option<FlagSource> {
        (!self.flags.is_empty()).then(|| FlagSource {
            origin: FlagOrigin::OptsFile,
            path: PathBuf::from("/etc/default/docker"),
            flags: parse_flags(&self.flags),
        })
    }
}

/// dockerd flags in the forms the cases use: `--name=value`, `--name value`, `--name`, `-H value`.
pub fn parse_flags(words: &[String]) -> Vec<DaemonFlag> {
    let mut out = Vec::new();
    let mut it = words.iter();
    while let Some(w) = it.next() {
        if let Some(long) = w.strip_prefix("--") {
            match long.split_once('=') {
                Some((n, v)) => out.push(DaemonFlag {
                    name: n.into(),
                    value: Some(v.into()),
                }),
                None if dockcfg::opts_file::takes_value(long) => out.push(DaemonFlag {
                    name: long.into(),
                    value: it.next().cloned(),
                }),
                None => out.push(DaemonFlag {
                    name: long.into(),
                    value: None,
                }),
            }
        } else if let Some(short) = w.strip_prefix('-').and_then(|s| s.chars().next()) {
            let name = dockcfg::opts_file::long_name_of(short).unwrap_or("unknown");
            out.push(DaemonFlag {
                name: name.into(),
                value: it.next().cloned(),
            });
        }
    }
    out
}

pub fn load() -> Vec<Case> {
    let mut names: Vec<String> = fs::read_dir(dir())
        .expect("fixtures/validate exists")
        .filter_map(|e| {
            let p = e.expect("entry").path();
            if p.extension()? != "json" {
                return None;
            }
            Some(p.file_stem()?.to_string_lossy().into_owned())
        })
        .collect();
    names.sort();
    names.into_iter().map(|n| read_case(&n)).collect()
}

fn read_case(name: &str) -> Case {
    let bytes = fs::read(dir().join(format!("{name}.json"))).expect("case json");
    let expected = fs::read_to_string(dir().join(format!("{name}.expected"))).unwrap_or_default();
    let mut case = Case {
        name: name.to_string(),
        bytes,
        notes: Vec::new(),
        flags: Vec::new(),
        stricter: Vec::new(),
        verdicts: Vec::new(),
        lines: Vec::new(),
    };
    for line in expected.lines().filter(|l| !l.trim().is_empty()) {
        if let Some(c) = line.strip_prefix("# ") {
            if let Some(f) = c.strip_prefix("flags: ") {
                case.flags = f.split_whitespace().map(String::from).collect();
                case.notes.push(line.to_string());
            } else if let Some(s) = c.strip_prefix("stricter ") {
                let (e, why) = s.split_once(": ").expect("# stricter ENGINE: why");
                case.stricter.push((e.to_string(), why.to_string()));
                case.notes.push(line.to_string());
            } else if let Some((e, v)) = c.split_once(": ").filter(|(e, v)| {
                ENGINES.iter().any(|(x, _)| x == e) && (*v == "accept" || *v == "refuse")
            }) {
                case.verdicts.push((e.to_string(), v.to_string()));
            } else {
                case.notes.push(line.to_string());
            }
        } else {
            let (e, rest) = line.split_once(' ').expect("ENGINE LINE:COL SEVERITY CODE");
            case.lines.push((e.to_string(), rest.to_string()));
        }
    }
    case
}

/// dockcfg's report on a case for `engine`, with `extra` flag sources besides the case's own.
pub fn judge(case: &Case, engine: &str, build: Build, extra: &[FlagSource]) -> Report {
    let e: EngineVersion = engine.parse().expect("engine");
    let opts = Options {
        engine: e,
        platform: Platform::Linux,
        build: Some(build),
    };
    let mut flags: Vec<FlagSource> = case.flag_source().into_iter().collect();
    flags.extend_from_slice(extra);
    dockcfg::validate::validate(&case.bytes, &opts, &flags)
}

/// A report's diagnostics as expected-file lines.
pub fn lines_of(report: &Report) -> Vec<String> {
    report
        .diagnostics
        .iter()
        .map(|d| {
            let at = d
                .pos
                .map_or("-".to_string(), |p| format!("{}:{}", p.line, p.col));
            format!("{at} {} {}", d.severity.as_str(), d.code)
        })
        .collect()
}

/// Write a case's expected file from observed reports (notes kept).
pub fn bless(case: &Case, reports: &[(&str, &Report)]) {
    let mut out: Vec<String> = case.notes.clone();
    for (e, r) in reports {
        out.push(format!(
            "# {e}: {}",
            if r.has_errors() { "refuse" } else { "accept" }
        ));
    }
    let per: Vec<(&str, Vec<String>)> = reports.iter().map(|(e, r)| (*e, lines_of(r))).collect();
    let same = per.windows(2).all(|w| w[0].1 == w[1].1);
    if same {
        if let Some((_, lines)) = per.first() {
            out.extend(lines.iter().map(|l| format!("* {l}")));
        }
    } else {
        for (e, lines) in &per {
            out.extend(lines.iter().map(|l| format!("{e} {l}")));
        }
    }
    fs::write(
        dir().join(format!("{}.expected", case.name)),
        out.join("\n") + "\n",
    )
    .expect("bless");
}

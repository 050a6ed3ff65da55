//! Validation of daemon.json against dockerd's rules, by engine version and platform: what
//! makes dockerd refuse the file or silently ignore a setting (errors), what it accepts but is
//! probably wrong (warnings), and what is worth knowing (notes). Pure: bytes in, report out.
//!
//! The order follows dockerd's own reading of the file (`syntax`: decode and parse; `rules`:
//! keys, types and dockerd's checks on values; `registries`: the registry lists; `conflicts`:
//! settings also given as flags). Everything is reported, not only the first problem dockerd
//! would stop at.

mod conflicts;
pub mod keys;
mod registries;
mod rules;
mod syntax;
pub mod versions;

use crate::diag::{Diagnostic, Severity};
use crate::host::FlagSource;
use crate::version::EngineVersion;

pub use conflicts::conflicts;
pub use keys::{Build, Platform};
pub use registries::check_opts_file;

/// What to judge a file for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// The dockerd version whose rules apply.
    pub engine: EngineVersion,
    pub platform: Platform,
    /// How that dockerd was built, where it matters (`None`: upstream's build of `engine`).
    pub build: Option<Build>,
}

impl Options {
    /// Upstream's build of `engine` on `platform`.
    pub fn new(engine: EngineVersion, platform: Platform) -> Options {
        Options {
            engine,
            platform,
            build: None,
        }
    }

    /// The build whose decoder is modelled.
    pub fn build(&self) -> Build {
        self.build.unwrap_or_else(|| Build::upstream(self.engine))
    }
}

/// The platform dockcfg runs on (Docker Desktop's engine on a Mac runs Linux).
pub fn host_platform() -> Platform {
    if cfg!(windows) {
        Platform::Windows
    } else {
        Platform::Linux
    }
}

/// Everything found in one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// The text the positions refer to: the decoded file, or its lossy decoding when the bytes
    /// are not valid.
    pub text: String,
    /// Sorted by position (findings about the whole file first).
    pub diagnostics: Vec<Diagnostic>,
}

impl Report {
    fn new(text: String, mut diagnostics: Vec<Diagnostic>) -> Report {
        diagnostics.sort_by_key(|d| d.pos.map_or((0, 0), |p| (p.line, p.col)));
        Report { text, diagnostics }
    }

    /// True when some finding is an error: dockerd of the chosen version refuses the file, or
    /// silently ignores something the user meant.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }

    /// How many findings have this severity.
    pub fn count(&self, severity: Severity) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == severity)
            .count()
    }

    /// The closing line: `daemon.json: valid for Docker Engine 20.10 (2 warnings)` or
    /// `daemon.json: not valid for Docker Engine 20.10: 3 errors, 1 warning`.
    pub fn summary(&self, file: &str, opts: &Options) -> String {
        let n =
            |count: usize, one: &str| format!("{count} {one}{}", if count == 1 { "" } else { "s" });
        let errors = self.count(Severity::Error);
        let warnings = self.count(Severity::Warning);
        let platform = match opts.platform {
            Platform::Linux => "",
            Platform::Windows => " on Windows",
        };
        let engine = format!("Docker Engine {}{platform}", opts.engine);
        match (errors, warnings) {
            (0, 0) => format!("{file}: valid for {engine}"),
            (0, w) => format!("{file}: valid for {engine} ({})", n(w, "warning")),
            (e, 0) => format!("{file}: not valid for {engine}: {}", n(e, "error")),
            (e, w) => format!(
                "{file}: not valid for {engine}: {}, {}",
                n(e, "error"),
                n(w, "warning")
            ),
        }
    }
}

/// Judge a daemon.json's bytes as dockerd `opts.engine` on `opts.platform` would, with the
/// daemon flags in `flags` (only the sources the engine really reads: see [`conflicts`]).
pub fn validate(bytes: &[u8], opts: &Options, flags: &[FlagSource]) -> Report {
    judge(syntax::read(bytes, opts.engine), opts, flags)
}

/// [`validate`] for bytes the caller no longer needs: the report's text is made of them.
pub fn validate_owned(bytes: Vec<u8>, opts: &Options, flags: &[FlagSource]) -> Report {
    judge(syntax::read_owned(bytes, opts.engine), opts, flags)
}

fn judge(parsed: syntax::Parsed, opts: &Options, flags: &[FlagSource]) -> Report {
    let mut diags = parsed.diagnostics;
    if let Some(doc) = &parsed.doc {
        rules::check(doc, &parsed.text, opts, &mut diags);
        registries::check(doc, &parsed.text, opts, &mut diags);
        diags.extend(conflicts(doc, &parsed.text, flags, opts));
    }
    Report::new(parsed.text, diags)
}

/// Judge a DOCKER_OPTS / OPTIONS file: the shell syntax dockcfg needs, and the registry flags'
/// values by the registry rules of `opts.engine`.
pub fn validate_opts_file(bytes: &[u8], opts: &Options) -> Report {
    let text = match String::from_utf8(bytes.to_vec()) {
        Ok(t) => t,
        Err(e) => {
            let lossy = String::from_utf8_lossy(bytes).into_owned();
            let d = Diagnostic::error("encoding", "the file is not valid UTF-8")
                .with_help("save it as UTF-8 text")
                .at(&lossy, e.utf8_error().valid_up_to());
            return Report::new(lossy, vec![d]);
        }
    };
    let diags = match crate::opts_file::parse(&text) {
        Ok(file) => {
            let mut d: Vec<Diagnostic> = file.warnings().to_vec();
            d.extend(check_opts_file(&text, &file, opts.engine));
            d
        }
        Err(d) => vec![d],
    };
    Report::new(text, diags)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::{DaemonFlag, FlagOrigin};

    fn opts(e: &str) -> Options {
        Options::new(e.parse().expect("version"), Platform::Linux)
    }

    #[test]
    fn report_is_sorted_and_summarised() {
        let text =
            "{\n  \"registry-mirror\": \"https://m\",\n  \"debug\": true,\n  \"debug\": true\n}\n";
        let r = validate(text.as_bytes(), &opts("26.1"), &[]);
        let got: Vec<(usize, &str)> = r
            .diagnostics
            .iter()
            .map(|d| (d.pos.map_or(0, |p| p.line), d.code))
            .collect();
        assert_eq!(got, [(2, "ignored-key"), (4, "duplicate-key")]);
        assert!(r.has_errors());
        assert_eq!(
            r.summary("daemon.json", &opts("26.1")),
            "daemon.json: not valid for Docker Engine 26.1: 1 error, 1 warning"
        );
        let ok = validate(b"{\"debug\": true, \"debug\": false}", &opts("20.10"), &[]);
        assert_eq!(
            ok.summary("d.json", &opts("20.10")),
            "d.json: valid for Docker Engine 20.10 (1 warning)"
        );
        let w = Options {
            platform: Platform::Windows,
            ..opts("29.7")
        };
        assert_eq!(
            validate(b"{}", &w, &[]).summary("d.json", &w),
            "d.json: valid for Docker Engine 29.7 on Windows"
        );
    }

    #[test]
    fn blog_post_comment_and_conflict() {
        let text = "{\n  \"insecure-registries\":[\"127.0.0.1:30001\"]  # server ip and port\n}\n";
        let r = validate(text.as_bytes(), &opts("26.1"), &[]);
        let d = &r.diagnostics[0];
        assert_eq!(
            (d.code, d.pos.map(|p| (p.line, p.col))),
            ("syntax", Some((2, 46)))
        );
        let flags = [FlagSource {
            origin: FlagOrigin::OptsFile,
            path: "/etc/default/docker".into(),
            flags: vec![DaemonFlag {
                name: "insecure-registry".into(),
                value: Some("10.0.0.1:5000".into()),
            }],
        }];
        let r = validate(b"{\"insecure-registries\": []}", &opts("20.10"), &flags);
        assert_eq!(r.diagnostics.len(), 1);
        assert_eq!(r.diagnostics[0].code, "flag-conflict");
    }

    #[test]
    fn windows_keys() {
        let w = Options::new("26.1".parse().expect("v"), Platform::Windows);
        let r = validate(b"{\"storage-driver\": \"overlay2\"}", &w, &[]);
        assert_eq!(r.diagnostics[0].code, "platform-key");
        assert!(
            r.diagnostics[0]
                .message
                .starts_with("\"storage-driver\" is a Linux-only setting"),
            "{}",
            r.diagnostics[0].message
        );
    }

    #[test]
    fn opts_files_are_checked_by_the_registry_rules() {
        let r = validate_opts_file(
            b"DOCKER_OPTS=\"--registry-mirror=https://m.example.com/x\"\n",
            &opts("20.10"),
        );
        assert!(r.has_errors());
        let r = validate_opts_file(
            b"DOCKER_OPTS=\"--registry-mirror=https://m.example.com/x\"\n",
            &opts("26.1"),
        );
        assert!(!r.has_errors());
    }

    #[test]
    fn owned_bytes_are_judged_as_borrowed_ones() {
        let inputs: &[&[u8]] = &[
            b"{\"insecure-registries\": [\"a:5000\", \"a:5000\", \"http://b\"]}",
            b"\xEF\xBB\xBF{\"debug\": true}",
            b"\xFF\xFE{\x00}\x00",
            b"{\"labels\": [\"\xFF\"]}",
            b"{\"debug\": true} trailing",
            b"",
        ];
        for i in inputs {
            for e in ["20.10", "26.1"] {
                assert_eq!(
                    validate_owned(i.to_vec(), &opts(e), &[]),
                    validate(i, &opts(e), &[]),
                    "{}",
                    String::from_utf8_lossy(i)
                );
            }
        }
    }

    #[test]
    fn never_panics_on_odd_input() {
        let inputs: &[&[u8]] = &[
            b"",
            b"\xFF\xFE",
            b"\xFF\xFE\x00",
            b"\xFE\xFF\xD8\x00",
            b"\xEF\xBB\xBF",
            b"{\"a\":",
            b"{\"proxies\": {\"\xFF\": 1}}",
            b"[[[[",
            b"{\"hosts\": [1, null, \"x\"], \"runtimes\": {\"a\": 1}, \"default-address-pools\": [{\"base\": 1}]}",
            "{\"\u{3000}\": \u{3000}}".as_bytes(),
        ];
        for i in inputs {
            for e in ["20.10", "26.1", "29.7"] {
                let _ = validate(i, &opts(e), &[]);
            }
        }
    }
}

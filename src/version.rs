//! Docker engine versions (`20.10`, `26.1.5`, `28.3`): parse and compare by major.minor.

use std::fmt;
use std::str::FromStr;

/// An engine version, compared by (major, minor). Docker's engine rules change at minor releases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EngineVersion {
    pub major: u32,
    pub minor: u32,
}

impl EngineVersion {
    pub const fn new(major: u32, minor: u32) -> Self {
        EngineVersion { major, minor }
    }
    /// The newest engine whose rules dockcfg knows; the default when nothing better is known.
    pub const NEWEST: EngineVersion = EngineVersion::new(29, 7);

    /// Find a version in free text such as `Docker version 20.10.24+dfsg1, build 297e128`.
    pub fn find_in(text: &str) -> Option<EngineVersion> {
        text.split(|c: char| !(c.is_ascii_digit() || c == '.'))
            .find_map(|w| w.parse().ok())
    }
}

impl fmt::Display for EngineVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

impl FromStr for EngineVersion {
    type Err = String;
    /// Accepts `MAJOR.MINOR` with an optional `.PATCH` and suffix (`26.1.5`, `20.10.24+dfsg1`, `v28.3`).
    fn from_str(s: &str) -> Result<Self, String> {
        let t = s.trim().trim_start_matches('v');
        let mut parts = t.split('.');
        let num = |p: Option<&str>| -> Option<u32> {
            let p = p?;
            let digits: String = p.chars().take_while(|c| c.is_ascii_digit()).collect();
            if digits.is_empty() || digits.len() > 6 {
                None
            } else {
                digits.parse().ok()
            }
        };
        match (num(parts.next()), num(parts.next())) {
            (Some(major), Some(minor)) => Ok(EngineVersion { major, minor }),
            _ => Err(format!(
                "invalid engine version {s:?}: expected MAJOR.MINOR such as 20.10 or 28.3"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_orders() {
        let cases = [
            ("20.10", Some((20, 10))),
            ("26.1.5", Some((26, 1))),
            ("v28.3", Some((28, 3))),
            ("20.10.24+dfsg1", Some((20, 10))),
            ("29", None),
            ("x.y", None),
            ("", None),
        ];
        for (s, want) in cases {
            let got = s.parse::<EngineVersion>().ok().map(|v| (v.major, v.minor));
            assert_eq!(got, want, "{s}");
        }
        assert!(EngineVersion::new(20, 10) < EngineVersion::new(23, 0));
        assert!(EngineVersion::new(25, 0) > EngineVersion::new(24, 9));
    }

    #[test]
    fn finds_version_in_dockerd_output() {
        assert_eq!(
            EngineVersion::find_in("Docker version 20.10.24+dfsg1, build 297e128"),
            Some(EngineVersion::new(20, 10))
        );
        assert_eq!(EngineVersion::find_in("no version"), None);
    }
}

//! Versions from package databases and bundles: dpkg's status file, Alpine's installed
//! database, a snap's snap.yaml, Docker Desktop's Info.plist.

use crate::version::EngineVersion;

/// The engine packages of dpkg's status file.
const DPKG_PKGS: [&str; 4] = ["docker-ce", "docker.io", "docker-engine", "moby-engine"];
/// The engine packages of Alpine's installed database.
const APK_PKGS: [&str; 2] = ["docker-engine", "docker"];

/// The stanzas of a package database (dpkg's status file, Alpine's installed database) that
/// name an engine package, in their order and separated by a blank line: everything
/// [`dpkg_version`] and [`apk_version`] can pick, so they answer the same on it as on the whole
/// database. The reader keeps only this of a dpkg status file of a few MB.
///
/// Only lines that start with `Package` or `P:` can name a package, so those are found with a
/// vectorised substring search (`memchr::memmem`) instead of walking every line; a stanza is
/// the text between the blank lines around such a line, as `split("\n\n")` cuts it (less any
/// blank lines at its start, where no field is).
#[cfg(test)]
pub(crate) fn engine_stanzas(db: &str) -> String {
    let mut out = String::new();
    stanzas_into(&mut out, db.as_bytes());
    out
}

/// [`engine_stanzas`] over bytes, appended to `out`: the search runs on the bytes and only the
/// kept stanzas are decoded (invalid UTF-8 replaced as `String::from_utf8_lossy` does; a stanza
/// is cut at `\n\n`, never inside a multi-byte sequence, so this equals decoding the whole).
fn stanzas_into(out: &mut String, bytes: &[u8]) {
    let names_engine = |line: &[u8]| {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let dpkg = line
            .strip_prefix(b"Package")
            .and_then(|r| r.strip_prefix(b":"))
            // Trimmed as `dpkg_version` trims it (any Unicode space), so the same stanzas count.
            .is_some_and(|v| DPKG_PKGS.contains(&String::from_utf8_lossy(v).trim()));
        dpkg || line
            .strip_prefix(b"P:")
            .is_some_and(|v| APK_PKGS.iter().any(|p| v == p.as_bytes()))
    };
    // Where the lines that may name a package start, in order.
    let mut starts: Vec<usize> = Vec::new();
    if bytes.starts_with(b"Package") || bytes.starts_with(b"P:") {
        starts.push(0);
    }
    for needle in [b"\nPackage".as_slice(), b"\nP:".as_slice()] {
        starts.extend(memchr::memmem::find_iter(bytes, needle).map(|i| i + 1));
    }
    starts.sort_unstable();
    let mut last_end = None;
    for start in starts {
        if last_end.is_some_and(|end| start < end) {
            continue; // in a stanza already kept
        }
        let rest = bytes.get(start..).unwrap_or(&[]);
        let line = rest.split(|&b| b == b'\n').next().unwrap_or(&[]);
        if !names_engine(line) {
            continue;
        }
        let from =
            memchr::memmem::rfind(bytes.get(..start).unwrap_or(&[]), b"\n\n").map_or(0, |j| j + 2);
        let to = memchr::memmem::find(rest, b"\n\n").map_or(bytes.len(), |j| start + j);
        if !out.is_empty() {
            out.push_str("\n\n");
        }
        out.push_str(&String::from_utf8_lossy(bytes.get(from..to).unwrap_or(&[])));
        last_end = Some(to);
    }
}

/// [`engine_stanzas`] over a database read in chunks, without holding all of it (a dpkg status
/// file of a few MB would cost a page fault per 4 KB in a buffer of its size). The bytes are cut
/// at blank lines that end a stanza (`\n\n` followed by another character), which no stanza
/// spans, and each piece is filtered on its own, giving the same text as the whole. Invalid
/// UTF-8 is replaced piece by piece as `String::from_utf8_lossy` does on the whole: the cuts
/// follow a newline, which is never part of a multi-byte sequence.
///
/// The bytes are read straight into the filter's buffer ([`StanzaFilter::spare`], then
/// [`StanzaFilter::filled`]), whose unfinished stanza moves to its front after each cut, so one
/// buffer serves the whole file.
#[derive(Debug)]
pub(crate) struct StanzaFilter {
    buf: Vec<u8>,
    len: usize,
    out: String,
}

impl StanzaFilter {
    /// A filter reading `chunk` bytes at a time (more when one stanza is longer).
    pub(crate) fn new(chunk: usize) -> StanzaFilter {
        StanzaFilter {
            buf: vec![0; chunk.max(1)],
            len: 0,
            out: String::new(),
        }
    }

    /// Where the next bytes go; say how many with [`StanzaFilter::filled`].
    pub(crate) fn spare(&mut self) -> &mut [u8] {
        if self.len >= self.buf.len() {
            // One unfinished stanza fills the buffer: make room.
            let grown = self.buf.len().saturating_mul(2);
            self.buf.resize(grown, 0);
        }
        self.buf.get_mut(self.len..).unwrap_or(&mut [])
    }

    /// `n` more bytes were put into [`StanzaFilter::spare`].
    pub(crate) fn filled(&mut self, n: usize) {
        // Only the new bytes (and the two before them) can hold a new cut.
        let from = self.len.saturating_sub(2);
        self.len = self.len.saturating_add(n).min(self.buf.len());
        let data = self.buf.get(..self.len).unwrap_or(&[]);
        let tail = data.get(from..).unwrap_or(&[]);
        let cut = memchr::memmem::rfind_iter(tail, b"\n\n")
            .map(|k| from + k + 2)
            .find(|&end| data.get(end).is_some_and(|&b| b != b'\n'));
        if let Some(end) = cut {
            stanzas_into(&mut self.out, data.get(..end).unwrap_or(&[]));
            self.buf.copy_within(end..self.len, 0);
            self.len -= end;
        }
    }

    /// Copy `bytes` in (as a read would put them).
    #[cfg(test)]
    pub(crate) fn push(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            let spare = self.spare();
            let n = spare.len().min(bytes.len());
            if let (Some(dst), Some(src)) = (spare.get_mut(..n), bytes.get(..n)) {
                dst.copy_from_slice(src);
            }
            self.filled(n);
            bytes = bytes.get(n..).unwrap_or(&[]);
        }
    }

    /// The kept stanzas of everything read.
    pub(crate) fn finish(mut self) -> String {
        stanzas_into(&mut self.out, self.buf.get(..self.len).unwrap_or(&[]));
        self.out
    }
}

/// Engine packages in dpkg's status file: (package, version text, engine version).
pub(super) fn dpkg_version(status: &str) -> Option<(String, String, EngineVersion)> {
    for stanza in status.split("\n\n") {
        let field = |name: &str| {
            stanza
                .lines()
                .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
                .map(str::trim)
        };
        let (Some(pkg), Some(version)) = (field("Package"), field("Version")) else {
            continue;
        };
        let installed = field("Status")
            .is_none_or(|s| s.ends_with("installed") && !s.contains("not-installed"));
        if !DPKG_PKGS.contains(&pkg) || !installed {
            continue;
        }
        let no_epoch = version.split_once(':').map_or(version, |(_, v)| v);
        if let Ok(v) = no_epoch.parse() {
            return Some((pkg.to_string(), version.to_string(), v));
        }
    }
    None
}

/// Engine packages in Alpine's installed database (`P:` name, `V:` version).
pub(super) fn apk_version(db: &str) -> Option<(String, String, EngineVersion)> {
    for stanza in db.split("\n\n") {
        let field = |name: &str| stanza.lines().find_map(|l| l.strip_prefix(name));
        let (Some(pkg), Some(version)) = (field("P:"), field("V:")) else {
            continue;
        };
        if !APK_PKGS.contains(&pkg) {
            continue;
        }
        if let Ok(v) = version.parse() {
            return Some((pkg.to_string(), version.to_string(), v));
        }
    }
    None
}

/// `version:` in a snap.yaml.
pub(super) fn snap_version(yaml: &str) -> Option<EngineVersion> {
    yaml.lines()
        .find_map(|l| l.strip_prefix("version:"))
        .and_then(|v| v.trim().trim_matches(['\'', '"']).parse().ok())
}

/// `CFBundleShortVersionString` in an Info.plist.
pub(super) fn plist_version(plist: &str) -> Option<EngineVersion> {
    let after = plist
        .split("<key>CFBundleShortVersionString</key>")
        .nth(1)?;
    let start = after.find("<string>")? + "<string>".len();
    let rest = after.get(start..)?;
    let end = rest.find("</string>")?;
    rest.get(..end)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_versions_from_package_databases() {
        let dpkg = "Package: docker-ce-cli\nStatus: install ok installed\nVersion: 5:26.1.5-1~debian.12~bookworm\n\nPackage: docker-ce\nStatus: install ok installed\nVersion: 5:26.1.5-1~debian.12~bookworm\n";
        assert_eq!(
            dpkg_version(dpkg).map(|x| x.2),
            Some(EngineVersion::new(26, 1))
        );
        let removed =
            "Package: docker.io\nStatus: deinstall ok config-files\nVersion: 20.10.24+dfsg1-1\n";
        assert_eq!(dpkg_version(removed), None);
        let debian = "Package: docker.io\nStatus: install ok installed\nVersion: 20.10.24+dfsg1-1+deb12u1+b6\n";
        assert_eq!(
            dpkg_version(debian).map(|x| x.2),
            Some(EngineVersion::new(20, 10))
        );
        let apk = "C:Q1x=\nP:docker-cli\nV:25.0.5-r1\n\nC:Q2=\nP:docker-engine\nV:25.0.5-r1\n";
        assert_eq!(
            apk_version(apk).map(|x| x.2),
            Some(EngineVersion::new(25, 0))
        );
        assert_eq!(
            snap_version("name: docker\nversion: '28.1.1'\n"),
            Some(EngineVersion::new(28, 1))
        );
        let plist =
            "<dict>\n<key>CFBundleShortVersionString</key>\n\t<string>4.36.0</string>\n</dict>";
        assert_eq!(plist_version(plist), Some(EngineVersion::new(4, 36)));
        assert_eq!(plist_version("<dict/>"), None);
    }

    #[test]
    fn engine_stanzas_keep_what_the_version_readers_pick() {
        let cases: &[(&str, &str)] = &[
            (
                "Package: bash\nVersion: 5.2\n\nPackage: docker.io\nStatus: install ok installed\nVersion: 20.10.24+dfsg1-1\n\nPackage: zsh\nVersion: 5.9\n",
                "Package: docker.io\nStatus: install ok installed\nVersion: 20.10.24+dfsg1-1",
            ),
            ("Package: bash\nVersion: 5.2\n", ""),
            ("", ""),
            (
                "C:Q1\nP:docker-cli\nV:25.0.5-r1\n\nC:Q2\nP:docker-engine\nV:25.0.5-r1\n",
                "C:Q2\nP:docker-engine\nV:25.0.5-r1\n",
            ),
            (
                "Package: docker-ce\r\nVersion: 5:26.1.5\r\n\r\nPackage: bash\r\n",
                "Package: docker-ce\r\nVersion: 5:26.1.5\r\n\r\nPackage: bash\r\n",
            ),
            (
                "Package: a\n\n\n\nPackage:docker.io\nVersion: 1\n\n\n",
                "Package:docker.io\nVersion: 1",
            ),
        ];
        for (db, want) in cases {
            assert_eq!(engine_stanzas(db), *want, "{db:?}");
        }
        // Over random databases: the same version as from the whole database.
        let pieces = [
            "Package: docker.io",
            "Package: docker-ce",
            "Package:moby-engine ",
            "Package: bash",
            "Package: docker-ce-cli",
            "Status: install ok installed",
            "Status: deinstall ok config-files",
            "Status: install ok not-installed",
            "Version: 20.10.24+dfsg1-1",
            "Version: 5:26.1.5-1",
            "Version: x",
            "P:docker",
            "P:docker-engine",
            "P:docker-cli",
            "V:25.0.5-r1",
            "V:1",
            "Description: docker",
            "",
            "\r",
            " continued",
        ];
        let mut seed: u64 = 3;
        let mut below = |n: usize| {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            usize::try_from(seed >> 33).unwrap_or(0) % n
        };
        let mut found = 0;
        for _ in 0..20_000 {
            let n = below(14);
            let lines: Vec<&str> = (0..n).map(|_| pieces[below(pieces.len())]).collect();
            let mut db = lines.join("\n");
            if below(2) == 0 {
                db.push('\n');
            }
            let kept = engine_stanzas(&db);
            assert_eq!(dpkg_version(&kept), dpkg_version(&db), "{db:?}");
            assert_eq!(apk_version(&kept), apk_version(&db), "{db:?}");
            found +=
                usize::from(dpkg_version(&db).is_some()) + usize::from(apk_version(&db).is_some());
        }
        assert!(found > 1000, "{found}");
    }

    #[test]
    fn the_chunked_filter_keeps_what_the_whole_one_keeps() {
        let pieces: [&[u8]; 12] = [
            b"Package: docker.io",
            b"Package: bash",
            b"P:docker",
            b"Version: 20.10.24",
            b"V:1",
            b"Status: install ok installed",
            b"",
            b"\r",
            b"\n",
            b"x\xff\xfe",
            "é".as_bytes(),
            b"Package: docker-ce\r",
        ];
        let mut seed: u64 = 5;
        let mut below = |n: usize| {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            usize::try_from(seed >> 33).unwrap_or(0) % n
        };
        for _ in 0..5_000 {
            let n = below(16);
            let mut db: Vec<u8> = Vec::new();
            for _ in 0..n {
                db.extend_from_slice(pieces[below(pieces.len())]);
                db.push(b'\n');
            }
            let whole = engine_stanzas(&String::from_utf8_lossy(&db));
            let chunk = 1 + below(20);
            let mut f = StanzaFilter::new(1 + below(8));
            for c in db.chunks(chunk) {
                f.push(c);
            }
            let shown = String::from_utf8_lossy(&db);
            assert_eq!(f.finish(), whole, "{shown:?} in chunks of {chunk}");
        }
    }
}

//! Versions from package databases and bundles: dpkg's status file, Alpine's installed
//! database, a snap's snap.yaml, Docker Desktop's Info.plist.

use crate::version::EngineVersion;

/// Engine packages in dpkg's status file: (package, version text, engine version).
pub(super) fn dpkg_version(status: &str) -> Option<(String, String, EngineVersion)> {
    const PKGS: [&str; 4] = ["docker-ce", "docker.io", "docker-engine", "moby-engine"];
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
        if !PKGS.contains(&pkg) || !installed {
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
        if !matches!(pkg, "docker-engine" | "docker") {
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
}

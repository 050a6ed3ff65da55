//! Symlink resolution that, unlike `realpath`, also works when the final target (or folders on the
//! way to it) does not exist yet, and that keeps absolute symlink targets inside `--root`.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::io;
use std::path::{Component, Path, PathBuf};

use nix::libc;

/// The most symlinks followed while resolving one path (Linux's limit).
const MAX_HOPS: usize = 40;

/// Resolve every symlink in `path` (made absolute against the current folder). Components that do
/// not exist are appended as they are, so a dangling symlink resolves to the file it names.
/// With `root`, a symlink found under `root` whose target is absolute is read relative to `root`
/// (as inside a chroot), and `..` never climbs above `root` from inside it.
pub(crate) fn resolve(path: &Path, root: Option<&Path>) -> io::Result<PathBuf> {
    let abs = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()?.join(path)
    };
    let root = match root {
        Some(r) => Some(resolve(r, None)?),
        None => None,
    };
    let mut todo: VecDeque<OsString> = parts(&abs).collect();
    let mut out = PathBuf::from("/");
    let mut hops = 0;
    let mut missing = false;
    while let Some(part) = todo.pop_front() {
        if part == ".." {
            if root.as_deref() != Some(out.as_path()) {
                out.pop();
            }
            continue;
        }
        let next = out.join(&part);
        if missing {
            out = next;
            continue;
        }
        match std::fs::symlink_metadata(&next) {
            Ok(meta) if meta.file_type().is_symlink() => {
                hops += 1;
                if hops > MAX_HOPS {
                    return Err(io::Error::from_raw_os_error(libc::ELOOP));
                }
                let target = std::fs::read_link(&next)?;
                if target.is_absolute() {
                    out = match &root {
                        Some(r) if next.starts_with(r) => r.clone(),
                        _ => PathBuf::from("/"),
                    };
                }
                for p in parts(&target).rev() {
                    todo.push_front(p);
                }
            }
            Ok(meta) => {
                if !meta.is_dir() && !todo.is_empty() {
                    return Err(io::Error::from_raw_os_error(libc::ENOTDIR));
                }
                out = next;
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                missing = true;
                out = next;
            }
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

/// The names and `..` of a path, without the root and `.`.
fn parts(path: &Path) -> impl DoubleEndedIterator<Item = OsString> + '_ {
    path.components().filter_map(|c| match c {
        Component::Normal(n) => Some(n.to_os_string()),
        Component::ParentDir => Some(OsString::from("..")),
        Component::RootDir | Component::CurDir | Component::Prefix(_) => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn resolves_links_and_missing_parts() {
        let tmp = tempfile::TempDir::new().unwrap();
        let base = tmp.path().canonicalize().unwrap();
        let b = |p: &str| base.join(p);
        std::fs::create_dir_all(b("etc/docker")).unwrap();
        std::fs::create_dir_all(b("data/real")).unwrap();
        std::fs::write(b("etc/docker/daemon.json"), "{}").unwrap();
        std::fs::write(b("data/real/d.json"), "{}").unwrap();
        symlink(b("data/real/d.json"), b("etc/abs-link")).unwrap();
        symlink("../data/real/d.json", b("etc/rel-link")).unwrap();
        symlink("abs-link", b("etc/chain")).unwrap();
        symlink(b("data/missing/new.json"), b("etc/dangling")).unwrap();
        symlink(b("data/real"), b("etc/dirlink")).unwrap();
        symlink("loop2", b("etc/loop1")).unwrap();
        symlink("loop1", b("etc/loop2")).unwrap();
        let cases: &[(&str, &str)] = &[
            ("etc/docker/daemon.json", "etc/docker/daemon.json"),
            ("etc/docker/missing.json", "etc/docker/missing.json"),
            ("etc/new/sub/daemon.json", "etc/new/sub/daemon.json"),
            ("etc/abs-link", "data/real/d.json"),
            ("etc/rel-link", "data/real/d.json"),
            ("etc/chain", "data/real/d.json"),
            ("etc/dangling", "data/missing/new.json"),
            ("etc/dirlink/d.json", "data/real/d.json"),
            ("etc/dirlink/../real/x.json", "data/real/x.json"),
            ("etc/./docker//daemon.json", "etc/docker/daemon.json"),
        ];
        for (given, want) in cases {
            assert_eq!(resolve(&b(given), None).unwrap(), b(want), "{given}");
        }
        let err = resolve(&b("etc/loop1"), None).unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::ELOOP));
        let err = resolve(&b("etc/docker/daemon.json/x"), None).unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::ENOTDIR));
    }

    #[test]
    fn absolute_targets_stay_inside_root() {
        let tmp = tempfile::TempDir::new().unwrap();
        let root = tmp.path().canonicalize().unwrap();
        std::fs::create_dir_all(root.join("etc/docker")).unwrap();
        symlink(
            "/var/snap/docker/current/config/daemon.json",
            root.join("etc/docker/daemon.json"),
        )
        .unwrap();
        symlink("../../../../../../x.json", root.join("etc/up")).unwrap();
        let cases: &[(&str, &str)] = &[
            (
                "etc/docker/daemon.json",
                "var/snap/docker/current/config/daemon.json",
            ),
            ("etc/up", "x.json"),
        ];
        for (given, want) in cases {
            let got = resolve(&root.join(given), Some(&root)).unwrap();
            assert_eq!(got, root.join(want), "{given}");
        }
        // Without --root the same link points at the host's path.
        let got = resolve(&root.join("etc/docker/daemon.json"), None).unwrap();
        assert_eq!(
            got,
            PathBuf::from("/var/snap/docker/current/config/daemon.json")
        );
    }
}

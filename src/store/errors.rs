//! Errors of the store: one sentence each that names the file, the action, and what the user can do.
//!
//! `io_error` turns an operating-system error into that sentence; it is a pure function of the error,
//! the action, the path and whether dockcfg runs as root, so every wording is tested with a table.

use nix::libc;
use std::fmt;
use std::io;

/// What kind of failure a [`StoreError`] is, for callers that act on it (exit codes, messages).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreErrorKind {
    /// The file changed under dockcfg (or between a plan and its application); nothing was written.
    Conflict,
    /// `undo` found no backup of the file.
    NothingToUndo,
    /// `undo` found the file edited since dockcfg's last write to it; `force` overrides.
    EditedSince,
    /// Another dockcfg run held the lock on the file for longer than the timeout.
    LockTimeout,
    /// The operating system refused access (EACCES, EPERM).
    PermissionDenied,
    /// The path is not something dockcfg can edit: a folder, a device, a symlink loop, a busy mount.
    Unusable,
    /// A damaged backup entry.
    DamagedBackup,
    /// Any other input/output failure (no space, read-only file system, I/O error, ...).
    Io,
}

/// An error of the store. Its `Display` is the whole user-facing sentence; it carries no source
/// so that `{err:#}` prints it once, without the operating system's wording repeated after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreError {
    kind: StoreErrorKind,
    message: String,
}

impl StoreError {
    /// An error of `kind` with the complete user-facing `message`.
    pub fn new(kind: StoreErrorKind, message: impl Into<String>) -> Self {
        StoreError {
            kind,
            message: message.into(),
        }
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> StoreErrorKind {
        self.kind
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for StoreError {}

/// The kind of a store error inside an `anyhow::Error`, if it is one.
pub fn kind_of(err: &anyhow::Error) -> Option<StoreErrorKind> {
    err.downcast_ref::<StoreError>().map(StoreError::kind)
}

/// What dockcfg was doing when an I/O error happened. It gives the verb of the message and tells
/// whether "nothing was changed" is true at that point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    LookingUp,
    Reading,
    Writing,
    CreatingFolder,
    Locking,
    BackingUp,
    Removing,
}

impl Action {
    fn verb(self) -> &'static str {
        match self {
            Action::LookingUp => "looking up",
            Action::Reading => "reading",
            Action::Writing => "writing",
            Action::CreatingFolder => "creating the folder",
            Action::Locking => "locking the folder",
            Action::BackingUp => "saving a backup in",
            Action::Removing => "removing",
        }
    }

    /// Every action but reading happens before the one atomic step (rename or unlink), so when it
    /// fails the file on disk is as it was.
    fn nothing_changed(self) -> bool {
        !matches!(self, Action::LookingUp | Action::Reading)
    }
}

/// The sentence for an I/O error `err` met while doing `action` on `path` (`as_root`: the
/// effective user is root, so "run with sudo" would not help).
pub(crate) fn io_message(
    err: &io::Error,
    action: Action,
    path: &dyn fmt::Display,
    as_root: bool,
) -> (StoreErrorKind, String) {
    let p = path;
    let verb = action.verb();
    let unchanged = if action.nothing_changed() {
        ": nothing was changed"
    } else {
        ""
    };
    let code = err.raw_os_error().or(match err.kind() {
        io::ErrorKind::PermissionDenied => Some(libc::EACCES),
        io::ErrorKind::StorageFull => Some(libc::ENOSPC),
        io::ErrorKind::ReadOnlyFilesystem => Some(libc::EROFS),
        io::ErrorKind::IsADirectory => Some(libc::EISDIR),
        io::ErrorKind::NotADirectory => Some(libc::ENOTDIR),
        _ => None,
    });
    match code {
        Some(libc::EACCES | libc::EPERM) if as_root => (
            StoreErrorKind::PermissionDenied,
            format!(
                "permission denied {verb} {p} even as root: the file or folder may be immutable \
                 (see `lsattr`) or a security module (SELinux, AppArmor) refuses it{unchanged}"
            ),
        ),
        Some(libc::EACCES | libc::EPERM) => (
            StoreErrorKind::PermissionDenied,
            format!("permission denied {verb} {p}: run with sudo"),
        ),
        Some(libc::ENOSPC) => (
            StoreErrorKind::Io,
            format!("no space left on device {verb} {p}{unchanged}"),
        ),
        Some(libc::EDQUOT) => (
            StoreErrorKind::Io,
            format!("disk quota exceeded {verb} {p}{unchanged}"),
        ),
        Some(libc::EROFS) => (
            StoreErrorKind::Io,
            format!("read-only file system {verb} {p}{unchanged}"),
        ),
        Some(libc::EISDIR) => (
            StoreErrorKind::Unusable,
            format!("{p} is a folder, not a file: give the config file itself with --file"),
        ),
        Some(libc::ENOTDIR) => (
            StoreErrorKind::Unusable,
            format!("a part of the path {p} is a file, not a folder"),
        ),
        Some(libc::ELOOP) => (
            StoreErrorKind::Unusable,
            format!("too many levels of symbolic links {verb} {p} (a symlink loop?)"),
        ),
        Some(libc::EBUSY) => (
            StoreErrorKind::Unusable,
            format!(
                "{p} is busy {verb} it: it may be a mount point (a bind-mounted file cannot be \
                 replaced; edit the file it is mounted from){unchanged}"
            ),
        ),
        Some(libc::EIO) => (
            StoreErrorKind::Io,
            format!("input/output error {verb} {p}: the disk may be failing{unchanged}"),
        ),
        Some(libc::ENAMETOOLONG) => (
            StoreErrorKind::Unusable,
            format!("file name too long {verb} {p}"),
        ),
        _ => (
            StoreErrorKind::Io,
            format!("{verb} {p} failed: {err}{unchanged}"),
        ),
    }
}

/// [`io_message`] as an `anyhow::Error` holding a [`StoreError`].
pub(crate) fn io_error(err: &io::Error, action: Action, path: &dyn fmt::Display) -> anyhow::Error {
    let (kind, message) = io_message(err, action, path, nix::unistd::geteuid().is_root());
    StoreError::new(kind, message).into()
}

/// [`io_error`] for the backup folder: a user who may not write it can also keep the backups
/// elsewhere, so a permission error says how.
pub(crate) fn backup_io_error(
    err: &io::Error,
    action: Action,
    path: &dyn fmt::Display,
) -> anyhow::Error {
    let as_root = nix::unistd::geteuid().is_root();
    let (kind, mut message) = io_message(err, action, path, as_root);
    if kind == StoreErrorKind::PermissionDenied && !as_root {
        message.push_str(
            ", or set DOCKCFG_STATE_DIR to a folder you can write (dockcfg keeps its backups there)",
        );
    }
    StoreError::new(kind, message).into()
}

/// A [`StoreError`] of `kind` as an `anyhow::Error`.
pub(crate) fn store_error(kind: StoreErrorKind, message: impl Into<String>) -> anyhow::Error {
    StoreError::new(kind, message).into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn io_errors_read_as_one_sentence_with_advice() {
        let path = Path::new("/etc/docker/daemon.json");
        let cases: &[(i32, Action, bool, StoreErrorKind, &str)] = &[
            (
                libc::EACCES,
                Action::Writing,
                false,
                StoreErrorKind::PermissionDenied,
                "permission denied writing /etc/docker/daemon.json: run with sudo",
            ),
            (
                libc::EPERM,
                Action::Reading,
                false,
                StoreErrorKind::PermissionDenied,
                "permission denied reading /etc/docker/daemon.json: run with sudo",
            ),
            (
                libc::EPERM,
                Action::Writing,
                true,
                StoreErrorKind::PermissionDenied,
                "permission denied writing /etc/docker/daemon.json even as root: the file or \
                 folder may be immutable (see `lsattr`) or a security module (SELinux, AppArmor) \
                 refuses it: nothing was changed",
            ),
            (
                libc::ENOSPC,
                Action::Writing,
                false,
                StoreErrorKind::Io,
                "no space left on device writing /etc/docker/daemon.json: nothing was changed",
            ),
            (
                libc::EDQUOT,
                Action::BackingUp,
                false,
                StoreErrorKind::Io,
                "disk quota exceeded saving a backup in /etc/docker/daemon.json: nothing was changed",
            ),
            (
                libc::EROFS,
                Action::Writing,
                true,
                StoreErrorKind::Io,
                "read-only file system writing /etc/docker/daemon.json: nothing was changed",
            ),
            (
                libc::EROFS,
                Action::CreatingFolder,
                true,
                StoreErrorKind::Io,
                "read-only file system creating the folder /etc/docker/daemon.json: nothing was changed",
            ),
            (
                libc::EISDIR,
                Action::Reading,
                false,
                StoreErrorKind::Unusable,
                "/etc/docker/daemon.json is a folder, not a file: give the config file itself with --file",
            ),
            (
                libc::ENOTDIR,
                Action::LookingUp,
                false,
                StoreErrorKind::Unusable,
                "a part of the path /etc/docker/daemon.json is a file, not a folder",
            ),
            (
                libc::ELOOP,
                Action::LookingUp,
                false,
                StoreErrorKind::Unusable,
                "too many levels of symbolic links looking up /etc/docker/daemon.json (a symlink loop?)",
            ),
            (
                libc::EBUSY,
                Action::Writing,
                true,
                StoreErrorKind::Unusable,
                "/etc/docker/daemon.json is busy writing it: it may be a mount point (a \
                 bind-mounted file cannot be replaced; edit the file it is mounted from): nothing \
                 was changed",
            ),
            (
                libc::EIO,
                Action::Reading,
                false,
                StoreErrorKind::Io,
                "input/output error reading /etc/docker/daemon.json: the disk may be failing",
            ),
            (
                libc::EXDEV,
                Action::Writing,
                false,
                StoreErrorKind::Io,
                "writing /etc/docker/daemon.json failed: Invalid cross-device link (os error 18): \
                 nothing was changed",
            ),
        ];
        for (code, action, as_root, kind, want) in cases {
            let err = io::Error::from_raw_os_error(*code);
            let got = io_message(&err, *action, &path.display(), *as_root);
            assert_eq!(got, (*kind, want.to_string()), "errno {code}");
        }
    }

    #[test]
    fn synthetic_errors_without_an_errno_are_classified_by_kind() {
        let err = io::Error::from(io::ErrorKind::PermissionDenied);
        let (kind, msg) = io_message(&err, Action::Writing, &"/x", false);
        assert_eq!(kind, StoreErrorKind::PermissionDenied);
        assert_eq!(msg, "permission denied writing /x: run with sudo");
    }

    #[test]
    fn kind_survives_anyhow() {
        let err = store_error(StoreErrorKind::Conflict, "changed");
        assert_eq!(kind_of(&err), Some(StoreErrorKind::Conflict));
        assert_eq!(format!("{err:#}"), "changed");
        assert_eq!(kind_of(&anyhow::anyhow!("other")), None);
    }
}

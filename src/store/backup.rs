//! The backup stack of one config file, in `STATE/backups/<escaped real path>/`.
//!
//! Each entry is a folder named by a sequence number (`000001`, newest = highest) holding
//! `previous` (the bytes before dockcfg wrote; absent if the file did not exist), `written` (the
//! bytes dockcfg wrote) and `meta.json` (time, the original's mode and owner, lengths). An entry
//! is built in a `.tmp-*` folder and renamed into place complete, and removed by renaming it to
//! `.del-*` first, so a crash leaves either a whole entry or a leftover that the next run cleans.
//! Entries whose meta or files do not match are ignored, never deleted.

use std::fmt::Write as _;
use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io::{self, Write as _};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use nix::libc;
use serde::{Deserialize, Serialize};

use super::errors::{Action, StoreErrorKind, backup_io_error, io_error, store_error};
use super::fault::{self, Step};
use super::state_dir::StateDir;

/// How many entries are kept per file; older ones are pruned after each write.
pub const KEEP: usize = 10;

/// Escaped names longer than this are cut and completed by a hash (file names stop at 255 bytes).
const MAX_KEY: usize = 150;

/// Permission bits and owner of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stat {
    /// Permission bits (`0o644`), without the file type.
    pub mode: u32,
    /// Owner's user id.
    pub uid: u32,
    /// Owner's group id.
    pub gid: u32,
}

impl Stat {
    /// The permission bits and owner in `meta`.
    pub fn of(meta: &fs::Metadata) -> Stat {
        Stat {
            mode: meta.mode() & 0o7777,
            uid: meta.uid(),
            gid: meta.gid(),
        }
    }
}

/// One backup: what the file was before one dockcfg write, and what dockcfg wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupEntry {
    seq: u64,
    dir: PathBuf,
    time: u64,
    previous: Option<(Stat, u64)>,
    written_len: Option<u64>,
}

impl BackupEntry {
    /// The entry's sequence number (higher is newer).
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// The entry's folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// When the entry was made.
    pub fn time(&self) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(self.time)
    }

    /// Whether the file existed before the write.
    pub fn existed(&self) -> bool {
        self.previous.is_some()
    }

    /// The mode and owner the file had before the write (`None`: it did not exist).
    pub fn stat(&self) -> Option<Stat> {
        self.previous.map(|(stat, _)| stat)
    }

    /// Where the previous bytes are kept (`None`: the file did not exist).
    pub fn previous_path(&self) -> Option<PathBuf> {
        self.previous.map(|_| self.dir.join("previous"))
    }

    /// The bytes before the write (`None`: the file did not exist).
    pub fn previous(&self) -> anyhow::Result<Option<Vec<u8>>> {
        match self.previous {
            Some((_, len)) => self.blob("previous", len).map(Some),
            None => Ok(None),
        }
    }

    /// The bytes dockcfg wrote (`None`: the write removed the file).
    pub fn written(&self) -> anyhow::Result<Option<Vec<u8>>> {
        match self.written_len {
            Some(len) => self.blob("written", len).map(Some),
            None => Ok(None),
        }
    }

    fn blob(&self, name: &str, len: u64) -> anyhow::Result<Vec<u8>> {
        let path = self.dir.join(name);
        let bytes = fs::read(&path).map_err(|e| io_error(&e, Action::Reading, &path.display()))?;
        if bytes.len() as u64 != len {
            return Err(store_error(
                StoreErrorKind::DamagedBackup,
                format!(
                    "the backup {} is damaged: it has {} bytes, {} expected",
                    path.display(),
                    bytes.len(),
                    len
                ),
            ));
        }
        Ok(bytes)
    }
}

/// `meta.json` of an entry.
#[derive(Debug, Serialize, Deserialize)]
struct Meta {
    format: u32,
    /// The config file's real path, for people reading the folder.
    path: String,
    /// Seconds since 1970 (UTC).
    time: u64,
    previous: Option<PreviousMeta>,
    written_len: Option<u64>,
}

#[derive(Debug, Serialize, Deserialize)]
struct PreviousMeta {
    /// Octal, as `ls` and `chmod` show it: "0644".
    mode: String,
    uid: u32,
    gid: u32,
    len: u64,
}

/// The backup stack of one file (or the `kept/` stack beside it).
#[derive(Debug, Clone)]
pub(crate) struct Stack {
    dir: PathBuf,
}

impl Stack {
    /// The stack of the file whose real path is `real`.
    pub(crate) fn for_file(state: &StateDir, real: &Path) -> Stack {
        Stack {
            dir: state.path().join("backups").join(key_for(real)),
        }
    }

    /// The stack's folder.
    #[cfg(test)]
    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    /// The stack of contents kept aside by a forced undo, beside this one.
    pub(crate) fn kept(&self) -> Stack {
        Stack {
            dir: self.dir.join("kept"),
        }
    }

    /// Create the stack's folder (0700) and record which file it belongs to; refuse a folder that
    /// is a symlink or belongs to another file.
    pub(crate) fn ensure(&self, real: &Path) -> anyhow::Result<()> {
        let shown = self.dir.display();
        DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&self.dir)
            .map_err(|e| backup_io_error(&e, Action::CreatingFolder, &shown))?;
        let meta = fs::symlink_metadata(&self.dir)
            .map_err(|e| backup_io_error(&e, Action::BackingUp, &shown))?;
        if !meta.is_dir() {
            return Err(store_error(
                StoreErrorKind::Unusable,
                format!("refusing to keep backups in {shown}: it is not a plain folder"),
            ));
        }
        let owner_file = self.dir.join("path");
        let mut want = real.as_os_str().as_bytes().to_vec();
        want.push(b'\n');
        match fs::read(&owner_file) {
            Ok(found) if found == want => Ok(()),
            Ok(found) => Err(store_error(
                StoreErrorKind::Unusable,
                format!(
                    "the backup folder {shown} belongs to another file ({}): set DOCKCFG_STATE_DIR \
                     to another folder",
                    String::from_utf8_lossy(&found).trim_end()
                ),
            )),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                let mut tmp = tempfile::Builder::new()
                    .prefix(".tmp-")
                    .tempfile_in(&self.dir)
                    .map_err(|e| backup_io_error(&e, Action::BackingUp, &shown))?;
                tmp.write_all(&want)
                    .and_then(|()| tmp.as_file().sync_all())
                    .map_err(|e| backup_io_error(&e, Action::BackingUp, &shown))?;
                tmp.persist(&owner_file)
                    .map_err(|e| backup_io_error(&e.error, Action::BackingUp, &shown))?;
                Ok(())
            }
            Err(e) => Err(backup_io_error(&e, Action::BackingUp, &shown)),
        }
    }

    /// The valid entries, newest first (none if the folder does not exist).
    pub(crate) fn entries(&self) -> anyhow::Result<Vec<BackupEntry>> {
        let mut entries: Vec<BackupEntry> = self
            .numbered()?
            .into_iter()
            .filter_map(|(seq, dir)| load(seq, dir))
            .collect();
        entries.sort_by_key(|e| std::cmp::Reverse(e.seq));
        Ok(entries)
    }

    /// Every sequence-numbered folder, valid or not.
    fn numbered(&self) -> anyhow::Result<Vec<(u64, PathBuf)>> {
        let list = match fs::read_dir(&self.dir) {
            Ok(list) => list,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io_error(&e, Action::Reading, &self.dir.display())),
        };
        Ok(list
            .filter_map(Result::ok)
            .filter_map(|item| {
                let name = item.file_name();
                let name = name.to_str()?;
                if name.is_empty() || !name.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                Some((name.parse().ok()?, item.path()))
            })
            .collect())
    }

    /// Add a complete entry on top: `previous` (bytes and stat; `None`: did not exist) and
    /// `written` (`None`: the file was removed), whose files get mode and owner `stat`.
    pub(crate) fn push(
        &self,
        real: &Path,
        previous: Option<(&[u8], Stat)>,
        written: Option<&[u8]>,
        stat: Stat,
    ) -> anyhow::Result<BackupEntry> {
        let shown = self.dir.display();
        let fail = |e: io::Error| backup_io_error(&e, Action::BackingUp, &shown);
        let last = self.numbered()?.iter().map(|(n, _)| *n).max().unwrap_or(0);
        let seq = last
            .checked_add(1)
            .ok_or_else(|| fail(io::Error::other("no backup number left")))?;
        let tmp = tempfile::Builder::new()
            .prefix(".tmp-")
            .permissions(fs::Permissions::from_mode(0o700))
            .tempdir_in(&self.dir)
            .map_err(fail)?;
        if let Some((bytes, stat)) = previous {
            write_blob(&tmp.path().join("previous"), bytes, stat).map_err(fail)?;
        }
        fault::check(Step::Backup).map_err(fail)?;
        if let Some(bytes) = written {
            write_blob(&tmp.path().join("written"), bytes, stat).map_err(fail)?;
        }
        let time = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let meta = Meta {
            format: 1,
            path: real.to_string_lossy().into_owned(),
            time,
            previous: previous.map(|(bytes, stat)| PreviousMeta {
                mode: format!("{:04o}", stat.mode),
                uid: stat.uid,
                gid: stat.gid,
                len: bytes.len() as u64,
            }),
            written_len: written.map(|w| w.len() as u64),
        };
        let json = serde_json::to_vec_pretty(&meta)
            .map_err(io::Error::other)
            .map_err(fail)?;
        let own = Stat {
            mode: 0o600,
            uid: nix::unistd::geteuid().as_raw(),
            gid: nix::unistd::getegid().as_raw(),
        };
        write_blob(&tmp.path().join("meta.json"), &json, own).map_err(fail)?;
        sync_dir(tmp.path()).map_err(fail)?;
        let dir = self.dir.join(format!("{seq:06}"));
        fs::rename(tmp.path(), &dir).map_err(fail)?;
        let _ = tmp.keep();
        sync_dir(&self.dir).map_err(fail)?;
        Ok(BackupEntry {
            seq,
            dir,
            time,
            previous: previous.map(|(bytes, stat)| (stat, bytes.len() as u64)),
            written_len: written.map(|w| w.len() as u64),
        })
    }

    /// Remove `entry`: renamed aside first (atomic), then deleted.
    pub(crate) fn remove(&self, entry: &BackupEntry) -> io::Result<()> {
        let nanos = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let aside = self.dir.join(format!(
            ".del-{:06}-{}-{nanos}",
            entry.seq,
            std::process::id()
        ));
        fs::rename(&entry.dir, &aside)?;
        let _ = fs::remove_dir_all(&aside);
        Ok(())
    }

    /// Remove all but the newest `keep` valid entries.
    pub(crate) fn prune(&self, keep: usize) -> anyhow::Result<()> {
        for entry in self.entries()?.iter().skip(keep) {
            self.remove(entry)
                .map_err(|e| io_error(&e, Action::Removing, &entry.dir.display()))?;
        }
        Ok(())
    }

    /// Best effort: remove `.tmp-*` and `.del-*` left by a run that was killed.
    pub(crate) fn clean_leftovers(&self) {
        let Ok(list) = fs::read_dir(&self.dir) else {
            return;
        };
        for item in list.filter_map(Result::ok) {
            let name = item.file_name();
            let name = name.as_bytes();
            if name.starts_with(b".tmp-") || name.starts_with(b".del-") {
                let path = item.path();
                match fs::symlink_metadata(&path) {
                    Ok(m) if m.is_dir() => {
                        let _ = fs::remove_dir_all(&path);
                    }
                    Ok(_) => {
                        let _ = fs::remove_file(&path);
                    }
                    Err(_) => {}
                }
            }
        }
    }

    /// Drop the top entry if it records a write that never reached the file: the file still
    /// holds the entry's previous content (a run killed between backup and rename).
    pub(crate) fn drop_stale_top(&self, current: Option<&[u8]>) {
        let Ok(entries) = self.entries() else {
            return;
        };
        let Some(top) = entries.first() else {
            return;
        };
        if let (Ok(previous), Ok(written)) = (top.previous(), top.written())
            && previous.as_deref() == current
            && written.as_deref() != current
        {
            let _ = self.remove(top);
        }
    }
}

/// Load entry `seq` from `dir`; `None` when its meta or files are missing or do not match.
fn load(seq: u64, dir: PathBuf) -> Option<BackupEntry> {
    let json = fs::read(dir.join("meta.json")).ok()?;
    let meta: Meta = serde_json::from_slice(&json).ok()?;
    if meta.format != 1 {
        return None;
    }
    let has = |name: &str, len: u64| {
        fs::symlink_metadata(dir.join(name)).is_ok_and(|m| m.is_file() && m.len() == len)
    };
    let previous = match meta.previous {
        Some(p) => {
            let mode = u32::from_str_radix(&p.mode, 8).ok()?;
            if !has("previous", p.len) {
                return None;
            }
            Some((
                Stat {
                    mode,
                    uid: p.uid,
                    gid: p.gid,
                },
                p.len,
            ))
        }
        None => None,
    };
    if let Some(len) = meta.written_len
        && !has("written", len)
    {
        return None;
    }
    Some(BackupEntry {
        seq,
        dir,
        time: meta.time,
        previous,
        written_len: meta.written_len,
    })
}

/// Create `path` exclusively (never through a symlink), write `bytes`, give it `stat`'s mode
/// (without set-id bits) and, when running as root, its owner, and flush it to disk.
fn write_blob(path: &Path, bytes: &[u8], stat: Stat) -> io::Result<()> {
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)?;
    file.write_all(bytes)?;
    if nix::unistd::geteuid().is_root() {
        std::os::unix::fs::fchown(&file, Some(stat.uid), Some(stat.gid))?;
    }
    file.set_permissions(fs::Permissions::from_mode(stat.mode & 0o777))?;
    file.sync_all()
}

/// Flush a folder's entries (a rename in it) to disk.
pub(crate) fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// The folder name for the file at `real` (absolute): `/` becomes `-`, letters, digits, `_` and
/// `.` stay, every other byte (and a leading `.`) becomes `%XX`, so two paths never share a name.
/// Names over 150 bytes are cut and end in `~` and a hash of the whole path.
pub(crate) fn key_for(real: &Path) -> String {
    let bytes = real.as_os_str().as_bytes();
    let bytes = bytes.strip_prefix(b"/").unwrap_or(bytes);
    let mut key = String::new();
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'/' => key.push('-'),
            b'.' if i == 0 => key.push_str("%2E"),
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'_' | b'.' => key.push(char::from(b)),
            _ => {
                let _ = write!(key, "%{b:02X}");
            }
        }
    }
    if key.is_empty() {
        key.push_str("%2F");
    }
    if key.len() > MAX_KEY {
        // The key is ASCII, so any byte index is a char boundary.
        let head = key.get(..MAX_KEY - 17).unwrap_or_default().to_string();
        key = format!("{head}~{:016x}", fnv1a(bytes));
    }
    key
}

/// FNV-1a, 64 bits: a hash that stays the same across Rust versions (std's may not).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// `time` as `2025-11-28 04:11:00 UTC`.
pub fn format_utc(time: SystemTime) -> String {
    let secs = time
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_readable_and_never_shared() {
        let cases: &[(&str, &str)] = &[
            ("/etc/docker/daemon.json", "etc-docker-daemon.json"),
            ("/etc/default/docker", "etc-default-docker"),
            ("/etc/a-b", "etc-a%2Db"),
            ("/etc/a/b", "etc-a-b"),
            ("/.hidden/x", "%2Ehidden-x"),
            ("/home/u/my file", "home-u-my%20file"),
            ("/a%2Db", "a%252Db"),
            ("/", "%2F"),
        ];
        for (path, want) in cases {
            assert_eq!(key_for(Path::new(path)), *want, "{path}");
        }
        let long_a = format!("/{}/a", "x".repeat(300));
        let long_b = format!("/{}/b", "x".repeat(300));
        let (a, b) = (key_for(Path::new(&long_a)), key_for(Path::new(&long_b)));
        assert_eq!(a.len(), MAX_KEY);
        assert_ne!(a, b);
    }

    #[test]
    fn times_format_as_utc() {
        let cases: &[(u64, &str)] = &[
            (0, "1970-01-01 00:00:00 UTC"),
            (951_782_400, "2000-02-29 00:00:00 UTC"),
            (1_764_303_060, "2025-11-28 04:11:00 UTC"),
            (4_107_542_399, "2100-02-28 23:59:59 UTC"),
        ];
        for (secs, want) in cases {
            let t = SystemTime::UNIX_EPOCH + Duration::from_secs(*secs);
            assert_eq!(format_utc(t), *want, "{secs}");
        }
    }

    #[test]
    fn half_written_or_mismatched_entries_are_ignored() {
        let tmp = tempfile::TempDir::new().unwrap();
        let stack = Stack::for_file(&StateDir::new(tmp.path()), Path::new("/etc/x.json"));
        stack.ensure(Path::new("/etc/x.json")).unwrap();
        let stat = Stat {
            mode: 0o644,
            uid: 0,
            gid: 0,
        };
        let good = stack
            .push(
                Path::new("/etc/x.json"),
                Some((b"old", stat)),
                Some(b"new"),
                stat,
            )
            .unwrap();
        assert_eq!(good.seq(), 1);
        // A newer entry without meta.json, one whose `previous` was cut short, and a temp folder.
        fs::create_dir(stack.dir.join("000002")).unwrap();
        let cut = stack
            .push(
                Path::new("/etc/x.json"),
                Some((b"old2", stat)),
                Some(b"new2"),
                stat,
            )
            .unwrap();
        assert_eq!(cut.seq(), 3);
        fs::write(cut.dir().join("previous"), "ol").unwrap();
        fs::create_dir(stack.dir.join(".tmp-abc")).unwrap();
        let entries = stack.entries().unwrap();
        assert_eq!(entries, vec![good.clone()]);
        assert_eq!(entries[0].previous().unwrap().as_deref(), Some(&b"old"[..]));
        stack.clean_leftovers();
        assert!(!stack.dir.join(".tmp-abc").exists());
        // Damaged entries are left for a person to look at, not deleted.
        assert!(stack.dir.join("000002").exists());
        // The next entry never reuses a number in use.
        let next = stack
            .push(Path::new("/etc/x.json"), None, Some(b"n"), stat)
            .unwrap();
        assert_eq!(next.seq(), 4);
    }

    #[test]
    fn a_stack_folder_of_another_file_is_refused() {
        let tmp = tempfile::TempDir::new().unwrap();
        let stack = Stack::for_file(&StateDir::new(tmp.path()), Path::new("/etc/x.json"));
        stack.ensure(Path::new("/etc/x.json")).unwrap();
        let err = stack.ensure(Path::new("/etc/y.json")).unwrap_err();
        assert!(
            format!("{err:#}").contains("belongs to another file (/etc/x.json)"),
            "{err:#}"
        );
    }
}

//! The one owner of a config file on disk: read, lock, back up, atomic write, undo.
//!
//! Every change goes: lock the file's folder -> re-read and compare (no lost update) -> temp file
//! in the same folder, fsync, original mode and owner -> backup entry saved complete -> rename
//! over the real path (through symlinks) -> fsync the folder. Until the rename nothing visible
//! changes; a failure removes the temp file and the new entry. Backups live in the state folder
//! (see [`StateDir`] and the `backup` module for the layout); `undo` walks them back.

mod backup;
mod errors;
mod fault;
mod resolve;
mod state_dir;

#[cfg(test)]
mod tests;

use std::ffi::OsString;
use std::fmt;
use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io::{self, Read as _, Write as _};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Component, Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Result;
use nix::errno::Errno;
use nix::fcntl::{Flock, FlockArg};
use nix::libc;
use tempfile::NamedTempFile;

pub use backup::{BackupEntry, KEEP, Stat, format_utc};
pub use errors::{StoreError, StoreErrorKind, kind_of};
pub use state_dir::{EnvView, StateDir};

use backup::{Stack, sync_dir};
use errors::{Action, io_error, store_error};
use fault::Step;

/// How long [`ConfigFile::lock`] waits for another dockcfg run before giving up.
pub const LOCK_TIMEOUT: Duration = Duration::from_secs(60);

/// After this long waiting for the lock, [`ConfigFile::lock_with`] calls its `on_wait`.
pub const LOCK_NOTICE: Duration = Duration::from_secs(1);

/// Mode of a file dockcfg creates.
const NEW_FILE_MODE: u32 = 0o644;

/// A config file on disk, owned by dockcfg for one run.
#[derive(Debug, Clone)]
pub struct ConfigFile {
    /// The path as the user gave it (used in messages).
    path: PathBuf,
    /// `path` with every symlink resolved, also when the final target does not exist yet.
    real: PathBuf,
    /// `--root`, inside which absolute symlink targets are read.
    root: Option<PathBuf>,
    /// Whether reaching `real` from `path` went through a symlink.
    via_link: bool,
    state: StateDir,
}

/// An exclusive lock on a config file, held until dropped. It is a `flock` on the file's folder
/// (whose inode never changes when the file is replaced), so one `Lock` covers every file in that
/// folder, and a second `lock()` on the same folder in the same process waits for the first.
pub struct Lock {
    dir: PathBuf,
    _flock: Flock<File>,
}

impl fmt::Debug for Lock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lock").field("dir", &self.dir).finish()
    }
}

/// What [`ConfigFile::write`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteReport {
    /// The file's bytes changed (false: the new bytes were already there; nothing was written).
    pub changed: bool,
    /// The file did not exist before.
    pub created: bool,
    /// The backup entry of this write (give it to [`ConfigFile::rollback`] to undo it).
    pub backup: Option<BackupEntry>,
    /// Things that went wrong after the file was safely replaced (old backups not pruned, folder
    /// not flushed); worth showing, not failures.
    pub warnings: Vec<String>,
}

/// What [`ConfigFile::apply_undo`] would do: made by [`ConfigFile::plan_undo`] for the diff and
/// for `--dry-run`, checked again under the lock when applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UndoPlan {
    label: String,
    entry: BackupEntry,
    current: Option<Vec<u8>>,
    restored: Option<Vec<u8>>,
    edited_since: bool,
}

impl UndoPlan {
    /// The backup entry the undo steps back over.
    pub fn entry(&self) -> &BackupEntry {
        &self.entry
    }

    /// The file's bytes now (`None`: missing).
    pub fn current(&self) -> Option<&[u8]> {
        self.current.as_deref()
    }

    /// The file's bytes after the undo (`None`: the undo removes the file, which dockcfg created).
    pub fn restored(&self) -> Option<&[u8]> {
        self.restored.as_deref()
    }

    /// The file changed since dockcfg wrote it (by hand or another program): undo needs `force`.
    pub fn edited_since(&self) -> bool {
        self.edited_since
    }

    /// The undo changes nothing on disk (the file already holds what it would restore); it only
    /// drops the backup entry.
    pub fn is_noop(&self) -> bool {
        self.current == self.restored
    }

    /// Whether the undo may go ahead: refused when the file was edited since dockcfg wrote it,
    /// unless `force`.
    pub fn check(&self, force: bool) -> Result<()> {
        if self.edited_since && !force && !self.is_noop() {
            return Err(store_error(
                StoreErrorKind::EditedSince,
                format!(
                    "{} was changed by hand or by another program since dockcfg wrote it ({}); undo \
                     would throw those changes away: use --force to undo anyway (the current \
                     content is then kept in dockcfg's backups)",
                    self.label,
                    format_utc(self.entry.time())
                ),
            ));
        }
        Ok(())
    }
}

/// What [`ConfigFile::apply_undo`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UndoReport {
    /// The file's bytes changed.
    pub changed: bool,
    /// The file was removed (dockcfg had created it).
    pub removed: bool,
    /// Where the content a forced undo replaced was kept.
    pub kept: Option<PathBuf>,
    /// Things that went wrong after the file was restored; worth showing, not failures.
    pub warnings: Vec<String>,
}

/// The file as read from disk.
struct Current {
    bytes: Vec<u8>,
    stat: Stat,
    /// Hard links to the file (a rename replaces only this one).
    links: u64,
}

impl ConfigFile {
    /// The config file at `path`, its symlinks resolved now (absolute targets inside `root` when
    /// given), with backups under `state`. Touches nothing; fails only if the path cannot be
    /// looked up (permission, symlink loop, a file where a folder should be).
    pub fn new(path: impl Into<PathBuf>, root: Option<&Path>, state: StateDir) -> Result<Self> {
        let path = path.into();
        let real = resolve::resolve(&path, root)
            .map_err(|e| io_error(&e, Action::LookingUp, &path.display()))?;
        if real.file_name().is_none() || real.parent().is_none() {
            return Err(store_error(
                StoreErrorKind::Unusable,
                format!("{} is not a file", path.display()),
            ));
        }
        let via_link = lexical_absolute(&path).is_none_or(|abs| abs != real);
        Ok(ConfigFile {
            path,
            real,
            root: root.map(Path::to_path_buf),
            via_link,
            state,
        })
    }

    /// The path as given.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The file actually read and replaced (symlinks resolved).
    pub fn real(&self) -> &Path {
        &self.real
    }

    /// Where the backups live.
    pub fn state(&self) -> &StateDir {
        &self.state
    }

    /// The file's name in messages: the path as given, and where it leads if through a symlink.
    pub fn label(&self) -> String {
        if self.via_link {
            format!("{} (-> {})", self.path.display(), self.real.display())
        } else {
            self.path.display().to_string()
        }
    }

    /// The file's bytes, or `None` if it does not exist.
    pub fn read(&self) -> Result<Option<Vec<u8>>> {
        Ok(self.read_current()?.map(|c| c.bytes))
    }

    /// Take the exclusive lock that serialises dockcfg runs on this file, waiting up to
    /// [`LOCK_TIMEOUT`]. Creates the file's folder (0755) if missing.
    pub fn lock(&self) -> Result<Lock> {
        self.lock_with(LOCK_TIMEOUT, || {})
    }

    /// [`ConfigFile::lock`] with another `timeout`; `on_wait` is called once if the lock is still
    /// held by another run after [`LOCK_NOTICE`] (to tell the user why nothing happens).
    pub fn lock_with(&self, timeout: Duration, on_wait: impl FnOnce()) -> Result<Lock> {
        let dir = self.folder();
        DirBuilder::new()
            .recursive(true)
            .mode(0o755)
            .create(dir)
            .map_err(|e| io_error(&e, Action::CreatingFolder, &dir.display()))?;
        let mut file =
            File::open(dir).map_err(|e| io_error(&e, Action::Locking, &dir.display()))?;
        let start = Instant::now();
        let mut on_wait = Some(on_wait);
        let mut pause = Duration::from_millis(1);
        loop {
            match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
                Ok(flock) => {
                    return Ok(Lock {
                        dir: dir.to_path_buf(),
                        _flock: flock,
                    });
                }
                Err((back, Errno::EWOULDBLOCK | Errno::EINTR)) => file = back,
                Err((_, errno)) => {
                    let err = io::Error::from_raw_os_error(errno as i32);
                    return Err(io_error(&err, Action::Locking, &dir.display()));
                }
            }
            let waited = start.elapsed();
            if waited >= timeout {
                return Err(store_error(
                    StoreErrorKind::LockTimeout,
                    format!(
                        "another dockcfg has been editing {} for {} s (it holds the lock on {}); \
                         nothing was changed: try again when it has finished",
                        self.label(),
                        waited.as_secs(),
                        dir.display()
                    ),
                ));
            }
            if waited >= LOCK_NOTICE
                && let Some(notify) = on_wait.take()
            {
                notify();
            }
            std::thread::sleep(pause.min(timeout.saturating_sub(waited)));
            pause = (pause * 2).min(Duration::from_millis(50));
        }
    }

    /// Replace the file's bytes with `new`, under `lock`, if it still holds `expected_old`
    /// (`None`: did not exist). Backs up the old bytes first; the write is atomic (temp file in
    /// the same folder, fsync, rename, fsync of the folder) and keeps the original's mode and
    /// owner (a new file: 0644, owned by the caller). Writing the bytes already there does nothing.
    pub fn write(
        &self,
        lock: &Lock,
        expected_old: Option<&[u8]>,
        new: &[u8],
    ) -> Result<WriteReport> {
        self.check_lock(lock)?;
        self.check_same_target()?;
        self.clean_temp_leftovers();
        let stack = self.stack();
        stack.clean_leftovers();
        let current = self.read_current()?;
        let current_bytes = current.as_ref().map(|c| c.bytes.as_slice());
        if current_bytes != expected_old {
            return Err(self.changed_error());
        }
        if current_bytes == Some(new) {
            return Ok(WriteReport {
                changed: false,
                created: false,
                backup: None,
                warnings: Vec::new(),
            });
        }
        let stat = current.as_ref().map(|c| c.stat);
        let temp = self.prepare_temp(new, stat)?;
        stack.ensure(&self.real)?;
        stack.drop_stale_top(current_bytes);
        let entry = stack.push(
            &self.real,
            current.as_ref().map(|c| (c.bytes.as_slice(), c.stat)),
            Some(new),
            stat.unwrap_or_else(|| self.new_file_stat()),
        )?;
        if let Err(err) = self.commit_temp(temp) {
            let _ = stack.remove(&entry);
            return Err(err);
        }
        let mut warnings = Vec::new();
        self.sync_folder(&mut warnings);
        if current.as_ref().is_some_and(|c| c.links > 1) {
            warnings.push(format!(
                "{} had other hard links; they still hold the old content",
                self.label()
            ));
        }
        if let Err(err) = stack.prune(KEEP) {
            warnings.push(format!("old backups were not pruned: {err:#}"));
        }
        Ok(WriteReport {
            changed: true,
            created: current.is_none(),
            backup: Some(entry),
            warnings,
        })
    }

    /// The backup entries of this file, newest first.
    pub fn backups(&self) -> Result<Vec<BackupEntry>> {
        self.stack().entries()
    }

    /// What `undo` would do: restore the newest backup's previous content (or remove the file if
    /// it did not exist). Reads only; needs no lock. Fails when there is no backup.
    pub fn plan_undo(&self) -> Result<UndoPlan> {
        let Some(entry) = self.stack().entries()?.into_iter().next() else {
            return Err(store_error(
                StoreErrorKind::NothingToUndo,
                format!("no dockcfg backup of {}: nothing to undo", self.label()),
            ));
        };
        let current = self.read()?;
        let restored = entry.previous()?;
        let edited_since = current != entry.written()?;
        Ok(UndoPlan {
            label: self.label(),
            entry,
            current,
            restored,
            edited_since,
        })
    }

    /// Carry out `plan` under `lock`: restore the previous bytes byte for byte with their mode and
    /// owner (or remove the file), then drop the entry so the next undo goes further back. If the
    /// file was edited since dockcfg wrote it, refuses unless `force`; with `force` the current
    /// content is first kept in a `kept/` backup beside the stack.
    pub fn apply_undo(&self, lock: &Lock, plan: &UndoPlan, force: bool) -> Result<UndoReport> {
        self.check_lock(lock)?;
        self.check_same_target()?;
        self.clean_temp_leftovers();
        let stack = self.stack();
        stack.clean_leftovers();
        if stack.entries()?.first() != Some(&plan.entry) {
            return Err(store_error(
                StoreErrorKind::Conflict,
                format!(
                    "the backups of {} changed while dockcfg was preparing the undo; nothing was \
                     changed: run the command again",
                    self.label()
                ),
            ));
        }
        let current = self.read_current()?;
        if current.as_ref().map(|c| c.bytes.as_slice()) != plan.current() {
            return Err(self.changed_error());
        }
        plan.check(force)?;
        let mut kept = None;
        if !plan.is_noop() {
            if let (true, Some(cur)) = (plan.edited_since, &current) {
                let aside = stack.kept();
                aside.ensure(&self.real)?;
                let entry = aside.push(
                    &self.real,
                    Some((&cur.bytes, cur.stat)),
                    plan.restored(),
                    plan.entry.stat().unwrap_or(cur.stat),
                )?;
                kept = entry.previous_path();
                let _ = aside.prune(KEEP);
            }
            self.put_back(plan.restored(), plan.entry.stat())?;
        }
        let mut warnings = Vec::new();
        if let Err(err) = stack.remove(&plan.entry) {
            warnings.push(format!(
                "the used backup {} was not removed: {err}",
                plan.entry.dir().display()
            ));
        }
        Ok(UndoReport {
            changed: !plan.is_noop(),
            removed: !plan.is_noop() && plan.restored.is_none(),
            kept,
            warnings,
        })
    }

    /// [`ConfigFile::plan_undo`] then [`ConfigFile::apply_undo`].
    pub fn undo(&self, lock: &Lock, force: bool) -> Result<UndoReport> {
        let plan = self.plan_undo()?;
        self.apply_undo(lock, &plan, force)
    }

    /// Put the file back as it was before the write that `report` describes (after a failed
    /// apply), and drop that write's backup entry. Refuses if the file no longer holds what that
    /// write wrote, so nobody's later change is lost. Does nothing for a write that changed nothing.
    pub fn rollback(&self, lock: &Lock, report: &WriteReport) -> Result<()> {
        let Some(entry) = &report.backup else {
            return Ok(());
        };
        self.check_lock(lock)?;
        self.check_same_target()?;
        let stack = self.stack();
        let current = self.read()?;
        let on_top = stack.entries()?.first() == Some(entry);
        if !on_top || current != entry.written()? {
            let kept = entry
                .previous_path()
                .map(|p| format!("; its previous content is kept in {}", p.display()))
                .unwrap_or_default();
            return Err(store_error(
                StoreErrorKind::Conflict,
                format!(
                    "{} was changed by another program after dockcfg wrote it, so it was not put \
                     back{kept}",
                    self.label()
                ),
            ));
        }
        self.put_back(entry.previous()?.as_deref(), entry.stat())?;
        let _ = stack.remove(entry);
        Ok(())
    }

    fn folder(&self) -> &Path {
        self.real.parent().unwrap_or(Path::new("/"))
    }

    fn stack(&self) -> Stack {
        Stack::for_file(&self.state, &self.real)
    }

    fn new_file_stat(&self) -> Stat {
        Stat {
            mode: NEW_FILE_MODE,
            uid: nix::unistd::geteuid().as_raw(),
            gid: nix::unistd::getegid().as_raw(),
        }
    }

    fn changed_error(&self) -> anyhow::Error {
        store_error(
            StoreErrorKind::Conflict,
            format!(
                "{} was changed by another program while dockcfg was editing it; nothing was \
                 written: run the command again",
                self.label()
            ),
        )
    }

    fn check_lock(&self, lock: &Lock) -> Result<()> {
        if lock.dir != self.folder() {
            return Err(store_error(
                StoreErrorKind::Unusable,
                format!(
                    "internal error: the lock on {} does not cover {}; nothing was changed",
                    lock.dir.display(),
                    self.label()
                ),
            ));
        }
        Ok(())
    }

    /// The path must still lead to the same real file (a symlink may have been changed).
    fn check_same_target(&self) -> Result<()> {
        let now = resolve::resolve(&self.path, self.root.as_deref())
            .map_err(|e| io_error(&e, Action::LookingUp, &self.label()))?;
        if now != self.real {
            return Err(store_error(
                StoreErrorKind::Conflict,
                format!(
                    "{} now leads to {} (a symlink was changed while dockcfg was editing it); \
                     nothing was written: run the command again",
                    self.label(),
                    now.display()
                ),
            ));
        }
        Ok(())
    }

    /// Read the real file without following a symlink in its last component and without
    /// blocking on a pipe; `None` if it does not exist.
    fn read_current(&self) -> Result<Option<Current>> {
        let label = self.label();
        let opened = OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
            .open(&self.real);
        let mut file = match opened {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) if e.raw_os_error() == Some(libc::ELOOP) => {
                return Err(store_error(
                    StoreErrorKind::Conflict,
                    format!(
                        "{label} was replaced by a symlink while dockcfg was running; nothing was \
                         written: run the command again"
                    ),
                ));
            }
            Err(e) => return Err(io_error(&e, Action::Reading, &label)),
        };
        let meta = file
            .metadata()
            .map_err(|e| io_error(&e, Action::Reading, &label))?;
        if meta.is_dir() {
            let err = io::Error::from_raw_os_error(libc::EISDIR);
            return Err(io_error(&err, Action::Reading, &label));
        }
        if !meta.is_file() {
            return Err(store_error(
                StoreErrorKind::Unusable,
                format!(
                    "{label} is not a regular file (a device, pipe or socket): dockcfg edits \
                     regular files only"
                ),
            ));
        }
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)
            .map_err(|e| io_error(&e, Action::Reading, &label))?;
        Ok(Some(Current {
            bytes,
            stat: Stat::of(&meta),
            links: meta.nlink(),
        }))
    }

    /// The prefix of this file's temp files: `.daemon.json.dockcfg-`.
    fn temp_prefix(&self) -> OsString {
        let mut prefix = OsString::from(".");
        prefix.push(self.real.file_name().unwrap_or_default());
        prefix.push(".dockcfg-");
        prefix
    }

    /// Best effort: remove this file's temp files left by a killed run (safe under the lock: no
    /// other dockcfg run writes in this folder now).
    fn clean_temp_leftovers(&self) {
        let prefix = self.temp_prefix();
        let Ok(list) = fs::read_dir(self.folder()) else {
            return;
        };
        for item in list.filter_map(Result::ok) {
            let name = item.file_name();
            let name = name.as_bytes();
            if name.starts_with(prefix.as_bytes())
                && name.ends_with(b".tmp")
                && item
                    .file_type()
                    .is_ok_and(|t| t.is_file() || t.is_symlink())
            {
                let _ = fs::remove_file(item.path());
            }
        }
    }

    /// A temp file beside the real file holding `bytes`, with the mode and owner of `stat` (or
    /// a new file's), flushed to disk. Removed when dropped unless committed.
    fn prepare_temp(&self, bytes: &[u8], stat: Option<Stat>) -> Result<NamedTempFile> {
        let label = self.label();
        let fail = |e: io::Error| io_error(&e, Action::Writing, &label);
        let mut temp = tempfile::Builder::new()
            .prefix(&self.temp_prefix())
            .suffix(".tmp")
            .rand_bytes(8)
            .tempfile_in(self.folder())
            .map_err(fail)?;
        temp.write_all(bytes).map_err(fail)?;
        fault::check(Step::TempWritten).map_err(fail)?;
        let file = temp.as_file();
        let mode = match stat {
            Some(stat) => {
                let mine = Stat::of(&file.metadata().map_err(fail)?);
                if (mine.uid, mine.gid) != (stat.uid, stat.gid) {
                    std::os::unix::fs::fchown(file, Some(stat.uid), Some(stat.gid))
                        .map_err(fail)?;
                }
                stat.mode
            }
            None => NEW_FILE_MODE,
        };
        file.set_permissions(fs::Permissions::from_mode(mode))
            .map_err(fail)?;
        file.sync_all().map_err(fail)?;
        Ok(temp)
    }

    /// Rename `temp` over the real file (the one atomic step).
    fn commit_temp(&self, temp: NamedTempFile) -> Result<()> {
        let label = self.label();
        if let Err(e) = fault::check(Step::Rename) {
            return Err(io_error(&e, Action::Writing, &label));
        }
        temp.persist(&self.real)
            .map_err(|e| io_error(&e.error, Action::Writing, &label))?;
        Ok(())
    }

    /// Make the file hold `content` with `stat` (or remove it when `content` is `None`).
    fn put_back(&self, content: Option<&[u8]>, stat: Option<Stat>) -> Result<()> {
        match content {
            Some(bytes) => {
                let temp = self.prepare_temp(bytes, stat)?;
                self.commit_temp(temp)?;
            }
            None => match fs::remove_file(&self.real) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(io_error(&e, Action::Removing, &self.label())),
            },
        }
        self.sync_folder(&mut Vec::new());
        Ok(())
    }

    fn sync_folder(&self, warnings: &mut Vec<String>) {
        if let Err(e) = sync_dir(self.folder()) {
            warnings.push(format!(
                "{} was replaced, but flushing its folder to disk failed: {e}",
                self.label()
            ));
        }
    }
}

/// `path` made absolute against the current folder with `.` and `..` removed by name only (no
/// symlinks followed); `None` if the current folder is unknown.
fn lexical_absolute(path: &Path) -> Option<PathBuf> {
    let abs = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().ok()?.join(path)
    };
    let mut out = PathBuf::from("/");
    for part in abs.components() {
        match part {
            Component::Normal(n) => out.push(n),
            Component::ParentDir => {
                out.pop();
            }
            Component::RootDir | Component::CurDir | Component::Prefix(_) => {}
        }
    }
    Some(out)
}

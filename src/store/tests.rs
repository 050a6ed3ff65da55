//! Tests of `ConfigFile` against real files in temp folders: what a user would find on disk and
//! read in the messages after each operation.

use super::*;
use std::os::unix::fs::{MetadataExt, symlink};
use std::sync::Arc;
use tempfile::TempDir;

/// A temp tree with a state folder in it.
struct Tree {
    tmp: TempDir,
}

impl Tree {
    fn new() -> Tree {
        let tmp = TempDir::new().unwrap();
        Tree { tmp }
    }
    fn p(&self, rel: &str) -> PathBuf {
        self.tmp.path().join(rel)
    }
    fn state(&self) -> StateDir {
        StateDir::new(self.p("state"))
    }
    fn file(&self, rel: &str) -> ConfigFile {
        ConfigFile::new(self.p(rel), None, self.state()).unwrap()
    }
    fn put(&self, rel: &str, bytes: &[u8], mode: u32) {
        let path = self.p(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, bytes).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
    }
}

/// Read, then write `new` under the lock, as an edit command does.
fn edit(file: &ConfigFile, new: &[u8]) -> WriteReport {
    let lock = file.lock().unwrap();
    let old = file.read().unwrap();
    file.write(&lock, old.as_deref(), new).unwrap()
}

fn mode_of(path: &Path) -> u32 {
    fs::metadata(path).unwrap().mode() & 0o7777
}

fn msg(err: &anyhow::Error) -> String {
    format!("{err:#}")
}

/// Names in `dir` that a write leaves behind only when it failed or was killed.
fn leftovers(dir: &Path) -> Vec<String> {
    let Ok(list) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut names: Vec<String> = list
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".dockcfg-") || n.starts_with(".tmp-") || n.starts_with(".del-"))
        .collect();
    names.sort();
    names
}

#[test]
fn writes_create_replace_and_keep_mode_through_symlinks() {
    struct Case {
        name: &'static str,
        setup: fn(&Tree),
        target: &'static str,
        /// The file that must hold the new bytes afterwards.
        real: &'static str,
        mode: u32,
        /// The target held these bytes before (`None`: missing).
        before: Option<&'static [u8]>,
    }
    let cases = [
        Case {
            name: "create in an existing folder",
            setup: |t| fs::create_dir_all(t.p("etc/docker")).unwrap(),
            target: "etc/docker/daemon.json",
            real: "etc/docker/daemon.json",
            mode: 0o644,
            before: None,
        },
        Case {
            name: "create with missing folders",
            setup: |_| {},
            target: "etc/docker/daemon.json",
            real: "etc/docker/daemon.json",
            mode: 0o644,
            before: None,
        },
        Case {
            name: "overwrite",
            setup: |t| t.put("etc/docker/daemon.json", b"{}\n", 0o644),
            target: "etc/docker/daemon.json",
            real: "etc/docker/daemon.json",
            mode: 0o644,
            before: Some(b"{}\n"),
        },
        Case {
            name: "mode 0640 kept",
            setup: |t| t.put("etc/docker/daemon.json", b"{}", 0o640),
            target: "etc/docker/daemon.json",
            real: "etc/docker/daemon.json",
            mode: 0o640,
            before: Some(b"{}"),
        },
        Case {
            name: "mode 0600 kept",
            setup: |t| t.put("etc/docker/daemon.json", b"{}", 0o600),
            target: "etc/docker/daemon.json",
            real: "etc/docker/daemon.json",
            mode: 0o600,
            before: Some(b"{}"),
        },
        Case {
            name: "through a relative symlink: the target is replaced",
            setup: |t| {
                t.put("data/daemon.json", b"{\"a\":1}", 0o640);
                fs::create_dir_all(t.p("etc/docker")).unwrap();
                symlink("../../data/daemon.json", t.p("etc/docker/daemon.json")).unwrap();
            },
            target: "etc/docker/daemon.json",
            real: "data/daemon.json",
            mode: 0o640,
            before: Some(b"{\"a\":1}"),
        },
        Case {
            name: "through a dangling symlink: its target is created",
            setup: |t| {
                fs::create_dir_all(t.p("etc/docker")).unwrap();
                symlink(t.p("data/new/daemon.json"), t.p("etc/docker/daemon.json")).unwrap();
            },
            target: "etc/docker/daemon.json",
            real: "data/new/daemon.json",
            mode: 0o644,
            before: None,
        },
        Case {
            name: "through a symlinked folder",
            setup: |t| {
                t.put("data/docker/daemon.json", b"{}", 0o644);
                fs::create_dir_all(t.p("etc")).unwrap();
                symlink(t.p("data/docker"), t.p("etc/docker")).unwrap();
            },
            target: "etc/docker/daemon.json",
            real: "data/docker/daemon.json",
            mode: 0o644,
            before: Some(b"{}"),
        },
    ];
    for case in cases {
        let t = Tree::new();
        (case.setup)(&t);
        let was_link = fs::symlink_metadata(t.p(case.target))
            .map(|m| m.file_type().is_symlink())
            .unwrap_or(false);
        let file = t.file(case.target);
        assert_eq!(file.real(), t.p(case.real), "{}", case.name);
        let new = b"{\n  \"insecure-registries\": [\"r:5000\"]\n}\n";
        let report = edit(&file, new);
        let name = case.name;
        assert!(report.changed, "{name}");
        assert_eq!(report.created, case.before.is_none(), "{name}");
        assert_eq!(fs::read(t.p(case.real)).unwrap(), new, "{name}");
        assert_eq!(mode_of(&t.p(case.real)), case.mode, "{name}");
        let still_link = fs::symlink_metadata(t.p(case.target))
            .unwrap()
            .file_type()
            .is_symlink();
        assert_eq!(still_link, was_link, "{name}: a symlink stays a symlink");
        let backups = file.backups().unwrap();
        assert_eq!(backups.len(), 1, "{name}");
        assert_eq!(
            backups[0].previous().unwrap().as_deref(),
            case.before,
            "{name}"
        );
        assert_eq!(
            backups[0].written().unwrap().as_deref(),
            Some(&new[..]),
            "{name}"
        );
        if case.before.is_some() {
            assert_eq!(backups[0].stat().map(|s| s.mode), Some(case.mode), "{name}");
            let kept = backups[0].previous_path().unwrap();
            assert_eq!(
                mode_of(&kept),
                case.mode,
                "{name}: the backup keeps the mode"
            );
        }
        assert!(
            leftovers(t.p(case.real).parent().unwrap()).is_empty(),
            "{name}"
        );
        // Undo puts the file back exactly (or removes it) and leaves the symlink alone.
        let lock = file.lock().unwrap();
        let undone = file.undo(&lock, false).unwrap();
        assert_eq!(undone.removed, case.before.is_none(), "{name}");
        assert_eq!(
            fs::read(t.p(case.real)).ok().as_deref(),
            case.before,
            "{name}"
        );
        if case.before.is_some() {
            assert_eq!(mode_of(&t.p(case.real)), case.mode, "{name}");
        }
        assert_eq!(
            fs::symlink_metadata(t.p(case.target))
                .map(|m| m.file_type().is_symlink())
                .unwrap_or(false),
            was_link,
            "{name}"
        );
    }
}

#[test]
fn owner_is_kept() {
    if !nix::unistd::geteuid().is_root() {
        println!("skipped: changing a file's owner needs root");
        return;
    }
    let t = Tree::new();
    t.put("etc/docker/daemon.json", b"{}", 0o640);
    std::os::unix::fs::chown(t.p("etc/docker/daemon.json"), Some(1), Some(2)).unwrap();
    let file = t.file("etc/docker/daemon.json");
    edit(&file, b"{\"debug\":true}");
    let meta = fs::metadata(t.p("etc/docker/daemon.json")).unwrap();
    assert_eq!(
        (meta.uid(), meta.gid(), meta.mode() & 0o7777),
        (1, 2, 0o640)
    );
    let backup = &file.backups().unwrap()[0];
    let kept = fs::metadata(backup.previous_path().unwrap()).unwrap();
    assert_eq!(
        (kept.uid(), kept.gid()),
        (1, 2),
        "the backup keeps the owner"
    );
    // A file dockcfg creates belongs to the caller.
    let created = t.file("etc/docker/other.json");
    edit(&created, b"{}");
    let meta = fs::metadata(t.p("etc/docker/other.json")).unwrap();
    assert_eq!((meta.uid(), meta.mode() & 0o7777), (0, 0o644));
}

#[test]
fn lost_updates_are_refused_and_nothing_is_written() {
    struct Case {
        name: &'static str,
        before: Option<&'static [u8]>,
        /// What another program does between dockcfg's read and its write.
        meddle: fn(&Tree),
        after: Option<&'static [u8]>,
        want: &'static str,
    }
    let changed = "was changed by another program while dockcfg was editing it; nothing was \
                   written: run the command again";
    let cases = [
        Case {
            name: "content changed",
            before: Some(b"{}"),
            meddle: |t| fs::write(t.p("etc/docker/daemon.json"), "{\"x\":1}").unwrap(),
            after: Some(b"{\"x\":1}"),
            want: changed,
        },
        Case {
            name: "file removed",
            before: Some(b"{}"),
            meddle: |t| fs::remove_file(t.p("etc/docker/daemon.json")).unwrap(),
            after: None,
            want: changed,
        },
        Case {
            name: "file created",
            before: None,
            meddle: |t| fs::write(t.p("etc/docker/daemon.json"), "{}").unwrap(),
            after: Some(b"{}"),
            want: changed,
        },
        Case {
            name: "replaced by a symlink",
            before: Some(b"{}"),
            meddle: |t| {
                fs::write(t.p("elsewhere.json"), "{}").unwrap();
                fs::remove_file(t.p("etc/docker/daemon.json")).unwrap();
                symlink(t.p("elsewhere.json"), t.p("etc/docker/daemon.json")).unwrap();
            },
            after: Some(b"{}"),
            want: "now leads to",
        },
    ];
    for case in cases {
        let t = Tree::new();
        fs::create_dir_all(t.p("etc/docker")).unwrap();
        if let Some(b) = case.before {
            t.put("etc/docker/daemon.json", b, 0o644);
        }
        let file = t.file("etc/docker/daemon.json");
        let lock = file.lock().unwrap();
        let old = file.read().unwrap();
        (case.meddle)(&t);
        let err = file
            .write(&lock, old.as_deref(), b"{\"new\":1}")
            .unwrap_err();
        let name = case.name;
        assert_eq!(kind_of(&err), Some(StoreErrorKind::Conflict), "{name}");
        assert!(msg(&err).contains(case.want), "{name}: {}", msg(&err));
        assert!(msg(&err).starts_with(&t.p("etc/docker/daemon.json").display().to_string()));
        assert_eq!(
            fs::read(t.p("etc/docker/daemon.json")).ok().as_deref(),
            case.after,
            "{name}"
        );
        assert!(file.backups().unwrap().is_empty(), "{name}");
        assert!(leftovers(&t.p("etc/docker")).is_empty(), "{name}");
    }
}

#[test]
fn writing_the_same_bytes_changes_nothing() {
    let t = Tree::new();
    t.put("d.json", b"{}", 0o644);
    let file = t.file("d.json");
    let report = edit(&file, b"{}");
    assert!(!report.changed);
    assert!(report.backup.is_none());
    assert!(file.backups().unwrap().is_empty());
}

#[test]
fn backups_are_pruned_to_ten_and_undo_walks_back_through_them() {
    let t = Tree::new();
    t.put("d.json", b"v0", 0o644);
    let file = t.file("d.json");
    for i in 1..=15 {
        edit(&file, format!("v{i}").as_bytes());
    }
    let backups = file.backups().unwrap();
    assert_eq!(backups.len(), KEEP);
    let seqs: Vec<u64> = backups.iter().map(BackupEntry::seq).collect();
    assert_eq!(seqs, (6..=15).rev().collect::<Vec<u64>>());
    let lock = file.lock().unwrap();
    for i in (5..=14).rev() {
        let report = file.undo(&lock, false).unwrap();
        assert!(report.changed);
        assert_eq!(fs::read(t.p("d.json")).unwrap(), format!("v{i}").as_bytes());
    }
    let err = file.undo(&lock, false).unwrap_err();
    assert_eq!(kind_of(&err), Some(StoreErrorKind::NothingToUndo));
    assert_eq!(
        msg(&err),
        format!(
            "no dockcfg backup of {}: nothing to undo",
            t.p("d.json").display()
        )
    );
    assert_eq!(fs::read(t.p("d.json")).unwrap(), b"v5");
}

#[test]
fn undo_restores_byte_for_byte() {
    let t = Tree::new();
    let odd: &[u8] = b"\xef\xbb\xbf{\r\n  \"a\": \"\xff\xfe\" // not even JSON\r\n}";
    t.put("d.json", odd, 0o640);
    let file = t.file("d.json");
    edit(&file, b"{}\n");
    let plan = file.plan_undo().unwrap();
    assert_eq!(plan.current(), Some(&b"{}\n"[..]));
    assert_eq!(plan.restored(), Some(odd));
    assert!(!plan.edited_since());
    // Planning changes nothing.
    assert_eq!(fs::read(t.p("d.json")).unwrap(), b"{}\n");
    let lock = file.lock().unwrap();
    let report = file.apply_undo(&lock, &plan, false).unwrap();
    assert_eq!(
        report,
        UndoReport {
            changed: true,
            removed: false,
            kept: None,
            warnings: vec![]
        }
    );
    assert_eq!(fs::read(t.p("d.json")).unwrap(), odd);
    assert_eq!(mode_of(&t.p("d.json")), 0o640);
    assert!(file.backups().unwrap().is_empty());
}

#[test]
fn undo_refuses_after_a_hand_edit_and_force_keeps_the_edit() {
    let t = Tree::new();
    t.put("d.json", b"A", 0o644);
    let file = t.file("d.json");
    edit(&file, b"B");
    fs::write(t.p("d.json"), b"C by hand").unwrap();
    let plan = file.plan_undo().unwrap();
    assert!(plan.edited_since());
    let lock = file.lock().unwrap();
    let err = file.apply_undo(&lock, &plan, false).unwrap_err();
    assert_eq!(kind_of(&err), Some(StoreErrorKind::EditedSince));
    let text = msg(&err);
    assert!(
        text.starts_with(&format!(
            "{} was changed by hand or by another program since dockcfg wrote it (",
            t.p("d.json").display()
        )),
        "{text}"
    );
    assert!(
        text.ends_with(
            " UTC); undo would throw those changes away: use --force to undo anyway (the \
             current content is then kept in dockcfg's backups)"
        ),
        "{text}"
    );
    assert_eq!(fs::read(t.p("d.json")).unwrap(), b"C by hand");
    let report = file.apply_undo(&lock, &plan, true).unwrap();
    assert_eq!(fs::read(t.p("d.json")).unwrap(), b"A");
    let kept = report.kept.expect("the hand edit is kept");
    assert_eq!(fs::read(&kept).unwrap(), b"C by hand");
    // The kept copy is not on the undo stack: the next undo goes further back.
    assert!(file.backups().unwrap().is_empty());
    let err = file.undo(&lock, false).unwrap_err();
    assert_eq!(kind_of(&err), Some(StoreErrorKind::NothingToUndo));
}

#[test]
fn undo_of_a_created_file_removes_it() {
    let t = Tree::new();
    let file = t.file("etc/docker/daemon.json");
    edit(&file, b"{}\n");
    let plan = file.plan_undo().unwrap();
    assert_eq!(plan.restored(), None);
    let lock = file.lock().unwrap();
    let report = file.apply_undo(&lock, &plan, false).unwrap();
    assert!(report.removed);
    assert!(!t.p("etc/docker/daemon.json").exists());
}

#[test]
fn undo_refuses_when_things_moved_since_the_plan() {
    let t = Tree::new();
    t.put("d.json", b"A", 0o644);
    let file = t.file("d.json");
    edit(&file, b"B");
    let plan = file.plan_undo().unwrap();
    edit(&file, b"C");
    let lock = file.lock().unwrap();
    let err = file.apply_undo(&lock, &plan, true).unwrap_err();
    assert_eq!(kind_of(&err), Some(StoreErrorKind::Conflict));
    assert!(msg(&err).contains("changed while dockcfg was preparing the undo"));
    assert_eq!(fs::read(t.p("d.json")).unwrap(), b"C");
}

#[test]
fn rollback_puts_back_what_was_there() {
    let t = Tree::new();
    t.put("d.json", b"A", 0o600);
    let file = t.file("d.json");
    let lock = file.lock().unwrap();
    let report = file.write(&lock, Some(b"A"), b"B").unwrap();
    file.rollback(&lock, &report).unwrap();
    assert_eq!(fs::read(t.p("d.json")).unwrap(), b"A");
    assert_eq!(mode_of(&t.p("d.json")), 0o600);
    assert!(file.backups().unwrap().is_empty());

    // A created file is removed again. (One lock covers every file of its folder.)
    let created = t.file("new.json");
    let report = created.write(&lock, None, b"{}").unwrap();
    created.rollback(&lock, &report).unwrap();
    assert!(!t.p("new.json").exists());

    // Someone changed it after the write: not rolled back, and the message says where the old
    // content is.
    let report = file.write(&lock, Some(b"A"), b"B").unwrap();
    fs::write(t.p("d.json"), b"D").unwrap();
    let err = file.rollback(&lock, &report).unwrap_err();
    assert_eq!(kind_of(&err), Some(StoreErrorKind::Conflict));
    let previous = report.backup.as_ref().unwrap().previous_path().unwrap();
    assert!(
        msg(&err).ends_with(&format!(
            "was changed by another program after dockcfg wrote it, so it was not put back; its \
             previous content is kept in {}",
            previous.display()
        )),
        "{}",
        msg(&err)
    );
    assert_eq!(fs::read(t.p("d.json")).unwrap(), b"D");
}

#[test]
fn leftovers_of_a_killed_run_are_cleaned_and_a_stale_entry_dropped() {
    let t = Tree::new();
    t.put("etc/docker/daemon.json", b"A", 0o644);
    let file = t.file("etc/docker/daemon.json");
    edit(&file, b"B");
    let stack = file.stack();
    // A run killed after it saved its backup entry, before the rename: the entry says it wrote
    // "never", but the file still holds "B"; plus its temp files and half-made folders.
    let stat = Stat {
        mode: 0o644,
        uid: 0,
        gid: 0,
    };
    stack
        .push(file.real(), Some((b"B", stat)), Some(b"never"), stat)
        .unwrap();
    t.put(
        "etc/docker/.daemon.json.dockcfg-AbCd1234.tmp",
        b"never",
        0o600,
    );
    t.put(
        "etc/docker/.other.json.dockcfg-AbCd1234.tmp",
        b"other",
        0o600,
    );
    fs::create_dir(stack.dir().join(".tmp-killed")).unwrap();
    fs::create_dir(stack.dir().join(".del-000001-1-1")).unwrap();
    assert_eq!(file.backups().unwrap().len(), 2);
    // Undo of the stale entry changes nothing and only drops it.
    let plan = file.plan_undo().unwrap();
    assert!(plan.is_noop());
    // The next write cleans up everything of this file's, and only that.
    edit(&file, b"C");
    assert_eq!(
        leftovers(&t.p("etc/docker")),
        vec![".other.json.dockcfg-AbCd1234.tmp".to_string()]
    );
    assert!(leftovers(stack.dir()).is_empty());
    let previous: Vec<Option<Vec<u8>>> = file
        .backups()
        .unwrap()
        .iter()
        .map(|e| e.previous().unwrap())
        .collect();
    assert_eq!(previous, vec![Some(b"B".to_vec()), Some(b"A".to_vec())]);
    // Undo goes C -> B -> A.
    let lock = file.lock().unwrap();
    file.undo(&lock, false).unwrap();
    file.undo(&lock, false).unwrap();
    assert_eq!(fs::read(t.p("etc/docker/daemon.json")).unwrap(), b"A");
}

#[test]
fn a_failure_before_the_rename_leaves_everything_as_it_was() {
    use nix::libc::{EDQUOT, EIO, ENOSPC, EROFS};
    let cases: &[(Step, i32, &str)] = &[
        (
            Step::TempWritten,
            ENOSPC,
            "no space left on device writing FILE: nothing was changed",
        ),
        (
            Step::TempWritten,
            EDQUOT,
            "disk quota exceeded writing FILE: nothing was changed",
        ),
        (
            Step::Backup,
            ENOSPC,
            "no space left on device saving a backup in STACK: nothing was changed",
        ),
        (
            Step::Rename,
            EROFS,
            "read-only file system writing FILE: nothing was changed",
        ),
        (
            Step::Rename,
            EIO,
            "input/output error writing FILE: the disk may be failing: nothing was changed",
        ),
    ];
    for &(step, errno, want) in cases {
        for before in [Some(&b"A"[..]), None] {
            let t = Tree::new();
            fs::create_dir_all(t.p("etc/docker")).unwrap();
            let file = t.file("etc/docker/daemon.json");
            if let Some(b) = before {
                t.put("etc/docker/daemon.json", b, 0o640);
                // An older backup must survive the failed write untouched.
                edit(&file, b"B");
                edit(&file, b);
            }
            let entries = file.backups().unwrap();
            let lock = file.lock().unwrap();
            fault::arm(step, errno);
            let err = file.write(&lock, before, b"NEW").unwrap_err();
            fault::disarm();
            let want = want
                .replace("FILE", &t.p("etc/docker/daemon.json").display().to_string())
                .replace("STACK", &file.stack().dir().display().to_string());
            assert_eq!(msg(&err), want, "{step:?} {errno} {before:?}");
            let path = t.p("etc/docker/daemon.json");
            assert_eq!(
                fs::read(&path).ok().as_deref(),
                before,
                "{step:?} {before:?}"
            );
            if before.is_some() {
                assert_eq!(mode_of(&path), 0o640);
            }
            assert_eq!(file.backups().unwrap(), entries, "{step:?} {before:?}");
            assert!(
                leftovers(&t.p("etc/docker")).is_empty(),
                "{step:?} {before:?}"
            );
            assert!(
                leftovers(file.stack().dir()).is_empty(),
                "{step:?} {before:?}"
            );
        }
    }
}

#[test]
fn reading_what_is_not_a_config_file() {
    let t = Tree::new();
    fs::create_dir_all(t.p("etc/docker/daemon.json")).unwrap();
    nix::unistd::mkfifo(
        &t.p("fifo"),
        nix::sys::stat::Mode::from_bits_truncate(0o600),
    )
    .unwrap();
    t.put("plain", b"x", 0o644);
    let cases: &[(&str, &str)] = &[
        (
            "etc/docker/daemon.json",
            "DIR/etc/docker/daemon.json is a folder, not a file: give the config file itself with --file",
        ),
        (
            "fifo",
            "DIR/fifo is not a regular file (a device, pipe or socket): dockcfg edits regular files only",
        ),
    ];
    let dir = t.p("").display().to_string();
    let dir = dir.trim_end_matches('/');
    for (rel, want) in cases {
        let err = t.file(rel).read().unwrap_err();
        assert_eq!(msg(&err), want.replace("DIR", dir), "{rel}");
    }
    assert_eq!(t.file("missing.json").read().unwrap(), None);
    let err = ConfigFile::new(t.p("plain/daemon.json"), None, t.state()).unwrap_err();
    assert_eq!(
        msg(&err),
        format!("a part of the path {dir}/plain/daemon.json is a file, not a folder")
    );
}

#[test]
fn messages_show_where_a_symlink_leads() {
    let t = Tree::new();
    t.put("data/d.json", b"{}", 0o644);
    symlink(t.p("data/d.json"), t.p("link.json")).unwrap();
    let file = t.file("link.json");
    assert_eq!(
        file.label(),
        format!(
            "{} (-> {})",
            t.p("link.json").display(),
            t.p("data/d.json").display()
        )
    );
    assert_eq!(
        t.file("data/./d.json").label(),
        t.p("data/./d.json").display().to_string()
    );
}

#[test]
fn with_root_absolute_symlinks_stay_inside_it() {
    let t = Tree::new();
    fs::create_dir_all(t.p("root/etc/docker")).unwrap();
    t.put("root/srv/daemon.json", b"{}", 0o644);
    symlink("/srv/daemon.json", t.p("root/etc/docker/daemon.json")).unwrap();
    let root = t.p("root");
    let file =
        ConfigFile::new(root.join("etc/docker/daemon.json"), Some(&root), t.state()).unwrap();
    edit(&file, b"{\"debug\":true}");
    assert_eq!(
        fs::read(t.p("root/srv/daemon.json")).unwrap(),
        b"{\"debug\":true}"
    );
}

#[test]
fn the_lock_serialises_concurrent_edits() {
    let t = Arc::new(Tree::new());
    t.put("counter", b"0", 0o644);
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let t = Arc::clone(&t);
            std::thread::spawn(move || {
                let file = t.file("counter");
                for _ in 0..25 {
                    let lock = file.lock().unwrap();
                    let old = file.read().unwrap().unwrap();
                    let n: u64 = String::from_utf8(old.clone()).unwrap().parse().unwrap();
                    file.write(&lock, Some(&old), (n + 1).to_string().as_bytes())
                        .unwrap();
                }
            })
        })
        .collect();
    for th in threads {
        th.join().unwrap();
    }
    assert_eq!(fs::read(t.p("counter")).unwrap(), b"200");
    assert_eq!(t.file("counter").backups().unwrap().len(), KEEP);
}

#[test]
fn a_held_lock_times_out_with_a_clear_message() {
    let t = Tree::new();
    let file = t.file("etc/docker/daemon.json");
    let _held = file.lock().unwrap();
    let other = t.file("etc/docker/daemon.json");
    let mut told = 0;
    let err = other
        .lock_with(LOCK_NOTICE + Duration::from_millis(300), || told += 1)
        .unwrap_err();
    assert_eq!(told, 1, "the caller is told once that dockcfg waits");
    assert_eq!(kind_of(&err), Some(StoreErrorKind::LockTimeout));
    assert_eq!(
        msg(&err),
        format!(
            "another dockcfg has been editing {} for 1 s (it holds the lock on {}); nothing was \
             changed: try again when it has finished",
            t.p("etc/docker/daemon.json").display(),
            t.p("etc/docker").display()
        )
    );
    drop(_held);
    assert!(other.lock_with(Duration::from_secs(5), || {}).is_ok());
}

#[test]
fn a_lock_on_another_folder_is_refused() {
    let t = Tree::new();
    let a = t.file("a/d.json");
    let b = t.file("b/d.json");
    let lock_a = a.lock().unwrap();
    let err = b.write(&lock_a, None, b"{}").unwrap_err();
    assert!(
        msg(&err).starts_with("internal error: the lock on"),
        "{}",
        msg(&err)
    );
    assert!(!t.p("b/d.json").exists());
}

/// Set when this test binary runs again as a child that drops root.
const AS_NOBODY: &str = "DOCKCFG_STORE_TEST_AS_NOBODY";

#[test]
fn permission_denied_names_the_file_and_says_sudo() {
    if let Some(dir) = std::env::var_os(AS_NOBODY) {
        return denied_as_nobody(Path::new(&dir));
    }
    let t = Tree::new();
    fs::set_permissions(t.p(""), fs::Permissions::from_mode(0o755)).unwrap();
    t.put("etc/docker/daemon.json", b"{}", 0o644);
    t.put("etc/docker/secret.json", b"{}", 0o600);
    fs::create_dir_all(t.p("state")).unwrap();
    if !nix::unistd::geteuid().is_root() {
        fs::set_permissions(t.p("etc/docker"), fs::Permissions::from_mode(0o555)).unwrap();
        denied_as_nobody(t.tmp.path());
        fs::set_permissions(t.p("etc/docker"), fs::Permissions::from_mode(0o755)).unwrap();
        return;
    }
    // As root, run this test again in a child process that becomes `nobody` first.
    std::os::unix::fs::chown(t.p("state"), Some(65534), Some(65534)).unwrap();
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "store::tests::permission_denied_names_the_file_and_says_sudo",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(AS_NOBODY, t.tmp.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("as nobody: ok"),
        "child failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Runs in the child (or directly for a non-root user): writing and reading are refused.
fn denied_as_nobody(dir: &Path) {
    use nix::unistd::{Gid, Uid, setgid, setgroups, setuid};
    if nix::unistd::geteuid().is_root() {
        setgroups(&[]).unwrap();
        setgid(Gid::from_raw(65534)).unwrap();
        setuid(Uid::from_raw(65534)).unwrap();
    }
    let state = StateDir::new(dir.join("state"));
    let path = dir.join("etc/docker/daemon.json");
    let file = ConfigFile::new(&path, None, state.clone()).unwrap();
    let lock = file.lock().unwrap();
    let err = file
        .write(&lock, Some(b"{}"), b"{\"debug\":true}")
        .unwrap_err();
    assert_eq!(kind_of(&err), Some(StoreErrorKind::PermissionDenied));
    assert_eq!(
        msg(&err),
        format!(
            "permission denied writing {}: run with sudo",
            path.display()
        )
    );
    assert_eq!(fs::read(&path).unwrap(), b"{}");
    assert!(file.backups().unwrap().is_empty());
    let secret = dir.join("etc/docker/secret.json");
    let err = ConfigFile::new(&secret, None, state)
        .unwrap()
        .read()
        .unwrap_err();
    assert_eq!(
        msg(&err),
        format!(
            "permission denied reading {}: run with sudo",
            secret.display()
        )
    );
    println!("as nobody: ok");
}

#[test]
fn a_hard_linked_file_is_replaced_with_a_warning() {
    let t = Tree::new();
    t.put("d.json", b"{}", 0o644);
    fs::hard_link(t.p("d.json"), t.p("other-name.json")).unwrap();
    let report = edit(&t.file("d.json"), b"{\"debug\":true}");
    assert_eq!(
        report.warnings,
        vec![format!(
            "{} had other hard links; they still hold the old content",
            t.p("d.json").display()
        )]
    );
    assert_eq!(fs::read(t.p("other-name.json")).unwrap(), b"{}");
}

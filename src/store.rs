//! The one owner of files on disk: read, lock, back up, atomic write, undo.

//! What the user sees: the diff (stdout), notes and warnings (stderr), colour on request.

use similar::{ChangeTag, TextDiff};

/// A unified diff of `old` -> `new` for `path` (`old` None = the file did not exist).
/// Empty when nothing changed.
pub fn unified_diff(path: &str, old: Option<&str>, new: Option<&str>) -> String {
    let (a, b) = (old.unwrap_or(""), new.unwrap_or(""));
    if old == new {
        return String::new();
    }
    let from = if old.is_some() { path } else { "/dev/null" };
    let to = if new.is_some() { path } else { "/dev/null" };
    let diff = TextDiff::from_lines(a, b);
    let mut out = diff
        .unified_diff()
        .context_radius(3)
        .header(from, to)
        .missing_newline_hint(true)
        .to_string();
    if !out.ends_with('\n') && !out.is_empty() {
        out.push('\n');
    }
    out
}

/// Colour a unified diff for a terminal: removed lines red, added green, hunk headers cyan.
pub fn colorize_diff(diff: &str) -> String {
    let mut out = String::with_capacity(diff.len() + 64);
    for line in diff.split_inclusive('\n') {
        let colour = if line.starts_with("+++") || line.starts_with("---") {
            "\x1b[1m"
        } else if line.starts_with('+') {
            "\x1b[32m"
        } else if line.starts_with('-') {
            "\x1b[31m"
        } else if line.starts_with("@@") {
            "\x1b[36m"
        } else {
            ""
        };
        if colour.is_empty() {
            out.push_str(line);
        } else {
            let body = line.trim_end_matches('\n');
            out.push_str(colour);
            out.push_str(body);
            out.push_str("\x1b[0m");
            if line.ends_with('\n') {
                out.push('\n');
            }
        }
    }
    out
}

/// Count of lines added and removed in a diff of `old` -> `new`.
pub fn change_counts(old: &str, new: &str) -> (usize, usize) {
    let diff = TextDiff::from_lines(old, new);
    diff.iter_all_changes()
        .fold((0, 0), |(add, del), c| match c.tag() {
            ChangeTag::Insert => (add + 1, del),
            ChangeTag::Delete => (add, del + 1),
            ChangeTag::Equal => (add, del),
        })
}

/// Writes notes and warnings to stderr, coloured when allowed.
#[derive(Debug, Clone, Copy)]
pub struct Messages {
    pub color: bool,
    /// With --json, notes still go to stderr (stdout carries only the JSON).
    pub quiet: bool,
}

impl Messages {
    fn emit(&self, label: &str, colour: &str, text: &str) {
        if self.quiet {
            return;
        }
        if self.color {
            eprintln!("{colour}{label}:\x1b[0m {text}");
        } else {
            eprintln!("{label}: {text}");
        }
    }
    pub fn note(&self, text: &str) {
        self.emit("note", "\x1b[1;36m", text);
    }
    pub fn warn(&self, text: &str) {
        self.emit("warning", "\x1b[1;33m", text);
    }
    /// Plain progress line (`wrote ...`), no label.
    pub fn info(&self, text: &str) {
        if !self.quiet {
            eprintln!("{text}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_of_a_new_file_and_of_a_change() {
        let d = unified_diff("/etc/docker/daemon.json", None, Some("{\n}\n"));
        assert!(
            d.starts_with("--- /dev/null\n+++ /etc/docker/daemon.json\n"),
            "{d}"
        );
        assert!(d.contains("+{\n+}\n"));
        let d = unified_diff("d.json", Some("a\nb\n"), Some("a\nc\n"));
        assert!(d.contains("--- d.json\n+++ d.json\n"), "{d}");
        assert!(d.contains("-b\n+c\n"), "{d}");
        assert_eq!(unified_diff("d.json", Some("a\n"), Some("a\n")), "");
    }

    #[test]
    fn colours_added_and_removed_lines() {
        let c = colorize_diff("--- a\n+++ b\n@@ -1 +1 @@\n-x\n+y\n z\n");
        assert!(c.contains("\x1b[31m-x\x1b[0m\n"));
        assert!(c.contains("\x1b[32m+y\x1b[0m\n"));
        assert!(c.ends_with(" z\n"));
    }

    #[test]
    fn counts_changes() {
        assert_eq!(change_counts("a\nb\n", "a\nc\nd\n"), (2, 1));
    }
}

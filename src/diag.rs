//! Diagnostics: a message tied to a place in a file, rendered the way compilers do
//! (`path:line:col: error: message`, the line, a caret, and a `help:` line).

use std::fmt::Write as _;

use unicode_width::UnicodeWidthChar;

/// How bad a diagnostic is. `Error` means dockerd would refuse the file (or silently ignore a
/// setting the user meant); `Warning` is allowed but probably a mistake; `Note` is information.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Note,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Note => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// A place in a text: byte offset plus 1-based line and column (column counted in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pos {
    pub offset: usize,
    pub line: usize,
    pub col: usize,
}

impl Pos {
    /// The position of byte `offset` in `text` (clamped to the text's length and to a char boundary).
    pub fn at(text: &str, offset: usize) -> Pos {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &text[..offset];
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        Pos {
            offset,
            line: before.matches('\n').count() + 1,
            col: before[line_start..].chars().count() + 1,
        }
    }
}

/// Where each line of a text starts: places and shows many diagnostics in one text without
/// rescanning the text from its start for each ([`Pos::at`] and [`Diagnostic::render`] do that,
/// which made 10,000 findings in a long list take seconds). Built in one pass, when the first
/// position is asked for: a file with nothing to report never pays for it.
#[derive(Debug, Clone)]
pub struct Lines<'a> {
    text: &'a str,
    starts: std::cell::OnceCell<Vec<usize>>,
}

impl<'a> Lines<'a> {
    pub fn new(text: &'a str) -> Lines<'a> {
        Lines {
            text,
            starts: std::cell::OnceCell::new(),
        }
    }

    fn starts(&self) -> &[usize] {
        self.starts.get_or_init(|| {
            let mut starts = vec![0];
            starts.extend(memchr::memchr_iter(b'\n', self.text.as_bytes()).map(|i| i + 1));
            starts
        })
    }

    /// The same as [`Pos::at`]`(text, offset)`.
    pub fn pos(&self, offset: usize) -> Pos {
        let text = self.text;
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let starts = self.starts();
        let index = starts.partition_point(|&s| s <= offset).saturating_sub(1);
        let start = starts.get(index).copied().unwrap_or(0);
        Pos {
            offset,
            line: index + 1,
            col: text.get(start..offset).map_or(0, |s| s.chars().count()) + 1,
        }
    }

    /// Line `n` (1-based) as `text.split('\n')` gives it; `""` for 0 or past the end.
    pub fn line(&self, n: usize) -> &'a str {
        let starts = self.starts();
        let Some(&start) = n.checked_sub(1).and_then(|i| starts.get(i)) else {
            return "";
        };
        let end = starts
            .get(n)
            .map_or(self.text.len(), |next| next.saturating_sub(1));
        self.text.get(start..end).unwrap_or("")
    }
}

/// Render every diagnostic of `text` (as [`Diagnostic::render`] does each), finding each
/// one's line through one [`Lines`] index.
pub fn render_all(diags: &[Diagnostic], path: &str, text: &str, color: bool) -> String {
    let lines = Lines::new(text);
    diags
        .iter()
        .map(|d| d.render_line(path, d.pos.map_or("", |p| lines.line(p.line)), color))
        .collect()
}

/// One finding about a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    /// A stable short name for the rule (`syntax`, `unknown-key`, `ignored-key`, ...).
    pub code: &'static str,
    pub message: String,
    /// What the user can do about it.
    pub help: Option<String>,
    /// Where it is; `None` for findings about the file as a whole.
    pub pos: Option<Pos>,
}

impl Diagnostic {
    pub fn new(severity: Severity, code: &'static str, message: impl Into<String>) -> Self {
        Diagnostic {
            severity,
            code,
            message: message.into(),
            help: None,
            pos: None,
        }
    }
    pub fn error(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(Severity::Error, code, message)
    }
    pub fn warning(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(Severity::Warning, code, message)
    }
    pub fn note(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(Severity::Note, code, message)
    }
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
    /// Attach the position of byte `offset` in `text`.
    pub fn at(mut self, text: &str, offset: usize) -> Self {
        self.pos = Some(Pos::at(text, offset));
        self
    }
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// Render for a terminal or a log: `path:line:col: severity: message`, then the source line
    /// with a caret under the column, then `help: ...`. `text` is the file's text the positions
    /// refer to. With `color`, ANSI colours are used.
    pub fn render(&self, path: &str, text: &str, color: bool) -> String {
        let line = match self.pos {
            Some(p) if p.line > 0 => text.lines().nth(p.line - 1).unwrap_or(""),
            _ => "",
        };
        self.render_line(path, line, color)
    }

    /// [`Diagnostic::render`] with the source line at `self.pos` given (see [`render_all`]).
    pub fn render_line(&self, path: &str, line: &str, color: bool) -> String {
        let (sev_on, bold, dim, off) = if color {
            let c = match self.severity {
                Severity::Error => "\x1b[1;31m",
                Severity::Warning => "\x1b[1;33m",
                Severity::Note => "\x1b[1;36m",
            };
            (c, "\x1b[1m", "\x1b[34m", "\x1b[0m")
        } else {
            ("", "", "", "")
        };
        let mut out = String::new();
        match self.pos {
            Some(p) => {
                let _ = write!(out, "{bold}{path}:{}:{}:{off} ", p.line, p.col);
            }
            None => {
                let _ = write!(out, "{bold}{path}:{off} ");
            }
        }
        let _ = writeln!(
            out,
            "{sev_on}{}:{off} {bold}{}{off}",
            self.severity.as_str(),
            self.message
        );
        if let Some(p) = self.pos {
            // Control characters (NUL, escape, ...) would garble a terminal: show them as '?'.
            let shown: String = line
                .trim_end_matches('\r')
                .chars()
                .take(200)
                .map(|c| if c.is_control() && c != '\t' { '?' } else { c })
                .collect();
            // The caret goes under the column: tabs copied, wide characters (CJK, U+3000) padded
            // by two columns, so it lines up in a terminal.
            let pad: String = shown
                .chars()
                .take(p.col.saturating_sub(1))
                .map(|c| match c {
                    '\t' => "\t",
                    c if UnicodeWidthChar::width(c).unwrap_or(1) >= 2 => "  ",
                    _ => " ",
                })
                .collect();
            let width = p.line.to_string().len();
            let _ = writeln!(out, "{dim}{:>width$} |{off} {shown}", p.line);
            let _ = writeln!(out, "{dim}{:>width$} |{off} {pad}{sev_on}^{off}", "");
        }
        if let Some(h) = &self.help {
            let _ = writeln!(out, "{bold}help:{off} {h}");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_index_places_and_renders_as_the_plain_functions_do() {
        let texts = [
            "",
            "\n",
            "{}",
            "{\n  \"é\": x\n}",
            "a\r\nb\r\n\r\nc",
            "x\n\n\ny\n",
            "日本\t語\n\u{3000}z",
        ];
        for text in texts {
            let lines = Lines::new(text);
            let mut diags = Vec::new();
            for offset in 0..=text.len() + 2 {
                assert_eq!(
                    lines.pos(offset),
                    Pos::at(text, offset),
                    "{text:?} @ {offset}"
                );
                diags.push(
                    Diagnostic::warning("w", "m")
                        .with_help("h")
                        .at(text, offset),
                );
            }
            diags.push(Diagnostic::error("e", "whole file"));
            let one_by_one: String = diags.iter().map(|d| d.render("f", text, false)).collect();
            assert_eq!(render_all(&diags, "f", text, false), one_by_one, "{text:?}");
        }
        assert_eq!(Lines::new("a\nb").line(0), "");
        assert_eq!(Lines::new("a\nb").line(3), "");
    }

    #[test]
    fn positions_count_lines_and_characters() {
        let t = "{\n  \"é\": x\n}";
        let p = Pos::at(t, t.find('x').unwrap());
        assert_eq!((p.line, p.col), (2, 8));
        assert_eq!(
            Pos::at(t, 0),
            Pos {
                offset: 0,
                line: 1,
                col: 1
            }
        );
        assert_eq!(Pos::at(t, 999).line, 3);
    }

    #[test]
    fn caret_lines_up_after_wide_characters() {
        let t = "{\u{3000}\"a\": 1}";
        let d = Diagnostic::error("syntax", "full-width space").at(t, t.find('"').unwrap());
        let r = d.render("d.json", t, false);
        assert!(r.ends_with("1 | {\u{3000}\"a\": 1}\n  |    ^\n"), "{r}");
    }

    #[test]
    fn renders_line_caret_and_help() {
        let t = "{\n\t\"a\": 1,\n}\n";
        let d = Diagnostic::error("syntax", "trailing comma")
            .with_help("remove the comma")
            .at(t, t.find(',').unwrap());
        assert_eq!(
            d.render("daemon.json", t, false),
            "daemon.json:2:8: error: trailing comma\n2 | \t\"a\": 1,\n  | \t      ^\nhelp: remove the comma\n"
        );
    }
}

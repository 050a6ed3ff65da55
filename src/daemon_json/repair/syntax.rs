//! The syntax layer of `dockcfg fix`: one forward pass over the text that finds the paste
//! mistakes and plans token-level edits for those with one sensible reading, keeping every other
//! byte. At the first mistake without one, it stops: that mistake is reported and the rest of the
//! text is left as it is (edits planned before it still apply).
//!
//! Iterative (an explicit stack), linear: every byte is looked at a bounded number of times.

use super::edits::Edit;
use super::{Found, fixed};
use crate::daemon_json::{MAX_DEPTH, json_string};
use crate::diag::{Diagnostic, Pos};

/// The planned edits (on the decoded input text) and what they do.
pub(super) struct Outcome {
    pub edits: Vec<Edit>,
    pub changes: Vec<Found>,
    /// At most one `syntax` error: the first mistake that has no single sensible reading.
    pub unrepaired: Vec<Found>,
}

/// Plan the syntax repairs of `text` (decoded, without a BOM).
pub(super) fn repair(text: &str) -> Outcome {
    let crlf = text.matches("\r\n").count();
    let lf = text.matches('\n').count() - crlf;
    Fixer {
        text,
        b: text.as_bytes(),
        pos: 0,
        edits: Vec::new(),
        changes: Vec::new(),
        unrepaired: Vec::new(),
        stack: Vec::new(),
        last_end: 0,
        value_end: 0,
        floor: 0,
        lines: LineCache::default(),
        newline: if crlf > lf { "\r\n" } else { "\n" },
    }
    .run()
}

struct Fixer<'t> {
    text: &'t str,
    b: &'t [u8],
    pos: usize,
    edits: Vec<Edit>,
    changes: Vec<Found>,
    unrepaired: Vec<Found>,
    stack: Vec<Frame>,
    /// End of the last token (value, bracket, comma, colon).
    last_end: usize,
    /// End of the last complete value: where a missing comma goes.
    value_end: usize,
    /// How far back the spaces before a trailing comment may be removed: the end of the last
    /// token or comment.
    floor: usize,
    lines: LineCache,
    newline: &'static str,
}

struct Frame {
    open: usize,
    array: bool,
    /// Start of the line the bracket is on.
    line_start: usize,
    /// For the `{` dockcfg adds around a snippet without braces: the index of its edit.
    synthetic: Option<usize>,
    /// The source text range of the object's last key, for messages.
    key: (usize, usize),
}

impl Frame {
    fn name(&self) -> &'static str {
        if self.array { "list" } else { "object" }
    }
    fn closer(&self) -> char {
        if self.array { ']' } else { '}' }
    }
}

#[derive(Clone, Copy)]
enum State {
    /// A value is expected. `comma`: the comma before it (in a list); `open`: right after `[`.
    Value { comma: Option<usize>, open: bool },
    /// A key (or `}`) is expected. `comma`: the comma before it.
    Key { comma: Option<usize> },
    /// A key has been read; `:` is expected.
    Colon,
    /// A value has just ended.
    After,
}

enum Step {
    Next(State),
    /// The text is complete.
    Done,
    /// An unrepairable mistake was reported.
    Stop,
}

/// Start of the line holding an offset, for offsets that mostly grow (linear overall).
#[derive(Default)]
struct LineCache {
    upto: usize,
    start: usize,
}

impl LineCache {
    fn line_start(&mut self, b: &[u8], o: usize) -> usize {
        let o = o.min(b.len());
        if o < self.upto {
            return b
                .get(..o)
                .and_then(|s| s.iter().rposition(|&c| c == b'\n'))
                .map_or(0, |i| i + 1);
        }
        if let Some(i) = b
            .get(self.upto..o)
            .and_then(|s| s.iter().rposition(|&c| c == b'\n'))
        {
            self.start = self.upto + i + 1;
        }
        self.upto = o;
        self.start
    }
}

/// A string token read by [`Fixer::lex_string`].
struct StrTok {
    end: usize,
    /// The replacement text (with straight double quotes) when the source is not strict JSON.
    fix: Option<String>,
    /// (offset, message) of each kind of repair made inside it.
    notes: Vec<(usize, String)>,
}

enum StrErr {
    Eof,
    LineEnd(usize),
}

/// What to do with a bare word in a value's place.
enum WordFix {
    Keep,
    /// A literal or number, rewritten (new text, note).
    Replace(String, String),
    /// Text: to be put in double quotes.
    Text,
    Bad(String, String),
}

/// How a bare word is delimited (see [`Fixer::word_end`]).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Word {
    Key,
    Value,
    Text,
}

impl<'t> Fixer<'t> {
    fn run(mut self) -> Outcome {
        let mut state = State::Value {
            comma: None,
            open: false,
        };
        loop {
            if !self.trivia() {
                break;
            }
            let step = match state {
                State::Value { comma, open } => self.in_value(comma, open),
                State::Key { comma } => self.in_key(comma),
                State::Colon => self.in_colon(),
                State::After => self.in_after(),
            };
            match step {
                Step::Next(s) => state = s,
                Step::Done | Step::Stop => break,
            }
        }
        Outcome {
            edits: self.edits,
            changes: self.changes,
            unrepaired: self.unrepaired,
        }
    }

    // ---- states -------------------------------------------------------------------------------

    fn in_value(&mut self, comma: Option<usize>, open: bool) -> Step {
        let at = self.pos;
        let Some(c) = self.char_at(at) else {
            return match self.stack.last() {
                None => self.empty_file(),
                Some(f) if f.array => {
                    if let Some(cm) = comma {
                        self.remove_comma(cm);
                    }
                    self.close_at_eof()
                }
                Some(f) => {
                    let key = self.source(f.key);
                    self.stop(
                        at,
                        format!("the file ends before the value of {key}"),
                        "the file looks cut off: complete it",
                    )
                }
            };
        };
        let top = self.stack.last().map(|f| (f.array, f.closer()));
        match c {
            '{' | '[' => self.open(c == '['),
            ']' | '}' => match top {
                Some((_, closer)) if closer == c => {
                    if let Some(cm) = comma {
                        self.remove_comma(cm);
                        self.close()
                    } else if open {
                        self.close()
                    } else {
                        let key = self
                            .stack
                            .last()
                            .map_or(String::new(), |f| self.source(f.key));
                        self.stop(
                            at,
                            format!("the value of {key} is missing"),
                            "write a value, like \"text\", 1, true, [] or {}",
                        )
                    }
                }
                _ => self.mismatched(c),
            },
            ',' => {
                let message = match (top, comma) {
                    (Some((false, _)), _) => {
                        let key = self
                            .stack
                            .last()
                            .map_or(String::new(), |f| self.source(f.key));
                        format!("the value of {key} is missing")
                    }
                    (_, Some(_)) => "two commas in a row".to_owned(),
                    _ => "a value is missing before `,`".to_owned(),
                };
                self.stop(
                    at,
                    message,
                    "write the missing value, or delete the extra comma",
                )
            }
            _ if self.stack.is_empty() && self.last_end == 0 && self.starts_member(at) => {
                self.open_snippet(at)
            }
            _ => self.value_token(),
        }
    }

    fn in_key(&mut self, comma: Option<usize>) -> Step {
        let at = self.pos;
        match self.char_at(at) {
            None => {
                if let Some(cm) = comma {
                    self.remove_comma(cm);
                }
                self.close_at_eof()
            }
            Some('}') => {
                if let Some(cm) = comma {
                    self.remove_comma(cm);
                }
                self.close()
            }
            Some(',') if comma.is_some() => {
                self.edit_note(
                    at,
                    at + 1,
                    "",
                    at,
                    "removed an extra comma (two commas in a row)",
                );
                self.pos = at + 1;
                self.last_end = self.pos;
                self.floor = self.pos;
                Step::Next(State::Key { comma })
            }
            Some(_) => self.key_token(),
        }
    }

    fn in_colon(&mut self) -> Step {
        let at = self.pos;
        let key = self
            .stack
            .last()
            .map_or(String::new(), |f| self.source(f.key));
        match self.char_at(at) {
            Some(':') => {
                self.token_end(at + 1);
                Step::Next(State::Value {
                    comma: None,
                    open: false,
                })
            }
            Some('\u{FF1A}') => {
                self.edit_note(
                    at,
                    at + 3,
                    ":",
                    at,
                    "replaced the full-width colon `：` with `:`",
                );
                self.token_end(at + 3);
                Step::Next(State::Value {
                    comma: None,
                    open: false,
                })
            }
            None => self.stop(
                at,
                format!("the file ends after the key {key}"),
                "the file looks cut off: complete it",
            ),
            Some(c) => self.stop(
                at,
                format!("expected `:` after the key {key}, found `{c}`"),
                format!("write {key}: value"),
            ),
        }
    }

    fn in_after(&mut self) -> Step {
        let at = self.pos;
        let Some(c) = self.char_at(at) else {
            return if self.stack.is_empty() {
                Step::Done
            } else {
                self.close_at_eof()
            };
        };
        let Some(top) = self.stack.last() else {
            let message = if c == '{' {
                "a second object after the end of the first"
            } else {
                "unexpected text after the end of the top-level value"
            };
            return self.stop(
                at,
                message,
                "daemon.json holds one object: move these settings into it, or delete the rest",
            );
        };
        let array = top.array;
        match c {
            ',' | '\u{FF0C}' => {
                if c != ',' {
                    self.edit_note(
                        at,
                        at + 3,
                        ",",
                        at,
                        "replaced the full-width comma `，` with `,`",
                    );
                }
                self.token_end(at + c.len_utf8());
                Step::Next(if array {
                    State::Value {
                        comma: Some(at),
                        open: false,
                    }
                } else {
                    State::Key { comma: Some(at) }
                })
            }
            ']' | '}' if c == top.closer() => self.close(),
            ']' | '}' => self.mismatched(c),
            ':' if array => self.stop(
                at,
                "a list holds only values: `:` is not allowed here",
                "for \"key\": value pairs use an object { ... } instead of a list [ ... ]",
            ),
            _ if !array && self.starts_member(at) => {
                self.insert_comma("members");
                self.key_token()
            }
            _ if array && self.starts_value(c) => {
                let between = self.text.get(self.value_end..at).unwrap_or("");
                if between.contains('\n') {
                    self.insert_comma("list items");
                    self.value_token()
                } else {
                    self.stop(
                        at,
                        "missing comma between two list items on one line",
                        "put a `,` between them if they are two items (dockcfg leaves this to you: they may also be one item split in two)",
                    )
                }
            }
            _ if array => self.stop(
                at,
                format!("expected `,` or `]` after the list item, found `{c}`"),
                "list items are separated by commas",
            ),
            _ => self.stop(
                at,
                format!("expected `,` or `}}` after the value, found `{c}`"),
                "members of an object are separated by commas: \"key\": value, \"key2\": value2",
            ),
        }
    }

    // ---- tokens ---------------------------------------------------------------------------------

    /// A value at the cursor that is not a bracket: a string or a bare word.
    fn value_token(&mut self) -> Step {
        let at = self.pos;
        let Some(c) = self.char_at(at) else {
            return self.stop(at, "unexpected end of file", "the file looks cut off");
        };
        if closers(c).is_some() {
            return match self.read_string(at) {
                Ok(tok) => {
                    self.accept_string(at, tok);
                    self.value_done()
                }
                Err(e) => self.string_error(at, e),
            };
        }
        if c == '{' || c == '[' {
            return self.open(c == '[');
        }
        let mut end = self.word_end(at, Word::Value);
        let Some(word) = self.text.get(at..end).filter(|w| !w.is_empty()) else {
            return self.unexpected(at, c);
        };
        let mut fix = value_word(word);
        if matches!(fix, WordFix::Text | WordFix::Bad(..)) {
            let text_end = self.word_end(at, Word::Text);
            if text_end != end {
                end = text_end;
                fix = value_word(self.text.get(at..end).unwrap_or(""));
            }
        }
        match fix {
            WordFix::Keep => {}
            WordFix::Replace(new, note) => self.edit_note(at, end, new, at, note),
            WordFix::Text => {
                let word = self.text.get(at..end).unwrap_or("");
                self.edit_note(
                    at,
                    end,
                    json_string(word),
                    at,
                    format!("put the text `{}` in double quotes", clip(word)),
                );
            }
            WordFix::Bad(message, help) => return self.stop(at, message, help),
        }
        self.pos = end;
        self.value_done()
    }

    /// A key at the cursor: a string in any quotes, or a bare word followed by `:`.
    fn key_token(&mut self) -> Step {
        let at = self.pos;
        let Some(c) = self.char_at(at) else {
            return self.stop(at, "unexpected end of file", "the file looks cut off");
        };
        if closers(c).is_some() {
            return match self.read_string(at) {
                Ok(tok) => {
                    let end = tok.end;
                    self.accept_string(at, tok);
                    self.key_done(at, end)
                }
                Err(e) => self.string_error(at, e),
            };
        }
        let end = self.word_end(at, Word::Key);
        let word = self.text.get(at..end).unwrap_or("");
        if word.chars().any(char::is_alphanumeric)
            && matches!(self.next_char(end), Some(':' | '\u{FF1A}'))
        {
            self.edit_note(
                at,
                end,
                json_string(word),
                at,
                format!("put the key `{word}` in double quotes"),
            );
            return self.key_done(at, end);
        }
        match c {
            ',' => self.stop(
                at,
                "expected a key in double quotes, found `,`",
                "delete the comma; each member of an object is written \"key\": value",
            ),
            ':' => self.stop(
                at,
                "a key is missing before `:`",
                "write the key in double quotes, like \"debug\": true",
            ),
            ']' => self.mismatched(c),
            _ if !word.is_empty() => self.stop(
                at,
                format!("expected a key in double quotes, found `{}`", clip(word)),
                "each member of an object is written \"key\": value",
            ),
            _ => self.unexpected(at, c),
        }
    }

    fn key_done(&mut self, start: usize, end: usize) -> Step {
        if let Some(f) = self.stack.last_mut() {
            f.key = (start, end);
        }
        self.token_end(end);
        Step::Next(State::Colon)
    }

    fn value_done(&mut self) -> Step {
        self.token_end(self.pos);
        self.value_end = self.pos;
        Step::Next(State::After)
    }

    /// Whether a key and `:` start at `at` (a string or a bare word, then `:`).
    fn starts_member(&self, at: usize) -> bool {
        let Some(c) = self.char_at(at) else {
            return false;
        };
        let end = if closers(c).is_some() {
            match self.read_string(at) {
                Ok(tok) => tok.end,
                Err(_) => return false,
            }
        } else {
            let end = self.word_end(at, Word::Key);
            if end == at {
                return false;
            }
            end
        };
        matches!(self.next_char(end), Some(':' | '\u{FF1A}'))
    }

    fn starts_value(&self, c: char) -> bool {
        closers(c).is_some()
            || matches!(c, '{' | '[')
            || self.word_end(self.pos, Word::Value) > self.pos
    }

    fn token_end(&mut self, end: usize) {
        self.pos = end;
        self.last_end = end;
        self.floor = end;
    }

    fn open(&mut self, array: bool) -> Step {
        let at = self.pos;
        if self.stack.len() >= MAX_DEPTH {
            return self.stop(
                at,
                format!(
                    "nesting deeper than {MAX_DEPTH} levels: dockerd's JSON decoder refuses it"
                ),
                "daemon.json settings are never nested this deep; the file is probably damaged",
            );
        }
        let line_start = self.lines.line_start(self.b, at);
        self.stack.push(Frame {
            open: at,
            array,
            line_start,
            synthetic: None,
            key: (at, at),
        });
        self.token_end(at + 1);
        Step::Next(if array {
            State::Value {
                comma: None,
                open: true,
            }
        } else {
            State::Key { comma: None }
        })
    }

    /// Close the innermost container on the `}` or `]` at the cursor.
    fn close(&mut self) -> Step {
        let at = self.pos;
        if let Some(f) = self.stack.pop()
            && let Some(i) = f.synthetic
        {
            let multi = self.lines.line_start(self.b, at) != f.line_start;
            self.finish_snippet(&f, i, multi);
        }
        self.pos = at + 1;
        self.value_done()
    }

    /// Members at the top level without braces (a pasted snippet): open an object for them.
    fn open_snippet(&mut self, at: usize) -> Step {
        let line_start = self.lines.line_start(self.b, at);
        let index = self.edits.len();
        self.edits.push(Edit::new(at, at, "{"));
        self.changes.push(Found {
            at: Some(at),
            diag: fixed("added the braces { } around the settings: daemon.json holds one object"),
            edit: Some(index),
        });
        self.stack.push(Frame {
            open: at,
            array: false,
            line_start,
            synthetic: Some(index),
            key: (at, at),
        });
        self.key_token()
    }

    /// The `{` added for a snippet: on a line of its own when the snippet spans lines.
    fn finish_snippet(&mut self, f: &Frame, index: usize, multi: bool) {
        if multi && let Some(e) = self.edits.get_mut(index) {
            *e = Edit::new(f.line_start, f.line_start, format!("{{{}", self.newline));
        }
    }

    /// The end of the text with containers still open: close them, each `]`/`}` on a line of
    /// its own (indented like the line of its opening bracket), unless it opened on the line
    /// where the content ends.
    fn close_at_eof(&mut self) -> Step {
        let at = self.last_end;
        let content_line = self.lines.line_start(self.b, at);
        let mut closing = String::new();
        let mut shown = String::new();
        let mut indent_cache: Option<(usize, String)> = None;
        let frames = std::mem::take(&mut self.stack);
        for f in frames.iter().rev() {
            let inline = f.line_start == content_line && !closing.contains('\n');
            if let Some(i) = f.synthetic {
                self.finish_snippet(f, i, !inline);
            }
            if !inline {
                closing.push_str(self.newline);
                if f.synthetic.is_none() {
                    let indent = match &indent_cache {
                        Some((ls, s)) if *ls == f.line_start => s.clone(),
                        _ => {
                            let s = self.indent_at(f.line_start);
                            indent_cache = Some((f.line_start, s.clone()));
                            s
                        }
                    };
                    closing.push_str(&indent);
                }
            }
            closing.push(f.closer());
            if f.synthetic.is_none() && shown.len() < 20 {
                shown.push(f.closer());
            }
        }
        // The `}` of a snippet's added braces is part of that repair, not a sign of a cut.
        let cut: Vec<&Frame> = frames.iter().filter(|f| f.synthetic.is_none()).collect();
        if cut.is_empty() {
            self.edits.push(Edit::new(at, at, closing));
            return Step::Done;
        }
        let count = cut.len();
        let what = if count <= 20 {
            format!("`{shown}`")
        } else {
            format!("{count} closing brackets")
        };
        let opened: Vec<String> = cut
            .iter()
            .rev()
            .take(2)
            .map(|f| format!("the {} opened at {}", f.name(), self.pos_of(f.open)))
            .collect();
        let more = if count > 2 {
            format!(", and {} more", count - 2)
        } else {
            String::new()
        };
        self.edit_note(
            at,
            at,
            closing,
            at,
            format!(
                "added the missing {what} at the end: the file looks cut off (not closed: {}{more})",
                opened.join(", ")
            ),
        );
        Step::Done
    }

    /// Nothing but spaces and comments: no settings, written `{}` in place of it all.
    fn empty_file(&mut self) -> Step {
        let nl = self.newline;
        let message = if self.changes.is_empty() {
            "the file holds no settings: wrote {} (dockerd before 23.0 refuses an empty file)"
        } else {
            "the file holds only comments, no settings: wrote {} in their place"
        };
        self.edits.clear();
        self.changes.clear();
        self.edit_note(0, self.b.len(), format!("{{}}{nl}"), 0, message);
        Step::Done
    }

    /// Insert the comma missing after the last value.
    fn insert_comma(&mut self, between: &str) {
        let at = self.value_end;
        self.edit_note(
            at,
            at,
            ",",
            at,
            format!("added the missing comma between two {between}"),
        );
    }

    /// Remove the comma at `comma` (and the spaces before it) that has nothing after it.
    fn remove_comma(&mut self, comma: usize) {
        let mut start = comma;
        while start > self.value_end && matches!(self.b.get(start - 1), Some(b' ' | b'\t')) {
            start -= 1;
        }
        let closer = self.stack.last().map_or('}', Frame::closer);
        let message = format!("removed the trailing comma before `{closer}`");
        let len = self.char_at(comma).map_or(1, char::len_utf8);
        self.edit_note(start, comma + len, "", comma, message);
    }

    // ---- trivia -------------------------------------------------------------------------------

    /// Skip spaces and comments, planning their repair (comments removed, odd spaces made plain).
    /// False when an unclosed comment stopped the repair.
    fn trivia(&mut self) -> bool {
        loop {
            let at = self.pos;
            let Some(c) = self.char_at(at) else {
                return true;
            };
            match c {
                ' ' | '\t' | '\n' | '\r' => self.pos += 1,
                '#' => self.line_comment(at),
                '/' if self.b.get(at + 1) == Some(&b'/') => self.line_comment(at),
                '/' if self.b.get(at + 1) == Some(&b'*') => {
                    let Some(end) = self
                        .text
                        .get(at + 2..)
                        .and_then(|s| s.find("*/"))
                        .map(|i| at + 2 + i + 2)
                    else {
                        self.stop(
                            at,
                            "the comment that starts here is never closed with */",
                            "close the comment with */, or delete it",
                        );
                        return false;
                    };
                    self.comment(at, end);
                }
                '\0' if self
                    .b
                    .get(at..)
                    .is_some_and(|s| s.iter().all(|&c| c == 0 || c.is_ascii_whitespace())) =>
                {
                    let nuls = self
                        .b
                        .get(at..)
                        .map_or(0, |s| s.iter().filter(|&&c| c == 0).count());
                    self.edit_note(
                        at,
                        self.b.len(),
                        "",
                        at,
                        format!(
                            "removed {nuls} NUL byte{} at the end of the file (left by an interrupted write)",
                            if nuls == 1 { "" } else { "s" }
                        ),
                    );
                    self.pos = self.b.len();
                }
                c if odd_space(c).is_some() => self.odd_spaces(at),
                _ => return true,
            }
        }
    }

    fn line_comment(&mut self, at: usize) {
        let rest = self.text.get(at..).unwrap_or("");
        let len = rest
            .find(['\n', '\r', '\u{2028}', '\u{2029}'])
            .unwrap_or(rest.len());
        self.comment(at, at + len);
    }

    /// Plan the removal of the comment `start..end`. Alone on its line (after indentation): the
    /// comment and the spaces after it go, and the emptied line goes later. After code: the
    /// comment and the spaces before it go.
    fn comment(&mut self, start: usize, end: usize) {
        let line_start = self.lines.line_start(self.b, start);
        let alone = self.floor <= line_start
            && self
                .text
                .get(line_start..start)
                .is_some_and(|s| s.chars().all(is_blank));
        let (from, to) = if alone {
            let mut to = end;
            while matches!(self.b.get(to), Some(b' ' | b'\t')) {
                to += 1;
            }
            // Nothing else on the line: its indentation goes too (the line goes later).
            let line_ends = matches!(self.b.get(to), None | Some(b'\n' | b'\r'));
            (if line_ends { line_start } else { start }, to)
        } else {
            let mut from = start;
            while from > self.floor {
                let Some(c) = self.text.get(..from).and_then(|s| s.chars().next_back()) else {
                    break;
                };
                if !is_blank(c) {
                    break;
                }
                from -= c.len_utf8();
            }
            (from, end)
        };
        let body = self.text.get(start..end).unwrap_or("");
        let shown = clip(&body.split_whitespace().collect::<Vec<_>>().join(" "));
        self.edit_note(
            from,
            to,
            "",
            start,
            format!("removed the comment `{shown}`"),
        );
        self.pos = to;
        self.floor = to;
    }

    /// Replace a run of non-ASCII spaces (ASCII spaces may be mixed in) with plain spaces.
    fn odd_spaces(&mut self, at: usize) {
        let rest = self.text.get(at..).unwrap_or("");
        let mut replacement = String::new();
        let mut end = at;
        let mut count = 0;
        let mut first: Option<(char, &'static str, &'static str)> = None;
        let mut mixed = false;
        for c in rest.chars() {
            if let Some((name, repl)) = odd_space(c) {
                count += 1;
                match first {
                    None => first = Some((c, name, repl)),
                    Some((f, _, _)) if f != c => mixed = true,
                    _ => {}
                }
                replacement.push_str(repl);
            } else if c == ' ' || c == '\t' {
                replacement.push(c);
            } else {
                break;
            }
            end += c.len_utf8();
        }
        // Trailing ASCII spaces belong to the text, not to the run.
        let trailing = rest
            .get(..end - at)
            .map_or(0, |s| s.len() - s.trim_end_matches([' ', '\t']).len());
        end -= trailing;
        replacement.truncate(replacement.len() - trailing);
        let Some((c, name, repl)) = first else {
            self.pos = end.max(at + 1);
            return;
        };
        let code = format!("U+{:04X} ({name})", c as u32);
        let message = match (repl.is_empty(), count, mixed) {
            (_, _, true) => format!(
                "replaced {count} invisible or non-ASCII spaces, the first U+{:04X} ({name}), with ordinary spaces",
                c as u32
            ),
            (true, 1, _) => format!("removed the invisible character {code}"),
            (true, n, _) => format!("removed {n} invisible characters {code}"),
            (false, 1, _) => format!("replaced {code} with an ordinary space"),
            (false, n, _) => format!("replaced {n} × {code} with ordinary spaces"),
        };
        self.edit_note(at, end, replacement, at, message);
        self.pos = end;
    }

    // ---- lexing (pure) --------------------------------------------------------------------------

    fn char_at(&self, i: usize) -> Option<char> {
        self.text.get(i..)?.chars().next()
    }

    /// The first character at or after `from` that is not a space or comment, without planning
    /// anything.
    fn next_char(&self, from: usize) -> Option<char> {
        let mut i = from;
        loop {
            let rest = self.text.get(i..)?;
            let c = rest.chars().next()?;
            if c.is_ascii_whitespace() || odd_space(c).is_some() {
                i += c.len_utf8();
            } else if c == '#' || rest.starts_with("//") {
                i += rest.find(['\n', '\r'])?;
            } else if rest.starts_with("/*") {
                i += rest.get(2..)?.find("*/")? + 4;
            } else {
                return Some(c);
            }
        }
    }

    /// The end of the bare word at `from`. In a key's place it stops at `:` and at a comment;
    /// a value stops at a comment too (`-.25/* c */`), but not at `:`. Bare text (which is not a
    /// number or a literal) is read with [`Word::Text`]: `/` belongs to it (`https://x.io//p`),
    /// so no text is ever taken for a comment; a comment after bare text must follow a space.
    fn word_end(&self, from: usize, word: Word) -> usize {
        let rest = self.text.get(from..).unwrap_or("");
        for (i, c) in rest.char_indices() {
            let after = rest.get(i..).unwrap_or("");
            let comment = after.starts_with("/*") || after.starts_with("//");
            let stop = c.is_whitespace()
                || c.is_control()
                || odd_space(c).is_some()
                || matches!(c, '{' | '}' | '[' | ']' | ',' | '\u{FF0C}' | '\u{FF1A}')
                || closers(c).is_some()
                || (word == Word::Key && c == ':')
                || (word != Word::Text && comment);
            if stop {
                return from + i;
            }
        }
        from + rest.len()
    }

    /// Read the string whose opening quote (straight, single, curly) is at `start`. With
    /// `forced`, the string ends at that offset (a curly quote closing a straight one).
    fn lex_string(&self, start: usize, forced: Option<usize>) -> Result<StrTok, StrErr> {
        let open = self.char_at(start).ok_or(StrErr::Eof)?;
        let closing = closers(open).ok_or(StrErr::Eof)?;
        let straight = open == '"';
        let mut notes: Vec<(usize, String)> = Vec::new();
        let mut noted: u8 = 0;
        let body = start + open.len_utf8();
        let mut out: Option<String> = (!straight || forced.is_some()).then(|| "\"".to_owned());
        let mut chunk = body;
        let mut i = body;
        // Copy the text read so far into `out`, creating it from the opening quote if needed.
        let flush = |out: &mut Option<String>, chunk: &mut usize, i: usize| {
            match out {
                Some(o) => o.push_str(self.text.get(*chunk..i).unwrap_or("")),
                None => *out = Some(self.text.get(start..i).unwrap_or("").to_owned()),
            }
            *chunk = i;
        };
        let note = |notes: &mut Vec<(usize, String)>, noted: &mut u8, bit: u8, at, message| {
            if *noted & bit == 0 {
                *noted |= bit;
                notes.push((at, message));
            }
        };
        loop {
            let c = self.char_at(i).ok_or(StrErr::Eof)?;
            let ends = match forced {
                Some(f) => i == f,
                None => closing.contains(&c),
            };
            if ends {
                if let Some(o) = out.as_mut() {
                    o.push_str(self.text.get(chunk..i).unwrap_or(""));
                    o.push('"');
                }
                if !straight {
                    let close = if c == '"' {
                        String::new()
                    } else {
                        c.to_string()
                    };
                    let message = if open == '\'' {
                        "replaced the single quotes with double quotes".to_owned()
                    } else {
                        format!("replaced the quotes {open}…{close} with straight double quotes")
                    };
                    notes.insert(0, (start, message));
                } else if forced.is_some() {
                    notes.push((
                        i,
                        format!("replaced the curly quote {c} that ends this string with a straight double quote"),
                    ));
                }
                return Ok(StrTok {
                    end: i + c.len_utf8(),
                    fix: out,
                    notes,
                });
            }
            match c {
                '\\' => {
                    let n = self.char_at(i + 1).ok_or(StrErr::Eof)?;
                    let (repl, skip, bit, message): (String, usize, u8, String) = match n {
                        '"' | '\\' | '/' | 'b' | 'f' | 'n' | 'r' | 't' => {
                            i += 2;
                            continue;
                        }
                        'u' if self.hex_digits(i + 2, 4) => {
                            i += 6;
                            continue;
                        }
                        '\'' => (
                            "'".into(),
                            2,
                            1,
                            "wrote the escape `\\'` as a plain `'` (JSON has no `\\'`)".into(),
                        ),
                        'x' if self.hex_digits(i + 2, 2) => {
                            let hex = self.text.get(i + 2..i + 4).unwrap_or("00");
                            let repl = format!("\\u00{}", hex.to_ascii_lowercase());
                            let message = format!("wrote the escape `\\x{hex}` as `{repl}`");
                            (repl, 4, 2, message)
                        }
                        'v' => (
                            "\\u000b".into(),
                            2,
                            2,
                            "wrote the escape `\\v` as `\\u000b`".into(),
                        ),
                        '0' if !self.char_at(i + 2).is_some_and(|d| d.is_ascii_digit()) => (
                            "\\u0000".into(),
                            2,
                            2,
                            "wrote the escape `\\0` as `\\u0000`".into(),
                        ),
                        '\n' | '\r' | '\u{2028}' | '\u{2029}' => {
                            let mut skip = 1 + n.len_utf8();
                            if n == '\r' && self.b.get(i + 2) == Some(&b'\n') {
                                skip += 1;
                            }
                            (
                                String::new(),
                                skip,
                                4,
                                "joined a string continued on the next line with a backslash"
                                    .into(),
                            )
                        }
                        _ => (
                            "\\\\".into(),
                            1,
                            8,
                            format!(
                                "doubled the backslash before `{n}`: JSON allows `\\{n}` in no string (a Windows path needs `\\\\`)"
                            ),
                        ),
                    };
                    flush(&mut out, &mut chunk, i);
                    if let Some(o) = out.as_mut() {
                        o.push_str(&repl);
                    }
                    note(&mut notes, &mut noted, bit, i, message);
                    i += skip;
                    chunk = i;
                }
                '"' => {
                    // Only reached inside single or curly quotes: escape it.
                    flush(&mut out, &mut chunk, i);
                    if let Some(o) = out.as_mut() {
                        o.push_str("\\\"");
                    }
                    i += 1;
                    chunk = i;
                }
                '\n' | '\r' => return Err(StrErr::LineEnd(i)),
                c if (c as u32) < 0x20 => {
                    let repl = if c == '\t' {
                        "\\t".to_owned()
                    } else {
                        format!("\\u{:04x}", c as u32)
                    };
                    let message = if c == '\t' {
                        "wrote the tab character inside the string as \\t".to_owned()
                    } else {
                        format!(
                            "wrote the control character U+{:04X} inside the string as {repl}",
                            c as u32
                        )
                    };
                    flush(&mut out, &mut chunk, i);
                    if let Some(o) = out.as_mut() {
                        o.push_str(&repl);
                    }
                    note(&mut notes, &mut noted, 16, i, message);
                    i += 1;
                    chunk = i;
                }
                _ => i += c.len_utf8(),
            }
        }
    }

    fn hex_digits(&self, at: usize, n: usize) -> bool {
        self.b
            .get(at..at + n)
            .is_some_and(|d| d.iter().all(u8::is_ascii_hexdigit))
    }

    /// A straight string not closed on its line: the curly quote that was meant to close it
    /// (one followed by nothing, a comment, or `,` `:` `]` `}`).
    fn curly_close(&self, body: usize, line_end: usize) -> Option<usize> {
        let seg = self.text.get(body..line_end)?;
        seg.char_indices().find_map(|(k, c)| {
            if c != '\u{201D}' && c != '\u{201C}' {
                return None;
            }
            let after = seg.get(k + c.len_utf8()..)?.trim_start_matches([' ', '\t']);
            let ends = after.is_empty()
                || after.starts_with([',', ':', ']', '}', '#'])
                || after.starts_with("//");
            ends.then_some(body + k)
        })
    }

    fn accept_string(&mut self, start: usize, tok: StrTok) {
        let index = tok.fix.as_ref().map(|_| self.edits.len());
        if let Some(fix) = tok.fix {
            self.edits.push(Edit::new(start, tok.end, fix));
        }
        for (at, message) in tok.notes {
            self.changes.push(Found {
                at: Some(at),
                diag: fixed(message),
                edit: index,
            });
        }
        self.pos = tok.end;
    }

    /// A string at `at`; a straight one not closed on its line may end at a curly quote.
    fn read_string(&self, at: usize) -> Result<StrTok, StrErr> {
        match self.lex_string(at, None) {
            Err(StrErr::LineEnd(line_end)) if self.b.get(at) == Some(&b'"') => {
                match self.curly_close(at + 1, line_end) {
                    Some(k) => self.lex_string(at, Some(k)),
                    None => Err(StrErr::LineEnd(line_end)),
                }
            }
            r => r,
        }
    }

    fn string_error(&mut self, start: usize, e: StrErr) -> Step {
        match e {
            StrErr::LineEnd(_) => self.stop(
                start,
                "the string that starts here is not closed on its line",
                "add the closing quote; a line break inside a string must be written \\n",
            ),
            StrErr::Eof => self.stop(
                start,
                "the file ends inside the string that starts here",
                "the file looks cut off: complete the string and what follows it",
            ),
        }
    }

    // ---- recording ------------------------------------------------------------------------------

    fn edit_note(
        &mut self,
        start: usize,
        end: usize,
        text: impl Into<String>,
        at: usize,
        message: impl Into<String>,
    ) {
        let index = self.edits.len();
        self.edits.push(Edit::new(start, end, text));
        self.changes.push(Found {
            at: Some(at),
            diag: fixed(message),
            edit: Some(index),
        });
    }

    fn stop(&mut self, at: usize, message: impl Into<String>, help: impl Into<String>) -> Step {
        self.unrepaired.push(Found::at(
            at,
            Diagnostic::error("syntax", message).with_help(help),
        ));
        Step::Stop
    }

    fn mismatched(&mut self, c: char) -> Step {
        let at = self.pos;
        match self.stack.last() {
            Some(f) => {
                let (name, open, closer) = (f.name(), f.open, f.closer());
                let message = format!(
                    "`{c}` cannot close the {name} opened at {}",
                    self.pos_of(open)
                );
                self.stop(
                    at,
                    message,
                    format!("close it with `{closer}`, or check which brackets pair up"),
                )
            }
            None => self.stop(
                at,
                format!("unexpected `{c}`"),
                "delete it; brackets must pair up",
            ),
        }
    }

    fn unexpected(&mut self, at: usize, c: char) -> Step {
        let message = if c.is_control() {
            format!("control character U+{:04X} is not allowed here", c as u32)
        } else {
            format!("unexpected `{c}`")
        };
        self.stop(
            at,
            message,
            "a value is a string in double quotes, a number, true, false, null, a list [...] or an object {...}",
        )
    }

    /// The source text of a key, for messages.
    fn source(&self, (start, end): (usize, usize)) -> String {
        clip(self.text.get(start..end).unwrap_or(""))
    }

    fn indent_at(&self, line_start: usize) -> String {
        self.text
            .get(line_start..)
            .unwrap_or("")
            .chars()
            .take_while(|&c| c == ' ' || c == '\t' || odd_space(c).is_some_and(|(_, r)| r == " "))
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect()
    }

    fn pos_of(&self, offset: usize) -> String {
        let p = Pos::at(self.text, offset);
        format!("line {}, column {}", p.line, p.col)
    }
}

/// The quotes that may close a string opened by `open`, if `open` opens strings.
fn closers(open: char) -> Option<&'static [char]> {
    Some(match open {
        '"' => &['"'],
        '\'' => &['\''],
        '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{201F}' => &['\u{201D}', '\u{201C}', '"'],
        '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}' => &['\u{2019}', '\u{2018}', '\''],
        '\u{00AB}' => &['\u{00BB}'],
        '\u{00BB}' => &['\u{00AB}'],
        _ => return None,
    })
}

/// Whitespace-like characters JSON does not allow between tokens: their name and replacement
/// (a space, or nothing for the invisible ones).
fn odd_space(c: char) -> Option<(&'static str, &'static str)> {
    Some(match c {
        '\u{0B}' => ("vertical tab", " "),
        '\u{0C}' => ("form feed", " "),
        '\u{85}' => ("next line", " "),
        '\u{A0}' => ("no-break space", " "),
        '\u{200B}' => ("zero-width space", ""),
        '\u{200C}' => ("zero-width non-joiner", ""),
        '\u{200D}' => ("zero-width joiner", ""),
        '\u{2060}' => ("word joiner", ""),
        '\u{FEFF}' => ("byte order mark", ""),
        '\u{2028}' => ("line separator", " "),
        '\u{2029}' => ("paragraph separator", " "),
        '\u{202F}' => ("narrow no-break space", " "),
        '\u{3000}' => ("full-width space", " "),
        c if c.is_whitespace() && !c.is_ascii() => ("Unicode space", " "),
        _ => return None,
    })
}

fn is_blank(c: char) -> bool {
    c == ' ' || c == '\t' || odd_space(c).is_some()
}

/// At most 50 characters of `s`, for messages.
fn clip(s: &str) -> String {
    match s.char_indices().nth(50) {
        Some((i, _)) => format!("{}…", s.get(..i).unwrap_or("")),
        None => s.to_owned(),
    }
}

/// What a bare word in a value's place becomes.
fn value_word(w: &str) -> WordFix {
    if matches!(w, "true" | "false" | "null") {
        return WordFix::Keep;
    }
    let lower = w.to_ascii_lowercase();
    match lower.as_str() {
        "true" | "false" | "null" => {
            return WordFix::Replace(
                lower.clone(),
                format!("wrote `{w}` as {lower}: JSON's true, false and null are lowercase"),
            );
        }
        "none" | "nil" | "undefined" => {
            return WordFix::Replace("null".into(), format!("wrote `{w}` as null"));
        }
        "yes" | "no" | "on" | "off" => {
            return WordFix::Bad(
                format!("`{w}` is not a JSON value"),
                "JSON's booleans are true and false: write the one you mean".into(),
            );
        }
        "nan" | "-nan" | "+nan" | "infinity" | "-infinity" | "+infinity" | "inf" | "-inf"
        | "+inf" => {
            return WordFix::Bad(
                format!("`{w}` is not allowed in JSON"),
                "JSON has no NaN or Infinity; write a number".into(),
            );
        }
        _ => {}
    }
    if w.starts_with(|c: char| c.is_ascii_digit() || matches!(c, '-' | '+' | '.')) {
        let fix = number(w);
        // Not a number, and clearly text (`10.0.0.5:5000`, `10m`, `1.2.3`): quote it below.
        let hex = w
            .trim_start_matches(['-', '+'])
            .get(..2)
            .is_some_and(|p| p.eq_ignore_ascii_case("0x"));
        let text = w.contains(|c: char| !matches!(c, '0'..='9' | '+' | '-' | '.' | 'e' | 'E'))
            || w.matches('.').count() > 1;
        if !matches!(fix, WordFix::Bad(..)) || hex || !text {
            return fix;
        }
    }
    WordFix::Text
}

/// A number as written in JSON5 or JavaScript, made strict JSON when its value is clear.
fn number(w: &str) -> WordFix {
    if is_json_number(w) {
        return WordFix::Keep;
    }
    let bad = || {
        WordFix::Bad(
            format!("`{}` is not a number", clip(w)),
            format!(
                "JSON numbers have no units or separators; if it is text, put it in double quotes: {}",
                json_string(w)
            ),
        )
    };
    let (sign, body) = match w.as_bytes().first() {
        Some(b'-') => ("-", w.get(1..).unwrap_or("")),
        Some(b'+') => ("", w.get(1..).unwrap_or("")),
        _ => ("", w),
    };
    let fixed = if let Some(hex) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
        if hex.is_empty() || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return bad();
        }
        match u128::from_str_radix(hex, 16) {
            Ok(v) => format!("{sign}{v}"),
            Err(_) => return bad(),
        }
    } else {
        let (mantissa, exp) = match body.find(['e', 'E']) {
            Some(i) => (
                body.get(..i).unwrap_or(""),
                Some(body.get(i + 1..).unwrap_or("")),
            ),
            None => (body, None),
        };
        let (int, frac) = match mantissa.split_once('.') {
            Some((i, f)) => (i, Some(f)),
            None => (mantissa, None),
        };
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if !digits(int)
            || !frac.is_none_or(digits)
            || (int.is_empty() && frac.is_none_or(str::is_empty))
        {
            return bad();
        }
        if int.len() > 1 && int.starts_with('0') {
            return WordFix::Bad(
                format!("numbers cannot start with 0: `{}`", clip(w)),
                "write it without the leading zeros, or in double quotes if it is text (an octal number must be converted by hand)".into(),
            );
        }
        let mut s = format!("{sign}{}", if int.is_empty() { "0" } else { int });
        if let Some(f) = frac.filter(|f| !f.is_empty()) {
            s.push('.');
            s.push_str(f);
        }
        if let Some(e) = exp {
            s.push('e');
            s.push_str(e);
        }
        s
    };
    if !is_json_number(&fixed) {
        return bad();
    }
    WordFix::Replace(
        fixed.clone(),
        format!("wrote the number `{}` as {fixed}", clip(w)),
    )
}

/// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`
fn is_json_number(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = usize::from(b.first() == Some(&b'-'));
    let digits = |i: &mut usize| {
        let from = *i;
        while b.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i - from
    };
    match b.get(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => {
            digits(&mut i);
        }
        _ => return false,
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

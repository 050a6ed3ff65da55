//! Strict JSON exactly as Go's `encoding/json` (and so dockerd) accepts it, parsed into a tree
//! with byte spans. Iterative, linear time, at most [`MAX_DEPTH`] levels deep like Go's decoder.
//! Errors point at the first problem and explain the mistakes people paste from blog posts.

use std::ops::Range;

use compact_str::CompactString;

use super::{Document, Kind, Member, Value, json_string};
use crate::diag::{Diagnostic, Pos};

/// The deepest nesting Go's JSON decoder accepts (`maxNestingDepth`); one more is an error.
pub const MAX_DEPTH: usize = 10_000;

const FIX: &str = "`dockcfg fix` repairs this";

/// Parse daemon.json text (already decoded, BOM removed). Errors have code `syntax`, or `empty`
/// for a file holding nothing but whitespace (dockerd 23.0+ reads that as no settings; 20.10
/// refuses it), and carry the line:col of the first problem.
pub fn parse(text: &str) -> Result<Document, Diagnostic> {
    Parser {
        text,
        b: text.as_bytes(),
        pos: 0,
        stack: Vec::new(),
        root: None,
        curly_in_last_string: None,
    }
    .run()
}

struct Parser<'t> {
    text: &'t str,
    b: &'t [u8],
    pos: usize,
    stack: Vec<Frame>,
    root: Option<Value>,
    /// A curly quote inside the string just parsed: the likely cause of a confusing error next.
    curly_in_last_string: Option<usize>,
}

enum Frame {
    Object {
        start: usize,
        members: Vec<Member>,
        key: Option<(String, Range<usize>)>,
    },
    Array {
        start: usize,
        items: Vec<Value>,
    },
}

impl Frame {
    fn start(&self) -> usize {
        match self {
            Frame::Object { start, .. } | Frame::Array { start, .. } => *start,
        }
    }
    fn name(&self) -> &'static str {
        match self {
            Frame::Object { .. } => "object",
            Frame::Array { .. } => "list",
        }
    }
    fn closer(&self) -> char {
        match self {
            Frame::Object { .. } => '}',
            Frame::Array { .. } => ']',
        }
    }
}

#[derive(Clone, Copy)]
enum State {
    /// A value is expected. `comma`: the comma before it in a list; `open`: right after `[`.
    Value { comma: Option<usize>, open: bool },
    /// A key is expected. `comma`: the comma before it; `None` right after `{`.
    Key { comma: Option<usize> },
    /// A value has just ended.
    After,
}

impl<'t> Parser<'t> {
    fn run(mut self) -> Result<Document, Diagnostic> {
        self.skip_ws();
        if self.pos >= self.b.len() {
            return Err(Diagnostic::error("empty", "daemon.json is empty").with_help(
                "dockerd 23.0 and later read an empty file as no settings, older versions refuse it; write {} to be safe",
            ));
        }
        let root_pos = Pos::at(self.text, self.pos);
        let mut state = State::Value {
            comma: None,
            open: false,
        };
        loop {
            self.skip_ws();
            let start = self.pos;
            let Some(c) = self.peek() else {
                if let (State::After, true, Some(root)) =
                    (state, self.stack.is_empty(), self.root.take())
                {
                    return Ok(Document { root, root_pos });
                }
                return Err(self.eof(None));
            };
            state = match state {
                State::Value { comma, open } => match c {
                    b'{' => {
                        self.open(Frame::Object {
                            start,
                            members: Vec::new(),
                            key: None,
                        })?;
                        State::Key { comma: None }
                    }
                    b'[' => {
                        self.open(Frame::Array {
                            start,
                            items: Vec::new(),
                        })?;
                        State::Value {
                            comma: None,
                            open: true,
                        }
                    }
                    b']' | b'}' if self.stack.last().map(Frame::closer) == Some(c as char) => {
                        match comma {
                            Some(at) => return Err(self.trailing_comma(at)),
                            None if open => {
                                self.close();
                                State::After
                            }
                            None => return Err(self.bad_value(comma)),
                        }
                    }
                    b'"' => {
                        let s = self.string()?;
                        self.finish(Value {
                            span: start..self.pos,
                            kind: Kind::String(s),
                        });
                        State::After
                    }
                    b'-' | b'0'..=b'9' => {
                        self.number()?;
                        State::After
                    }
                    _ => {
                        let word = self.ident();
                        let kind = match word {
                            "true" => Kind::Bool(true),
                            "false" => Kind::Bool(false),
                            "null" => Kind::Null,
                            _ => return Err(self.bad_value(comma)),
                        };
                        self.pos += word.len();
                        self.finish(Value {
                            span: start..self.pos,
                            kind,
                        });
                        State::After
                    }
                },
                State::Key { comma } => match c {
                    b'"' => {
                        let key = self.string()?.into_string();
                        let key_span = start..self.pos;
                        self.skip_ws();
                        match self.peek() {
                            Some(b':') => self.pos += 1,
                            None => return Err(self.eof(None)),
                            Some(_) => return Err(self.missing_colon(&key)),
                        }
                        if let Some(Frame::Object { key: slot, .. }) = self.stack.last_mut() {
                            *slot = Some((key, key_span));
                        }
                        State::Value {
                            comma: None,
                            open: false,
                        }
                    }
                    b'}' => match comma {
                        Some(at) => return Err(self.trailing_comma(at)),
                        None => {
                            self.close();
                            State::After
                        }
                    },
                    _ => return Err(self.bad_key(comma)),
                },
                State::After => match (self.stack.last(), c) {
                    (Some(Frame::Object { .. }), b',') => {
                        self.pos += 1;
                        State::Key { comma: Some(start) }
                    }
                    (Some(Frame::Array { .. }), b',') => {
                        self.pos += 1;
                        State::Value {
                            comma: Some(start),
                            open: false,
                        }
                    }
                    (Some(Frame::Object { .. }), b'}') | (Some(Frame::Array { .. }), b']') => {
                        self.close();
                        State::After
                    }
                    _ => return Err(self.bad_after_value()),
                },
            };
        }
    }

    // ---- scanning -------------------------------------------------------------------------

    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    fn rest(&self) -> &'t str {
        self.text.get(self.pos..).unwrap_or("")
    }

    fn current_char(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    /// The ASCII identifier at the cursor (`true`, `null`, `debug`, ...), possibly empty.
    fn ident(&self) -> &'t str {
        let rest = self.rest();
        let n = rest
            .bytes()
            .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
            .count();
        rest.get(..n).unwrap_or("")
    }

    /// The bare word at the cursor, for messages about unquoted text: up to whitespace or
    /// punctuation that ends a value (and `:` for keys). At most 60 characters.
    fn word(&self, for_key: bool) -> &'t str {
        let rest = self.rest();
        let end = rest
            .char_indices()
            .find(|&(_, c)| {
                c.is_whitespace()
                    || matches!(c, ',' | ']' | '}' | '[' | '{' | '"')
                    || (for_key && c == ':')
                    || odd_space_name(c).is_some()
            })
            .map_or(rest.len(), |(i, _)| i);
        let word = rest.get(..end).unwrap_or("");
        match word.char_indices().nth(60) {
            Some((i, _)) => word.get(..i).unwrap_or(word),
            None => word,
        }
    }

    fn err(&self, at: usize, message: impl Into<String>, help: impl Into<String>) -> Diagnostic {
        Diagnostic::error("syntax", message)
            .with_help(help)
            .at(self.text, at)
    }

    fn pos_of(&self, offset: usize) -> String {
        let p = Pos::at(self.text, offset);
        format!("line {}, column {}", p.line, p.col)
    }

    // ---- tree building --------------------------------------------------------------------

    fn open(&mut self, frame: Frame) -> Result<(), Diagnostic> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(self.err(
                self.pos,
                format!(
                    "nesting deeper than {MAX_DEPTH} levels: dockerd's JSON decoder refuses it"
                ),
                "daemon.json settings are never nested this deep; the file is probably damaged",
            ));
        }
        self.pos += 1;
        self.stack.push(frame);
        Ok(())
    }

    /// Close the innermost container at the cursor (which is on its `}` or `]`).
    fn close(&mut self) {
        self.pos += 1;
        let v = match self.stack.pop() {
            Some(Frame::Object { start, members, .. }) => Value {
                span: start..self.pos,
                kind: Kind::Object(members),
            },
            Some(Frame::Array { start, items }) => Value {
                span: start..self.pos,
                kind: Kind::Array(items),
            },
            None => return,
        };
        self.finish(v);
    }

    /// Attach a finished value to its parent (or make it the root).
    fn finish(&mut self, v: Value) {
        if !matches!(v.kind, Kind::String(_)) {
            self.curly_in_last_string = None;
        }
        match self.stack.last_mut() {
            Some(Frame::Object { members, key, .. }) => {
                if let Some((key, key_span)) = key.take() {
                    members.push(Member {
                        key,
                        key_span,
                        value: v,
                    });
                }
            }
            Some(Frame::Array { items, .. }) => items.push(v),
            None => self.root = Some(v),
        }
    }

    // ---- tokens ---------------------------------------------------------------------------

    /// A string at the cursor (on its opening quote); leaves the cursor after the closing quote.
    fn string(&mut self) -> Result<CompactString, Diagnostic> {
        let open = self.pos;
        self.pos += 1;
        self.curly_in_last_string = None;
        let mut out = CompactString::const_new("");
        let mut chunk = self.pos;
        loop {
            // Skip the bytes that need nothing done in one tight loop.
            let rest = self.b.get(self.pos..).unwrap_or_default();
            self.pos += rest
                .iter()
                .position(|&c| c == b'"' || c == b'\\' || c < 0x20 || c == 0xE2)
                .unwrap_or(rest.len());
            let Some(c) = self.peek() else {
                return Err(self.eof(Some(open)));
            };
            match c {
                b'"' => {
                    let tail = self.text.get(chunk..self.pos).unwrap_or("");
                    self.pos += 1;
                    // Most strings have no escape: made in one step from the text.
                    if out.is_empty() {
                        return Ok(CompactString::new(tail));
                    }
                    out.push_str(tail);
                    return Ok(out);
                }
                b'\\' => {
                    out.push_str(self.text.get(chunk..self.pos).unwrap_or(""));
                    self.escape(&mut out, open)?;
                    chunk = self.pos;
                }
                0..=0x1F => return Err(self.control_in_string(open)),
                0xE2 => {
                    // The first byte of U+2018..U+201D (curly quotes) in UTF-8.
                    if self.current_char().and_then(curly_quote_name).is_some() {
                        self.curly_in_last_string.get_or_insert(self.pos);
                    }
                    self.pos += 1;
                }
                _ => self.pos += 1,
            }
        }
    }

    /// An escape at the cursor (on the backslash), appended decoded to `out`.
    fn escape(&mut self, out: &mut CompactString, open: usize) -> Result<(), Diagnostic> {
        let at = self.pos;
        let Some(c) = self.b.get(at + 1).copied() else {
            return Err(self.eof(Some(open)));
        };
        let simple = match c {
            b'"' => Some('"'),
            b'\\' => Some('\\'),
            b'/' => Some('/'),
            b'b' => Some('\u{8}'),
            b'f' => Some('\u{c}'),
            b'n' => Some('\n'),
            b'r' => Some('\r'),
            b't' => Some('\t'),
            _ => None,
        };
        if let Some(ch) = simple {
            out.push(ch);
            self.pos += 2;
            return Ok(());
        }
        if c != b'u' {
            let shown: String = self
                .text
                .get(at + 1..)
                .and_then(|s| s.chars().next())
                .map_or(String::new(), |ch| ch.to_string());
            return Err(self.err(
                at,
                format!("invalid escape `\\{shown}` in a string"),
                "a backslash must be doubled, as in \"C:\\\\ProgramData\\\\docker\"; JSON's escapes are \\\" \\\\ \\/ \\b \\f \\n \\r \\t and \\uXXXX",
            ));
        }
        let Some(first) = self.hex4(at + 2) else {
            return Err(self.bad_u_escape(at, open));
        };
        self.pos = at + 6;
        // Go: a valid surrogate pair is combined; any other surrogate becomes U+FFFD.
        let ch = if (0xD800..0xDC00).contains(&first) {
            let low = match (self.b.get(self.pos), self.b.get(self.pos + 1)) {
                (Some(b'\\'), Some(b'u')) => self.hex4(self.pos + 2),
                _ => None,
            };
            match low {
                Some(low @ 0xDC00..0xE000) => {
                    self.pos += 6;
                    char::from_u32(0x10000 + ((first - 0xD800) << 10) + (low - 0xDC00))
                }
                _ => None,
            }
        } else {
            char::from_u32(first)
        };
        out.push(ch.unwrap_or('\u{FFFD}'));
        Ok(())
    }

    fn hex4(&self, at: usize) -> Option<u32> {
        let digits = self.b.get(at..at + 4)?;
        digits.iter().try_fold(0u32, |acc, d| {
            let v = (*d as char).to_digit(16)?;
            Some(acc * 16 + v)
        })
    }

    fn bad_u_escape(&self, at: usize, open: usize) -> Diagnostic {
        let available = self.b.len().saturating_sub(at + 2);
        let bad = self
            .b
            .get(at + 2..at + 2 + available.min(4))
            .and_then(|d| d.iter().position(|c| !c.is_ascii_hexdigit()));
        if available < 4 && bad.is_none() {
            return self.eof(Some(open));
        }
        self.err(
            at,
            "`\\u` in a string must be followed by four hex digits, like \\u00e9",
            "to write a backslash itself, double it: \\\\",
        )
    }

    /// A number at the cursor, checked against JSON's grammar.
    fn number(&mut self) -> Result<(), Diagnostic> {
        let start = self.pos;
        let digits = |b: &[u8], mut i: usize| {
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            i
        };
        let b = self.b;
        let mut i = start;
        if b.get(i) == Some(&b'-') {
            i += 1;
        }
        match b.get(i) {
            Some(b'0') => {
                i += 1;
                if b.get(i).is_some_and(u8::is_ascii_digit) {
                    let word = self.word(false);
                    let sign = if word.starts_with('-') { "-" } else { "" };
                    let digits = word.trim_start_matches('-').trim_start_matches('0');
                    let fixed = if digits.is_empty() { "0" } else { digits };
                    return Err(self.err(
                        start,
                        format!("numbers cannot start with 0: `{word}`"),
                        format!(
                            "write it without the leading zeros ({sign}{fixed}), or put it in double quotes if it is text"
                        ),
                    ));
                }
            }
            Some(b'1'..=b'9') => i = digits(b, i),
            _ => {
                if self.rest().get(1..).is_some_and(|r| {
                    r.starts_with("Infinity") || r.starts_with("infinity") || r.starts_with("inf")
                }) {
                    return Err(self.not_a_number_literal(start));
                }
                return Err(self.err(
                    start,
                    "a `-` must be followed by a digit",
                    "write a number like -1, or put the text in double quotes",
                ));
            }
        }
        if b.get(i) == Some(&b'.') {
            if !b.get(i + 1).is_some_and(u8::is_ascii_digit) {
                return Err(self.err(
                    start,
                    format!(
                        "a digit must follow the decimal point in `{}`",
                        self.word(false)
                    ),
                    "put at least one digit after the point, like 1.0",
                ));
            }
            i = digits(b, i + 1);
        }
        if let Some(b'e' | b'E') = b.get(i) {
            let mut j = i + 1;
            if let Some(b'+' | b'-') = b.get(j) {
                j += 1;
            }
            if !b.get(j).is_some_and(u8::is_ascii_digit) {
                return Err(self.err(
                    start,
                    format!("the exponent in `{}` has no digits", self.word(false)),
                    "write a number like 1e6",
                ));
            }
            i = digits(b, j);
        }
        if b.get(i)
            .is_some_and(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.'))
        {
            let word = self.word(false);
            let hex = word
                .strip_prefix("0x")
                .or_else(|| word.strip_prefix("0X"))
                .and_then(|h| u64::from_str_radix(h, 16).ok());
            let (message, help) = match hex {
                Some(v) => (
                    format!("hex numbers like `{word}` are not allowed in JSON"),
                    format!("write it in decimal: {v}"),
                ),
                None => (
                    format!("`{word}` is not a number"),
                    format!(
                        "JSON numbers have no units or separators; if it is text, put it in double quotes: {}",
                        json_string(word)
                    ),
                ),
            };
            return Err(self.err(start, message, help));
        }
        self.pos = i;
        let raw = self.text.get(start..i).unwrap_or("").to_owned();
        self.finish(Value {
            span: start..i,
            kind: Kind::Number(raw),
        });
        Ok(())
    }

    // ---- errors ---------------------------------------------------------------------------

    /// Mistakes recognisable wherever they appear: comments, odd spaces, curly quotes, control
    /// characters.
    fn stray(&self) -> Option<Diagnostic> {
        let rest = self.rest();
        let c = rest.chars().next()?;
        if rest.starts_with("//") || rest.starts_with("/*") || c == '#' {
            return Some(self.err(
                self.pos,
                "comments are not allowed in daemon.json",
                format!("JSON has no comments: delete the comment ({FIX}: it removes comments and keeps the settings)"),
            ));
        }
        if let Some(name) = odd_space_name(c) {
            return Some(self.err(
                self.pos,
                format!(
                    "invisible character U+{:04X} ({name}) is not allowed here",
                    c as u32
                ),
                "JSON allows only ordinary spaces, tabs and line breaks between values; such characters come from copying web pages or chats: retype the spaces, or run `dockcfg fix`",
            ));
        }
        if let Some(name) = curly_quote_name(c) {
            return Some(self.curly_quote(self.pos, c, name));
        }
        if c.is_control() {
            return Some(self.err(
                self.pos,
                format!(
                    "control character U+{:04X} is not allowed in JSON",
                    c as u32
                ),
                "delete it; the file may be damaged",
            ));
        }
        None
    }

    fn curly_quote(&self, at: usize, c: char, name: &str) -> Diagnostic {
        self.err(
            at,
            format!(
                "curly quote {c} (U+{:04X}, {name}): JSON needs straight double quotes \"",
                c as u32
            ),
            format!("word processors and web pages turn \" into “ ”; type straight \" quotes instead ({FIX})"),
        )
    }

    fn trailing_comma(&self, comma: usize) -> Diagnostic {
        let closer = self.stack.last().map_or('}', Frame::closer);
        self.err(
            comma,
            format!("trailing comma before `{closer}`: JSON allows no comma after the last item"),
            format!("delete this comma ({FIX})"),
        )
    }

    fn single_quoted(&self, what: &str) -> Diagnostic {
        let rest = self.rest();
        let inner = rest
            .get(1..)
            .and_then(|r| r.split(['\'', '\n']).next())
            .unwrap_or("");
        self.err(
            self.pos,
            format!("{what} must be in double quotes, not single quotes"),
            format!("write {} ({FIX})", json_string(inner)),
        )
    }

    fn bad_key(&self, comma: Option<usize>) -> Diagnostic {
        if let Some(d) = self.stray() {
            return d;
        }
        let c = self.current_char().unwrap_or(' ');
        let word = self.word(true);
        match c {
            '\'' => self.single_quoted("keys"),
            ']' => self.mismatched(']'),
            ',' if comma.is_some() => {
                self.err(self.pos, "two commas in a row", "delete one of them")
            }
            ':' => self.err(
                self.pos,
                "a key is missing before `:`",
                "write the key in double quotes, like \"debug\": true",
            ),
            _ if !word.is_empty() => self.err(
                self.pos,
                format!("keys must be in double quotes: `{word}`"),
                format!("write {} ({FIX})", json_string(word)),
            ),
            _ => self.err(
                self.pos,
                format!("expected a key in double quotes, found `{c}`"),
                "each member of an object is written \"key\": value",
            ),
        }
    }

    fn missing_colon(&self, key: &str) -> Diagnostic {
        if let Some(d) = self.stray() {
            return d;
        }
        let help = match self.peek() {
            Some(b'=') => "use `:` between a key and its value, not `=`".to_owned(),
            Some(b',' | b'}') => format!("give it a value: {}: value", json_string(key)),
            _ => format!("write {}: value", json_string(key)),
        };
        self.err(
            self.pos,
            format!("expected `:` after the key {}", json_string(key)),
            help,
        )
    }

    fn bad_value(&self, comma: Option<usize>) -> Diagnostic {
        if let Some(d) = self.stray() {
            return d;
        }
        let at = self.pos;
        let c = self.current_char().unwrap_or(' ');
        let after_key = match self.stack.last() {
            Some(Frame::Object {
                key: Some((k, _)), ..
            }) => Some(k.as_str()),
            _ => None,
        };
        match c {
            '\'' => return self.single_quoted("strings"),
            '}' | ']' => {
                let message = match after_key {
                    Some(k) => format!("the value of {} is missing", json_string(k)),
                    None => format!("expected a value, found `{c}`"),
                };
                if Some(c) != self.stack.last().map(Frame::closer) {
                    return self.mismatched(c);
                }
                return self.err(
                    at,
                    message,
                    "write a value, like \"text\", 1, true, [] or {}",
                );
            }
            ',' => {
                let message = match (after_key, comma) {
                    (Some(k), _) => format!("the value of {} is missing", json_string(k)),
                    (None, Some(_)) => "two commas in a row".to_owned(),
                    (None, None) => "a value is missing before `,`".to_owned(),
                };
                return self.err(at, message, "write a value, or delete the extra comma");
            }
            '.' | '+' => {
                let word = self.word(false);
                let fixed = match c {
                    '.' => format!("0{word}"),
                    _ => word.trim_start_matches('+').to_owned(),
                };
                return self.err(
                    at,
                    format!("a number cannot start with `{c}`: `{word}`"),
                    format!("write {fixed}"),
                );
            }
            _ => {}
        }
        let ident = self.ident();
        let lower = ident.to_ascii_lowercase();
        let literal = match lower.as_str() {
            "true" | "false" | "null" => Some(lower.clone()),
            "none" | "nil" | "undefined" => Some("null".to_owned()),
            _ => None,
        };
        if let (Some(lit), false) = (literal, ident.is_empty()) {
            return self.err(
                at,
                format!("`{ident}` is not a JSON value"),
                format!("write {lit}: JSON's true, false and null are lowercase ({FIX})"),
            );
        }
        match lower.as_str() {
            "yes" | "no" | "on" | "off" => {
                return self.err(
                    at,
                    format!("`{ident}` is not a JSON value"),
                    "JSON's booleans are true and false",
                );
            }
            "nan" | "infinity" | "inf" => return self.not_a_number_literal(at),
            _ => {}
        }
        let word = self.word(false);
        if word.is_empty() {
            return self.err(
                at,
                format!("expected a value, found `{c}`"),
                "a value is a string in double quotes, a number, true, false, null, a list [...] or an object {...}",
            );
        }
        self.err(
            at,
            format!("text must be in double quotes: `{word}`"),
            format!("write {} ({FIX})", json_string(word)),
        )
    }

    fn not_a_number_literal(&self, at: usize) -> Diagnostic {
        self.err(
            at,
            format!("`{}` is not allowed in JSON", self.word(false)),
            "JSON has no NaN or Infinity; write a number",
        )
    }

    /// `}` closing a list or `]` closing an object.
    fn mismatched(&self, c: char) -> Diagnostic {
        match self.stack.last() {
            Some(f) => self.err(
                self.pos,
                format!(
                    "`{c}` cannot close the {} opened at {}",
                    f.name(),
                    self.pos_of(f.start())
                ),
                format!("close it with `{}`", f.closer()),
            ),
            None => self.err(
                self.pos,
                format!("unexpected `{c}`"),
                "delete it; brackets must pair up",
            ),
        }
    }

    fn bad_after_value(&self) -> Diagnostic {
        if let Some(at) = self.curly_in_last_string {
            let c = self
                .text
                .get(at..)
                .and_then(|s| s.chars().next())
                .unwrap_or('"');
            return self.curly_quote(at, c, curly_quote_name(c).unwrap_or("curly quote"));
        }
        if let Some(d) = self.stray() {
            return d;
        }
        let c = self.current_char().unwrap_or(' ');
        let Some(frame) = self.stack.last() else {
            return self.after_root(c);
        };
        let starts_value =
            matches!(c, '"' | '\'' | '{' | '[' | '-' | '0'..='9') || c.is_alphabetic() || c == '_';
        match (frame, c) {
            (Frame::Object { .. }, _) if starts_value => self.err(
                self.pos,
                "missing comma before this member",
                format!(
                    "put a `,` {}: members of an object are separated by commas ({FIX})",
                    self.where_comma_goes()
                ),
            ),
            (Frame::Array { .. }, _) if starts_value => {
                let place = self.where_comma_goes();
                // Two items on one line may be one item split in two: `fix` leaves that to you.
                let fix = if place == "before it" {
                    "or was it one item?".to_owned()
                } else {
                    FIX.to_owned()
                };
                self.err(
                    self.pos,
                    "missing comma before this list item",
                    format!("put a `,` {place}: list items are separated by commas ({fix})"),
                )
            }
            (Frame::Object { .. }, ']') | (Frame::Array { .. }, '}') => self.mismatched(c),
            (Frame::Array { .. }, ':') => self.err(
                self.pos,
                "a list holds only values: `:` is not allowed here",
                "for \"key\": value pairs use an object { ... } instead of a list [ ... ]",
            ),
            (Frame::Object { .. }, _) => self.err(
                self.pos,
                format!("expected `,` or `}}` after the value, found `{c}`"),
                "members of an object are separated by commas",
            ),
            (Frame::Array { .. }, _) => self.err(
                self.pos,
                format!("expected `,` or `]` after the list item, found `{c}`"),
                "list items are separated by commas",
            ),
        }
    }

    /// Where a missing comma before the cursor belongs, in words.
    fn where_comma_goes(&self) -> String {
        let before = self.text.get(..self.pos).unwrap_or("");
        let prev_end = before.trim_end_matches([' ', '\t', '\n', '\r']).len();
        let prev_line = Pos::at(self.text, prev_end).line;
        if prev_line == Pos::at(self.text, self.pos).line {
            "before it".to_owned()
        } else {
            format!("at the end of line {prev_line}")
        }
    }

    /// Something after the root value has ended.
    fn after_root(&self, c: char) -> Diagnostic {
        let closed = self
            .root
            .as_ref()
            .map_or(0, |r| r.span.end.saturating_sub(1));
        let kind = match self.root.as_ref().map(|r| &r.kind) {
            Some(Kind::Object(_)) => "object",
            Some(Kind::Array(_)) => "list",
            _ => "value",
        };
        let (message, help) = match c {
            '{' => (
                format!(
                    "a second object after the end of the first (which closed at {})",
                    self.pos_of(closed)
                ),
                "daemon.json holds a single object: move these settings into the first one"
                    .to_owned(),
            ),
            '}' | ']' => (
                format!(
                    "extra `{c}`: the {kind} was already closed at {}",
                    self.pos_of(closed)
                ),
                "delete it, or check which brackets pair up".to_owned(),
            ),
            _ => (
                format!(
                    "unexpected text after the end of the {kind} (which closed at {})",
                    self.pos_of(closed)
                ),
                "all settings go inside the one top-level object".to_owned(),
            ),
        };
        self.err(self.pos, message, help)
    }

    fn control_in_string(&self, open: usize) -> Diagnostic {
        let c = self.peek().unwrap_or(0);
        if let (b'\n' | b'\r', Some(at)) = (c, self.curly_in_last_string) {
            let ch = self
                .text
                .get(at..)
                .and_then(|s| s.chars().next())
                .unwrap_or('"');
            return self.curly_quote(at, ch, curly_quote_name(ch).unwrap_or("curly quote"));
        }
        match c {
            b'\n' | b'\r' => self.err(
                self.pos,
                format!(
                    "the string that starts at {} is not closed on its line",
                    self.pos_of(open)
                ),
                "add the closing \" ; a line break inside a string must be written \\n",
            ),
            b'\t' => self.err(
                self.pos,
                "a tab character inside a string must be written \\t",
                format!("replace the tab with \\t ({FIX})"),
            ),
            _ => self.err(
                self.pos,
                format!("control character U+{c:04X} inside a string"),
                format!("write it as \\u{c:04x}, or delete it"),
            ),
        }
    }

    /// The text ended early. `in_string`: the opening quote of an unclosed string.
    fn eof(&self, in_string: Option<usize>) -> Diagnostic {
        let end = self.text.trim_end_matches([' ', '\t', '\n', '\r']).len();
        let at = match in_string {
            Some(_) => self.text.len(),
            None => end,
        };
        let open: Vec<String> = self
            .stack
            .iter()
            .rev()
            .take(3)
            .map(|f| format!("the {} opened at {}", f.name(), self.pos_of(f.start())))
            .collect();
        let mut still_open = open.join(" and ");
        if self.stack.len() > 3 {
            still_open = format!("{} (and {} more)", open.join(", "), self.stack.len() - 3);
        }
        let verb = if self.stack.len() == 1 { "is" } else { "are" };
        let closers: String = self.stack.iter().rev().map(Frame::closer).collect();
        let closers_help = if self.stack.len() <= 20 {
            format!("`{closers}`")
        } else {
            format!("{} closing brackets", self.stack.len())
        };
        let (message, help) = match in_string {
            Some(q) => (
                format!(
                    "unexpected end of file inside the string that starts at {}",
                    self.pos_of(q)
                ),
                if self.stack.is_empty() {
                    "the file looks cut off: close the string with \"".to_owned()
                } else {
                    format!(
                        "the file looks cut off: close the string with \" and then add {closers_help} ({FIX} where the rest is clear)"
                    )
                },
            ),
            None if !self.stack.is_empty() => (
                format!("unexpected end of file: {still_open} {verb} not closed"),
                format!(
                    "the file looks cut off: complete it, ending with {closers_help} ({FIX} where the rest is clear)"
                ),
            ),
            None => (
                "unexpected end of file".to_owned(),
                "the file looks cut off".to_owned(),
            ),
        };
        self.err(at, message, help)
    }
}

/// A name for whitespace-like characters JSON does not allow between tokens.
fn odd_space_name(c: char) -> Option<&'static str> {
    Some(match c {
        '\u{0B}' => "vertical tab",
        '\u{0C}' => "form feed",
        '\u{85}' => "next line",
        '\u{A0}' => "no-break space",
        '\u{200B}' => "zero-width space",
        '\u{200C}' => "zero-width non-joiner",
        '\u{200D}' => "zero-width joiner",
        '\u{2028}' => "line separator",
        '\u{2029}' => "paragraph separator",
        '\u{202F}' => "narrow no-break space",
        '\u{2060}' => "word joiner",
        '\u{3000}' => "full-width space",
        '\u{FEFF}' => "byte order mark",
        c if c.is_whitespace() && !c.is_ascii() => "Unicode space",
        _ => return None,
    })
}

/// A name for the typographic quotes that word processors put in place of `"` and `'`.
fn curly_quote_name(c: char) -> Option<&'static str> {
    Some(match c {
        '\u{201C}' => "left double quotation mark",
        '\u{201D}' => "right double quotation mark",
        '\u{2018}' => "left single quotation mark",
        '\u{2019}' => "right single quotation mark",
        '\u{201E}' => "double low-9 quotation mark",
        '\u{00AB}' | '\u{00BB}' => "guillemet",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (text, line, col, message fragment, help fragment)
    #[rustfmt::skip]
    const SYNTAX: &[(&str, usize, usize, &str, &str)] = &[
        // Comments, as blog posts write them.
        ("{\n  // mirrors for China\n  \"debug\": true\n}", 2, 3, "comments are not allowed in daemon.json", "dockcfg fix"),
        ("{\n  \"debug\": true /* on */\n}", 2, 17, "comments are not allowed in daemon.json", "delete the comment"),
        ("{\n  \"insecure-registries\":[\"127.0.0.1:30001\"]  # server ip and port\n}", 2, 46, "comments are not allowed in daemon.json", "dockcfg fix"),
        ("# docker config\n{}", 1, 1, "comments are not allowed in daemon.json", "dockcfg fix"),
        ("{} // end", 1, 4, "comments are not allowed in daemon.json", "dockcfg fix"),
        // The first problem wins: the comment comes before the trailing comma shows.
        ("{\"a\": 1, // c\n}", 1, 10, "comments are not allowed", "dockcfg fix"),
        // Trailing commas point at the comma.
        ("{\n  \"debug\": true,\n}", 2, 16, "trailing comma before `}`", "delete this comma (`dockcfg fix`"),
        ("{\"a\": [\"x\",\n]}", 1, 11, "trailing comma before `]`", "dockcfg fix"),
        // Single quotes.
        ("{'debug': true}", 1, 2, "keys must be in double quotes, not single quotes", "write \"debug\""),
        ("{\"insecure-registries\": ['a:5000']}", 1, 26, "strings must be in double quotes, not single quotes", "write \"a:5000\""),
        // Missing commas point at the next member.
        ("{\n  \"debug\": true\n  \"log-level\": \"warn\"\n}", 3, 3, "missing comma before this member", "put a `,` at the end of line 2"),
        ("{\"a\": [\"x\" \"y\"]}", 1, 12, "missing comma before this list item", "put a `,` before it"),
        ("{\n  \"a\": {\"b\": 1}\n  \"c\": 2\n}", 3, 3, "missing comma before this member", "put a `,`"),
        // Unquoted keys and values.
        ("{debug: true}", 1, 2, "keys must be in double quotes: `debug`", "write \"debug\" (`dockcfg fix`"),
        ("{\"insecure-registries\": [myhost:5000]}", 1, 26, "text must be in double quotes: `myhost:5000`", "write \"myhost:5000\""),
        ("{\"registry-mirrors\": [https://m.example.com]}", 1, 23, "`https://m.example.com`", "write \"https://m.example.com\""),
        // Non-ASCII whitespace.
        ("{\n\u{3000}\"debug\": true\n}", 2, 1, "U+3000 (full-width space)", "dockcfg fix"),
        ("{\"debug\":\u{a0}true}", 1, 10, "U+00A0 (no-break space)", "retype the spaces"),
        ("{\"a\": 1,\u{200b}\"b\": 2}", 1, 9, "U+200B (zero-width space)", "dockcfg fix"),
        ("\u{feff}{}", 1, 1, "U+FEFF (byte order mark)", "dockcfg fix"),
        ("{\"a\":\u{0b}1}", 1, 6, "U+000B (vertical tab)", "dockcfg fix"),
        // Curly quotes, wherever they are.
        ("{\"insecure-registries\": [“a:5000”]}", 1, 26, "curly quote “ (U+201C", "straight \""),
        ("{“debug”: true}", 1, 2, "curly quote “ (U+201C", "dockcfg fix"),
        ("{‘debug’: true}", 1, 2, "curly quote ‘ (U+2018", "dockcfg fix"),
        ("{\"a\": \"x”,\n \"b\": 1}", 1, 9, "curly quote ” (U+201D", "straight \""),
        ("{\"a\": [\"x”, \"y\"]}", 1, 10, "curly quote ” (U+201D", "straight \""),
        // Truncated files say what is still open and where it opened.
        ("{\n  \"a\": [\n    \"x\"\n", 3, 8, "unexpected end of file: the list opened at line 2, column 8 and the object opened at line 1, column 1 are not closed", "ending with `]}`"),
        ("{\"debug\": true", 1, 15, "the object opened at line 1, column 1 is not closed", "ending with `}`"),
        ("{\"a\":", 1, 6, "the object opened at line 1, column 1 is not closed", "`}`"),
        ("{\"a\": \"abc", 1, 11, "unexpected end of file inside the string that starts at line 1, column 7", "close the string with \" and then add `}`"),
        ("[[[[[", 1, 6, "the list opened at line 1, column 5, the list opened at line 1, column 4, the list opened at line 1, column 3 (and 2 more)", "`]]]]]`"),
        ("{\"a\": \"\\u12", 1, 12, "unexpected end of file inside the string", "close the string"),
        // Control characters in strings.
        ("{\"a\": \"x\ty\"}", 1, 9, "a tab character inside a string must be written \\t", "dockcfg fix"),
        ("{\"a\": \"x\ny\"}", 1, 9, "the string that starts at line 1, column 7 is not closed on its line", "closing \""),
        ("{\"a\": \"x\u{1}\"}", 1, 9, "control character U+0001 inside a string", "\\u0001"),
        ("{\"a\": \u{7}}", 1, 7, "control character U+0007 is not allowed in JSON", "delete it"),
        // Escapes.
        ("{\"data-root\": \"D:\\docker\"}", 1, 18, "invalid escape `\\d` in a string", "doubled"),
        ("{\"a\": \"it\\'s\"}", 1, 10, "invalid escape `\\'`", "\\\\"),
        ("{\"a\": \"\\u12G4\"}", 1, 8, "four hex digits", "\\\\"),
        // Values that are not JSON.
        ("{\"debug\": True}", 1, 11, "`True` is not a JSON value", "write true"),
        ("{\"debug\": FALSE}", 1, 11, "`FALSE` is not a JSON value", "write false"),
        ("{\"a\": None}", 1, 7, "`None` is not a JSON value", "write null"),
        ("{\"a\": yes}", 1, 7, "`yes` is not a JSON value", "true and false"),
        ("{\"a\": truex}", 1, 7, "text must be in double quotes: `truex`", "\"truex\""),
        ("{\"a\": NaN}", 1, 7, "`NaN` is not allowed in JSON", "no NaN"),
        ("{\"a\": -Infinity}", 1, 7, "`-Infinity` is not allowed in JSON", "no NaN"),
        // Numbers.
        ("{\"a\": 01}", 1, 7, "numbers cannot start with 0: `01`", "(1)"),
        ("{\"a\": -007}", 1, 7, "numbers cannot start with 0: `-007`", "(-7)"),
        ("{\"a\": 1.}", 1, 7, "a digit must follow the decimal point in `1.`", "1.0"),
        ("{\"a\": 1e}", 1, 7, "the exponent in `1e` has no digits", "1e6"),
        ("{\"a\": .5}", 1, 7, "a number cannot start with `.`: `.5`", "write 0.5"),
        ("{\"a\": +5}", 1, 7, "a number cannot start with `+`: `+5`", "write 5"),
        ("{\"a\": -x}", 1, 7, "a `-` must be followed by a digit", "-1"),
        ("{\"a\": 0x1F}", 1, 7, "hex numbers like `0x1F` are not allowed", "write it in decimal: 31"),
        ("{\"shutdown-timeout\": 15s}", 1, 22, "`15s` is not a number", "\"15s\""),
        ("{\"a\": 1.2.3}", 1, 7, "`1.2.3` is not a number", "\"1.2.3\""),
        // Structure.
        ("{\"a\" = 1}", 1, 6, "expected `:` after the key \"a\"", "not `=`"),
        ("{\"a\", \"b\": 1}", 1, 5, "expected `:` after the key \"a\"", "give it a value"),
        ("{\"a\": }", 1, 7, "the value of \"a\" is missing", "write a value"),
        ("{\"a\": , \"b\": 1}", 1, 7, "the value of \"a\" is missing", "write a value"),
        ("{\"a\": 1,, \"b\": 2}", 1, 9, "two commas in a row", "delete one"),
        ("[1,,2]", 1, 4, "two commas in a row", "extra comma"),
        ("[,1]", 1, 2, "a value is missing before `,`", "extra comma"),
        ("{,}", 1, 2, "expected a key in double quotes, found `,`", "\"key\": value"),
        ("{:1}", 1, 2, "a key is missing before `:`", "double quotes"),
        ("{\"a\": [1}", 1, 9, "`}` cannot close the list opened at line 1, column 7", "close it with `]`"),
        ("{\"a\": 1]", 1, 8, "`]` cannot close the object opened at line 1, column 1", "`}`"),
        ("{\"a\": [}", 1, 8, "`}` cannot close the list opened at line 1, column 7", "`]`"),
        ("{\"a\": [\"x\": 1]}", 1, 11, "a list holds only values", "object"),
        ("{\"a\": 1 = 2}", 1, 9, "expected `,` or `}` after the value, found `=`", "commas"),
        ("{\"a\": 1}}", 1, 9, "extra `}`: the object was already closed at line 1, column 8", "delete it"),
        ("{\"a\": 1}\n{\"b\": 2}", 2, 1, "a second object after the end of the first (which closed at line 1, column 8)", "single object"),
        ("{\"a\": 1},", 1, 9, "unexpected text after the end of the object", "one top-level object"),
        ("{\"a\": 1} x", 1, 10, "unexpected text after the end of the object", "one top-level object"),
        ("\"insecure-registries\": [\"a\"]", 1, 22, "unexpected text after the end of the value", "one top-level object"),
        ("}", 1, 1, "unexpected `}`", "brackets must pair up"),
    ];

    #[test]
    fn syntax_errors_point_at_the_first_problem_and_explain_it() {
        let mut failures = Vec::new();
        for (text, line, col, msg, help) in SYNTAX {
            let d = match parse(text) {
                Ok(_) => {
                    failures.push(format!("{text:?}: parsed"));
                    continue;
                }
                Err(d) => d,
            };
            let p = d.pos.unwrap();
            let h = d.help.clone().unwrap_or_default();
            if d.code != "syntax"
                || (p.line, p.col) != (*line, *col)
                || !d.message.contains(msg)
                || !h.contains(help)
            {
                failures.push(format!(
                    "{text:?}\n   want {line}:{col} {msg:?} / {help:?}\n   got  {}:{} {:?} / {h:?}",
                    p.line, p.col, d.message
                ));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn an_empty_file_has_its_own_code() {
        for text in ["", "  \n\t\r\n"] {
            let d = parse(text).unwrap_err();
            assert_eq!(d.code, "empty");
            assert_eq!(d.message, "daemon.json is empty");
            assert!(d.help.unwrap().contains("23.0"));
        }
        // Non-ASCII space alone is not empty for Go's decoder.
        assert_eq!(parse("\u{3000}").unwrap_err().code, "syntax");
    }

    #[test]
    fn the_whole_diagnostic_reads_well() {
        let text = "{\n  \"insecure-registries\": [\"a:5000\"],\n  \"debug\": true,\n}\n";
        let d = parse(text).unwrap_err();
        assert_eq!(
            d.render("/etc/docker/daemon.json", text, false),
            "/etc/docker/daemon.json:3:16: error: trailing comma before `}`: JSON allows no comma after the last item\n\
             3 |   \"debug\": true,\n  \
               |                ^\n\
             help: delete this comma (`dockcfg fix` repairs this)\n"
        );
    }

    #[test]
    fn accepts_what_go_accepts() {
        // (text, the value as serde_json sees it)
        let cases: &[(&str, serde_json::Value)] = &[
            (
                " {\"a\":[1,-2.5e+3,0,-0,1E2,true,false,null]} \r\n",
                serde_json::json!({"a": [1, -2500.0, 0, -0.0, 100.0, true, false, null]}),
            ),
            ("[]", serde_json::json!([])),
            ("\"x\"", serde_json::json!("x")),
            ("0", serde_json::json!(0)),
            ("{\"\": {}}", serde_json::json!({"": {}})),
            (
                "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\u00E9\"",
                serde_json::json!("\"\\/\u{8}\u{c}\n\r\té\u{e9}"),
            ),
            // Go turns invalid surrogates into U+FFFD instead of failing.
            (
                "\"\\ud83d\\ude00 \\ud800 \\udc00 \\ud800\\u0041\"",
                serde_json::json!("😀 \u{fffd} \u{fffd} \u{fffd}A"),
            ),
            // Non-ASCII text, curly quotes and odd spaces are fine inside strings.
            (
                "{\"labels\": [\"“名前”\u{3000}é\"]}",
                serde_json::json!({"labels": ["“名前”\u{3000}é"]}),
            ),
            ("\"\u{7f}\"", serde_json::json!("\u{7f}")),
        ];
        for (text, want) in cases {
            let doc = parse(text).unwrap_or_else(|d| panic!("{text:?}: {}", d.message));
            assert_eq!(&doc.root.to_serde(), want, "{text:?}");
        }
    }

    #[test]
    fn spans_cover_the_source_text() {
        let text = "{ \"a\" : [ 1 , \"x\\n\" ] , \"b\":{} }";
        let doc = parse(text).unwrap();
        let m = doc.root_object().unwrap();
        assert_eq!(&text[doc.root.span.clone()], text);
        assert_eq!(&text[m[0].key_span.clone()], "\"a\"");
        assert_eq!(&text[m[0].value.span.clone()], "[ 1 , \"x\\n\" ]");
        let Kind::Array(items) = &m[0].value.kind else {
            panic!()
        };
        assert_eq!(&text[items[1].span.clone()], "\"x\\n\"");
        assert_eq!(items[1].kind, Kind::String("x\n".into()));
        assert_eq!(items[0].kind, Kind::Number("1".into()));
        assert_eq!(&text[m[1].value.span.clone()], "{}");
    }

    fn nested(depth: usize) -> String {
        format!("{}{}", "[".repeat(depth), "]".repeat(depth))
    }

    #[test]
    fn nesting_is_limited_like_go_and_never_overflows_the_stack() {
        // 2 MB is the default stack of a spawned thread: parse, convert and drop there.
        let t = std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(|| {
                let doc = parse(&nested(MAX_DEPTH)).unwrap();
                let mut obj = "{\"a\":".repeat(MAX_DEPTH);
                obj.push('1');
                obj.push_str(&"}".repeat(MAX_DEPTH));
                let doc2 = parse(&obj).unwrap();
                drop(doc2);
                let too_deep = parse(&nested(MAX_DEPTH + 1)).unwrap_err();
                let p = too_deep.pos.unwrap();
                assert_eq!((p.line, p.col), (1, MAX_DEPTH + 1));
                assert!(
                    too_deep
                        .message
                        .contains("nesting deeper than 10000 levels")
                );
                // A deep unclosed file names the innermost brackets and counts the rest.
                let cut = parse(&"[".repeat(50_000)).unwrap_err();
                assert!(cut.message.contains("nesting deeper"), "{}", cut.message);
                let cut = parse(&"[{\"a\":".repeat(3000)).unwrap_err();
                assert!(cut.message.contains("(and 5997 more)"), "{}", cut.message);
                assert!(cut.help.unwrap().contains("6000 closing brackets"));
                let v = doc.root.to_serde();
                assert!(v.is_array());
                drop(v);
                drop(doc);
            })
            .unwrap();
        t.join().unwrap();
    }

    #[test]
    fn parse_time_grows_linearly() {
        // About 1 MB and 10 MB of a realistic mix: strings with escapes, numbers, nesting.
        let chunk = "{\"insecure-registries\": [\"registry-0001.example.com:5000\", \"10.0.0.0/8\"], \"labels\": [\"k=\\u00e9\\n\"], \"n\": [1.5e3, -2, true, null, {\"x\": {}}]},\n";
        let make = |bytes: usize| {
            let mut s = String::from("{\"big\": [");
            while s.len() < bytes {
                s.push_str(chunk);
            }
            s.push_str("{}]}");
            s
        };
        let (small, big) = (make(1 << 20), make(10 << 20));
        // The fastest of three runs: a busy machine only ever adds time, so the minimum is the
        // measurement least disturbed by other processes.
        let time = |text: &str| {
            (0..3)
                .map(|_| {
                    let start = std::time::Instant::now();
                    let doc = parse(text).unwrap();
                    drop(doc);
                    start.elapsed()
                })
                .min()
                .unwrap_or_default()
        };
        let (t1, t10) = (time(&small), time(&big));
        // Linear would be ~10x; allow noise from a busy machine, but not quadratic (~100x).
        assert!(
            t10 < t1 * 30 + std::time::Duration::from_millis(200),
            "1 MB {t1:?}, 10 MB {t10:?}"
        );
    }
}

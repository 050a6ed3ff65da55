//! Reads the small part of POSIX sh that shell-style settings files use (comments, quotes,
//! `$VAR` references, backslash-newline, `export`) and evaluates the assignments in order,
//! remembering for every character of every value where in the file it was written.

use std::collections::HashMap;
use std::ops::Range;

use crate::diag::Diagnostic;

use super::{Assignment, QuoteStyle};

/// The quoting context a character was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Ctx {
    Bare,
    Single,
    Double,
}

/// One written unit inside a segment: a character (with its escaping backslash, if any), or a
/// backslash-newline that the shell removes. `gap` units separate words when the value is split:
/// blanks, newlines, and backslash-newlines (which only ever sit next to blanks or a segment's end
/// when they are not inside a word).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Unit {
    pub start: usize,
    pub end: usize,
    pub gap: bool,
}

/// A run of characters written in one quoting context with nothing else in between (a `$VAR`
/// or a quote character ends a segment). Text can be cut or inserted inside a segment without
/// touching the file's quoting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Segment {
    pub ctx: Ctx,
    pub units: Vec<Unit>,
}

impl Segment {
    pub fn start(&self) -> usize {
        self.units.first().map_or(0, |u| u.start)
    }
    pub fn end(&self) -> usize {
        self.units.last().map_or(0, |u| u.end)
    }
}

/// A character of an evaluated value and where it came from: `start..end` are the bytes that
/// wrote it (an escaping backslash included). `seg` is `None` when the character does not stand
/// literally in the file (it is the text of a reference to a variable the file does not set).
/// `asg` is the index of the assignment that wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct EChar {
    pub ch: char,
    pub start: usize,
    pub end: usize,
    pub seg: Option<usize>,
    pub asg: Option<usize>,
}

/// A variable's value after evaluating the file up to some point.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct VarValue {
    pub chars: Vec<EChar>,
    /// Offset of the first construct whose result cannot be known without running it
    /// (`$(...)`, backticks, `${VAR:-...}`, `$1`).
    pub opaque: Option<usize>,
}

/// Everything the reader learnt from a file.
#[derive(Debug, Clone, Default)]
pub(super) struct Lexed {
    pub segments: Vec<Segment>,
    pub assignments: Vec<Assignment>,
    pub env: HashMap<String, VarValue>,
    pub warnings: Vec<Diagnostic>,
}

/// The longest value evaluated; longer ones only come from self-doubling references.
const MAX_VALUE_CHARS: usize = 1 << 16;

/// Names whose value the init scripts clear before reading the file, so a reference to them
/// before any assignment is empty rather than unknown.
pub(super) fn starts_empty(name: &str) -> bool {
    name == "DOCKER_OPTS" || name == "OPTIONS"
}

#[derive(Debug, Clone)]
enum Piece {
    Char {
        ch: char,
        start: usize,
        end: usize,
        seg: usize,
        ctx: Ctx,
    },
    Ref {
        name: String,
        start: usize,
        end: usize,
    },
    Opaque {
        start: usize,
    },
}

#[derive(Debug, Clone)]
struct Word {
    start: usize,
    end: usize,
    pieces: Vec<Piece>,
    /// (opening quote offset, closing quote offset, kind) of each quoted run.
    quotes: Vec<(usize, usize, Ctx)>,
}

impl Word {
    /// The word's text when it is written plainly (no quotes, escapes or expansions).
    fn plain(&self, text: &str) -> Option<String> {
        let mut s = String::new();
        for p in &self.pieces {
            match p {
                Piece::Char {
                    ch,
                    start,
                    end,
                    ctx: Ctx::Bare,
                    ..
                } if end - start == ch.len_utf8() && text.get(*start..*end).is_some() => {
                    s.push(*ch)
                }
                _ => return None,
            }
        }
        Some(s)
    }

    /// `NAME=...` written plainly: the name and the index of the `=` piece.
    fn assignment(&self) -> Option<(String, usize)> {
        let mut name = String::new();
        for (i, p) in self.pieces.iter().enumerate() {
            let Piece::Char {
                ch, ctx: Ctx::Bare, ..
            } = p
            else {
                return None;
            };
            if *ch == '=' {
                return (!name.is_empty()).then_some((name, i));
            }
            let ok = if name.is_empty() {
                ch.is_ascii_alphabetic() || *ch == '_'
            } else {
                ch.is_ascii_alphanumeric() || *ch == '_'
            };
            if !ok {
                return None;
            }
            name.push(*ch);
        }
        None
    }

    /// `NAME+=...` (bash only): the name.
    fn bash_append(&self) -> Option<String> {
        let mut name = String::new();
        let mut it = self.pieces.iter();
        for p in it.by_ref() {
            let Piece::Char {
                ch, ctx: Ctx::Bare, ..
            } = p
            else {
                return None;
            };
            if *ch == '+' {
                break;
            }
            if !(ch.is_ascii_alphanumeric() || *ch == '_') {
                return None;
            }
            name.push(*ch);
        }
        match it.next() {
            Some(Piece::Char {
                ch: '=',
                ctx: Ctx::Bare,
                ..
            }) if !name.is_empty() => Some(name),
            _ => None,
        }
    }
}

struct Lexer<'a> {
    text: &'a str,
    pos: usize,
    segments: Vec<Segment>,
    /// The segment characters are currently added to, if the run goes on.
    cur: Option<usize>,
}

fn is_name_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}
fn is_name_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}
fn is_blank(ch: char) -> bool {
    matches!(ch, ' ' | '\t' | '\n' | '\r')
}

impl<'a> Lexer<'a> {
    fn peek_at(&self, n: usize) -> Option<u8> {
        self.text.as_bytes().get(self.pos + n).copied()
    }
    fn peek(&self) -> Option<u8> {
        self.peek_at(0)
    }
    /// The character at the current position and its length in bytes.
    fn char_here(&self) -> Option<(char, usize)> {
        let c = self.text.get(self.pos..)?.chars().next()?;
        Some((c, c.len_utf8()))
    }
    /// Length of a backslash-newline at the current position (`\` + LF or `\` + CRLF).
    fn continuation_len(&self) -> Option<usize> {
        match (self.peek(), self.peek_at(1), self.peek_at(2)) {
            (Some(b'\\'), Some(b'\n'), _) => Some(2),
            (Some(b'\\'), Some(b'\r'), Some(b'\n')) => Some(3),
            _ => None,
        }
    }

    fn unit(&mut self, ctx: Ctx, start: usize, end: usize, gap: bool) -> usize {
        let seg = match self.cur {
            Some(i) if self.segments.get(i).is_some_and(|s| s.ctx == ctx) => i,
            _ => {
                self.segments.push(Segment {
                    ctx,
                    units: Vec::new(),
                });
                self.segments.len() - 1
            }
        };
        if let Some(s) = self.segments.get_mut(seg) {
            s.units.push(Unit { start, end, gap });
        }
        self.cur = Some(seg);
        seg
    }

    fn push_char(&mut self, pieces: &mut Vec<Piece>, ctx: Ctx, ch: char, start: usize, end: usize) {
        let seg = self.unit(ctx, start, end, is_blank(ch));
        pieces.push(Piece::Char {
            ch,
            start,
            end,
            seg,
            ctx,
        });
    }

    /// The variable a word being read assigns, for error messages (`DOCKER_OPTS=` so far).
    fn assigning(&self, pieces: &[Piece]) -> Option<String> {
        Word {
            start: 0,
            end: 0,
            pieces: pieces.to_vec(),
            quotes: Vec::new(),
        }
        .assignment()
        .map(|(n, _)| n)
    }

    fn unterminated(&self, pieces: &[Piece], open: usize, what: &str, close: &str) -> Diagnostic {
        let place = match self.assigning(pieces) {
            Some(name) => format!("in the value of {name}"),
            None => "in this line".to_string(),
        };
        Diagnostic::error(
            "syntax",
            format!("unterminated {what} {place}: the file ends before its closing {close}"),
        )
        .with_help(format!(
            "add the missing {close} where the value ends; until then the shell (and so the docker \
             service) cannot read this file, and dockcfg will not edit it"
        ))
        .at(self.text, open)
    }

    fn word(&mut self) -> Result<Word, Diagnostic> {
        let start = self.pos;
        let mut pieces = Vec::new();
        let mut quotes = Vec::new();
        self.cur = None;
        while let Some(b) = self.peek() {
            match b {
                b' ' | b'\t' | b'\n' | b';' | b'&' | b'|' | b'(' | b')' | b'<' | b'>' => break,
                b'\r' if self.peek_at(1) == Some(b'\n') => break,
                b'\'' => {
                    let open = self.pos;
                    self.pos += 1;
                    self.cur = None;
                    loop {
                        match self.peek() {
                            None => {
                                return Err(self.unterminated(&pieces, open, "single quote", "'"));
                            }
                            Some(b'\'') => break,
                            Some(_) => {
                                let Some((ch, len)) = self.char_here() else {
                                    return Err(self.unterminated(
                                        &pieces,
                                        open,
                                        "single quote",
                                        "'",
                                    ));
                                };
                                let s = self.pos;
                                self.pos += len;
                                self.push_char(&mut pieces, Ctx::Single, ch, s, self.pos);
                            }
                        }
                    }
                    quotes.push((open, self.pos, Ctx::Single));
                    self.pos += 1;
                    self.cur = None;
                }
                b'"' => self.double(&mut pieces, &mut quotes)?,
                b'\\' => {
                    if let Some(len) = self.continuation_len() {
                        let s = self.pos;
                        self.pos += len;
                        self.unit(Ctx::Bare, s, self.pos, true);
                    } else {
                        let s = self.pos;
                        self.pos += 1;
                        match self.char_here() {
                            Some((ch, len)) => {
                                self.pos += len;
                                self.push_char(&mut pieces, Ctx::Bare, ch, s, self.pos);
                            }
                            None => self.push_char(&mut pieces, Ctx::Bare, '\\', s, self.pos),
                        }
                    }
                }
                b'$' => self.dollar(&mut pieces, Ctx::Bare)?,
                b'`' => self.backtick(&mut pieces)?,
                _ => {
                    let Some((ch, len)) = self.char_here() else {
                        break;
                    };
                    let s = self.pos;
                    self.pos += len;
                    self.push_char(&mut pieces, Ctx::Bare, ch, s, self.pos);
                }
            }
        }
        self.cur = None;
        Ok(Word {
            start,
            end: self.pos,
            pieces,
            quotes,
        })
    }

    fn double(
        &mut self,
        pieces: &mut Vec<Piece>,
        quotes: &mut Vec<(usize, usize, Ctx)>,
    ) -> Result<(), Diagnostic> {
        let open = self.pos;
        self.pos += 1;
        self.cur = None;
        loop {
            match self.peek() {
                None => return Err(self.unterminated(pieces, open, "double quote", "\"")),
                Some(b'"') => break,
                Some(b'\\') => {
                    if let Some(len) = self.continuation_len() {
                        let s = self.pos;
                        self.pos += len;
                        self.unit(Ctx::Double, s, self.pos, true);
                    } else if let Some(c @ (b'$' | b'`' | b'"' | b'\\')) = self.peek_at(1) {
                        let s = self.pos;
                        self.pos += 2;
                        self.push_char(pieces, Ctx::Double, char::from(c), s, self.pos);
                    } else {
                        let s = self.pos;
                        self.pos += 1;
                        self.push_char(pieces, Ctx::Double, '\\', s, self.pos);
                    }
                }
                Some(b'$') => self.dollar(pieces, Ctx::Double)?,
                Some(b'`') => self.backtick(pieces)?,
                Some(_) => {
                    let Some((ch, len)) = self.char_here() else {
                        return Err(self.unterminated(pieces, open, "double quote", "\""));
                    };
                    let s = self.pos;
                    self.pos += len;
                    self.push_char(pieces, Ctx::Double, ch, s, self.pos);
                }
            }
        }
        quotes.push((open, self.pos, Ctx::Double));
        self.pos += 1;
        self.cur = None;
        Ok(())
    }

    fn dollar(&mut self, pieces: &mut Vec<Piece>, ctx: Ctx) -> Result<(), Diagnostic> {
        let start = self.pos;
        match self.peek_at(1) {
            Some(b'{') => {
                let body_start = start + 2;
                let Some(rel) = self.text.get(body_start..).and_then(|t| t.find('}')) else {
                    return Err(self.unterminated(pieces, start, "${", "}"));
                };
                let body = self.text.get(body_start..body_start + rel).unwrap_or("");
                self.pos = body_start + rel + 1;
                let b = body.as_bytes();
                if !b.is_empty() && is_name_start(b[0]) && b.iter().all(|&c| is_name_char(c)) {
                    pieces.push(Piece::Ref {
                        name: body.to_string(),
                        start,
                        end: self.pos,
                    });
                } else {
                    pieces.push(Piece::Opaque { start });
                }
            }
            Some(b'(') => {
                // Find the matching parenthesis, stepping over quoted text.
                let bytes = self.text.as_bytes();
                let mut i = start + 2;
                let mut depth = 1usize;
                let mut quote: Option<u8> = None;
                while depth > 0 {
                    let Some(&c) = bytes.get(i) else {
                        return Err(self.unterminated(pieces, start, "$(", ")"));
                    };
                    match (quote, c) {
                        (Some(q), c) if c == q => quote = None,
                        (Some(b'"'), b'\\') => i += 1,
                        (Some(_), _) => {}
                        (None, b'\'' | b'"') => quote = Some(c),
                        (None, b'\\') => i += 1,
                        (None, b'(') => depth += 1,
                        (None, b')') => depth -= 1,
                        _ => {}
                    }
                    i += 1;
                }
                self.pos = i;
                pieces.push(Piece::Opaque { start });
            }
            Some(c) if is_name_start(c) => {
                let mut i = start + 1;
                while self
                    .text
                    .as_bytes()
                    .get(i)
                    .is_some_and(|&c| is_name_char(c))
                {
                    i += 1;
                }
                let name = self.text.get(start + 1..i).unwrap_or("").to_string();
                self.pos = i;
                pieces.push(Piece::Ref {
                    name,
                    start,
                    end: self.pos,
                });
            }
            Some(c) if c.is_ascii_digit() || b"@*#?$!-".contains(&c) => {
                self.pos += 2;
                pieces.push(Piece::Opaque { start });
            }
            _ => {
                self.pos += 1;
                self.push_char(pieces, ctx, '$', start, self.pos);
                return Ok(());
            }
        }
        self.cur = None;
        Ok(())
    }

    fn backtick(&mut self, pieces: &mut Vec<Piece>) -> Result<(), Diagnostic> {
        let start = self.pos;
        let bytes = self.text.as_bytes();
        let mut i = start + 1;
        loop {
            match bytes.get(i) {
                None => return Err(self.unterminated(pieces, start, "backquote", "`")),
                Some(b'\\') => i += 2,
                Some(b'`') => break,
                Some(_) => i += 1,
            }
        }
        self.pos = i + 1;
        pieces.push(Piece::Opaque { start });
        self.cur = None;
        Ok(())
    }
}

/// Words that may stand before a command without being one.
fn is_keyword(w: &str) -> bool {
    matches!(
        w,
        "then" | "do" | "else" | "elif" | "if" | "while" | "until" | "{" | "}" | "!"
    )
}

struct Eval<'a> {
    text: &'a str,
    out: Lexed,
}

impl Eval<'_> {
    fn command(&mut self, words: &mut Vec<Word>) {
        let words_now = std::mem::take(words);
        let mut rest: &[Word] = &words_now;
        while let Some((first, tail)) = rest.split_first() {
            match first.plain(self.text) {
                Some(w) if is_keyword(&w) => rest = tail,
                _ => break,
            }
        }
        let exported = match rest.first().and_then(|w| w.plain(self.text)) {
            Some(w) if w == "export" || w == "readonly" => {
                rest = rest.get(1..).unwrap_or(&[]);
                true
            }
            _ => false,
        };
        if let Some(w) = rest.first()
            && let Some(name) = w.bash_append()
            && starts_empty(&name)
        {
            self.out.warnings.push(
                Diagnostic::warning(
                    "bash-only",
                    format!("`{name}+=` is bash syntax: /bin/sh, which reads this file, does not understand it"),
                )
                .with_help(format!("write {name}=\"${name} ...\" instead"))
                .at(self.text, w.start),
            );
        }
        let n_assign = rest.iter().take_while(|w| w.assignment().is_some()).count();
        if !exported && n_assign < rest.len() {
            // Assignments before a command only set the command's environment.
            for w in rest.iter().take(n_assign) {
                if let Some((name, _)) = w.assignment()
                    && starts_empty(&name)
                {
                    self.out.warnings.push(
                        Diagnostic::warning(
                            "not-assigned",
                            format!("{name} is not set here: the shell reads the words after it as a command"),
                        )
                        .with_help(format!("put the whole value of {name} in double quotes"))
                        .at(self.text, w.start),
                    );
                }
            }
            return;
        }
        for w in rest {
            if let Some((name, eq)) = w.assignment() {
                self.assign(w, name, eq, exported);
            }
        }
    }

    fn assign(&mut self, w: &Word, name: String, eq: usize, exported: bool) {
        let idx = self.out.assignments.len();
        let value_start = match w.pieces.get(eq) {
            Some(Piece::Char { end, .. }) => *end,
            _ => w.end,
        };
        let mut val = VarValue::default();
        for p in w.pieces.iter().skip(eq + 1) {
            match p {
                Piece::Char {
                    ch,
                    start,
                    end,
                    seg,
                    ..
                } => val.chars.push(EChar {
                    ch: *ch,
                    start: *start,
                    end: *end,
                    seg: Some(*seg),
                    asg: Some(idx),
                }),
                Piece::Ref {
                    name: r,
                    start,
                    end,
                } => match self.out.env.get(r) {
                    Some(v) if val.chars.len() + v.chars.len() > MAX_VALUE_CHARS => {
                        // `A="$A$A"` repeated doubles the value each time: stop believing it.
                        val.opaque.get_or_insert(*start);
                    }
                    Some(v) => {
                        val.chars.extend(v.chars.iter().cloned());
                        val.opaque = val.opaque.or(v.opaque);
                    }
                    None if starts_empty(r) => {}
                    None => {
                        // Not set in this file: it comes from the service's environment. Keep
                        // its reference as text so the value still reads sensibly.
                        let shown = self.text.get(*start..*end).unwrap_or("");
                        val.chars.extend(shown.chars().map(|ch| EChar {
                            ch,
                            start: *start,
                            end: *end,
                            seg: None,
                            asg: None,
                        }));
                    }
                },
                Piece::Opaque { start } => {
                    val.opaque.get_or_insert(*start);
                }
            }
        }
        let quotes: Vec<&(usize, usize, Ctx)> =
            w.quotes.iter().filter(|q| q.0 >= value_start).collect();
        let (quote, inner) = match quotes.as_slice() {
            [] => (QuoteStyle::Bare, value_start..w.end),
            [(open, close, ctx)] if *open == value_start && close + 1 == w.end => (
                if *ctx == Ctx::Single {
                    QuoteStyle::Single
                } else {
                    QuoteStyle::Double
                },
                open + 1..*close,
            ),
            _ => (QuoteStyle::Mixed, value_start..w.end),
        };
        let closing_quote = quotes
            .last()
            .filter(|(_, close, _)| close + 1 == w.end)
            .map(|(_, close, _)| *close);
        let line = crate::diag::Pos::at(self.text, w.start).line;
        self.out.assignments.push(Assignment {
            name: name.clone(),
            exported,
            line,
            name_start: w.start,
            value_span: value_start..w.end,
            inner_span: inner,
            quote,
            closing_quote,
        });
        self.out.env.insert(name, val);
    }
}

/// Read `text` as sh would when it sources the file, evaluating assignments in order.
pub(super) fn lex(text: &str) -> Result<Lexed, Diagnostic> {
    let mut lx = Lexer {
        text,
        pos: 0,
        segments: Vec::new(),
        cur: None,
    };
    let mut ev = Eval {
        text,
        out: Lexed::default(),
    };
    let mut words: Vec<Word> = Vec::new();
    loop {
        match lx.peek() {
            None => {
                ev.command(&mut words);
                break;
            }
            Some(b' ' | b'\t' | b'\r') => lx.pos += 1,
            Some(b'\n' | b';' | b'&' | b'|' | b'(' | b')' | b'<' | b'>') => {
                ev.command(&mut words);
                lx.pos += 1;
            }
            Some(b'#') => {
                let rest = text.get(lx.pos..).unwrap_or("");
                lx.pos += rest.find('\n').unwrap_or(rest.len());
            }
            Some(b'\\') if lx.continuation_len().is_some() => {
                lx.pos += lx.continuation_len().unwrap_or(1);
            }
            Some(_) => {
                let before = lx.pos;
                words.push(lx.word()?);
                if lx.pos == before {
                    lx.pos += 1; // cannot happen; never loop forever
                }
            }
        }
    }
    ev.out.segments = lx.segments;
    Ok(ev.out)
}

/// The bytes a value's character run covers, when every character is written literally, in
/// order, inside one segment of an assignment: `(segment, start..end)`.
pub(super) fn literal_span(chars: &[EChar]) -> Option<(usize, usize, Range<usize>)> {
    let first = chars.first()?;
    let last = chars.last()?;
    let seg = first.seg?;
    let asg = first.asg?;
    let mut prev_end = 0;
    for c in chars {
        if c.seg != Some(seg) || c.asg != Some(asg) || c.start < prev_end {
            return None;
        }
        prev_end = c.end;
    }
    Some((seg, asg, first.start..last.end))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(text: &str, name: &str) -> String {
        let l = lex(text).unwrap();
        l.env
            .get(name)
            .map(|v| v.chars.iter().map(|c| c.ch).collect())
            .unwrap_or_default()
    }

    #[test]
    fn evaluates_values_like_sh() {
        let cases = [
            ("A=\"x y\"\n", "A", "x y"),
            ("A='x $B \\n'\n", "A", "x $B \\n"),
            ("A=x\\ y\n", "A", "x y"),
            ("B=1\nA=\"$B ${B}\"\n", "A", "1 1"),
            ("A=\"a \\\n  b\"\n", "A", "a   b"),
            ("A=\"a\"\nA=\"$A b\"\n", "A", "a b"),
            ("A=\"a\"\nA=\"b\"\n", "A", "b"),
            ("export A=\"q\" # c\n", "A", "q"),
            ("A=\"\\\"\\$\\\\\\x\"\n", "A", "\"$\\\\x"),
            ("A=1 cmd\n", "A", ""),
            ("if true; then A=\"in\"; fi\n", "A", "in"),
            ("A=\"x\"\r\nB=y\r\n", "A", "x"),
            ("A=\"$HOME/x\"\n", "A", "$HOME/x"),
            ("A=\"$DOCKER_OPTS\"\n", "A", ""),
            ("A=a#b\n", "A", "a#b"),
            ("A=\"$\"\n", "A", "$"),
        ];
        for (text, name, want) in cases {
            assert_eq!(value(text, name), want, "{text:?}");
        }
    }

    #[test]
    fn unterminated_constructs_are_errors_with_positions() {
        let cases = [
            (
                "DOCKER_OPTS=\"--debug\n",
                (1, 13),
                "double quote in the value of DOCKER_OPTS",
            ),
            (
                "# c\nOPTIONS='--x\n",
                (2, 9),
                "single quote in the value of OPTIONS",
            ),
            ("A=\"${B\"\n", (1, 4), "${"),
            ("A=$(date\n", (1, 3), "$("),
            ("A=`date\n", (1, 3), "backquote"),
            ("echo \"x\n", (1, 6), "double quote in this line"),
        ];
        for (text, (line, col), what) in cases {
            let d = lex(text).unwrap_err();
            let p = d.pos.unwrap();
            assert_eq!((p.line, p.col), (line, col), "{text:?}");
            assert!(d.message.contains(what), "{}", d.message);
            assert!(d.help.is_some());
        }
    }

    #[test]
    fn opaque_constructs_are_marked() {
        // the 17th doubling passes the limit, at its second `$A`
        let doubling = format!("A=x\n{}", "A=\"$A$A\"\n".repeat(40));
        let cases = [
            ("A=\"$(cat f)\"\n", 3),
            ("A=`x`\n", 2),
            ("A=\"${B:-x}\"\n", 3),
            ("A=$1\n", 2),
            (doubling.as_str(), 4 + 16 * 9 + 5),
        ];
        for (text, at) in cases {
            let l = lex(text).unwrap();
            assert_eq!(l.env.get("A").and_then(|v| v.opaque), Some(at), "{text:?}");
        }
    }
}

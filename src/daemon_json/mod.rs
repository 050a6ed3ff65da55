//! The daemon.json document: decode, parse with positions, format-preserving edits.
//!
//! Pure functions on bytes and text; no I/O. The flow is
//! `decode(bytes)` -> `parse(text)` -> `Document` (a tree with byte spans) -> `set_string_list`
//! (a new text where only the edited value, or one appended member, differs) -> `encode`.

mod decode;
mod edit;
mod parse;
pub mod repair;
mod style;
#[cfg(test)]
mod tests;

use std::ops::Range;

use compact_str::CompactString;

use crate::diag::{Diagnostic, Pos};

pub use decode::{Decoded, Encoding, decode, encode};
pub use edit::{new_file, set_string_list, set_value_raw};
pub use parse::{MAX_DEPTH, parse};
pub use style::{ArrayLayout, Style, detect_style};

/// A parsed daemon.json: the root value with byte spans into the text it came from.
#[derive(Debug, PartialEq)]
pub struct Document {
    pub root: Value,
    /// Where the root value starts, for diagnostics about it.
    root_pos: Pos,
}

/// A JSON value and the byte range of its source text (quotes and brackets included).
///
/// Dropping a value is iterative, so a tree nested 10,000 deep does not overflow the stack.
/// The derived `Debug` and `PartialEq` recurse; they are for tests.
#[derive(Debug, PartialEq)]
pub struct Value {
    /// Byte range of the value's source text in the parsed text.
    pub span: Range<usize>,
    pub kind: Kind,
}

/// What a value is. `Default` is `Null`, so `std::mem::take(&mut value.kind)` moves a kind out
/// (a `Value` itself cannot be destructured by move, since it implements `Drop`).
#[derive(Debug, Default, PartialEq)]
pub enum Kind {
    /// Members in file order; duplicate keys are all kept.
    Object(Vec<Member>),
    Array(Vec<Value>),
    /// The decoded string (escapes resolved; invalid `\u` surrogates become U+FFFD, as in Go).
    /// Up to 24 bytes (every usual registry entry) are held inline, without an allocation.
    String(CompactString),
    /// The number exactly as written in the file.
    Number(String),
    Bool(bool),
    #[default]
    Null,
}

/// One `"key": value` pair of an object.
#[derive(Debug, PartialEq)]
pub struct Member {
    /// The decoded key.
    pub key: String,
    /// The key's source text, quotes included.
    pub key_span: Range<usize>,
    pub value: Value,
}

impl Drop for Value {
    fn drop(&mut self) {
        let mut pending: Vec<Value> = Vec::new();
        take_children(&mut self.kind, &mut pending);
        while let Some(mut v) = pending.pop() {
            take_children(&mut v.kind, &mut pending);
            // `v` now has no children, so its own drop does not recurse.
        }
    }
}

/// Moves the children that have children of their own to `into`; the rest (strings, numbers:
/// nearly every value of a long list) are dropped here, without being moved first.
fn take_children(kind: &mut Kind, into: &mut Vec<Value>) {
    let nested = |v: &Value| matches!(v.kind, Kind::Array(_) | Kind::Object(_));
    match kind {
        Kind::Array(items) => into.extend(std::mem::take(items).into_iter().filter(nested)),
        Kind::Object(members) => into.extend(
            std::mem::take(members)
                .into_iter()
                .map(|m| m.value)
                .filter(nested),
        ),
        _ => {}
    }
}

impl Document {
    /// The top-level members, or an error pointing at the root if it is not an object.
    pub fn root_object(&self) -> Result<&[Member], Diagnostic> {
        match &self.root.kind {
            Kind::Object(members) => Ok(members),
            other => {
                let mut d = Diagnostic::error(
                    "root-not-object",
                    format!(
                        "daemon.json must hold one JSON object {{ ... }}; here it is {}",
                        other.describe()
                    ),
                )
                .with_help(
                    "put the settings inside braces, like {\"insecure-registries\": [\"host:5000\"]}",
                );
                d.pos = Some(self.root_pos);
                Err(d)
            }
        }
    }

    /// The member named `key`: its LAST occurrence, since dockerd keeps the last of duplicates.
    /// `None` when it is absent or the root is not an object.
    pub fn get(&self, key: &str) -> Option<&Member> {
        match &self.root.kind {
            Kind::Object(members) => members.iter().rev().find(|m| m.key == key),
            _ => None,
        }
    }
}

impl Kind {
    /// How a user would name this kind of value: "a string", "a list", "an object", ...
    pub fn describe(&self) -> &'static str {
        match self {
            Kind::Object(_) => "an object",
            Kind::Array(_) => "a list",
            Kind::String(_) => "a string",
            Kind::Number(_) => "a number",
            Kind::Bool(_) => "true/false",
            Kind::Null => "null",
        }
    }
}

/// Unicode white space that JSON itself does not allow (a vertical tab, a no-break space, an
/// ideographic space, ...): Go's `unicode.IsSpace`, which dockerd 23.0+ trims from both ends of
/// the file with `bytes.TrimSpace` before parsing.
fn is_exotic_space(c: char) -> bool {
    c.is_whitespace() && !matches!(c, ' ' | '\t' | '\n' | '\r')
}

/// `text` with the exotic white space ([`is_exotic_space`]) before and after the top-level value
/// replaced by ASCII spaces of the same byte length, so the spans of a parse of the result are
/// spans of `text`; `None` when there is none. dockerd 23.0+ trims that space; 20.10 refuses it
/// before the value and never reads what follows the value.
pub fn outer_space_as_ascii(text: &str) -> Option<String> {
    let start = text.len() - text.trim_start().len();
    let end = text.trim_end().len().max(start);
    let (head, middle, tail) = (text.get(..start)?, text.get(start..end)?, text.get(end..)?);
    if !head.chars().chain(tail.chars()).any(is_exotic_space) {
        return None;
    }
    let spaced = |part: &str| -> String {
        part.chars()
            .map(|c| {
                if is_exotic_space(c) {
                    " ".repeat(c.len_utf8())
                } else {
                    c.to_string()
                }
            })
            .collect()
    };
    Some(format!("{}{middle}{}", spaced(head), spaced(tail)))
}

/// [`parse`] of `text` as dockerd 23.0+ reads it: exotic white space around the top-level value
/// is ignored ([`outer_space_as_ascii`]). Spans are spans of `text`.
pub fn parse_trimmed(text: &str) -> Result<Document, Diagnostic> {
    match outer_space_as_ascii(text) {
        Some(spaced) => parse(&spaced),
        None => parse(text),
    }
}

/// The strings of a list-valued member such as `insecure-registries`. `text` is the text the
/// document was parsed from (for positions). `null` counts as an empty list, as dockerd reads it.
/// Anything else is a `type` error pointing at the value, or at the first item that is not a string.
pub fn string_list(text: &str, member: &Member) -> Result<Vec<String>, Diagnostic> {
    let example = if member.key.contains("mirror") {
        "[\"https://mirror.example.com\"]"
    } else {
        "[\"host:5000\"]"
    };
    let items = match &member.value.kind {
        Kind::Array(items) => items,
        Kind::Null => return Ok(Vec::new()),
        other => {
            let help = match other {
                Kind::String(s) => format!(
                    "put the value in brackets: \"{}\": [{}]",
                    member.key,
                    json_string(s)
                ),
                _ => format!("write it as \"{}\": {example}", member.key),
            };
            return Err(Diagnostic::error(
                "type",
                format!(
                    "\"{}\" must be a list of strings, like {example}; here it is {}",
                    member.key,
                    other.describe()
                ),
            )
            .with_help(help)
            .at(text, member.value.span.start));
        }
    };
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        match &item.kind {
            Kind::String(s) => out.push(s.to_string()),
            other => {
                return Err(Diagnostic::error(
                    "type",
                    format!(
                        "\"{}\" must be a list of strings, like {example}; item {} is {}",
                        member.key,
                        i + 1,
                        other.describe()
                    ),
                )
                .with_help("put each entry in double quotes")
                .at(text, item.span.start));
            }
        }
    }
    Ok(out)
}

impl Value {
    /// Calls `f` on this value and on every value inside it, without recursion. Only containers
    /// wait on the walk's stack, so a list of 10,000 strings is walked in place.
    pub fn walk<'a>(&'a self, mut f: impl FnMut(&'a Value)) {
        fn nested(v: &Value) -> bool {
            matches!(v.kind, Kind::Array(_) | Kind::Object(_))
        }
        let mut stack = vec![self];
        while let Some(v) = stack.pop() {
            f(v);
            let children: Box<dyn Iterator<Item = &'a Value>> = match &v.kind {
                Kind::Array(items) => Box::new(items.iter()),
                Kind::Object(members) => Box::new(members.iter().map(|m| &m.value)),
                _ => continue,
            };
            for child in children {
                if nested(child) {
                    stack.push(child);
                } else {
                    f(child);
                }
            }
        }
    }

    /// The value as a `serde_json::Value`, for code that checks plain values. Numbers become
    /// what `serde_json::from_str` makes of them (crate built without `arbitrary_precision`):
    /// integers within i64/u64 exactly, others as f64; a number beyond f64's range (`1e400`,
    /// which Go's decoder refuses too) becomes `null`. The exact text stays in [`Kind::Number`].
    /// Duplicate keys: the last wins, as in dockerd. Built without recursion.
    pub fn to_serde(&self) -> serde_json::Value {
        use serde_json::Value as J;
        enum Frame<'a> {
            Arr(std::slice::Iter<'a, Value>, Vec<J>),
            Obj(
                std::slice::Iter<'a, Member>,
                serde_json::Map<String, J>,
                &'a str,
            ),
        }
        let mut stack: Vec<Frame> = Vec::new();
        let mut current = self;
        loop {
            let mut done = match &current.kind {
                Kind::Array(items) => {
                    stack.push(Frame::Arr(items.iter(), Vec::with_capacity(items.len())));
                    None
                }
                Kind::Object(members) => {
                    stack.push(Frame::Obj(members.iter(), serde_json::Map::new(), ""));
                    None
                }
                Kind::String(s) => Some(J::String(s.to_string())),
                Kind::Number(raw) => {
                    Some(serde_json::from_str::<serde_json::Number>(raw).map_or(J::Null, J::Number))
                }
                Kind::Bool(b) => Some(J::Bool(*b)),
                Kind::Null => Some(J::Null),
            };
            // Hand finished values to their parents until one has a child left to convert.
            loop {
                let Some(top) = stack.last_mut() else {
                    return done.unwrap_or(J::Null);
                };
                let next = match top {
                    Frame::Arr(iter, acc) => {
                        if let Some(v) = done.take() {
                            acc.push(v);
                        }
                        iter.next()
                    }
                    Frame::Obj(iter, acc, key) => {
                        if let Some(v) = done.take() {
                            acc.insert((*key).to_owned(), v);
                        }
                        iter.next().map(|m| {
                            *key = m.key.as_str();
                            &m.value
                        })
                    }
                };
                match next {
                    Some(child) => {
                        current = child;
                        break;
                    }
                    None => {
                        done = match stack.pop() {
                            Some(Frame::Arr(_, acc)) => Some(J::Array(acc)),
                            Some(Frame::Obj(_, acc, _)) => Some(J::Object(acc)),
                            None => None,
                        };
                    }
                }
            }
        }
    }
}

/// `s` as a JSON string literal (quotes and escapes).
pub(crate) fn json_string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| format!("\"{s}\""))
}

//! `dockcfg fix`: repair a broken daemon.json into strict JSON, keeping every setting it can.
//!
//! Pure: bytes in, a [`Repaired`] out; no I/O, no panics, linear time, iterative (safe on 10 MB
//! and on 10,000-deep nesting). Three steps:
//! 1. encoding: a UTF-8 BOM is dropped, UTF-16 (with a BOM, or plainly recognisable without
//!    one) becomes UTF-8;
//! 2. syntax ([`syntax`]): the paste mistakes that have one sensible reading are repaired at the
//!    token level, keeping all other bytes: comments (`//`, `/* */`, `#`), trailing commas, single
//!    and curly quotes, missing commas, unquoted keys and text, odd Unicode spaces, `True`/`None`,
//!    JSON5 numbers and escapes, missing braces around a pasted snippet, a cut-off end;
//! 3. semantics ([`semantic`], only once the text is strict JSON): singular flag-name keys merged
//!    into their plural keys, a string put in a list where a list is expected, `https://` added to
//!    mirrors, `http://` taken off insecure registries, duplicate entries and keys removed.
//!
//! What it cannot repair stays as it is and is reported in [`Repaired::unrepaired`]; nothing is
//! dropped silently. Every change is reported in [`Repaired::changes`] with its line:col in the
//! decoded input text (`decode(bytes).text`: the BOM removed, UTF-16 decoded).

mod edits;
mod semantic;
mod syntax;
#[cfg(test)]
mod tests;

use crate::diag::{Diagnostic, Pos};

use super::{Encoding, decode};
use edits::{apply, blank_line_removals};

/// What [`repair`] made of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repaired {
    /// The repaired text: UTF-8, no BOM. Equal to the input text when nothing was repaired.
    pub text: String,
    /// What was changed: notes (code `fixed`) with the line:col in the decoded input text, in
    /// file order; whole-file changes (encoding) first, without a position.
    pub changes: Vec<Diagnostic>,
    /// What could not be repaired and is left as it was: errors (dockerd would refuse it or
    /// ignore a setting) and warnings, with their line:col in the decoded input text.
    pub unrepaired: Vec<Diagnostic>,
    /// Whether [`Repaired::text`] is strict JSON (dockerd's parser accepts it). Always false when
    /// the bytes were not valid UTF-8/UTF-16: `text` is then a lossy view, for display only.
    pub parses: bool,
}

/// A finding before its position is resolved: a byte offset into the decoded input text
/// (`None`: about the whole file) and, for a change, the edit it belongs to (the note goes
/// when that edit is swallowed by a wider one).
#[derive(Debug)]
struct Found {
    at: Option<usize>,
    diag: Diagnostic,
    edit: Option<usize>,
}

impl Found {
    fn at(at: usize, diag: Diagnostic) -> Found {
        Found {
            at: Some(at),
            diag,
            edit: None,
        }
    }
    fn file(diag: Diagnostic) -> Found {
        Found {
            at: None,
            diag,
            edit: None,
        }
    }
}

/// A change note (`fixed`).
fn fixed(message: impl Into<String>) -> Diagnostic {
    Diagnostic::note("fixed", message)
}

/// Repair a daemon.json file's bytes. See the module documentation for what is repaired.
pub fn repair(bytes: &[u8]) -> Repaired {
    let mut changes: Vec<Found> = Vec::new();
    let text = match decode_leniently(bytes, &mut changes) {
        Ok(text) => text,
        Err(bad) => return bad,
    };

    // Syntax, then the blank lines its deletions left.
    let syn = syntax::repair(&text);
    let stage_a = apply(&text, &syn.edits);
    let stage_b = apply(
        &stage_a.text,
        &blank_line_removals(&stage_a.text, &stage_a.deleted_at),
    );
    changes.extend(
        syn.changes
            .into_iter()
            .filter(|f| f.edit.is_none_or(|e| !stage_a.dropped.contains(&e))),
    );
    let mut unrepaired = syn.unrepaired;
    let maps = [stage_b.map, stage_a.map];
    let to_input = |o: usize| maps.iter().fold(o, |o, m| m.to_input(o));

    let mut out = stage_b.text;
    let parses = if unrepaired.iter().any(|f| f.diag.code == "syntax") {
        super::parse(&out).is_ok()
    } else {
        match super::parse(&out) {
            Ok(doc) => {
                let sem = semantic::repair(&out, &doc);
                drop(doc);
                for f in sem.changes {
                    changes.push(Found {
                        at: f.at.map(to_input),
                        ..f
                    });
                }
                for f in sem.unrepaired {
                    unrepaired.push(Found {
                        at: f.at.map(to_input),
                        ..f
                    });
                }
                // The semantic layer returns only text it has parsed.
                if let Some(text) = sem.text {
                    out = text;
                }
                true
            }
            Err(d) => {
                // The syntax layer let through something strict JSON refuses: report the
                // strict parser's own words, at the place in the input.
                unrepaired.push(Found {
                    at: d.pos.map(|p| to_input(p.offset)),
                    diag: Diagnostic { pos: None, ..d },
                    edit: None,
                });
                false
            }
        }
    };

    Repaired {
        changes: resolve(&text, changes),
        unrepaired: resolve(&text, unrepaired),
        text: out,
        parses,
    }
}

/// Decode `bytes` to text, noting a BOM dropped or UTF-16 converted. Invalid bytes: the lossy
/// text, with the encoding error, as the whole answer.
fn decode_leniently(bytes: &[u8], changes: &mut Vec<Found>) -> Result<String, Repaired> {
    let decoded = match decode(bytes) {
        Ok(d) => d,
        Err(e) => match utf16_without_bom(bytes) {
            Some((text, name)) => {
                changes.push(Found::file(fixed(format!(
                    "converted the file from {name} (without a byte order mark) to UTF-8"
                ))));
                return Ok(text);
            }
            None => {
                return Err(Repaired {
                    text: String::from_utf8_lossy(bytes).into_owned(),
                    changes: Vec::new(),
                    unrepaired: vec![e],
                    parses: false,
                });
            }
        },
    };
    match decoded.encoding {
        Encoding::Utf8 => {
            // UTF-16 without a BOM is valid UTF-8 when it is all ASCII: NUL bytes give it away.
            if let Some((text, name)) = utf16_without_bom(bytes) {
                changes.push(Found::file(fixed(format!(
                    "converted the file from {name} (without a byte order mark) to UTF-8"
                ))));
                return Ok(text);
            }
        }
        Encoding::Utf8Bom => changes.push(Found::file(fixed(
            "removed the UTF-8 byte order mark (dockerd before 23.0 refuses it)",
        ))),
        enc @ (Encoding::Utf16Le | Encoding::Utf16Be) => changes.push(Found::file(fixed(format!(
            "converted the file from {} to UTF-8 (dockerd before 23.0 reads only UTF-8)",
            enc.name()
        )))),
    }
    Ok(decoded.text)
}

/// UTF-16 without a byte order mark, recognised by its zero bytes: the first character is ASCII
/// (one zero byte and one non-zero), the length is even, and it decodes without error or NUL.
fn utf16_without_bom(bytes: &[u8]) -> Option<(String, &'static str)> {
    let big_endian = match bytes {
        [0, b, ..] if *b != 0 && b.is_ascii() => true,
        [a, 0, ..] if *a != 0 && a.is_ascii() => false,
        _ => return None,
    };
    if bytes.len() % 2 == 1 {
        return None;
    }
    let units = bytes.chunks_exact(2).map(|c| match c {
        [a, b] if big_endian => u16::from_be_bytes([*a, *b]),
        [a, b] => u16::from_le_bytes([*a, *b]),
        _ => 0,
    });
    let text: String = char::decode_utf16(units).collect::<Result<_, _>>().ok()?;
    if text.contains('\0') {
        return None;
    }
    Some((text, if big_endian { "UTF-16BE" } else { "UTF-16LE" }))
}

/// The diagnostics of `found` with positions in `text`, sorted by position (whole-file ones
/// first). One pass over the text, so many findings in a big file stay linear.
fn resolve(text: &str, mut found: Vec<Found>) -> Vec<Diagnostic> {
    found.sort_by_key(|f| f.at.map_or(0, |o| o + 1));
    let (mut line, mut col, mut cur) = (1, 1, 0);
    found
        .into_iter()
        .map(|f| {
            let mut d = f.diag;
            d.pos = f.at.map(|o| {
                let mut o = o.min(text.len());
                while !text.is_char_boundary(o) {
                    o -= 1;
                }
                for c in text.get(cur..o).unwrap_or("").chars() {
                    if c == '\n' {
                        line += 1;
                        col = 1;
                    } else {
                        col += 1;
                    }
                }
                cur = cur.max(o);
                Pos {
                    offset: o,
                    line,
                    col,
                }
            });
            d
        })
        .collect()
}

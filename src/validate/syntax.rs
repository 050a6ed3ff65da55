//! The first two things dockerd does with daemon.json: decode the bytes and parse the JSON.
//! Both changed in 23.0: 20.10 reads the file with Go's `json.Decoder` (no BOM, no empty file,
//! invalid UTF-8 inside strings read as U+FFFD, and anything after the top-level value never
//! read); 23.0 and newer strip a BOM, decode UTF-16, refuse invalid UTF-8, trim Unicode
//! whitespace, read an empty file as no settings, and refuse text after the top-level value.

use crate::daemon_json::{self, Document, Encoding, Kind};
use crate::diag::{Diagnostic, Pos, Severity};
use crate::version::EngineVersion;

use super::versions::refused_by;

/// dockerd 23.0: BOM and UTF-16 decoding, UTF-8 validation, TrimSpace, empty file, json.Unmarshal.
const V23_0: EngineVersion = EngineVersion::new(23, 0);

/// What the decode and parse stages leave for the key rules.
pub(super) struct Parsed {
    /// The text positions refer to: decoded, or decoded lossily when the bytes are invalid.
    pub text: String,
    /// The document dockerd of this engine would go on with (for 20.10, the top-level value
    /// before any trailing text), when it parses.
    pub doc: Option<Document>,
    pub diagnostics: Vec<Diagnostic>,
}

fn old(e: EngineVersion) -> bool {
    e < V23_0
}

/// Decode and parse `bytes` as dockerd `engine` does.
pub(super) fn read(bytes: &[u8], engine: EngineVersion) -> Parsed {
    let mut diags = Vec::new();
    let text = match daemon_json::decode(bytes) {
        Ok(d) => {
            if d.encoding != Encoding::Utf8 {
                diags.push(encoding_note(d.encoding, engine));
            }
            d.text
        }
        Err(mut d) => {
            let utf16 = bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]);
            let bom = bytes.starts_with(b"\xEF\xBB\xBF");
            if old(engine) && !utf16 && !bom {
                // Go's json package reads a bad byte inside a string as U+FFFD.
                d.severity = Severity::Warning;
                d.message = format!(
                    "{}: dockerd 20.10 reads it as the replacement character U+FFFD; 23.0 and newer refuse the file",
                    d.message
                );
            } else {
                // 20.10 trips over the byte order mark; 23.0 and newer over the bad bytes.
                d.message = format!("{}: every dockerd refuses it", d.message);
                if old(engine) {
                    // The BOM is what 20.10 trips over first.
                    diags.push(encoding_note(
                        if bom {
                            Encoding::Utf8Bom
                        } else if bytes.starts_with(&[0xFF, 0xFE]) {
                            Encoding::Utf16Le
                        } else {
                            Encoding::Utf16Be
                        },
                        engine,
                    ));
                }
            }
            diags.push(d);
            lossy_text(bytes)
        }
    };
    let doc = parse(&text, engine, &mut diags);
    Parsed {
        text,
        doc,
        diagnostics: diags,
    }
}

/// [`read`] for bytes the caller gives away: plain UTF-8 (no byte order mark) becomes the text
/// without a copy, which for a long file saves as much memory again as the file.
pub(super) fn read_owned(bytes: Vec<u8>, engine: EngineVersion) -> Parsed {
    let marked = [&b"\xEF\xBB\xBF"[..], &[0xFF, 0xFE], &[0xFE, 0xFF]]
        .iter()
        .any(|bom| bytes.starts_with(bom));
    if marked {
        return read(&bytes, engine);
    }
    match String::from_utf8(bytes) {
        Ok(text) => {
            let mut diags = Vec::new();
            let doc = parse(&text, engine, &mut diags);
            Parsed {
                text,
                doc,
                diagnostics: diags,
            }
        }
        Err(e) => read(e.as_bytes(), engine),
    }
}

/// The text of bytes that do not decode: bad sequences become U+FFFD, a BOM is dropped.
fn lossy_text(bytes: &[u8]) -> String {
    let utf16 = |b: &[u8], be: bool| {
        let units = b.chunks_exact(2).map(|c| match c {
            [x, y] if be => u16::from_be_bytes([*x, *y]),
            [x, y] => u16::from_le_bytes([*x, *y]),
            _ => 0,
        });
        char::decode_utf16(units)
            .map(|r| r.unwrap_or('\u{FFFD}'))
            .collect::<String>()
    };
    if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        utf16(rest, false)
    } else if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        utf16(rest, true)
    } else {
        let rest = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        String::from_utf8_lossy(rest).into_owned()
    }
}

/// A BOM or UTF-16: an error for 20.10, a note for 23.0 and newer.
fn encoding_note(enc: Encoding, engine: EngineVersion) -> Diagnostic {
    let what = match enc {
        Encoding::Utf8Bom => "the file starts with a UTF-8 byte order mark (BOM)".to_string(),
        other => format!("the file is {} (with a byte order mark)", other.name()),
    };
    let help =
        "save it as UTF-8 without a BOM, which every engine reads (`dockcfg fix` converts it)";
    let mut d = if old(engine) {
        Diagnostic::error(
            "encoding",
            format!(
                "{what}: {} (\"invalid character 'ï' looking for beginning of value\")",
                refused_by(old, "read it")
            ),
        )
    } else {
        Diagnostic::note(
            "encoding",
            format!("{what}: {}", refused_by(old, "read it")),
        )
    };
    d = d.with_help(help);
    d.pos = Some(Pos {
        offset: 0,
        line: 1,
        col: 1,
    });
    d
}

/// Parse as dockerd `engine` reads the text; pushes what it finds to `diags`.
fn parse(text: &str, engine: EngineVersion, diags: &mut Vec<Diagnostic>) -> Option<Document> {
    // 23.0+: bytes.TrimSpace before anything else, so Unicode spaces around the object are fine.
    let spaced = if old(engine) {
        None
    } else {
        daemon_json::outer_space_as_ascii(text)
    };
    let subject = spaced.as_deref().unwrap_or(text);
    if let Some(spaced) = &spaced {
        let at = text
            .bytes()
            .zip(spaced.bytes())
            .position(|(a, b)| a != b)
            .unwrap_or(0);
        diags.push(
            Diagnostic::warning(
                "invisible-space",
                "an invisible Unicode space before or after the top-level object: dockerd 23.0 and newer ignore it; 20.10 refuses it before the object",
            )
            .with_help("delete it (it comes from copying a web page or a chat)")
            .at(text, at),
        );
    }
    match daemon_json::parse(subject) {
        Ok(doc) => {
            root_check(&doc, text, diags);
            Some(doc)
        }
        Err(d) if d.code == "empty" => {
            let mut d = d;
            d.pos = None;
            if old(engine) {
                d.message = format!(
                    "daemon.json is empty: {} (\"EOF\")",
                    refused_by(old, "read it as no settings")
                );
            } else {
                d.severity = Severity::Note;
                d.message = format!(
                    "daemon.json is empty: dockerd reads it as no settings ({})",
                    refused_by(old, "read it as no settings")
                );
            }
            diags.push(d);
            None
        }
        Err(d) => {
            let at = d.pos.map_or(0, |p| p.offset);
            let prefix = subject.get(..at).and_then(|p| daemon_json::parse(p).ok());
            match prefix {
                Some(doc) if old(engine) => {
                    diags.push(trailing_text(text, at));
                    root_check(&doc, text, diags);
                    Some(doc)
                }
                Some(doc) => {
                    let mut d = d;
                    d.message = format!(
                        "{}: dockerd 23.0 and newer refuse it (20.10 never reads past the top-level object)",
                        d.message
                    );
                    d.pos = Some(Pos::at(text, at));
                    diags.push(d);
                    root_check(&doc, text, diags);
                    Some(doc)
                }
                None => {
                    let line = d.pos.map_or(0, |p| p.line);
                    let mut d = d;
                    if let Some(p) = d.pos {
                        d.pos = Some(Pos::at(text, p.offset));
                    }
                    diags.push(d);
                    diags.extend(later_problems(text, line));
                    None
                }
            }
        }
    }
}

/// The root must be an object; `null` is read by dockerd as no settings.
fn root_check(doc: &Document, text: &str, diags: &mut Vec<Diagnostic>) {
    if let Err(mut d) = doc.root_object() {
        if matches!(doc.root.kind, Kind::Null) {
            d = Diagnostic::warning(
                "root-null",
                "daemon.json holds just `null`: dockerd reads it as no settings",
            )
            .with_help("write {} for no settings, or put the settings inside braces")
            .at(text, doc.root.span.start);
        } else {
            d.message = format!("{}: every dockerd refuses it", d.message);
            d.pos = Some(Pos::at(text, doc.root.span.start));
        }
        diags.push(d);
    }
}

/// Text after the top-level object on 20.10: never read. Harmless when it is only comments and
/// spaces; settings there are silently lost.
fn trailing_text(text: &str, at: usize) -> Diagnostic {
    let rest = text.get(at..).unwrap_or("");
    let only_comments = rest.lines().all(|l| {
        let t = l.trim_matches(|c: char| c.is_whitespace());
        t.is_empty()
            || t.starts_with('#')
            || t.starts_with("//")
            || (t.starts_with("/*") && t.ends_with("*/"))
    });
    let base = "text after the end of the top-level object";
    let d = if only_comments {
        Diagnostic::warning(
            "trailing-text",
            format!(
                "{base}: dockerd 20.10 never reads it; 23.0 and newer refuse the file because of it"
            ),
        )
    } else {
        Diagnostic::error(
            "trailing-text",
            format!(
                "{base}: dockerd 20.10 never reads it, so any settings there are silently lost; 23.0 and newer refuse the file"
            ),
        )
    };
    d.with_help("delete it, or move the settings into the one top-level object (`dockcfg fix` removes comments)")
        .at(text, at)
}

/// Comments and trailing commas on the lines after the first syntax error (`after_line`), found
/// line by line outside strings (a JSON string never spans lines), so one run shows them all.
fn later_problems(text: &str, after_line: usize) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut offset = 0;
    // The last significant character before the current position, across lines: (char, offset).
    let mut last_comma: Option<usize> = None;
    let mut in_block = false;
    for (i, line) in text.split_inclusive('\n').enumerate() {
        let line_no = i + 1;
        let report = line_no > after_line;
        let b = line.as_bytes();
        let mut j = 0;
        let mut in_string = false;
        while let Some(&c) = b.get(j) {
            let at = offset + j;
            if in_block {
                if c == b'*' && b.get(j + 1) == Some(&b'/') {
                    in_block = false;
                    j += 1;
                }
                j += 1;
                continue;
            }
            if in_string {
                match c {
                    b'\\' => j += 1,
                    b'"' => in_string = false,
                    _ => {}
                }
                j += 1;
                continue;
            }
            match c {
                b'"' => {
                    in_string = true;
                    last_comma = None;
                }
                b'#' => {
                    if report {
                        out.push(comment(text, at));
                    }
                    break;
                }
                b'/' if b.get(j + 1) == Some(&b'/') => {
                    if report {
                        out.push(comment(text, at));
                    }
                    break;
                }
                b'/' if b.get(j + 1) == Some(&b'*') => {
                    if report {
                        out.push(comment(text, at));
                    }
                    in_block = true;
                    j += 1;
                }
                b',' => last_comma = Some(at),
                b'}' | b']' => {
                    if let Some(comma) = last_comma.take()
                        && Pos::at(text, comma).line > after_line
                    {
                        out.push(
                            Diagnostic::error(
                                "syntax",
                                format!(
                                    "trailing comma before `{}`: JSON allows no comma after the last item",
                                    c as char
                                ),
                            )
                            .with_help("delete this comma (`dockcfg fix` repairs this)")
                            .at(text, comma),
                        );
                    }
                }
                b' ' | b'\t' | b'\r' | b'\n' => {}
                _ => last_comma = None,
            }
            j += 1;
        }
        offset += line.len();
    }
    out
}

fn comment(text: &str, at: usize) -> Diagnostic {
    Diagnostic::error("syntax", "comments are not allowed in daemon.json")
        .with_help("delete the comment (`dockcfg fix` removes comments and keeps the settings)")
        .at(text, at)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(s: &str) -> EngineVersion {
        s.parse().expect("version")
    }

    /// (bytes, engine, [(line, col, severity, code)], parsed)
    #[test]
    fn decode_and_parse_by_engine() {
        type Case<'a> = (
            &'a [u8],
            &'a str,
            &'a [(usize, usize, Severity, &'a str)],
            bool,
        );
        use Severity::{Error as E, Note as N, Warning as W};
        let cases: &[Case] = &[
            (b"{}", "20.10", &[], true),
            (b"\xEF\xBB\xBF{}", "20.10", &[(1, 1, E, "encoding")], true),
            (b"\xEF\xBB\xBF{}", "26.1", &[(1, 1, N, "encoding")], true),
            (b"\xFF\xFE{\0}\0", "26.1", &[(1, 1, N, "encoding")], true),
            (b"", "20.10", &[(0, 0, E, "empty")], false),
            (b"  \n", "26.1", &[(0, 0, N, "empty")], false),
            (
                b"{\"a\": \"caf\xE9\"}",
                "20.10",
                &[(1, 11, W, "encoding")],
                true,
            ),
            (
                b"{\"a\": \"caf\xE9\"}",
                "26.1",
                &[(1, 11, E, "encoding")],
                true,
            ),
            (b"{} # c", "20.10", &[(1, 4, W, "trailing-text")], true),
            (
                b"{} {\"debug\": true}",
                "20.10",
                &[(1, 4, E, "trailing-text")],
                true,
            ),
            (b"{} # c", "26.1", &[(1, 4, E, "syntax")], true),
            (b"null", "26.1", &[(1, 1, W, "root-null")], true),
            (b"[1]", "26.1", &[(1, 1, E, "root-not-object")], true),
            (
                "{}\u{3000}".as_bytes(),
                "26.1",
                &[(1, 3, W, "invisible-space")],
                true,
            ),
            (
                "{}\u{3000}".as_bytes(),
                "20.10",
                &[(1, 3, W, "trailing-text")],
                true,
            ),
            (
                "\u{3000}{}".as_bytes(),
                "20.10",
                &[(1, 1, E, "syntax")],
                false,
            ),
            (
                b"{\n # a\n \"a\": 1, # b\n \"b\": [1,],\n // c\n}",
                "26.1",
                &[
                    (2, 2, E, "syntax"),
                    (3, 10, E, "syntax"),
                    (4, 9, E, "syntax"),
                    (4, 11, E, "syntax"),
                    (5, 2, E, "syntax"),
                ],
                false,
            ),
            (
                b"{\"a\": \"#\", # x\n}",
                "26.1",
                &[(1, 12, E, "syntax")],
                false,
            ),
        ];
        for (bytes, e, want, parsed) in cases {
            let p = read(bytes, ev(e));
            let mut got: Vec<(usize, usize, Severity, &str)> = p
                .diagnostics
                .iter()
                .map(|d| {
                    let (l, c) = d.pos.map_or((0, 0), |p| (p.line, p.col));
                    (l, c, d.severity, d.code)
                })
                .collect();
            got.sort_by_key(|x| (x.0, x.1));
            assert_eq!(
                got,
                *want,
                "{:?} on {e}: {:#?}",
                String::from_utf8_lossy(bytes),
                p.diagnostics
            );
            assert_eq!(
                p.doc.is_some(),
                *parsed,
                "{:?} on {e}",
                String::from_utf8_lossy(bytes)
            );
        }
    }

    #[test]
    fn messages_say_which_engines_refuse() {
        let p = read(b"\xEF\xBB\xBF{}", ev("20.10"));
        assert_eq!(
            p.diagnostics[0].message,
            "the file starts with a UTF-8 byte order mark (BOM): dockerd 20.10 refuses it; 23.0 and newer read it (\"invalid character 'ï' looking for beginning of value\")"
        );
        let p = read(b"", ev("20.10"));
        assert_eq!(
            p.diagnostics[0].message,
            "daemon.json is empty: dockerd 20.10 refuses it; 23.0 and newer read it as no settings (\"EOF\")"
        );
    }
}

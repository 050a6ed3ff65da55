//! Bytes to text and back: UTF-8 (with or without a BOM) and UTF-16 with a BOM, as dockerd 23+
//! reads them, so an edit can write the file back in the encoding it came in.

use crate::diag::{Diagnostic, Pos};

/// The encoding a daemon.json file was stored in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Encoding {
    /// Plain UTF-8, no byte order mark (what JSON should be).
    Utf8,
    /// UTF-8 starting with the bytes EF BB BF (Notepad's habit). Refused by dockerd before 23.0.
    Utf8Bom,
    /// UTF-16 little-endian with the BOM FF FE (Windows PowerShell's default). dockerd 23.0+.
    Utf16Le,
    /// UTF-16 big-endian with the BOM FE FF. dockerd 23.0+.
    Utf16Be,
}

impl Encoding {
    /// A short name for messages: `UTF-8`, `UTF-8 with BOM`, `UTF-16LE`, `UTF-16BE`.
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Utf8 => "UTF-8",
            Encoding::Utf8Bom => "UTF-8 with BOM",
            Encoding::Utf16Le => "UTF-16LE",
            Encoding::Utf16Be => "UTF-16BE",
        }
    }
}

/// A file's text with its byte order mark removed, and the encoding it was stored in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    /// The text, without the byte order mark.
    pub text: String,
    /// What to pass to [`encode`] to write the file back the same way.
    pub encoding: Encoding,
}

const UTF8_BOM: &[u8] = &[0xEF, 0xBB, 0xBF];

/// Decode a daemon.json file's bytes. A UTF-8 BOM is stripped; UTF-16 is recognised only by its
/// BOM (as dockerd does). Invalid UTF-8 or UTF-16 is an `encoding` error whose position gives the
/// byte offset of the first bad byte in the file and its line:col in the text before it; render
/// it against `String::from_utf8_lossy(bytes)`.
pub fn decode(bytes: &[u8]) -> Result<Decoded, Diagnostic> {
    if let Some(rest) = bytes.strip_prefix(UTF8_BOM) {
        return utf8(rest, UTF8_BOM.len()).map(|text| Decoded {
            text,
            encoding: Encoding::Utf8Bom,
        });
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        return utf16(rest, false).map(|text| Decoded {
            text,
            encoding: Encoding::Utf16Le,
        });
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        return utf16(rest, true).map(|text| Decoded {
            text,
            encoding: Encoding::Utf16Be,
        });
    }
    utf8(bytes, 0).map(|text| Decoded {
        text,
        encoding: Encoding::Utf8,
    })
}

/// Encode `text` for writing in `enc`, adding the BOM that encoding had.
pub fn encode(text: &str, enc: Encoding) -> Vec<u8> {
    match enc {
        Encoding::Utf8 => text.as_bytes().to_vec(),
        Encoding::Utf8Bom => {
            let mut out = UTF8_BOM.to_vec();
            out.extend_from_slice(text.as_bytes());
            out
        }
        Encoding::Utf16Le => {
            let mut out = vec![0xFF, 0xFE];
            out.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
            out
        }
        Encoding::Utf16Be => {
            let mut out = vec![0xFE, 0xFF];
            out.extend(text.encode_utf16().flat_map(u16::to_be_bytes));
            out
        }
    }
}

fn utf8(bytes: &[u8], skipped: usize) -> Result<String, Diagnostic> {
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok(s.to_owned()),
        Err(e) => {
            let good = e.valid_up_to();
            let prefix = std::str::from_utf8(bytes.get(..good).unwrap_or_default()).unwrap_or("");
            let bad = bytes.get(good).copied().unwrap_or(0);
            Err(bad_encoding(
                prefix,
                skipped + good,
                format!(
                    "the file is not valid UTF-8: byte 0x{bad:02X} at offset {} cannot be decoded",
                    skipped + good
                ),
            ))
        }
    }
}

fn utf16(bytes: &[u8], big_endian: bool) -> Result<String, Diagnostic> {
    let mut text = String::with_capacity(bytes.len() / 2);
    let units = bytes.chunks_exact(2).map(|c| match c {
        [a, b] if big_endian => u16::from_be_bytes([*a, *b]),
        [a, b] => u16::from_le_bytes([*a, *b]),
        _ => 0,
    });
    let mut offset = 2; // the BOM
    for r in char::decode_utf16(units) {
        match r {
            Ok(c) => {
                text.push(c);
                offset += 2 * c.len_utf16();
            }
            Err(e) => {
                return Err(bad_encoding(
                    &text,
                    offset,
                    format!(
                        "the file is not valid UTF-16: unpaired surrogate 0x{:04X} at byte offset {offset}",
                        e.unpaired_surrogate()
                    ),
                ));
            }
        }
    }
    if bytes.len() % 2 == 1 {
        let offset = 2 + bytes.len() - 1;
        return Err(bad_encoding(
            &text,
            offset,
            format!(
                "the file is not valid UTF-16: it ends with half a character (an odd number of bytes, the last at offset {offset})"
            ),
        ));
    }
    Ok(text)
}

/// An `encoding` error at file byte `offset`; `before` is the decoded text in front of it.
fn bad_encoding(before: &str, offset: usize, message: String) -> Diagnostic {
    let p = Pos::at(before, before.len());
    let mut d = Diagnostic::error("encoding", message).with_help(
        "save the file as UTF-8 (without a BOM); `iconv -f LATIN1 -t UTF-8` converts a Latin-1 file",
    );
    d.pos = Some(Pos {
        offset,
        line: p.line,
        col: p.col,
    });
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_each_encoding_and_encodes_it_back() {
        let text = "{\n  \"labels\": [\"名前=é\"]\n}\n";
        for enc in [
            Encoding::Utf8,
            Encoding::Utf8Bom,
            Encoding::Utf16Le,
            Encoding::Utf16Be,
        ] {
            let bytes = encode(text, enc);
            let d = decode(&bytes).unwrap();
            assert_eq!(d.encoding, enc, "{}", enc.name());
            assert_eq!(d.text, text);
            assert_eq!(encode(&d.text, d.encoding), bytes);
        }
    }

    #[test]
    fn boms_are_what_is_written() {
        assert_eq!(&encode("{}", Encoding::Utf8Bom)[..], b"\xEF\xBB\xBF{}");
        assert_eq!(&encode("{}", Encoding::Utf16Le)[..], b"\xFF\xFE{\0}\0");
        assert_eq!(&encode("{}", Encoding::Utf16Be)[..], b"\xFE\xFF\0{\0}");
        assert_eq!(decode(b"").unwrap().text, "");
        assert_eq!(decode(b"\xEF\xBB\xBF").unwrap().encoding, Encoding::Utf8Bom);
    }

    #[test]
    fn invalid_bytes_are_reported_where_they_are() {
        // (bytes, offset, line, col, message fragment)
        let cases: &[(&[u8], usize, usize, usize, &str)] = &[
            (
                b"{\n  \"a\": \"caf\xE9\"\n}",
                13,
                2,
                12,
                "byte 0xE9 at offset 13",
            ),
            (
                b"\xEF\xBB\xBF{\"a\xFF\": 1}",
                6,
                1,
                4,
                "byte 0xFF at offset 6",
            ),
            (
                b"\xFF\xFE{\0\n\0\x00\xD8}\0",
                6,
                2,
                1,
                "unpaired surrogate 0xD800",
            ),
            (b"\xFE\xFF\0{\0", 4, 1, 2, "odd number of bytes"),
        ];
        for (bytes, offset, line, col, frag) in cases {
            let d = decode(bytes).unwrap_err();
            assert_eq!(d.code, "encoding");
            let p = d.pos.unwrap();
            assert_eq!(
                (p.offset, p.line, p.col),
                (*offset, *line, *col),
                "{}",
                d.message
            );
            assert!(d.message.contains(frag), "{}", d.message);
        }
    }
}

//! How a daemon.json file is laid out (newlines, indentation, separators, list layout), so that
//! text added to it looks as if its author had written it.

use std::collections::HashMap;

use super::{Document, Kind, Member, Value};

/// The layout conventions of one file, as found by [`detect_style`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Style {
    /// `"\n"` or `"\r\n"`, whichever the file uses more.
    pub newline: &'static str,
    /// One level of indentation: `"  "`, `"    "`, `"\t"`, ...
    pub indent_unit: String,
    /// The indentation of the top-level members (in a multi-line file).
    pub member_indent: String,
    /// Whether the top-level object spans several lines (pretty) or one (minified).
    pub multiline: bool,
    /// Between a key and its value: `": "`, `" : "`, `":"`.
    pub kv_sep: String,
    /// Between two members on one line (one-line files): `", "` or `","`.
    pub member_sep: String,
    /// How a new list of strings should be laid out.
    pub array: ArrayLayout,
}

/// How a list of strings is laid out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArrayLayout {
    /// One item per line, one indentation level deeper than the key, as jq and Go's
    /// MarshalIndent write it.
    MultiLine,
    /// All on one line: `[` + `open_pad` + items joined by `sep` + `close_pad` + `]`.
    SingleLine {
        sep: String,
        open_pad: String,
        close_pad: String,
    },
}

/// Find the style of `text`, whose parse is `doc`. Never fails: where the file gives no clue
/// the defaults are those of `jq`: two spaces, `": "`, multi-line lists in multi-line files.
pub fn detect_style(text: &str, doc: &Document) -> Style {
    let members: &[Member] = match &doc.root.kind {
        Kind::Object(m) => m,
        _ => &[],
    };
    let multiline = slice(text, doc.root.span.start, doc.root.span.end).contains('\n');
    let member_indent = members
        .iter()
        .find_map(|m| line_indent(text, m.key_span.start))
        .filter(|_| multiline)
        .unwrap_or_default();
    let indent_unit = nested_unit(text, members, member_indent)
        .or_else(|| {
            let root_at_col0 = line_indent(text, doc.root.span.start) == Some("");
            (root_at_col0 && !member_indent.is_empty()).then(|| member_indent.to_owned())
        })
        .or_else(|| smallest_indent(text))
        .unwrap_or_else(|| "  ".to_owned());
    let kv_sep = most_common(
        members
            .iter()
            .map(|m| slice(text, m.key_span.end, m.value.span.start)),
    )
    .unwrap_or(": ")
    .to_owned();
    let spaced = kv_sep.contains(' ');
    let member_sep = most_common(
        members
            .windows(2)
            .filter_map(|w| match w {
                [a, b] => Some(slice(text, a.value.span.end, b.key_span.start)),
                _ => None,
            })
            .filter(|s| !s.contains('\n')),
    )
    .map(str::to_owned)
    .unwrap_or_else(|| if spaced { ", " } else { "," }.to_owned());
    let default_sep = if spaced { ", " } else { "," };
    let array = existing_list_layout(text, members, default_sep).unwrap_or_else(|| {
        if multiline {
            ArrayLayout::MultiLine
        } else {
            ArrayLayout::SingleLine {
                sep: default_sep.to_owned(),
                open_pad: String::new(),
                close_pad: String::new(),
            }
        }
    });
    let crlf = text.matches("\r\n").count();
    let lf = text.matches('\n').count() - crlf;
    Style {
        newline: if crlf > lf { "\r\n" } else { "\n" },
        indent_unit,
        member_indent: member_indent.to_owned(),
        multiline,
        kv_sep,
        member_sep,
        array,
    }
}

/// The whitespace between the start of the line holding `offset` and `offset`, if nothing else
/// stands before it on that line.
pub(crate) fn line_indent(text: &str, offset: usize) -> Option<&str> {
    let before = text.get(..offset)?;
    // Only the blanks just before `offset` are looked at (not the whole line back), so this stays
    // cheap for every member of a long one-line file.
    let blanks = before.len() - before.trim_end_matches([' ', '\t']).len();
    let start = before.len() - blanks;
    let at_line_start = start == 0 || before.as_bytes().get(start - 1) == Some(&b'\n');
    at_line_start.then(|| before.get(start..)).flatten()
}

/// `text[start..end]`, or "" when that is not a valid range.
pub(crate) fn slice(text: &str, start: usize, end: usize) -> &str {
    text.get(start..end).unwrap_or("")
}

/// The step between a top-level member's indentation and its nested values' (log-opts, lists).
fn nested_unit(text: &str, members: &[Member], member_indent: &str) -> Option<String> {
    members.iter().find_map(|m| {
        let own = line_indent(text, m.key_span.start)?;
        if own != member_indent {
            return None;
        }
        let first_child = match &m.value.kind {
            Kind::Object(ms) => ms.first().map(|c| c.key_span.start),
            Kind::Array(items) => items.first().map(|v| v.span.start),
            _ => None,
        }?;
        let child = line_indent(text, first_child)?;
        child
            .strip_prefix(own)
            .filter(|unit| !unit.is_empty())
            .map(str::to_owned)
    })
}

/// The smallest indentation of any line: a tab if lines are indented with tabs.
fn smallest_indent(text: &str) -> Option<String> {
    text.lines()
        .filter_map(|line| {
            let rest = line.trim_start_matches([' ', '\t']);
            let indent = line.get(..line.len() - rest.len())?;
            (!indent.is_empty() && !rest.trim().is_empty()).then_some(indent)
        })
        .min_by_key(|i| (!i.starts_with('\t'), i.len()))
        .map(|i| {
            if i.starts_with('\t') {
                "\t".to_owned()
            } else {
                i.to_owned()
            }
        })
}

/// The layout of an existing non-empty list of strings at the top level, registry keys first.
fn existing_list_layout(text: &str, members: &[Member], default_sep: &str) -> Option<ArrayLayout> {
    let is_registry = |m: &&Member| m.key == "insecure-registries" || m.key == "registry-mirrors";
    let string_list = |m: &&Member| match &m.value.kind {
        Kind::Array(items) => {
            !items.is_empty() && items.iter().all(|v| matches!(v.kind, Kind::String(_)))
        }
        _ => false,
    };
    let m = members
        .iter()
        .filter(string_list)
        .find(is_registry)
        .or_else(|| members.iter().find(string_list))?;
    let Kind::Array(items) = &m.value.kind else {
        return None;
    };
    Some(list_layout(text, &m.value, items, default_sep))
}

/// The layout of the non-empty list `v` whose items are `items`.
pub(crate) fn list_layout(
    text: &str,
    v: &Value,
    items: &[Value],
    default_sep: &str,
) -> ArrayLayout {
    if slice(text, v.span.start, v.span.end).contains('\n') {
        return ArrayLayout::MultiLine;
    }
    let (Some(first), Some(last)) = (items.first(), items.last()) else {
        return ArrayLayout::SingleLine {
            sep: default_sep.to_owned(),
            open_pad: String::new(),
            close_pad: String::new(),
        };
    };
    let sep = match items {
        [a, b, ..] => slice(text, a.span.end, b.span.start),
        _ => default_sep,
    };
    ArrayLayout::SingleLine {
        sep: sep.to_owned(),
        open_pad: slice(text, v.span.start + 1, first.span.start).to_owned(),
        close_pad: slice(text, last.span.end, v.span.end.saturating_sub(1)).to_owned(),
    }
}

/// The most frequent string (the first seen among equals), ignoring any with a line break.
fn most_common<'a>(items: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let mut counts: HashMap<&str, (usize, usize)> = HashMap::new();
    for (i, s) in items.enumerate() {
        if s.contains('\n') {
            continue;
        }
        counts.entry(s).or_insert((0, i)).0 += 1;
    }
    counts
        .into_iter()
        .max_by_key(|(_, (n, first))| (*n, std::cmp::Reverse(*first)))
        .map(|(s, _)| s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::daemon_json::parse;

    fn single(sep: &str, open: &str, close: &str) -> ArrayLayout {
        ArrayLayout::SingleLine {
            sep: sep.into(),
            open_pad: open.into(),
            close_pad: close.into(),
        }
    }

    /// A `Style` from its fields in declaration order.
    fn st(
        nl: &'static str,
        unit: &str,
        mind: &str,
        multi: bool,
        kv: &str,
        msep: &str,
        array: ArrayLayout,
    ) -> Style {
        Style {
            newline: nl,
            indent_unit: unit.into(),
            member_indent: mind.into(),
            multiline: multi,
            kv_sep: kv.into(),
            member_sep: msep.into(),
            array,
        }
    }

    #[test]
    fn detects_each_files_style() {
        use ArrayLayout::MultiLine as Multi;
        let cases: Vec<(&str, Style)> = vec![
            (
                "{\n  \"debug\": true\n}\n",
                st("\n", "  ", "  ", true, ": ", ", ", Multi),
            ),
            (
                "{\n    \"log-opts\": {\n        \"max-size\": \"10m\"\n    }\n}",
                st("\n", "    ", "    ", true, ": ", ", ", Multi),
            ),
            (
                "{\r\n\t\"a\": [\"x\", \"y\"],\r\n\t\"b\": 1\r\n}\r\n",
                st("\r\n", "\t", "\t", true, ": ", ", ", single(", ", "", "")),
            ),
            (
                "{\"a\":1,\"b\":[\"x\",\"y\"]}",
                st("\n", "  ", "", false, ":", ",", single(",", "", "")),
            ),
            (
                "{ \"a\" : 1, \"b\" : [ \"x\" ] }",
                st("\n", "  ", "", false, " : ", ", ", single(", ", " ", " ")),
            ),
            (
                "{}",
                st("\n", "  ", "", false, ": ", ", ", single(", ", "", "")),
            ),
            ("{\n\t}", st("\n", "\t", "", true, ": ", ", ", Multi)),
            // Members indented 2, nested values 4 deeper: the nested step is the unit.
            (
                "{\n  \"log-opts\": {\n      \"max-size\": \"10m\"\n  }\n}",
                st("\n", "    ", "  ", true, ": ", ", ", Multi),
            ),
            // The registry list's layout is preferred over other lists'.
            (
                "{\n  \"dns\": [\"1.1.1.1\"],\n  \"registry-mirrors\": [\n    \"https://m\"\n  ]\n}",
                st("\n", "  ", "  ", true, ": ", ", ", Multi),
            ),
            // Mostly `":"`, one `": "`: the majority wins.
            (
                "{\n  \"a\":1,\n  \"b\":2,\n  \"c\": 3\n}",
                st("\n", "  ", "  ", true, ":", ",", Multi),
            ),
        ];
        for (text, want) in cases {
            let doc = parse(text).unwrap();
            assert_eq!(detect_style(text, &doc), want, "{text:?}");
        }
    }

    #[test]
    fn most_common_prefers_frequent_then_first() {
        assert_eq!(most_common([": ", ":", ":"].into_iter()), Some(":"));
        assert_eq!(most_common([" : ", ": "].into_iter()), Some(" : "));
        assert_eq!(most_common(["\n:"].into_iter()), None);
    }
}

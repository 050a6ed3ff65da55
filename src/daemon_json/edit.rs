//! Format-preserving edits: set one top-level member's value by splicing new text into the
//! file, so every byte outside the edited value (or the appended member) stays as it was.

use std::collections::{HashMap, VecDeque};

use super::style::{ArrayLayout, Style, detect_style, line_indent, list_layout, slice};
use super::{Document, Kind, Value, json_string};

/// The content for a daemon.json that does not exist yet: just `key` with the list `values`,
/// indented like `jq` output, with a trailing newline.
pub fn new_file(key: &str, values: &[String]) -> String {
    let items: Vec<String> = values.iter().map(|v| json_string(v)).collect();
    let list = render_list(&items, &ArrayLayout::MultiLine, "\n", "  ", "  ");
    format!("{{\n  {}: {list}\n}}\n", json_string(key))
}

/// `text` with the top-level member `key` set to the list of strings `values`.
///
/// If `key` exists (its last occurrence, the one dockerd reads) only its value is replaced: an
/// existing list keeps its layout (one line or one item per line, separators, padding, closing
/// bracket) and the items that stay keep their source text. Otherwise a member is appended
/// after the last one in the file's own style (see [`detect_style`]); an empty object becomes
/// a pretty one. `doc` must be the parse of `text`; if its root is not an object (check
/// [`Document::root_object`] first) the text is returned unchanged.
pub fn set_string_list(text: &str, doc: &Document, key: &str, values: &[String]) -> String {
    set_member(text, doc, key, New::List(values))
}

/// `text` with the top-level member `key` set to `raw_json`, inserted exactly as given (the
/// caller renders and indents it). Replaces the value of the last occurrence of `key`, or
/// appends a member as [`set_string_list`] does.
pub fn set_value_raw(text: &str, doc: &Document, key: &str, raw_json: &str) -> String {
    set_member(text, doc, key, New::Raw(raw_json))
}

enum New<'a> {
    List(&'a [String]),
    Raw(&'a str),
}

fn set_member(text: &str, doc: &Document, key: &str, new: New) -> String {
    let Kind::Object(members) = &doc.root.kind else {
        return text.to_owned();
    };
    let style = detect_style(text, doc);
    let nl = style.newline;

    if let Some(m) = doc.get(key) {
        let indent = line_indent(text, m.key_span.start).unwrap_or(&style.member_indent);
        let value = match new {
            New::Raw(raw) => raw.to_owned(),
            New::List(values) => match &m.value.kind {
                Kind::Array(items) if !items.is_empty() => {
                    relayout(text, &m.value, items, values, &style, indent)
                }
                _ => render_list(
                    &render_items(values),
                    &style.array,
                    nl,
                    &style.indent_unit,
                    indent,
                ),
            },
        };
        return splice(text, m.value.span.start, m.value.span.end, &value);
    }

    let key_json = json_string(key);
    let render = |layout: &ArrayLayout, indent: &str| match &new {
        New::Raw(raw) => (*raw).to_owned(),
        New::List(values) => render_list(
            &render_items(values),
            layout,
            nl,
            &style.indent_unit,
            indent,
        ),
    };
    match members.last() {
        Some(last) if style.multiline => {
            let indent = line_indent(text, last.key_span.start).unwrap_or(&style.member_indent);
            let value = render(&style.array, indent);
            let member = format!(",{nl}{indent}{key_json}{}{value}", style.kv_sep);
            splice(text, last.value.span.end, last.value.span.end, &member)
        }
        Some(last) => {
            let value = render(&style.array, "");
            let member = format!("{}{key_json}{}{value}", style.member_sep, style.kv_sep);
            splice(text, last.value.span.end, last.value.span.end, &member)
        }
        None => {
            // `{}`, `{ }`, `{\n}`: write a pretty object.
            let unit = &style.indent_unit;
            let value = render(&ArrayLayout::MultiLine, unit);
            let object = format!("{{{nl}{unit}{key_json}{}{value}{nl}}}", style.kv_sep);
            splice(text, doc.root.span.start, doc.root.span.end, &object)
        }
    }
}

/// The values as JSON string literals.
fn render_items(values: &[String]) -> Vec<String> {
    values.iter().map(|v| json_string(v)).collect()
}

/// A new list of already-rendered `items` whose key is indented by `indent`.
fn render_list(
    items: &[String],
    layout: &ArrayLayout,
    nl: &str,
    unit: &str,
    indent: &str,
) -> String {
    if items.is_empty() {
        return "[]".to_owned();
    }
    match layout {
        ArrayLayout::MultiLine => {
            let inner = format!("{indent}{unit}");
            format!(
                "[{nl}{inner}{}{nl}{indent}]",
                items.join(&format!(",{nl}{inner}"))
            )
        }
        ArrayLayout::SingleLine {
            sep,
            open_pad,
            close_pad,
        } => format!("[{open_pad}{}{close_pad}]", items.join(sep)),
    }
}

/// The existing non-empty list `list` (items `items`) rewritten to hold `values`, keeping its
/// layout: the text after `[` and before `]`, the separators between items that stay next to
/// each other, and the source text of items that stay.
fn relayout(
    text: &str,
    list: &Value,
    items: &[Value],
    values: &[String],
    style: &Style,
    indent: &str,
) -> String {
    let (Some(first), Some(last)) = (items.first(), items.last()) else {
        return render_list(
            &render_items(values),
            &style.array,
            style.newline,
            &style.indent_unit,
            indent,
        );
    };
    if values.is_empty() {
        return "[]".to_owned();
    }
    // Which old item (by index) each new value reuses: the first unused one with that string.
    let mut unused: HashMap<&str, VecDeque<usize>> = HashMap::new();
    for (i, item) in items.iter().enumerate() {
        if let Kind::String(s) = &item.kind {
            unused.entry(s.as_str()).or_default().push_back(i);
        }
    }
    let picks: Vec<Option<usize>> = values
        .iter()
        .map(|v| unused.get_mut(v.as_str()).and_then(VecDeque::pop_front))
        .collect();

    let default_sep = match list_layout(text, list, items, &style_sep(style)) {
        ArrayLayout::SingleLine { sep, .. } => sep,
        ArrayLayout::MultiLine => {
            let item_indent = items
                .iter()
                .find_map(|v| line_indent(text, v.span.start))
                .map_or_else(|| format!("{indent}{}", style.indent_unit), str::to_owned);
            format!(",{}{item_indent}", style.newline)
        }
    };
    let mut out = String::from("[");
    out.push_str(slice(text, list.span.start + 1, first.span.start));
    let mut prev: Option<Option<usize>> = None;
    for (value, pick) in values.iter().zip(&picks) {
        if let Some(prev) = prev {
            let kept_pair = match (prev, pick) {
                (Some(a), Some(b)) if a + 1 == *b => items.get(a).zip(items.get(*b)),
                _ => None,
            };
            match kept_pair {
                Some((a, b)) => out.push_str(slice(text, a.span.end, b.span.start)),
                None => out.push_str(&default_sep),
            }
        }
        match pick.and_then(|i| items.get(i)) {
            Some(item) => out.push_str(slice(text, item.span.start, item.span.end)),
            None => out.push_str(&json_string(value)),
        }
        prev = Some(*pick);
    }
    out.push_str(slice(text, last.span.end, list.span.end.saturating_sub(1)));
    out.push(']');
    out
}

/// The separator for a one-line list with a single item, where the list itself shows none.
fn style_sep(style: &Style) -> String {
    match &style.array {
        ArrayLayout::SingleLine { sep, .. } => sep.clone(),
        ArrayLayout::MultiLine if style.kv_sep.contains(' ') => ", ".to_owned(),
        ArrayLayout::MultiLine => ",".to_owned(),
    }
}

/// `text` with `start..end` replaced by `new`; unchanged if the range does not fit `text`.
fn splice(text: &str, start: usize, end: usize, new: &str) -> String {
    match (text.get(..start), text.get(end..)) {
        (Some(before), Some(after)) if start <= end => {
            let mut out = String::with_capacity(before.len() + new.len() + after.len());
            out.push_str(before);
            out.push_str(new);
            out.push_str(after);
            out
        }
        _ => text.to_owned(),
    }
}

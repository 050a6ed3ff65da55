//! Rewriting the registry flags of a DOCKER_OPTS / OPTIONS file with the smallest change: cut the
//! occurrences that go (with one neighbouring blank), append the new ones inside the last
//! assignment's quotes, and rewrite in place only when the order asks for it. The result is
//! parsed again and checked before it is returned.

use std::collections::HashMap;
use std::ops::Range;

use crate::diag::Diagnostic;

use super::lex::{Ctx, Segment};
use super::{FlagForm, OptsFile, QuoteStyle, RegistryFlag, VARS, parse};

/// A change to the text: replace `range` with `with`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Splice {
    range: Range<usize>,
    with: String,
}

/// Return `text` changed so that the effective values of `kind` are exactly `wanted`, in order.
///
/// `file` must be `parse(text)`. Occurrences that stay keep their spelling and place; the ones
/// that go are cut with one neighbouring blank; new ones are appended at the end of the last
/// assignment of the options variable, in the spelling the file already uses for the flag
/// (`--flag value` by default). When `wanted` cannot be reached by appending (an entry moved
/// before an existing one), the flag's occurrences are rewritten in place of the first one.
/// Without any assignment, `DOCKER_OPTS="..."` (or `OPTIONS=` in an OPTIONS file) is added after
/// the commented example line, or at the end. Every other byte stays as it was.
///
/// New values must be plain words: quotes, `$`, backquotes, backslashes, blanks and a leading
/// `-` are refused, as is any change that would need to edit another variable or a value built
/// by a command.
pub fn set_values(
    text: &str,
    file: &OptsFile,
    kind: RegistryFlag,
    wanted: &[String],
) -> Result<String, Diagnostic> {
    let fresh = parse(text)?;
    if fresh != *file {
        return Err(Diagnostic::error(
            "internal",
            "the parsed file does not match the text given to edit",
        )
        .with_help("read the file again and retry"));
    }
    let current = file.values(kind);
    if current.as_slice() == wanted {
        return Ok(text.to_string());
    }
    let flag = kind.flag_name();
    for w in wanted.iter().filter(|w| !current.contains(w)) {
        check_value(flag, w)?;
    }
    let var = match file.var_name() {
        Some(v) => v.to_string(),
        None => default_var(text).to_string(),
    };
    if let Some(at) = file.opaque {
        return Err(Diagnostic::error(
            "opaque-value",
            format!("{var} is built with a command or a ${{...}} form here: dockcfg cannot tell what it holds"),
        )
        .with_help(format!(
            "write the flags literally in {var}, or keep registry settings in /etc/docker/daemon.json"
        ))
        .at(text, at));
    }

    let occ: Vec<usize> = file
        .flags
        .iter()
        .enumerate()
        .filter(|(_, f)| f.is(kind))
        .map(|(i, _)| i)
        .collect();
    for f in occ.iter().filter_map(|&i| file.flags.get(i)) {
        if f.value.is_none() {
            return Err(Diagnostic::error(
                "missing-value",
                format!("--{flag} has no value: dockerd refuses to start with it"),
            )
            .with_help("give it an address, or delete it")
            .at(text, f.pos.offset));
        }
    }
    let form = pick_form(file, kind);

    let (kept_vals, removed) = split_kept(file, &occ, wanted);
    let appendable = wanted
        .iter()
        .map(String::as_str)
        .take(kept_vals.len())
        .eq(kept_vals.iter().copied());

    let (splices, append): (Vec<Splice>, &[String]) = if appendable {
        (
            removal_splices(text, file, &var, &removed)?,
            wanted.get(kept_vals.len()..).unwrap_or(&[]),
        )
    } else {
        for w in wanted {
            check_value(flag, w)?;
        }
        let Some((&first, rest)) = occ.split_first() else {
            return Err(internal(&var, "no occurrence to rewrite"));
        };
        let mut s = removal_splices(text, file, &var, rest)?;
        s.push(rewrite_splice(text, file, &var, first, flag, wanted)?);
        (s, &[])
    };

    if !append.is_empty()
        && let Some(last) = file.flags.last()
        && last.form == FlagForm::Separate
        && last.value.is_none()
    {
        return Err(Diagnostic::error(
            "missing-value",
            format!(
                "{}{} at the end of {var} has no value: a flag added after it would become its value",
                "-".repeat(usize::from(last.dashes)),
                last.name
            ),
        )
        .with_help("give it its value, or delete it")
        .at(text, last.pos.offset));
    }
    // dockerd's flag parser stops at `--`: a flag appended after it would be an argument, and
    // dockerd refuses arguments.
    if !append.is_empty()
        && let Some(end) = file.tokens.iter().find(|t| t.text == "--")
    {
        return Err(Diagnostic::error(
            "end-of-flags",
            format!(
                "{var} holds \"--\", which ends dockerd's flags: a --{flag} added after it \
                 would not be read as a flag"
            ),
        )
        .with_help(format!(
            "remove the \"--\" from {var} by hand (dockerd takes no arguments after it), or keep \
             registry settings in /etc/docker/daemon.json"
        ))
        .at(text, end.anchor));
    }

    let text1 = apply(text, splices).ok_or_else(|| internal(&var, "overlapping edits"))?;
    let out = if append.is_empty() {
        text1
    } else {
        append_values(&text1, &var, flag, form, append)?
    };
    verify(file, &out, kind, wanted, &var)?;
    Ok(out)
}

/// Which occurrences stay: for each value, as many as `wanted` has, the first ones in the file.
/// Returns the kept values in file order and the occurrences to cut.
fn split_kept<'f>(
    file: &'f OptsFile,
    occ: &[usize],
    wanted: &[String],
) -> (Vec<&'f str>, Vec<usize>) {
    let mut budget: HashMap<&str, usize> = HashMap::new();
    for w in wanted {
        *budget.entry(w.as_str()).or_default() += 1;
    }
    let (mut kept, mut removed) = (Vec::new(), Vec::new());
    for &i in occ {
        let v = file
            .flags
            .get(i)
            .and_then(|f| f.value.as_deref())
            .unwrap_or("");
        match budget.get_mut(v) {
            Some(n) if *n > 0 => {
                *n -= 1;
                kept.push(v);
            }
            _ => removed.push(i),
        }
    }
    (kept, removed)
}

fn internal(var: &str, what: &str) -> Diagnostic {
    Diagnostic::error(
        "internal",
        format!("dockcfg could not edit {var} safely ({what}); the file was left as it is"),
    )
    .with_help("edit the file by hand, and please report this with the file's content")
}

/// Refuse a value that could not be written as one plain word of the shell.
fn check_value(flag: &str, v: &str) -> Result<(), Diagnostic> {
    let problem = if v.is_empty() {
        Some("it is empty".to_string())
    } else if v.starts_with('-') {
        Some("it starts with '-', so dockerd would read it as a flag".to_string())
    } else {
        v.chars()
            .find(|c| c.is_whitespace() || c.is_control() || "'\"$`\\".contains(*c))
            .map(|c| format!("it contains {c:?}, which the shell would not pass on unchanged"))
    };
    match problem {
        Some(p) => Err(
            Diagnostic::error("bad-value", format!("cannot write --{flag} {v:?}: {p}"))
                .with_help("give a plain address or URL, without quotes, blanks, $, ` or \\"),
        ),
        None => Ok(()),
    }
}

/// The variable to add when the file assigns none: OPTIONS in a file that mentions `OPTIONS=`
/// (even commented out) and never DOCKER_OPTS, otherwise DOCKER_OPTS.
fn default_var(text: &str) -> &'static str {
    let mentions_options = text.match_indices("OPTIONS=").any(|(i, _)| {
        i == 0
            || text
                .as_bytes()
                .get(i - 1)
                .is_some_and(|b| !(b.is_ascii_alphanumeric() || *b == b'_'))
    });
    if mentions_options && !text.contains("DOCKER_OPTS") {
        VARS[1]
    } else {
        VARS[0]
    }
}

/// The spelling for new entries: the flag's own last spelling in the file, else the other
/// registry flag's, else `--flag value`.
fn pick_form(file: &OptsFile, kind: RegistryFlag) -> FlagForm {
    let other = match kind {
        RegistryFlag::InsecureRegistry => RegistryFlag::RegistryMirror,
        RegistryFlag::RegistryMirror => RegistryFlag::InsecureRegistry,
    };
    for k in [kind, other] {
        if let Some(f) = file
            .flags
            .iter()
            .rev()
            .find(|f| f.is(k) && f.value.is_some())
        {
            return f.form;
        }
    }
    FlagForm::Separate
}

fn render(flag: &str, form: FlagForm, values: &[String]) -> String {
    let sep = if form == FlagForm::Equals { "=" } else { " " };
    values
        .iter()
        .map(|v| format!("--{flag}{sep}{v}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether a bare (unquoted) value needs quotes to stay one word with the same meaning.
fn needs_quotes(s: &str) -> bool {
    s.chars()
        .any(|c| !(c.is_ascii_alphanumeric() || "-_./:=,@+%^$".contains(c)))
}

/// Where a flag's word is written, or why it cannot be edited there.
fn literal_of<'f>(
    text: &str,
    file: &'f OptsFile,
    var: &str,
    flag_idx: usize,
    word: usize,
) -> Result<(usize, &'f Range<usize>), Diagnostic> {
    let f = file.flags.get(flag_idx);
    let shown = f.map_or(String::new(), |f| match &f.value {
        Some(v) => format!("--{} {v}", f.name),
        None => format!("--{}", f.name),
    });
    let at = f.map_or(0, |f| f.pos.offset);
    let tok = file.tokens.get(word);
    match tok.and_then(|t| t.literal.as_ref()) {
        Some((seg, asg, r)) => match file.assignments.get(*asg) {
            Some(a) if a.name == var => Ok((*seg, r)),
            Some(a) => Err(Diagnostic::error(
                "not-editable",
                format!(
                    "{shown} comes from {} (line {}), not from {var}: dockcfg edits only {var}",
                    a.name, a.line
                ),
            )
            .with_help(format!("edit {} by hand, or write the flag in {var} itself", a.name))
            .at(text, at)),
            None => Err(internal(var, "unknown assignment")),
        },
        None => Err(Diagnostic::error(
            "not-editable",
            format!("{shown} is built from a variable reference or several quoted parts, so dockcfg cannot cut it out"),
        )
        .with_help(format!("write it as one plain word in {var}, or edit it by hand"))
        .at(text, at)),
    }
}

/// Cuts for the given occurrences: each word with one neighbouring blank (a whole line when it
/// stood alone on a continuation line).
fn removal_splices(
    text: &str,
    file: &OptsFile,
    var: &str,
    flags: &[usize],
) -> Result<Vec<Splice>, Diagnostic> {
    let mut pieces: Vec<(usize, Range<usize>)> = Vec::new();
    for &fi in flags {
        let Some(&(w, vw)) = file.flag_tokens.get(fi) else {
            continue;
        };
        for word in std::iter::once(w).chain(vw) {
            let (seg, r) = literal_of(text, file, var, fi, word)?;
            pieces.push((seg, r.clone()));
        }
    }
    pieces.sort_by_key(|(_, r)| r.start);
    pieces.dedup();

    // Join neighbours in one segment with only blanks between them.
    let mut merged: Vec<(usize, Range<usize>)> = Vec::new();
    for (seg, r) in pieces {
        if let Some((ps, pr)) = merged.last_mut()
            && *ps == seg
            && file
                .segments
                .get(seg)
                .is_some_and(|s| only_gaps(s, pr.end, r.start))
        {
            pr.end = pr.end.max(r.end);
            continue;
        }
        merged.push((seg, r));
    }

    let mut cuts: Vec<Range<usize>> = merged
        .into_iter()
        .map(|(seg, r)| match file.segments.get(seg) {
            Some(s) => removal_range(text, s, r),
            None => r,
        })
        .collect();
    cuts.sort_by_key(|r| r.start);
    let mut out: Vec<Range<usize>> = Vec::new();
    for r in cuts {
        match out.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => out.push(r),
        }
    }
    Ok(out
        .into_iter()
        .map(|range| Splice {
            range,
            with: String::new(),
        })
        .collect())
}

/// Whether the bytes `from..to` of a segment are all blanks or backslash-newlines.
fn only_gaps(seg: &Segment, from: usize, to: usize) -> bool {
    from <= to
        && seg
            .units
            .iter()
            .filter(|u| u.start >= from && u.end <= to)
            .all(|u| u.gap)
}

fn is_blank(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// The bytes to cut to remove the words `r` of a segment, with one neighbouring blank.
fn removal_range(text: &str, seg: &Segment, r: Range<usize>) -> Range<usize> {
    let units = &seg.units;
    let bytes = text.as_bytes();
    let (Some(i_s), Some(i_e)) = (
        units.iter().position(|u| u.start == r.start),
        units.iter().position(|u| u.end == r.end),
    ) else {
        return r;
    };
    let mut j = i_s;
    while j > 0 && units.get(j - 1).is_some_and(|u| u.gap) {
        j -= 1;
    }
    let gap_before_start = units.get(j).map_or(r.start, |u| u.start);
    let has_before = j < i_s;
    let mut k = i_e + 1;
    while units.get(k).is_some_and(|u| u.gap) {
        k += 1;
    }
    let has_after = k > i_e + 1;

    let (seg_start, seg_end) = (seg.start(), seg.end());
    let line_start = text
        .get(..r.start)
        .and_then(|t| t.rfind('\n'))
        .map_or(0, |p| p + 1);
    let first_on_line = line_start > 0
        && line_start >= seg_start
        && bytes
            .get(line_start..r.start)
            .is_some_and(|b| b.iter().all(|&c| is_blank(c)));
    let mut blanks_after = r.end;
    while blanks_after < seg_end && bytes.get(blanks_after).is_some_and(|&c| is_blank(c)) {
        blanks_after += 1;
    }
    let rest = text.get(blanks_after..seg_end).unwrap_or("");
    // A backslash-newline ends the line, except inside single quotes, where it is text.
    let endings: &[&str] = if seg.ctx == Ctx::Single {
        &["\n", "\r\n"]
    } else {
        &["\\\n", "\\\r\n", "\n", "\r\n"]
    };
    let eol = endings
        .iter()
        .find(|p| rest.starts_with(**p))
        .map(|p| blanks_after + p.len());
    let mut blanks_before = r.start;
    while blanks_before > seg_start && bytes.get(blanks_before - 1).is_some_and(|&c| is_blank(c)) {
        blanks_before -= 1;
    }

    match eol {
        Some(end) if first_on_line => line_start..end,
        _ if !has_after => gap_before_start..r.end,
        _ if !has_before || first_on_line => r.start..blanks_after,
        _ if blanks_before < r.start => blanks_before..r.end,
        _ => r.start..blanks_after,
    }
}

/// Replace the first occurrence with every wanted value, in the first occurrence's spelling.
fn rewrite_splice(
    text: &str,
    file: &OptsFile,
    var: &str,
    first: usize,
    flag: &str,
    wanted: &[String],
) -> Result<Splice, Diagnostic> {
    let Some(&(w, vw)) = file.flag_tokens.get(first) else {
        return Err(internal(var, "unknown flag"));
    };
    let (seg, r) = literal_of(text, file, var, first, w)?;
    let mut range = r.clone();
    if let Some(vw) = vw {
        let (vseg, vr) = literal_of(text, file, var, first, vw)?;
        if vseg != seg {
            let at = file.flags.get(first).map_or(0, |f| f.pos.offset);
            return Err(Diagnostic::error(
                "not-editable",
                format!("--{flag} and its value are written in different quoted parts, so dockcfg cannot reorder it"),
            )
            .with_help(format!("write `--{flag} VALUE` inside one pair of quotes"))
            .at(text, at));
        }
        range.end = vr.end;
    }
    let form = file.flags.get(first).map_or(FlagForm::Separate, |f| f.form);
    let mut with = render(flag, form, wanted);
    if file.segments.get(seg).is_some_and(|s| s.ctx == Ctx::Bare) && needs_quotes(&with) {
        with = format!("\"{with}\"");
    }
    Ok(Splice { range, with })
}

fn apply(text: &str, mut splices: Vec<Splice>) -> Option<String> {
    splices.sort_by_key(|s| (s.range.start, s.range.end));
    let mut out = String::with_capacity(text.len() + 64);
    let mut at = 0;
    for s in splices {
        if s.range.start < at {
            return None;
        }
        out.push_str(text.get(at..s.range.start)?);
        out.push_str(&s.with);
        at = s.range.end;
    }
    out.push_str(text.get(at..)?);
    Some(out)
}

/// Append new entries at the end of the variable's last assignment, or add an assignment.
fn append_values(
    text: &str,
    var: &str,
    flag: &str,
    form: FlagForm,
    values: &[String],
) -> Result<String, Diagnostic> {
    let file = parse(text).map_err(|_| internal(var, "the file no longer parses after cutting"))?;
    let items = render(flag, form, values);
    let Some(a) = file.assignments.iter().rev().find(|a| a.name == var) else {
        return new_assignment(text, var, &items);
    };
    let eff = file.effective_value().unwrap_or("");
    let sep = if eff.is_empty() || eff.ends_with([' ', '\t', '\n', '\r']) {
        ""
    } else {
        " "
    };
    let splice = match (a.quote, a.closing_quote) {
        (QuoteStyle::Bare, _) => {
            let raw = text.get(a.value_span.clone()).unwrap_or("");
            if raw.contains(['\'', '"', '\\', '`']) {
                Splice {
                    range: a.value_span.end..a.value_span.end,
                    with: format!("\"{sep}{items}\""),
                }
            } else {
                let new = format!("{raw}{sep}{items}");
                Splice {
                    range: a.value_span.clone(),
                    with: if needs_quotes(&new) {
                        format!("\"{new}\"")
                    } else {
                        new
                    },
                }
            }
        }
        (_, Some(q)) => Splice {
            range: q..q,
            with: format!("{sep}{items}"),
        },
        (_, None) => Splice {
            range: a.value_span.end..a.value_span.end,
            with: format!("\"{sep}{items}\""),
        },
    };
    apply(text, vec![splice]).ok_or_else(|| internal(var, "bad insertion point"))
}

/// Add `VAR="items"` after the last commented example (`#DOCKER_OPTS=...`), or at the end,
/// with the file's newline style; the example's quote character is used when it has one. A place
/// is taken only if the shell then reads the new line as the assignment: a line that looks like
/// an example but sits inside a quoted string is passed over (found by the opts_edit fuzz
/// target), and a file whose end continues a line gets a clear refusal.
fn new_assignment(text: &str, var: &str, items: &str) -> Result<String, Diagnostic> {
    let nl = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let mut example: Option<(usize, char)> = None; // (end of the line, quote)
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let body = line.trim_start_matches([' ', '\t']);
        if let Some(c) = body.strip_prefix('#') {
            let c = c.trim_start_matches([' ', '\t']);
            let c = c.strip_prefix("export ").unwrap_or(c);
            if let Some(v) = c.strip_prefix(var).and_then(|v| v.strip_prefix('=')) {
                let q = if v.starts_with('\'') { '\'' } else { '"' };
                example = Some((offset + line.len(), q));
            }
        }
        offset += line.len();
    }
    let insert = |at: usize, q: char| {
        let line = format!("{var}={q}{items}{q}{nl}");
        let (before, after) = (text.get(..at).unwrap_or(text), text.get(at..).unwrap_or(""));
        let join = if before.is_empty() || before.ends_with('\n') {
            ""
        } else {
            nl
        };
        format!("{before}{join}{line}{after}")
    };
    let assigns = |t: &str| parse(t).is_ok_and(|f| f.var_name() == Some(var));
    let candidates = example
        .into_iter()
        .chain([(text.len(), example.map_or('"', |(_, q)| q))]);
    for (at, q) in candidates {
        let out = insert(at, q);
        if assigns(&out) {
            return Ok(out);
        }
    }
    Err(Diagnostic::error(
        "not-editable",
        format!(
            "dockcfg found no place in this file where a new {var}= line would be read as an \
             assignment (the last line continues with a backslash, or a quote spans the end)"
        ),
    )
    .with_help(format!(
        "add the line {var}=\"{items}\" by hand, or keep registry settings in /etc/docker/daemon.json"
    )))
}

/// Parse the result again: the registry values must be exactly `wanted`, and every other flag
/// as before.
fn verify(
    before: &OptsFile,
    text: &str,
    kind: RegistryFlag,
    wanted: &[String],
    var: &str,
) -> Result<(), Diagnostic> {
    let after = parse(text).map_err(|_| internal(var, "the result would not parse"))?;
    let got = after.values(kind);
    if got.as_slice() != wanted {
        return Err(internal(var, &format!("the result would hold {got:?}")));
    }
    let others = |f: &OptsFile| -> Vec<(String, Option<String>, u8)> {
        f.flags
            .iter()
            .filter(|x| !x.is(kind))
            .map(|x| (x.name.clone(), x.value.clone(), x.dashes))
            .collect()
    };
    if others(before) != others(&after) || after.var_name() != Some(var) {
        return Err(internal(var, "other flags would change"));
    }
    Ok(())
}

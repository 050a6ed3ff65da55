//! Shell-style files that hold dockerd's flags in a variable: `DOCKER_OPTS="..."` in
//! /etc/default/docker (Debian/Ubuntu sysvinit and upstart, and Debian's systemd unit through
//! `EnvironmentFile=`) and /etc/conf.d/docker (Alpine OpenRC), `OPTIONS='...'` in
//! /etc/sysconfig/docker (RHEL/CentOS docker 1.13). [`parse`] reads the file the way `/bin/sh`
//! does when an init script sources it; [`set_values`] rewrites the registry flags in it,
//! keeping every other byte. No I/O here.
//!
//! How the value becomes dockerd's arguments: the init scripts pass it unquoted
//! (`start-stop-daemon ... -- -p "$DOCKER_PIDFILE" $DOCKER_OPTS` in Debian's sysvinit script,
//! `exec "$DOCKERD" $DOCKER_OPTS --raw-logs` in the upstart job, `$DOCKER_OPTS` / `$OPTIONS` in
//! the systemd units), so it is split on blanks and quotes inside the value are plain characters.
//! (OpenRC `eval`s `command_args`, so there quotes inside the value would group words; the
//! registry flags never need that.) Assignments are evaluated in order, so the append idiom
//! `DOCKER_OPTS="$DOCKER_OPTS --insecure-registry x"` adds to the earlier value and a plain
//! reassignment replaces it.

mod edit;
mod flags;
mod lex;
#[cfg(test)]
mod tests;

use std::ops::Range;

use crate::diag::{Diagnostic, Pos};

pub use edit::set_values;
pub use flags::{FlagForm, long_name_of, takes_value};

/// The two registry flags dockcfg edits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RegistryFlag {
    /// `--insecure-registry`
    InsecureRegistry,
    /// `--registry-mirror`
    RegistryMirror,
}

impl RegistryFlag {
    /// The flag's name without dashes, as dockerd spells it.
    pub fn flag_name(self) -> &'static str {
        match self {
            RegistryFlag::InsecureRegistry => "insecure-registry",
            RegistryFlag::RegistryMirror => "registry-mirror",
        }
    }
}

/// How an assignment's value is quoted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QuoteStyle {
    /// `VAR="..."`
    Double,
    /// `VAR='...'`
    Single,
    /// `VAR=...` with no quotes at all (also `VAR=`).
    Bare,
    /// Several quoted or unquoted parts, such as `VAR="$A"' --x'`.
    Mixed,
}

/// One assignment that stays in effect after the file is sourced (`VAR=...` or
/// `export VAR=...`; not `VAR=... command`, which only sets the command's environment).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    /// The variable's name.
    pub name: String,
    /// Written as `export VAR=...` (or `readonly`).
    pub exported: bool,
    /// 1-based line of the variable's name.
    pub line: usize,
    /// Byte offset of the variable's name.
    pub name_start: usize,
    /// The value as written after `=`, quotes included.
    pub value_span: Range<usize>,
    /// The value inside its quotes for [`QuoteStyle::Double`] and [`QuoteStyle::Single`];
    /// the same as `value_span` otherwise.
    pub inner_span: Range<usize>,
    pub quote: QuoteStyle,
    /// Offset of the quote character that ends the value, when the value ends with one.
    pub closing_quote: Option<usize>,
}

/// One dockerd flag in the options variable's effective value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flag {
    /// Without dashes: `insecure-registry`, `H`, `iptables`.
    pub name: String,
    /// `None` for a flag without value (`--debug`), or a value-taking flag at the very end.
    pub value: Option<String>,
    pub form: FlagForm,
    /// 2 for `--flag`, 1 for `-H` (and the old one-dash long flags such as `-dns`).
    pub dashes: u8,
    /// Where the flag starts in the file.
    pub pos: Pos,
    /// The bytes from the flag's first character to its value's last one.
    pub span: Range<usize>,
    /// Written literally in an assignment of the options variable itself, so dockcfg can cut
    /// or rewrite it (not through another variable, and not split across quoted parts).
    pub editable: bool,
}

impl Flag {
    /// The long name: `host` for `-H`, otherwise [`Flag::name`].
    pub fn long_name(&self) -> &str {
        let mut cs = self.name.chars();
        match (cs.next(), cs.next(), self.dashes) {
            (Some(c), None, 1) => long_name_of(c).unwrap_or(&self.name),
            _ => &self.name,
        }
    }

    fn is(&self, kind: RegistryFlag) -> bool {
        self.dashes == 2 && self.name == kind.flag_name()
    }
}

/// One word of the effective value. `literal` is `(segment, assignment, bytes)` when the word is
/// written literally in one segment of one assignment; `anchor` is an offset to point at.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Token {
    text: String,
    anchor: usize,
    literal: Option<(usize, usize, Range<usize>)>,
}

/// A parsed DOCKER_OPTS / OPTIONS file: its assignments and the flags the engine gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptsFile {
    assignments: Vec<Assignment>,
    var: Option<String>,
    effective: Option<String>,
    tokens: Vec<Token>,
    flags: Vec<Flag>,
    /// For each flag: its word and, for `--flag value`, the value's word.
    flag_tokens: Vec<(usize, Option<usize>)>,
    segments: Vec<lex::Segment>,
    /// Offset of a `$(...)`-like construct in the options variable's value.
    opaque: Option<usize>,
    warnings: Vec<Diagnostic>,
    crlf: bool,
}

/// The options variables dockcfg knows, preferred first.
const VARS: [&str; 2] = ["DOCKER_OPTS", "OPTIONS"];

/// Read a DOCKER_OPTS / OPTIONS file. Fails only when the shell itself could not read it
/// (an unterminated quote, `${`, `$(` or backquote), with the position of the problem.
pub fn parse(text: &str) -> Result<OptsFile, Diagnostic> {
    // A shell cannot hold a NUL byte in a variable (bash stops reading such a script as text):
    // a file holding one is damaged, not configuration.
    if let Some(at) = text.find('\0') {
        return Err(Diagnostic::error(
            "encoding",
            "the file holds a NUL byte: it is not a shell text file",
        )
        .with_help("remove the NUL bytes (a damaged or binary file?), then run dockcfg again")
        .at(text, at));
    }
    let lexed = lex::lex(text)?;
    let var = VARS
        .iter()
        .find(|v| lexed.assignments.iter().any(|a| a.name == **v))
        .map(|v| v.to_string());
    let value = var
        .as_ref()
        .and_then(|v| lexed.env.get(v))
        .cloned()
        .unwrap_or_default();

    // Split as the shell splits an unquoted expansion: on blanks (a stray \r too).
    let mut tokens = Vec::new();
    for chunk in value
        .chars
        .split(|c| matches!(c.ch, ' ' | '\t' | '\n' | '\r'))
        .filter(|c| !c.is_empty())
    {
        tokens.push(Token {
            text: chunk.iter().map(|c| c.ch).collect(),
            anchor: chunk.first().map_or(0, |c| c.start),
            literal: lex::literal_span(chunk),
        });
    }

    let words: Vec<&str> = tokens.iter().map(|t| t.text.as_str()).collect();
    let raw = flags::parse_flags(&words);
    let editable = |t: &Token| {
        t.literal.as_ref().is_some_and(|(_, asg, _)| {
            lexed
                .assignments
                .get(*asg)
                .is_some_and(|a| Some(&a.name) == var.as_ref())
        })
    };
    let mut out_flags = Vec::new();
    let mut flag_tokens = Vec::new();
    for r in raw {
        let Some(ft) = tokens.get(r.word) else {
            continue;
        };
        let vt = r.value_word.and_then(|i| tokens.get(i));
        let start = ft.literal.as_ref().map_or(ft.anchor, |l| l.2.start);
        let last = vt.unwrap_or(ft);
        let end = last
            .literal
            .as_ref()
            .map_or(last.anchor, |l| l.2.end)
            .max(start);
        out_flags.push(Flag {
            name: r.name,
            value: r.value,
            form: r.form,
            dashes: r.dashes,
            pos: Pos::at(text, ft.anchor),
            span: start..end,
            editable: editable(ft) && vt.is_none_or(editable),
        });
        flag_tokens.push((r.word, r.value_word));
    }

    let mut warnings = lexed.warnings;
    if let (Some(at), Some(v)) = (value.opaque, var.as_ref()) {
        warnings.push(
            Diagnostic::warning(
                "opaque-value",
                format!("{v} is built with a command or a ${{...}} form: dockcfg cannot tell all it holds"),
            )
            .with_help(format!("write the flags literally in {v}"))
            .at(text, at),
        );
    }
    let crlf = text.contains("\r\n");
    if crlf && var.is_some() {
        warnings.push(
            Diagnostic::warning(
                "crlf",
                "this file has Windows (CRLF) line endings: /bin/sh keeps the \\r as part of each value",
            )
            .with_help("convert it to LF line endings (dos2unix)"),
        );
    }
    let effective = var
        .as_ref()
        .map(|_| value.chars.iter().map(|c| c.ch).collect());
    Ok(OptsFile {
        assignments: lexed.assignments,
        var,
        effective,
        tokens,
        flags: out_flags,
        flag_tokens,
        segments: lexed.segments,
        opaque: value.opaque,
        warnings,
        crlf,
    })
}

impl OptsFile {
    /// The options variable the file assigns: `DOCKER_OPTS` or `OPTIONS` (DOCKER_OPTS when both).
    pub fn var_name(&self) -> Option<&str> {
        self.var.as_deref()
    }

    /// Every assignment in effect after sourcing the file, in file order (all variables).
    pub fn assignments(&self) -> &[Assignment] {
        &self.assignments
    }

    /// The options variable's value after the whole file is evaluated.
    pub fn effective_value(&self) -> Option<&str> {
        self.effective.as_deref()
    }

    /// Every flag in the effective value, in order.
    pub fn flags(&self) -> Vec<Flag> {
        self.flags.clone()
    }

    /// The effective values of `--insecure-registry` or `--registry-mirror`, in order.
    pub fn values(&self, kind: RegistryFlag) -> Vec<String> {
        self.flags
            .iter()
            .filter(|f| f.is(kind))
            .filter_map(|f| f.value.clone())
            .collect()
    }

    /// Things that are allowed but probably wrong (CRLF line endings, `VAR=a b`, `VAR+=`, a
    /// value built by a command).
    pub fn warnings(&self) -> &[Diagnostic] {
        &self.warnings
    }

    /// Whether the file uses CRLF line endings.
    pub fn uses_crlf(&self) -> bool {
        self.crlf
    }
}

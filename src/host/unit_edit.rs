//! Format-preserving edits of a systemd unit file's `ExecStart=` for `dockcfg migrate`: take
//! dockerd's registry flags out of the command line and keep every other byte of the file, and
//! the drop-in that overrides a packaged unit's `ExecStart` (files under /lib and /usr/lib
//! belong to the package and are never edited). Pure: text in, text out.

use std::path::Path;

use crate::host::systemd::{parse_unit, split_words};

/// The dockerd flags `migrate` moves, without dashes.
pub const REGISTRY_FLAGS: [&str; 2] = ["insecure-registry", "registry-mirror"];

/// One registry flag taken out of a command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Removed {
    /// `insecure-registry` or `registry-mirror`.
    pub name: String,
    pub value: String,
}

/// A unit text without the registry flags of its last `ExecStart=`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stripped {
    /// The whole file, changed only where the flags were.
    pub text: String,
    /// The flags taken out, in order.
    pub removed: Vec<Removed>,
    /// The new `ExecStart=` value as systemd reads it (continuation lines joined); empty when
    /// the text sets no command.
    pub exec_start: String,
}

/// One word of a command line and where it is: physical line, byte range in that line.
#[derive(Debug, Clone)]
struct Span {
    line: usize,
    start: usize,
    end: usize,
    text: String,
}

/// Whether a unit file or drop-in belongs to a package (under /lib or /usr/lib), so dockcfg
/// must not edit it.
pub fn is_packaged(path: &Path) -> bool {
    path.starts_with("/lib") || path.starts_with("/usr/lib")
}

/// The last non-empty `ExecStart=` of `[Service]` in `text` (the one systemd runs, when this
/// file sets it), without its `--insecure-registry` / `--registry-mirror` flags (as `--f v` or
/// `--f=v`). Words around them, quoting, continuation lines, comments and line endings stay;
/// a continuation line left empty is dropped. An error when a quoted word spans lines (then
/// the user edits it by hand).
pub fn strip_registry_flags(text: &str) -> Result<Stripped, String> {
    let Some(first) = parse_unit(text)
        .into_iter()
        .rev()
        .find(|d| d.section == "Service" && d.key == "ExecStart" && !d.value.is_empty())
        .map(|d| d.line.saturating_sub(1))
    else {
        return Ok(Stripped {
            text: text.to_string(),
            removed: Vec::new(),
            exec_start: String::new(),
        });
    };
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    // The directive's physical lines: (index, body end, continues). Comment lines inside a
    // continuation are skipped, as systemd skips them.
    let mut parts: Vec<(usize, usize, bool)> = Vec::new();
    let mut i = first;
    while let Some(raw) = lines.get(i) {
        let content = raw.trim_end_matches(['\n', '\r']);
        let trimmed = content.trim();
        if i != first && (trimmed.starts_with('#') || trimmed.starts_with(';')) {
            i += 1;
            continue;
        }
        let t = content.trim_end();
        let (end, cont) = match t.strip_suffix('\\') {
            Some(body) => (body.trim_end().len(), true),
            None => (t.len(), false),
        };
        parts.push((i, end, cont));
        if !cont {
            break;
        }
        i += 1;
    }
    let mut words: Vec<Span> = Vec::new();
    for &(li, end, _) in &parts {
        let line = lines.get(li).copied().unwrap_or("");
        let begin = if li == first {
            line.find('=').map_or(end, |e| e + 1)
        } else {
            0
        };
        words.extend(line_words(line, begin, end, li)?);
    }
    // Which words go: a flag and its value (the next word, wherever it is).
    let mut removed = Vec::new();
    let mut gone: Vec<&Span> = Vec::new();
    let mut k = 1; // the first word is the program
    while let Some(w) = words.get(k) {
        let word = split_words(&w.text).concat();
        let name = REGISTRY_FLAGS
            .iter()
            .find(|f| word.strip_prefix("--").is_some_and(|r| r == **f));
        let with_eq = REGISTRY_FLAGS.iter().find_map(|f| {
            word.strip_prefix("--")
                .and_then(|r| r.strip_prefix(f))
                .and_then(|r| r.strip_prefix('='))
                .map(|v| (*f, v.to_string()))
        });
        if let Some(f) = name {
            let value = words.get(k + 1);
            removed.push(Removed {
                name: (*f).to_string(),
                value: value
                    .map(|v| split_words(&v.text).concat())
                    .unwrap_or_default(),
            });
            gone.push(w);
            gone.extend(value);
            k += 2;
        } else if let Some((f, v)) = with_eq {
            removed.push(Removed {
                name: f.to_string(),
                value: v,
            });
            gone.push(w);
            k += 1;
        } else {
            k += 1;
        }
    }
    if removed.is_empty() {
        return Ok(Stripped {
            text: text.to_string(),
            removed,
            exec_start: exec_start_at(text, first),
        });
    }
    // Rebuild the directive's lines.
    let mut out: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    let mut dropped: Vec<usize> = Vec::new();
    for &(li, end, _) in &parts {
        let line = lines.get(li).copied().unwrap_or("");
        let mut cuts: Vec<(usize, usize)> = gone
            .iter()
            .filter(|w| w.line == li)
            .map(|w| widen(line, w.start, w.end, end))
            .collect();
        if cuts.is_empty() {
            continue;
        }
        cuts.sort_unstable();
        let mut body = String::new();
        let mut at = 0;
        for (s, e) in cuts {
            if s >= at {
                body.push_str(line.get(at..s).unwrap_or(""));
            }
            at = at.max(e);
        }
        body.push_str(line.get(at..end).unwrap_or(""));
        let value_start = if li == first {
            line.find('=').map_or(0, |e| e + 1)
        } else {
            0
        };
        if li != first && body.get(value_start..).unwrap_or("").trim().is_empty() {
            dropped.push(li);
            continue;
        }
        body.push_str(line.get(end..).unwrap_or(""));
        if let Some(slot) = out.get_mut(li) {
            *slot = body;
        }
    }
    // The directive must still end where it did: if its last line went, the new last line
    // loses its continuation backslash.
    let last_cont = parts.last().is_some_and(|p| p.2);
    let kept: Vec<usize> = parts
        .iter()
        .map(|p| p.0)
        .filter(|li| !dropped.contains(li))
        .collect();
    if !last_cont && let Some(slot) = kept.last().and_then(|li| out.get_mut(*li)) {
        let eol_at = slot.trim_end_matches(['\n', '\r']).len();
        let eol = slot.get(eol_at..).unwrap_or("").to_string();
        let content = slot.get(..eol_at).unwrap_or("").trim_end();
        if let Some(body) = content.strip_suffix('\\') {
            *slot = format!("{}{eol}", body.trim_end());
        }
    }
    let text: String = out
        .iter()
        .enumerate()
        .filter(|(i, _)| !dropped.contains(i))
        .map(|(_, l)| l.as_str())
        .collect();
    let exec_start = exec_start_at(&text, first);
    Ok(Stripped {
        text,
        removed,
        exec_start,
    })
}

/// The value of the `ExecStart=` that starts on line index `at`.
fn exec_start_at(text: &str, at: usize) -> String {
    parse_unit(text)
        .into_iter()
        .find(|d| d.line == at + 1 && d.key == "ExecStart")
        .map(|d| d.value)
        .unwrap_or_default()
}

/// A word's byte range widened to take the blanks before it (or after it, when it is the
/// first word on its line), so no double blank is left.
fn widen(line: &str, start: usize, end: usize, body_end: usize) -> (usize, usize) {
    let bytes = line.as_bytes();
    let mut s = start;
    while s > 0 && bytes.get(s - 1).is_some_and(|b| *b == b' ' || *b == b'\t') {
        s -= 1;
    }
    let at_line_start = s == 0 || bytes.get(s - 1) == Some(&b'=');
    if !at_line_start {
        return (s, end);
    }
    let mut e = end;
    while e < body_end && bytes.get(e).is_some_and(|b| *b == b' ' || *b == b'\t') {
        e += 1;
    }
    (start, e)
}

/// The words of `line[begin..end]` with their byte ranges (quotes and backslashes kept in the
/// text). A quote still open at the end is an error.
fn line_words(line: &str, begin: usize, end: usize, li: usize) -> Result<Vec<Span>, String> {
    let mut out = Vec::new();
    let body = line.get(begin..end).unwrap_or("");
    let mut start: Option<usize> = None;
    let mut quote: Option<char> = None;
    let mut chars = body.char_indices();
    while let Some((i, c)) = chars.next() {
        match (c, quote) {
            ('\\', _) => {
                start.get_or_insert(i);
                chars.next();
            }
            (q @ ('"' | '\''), None) => {
                start.get_or_insert(i);
                quote = Some(q);
            }
            (q, Some(open)) if q == open => quote = None,
            (c, None) if c.is_whitespace() => {
                if let Some(s) = start.take() {
                    out.push(Span {
                        line: li,
                        start: begin + s,
                        end: begin + i,
                        text: body.get(s..i).unwrap_or("").to_string(),
                    });
                }
            }
            _ => {
                start.get_or_insert(i);
            }
        }
    }
    if quote.is_some() {
        return Err(format!(
            "line {}: a quoted word of ExecStart= goes on past the end of the line",
            li + 1
        ));
    }
    if let Some(s) = start {
        out.push(Span {
            line: li,
            start: begin + s,
            end: begin + body.len(),
            text: body.get(s..).unwrap_or("").to_string(),
        });
    }
    Ok(out)
}

/// The drop-in that overrides the `ExecStart=` of `unit` (a packaged file dockcfg does not
/// edit) with `exec_start`, the same command without its registry flags.
pub fn override_dropin(unit: &Path, exec_start: &str, daemon_json: &Path) -> String {
    format!(
        "# Written by `dockcfg migrate`. {unit} belongs to its package, so its ExecStart is\n\
         # overridden here without the registry flags, which now live in {json}\n\
         # (dockerd refuses a setting given both as a flag and in daemon.json).\n\
         [Service]\n\
         ExecStart=\n\
         ExecStart={exec_start}\n",
        unit = unit.display(),
        json = daemon_json.display(),
    )
}

/// The name of the drop-in `migrate` writes next to `existing` drop-in names: `dockcfg-migrate.conf`,
/// or a name sorting after all of them (`zz-...`) when one would come later (the last
/// `ExecStart=` wins).
pub fn dropin_name<'a>(existing: impl IntoIterator<Item = &'a str>) -> String {
    const NAME: &str = "dockcfg-migrate.conf";
    let mut name = NAME.to_string();
    for e in existing {
        while e >= name.as_str() && e != name {
            name = format!("zz-{name}");
        }
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(name: &str, value: &str) -> Removed {
        Removed {
            name: name.into(),
            value: value.into(),
        }
    }

    #[test]
    #[allow(clippy::type_complexity)]
    fn strips_registry_flags_keeping_the_rest() {
        let cases: &[(&str, &str, &[(&str, &str)], &str)] = &[
            (
                // systemctl edit's drop-in with continuations: the flag's line goes.
                "[Service]\nExecStart=\nExecStart=/usr/bin/dockerd -H fd:// \\\n  --insecure-registry=registry.local:5000 \\\n  --containerd=/run/containerd/containerd.sock\n",
                "[Service]\nExecStart=\nExecStart=/usr/bin/dockerd -H fd:// \\\n  --containerd=/run/containerd/containerd.sock\n",
                &[("insecure-registry", "registry.local:5000")],
                "/usr/bin/dockerd -H fd:// --containerd=/run/containerd/containerd.sock",
            ),
            (
                // On the last line: the line before loses its backslash.
                "[Service]\r\nExecStart=\r\nExecStart=/usr/bin/dockerd -H fd:// \\\r\n    --registry-mirror https://m.example\r\nRestart=always\r\n",
                "[Service]\r\nExecStart=\r\nExecStart=/usr/bin/dockerd -H fd://\r\nRestart=always\r\n",
                &[("registry-mirror", "https://m.example")],
                "/usr/bin/dockerd -H fd://",
            ),
            (
                // One line, both forms, quotes, a comment after; other words untouched.
                "# mine\n[Service]\nExecStart=/usr/sbin/dockerd -H fd:// --insecure-registry 10.0.0.1:5000 \"--registry-mirror=http://m:5000\" --debug $DOCKER_OPTS\n# end\n",
                "# mine\n[Service]\nExecStart=/usr/sbin/dockerd -H fd:// --debug $DOCKER_OPTS\n# end\n",
                &[
                    ("insecure-registry", "10.0.0.1:5000"),
                    ("registry-mirror", "http://m:5000"),
                ],
                "/usr/sbin/dockerd -H fd:// --debug $DOCKER_OPTS",
            ),
            (
                // The flag first on a continuation line with more after it.
                "[Service]\nExecStart=/usr/bin/dockerd \\\n\t--insecure-registry=a:1 --debug \\\n\t-H fd://\n",
                "[Service]\nExecStart=/usr/bin/dockerd \\\n\t--debug \\\n\t-H fd://\n",
                &[("insecure-registry", "a:1")],
                "/usr/bin/dockerd --debug -H fd://",
            ),
            (
                // Only the last ExecStart counts; a comment inside the continuation stays.
                "[Service]\nExecStart=/old --insecure-registry=x:1\nExecStart=\nExecStart=/usr/bin/dockerd \\\n# note\n  --insecure-registry y:2\n",
                "[Service]\nExecStart=/old --insecure-registry=x:1\nExecStart=\nExecStart=/usr/bin/dockerd\n# note\n",
                &[("insecure-registry", "y:2")],
                "/usr/bin/dockerd",
            ),
            (
                "[Service]\nExecStart=/usr/bin/dockerd -H fd://\n",
                "[Service]\nExecStart=/usr/bin/dockerd -H fd://\n",
                &[],
                "/usr/bin/dockerd -H fd://",
            ),
            (
                // `--insecure-registry-x` is not the flag; a flag in [Unit] is not a command.
                "[Unit]\nExecStart=/x --insecure-registry=a\n[Service]\nExecStart=/d --insecure-registry-x=1\n",
                "[Unit]\nExecStart=/x --insecure-registry=a\n[Service]\nExecStart=/d --insecure-registry-x=1\n",
                &[],
                "/d --insecure-registry-x=1",
            ),
            (
                "[Service]\nEnvironment=A=1\n",
                "[Service]\nEnvironment=A=1\n",
                &[],
                "",
            ),
        ];
        for (input, want, want_removed, want_exec) in cases {
            let got = strip_registry_flags(input).expect("strips");
            assert_eq!(got.text, *want, "{input:?}");
            let removed: Vec<Removed> = want_removed.iter().map(|(n, v)| r(n, v)).collect();
            assert_eq!(got.removed, removed, "{input:?}");
            assert_eq!(got.exec_start, *want_exec, "{input:?}");
        }
    }

    #[test]
    fn a_quote_across_lines_is_refused() {
        let err = strip_registry_flags(
            "[Service]\nExecStart=/usr/bin/dockerd \"--insecure-registry \\\n a:1\"\n",
        )
        .expect_err("refused");
        assert_eq!(
            err,
            "line 2: a quoted word of ExecStart= goes on past the end of the line"
        );
    }

    #[test]
    fn odd_texts_never_panic() {
        for text in [
            "",
            "[Service]\nExecStart=\\",
            "[Service]\nExecStart=--insecure-registry",
            "[Service]\nExecStart=/d --insecure-registry",
            "[Service]\nExecStart=/d \\\n--registry-mirror\\",
            "[Service]\nExecStart=/d \\\n\\\n\\\n",
            "[Service]\nExecStart=/d 'é --insecure-registry=ü'\n",
            "[Service]\nExecStart=/d \\é\n",
        ] {
            let _ = strip_registry_flags(text);
        }
        // Every prefix and every one-byte change of a real drop-in.
        let text = "# x\r\n[Service]\nExecStart=\nExecStart=/usr/bin/dockerd -H fd:// \\\n  \"--insecure-registry=a:1\" \\\n# c\n  --registry-mirror 'http://m' --debug\nRestart=always\n";
        for end in 0..=text.len() {
            if let Some(prefix) = text.get(..end) {
                let _ = strip_registry_flags(prefix);
            }
        }
        for i in 0..text.len() {
            for b in [b' ', b'\\', b'"', b'\'', b'\n', b'=', b'-'] {
                let mut bytes = text.as_bytes().to_vec();
                bytes[i] = b;
                if let Ok(t) = String::from_utf8(bytes) {
                    let _ = strip_registry_flags(&t);
                }
            }
        }
        let got = strip_registry_flags("[Service]\nExecStart=/d --insecure-registry").expect("ok");
        assert_eq!(got.text, "[Service]\nExecStart=/d");
        assert_eq!(got.removed, vec![r("insecure-registry", "")]);
    }

    #[test]
    fn drop_in_for_a_packaged_unit() {
        assert!(is_packaged(Path::new("/lib/systemd/system/docker.service")));
        assert!(is_packaged(Path::new(
            "/usr/lib/systemd/system/docker.service"
        )));
        assert!(!is_packaged(Path::new(
            "/etc/systemd/system/docker.service"
        )));
        assert!(!is_packaged(Path::new("/library/x")));
        assert_eq!(
            override_dropin(
                Path::new("/lib/systemd/system/docker.service"),
                "/usr/sbin/dockerd -H fd:// $DOCKER_OPTS",
                Path::new("/etc/docker/daemon.json")
            ),
            "# Written by `dockcfg migrate`. /lib/systemd/system/docker.service belongs to its package, so its ExecStart is\n\
             # overridden here without the registry flags, which now live in /etc/docker/daemon.json\n\
             # (dockerd refuses a setting given both as a flag and in daemon.json).\n\
             [Service]\nExecStart=\nExecStart=/usr/sbin/dockerd -H fd:// $DOCKER_OPTS\n"
        );
        assert_eq!(dropin_name([]), "dockcfg-migrate.conf");
        assert_eq!(
            dropin_name(["10-x.conf", "admin.conf"]),
            "dockcfg-migrate.conf"
        );
        assert_eq!(dropin_name(["http-proxy.conf"]), "zz-dockcfg-migrate.conf");
        assert_eq!(dropin_name(["override.conf"]), "zz-dockcfg-migrate.conf");
        assert_eq!(
            dropin_name(["dockcfg-migrate.conf"]),
            "dockcfg-migrate.conf"
        );
    }
}

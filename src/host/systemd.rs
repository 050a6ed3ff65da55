//! systemd unit files as systemd reads them (systemd.syntax(7), systemd.service(5)): sections
//! and `Key=Value` lines with `\` continuations, drop-ins applied in name order after the unit
//! file, an empty `ExecStart=` resetting the list, and the command line's words with `$VAR`
//! (split at blanks) and `${VAR}` (one word) taken from `Environment=` and `EnvironmentFile=`.
//! No I/O: the texts come from a [`SystemView`].

use std::path::{Path, PathBuf};

use crate::host::SystemView;
use crate::opts_file;

/// One `Key=Value` setting of a unit file, continuation lines joined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    pub section: String,
    pub key: String,
    pub value: String,
    /// 1-based line where the setting starts.
    pub line: usize,
}

/// Read a unit file's settings in order. Comments (`#`, `;`) and lines that are not settings
/// are skipped, as systemd skips them (with a warning).
pub fn parse_unit(text: &str) -> Vec<Directive> {
    let mut out = Vec::new();
    let mut section = String::new();
    let mut pending: Option<(String, usize)> = None;
    for (i, raw) in text.lines().enumerate() {
        let line_no = i + 1;
        let line = raw.trim();
        if let Some((mut acc, start)) = pending.take() {
            // Comment lines inside a continuation are skipped (systemd >= 240 does the same).
            if line.starts_with('#') || line.starts_with(';') {
                pending = Some((acc, start));
                continue;
            }
            match line.strip_suffix('\\') {
                Some(part) => {
                    acc.push_str(part.trim_end());
                    acc.push(' ');
                    pending = Some((acc, start));
                }
                None => {
                    acc.push_str(line);
                    push_directive(&mut out, &section, &acc, start);
                }
            }
            continue;
        }
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name.to_string();
            continue;
        }
        match line.strip_suffix('\\') {
            Some(part) => pending = Some((format!("{} ", part.trim_end()), line_no)),
            None => push_directive(&mut out, &section, line, line_no),
        }
    }
    if let Some((acc, start)) = pending {
        push_directive(&mut out, &section, acc.trim_end(), start);
    }
    out
}

fn push_directive(out: &mut Vec<Directive>, section: &str, line: &str, line_no: usize) {
    if let Some((k, v)) = line.split_once('=') {
        out.push(Directive {
            section: section.to_string(),
            key: k.trim().to_string(),
            value: v.trim().to_string(),
            line: line_no,
        });
    }
}

/// A setting's value and where it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    pub value: String,
    pub path: PathBuf,
    pub line: usize,
    /// Written in a drop-in (`*.service.d/*.conf`), not in the unit file.
    pub dropin: bool,
}

/// An `EnvironmentFile=` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvFileRef {
    /// The file, without the `-` prefix.
    pub path: PathBuf,
    /// Written with `-`: a missing file is fine.
    pub optional: bool,
    /// The unit file or drop-in that names it.
    pub declared_in: PathBuf,
}

/// One `NAME=value` from an `Environment=` setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvAssign {
    pub name: String,
    pub value: String,
    pub declared_in: PathBuf,
}

/// A service's settings that matter to dockcfg, after the unit file and its drop-ins.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ServiceUnit {
    /// The unit file itself (the first found in the search path).
    pub path: Option<PathBuf>,
    /// The drop-ins applied, in order.
    pub dropins: Vec<PathBuf>,
    /// `ExecStart=` after resets; one entry for any service that systemd accepts (several
    /// are only allowed for `Type=oneshot`).
    pub exec_start: Vec<Located>,
    /// `ExecReload=` after resets.
    pub exec_reload: Vec<Located>,
    pub environment: Vec<EnvAssign>,
    pub environment_files: Vec<EnvFileRef>,
    /// `Type=`, when set.
    pub service_type: Option<String>,
    /// The unit file is empty or links to /dev/null.
    pub masked: bool,
}

impl ServiceUnit {
    /// The `ExecStart=` systemd runs: the last one.
    pub fn effective_exec_start(&self) -> Option<&Located> {
        self.exec_start.last()
    }
}

/// The unit file and drop-ins of `name` (such as `docker.service`) found in `dirs` (highest
/// precedence first): the first unit file wins; drop-ins `NAME.d/*.conf` from every folder are
/// applied in file-name order, a name in an earlier folder hiding the same name in later ones.
pub fn find_unit(view: &SystemView, dirs: &[PathBuf], name: &str) -> ServiceUnit {
    let main = dirs
        .iter()
        .map(|d| d.join(name))
        .find(|p| view.file(p).is_some() || view.link(p).is_some());
    let mut dropins: Vec<(String, PathBuf)> = Vec::new();
    for d in dirs {
        let folder = d.join(format!("{name}.d"));
        for (path, _) in view.files_in(&folder) {
            let Some(file_name) = path.file_name().map(|f| f.to_string_lossy().into_owned()) else {
                continue;
            };
            if !file_name.ends_with(".conf") || dropins.iter().any(|(n, _)| *n == file_name) {
                continue;
            }
            dropins.push((file_name, path.to_path_buf()));
        }
    }
    dropins.sort();
    let mut unit = ServiceUnit {
        path: main.clone(),
        ..ServiceUnit::default()
    };
    if let Some(p) = &main {
        let to_null = view.link(p).is_some_and(|t| t == Path::new("/dev/null"));
        let text = view.file(p).unwrap_or("");
        unit.masked = to_null || text.trim().is_empty();
        if !unit.masked {
            apply(&mut unit, p, text, false);
        }
    }
    if unit.masked {
        return unit;
    }
    for (_, path) in dropins {
        let text = view.file(&path).unwrap_or("");
        apply(&mut unit, &path, text, true);
        unit.dropins.push(path);
    }
    unit
}

/// Apply one file's `[Service]` settings to `unit`.
pub fn apply(unit: &mut ServiceUnit, path: &Path, text: &str, dropin: bool) {
    for d in parse_unit(text) {
        if d.section != "Service" {
            continue;
        }
        let located = || Located {
            value: d.value.clone(),
            path: path.to_path_buf(),
            line: d.line,
            dropin,
        };
        match d.key.as_str() {
            "ExecStart" | "ExecReload" => {
                let list = if d.key == "ExecStart" {
                    &mut unit.exec_start
                } else {
                    &mut unit.exec_reload
                };
                if d.value.is_empty() {
                    list.clear();
                } else {
                    list.push(located());
                }
            }
            "Environment" => {
                if d.value.is_empty() {
                    unit.environment.clear();
                }
                for word in split_words(&d.value) {
                    if let Some((n, v)) = word.split_once('=') {
                        unit.environment.push(EnvAssign {
                            name: n.to_string(),
                            value: v.to_string(),
                            declared_in: path.to_path_buf(),
                        });
                    }
                }
            }
            "EnvironmentFile" => {
                if d.value.is_empty() {
                    unit.environment_files.clear();
                    continue;
                }
                let (optional, file) = match d.value.strip_prefix('-') {
                    Some(rest) => (true, rest),
                    None => (false, d.value.as_str()),
                };
                unit.environment_files.push(EnvFileRef {
                    path: PathBuf::from(file.trim()),
                    optional,
                    declared_in: path.to_path_buf(),
                });
            }
            "Type" => unit.service_type = Some(d.value.clone()),
            _ => {}
        }
    }
}

/// The `EnvironmentFile=` paths a unit text names (for the reader, which must read them too).
pub fn environment_file_paths(text: &str) -> Vec<PathBuf> {
    parse_unit(text)
        .into_iter()
        .filter(|d| d.section == "Service" && d.key == "EnvironmentFile" && !d.value.is_empty())
        .map(|d| PathBuf::from(d.value.trim_start_matches('-').trim()))
        .collect()
}

/// Split a setting's value into words as systemd does: blanks separate, `"..."` and `'...'`
/// group (and may sit inside a word), backslash escapes (`\n`, `\t`, `\\`, `\"`, ...).
pub fn split_words(value: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        match (c, quote) {
            ('\\', _) => {
                in_word = true;
                match chars.next() {
                    Some('n') => cur.push('\n'),
                    Some('t') => cur.push('\t'),
                    Some('r') => cur.push('\r'),
                    Some('s') => cur.push(' '),
                    Some(other) => cur.push(other),
                    None => cur.push('\\'),
                }
            }
            (q @ ('"' | '\''), None) => {
                quote = Some(q);
                in_word = true;
            }
            (q, Some(open)) if q == open => quote = None,
            (c, None) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            (c, _) => {
                cur.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    words
}

/// Where one word of an expanded command line came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WordOrigin {
    /// Written in the command line itself.
    Literal,
    /// From the value of this variable (`$NAME` or `${NAME}`).
    Var(String),
}

/// One word of an expanded command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    pub text: String,
    pub origin: WordOrigin,
}

/// The argv systemd runs for a command line: prefixes (`-`, `@`, `:`, `+`, `!`) handled, then
/// each word that is exactly `$NAME` replaced by the variable's value split at blanks (zero or
/// more words), `${NAME}` replaced in place (one word), `$$` by `$`. `lookup` gives a
/// variable's value (unset variables are empty). The `:` prefix turns expansion off.
pub fn expand_command(line: &str, lookup: &dyn Fn(&str) -> Option<String>) -> Vec<Word> {
    let mut words = split_words(line);
    let mut expand = true;
    if let Some(first) = words.first_mut() {
        let prefix_len = first
            .find(|c: char| !matches!(c, '-' | '@' | ':' | '+' | '!'))
            .unwrap_or(first.len());
        let prefix = first.get(..prefix_len).unwrap_or("").to_string();
        *first = first.get(prefix_len..).unwrap_or("").to_string();
        expand = !prefix.contains(':');
        if prefix.contains('@') && words.len() > 1 {
            // `@/usr/bin/x name ...`: the second word is only argv[0]'s spelling.
            words.remove(1);
        }
    }
    let mut out = Vec::new();
    for w in words {
        if !expand {
            out.push(Word {
                text: w,
                origin: WordOrigin::Literal,
            });
            continue;
        }
        if let Some(name) = w.strip_prefix('$').filter(|n| is_var_name(n)) {
            let value = lookup(name).unwrap_or_default();
            for part in value.split_whitespace() {
                out.push(Word {
                    text: part.to_string(),
                    origin: WordOrigin::Var(name.to_string()),
                });
            }
            continue;
        }
        let (text, var) = replace_braced(&w, lookup);
        out.push(Word {
            text,
            origin: var.map_or(WordOrigin::Literal, WordOrigin::Var),
        });
    }
    out
}

/// The variables a command line uses (`$NAME` as a word, `${NAME}` anywhere), in order.
pub fn referenced_vars(line: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for w in split_words(line) {
        let mut found = Vec::new();
        if let Some(name) = w.strip_prefix('$').filter(|n| is_var_name(n)) {
            found.push(name.to_string());
        } else {
            let mut rest = w.as_str();
            while let Some(i) = rest.find("${") {
                let after = rest.get(i + 2..).unwrap_or("");
                match after.split_once('}') {
                    Some((n, tail)) => {
                        if is_var_name(n) {
                            found.push(n.to_string());
                        }
                        rest = tail;
                    }
                    None => break,
                }
            }
        }
        for n in found {
            if !out.contains(&n) {
                out.push(n);
            }
        }
    }
    out
}

fn is_var_name(s: &str) -> bool {
    let mut cs = s.chars();
    cs.next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && cs.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Replace `${NAME}` and `$$` in one word; the first variable used is returned.
fn replace_braced(word: &str, lookup: &dyn Fn(&str) -> Option<String>) -> (String, Option<String>) {
    let mut out = String::new();
    let mut first_var = None;
    let mut rest = word;
    while let Some(i) = rest.find('$') {
        out.push_str(rest.get(..i).unwrap_or(""));
        let after = rest.get(i + 1..).unwrap_or("");
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
        } else if let Some((name, tail)) = after
            .strip_prefix('{')
            .and_then(|b| b.split_once('}'))
            .filter(|(n, _)| is_var_name(n))
        {
            out.push_str(&lookup(name).unwrap_or_default());
            first_var.get_or_insert_with(|| name.to_string());
            rest = tail;
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    (out, first_var)
}

/// The value an environment file gives `name`. DOCKER_OPTS / OPTIONS are read with the same
/// parser that edits them ([`opts_file`]); other variables from their last plain assignment.
/// systemd's own reader is simpler than a shell (no `if`, no `$VAR` in old versions); for the
/// files Docker packages ship the results agree.
pub fn env_file_value(text: &str, name: &str) -> Option<String> {
    let parsed = opts_file::parse(text).ok();
    if let Some(p) = &parsed {
        if p.var_name() == Some(name) {
            return p.effective_value().map(str::to_string);
        }
        let last = p.assignments().iter().rev().find(|a| a.name == name);
        if let Some(a) = last {
            return text.get(a.inner_span.clone()).map(str::to_string);
        }
        return None;
    }
    // The shell could not read it: fall back to the last `NAME=value` line.
    text.lines()
        .rev()
        .filter_map(|l| l.trim().strip_prefix(name)?.strip_prefix('='))
        .map(|v| v.trim().trim_matches(['"', '\'']).to_string())
        .next()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::EnvView;
    use crate::host::Os;

    #[test]
    fn parses_settings_with_continuations_and_comments() {
        let text = "[Unit]\nDescription=Docker\n\n[Service]\n# c\nExecStart=/usr/bin/dockerd \\\n  -H fd:// \\\n# inside\n  --containerd=/run/c.sock\nExecReload=/bin/kill -s HUP $MAINPID\n; x\nnot a setting\n";
        let got: Vec<_> = parse_unit(text)
            .into_iter()
            .map(|d| (d.section, d.key, d.value, d.line))
            .collect();
        let s = |a: &str| a.to_string();
        assert_eq!(
            got,
            [
                (s("Unit"), s("Description"), s("Docker"), 2),
                (
                    s("Service"),
                    s("ExecStart"),
                    s("/usr/bin/dockerd -H fd:// --containerd=/run/c.sock"),
                    6
                ),
                (
                    s("Service"),
                    s("ExecReload"),
                    s("/bin/kill -s HUP $MAINPID"),
                    10
                ),
            ]
        );
        // A continuation at the very end of the file still counts.
        let tail = parse_unit("[Service]\nExecStart=/x \\");
        assert_eq!(tail.first().map(|d| d.value.as_str()), Some("/x"));
    }

    #[test]
    fn splits_words_like_systemd() {
        let cases: &[(&str, &[&str])] = &[
            (
                "/usr/bin/dockerd -H fd://",
                &["/usr/bin/dockerd", "-H", "fd://"],
            ),
            (r#"a "b c" 'd e'"#, &["a", "b c", "d e"]),
            (r#"--label="x y"z"#, &["--label=x yz"]),
            (r#"a\ b \"q\""#, &["a b", "\"q\""]),
            ("  ", &[]),
            (r#""A=1" B=2"#, &["A=1", "B=2"]),
        ];
        for (line, want) in cases {
            assert_eq!(split_words(line), *want, "{line}");
        }
    }

    fn show(words: &[Word]) -> Vec<String> {
        words
            .iter()
            .map(|w| match &w.origin {
                WordOrigin::Literal => w.text.clone(),
                WordOrigin::Var(v) => format!("{}<{v}>", w.text),
            })
            .collect()
    }

    #[test]
    fn expands_variables_as_systemd_does() {
        let lookup = |n: &str| match n {
            "DOCKER_OPTS" => Some("--insecure-registry a:5000  --debug".to_string()),
            "ONE" => Some("x y".to_string()),
            _ => None,
        };
        let cases: &[(&str, &[&str])] = &[
            (
                "/usr/sbin/dockerd -H fd:// $DOCKER_OPTS",
                &[
                    "/usr/sbin/dockerd",
                    "-H",
                    "fd://",
                    "--insecure-registry<DOCKER_OPTS>",
                    "a:5000<DOCKER_OPTS>",
                    "--debug<DOCKER_OPTS>",
                ],
            ),
            ("/d ${ONE}", &["/d", "x y<ONE>"]),
            ("/d --label=${ONE}", &["/d", "--label=x y<ONE>"]),
            ("/d $UNSET ${UNSET}", &["/d", "<UNSET>"]),
            (
                "/d --x=$$HOME $ONE",
                &["/d", "--x=$HOME", "x<ONE>", "y<ONE>"],
            ),
            (
                "-/usr/bin/dockerd --debug",
                &["/usr/bin/dockerd", "--debug"],
            ),
            (
                "@/usr/bin/dockerd dockerd --debug",
                &["/usr/bin/dockerd", "--debug"],
            ),
            (":/usr/bin/dockerd $ONE", &["/usr/bin/dockerd", "$ONE"]),
            ("/d --x=$ONE", &["/d", "--x=$ONE"]),
        ];
        for (line, want) in cases {
            assert_eq!(show(&expand_command(line, &lookup)), *want, "{line}");
        }
    }

    fn view(files: &[(&str, &str)]) -> SystemView {
        files
            .iter()
            .fold(SystemView::new(Os::Linux, EnvView::new(0)), |v, (p, t)| {
                v.with_file(*p, *t)
            })
    }

    fn dirs() -> Vec<PathBuf> {
        crate::host::paths::SYSTEM_UNIT_DIRS
            .iter()
            .map(PathBuf::from)
            .collect()
    }

    #[test]
    fn drop_ins_reset_and_replace_exec_start() {
        let v = view(&[
            (
                "/lib/systemd/system/docker.service",
                "[Service]\nEnvironmentFile=-/etc/default/docker\nExecStart=/usr/sbin/dockerd -H fd:// $DOCKER_OPTS\nExecReload=/bin/kill -s HUP $MAINPID\n",
            ),
            (
                "/etc/systemd/system/docker.service.d/20-hosts.conf",
                "[Service]\nExecStart=\nExecStart=/usr/bin/dockerd -H fd:// -H tcp://0.0.0.0:2375\n",
            ),
            (
                "/etc/systemd/system/docker.service.d/10-env.conf",
                "[Service]\nEnvironment=\"HTTP_PROXY=http://p:3128\" NO_PROXY=localhost\n",
            ),
            // Hidden by the /etc drop-in of the same name.
            (
                "/lib/systemd/system/docker.service.d/20-hosts.conf",
                "[Service]\nExecStart=\nExecStart=/hidden\n",
            ),
            (
                "/etc/systemd/system/docker.service.d/notes.txt",
                "[Service]\nExecStart=/ignored\n",
            ),
        ]);
        let u = find_unit(&v, &dirs(), "docker.service");
        assert_eq!(
            u.path,
            Some(PathBuf::from("/lib/systemd/system/docker.service"))
        );
        assert_eq!(
            u.dropins,
            [
                PathBuf::from("/etc/systemd/system/docker.service.d/10-env.conf"),
                PathBuf::from("/etc/systemd/system/docker.service.d/20-hosts.conf"),
            ]
        );
        let start = u.effective_exec_start().expect("an ExecStart");
        assert_eq!(
            start.value,
            "/usr/bin/dockerd -H fd:// -H tcp://0.0.0.0:2375"
        );
        assert_eq!((start.line, start.dropin), (3, true));
        assert_eq!(u.exec_start.len(), 1);
        assert_eq!(u.exec_reload.len(), 1);
        let env: Vec<_> = u
            .environment
            .iter()
            .map(|e| (e.name.as_str(), e.value.as_str()))
            .collect();
        assert_eq!(
            env,
            [("HTTP_PROXY", "http://p:3128"), ("NO_PROXY", "localhost")]
        );
        assert_eq!(
            u.environment_files,
            [EnvFileRef {
                path: "/etc/default/docker".into(),
                optional: true,
                declared_in: "/lib/systemd/system/docker.service".into()
            }]
        );
    }

    #[test]
    fn a_second_exec_start_without_reset_is_kept_and_a_unit_in_etc_wins() {
        let v = view(&[
            (
                "/lib/systemd/system/docker.service",
                "[Service]\nExecStart=/lib/one\n",
            ),
            (
                "/etc/systemd/system/docker.service",
                "[Service]\nExecStart=/etc/one\nExecReload=/x\n",
            ),
            (
                "/etc/systemd/system/docker.service.d/a.conf",
                "[Service]\nExecStart=/etc/two\nExecReload=\n",
            ),
        ]);
        let u = find_unit(&v, &dirs(), "docker.service");
        assert_eq!(
            u.path,
            Some(PathBuf::from("/etc/systemd/system/docker.service"))
        );
        let starts: Vec<_> = u.exec_start.iter().map(|l| l.value.as_str()).collect();
        assert_eq!(starts, ["/etc/one", "/etc/two"]);
        assert!(u.exec_reload.is_empty());
    }

    #[test]
    fn a_masked_unit_has_no_settings() {
        let v = view(&[(
            "/lib/systemd/system/docker.service",
            "[Service]\nExecStart=/x\n",
        )])
        .with_link("/etc/systemd/system/docker.service", "/dev/null")
        .with_file("/etc/systemd/system/docker.service", "");
        let u = find_unit(&v, &dirs(), "docker.service");
        assert!(u.masked);
        assert!(u.exec_start.is_empty());
    }

    #[test]
    fn lists_the_variables_a_command_uses() {
        assert_eq!(
            referenced_vars(
                "/usr/bin/dockerd-current --x=${A} $OPTIONS $DOCKER_STORAGE_OPTIONS ${A}${B} $$C --y=$D"
            ),
            ["A", "OPTIONS", "DOCKER_STORAGE_OPTIONS", "B"]
        );
        assert!(referenced_vars("/usr/bin/dockerd -H fd://").is_empty());
    }

    #[test]
    fn values_from_environment_files() {
        let rhel = "OPTIONS='--selinux-enabled --log-driver=journald'\nif [ -z \"${DOCKER_CERT_PATH}\" ]; then\n    DOCKER_CERT_PATH=/etc/docker\nfi\nINSECURE_REGISTRY='--insecure-registry r.example:5000'\n";
        assert_eq!(
            env_file_value(rhel, "OPTIONS").as_deref(),
            Some("--selinux-enabled --log-driver=journald")
        );
        assert_eq!(
            env_file_value(rhel, "INSECURE_REGISTRY").as_deref(),
            Some("--insecure-registry r.example:5000")
        );
        assert_eq!(env_file_value(rhel, "NOPE"), None);
        let debian = "DOCKER_OPTS=\"--dns 8.8.8.8\"\nDOCKER_OPTS=\"$DOCKER_OPTS --insecure-registry a:5000\"\n";
        assert_eq!(
            env_file_value(debian, "DOCKER_OPTS").as_deref(),
            Some("--dns 8.8.8.8 --insecure-registry a:5000")
        );
        // Unreadable for a shell (open quote): the last plain line still counts.
        assert_eq!(
            env_file_value("A=1\nB=\"x\nA=2\n", "A").as_deref(),
            Some("2")
        );
        assert_eq!(
            environment_file_paths(
                "[Service]\nEnvironmentFile=-/etc/sysconfig/docker\nEnvironmentFile=/etc/sysconfig/docker-storage\n"
            ),
            [
                PathBuf::from("/etc/sysconfig/docker"),
                PathBuf::from("/etc/sysconfig/docker-storage")
            ]
        );
    }
}

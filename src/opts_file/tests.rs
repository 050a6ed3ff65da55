//! Tests over real-world and hand-made DOCKER_OPTS / OPTIONS files (fixtures/opts/) and small
//! inline files: what `parse` finds, the exact text `set_values` returns, and the errors.

use super::*;
use RegistryFlag::{InsecureRegistry as Insecure, RegistryMirror as Mirror};

macro_rules! fixture {
    ($name:literal) => {
        ($name, include_str!(concat!("../../fixtures/opts/", $name)))
    };
}
macro_rules! out {
    ($name:literal) => {
        include_str!(concat!("../../fixtures/opts/out/", $name, ".out"))
    };
}

const UBUNTU: (&str, &str) = fixture!("ubuntu-14.04-docker-1.9.default");
const ENGINE_113: (&str, &str) = fixture!("ubuntu-14.04-docker-engine-1.13.default");
const DEBIAN: (&str, &str) = fixture!("debian-12-docker.io.default");
const ALPINE: (&str, &str) = fixture!("alpine-docker.confd");
const RHEL: (&str, &str) = fixture!("rhel-7-docker.sysconfig");
const APPEND: (&str, &str) = fixture!("append-idiom.default");
const CRLF: (&str, &str) = fixture!("crlf.default");
const SINGLE: (&str, &str) = fixture!("single-quoted.sysconfig");
const UNQUOTED: (&str, &str) = fixture!("unquoted.confd");
const EXPORT: (&str, &str) = fixture!("export-both-forms.default");
const MULTILINE: (&str, &str) = fixture!("multiline.default");
const RESET: (&str, &str) = fixture!("reset.default");

const ALL: [(&str, &str); 12] = [
    UBUNTU, ENGINE_113, DEBIAN, ALPINE, RHEL, APPEND, CRLF, SINGLE, UNQUOTED, EXPORT, MULTILINE,
    RESET,
];

/// (fixture, variable, insecure registries, mirrors, every flag as written)
type ParseCase = (
    (&'static str, &'static str),
    Option<&'static str>,
    &'static [&'static str],
    &'static [&'static str],
    &'static [&'static str],
);
/// (case, fixture, flag, wanted values, expected text)
type FixtureEdit = (
    &'static str,
    (&'static str, &'static str),
    RegistryFlag,
    &'static [&'static str],
    &'static str,
);
/// (text, flag, wanted values, error code, line:col)
type Refusal = (
    &'static str,
    RegistryFlag,
    &'static [&'static str],
    &'static str,
    Option<(usize, usize)>,
);

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// Flags as a user would write them back: `--dns 8.8.8.8`, `-H=tcp://x`, `--debug`.
fn shown(f: &OptsFile) -> Vec<String> {
    f.flags()
        .iter()
        .map(|x| {
            let d = "-".repeat(usize::from(x.dashes));
            match (&x.value, x.form) {
                (Some(v), FlagForm::Equals) => format!("{d}{}={v}", x.name),
                (Some(v), FlagForm::Attached) => format!("{d}{}{v}", x.name),
                (Some(v), _) => format!("{d}{} {v}", x.name),
                (None, _) => format!("{d}{}", x.name),
            }
        })
        .collect()
}

#[test]
fn parses_fixtures() {
    let cases: &[ParseCase] = &[
        (UBUNTU, None, &[], &[], &[]),
        (ENGINE_113, None, &[], &[], &[]),
        (DEBIAN, None, &[], &[], &[]),
        (ALPINE, Some("DOCKER_OPTS"), &[], &[], &[]),
        (
            RHEL,
            Some("OPTIONS"),
            &[],
            &[],
            &[
                "--selinux-enabled",
                "--log-driver journald",
                "--signature-verification=false",
            ],
        ),
        (
            APPEND,
            Some("DOCKER_OPTS"),
            &["old.example.com:5000", "registry.local:5000"],
            &["https://mirror.example.com"],
            &[
                "--dns 8.8.8.8",
                "--insecure-registry=old.example.com:5000",
                "--insecure-registry registry.local:5000",
                "--registry-mirror https://mirror.example.com",
            ],
        ),
        (
            CRLF,
            Some("DOCKER_OPTS"),
            &["10.0.0.5:5000"],
            &[],
            &[
                "-H unix:///var/run/docker.sock",
                "--insecure-registry 10.0.0.5:5000",
            ],
        ),
        (
            SINGLE,
            Some("OPTIONS"),
            &["172.30.0.0/16"],
            &["https://mirror.gcr.io"],
            &[
                "--selinux-enabled",
                "--insecure-registry 172.30.0.0/16",
                "--log-driver=journald",
                "--registry-mirror=https://mirror.gcr.io",
            ],
        ),
        (
            UNQUOTED,
            Some("DOCKER_OPTS"),
            &["registry.local:5000"],
            &[],
            &["--insecure-registry=registry.local:5000"],
        ),
        (
            EXPORT,
            Some("DOCKER_OPTS"),
            &[],
            &["https://m1.example.com", "https://m2.example.com"],
            &[
                "-H fd://",
                "-H=tcp://0.0.0.0:2375",
                "--registry-mirror https://m1.example.com",
                "--iptables=false",
                "--registry-mirror=https://m2.example.com",
                "-D",
            ],
        ),
        (
            MULTILINE,
            Some("DOCKER_OPTS"),
            &["a.example.com:5000", "b.example.com:5000"],
            &[],
            &[
                "--dns 8.8.8.8",
                "--insecure-registry a.example.com:5000",
                "--insecure-registry b.example.com:5000",
                "--debug",
            ],
        ),
        (RESET, Some("DOCKER_OPTS"), &[], &[], &["--debug"]),
    ];
    for ((name, text), var, insecure, mirrors, flags) in cases {
        let f = parse(text).unwrap_or_else(|d| panic!("{name}: {d:?}"));
        assert_eq!(f.var_name(), *var, "{name}");
        assert_eq!(f.values(Insecure), strings(insecure), "{name}");
        assert_eq!(f.values(Mirror), strings(mirrors), "{name}");
        // RHEL's `--log-driver=journald` is shown in its own spelling below.
        let want: Vec<String> = flags
            .iter()
            .map(|s| s.replace("--log-driver journald", "--log-driver=journald"))
            .collect();
        assert_eq!(shown(&f), want, "{name}");
    }
}

#[test]
fn flags_know_their_place_and_long_names() {
    let f = parse(EXPORT.1).unwrap();
    let flags = f.flags();
    let h = &flags[0];
    assert_eq!((h.name.as_str(), h.long_name(), h.dashes), ("H", "host", 1));
    assert_eq!((h.pos.line, h.pos.col), (2, 21));
    assert_eq!(&EXPORT.1[h.span.clone()], "-H fd://");
    let m1 = &flags[2];
    assert_eq!(
        &EXPORT.1[m1.span.clone()],
        "--registry-mirror https://m1.example.com"
    );
    assert!(flags.iter().all(|f| f.editable));
    assert_eq!(flags[5].long_name(), "debug");

    let f = parse(APPEND.1).unwrap();
    let lines: Vec<usize> = f.flags().iter().map(|f| f.pos.line).collect();
    assert_eq!(lines, [2, 2, 5, 6]);
    assert_eq!(
        f.effective_value(),
        Some(
            "--dns 8.8.8.8 --insecure-registry=old.example.com:5000 --insecure-registry \
             registry.local:5000 --registry-mirror https://mirror.example.com"
        )
    );
    let a = &f.assignments()[0];
    assert_eq!(
        (a.name.as_str(), a.quote, a.line),
        ("DOCKER_OPTS", QuoteStyle::Double, 2)
    );
    assert_eq!(
        &APPEND.1[a.inner_span.clone()],
        "--dns 8.8.8.8 --insecure-registry=old.example.com:5000"
    );
    assert!(f.assignments()[3].exported);
}

#[test]
fn parses_inline_files() {
    let cases: &[(&str, Option<&str>, &[&str])] = &[
        // quotes inside the value are plain characters when the init script expands it
        (
            "DOCKER_OPTS='--label \"a b\"'\n",
            Some("DOCKER_OPTS"),
            &["--label \"a"],
        ),
        ("DOCKER_OPTS=\n", Some("DOCKER_OPTS"), &[]),
        (
            "DOCKER_OPTS=\"--dns 1.1.1.1\"; OPTIONS='--debug'\n",
            Some("DOCKER_OPTS"),
            &["--dns 1.1.1.1"],
        ),
        ("OPTIONS=\"-D\"\n", Some("OPTIONS"), &["-D"]),
        // `VAR=a b` runs `b` with VAR in its environment: nothing is assigned
        ("DOCKER_OPTS=--debug --iptables=false\n", None, &[]),
        (
            "X=\"--insecure-registry x:1\"\nDOCKER_OPTS=\"$X -D\"\n",
            Some("DOCKER_OPTS"),
            &["--insecure-registry x:1", "-D"],
        ),
        (
            "DOCKER_OPTS=\"--label host=$HOSTNAME\"\n",
            Some("DOCKER_OPTS"),
            &["--label host=$HOSTNAME"],
        ),
        ("#DOCKER_OPTS=\"--debug\"\n", None, &[]),
        (
            "DOCKER_OPTS=\"--data-root /srv/d -g /old -p /run/d.pid --debug\"\n",
            Some("DOCKER_OPTS"),
            &["--data-root /srv/d", "-g /old", "-p /run/d.pid", "--debug"],
        ),
    ];
    for (text, var, flags) in cases {
        let f = parse(text).unwrap();
        assert_eq!(f.var_name(), *var, "{text:?}");
        assert_eq!(shown(&f), strings(flags), "{text:?}");
    }

    // `-insecure-registry` (one dash) is not the registry flag: dockerd refuses it.
    let f = parse("DOCKER_OPTS=\"-insecure-registry x --insecure-registry y\"\n").unwrap();
    assert_eq!(f.values(Insecure), strings(&["y"]));
    // A flag that comes through another variable is reported but not editable.
    let f = parse("X=\"--registry-mirror https://m\"\nDOCKER_OPTS=\"$X -D\"\n").unwrap();
    let editable: Vec<bool> = f.flags().iter().map(|f| f.editable).collect();
    assert_eq!(editable, [false, true]);
    assert_eq!(f.flags()[0].pos.line, 1);
}

#[test]
fn warns_about_likely_mistakes() {
    let cases: &[(&str, &[&str])] = &[
        ("DOCKER_OPTS=--debug --iptables=false\n", &["not-assigned"]),
        ("DOCKER_OPTS+=\" --debug\"\n", &["bash-only"]),
        (
            "DOCKER_OPTS=\"$(cat /etc/docker/opts)\"\n",
            &["opaque-value"],
        ),
        ("DOCKER_OPTS=\"--debug\"\r\n", &["crlf"]),
        ("DOCKER_OPTS=\"--debug\"\n", &[]),
    ];
    for (text, codes) in cases {
        let f = parse(text).unwrap();
        let got: Vec<&str> = f.warnings().iter().map(|d| d.code).collect();
        assert_eq!(got, *codes, "{text:?}");
    }
    assert!(parse(CRLF.1).unwrap().uses_crlf());
}

#[test]
fn unterminated_quote_is_reported_where_it_opens() {
    let text = "# /etc/default/docker\nDOCKER_OPTS=\"--insecure-registry r:5000\n\nexport X=1\n";
    let d = parse(text).unwrap_err();
    assert_eq!(
        d.render("/etc/default/docker", text, false),
        "/etc/default/docker:2:13: error: unterminated double quote in the value of DOCKER_OPTS: \
         the file ends before its closing \"\n\
         2 | DOCKER_OPTS=\"--insecure-registry r:5000\n  \
         |             ^\n\
         help: add the missing \" where the value ends; until then the shell (and so the docker \
         service) cannot read this file, and dockcfg will not edit it\n"
    );
    let text = "OPTIONS='--selinux-enabled\r\n";
    let p = parse(text).unwrap_err().pos.unwrap();
    assert_eq!((p.line, p.col), (1, 9));
}

/// Lines of `text` that belong to an assignment of `var` (0-based).
fn var_lines(text: &str, var: &str) -> Vec<usize> {
    let f = parse(text).unwrap();
    let line_of = |off: usize| text[..off].matches('\n').count();
    f.assignments()
        .iter()
        .filter(|a| a.name == var)
        .flat_map(|a| line_of(a.name_start)..=line_of(a.value_span.end))
        .collect()
}

/// Every changed line, before and after, is a line of the options variable's assignments.
fn assert_only_var_lines_changed(name: &str, before: &str, after: &str) {
    let Some(var) = parse(after).unwrap().var_name().map(str::to_string) else {
        assert_eq!(before, after, "{name}");
        return;
    };
    let (old_ok, new_ok) = (var_lines(before, &var), var_lines(after, &var));
    let diff = similar::TextDiff::from_lines(before, after);
    for op in diff.ops() {
        let (tag, old, new) = op.as_tag_tuple();
        if tag == similar::DiffTag::Equal {
            continue;
        }
        for l in old {
            assert!(old_ok.contains(&l), "{name}: line {} changed", l + 1);
        }
        for l in new {
            assert!(
                new_ok.contains(&l),
                "{name}: new line {} is not {var}",
                l + 1
            );
        }
    }
}

#[test]
fn edits_fixtures_exactly() {
    let cases: &[FixtureEdit] = &[
        (
            "ubuntu add",
            UBUNTU,
            Insecure,
            &["registry.local:5000"],
            out!("ubuntu-14.04-add-insecure"),
        ),
        (
            "ubuntu mirrors",
            UBUNTU,
            Mirror,
            &["https://a.example.com", "https://b.example.com"],
            out!("ubuntu-14.04-add-mirrors"),
        ),
        (
            "engine 1.13 add",
            ENGINE_113,
            Insecure,
            &["registry.local:5000"],
            out!("docker-engine-1.13-add-insecure"),
        ),
        (
            "debian add at the end",
            DEBIAN,
            Insecure,
            &["registry.local:5000"],
            out!("debian-12-add-insecure"),
        ),
        (
            "alpine add",
            ALPINE,
            Insecure,
            &["registry.local:5000"],
            out!("alpine-add-insecure"),
        ),
        (
            "alpine mirrors",
            ALPINE,
            Mirror,
            &["https://a.example.com", "https://b.example.com"],
            out!("alpine-add-mirrors"),
        ),
        (
            "rhel add",
            RHEL,
            Insecure,
            &["172.30.0.0/16"],
            out!("rhel-7-add-insecure"),
        ),
        (
            "append idiom: remove from the first line",
            APPEND,
            Insecure,
            &["registry.local:5000"],
            out!("append-idiom-remove-first-line"),
        ),
        (
            "append idiom: remove from the second line",
            APPEND,
            Insecure,
            &["old.example.com:5000"],
            out!("append-idiom-remove-second-line"),
        ),
        (
            "append idiom: add",
            APPEND,
            Insecure,
            &[
                "old.example.com:5000",
                "registry.local:5000",
                "new.example.com",
            ],
            out!("append-idiom-add"),
        ),
        (
            "append idiom: replace",
            APPEND,
            Insecure,
            &["registry.local:5000", "new.example.com"],
            out!("append-idiom-replace"),
        ),
        (
            "append idiom: a mirror put first",
            APPEND,
            Mirror,
            &["https://first.example.com", "https://mirror.example.com"],
            out!("append-idiom-mirror-first"),
        ),
        (
            "crlf add",
            CRLF,
            Insecure,
            &["10.0.0.5:5000", "registry.local:5000"],
            out!("crlf-add-insecure"),
        ),
        (
            "crlf remove",
            CRLF,
            Insecure,
            &[],
            out!("crlf-remove-insecure"),
        ),
        (
            "single quotes add",
            SINGLE,
            Insecure,
            &["172.30.0.0/16", "10.1.0.0/16"],
            out!("single-quoted-add-insecure"),
        ),
        (
            "single quotes remove",
            SINGLE,
            Mirror,
            &[],
            out!("single-quoted-remove-mirror"),
        ),
        (
            "single quotes add in the = spelling",
            SINGLE,
            Mirror,
            &["https://mirror.gcr.io", "https://m2.example.com"],
            out!("single-quoted-add-mirror"),
        ),
        (
            "unquoted add gets quotes",
            UNQUOTED,
            Insecure,
            &["registry.local:5000", "b.example.com"],
            out!("unquoted-add-insecure"),
        ),
        (
            "unquoted remove",
            UNQUOTED,
            Insecure,
            &[],
            out!("unquoted-remove-insecure"),
        ),
        (
            "unquoted add the other flag",
            UNQUOTED,
            Mirror,
            &["https://m.example.com"],
            out!("unquoted-add-mirror"),
        ),
        (
            "export remove",
            EXPORT,
            Mirror,
            &["https://m2.example.com"],
            out!("export-remove-mirror"),
        ),
        (
            "export reorder",
            EXPORT,
            Mirror,
            &["https://m2.example.com", "https://m1.example.com"],
            out!("export-reorder-mirrors"),
        ),
        (
            "export add",
            EXPORT,
            Insecure,
            &["reg.example.com"],
            out!("export-add-insecure"),
        ),
        (
            "multiline remove one",
            MULTILINE,
            Insecure,
            &["b.example.com:5000"],
            out!("multiline-remove-one"),
        ),
        (
            "multiline remove both",
            MULTILINE,
            Insecure,
            &[],
            out!("multiline-remove-both"),
        ),
        (
            "multiline add",
            MULTILINE,
            Insecure,
            &[
                "a.example.com:5000",
                "b.example.com:5000",
                "c.example.com:5000",
            ],
            out!("multiline-add"),
        ),
        (
            "reset add",
            RESET,
            Insecure,
            &["x.example.com"],
            out!("reset-add"),
        ),
    ];
    for (name, (_, text), kind, wanted, expected) in cases {
        let f = parse(text).unwrap();
        let got = set_values(text, &f, *kind, &strings(wanted))
            .unwrap_or_else(|d| panic!("{name}: {}", d.render("f", text, false)));
        assert_eq!(got, *expected, "{name}");
        assert_only_var_lines_changed(name, text, &got);
        // and back: the edit is reversible to the same values
        let g = parse(&got).unwrap();
        assert_eq!(g.values(*kind), strings(wanted), "{name}");
        let other = if *kind == Insecure { Mirror } else { Insecure };
        assert_eq!(g.values(other), f.values(other), "{name}");
    }
}

#[test]
fn setting_the_current_values_changes_nothing() {
    for (name, text) in ALL {
        let f = parse(text).unwrap();
        for kind in [Insecure, Mirror] {
            assert_eq!(
                set_values(text, &f, kind, &f.values(kind)).unwrap(),
                text,
                "{name}"
            );
        }
    }
}

#[test]
fn edits_inline_files_exactly() {
    let cases: &[(&str, RegistryFlag, &[&str], &str)] = &[
        // Found by the opts_edit fuzz target: the "example" line is inside a quoted word, so
        // the new assignment goes to the end, where the shell reads it.
        (
            "\"\n#DOCKER_OPTS=\n\"",
            Insecure,
            &["h"],
            "\"\n#DOCKER_OPTS=\n\"\nDOCKER_OPTS=\"--insecure-registry h\"\n",
        ),
        (
            "echo '\n# DOCKER_OPTS='\"'\"'\n'\n",
            Insecure,
            &["h"],
            "echo '\n# DOCKER_OPTS='\"'\"'\n'\nDOCKER_OPTS='--insecure-registry h'\n",
        ),
        (
            "DOCKER_OPTS=\"--insecure-registry a\"\n",
            Insecure,
            &[],
            "DOCKER_OPTS=\"\"\n",
        ),
        (
            "DOCKER_OPTS=\"--insecure-registry a --debug\"\n",
            Insecure,
            &[],
            "DOCKER_OPTS=\"--debug\"\n",
        ),
        (
            "DOCKER_OPTS=\"--debug --insecure-registry a --insecure-registry=b --iptables=false\"\n",
            Insecure,
            &[],
            "DOCKER_OPTS=\"--debug --iptables=false\"\n",
        ),
        (
            "DOCKER_OPTS=\"--insecure-registry a --insecure-registry b --insecure-registry c\"\n",
            Insecure,
            &["a", "c"],
            "DOCKER_OPTS=\"--insecure-registry a --insecure-registry c\"\n",
        ),
        (
            "DOCKER_OPTS=\"--insecure-registry a --debug\"\n",
            Insecure,
            &["b"],
            "DOCKER_OPTS=\"--debug --insecure-registry b\"\n",
        ),
        (
            "DOCKER_OPTS=\"--insecure-registry a --insecure-registry a\"\n",
            Insecure,
            &["a"],
            "DOCKER_OPTS=\"--insecure-registry a\"\n",
        ),
        (
            "",
            Insecure,
            &["a"],
            "DOCKER_OPTS=\"--insecure-registry a\"\n",
        ),
        (
            "# no newline at the end",
            Insecure,
            &["a"],
            "# no newline at the end\nDOCKER_OPTS=\"--insecure-registry a\"\n",
        ),
        (
            "# a\r\n# b",
            Insecure,
            &["a"],
            "# a\r\n# b\r\nDOCKER_OPTS=\"--insecure-registry a\"\r\n",
        ),
        (
            "#DOCKER_OPTS=\"--dns 8.8.8.8\"",
            Insecure,
            &["a"],
            "#DOCKER_OPTS=\"--dns 8.8.8.8\"\nDOCKER_OPTS=\"--insecure-registry a\"\n",
        ),
        (
            "# Modify these options\n#OPTIONS='--selinux-enabled'\nDOCKER_CERT_PATH=/etc/docker\n",
            Insecure,
            &["a"],
            "# Modify these options\n#OPTIONS='--selinux-enabled'\nOPTIONS='--insecure-registry a'\nDOCKER_CERT_PATH=/etc/docker\n",
        ),
        (
            "DOCKER_OPTS=\"--registry-mirror=https://b\"\n",
            Mirror,
            &["https://a", "https://b"],
            "DOCKER_OPTS=\"--registry-mirror=https://a --registry-mirror=https://b\"\n",
        ),
        (
            "DOCKER_OPTS=\"--registry-mirror https://a\"\nDOCKER_OPTS=\"$DOCKER_OPTS --registry-mirror https://b -D\"\n",
            Mirror,
            &["https://b", "https://a"],
            "DOCKER_OPTS=\"--registry-mirror https://b --registry-mirror https://a\"\nDOCKER_OPTS=\"$DOCKER_OPTS -D\"\n",
        ),
        (
            "DOCKER_OPTS=--registry-mirror=https://b\n",
            Mirror,
            &["https://a", "https://b"],
            "DOCKER_OPTS=\"--registry-mirror=https://a --registry-mirror=https://b\"\n",
        ),
        (
            "DOCKER_OPTS=--debug\n",
            Insecure,
            &["a"],
            "DOCKER_OPTS=\"--debug --insecure-registry a\"\n",
        ),
        (
            "DOCKER_OPTS=\n",
            Insecure,
            &["a"],
            "DOCKER_OPTS=\"--insecure-registry a\"\n",
        ),
        (
            "DOCKER_OPTS=\n",
            Insecure,
            &["[::1]:5000"],
            "DOCKER_OPTS=\"--insecure-registry [::1]:5000\"\n",
        ),
        (
            "DOCKER_OPTS=\"$X\"' --debug'\n",
            Insecure,
            &["a"],
            "DOCKER_OPTS=\"$X\"' --debug --insecure-registry a'\n",
        ),
        (
            "DOCKER_OPTS=\"--label a#b\" # note\n",
            Insecure,
            &["a"],
            "DOCKER_OPTS=\"--label a#b --insecure-registry a\" # note\n",
        ),
        (
            "DOCKER_OPTS=\"--dns 8.8.8.8 \\\n  --insecure-registry a\"\n",
            Insecure,
            &[],
            "DOCKER_OPTS=\"--dns 8.8.8.8\"\n",
        ),
        (
            "DOCKER_OPTS=\"--insecure-registry a \\\n  --debug\"\n",
            Insecure,
            &[],
            "DOCKER_OPTS=\"\\\n  --debug\"\n",
        ),
        (
            "DOCKER_OPTS=\"--debug\n--insecure-registry a\n--dns 1.1.1.1\"\n",
            Insecure,
            &[],
            "DOCKER_OPTS=\"--debug\n--dns 1.1.1.1\"\n",
        ),
        (
            "OPTIONS='--debug\n  --insecure-registry a\n  --dns 1.1.1.1'\n",
            Insecure,
            &[],
            "OPTIONS='--debug\n  --dns 1.1.1.1'\n",
        ),
        (
            "export DOCKER_OPTS='  --insecure-registry a  '\n",
            Insecure,
            &[],
            "export DOCKER_OPTS='  '\n",
        ),
        (
            "DOCKER_OPTS=\"--insecure-registry a\"\nDOCKER_OPTS=\"$DOCKER_OPTS --debug\"\n",
            Insecure,
            &["a", "b"],
            "DOCKER_OPTS=\"--insecure-registry a\"\nDOCKER_OPTS=\"$DOCKER_OPTS --debug --insecure-registry b\"\n",
        ),
        (
            "DOCKER_OPTS=\"--insecure-registry a\"\nDOCKER_OPTS=\"--debug $DOCKER_OPTS\"\n",
            Insecure,
            &["a", "b"],
            "DOCKER_OPTS=\"--insecure-registry a\"\nDOCKER_OPTS=\"--debug $DOCKER_OPTS --insecure-registry b\"\n",
        ),
        (
            "DOCKER_OPTS=\"--insecure-registry a\"\nDOCKER_OPTS=\"$DOCKER_OPTS\"\n",
            Insecure,
            &["a", "b"],
            "DOCKER_OPTS=\"--insecure-registry a\"\nDOCKER_OPTS=\"$DOCKER_OPTS --insecure-registry b\"\n",
        ),
    ];
    for (text, kind, wanted, expected) in cases {
        let f = parse(text).unwrap();
        let got = set_values(text, &f, *kind, &strings(wanted))
            .unwrap_or_else(|d| panic!("{text:?}: {}", d.render("f", text, false)));
        assert_eq!(got, *expected, "{text:?}");
        assert_eq!(
            parse(&got).unwrap().values(*kind),
            strings(wanted),
            "{text:?}"
        );
    }
}

#[test]
fn refuses_edits_it_cannot_make_safely() {
    let cases: &[Refusal] = &[
        ("DOCKER_OPTS=\"\"\n", Insecure, &["a b"], "bad-value", None),
        ("DOCKER_OPTS=\"\"\n", Insecure, &["a\"b"], "bad-value", None),
        ("DOCKER_OPTS=\"\"\n", Insecure, &["a'b"], "bad-value", None),
        (
            "DOCKER_OPTS=\"\"\n",
            Insecure,
            &["$HOST"],
            "bad-value",
            None,
        ),
        ("DOCKER_OPTS=\"\"\n", Insecure, &["`x`"], "bad-value", None),
        ("DOCKER_OPTS=\"\"\n", Insecure, &["a\\b"], "bad-value", None),
        (
            "DOCKER_OPTS=\"\"\n",
            Insecure,
            &["--debug"],
            "bad-value",
            None,
        ),
        ("DOCKER_OPTS=\"\"\n", Insecure, &[""], "bad-value", None),
        (
            "REG=\"--insecure-registry a\"\nDOCKER_OPTS=\"$REG --debug\"\n",
            Insecure,
            &[],
            "not-editable",
            Some((1, 6)),
        ),
        (
            "DOCKER_OPTS=\"--insecure-registry a\"b\n",
            Insecure,
            &[],
            "not-editable",
            Some((1, 14)),
        ),
        (
            "DOCKER_OPTS=\"$(cat /etc/docker/opts) --debug\"\n",
            Insecure,
            &["a"],
            "opaque-value",
            Some((1, 14)),
        ),
        (
            "DOCKER_OPTS=\"--debug --insecure-registry\"\n",
            Insecure,
            &["a"],
            "missing-value",
            Some((1, 22)),
        ),
        (
            "DOCKER_OPTS=\"--dns\"\n",
            Insecure,
            &["a"],
            "missing-value",
            Some((1, 14)),
        ),
        // Found by the opts_edit fuzz target: after `--` a new flag is no flag.
        (
            "DOCKER_OPTS=\"--debug -- --dns 1.1.1.1\"\n",
            Insecure,
            &["a"],
            "end-of-flags",
            Some((1, 22)),
        ),
        ("OPTIONS=-'-'", Mirror, &["b"], "end-of-flags", Some((1, 9))),
        // No place where a new line would be read as an assignment: the file ends in a
        // backslash-newline continuation of a command.
        ("echo \\", Insecure, &["h"], "not-editable", None),
    ];
    for (text, kind, wanted, code, pos) in cases {
        let f = parse(text).unwrap();
        let d = set_values(text, &f, *kind, &strings(wanted)).unwrap_err();
        assert_eq!(d.code, *code, "{text:?}: {}", d.message);
        assert_eq!(d.pos.map(|p| (p.line, p.col)), *pos, "{text:?}");
        assert!(d.help.is_some(), "{text:?}");
    }
    // the model must be the text's
    let f = parse(APPEND.1).unwrap();
    let d = set_values(UBUNTU.1, &f, Insecure, &strings(&["a"])).unwrap_err();
    assert_eq!(d.code, "internal");
}

#[test]
fn never_panics_on_odd_input() {
    let odd = [
        "\\",
        "$",
        "${",
        "\"\\",
        "'",
        "`",
        "$(",
        "A=\\",
        "DOCKER_OPTS=\"\\\\\"",
        "DOCKER_OPTS=$",
        "DOCKER_OPTS=\"é --insecure-registry ü\"",
        "\r",
        "\r\n\r\n",
        "#",
        "=x",
        "DOCKER_OPTS",
        "DOCKER_OPTS=\"-\"",
        "DOCKER_OPTS=\"--\"",
        "DOCKER_OPTS=\"-- --insecure-registry a\"",
        "DOCKER_OPTS=\"-é\"",
        "DOCKER_OPTS=\"--=x\"",
        "DOCKER_OPTS=\"$DOCKER_OPTS$DOCKER_OPTS\"",
        "DOCKER_OPTS=\"--insecure-registry a\"\nDOCKER_OPTS=\"$DOCKER_OPTS$DOCKER_OPTS\"",
    ];
    for text in odd {
        if let Ok(f) = parse(text) {
            let _ = f.flags();
            for kind in [Insecure, Mirror] {
                for wanted in [vec![], strings(&["x"]), strings(&["x", "y"])] {
                    if let Ok(out) = set_values(text, &f, kind, &wanted) {
                        assert_eq!(parse(&out).unwrap().values(kind), wanted, "{text:?}");
                    }
                }
            }
        }
    }
}

/// A small deterministic generator, so the mixed-edit test needs no extra crate.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % n.max(1)
    }
}

#[test]
fn many_mixed_edits_keep_every_other_line() {
    let extra = [
        (
            "inline",
            "# c\nDOCKER_OPTS=\"--insecure-registry a --dns 1.1.1.1\"\nDOCKER_OPTS=\"$DOCKER_OPTS --registry-mirror=https://m --insecure-registry=b\"\n",
        ),
        (
            "inline multi",
            "OPTIONS='--selinux-enabled \\\n --insecure-registry a\n --registry-mirror https://m'\n",
        ),
    ];
    let mut rng = Lcg(7);
    for (name, text) in ALL.iter().chain(extra.iter()) {
        let f = parse(text).unwrap();
        for kind in [Insecure, Mirror] {
            let mut pool = f.values(kind);
            pool.extend(strings(&["n1.example.com", "n2.example.com:5000"]));
            for _ in 0..60 {
                let mut wanted = Vec::new();
                for _ in 0..rng.below(pool.len() + 1) {
                    let v = &pool[rng.below(pool.len())];
                    if !wanted.contains(v) {
                        wanted.push(v.clone());
                    }
                }
                match set_values(text, &f, kind, &wanted) {
                    Ok(out) => {
                        let g = parse(&out).unwrap();
                        assert_eq!(g.values(kind), wanted, "{name}");
                        assert_only_var_lines_changed(name, text, &out);
                        // and back again
                        let back = set_values(&out, &g, kind, &f.values(kind)).unwrap();
                        assert_eq!(parse(&back).unwrap().values(kind), f.values(kind));
                    }
                    Err(d) => panic!("{name} {wanted:?}: {}", d.render("f", text, false)),
                }
            }
        }
    }
}

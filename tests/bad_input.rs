//! Bad input: a corpus of malformed daemon.json and DOCKER_OPTS files, and malformed addresses
//! on the command line. Every case must exit 1 or 2 with a message naming the problem, never
//! panic, and leave the file byte-identical.

use std::fs;
use std::process::{Command, Stdio};

fn junk(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.max(1);
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// (name, file name, content) for every malformed file.
fn corpus() -> Vec<(String, &'static str, Vec<u8>)> {
    let mut c: Vec<(String, &'static str, Vec<u8>)> = Vec::new();
    let mut json = |name: &str, bytes: Vec<u8>| c.push((name.to_string(), "daemon.json", bytes));
    for (i, len) in [1usize, 17, 512, 65_536].iter().enumerate() {
        json(
            &format!("binary junk {len} bytes"),
            junk(i as u64 + 7, *len),
        );
    }
    json("10 MB of junk", junk(99, 10 << 20));
    json("10 MB unterminated string", {
        let mut v = b"{\"labels\": [\"".to_vec();
        v.extend(std::iter::repeat_n(b'a', 10 << 20));
        v
    });
    json("10 MB of open brackets", vec![b'['; 10 << 20]);
    json("deep nesting 10001 objects", {
        let mut s = String::new();
        for _ in 0..10_001 {
            s.push_str("{\"a\":");
        }
        s.push('1');
        s.push_str(&"}".repeat(10_001));
        s.into_bytes()
    });
    json("deep nesting 10001 lists in a key", {
        format!("{{\"x\": {}1{}}}", "[".repeat(10_001), "]".repeat(10_001)).into_bytes()
    });
    json(
        "huge key then garbage",
        format!("{{\"{}\" x", "k".repeat(1 << 20)).into_bytes(),
    );
    json("NUL in the middle", b"{\"debug\": \0true}".to_vec());
    json(
        "NUL inside a string",
        b"{\"data-root\": \"/srv\0/docker\"}".to_vec(),
    );
    json("only NULs", vec![0; 4096]);
    json(
        "invalid UTF-8 in a string",
        b"{\"labels\": [\"a\xff\xfe\"]}".to_vec(),
    );
    json("invalid UTF-8 lone continuation", b"{\x80}".to_vec());
    json("truncated UTF-8 at the end", b"{\"a\": \"\xe4\xb8".to_vec());
    json(
        "UTF-16 without BOM",
        "{\"debug\": true}"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect(),
    );
    json("UTF-16 BOM then odd length", b"\xff\xfe{\x00\"".to_vec());
    json(
        "UTF-16 lone surrogate",
        b"\xff\xfe{\x00\x00\xd8}\x00".to_vec(),
    );
    for (name, text) in [
        ("line comment", "{\n  // mirrors\n  \"debug\": true\n}"),
        ("block comment", "{ /* x */ \"debug\": true }"),
        (
            "hash comment",
            "{\n  \"insecure-registries\":[\"127.0.0.1:30001\"]  # server ip and port\n}",
        ),
        ("trailing comma in object", "{\"debug\": true,}"),
        ("trailing comma in list", "{\"dns\": [\"1.1.1.1\",]}"),
        ("single quotes", "{'debug': true}"),
        (
            "missing comma",
            "{\n\"debug\": true\n\"log-level\": \"warn\"\n}",
        ),
        ("unquoted key", "{debug: true}"),
        ("full-width space", "{\u{3000}\"debug\": true}"),
        ("curly quotes", "{\u{201c}debug\u{201d}: true}"),
        ("truncated object", "{\"debug\": true"),
        ("truncated key", "{\"deb"),
        ("truncated after colon", "{\"debug\":"),
        ("only an opening brace", "{"),
        ("only a closing brace", "}"),
        ("two objects", "{}{}"),
        ("garbage after the object", "{} x"),
        ("NaN", "{\"mtu\": NaN}"),
        ("Infinity", "{\"mtu\": Infinity}"),
        ("hex number", "{\"mtu\": 0x5DC}"),
        ("leading zero", "{\"mtu\": 01500}"),
        ("plus sign", "{\"mtu\": +1500}"),
        ("bare word value", "{\"log-driver\": journald}"),
        ("Python True", "{\"debug\": True}"),
        ("bad escape", "{\"data-root\": \"C:\\docker\"}"),
        ("short unicode escape", "{\"a\": \"\\u12\"}"),
        ("raw newline in string", "{\"a\": \"x\ny\"}"),
        ("raw tab in string", "{\"a\": \"x\ty\"}"),
        ("colon missing", "{\"debug\" true}"),
        ("comma for colon", "{\"debug\", true}"),
        ("list as root", "[\"reg.local:5000\"]"),
        ("string as root", "\"insecure-registries\""),
        ("number as root", "42"),
        ("null as root", "null"),
        (
            "registry key as string",
            "{\"insecure-registries\": \"a:5000\"}",
        ),
        (
            "registry key as object",
            "{\"insecure-registries\": {\"a\": 1}}",
        ),
        ("registry key as number", "{\"insecure-registries\": 5000}"),
        (
            "registry list with a number",
            "{\"insecure-registries\": [\"a:5000\", 5000]}",
        ),
        (
            "registry list with null",
            "{\"insecure-registries\": [null]}",
        ),
        (
            "registry list nested",
            "{\"insecure-registries\": [[\"a:5000\"]]}",
        ),
        ("registry key as bool", "{\"insecure-registries\": true}"),
        ("mismatched brackets", "{\"dns\": [\"1.1.1.1\"}"),
        ("unbalanced close", "{\"a\": 1}}"),
    ] {
        json(name, text.as_bytes().to_vec());
    }
    let mut opts = |name: &str, bytes: Vec<u8>| c.push((name.to_string(), "docker", bytes));
    opts(
        "opts: unterminated double quote",
        b"DOCKER_OPTS=\"--dns 8.8.8.8\n".to_vec(),
    );
    opts(
        "opts: unterminated single quote",
        b"OPTIONS='--selinux-enabled\n".to_vec(),
    );
    opts("opts: binary junk", junk(5, 4096));
    opts(
        "opts: NUL bytes",
        b"DOCKER_OPTS=\"--dns\0 8.8.8.8\"\n".to_vec(),
    );
    opts(
        "opts: invalid UTF-8",
        b"DOCKER_OPTS=\"--label a=\xff\"\n".to_vec(),
    );
    opts(
        "opts: command substitution",
        b"DOCKER_OPTS=\"$(cat /etc/opts)\"\n".to_vec(),
    );
    opts(
        "opts: registry flag without value",
        b"DOCKER_OPTS=\"--insecure-registry\"\n".to_vec(),
    );
    opts("opts: 10 MB unterminated", {
        let mut v = b"DOCKER_OPTS=\"".to_vec();
        v.extend(std::iter::repeat_n(b'x', 10 << 20));
        v
    });
    c
}

fn dockcfg(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_dockcfg"))
        .args(args)
        .env("DOCKCFG_STATE_DIR", dir.join("state"))
        .stdin(Stdio::null())
        .output()
        .expect("run dockcfg")
}

fn check(
    name: &str,
    o: &std::process::Output,
    codes: &[i32],
    must_mention: &str,
) -> Result<(), String> {
    let err = String::from_utf8_lossy(&o.stderr);
    let code = o.status.code();
    let mut problems = Vec::new();
    if !code.is_some_and(|c| codes.contains(&c)) {
        problems.push(format!("exit {code:?}, expected one of {codes:?}"));
    }
    if err.contains("panicked") || err.contains("RUST_BACKTRACE") {
        problems.push("panicked".into());
    }
    if err.trim().is_empty() {
        problems.push("no message".into());
    }
    if !err.contains(must_mention) {
        problems.push(format!("message does not name {must_mention:?}"));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{name}: {}\n{}",
            problems.join("; "),
            err.chars().take(600).collect::<String>()
        ))
    }
}

#[test]
fn malformed_files_are_refused_and_left_byte_identical() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cases = corpus();
    assert!(cases.len() >= 60, "{} cases", cases.len());
    let mut failures = Vec::new();
    let mut tried = 0;
    for (name, file_name, bytes) in &cases {
        let file = dir.path().join(file_name);
        fs::write(&file, bytes).expect("write");
        let f = file.to_str().expect("utf-8 path");
        for args in [
            vec!["-f", f, "add-insecure", "reg.local:5000"],
            vec!["-f", f, "mirror", "rm", "https://m.example.com"],
        ] {
            tried += 1;
            let o = dockcfg(dir.path(), &args);
            // A `null` root is refused for being no object; every case is 1. (An empty or
            // whitespace-only file is no malformed file: an edit writes a new object; see the
            // add-to-empty-file scenarios.)
            if let Err(e) = check(name, &o, &[1], f) {
                failures.push(e);
            }
            if fs::read(&file).expect("still there") != *bytes {
                failures.push(format!("{name}: file changed"));
            }
        }
    }
    eprintln!("{} malformed files, {tried} runs", cases.len());
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn malformed_addresses_are_usage_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("daemon.json");
    let original = "{\n  \"insecure-registries\": [\"a.local:5000\"]\n}\n";
    let insecure = [
        "",
        " ",
        "http://",
        "ftp://reg:5000",
        "reg:5000/path",
        "reg:70000",
        "reg:-1",
        "reg:abc",
        "-reg.local",
        "reg-.local",
        "reg..local",
        "reg local",
        "reg\tlocal",
        "[::1",
        "::1]:5000",
        "[zz::1]:5000",
        "10.0.0.0/33",
        "10.0.0.0/-1",
        "300.1.1.1",
        "reg:5000?x=1",
        "reg:5000#x",
        "user@reg:5000",
        "0.0.0.0/0",
        "::/0",
        "reg_x:5000",
        "reg:5000:6000",
        "\u{1}",
        "r\u{e9}g:5000",
        "reg:05000",
        "docker.io",
    ];
    let mirrors = [
        "",
        "ftp://m.example.com",
        "https://m.example.com/?q=1",
        "https://m.example.com/#f",
        "https://u:p@m.example.com",
        "https://",
        "https://m.example.com:99999",
        "https://:5000",
        "https://m example.com",
        "gopher://m",
        "https://[::1",
        "//m.example.com",
    ];
    let mut failures = Vec::new();
    for a in insecure {
        fs::write(&file, original).unwrap();
        let o = dockcfg(
            dir.path(),
            &["-f", file.to_str().unwrap(), "add-insecure", "--", a],
        );
        if let Err(e) = check(&format!("insecure {a:?}"), &o, &[2], "") {
            failures.push(e);
        }
        if fs::read_to_string(&file).unwrap() != original {
            failures.push(format!("insecure {a:?}: file changed"));
        }
    }
    for m in mirrors {
        fs::write(&file, original).unwrap();
        let o = dockcfg(
            dir.path(),
            &["-f", file.to_str().unwrap(), "mirror", "add", "--", m],
        );
        if let Err(e) = check(&format!("mirror {m:?}"), &o, &[2], "") {
            failures.push(e);
        }
        if fs::read_to_string(&file).unwrap() != original {
            failures.push(format!("mirror {m:?}: file changed"));
        }
    }
    eprintln!("{} bad addresses", insecure.len() + mirrors.len());
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

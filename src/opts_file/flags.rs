//! dockerd's command-line flags as they appear in DOCKER_OPTS: which take a value, and how a
//! list of words splits into flags (`--flag value`, `--flag=value`, `-H fd://`, `-Hfd://`,
//! `--debug`, `--iptables=false`), the way dockerd's flag parser (spf13/pflag) reads them.

/// Long flags of dockerd that take a value, from moby's flag definitions (daemon/command/
/// config*.go, options.go, docker.go; cmd/dockerd and daemon/config_*.go of 1.13-20.10 for the
/// ones since removed) plus the RHEL/CentOS docker-1.13 package's `--add-registry` and
/// `--block-registry`. Boolean flags take a value only as `--flag=value`, so they are not listed.
const VALUE_FLAGS: &[&str] = &[
    "add-registry",
    "add-runtime",
    "allow-nondistributable-artifacts",
    "api-cors-header",
    "authorization-plugin",
    "bip",
    "bip6",
    "block-registry",
    "bridge",
    "bridge-accept-fwmark",
    "cdi-spec-dir",
    "cgroup-parent",
    "cluster-advertise",
    "cluster-store",
    "cluster-store-opt",
    "config-file",
    "containerd",
    "containerd-namespace",
    "containerd-plugins-namespace",
    "cpu-rt-period",
    "cpu-rt-runtime",
    "data-root",
    "default-address-pool",
    "default-cgroupns-mode",
    "default-gateway",
    "default-gateway-v6",
    "default-ipc-mode",
    "default-network-opt",
    "default-runtime",
    "default-shm-size",
    "default-stop-timeout",
    "default-ulimit",
    "dns",
    "dns-opt",
    "dns-search",
    "exec-driver",
    "exec-opt",
    "exec-root",
    "feature",
    "firewall-backend",
    "fixed-cidr",
    "fixed-cidr-v6",
    "graph",
    "group",
    "host",
    "host-gateway-ip",
    "http-proxy",
    "https-proxy",
    "init-path",
    "insecure-registry",
    "ip",
    "label",
    "log-driver",
    "log-format",
    "log-level",
    "log-opt",
    "max-concurrent-downloads",
    "max-concurrent-uploads",
    "max-download-attempts",
    "metrics-addr",
    "mtu",
    "network-control-plane-mtu",
    "network-diagnostic-port",
    "no-proxy",
    "node-generic-resource",
    "nri-opts",
    "oom-score-adjust",
    "pidfile",
    "registry-mirror",
    "seccomp-profile",
    "service-name",
    "shutdown-timeout",
    "storage-driver",
    "storage-opt",
    "swarm-default-advertise-addr",
    "tlscacert",
    "tlscert",
    "tlskey",
    "userland-proxy-path",
    "userns-remap",
];

/// dockerd's one-letter flags and their long names; `true` when the flag takes a value.
const SHORT_FLAGS: &[(char, &str, bool)] = &[
    ('D', "debug", false),
    ('G', "group", true),
    ('H', "host", true),
    ('b', "bridge", true),
    ('e', "exec-driver", true),
    ('g', "graph", true),
    ('h', "help", false),
    ('l', "log-level", true),
    ('p', "pidfile", true),
    ('r', "restart", false),
    ('s', "storage-driver", true),
    ('v', "version", false),
];

/// Whether dockerd's long flag `name` (without dashes) takes a value in the next word when it is
/// written without `=`.
pub fn takes_value(name: &str) -> bool {
    VALUE_FLAGS.binary_search(&name).is_ok()
}

/// The long name of a one-letter dockerd flag (`H` -> `host`).
pub fn long_name_of(short: char) -> Option<&'static str> {
    SHORT_FLAGS
        .iter()
        .find(|(c, _, _)| *c == short)
        .map(|(_, long, _)| *long)
}

fn short_takes_value(short: char) -> bool {
    SHORT_FLAGS.iter().any(|(c, _, v)| *c == short && *v)
}

/// How a flag's value is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FlagForm {
    /// `--flag value`, `-H value`: the value is the next word (`None` when no word follows).
    Separate,
    /// `--flag=value`, `-H=value`.
    Equals,
    /// `-Hvalue`: a one-letter flag with its value stuck to it.
    Attached,
    /// `--debug`: no value.
    Bare,
}

/// A flag found in a list of words: its words are `word` and, for [`FlagForm::Separate`],
/// `value_word`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct RawFlag {
    pub name: String,
    pub value: Option<String>,
    pub form: FlagForm,
    pub dashes: u8,
    pub word: usize,
    pub value_word: Option<usize>,
}

/// Split words into flags as pflag does. Words that are not flags (and everything after `--`)
/// are skipped: dockerd takes no arguments.
pub(super) fn parse_flags(words: &[&str]) -> Vec<RawFlag> {
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(&w) = words.get(i) {
        let word = i;
        i += 1;
        if w == "--" {
            break;
        }
        let separate = |name: &str, dashes: u8, i: &mut usize| {
            let value = words.get(*i).map(|v| v.to_string());
            let value_word = value.as_ref().map(|_| *i);
            if value.is_some() {
                *i += 1;
            }
            RawFlag {
                name: name.to_string(),
                value,
                form: FlagForm::Separate,
                dashes,
                word,
                value_word,
            }
        };
        let plain = |name: &str, value: Option<&str>, form: FlagForm, dashes: u8| RawFlag {
            name: name.to_string(),
            value: value.map(str::to_string),
            form,
            dashes,
            word,
            value_word: None,
        };
        if let Some(body) = w.strip_prefix("--") {
            if body.is_empty() {
                continue;
            }
            out.push(match body.split_once('=') {
                Some((n, v)) => plain(n, Some(v), FlagForm::Equals, 2),
                None if takes_value(body) => separate(body, 2, &mut i),
                None => plain(body, None, FlagForm::Bare, 2),
            });
        } else if let Some(body) = w.strip_prefix('-') {
            let mut chars = body.chars();
            let Some(c) = chars.next() else { continue };
            let rest = chars.as_str();
            let short = body.get(..c.len_utf8()).unwrap_or(body);
            out.push(if rest.is_empty() {
                if short_takes_value(c) {
                    separate(short, 1, &mut i)
                } else {
                    plain(short, None, FlagForm::Bare, 1)
                }
            } else if let Some(v) = rest.strip_prefix('=') {
                plain(short, Some(v), FlagForm::Equals, 1)
            } else if short_takes_value(c) {
                plain(short, Some(rest), FlagForm::Attached, 1)
            } else {
                // Docker before 1.12 also read some long flags with one dash (`-dns`,
                // `-iptables=false`); keep the whole name.
                match body.split_once('=') {
                    Some((n, v)) => plain(n, Some(v), FlagForm::Equals, 1),
                    None if takes_value(body) => separate(body, 1, &mut i),
                    None => plain(body, None, FlagForm::Bare, 1),
                }
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_flag_table_is_sorted_for_binary_search() {
        assert!(VALUE_FLAGS.windows(2).all(|w| w[0] < w[1]));
    }

    fn show(words: &str) -> Vec<String> {
        let ws: Vec<&str> = words.split_whitespace().collect();
        parse_flags(&ws)
            .into_iter()
            .map(|f| {
                let d = "-".repeat(usize::from(f.dashes));
                match (&f.value, f.form) {
                    (Some(v), FlagForm::Separate) => format!("{d}{} {v}", f.name),
                    (None, FlagForm::Separate) => format!("{d}{} <missing>", f.name),
                    (Some(v), FlagForm::Equals) => format!("{d}{}={v}", f.name),
                    (Some(v), FlagForm::Attached) => format!("{d}{}[{v}]", f.name),
                    _ => format!("{d}{}", f.name),
                }
            })
            .collect()
    }

    #[test]
    fn splits_words_into_flags_like_pflag() {
        let cases: &[(&str, &[&str])] = &[
            (
                "--dns 8.8.8.8 --dns=8.8.4.4",
                &["--dns 8.8.8.8", "--dns=8.8.4.4"],
            ),
            (
                "-H fd:// -Hunix:///s -H=tcp://x:2375",
                &["-H fd://", "-H[unix:///s]", "-H=tcp://x:2375"],
            ),
            (
                "--debug --iptables=false -D --selinux-enabled",
                &["--debug", "--iptables=false", "-D", "--selinux-enabled"],
            ),
            (
                "--insecure-registry a:5000 --registry-mirror=https://m",
                &["--insecure-registry a:5000", "--registry-mirror=https://m"],
            ),
            // pflag gives a value-taking flag the next word even when it starts with a dash.
            ("--label --debug", &["--label --debug"]),
            ("--insecure-registry", &["--insecure-registry <missing>"]),
            ("daemon --debug -- --dns x", &["--debug"]),
            (
                "-dns 8.8.8.8 -g /srv/docker",
                &["-dns 8.8.8.8", "-g /srv/docker"],
            ),
            ("--iptables false", &["--iptables"]),
            ("-l debug -s overlay2", &["-l debug", "-s overlay2"]),
        ];
        for (words, want) in cases {
            assert_eq!(show(words), *want, "{words}");
        }
    }

    #[test]
    fn knows_short_names() {
        assert_eq!(long_name_of('H'), Some("host"));
        assert_eq!(long_name_of('x'), None);
        assert!(takes_value("insecure-registry") && takes_value("registry-mirror"));
        assert!(!takes_value("iptables") && !takes_value("debug"));
    }
}

//! Registry addresses (insecure-registries entries) and mirror URLs: parse, normalise, compare,
//! and predict exactly what dockerd says about them.
//!
//! Two layers, kept apart on purpose:
//! - [`parse_insecure`] and [`parse_mirror`] are dockcfg's own rules for what it writes. They are
//!   stricter than dockerd where dockerd accepts something that can never work (port 0, a bare IPv6
//!   address, `_` in a host name, `host:05000`, ...), and friendlier where a fix is obvious
//!   (`http://` stripped, `https://` added).
//! - [`dockerd_insecure_error`] and [`dockerd_mirror_error`] reproduce dockerd's own checks, version
//!   by version, word for word, including the Go standard library behaviour they rely on
//!   (`net.SplitHostPort`, `net.ParseIP`, `net.ParseCIDR`/`netip.ParsePrefix`, `url.Parse`,
//!   `strconv.Atoi`, `%q` quoting). They answer "would this engine refuse it?", nothing more.
//!
//! Sources (moby, read at the tags named): `registry/config.go` (v20.10.0 .. v28.5.2), moved to
//! `daemon/pkg/registry/config.go` for v29; the `DomainRegexp` of `docker/distribution/reference`
//! (vendored up to v24) and `distribution/reference` (v25+). The dockerd functions were checked
//! against a Go program running that moby code per version (Go 1.19 standard library; about
//! 155,000 entry/version pairs, identical) and against Debian's real dockerd 20.10.24 and 26.1.5
//! started with each of a few hundred entries (identical verdicts and messages).

use std::collections::HashSet;
use std::fmt;
use std::hash::Hash;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::version::EngineVersion;

/// Errors from dockerd 23.0 on wrap the cause (`invalidParamWrapf`, moby 79aa65c1fa).
const V23_0: EngineVersion = EngineVersion::new(23, 0);
/// Mirror paths allowed (moby c587ba3422) and bracketed IPv6 hosts accepted by the reference
/// regexp (moby 1148a24e64, distribution/reference v0.5): both first in v25.0.0.
const V25_0: EngineVersion = EngineVersion::new(25, 0);
/// `ValidateMirror` says "no scheme specified" and adds "must use either ..." (moby 307c18598d,
/// in v28.3.0); `dockerd --validate` checks mirrors from here on (moby 1d8545d60c).
const V28_3: EngineVersion = EngineVersion::new(28, 3);
/// CIDRs parsed by `netip.ParsePrefix` instead of `net.ParseCIDR` (moby d6899ca5a5, v29.0.0).
const V29_0: EngineVersion = EngineVersion::new(29, 0);

// ---------------------------------------------------------------------------------------------
// Text helpers

/// `s.split_once("://")`: the text before and after the first `://`. Found with a byte search
/// for `:`, because `str::split_once` with a string pattern builds a substring searcher on each
/// call, which cost more than the rest of an entry's check in 10,000-entry lists.
fn split_scheme_sep(s: &str) -> Option<(&str, &str)> {
    let b = s.as_bytes();
    let mut from = 0;
    while let Some(i) = b.get(from..)?.iter().position(|&c| c == b':') {
        let at = from + i;
        if b.get(at + 1..at + 3) == Some(b"//".as_slice()) {
            return Some((s.get(..at)?, s.get(at + 3..)?));
        }
        from = at + 1;
    }
    None
}

/// How many `:` are in `s` (a byte count, which the compiler vectorises).
fn colons(s: &str) -> usize {
    s.bytes().filter(|&b| b == b':').count()
}

// ---------------------------------------------------------------------------------------------
// Errors

/// Why an address or URL given to dockcfg is not accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddrError {
    /// What the user gave, trimmed; a password in a mirror URL is replaced by `xxxxx`.
    pub input: String,
    /// What is wrong, naming the offending part (`invalid port 70000 in "host:70000": ...`).
    pub message: String,
    /// How to fix it, when there is an obvious fix.
    pub help: Option<String>,
}

impl AddrError {
    fn new(input: &str, message: String) -> AddrError {
        AddrError {
            input: input.to_string(),
            message,
            help: None,
        }
    }

    fn help(mut self, help: impl Into<String>) -> AddrError {
        self.help = Some(help.into());
        self
    }
}

/// Shows the message only; `help` is for the caller to print on its own line.
impl fmt::Display for AddrError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for AddrError {}

// ---------------------------------------------------------------------------------------------
// Insecure registries

/// One entry of `insecure-registries`, as dockcfg will write it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Insecure {
    /// Exactly what gets written to the config: the input trimmed, with an `http://`/`https://`
    /// prefix (and a trailing `/` after it) removed.
    pub value: String,
    pub kind: InsecureKind,
    /// Things the user should know (a scheme was removed, host bits in a CIDR, ...).
    pub notes: Vec<String>,
}

/// What an insecure entry names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InsecureKind {
    /// A network: every registry whose address falls in it. `addr` is as written (host bits
    /// kept); [`Insecure::key`] uses the network address.
    Cidr { addr: IpAddr, prefix: u8 },
    /// One registry. `host` is a host name as written, or an IP address without brackets.
    Host { host: String, port: Option<u16> },
}

impl Insecure {
    /// A key under which equal registries compare equal: host names lowercased, IP addresses in
    /// canonical form (IPv6 in brackets: `fe80::1` and `[FE80::1]` are both `[fe80::1]`), a CIDR
    /// as network/prefix (`10.1.2.3/8` is `10.0.0.0/8`, as dockerd dedups it).
    pub fn key(&self) -> String {
        use std::fmt::Write as _;
        match &self.kind {
            InsecureKind::Cidr { addr, prefix } => format!("{}/{prefix}", network(*addr, *prefix)),
            InsecureKind::Host { host, port } => {
                // Built in one buffer: a key per entry of every list that is checked.
                let mut key = String::with_capacity(host.len() + 8);
                match host.parse::<IpAddr>() {
                    Ok(IpAddr::V6(a)) => {
                        let _ = write!(key, "[{a}]");
                    }
                    Ok(IpAddr::V4(a)) => {
                        let _ = write!(key, "{a}");
                    }
                    Err(_) => {
                        key.push_str(host);
                        key.make_ascii_lowercase();
                    }
                }
                if let Some(p) = port {
                    let _ = write!(key, ":{p}");
                }
                key
            }
        }
    }

    /// True for a CIDR with prefix 0 (`0.0.0.0/0`, `::/0`): it turns TLS off for every registry.
    pub fn covers_everything(&self) -> bool {
        matches!(self.kind, InsecureKind::Cidr { prefix: 0, .. })
    }
}

/// The network address of `addr/prefix` (host bits cleared). `prefix` is at most 32 or 128.
fn network(addr: IpAddr, prefix: u8) -> IpAddr {
    match addr {
        IpAddr::V4(a) => {
            let mask = u32::MAX
                .checked_shl(32 - u32::from(prefix.min(32)))
                .unwrap_or(0);
            IpAddr::V4(Ipv4Addr::from(u32::from(a) & mask))
        }
        IpAddr::V6(a) => {
            let mask = u128::MAX
                .checked_shl(128 - u32::from(prefix.min(128)))
                .unwrap_or(0);
            IpAddr::V6(Ipv6Addr::from(u128::from(a) & mask))
        }
    }
}

const INSECURE_FORMS: &str =
    "an insecure registry is host[:port], an IP address, [IPv6]:port, or a CIDR such as 10.0.0.0/8";

/// True for an `insecure-registries` entry in its plainest form: a lowercase host name or an
/// IPv4 address, optionally with `:port` (1 to 65535, no leading zero). Such an entry is written
/// as it is ([`parse_insecure`] gives it back unchanged, as a host, with no note), every dockerd
/// accepts it ([`dockerd_insecure_error_for`] is `None` for every version) and its
/// [`Insecure::key`] is the entry itself. One pass over the bytes without allocating, so the
/// usual entries of a long list skip the full parse; anything else answers false and takes it.
pub fn is_plain_insecure(entry: &str) -> bool {
    let b = entry.as_bytes();
    let (host, port) = match b.iter().position(|&c| c == b':') {
        Some(i) => (b.get(..i).unwrap_or_default(), b.get(i + 1..)),
        None => (b, None),
    };
    if let Some(p) = port
        && decimal(p, 5).is_none_or(|v| v == 0 || v > 65535 || p.first() == Some(&b'0'))
    {
        return false;
    }
    if host.is_empty() || host.len() > 253 {
        return false;
    }
    if let Some(ipv4) = ipv4_verdict(host) {
        return ipv4;
    }
    if host == b"docker.io" || host == b"index.docker.io" {
        return false;
    }
    host.split(|&c| c == b'.').all(|label| {
        !label.is_empty()
            && label.len() <= 63
            && label.first() != Some(&b'-')
            && label.last() != Some(&b'-')
            && label
                .iter()
                .all(|&c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
    })
}

/// The value of 1 to `max_len` ASCII digits; `None` for anything else.
fn decimal(digits: &[u8], max_len: usize) -> Option<u32> {
    if digits.is_empty() || digits.len() > max_len {
        return None;
    }
    digits.iter().try_fold(0u32, |acc, &d| {
        d.is_ascii_digit().then(|| acc * 10 + u32::from(d - b'0'))
    })
}

/// For a host of nothing but digits and dots, whether it is exactly what `Ipv4Addr`'s parser
/// accepts (four dot-separated decimal octets of at most 255, without leading zeros); `None` for
/// a host with any other byte (a name). One pass over the bytes, for the plain-entry test of
/// long lists.
fn ipv4_verdict(s: &[u8]) -> Option<bool> {
    let mut ok = true;
    let (mut dots, mut len, mut value, mut zero_first) = (0u32, 0u32, 0u32, false);
    for &c in s {
        match c {
            b'0'..=b'9' => {
                // A digit after an octet's leading zero, a fourth digit, more than 255.
                ok &= !zero_first;
                zero_first = len == 0 && c == b'0';
                value = (value * 10 + u32::from(c - b'0')).min(1000);
                len += 1;
                ok &= len <= 3 && value <= 255;
            }
            b'.' => {
                ok &= len > 0;
                (dots, len, value, zero_first) = (dots + 1, 0, 0, false);
            }
            _ => return None,
        }
    }
    Some(ok && dots == 3 && len > 0)
}

/// Parse an `insecure-registries` entry given on dockcfg's command line.
///
/// Accepts `host`, `host:port`, IPv4, IPv6 (`fe80::1`, `[fe80::1]`, `[fe80::1]:5000`) and CIDRs
/// (`10.0.0.0/8`, `fd00::/8`). An `http://` or `https://` prefix (any case) is removed with a
/// note, and so is a trailing `/` after it. Everything else is an error naming what is wrong.
///
/// Stricter than dockerd ([`dockerd_insecure_error`]) where dockerd accepts what cannot work:
/// port 0, ports with leading zeros (dockerd matches names as text, so `host:05000` never
/// matches `host:5000/image`), `_` in names (dockerd rejects it too), all-numeric names that are
/// not IPv4 addresses (`300.1.1.1`, `5000`), IPv6 zones, `docker.io` (dockerd ignores it).
/// More lenient than dockerd in one place: dockerd rejects `http://host:5000/` (the `/` makes
/// the host invalid) while this writes `host:5000`.
pub fn parse_insecure(input: &str) -> Result<Insecure, AddrError> {
    let trimmed = input.trim();
    let fail = |message: String| AddrError::new(trimmed, message);
    if trimmed.is_empty() {
        return Err(fail("empty insecure registry address".into()).help(INSECURE_FORMS));
    }
    if let Some(c) = trimmed
        .chars()
        .find(|c| c.is_whitespace() || c.is_control())
    {
        return Err(fail(format!(
            "unexpected {} in insecure registry {trimmed:?}",
            describe_char(c)
        ))
        .help(INSECURE_FORMS));
    }

    let mut notes = Vec::new();
    let mut rest = trimmed;
    let mut stripped = false;
    if let Some((scheme, after)) = split_scheme_sep(trimmed) {
        if scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https") {
            notes.push(format!(
                "removed \"{scheme}://\" from {trimmed:?}: insecure-registries take host[:port], not a URL"
            ));
            rest = after;
            stripped = true;
        } else if scheme.is_empty() {
            return Err(
                fail(format!("unexpected \"://\" at the start of {trimmed:?}"))
                    .help(format!("write {after:?}")),
            );
        } else {
            return Err(fail(format!(
                "unsupported scheme \"{scheme}://\" in {trimmed:?}: insecure registries are written without a scheme"
            ))
            .help(format!("write {after:?}")));
        }
        if split_scheme_sep(rest).is_some() {
            return Err(fail(format!("more than one scheme in {trimmed:?}")).help(INSECURE_FORMS));
        }
        let without_slash = rest.trim_end_matches('/');
        if without_slash.len() != rest.len() && !without_slash.is_empty() {
            notes.push(format!("dropped the trailing \"/\" of {trimmed:?}"));
        }
        rest = without_slash;
    }
    if rest.is_empty() {
        return Err(fail(format!("missing host in {trimmed:?}")).help(INSECURE_FORMS));
    }

    if let Some(i) = rest.find(['?', '#']) {
        let (base, tail) = rest.split_at(i);
        return Err(fail(format!(
            "a query or fragment ({tail:?}) is not allowed in insecure registry {trimmed:?}"
        ))
        .help(format!("write {:?}", base.trim_end_matches('/'))));
    }

    let kind = if let Some((addr, bits)) = rest.split_once('/') {
        parse_cidr_or_path(trimmed, rest, addr, bits, stripped, &mut notes)?
    } else {
        parse_host_port(trimmed, rest, &mut notes)?
    };

    Ok(Insecure {
        value: rest.to_string(),
        kind,
        notes,
    })
}

/// `rest` contains a `/`: a CIDR (`addr/bits`), or a path, which is an error.
fn parse_cidr_or_path(
    input: &str,
    rest: &str,
    addr: &str,
    bits: &str,
    stripped: bool,
    notes: &mut Vec<String>,
) -> Result<InsecureKind, AddrError> {
    let fail = |message: String| AddrError::new(input, message);
    let bracketed = addr
        .strip_prefix('[')
        .and_then(|a| a.strip_suffix(']'))
        .and_then(|a| a.parse::<Ipv6Addr>().ok());
    if let Some(a) = bracketed {
        return Err(fail(format!(
            "a CIDR is written without brackets, not {rest:?}: dockerd rejects brackets here"
        ))
        .help(format!("write \"{a}/{bits}\"")));
    }
    let Ok(ip) = addr.parse::<IpAddr>() else {
        if looks_like_ip(addr) {
            return Err(fail(format!(
                "invalid CIDR {rest:?}: {addr:?} is not a valid IP address"
            ))
            .help("a CIDR is an IP address, \"/\" and a prefix length, such as 10.0.0.0/8 or fd00::/8"));
        }
        let (host, path) = rest.split_at(addr.len());
        let help = if path == "/" && !stripped {
            format!("remove the trailing \"/\": {host:?}")
        } else {
            format!("write {host:?}")
        };
        return Err(fail(format!(
            "a path ({path:?}) is not allowed in insecure registry {input:?}: {INSECURE_FORMS}"
        ))
        .help(help));
    };
    let (max, family) = match ip {
        IpAddr::V4(_) => (32u8, "IPv4"),
        IpAddr::V6(_) => (128u8, "IPv6"),
    };
    let range_help = format!("the prefix length of an {family} network is 0 to {max}");
    if bits.is_empty() {
        return Err(
            fail(format!("missing prefix length after \"/\" in {rest:?}")).help(range_help),
        );
    }
    if !bits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(fail(format!(
            "invalid prefix length {bits:?} in CIDR {rest:?}: expected a number"
        ))
        .help(range_help));
    }
    let value = bits.trim_start_matches('0');
    let prefix = if value.is_empty() {
        Some(0)
    } else if value.len() > 3 {
        None
    } else {
        value.parse::<u8>().ok()
    };
    let prefix = match prefix {
        Some(p) if p <= max => p,
        _ => {
            return Err(fail(format!(
                "invalid CIDR {rest:?}: the prefix length must be 0 to {max} for an {family} network"
            ))
            .help(range_help));
        }
    };
    if bits.len() > 1 && bits.starts_with('0') {
        return Err(fail(format!(
            "invalid prefix length {bits:?} in CIDR {rest:?}: leading zeros are refused by dockerd 29 and later"
        ))
        .help(format!("write \"{addr}/{prefix}\"")));
    }
    let net = network(ip, prefix);
    if net != ip {
        notes.push(format!(
            "{rest:?} is the network {net}/{prefix}: the address bits beyond /{prefix} are ignored"
        ));
    }
    Ok(InsecureKind::Cidr { addr: ip, prefix })
}

/// `rest` has no `/`: `host`, `host:port`, an IP address, `[IPv6]` or `[IPv6]:port`.
fn parse_host_port(
    input: &str,
    rest: &str,
    notes: &mut Vec<String>,
) -> Result<InsecureKind, AddrError> {
    let fail = |message: String| AddrError::new(input, message);
    if let Some(inner) = rest.strip_prefix('[') {
        let (ip, written, port) = parse_bracketed(input, inner)?;
        if port.is_none() && written.contains('.') {
            // dockerd's name pattern allows only hex digits and ':' inside brackets, and
            // net.ParseIP does not take brackets: every engine refuses this form.
            return Err(fail(format!(
                "dockerd refuses {rest:?}: an IPv6 address with an embedded IPv4 part needs a port when written in brackets"
            ))
            .help(format!("write \"[{ip}]:PORT\" or the CIDR \"{ip}/128\"")));
        }
        if port.is_none() {
            notes.push(format!(
                "engines before 25.0 refuse {rest:?} (a bracketed IPv6 address without a port); \
                 for them write \"[{ip}]:PORT\" or the CIDR \"{ip}/128\""
            ));
        }
        return Ok(InsecureKind::Host {
            host: written.to_string(),
            port,
        });
    }
    if colons(rest) > 1 {
        if rest.contains('%') {
            return Err(fail(format!(
                "IPv6 zones (the \"%\" part) are not supported by dockerd: {rest:?}"
            ))
            .help("remove the zone, e.g. fe80::1"));
        }
        let Ok(ip) = rest.parse::<Ipv6Addr>() else {
            return Err(fail(format!("{rest:?} is not a valid IPv6 address"))
                .help("an IPv6 address with a port is written in brackets: [fe80::1]:5000"));
        };
        if let Some((head, last)) = rest.rsplit_once(':')
            && !last.is_empty()
            && last.bytes().all(|b| b.is_ascii_digit())
            && head.parse::<Ipv6Addr>().is_ok()
        {
            notes.push(format!(
                "{rest:?} is read as the IPv6 address {ip} without a port; \
                 to give port {last}, write \"[{head}]:{last}\""
            ));
        }
        notes.push(format!(
            "dockerd compares registry names as text and image names write IPv6 in brackets, \
             so {rest:?} matches no image; write \"[{ip}]:PORT\" or the CIDR \"{ip}/128\""
        ));
        return Ok(InsecureKind::Host {
            host: rest.to_string(),
            port: None,
        });
    }
    let (host, port) = match rest.split_once(':') {
        Some((host, port)) => (host, Some(parse_port(input, host, port)?)),
        None => (rest, None),
    };
    check_host_name(input, host, false)?;
    if host.bytes().any(|b| b.is_ascii_uppercase()) {
        notes.push(format!(
            "dockerd matches registry names case-sensitively: {rest:?} applies only to images \
             named with exactly these letters; image names are usually lowercase ({:?})",
            rest.to_ascii_lowercase()
        ));
    }
    if host.eq_ignore_ascii_case("docker.io") || host.eq_ignore_ascii_case("index.docker.io") {
        return Err(fail(format!(
            "{host} cannot be made insecure: dockerd always uses TLS for Docker Hub and ignores this entry"
        ))
        .help("to pull Docker Hub images through a plain-HTTP server, add it as a mirror"));
    }
    Ok(InsecureKind::Host {
        host: host.to_string(),
        port,
    })
}

/// The part after `[`: `IPv6]` or `IPv6]:port`. Returns the address, its text as written and
/// the port.
fn parse_bracketed<'a>(
    input: &str,
    inner: &'a str,
) -> Result<(Ipv6Addr, &'a str, Option<u16>), AddrError> {
    let fail = |message: String| AddrError::new(input, message);
    let Some((addr, after)) = inner.split_once(']') else {
        return Err(fail(format!("missing \"]\" in {input:?}"))
            .help("write an IPv6 address with a port as [fe80::1]:5000"));
    };
    if addr.contains('%') {
        return Err(fail(format!(
            "IPv6 zones (the \"%\" part) are not supported by dockerd: [{addr}]"
        ))
        .help("remove the zone, e.g. [fe80::1]:5000"));
    }
    let Ok(ip) = addr.parse::<Ipv6Addr>() else {
        let help = if addr.parse::<Ipv4Addr>().is_ok() {
            format!("an IPv4 address is written without brackets: {addr}")
        } else {
            "write an IPv6 address such as [fe80::1] or [fe80::1]:5000".to_string()
        };
        return Err(fail(format!("\"[{addr}]\" is not a valid IPv6 address")).help(help));
    };
    if after.is_empty() {
        return Ok((ip, addr, None));
    }
    let Some(port) = after.strip_prefix(':') else {
        return Err(fail(format!(
            "unexpected {after:?} after \"[{addr}]\" in {input:?}"
        ))
        .help(format!("write \"[{addr}]\" or \"[{addr}]:5000\"")));
    };
    let port = parse_port(input, &format!("[{addr}]"), port)?;
    Ok((ip, addr, Some(port)))
}

/// A port as dockcfg accepts it: 1 to 65535, decimal, no leading zeros.
fn parse_port(input: &str, host: &str, port: &str) -> Result<u16, AddrError> {
    let fail = |message: String| AddrError::new(input, message);
    if port.is_empty() {
        return Err(
            fail(format!("missing port after \":\" in {input:?}")).help(format!(
                "write {host:?} or give the port, e.g. \"{host}:5000\""
            )),
        );
    }
    if !port.bytes().all(|b| b.is_ascii_digit()) {
        return Err(fail(format!(
            "invalid port {port:?} in {input:?}: a port is a number from 1 to 65535"
        ))
        .help(format!("e.g. \"{host}:5000\"")));
    }
    let digits = port.trim_start_matches('0');
    let value = if digits.len() > 5 {
        None
    } else {
        digits.parse::<u32>().ok().or(Some(0))
    };
    match value {
        Some(0) => Err(fail(format!(
            "invalid port {port} in {input:?}: ports go from 1 to 65535"
        ))
        .help(format!("give the registry's port, e.g. \"{host}:5000\""))),
        Some(v) if v <= 65535 && digits.len() == port.len() => {
            u16::try_from(v).map_err(|_| fail(format!("invalid port {port} in {input:?}")))
        }
        Some(v) if v <= 65535 => Err(fail(format!(
            "invalid port {port:?} in {input:?}: dockerd matches registry names as text, \
             so a port with leading zeros never matches an image name"
        ))
        .help(format!("write \"{host}:{v}\""))),
        _ => Err(fail(format!(
            "invalid port {port} in {input:?}: ports go up to 65535"
        ))
        .help(format!("e.g. \"{host}:5000\""))),
    }
}

/// A DNS host name or an IPv4 address, the way dockerd's reference regexp accepts it (ASCII
/// letters, digits, `-` inside labels, `.` between them), plus dockcfg's extra sense checks.
/// `mirror` allows `_` (Go's resolver accepts it in mirror hosts) and words help for URLs.
fn check_host_name(input: &str, host: &str, mirror: bool) -> Result<(), AddrError> {
    let fail = |message: String| AddrError::new(input, message);
    if host.is_empty() {
        let forms = if mirror { MIRROR_FORM } else { INSECURE_FORMS };
        return Err(fail(format!("missing host in {input:?}")).help(forms));
    }
    if host.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        if host.parse::<Ipv4Addr>().is_ok() {
            return Ok(());
        }
        if !host.contains('.') {
            return Err(fail(format!(
                "{host:?} looks like a port, not a host, in {input:?}"
            ))
            .help(format!("write host:{host}")));
        }
        return Err(fail(format!(
            "{host:?} is not a valid IPv4 address (four numbers 0 to 255, without leading zeros)"
        ))
        .help("e.g. 10.0.0.5"));
    }
    if let Some(c) = host.chars().find(|c| !c.is_ascii()) {
        return Err(fail(format!(
            "invalid character {c:?} in host name {host:?}: only ASCII letters, digits, '-' and '.' are allowed"
        ))
        .help("write an internationalised name in its punycode form (xn--...)"));
    }
    if host.len() > 253 {
        return Err(fail(format!(
            "host name in {input:?} is {} characters long: at most 253 are allowed",
            host.len()
        )));
    }
    if let Some(stem) = host.strip_suffix('.') {
        return Err(fail(format!(
            "trailing \".\" in host name {host:?}: dockerd refuses it"
        ))
        .help(format!("write {stem:?}")));
    }
    for label in host.split('.') {
        if label.is_empty() {
            return Err(fail(format!(
                "empty label (\"..\" or a leading \".\") in host name {host:?}"
            ))
            .help("write the name without the extra \".\""));
        }
        if label.len() > 63 {
            return Err(fail(format!(
                "label {label:?} in host name {host:?} is {} characters long: at most 63 are allowed",
                label.len()
            )));
        }
        if let Some(c) = label
            .chars()
            .find(|&c| !(c.is_ascii_alphanumeric() || c == '-' || (mirror && c == '_')))
        {
            let help = if c == '_' {
                format!(
                    "use a name without '_' (e.g. {:?}) or the registry's IP address",
                    host.replace('_', "-")
                )
            } else {
                "a host name has only ASCII letters, digits, '-' and '.'".to_string()
            };
            return Err(fail(format!(
                "invalid character {c:?} in host name {host:?}: dockerd accepts only letters, digits, '-' and '.'"
            ))
            .help(help));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(fail(format!(
                "host name label {label:?} in {host:?} cannot begin or end with a hyphen"
            ))
            .help("remove the hyphen"));
        }
    }
    Ok(())
}

/// True when `s` is meant as an IP address (dotted digits, or hex digits with `:`), so a CIDR
/// error reads better than a path error.
fn looks_like_ip(s: &str) -> bool {
    let dotted = s.contains('.') && s.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    let colons = s.contains(':')
        && s.bytes()
            .all(|b| b.is_ascii_hexdigit() || b == b'.' || b == b':');
    dotted || colons
}

fn describe_char(c: char) -> String {
    match c {
        ' ' => "space".to_string(),
        '\t' => "tab".to_string(),
        '\u{3000}' => "full-width space (U+3000)".to_string(),
        c => format!("character U+{:04X}", u32::from(c)),
    }
}

// ---------------------------------------------------------------------------------------------
// Mirrors

/// One entry of `registry-mirrors`, as dockcfg will write it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mirror {
    /// Exactly what gets written: as given (trimmed), with `https://` put in front when the
    /// input had no scheme; not otherwise rewritten.
    pub value: String,
    /// Things the user should know (`https://` was added, ...).
    pub notes: Vec<String>,
    /// True when the URL has a path other than `/` (`https://m.example.com/docker`). Engines
    /// before 25.0 refuse such a mirror; the caller decides how loudly to say so.
    pub has_path: bool,
}

impl Mirror {
    /// A key under which equal mirrors compare equal: scheme and host lowercased, an IPv6 host
    /// canonical, trailing slashes ignored (`https://M.example.com` == `https://m.example.com/`).
    /// The path keeps its case. Ports are compared as written (`:443` is not dropped).
    pub fn key(&self) -> String {
        let (scheme, rest) =
            split_scheme_sep(&self.value).unwrap_or(("https", self.value.as_str()));
        let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        let authority = match authority
            .strip_prefix('[')
            .and_then(|a| a.split_once(']'))
            .and_then(|(ip, port)| Some((ip.parse::<Ipv6Addr>().ok()?, port)))
        {
            Some((ip, port)) => format!("[{ip}]{port}"),
            None => authority.to_ascii_lowercase(),
        };
        format!(
            "{}://{authority}{}",
            scheme.to_ascii_lowercase(),
            path.trim_end_matches('/')
        )
    }
}

const MIRROR_FORM: &str =
    "a mirror is a URL such as https://mirror.example.com or http://10.0.0.5:5000";

/// Parse a `registry-mirrors` entry given on dockcfg's command line.
///
/// A URL without a scheme gets `https://` (with a note). Errors: a scheme other than http/https,
/// a query or fragment, a user name or password (masked as `xxxxx` in every message, as dockerd
/// does), an empty or invalid host, a port outside 1..=65535, a bad `%` escape, spaces. A path
/// is accepted and flagged in [`Mirror::has_path`].
///
/// Differences from dockerd ([`dockerd_mirror_error`]): dockerd does not add a scheme; it
/// accepts an empty host (`https://`), any port number (`:99999`), a bare `?` or `#` at the end,
/// and characters in the host that the resolver will then refuse; dockcfg refuses all of these.
pub fn parse_mirror(input: &str) -> Result<Mirror, AddrError> {
    let trimmed = input.trim();
    let shown = mask_password(trimmed);
    let fail = |message: String| AddrError::new(&shown, message);
    if trimmed.is_empty() {
        return Err(fail("empty mirror URL".into()).help(MIRROR_FORM));
    }
    if let Some(c) = trimmed
        .chars()
        .find(|c| c.is_whitespace() || c.is_control())
    {
        return Err(fail(format!(
            "unexpected {} in mirror URL {shown:?}",
            describe_char(c)
        ))
        .help(MIRROR_FORM));
    }

    let mut notes = Vec::new();
    let (scheme, rest, value) = match split_url_scheme(trimmed) {
        Some((scheme, rest)) => (scheme, rest, trimmed.to_string()),
        None => {
            let lower = trimmed.to_ascii_lowercase();
            if let Some(after) = trimmed.strip_prefix("://") {
                return Err(fail(format!("missing scheme before \"://\" in {shown:?}"))
                    .help(format!("write \"https://{}\"", mask_password(after))));
            }
            for s in ["https", "http"] {
                if let Some(after) = lower.strip_prefix(s)
                    && (after.starts_with(':') || after.starts_with("//"))
                {
                    let host = after.trim_start_matches([':', '/']);
                    return Err(fail(format!("malformed scheme in mirror URL {shown:?}"))
                        .help(format!("write \"{s}://{}\"", mask_password(host))));
                }
            }
            if trimmed.starts_with('/') {
                return Err(fail(format!("missing host in mirror URL {shown:?}")).help(MIRROR_FORM));
            }
            notes.push(format!(
                "added \"https://\" to {shown:?}: dockerd needs a scheme \
                 (write http:// instead if the mirror serves plain HTTP)"
            ));
            ("https", trimmed, format!("https://{trimmed}"))
        }
    };
    if !(scheme.eq_ignore_ascii_case("https") || scheme.eq_ignore_ascii_case("http")) {
        return Err(fail(format!(
            "unsupported scheme {scheme:?} in mirror URL {shown:?}: mirrors use https:// or http://"
        ))
        .help(format!("write \"https://{}\"", mask_password(rest))));
    }

    // Any '@' is taken as the end of user:password, so that no part of a password (which may
    // hold '/', '?' or '#') is ever echoed back.
    if let Some((_, host)) = rest.rsplit_once('@') {
        return Err(fail(format!(
            "a user name or password is not allowed in mirror URL {shown:?}: dockerd refuses credentials in mirror URLs"
        ))
        .help(format!("remove the credentials: \"{scheme}://{host}\"")));
    }
    let (authority, after) = rest.split_at(rest.find(['/', '?', '#']).unwrap_or(rest.len()));
    if let Some(i) = after.find(['?', '#']) {
        let (path, tail) = after.split_at(i);
        return Err(fail(format!(
            "a query or fragment ({tail:?}) is not allowed in mirror URL {shown:?}"
        ))
        .help(format!("write \"{scheme}://{authority}{path}\"")));
    }
    if authority.is_empty() {
        return Err(fail(format!("missing host in mirror URL {shown:?}")).help(MIRROR_FORM));
    }
    if let Some(inner) = authority.strip_prefix('[') {
        parse_bracketed(&shown, inner)?;
    } else if colons(authority) > 1 {
        return Err(fail(format!(
            "an IPv6 address in a URL is written in brackets, not {authority:?}"
        ))
        .help("e.g. https://[fd00::1]:5000"));
    } else {
        let (host, port) = match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        };
        check_host_name(&shown, host, true).map_err(|e| e.help_if_none(MIRROR_FORM))?;
        if let Some(port) = port {
            parse_port(&shown, host, port)?;
        }
    }
    if let Some(bad) = bad_percent_escape(after) {
        return Err(fail(format!(
            "invalid escape {bad:?} in the path of mirror URL {shown:?}: \"%\" must be followed by two hex digits"
        ))
        .help("write a literal % as %25"));
    }
    Ok(Mirror {
        value,
        notes,
        has_path: !after.is_empty() && after != "/",
    })
}

impl AddrError {
    fn help_if_none(mut self, help: &str) -> AddrError {
        if self.help.is_none() {
            self.help = Some(help.to_string());
        }
        self
    }
}

/// `scheme://rest` when the part before the first `://` is a URL scheme
/// (`[A-Za-z][A-Za-z0-9+.-]*`); `None` otherwise (no scheme, or `://` inside a path or query).
fn split_url_scheme(s: &str) -> Option<(&str, &str)> {
    let (scheme, rest) = split_scheme_sep(s)?;
    let mut bytes = scheme.bytes();
    let first_ok = bytes.next().is_some_and(|b| b.is_ascii_alphabetic());
    let rest_ok = bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'.' | b'-'));
    (first_ok && rest_ok).then_some((scheme, rest))
}

/// The first `%` not followed by two hex digits, with what follows it (up to 3 bytes).
fn bad_percent_escape(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        if c == b'%' {
            let ok = matches!((b.get(i + 1), b.get(i + 2)), (Some(x), Some(y)) if x.is_ascii_hexdigit() && y.is_ascii_hexdigit());
            if !ok {
                let end = (i + 3).min(b.len());
                return Some(
                    String::from_utf8_lossy(b.get(i..end).unwrap_or_default()).into_owned(),
                );
            }
            i += 3;
        } else {
            i += 1;
        }
    }
    None
}

/// `s` with the password of a `user:password@` replaced by `xxxxx`, as dockerd shows it; a
/// userinfo without `:` (often a token) is replaced whole. Everything up to the last `@` after
/// the scheme counts as userinfo, so a password holding `/`, `?` or `#` is never shown. For
/// showing mirror URLs from a file in messages.
pub fn mask_password(s: &str) -> String {
    let start = s.find("://").map_or(0, |i| i + 3);
    let (head, rest) = s.split_at(start);
    match rest.rsplit_once('@') {
        Some((userinfo, host)) => {
            let masked = match userinfo.split_once(':') {
                Some((user, _)) => format!("{user}:xxxxx"),
                None => "xxxxx".to_string(),
            };
            format!("{head}{masked}@{host}")
        }
        None => s.to_string(),
    }
}

// ---------------------------------------------------------------------------------------------
// Dedup

/// Keep the first item of each key, in order. Linear: one `key_fn` call per item and a
/// `HashSet` of keys (no pairwise comparison), so 100,000 entries take milliseconds.
pub fn dedup_keys<T, K, F>(items: impl IntoIterator<Item = T>, mut key_fn: F) -> Vec<T>
where
    K: Eq + Hash,
    F: FnMut(&T) -> K,
{
    let mut seen = HashSet::new();
    items
        .into_iter()
        .filter(|item| seen.insert(key_fn(item)))
        .collect()
}

/// The duplicates among `count` items as `(index, index of its first occurrence)`, in order;
/// `key_of(i)` is item `i`'s key (`None`: the item takes no part). Linear like [`dedup_keys`];
/// for diagnostics such as "duplicate of the entry on line 3".
pub fn find_duplicates<K, F>(count: usize, key_of: F) -> Vec<(usize, usize)>
where
    K: Eq + Hash,
    F: Fn(usize) -> Option<K>,
{
    use std::hash::BuildHasher as _;
    // The table holds the index of each key's first item (4 bytes a slot; a table of the keys
    // themselves took 400 KB for a 10,000-entry list). FxHash: registry keys are short strings
    // from the user's own file, so the hash-flooding defence of std's SipHash buys nothing
    // here, while it cost a tenth of validating a 10,000-entry list.
    let hasher = rustc_hash::FxBuildHasher;
    let stored = |j: &u32| key_of(*j as usize);
    let mut first: hashbrown::HashTable<u32> = hashbrown::HashTable::with_capacity(count);
    let mut dups = Vec::new();
    for i in 0..count {
        let Some(key) = key_of(i) else {
            continue;
        };
        // A list longer than u32 indexes cannot be read into memory anyway.
        let Ok(index) = u32::try_from(i) else {
            break;
        };
        let hash = hasher.hash_one(&key);
        match first.entry(
            hash,
            |j| stored(j).as_ref() == Some(&key),
            |j| stored(j).map_or(0, |k| hasher.hash_one(k)),
        ) {
            hashbrown::hash_table::Entry::Occupied(e) => dups.push((i, *e.get() as usize)),
            hashbrown::hash_table::Entry::Vacant(e) => {
                e.insert(index);
            }
        }
    }
    dups
}

// ---------------------------------------------------------------------------------------------
// dockerd's verdicts

/// What the newest known dockerd ([`EngineVersion::NEWEST`]) says about an `insecure-registries`
/// entry: `Some(message)` in dockerd's words exactly when it refuses the entry, else `None`.
/// See [`dockerd_insecure_error_for`] for the rules and the differences between versions.
pub fn dockerd_insecure_error(entry: &str) -> Option<String> {
    dockerd_insecure_error_for(entry, EngineVersion::NEWEST)
}

/// What dockerd `engine` says about an `insecure-registries` entry (`loadInsecureRegistries`):
/// `Some(message)` exactly when it refuses it. dockerd prints it after `failed to start daemon: `
/// (or logs it on reload); `dockerd --validate` does not check these entries.
///
/// The checks, in dockerd's order, on the entry exactly as written (no trimming):
/// 1. `ValidateIndexName`: a leading or trailing `-` on the whole entry:
///    `invalid index name (x-). Cannot begin or end with a hyphen`.
/// 2. `http://` or `https://` (any case) is removed (dockerd only logs a warning); any other
///    `://`: `insecure registry x should not contain '://'`.
/// 3. A CIDR is accepted. Up to 28.x by `net.ParseCIDR` (first `/`, prefix length may have
///    leading zeros); from 29.0 by `netip.ParsePrefix` (moby d6899ca5a5; last `/`, leading zeros
///    refused, so `10.0.0.0/08` then fails as a host).
/// 4. Else `validateHostPort`: the entry must match the reference domain regexp
///    (`label(.label)*(:digits)?`, labels of ASCII letters, digits and inner `-`; from 25.0 also
///    `[hex-and-colons](:digits)?`, distribution/reference v0.5 via moby 1148a24e64), or the host
///    from `net.SplitHostPort` must be an IP address: `insecure registry x is not valid: invalid
///    host "h"`. A port is then read by `strconv.Atoi` (`... is not valid: strconv.Atoi: parsing
///    "p": invalid syntax`) and must be 0..=65535 (`... is not valid: invalid port "p"`).
///
/// So dockerd accepts port 0, `host:05000`, `10.0.0.1:` (empty port after an IP), `fe80::1:5000`
/// (a valid IPv6 address), `999.1.1.1` (it matches the name regexp) and `docker.io` (ignored),
/// and refuses `[fe80::1]` before 25.0, `host:` and `my_registry`. Messages are identical from
/// 20.10 to today. One verdict depends on the Go release dockerd was built with, not on moby:
/// IPv6 groups of more than four hex digits (`fe80::00001`) pass with go1.19 (Debian's 20.10.24)
/// and fail with go1.24 (Debian's 26.1.5); this assumes the old behaviour before engine 25.0.
pub fn dockerd_insecure_error_for(entry: &str, engine: EngineVersion) -> Option<String> {
    let normalized = if entry == "index.docker.io" {
        "docker.io"
    } else {
        entry
    };
    if normalized.starts_with('-') || normalized.ends_with('-') {
        return Some(format!(
            "invalid index name ({normalized}). Cannot begin or end with a hyphen"
        ));
    }
    let mut r = entry;
    if let Some((scheme, host)) = split_scheme_sep(entry) {
        if scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https") {
            r = host;
        } else {
            return Some(format!(
                "insecure registry {entry} should not contain '://'"
            ));
        }
    }
    let old_go = engine < V25_0;
    if go::parse_cidr(r, engine >= V29_0, old_go) {
        return None;
    }
    let (host, port) = go::split_host_port(r).unwrap_or((r, ""));
    if !go::domain_regexp_matches(r, engine >= V25_0) && !go::parse_ip(host, old_go) {
        return Some(format!(
            "insecure registry {r} is not valid: invalid host {}",
            go::quote(host.as_bytes())
        ));
    }
    if !port.is_empty() {
        match go::atoi(port) {
            Err(why) => {
                return Some(format!(
                    "insecure registry {r} is not valid: strconv.Atoi: parsing {}: {why}",
                    go::quote(port.as_bytes())
                ));
            }
            Ok(v) if !(0..=65535).contains(&v) => {
                return Some(format!(
                    "insecure registry {r} is not valid: invalid port {}",
                    go::quote(port.as_bytes())
                ));
            }
            Ok(_) => {}
        }
    }
    None
}

/// What dockerd `engine` says about a `registry-mirrors` entry (`ValidateMirror`):
/// `Some(message)` in dockerd's words exactly when it refuses it, else `None`. dockerd prints it
/// after `failed to start daemon: `; from 28.3 `dockerd --validate` reports it too.
///
/// Versions (moby `registry/config.go`, `daemon/pkg/registry/config.go`):
/// - all: parsed by Go's `url.Parse` (scheme case-insensitive, so `HTTPS://m` is fine); the
///   scheme must be http or https; no query or fragment (a bare trailing `?` or `#` passes);
///   no userinfo (`username/password not allowed in URI "https://user:xxxxx@m"`). The host is
///   not checked beyond `url.Parse`: `https://` and `https://m:99999` pass.
/// - before 23.0: a `url.Parse` error is `invalid mirror: "x" is not a valid URI`; from 23.0 the
///   cause follows (`...: parse "x": first path segment in URL cannot contain colon`).
/// - before 25.0: a path other than `/` is refused: `invalid mirror: path, query, or fragment at
///   end of the URI "..."`; from 25.0 (moby c587ba3422) paths are fine and the message is
///   `invalid mirror: query or fragment at end of the URI "..."`.
/// - before 28.3 a missing scheme shows as `unsupported scheme "" in "m.example.com"`, or with a
///   port as `unsupported scheme "m.example.com" in "m.example.com:5000"`, or (IP first) as a
///   parse error. From 28.3 (moby 307c18598d): `invalid mirror: no scheme specified for "x":
///   must use either 'https://' or 'http://'`, and `unsupported scheme` messages end with
///   `: must use either 'https://' or 'http://'`.
///
/// Engines older than 20.10 are judged as 20.10. `url.Parse` is modelled as in Go 1.19 to 1.24;
/// Go 1.25.2+ also refuses malformed bracketed hosts (`https://[abc]`) that this lets pass.
pub fn dockerd_mirror_error(entry: &str, engine: EngineVersion) -> Option<String> {
    let must_use = " must use either 'https://' or 'http://'";
    if engine >= V28_3 {
        match split_scheme_sep(entry) {
            Some((scheme, _)) if !scheme.is_empty() => {}
            _ => {
                return Some(format!(
                    "invalid mirror: no scheme specified for {}:{must_use}",
                    go::quote(entry.as_bytes())
                ));
            }
        }
    }
    let mut uri = match go::Url::parse(entry) {
        Ok(u) => u,
        Err(cause) => {
            let q = go::quote(entry.as_bytes());
            return Some(if engine < V23_0 {
                format!("invalid mirror: {q} is not a valid URI")
            } else {
                format!("invalid mirror: {q} is not a valid URI: {cause}")
            });
        }
    };
    if uri.scheme != b"http" && uri.scheme != b"https" {
        return Some(format!(
            "invalid mirror: unsupported scheme {} in {}{}",
            go::quote(&uri.scheme),
            go::quote(&uri.to_bytes()),
            if engine >= V28_3 {
                format!(":{must_use}")
            } else {
                String::new()
            }
        ));
    }
    let query_or_fragment = !uri.raw_query.is_empty() || !uri.fragment.is_empty();
    if engine < V25_0 {
        if (!uri.path.is_empty() && uri.path != b"/") || query_or_fragment {
            return Some(format!(
                "invalid mirror: path, query, or fragment at end of the URI {}",
                go::quote(&uri.to_bytes())
            ));
        }
    } else if query_or_fragment {
        return Some(format!(
            "invalid mirror: query or fragment at end of the URI {}",
            go::quote(&uri.to_bytes())
        ));
    }
    if let Some((user, _)) = uri.user.take() {
        uri.user = Some((user, Some(b"xxxxx".to_vec())));
        return Some(format!(
            "invalid mirror: username/password not allowed in URI {}",
            go::quote(&uri.to_bytes())
        ));
    }
    None
}

/// The parts of Go's standard library whose behaviour dockerd's checks depend on, reproduced
/// from the Go sources (net, net/netip, net/url, strconv) so the verdicts and messages match.
mod go {
    use std::net::{Ipv4Addr, Ipv6Addr};

    /// `strconv.Quote`: Go's `%q`. Printable runes as they are, `\"` and `\\`, C escapes,
    /// `\xNN` for other ASCII controls and invalid bytes, `\uNNNN`/`\UNNNNNNNN` for the rest.
    pub fn quote(s: &[u8]) -> String {
        let mut out = String::from("\"");
        for chunk in s.utf8_chunks() {
            for c in chunk.valid().chars() {
                match c {
                    '"' => out.push_str("\\\""),
                    '\\' => out.push_str("\\\\"),
                    c if is_print(c) => out.push(c),
                    '\u{7}' => out.push_str("\\a"),
                    '\u{8}' => out.push_str("\\b"),
                    '\u{c}' => out.push_str("\\f"),
                    '\n' => out.push_str("\\n"),
                    '\r' => out.push_str("\\r"),
                    '\t' => out.push_str("\\t"),
                    '\u{b}' => out.push_str("\\v"),
                    c if c < ' ' || c == '\u{7f}' => {
                        out.push_str(&format!("\\x{:02x}", u32::from(c)));
                    }
                    c if u32::from(c) < 0x10000 => {
                        out.push_str(&format!("\\u{:04x}", u32::from(c)))
                    }
                    c => out.push_str(&format!("\\U{:08x}", u32::from(c))),
                }
            }
            for b in chunk.invalid() {
                out.push_str(&format!("\\x{b:02x}"));
            }
        }
        out.push('"');
        out
    }

    /// Go's `unicode.IsPrint`: letters, marks, numbers, punctuation, symbols and ASCII space.
    /// Approximated: controls, non-ASCII spaces, format characters and private use are not
    /// printable (unassigned code points are treated as printable).
    fn is_print(c: char) -> bool {
        if c == ' ' {
            return true;
        }
        if c.is_control() || c.is_whitespace() {
            return false;
        }
        let n = u32::from(c);
        let format = matches!(n,
            0xAD | 0x600..=0x605 | 0x61C | 0x6DD | 0x70F | 0x890..=0x891 | 0x8E2 | 0x180E
            | 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x2064 | 0x2066..=0x206F | 0xFEFF
            | 0xFFF9..=0xFFFB | 0x110BD | 0x110CD | 0x13430..=0x1343F | 0x1BCA0..=0x1BCA3
            | 0x1D173..=0x1D17A | 0xE0001 | 0xE0020..=0xE007F);
        let private = matches!(n, 0xE000..=0xF8FF | 0xF0000..=0xFFFFD | 0x100000..=0x10FFFD);
        let nonchar = (n & 0xFFFE) == 0xFFFE || (0xFDD0..=0xFDEF).contains(&n);
        !(format || private || nonchar)
    }

    /// `net.SplitHostPort`: `Some((host, port))`, or `None` where Go returns an error.
    pub fn split_host_port(s: &str) -> Option<(&str, &str)> {
        let i = s.rfind(':')?;
        let (host, j, k) = if s.starts_with('[') {
            let end = s.find(']')?;
            if end + 1 != i {
                return None;
            }
            (s.get(1..end)?, 1, end + 1)
        } else {
            let host = s.get(..i)?;
            if host.contains(':') {
                return None;
            }
            (host, 0, 0)
        };
        if s.get(j..)?.contains('[') || s.get(k..)?.contains(']') {
            return None;
        }
        Some((host, s.get(i + 1..)?))
    }

    /// `net.ParseIP`: the first `.` or `:` decides between IPv4 and IPv6; no zones.
    /// `old_go`: see [`ipv6`].
    pub fn parse_ip(s: &str, old_go: bool) -> bool {
        match s.bytes().find(|&b| b == b'.' || b == b':') {
            Some(b'.') => s.parse::<Ipv4Addr>().is_ok(),
            Some(_) => ipv6(s, old_go),
            None => false,
        }
    }

    /// An IPv6 address as `net` parses it. Older Go (go1.19 here) also took groups of more than
    /// four hex digits when the value fits (`fe80::00001`, golang/go#57760); newer Go refuses
    /// them. Seen: Debian's dockerd 20.10.24 (go1.19) accepts `fe80::1:05000`, Debian's 26.1.5
    /// (go1.24) refuses it. `old_go` picks the old behaviour.
    fn ipv6(s: &str, old_go: bool) -> bool {
        if s.parse::<Ipv6Addr>().is_ok() {
            return true;
        }
        if !old_go {
            return false;
        }
        let groups: Vec<&str> = s
            .split(':')
            .map(|g| {
                if g.len() > 4 && g.bytes().all(|b| b.is_ascii_hexdigit()) {
                    match g.trim_start_matches('0') {
                        "" => "0",
                        t => t,
                    }
                } else {
                    g
                }
            })
            .collect();
        groups.join(":").parse::<Ipv6Addr>().is_ok()
    }

    /// `net.ParseCIDR` (`netip_prefix` false) or `netip.ParsePrefix` (true, Go 1.22+): is `s`
    /// an IP address, `/` and a prefix length in range? `old_go`: see [`ipv6`].
    pub fn parse_cidr(s: &str, netip_prefix: bool, old_go: bool) -> bool {
        let split = if netip_prefix {
            s.rsplit_once('/')
        } else {
            s.split_once('/')
        };
        let Some((addr, bits)) = split else {
            return false;
        };
        let max: u32 = if addr.parse::<Ipv4Addr>().is_ok() {
            32
        } else if ipv6(addr, old_go && !netip_prefix) {
            128
        } else {
            return false;
        };
        if bits.is_empty() || !bits.bytes().all(|b| b.is_ascii_digit()) {
            return false;
        }
        if netip_prefix && bits.len() > 1 && bits.starts_with('0') {
            return false;
        }
        // net's dtoi gives up at 0xFFFFFF; leading zeros cost nothing.
        let digits = bits.trim_start_matches('0');
        digits.len() <= 8 && digits.parse::<u32>().unwrap_or(0) <= max
    }

    /// `^` + reference.DomainRegexp + `$`: `label(.label)*(:[0-9]+)?` with labels
    /// `[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]`; with `ipv6` (reference v0.5, engines
    /// 25.0+) the host may also be `\[[a-fA-F0-9:]+\]`.
    pub fn domain_regexp_matches(s: &str, ipv6: bool) -> bool {
        let label = |l: &str| {
            let b = l.as_bytes();
            match (b.first(), b.last()) {
                (Some(f), Some(z)) => {
                    f.is_ascii_alphanumeric()
                        && z.is_ascii_alphanumeric()
                        && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
                }
                _ => false,
            }
        };
        let host = |h: &str| {
            h.split('.').all(label)
                || (ipv6
                    && h.strip_prefix('[')
                        .and_then(|h| h.strip_suffix(']'))
                        .is_some_and(|inner| {
                            !inner.is_empty()
                                && inner.bytes().all(|c| c.is_ascii_hexdigit() || c == b':')
                        }))
        };
        // A label has no ':', so with a ':' only the bracketed IPv6 host can match whole.
        if !s.contains(':') {
            return host(s);
        }
        if ipv6 && host(s) {
            return true;
        }
        match s.rsplit_once(':') {
            Some((h, port)) => {
                !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) && host(h)
            }
            None => false,
        }
    }

    /// `strconv.Atoi` on a 64-bit platform; the error is the text after `parsing "...": `.
    pub fn atoi(s: &str) -> Result<i64, &'static str> {
        const SYNTAX: &str = "invalid syntax";
        const RANGE: &str = "value out of range";
        let (neg, digits) = match s.as_bytes().first() {
            Some(b'-') => (true, s.get(1..).unwrap_or("")),
            Some(b'+') => (false, s.get(1..).unwrap_or("")),
            _ => (false, s),
        };
        if digits.is_empty() {
            return Err(SYNTAX);
        }
        if s.len() < 19 {
            if !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(SYNTAX);
            }
            let n: i64 = digits.parse().map_err(|_| SYNTAX)?;
            return Ok(if neg { -n } else { n });
        }
        // ParseUint: a non-digit is a syntax error, unless an overflow was found before it.
        let mut n: u64 = 0;
        for b in digits.bytes() {
            if !b.is_ascii_digit() {
                return Err(SYNTAX);
            }
            n = match n
                .checked_mul(10)
                .and_then(|n| n.checked_add(u64::from(b - b'0')))
            {
                Some(n) => n,
                None => return Err(RANGE),
            };
        }
        let cutoff: u64 = 1 << 63;
        if (!neg && n >= cutoff) || (neg && n > cutoff) {
            return Err(RANGE);
        }
        let n = i64::try_from(n).unwrap_or(i64::MIN);
        Ok(if neg { n.wrapping_neg() } else { n })
    }

    #[derive(Clone, Copy, PartialEq)]
    enum Enc {
        Path,
        Host,
        Zone,
        UserPassword,
        Fragment,
    }

    /// `url.shouldEscape`.
    fn should_escape(c: u8, mode: Enc) -> bool {
        if c.is_ascii_alphanumeric() {
            return false;
        }
        if matches!(mode, Enc::Host | Enc::Zone)
            && matches!(
                c,
                b'!' | b'$'
                    | b'&'
                    | b'\''
                    | b'('
                    | b')'
                    | b'*'
                    | b'+'
                    | b','
                    | b';'
                    | b'='
                    | b':'
                    | b'['
                    | b']'
                    | b'<'
                    | b'>'
                    | b'"'
            )
        {
            return false;
        }
        match c {
            b'-' | b'_' | b'.' | b'~' => return false,
            b'$' | b'&' | b'+' | b',' | b'/' | b':' | b';' | b'=' | b'?' | b'@' => match mode {
                Enc::Path => return c == b'?',
                Enc::UserPassword => return matches!(c, b'@' | b'/' | b'?' | b':'),
                Enc::Fragment => return false,
                Enc::Host | Enc::Zone => {}
            },
            _ => {}
        }
        if mode == Enc::Fragment && matches!(c, b'!' | b'(' | b')' | b'*') {
            return false;
        }
        true
    }

    fn unhex(c: u8) -> u8 {
        match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            b'A'..=b'F' => c - b'A' + 10,
            _ => 0,
        }
    }

    /// `url.unescape`.
    fn unescape(s: &[u8], mode: Enc) -> Result<Vec<u8>, String> {
        let mut out = Vec::with_capacity(s.len());
        let mut i = 0;
        while let Some(&c) = s.get(i) {
            if c == b'%' {
                let (Some(&h), Some(&l)) = (s.get(i + 1), s.get(i + 2)) else {
                    return Err(escape_error(s.get(i..).unwrap_or_default()));
                };
                let seq = s.get(i..i + 3).unwrap_or_default();
                if !h.is_ascii_hexdigit() || !l.is_ascii_hexdigit() {
                    return Err(escape_error(seq));
                }
                let v = (unhex(h) << 4) | unhex(l);
                if mode == Enc::Host && unhex(h) < 8 && seq != b"%25" {
                    return Err(escape_error(seq));
                }
                if mode == Enc::Zone && seq != b"%25" && v != b' ' && should_escape(v, Enc::Host) {
                    return Err(escape_error(seq));
                }
                out.push(v);
                i += 3;
            } else {
                if matches!(mode, Enc::Host | Enc::Zone) && c < 0x80 && should_escape(c, mode) {
                    return Err(format!("invalid character {} in host name", quote(&[c])));
                }
                out.push(c);
                i += 1;
            }
        }
        Ok(out)
    }

    fn escape_error(s: &[u8]) -> String {
        let s = s.get(..3).unwrap_or(s);
        format!("invalid URL escape {}", quote(s))
    }

    /// `url.escape`.
    fn escape(s: &[u8], mode: Enc) -> Vec<u8> {
        const HEX: &[u8; 16] = b"0123456789ABCDEF";
        let mut out = Vec::with_capacity(s.len());
        for &c in s {
            if should_escape(c, mode) {
                out.push(b'%');
                out.push(HEX[usize::from(c >> 4)]);
                out.push(HEX[usize::from(c & 15)]);
            } else {
                out.push(c);
            }
        }
        out
    }

    /// `url.validEncoded`.
    fn valid_encoded(s: &[u8], mode: Enc) -> bool {
        s.iter().all(|&c| {
            matches!(
                c,
                b'!' | b'$'
                    | b'&'
                    | b'\''
                    | b'('
                    | b')'
                    | b'*'
                    | b'+'
                    | b','
                    | b';'
                    | b'='
                    | b':'
                    | b'@'
                    | b'['
                    | b']'
                    | b'%'
            ) || !should_escape(c, mode)
        })
    }

    fn valid_optional_port(port: &[u8]) -> bool {
        match port.split_first() {
            None => true,
            Some((b':', digits)) => digits.iter().all(u8::is_ascii_digit),
            Some(_) => false,
        }
    }

    fn find(s: &[u8], c: u8) -> Option<usize> {
        s.iter().position(|&b| b == c)
    }

    fn rfind(s: &[u8], c: u8) -> Option<usize> {
        s.iter().rposition(|&b| b == c)
    }

    fn split_at(s: &[u8], i: usize) -> (&[u8], &[u8]) {
        s.split_at_checked(i).unwrap_or((s, &[]))
    }

    /// The fields of Go's `url.URL` that `ValidateMirror` uses or prints.
    #[derive(Debug, Default)]
    pub struct Url {
        pub scheme: Vec<u8>,
        opaque: Vec<u8>,
        /// (username, password) unescaped.
        pub user: Option<(Vec<u8>, Option<Vec<u8>>)>,
        host: Vec<u8>,
        pub path: Vec<u8>,
        raw_path: Vec<u8>,
        omit_host: bool,
        force_query: bool,
        pub raw_query: Vec<u8>,
        pub fragment: Vec<u8>,
        raw_fragment: Vec<u8>,
    }

    impl Url {
        /// `url.Parse`; the error is the text of Go's `*url.Error` (`parse "x": why`).
        pub fn parse(raw: &str) -> Result<Url, String> {
            let (u, frag) = raw.split_once('#').unwrap_or((raw, ""));
            let mut url = Url::parse_no_frag(u.as_bytes())
                .map_err(|e| format!("parse {}: {e}", quote(u.as_bytes())))?;
            if !frag.is_empty() {
                let f = frag.as_bytes();
                url.fragment = unescape(f, Enc::Fragment)
                    .map_err(|e| format!("parse {}: {e}", quote(raw.as_bytes())))?;
                url.raw_fragment = if escape(&url.fragment, Enc::Fragment) == f {
                    Vec::new()
                } else {
                    f.to_vec()
                };
            }
            Ok(url)
        }

        fn parse_no_frag(raw: &[u8]) -> Result<Url, String> {
            if raw.iter().any(|&b| b < b' ' || b == 0x7f) {
                return Err("net/url: invalid control character in URL".into());
            }
            let mut url = Url::default();
            if raw == b"*" {
                url.path = b"*".to_vec();
                return Ok(url);
            }
            let (scheme, mut rest) = get_scheme(raw)?;
            url.scheme = scheme.to_ascii_lowercase();
            if rest.ends_with(b"?") && rest.iter().filter(|&&b| b == b'?').count() == 1 {
                url.force_query = true;
                rest = rest.get(..rest.len() - 1).unwrap_or_default();
            } else if let Some(q) = find(rest, b'?') {
                let (r, query) = split_at(rest, q);
                url.raw_query = query.get(1..).unwrap_or_default().to_vec();
                rest = r;
            }
            if !rest.starts_with(b"/") {
                if !url.scheme.is_empty() {
                    url.opaque = rest.to_vec();
                    return Ok(url);
                }
                let segment = find(rest, b'/').map_or(rest, |i| split_at(rest, i).0);
                if segment.contains(&b':') {
                    return Err("first path segment in URL cannot contain colon".into());
                }
            }
            if (!url.scheme.is_empty() || !rest.starts_with(b"///")) && rest.starts_with(b"//") {
                let authority = rest.get(2..).unwrap_or_default();
                let (authority, path) = match find(authority, b'/') {
                    Some(i) => split_at(authority, i),
                    None => (authority, &[][..]),
                };
                rest = path;
                let (user, host) = parse_authority(authority)?;
                url.user = user;
                url.host = host;
            } else if !url.scheme.is_empty() && rest.starts_with(b"/") {
                url.omit_host = true;
            }
            url.path = unescape(rest, Enc::Path)?;
            url.raw_path = if escape(&url.path, Enc::Path) == rest {
                Vec::new()
            } else {
                rest.to_vec()
            };
            Ok(url)
        }

        fn escaped_path(&self) -> Vec<u8> {
            if !self.raw_path.is_empty()
                && valid_encoded(&self.raw_path, Enc::Path)
                && unescape(&self.raw_path, Enc::Path).is_ok_and(|p| p == self.path)
            {
                return self.raw_path.clone();
            }
            if self.path == b"*" {
                return b"*".to_vec();
            }
            escape(&self.path, Enc::Path)
        }

        fn escaped_fragment(&self) -> Vec<u8> {
            if !self.raw_fragment.is_empty()
                && valid_encoded(&self.raw_fragment, Enc::Fragment)
                && unescape(&self.raw_fragment, Enc::Fragment).is_ok_and(|f| f == self.fragment)
            {
                return self.raw_fragment.clone();
            }
            escape(&self.fragment, Enc::Fragment)
        }

        /// `(*url.URL).String`.
        pub fn to_bytes(&self) -> Vec<u8> {
            let mut buf = Vec::new();
            if !self.scheme.is_empty() {
                buf.extend_from_slice(&self.scheme);
                buf.push(b':');
            }
            if !self.opaque.is_empty() {
                buf.extend_from_slice(&self.opaque);
            } else {
                let no_authority = self.host.is_empty() && self.user.is_none();
                if !(no_authority && (self.scheme.is_empty() || self.omit_host)) {
                    if !self.host.is_empty() || !self.path.is_empty() || self.user.is_some() {
                        buf.extend_from_slice(b"//");
                    }
                    if let Some((user, password)) = &self.user {
                        buf.extend(escape(user, Enc::UserPassword));
                        if let Some(p) = password {
                            buf.push(b':');
                            buf.extend(escape(p, Enc::UserPassword));
                        }
                        buf.push(b'@');
                    }
                    buf.extend(escape(&self.host, Enc::Host));
                }
                let path = self.escaped_path();
                if path.first().is_some_and(|&c| c != b'/') && !self.host.is_empty() {
                    buf.push(b'/');
                }
                if buf.is_empty() {
                    let segment = find(&path, b'/').map_or(&path[..], |i| split_at(&path, i).0);
                    if segment.contains(&b':') {
                        buf.extend_from_slice(b"./");
                    }
                }
                buf.extend(path);
            }
            if self.force_query || !self.raw_query.is_empty() {
                buf.push(b'?');
                buf.extend_from_slice(&self.raw_query);
            }
            if !self.fragment.is_empty() {
                buf.push(b'#');
                buf.extend(self.escaped_fragment());
            }
            buf
        }
    }

    /// `url.getScheme`.
    fn get_scheme(raw: &[u8]) -> Result<(&[u8], &[u8]), String> {
        for (i, &c) in raw.iter().enumerate() {
            match c {
                b'a'..=b'z' | b'A'..=b'Z' => {}
                b'0'..=b'9' | b'+' | b'-' | b'.' if i == 0 => return Ok((&[], raw)),
                b'0'..=b'9' | b'+' | b'-' | b'.' => {}
                b':' if i == 0 => return Err("missing protocol scheme".into()),
                b':' => {
                    let (scheme, rest) = split_at(raw, i);
                    return Ok((scheme, rest.get(1..).unwrap_or_default()));
                }
                _ => return Ok((&[], raw)),
            }
        }
        Ok((&[], raw))
    }

    type User = Option<(Vec<u8>, Option<Vec<u8>>)>;

    /// `url.parseAuthority`.
    fn parse_authority(authority: &[u8]) -> Result<(User, Vec<u8>), String> {
        let at = rfind(authority, b'@');
        let host = match at {
            Some(i) => parse_host(authority.get(i + 1..).unwrap_or_default())?,
            None => parse_host(authority)?,
        };
        let Some(i) = at else {
            return Ok((None, host));
        };
        let userinfo = split_at(authority, i).0;
        let valid = userinfo.iter().all(|&c| {
            c.is_ascii_alphanumeric()
                || matches!(
                    c,
                    b'-' | b'.'
                        | b'_'
                        | b':'
                        | b'~'
                        | b'!'
                        | b'$'
                        | b'&'
                        | b'\''
                        | b'('
                        | b')'
                        | b'*'
                        | b'+'
                        | b','
                        | b';'
                        | b'='
                        | b'%'
                        | b'@'
                )
        });
        if !valid {
            return Err("net/url: invalid userinfo".into());
        }
        let user = match find(userinfo, b':') {
            None => (unescape(userinfo, Enc::UserPassword)?, None),
            Some(c) => {
                let (name, password) = split_at(userinfo, c);
                (
                    unescape(name, Enc::UserPassword)?,
                    Some(unescape(
                        password.get(1..).unwrap_or_default(),
                        Enc::UserPassword,
                    )?),
                )
            }
        };
        Ok((Some(user), host))
    }

    /// `url.parseHost` (Go 1.19 to 1.24).
    fn parse_host(host: &[u8]) -> Result<Vec<u8>, String> {
        if host.starts_with(b"[") {
            let Some(i) = rfind(host, b']') else {
                return Err("missing ']' in host".into());
            };
            let (before, colon_port) = split_at(host, i + 1);
            if !valid_optional_port(colon_port) {
                return Err(format!("invalid port {} after host", quote(colon_port)));
            }
            let inside = split_at(before, i).0;
            if let Some(zone) = inside.windows(3).position(|w| w == b"%25") {
                let mut out = unescape(split_at(host, zone).0, Enc::Host)?;
                out.extend(unescape(host.get(zone..i).unwrap_or_default(), Enc::Zone)?);
                out.extend(unescape(host.get(i..).unwrap_or_default(), Enc::Host)?);
                return Ok(out);
            }
        } else if let Some(i) = rfind(host, b':') {
            let colon_port = host.get(i..).unwrap_or_default();
            if !valid_optional_port(colon_port) {
                return Err(format!("invalid port {} after host", quote(colon_port)));
            }
        }
        unescape(host, Enc::Host)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(major: u32, minor: u32) -> EngineVersion {
        EngineVersion::new(major, minor)
    }

    fn kind(k: &InsecureKind) -> String {
        match k {
            InsecureKind::Cidr { addr, prefix } => format!("cidr {addr}/{prefix}"),
            InsecureKind::Host { host, port: None } => format!("host {host}"),
            InsecureKind::Host {
                host,
                port: Some(p),
            } => format!("host {host} port {p}"),
        }
    }

    #[test]
    fn insecure_accepted() {
        // (input, value written, kind, key, a fragment of each expected note)
        #[rustfmt::skip]
        let cases: &[(&str, &str, &str, &str, &[&str])] = &[
            ("localhost", "localhost", "host localhost", "localhost", &[]),
            ("  localhost:5000 ", "localhost:5000", "host localhost port 5000", "localhost:5000", &[]),
            ("registry.example.com:443", "registry.example.com:443", "host registry.example.com port 443", "registry.example.com:443", &[]),
            ("a-b.c-d.example", "a-b.c-d.example", "host a-b.c-d.example", "a-b.c-d.example", &[]),
            ("xn--bcher-kva.de", "xn--bcher-kva.de", "host xn--bcher-kva.de", "xn--bcher-kva.de", &[]),
            ("host:1", "host:1", "host host port 1", "host:1", &[]),
            ("host:65535", "host:65535", "host host port 65535", "host:65535", &[]),
            ("Registry.Example.com:5000", "Registry.Example.com:5000", "host Registry.Example.com port 5000", "registry.example.com:5000", &["case-sensitively"]),
            ("http://host:5000", "host:5000", "host host port 5000", "host:5000", &["removed \"http://\" from \"http://host:5000\""]),
            ("HTTP://Host:5000", "Host:5000", "host Host port 5000", "host:5000", &["removed \"HTTP://\"", "case-sensitively"]),
            ("https://host:5000/", "host:5000", "host host port 5000", "host:5000", &["removed \"https://\"", "dropped the trailing \"/\""]),
            ("hTTpS://10.0.0.1:5000//", "10.0.0.1:5000", "host 10.0.0.1 port 5000", "10.0.0.1:5000", &["removed \"hTTpS://\"", "trailing"]),
            ("10.0.0.1", "10.0.0.1", "host 10.0.0.1", "10.0.0.1", &[]),
            ("10.0.0.1:5000", "10.0.0.1:5000", "host 10.0.0.1 port 5000", "10.0.0.1:5000", &[]),
            ("fe80::1", "fe80::1", "host fe80::1", "[fe80::1]", &["matches no image"]),
            ("FE80::0001", "FE80::0001", "host FE80::0001", "[fe80::1]", &["matches no image"]),
            ("fe80::1:5000", "fe80::1:5000", "host fe80::1:5000", "[fe80::1:5000]", &["read as the IPv6 address fe80::1:5000 without a port; to give port 5000, write \"[fe80::1]:5000\"", "matches no image"]),
            ("[::ffff:1.2.3.4]:5000", "[::ffff:1.2.3.4]:5000", "host ::ffff:1.2.3.4 port 5000", "[::ffff:1.2.3.4]:5000", &[]),
            ("[fe80::1]", "[fe80::1]", "host fe80::1", "[fe80::1]", &["engines before 25.0 refuse \"[fe80::1]\""]),
            ("[fe80::1]:5000", "[fe80::1]:5000", "host fe80::1 port 5000", "[fe80::1]:5000", &[]),
            ("[2001:DB8:0::1]:443", "[2001:DB8:0::1]:443", "host 2001:DB8:0::1 port 443", "[2001:db8::1]:443", &[]),
            ("10.0.0.0/8", "10.0.0.0/8", "cidr 10.0.0.0/8", "10.0.0.0/8", &[]),
            ("10.1.2.3/8", "10.1.2.3/8", "cidr 10.1.2.3/8", "10.0.0.0/8", &["is the network 10.0.0.0/8"]),
            ("192.168.1.7/32", "192.168.1.7/32", "cidr 192.168.1.7/32", "192.168.1.7/32", &[]),
            ("fd00::/8", "fd00::/8", "cidr fd00::/8", "fd00::/8", &[]),
            ("FD00::1/8", "FD00::1/8", "cidr fd00::1/8", "fd00::/8", &["network fd00::/8"]),
            ("::ffff:10.0.0.0/104", "::ffff:10.0.0.0/104", "cidr ::ffff:10.0.0.0/104", "::ffff:10.0.0.0/104", &[]),
            ("0.0.0.0/0", "0.0.0.0/0", "cidr 0.0.0.0/0", "0.0.0.0/0", &[]),
            ("::/0", "::/0", "cidr ::/0", "::/0", &[]),
            ("http://10.0.0.0/8", "10.0.0.0/8", "cidr 10.0.0.0/8", "10.0.0.0/8", &["removed \"http://\""]),
        ];
        for (input, value, want_kind, key, notes) in cases {
            let got = parse_insecure(input).unwrap_or_else(|e| panic!("{input:?}: {e}"));
            assert_eq!(got.value, *value, "value of {input:?}");
            assert_eq!(kind(&got.kind), *want_kind, "kind of {input:?}");
            assert_eq!(got.key(), *key, "key of {input:?}");
            assert_eq!(
                got.notes.len(),
                notes.len(),
                "notes of {input:?}: {:?}",
                got.notes
            );
            for (note, want) in got.notes.iter().zip(notes.iter()) {
                assert!(
                    note.contains(want),
                    "note of {input:?}: {note:?} lacks {want:?}"
                );
            }
        }
    }

    #[test]
    fn ipv4_check_agrees_with_std_parser() {
        let mut rng = Lcg(11);
        let alphabet = [
            "0", "1", "2", "5", "9", "00", "25", "255", "256", "999", ".",
        ];
        for _ in 0..100_000 {
            let n = 1 + rng.below(9);
            let s: String = (0..n).map(|_| rng.pick(&alphabet)).collect();
            assert_eq!(
                ipv4_verdict(s.as_bytes()),
                Some(s.parse::<Ipv4Addr>().is_ok()),
                "{s:?}"
            );
        }
        for s in [
            "1.2.3.4",
            "0.0.0.0",
            "255.255.255.255",
            "1.2.3",
            "1.2.3.4.5",
            "01.2.3.4",
            "",
            "1..2.3",
            "1.2.3.",
            ".1.2.3",
            "1.2.3.0000",
            "1.2.3.4000000000000",
        ] {
            assert_eq!(
                ipv4_verdict(s.as_bytes()),
                Some(s.parse::<Ipv4Addr>().is_ok()),
                "{s:?}"
            );
        }
        for name in ["1.2.3.a", "a", "1-2.3.4.5", "1.2.3.4/8"] {
            assert_eq!(ipv4_verdict(name.as_bytes()), None, "{name:?}");
        }
    }

    #[test]
    fn plain_insecure_entries_are_exactly_the_ones_the_full_checks_pass_unchanged() {
        let long_label = "a".repeat(63);
        let long_host = format!(
            "{}.{}.{}.{}",
            "b".repeat(63),
            "c".repeat(63),
            "d".repeat(63),
            "e".repeat(61)
        );
        assert_eq!(long_host.len(), 253);
        let cases: &[(&str, bool)] = &[
            ("registry.example.com", true),
            ("reg5.example.com:5000", true),
            ("localhost:1", true),
            ("host:65535", true),
            ("10.0.0.1:5000", true),
            ("10.0.0.1", true),
            (&long_label, true),
            (&long_host, true),
            ("a-b.c", true),
            ("123.example", true),
            ("host:65536", false),
            ("host:0", false),
            ("host:05000", false),
            ("host:", false),
            (":5000", false),
            ("Registry.example.com", false),
            ("docker.io", false),
            ("index.docker.io:443", false),
            ("300.1.1.1", false),
            ("010.0.0.1", false),
            ("5000", false),
            ("-a.b", false),
            ("a-.b", false),
            ("a..b", false),
            ("a.b.", false),
            ("my_registry", false),
            ("10.0.0.0/8", false),
            ("fe80::1", false),
            ("[fe80::1]:5000", false),
            ("http://host:5000", false),
            (" host", false),
            ("", false),
        ];
        let too_long_label = "a".repeat(64);
        let too_long_host = format!("{long_host}x");
        let mut all: Vec<(&str, bool)> = cases.to_vec();
        all.push((&too_long_label, false));
        all.push((&too_long_host, false));
        for (entry, want) in all {
            assert_eq!(is_plain_insecure(entry), want, "{entry:?}");
        }
        // The property behind it, over random entries: a plain entry is one the full parse gives
        // back unchanged with no note, that no engine refuses, and whose key is itself.
        let mut rng = Lcg(7);
        let alphabet = [
            "a",
            "z",
            "0",
            "1",
            "9",
            "-",
            ".",
            ":",
            "5000",
            "65535",
            "65536",
            "0",
            "255",
            "256",
            "docker.io",
            "index.",
            "A",
            "_",
            "/",
            "example",
            "x",
        ];
        let mut plain = 0;
        for _ in 0..50_000 {
            let n = 1 + rng.below(7);
            let s: String = (0..n).map(|_| rng.pick(&alphabet)).collect();
            if !is_plain_insecure(&s) {
                continue;
            }
            plain += 1;
            let i = parse_insecure(&s).unwrap_or_else(|e| panic!("{s:?}: {e}"));
            assert_eq!((i.value.as_str(), i.notes.len()), (s.as_str(), 0), "{s:?}");
            assert!(matches!(i.kind, InsecureKind::Host { .. }), "{s:?}");
            assert_eq!(i.key(), s, "{s:?}");
            for engine in [v(20, 10), v(23, 0), v(25, 0), v(28, 3), v(29, 0), v(99, 0)] {
                assert_eq!(
                    dockerd_insecure_error_for(&s, engine),
                    None,
                    "{s:?} {engine}"
                );
            }
        }
        assert!(plain > 1000, "{plain}");
    }

    #[test]
    fn insecure_refused() {
        // (input, fragment of the message, fragment of the help or "" for none expected)
        #[rustfmt::skip]
        let cases: &[(&str, &str, &str)] = &[
            ("", "empty insecure registry address", "host[:port]"),
            ("   ", "empty insecure registry address", ""),
            ("ftp://host", "unsupported scheme \"ftp://\" in \"ftp://host\"", "write \"host\""),
            ("svn://myregistry.example.com", "unsupported scheme \"svn://\"", "write \"myregistry.example.com\""),
            ("://host", "unexpected \"://\" at the start of \"://host\"", "write \"host\""),
            ("http://https://host", "more than one scheme in \"http://https://host\"", ""),
            ("http://", "missing host in \"http://\"", ""),
            ("http:///", "missing host in \"http:///\"", ""),
            ("registry.local:5000/", "a path (\"/\") is not allowed in insecure registry \"registry.local:5000/\"", "remove the trailing \"/\": \"registry.local:5000\""),
            ("host:5000/v2", "a path (\"/v2\") is not allowed", "write \"host:5000\""),
            ("http://host:5000/v2/", "a path (\"/v2\") is not allowed", "write \"host:5000\""),
            ("host:5000?x=1", "a query or fragment (\"?x=1\")", "write \"host:5000\""),
            ("host#frag", "a query or fragment (\"#frag\")", "write \"host\""),
            ("my_registry:5000", "invalid character '_' in host name \"my_registry\"", "\"my-registry\""),
            ("-bad.com", "host name label \"-bad\" in \"-bad.com\" cannot begin or end with a hyphen", "remove the hyphen"),
            ("bad-.com", "label \"bad-\"", ""),
            ("host:0", "invalid port 0 in \"host:0\": ports go from 1 to 65535", "\"host:5000\""),
            ("host:65536", "invalid port 65536 in \"host:65536\": ports go up to 65535", ""),
            ("host:70000", "invalid port 70000 in \"host:70000\": ports go up to 65535", ""),
            ("host:99999999999999999999", "ports go up to 65535", ""),
            ("host:05000", "invalid port \"05000\" in \"host:05000\": dockerd matches registry names as text", "write \"host:5000\""),
            ("host:", "missing port after \":\" in \"host:\"", "write \"host\""),
            ("host:abc", "invalid port \"abc\" in \"host:abc\"", ""),
            ("host:+80", "invalid port \"+80\"", ""),
            (":5000", "missing host in \":5000\"", ""),
            ("10.0.0.0/33", "invalid CIDR \"10.0.0.0/33\": the prefix length must be 0 to 32 for an IPv4 network", "0 to 32"),
            ("fd00::/129", "must be 0 to 128 for an IPv6 network", ""),
            ("10.0.0.0/", "missing prefix length after \"/\" in \"10.0.0.0/\"", ""),
            ("10.0.0.0/x", "invalid prefix length \"x\" in CIDR \"10.0.0.0/x\"", ""),
            ("10.0.0.0/8/8", "invalid prefix length \"8/8\"", ""),
            ("10.0.0.0/08", "invalid prefix length \"08\" in CIDR \"10.0.0.0/08\": leading zeros", "write \"10.0.0.0/8\""),
            ("[fd00::]/8", "a CIDR is written without brackets", "write \"fd00::/8\""),
            ("300.1.1.0/24", "invalid CIDR \"300.1.1.0/24\": \"300.1.1.0\" is not a valid IP address", ""),
            ("300.1.1.1", "\"300.1.1.1\" is not a valid IPv4 address", ""),
            ("010.0.0.1", "\"010.0.0.1\" is not a valid IPv4 address", ""),
            ("1.2.3", "\"1.2.3\" is not a valid IPv4 address", ""),
            ("5000", "\"5000\" looks like a port, not a host", "write host:5000"),
            ("[fe80::1", "missing \"]\" in \"[fe80::1\"", ""),
            ("[zz]:5000", "\"[zz]\" is not a valid IPv6 address", ""),
            ("[10.0.0.1]:5000", "\"[10.0.0.1]\" is not a valid IPv6 address", "an IPv4 address is written without brackets"),
            ("[fe80::1]x", "unexpected \"x\" after \"[fe80::1]\"", ""),
            ("[::ffff:1.2.3.4]", "dockerd refuses \"[::ffff:1.2.3.4]\"", "the CIDR \"::ffff:1.2.3.4/128\""),
            ("[fe80::1]:0", "invalid port 0", ""),
            ("[fe80::1]:70000", "invalid port 70000 in \"[fe80::1]:70000\": ports go up to 65535", "\"[fe80::1]:5000\""),
            ("fe80::1%eth0", "IPv6 zones", ""),
            ("[fe80::1%eth0]:5000", "IPv6 zones", ""),
            ("1200:0000:AB00:1234:0000:2552:7777:1313:8080", "is not a valid IPv6 address", "[fe80::1]:5000"),
            ("bücher.de", "invalid character 'ü' in host name \"bücher.de\"", "punycode"),
            ("host.", "trailing \".\" in host name \"host.\"", "write \"host\""),
            (".host", "empty label", ""),
            ("a..b", "empty label", ""),
            ("host name", "unexpected space in insecure registry \"host name\"", ""),
            ("host\u{3000}name", "unexpected full-width space (U+3000)", ""),
            ("\"myregistry.example.com\"", "invalid character '\"'", ""),
            ("docker.io", "docker.io cannot be made insecure", "mirror"),
            ("Index.Docker.io", "cannot be made insecure", ""),
            ("http://-host", "cannot begin or end with a hyphen", ""),
        ];
        for (input, message, help) in cases {
            let err = match parse_insecure(input) {
                Ok(ok) => panic!("{input:?} accepted as {ok:?}"),
                Err(e) => e,
            };
            assert!(
                err.message.contains(message),
                "{input:?}: {:?} lacks {message:?}",
                err.message
            );
            assert_eq!(err.to_string(), err.message);
            assert_eq!(err.input, input.trim());
            if !help.is_empty() {
                let got = err.help.as_deref().unwrap_or("");
                assert!(got.contains(help), "{input:?}: help {got:?} lacks {help:?}");
            }
        }
        let long_label = format!("{}.example.com", "a".repeat(64));
        let err = parse_insecure(&long_label).unwrap_err();
        assert!(err.message.contains("at most 63"), "{}", err.message);
        let long_name = vec!["abcdefghij"; 26].join(".");
        let err = parse_insecure(&long_name).unwrap_err();
        assert!(err.message.contains("at most 253"), "{}", err.message);
    }

    #[test]
    fn insecure_keys_compare_equal_registries() {
        #[rustfmt::skip]
        let same = [
            ("registry.example.com:5000", "HTTP://Registry.Example.COM:5000/"),
            ("10.0.0.0/8", "10.1.2.3/8"),
            ("10.0.0.0/8", "http://10.255.255.255/8"),
            ("fd00::/8", "FD00:0::1/8"),
            ("fe80::1", "[FE80::0001]"),
            ("[fe80::1]:5000", "[fe80:0:0::1]:5000"),
        ];
        for (a, b) in same {
            let (ka, kb) = (
                parse_insecure(a).unwrap().key(),
                parse_insecure(b).unwrap().key(),
            );
            assert_eq!(ka, kb, "{a:?} vs {b:?}");
        }
        #[rustfmt::skip]
        let different = [
            ("host", "host:443"),
            ("host:5000", "host:5001"),
            ("10.0.0.0/8", "10.0.0.0/16"),
            ("10.0.0.1", "10.0.0.1/32"),
            ("[fe80::1]", "[fe80::1]:5000"),
            ("::/0", "0.0.0.0/0"),
        ];
        for (a, b) in different {
            let (ka, kb) = (
                parse_insecure(a).unwrap().key(),
                parse_insecure(b).unwrap().key(),
            );
            assert_ne!(ka, kb, "{a:?} vs {b:?}");
        }
    }

    #[test]
    fn insecure_covers_everything() {
        #[rustfmt::skip]
        let cases = [
            ("0.0.0.0/0", true),
            ("::/0", true),
            ("10.0.0.0/0", true),
            ("http://0.0.0.0/0", true),
            ("0.0.0.0/1", false),
            ("::/1", false),
            ("0.0.0.0", false),
            ("10.0.0.0/8", false),
            ("localhost", false),
        ];
        for (input, want) in cases {
            assert_eq!(
                parse_insecure(input).unwrap().covers_everything(),
                want,
                "{input}"
            );
        }
    }

    #[test]
    fn mirror_accepted() {
        // (input, value written, key, has_path, fragment of each note)
        #[rustfmt::skip]
        let cases: &[(&str, &str, &str, bool, &[&str])] = &[
            ("https://m.example.com", "https://m.example.com", "https://m.example.com", false, &[]),
            ("https://m.example.com/", "https://m.example.com/", "https://m.example.com", false, &[]),
            ("HTTPS://M.Example.com/", "HTTPS://M.Example.com/", "https://m.example.com", false, &[]),
            ("  http://10.0.0.1:5000/ ", "http://10.0.0.1:5000/", "http://10.0.0.1:5000", false, &[]),
            ("m.example.com", "https://m.example.com", "https://m.example.com", false, &["added \"https://\" to \"m.example.com\""]),
            ("m.example.com:5000", "https://m.example.com:5000", "https://m.example.com:5000", false, &["added \"https://\""]),
            ("10.0.0.1:5000", "https://10.0.0.1:5000", "https://10.0.0.1:5000", false, &["http://"]),
            ("localhost:5000/", "https://localhost:5000/", "https://localhost:5000", false, &["added"]),
            ("https://m.example.com/docker", "https://m.example.com/docker", "https://m.example.com/docker", true, &[]),
            ("https://m.example.com/Docker/", "https://m.example.com/Docker/", "https://m.example.com/Docker", true, &[]),
            ("https://m.example.com/a%20b", "https://m.example.com/a%20b", "https://m.example.com/a%20b", true, &[]),
            ("https://m.example.com//", "https://m.example.com//", "https://m.example.com", true, &[]),
            ("https://[FE80::1]:5000", "https://[FE80::1]:5000", "https://[fe80::1]:5000", false, &[]),
            ("http://[fd00::5]", "http://[fd00::5]", "http://[fd00::5]", false, &[]),
            ("https://my_mirror.local", "https://my_mirror.local", "https://my_mirror.local", false, &[]),
            ("https://m.example.com:443", "https://m.example.com:443", "https://m.example.com:443", false, &[]),
        ];
        for (input, value, key, has_path, notes) in cases {
            let got = parse_mirror(input).unwrap_or_else(|e| panic!("{input:?}: {e}"));
            assert_eq!(got.value, *value, "value of {input:?}");
            assert_eq!(got.key(), *key, "key of {input:?}");
            assert_eq!(got.has_path, *has_path, "has_path of {input:?}");
            assert_eq!(
                got.notes.len(),
                notes.len(),
                "notes of {input:?}: {:?}",
                got.notes
            );
            for (note, want) in got.notes.iter().zip(notes.iter()) {
                assert!(
                    note.contains(want),
                    "note of {input:?}: {note:?} lacks {want:?}"
                );
            }
        }
        let key = |s: &str| parse_mirror(s).unwrap().key();
        assert_eq!(key("https://m.example.com"), key("https://m.example.com/"));
        assert_eq!(key("https://M.EXAMPLE.com"), key("https://m.example.com/"));
        assert_eq!(key("m.example.com"), key("https://m.example.com/"));
        assert_ne!(key("http://m.example.com"), key("https://m.example.com"));
        assert_ne!(
            key("https://m.example.com/a"),
            key("https://m.example.com/A")
        );
    }

    #[test]
    fn mirror_refused() {
        // (input, fragment of the message, fragment of the help or "")
        #[rustfmt::skip]
        let cases: &[(&str, &str, &str)] = &[
            ("", "empty mirror URL", "https://"),
            ("ftp://m.example.com", "unsupported scheme \"ftp\" in mirror URL \"ftp://m.example.com\"", "write \"https://m.example.com\""),
            ("FTP://m.example.com", "unsupported scheme \"FTP\"", ""),
            ("https://m.example.com?q=1", "a query or fragment (\"?q=1\") is not allowed in mirror URL \"https://m.example.com?q=1\"", "write \"https://m.example.com\""),
            ("https://m.example.com/v1/?q=foo#frag", "a query or fragment (\"?q=foo#frag\")", "write \"https://m.example.com/v1/\""),
            ("https://m.example.com/#frag", "(\"#frag\")", ""),
            ("https://m.example.com/?", "(\"?\")", ""),
            ("https://m.example.com#", "(\"#\")", ""),
            ("https://user:secret@m.example.com", "a user name or password is not allowed in mirror URL \"https://user:xxxxx@m.example.com\"", "\"https://m.example.com\""),
            ("https://token@m.example.com/v2", "\"https://xxxxx@m.example.com/v2\"", "\"https://m.example.com/v2\""),
            ("user:secret@m.example.com", "\"user:xxxxx@m.example.com\"", ""),
            ("https://u:se/cr?et#x@m.example.com", "\"https://u:xxxxx@m.example.com\"", ""),
            ("https://u:secret@m.example.com/x?y#z", "user name or password", ""),
            ("https://", "missing host in mirror URL \"https://\"", "https://mirror.example.com"),
            ("https:///path", "missing host", ""),
            ("https://:5000", "missing host", "https://mirror.example.com"),
            ("https://m.example.com:99999", "invalid port 99999 in \"https://m.example.com:99999\": ports go up to 65535", ""),
            ("https://m.example.com:0", "invalid port 0", ""),
            ("https://m.example.com:", "missing port after \":\"", ""),
            ("https://m.example.com:abc", "invalid port \"abc\"", ""),
            ("https://[fe80::1", "missing \"]\"", ""),
            ("https://[fe80::1]x", "unexpected \"x\"", ""),
            ("https://fe80::1", "an IPv6 address in a URL is written in brackets", "https://[fd00::1]:5000"),
            ("https://my mirror", "unexpected space in mirror URL", ""),
            ("https://m.example.com/%zz", "invalid escape \"%zz\" in the path", "%25"),
            ("https://m.example.com/50%", "invalid escape \"%\"", ""),
            ("http:/m.example.com", "malformed scheme in mirror URL \"http:/m.example.com\"", "write \"http://m.example.com\""),
            ("https:m.example.com", "malformed scheme", "write \"https://m.example.com\""),
            ("HTTPS//m.example.com", "malformed scheme", "write \"https://m.example.com\""),
            ("://m.example.com", "missing scheme before \"://\"", "write \"https://m.example.com\""),
            ("/m.example.com", "missing host", ""),
            ("https://bücher.de", "invalid character 'ü'", "punycode"),
            ("https://-m.example.com", "cannot begin or end with a hyphen", ""),
            ("https://m..example.com", "empty label", ""),
            ("https://5000", "looks like a port", ""),
            ("https://300.1.1.1:5000", "not a valid IPv4 address", ""),
        ];
        for (input, message, help) in cases {
            let err = match parse_mirror(input) {
                Ok(ok) => panic!("{input:?} accepted as {ok:?}"),
                Err(e) => e,
            };
            assert!(
                err.message.contains(message),
                "{input:?}: {:?} lacks {message:?}",
                err.message
            );
            if !help.is_empty() {
                let got = err.help.as_deref().unwrap_or("");
                assert!(got.contains(help), "{input:?}: help {got:?} lacks {help:?}");
            }
            for secret in ["secret", "se/cr", "token"] {
                let all = format!("{} {} {:?}", err.input, err.message, err.help);
                assert!(!all.contains(secret), "{input:?} leaks {secret:?}: {all}");
            }
        }
    }

    #[test]
    fn masks_passwords() {
        #[rustfmt::skip]
        let cases = [
            ("https://user:pw@m.example.com/x", "https://user:xxxxx@m.example.com/x"),
            ("https://tok@m.example.com", "https://xxxxx@m.example.com"),
            ("user:pw@m.example.com", "user:xxxxx@m.example.com"),
            ("https://u:p/q@h", "https://u:xxxxx@h"),
            ("https://m.example.com/v2", "https://m.example.com/v2"),
            ("", ""),
        ];
        for (input, want) in cases {
            assert_eq!(mask_password(input), want, "{input}");
        }
    }

    #[test]
    fn dockerd_insecure_verdicts() {
        // (entry, engine, dockerd's message or None). Verified against Debian's dockerd 20.10.24
        // and 26.1.5 started with the entry, and moby's config_test.go.
        #[rustfmt::skip]
        let cases: &[(&str, EngineVersion, Option<&str>)] = &[
            ("localhost:5000", v(20, 10), None),
            ("127.0.0.1:8080", v(29, 0), None),
            ("2001:db8::1", v(20, 10), None),
            ("[2001:db8::1]:80", v(20, 10), None),
            ("HTTP://myregistry.example.com", v(20, 10), None),
            ("https://myregistry.example.com", v(29, 7), None),
            ("10.1.2.3/8", v(20, 10), None),
            ("::/0", v(29, 7), None),
            ("host:0", v(29, 7), None),
            ("host:05000", v(29, 7), None),
            ("10.0.0.1:", v(20, 10), None),
            ("10.0.0.1:+5000", v(20, 10), None),
            ("fe80::1:5000", v(20, 10), None),
            ("fe80::1:05000", v(20, 10), None),
            ("fe80::1:05000", v(26, 1), Some("insecure registry fe80::1:05000 is not valid: invalid host \"fe80::1:05000\"")),
            ("fe80::00001/64", v(24, 0), None),
            ("fe80::00001/64", v(29, 7), Some("insecure registry fe80::00001/64 is not valid: invalid host \"fe80::00001/64\"")),
            ("999.1.1.1", v(29, 7), None),
            ("5000", v(29, 7), None),
            ("docker.io", v(29, 7), None),
            ("[fe80::1]", v(24, 0), Some("insecure registry [fe80::1] is not valid: invalid host \"[fe80::1]\"")),
            ("[fe80::1]", v(25, 0), None),
            ("[abc]", v(26, 1), None),
            ("[abc]:5000", v(20, 10), Some("insecure registry [abc]:5000 is not valid: invalid host \"abc\"")),
            ("[abc]:5000", v(26, 1), None),
            ("[::ffff:1.2.3.4]", v(29, 7), Some("insecure registry [::ffff:1.2.3.4] is not valid: invalid host \"[::ffff:1.2.3.4]\"")),
            ("10.0.0.0/08", v(28, 5), None),
            ("10.0.0.0/08", v(29, 0), Some("insecure registry 10.0.0.0/08 is not valid: invalid host \"10.0.0.0/08\"")),
            ("-bad.com", v(20, 10), Some("invalid index name (-bad.com). Cannot begin or end with a hyphen")),
            ("docker.io-", v(29, 7), Some("invalid index name (docker.io-). Cannot begin or end with a hyphen")),
            ("http://-host", v(29, 7), Some("insecure registry -host is not valid: invalid host \"-host\"")),
            ("bad-.com", v(20, 10), Some("insecure registry bad-.com is not valid: invalid host \"bad-.com\"")),
            ("my_registry:5000", v(20, 10), Some("insecure registry my_registry:5000 is not valid: invalid host \"my_registry\"")),
            ("my_registry:5000", v(29, 7), Some("insecure registry my_registry:5000 is not valid: invalid host \"my_registry\"")),
            ("registry.local:5000/", v(26, 1), Some("insecure registry registry.local:5000/ is not valid: invalid host \"registry.local\"")),
            ("http://host:5000/", v(26, 1), Some("insecure registry host:5000/ is not valid: invalid host \"host\"")),
            ("svn://myregistry.example.com", v(29, 7), Some("insecure registry svn://myregistry.example.com should not contain '://'")),
            ("://host", v(20, 10), Some("insecure registry ://host should not contain '://'")),
            ("http://https://host", v(20, 10), Some("insecure registry https://host is not valid: invalid host \"https\"")),
            ("host:65536", v(20, 10), Some("insecure registry host:65536 is not valid: invalid port \"65536\"")),
            ("myregistry.example.com:500000", v(29, 7), Some("insecure registry myregistry.example.com:500000 is not valid: invalid port \"500000\"")),
            ("host:", v(20, 10), Some("insecure registry host: is not valid: invalid host \"host\"")),
            ("host:abc", v(20, 10), Some("insecure registry host:abc is not valid: invalid host \"host\"")),
            ("10.0.0.1:abc", v(20, 10), Some("insecure registry 10.0.0.1:abc is not valid: strconv.Atoi: parsing \"abc\": invalid syntax")),
            ("10.0.0.1:-1", v(20, 10), Some("insecure registry 10.0.0.1:-1 is not valid: invalid port \"-1\"")),
            ("10.0.0.1:99999999999999999999", v(20, 10), Some("insecure registry 10.0.0.1:99999999999999999999 is not valid: strconv.Atoi: parsing \"99999999999999999999\": value out of range")),
            ("10.0.0.1:-9223372036854775809", v(26, 1), Some("insecure registry 10.0.0.1:-9223372036854775809 is not valid: strconv.Atoi: parsing \"-9223372036854775809\": value out of range")),
            ("10.0.0.0/33", v(20, 10), Some("insecure registry 10.0.0.0/33 is not valid: invalid host \"10.0.0.0/33\"")),
            ("[fd00::]/8", v(29, 7), Some("insecure registry [fd00::]/8 is not valid: invalid host \"[fd00::]/8\"")),
            ("fe80::1%eth0", v(26, 1), Some("insecure registry fe80::1%eth0 is not valid: invalid host \"fe80::1%eth0\"")),
            ("1200:0000:AB00:1234:0000:2552:7777:1313:8080", v(29, 7), Some("insecure registry 1200:0000:AB00:1234:0000:2552:7777:1313:8080 is not valid: invalid host \"1200:0000:AB00:1234:0000:2552:7777:1313:8080\"")),
            ("\"myregistry.example.com:5000\"", v(29, 7), Some("insecure registry \"myregistry.example.com:5000\" is not valid: invalid host \"\\\"myregistry.example.com\"")),
            (" host", v(20, 10), Some("insecure registry  host is not valid: invalid host \" host\"")),
            ("host\t", v(29, 7), Some("insecure registry host\t is not valid: invalid host \"host\\t\"")),
            ("bücher.de", v(20, 10), Some("insecure registry bücher.de is not valid: invalid host \"bücher.de\"")),
            ("a\u{a0}b", v(29, 7), Some("insecure registry a\u{a0}b is not valid: invalid host \"a\\u00a0b\"")),
            ("http://", v(20, 10), Some("insecure registry  is not valid: invalid host \"\"")),
            ("", v(29, 7), Some("insecure registry  is not valid: invalid host \"\"")),
        ];
        for (entry, engine, want) in cases {
            assert_eq!(
                dockerd_insecure_error_for(entry, *engine).as_deref(),
                *want,
                "{entry:?} on {engine}"
            );
        }
        assert_eq!(
            dockerd_insecure_error("10.0.0.0/08").as_deref(),
            Some("insecure registry 10.0.0.0/08 is not valid: invalid host \"10.0.0.0/08\"")
        );
    }

    #[test]
    fn dockerd_mirror_verdicts() {
        let must = ": must use either 'https://' or 'http://'";
        // (entry, engine, dockerd's message or None). Verified against Debian's dockerd 20.10.24
        // and 26.1.5 started with the entry, and moby's config_test.go.
        #[rustfmt::skip]
        let cases: Vec<(&str, EngineVersion, Option<String>)> = vec![
            ("https://m.example.com", v(20, 10), None),
            ("http://localhost:5000/", v(29, 7), None),
            ("HTTPS://M.example.com", v(20, 10), None),
            ("https://", v(26, 1), None),
            ("https://m:99999", v(26, 1), None),
            ("https://m.example.com/?", v(20, 10), None),
            ("https://m.example.com/#", v(20, 10), None),
            ("https://[fe80::1%25eth0]:5000", v(26, 1), None),
            ("https://m.example.com/docker", v(25, 0), None),
            ("https://m.example.com/docker", v(24, 0), Some("invalid mirror: path, query, or fragment at end of the URI \"https://m.example.com/docker\"".into())),
            ("https://m.example.com//", v(20, 10), Some("invalid mirror: path, query, or fragment at end of the URI \"https://m.example.com//\"".into())),
            ("https://m.example.com/a b", v(20, 10), Some("invalid mirror: path, query, or fragment at end of the URI \"https://m.example.com/a%20b\"".into())),
            ("https:///path", v(20, 10), Some("invalid mirror: path, query, or fragment at end of the URI \"https:///path\"".into())),
            ("http:/m.example.com", v(24, 0), Some("invalid mirror: path, query, or fragment at end of the URI \"http:/m.example.com\"".into())),
            ("http:/m.example.com", v(29, 7), Some(format!("invalid mirror: no scheme specified for \"http:/m.example.com\"{must}"))),
            ("https://m.example.com?q=1", v(24, 0), Some("invalid mirror: path, query, or fragment at end of the URI \"https://m.example.com?q=1\"".into())),
            ("http://mirror-1.example.com/v1/?q=foo#frag", v(29, 7), Some("invalid mirror: query or fragment at end of the URI \"http://mirror-1.example.com/v1/?q=foo#frag\"".into())),
            ("https://mirror-1.example.com?q", v(26, 1), Some("invalid mirror: query or fragment at end of the URI \"https://mirror-1.example.com?q\"".into())),
            ("https://m.example.com/path#a b", v(26, 1), Some("invalid mirror: query or fragment at end of the URI \"https://m.example.com/path#a%20b\"".into())),
            ("http://foo:bar@mirror-1.example.com/", v(29, 7), Some("invalid mirror: username/password not allowed in URI \"http://foo:xxxxx@mirror-1.example.com/\"".into())),
            ("https://user@m.example.com", v(20, 10), Some("invalid mirror: username/password not allowed in URI \"https://user:xxxxx@m.example.com\"".into())),
            ("https://u:p@m.example.com/x?y#z", v(26, 1), Some("invalid mirror: query or fragment at end of the URI \"https://u:p@m.example.com/x?y#z\"".into())),
            ("ftp://mirror-1.example.com", v(20, 10), Some("invalid mirror: unsupported scheme \"ftp\" in \"ftp://mirror-1.example.com\"".into())),
            ("FTP://mirror-1.example.com", v(29, 7), Some(format!("invalid mirror: unsupported scheme \"ftp\" in \"ftp://mirror-1.example.com\"{must}"))),
            ("m.example.com", v(26, 1), Some("invalid mirror: unsupported scheme \"\" in \"m.example.com\"".into())),
            ("m.example.com", v(28, 3), Some(format!("invalid mirror: no scheme specified for \"m.example.com\"{must}"))),
            ("example.com:8080", v(20, 10), Some("invalid mirror: unsupported scheme \"example.com\" in \"example.com:8080\"".into())),
            ("example.com:8080", v(28, 2), Some("invalid mirror: unsupported scheme \"example.com\" in \"example.com:8080\"".into())),
            ("mirror-1.example.com:5000", v(28, 3), Some(format!("invalid mirror: no scheme specified for \"mirror-1.example.com:5000\"{must}"))),
            ("10.0.0.1:5000", v(20, 10), Some("invalid mirror: \"10.0.0.1:5000\" is not a valid URI".into())),
            ("10.0.0.1:5000", v(26, 1), Some("invalid mirror: \"10.0.0.1:5000\" is not a valid URI: parse \"10.0.0.1:5000\": first path segment in URL cannot contain colon".into())),
            ("!invalid!://%as%", v(29, 7), Some("invalid mirror: \"!invalid!://%as%\" is not a valid URI: parse \"!invalid!://%as%\": first path segment in URL cannot contain colon".into())),
            ("://m.example.com", v(26, 1), Some("invalid mirror: \"://m.example.com\" is not a valid URI: parse \"://m.example.com\": missing protocol scheme".into())),
            ("://m.example.com", v(29, 7), Some(format!("invalid mirror: no scheme specified for \"://m.example.com\"{must}"))),
            ("https://m:abc", v(26, 1), Some("invalid mirror: \"https://m:abc\" is not a valid URI: parse \"https://m:abc\": invalid port \":abc\" after host".into())),
            ("https://[fe80::1", v(26, 1), Some("invalid mirror: \"https://[fe80::1\" is not a valid URI: parse \"https://[fe80::1\": missing ']' in host".into())),
            ("https://my mirror", v(26, 1), Some("invalid mirror: \"https://my mirror\" is not a valid URI: parse \"https://my mirror\": invalid character \" \" in host name".into())),
            ("https://m.example.com/%zz", v(26, 1), Some("invalid mirror: \"https://m.example.com/%zz\" is not a valid URI: parse \"https://m.example.com/%zz\": invalid URL escape \"%zz\"".into())),
            ("https://m%41.example.com", v(26, 1), Some("invalid mirror: \"https://m%41.example.com\" is not a valid URI: parse \"https://m%41.example.com\": invalid URL escape \"%41\"".into())),
            ("https://m.example.com#%zz", v(26, 1), Some("invalid mirror: \"https://m.example.com#%zz\" is not a valid URI: parse \"https://m.example.com#%zz\": invalid URL escape \"%zz\"".into())),
            ("https://u:p/q@m", v(26, 1), Some("invalid mirror: \"https://u:p/q@m\" is not a valid URI: parse \"https://u:p/q@m\": invalid port \":p\" after host".into())),
            ("https://u s@m", v(26, 1), Some("invalid mirror: \"https://u s@m\" is not a valid URI: parse \"https://u s@m\": net/url: invalid userinfo".into())),
            ("https://m\t", v(26, 1), Some("invalid mirror: \"https://m\\t\" is not a valid URI: parse \"https://m\\t\": net/url: invalid control character in URL".into())),
            ("https://bücher.de/x y", v(24, 0), Some("invalid mirror: path, query, or fragment at end of the URI \"https://b%C3%BCcher.de/x%20y\"".into())),
            ("*", v(20, 10), Some("invalid mirror: unsupported scheme \"\" in \"*\"".into())),
            ("", v(20, 10), Some("invalid mirror: unsupported scheme \"\" in \"\"".into())),
            ("", v(29, 7), Some(format!("invalid mirror: no scheme specified for \"\"{must}"))),
        ];
        for (entry, engine, want) in &cases {
            assert_eq!(
                dockerd_mirror_error(entry, *engine),
                *want,
                "{entry:?} on {engine}"
            );
        }
    }

    /// Whatever dockcfg writes, dockerd accepts: the newest always; older engines refuse only
    /// what dockcfg flags (a bracketed IPv6 host without a port before 25.0, a mirror path).
    #[test]
    fn what_dockcfg_writes_dockerd_accepts() {
        let engines = [
            v(20, 10),
            v(23, 0),
            v(24, 0),
            v(25, 0),
            v(26, 1),
            v(28, 2),
            v(28, 3),
            v(29, 7),
        ];
        let mut rng = Lcg(7);
        let mut accepted = (0, 0);
        for _ in 0..20_000 {
            let input = random_address(&mut rng);
            if let Ok(ins) = parse_insecure(&input) {
                accepted.0 += 1;
                for engine in engines {
                    let refused = dockerd_insecure_error_for(&ins.value, engine);
                    let expected_refusal =
                        engine < V25_0 && ins.value.starts_with('[') && ins.value.ends_with(']');
                    assert_eq!(
                        refused.is_some(),
                        expected_refusal,
                        "{input:?} -> {:?} on {engine}: {refused:?}",
                        ins.value
                    );
                }
            }
            if let Ok(m) = parse_mirror(&input) {
                accepted.1 += 1;
                for engine in engines {
                    let refused = dockerd_mirror_error(&m.value, engine);
                    let expected_refusal = engine < V25_0 && m.has_path;
                    assert_eq!(
                        refused.is_some(),
                        expected_refusal,
                        "{input:?} -> {:?} on {engine}: {refused:?}",
                        m.value
                    );
                }
            }
        }
        // The generator must produce enough valid inputs for this to mean something.
        assert!(accepted.0 > 1000 && accepted.1 > 1000, "{accepted:?}");
    }

    /// No input makes any function panic.
    #[test]
    fn no_panics_on_odd_input() {
        let mut rng = Lcg(11);
        let alphabet: Vec<&str> = vec![
            "a", "Z", "0", "9", "-", ".", "_", ":", "/", "[", "]", "@", "%", "?", "#", "+", " ",
            "http://", "HTTPS://", "ftp://", "::", "fe80", "10.0.0.1", "/8", "%25", "é", "\t",
            "\u{3000}", "5000", "ü", "\u{0}", "\u{7f}", "\u{200b}", "😀", "%zz", "%4", "://",
        ];
        for _ in 0..30_000 {
            let n = rng.below(9);
            let s: String = (0..n)
                .map(|_| alphabet[rng.below(alphabet.len())])
                .collect();
            if let Ok(i) = parse_insecure(&s) {
                let _ = (i.key(), i.covers_everything());
            }
            if let Ok(m) = parse_mirror(&s) {
                let _ = m.key();
            }
            let _ = mask_password(&s);
            assert_eq!(split_scheme_sep(&s), s.split_once("://"), "{s:?}");
            assert_eq!(colons(&s), s.matches(':').count(), "{s:?}");
            for engine in [v(0, 0), v(20, 10), v(25, 0), v(28, 3), v(29, 0), v(99, 0)] {
                let _ = dockerd_insecure_error_for(&s, engine);
                let _ = dockerd_mirror_error(&s, engine);
            }
        }
    }

    #[test]
    fn go_quote_matches_strconv_quote() {
        #[rustfmt::skip]
        let cases: &[(&[u8], &str)] = &[
            (b"plain", "\"plain\""),
            (b"a\"b\\c", "\"a\\\"b\\\\c\""),
            (b"\x07\x08\x0c\n\r\t\x0b\x00\x7f", "\"\\a\\b\\f\\n\\r\\t\\v\\x00\\x7f\""),
            ("ü€😀".as_bytes(), "\"ü€😀\""),
            ("\u{a0}\u{3000}\u{200b}\u{85}".as_bytes(), "\"\\u00a0\\u3000\\u200b\\u0085\""),
            (b"\xff\xe2\x82", "\"\\xff\\xe2\\x82\""),
        ];
        for (input, want) in cases {
            assert_eq!(go::quote(input), *want);
        }
    }

    #[test]
    fn dedup_keeps_first_in_order() {
        let items = [
            "https://b.example.com",
            "https://a.example.com/",
            "HTTPS://B.example.com/",
            "https://a.example.com",
        ];
        let mirrors: Vec<Mirror> = items.iter().map(|s| parse_mirror(s).unwrap()).collect();
        let kept: Vec<String> = dedup_keys(mirrors.clone(), Mirror::key)
            .into_iter()
            .map(|m| m.value)
            .collect();
        assert_eq!(kept, ["https://b.example.com", "https://a.example.com/"]);
        assert_eq!(
            find_duplicates(mirrors.len(), |i| mirrors.get(i).map(Mirror::key)),
            [(2, 0), (3, 1)]
        );
        let none: Vec<u8> = Vec::new();
        assert!(dedup_keys(none, |x| *x).is_empty());
    }

    #[test]
    fn dedup_is_linear_on_100_000_entries() {
        // 100,000 entries, 50,000 distinct: registries 0..50,000 then again, written differently.
        let n = 100_000;
        let entries: Vec<Insecure> = (0..n)
            .map(|i| {
                let j = i % (n / 2);
                let text = if i < n / 2 {
                    format!("reg{j}.example.com:5000")
                } else {
                    format!("HTTP://REG{j}.example.com:5000/")
                };
                parse_insecure(&text).unwrap()
            })
            .collect();
        let calls = std::cell::Cell::new(0usize);
        let start = std::time::Instant::now();
        let kept = dedup_keys(&entries, |e| {
            calls.set(calls.get() + 1);
            e.key()
        });
        let elapsed = start.elapsed();
        assert_eq!(kept.len(), n / 2);
        assert_eq!(kept[0].value, "reg0.example.com:5000");
        assert_eq!(
            kept[n / 2 - 1].value,
            format!("reg{}.example.com:5000", n / 2 - 1)
        );
        // One key per entry, never a comparison between entries.
        assert_eq!(calls.get(), n);
        assert_eq!(
            find_duplicates(entries.len(), |i| entries.get(i).map(Insecure::key)).len(),
            n / 2
        );
        // Pairwise would be 5e9 comparisons; linear is milliseconds even in a debug build.
        assert!(elapsed < std::time::Duration::from_secs(5), "{elapsed:?}");
    }

    /// A small deterministic generator, so the property tests need no extra crate.
    struct Lcg(u64);

    impl Lcg {
        fn below(&mut self, n: usize) -> usize {
            self.0 = self
                .0
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            usize::try_from(self.0 >> 33).unwrap() % n.max(1)
        }

        fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
            xs[self.below(xs.len())]
        }
    }

    /// Something that looks like what users type: scheme, credentials, host, port, path, query;
    /// each part is usually plain, sometimes odd.
    fn random_address(rng: &mut Lcg) -> String {
        let mut part = |plain: &[&'static str], odd: &[&'static str]| {
            if rng.below(4) == 0 {
                rng.pick(odd)
            } else {
                rng.pick(plain)
            }
        };
        let scheme = part(
            &["", "http://", "https://", "HTTP://", "HtTpS://"],
            &["ftp://", "://", "http:/"],
        );
        let user = part(&[""], &["user@", "user:pw@"]);
        let host = part(
            &[
                "m.example.com",
                "M.Example.COM",
                "localhost",
                "10.0.0.1",
                "[fe80::1]",
                "[FE80::1]",
                "fe80::1",
                "[::ffff:1.2.3.4]",
                "xn--bcher-kva.de",
                "a-b",
                "0.0.0.0",
                "fd00::",
                "[fd00::]",
            ],
            &[
                "010.0.0.1",
                "256.1.1.1",
                "[fe80::1%25eth0]",
                "[abc]",
                "my_host",
                "-bad.com",
                "bad-.com",
                "bücher.de",
                "m%41x",
                "",
                "a..b",
                "host.",
                "[",
                "x y",
                "docker.io",
                "1.2.3",
                "5000",
            ],
        );
        let port = part(
            &["", "", ":5000", ":65535", ":1"],
            &[":", ":0", ":65536", ":05000", ":abc", ":+1"],
        );
        let path = part(
            &["", "", "", "/", "/v2", "/v2/", "/8", "/0", "/128", "/24"],
            &["//", "/a%20b", "/%zz", "/33", "/08", "/+8"],
        );
        let query = part(&["", ""], &["?", "?q=1", "#", "#frag"]);
        format!("{scheme}{user}{host}{port}{path}{query}")
    }
}

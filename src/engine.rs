//! The Docker engine's API, as much as dockcfg needs: is it there (`/_ping`), what registry
//! settings does it use (`/info` -> `RegistryConfig`), how many containers run
//! (`/containers/json`). A small HTTP/1.1 client over the engine's unix socket (or plain TCP),
//! one request per connection, `Connection: close`, chunked bodies decoded, every step timed out.
//!
//! [`Engine`] is the interface the apply logic uses, so it is tested with a fake engine as well
//! as with a real dockerd. Parsing (`parse_host`, `parse_response`, `parse_info`) is pure.

use std::collections::BTreeMap;
use std::fmt;
use std::io::{self, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use crate::env::EnvView;

/// Where the engine listens when nothing else is said (`DOCKER_HOST` unset, no `-H`).
pub const DEFAULT_HOST: &str = "unix:///var/run/docker.sock";

/// How long one request may take to connect, and then to send and to read.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// Largest response body read (a `/containers/json` of thousands of containers fits).
const MAX_BODY: u64 = 64 << 20;

/// An engine API endpoint dockcfg can talk to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// `unix:///var/run/docker.sock`
    Unix(PathBuf),
    /// `tcp://host:port`, plain HTTP (no TLS).
    Tcp { host: String, port: u16 },
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Endpoint::Unix(p) => write!(f, "unix://{}", p.display()),
            Endpoint::Tcp { host, port } if host.contains(':') => {
                write!(f, "tcp://[{host}]:{port}")
            }
            Endpoint::Tcp { host, port } => write!(f, "tcp://{host}:{port}"),
        }
    }
}

/// Parse an engine address as `docker -H` takes it: `unix:///path`, `tcp://host[:port]` (port
/// 2375 by default), or `host:port` (tcp). A bare absolute path is taken as a unix socket.
/// `ssh://`, `fd://`, `npipe://` and TLS are refused with what to do instead.
pub fn parse_host(s: &str) -> Result<Endpoint, String> {
    let s = s.trim();
    if s.is_empty() {
        return Err(
            "empty engine address: give unix:///path/to/docker.sock or tcp://host:port".into(),
        );
    }
    if s.starts_with('/') {
        return Ok(Endpoint::Unix(PathBuf::from(s)));
    }
    let (scheme, rest) = match s.split_once("://") {
        Some((scheme, rest)) => (scheme.to_ascii_lowercase(), rest),
        None => ("tcp".to_string(), s),
    };
    match scheme.as_str() {
        "unix" => {
            if rest.is_empty() {
                return Err(format!(
                    "{s:?} names no socket: write unix:///var/run/docker.sock"
                ));
            }
            Ok(Endpoint::Unix(PathBuf::from(rest)))
        }
        "tcp" | "http" => {
            let rest = rest.trim_end_matches('/');
            if rest.contains('/') {
                return Err(format!("{s:?}: a path after the address is not supported"));
            }
            let (host, port) = split_host_port(rest)
                .ok_or_else(|| format!("{s:?} is not an address: write tcp://host:port"))?;
            Ok(Endpoint::Tcp {
                host,
                port: port.unwrap_or(2375),
            })
        }
        "https" => Err(format!(
            "{s:?}: dockcfg does not speak TLS to the engine; run it on the engine's machine, \
             where the unix socket answers"
        )),
        "ssh" => Err(format!(
            "{s:?}: dockcfg does not reach engines over ssh; run it on the engine's machine \
             (it edits that machine's files anyway)"
        )),
        "fd" => Err(format!(
            "{s:?} is how systemd hands dockerd its socket; give dockcfg the socket's path, \
             such as unix:///var/run/docker.sock"
        )),
        "npipe" => Err(format!(
            "{s:?}: Windows named pipes are not supported by this build of dockcfg"
        )),
        other => Err(format!(
            "{s:?}: unknown scheme {other:?}; give unix:///path/to/docker.sock or tcp://host:port"
        )),
    }
}

/// `host:port`, `[v6]:port`, `host`; the port must be 1..=65535.
fn split_host_port(s: &str) -> Option<(String, Option<u16>)> {
    let port_of = |p: &str| p.parse::<u16>().ok().filter(|p| *p > 0);
    if let Some(v6) = s.strip_prefix('[') {
        let (host, after) = v6.split_once(']')?;
        return match after.strip_prefix(':') {
            Some(p) => Some((host.to_string(), Some(port_of(p)?))),
            None if after.is_empty() => Some((host.to_string(), None)),
            None => None,
        };
    }
    match s.rsplit_once(':') {
        Some((h, p)) if !h.is_empty() && !h.contains(':') => {
            Some((h.to_string(), Some(port_of(p)?)))
        }
        Some(_) => None,
        None if !s.is_empty() => Some((s.to_string(), None)),
        None => None,
    }
}

/// The endpoint to use: `-H` given to dockcfg, else `DOCKER_HOST`, else `fallback` (the running
/// daemon's own socket, or [`DEFAULT_HOST`]). TLS settings in the environment
/// (`DOCKER_TLS_VERIFY`, `DOCKER_TLS`) with a TCP endpoint are refused: dockcfg speaks plain
/// HTTP only.
pub fn choose_endpoint(
    given: Option<&str>,
    env: &EnvView,
    fallback: &str,
) -> Result<Endpoint, String> {
    let from_env = env
        .var("DOCKER_HOST")
        .map(|v| v.to_string_lossy().into_owned());
    let (raw, source) = match (given, &from_env) {
        (Some(g), _) => (g.to_string(), "-H"),
        (None, Some(e)) => (e.clone(), "DOCKER_HOST"),
        (None, None) => (fallback.to_string(), "the default"),
    };
    let ep = parse_host(&raw).map_err(|e| format!("engine address from {source}: {e}"))?;
    let tls = ["DOCKER_TLS_VERIFY", "DOCKER_TLS"]
        .iter()
        .find(|v| env.var(v).is_some_and(|x| x != "0" && x != "false"));
    if let (Endpoint::Tcp { .. }, Some(var)) = (&ep, tls) {
        return Err(format!(
            "{var} is set, so {ep} is a TLS endpoint: dockcfg does not speak TLS to the engine; \
             run it on the engine's machine (unix socket), or unset {var} if the port is plain HTTP"
        ));
    }
    Ok(ep)
}

// ---------------------------------------------------------------------------------------------
// What the engine says

/// `RegistryConfig` from `/info`, as the engine reports it. Empty lists come as `[]` (20.10) or
/// `null` (26.1); both read as empty.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct RegistryConfig {
    #[serde(
        rename = "InsecureRegistryCIDRs",
        default,
        deserialize_with = "null_is_empty"
    )]
    pub insecure_cidrs: Vec<String>,
    #[serde(rename = "IndexConfigs", default, deserialize_with = "null_is_empty")]
    pub index_configs: BTreeMap<String, IndexInfo>,
    /// Mirrors, normalised by the engine with one trailing `/`.
    #[serde(rename = "Mirrors", default, deserialize_with = "null_is_empty")]
    pub mirrors: Vec<String>,
}

/// One registry the engine knows of (`IndexConfigs` value).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct IndexInfo {
    #[serde(rename = "Name", default)]
    pub name: String,
    #[serde(rename = "Mirrors", default, deserialize_with = "null_is_empty")]
    pub mirrors: Vec<String>,
    #[serde(rename = "Secure", default)]
    pub secure: bool,
    #[serde(rename = "Official", default)]
    pub official: bool,
}

fn null_is_empty<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// The parts of `/info` dockcfg reads.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Info {
    #[serde(rename = "ServerVersion", default)]
    pub server_version: String,
    #[serde(rename = "LiveRestoreEnabled", default)]
    pub live_restore: bool,
    #[serde(rename = "ContainersRunning", default)]
    pub containers_running: u64,
    #[serde(rename = "RegistryConfig", default, deserialize_with = "null_is_empty")]
    pub registry: RegistryConfig,
}

/// Read `/info`'s JSON body.
pub fn parse_info(body: &[u8]) -> Result<Info, String> {
    serde_json::from_slice(body)
        .map_err(|e| format!("the engine's /info answer is not what dockcfg expects: {e}"))
}

// ---------------------------------------------------------------------------------------------
// Errors

/// Why the engine could not be asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EngineErrorKind {
    /// Nothing listens (no socket, connection refused): the engine is not running there.
    Down,
    /// The socket exists but this user may not use it.
    Denied,
    /// No answer in time.
    Timeout,
    /// It answered, but not as the Docker API does (or with an HTTP error).
    Protocol,
}

/// An error talking to the engine, with a message naming the endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineError {
    pub kind: EngineErrorKind,
    pub message: String,
}

impl fmt::Display for EngineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for EngineError {}

impl EngineError {
    fn new(kind: EngineErrorKind, message: String) -> EngineError {
        EngineError { kind, message }
    }

    /// The engine is simply not there (as opposed to there but unusable).
    pub fn is_down(&self) -> bool {
        self.kind == EngineErrorKind::Down
    }
}

fn io_to_engine(ep: &Endpoint, what: &str, e: &io::Error) -> EngineError {
    use io::ErrorKind as K;
    let kind = match e.kind() {
        K::NotFound | K::ConnectionRefused | K::AddrNotAvailable => EngineErrorKind::Down,
        K::PermissionDenied => EngineErrorKind::Denied,
        K::TimedOut | K::WouldBlock => EngineErrorKind::Timeout,
        _ => EngineErrorKind::Protocol,
    };
    let hint = match kind {
        EngineErrorKind::Denied => match ep {
            Endpoint::Unix(p) => format!(
                ": run dockcfg with sudo, or as a member of the group that owns {}",
                p.display()
            ),
            Endpoint::Tcp { .. } => String::new(),
        },
        _ => String::new(),
    };
    EngineError::new(kind, format!("{what} {ep}: {e}{hint}"))
}

// ---------------------------------------------------------------------------------------------
// The interface and the real client

/// What dockcfg asks the engine.
pub trait Engine {
    /// The endpoint, for messages (`unix:///var/run/docker.sock`).
    fn endpoint(&self) -> String;
    /// `GET /_ping` answered `OK`.
    fn ping(&self) -> Result<(), EngineError>;
    /// `GET /info`.
    fn info(&self) -> Result<Info, EngineError>;
    /// How many containers run (`GET /containers/json`).
    fn running_containers(&self) -> Result<usize, EngineError>;
}

/// The real engine at an [`Endpoint`].
#[derive(Debug, Clone)]
pub struct HttpEngine {
    endpoint: Endpoint,
    timeout: Duration,
}

impl HttpEngine {
    pub fn new(endpoint: Endpoint) -> HttpEngine {
        HttpEngine {
            endpoint,
            timeout: REQUEST_TIMEOUT,
        }
    }

    /// The same engine with another per-request timeout.
    pub fn with_timeout(mut self, timeout: Duration) -> HttpEngine {
        self.timeout = timeout;
        self
    }

    /// `GET path`; the response when it is 2xx.
    fn get(&self, path: &str) -> Result<Response, EngineError> {
        let ep = &self.endpoint;
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: docker\r\nUser-Agent: dockcfg/{}\r\nAccept: application/json\r\nConnection: close\r\n\r\n",
            env!("CARGO_PKG_VERSION")
        );
        let raw = match ep {
            Endpoint::Unix(p) => {
                let s =
                    UnixStream::connect(p).map_err(|e| io_to_engine(ep, "connecting to", &e))?;
                s.set_read_timeout(Some(self.timeout))
                    .and_then(|_| s.set_write_timeout(Some(self.timeout)))
                    .map_err(|e| io_to_engine(ep, "talking to", &e))?;
                exchange(s, &request)
            }
            Endpoint::Tcp { host, port } => {
                let addr = (host.as_str(), *port)
                    .to_socket_addrs()
                    .map_err(|e| io_to_engine(ep, "resolving", &e))?
                    .next()
                    .ok_or_else(|| {
                        EngineError::new(
                            EngineErrorKind::Down,
                            format!("{ep} resolves to no address"),
                        )
                    })?;
                let s = TcpStream::connect_timeout(&addr, self.timeout)
                    .map_err(|e| io_to_engine(ep, "connecting to", &e))?;
                s.set_read_timeout(Some(self.timeout))
                    .and_then(|_| s.set_write_timeout(Some(self.timeout)))
                    .map_err(|e| io_to_engine(ep, "talking to", &e))?;
                exchange(s, &request)
            }
        }
        .map_err(|e| io_to_engine(ep, &format!("GET {path} on"), &e))?;
        let resp = parse_response(&raw).map_err(|e| {
            EngineError::new(
                EngineErrorKind::Protocol,
                format!("GET {path} on {ep}: {e} (is this a Docker engine, and not a TLS port?)"),
            )
        })?;
        if !(200..300).contains(&resp.status) {
            let body = String::from_utf8_lossy(&resp.body);
            return Err(EngineError::new(
                EngineErrorKind::Protocol,
                format!("GET {path} on {ep}: HTTP {}: {}", resp.status, body.trim()),
            ));
        }
        Ok(resp)
    }
}

impl Engine for HttpEngine {
    fn endpoint(&self) -> String {
        self.endpoint.to_string()
    }

    fn ping(&self) -> Result<(), EngineError> {
        let r = self.get("/_ping")?;
        if r.body.trim_ascii() == b"OK" {
            Ok(())
        } else {
            Err(EngineError::new(
                EngineErrorKind::Protocol,
                format!(
                    "GET /_ping on {}: answered {:?}, not OK",
                    self.endpoint,
                    String::from_utf8_lossy(&r.body)
                ),
            ))
        }
    }

    fn info(&self) -> Result<Info, EngineError> {
        let r = self.get("/info")?;
        parse_info(&r.body).map_err(|e| EngineError::new(EngineErrorKind::Protocol, e))
    }

    fn running_containers(&self) -> Result<usize, EngineError> {
        let r = self.get("/containers/json")?;
        let list: Vec<serde_json::Value> = serde_json::from_slice(&r.body).map_err(|e| {
            EngineError::new(
                EngineErrorKind::Protocol,
                format!("the engine's container list is not a JSON list: {e}"),
            )
        })?;
        Ok(list.len())
    }
}

fn exchange<S: Read + Write>(mut s: S, request: &str) -> io::Result<Vec<u8>> {
    s.write_all(request.as_bytes())?;
    s.flush()?;
    let mut raw = Vec::new();
    s.take(MAX_BODY).read_to_end(&mut raw)?;
    Ok(raw)
}

/// A parsed HTTP response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    /// The body, de-chunked, cut at `Content-Length` when given.
    pub body: Vec<u8>,
}

/// Parse a whole HTTP/1.x response read to EOF.
pub fn parse_response(raw: &[u8]) -> Result<Response, String> {
    let head_end = find(raw, b"\r\n\r\n").ok_or("no complete HTTP header in the answer")?;
    let head = std::str::from_utf8(raw.get(..head_end).unwrap_or_default())
        .map_err(|_| "the HTTP header is not text")?;
    let rest = raw.get(head_end + 4..).unwrap_or_default();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let mut parts = status_line.splitn(3, ' ');
    let version = parts.next().unwrap_or_default();
    if !version.starts_with("HTTP/1.") {
        return Err(format!(
            "not an HTTP answer: {:?}",
            truncate(status_line, 40)
        ));
    }
    let status: u16 = parts
        .next()
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| format!("bad HTTP status line {:?}", truncate(status_line, 40)))?;
    let mut chunked = false;
    let mut length = None;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.trim().eq_ignore_ascii_case("transfer-encoding") {
            chunked = value.to_ascii_lowercase().contains("chunked");
        } else if name.trim().eq_ignore_ascii_case("content-length") {
            length = Some(value.parse::<usize>().map_err(|_| "bad Content-Length")?);
        }
    }
    let body = if chunked {
        decode_chunked(rest)?
    } else if let Some(n) = length {
        rest.get(..n)
            .ok_or("the answer ended before its Content-Length")?
            .to_vec()
    } else {
        rest.to_vec()
    };
    Ok(Response { status, body })
}

/// Decode a `Transfer-Encoding: chunked` body (chunk extensions and trailers ignored).
pub fn decode_chunked(mut data: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    loop {
        let line_end = find(data, b"\r\n").ok_or("a chunk size line is cut off")?;
        let line = std::str::from_utf8(data.get(..line_end).unwrap_or_default())
            .map_err(|_| "bad chunk size")?;
        let size_text = line.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_text, 16)
            .map_err(|_| format!("bad chunk size {size_text:?}"))?;
        data = data.get(line_end + 2..).unwrap_or_default();
        if size == 0 {
            return Ok(out);
        }
        let chunk = data.get(..size).ok_or("a chunk is cut off")?;
        out.extend_from_slice(chunk);
        data = data
            .get(size..)
            .and_then(|d| d.strip_prefix(b"\r\n"))
            .ok_or("a chunk does not end with CRLF")?;
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn truncate(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_parse_as_docker_takes_them() {
        let unix = |p: &str| Ok(Endpoint::Unix(PathBuf::from(p)));
        let tcp = |h: &str, port| {
            Ok(Endpoint::Tcp {
                host: h.into(),
                port,
            })
        };
        let cases: &[(&str, Result<Endpoint, String>)] = &[
            ("unix:///var/run/docker.sock", unix("/var/run/docker.sock")),
            ("UNIX:///tmp/d.sock", unix("/tmp/d.sock")),
            ("/run/docker.sock", unix("/run/docker.sock")),
            ("tcp://10.0.0.1:2375", tcp("10.0.0.1", 2375)),
            ("tcp://engine.local", tcp("engine.local", 2375)),
            ("engine.local:2380", tcp("engine.local", 2380)),
            ("tcp://[fd00::1]:2375/", tcp("fd00::1", 2375)),
        ];
        for (s, want) in cases {
            assert_eq!(&parse_host(s), want, "{s}");
        }
        for (s, says) in [
            ("ssh://me@host", "over ssh"),
            ("fd://", "systemd hands dockerd its socket"),
            ("npipe:////./pipe/docker_engine", "named pipes"),
            ("https://h:2376", "does not speak TLS"),
            ("unix://", "names no socket"),
            ("tcp://h:0", "not an address"),
            ("tcp://h:99999", "not an address"),
            ("tcp://h:2375/v1", "path"),
            ("", "empty"),
            ("gopher://x", "unknown scheme"),
        ] {
            let e = parse_host(s).expect_err(s);
            assert!(e.contains(says), "{s}: {e}");
        }
    }

    #[test]
    fn endpoint_choice_and_tls_refusal() {
        let env = EnvView::new(0);
        let with_host = EnvView::new(0).with("DOCKER_HOST", "unix:///env.sock");
        let e = |g, env: &EnvView| choose_endpoint(g, env, DEFAULT_HOST).map(|e| e.to_string());
        assert_eq!(e(None, &env), Ok("unix:///var/run/docker.sock".into()));
        assert_eq!(e(None, &with_host), Ok("unix:///env.sock".into()));
        assert_eq!(
            e(Some("unix:///given.sock"), &with_host),
            Ok("unix:///given.sock".into())
        );
        let tls = EnvView::new(0)
            .with("DOCKER_HOST", "tcp://h:2376")
            .with("DOCKER_TLS_VERIFY", "1");
        let err = e(None, &tls).expect_err("TLS refused");
        assert!(
            err.contains("DOCKER_TLS_VERIFY is set") && err.contains("tcp://h:2376"),
            "{err}"
        );
        // TLS variables do not matter for a unix socket.
        let tls_unix = EnvView::new(0).with("DOCKER_TLS_VERIFY", "1");
        assert!(e(None, &tls_unix).is_ok());
        let err = e(Some("ssh://x"), &env).expect_err("ssh");
        assert!(err.starts_with("engine address from -H: "), "{err}");
    }

    #[test]
    fn info_reads_both_engine_generations() {
        // dockerd 20.10.24, insecure 198.18.0.2:5000 and a mirror (abridged).
        let v20 = br#"{"ServerVersion":"20.10.24+dfsg1","LiveRestoreEnabled":false,"ContainersRunning":1,
            "RegistryConfig":{"AllowNondistributableArtifactsCIDRs":[],"AllowNondistributableArtifactsHostnames":[],
            "InsecureRegistryCIDRs":["127.0.0.0/8"],"IndexConfigs":{"198.18.0.2:5000":{"Name":"198.18.0.2:5000",
            "Mirrors":[],"Secure":false,"Official":false},"docker.io":{"Name":"docker.io","Mirrors":["http://198.18.0.1:5000/"],
            "Secure":true,"Official":true}},"Mirrors":["http://198.18.0.1:5000/"]}}"#;
        let i = parse_info(v20).expect("20.10 info");
        assert_eq!(i.server_version, "20.10.24+dfsg1");
        assert_eq!(i.containers_running, 1);
        assert_eq!(i.registry.insecure_cidrs, ["127.0.0.0/8"]);
        assert!(!i.registry.index_configs["198.18.0.2:5000"].secure);
        assert_eq!(i.registry.mirrors, ["http://198.18.0.1:5000/"]);
        // dockerd 26.1.5 with nothing set: null lists.
        let v26 = br#"{"ServerVersion":"26.1.5+dfsg1","LiveRestoreEnabled":true,"RegistryConfig":{
            "AllowNondistributableArtifactsCIDRs":null,"AllowNondistributableArtifactsHostnames":null,
            "InsecureRegistryCIDRs":["::1/128","127.0.0.0/8"],"IndexConfigs":{"docker.io":{"Name":"docker.io",
            "Mirrors":null,"Secure":true,"Official":true}},"Mirrors":null}}"#;
        let i = parse_info(v26).expect("26.1 info");
        assert!(i.live_restore);
        assert!(i.registry.mirrors.is_empty());
        assert!(i.registry.index_configs["docker.io"].mirrors.is_empty());
        let i = parse_info(br#"{"RegistryConfig":null}"#).expect("null RegistryConfig");
        assert_eq!(i.registry, RegistryConfig::default());
        assert!(parse_info(b"\"x\"").is_err());
        assert!(parse_info(b"<html>").is_err());
    }

    #[test]
    fn responses_plain_sized_and_chunked() {
        let cases: &[(&[u8], u16, &[u8])] = &[
            (b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOKextra", 200, b"OK"),
            (b"HTTP/1.0 404 Not Found\r\n\r\nnope", 404, b"nope"),
            (
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n{\"a\"\r\n3;x=y\r\n:1}\r\n0\r\n\r\n",
                200,
                b"{\"a\":1}",
            ),
        ];
        for (raw, status, body) in cases {
            let r = parse_response(raw).expect("parse");
            assert_eq!((r.status, r.body.as_slice()), (*status, *body));
        }
        for bad in [
            &b"garbage"[..],
            b"\x16\x03\x01\x00\r\n\r\n",
            b"HTTP/1.1 abc\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nshort",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab",
        ] {
            assert!(
                parse_response(bad).is_err(),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn a_missing_socket_is_down_not_an_error_of_another_kind() {
        let dir = tempfile::tempdir().expect("tempdir");
        let e = HttpEngine::new(Endpoint::Unix(dir.path().join("none.sock")))
            .ping()
            .expect_err("nothing listens");
        assert!(e.is_down(), "{e:?}");
        assert!(e.message.contains("none.sock"), "{e}");
    }

    #[test]
    fn talks_to_a_unix_socket_server() {
        use std::os::unix::net::UnixListener;
        let dir = tempfile::tempdir().expect("tempdir");
        let sock = dir.path().join("e.sock");
        let listener = UnixListener::bind(&sock).expect("bind");
        let server = std::thread::spawn(move || {
            let (a, b) = (
                "{\"ServerVersion\":\"26.1.5\",\"Li",
                "veRestoreEnabled\":true}",
            );
            let chunked = format!(
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n{a}\r\n{:x}\r\n{b}\r\n0\r\n\r\n",
                a.len(),
                b.len()
            );
            let answers: [&[u8]; 3] = [
                b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK",
                chunked.as_bytes(),
                b"HTTP/1.1 200 OK\r\n\r\n[{\"Id\":\"a\"},{\"Id\":\"b\"}]",
            ];
            let mut seen = Vec::new();
            for a in answers {
                let (mut c, _) = listener.accept().expect("accept");
                let mut buf = [0u8; 1024];
                let n = c.read(&mut buf).expect("read");
                seen.push(String::from_utf8_lossy(&buf[..n]).into_owned());
                c.write_all(a).expect("write");
            }
            seen
        });
        let e = HttpEngine::new(Endpoint::Unix(sock));
        e.ping().expect("ping");
        let info = e.info().expect("info");
        assert_eq!(
            (info.server_version.as_str(), info.live_restore),
            ("26.1.5", true)
        );
        assert_eq!(e.running_containers().expect("containers"), 2);
        let seen = server.join().expect("server");
        assert!(
            seen[0].starts_with("GET /_ping HTTP/1.1\r\n"),
            "{}",
            seen[0]
        );
        assert!(seen[1].contains("Connection: close\r\n"), "{}", seen[1]);
        assert!(seen[2].starts_with("GET /containers/json "), "{}", seen[2]);
    }
}

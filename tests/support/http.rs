//! A tiny HTTP/1.1 client for tests: the Docker API over a unix socket, a registry's `/v2/` over TCP.
//!
//! One request per connection with `Connection: close`; the body is read to EOF and de-chunked when the
//! server answers `Transfer-Encoding: chunked` (dockerd does for /info on some versions).

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

/// How long one request may take (connect, send, read).
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// A parsed HTTP response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The status code, e.g. 200.
    pub status: u16,
    /// Header names (as sent) and values, in order.
    pub headers: Vec<(String, String)>,
    /// The body, de-chunked.
    pub body: Vec<u8>,
}

impl Response {
    /// The first header with this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as text (lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON.
    pub fn json(&self) -> io::Result<serde_json::Value> {
        serde_json::from_slice(&self.body).map_err(|e| {
            io::Error::other(format!("response body is not JSON ({e}): {}", self.text()))
        })
    }
}

/// Sends one request to an HTTP server on a unix socket (the Docker API). `body` is (content type, bytes).
pub fn unix_request(
    socket: &Path,
    method: &str,
    path: &str,
    body: Option<(&str, &[u8])>,
) -> io::Result<Response> {
    let stream = UnixStream::connect(socket).map_err(|e| {
        io::Error::new(e.kind(), format!("connecting to {}: {e}", socket.display()))
    })?;
    stream.set_read_timeout(Some(TIMEOUT))?;
    stream.set_write_timeout(Some(TIMEOUT))?;
    exchange(stream, "docker", method, path, body)
}

/// Sends `GET path` to `addr` ("host:port") over TCP.
pub fn tcp_get(addr: &str, path: &str) -> io::Result<Response> {
    let sock: SocketAddr = addr
        .to_socket_addrs()?
        .next()
        .ok_or_else(|| io::Error::other(format!("{addr} resolves to nothing")))?;
    let stream = TcpStream::connect_timeout(&sock, Duration::from_secs(2))?;
    stream.set_read_timeout(Some(TIMEOUT))?;
    stream.set_write_timeout(Some(TIMEOUT))?;
    exchange(stream, addr, "GET", path, None)
}

fn exchange<S: Read + Write>(
    mut stream: S,
    host: &str,
    method: &str,
    path: &str,
    body: Option<(&str, &[u8])>,
) -> io::Result<Response> {
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n");
    let payload: &[u8] = match body {
        Some((ctype, bytes)) => {
            req.push_str(&format!("Content-Type: {ctype}\r\n"));
            bytes
        }
        None => &[],
    };
    if body.is_some() || method != "GET" {
        req.push_str(&format!("Content-Length: {}\r\n", payload.len()));
    }
    req.push_str("\r\n");
    stream.write_all(req.as_bytes())?;
    stream.write_all(payload)?;
    stream.flush()?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    parse_response(&raw).map_err(io::Error::other)
}

/// Parses a whole HTTP/1.1 response (read to EOF).
pub fn parse_response(raw: &[u8]) -> Result<Response, String> {
    let split = find(raw, b"\r\n\r\n").ok_or("no end of headers in the response")?;
    let head = std::str::from_utf8(raw.get(..split).unwrap_or_default())
        .map_err(|_| "response headers are not UTF-8")?;
    let rest = raw.get(split + 4..).unwrap_or_default();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("bad status line {status_line:?}"))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let mut resp = Response {
        status,
        headers,
        body: Vec::new(),
    };
    resp.body = if resp
        .header("transfer-encoding")
        .is_some_and(|v| v.eq_ignore_ascii_case("chunked"))
    {
        decode_chunked(rest)?
    } else if let Some(len) = resp
        .header("content-length")
        .and_then(|v| v.parse::<usize>().ok())
    {
        rest.get(..len)
            .ok_or("body shorter than Content-Length")?
            .to_vec()
    } else {
        rest.to_vec()
    };
    Ok(resp)
}

/// Decodes a `Transfer-Encoding: chunked` body (chunk extensions and trailers are ignored).
pub fn decode_chunked(mut data: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    loop {
        let eol = find(data, b"\r\n").ok_or("chunk size line without CRLF")?;
        let line = std::str::from_utf8(data.get(..eol).unwrap_or_default())
            .map_err(|_| "chunk size not UTF-8")?;
        let hex = line.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(hex, 16).map_err(|_| format!("bad chunk size {hex:?}"))?;
        let start = eol + 2;
        if size == 0 {
            return Ok(out);
        }
        let chunk = data
            .get(start..start + size)
            .ok_or("chunk shorter than its size")?;
        out.extend_from_slice(chunk);
        data = data.get(start + size..).unwrap_or_default();
        data = data
            .strip_prefix(b"\r\n")
            .ok_or("chunk not followed by CRLF")?;
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

//! HTTP/1.x messages as evhttp reads and writes them: the first line of a
//! request or response, header lines (with obsolete folding), how long a
//! body is, chunk-size lines, and the reason phrases and error pages a
//! server sends.
//!
//! evhttp reads a head line by line (a line ends at LF, an optional CR
//! before it is dropped) and is lenient where RFC 7230 is strict: an
//! unknown method is parsed (the server then answers 501), the target
//! may hold spaces (it runs from the first space to the last), header
//! values are trimmed and continuation lines are folded in. `httparse`
//! rejects all three, so these rules are written out here.

use super::uri::{Uri, NONCONFORMANT};

/// The head size (request or status line plus headers) a server or client
/// connection accepts unless the program sets its own: 1 MiB. libevent's
/// default is no limit, so a peer sending an endless header line grows its
/// input without bound; past this one, a server answers 400 and closes, a
/// client fails the request, as with a limit the program set. A negative
/// size given to `evhttp_set_max_headers_size` still means no limit.
pub const DEFAULT_MAX_HEADERS_SIZE: usize = 1 << 20;

/// `enum evhttp_cmd_type`: one bit per method.
pub mod method {
    pub const GET: u32 = 1 << 0;
    pub const POST: u32 = 1 << 1;
    pub const HEAD: u32 = 1 << 2;
    pub const PUT: u32 = 1 << 3;
    pub const DELETE: u32 = 1 << 4;
    pub const OPTIONS: u32 = 1 << 5;
    pub const TRACE: u32 = 1 << 6;
    pub const CONNECT: u32 = 1 << 7;
    pub const PATCH: u32 = 1 << 8;
    /// A method evhttp does not know (never allowed by a server).
    pub const UNKNOWN: u32 = 1 << 15;
}

const METHODS: [(&[u8], u32); 9] = [
    (b"GET", method::GET),
    (b"POST", method::POST),
    (b"HEAD", method::HEAD),
    (b"PUT", method::PUT),
    (b"DELETE", method::DELETE),
    (b"OPTIONS", method::OPTIONS),
    (b"TRACE", method::TRACE),
    (b"CONNECT", method::CONNECT),
    (b"PATCH", method::PATCH),
];

/// The method's bit; names are case-sensitive.
pub fn method_from_name(name: &[u8]) -> u32 {
    METHODS
        .iter()
        .find(|(n, _)| *n == name)
        .map_or(method::UNKNOWN, |&(_, m)| m)
}

/// The request-line name of a method bit.
pub fn method_name(m: u32) -> Option<&'static str> {
    METHODS
        .iter()
        .find(|&&(_, b)| b == m)
        .map(|(n, _)| std::str::from_utf8(n).unwrap_or_default())
}

/// May a request with this method carry a body?
pub fn method_may_have_body(m: u32) -> bool {
    use method::*;
    matches!(m, POST | PUT | PATCH | GET | DELETE | OPTIONS | CONNECT)
}

/// The next line of `buf` as evbuffer's `EVBUFFER_EOL_CRLF` reads it:
/// the line without its LF (or CRLF), and the bytes it used; `None`
/// until an LF arrives.
pub fn split_line(buf: &[u8]) -> Option<(&[u8], usize)> {
    let lf = buf.iter().position(|&c| c == b'\n')?;
    let line = &buf[..lf];
    Some((line.strip_suffix(b"\r").unwrap_or(line), lf + 1))
}

/// C's `%d` in sscanf: optional white space, an optional sign, digits.
fn scan_int(s: &[u8]) -> Option<(i64, &[u8])> {
    let s = &s[s.iter().take_while(|c| c.is_ascii_whitespace()).count()..];
    let (neg, s) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let n = s.iter().take_while(|c| c.is_ascii_digit()).count();
    if n == 0 {
        return None;
    }
    let v = s[..n].iter().fold(0i64, |v, &d| {
        v.saturating_mul(10).saturating_add(i64::from(d - b'0'))
    });
    Some((if neg { -v } else { v }, &s[n..]))
}

/// `HTTP/<major>.<minor>` with nothing after it; versions above 1.x are
/// refused. The numbers land in C `char`s, truncated as C truncates.
pub fn parse_version(v: &[u8]) -> Option<(i8, i8)> {
    // What nearly every message says, without the general scan.
    match v {
        b"HTTP/1.1" => return Some((1, 1)),
        b"HTTP/1.0" => return Some((1, 0)),
        _ => {}
    }
    let rest = v.strip_prefix(b"HTTP/")?;
    let (major, rest) = scan_int(rest)?;
    let rest = rest.strip_prefix(b".")?;
    let (minor, rest) = scan_int(rest)?;
    if !rest.is_empty() || major > 1 {
        return None;
    }
    Some((major as i8, minor as i8))
}

/// A parsed request line.
#[derive(Debug, PartialEq, Eq)]
pub struct RequestLine<'a> {
    pub method: u32,
    /// The target as sent (up to a NUL).
    pub target: &'a [u8],
    pub uri: Uri,
    pub major: i8,
    pub minor: i8,
}

/// `METHOD SP target SP HTTP/x.y`, trailing spaces ignored; the target
/// runs from the first space to the last. `None` for a bad line.
pub fn parse_request_line(line: &[u8]) -> Option<RequestLine<'_>> {
    let end = line.len() - line.iter().rev().take_while(|&&c| c == b' ').count();
    let line = &line[..end];
    if line.len() < b"GET / HTTP/1.0".len() {
        return None;
    }
    let sp = line.iter().position(|&c| c == b' ')?;
    let (name, rest) = (&line[..sp], &line[sp + 1..]);
    let last = rest.iter().rposition(|&c| c == b' ')?;
    if last == 0 {
        return None;
    }
    let (target, version) = (&rest[..last], &rest[last + 1..]);
    let method = method_from_name(name);
    let (major, minor) = parse_version(version)?;
    // The target is stored as a C string: it ends at a NUL.
    let target = &target[..target.iter().position(|&c| c == 0).unwrap_or(target.len())];
    let uri = if method == method::CONNECT {
        Uri::parse_authority(target)?
    } else {
        Uri::parse(target, NONCONFORMANT)?
    };
    Some(RequestLine {
        method,
        target,
        uri,
        major,
        minor,
    })
}

/// A parsed status line.
#[derive(Debug, PartialEq, Eq)]
pub struct StatusLine {
    pub major: i8,
    pub minor: i8,
    pub code: i32,
    pub reason: Vec<u8>,
}

/// C's atoi.
fn atoi(s: &[u8]) -> i32 {
    scan_int(s).map_or(0, |(v, _)| {
        v.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32
    })
}

/// `HTTP/x.y SP code [SP reason]`; a code of 0 (or none) is refused.
pub fn parse_status_line(line: &[u8]) -> Option<StatusLine> {
    let sp = line.iter().position(|&c| c == b' ')?;
    let (version, rest) = (&line[..sp], &line[sp + 1..]);
    let (number, reason) = match rest.iter().position(|&c| c == b' ') {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (rest, &b""[..]),
    };
    let (major, minor) = parse_version(version)?;
    let code = atoi(number);
    if code == 0 {
        return None;
    }
    Some(StatusLine {
        major,
        minor,
        code,
        reason: reason.to_vec(),
    })
}

/// What one header line is.
#[derive(Debug, PartialEq, Eq)]
pub enum HeaderLine<'a> {
    /// The empty line that ends the head.
    End,
    /// A continuation (starts with a space or tab): the trimmed text to
    /// append to the previous value after one space.
    Fold(&'a [u8]),
    /// `name: value`, the value trimmed.
    Field(&'a [u8], &'a [u8]),
    /// No colon, or a name or value evhttp refuses to store.
    Bad,
}

fn is_lws(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n')
}

fn rtrim_lws(s: &[u8]) -> &[u8] {
    &s[..s.len() - s.iter().rev().take_while(|&&c| is_lws(c)).count()]
}

/// A C string stops at its first NUL.
fn c_str(s: &[u8]) -> &[u8] {
    &s[..s.iter().position(|&c| c == 0).unwrap_or(s.len())]
}

/// Classifies one line of a head (without its line end).
pub fn parse_header_line(line: &[u8]) -> HeaderLine<'_> {
    let line = c_str(line);
    match line.first() {
        None => HeaderLine::End,
        Some(b' ' | b'\t') => {
            let start = line
                .iter()
                .take_while(|&&c| c == b' ' || c == b'\t')
                .count();
            HeaderLine::Fold(rtrim_lws(&line[start..]))
        }
        Some(_) => {
            let Some(colon) = line.iter().position(|&c| c == b':') else {
                return HeaderLine::Bad;
            };
            let name = &line[..colon];
            let value = &line[colon + 1..];
            let value = rtrim_lws(&value[value.iter().take_while(|&&c| c == b' ').count()..]);
            if !super::headers::text_ok(name) || !super::headers::text_ok(value) {
                return HeaderLine::Bad;
            }
            HeaderLine::Field(name, value)
        }
    }
}

/// C's strtoll on the whole string (white space first, a sign, digits in
/// `radix`, `0x` allowed for 16); `None` when it is empty or not a number
/// up to `end_ok`-accepted trailing text. Saturates as strtoll does.
fn strtoll(s: &[u8], radix: u32) -> Option<(i64, &[u8])> {
    let mut t = &s[s.iter().take_while(|c| c.is_ascii_whitespace()).count()..];
    let neg = match t.first() {
        Some(b'-') => {
            t = &t[1..];
            true
        }
        Some(b'+') => {
            t = &t[1..];
            false
        }
        _ => false,
    };
    if radix == 16
        && t.len() > 2
        && t[0] == b'0'
        && (t[1] | 0x20) == b'x'
        && t[2].is_ascii_hexdigit()
    {
        t = &t[2..];
    }
    let n = t
        .iter()
        .take_while(|&&c| (c as char).is_digit(radix))
        .count();
    if n == 0 {
        return None;
    }
    let mut v: i64 = 0;
    for &c in &t[..n] {
        let d = i64::from((c as char).to_digit(radix).unwrap_or(0));
        v = v.saturating_mul(i64::from(radix)).saturating_add(d);
    }
    Some((if neg { -v } else { v }, &t[n..]))
}

/// How a message's body is delimited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Framing {
    /// `Transfer-Encoding: chunked`.
    Chunked,
    /// Exactly this many bytes.
    Length(u64),
    /// Up to the end of the connection.
    ToClose,
}

/// The body framing of a message from its `Transfer-Encoding`,
/// `Content-Length` and `Connection` headers; `None` for a bad length.
/// Without a length, a message is read to the close unless it names a
/// `Connection` other than `close` (then it has no body).
pub fn framing(te: Option<&[u8]>, cl: Option<&[u8]>, connection: Option<&[u8]>) -> Option<Framing> {
    if te.is_some_and(|t| t.eq_ignore_ascii_case(b"chunked")) {
        return Some(Framing::Chunked);
    }
    match (cl, connection) {
        (None, None) => Some(Framing::ToClose),
        (None, Some(c)) if !c.eq_ignore_ascii_case(b"close") => Some(Framing::Length(0)),
        (None, Some(_)) => Some(Framing::ToClose),
        (Some(cl), _) => {
            let (n, rest) = strtoll(cl, 10)?;
            if !rest.is_empty() || n < 0 {
                return None;
            }
            Some(Framing::Length(n as u64))
        }
    }
}

/// A chunk-size line (hex; extensions after a space are ignored); `None`
/// when it is not one. Empty lines are skipped before this is asked.
pub fn parse_chunk_size(line: &[u8]) -> Option<u64> {
    let line = c_str(line);
    let (n, rest) = strtoll(line, 16)?;
    if (!rest.is_empty() && rest[0] != b' ') || n < 0 {
        return None;
    }
    Some(n as u64)
}

/// `Connection: close` (or, for a proxy request, anything but
/// `Proxy-Connection: keep-alive`) asks to close after this message;
/// `value` is that header's (`Proxy-Connection` for a proxy request,
/// else `Connection`).
pub fn wants_close(proxy: bool, value: Option<&[u8]>) -> bool {
    if proxy {
        !value.is_some_and(|v| v.eq_ignore_ascii_case(b"keep-alive"))
    } else {
        value.is_some_and(|v| v.eq_ignore_ascii_case(b"close"))
    }
}

/// `Connection: keep-alive...` (a prefix match, as evhttp does).
pub fn wants_keepalive(connection: Option<&[u8]>) -> bool {
    connection.is_some_and(|v| v.len() >= 10 && v[..10].eq_ignore_ascii_case(b"keep-alive"))
}

/// Must a response with this code to this method carry a body?
pub fn response_has_body(code: i32, method: u32) -> bool {
    code != 204
        && code != 304
        && !(100..200).contains(&code)
        && method != method::CONNECT
        && method != method::HEAD
}

const PHRASES: [(&str, &[&str]); 5] = [
    ("Informational", &["Continue", "Switching Protocols"]),
    (
        "Success",
        &[
            "OK",
            "Created",
            "Accepted",
            "Non-Authoritative Information",
            "No Content",
            "Reset Content",
            "Partial Content",
        ],
    ),
    (
        "Redirection",
        &[
            "Multiple Choices",
            "Moved Permanently",
            "Found",
            "See Other",
            "Not Modified",
            "Use Proxy",
            "Temporary Redirect",
        ],
    ),
    (
        "Client Error",
        &[
            "Bad Request",
            "Unauthorized",
            "Payment Required",
            "Forbidden",
            "Not Found",
            "Method Not Allowed",
            "Not Acceptable",
            "Proxy Authentication Required",
            "Request Time-out",
            "Conflict",
            "Gone",
            "Length Required",
            "Precondition Failed",
            "Request Entity Too Large",
            "Request-URI Too Large",
            "Unsupported Media Type",
            "Requested range not satisfiable",
            "Expectation Failed",
        ],
    ),
    (
        "Server Error",
        &[
            "Internal Server Error",
            "Not Implemented",
            "Bad Gateway",
            "Service Unavailable",
            "Gateway Time-out",
            "HTTP Version not supported",
        ],
    ),
];

/// evhttp's reason phrase for a status code (the class name for a code
/// it has no phrase for).
pub fn reason_phrase(code: i32) -> &'static str {
    let class = code / 100 - 1;
    let sub = code % 100;
    if !(0..PHRASES.len() as i32).contains(&class) {
        return "Unknown Status Class";
    }
    let (name, list) = PHRASES[class as usize];
    list.get(sub as usize).copied().unwrap_or(name)
}

/// The body of `evhttp_send_error`'s page.
pub fn error_page(code: i32, reason: &[u8]) -> Vec<u8> {
    let mut p = format!("<HTML><HEAD>\n<TITLE>{code} ").into_bytes();
    p.extend_from_slice(reason);
    p.extend_from_slice(b"</TITLE>\n</HEAD><BODY>\n<H1>");
    p.extend_from_slice(reason);
    p.extend_from_slice(b"</H1>\n</BODY></HTML>\n");
    p
}

/// The body of the 404 page a server without a matching callback sends;
/// `escaped_uri` is already HTML-escaped.
pub fn not_found_page(escaped_uri: &[u8]) -> Vec<u8> {
    let mut p = b"<html><head><title>404 Not Found</title></head><body><h1>Not Found</h1><p>The requested URL "
        .to_vec();
    p.extend_from_slice(escaped_uri);
    p.extend_from_slice(b" was not found on this server.</p></body></html>\n");
    p
}

/// Virtual-host patterns: `*` matches a run of characters, the rest
/// matches without regard to ASCII case. As in evhttp, the rest of the
/// pattern after a `*` must match at least one character of the name, so
/// a trailing `*` matches nothing.
pub fn host_matches(pattern: &[u8], name: &[u8]) -> bool {
    match pattern.split_first() {
        None => name.is_empty(),
        Some((b'*', rest)) => (0..name.len()).any(|i| host_matches(rest, &name[i..])),
        Some((&c, rest)) => {
            name.first().is_some_and(|n| n.eq_ignore_ascii_case(&c))
                && host_matches(rest, &name[1..])
        }
    }
}

/// The host of a `Host` header value: without a trailing `:port`.
pub fn host_without_port(value: &[u8]) -> &[u8] {
    if value.is_empty() {
        return value;
    }
    let digits = value[1..]
        .iter()
        .rev()
        .take_while(|c| c.is_ascii_digit())
        .count();
    let colon = value.len() - 1 - digits;
    if colon > 0 && value[colon] == b':' {
        &value[..colon]
    } else {
        value
    }
}

/// A whole head parsed at once (the fuzz target's and the tests' view of
/// what the connection code does line by line).
#[derive(Debug, PartialEq, Eq)]
pub struct Head {
    pub headers: Vec<(Vec<u8>, Vec<u8>)>,
    /// Bytes of `buf` the head used (line ends included).
    pub used: usize,
}

/// Why a head was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum HeadError {
    /// More than `max` bytes of lines (line ends not counted, as evhttp).
    TooLong,
    /// A malformed line.
    Bad,
}

/// The header lines of `buf` up to the empty line; `Ok(None)` while
/// incomplete. `counted` is what the first line already counted against
/// `max`.
pub fn parse_headers(
    buf: &[u8],
    mut counted: usize,
    max: usize,
) -> Result<Option<Head>, HeadError> {
    let mut headers: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    let mut used = 0;
    while let Some((line, n)) = split_line(&buf[used..]) {
        used += n;
        counted += line.len();
        if counted > max {
            return Err(HeadError::TooLong);
        }
        match parse_header_line(line) {
            HeaderLine::End => return Ok(Some(Head { headers, used })),
            HeaderLine::Fold(more) => {
                let (_, v) = headers.last_mut().ok_or(HeadError::Bad)?;
                v.push(b' ');
                v.extend_from_slice(more);
            }
            HeaderLine::Field(k, v) => headers.push((k.to_vec(), v.to_vec())),
            HeaderLine::Bad => return Err(HeadError::Bad),
        }
    }
    if counted + (buf.len() - used) > max {
        return Err(HeadError::TooLong);
    }
    Ok(None)
}

/// The first header named `name` (any case).
pub fn find<'a>(headers: &'a [(Vec<u8>, Vec<u8>)], name: &[u8]) -> Option<&'a [u8]> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_slice())
}

/// A chunked body decoded from `buf`: the data and the bytes used, up
/// to the last chunk; `Ok(None)` while incomplete, `Err` when corrupt or
/// over `max` bytes of data.
pub fn decode_chunked(buf: &[u8], max: u64) -> Result<Option<(Vec<u8>, usize)>, HeadError> {
    let mut out = Vec::new();
    let mut used = 0;
    loop {
        let Some((line, n)) = split_line(&buf[used..]) else {
            return Ok(None);
        };
        used += n;
        if line.is_empty() {
            continue;
        }
        let size = parse_chunk_size(line).ok_or(HeadError::Bad)?;
        if size > max.saturating_sub(out.len() as u64) {
            return Err(HeadError::TooLong);
        }
        if size == 0 {
            return Ok(Some((out, used)));
        }
        let size = size as usize;
        if buf.len() - used < size {
            return Ok(None);
        }
        out.extend_from_slice(&buf[used..used + size]);
        used += size;
    }
}

#[cfg(test)]
mod tests;

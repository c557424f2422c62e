//! URIs as evhttp parses, checks and joins them: RFC 3986's grammar,
//! strictly by default, or loosely with [`NONCONFORMANT`].

use super::escape::{is_subdelim, is_unreserved};
use rel_core::inet::ipv6_ok;

/// `EVHTTP_URI_NONCONFORMANT`: the path runs to `?` or `#`, the query to
/// `#`, the fragment to the end, whatever characters they hold.
pub const NONCONFORMANT: u32 = 0x01;

/// A parsed or built URI. Every part is a byte string without NUL;
/// `port` is -1 when absent. A parsed URI always has a path (maybe
/// empty), and a host exactly when it had an authority (`//`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Uri {
    pub flags: u32,
    pub scheme: Option<Vec<u8>>,
    pub userinfo: Option<Vec<u8>>,
    pub host: Option<Vec<u8>>,
    pub port: i32,
    pub path: Option<Vec<u8>>,
    pub query: Option<Vec<u8>>,
    pub fragment: Option<Vec<u8>>,
}

/// Which part [`part_end`] scans.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Part {
    Path,
    Query,
    Fragment,
}

/// A setter's argument does not fit its part's grammar.
#[derive(Debug, PartialEq, Eq)]
pub struct Invalid;

fn pct_at(s: &[u8], i: usize) -> bool {
    s[i] == b'%'
        && s.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
        && s.get(i + 2).is_some_and(u8::is_ascii_hexdigit)
}

/// scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
fn scheme_ok(s: &[u8]) -> bool {
    match s.split_first() {
        Some((first, rest)) => {
            first.is_ascii_alphabetic()
                && rest
                    .iter()
                    .all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.'))
        }
        None => false,
    }
}

/// Unreserved, sub-delims, `%XX` and (for userinfo) `:`.
fn chars_ok(s: &[u8], colon: bool) -> bool {
    let mut i = 0;
    while i < s.len() {
        let c = s[i];
        if is_unreserved(c) || is_subdelim(c) || (colon && c == b':') {
            i += 1;
        } else if pct_at(s, i) {
            i += 3;
        } else {
            return false;
        }
    }
    true
}

fn userinfo_ok(s: &[u8]) -> bool {
    chars_ok(s, true)
}

fn regname_ok(s: &[u8]) -> bool {
    chars_ok(s, false)
}

/// `[IPv6]` or `[vHEX.stuff]` (IPvFuture).
fn bracket_ok(s: &[u8]) -> bool {
    if s.len() < 3 || s[0] != b'[' || s[s.len() - 1] != b']' {
        return false;
    }
    let inner = &s[1..s.len() - 1];
    if let Some(future) = inner.strip_prefix(b"v") {
        let dot = future.iter().position(|&c| !c.is_ascii_hexdigit());
        match dot {
            Some(d) if d > 0 && future[d] == b'.' => future[d + 1..]
                .iter()
                .all(|&c| is_unreserved(c) || is_subdelim(c) || c == b':'),
            _ => false,
        }
    } else {
        inner.len() < 64 && ipv6_ok(inner)
    }
}

fn host_ok(h: &[u8]) -> bool {
    if h.first() == Some(&b'[') {
        bracket_ok(h)
    } else {
        regname_ok(h)
    }
}

/// Where the part starting at `s` ends (the index of the first byte that
/// cannot belong to it).
fn part_end(s: &[u8], part: Part, flags: u32) -> usize {
    if flags & NONCONFORMANT != 0 {
        let stop: &[u8] = match part {
            Part::Path => b"#?",
            Part::Query => b"#",
            Part::Fragment => b"",
        };
        return s.iter().position(|c| stop.contains(c)).unwrap_or(s.len());
    }
    let mut i = 0;
    while i < s.len() {
        let c = s[i];
        if is_unreserved(c) || is_subdelim(c) || matches!(c, b':' | b'@' | b'/') {
            i += 1;
        } else if pct_at(s, i) {
            i += 3;
        } else if c == b'?' && part != Part::Path {
            i += 1;
        } else {
            return i;
        }
    }
    i
}

/// The authority `[userinfo@]host[:port]` into `uri`.
fn parse_authority(uri: &mut Uri, a: &[u8]) -> Option<()> {
    if a.is_empty() {
        uri.host = Some(Vec::new());
        return Some(());
    }
    let hostport = match a.iter().position(|&c| c == b'@') {
        Some(at) => {
            if !userinfo_ok(&a[..at]) {
                return None;
            }
            uri.userinfo = Some(a[..at].to_vec());
            &a[at + 1..]
        }
        None => a,
    };
    // A trailing ":digits" (or a bare ":") is the port.
    let digits = hostport
        .iter()
        .rev()
        .take_while(|c| c.is_ascii_digit())
        .count();
    let mut host = hostport;
    if digits < hostport.len() && hostport[hostport.len() - digits - 1] == b':' {
        let port = &hostport[hostport.len() - digits..];
        uri.port = if port.is_empty() {
            -1
        } else {
            parse_port(port)?
        };
        host = &hostport[..hostport.len() - digits - 1];
    }
    let ok = if host.len() >= 2 && host[0] == b'[' && host[host.len() - 1] == b']' {
        bracket_ok(host)
    } else {
        regname_ok(host)
    };
    if !ok {
        return None;
    }
    uri.host = Some(host.to_vec());
    Some(())
}

/// Decimal digits up to 65535.
fn parse_port(digits: &[u8]) -> Option<i32> {
    let mut n: i32 = 0;
    for &d in digits {
        n = n * 10 + i32::from(d - b'0');
        if n > 65535 {
            return None;
        }
    }
    Some(n)
}

/// Without a scheme, the path's first segment may not hold a `:` (it
/// would read as one).
fn noscheme_path_ok(path: &[u8]) -> bool {
    let first = path.split(|&c| c == b'/').next().unwrap_or_default();
    !first.contains(&b':')
}

impl Uri {
    /// An empty URI: no parts, no port.
    pub fn new() -> Uri {
        Uri {
            flags: 0,
            scheme: None,
            userinfo: None,
            host: None,
            port: -1,
            path: None,
            query: None,
            fragment: None,
        }
    }

    /// Parses `s` (`URI` or `relative-ref`); `None` when it is not one.
    pub fn parse(s: &[u8], flags: u32) -> Option<Uri> {
        let mut uri = Uri {
            flags,
            ..Uri::new()
        };
        let mut rest = s;
        if let Some(colon) = s.iter().position(|&c| c == b':') {
            if scheme_ok(&s[..colon]) {
                uri.scheme = Some(s[..colon].to_vec());
                rest = &s[colon + 1..];
            }
        }
        if let Some(after) = rest.strip_prefix(b"//") {
            let end = after
                .iter()
                .position(|c| b"?#/".contains(c))
                .unwrap_or(after.len());
            parse_authority(&mut uri, &after[..end])?;
            rest = &after[end..];
        }
        let end = part_end(rest, Part::Path, flags);
        let path = &rest[..end];
        rest = &rest[end..];
        if let Some(after) = rest.strip_prefix(b"?") {
            let end = part_end(after, Part::Query, flags);
            uri.query = Some(after[..end].to_vec());
            rest = &after[end..];
        }
        if let Some(after) = rest.strip_prefix(b"#") {
            let end = part_end(after, Part::Fragment, flags);
            uri.fragment = Some(after[..end].to_vec());
            rest = &after[end..];
        }
        if !rest.is_empty() || (uri.scheme.is_none() && !noscheme_path_ok(path)) {
            return None;
        }
        uri.path = Some(path.to_vec());
        Some(uri)
    }

    /// A CONNECT request's target, `[userinfo@]host[:port]` up to the
    /// first `/`, `?` or `#`, with an empty path; `None` when the
    /// authority is malformed.
    pub fn parse_authority(s: &[u8]) -> Option<Uri> {
        let mut uri = Uri::new();
        let end = s.iter().position(|c| b"?#/".contains(c)).unwrap_or(s.len());
        parse_authority(&mut uri, &s[..end])?;
        uri.path = Some(Vec::new());
        Some(uri)
    }

    /// The URI as text; `None` when it has a host and a path that is
    /// neither empty nor absolute (they would run together).
    pub fn join(&self) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        if let Some(s) = &self.scheme {
            out.extend_from_slice(s);
            out.push(b':');
        }
        if let Some(h) = &self.host {
            out.extend_from_slice(b"//");
            if let Some(u) = &self.userinfo {
                out.extend_from_slice(u);
                out.push(b'@');
            }
            out.extend_from_slice(h);
            if self.port >= 0 {
                out.extend_from_slice(format!(":{}", self.port).as_bytes());
            }
            if self
                .path
                .as_ref()
                .is_some_and(|p| !p.is_empty() && p[0] != b'/')
            {
                return None;
            }
        }
        if let Some(p) = &self.path {
            out.extend_from_slice(p);
        }
        if let Some(q) = &self.query {
            out.push(b'?');
            out.extend_from_slice(q);
        }
        if let Some(f) = &self.fragment {
            out.push(b'#');
            out.extend_from_slice(f);
        }
        Some(out)
    }

    pub fn set_scheme(&mut self, v: Option<&[u8]>) -> Result<(), Invalid> {
        check(v, scheme_ok)?;
        self.scheme = v.map(<[u8]>::to_vec);
        Ok(())
    }

    pub fn set_userinfo(&mut self, v: Option<&[u8]>) -> Result<(), Invalid> {
        check(v, userinfo_ok)?;
        self.userinfo = v.map(<[u8]>::to_vec);
        Ok(())
    }

    pub fn set_host(&mut self, v: Option<&[u8]>) -> Result<(), Invalid> {
        check(v, host_ok)?;
        self.host = v.map(<[u8]>::to_vec);
        Ok(())
    }

    /// -1 removes the port; below that is refused. Nothing above 65535 is
    /// refused here (libevent takes any int).
    pub fn set_port(&mut self, port: i32) -> Result<(), Invalid> {
        if port < -1 {
            return Err(Invalid);
        }
        self.port = port;
        Ok(())
    }

    pub fn set_path(&mut self, v: Option<&[u8]>) -> Result<(), Invalid> {
        check(v, |s| part_end(s, Part::Path, self.flags) == s.len())?;
        self.path = v.map(<[u8]>::to_vec);
        Ok(())
    }

    pub fn set_query(&mut self, v: Option<&[u8]>) -> Result<(), Invalid> {
        check(v, |s| part_end(s, Part::Query, self.flags) == s.len())?;
        self.query = v.map(<[u8]>::to_vec);
        Ok(())
    }

    pub fn set_fragment(&mut self, v: Option<&[u8]>) -> Result<(), Invalid> {
        check(v, |s| part_end(s, Part::Fragment, self.flags) == s.len())?;
        self.fragment = v.map(<[u8]>::to_vec);
        Ok(())
    }
}

/// An empty URI, as [`Uri::new`] (no port is -1, not 0).
impl Default for Uri {
    fn default() -> Uri {
        Uri::new()
    }
}

/// `None` (clearing a part) is always allowed.
fn check(v: Option<&[u8]>, ok: impl Fn(&[u8]) -> bool) -> Result<(), Invalid> {
    match v {
        Some(s) if !ok(s) => Err(Invalid),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(s: &str, flags: u32) -> Option<[Option<String>; 6]> {
        let u = Uri::parse(s.as_bytes(), flags)?;
        let t = |p: &Option<Vec<u8>>| p.as_ref().map(|v| String::from_utf8_lossy(v).into_owned());
        let port = (u.port >= 0).then(|| u.port.to_string());
        Some([
            t(&u.scheme),
            t(&u.userinfo),
            t(&u.host),
            port,
            t(&u.path),
            t(&u.query),
        ])
    }

    fn s(v: &str) -> Option<String> {
        Some(v.into())
    }

    #[test]
    fn parses_full_uri() {
        assert_eq!(
            parts("http://u:p@example.com:8080/a/b?x=1&y#frag", 0),
            Some([
                s("http"),
                s("u:p"),
                s("example.com"),
                s("8080"),
                s("/a/b"),
                s("x=1&y")
            ])
        );
        let u = Uri::parse(b"http://h/#f?g", 0).unwrap();
        assert_eq!(u.fragment.as_deref(), Some(&b"f?g"[..]));
    }

    #[test]
    fn hosts_and_ports() {
        assert_eq!(parts("http://[::1]:80/", 0).unwrap()[2], s("[::1]"));
        assert!(parts("http://[::1/", 0).is_none());
        assert!(parts("http://[]/", 0).is_none());
        assert!(parts("http://[v1.x:y]/", 0).is_some());
        assert!(parts("http://[v.x]/", 0).is_none());
        assert!(parts("http://h:65536/", 0).is_none());
        assert_eq!(parts("http://h:65535", 0).unwrap()[3], s("65535"));
        assert_eq!(parts("http://h:/", 0).unwrap()[3], None);
        assert_eq!(parts("file:///x", 0).unwrap()[2], s(""));
        assert!(parts("http://a b/", 0).is_none());
    }

    #[test]
    fn relative_and_nonconformant() {
        assert_eq!(parts("/p?q", 0).unwrap()[4], s("/p"));
        assert!(parts("a:b/c", 0).is_some());
        assert!(parts("1a:b", 0).is_none());
        assert!(parts("/a b", 0).is_none());
        assert!(parts("/a#b#c", 0).is_none());
        assert_eq!(parts("/a b?c d#e#f", NONCONFORMANT).unwrap()[5], s("c d"));
    }

    #[test]
    fn joins_and_sets() {
        let mut u = Uri::new();
        assert_eq!(u.join(), Some(vec![]));
        u.set_scheme(Some(b"http")).unwrap();
        u.set_host(Some(b"[::1]")).unwrap();
        u.set_port(8080).unwrap();
        u.set_path(Some(b"/x")).unwrap();
        u.set_query(Some(b"a=b?c")).unwrap();
        assert_eq!(u.join().unwrap(), b"http://[::1]:8080/x?a=b?c");
        assert_eq!(u.set_path(Some(b"/a b")), Err(Invalid));
        assert_eq!(u.set_scheme(Some(b"1x")), Err(Invalid));
        assert_eq!(u.set_port(-2), Err(Invalid));
        u.set_path(Some(b"rel")).unwrap();
        assert_eq!(u.join(), None);
    }
}

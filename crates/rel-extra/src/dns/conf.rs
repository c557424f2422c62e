//! The text evdns reads: resolv.conf lines, hosts files, option values.

use std::net::{IpAddr, SocketAddr};

/// One resolv.conf line evdns acts on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Line {
    Nameserver(String),
    /// `domain D`: the search list becomes D alone.
    Domain(String),
    /// `search A B ...`: the search list becomes these, in this order.
    Search(Vec<String>),
    /// `options name[:value] ...`: each option with its value ("" without
    /// a colon).
    Options(Vec<(String, String)>),
}

fn tokens(line: &str) -> impl Iterator<Item = &str> {
    line.split([' ', '\t']).filter(|t| !t.is_empty())
}

/// The lines of a resolv.conf text that say something; a line is cut at
/// a NUL, as C strings are, and other lines are ignored.
pub fn parse_resolv_conf(text: &[u8]) -> Vec<Line> {
    let text = text.split(|&b| b == 0).next().unwrap_or_default();
    let text = String::from_utf8_lossy(text);
    let mut out = Vec::new();
    for line in text.split('\n') {
        let mut t = tokens(line);
        let Some(first) = t.next() else { continue };
        match first {
            "nameserver" => {
                if let Some(ns) = t.next() {
                    out.push(Line::Nameserver(ns.to_owned()));
                }
            }
            "domain" => {
                if let Some(d) = t.next() {
                    out.push(Line::Domain(d.to_owned()));
                }
            }
            "search" => out.push(Line::Search(t.map(str::to_owned).collect())),
            "options" => out.push(Line::Options(
                t.map(|o| match o.split_once(':') {
                    Some((_, v)) => (o.to_owned(), v.to_owned()),
                    None => (o.to_owned(), String::new()),
                })
                .collect(),
            )),
            _ => {}
        }
    }
    out
}

/// "1.2.3.4", "1.2.3.4:53", "::1", "[::1]" or "[::1]:53" (port 0 when
/// absent), as `evutil_parse_sockaddr_port` reads them.
pub fn parse_addr_port(text: &str) -> Option<SocketAddr> {
    if let Ok(a) = text.parse::<SocketAddr>() {
        return Some(a);
    }
    let bare = text
        .strip_prefix('[')
        .and_then(|t| t.strip_suffix(']'))
        .unwrap_or(text);
    bare.parse::<IpAddr>().ok().map(|ip| SocketAddr::new(ip, 0))
}

/// One hosts-file entry: a name and its address (port 0).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostEntry {
    pub addr: IpAddr,
    pub name: String,
}

/// The entries of one hosts line, appended to `out`. A line whose address
/// does not parse (or carries a port) gives nothing; a `#` ends the line.
pub fn parse_hosts_line(line: &str, out: &mut Vec<HostEntry>) {
    let mut t = tokens(line);
    let Some(addr) = t.next() else { return };
    if addr.starts_with('#') {
        return;
    }
    let Some(sa) = parse_addr_port(addr) else {
        return;
    };
    if sa.port() != 0 {
        return;
    }
    for name in t {
        let (name, comment) = match name.find('#') {
            Some(0) => return,
            Some(at) => (&name[..at], true),
            None => (name, false),
        };
        out.push(HostEntry {
            addr: sa.ip(),
            name: name.to_owned(),
        });
        if comment {
            return;
        }
    }
}

/// A hosts file's entries, in file order (a NUL ends the text).
pub fn parse_hosts(text: &[u8]) -> Vec<HostEntry> {
    let text = text.split(|&b| b == 0).next().unwrap_or_default();
    let text = String::from_utf8_lossy(text);
    let mut out = Vec::new();
    for line in text.split('\n') {
        parse_hosts_line(line, &mut out);
    }
    out
}

/// What evdns puts in the hosts table when there is no file to read.
pub fn default_hosts() -> Vec<HostEntry> {
    let mut out = Vec::new();
    parse_hosts_line("127.0.0.1   localhost", &mut out);
    parse_hosts_line("::1   localhost", &mut out);
    out
}

/// Whether option text `given` names option `name` (written "name:"):
/// "name", "name:" and "name:anything" do.
pub fn option_matches(given: &str, name: &str) -> bool {
    let bare = name.trim_end_matches(':');
    given == bare || given.starts_with(name)
}

/// An integer as C's strtol reads it with nothing after: leading blanks
/// and a sign allowed; -1 (evdns's "bad") for anything else. Values
/// outside `int` wrap as strtol's `long` does when cast.
pub fn strtoint(s: &str) -> i32 {
    let t = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    if digits.is_empty() {
        // strtol read nothing: the end pointer is the start, so the text
        // is "all read" only when it was empty.
        return if s.is_empty() { 0 } else { -1 };
    }
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return -1;
    }
    let mut v: i64 = 0;
    for b in digits.bytes() {
        v = v.saturating_mul(10).saturating_add(i64::from(b - b'0'));
    }
    let v = if neg { -v } else { v };
    v as i32
}

/// Seconds as a (non-negative, at least 1 ms) duration, as evdns reads
/// `timeout:` and friends; `None` if refused.
pub fn seconds(s: &str) -> Option<std::time::Duration> {
    let d: f64 = if s.is_empty() {
        0.0
    } else {
        s.trim_start().parse().ok()?
    };
    if d.is_nan() || d < 0.0 || !d.is_finite() {
        return None;
    }
    let secs = d.trunc() as i32;
    let usecs = ((d - f64::from(secs)) * 1_000_000.0) as i32;
    if secs == 0 && usecs < 1000 {
        return None;
    }
    Some(std::time::Duration::from_micros(
        secs as u64 * 1_000_000 + usecs as u64,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolv_conf_lines() {
        let text = b"# comment\nnameserver 127.0.0.1:5353\n\tdomain  example.com\nsearch a.test b.test\noptions ndots:3 timeout:0.5 rotate\nbogus line\nnameserver";
        assert_eq!(
            parse_resolv_conf(text),
            vec![
                Line::Nameserver("127.0.0.1:5353".into()),
                Line::Domain("example.com".into()),
                Line::Search(vec!["a.test".into(), "b.test".into()]),
                Line::Options(vec![
                    ("ndots:3".into(), "3".into()),
                    ("timeout:0.5".into(), "0.5".into()),
                    ("rotate".into(), "".into()),
                ]),
            ]
        );
    }

    #[test]
    fn hosts_lines() {
        let text = b"127.0.0.1 localhost lh # comment\n::1 ip6-localhost\n# all comment\n10.0.0.1 a#b c\n1.2.3.4:80 withport\nnot-an-ip x\n[::2] bracketed\n";
        let names: Vec<(String, String)> = parse_hosts(text)
            .into_iter()
            .map(|e| (e.addr.to_string(), e.name))
            .collect();
        assert_eq!(
            names,
            [
                ("127.0.0.1", "localhost"),
                ("127.0.0.1", "lh"),
                ("::1", "ip6-localhost"),
                ("10.0.0.1", "a"),
                ("::2", "bracketed"),
            ]
            .map(|(a, b)| (a.to_string(), b.to_string()))
        );
        assert_eq!(default_hosts().len(), 2);
    }

    #[test]
    fn option_names_and_values() {
        assert!(option_matches("ndots", "ndots:"));
        assert!(option_matches("ndots:", "ndots:"));
        assert!(option_matches("ndots:5", "ndots:"));
        assert!(!option_matches("ndot", "ndots:"));
        assert!(!option_matches("ndotsx", "ndots:"));
        assert_eq!(strtoint("12"), 12);
        assert_eq!(strtoint(" -3"), -3);
        assert_eq!(strtoint("1x"), -1);
        assert_eq!(strtoint("x"), -1);
        assert_eq!(seconds("0.5"), Some(std::time::Duration::from_millis(500)));
        assert_eq!(seconds("0.0001"), None);
        assert_eq!(seconds("-1"), None);
        assert_eq!(seconds("2s"), None);
    }
}

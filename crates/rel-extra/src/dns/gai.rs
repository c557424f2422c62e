//! getaddrinfo's part that needs no query (libevent answers these at
//! once, before looking at the hosts table or the network): hints, ports,
//! a missing host, numeric hosts; and the address entries an answer
//! becomes.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use super::{DNS_ERR_NONE, DNS_ERR_NOTEXIST};

pub const AF_UNSPEC: i32 = 0;
pub const AF_INET: i32 = 2;
pub const AF_INET6: i32 = 10;
pub const SOCK_STREAM: i32 = 1;
pub const SOCK_DGRAM: i32 = 2;
pub const IPPROTO_TCP: i32 = 6;
pub const IPPROTO_UDP: i32 = 17;
pub const IPPROTO_SCTP: i32 = 132;
pub const AI_PASSIVE: i32 = 1;
pub const AI_CANONNAME: i32 = 2;
pub const AI_NUMERICSERV: i32 = 0x400;
pub const AI_ADDRCONFIG: i32 = 0x20;

pub const EAI_NONAME: i32 = -2;
pub const EAI_AGAIN: i32 = -3;
pub const EAI_FAIL: i32 = -4;
pub const EAI_NODATA: i32 = -5;
pub const EAI_FAMILY: i32 = -6;
pub const EAI_MEMORY: i32 = -10;
pub const EAI_CANCEL: i32 = -90001;

/// The hint fields that matter.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Hints {
    pub flags: i32,
    pub family: i32,
    pub socktype: i32,
    pub protocol: i32,
}

/// One result: an address with its socket type and protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry {
    pub addr: SocketAddr,
    pub socktype: i32,
    pub protocol: i32,
}

/// What can be said without a query.
#[derive(Debug, PartialEq, Eq)]
pub enum Early {
    /// The answer (an `EVUTIL_EAI_*` code, 0 with entries).
    Answer(i32, Vec<Entry>),
    /// A name to resolve, for this port.
    Resolve(u16),
}

impl Hints {
    /// Fills a missing protocol from the socket type and back.
    fn infer(&mut self) {
        if self.protocol == 0 && self.socktype != 0 {
            match self.socktype {
                SOCK_DGRAM => self.protocol = IPPROTO_UDP,
                SOCK_STREAM => self.protocol = IPPROTO_TCP,
                _ => {}
            }
        }
        if self.socktype == 0 && self.protocol != 0 {
            match self.protocol {
                IPPROTO_UDP => self.socktype = SOCK_DGRAM,
                IPPROTO_TCP | IPPROTO_SCTP => self.socktype = SOCK_STREAM,
                _ => {}
            }
        }
    }

    /// The protocol name a service lookup uses.
    pub fn proto_name(&self) -> Option<&'static str> {
        match self.protocol {
            IPPROTO_TCP => Some("tcp"),
            IPPROTO_UDP => Some("udp"),
            IPPROTO_SCTP => Some("sctp"),
            _ => None,
        }
    }
}

/// The entries for one address: a TCP and a UDP one when the hints name
/// neither socket type nor protocol.
pub fn entries(addr: SocketAddr, hints: &Hints) -> Vec<Entry> {
    if hints.socktype == 0 && hints.protocol == 0 {
        return vec![
            Entry {
                addr,
                socktype: SOCK_STREAM,
                protocol: IPPROTO_TCP,
            },
            Entry {
                addr,
                socktype: SOCK_DGRAM,
                protocol: IPPROTO_UDP,
            },
        ];
    }
    vec![Entry {
        addr,
        socktype: hints.socktype,
        protocol: hints.protocol,
    }]
}

/// A decimal port 0..=65535 with nothing after it.
fn numeric_port(s: &str) -> Option<u16> {
    let t = s.trim_start();
    let digits = t.strip_prefix('+').unwrap_or(t);
    if s.is_empty() || digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits
        .parse::<u32>()
        .ok()
        .and_then(|n| u16::try_from(n).ok())
}

/// The early part of getaddrinfo. `hints` is adjusted in place (the
/// inferred protocol); `service` looks a service name up for a protocol.
/// `numeric_v6` parses an IPv6 literal with an optional scope.
pub fn early(
    node: Option<&str>,
    serv: Option<&str>,
    hints: &mut Hints,
    service: impl Fn(&str, Option<&str>) -> Option<u16>,
    numeric_v6: impl Fn(&str) -> Option<(Ipv6Addr, u32)>,
) -> Early {
    if node.is_none() && serv.is_none() {
        return Early::Answer(EAI_NONAME, Vec::new());
    }
    if ![AF_UNSPEC, AF_INET, AF_INET6].contains(&hints.family) {
        return Early::Answer(EAI_FAMILY, Vec::new());
    }
    hints.infer();
    let mut port = 0;
    if let Some(s) = serv {
        port = match numeric_port(s) {
            Some(p) => p,
            None if hints.flags & AI_NUMERICSERV == 0 => match service(s, hints.proto_name()) {
                Some(p) => p,
                None => return Early::Answer(EAI_NONAME, Vec::new()),
            },
            None => return Early::Answer(EAI_NONAME, Vec::new()),
        };
    }
    let Some(node) = node else {
        let passive = hints.flags & AI_PASSIVE != 0;
        let mut out = Vec::new();
        if hints.family != AF_INET6 {
            let ip = if passive {
                Ipv4Addr::UNSPECIFIED
            } else {
                Ipv4Addr::LOCALHOST
            };
            out.extend(entries(SocketAddr::new(IpAddr::V4(ip), port), hints));
        }
        if hints.family != AF_INET {
            let ip = if passive {
                Ipv6Addr::UNSPECIFIED
            } else {
                Ipv6Addr::LOCALHOST
            };
            out.extend(entries(SocketAddr::new(IpAddr::V6(ip), port), hints));
        }
        return Early::Answer(0, out);
    };
    if hints.family != AF_INET {
        if let Some((ip, scope)) = numeric_v6(node) {
            let addr = SocketAddr::V6(std::net::SocketAddrV6::new(ip, port, 0, scope));
            return Early::Answer(0, entries(addr, hints));
        }
    }
    if hints.family != AF_INET6 {
        if let Some(ip) = rel_core::inet::parse_ipv4(node.as_bytes()) {
            let addr = SocketAddr::new(IpAddr::V4(Ipv4Addr::from(ip)), port);
            return Early::Answer(0, entries(addr, hints));
        }
    }
    Early::Resolve(port)
}

/// Whether an interface address says nothing about reaching others:
/// unspecified, loopback, link-local, multicast (and, for IPv6, unique
/// local and site-local), as libevent judges them.
pub fn is_local(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(a) => {
            let o = a.octets();
            a.is_unspecified() || o[0] == 127 || (o[0] == 169 && o[1] == 254) || o[0] >> 4 == 14
        }
        IpAddr::V6(a) => {
            let o = a.octets();
            o[..8].iter().all(|&b| b == 0)
                || o[0] & 0xfe == 0xfc
                || (o[0] == 0xfe && o[1] & 0xc0 == 0x80)
                || (o[0] == 0xfe && o[1] & 0xc0 == 0xc0)
                || o[0] == 0xff
        }
    }
}

/// `AI_ADDRCONFIG` with an unspecified family: only the family this host
/// has (non-local) addresses of, when it has just one of them.
pub fn adjust_for_addrconfig(hints: &mut Hints, interfaces: &[IpAddr]) {
    if hints.flags & AI_ADDRCONFIG == 0 || hints.family != AF_UNSPEC {
        return;
    }
    let v4 = interfaces.iter().any(|a| a.is_ipv4() && !is_local(*a));
    let v6 = interfaces.iter().any(|a| a.is_ipv6() && !is_local(*a));
    match (v4, v6) {
        (true, false) => hints.family = AF_INET,
        (false, true) => hints.family = AF_INET6,
        _ => {}
    }
}

/// The getaddrinfo error for a resolver error.
pub fn eai_of(dns_err: i32) -> i32 {
    match dns_err {
        DNS_ERR_NONE => 0,
        DNS_ERR_NOTEXIST => EAI_NONAME,
        _ => EAI_FAIL,
    }
}

/// Hosts-table entries for a name as getaddrinfo gives them: `None` when
/// the name is not there; entries of the other family are left out (an
/// empty answer, as evdns gives). As in libevent, only the first entry
/// made for an address carries the port: with indecisive hints the UDP
/// twin keeps port 0.
pub fn from_hosts(addrs: &[IpAddr], port: u16, hints: &Hints) -> Option<Vec<Entry>> {
    if addrs.is_empty() {
        return None;
    }
    let mut out = Vec::new();
    for ip in addrs {
        let skip = match ip {
            IpAddr::V4(_) => hints.family == AF_INET6,
            IpAddr::V6(_) => hints.family == AF_INET,
        };
        if !skip {
            let mut made = entries(SocketAddr::new(*ip, 0), hints);
            made[0].addr.set_port(port);
            out.extend(made);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v6(s: &str) -> Option<(Ipv6Addr, u32)> {
        s.parse().ok().map(|a| (a, 0))
    }

    fn none(_: &str, _: Option<&str>) -> Option<u16> {
        None
    }

    #[test]
    fn numeric_hosts_are_answered_at_once() {
        let mut h = Hints::default();
        let Early::Answer(0, e) = early(Some("127.0.0.1"), Some("80"), &mut h, none, v6) else {
            panic!("not answered");
        };
        assert_eq!(e.len(), 2, "TCP and UDP for indecisive hints");
        assert_eq!(e[0].addr, "127.0.0.1:80".parse().unwrap());
        let mut h = Hints {
            socktype: SOCK_STREAM,
            ..Hints::default()
        };
        let Early::Answer(0, e) = early(Some("::1"), None, &mut h, none, v6) else {
            panic!("not answered");
        };
        assert_eq!(
            e,
            vec![Entry {
                addr: "[::1]:0".parse().unwrap(),
                socktype: SOCK_STREAM,
                protocol: IPPROTO_TCP
            }]
        );
        let mut h = Hints {
            family: AF_INET6,
            ..Hints::default()
        };
        assert_eq!(
            early(Some("1.2.3.4"), None, &mut h, none, v6),
            Early::Resolve(0)
        );
    }

    #[test]
    fn errors_and_names() {
        let mut h = Hints::default();
        assert_eq!(
            early(None, None, &mut h, none, v6),
            Early::Answer(EAI_NONAME, vec![])
        );
        assert_eq!(
            early(Some("x"), Some("nope"), &mut h, none, v6),
            Early::Answer(EAI_NONAME, vec![])
        );
        let mut f = Hints {
            family: 99,
            ..Hints::default()
        };
        assert_eq!(
            early(Some("x"), None, &mut f, none, v6),
            Early::Answer(EAI_FAMILY, vec![])
        );
        assert_eq!(
            early(Some("host.test"), Some("8080"), &mut h, none, v6),
            Early::Resolve(8080)
        );
        let http = |s: &str, _: Option<&str>| (s == "http").then_some(80);
        assert_eq!(
            early(Some("a.test"), Some("http"), &mut h, http, v6),
            Early::Resolve(80)
        );
        let Early::Answer(0, e) = early(None, Some("1"), &mut h, none, v6) else {
            panic!()
        };
        assert_eq!(e.len(), 4);
        assert_eq!(e[0].addr, "127.0.0.1:1".parse().unwrap());
    }

    #[test]
    fn addrconfig_picks_the_family_present() {
        let ips = |v: &[&str]| {
            v.iter()
                .map(|s| s.parse().unwrap())
                .collect::<Vec<IpAddr>>()
        };
        let mut h = Hints {
            flags: AI_ADDRCONFIG,
            ..Hints::default()
        };
        adjust_for_addrconfig(&mut h, &ips(&["127.0.0.1", "::1", "fe80::1", "192.0.2.5"]));
        assert_eq!(h.family, AF_INET);
        let mut h = Hints {
            flags: AI_ADDRCONFIG,
            ..Hints::default()
        };
        adjust_for_addrconfig(&mut h, &ips(&["127.0.0.1", "2001:db8::1"]));
        assert_eq!(h.family, AF_INET6);
        let mut h = Hints {
            flags: AI_ADDRCONFIG,
            ..Hints::default()
        };
        adjust_for_addrconfig(
            &mut h,
            &ips(&["127.0.0.1", "::1", "169.254.0.1", "fd00::1"]),
        );
        assert_eq!(h.family, AF_UNSPEC, "nothing but local addresses");
        let mut h = Hints::default();
        adjust_for_addrconfig(&mut h, &ips(&["192.0.2.5"]));
        assert_eq!(h.family, AF_UNSPEC, "no AI_ADDRCONFIG");
    }

    #[test]
    fn hosts_answers() {
        let addrs: Vec<IpAddr> = vec!["10.0.0.1".parse().unwrap(), "::5".parse().unwrap()];
        let h = Hints {
            family: AF_INET,
            socktype: SOCK_STREAM,
            protocol: IPPROTO_TCP,
            flags: 0,
        };
        let e = from_hosts(&addrs, 7, &h).unwrap();
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].addr, "10.0.0.1:7".parse().unwrap());
        assert_eq!(from_hosts(&[], 7, &h), None);
        let h6 = Hints {
            family: AF_INET6,
            ..h
        };
        assert_eq!(from_hosts(&addrs[..1], 7, &h6), Some(vec![]));
    }
}

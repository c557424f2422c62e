//! Address texts as libevent 2.1 (as Debian builds it) reads them in
//! `evutil_inet_pton` (and so in a URI's `[...]` host): its own parser, not
//! the C library's. It is laxer than RFC 4291 and inet_pton(3): a dotted
//! quad with leading zeros, signs or spaces (`scanf`'s `%d`/`%u`), a hex
//! group written `0x1` (`strtol`'s base 16), a trailing `:` after a
//! compressed address.

/// `isspace` in the C locale.
fn c_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// One `%u` conversion from `s[*i..]`: leading space, an optional sign,
/// decimal digits; the value as an `unsigned int` gets it.
fn scan_u(s: &[u8], i: &mut usize) -> Option<u32> {
    while s.get(*i).copied().is_some_and(c_space) {
        *i += 1;
    }
    let neg = match s.get(*i) {
        Some(b'-') => true,
        Some(b'+') => false,
        _ => {
            return scan_digits(s, i).map(|v| v as u32);
        }
    };
    *i += 1;
    let v = scan_digits(s, i)?;
    // An unsigned long out of range is ULONG_MAX whatever the sign.
    Some(if v == u64::MAX {
        v
    } else if neg {
        v.wrapping_neg()
    } else {
        v
    } as u32)
}

/// Decimal digits as strtoul reads them (saturating at u64::MAX).
fn scan_digits(s: &[u8], i: &mut usize) -> Option<u64> {
    let start = *i;
    let mut v: u64 = 0;
    while let Some(d) = s.get(*i).filter(|c| c.is_ascii_digit()) {
        v = v
            .checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(d - b'0')))
            .unwrap_or(u64::MAX);
        *i += 1;
    }
    (*i > start).then_some(v)
}

/// `%u.%u.%u.%u` and nothing after, each part at most 255.
fn dotted_quad(s: &[u8]) -> Option<[u8; 4]> {
    quad(s, |s, i| scan_u(s, i).map(i64::from))
}

/// Four parts read by `scan`, joined by dots, each 0..=255, nothing after.
fn quad(s: &[u8], scan: impl Fn(&[u8], &mut usize) -> Option<i64>) -> Option<[u8; 4]> {
    let mut i = 0;
    let mut out = [0u8; 4];
    for (n, byte) in out.iter_mut().enumerate() {
        if n > 0 {
            if s.get(i) != Some(&b'.') {
                return None;
            }
            i += 1;
        }
        *byte = u8::try_from(scan(s, &mut i)?).ok()?;
    }
    (i == s.len()).then_some(out)
}

/// An IPv4 address as libevent reads it: `sscanf("%d.%d.%d.%d%c")`, so
/// space and a sign may precede each part, leading zeros are decimal, and
/// nothing may follow.
pub fn parse_ipv4(s: &[u8]) -> Option<[u8; 4]> {
    quad(s, scan_d)
}

/// One `%d` conversion: leading space, an optional sign, decimal digits.
/// Out-of-range values come back negative or large, and are refused.
fn scan_d(s: &[u8], i: &mut usize) -> Option<i64> {
    while s.get(*i).copied().is_some_and(c_space) {
        *i += 1;
    }
    let neg = match s.get(*i) {
        Some(b'-') => {
            *i += 1;
            true
        }
        Some(b'+') => {
            *i += 1;
            false
        }
        _ => false,
    };
    let v = scan_digits(s, i)?.min(i64::MAX as u64) as i64;
    Some(if neg { -v } else { v })
}

/// The length of the hex number strtol(base 16) reads at `s` (which
/// starts with a hex digit), a `0x` prefix included.
fn hex_len(s: &[u8]) -> usize {
    let digits = |from: usize| {
        s[from..]
            .iter()
            .take_while(|c| c.is_ascii_hexdigit())
            .count()
    };
    if s.len() > 2 && s[0] == b'0' && matches!(s[1], b'x' | b'X') && s[2].is_ascii_hexdigit() {
        2 + digits(2)
    } else {
        digits(0)
    }
}

/// The value of the hex group of `n` characters at `s` (a `0x` prefix
/// included), as `strtol` reads it.
fn hex_value(s: &[u8]) -> u32 {
    let digits = match s {
        [b'0', b'x' | b'X', rest @ ..] if rest.first().is_some_and(u8::is_ascii_hexdigit) => rest,
        _ => s,
    };
    digits
        .iter()
        .take_while(|c| c.is_ascii_hexdigit())
        .fold(0, |v, &c| v * 16 + (c as char).to_digit(16).unwrap_or(0))
}

/// An IPv6 address as libevent's `evutil_inet_pton` reads it.
pub fn parse_ipv6(s: &[u8]) -> Option<[u8; 16]> {
    let mut words = [0u16; 8];
    // An embedded IPv4 address is the digits before the first '.' onwards.
    let dot = s.iter().position(|&c| c == b'.');
    let eow = match dot {
        Some(0) => return None,
        None => s.len(),
        Some(d) => {
            let e = d - s[..d]
                .iter()
                .rev()
                .take_while(|c| c.is_ascii_digit())
                .count();
            let q = dotted_quad(&s[e..])?;
            words[6] = u16::from_be_bytes([q[0], q[1]]);
            words[7] = u16::from_be_bytes([q[2], q[3]]);
            e
        }
    };
    let mut set = if dot.is_some() { 2 } else { 0 };
    let (mut i, mut n_words, mut gap) = (0, 0, None);
    while i < eow {
        if n_words > 7 {
            return None;
        }
        if s[i].is_ascii_hexdigit() {
            let n = hex_len(&s[i..]);
            if n > 4 {
                return None;
            }
            // (four hex digits at most, so the value fits, as libevent's
            // range check lets it)
            words[n_words] = hex_value(&s[i..i + n]) as u16;
            n_words += 1;
            set += 1;
            i += n;
            if i != eow && s.get(i) != Some(&b':') {
                return None;
            }
            i += 1;
        } else if s[i] == b':' && n_words > 0 && gap.is_none() {
            gap = Some(n_words);
            i += 1;
        } else if s[i] == b':' && n_words == 0 && s.get(i + 1) == Some(&b':') && gap.is_none() {
            gap = Some(n_words);
            i += 2;
        } else {
            return None;
        }
    }
    match (set, gap) {
        (8, None) => {}
        (s, Some(at)) if s < 8 => {
            // The words after the gap move to the end; zeros fill it.
            let after = n_words - at;
            let len = 8 - set;
            words.copy_within(at..at + after, at + len);
            words[at..at + len].fill(0);
        }
        _ => return None,
    }
    let mut out = [0u8; 16];
    for (k, w) in words.iter().enumerate() {
        out[2 * k..2 * k + 2].copy_from_slice(&w.to_be_bytes());
    }
    Some(out)
}

/// Whether `s` is an IPv6 address to libevent's `evutil_inet_pton`.
pub fn ipv6_ok(s: &[u8]) -> bool {
    parse_ipv6(s).is_some()
}

#[cfg(test)]
mod tests {
    use super::{ipv6_ok, parse_ipv4, parse_ipv6};

    #[test]
    fn bytes_as_libevent_writes_them() {
        let v6 = |s: &str| parse_ipv6(s.as_bytes()).map(std::net::Ipv6Addr::from);
        assert_eq!(v6("::1"), Some("::1".parse().unwrap()));
        assert_eq!(v6("1::2:"), Some("1::2".parse().unwrap()));
        assert_eq!(v6("::0x12"), Some("::12".parse().unwrap()));
        assert_eq!(
            v6("::ffff:01.2.3.4"),
            Some("::ffff:1.2.3.4".parse().unwrap())
        );
        assert_eq!(
            v6("1:2:3:4:5:6:7:8"),
            Some("1:2:3:4:5:6:7:8".parse().unwrap())
        );
        assert_eq!(v6("1:2::7:8"), Some("1:2::7:8".parse().unwrap()));
        assert_eq!(
            v6("1::2:3:4:5:6:7"),
            Some("1:0:2:3:4:5:6:7".parse().unwrap())
        );
        let v4 = |s: &str| parse_ipv4(s.as_bytes());
        assert_eq!(v4("1.2.3.4"), Some([1, 2, 3, 4]));
        assert_eq!(v4("01.2.3.4"), Some([1, 2, 3, 4]));
        assert_eq!(v4(" 1.2.3.4"), Some([1, 2, 3, 4]));
        assert_eq!(v4("1. +2.3.4"), Some([1, 2, 3, 4]));
        assert_eq!(v4("-0.2.3.4"), Some([0, 2, 3, 4]));
        assert_eq!(v4("1.2.3.4 "), None);
        assert_eq!(v4("1.2.3"), None);
        assert_eq!(v4("256.2.3.4"), None);
        assert_eq!(v4("-1.2.3.4"), None);
        assert_eq!(v4("1.2.3.4.5"), None);
    }

    #[test]
    fn as_debian_libevent() {
        let yes = [
            "::",
            "::1",
            "1::",
            "1::2",
            "1::2:",
            "0000::1",
            "ABCD::abcd",
            "1:2:3:4:5:6:7:8",
            "1::2:3:4:5:6:7",
            "1:2:3:4:5:6:7::",
            "::1:2:3:4:5:6:7",
            "::ffff:01.2.3.4",
            "::1.2.3.+4",
            "::1. 2.3.4",
            "::4294967297.1.1.1",
            "1:2:3:4:5:6:1.2.3.4",
            "::0x12",
        ];
        let no = [
            "",
            ":::",
            ":1",
            "1:",
            "1:::",
            "00000::1",
            "::ffff:1.2.3.4:",
            "1::2:3:4:5:6:7:8",
            "1.2.3.4::",
            "::1.2.3",
            "::G",
            ":: ",
            "::1.2.3.4a",
            "::+1.2.3.4",
            "::1::",
            ":1::2",
            "1:2:3:4:5:6:7:8::",
            "::256.1.1.1",
            "1:2:3:4:5:6:7:1.2.3.4",
            "::-1.2.3.4",
            "::-0.1.2.3",
            "::0x123",
            "1.2.3.4",
            "::.1.2.3",
            "1:2:3:4:5:6:7:8:9",
        ];
        for y in yes {
            assert!(ipv6_ok(y.as_bytes()), "{y}");
        }
        for n in no {
            assert!(!ipv6_ok(n.as_bytes()), "{n}");
        }
    }
}

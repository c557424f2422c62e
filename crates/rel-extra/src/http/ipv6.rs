//! Which texts libevent 2.1 (as Debian builds it) takes for an IPv6
//! address in a URI's `[...]`: its own parser, not the C library's. It is
//! laxer than RFC 4291 in ways URIs can show: a dotted quad with leading
//! zeros, signs or spaces (`scanf`'s `%u`), a hex group written `0x1`
//! (`strtol`'s base 16), a trailing `:` after a compressed address.

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
fn dotted_quad_ok(s: &[u8]) -> bool {
    let mut i = 0;
    for n in 0..4 {
        if n > 0 {
            if s.get(i) != Some(&b'.') {
                return false;
            }
            i += 1;
        }
        match scan_u(s, &mut i) {
            Some(v) if v <= 255 => {}
            _ => return false,
        }
    }
    i == s.len()
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

/// Whether `s` is an IPv6 address to libevent's `evutil_inet_pton`.
pub fn ipv6_ok(s: &[u8]) -> bool {
    // An embedded IPv4 address is the digits before the first '.' onwards.
    let dot = s.iter().position(|&c| c == b'.');
    let eow = match dot {
        Some(0) => return false,
        None => s.len(),
        Some(d) => {
            let e = d - s[..d]
                .iter()
                .rev()
                .take_while(|c| c.is_ascii_digit())
                .count();
            if !dotted_quad_ok(&s[e..]) {
                return false;
            }
            e
        }
    };
    let mut set = if dot.is_some() { 2 } else { 0 };
    let (mut i, mut words, mut gap) = (0, 0, false);
    while i < eow {
        if words > 7 {
            return false;
        }
        if s[i].is_ascii_hexdigit() {
            let n = hex_len(&s[i..]);
            if n > 4 {
                return false;
            }
            words += 1;
            set += 1;
            i += n;
            if i != eow && s.get(i) != Some(&b':') {
                return false;
            }
            i += 1;
        } else if s[i] == b':' && words > 0 && !gap {
            gap = true;
            i += 1;
        } else if s[i] == b':' && words == 0 && s.get(i + 1) == Some(&b':') && !gap {
            gap = true;
            i += 2;
        } else {
            return false;
        }
    }
    match set {
        8 => !gap,
        s if s < 8 => gap,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::ipv6_ok;

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

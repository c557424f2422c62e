//! Percent-encoding and HTML escaping as evhttp does them.

/// RFC 3986's unreserved characters: ALPHA, DIGIT, `-`, `.`, `_`, `~`.
pub fn is_unreserved(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'~')
}

/// RFC 3986's sub-delims.
pub fn is_subdelim(c: u8) -> bool {
    b"!$&'()*+,;=".contains(&c)
}

/// Percent-encodes every byte that is not unreserved, in upper-case hex;
/// with `space_as_plus` a space becomes `+` instead of `%20`.
pub fn encode(s: &[u8], space_as_plus: bool) -> Vec<u8> {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = Vec::with_capacity(s.len());
    for &c in s {
        if is_unreserved(c) {
            out.push(c);
        } else if c == b' ' && space_as_plus {
            out.push(b'+');
        } else {
            out.extend_from_slice(&[b'%', HEX[usize::from(c >> 4)], HEX[usize::from(c & 15)]]);
        }
    }
    out
}

/// When `+` decodes to a space.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Plus {
    /// Never: `+` stays.
    Keep,
    /// Everywhere.
    Space,
    /// Only after the first `?` (the deprecated `evhttp_decode_uri`).
    AfterQuery,
}

/// Decodes `%XX` (either case) and, per `plus`, `+`. A `%` not followed
/// by two hex digits stays as it is. The result may hold NUL bytes.
pub fn decode(s: &[u8], plus: Plus) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut spaces = plus == Plus::Space;
    let mut i = 0;
    while i < s.len() {
        let c = s[i];
        match c {
            b'?' if plus == Plus::AfterQuery => spaces = true,
            b'+' if spaces => {
                out.push(b' ');
                i += 1;
                continue;
            }
            b'%' => {
                if let (Some(h), Some(l)) = (hex_at(s, i + 1), hex_at(s, i + 2)) {
                    out.push(h << 4 | l);
                    i += 3;
                    continue;
                }
            }
            _ => {}
        }
        out.push(c);
        i += 1;
    }
    out
}

fn hex_at(s: &[u8], i: usize) -> Option<u8> {
    s.get(i)
        .and_then(|&c| (c as char).to_digit(16))
        .map(|d| d as u8)
}

/// Replaces `<`, `>`, `"`, `'` and `&` with their HTML entities.
pub fn html_escape(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    for &c in s {
        match c {
            b'<' => out.extend_from_slice(b"&lt;"),
            b'>' => out.extend_from_slice(b"&gt;"),
            b'"' => out.extend_from_slice(b"&quot;"),
            b'\'' => out.extend_from_slice(b"&#039;"),
            b'&' => out.extend_from_slice(b"&amp;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_all_but_unreserved() {
        assert_eq!(encode(b"a b/~\xff", false), b"a%20b%2F~%FF");
        assert_eq!(encode(b"a b+", true), b"a+b%2B");
        assert_eq!(encode(b"", true), b"");
    }

    #[test]
    fn decodes_percent_and_plus() {
        assert_eq!(decode(b"a+b?c+d%41%4", Plus::AfterQuery), b"a+b?c dA%4");
        assert_eq!(decode(b"%7e%7E+%zz%", Plus::Space), b"~~ %zz%");
        assert_eq!(decode(b"a+%00", Plus::Keep), b"a+\0");
    }

    #[test]
    fn escapes_html() {
        assert_eq!(
            html_escape(b"<a href='x'>&\""),
            b"&lt;a href=&#039;x&#039;&gt;&amp;&quot;"
        );
    }
}

//! The rules for header lists (`struct evkeyvalq`): which names and
//! values `evhttp_add_header` stores. (Names match without regard to
//! ASCII case: librel's `evkeyvalq::find_name`.)

/// A header name or value may not hold CR or LF (it would split the
/// header). Debian's libevent 2.1.12 (2.1.12-stable-8+deb12u1) refuses
/// them even as folding (CR/LF then a space), which upstream 2.1.12
/// allowed in values; librel matches Debian's.
pub fn text_ok(text: &[u8]) -> bool {
    !text.iter().any(|&c| c == b'\r' || c == b'\n')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_values() {
        assert!(text_ok(b"X-Test: \t\x01\x7f\xff"));
        assert!(text_ok(b""));
        assert!(!text_ok(b"X\r"));
        assert!(!text_ok(b"\nX"));
        assert!(!text_ok(b"a\r\n b"));
    }
}

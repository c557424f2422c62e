//! The rules for header lists (`struct evkeyvalq`): which names and
//! values `evhttp_add_header` stores, and how names match.

/// A name may not hold CR or LF (it would split the header).
pub fn name_ok(name: &[u8]) -> bool {
    !name.iter().any(|&c| c == b'\r' || c == b'\n')
}

/// A value may hold line breaks only as folding: every run of CR/LF must
/// be followed by a space or a tab (so never at the end).
pub fn value_ok(value: &[u8]) -> bool {
    let mut i = 0;
    while i < value.len() {
        if matches!(value[i], b'\r' | b'\n') {
            while i < value.len() && matches!(value[i], b'\r' | b'\n') {
                i += 1;
            }
            if !matches!(value.get(i), Some(b' ' | b'\t')) {
                return false;
            }
        }
        i += 1;
    }
    true
}

/// Header names match without regard to ASCII case.
pub fn same_name(a: &[u8], b: &[u8]) -> bool {
    a.eq_ignore_ascii_case(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_values() {
        assert!(name_ok(b"X-Test"));
        assert!(!name_ok(b"X\r"));
        assert!(!name_ok(b"\nX"));
        assert!(value_ok(b"a\r\n b\n\tc"));
        assert!(!value_ok(b"a\r\n"));
        assert!(!value_ok(b"a\rb"));
        assert!(value_ok(b""));
        assert!(same_name(b"Content-Type", b"content-TYPE"));
        assert!(!same_name(b"a", b"ab"));
    }
}

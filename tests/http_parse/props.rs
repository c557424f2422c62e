//! Properties of evhttp's message parser (rel-extra `http::message`) on
//! arbitrary bytes, shared by the `http_parse` fuzz target and `cargo
//! test --test http_parse`: no input panics, a complete head stays
//! within the size limit and re-parses to the same fields once
//! written out again, and a chunked body decodes to what was encoded.

use rel_extra::http::message::{self as msg, HeadError};

/// A limit for the head taken from the input's first byte.
fn limit(data: &[u8]) -> usize {
    match data.first() {
        Some(&b) if b < 128 => 16 + usize::from(b) * 4,
        _ => usize::MAX,
    }
}

pub fn check(data: &[u8]) {
    let body = data.get(1..).unwrap_or_default();
    let max = limit(data);
    // The first line, read as a request and as a response.
    if let Some((line, used)) = msg::split_line(body) {
        assert!(used <= body.len() && line.len() < used);
        if let Some(r) = msg::parse_request_line(line) {
            assert!(!r.target.contains(&0));
            assert!(r.major <= 1);
            assert_eq!(
                r.method,
                msg::method_from_name(line.split(|&c| c == b' ').next().unwrap())
            );
        }
        if let Some(s) = msg::parse_status_line(line) {
            assert_ne!(s.code, 0);
        }
        // The rest as a head.
        match msg::parse_headers(&body[used..], line.len(), max) {
            Ok(Some(head)) => {
                assert!(head.used <= body.len() - used);
                let mut again = Vec::new();
                for (k, v) in &head.headers {
                    again.extend_from_slice(k);
                    again.extend_from_slice(b": ");
                    again.extend_from_slice(v);
                    again.extend_from_slice(b"\r\n");
                }
                again.extend_from_slice(b"\r\n");
                // A continuation line is taken as is (a lone CR included,
                // as evhttp takes it); such a value cannot be written back.
                let writable = head.headers.iter().all(|(_, v)| !v.contains(&b'\r'));
                let re = match msg::parse_headers(&again, 0, usize::MAX) {
                    Ok(Some(re)) => re,
                    other => {
                        assert!(!writable, "a written head re-parses: {other:?}");
                        return;
                    }
                };
                assert_eq!(re.headers.len(), head.headers.len());
                for ((k1, v1), (k2, v2)) in head.headers.iter().zip(&re.headers) {
                    assert_eq!(k1, k2);
                    // Folding may leave blanks at either end (an empty
                    // value folded, an empty continuation): re-reading
                    // trims them.
                    let lead = v1.iter().take_while(|&&c| c == b' ').count();
                    let v1 = &v1[lead..];
                    let trail = v1
                        .iter()
                        .rev()
                        .take_while(|&&c| matches!(c, b' ' | b'\t'))
                        .count();
                    assert_eq!(&v1[..v1.len() - trail], v2.as_slice(), "{k1:?}");
                }
                let te = msg::find(&head.headers, b"Transfer-Encoding");
                let cl = msg::find(&head.headers, b"Content-Length");
                let conn = msg::find(&head.headers, b"Connection");
                if let Some(msg::Framing::Chunked) = msg::framing(te, cl, conn) {
                    let rest = &body[used + head.used..];
                    let _ = msg::decode_chunked(rest, max as u64);
                }
            }
            Ok(None) => {}
            Err(HeadError::TooLong) => assert!(max != usize::MAX),
            Err(HeadError::Bad) => {}
        }
    }
    // Chunk framing round trip: the input cut into chunks by its own bytes.
    let mut encoded = Vec::new();
    let mut plain = Vec::new();
    let mut rest = body;
    while let Some((&n, tail)) = rest.split_first() {
        let n = usize::from(n % 17).min(tail.len());
        if n == 0 {
            rest = tail;
            continue;
        }
        encoded.extend_from_slice(format!("{n:x}\r\n").as_bytes());
        encoded.extend_from_slice(&tail[..n]);
        encoded.extend_from_slice(b"\r\n");
        plain.extend_from_slice(&tail[..n]);
        rest = &tail[n..];
    }
    encoded.extend_from_slice(b"0\r\n\r\n");
    let (decoded, used) = msg::decode_chunked(&encoded, u64::MAX)
        .expect("well-formed chunks")
        .expect("complete");
    assert_eq!(decoded, plain);
    assert_eq!(used, encoded.len() - 2);
    // Any prefix is incomplete or the whole.
    let cut = usize::from(data.first().copied().unwrap_or(0)) % (encoded.len() + 1);
    if let Ok(Some((d, _))) = msg::decode_chunked(&encoded[..cut], u64::MAX) {
        assert_eq!(d, plain);
    }
}

use super::*;

#[test]
fn request_lines() {
    let r = parse_request_line(b"GET /a?b=c HTTP/1.1").unwrap();
    assert_eq!((r.method, r.major, r.minor), (method::GET, 1, 1));
    assert_eq!(r.target, b"/a?b=c");
    assert_eq!(r.uri.query.as_deref(), Some(&b"b=c"[..]));
    // trailing spaces, spaces inside the target, unknown and lowercase methods
    assert_eq!(
        parse_request_line(b"GET / HTTP/1.0   ").unwrap().target,
        b"/"
    );
    assert_eq!(
        parse_request_line(b"GET /a b HTTP/1.0").unwrap().target,
        b"/a b"
    );
    assert_eq!(
        parse_request_line(b"get / HTTP/1.0").unwrap().method,
        method::UNKNOWN
    );
    assert_eq!(
        parse_request_line(b"FOO / HTTP/1.1").unwrap().method,
        method::UNKNOWN
    );
    assert!(parse_request_line(b"GET / HTTP/2.0").is_none());
    assert!(parse_request_line(b"GET / HTTP/1.1x").is_none());
    assert!(parse_request_line(b"GET /").is_none());
    assert!(parse_request_line(b"GET  HTTP/1.1 x").is_none());
    assert!(parse_request_line(b"GETxxxxxxxxxxxxxx").is_none());
    let c = parse_request_line(b"CONNECT example.com:443 HTTP/1.1").unwrap();
    assert_eq!(c.uri.port, 443);
    assert_eq!(c.uri.path.as_deref(), Some(&b""[..]));
}

#[test]
fn status_lines() {
    let s = parse_status_line(b"HTTP/1.1 200 OK fine").unwrap();
    assert_eq!((s.code, s.reason.as_slice()), (200, &b"OK fine"[..]));
    assert_eq!(parse_status_line(b"HTTP/1.0 404").unwrap().reason, b"");
    assert!(parse_status_line(b"HTTP/1.0").is_none());
    assert!(parse_status_line(b"HTTP/1.0 abc").is_none());
    assert!(parse_status_line(b"ICY 200 OK").is_none());
}

#[test]
fn header_lines_and_folding() {
    assert_eq!(parse_header_line(b""), HeaderLine::End);
    assert_eq!(
        parse_header_line(b"A:  b \t"),
        HeaderLine::Field(b"A", b"b")
    );
    assert_eq!(parse_header_line(b"A:"), HeaderLine::Field(b"A", b""));
    assert_eq!(parse_header_line(b" \tmore "), HeaderLine::Fold(b"more"));
    assert_eq!(parse_header_line(b"nocolon"), HeaderLine::Bad);
    let h = parse_headers(b"A: 1\r\n  2\nB: x\r\n\r\nbody", 0, usize::MAX)
        .unwrap()
        .unwrap();
    assert_eq!(
        h.headers,
        vec![
            (b"A".to_vec(), b"1 2".to_vec()),
            (b"B".to_vec(), b"x".to_vec())
        ]
    );
    assert_eq!(h.used, 18);
    assert_eq!(
        parse_headers(b" fold first\r\n\r\n", 0, 100),
        Err(HeadError::Bad)
    );
    assert_eq!(parse_headers(b"A: 1\r\n", 0, 100), Ok(None));
    assert_eq!(
        parse_headers(b"A: 1234567890\r\n", 0, 5),
        Err(HeadError::TooLong)
    );
    assert_eq!(
        parse_headers(b"A: 1234567890", 0, 5),
        Err(HeadError::TooLong)
    );
}

#[test]
fn body_framing() {
    assert_eq!(
        framing(Some(b"Chunked"), Some(b"5"), None),
        Some(Framing::Chunked)
    );
    assert_eq!(framing(None, Some(b"12"), None), Some(Framing::Length(12)));
    assert_eq!(
        framing(None, Some(b" +12"), None),
        Some(Framing::Length(12))
    );
    assert_eq!(framing(None, Some(b"-1"), None), None);
    assert_eq!(framing(None, Some(b"12x"), None), None);
    assert_eq!(framing(None, Some(b""), None), None);
    assert_eq!(framing(None, None, None), Some(Framing::ToClose));
    assert_eq!(
        framing(None, None, Some(b"keep-alive")),
        Some(Framing::Length(0))
    );
    assert_eq!(framing(None, None, Some(b"CLOSE")), Some(Framing::ToClose));
}

#[test]
fn chunks() {
    assert_eq!(parse_chunk_size(b"1a"), Some(26));
    assert_eq!(parse_chunk_size(b"0x10"), Some(16));
    assert_eq!(parse_chunk_size(b"5 ;ext"), Some(5));
    assert_eq!(parse_chunk_size(b"5;ext"), None);
    assert_eq!(parse_chunk_size(b"-5"), None);
    assert_eq!(parse_chunk_size(b"zz"), None);
    let (data, used) = decode_chunked(b"3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n", 100)
        .unwrap()
        .unwrap();
    assert_eq!((data.as_slice(), used), (&b"abcde"[..], 18));
    assert_eq!(decode_chunked(b"3\r\nab", 100), Ok(None));
    assert_eq!(decode_chunked(b"30\r\n", 10), Err(HeadError::TooLong));
}

#[test]
fn rules_and_pages() {
    assert!(wants_close(false, Some(b"Close")));
    assert!(!wants_close(false, Some(b"keep-alive")));
    assert!(!wants_close(false, None));
    assert!(wants_close(true, None));
    assert!(wants_close(true, Some(b"close")));
    assert!(!wants_close(true, Some(b"Keep-Alive")));
    assert!(wants_keepalive(Some(b"keep-alive, foo")));
    assert!(!wants_keepalive(Some(b"keep")));
    assert!(!response_has_body(204, method::GET));
    assert!(!response_has_body(200, method::HEAD));
    assert!(response_has_body(404, method::POST));
    assert_eq!(reason_phrase(404), "Not Found");
    assert_eq!(reason_phrase(299), "Success");
    assert_eq!(reason_phrase(600), "Unknown Status Class");
    assert_eq!(reason_phrase(42), "Unknown Status Class");
    assert!(error_page(400, b"Bad Request")
        .starts_with(b"<HTML><HEAD>\n<TITLE>400 Bad Request</TITLE>"));
    assert!(host_matches(b"*.example.com", b"www.EXAMPLE.com"));
    assert!(!host_matches(b"*.example.com", b"example.com"));
    assert!(host_matches(b"a*b", b"axxb"));
    assert!(!host_matches(b"deep.*", b"deep.example.com"));
    assert!(!host_matches(b"*", b""));
    assert_eq!(host_without_port(b"host:8080"), b"host");
    assert_eq!(host_without_port(b"host"), b"host");
    assert_eq!(host_without_port(b":80"), b":80");
    assert_eq!(method_name(method::PATCH), Some("PATCH"));
    assert_eq!(method_name(method::UNKNOWN), None);
    assert!(method_may_have_body(method::GET) && !method_may_have_body(method::HEAD));
}

#[test]
fn lines() {
    assert_eq!(split_line(b"ab\r\ncd"), Some((&b"ab"[..], 4)));
    assert_eq!(split_line(b"ab\ncd"), Some((&b"ab"[..], 3)));
    assert_eq!(split_line(b"ab\r"), None);
}

#[test]
fn versions() {
    assert_eq!(parse_version(b"HTTP/1.1"), Some((1, 1)));
    assert_eq!(parse_version(b"HTTP/1.0"), Some((1, 0)));
    // The general scan, as sscanf's %d reads: leading zeros and blanks.
    assert_eq!(parse_version(b"HTTP/01.1"), Some((1, 1)));
    assert_eq!(parse_version(b"HTTP/ 1. 0"), Some((1, 0)));
    assert_eq!(parse_version(b"HTTP/0.9"), Some((0, 9)));
    assert_eq!(parse_version(b"HTTP/1.1 "), None);
    assert_eq!(parse_version(b"HTTP/2.0"), None);
    assert_eq!(parse_version(b"http/1.1"), None);
}

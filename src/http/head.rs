//! The head of a message: the headers evhttp adds to a request or reply
//! before it goes out, and its first line, written (with the headers)
//! straight into the connection's output buffer by
//! `connection::make_header`.

use std::ffi::CStr;
use std::os::raw::c_char;

use rel_extra::http::message::{self as msg, method};

use super::date::DateCache;
use super::glue::*;
use super::request_state::{close_asked, req};
use super::structs::{self, evhttp};
use crate::layout::http_struct::*;

/// `v` in decimal, in `buf`.
fn decimal(v: u64, buf: &mut [u8; 20]) -> &[u8] {
    let mut i = buf.len();
    let mut m = v;
    loop {
        i -= 1;
        buf[i] = b'0' + (m % 10) as u8;
        m /= 10;
        if m == 0 {
            return &buf[i..];
        }
    }
}

/// A signed decimal, as `%d` prints it.
fn put_int(t: &mut Tail, v: i64) {
    if v < 0 {
        t.put(b"-");
    }
    t.put(decimal(v.unsigned_abs(), &mut [0; 20]));
}

fn put_c_str(t: &mut Tail, s: *const c_char) {
    if !s.is_null() {
        // SAFETY: a NUL-terminated string the request owns.
        t.put(unsafe { CStr::from_ptr(s) }.to_bytes());
    }
}

/// A client request drops `Proxy-Connection` and, for a POST or PUT,
/// gets a Content-Length.
pub(crate) fn request_headers(r: *mut evhttp_request) {
    let q = req(r);
    remove_header(q.output_headers, b"Proxy-Connection");
    let m = q.type_ as u32;
    if (m == method::POST || m == method::PUT)
        && find(q.output_headers, b"Content-Length").is_none()
    {
        let n = len(q.output_buffer) as u64;
        add_header(
            q.output_headers,
            b"Content-Length",
            decimal(n, &mut [0; 20]),
        );
    }
}

/// `METHOD uri HTTP/x.y`.
pub(crate) fn put_request_line(t: &mut Tail, r: *mut evhttp_request) {
    let q = req(r);
    let name = msg::method_name(q.type_ as u32).unwrap_or("NULL");
    t.put(name.as_bytes());
    t.put(b" ");
    put_c_str(t, q.uri);
    t.put(b" HTTP/");
    put_int(t, q.major.into());
    t.put(b".");
    put_int(t, q.minor.into());
    t.put(b"\r\n");
}

/// `HTTP/x.y code reason`.
pub(crate) fn put_status_line(t: &mut Tail, r: *mut evhttp_request) {
    let q = req(r);
    t.put(b"HTTP/");
    put_int(t, q.major.into());
    t.put(b".");
    put_int(t, q.minor.into());
    t.put(b" ");
    put_int(t, q.response_code.into());
    t.put(b" ");
    if q.response_code_line.is_null() {
        t.put(b"(null)");
    } else {
        put_c_str(t, q.response_code_line);
    }
    t.put(b"\r\n");
}

/// The headers evhttp adds to a reply: Date (1.1), Connection:
/// keep-alive (1.0 asked for it), Content-Length, Content-Type (the
/// server's default), Connection: close (the request asked for it).
pub(crate) fn response_headers(r: *mut evhttp_request, server: *mut evhttp) {
    let q = req(r);
    let keepalive = msg::wants_keepalive(find(q.input_headers, b"Connection"));
    let has_body = msg::response_has_body(q.response_code, q.type_ as u32);
    let h = q.output_headers;
    if q.major == 1 {
        if q.minor >= 1 && find(h, b"Date").is_none() {
            let mut own = DateCache::default();
            let cache = if server.is_null() {
                &mut own
            } else {
                &mut structs::server(server).date
            };
            if let Some(d) = cache.now() {
                add_header(h, b"Date", d);
            }
        }
        if q.minor == 0 && keepalive {
            add_header(h, b"Connection", b"keep-alive");
        }
        if (q.minor >= 1 || keepalive)
            && has_body
            && find(h, b"Transfer-Encoding").is_none()
            && find(h, b"Content-Length").is_none()
        {
            let n = len(q.output_buffer) as u64;
            add_header(h, b"Content-Length", decimal(n, &mut [0; 20]));
        }
    }
    if has_body && find(h, b"Content-Type").is_none() {
        if let Some(ct) = structs::default_content_type(server) {
            add_header(h, b"Content-Type", ct);
        }
    }
    if close_asked(q, q.input_headers) {
        remove_header(h, b"Connection");
        if q.flags & EVHTTP_PROXY_REQUEST == 0 {
            add_header(h, b"Connection", b"close");
        }
        remove_header(h, b"Proxy-Connection");
    }
}

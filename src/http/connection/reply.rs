//! A server's replies: the head and body queued on the request's
//! connection (a plain reply, an error page, the 404), then, once all
//! is written, the request freed and the connection closed or reused.

use std::ffi::CStr;
use std::os::raw::{c_int, c_void};
use std::ptr::null_mut;

use rel_extra::http::escape;

use super::*;
use crate::buffer_obj::evbuffer;

/// Queues the reply (head, then the request's output buffer and `data`)
/// on the request's connection; `send_done` follows once it is written.
/// A request without a connection is freed.
pub(crate) fn send_reply(r: *mut evhttp_request, data: *mut evbuffer) {
    let c = req(r).evcon;
    if c.is_null() {
        request_state::free(r);
        return;
    }
    req(r).bits |= REQ_USERDONE;
    if !data.is_null() {
        append(req(r).output_buffer, data);
    }
    make_header(c, r);
    write_buffer(c, Some(send_done), null_mut());
}

/// An HTML page that closes the connection.
fn send_page(r: *mut evhttp_request, body: &[u8]) {
    let q = req(r);
    if q.major == 0 || q.minor == 0 {
        q.major = 1;
        q.minor = 1;
    }
    if q.kind != EVHTTP_RESPONSE {
        request_state::set_response_code(r, 200, Some(b"OK"));
    }
    let q = req(r);
    clear_headers(q.output_headers);
    add_header(q.output_headers, b"Content-Type", b"text/html");
    add_header(q.output_headers, b"Connection", b"close");
    let buf = new_buffer();
    if buf.is_null() {
        return;
    }
    add(buf, body);
    send_reply(r, buf);
    free_buffer(buf);
}

/// An error page with `code` and `reason` (NULL: the code's phrase).
pub(crate) fn send_error(r: *mut evhttp_request, code: c_int, reason: Option<&[u8]>) {
    let reason = reason
        .unwrap_or(msg::reason_phrase(code).as_bytes())
        .to_vec();
    request_state::set_response_code(r, code, Some(&reason));
    send_page(r, &msg::error_page(code, &reason));
}

/// The 404 a server sends when nothing handles a path.
pub(crate) fn send_not_found(r: *mut evhttp_request) {
    let uri = uri_bytes(r);
    request_state::set_response_code(r, 404, Some(b"Not Found"));
    send_page(r, &msg::not_found_page(&escape::html_escape(&uri)));
}

fn uri_bytes(r: *mut evhttp_request) -> Vec<u8> {
    let q = req(r);
    if q.uri.is_null() {
        return Vec::new();
    }
    // SAFETY: the request's URI, a NUL-terminated string it owns.
    unsafe { CStr::from_ptr(q.uri) }.to_bytes().to_vec()
}

/// The reply has been written: free the request, then close or read the
/// next one.
pub(crate) unsafe extern "C" fn send_done(c: *mut evhttp_connection, _arg: *mut c_void) {
    let Some(r) = conn(c).requests.pop_front() else {
        return;
    };
    if let Some(cb) = req(r).on_complete_cb {
        // SAFETY: the program's completion callback and argument.
        unsafe { cb(r, req(r).on_complete_cb_arg) };
    }
    let q = req(r);
    let before_11 = q.major < 1 || (q.major == 1 && q.minor < 1);
    let need_close = (before_11 && !msg::wants_keepalive(find(q.input_headers, b"Connection")))
        || request_state::wants_close(r);
    request_state::free(r);
    if need_close || !associate_new_request(c) {
        free(c);
    }
}

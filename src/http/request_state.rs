//! A request's own state: made (by a server for each incoming request,
//! or by the program for a client) and freed, its first line taken in,
//! its status set, and whether it asks to close. What drives a request
//! over a connection is `connection`'s; the C API and replies are
//! `request`'s.

use std::os::raw::{c_char, c_int, c_void};
use std::ptr::null_mut;

use rel_extra::http::message::{self as msg, method};

use super::glue::*;
use super::structs::conn;
use super::vhost::is_known_host;
use super::*;
use crate::layout::http_struct::*;
use crate::layout::keyvalq_struct::{c_bytes, evkeyvalq};
use crate::log_api::mem_free;

/// The request behind a pointer (a live request: the http modules'
/// invariant and, from C, the boundary contract).
pub(crate) fn req<'a>(r: *mut evhttp_request) -> &'a mut evhttp_request {
    // SAFETY: see above.
    unsafe { &mut *r }
}

/// A request and its two header lists in one allocation: C sees the
/// lists only through the request's pointers, and they live exactly as
/// long as it does.
#[repr(C)]
struct WithHeaders {
    /// First, so a request pointer is a pointer to the whole.
    req: evhttp_request,
    input: evkeyvalq,
    output: evkeyvalq,
}

fn empty_queue() -> evkeyvalq {
    evkeyvalq {
        tqh_first: null_mut(),
        tqh_last: null_mut(),
    }
}

/// A new request: kind RESPONSE (a client's request expects one), empty
/// header lists and buffers.
pub(crate) fn new(cb: evhttp_request_cb, arg: *mut c_void) -> *mut evhttp_request {
    let (ib, ob) = (new_buffer(), new_buffer());
    if ib.is_null() || ob.is_null() {
        for b in [ib, ob] {
            if !b.is_null() {
                free_buffer(b);
            }
        }
        return null_mut();
    }
    let w = Box::into_raw(Box::new(WithHeaders {
        req: evhttp_request {
            next: evhttp_request_link {
                tqe_next: null_mut(),
                tqe_prev: null_mut(),
            },
            evcon: null_mut(),
            flags: 0,
            input_headers: null_mut(),
            output_headers: null_mut(),
            remote_host: null_mut(),
            remote_port: 0,
            host_cache: null_mut(),
            kind: EVHTTP_RESPONSE,
            type_: 0,
            headers_size: 0,
            body_size: 0,
            uri: null_mut(),
            uri_elems: null_mut(),
            major: 0,
            minor: 0,
            response_code: 0,
            response_code_line: null_mut(),
            input_buffer: ib,
            ntoread: 0,
            bits: 0,
            output_buffer: ob,
            cb,
            cb_arg: arg,
            chunk_cb: None,
            header_cb: None,
            error_cb: None,
            on_complete_cb: None,
            on_complete_cb_arg: null_mut(),
        },
        input: empty_queue(),
        output: empty_queue(),
    }));
    // SAFETY: just made, and not yet shared; the lists are initialised
    // (TAILQ_INIT) at their final addresses.
    unsafe {
        (*w).input.init();
        (*w).output.init();
        (*w).req.input_headers = &raw mut (*w).input;
        (*w).req.output_headers = &raw mut (*w).output;
    }
    w.cast()
}

/// Drops the request's URI (a failed request reaches the handler
/// without one).
pub(crate) fn forget_uri(r: *mut evhttp_request) {
    let q = req(r);
    mem_free(q.uri.cast());
    q.uri = null_mut();
    if !q.uri_elems.is_null() {
        // SAFETY: a URI this module made.
        unsafe { crate::http_api::evhttp_uri_free(q.uri_elems) };
        q.uri_elems = null_mut();
    }
}

/// Frees a request, unless a chunk callback is running on it (then it
/// goes when that returns).
pub(crate) fn free(r: *mut evhttp_request) {
    let q = req(r);
    if q.flags & EVHTTP_REQ_DEFER_FREE != 0 {
        q.flags |= EVHTTP_REQ_NEEDS_FREE;
        return;
    }
    forget_uri(r);
    let q = req(r);
    for p in [q.remote_host, q.response_code_line, q.host_cache] {
        mem_free(p.cast());
    }
    clear_headers(q.input_headers);
    clear_headers(q.output_headers);
    free_buffer(q.input_buffer);
    free_buffer(q.output_buffer);
    // SAFETY: made by Box::into_raw in `new` (a request is the start of
    // its `WithHeaders`), freed once.
    drop(unsafe { Box::from_raw(r.cast::<WithHeaders>()) });
}

/// Frees a request the program has not taken ownership of.
pub(crate) fn free_auto(r: *mut evhttp_request) {
    if req(r).flags & EVHTTP_USER_OWNED == 0 {
        free(r);
    }
}

fn set_c_string(slot: &mut *mut c_char, bytes: &[u8]) {
    mem_free((*slot).cast());
    *slot = c_bytes(bytes);
}

/// The message's `HTTP/major.minor`.
fn set_version(q: &mut evhttp_request, major: i8, minor: i8) {
    q.major = major as c_char;
    q.minor = minor as c_char;
}

/// Takes a request line into the request; false when it is bad.
pub(crate) fn take_request_line(r: *mut evhttp_request, line: &[u8]) -> bool {
    let Some(l) = msg::parse_request_line(line) else {
        return false;
    };
    let q = req(r);
    q.type_ = l.method as c_int;
    set_version(q, l.major, l.minor);
    set_c_string(&mut q.uri, l.target);
    let proxy = l
        .uri
        .scheme
        .as_ref()
        .is_some_and(|s| s.eq_ignore_ascii_case(b"http") || s.eq_ignore_ascii_case(b"https"))
        && l.uri.host.as_ref().is_some_and(|h| {
            let c = q.evcon;
            !c.is_null() && !is_known_host(conn(c).server, h)
        });
    q.uri_elems = crate::http_api::evhttp_uri::from_uri(l.uri);
    if proxy {
        q.flags |= EVHTTP_PROXY_REQUEST;
    }
    true
}

/// Takes a status line into the request; false when it is bad.
pub(crate) fn take_status_line(r: *mut evhttp_request, line: &[u8]) -> bool {
    let Some(l) = msg::parse_status_line(line) else {
        return false;
    };
    let q = req(r);
    set_version(q, l.major, l.minor);
    q.response_code = l.code;
    set_c_string(&mut q.response_code_line, &l.reason);
    true
}

/// Do the headers `h` of request `q` ask to close?
pub(super) fn close_asked(q: &evhttp_request, h: *mut evkeyvalq) -> bool {
    let proxy = q.flags & EVHTTP_PROXY_REQUEST != 0;
    let name: &[u8] = if proxy {
        b"Proxy-Connection"
    } else {
        b"Connection"
    };
    msg::wants_close(proxy, find(h, name))
}

/// Does either side ask to close after this exchange?
pub(crate) fn wants_close(r: *mut evhttp_request) -> bool {
    let q = req(r);
    if q.type_ as u32 == method::CONNECT {
        return false;
    }
    close_asked(q, q.input_headers) || close_asked(q, q.output_headers)
}

/// Sets the reply's status; `reason` NULL means evhttp's phrase.
pub(crate) fn set_response_code(r: *mut evhttp_request, code: c_int, reason: Option<&[u8]>) {
    let q = req(r);
    q.kind = EVHTTP_RESPONSE;
    q.response_code = code;
    let reason = reason.unwrap_or(msg::reason_phrase(code).as_bytes());
    set_c_string(&mut q.response_code_line, reason);
}

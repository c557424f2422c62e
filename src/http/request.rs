//! Requests: made by the server for each incoming one, or by the
//! program for a client; their accessors; and the replies a server
//! sends (`evhttp_send_*`).

use std::ffi::CStr;
use std::os::raw::{c_char, c_int, c_void};
use std::ptr::null_mut;

use rel_extra::http::escape;
use rel_extra::http::message::{self as msg, method};

use super::connection::{self, conn, evhttp_connection};
use super::glue::*;
use super::*;
use crate::boundary::{arg, entry, entry_or, FromC, Refusal};
use crate::buffer_obj::evbuffer;
use crate::http_api::evhttp_uri;
use crate::layout::http_struct::*;
use crate::layout::keyvalq_struct::{c_bytes, evkeyvalq};
use crate::log_api::mem_free;

/// The request behind a pointer (a live request: the http modules'
/// invariant and, from C, the boundary contract).
pub(crate) fn req<'a>(r: *mut evhttp_request) -> &'a mut evhttp_request {
    // SAFETY: see above.
    unsafe { &mut *r }
}

impl FromC<*mut evhttp_request> for *mut evhttp_request {
    unsafe fn from_c(r: *mut evhttp_request) -> Result<Self, Refusal> {
        if r.is_null() {
            return Err(Refusal::Missing("request"));
        }
        Ok(r)
    }
}

impl FromC<*const evhttp_request> for *mut evhttp_request {
    unsafe fn from_c(r: *const evhttp_request) -> Result<Self, Refusal> {
        if r.is_null() {
            return Err(Refusal::Missing("request"));
        }
        Ok(r.cast_mut())
    }
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

/// Takes a request line into the request; false when it is bad.
pub(crate) fn take_request_line(r: *mut evhttp_request, line: &[u8]) -> bool {
    let Some(l) = msg::parse_request_line(line) else {
        return false;
    };
    let q = req(r);
    q.type_ = l.method as c_int;
    q.major = l.major as c_char;
    q.minor = l.minor as c_char;
    set_c_string(&mut q.uri, l.target);
    let proxy = l
        .uri
        .scheme
        .as_ref()
        .is_some_and(|s| s.eq_ignore_ascii_case(b"http") || s.eq_ignore_ascii_case(b"https"))
        && l.uri.host.as_ref().is_some_and(|h| {
            let c = q.evcon;
            !c.is_null() && !super::server::is_known_host(conn(c).server, h)
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
    q.major = l.major as c_char;
    q.minor = l.minor as c_char;
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

fn send(r: *mut evhttp_request, data: *mut evbuffer) {
    let c = req(r).evcon;
    if c.is_null() {
        free(r);
        return;
    }
    req(r).bits |= REQ_USERDONE;
    if !data.is_null() {
        append(req(r).output_buffer, data);
    }
    connection::make_header(c, r);
    connection::write_buffer(c, Some(connection::send_done), null_mut());
}

/// An HTML page that closes the connection.
fn send_page(r: *mut evhttp_request, body: &[u8]) {
    let q = req(r);
    if q.major == 0 || q.minor == 0 {
        q.major = 1;
        q.minor = 1;
    }
    if q.kind != EVHTTP_RESPONSE {
        set_response_code(r, 200, Some(b"OK"));
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
    send(r, buf);
    free_buffer(buf);
}

pub(crate) fn send_error(r: *mut evhttp_request, code: c_int, reason: Option<&[u8]>) {
    let reason = reason
        .unwrap_or(msg::reason_phrase(code).as_bytes())
        .to_vec();
    set_response_code(r, code, Some(&reason));
    send_page(r, &msg::error_page(code, &reason));
}

/// The 404 a server sends when nothing handles a path.
pub(crate) fn send_not_found(r: *mut evhttp_request) {
    let uri = uri_bytes(r);
    set_response_code(r, 404, Some(b"Not Found"));
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

/// A C string argument that may be NULL.
fn opt_bytes<'a>(s: *const c_char) -> Option<&'a [u8]> {
    let s: Result<&CStr, _> = arg!(s);
    s.ok().map(CStr::to_bytes)
}

// ---------------------------------------------------------------- C API

#[no_mangle]
pub unsafe extern "C" fn evhttp_request_new(
    cb: Option<unsafe extern "C" fn(*mut evhttp_request, *mut c_void)>,
    arg: *mut c_void,
) -> *mut evhttp_request {
    entry("evhttp_request_new", || Ok(new(cb, arg)))
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_request_free(req: *mut evhttp_request) {
    entry("evhttp_request_free", || {
        let r: *mut evhttp_request = arg!(req)?;
        free(r);
        Ok(())
    })
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_request_own(req: *mut evhttp_request) {
    entry("evhttp_request_own", || {
        let r: *mut evhttp_request = arg!(req)?;
        self::req(r).flags |= EVHTTP_USER_OWNED;
        Ok(())
    })
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_request_is_owned(req: *mut evhttp_request) -> c_int {
    entry("evhttp_request_is_owned", || {
        let r: *mut evhttp_request = arg!(req)?;
        Ok(c_int::from(self::req(r).flags & EVHTTP_USER_OWNED != 0))
    })
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_request_get_connection(
    req: *mut evhttp_request,
) -> *mut evhttp_connection {
    entry("evhttp_request_get_connection", || {
        let r: *mut evhttp_request = arg!(req)?;
        Ok(self::req(r).evcon)
    })
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_request_set_chunked_cb(
    req: *mut evhttp_request,
    cb: Option<unsafe extern "C" fn(*mut evhttp_request, *mut c_void)>,
) {
    entry("evhttp_request_set_chunked_cb", || {
        let r: *mut evhttp_request = arg!(req)?;
        self::req(r).chunk_cb = cb;
        Ok(())
    })
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_request_set_header_cb(
    req: *mut evhttp_request,
    cb: Option<unsafe extern "C" fn(*mut evhttp_request, *mut c_void) -> c_int>,
) {
    entry("evhttp_request_set_header_cb", || {
        let r: *mut evhttp_request = arg!(req)?;
        self::req(r).header_cb = cb;
        Ok(())
    })
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_request_set_error_cb(
    req: *mut evhttp_request,
    cb: Option<unsafe extern "C" fn(evhttp_request_error, *mut c_void)>,
) {
    entry("evhttp_request_set_error_cb", || {
        let r: *mut evhttp_request = arg!(req)?;
        self::req(r).error_cb = cb;
        Ok(())
    })
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_request_set_on_complete_cb(
    req: *mut evhttp_request,
    cb: Option<unsafe extern "C" fn(*mut evhttp_request, *mut c_void)>,
    cb_arg: *mut c_void,
) {
    entry("evhttp_request_set_on_complete_cb", || {
        let r: *mut evhttp_request = arg!(req)?;
        self::req(r).on_complete_cb = cb;
        self::req(r).on_complete_cb_arg = cb_arg;
        Ok(())
    })
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_request_get_uri(req: *const evhttp_request) -> *const c_char {
    entry("evhttp_request_get_uri", || {
        let r: *mut evhttp_request = arg!(req)?;
        Ok(self::req(r).uri.cast_const())
    })
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_request_get_evhttp_uri(
    req: *const evhttp_request,
) -> *const evhttp_uri {
    entry("evhttp_request_get_evhttp_uri", || {
        let r: *mut evhttp_request = arg!(req)?;
        Ok(self::req(r).uri_elems.cast_const())
    })
}

/// The host the request is for: the URI's, else the Host header's
/// without a port.
#[no_mangle]
pub unsafe extern "C" fn evhttp_request_get_host(req: *mut evhttp_request) -> *const c_char {
    entry("evhttp_request_get_host", || {
        let r: *mut evhttp_request = arg!(req)?;
        let q = self::req(r);
        if !q.host_cache.is_null() {
            return Ok(q.host_cache.cast_const());
        }
        if !q.uri_elems.is_null() {
            // SAFETY: the request's own URI.
            let h = unsafe { crate::http_api::evhttp_uri_get_host(q.uri_elems) };
            if !h.is_null() {
                return Ok(h);
            }
        }
        let Some(host) = find(q.input_headers, b"Host") else {
            return Ok(std::ptr::null());
        };
        let bare = msg::host_without_port(host);
        if bare.len() == host.len() {
            let node = {
                // SAFETY: the request's live header list.
                let list = unsafe { &*q.input_headers };
                list.find_name(b"Host")
            };
            return Ok(node.map_or(std::ptr::null(), |n| {
                // SAFETY: a live node's value.
                unsafe { n.as_ref() }.value.cast_const()
            }));
        }
        q.host_cache = c_bytes(bare);
        Ok(q.host_cache.cast_const())
    })
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_request_get_command(req: *const evhttp_request) -> evhttp_cmd_type {
    // The enum has no negative value: a refusal reads as "no method".
    entry_or("evhttp_request_get_command", 0, || {
        let r: *mut evhttp_request = arg!(req)?;
        Ok(self::req(r).type_)
    })
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_request_get_response_code(req: *const evhttp_request) -> c_int {
    entry("evhttp_request_get_response_code", || {
        let r: *mut evhttp_request = arg!(req)?;
        Ok(self::req(r).response_code)
    })
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_request_get_response_code_line(
    req: *const evhttp_request,
) -> *const c_char {
    entry("evhttp_request_get_response_code_line", || {
        let r: *mut evhttp_request = arg!(req)?;
        Ok(self::req(r).response_code_line.cast_const())
    })
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_request_get_input_headers(
    req: *mut evhttp_request,
) -> *mut evkeyvalq {
    entry("evhttp_request_get_input_headers", || {
        let r: *mut evhttp_request = arg!(req)?;
        Ok(self::req(r).input_headers)
    })
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_request_get_output_headers(
    req: *mut evhttp_request,
) -> *mut evkeyvalq {
    entry("evhttp_request_get_output_headers", || {
        let r: *mut evhttp_request = arg!(req)?;
        Ok(self::req(r).output_headers)
    })
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_request_get_input_buffer(
    req: *mut evhttp_request,
) -> *mut evbuffer {
    entry("evhttp_request_get_input_buffer", || {
        let r: *mut evhttp_request = arg!(req)?;
        Ok(self::req(r).input_buffer)
    })
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_request_get_output_buffer(
    req: *mut evhttp_request,
) -> *mut evbuffer {
    entry("evhttp_request_get_output_buffer", || {
        let r: *mut evhttp_request = arg!(req)?;
        Ok(self::req(r).output_buffer)
    })
}

// ------------------------------------------------------------- replies

#[no_mangle]
pub unsafe extern "C" fn evhttp_send_error(
    req: *mut evhttp_request,
    error: c_int,
    reason: *const c_char,
) {
    entry("evhttp_send_error", || {
        let r: *mut evhttp_request = arg!(req)?;
        send_error(r, error, opt_bytes(reason));
        Ok(())
    })
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_send_reply(
    req: *mut evhttp_request,
    code: c_int,
    reason: *const c_char,
    databuf: *mut evbuffer,
) {
    entry("evhttp_send_reply", || {
        let r: *mut evhttp_request = arg!(req)?;
        set_response_code(r, code, opt_bytes(reason));
        send(r, databuf);
        Ok(())
    })
}

/// Starts a reply whose body follows in chunks: chunked for a 1.1
/// client, else delimited by the close (or the program's Content-Length).
#[no_mangle]
pub unsafe extern "C" fn evhttp_send_reply_start(
    req: *mut evhttp_request,
    code: c_int,
    reason: *const c_char,
) {
    entry("evhttp_send_reply_start", || {
        let r: *mut evhttp_request = arg!(req)?;
        set_response_code(r, code, opt_bytes(reason));
        let c = self::req(r).evcon;
        if c.is_null() {
            return Ok(());
        }
        let q = self::req(r);
        let v11 = q.major > 1 || (q.major == 1 && q.minor >= 1);
        if find(q.output_headers, b"Content-Length").is_none()
            && v11
            && msg::response_has_body(q.response_code, q.type_ as u32)
        {
            add_header(q.output_headers, b"Transfer-Encoding", b"chunked");
            q.bits |= REQ_CHUNKED;
        } else {
            q.bits &= !REQ_CHUNKED;
        }
        connection::make_header(c, r);
        connection::write_buffer(c, None, null_mut());
        Ok(())
    })
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_send_reply_chunk_with_cb(
    req: *mut evhttp_request,
    databuf: *mut evbuffer,
    cb: Option<unsafe extern "C" fn(*mut evhttp_connection, *mut c_void)>,
    arg: *mut c_void,
) {
    entry("evhttp_send_reply_chunk_with_cb", || {
        let r: *mut evhttp_request = arg!(req)?;
        let c = self::req(r).evcon;
        if c.is_null() || databuf.is_null() {
            return Ok(());
        }
        let n = len(databuf);
        let q = self::req(r);
        if n == 0 || !msg::response_has_body(q.response_code, q.type_ as u32) {
            return Ok(());
        }
        let out = output(conn(c).bufev);
        let chunked = q.bits & REQ_CHUNKED != 0;
        if chunked {
            add(out, format!("{:x}\r\n", n as u32).as_bytes());
        }
        append(out, databuf);
        if chunked {
            add(out, b"\r\n");
        }
        connection::write_buffer(c, cb, arg);
        Ok(())
    })
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_send_reply_chunk(req: *mut evhttp_request, databuf: *mut evbuffer) {
    // SAFETY: the same contract, passed on.
    unsafe { evhttp_send_reply_chunk_with_cb(req, databuf, None, null_mut()) }
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_send_reply_end(req: *mut evhttp_request) {
    entry("evhttp_send_reply_end", || {
        let r: *mut evhttp_request = arg!(req)?;
        let c = self::req(r).evcon;
        if c.is_null() {
            free(r);
            return Ok(());
        }
        let out = output(conn(c).bufev);
        let q = self::req(r);
        q.bits |= REQ_USERDONE;
        if q.bits & REQ_CHUNKED != 0 {
            add(out, b"0\r\n\r\n");
            connection::write_buffer(c, Some(connection::send_done), null_mut());
            self::req(r).bits &= !REQ_CHUNKED;
        } else if len(out) == 0 {
            // SAFETY: our own completion step, on our connection.
            unsafe { connection::send_done(c, null_mut()) };
        } else {
            conn(c).cb = Some(connection::send_done);
            conn(c).cb_arg = null_mut();
        }
        Ok(())
    })
}

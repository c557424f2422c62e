//! Requests for C: `evhttp_request_*` (made, freed, owned, read and
//! set), and the replies a server sends (`evhttp_send_*`), which queue
//! the reply on the request's connection. A request's own state is
//! `request_state`'s.

use std::ffi::CStr;
use std::os::raw::{c_char, c_int, c_void};
use std::ptr::null_mut;

use rel_extra::http::message as msg;

use super::connection::{self, conn, evhttp_connection};
use super::glue::*;
use super::request_state::{free, new, req, set_response_code};
use super::*;
use crate::boundary::{arg, entry, entry_or, FromC, Refusal};
use crate::buffer_obj::evbuffer;
use crate::http_api::evhttp_uri;
use crate::layout::http_struct::*;
use crate::layout::keyvalq_struct::{c_bytes, evkeyvalq};

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
        connection::send_error(r, error, opt_bytes(reason));
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
        connection::send_reply(r, databuf);
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

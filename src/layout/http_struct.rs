//! `struct evhttp_request` exactly as libevent 2.1 lays it out (216 bytes
//! on x86_64): programs read `type`, `uri`, `input_headers`,
//! `output_headers`, `input_buffer`, `remote_host`, `response_code` ...
//! directly, so librel keeps every field current. The `next` link is
//! left unused (librel queues requests on the Rust side).

#![allow(non_camel_case_types)]

use std::os::raw::{c_char, c_int, c_uint, c_void};

use crate::buffer_obj::evbuffer;
use crate::http::evhttp_connection;
use crate::http_api::evhttp_uri;
use crate::layout::keyvalq_struct::evkeyvalq;

/// Queue link of a request (libevent's TAILQ_ENTRY).
#[repr(C)]
pub struct evhttp_request_link {
    pub tqe_next: *mut evhttp_request,
    pub tqe_prev: *mut *mut evhttp_request,
}

/// A request's callback: `(req, arg)`.
pub type evhttp_request_cb = Option<unsafe extern "C" fn(*mut evhttp_request, *mut c_void)>;

#[repr(C)]
pub struct evhttp_request {
    pub next: evhttp_request_link,
    pub evcon: *mut evhttp_connection,
    pub flags: c_int,
    pub input_headers: *mut evkeyvalq,
    pub output_headers: *mut evkeyvalq,
    pub remote_host: *mut c_char,
    pub remote_port: u16,
    pub host_cache: *mut c_char,
    pub kind: c_int,
    pub type_: c_int,
    pub headers_size: usize,
    pub body_size: usize,
    pub uri: *mut c_char,
    pub uri_elems: *mut evhttp_uri,
    pub major: c_char,
    pub minor: c_char,
    pub response_code: c_int,
    pub response_code_line: *mut c_char,
    pub input_buffer: *mut evbuffer,
    pub ntoread: i64,
    /// `chunked:1, userdone:1` (bit 0, bit 1).
    pub bits: c_uint,
    pub output_buffer: *mut evbuffer,
    pub cb: evhttp_request_cb,
    pub cb_arg: *mut c_void,
    pub chunk_cb: evhttp_request_cb,
    pub header_cb: Option<unsafe extern "C" fn(*mut evhttp_request, *mut c_void) -> c_int>,
    pub error_cb: Option<unsafe extern "C" fn(c_int, *mut c_void)>,
    pub on_complete_cb: evhttp_request_cb,
    pub on_complete_cb_arg: *mut c_void,
}

// `flags` bits, as libevent defines them in event2/http_struct.h.
pub const EVHTTP_REQ_OWN_CONNECTION: c_int = 0x0001;
pub const EVHTTP_PROXY_REQUEST: c_int = 0x0002;
pub const EVHTTP_USER_OWNED: c_int = 0x0004;
pub const EVHTTP_REQ_DEFER_FREE: c_int = 0x0008;
pub const EVHTTP_REQ_NEEDS_FREE: c_int = 0x0010;

/// `bits`: the chunked and userdone bitfields.
pub const REQ_CHUNKED: c_uint = 1;
pub const REQ_USERDONE: c_uint = 2;

#[cfg(target_arch = "x86_64")]
const _: () = {
    use std::mem::{offset_of, size_of};
    assert!(size_of::<evhttp_request>() == 216);
    assert!(offset_of!(evhttp_request, evcon) == 16);
    assert!(offset_of!(evhttp_request, flags) == 24);
    assert!(offset_of!(evhttp_request, input_headers) == 32);
    assert!(offset_of!(evhttp_request, output_headers) == 40);
    assert!(offset_of!(evhttp_request, remote_host) == 48);
    assert!(offset_of!(evhttp_request, remote_port) == 56);
    assert!(offset_of!(evhttp_request, host_cache) == 64);
    assert!(offset_of!(evhttp_request, kind) == 72);
    assert!(offset_of!(evhttp_request, type_) == 76);
    assert!(offset_of!(evhttp_request, headers_size) == 80);
    assert!(offset_of!(evhttp_request, body_size) == 88);
    assert!(offset_of!(evhttp_request, uri) == 96);
    assert!(offset_of!(evhttp_request, uri_elems) == 104);
    assert!(offset_of!(evhttp_request, major) == 112);
    assert!(offset_of!(evhttp_request, minor) == 113);
    assert!(offset_of!(evhttp_request, response_code) == 116);
    assert!(offset_of!(evhttp_request, response_code_line) == 120);
    assert!(offset_of!(evhttp_request, input_buffer) == 128);
    assert!(offset_of!(evhttp_request, ntoread) == 136);
    assert!(offset_of!(evhttp_request, bits) == 144);
    assert!(offset_of!(evhttp_request, output_buffer) == 152);
    assert!(offset_of!(evhttp_request, cb) == 160);
    assert!(offset_of!(evhttp_request, cb_arg) == 168);
    assert!(offset_of!(evhttp_request, chunk_cb) == 176);
    assert!(offset_of!(evhttp_request, header_cb) == 184);
    assert!(offset_of!(evhttp_request, error_cb) == 192);
    assert!(offset_of!(evhttp_request, on_complete_cb) == 200);
    assert!(offset_of!(evhttp_request, on_complete_cb_arg) == 208);
};

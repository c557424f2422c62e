//! `event2/rpc_struct.h`: `struct evrpc_status`, which RPC callbacks read,
//! and `struct evrpc`, the description of one RPC that `EVRPC_REGISTER`
//! fills in and programs may build themselves for `evrpc_register_rpc`.
//! Laid out as libevent 2.1 lays them out.

#![allow(non_camel_case_types)]

use std::os::raw::{c_char, c_int, c_void};

use crate::buffer_obj::evbuffer;
use crate::layout::http_struct::evhttp_request;

/// An RPC server, opaque to C (the object is `crate::rpc::RpcServer`).
pub struct evrpc_base {
    _opaque: [u8; 0],
}

/// Hooks' meta data of one request, opaque to C (the object is
/// `crate::rpc::HookMeta`).
pub struct evrpc_hook_meta {
    _opaque: [u8; 0],
}

/// One request being served: the six fields `EVRPC_STRUCT` declares, which
/// handlers read through their own struct of that shape.
#[repr(C)]
pub struct evrpc_req_generic {
    pub hook_meta: *mut evrpc_hook_meta,
    pub request: *mut c_void,
    pub reply: *mut c_void,
    pub rpc: *mut evrpc,
    pub http_req: *mut evhttp_request,
    pub rpc_data: *mut evbuffer,
}

/// `evrpc_status.error`: the request was answered.
pub const EVRPC_STATUS_ERR_NONE: c_int = 0;
/// No reply within the pool's timeout (or the connection failed).
pub const EVRPC_STATUS_ERR_TIMEOUT: c_int = 1;
/// A reply that did not unmarshal.
pub const EVRPC_STATUS_ERR_BADPAYLOAD: c_int = 2;
/// The request was never sent.
pub const EVRPC_STATUS_ERR_UNSTARTED: c_int = 3;
/// An input hook ended the request.
pub const EVRPC_STATUS_ERR_HOOKABORTED: c_int = 4;

const _: () = {
    use rel_extra::rpc::Status;
    assert!(EVRPC_STATUS_ERR_NONE == Status::None as c_int);
    assert!(EVRPC_STATUS_ERR_TIMEOUT == Status::Timeout as c_int);
    assert!(EVRPC_STATUS_ERR_BADPAYLOAD == Status::BadPayload as c_int);
    assert!(EVRPC_STATUS_ERR_UNSTARTED == Status::Unstarted as c_int);
    assert!(EVRPC_STATUS_ERR_HOOKABORTED == Status::HookAborted as c_int);
};

/// What a client's callback learns about its request.
#[repr(C)]
pub struct evrpc_status {
    /// One of the `EVRPC_STATUS_ERR_*` codes.
    pub error: c_int,
    /// The reply, for its headers; NULL when there was none.
    pub http_req: *mut evhttp_request,
}

/// Queue link of an `evrpc` (libevent's TAILQ_ENTRY).
#[repr(C)]
pub struct evrpc_link {
    pub tqe_next: *mut evrpc,
    pub tqe_prev: *mut *mut evrpc,
}

/// One RPC a server offers: its name and how its messages are made,
/// read, checked, written and freed.
#[repr(C)]
pub struct evrpc {
    pub next: evrpc_link,
    /// The RPC's name (served at `/.rpc.NAME`); malloc'd, freed with it.
    pub uri: *const c_char,
    pub request_new: Option<unsafe extern "C" fn(*mut c_void) -> *mut c_void>,
    pub request_new_arg: *mut c_void,
    pub request_free: Option<unsafe extern "C" fn(*mut c_void)>,
    pub request_unmarshal: Option<unsafe extern "C" fn(*mut c_void, *mut evbuffer) -> c_int>,
    pub reply_new: Option<unsafe extern "C" fn(*mut c_void) -> *mut c_void>,
    pub reply_new_arg: *mut c_void,
    pub reply_free: Option<unsafe extern "C" fn(*mut c_void)>,
    pub reply_complete: Option<unsafe extern "C" fn(*mut c_void) -> c_int>,
    pub reply_marshal: Option<unsafe extern "C" fn(*mut evbuffer, *mut c_void)>,
    /// The server's handler for each request.
    pub cb: Option<unsafe extern "C" fn(*mut evrpc_req_generic, *mut c_void)>,
    pub cb_arg: *mut c_void,
    pub base: *mut evrpc_base,
}

const _: () = {
    assert!(std::mem::size_of::<evrpc_status>() == 16);
    assert!(std::mem::size_of::<evrpc>() == 120);
    assert!(std::mem::offset_of!(evrpc, uri) == 16);
    assert!(std::mem::offset_of!(evrpc, cb) == 96);
    assert!(std::mem::offset_of!(evrpc, base) == 112);
    assert!(std::mem::size_of::<evrpc_req_generic>() == 48);
};

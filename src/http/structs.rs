//! evhttp's two objects, opaque to C: `struct evhttp` (a server, or a
//! virtual host of one) and `struct evhttp_connection` (a server's
//! incoming connection or a client's), with the accessors every layer
//! above uses. They point at each other, so they are defined together;
//! what they do is `server`'s and `connection`'s.

use std::collections::VecDeque;
use std::ffi::{CStr, CString};
use std::os::raw::{c_char, c_int, c_void};

use super::date::DateCache;
use crate::boundary::{FromC, Refusal};
use crate::bufferevent_api::evdns_base;
use crate::layout::bufferevent_struct::bufferevent;
use crate::layout::event;
use crate::layout::http_struct::{evhttp_request, evhttp_request_cb};
use crate::listener_api::evconnlistener;
use crate::objects::event_base;

pub const EVHTTP_SERVER_LINGERING_CLOSE: c_int = 0x0001;

/// The program's bufferevent factory for new connections.
pub(crate) type BevCb =
    Option<unsafe extern "C" fn(*mut event_base, *mut c_void) -> *mut bufferevent>;

/// A socket a server listens on (opaque to C).
pub struct evhttp_bound_socket {
    pub(super) listener: *mut evconnlistener,
}

/// A path's callback (`evhttp_set_cb`).
pub(super) struct PathCb {
    pub(super) path: CString,
    pub(super) cb: Option<unsafe extern "C" fn(*mut evhttp_request, *mut c_void)>,
    pub(super) arg: *mut c_void,
}

/// An HTTP server, or a virtual host of one (opaque to C).
pub struct evhttp {
    pub(super) base: *mut event_base,
    pub(super) sockets: Vec<*mut evhttp_bound_socket>,
    pub(super) connections: Vec<*mut evhttp_connection>,
    pub(super) callbacks: Vec<PathCb>,
    pub(super) vhosts: Vec<*mut evhttp>,
    pub(super) vhost_pattern: Option<CString>,
    pub(super) aliases: Vec<CString>,
    pub(super) timeout: Option<libc::timeval>,
    pub(super) max_headers_size: usize,
    pub(super) max_body_size: u64,
    /// The program's string, kept as a pointer (as libevent does).
    pub(super) default_content_type: *const c_char,
    pub(super) allowed_methods: u16,
    pub(super) flags: c_int,
    pub(super) gencb: Option<unsafe extern "C" fn(*mut evhttp_request, *mut c_void)>,
    pub(super) gencb_arg: *mut c_void,
    pub(super) bevcb: BevCb,
    pub(super) bevcb_arg: *mut c_void,
    /// The Date header replies get.
    pub(super) date: DateCache,
}

/// The server behind a pointer (a live server: the http modules'
/// invariant and, from C, the boundary contract).
pub(crate) fn server<'a>(h: *mut evhttp) -> &'a mut evhttp {
    // SAFETY: see above.
    unsafe { &mut *h }
}

impl FromC<*mut evhttp> for *mut evhttp {
    unsafe fn from_c(h: *mut evhttp) -> Result<Self, Refusal> {
        if h.is_null() {
            return Err(Refusal::Missing("evhttp"));
        }
        Ok(h)
    }
}

/// The Content-Type replies get when they set none; `None` without a
/// server, or when the program set NULL.
pub(crate) fn default_content_type<'a>(h: *mut evhttp) -> Option<&'a [u8]> {
    if h.is_null() {
        return None;
    }
    let p = server(h).default_content_type;
    // SAFETY: NULL or the program's string, which it keeps alive.
    (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) }.to_bytes())
}

/// Drops a connection being freed from its server's list.
pub(crate) fn forget_connection(h: *mut evhttp, c: *mut evhttp_connection) {
    server(h).connections.retain(|&x| x != c);
}

/// Where a connection is in its exchange.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum State {
    Disconnected,
    Connecting,
    Idle,
    ReadingFirstline,
    ReadingHeaders,
    ReadingBody,
    ReadingTrailer,
    Writing,
}

/// What runs when the output buffer has drained.
pub(crate) type ConnCb = Option<unsafe extern "C" fn(*mut evhttp_connection, *mut c_void)>;

/// A connection (opaque to C).
pub struct evhttp_connection {
    pub(crate) bufev: *mut bufferevent,
    pub(crate) base: *mut event_base,
    pub(crate) dns_base: *mut evdns_base,
    /// An incoming connection's server, and the handler each request
    /// read on it goes to (the server's router, which sits above the
    /// connections), with the server as its argument.
    pub(crate) server: *mut evhttp,
    pub(crate) handler: evhttp_request_cb,
    pub(crate) address: CString,
    pub(crate) port: u16,
    pub(crate) bind_address: Option<CString>,
    pub(crate) bind_port: u16,
    pub(crate) state: State,
    pub(crate) flags: c_int,
    pub(crate) max_headers_size: usize,
    pub(crate) max_body_size: u64,
    pub(crate) timeout: Option<libc::timeval>,
    pub(crate) retry_cnt: c_int,
    pub(crate) retry_max: c_int,
    pub(crate) initial_retry: libc::timeval,
    pub(crate) retry_ev: *mut event,
    pub(crate) read_more_ev: *mut event,
    pub(crate) closecb: ConnCb,
    pub(crate) closecb_arg: *mut c_void,
    pub(crate) requests: VecDeque<*mut evhttp_request>,
    pub(crate) cb: ConnCb,
    pub(crate) cb_arg: *mut c_void,
    pub(crate) ai_family: c_int,
    /// The peer's address (accepted, or connected to).
    pub(crate) peer: Option<(libc::sockaddr_storage, libc::socklen_t)>,
    /// What `evhttp_connection_get_addr` shows: the peer's address, all
    /// zero (family 0) before there is one, as in libevent.
    pub(crate) addr: libc::sockaddr_storage,
    /// The bufferevent does not close its socket when freed (no
    /// BEV_OPT_CLOSE_ON_FREE), so the connection closes it.
    pub(crate) close_fd: bool,
    /// The line being read, its memory kept from line to line.
    pub(crate) line: Vec<u8>,
}

/// The connection behind a pointer the http modules handed out or were
/// given back by C (the boundary contract: a live connection).
pub(crate) fn conn<'a>(c: *mut evhttp_connection) -> &'a mut evhttp_connection {
    // SAFETY: the http modules only pass live connections (module docs).
    unsafe { &mut *c }
}

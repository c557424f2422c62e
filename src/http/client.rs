//! Connections for C: the client constructors and settings, what a
//! program may ask of any connection (peer, base, bufferevent, close
//! callback, free), and `evhttp_make_request`/`evhttp_cancel_request`.

use std::ffi::{CStr, CString};
use std::os::raw::{c_char, c_int, c_void};
use std::ptr::null_mut;

use super::connection::{self as cx, conn, evhttp_connection, set_timeout};
use super::request_state::{self, req};
use super::structs::evhttp;
use super::*;
use crate::boundary::{arg, entry, FromC, Refusal};
use crate::bufferevent_api::evdns_base;
use crate::layout::bufferevent_struct::bufferevent;
use crate::layout::http_struct::*;
use crate::objects::event_base;

impl FromC<*mut evhttp_connection> for *mut evhttp_connection {
    unsafe fn from_c(c: *mut evhttp_connection) -> Result<Self, Refusal> {
        if c.is_null() {
            return Err(Refusal::Missing("connection"));
        }
        Ok(c)
    }
}

pub(crate) fn host_arg<'a>(address: *const c_char) -> Result<&'a [u8], Refusal> {
    if address.is_null() {
        return Err(Refusal::Missing("address"));
    }
    // SAFETY: a NUL-terminated string (the boundary contract).
    Ok(unsafe { CStr::from_ptr(address) }.to_bytes())
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_connection_base_bufferevent_new(
    base: *mut event_base,
    dnsbase: *mut evdns_base,
    bev: *mut bufferevent,
    address: *const c_char,
    port: u16,
) -> *mut evhttp_connection {
    entry("evhttp_connection_base_bufferevent_new", || {
        let host = host_arg(address)?;
        Ok(cx::new(base, dnsbase, bev, host, port))
    })
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_connection_base_new(
    base: *mut event_base,
    dnsbase: *mut evdns_base,
    address: *const c_char,
    port: u16,
) -> *mut evhttp_connection {
    entry("evhttp_connection_base_new", || {
        let host = host_arg(address)?;
        Ok(cx::new(base, dnsbase, null_mut(), host, port))
    })
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_connection_free(evcon: *mut evhttp_connection) {
    entry("evhttp_connection_free", || {
        let c: *mut evhttp_connection = arg!(evcon)?;
        cx::free(c);
        Ok(())
    })
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_connection_free_on_completion(evcon: *mut evhttp_connection) {
    entry("evhttp_connection_free_on_completion", || {
        let c: *mut evhttp_connection = arg!(evcon)?;
        conn(c).flags |= cx::CON_AUTOFREE;
        Ok(())
    })
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_connection_get_bufferevent(
    evcon: *mut evhttp_connection,
) -> *mut bufferevent {
    entry("evhttp_connection_get_bufferevent", || {
        let c: *mut evhttp_connection = arg!(evcon)?;
        Ok(conn(c).bufev)
    })
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_connection_get_server(
    evcon: *mut evhttp_connection,
) -> *mut evhttp {
    entry("evhttp_connection_get_server", || {
        let c: *mut evhttp_connection = arg!(evcon)?;
        Ok(conn(c).server)
    })
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_connection_get_base(
    evcon: *mut evhttp_connection,
) -> *mut event_base {
    entry("evhttp_connection_get_base", || {
        let c: *mut evhttp_connection = arg!(evcon)?;
        Ok(conn(c).base)
    })
}

/// The peer's host (numeric for a server's connection) and port; the
/// string belongs to the connection.
#[no_mangle]
pub unsafe extern "C" fn evhttp_connection_get_peer(
    evcon: *mut evhttp_connection,
    address: *mut *mut c_char,
    port: *mut u16,
) {
    entry("evhttp_connection_get_peer", || {
        let c: *mut evhttp_connection = arg!(evcon)?;
        // SAFETY: NULL or writable out-pointers (the contract).
        unsafe {
            if let Some(a) = address.as_mut() {
                *a = conn(c).address.as_ptr().cast_mut();
            }
            if let Some(p) = port.as_mut() {
                *p = conn(c).port;
            }
        }
        Ok(())
    })
}

/// The address connected to (or accepted from); family 0 before that.
#[no_mangle]
pub unsafe extern "C" fn evhttp_connection_get_addr(
    evcon: *mut evhttp_connection,
) -> *const libc::sockaddr {
    entry("evhttp_connection_get_addr", || {
        let c: *mut evhttp_connection = arg!(evcon)?;
        Ok((&conn(c).addr as *const libc::sockaddr_storage).cast())
    })
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_connection_set_closecb(
    evcon: *mut evhttp_connection,
    cb: Option<unsafe extern "C" fn(*mut evhttp_connection, *mut c_void)>,
    cbarg: *mut c_void,
) {
    entry("evhttp_connection_set_closecb", || {
        let c: *mut evhttp_connection = arg!(evcon)?;
        conn(c).closecb = cb;
        conn(c).closecb_arg = cbarg;
        Ok(())
    })
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_connection_set_local_address(
    evcon: *mut evhttp_connection,
    address: *const c_char,
) {
    entry("evhttp_connection_set_local_address", || {
        let c: *mut evhttp_connection = arg!(evcon)?;
        let a: &CStr = arg!(address)?;
        conn(c).bind_address = Some(CString::from(a));
        Ok(())
    })
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_connection_set_local_port(
    evcon: *mut evhttp_connection,
    port: u16,
) {
    entry("evhttp_connection_set_local_port", || {
        let c: *mut evhttp_connection = arg!(evcon)?;
        conn(c).bind_port = port;
        Ok(())
    })
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_connection_set_family(
    evcon: *mut evhttp_connection,
    family: c_int,
) {
    entry("evhttp_connection_set_family", || {
        let c: *mut evhttp_connection = arg!(evcon)?;
        conn(c).ai_family = family;
        Ok(())
    })
}

/// 0, or 1 for flags other than EVHTTP_CON_REUSE_CONNECTED_ADDR and
/// EVHTTP_CON_READ_ON_WRITE_ERROR.
#[no_mangle]
pub unsafe extern "C" fn evhttp_connection_set_flags(
    evcon: *mut evhttp_connection,
    flags: c_int,
) -> c_int {
    entry("evhttp_connection_set_flags", || {
        let c: *mut evhttp_connection = arg!(evcon)?;
        let avail = cx::EVHTTP_CON_REUSE_CONNECTED_ADDR | cx::EVHTTP_CON_READ_ON_WRITE_ERROR;
        if flags & !avail != 0 || flags > cx::EVHTTP_CON_PUBLIC_FLAGS_END {
            return Ok(1);
        }
        conn(c).flags = (conn(c).flags & !avail) | flags;
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_connection_set_max_headers_size(
    evcon: *mut evhttp_connection,
    size: isize,
) {
    entry("evhttp_connection_set_max_headers_size", || {
        let c: *mut evhttp_connection = arg!(evcon)?;
        conn(c).max_headers_size = usize::try_from(size).unwrap_or(usize::MAX);
        Ok(())
    })
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_connection_set_max_body_size(
    evcon: *mut evhttp_connection,
    size: isize,
) {
    entry("evhttp_connection_set_max_body_size", || {
        let c: *mut evhttp_connection = arg!(evcon)?;
        conn(c).max_body_size = u64::try_from(size).unwrap_or(u64::MAX);
        Ok(())
    })
}

/// -1 restores the defaults.
#[no_mangle]
pub unsafe extern "C" fn evhttp_connection_set_timeout(
    evcon: *mut evhttp_connection,
    timeout_in_secs: c_int,
) {
    entry("evhttp_connection_set_timeout", || {
        let c: *mut evhttp_connection = arg!(evcon)?;
        let tv = (timeout_in_secs != -1).then_some(libc::timeval {
            tv_sec: timeout_in_secs.into(),
            tv_usec: 0,
        });
        set_timeout(c, tv);
        Ok(())
    })
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_connection_set_timeout_tv(
    evcon: *mut evhttp_connection,
    tv: *const libc::timeval,
) {
    entry("evhttp_connection_set_timeout_tv", || {
        let c: *mut evhttp_connection = arg!(evcon)?;
        // SAFETY: NULL or a readable timeval (the contract).
        set_timeout(c, unsafe { tv.as_ref() }.copied());
        Ok(())
    })
}

/// NULL restores the default (2 s).
#[no_mangle]
pub unsafe extern "C" fn evhttp_connection_set_initial_retry_tv(
    evcon: *mut evhttp_connection,
    tv: *const libc::timeval,
) {
    entry("evhttp_connection_set_initial_retry_tv", || {
        let c: *mut evhttp_connection = arg!(evcon)?;
        // SAFETY: NULL or a readable timeval (the contract).
        conn(c).initial_retry = unsafe { tv.as_ref() }.copied().unwrap_or(libc::timeval {
            tv_sec: 2,
            tv_usec: 0,
        });
        Ok(())
    })
}

/// -1 retries forever.
#[no_mangle]
pub unsafe extern "C" fn evhttp_connection_set_retries(
    evcon: *mut evhttp_connection,
    retry_max: c_int,
) {
    entry("evhttp_connection_set_retries", || {
        let c: *mut evhttp_connection = arg!(evcon)?;
        conn(c).retry_max = retry_max;
        Ok(())
    })
}

/// Queues `req` on the connection (connecting if need be); its callback
/// gets the response.
#[no_mangle]
pub unsafe extern "C" fn evhttp_make_request(
    evcon: *mut evhttp_connection,
    req: *mut evhttp_request,
    type_: evhttp_cmd_type,
    uri: *const c_char,
) -> c_int {
    entry("evhttp_make_request", || {
        let c: *mut evhttp_connection = arg!(evcon)?;
        let r: *mut evhttp_request = arg!(req)?;
        let u: &CStr = arg!(uri)?;
        let q = self::req(r);
        q.kind = EVHTTP_REQUEST;
        q.type_ = type_;
        crate::log_api::mem_free(q.uri.cast());
        q.uri = crate::layout::keyvalq_struct::c_bytes(u.to_bytes());
        if q.major == 0 && q.minor == 0 {
            q.major = 1;
            q.minor = 1;
        }
        if !q.evcon.is_null() {
            return Err(Refusal::Misuse("request is already on a connection"));
        }
        q.evcon = c;
        conn(c).requests.push_back(r);
        if conn(c).retry_cnt != 0 {
            return Ok(0);
        }
        if !cx::is_connected(c) {
            let res = cx::connect(c);
            if res != 0 {
                conn(c).requests.retain(|&x| x != r);
            }
            return Ok(res);
        }
        if conn(c).requests.front() == Some(&r) {
            cx::dispatch(c);
        }
        Ok(0)
    })
}

/// Cancels a queued or running request; its callback is not called.
#[no_mangle]
pub unsafe extern "C" fn evhttp_cancel_request(req: *mut evhttp_request) {
    entry("evhttp_cancel_request", || {
        let r: *mut evhttp_request = arg!(req)?;
        let c = self::req(r).evcon;
        if !c.is_null() {
            if conn(c).requests.front() == Some(&r) {
                cx::fail(c, EVREQ_HTTP_REQUEST_CANCEL);
                return Ok(());
            }
            conn(c).requests.retain(|&x| x != r);
        }
        request_state::free_auto(r);
        Ok(())
    })
}

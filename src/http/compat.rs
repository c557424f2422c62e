//! `event2/http_compat.h`: the 1.4 constructors, on the current base.

use std::ffi::CStr;
use std::os::raw::c_char;
use std::ptr::null_mut;

use super::connection::{self as cx, conn, evhttp_connection, State};
use super::server;
use super::structs::evhttp;
use crate::boundary::{arg, entry, Refusal};
use crate::objects::event_base;

/// The 1.4 server on the current base, bound to `address:port`.
#[no_mangle]
pub unsafe extern "C" fn evhttp_start(address: *const c_char, port: u16) -> *mut evhttp {
    entry("evhttp_start", || {
        let h = server::new_object(crate::legacy::current_base());
        let addr: Option<&CStr> = arg!(address).ok();
        if server::bind(h, addr, port).is_null() {
            // SAFETY: just made, nothing bound.
            drop(unsafe { Box::from_raw(h) });
            return Err(Refusal::Quiet);
        }
        Ok(h)
    })
}

/// The 1.4 constructor, on the current base.
#[no_mangle]
pub unsafe extern "C" fn evhttp_connection_new(
    address: *const c_char,
    port: u16,
) -> *mut evhttp_connection {
    entry("evhttp_connection_new", || {
        let host = super::client::host_arg(address)?;
        Ok(cx::new(null_mut(), null_mut(), null_mut(), host, port))
    })
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_connection_set_base(
    evcon: *mut evhttp_connection,
    base: *mut event_base,
) {
    entry("evhttp_connection_set_base", || {
        let c: *mut evhttp_connection = arg!(evcon)?;
        if conn(c).state != State::Disconnected {
            return Err(Refusal::Misuse("connection is in use"));
        }
        conn(c).base = base;
        // SAFETY: the connection's live bufferevent; `base` live (contract).
        unsafe { crate::bufferevent_api::bufferevent_base_set(base, conn(c).bufev) };
        Ok(())
    })
}

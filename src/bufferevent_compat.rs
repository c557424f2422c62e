//! `event2/bufferevent_compat.h`: the libevent 1.4 bufferevent calls.

use std::os::raw::{c_int, c_void};

use crate::boundary::{arg, entry, Refusal};
use crate::bufferevent::{set, sock, BevRef};
use crate::layout::{bufferevent, bufferevent_data_cb, bufferevent_event_cb};
use crate::legacy::or_current;
use crate::util::evutil_socket_t;

/// A socket bufferevent on the current base (`event_init`'s), as libevent
/// 1.4 made them; `bufferevent_base_set` may move it.
#[no_mangle]
pub unsafe extern "C" fn bufferevent_new(
    fd: evutil_socket_t,
    readcb: bufferevent_data_cb,
    writecb: bufferevent_data_cb,
    errorcb: bufferevent_event_cb,
    cbarg: *mut c_void,
) -> *mut bufferevent {
    entry("bufferevent_new", || {
        if or_current(std::ptr::null_mut()).is_null() {
            return Err(Refusal::Misuse("no event_base: event_init was not called"));
        }
        let b = sock::new(std::ptr::null_mut(), fd, 0)?;
        set!(b, readcb = readcb);
        set!(b, writecb = writecb);
        set!(b, errorcb = errorcb);
        set!(b, cbarg = cbarg);
        Ok(b.as_ptr())
    })
}

/// Whole-second timeouts; 0 means none.
#[no_mangle]
pub unsafe extern "C" fn bufferevent_settimeout(
    bufev: *mut bufferevent,
    timeout_read: c_int,
    timeout_write: c_int,
) {
    entry("bufferevent_settimeout", || {
        let _: BevRef = arg!(bufev)?;
        let tv = |s: c_int| libc::timeval {
            tv_sec: s.into(),
            tv_usec: 0,
        };
        let (r, w) = (tv(timeout_read), tv(timeout_write));
        let rp = if timeout_read != 0 {
            &r as *const _
        } else {
            std::ptr::null()
        };
        let wp = if timeout_write != 0 {
            &w as *const _
        } else {
            std::ptr::null()
        };
        // SAFETY: a checked bufferevent and two timevals on our stack.
        unsafe { crate::bufferevent_api::bufferevent_set_timeouts(bufev, rp, wp) };
        Ok(())
    })
}

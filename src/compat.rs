//! `event2/event_compat.h`: the 1.4 API on an implicit "current" base
//! (its state is in `legacy`).

use std::os::raw::{c_char, c_int, c_short, c_void};
use std::ptr::null_mut;

use crate::base_api::{
    event_base_get_method, event_base_loop, event_base_loopbreak, event_base_loopexit,
    event_base_new, event_base_once, event_base_priority_init,
};
use crate::boundary::{entry, Refusal};
use crate::event_api::{event_assign, event_callback_fn};
use crate::layout::event;
use crate::legacy::{current_base, set_current_base};
use crate::objects::event_base;
use crate::util::evutil_socket_t;

#[no_mangle]
pub extern "C" fn event_init() -> *mut event_base {
    entry("event_init", || {
        let base = event_base_new();
        if base.is_null() {
            return Err(Refusal::Misuse("unable to construct event_base"));
        }
        set_current_base(base);
        Ok(base)
    })
}

// The calls below pass their arguments on with the current base, under the
// same contract they were given.

#[no_mangle]
pub extern "C" fn event_dispatch() -> c_int {
    event_loop(0)
}

#[no_mangle]
pub extern "C" fn event_loop(flags: c_int) -> c_int {
    // SAFETY: the current base is NULL or one librel returned.
    unsafe { event_base_loop(current_base(), flags) }
}

#[no_mangle]
pub unsafe extern "C" fn event_loopexit(tv: *const libc::timeval) -> c_int {
    // SAFETY: forwarded under the boundary contract.
    unsafe { event_base_loopexit(current_base(), tv) }
}

#[no_mangle]
pub extern "C" fn event_loopbreak() -> c_int {
    // SAFETY: the current base is NULL or one librel returned.
    unsafe { event_base_loopbreak(current_base()) }
}

#[no_mangle]
pub unsafe extern "C" fn event_once(
    fd: evutil_socket_t,
    events: c_short,
    callback: event_callback_fn,
    arg: *mut c_void,
    tv: *const libc::timeval,
) -> c_int {
    // SAFETY: forwarded under the boundary contract.
    unsafe { event_base_once(current_base(), fd, events, callback, arg, tv) }
}

#[no_mangle]
pub extern "C" fn event_get_method() -> *const c_char {
    // SAFETY: the current base is NULL or one librel returned.
    unsafe { event_base_get_method(current_base()) }
}

#[no_mangle]
pub extern "C" fn event_priority_init(n: c_int) -> c_int {
    // SAFETY: the current base is NULL or one librel returned.
    unsafe { event_base_priority_init(current_base(), n) }
}

#[no_mangle]
pub unsafe extern "C" fn event_set(
    ev: *mut event,
    fd: evutil_socket_t,
    events: c_short,
    callback: event_callback_fn,
    arg: *mut c_void,
) {
    // SAFETY: forwarded under the boundary contract; NULL means the current base.
    unsafe { event_assign(ev, null_mut(), fd, events, callback, arg) };
}

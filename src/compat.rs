//! `event2/event_compat.h`: the 1.4 API on an implicit "current" base, and
//! 1.4's `event_sigcb`/`event_gotsig` hooks (pyevent 0.3 raises Python
//! exceptions through them).

use std::os::raw::{c_char, c_int, c_short, c_void};
use std::ptr::{addr_of, addr_of_mut, null_mut};

use super::base_api::{
    event_base_get_method, event_base_loop, event_base_loopbreak, event_base_loopexit,
    event_base_new, event_base_once, event_base_priority_init,
};
use super::event_api::{event_assign, event_callback_fn};
use super::event_base;
use super::layout::event;
use super::util::evutil_socket_t;
use rel_core::log::warn;

/// The base of the 1.4 calls: set by `event_init`.
#[no_mangle]
pub static mut event_global_current_base_: *mut event_base = null_mut();

/// 1.4: called by the loop while `event_gotsig` is set; -1 ends the loop
/// with -1 (errno EINTR).
#[no_mangle]
pub static mut event_sigcb: Option<unsafe extern "C" fn() -> c_int> = None;

/// `volatile sig_atomic_t` in the header, as in 1.4 (build.rs renames it).
/// cbindgen:no-export
type sig_atomic_t = c_int;

/// 1.4: set (by a callback or signal handler) to make the loop consult
/// `event_sigcb` after the running callback.
#[no_mangle]
pub static mut event_gotsig: sig_atomic_t = 0;

pub(crate) fn current_base() -> *mut event_base {
    // SAFETY: a plain pointer-sized global, read as C code would.
    unsafe { addr_of!(event_global_current_base_).read_volatile() }
}

/// Clears `current_base` if it is the base being freed.
pub(crate) fn forget_base(base: *mut event_base) {
    if current_base() == base {
        // SAFETY: as above, written as C code would.
        unsafe { addr_of_mut!(event_global_current_base_).write_volatile(null_mut()) };
    }
}

pub(crate) fn gotsig_raised() -> bool {
    // SAFETY: an int global the program may set from anywhere.
    unsafe { addr_of!(event_gotsig).read_volatile() != 0 }
}

/// 1.4's check at the top of each pass: true ends the loop with -1.
pub(crate) fn sigcb_aborts() -> bool {
    while gotsig_raised() {
        // SAFETY: globals shared with the program, accessed as C code would.
        unsafe {
            addr_of_mut!(event_gotsig).write_volatile(0);
            if let Some(cb) = addr_of!(event_sigcb).read_volatile() {
                if cb() == -1 {
                    *libc::__errno_location() = libc::EINTR;
                    return true;
                }
            }
        }
    }
    false
}

#[no_mangle]
pub extern "C" fn event_init() -> *mut event_base {
    let base = event_base_new();
    if base.is_null() {
        warn("event_init: unable to construct event_base");
    } else {
        // SAFETY: see current_base().
        unsafe { addr_of_mut!(event_global_current_base_).write_volatile(base) };
    }
    base
}

#[no_mangle]
pub extern "C" fn event_dispatch() -> c_int {
    event_loop(0)
}

#[no_mangle]
pub extern "C" fn event_loop(flags: c_int) -> c_int {
    // SAFETY: the current base or NULL (refused inside).
    unsafe { event_base_loop(current_base(), flags) }
}

#[no_mangle]
pub unsafe extern "C" fn event_loopexit(tv: *const libc::timeval) -> c_int {
    // SAFETY: forwarded caller pointer.
    unsafe { event_base_loopexit(current_base(), tv) }
}

#[no_mangle]
pub extern "C" fn event_loopbreak() -> c_int {
    // SAFETY: the current base or NULL (refused inside).
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
    // SAFETY: forwarded caller pointers.
    unsafe { event_base_once(current_base(), fd, events, callback, arg, tv) }
}

#[no_mangle]
pub extern "C" fn event_get_method() -> *const c_char {
    // SAFETY: the current base or NULL (refused inside).
    unsafe { event_base_get_method(current_base()) }
}

#[no_mangle]
pub extern "C" fn event_priority_init(n: c_int) -> c_int {
    // SAFETY: the current base or NULL (refused inside).
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
    // SAFETY: forwarded caller pointers; a NULL base means current_base.
    unsafe { event_assign(ev, null_mut(), fd, events, callback, arg) };
}

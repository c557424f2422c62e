//! The 1.4 API's process-wide state: the "current" base that `event_init`
//! sets and calls without a base use, and the `event_sigcb`/`event_gotsig`
//! pair through which pyevent 0.3 raises Python exceptions from the loop.
//! Declared in `event2/event_compat.h`.

use std::os::raw::c_int;
use std::ptr::{addr_of, addr_of_mut, null_mut};

use crate::objects::event_base;

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

// The globals are C's: the program may read and write them at any time, so
// librel accesses them as C would, with volatile reads and writes of the
// whole value, never through a reference.

pub(crate) fn current_base() -> *mut event_base {
    // SAFETY: a pointer-sized global, read as C code would (see above).
    unsafe { addr_of!(event_global_current_base_).read_volatile() }
}

pub(crate) fn set_current_base(base: *mut event_base) {
    // SAFETY: as above, written as C code would.
    unsafe { addr_of_mut!(event_global_current_base_).write_volatile(base) };
}

/// The base a call means: NULL stands for the current base, as in libevent.
pub(crate) fn or_current(base: *mut event_base) -> *mut event_base {
    if base.is_null() {
        current_base()
    } else {
        base
    }
}

/// Clears the current base if it is the base being freed.
pub(crate) fn forget_base(base: *mut event_base) {
    if current_base() == base {
        set_current_base(null_mut());
    }
}

pub(crate) fn gotsig_raised() -> bool {
    // SAFETY: an int global the program may set from anywhere (see above).
    unsafe { addr_of!(event_gotsig).read_volatile() != 0 }
}

/// 1.4's check at the top of each pass: true ends the loop with -1.
pub(crate) fn sigcb_aborts() -> bool {
    while gotsig_raised() {
        // SAFETY: globals shared with the program, accessed as C would.
        let sigcb = unsafe {
            addr_of_mut!(event_gotsig).write_volatile(0);
            addr_of!(event_sigcb).read_volatile()
        };
        // SAFETY: a callback the program installed, with its C signature.
        if sigcb.is_some_and(|cb| unsafe { cb() } == -1) {
            // SAFETY: the calling thread's errno.
            unsafe { *libc::__errno_location() = libc::EINTR };
            return true;
        }
    }
    false
}

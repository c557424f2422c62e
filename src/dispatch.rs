//! How the loop calls C: each callback with its fd, result and argument,
//! honouring 1.4's `event_gotsig`/`event_sigcb` between calls.

use std::os::raw::{c_int, c_short, c_void};

use rel_core::base::Dispatch;
use rel_core::event::Callback;

use crate::legacy::{gotsig_raised, sigcb_aborts};

/// A C callback as the core keeps it: the function's address and the
/// argument, two opaque words.
pub(crate) type CallbackFn = unsafe extern "C" fn(c_int, c_short, *mut c_void);

pub(crate) fn core_callback(func: CallbackFn, arg: *mut c_void) -> Callback {
    Callback {
        func: func as usize,
        arg: arg as usize,
    }
}

/// Calls a callback made by [`core_callback`] (the only kind the C layer
/// hands the core).
pub(crate) fn call(callback: Callback, fd: c_int, what: c_short) {
    // SAFETY: `func` is the address of a `CallbackFn` (see core_callback).
    let func = unsafe { std::mem::transmute::<usize, CallbackFn>(callback.func) };
    // SAFETY: a callback and argument the program registered together,
    // called with the C signature it was registered with.
    unsafe { func(fd, what, callback.arg as *mut c_void) }
}

/// Calls one C callback; false when 1.4's `event_gotsig` asks to end the pass.
pub(crate) fn call_c(callback: Callback, fd: c_int, res: u16) -> bool {
    call(callback, fd, res as c_short);
    !gotsig_raised()
}

/// The dispatcher of `event_base_loop`: every event runs a C callback.
pub(crate) struct CallC;

impl Dispatch for CallC {
    fn call(&mut self, callback: Callback, fd: c_int, res: u16) -> bool {
        call_c(callback, fd, res)
    }

    fn abort_requested(&mut self) -> bool {
        sigcb_aborts()
    }
}

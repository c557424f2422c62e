//! How the loop calls C: each callback with its fd, result and argument,
//! honouring 1.4's `event_gotsig`/`event_sigcb` between calls.

use std::os::raw::{c_int, c_short, c_void};

use rel_core::base::Dispatch;
use rel_core::state::Callback;

use crate::legacy::{gotsig_raised, sigcb_aborts};

/// Calls one C callback; false when 1.4's `event_gotsig` asks to end the pass.
pub(crate) fn call_c(callback: Callback, fd: c_int, res: u16) -> bool {
    // SAFETY: a callback and argument the program registered together,
    // called with the C signature it was registered with.
    unsafe { (callback.func)(fd, res as c_short, callback.arg as *mut c_void) };
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

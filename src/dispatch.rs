//! How the loop calls C: each callback with its fd, result and argument,
//! honouring 1.4's `event_gotsig`/`event_sigcb` between calls.

use std::os::raw::{c_int, c_short};

use rel_core::base::Dispatch;
use rel_core::event::Callback;

use crate::legacy::{gotsig_raised, sigcb_aborts};
use crate::objects::call;

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

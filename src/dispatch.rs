//! How the loop calls C: each callback with its fd, result and argument,
//! honouring 1.4's `event_gotsig`/`event_sigcb` between calls.

use std::os::raw::{c_int, c_short, c_void};

use rel_core::base::Dispatch;
use rel_core::event::{Callback, Current, Key};

use crate::layout::event;
use crate::legacy::{gotsig_raised, sigcb_aborts};
use crate::log_api::mem_free;
use crate::objects::{call, read_current, EventRef};

/// Calls one C callback; false when 1.4's `event_gotsig` asks to end the pass.
pub(crate) fn call_c(callback: Callback, fd: c_int, res: u16) -> bool {
    call(callback, fd, res as c_short);
    !gotsig_raised()
}

/// A finalizer (`event_finalize_callback_fn`).
pub(crate) type FinalizeFn = unsafe extern "C" fn(*mut event, *mut c_void);

/// A finalizer as the core keeps it: the function's address, and whether
/// the event is freed after it (`event_free_finalize`).
pub(crate) fn finalizer_callback(func: FinalizeFn, free: bool) -> Callback {
    Callback {
        func: func as usize,
        arg: usize::from(free),
    }
}

/// Runs a finalizer made by [`finalizer_callback`] for the caller's event.
pub(crate) fn run_finalizer(event: Key, finalizer: Callback) {
    let ev = EventRef::from_key(event);
    // SAFETY: `func` is the address of a `FinalizeFn` (finalizer_callback).
    let func = unsafe { std::mem::transmute::<usize, FinalizeFn>(finalizer.func) };
    // SAFETY: the event is still the caller's, as event_finalize requires,
    // and `func` the finalizer it gave; the finalizer may free the event, so
    // nothing of it is read afterwards.
    unsafe { func(ev.key() as *mut event, ev.arg()) };
    if finalizer.arg != 0 {
        mem_free(event as *mut c_void);
    }
}

/// The dispatcher of `event_base_loop`: every event runs a C callback.
pub(crate) struct CallC;

impl Dispatch for CallC {
    fn call(&mut self, callback: Callback, fd: c_int, res: u16) -> bool {
        call_c(callback, fd, res)
    }

    fn call_event(&mut self, key: Key, res: u16, _: fn(Key) -> Current) -> bool {
        let c = read_current(key);
        call_c(c.callback, c.fd, res)
    }

    fn finalize(&mut self, event: Key, finalizer: Callback) {
        run_finalizer(event, finalizer);
    }

    fn abort_requested(&mut self) -> bool {
        sigcb_aborts()
    }
}

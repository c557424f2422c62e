//! Per-event calls of `event2/event.h`: assign/new/free, add/del/active,
//! pending and the accessors.

use std::os::raw::{c_char, c_int, c_short, c_void};
use std::ptr::null_mut;

use super::layout::{event, EVLIST_FINALIZING};
use super::log_api::{mem_alloc, mem_free};
use super::util::{ev_uint32_t, evutil_socket_t};
use super::{core_callback, event_base, guard, refused, timeout_arg, to_timeval, EventPtr};
use rel_core::base::DelMode;
use rel_core::clock;
use rel_core::event::{ev, Action, Callback};
use rel_core::log::warn;

pub const EV_TIMEOUT: c_short = 0x01;
pub const EV_READ: c_short = 0x02;
pub const EV_WRITE: c_short = 0x04;
pub const EV_SIGNAL: c_short = 0x08;
pub const EV_PERSIST: c_short = 0x10;
pub const EV_ET: c_short = 0x20;
pub const EV_FINALIZE: c_short = 0x40;
pub const EV_CLOSED: c_short = 0x80;

/// Also `LIBEVENT_VERSION` in headers/event.h (cbindgen cannot emit strings).
const LIBEVENT_VERSION: &std::ffi::CStr = c"2.1.12-stable";
pub const LIBEVENT_VERSION_NUMBER: u32 = 0x02010c00;

pub type event_callback_fn = Option<unsafe extern "C" fn(evutil_socket_t, c_short, *mut c_void)>;
pub type event_finalize_callback_fn = Option<unsafe extern "C" fn(*mut event, *mut c_void)>;

/// libevent's closure kinds, kept in `evcb_closure` for programs that look.
const CLOSURE_EVENT: u8 = 0;
const CLOSURE_SIGNAL: u8 = 1;
const CLOSURE_PERSIST: u8 = 2;

/// Its address is the marker `event_self_cbarg()` returns.
static SELF_CBARG: u8 = 0;

#[no_mangle]
pub extern "C" fn event_self_cbarg() -> *mut c_void {
    (&SELF_CBARG as *const u8).cast_mut().cast()
}

#[no_mangle]
pub unsafe extern "C" fn event_assign(
    ev: *mut event,
    base: *mut event_base,
    fd: evutil_socket_t,
    events: c_short,
    callback: event_callback_fn,
    arg: *mut c_void,
) -> c_int {
    if ev.is_null() {
        warn("event_assign: no event given");
        return -1;
    }
    guard(-1, || {
        let e = EventPtr(ev);
        let base = if base.is_null() {
            super::compat::current_base()
        } else {
            base
        };
        let io = (events as u16) & ev::IO;
        if events as u16 & ev::SIGNAL != 0 && io != 0 {
            warn("event_assign: EV_SIGNAL is not compatible with EV_READ, EV_WRITE or EV_CLOSED");
            return -1;
        }
        let arg = if arg == event_self_cbarg() {
            ev.cast()
        } else {
            arg
        };
        // SAFETY: a non-null base pointer from the caller or current_base.
        let npri = unsafe { event_base::from_ptr(base, "event_assign") }
            .map_or(1, |b| b.core.npriorities());
        // SAFETY: the caller hands us event memory to (re)initialise.
        unsafe { ev.write(std::mem::zeroed()) };
        e.mark_assigned();
        let m = e.ev_mut();
        m.ev_base = base;
        m.ev_fd = fd;
        m.ev_events = events;
        let cb = &mut m.ev_evcallback;
        cb.evcb_cb_union.evcb_callback = callback;
        cb.evcb_arg = arg;
        cb.evcb_pri = (npri / 2) as u8;
        cb.evcb_closure = if events as u16 & ev::SIGNAL != 0 {
            CLOSURE_SIGNAL
        } else if events as u16 & ev::PERSIST != 0 {
            CLOSURE_PERSIST
        } else {
            CLOSURE_EVENT
        };
        0
    })
}

#[no_mangle]
pub unsafe extern "C" fn event_new(
    base: *mut event_base,
    fd: evutil_socket_t,
    events: c_short,
    callback: event_callback_fn,
    arg: *mut c_void,
) -> *mut event {
    guard(null_mut(), || {
        let ev: *mut event = mem_alloc(std::mem::size_of::<event>()).cast();
        if ev.is_null() {
            return null_mut();
        }
        let arg = if arg == event_self_cbarg() {
            ev.cast()
        } else {
            arg
        };
        // SAFETY: fresh memory of the right size for the event.
        if unsafe { event_assign(ev, base, fd, events, callback, arg) } < 0 {
            mem_free(ev.cast());
            return null_mut();
        }
        ev
    })
}

#[no_mangle]
pub unsafe extern "C" fn event_free(ev: *mut event) {
    guard((), || {
        // SAFETY: forwarded caller pointer.
        let Some(e) = (unsafe { EventPtr::assigned(ev, "event_free") }) else {
            return;
        };
        if let Some(b) = e.base("event_free") {
            b.core.del(e.key(), &e, DelMode::Default);
        }
        // Unmark it so a stale pointer is refused rather than trusted.
        e.unmark();
        mem_free(ev.cast());
    })
}

#[no_mangle]
pub unsafe extern "C" fn event_add(ev: *mut event, timeout: *const libc::timeval) -> c_int {
    guard(-1, || {
        // SAFETY: forwarded caller pointers.
        let Some(e) = (unsafe { EventPtr::assigned(ev, "event_add") }) else {
            return -1;
        };
        if e.is_finalizing() {
            return -1;
        }
        let Some(b) = e.base("event_add") else {
            return -1;
        };
        let Ok(timeout) = (unsafe { timeout_arg(timeout, "event_add") }) else {
            return -1;
        };
        if timeout.is_some() {
            e.set_persist_interval(timeout.filter(|d| !d.is_zero()));
        }
        match b.core.add(&e.spec(), &e, timeout) {
            Ok(()) => 0,
            Err(e) => refused("event_add", e),
        }
    })
}

unsafe fn del_with(ev: *mut event, mode: DelMode, func: &str) -> c_int {
    guard(-1, || {
        // SAFETY: forwarded caller pointer.
        let Some(e) = (unsafe { EventPtr::assigned(ev, func) }) else {
            return -1;
        };
        if e.ev().ev_base.is_null() {
            return -1; // never given a base, or its base was freed: nothing pending
        }
        let Some(b) = e.base(func) else {
            return -1;
        };
        b.core.del(e.key(), &e, mode);
        0
    })
}

#[no_mangle]
pub unsafe extern "C" fn event_del(ev: *mut event) -> c_int {
    // SAFETY: forwarded caller pointer.
    unsafe { del_with(ev, DelMode::Default, "event_del") }
}

#[no_mangle]
pub unsafe extern "C" fn event_del_block(ev: *mut event) -> c_int {
    // SAFETY: forwarded caller pointer.
    unsafe { del_with(ev, DelMode::Block, "event_del_block") }
}

#[no_mangle]
pub unsafe extern "C" fn event_del_noblock(ev: *mut event) -> c_int {
    // SAFETY: forwarded caller pointer.
    unsafe { del_with(ev, DelMode::NoBlock, "event_del_noblock") }
}

#[no_mangle]
pub unsafe extern "C" fn event_remove_timer(ev: *mut event) -> c_int {
    guard(-1, || {
        // SAFETY: forwarded caller pointer.
        let Some(e) = (unsafe { EventPtr::assigned(ev, "event_remove_timer") }) else {
            return -1;
        };
        let Some(b) = e.base("event_remove_timer") else {
            return -1;
        };
        b.core.remove_timer(e.key(), &e);
        e.set_persist_interval(None);
        0
    })
}

#[no_mangle]
pub unsafe extern "C" fn event_active(ev: *mut event, res: c_int, ncalls: c_short) {
    guard((), || {
        // SAFETY: forwarded caller pointer.
        let Some(e) = (unsafe { EventPtr::assigned(ev, "event_active") }) else {
            return;
        };
        if e.is_finalizing() {
            return;
        }
        if let Some(b) = e.base("event_active") {
            b.core
                .activate(&e.spec(), &e, res as u16, ncalls.max(1) as u32);
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn event_pending(
    ev: *const event,
    events: c_short,
    tv: *mut libc::timeval,
) -> c_int {
    guard(0, || {
        // SAFETY: forwarded caller pointer.
        let Some(e) = (unsafe { EventPtr::assigned(ev, "event_pending") }) else {
            return 0;
        };
        if e.ev().ev_base.is_null() {
            return 0;
        }
        let Some(b) = e.base("event_pending") else {
            return 0;
        };
        let p = b.core.pending(e.key(), &e);
        let asked = events as u16 & (ev::TIMEOUT | ev::IO | ev::SIGNAL);
        if let (Some(deadline), false, true) = (p.deadline, tv.is_null(), asked & ev::TIMEOUT != 0)
        {
            // SAFETY: non-null out-pointer from the caller.
            unsafe { *tv = to_timeval(clock::mono_to_wall(deadline)) };
        }
        c_int::from(p.what & asked)
    })
}

/// Marks a non-pending event as never assigned (libevent's debug-mode call).
#[no_mangle]
pub unsafe extern "C" fn event_debug_unassign(ev: *mut event) {
    guard((), || {
        // SAFETY: forwarded caller pointer.
        let Some(e) = (unsafe { EventPtr::assigned(ev, "event_debug_unassign") }) else {
            return;
        };
        if e.is_pending("event_debug_unassign") {
            warn("event_debug_unassign: event is pending");
        } else {
            e.unmark();
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn event_initialized(ev: *const event) -> c_int {
    // SAFETY: a non-null caller pointer; only the event's own bytes are read.
    guard(0, || {
        c_int::from(!ev.is_null() && EventPtr(ev as *mut event).is_assigned())
    })
}

/// Reads a field of the caller's event, or logs and returns `default` for NULL.
unsafe fn field<T>(ev: *const event, func: &str, default: T, get: impl FnOnce(&event) -> T) -> T {
    if ev.is_null() {
        super::refuse(func, "no event given");
        return default;
    }
    // SAFETY: non-null pointer to the caller's event.
    get(unsafe { &*ev })
}

#[no_mangle]
pub unsafe extern "C" fn event_get_fd(ev: *const event) -> evutil_socket_t {
    // SAFETY: forwarded caller pointer.
    unsafe { field(ev, "event_get_fd", -1, |e| e.ev_fd) }
}

#[no_mangle]
pub unsafe extern "C" fn event_get_base(ev: *const event) -> *mut event_base {
    // SAFETY: forwarded caller pointer.
    unsafe { field(ev, "event_get_base", null_mut(), |e| e.ev_base) }
}

#[no_mangle]
pub unsafe extern "C" fn event_get_events(ev: *const event) -> c_short {
    // SAFETY: forwarded caller pointer.
    unsafe { field(ev, "event_get_events", 0, |e| e.ev_events) }
}

#[no_mangle]
pub unsafe extern "C" fn event_get_callback(ev: *const event) -> event_callback_fn {
    // SAFETY: forwarded caller pointer; the callback variant is the one we write.
    unsafe {
        field(ev, "event_get_callback", None, |e| {
            e.ev_evcallback.evcb_cb_union.evcb_callback
        })
    }
}

#[no_mangle]
pub unsafe extern "C" fn event_get_callback_arg(ev: *const event) -> *mut c_void {
    // SAFETY: forwarded caller pointer.
    unsafe {
        field(ev, "event_get_callback_arg", null_mut(), |e| {
            e.ev_evcallback.evcb_arg
        })
    }
}

#[no_mangle]
pub unsafe extern "C" fn event_get_priority(ev: *const event) -> c_int {
    // SAFETY: forwarded caller pointer.
    unsafe {
        field(ev, "event_get_priority", -1, |e| {
            e.ev_evcallback.evcb_pri.into()
        })
    }
}

#[no_mangle]
pub unsafe extern "C" fn event_get_assignment(
    ev: *const event,
    base_out: *mut *mut event_base,
    fd_out: *mut evutil_socket_t,
    events_out: *mut c_short,
    callback_out: *mut event_callback_fn,
    arg_out: *mut *mut c_void,
) {
    // SAFETY: forwarded caller pointer; each out-pointer is written only if non-null.
    unsafe {
        field(ev, "event_get_assignment", (), |e| {
            if !base_out.is_null() {
                *base_out = e.ev_base;
            }
            if !fd_out.is_null() {
                *fd_out = e.ev_fd;
            }
            if !events_out.is_null() {
                *events_out = e.ev_events;
            }
            if !callback_out.is_null() {
                *callback_out = e.ev_evcallback.evcb_cb_union.evcb_callback;
            }
            if !arg_out.is_null() {
                *arg_out = e.ev_evcallback.evcb_arg;
            }
        })
    }
}

#[no_mangle]
pub extern "C" fn event_get_struct_event_size() -> usize {
    std::mem::size_of::<event>()
}

#[no_mangle]
pub extern "C" fn event_get_version() -> *const c_char {
    LIBEVENT_VERSION.as_ptr()
}

#[no_mangle]
pub extern "C" fn event_get_version_number() -> ev_uint32_t {
    LIBEVENT_VERSION_NUMBER
}

#[no_mangle]
pub unsafe extern "C" fn event_priority_set(ev: *mut event, pri: c_int) -> c_int {
    guard(-1, || {
        // SAFETY: forwarded caller pointer.
        let Some(e) = (unsafe { EventPtr::assigned(ev, "event_priority_set") }) else {
            return -1;
        };
        let Some(b) = e.base("event_priority_set") else {
            return -1;
        };
        if pri < 0 || b.core.set_priority(e.key(), &e, pri as usize).is_err() {
            return -1;
        }
        e.ev_mut().ev_evcallback.evcb_pri = pri as u8;
        0
    })
}

/// What a finalizer needs once the loop gets to it.
struct Finalize {
    ev: *mut event,
    callback: unsafe extern "C" fn(*mut event, *mut c_void),
    free: bool,
}

unsafe extern "C" fn run_finalizer(_: c_int, _: c_short, arg: *mut c_void) {
    // SAFETY: `arg` is the Box leaked by `finalize_with`, consumed once here.
    let f = unsafe { Box::from_raw(arg.cast::<Finalize>()) };
    // SAFETY: the event is still the caller's; the finalizer may free it.
    let user_arg = unsafe { (*f.ev).ev_evcallback.evcb_arg };
    unsafe { (f.callback)(f.ev, user_arg) };
    if f.free {
        mem_free(f.ev.cast());
    }
}

/// Runs (or, for `event_base_free_nofinalize`, just releases) a finalizer
/// the loop never got to.
pub(crate) unsafe fn finish_finalizer(cb: Callback, run: bool) {
    if run {
        // SAFETY: the finalizer's own trampoline and argument.
        unsafe { super::call_callback(cb, -1, 0) };
    } else {
        // SAFETY: the Box leaked by finalize_with, never run.
        drop(unsafe { Box::from_raw(cb.arg as *mut Finalize) });
    }
}

unsafe fn finalize_with(ev: *mut event, cb: event_finalize_callback_fn, free: bool) -> c_int {
    guard(-1, || {
        // SAFETY: forwarded caller pointer.
        let Some(e) = (unsafe { EventPtr::assigned(ev, "event_finalize") }) else {
            return -1;
        };
        let Some(b) = e.base("event_finalize") else {
            return -1;
        };
        let Some(callback) = cb else {
            warn("event_finalize: no finalizer given");
            return -1;
        };
        b.core.del(e.key(), &e, DelMode::NoBlock);
        // Refused by event_add/event_active until assigned again.
        e.set_flags(e.flags() | EVLIST_FINALIZING);
        let arg = Box::into_raw(Box::new(Finalize { ev, callback, free })) as usize;
        let action = Action::Finalize(core_callback(run_finalizer, arg as *mut c_void));
        match b.core.once(-1, ev::TIMEOUT, action, None) {
            Ok(()) => 0,
            Err(e) => {
                // SAFETY: the box was not handed to the loop.
                drop(unsafe { Box::from_raw(arg as *mut Finalize) });
                refused("event_finalize", e)
            }
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn event_finalize(
    _flags: std::os::raw::c_uint,
    ev: *mut event,
    cb: event_finalize_callback_fn,
) -> c_int {
    // SAFETY: forwarded caller pointer.
    unsafe { finalize_with(ev, cb, false) }
}

#[no_mangle]
pub unsafe extern "C" fn event_free_finalize(
    _flags: std::os::raw::c_uint,
    ev: *mut event,
    cb: event_finalize_callback_fn,
) -> c_int {
    // SAFETY: forwarded caller pointer.
    unsafe { finalize_with(ev, cb, true) }
}

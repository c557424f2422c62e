//! Per-event calls of `event2/event.h`: assign/new/free, add/del/active,
//! pending and the accessors.

use std::os::raw::{c_char, c_int, c_short, c_void};

use rel_core::assign;
use rel_core::base::DelMode;
use rel_core::clock;
use rel_core::event::ev;

use crate::boundary::{arg, entry, entry_or, given, Refusal};
use crate::dispatch::finalizer_callback;
use crate::layout::event;
use crate::legacy::or_current;
use crate::log_api::{mem_alloc, mem_free};
use crate::objects::{event_base, to_timeval, AddTimeout, AssignedEvent, EventRef};
use crate::util::{ev_uint32_t, evutil_socket_t};

pub const EV_TIMEOUT: c_short = 0x01;
pub const EV_READ: c_short = 0x02;
pub const EV_WRITE: c_short = 0x04;
pub const EV_SIGNAL: c_short = 0x08;
pub const EV_PERSIST: c_short = 0x10;
pub const EV_ET: c_short = 0x20;
pub const EV_FINALIZE: c_short = 0x40;
pub const EV_CLOSED: c_short = 0x80;

// The bits C passes are the core's, unconverted.
const _: () = {
    assert!(EV_TIMEOUT as u16 == ev::TIMEOUT);
    assert!(EV_READ as u16 == ev::READ);
    assert!(EV_WRITE as u16 == ev::WRITE);
    assert!(EV_SIGNAL as u16 == ev::SIGNAL);
    assert!(EV_PERSIST as u16 == ev::PERSIST);
    assert!(EV_ET as u16 == ev::ET);
    assert!(EV_FINALIZE as u16 == ev::FINALIZE);
    assert!(EV_CLOSED as u16 == ev::CLOSED);
};

/// Also `LIBEVENT_VERSION` in headers/event.h (cbindgen cannot emit strings).
const LIBEVENT_VERSION: &std::ffi::CStr = c"2.1.12-stable";
pub const LIBEVENT_VERSION_NUMBER: u32 = 0x02010c00;

pub type event_callback_fn = Option<unsafe extern "C" fn(evutil_socket_t, c_short, *mut c_void)>;
pub type event_finalize_callback_fn = Option<unsafe extern "C" fn(*mut event, *mut c_void)>;

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
    entry("event_assign", || {
        let e: EventRef = arg!(ev)?;
        let base = or_current(base);
        let closure = assign::closure(events as u16).ok_or(Refusal::Misuse(
            "EV_SIGNAL is not compatible with EV_READ, EV_WRITE or EV_CLOSED",
        ))?;
        let arg = if arg == event_self_cbarg() {
            ev.cast()
        } else {
            arg
        };
        // Without a base yet (event_set before event_base_set), as libevent.
        let b: Result<&event_base, _> = arg!(base);
        let npri = b.map_or(1, |b| b.core.npriorities());
        e.reset();
        e.set_base(base);
        e.set_fd(fd);
        e.set_events(events);
        e.set_callback(callback);
        e.set_arg(arg);
        e.set_priority(assign::default_priority(npri));
        e.set_closure(closure as u8);
        Ok(0)
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
    entry("event_new", || {
        let ev: *mut event = mem_alloc(std::mem::size_of::<event>()).cast();
        if ev.is_null() {
            return Err(Refusal::Misuse("out of memory"));
        }
        let arg = if arg == event_self_cbarg() {
            ev.cast()
        } else {
            arg
        };
        // SAFETY: fresh memory of the right size for the event.
        if unsafe { event_assign(ev, base, fd, events, callback, arg) } < 0 {
            mem_free(ev.cast());
            return Err(Refusal::Quiet);
        }
        Ok(ev)
    })
}

#[no_mangle]
pub unsafe extern "C" fn event_free(ev: *mut event) {
    entry("event_free", || {
        let e: AssignedEvent = arg!(ev)?;
        if let Ok(b) = e.base() {
            b.core.del(e.key(), e.slot_hint(), DelMode::Default);
        }
        // Unmark it so a stale pointer is refused rather than trusted.
        e.unmark();
        mem_free(ev.cast());
        Ok(())
    })
}

#[no_mangle]
pub unsafe extern "C" fn event_add(ev: *mut event, timeout: *const libc::timeval) -> c_int {
    entry("event_add", || {
        let e: AssignedEvent = arg!(ev)?;
        if e.is_finalizing() {
            return Err(Refusal::Quiet);
        }
        let b = e.base()?;
        let AddTimeout(timeout) = arg!(timeout)?;
        if let Some((_, tv)) = timeout {
            e.set_persist_interval(tv);
        }
        b.core
            .add(&e.spec(), e.slot_hint(), timeout.map(|(ns, _)| ns))?;
        Ok(0)
    })
}

fn del_with(ev: *mut event, mode: DelMode, func: &str) -> c_int {
    entry(func, || {
        let e: AssignedEvent = arg!(ev)?;
        if e.base_ptr().is_null() {
            return Err(Refusal::Quiet); // never given a base, or its base was freed
        }
        e.base()?.core.del(e.key(), e.slot_hint(), mode);
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn event_del(ev: *mut event) -> c_int {
    del_with(ev, DelMode::Default, "event_del")
}

#[no_mangle]
pub unsafe extern "C" fn event_del_block(ev: *mut event) -> c_int {
    del_with(ev, DelMode::Block, "event_del_block")
}

#[no_mangle]
pub unsafe extern "C" fn event_del_noblock(ev: *mut event) -> c_int {
    del_with(ev, DelMode::NoBlock, "event_del_noblock")
}

#[no_mangle]
pub unsafe extern "C" fn event_remove_timer(ev: *mut event) -> c_int {
    entry("event_remove_timer", || {
        let e: AssignedEvent = arg!(ev)?;
        e.base()?.core.remove_timer(e.key(), e.slot_hint());
        e.set_persist_interval(libc::timeval {
            tv_sec: 0,
            tv_usec: 0,
        });
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn event_active(ev: *mut event, res: c_int, ncalls: c_short) {
    entry("event_active", || {
        let e: AssignedEvent = arg!(ev)?;
        if e.is_finalizing() {
            return Ok(());
        }
        e.base()?
            .core
            .activate(&e.spec(), e.slot_hint(), res as u16, ncalls.max(1) as u32);
        Ok(())
    })
}

#[no_mangle]
pub unsafe extern "C" fn event_pending(
    ev: *const event,
    events: c_short,
    tv: *mut libc::timeval,
) -> c_int {
    // 0: not pending.
    entry_or("event_pending", 0, || {
        let e: AssignedEvent = arg!(ev)?;
        if e.base_ptr().is_null() {
            return Ok(0);
        }
        let p = e.base()?.core.pending(e.key(), e.slot_hint());
        let asked = events as u16 & (ev::TIMEOUT | ev::IO | ev::SIGNAL);
        if let (Some(deadline), false, true) = (p.deadline, tv.is_null(), asked & ev::TIMEOUT != 0)
        {
            // SAFETY: a non-NULL out-pointer (the boundary contract).
            unsafe { *tv = to_timeval(clock::mono_to_wall(deadline)) };
        }
        Ok(c_int::from(p.what & asked))
    })
}

/// Marks a non-pending event as never assigned (libevent's debug-mode call).
#[no_mangle]
pub unsafe extern "C" fn event_debug_unassign(ev: *mut event) {
    entry("event_debug_unassign", || {
        let e: AssignedEvent = arg!(ev)?;
        if e.is_pending() {
            return Err(Refusal::Misuse("event is pending"));
        }
        e.unmark();
        Ok(())
    })
}

#[no_mangle]
pub unsafe extern "C" fn event_initialized(ev: *const event) -> c_int {
    entry_or("event_initialized", 0, || {
        let e: Result<EventRef, _> = arg!(ev);
        Ok(c_int::from(e.is_ok_and(EventRef::is_assigned)))
    })
}

#[no_mangle]
pub unsafe extern "C" fn event_get_fd(ev: *const event) -> evutil_socket_t {
    entry("event_get_fd", || arg!(ev).map(EventRef::fd))
}

#[no_mangle]
pub unsafe extern "C" fn event_get_base(ev: *const event) -> *mut event_base {
    entry("event_get_base", || arg!(ev).map(EventRef::base_ptr))
}

#[no_mangle]
pub unsafe extern "C" fn event_get_events(ev: *const event) -> c_short {
    entry("event_get_events", || arg!(ev).map(EventRef::events))
}

#[no_mangle]
pub unsafe extern "C" fn event_get_callback(ev: *const event) -> event_callback_fn {
    entry("event_get_callback", || arg!(ev).map(EventRef::callback))
}

#[no_mangle]
pub unsafe extern "C" fn event_get_callback_arg(ev: *const event) -> *mut c_void {
    entry("event_get_callback_arg", || arg!(ev).map(EventRef::arg))
}

#[no_mangle]
pub unsafe extern "C" fn event_get_priority(ev: *const event) -> c_int {
    entry("event_get_priority", || {
        arg!(ev).map(|e: EventRef| c_int::from(e.priority()))
    })
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
    entry("event_get_assignment", || {
        let e: EventRef = arg!(ev)?;
        // SAFETY: each out-pointer is NULL or writable (the boundary contract).
        unsafe {
            out(base_out, e.base_ptr());
            out(fd_out, e.fd());
            out(events_out, e.events());
            out(callback_out, e.callback());
            out(arg_out, e.arg());
        }
        Ok(())
    })
}

/// Writes `value` through an out-pointer unless it is NULL.
///
/// # Safety
///
/// `p` is NULL or writable.
unsafe fn out<T>(p: *mut T, value: T) {
    if !p.is_null() {
        // SAFETY: non-NULL, so writable by the function's contract.
        unsafe { p.write(value) };
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
    entry("event_priority_set", || {
        let e: AssignedEvent = arg!(ev)?;
        let b = e.base()?;
        if pri < 0 {
            return Err(Refusal::Quiet);
        }
        // Silent, as libevent: programs probe priorities this way.
        b.core
            .set_priority(e.key(), e.slot_hint(), pri as usize)
            .map_err(|_| Refusal::Quiet)?;
        e.set_priority(pri as u8);
        Ok(0)
    })
}

fn finalize_with(ev: *mut event, cb: event_finalize_callback_fn, free: bool) -> c_int {
    entry("event_finalize", || {
        let e: AssignedEvent = arg!(ev)?;
        let b = e.base()?;
        let finalizer = finalizer_callback(given(cb, "finalizer")?, free);
        b.core.finalize(e.key(), e.slot_hint(), finalizer)?;
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn event_finalize(
    _flags: std::os::raw::c_uint,
    ev: *mut event,
    cb: event_finalize_callback_fn,
) -> c_int {
    finalize_with(ev, cb, false)
}

#[no_mangle]
pub unsafe extern "C" fn event_free_finalize(
    _flags: std::os::raw::c_uint,
    ev: *mut event,
    cb: event_finalize_callback_fn,
) -> c_int {
    finalize_with(ev, cb, true)
}

//! `struct event` exactly as libevent 2.1 lays it out on every ABI (128 bytes
//! on x86_64), with the same field names, plus the `EVLIST_*` constants.
//! librel keeps in it only what libevent's own accessors read back: the
//! assignment (fd, events, callback, argument, priority, base), the
//! `EVLIST_INIT` flag, and its own slot index in `ev_timeout_pos`.

#![allow(non_camel_case_types)]

use std::os::raw::{c_int, c_short, c_void};

use crate::objects::event_base;
use crate::util::{ev_uint8_t, evutil_socket_t};
use rel_core::event::evlist;

pub const EVLIST_TIMEOUT: c_int = 0x01;
pub const EVLIST_INSERTED: c_int = 0x02;
pub const EVLIST_SIGNAL: c_int = 0x04;
pub const EVLIST_ACTIVE: c_int = 0x08;
pub const EVLIST_INTERNAL: c_int = 0x10;
pub const EVLIST_ACTIVE_LATER: c_int = 0x20;
pub const EVLIST_FINALIZING: c_int = 0x40;
pub const EVLIST_INIT: c_int = 0x80;
pub const EVLIST_ALL: c_int = 0xff;

// The core's list flags are mirrored into `evcb_flags` unconverted.
const _: () = {
    assert!(EVLIST_TIMEOUT == evlist::TIMEOUT as c_int);
    assert!(EVLIST_INSERTED == evlist::INSERTED as c_int);
    assert!(EVLIST_ACTIVE == evlist::ACTIVE as c_int);
    assert!(EVLIST_FINALIZING == evlist::FINALIZING as c_int);
    assert!(EVLIST_INIT == evlist::INIT as c_int);
};

/// Queue link of an `event_callback` (libevent's TAILQ_ENTRY).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct event_callback_link {
    pub tqe_next: *mut event_callback,
    pub tqe_prev: *mut *mut event_callback,
}

/// Queue link of an `event` (libevent's TAILQ_ENTRY).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct event_link {
    pub tqe_next: *mut event,
    pub tqe_prev: *mut *mut event,
}

/// List link of an `event` (libevent's LIST_ENTRY).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct event_list_link {
    pub le_next: *mut event,
    pub le_prev: *mut *mut event,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub union event_callback_fn_union {
    pub evcb_callback: Option<unsafe extern "C" fn(evutil_socket_t, c_short, *mut c_void)>,
    pub evcb_selfcb: Option<unsafe extern "C" fn(*mut event_callback, *mut c_void)>,
    pub evcb_evfinalize: Option<unsafe extern "C" fn(*mut event, *mut c_void)>,
    pub evcb_cbfinalize: Option<unsafe extern "C" fn(*mut event_callback, *mut c_void)>,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct event_callback {
    pub evcb_active_next: event_callback_link,
    pub evcb_flags: c_short,
    pub evcb_pri: ev_uint8_t,
    pub evcb_closure: ev_uint8_t,
    pub evcb_cb_union: event_callback_fn_union,
    pub evcb_arg: *mut c_void,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub union event_timeout_pos {
    pub ev_next_with_common_timeout: event_link,
    pub min_heap_idx: c_int,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct event_io_fields {
    pub ev_io_next: event_list_link,
    pub ev_timeout: libc::timeval,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct event_signal_fields {
    pub ev_signal_next: event_list_link,
    pub ev_ncalls: c_short,
    pub ev_pncalls: *mut c_short,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub union event_kind_fields {
    pub ev_io: event_io_fields,
    pub ev_signal: event_signal_fields,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct event {
    pub ev_evcallback: event_callback,
    pub ev_timeout_pos: event_timeout_pos,
    pub ev_fd: evutil_socket_t,
    pub ev_base: *mut event_base,
    pub ev_: event_kind_fields,
    pub ev_events: c_short,
    pub ev_res: c_short,
    pub ev_timeout: libc::timeval,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::{offset_of, size_of};

    #[test]
    #[cfg(all(target_arch = "x86_64", target_os = "linux"))]
    fn matches_libevent_2_1_on_x86_64() {
        assert_eq!(size_of::<event>(), 128);
        assert_eq!(offset_of!(event, ev_evcallback), 0);
        assert_eq!(offset_of!(event_callback, evcb_flags), 16);
        assert_eq!(offset_of!(event_callback, evcb_pri), 18);
        assert_eq!(offset_of!(event_callback, evcb_closure), 19);
        assert_eq!(offset_of!(event_callback, evcb_cb_union), 24);
        assert_eq!(offset_of!(event_callback, evcb_arg), 32);
        assert_eq!(offset_of!(event, ev_timeout_pos), 40);
        assert_eq!(offset_of!(event, ev_fd), 56);
        assert_eq!(offset_of!(event, ev_base), 64);
        assert_eq!(offset_of!(event, ev_), 72);
        assert_eq!(offset_of!(event_signal_fields, ev_ncalls), 16);
        assert_eq!(offset_of!(event_signal_fields, ev_pncalls), 24);
        assert_eq!(offset_of!(event, ev_events), 104);
        assert_eq!(offset_of!(event, ev_res), 106);
        assert_eq!(offset_of!(event, ev_timeout), 112);
    }
}

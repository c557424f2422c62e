//! `struct bufferevent` exactly as libevent 2.1 lays it out (392 bytes on
//! x86_64): programs read `input`, `output`, the callbacks and the
//! watermarks directly (tmux loads `bev->input`/`bev->output` 79 times), and
//! `ev_read`/`ev_write` are real events `event_pending` answers for.

#![allow(non_camel_case_types)]

use std::os::raw::{c_short, c_void};

use crate::buffer_obj::evbuffer;
use crate::layout::event;
use crate::objects::event_base;

/// Callback for reads and writes: `(bev, cbarg)`.
pub type bufferevent_data_cb = Option<unsafe extern "C" fn(*mut bufferevent, *mut c_void)>;
/// Callback for everything else (`BEV_EVENT_*`): `(bev, what, cbarg)`.
pub type bufferevent_event_cb =
    Option<unsafe extern "C" fn(*mut bufferevent, c_short, *mut c_void)>;

/// A low and a high watermark; 0 means "none".
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct event_watermark {
    pub low: usize,
    pub high: usize,
}

/// What kind of bufferevent this is (`be_ops` points at one of the exported
/// `bufferevent_ops_socket`, `_pair`, `_filter`); opaque to C, as in
/// libevent.
pub struct bufferevent_ops {
    /// libevent's name for the kind.
    pub name: &'static str,
}

#[repr(C)]
pub struct bufferevent {
    pub ev_base: *mut event_base,
    pub be_ops: *const bufferevent_ops,
    pub ev_read: event,
    pub ev_write: event,
    pub input: *mut evbuffer,
    pub output: *mut evbuffer,
    pub wm_read: event_watermark,
    pub wm_write: event_watermark,
    pub readcb: bufferevent_data_cb,
    pub writecb: bufferevent_data_cb,
    pub errorcb: bufferevent_event_cb,
    pub cbarg: *mut c_void,
    pub timeout_read: libc::timeval,
    pub timeout_write: libc::timeval,
    pub enabled: c_short,
}

#[cfg(all(test, target_arch = "x86_64"))]
mod tests {
    use super::*;
    use std::mem::{offset_of, size_of};

    #[test]
    fn layout_is_libevents() {
        assert_eq!(size_of::<bufferevent>(), 392);
        assert_eq!(offset_of!(bufferevent, be_ops), 8);
        assert_eq!(offset_of!(bufferevent, ev_read), 16);
        assert_eq!(offset_of!(bufferevent, ev_write), 144);
        assert_eq!(offset_of!(bufferevent, input), 272);
        assert_eq!(offset_of!(bufferevent, output), 280);
        assert_eq!(offset_of!(bufferevent, wm_read), 288);
        assert_eq!(offset_of!(bufferevent, wm_write), 304);
        assert_eq!(offset_of!(bufferevent, readcb), 320);
        assert_eq!(offset_of!(bufferevent, writecb), 328);
        assert_eq!(offset_of!(bufferevent, errorcb), 336);
        assert_eq!(offset_of!(bufferevent, cbarg), 344);
        assert_eq!(offset_of!(bufferevent, timeout_read), 352);
        assert_eq!(offset_of!(bufferevent, timeout_write), 368);
        assert_eq!(offset_of!(bufferevent, enabled), 384);
    }
}

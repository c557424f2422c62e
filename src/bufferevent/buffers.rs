//! A bufferevent's two evbuffers, through evbuffer's own C API: a
//! bufferevent is an evbuffer user like any other, as in libevent.

use std::os::raw::{c_int, c_void};

use crate::boundary::Refusal;
use crate::buffer_api::{
    evbuffer, evbuffer_add_buffer, evbuffer_add_cb, evbuffer_cb_clear_flags, evbuffer_cb_entry,
    evbuffer_cb_info, evbuffer_cb_set_flags, evbuffer_free, evbuffer_freeze, evbuffer_new,
    evbuffer_read, evbuffer_remove_buffer, evbuffer_remove_cb_entry, evbuffer_unfreeze,
    evbuffer_write_atmost, EVBUFFER_CB_ENABLED,
};

pub(crate) type BufferCb =
    unsafe extern "C" fn(*mut evbuffer, *const evbuffer_cb_info, *mut c_void);

/// An evbuffer a bufferevent owns (or one a filter callback was handed).
/// Every call below relies on one fact: the pointer is a live evbuffer,
/// kept alive by its bufferevent until that is released.
#[derive(Clone, Copy)]
pub(crate) struct Buffer(*mut evbuffer);

impl Buffer {
    pub(crate) fn new() -> Result<Buffer, Refusal> {
        let p = evbuffer_new();
        if p.is_null() {
            return Err(Refusal::Misuse("out of memory"));
        }
        Ok(Buffer(p))
    }

    pub(crate) fn from_own(p: *mut evbuffer) -> Buffer {
        Buffer(p)
    }

    pub(crate) fn as_ptr(self) -> *mut evbuffer {
        self.0
    }

    pub(crate) fn free(self) {
        // SAFETY: the type's invariant; called once, at release.
        unsafe { evbuffer_free(self.0) }
    }

    /// Read straight from the buffer (no C entry point: this is on every
    /// path of every bufferevent).
    pub(crate) fn len(self) -> usize {
        // SAFETY: the type's invariant.
        unsafe { &*self.0 }.core.len()
    }

    /// One read of at most `max` bytes from `fd`.
    pub(crate) fn read(self, fd: c_int, max: usize) -> isize {
        let max = max.min(c_int::MAX as usize) as c_int;
        // SAFETY: the type's invariant.
        unsafe { evbuffer_read(self.0, fd, max) as isize }
    }

    /// One write of at most `max` bytes to `fd`.
    pub(crate) fn write(self, fd: c_int, max: usize) -> isize {
        let max = max.min(isize::MAX as usize) as isize;
        // SAFETY: the type's invariant.
        unsafe { evbuffer_write_atmost(self.0, fd, max) as isize }
    }

    /// Moves everything from `src` to the end of this buffer.
    pub(crate) fn take_all(self, src: Buffer) -> c_int {
        // SAFETY: the type's invariant, for both.
        unsafe { evbuffer_add_buffer(self.0, src.0) }
    }

    /// Moves up to `n` bytes from the front of `src` to the end of this one.
    pub(crate) fn take(self, src: Buffer, n: usize) -> c_int {
        // SAFETY: the type's invariant, for both.
        unsafe { evbuffer_remove_buffer(src.0, self.0, n) }
    }

    pub(crate) fn add_cb(self, cb: BufferCb, arg: *mut c_void) -> *mut c_void {
        // SAFETY: the type's invariant; `arg` outlives the buffer.
        unsafe { evbuffer_add_cb(self.0, Some(cb), arg).cast() }
    }

    pub(crate) fn cb_enable(self, entry: *mut c_void, on: bool) {
        let entry: *mut evbuffer_cb_entry = entry.cast();
        // SAFETY: the type's invariant; `entry` came from `add_cb` on it.
        unsafe {
            if on {
                evbuffer_cb_set_flags(self.0, entry, EVBUFFER_CB_ENABLED);
            } else {
                evbuffer_cb_clear_flags(self.0, entry, EVBUFFER_CB_ENABLED);
            }
        }
    }

    pub(crate) fn remove_cb(self, entry: *mut c_void) {
        // SAFETY: the type's invariant; `entry` came from `add_cb` on it.
        unsafe { evbuffer_remove_cb_entry(self.0, entry.cast()) };
    }

    /// Freezes the front (no draining) or the end (no adding).
    pub(crate) fn freeze(self, front: bool) {
        // SAFETY: the type's invariant.
        unsafe { evbuffer_freeze(self.0, c_int::from(front)) };
    }

    pub(crate) fn unfreeze(self, front: bool) {
        // SAFETY: the type's invariant.
        unsafe { evbuffer_unfreeze(self.0, c_int::from(front)) };
    }
}

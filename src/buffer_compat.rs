//! `event2/buffer_compat.h`: the 1.4 evbuffer calls.

use std::os::raw::{c_char, c_int, c_uchar, c_void};
use std::ptr::null_mut;

use rel_core::buffer::CbInfo;

use crate::boundary::{arg, entry};
use crate::buffer_api::{evbuffer_readln, evbuffer_search};
use crate::buffer_obj::evbuffer;

/// The 1.4 callback: old and new length.
pub type evbuffer_cb = Option<unsafe extern "C" fn(*mut evbuffer, usize, usize, *mut c_void)>;

/// `evbuffer_readln(buffer, NULL, EVBUFFER_EOL_ANY)`.
#[no_mangle]
pub unsafe extern "C" fn evbuffer_readline(buffer: *mut evbuffer) -> *mut c_char {
    // SAFETY: forwarded under the same contract.
    unsafe { evbuffer_readln(buffer, null_mut(), 0) }
}

/// Replaces every callback with `cb` (none if NULL).
#[no_mangle]
pub unsafe extern "C" fn evbuffer_setcb(
    buffer: *mut evbuffer,
    cb: evbuffer_cb,
    cbarg: *mut c_void,
) -> c_int {
    entry("evbuffer_setcb", || {
        let b: &evbuffer = arg!(buffer)?;
        b.core.lock();
        b.core.clear_cbs();
        if let Some(f) = cb {
            let (me, arg) = (b.as_ptr() as usize, cbarg as usize);
            // Matched by evbuffer_remove_cb(buffer, NULL, cbarg), as in libevent.
            b.core.add_cb(
                (0, arg),
                Box::new(move |i: &CbInfo| {
                    let new_len = i.orig_size + i.n_added - i.n_deleted;
                    // SAFETY: the program's 1.4 callback with its signature.
                    unsafe {
                        f(
                            me as *mut evbuffer,
                            i.orig_size,
                            new_len,
                            arg as *mut c_void,
                        )
                    }
                }),
            );
        }
        b.core.unlock();
        Ok(0)
    })
}

/// The first occurrence of `what`, made contiguous: its address, or NULL.
#[no_mangle]
pub unsafe extern "C" fn evbuffer_find(
    buffer: *mut evbuffer,
    what: *const c_uchar,
    len: usize,
) -> *mut c_uchar {
    entry("evbuffer_find", || {
        let b: &evbuffer = arg!(buffer)?;
        b.core.lock();
        // SAFETY: forwarded under the same contract.
        let at = unsafe { evbuffer_search(buffer, what.cast(), len, std::ptr::null()) };
        let r = if at.pos < 0 {
            null_mut()
        } else {
            let pos = at.pos as usize;
            b.core
                .pullup(Some(pos + len))
                // SAFETY: `pos + len` bytes are contiguous at `p`.
                .map_or(null_mut(), |(p, _)| unsafe { p.add(pos) }.cast_mut())
        };
        b.core.unlock();
        Ok(r)
    })
}

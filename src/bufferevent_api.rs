//! `event2/bufferevent.h`: socket, pair and filter bufferevents, their
//! callbacks, watermarks, timeouts and references. The objects are in
//! `crate::bufferevent`; rate limits are in `ratelimit_api.rs`.

use std::ffi::CStr;
use std::os::raw::{c_int, c_short, c_void};

use crate::boundary::{arg, entry, entry_or, Refusal};
use crate::buffer_api::{evbuffer, evbuffer_add, evbuffer_add_buffer, evbuffer_remove};
use crate::bufferevent::{filter, pair, sock, BevRef, Kind};
use crate::bufferevent::{BEV_TRIG_DEFER_CALLBACKS, BEV_TRIG_IGNORE_WATERMARKS};
use crate::event_api::{EV_READ, EV_WRITE};
use crate::layout::{bufferevent, bufferevent_data_cb, bufferevent_event_cb};
use crate::objects::{event_base, to_timeval};
use crate::util::evutil_socket_t;

use crate::bufferevent::filter::{FilterResult, FlushMode};
use crate::util::ev_ssize_t;

pub const BEV_EVENT_READING: c_short = 0x01;
pub const BEV_EVENT_WRITING: c_short = 0x02;
pub const BEV_EVENT_EOF: c_short = 0x10;
pub const BEV_EVENT_ERROR: c_short = 0x20;
pub const BEV_EVENT_TIMEOUT: c_short = 0x40;
pub const BEV_EVENT_CONNECTED: c_short = 0x80;

/// Options for creating a bufferevent.
#[repr(C)]
pub enum bufferevent_options {
    BEV_OPT_CLOSE_ON_FREE = 1 << 0,
    BEV_OPT_THREADSAFE = 1 << 1,
    BEV_OPT_DEFER_CALLBACKS = 1 << 2,
    BEV_OPT_UNLOCK_CALLBACKS = 1 << 3,
}

/// Options for `bufferevent_trigger` and `bufferevent_trigger_event`.
#[repr(C)]
pub enum bufferevent_trigger_options {
    BEV_TRIG_IGNORE_WATERMARKS = 1 << 16,
    BEV_TRIG_DEFER_CALLBACKS = 1 << 2,
}

/// How hard `bufferevent_flush` and a filter push.
#[repr(C)]
pub enum bufferevent_flush_mode {
    BEV_NORMAL = 0,
    BEV_FLUSH = 1,
    BEV_FINISHED = 2,
}

/// What a filter answers.
#[repr(C)]
pub enum bufferevent_filter_result {
    BEV_OK = 0,
    BEV_NEED_MORE = 1,
    BEV_ERROR = 2,
}

/// A filter: moves (and transforms) data from `src` to `dst`, writing at
/// most `dst_limit` bytes when that is not negative.
pub type bufferevent_filter_cb = Option<
    unsafe extern "C" fn(
        *mut evbuffer,
        *mut evbuffer,
        ev_ssize_t,
        FlushMode,
        *mut c_void,
    ) -> FilterResult,
>;

// The values C passes are the object layer's, unconverted.
const _: () = {
    use crate::bufferevent as b;
    use bufferevent_filter_result::*;
    use bufferevent_flush_mode::*;
    use bufferevent_options::*;
    use bufferevent_trigger_options::*;
    assert!(BEV_EVENT_READING == b::BEV_EVENT_READING && BEV_EVENT_WRITING == b::BEV_EVENT_WRITING);
    assert!(BEV_EVENT_EOF == b::BEV_EVENT_EOF && BEV_EVENT_ERROR == b::BEV_EVENT_ERROR);
    assert!(
        BEV_EVENT_TIMEOUT == b::BEV_EVENT_TIMEOUT && BEV_EVENT_CONNECTED == b::BEV_EVENT_CONNECTED
    );
    assert!(BEV_OPT_CLOSE_ON_FREE as c_int == b::BEV_OPT_CLOSE_ON_FREE);
    assert!(BEV_OPT_THREADSAFE as c_int == b::BEV_OPT_THREADSAFE);
    assert!(BEV_OPT_DEFER_CALLBACKS as c_int == b::BEV_OPT_DEFER_CALLBACKS);
    assert!(BEV_OPT_UNLOCK_CALLBACKS as c_int == b::BEV_OPT_UNLOCK_CALLBACKS);
    assert!(BEV_TRIG_IGNORE_WATERMARKS as c_int == b::BEV_TRIG_IGNORE_WATERMARKS);
    assert!(BEV_TRIG_DEFER_CALLBACKS as c_int == b::BEV_TRIG_DEFER_CALLBACKS);
    assert!(BEV_NORMAL as c_int == b::pair::BEV_NORMAL);
    assert!(BEV_FLUSH as c_int == b::pair::BEV_FLUSH);
    assert!(BEV_FINISHED as c_int == b::pair::BEV_FINISHED);
    assert!(BEV_OK as c_int == b::filter::BEV_OK);
    assert!(BEV_NEED_MORE as c_int == b::filter::BEV_NEED_MORE);
    assert!(BEV_ERROR as c_int == b::filter::BEV_ERROR);
};

pub use crate::dns::evdns_base;

#[no_mangle]
pub unsafe extern "C" fn bufferevent_socket_new(
    base: *mut event_base,
    fd: evutil_socket_t,
    options: c_int,
) -> *mut bufferevent {
    entry("bufferevent_socket_new", || {
        if base.is_null() && crate::legacy::or_current(base).is_null() {
            return Err(Refusal::Missing("event_base"));
        }
        Ok(sock::new(base, fd, options)?.as_ptr())
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_socket_connect(
    bev: *mut bufferevent,
    addr: *const libc::sockaddr,
    socklen: c_int,
) -> c_int {
    entry("bufferevent_socket_connect", || {
        let b: BevRef = arg!(bev)?;
        Ok(sock::connect(b, addr, socklen))
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_socket_connect_hostname(
    bev: *mut bufferevent,
    evdns_base: *mut evdns_base,
    family: c_int,
    hostname: *const std::os::raw::c_char,
    port: c_int,
) -> c_int {
    entry("bufferevent_socket_connect_hostname", || {
        let b: BevRef = arg!(bev)?;
        let host: &CStr = arg!(hostname)?;
        Ok(sock::connect_hostname(b, evdns_base, family, host, port))
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_socket_get_dns_error(bev: *mut bufferevent) -> c_int {
    entry("bufferevent_socket_get_dns_error", || {
        let b: BevRef = arg!(bev)?;
        Ok(b.bev().dns_error.load(std::sync::atomic::Ordering::Relaxed))
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_base_set(
    base: *mut event_base,
    bufev: *mut bufferevent,
) -> c_int {
    entry("bufferevent_base_set", || {
        let b: BevRef = arg!(bufev)?;
        if !matches!(b.bev().kind, Kind::Socket) {
            return Err(Refusal::Quiet);
        }
        Ok(b.locked(|| b.move_to_base(base)))
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_get_base(bev: *mut bufferevent) -> *mut event_base {
    entry("bufferevent_get_base", || {
        let b: BevRef = arg!(bev)?;
        Ok(b.base())
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_priority_set(bufev: *mut bufferevent, pri: c_int) -> c_int {
    entry("bufferevent_priority_set", || {
        let b: BevRef = arg!(bufev)?;
        if !matches!(b.bev().kind, Kind::Socket) {
            return Err(Refusal::Quiet);
        }
        Ok(b.locked(|| b.set_priority(pri)))
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_get_priority(bufev: *const bufferevent) -> c_int {
    entry("bufferevent_get_priority", || {
        let b: BevRef = arg!(bufev)?;
        Ok(b.priority())
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_free(bufev: *mut bufferevent) {
    entry("bufferevent_free", || {
        let b: BevRef = arg!(bufev)?;
        b.free();
        Ok(())
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_setcb(
    bufev: *mut bufferevent,
    readcb: bufferevent_data_cb,
    writecb: bufferevent_data_cb,
    eventcb: bufferevent_event_cb,
    cbarg: *mut c_void,
) {
    entry("bufferevent_setcb", || {
        let b: BevRef = arg!(bufev)?;
        b.locked(|| {
            crate::bufferevent::set!(b, readcb = readcb);
            crate::bufferevent::set!(b, writecb = writecb);
            crate::bufferevent::set!(b, errorcb = eventcb);
            crate::bufferevent::set!(b, cbarg = cbarg);
        });
        Ok(())
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_getcb(
    bufev: *mut bufferevent,
    readcb: *mut bufferevent_data_cb,
    writecb: *mut bufferevent_data_cb,
    eventcb: *mut bufferevent_event_cb,
    cbarg: *mut *mut c_void,
) {
    entry("bufferevent_getcb", || {
        let b: BevRef = arg!(bufev)?;
        let (r, w, e, a) = b.locked(|| {
            use crate::bufferevent::get;
            (
                get!(b, readcb),
                get!(b, writecb),
                get!(b, errorcb),
                get!(b, cbarg),
            )
        });
        // SAFETY: out-pointers are NULL or writable (boundary contract).
        unsafe {
            if !readcb.is_null() {
                *readcb = r;
            }
            if !writecb.is_null() {
                *writecb = w;
            }
            if !eventcb.is_null() {
                *eventcb = e;
            }
            if !cbarg.is_null() {
                *cbarg = a;
            }
        }
        Ok(())
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_setfd(bufev: *mut bufferevent, fd: evutil_socket_t) -> c_int {
    entry("bufferevent_setfd", || {
        let b: BevRef = arg!(bufev)?;
        sock::set_fd(sock_of(b)?, fd);
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_getfd(bufev: *mut bufferevent) -> evutil_socket_t {
    entry("bufferevent_getfd", || {
        let b: BevRef = arg!(bufev)?;
        Ok(sock::fd(sock_of(b)?))
    })
}

/// A filter passes fd calls to the socket under it.
fn sock_of(b: BevRef) -> Result<BevRef, Refusal> {
    match &b.bev().kind {
        Kind::Socket => Ok(b),
        Kind::Filter(f) => sock_of(f.underlying()),
        _ => Err(Refusal::Quiet),
    }
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_get_underlying(bufev: *mut bufferevent) -> *mut bufferevent {
    entry("bufferevent_get_underlying", || {
        let b: BevRef = arg!(bufev)?;
        Ok(b.underlying().map_or(std::ptr::null_mut(), BevRef::as_ptr))
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_write(
    bufev: *mut bufferevent,
    data: *const c_void,
    size: usize,
) -> c_int {
    entry("bufferevent_write", || {
        let b: BevRef = arg!(bufev)?;
        // SAFETY: `data` has `size` bytes (boundary contract).
        let r = unsafe { evbuffer_add(b.output().as_ptr(), data, size) };
        Ok(if r == -1 { -1 } else { 0 })
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_write_buffer(
    bufev: *mut bufferevent,
    buf: *mut evbuffer,
) -> c_int {
    entry("bufferevent_write_buffer", || {
        let b: BevRef = arg!(bufev)?;
        // SAFETY: `buf` is the caller's evbuffer; evbuffer checks it.
        let r = unsafe { evbuffer_add_buffer(b.output().as_ptr(), buf) };
        Ok(if r == -1 { -1 } else { 0 })
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_read(
    bufev: *mut bufferevent,
    data: *mut c_void,
    size: usize,
) -> usize {
    entry_or("bufferevent_read", 0, || {
        let b: BevRef = arg!(bufev)?;
        // SAFETY: `data` has room for `size` bytes (boundary contract).
        let r = unsafe { evbuffer_remove(b.input().as_ptr(), data, size) };
        Ok(r.max(0) as usize)
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_read_buffer(
    bufev: *mut bufferevent,
    buf: *mut evbuffer,
) -> c_int {
    entry("bufferevent_read_buffer", || {
        let b: BevRef = arg!(bufev)?;
        // SAFETY: `buf` is the caller's evbuffer; evbuffer checks it.
        Ok(unsafe { evbuffer_add_buffer(buf, b.input().as_ptr()) })
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_get_input(bufev: *mut bufferevent) -> *mut evbuffer {
    entry("bufferevent_get_input", || {
        let b: BevRef = arg!(bufev)?;
        Ok(b.input().as_ptr())
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_get_output(bufev: *mut bufferevent) -> *mut evbuffer {
    entry("bufferevent_get_output", || {
        let b: BevRef = arg!(bufev)?;
        Ok(b.output().as_ptr())
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_enable(bufev: *mut bufferevent, event: c_short) -> c_int {
    entry("bufferevent_enable", || {
        let b: BevRef = arg!(bufev)?;
        Ok(b.enable(event))
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_disable(bufev: *mut bufferevent, event: c_short) -> c_int {
    entry("bufferevent_disable", || {
        let b: BevRef = arg!(bufev)?;
        Ok(b.disable(event))
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_get_enabled(bufev: *mut bufferevent) -> c_short {
    entry("bufferevent_get_enabled", || {
        let b: BevRef = arg!(bufev)?;
        Ok(b.enabled())
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_set_timeouts(
    bufev: *mut bufferevent,
    timeout_read: *const libc::timeval,
    timeout_write: *const libc::timeval,
) -> c_int {
    entry("bufferevent_set_timeouts", || {
        let b: BevRef = arg!(bufev)?;
        let zero = to_timeval(std::time::Duration::ZERO);
        // SAFETY: NULL or readable timevals (boundary contract).
        let (r, w) = unsafe {
            (
                timeout_read.as_ref().copied().unwrap_or(zero),
                timeout_write.as_ref().copied().unwrap_or(zero),
            )
        };
        Ok(b.locked(|| {
            crate::bufferevent::set!(b, timeout_read = r);
            crate::bufferevent::set!(b, timeout_write = w);
            b.adjust_timeouts()
        }))
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_setwatermark(
    bufev: *mut bufferevent,
    events: c_short,
    lowmark: usize,
    highmark: usize,
) {
    entry("bufferevent_setwatermark", || {
        let b: BevRef = arg!(bufev)?;
        let marks = crate::layout::event_watermark {
            low: lowmark,
            high: highmark,
        };
        b.locked(|| {
            if events & EV_WRITE != 0 {
                crate::bufferevent::set!(b, wm_write = marks);
            }
            if events & EV_READ != 0 {
                crate::bufferevent::set!(b, wm_read = marks);
            }
        });
        if events & EV_READ != 0 {
            b.watch_read_high_watermark(highmark);
        }
        Ok(())
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_getwatermark(
    bufev: *mut bufferevent,
    events: c_short,
    lowmark: *mut usize,
    highmark: *mut usize,
) -> c_int {
    entry("bufferevent_getwatermark", || {
        let b: BevRef = arg!(bufev)?;
        let marks = match events {
            EV_WRITE => b.wm_write(),
            EV_READ => b.wm_read(),
            _ => return Err(Refusal::Quiet),
        };
        // SAFETY: out-pointers are NULL or writable (boundary contract).
        unsafe {
            if !lowmark.is_null() {
                *lowmark = marks.low;
            }
            if !highmark.is_null() {
                *highmark = marks.high;
            }
        }
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_lock(bufev: *mut bufferevent) {
    entry("bufferevent_lock", || {
        let b: BevRef = arg!(bufev)?;
        b.lock();
        Ok(())
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_unlock(bufev: *mut bufferevent) {
    entry("bufferevent_unlock", || {
        let b: BevRef = arg!(bufev)?;
        if !b.unlock() {
            return Err(Refusal::Misuse(
                "the bufferevent is not locked by this thread",
            ));
        }
        Ok(())
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_incref(bufev: *mut bufferevent) {
    entry("bufferevent_incref", || {
        let b: BevRef = arg!(bufev)?;
        b.incref();
        Ok(())
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_decref(bufev: *mut bufferevent) -> c_int {
    entry("bufferevent_decref", || {
        let b: BevRef = arg!(bufev)?;
        Ok(c_int::from(b.decref()))
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_flush(
    bufev: *mut bufferevent,
    iotype: c_short,
    mode: c_int,
) -> c_int {
    entry("bufferevent_flush", || {
        let b: BevRef = arg!(bufev)?;
        Ok(b.flush(iotype, mode))
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_trigger(
    bufev: *mut bufferevent,
    iotype: c_short,
    options: c_int,
) {
    entry("bufferevent_trigger", || {
        let b: BevRef = arg!(bufev)?;
        let options = options & (BEV_TRIG_IGNORE_WATERMARKS | BEV_TRIG_DEFER_CALLBACKS);
        b.hold(|| b.trigger(iotype, options));
        Ok(())
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_trigger_event(
    bufev: *mut bufferevent,
    what: c_short,
    options: c_int,
) {
    entry("bufferevent_trigger_event", || {
        let b: BevRef = arg!(bufev)?;
        let options = options & (BEV_TRIG_IGNORE_WATERMARKS | BEV_TRIG_DEFER_CALLBACKS);
        b.hold(|| b.run_eventcb(what, options));
        Ok(())
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_filter_new(
    underlying: *mut bufferevent,
    input_filter: bufferevent_filter_cb,
    output_filter: bufferevent_filter_cb,
    options: c_int,
    free_context: Option<unsafe extern "C" fn(*mut c_void)>,
    ctx: *mut c_void,
) -> *mut bufferevent {
    entry("bufferevent_filter_new", || {
        let u: BevRef = arg!(underlying)?;
        Ok(filter::new(u, input_filter, output_filter, options, free_context, ctx)?.as_ptr())
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_pair_new(
    base: *mut event_base,
    options: c_int,
    pair: *mut *mut bufferevent,
) -> c_int {
    entry("bufferevent_pair_new", || {
        if pair.is_null() {
            return Err(Refusal::Missing("pair array"));
        }
        let [a, b] = pair::new(base, options)?;
        // SAFETY: the caller's array of two (boundary contract).
        unsafe {
            *pair = a.as_ptr();
            *pair.add(1) = b.as_ptr();
        }
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_pair_get_partner(bev: *mut bufferevent) -> *mut bufferevent {
    entry("bufferevent_pair_get_partner", || {
        let b: BevRef = arg!(bev)?;
        Ok(pair::partner(b).map_or(std::ptr::null_mut(), BevRef::as_ptr))
    })
}

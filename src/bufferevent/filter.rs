//! Filtering bufferevents (libevent's bufferevent_filter.c): data read by
//! an underlying bufferevent passes through an input filter into this
//! one's input; data written here passes through an output filter into the
//! underlying one's output.

use std::os::raw::{c_int, c_short, c_void};
use std::sync::atomic::{AtomicPtr, Ordering::*};

use crate::buffer_api::{evbuffer, evbuffer_cb_info, evbuffer_remove_buffer};
use crate::event_api::{EV_READ, EV_WRITE};
use crate::layout::{bufferevent, bufferevent_ops};

use super::pair::BEV_NORMAL;
use super::{get, suspend, with_live, BevRef, Kind, BEV_OPT_CLOSE_ON_FREE, BEV_OPT_THREADSAFE};

#[no_mangle]
pub static bufferevent_ops_filter: bufferevent_ops = bufferevent_ops { name: "filter" };

pub(crate) const BEV_OK: c_int = 0;
pub(crate) const BEV_NEED_MORE: c_int = 1;
pub(crate) const BEV_ERROR: c_int = 2;

/// `enum bufferevent_flush_mode` and `enum bufferevent_filter_result` as
/// plain ints (C may pass any value); build.rs spells them as the enums.
pub type FlushMode = c_int;
pub type FilterResult = c_int;
type FilterFn = unsafe extern "C" fn(
    *mut evbuffer,
    *mut evbuffer,
    isize,
    FlushMode,
    *mut c_void,
) -> FilterResult;
pub(crate) type FreeContextFn = Option<unsafe extern "C" fn(*mut c_void)>;

/// What a filtering bufferevent holds besides the common state.
pub(crate) struct Filter {
    underlying: BevRef,
    process_in: FilterFn,
    process_out: FilterFn,
    free_context: FreeContextFn,
    context: *mut c_void,
    inbuf_cb: AtomicPtr<c_void>,
    outbuf_cb: AtomicPtr<c_void>,
}

impl Filter {
    pub(crate) fn underlying(&self) -> BevRef {
        self.underlying
    }

    /// At release: frees the context, and frees the underlying bufferevent
    /// (CLOSE_ON_FREE) or hands it back untouched. Answers the underlying,
    /// whose reference from `new` the caller drops last.
    pub(crate) fn destruct(&self, b: BevRef) -> BevRef {
        if let Some(f) = self.free_context {
            // SAFETY: the program's cleanup for its own context.
            unsafe { f(self.context) };
        }
        b.input().remove_cb(self.inbuf_cb.load(Acquire));
        b.output().remove_cb(self.outbuf_cb.load(Acquire));
        let u = self.underlying;
        if b.is(BEV_OPT_CLOSE_ON_FREE) {
            u.free();
        } else {
            // Still ours (the program may have set its own since).
            if get!(u, cbarg) == b.as_ptr().cast::<c_void>() {
                u.locked(|| {
                    super::set!(u, readcb = None);
                    super::set!(u, writecb = None);
                    super::set!(u, errorcb = None);
                    super::set!(u, cbarg = std::ptr::null_mut());
                });
            }
            u.unsuspend_read(suspend::FILT_READ);
        }
        u
    }
}

// SAFETY: the context pointer is the program's, used as it asked, from
// whatever thread runs the loop; the rest is atomic or immutable.
unsafe impl Sync for Filter {}
// SAFETY: as above.
unsafe impl Send for Filter {}

fn filter<'a>(b: BevRef) -> &'a Filter {
    match &b.bev().kind {
        Kind::Filter(f) => f,
        _ => unreachable!("a filter operation on another kind of bufferevent"),
    }
}

/// The filter used when the program gives none: moves everything.
unsafe extern "C" fn null_filter(
    src: *mut evbuffer,
    dst: *mut evbuffer,
    limit: isize,
    _mode: c_int,
    _ctx: *mut c_void,
) -> c_int {
    // SAFETY: the two live buffers of a filter step; a negative limit
    // means "all", as a huge size.
    if unsafe { evbuffer_remove_buffer(src, dst, limit as usize) } >= 0 {
        BEV_OK
    } else {
        BEV_ERROR
    }
}

pub(crate) fn new(
    underlying: BevRef,
    input: Option<FilterFn>,
    output: Option<FilterFn>,
    options: c_int,
    free_context: FreeContextFn,
    context: *mut c_void,
) -> Result<BevRef, crate::boundary::Refusal> {
    let kind = Kind::Filter(Box::new(Filter {
        underlying,
        process_in: input.unwrap_or(null_filter),
        process_out: output.unwrap_or(null_filter),
        free_context,
        context,
        inbuf_cb: AtomicPtr::new(std::ptr::null_mut()),
        outbuf_cb: AtomicPtr::new(std::ptr::null_mut()),
    }));
    let b = BevRef::create(
        underlying.base(),
        options & !BEV_OPT_THREADSAFE,
        &bufferevent_ops_filter,
        kind,
    )?;
    let f = filter(b);
    let arg: *mut c_void = b.as_ptr().cast();
    underlying.locked(|| {
        super::set!(underlying, readcb = Some(filter_read));
        super::set!(underlying, writecb = Some(filter_write));
        super::set!(underlying, errorcb = Some(filter_event));
        super::set!(underlying, cbarg = arg);
    });
    let inbuf = b.input().add_cb(inbuf_cb, arg);
    b.input().cb_enable(inbuf, false);
    f.inbuf_cb.store(inbuf, Release);
    f.outbuf_cb
        .store(b.output().add_cb(outbuf_cb, arg), Release);
    b.assign_generic_timeouts();
    underlying.incref();
    underlying.enable(EV_READ | EV_WRITE);
    underlying.suspend_read(suspend::FILT_READ);
    Ok(b)
}

pub(crate) fn enable(b: BevRef, what: c_short) -> c_int {
    if what & EV_WRITE != 0 {
        b.reset_generic_write_timeout();
    }
    if what & EV_READ != 0 {
        b.reset_generic_read_timeout();
        filter(b).underlying.unsuspend_read(suspend::FILT_READ);
    }
    0
}

fn readbuf_full(b: BevRef, mode: c_int) -> bool {
    let high = b.wm_read().high;
    mode == BEV_NORMAL && high != 0 && b.input().len() >= high
}

fn underlying_writebuf_full(b: BevRef, mode: c_int) -> bool {
    let u = filter(b).underlying;
    let high = u.wm_write().high;
    mode == BEV_NORMAL && high != 0 && u.output().len() >= high
}

fn limit(high: usize, have: usize, mode: c_int) -> isize {
    if mode == BEV_NORMAL && high != 0 {
        high.saturating_sub(have) as isize
    } else {
        -1
    }
}

/// Runs the input filter while it makes progress and there is room.
/// Answers whether anything was processed.
fn process_input(b: BevRef, mode: c_int) -> bool {
    let f = filter(b);
    if mode == BEV_NORMAL && (b.enabled() & EV_READ == 0 || readbuf_full(b, mode)) {
        return false;
    }
    let (src, dst) = (f.underlying.input(), b.input());
    let mut processed = false;
    loop {
        let lim = limit(b.wm_read().high, dst.len(), mode);
        // SAFETY: the program's filter with its context and two live buffers.
        let res = unsafe { (f.process_in)(src.as_ptr(), dst.as_ptr(), lim, mode, f.context) };
        if res != BEV_OK {
            break;
        }
        processed = true;
        if b.enabled() & EV_READ == 0 || src.len() == 0 || readbuf_full(b, mode) {
            break;
        }
    }
    if processed {
        b.reset_generic_read_timeout();
    }
    processed
}

/// Runs the output filter while it makes progress, the underlying output
/// has room and there is something to send.
fn process_output(b: BevRef, mode: c_int) -> bool {
    let f = filter(b);
    let (src, dst) = (b.output(), f.underlying.output());
    if mode == BEV_NORMAL
        && (b.enabled() & EV_WRITE == 0 || underlying_writebuf_full(b, mode) || src.len() == 0)
    {
        return false;
    }
    // Our own additions must not call us back.
    let entry = f.outbuf_cb.load(Acquire);
    src.cb_enable(entry, false);
    let mut any = false;
    loop {
        let mut processed = false;
        let mut res;
        loop {
            let lim = limit(f.underlying.wm_write().high, dst.len(), mode);
            // SAFETY: as in `process_input`.
            res = unsafe { (f.process_out)(src.as_ptr(), dst.as_ptr(), lim, mode, f.context) };
            if res == BEV_OK {
                processed = true;
                any = true;
            }
            if res != BEV_OK
                || b.enabled() & EV_WRITE == 0
                || src.len() == 0
                || underlying_writebuf_full(b, mode)
            {
                break;
            }
        }
        if !processed {
            break;
        }
        b.trigger(EV_WRITE, 0);
        let again = res == BEV_OK
            && b.enabled() & EV_WRITE != 0
            && src.len() > 0
            && !underlying_writebuf_full(b, mode);
        if !again {
            break;
        }
    }
    src.cb_enable(entry, true);
    if any {
        b.reset_generic_write_timeout();
    }
    any
}

/// New data in the underlying input: filter it up, and if this side is
/// full while data waits below, watch our input for room (so nothing is
/// stranded at the watermark).
fn pull(b: BevRef) {
    let mode = BEV_NORMAL;
    if process_input(b, mode) {
        b.trigger(EV_READ, 0);
    }
    if filter(b).underlying.input().len() > 0 && readbuf_full(b, mode) {
        b.input().cb_enable(filter(b).inbuf_cb.load(Acquire), true);
    }
}

pub(crate) fn flush(b: BevRef, iotype: c_short, mode: c_int) -> c_int {
    b.hold(|| {
        let mut any = false;
        if iotype & EV_READ != 0 {
            any |= process_input(b, mode);
        }
        if iotype & EV_WRITE != 0 {
            any |= process_output(b, mode);
        }
        filter(b).underlying.flush(iotype, mode);
        c_int::from(any)
    })
}

unsafe extern "C" fn filter_read(_u: *mut bufferevent, arg: *mut c_void) {
    with_live(arg, pull);
}

unsafe extern "C" fn filter_write(_u: *mut bufferevent, arg: *mut c_void) {
    with_live(arg, |b| {
        process_output(b, BEV_NORMAL);
    });
}

unsafe extern "C" fn filter_event(_u: *mut bufferevent, what: c_short, arg: *mut c_void) {
    with_live(arg, |b| b.run_eventcb(what, 0));
}

/// Our input drained: if it has room again, filter what waits below.
unsafe extern "C" fn inbuf_cb(
    _buf: *mut evbuffer,
    _info: *const evbuffer_cb_info,
    arg: *mut c_void,
) {
    with_live(arg, |b| {
        if !readbuf_full(b, BEV_NORMAL) {
            b.input().cb_enable(filter(b).inbuf_cb.load(Acquire), false);
            if filter(b).underlying.input().len() > 0 {
                pull(b);
            }
        }
    });
}

/// The program wrote to us: filter it down.
unsafe extern "C" fn outbuf_cb(
    _buf: *mut evbuffer,
    info: *const evbuffer_cb_info,
    arg: *mut c_void,
) {
    // SAFETY: evbuffer passes a valid info record for the call.
    if unsafe { (*info).n_added } == 0 {
        return;
    }
    with_live(arg, |b| {
        process_output(b, BEV_NORMAL);
    });
}

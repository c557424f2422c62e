//! Paired bufferevents (libevent's bufferevent_pair.c): what one side
//! writes arrives in the other's input, moved chain by chain, never copied.

use std::os::raw::{c_int, c_short, c_void};
use std::ptr::NonNull;
use std::sync::atomic::{AtomicPtr, Ordering::*};

use crate::boundary::Refusal;
use crate::buffer_api::{evbuffer, evbuffer_cb_info};
use crate::event_api::{EV_READ, EV_WRITE};
use crate::layout::bufferevent_ops;
use crate::objects::event_base;

use super::{with_live, Bev, BevRef, Kind, BEV_EVENT_EOF, BEV_EVENT_READING, BEV_EVENT_WRITING};
use super::{BEV_OPT_DEFER_CALLBACKS, BEV_OPT_THREADSAFE};

#[no_mangle]
pub static bufferevent_ops_pair: bufferevent_ops = bufferevent_ops { name: "pair" };

/// `bufferevent_flush` modes.
pub(crate) const BEV_NORMAL: c_int = 0;
pub(crate) const BEV_FLUSH: c_int = 1;
pub(crate) const BEV_FINISHED: c_int = 2;

/// The other side of a pair, until either side is released.
#[derive(Default)]
pub(crate) struct Link {
    partner: AtomicPtr<Bev>,
}

impl Link {
    pub(crate) fn partner(&self) -> Option<BevRef> {
        NonNull::new(self.partner.load(Acquire)).map(BevRef)
    }

    /// Cuts both directions, when this side's last reference goes.
    pub(crate) fn unlink(&self) {
        if let Some(p) = self.partner() {
            if let Kind::Pair(other) = &p.bev().kind {
                other.partner.store(std::ptr::null_mut(), Release);
            }
        }
        self.partner.store(std::ptr::null_mut(), Release);
    }
}

fn link<'a>(b: BevRef) -> &'a Link {
    match &b.bev().kind {
        Kind::Pair(l) => l,
        _ => unreachable!("a pair operation on a non-pair bufferevent"),
    }
}

pub(crate) fn partner(b: BevRef) -> Option<BevRef> {
    match &b.bev().kind {
        Kind::Pair(l) => l.partner(),
        _ => None,
    }
}

/// `bufferevent_pair_new`: callbacks are always deferred, as in libevent,
/// so that one side's callback never runs inside the other's call.
pub(crate) fn new(base: *mut event_base, options: c_int) -> Result<[BevRef; 2], Refusal> {
    let options = options | BEV_OPT_DEFER_CALLBACKS;
    let one = side(base, options)?;
    let two = side(base, options & !BEV_OPT_THREADSAFE).inspect_err(|_| one.free())?;
    link(one).partner.store(two.as_ptr().cast(), Release);
    link(two).partner.store(one.as_ptr().cast(), Release);
    for b in [one, two] {
        b.input().freeze(false);
        b.output().freeze(true);
    }
    Ok([one, two])
}

fn side(base: *mut event_base, options: c_int) -> Result<BevRef, Refusal> {
    let b = BevRef::create(
        base,
        options,
        &bufferevent_ops_pair,
        Kind::Pair(Link::default()),
    )?;
    b.output().add_cb(outbuf_cb, b.as_ptr().cast());
    b.assign_generic_timeouts();
    Ok(b)
}

fn wants_to_talk(src: BevRef, dst: BevRef) -> bool {
    src.enabled() & EV_WRITE != 0
        && dst.enabled() & EV_READ != 0
        && !dst.read_suspended()
        && src.output().len() > 0
}

/// Moves `src`'s output into `dst`'s input, up to `dst`'s read high
/// watermark unless `ignore_wm`.
fn transfer(src: BevRef, dst: BevRef, ignore_wm: bool) {
    let (out, inp) = (src.output(), dst.input());
    out.unfreeze(true);
    inp.unfreeze(false);
    let high = dst.wm_read().high;
    let have = inp.len();
    let moved = if high != 0 && have >= high {
        if ignore_wm {
            let n = out.len();
            inp.take_all(out);
            Some(n)
        } else {
            None
        }
    } else if high != 0 {
        let before = out.len();
        inp.take(out, high - have);
        Some(before - out.len())
    } else {
        let n = out.len();
        inp.take_all(out);
        Some(n)
    };
    if let Some(n) = moved {
        if n > 0 {
            dst.reset_generic_read_timeout();
            if dst.output().len() > 0 {
                dst.reset_generic_write_timeout();
            } else {
                BevRef::del_event(dst.ev_write());
            }
        }
        dst.trigger(EV_READ, 0);
        src.trigger(EV_WRITE, 0);
    }
    out.freeze(true);
    inp.freeze(false);
}

pub(crate) fn enable(b: BevRef, what: c_short) -> c_int {
    b.hold(|| {
        if what & EV_READ != 0 {
            b.reset_generic_read_timeout();
        }
        if what & EV_WRITE != 0 && b.output().len() > 0 {
            b.reset_generic_write_timeout();
        }
        let partner = link(b).partner();
        if let Some(p) = partner {
            if what & EV_READ != 0 && wants_to_talk(p, b) {
                transfer(p, b, false);
            }
            if what & EV_WRITE != 0 && wants_to_talk(b, p) {
                transfer(b, p, false);
            }
        }
    });
    0
}

pub(crate) fn flush(b: BevRef, iotype: c_short, mode: c_int) -> c_int {
    let Some(p) = link(b).partner() else {
        return -1;
    };
    if mode == BEV_NORMAL {
        return 0;
    }
    b.hold(|| {
        if iotype & EV_READ != 0 {
            transfer(p, b, true);
        }
        if iotype & EV_WRITE != 0 {
            transfer(b, p, true);
        }
        if mode == BEV_FINISHED {
            let mut what = BEV_EVENT_EOF;
            if iotype & EV_READ != 0 {
                what |= BEV_EVENT_WRITING;
            }
            if iotype & EV_WRITE != 0 {
                what |= BEV_EVENT_READING;
            }
            p.run_eventcb(what, 0);
        }
    });
    0
}

unsafe extern "C" fn outbuf_cb(
    _buf: *mut evbuffer,
    info: *const evbuffer_cb_info,
    arg: *mut c_void,
) {
    // SAFETY: evbuffer passes a valid info record for the call.
    let grew = unsafe { (*info).n_added > (*info).n_deleted };
    if !grew {
        return;
    }
    with_live(arg, |b| {
        if let Some(p) = link(b).partner() {
            if wants_to_talk(b, p) {
                transfer(b, p, false);
            }
        }
    });
}

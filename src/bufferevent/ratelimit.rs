//! Rate limits of bufferevents, alone and in groups (libevent's
//! bufferevent_ratelim.c), on the core's token buckets. A bufferevent
//! without limits pays one atomic load per read or write.

use std::cell::UnsafeCell;
use std::os::raw::{c_int, c_short, c_void};
use std::sync::atomic::{AtomicBool, AtomicPtr, Ordering::*};
use std::sync::Mutex;

use rel_core::bufferevent::ratelimit::{Bucket, BucketConfig};

use crate::base_api::event_base_gettimeofday_cached;
use crate::event_api::{event_add, event_assign, event_del, EV_FINALIZE, EV_PERSIST};
use crate::layout::event;
use crate::objects::{event_base, to_timeval};

use super::{suspend, BevRef};

/// `struct ev_token_bucket_cfg`: opaque to C. Bufferevents keep a pointer
/// to the program's, as libevent does; a group copies it.
pub struct ev_token_bucket_cfg {
    pub(crate) cfg: BucketConfig,
}

/// The smallest share of a group's allowance one member gets per tick.
const DEFAULT_MIN_SHARE: i64 = 64;

fn now_msec(base: *mut event_base) -> u64 {
    let mut tv = to_timeval(std::time::Duration::ZERO);
    // SAFETY: a base pointer the bufferevent holds and a timeval out.
    unsafe { event_base_gettimeofday_cached(base, &mut tv) };
    tv.tv_sec.max(0) as u64 * 1000 + tv.tv_usec.max(0) as u64 / 1000
}

fn add_timer(ev: *mut event, cfg: &BucketConfig) {
    let tv = to_timeval(cfg.tick);
    // SAFETY: an event that this module assigned and keeps alive.
    unsafe { event_add(ev, &tv) };
}

fn del(ev: *mut event) {
    // SAFETY: as in `add_timer`.
    unsafe { event_del(ev) };
}

/// One bufferevent's limits.
pub(crate) struct Limits {
    cfg: *const ev_token_bucket_cfg,
    bucket: Bucket,
    /// Refills the bucket one tick after it ran dry.
    refill: Box<UnsafeCell<event>>,
    group: *const bufferevent_rate_limit_group,
}

impl Limits {
    /// No configuration, no group yet; allocated on first use, so a
    /// bufferevent without limits pays one pointer.
    fn new() -> Box<Limits> {
        Box::new(Limits {
            cfg: std::ptr::null(),
            bucket: Bucket::default(),
            // SAFETY: all-zero bytes are a valid, unassigned struct event.
            refill: Box::new(UnsafeCell::new(unsafe { std::mem::zeroed() })),
            group: std::ptr::null(),
        })
    }
}

/// What a bufferevent holds for rate limiting.
#[derive(Default)]
pub(crate) struct RateLimit {
    on: AtomicBool,
    limits: Mutex<Option<Box<Limits>>>,
}

// SAFETY: the pointers inside are the program's configuration and a group
// it keeps alive while members use it (libevent's contract), used under
// the mutex.
unsafe impl Send for Limits {}

impl RateLimit {
    fn with<R>(&self, f: impl FnOnce(&mut Option<Box<Limits>>) -> R) -> R {
        f(&mut self.limits.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// The refill event, if one was ever made (it needs finalising).
    pub(crate) fn refill_event(&self) -> Option<*mut event> {
        self.with(|l| l.as_ref().map(|l| l.refill.get()))
    }

    /// Leaves the group at release.
    pub(crate) fn release(&self, b: BevRef) {
        let group = self.with(|l| l.as_ref().map_or(std::ptr::null(), |l| l.group));
        if !group.is_null() {
            // SAFETY: groups outlive their members (libevent's contract).
            unsafe { &*group }.remove(b);
        }
    }
}

/// How much the limits let `b` move now in one direction, at most `max`.
pub(crate) fn max_to_move(b: BevRef, write: bool, max: usize) -> usize {
    let rl = &b.bev().rate;
    if !rl.on.load(Acquire) {
        return max;
    }
    let mut max = max.min(isize::MAX as usize) as i64;
    rl.with(|l| {
        let Some(l) = l else { return };
        // SAFETY: the program keeps the configuration alive while in use.
        if let Some(cfg) = unsafe { l.cfg.as_ref() } {
            l.bucket
                .update(&cfg.cfg, cfg.cfg.tick_at(now_msec(b.base())));
            max = if write {
                l.bucket.write_limit
            } else {
                l.bucket.read_limit
            };
        }
        // SAFETY: as in `release`.
        if let Some(g) = unsafe { l.group.as_ref() } {
            max = max.min(g.share(write, b));
        }
    });
    max.max(0) as usize
}

/// Spends `n` bytes of allowance after a read or write.
pub(crate) fn spend(b: BevRef, write: bool, n: usize) {
    let rl = &b.bev().rate;
    if !rl.on.load(Acquire) {
        return;
    }
    let n = n as i64;
    let group = rl.with(|l| {
        let l = l.as_mut()?;
        // SAFETY: the program keeps the configuration alive while in use.
        if let Some(cfg) = unsafe { l.cfg.as_ref() } {
            let limit = if write {
                &mut l.bucket.write_limit
            } else {
                &mut l.bucket.read_limit
            };
            *limit -= n;
            if *limit <= 0 {
                suspend_side(b, write);
                add_timer(l.refill.get(), &cfg.cfg);
            } else if side_suspended(b, write) {
                unsuspend_side(b, write);
            }
        }
        // SAFETY: as in `release`.
        unsafe { l.group.as_ref() }
    });
    if let Some(g) = group {
        g.spend(write, n, true);
    }
}

fn suspend_side(b: BevRef, write: bool) {
    if write {
        b.suspend_write(suspend::BW)
    } else {
        b.suspend_read(suspend::BW)
    }
}

fn unsuspend_side(b: BevRef, write: bool) {
    if write {
        b.unsuspend_write(suspend::BW)
    } else {
        b.unsuspend_read(suspend::BW)
    }
}

fn side_suspended(b: BevRef, write: bool) -> bool {
    let flags = if write {
        b.write_suspended_flags()
    } else {
        b.read_suspended_flags()
    };
    flags & suspend::BW != 0
}

/// `bufferevent_set_rate_limit`: NULL removes the limits.
pub(crate) fn set(b: BevRef, cfg: *const ev_token_bucket_cfg) -> c_int {
    let rl = &b.bev().rate;
    // SAFETY: NULL or the program's live configuration.
    let Some(c) = (unsafe { cfg.as_ref() }) else {
        rl.with(|l| {
            if let Some(l) = l {
                l.cfg = std::ptr::null();
                del(l.refill.get());
            }
        });
        b.unsuspend_read(suspend::BW);
        b.unsuspend_write(suspend::BW);
        return 0;
    };
    let tick = c.cfg.tick_at(now_msec(b.base()));
    let (read, write) = rl
        .with(|l| {
            if let Some(l) = l.as_ref() {
                if l.cfg == cfg {
                    return None;
                }
            }
            let l = l.get_or_insert_with(Limits::new);
            if l.cfg.is_null() {
                l.bucket = Bucket::new(&c.cfg, tick);
            } else {
                l.bucket.clip(&c.cfg);
                del(l.refill.get());
            }
            l.cfg = cfg;
            // SAFETY: the event above, owned by these limits; the callback's
            // argument is the bufferevent that owns them.
            unsafe {
                event_assign(
                    l.refill.get(),
                    b.base(),
                    -1,
                    EV_FINALIZE,
                    Some(refill),
                    b.as_ptr().cast(),
                );
            }
            Some((l.bucket.read_limit > 0, l.bucket.write_limit > 0))
        })
        .map_or((None, None), |(r, w)| (Some(r), Some(w)));
    rl.on.store(true, Release);
    let mut dry = false;
    for (ok, write) in [(read, false), (write, true)] {
        match ok {
            Some(true) => unsuspend_side(b, write),
            Some(false) => {
                suspend_side(b, write);
                dry = true;
            }
            None => {}
        }
    }
    if dry {
        rl.with(|l| {
            if let Some(l) = l {
                add_timer(l.refill.get(), &c.cfg);
            }
        });
    }
    0
}

/// The bucket's allowance (`bufferevent_get_read_limit`), or the largest
/// ssize_t without limits.
pub(crate) fn limit(b: BevRef, write: bool) -> isize {
    b.bev().rate.with(|l| {
        let Some(l) = l.as_mut() else {
            return isize::MAX;
        };
        // SAFETY: the program keeps the configuration alive while in use.
        let Some(cfg) = (unsafe { l.cfg.as_ref() }) else {
            return isize::MAX;
        };
        l.bucket
            .update(&cfg.cfg, cfg.cfg.tick_at(now_msec(b.base())));
        (if write {
            l.bucket.write_limit
        } else {
            l.bucket.read_limit
        }) as isize
    })
}

pub(crate) fn cfg(b: BevRef) -> *const ev_token_bucket_cfg {
    b.bev()
        .rate
        .with(|l| l.as_ref().map_or(std::ptr::null(), |l| l.cfg))
}

/// `bufferevent_decrement_{read,write}_limit`: -1 without a configuration.
pub(crate) fn decrement(b: BevRef, write: bool, decr: isize) -> c_int {
    b.bev().rate.with(|l| {
        let Some(l) = l.as_mut() else { return -1 };
        // SAFETY: the program keeps the configuration alive while in use.
        let Some(cfg) = (unsafe { l.cfg.as_ref() }) else {
            return -1;
        };
        let limit = if write {
            &mut l.bucket.write_limit
        } else {
            &mut l.bucket.read_limit
        };
        let old = *limit;
        *limit -= decr as i64;
        if old > 0 && *limit <= 0 {
            suspend_side(b, write);
            add_timer(l.refill.get(), &cfg.cfg);
        } else if old <= 0 && *limit > 0 {
            if !side_suspended(b, !write) {
                del(l.refill.get());
            }
            unsuspend_side(b, write);
        }
        0
    })
}

/// A tick after the bucket ran dry: refill, resume what has allowance.
unsafe extern "C" fn refill(_fd: c_int, _what: c_short, arg: *mut c_void) {
    super::with_live(arg, |b| {
        let again = b.bev().rate.with(|l| {
            let l = l.as_mut()?;
            // SAFETY: the program keeps the configuration alive while in use.
            let cfg = unsafe { l.cfg.as_ref() }?;
            l.bucket
                .update(&cfg.cfg, cfg.cfg.tick_at(now_msec(b.base())));
            let mut again = false;
            for write in [false, true] {
                if side_suspended(b, write) {
                    let left = if write {
                        l.bucket.write_limit
                    } else {
                        l.bucket.read_limit
                    };
                    if left > 0 {
                        unsuspend_side(b, write);
                    } else {
                        again = true;
                    }
                }
            }
            again.then(|| (l.refill.get(), cfg.cfg.clone()))
        });
        if let Some((ev, cfg)) = again {
            add_timer(ev, &cfg);
        }
    });
}

// ---- groups ------------------------------------------------------------------

struct GroupState {
    cfg: BucketConfig,
    bucket: Bucket,
    members: Vec<usize>,
    min_share: i64,
    configured_min_share: i64,
    read_suspended: bool,
    write_suspended: bool,
    total_read: u64,
    total_written: u64,
}

/// `struct bufferevent_rate_limit_group`: one allowance shared by its
/// members, refilled every tick.
pub struct bufferevent_rate_limit_group {
    base: *mut event_base,
    state: Mutex<GroupState>,
    refill: Box<UnsafeCell<event>>,
    me: AtomicPtr<bufferevent_rate_limit_group>,
}

// SAFETY: the base pointer is only handed back to librel's thread-safe
// calls; the state is behind the mutex.
unsafe impl Sync for bufferevent_rate_limit_group {}
// SAFETY: as above.
unsafe impl Send for bufferevent_rate_limit_group {}

impl bufferevent_rate_limit_group {
    pub(crate) fn new(
        base: *mut event_base,
        cfg: &ev_token_bucket_cfg,
    ) -> *mut bufferevent_rate_limit_group {
        let tick = cfg.cfg.tick_at(now_msec(base));
        let g = Box::into_raw(Box::new(bufferevent_rate_limit_group {
            base,
            state: Mutex::new(GroupState {
                cfg: cfg.cfg.clone(),
                bucket: Bucket::new(&cfg.cfg, tick),
                members: Vec::new(),
                min_share: 0,
                configured_min_share: 0,
                read_suspended: false,
                write_suspended: false,
                total_read: 0,
                total_written: 0,
            }),
            // SAFETY: all-zero bytes are a valid, unassigned struct event.
            refill: Box::new(UnsafeCell::new(unsafe { std::mem::zeroed() })),
            me: AtomicPtr::new(std::ptr::null_mut()),
        }));
        // SAFETY: just made; lives until `free`.
        let gr = unsafe { &*g };
        gr.me.store(g, Release);
        gr.set_min_share(DEFAULT_MIN_SHARE as usize);
        // SAFETY: the group's own event, its callback's argument the group.
        unsafe {
            event_assign(
                gr.refill.get(),
                base,
                -1,
                EV_PERSIST | EV_FINALIZE,
                Some(group_refill),
                g.cast(),
            );
        }
        add_timer(gr.refill.get(), &cfg.cfg);
        g
    }

    fn with<R>(&self, f: impl FnOnce(&mut GroupState) -> R) -> R {
        f(&mut self.state.lock().unwrap_or_else(|e| e.into_inner()))
    }

    pub(crate) fn set_cfg(&self, cfg: &ev_token_bucket_cfg) {
        let retime = self.with(|s| {
            let retime = s.cfg.tick != cfg.cfg.tick;
            s.cfg = cfg.cfg.clone();
            s.bucket.clip(&cfg.cfg);
            let configured = s.configured_min_share;
            s.min_share = clamp_share(configured, &s.cfg);
            retime
        });
        if retime {
            del(self.refill.get());
            add_timer(self.refill.get(), &cfg.cfg);
        }
    }

    /// A member's minimum share, but never more than one tick's rate, so
    /// that at least one member can move each tick.
    pub(crate) fn set_min_share(&self, share: usize) -> c_int {
        if share > isize::MAX as usize {
            return -1;
        }
        self.with(|s| {
            s.configured_min_share = share as i64;
            s.min_share = clamp_share(share as i64, &s.cfg);
        });
        0
    }

    pub(crate) fn add(&self, b: BevRef) {
        let me = self.me.load(Acquire).cast_const();
        let old = b.bev().rate.with(|l| {
            let l = l.get_or_insert_with(Limits::new);
            std::mem::replace(&mut l.group, me)
        });
        if old == me {
            return;
        }
        // SAFETY: groups outlive their members (libevent's contract).
        if let Some(old) = unsafe { old.as_ref() } {
            old.forget(b);
        }
        b.bev().rate.on.store(true, Release);
        let (rs, ws) = self.with(|s| {
            s.members.push(b.as_ptr() as usize);
            (s.read_suspended, s.write_suspended)
        });
        if rs {
            b.suspend_read(suspend::BW_GROUP);
        }
        if ws {
            b.suspend_write(suspend::BW_GROUP);
        }
    }

    /// `bufferevent_remove_from_rate_limit_group`.
    pub(crate) fn remove(&self, b: BevRef) {
        b.bev().rate.with(|l| {
            if let Some(l) = l {
                l.group = std::ptr::null();
            }
        });
        self.forget(b);
        b.unsuspend_read(suspend::BW_GROUP);
        b.unsuspend_write(suspend::BW_GROUP);
    }

    fn forget(&self, b: BevRef) {
        self.with(|s| s.members.retain(|&m| m != b.as_ptr() as usize));
    }

    /// One member's share of the allowance.
    fn share(&self, write: bool, _b: BevRef) -> i64 {
        self.with(|s| {
            if (write && s.write_suspended) || (!write && s.read_suspended) {
                return 0;
            }
            let limit = if write {
                s.bucket.write_limit
            } else {
                s.bucket.read_limit
            };
            (limit / s.members.len().max(1) as i64).max(s.min_share)
        })
    }

    /// Spends `n` of the group's allowance; a transfer also counts in the
    /// totals, an explicit decrement does not.
    fn spend(&self, write: bool, n: i64, transfer: bool) {
        let change = self.with(|s| {
            if transfer {
                if write {
                    s.total_written += n as u64;
                } else {
                    s.total_read += n as u64;
                }
            }
            let (limit, suspended) = if write {
                (&mut s.bucket.write_limit, &mut s.write_suspended)
            } else {
                (&mut s.bucket.read_limit, &mut s.read_suspended)
            };
            *limit -= n;
            if *limit <= 0 {
                *suspended = true;
                Some((true, s.members.clone()))
            } else if *suspended {
                *suspended = false;
                Some((false, s.members.clone()))
            } else {
                None
            }
        });
        if let Some((stop, members)) = change {
            for m in members {
                let b = BevRef::from_member(m);
                match (stop, write) {
                    (true, false) => b.suspend_read(suspend::BW_GROUP),
                    (true, true) => b.suspend_write(suspend::BW_GROUP),
                    (false, false) => b.unsuspend_read(suspend::BW_GROUP),
                    (false, true) => b.unsuspend_write(suspend::BW_GROUP),
                }
            }
        }
    }

    pub(crate) fn limit(&self, write: bool) -> isize {
        self.with(|s| {
            if write {
                s.bucket.write_limit
            } else {
                s.bucket.read_limit
            }
        }) as isize
    }

    pub(crate) fn decrement(&self, write: bool, decr: isize) {
        self.spend(write, decr as i64, false);
    }

    pub(crate) fn totals(&self) -> (u64, u64) {
        self.with(|s| (s.total_read, s.total_written))
    }

    pub(crate) fn reset_totals(&self) {
        self.with(|s| {
            s.total_read = 0;
            s.total_written = 0;
        });
    }

    /// `bufferevent_rate_limit_group_free`: members leave, then it goes.
    ///
    /// # Safety
    /// `g` came from `new` and is not used again.
    pub(crate) unsafe fn free(g: *mut bufferevent_rate_limit_group) {
        // SAFETY: the caller's promise.
        let gr = unsafe { &*g };
        let members = gr.with(|s| std::mem::take(&mut s.members));
        for m in members {
            gr.remove(BevRef::from_member(m));
        }
        // A blocking delete: the refill callback may be running elsewhere.
        // SAFETY: the group's own event.
        unsafe { crate::event_api::event_del_block(gr.refill.get()) };
        // SAFETY: made by Box::into_raw in `new`, no member left.
        drop(unsafe { Box::from_raw(g) });
    }

    pub(crate) fn base(&self) -> *mut event_base {
        self.base
    }
}

fn clamp_share(share: i64, cfg: &BucketConfig) -> i64 {
    share.min(cfg.read_rate).min(cfg.write_rate)
}

/// Every tick: refill the group, and let its members move again once
/// there is at least a minimum share.
unsafe extern "C" fn group_refill(_fd: c_int, _what: c_short, arg: *mut c_void) {
    // SAFETY: the group that owns this event; freeing it deletes the event
    // and waits for this callback first.
    let g = unsafe { &*arg.cast::<bufferevent_rate_limit_group>() };
    let now = now_msec(g.base);
    let resume = g.with(|s| {
        let tick = s.cfg.tick_at(now);
        s.bucket.update(&s.cfg, tick);
        let mut resume = [false; 2];
        if s.read_suspended && s.bucket.read_limit >= s.min_share {
            s.read_suspended = false;
            resume[0] = true;
        }
        if s.write_suspended && s.bucket.write_limit >= s.min_share {
            s.write_suspended = false;
            resume[1] = true;
        }
        (resume, s.members.clone())
    });
    let ([read, write], members) = resume;
    for m in members {
        let b = BevRef::from_member(m);
        if read {
            b.unsuspend_read(suspend::BW_GROUP);
        }
        if write {
            b.unsuspend_write(suspend::BW_GROUP);
        }
    }
}

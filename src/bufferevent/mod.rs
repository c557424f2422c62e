//! The bufferevent object behind `struct bufferevent`: its life (references
//! and finalisation), its lock, suspension, and how its three user
//! callbacks run. The kinds (socket, pair, filter) are in submodules;
//! `bufferevent_api.rs` is the C face.
//!
//! What differs from libevent, on purpose:
//! - no internal lock is held while a user callback runs, so
//!   `bufferevent_free`/`disable` from another thread never waits on a
//!   running callback (libevent issues 512, 1311, 200);
//! - freeing never blocks: the object is released by event finalizers after
//!   any callback of it has returned, so freeing inside its own callbacks,
//!   or at BEV_EVENT_TIMEOUT, is safe (issues 1127, 1564);
//! - reading stops at the read high watermark and resumes when the input
//!   drains below it, with no re-triggered read callback in between
//!   (issue 891's busy loop).

pub(crate) mod buffers;
pub(crate) mod filter;
pub(crate) mod pair;
pub(crate) mod ratelimit;
pub(crate) mod sock;

use std::cell::UnsafeCell;
use std::os::raw::{c_int, c_short, c_void};
use std::ptr::{addr_of_mut, NonNull};
use std::sync::atomic::{AtomicBool, AtomicI16, AtomicI32, AtomicPtr, AtomicU64, AtomicU8};
use std::sync::atomic::{AtomicUsize, Ordering::*};
use std::sync::OnceLock;

use rel_core::buffer::RecLock;

use crate::boundary::{FromC, Refusal};
use crate::buffer_api::{evbuffer, evbuffer_cb_info};
use crate::event_api::{
    event_active, event_add, event_assign, event_del, event_finalize, event_get_base,
    event_get_priority, event_priority_set, EV_FINALIZE, EV_READ, EV_TIMEOUT, EV_WRITE,
};
use crate::layout::{bufferevent, bufferevent_ops, event, event_watermark, EVLIST_INIT};
use crate::legacy::or_current;
use crate::objects::event_base;
use buffers::Buffer;

pub(crate) const BEV_EVENT_READING: c_short = 0x01;
pub(crate) const BEV_EVENT_WRITING: c_short = 0x02;
pub(crate) const BEV_EVENT_EOF: c_short = 0x10;
pub(crate) const BEV_EVENT_ERROR: c_short = 0x20;
pub(crate) const BEV_EVENT_TIMEOUT: c_short = 0x40;
pub(crate) const BEV_EVENT_CONNECTED: c_short = 0x80;

pub(crate) const BEV_OPT_CLOSE_ON_FREE: c_int = 1 << 0;
pub(crate) const BEV_OPT_THREADSAFE: c_int = 1 << 1;
pub(crate) const BEV_OPT_DEFER_CALLBACKS: c_int = 1 << 2;
pub(crate) const BEV_OPT_UNLOCK_CALLBACKS: c_int = 1 << 3;

pub(crate) const BEV_TRIG_IGNORE_WATERMARKS: c_int = 1 << 16;
pub(crate) const BEV_TRIG_DEFER_CALLBACKS: c_int = BEV_OPT_DEFER_CALLBACKS;

/// Why reading or writing is held back, besides the user's `enabled`.
pub(crate) mod suspend {
    /// The input reached its high watermark.
    pub(crate) const WM: u8 = 0x01;
    /// A rate limit ran out.
    pub(crate) const BW: u8 = 0x02;
    /// A hostname is being resolved.
    pub(crate) const LOOKUP: u8 = 0x04;
    /// A rate-limit group ran out.
    pub(crate) const BW_GROUP: u8 = 0x08;
    /// A filter above does not want data.
    pub(crate) const FILT_READ: u8 = 0x10;
}

/// A bufferevent's default cap on one read or write: 64 KiB, where
/// libevent's 16 KiB costs four passes per 64 KiB message.
pub(crate) const DEFAULT_MAX_SINGLE: usize = 65536;
const MAGIC: u64 = 0x7265_6c5f_6265_7621;

/// What kind of bufferevent this is, with what only that kind holds.
pub(crate) enum Kind {
    Socket,
    Pair(pair::Link),
    Filter(Box<filter::Filter>),
}

/// A bufferevent: the public struct first (a `struct bufferevent *` is a
/// pointer to this), then librel's own state.
#[repr(C)]
pub(crate) struct Bev {
    public: UnsafeCell<bufferevent>,
    magic: AtomicU64,
    /// The lock `bufferevent_lock` takes; librel's calls take it around
    /// state changes, never around a user callback.
    lock: RecLock,
    /// The program's reference plus one per librel frame using the object.
    refs: AtomicUsize,
    /// Set by `bufferevent_free`: no more I/O on the program's behalf.
    freed: AtomicBool,
    /// Set once the last reference is gone: finalizers are on their way.
    dying: AtomicBool,
    /// Finalizers still to run before the memory goes.
    finalizers_left: AtomicU8,
    pub(crate) options: c_int,
    pub(crate) kind: Kind,
    read_suspended: AtomicU8,
    write_suspended: AtomicU8,
    pub(crate) connecting: AtomicBool,
    /// The thread running the read callback of a socket bufferevent
    /// (`sock::thread_token`), 0 when none: its writes go out when it
    /// returns, and its own enables and disables settle then.
    pub(crate) reading_thread: AtomicUsize,
    /// Event changes that thread asked for during the callback, applied
    /// when it returns (`sock::DEFER_*`).
    pub(crate) deferred_io: AtomicU8,
    pub(crate) connection_refused: AtomicBool,
    pub(crate) dns_error: AtomicI32,
    pub(crate) max_single_read: AtomicUsize,
    pub(crate) max_single_write: AtomicUsize,
    /// The event that runs deferred callbacks from the loop, made on first
    /// use (most bufferevents never defer).
    deferred: OnceLock<Box<UnsafeCell<event>>>,
    deferred_scheduled: AtomicBool,
    readcb_pending: AtomicBool,
    writecb_pending: AtomicBool,
    eventcb_pending: AtomicI16,
    errno_pending: AtomicI32,
    /// The input buffer's watermark callback, once a high watermark is set.
    wm_cb: AtomicPtr<c_void>,
    pub(crate) rate: ratelimit::RateLimit,
}

// SAFETY: the public struct is touched only through raw field pointers
// (C reads it from any thread too); everything else is atomic or behind
// the lock.
unsafe impl Sync for Bev {}
// SAFETY: as above; nothing in it is tied to a thread.
unsafe impl Send for Bev {}

/// A checked pointer to a live bufferevent.
#[derive(Clone, Copy)]
pub(crate) struct BevRef(NonNull<Bev>);

impl FromC<*mut bufferevent> for BevRef {
    unsafe fn from_c(p: *mut bufferevent) -> Result<Self, Refusal> {
        let p = NonNull::new(p.cast::<Bev>()).ok_or(Refusal::Missing("bufferevent"))?;
        // SAFETY: under the boundary contract `p` points at a bufferevent;
        // the magic word tells a live librel one from anything else.
        let magic = unsafe { &(*p.as_ptr()).magic };
        if magic.load(Relaxed) != MAGIC {
            return Err(Refusal::Misuse("not a live bufferevent"));
        }
        Ok(BevRef(p))
    }
}

impl FromC<*const bufferevent> for BevRef {
    unsafe fn from_c(p: *const bufferevent) -> Result<Self, Refusal> {
        // SAFETY: the same contract, passed on.
        unsafe { BevRef::from_c(p.cast_mut()) }
    }
}

/// A plain field of the public struct, by raw pointer (programs read and
/// sometimes write these fields themselves).
macro_rules! public {
    ($b:expr, $f:ident) => {
        // SAFETY: a live Bev (BevRef's invariant); only the field's address
        // is taken, never a reference to the program-visible struct.
        unsafe { ::std::ptr::addr_of_mut!((*$b.public_ptr()).$f) }
    };
}
pub(crate) use public;

/// Reads a plain public field.
macro_rules! get {
    ($b:expr, $f:ident) => {{
        let p = $crate::bufferevent::public!($b, $f);
        // SAFETY: a valid, aligned field of a live bufferevent.
        unsafe { p.read() }
    }};
}
pub(crate) use get;

/// Writes a plain public field.
macro_rules! set {
    ($b:expr, $f:ident = $v:expr) => {{
        let p = $crate::bufferevent::public!($b, $f);
        // SAFETY: as in `get!`.
        unsafe { p.write($v) }
    }};
}
pub(crate) use set;

impl BevRef {
    /// A new bufferevent of `kind` with fresh buffers, `enabled` = EV_WRITE
    /// as libevent starts it, and its deferred-callback event on `base`
    /// (or the current base when NULL).
    pub(crate) fn create(
        base: *mut event_base,
        options: c_int,
        ops: &'static bufferevent_ops,
        kind: Kind,
    ) -> Result<BevRef, Refusal> {
        if options & (BEV_OPT_DEFER_CALLBACKS | BEV_OPT_UNLOCK_CALLBACKS)
            == BEV_OPT_UNLOCK_CALLBACKS
        {
            return Err(Refusal::Misuse("UNLOCK_CALLBACKS requires DEFER_CALLBACKS"));
        }
        let input = Buffer::new()?;
        let output = Buffer::new().inspect_err(|_| input.free())?;
        // SAFETY: all-zero bytes are a valid `struct bufferevent` (NULL
        // pointers, no callbacks, cleared times).
        let public = unsafe { std::mem::zeroed() };
        let bev = Box::new(Bev {
            public: UnsafeCell::new(public),
            magic: AtomicU64::new(MAGIC),
            lock: RecLock::new(),
            refs: AtomicUsize::new(1),
            freed: AtomicBool::new(false),
            dying: AtomicBool::new(false),
            finalizers_left: AtomicU8::new(0),
            options,
            kind,
            read_suspended: AtomicU8::new(0),
            write_suspended: AtomicU8::new(0),
            connecting: AtomicBool::new(false),
            reading_thread: AtomicUsize::new(0),
            deferred_io: AtomicU8::new(0),
            connection_refused: AtomicBool::new(false),
            dns_error: AtomicI32::new(0),
            max_single_read: AtomicUsize::new(DEFAULT_MAX_SINGLE),
            max_single_write: AtomicUsize::new(DEFAULT_MAX_SINGLE),
            deferred: OnceLock::new(),
            deferred_scheduled: AtomicBool::new(false),
            readcb_pending: AtomicBool::new(false),
            writecb_pending: AtomicBool::new(false),
            eventcb_pending: AtomicI16::new(0),
            errno_pending: AtomicI32::new(0),
            wm_cb: AtomicPtr::new(std::ptr::null_mut()),
            rate: ratelimit::RateLimit::default(),
        });
        let b = BevRef(NonNull::from(Box::leak(bev)));
        set!(b, ev_base = base);
        set!(b, be_ops = ops);
        set!(b, input = input.as_ptr());
        set!(b, output = output.as_ptr());
        set!(b, enabled = EV_WRITE);
        Ok(b)
    }

    /// A member of a rate-limit group, by the address the group recorded;
    /// members leave their group before they are released.
    pub(crate) fn from_member(addr: usize) -> BevRef {
        BevRef(NonNull::new(addr as *mut Bev).expect("a group member's address"))
    }

    /// How much one read or write may move now: the single-operation cap,
    /// lowered by rate limits.
    pub(crate) fn max_to_read(self) -> usize {
        ratelimit::max_to_move(self, false, self.bev().max_single_read.load(Relaxed))
    }

    pub(crate) fn max_to_write(self) -> usize {
        ratelimit::max_to_move(self, true, self.bev().max_single_write.load(Relaxed))
    }

    pub(crate) fn as_ptr(self) -> *mut bufferevent {
        self.0.as_ptr().cast()
    }

    pub(crate) fn public_ptr(self) -> *mut bufferevent {
        self.bev().public.get()
    }

    /// The object. A BevRef is made from a checked C pointer (live for the
    /// call, by the boundary contract) or by the loop while it holds a
    /// reference, and is used only that long; hence the free lifetime.
    pub(crate) fn bev<'a>(self) -> &'a Bev {
        // SAFETY: as above.
        unsafe { self.0.as_ref() }
    }

    pub(crate) fn input(self) -> Buffer {
        Buffer::from_own(get!(self, input))
    }

    pub(crate) fn output(self) -> Buffer {
        Buffer::from_own(get!(self, output))
    }

    pub(crate) fn ev_read(self) -> *mut event {
        public!(self, ev_read)
    }

    pub(crate) fn ev_write(self) -> *mut event {
        public!(self, ev_write)
    }

    /// The deferred-callback event, assigned on first use to the
    /// bufferevent's base at the priority of its read event (libevent's
    /// default: the middle one).
    fn deferred_ev(self) -> *mut event {
        self.bev()
            .deferred
            .get_or_init(|| {
                // SAFETY: all-zero bytes are a valid, unassigned struct event.
                let ev = Box::new(UnsafeCell::new(unsafe { std::mem::zeroed() }));
                self.assign_deferred(ev.get());
                ev
            })
            .get()
    }

    fn deferred_if_made(self) -> Option<*mut event> {
        self.bev().deferred.get().map(|d| d.get())
    }

    pub(crate) fn base(self) -> *mut event_base {
        get!(self, ev_base)
    }

    pub(crate) fn enabled(self) -> c_short {
        // Read atomically: another thread may enable or disable meanwhile.
        let p = public!(self, enabled);
        // SAFETY: a live, aligned c_short that librel writes only atomically.
        unsafe { AtomicI16::from_ptr(p) }.load(Relaxed)
    }

    fn set_enabled_bits(self, add: c_short, remove: c_short) {
        let p = public!(self, enabled);
        // SAFETY: as in `enabled`.
        let a = unsafe { AtomicI16::from_ptr(p) };
        let _ = a.fetch_update(Relaxed, Relaxed, |e| Some((e | add) & !remove));
    }

    pub(crate) fn wm_read(self) -> event_watermark {
        get!(self, wm_read)
    }

    pub(crate) fn wm_write(self) -> event_watermark {
        get!(self, wm_write)
    }

    pub(crate) fn timeout_read(self) -> Option<libc::timeval> {
        nonzero(get!(self, timeout_read))
    }

    pub(crate) fn timeout_write(self) -> Option<libc::timeval> {
        nonzero(get!(self, timeout_write))
    }

    pub(crate) fn is(self, options: c_int) -> bool {
        self.bev().options & options != 0
    }

    pub(crate) fn freed(self) -> bool {
        self.bev().freed.load(Acquire)
    }

    pub(crate) fn dying(self) -> bool {
        self.bev().dying.load(Acquire)
    }

    // ---- the lock --------------------------------------------------------

    pub(crate) fn lock(self) {
        self.bev().lock.lock();
    }

    /// Answers false when this thread did not hold the lock.
    pub(crate) fn unlock(self) -> bool {
        self.bev().lock.unlock()
    }

    /// Runs `f` with the lock held.
    pub(crate) fn locked<R>(self, f: impl FnOnce() -> R) -> R {
        self.lock();
        let r = f();
        self.unlock();
        r
    }

    // ---- references and finalisation -------------------------------------

    pub(crate) fn incref(self) {
        self.bev().refs.fetch_add(1, Relaxed);
    }

    /// Drops a reference; the last one starts finalisation. Answers whether
    /// it did.
    pub(crate) fn decref(self) -> bool {
        if self.bev().refs.fetch_sub(1, AcqRel) != 1 {
            return false;
        }
        if self.bev().dying.swap(true, AcqRel) {
            return false;
        }
        self.start_finalizing();
        true
    }

    /// Holds a reference for the length of `f`: the object outlives
    /// anything `f` calls, even `bufferevent_free`.
    pub(crate) fn hold<R>(self, f: impl FnOnce() -> R) -> R {
        self.incref();
        let r = f();
        self.decref();
        r
    }

    /// Unlinks the kind (a pair's partner), then hands the three events to
    /// the loop's finalizers; the last one to run releases the object, so
    /// no callback of it can still be running or come later.
    fn start_finalizing(self) {
        if let Kind::Pair(link) = &self.bev().kind {
            link.unlink();
        }
        self.bev().rate.release(self);
        let refill = self.bev().rate.refill_event();
        let events = [
            Some(self.ev_read()),
            Some(self.ev_write()),
            self.deferred_if_made(),
            refill,
        ];
        let n = events.iter().flatten().count() as u8;
        self.bev().finalizers_left.store(n, Release);
        for ev in events.into_iter().flatten() {
            // SAFETY: events of this live object, assigned at creation.
            unsafe {
                if event_get_base(ev).is_null() {
                    // No base, so no loop can be running it: finish now.
                    finalized(ev, self.as_ptr().cast());
                } else {
                    event_finalize(0, ev, Some(finalized));
                }
            }
        }
    }

    // ---- suspension --------------------------------------------------------

    pub(crate) fn read_suspended(self) -> bool {
        self.read_suspended_flags() != 0
    }

    pub(crate) fn read_suspended_flags(self) -> u8 {
        self.bev().read_suspended.load(Acquire)
    }

    pub(crate) fn write_suspended_flags(self) -> u8 {
        self.bev().write_suspended.load(Acquire)
    }

    pub(crate) fn write_suspended(self) -> bool {
        self.bev().write_suspended.load(Acquire) != 0
    }

    // Suspension is lock-free: a buffer callback (holding its buffer's
    // lock) may suspend or resume while another thread holds the
    // bufferevent lock and touches that buffer. Each side looks again
    // after acting, so a race leaves the events as the flags say.

    pub(crate) fn suspend_read(self, why: u8) {
        if self.bev().read_suspended.fetch_or(why, AcqRel) == 0 {
            self.kind_disable(EV_READ);
            self.settle(EV_READ);
        }
    }

    pub(crate) fn unsuspend_read(self, why: u8) {
        let was = self.bev().read_suspended.fetch_and(!why, AcqRel);
        if was != 0 && was & !why == 0 {
            self.settle(EV_READ);
        }
    }

    pub(crate) fn suspend_write(self, why: u8) {
        if self.bev().write_suspended.fetch_or(why, AcqRel) == 0 {
            self.kind_disable(EV_WRITE);
            self.settle(EV_WRITE);
        }
    }

    pub(crate) fn unsuspend_write(self, why: u8) {
        let was = self.bev().write_suspended.fetch_and(!why, AcqRel);
        if was != 0 && was & !why == 0 {
            self.settle(EV_WRITE);
        }
    }

    /// Makes one side's events agree with its flags now.
    fn settle(self, side: c_short) {
        let suspended = if side == EV_READ {
            self.read_suspended()
        } else {
            self.write_suspended()
        };
        if suspended || self.enabled() & side == 0 {
            self.kind_disable(side);
        } else {
            self.kind_enable(side);
        }
    }

    // ---- enabling -----------------------------------------------------------

    pub(crate) fn enable(self, what: c_short) -> c_int {
        self.hold(|| {
            self.locked(|| {
                let mut act = what;
                if self.read_suspended() {
                    act &= !EV_READ;
                }
                if self.write_suspended() {
                    act &= !EV_WRITE;
                }
                self.set_enabled_bits(what, 0);
                if act != 0 && self.kind_enable(act) < 0 {
                    -1
                } else {
                    0
                }
            })
        })
    }

    pub(crate) fn disable(self, what: c_short) -> c_int {
        self.locked(|| {
            self.set_enabled_bits(0, what);
            self.kind_disable(what)
        })
    }

    fn kind_enable(self, what: c_short) -> c_int {
        match &self.bev().kind {
            Kind::Socket => sock::enable(self, what),
            Kind::Pair(_) => pair::enable(self, what),
            Kind::Filter(_) => filter::enable(self, what),
        }
    }

    pub(crate) fn flush(self, iotype: c_short, mode: c_int) -> c_int {
        match &self.bev().kind {
            Kind::Socket => 0,
            Kind::Pair(_) => pair::flush(self, iotype, mode),
            Kind::Filter(_) => filter::flush(self, iotype, mode),
        }
    }

    /// `bufferevent_get_underlying`: a filter's; other kinds have none.
    pub(crate) fn underlying(self) -> Option<BevRef> {
        match &self.bev().kind {
            Kind::Filter(f) => Some(f.underlying()),
            _ => None,
        }
    }

    fn kind_disable(self, what: c_short) -> c_int {
        match &self.bev().kind {
            Kind::Socket => sock::disable(self, what),
            Kind::Pair(_) | Kind::Filter(_) => {
                self.del_generic_timeouts(what);
                if let Kind::Filter(f) = &self.bev().kind {
                    if what & EV_READ != 0 {
                        f.underlying().suspend_read(suspend::FILT_READ);
                    }
                }
                0
            }
        }
    }

    // ---- timeouts -----------------------------------------------------------

    /// Adds `ev` with `tv` as its timeout, or none when `tv` is unset.
    pub(crate) fn add_event(ev: *mut event, tv: Option<libc::timeval>) -> c_int {
        let tvp = tv.as_ref().map_or(std::ptr::null(), |t| t as *const _);
        // SAFETY: an event of a live bufferevent and a timeval on our stack.
        unsafe { event_add(ev, tvp) }
    }

    pub(crate) fn del_event(ev: *mut event) -> c_int {
        // SAFETY: an event of a live bufferevent.
        unsafe { event_del(ev) }
    }

    /// For kinds without a descriptor, `ev_read`/`ev_write` are bare timers
    /// that report a timeout.
    pub(crate) fn assign_generic_timeouts(self) {
        let base = self.base();
        // SAFETY: events inside this live object, callbacks of the right type.
        unsafe {
            event_assign(
                self.ev_read(),
                base,
                -1,
                EV_FINALIZE,
                Some(generic_read_timeout),
                self.as_ptr().cast(),
            );
            event_assign(
                self.ev_write(),
                base,
                -1,
                EV_FINALIZE,
                Some(generic_write_timeout),
                self.as_ptr().cast(),
            );
        }
    }

    pub(crate) fn reset_generic_read_timeout(self) {
        match self.timeout_read() {
            Some(tv) => BevRef::add_event(self.ev_read(), Some(tv)),
            None => BevRef::del_event(self.ev_read()),
        };
    }

    pub(crate) fn reset_generic_write_timeout(self) {
        match self.timeout_write() {
            Some(tv) => BevRef::add_event(self.ev_write(), Some(tv)),
            None => BevRef::del_event(self.ev_write()),
        };
    }

    fn del_generic_timeouts(self, what: c_short) {
        if what & EV_READ != 0 {
            BevRef::del_event(self.ev_read());
        }
        if what & EV_WRITE != 0 {
            BevRef::del_event(self.ev_write());
        }
    }

    /// After `bufferevent_set_timeouts`: re-adds the pending events with
    /// their new timeouts (libevent's generic adjustment).
    pub(crate) fn adjust_timeouts(self) -> c_int {
        let mut r = 0;
        for (ev, tv, generic_needs) in [
            (self.ev_read(), self.timeout_read(), EV_READ),
            (self.ev_write(), self.timeout_write(), EV_WRITE),
        ] {
            let pending = pending_io_or_timer(ev);
            match &self.bev().kind {
                Kind::Socket => {
                    if pending && BevRef::add_event(ev, tv) < 0 {
                        r = -1;
                    }
                }
                _ => {
                    // Timer-only events: armed while that side is enabled.
                    let on = self.enabled() & generic_needs != 0;
                    let want = if generic_needs == EV_WRITE {
                        on && self.output().len() > 0
                    } else {
                        on
                    };
                    match tv {
                        Some(tv) if want => {
                            BevRef::add_event(ev, Some(tv));
                        }
                        _ => {
                            BevRef::del_event(ev);
                        }
                    }
                }
            }
        }
        r
    }

    // ---- callbacks -------------------------------------------------------------

    /// Calls the read callback now or from the loop, as libevent's
    /// `bufferevent_trigger` decides: only when reading is enabled and the
    /// input holds at least the low watermark, unless told to ignore it.
    pub(crate) fn trigger(self, iotype: c_short, options: c_int) {
        let ignore_wm = options & BEV_TRIG_IGNORE_WATERMARKS != 0;
        if iotype & EV_READ != 0
            && self.enabled() & EV_READ != 0
            && (ignore_wm || self.input().len() >= self.wm_read().low)
        {
            self.run_readcb(options);
        }
        if iotype & EV_WRITE != 0
            && self.enabled() & EV_WRITE != 0
            && (ignore_wm || self.output().len() <= self.wm_write().low)
        {
            self.run_writecb(options);
        }
    }

    fn defers(self, options: c_int) -> bool {
        (self.bev().options | options) & BEV_OPT_DEFER_CALLBACKS != 0
    }

    pub(crate) fn run_readcb(self, options: c_int) {
        let Some(cb) = get!(self, readcb) else { return };
        if self.defers(options) {
            self.bev().readcb_pending.store(true, Release);
            self.schedule_deferred();
        } else {
            let arg = get!(self, cbarg);
            self.hold(|| {
                // SAFETY: the program's callback with the signature it was
                // registered with; the object outlives the call (`hold`).
                unsafe { cb(self.as_ptr(), arg) }
            });
        }
    }

    pub(crate) fn run_writecb(self, options: c_int) {
        let Some(cb) = get!(self, writecb) else {
            return;
        };
        if self.defers(options) {
            self.bev().writecb_pending.store(true, Release);
            self.schedule_deferred();
        } else {
            let arg = get!(self, cbarg);
            // SAFETY: as in `run_readcb`.
            self.hold(|| unsafe { cb(self.as_ptr(), arg) });
        }
    }

    pub(crate) fn run_eventcb(self, what: c_short, options: c_int) {
        let Some(cb) = get!(self, errorcb) else {
            return;
        };
        if self.defers(options) {
            self.bev().eventcb_pending.fetch_or(what, AcqRel);
            self.bev().errno_pending.store(errno(), Release);
            self.schedule_deferred();
        } else {
            let arg = get!(self, cbarg);
            // SAFETY: as in `run_readcb`.
            self.hold(|| unsafe { cb(self.as_ptr(), what, arg) });
        }
    }

    fn assign_deferred(self, ev: *mut event) {
        let base = or_current(self.base());
        // SAFETY: this object's own events; a callback of the right type.
        unsafe {
            event_assign(
                ev,
                base,
                -1,
                EV_FINALIZE,
                Some(run_deferred),
                self.as_ptr().cast(),
            );
            event_priority_set(ev, event_get_priority(self.ev_read()));
        }
    }

    /// Moves the object's events to `base` (`bufferevent_base_set`).
    pub(crate) fn move_to_base(self, base: *mut event_base) -> c_int {
        set!(self, ev_base = base);
        if let Some(ev) = self.deferred_if_made() {
            self.assign_deferred(ev);
        }
        let mut r = 0;
        for ev in [self.ev_read(), self.ev_write()] {
            // SAFETY: this object's own events.
            if unsafe { crate::base_api::event_base_set(base, ev) } < 0 {
                r = -1;
            }
        }
        r
    }

    pub(crate) fn set_priority(self, pri: c_int) -> c_int {
        let mut r = 0;
        let deferred = self.deferred_if_made();
        for ev in [Some(self.ev_read()), Some(self.ev_write()), deferred]
            .into_iter()
            .flatten()
        {
            // SAFETY: this object's own events.
            if unsafe { event_priority_set(ev, pri) } < 0 {
                r = -1;
            }
        }
        r
    }

    pub(crate) fn priority(self) -> c_int {
        // SAFETY: this object's own event.
        unsafe { event_get_priority(self.ev_read()) }
    }

    fn schedule_deferred(self) {
        if !self.bev().deferred_scheduled.swap(true, AcqRel) {
            self.incref();
            // SAFETY: this object's own event, assigned at creation.
            unsafe { event_active(self.deferred_ev(), EV_TIMEOUT as c_int, 0) };
        }
    }

    /// Runs what was deferred, in libevent's order: connected first, then
    /// read, write, and the other events with the errno they came with.
    fn run_deferred(self) {
        let b = self.bev();
        b.deferred_scheduled.store(false, Release);
        let arg = get!(self, cbarg);
        if let Some(cb) = get!(self, errorcb) {
            if b.eventcb_pending.load(Acquire) & BEV_EVENT_CONNECTED != 0 {
                b.eventcb_pending.fetch_and(!BEV_EVENT_CONNECTED, AcqRel);
                // SAFETY: as in `run_readcb`; a reference is held.
                unsafe { cb(self.as_ptr(), BEV_EVENT_CONNECTED, arg) };
            }
        }
        // Each callback may change the callbacks: read them afresh.
        if let Some(cb) = get!(self, readcb) {
            if b.readcb_pending.swap(false, AcqRel) {
                let arg = get!(self, cbarg);
                // SAFETY: as above.
                unsafe { cb(self.as_ptr(), arg) };
            }
        }
        if let Some(cb) = get!(self, writecb) {
            if b.writecb_pending.swap(false, AcqRel) {
                let arg = get!(self, cbarg);
                // SAFETY: as above.
                unsafe { cb(self.as_ptr(), arg) };
            }
        }
        if let Some(cb) = get!(self, errorcb) {
            let what = b.eventcb_pending.swap(0, AcqRel);
            if what != 0 {
                set_errno(b.errno_pending.swap(0, AcqRel));
                let arg = get!(self, cbarg);
                // SAFETY: as above.
                unsafe { cb(self.as_ptr(), what, arg) };
            }
        }
    }

    /// `bufferevent_free`: no more callbacks, nothing more enabled, and the
    /// program's reference dropped.
    pub(crate) fn free(self) {
        self.bev().freed.store(true, Release);
        self.locked(|| {
            set!(self, readcb = None);
            set!(self, writecb = None);
            set!(self, errorcb = None);
            set!(self, cbarg = std::ptr::null_mut());
        });
        self.decref();
    }

    /// Installs (or turns off) the input buffer's watermark callback after
    /// the read watermarks changed, and suspends or resumes reading now.
    pub(crate) fn watch_read_high_watermark(self, high: usize) {
        let input = self.input();
        if high != 0 {
            let mut entry = self.bev().wm_cb.load(Acquire);
            if entry.is_null() {
                entry = input.add_cb(inbuf_wm_cb, self.as_ptr().cast());
                self.bev().wm_cb.store(entry, Release);
            }
            input.cb_enable(entry, true);
            if input.len() >= high {
                self.suspend_read(suspend::WM);
            } else {
                self.unsuspend_read(suspend::WM);
            }
        } else {
            let entry = self.bev().wm_cb.load(Acquire);
            if !entry.is_null() {
                input.cb_enable(entry, false);
            }
            self.unsuspend_read(suspend::WM);
        }
    }
}

fn nonzero(tv: libc::timeval) -> Option<libc::timeval> {
    (tv.tv_sec != 0 || tv.tv_usec != 0).then_some(tv)
}

/// Whether `ev` is added (I/O or timer), read from its list flags.
pub(crate) fn pending_io_or_timer(ev: *mut event) -> bool {
    // SAFETY: an event of a live bufferevent; flags are read atomically.
    let flags = unsafe { AtomicI16::from_ptr(addr_of_mut!((*ev).ev_evcallback.evcb_flags)) }
        .load(Relaxed) as c_int;
    flags & EVLIST_INIT != 0
        && flags & (crate::layout::EVLIST_INSERTED | crate::layout::EVLIST_TIMEOUT) != 0
}

pub(crate) fn errno() -> c_int {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

fn set_errno(e: c_int) {
    // SAFETY: the calling thread's errno.
    unsafe { *libc::__errno_location() = e };
}

/// Called by the loop for the object whose address is `arg`, holding a
/// reference for the call; does nothing once the object is dying.
pub(crate) fn with_live(arg: *mut c_void, f: impl FnOnce(BevRef)) {
    // SAFETY: `arg` is the address of a Bev registered with one of its own
    // events; the loop never calls an event after its finalizer ran, and
    // the finalizers release the object only after every callback.
    let b = BevRef(unsafe { NonNull::new_unchecked(arg.cast::<Bev>()) });
    if b.dying() {
        return;
    }
    b.hold(|| f(b));
}

unsafe extern "C" fn run_deferred(_fd: c_int, _what: c_short, arg: *mut c_void) {
    // The reference taken when it was scheduled is dropped after the run.
    let b = BevRef(NonNull::new(arg.cast::<Bev>()).expect("deferred callback argument"));
    if !b.dying() {
        b.run_deferred();
    } else {
        b.bev().deferred_scheduled.store(false, Release);
    }
    b.decref();
}

unsafe extern "C" fn generic_read_timeout(_fd: c_int, _what: c_short, arg: *mut c_void) {
    with_live(arg, |b| {
        b.disable(EV_READ);
        b.run_eventcb(BEV_EVENT_TIMEOUT | BEV_EVENT_READING, 0);
    });
}

unsafe extern "C" fn generic_write_timeout(_fd: c_int, _what: c_short, arg: *mut c_void) {
    with_live(arg, |b| {
        b.disable(EV_WRITE);
        b.run_eventcb(BEV_EVENT_TIMEOUT | BEV_EVENT_WRITING, 0);
    });
}

/// The input buffer changed while a read high watermark is set.
unsafe extern "C" fn inbuf_wm_cb(
    _buf: *mut evbuffer,
    _info: *const evbuffer_cb_info,
    arg: *mut c_void,
) {
    with_live(arg, |b| {
        let high = b.wm_read().high;
        if high == 0 {
            return;
        }
        if b.input().len() >= high {
            b.suspend_read(suspend::WM);
        } else {
            b.unsuspend_read(suspend::WM);
        }
    });
}

/// One of the three finalizers; the last one releases the object.
unsafe extern "C" fn finalized(_ev: *mut event, arg: *mut c_void) {
    let b = BevRef(NonNull::new(arg.cast::<Bev>()).expect("finalizer argument"));
    if b.bev().finalizers_left.fetch_sub(1, AcqRel) != 1 {
        return;
    }
    let underlying = match &b.bev().kind {
        Kind::Socket => {
            sock::destruct(b);
            None
        }
        Kind::Pair(_) => None,
        Kind::Filter(f) => Some(f.destruct(b)),
    };
    b.input().free();
    b.output().free();
    b.bev().magic.store(0, Release);
    // SAFETY: made by Box::leak in `create`; every event of the object is
    // finalized and no reference is left.
    drop(unsafe { Box::from_raw(b.0.as_ptr()) });
    if let Some(u) = underlying {
        u.decref();
    }
}

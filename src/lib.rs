//! librel: the libevent 2.1 C API and ABI over the safe event loop in the
//! `rel-core` crate. Every module here is a thin C boundary: one module per
//! public header.

#![allow(non_camel_case_types, clippy::missing_safety_doc)]

use std::os::raw::{c_int, c_short, c_void};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr::addr_of_mut;
use std::sync::atomic::{AtomicI16, AtomicI64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use rel_core::base::{Base, Config, SlotHint};
use rel_core::event::{ev, Callback, Current, Hooks, Spec};
use rel_core::log::warn;

pub mod base_api;
pub mod compat;
pub mod event_api;
pub mod hosted;
pub mod layout;
pub mod log_api;
pub mod thread;
pub mod util;

use layout::{event, EVLIST_FINALIZING, EVLIST_INIT};

/// Opaque to C. The magic catches NULL-adjacent mistakes and freed bases.
pub struct event_base {
    magic: u64,
    /// Boxed so that a freed base shrinks to a small tombstone.
    core: Box<Base>,
    /// `event_base_init_common_timeout` results: boxed so the addresses
    /// handed to C stay put until the base goes.
    #[allow(clippy::vec_box)]
    common_timeouts: Mutex<Vec<Box<libc::timeval>>>,
}

/// Opaque to C.
pub struct event_config {
    cfg: Config,
}

const BASE_MAGIC: u64 = 0x7265_6c5f_6261_7365;
/// Marks an event librel assigned; mixed with its address so that copies of
/// the struct and stray memory are not taken for assigned events.
const EVENT_MAGIC: usize = 0x5245_4c5f_4556_4e54;

/// Logs why `func` refused its arguments. Kept out of line so the checks
/// on the hot paths stay small.
#[cold]
#[inline(never)]
pub(crate) fn refuse(func: &str, why: &str) {
    warn(&format!("{func}: {why}"));
}

/// Logs the core's refusal of `func`; returns -1, what the call returns.
#[cold]
#[inline(never)]
pub(crate) fn refused(func: &str, e: rel_core::Error) -> c_int {
    refuse(func, &e.to_string());
    -1
}

/// A C callback and its argument as the core keeps them: two words.
pub(crate) fn core_callback(
    func: unsafe extern "C" fn(c_int, c_short, *mut c_void),
    arg: *mut c_void,
) -> Callback {
    Callback {
        func: func as usize,
        arg: arg as usize,
    }
}

/// Calls a callback made by [`core_callback`].
pub(crate) unsafe fn call_callback(callback: Callback, fd: c_int, what: c_short) {
    // SAFETY: `func` is the address of a C callback (see core_callback).
    let func = unsafe {
        std::mem::transmute::<usize, unsafe extern "C" fn(c_int, c_short, *mut c_void)>(
            callback.func,
        )
    };
    // SAFETY: the caller's promise: a callback and argument registered together.
    unsafe { func(fd, what, callback.arg as *mut c_void) }
}

/// Runs `f`, turning a panic into `fallback` and a log line.
pub(crate) fn guard<R>(fallback: R, f: impl FnOnce() -> R) -> R {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|_| {
        warn("librel: internal error caught at the C boundary");
        fallback
    })
}

impl event_base {
    fn new(core: Base) -> *mut event_base {
        Box::into_raw(Box::new(event_base {
            magic: BASE_MAGIC,
            core: Box::new(core),
            common_timeouts: Mutex::new(Vec::new()),
        }))
    }

    /// Frees what the base holds but keeps its (small) allocation as a
    /// tombstone, so calls on events of a freed base are refused by the
    /// magic check instead of reading freed memory.
    unsafe fn bury(p: *mut event_base) {
        static TOMBSTONES: Mutex<Vec<usize>> = Mutex::new(Vec::new());
        // SAFETY: a live base from event_base::new, buried once.
        unsafe {
            (*p).magic = 0;
            std::ptr::drop_in_place(&mut (*p).core);
            std::ptr::drop_in_place(&mut (*p).common_timeouts);
        }
        // Kept reachable: the tombstones live as long as the process.
        TOMBSTONES
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(p as usize);
    }

    /// The live base behind `p`, or a logged refusal.
    #[inline]
    unsafe fn from_ptr<'a>(p: *const event_base, func: &str) -> Option<&'a event_base> {
        if p.is_null() {
            refuse(func, "no event_base given");
            return None;
        }
        // SAFETY: non-null; the caller promises it came from event_base_new.
        let base = unsafe { &*p };
        if base.magic != BASE_MAGIC {
            refuse(func, "not a live event_base");
            return None;
        }
        Some(base)
    }
}

/// A caller's `struct event`, checked to be one librel assigned.
#[derive(Clone, Copy)]
pub(crate) struct EventPtr(*mut event);

impl EventPtr {
    /// Checks that `ev` was assigned by librel (never-assigned memory and
    /// NULL are refused with a log line naming `func`).
    pub(crate) unsafe fn assigned(ev: *const event, func: &str) -> Option<EventPtr> {
        if ev.is_null() {
            refuse(func, "no event given");
            return None;
        }
        let e = EventPtr(ev as *mut event);
        if !e.is_assigned() {
            refuse(func, "event has not been assigned (event_assign/event_new)");
            return None;
        }
        Some(e)
    }

    fn ev(&self) -> &event {
        // SAFETY: non-null and the caller's live event (checked at creation).
        unsafe { &*self.0 }
    }

    // The memory is the caller's, not borrowed from `self`.
    #[allow(clippy::mut_from_ref)]
    fn ev_mut(&self) -> &mut event {
        // SAFETY: as above; the caller owns the memory and lends it to us.
        unsafe { &mut *self.0 }
    }

    /// `evcb_flags`, read atomically: the loop thread mirrors state into it
    /// (under the base lock) while other threads call into the API.
    fn flags(&self) -> c_int {
        // SAFETY: a live, aligned i16 inside the caller's event; every
        // access librel makes to it is atomic.
        let f = unsafe { AtomicI16::from_ptr(addr_of_mut!((*self.0).ev_evcallback.evcb_flags)) };
        c_int::from(f.load(Ordering::Relaxed))
    }

    fn set_flags(&self, flags: c_int) {
        // SAFETY: as in flags().
        let f = unsafe { AtomicI16::from_ptr(addr_of_mut!((*self.0).ev_evcallback.evcb_flags)) };
        f.store(flags as i16, Ordering::Relaxed);
    }

    /// `ev_timeout` (monotonic ns), read and written atomically field by
    /// field for the same reason as `flags`.
    fn deadline(&self) -> u64 {
        // SAFETY: live, aligned i64 fields of the caller's event.
        let (sec, usec) = unsafe {
            (
                AtomicI64::from_ptr(addr_of_mut!((*self.0).ev_timeout.tv_sec))
                    .load(Ordering::Relaxed),
                AtomicI64::from_ptr(addr_of_mut!((*self.0).ev_timeout.tv_usec))
                    .load(Ordering::Relaxed),
            )
        };
        (sec.max(0) as u64)
            .saturating_mul(1_000_000_000)
            .saturating_add(usec.max(0) as u64 * 1000)
    }

    fn set_deadline(&self, ns: u64) {
        let tv = libc::timeval {
            tv_sec: (ns / 1_000_000_000) as libc::time_t,
            tv_usec: (ns % 1_000_000_000 / 1000) as libc::suseconds_t,
        };
        // SAFETY: as in deadline().
        unsafe {
            AtomicI64::from_ptr(addr_of_mut!((*self.0).ev_timeout.tv_sec))
                .store(tv.tv_sec, Ordering::Relaxed);
            AtomicI64::from_ptr(addr_of_mut!((*self.0).ev_timeout.tv_usec))
                .store(tv.tv_usec, Ordering::Relaxed);
        }
    }

    fn is_assigned(&self) -> bool {
        let cookie = self.ev().ev_evcallback.evcb_active_next.tqe_next as usize;
        (self.flags() & EVLIST_INIT) != 0 && cookie == (self.0 as usize ^ EVENT_MAGIC)
    }

    /// Marks the event as not assigned, so stale pointers are refused.
    fn unmark(&self) {
        self.set_flags(0);
    }

    fn mark_assigned(&self) {
        let addr = self.0 as usize;
        let e = self.ev_mut();
        e.ev_evcallback.evcb_active_next.tqe_next = (addr ^ EVENT_MAGIC) as *mut _;
        e.ev_evcallback.evcb_active_next.tqe_prev = std::ptr::null_mut();
        e.ev_timeout_pos.min_heap_idx = -1;
        self.set_flags(EVLIST_INIT);
    }

    /// The event's base, checked.
    #[inline]
    fn base<'a>(&self, func: &str) -> Option<&'a event_base> {
        let b = self.ev().ev_base;
        if b.is_null() {
            refuse(func, "event has no event_base set.");
            return None;
        }
        // SAFETY: a non-null base pointer stored by event_assign/event_base_set.
        unsafe { event_base::from_ptr(b, func) }
    }

    fn is_finalizing(&self) -> bool {
        self.flags() & EVLIST_FINALIZING != 0
    }

    /// Whether the event is in any list of the base it names (false
    /// without one): added, timed or queued to run.
    fn is_pending(&self, func: &str) -> bool {
        !self.ev().ev_base.is_null()
            && self
                .base(func)
                .is_some_and(|b| b.core.is_known(self.key(), self))
    }

    fn key(&self) -> usize {
        self.0 as usize
    }

    /// What the event wants, read as it is now (programs may have written
    /// `ev_fd`/`ev_events` directly since assigning it).
    fn spec(&self) -> Spec {
        let e = self.ev();
        Spec {
            key: self.key(),
            fd: e.ev_fd,
            events: e.ev_events as u16,
            priority: e.ev_evcallback.evcb_pri,
            persist_delay: self.persist_interval().map_or(0, rel_core::clock::nanos),
        }
    }

    fn current(&self) -> Current {
        let e = self.ev();
        let evcb = &e.ev_evcallback;
        Current {
            // SAFETY: reading the callback variant of a union we wrote.
            callback: core_callback(
                unsafe { evcb.evcb_cb_union.evcb_callback }.unwrap_or(noop_callback),
                evcb.evcb_arg,
            ),
            fd: e.ev_fd,
        }
    }

    /// A persistent I/O or timer event's interval, kept where libevent keeps
    /// it (`ev_io_timeout`), so it outlives `event_del` as there.
    fn persist_interval(&self) -> Option<Duration> {
        let e = self.ev();
        let events = e.ev_events as u16;
        if events & ev::PERSIST == 0 || events & ev::SIGNAL != 0 {
            return None;
        }
        // SAFETY: the io variant of the union, which librel writes for
        // persistent non-signal events (zeroed by event_assign).
        let tv = unsafe { e.ev_.ev_io.ev_timeout };
        (tv.tv_sec > 0 || tv.tv_usec > 0).then(|| {
            Duration::from_secs(tv.tv_sec as u64) + Duration::from_micros(tv.tv_usec as u64)
        })
    }

    fn set_persist_interval(&self, d: Option<Duration>) {
        let e = self.ev_mut();
        let events = e.ev_events as u16;
        if events & ev::PERSIST != 0 && events & ev::SIGNAL == 0 {
            e.ev_.ev_io.ev_timeout = d.map_or(
                libc::timeval {
                    tv_sec: 0,
                    tv_usec: 0,
                },
                to_timeval,
            );
        }
    }
}

impl SlotHint for EventPtr {
    fn get(&self) -> u32 {
        // SAFETY: plain int member of a union we own the meaning of.
        unsafe { self.ev().ev_timeout_pos.min_heap_idx as u32 }
    }
    fn set(&self, slot: u32) {
        self.ev_mut().ev_timeout_pos.min_heap_idx = slot as c_int;
    }
}

/// The core's [`Hooks::mirror`]: keeps `evcb_flags`, `ev_res` and
/// `ev_timeout` (monotonic, as in libevent) for programs that read them.
fn mirror_state(key: usize, flags: u8, res: Option<u16>, deadline: Option<u64>) {
    let e = EventPtr(key as *mut event);
    e.set_flags(EVLIST_INIT | c_int::from(flags));
    if let Some(res) = res {
        e.ev_mut().ev_res = res as c_short;
    }
    if let Some(deadline) = deadline {
        e.set_deadline(deadline);
    }
}

/// The core's [`Hooks::read`].
fn read_current(key: usize) -> Current {
    EventPtr(key as *mut event).current()
}

/// The core's [`Hooks::last_deadline`].
fn read_deadline(key: usize) -> u64 {
    EventPtr(key as *mut event).deadline()
}

/// A config as the C layer hands it to the core.
pub(crate) fn default_config() -> Config {
    Config::new(Hooks {
        mirror: mirror_state,
        read: read_current,
        last_deadline: read_deadline,
    })
}

unsafe extern "C" fn noop_callback(_: c_int, _: c_short, _: *mut c_void) {}

/// A relative timeout from C: NULL means none; negative fields and
/// deadlines beyond what the clock can hold are refused.
#[inline]
pub(crate) unsafe fn timeout_arg(
    tv: *const libc::timeval,
    func: &str,
) -> Result<Option<Duration>, ()> {
    if tv.is_null() {
        return Ok(None);
    }
    // SAFETY: non-null pointer to the caller's timeval.
    let tv = unsafe { *tv };
    const MAX_SECS: libc::time_t = 1 << 33; // ~272 years
    if tv.tv_sec < 0 || tv.tv_usec < 0 || tv.tv_sec > MAX_SECS || tv.tv_usec > 1 << 40 {
        refuse(
            func,
            &format!("timeout {{{}, {}}} out of range", tv.tv_sec, tv.tv_usec),
        );
        return Err(());
    }
    // Both fields are range-checked above, so this cannot overflow.
    let usec = tv.tv_usec as u64;
    Ok(Some(Duration::new(
        tv.tv_sec as u64 + usec / 1_000_000,
        (usec % 1_000_000) as u32 * 1000,
    )))
}

/// Writes a duration since the epoch into a C timeval.
pub(crate) fn to_timeval(d: Duration) -> libc::timeval {
    libc::timeval {
        tv_sec: d.as_secs() as libc::time_t,
        tv_usec: d.subsec_micros() as libc::suseconds_t,
    }
}

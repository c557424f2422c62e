//! The objects C holds pointers to, and their checked conversions: the
//! opaque `event_base` and `event_config`, and a caller's `struct event`.
//!
//! A caller's event is only ever touched field by field, through raw
//! pointers: the loop thread mirrors state into `evcb_flags`, `ev_res` and
//! `ev_timeout` while other threads call the API, so no reference to the
//! whole struct is ever made.

use std::ffi::CStr;
use std::os::raw::{c_char, c_int, c_short, c_void};
use std::ptr::{addr_of_mut, NonNull};
use std::sync::atomic::{AtomicI16, AtomicI64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use rel_core::base::{Base, Config, SlotHint};
use rel_core::event::{ev, evlist, Callback, Current, Hooks, Key, Spec};

use crate::boundary::{FromC, Refusal};
use crate::layout::{event, EVLIST_FINALIZING, EVLIST_INIT};

/// Opaque to C. The magic catches stray pointers and freed bases.
pub struct event_base {
    magic: u64,
    /// Boxed so that a freed base shrinks to a small tombstone.
    pub(crate) core: Box<Base>,
    /// `event_base_init_common_timeout` results: boxed so the addresses
    /// handed to C stay put until the base goes.
    #[allow(clippy::vec_box)]
    pub(crate) common_timeouts: Mutex<Vec<Box<libc::timeval>>>,
}

/// Opaque to C.
pub struct event_config {
    pub(crate) cfg: Config,
}

const BASE_MAGIC: u64 = 0x7265_6c5f_6261_7365;
/// Marks an event librel assigned; mixed with its address so that copies of
/// the struct and stray memory are not taken for assigned events.
const EVENT_MAGIC: usize = 0x5245_4c5f_4556_4e54;

impl event_base {
    pub(crate) fn new(core: Base) -> *mut event_base {
        Box::into_raw(Box::new(event_base {
            magic: BASE_MAGIC,
            core: Box::new(core),
            common_timeouts: Mutex::new(Vec::new()),
        }))
    }

    /// Frees what the base holds but keeps its (small) allocation as a
    /// tombstone, so calls on events of a freed base are refused by the
    /// magic check instead of reading freed memory.
    pub(crate) fn bury(&self) {
        static TOMBSTONES: Mutex<Vec<usize>> = Mutex::new(Vec::new());
        let p = (self as *const event_base).cast_mut();
        // SAFETY: `self` came from `event_base::new` (checked by `live`) and
        // is buried once: the magic is cleared first, so no later `live`
        // hands it out again. Only its fields are dropped, in place.
        unsafe {
            (*p).magic = 0;
            std::ptr::drop_in_place(addr_of_mut!((*p).core));
            std::ptr::drop_in_place(addr_of_mut!((*p).common_timeouts));
        }
        // Kept reachable: the tombstones live as long as the process.
        TOMBSTONES
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(p as usize);
    }

    /// The one check of a base pointer.
    ///
    /// # Safety
    ///
    /// `p` is NULL, or a pointer `event_base_new` returned (live or buried).
    #[inline]
    pub(crate) unsafe fn live<'a>(p: *const event_base) -> Result<&'a event_base, Refusal> {
        // SAFETY: by the contract above, a non-NULL `p` points at an
        // event_base or its tombstone, both of which keep `magic`.
        match unsafe { p.as_ref() } {
            None => Err(Refusal::Missing("event_base")),
            Some(b) if b.magic == BASE_MAGIC => Ok(b),
            Some(_) => Err(Refusal::NotLiveBase),
        }
    }
}

impl FromC<*const event_base> for &event_base {
    unsafe fn from_c(p: *const event_base) -> Result<Self, Refusal> {
        // SAFETY: the boundary contract (a base pointer C got from librel).
        unsafe { event_base::live(p) }
    }
}

impl FromC<*mut event_base> for &event_base {
    unsafe fn from_c(p: *mut event_base) -> Result<Self, Refusal> {
        // SAFETY: as above.
        unsafe { event_base::live(p) }
    }
}

impl FromC<*mut event_config> for &mut event_config {
    unsafe fn from_c(p: *mut event_config) -> Result<Self, Refusal> {
        // SAFETY: the boundary contract: a config from event_config_new,
        // which only its owner uses.
        unsafe { p.as_mut() }.ok_or(Refusal::Missing("config"))
    }
}

impl FromC<*const event_config> for Option<&event_config> {
    /// NULL means the defaults.
    unsafe fn from_c(p: *const event_config) -> Result<Self, Refusal> {
        // SAFETY: as above.
        Ok(unsafe { p.as_ref() })
    }
}

impl FromC<*const c_char> for &CStr {
    unsafe fn from_c(s: *const c_char) -> Result<Self, Refusal> {
        if s.is_null() {
            return Err(Refusal::Missing("string"));
        }
        // SAFETY: the boundary contract: a NUL-terminated string.
        Ok(unsafe { CStr::from_ptr(s) })
    }
}

/// A relative timeout from C: NULL means none; negative fields and
/// deadlines beyond what the clock can hold are refused.
pub(crate) struct Timeout(pub Option<Duration>);

/// The caller's timeval if it is within range (see [`Timeout`]).
fn checked_timeval(tv: libc::timeval) -> Result<libc::timeval, Refusal> {
    const MAX_SECS: libc::time_t = 1 << 33; // ~272 years
    if tv.tv_sec < 0 || tv.tv_usec < 0 || tv.tv_sec > MAX_SECS || tv.tv_usec > 1 << 40 {
        return Err(Refusal::Timeout {
            sec: tv.tv_sec,
            usec: tv.tv_usec,
        });
    }
    Ok(tv)
}

impl FromC<*const libc::timeval> for Timeout {
    unsafe fn from_c(tv: *const libc::timeval) -> Result<Self, Refusal> {
        // SAFETY: the boundary contract: NULL or the caller's timeval.
        let Some(&tv) = (unsafe { tv.as_ref() }) else {
            return Ok(Timeout(None));
        };
        let tv = checked_timeval(tv)?;
        // Both fields are range-checked, so this cannot overflow.
        let usec = tv.tv_usec as u64;
        Ok(Timeout(Some(Duration::new(
            tv.tv_sec as u64 + usec / 1_000_000,
            (usec % 1_000_000) as u32 * 1000,
        ))))
    }
}

/// `event_add`'s timeout: the delay in ns, and the timeval as the caller
/// gave it, which a persistent event keeps as its interval (as libevent
/// does). No `Duration` on the way: this runs on every `event_add`.
pub(crate) struct AddTimeout(pub Option<(u64, libc::timeval)>);

impl FromC<*const libc::timeval> for AddTimeout {
    unsafe fn from_c(tv: *const libc::timeval) -> Result<Self, Refusal> {
        // SAFETY: the boundary contract: NULL or the caller's timeval.
        let Some(&tv) = (unsafe { tv.as_ref() }) else {
            return Ok(AddTimeout(None));
        };
        let tv = checked_timeval(tv)?;
        // Both fields are range-checked, so this cannot overflow.
        let ns = tv.tv_sec as u64 * 1_000_000_000 + tv.tv_usec as u64 * 1000;
        Ok(AddTimeout(Some((ns, tv))))
    }
}

/// A timeval in the caller's memory (librel wrote it, but the caller may
/// have since) in ns, saturating.
fn timeval_ns(tv: libc::timeval) -> u64 {
    (tv.tv_sec.max(0) as u64)
        .saturating_mul(1_000_000_000)
        .saturating_add(tv.tv_usec.max(0) as u64 * 1000)
}

/// Writes a duration (since the epoch, or relative) into a C timeval.
pub(crate) fn to_timeval(d: Duration) -> libc::timeval {
    libc::timeval {
        tv_sec: d.as_secs() as libc::time_t,
        tv_usec: d.subsec_micros() as libc::suseconds_t,
    }
}

/// A C callback (`event_callback_fn` without its `Option`).
pub(crate) type CallbackFn = unsafe extern "C" fn(c_int, c_short, *mut c_void);

/// A C callback as the core keeps it: the function's address and the
/// argument, two opaque words.
pub(crate) fn core_callback(func: CallbackFn, arg: *mut c_void) -> Callback {
    Callback {
        func: func as usize,
        arg: arg as usize,
    }
}

/// Calls a callback made by [`core_callback`] (the only kind the C layer
/// hands the core).
pub(crate) fn call(callback: Callback, fd: c_int, what: c_short) {
    // SAFETY: `func` is the address of a `CallbackFn` (see core_callback).
    let func = unsafe { std::mem::transmute::<usize, CallbackFn>(callback.func) };
    // SAFETY: a callback and argument the program registered together,
    // called with the C signature it was registered with.
    unsafe { func(fd, what, callback.arg as *mut c_void) }
}

/// One field of the event behind an [`EventRef`], by raw pointer.
macro_rules! field {
    ($e:expr, $($f:ident).+) => {
        // SAFETY: an EventRef points at a struct event that the caller lends
        // for the call (the boundary contract) or that a list of its base
        // holds (see `EventRef::from_key`); only the field's address is
        // taken, never a reference to the whole struct.
        unsafe { addr_of_mut!((*$e.as_ptr()).$($f).+) }
    };
}

/// Reads or writes a plain field of the event behind an [`EventRef`]. The
/// fields read this way are the program's to write and are not written by
/// other threads (the loop's mirrored state is accessed atomically).
macro_rules! get {
    ($e:expr, $($f:ident).+) => {{
        let p = field!($e, $($f).+);
        // SAFETY: a valid, aligned field of a live event (see `field!`).
        unsafe { p.read() }
    }};
}

macro_rules! set {
    ($e:expr, $($f:ident).+ = $v:expr) => {{
        let p = field!($e, $($f).+);
        // SAFETY: as in `get!`.
        unsafe { p.write($v) }
    }};
}

/// A field that threads share, as an atomic of its width, for one access.
macro_rules! atomic {
    ($atomic:ident, $e:expr, $($f:ident).+) => {{
        let p = field!($e, $($f).+);
        // SAFETY: a live, aligned field of the atomic's width (see `field!`)
        // that librel only ever accesses atomically.
        unsafe { $atomic::from_ptr(p) }
    }};
}

/// A non-NULL pointer to a caller's `struct event`, assigned or not.
#[derive(Clone, Copy)]
pub(crate) struct EventRef(NonNull<event>);

impl FromC<*const event> for EventRef {
    unsafe fn from_c(ev: *const event) -> Result<Self, Refusal> {
        NonNull::new(ev.cast_mut())
            .map(EventRef)
            .ok_or(Refusal::Missing("event"))
    }
}

impl FromC<*mut event> for EventRef {
    unsafe fn from_c(ev: *mut event) -> Result<Self, Refusal> {
        NonNull::new(ev)
            .map(EventRef)
            .ok_or(Refusal::Missing("event"))
    }
}

impl EventRef {
    /// The event a core key names (keys of the caller's events are their
    /// addresses). The core calls its hooks only for events in its lists,
    /// which the program keeps alive until it deletes them.
    pub(crate) fn from_key(key: Key) -> EventRef {
        // SAFETY: a caller's key is the address of its struct event, never 0.
        EventRef(unsafe { NonNull::new_unchecked(key as *mut event) })
    }

    fn as_ptr(self) -> *mut event {
        self.0.as_ptr()
    }

    pub(crate) fn key(self) -> Key {
        self.as_ptr() as Key
    }

    /// `evcb_flags`, read atomically: the loop thread mirrors state into it
    /// (under the base lock) while other threads call into the API.
    pub(crate) fn flags(self) -> c_int {
        c_int::from(atomic!(AtomicI16, self, ev_evcallback.evcb_flags).load(Ordering::Relaxed))
    }

    pub(crate) fn set_flags(self, flags: c_int) {
        atomic!(AtomicI16, self, ev_evcallback.evcb_flags).store(flags as i16, Ordering::Relaxed);
    }

    /// `ev_timeout` (monotonic ns), read and written atomically field by
    /// field for the same reason as the flags.
    fn deadline(self) -> u64 {
        let sec = atomic!(AtomicI64, self, ev_timeout.tv_sec).load(Ordering::Relaxed);
        let usec = atomic!(AtomicI64, self, ev_timeout.tv_usec).load(Ordering::Relaxed);
        (sec.max(0) as u64)
            .saturating_mul(1_000_000_000)
            .saturating_add(usec.max(0) as u64 * 1000)
    }

    fn set_deadline(self, ns: u64) {
        atomic!(AtomicI64, self, ev_timeout.tv_sec)
            .store((ns / 1_000_000_000) as i64, Ordering::Relaxed);
        atomic!(AtomicI64, self, ev_timeout.tv_usec)
            .store((ns % 1_000_000_000 / 1000) as i64, Ordering::Relaxed);
    }

    pub(crate) fn is_assigned(self) -> bool {
        let cookie = get!(self, ev_evcallback.evcb_active_next.tqe_next) as usize;
        (self.flags() & EVLIST_INIT) != 0 && cookie == (self.key() ^ EVENT_MAGIC)
    }

    /// Zeroes the event and marks it assigned.
    pub(crate) fn reset(self) {
        // SAFETY: the caller hands us event memory to (re)initialise, and
        // all-zero bytes are a valid `struct event`.
        unsafe { self.as_ptr().write(std::mem::zeroed()) };
        set!(
            self,
            ev_evcallback.evcb_active_next.tqe_next = (self.key() ^ EVENT_MAGIC) as *mut _
        );
        set!(self, ev_timeout_pos.min_heap_idx = -1);
        self.set_flags(EVLIST_INIT);
    }

    /// Marks the event as not assigned, so stale pointers are refused.
    pub(crate) fn unmark(self) {
        self.set_flags(0);
    }

    pub(crate) fn fd(self) -> c_int {
        get!(self, ev_fd)
    }

    pub(crate) fn set_fd(self, fd: c_int) {
        set!(self, ev_fd = fd);
    }

    pub(crate) fn events(self) -> c_short {
        get!(self, ev_events)
    }

    pub(crate) fn set_events(self, events: c_short) {
        set!(self, ev_events = events);
    }

    pub(crate) fn base_ptr(self) -> *mut event_base {
        get!(self, ev_base)
    }

    pub(crate) fn set_base(self, base: *mut event_base) {
        set!(self, ev_base = base);
    }

    pub(crate) fn callback(self) -> Option<CallbackFn> {
        get!(self, ev_evcallback.evcb_cb_union.evcb_callback)
    }

    pub(crate) fn set_callback(self, callback: Option<CallbackFn>) {
        set!(self, ev_evcallback.evcb_cb_union.evcb_callback = callback);
    }

    pub(crate) fn arg(self) -> *mut c_void {
        get!(self, ev_evcallback.evcb_arg)
    }

    pub(crate) fn set_arg(self, arg: *mut c_void) {
        set!(self, ev_evcallback.evcb_arg = arg);
    }

    pub(crate) fn priority(self) -> u8 {
        get!(self, ev_evcallback.evcb_pri)
    }

    pub(crate) fn set_priority(self, pri: u8) {
        set!(self, ev_evcallback.evcb_pri = pri);
    }

    pub(crate) fn set_closure(self, closure: u8) {
        set!(self, ev_evcallback.evcb_closure = closure);
    }

    fn set_res(self, res: c_short) {
        set!(self, ev_res = res);
    }

    /// The event's callback and fd as its memory holds them now.
    fn current(self) -> Current {
        Current {
            callback: core_callback(self.callback().unwrap_or(noop_callback), self.arg()),
            fd: self.fd(),
        }
    }

    /// Whether a persistent I/O or timer event has an interval, kept where
    /// libevent keeps it (`ev_io_timeout`), so that it outlives `event_del`
    /// as there: whether [`EventRef::interval_field_ns`] is not 0, without
    /// its arithmetic (this is read on every `event_add`).
    fn has_persist_interval(self) -> bool {
        let events = self.events() as u16;
        if events & ev::PERSIST == 0 || events & ev::SIGNAL != 0 {
            return false;
        }
        let tv = get!(self, ev_.ev_io.ev_timeout);
        tv.tv_sec > 0 || tv.tv_usec > 0
    }

    /// The io variant of the union's `ev_timeout` in ns, which librel writes
    /// for persistent non-signal events (zeroed by event_assign).
    fn interval_field_ns(self) -> u64 {
        timeval_ns(get!(self, ev_.ev_io.ev_timeout))
    }

    /// Keeps `tv` (all zero: none) as a persistent event's interval.
    pub(crate) fn set_persist_interval(self, tv: libc::timeval) {
        let events = self.events() as u16;
        if events & ev::PERSIST != 0 && events & ev::SIGNAL == 0 {
            set!(self, ev_.ev_io.ev_timeout = tv);
        }
    }

    /// The slot hint the core keeps in `ev_timeout_pos.min_heap_idx`.
    pub(crate) fn slot_hint(&self) -> &SlotHint {
        let p = field!(*self, ev_timeout_pos.min_heap_idx);
        // SAFETY: a live, aligned `c_int` field (see `field!`), which
        // librel accesses only through this atomic of its width once the
        // event is assigned; `SlotHint` is a transparent `AtomicU32`.
        unsafe { &*p.cast::<SlotHint>() }
    }
}

/// A caller's event that librel assigned (never-assigned memory is refused).
#[derive(Clone, Copy)]
pub(crate) struct AssignedEvent(EventRef);

impl<P> FromC<P> for AssignedEvent
where
    EventRef: FromC<P>,
{
    unsafe fn from_c(ev: P) -> Result<Self, Refusal> {
        // SAFETY: forwarded under the same contract.
        let e: EventRef = unsafe { FromC::from_c(ev) }?;
        if e.is_assigned() {
            Ok(AssignedEvent(e))
        } else {
            Err(Refusal::NotAssigned)
        }
    }
}

impl std::ops::Deref for AssignedEvent {
    type Target = EventRef;
    fn deref(&self) -> &EventRef {
        &self.0
    }
}

impl AssignedEvent {
    /// The event's base: the one checked way to reach it from an event.
    #[inline]
    pub(crate) fn base<'a>(&self) -> Result<&'a event_base, Refusal> {
        let b = self.base_ptr();
        if b.is_null() {
            return Err(Refusal::NoBase);
        }
        // SAFETY: a non-NULL base pointer that event_assign or
        // event_base_set stored, so one librel returned (live or buried).
        unsafe { event_base::live(b) }
    }

    pub(crate) fn is_finalizing(&self) -> bool {
        self.flags() & EVLIST_FINALIZING != 0
    }

    /// Whether the event is in any list of its base (false without one):
    /// added, timed or queued to run. Flags naming no list answer without
    /// the base's lock (see [`evlist::LISTS`]; the 1.4 calls check this on
    /// every re-registration); flags naming one are confirmed with the
    /// base, since a copied or stale struct may carry them.
    pub(crate) fn is_pending(&self) -> bool {
        self.flags() & c_int::from(evlist::LISTS) != 0
            && self
                .base()
                .is_ok_and(|b| b.core.is_known(self.key(), self.slot_hint()))
    }

    /// What the event wants, read as it is now (programs may have written
    /// `ev_fd`/`ev_events` directly since assigning it).
    pub(crate) fn spec(&self) -> Spec {
        Spec {
            key: self.key(),
            fd: self.fd(),
            events: self.events() as u16,
            priority: self.priority(),
            interval: self.has_persist_interval(),
        }
    }
}

/// The core's [`Hooks::mirror`]: keeps `evcb_flags` (and, below, `ev_res`
/// and `ev_timeout`, monotonic as in libevent) for programs that read them.
fn mirror_flags(key: Key, flags: u8) {
    EventRef::from_key(key).set_flags(EVLIST_INIT | c_int::from(flags));
}

/// The core's [`Hooks::mirror_res`].
fn mirror_res(key: Key, flags: u8, res: u16) {
    let e = EventRef::from_key(key);
    e.set_flags(EVLIST_INIT | c_int::from(flags));
    e.set_res(res as c_short);
}

/// The core's [`Hooks::mirror_deadline`].
fn mirror_deadline(key: Key, flags: u8, deadline: u64) {
    let e = EventRef::from_key(key);
    e.set_flags(EVLIST_INIT | c_int::from(flags));
    e.set_deadline(deadline);
}

/// The core's [`Hooks::read`], which the dispatchers also call inline as
/// they run a caller's event (`Dispatch::call_event`).
#[inline]
pub(crate) fn read_current(key: Key) -> Current {
    EventRef::from_key(key).current()
}

/// The core's [`Hooks::last_deadline`].
fn read_deadline(key: Key) -> u64 {
    EventRef::from_key(key).deadline()
}

/// The core's [`Hooks::persist_delay`].
fn read_interval(key: Key) -> u64 {
    // Asked only of events added with an interval: no need to check the kind.
    EventRef::from_key(key).interval_field_ns()
}

/// The core's [`Hooks::detach`]: an event of a freed base no longer names
/// it, so later calls on it are refused instead of reaching freed memory.
fn detach(key: Key) {
    EventRef::from_key(key).set_base(std::ptr::null_mut());
}

/// A config as the C layer hands it to the core.
pub(crate) fn default_config() -> Config {
    Config::new(Hooks {
        mirror: mirror_flags,
        mirror_res,
        mirror_deadline,
        read: read_current,
        last_deadline: read_deadline,
        persist_delay: read_interval,
        detach,
    })
}

unsafe extern "C" fn noop_callback(_: c_int, _: c_short, _: *mut c_void) {}

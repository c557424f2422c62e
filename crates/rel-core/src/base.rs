//! An event base (libevent's event.c): the thread-safe face of a
//! `Registry` and the loop that runs it.
//!
//! Every base is locked, so any thread may add, delete or activate events
//! while another dispatches; a change made while the loop is blocked in its
//! backend wakes it through the base's wake-up fd. Callbacks run with the
//! lock released.

use parking_lot::{Condvar, Mutex, MutexGuard};
use std::io;
use std::os::unix::io::RawFd;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering::Relaxed};
use std::sync::Arc;
use std::time::Duration;

use super::backend::{Backend, Method, Ready, METHODS};
use super::clock;
use super::deadline_clock::DeadlineClock;
use super::error::Error;
use super::event::{
    ev, evlist, owned_by_caller, rearms, Action, Callback, Current, Hooks, Key, Spec,
};
use super::log::{emit, warn, Severity};
use super::pass::Pass;
use super::poll_first::PollFirst;
use super::registry::Registry;
use super::slots::{Counts, Dequeued, Hot};

/// `EVENT_BASE_FLAG_*` values the core looks at.
pub mod flag {
    pub const IGNORE_ENV: i32 = 0x02;
    pub const NO_CACHE_TIME: i32 = 0x08;
}

/// `EVLOOP_*` values.
pub mod run_flag {
    pub const ONCE: i32 = 1;
    pub const NONBLOCK: i32 = 2;
    pub const NO_EXIT_ON_EMPTY: i32 = 4;
}

/// libevent's `EVENT_MAX_PRIORITIES`.
pub const MAX_PRIORITIES: usize = 256;

/// Longest single wait: far deadlines are reached in steps of this.
const MAX_WAIT: Duration = Duration::from_secs(24 * 3600);

/// What `event_config_*` collects.
#[derive(Clone, Debug)]
pub struct Config {
    pub avoid: Vec<String>,
    pub require_features: u32,
    pub flags: i32,
    /// `event_config_set_max_dispatch_interval`: limits for queues at or
    /// below `min_priority` in urgency.
    pub max_interval: Option<Duration>,
    pub max_callbacks: Option<u32>,
    pub min_priority: usize,
    pub hooks: Hooks,
}

impl Config {
    /// No preferences, for events reached through `hooks`.
    pub fn new(hooks: Hooks) -> Config {
        Config {
            avoid: Vec::new(),
            require_features: 0,
            flags: 0,
            max_interval: None,
            max_callbacks: None,
            min_priority: 0,
            hooks,
        }
    }
}

/// Where the slot index of an event is kept (inside the caller's memory):
/// trusted only once the slot it names is found to hold the event, and
/// written only with the base locked, so it always names the event's slot
/// when the event has one. A field of the event's own width, read and
/// written inline (a trait object cost a call on every add and delete).
#[repr(transparent)]
pub struct SlotHint(AtomicU32);

impl SlotHint {
    #[inline]
    pub fn get(&self) -> u32 {
        self.0.load(Relaxed)
    }

    #[inline]
    pub fn set(&self, slot: u32) {
        self.0.store(slot, Relaxed)
    }
}

/// A hint naming no slot.
impl Default for SlotHint {
    fn default() -> SlotHint {
        SlotHint(AtomicU32::new(u32::MAX))
    }
}

/// How `event_del` treats an event whose callback runs on another thread.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum DelMode {
    /// Wait for it unless the event has EV_FINALIZE (plain `event_del`).
    Default,
    Block,
    NoBlock,
}

/// The C layer's side of the loop.
pub trait Dispatch {
    /// Runs one callback; returns false to end the pass (1.4's `event_gotsig`).
    fn call(&mut self, callback: Callback, fd: RawFd, res: u16) -> bool;
    /// Runs the caller's event `key` as its memory holds it now, which
    /// `read` tells: libevent too takes the callback, argument and fd from
    /// the event as it runs it. Called with the base unlocked. An embedding
    /// that owns that memory reads it inline instead, saving a call.
    fn call_event(&mut self, key: Key, res: u16, read: fn(Key) -> Current) -> bool {
        let c = read(key);
        self.call(c.callback, c.fd, res)
    }
    /// Runs the finalizer of the caller's event `event` (`event_finalize`),
    /// which has left every list of the base.
    fn finalize(&mut self, event: Key, finalizer: Callback);
    /// Checked before every pass: true makes the loop return -1 (1.4's
    /// `event_sigcb` returning -1).
    fn abort_requested(&mut self) -> bool;
    /// Whether blocking waits should go through [`Dispatch::around_wait`]
    /// (for callers that hold a lock of their own, such as an interpreter's).
    fn wraps_waits(&self) -> bool {
        false
    }
    /// Runs a blocking wait; the base is unlocked.
    fn around_wait(&mut self, wait: &mut dyn FnMut() -> io::Result<()>) -> io::Result<()> {
        wait()
    }
}

/// What `event_pending` needs: the libevent-style flags and the deadline.
pub struct Pending {
    pub what: u16,
    pub deadline: Option<u64>,
}

/// The loop's own state, kept with the registrations under one lock.
struct Shared {
    registry: Registry,
    pass: Pass,
    /// The thread running the loop (see [`thread_token`]).
    loop_thread: Option<usize>,
    /// The loop thread is blocked in the backend.
    waiting: bool,
    wake_sent: bool,
    exit_flag: bool,
    break_flag: bool,
    del_waiters: usize,
    config: Config,
    /// The loop's readiness buffer, kept between calls (taken while looping).
    ready: Vec<Ready>,
    /// The loop's handle on the backend for its unlocked waits, kept
    /// between them (a clone per wait costs two atomic operations).
    wait_backend: Option<Arc<dyn Backend>>,
    /// What `event_add`'s deadlines count from.
    deadline_clock: DeadlineClock,
    /// Whether a busy pass polls before it waits.
    poll_first: PollFirst,
}

impl Shared {
    /// What is ready now, into the readiness buffer. A poll cannot block:
    /// it keeps the lock, and with it the base's own backend and buffer.
    #[inline(always)]
    fn poll(&mut self) -> io::Result<()> {
        self.ready.clear();
        self.registry.poll(&mut self.ready)
    }
}

pub struct Base {
    shared: Mutex<Shared>,
    callback_done: Condvar,
    /// Where the slot table's hot records were last seen: read without the
    /// lock, only to prefetch (a stale address wastes the prefetch, no more).
    hot_table: AtomicUsize,
    /// The active queues' count, kept beside them for lock-free reads.
    npriorities: AtomicUsize,
    /// The first queue the config's dispatch limits apply to (none: past
    /// every queue), worked out once instead of per pass.
    limits_from: usize,
}

/// Identifies the calling thread, unique among live threads. `pthread_self`
/// is a load from the thread pointer, where a Rust thread-local in a shared
/// library costs a call into the TLS resolver on every loop call.
fn thread_token() -> usize {
    // SAFETY: no arguments; it cannot fail.
    unsafe { libc::pthread_self() as usize }
}

fn env_allows(method: &Method, cfg: &Config) -> bool {
    cfg.flags & flag::IGNORE_ENV != 0 || std::env::var_os(method.env_var()).is_none()
}

impl Base {
    /// A base on the first backend that `cfg` allows, fastest first; a
    /// backend that fails to open is logged and skipped.
    pub fn new(cfg: &Config) -> Result<Base, Error> {
        for method in METHODS {
            if cfg.avoid.iter().any(|m| m == method.name())
                || method.features & cfg.require_features != cfg.require_features
                || !env_allows(method, cfg)
            {
                continue;
            }
            let registry = match Registry::new(method, cfg.hooks) {
                Ok(registry) => registry,
                Err(e) => {
                    warn(&format!("{}: {e}", method.name()));
                    continue;
                }
            };
            // libevent 2.1.12 honours this one even with IGNORE_ENV.
            if std::env::var_os("EVENT_SHOW_METHOD").is_some() {
                emit(Severity::Msg, &format!("libevent using: {}", method.name()));
            }
            return Ok(Base {
                shared: Mutex::new(Shared {
                    registry,
                    pass: Pass::new(cfg.flags & flag::NO_CACHE_TIME == 0),
                    loop_thread: None,
                    waiting: false,
                    wake_sent: false,
                    exit_flag: false,
                    break_flag: false,
                    del_waiters: 0,
                    config: cfg.clone(),
                    ready: Vec::new(),
                    wait_backend: None,
                    deadline_clock: DeadlineClock::default(),
                    poll_first: PollFirst::default(),
                }),
                callback_done: Condvar::new(),
                hot_table: AtomicUsize::new(0),
                npriorities: AtomicUsize::new(1),
                limits_from: match (cfg.max_callbacks, cfg.max_interval) {
                    (None, None) => usize::MAX,
                    _ => cfg.min_priority,
                },
            });
        }
        Err(Error::NoMethod)
    }

    /// Inlined: [`Base::run`] takes it in its caller.
    #[inline]
    fn lock(&self) -> MutexGuard<'_, Shared> {
        self.shared.lock()
    }

    /// Starts loading slot `s`'s hot record before the lock is taken: with
    /// many events it is a cache miss, which then overlaps the lock and the
    /// clock read instead of following them.
    fn prefetch_slot(&self, s: u32) {
        #[cfg(target_arch = "x86_64")]
        {
            use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
            let at = self
                .hot_table
                .load(Relaxed)
                .wrapping_add(s as usize * std::mem::size_of::<Hot>());
            // SAFETY: a prefetch never faults, whatever the address.
            unsafe { _mm_prefetch::<_MM_HINT_T0>(at as *const i8) };
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = s;
    }

    /// Publishes the slot table's address for [`Base::prefetch_slot`].
    fn note_hot_table(&self, registry: &Registry) {
        self.hot_table
            .store(registry.slots().hot_table_addr(), Relaxed);
    }

    /// The backend this base runs on.
    pub fn method(&self) -> &'static Method {
        self.lock().registry.method()
    }

    /// Whether the base was made with `EVENT_BASE_FLAG_*` `flag`.
    pub fn has_flag(&self, flag: i32) -> bool {
        self.lock().config.flags & flag != 0
    }

    /// Read without the lock: every `event_assign` asks (for the default
    /// priority), and 1.4 programs assign before every add.
    #[inline]
    pub fn npriorities(&self) -> usize {
        self.npriorities.load(Relaxed)
    }

    pub fn priority_init(&self, n: usize) -> Result<(), Error> {
        let mut g = self.lock();
        if !(1..MAX_PRIORITIES).contains(&n) {
            return Err(Error::PriorityCountOutOfRange(n));
        }
        if g.registry.counts().active > 0 {
            return Err(Error::EventsActive);
        }
        g.registry.set_npriorities(n);
        self.npriorities.store(n, Relaxed);
        Ok(())
    }

    /// `event_add`: registers the event (if it has fd/signal interest) and,
    /// with `timeout` (a delay in ns), (re)schedules its deadline.
    pub fn add(&self, spec: &Spec, hint: &SlotHint, timeout: Option<u64>) -> Result<(), Error> {
        self.prefetch_slot(hint.get());
        let mut g = self.lock();
        let sh = &mut *g;
        let reg = &mut sh.registry;
        let (s, hot) = match reg.slots().find(spec.key, hint.get()) {
            Some(s) => (s, reg.refresh(s, spec)),
            None => {
                let s = reg.alloc(spec);
                hint.set(s);
                self.note_hot_table(reg);
                (s, reg.slots().hot(s))
            }
        };
        if hot.events() & (ev::IO | ev::SIGNAL) != 0
            && hot.flags() & (evlist::INSERTED | evlist::ACTIVE) == 0
        {
            if let Err(e) = reg.insert(s) {
                reg.release_if_idle(s);
                return Err(e);
            }
        }
        if let Some(delay_ns) = timeout {
            // The delay counts from the call (or a little after).
            let now = sh.deadline_clock.now();
            if rearms(hot.events()) && hot.has_interval() != (delay_ns != 0) {
                reg.set_interval(s, delay_ns != 0);
            }
            if hot.flags() & evlist::ACTIVE != 0 && reg.active_result(s) & ev::TIMEOUT != 0 {
                reg.deactivate(s);
                sh.pass.stop_calls(spec.key);
            }
            reg.schedule_as(s, hot, now.saturating_add(delay_ns));
        } else {
            // With no fd, signal or timeout, the add left the slot in no list.
            reg.release_if_idle(s);
        }
        self.unlock_and_notify(g);
        Ok(())
    }

    /// `event_del`: always succeeds for a known base; a non-pending event is
    /// left as it is. May wait for the event's callback on another thread.
    pub fn del(&self, key: Key, hint: &SlotHint, mode: DelMode) {
        self.prefetch_slot(hint.get());
        let mut g = self.lock();
        // Only a running event can make us wait.
        if g.pass.running() == Some(key) {
            self.wait_for_callback(&mut g, key, hint, mode);
        }
        // A running event may already have left every list (non-persistent
        // events do before their callback): still stop its remaining calls.
        g.pass.stop_calls(key);
        if let Some(s) = g.registry.slots().find(key, hint.get()) {
            g.registry.delete(s);
            self.unlock_and_notify(g);
        }
    }

    /// Waits, unless called from the loop's own thread (or told not to),
    /// for the callback of `key` that runs to return. Out of line: few
    /// deletes find their event running, and the thread-local read (a call
    /// into the TLS resolver from a shared library) is left to them.
    #[cold]
    #[inline(never)]
    fn wait_for_callback(
        &self,
        g: &mut MutexGuard<'_, Shared>,
        key: Key,
        hint: &SlotHint,
        mode: DelMode,
    ) {
        while g.pass.running() == Some(key)
            && mode != DelMode::NoBlock
            && g.loop_thread != Some(thread_token())
        {
            let slots = g.registry.slots();
            let finalize = slots
                .find(key, hint.get())
                .is_some_and(|s| slots.hot(s).events() & ev::FINALIZE != 0);
            if mode == DelMode::Default && finalize {
                break;
            }
            g.del_waiters += 1;
            self.callback_done.wait(g);
        }
    }

    /// `event_active`: queues the event with `res`, registered or not.
    pub fn activate(&self, spec: &Spec, hint: &SlotHint, res: u16, ncalls: u32) {
        let mut g = self.lock();
        let reg = &mut g.registry;
        let s = match reg.slots().find(spec.key, hint.get()) {
            Some(s) => s,
            None => {
                let s = reg.alloc(spec);
                hint.set(s);
                self.note_hot_table(reg);
                s
            }
        };
        reg.activate(s, res, ncalls);
        self.unlock_and_notify(g);
    }

    pub fn pending(&self, key: Key, hint: &SlotHint) -> Pending {
        let g = self.lock();
        let slots = g.registry.slots();
        let Some(s) = slots.find(key, hint.get()) else {
            return Pending {
                what: 0,
                deadline: None,
            };
        };
        let hot = slots.hot(s);
        let mut what = 0;
        if hot.flags() & evlist::INSERTED != 0 {
            what |= hot.events() & (ev::IO | ev::SIGNAL);
        }
        if hot.flags() & evlist::ACTIVE != 0 {
            what |= g.registry.active_result(s);
        }
        let deadline = g.registry.deadline(s);
        if deadline.is_some() {
            what |= ev::TIMEOUT;
        }
        Pending { what, deadline }
    }

    /// Whether the event is in any list (added, timed or queued).
    pub fn is_known(&self, key: Key, hint: &SlotHint) -> bool {
        self.lock().registry.slots().find(key, hint.get()).is_some()
    }

    /// `event_remove_timer`: drops the deadline, keeps the fd registration.
    pub fn remove_timer(&self, key: Key, hint: &SlotHint) {
        let mut g = self.lock();
        if let Some(s) = g.registry.slots().find(key, hint.get()) {
            g.registry.remove_timeout(s);
            g.registry.set_interval(s, false);
            g.registry.release_if_idle(s);
        }
    }

    /// `event_priority_set`: refused while the event is active.
    pub fn set_priority(&self, key: Key, hint: &SlotHint, pri: usize) -> Result<(), Error> {
        let mut g = self.lock();
        let npriorities = g.registry.active().npriorities();
        if pri >= npriorities {
            return Err(Error::PriorityOutOfRange {
                priority: pri,
                npriorities,
            });
        }
        match g.registry.slots().find(key, hint.get()) {
            Some(s) => g.registry.set_priority(s, pri as u8),
            None => Ok(()),
        }
    }

    /// `event_base_once` and loopexit: an event the base owns and frees.
    pub fn once(
        &self,
        fd: RawFd,
        events: u16,
        action: Action,
        timeout: Option<Duration>,
    ) -> Result<(), Error> {
        if events & (ev::SIGNAL | ev::PERSIST) != 0 {
            return Err(Error::OnceSignalOrPersist);
        }
        if events & (ev::TIMEOUT | ev::IO) == 0 {
            return Err(Error::OnceWithoutTrigger);
        }
        let mut g = self.lock();
        let reg = &mut g.registry;
        let s = reg.alloc_owned(fd, events, action);
        self.note_hot_table(reg);
        if events & ev::IO != 0 {
            if let Err(e) = reg.insert(s) {
                reg.release_if_idle(s);
                return Err(e);
            }
        }
        match timeout {
            Some(d) if !d.is_zero() || events & ev::IO != 0 => {
                let delay = clock::nanos(d);
                reg.schedule(s, clock::now_ns().saturating_add(delay));
            }
            None if events & ev::IO != 0 => {}
            _ => reg.activate(s, ev::TIMEOUT, 1),
        }
        self.unlock_and_notify(g);
        Ok(())
    }

    /// `event_finalize`: deletes the event without waiting for its callback
    /// on another thread, and has `finalizer` run on the loop's next pass,
    /// after any callback of the event that is running now.
    pub fn finalize(&self, key: Key, hint: &SlotHint, finalizer: Callback) -> Result<(), Error> {
        self.del(key, hint, DelMode::NoBlock);
        // Marked before the finalizer is queued: from then on the loop may
        // run it, and the finalizer may free the event.
        self.lock().registry.slots().mark_finalizing(key);
        let action = Action::Finalize {
            event: key,
            finalizer,
        };
        self.once(-1, ev::TIMEOUT, action, None)
    }

    /// `event_base_free`: refused while the loop runs. Every event the
    /// caller still has in a list is deleted and detached
    /// ([`crate::event::Hooks::detach`]); the finalizers the loop never ran
    /// are handed back with their events, for the caller to run or drop.
    pub fn shut_down(&self) -> Result<Vec<(Key, Callback)>, Error> {
        let mut g = self.lock();
        if g.loop_thread.is_some() {
            return Err(Error::LoopRunning);
        }
        Ok(g.registry.shut_down())
    }

    pub fn loopexit(&self, timeout: Option<Duration>) -> Result<(), Error> {
        self.once(-1, ev::TIMEOUT, Action::LoopExit, timeout)
    }

    pub fn loopbreak(&self) {
        let mut g = self.lock();
        g.break_flag = true;
        self.unlock_and_notify(g);
    }

    pub fn loopcontinue(&self) {
        self.lock().registry.request_continue();
    }

    /// Whether the last loop was ended by loopexit (until the next starts).
    pub fn got_exit(&self) -> bool {
        self.lock().exit_flag
    }

    pub fn got_break(&self) -> bool {
        self.lock().break_flag
    }

    pub fn is_looping(&self) -> bool {
        self.lock().loop_thread.is_some()
    }

    pub fn counts(&self) -> Counts {
        self.lock().registry.counts()
    }

    pub fn clear_max_counts(&self, active: bool, added: bool) {
        self.lock().registry.clear_max_counts(active, added);
    }

    /// The caller-owned event whose callback is running, if any.
    pub fn running_event(&self) -> Option<Key> {
        self.lock().pass.running().filter(|&k| owned_by_caller(k))
    }

    /// Caller-owned events in any list, in slot order (for foreach/dump and
    /// for detaching events when the base is freed): key, fd, events, flags.
    pub fn events(&self) -> Vec<(Key, RawFd, u16, u8)> {
        let g = self.lock();
        let slots = g.registry.slots();
        slots
            .caller_events()
            .map(|(s, h)| (h.key(), slots.fd_of(s), h.events(), h.flags()))
            .collect()
    }

    pub fn activate_fd(&self, fd: RawFd, events: u16) {
        let mut g = self.lock();
        g.registry.activate_fd(fd, events);
        self.unlock_and_notify(g);
    }

    pub fn activate_signal(&self, sig: i32) {
        let mut g = self.lock();
        g.registry.activate_signal(sig, 1);
        self.unlock_and_notify(g);
    }

    /// Wall-clock time of the current pass (`event_base_gettimeofday_cached`).
    pub fn cached_time(&self) -> Duration {
        self.lock().pass.wall_time()
    }

    pub fn update_cache_time(&self) {
        let mut g = self.lock();
        if g.loop_thread.is_some() {
            g.pass.update_cache();
        }
    }

    /// `event_reinit`: after fork, a new backend with everything re-added.
    pub fn reinit(&self) -> Result<(), Error> {
        let mut g = self.lock();
        g.wait_backend = None; // no need to keep the old one open
        g.registry.rebuild()
    }

    /// Releases the lock after a change, then wakes the loop if it waits in
    /// its backend and no wake-up is on its way yet. The write comes after
    /// the unlock: made before, the loop (woken at once on another CPU)
    /// found the lock still held and spun and yielded for it. A loop that
    /// wakes for something else meanwhile sees the change anyway, and this
    /// write then costs it one empty wake-up.
    #[inline]
    fn unlock_and_notify(&self, g: MutexGuard<'_, Shared>) {
        if g.waiting && !g.wake_sent {
            Self::wake_after_unlock(g);
        }
    }

    /// [`Base::unlock_and_notify`] when the loop waits: out of line, as
    /// most changes come from the loop's own thread, with no wait to end.
    #[cold]
    #[inline(never)]
    fn wake_after_unlock(mut g: MutexGuard<'_, Shared>) {
        g.wake_sent = true;
        let waker = Arc::clone(g.registry.waker());
        drop(g);
        waker.wake();
    }

    /// `event_base_loop`: 1 when nothing was left to wait for, 0 after
    /// loopexit/loopbreak (or ONCE/NONBLOCK completing), -1 when the
    /// dispatcher aborted or the backend failed (logged); refused while the
    /// loop runs. Inlined up to the loop, so that a result passes in a
    /// register rather than as an [`Error`]-sized value in memory.
    #[inline]
    pub fn run(&self, flags: i32, d: &mut dyn Dispatch) -> Result<i32, Error> {
        let g = self.lock();
        if g.loop_thread.is_some() {
            return Err(Error::ReentrantLoop);
        }
        Ok(self.run_loop(g, flags, d))
    }

    fn run_loop<'a>(
        &'a self,
        mut g: MutexGuard<'a, Shared>,
        flags: i32,
        d: &mut dyn Dispatch,
    ) -> i32 {
        g.loop_thread = Some(thread_token());
        g.exit_flag = false;
        g.break_flag = false;
        g.registry.claim_signals();
        let mut result = 0;
        loop {
            g.registry.clear_continue();
            if d.abort_requested() {
                result = -1;
                break;
            }
            if g.exit_flag || g.break_flag {
                break;
            }
            let active = g.registry.counts().active;
            if flags & run_flag::NO_EXIT_ON_EMPTY == 0 && !g.registry.has_events() && active == 0 {
                result = 1;
                break;
            }
            g.pass.end();
            let waited;
            if active > 0 || flags & run_flag::NONBLOCK != 0 {
                waited = g.poll();
            } else {
                (g, waited) = self.wait(g, d);
            }
            if let Err(e) = waited {
                warn(&format!(
                    "{}: dispatch failed: {e}",
                    g.registry.method().name()
                ));
                result = -1;
                break;
            }
            g.pass.begin();
            let sh = &mut *g;
            let timer_due = sh.registry.has_timers() && {
                let now = sh.pass.now();
                sh.registry.timer_due(now)
            };
            let sole = match timer_due {
                false => sh.registry.take_sole_report(&sh.ready, self.limits_from),
                true => None,
            };
            let mut ran = 0;
            let mut run_queue = true;
            if let Some((s, pri, taken)) = sole {
                (g, ran, run_queue) = self.run_sole(g, s, pri, taken, d);
            } else {
                sh.registry.process_ready(&sh.ready);
                if timer_due {
                    let now = sh.pass.now();
                    sh.registry.process_timeouts(now);
                }
                if g.registry.counts().active == 0 {
                    if flags & run_flag::NONBLOCK != 0 {
                        break;
                    }
                    continue;
                }
            }
            if run_queue {
                let more;
                (g, more) = self.process_active(g, d);
                ran = if more < 0 { -1 } else { ran + more };
            }
            if flags & run_flag::ONCE != 0 && g.registry.counts().active == 0 && ran != 0 {
                break;
            }
        }
        g.pass.end();
        g.loop_thread = None;
        result
    }

    /// Waits for events (or the next timer) when nothing is queued. After a
    /// busy pass the next is likely busy too: a poll first skips the wait's
    /// clock reading and timeout while events keep coming, and when it finds
    /// nothing the loop waits as usual (polls that keep finding nothing back
    /// off, see [`PollFirst`]). The poll keeps the lock, as a
    /// non-blocking pass's does: it cannot block, so another thread's change
    /// waits at most for one zero-timeout system call, and unlocking around
    /// it (the backend's handle taken and put back, the buffer swapped, the
    /// wake-up flags) cost a blocking pass a quarter of its instructions.
    /// Only the wait that may block is made unlocked. Out of line, as
    /// [`Base::wait_unlocked`].
    #[inline(never)]
    fn wait<'a>(
        &'a self,
        mut g: MutexGuard<'a, Shared>,
        d: &mut dyn Dispatch,
    ) -> (MutexGuard<'a, Shared>, io::Result<()>) {
        // The readiness buffer holds the last pass's reports, from this call
        // or, with `EVLOOP_ONCE` per call, the one before.
        let busy = !g.ready.is_empty();
        let polled = busy && g.poll_first.try_now();
        if polled {
            let result = g.poll();
            let work = !g.ready.is_empty();
            g.poll_first.found(work);
            if result.is_err() || work {
                return (g, result);
            }
        }
        // The clock only matters with a deadline to wait for. A wait that
        // ends at a postponed timer's old deadline finds nothing due: the
        // pass moves the timer on (no sift before then) and the next wait
        // goes on to its new deadline.
        let timeout = g
            .registry
            .wait_until()
            .map(|t| Duration::from_nanos(t.saturating_sub(clock::now_ns())).min(MAX_WAIT));
        if polled && timeout == Some(Duration::ZERO) {
            return (g, Ok(())); // just polled
        }
        self.wait_unlocked(g, d, timeout)
    }

    /// A wait that may block, made with the base unlocked so that other
    /// threads can change it meanwhile (and wake the wait when they do).
    /// Out of line: a blocking wait dwarfs a call, and inlined it grew the
    /// frame of every pass of the loop.
    #[inline(never)]
    fn wait_unlocked<'a>(
        &'a self,
        mut g: MutexGuard<'a, Shared>,
        d: &mut dyn Dispatch,
        timeout: Option<Duration>,
    ) -> (MutexGuard<'a, Shared>, io::Result<()>) {
        // Slack only delays a wait's timeout, not its events or a poll.
        if timeout.is_some_and(|t| !t.is_zero()) {
            clock::tighten_timer_slack();
        }
        // The loop's own handle, which `event_reinit` cannot take away
        // meanwhile. The one kept from the last wait pins the backend it
        // names, so the same address is the same backend.
        let backend = match g.wait_backend.take() {
            Some(held) if Arc::ptr_eq(&held, g.registry.backend()) => held,
            _ => Arc::clone(g.registry.backend()),
        };
        let mut ready = std::mem::take(&mut g.ready);
        ready.clear();
        g.waiting = true;
        drop(g);
        // A poll does not block: no need to unwrap the caller's lock.
        let waited = if d.wraps_waits() && timeout != Some(Duration::ZERO) {
            d.around_wait(&mut || backend.wait(timeout, &mut ready))
        } else {
            backend.wait(timeout, &mut ready)
        };
        let mut g = self.lock();
        g.waiting = false;
        g.wake_sent = false;
        g.ready = ready;
        g.wait_backend = Some(backend);
        (g, waited)
    }

    /// Runs the most urgent non-empty queue. Returns the number of callbacks
    /// run, or -1 when a break (or 1.4 abort) cut the pass short.
    fn process_active<'a>(
        &'a self,
        mut g: MutexGuard<'a, Shared>,
        d: &mut dyn Dispatch,
    ) -> (MutexGuard<'a, Shared>, i32) {
        let mut ran = 0;
        for pri in 0..g.registry.active().npriorities() {
            if g.registry.active().head(pri).is_none() {
                continue;
            }
            g.registry.begin_run(pri);
            (g, ran) = self.process_queue(g, pri, d);
            if ran != 0 {
                break;
            }
        }
        g.registry.end_run();
        (g, ran)
    }

    /// Runs the event of [`Registry::take_sole_report`] as the run of its
    /// queue `pri` would have begun. Returns the callbacks run (-1 after a
    /// break), and whether that run goes on: with the events the callback
    /// queued there, which [`Base::process_active`] then finds first (one
    /// queued in a more urgent queue ends the run).
    fn run_sole<'a>(
        &'a self,
        mut g: MutexGuard<'a, Shared>,
        s: u32,
        pri: usize,
        taken: Dequeued,
        d: &mut dyn Dispatch,
    ) -> (MutexGuard<'a, Shared>, i32, bool) {
        g.registry.begin_run(pri);
        let go_on;
        (g, go_on) = self.run_event(g, s, taken, d);
        let queue = g.registry.active();
        let more = go_on && queue.head(pri).is_some() && !queue.continue_requested();
        g.registry.end_run();
        (g, if go_on { 1 } else { -1 }, more)
    }

    /// Wakes the `event_del` calls waiting for a callback to finish, and
    /// hands them the lock now, while it is not running: a loop polling
    /// with the lock held could otherwise run it again before they look.
    /// Kept out of the queue loop, which rarely needs it.
    #[cold]
    #[inline(never)]
    fn wake_del_waiters(&self, g: &mut MutexGuard<'_, Shared>) {
        g.del_waiters = 0;
        self.callback_done.notify_all();
        MutexGuard::bump(g);
    }

    /// Runs a finalizer with the lock released; kept out of the queue loop,
    /// which runs far more callbacks than finalizers.
    #[cold]
    #[inline(never)]
    fn run_finalizer<'a>(
        &'a self,
        g: MutexGuard<'a, Shared>,
        d: &mut dyn Dispatch,
        event: Key,
        finalizer: Callback,
    ) -> MutexGuard<'a, Shared> {
        drop(g);
        d.finalize(event, finalizer);
        self.lock()
    }

    fn process_queue<'a>(
        &'a self,
        mut g: MutexGuard<'a, Shared>,
        pri: usize,
        d: &mut dyn Dispatch,
    ) -> (MutexGuard<'a, Shared>, i32) {
        // Usually none: then the loop below tests one flag per callback.
        let limited = pri >= self.limits_from;
        let (max_callbacks, end) = if limited {
            let cfg = &g.config;
            let end = cfg
                .max_interval
                .map(|i| clock::now_ns().saturating_add(clock::nanos(i)));
            (cfg.max_callbacks, end)
        } else {
            (None, None)
        };
        let mut count = 0;
        while let Some(s) = g.registry.active().head(pri) {
            let taken = g.registry.dequeue_head(pri);
            let go_on;
            (g, go_on) = self.run_event(g, s, taken, d);
            count += 1;
            if !go_on {
                return (g, -1);
            }
            if limited
                && (max_callbacks.is_some_and(|m| count >= m)
                    || end.is_some_and(|e| clock::now_ns() >= e))
                || g.registry.active().continue_requested()
            {
                break;
            }
        }
        (g, count as i32)
    }

    /// Runs slot `s`, taken off its queue (or never queued, see
    /// [`Registry::take_sole_report`]): re-arms or deletes it as libevent
    /// does before the callback, then makes the calls it is owed with the
    /// lock released. False when a break (or 1.4 abort) ends the pass.
    #[inline(always)]
    fn run_event<'a>(
        &'a self,
        mut g: MutexGuard<'a, Shared>,
        s: u32,
        taken: Dequeued,
        d: &mut dyn Dispatch,
    ) -> (MutexGuard<'a, Shared>, bool) {
        let sh = &mut *g;
        let (key, events, res) = (taken.key, taken.events, taken.res);
        // The base's own events run the action they were made with.
        let own = (!owned_by_caller(key)).then(|| sh.registry.slots().owned_action(key));
        if events & ev::PERSIST != 0 {
            if taken.interval {
                sh.registry.rearm_after_calls(s, res, sh.pass.now());
            }
            // A re-arm only adds to the lists: one listed before still is.
            if !taken.listed {
                sh.registry.release_if_idle(s);
            }
        } else {
            sh.registry.delete(s);
        }
        let calls = if events & ev::SIGNAL != 0 {
            u32::from(taken.ncalls.max(1))
        } else {
            1
        };
        let keep_going;
        match own {
            // The caller's events run what their memory holds at the call.
            None => {
                let read = g.registry.slots().read_hook();
                (g, keep_going) =
                    self.make_calls(g, key, calls, |d| d.call_event(key, res, read), d);
                g.registry.end_calls();
            }
            Some(action) => {
                let fd = g.registry.slots().slot(s).fd();
                (g, keep_going) = self.run_own(g, key, calls, action, fd, res, d);
            }
        }
        let go_on = !g.break_flag && keep_going;
        (g, go_on)
    }

    /// Runs one of the base's own events, with the action it was made with.
    /// The run's fields come apart: passing the taken record (by reference
    /// or value) kept it in memory across the caller's whole run, 24 more
    /// instructions per callback.
    #[inline(never)]
    #[allow(clippy::too_many_arguments)]
    fn run_own<'a>(
        &'a self,
        mut g: MutexGuard<'a, Shared>,
        key: Key,
        calls: u32,
        action: Action,
        fd: RawFd,
        res: u16,
        d: &mut dyn Dispatch,
    ) -> (MutexGuard<'a, Shared>, bool) {
        match action {
            Action::Call(cb) => self.make_calls(g, key, calls, |d| d.call(cb, fd, res), d),
            Action::LoopExit => {
                g.exit_flag = true;
                (g, true)
            }
            Action::Finalize { event, finalizer } => {
                (self.run_finalizer(g, d, event, finalizer), true)
            }
        }
    }

    /// Makes the `calls` calls an event is owed with `call`, the lock
    /// released around each; false when one asks to end the pass.
    #[inline(always)]
    fn make_calls<'a>(
        &'a self,
        mut g: MutexGuard<'a, Shared>,
        key: Key,
        calls: u32,
        call: impl Fn(&mut dyn Dispatch) -> bool,
        d: &mut dyn Dispatch,
    ) -> (MutexGuard<'a, Shared>, bool) {
        let mut keep_going = true;
        g.pass.start_calls(key, calls);
        while keep_going && g.pass.take_call() {
            drop(g);
            keep_going = call(d);
            g = self.lock();
            if g.break_flag {
                break;
            }
        }
        g.pass.end_calls();
        if g.del_waiters > 0 {
            self.wake_del_waiters(&mut g);
        }
        (g, keep_going)
    }
}

impl Drop for Base {
    fn drop(&mut self) {
        self.lock().registry.release_signals();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::test_spec as spec;
    use crate::event::{Current, Spec};
    use std::cell::Cell;
    use std::sync::Arc;
    use std::time::Instant;

    /// Records which events ran (by their callback argument) and runs a
    /// per-test hook after each call.
    struct Recorder<'a> {
        calls: Vec<(usize, u16)>,
        /// (event, finalizer argument) of each finalizer run.
        finalized: Vec<(Key, usize)>,
        hook: Box<dyn FnMut(usize) + 'a>,
    }

    impl Dispatch for Recorder<'_> {
        fn call(&mut self, cb: Callback, _fd: RawFd, res: u16) -> bool {
            self.calls.push((cb.arg, res));
            (self.hook)(cb.arg);
            true
        }
        fn finalize(&mut self, event: Key, finalizer: Callback) {
            self.finalized.push((event, finalizer.arg));
        }
        fn abort_requested(&mut self) -> bool {
            false
        }
    }

    fn recorder<'a>(hook: impl FnMut(usize) + 'a) -> Recorder<'a> {
        Recorder {
            calls: vec![],
            finalized: vec![],
            hook: Box::new(hook),
        }
    }

    fn hint() -> SlotHint {
        SlotHint::default()
    }

    thread_local!(static DETACHED: std::cell::RefCell<Vec<Key>> = const { std::cell::RefCell::new(Vec::new()) });

    /// The one re-arm interval the tests' persistent timers use (the C
    /// layer's events keep theirs in their own memory).
    const INTERVAL_NS: u64 = 1_000_000;

    /// Events that live only as keys: their callback's argument is the key.
    fn key_as_arg(key: Key) -> Current {
        Current {
            callback: Callback { func: 0, arg: key },
            fd: -1,
        }
    }

    fn base() -> Base {
        let hooks = Hooks {
            mirror: |_, _| {},
            mirror_res: |_, _, _| {},
            mirror_deadline: |_, _, _| {},
            read: key_as_arg,
            last_deadline: |_| 0,
            persist_delay: |_| INTERVAL_NS,
            detach: |key| DETACHED.with(|d| d.borrow_mut().push(key)),
        };
        Base::new(&Config::new(hooks)).expect("a backend")
    }

    /// Counts the waits it wraps, as an interpreter releasing its lock
    /// around them would.
    struct Wrapping<'a> {
        calls: usize,
        wrapped: usize,
        hook: Box<dyn FnMut(usize) + 'a>,
    }

    impl Dispatch for Wrapping<'_> {
        fn call(&mut self, _cb: Callback, _fd: RawFd, _res: u16) -> bool {
            self.calls += 1;
            (self.hook)(self.calls);
            true
        }
        fn finalize(&mut self, _event: Key, _finalizer: Callback) {
            unreachable!("these tests queue no finalizers");
        }
        fn abort_requested(&mut self) -> bool {
            false
        }
        fn wraps_waits(&self) -> bool {
            true
        }
        fn around_wait(&mut self, wait: &mut dyn FnMut() -> io::Result<()>) -> io::Result<()> {
            self.wrapped += 1;
            wait()
        }
    }

    #[test]
    fn waits_are_wrapped_only_when_the_loop_must_block() {
        use std::io::Write;
        use std::os::fd::AsRawFd;
        let b = base();
        let (mut tx, rx) = std::os::unix::net::UnixStream::pair().unwrap();
        tx.write_all(b"x").unwrap(); // never read: ready on every pass
        let h = hint();
        b.add(&spec(8, rx.as_raw_fd(), ev::READ | ev::PERSIST), &h, None)
            .unwrap();
        let mut w = Wrapping {
            calls: 0,
            wrapped: 0,
            hook: Box::new(|n| {
                if n == 100 {
                    b.loopbreak();
                }
            }),
        };
        assert_eq!(b.run(0, &mut w).unwrap(), 0);
        // Only the first wait blocks (for all it knows); then each pass
        // polls, finds the fd ready, and never wraps.
        assert_eq!((w.calls, w.wrapped), (100, 1));
        b.del(8, &h, DelMode::Default);
        let t = hint();
        b.add(&spec(2, -1, 0), &t, Some(2 * 1_000_000)).unwrap();
        assert_eq!(b.run(0, &mut w).unwrap(), 1);
        assert_eq!((w.calls, w.wrapped), (101, 2), "the timer wait is wrapped");
    }

    /// A loop kept busy (it polls first after every pass whose wait reported
    /// something) still checks its timers on every pass: the timer fires on
    /// time, among the fd's calls.
    #[test]
    fn a_busy_loop_fires_its_timer_on_time() {
        use std::io::Write;
        use std::os::fd::AsRawFd;
        let b = base();
        let (mut tx, rx) = std::os::unix::net::UnixStream::pair().unwrap();
        tx.write_all(b"x").unwrap(); // never read: ready on every pass
        let (io, timer) = (hint(), hint());
        b.add(&spec(8, rx.as_raw_fd(), ev::READ | ev::PERSIST), &io, None)
            .unwrap();
        let start = Instant::now();
        b.add(&spec(16, -1, 0), &timer, Some(5 * 1_000_000))
            .unwrap();
        let mut fired = None;
        let mut r = recorder(|key| {
            if key == 16 {
                fired = Some(start.elapsed());
                b.loopbreak();
            }
        });
        assert_eq!(b.run(0, &mut r).unwrap(), 0);
        let calls = r.calls.len();
        drop(r);
        let fired = fired.expect("the timer fired");
        assert!(fired >= Duration::from_millis(5), "early: {fired:?}");
        assert!(fired < Duration::from_millis(500), "late: {fired:?}");
        assert!(calls > 2, "the fd ran meanwhile");
    }

    /// A loop call's first wait is a real one: what the last call's wait
    /// reported (kept in the base's buffer between calls) does not run again.
    #[test]
    fn a_loop_call_does_not_rerun_the_last_calls_reports() {
        use std::io::{Read, Write};
        use std::os::fd::AsRawFd;
        let b = base();
        let (mut tx, mut rx) = std::os::unix::net::UnixStream::pair().unwrap();
        rx.set_nonblocking(true).unwrap();
        let fd = rx.as_raw_fd();
        let (io, timer) = (hint(), hint());
        b.add(&spec(8, fd, ev::READ | ev::PERSIST), &io, None)
            .unwrap();
        tx.write_all(b"x").unwrap();
        let mut r = recorder(|key| {
            if key == 8 {
                let _ = rx.read(&mut [0; 8]); // drained: nothing more to report
            }
        });
        assert_eq!(b.run(run_flag::ONCE, &mut r).unwrap(), 0);
        b.add(&spec(16, -1, 0), &timer, Some(20 * 1_000_000))
            .unwrap();
        assert_eq!(b.run(run_flag::ONCE, &mut r).unwrap(), 0);
        assert_eq!(r.calls, [(8, ev::READ), (16, ev::TIMEOUT)]);
    }

    /// A loop that polls with the lock held after busy passes still lets
    /// another thread's `event_del` of an event that runs on every pass
    /// through: the waiter gets the lock between two runs of it.
    #[test]
    fn a_del_waiting_for_an_event_run_on_every_pass_gets_through() {
        use std::io::Write;
        use std::os::fd::AsRawFd;
        use std::sync::atomic::AtomicBool;
        let b = Arc::new(base());
        let (mut tx, rx) = std::os::unix::net::UnixStream::pair().unwrap();
        tx.write_all(b"x").unwrap(); // never read: ready on every pass
        let h = hint();
        b.add(&spec(8, rx.as_raw_fd(), ev::READ | ev::PERSIST), &h, None)
            .unwrap();
        let slot = h.get();
        let deleted = Arc::new(AtomicBool::new(false));
        let (other, done) = (Arc::clone(&b), Arc::clone(&deleted));
        let t = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            let named = SlotHint::default();
            named.set(slot);
            other.del(8, &named, DelMode::Default);
            done.store(true, Relaxed);
            other.loopbreak();
        });
        let mut w = Wrapping {
            calls: 0,
            wrapped: 0,
            hook: Box::new(|n| {
                // Long enough that the del comes while the event runs.
                std::thread::sleep(Duration::from_micros(200));
                if n == 5_000 {
                    b.loopbreak(); // the del never got through
                }
            }),
        };
        b.run(0, &mut w).unwrap();
        assert!(deleted.load(Relaxed), "the del is still waiting");
        t.join().unwrap();
        assert!(w.calls < 1_000, "{} calls", w.calls);
    }

    #[test]
    fn empty_loop_returns_one_and_timers_never_fire_early() {
        let b = base();
        assert_eq!(b.run(0, &mut recorder(|_| {})).unwrap(), 1);
        let h = hint();
        let start = Instant::now();
        b.add(&spec(8, -1, 0), &h, Some(5 * 1_000_000)).unwrap();
        let mut r = recorder(|_| {});
        assert_eq!(b.run(0, &mut r).unwrap(), 1);
        assert!(start.elapsed() >= Duration::from_millis(5));
        assert_eq!(r.calls, [(8, ev::TIMEOUT)]);
    }

    /// A wait for a deadline takes the thread's timer slack down to 1 ns, so
    /// that the kernel does not let the timeout slip (by 50 µs by default).
    #[cfg(target_os = "linux")]
    #[test]
    fn a_timed_wait_tightens_the_threads_timer_slack() {
        // SAFETY: these prctl calls take no pointers.
        let slack = || unsafe { libc::prctl(libc::PR_GET_TIMERSLACK, 0, 0, 0, 0) };
        std::thread::spawn(move || {
            // SAFETY: as above; the default, whatever the test runner's is.
            unsafe { libc::prctl(libc::PR_SET_TIMERSLACK, 50_000 as libc::c_ulong, 0, 0, 0) };
            let b = base();
            b.add(&spec(8, -1, 0), &hint(), Some(1_000_000)).unwrap();
            assert_eq!(b.run(0, &mut recorder(|_| {})).unwrap(), 1);
            assert_eq!(slack(), 1);
        })
        .join()
        .unwrap();
    }

    /// A timer moved later fires at its new deadline, not its old one, and
    /// reports the new one; one moved earlier again fires at that.
    #[test]
    fn a_timer_moved_later_fires_late_enough_and_in_order() {
        let b = base();
        let (first, second, third) = (hint(), hint(), hint());
        let ms = |n: u64| n * 1_000_000;
        let start = Instant::now();
        b.add(&spec(8, -1, 0), &first, Some(ms(5))).unwrap();
        b.add(&spec(16, -1, 0), &second, Some(ms(10))).unwrap();
        b.add(&spec(24, -1, 0), &third, Some(ms(40))).unwrap();
        let before = clock::now_ns();
        b.add(&spec(8, -1, 0), &first, Some(ms(30))).unwrap();
        let after = clock::now_ns();
        let reported = b.pending(8, &first).deadline.unwrap();
        // Postponed in place, in 1,024 ns steps rounded up.
        assert!((before + ms(30)..after + ms(30) + 1_024).contains(&reported));
        b.add(&spec(24, -1, 0), &third, Some(ms(50))).unwrap();
        b.add(&spec(24, -1, 0), &third, Some(ms(20))).unwrap();
        let mut fired = vec![];
        let mut r = recorder(|key| fired.push((key, start.elapsed())));
        assert_eq!(b.run(0, &mut r).unwrap(), 1);
        drop(r);
        let keys: Vec<usize> = fired.iter().map(|&(k, _)| k).collect();
        assert_eq!(keys, [16, 24, 8]);
        assert!(fired[0].1 >= Duration::from_millis(10));
        assert!(fired[1].1 >= Duration::from_millis(20));
        assert!(fired[2].1 >= Duration::from_millis(30), "{:?}", fired[2].1);
    }

    #[test]
    fn persistent_timeout_rearms_until_deleted() {
        let b = base();
        let h = hint();
        let s = spec(8, -1, ev::PERSIST);
        b.add(&s, &h, Some(INTERVAL_NS)).unwrap();
        let mut n = 0;
        let mut r = recorder(|_| {
            n += 1;
            if n == 3 {
                b.del(8, &h, DelMode::Default);
            }
        });
        assert_eq!(b.run(0, &mut r).unwrap(), 1);
        assert_eq!(r.calls.len(), 3);
    }

    #[test]
    fn urgent_events_run_first_and_preempt_a_running_queue() {
        let b = base();
        b.priority_init(3).unwrap();
        let hs = [hint(), hint(), hint(), hint()];
        let prio = |key: usize, pri: u8| Spec {
            priority: pri,
            ..spec(key, -1, 0)
        };
        b.activate(&prio(8, 2), &hs[0], ev::TIMEOUT, 1);
        b.activate(&prio(16, 2), &hs[1], ev::TIMEOUT, 1);
        b.activate(&prio(24, 1), &hs[2], ev::TIMEOUT, 1);
        // The first priority-2 callback activates a priority-0 event: it
        // must run before the second priority-2 event.
        let mut r = recorder(|arg| {
            if arg == 8 {
                b.activate(&prio(32, 0), &hs[3], ev::TIMEOUT, 1);
            }
        });
        assert_eq!(b.run(0, &mut r).unwrap(), 1);
        let order: Vec<usize> = r.calls.iter().map(|c| c.0).collect();
        assert_eq!(order, [24, 8, 32, 16]);
    }

    /// The maxima count every report of a wait (noted once they are all
    /// queued) and an activation made from a callback.
    #[test]
    fn the_maxima_count_a_waits_reports() {
        use std::io::Write;
        use std::os::fd::AsRawFd;
        let b = base();
        let pairs: Vec<_> = (0..3)
            .map(|_| std::os::unix::net::UnixStream::pair().unwrap())
            .collect();
        let hs = [hint(), hint(), hint(), hint()];
        for (i, (tx, rx)) in pairs.iter().enumerate() {
            (&*tx).write_all(b"x").unwrap();
            let key = 8 * (i + 1);
            b.add(&spec(key, rx.as_raw_fd(), ev::READ), &hs[i], None)
                .unwrap();
        }
        let mut r = recorder(|arg| {
            if arg == 8 {
                b.activate(&spec(32, -1, 0), &hs[3], ev::TIMEOUT, 1);
            }
        });
        assert_eq!(b.run(run_flag::ONCE, &mut r).unwrap(), 0);
        assert_eq!(r.calls.len(), 4);
        let c = b.counts();
        assert_eq!((c.active, c.added), (0, 0));
        // Three inserted and three active; the first ran (and left both
        // lists, being one-shot) before the callback's activation.
        assert_eq!((c.max_active, c.max_added), (3, 6));
    }

    /// A pass whose wait reported one fd, watched by one event, runs that
    /// event without queueing it; what its callback queues still runs as
    /// the queue's run would have: at the same priority within the pass
    /// (before the fd is polled again), after anything more urgent.
    #[test]
    fn a_lone_report_runs_as_its_queue_would() {
        use std::io::Write;
        use std::os::fd::AsRawFd;
        let b = base();
        b.priority_init(3).unwrap();
        let (mut tx, rx) = std::os::unix::net::UnixStream::pair().unwrap();
        tx.write_all(b"x").unwrap(); // never read: ready on every pass
        let hs = [hint(), hint(), hint()];
        let prio = |key: usize, fd: RawFd, events: u16, pri: u8| Spec {
            priority: pri,
            ..spec(key, fd, events)
        };
        let fd = rx.as_raw_fd();
        b.add(&prio(8, fd, ev::READ | ev::PERSIST, 1), &hs[0], None)
            .unwrap();
        let mut r = recorder(|arg| {
            if arg == 8 {
                b.activate(&prio(16, -1, 0, 1), &hs[1], ev::TIMEOUT, 1);
            }
        });
        assert_eq!(b.run(run_flag::ONCE, &mut r).unwrap(), 0);
        assert_eq!(r.calls, [(8, ev::READ), (16, ev::TIMEOUT)], "one pass");

        let mut first = true;
        let mut r = recorder(|arg| {
            if arg == 8 && std::mem::take(&mut first) {
                b.activate(&prio(24, -1, 0, 0), &hs[2], ev::TIMEOUT, 1);
                b.activate(&prio(16, -1, 0, 1), &hs[1], ev::TIMEOUT, 1);
            }
        });
        assert_eq!(b.run(run_flag::ONCE, &mut r).unwrap(), 0);
        let order: Vec<usize> = r.calls.iter().map(|c| c.0).collect();
        assert_eq!(order, [8, 24, 16, 8], "the urgent one ended the run");

        // A one-shot event has left every list when its callback runs.
        b.del(8, &hs[0], DelMode::Default);
        b.add(&prio(8, fd, ev::READ, 1), &hs[0], None).unwrap();
        let mut r = recorder(|_| assert_eq!(b.pending(8, &hs[0]).what, 0));
        assert_eq!(b.run(run_flag::ONCE, &mut r).unwrap(), 0);
        assert_eq!(r.calls, [(8, ev::READ)]);
        assert_eq!(
            b.run(run_flag::NONBLOCK, &mut r).unwrap(),
            1,
            "nothing left"
        );
    }

    #[test]
    fn loopexit_finishes_the_pass_and_loopbreak_does_not() {
        let b = base();
        let hs = [hint(), hint()];
        for (i, h) in hs.iter().enumerate() {
            b.activate(&spec(8 * (i + 1), -1, 0), h, ev::TIMEOUT, 1);
        }
        b.loopexit(None).unwrap();
        let mut r = recorder(|_| {});
        assert_eq!(b.run(0, &mut r).unwrap(), 0);
        assert_eq!(r.calls.len(), 2);
        assert!(b.got_exit());

        for (i, h) in hs.iter().enumerate() {
            b.activate(&spec(8 * (i + 1), -1, 0), h, ev::TIMEOUT, 1);
        }
        let mut r = recorder(|_| b.loopbreak());
        assert_eq!(b.run(0, &mut r).unwrap(), 0);
        assert_eq!(r.calls.len(), 1);
        assert!(b.got_break() && !b.got_exit());
    }

    #[test]
    fn another_thread_wakes_a_blocked_loop() {
        let b = Arc::new(base());
        let h = hint();
        // Something pending far away keeps the loop blocked.
        b.add(&spec(8, -1, 0), &h, Some(3600 * 1_000_000_000))
            .unwrap();
        let other = Arc::clone(&b);
        let t = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            other.activate(&spec(16, -1, 0), &hint(), ev::TIMEOUT, 1);
            std::thread::sleep(Duration::from_millis(50));
            other.loopbreak();
        });
        let start = Instant::now();
        let mut r = recorder(|_| {});
        assert_eq!(b.run(0, &mut r).unwrap(), 0);
        t.join().unwrap();
        assert_eq!(r.calls, [(16, ev::TIMEOUT)]);
        assert!(start.elapsed() < Duration::from_secs(10));
    }

    #[test]
    fn reentrant_loop_is_refused() {
        let b = base();
        b.activate(&spec(8, -1, 0), &hint(), ev::TIMEOUT, 1);
        let inner = Cell::new(None);
        let mut r = recorder(|_| inner.set(Some(b.run(0, &mut recorder(|_| {})))));
        b.run(0, &mut r).unwrap();
        assert!(matches!(inner.take(), Some(Err(Error::ReentrantLoop))));
    }

    #[test]
    fn prefetch_address_follows_the_growing_slot_table() {
        let b = base();
        let mut hints = vec![];
        // Keys are even (odd ones are the base's own); the table reallocates
        // many times on the way to 10,000 slots.
        for key in (2..20_002).step_by(2) {
            let h = hint();
            b.add(&spec(key, -1, 0), &h, Some(60 * 1_000_000_000))
                .unwrap();
            hints.push(h);
            let published = b.hot_table.load(Relaxed);
            assert_eq!(published, b.lock().registry.slots().hot_table_addr());
        }
        b.once(
            -1,
            ev::TIMEOUT,
            Action::LoopExit,
            Some(Duration::from_secs(60)),
        )
        .unwrap();
        assert_eq!(
            b.hot_table.load(Relaxed),
            b.lock().registry.slots().hot_table_addr()
        );
    }

    #[test]
    fn a_finalizer_runs_on_the_next_pass_after_its_event_is_deleted() {
        let b = base();
        let h = hint();
        b.add(&spec(8, -1, 0), &h, Some(60 * 1_000_000_000))
            .unwrap();
        b.finalize(8, &h, Callback { func: 0, arg: 77 }).unwrap();
        assert_eq!(b.pending(8, &h).what, 0, "deleted at once");
        let mut r = recorder(|_| {});
        assert_eq!(b.run(0, &mut r).unwrap(), 1);
        assert_eq!((r.calls.len(), r.finalized), (0, vec![(8, 77)]));
    }

    #[test]
    fn shut_down_detaches_events_and_hands_back_unrun_finalizers() {
        let b = base();
        let (timer, doomed) = (hint(), hint());
        b.add(&spec(8, -1, 0), &timer, Some(60 * 1_000_000_000))
            .unwrap();
        b.add(&spec(16, -1, 0), &doomed, Some(60 * 1_000_000_000))
            .unwrap();
        // Refused from inside the loop.
        b.activate(&spec(24, -1, 0), &hint(), ev::TIMEOUT, 1);
        let mut refused = None;
        let mut r = recorder(|_| refused = Some(b.shut_down()));
        b.run(run_flag::ONCE, &mut r).unwrap();
        drop(r);
        assert!(matches!(refused, Some(Err(Error::LoopRunning))));
        // Queued after the loop stopped, so never run.
        b.finalize(16, &doomed, Callback { func: 0, arg: 5 })
            .unwrap();
        DETACHED.with(|d| d.borrow_mut().clear());
        let finalizers = b.shut_down().unwrap();
        assert_eq!(
            finalizers
                .iter()
                .map(|(e, f)| (*e, f.arg))
                .collect::<Vec<_>>(),
            [(16, 5)]
        );
        assert_eq!(DETACHED.with(|d| d.borrow().clone()), [8]);
        assert_eq!(b.counts().added, 0);
    }

    #[test]
    fn dump_lists_added_then_active_events_as_libevent() {
        let b = base();
        b.add(
            &spec(0x10, -1, ev::PERSIST),
            &hint(),
            Some(60 * 1_000_000_000),
        )
        .unwrap();
        b.activate(&spec(0x20, -1, 0), &hint(), ev::TIMEOUT, 1);
        assert_eq!(
            b.dump(),
            "Inserted events:\n  0x10 [fd -1] Persist\nActive events:\n  0x20 [fd -1]\n"
        );
    }
}

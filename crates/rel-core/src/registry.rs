//! Everything a base has registered, kept consistent: the slot table, the
//! lists an event can be in (evmap for `EVLIST_INSERTED`, the timer heap
//! for `EVLIST_TIMEOUT`, the active queues for `EVLIST_ACTIVE`) and the
//! moves between them that libevent's event.c makes with the base locked
//! (`event_queue_insert_*`/`remove_*`, `event_del_nolock_`,
//! `event_active_nolock_`, `timeout_process`, `event_persist_closure`).
//! [`super::base::Base`] locks it and runs the loop over it.

use std::io;
use std::os::unix::io::RawFd;
use std::sync::Arc;

use super::active::ActiveQueues;
use super::backend::{Backend, Method, Ready};
use super::error::Error;
use super::event::{ev, evlist, owned_by_caller, rearms, Action, Callback, Hooks, Key, Spec};
use super::evmap::EvMap;
use super::signals::{self, NSIG};
use super::slots::{Counts, Dequeued, Hot, Slots, NIL};
use super::timer_heap::TimerHeap;
use super::waker::Waker;

/// What one base has registered, and its wake-up fd (drained when it
/// shows up among the readiness reports).
pub struct Registry {
    slots: Slots,
    evmap: EvMap,
    timers: TimerHeap,
    active: ActiveQueues,
    /// Shared, so that a change can wake the loop after the base's lock is
    /// released (see `Base::unlock_and_notify`).
    waker: Arc<Waker>,
    /// Its fd, which every report is compared with, kept here to spare
    /// that comparison a load through the `Arc`.
    waker_fd: RawFd,
    /// The slot of the event whose callbacks run, if its re-arm is put
    /// off until they return (see [`Registry::rearm_after_calls`]), else
    /// NIL; and the pass's time it counts from.
    deferred_rearm: u32,
    deferred_from: u64,
}

/// Calls owed, as a slot keeps them (a `short` in libevent): saturating.
fn saturated(ncalls: u32) -> u16 {
    u16::try_from(ncalls).unwrap_or(u16::MAX)
}

impl Registry {
    pub fn new(method: &'static Method, hooks: Hooks) -> io::Result<Registry> {
        let waker = Waker::new()?;
        Ok(Registry {
            slots: Slots::new(hooks),
            evmap: EvMap::open(method, waker.fd())?,
            timers: TimerHeap::default(),
            active: ActiveQueues::default(),
            waker_fd: waker.fd(),
            waker: Arc::new(waker),
            deferred_rearm: NIL,
            deferred_from: 0,
        })
    }

    /// The slot table, to read.
    pub fn slots(&self) -> &Slots {
        &self.slots
    }

    /// The active queues, to read.
    pub fn active(&self) -> &ActiveQueues {
        &self.active
    }

    pub fn method(&self) -> &'static Method {
        self.evmap.method()
    }

    /// The backend, shared so that the loop can wait without the base locked.
    pub fn backend(&self) -> &Arc<dyn Backend> {
        self.evmap.backend()
    }

    /// Appends what is ready now, without blocking.
    pub fn poll(&self, out: &mut Vec<Ready>) -> io::Result<()> {
        self.evmap.poll(out)
    }

    /// What wakes the loop from its wait.
    pub fn waker(&self) -> &Arc<Waker> {
        &self.waker
    }

    pub fn counts(&self) -> Counts {
        self.slots.counts()
    }

    pub fn clear_max_counts(&mut self, active: bool, added: bool) {
        self.slots.clear_max_counts(active, added);
    }

    pub fn has_events(&self) -> bool {
        self.slots.has_events()
    }

    /// Replaces the active queues (which must be empty) with `n` priorities.
    pub fn set_npriorities(&mut self, n: usize) {
        self.active.set_npriorities(n);
    }

    /// Queue `pri` starts to run.
    pub fn begin_run(&mut self, pri: usize) {
        self.active.begin_run(pri);
    }

    /// No queue runs.
    pub fn end_run(&mut self) {
        self.active.end_run();
    }

    /// Ends the current queue's run after the callback that runs.
    pub fn request_continue(&mut self) {
        self.active.request_continue();
    }

    /// A new pass of the loop starts.
    pub fn clear_continue(&mut self) {
        self.active.clear_continue();
    }

    /// A slot for a caller-owned event.
    pub fn alloc(&mut self, spec: &Spec) -> u32 {
        self.slots.alloc(spec)
    }

    /// A slot for an event the base owns (once events, loopexit), of the
    /// middle priority as libevent gives them.
    pub fn alloc_owned(&mut self, fd: RawFd, events: u16, action: Action) -> u32 {
        let priority = (self.active.npriorities() / 2) as u8;
        self.slots.alloc_owned(fd, events, priority, action)
    }

    /// Refreshes what a not-yet-registered slot wants from its event.
    pub fn refresh(&mut self, s: u32, spec: &Spec) -> Hot {
        self.slots.refresh(s, spec)
    }

    /// Records whether a persistent event re-arms with an interval (the
    /// interval itself stays in the caller's memory).
    pub fn set_interval(&mut self, s: u32, on: bool) {
        self.slots.set_interval(s, on);
    }

    /// Moves an event that is not queued to run to another priority.
    pub fn set_priority(&mut self, s: u32, priority: u8) -> Result<(), Error> {
        if self.slots.hot(s).flags() & evlist::ACTIVE != 0 {
            return Err(Error::EventActive);
        }
        self.slots.set_priority(s, priority);
        Ok(())
    }

    /// Frees a slot that is in no list any more.
    pub fn release_if_idle(&mut self, s: u32) {
        self.slots.release_if_idle(s);
    }

    /// Registers the slot's fd or signal with the kernel side.
    pub fn insert(&mut self, s: u32) -> Result<(), Error> {
        self.evmap.watch(&mut self.slots, s)?;
        self.slots.set_flag(s, evlist::INSERTED);
        self.slots.reflect(s);
        Ok(())
    }

    pub fn remove_io(&mut self, s: u32) {
        if self.slots.hot(s).flags() & evlist::INSERTED != 0 {
            self.evmap.unwatch(&mut self.slots, s);
            self.slots.clear_flag(s, evlist::INSERTED);
        }
    }

    /// A pending timer's move to a later deadline, the usual one (a timeout
    /// pushed back), is inlined: it only notes the postponement.
    #[inline]
    pub fn schedule(&mut self, s: u32, deadline: u64) {
        self.schedule_as(s, self.slots.hot(s), deadline);
    }

    /// [`Registry::schedule`] with the slot's record as the caller read
    /// it last (only its timeout flag and heap place matter), which spares
    /// the reload. A postponement is the heap's note alone: the event's
    /// memory keeps the earlier deadline until the timer moves (or fires,
    /// if it re-arms).
    pub fn schedule_as(&mut self, s: u32, hot: Hot, deadline: u64) {
        self.drop_deferred_rearm(s);
        if hot.flags() & evlist::TIMEOUT != 0 && self.timers.postpone(hot.heap_pos(), s, deadline) {
            return;
        }
        self.schedule_moving(s, deadline);
    }

    /// Inserts the slot's timer, or moves it in the heap.
    #[inline(never)]
    fn schedule_moving(&mut self, s: u32, deadline: u64) {
        if self.slots.hot(s).flags() & evlist::TIMEOUT == 0 {
            self.slots.set_flag(s, evlist::TIMEOUT);
        }
        self.timers.set(&mut self.slots.positions(), s, deadline);
        self.slots.reflect_deadline(s, deadline);
    }

    pub fn remove_timeout(&mut self, s: u32) {
        self.drop_deferred_rearm(s);
        if self.timers.remove(&mut self.slots.positions(), s) {
            self.slots.clear_flag(s, evlist::TIMEOUT);
        }
    }

    /// The result an active slot runs with.
    pub fn active_result(&self, s: u32) -> u16 {
        self.active
            .result(&self.slots, s, self.slots.hot(s).priority())
    }

    /// A pending timer's deadline.
    pub fn deadline(&self, s: u32) -> Option<u64> {
        if self.deferred_rearm == s {
            return Some(self.deferred_deadline());
        }
        self.timers.deadline_of(self.slots.hot(s).heap_pos())
    }

    /// When a wait must end for the timers: no timer is due before (a
    /// postponed one is due after it).
    pub fn wait_until(&self) -> Option<u64> {
        self.timers.earliest_key()
    }

    /// Whether any event has a deadline.
    pub fn has_timers(&self) -> bool {
        !self.timers.is_empty()
    }

    /// Queues the slot to run with `res`, or adds `res` and `ncalls` to
    /// what it already runs with.
    pub fn activate(&mut self, s: u32, res: u16, ncalls: u32) {
        self.slots.ensure_record(s);
        self.activate_recorded(s, res, saturated(ncalls));
        self.slots.note_maxima();
    }

    /// [`Registry::activate`] for a slot known to have its record: one
    /// watching an fd or a signal. The caller notes the maxima after.
    /// Inlined into the wait's reports, whose loop has its registers saved
    /// already: 316 → 302 instructions per callback where 100 fds are ready.
    #[inline(always)]
    fn activate_recorded(&mut self, s: u32, res: u16, ncalls: u16) {
        let hot = self.slots.hot(s);
        if hot.flags() & evlist::ACTIVE != 0 {
            let res = self
                .active
                .merge(&self.slots, s, hot.priority(), res, ncalls);
            self.slots.reflect_res(s, res);
            return;
        }
        self.active
            .push(&mut self.slots, s, hot.priority(), res, ncalls);
    }

    pub fn deactivate(&mut self, s: u32) {
        let hot = self.slots.hot(s);
        if hot.flags() & evlist::ACTIVE == 0 {
            return;
        }
        self.active.remove(&self.slots, s, hot.priority());
        self.slots.clear_flag(s, evlist::ACTIVE);
    }

    /// Takes the head of active queue `pri` (not empty) off it, to run.
    pub fn dequeue_head(&mut self, pri: usize) -> Dequeued {
        self.active.pop_head(&mut self.slots, pri)
    }

    /// Takes the slot out of every list (libevent's `event_del`) and frees it.
    /// Each removal is called only for a list the slot is in: a pure timer
    /// makes one call, not three.
    pub fn delete(&mut self, s: u32) {
        let flags = self.slots.hot(s).flags();
        if flags & evlist::TIMEOUT != 0 {
            self.remove_timeout(s);
        }
        if flags & evlist::ACTIVE != 0 {
            self.deactivate(s);
        }
        if flags & evlist::INSERTED != 0 {
            self.remove_io(s);
        }
        self.release_if_idle(s);
    }

    /// Turns a wait's readiness reports into active events.
    pub fn process_ready(&mut self, ready: &[Ready]) {
        for r in ready {
            if r.fd == self.waker_fd {
                self.waker.drain();
            } else if self.evmap.is_signal_pipe(r.fd) {
                self.deliver_signals();
            } else {
                self.activate_watchers(r.fd, u16::from(r.bits));
            }
        }
        self.slots.note_maxima();
    }

    /// The one event a wait's reports run, when they come to one: a single
    /// report, of an fd that one event watches and wants now, with no other
    /// event queued (the caller checked that no timer is due), in a queue
    /// before `limited` (whose runs count their callbacks and time). That
    /// event is taken to run, with the queue it would have run in, without
    /// going through the queue: no callback could run, nor another thread
    /// look, between queueing it and taking it off.
    pub fn take_sole_report(
        &mut self,
        ready: &[Ready],
        limited: usize,
    ) -> Option<(u32, usize, Dequeued)> {
        let [r] = ready else {
            return None;
        };
        if self.slots.counts().active != 0
            || r.fd == self.waker_fd
            || self.evmap.is_signal_pipe(r.fd)
        {
            return None;
        }
        let s = self.evmap.first_on_fd(r.fd);
        if s == NIL || self.slots.fd_next(s) != NIL {
            return None;
        }
        let hot = self.slots.hot(s);
        // Noting the report is idempotent: the general path does it again.
        let res = self.report_result(r.fd, hot.events(), u16::from(r.bits))?;
        let pri = self.active.queue_of(hot.priority());
        if pri >= limited {
            return None;
        }
        Some((s, pri, self.slots.take_unqueued(s, res)))
    }

    /// What a report of `bits` on `fd` means for an event that wants
    /// `events`: the result it runs with, or None when it wants none of
    /// them. A one-shot event's report is noted: an fd registered one-shot
    /// for it is disarmed by the report.
    #[inline(always)]
    fn report_result(&mut self, fd: RawFd, events: u16, bits: u16) -> Option<u16> {
        if events & bits & ev::IO == 0 {
            return None;
        }
        if events & ev::PERSIST == 0 {
            self.evmap.note_report(fd);
        }
        Some(events & bits & (ev::IO | ev::ET))
    }

    /// Whether a timer is due by `now` (postponed entries at the top move
    /// on the way, as [`Registry::process_timeouts`] would move them).
    pub fn timer_due(&mut self, now: u64) -> bool {
        self.timers
            .peek_due(&mut self.slots.positions(), now)
            .is_some()
    }

    /// Activates the events on `fd` that want any of `bits` (READ/WRITE/
    /// CLOSED); ET in `bits` (an edge-triggering backend) passes on to the
    /// results of EV_ET events. Inlined into the loop's handling of each
    /// report, which LLVM stops doing once it notes one-shot reports.
    #[inline(always)]
    fn activate_watchers(&mut self, fd: RawFd, bits: u16) {
        let mut s = self.evmap.first_on_fd(fd);
        while s != NIL {
            // Read before the activation, whose call into the caller's
            // memory would have the record looked up again.
            let next = self.slots.fd_next(s);
            let events = self.slots.hot(s).events();
            if let Some(res) = self.report_result(fd, events, bits) {
                self.activate_recorded(s, res, 1);
            }
            s = next;
        }
    }

    fn deliver_signals(&mut self) {
        self.evmap.drain_signal_pipe();
        for sig in 1..NSIG as i32 {
            if self.evmap.signal_watchers(sig).is_empty() {
                continue;
            }
            let n = signals::take_count(sig);
            if n > 0 {
                self.activate_signal(sig, n);
            }
        }
    }

    /// Activates every event watching `sig`, as if it arrived `n` times.
    pub fn activate_signal(&mut self, sig: i32, n: u32) {
        let n = saturated(n);
        for s in self.evmap.signal_watchers(sig).to_vec() {
            self.activate_recorded(s, ev::SIGNAL, n);
        }
        self.slots.note_maxima();
    }

    /// Activates every event whose deadline is at or before `now`
    /// (libevent's `timeout_process`): a plain event (or signal) leaves all
    /// lists first; a re-arming one keeps its fd registration, to be
    /// re-armed when it runs.
    ///
    /// Out of line: inlined into the loop, it made every pass of every loop
    /// longer (~17 instructions per callback), timers or not.
    #[inline(never)]
    pub fn process_timeouts(&mut self, now: u64) {
        loop {
            let Some((s, deadline)) = self.timers.peek_due(&mut self.slots.positions(), now) else {
                break;
            };
            // Where a persistent event counts its next deadline from (the
            // event's memory may hold an earlier one, see `schedule_as`).
            if self.slots.hot(s).has_interval() {
                self.slots.reflect_deadline(s, deadline);
            }
            // The activation below tells the caller's memory the flags.
            if self.timers.remove(&mut self.slots.positions(), s) {
                self.slots.clear_flag_untold(s, evlist::TIMEOUT);
            }
            let hot = self.slots.hot(s);
            if hot.flags() & evlist::ACTIVE != 0 {
                self.deactivate(s);
            }
            if hot.flags() & evlist::INSERTED != 0 && !rearms(hot.events()) {
                self.remove_io(s);
            }
            self.slots.ensure_record(s);
            self.activate_recorded(s, ev::TIMEOUT, 1);
        }
        self.slots.note_maxima();
    }

    /// [`Registry::rearm`] for the event whose callbacks are about to run.
    /// Where the re-arm would only move a deadline still in the heap (the
    /// event ran for I/O, a signal or `event_active`, and stays inserted),
    /// it is put off until the callbacks return ([`Registry::end_calls`]):
    /// a callback that adds the event again with a timeout (a chain of
    /// reads does, and libevent's bufferevents on each read) replaces it,
    /// so the heap moves once instead of twice. Meanwhile
    /// [`Registry::deadline`] answers with the deadline the re-arm gives,
    /// and a delete drops it.
    #[inline(always)]
    pub fn rearm_after_calls(&mut self, s: u32, res: u16, now: u64) {
        let hot = self.slots.hot(s);
        let still_pending = match hot.events() & (ev::IO | ev::SIGNAL) {
            0 => evlist::TIMEOUT,
            _ => evlist::TIMEOUT | evlist::INSERTED,
        };
        if res & ev::TIMEOUT == 0
            && hot.flags() & still_pending == still_pending
            && owned_by_caller(hot.key())
        {
            self.deferred_rearm = s;
            self.deferred_from = now;
        } else {
            self.rearm(s, res, now);
        }
    }

    /// The callbacks of the running event returned: its re-arm, if put off
    /// and not replaced, is made now.
    #[inline(always)]
    pub fn end_calls(&mut self) {
        if self.deferred_rearm != NIL {
            self.rearm_deferred();
        }
    }

    #[inline(never)]
    fn rearm_deferred(&mut self) {
        let (s, at) = (self.deferred_rearm, self.deferred_deadline());
        self.deferred_rearm = NIL;
        self.schedule(s, at);
    }

    /// The deadline the re-arm put off gives.
    fn deferred_deadline(&self) -> u64 {
        let delay = self.slots.persist_delay(self.deferred_rearm);
        self.deferred_from.saturating_add(delay)
    }

    /// A change to slot `s`'s timer replaces its re-arm put off.
    #[inline(always)]
    fn drop_deferred_rearm(&mut self, s: u32) {
        if self.deferred_rearm == s {
            self.deferred_rearm = NIL;
        }
    }

    /// libevent's persist closure: the next deadline of a persistent event
    /// with an interval, counted from its last deadline after a timeout and
    /// from `now` after I/O, never in the past. Like libevent, this adds the
    /// event again if it had been deleted (it ran through `event_active`).
    /// Inlined into both of the loop's runs of an event: out of line, it
    /// cost a call per callback of an event with a timeout.
    #[inline(always)]
    fn rearm(&mut self, s: u32, res: u16, now: u64) {
        if !self.slots.hot(s).has_interval() || !owned_by_caller(self.slots.hot(s).key()) {
            return;
        }
        let delay = self.slots.persist_delay(s);
        let from = if res & ev::TIMEOUT != 0 {
            // Still pending (run through `event_active`): the heap knows
            // its deadline, postponements included.
            self.deadline(s)
                .unwrap_or_else(|| self.slots.last_deadline(s))
        } else {
            now
        };
        let mut at = from.saturating_add(delay);
        if at < now {
            at = now.saturating_add(delay);
        }
        let hot = self.slots.hot(s);
        if hot.events() & (ev::IO | ev::SIGNAL) != 0
            && hot.flags() & (evlist::INSERTED | evlist::ACTIVE) == 0
            && self.insert(s).is_err()
        {
            return; // the fd went away meanwhile: leave it deleted
        }
        self.schedule(s, at);
    }

    /// Activates events on `fd` as if the backend reported `events`; with
    /// EV_TIMEOUT, also timers that carry this fd.
    pub fn activate_fd(&mut self, fd: RawFd, events: u16) {
        self.activate_watchers(fd, events);
        self.slots.note_maxima();
        if events & ev::TIMEOUT != 0 {
            let timers: Vec<u32> = self
                .slots
                .live()
                .filter(|(_, h)| h.flags() & evlist::TIMEOUT != 0)
                .map(|(s, _)| s)
                .filter(|&s| self.slots.fd_of(s) == fd)
                .collect();
            for s in timers {
                self.activate(s, ev::TIMEOUT, 1);
            }
        }
    }

    /// Makes this base the one that receives signals, if it watches any.
    pub fn claim_signals(&self) {
        self.evmap.claim_signals();
    }

    /// After fork: a fresh backend, wake-up fd and signal pipe, with every
    /// watched fd registered again.
    pub fn rebuild(&mut self) -> Result<(), Error> {
        let waker = Waker::new().map_err(Error::Reinit)?;
        self.evmap.reopen(waker.fd()).map_err(Error::Reinit)?;
        self.waker_fd = waker.fd();
        self.waker = Arc::new(waker);
        Ok(())
    }

    /// Lets go of everything before the base is freed: the caller's events
    /// leave every list and are detached (so later calls on them are
    /// refused instead of reaching freed memory), and the finalizers still
    /// queued are deleted and handed over, each with its event.
    pub fn shut_down(&mut self) -> Vec<(Key, Callback)> {
        let caller: Vec<(u32, Key)> = self
            .slots
            .caller_events()
            .map(|(s, h)| (s, h.key()))
            .collect();
        for (s, key) in caller {
            self.delete(s);
            self.slots.detach(key);
        }
        let finalizers = self.slots.finalizers();
        for &(s, ..) in &finalizers {
            self.delete(s);
        }
        finalizers
            .into_iter()
            .map(|(_, event, f)| (event, f))
            .collect()
    }

    /// Gives up every signal this base watches (when the base is freed).
    pub fn release_signals(&mut self) {
        self.evmap.release_signals();
    }
}

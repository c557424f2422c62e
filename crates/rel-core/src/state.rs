//! The registrations of one base, without any locking: event slots, the
//! per-fd and per-signal watch lists, the timer heap and the active queues.
//! [`super::base::Base`] wraps this in a mutex and runs the loop over it.

use std::collections::HashMap;
use std::io;
use std::os::raw::{c_int, c_short, c_void};
use std::sync::Arc;

use super::backend::{bits, Backend, Method, Ready};
use super::clock;
use super::log::warn;
use super::signals::{self, SignalPipe, NSIG};
use super::timer_heap::{self, Positions, TimerHeap};
use super::waker::Waker;

/// libevent's `EV_*` event bits.
pub mod ev {
    pub const TIMEOUT: u16 = 0x01;
    pub const READ: u16 = 0x02;
    pub const WRITE: u16 = 0x04;
    pub const SIGNAL: u16 = 0x08;
    pub const PERSIST: u16 = 0x10;
    pub const ET: u16 = 0x20;
    pub const FINALIZE: u16 = 0x40;
    pub const CLOSED: u16 = 0x80;
    pub const IO: u16 = READ | WRITE | CLOSED;
}

/// libevent's `EVLIST_*` state bits (the subset a slot can be in).
pub mod evlist {
    pub const TIMEOUT: u8 = 0x01;
    pub const INSERTED: u8 = 0x02;
    pub const ACTIVE: u8 = 0x08;
    pub const INIT: u8 = 0x80;
}

/// Identity of an event: the address of the caller's `struct event`, or an
/// odd number for events the base owns itself (`event_base_once`, loopexit).
pub type Key = usize;

/// How the core reaches a caller-owned event's own memory (the C layer's
/// `struct event`), called with the base locked while the event is in some
/// list or leaving its last one. What the memory holds is not copied into
/// the core, so the per-event table stays small.
#[derive(Clone, Copy, Debug)]
pub struct Hooks {
    /// Reflects the event's `EVLIST_*` flags, and its result or deadline
    /// (monotonic ns) when given, into `evcb_flags`, `ev_res`, `ev_timeout`.
    pub mirror: fn(Key, u8, Option<u16>, Option<u64>),
    /// What the event's memory holds now: read just before each call, as
    /// libevent reads the callback and fd when it runs an event.
    pub read: fn(Key) -> Current,
    /// The event's last deadline (monotonic ns, as mirrored): where a
    /// persistent event's next timeout is counted from after `EV_TIMEOUT`.
    pub last_deadline: fn(Key) -> u64,
}

/// A caller-owned event as its memory describes it (see [`Hooks::read`]).
#[derive(Clone, Copy, Debug)]
pub struct Current {
    pub callback: Callback,
    pub fd: c_int,
}

pub fn owned_by_caller(key: Key) -> bool {
    key & 1 == 0
}

pub type CallbackFn = unsafe extern "C" fn(c_int, c_short, *mut c_void);

/// A C callback and its argument. The core only stores it; the C layer calls it.
#[derive(Clone, Copy, Debug)]
pub struct Callback {
    pub func: CallbackFn,
    pub arg: usize,
}

/// What an event wants, read from the caller's `struct event` when added.
#[derive(Clone, Copy, Debug)]
pub struct Spec {
    pub key: Key,
    pub fd: c_int,
    pub events: u16,
    pub priority: u8,
    /// A persistent event's interval (ns, 0 = none): like libevent's
    /// `ev_io_timeout`, it belongs to the event and survives `event_del`.
    pub persist_delay: u64,
}

#[derive(Clone, Copy, Debug)]
pub enum Action {
    Call(Callback),
    /// The loopexit timer: ends the loop after the current pass.
    LoopExit,
    /// A finalizer (`event_finalize`): called like `Call`, and handed back
    /// by [`State::take_finalizers`] if the base goes first.
    Finalize(Callback),
}

const NIL: u32 = u32::MAX;
const FREE: Key = 0;

/// The part of a slot that every add, delete and timer move reads. Kept in
/// a table of its own, 16 bytes a slot, so that with many timers the table
/// stays in cache and a pending timer is moved without touching [`Slot`].
#[derive(Clone, Copy)]
pub struct Hot {
    pub key: Key,
    /// Index of the slot's entry in the timer heap.
    heap_pos: u32,
    pub events: u16,
    pub flags: u8,
    pub priority: u8,
}

/// The rest of a slot. Each field is written before it can be read, by
/// whatever puts the slot where that field matters, so a reused slot is
/// not cleared and a pure timer of the caller's never touches this part.
#[derive(Clone, Copy)]
pub struct Slot {
    /// The fd or signal registered (set when inserted; for the base's own
    /// events, at allocation).
    pub fd: c_int,
    /// Result and calls owed (signal deliveries; saturating, a `short` in
    /// libevent) while active.
    pub res: u16,
    pub ncalls: u16,
    /// A persistent event's re-arm delay (ns, 0 = none); set whenever the
    /// event is persistent.
    pub persist_delay: u64,
    /// Active-queue links, while active.
    prev: u32,
    next: u32,
    /// Next slot watching the same fd (newest first, as libevent's evmap),
    /// while inserted.
    fd_next: u32,
}

const UNUSED: Slot = Slot {
    fd: -1,
    res: 0,
    ncalls: 0,
    persist_delay: 0,
    prev: NIL,
    next: NIL,
    fd_next: NIL,
};

/// The slots keep their own heap positions.
struct SlotPositions<'a>(&'a mut [Hot]);

impl Positions for SlotPositions<'_> {
    #[inline]
    fn get(&self, s: u32) -> u32 {
        self.0[s as usize].heap_pos
    }
    #[inline]
    fn set(&mut self, s: u32, at: u32) {
        self.0[s as usize].heap_pos = at;
    }
}

#[derive(Clone, Copy)]
struct Queue {
    head: u32,
    tail: u32,
}

const EMPTY_QUEUE: Queue = Queue {
    head: NIL,
    tail: NIL,
};

#[derive(Clone, Copy)]
struct FdWatch {
    /// First slot of the fd's list (linked through `Slot::fd_next`).
    head: u32,
    /// The interest the backend currently holds for this fd.
    interest: u8,
}

const NO_WATCH: FdWatch = FdWatch {
    head: NIL,
    interest: 0,
};

/// Counts as libevent keeps them: an event counts once for each of
/// inserted, timeout and active that it is in.
#[derive(Default, Clone, Copy)]
pub struct Counts {
    pub added: usize,
    pub active: usize,
    pub max_added: usize,
    pub max_active: usize,
}

pub struct State {
    hot: Vec<Hot>,
    slots: Vec<Slot>,
    /// What the base's own events run (few: once events, loopexit,
    /// finalizers), kept out of the slots.
    owned_actions: HashMap<Key, Action>,
    free: Vec<u32>,
    fds: Vec<FdWatch>,
    signal_watch: Vec<Vec<u32>>,
    timers: TimerHeap,
    queues: Vec<Queue>,
    pub counts: Counts,
    pub backend: Arc<dyn Backend>,
    pub method: &'static Method,
    pub waker: Waker,
    signal_pipe: Option<SignalPipe>,
    next_owned_key: Key,
    /// Priority of the queue being run, or -1: activating a more urgent event
    /// ends that queue's run early.
    pub running_priority: i32,
    pub continue_flag: bool,
    /// Monotonic time (ns) cached for the current pass.
    pub cached: Option<u64>,
    /// Its wall-clock equivalent, worked out once when first asked for.
    pub cached_wall: Option<std::time::Duration>,
    pub use_cache: bool,
    /// The signal event being called, and how many calls remain.
    pub running: Option<Key>,
    pub running_ncalls: u32,
    hooks: Hooks,
}

/// Whether an event re-arms its timeout on every call (libevent's persist
/// closure): persistent, and not a signal (signals have their own closure).
pub fn rearms(events: u16) -> bool {
    events & ev::PERSIST != 0 && events & ev::SIGNAL == 0
}

fn io_bits(events: u16) -> u8 {
    (events & (ev::IO | ev::ET)) as u8
}

impl State {
    pub fn new(method: &'static Method, use_cache: bool, hooks: Hooks) -> io::Result<State> {
        let backend = (method.open)()?;
        let waker = Waker::new()?;
        backend.set(waker.fd(), 0, bits::READ)?;
        Ok(State {
            hot: Vec::new(),
            slots: Vec::new(),
            owned_actions: HashMap::new(),
            free: Vec::new(),
            fds: Vec::new(),
            signal_watch: vec![Vec::new(); NSIG],
            timers: TimerHeap::default(),
            queues: vec![EMPTY_QUEUE],
            counts: Counts::default(),
            backend: Arc::from(backend),
            method,
            waker,
            signal_pipe: None,
            next_owned_key: 1,
            running_priority: -1,
            continue_flag: false,
            cached: None,
            cached_wall: None,
            use_cache,
            running: None,
            running_ncalls: 0,
            hooks,
        })
    }

    pub fn hot(&self, s: u32) -> &Hot {
        &self.hot[s as usize]
    }

    /// The rest of an active slot (see [`Slot`] for when which field holds).
    pub fn slot(&self, s: u32) -> &Slot {
        &self.slots[s as usize]
    }

    /// A caller-owned event as its memory describes it now; None for the
    /// base's own events.
    pub fn current(&self, s: u32) -> Option<Current> {
        let key = self.hot[s as usize].key;
        owned_by_caller(key).then(|| (self.hooks.read)(key))
    }

    /// What running slot `s` means, and the fd its callback is given: the
    /// caller's events run what their memory holds now.
    pub fn action(&self, s: u32) -> (Action, c_int) {
        match self.current(s) {
            Some(c) => (Action::Call(c.callback), c.fd),
            None => {
                let key = self.hot[s as usize].key;
                let action = self.owned_actions.get(&key).copied();
                (
                    action.expect("the base's own events keep their action"),
                    self.slots[s as usize].fd,
                )
            }
        }
    }

    /// The fd an event carries (`ev_fd` for the caller's events).
    pub fn fd_of(&self, s: u32) -> c_int {
        self.current(s).map_or(self.slots[s as usize].fd, |c| c.fd)
    }

    /// A pending timer's deadline.
    pub fn deadline(&self, s: u32) -> Option<u64> {
        self.timers.deadline_at(self.hot[s as usize].heap_pos)
    }

    pub fn npriorities(&self) -> usize {
        self.queues.len()
    }

    pub fn set_npriorities(&mut self, n: usize) {
        self.queues = vec![EMPTY_QUEUE; n];
    }

    /// Monotonic now: the pass's cached time when there is one.
    pub fn now(&self) -> u64 {
        match self.cached {
            Some(mono) if self.use_cache => mono,
            _ => clock::now_ns(),
        }
    }

    pub fn update_cache(&mut self) {
        self.cached = Some(clock::now_ns());
        self.cached_wall = None;
    }

    pub fn has_events(&self) -> bool {
        self.counts.added > 0
    }

    pub fn next_deadline(&self) -> Option<u64> {
        self.timers.peek().map(|(_, d)| d)
    }

    /// The slot of `key`, if `hint` names it (the hint is kept inside the
    /// caller's event and rewritten whenever a slot is assigned).
    pub fn find(&self, key: Key, hint: u32) -> Option<u32> {
        match self.hot.get(hint as usize) {
            Some(s) if s.key == key && key != FREE => Some(hint),
            _ => None,
        }
    }

    /// Live slots: (slot, key).
    pub fn live(&self) -> impl Iterator<Item = (u32, &Hot)> {
        self.hot
            .iter()
            .enumerate()
            .filter(|(_, s)| s.key != FREE)
            .map(|(i, s)| (i as u32, s))
    }

    /// Live events that belong to the caller (not once-events).
    pub fn caller_events(&self) -> impl Iterator<Item = (u32, &Hot)> {
        self.live().filter(|(_, h)| owned_by_caller(h.key))
    }

    /// The address of the hot records (moves when the table grows).
    pub fn hot_table_addr(&self) -> usize {
        self.hot.as_ptr() as usize
    }

    /// A slot for a caller-owned event.
    pub fn alloc(&mut self, spec: &Spec) -> u32 {
        let s = self.alloc_hot(spec.key, spec.events, spec.priority);
        self.refresh_slot(s, spec);
        s
    }

    /// A slot for an event the base owns (once events, loopexit).
    pub fn alloc_owned(&mut self, fd: c_int, events: u16, action: Action) -> u32 {
        let key = self.next_owned_key;
        self.next_owned_key += 2;
        let priority = (self.queues.len() / 2) as u8;
        let s = self.alloc_hot(key, events, priority);
        self.slots[s as usize].fd = fd;
        self.owned_actions.insert(key, action);
        s
    }

    fn alloc_hot(&mut self, key: Key, events: u16, priority: u8) -> u32 {
        let hot = Hot {
            key,
            heap_pos: timer_heap::ABSENT,
            events,
            flags: 0,
            priority,
        };
        match self.free.pop() {
            Some(s) => {
                self.hot[s as usize] = hot;
                s
            }
            None => {
                self.hot.push(hot);
                self.slots.push(UNUSED);
                (self.hot.len() - 1) as u32
            }
        }
    }

    /// Refreshes what a not-yet-registered slot wants from its event.
    pub fn refresh(&mut self, s: u32, spec: &Spec) {
        let hot = &mut self.hot[s as usize];
        if hot.flags & (evlist::INSERTED | evlist::ACTIVE) == 0 {
            hot.events = spec.events;
            hot.priority = spec.priority;
            self.refresh_slot(s, spec);
        }
    }

    /// The fields of [`Slot`] that a caller's event of this kind reads
    /// before it is next inserted or activated.
    fn refresh_slot(&mut self, s: u32, spec: &Spec) {
        if spec.events & (ev::IO | ev::SIGNAL) != 0 {
            self.slots[s as usize].fd = spec.fd;
        }
        if spec.events & ev::PERSIST != 0 {
            self.slots[s as usize].persist_delay = spec.persist_delay;
        }
    }

    pub fn set_persist_delay(&mut self, s: u32, delay: u64) {
        self.slots[s as usize].persist_delay = delay;
    }

    pub fn set_priority(&mut self, s: u32, priority: u8) {
        self.hot[s as usize].priority = priority;
    }

    /// Frees a slot that is in no list any more.
    pub fn release_if_idle(&mut self, s: u32) {
        let hot = &mut self.hot[s as usize];
        if hot.key != FREE && hot.flags == 0 {
            if !owned_by_caller(hot.key) {
                self.owned_actions.remove(&hot.key);
            }
            hot.key = FREE;
            self.free.push(s);
        }
    }

    /// Mirrors the slot's flags, and `res`/`deadline` when given, into a
    /// caller-owned event's memory.
    fn reflect(&self, s: u32, res: Option<u16>, deadline: Option<u64>) {
        let Hot { key, flags, .. } = self.hot[s as usize];
        if owned_by_caller(key) {
            (self.hooks.mirror)(key, flags, res, deadline);
        }
    }

    fn set_flag(&mut self, s: u32, flag: u8) {
        self.hot[s as usize].flags |= flag;
        self.counts.added += 1;
        self.counts.max_added = self.counts.max_added.max(self.counts.added);
        if flag == evlist::ACTIVE {
            self.counts.active += 1;
            self.counts.max_active = self.counts.max_active.max(self.counts.active);
        }
    }

    fn clear_flag(&mut self, s: u32, flag: u8) {
        self.hot[s as usize].flags &= !flag;
        self.reflect(s, None, None);
        self.counts.added -= 1;
        if flag == evlist::ACTIVE {
            self.counts.active -= 1;
        }
    }

    /// Registers the slot's fd or signal with the kernel side.
    pub fn insert(&mut self, s: u32) -> Result<(), String> {
        let fd = self.slots[s as usize].fd;
        let events = self.hot[s as usize].events;
        if events & ev::SIGNAL != 0 {
            self.watch_signal(s, fd)?;
        } else {
            self.watch_fd(s, fd, io_bits(events))?;
        }
        self.set_flag(s, evlist::INSERTED);
        self.reflect(s, None, None);
        Ok(())
    }

    fn watch_fd(&mut self, s: u32, fd: c_int, want: u8) -> Result<(), String> {
        if fd < 0 {
            return Err(format!("event_add: invalid fd {fd}"));
        }
        if self.fds.len() <= fd as usize {
            self.fds.resize(fd as usize + 1, NO_WATCH);
        }
        let FdWatch {
            head,
            interest: old,
        } = self.fds[fd as usize];
        if head != NIL && (old ^ want) & bits::ET != 0 {
            return Err(format!(
                "Tried to mix edge-triggered and non-edge-triggered events on fd {fd}"
            ));
        }
        let new = old | want;
        if new != old {
            self.backend
                .set(fd, old, new)
                .map_err(|e| format!("{}: cannot watch fd {fd}: {e}", self.method.name()))?;
        }
        self.slots[s as usize].fd_next = head;
        self.fds[fd as usize] = FdWatch {
            head: s,
            interest: new,
        };
        Ok(())
    }

    fn watch_signal(&mut self, s: u32, sig: c_int) -> Result<(), String> {
        if !signals::valid(sig) {
            return Err(format!("event_add: signal number {sig} out of range"));
        }
        if self.signal_pipe.is_none() {
            let pipe = SignalPipe::new().map_err(|e| format!("signal pipe: {e}"))?;
            self.backend
                .set(pipe.fd(), 0, bits::READ)
                .map_err(|e| format!("signal pipe: {e}"))?;
            self.signal_pipe = Some(pipe);
        }
        let list = &mut self.signal_watch[sig as usize];
        if list.is_empty() {
            signals::watch(sig).map_err(|e| format!("sigaction for signal {sig}: {e}"))?;
        }
        list.push(s);
        self.claim_signals();
        Ok(())
    }

    /// Makes this base the one that receives signals, if it watches any.
    pub fn claim_signals(&self) {
        if let Some(pipe) = &self.signal_pipe {
            pipe.claim();
        }
    }

    fn unwatch(&mut self, s: u32) {
        let fd = self.slots[s as usize].fd;
        let events = self.hot[s as usize].events;
        if events & ev::SIGNAL != 0 {
            let list = &mut self.signal_watch[fd as usize];
            list.retain(|&x| x != s);
            if list.is_empty() {
                signals::unwatch(fd);
            }
            return;
        }
        let Some(&FdWatch {
            head,
            interest: old,
        }) = self.fds.get(fd as usize)
        else {
            return;
        };
        // Unlink `s` and recompute the interest of those that remain.
        let (mut new, mut prev, mut cur) = (0, NIL, head);
        while cur != NIL {
            let next = self.slots[cur as usize].fd_next;
            if cur == s {
                match prev {
                    NIL => self.fds[fd as usize].head = next,
                    p => self.slots[p as usize].fd_next = next,
                }
            } else {
                new |= io_bits(self.hot[cur as usize].events);
                prev = cur;
            }
            cur = next;
        }
        self.fds[fd as usize].interest = new;
        if new != old {
            // A closed fd has already left the kernel's set: nothing to report.
            let _ = self.backend.set(fd, old, new);
        }
    }

    pub fn remove_io(&mut self, s: u32) {
        if self.hot[s as usize].flags & evlist::INSERTED != 0 {
            self.unwatch(s);
            self.clear_flag(s, evlist::INSERTED);
        }
    }

    pub fn schedule(&mut self, s: u32, deadline: u64) {
        if self.hot[s as usize].flags & evlist::TIMEOUT == 0 {
            self.set_flag(s, evlist::TIMEOUT);
        }
        self.reflect(s, None, Some(deadline));
        self.timers
            .schedule(&mut SlotPositions(&mut self.hot), s, deadline);
    }

    pub fn remove_timeout(&mut self, s: u32) {
        if self.timers.remove(&mut SlotPositions(&mut self.hot), s) {
            self.clear_flag(s, evlist::TIMEOUT);
        }
    }

    pub fn activate(&mut self, s: u32, res: u16, ncalls: u32) {
        let ncalls = u16::try_from(ncalls).unwrap_or(u16::MAX);
        let Hot {
            flags, priority, ..
        } = self.hot[s as usize];
        let slot = &mut self.slots[s as usize];
        if flags & evlist::ACTIVE != 0 {
            slot.res |= res;
            slot.ncalls = slot.ncalls.saturating_add(ncalls);
            let res = slot.res;
            self.reflect(s, Some(res), None);
            return;
        }
        slot.res = res;
        slot.ncalls = ncalls;
        let pri = (priority as usize).min(self.queues.len() - 1);
        if (pri as i32) < self.running_priority {
            self.continue_flag = true;
        }
        let q = self.queues[pri];
        let slot = &mut self.slots[s as usize];
        slot.prev = q.tail;
        slot.next = NIL;
        if q.tail == NIL {
            self.queues[pri].head = s;
        } else {
            self.slots[q.tail as usize].next = s;
        }
        self.queues[pri].tail = s;
        self.set_flag(s, evlist::ACTIVE);
        self.reflect(s, Some(res), None);
    }

    pub fn deactivate(&mut self, s: u32) {
        let Hot {
            flags, priority, ..
        } = self.hot[s as usize];
        if flags & evlist::ACTIVE == 0 {
            return;
        }
        let slot = self.slots[s as usize];
        let pri = (priority as usize).min(self.queues.len() - 1);
        match slot.prev {
            NIL => self.queues[pri].head = slot.next,
            p => self.slots[p as usize].next = slot.next,
        }
        match slot.next {
            NIL => self.queues[pri].tail = slot.prev,
            n => self.slots[n as usize].prev = slot.prev,
        }
        self.clear_flag(s, evlist::ACTIVE);
    }

    /// Takes the slot out of every list (libevent's `event_del`) and frees it.
    pub fn delete(&mut self, s: u32) {
        self.remove_timeout(s);
        self.deactivate(s);
        self.remove_io(s);
        self.release_if_idle(s);
    }

    pub fn queue_head(&self, pri: usize) -> Option<u32> {
        match self.queues[pri].head {
            NIL => None,
            s => Some(s),
        }
    }

    /// Turns a wait's readiness reports into active events.
    pub fn process_ready(&mut self, ready: &[Ready]) {
        for r in ready {
            if r.fd == self.waker.fd() {
                self.waker.drain();
            } else if self.signal_pipe.as_ref().is_some_and(|p| p.fd() == r.fd) {
                self.deliver_signals();
            } else {
                self.activate_watchers(r.fd, u16::from(r.bits));
            }
        }
    }

    /// Activates the events on `fd` that want any of `bits` (READ/WRITE/CLOSED).
    fn activate_watchers(&mut self, fd: c_int, bits: u16) {
        let mut s = self.fds.get(fd as usize).map_or(NIL, |w| w.head);
        while s != NIL {
            let res = self.hot[s as usize].events & bits & ev::IO;
            if res != 0 {
                self.activate(s, res, 1);
            }
            s = self.slots[s as usize].fd_next;
        }
    }

    fn deliver_signals(&mut self) {
        if let Some(pipe) = &self.signal_pipe {
            pipe.drain();
        }
        for sig in 1..NSIG {
            if self.signal_watch[sig].is_empty() {
                continue;
            }
            let n = signals::take_count(sig as c_int);
            if n > 0 {
                self.activate_signal(sig as c_int, n);
            }
        }
    }

    /// Activates every event watching `sig`, as if it arrived `n` times.
    pub fn activate_signal(&mut self, sig: c_int, n: u32) {
        let Some(list) = self.signal_watch.get(sig.max(0) as usize) else {
            return;
        };
        for s in list.clone() {
            self.activate(s, ev::SIGNAL, n);
        }
    }

    /// Activates every event whose deadline has passed (libevent's
    /// `timeout_process`): a plain event (or signal) leaves all lists first;
    /// a re-arming one keeps its fd registration, to be re-armed when it runs.
    pub fn process_timeouts(&mut self) {
        let now = self.now();
        while let Some((s, deadline)) = self.timers.peek() {
            if deadline > now {
                break;
            }
            self.remove_timeout(s);
            self.deactivate(s);
            if !rearms(self.hot[s as usize].events) {
                self.remove_io(s);
            }
            self.activate(s, ev::TIMEOUT, 1);
        }
    }

    /// libevent's persist closure: the next deadline of a persistent event
    /// with an interval, counted from its last deadline after a timeout and
    /// from now after I/O, never in the past. Like libevent, this adds the
    /// event again if it had been deleted (it ran through `event_active`).
    pub fn rearm(&mut self, s: u32, res: u16) {
        let delay = self.slots[s as usize].persist_delay;
        let key = self.hot[s as usize].key;
        if delay == 0 || !owned_by_caller(key) {
            return;
        }
        let now = self.now();
        let from = if res & ev::TIMEOUT != 0 {
            (self.hooks.last_deadline)(key)
        } else {
            now
        };
        let mut at = from.saturating_add(delay);
        if at < now {
            at = now.saturating_add(delay);
        }
        let Hot { events, flags, .. } = self.hot[s as usize];
        if events & (ev::IO | ev::SIGNAL) != 0
            && flags & (evlist::INSERTED | evlist::ACTIVE) == 0
            && self.insert(s).is_err()
        {
            return; // the fd went away meanwhile: leave it deleted
        }
        self.schedule(s, at);
    }

    /// Activates events on `fd` as if the backend reported `events`; with
    /// EV_TIMEOUT, also timers that carry this fd.
    pub fn activate_fd(&mut self, fd: c_int, events: u16) {
        self.activate_watchers(fd, events);
        if events & ev::TIMEOUT != 0 {
            let timers: Vec<u32> = self
                .live()
                .filter(|(_, h)| h.flags & evlist::TIMEOUT != 0)
                .map(|(s, _)| s)
                .filter(|&s| self.fd_of(s) == fd)
                .collect();
            for s in timers {
                self.activate(s, ev::TIMEOUT, 1);
            }
        }
    }

    /// After fork: a fresh backend, wake-up fd and signal pipe, with every
    /// watched fd registered again.
    pub fn rebuild(&mut self) -> io::Result<()> {
        let backend = (self.method.open)()?;
        let waker = Waker::new()?;
        backend.set(waker.fd(), 0, bits::READ)?;
        for (fd, watch) in self.fds.iter().enumerate() {
            if watch.interest != 0 {
                if let Err(e) = backend.set(fd as c_int, 0, watch.interest) {
                    warn(&format!("event_reinit: fd {fd}: {e}"));
                }
            }
        }
        if self.signal_pipe.is_some() {
            let pipe = SignalPipe::new()?;
            backend.set(pipe.fd(), 0, bits::READ)?;
            pipe.claim();
            self.signal_pipe = Some(pipe);
        }
        self.backend = Arc::from(backend);
        self.waker = waker;
        Ok(())
    }

    pub fn take_finalizers(&mut self) -> Vec<Callback> {
        let found: Vec<(u32, Callback)> = self
            .live()
            .filter_map(|(s, h)| match self.owned_actions.get(&h.key) {
                Some(&Action::Finalize(cb)) => Some((s, cb)),
                _ => None,
            })
            .collect();
        for &(s, _) in &found {
            self.delete(s);
        }
        found.into_iter().map(|(_, cb)| cb).collect()
    }

    /// Gives up every signal this base watches (when the base is freed).
    pub fn release_signals(&mut self) {
        for (sig, list) in self.signal_watch.iter_mut().enumerate() {
            if !list.is_empty() {
                list.clear();
                signals::unwatch(sig as c_int);
            }
        }
        self.signal_pipe = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The slot is the core's per-event cost beside the caller's struct
    /// (the benchmark reports it), and its hot part is what keeps timer
    /// churn in cache: keep both from growing unnoticed.
    #[test]
    #[cfg(target_pointer_width = "64")]
    fn slot_parts_stay_small() {
        assert_eq!(std::mem::size_of::<Hot>(), 16);
        assert!(
            std::mem::size_of::<Slot>() <= 32,
            "{}",
            std::mem::size_of::<Slot>()
        );
    }
}

//! The slot table: the core's record of each event a base knows, the
//! `EVLIST_*` flags with the counts libevent keeps of them, and the free
//! list. libevent keeps these fields in `struct event` itself; librel leaves
//! the caller's struct as the C ABI lays it out and keeps them here,
//! reaching the caller's memory only through [`Hooks`].
//!
//! The records carry the links of the lists an event is in (timer heap
//! position, active queue, fd watch list), so that moving an event costs no
//! lookup beyond its own record; those lists keep their heads in their own
//! modules and go through the link accessors here.

use std::os::unix::io::RawFd;

use super::event::{ev, evlist, owned_by_caller, Action, Callback, Current, Hooks, Key, Spec};
use super::growth::{cover, grow_for_one};
use super::keymap::KeyMap;
use super::timer_heap::{self, Positions};

/// No slot: the end of a list.
pub const NIL: u32 = u32::MAX;
const FREE: Key = 0;
/// A bit of [`Hot`]'s events beside the `EV_*` ones: the event is persistent
/// with an interval, which the caller's memory holds
/// ([`Hooks::persist_delay`]).
const REARM: u16 = 0x8000;

/// [`REARM`] for an event that `spec` makes persistent with an interval.
fn interval_bit(spec: &Spec) -> u16 {
    if spec.events & ev::PERSIST != 0 && spec.interval {
        REARM
    } else {
        0
    }
}

/// The part of a slot that every add, delete and timer move reads. Kept in
/// a table of its own, 16 bytes a slot, so that with many timers the table
/// stays in cache and a pending timer is moved without touching [`Slot`].
#[derive(Clone, Copy)]
pub struct Hot {
    key: Key,
    /// Index of the slot's entry in the timer heap.
    heap_pos: u32,
    events: u16,
    flags: u8,
    priority: u8,
}

impl Hot {
    pub fn key(&self) -> Key {
        self.key
    }

    pub fn events(&self) -> u16 {
        self.events & !REARM
    }

    /// Whether the event re-arms with an interval (see [`Hooks::persist_delay`]).
    pub fn has_interval(&self) -> bool {
        self.events & REARM != 0
    }

    /// The `EVLIST_*` lists the event is in.
    pub fn flags(&self) -> u8 {
        self.flags
    }

    pub fn priority(&self) -> u8 {
        self.priority
    }

    /// Where the slot's timer stands in the timer heap (`timer_heap::ABSENT`
    /// when it has none).
    pub fn heap_pos(&self) -> u32 {
        self.heap_pos
    }
}

/// The rest of a slot. Each field is written before it can be read, by
/// whatever puts the slot where that field matters, so a reused slot is
/// not cleared and a pure timer of the caller's never touches this part
/// until it runs: the table of these grows to a slot only when the slot
/// first needs its record, so pending timers cost no room in it.
#[derive(Clone, Copy)]
pub struct Slot {
    /// The fd or signal registered (set when inserted; for the base's own
    /// events, at allocation).
    fd: RawFd,
    /// Its place in its active queue, while active (see [`crate::active`]).
    queued_at: u32,
    /// Next slot watching the same fd (newest first, as libevent's evmap),
    /// while inserted.
    fd_next: u32,
}

impl Slot {
    pub fn fd(&self) -> RawFd {
        self.fd
    }
}

const UNUSED: Slot = Slot {
    fd: -1,
    queued_at: NIL,
    fd_next: NIL,
};

/// What the loop needs of an event it takes off an active queue to run.
#[derive(Clone, Copy)]
pub struct Dequeued {
    pub key: Key,
    pub events: u16,
    /// Re-arms with an interval (see [`Hot::has_interval`]).
    pub interval: bool,
    pub res: u16,
    pub ncalls: u16,
    /// Still in a list (inserted or timed) off the queue: the run leaves
    /// it there, and there is no idle slot to release after it.
    pub listed: bool,
}

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

/// Counts as libevent keeps them: an event counts once for each of
/// inserted, timeout and active that it is in.
#[derive(Default, Clone, Copy)]
pub struct Counts {
    pub added: usize,
    pub active: usize,
    pub max_added: usize,
    pub max_active: usize,
}

/// [`Counts`] as the slots keep them: the inserted and timeout lists apart
/// from the active queues, so that joining or leaving a queue, once per
/// callback, moves one count, not two.
#[derive(Default, Clone, Copy)]
struct Tally {
    /// Inserted and timeout list memberships.
    listed: usize,
    active: usize,
    max_added: usize,
    max_active: usize,
}

impl Tally {
    fn added(&self) -> usize {
        self.listed + self.active
    }
}

/// The slot table of one base.
pub struct Slots {
    hot: Vec<Hot>,
    /// Covers the slots that needed a record so far (see [`Slot`]).
    cold: Vec<Slot>,
    /// What the base's own events run (few: once events, loopexit,
    /// finalizers), kept out of the slots.
    owned_actions: KeyMap<Key, Action>,
    free: Vec<u32>,
    next_owned_key: Key,
    counts: Tally,
    hooks: Hooks,
}

impl Slots {
    pub fn new(hooks: Hooks) -> Slots {
        Slots {
            hot: Vec::new(),
            cold: Vec::new(),
            owned_actions: KeyMap::default(),
            free: Vec::new(),
            next_owned_key: 1,
            counts: Tally::default(),
            hooks,
        }
    }

    pub fn hot(&self, s: u32) -> Hot {
        self.hot[s as usize]
    }

    /// The rest of a slot (see [`Slot`] for when which field holds).
    pub fn slot(&self, s: u32) -> Slot {
        self.cold.get(s as usize).copied().unwrap_or(UNUSED)
    }

    /// The rest of slot `s`, to write: the table grows to it only now, so
    /// that pure timers that never run take no room in it.
    #[inline]
    fn cold_mut(&mut self, s: u32) -> &mut Slot {
        self.ensure_record(s);
        &mut self.cold[s as usize]
    }

    /// Makes sure slot `s` has its record (see [`Slot`]): before a slot
    /// that may never have needed one (a timer) joins an active queue.
    #[inline]
    pub fn ensure_record(&mut self, s: u32) {
        if self.cold.len() <= s as usize {
            self.cover_cold(s);
        }
    }

    /// Out of the paths that find the record there, which are most.
    #[cold]
    #[inline(never)]
    fn cover_cold(&mut self, s: u32) {
        cover(&mut self.cold, s as usize + 1, UNUSED);
    }

    /// The slot of `key`, if `hint` names it (the hint is kept inside the
    /// caller's event and rewritten whenever a slot is assigned).
    pub fn find(&self, key: Key, hint: u32) -> Option<u32> {
        match self.hot.get(hint as usize) {
            Some(s) if s.key == key && key != FREE => Some(hint),
            _ => None,
        }
    }

    /// Live slots: (slot, record).
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

    pub fn counts(&self) -> Counts {
        let c = self.counts;
        Counts {
            added: c.added(),
            active: c.active,
            max_added: c.max_added,
            max_active: c.max_active,
        }
    }

    /// Whether any slot is in a list or queue.
    pub fn has_events(&self) -> bool {
        self.counts.listed != 0 || self.counts.active != 0
    }

    /// Lowers the maxima to the current counts.
    pub fn clear_max_counts(&mut self, active: bool, added: bool) {
        let c = &mut self.counts;
        if active {
            c.max_active = c.active;
        }
        if added {
            c.max_added = c.added();
        }
    }

    /// A caller-owned event as its memory describes it now; None for the
    /// base's own events.
    pub fn current(&self, s: u32) -> Option<Current> {
        let key = self.hot[s as usize].key;
        owned_by_caller(key).then(|| (self.hooks.read)(key))
    }

    /// What running the base's own event `key` (of [`Dequeued`]) means.
    pub fn owned_action(&self, key: Key) -> Action {
        let action = self.owned_actions.get(&key).copied();
        action.expect("the base's own events keep their action")
    }

    /// How the caller's events are read (see [`Hooks::read`]).
    pub fn read_hook(&self) -> fn(Key) -> Current {
        self.hooks.read
    }

    /// The fd an event carries (`ev_fd` for the caller's events).
    pub fn fd_of(&self, s: u32) -> RawFd {
        self.current(s).map_or_else(|| self.slot(s).fd, |c| c.fd)
    }

    /// A caller-owned event's last deadline, as its memory holds it.
    pub fn last_deadline(&self, s: u32) -> u64 {
        (self.hooks.last_deadline)(self.hot[s as usize].key)
    }

    /// A caller-owned event's re-arm interval (ns), as its memory holds it.
    pub fn persist_delay(&self, s: u32) -> u64 {
        (self.hooks.persist_delay)(self.hot[s as usize].key)
    }

    /// The finalizers among the base's own events: slot, event, finalizer.
    pub fn finalizers(&self) -> Vec<(u32, Key, Callback)> {
        self.live()
            .filter_map(|(s, h)| match self.owned_actions.get(&h.key) {
                Some(&Action::Finalize { event, finalizer }) => Some((s, event, finalizer)),
                _ => None,
            })
            .collect()
    }

    /// Marks a caller's event, in no list now, as given to its finalizer.
    pub fn mark_finalizing(&self, key: Key) {
        (self.hooks.mirror)(key, evlist::FINALIZING);
    }

    /// The base goes away: the caller's events stop naming it.
    pub fn detach(&self, key: Key) {
        (self.hooks.detach)(key);
    }

    /// A slot for a caller-owned event.
    pub fn alloc(&mut self, spec: &Spec) -> u32 {
        let events = spec.events & !REARM | interval_bit(spec);
        let s = self.alloc_hot(spec.key, events, spec.priority);
        if spec.events & (ev::IO | ev::SIGNAL) != 0 {
            self.cold_mut(s).fd = spec.fd;
        }
        s
    }

    /// A slot for an event the base owns (once events, loopexit).
    pub fn alloc_owned(&mut self, fd: RawFd, events: u16, priority: u8, action: Action) -> u32 {
        let key = self.next_owned_key;
        self.next_owned_key += 2;
        let s = self.alloc_hot(key, events & !REARM, priority);
        self.cold_mut(s).fd = fd;
        self.owned_actions.insert(key, action);
        s
    }

    /// A slot with `events` as [`Hot`] keeps them (the re-arm bit included).
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
            None => self.push_hot(hot),
        }
    }

    /// A new slot at the end of the table: out of line, so that reusing a
    /// freed slot, the usual case, saves no registers for the growth.
    #[inline(never)]
    fn push_hot(&mut self, hot: Hot) -> u32 {
        grow_for_one(&mut self.hot);
        self.hot.push(hot);
        (self.hot.len() - 1) as u32
    }

    /// Refreshes what a not-yet-registered slot wants from its event;
    /// returns its record.
    pub fn refresh(&mut self, s: u32, spec: &Spec) -> Hot {
        let hot = &mut self.hot[s as usize];
        if hot.flags & (evlist::INSERTED | evlist::ACTIVE) == 0 {
            hot.events = spec.events & !REARM | interval_bit(spec);
            hot.priority = spec.priority;
            let hot = *hot;
            if spec.events & (ev::IO | ev::SIGNAL) != 0 {
                self.cold_mut(s).fd = spec.fd;
            }
            return hot;
        }
        *hot
    }

    /// Records whether the event re-arms with an interval (kept by the
    /// caller's memory, not here).
    pub fn set_interval(&mut self, s: u32, on: bool) {
        let hot = &mut self.hot[s as usize];
        hot.events = hot.events & !REARM | if on { REARM } else { 0 };
    }

    pub fn set_priority(&mut self, s: u32, priority: u8) {
        self.hot[s as usize].priority = priority;
    }

    /// Frees a slot that is in no list any more. The check is inlined and
    /// the release is not: most calls find the slot still in some list.
    #[inline]
    pub fn release_if_idle(&mut self, s: u32) {
        let Hot { key, flags, .. } = self.hot[s as usize];
        if key != FREE && flags == 0 {
            self.release(s, key);
        }
    }

    #[inline(never)]
    fn release(&mut self, s: u32, key: Key) {
        if !owned_by_caller(key) {
            self.owned_actions.remove(&key);
        }
        self.hot[s as usize].key = FREE;
        self.free.push(s);
    }

    /// Mirrors the slot's flags into a caller-owned event's memory.
    pub fn reflect(&self, s: u32) {
        let Hot { key, flags, .. } = self.hot[s as usize];
        if owned_by_caller(key) {
            (self.hooks.mirror)(key, flags);
        }
    }

    /// [`Slots::reflect`], with the result the event runs with.
    pub fn reflect_res(&self, s: u32, res: u16) {
        let Hot { key, flags, .. } = self.hot[s as usize];
        if owned_by_caller(key) {
            (self.hooks.mirror_res)(key, flags, res);
        }
    }

    /// [`Slots::reflect`], with the event's deadline.
    pub fn reflect_deadline(&self, s: u32, deadline: u64) {
        let Hot { key, flags, .. } = self.hot[s as usize];
        if owned_by_caller(key) {
            (self.hooks.mirror_deadline)(key, flags, deadline);
        }
    }

    /// The slot enters list `flag`: inserted or timeout (an active queue
    /// is entered by [`Slots::join_queue`]).
    pub fn set_flag(&mut self, s: u32, flag: u8) {
        debug_assert_ne!(flag, evlist::ACTIVE);
        self.hot[s as usize].flags |= flag;
        let c = &mut self.counts;
        c.listed += 1;
        c.max_added = c.max_added.max(c.added());
    }

    /// Raises the maxima to the counts: after activations, which leave
    /// them to it (see [`Slots::join_queue`]).
    pub fn note_maxima(&mut self) {
        let c = &mut self.counts;
        c.max_added = c.max_added.max(c.added());
        c.max_active = c.max_active.max(c.active);
    }

    /// The slot leaves list `flag`, and the caller's memory is told.
    pub fn clear_flag(&mut self, s: u32, flag: u8) {
        self.clear_flag_untold(s, flag);
        self.reflect(s);
    }

    /// [`Slots::clear_flag`] for a change that the caller's memory learns
    /// with the next one, made at once under the same lock.
    pub fn clear_flag_untold(&mut self, s: u32, flag: u8) {
        self.hot[s as usize].flags &= !flag;
        match flag {
            evlist::ACTIVE => self.counts.active -= 1,
            _ => self.counts.listed -= 1,
        }
    }

    /// The timer heap's view of the slots' heap positions.
    pub fn positions(&mut self) -> impl Positions + '_ {
        SlotPositions(&mut self.hot)
    }

    /// Slot `s` joins an active queue at place `at`, to run with `res`;
    /// the caller's memory is told. `s` must have its record
    /// ([`Slots::ensure_record`]). The counts rise and the caller notes
    /// the maxima ([`Slots::note_maxima`]) once its activations are done:
    /// a wait's reports only add to the counts, so once for all of them.
    pub fn join_queue(&mut self, s: u32, at: u32, res: u16) {
        self.cold[s as usize].queued_at = at;
        self.hot[s as usize].flags |= evlist::ACTIVE;
        self.counts.active += 1;
        self.reflect_res(s, res);
    }

    /// Slot `s` has left its active queue, where it ran with `res` and
    /// `ncalls`: the event the loop runs. The caller's memory is told.
    pub fn leave_queue(&mut self, s: u32, res: u16, ncalls: u16) -> Dequeued {
        let hot = &mut self.hot[s as usize];
        hot.flags &= !evlist::ACTIVE;
        let hot = *hot;
        if owned_by_caller(hot.key) {
            (self.hooks.mirror)(hot.key, hot.flags);
        }
        self.counts.active -= 1;
        Dequeued {
            key: hot.key,
            events: hot.events(),
            interval: hot.has_interval(),
            res,
            ncalls,
            listed: hot.flags != 0,
        }
    }

    /// Slot `s`, which watches an fd and is in no active queue, as
    /// [`Slots::leave_queue`] would give it had it been queued to run
    /// with `res` and taken off again at once: the caller's memory gets the
    /// result, and its flags, which did not change.
    #[inline(always)]
    pub fn take_unqueued(&self, s: u32, res: u16) -> Dequeued {
        let hot = self.hot[s as usize];
        if owned_by_caller(hot.key) {
            (self.hooks.mirror_res)(hot.key, hot.flags, res);
        }
        Dequeued {
            key: hot.key,
            events: hot.events(),
            interval: hot.has_interval(),
            res,
            ncalls: 1,
            listed: hot.flags != 0,
        }
    }

    /// The place of active slot `s` in its queue.
    pub fn queued_at(&self, s: u32) -> u32 {
        self.cold[s as usize].queued_at
    }

    pub fn set_queued_at(&mut self, s: u32, at: u32) {
        self.cold[s as usize].queued_at = at;
    }

    /// The next slot on the same fd's watch list.
    pub fn fd_next(&self, s: u32) -> u32 {
        self.cold[s as usize].fd_next
    }

    pub fn set_fd_next(&mut self, s: u32, next: u32) {
        self.cold[s as usize].fd_next = next;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{test_hooks, test_spec as spec};

    /// The slot is the core's per-event cost beside the caller's struct
    /// (the benchmark reports it), and its hot part is what keeps timer
    /// churn in cache: keep both from growing unnoticed.
    #[test]
    #[cfg(target_pointer_width = "64")]
    fn slot_parts_stay_small() {
        assert_eq!(std::mem::size_of::<Hot>(), 16);
        assert_eq!(std::mem::size_of::<Slot>(), 12);
    }

    /// The memory benchmark's pending timers: 16 hot bytes each and their
    /// heap entry, nothing in the records until one runs.
    #[test]
    fn pending_timers_take_no_record_until_they_run() {
        let mut slots = Slots::new(test_hooks());
        for key in 1..=100 {
            slots.alloc(&spec(key * 16, -1, ev::TIMEOUT));
        }
        assert!(slots.cold.is_empty());
        let io = slots.alloc(&spec(4096, 3, ev::READ));
        assert_eq!(slots.cold.len(), io as usize + 1);
        assert_eq!(slots.slot(io).fd(), 3);
        assert_eq!(slots.slot(io + 1).fd(), -1, "no record reads as unused");
        let timer = 7;
        slots.ensure_record(timer);
        slots.join_queue(timer, 0, ev::TIMEOUT);
        assert_eq!(slots.counts().active, 1);
        let taken = slots.leave_queue(timer, ev::TIMEOUT, 1);
        assert_eq!((taken.res, taken.key), (ev::TIMEOUT, 8 * 16));
        assert_eq!(slots.counts().active, 0);
    }
}

//! The active queues: one FIFO per priority of the events waiting to run
//! (libevent's `activequeues`), and how the run of one queue goes
//! (libevent's `event_running_priority`, `event_continue`).
//!
//! A queue is an array of the slots in run order with what each runs with,
//! as libev's pending arrays, not a list linked through the slots: queuing
//! an event writes one slot record (its place in the array) and taking it
//! none, where the list wrote three, and the loop reads the queue in order.

use super::slots::{Dequeued, Slots, NIL};

/// A queued event: its slot (NIL once removed) and what it runs with.
#[derive(Clone, Copy)]
struct Queued {
    slot: u32,
    res: u16,
    ncalls: u16,
}

#[derive(Clone, Default)]
struct Queue {
    /// From `head` on, in run order; a removed event leaves its place
    /// behind, empty (NIL), and is queued again at the end.
    entries: Vec<Queued>,
    /// The first event to run: `entries[head]` is never an empty place
    /// (head == entries.len() when the queue is empty).
    head: usize,
}

impl Queue {
    /// Moves `head` past empty places; an emptied queue starts again at 0.
    fn skip_removed(&mut self) {
        while self.entries.get(self.head).is_some_and(|e| e.slot == NIL) {
            self.head += 1;
        }
        if self.head == self.entries.len() {
            self.entries.clear();
            self.head = 0;
        }
    }

    /// Before an entry is added to a full array: when at least half of it
    /// is run or removed, the live events move to the front instead of the
    /// array growing (their slots learn their new places). So a queue that
    /// is never emptied, or whose events are removed and queued again,
    /// grows with its events, not with its removals.
    fn make_room(&mut self, slots: &mut Slots) {
        let live = self.entries[self.head..]
            .iter()
            .filter(|e| e.slot != NIL)
            .count();
        if 2 * live > self.entries.len() {
            self.entries.reserve(self.entries.len().max(4));
            return;
        }
        let mut at = 0;
        for i in self.head..self.entries.len() {
            let e = self.entries[i];
            if e.slot != NIL {
                slots.set_queued_at(e.slot, at as u32);
                self.entries[at] = e;
                at += 1;
            }
        }
        self.entries.truncate(at);
        self.head = 0;
    }
}

/// The active queues of one base, most urgent (0) first.
pub struct ActiveQueues {
    queues: Vec<Queue>,
    /// The queue being run, 0 when none is: an event activated in a more
    /// urgent queue ends that run early (none is more urgent than 0).
    running: usize,
    /// The run of the current queue ends after the callback that runs.
    continue_requested: bool,
}

/// One priority, as a new base has.
impl Default for ActiveQueues {
    fn default() -> ActiveQueues {
        ActiveQueues {
            queues: vec![Queue::default()],
            running: 0,
            continue_requested: false,
        }
    }
}

impl ActiveQueues {
    pub fn npriorities(&self) -> usize {
        self.queues.len()
    }

    /// Replaces the queues, which must be empty, with `n`.
    pub fn set_npriorities(&mut self, n: usize) {
        self.queues = vec![Queue::default(); n];
    }

    /// The queue of an event of `priority`: events keep a priority the base
    /// may no longer have (it was given fewer), and run in the last queue.
    pub fn queue_of(&self, priority: u8) -> usize {
        (priority as usize).min(self.queues.len() - 1)
    }

    /// Appends slot `s` to the queue of `priority`, to run with `res` and
    /// `ncalls`.
    pub fn push(&mut self, slots: &mut Slots, s: u32, priority: u8, res: u16, ncalls: u16) {
        let pri = self.queue_of(priority);
        if pri < self.running {
            self.continue_requested = true;
        }
        let q = &mut self.queues[pri];
        if q.entries.len() == q.entries.capacity() {
            // A call here would make every push save registers for it.
            return Self::push_making_room(q, slots, s, res, ncalls);
        }
        Self::push_into(q, slots, s, res, ncalls);
    }

    #[inline(always)]
    fn push_into(q: &mut Queue, slots: &mut Slots, s: u32, res: u16, ncalls: u16) {
        let at = q.entries.len() as u32;
        q.entries.push(Queued {
            slot: s,
            res,
            ncalls,
        });
        // Last: made before the push, the call kept the push's values alive
        // across it (313 instructions per callback at 1000/100/1000, not
        // 302).
        slots.join_queue(s, at, res);
    }

    #[cold]
    #[inline(never)]
    fn push_making_room(q: &mut Queue, slots: &mut Slots, s: u32, res: u16, ncalls: u16) {
        q.make_room(slots);
        Self::push_into(q, slots, s, res, ncalls);
    }

    /// Where queued slot `s`, of `priority`, stands: its queue and place.
    fn place_of(&self, slots: &Slots, s: u32, priority: u8) -> (usize, usize) {
        (self.queue_of(priority), slots.queued_at(s) as usize)
    }

    /// What queued slot `s`, of `priority`, runs with.
    pub fn result(&self, slots: &Slots, s: u32, priority: u8) -> u16 {
        let (pri, at) = self.place_of(slots, s, priority);
        self.queues[pri].entries[at].res
    }

    /// Adds to the result and calls owed of queued slot `s`, of `priority`;
    /// returns the result now.
    pub fn merge(&mut self, slots: &Slots, s: u32, priority: u8, res: u16, ncalls: u16) -> u16 {
        let (pri, at) = self.place_of(slots, s, priority);
        let e = &mut self.queues[pri].entries[at];
        e.res |= res;
        e.ncalls = e.ncalls.saturating_add(ncalls);
        e.res
    }

    /// Takes slot `s` out of the queue of `priority`.
    pub fn remove(&mut self, slots: &Slots, s: u32, priority: u8) {
        let (pri, at) = self.place_of(slots, s, priority);
        let q = &mut self.queues[pri];
        q.entries[at].slot = NIL;
        q.skip_removed();
    }

    /// Takes the head of queue `pri`, which must not be empty, off it: the
    /// loop takes the events it runs from the front.
    pub fn pop_head(&mut self, slots: &mut Slots, pri: usize) -> Dequeued {
        let q = &mut self.queues[pri];
        let e = q.entries[q.head];
        q.head += 1;
        q.skip_removed();
        slots.leave_queue(e.slot, e.res, e.ncalls)
    }

    pub fn head(&self, pri: usize) -> Option<u32> {
        let q = &self.queues[pri];
        q.entries.get(q.head).map(|e| e.slot)
    }

    /// Queue `pri` starts to run.
    pub fn begin_run(&mut self, pri: usize) {
        self.running = pri;
    }

    /// No queue runs.
    pub fn end_run(&mut self) {
        self.running = 0;
    }

    /// Ends the current queue's run after the callback that runs
    /// (`event_base_loopcontinue`).
    pub fn request_continue(&mut self) {
        self.continue_requested = true;
    }

    pub fn continue_requested(&self) -> bool {
        self.continue_requested
    }

    /// A new pass of the loop starts: nothing asked to end its run early.
    pub fn clear_continue(&mut self) {
        self.continue_requested = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{ev, evlist, test_hooks, test_spec};
    use std::collections::VecDeque;

    /// Random queuing, merging, removal and runs of 64 events against a
    /// plain FIFO of (slot, result, calls): the queue runs what a linked
    /// list would, in the same order, and the places removals leave behind
    /// do not pile up (without compaction, the array would reach about
    /// 100,000 entries here).
    #[test]
    fn runs_as_a_fifo_whatever_is_removed() {
        const N: u64 = 64;
        let mut slots = Slots::new(test_hooks());
        for k in 0..N {
            let s = slots.alloc(&test_spec(16 * (k as usize + 1), k as i32, ev::READ));
            slots.ensure_record(s);
        }
        let mut queues = ActiveQueues::default();
        let mut model: VecDeque<(u32, u16, u16)> = VecDeque::new();
        let mut rng = 0x9E37_79B9_7F4A_7C15u64;
        let mut runs = 0;
        for _ in 0..400_000 {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            let s = (rng % N) as u32;
            let res = 1 << ((rng >> 8) % 4);
            let queued = model.iter().position(|m| m.0 == s);
            match ((rng >> 32) % 4, queued) {
                (0 | 1, None) => {
                    queues.push(&mut slots, s, 0, res, 1);
                    model.push_back((s, res, 1));
                }
                (0, Some(i)) => {
                    let now = queues.merge(&slots, s, 0, res, 2);
                    model[i].1 |= res;
                    model[i].2 += 2;
                    assert_eq!(now, model[i].1);
                }
                (1 | 2, Some(i)) => {
                    queues.remove(&slots, s, 0);
                    slots.clear_flag(s, evlist::ACTIVE);
                    model.remove(i);
                }
                (3, _) if !model.is_empty() => {
                    assert_eq!(queues.head(0), Some(model[0].0));
                    let taken = queues.pop_head(&mut slots, 0);
                    let (_, res, ncalls) = model.pop_front().unwrap();
                    assert_eq!((taken.res, taken.ncalls), (res, ncalls));
                    runs += 1;
                }
                _ => {}
            }
            assert_eq!(queues.head(0), model.front().map(|m| m.0));
            assert_eq!(slots.counts().active, model.len());
            let q = &queues.queues[0];
            assert!(q.entries.len() <= 4 * N as usize + 4, "{}", q.entries.len());
        }
        assert!(runs > 10_000, "{runs}");
    }
}

//! Indexed 4-ary min-heap of deadlines: O(log n) insert, remove and
//! in-place reschedule of any entry, O(1) peek (once a postponed top has
//! moved, see below). Entries are identified by a small
//! integer id (the base's slot number); ties pop in insertion order.
//!
//! Each entry's position is kept by the caller ([`Positions`]), in the
//! record the id names: rescheduling a timer then costs no lookup beyond the
//! record the caller has already loaded.
//!
//! Four children per node halve the depth of a binary heap, and with
//! 16-byte entries the children of a node share one or two cache lines: with
//! many timers, a sift costs cache misses more than comparisons.
//!
//! A move to a later deadline does not move the entry: its key stays as a
//! lower bound and the entry's tie-break field holds how much later it is
//! due ("postponed", to the µs, rounded up); the entry moves only when it
//! reaches the top. Timeouts pushed back on every bit of activity (an idle
//! timeout re-added per read, a persistent event's re-arm) then cost O(1),
//! and touch no memory beyond the entry, instead of a sift each time. For
//! ties, a postponed entry counts as inserted when it finally moves.

pub const ABSENT: u32 = u32::MAX;
const ARITY: usize = 4;

/// In [`Entry::tag`]: the rest of the tag is a postponement, not a sequence.
const LATER: u32 = 1 << 31;
/// The tag's other bits: a sequence number, or a postponement in µs.
const TAG_BITS: u32 = LATER - 1;

#[derive(Clone, Copy)]
struct Entry {
    deadline: u64,
    /// The insertion sequence (31 bits) for FIFO ties, compared with
    /// wrap-around, so ties between entries scheduled 2^30 schedules apart
    /// may pop out of order. With [`LATER`], instead: how many µs after
    /// `deadline` the entry is due. A postponed entry's ties are settled when
    /// it reaches the top and moves, so its tag may compare either way.
    tag: u32,
    id: u32,
}

impl Entry {
    /// Whether `self` pops before `other`.
    #[inline]
    fn before(&self, other: &Entry) -> bool {
        self.deadline < other.deadline
            || (self.deadline == other.deadline
                && ((self.tag.wrapping_sub(other.tag) << 1) as i32) < 0)
    }

    /// When the entry is due: its key, or later if postponed.
    fn due(&self) -> u64 {
        match self.tag & LATER {
            0 => self.deadline,
            _ => self
                .deadline
                .saturating_add(u64::from(self.tag & TAG_BITS) * 1000),
        }
    }
}

/// Where each id's entry stands in the heap (ABSENT when it has none).
pub trait Positions {
    fn get(&self, id: u32) -> u32;
    fn set(&mut self, id: u32, at: u32);
}

#[derive(Default)]
pub struct TimerHeap {
    entries: Vec<Entry>,
    seq: u32,
}

impl TimerHeap {
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether any entry is scheduled.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The earliest entry: (id, deadline). A postponed entry that reached
    /// the top moves to its deadline first.
    pub fn peek(&mut self, pos: &mut impl Positions) -> Option<(u32, u64)> {
        self.peek_until(pos, u64::MAX)
    }

    /// The earliest entry due by `now`: (id, deadline). Postponed entries
    /// are moved only when their key is due, so a timeout pushed back over
    /// and over costs nothing until its key comes round.
    pub fn peek_due(&mut self, pos: &mut impl Positions, now: u64) -> Option<(u32, u64)> {
        self.peek_until(pos, now)
            .filter(|&(_, deadline)| deadline <= now)
    }

    fn peek_until(&mut self, pos: &mut impl Positions, now: u64) -> Option<(u32, u64)> {
        loop {
            let top = *self.entries.first()?;
            if top.tag & LATER == 0 || top.deadline > now {
                return Some((top.id, top.deadline));
            }
            let entry = self.entry(top.id, top.due());
            self.place(pos, 0, entry);
        }
    }

    /// When the entry at `at` (a position from [`Positions`]) is due.
    pub fn deadline_of(&self, at: u32) -> Option<u64> {
        self.entries.get(at as usize).map(Entry::due)
    }

    fn entry(&mut self, id: u32, deadline: u64) -> Entry {
        self.seq = self.seq.wrapping_add(1) & TAG_BITS;
        Entry {
            deadline,
            tag: self.seq,
            id,
        }
    }

    /// Inserts `id` or moves it to a new deadline: an earlier one in place
    /// (one sift from where it stands), a later one by postponing.
    pub fn schedule(&mut self, pos: &mut impl Positions, id: u32, deadline: u64) {
        match pos.get(id) {
            ABSENT => {
                let entry = self.entry(id, deadline);
                crate::growth::grow_for_one(&mut self.entries);
                self.entries.push(entry);
                self.place(pos, self.entries.len() - 1, entry);
            }
            at => {
                let held = &mut self.entries[at as usize];
                if deadline > held.deadline {
                    let later_us = (deadline - held.deadline).div_ceil(1000);
                    if later_us <= u64::from(TAG_BITS) {
                        held.tag = LATER | later_us as u32;
                        return;
                    }
                }
                let entry = self.entry(id, deadline);
                self.place(pos, at as usize, entry);
            }
        }
    }

    /// Removes `id` if present; returns whether it was.
    pub fn remove(&mut self, pos: &mut impl Positions, id: u32) -> bool {
        let at = match pos.get(id) {
            ABSENT => return false,
            at => at as usize,
        };
        pos.set(id, ABSENT);
        let last = self.entries.pop().expect("indexed entry exists");
        if at < self.entries.len() {
            self.place(pos, at, last);
        }
        true
    }

    /// Puts `entry` into the hole at `at`, moving it up or down to where it
    /// belongs; each displaced entry is written (with its position) once.
    fn place(&mut self, pos: &mut impl Positions, mut at: usize, entry: Entry) {
        fn put(entries: &mut [Entry], pos: &mut impl Positions, at: usize, e: Entry) {
            entries[at] = e;
            pos.set(e.id, at as u32);
        }
        let entries = &mut self.entries[..];
        while at > 0 {
            let parent = (at - 1) / ARITY;
            let above = entries[parent];
            if !entry.before(&above) {
                break;
            }
            put(entries, pos, at, above);
            at = parent;
        }
        loop {
            let first = ARITY * at + 1;
            let (child, below) = match entries.get(first..first + ARITY) {
                // A whole family, the common case: a tournament of two
                // independent pairs and their winners.
                // Indices are picked, not entries: one load of the winner.
                Some(kids) => {
                    let i = usize::from(kids[1].before(&kids[0]));
                    let j = 2 + usize::from(kids[3].before(&kids[2]));
                    let m = if kids[j].before(&kids[i]) { j } else { i };
                    (first + m, kids[m])
                }
                _ => match entries.get(first..) {
                    Some(kids) if !kids.is_empty() => {
                        let mut min = (first, kids[0]);
                        for (i, &e) in kids.iter().enumerate().skip(1) {
                            if e.before(&min.1) {
                                min = (first + i, e);
                            }
                        }
                        min
                    }
                    _ => break,
                },
            };
            if !below.before(&entry) {
                break;
            }
            put(entries, pos, at, below);
            at = child;
        }
        put(entries, pos, at, entry);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Positions in a table of their own, as a caller without records would.
    #[derive(Default)]
    struct Table(Vec<u32>);

    impl Positions for Table {
        fn get(&self, id: u32) -> u32 {
            self.0.get(id as usize).copied().unwrap_or(ABSENT)
        }
        fn set(&mut self, id: u32, at: u32) {
            if self.0.len() <= id as usize {
                self.0.resize(id as usize + 1, ABSENT);
            }
            self.0[id as usize] = at;
        }
    }

    fn drain(h: &mut TimerHeap, pos: &mut Table) -> Vec<(u32, u64)> {
        let mut out = vec![];
        while let Some((id, d)) = h.peek(pos) {
            assert!(h.remove(pos, id));
            out.push((id, d));
        }
        out
    }

    #[test]
    fn pops_in_deadline_order_with_fifo_ties() {
        let (mut h, mut pos) = (TimerHeap::default(), Table::default());
        for (id, d) in [(0, 50), (1, 10), (2, 30), (3, 10), (4, 20)] {
            h.schedule(&mut pos, id, d);
        }
        assert_eq!(
            drain(&mut h, &mut pos),
            [(1, 10), (3, 10), (4, 20), (2, 30), (0, 50)]
        );
        assert_eq!(h.len(), 0);
    }

    #[test]
    fn remove_and_reschedule_from_the_middle() {
        let (mut h, mut pos) = (TimerHeap::default(), Table::default());
        for id in 0..100u32 {
            h.schedule(&mut pos, id, u64::from((id * 37) % 101) * 1000);
        }
        for id in (0..100).step_by(3) {
            assert!(h.remove(&mut pos, id));
            assert!(!h.remove(&mut pos, id));
        }
        h.schedule(&mut pos, 1, 1_000_000);
        h.schedule(&mut pos, 2, 0);
        let got = drain(&mut h, &mut pos);
        assert_eq!(got.first(), Some(&(2, 0)));
        assert_eq!(got.last(), Some(&(1, 1_000_000)));
        assert!(got.windows(2).all(|w| w[0].1 <= w[1].1));
        assert_eq!(got.len(), 100 - 34);
    }

    #[test]
    fn matches_a_sorted_model_under_random_operations() {
        let (mut h, mut pos) = (TimerHeap::default(), Table::default());
        let mut model: Vec<Option<u64>> = vec![None; 64];
        let mut x: u64 = 0x9e3779b97f4a7c15;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let id = (x % 64) as u32;
            match (x >> 8) % 3 {
                0 | 1 => {
                    // Whole µs, as postponements are kept (see below).
                    let d = (x >> 16) % 1000 * 1000;
                    h.schedule(&mut pos, id, d);
                    model[id as usize] = Some(d);
                }
                _ => assert_eq!(h.remove(&mut pos, id), model[id as usize].take().is_some()),
            }
            let min = model.iter().flatten().min().copied();
            assert_eq!(h.peek(&mut pos).map(|p| p.1), min);
            assert_eq!(pos.get(id) != ABSENT, model[id as usize].is_some());
            for (i, d) in model.iter().enumerate() {
                let at = pos.get(i as u32);
                assert_eq!(h.deadline_of(at), *d, "id {i}");
            }
        }
    }

    #[test]
    fn a_later_deadline_waits_beside_the_entry_until_it_reaches_the_top() {
        let (mut h, mut pos) = (TimerHeap::default(), Table::default());
        for id in 0..10u32 {
            h.schedule(&mut pos, id, u64::from(id) * 10);
        }
        let at = pos.get(0);
        h.schedule(&mut pos, 0, 1_000);
        assert_eq!(pos.get(0), at, "postponed in place");
        assert_eq!(h.deadline_of(at), Some(1_000));
        assert_eq!(h.peek(&mut pos), Some((1, 10)), "the top moved on");
        h.schedule(&mut pos, 0, 5);
        assert_eq!(
            h.peek(&mut pos),
            Some((0, 5)),
            "postponed again, to the latest deadline"
        );
        h.schedule(&mut pos, 3, 2_000);
        assert!(h.remove(&mut pos, 3));
        h.schedule(&mut pos, 3, 30);
        assert_eq!(
            h.deadline_of(pos.get(3)),
            Some(30),
            "removal forgets a postponement"
        );
        let order: Vec<u32> = drain(&mut h, &mut pos)
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        assert_eq!(order, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    }

    #[test]
    fn a_postponement_is_kept_to_the_microsecond_rounded_up() {
        let (mut h, mut pos) = (TimerHeap::default(), Table::default());
        h.schedule(&mut pos, 0, 100);
        h.schedule(&mut pos, 1, 5_000);
        h.schedule(&mut pos, 0, 4_999);
        assert_eq!(h.deadline_of(pos.get(0)), Some(5_100), "never early");
        assert_eq!(h.peek(&mut pos), Some((1, 5_000)));
        // Too far for the tag (2^31 µs): the entry moves to it at once.
        let far = 5_100 + (1u64 << 31) * 1000;
        h.schedule(&mut pos, 0, far);
        assert_eq!(h.deadline_of(pos.get(0)), Some(far));
        assert_eq!(drain(&mut h, &mut pos), [(1, 5_000), (0, far)]);
    }

    #[test]
    fn ties_pop_in_order_across_the_sequence_wrap() {
        let (mut h, mut pos) = (TimerHeap::default(), Table::default());
        h.seq = TAG_BITS - 2;
        for id in 0..6 {
            h.schedule(&mut pos, id, 7);
        }
        let order: Vec<u32> = drain(&mut h, &mut pos).iter().map(|p| p.0).collect();
        assert_eq!(order, [0, 1, 2, 3, 4, 5]);
    }
}

//! Indexed 4-ary min-heap of deadlines: O(log n) insert, remove and
//! in-place reschedule of any entry, O(1) peek. Entries are identified by a small
//! integer id (the base's slot number); ties pop in insertion order.
//!
//! Each entry's position is kept by the caller ([`Positions`]), in the
//! record the id names: rescheduling a timer then costs no lookup beyond the
//! record the caller has already loaded.
//!
//! Four children per node halve the depth of a binary heap, and with
//! 16-byte entries the children of a node share one or two cache lines: with
//! many timers, a sift costs cache misses more than comparisons.

pub const ABSENT: u32 = u32::MAX;
const ARITY: usize = 4;

#[derive(Clone, Copy)]
struct Entry {
    deadline: u64,
    /// Insertion sequence, for FIFO ties; compared with wrap-around, so ties
    /// between entries scheduled 2^31 schedules apart may pop out of order.
    seq: u32,
    id: u32,
}

impl Entry {
    /// Whether `self` pops before `other`.
    #[inline]
    fn before(&self, other: &Entry) -> bool {
        self.deadline < other.deadline
            || (self.deadline == other.deadline && (self.seq.wrapping_sub(other.seq) as i32) < 0)
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

    /// The earliest entry: (id, deadline).
    pub fn peek(&self) -> Option<(u32, u64)> {
        self.entries.first().map(|e| (e.id, e.deadline))
    }

    /// The deadline of the entry at `at` (a position from [`Positions`]).
    pub fn deadline_at(&self, at: u32) -> Option<u64> {
        self.entries.get(at as usize).map(|e| e.deadline)
    }

    /// Inserts `id` or moves it to a new deadline (in place: one sift from
    /// where it stands).
    pub fn schedule(&mut self, pos: &mut impl Positions, id: u32, deadline: u64) {
        self.seq = self.seq.wrapping_add(1);
        let entry = Entry {
            deadline,
            seq: self.seq,
            id,
        };
        match pos.get(id) {
            ABSENT => {
                crate::growth::grow_for_one(&mut self.entries);
                self.entries.push(entry);
                self.place(pos, self.entries.len() - 1, entry);
            }
            at => self.place(pos, at as usize, entry),
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
                Some(&[a, b, c, d]) => {
                    let (i, x) = if b.before(&a) { (1, b) } else { (0, a) };
                    let (j, y) = if d.before(&c) { (3, d) } else { (2, c) };
                    if y.before(&x) {
                        (first + j, y)
                    } else {
                        (first + i, x)
                    }
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
        while let Some((id, d)) = h.peek() {
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
            h.schedule(&mut pos, id, u64::from((id * 37) % 101));
        }
        for id in (0..100).step_by(3) {
            assert!(h.remove(&mut pos, id));
            assert!(!h.remove(&mut pos, id));
        }
        h.schedule(&mut pos, 1, 1000);
        h.schedule(&mut pos, 2, 0);
        let got = drain(&mut h, &mut pos);
        assert_eq!(got.first(), Some(&(2, 0)));
        assert_eq!(got.last(), Some(&(1, 1000)));
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
                    let d = (x >> 16) % 1000;
                    h.schedule(&mut pos, id, d);
                    model[id as usize] = Some(d);
                }
                _ => assert_eq!(h.remove(&mut pos, id), model[id as usize].take().is_some()),
            }
            let min = model.iter().flatten().min().copied();
            assert_eq!(h.peek().map(|p| p.1), min);
            assert_eq!(pos.get(id) != ABSENT, model[id as usize].is_some());
        }
    }
}

//! Indexed binary min-heap of deadlines: O(log n) insert, remove and
//! in-place reschedule of any entry, O(1) peek. Entries are identified by a small
//! integer id (the base's slot number); ties pop in insertion order.

const ABSENT: u32 = u32::MAX;

#[derive(Clone, Copy)]
struct Entry {
    /// (deadline in ns, insertion sequence): the sequence breaks ties FIFO.
    key: (u64, u64),
    id: u32,
}

#[derive(Default)]
pub struct TimerHeap {
    entries: Vec<Entry>,
    /// `pos[id]` is the entry's index in `entries`, or ABSENT.
    pos: Vec<u32>,
    seq: u64,
}

impl TimerHeap {
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    #[cfg(test)]
    pub fn contains(&self, id: u32) -> bool {
        self.pos.get(id as usize).is_some_and(|&p| p != ABSENT)
    }

    /// The earliest entry: (id, deadline).
    pub fn peek(&self) -> Option<(u32, u64)> {
        self.entries.first().map(|e| (e.id, e.key.0))
    }

    /// Inserts `id` or moves it to a new deadline (in place: one sift from
    /// where it stands).
    pub fn schedule(&mut self, id: u32, deadline: u64) {
        if self.pos.len() <= id as usize {
            self.pos.resize(id as usize + 1, ABSENT);
        }
        self.seq += 1;
        let entry = Entry {
            key: (deadline, self.seq),
            id,
        };
        match self.pos[id as usize] {
            ABSENT => {
                self.entries.push(entry);
                self.place(self.entries.len() - 1, entry);
            }
            at => self.place(at as usize, entry),
        }
    }

    /// Removes `id` if present; returns whether it was.
    pub fn remove(&mut self, id: u32) -> bool {
        let at = match self.pos.get(id as usize) {
            Some(&at) if at != ABSENT => at as usize,
            _ => return false,
        };
        self.pos[id as usize] = ABSENT;
        let last = self.entries.pop().expect("indexed entry exists");
        if at < self.entries.len() {
            self.place(at, last);
        }
        true
    }

    /// Puts `entry` into the hole at `at`, moving it up or down to where it
    /// belongs; each displaced entry is written (with its position) once.
    fn place(&mut self, mut at: usize, entry: Entry) {
        while at > 0 {
            let parent = (at - 1) / 2;
            if self.entries[parent].key <= entry.key {
                break;
            }
            self.put(at, self.entries[parent]);
            at = parent;
        }
        let len = self.entries.len();
        loop {
            let left = 2 * at + 1;
            if left >= len {
                break;
            }
            let right = left + 1;
            let child = if right < len && self.entries[right].key < self.entries[left].key {
                right
            } else {
                left
            };
            if entry.key <= self.entries[child].key {
                break;
            }
            self.put(at, self.entries[child]);
            at = child;
        }
        self.put(at, entry);
    }

    fn put(&mut self, at: usize, entry: Entry) {
        self.entries[at] = entry;
        self.pos[entry.id as usize] = at as u32;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain(h: &mut TimerHeap) -> Vec<(u32, u64)> {
        let mut out = vec![];
        while let Some((id, d)) = h.peek() {
            assert!(h.remove(id));
            out.push((id, d));
        }
        out
    }

    #[test]
    fn pops_in_deadline_order_with_fifo_ties() {
        let mut h = TimerHeap::default();
        for (id, d) in [(0, 50), (1, 10), (2, 30), (3, 10), (4, 20)] {
            h.schedule(id, d);
        }
        assert_eq!(drain(&mut h), [(1, 10), (3, 10), (4, 20), (2, 30), (0, 50)]);
        assert_eq!(h.len(), 0);
    }

    #[test]
    fn remove_and_reschedule_from_the_middle() {
        let mut h = TimerHeap::default();
        for id in 0..100u32 {
            h.schedule(id, u64::from((id * 37) % 101));
        }
        for id in (0..100).step_by(3) {
            assert!(h.remove(id));
            assert!(!h.remove(id));
        }
        h.schedule(1, 1000);
        h.schedule(2, 0);
        let got = drain(&mut h);
        assert_eq!(got.first(), Some(&(2, 0)));
        assert_eq!(got.last(), Some(&(1, 1000)));
        assert!(got.windows(2).all(|w| w[0].1 <= w[1].1));
        assert_eq!(got.len(), 100 - 34);
    }

    #[test]
    fn matches_a_sorted_model_under_random_operations() {
        let mut h = TimerHeap::default();
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
                    h.schedule(id, d);
                    model[id as usize] = Some(d);
                }
                _ => assert_eq!(h.remove(id), model[id as usize].take().is_some()),
            }
            let min = model.iter().flatten().min().copied();
            assert_eq!(h.peek().map(|p| p.1), min);
            assert_eq!(h.contains(id), model[id as usize].is_some());
        }
    }
}

//! Indexed binary min-heap of deadlines: O(log n) insert, remove and
//! reschedule of any entry, O(1) peek. Entries are identified by a small
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

    /// Inserts `id` or moves it to a new deadline.
    pub fn schedule(&mut self, id: u32, deadline: u64) {
        self.remove(id);
        if self.pos.len() <= id as usize {
            self.pos.resize(id as usize + 1, ABSENT);
        }
        self.seq += 1;
        let at = self.entries.len();
        self.entries.push(Entry {
            key: (deadline, self.seq),
            id,
        });
        self.pos[id as usize] = at as u32;
        self.sift_up(at);
    }

    /// Removes `id` if present; returns whether it was.
    pub fn remove(&mut self, id: u32) -> bool {
        let Some(&at) = self.pos.get(id as usize) else {
            return false;
        };
        if at == ABSENT {
            return false;
        }
        let at = at as usize;
        self.pos[id as usize] = ABSENT;
        let last = self.entries.pop().expect("indexed entry exists");
        if at < self.entries.len() {
            self.entries[at] = last;
            self.pos[last.id as usize] = at as u32;
            self.sift_down(at);
            self.sift_up(at);
        }
        true
    }

    fn sift_up(&mut self, mut at: usize) {
        while at > 0 {
            let parent = (at - 1) / 2;
            if self.entries[parent].key <= self.entries[at].key {
                break;
            }
            self.swap(at, parent);
            at = parent;
        }
    }

    fn sift_down(&mut self, mut at: usize) {
        loop {
            let (l, r) = (2 * at + 1, 2 * at + 2);
            let mut least = at;
            if l < self.entries.len() && self.entries[l].key < self.entries[least].key {
                least = l;
            }
            if r < self.entries.len() && self.entries[r].key < self.entries[least].key {
                least = r;
            }
            if least == at {
                break;
            }
            self.swap(at, least);
            at = least;
        }
    }

    fn swap(&mut self, a: usize, b: usize) {
        self.entries.swap(a, b);
        self.pos[self.entries[a].id as usize] = a as u32;
        self.pos[self.entries[b].id as usize] = b as u32;
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

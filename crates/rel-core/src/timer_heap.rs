//! Indexed 4-ary min-heap of deadlines: O(log n) insert, remove and
//! in-place reschedule of any entry, O(1) peek (once a postponed top has
//! moved, see below). Entries are identified by a small
//! integer id (the base's slot number); ties pop in insertion order (but
//! see [`Entry::rank`]).
//!
//! Each entry's position is kept by the caller ([`Positions`]), in the
//! record the id names: rescheduling a timer then costs no lookup beyond the
//! record the caller has already loaded.
//!
//! Four children per node halve the depth of a binary heap. The entries
//! are 16 bytes, and a few vacant places before the root line the four
//! children of every node up with one 64-byte cache line: with many timers
//! a sift costs cache misses more than comparisons, and each level of it
//! then touches one line. The table stays a plain `Vec`, so that growing a
//! big one is an `mremap` rather than a copy; the lead is set again when
//! the table moves. The last family's vacant places hold entries that sort
//! after every real one, so every level compares a whole family.
//!
//! A move to a later deadline does not move the entry: its key stays as a
//! lower bound and the entry's tie-break field holds how much later it is
//! due ("postponed", in 1,024 ns steps, rounded up); the entry moves only
//! when it reaches the top. Timeouts pushed back on every bit of activity
//! (an idle timeout re-added per read, a persistent event's re-arm) then
//! cost O(1), and touch no memory beyond the entry, instead of a sift each
//! time. For ties, a postponed entry counts as inserted when it finally
//! moves.

pub const ABSENT: u32 = u32::MAX;
const ARITY: usize = 4;

/// In [`Entry::tag`]: the rest of the tag is a postponement, not a sequence.
const LATER: u32 = 1 << 31;
/// The tag's other bits: a sequence number, or a postponement in steps.
const TAG_BITS: u32 = LATER - 1;
/// A postponement step is 2^10 ns (1.024 µs): a shift, where µs took a
/// multiplication.
const STEP_SHIFT: u32 = 10;
/// The longest postponement a tag holds, in ns.
const MAX_LATER_NS: u64 = (TAG_BITS as u64) << STEP_SHIFT;

#[derive(Clone, Copy)]
struct Entry {
    deadline: u64,
    /// The tag above the id. The tag is the insertion sequence (31 bits)
    /// for FIFO ties, renumbered when it runs out (see
    /// [`TimerHeap::renumber`]); or, with [`LATER`], how many µs after
    /// `deadline` the entry is due. A postponed entry is settled when it
    /// reaches the top and moves, so it simply sorts after the others with
    /// its key. Postponing raises the tag in place, so where an entry tied
    /// with those below it, a tie placed later may come to sit above them
    /// and pop first: exactly equal deadlines around a postponed one are
    /// the one case where ties may leave insertion order. The id only tells
    /// postponed entries apart.
    rank: u64,
}

impl Entry {
    fn new(deadline: u64, tag: u32, id: u32) -> Entry {
        Entry {
            deadline,
            rank: u64::from(tag) << 32 | u64::from(id),
        }
    }

    fn id(&self) -> u32 {
        self.rank as u32
    }

    fn tag(&self) -> u32 {
        (self.rank >> 32) as u32
    }

    /// The entry's place in the pop order, as one number: one wide
    /// comparison, without branches.
    #[inline(always)]
    fn order(&self) -> u128 {
        u128::from(self.deadline) << 64 | u128::from(self.rank)
    }

    fn is_postponed(&self) -> bool {
        self.tag() & LATER != 0
    }

    /// When the entry is due: its key, or later if postponed.
    fn due(&self) -> u64 {
        match self.is_postponed() {
            false => self.deadline,
            true => self
                .deadline
                .saturating_add(u64::from(self.tag() & TAG_BITS) << STEP_SHIFT),
        }
    }
}

/// Where each id's entry stands in the heap (ABSENT when it has none).
pub trait Positions {
    fn get(&self, id: u32) -> u32;
    fn set(&mut self, id: u32, at: u32);
}

/// A place no entry holds: it sorts after every real entry (whose id is
/// never [`ABSENT`]).
const VACANT: Entry = Entry {
    deadline: u64::MAX,
    rank: u64::MAX,
};

/// The most vacant places the root may need before it.
const MAX_LEAD: usize = ARITY - 1;

#[derive(Default)]
pub struct TimerHeap {
    /// `lead` vacant places, the nodes (0..len), then vacant places to the
    /// end of the last family: node `k` is place `lead + k`, and the
    /// children of node `k` are the family of places from
    /// `lead + ARITY * k + 1`, which `lead` aligns to 64 bytes.
    places: Vec<Entry>,
    lead: usize,
    /// Entries (nodes) in use: 0..len.
    len: usize,
    seq: u32,
}

impl TimerHeap {
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether any entry is scheduled.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn node(&self, k: usize) -> &Entry {
        &self.places[self.lead + k]
    }

    fn node_mut(&mut self, k: usize) -> &mut Entry {
        &mut self.places[self.lead + k]
    }

    /// Makes a place for node `len`: a new family when it starts one, the
    /// table grown by a sixteenth (and realigned) when full. The capacity
    /// always covers the longest lead, so realigning never moves the table.
    #[inline]
    fn make_room(&mut self) {
        let families = self.len.div_ceil(ARITY);
        let want = self.lead + 1 + ARITY * families;
        let have = self.places.len();
        if have >= want {
            return;
        }
        // A family of vacant places as four stores; `resize` would call
        // memset for them.
        if have + ARITY == want && self.places.capacity() >= MAX_LEAD + 1 + ARITY * families {
            self.places.extend_from_slice(&[VACANT; ARITY]);
        } else {
            self.grow(families);
        }
    }

    /// [`TimerHeap::make_room`] for the first node, or with the table full.
    #[cold]
    #[inline(never)]
    fn grow(&mut self, families: usize) {
        let need = MAX_LEAD + 1 + ARITY * families;
        if self.places.capacity() < need {
            let more = (need - self.places.len()).max(self.places.len() / 16);
            self.places.reserve_exact(more);
            self.realign();
        }
        self.places.resize(self.lead + 1 + ARITY * families, VACANT);
    }

    /// Sets the lead again for where the table now stands: the nodes move
    /// by at most [`MAX_LEAD`] places.
    #[cold]
    fn realign(&mut self) {
        let first_child = self.places.as_ptr() as usize / size_of::<Entry>() + 1;
        let lead = (ARITY - first_child % ARITY) % ARITY;
        if lead > self.lead {
            let more = lead - self.lead;
            self.places.splice(0..0, std::iter::repeat_n(VACANT, more));
        } else {
            self.places.drain(..self.lead - lead);
        }
        self.lead = lead;
    }

    /// A time before which no entry is due: the top's key (a postponed
    /// entry is due after its key).
    pub fn earliest_key(&self) -> Option<u64> {
        (self.len != 0).then(|| self.node(0).deadline)
    }

    /// The earliest entry: (id, deadline). A postponed entry that reached
    /// the top moves to its deadline first.
    #[cfg(test)]
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
            if self.len == 0 {
                return None;
            }
            let top = *self.node(0);
            if !top.is_postponed() || top.deadline > now {
                return Some((top.id(), top.deadline));
            }
            let entry = self.entry(top.id(), top.due());
            self.place(pos, 0, entry);
        }
    }

    /// When the entry at `at` (a position from [`Positions`]) is due.
    pub fn deadline_of(&self, at: u32) -> Option<u64> {
        let at = at as usize;
        (at < self.len).then(|| self.node(at).due())
    }

    fn entry(&mut self, id: u32, deadline: u64) -> Entry {
        if self.seq == TAG_BITS {
            self.renumber();
        }
        self.seq += 1;
        Entry::new(deadline, self.seq, id)
    }

    /// Numbers the waiting entries' sequences again from 0, in the order
    /// they stand: every comparison between entries keeps its result, so
    /// the heap stays as it is. Once per 2^31 schedules.
    #[cold]
    fn renumber(&mut self) {
        let mut waiting: Vec<usize> = (0..self.len)
            .filter(|&k| !self.node(k).is_postponed())
            .collect();
        waiting.sort_unstable_by_key(|&k| self.node(k).tag());
        for (seq, &k) in waiting.iter().enumerate() {
            let e = self.node_mut(k);
            *e = Entry::new(e.deadline, seq as u32, e.id());
        }
        self.seq = waiting.len() as u32;
    }

    /// Inserts `id`, or moves it to `deadline` as its key, in one sift
    /// from where it stands. A move to a later deadline is cheaper as a
    /// [`TimerHeap::postpone`], which callers try first.
    pub fn set(&mut self, pos: &mut impl Positions, id: u32, deadline: u64) {
        match pos.get(id) {
            ABSENT => {
                let entry = self.entry(id, deadline);
                let at = self.len;
                self.make_room();
                self.len += 1;
                // A new last node has no children: it can only rise.
                rise(&mut self.places[self.lead..], pos, at, entry);
            }
            at => {
                let entry = self.entry(id, deadline);
                let at = at as usize;
                // An earlier key than the entry's sorts before its children.
                if deadline < self.node(at).deadline {
                    rise(&mut self.places[self.lead..], pos, at, entry);
                } else {
                    self.place(pos, at, entry);
                }
            }
        }
    }

    /// Notes a later `deadline` for the entry of `id`, which stands at `at`
    /// (its position from [`Positions`]), without moving it; false when the
    /// deadline is not later, or too far for the note, and the entry must
    /// move instead.
    #[inline]
    pub fn postpone(&mut self, at: u32, id: u32, deadline: u64) -> bool {
        let Some(held) = self.places.get_mut(self.lead + at as usize) else {
            return false;
        };
        let later = deadline.wrapping_sub(held.deadline);
        if deadline <= held.deadline || later > MAX_LATER_NS {
            return false;
        }
        let steps = (later + (1 << STEP_SHIFT) - 1) >> STEP_SHIFT;
        *held = Entry::new(held.deadline, LATER | steps as u32, id);
        true
    }

    /// Removes `id` if present; returns whether it was.
    pub fn remove(&mut self, pos: &mut impl Positions, id: u32) -> bool {
        let at = match pos.get(id) {
            ABSENT => return false,
            at => at as usize,
        };
        pos.set(id, ABSENT);
        self.len -= 1;
        let last = std::mem::replace(self.node_mut(self.len), VACANT);
        if self.len % ARITY == 1 {
            // The last node started its family.
            self.places.truncate(self.places.len() - ARITY);
        }
        if at < self.len {
            self.fill_hole(pos, at, last);
        }
        true
    }

    /// [`TimerHeap::place`] for the last entry, moved into the hole a
    /// removal left at `at`: the smaller child moves up into the hole down
    /// to the bottom, and then the entry moves up from there (Floyd's way).
    /// The last entry mostly belongs near the bottom, so this saves a
    /// comparison with it at each level on the way down. Every family
    /// holds an entry (an emptied one is dropped), so the smallest child
    /// is never a vacant place.
    fn fill_hole(&mut self, pos: &mut impl Positions, mut at: usize, entry: Entry) {
        let places = &mut self.places[self.lead..];
        while let Some(kids) = places[1..].as_chunks::<ARITY>().0.get(at) {
            let m = smallest(kids);
            let below = kids[m];
            debug_assert!(below.id() != VACANT.id(), "a family of vacant places");
            put(places, pos, at, below);
            at = ARITY * at + 1 + m;
        }
        rise(places, pos, at, entry);
    }

    /// Puts `entry` into the hole at `at`, moving it up or down to where it
    /// belongs; each displaced entry is written (with its position) once.
    fn place(&mut self, pos: &mut impl Positions, at: usize, entry: Entry) {
        let places = &mut self.places[self.lead..];
        let key = entry.order();
        let mut at = climb(places, pos, at, key);
        // Node k's children are family k of the places after the root.
        while let Some(kids) = places[1..].as_chunks::<ARITY>().0.get(at) {
            let m = smallest(kids);
            let below = kids[m];
            if below.order() >= key {
                break;
            }
            put(places, pos, at, below);
            at = ARITY * at + 1 + m;
        }
        put(places, pos, at, entry);
    }
}

/// Writes `e` at node `at`, and its position.
#[inline(always)]
fn put(places: &mut [Entry], pos: &mut impl Positions, at: usize, e: Entry) {
    places[at] = e;
    pos.set(e.id(), at as u32);
}

/// Puts `entry` into the hole at node `at` or above it, where it belongs
/// (nothing below the hole sorts before it).
#[inline(always)]
fn rise(places: &mut [Entry], pos: &mut impl Positions, at: usize, entry: Entry) {
    let at = climb(places, pos, at, entry.order());
    put(places, pos, at, entry);
}

/// Moves the hole at node `at` up past the entries that `key` sorts
/// before (each written, with its position, once); returns where it
/// stops.
#[inline(always)]
fn climb(places: &mut [Entry], pos: &mut impl Positions, mut at: usize, key: u128) -> usize {
    while at > 0 {
        let parent = (at - 1) / ARITY;
        let above = places[parent];
        if key >= above.order() {
            break;
        }
        put(places, pos, at, above);
        at = parent;
    }
    at
}

/// The smallest of a family: a tournament of two independent pairs and
/// their winners, vacant places losing.
#[inline(always)]
fn smallest(kids: &[Entry; ARITY]) -> usize {
    let i = usize::from(kids[1].order() < kids[0].order());
    let j = 2 + usize::from(kids[3].order() < kids[2].order());
    if kids[j].order() < kids[i].order() {
        j
    } else {
        i
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One postponement step, in ns: deadlines in whole steps postpone
    /// exactly.
    const STEP: u64 = 1 << STEP_SHIFT;

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

    /// The layout's invariants: heap order, vacant places past the end
    /// (and only there), no family without a node, positions as indexed.
    fn check(h: &TimerHeap, pos: &Table) {
        for k in 0..h.len {
            let e = h.node(k);
            assert_ne!(e.order(), VACANT.order());
            assert_eq!(pos.get(e.id()) as usize, k);
            if k > 0 {
                // A postponement raises an entry's tag in place (see
                // `Entry::rank`): past a postponed parent, deadlines only.
                let parent = h.node((k - 1) / ARITY);
                assert!(parent.deadline <= e.deadline);
                assert!(parent.is_postponed() || parent.order() <= e.order());
            }
        }
        for i in (0..h.lead).chain(h.lead + h.len..h.places.len()) {
            assert_eq!(h.places[i].order(), VACANT.order());
        }
        let families = h.len.saturating_sub(1).div_ceil(ARITY);
        assert_eq!(h.places.len(), h.lead + 1 + ARITY * families);
        let first_child = h.places.as_ptr() as usize + (h.lead + 1) * size_of::<Entry>();
        assert_eq!(first_child % 64, 0, "families on cache lines");
    }

    /// What the registry does: a postponement where it can, else a move.
    /// Returns whether the entry took `deadline` as its key.
    fn schedule(h: &mut TimerHeap, pos: &mut Table, id: u32, deadline: u64) -> bool {
        let at = pos.get(id);
        if at != ABSENT && h.postpone(at, id, deadline) {
            return false;
        }
        h.set(pos, id, deadline);
        true
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
            schedule(&mut h, &mut pos, id, d);
        }
        assert_eq!(
            drain(&mut h, &mut pos),
            [(1, 10), (3, 10), (4, 20), (2, 30), (0, 50)]
        );
        assert_eq!(h.len(), 0);
    }

    #[test]
    fn a_timer_scheduled_again_for_its_deadline_goes_after_its_ties() {
        let (mut h, mut pos) = (TimerHeap::default(), Table::default());
        for id in 0..5 {
            schedule(&mut h, &mut pos, id, 10 * STEP);
        }
        schedule(&mut h, &mut pos, 0, 10 * STEP);
        check(&h, &pos);
        let order: Vec<u32> = drain(&mut h, &mut pos).iter().map(|p| p.0).collect();
        assert_eq!(order, [1, 2, 3, 4, 0]);
    }

    #[test]
    fn remove_and_reschedule_from_the_middle() {
        let (mut h, mut pos) = (TimerHeap::default(), Table::default());
        for id in 0..100u32 {
            schedule(&mut h, &mut pos, id, u64::from((id * 37) % 101) * STEP);
        }
        for id in (0..100).step_by(3) {
            assert!(h.remove(&mut pos, id));
            assert!(!h.remove(&mut pos, id));
        }
        schedule(&mut h, &mut pos, 1, 1_000 * STEP);
        schedule(&mut h, &mut pos, 2, 0);
        let got = drain(&mut h, &mut pos);
        assert_eq!(got.first(), Some(&(2, 0)));
        assert_eq!(got.last(), Some(&(1, 1_000 * STEP)));
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
                    // Whole steps, as postponements are kept (see below).
                    let d = (x >> 16) % 1000 * STEP;
                    schedule(&mut h, &mut pos, id, d);
                    model[id as usize] = Some(d);
                }
                _ => assert_eq!(h.remove(&mut pos, id), model[id as usize].take().is_some()),
            }
            check(&h, &pos);
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
            assert!(
                schedule(&mut h, &mut pos, id, u64::from(id) * 10 * STEP),
                "inserted"
            );
        }
        let at = pos.get(0);
        assert!(!schedule(&mut h, &mut pos, 0, 1_000 * STEP), "postponed");
        assert_eq!(pos.get(0), at, "postponed in place");
        assert_eq!(h.deadline_of(at), Some(1_000 * STEP));
        assert_eq!(h.peek(&mut pos), Some((1, 10 * STEP)), "the top moved on");
        assert!(
            schedule(&mut h, &mut pos, 0, 5 * STEP),
            "settled at 1,000 by the peek: moved earlier"
        );
        assert_eq!(
            h.peek(&mut pos),
            Some((0, 5 * STEP)),
            "postponed again, to the latest deadline"
        );
        assert!(!schedule(&mut h, &mut pos, 3, 2_000 * STEP));
        assert!(h.remove(&mut pos, 3));
        assert!(schedule(&mut h, &mut pos, 3, 30 * STEP));
        assert_eq!(
            h.deadline_of(pos.get(3)),
            Some(30 * STEP),
            "removal forgets a postponement"
        );
        let order: Vec<u32> = drain(&mut h, &mut pos)
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        assert_eq!(order, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    }

    #[test]
    fn families_stay_on_cache_lines_as_the_table_grows_and_shrinks() {
        let (mut h, mut pos) = (TimerHeap::default(), Table::default());
        for id in 0..5_000u32 {
            schedule(
                &mut h,
                &mut pos,
                id,
                u64::from(id.wrapping_mul(2_654_435_761) % 10_007),
            );
            if id % 97 == 0 {
                check(&h, &pos);
            }
        }
        check(&h, &pos);
        let mut last = 0;
        for n in (0..5_000).rev() {
            let (id, d) = h.peek(&mut pos).unwrap();
            assert!(d >= last);
            last = d;
            assert!(h.remove(&mut pos, id));
            if n % 89 == 0 {
                check(&h, &pos);
            }
        }
        assert!(h.is_empty());
    }

    #[test]
    fn a_postponement_is_kept_in_steps_rounded_up() {
        let (mut h, mut pos) = (TimerHeap::default(), Table::default());
        schedule(&mut h, &mut pos, 0, 100);
        schedule(&mut h, &mut pos, 1, 5_000);
        schedule(&mut h, &mut pos, 0, 4_999);
        // 4,899 ns later: five steps of 1,024 ns.
        assert_eq!(h.deadline_of(pos.get(0)), Some(5_220), "never early");
        assert_eq!(h.peek(&mut pos), Some((1, 5_000)));
        // Too far for the tag (2^31 steps): the entry moves to it at once.
        let far = 5_220 + (1u64 << 31 << STEP_SHIFT);
        schedule(&mut h, &mut pos, 0, far);
        assert_eq!(h.deadline_of(pos.get(0)), Some(far));
        assert_eq!(drain(&mut h, &mut pos), [(1, 5_000), (0, far)]);
    }

    #[test]
    fn ties_pop_in_order_across_the_sequence_wrap() {
        let (mut h, mut pos) = (TimerHeap::default(), Table::default());
        schedule(&mut h, &mut pos, 10, 7_000);
        schedule(&mut h, &mut pos, 20, 3_000);
        schedule(&mut h, &mut pos, 20, 9_000); // postponed
        schedule(&mut h, &mut pos, 11, 7_000);
        h.seq = TAG_BITS - 2;
        for id in 0..6 {
            schedule(&mut h, &mut pos, id, 7_000);
        }
        assert!(h.seq < 10, "renumbered");
        let order: Vec<u32> = drain(&mut h, &mut pos).iter().map(|p| p.0).collect();
        assert_eq!(order, [10, 11, 0, 1, 2, 3, 4, 5, 20]);
    }
}

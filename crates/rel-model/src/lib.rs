//! Model-based test engine: random (or fuzzer-chosen) sequences of librel C
//! API calls over a small pool of events, checked against a reference model
//! of what must be pending and what must fire; and, in [`run_buffer_sequence`],
//! sequences of evbuffer calls checked against plain byte vectors
//! (`tests/buffer_model.rs`, fuzz target `buffer`); and, in
//! [`run_tag_decode`], evtag's decoders on arbitrary bytes
//! (`tests/tag_decode.rs`, fuzz target `tag`).
//!
//! A crate of its own so that its two drivers share it as a dependency:
//! `tests/model.rs` (a seeded [`XorShift`], in `cargo test`) and the
//! cargo-fuzz target `fuzz/fuzz_targets/model.rs` (libFuzzer's input as
//! [`Bytes`]). Both feed a [`Source`] into [`run_sequence`].
//!
//! The model is exact because it only uses timing-free facts:
//! - timeouts are either zero ("expires at the next pass") or an hour
//!   ("never expires during the test");
//! - readiness comes from socketpairs the engine writes to and drains
//!   itself (level-triggered READ; WRITE is always ready), and from signals
//!   the engine raises in its own thread (delivered before `raise` returns);
//! - the loop is always `EVLOOP_ONCE | EVLOOP_NONBLOCK`, simulated pass by
//!   pass: which priority queue runs, what activates, what fires;
//! - callbacks act only on their own event (del, free, re-add, re-activate,
//!   or loopbreak when it is alone in its queue), so the order in which the
//!   events of one queue run cannot change the outcome: each loop call is
//!   checked as a multiset of (event, fd, what).
//!
//! After every operation the engine compares, for every event, the return
//! value, `event_pending` (bits and deadline), `event_initialized`,
//! `event_get_priority`, the base's event counts, and the log lines.
//!
//! The engine installs a log callback and handlers for SIGUSR1 and SIGUSR2
//! for the whole process, and runs one sequence at a time.
//!
//! # Environment
//!
//! - `REL_MODEL_STATS=1`: print each sequence's operation, loop-call and
//!   callback counts to stderr.
//! - `REL_MODEL_AVOID=res0,...`: leave out inputs that trigger a known bug,
//!   to look for others behind it (or, for `persistdel` and
//!   `staledeadline`, model librel's behaviour instead of libevent's):
//!   - `res0`: event_active(ev, 0, n), then event_base_set / pending checks;
//!   - `sigdel`: a non-persistent signal event deleting itself mid-ncalls;
//!   - `idleslot`: persistent events that ran while in no list, then freed
//!     or re-assigned;
//!   - `persistdel`: the persistent interval forgotten on event_del;
//!   - `staledeadline`: re-arm after event_active(EV_TIMEOUT) of a deleted
//!     persistent event counts from now instead of the old deadline;
//!   - `sigpersist`: no timeouts on signal events (libevent deletes a
//!     persistent signal event whose timeout fired and never re-arms one).
//!
//! [`seeds`] reads `REL_MODEL_ITERS` and `REL_MODEL_SEED` for the tests.

mod buffer;
mod engine;
mod tag;

pub use buffer::run_buffer_sequence;
pub use engine::run_sequence;
pub use tag::run_tag_decode;

/// Where a sequence's choices come from: the backend, each operation and
/// its arguments, and the teardown are each a byte or a few.
pub trait Source {
    /// The next byte.
    fn byte(&mut self) -> u8;
    /// No more input: the sequence ends (and is torn down).
    fn done(&self) -> bool;
    /// A choice among `n` (n > 0).
    fn below(&mut self, n: usize) -> usize {
        self.byte() as usize % n
    }
    /// Called once per operation, for sources that count them.
    fn tick(&mut self) {}
}

/// xorshift64 for a fixed number of operations: a whole sequence is
/// replayed from its seed alone.
pub struct XorShift {
    state: u64,
    left: usize,
}

impl XorShift {
    /// `ops` operations from `seed` (0 counts as 1: xorshift's zero state
    /// never leaves zero).
    pub fn new(seed: u64, ops: usize) -> XorShift {
        XorShift {
            state: seed.max(1),
            left: ops,
        }
    }
}

impl Source for XorShift {
    fn byte(&mut self) -> u8 {
        let mut x = self.state;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.state = x;
        (x >> 32) as u8
    }
    fn done(&self) -> bool {
        self.left == 0
    }
    fn tick(&mut self) {
        self.left = self.left.saturating_sub(1);
    }
}

/// The fuzzer's input, read once; zeroes once it runs out, so every input
/// is a complete sequence.
pub struct Bytes<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Bytes<'a> {
    /// A source that ends with `data`.
    pub fn new(data: &'a [u8]) -> Bytes<'a> {
        Bytes { data, pos: 0 }
    }
}

impl Source for Bytes<'_> {
    fn byte(&mut self) -> u8 {
        let b = self.data.get(self.pos).copied().unwrap_or(0);
        self.pos += 1;
        b
    }
    fn done(&self) -> bool {
        self.pos >= self.data.len()
    }
}

/// Whether `REL_MODEL_AVOID` names `what` (see the crate docs).
fn avoid(what: &str) -> bool {
    std::env::var("REL_MODEL_AVOID").is_ok_and(|v| v.split(',').any(|w| w == what))
}

/// A parser input for a property test, from `seed`: a first byte (the
/// properties read their flags from it), one of `samples` half the time,
/// then up to 23 edits: a byte of `alphabet` inserted or, one time in
/// four, a byte removed.
pub fn mutated_input(seed: u64, samples: &[&[u8]], alphabet: &[u8]) -> Vec<u8> {
    let mut x = seed.max(1);
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut data = vec![next() as u8];
    if next() % 2 == 0 && !samples.is_empty() {
        data.extend_from_slice(samples[(next() % samples.len() as u64) as usize]);
    }
    for _ in 0..next() % 24 {
        let at = (next() % data.len() as u64) as usize + 1;
        if next() % 4 == 0 && at < data.len() {
            data.remove(at);
        } else {
            data.insert(at, alphabet[(next() % alphabet.len() as u64) as usize]);
        }
    }
    data
}

/// The seeds a randomized test runs: `REL_MODEL_SEED=S` replays the one
/// sequence of seed S; otherwise `REL_MODEL_ITERS` (default `default`)
/// sequences, numbered from 0, with seeds spread from `salt`. Yields
/// `(number, seed)`; a failing test prints the seed for replay.
pub fn seeds(default: u64, salt: u64) -> Box<dyn Iterator<Item = (u64, u64)>> {
    if let Ok(s) = std::env::var("REL_MODEL_SEED") {
        let seed = s.parse::<u64>().expect("REL_MODEL_SEED is a number");
        return Box::new(std::iter::once((0, seed)));
    }
    let count = std::env::var("REL_MODEL_ITERS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default);
    Box::new((0..count).map(move |n| (n, salt.wrapping_mul(n + 1) ^ 0xD1B5_4A32_D192_ED03)))
}

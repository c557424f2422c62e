//! Model-based test of the C API: random sequences of calls over a pool of
//! events, checked against a reference model (the `rel-model` crate,
//! crates/rel-model).
//!
//! Default budget: 300 sequences of 200 operations. REL_MODEL_ITERS=N runs
//! N sequences; REL_MODEL_SEED=S replays the sequence with seed S (the seed
//! of a failing sequence is printed); REL_MODEL_STATS=1 prints per-sequence
//! counts; REL_MODEL_AVOID=... leaves out known-bug inputs (rel-model's
//! crate docs).

use rel_model::{run_sequence, seeds, XorShift};

const OPS: usize = 200;

#[test]
fn random_sequences_match_the_model() {
    for (n, seed) in seeds(300, 0x9E37_79B9_7F4A_7C15) {
        if let Err(e) = run_sequence(&mut XorShift::new(seed, OPS)) {
            panic!("sequence {n} failed: REL_MODEL_SEED={seed}\n{e}");
        }
    }
}

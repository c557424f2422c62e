//! Model-based test of the C API: random sequences of calls over a pool of
//! events, checked against a reference model (the `rel-model` crate,
//! crates/rel-model).
//!
//! Default budget: 300 sequences of 200 operations. REL_MODEL_ITERS=N runs
//! N sequences; REL_MODEL_SEED=S replays the sequence with seed S (the seed
//! of a failing sequence is printed); REL_MODEL_STATS=1 prints per-sequence
//! counts; REL_MODEL_AVOID=... leaves out known-bug inputs (rel-model's
//! crate docs).

use rel_model::{run_sequence, XorShift};

const OPS: usize = 200;

fn seed_of(n: u64) -> u64 {
    0x9E37_79B9_7F4A_7C15u64.wrapping_mul(n + 1) ^ 0xD1B5_4A32_D192_ED03
}

#[test]
fn random_sequences_match_the_model() {
    let (first, count) = match std::env::var("REL_MODEL_SEED") {
        Ok(s) => (s.parse::<u64>().expect("REL_MODEL_SEED is a number"), 1),
        Err(_) => {
            let n = std::env::var("REL_MODEL_ITERS")
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or(300u64);
            (u64::MAX, n)
        }
    };
    for n in 0..count {
        let seed = if first == u64::MAX { seed_of(n) } else { first };
        if let Err(e) = run_sequence(&mut XorShift::new(seed, OPS)) {
            panic!("sequence {n} failed: REL_MODEL_SEED={seed}\n{e}");
        }
    }
}

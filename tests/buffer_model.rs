//! Model-based test of evbuffer: random sequences of calls on two buffers
//! through the exported C functions, checked against `Vec<u8>` models
//! (`rel_model::run_buffer_sequence`).
//!
//! Default budget: 300 sequences of 300 operations. REL_MODEL_ITERS=N runs
//! N sequences; REL_MODEL_SEED=S replays the sequence with seed S (the seed
//! of a failing sequence is printed).

use rel_model::{run_buffer_sequence, seeds, XorShift};

const OPS: usize = 300;

#[test]
fn random_buffer_sequences_match_the_model() {
    for (n, seed) in seeds(300, 0xA076_1D64_78BD_642F) {
        let r = std::panic::catch_unwind(|| run_buffer_sequence(&mut XorShift::new(seed, OPS)));
        match r {
            Ok(Ok(())) => {}
            Ok(Err(e)) => panic!("sequence {n} failed: REL_MODEL_SEED={seed}\n{e}"),
            Err(p) => {
                let msg = p
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                panic!("sequence {n} failed: REL_MODEL_SEED={seed}\n{msg}");
            }
        }
    }
}

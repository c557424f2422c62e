//! evtag's decoders on random inputs through the exported C functions,
//! checked against rel-extra's stream functions on a `Vec` and its slice
//! decoder (`rel_model::run_tag_decode`; the fuzz target `tag` runs the
//! same check on libFuzzer's inputs).
//!
//! Default budget: 3000 inputs. REL_MODEL_ITERS=N runs N; REL_MODEL_SEED=S
//! replays the input of seed S (the seed of a failing input is printed).

use rel_model::{run_tag_decode, seeds, XorShift};

#[test]
fn random_inputs_decode_alike_and_never_fail() {
    for (n, seed) in seeds(3000, 0x9E37_79B9_7F4A_7C15) {
        // Lengths from 0 to 63 operations (bytes or records).
        let ops = (seed % 64) as usize;
        if let Err(e) = run_tag_decode(&mut XorShift::new(seed, ops)) {
            panic!("input {n} failed: REL_MODEL_SEED={seed}\n{e}");
        }
    }
}

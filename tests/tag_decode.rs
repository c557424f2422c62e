//! evtag's decoders on random inputs through the exported C functions,
//! checked against rel-extra's stream functions on a `Vec` and its slice
//! decoder (`rel_model::run_tag_decode`; the fuzz target `tag` runs the
//! same check on libFuzzer's inputs).
//!
//! Default budget: 3000 inputs. REL_MODEL_ITERS=N runs N; REL_MODEL_SEED=S
//! replays the input of seed S (the seed of a failing input is printed).

use rel_model::{run_tag_decode, XorShift};

fn seed_of(n: u64) -> u64 {
    0x9E37_79B9_7F4A_7C15u64.wrapping_mul(n + 1) ^ 0xD1B5_4A32_D192_ED03
}

#[test]
fn random_inputs_decode_alike_and_never_fail() {
    let (first, count) = match std::env::var("REL_MODEL_SEED") {
        Ok(s) => (
            Some(s.parse::<u64>().expect("REL_MODEL_SEED is a number")),
            1,
        ),
        Err(_) => (
            None,
            std::env::var("REL_MODEL_ITERS")
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or(3000u64),
        ),
    };
    for n in 0..count {
        let seed = first.unwrap_or_else(|| seed_of(n));
        // Lengths from 0 to 63 operations (bytes or records).
        let ops = (seed % 64) as usize;
        if let Err(e) = run_tag_decode(&mut XorShift::new(seed, ops)) {
            panic!("input {n} failed: REL_MODEL_SEED={seed}\n{e}");
        }
    }
}

//! Fuzz target: the fuzzer's bytes choose the operations of one sequence
//! of the evbuffer model (`rel_model::run_buffer_sequence`, shared with
//! `cargo test --test buffer_model`); any divergence panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rel_model::{run_buffer_sequence, Bytes};

fuzz_target!(|data: &[u8]| {
    if let Err(e) = run_buffer_sequence(&mut Bytes::new(data)) {
        panic!("buffer model mismatch:\n{e}");
    }
});

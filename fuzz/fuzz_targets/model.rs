//! Fuzz target: the fuzzer's bytes choose the backend and the operations of
//! one sequence of the model test (the `rel-model` crate, shared with
//! `cargo test --test model`); any discrepancy with the model panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rel_model::{run_sequence, Bytes};

fuzz_target!(|data: &[u8]| {
    if let Err(e) = run_sequence(&mut Bytes::new(data)) {
        panic!("model mismatch:\n{e}");
    }
});
